//! `debrief eval DIR`: measure the classifier against labelled mail. (Being written.)

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// A folder of .eml files with a labels.json (the schema of shared/corpus/README.md).
    pub dir: PathBuf,
}

pub fn run(_args: &EvalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("eval is not built yet")
}

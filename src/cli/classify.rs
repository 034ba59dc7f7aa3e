//! `debrief classify [FILE|-]`: classify one message offline. (Being written.)

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ClassifyArgs {
    /// The message: a file, or - (the default) for standard input.
    pub file: Option<PathBuf>,
    /// Print why: the features and rules that decided the kind and the fields.
    #[arg(long)]
    pub explain: bool,
}

pub fn run(_args: &ClassifyArgs, _json: bool) -> anyhow::Result<ExitCode> {
    anyhow::bail!("classify is not built yet")
}

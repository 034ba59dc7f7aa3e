//! `debrief man`: the man page, rendered in roff from the clap definition, on stdout.
//! Install it with `debrief man > ~/.local/share/man/man1/debrief.1`.

use crate::cli::Cli;
use clap::CommandFactory;
use std::io::Write;
use std::process::ExitCode;

pub fn run() -> anyhow::Result<ExitCode> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&page)?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

//! The command line (SPEC §4): a stable contract that scripts and tests rely on.
//!
//! One file per command. This module parses the arguments, finds the config, and maps
//! the outcome to an exit code: 0 success, 1 runtime failure, 2 usage or configuration
//! error, each failure with one line that says what to fix.

pub mod classify;
pub mod eval;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// A mistake in how debrief was called: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Build a [`UsageError`] wrapped in anyhow.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(message.into()))
}

#[derive(Debug, Parser)]
#[command(
    name = "debrief",
    version,
    about = "Runs your post-interview follow-up: reads your inbox, drafts thank-you notes and follow-ups, sends only what you approve.",
    long_about = "debrief watches your inbox for interview confirmations and employers' replies, keeps the state of every application, \
drafts a thank-you note for each interviewer, weekly follow-ups that respect the employer's timeline, and replies to offers and \
rejections. Nothing is sent until you approve it: see `debrief queue`, `debrief show ID` and `debrief approve ID`.\n\n\
The config is read from --config, else $DEBRIEF_CONFIG, else $XDG_CONFIG_HOME/debrief/config.toml; `debrief init` writes one."
)]
pub struct Cli {
    /// The config file [default: $DEBRIEF_CONFIG, else $XDG_CONFIG_HOME/debrief/config.toml]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Print data as JSON (queue, applications, history, classify, inbox, show).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Classify one message offline (a file, or - for standard input); needs no config.
    Classify(classify::ClassifyArgs),
    /// Evaluate the classifier over a folder of .eml files with a labels.json.
    Eval(eval::EvalArgs),
}

/// Parses the command line, runs the command and returns its exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("debrief: {err:#}");
            exit_code_for(&err)
        }
    }
}

/// 2 for usage and configuration errors, 1 for everything else.
pub fn exit_code_for(err: &anyhow::Error) -> ExitCode {
    let is_usage = err.chain().any(|cause| {
        cause.downcast_ref::<UsageError>().is_some() || cause.downcast_ref::<crate::config::ConfigError>().is_some()
    });
    if is_usage { ExitCode::from(2) } else { ExitCode::from(1) }
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Classify(args) => classify::run(args, cli.json),
        Command::Eval(args) => eval::run(args),
    }
}

//! `debrief completions SHELL`: a completion script generated from the clap definition,
//! so it can never disagree with the commands that exist.

use crate::cli::Cli;
use clap::CommandFactory;
use clap_complete::Shell;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
#[command(after_help = "Install, for example:\n  \
    bash: debrief completions bash > ~/.local/share/bash-completion/completions/debrief\n  \
    zsh:  debrief completions zsh > ~/.zfunc/_debrief   (with fpath+=~/.zfunc before compinit)\n  \
    fish: debrief completions fish > ~/.config/fish/completions/debrief.fish")]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "debrief", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

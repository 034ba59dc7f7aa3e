//! The command line (SPEC §4): a stable contract that scripts and tests rely on.
//!
//! One file per command. This module parses the arguments, finds the config, and maps
//! the outcome to an exit code: 0 success, 1 runtime failure, 2 usage or configuration
//! error, each failure with one line that says what to fix.

pub mod applications;
pub mod classify;
pub mod common;
pub mod completions;
pub mod demo;
pub mod doctor;
pub mod drafts;
pub mod eval;
pub mod inbox;
pub mod man;
pub mod rounds;
pub mod setup;
pub mod sync;

use clap::{Parser, Subcommand};
use std::io::Write as _;
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
    /// Log more (debug; -vv: trace). RUST_LOG, when set, decides instead.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The daemon: watch the inbox, plan, and send approved mail when it is due; stops
    /// cleanly on SIGTERM or SIGINT. Run it as a service (see the README).
    Run,
    /// One pass of what `run` does, then exit: read new mail, plan what is due, draft what
    /// is needed, send approved mail that is due.
    Sync,
    /// Drafts awaiting approval, and approved messages not yet sent, with when each really
    /// goes (an overdue one at the next pass, or when its send window opens).
    Queue,
    /// One draft in full: headers and body.
    Show {
        /// The draft's id (see `debrief queue`).
        id: i64,
    },
    /// Approve a draft: it is sent at its send time, or at the next pass when that has passed,
    /// and never outside the send window (an overdue draft waits for the opening; approve
    /// says when). Warns when a thank-you goes after its deadline.
    Approve {
        /// The draft's id.
        id: i64,
    },
    /// Edit a draft in $EDITOR (To, Subject and body); it returns to pending.
    Edit {
        /// The draft's id.
        id: i64,
    },
    /// Discard a draft: it will never be sent.
    Reject {
        /// The draft's id.
        id: i64,
    },
    /// The pipeline: every application with its state and next action (when, and the command
    /// that acts on it; or why nothing comes next).
    Applications,
    /// An application's timeline: transitions, messages and why.
    History {
        /// The application's id.
        id: i64,
    },
    /// Record an interview by hand.
    Add(applications::AddArgs),
    /// Add notes to an application; --topic and --strength set what the thank-you notes say
    /// (per round, and per interviewer with --person).
    Note(applications::NoteArgs),
    /// Add something new to a pending follow-up before you approve it: an article tied to
    /// your conversation, a piece of news ("I came across ... : URL"). It is rewritten with it.
    Share {
        /// The follow-up draft's id (see `debrief queue`).
        id: i64,
        /// The paragraph to add, as you would write it (one paragraph, no blank lines).
        text: String,
    },
    /// Set how to address a person; pending drafts to them are rewritten.
    Person(applications::PersonArgs),
    /// Repair an interview round the inbox got wrong: move it, cancel it, or renumber it.
    Round(rounds::RoundArgs),
    /// Correct an application's state by hand (withdrawn stops everything); says what it
    /// cancelled and drafted.
    Mark(applications::MarkArgs),
    /// Messages held for review (classified below the threshold) and unreadable ones;
    /// `inbox confirm ID` applies one, `inbox dismiss ID` sets it aside.
    Inbox(inbox::InboxArgs),
    /// Check the config, database, templates, IMAP and SMTP (TLS, login, mailboxes); say what is wrong.
    Doctor,
    /// Settle a draft whose sending was interrupted (status unknown): it was `sent`, or `retry` it.
    Resolve {
        /// The draft's id (see `debrief queue`).
        id: i64,
        /// `sent` when you found it in your Sent mail or the recipient has it; `retry` to send it again.
        outcome: drafts::Resolution,
    },
    /// Write a commented starter config.
    Init(setup::InitArgs),
    /// Classify one message offline (a file, or - for standard input); needs no config.
    Classify(classify::ClassifyArgs),
    /// Evaluate the classifier over folders of .eml files with a labels.json (one table per set, then a combined line).
    Eval(eval::EvalArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to standard output.
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff) to standard output: `debrief man | man -l -`.
    Man,
    /// A guided tour over a sample inbox, at the date its mail was written for: the
    /// pipeline, the queue, a draft, a history, what to type next. Needs no account or config.
    Demo(demo::DemoArgs),
    /// The approval page: serve the queue, the pipeline and the review inbox to your
    /// browser on this machine, with the same rules as these commands. It prints the
    /// address to open, with a one-time token; approvals made there are held
    /// (`[web] hold_seconds`, default 60) so they can be undone.
    Web(crate::web::WebArgs),
}

/// Parses the command line, runs the command and returns its exit code.
pub fn main() -> ExitCode {
    // A command whose output is piped into `head` or a pager that quits must end quietly,
    // as other Unix tools do, not panic in `println!`: the default action of SIGPIPE ends
    // the process silently (the shell sees 141). Rust ignores SIGPIPE at start-up.
    restore_sigpipe();
    let cli = Cli::parse();
    if matches!(cli.command, Command::Run | Command::Sync | Command::Web(_)) {
        // These two talk to mail servers and the database; a closed pipe must not kill
        // them between claiming a draft and recording it sent. They write their few lines
        // of output ignoring a closed pipe instead.
        ignore_sigpipe();
    }
    crate::logging::init(cli.verbose);
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            let message = crate::store::disk_full_message(&err)
                .map(|full| format!("{full} and run the command again"))
                .unwrap_or_else(|| format!("{err:#}"));
            let _ = writeln!(std::io::stderr(), "debrief: {message}");
            exit_code_for(&err)
        }
    }
}

fn restore_sigpipe() {
    // SAFETY: setting a signal's disposition to the default, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn ignore_sigpipe() {
    // SAFETY: as above; writes to a closed pipe then fail with EPIPE instead.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
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
    let config = cli.config.as_deref();
    let json = cli.json;
    let now = crate::clock::now();
    match &cli.command {
        Command::Classify(args) => return classify::run(args, json),
        Command::Eval(args) => return eval::run(args),
        Command::Completions(args) => return completions::run(args),
        Command::Man => return man::run(),
        Command::Demo(args) => demo::run(args)?,
        Command::Web(args) => crate::web::run(config, args)?,
        Command::Doctor => return doctor::run(config),
        Command::Resolve { id, outcome } => drafts::resolve(config, *id, *outcome, now)?,
        Command::Run => sync::run(config)?,
        Command::Sync => sync::sync(config)?,
        Command::Queue => drafts::queue(config, json, now)?,
        Command::Show { id } => drafts::show(config, json, *id, now)?,
        Command::Approve { id } => drafts::approve(config, *id, now)?,
        Command::Edit { id } => drafts::edit(config, *id, now)?,
        Command::Reject { id } => drafts::reject(config, *id, now)?,
        Command::Applications => applications::applications(config, json, now)?,
        Command::History { id } => applications::history(config, json, *id)?,
        Command::Add(args) => applications::add(config, args, now)?,
        Command::Note(args) => applications::note(config, args, now)?,
        Command::Person(args) => applications::person(config, args, now)?,
        Command::Share { id, text } => drafts::share(config, *id, text, now)?,
        Command::Mark(args) => applications::mark(config, args, now)?,
        Command::Round(args) => rounds::round(config, args, now)?,
        Command::Inbox(args) => inbox::inbox(config, json, args, now)?,
        Command::Init(args) => setup::init(config, args)?,
    }
    Ok(ExitCode::SUCCESS)
}

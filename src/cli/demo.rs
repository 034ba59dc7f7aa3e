//! `debrief demo`: the guided tour a newcomer meets first. It writes the shipped demo
//! (config/demo.toml and the Maildir of demo/maildir, compiled into the binary) into a
//! folder, runs the real pipeline over it (`sync`: read the Maildir, classify, apply,
//! plan, draft) and then the commands a user would type next, each with a line on what
//! it shows.
//!
//! The demo's mail has fixed dates, so the tour runs at the instant it was written for,
//! [`DEMO_NOW`] (Wed 2 Dec 2026, 17:00 in Los Angeles), passed to the same functions the
//! commands call: the core takes `now` as an input. Only this command uses a fixed
//! instant; `run`, `sync` and the other commands read the clock (`crate::clock`). It
//! needs no account, no network and no libfaketime, and installs nothing.

use crate::cli::common::load_config;
use crate::cli::{applications, drafts, inbox, usage};
use crate::planner::Planner;
use crate::sources::maildir::read_maildir;
use crate::store::Store;
use crate::templates::Templates;
use anyhow::Context as _;
use jiff::Timestamp;
use std::path::{Path, PathBuf};

/// The instant the demo's mail was written for: Wed 2 Dec 2026, 17:00 PST.
pub const DEMO_NOW: &str = "2026-12-03T01:00:00Z";

/// The demo's config, as shipped in `config/demo.toml`.
const DEMO_CONFIG: &str = include_str!("../../config/demo.toml");

/// The demo's Maildir, as shipped in `demo/maildir` (a test checks that the two agree).
pub const DEMO_MAILDIR: &[(&str, &[u8])] = &[
    ("cur/1793898720.M53132Pa.demo:2,S", include_bytes!("../../demo/maildir/cur/1793898720.M53132Pa.demo:2,S")),
    ("cur/1795472400.M52153Pb.demo:2,S", include_bytes!("../../demo/maildir/cur/1795472400.M52153Pb.demo:2,S")),
    ("cur/1795547100.M88141Pc.demo:2,S", include_bytes!("../../demo/maildir/cur/1795547100.M88141Pc.demo:2,S")),
    ("cur/1795802400.M63445Pd.demo:2,S", include_bytes!("../../demo/maildir/cur/1795802400.M63445Pd.demo:2,S")),
    ("new/1796085600.M3809Pe.demo", include_bytes!("../../demo/maildir/new/1796085600.M3809Pe.demo")),
    ("new/1796146200.M69424Pf.demo", include_bytes!("../../demo/maildir/new/1796146200.M69424Pf.demo")),
    ("new/1796159700.M15156Pg.demo", include_bytes!("../../demo/maildir/new/1796159700.M15156Pg.demo")),
    ("new/1796220000.M764Ph.demo", include_bytes!("../../demo/maildir/new/1796220000.M764Ph.demo")),
    ("new/1796240700.M41877Pi.demo", include_bytes!("../../demo/maildir/new/1796240700.M41877Pi.demo")),
];

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Keep the demo's config, Maildir and database in DIR (created; it must be empty or
    /// not exist yet), to look around afterwards with `debrief --config DIR/config.toml …`.
    /// Without it the tour runs in a temporary folder that is removed at the end.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    let now: Timestamp = DEMO_NOW.parse().context("The demo's instant")?;
    let temporary;
    let dir: PathBuf = match &args.dir {
        Some(dir) => {
            if dir.exists()
                && std::fs::read_dir(dir).with_context(|| format!("Listing {}", dir.display()))?.next().is_some()
            {
                return Err(usage(format!(
                    "--dir {}: the folder is not empty; name a new or empty folder for the demo",
                    dir.display()
                )));
            }
            dir.clone()
        }
        None => {
            temporary = tempfile::tempdir().context("Creating a temporary folder for the demo")?;
            temporary.path().to_owned()
        }
    };
    write_demo(&dir)?;
    let config_path = dir.join("config.toml");
    let config = Some(config_path.as_path());

    println!("debrief demo: a job seeker in Los Angeles, Priya, on Wed 2 Dec 2026 at 17:00. Her inbox");
    println!("(a Maildir, as mbsync keeps one) holds the mail of four applications, a newsletter and a");
    println!("recruiter's vague note. debrief reads it, keeps the state of each application and drafts");
    println!("what she should send. Nothing is sent: every draft waits for her approval.");

    step(
        "1. Read the inbox",
        "sync",
        "Each message is classified, tied to an application by its thread or the employer's domain, and applied; then every application is planned.",
    );
    sync_at(config, now)?;

    step(
        "2. The pipeline",
        "applications",
        "Every application, its state, and what debrief expects next (times in her zone).",
    );
    applications::applications(config, false, now)?;

    step(
        "3. The approval queue",
        "queue",
        "A thank-you note per Acme interviewer (the interview ended this morning) and a gracious reply to Initech's rejection.",
    );
    drafts::queue(config, false, now)?;

    step(
        "4. One draft in full",
        "show 1",
        "Headers fixed at draft time (threading, Message-ID) and the rendered text.",
    );
    drafts::show(config, false, 1, now)?;

    step(
        "5. Why an application is where it is",
        "history 3",
        "Every transition with its cause: a message, a command, or time passing.",
    );
    applications::history(config, false, 3)?;

    step(
        "6. What debrief was not sure about",
        "inbox",
        "Messages below the confidence threshold wait here for `inbox confirm` or `inbox dismiss`.",
    );
    inbox::inbox(config, false, &inbox::InboxArgs { action: None }, now)?;

    println!();
    println!("== What to type next");
    match &args.dir {
        Some(dir) => {
            let config = dir.join("config.toml");
            println!(
                "  debrief --config {} approve 1     # approve the first thank-you note (the demo sends nothing: it has no [smtp])",
                config.display()
            );
            println!("  debrief --config {} edit 2        # change a draft in $EDITOR", config.display());
            println!("  (the demo's folder {} stays; those commands run at today's date)", dir.display());
        }
        None => {
            println!(
                "  debrief demo --dir ~/debrief-demo     # the same tour, keeping its folder to try approve, edit, reject"
            );
        }
    }
    println!(
        "  debrief init --provider gmail --name \"Your Name\" --email you@gmail.com   # your own setup (README: First run)"
    );
    println!("  debrief doctor && debrief sync && debrief queue");
    println!("  debrief --help                        # every command");
    Ok(())
}

/// Writes the demo's config and Maildir (with an empty `tmp/`) into `dir`.
fn write_demo(dir: &Path) -> anyhow::Result<()> {
    for sub in ["maildir/cur", "maildir/new", "maildir/tmp"] {
        let path = dir.join(sub);
        std::fs::create_dir_all(&path).with_context(|| format!("Creating {}", path.display()))?;
    }
    let config_path = dir.join("config.toml");
    std::fs::write(&config_path, DEMO_CONFIG).with_context(|| format!("Writing {}", config_path.display()))?;
    for (name, bytes) in DEMO_MAILDIR {
        let path = dir.join("maildir").join(name);
        std::fs::write(&path, bytes).with_context(|| format!("Writing {}", path.display()))?;
    }
    Ok(())
}

/// One step of the tour: a heading, the command a user would type, why.
fn step(title: &str, command: &str, why: &str) {
    println!();
    println!("== {title}: {why}");
    println!("$ debrief {command}");
}

/// What `debrief sync` does over the demo's Maildir, at `now`: read, then plan.
fn sync_at(config: Option<&Path>, now: Timestamp) -> anyhow::Result<()> {
    let config = load_config(config)?;
    let templates = Templates::load(config.templates_dir.as_deref())?;
    let Some(maildir) = &config.maildir else { anyhow::bail!("the demo's config has no [maildir]") };
    let mut store = Store::open(&config.storage_path)?;
    let planner = Planner { config: &config, templates: &templates };
    let read = read_maildir(&mut store, &planner, &maildir.path, now)?;
    let planned = planner.plan_all(&mut store, now)?;
    println!("{}", crate::cli::sync::summary(Some("the Maildir"), &read, &planned, 0));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The binary carries the demo Maildir as shipped: a file added to or removed from
    /// demo/maildir must be added to or removed from [`DEMO_MAILDIR`] too.
    #[test]
    fn the_embedded_maildir_is_the_shipped_one() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/maildir");
        let mut shipped = Vec::new();
        for sub in ["cur", "new"] {
            for entry in std::fs::read_dir(root.join(sub)).unwrap() {
                let entry = entry.unwrap();
                let name = format!("{sub}/{}", entry.file_name().to_string_lossy());
                shipped.push((name, std::fs::read(entry.path()).unwrap()));
            }
        }
        shipped.sort();
        let embedded: Vec<(String, Vec<u8>)> =
            DEMO_MAILDIR.iter().map(|(name, bytes)| ((*name).to_owned(), bytes.to_vec())).collect();
        assert_eq!(embedded, shipped);
    }
}

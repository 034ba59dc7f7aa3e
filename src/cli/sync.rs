//! `debrief sync` and `debrief run`: one pass of the daemon, or the daemon itself (see
//! [`crate::daemon`]).

use crate::cli::common::load_config;
use crate::daemon;
use crate::templates::Templates;
use std::path::Path;

/// The runtime both commands use: one thread is plenty for one user's mail, and keeps
/// the daemon light.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

pub fn sync(config: Option<&Path>) -> anyhow::Result<()> {
    let config = load_config(config)?;
    let templates = Templates::load(config.templates_dir.as_deref())?;
    let source = match (&config.maildir, &config.imap) {
        (Some(_), _) => Some("the Maildir".to_owned()),
        (None, Some(imap)) => Some(imap.mailboxes.join(", ")),
        (None, None) => None,
    };
    let storage = config.storage_path.clone();
    let (read, report) = runtime()?.block_on(daemon::sync_once(config, templates))?;
    let mut line = source.map(|source| format!("{} ", read.sentence(&source))).unwrap_or_default();
    line.push_str(&format!(
        "Planned: {} draft(s) made, {} cancelled, {} state change(s). Sent {}.{}",
        report.drafts_created + read.plan.drafts_created,
        report.drafts_cancelled + read.plan.drafts_cancelled,
        report.transitions + read.plan.transitions,
        report.sent,
        if report.drafts_created + read.plan.drafts_created > 0 { " See `debrief queue`." } else { "" }
    ));
    println!("{line}");
    // Right after an interview, the advice is to write down how it went.
    let store = crate::store::Store::open(&storage)?;
    for prompt in crate::planner::impressions_wanted(store.conn(), crate::clock::now())? {
        println!("{prompt}");
    }
    Ok(())
}

pub fn run(config: Option<&Path>) -> anyhow::Result<()> {
    let config = load_config(config)?;
    let templates = Templates::load(config.templates_dir.as_deref())?;
    runtime()?.block_on(daemon::run(config, templates))
}

//! `debrief sync`: one pass of what the daemon does, then exit.
//!
//! The pass reads the Maildir when `[maildir]` is set (`sources::maildir`), then plans:
//! rounds that ended, thank-you notes, follow-ups, ghosting. Sending approved mail joins
//! this pass when SMTP is configured. The work lives in the sources and the planner;
//! this file only strings them together and prints one line each.

use crate::cli::common::Session;
use crate::config::ConfigError;
use crate::sources::maildir::{check_maildir, read_maildir};
use jiff::Timestamp;
use std::path::Path;

pub fn sync(config: Option<&Path>, now: Timestamp) -> anyhow::Result<()> {
    let mut session = Session::open(config)?;
    let maildir = session.config.maildir.clone();
    let source = session.config.source.clone();
    let (planner, store) = session.parts();
    let mut read = None;
    if let Some(maildir) = maildir {
        check_maildir(&maildir.path).map_err(|err| ConfigError::Invalid {
            path: source,
            key: "maildir.path".into(),
            message: err.to_string(),
        })?;
        read = Some(read_maildir(store, &planner, &maildir.path, now)?);
    }
    let mut planned = planner.plan_all(store, now)?;
    let mut line = String::new();
    if let Some(read) = &read {
        line = format!("{} ", read.sentence("the Maildir"));
        planned.add(&read.plan);
    }
    line.push_str(&format!(
        "Planned: {} draft(s) made, {} cancelled, {} state change(s).{}",
        planned.drafts_created,
        planned.drafts_cancelled,
        planned.transitions,
        if planned.drafts_created > 0 { " See `debrief queue`." } else { "" }
    ));
    println!("{line}");
    Ok(())
}

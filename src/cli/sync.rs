//! `debrief sync`: one pass of what the daemon does, then exit.
//!
//! Today the pass plans: rounds that ended, thank-you notes, follow-ups, ghosting.
//! Reading the inbox and sending approved mail join this pass when a mail source and
//! SMTP are configured.

use crate::cli::common::Session;
use jiff::Timestamp;
use std::path::Path;

pub fn sync(config: Option<&Path>, now: Timestamp) -> anyhow::Result<()> {
    let mut session = Session::open(config)?;
    let (planner, store) = session.parts();
    let report = planner.plan_all(store, now)?;
    println!(
        "Planned: {} draft(s) made, {} cancelled, {} state change(s).{}",
        report.drafts_created,
        report.drafts_cancelled,
        report.transitions,
        if report.drafts_created > 0 { " See `debrief queue`." } else { "" }
    );
    Ok(())
}

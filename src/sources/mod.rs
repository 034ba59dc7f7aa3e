//! Mail sources: where incoming messages come from. Each source reads raw messages and
//! hands every one to [`crate::ingest::ingest`], recording its own progress in the same
//! transaction, so that nothing is lost or read twice (SPEC §6.4).
//!
//! Today: a local Maildir ([`maildir`]). The IMAP watcher lives in `crate::mail`.

pub mod maildir;

use crate::ingest::{Ingested, Outcome};
use crate::planner::PlanReport;

/// What one pass over a source did, for `sync`'s summary and the logs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SourceReport {
    /// Messages read for the first time.
    pub read: usize,
    pub applied: usize,
    pub ignored: usize,
    pub needs_review: usize,
    pub duplicates: usize,
    /// Messages that could not be parsed (recorded with status `error`).
    pub errors: usize,
    /// Files that could not be opened; they are tried again next time.
    pub unreadable_files: usize,
    pub plan: PlanReport,
}

impl SourceReport {
    /// Counts one ingested message.
    pub fn count(&mut self, ingested: &Ingested) {
        self.read += 1;
        match ingested.outcome {
            Outcome::Applied => self.applied += 1,
            Outcome::Ignored => self.ignored += 1,
            Outcome::NeedsReview => self.needs_review += 1,
            Outcome::Duplicate => self.duplicates += 1,
            Outcome::Error => self.errors += 1,
        }
        self.plan.add(&ingested.report);
    }

    /// One sentence: "Read 8 new message(s): 6 applied, 1 ignored, 1 for review (`debrief inbox`)."
    pub fn sentence(&self, source: &str) -> String {
        let mut parts = vec![format!("{} applied", self.applied), format!("{} ignored", self.ignored)];
        if self.needs_review > 0 {
            parts.push(format!("{} for review (`debrief inbox`)", self.needs_review));
        }
        if self.duplicates > 0 {
            parts.push(format!("{} already known", self.duplicates));
        }
        if self.errors > 0 {
            parts.push(format!("{} unreadable (`debrief inbox`)", self.errors));
        }
        if self.unreadable_files > 0 {
            parts.push(format!("{} file(s) could not be opened and will be retried", self.unreadable_files));
        }
        format!("Read {} new message(s) from {source}: {}.", self.read, parts.join(", "))
    }
}

//! PLACEHOLDER with the agreed signature; replaced by the `ingest` branch at merge.
use crate::domain::{ApplicationId, MessageId};
use crate::planner::{PlanReport, Planner};
use jiff::Timestamp;

pub enum Origin {
    Imap { mailbox: String, uid_validity: u32, uid: u32 },
    Maildir { dir: String, name: String },
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Ignored,
    NeedsReview,
    Duplicate,
    Error,
}
pub struct Ingested {
    pub message: Option<MessageId>,
    pub application: Option<ApplicationId>,
    pub outcome: Outcome,
    pub summary: String,
    pub report: PlanReport,
}
pub fn ingest(
    _conn: &rusqlite::Connection,
    _planner: &Planner,
    _raw: &[u8],
    _origin: &Origin,
    _now: Timestamp,
) -> anyhow::Result<Ingested> {
    unimplemented!("placeholder")
}

//! PLACEHOLDER with the agreed signature; replaced by the `ingest` branch at merge.
use crate::planner::Planner;
use crate::store::Store;
use jiff::Timestamp;
use std::path::Path;
#[derive(Debug, Default)]
pub struct SourceReport {
    pub processed: usize,
}
pub fn read_maildir(_store: &mut Store, _planner: &Planner, _dir: &Path, _now: Timestamp) -> anyhow::Result<SourceReport> {
    unimplemented!()
}

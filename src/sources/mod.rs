//! PLACEHOLDER; replaced by the `ingest` branch at merge.
pub mod maildir;

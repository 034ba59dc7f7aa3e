//! A local Maildir as the inbox (`[maildir] path`), for people who sync their mail with
//! mbsync or offlineimap, and for the demo.
//!
//! Each pass reads the files of `new/` and `cur/` (never `tmp/`, where deliveries are
//! still being written) that were not read before, oldest first, and ingests each one
//! in its own transaction together with the record that it was read. A file is known by
//! the unique part of its name, before the `:` that starts the flags, so a mail client
//! that moves it from `new/` to `cur/` and marks it seen (`:2,S`) does not make it new.
//!
//! Architecture invariant: the user's files are only read, never moved, renamed or
//! changed; progress is kept in the database (`maildir_seen`).

use crate::ingest::{Origin, ingest};
use crate::planner::Planner;
use crate::sources::SourceReport;
use crate::store::{self, Store};
use anyhow::Context as _;
use jiff::Timestamp;
use std::path::{Path, PathBuf};

/// How many messages between two progress lines on standard error.
const PROGRESS_EVERY: usize = 100;

/// A folder that is not a Maildir.
#[derive(Debug, thiserror::Error)]
#[error("{} is not a Maildir: it has no {missing}/ folder (a Maildir holds cur/, new/ and tmp/)", path.display())]
pub struct NotAMaildir {
    pub path: PathBuf,
    pub missing: &'static str,
}

/// Checks that `dir` looks like a Maildir: it holds `cur/` and `new/`.
pub fn check_maildir(dir: &Path) -> Result<(), NotAMaildir> {
    for sub in ["cur", "new"] {
        if !dir.join(sub).is_dir() {
            return Err(NotAMaildir { path: dir.to_owned(), missing: sub });
        }
    }
    Ok(())
}

/// One message file, found in `new/` or `cur/`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MaildirFile {
    /// The unique part of the name, before the `:` of the flags.
    key: String,
    /// When it was delivered, in seconds: the leading number of a standard name
    /// ("1764700000.M1P2.host"), else the file's modification time.
    delivered: i64,
    path: PathBuf,
}

/// Reads the messages of the Maildir `dir` that were not read before. See the module docs.
pub fn read_maildir(store: &mut Store, planner: &Planner, dir: &Path, now: Timestamp) -> anyhow::Result<SourceReport> {
    check_maildir(dir)?;
    // The progress key of the folder: its absolute path, so that running from another
    // working directory does not read everything again.
    let folder = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned()).display().to_string();
    let seen = store::maildir_seen_names(store.conn(), &folder)?;
    let mut files: Vec<MaildirFile> = list_files(dir)?.into_iter().filter(|file| !seen.contains(&file.key)).collect();
    files.sort_by(|a, b| (a.delivered, &a.key).cmp(&(b.delivered, &b.key)));
    let total = files.len();
    let mut report = SourceReport::default();
    for (index, file) in files.iter().enumerate() {
        let raw = match read_bounded(&file.path) {
            Ok(raw) => raw,
            Err(err) => {
                // Most often a mail client moved it between listing and reading: it is
                // found under its new name next time, and nothing was recorded.
                progress(format_args!("could not read {}; it will be tried again: {err}", file.path.display()));
                report.unreadable_files += 1;
                continue;
            }
        };
        let origin = Origin::Maildir { dir: folder.clone(), name: file.key.clone() };
        let tx = store.transaction()?;
        let ingested = ingest(&tx, planner, &raw, &origin, now)
            .with_context(|| format!("Recording the message {}", file.path.display()))?;
        store::insert_maildir_seen(&tx, &folder, &file.key, ingested.message, now)?;
        tx.commit()?;
        ingested.log();
        report.count(&ingested);
        if total >= PROGRESS_EVERY && (index + 1) % PROGRESS_EVERY == 0 {
            progress(format_args!("{} of {total} messages read from {}", index + 1, dir.display()));
        }
    }
    Ok(report)
}

/// One line on standard error for the user watching a long read. `sync` and `run` ignore
/// SIGPIPE, so a closed stderr (`debrief sync 2>&1 | head -1`) makes the write fail, and
/// that must not stop the reading: `eprintln!` would panic, so the line is dropped.
fn progress(line: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "debrief: {line}");
}

/// A message file's bytes, at most one more than the pre-check accepts: a file of
/// gigabytes is refused for its size (`classify::limits`) without being read whole.
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let limit = crate::classify::limits::LIMITS.max_message_bytes as u64 + 1;
    let mut raw = Vec::new();
    std::fs::File::open(path)?.take(limit).read_to_end(&mut raw)?;
    Ok(raw)
}

/// The message files of `new/` and `cur/`; a name seen in both (a move caught halfway)
/// is listed once.
fn list_files(dir: &Path) -> anyhow::Result<Vec<MaildirFile>> {
    let mut files: Vec<MaildirFile> = Vec::new();
    let mut keys = std::collections::HashSet::new();
    for sub in ["new", "cur"] {
        let folder = dir.join(sub);
        let entries = std::fs::read_dir(&folder).with_context(|| format!("Listing {}", folder.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("Listing {}", folder.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            // Dot files are not messages (.keep, editor and client leftovers).
            if name.starts_with('.') || !entry.file_type().is_ok_and(|kind| kind.is_file()) {
                continue;
            }
            let key = unique_part(&name).to_owned();
            if !keys.insert(key.clone()) {
                continue;
            }
            let delivered = delivery_seconds(&key).unwrap_or_else(|| modified_seconds(&entry.path()));
            files.push(MaildirFile { key, delivered, path: entry.path() });
        }
    }
    Ok(files)
}

/// The name without its flags: "1764700000.M1P2.host:2,S" → "1764700000.M1P2.host".
fn unique_part(name: &str) -> &str {
    name.split(':').next().unwrap_or(name)
}

fn delivery_seconds(key: &str) -> Option<i64> {
    key.split('.').next().filter(|digits| !digits.is_empty()).and_then(|digits| digits.parse().ok())
}

fn modified_seconds(path: &Path) -> i64 {
    std::fs::metadata(path)
        .and_then(|meta| meta.modified())
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |age| i64::try_from(age.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests;

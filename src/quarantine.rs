//! Quarantine: a message during which debrief died is recorded and never read again,
//! so that one poison message cannot stop reading for good (issue 9).
//!
//! Before a message is parsed, [`Reading::begin`] writes where it is (its [`Origin`])
//! into this process's marker file beside the database, `<database>.reading.<pid>`;
//! dropping the `Reading` clears it. The file is written without fsync: the deaths this
//! is for (out of memory, a stack overflow, an abort, SIGKILL) keep the page cache, and
//! after a power cut an empty marker only means the message is read again. Each process
//! holds an exclusive lock (`flock`) on its own marker while it lives, so [`start`] can
//! tell a dead process's marker (unlocked) from a live one's (a `debrief sync` beside
//! the daemon).
//!
//! At start, every unlocked marker that names a message is turned, in one transaction,
//! into a message row with status `error` (listed by `debrief inbox`, saying where the
//! message is) and a `quarantined` row keyed by its place. When a source comes to that
//! place again, `ingest` finds it quarantined and returns its row without parsing it,
//! and the source records its progress past it as for any message.
//!
//! What it does not do: decide that a message is dangerous (the pre-check in
//! `classify::limits` refuses known shapes before this is ever needed), or retry: a
//! message that was being read when debrief was killed for another reason (a SIGKILL
//! in that millisecond) is quarantined too, and the user reads it in their mail client.

use crate::domain::MessageId;
use crate::ingest::{Origin, synthetic_message_id};
use crate::store::{self, MessageRow, Store};
use anyhow::Context as _;
use jiff::Timestamp;
use rusqlite::Connection;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Read as _;
use std::os::unix::fs::{FileExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// What `debrief inbox` says about a quarantined message, after where it is.
pub const REASON: &str = "debrief stopped while reading this message; it is quarantined and will not be read again \
     (open it in your mail client, then `debrief inbox dismiss ID`)";

/// This process's marker for each database it reads mail into (one, except in tests),
/// keyed by the marker's path.
static MARKERS: Mutex<Option<HashMap<PathBuf, Marker>>> = Mutex::new(None);

struct Marker {
    /// Open and locked for the life of the process.
    file: File,
    /// The messages being read now (at most one: [`PARSING`]), each with
    /// a token so that each `Reading` removes its own.
    in_flight: Vec<(u64, String)>,
    next_token: u64,
}

impl Marker {
    /// Rewrites the file: one JSON origin per line, empty when nothing is being read.
    fn write(&self) {
        let mut text = String::new();
        for (_, origin) in &self.in_flight {
            text.push_str(origin);
            text.push('\n');
        }
        // Failing to write the marker only loses the quarantine for this message: say
        // so, never stop reading for it.
        let written = self.file.write_all_at(text.as_bytes(), 0).and_then(|()| self.file.set_len(text.len() as u64));
        if let Err(err) = written {
            tracing::warn!("Could not write the quarantine marker: {err}.");
        }
    }
}

fn markers() -> MutexGuard<'static, Option<HashMap<PathBuf, Marker>>> {
    MARKERS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The marker files of the database at `database` start with this path.
fn marker_prefix(database: &Path) -> PathBuf {
    let mut name = database.file_name().unwrap_or_default().to_os_string();
    name.push(".reading.");
    database.with_file_name(name)
}

/// The database file of a connection; `None` in memory.
pub(crate) fn database_of(conn: &Connection) -> Option<PathBuf> {
    conn.path().filter(|path| !path.is_empty()).map(PathBuf::from)
}

/// One parse at a time in a process that keeps a marker. Parses may start on several
/// threads (each watched mailbox's first-scan thread, the store step classifying bulk
/// mail from a known employer): were they in flight together, a poison message that kills
/// the process would leave the innocent messages beside it in the marker, and all would
/// be quarantined. Each [`Reading`] holds this for its life, so a marker names exactly the
/// message that was being read. Nothing waits on anything else while holding it.
static PARSING: Mutex<()> = Mutex::new(());

/// A message being read, from [`Reading::begin`] until dropped.
#[must_use = "the message counts as being read until this is dropped"]
pub struct Reading {
    marker: Option<(PathBuf, u64)>,
    /// Held while the marker names this message (dropped after `Drop` cleared it).
    _parsing: Option<MutexGuard<'static, ()>>,
}

impl Reading {
    /// Notes that the message at `origin` (bytes `raw`) is being read into the database
    /// of `conn`. Does nothing when this process has not [`start`]ed on that database.
    pub fn begin(conn: &Connection, origin: &Origin, raw: &[u8]) -> Reading {
        Reading::begin_at(database_of(conn).as_deref(), origin, raw)
    }

    /// [`Reading::begin`] for the database file at `database` (`None`: in memory), on a
    /// thread that holds no connection: the first scan parses on a thread of its own
    /// (`watcher`), while the store writes the messages before.
    pub fn begin_at(database: Option<&Path>, origin: &Origin, raw: &[u8]) -> Reading {
        let mut reading = Reading { marker: None, _parsing: None };
        if let Some(database) = database {
            let path = marker_prefix(database);
            let active = markers().as_ref().is_some_and(|markers| markers.contains_key(&path));
            if active {
                // Before the markers' lock: a parse in flight holds this, not that.
                reading._parsing = Some(PARSING.lock().unwrap_or_else(PoisonError::into_inner));
            }
            let mut guard = markers();
            if let Some(marker) = guard.as_mut().and_then(|markers| markers.get_mut(&path)) {
                let token = marker.next_token;
                marker.next_token += 1;
                let line = serde_json::to_string(origin).unwrap_or_default();
                marker.in_flight.push((token, line));
                marker.write();
                reading.marker = Some((path, token));
            }
        }
        abort_if_asked(raw);
        reading
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        let Some((path, token)) = self.marker.take() else { return };
        if let Some(marker) = markers().as_mut().and_then(|markers| markers.get_mut(&path)) {
            marker.in_flight.retain(|(own, _)| *own != token);
            marker.write();
        }
    }
}

/// Debug builds only, for the tests of this module: dies as an out-of-memory parser
/// would, on a message that contains the text in `DEBRIEF_TEST_ABORT_ON`.
fn abort_if_asked(raw: &[u8]) {
    if cfg!(debug_assertions)
        && let Some(needle) = std::env::var_os("DEBRIEF_TEST_ABORT_ON")
        && !needle.is_empty()
        && raw.windows(needle.len()).any(|window| window == needle.as_encoded_bytes())
    {
        std::process::abort();
    }
}

/// At the start of a process that reads mail into `store`: quarantines the messages
/// that dead processes were reading (see the module docs), then takes this process's
/// own marker. Returns what it quarantined.
pub fn start(store: &mut Store, now: Timestamp) -> anyhow::Result<Vec<Quarantined>> {
    let Some(database) = database_of(store.conn()) else { return Ok(Vec::new()) };
    let prefix = marker_prefix(&database);
    let folder = prefix.parent().map(Path::to_owned).unwrap_or_else(|| PathBuf::from("."));
    let prefix_name = prefix.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let mut found = Vec::new();
    let entries = std::fs::read_dir(&folder).with_context(|| format!("Listing {}", folder.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(&prefix_name) {
            continue;
        }
        found.extend(take_leftover(store, &entry.path(), now)?);
    }
    install(&prefix)?;
    Ok(found)
}

/// A message quarantined at start.
#[derive(Debug, Clone)]
pub struct Quarantined {
    pub message: MessageId,
    pub place: String,
}

/// Quarantines what the marker at `path` names, unless a live process holds it.
fn take_leftover(store: &mut Store, path: &Path, now: Timestamp) -> anyhow::Result<Vec<Quarantined>> {
    let Ok(mut file) = OpenOptions::new().read(true).write(true).open(path) else { return Ok(Vec::new()) };
    if file.try_lock().is_err() {
        return Ok(Vec::new());
    }
    let mut text = String::new();
    file.read_to_string(&mut text).with_context(|| format!("Reading {}", path.display()))?;
    let origins: Vec<Origin> = text.lines().filter_map(|line| serde_json::from_str(line).ok()).collect();
    let mut quarantined = Vec::new();
    let tx = store.transaction()?;
    for origin in &origins {
        if let Some(message) = record(&tx, origin, now)? {
            quarantined.push(Quarantined { message, place: origin.place() });
        }
    }
    tx.commit()?;
    // Only once it is recorded: a failure above leaves the marker for the next start.
    std::fs::remove_file(path).with_context(|| format!("Removing {}", path.display()))?;
    Ok(quarantined)
}

/// Records the message at `origin` as quarantined: a message row with status `error`
/// and a `quarantined` row. `None` when it already was.
pub fn record(conn: &Connection, origin: &Origin, now: Timestamp) -> anyhow::Result<Option<MessageId>> {
    let source = origin.source_key();
    if store::quarantined_message(conn, &source)?.is_some() {
        return Ok(None);
    }
    let mut row = MessageRow {
        direction: "in".into(),
        message_id: Some(synthetic_message_id(format!("quarantined {source}").as_bytes())),
        status: crate::ingest::Outcome::Error.as_str().into(),
        error: Some(format!("{}: {REASON}", origin.place())),
        received_at: Some(now),
        ..MessageRow::default()
    };
    crate::ingest::set_origin(&mut row, origin);
    let message = store::insert_message(conn, &row, now)?;
    store::insert_quarantined(conn, &source, message, now)?;
    Ok(Some(message))
}

/// Creates and locks this process's marker. It is locked under a temporary name that
/// does not start with the markers' prefix and then renamed, so that no starting process
/// ever sees it unlocked.
fn install(prefix: &Path) -> anyhow::Result<()> {
    let mut final_name = prefix.as_os_str().to_owned();
    final_name.push(std::process::id().to_string());
    let final_path = PathBuf::from(final_name);
    let database_name = prefix.file_name().unwrap_or_default().to_string_lossy().replace(".reading.", "");
    let temporary = final_path.with_file_name(format!("{database_name}.new-marker.{}", std::process::id()));
    // Readable by the user only, like the database: it names their mailboxes and files.
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)
        .with_context(|| format!("Creating the quarantine marker {}", temporary.display()))?;
    file.lock().with_context(|| format!("Locking {}", temporary.display()))?;
    std::fs::rename(&temporary, &final_path).with_context(|| format!("Creating {}", final_path.display()))?;
    markers()
        .get_or_insert_with(HashMap::new)
        .insert(prefix.to_owned(), Marker { file, in_flight: Vec::new(), next_token: 0 });
    Ok(())
}

/// At the end of a process that [`start`]ed on the database of `conn`: removes its
/// marker (nothing is being read any more).
pub fn finish(conn: &Connection) {
    let Some(database) = database_of(conn) else { return };
    let prefix = marker_prefix(&database);
    let Some(marker) = markers().as_mut().and_then(|markers| markers.remove(&prefix)) else { return };
    let mut name = prefix.into_os_string();
    name.push(std::process::id().to_string());
    // A marker left behind is removed by the next start anyway.
    let _ = std::fs::remove_file(name);
    drop(marker);
}

#[cfg(test)]
mod tests;

//! The SQLite store: applications, rounds, people, messages, the outbox and history.
//!
//! One file, opened by the daemon and the CLI at the same time: WAL, a busy timeout,
//! `synchronous = FULL` (a message marked `sending` must still be marked after a power
//! cut), foreign keys on. Writers take `BEGIN IMMEDIATE` transactions so two processes
//! never deadlock upgrading a read lock. Times are stored as RFC 3339 UTC text with
//! whole seconds, which sorts as text.
//!
//! This module knows SQL and rows; it makes no decisions. The planner asks the domain
//! what to do and uses these functions to do it.

mod drafting;
mod hold;
mod progress;
mod quarantine;
mod queries;
mod refused;

pub use drafting::*;
pub use hold::*;
pub use progress::*;
pub use quarantine::*;
pub use queries::*;
pub use refused::*;

use anyhow::Context as _;
use jiff::Timestamp;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use rusqlite_migration::{M, Migrations};
use std::path::Path;
use std::sync::LazyLock;
use std::time::Duration;

static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| Migrations::new(migration_steps()));

/// The schema's steps, oldest first. Append only: a database records how many it ran.
fn migration_steps() -> Vec<M<'static>> {
    vec![
        M::up(include_str!("migrations/001_initial.sql")),
        M::up(include_str!("migrations/002_maildir_seen.sql")),
        M::up(include_str!("migrations/003_quarantine.sql")),
        M::up(include_str!("migrations/004_lookup_indexes.sql")),
        M::up(include_str!("migrations/005_talking_points.sql")),
        M::up(include_str!("migrations/006_web.sql")),
        M::up(include_str!("migrations/007_refused_addresses.sql")),
    ]
}

/// An open database.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    ///
    /// The database holds the user's mail: a new file is created with mode 0600 (and a new
    /// folder 0700) whatever the umask, and SQLite gives its `-wal` and `-shm` files the
    /// database file's mode.
    pub fn open(path: &Path) -> anyhow::Result<Store> {
        use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)
                .with_context(|| format!("Creating the database folder {}", parent.display()))?;
        }
        if let Ok(mut opened) = OPENED.lock() {
            *opened = Some(path.to_owned());
        }
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => make_private(path),
            Err(err) => return Err(err).with_context(|| format!("Creating the database {}", path.display())),
        }
        let conn = Connection::open(path).with_context(|| format!("Opening the database {}", path.display()))?;
        Store::prepare(conn).with_context(|| format!("Preparing the database {}", path.display()))
    }

    /// A private database in memory, for tests.
    pub fn open_in_memory() -> anyhow::Result<Store> {
        Store::prepare(Connection::open_in_memory()?)
    }

    fn prepare(mut conn: Connection) -> anyhow::Result<Store> {
        conn.busy_timeout(Duration::from_secs(10))?;
        // Statements are prepared once per connection and reused (`prepare_cached`): the
        // hot ones run for every incoming message.
        conn.set_prepared_statement_cache_capacity(64);
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        MIGRATIONS.to_latest(&mut conn).context("Migrating the database schema")?;
        Ok(Store { conn })
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// A write transaction that holds the write lock from its start.
    pub fn transaction(&mut self) -> anyhow::Result<Transaction<'_>> {
        Ok(self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
    }
}

/// A database made before debrief created it 0600 (or copied in under a loose umask) holds
/// the user's mail readable by others: its file and its `-wal` and `-shm` (which SQLite
/// creates with the database's mode, and which outlive a process that dies) lose every
/// group and other permission. One that cannot be changed (another owner) is said once
/// and left as it is: the user may have a reason, and reading it is still allowed.
fn make_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let mut files = vec![path.to_owned()];
    for suffix in ["-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        files.push(name.into());
    }
    for file in files {
        let Ok(metadata) = std::fs::metadata(&file) else { continue };
        let mode = metadata.permissions().mode();
        if mode & 0o077 == 0 {
            continue;
        }
        match std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode & 0o700)) {
            Ok(()) => tracing::info!(
                "{} was readable by other users (mode {:o}): made private to you (mode {:o}).",
                file.display(),
                mode & 0o777,
                mode & 0o700
            ),
            Err(err) => tracing::warn!(
                "{} is readable by other users (mode {:o}) and could not be made private: {err}; `chmod 600` it.",
                file.display(),
                mode & 0o777
            ),
        }
    }
}

/// The database file this process opened last, for error messages that name it.
static OPENED: std::sync::Mutex<Option<std::path::PathBuf>> = std::sync::Mutex::new(None);

/// Below this much free space, an I/O error while writing the database is taken to be
/// the full disk: SQLite reports ENOSPC as `SQLITE_FULL` only on some paths, as "disk I/O
/// error" on others (a WAL frame, the shared-memory file).
const NEARLY_FULL_BYTES: u64 = 1024 * 1024;

/// "The disk is full" in one line that names the database, when `err` is SQLite failing
/// for lack of space (`SQLITE_FULL`, or an I/O error on a nearly full filesystem); else
/// `None`. Nothing was written: the transaction was rolled back. It ends with what to do
/// ("free some space on that disk"), for the caller to follow with what happens next.
pub fn disk_full_message(err: &anyhow::Error) -> Option<String> {
    let code = err.chain().find_map(|cause| match cause.downcast_ref::<rusqlite::Error>() {
        Some(rusqlite::Error::SqliteFailure(failure, _)) => Some(failure.code),
        _ => None,
    })?;
    let path = OPENED.lock().ok().and_then(|opened| opened.clone());
    let free = path.as_deref().and_then(free_bytes);
    let full = match code {
        rusqlite::ErrorCode::DiskFull => true,
        rusqlite::ErrorCode::SystemIoFailure => free.is_some_and(|free| free < NEARLY_FULL_BYTES),
        _ => false,
    };
    if !full {
        return None;
    }
    let database = path.map(|path| path.display().to_string()).unwrap_or_else(|| "the database".into());
    let free = free.map(|free| format!(" ({} KiB free)", free / 1024)).unwrap_or_default();
    Some(format!("the disk is full: cannot write {database}{free}; free some space on that disk"))
}

/// `err` in words for a log line or the terminal: [`disk_full_message`] when the disk is
/// full (not SQLite's "disk I/O error"), else the whole chain of causes.
pub fn error_text(err: &anyhow::Error) -> String {
    disk_full_message(err).unwrap_or_else(|| format!("{err:#}"))
}

/// Bytes available to this user on the filesystem of `path` (its folder, if the file is
/// not there).
fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt as _;
    let target = if path.exists() { path } else { path.parent()? };
    let name = std::ffi::CString::new(target.as_os_str().as_bytes()).ok()?;
    let mut stats = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `name` is a valid C string and `stats` a buffer statvfs fills on success.
    let result = unsafe { libc::statvfs(name.as_ptr(), stats.as_mut_ptr()) };
    if result != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled `stats`.
    let stats = unsafe { stats.assume_init() };
    #[allow(clippy::unnecessary_cast)] // the field types differ between platforms
    Some(stats.f_bavail as u64 * stats.f_frsize as u64)
}

/// A timestamp as stored: UTC, whole seconds.
pub fn ts_to_sql(instant: Timestamp) -> String {
    Timestamp::from_second(instant.as_second()).unwrap_or(instant).to_string()
}

/// Reads a stored timestamp.
pub fn ts_from_sql(text: &str) -> rusqlite::Result<Timestamp> {
    text.parse().map_err(|err: jiff::Error| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(err))
    })
}

#[cfg(test)]
mod tests;

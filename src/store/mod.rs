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

mod progress;
mod queries;

pub use progress::*;
pub use queries::*;

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
        M::up(include_str!("migrations/005_lookup_indexes.sql")),
    ]
}

/// An open database.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> anyhow::Result<Store> {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("Creating the database folder {}", parent.display()))?;
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

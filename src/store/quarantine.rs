//! Quarantined messages: where each one is, and its row in `messages` (issue 9; see
//! `crate::quarantine`).

use super::ts_to_sql;
use crate::domain::MessageId;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

/// The message row of the quarantined message at `source`, if there is one.
pub fn quarantined_message(conn: &Connection, source: &str) -> rusqlite::Result<Option<MessageId>> {
    conn.query_row("SELECT message_id FROM quarantined WHERE source = ?1", [source], |row| row.get(0).map(MessageId))
        .optional()
}

/// Records that the message at `source` (stored as `message`) is quarantined.
pub fn insert_quarantined(conn: &Connection, source: &str, message: MessageId, now: Timestamp) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO quarantined (source, message_id, quarantined_at) VALUES (?1, ?2, ?3)",
        params![source, message.0, ts_to_sql(now)],
    )?;
    Ok(())
}

/// Every quarantined place (few: one per message that killed a process).
pub fn quarantined_sources(conn: &Connection) -> rusqlite::Result<std::collections::HashSet<String>> {
    let mut statement = conn.prepare("SELECT source FROM quarantined")?;
    statement.query_map([], |row| row.get(0))?.collect()
}

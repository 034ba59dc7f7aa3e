//! Where reading each watched mailbox stopped: its UIDVALIDITY and the last UID whose
//! effects are committed. Written in the same transaction as those effects (SPEC §6.4),
//! so a crash loses nothing and repeats nothing.

use super::ts_to_sql;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

/// A mailbox's stored progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxProgress {
    pub uid_validity: u32,
    pub last_uid: u32,
}

pub fn mailbox_progress(conn: &Connection, mailbox: &str) -> rusqlite::Result<Option<MailboxProgress>> {
    conn.query_row("SELECT uid_validity, last_uid FROM mailbox_progress WHERE mailbox = ?1", [mailbox], |row| {
        Ok(MailboxProgress { uid_validity: row.get(0)?, last_uid: row.get(1)? })
    })
    .optional()
}

/// Records that every message of `mailbox` up to `uid` is processed. Never moves back
/// within one UIDVALIDITY: two readers of the same mailbox (the watcher, and the check
/// right before a follow-up is sent) may finish in either order.
pub fn record_mailbox_progress(
    conn: &Connection,
    mailbox: &str,
    uid_validity: u32,
    uid: u32,
    now: Timestamp,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO mailbox_progress (mailbox, uid_validity, last_uid, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (mailbox) DO UPDATE SET
             last_uid = CASE WHEN uid_validity = excluded.uid_validity
                             THEN max(last_uid, excluded.last_uid) ELSE excluded.last_uid END,
             uid_validity = excluded.uid_validity,
             updated_at = excluded.updated_at",
    )?
    .execute(params![mailbox, uid_validity, uid, ts_to_sql(now)])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn progress_never_moves_back_within_one_uid_validity_and_restarts_with_a_new_one() {
        let store = Store::open_in_memory().unwrap();
        let conn = store.conn();
        let now: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        assert_eq!(mailbox_progress(conn, "INBOX").unwrap(), None);
        record_mailbox_progress(conn, "INBOX", 7, 10, now).unwrap();
        record_mailbox_progress(conn, "INBOX", 7, 4, now).unwrap();
        assert_eq!(mailbox_progress(conn, "INBOX").unwrap(), Some(MailboxProgress { uid_validity: 7, last_uid: 10 }));
        record_mailbox_progress(conn, "INBOX", 9, 2, now).unwrap();
        assert_eq!(mailbox_progress(conn, "INBOX").unwrap(), Some(MailboxProgress { uid_validity: 9, last_uid: 2 }));
        assert_eq!(mailbox_progress(conn, "Other").unwrap(), None);
    }
}

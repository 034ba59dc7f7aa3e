//! The hold (issue 13): an approval made in the page is held for a short time
//! (`[web] hold_seconds`) before it may go, so that a click can be undone.
//!
//! The hold is a column of the outbox, not a timer in the page: the daemon's
//! `due_drafts` and the claim's `refusal` skip a held draft, `queue` shows it, and any
//! process can undo it or release it. Like every draft change, each function here is a
//! compare-and-swap on the state it requires, returning whether it changed the row.

use super::ts_to_sql;
use crate::domain::{DraftId, DraftStatus};
use jiff::Timestamp;
use rusqlite::{Connection, params};

/// Approves a draft (through [`super::approve_draft`], the one rule of approval) and
/// holds it until `until`, if it is still `from`.
pub fn approve_draft_held(
    conn: &Connection,
    id: DraftId,
    from: DraftStatus,
    until: Timestamp,
    now: Timestamp,
) -> rusqlite::Result<bool> {
    if !super::approve_draft(conn, id, from, now)? {
        return Ok(false);
    }
    let changed = conn.execute(
        "UPDATE drafts SET hold_until = ?2 WHERE id = ?1 AND status = 'approved'",
        params![id.0, ts_to_sql(until)],
    )?;
    Ok(changed == 1)
}

/// Undoes an approval while it is held: back to pending, the approval forgotten. Refused
/// (`false`) once the hold is over (the draft may be on its way) or if it is no longer
/// approved.
pub fn undo_held_approval(conn: &Connection, id: DraftId, now: Timestamp) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE drafts
         SET status = 'pending', status_reason = 'approval undone', approved_at = NULL, approved_to = NULL,
             hold_until = NULL, updated_at = ?2
         WHERE id = ?1 AND status = 'approved' AND hold_until IS NOT NULL AND hold_until > ?2",
        params![id.0, ts_to_sql(now)],
    )?;
    Ok(changed == 1)
}

/// Ends a hold now ("send now"): the draft goes at its send time, if it is still an
/// approved, held draft.
pub fn release_hold(conn: &Connection, id: DraftId, now: Timestamp) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE drafts SET hold_until = NULL, updated_at = ?2
         WHERE id = ?1 AND status = 'approved' AND hold_until IS NOT NULL",
        params![id.0, ts_to_sql(now)],
    )?;
    Ok(changed == 1)
}

/// The text debrief generated for a draft edited by hand since (in the form of
/// `debrief edit`), or `None` when the draft is as generated.
pub fn generated_text(conn: &Connection, id: DraftId) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension as _;
    Ok(conn
        .query_row("SELECT generated_text FROM drafts WHERE id = ?1", [id.0], |row| row.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, due_drafts, get_draft, next_send_at};

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// One pending draft due at 10:00, in a fresh database.
    fn store_with_draft() -> (Store, DraftId) {
        let store = Store::open_in_memory().unwrap();
        let conn = store.conn();
        let now = ts("2026-12-01T09:00:00Z");
        conn.execute(
            "INSERT INTO applications (company, created_at, updated_at) VALUES ('Acme', ?1, ?1)",
            [ts_to_sql(now)],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO drafts (application_id, kind, to_emails, subject, body, message_id, send_at, created_at,
                 updated_at)
             VALUES (1, 'thank_you', 'jane@acme.example', 'Thank you', 'Hi', 'm1@example.net', ?1, ?2, ?2)",
            [ts_to_sql(ts("2026-12-01T10:00:00Z")), ts_to_sql(now)],
        )
        .unwrap();
        (store, DraftId(1))
    }

    #[test]
    fn a_held_approval_is_not_due_until_its_hold_ends() {
        let (store, id) = store_with_draft();
        let conn = store.conn();
        let approved_at = ts("2026-12-01T10:00:00Z");
        let until = ts("2026-12-01T10:01:00Z");
        assert!(approve_draft_held(conn, id, DraftStatus::Pending, until, approved_at).unwrap());
        assert_eq!(get_draft(conn, id).unwrap().unwrap().hold_until, Some(until));
        assert!(due_drafts(conn, ts("2026-12-01T10:00:59Z")).unwrap().is_empty(), "held: not due");
        assert_eq!(next_send_at(conn).unwrap(), Some(until), "the sender wakes when the hold ends");
        assert_eq!(due_drafts(conn, until).unwrap().len(), 1, "due when the hold ends");
    }

    #[test]
    fn undo_works_only_inside_the_hold_and_send_now_ends_it() {
        let (store, id) = store_with_draft();
        let conn = store.conn();
        let now = ts("2026-12-01T10:00:00Z");
        let until = ts("2026-12-01T10:01:00Z");
        assert!(approve_draft_held(conn, id, DraftStatus::Pending, until, now).unwrap());
        assert!(!undo_held_approval(conn, id, until).unwrap(), "the hold is over: too late to undo");
        assert!(undo_held_approval(conn, id, ts("2026-12-01T10:00:30Z")).unwrap());
        let draft = get_draft(conn, id).unwrap().unwrap();
        assert_eq!((draft.status, draft.approved_at, draft.hold_until), (DraftStatus::Pending, None, None));
        assert!(!undo_held_approval(conn, id, now).unwrap(), "a pending draft has nothing to undo");

        assert!(approve_draft_held(conn, id, DraftStatus::Pending, until, now).unwrap());
        assert!(release_hold(conn, id, now).unwrap());
        assert_eq!(due_drafts(conn, now).unwrap().len(), 1, "send now: due at its send time");
        assert!(!undo_held_approval(conn, id, now).unwrap(), "no hold, no undo");
        assert!(!release_hold(conn, id, now).unwrap(), "nothing to release twice");
    }

    #[test]
    fn the_generated_text_is_kept_at_the_first_edit_and_forgotten_at_a_re_render() {
        use crate::store::{DraftContent, update_draft_content};
        let (store, id) = store_with_draft();
        let conn = store.conn();
        let now = ts("2026-12-01T10:00:00Z");
        assert_eq!(generated_text(conn, id).unwrap(), None);
        let to = vec!["jane@acme.example".to_owned(), "bob@acme.example".to_owned()];
        for body in ["First edit", "Second edit"] {
            let edit = DraftContent { to: &to, subject: "Thanks", body, needs_topic: false, edited: true };
            assert!(update_draft_content(conn, id, DraftStatus::Pending, &edit, now).unwrap());
        }
        let generated = "To: jane@acme.example\nSubject: Thank you\n\nHi";
        assert_eq!(generated_text(conn, id).unwrap().as_deref(), Some(generated), "the first, generated text");
        let render = DraftContent { to: &to, subject: "Thank you", body: "Hi", needs_topic: false, edited: false };
        assert!(update_draft_content(conn, id, DraftStatus::Pending, &render, now).unwrap());
        assert_eq!(generated_text(conn, id).unwrap(), None);
    }

    #[test]
    fn a_plain_approval_clears_an_old_hold() {
        let (store, id) = store_with_draft();
        let conn = store.conn();
        let now = ts("2026-12-01T10:00:00Z");
        assert!(approve_draft_held(conn, id, DraftStatus::Pending, ts("2026-12-01T11:00:00Z"), now).unwrap());
        assert!(crate::store::withdraw_approval(conn, id, "recipients changed", now).unwrap());
        assert!(crate::store::approve_draft(conn, id, DraftStatus::Pending, now).unwrap());
        assert_eq!(get_draft(conn, id).unwrap().unwrap().hold_until, None);
        assert_eq!(due_drafts(conn, now).unwrap().len(), 1);
    }
}

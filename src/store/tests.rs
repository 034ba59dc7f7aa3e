use super::*;
use crate::domain::{ApplicationState, DraftKind, DraftStatus};

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

#[test]
fn migrations_are_valid() {
    MIGRATIONS.validate().unwrap();
}

/// The plan SQLite chooses for `sql`, one line per step.
fn query_plan(conn: &Connection, sql: &str) -> String {
    let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let rows = statement.query_map([], |row| row.get::<_, String>(3)).unwrap();
    rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
}

/// Regression (issue 11): the Message-ID lookups of every incoming message scanned the
/// whole messages table, which made a first scan quadratic in the mailbox.
#[test]
fn message_id_lookups_use_an_index() {
    let store = Store::open_in_memory().unwrap();
    let conn = store.conn();
    for sql in [
        "SELECT id FROM messages WHERE message_id = 'a@b' ORDER BY id LIMIT 1",
        "SELECT application_id FROM messages WHERE message_id = 'a@b' AND application_id IS NOT NULL
         UNION ALL SELECT application_id FROM drafts WHERE message_id = 'a@b' LIMIT 1",
        "SELECT id FROM messages WHERE direction = 'out' AND message_id = 'a@b'",
    ] {
        let plan = query_plan(conn, sql);
        assert!(!plan.contains("SCAN messages"), "{sql}\n{plan}");
        assert!(plan.contains("USING INDEX") || plan.contains("USING COVERING INDEX"), "{sql}\n{plan}");
    }
}

#[test]
fn a_database_file_is_reopened_without_losing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/debrief.db");
    let now = ts("2026-12-01T00:00:00Z");
    {
        let store = Store::open(&path).unwrap();
        insert_application(store.conn(), "Acme", "Engineer", None, ApplicationState::Applied, now).unwrap();
    }
    let store = Store::open(&path).unwrap();
    let mode: String = store.conn().query_row("PRAGMA journal_mode", [], |row| row.get(0)).unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(list_applications(store.conn()).unwrap().len(), 1);
}

#[test]
fn a_draft_round_trips_and_approval_fixes_its_recipients() {
    let mut store = Store::open_in_memory().unwrap();
    let now = ts("2026-12-01T00:00:00Z");
    let tx = store.transaction().unwrap();
    let app =
        insert_application(&tx, "Acme", "Engineer", Some("acme.example"), ApplicationState::Scheduled, now).unwrap();
    let person = upsert_person(&tx, Some("Jane Doe"), Some("jane@acme.example"), now).unwrap();
    assert_eq!(
        upsert_person(&tx, Some("Jane"), Some("JANE@acme.example"), now).unwrap(),
        person,
        "addresses match without case"
    );
    let new = NewDraft {
        application_id: app,
        kind: DraftKind::ThankYou,
        round_id: None,
        person_id: Some(person),
        series: 0,
        number: 0,
        reply_to_message: None,
        to: vec!["jane@acme.example".into()],
        subject: "Thank you".into(),
        body: "Hello".into(),
        message_id: "x@example.net".into(),
        in_reply_to: None,
        references: vec![],
        send_at: ts("2026-12-01T23:00:00Z"),
        deadline: Some(ts("2026-12-02T19:00:00Z")),
        needs_topic: true,
    };
    let id = insert_draft(&tx, &new, now).unwrap();
    assert!(approve_draft(&tx, id, DraftStatus::Pending, now).unwrap());
    let draft = get_draft(&tx, id).unwrap().unwrap();
    assert_eq!(draft.status, DraftStatus::Approved);
    assert_eq!(draft.approved_to.as_deref(), Some(&["jane@acme.example".to_string()][..]));
    let content = DraftContent { to: &draft.to, subject: "Thanks", body: "Hi", needs_topic: false, edited: true };
    assert!(update_draft_content(&tx, id, DraftStatus::Approved, &content, now).unwrap());
    let draft = get_draft(&tx, id).unwrap().unwrap();
    assert_eq!((draft.status, draft.approved_to, draft.edited), (DraftStatus::Pending, None, true));
    tx.commit().unwrap();
    assert_eq!(queue(store.conn()).unwrap().len(), 1);
}

#[test]
fn a_message_id_is_recorded_once() {
    let store = Store::open_in_memory().unwrap();
    let now = ts("2026-12-01T00:00:00Z");
    let message = MessageRow {
        direction: "in".into(),
        message_id: Some("a@b".into()),
        status: "applied".into(),
        ..MessageRow::default()
    };
    insert_message(store.conn(), &message, now).unwrap();
    assert!(insert_message(store.conn(), &message, now).is_err());
    assert!(has_incoming_message(store.conn(), "a@b").unwrap());
}

#[test]
fn a_database_created_at_version_001_is_upgraded_without_losing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("debrief.db");
    let now = ts("2026-12-01T00:00:00Z");
    {
        // The schema as the first release left it, with a message in it.
        let mut conn = Connection::open(&path).unwrap();
        Migrations::new(migration_steps().into_iter().take(1).collect()).to_latest(&mut conn).unwrap();
        let message = MessageRow {
            direction: "in".into(),
            message_id: Some("old@acme.example".into()),
            status: "applied".into(),
            ..MessageRow::default()
        };
        insert_message(&conn, &message, now).unwrap();
        let missing = conn.prepare("SELECT name FROM maildir_seen").is_err();
        assert!(missing, "version 001 has no maildir_seen table");
    }
    let store = Store::open(&path).unwrap();
    let old = find_message(store.conn(), "old@acme.example").unwrap().expect("the message survives the upgrade");
    insert_maildir_seen(store.conn(), "/mail", "1.A.host", old.id, now).unwrap();
    assert!(maildir_seen_names(store.conn(), "/mail").unwrap().contains("1.A.host"));
    // The quarantine (migration 003) is there and empty.
    assert_eq!(quarantined_message(store.conn(), "imap\t1\t1\tINBOX").unwrap(), None);
    let version: i64 = store.conn().query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
    assert_eq!(version, migration_steps().len() as i64, "every migration ran");
    let plan = query_plan(store.conn(), "SELECT id FROM messages WHERE message_id = 'old@acme.example'");
    assert!(plan.contains("messages_message_id"), "the upgraded database has the lookup index: {plan}");
}

#[test]
fn an_application_wide_topic_becomes_the_latest_rounds_on_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("debrief.db");
    let now = ts("2026-12-01T00:00:00Z");
    let (app, first, second) = {
        // Before talking points: one topic per application, set after round 2.
        let mut conn = Connection::open(&path).unwrap();
        Migrations::new(migration_steps().into_iter().take(2).collect()).to_latest(&mut conn).unwrap();
        let app = insert_application(&conn, "Acme", "Engineer", None, ApplicationState::Interviewed, now).unwrap();
        let round = |start: &str| NewRound {
            start: ts(start),
            end: ts(start),
            time_zone: None,
            location: None,
            calendar_uid: None,
        };
        let first = insert_round(&conn, app, &round("2026-12-01T18:00:00Z"), &[]).unwrap();
        let second = insert_round(&conn, app, &round("2026-12-08T18:00:00Z"), &[]).unwrap();
        conn.execute("UPDATE applications SET topic = 'the queue redesign' WHERE id = ?1", [app.0]).unwrap();
        (app, first, second)
    };
    let store = Store::open(&path).unwrap();
    let points = talking_points_of(store.conn(), app).unwrap();
    assert_eq!(points.len(), 1, "{points:?}");
    assert_eq!(
        (points[0].round_id, points[0].kind, points[0].text.as_str()),
        (second, PointKind::Topic, "the queue redesign")
    );
    assert_ne!(points[0].round_id, first, "round 1's interviewers were not in that conversation");
    assert_eq!(points[0].person_id, None);
}

/// Issue 9: every status change of a draft is conditional on the status it was read in,
/// so a change made meanwhile by another process (the daemon sent it, the employer's
/// reply cancelled it) is never undone; the loser learns it lost.
#[test]
fn draft_changes_are_conditional_on_the_status_they_were_read_in() {
    let mut store = Store::open_in_memory().unwrap();
    let now = ts("2026-12-01T00:00:00Z");
    let tx = store.transaction().unwrap();
    let app =
        insert_application(&tx, "Acme", "Engineer", Some("acme.example"), ApplicationState::Interviewed, now).unwrap();
    let new = NewDraft {
        application_id: app,
        kind: DraftKind::FollowUp,
        round_id: None,
        person_id: None,
        series: 1,
        number: 1,
        reply_to_message: None,
        to: vec!["jane@acme.example".into()],
        subject: "Checking in".into(),
        body: "Hello".into(),
        message_id: "race@example.net".into(),
        in_reply_to: None,
        references: vec![],
        send_at: ts("2026-12-02T00:00:00Z"),
        deadline: None,
        needs_topic: false,
    };
    let id = insert_draft(&tx, &new, now).unwrap();
    let status = |tx: &Connection| get_draft(tx, id).unwrap().unwrap().status;
    // Read as pending; cancelled meanwhile (the employer answered).
    assert!(
        set_draft_status(&tx, id, DraftStatus::Pending, DraftStatus::Cancelled, Some("they replied"), now).unwrap()
    );
    let content = DraftContent {
        to: &["jane@acme.example".to_string()],
        subject: "S",
        body: "B",
        needs_topic: false,
        edited: true,
    };
    assert!(!update_draft_content(&tx, id, DraftStatus::Pending, &content, now).unwrap(), "an edit does not revive it");
    assert!(!approve_draft(&tx, id, DraftStatus::Pending, now).unwrap(), "nor does an approval");
    assert!(!set_draft_status(&tx, id, DraftStatus::Pending, DraftStatus::Rejected, None, now).unwrap());
    assert!(!reschedule_draft(&tx, id, DraftStatus::Pending, now, now).unwrap());
    assert!(!mark_draft_sending(&tx, id, now).unwrap(), "nor does the outbox claim it");
    assert!(!mark_draft_sent(&tx, id, &[DraftStatus::Sending, DraftStatus::Unknown], None, now).unwrap());
    assert_eq!(status(&tx), DraftStatus::Cancelled);
    assert_eq!(get_draft(&tx, id).unwrap().unwrap().body, "Hello", "the text is untouched");
    tx.commit().unwrap();
}

/// Issue 9: a draft that failed after its retries and is approved again gets a new retry
/// budget (one more transient failure used to fail it at once).
#[test]
fn approving_again_starts_a_new_retry_budget() {
    let mut store = Store::open_in_memory().unwrap();
    let now = ts("2026-12-01T00:00:00Z");
    let tx = store.transaction().unwrap();
    let app =
        insert_application(&tx, "Acme", "Engineer", Some("acme.example"), ApplicationState::Interviewed, now).unwrap();
    let new = NewDraft {
        application_id: app,
        kind: DraftKind::ThankYou,
        round_id: None,
        person_id: None,
        series: 0,
        number: 0,
        reply_to_message: None,
        to: vec!["jane@acme.example".into()],
        subject: "Thank you".into(),
        body: "Hello".into(),
        message_id: "retry@example.net".into(),
        in_reply_to: None,
        references: vec![],
        send_at: now,
        deadline: None,
        needs_topic: false,
    };
    let id = insert_draft(&tx, &new, now).unwrap();
    assert!(approve_draft(&tx, id, DraftStatus::Pending, now).unwrap());
    for _ in 0..8 {
        assert!(mark_draft_sending(&tx, id, now).unwrap());
        assert!(defer_draft(&tx, id, now, "421 try later", now).unwrap());
    }
    assert!(mark_draft_sending(&tx, id, now).unwrap());
    assert!(
        set_draft_outcome(&tx, id, DraftStatus::Sending, DraftStatus::Failed, "gave up after 9 attempts", now).unwrap()
    );
    assert_eq!(get_draft(&tx, id).unwrap().unwrap().attempts, 9);
    assert!(approve_draft(&tx, id, DraftStatus::Failed, now).unwrap());
    let draft = get_draft(&tx, id).unwrap().unwrap();
    assert_eq!((draft.status, draft.attempts, draft.last_error), (DraftStatus::Approved, 0, None));
    tx.commit().unwrap();
}

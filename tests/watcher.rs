//! Reading watched mailboxes on a real Dovecot (the rig in tests/rig/): every message
//! exactly once across restarts, failures, UIDVALIDITY changes and outages (SPEC §6.4).
//!
//! The handler here records what it is given in a table of the real SQLite store, in the
//! transaction the watcher gives it, so "exactly once" is checked on committed rows.

#[path = "support/rig.rs"]
mod rig;

use debrief::mail::imap::ImapSession;
use debrief::store::{self, Store};
use debrief::watcher::{self, WatchEvent};
use jiff::tz::TimeZone;
use rig::Rig;
use rusqlite::Connection;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

const EVENT_TIMEOUT: Duration = Duration::from_secs(20);

fn message(to: &str, number: usize) -> Vec<u8> {
    format!(
        "From: Recruiter <jobs@employer.test>\r\nTo: {to}\r\nSubject: Message {number}\r\n\
         Message-ID: <watch-{number}-{to}>\r\nDate: Mon, 02 Feb 2026 10:00:00 +0000\r\n\r\nBody {number}\r\n"
    )
    .into_bytes()
}

/// Delivers messages 1 to `count` to `address`, each padded to 1.5 MiB (1,536 lines of
/// 1,000 bytes): two fill one batch of `BATCH_BYTES`.
fn deliver_large(rig: &Rig, address: &str, count: usize) {
    let padding = format!("{}\r\n", "x".repeat(998)).repeat(1536);
    for number in 1..=count {
        let mut raw = message(address, number);
        raw.extend_from_slice(padding.as_bytes());
        rig.deliver(address, &raw);
    }
}

fn store_with_log(dir: &tempfile::TempDir) -> Store {
    let store = Store::open(&dir.path().join("debrief.db")).unwrap();
    store.conn().execute("CREATE TABLE seen (uid INTEGER NOT NULL, subject TEXT NOT NULL)", []).unwrap();
    store
}

fn record(conn: &Connection, uid: u32, raw: &[u8]) -> anyhow::Result<()> {
    let text = String::from_utf8_lossy(raw);
    let subject = text.lines().find_map(|line| line.strip_prefix("Subject: ")).unwrap_or("").trim().to_owned();
    conn.execute("INSERT INTO seen (uid, subject) VALUES (?1, ?2)", rusqlite::params![uid, subject])?;
    Ok(())
}

fn seen(store: &Store) -> Vec<String> {
    let mut statement = store.conn().prepare("SELECT subject FROM seen ORDER BY rowid").unwrap();
    statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect()
}

fn subjects(range: std::ops::RangeInclusive<usize>) -> Vec<String> {
    range.map(|number| format!("Message {number}")).collect()
}

#[tokio::test]
async fn a_mailbox_is_read_once_and_a_failed_message_is_retried_not_skipped() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let address = "watch-once@rig.test";
    let config = rig.config_for(address).build();
    for number in 1..=5 {
        rig.deliver(address, &message(address, number));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_log(&dir);
    let mut session = ImapSession::connect(config.imap()).await.unwrap();
    let zone = TimeZone::UTC;

    // The handler fails on the third message: the first two are committed, the third
    // is rolled back with its progress, and the pass ends with the error.
    let error = watcher::read_mailbox(&mut session, &mut store, "INBOX", 60, &zone, &mut |_, _| {}, |conn, _, m| {
        if String::from_utf8_lossy(&m.raw).contains("Message 3") {
            anyhow::bail!("the database is full");
        }
        record(conn, m.uid, &m.raw)
    })
    .await
    .expect_err("the handler's error ends the pass");
    assert!(format!("{error:#}").contains("the database is full"), "{error:#}");
    assert_eq!(seen(&store), subjects(1..=2));

    // The next pass starts at the third message, as a restart would.
    let mut progress = Vec::new();
    let report = watcher::read_mailbox(
        &mut session,
        &mut store,
        "INBOX",
        60,
        &zone,
        &mut |done, total| progress.push((done, total)),
        |conn, _, m| record(conn, m.uid, &m.raw),
    )
    .await
    .unwrap();
    assert_eq!(report.processed, 3);
    assert!(!report.scanned_from_start);
    assert_eq!(progress, vec![(3, 3)], "progress is reported per committed batch");
    assert_eq!(seen(&store), subjects(1..=5));

    // Nothing new: nothing read. One more message: only it.
    let report = watcher::read_mailbox(&mut session, &mut store, "INBOX", 60, &zone, &mut |_, _| {}, |conn, _, m| {
        record(conn, m.uid, &m.raw)
    })
    .await
    .unwrap();
    assert_eq!(report.processed, 0);
    rig.deliver(address, &message(address, 6));
    watcher::read_mailbox(&mut session, &mut store, "INBOX", 60, &zone, &mut |_, _| {}, |conn, _, m| {
        record(conn, m.uid, &m.raw)
    })
    .await
    .unwrap();
    assert_eq!(seen(&store), subjects(1..=6));
    let progress = store::mailbox_progress(store.conn(), "INBOX").unwrap().unwrap();
    assert_eq!(progress.last_uid, 6);
    session.logout().await;
}

/// What another connection to the same database sees committed: rows of `seen`, and
/// the mailbox's recorded progress.
fn committed(path: &std::path::Path) -> (usize, Option<u32>) {
    let other = Connection::open(path).unwrap();
    let rows: i64 = other.query_row("SELECT count(*) FROM seen", [], |row| row.get(0)).unwrap();
    let last_uid = other.query_row("SELECT last_uid FROM mailbox_progress", [], |row| row.get(0)).ok();
    (usize::try_from(rows).unwrap(), last_uid)
}

/// Issue 11: a batch is one transaction (one fsync), with its last UID; a message's
/// effects are never committed without the UID that stands for them, or the reverse.
#[tokio::test]
async fn a_batch_is_committed_once_together_with_its_last_uid() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let address = "watch-batch@rig.test";
    let config = rig.config_for(address).build();
    for number in 1..=5 {
        rig.deliver(address, &message(address, number));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("debrief.db");
    let mut store = store_with_log(&dir);
    let mut session = ImapSession::connect(config.imap()).await.unwrap();
    let mut seen_by_others = Vec::new();
    watcher::read_mailbox(&mut session, &mut store, "INBOX", 60, &TimeZone::UTC, &mut |_, _| {}, |conn, _, m| {
        seen_by_others.push(committed(&path).0);
        record(conn, m.uid, &m.raw)
    })
    .await
    .unwrap();
    assert_eq!(seen_by_others, vec![0; 5], "nothing of the batch is committed before its end");
    let (rows, last_uid) = committed(&path);
    assert_eq!(rows, 5);
    let uids: Vec<u32> = {
        let mut statement = store.conn().prepare("SELECT uid FROM seen ORDER BY uid").unwrap();
        statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(last_uid, uids.last().copied());
    session.logout().await;
}

/// Issue 11: memory is bounded by the batch's bytes, not its count: three messages of
/// 1.5 MiB do not fit in one batch of `BATCH_BYTES` (4 MiB), so the first two are
/// committed, with their UID, before the third is applied.
#[tokio::test]
async fn a_batch_is_bounded_by_bytes() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let address = "watch-batch-bytes@rig.test";
    let config = rig.config_for(address).build();
    deliver_large(rig, address, 3);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("debrief.db");
    let mut store = store_with_log(&dir);
    let mut session = ImapSession::connect(config.imap()).await.unwrap();
    let mut seen_by_others = Vec::new();
    watcher::read_mailbox(&mut session, &mut store, "INBOX", 60, &TimeZone::UTC, &mut |_, _| {}, |conn, _, m| {
        assert!(!m.truncated && m.raw.len() > 1_500_000, "fetched whole: {m:?}");
        seen_by_others.push(committed(&path));
        record(conn, m.uid, &m.raw)
    })
    .await
    .unwrap();
    assert_eq!(seen_by_others.iter().map(|(rows, _)| *rows).collect::<Vec<_>>(), vec![0, 0, 2]);
    assert!(seen_by_others[2].1.is_some(), "the first batch's UID is committed with it");
    assert_eq!(seen(&store), subjects(1..=3));
    session.logout().await;
}

/// Records each message with the subject its preparation read, on the preparing thread,
/// and fails once on the message with `fail_on` in its subject.
struct SubjectRecorder {
    fail_on: Option<&'static str>,
}

fn subject_of(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(&raw[..raw.len().min(4096)]).into_owned();
    text.lines().find_map(|line| line.strip_prefix("Subject: ")).unwrap_or("").trim().to_owned()
}

impl watcher::Handler for SubjectRecorder {
    type Prepared = (u32, String);

    fn preparer(
        &mut self,
        _: &Connection,
        _: watcher::Position<'_>,
    ) -> anyhow::Result<watcher::Preparation<(u32, String)>> {
        Ok(Box::new(|message| (message.uid, subject_of(&message.raw))))
    }

    fn apply(
        &mut self,
        conn: &Connection,
        _: watcher::Position<'_>,
        message: &debrief::mail::imap::FetchedMessage,
        (uid, subject): (u32, String),
    ) -> anyhow::Result<()> {
        assert_eq!(uid, message.uid, "each message is applied with its own preparation");
        if self.fail_on.is_some_and(|failing| subject == failing) {
            self.fail_on = None;
            anyhow::bail!("the database is full");
        }
        conn.execute("INSERT INTO seen (uid, subject) VALUES (?1, ?2)", rusqlite::params![uid, subject])?;
        Ok(())
    }
}

/// Issue 11, the overlapped first scan on the real server: several batches (two 1.5 MiB
/// messages each) go through fetching, preparing on another thread and storing; a failure
/// in the third batch commits the messages before it, in UID order and with their UID,
/// and the next pass reads from the failed one on: each message once, none lost.
#[tokio::test]
async fn overlapped_batches_keep_uid_order_and_a_failure_mid_scan_loses_nothing() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let address = "watch-overlap@rig.test";
    let config = rig.config_for(address).build();
    deliver_large(rig, address, 7);
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_log(&dir);
    let mut session = ImapSession::connect(config.imap()).await.unwrap();
    let mut handler = SubjectRecorder { fail_on: Some("Message 5") };
    let mut progress = Vec::new();
    let error = watcher::read_mailbox_with(
        &mut session,
        &mut store,
        "INBOX",
        60,
        &TimeZone::UTC,
        &mut |done, total| progress.push((done, total)),
        &mut handler,
    )
    .await
    .expect_err("the handler's error ends the pass");
    assert!(format!("{error:#}").contains("the database is full"), "{error:#}");
    assert_eq!(seen(&store), subjects(1..=4), "the batches before the failure, in order");
    assert_eq!(progress, vec![(2, 7), (4, 7), (4, 7)], "two batches of two, then the failed one: nothing more");
    let uid_of = |store: &Store, subject: &str| -> u32 {
        store.conn().query_row("SELECT uid FROM seen WHERE subject = ?1", [subject], |row| row.get(0)).unwrap()
    };
    let last_uid = store::mailbox_progress(store.conn(), "INBOX").unwrap().unwrap().last_uid;
    assert_eq!(last_uid, uid_of(&store, "Message 4"), "the last committed UID is the last applied message's");

    let report =
        watcher::read_mailbox_with(&mut session, &mut store, "INBOX", 60, &TimeZone::UTC, &mut |_, _| {}, &mut handler)
            .await
            .unwrap();
    assert_eq!(report.processed, 3);
    assert_eq!(seen(&store), subjects(1..=7), "each message once, in UID order");
    let uids: Vec<u32> = (1..=7).map(|number| uid_of(&store, &format!("Message {number}"))).collect();
    assert!(uids.windows(2).all(|pair| pair[0] < pair[1]), "{uids:?}");
    session.logout().await;
}

#[tokio::test]
async fn a_changed_uid_validity_reads_the_scan_period_again() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let address = "watch-uidvalidity@rig.test";
    let config = rig.config_for(address).build();
    for number in 1..=3 {
        rig.deliver(address, &message(address, number));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_log(&dir);
    let mut session = ImapSession::connect(config.imap()).await.unwrap();
    let zone = TimeZone::UTC;
    let read = async |session: &mut ImapSession, store: &mut Store| {
        watcher::read_mailbox(session, store, "INBOX", 60, &zone, &mut |_, _| {}, |conn, _, m| {
            record(conn, m.uid, &m.raw)
        })
        .await
        .unwrap()
    };
    let first = read(&mut session, &mut store).await;
    assert!(first.scanned_from_start);
    assert_eq!(first.processed, 3);

    // As if the server had rebuilt the mailbox: the stored UIDVALIDITY no longer matches.
    store.conn().execute("UPDATE mailbox_progress SET uid_validity = uid_validity + 1", []).unwrap();
    let again = read(&mut session, &mut store).await;
    assert!(again.scanned_from_start);
    assert_eq!(again.processed, 3, "the scan period is read again; ingest skips what it knows by Message-ID");
    let real = session.select("INBOX").await.unwrap().uid_validity;
    assert_eq!(store::mailbox_progress(store.conn(), "INBOX").unwrap().unwrap().uid_validity, real);
    session.logout().await;
}

#[tokio::test]
async fn a_first_scan_of_zero_days_still_reads_today() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let address = "watch-scan-days@rig.test";
    let config = rig.config_for(address).build();
    rig.deliver(address, &message(address, 1));
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_log(&dir);
    let mut session = ImapSession::connect(config.imap()).await.unwrap();
    // Dovecot dates delivered mail now: `initial_scan_days = 0` means "from today".
    let report =
        watcher::read_mailbox(&mut session, &mut store, "INBOX", 0, &TimeZone::UTC, &mut |_, _| {}, |conn, _, m| {
            record(conn, m.uid, &m.raw)
        })
        .await
        .unwrap();
    assert!(report.scanned_from_start);
    assert_eq!(seen(&store), subjects(1..=1));
    session.logout().await;
}

/// The daemon's watcher task across a Dovecot outage: mail that lands while Dovecot is
/// down is read once it is back, and everything is processed exactly once.
#[tokio::test]
async fn the_watcher_survives_an_outage_and_processes_everything_exactly_once() {
    let rig = Rig::start();
    let _turn = rig.exclusive().await;
    let address = "watch-outage@rig.test";
    let config = rig.config_for(address).build();
    rig.deliver(address, &message(address, 1));
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_log(&dir);
    let (stop_tx, stop_rx) = watch::channel(false);
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let imap = config.imap().clone();
    let task = tokio::spawn(async move {
        watcher::watch_mailbox(&imap, &mut store, "INBOX", &TimeZone::UTC, stop_rx, events_tx, |conn, _, m| {
            record(conn, m.uid, &m.raw)
        })
        .await;
        store
    });
    let next = async |events: &mut mpsc::UnboundedReceiver<WatchEvent>| {
        tokio::time::timeout(EVENT_TIMEOUT, events.recv()).await.expect("a watcher event in time").unwrap()
    };
    assert_eq!(next(&mut events).await, WatchEvent::NewMail);
    assert_eq!(next(&mut events).await, WatchEvent::Watching);

    // New mail while watching: IDLE wakes the watcher.
    rig.deliver(address, &message(address, 2));
    assert_eq!(next(&mut events).await, WatchEvent::NewMail);

    // An outage: Dovecot is killed, two messages land in the mail store meanwhile.
    rig.stop_dovecot();
    rig.deliver_to_maildir(address, &message(address, 3));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    rig.deliver_to_maildir(address, &message(address, 4));
    rig.start_dovecot();
    assert_eq!(next(&mut events).await, WatchEvent::NewMail, "the messages of the outage are read after it");
    assert_eq!(next(&mut events).await, WatchEvent::Watching);
    rig.deliver(address, &message(address, 5));
    assert_eq!(next(&mut events).await, WatchEvent::NewMail);

    stop_tx.send(true).unwrap();
    let store = tokio::time::timeout(EVENT_TIMEOUT, task).await.expect("the watcher stops").unwrap();
    let mut got = seen(&store);
    got.sort();
    assert_eq!(got, subjects(1..=5), "each message exactly once");
}

use super::*;
use crate::store::Store;

fn now() -> Timestamp {
    "2026-12-01T10:00:00Z".parse().unwrap()
}

fn imap(uid: u32) -> Origin {
    Origin::Imap { mailbox: "INBOX".into(), uid_validity: 7, uid }
}

/// A marker left by a dead process: its file, written as `Reading::begin` writes it,
/// and not locked by anyone.
fn leave_marker(database: &Path, pid: u32, origins: &[Origin]) -> PathBuf {
    let mut name = marker_prefix(database).into_os_string();
    name.push(pid.to_string());
    let text: String = origins.iter().map(|origin| serde_json::to_string(origin).unwrap() + "\n").collect();
    std::fs::write(&name, text).unwrap();
    PathBuf::from(name)
}

fn error_of(store: &Store, message: MessageId) -> String {
    store::get_message(store.conn(), message).unwrap().unwrap().error.unwrap()
}

#[test]
fn a_dead_process_marker_is_quarantined_once_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("debrief.db");
    let mut store = Store::open(&database).unwrap();
    let maildir = Origin::Maildir { dir: "/home/sam/Mail".into(), name: "1764700000.M1P2.host".into() };
    let left = leave_marker(&database, 4_000_000, &[imap(12), maildir.clone()]);

    let found = start(&mut store, now()).unwrap();
    assert_eq!(
        found.iter().map(|found| found.place.as_str()).collect::<Vec<_>>(),
        ["INBOX UID 12", "/home/sam/Mail/1764700000.M1P2.host"]
    );
    assert!(!left.exists(), "the marker is removed once recorded");
    for (found, origin) in found.iter().zip([imap(12), maildir]) {
        assert_eq!(store::quarantined_message(store.conn(), &origin.source_key()).unwrap(), Some(found.message));
        let error = error_of(&store, found.message);
        assert!(error.starts_with(&found.place) && error.contains("quarantined"), "{error}");
        let row = store::get_message(store.conn(), found.message).unwrap().unwrap();
        assert_eq!(row.status, "error");
    }
    // The same place again is not quarantined twice.
    assert_eq!(record(store.conn(), &imap(12), now()).unwrap(), None);
    finish(store.conn());
}

#[test]
fn a_live_process_marker_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("debrief.db");
    let mut store = Store::open(&database).unwrap();
    let left = leave_marker(&database, 4_000_001, &[imap(3)]);
    // A live process holds its marker's lock.
    let holder = File::open(&left).unwrap();
    holder.lock().unwrap();
    assert!(start(&mut store, now()).unwrap().is_empty());
    assert!(left.exists());
    assert_eq!(store::quarantined_message(store.conn(), &imap(3).source_key()).unwrap(), None);
    finish(store.conn());
}

#[test]
fn reading_writes_the_marker_while_a_message_is_parsed_and_clears_it_after() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("debrief.db");
    let mut store = Store::open(&database).unwrap();
    assert!(start(&mut store, now()).unwrap().is_empty());
    let mut own = marker_prefix(&database).into_os_string();
    own.push(std::process::id().to_string());
    let own = PathBuf::from(own);
    assert_eq!(std::fs::read_to_string(&own).unwrap(), "");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(&own).unwrap().permissions().mode() & 0o777, 0o600);

    let first = Reading::begin(store.conn(), &imap(5), b"Subject: x\r\n\r\nbody");
    let text = std::fs::read_to_string(&own).unwrap();
    assert_eq!(serde_json::from_str::<Origin>(text.trim()).unwrap(), imap(5));
    // A parse on another thread (another mailbox's first scan) waits for this one: the
    // marker never names two messages, so a death quarantines only the one being read.
    let (started, begun) = std::sync::mpsc::channel();
    let second = std::thread::scope(|scope| {
        let waiting = scope.spawn(|| {
            started.send(()).unwrap();
            let second = Reading::begin_at(Some(&database), &imap(6), b"Subject: y\r\n\r\nbody");
            let text = std::fs::read_to_string(&own).unwrap();
            assert_eq!(serde_json::from_str::<Origin>(text.trim()).unwrap(), imap(6), "alone in the marker");
            drop(second);
        });
        begun.recv().unwrap();
        // Whatever the other thread does now, it cannot add itself beside the first.
        for _ in 0..50 {
            let text = std::fs::read_to_string(&own).unwrap();
            assert_eq!(text.lines().count(), 1, "two messages in the marker: {text}");
            std::thread::yield_now();
        }
        drop(first);
        waiting.join()
    });
    second.unwrap();
    assert_eq!(std::fs::read_to_string(&own).unwrap(), "");

    // Another process sees a live marker: it cannot take its lock.
    let _held = Reading::begin(store.conn(), &imap(9), b"x");
    let probe = File::open(&own).unwrap();
    assert!(probe.try_lock().is_err(), "this process holds its marker");
    drop(probe);
    drop(_held);
    finish(store.conn());
    assert!(!own.exists(), "finish removes the marker");
    // In memory: nothing is written, nothing fails.
    let memory = Store::open_in_memory().unwrap();
    drop(Reading::begin(memory.conn(), &imap(1), b"x"));
}

//! The Maildir source over real folders and a real database file.

use super::*;
use crate::domain::ApplicationState;
use crate::ingest::tests::{CONFIRMATION, Desk, REJECTION, ts};

fn maildir(desk: &Desk) -> PathBuf {
    let dir = desk.dir().join("Mail");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    dir
}

fn read(desk: &mut Desk, dir: &Path, now: Timestamp) -> SourceReport {
    let planner = Planner { config: &desk.config, templates: &desk.templates };
    read_maildir(&mut desk.store, &planner, dir, now).unwrap()
}

#[test]
fn a_file_moved_from_new_to_cur_with_flags_is_not_read_again() {
    let mut desk = Desk::new();
    let dir = maildir(&desk);
    let now = ts("2026-11-25T00:00:00Z");
    std::fs::write(dir.join("new/1795547100.M1P1.host"), CONFIRMATION).unwrap();
    // A delivery still being written is never read.
    std::fs::write(dir.join("tmp/1795547200.M2P2.host"), REJECTION).unwrap();
    let first = read(&mut desk, &dir, now);
    assert_eq!((first.read, first.applied), (1, 1), "{first:?}");

    // A mail client marks it seen: it moves to cur/ with flags.
    std::fs::rename(dir.join("new/1795547100.M1P1.host"), dir.join("cur/1795547100.M1P1.host:2,S")).unwrap();
    let second = read(&mut desk, &dir, ts("2026-11-26T00:00:00Z"));
    assert_eq!(second, SourceReport::default(), "nothing is new");
    assert_eq!(desk.count("messages"), 1);
    // The user's files are as they were.
    assert_eq!(std::fs::read(dir.join("cur/1795547100.M1P1.host:2,S")).unwrap(), CONFIRMATION);
    assert!(dir.join("tmp/1795547200.M2P2.host").exists());
}

#[test]
fn messages_are_read_oldest_first() {
    let mut desk = Desk::new();
    let dir = maildir(&desk);
    let received = b"From: Initech Careers <no-reply@jobs.lever.co>\r\nReply-To: recruiting@initech.example\r\n\
To: Priya Raman <priya@example.net>\r\nSubject: Thank you for applying to Initech\r\n\
Date: Thu, 05 Nov 2026 09:12:00 -0800\r\nMessage-ID: <received@jobs.lever.co>\r\n\r\n\
Hi Priya,\r\n\r\nThank you for applying for the Data Engineer position at Initech. We have received your application and our team is reviewing it now.\r\n\r\nThe Initech Recruiting Team\r\n";
    // The rejection sorts first by name in cur/, but was delivered later: it must be
    // read after the receipt that starts the application, or it would match nothing.
    std::fs::write(dir.join("cur/1795802400.A.host:2,S"), REJECTION).unwrap();
    std::fs::write(dir.join("new/1793898720.B.host"), received).unwrap();
    let report = read(&mut desk, &dir, ts("2026-11-28T00:00:00Z"));
    assert_eq!((report.read, report.applied, report.plan.drafts_created), (2, 2, 1), "{report:?}");
    let apps = store::list_applications(desk.store.conn()).unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].state, ApplicationState::Rejected);
}

#[test]
fn a_folder_that_is_not_a_maildir_is_refused() {
    let desk = Desk::new();
    let err = check_maildir(desk.dir()).unwrap_err().to_string();
    assert!(err.contains("is not a Maildir: it has no cur/ folder"), "{err}");
}

#[test]
fn a_file_of_a_gigabyte_is_refused_for_its_size_without_being_read_whole() {
    let mut desk = Desk::new();
    let dir = maildir(&desk);
    let now = ts("2026-11-25T00:00:00Z");
    // Sparse: a gigabyte to the reader, nothing on disk.
    let huge = std::fs::File::create(dir.join("new/1795547100.M1P1.host")).unwrap();
    huge.set_len(1 << 30).unwrap();
    std::fs::write(dir.join("new/1795547200.M2P2.host"), CONFIRMATION).unwrap();
    let limit = crate::classify::limits::LIMITS.max_message_bytes;
    assert_eq!(read_bounded(&dir.join("new/1795547100.M1P1.host")).unwrap().len(), limit + 1);

    let report = read(&mut desk, &dir, now);
    assert_eq!((report.read, report.errors, report.applied), (2, 1, 1), "{report:?}");
    let error: String =
        desk.store.conn().query_row("SELECT error FROM messages WHERE status = 'error'", [], |row| row.get(0)).unwrap();
    let folder = std::fs::canonicalize(&dir).unwrap();
    assert_eq!(
        error,
        format!(
            "{}/1795547100.M1P1.host: refused unread: it is longer than the {limit} bytes debrief reads",
            folder.display()
        )
    );
}

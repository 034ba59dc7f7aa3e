//! Poison mail (issue 9), from outside: the real binary reads hostile mail from a Maildir
//! under a memory limit (`prlimit --as`); a message during which the process dies is
//! quarantined at the next start instead of killing it again (Maildir and the rig's
//! Dovecot); names and subjects carrying CR/LF or NUL never add a header to a draft.
//!
//! The hostile messages come from `tests/support/hostile.rs` (truncation, broken
//! boundaries and charsets, deep multipart and message/rfc822 nesting, the encoded
//! message/rfc822 chains that made mail-parser's memory quadratic, huge headers, NUL,
//! CR/LF and Bcc injection in names and subjects).

#[path = "support/hostile.rs"]
mod hostile;
#[path = "support/rig.rs"]
mod rig;

#[path = "support/faketime.rs"]
mod faketime;
use rusqlite::Connection;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_debrief");
/// The address space `debrief sync` gets, in bytes (1 GiB; util-linux 2.38's prlimit
/// crashes on suffixes such as "1G"). The poison of issue 9 needed 1.4 GiB at 380 KB.
const ADDRESS_SPACE: u64 = 1 << 30;
/// The test-only trigger (debug builds): the process aborts, as an out-of-memory parser
/// would, on a message containing this text (`quarantine::abort_if_asked`).
const ABORT_MARK: &str = "X-Debrief-Test-Abort-Here";
/// A safety net for waits: never reached when things work.
const WAIT: Duration = Duration::from_secs(30);

/// A user with a Maildir (or the rig's IMAP) and a database in a temporary folder.
struct Desk {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Desk {
    fn maildir() -> Desk {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(dir.path().join("maildir").join(sub)).unwrap();
        }
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            "[identity]\nname = \"Sam Seeker\"\nemail = \"sam@rig.test\"\ntime_zone = \"America/Chicago\"\n\
             [storage]\npath = \"debrief.db\"\n[maildir]\npath = \"maildir\"\n",
        )
        .unwrap();
        Desk { dir, config }
    }

    /// Puts `raw` in the Maildir's `new/`, delivered `order` seconds after the others.
    fn deliver(&self, order: usize, name: &str, raw: &[u8]) {
        let file = format!("{}.M{order}P1.{name}", 1_764_000_000 + order);
        std::fs::write(self.dir.path().join("maildir/new").join(file), raw).unwrap();
    }

    /// `debrief ARGS` at the UTC instant `at` (libfaketime), under the memory limit.
    fn debrief_at(&self, at: &str, args: &[&str]) -> Output {
        let library = faketime::library();
        let clock = format!("@{at}");
        let mut all = vec![BINARY];
        all.extend_from_slice(args);
        self.command(&all, &[("LD_PRELOAD", library.to_str().unwrap()), ("FAKETIME", &clock)])
    }

    /// `debrief ARGS` under the memory limit, with `env` set.
    fn debrief(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut all = vec![BINARY];
        all.extend_from_slice(args);
        self.command(&all, env)
    }

    /// Starts `debrief ARGS` under the memory limit, its standard error into `log`.
    fn spawn(&self, args: &[&str], env: &[(&str, &str)], log: &str) -> Child {
        let mut command = self.prlimit(&[&[BINARY], args].concat(), env);
        let log = std::fs::File::create(self.dir.path().join(log)).unwrap();
        command.stdout(Stdio::null()).stderr(log).spawn().unwrap()
    }

    fn command(&self, program_and_args: &[&str], env: &[(&str, &str)]) -> Output {
        self.prlimit(program_and_args, env).output().unwrap()
    }

    fn prlimit(&self, program_and_args: &[&str], env: &[(&str, &str)]) -> Command {
        assert!(
            Path::new("/usr/bin/prlimit").exists(),
            "this test needs prlimit (util-linux): run scripts/test.sh, which installs it"
        );
        let mut command = Command::new("prlimit");
        command.arg(format!("--as={ADDRESS_SPACE}")).arg("--").args(program_and_args);
        command.env("TZ", "UTC").env("DEBRIEF_CONFIG", &self.config).env("RUST_BACKTRACE", "0");
        for (key, value) in env {
            command.env(key, value);
        }
        command
    }

    fn database(&self) -> Connection {
        let config = std::fs::read_to_string(&self.config).unwrap();
        let path = config
            .lines()
            .find_map(|line| line.strip_prefix("path = \"").filter(|path| path.ends_with(".db\"")))
            .map(|path| path.trim_end_matches('"').to_owned())
            .unwrap();
        Connection::open(self.dir.path().join(path)).unwrap()
    }
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |row| row.get(0)).unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An interview confirmation from `company`, written for this test.
fn confirmation(company: &str, id: &str) -> Vec<u8> {
    let domain = format!("{}.example", company.to_lowercase());
    format!(
        "From: Jordan Reyes <jordan@{domain}>\r\nTo: Sam Seeker <sam@rig.test>\r\n\
         Subject: Interview confirmed: Platform Engineer at {company}\r\n\
         Date: Tue, 01 Dec 2026 09:00:00 -0600\r\nMessage-ID: <{id}@{domain}>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n\
         Hi Sam,\r\n\r\nThis confirms your interview for the Platform Engineer role at {company} on\r\n\
         Thursday, December 3, 2026 from 2:00 PM to 3:00 PM CST with Jordan Reyes.\r\n\r\nJordan\r\n"
    )
    .into_bytes()
}

/// A message that kills the reading process (debug builds, see [`ABORT_MARK`]).
fn killer(id: &str) -> Vec<u8> {
    format!(
        "From: Poison <p@poison.example>\r\nTo: sam@rig.test\r\nSubject: hello\r\n{ABORT_MARK}: yes\r\n\
         Message-ID: <{id}@poison.example>\r\n\r\nbody\r\n"
    )
    .into_bytes()
}

#[test]
fn hundreds_of_hostile_messages_are_each_recorded_under_a_memory_limit() {
    let desk = Desk::maildir();
    let messages = hostile::generate(9, 300);
    for (order, message) in messages.iter().enumerate() {
        desk.deliver(order, &message.name, &message.raw);
    }
    // Issue 9's poison at the size that took 1.4 GiB, in both encodings, then a good
    // message: reading goes past the poison.
    desk.deliver(300, "poison-base64", &hostile::poison_message(367_000, true));
    desk.deliver(301, "poison-qp", &hostile::poison_message(367_000, false));
    // The same poison written in ways the parser reads alike (each got past the first
    // pre-check and aborted the process under this limit), in both encodings by turns.
    for (number, disguise) in hostile::DISGUISES.iter().enumerate() {
        let raw = hostile::disguised_poison_message(367_000, number % 2 == 0, disguise);
        desk.deliver(310 + number, &format!("poison-{disguise}"), &raw);
    }
    let disguised = hostile::DISGUISES.len() as i64;
    // A file of 4 GiB (sparse: nothing on disk), four times the memory limit.
    desk.deliver(302, "huge", b"");
    let huge = std::fs::read_dir(desk.dir.path().join("maildir/new"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.to_string_lossy().ends_with(".huge"))
        .unwrap();
    std::fs::OpenOptions::new().write(true).open(huge).unwrap().set_len(4 << 30).unwrap();
    desk.deliver(400, "after-the-poison", &confirmation("Initech", "after-poison"));
    let files = 304 + disguised;

    let output = desk.debrief(&["sync"], &[]);
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "sync failed under --as={ADDRESS_SPACE}: {:?}\n{stderr}", output.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let conn = desk.database();
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM maildir_seen WHERE message IS NOT NULL"),
        files,
        "every file recorded"
    );
    // Not even a panic caught by the classifier's guard.
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM messages WHERE error LIKE '%parser failed%'"), 0);
    // The poison is refused before the parser, with the reason.
    let refused = count(
        &conn,
        "SELECT COUNT(*) FROM messages WHERE status = 'error' AND error LIKE '%: refused unread: its encoded message/rfc822 parts%'",
    );
    assert!(refused >= 2 + disguised, "{refused} refused as encoded chains");
    for disguise in hostile::DISGUISES {
        let refused = count(
            &conn,
            &format!(
                "SELECT COUNT(*) FROM messages WHERE error LIKE '%.poison-{disguise}: refused unread: its encoded message/rfc822 parts%'"
            ),
        );
        assert_eq!(refused, 1, "the {disguise} poison is refused before the parser");
    }
    let too_long =
        count(&conn, "SELECT COUNT(*) FROM messages WHERE error LIKE '%.huge: refused unread: it is longer than%'");
    assert_eq!(too_long, 1, "the 4 GiB file is refused for its size");
    let after = count(&conn, "SELECT COUNT(*) FROM messages WHERE message_id = 'after-poison@initech.example'");
    assert_eq!(after, 1, "the message after the poison is read");
    // `debrief inbox` lists what could not be read.
    let inbox = desk.debrief(&["inbox", "--json"], &[]);
    assert!(inbox.status.success(), "{}", text(&inbox.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&inbox.stdout).unwrap();
    let errors = count(&conn, "SELECT COUNT(*) FROM messages WHERE status = 'error'");
    let listed_errors = listed.as_array().unwrap().iter().filter(|entry| entry["status"] == "error").count();
    assert_eq!(listed_errors as i64, errors);

    // A second pass reads nothing again: nothing refused is retried.
    let again = desk.debrief(&["sync"], &[]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).starts_with("Read 0 new message(s)"), "{}", text(&again.stdout));
}

#[test]
fn a_maildir_message_that_killed_debrief_is_quarantined_at_the_next_start_and_reading_goes_on() {
    let desk = Desk::maildir();
    desk.deliver(1, "before", &confirmation("Initech", "before"));
    desk.deliver(2, "killer", &killer("killer"));
    desk.deliver(3, "after", &confirmation("Globex", "after"));
    let abort = [("DEBRIEF_TEST_ABORT_ON", ABORT_MARK)];

    let died = desk.debrief(&["sync"], &abort);
    assert_eq!(
        died.status.signal(),
        Some(libc_sigabrt()),
        "the killer kills: {:?} {}",
        died.status,
        text(&died.stderr)
    );
    let conn = desk.database();
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM messages"), 1, "only the message before it was read");

    // The next start records it and reads on, though it would kill again.
    let next = desk.debrief(&["sync"], &abort);
    let stderr = text(&next.stderr);
    assert!(next.status.success(), "the next start must not die on it again: {:?}\n{stderr}", next.status);
    assert!(stderr.contains("quarantined"), "{stderr}");
    let read = |id: &str| count(&conn, &format!("SELECT COUNT(*) FROM messages WHERE message_id = '{id}'"));
    assert_eq!(read("after@globex.example"), 1, "the message after it is read");
    assert_eq!(read("killer@poison.example"), 0, "it was never parsed");
    let inbox = desk.debrief(&["inbox", "--json"], &[]);
    let listed: serde_json::Value = serde_json::from_slice(&inbox.stdout).unwrap();
    let quarantined: Vec<&serde_json::Value> =
        listed.as_array().unwrap().iter().filter(|entry| entry["status"] == "error").collect();
    assert_eq!(quarantined.len(), 1, "{listed}");
    let error = quarantined[0]["error"].as_str().unwrap();
    assert!(error.contains("killer") && error.contains("quarantined"), "{error}");

    // And it stays quarantined: never read, never recorded twice.
    let third = desk.debrief(&["sync"], &abort);
    assert!(third.status.success(), "{}", text(&third.stderr));
    assert!(text(&third.stdout).starts_with("Read 0 new message(s)"), "{}", text(&third.stdout));
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM quarantined"), 1);
    // No marker is left behind by a clean exit.
    let leftovers: Vec<String> = std::fs::read_dir(desk.dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".reading.") || name.contains("new-marker"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn the_daemon_started_again_after_dying_on_a_message_quarantines_it_and_reads_on() {
    let desk = Desk::maildir();
    desk.deliver(1, "before", &confirmation("Initech", "run-before"));
    desk.deliver(2, "killer", &killer("run-killer"));
    desk.deliver(3, "after", &confirmation("Globex", "run-after"));
    let abort = [("DEBRIEF_TEST_ABORT_ON", ABORT_MARK), ("RUST_LOG", "info")];

    let mut first = desk.spawn(&["run"], &abort, "first.log");
    let died = wait_for_exit(&mut first);
    assert_eq!(died.signal(), Some(libc_sigabrt()), "the killer kills the daemon: {died:?}");

    // Started again (as systemd's Restart= does), it records the message and reads on.
    let mut second = desk.spawn(&["run"], &abort, "second.log");
    let conn = desk.database();
    let read = |id: &str| count(&conn, &format!("SELECT COUNT(*) FROM messages WHERE message_id = '{id}'"));
    let deadline = Instant::now() + WAIT;
    while read("run-after@globex.example") == 0 {
        if let Some(status) = second.try_wait().unwrap() {
            panic!("the daemon died again: {status:?}");
        }
        assert!(Instant::now() < deadline, "timed out waiting for the message after the killer");
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill").arg("-TERM").arg(second.id().to_string()).status().unwrap();
    assert!(status.success());
    let stopped = wait_for_exit(&mut second);
    assert!(stopped.success(), "SIGTERM ends it with exit 0: {stopped:?}");
    assert_eq!(read("run-killer@poison.example"), 0, "never parsed");
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM quarantined"), 1);
    let log = std::fs::read_to_string(desk.dir.path().join("second.log")).unwrap();
    assert!(log.contains("it is quarantined"), "{log}");
}

/// Waits for `child` to end, killing it and failing after [`WAIT`].
fn wait_for_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("debrief did not end within {WAIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_imap_message_that_killed_debrief_is_quarantined_at_the_next_start_and_reading_goes_on() {
    let rig = rig::Rig::start();
    let _turn = rig.shared_blocking();
    let me = "poison-quarantine@rig.test";
    let config = rig.config_for(me).build();
    let desk = Desk { config: config.path.clone(), dir: config.dir };
    rig.deliver(me, &confirmation("Initech", "imap-before"));
    rig.deliver(me, &killer("imap-killer"));
    rig.deliver(me, &confirmation("Globex", "imap-after"));
    let abort = [("DEBRIEF_TEST_ABORT_ON", ABORT_MARK)];

    let died = desk.debrief(&["sync"], &abort);
    assert_eq!(
        died.status.signal(),
        Some(libc_sigabrt()),
        "the killer kills: {:?} {}",
        died.status,
        text(&died.stderr)
    );
    let next = desk.debrief(&["sync"], &abort);
    assert!(
        next.status.success(),
        "the next start must not die on it again: {:?}\n{}",
        next.status,
        text(&next.stderr)
    );

    let conn = desk.database();
    let read = |id: &str| count(&conn, &format!("SELECT COUNT(*) FROM messages WHERE message_id = '{id}'"));
    assert_eq!((read("imap-before@initech.example"), read("imap-after@globex.example")), (1, 1));
    assert_eq!(read("imap-killer@poison.example"), 0);
    let (error, uid): (String, i64) = conn
        .query_row("SELECT m.error, m.uid FROM quarantined q JOIN messages m ON m.id = q.message_id", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    assert!(error.starts_with("INBOX UID 2:") && error.contains("quarantined"), "{error}");
    assert_eq!(uid, 2);
    let progress: i64 = count(&conn, "SELECT last_uid FROM mailbox_progress WHERE mailbox = 'INBOX'");
    assert_eq!(progress, 3, "reading went past it");
}

#[test]
fn names_and_subjects_with_line_breaks_or_nul_never_add_a_header_to_a_draft() {
    let desk = Desk::maildir();
    let mut order = 0;
    for subject in hostile::INJECTED_SUBJECTS {
        for name in hostile::INJECTED_NAMES {
            desk.deliver(order, "injection", &hostile::injected_confirmation(order, subject, name));
            order += 1;
        }
    }
    // Read before the interviews (Thu 3 Dec 2026, 14:00-15:00 CST), then plan after them.
    let read = desk.debrief_at("2026-12-01 16:00:00", &["sync"]);
    assert!(read.status.success(), "{}", text(&read.stderr));
    let planned = desk.debrief_at("2026-12-03 21:30:00", &["sync"]);
    assert!(planned.status.success(), "{}", text(&planned.stderr));

    let config = debrief::config::Config::load(&desk.config).unwrap();
    let store = debrief::store::Store::open(&config.storage_path).unwrap();
    let drafts = debrief::store::drafts_with_status(store.conn(), debrief::domain::DraftStatus::Pending).unwrap();
    assert_eq!(drafts.len(), order, "one thank-you per confirmation: {:?}", text(&planned.stdout));
    let at: jiff::Timestamp = "2026-12-04T10:00:00Z".parse().unwrap();
    for draft in &drafts {
        for field in std::iter::once(&draft.subject).chain(&draft.to) {
            assert!(!field.contains(['\r', '\n', '\0']), "draft {}: {field:?}", draft.id);
        }
        let raw = debrief::outbox::build_message(&config, draft, at).unwrap();
        let head = text(&raw[..raw.windows(4).position(|window| window == b"\r\n\r\n").unwrap()]);
        assert!(!head.contains('\0'), "{head}");
        let mut names: Vec<String> = head
            .split("\r\n")
            .filter(|line| !line.starts_with([' ', '\t']))
            .map(|line| line.split_once(':').map_or(line, |(name, _)| name).to_ascii_lowercase())
            .collect();
        names.sort();
        let mut expected = vec![
            "content-transfer-encoding",
            "content-type",
            "date",
            "from",
            "message-id",
            "mime-version",
            "subject",
            "to",
        ];
        if draft.in_reply_to.is_some() {
            expected.extend(["in-reply-to", "references"]);
        }
        expected.sort();
        assert_eq!(names, expected, "draft {}:\n{head}", draft.id);
        let to = head.lines().find(|line| line.starts_with("To:")).unwrap();
        assert_eq!(to, format!("To: {}", draft.to.join(", ")), "{head}");
    }
}

/// SIGABRT's number on Linux.
fn libc_sigabrt() -> i32 {
    6
}

//! `debrief run` and `debrief sync` end to end, from outside: the real binary against the
//! rig's Dovecot and SMTP server (tests/rig/), a real SQLite file, the clock moved with
//! libfaketime for `sync`, systemd's notify protocol over a real datagram socket.
//!
//! These are issue 4's acceptance scenarios: an invite delivered while the daemon runs
//! shows up within seconds (IDLE); thank-you notes are drafted after the interview and,
//! approved, arrive at their send time with a copy in Sent; a reply in the thread cancels
//! the follow-up; a rejection gets a reply draft; SIGKILL while sending never sends twice
//! and never loses an approved message.

#[path = "support/rig.rs"]
mod rig;

#[path = "support/home.rs"]
mod home;
use home::{BINARY, faketime, succeeded};
use jiff::{Timestamp, ToSpan};
use rig::{Rig, RigConfig};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixDatagram;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A safety net for waits: never reached when things work.
const WAIT: Duration = Duration::from_secs(30);

/// A test user's world: a rig config (with a policy that sends on any day at any hour, so
/// the scenario does not depend on the weekday or the hour CI runs at) and the commands
/// around it.
struct World {
    rig: &'static Rig,
    config: RigConfig,
    me: String,
}

impl World {
    fn new(rig: &'static Rig, me: &str) -> World {
        let config = rig.config_for(me).build();
        let mut text = std::fs::read_to_string(&config.path).unwrap();
        text.push_str("\n[policy]\nsend_days = \"Mon-Sun\"\nsend_window = \"00:00-24:00\"\n");
        std::fs::write(&config.path, text).unwrap();
        World { rig, config, me: me.to_owned() }
    }

    /// A world with the default policy: 08:00-18:00, Monday to Friday, in UTC.
    fn with_default_window(rig: &'static Rig, me: &str) -> World {
        World { rig, config: rig.config_for(me).build(), me: me.to_owned() }
    }

    fn command(&self, at: Option<Timestamp>, args: &[&str]) -> Command {
        let mut command = match at {
            Some(at) => {
                // libfaketime wants "YYYY-MM-DD hh:mm:ss" in TZ; the tests run in UTC.
                let mut command = faketime::starting_at(&at.strftime("%Y-%m-%d %H:%M:%S").to_string(), BINARY);
                command.env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
                command
            }
            None => Command::new(BINARY),
        };
        command.env("TZ", "UTC").env("DEBRIEF_CONFIG", &self.config.path).env_remove("NOTIFY_SOCKET");
        command.args(args);
        command
    }

    fn ok(&self, at: Option<Timestamp>, args: &[&str]) -> String {
        let output = self.command(at, args).output().unwrap();
        succeeded(&output, args)
    }

    fn json(&self, at: Option<Timestamp>, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        serde_json::from_str(&self.ok(at, &all)).unwrap()
    }

    fn queue(&self, at: Timestamp) -> Vec<Value> {
        self.json(Some(at), &["queue"]).as_array().unwrap().clone()
    }

    fn draft(&self, at: impl Into<Option<Timestamp>>, id: i64) -> Value {
        self.json(at.into(), &["show", &id.to_string()])
    }

    /// Records an interview at `start` with `interviewer` (as `debrief add` does) and
    /// syncs two hours later, when its thank-you note is drafted; returns the queue then.
    fn thank_you_drafted(&self, interviewer: &str, start: Timestamp) -> Vec<Value> {
        let start_text = start.to_string();
        let add = ["add", "--company", "Globex", "--role", "SRE", "--start", &start_text, "--interviewer", interviewer];
        self.ok(Some(start - 1.hour()), &add);
        self.ok(Some(start + 2.hours()), &["sync"]);
        self.queue(start + 2.hours())
    }

    fn deliver(&self, raw: &str) {
        self.rig.deliver(&self.me, raw.as_bytes());
    }
}

/// `debrief run` in the background, with a notify socket like systemd's.
struct Daemon {
    child: Child,
    notices: mpsc::Receiver<String>,
    log: mpsc::Receiver<String>,
    _socket_dir: tempfile::TempDir,
}

impl Daemon {
    fn start(world: &World, watchdog: Option<Duration>) -> Daemon {
        Daemon::start_with(watchdog, world.command(None, &["run"]))
    }

    /// `debrief run` on a clock the test controls: libfaketime reads the time from
    /// `clock` (re-read at every call; see `Clock`), while tokio's timers run for real.
    /// The outbox says at debug level when a due draft waits for its send window.
    fn start_on_clock(world: &World, clock: &Clock) -> Daemon {
        let mut command = world.command(None, &["run"]);
        command
            .env("LD_PRELOAD", faketime::library())
            .env_remove("FAKETIME")
            .env("FAKETIME_TIMESTAMP_FILE", &clock.path)
            .env("FAKETIME_NO_CACHE", "1")
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
        Daemon::start_with(None, command)
    }

    fn start_with(watchdog: Option<Duration>, mut command: Command) -> Daemon {
        let socket_dir = tempfile::tempdir().unwrap();
        let socket_path = socket_dir.path().join("notify.sock");
        let socket = UnixDatagram::bind(&socket_path).unwrap();
        let log_filter = if command.get_envs().any(|(key, _)| key == "FAKETIME_TIMESTAMP_FILE") {
            "info,debrief::outbox=debug"
        } else {
            "info"
        };
        command.env("NOTIFY_SOCKET", &socket_path).env("RUST_LOG", log_filter);
        if let Some(every) = watchdog {
            command.env("WATCHDOG_USEC", every.as_micros().to_string());
        }
        let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let (notice_tx, notices) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(size) = socket.recv(&mut buffer) {
                let text = String::from_utf8_lossy(&buffer[..size]).into_owned();
                for line in text.lines() {
                    if notice_tx.send(line.to_owned()).is_err() {
                        return;
                    }
                }
            }
        });
        let stderr = child.stderr.take().unwrap();
        let (log_tx, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[debrief run] {line}");
                let _ = log_tx.send(line);
            }
        });
        Daemon { child, notices, log, _socket_dir: socket_dir }
    }

    /// Waits for a notify line equal to `line`, returning when it came.
    fn wait_notice(&self, line: &str) -> Instant {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.notices.recv_timeout(left) {
                Ok(got) if got == line => return Instant::now(),
                Ok(_) => {}
                Err(_) => panic!("the daemon never sent {line} to the notify socket"),
            }
        }
    }

    /// Waits for a log line containing `text`, returning it.
    fn wait_log(&self, text: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.log.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(_) => panic!("the daemon never logged {text:?}"),
            }
        }
    }

    /// The lines the daemon logs during `period`.
    fn log_for(&self, period: Duration) -> Vec<String> {
        let deadline = Instant::now() + period;
        let mut lines = Vec::new();
        while let Ok(line) = self.log.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            lines.push(line);
        }
        lines
    }

    /// SIGTERM, and the exit status with how long it took.
    fn terminate(mut self) -> (std::process::ExitStatus, Duration) {
        let started = Instant::now();
        signal(&self.child, "TERM");
        let deadline = started + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, started.elapsed());
            }
            assert!(Instant::now() < deadline, "the daemon did not stop after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(mut self) {
        signal(&self.child, "KILL");
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A clock file for libfaketime: the daemon's time is frozen at what the test last wrote.
struct Clock {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl Clock {
    fn at(at: Timestamp) -> Clock {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock { path: dir.path().join("clock"), _dir: dir };
        clock.set(at);
        clock
    }

    /// Sets the time, atomically (a half-written file would read as no fake).
    fn set(&self, at: Timestamp) {
        let temporary = self.path.with_extension("new");
        std::fs::write(&temporary, at.strftime("%Y-%m-%d %H:%M:%S").to_string()).unwrap();
        std::fs::rename(&temporary, &self.path).unwrap();
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill").arg(format!("-{name}")).arg(child.id().to_string()).status().unwrap();
    assert!(status.success());
}

/// Polls `check` until it gives a value, or panics after [`WAIT`].
fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An interview a few days from now at 09:00–10:00 UTC, so that its note (4 h after it
/// ends) falls inside the default 08:00–18:00 window.
fn interview_start() -> Timestamp {
    #[allow(clippy::disallowed_methods)] // The tests' own clock: the daemon runs at the real time.
    let today = Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    (today + 3.days()).at(9, 0, 0, 0).to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp()
}

fn ical(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

fn invite(me: &str, start: Timestamp, message_id: &str) -> String {
    let end = start + 1.hour();
    format!(
        "From: Rita Recruiter <rita@acme.example>\r\nTo: Candidate <{me}>\r\n\
         Subject: Interview confirmation: Backend Engineer at Acme\r\n\
         Date: {date}\r\nMessage-ID: <{message_id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n\
         --b0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hi, your interview for the Backend Engineer role at Acme is confirmed. You will meet\r\n\
         Jane Doe and Bob Lee. The invite is attached.\r\n\r\nRita Recruiter\r\nAcme\r\n\r\n\
         --b0\r\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\r\n\
         BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nVERSION:2.0\r\nPRODID:-//Acme//Scheduler//EN\r\n\
         BEGIN:VEVENT\r\nUID:{message_id}-event\r\nSEQUENCE:0\r\nSTATUS:CONFIRMED\r\n\
         SUMMARY:Interview: Backend Engineer\r\nDTSTART:{start}\r\nDTEND:{end}\r\n\
         ORGANIZER;CN=Rita Recruiter:mailto:rita@acme.example\r\n\
         ATTENDEE;ROLE=REQ-PARTICIPANT;CN=Candidate:mailto:{me}\r\n\
         ATTENDEE;ROLE=REQ-PARTICIPANT;CN=Jane Doe:mailto:jane@acme.example\r\n\
         ATTENDEE;ROLE=REQ-PARTICIPANT;CN=Bob Lee:mailto:bob@acme.example\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n\r\n--b0--\r\n",
        date = (start - (3 * 24).hours()).strftime("%a, %d %b %Y %H:%M:%S +0000"),
        start = ical(start),
        end = ical(end),
    )
}

fn reply(me: &str, at: Timestamp, message_id: &str, in_reply_to: &str, subject: &str, body: &str) -> String {
    format!(
        "From: Rita Recruiter <rita@acme.example>\r\nTo: Candidate <{me}>\r\nSubject: {subject}\r\n\
         Date: {date}\r\nMessage-ID: <{message_id}>\r\nIn-Reply-To: <{in_reply_to}>\r\n\
         References: <{in_reply_to}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        date = at.strftime("%a, %d %b %Y %H:%M:%S +0000"),
    )
}

fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{}:", name.to_lowercase());
    raw.lines().find(|line| line.to_lowercase().starts_with(&prefix)).map(|line| line[prefix.len()..].trim())
}

fn ids_of(drafts: &[Value]) -> Vec<i64> {
    drafts.iter().map(|draft| draft["id"].as_i64().unwrap()).collect()
}

#[test]
fn an_interview_goes_from_invite_to_thank_you_notes_to_a_cancelled_follow_up_and_a_rejection_reply() {
    let rig = Rig::start();
    let _turn = rig.shared_blocking();
    let me = "e2e-candidate@rig.test";
    let world = World::new(rig, me);
    let start = interview_start();

    // The daemon runs; the invite is delivered; IDLE brings it in within seconds.
    let daemon = Daemon::start(&world, Some(Duration::from_secs(2)));
    daemon.wait_notice("READY=1");
    daemon.wait_notice("WATCHDOG=1");
    let delivered = Instant::now();
    world.deliver(&invite(me, start, "invite-1@acme.example"));
    let applications = eventually("the application to appear", || {
        let applications = world.json(None, &["applications"]);
        (!applications.as_array().unwrap().is_empty()).then_some(applications)
    });
    let seen_after = delivered.elapsed();
    assert!(seen_after < Duration::from_secs(10), "IDLE, not a poll: seen after {seen_after:?}");
    assert_eq!(applications[0]["state"], "scheduled", "{applications}");
    let (status, took) = daemon.terminate();
    assert!(status.success(), "SIGTERM ends the daemon with exit 0: {status:?}");
    assert!(took < Duration::from_secs(5), "and within 5 seconds: {took:?}");

    // After the interview: one thank-you per interviewer, due 4 h after the end.
    let after = start + 1.hour() + 30.minutes();
    world.ok(Some(after), &["sync"]);
    let queue = world.queue(after);
    assert_eq!(queue.len(), 2, "{queue:?}");
    let mut to: Vec<&str> = queue.iter().map(|draft| draft["to"].as_str().unwrap()).collect();
    to.sort();
    assert_eq!(to, ["bob@acme.example", "jane@acme.example"]);
    let send_at: Timestamp = queue[0]["send_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(send_at, start + 5.hours());
    for id in ids_of(&queue) {
        world.ok(Some(after), &["approve", &id.to_string()]);
    }

    // Not before their time...
    world.ok(Some(send_at - 1.minute()), &["sync"]);
    assert!(rig.mailbox_messages("jane@acme.example", "INBOX").is_empty());
    // ...and at it, to each interviewer, with the headers fixed at draft time, a copy in Sent.
    world.ok(Some(send_at + 1.minute()), &["sync"]);
    for id in ids_of(&queue) {
        let draft = world.draft(send_at + 1.minute(), id);
        assert_eq!(draft["status"], "sent", "{draft}");
    }
    let janes = rig.mailbox_messages("jane@acme.example", "INBOX");
    assert_eq!(janes.len(), 1);
    let note = String::from_utf8_lossy(&janes[0]).into_owned();
    let jane_draft = queue.iter().find(|draft| draft["to"] == "jane@acme.example").unwrap();
    let shown = world.draft(send_at + 1.minute(), jane_draft["id"].as_i64().unwrap());
    assert_eq!(header(&note, "Message-ID").unwrap(), shown["message_id"].as_str().unwrap());
    assert!(header(&note, "From").unwrap().contains(me), "{note}");
    assert!(header(&note, "Date").is_some(), "{note}");
    assert_eq!(rig.mailbox_messages("bob@acme.example", "INBOX").len(), 1);
    let sent = rig.mailbox_messages(me, "Sent");
    assert_eq!(sent.len(), 2, "a copy of each note in Sent");

    // A week on, the follow-up is drafted; approved; then the recruiter answers in the
    // thread before it is due: it is cancelled, and never sent.
    let draft_day = send_at + (6 * 24).hours() + 1.hour();
    world.ok(Some(draft_day), &["sync"]);
    let follow_up = world.queue(draft_day).into_iter().find(|draft| draft["kind"] == "follow_up").expect("a follow-up");
    let follow_up_id = follow_up["id"].as_i64().unwrap();
    world.ok(Some(draft_day), &["approve", &follow_up_id.to_string()]);
    let follow_up_due: Timestamp = follow_up["send_at"].as_str().unwrap().parse().unwrap();
    world.deliver(&reply(
        me,
        draft_day + 2.hours(),
        "reply-1@acme.example",
        "invite-1@acme.example",
        "Re: Interview confirmation: Backend Engineer at Acme",
        "Hi, thanks for your patience. The team is still talking to candidates.",
    ));
    world.ok(Some(follow_up_due + 1.minute()), &["sync"]);
    let shown = world.draft(follow_up_due + 1.minute(), follow_up_id);
    assert_eq!(shown["status"], "cancelled", "{shown}");
    assert!(
        !rig.smtp_log().iter().any(|entry| entry.message_id.as_deref() == shown["message_id"].as_str()),
        "the follow-up never went out"
    );

    // A rejection in the thread gets a gracious reply draft.
    let later = follow_up_due + (2 * 24).hours();
    world.deliver(&reply(
        me,
        later,
        "reply-2@acme.example",
        "reply-1@acme.example",
        "Re: Interview confirmation: Backend Engineer at Acme",
        "Hi,\r\n\r\nThank you for your time. Unfortunately we have decided not to move forward with your \
         application for the Backend Engineer role.\r\n\r\nBest,\r\nRita",
    ));
    world.ok(Some(later + 1.hour()), &["sync"]);
    let queue = world.queue(later + 1.hour());
    assert!(queue.iter().any(|draft| draft["kind"] == "rejection_reply"), "{queue:?}");
    let applications = world.json(Some(later + 1.hour()), &["applications"]);
    assert_eq!(applications[0]["state"], "rejected", "{applications}");
}

#[test]
fn sigkill_while_sending_never_sends_twice_and_never_loses_an_approved_message() {
    let rig = Rig::start();
    let _turn = rig.shared_blocking();
    let me = "kill-candidate@rig.test";
    let world = World::new(rig, me);
    // Twelve interviewers, interviewed ten days ago: twelve notes due long ago.
    #[allow(clippy::disallowed_methods)]
    let real_now = Timestamp::now();
    let past = real_now - (10 * 24).hours();
    let start =
        (past.to_zoned(jiff::tz::TimeZone::UTC).date()).at(9, 0, 0, 0).to_zoned(jiff::tz::TimeZone::UTC).unwrap();
    let mut args: Vec<String> =
        ["add", "--company", "Initech", "--role", "Engineer", "--start"].map(String::from).to_vec();
    args.push(start.timestamp().to_string());
    let interviewers: Vec<String> = (1..=12).map(|n| format!("kill-interviewer-{n}@initech.example")).collect();
    for address in &interviewers {
        args.push("--interviewer".into());
        args.push(format!("Interviewer <{address}>"));
    }
    let at = start.timestamp() - 24.hours();
    world.ok(Some(at), &args.iter().map(String::as_str).collect::<Vec<_>>());
    let planned = start.timestamp() + 2.hours();
    world.ok(Some(planned), &["sync"]);
    let queue = world.queue(planned);
    assert_eq!(queue.len(), 12);
    for id in ids_of(&queue) {
        world.ok(Some(planned), &["approve", &id.to_string()]);
    }

    // The daemon sends; it is killed as soon as the first message reaches the server.
    let before = rig.smtp_log().len();
    let daemon = Daemon::start(&world, None);
    eventually("the first message to be sent", || (rig.smtp_log().len() > before).then_some(()));
    daemon.kill();

    // Started again, it sends the rest and nothing twice.
    let daemon = Daemon::start(&world, None);
    daemon.wait_notice("READY=1");
    let statuses = eventually("every note to be settled", || {
        let statuses: Vec<(String, String)> = ids_of(&queue)
            .iter()
            .map(|id| {
                let draft = world.draft(None, *id);
                (draft["status"].as_str().unwrap().to_owned(), draft["message_id"].as_str().unwrap().to_owned())
            })
            .collect();
        statuses.iter().all(|(status, _)| status == "sent" || status == "unknown").then_some(statuses)
    });
    let (status, _) = daemon.terminate();
    assert!(status.success());

    let log: Vec<_> = rig.smtp_log().into_iter().skip(before).collect();
    let times_sent = |message_id: &str| {
        log.iter()
            .filter(|entry| {
                entry.message_id.as_deref().map(|id| id.trim_matches(['<', '>']))
                    == Some(message_id.trim_matches(['<', '>']))
            })
            .count()
    };
    let mut unknown = 0;
    for (status, message_id) in &statuses {
        match status.as_str() {
            "sent" => assert_eq!(times_sent(message_id), 1, "{message_id} is sent: exactly once ({log:?})"),
            _ => {
                unknown += 1;
                assert!(times_sent(message_id) <= 1, "{message_id} went out twice");
            }
        }
    }
    assert!(unknown <= 1, "only the message in flight at the kill may be unknown: {statuses:?}");
    for address in &interviewers {
        assert!(rig.mailbox_messages(address, "INBOX").len() <= 1, "{address} got a note twice");
    }
}

/// Runs the daemon over a broken `config` for six seconds: the watcher's failure is said
/// in lines containing `expected`, with backoff (not a spin), never showing the password,
/// and SIGTERM still ends it with exit 0.
fn run_keeps_retrying_with(rig: &'static Rig, me: &str, config: RigConfig, expected: &str) {
    let text = std::fs::read_to_string(&config.path).unwrap() + "\n[policy]\nsend_days = \"Mon-Sun\"\n";
    std::fs::write(&config.path, text).unwrap();
    let world = World { rig, config, me: me.to_owned() };
    let daemon = Daemon::start(&world, None);
    // The first failure may take a connect timeout (an unreachable host); from it, count
    // the attempts in the next six seconds.
    let deadline = Instant::now() + Duration::from_secs(40);
    let first = loop {
        match daemon.log.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) if line.contains("Watching INBOX") => break line,
            Ok(_) => {}
            Err(_) => panic!("the daemon never said why it cannot watch INBOX"),
        }
    };
    let mut lines = vec![first];
    lines.extend(daemon.log_for(Duration::from_secs(6)));
    let failures: Vec<&String> = lines.iter().filter(|line| line.contains("Watching INBOX")).collect();
    assert!(!failures.is_empty(), "the failure is said: {lines:#?}");
    // Backoff: 1 s, 2 s, 4 s... at most four attempts in six seconds, not a spin.
    assert!(failures.len() <= 4, "{} attempts in 6 s: {failures:#?}", failures.len());
    for line in &failures {
        assert!(line.contains(expected), "the line says what is wrong ({expected}): {line}");
        assert_eq!(line.lines().count(), 1);
        assert!(!line.contains("Not-The-Password-93") && !line.contains(&rig.shared_password), "no password: {line}");
    }
    let (status, took) = daemon.terminate();
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(5));
}

#[test]
fn run_with_a_bad_password_says_so_in_one_line_and_retries_without_spinning() {
    let rig = Rig::start();
    let _turn = rig.shared_blocking();
    let me = "bad-password@rig.test";
    let config = rig.config_for(me).password("Not-The-Password-93").build();
    run_keeps_retrying_with(rig, me, config, "check the username and the password");
}

#[test]
fn run_on_a_wrong_port_says_so_and_retries() {
    let rig = Rig::start();
    let _turn = rig.shared_blocking();
    let me = "wrong-port@rig.test";
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = rig.config_for(me).imap_port(closed).smtp_port(closed).build();
    run_keeps_retrying_with(rig, me, config, "check the host, the port and the network");
}

#[test]
fn run_against_an_untrusted_certificate_says_to_set_ca_file_and_retries() {
    let rig = Rig::start();
    let _turn = rig.shared_blocking();
    let me = "untrusted@rig.test";
    let config = rig.config_for(me).without_ca_file().build();
    run_keeps_retrying_with(rig, me, config, "set ca_file");
}

#[test]
fn run_against_an_unreachable_host_says_so_and_retries() {
    let rig = Rig::start();
    let _turn = rig.shared_blocking();
    let me = "unreachable@rig.test";
    // TEST-NET-1: nothing answers there (no route on CI machines, or a connect timeout).
    let config = rig.config_for(me).host("192.0.2.1").build();
    run_keeps_retrying_with(rig, me, config, "cannot reach 192.0.2.1");
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Secrets never reach the logs, even at `RUST_LOG=trace` (lettre writes the SMTP
/// conversation, AUTH included, at debug level: debrief pins it to warn).
#[test]
fn sync_at_trace_level_never_logs_the_password() {
    let rig = Rig::start();
    let _turn = rig.shared_blocking();
    let me = "trace-logs@rig.test";
    let world = World::new(rig, me);
    let password = rig.password(me);
    #[allow(clippy::disallowed_methods)]
    let start = Timestamp::now() - (30 * 24).hours();
    let queue = world.thank_you_drafted("Hank <hank-trace@globex.example>", start);
    world.ok(None, &["approve", &queue[0]["id"].as_i64().unwrap().to_string()]);
    let output = world.command(None, &["sync"]).env("RUST_LOG", "trace").output().unwrap();
    succeeded(&output, &["sync"]);
    assert_eq!(world.draft(None, queue[0]["id"].as_i64().unwrap())["status"], "sent");
    let logs = String::from_utf8_lossy(&output.stderr);
    assert!(!logs.is_empty(), "trace logging is on");
    for secret in [password.clone(), base64(format!("\0{me}\0{password}").as_bytes()), base64(password.as_bytes())] {
        assert!(!logs.contains(&secret), "a secret in the logs: {secret}");
    }
}

/// The daemon mails the digest at its cron time: here every second, so the test sees
/// one within moments; a draft waits for approval, so the digest has something to say.
/// (The schedule's correctness across DST is tested in src/digest.)
#[test]
fn the_daemon_mails_the_digest_at_its_time() {
    let rig = Rig::start();
    let _turn = rig.shared_blocking();
    let me = "digest-reader@rig.test";
    let world = World::new(rig, me);
    let mut text = std::fs::read_to_string(&world.config.path).unwrap();
    text.push_str("\n[digest]\nat = \"*/1 * * * * *\"\n");
    std::fs::write(&world.config.path, text).unwrap();
    #[allow(clippy::disallowed_methods)]
    let start = Timestamp::now() - (24 * 2).hours();
    assert_eq!(world.thank_you_drafted("Hank <hank-digest@globex.example>", start).len(), 1);

    let daemon = Daemon::start(&world, None);
    daemon.wait_notice("READY=1");
    let digest = eventually("the digest in the user's inbox", || {
        rig.mailbox_messages(me, "INBOX")
            .into_iter()
            .map(|raw| String::from_utf8_lossy(&raw).into_owned())
            .find(|m| header(m, "Subject").is_some_and(|subject| subject.starts_with("debrief:")))
    });
    let (status, _) = daemon.terminate();
    assert!(status.success());
    assert!(header(&digest, "To").unwrap().contains(me), "{digest}");
    assert!(digest.contains("debrief approve 1"), "the digest says how to act: {digest}");
    assert!(digest.contains("hank-digest@globex.example"), "{digest}");
}

/// SPEC §1 and issue 12: nothing leaves outside the send window, however overdue. A
/// thank-you planned for Friday afternoon and approved on Saturday evening is not sent by
/// the `debrief run` that is running all weekend (and the daemon does not spin over it);
/// it goes at Monday's 08:00 opening, and its words about time are Monday's: "on Friday,
/// December 4", not "today". On main it went out on Saturday at 23:00.
#[test]
fn a_note_approved_on_saturday_evening_waits_for_mondays_window_and_says_so() {
    let rig = Rig::start();
    let _turn = rig.shared_blocking();
    let me = "window-candidate@rig.test";
    let world = World::with_default_window(rig, me);
    let interviewer = "wendy-window@initech.example";
    // Friday 4 December 2026, 10:00-11:00 UTC: the note is planned for 15:00 that day.
    let start: Timestamp = "2026-12-04T10:00:00Z".parse().unwrap();
    let start_text = start.to_string();
    let who = format!("Wendy Window <{interviewer}>");
    let add = ["add", "--company", "Initech", "--role", "Engineer", "--start", &start_text, "--interviewer", &who];
    world.ok(Some(start - 24.hours()), &add);
    world.ok(Some(start + 2.hours()), &["sync"]);
    let queue = world.queue(start + 2.hours());
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(queue[0]["send_at"], "2026-12-04T15:00:00Z");
    let id = queue[0]["id"].as_i64().unwrap();

    // Approved on Saturday at 23:00: it says when it really goes, and that it is late.
    let saturday: Timestamp = "2026-12-05T23:00:00Z".parse().unwrap();
    let approved = world.ok(Some(saturday), &["approve", &id.to_string()]);
    assert!(approved.contains("it will be sent when its send window opens, Mon 2026-12-07 08:00 UTC"), "{approved}");
    assert!(approved.contains("rewritten for Monday, December 7, the day it goes out"), "{approved}");
    assert!(
        approved.contains("Warning: this thank-you is late") && approved.contains("goes out Mon 2026-12-07 08:00 UTC"),
        "{approved}"
    );
    let shown = world.ok(Some(saturday), &["show", &id.to_string()]);
    assert!(
        shown.contains(
            "Send at: Mon 2026-12-07 08:00 UTC (planned for Fri 2026-12-04 15:00 UTC, when its send window opens)"
        ),
        "{shown}"
    );
    assert_eq!(world.queue(saturday)[0]["send_at"], "2026-12-07T08:00:00Z", "the queue says the same");
    // A `sync` then sends nothing either, and says why.
    let synced = world.ok(Some(saturday + 10.seconds()), &["sync"]);
    assert!(synced.contains("Sent 0."), "{synced}");
    assert!(
        synced.contains("1 approved draft(s) wait for the send window; the first goes Mon 2026-12-07 08:00 UTC."),
        "{synced}"
    );
    let message_id = world.draft(saturday, id)["message_id"].as_str().unwrap().to_owned();
    let sent_times =
        || rig.smtp_log().iter().filter(|entry| entry.message_id.as_deref() == Some(message_id.as_str())).count();

    // The daemon runs from Saturday 23:00:30 through Sunday and Monday 07:59: each pass
    // finds the note due and keeps it for the window.
    let clock = Clock::at(saturday + 30.seconds());
    let daemon = Daemon::start_on_clock(&world, &clock);
    let waits = format!("Draft {id} is due but waits for its send window to open at 2026-12-07T08:00:00Z");
    daemon.wait_log(&waits);
    daemon.wait_notice("READY=1");
    clock.set("2026-12-06T12:00:00Z".parse().unwrap());
    daemon.wait_log(&waits);
    // Waiting, it sleeps until the window (or the next minute's planning): it does not
    // pass again and again while the clock stands still.
    let passes = daemon.log_for(Duration::from_secs(2)).iter().filter(|line| line.contains(&waits)).count();
    assert!(passes <= 1, "the daemon spins over a draft that waits for the window: {passes} passes in 2 s");
    clock.set("2026-12-07T07:59:00Z".parse().unwrap());
    daemon.wait_log(&waits);
    assert_eq!(sent_times(), 0, "nothing is sent outside the window");
    assert!(rig.mailbox_messages(interviewer, "INBOX").is_empty());
    assert_eq!(world.draft(None, id)["status"], "approved");

    // Monday 08:00: it goes, once, dated Monday, and says they met on Friday.
    clock.set("2026-12-07T08:00:01Z".parse().unwrap());
    eventually("the note to be sent at the opening", || (world.draft(None, id)["status"] == "sent").then_some(()));
    let (status, _) = daemon.terminate();
    assert!(status.success());
    assert_eq!(sent_times(), 1);
    let inbox = rig.mailbox_messages(interviewer, "INBOX");
    assert_eq!(inbox.len(), 1);
    let raw = String::from_utf8_lossy(&inbox[0]).replace("=\r\n", "");
    assert!(header(&raw, "Date").is_some_and(|date| date.starts_with("Mon, 07 Dec 2026 08:00")), "{raw}");
    assert!(raw.contains("speak with me on Friday, December 4"), "its words are Monday's: {raw}");
    assert!(!raw.contains("speak with me today"), "{raw}");
}

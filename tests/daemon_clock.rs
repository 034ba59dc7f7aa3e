//! `debrief run` plans on the clock (issue 9, part 1): with nothing else happening, one
//! daemon process drafts the thank-you notes when an interview ends, drafts a follow-up
//! when it falls due, and closes a ghosted application.
//!
//! Each test is the way a user lives it: the application is set up with the CLI first,
//! then one `debrief run` starts *before* the moment, and nothing but the clock moves.
//! The clock is one the test controls: libfaketime reads the daemon's time from a file
//! (`FAKETIME_TIMESTAMP_FILE`, re-read at every call), frozen at an instant the test
//! writes, while the monotonic clock (tokio's timers) runs for real. The test waits for
//! `READY=1` (sent after the daemon's first pass), moves the clock one second past the
//! moment, and waits on `queue --json` / `applications --json` with a deadline. Reading
//! the queue commits nothing, so the daemon is not woken by another process.
//!
//! No mail server is needed: the config reads an (empty) Maildir.

#[path = "support/home.rs"]
mod home;
use home::{BINARY, Home, faketime};
use jiff::{Timestamp, ToSpan};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A safety net for waits: never reached when things work.
const WAIT: Duration = Duration::from_secs(30);

fn civil(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// A user's folder: config, an empty Maildir, the database, and the daemon's clock file.
struct World {
    home: Home,
}

impl World {
    fn new(policy: &str) -> World {
        let home = Home::with_config_for(|dir| {
            format!(
                "[identity]\nname = \"Casey Candidate\"\nemail = \"casey@clock.test\"\ntime_zone = \"UTC\"\n\
                 [storage]\npath = \"{db}\"\n[maildir]\npath = \"{maildir}\"\n\
                 [policy]\nsend_window = \"00:00-23:59\"\nsend_days = \"Mon-Sun\"\n{policy}",
                db = dir.join("debrief.db").display(),
                maildir = dir.join("maildir").display(),
            )
        });
        World { home: home.with_maildir("maildir").without_env(&["NOTIFY_SOCKET"]) }
    }

    fn config(&self) -> PathBuf {
        self.home.config()
    }

    fn clock_file(&self) -> PathBuf {
        self.home.path("clock")
    }

    /// Sets the daemon's clock, atomically (a half-written file would read as no fake).
    fn set_clock(&self, at: Timestamp) {
        let temporary = self.home.path("clock.new");
        std::fs::write(&temporary, civil(at)).unwrap();
        std::fs::rename(&temporary, self.clock_file()).unwrap();
    }

    /// `debrief ARGS` with the clock stopped at the instant `at` (setup before the daemon
    /// runs), or at the real time (reads while it runs).
    fn ok(&self, at: Option<Timestamp>, args: &[&str]) -> String {
        let mut command = self.home.command(None, args);
        if let Some(at) = at {
            command.env("LD_PRELOAD", faketime::library()).env("FAKETIME", civil(at));
        }
        home::succeeded(&command.output().unwrap(), args)
    }

    fn json(&self, args: &[&str]) -> Vec<Value> {
        let mut all = args.to_vec();
        all.push("--json");
        let value: Value = serde_json::from_str(&self.ok(None, &all)).unwrap();
        value.as_array().unwrap().clone()
    }

    fn queue(&self) -> Vec<Value> {
        self.json(&["queue"])
    }

    fn state(&self, application: i64) -> String {
        let applications = self.json(&["applications"]);
        let found = applications.iter().find(|app| app["id"] == application).expect("the application");
        found["state"].as_str().unwrap().to_owned()
    }

    /// An interview at `start` (one hour) with two interviewers, recorded an hour before.
    fn add_interview(&self, start: Timestamp) {
        let start_text = start.to_string();
        let args = [
            "add",
            "--company",
            "Clockwork Analytics",
            "--role",
            "Data Engineer",
            "--start",
            &start_text,
            "--duration",
            "1h",
            "--interviewer",
            "Dana Reyes <dana@clockwork.example>",
            "--interviewer",
            "Omar Haddad <omar@clockwork.example>",
        ];
        self.ok(Some(start - 1.hour()), &args);
    }

    fn reject_all(&self, at: Timestamp, kind: &str) {
        let ids: Vec<i64> = self
            .queue()
            .iter()
            .filter(|draft| draft["kind"] == kind)
            .map(|draft| draft["id"].as_i64().unwrap())
            .collect();
        assert!(!ids.is_empty(), "a {kind} to reject");
        for id in ids {
            self.ok(Some(at), &["reject", &id.to_string()]);
        }
    }

    /// The history entries of `application` caused by the clock, as (at, event).
    fn clock_history(&self, application: i64) -> Vec<(Timestamp, String)> {
        self.json(&["history", &application.to_string()])
            .iter()
            .filter(|entry| entry["cause"] == "time passed")
            .map(|entry| (ts(entry["at"].as_str().unwrap()), entry["event"].as_str().unwrap_or_default().to_owned()))
            .collect()
    }
}

/// `debrief run` with the world's clock file, and a notify socket like systemd's.
struct Daemon {
    child: Child,
    notices: mpsc::Receiver<String>,
    /// The daemon's log lines (stderr), also echoed to the test's output.
    log: mpsc::Receiver<String>,
    _socket_dir: tempfile::TempDir,
}

impl Daemon {
    fn start(world: &World) -> Daemon {
        let socket_dir = tempfile::tempdir().unwrap();
        let socket_path = socket_dir.path().join("notify.sock");
        let socket = UnixDatagram::bind(&socket_path).unwrap();
        let mut child = Command::new(BINARY)
            .arg("run")
            .env("LD_PRELOAD", faketime::library())
            .env_remove("FAKETIME") // it would win over the file
            .env("FAKETIME_TIMESTAMP_FILE", world.clock_file())
            .env("FAKETIME_NO_CACHE", "1")
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .env("TZ", "UTC")
            .env("DEBRIEF_CONFIG", world.config())
            .env("NOTIFY_SOCKET", &socket_path)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (notice_tx, notices) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(size) = socket.recv(&mut buffer) {
                for line in String::from_utf8_lossy(&buffer[..size]).lines() {
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
        let daemon = Daemon { child, notices, log, _socket_dir: socket_dir };
        daemon.wait_ready();
        daemon
    }

    /// `READY=1` comes after the first pass, so what follows is the clock's doing.
    fn wait_ready(&self) {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.notices.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) if line == "READY=1" => return,
                Ok(_) => {}
                Err(_) => panic!("the daemon never sent READY=1"),
            }
        }
    }

    /// Waits for a log line that contains `text`; returns every line read until then, it last.
    fn wait_log(&self, text: &str) -> Vec<String> {
        let deadline = Instant::now() + WAIT;
        let mut lines = Vec::new();
        loop {
            match self.log.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    let found = line.contains(text);
                    lines.push(line);
                    if found {
                        return lines;
                    }
                }
                Err(_) => panic!("the daemon never logged {text:?}; it logged {lines:#?}"),
            }
        }
    }

    fn terminate(mut self) {
        let status = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().unwrap();
        assert!(status.success());
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "SIGTERM ends the daemon with exit 0: {status:?}");
                return;
            }
            assert!(Instant::now() < deadline, "the daemon did not stop after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` until it gives a value, or panics after [`WAIT`].
fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}: the daemon did not plan on the clock");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A Monday afternoon interview, 15:00-16:00 UTC.
const START: &str = "2026-12-07T15:00:00Z";

#[test]
fn the_running_daemon_drafts_the_thank_you_notes_when_the_interview_ends() {
    let world = World::new("");
    let start = ts(START);
    let end = start + 1.hour();
    world.add_interview(start);

    world.set_clock(end - 10.seconds());
    let daemon = Daemon::start(&world);
    assert!(world.queue().is_empty(), "nothing is drafted before the interview ends");

    let moment = end + 1.second();
    world.set_clock(moment);
    let queue = eventually("the thank-you notes", || {
        let queue = world.queue();
        (queue.len() == 2).then_some(queue)
    });
    daemon.terminate();

    let mut to: Vec<&str> = queue.iter().map(|draft| draft["to"].as_str().unwrap()).collect();
    to.sort();
    assert_eq!(to, ["dana@clockwork.example", "omar@clockwork.example"]);
    assert!(queue.iter().all(|draft| draft["kind"] == "thank_you" && draft["status"] == "pending"), "{queue:?}");
    // Drafted by the clock, within a minute of the end (at the first instant the test
    // showed the daemon after it).
    let drafted: Vec<Timestamp> = world
        .clock_history(1)
        .into_iter()
        .filter(|(_, event)| event.starts_with("thank-you note"))
        .map(|(at, _)| at)
        .collect();
    assert_eq!(drafted, [moment, moment], "drafted by the clock at {moment}");
    assert!(moment.duration_since(end) < jiff::SignedDuration::from_secs(60));
    assert_eq!(world.state(1), "interviewed");
}

#[test]
fn the_running_daemon_asks_for_impressions_once_when_the_interview_ends() {
    let world = World::new("");
    let start = ts(START);
    let end = start + 1.hour();
    world.add_interview(start);
    // A second application whose interview ends ten minutes later: the pass that drafts
    // its notes lists the first round as still unwritten, and must not log it again.
    let later = (start + 10.minutes()).to_string();
    let args = ["add", "--company", "Second Co", "--role", "Analyst", "--start", &later, "--duration", "1h"];
    world.ok(Some(start - 1.hour()), &[&args[..], &["--interviewer", "Lee Park <lee@second.example>"]].concat());
    world.set_clock(end - 10.seconds());
    let daemon = Daemon::start(&world);
    world.set_clock(end + 1.second());
    let mut lines = daemon.wait_log("Clockwork Analytics (1), round 1: while it is fresh");
    assert!(lines.last().unwrap().contains("`debrief note 1 --round 1 --impressions"), "{lines:?}");
    world.set_clock(end + 10.minutes() + 1.second());
    lines.extend(daemon.wait_log("Second Co (2), round 1: while it is fresh"));
    daemon.terminate();
    let first = lines.iter().filter(|line| line.contains("Clockwork Analytics (1), round 1")).count();
    assert_eq!(first, 1, "the prompt is logged once per process: {lines:#?}");
}

#[test]
fn the_running_daemon_drafts_a_follow_up_when_it_falls_due() {
    let world = World::new("");
    let start = ts(START);
    let end = start + 1.hour();
    world.add_interview(start);
    world.ok(Some(end + 1.hour()), &["sync"]);
    world.reject_all(end + 1.hour(), "thank_you");
    // Every note rejected: follow up anyway (issue 12 asks for the user's word).
    world.ok(Some(end + 1.hour()), &["mark", "1", "following_up"]);
    // With the notes settled, the first follow-up is due a week after the interview
    // (16:00 on the 14th) and drafted a day ahead (16:00 on the 13th).
    let draft_moment = ts("2026-12-13T16:00:00Z");

    world.set_clock(draft_moment - 10.seconds());
    let daemon = Daemon::start(&world);
    assert!(!world.queue().iter().any(|draft| draft["kind"] == "follow_up"), "not drafted early");

    let moment = draft_moment + 1.second();
    world.set_clock(moment);
    let follow_up =
        eventually("the follow-up", || world.queue().into_iter().find(|draft| draft["kind"] == "follow_up"));
    daemon.terminate();

    assert_eq!(follow_up["status"], "pending");
    assert_eq!(ts(follow_up["send_at"].as_str().unwrap()), ts("2026-12-14T16:00:00Z"));
    assert_eq!(follow_up["to"], "dana@clockwork.example", "the first interviewer, as no one else wrote");
    let drafted: Vec<Timestamp> = world
        .clock_history(1)
        .into_iter()
        .filter(|(_, event)| event.starts_with("follow-up"))
        .map(|(at, _)| at)
        .collect();
    assert_eq!(drafted, [moment], "drafted by the clock at {moment}");
    assert_eq!(world.state(1), "following_up");
}

#[test]
fn the_running_daemon_closes_a_ghosted_application() {
    // One follow-up, then ghosted a week after it.
    let world = World::new("follow_ups = 1\n");
    let start = ts(START);
    let end = start + 1.hour();
    world.add_interview(start);
    world.ok(Some(end + 1.hour()), &["sync"]);
    world.reject_all(end + 1.hour(), "thank_you");
    // Every note rejected: follow up anyway (issue 12 asks for the user's word).
    world.ok(Some(end + 1.hour()), &["mark", "1", "following_up"]);
    world.ok(Some(ts("2026-12-13T17:00:00Z")), &["sync"]);
    world.reject_all(ts("2026-12-13T17:00:00Z"), "follow_up");
    // The follow-up counts as done at its send time (16:00 on the 14th); ghosted 7 days on.
    let ghost_moment = ts("2026-12-21T16:00:00Z");

    world.set_clock(ghost_moment - 10.seconds());
    let daemon = Daemon::start(&world);
    assert_eq!(world.state(1), "following_up", "not ghosted early");

    let moment = ghost_moment + 1.second();
    world.set_clock(moment);
    eventually("the application to be ghosted", || (world.state(1) == "ghosted").then_some(()));
    daemon.terminate();

    let ghosted: Vec<Timestamp> = world
        .json(&["history", "1"])
        .iter()
        .filter(|entry| entry["to_state"] == "ghosted")
        .map(|entry| {
            assert_eq!(entry["cause"], "time passed", "{entry}");
            ts(entry["at"].as_str().unwrap())
        })
        .collect();
    assert_eq!(ghosted, [moment], "closed by the clock at {moment}");
}

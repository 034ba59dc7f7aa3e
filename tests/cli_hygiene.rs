//! Smaller breaks of issue 9 (part 4), as a user meets them with the real binary: a
//! closed pipe on stdout (`debrief queue | head`), the database's file modes, and a full
//! disk (a tiny tmpfs in a private mount namespace, so no mount outlives the test).

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_debrief");

/// A user's folder with a Maildir config; the database at `database`.
struct Home {
    dir: tempfile::TempDir,
    database: PathBuf,
}

impl Home {
    fn new(database: Option<PathBuf>) -> Home {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(dir.path().join("maildir").join(sub)).unwrap();
        }
        let database = database.unwrap_or_else(|| dir.path().join("data/debrief.db"));
        let config = format!(
            "[identity]\nname = \"Casey Candidate\"\nemail = \"casey@hygiene.test\"\ntime_zone = \"UTC\"\n\
             [storage]\npath = \"{}\"\n[maildir]\npath = \"{}\"\n",
            database.display(),
            dir.path().join("maildir").display(),
        );
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        Home { dir, database }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BINARY);
        command.env("TZ", "UTC").env("DEBRIEF_CONFIG", self.config()).env_remove("RUST_LOG").args(args);
        command
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.command(args).output().unwrap();
        assert!(output.status.success(), "debrief {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    /// An interview that ended last week, and its thank-you draft.
    fn with_a_draft(&self) {
        self.ok(&[
            "add",
            "--company",
            "Pipeworks",
            "--role",
            "Platform Engineer",
            "--start",
            "2026-01-05T15:00:00Z",
            "--interviewer",
            "Ana Ortiz <ana@pipeworks.example>",
        ]);
        self.ok(&["sync"]);
        assert!(self.ok(&["queue"]).contains("thank_you"));
    }
}

/// Every printing command, with its stdout a pipe nobody reads any more, ends quietly:
/// success, or SIGPIPE's default (the shell's 141), never a panic message.
#[test]
fn every_command_ends_quietly_when_its_output_pipe_is_closed() {
    let home = Home::new(None);
    home.with_a_draft();
    let message = home.dir.path().join("message.eml");
    std::fs::write(&message, "From: a@b.example\nSubject: Hello\n\nHi there.\n").unwrap();
    let message = message.to_str().unwrap();
    let commands: &[&[&str]] = &[
        &["queue"],
        &["queue", "--json"],
        &["show", "1"],
        &["show", "1", "--json"],
        &["applications"],
        &["applications", "--json"],
        &["history", "1"],
        &["history", "1", "--json"],
        &["inbox"],
        &["inbox", "--json"],
        &["sync"],
        &["classify", message],
        &["classify", message, "--json"],
        &["completions", "bash"],
        &["man"],
        &["--help"],
        &["queue", "--help"],
        &["--version"],
        &["doctor"],
    ];
    for args in commands {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = home.command(args).stdout(writer).stderr(Stdio::piped()).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "debrief {args:?}: {stderr}");
        assert_ne!(output.status.code(), Some(101), "debrief {args:?} panicked: {stderr}");
        if args[0] == "doctor" {
            continue; // it may fail its checks (no IMAP here); what matters is that it is quiet
        }
        assert!(
            output.status.success() || output.status.signal() == Some(libc::SIGPIPE),
            "debrief {args:?} ended with {:?}: {stderr}",
            output.status
        );
    }
    // `sync` writes its summary ignoring the closed pipe: it did its work, so it succeeds.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    assert!(home.command(&["sync"]).stdout(writer).status().unwrap().success());
}

/// The daemon with both its stdout and stderr closed (`debrief run 2>&1 | head -1` after
/// head exits) goes on: its log lines are dropped, not a panic; SIGTERM still stops it
/// with exit 0.
#[test]
fn the_daemon_goes_on_when_its_log_pipe_is_closed() {
    let home = Home::new(None);
    home.with_a_draft();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut daemon = home
        .command(&["run", "-v"])
        .env("RUST_LOG", "debug")
        .stdout(writer.try_clone().unwrap())
        .stderr(writer)
        .spawn()
        .unwrap();
    // It has logged (start-up, the first pass) once it holds the database in WAL mode.
    let wal = PathBuf::from(format!("{}-wal", home.database.display()));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !wal.exists() {
        assert!(Instant::now() < deadline, "the daemon never opened the database");
        assert!(daemon.try_wait().unwrap().is_none(), "the daemon died: {:?}", daemon.try_wait());
        std::thread::sleep(Duration::from_millis(20));
    }
    // A change by another process makes it pass, and log, again.
    home.ok(&["reject", "1"]);
    let status = Command::new("kill").arg("-TERM").arg(daemon.id().to_string()).status().unwrap();
    assert!(status.success(), "the daemon is still there to be stopped");
    let status = daemon.wait().unwrap();
    assert!(status.success(), "SIGTERM, exit 0, no panic: {status:?}");
}

/// `count` small messages in the Maildir's `new/`, enough for the progress lines that
/// `sync` and `run` write to stderr every hundred messages.
fn fill_maildir(home: &Home, count: usize) {
    for n in 0..count {
        let raw = format!(
            "From: Newsletter <news@letters{n}.example>\r\nTo: casey@hygiene.test\r\nSubject: Issue {n}\r\n\
             Date: Mon, 05 Jan 2026 09:00:00 +0000\r\nMessage-ID: <issue-{n}@letters.example>\r\n\r\nThis week's links.\r\n"
        );
        let file = home.dir.path().join(format!("maildir/new/{}.M{n}P1.hygiene", 1_767_000_000 + n));
        std::fs::write(file, raw).unwrap();
    }
}

/// How many Maildir files the database has recorded as read.
fn recorded(home: &Home) -> i64 {
    let conn = rusqlite::Connection::open(&home.database).unwrap();
    conn.query_row("SELECT COUNT(*) FROM maildir_seen", [], |row| row.get(0)).unwrap_or(0)
}

/// A pipe whose reading end is closed: writing to it fails with EPIPE.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

/// `sync` over 150 Maildir messages with stdout and stderr closed: its progress line
/// ("100 of 150 messages read") is dropped, and it reads every message and exits 0
/// (it panicked with exit 101 on that line).
#[test]
fn sync_reads_a_large_maildir_with_its_stderr_closed() {
    let home = Home::new(None);
    fill_maildir(&home, 150);
    let writer = closed_pipe();
    let output = home.command(&["sync"]).stdout(writer.try_clone().unwrap()).stderr(writer).output().unwrap();
    assert!(output.status.success(), "sync with a closed stderr: {:?}", output.status);
    assert_eq!(recorded(&home), 150, "every message read");
    // Nor does the warning about a RUST_LOG it cannot read stop it.
    let writer = closed_pipe();
    let mut command = home.command(&["sync"]);
    command.env("RUST_LOG", "debrief=loudly").stdout(writer.try_clone().unwrap()).stderr(writer);
    let output = command.output().unwrap();
    assert!(output.status.success(), "sync with a bad RUST_LOG and a closed stderr: {:?}", output.status);
    let warned = home.command(&["sync"]).env("RUST_LOG", "debrief=loudly").output().unwrap();
    assert!(String::from_utf8_lossy(&warned.stderr).contains("is not understood"), "the case is the one meant");
}

/// The same for the daemon: it reads the 150 messages with its stderr closed and goes
/// on until SIGTERM, which ends it with exit 0.
#[test]
fn the_daemon_reads_a_large_maildir_with_its_stderr_closed() {
    let home = Home::new(None);
    fill_maildir(&home, 150);
    let writer = closed_pipe();
    let mut daemon = home.command(&["run"]).stdout(writer.try_clone().unwrap()).stderr(writer).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !home.database.exists() || recorded(&home) < 150 {
        if let Some(status) = daemon.try_wait().unwrap() {
            panic!("the daemon died while reading: {status:?}");
        }
        assert!(Instant::now() < deadline, "the daemon read {} of 150 messages", recorded(&home));
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill").arg("-TERM").arg(daemon.id().to_string()).status().unwrap();
    assert!(status.success(), "the daemon is still there to be stopped");
    let status = daemon.wait().unwrap();
    assert!(status.success(), "SIGTERM, exit 0, no panic: {status:?}");
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The database holds the user's mail: created 0600 (its folder 0700) under a umask that
/// would make it world-readable, and so are the `-wal` and `-shm` files while the daemon
/// has it open.
#[test]
fn the_database_and_its_wal_and_shm_files_are_private() {
    let home = Home::new(None);
    let script = format!("umask 022; exec \"{BINARY}\" \"$@\"");
    let run = |args: &[&str]| {
        let mut command = Command::new("sh");
        command.arg("-c").arg(&script).arg("debrief").args(args);
        command.env("TZ", "UTC").env("DEBRIEF_CONFIG", home.config()).env_remove("NOTIFY_SOCKET");
        command
    };
    let output = run(&["applications"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(mode(&home.database), 0o600, "the database file");
    assert_eq!(mode(home.database.parent().unwrap()), 0o700, "its folder, made by debrief");

    let mut daemon = run(&["run"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let wal = PathBuf::from(format!("{}-wal", home.database.display()));
    let shm = PathBuf::from(format!("{}-shm", home.database.display()));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(wal.exists() && shm.exists()) {
        assert!(Instant::now() < deadline, "the daemon never opened the database in WAL mode");
        std::thread::sleep(Duration::from_millis(20));
    }
    let modes = (mode(&wal), mode(&shm));
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert_eq!(modes, (0o600, 0o600), "-wal and -shm");
}

/// A database made world-readable (before debrief created it 0600, or copied in under a
/// loose umask), with the `-wal` and `-shm` a killed process left behind: opening it
/// takes every group and other permission away, from all three. A command does it for
/// the database; the daemon, which holds all three open, for the `-wal` and `-shm` too.
#[test]
fn a_world_readable_database_and_its_wal_and_shm_are_made_private_when_opened() {
    let home = Home::new(None);
    home.ok(&["applications"]);
    let wal = PathBuf::from(format!("{}-wal", home.database.display()));
    let shm = PathBuf::from(format!("{}-shm", home.database.display()));
    let loosen = |path: &Path| std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
    loosen(&home.database);
    home.ok(&["applications"]);
    assert_eq!(mode(&home.database), 0o600, "a command made the database private");

    loosen(&home.database);
    for leftover in [&wal, &shm] {
        std::fs::write(leftover, b"").unwrap();
        loosen(leftover);
    }
    let log = home.dir.path().join("daemon.log");
    let mut daemon =
        home.command(&["run"]).stdout(Stdio::null()).stderr(std::fs::File::create(&log).unwrap()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let modes = || (mode(&home.database), mode(&wal), mode(&shm));
    // SIGTERM only once the daemon says it started (it listens for SIGTERM by then; a
    // signal in the instant before would end it by the default action, which is no
    // fault of the database's permissions).
    let started = || std::fs::read_to_string(&log).unwrap_or_default().contains(" started; database ");
    while modes() != (0o600, 0o600, 0o600) || !started() {
        if let Some(status) = daemon.try_wait().unwrap() {
            panic!("the daemon ended: {status:?}");
        }
        assert!(Instant::now() < deadline, "modes {:?}, started: {}", modes(), started());
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = Command::new("kill").arg("-TERM").arg(daemon.id().to_string()).status().unwrap();
    assert!(status.success());
    assert!(daemon.wait().unwrap().success(), "the daemon read the database it made private");
}

/// A folder to mount a tiny tmpfs on (inside the test's script, in a private mount
/// namespace: no real privilege), in a temporary folder that also holds what must stay
/// outside it.
fn small_disk() -> (tempfile::TempDir, std::path::PathBuf) {
    assert!(
        Path::new("/usr/bin/unshare").exists(),
        "this test needs unshare (Debian package util-linux) to mount a tiny tmpfs in a private namespace"
    );
    let outside = tempfile::tempdir().unwrap();
    let mount = outside.path().join("small-disk");
    std::fs::create_dir(&mount).unwrap();
    (outside, mount)
}

/// Runs `script` with sh in a private mount namespace (as root of a new user namespace:
/// no real privilege), where it mounts its tmpfs on `$MOUNT`; `$DEBRIEF` is the binary,
/// with `home`'s config, and `vars` are further variables (paths) for the script.
fn on_small_disk(home: &Home, mount: &Path, script: &str, vars: &[(&str, &Path)]) -> Output {
    let mut command = Command::new("/usr/bin/unshare");
    command
        .args(["--map-root-user", "--mount", "--propagation", "private", "sh", "-c", script])
        .env("MOUNT", mount)
        .env("DEBRIEF", BINARY)
        .env("DEBRIEF_CONFIG", home.config())
        .env("TZ", "UTC")
        .env_remove("RUST_LOG");
    for (name, value) in vars {
        command.env(name, value);
    }
    command.output().unwrap()
}

/// The daemon says a full disk as such too: mail arriving in the Maildir while the
/// database's disk is full is logged as "Reading the Maildir failed: the disk is full:
/// cannot write DATABASE", not as SQLite's "disk I/O error", and the daemon goes on.
#[test]
fn the_daemon_says_the_disk_is_full_when_it_cannot_record_new_mail() {
    let (outside, mount) = small_disk();
    let home = Home::new(Some(mount.join("data/debrief.db")));
    let log = outside.path().join("daemon.log");
    // The database is made on the tmpfs, forty messages arrive, a file fills all but
    // 96 KiB (room for the daemon to open the database, not to record the mail), then the
    // daemon starts and reads the Maildir at once. The wait has a deadline of 30 s.
    let script = r#"set -e
mount -t tmpfs -o size=512k tmpfs "$MOUNT"
"$DEBRIEF" applications > /dev/null
body=$(head -c 3000 /dev/zero | tr '\0' 'x')
for n in $(seq 1 40); do
    printf 'From: Recruiter <r%s@full.example>\r\nTo: casey@hygiene.test\r\nSubject: Role %s\r\nMessage-ID: <full-%s@full.example>\r\n\r\n%s\r\n' \
        "$n" "$n" "$n" "$body" > "$MAILDIR/new/$((1767000000 + n)).M${n}P1.full"
done
free=$(df -k --output=avail "$MOUNT" | tail -1)
dd if=/dev/zero of="$MOUNT/filler" bs=1k count=$((free - 96)) 2>/dev/null || true
"$DEBRIEF" run 2> "$LOG" &
daemon=$!
waited=0
until grep -q "Reading the Maildir failed" "$LOG"; do
    waited=$((waited + 1))
    if [ "$waited" -gt 600 ]; then echo "timed out waiting for the log line" >&2; kill "$daemon"; exit 1; fi
    if ! kill -0 "$daemon" 2>/dev/null; then echo "the daemon died" >&2; exit 1; fi
    sleep 0.05
done
kill -TERM "$daemon"
wait "$daemon""#;
    let maildir = home.dir.path().join("maildir");
    let output = on_small_disk(&home, &mount, script, &[("LOG", &log), ("MAILDIR", &maildir)]);
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(output.status.success(), "{}\n{logged}", String::from_utf8_lossy(&output.stderr));
    let line = logged.lines().find(|line| line.contains("Reading the Maildir failed")).unwrap();
    let expected = format!("Reading the Maildir failed: the disk is full: cannot write {}", home.database.display());
    assert!(line.contains(&expected), "{line}");
    assert!(!line.contains("disk I/O error") && !line.contains("database or disk is full"), "{line}");
}

/// With the disk full, a command that writes says so in one line naming the database
/// (not "disk I/O error"), exits 1, and leaves nothing half-written: once space is
/// freed, the same command works.
#[test]
fn a_full_disk_is_said_in_one_line_that_names_the_database() {
    let (_outside, mount) = small_disk(); // kept alive to the end: it holds the mount point
    let home = Home::new(Some(mount.join("data/debrief.db")));
    // In a private mount namespace (as root of a new user namespace: no real privilege),
    // a 512 KiB tmpfs holds the database; a file then fills all but 16 KiB of it.
    let script = r#"set -e
mount -t tmpfs -o size=512k tmpfs "$MOUNT"
add() { "$DEBRIEF" add --company "$1" --role Engineer --start 2026-01-05T15:00:00Z --interviewer "Ana Ortiz <ana@$1.example>"; }
add first > /dev/null
free=$(df -k --output=avail "$MOUNT" | tail -1)
dd if=/dev/zero of="$MOUNT/filler" bs=1k count=$((free - 16)) 2>/dev/null
set +e
add second > /dev/null
echo "exit=$?" >&2
set -e
rm "$MOUNT/filler"
add second > /dev/null
"$DEBRIEF" applications --json"#;
    let output = on_small_disk(&home, &mount, script, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let (complaint, exit) = stderr.trim_end().split_once("\nexit=").expect("the failed add's exit code");
    assert_eq!(exit, "1", "a runtime failure: {stderr}");
    assert_eq!(complaint.lines().count(), 1, "one line: {complaint}");
    let expected = format!("debrief: the disk is full: cannot write {}", home.database.display());
    assert!(complaint.starts_with(&expected), "{complaint}");
    assert!(!complaint.contains("disk I/O error"), "{complaint}");
    let applications: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let companies: Vec<&str> =
        applications.as_array().unwrap().iter().map(|app| app["company"].as_str().unwrap()).collect();
    assert_eq!(companies, ["first", "second"], "the failed add left nothing behind");
}

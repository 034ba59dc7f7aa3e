//! `debrief sync` with the IMAP server unreachable (issue 9, part 4): like the daemon, it
//! still plans (an interview that ended since the last sync gets its thank-you drafted)
//! and sends what needs no inbox check, and a follow-up keeps waiting, since
//! the inbox must be read right before it goes (invariant 3). The real binary, the rig's
//! SMTP server, IMAP pointed at a closed port.

#[path = "support/rig.rs"]
mod rig;

#[path = "support/faketime.rs"]
mod faketime;
use jiff::{Timestamp, ToSpan};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BINARY: &str = env!("CARGO_BIN_EXE_debrief");

fn run(config: &Path, at: Option<Timestamp>, args: &[&str]) -> Output {
    let mut command = match at {
        Some(at) => faketime::starting_at(&at.strftime("%Y-%m-%d %H:%M:%S").to_string(), BINARY),
        None => Command::new(BINARY),
    };
    command.env("TZ", "UTC").env("DEBRIEF_CONFIG", config).env("RUST_LOG", "info").args(args).output().unwrap()
}

fn ok(config: &Path, at: Option<Timestamp>, args: &[&str]) -> String {
    let output = run(config, at, args);
    assert!(output.status.success(), "debrief {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn queue(config: &Path) -> Vec<Value> {
    serde_json::from_str::<Value>(&ok(config, None, &["queue", "--json"])).unwrap().as_array().unwrap().clone()
}

fn show(config: &Path, id: i64) -> Value {
    serde_json::from_str(&ok(config, None, &["show", &id.to_string(), "--json"])).unwrap()
}

fn add(config: &Path, company: &str, interviewer: &str, start: Timestamp) {
    let start_text = start.to_string();
    let args =
        ["add", "--company", company, "--role", "Engineer", "--start", &start_text, "--interviewer", interviewer];
    ok(config, Some(start - 1.hour()), &args);
}

fn only(drafts: &[Value], company_application: i64, kind: &str) -> i64 {
    let found: Vec<i64> = drafts
        .iter()
        .filter(|draft| draft["application_id"] == company_application && draft["kind"] == kind)
        .map(|draft| draft["id"].as_i64().unwrap())
        .collect();
    assert_eq!(found.len(), 1, "one {kind} of application {company_application}: {drafts:?}");
    found[0]
}

#[test]
fn sync_with_imap_unreachable_still_sends_what_needs_no_inbox_check_and_holds_the_follow_up() {
    let rig = rig::Rig::start();
    let _turn = rig.shared_blocking();
    let me = "offline-sync@rig.test";
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let offline = rig.config_for(me).imap_port(closed).build();
    let policy = "\n[policy]\nsend_days = \"Mon-Sun\"\nsend_window = \"00:00-24:00\"\n";
    let text = std::fs::read_to_string(&offline.path).unwrap() + policy;
    std::fs::write(&offline.path, &text).unwrap();
    // The same database without any mail server, to set the scene with `sync` at past
    // instants (planning only).
    let setup: PathBuf = offline.dir.path().join("setup.toml");
    let database = offline.config.storage_path.display().to_string();
    std::fs::write(
        &setup,
        format!(
            "[identity]\nname = \"Rig Tester\"\nemail = \"{me}\"\ntime_zone = \"UTC\"\n[storage]\npath = {database:?}\n{policy}"
        ),
    )
    .unwrap();

    #[allow(clippy::disallowed_methods)] // The test's own clock: the last sync runs at the real time.
    let now = Timestamp::now();
    // Application 1, interviewed a month ago: its note rejected, its first follow-up
    // approved and long due.
    let long_ago = now - (30 * 24).hours();
    add(&setup, "Acme", "Olga Offline <olga-offline@acme.example>", long_ago);
    ok(&setup, Some(long_ago + 2.hours()), &["sync"]);
    let note = only(&queue(&setup), 1, "thank_you");
    ok(&setup, Some(long_ago + 2.hours()), &["reject", &note.to_string()]);
    // Every note rejected: follow up anyway (issue 12 asks for the user's word).
    ok(&setup, Some(long_ago + 2.hours()), &["mark", "1", "following_up"]);
    ok(&setup, Some(long_ago + (6 * 24 + 2).hours()), &["sync"]);
    let follow_up = only(&queue(&setup), 1, "follow_up");
    ok(&setup, None, &["approve", &follow_up.to_string()]);
    // Application 2, interviewed two days ago: its thank-you approved and due.
    let recent = now - (2 * 24).hours();
    add(&setup, "Globex", "Nina Nearby <nina-offline@globex.example>", recent);
    ok(&setup, Some(recent + 2.hours()), &["sync"]);
    let thank_you = only(&queue(&setup), 2, "thank_you");
    ok(&setup, None, &["approve", &thank_you.to_string()]);
    // Application 3, whose interview ended three hours ago, after every setup sync: only
    // the offline sync can see that it is over, and it must still draft the thank-you.
    let ended = now - 4.hours();
    add(&setup, "Initech", "Ivan Idle <ivan-offline@initech.example>", ended);
    // Read from the file, not through a command that might plan on its own.
    let thank_yous_of_3 = || -> i64 {
        let conn = rusqlite::Connection::open(&offline.config.storage_path).unwrap();
        conn.query_row(
            "SELECT COUNT(*) FROM drafts WHERE application_id = 3 AND kind = 'thank_you' AND status = 'pending'",
            [],
            |row| row.get(0),
        )
        .unwrap()
    };
    assert_eq!(thank_yous_of_3(), 0, "nothing planned the ended interview before the offline sync");

    let output = run(&offline.path, None, &["sync"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "the unread inbox is a failure to report: {stdout}\n{stderr}");
    let last = stderr.trim_end().lines().last().unwrap_or_default();
    assert!(last.starts_with("debrief: ") && last.contains("IMAP is unavailable"), "{stderr}");
    assert!(last.contains("follow-ups wait"), "{last}");
    // It ends after this pass: no line promises a retry that will not happen.
    assert!(!stderr.contains("Retrying"), "{stderr}");
    assert!(stdout.contains("Sent 1."), "{stdout}\n{stderr}");
    assert_eq!(thank_yous_of_3(), 1, "the offline sync planned the interview that ended: {stdout}\n{stderr}");

    let sent = show(&offline.path, thank_you);
    assert_eq!(sent["status"], "sent", "the thank-you needs no inbox check: {sent}");
    let message_id = sent["message_id"].as_str().unwrap();
    assert_eq!(
        rig.smtp_log().iter().filter(|entry| entry.message_id.as_deref() == Some(message_id)).count(),
        1,
        "it reached the SMTP server once"
    );
    let held = show(&offline.path, follow_up);
    assert_eq!(held["status"], "approved", "the follow-up waits for the inbox: {held}");
    let held_id = held["message_id"].as_str().unwrap();
    assert!(!rig.smtp_log().iter().any(|entry| entry.message_id.as_deref() == Some(held_id)), "never sent blind");
    let queue_text = ok(&offline.path, None, &["queue"]);
    assert!(queue_text.contains("the inbox could not be read right before sending this follow-up"), "{queue_text}");
}

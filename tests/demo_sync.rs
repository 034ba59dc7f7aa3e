//! `debrief sync` over the demo config and the demo Maildir, as `scripts/demo.sh` runs
//! it: the real binary on a copy in a temporary folder, the clock set with libfaketime
//! to the afternoon the demo's mail was written for (Wed 2 Dec 2026 17:00 PST).

#[path = "support/faketime.rs"]
mod faketime;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const DEMO_NOW: &str = "2026-12-03 01:00:00"; // UTC

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs the binary over the config `config`, the clock set with libfaketime.
fn run_at_demo_now(config: &Path, args: &[&str]) -> Output {
    // The clock stops at DEMO_NOW (running on from it, a slow machine drafts a second
    // later than the demo does).
    faketime::frozen_at(DEMO_NOW, env!("CARGO_BIN_EXE_debrief"))
        .args(args)
        .env("TZ", "UTC")
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .env("DEBRIEF_CONFIG", config)
        .output()
        .unwrap()
}

struct Demo {
    dir: tempfile::TempDir,
}

impl Demo {
    fn new() -> Demo {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(root.join("config/demo.toml"), dir.path().join("config.toml")).unwrap();
        copy_dir(&root.join("demo/maildir"), &dir.path().join("maildir"));
        Demo { dir }
    }

    fn run(&self, args: &[&str]) -> Output {
        run_at_demo_now(&self.dir.path().join("config.toml"), args)
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(output.status.success(), "debrief {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        serde_json::from_str(&self.ok(&all)).unwrap()
    }
}

#[test]
fn sync_over_the_demo_maildir_builds_the_pipeline_and_the_queue() {
    let demo = Demo::new();
    let summary = demo.ok(&["sync"]);
    // One summary line, then a prompt per interview that just ended (issue 12).
    assert!(summary.lines().skip(1).all(|line| line.contains("while it is fresh")), "{summary}");
    assert!(summary.contains("Acme Robotics (3), round 1: while it is fresh"), "{summary}");
    assert!(
        summary.starts_with("Read 9 new message(s) from the Maildir: 7 applied, 1 ignored, 1 for review"),
        "{summary}"
    );

    let applications = demo.json(&["applications"]);
    let rows: Vec<(String, String, String)> = applications
        .as_array()
        .unwrap()
        .iter()
        .map(|app| {
            (
                app["company"].as_str().unwrap().to_owned(),
                app["role"].as_str().unwrap().to_owned(),
                app["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("Initech", "Data Engineer", "rejected"),
        ("Globex", "Site Reliability Engineer", "invited"),
        ("Acme Robotics", "Backend Engineer", "interviewed"),
        ("Northwind Health", "Platform Engineer", "scheduled"),
    ];
    let expected: Vec<(String, String, String)> =
        expected.iter().map(|(c, r, s)| (c.to_string(), r.to_string(), s.to_string())).collect();
    assert_eq!(rows, expected);
    let northwind = &applications[3];
    assert_eq!(northwind["interviews"][0]["start"], "2026-12-08T22:00:00Z");
    assert_eq!(northwind["interviews"][0]["interviewers"][0]["email"], "samuel.okafor@northwindhealth.example");
    assert_eq!(northwind["next_action"]["kind"], "interview");
    // The timeline in the thread: their answer is expected by the end of Friday 11 Dec.
    // (This showed a follow-up on Monday 14th, which never came: no follow-up is planned
    // before an interview.)
    assert_eq!(applications[1]["next_action"]["kind"], "answer_expected");
    assert_eq!(applications[1]["next_action"]["at"], "2026-12-12T08:00:00Z");

    let queue = demo.json(&["queue"]);
    let drafts: Vec<(String, String)> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|draft| (draft["kind"].as_str().unwrap().to_owned(), draft["to"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        drafts,
        [
            ("thank_you".to_owned(), "jane.doe@acmerobotics.example".to_owned()),
            ("thank_you".to_owned(), "bob.lee@acmerobotics.example".to_owned()),
            ("rejection_reply".to_owned(), "tom.becker@initech.example".to_owned()),
        ]
    );
    assert!(queue.as_array().unwrap().iter().all(|draft| draft["status"] == "pending"));

    // Reading again finds nothing new and changes nothing.
    let again = demo.ok(&["sync"]);
    assert!(again.starts_with("Read 0 new message(s)"), "{again}");
    assert_eq!(demo.json(&["queue"]), queue);

    // The message held for review is listed, and confirming it as an invitation starts
    // an application; an unknown kind is a usage error.
    let inbox = demo.json(&["inbox"]);
    let held = inbox[0]["id"].as_i64().unwrap().to_string();
    assert_eq!(inbox[0]["from"], "lena.park@hooli.example");
    let bad = demo.run(&["inbox", "confirm", &held, "--as", "interview"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--as \"interview\" is not a kind"));
    let missing = demo.run(&["inbox", "dismiss", "999"]);
    assert_eq!(missing.status.code(), Some(2));
    demo.ok(&["inbox", "confirm", &held, "--as", "interview_invitation"]);
    assert_eq!(demo.json(&["inbox"]), Value::Array(vec![]));
    let applications = demo.json(&["applications"]);
    assert_eq!(applications.as_array().unwrap().len(), 5);
    assert_eq!(
        (&applications[4]["company"], &applications[4]["state"]),
        (&Value::from("Hooli"), &Value::from("invited"))
    );
}

#[test]
fn a_maildir_path_that_is_not_a_maildir_is_refused_naming_the_key() {
    let demo = Demo::new();
    std::fs::remove_dir_all(demo.dir.path().join("maildir/cur")).unwrap();
    let output = demo.run(&["sync"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("maildir.path") && stderr.contains("is not a Maildir"), "{stderr}");
}

/// `debrief demo` as `scripts/demo.sh` runs it on a machine without libfaketime: no
/// preload, no config of the user's, the real clock.
fn demo_command(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_debrief"))
        .arg("demo")
        .args(args)
        .env_remove("LD_PRELOAD")
        .env_remove("FAKETIME")
        .env("DEBRIEF_CONFIG", "/nonexistent/debrief/config.toml")
        .env("PATH", "/nonexistent")
        .output()
        .unwrap()
}

#[test]
fn the_demo_runs_without_libfaketime_and_tours_the_pipeline() {
    let output = demo_command(&[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}\n{stdout}", String::from_utf8_lossy(&output.stderr));
    // The pipeline ran at the demo's instant: the interview is over, so the thank-you
    // notes exist; Globex's timeline says when their answer is due.
    assert!(stdout.contains("Read 9 new message(s) from the Maildir: 7 applied, 1 ignored, 1 for review"), "{stdout}");
    for shown in [
        "$ debrief applications",
        "Acme Robotics            Backend Engineer               interviewed",
        "answer_expected Sat 2026-12-12 00:00 PST",
        "$ debrief queue",
        "jane.doe@acmerobotics.example",
        "rejection_reply",
        "$ debrief show 1",
        "Subject: Thank you: Backend Engineer interview",
        "$ debrief history 3",
        "scheduled → interviewed: interview round 1 ended",
        "$ debrief inbox",
        "lena.park@hooli.example",
        "== What to type next",
        "debrief init",
    ] {
        assert!(stdout.contains(shown), "the tour lacks {shown:?}:\n{stdout}");
    }
}

#[test]
fn the_demo_at_its_instant_agrees_with_sync_under_faketime() {
    let kept = tempfile::tempdir().unwrap();
    let dir = kept.path().join("demo");
    let output = demo_command(&["--dir", dir.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(&format!("debrief --config {} approve 1", dir.join("config.toml").display())), "{stdout}");

    // The same commands at the same instant, over the folder the demo kept and over a
    // fresh copy synced under libfaketime, say the same.
    let synced = Demo::new();
    synced.ok(&["sync"]);
    for args in [&["applications"][..], &["queue"], &["show", "1"], &["show", "3"], &["history", "3"], &["inbox"]] {
        let mut with_json = args.to_vec();
        with_json.push("--json");
        let kept_output = run_at_demo_now(&dir.join("config.toml"), &with_json);
        assert!(kept_output.status.success(), "{}", String::from_utf8_lossy(&kept_output.stderr));
        let kept_json: Value = serde_json::from_slice(&kept_output.stdout).unwrap();
        assert_eq!(without_random_ids(kept_json), without_random_ids(synced.json(args)), "debrief {args:?}");
    }
}

/// A draft's Message-ID ends in random bits: keep its fixed part (the instant).
fn without_random_ids(mut value: Value) -> Value {
    if let Some(id) = value.get("message_id").and_then(Value::as_str) {
        let local = id.split('@').next().unwrap_or_default();
        let fixed = local.rsplit_once('.').map(|(fixed, _)| fixed.to_owned()).unwrap_or_default();
        value["message_id"] = Value::from(fixed);
    }
    value
}

#[test]
fn the_demo_refuses_a_folder_that_is_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let output = demo_command(&["--dir", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not empty"));
    assert_eq!(std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(), "mine");
}

/// Issue 11: a scan writes a log line per message that changed something or needs the
/// user, not per ignored one (a mailbox of newsletters wrote 20,000 journal lines).
#[test]
fn sync_logs_the_messages_that_matter_not_every_ignored_one() {
    let demo = Demo::new();
    let output = demo.run(&["sync"]);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("applied to application 1"), "{stderr}");
    assert!(stderr.contains("waits for review"), "{stderr}");
    assert!(!stderr.contains("news@weeklybyte.example"), "the ignored newsletter is not logged at info:\n{stderr}");
}

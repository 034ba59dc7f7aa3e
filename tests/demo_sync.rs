//! `debrief sync` over the demo config and the demo Maildir, as `scripts/demo.sh` runs
//! it: the real binary on a copy in a temporary folder, the clock set with libfaketime
//! to the afternoon the demo's mail was written for (Wed 2 Dec 2026 17:00 PST).

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
        assert!(
            Path::new("/usr/bin/faketime").exists(),
            "this test needs libfaketime: run scripts/test.sh, which installs it (apt-get install faketime)"
        );
        Command::new("faketime")
            .arg(DEMO_NOW)
            .arg(env!("CARGO_BIN_EXE_debrief"))
            .args(args)
            .env("TZ", "UTC")
            .env("DEBRIEF_CONFIG", self.dir.path().join("config.toml"))
            .output()
            .unwrap()
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

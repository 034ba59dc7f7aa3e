//! `debrief classify` and `debrief eval` as a user runs them: no config, no database.

use std::path::Path;
use std::process::Command;

fn debrief() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_debrief"));
    command.env_remove("DEBRIEF_CONFIG").env("XDG_CONFIG_HOME", "/nonexistent-debrief-test");
    command
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/classify").join(name).display().to_string()
}

#[test]
fn classify_json_prints_the_label_keys() {
    let output = debrief().args(["classify", "--json", &fixture("f12-text-reschedule.eml")]).output().expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let object = value.as_object().expect("an object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["company", "confidence", "interview", "kind", "reply_after", "role"]);
    assert_eq!(value["kind"], "interview_rescheduled");
    assert_eq!(value["company"], "Harborline");
    assert_eq!(value["interview"]["start"], "2027-04-01T17:00:00Z");
    assert_eq!(value["interview"]["end"], "2027-04-01T19:00:00Z");
    assert_eq!(value["interview"]["interviewers"][0]["email"], "nina.patel@harborline.com");
    assert!(value["reply_after"].is_null());
    let confidence = value["confidence"].as_f64().expect("a number");
    assert!((0.0..=1.0).contains(&confidence));
}

#[test]
fn classify_reads_standard_input_and_explains() {
    let raw = std::fs::read(fixture("f08-timeline-business-days.eml")).expect("fixture");
    let mut child = debrief()
        .args(["classify", "-", "--explain"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    {
        use std::io::Write;
        child.stdin.take().expect("stdin").write_all(&raw).expect("writes");
    }
    let output = child.wait_with_output().expect("finishes");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("kind         timeline"), "{text}");
    assert!(text.contains("reply after  2027-03-31"), "{text}");
    assert!(text.contains("rule:"), "{text}");
}

#[test]
fn an_unreadable_file_is_a_clear_error_with_exit_code_1() {
    let output = debrief().args(["classify", "/nonexistent/message.eml"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Reading the message /nonexistent/message.eml"), "{stderr}");
}

#[test]
fn empty_input_is_a_clear_error() {
    let output = debrief().args(["classify", "-"]).stdin(std::process::Stdio::null()).output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("empty"));
}

#[test]
fn eval_ends_with_the_summary_line_and_enforces_targets() {
    let dir = fixture("");
    let output = debrief().args(["eval", &dir]).output().expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().expect("output");
    let pattern = regex::Regex::new(
        r"^kind accuracy \d+\.\d% \(\d+/\d+\), fields \d+\.\d% \(interview \d+\.\d%\), critical \d+, held for review \d+ \(\d+ wrong\), wrong and not held \d+$",
    )
    .unwrap();
    assert!(pattern.is_match(last), "{last}");
    let failing = debrief().args(["eval", &dir, "--min-kind-accuracy", "101"]).output().expect("runs");
    assert_eq!(failing.status.code(), Some(1));
    let passing = debrief()
        .args(["eval", &dir, "--min-kind-accuracy", "90", "--min-fields", "90", "--min-interview-fields", "90"])
        .args(["--max-critical", "0"])
        .output();
    assert_eq!(passing.expect("runs").status.code(), Some(0));
}

#[test]
fn eval_scores_several_sets_and_combines_them() {
    // Two sets: the fixtures, and a folder holding two of them under two inboxes.
    let two = tempfile::tempdir().expect("temp dir");
    let labels: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("labels.json")).expect("labels")).expect("JSON");
    let mut picked = serde_json::Map::new();
    for (file, to) in
        [("f01-greenhouse-rejection.eml", None), ("f02-casual-offer.eml", Some("To: Ada <ada@example.org>"))]
    {
        let text = std::fs::read_to_string(fixture(file)).expect("fixture");
        let text = match to {
            Some(to) => text.replacen("To: Sam Okafor <sam.okafor@example.net>", to, 1),
            None => text,
        };
        std::fs::write(two.path().join(file), text).expect("copy");
        picked.insert(file.to_string(), labels[file].clone());
    }
    std::fs::write(two.path().join("labels.json"), serde_json::Value::Object(picked).to_string()).expect("write");
    let second = two.path().display().to_string();
    let output = debrief().args(["eval", &fixture(""), &second]).output().expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().filter(|line| line.starts_with("== ")).count(), 2, "{stdout}");
    let last = stdout.lines().last().expect("output");
    let total = labels.as_object().expect("object").len() + 2;
    assert!(last.starts_with(&format!("combined: kind accuracy 100.0% ({total}/{total}), ")), "{last}");
    // Each inbox of a folder is its own set with --by-inbox.
    let output = debrief().args(["eval", "--by-inbox", &second]).output().expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let sets: Vec<&str> = stdout.lines().filter(|line| line.starts_with("== ")).collect();
    assert_eq!(sets.len(), 2, "{stdout}");
    assert!(sets.iter().all(|line| line.contains(&second) && line.contains('@')), "{sets:?}");
    // A target applies to each set: naming the set that missed it.
    let failing = debrief()
        .args(["eval", &fixture(""), &second, "--max-critical", "0", "--min-kind-accuracy", "100.1"])
        .output()
        .expect("runs");
    assert_eq!(failing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failing.stderr).contains(&second));
    let usage = debrief().args(["eval", &second, "--review-below", "2"]).output().expect("runs");
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn eval_without_labels_says_what_is_missing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = debrief().args(["eval", &dir.path().display().to_string()]).output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("labels.json"));
}

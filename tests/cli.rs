//! The command line as a user meets it: the real binary, a real config and SQLite file
//! in a temporary folder, the clock moved with libfaketime (`faketime`, installed by
//! `scripts/test.sh`). Each test is one scenario of issue 2's acceptance.

#[path = "support/home.rs"]
mod home;
use home::Home;
use serde_json::Value;
use std::process::{Command, Output};

const CONFIG: &str = home::PRIYA;

impl Home {
    /// A home whose commands never open the user's editor.
    fn new() -> Home {
        Home::with_config(CONFIG).without_env(&["EDITOR", "VISUAL"])
    }

    fn add_acme(&self) {
        self.add_acme_interview(&["Jane Doe <jane@acme.example>", "Bob Lee <bob@acme.example>"]);
    }
}

fn fails_with(output: &Output, code: i32, text: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert!(stderr.contains(text), "expected {text:?} in {stderr:?}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line that says what to fix: {stderr:?}");
}

#[test]
fn an_interview_gets_a_thank_you_per_interviewer_after_it_ends() {
    let home = Home::new();
    home.add_acme();
    // Before the interview ends nothing is drafted.
    home.ok("2026-12-01 18:30:00", &["sync"]);
    assert_eq!(home.json("2026-12-01 18:30:00", &["queue"]), Value::Array(vec![]));

    home.ok("2026-12-01 21:00:00", &["sync"]);
    let queue = home.json("2026-12-01 21:00:00", &["queue"]);
    let drafts = queue.as_array().unwrap();
    assert_eq!(drafts.len(), 2);
    let mut recipients: Vec<&str> = drafts.iter().map(|d| d["to"].as_str().unwrap()).collect();
    recipients.sort();
    assert_eq!(recipients, ["bob@acme.example", "jane@acme.example"]);
    for draft in drafts {
        let mut keys: Vec<&str> = draft.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["application_id", "deadline", "id", "kind", "send_at", "status", "subject", "to"]);
        assert_eq!(draft["kind"], "thank_you");
        assert_eq!(draft["status"], "pending");
        assert_eq!(draft["send_at"], "2026-12-01T23:00:00Z");
        assert_eq!(draft["deadline"], "2026-12-02T19:00:00Z");
    }
    // A second sync drafts nothing twice.
    home.ok("2026-12-01 21:05:00", &["sync"]);
    assert_eq!(home.json("2026-12-01 21:05:00", &["queue"]).as_array().unwrap().len(), 2);

    let applications = home.json("2026-12-01 21:00:00", &["applications"]);
    let app = &applications[0];
    let mut keys: Vec<&str> = app.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["company", "id", "interviews", "next_action", "role", "state"]);
    assert_eq!(app["state"], "interviewed");
    assert_eq!(app["company"], "Acme Robotics");
    assert_eq!(app["interviews"][0]["start"], "2026-12-01T18:00:00Z");
    assert_eq!(app["interviews"][0]["interviewers"][0]["email"], "jane@acme.example");
    assert_eq!(app["next_action"]["kind"], "thank_you");
    assert_eq!(app["next_action"]["at"], "2026-12-01T23:00:00Z");
}

#[test]
fn show_approve_reject_and_edit_behave_as_the_spec_says() {
    let home = Home::new();
    home.add_acme();
    home.ok("2026-12-01 21:00:00", &["sync"]);

    let shown = home.ok("2026-12-01 21:00:00", &["show", "1"]);
    assert!(shown.contains("To: jane@acme.example"), "{shown}");
    assert!(shown.contains("From: Priya Raman <priya@example.net>"));
    assert!(shown.contains("Message-ID: <debrief."));
    assert!(shown.contains("Dear Jane Doe,"), "formal by default: {shown}");
    assert!(shown.contains("no form of address for Jane Doe"), "and flagged until written down: {shown}");
    assert!(shown.contains("Backend Engineer role at Acme Robotics"));
    assert!(shown.contains("no topic"), "a draft without its topic is flagged: {shown}");

    // The topic and the form of address rewrite pending drafts.
    home.ok("2026-12-01 21:01:00", &["note", "1", "--topic", "the fleet scheduler's backpressure"]);
    home.ok("2026-12-01 21:01:00", &["person", "jane@acme.example", "--address-as", "Ms. Doe"]);
    let shown = home.ok("2026-12-01 21:02:00", &["show", "1"]);
    assert!(shown.contains("Dear Ms. Doe,") && shown.contains("the fleet scheduler's backpressure"), "{shown}");
    assert!(!shown.contains("no topic"));

    home.ok("2026-12-01 21:03:00", &["approve", "1"]);
    home.ok("2026-12-01 21:03:00", &["reject", "2"]);
    let queue = home.json("2026-12-01 21:03:00", &["queue"]);
    assert_eq!(queue.as_array().unwrap().len(), 1, "a rejected draft leaves the queue");
    assert_eq!(queue[0]["status"], "approved");
    fails_with(&home.run_at("2026-12-01 21:03:00", &["approve", "2"]), 2, "draft 2 is rejected and cannot be approved");

    // An edit by $EDITOR returns an approved draft to pending.
    let mut edit = home.command(Some("2026-12-01 21:04:00"), &["edit", "1"]);
    edit.env("EDITOR", "sed -i 's/Thank you again for your time./Thanks again!/'");
    home::succeeded(&edit.output().unwrap(), &["edit", "1"]);
    let draft = home.json("2026-12-01 21:04:00", &["show", "1"]);
    assert_eq!(draft["status"], "pending");
    assert!(draft["body"].as_str().unwrap().contains("Thanks again!"));

    // An edit that sends it elsewhere is refused (invariant 7), and nothing changes.
    let mut edit = home.command(Some("2026-12-01 21:05:00"), &["edit", "1"]);
    edit.env("EDITOR", "sed -i 's/^To: .*/To: someone@elsewhere.example/'");
    fails_with(&edit.output().unwrap(), 2, "someone@elsewhere.example is not an address of application 1");
    assert_eq!(home.json("2026-12-01 21:05:00", &["show", "1"])["to"], "jane@acme.example");
}

#[test]
fn an_interview_ending_at_1730_is_thanked_at_0800_the_next_working_day() {
    let home = Home::new();
    // Friday 4 December 2026, 16:30-17:30 in New York.
    home.ok(
        "2026-11-25 12:00:00",
        &[
            "add",
            "--company",
            "Hudson Data",
            "--role",
            "SRE",
            "--start",
            "2026-12-04 16:30",
            "--duration",
            "1h",
            "--time-zone",
            "America/New_York",
            "--interviewer",
            "Ann Lee <ann@hudson.example>",
        ],
    );
    home.ok("2026-12-05 00:00:00", &["sync"]);
    let queue = home.json("2026-12-05 00:00:00", &["queue"]);
    // Monday 7 December, 08:00 EST.
    assert_eq!(queue[0]["send_at"], "2026-12-07T13:00:00Z");
    assert_eq!(queue[0]["deadline"], "2026-12-05T22:30:00Z");
}

#[test]
fn marking_withdrawn_cancels_every_pending_draft() {
    let home = Home::new();
    home.add_acme();
    home.ok("2026-12-01 21:00:00", &["sync"]);
    home.ok("2026-12-01 21:01:00", &["approve", "1"]);
    let out = home.ok("2026-12-01 21:02:00", &["mark", "1", "withdrawn"]);
    assert!(out.contains("2 draft(s) cancelled"), "{out}");
    assert_eq!(home.json("2026-12-01 21:02:00", &["queue"]), Value::Array(vec![]));
    assert_eq!(home.json("2026-12-01 21:02:00", &["applications"])[0]["state"], "withdrawn");
    home.ok("2026-12-20 21:00:00", &["sync"]);
    assert_eq!(home.json("2026-12-20 21:00:00", &["queue"]), Value::Array(vec![]), "nothing more is planned");

    let history = home.json("2026-12-20 21:00:00", &["history", "1"]);
    let last = history.as_array().unwrap().iter().rev().find(|e| e["to_state"] == "withdrawn").unwrap();
    assert_eq!(last["cause"], "debrief mark 1 withdrawn", "the transition records the command that caused it");
}

#[test]
fn follow_ups_come_weekly_after_the_thank_you_and_the_application_is_ghosted_at_the_end() {
    let home = Home::new();
    home.add_acme();
    home.ok("2026-12-01 21:00:00", &["sync"]);
    home.ok("2026-12-01 21:00:00", &["reject", "1"]);
    home.ok("2026-12-01 21:00:00", &["reject", "2"]);
    // With every note rejected, nothing follows until the user says so, and the queue and
    // the pipeline say why (the rule itself is tested in the core).
    let queue = home.ok("2026-12-01 21:00:00", &["queue"]);
    assert!(queue.contains("you rejected every thank-you") && queue.contains("debrief mark 1 following_up"), "{queue}");
    assert_eq!(home.json("2026-12-01 21:00:00", &["applications"])[0]["next_action"], Value::Null);
    let listed = home.ok("2026-12-01 21:00:00", &["applications"]);
    assert!(listed.contains("no follow-ups: you rejected every thank-you"), "the reason, not `-`: {listed}");
    home.ok("2026-12-01 21:00:00", &["mark", "1", "following_up"]);
    // Then the cadence counts from the interview's end (Tue 11:00 PST), as if the notes had gone.
    let next = &home.json("2026-12-01 21:00:00", &["applications"])[0]["next_action"];
    assert_eq!((next["kind"].as_str(), next["at"].as_str()), (Some("follow_up"), Some("2026-12-08T19:00:00Z")));
    home.ok("2026-12-07 19:00:00", &["sync"]);
    let queue = home.json("2026-12-07 19:00:00", &["queue"]);
    assert_eq!(queue[0]["kind"], "follow_up");
    assert_eq!(queue[0]["send_at"], "2026-12-08T19:00:00Z");
    assert_eq!(home.json("2026-12-07 19:00:00", &["applications"])[0]["state"], "following_up");
    // The user skips each follow-up; the next is drafted a day before it is due, a week on.
    for (day, expected) in [
        ("2026-12-14 19:00:00", "2026-12-15T19:00:00Z"),
        ("2026-12-21 19:00:00", "2026-12-22T19:00:00Z"),
        ("2026-12-28 19:00:00", "2026-12-29T19:00:00Z"),
    ] {
        let id = home.json(day, &["queue"])[0]["id"].as_i64().unwrap().to_string();
        home.ok(day, &["reject", &id]);
        // Between two follow-ups, the next one is the next action (it was `-`).
        let next = &home.json(day, &["applications"])[0]["next_action"];
        assert_eq!((next["kind"].as_str(), next["at"].as_str()), (Some("follow_up"), Some(expected)));
        home.ok(day, &["sync"]);
        assert_eq!(home.json(day, &["queue"])[0]["send_at"], expected);
    }
    let id = home.json("2026-12-29 00:00:00", &["queue"])[0]["id"].as_i64().unwrap().to_string();
    home.ok("2026-12-29 00:00:00", &["reject", &id]);
    let next = &home.json("2026-12-29 00:00:00", &["applications"])[0]["next_action"];
    assert_eq!((next["kind"].as_str(), next["at"].as_str()), (Some("ghosted"), Some("2027-01-05T19:00:00Z")));
    home.ok("2027-01-05 18:59:00", &["sync"]);
    assert_eq!(home.json("2027-01-05 18:59:00", &["applications"])[0]["state"], "following_up");
    home.ok("2027-01-06 00:00:00", &["sync"]);
    assert_eq!(home.json("2027-01-06 00:00:00", &["applications"])[0]["state"], "ghosted");
}

#[test]
fn errors_say_what_to_fix_with_exit_code_2() {
    let home = Home::new();
    fails_with(&home.run(&["show", "42"]), 2, "there is no draft 42: see `debrief queue`");
    fails_with(&home.run(&["history", "7"]), 2, "there is no application 7");
    let add = |start: &str, interviewer: &str| {
        home.run(&["add", "--company", "A", "--role", "B", "--start", start, "--interviewer", interviewer])
    };
    fails_with(&add("2026-13-01", "a@b.example"), 2, "--start \"2026-13-01\" is not a date and time");
    fails_with(&add("2026-12-01 10:00", "Jane <not-an-address>"), 2, "is not an email address");
    fails_with(&home.run(&["mark", "1", "hired"]), 2, "\"hired\" is not one of applied, invited");

    std::fs::write(home.config(), format!("{CONFIG}\n[policy]\nfollow_ups = 9\n")).unwrap();
    fails_with(&home.run(&["queue"]), 2, "policy.follow_ups: 9 is out of range: policy.follow_ups must be 1..=7");

    let missing = home.dir.path().join("nope.toml");
    let output = home.command(None, &["queue", "--config", missing.to_str().unwrap()]).output().unwrap();
    fails_with(&output, 2, "debrief init");
}

#[test]
fn init_writes_a_config_that_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/config.toml");
    let binary = env!("CARGO_BIN_EXE_debrief");
    let run = |args: &[&str]| Command::new(binary).args(args).arg("--config").arg(&path).output().unwrap();
    let output =
        run(&["init", "--name", "Lena Marchetti", "--email", "lena@example.org", "--time-zone", "America/Chicago"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("name = \"Lena Marchetti\"") && text.contains("America/Chicago"));
    debrief::config::Config::load(&path).unwrap();
    fails_with(&run(&["init"]), 2, "already exists");
}

#[test]
fn a_friday_afternoon_interview_is_thanked_before_saturdays_deadline() {
    let home = Home::new();
    // Friday 4 December 2026, 14:00-15:00 in New York; sync runs as it ends.
    home.ok(
        "2026-11-25 12:00:00",
        &[
            "add",
            "--company",
            "Hudson Data",
            "--role",
            "SRE",
            "--start",
            "2026-12-04 14:00",
            "--time-zone",
            "America/New_York",
            "--interviewer",
            "Ann Lee <ann@hudson.example>",
        ],
    );
    home.ok("2026-12-04 20:00:00", &["sync"]);
    let queue = home.json("2026-12-04 20:00:00", &["queue"]);
    // Due before Saturday 15:00 EST; sent Friday 17:59 EST, not Monday.
    assert_eq!(queue[0]["deadline"], "2026-12-05T20:00:00Z");
    assert_eq!(queue[0]["send_at"], "2026-12-04T22:59:00Z");
}

#[test]
fn topics_and_strengths_are_per_round_and_person_and_a_late_approval_is_rewritten_and_warned() {
    let home = Home::new();
    home.add_acme();
    home.ok("2026-12-01 19:00:00", &["sync"]);
    fails_with(
        &home.run_at("2026-12-01 19:01:00", &["note", "1", "--topic", "x", "--round", "2"]),
        2,
        "application 1 has no round 2 (its rounds: 1)",
    );
    fails_with(
        &home.run_at("2026-12-01 19:01:00", &["note", "1", "--topic", "x", "--person", "eve@acme.example"]),
        2,
        "eve@acme.example is not an interviewer of round 1 (its interviewers: jane@acme.example, bob@acme.example)",
    );
    fails_with(&home.run_at("2026-12-01 19:01:00", &["note", "1", "--round", "1"]), 2, "give one of those too");

    let queue = home.ok("2026-12-01 19:01:00", &["queue"]);
    assert!(queue.contains("no topic: what did you discuss with Jane Doe?"), "{queue}");
    assert!(queue.contains("no strength"), "{queue}");
    home.ok(
        "2026-12-01 19:02:00",
        &["note", "1", "--topic", "the fleet scheduler's backpressure", "--person", "jane@acme.example"],
    );
    home.ok("2026-12-01 19:02:00", &["note", "1", "--strength", "I cut our deploy time from 40 to 12 minutes."]);
    let jane = home.ok("2026-12-01 19:03:00", &["show", "1"]);
    let bob = home.ok("2026-12-01 19:03:00", &["show", "2"]);
    assert!(jane.contains("backpressure") && jane.contains("I cut our deploy time from 40 to 12 minutes."), "{jane}");
    assert!(!jane.contains("no topic") && !jane.contains("no strength"), "{jane}");
    assert!(!bob.contains("backpressure") && bob.contains("no topic"), "Jane's topic is not Bob's: {bob}");
    let history = home.ok("2026-12-01 19:03:00", &["history", "1"]);
    assert!(history.contains("topic for round 1 with jane@acme.example set"), "{history}");

    // Approved on Thursday 09:00 PST, a day after its deadline: it says when they met, and warns.
    let approved = home.ok("2026-12-03 17:00:00", &["approve", "1"]);
    assert!(approved.contains("It was rewritten for today"), "{approved}");
    assert!(approved.contains("Warning: this thank-you is late"), "{approved}");
    let jane = home.json("2026-12-03 17:00:00", &["show", "1"]);
    assert_eq!(jane["status"], "approved");
    assert_eq!(jane["send_at"], "2026-12-03T17:00:00Z", "overdue, in the window: it goes at the next pass, now");
    assert!(jane["body"].as_str().unwrap().contains("speak with me on Tuesday, December 1"), "{jane}");
    // Approved in time, no warning.
    let on_time = home.ok("2026-12-01 19:05:00", &["approve", "2"]);
    assert!(!on_time.contains("late") && !on_time.contains("rewritten"), "{on_time}");
}

#[test]
fn an_interviewer_named_without_an_address_gets_a_note_that_waits_for_it() {
    let home = Home::new();
    home.ok(
        "2026-11-25 12:00:00",
        &[
            "add",
            "--company",
            "Acme Robotics",
            "--role",
            "Backend Engineer",
            "--start",
            "2026-12-01T10:00:00-08:00",
            "--interviewer",
            "Jane Doe <jane.doe@acme.example>",
            "--interviewer",
            "Carol Ng",
        ],
    );
    home.ok("2026-12-01 19:00:00", &["sync"]);
    let queue = home.json("2026-12-01 19:00:00", &["queue"]);
    assert_eq!(queue.as_array().unwrap().len(), 2, "a note for each interviewer: {queue}");
    let carol = queue.as_array().unwrap().iter().find(|draft| draft["to"] == "").expect("Carol's note").clone();
    let id = carol["id"].as_i64().unwrap().to_string();
    let text = home.ok("2026-12-01 19:00:00", &["queue"]);
    assert!(text.contains("needs an address: `debrief person \"Carol Ng\" --email ADDRESS`"), "{text}");
    assert!(text.contains("Likely carol.ng@acme.example") && text.contains("never uses a guess"), "{text}");
    let shown = home.ok("2026-12-01 19:00:00", &["show", &id]);
    assert!(shown.contains("Dear Carol Ng,"), "{shown}");
    // Not approvable until it has an address; the guess is never used by itself.
    fails_with(
        &home.run_at("2026-12-01 19:01:00", &["approve", &id]),
        2,
        &format!("draft {id} waits for Carol Ng's address: `debrief person \"Carol Ng\" --email ADDRESS`"),
    );
    fails_with(
        &home.run_at("2026-12-01 19:01:00", &["person", "Dana Moss", "--email", "dana@acme.example"]),
        2,
        "no interviewer named \"Dana Moss\" is waiting for an address",
    );
    fails_with(
        &home.run_at("2026-12-01 19:01:00", &["person", "Carol Ng", "--email", "not an address"]),
        2,
        "is not an email address",
    );

    let out = home.ok("2026-12-01 19:02:00", &["person", "Carol Ng", "--email", "carol.ng@acme.example"]);
    assert!(out.contains("1 note(s) waiting for the address are addressed to it"), "{out}");
    let shown = home.json("2026-12-01 19:02:00", &["show", &id]);
    assert_eq!(shown["to"], "carol.ng@acme.example");
    home.ok("2026-12-01 19:03:00", &["approve", &id]);
    assert_eq!(home.json("2026-12-01 19:03:00", &["show", &id])["status"], "approved");
    let history = home.ok("2026-12-01 19:03:00", &["history", "1"]);
    assert!(history.contains("Carol Ng's address set to carol.ng@acme.example by you"), "{history}");
}

#[test]
fn a_missed_reschedule_is_repaired_by_moving_the_round_and_corrections_are_in_the_history() {
    let home = Home::new();
    home.add_acme();
    // Tuesday's interview really took place on Thursday 3 December; the inbox missed it.
    home.ok("2026-12-01 19:30:00", &["sync"]);
    assert_eq!(home.json("2026-12-01 19:30:00", &["queue"]).as_array().unwrap().len(), 2);
    fails_with(
        &home.run_at("2026-12-01 19:31:00", &["round", "1", "3", "cancel"]),
        2,
        "application 1 has no round 3 (its rounds: 1)",
    );
    let out = home.ok("2026-12-01 19:31:00", &["round", "1", "1", "move", "--start", "2026-12-03 10:00"]);
    assert!(out.contains("Round 1 moved to Thu 2026-12-03 10:00 PST") && out.contains("2 draft(s) cancelled"), "{out}");
    assert_eq!(
        home.json("2026-12-01 19:31:00", &["queue"]),
        Value::Array(vec![]),
        "no notes for a meeting that did not happen"
    );
    let app = &home.json("2026-12-01 19:31:00", &["applications"])[0];
    assert_eq!(app["state"], "scheduled");
    assert_eq!(app["interviews"][0]["end"], "2026-12-03T19:00:00Z", "the hour it lasted is kept");
    home.ok("2026-12-03 19:30:00", &["sync"]);
    let queue = home.json("2026-12-03 19:30:00", &["queue"]);
    assert_eq!(queue.as_array().unwrap().len(), 2, "new notes after the real interview: {queue}");
    assert_eq!(queue[0]["send_at"], "2026-12-03T23:00:00Z");
    let shown = home.ok("2026-12-03 19:30:00", &["show", &queue[0]["id"].to_string()]);
    assert!(shown.contains("speak with me today"), "{shown}");

    // A second round that should not have been one: cancelled; and renumbering swaps.
    home.ok(
        "2026-12-03 20:00:00",
        &["add", "--company", "Acme Robotics", "--role", "Backend Engineer", "--start", "2026-12-10T10:00:00-08:00"],
    );
    home.ok("2026-12-03 20:01:00", &["round", "1", "2", "renumber", "1"]);
    let out = home.ok("2026-12-03 20:02:00", &["round", "1", "1", "cancel"]);
    assert!(out.contains("Round 1 cancelled"), "{out}");
    let app = &home.json("2026-12-03 20:02:00", &["applications"])[0];
    assert_eq!(app["interviews"].as_array().unwrap().len(), 1, "{app}");
    assert_eq!(app["interviews"][0]["start"], "2026-12-03T18:00:00Z");
    assert_eq!(app["state"], "interviewed", "back to where it was before the round that was not one");
    let history = home.ok("2026-12-03 20:02:00", &["history", "1"]);
    for expected in ["round 1 corrected by you", "round 2 renumbered 1", "round 1 cancelled by you"] {
        assert!(history.contains(expected), "{expected:?} in {history}");
    }
}

#[test]
fn right_after_the_interview_sync_asks_for_impressions_and_what_they_said_sets_the_cadence() {
    let home = Home::new();
    home.add_acme();
    let out = home.ok("2026-12-01 19:30:00", &["sync"]);
    assert!(out.contains("Acme Robotics (1), round 1: while it is fresh"), "{out}");
    assert!(out.contains("debrief note 1 --round 1 --impressions"), "{out}");
    let listed = home.ok("2026-12-01 19:31:00", &["applications"]);
    assert!(listed.contains("Interviews to write down:"), "{listed}");
    home.ok(
        "2026-12-01 19:32:00",
        &["note", "1", "--impressions", "System design went well.\nShould have asked about on-call. Good fit."],
    );
    let out = home.ok("2026-12-01 19:33:00", &["sync"]);
    assert!(!out.contains("while it is fresh"), "asked once written down: {out}");
    home.ok("2026-12-01 19:32:30", &["note", "1", "--topic", "the fleet scheduler", "--person", "bob@acme.example"]);
    let history = home.ok("2026-12-01 19:33:00", &["history", "1"]);
    let (timeline, notes) =
        history.split_once("\nRound 1, ").unwrap_or_else(|| panic!("no notes of round 1: {history}"));
    assert!(timeline.contains("impressions of round 1 written down"), "{history}");
    assert!(!timeline.contains("on-call"), "the timeline's events do not carry them: {history}");
    // Where the user reviews the application, they read what they wrote, every line of it.
    assert!(notes.starts_with("Tue 2026-12-01 10:00 PST with Jane Doe, Bob Lee (done), your notes:"), "{notes}");
    assert!(
        notes.contains(
            "  topic (bob@acme.example): the fleet scheduler\n  impressions: System design went well.\n    Should have asked about on-call. Good fit.\n"
        ),
        "{notes}"
    );
    let history = home.json("2026-12-01 19:33:00", &["history", "1"]);
    let written: Vec<&Value> = history.as_array().unwrap().iter().filter_map(|entry| entry.get("note")).collect();
    assert_eq!(written.len(), 2, "{history:#}");
    assert_eq!((&written[0]["kind"], &written[0]["person"]), (&"topic".into(), &"bob@acme.example".into()));
    assert_eq!(
        (&written[1]["round"], &written[1]["kind"], &written[1]["person"]),
        (&1.into(), &"impressions".into(), &Value::Null)
    );
    assert_eq!(written[1]["text"], "System design went well.\nShould have asked about on-call. Good fit.");
    // Never into mail: the drafted notes (Bob's has his topic) say nothing of them.
    for draft in home.json("2026-12-01 19:33:00", &["queue"]).as_array().unwrap() {
        let shown = home.ok("2026-12-01 19:33:00", &["show", &draft["id"].to_string()]);
        assert!(!shown.contains("on-call") && !shown.contains("went well"), "{shown}");
    }

    // The notes are written by hand in the mail client (rejected here); Jane said they would
    // decide by Friday 11 December: no follow-up before Saturday 12th.
    home.ok("2026-12-01 19:34:00", &["reject", "1"]);
    home.ok("2026-12-01 19:34:00", &["reject", "2"]);
    home.ok("2026-12-01 19:34:00", &["note", "1", "--reply-after", "2026-12-12"]);
    let app = &home.json("2026-12-01 19:34:00", &["applications"])[0];
    assert_eq!(app["state"], "waiting");
    // Saturday 12th waits for Monday 14th, 08:00 PST.
    assert_eq!(app["next_action"]["kind"], "follow_up");
    assert_eq!(app["next_action"]["at"], "2026-12-14T16:00:00Z");
    // "Wait to hear from us": paused until the user resumes, and `applications` says so.
    home.ok("2026-12-01 19:35:00", &["note", "1", "--wait-for-word"]);
    let listed = home.ok("2026-12-01 19:35:00", &["applications"]);
    assert!(listed.contains("follow-ups paused") && listed.contains("debrief mark 1 following_up"), "{listed}");
    fails_with(&home.run_at("2026-12-01 19:36:00", &["note", "1", "--reply-after", "Friday"]), 2, "is not a date");
}

impl Home {
    /// A home whose config adds `extra` (TOML) to the usual one.
    fn with(extra: &str) -> Home {
        let home = Home::new();
        std::fs::write(home.config(), format!("{CONFIG}\n{extra}")).unwrap();
        home
    }

    /// `applications` at `at`: application 1's NEXT column (text) and its `next_action`.
    fn next_action(&self, at: &str) -> (String, Value) {
        let listed = self.ok(at, &["applications"]);
        let line = listed.lines().find(|line| line.trim_start().starts_with("1 ")).unwrap_or_default();
        (line.to_owned(), self.json(at, &["applications"])[0]["next_action"].clone())
    }
}

/// Issue 12 and SPEC §1: a draft whose planned time has passed goes at the next pass only
/// inside its send window; every command says when it really goes, in the user's time
/// (never the past planned time, never raw UTC).
#[test]
fn an_overdue_draft_says_when_it_really_goes_in_local_time_everywhere() {
    let home = Home::new();
    home.add_acme();
    home.ok("2026-12-01 21:00:00", &["sync"]);
    // Saturday 5 December, 12:00 PST: both notes are late, their window closed until Monday.
    let saturday = "2026-12-05 20:00:00";
    let queue = home.ok(saturday, &["queue"]);
    assert!(queue.contains("late: its deadline was Wed 2026-12-02 11:00 PST; approve or reject it"), "{queue}");
    assert!(!queue.contains("2026-12-02T19:00:00Z"), "no raw UTC: {queue}");
    assert!(queue.contains("pending   Mon 2026-12-07 08:00 PST"), "when it would go, not Tuesday's: {queue}");
    assert_eq!(home.json(saturday, &["queue"])[0]["send_at"], "2026-12-07T16:00:00Z");
    let shown = home.ok(saturday, &["show", "1"]);
    assert!(
        shown.contains(
            "Send at: Mon 2026-12-07 08:00 PST (planned for Tue 2026-12-01 15:00 PST, when its send window opens)"
        ),
        "{shown}"
    );
    let (line, next) = home.next_action(saturday);
    assert_eq!((next["kind"].as_str(), next["at"].as_str()), (Some("thank_you"), Some("2026-12-07T16:00:00Z")));
    assert!(line.contains("thank_you Mon 2026-12-07 08:00 PST if approved (draft 1:"), "{line}");
    assert!(line.contains("`debrief approve 1`"), "{line}");

    let approved = home.ok(saturday, &["approve", "1"]);
    assert!(approved.contains("it will be sent when its send window opens, Mon 2026-12-07 08:00 PST"), "{approved}");
    assert!(!approved.contains("as soon as"), "{approved}");
    assert!(approved.contains("It was rewritten for Monday, December 7, the day it goes out"), "{approved}");
    assert!(approved.contains("it goes out Mon 2026-12-07 08:00 PST"), "the late warning agrees: {approved}");
    let again = home.ok(saturday, &["approve", "1"]);
    assert!(
        again.contains("already approved; it goes out when its send window opens, Mon 2026-12-07 08:00 PST"),
        "{again}"
    );
    let (line, _) = home.next_action(saturday);
    assert!(
        line.contains("thank_you Mon 2026-12-07 08:00 PST (draft 1, approved; nothing is sent until [smtp]"),
        "{line}"
    );
    // On Monday at 09:00 PST the window is open: it goes at the next pass.
    let monday = home.ok("2026-12-07 17:00:00", &["show", "1"]);
    assert!(monday.contains("Send at: at the next pass (planned for Tue 2026-12-01 15:00 PST)"), "{monday}");
}

/// Issue 12's acceptance: `applications` shows the next action at every stage, never `-`
/// or a time long past; and `mark` says what it drafted, by kind (it said "A withdrawal
/// note was drafted" for a reference's heads-up).
#[test]
fn applications_names_the_next_action_at_every_stage_and_mark_says_what_it_drafted() {
    let home = Home::with("[[references]]\nname = \"Alex Kim\"\nemail = \"alex.kim@example.org\"\n");
    home.add_acme();
    let (line, next) = home.next_action("2026-11-30 12:00:00");
    assert_eq!(next["kind"], "interview");
    assert!(line.contains("interview Tue 2026-12-01 10:00 PST"), "{line}");
    // Both notes rejected: no follow-up until the user says so, and the line says why.
    home.ok("2026-12-01 21:00:00", &["sync"]);
    home.ok("2026-12-01 21:00:00", &["reject", "1"]);
    home.ok("2026-12-01 21:00:00", &["reject", "2"]);
    let (line, next) = home.next_action("2026-12-01 21:00:00");
    assert_eq!(next, Value::Null);
    assert!(line.contains("no follow-ups: you rejected every thank-you"), "{line}");
    home.ok("2026-12-01 21:00:00", &["mark", "1", "following_up"]);
    let (line, _) = home.next_action("2026-12-01 21:00:00");
    assert!(line.contains("follow_up Tue 2026-12-08 11:00 PST (follow-up 1 of 4, drafted for your approval"), "{line}");

    // A follow-up left pending for six weeks: on a Saturday it would go on Monday if
    // approved, not "Tue 2026-12-08" as planned.
    home.ok("2026-12-07 19:00:00", &["sync"]);
    let follow_up = home.json("2026-12-07 19:00:00", &["queue"])[0]["id"].as_i64().unwrap();
    let (line, next) = home.next_action("2027-01-16 20:00:00");
    assert_eq!((next["kind"].as_str(), next["at"].as_str()), (Some("follow_up"), Some("2027-01-18T16:00:00Z")));
    assert!(line.contains(&format!("follow_up Mon 2027-01-18 08:00 PST if approved (draft {follow_up}:")), "{line}");

    // An offer, marked by hand: the follow-up is cancelled and the reference told.
    let out = home.ok("2027-01-16 20:00:00", &["mark", "1", "offer"]);
    assert!(out.contains("1 draft(s) cancelled"), "{out}");
    let heads_up = follow_up + 1;
    assert!(
        out.contains(&format!("Drafted: a heads-up to your reference (draft {heads_up}, to alex.kim@example.org)")),
        "{out}"
    );
    assert!(!out.contains("withdrawal"), "{out}");
    let (_, next) = home.next_action("2027-01-16 20:00:00");
    assert_eq!(next["kind"], "reference_notice");
    // Marked back to applied (the offer was a mistake): the heads-up announcing it goes too.
    let out = home.ok("2027-01-16 20:01:00", &["mark", "1", "applied"]);
    assert!(out.contains("1 draft(s) cancelled") && !out.contains("Drafted"), "{out}");
    assert_eq!(home.json("2027-01-16 20:01:00", &["show", &heads_up.to_string()])["status"], "cancelled");
    let (line, next) = home.next_action("2027-01-16 20:01:00");
    assert_eq!(next, Value::Null, "no leftover reference_notice");
    assert!(line.contains("waiting for an interview"), "{line}");

    // Closed states say so, in words.
    home.ok("2027-01-16 20:02:00", &["mark", "1", "offer"]);
    let (line, _) = home.next_action("2027-01-16 20:02:00");
    assert!(line.contains("your answer to the offer; nothing more is sent"), "{line}");
    home.ok("2027-01-16 20:03:00", &["mark", "1", "ghosted"]);
    let (line, _) = home.next_action("2027-01-16 20:03:00");
    assert!(
        line.contains("none: closed without an answer after the follow-ups; an answer from them reopens it"),
        "{line}"
    );
    let out = home.ok("2027-01-16 20:04:00", &["mark", "1", "withdrawn", "--notify"]);
    assert!(out.contains("Drafted: a withdrawal note (draft"), "{out}");
    assert!(out.contains("to jane@acme.example)"), "{out}");
    let withdrawal = home.json("2027-01-16 20:04:00", &["queue"])[0]["id"].as_i64().unwrap().to_string();
    home.ok("2027-01-16 20:05:00", &["reject", &withdrawal]);
    let (line, next) = home.next_action("2027-01-16 20:05:00");
    assert_eq!(next, Value::Null);
    assert!(line.contains("none: withdrawn; nothing more is sent"), "{line}");
    assert!(!line.trim_end().ends_with(" -"), "{line}");
}

/// Issue 12: a reschedule the inbox missed is confirmed with the facts as flags; the
/// round moves, and the correction is a history line whose cause is the command.
#[test]
fn inbox_confirm_takes_a_reschedule_with_its_start_duration_and_interviewer() {
    let home = Home::with("[maildir]\npath = \"maildir\"\n\n[policy]\nconfidence_threshold = 0.99\n");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(home.dir.path().join("maildir").join(sub)).unwrap();
    }
    home.add_acme();
    // Jane asks to move it, in words that say no new time: held for review.
    let message = "From: Jane Doe <jane@acme.example>\r\nTo: Priya Raman <priya@example.net>\r\n\
        Subject: Tuesday\r\nDate: Sat, 28 Nov 2026 09:15:00 -0800\r\nMessage-ID: <p12a-move-1@acme.example>\r\n\
        MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
        Hi Priya,\r\n\r\nSomething came up on my side for Tuesday. Would another day suit you?\r\n\r\nJane\r\n";
    std::fs::write(home.dir.path().join("maildir/new/1764350100.M1P1.host"), message).unwrap();
    home.ok("2026-11-28 18:00:00", &["sync"]);
    let held = home.json("2026-11-28 18:00:00", &["inbox"]);
    assert_eq!(held.as_array().unwrap().len(), 1, "{held}");
    let id = held[0]["id"].as_i64().unwrap().to_string();

    // Bad flags are usage errors that name the flag; nothing is applied.
    let confirm = |extra: &[&str]| {
        let mut args = vec!["inbox", "confirm", id.as_str(), "--as", "interview_rescheduled", "--application", "1"];
        args.extend_from_slice(extra);
        home.run_at("2026-11-28 18:01:00", &args)
    };
    fails_with(
        &confirm(&["--start", "Thursday afternoon"]),
        2,
        "--start \"Thursday afternoon\" is not a date and time",
    );
    fails_with(
        &confirm(&["--start", "2026-12-03 14:00", "--duration", "13h"]),
        2,
        "--duration \"13h\" must be between",
    );
    fails_with(
        &confirm(&["--start", "2026-12-03 14:00", "--interviewer", "Carol <not an address>"]),
        2,
        "--interviewer",
    );
    assert_eq!(home.json("2026-11-28 18:01:00", &["inbox"]).as_array().unwrap().len(), 1, "still held");

    let out = home::succeeded(
        &confirm(&[
            "--start",
            "2026-12-03 14:00",
            "--duration",
            "45m",
            "--interviewer",
            "Carol King <carol@acme.example>",
        ]),
        &["inbox", "confirm"],
    );
    assert!(out.contains("interview moved to Thu 2026-12-03 14:00 PST"), "{out}");
    assert_eq!(home.json("2026-11-28 18:02:00", &["inbox"]), Value::Array(vec![]));
    let app = &home.json("2026-11-28 18:02:00", &["applications"])[0];
    let round = &app["interviews"][0];
    assert_eq!(
        (round["start"].as_str(), round["end"].as_str()),
        (Some("2026-12-03T22:00:00Z"), Some("2026-12-03T22:45:00Z"))
    );
    assert_eq!(round["interviewers"], serde_json::json!([{"name": "Carol King", "email": "carol@acme.example"}]));
    let history = home.json("2026-11-28 18:02:00", &["history", "1"]);
    let correction =
        history.as_array().unwrap().iter().find(|entry| entry["cause"] == format!("debrief inbox confirm {id}"));
    let correction = correction.unwrap_or_else(|| panic!("a history line caused by the command: {history}"));
    assert_eq!(
        correction["event"],
        format!(
            "message {id} confirmed by you as interview_rescheduled, starting Thu 2026-12-03 14:00 PST, lasting 45 min, with 1 interviewer(s)"
        )
    );
    // The thank-you goes to the interviewer who was there, after the new end.
    home.ok("2026-12-03 23:00:00", &["sync"]);
    let queue = home.json("2026-12-03 23:00:00", &["queue"]);
    assert_eq!(queue.as_array().unwrap().len(), 1, "{queue}");
    assert_eq!(queue[0]["to"], "carol@acme.example");
}

//! People beside the interviewers (issue 12) as a user meets them: the real binary over a
//! Maildir, a real SQLite file, the clock moved with libfaketime.
//! - References (articles 2 and 4): the employer asks for references in a message; each
//!   reference configured gets one heads-up to approve, and the offer that follows asks
//!   nobody twice.
//! - The recruiter (article 2): asked to pass on the note to an interviewer whose address
//!   the user lacks; approving that request cancels the waiting note.

#[path = "support/home.rs"]
mod home;
use home::Home;
use serde_json::Value;

/// Priya's references, added to her config.
const REFERENCES: &str = r#"
[[references]]
name = "Alex Kim"
email = "alex.kim@example.org"
relationship = "my manager at Initech"

[[references]]
name = "Samira Haddad"
email = "samira@example.org"
address_as = "Dr. Haddad"
"#;

/// Asks for references in the sender's own words, with a timeline (a reply in the thread
/// of the interview's employer).
const ASKS_FOR_REFERENCES: &str = "From: Jane Doe <jane@acme.example>\r
To: Priya Raman <priya@example.net>\r
Subject: Backend Engineer: references\r
Date: Thu, 03 Dec 2026 09:30:00 -0800\r
Message-ID: <next-steps-1@acme.example>\r
Content-Type: text/plain; charset=utf-8\r
\r
Hi Priya,\r
\r
Thank you again for your time on Tuesday; the team enjoyed the conversation.\r
Before we decide, could you send us the names and contact details of two\r
professional references? We will get back to you by the end of next week.\r
\r
Best,\r
Jane Doe\r
Engineering Manager, Acme Robotics\r
";

const OFFER: &str = "From: Jane Doe <jane@acme.example>\r
To: Priya Raman <priya@example.net>\r
Subject: Your offer from Acme Robotics\r
Date: Tue, 08 Dec 2026 10:00:00 -0800\r
Message-ID: <offer-1@acme.example>\r
In-Reply-To: <next-steps-1@acme.example>\r
Content-Type: text/plain; charset=utf-8\r
\r
Hi Priya,\r
\r
I am delighted to offer you the position of Backend Engineer at Acme Robotics.\r
The formal offer letter with salary and benefits is attached for your review.\r
Please let us know your decision by December 15.\r
\r
Best,\r
Jane Doe\r
";

/// The recruiter writes after the interview (a timeline): the application's contact.
const RECRUITER_AFTER_THE_INTERVIEW: &str = "From: Maya Patel <maya.patel@acme.example>\r
To: Priya Raman <priya@example.net>\r
Subject: Your Backend Engineer interviews today\r
Date: Tue, 01 Dec 2026 11:30:00 -0800\r
Message-ID: <maya-1@acme.example>\r
Content-Type: text/plain; charset=utf-8\r
\r
Hi Priya,\r
\r
Thank you for interviewing with us today for the Backend Engineer role.\r
We will get back to you by the end of next week with an update.\r
\r
Maya Patel\r
Recruiting Coordinator, Acme Robotics\r
";

impl Home {
    /// A home whose commands never open the user's editor.
    fn new() -> Home {
        Home::priya_with_maildir(REFERENCES).without_env(&["EDITOR", "VISUAL"])
    }

    fn heads_ups(&self, at: &str) -> Vec<Value> {
        let queue = self.json(at, &["queue"]);
        queue.as_array().unwrap().iter().filter(|draft| draft["kind"] == "reference_notice").cloned().collect()
    }
}

#[test]
fn an_employer_asking_for_references_gets_each_reference_one_heads_up_to_approve() {
    let home = Home::new();
    home.add_acme_interview(&["Jane Doe <jane@acme.example>"]);
    home.ok("2026-12-01 19:00:00", &["sync"]);
    assert!(home.heads_ups("2026-12-01 19:00:00").is_empty(), "an interview alone tells no reference");

    home.deliver("1764783000.M1P1.test", ASKS_FOR_REFERENCES);
    let out = home.ok("2026-12-04 15:00:00", &["sync"]);
    assert!(out.contains("Planned: 2 draft(s) made"), "{out}");
    let history = home.ok("2026-12-04 15:00:00", &["history", "1"]);
    assert!(history.contains("2 reference heads-up drafts"), "the message's effect says so: {history}");
    let heads_ups = home.heads_ups("2026-12-04 15:00:00");
    let to: Vec<&str> = heads_ups.iter().map(|draft| draft["to"].as_str().unwrap()).collect();
    assert_eq!(to, ["alex.kim@example.org", "samira@example.org"], "{heads_ups:#?}");
    for draft in &heads_ups {
        assert_eq!(draft["status"], "pending");
        assert_eq!(draft["application_id"], 1);
        // Read on Friday at 07:00 in Los Angeles (the user's zone: references are the
        // user's contacts), it goes when the window opens at 08:00.
        assert_eq!(draft["send_at"], "2026-12-04T16:00:00Z");
    }
    let alex = heads_ups[0]["id"].as_i64().unwrap().to_string();
    let shown = home.ok("2026-12-04 15:00:00", &["show", &alex]);
    assert!(shown.contains("Hi Alex,"), "{shown}");
    assert!(shown.contains("Acme Robotics has asked me for references for the Backend Engineer role"), "{shown}");
    let samira = heads_ups[1]["id"].as_i64().unwrap().to_string();
    assert!(home.ok("2026-12-04 15:00:00", &["show", &samira]).contains("Dear Dr. Haddad,"));

    // Approved like any other draft: its recipient belongs to the application.
    home.ok("2026-12-04 15:05:00", &["approve", &alex]);
    assert_eq!(home.json("2026-12-04 15:05:00", &["show", &alex])["status"], "approved");
    home.ok("2026-12-04 15:05:00", &["reject", &samira]);

    // The offer that follows drafts its reply, and asks no reference twice, whatever the
    // user did with the first heads-up.
    home.deliver("1765216800.M2P1.test", OFFER);
    home.ok("2026-12-08 18:30:00", &["sync"]);
    let queue = home.json("2026-12-08 18:30:00", &["queue"]);
    assert!(queue.as_array().unwrap().iter().any(|draft| draft["kind"] == "offer_reply"), "{queue:#}");
    let heads_ups = home.heads_ups("2026-12-08 18:30:00");
    assert_eq!(heads_ups.len(), 1, "only Alex's approved heads-up is still queued: {heads_ups:#?}");
    let history = home.ok("2026-12-08 18:30:00", &["history", "1"]);
    assert!(
        history.contains("to your reference alex.kim@example.org drafted (the employer asked for references)"),
        "{history}"
    );
}

#[test]
fn the_recruiter_is_asked_to_pass_on_a_note_to_an_interviewer_without_an_address() {
    let home = Home::new();
    home.add_acme_interview(&["Jane Doe <jane@acme.example>", "Carol Ng"]);
    home.deliver("1764617400.M1P1.test", RECRUITER_AFTER_THE_INTERVIEW);
    home.ok("2026-12-01 20:00:00", &["sync"]);
    let queue = home.json("2026-12-01 20:00:00", &["queue"]);
    let drafts = queue.as_array().unwrap();
    let note = drafts.iter().find(|draft| draft["kind"] == "thank_you" && draft["to"] == "").expect("Carol's note");
    let request = drafts.iter().find(|draft| draft["kind"] == "pass_on").unwrap_or_else(|| panic!("{queue:#}"));
    assert_eq!(request["to"], "maya.patel@acme.example");
    assert_eq!(request["send_at"], note["send_at"]);
    let (note, request) = (note["id"].as_i64().unwrap().to_string(), request["id"].as_i64().unwrap().to_string());
    let shown = home.ok("2026-12-01 20:00:00", &["show", &request]);
    assert!(shown.contains("Dear Maya Patel,") && shown.contains("Dear Carol Ng,"), "the note goes along: {shown}");
    let text = home.ok("2026-12-01 20:00:00", &["queue"]);
    assert!(
        text.contains(&format!("or approve draft {request}: it asks maya.patel@acme.example to pass this note on")),
        "{text}"
    );
    let refused = home.run_at("2026-12-01 20:01:00", &["approve", &note]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains(&format!("or approve draft {request} to ask maya.patel@acme.example to pass it on")),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let out = home.ok("2026-12-01 20:02:00", &["approve", &request]);
    assert!(out.contains(&format!("Thank-you {note} is cancelled: it goes through maya.patel@acme.example")), "{out}");
    assert_eq!(home.json("2026-12-01 20:02:00", &["show", &note])["status"], "cancelled");
    assert_eq!(home.json("2026-12-01 20:02:00", &["show", &request])["status"], "approved");
    // No second note to Carol at the next pass; an address given now leaves the request be.
    home.ok("2026-12-01 20:05:00", &["sync"]);
    let queue = home.json("2026-12-01 20:05:00", &["queue"]);
    assert_eq!(queue.as_array().unwrap().iter().filter(|draft| draft["to"] == "").count(), 0, "{queue:#}");
    home.ok("2026-12-01 20:06:00", &["person", "Carol Ng", "--email", "carol.ng@acme.example"]);
    assert_eq!(home.json("2026-12-01 20:06:00", &["show", &request])["status"], "approved");
    let history = home.ok("2026-12-01 20:06:00", &["history", "1"]);
    assert!(
        history
            .contains(&format!("draft {note} cancelled: passed on through maya.patel@acme.example (draft {request})")),
        "{history}"
    );
}

#[test]
fn giving_the_address_first_cancels_the_request_to_pass_the_note_on() {
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
            "Jane Doe <jane@acme.example>",
            "--interviewer",
            "Carol Ng",
        ],
    );
    home.deliver("1764617400.M1P1.test", RECRUITER_AFTER_THE_INTERVIEW);
    home.ok("2026-12-01 20:00:00", &["sync"]);
    let queue = home.json("2026-12-01 20:00:00", &["queue"]);
    let request = queue.as_array().unwrap().iter().find(|draft| draft["kind"] == "pass_on").expect("a request").clone();
    let request = request["id"].as_i64().unwrap().to_string();
    let out = home.ok("2026-12-01 20:01:00", &["person", "Carol Ng", "--email", "carol.ng@acme.example"]);
    assert!(out.contains(&format!("Request(s) to pass the note on cancelled: {request}.")), "{out}");
    let shown = home.json("2026-12-01 20:01:00", &["show", &request]);
    assert_eq!(shown["status"], "cancelled");
    let queue = home.json("2026-12-01 20:01:00", &["queue"]);
    assert!(queue.as_array().unwrap().iter().any(|draft| draft["to"] == "carol.ng@acme.example"), "{queue:#}");
}

#[test]
fn the_same_name_waiting_at_two_employers_is_given_an_address_per_application_and_round() {
    let home = Home::new();
    for (company, start) in [("Acme Robotics", "2026-12-01T10:00:00-08:00"), ("Globex", "2026-12-01T13:00:00-08:00")] {
        home.ok(
            "2026-11-25 12:00:00",
            &["add", "--company", company, "--role", "Engineer", "--start", start, "--interviewer", "Carol Ng"],
        );
    }
    home.ok("2026-12-01 23:00:00", &["sync"]);
    let text = home.ok("2026-12-01 23:00:00", &["queue"]);
    assert!(text.contains("`debrief person \"Carol Ng\" --email ADDRESS --application 1`"), "{text}");
    assert!(text.contains("`debrief person \"Carol Ng\" --email ADDRESS --application 2`"), "{text}");
    let refused = home.run_at("2026-12-01 23:01:00", &["person", "Carol Ng", "--email", "carol@globex.example"]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("\"Carol Ng\" waits for an address in applications 1, 2: add --application ID"),
        "{stderr}"
    );
    let wrong_round = home.run_at(
        "2026-12-01 23:01:00",
        &["person", "Carol Ng", "--email", "carol@globex.example", "--application", "2", "--round", "2"],
    );
    assert_eq!(wrong_round.status.code(), Some(2), "{}", String::from_utf8_lossy(&wrong_round.stderr));

    let out = home.ok(
        "2026-12-01 23:02:00",
        &["person", "Carol Ng", "--email", "carol@globex.example", "--application", "2", "--round", "1"],
    );
    assert!(out.contains("1 note(s) waiting for the address are addressed to it"), "{out}");
    let queue = home.json("2026-12-01 23:02:00", &["queue"]);
    let to: Vec<(i64, &str)> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|draft| (draft["application_id"].as_i64().unwrap(), draft["to"].as_str().unwrap()))
        .collect();
    assert_eq!(to, [(1, ""), (2, "carol@globex.example")], "Acme's Carol still waits: {queue:#}");
}

#[test]
fn a_final_round_added_by_hand_tells_each_reference_once() {
    let home = Home::new();
    let add = |start: &str, final_round: bool| {
        let mut args = vec!["add", "--company", "Acme Robotics", "--role", "Backend Engineer", "--start", start];
        args.extend(["--interviewer", "Jane Doe <jane@acme.example>"]);
        if final_round {
            args.push("--final-round");
        }
        home.ok("2026-11-25 12:00:00", &args)
    };
    add("2026-12-01T10:00:00-08:00", false);
    assert!(home.heads_ups("2026-11-25 12:00:00").is_empty(), "a first round tells nobody");
    let out = add("2026-12-08T10:00:00-08:00", true);
    assert!(out.contains("2 heads-up draft(s) to your references"), "{out}");
    let heads_ups = home.heads_ups("2026-11-25 12:00:00");
    assert_eq!(heads_ups.len(), 2, "{heads_ups:#?}");
    let shown = home.ok("2026-11-25 12:00:00", &["show", &heads_ups[0]["id"].as_i64().unwrap().to_string()]);
    assert!(
        shown.contains("I am through to the final round for the Backend Engineer role at Acme Robotics"),
        "{shown}"
    );
}

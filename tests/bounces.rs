//! Nothing to dead ends (issue 12): a delivery report that arrives in the inbox, read as a
//! user meets it: the real binary over a Maildir, a real SQLite file, the clock moved with
//! libfaketime. A permanent failure (5.x.x) of the follow-ups' address cancels the pending
//! follow-up and plans no more, and `queue` says why, naming the report; a delay (4.x.x)
//! changes nothing.

#[path = "support/home.rs"]
mod home;
use home::Home;
use serde_json::Value;

/// A standard report (RFC 3464), written for this test: `STATUS` and `ACTION` are filled in.
const REPORT: &str = "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\r
To: priya@example.net\r
Subject: Returned mail: see transcript for details\r
Date: Mon, 07 Dec 2026 12:02:00 -0800\r
Message-ID: <report-ID@mx.example.net>\r
Auto-Submitted: auto-replied\r
MIME-Version: 1.0\r
Content-Type: multipart/report; report-type=delivery-status; boundary=\"r1\"\r
\r
--r1\r
Content-Type: text/plain\r
\r
Your message did not reach everyone it was for.\r
\r
--r1\r
Content-Type: message/delivery-status\r
\r
Reporting-MTA: dns; mx.example.net\r
\r
Final-Recipient: rfc822; jane@acme.example\r
Action: ACTION\r
Status: STATUS\r
Diagnostic-Code: smtp; CODE STATUS mailbox WHAT\r
\r
--r1--\r
";

impl Home {
    fn new() -> Home {
        Home::priya_with_maildir("")
    }

    fn follow_ups(&self, at: &str) -> Vec<Value> {
        let queue: Value = serde_json::from_str(&self.ok(at, &["queue", "--json"])).unwrap();
        queue.as_array().unwrap().iter().filter(|draft| draft["kind"] == "follow_up").cloned().collect()
    }

    /// An interview with Jane on Tuesday 1 December; the user wrote the thank-you by hand
    /// and follows up with debrief: follow-up 1 is drafted on Monday 7th.
    fn following_up_with_jane(&self) -> Value {
        self.add_acme_interview(&["Jane Doe <jane@acme.example>"]);
        self.ok("2026-12-01 19:30:00", &["sync"]);
        self.ok("2026-12-01 19:31:00", &["reject", "1"]);
        self.ok("2026-12-01 19:32:00", &["mark", "1", "following_up"]);
        self.ok("2026-12-07 20:00:00", &["sync"]);
        let follow_ups = self.follow_ups("2026-12-07 20:00:00");
        assert_eq!(follow_ups.len(), 1, "{follow_ups:#?}");
        assert_eq!(
            (&follow_ups[0]["to"], &follow_ups[0]["status"]),
            (&Value::from("jane@acme.example"), &"pending".into())
        );
        follow_ups[0].clone()
    }
}

fn report(id: &str, action: &str, status: &str, code: &str, what: &str) -> String {
    REPORT
        .replace("ID", id)
        .replace("ACTION", action)
        .replace("STATUS", status)
        .replace("CODE", code)
        .replace("WHAT", what)
}

#[test]
fn a_bounce_in_the_inbox_cancels_the_follow_up_to_that_address_and_the_queue_says_why() {
    let home = Home::new();
    let follow_up = home.following_up_with_jane();
    home.deliver("1765137720.M1P1.test", &report("1", "failed", "5.1.1", "550", "does not exist"));
    let out = home.ok("2026-12-07 20:05:00", &["sync"]);
    assert!(out.contains("1 applied") && out.contains("1 cancelled"), "{out}");

    let follow_ups = home.follow_ups("2026-12-07 20:05:00");
    assert_eq!(follow_ups.len(), 0, "the pending follow-up left the queue: {follow_ups:#?}");
    let shown: Value =
        serde_json::from_str(&home.ok("2026-12-07 20:05:00", &["show", &follow_up["id"].to_string(), "--json"]))
            .unwrap();
    assert_eq!(shown["status"], "cancelled", "{shown:#}");
    let queue = home.ok("2026-12-07 20:05:00", &["queue"]);
    assert!(
        queue.contains("no follow-ups: jane@acme.example refused your mail for good")
            && queue.contains(
                "\"Returned mail: see transcript for details\" from mailer-daemon@mx.example.net of 2026-12-07"
            )
            && queue.contains("5.1.1, smtp; 550 5.1.1 mailbox does not exist"),
        "{queue}"
    );
    let history = home.ok("2026-12-07 20:05:00", &["history", "1"]);
    assert!(
        history.contains("a delivery report: jane@acme.example refused mail for good (5.1.1); no follow-ups go there"),
        "{history}"
    );

    // Weeks later nothing more is planned to the dead address, and the application is not
    // taken for answered by the report.
    home.ok("2026-12-21 20:00:00", &["sync"]);
    assert_eq!(home.follow_ups("2026-12-21 20:00:00").len(), 0);
    let listed: Value = serde_json::from_str(&home.ok("2026-12-21 20:00:00", &["applications", "--json"])).unwrap();
    assert_eq!(listed[0]["state"], "following_up", "{listed:#}");
}

#[test]
fn a_delay_report_in_the_inbox_changes_nothing() {
    let home = Home::new();
    let follow_up = home.following_up_with_jane();
    home.deliver("1765137720.M1P1.test", &report("2", "delayed", "4.2.2", "452", "full, will retry"));
    home.ok("2026-12-07 20:05:00", &["sync"]);
    let follow_ups = home.follow_ups("2026-12-07 20:05:00");
    assert_eq!(follow_ups.len(), 1, "{follow_ups:#?}");
    assert_eq!((&follow_ups[0]["id"], &follow_ups[0]["status"]), (&follow_up["id"], &"pending".into()));
    assert!(!home.ok("2026-12-07 20:05:00", &["queue"]).contains("Not following up"));
}

//! `debrief web` over plain HTTP (issue 13): the real binary serving a real SQLite file,
//! driven by a small HTTP client that can send what a browser would not (a foreign Host,
//! no CSRF token), and checked in the database and with `debrief queue --json`.
//!
//! The page runs under libfaketime with a frozen clock (tokio's timers use the real
//! monotonic clock), so an approval's hold ends at a known instant.

#[path = "support/rig.rs"]
mod rig;
#[path = "support/web.rs"]
mod support_web;

use serde_json::Value;
use support_web::{Home, Page};

/// The page's clock: the interview of `Home::interviewed` ended at 16:00; its
/// thank-you (draft 1) is due at 20:00.
const AT: &str = "2026-12-07 18:00:00";

#[test]
fn the_token_is_required_then_kept_in_a_strict_cookie() {
    let home = Home::interviewed();
    let page = Page::start(&home, AT, &[]);

    let bare = page.get_without_cookie("/queue");
    assert_eq!(bare.status, 401, "no token: {}", bare.body);
    assert!(bare.body.contains("Open the address `debrief web` printed"), "{}", bare.body);
    assert_eq!(page.get_without_cookie("/queue?token=0123456789abcdef0123456789abcdef").status, 401);
    assert_eq!(page.get_without_cookie("/static/app.js").status, 401, "assets too");

    let first = page.get_without_cookie(&format!("/?token={}", page.token));
    assert_eq!(first.status, 303);
    assert_eq!(first.header("location"), Some("/queue"), "the token leaves the address bar");
    let cookie = first.header("set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.starts_with(&format!("debrief_{}={}", page.port, page.token)), "{cookie}");

    let queue = page.get("/queue");
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains("Draft 1 · thank you"), "{}", queue.body);
    let policy = queue.header("content-security-policy").unwrap();
    assert!(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!queue.body.contains("http://") && !queue.body.contains("https://"), "no external asset");
}

#[test]
fn a_host_that_is_not_loopback_is_refused_even_with_the_cookie() {
    let home = Home::interviewed();
    let page = Page::start(&home, AT, &[]);
    for host in ["evil.example", &format!("evil.example:{}", page.port), "localhost.evil.example", "10.1.2.3"] {
        let refused = page.request("GET", "/queue", Some(host), true, &[], None);
        assert_eq!(refused.status, 403, "Host {host}: {}", refused.body);
        assert!(!refused.body.contains("thank"), "nothing of the queue leaks");
    }
    let rebound = page.request("GET", &format!("/?token={}", page.token), Some("evil.example"), false, &[], None);
    assert_eq!(rebound.status, 403, "the token does not help a rebound name");
    for host in [format!("localhost:{}", page.port), format!("127.0.0.1:{}", page.port)] {
        assert_eq!(page.request("GET", "/queue", Some(&host), true, &[], None).status, 200, "{host}");
    }
}

#[test]
fn a_state_change_needs_a_post_with_the_csrf_token_from_this_page() {
    let home = Home::interviewed();
    let page = Page::start(&home, AT, &[]);
    let csrf = page.csrf();

    let get = page.get("/drafts/1/approve");
    assert_eq!(get.status, 405, "a GET never changes state: {}", get.body);
    let missing = page.post("/drafts/1/approve", "");
    assert_eq!(missing.status, 403, "{}", missing.body);
    let wrong = page.post("/drafts/1/approve", "csrf=0123456789abcdef0123456789abcdef");
    assert_eq!(wrong.status, 403);
    let foreign = page.request(
        "POST",
        "/drafts/1/approve",
        None,
        true,
        &[("Origin", "http://evil.example")],
        Some(&format!("csrf={csrf}")),
    );
    assert_eq!(foreign.status, 403, "a form posted from another site");
    let no_cookie = page.request("POST", "/drafts/1/approve", None, false, &[], Some(&format!("csrf={csrf}")));
    assert_eq!(no_cookie.status, 401);
    assert_eq!(home.show(1)["status"], "pending", "none of these approved it");

    let null_origin =
        page.request("POST", "/drafts/1/approve", None, true, &[("Origin", "null")], Some(&format!("csrf={csrf}")));
    assert_eq!(null_origin.status, 403, "an opaque origin (a sandboxed frame, a data: page)");
    assert_eq!(home.show(1)["status"], "pending", "none of these approved it");
    let queue = page.get("/queue");
    assert_eq!(queue.header("referrer-policy"), Some("same-origin"), "so the browser's own posts carry their Origin");

    let own = format!("http://127.0.0.1:{}", page.port);
    let approved =
        page.request("POST", "/drafts/1/approve", None, true, &[("Origin", &own)], Some(&format!("csrf={csrf}")));
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert_eq!(home.show(1)["status"], "approved");
}

#[test]
fn only_a_loopback_address_is_listened_on_without_the_explicit_flag() {
    let home = Home::interviewed();
    let output = home.command(None, &["web", "--listen", "0.0.0.0:0"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "a usage error");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("0.0.0.0:0 is not a loopback address") && stderr.contains("--allow-remote"), "{stderr}");

    std::fs::write(
        home.path("config.toml"),
        std::fs::read_to_string(home.path("config.toml")).unwrap() + "[web]\nlisten = \"192.0.2.1:8750\"\n",
    )
    .unwrap();
    let output = home.command(None, &["web"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("web.listen: 192.0.2.1:8750 is not a loopback address"));
}

#[test]
fn an_approval_is_held_in_the_database_undone_inside_the_hold_and_released_by_send_now() {
    let home = Home::interviewed();
    let page = Page::start(&home, AT, &[]);
    let csrf = page.csrf();

    let approved = page.post("/drafts/1/approve", &format!("csrf={csrf}"));
    assert_eq!(approved.header("location"), Some("/queue?after=1&done=approved"));
    let row = home.draft_row(1);
    assert_eq!(row.status, "approved");
    assert_eq!(row.approved_at.as_deref(), Some("2026-12-07T18:00:00Z"));
    assert_eq!(row.hold_until.as_deref(), Some("2026-12-07T18:01:00Z"), "the default hold is 60 s");

    let queue: Value = serde_json::from_str(&home.ok("2026-12-07 18:00:30", &["queue", "--json"])).unwrap();
    assert_eq!(queue[0]["hold_until"], "2026-12-07T18:01:00Z", "{queue}");
    let later: Value = serde_json::from_str(&home.ok("2026-12-07 18:01:00", &["queue", "--json"])).unwrap();
    assert_eq!(later[0].get("hold_until"), None, "the key is there only while the hold runs: {later}");
    let listing = home.ok("2026-12-07 18:00:30", &["queue"]);
    assert!(listing.contains("held until Mon 2026-12-07 18:01 UTC"), "in the user's time: {listing}");
    let next = page.get("/queue?after=1&done=approved");
    assert!(next.body.contains("is held for <span class=\"countdown\" data-seconds=\"60\">"), "{}", next.body);
    assert!(next.body.contains("action=\"/drafts/1/undo\""), "undo is offered");

    let undone = page.post("/drafts/1/undo", &format!("csrf={csrf}"));
    assert_eq!(undone.status, 303, "{}", undone.body);
    let row = home.draft_row(1);
    assert_eq!((row.status.as_str(), row.approved_at, row.hold_until), ("pending", None, None));
    let history = home.ok(AT, &["history", "1"]);
    assert!(history.contains("approval of draft 1 (thank_you) undone") && history.contains("debrief web: undo 1"));
    assert_eq!(page.post("/drafts/1/undo", &format!("csrf={csrf}")).status, 409, "nothing left to undo");

    page.post("/drafts/1/approve", &format!("csrf={csrf}"));
    let released = page.post("/drafts/1/send-now", &format!("csrf={csrf}"));
    assert_eq!(released.status, 303);
    let row = home.draft_row(1);
    assert_eq!((row.status.as_str(), row.hold_until), ("approved", None), "send now: no hold left");
    let too_late = page.post("/drafts/1/undo", &format!("csrf={csrf}"));
    assert_eq!(too_late.status, 409, "once released it may be on its way");
    assert!(too_late.body.contains("no longer held"), "{}", too_late.body);
}

#[test]
fn with_no_hold_configured_an_approval_goes_at_once() {
    let home = Home::interviewed();
    home.append_config("[web]\nhold_seconds = 0\n");
    let page = Page::start(&home, AT, &[]);
    page.post("/drafts/1/approve", &format!("csrf={}", page.csrf()));
    let row = home.draft_row(1);
    assert_eq!((row.status.as_str(), row.hold_until), ("approved", None));
}

#[test]
fn an_edit_in_the_page_shows_its_difference_and_keeps_the_rules_of_debrief_edit() {
    let home = Home::interviewed();
    let page = Page::start(&home, AT, &[]);
    let csrf = page.csrf();
    let form = page.get("/drafts/1/edit");
    assert_eq!(form.status, 200);
    assert!(!form.body.contains("id=\"diff\""), "nothing changed yet, so no section of changes: {}", form.body);
    let version = support_web::input_value(&form.body, "version");
    let original = home.show(1);
    let body = original["body"].as_str().unwrap();
    let first_line = body.lines().next().unwrap().to_owned();
    let edited_body = body.replacen(&first_line, "Dear Dana, <script>alert(1)</script>", 1);
    let fields = |to: &str, body: &str, version: &str| {
        support_web::form(&[
            ("csrf", &csrf),
            ("version", version),
            ("to", to),
            ("subject", original["subject"].as_str().unwrap()),
            ("body", body),
        ])
    };

    // Recipients only from the application: refused, nothing changed, the text kept.
    let refused = page.post("/drafts/1/edit", &fields("someone@elsewhere.example", &edited_body, &version));
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("someone@elsewhere.example is not an address of application 1"), "{}", refused.body);
    assert!(refused.body.contains("Dear Dana, &lt;script&gt;"), "the user's text is still in the form");
    assert_eq!(home.show(1)["body"], original["body"]);

    let saved = page.post("/drafts/1/edit", &fields("dana@clockwork.example", &edited_body, &version));
    assert_eq!(saved.status, 303, "{}", saved.body);
    let draft = home.show(1);
    assert_eq!(draft["status"], "pending");
    assert!(draft["body"].as_str().unwrap().starts_with("Dear Dana, <script>alert(1)</script>"), "{draft}");

    let shown = page.get("/drafts/1?done=edited");
    assert!(shown.body.contains("Your changes to the generated text"), "{}", shown.body);
    assert!(shown.body.contains(&format!("<span class=\"ddel\">- {}</span>", html_escape(&first_line))));
    assert!(shown.body.contains("<span class=\"dins\">+ Dear Dana, &lt;script&gt;alert(1)&lt;&#x2f;script&gt;</span>"));
    assert!(!shown.body.contains("<script>alert"), "draft text is escaped everywhere");

    // The form was read before the draft was rejected from the command line: the stale
    // edit does not revive it.
    home.ok(AT, &["reject", "1"]);
    let stale = page.post("/drafts/1/edit", &fields("dana@clockwork.example", "My later words.\n", &version));
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(stale.body.contains("draft 1 was changed while you were editing it (it is rejected now)"));
    assert!(stale.body.contains("My later words."), "the text stays in the form");
    assert_eq!(home.show(1)["status"], "rejected");
}

#[test]
fn rejecting_in_the_page_brings_up_the_next_draft() {
    let home = Home::interviewed();
    let page = Page::start(&home, AT, &[]);
    let rejected = page.post("/drafts/1/reject", &format!("csrf={}", page.csrf()));
    assert_eq!(rejected.header("location"), Some("/queue?after=1&done=rejected"));
    assert_eq!(home.show(1)["status"], "rejected");
    let history = home.ok(AT, &["history", "1"]);
    assert!(history.contains("draft 1 (thank_you) rejected") && history.contains("debrief web: reject 1"));
    let after = page.get("/queue?after=1&done=rejected");
    assert!(after.body.contains("Draft 1 rejected"), "{}", after.body);
}

#[test]
fn an_approval_from_the_page_is_sent_once_after_its_hold_and_an_undone_one_never() {
    let rig = rig::Rig::start();
    let _turn = rig.shared_blocking();
    let rig_config = rig.config_for("web-hold@rig.test").build();
    let home = Home::with_config_text(&std::fs::read_to_string(&rig_config.path).unwrap());
    // The rig's SMTP server takes mail for its own domains only.
    home.interview(&["Dana Reyes <web-hold-dana@rig.test>", "Lee Park <web-hold-lee@rig.test>"]);
    let sent_count = |id: i64| {
        let message_id = home.show(id)["message_id"].as_str().unwrap().to_owned();
        rig.smtp_log().iter().filter(|entry| entry.message_id.as_deref() == Some(message_id.as_str())).count()
    };

    // Both thank-you notes were due at 20:00; the user approves both at 20:30 and undoes
    // the second inside its hold.
    let page = Page::start(&home, "2026-12-07 20:30:00", &[]);
    let csrf = page.csrf();
    assert_eq!(page.post("/drafts/1/approve", &format!("csrf={csrf}")).status, 303);
    assert_eq!(page.post("/drafts/2/approve", &format!("csrf={csrf}")).status, 303);
    assert_eq!(page.post("/drafts/2/undo", &format!("csrf={csrf}")).status, 303);
    drop(page);

    home.ok("2026-12-07 20:30:59", &["sync"]);
    assert_eq!(sent_count(1), 0, "held: the daemon's pass does not send it before 20:31");
    assert_eq!(home.show(1)["status"], "approved");
    let pass = home.ok("2026-12-07 20:31:00", &["sync"]);
    assert_eq!(sent_count(1), 1, "sent when the hold ended: {pass}\n{}", home.ok("2026-12-07 20:31:00", &["queue"]));
    home.ok("2026-12-07 20:45:00", &["sync"]);
    assert_eq!((sent_count(1), home.show(1)["status"].as_str().unwrap().to_owned()), (1, "sent".to_owned()), "once");
    assert_eq!(sent_count(2), 0, "the undone approval sent nothing");
    assert_eq!(home.show(2)["status"], "pending");
}

#[test]
fn the_page_flags_a_draft_as_debrief_show_does() {
    // The same rules as the CLI: every flag `debrief show` prints (no topic, no strength,
    // no form of address...) is on the draft's page too.
    let home = Home::interviewed();
    let page = Page::start(&home, AT, &[]);
    let shown = home.ok(AT, &["show", "1"]);
    let flags: Vec<&str> = shown.lines().filter_map(|line| line.strip_prefix("! ")).collect();
    assert!(flags.iter().any(|flag| flag.starts_with("no strength")), "issue 12's gaps are flagged: {shown}");
    let draft = page.get("/drafts/1");
    assert_eq!(draft.status, 200, "{}", draft.body);
    for flag in flags {
        assert!(draft.body.contains(&html_escape(flag)), "{flag:?} is missing from the page: {}", draft.body);
    }
}

#[test]
fn the_running_daemon_sends_a_page_approval_once_when_its_hold_ends_and_an_undone_one_never() {
    // One `debrief run` serves the page and sends: nothing else touches the database
    // between the approvals and the sending (no `sync`).
    let rig = rig::Rig::start();
    let _turn = rig.shared_blocking();
    let rig_config = rig.config_for("web-daemon@rig.test").build();
    let home = Home::with_config_text(&std::fs::read_to_string(&rig_config.path).unwrap());
    home.interview(&["Dana Reyes <web-daemon-dana@rig.test>", "Lee Park <web-daemon-lee@rig.test>"]);
    home.append_config("[web]\nlisten = \"127.0.0.1:0\"\nhold_seconds = 3\n");
    let sent_count = |id: i64| {
        let message_id = home.show(id)["message_id"].as_str().unwrap().to_owned();
        rig.smtp_log().iter().filter(|entry| entry.message_id.as_deref() == Some(message_id.as_str())).count()
    };

    // Both notes were due at 20:00; the daemon runs from 20:30 on.
    let page = Page::in_daemon_at(&home, "2026-12-07 20:30:00");
    let csrf = page.csrf();
    assert_eq!(page.post("/drafts/1/approve", &format!("csrf={csrf}")).status, 303);
    assert_eq!(page.post("/drafts/2/approve", &format!("csrf={csrf}")).status, 303);
    assert_eq!(page.post("/drafts/2/undo", &format!("csrf={csrf}")).status, 303);
    let held = home.draft_row(1);
    let hold_until = held.hold_until.clone().expect("the page's approval is held");

    // Read-only looks at the database while the daemon works, with a deadline.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let sent = loop {
        let row = home.draft_row(1);
        if row.status == "sent" {
            break row;
        }
        assert!(std::time::Instant::now() < deadline, "not sent within 60 s: {row:?}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let sent_at = sent.sent_at.expect("a sent draft has its time");
    assert!(sent_at >= hold_until, "sent at {sent_at}, before its hold ended at {hold_until}");
    assert_eq!(sent_count(1), 1, "sent once");
    assert_eq!(sent_count(2), 0, "the undone approval sent nothing");
    assert_eq!(home.draft_row(2).status, "pending");
    drop(page);
}

#[test]
fn the_pipeline_and_an_application_show_state_next_action_and_history() {
    let home = Home::interviewed();
    // The user's own notes on the round: shown on the application's page, escaped, and
    // never in a draft.
    home.ok(AT, &["note", "1", "--round", "1", "--impressions", "Pairing went well; <b>joins</b> were shaky"]);
    home.ok(AT, &["note", "1", "--round", "1", "--topic", "the ingestion backlog"]);
    let page = Page::start(&home, AT, &[]);
    let pipeline = page.get("/pipeline");
    assert_eq!(pipeline.status, 200);
    assert!(pipeline.body.contains("id=\"state-interviewed\""), "{}", pipeline.body);
    assert!(pipeline.body.contains("Clockwork Analytics — Data Engineer"), "{}", pipeline.body);
    assert!(pipeline.body.contains("next: thank you Mon 2026-12-07 20:00 UTC"), "{}", pipeline.body);
    let application = page.get("/applications/1");
    assert!(application.body.contains("Round 1: Mon 2026-12-07 15:00 UTC"), "{}", application.body);
    assert!(application.body.contains("Dana Reyes &lt;dana@clockwork.example&gt;"), "{}", application.body);
    assert!(application.body.contains("Your notes on round 1 (never sent)"), "{}", application.body);
    assert!(
        application.body.contains("Pairing went well; &lt;b&gt;joins&lt;&#x2f;b&gt; were shaky"),
        "impressions shown, escaped: {}",
        application.body
    );
    assert!(application.body.contains("the ingestion backlog"), "{}", application.body);
    let draft = page.get("/drafts/1");
    assert!(!draft.body.contains("Pairing went well"), "impressions never go into a draft: {}", draft.body);
    let history = home.ok(AT, &["history", "1", "--json"]);
    let first_event = support_web::json(&history)[0]["event"].as_str().unwrap().to_owned();
    assert!(application.body.contains(&html_escape(&first_event)), "{first_event} in {}", application.body);
    assert_eq!(page.get("/applications/99").status, 404);
}

#[test]
fn a_message_held_for_review_is_confirmed_in_the_page_with_the_kind_and_application_chosen() {
    // Every message is held for review at this threshold.
    let home = Home::with_policy("confidence_threshold = 1.0");
    home.interview(&["Dana Reyes <dana@clockwork.example>"]);
    let message = "From: Dana Reyes <dana@clockwork.example>\nTo: Casey Candidate <casey@clock.test>\n\
                   Subject: Data Engineer role\nDate: Mon, 07 Dec 2026 17:30:00 +0000\n\
                   Message-ID: <web-review-1@clockwork.example>\n\n\
                   Hi Casey,\n\nThank you for your time. We have decided to move forward with other \
                   candidates for this role.\n\nDana\n";
    std::fs::write(home.path("maildir/new/1765128600.M1P1.clockwork"), message).unwrap();
    home.ok("2026-12-07 17:40:00", &["sync"]);
    let held = support_web::json(&home.ok(AT, &["inbox", "--json"]));
    assert_eq!(held.as_array().unwrap().len(), 1, "{held}");
    let id = held[0]["id"].as_i64().unwrap();

    let page = Page::start(&home, AT, &[]);
    let inbox = page.get("/inbox");
    assert!(inbox.body.contains("Data Engineer role") && inbox.body.contains(&format!("/inbox/{id}/confirm")));
    let form = support_web::form(&[("csrf", &page.csrf()), ("kind", "rejection"), ("application", "1")]);
    let confirmed = page.post(&format!("/inbox/{id}/confirm"), &form);
    assert_eq!(confirmed.status, 303, "{}", confirmed.body);
    assert_eq!(support_web::json(&home.ok(AT, &["inbox", "--json"])), serde_json::json!([]), "it left the inbox");
    let applications = support_web::json(&home.ok(AT, &["applications", "--json"]));
    assert_eq!(applications[0]["state"], "rejected", "applied as a rejection of application 1: {applications}");
    assert_eq!(page.post(&format!("/inbox/{id}/dismiss"), &format!("csrf={}", page.csrf())).status, 409);
}

#[test]
fn the_daemon_serves_the_page_when_web_is_configured() {
    let home = Home::interviewed();
    home.append_config("[web]\nlisten = \"127.0.0.1:0\"\n");
    let page = Page::in_daemon(&home);
    assert_eq!(page.get_without_cookie("/queue").status, 401, "the same guard");
    let queue = page.get("/queue");
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert!(queue.body.contains("Draft 1 · thank you"), "{}", queue.body);
}

fn html_unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

fn html_escape(text: &str) -> String {
    // As minijinja escapes HTML.
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

/// The part of a page from `<section id="ID">` to its end.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("<section id=\"{id}\">")).unwrap_or_else(|| panic!("no section {id} in {html}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

#[test]
fn the_daemon_goes_on_without_the_page_when_its_port_is_taken() {
    // A `debrief web` left running holds the port the daemon's `[web]` wants: the daemon
    // says so and does its work all the same.
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();
    let home = Home::interviewed();
    home.append_config(&format!("[web]\nlisten = \"127.0.0.1:{port}\"\n"));
    let mut child = home
        .command(Some("2026-12-07 18:00:00"), &["run"])
        .env_remove("NOTIFY_SOCKET")
        .env_remove("JOURNAL_STREAM")
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (sender, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("[debrief run] {line}");
            let _ = sender.send(line);
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut seen = Vec::new();
    let warning = loop {
        match lines.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())) {
            Ok(line) if line.contains("The approval page is not served") => break line,
            Ok(line) => seen.push(line),
            Err(err) => {
                let status = child.try_wait().unwrap();
                let _ = child.kill();
                panic!("no warning about the page ({err}); the daemon's state: {status:?}; it said {seen:#?}");
            }
        }
    };
    assert!(warning.contains(&format!("could not listen on 127.0.0.1:{port}")), "{warning}");
    assert!(warning.contains("a `debrief web` still running?") && warning.contains("[web] listen"), "{warning}");

    // Still running, and still reading mail: a message delivered now is taken in.
    let message = "From: Dana Reyes <dana@clockwork.example>\nTo: Casey Candidate <casey@clock.test>\n\
                   Subject: Data Engineer role\nDate: Mon, 07 Dec 2026 17:30:00 +0000\n\
                   Message-ID: <web-port-taken-1@clockwork.example>\n\n\
                   Hi Casey,\n\nThank you for your time. We have decided to move forward with other \
                   candidates for this role.\n\nDana\n";
    std::fs::write(home.path("maildir/tmp/1765128600.M2P1.clockwork"), message).unwrap();
    std::fs::rename(
        home.path("maildir/tmp/1765128600.M2P1.clockwork"),
        home.path("maildir/new/1765128600.M2P1.clockwork"),
    )
    .unwrap();
    let taken_in = || {
        let conn = rusqlite::Connection::open_with_flags(
            home.path("data/debrief.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        conn.query_row(
            "SELECT count(*) FROM messages WHERE message_id = 'web-port-taken-1@clockwork.example'",
            [],
            |row| row.get::<_, i64>(0),
        )
        .unwrap_or(0)
    };
    while taken_in() == 0 {
        assert_eq!(child.try_wait().unwrap(), None, "the daemon stopped");
        assert!(std::time::Instant::now() < deadline, "the message was not read within 60 s");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(child.try_wait().unwrap(), None, "the daemon still runs");
    let _ = child.kill();
    let _ = child.wait();
    drop(held);
}

#[test]
fn an_approval_in_the_page_says_what_debrief_approve_says() {
    // The thank-you's deadline was 24 h after the interview (Tue 16:00); approved on
    // Wednesday it is late and rewritten for the day it goes, and the page says so in the
    // words of `debrief approve`.
    const LATE: &str = "2026-12-09 10:00:00";
    let home = Home::interviewed();
    let page = Page::start(&home, LATE, &[]);
    let approved = page.post("/drafts/1/approve", &format!("csrf={}", page.csrf()));
    assert_eq!(approved.header("location"), Some("/queue?after=1&done=approved"));
    let next = page.get("/queue?after=1&done=approved");
    let notice = next.body.split("id=\"notice\">").nth(1).and_then(|rest| rest.split("</p>").next()).unwrap_or("");
    assert!(notice.starts_with("Draft 1 approved. "), "{notice}");
    assert!(
        notice.contains("Warning: this thank-you is late. Its deadline was Tue 2026-12-08 16:00 UTC and it goes out"),
        "{notice}"
    );

    let cli = Home::interviewed();
    let printed = cli.ok(LATE, &["approve", "1"]);
    let notes: Vec<&str> = printed
        .lines()
        .skip_while(|line| !line.starts_with("Approved draft 1"))
        .skip(1)
        .filter(|line| !line.starts_with("Note: no [smtp]"))
        .collect();
    assert!(notes.iter().any(|line| line.starts_with("It was rewritten for today")), "{printed}");
    assert!(notes.len() >= 2, "{printed}");
    for line in notes {
        // The send time may differ by the page's hold; the words are the same.
        let words = line.split(" it goes out").next().unwrap();
        assert!(notice.contains(&html_escape(words)), "the CLI's {line:?} is not in the page's notice: {notice}");
    }
    let again = page.get("/queue?after=1&done=approved");
    assert!(!again.body.contains("this thank-you is late. Its deadline"), "said once, not at every reload");
}

#[test]
fn outcomes_show_each_fate_and_resolve_an_unknown_send_from_the_page() {
    let rig = rig::Rig::start();
    let _turn = tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(rig.exclusive());
    let rig_config = rig.config_for("web-outcomes@rig.test").build();
    let home = Home::with_config_text(&std::fs::read_to_string(&rig_config.path).unwrap());
    // Four thank-you notes: one the server takes, one to an address it refuses, one whose
    // connection is cut after the final dot (it may have gone), one sent while the
    // server cannot deliver (it answers 451 and debrief retries).
    home.interview(&[
        "Dana Reyes <web-outcomes-dana@rig.test>",
        "Lee Park <lee@clockwork.example>",
        "Sam Ortiz <drop-after-dot-web-outcomes@rig.test>",
        "Kim Ross <web-outcomes-kim@rig.test>",
    ]);
    let queue = support_web::json(&home.ok("2026-12-07 20:30:00", &["queue", "--json"]));
    let to: Vec<(i64, String)> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|draft| (draft["id"].as_i64().unwrap(), draft["to"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        to,
        [
            (1, "web-outcomes-dana@rig.test".to_owned()),
            (2, "lee@clockwork.example".to_owned()),
            (3, "drop-after-dot-web-outcomes@rig.test".to_owned()),
            (4, "web-outcomes-kim@rig.test".to_owned())
        ],
        "one note each, in this order"
    );
    for id in ["1", "2", "3"] {
        home.ok("2026-12-07 20:30:00", &["approve", id]);
    }
    home.ok("2026-12-07 20:31:00", &["sync"]);
    assert_eq!(home.show(1)["status"], "sent");
    assert_eq!(home.show(2)["status"], "failed");
    assert_eq!(home.show(3)["status"], "unknown");
    home.ok("2026-12-07 20:35:00", &["approve", "4"]);
    rig.stop_dovecot();
    let outage = home.command(Some("2026-12-07 20:36:00"), &["sync"]).output().unwrap();
    rig.start_dovecot();
    assert_eq!(outage.status.code(), Some(1), "the inbox could not be read: {outage:?}");
    assert_eq!(home.show(4)["status"], "approved", "a transient failure: it is retried");

    let page = Page::start(&home, "2026-12-07 20:40:00", &[]);
    let outcomes = page.get("/outcomes");
    assert_eq!(outcomes.status, 200, "{}", outcomes.body);
    let sent = section(&outcomes.body, "sent");
    assert!(sent.contains("href=\"/drafts/1\"") && sent.contains("web-outcomes-dana@rig.test"), "{sent}");
    let failed = section(&outcomes.body, "failed");
    assert!(failed.contains("href=\"/drafts/2\"") && failed.contains("550"), "{failed}");
    assert!(failed.contains("Recipient address rejected"), "the server's words: {failed}");
    let retrying = section(&outcomes.body, "retrying");
    assert!(retrying.contains("href=\"/drafts/4\"") && retrying.contains("451"), "the server's words: {retrying}");
    let unknown = section(&outcomes.body, "unknown");
    assert!(unknown.contains("href=\"/drafts/3\"") && unknown.contains("may have been delivered"), "{unknown}");
    assert!(unknown.contains("id=\"resolve-sent-3\"") && unknown.contains("id=\"resolve-retry-3\""), "{unknown}");
    // The header block of the sent note is what Dana received.
    let shown = page.get("/drafts/1");
    let block = shown.body.split("id=\"headers\">").nth(1).and_then(|rest| rest.split("</pre>").next()).unwrap();
    let block = html_unescape(block);
    let header = |name: &str| {
        block
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} in {block}"))
            .to_owned()
    };
    let delivered = rig.mailbox_messages("web-outcomes-dana@rig.test", "INBOX");
    assert_eq!(delivered.len(), 1);
    let received = mail_parser::MessageParser::default().parse(&delivered[0]).unwrap();
    let from = received.from().unwrap().first().unwrap();
    assert_eq!(header("From"), format!("{} <{}>", from.name().unwrap(), from.address().unwrap()), "{block}");
    assert_eq!(header("To"), received.to().unwrap().first().unwrap().address().unwrap(), "{block}");
    assert_eq!(header("Cc"), "(none)", "{block}");
    assert_eq!(header("Subject"), received.subject().unwrap(), "{block}");
    assert_eq!(header("Message-ID"), format!("<{}>", received.message_id().unwrap()), "{block}");
    for (id, other) in [(1, "failed"), (2, "sent"), (3, "retrying"), (4, "unknown")] {
        assert!(!section(&outcomes.body, other).contains(&format!("href=\"/drafts/{id}\"")), "{id} not in {other}");
    }

    // "It did not go": approved again, and the next pass sends it (the link is cut again).
    let csrf = page.csrf();
    let retry = page.post("/drafts/3/resolve", &support_web::form(&[("csrf", &csrf), ("outcome", "retry")]));
    assert_eq!(retry.header("location"), Some("/outcomes?done=resolved&id=3"), "{}", retry.body);
    assert_eq!(home.show(3)["status"], "approved");
    let history = home.ok("2026-12-07 20:40:00", &["history", "1"]);
    assert!(
        history.contains("draft 3 (thank_you) to be sent again, by you  [debrief web: resolve 3 retry]"),
        "{history}"
    );
    home.ok("2026-12-07 20:41:00", &["sync"]);
    assert_eq!(home.show(3)["status"], "unknown", "sent once more, and cut once more");

    // "It went": marked sent.
    let went = page.post("/drafts/3/resolve", &support_web::form(&[("csrf", &csrf), ("outcome", "sent")]));
    assert_eq!(went.status, 303, "{}", went.body);
    assert_eq!(home.show(3)["status"], "sent");
    let history = home.ok("2026-12-07 20:42:00", &["history", "1"]);
    assert!(history.contains("draft 3 (thank_you) marked sent by you  [debrief web: resolve 3 sent]"), "{history}");
    let resolved = page.get("/outcomes?done=resolved&id=3");
    assert!(resolved.body.contains("Draft 3 resolved."), "{}", resolved.body);
    assert!(section(&resolved.body, "sent").contains("href=\"/drafts/3\""), "{}", resolved.body);
    let again = page.post("/drafts/3/resolve", &support_web::form(&[("csrf", &csrf), ("outcome", "sent")]));
    assert_eq!(again.status, 409, "only an unknown draft is resolved: {}", again.body);
}

#[test]
fn a_held_message_is_dismissed_and_an_unreadable_one_shows_its_error() {
    let home = Home::with_policy("confidence_threshold = 1.0");
    home.interview(&["Dana Reyes <dana@clockwork.example>"]);
    let held = "From: Dana Reyes <dana@clockwork.example>\nTo: Casey Candidate <casey@clock.test>\n\
                Subject: Lunch menu for visitors\nDate: Mon, 07 Dec 2026 17:30:00 +0000\n\
                Message-ID: <web-dismiss-1@clockwork.example>\n\n\
                Hi Casey,\n\nThe cafeteria will have soup on Thursday if you come by again.\n\nDana\n";
    std::fs::write(home.path("maildir/new/1765128600.M3P1.clockwork"), held).unwrap();
    // More header fields than debrief reads: refused before parsing, kept as unreadable.
    let mut unreadable = String::from("From: Noise <noise@clockwork.example>\nSubject: Too many fields\n");
    for n in 0..1_100 {
        unreadable.push_str(&format!("X-Filler-{n}: x\n"));
    }
    unreadable.push_str("\nbody\n");
    std::fs::write(home.path("maildir/new/1765128600.M4P1.clockwork"), unreadable).unwrap();
    home.ok("2026-12-07 17:40:00", &["sync"]);
    let inbox = support_web::json(&home.ok(AT, &["inbox", "--json"]));
    let listed = inbox.as_array().unwrap();
    let held_id = listed.iter().find(|m| m["status"] == "needs_review").expect("held")["id"].as_i64().unwrap();
    let error = listed.iter().find(|m| m["status"] == "error").unwrap_or_else(|| panic!("{inbox}"));
    let (error_id, error_text) = (error["id"].as_i64().unwrap(), error["error"].as_str().unwrap().to_owned());
    assert!(error_text.contains("more than 1000 fields"), "{error_text}");

    let page = Page::start(&home, AT, &[]);
    let shown = page.get("/inbox");
    let article =
        shown.body.split(&format!("id=\"message-{error_id}\"")).nth(1).unwrap_or_else(|| panic!("{}", shown.body));
    let article = &article[..article.find("</article>").unwrap()];
    assert!(article.contains(&format!("Could not be read: {}", html_escape(&error_text))), "{article}");
    assert!(!article.contains("/confirm"), "an unreadable message cannot be confirmed: {article}");

    let dismissed = page.post(&format!("/inbox/{held_id}/dismiss"), &format!("csrf={}", page.csrf()));
    assert_eq!(dismissed.header("location"), Some(format!("/inbox?done=dismissed&id={held_id}").as_str()));
    let inbox = support_web::json(&home.ok(AT, &["inbox", "--json"]));
    let ids: Vec<i64> = inbox.as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [error_id], "the held message left the inbox; the unreadable one stays");
    let applications = support_web::json(&home.ok(AT, &["applications", "--json"]));
    assert_eq!(applications[0]["state"], "interviewed", "dismissing changes nothing: {applications}");
    let after = page.get(&format!("/inbox?done=dismissed&id={held_id}"));
    assert!(after.body.contains(&format!("Message {held_id} set aside.")), "{}", after.body);
    assert!(!after.body.contains("Lunch menu for visitors"), "{}", after.body);
}

/// The sentence under a draft's heading that says why it exists.
fn why(page: &Page, id: i64) -> String {
    let shown = page.get(&format!("/drafts/{id}"));
    assert_eq!(shown.status, 200, "{}", shown.body);
    let why = shown.body.split("id=\"why\">").nth(1).and_then(|rest| rest.split(" — <a").next()).unwrap_or("");
    let cause = shown.body.split("id=\"cause\">").nth(1).and_then(|rest| rest.split("</p>").next()).unwrap_or("");
    format!("{why}\n{cause}")
}

#[test]
fn every_kind_of_draft_says_why_it_exists_in_words() {
    // A thank-you for Dana, a request to pass one on to an interviewer without an address.
    let home = Home::new();
    home.interview(&["Dana Reyes <dana@clockwork.example>", "Noor Farah"]);
    let recruiter = "From: Rowan Hale <rowan.hale@clockwork.example>\nTo: Casey Candidate <casey@clock.test>\n\
                     Subject: Your Data Engineer interview today\nDate: Mon, 07 Dec 2026 16:30:00 +0000\n\
                     Message-ID: <web-why-1@clockwork.example>\n\n\
                     Hi Casey,\n\nThank you for interviewing with us today for the Data Engineer role.\n\
                     We will be in touch within a week with an update.\n\n\
                     Rowan Hale\nTalent Partner, Clockwork Analytics\n";
    std::fs::write(home.path("maildir/new/1765125000.M1P1.clockwork"), recruiter).unwrap();
    home.ok("2026-12-07 17:40:00", &["sync"]);
    let queue = support_web::json(&home.ok(AT, &["queue", "--json"]));
    let id_of = |kind: &str| {
        queue.as_array().unwrap().iter().find(|d| d["kind"] == kind).unwrap_or_else(|| panic!("{queue:#}"))["id"]
            .as_i64()
            .unwrap()
    };
    let page = Page::start(&home, AT, &[]);
    let thank_you = why(&page, 1);
    assert!(
        thank_you.starts_with("A thank-you note after your interview (round 1, which ended Mon 2026-12-07 16:00 UTC)"),
        "{thank_you}"
    );
    // Noor's own note waits for an address: the page says it cannot go as it is.
    let unaddressed = queue.as_array().unwrap().iter().find(|d| d["kind"] == "thank_you" && d["to"] == "").unwrap();
    let shown = page.get(&format!("/drafts/{}", unaddressed["id"]));
    assert!(
        shown.body.contains(&format!("It cannot be sent as it is: draft {} has no recipient.", unaddressed["id"])),
        "{}",
        shown.body
    );
    let pass_on = why(&page, id_of("pass_on"));
    assert!(pass_on.starts_with("A request to pass your thank-you on to Noor Farah"), "{pass_on}");
    assert!(pass_on.contains("debrief has no address for them"), "{pass_on}");
    drop(page);

    // A follow-up, after the user rejected the thank-you and asked to follow up anyway.
    let home = Home::interviewed();
    home.ok(AT, &["reject", "1"]);
    home.ok(AT, &["mark", "1", "following_up"]);
    home.ok("2026-12-14 12:00:00", &["sync"]);
    let queue = support_web::json(&home.ok("2026-12-14 12:00:00", &["queue", "--json"]));
    let follow_up = queue.as_array().unwrap().iter().find(|d| d["kind"] == "follow_up").expect("a follow-up");
    let page = Page::start(&home, "2026-12-14 12:00:00", &[]);
    let text = why(&page, follow_up["id"].as_i64().unwrap());
    assert!(
        text.starts_with(
            "Follow-up 1: no answer came since your interview; your policy follows up after 7d without one"
        ),
        "{text}"
    );
    drop(page);

    // A heads-up to a reference when an offer arrives.
    let home = Home::interviewed();
    home.append_config("[[references]]\nname = \"Pat Quinn\"\nemail = \"pat.quinn@example.org\"\n");
    home.ok(AT, &["mark", "1", "offer"]);
    let queue = support_web::json(&home.ok(AT, &["queue", "--json"]));
    let notice = queue.as_array().unwrap().iter().find(|d| d["kind"] == "reference_notice").expect("a heads-up");
    let page = Page::start(&home, AT, &[]);
    let text = why(&page, notice["id"].as_i64().unwrap());
    assert!(
        text.starts_with("A heads-up to Pat Quinn &lt;pat.quinn@example.org&gt;, one of your references"),
        "{text}"
    );
    assert!(text.contains(": an offer arrived"), "{text}");
    assert!(text.ends_with("\nDrafted because of: debrief mark 1 offer."), "the history's cause: {text}");
    for internal in ["pass_on", "reference_notice", "follow_up"] {
        assert!(!text.contains(internal) && !pass_on.contains(internal), "no internal name: {internal}");
    }
}

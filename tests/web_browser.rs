//! The approval page in a real browser (issue 13): Debian's Chromium, headless, driven
//! through chromedriver (installed by scripts/test.sh), against the real binary and a
//! real SQLite file. A person opens the printed address, approves a draft with the
//! keyboard (no shortcut firing while they type in a field), moves with `j`/`k`, opens
//! the help with `?`, undoes the approval inside the hold, edits another and sees the
//! difference, and confirms a message held for review; each result is checked in the
//! database and with `debrief queue --json` / `inbox --json`.
//!
//! One driver and one browser for the binary, one test. With `DEBRIEF_SCREENSHOTS=DIR`
//! it saves the queue and the pipeline as PNG files there (the README's are in docs/).

#[path = "support/web.rs"]
mod support_web;

use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt as _;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support_web::{Home, Page, json};

const AT: &str = "2026-12-07 18:00:00";
const WAIT: Duration = Duration::from_secs(20);

/// chromedriver on a free loopback port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        assert!(
            std::path::Path::new("/usr/bin/chromedriver").exists(),
            "this test needs Chromium and its driver: run scripts/test.sh (apt-get install chromium chromium-driver)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen within {WAIT:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=820,1100", format!("--user-data-dir={}", profile.display())]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session")
}

/// Types `key` as a person would, wherever the focus is.
async fn press(client: &Client, key: char) {
    let keys =
        KeyActions::new("keyboard".into()).then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
    client.perform_actions(keys).await.unwrap();
}

/// Waits (with a deadline) until the browser is at `path` (after a form's redirect).
async fn arrive(client: &Client, path: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let url = client.current_url().await.unwrap();
        let at = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        if at == path {
            return;
        }
        if Instant::now() >= deadline {
            let source = client.source().await.unwrap_or_default();
            panic!("never reached {path}: still at {at}, showing {source}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn screenshot(client: &Client, name: &str) {
    if let Some(dir) = std::env::var_os("DEBRIEF_SCREENSHOTS") {
        let png = client.screenshot().await.unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(name), png).unwrap();
    }
}

#[test]
fn a_person_approves_undoes_edits_and_confirms_in_the_browser() {
    // Every message is held for review at this threshold.
    let home = Home::with_policy("confidence_threshold = 1.0");
    home.interview(&["Dana Reyes <dana@clockwork.example>", "Lee Park <lee@clockwork.example>"]);
    let message = "From: Dana Reyes <dana@clockwork.example>\nTo: Casey Candidate <casey@clock.test>\n\
                   Subject: Data Engineer role\nDate: Mon, 07 Dec 2026 17:30:00 +0000\n\
                   Message-ID: <web-browser-1@clockwork.example>\n\n\
                   Hi Casey,\n\nThank you for your time. We have decided to move forward with other \
                   candidates for this role.\n\nDana\n";
    std::fs::write(home.path("maildir/new/1765128600.M1P1.clockwork"), message).unwrap();
    home.ok("2026-12-07 17:40:00", &["sync"]);
    let page = Page::start(&home, AT, &[]);
    let driver = Driver::start();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();

    runtime.block_on(async {
        let profile = tempfile::tempdir().unwrap();
        let client = browser(&driver, profile.path()).await;
        // The browser is closed even when a step fails: killing chromedriver alone would
        // leave Chromium running.
        let steps = std::panic::AssertUnwindSafe(steps(&client, &home, &page)).catch_unwind().await;
        let _ = client.close().await;
        if let Err(panic) = steps {
            std::panic::resume_unwind(panic);
        }
    });
}

async fn steps(client: &Client, home: &Home, page: &Page) {
    {
        // The printed address: the token becomes a cookie and the queue comes up.
        client.goto(&format!("{}/?token={}", page.base(), page.token)).await.unwrap();
        arrive(client, "/queue").await;
        let heading = client.find(Locator::Css("#draft h1")).await.unwrap().text().await.unwrap();
        assert!(heading.starts_with("Draft 1"), "{heading}");
        screenshot(client, "web-queue.png").await;

        // Typing in a text field on a page where every shortcut has a target (approve,
        // reject, a next draft): `a`, `x` and `j` are text there, not actions. The queue
        // has no field of its own, so one is added, as a person's extension or a later
        // field would be.
        let focused = client
            .execute(
                "const field = document.createElement('textarea'); field.id = 'scratch';\
                 document.getElementById('draft').appendChild(field); field.focus();\
                 return document.activeElement === field && !!document.getElementById('approve-form')\
                 && !!document.getElementById('reject-form') && !!document.getElementById('next');",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(focused, serde_json::json!(true), "a focused field, with every shortcut's target on the page");
        for key in ['a', 'x', 'j'] {
            press(client, key).await;
        }
        // chromedriver waits for a navigation a shortcut would have started before it runs
        // the next script: had one fired, this page and its field would be gone.
        let typed = client
            .execute("const field = document.getElementById('scratch'); return field && field.value;", vec![])
            .await
            .unwrap();
        assert_eq!(typed, serde_json::json!("axj"), "the keys went into the field");
        arrive(client, "/queue").await;
        assert_eq!(home.draft_row(1).status, "pending", "no shortcut fired while typing");
        let queue = json(&home.ok(AT, &["queue", "--json"]));
        assert_eq!((queue[0]["status"].as_str(), queue[1]["status"].as_str()), (Some("pending"), Some("pending")));

        // Out of the field, `?` shows the keyboard's help and hides it; `j` and `k` move.
        client.execute("document.activeElement.blur();", vec![]).await.unwrap();
        let help = client.find(Locator::Id("help")).await.unwrap();
        assert!(!help.is_displayed().await.unwrap(), "the help starts hidden");
        press(client, '?').await;
        assert!(help.is_displayed().await.unwrap(), "`?` shows the help");
        press(client, '?').await;
        assert!(!help.is_displayed().await.unwrap(), "`?` again hides it");
        press(client, 'j').await;
        arrive(client, "/drafts/2").await;
        press(client, 'k').await;
        arrive(client, "/drafts/1").await;
        let heading = client.find(Locator::Css("#draft h1")).await.unwrap().text().await.unwrap();
        assert!(heading.starts_with("Draft 1"), "{heading}");

        // `a` approves; the next draft comes up, with the held one's undo.
        press(client, 'a').await;
        arrive(client, "/queue?after=1&done=approved").await;
        let row = home.draft_row(1);
        assert_eq!((row.status.as_str(), row.hold_until.as_deref()), ("approved", Some("2026-12-07T18:01:00Z")));
        let queue = json(&home.ok("2026-12-07 18:00:30", &["queue", "--json"]));
        assert_eq!(queue[0]["hold_until"], "2026-12-07T18:01:00Z", "{queue}");
        let next = client.find(Locator::Css("#draft h1")).await.unwrap().text().await.unwrap();
        assert!(next.starts_with("Draft 2"), "after an action the next draft: {next}");

        // Undo inside the hold.
        client.find(Locator::Id("undo-recent")).await.unwrap().click().await.unwrap();
        arrive(client, "/drafts/1?done=undone").await;
        let row = home.draft_row(1);
        assert_eq!((row.status.as_str(), row.hold_until), ("pending", None));
        let queue = json(&home.ok("2026-12-07 18:00:30", &["queue", "--json"]));
        assert_eq!(queue[0]["status"], "pending", "{queue}");
        assert_eq!(queue[0].get("hold_until"), None, "no hold left after the undo: {queue}");

        // `e` on draft 2; typing `a`, `x` or `j` in the text is text, not a shortcut.
        client.goto(&format!("{}/drafts/2", page.base())).await.unwrap();
        press(client, 'e').await;
        arrive(client, "/drafts/2/edit").await;
        let body = client.find(Locator::Id("body-text")).await.unwrap();
        body.clear().await.unwrap();
        body.send_keys("Hi Lee,\n\nThanks for the pairing exercise; I enjoyed the axe-and-jar question.\n\nCasey")
            .await
            .unwrap();
        client.find(Locator::Id("save")).await.unwrap().click().await.unwrap();
        arrive(client, "/drafts/2?done=edited").await;
        let diff = client.find(Locator::Id("diff")).await.unwrap().text().await.unwrap();
        assert!(diff.contains("+ Thanks for the pairing exercise; I enjoyed the axe-and-jar question."), "{diff}");
        assert!(diff.lines().any(|line| line.starts_with("- ")), "the generated lines removed: {diff}");
        let edited = home.show(2);
        assert_eq!(edited["status"], "pending", "{edited}");
        assert!(edited["body"].as_str().unwrap().contains("axe-and-jar"), "{edited}");
        assert_eq!(home.show(1)["status"], "pending", "no shortcut fired while typing");
        let queue = json(&home.ok(AT, &["queue", "--json"]));
        assert_eq!((queue[1]["id"].as_i64(), queue[1]["status"].as_str()), (Some(2), Some("pending")), "{queue}");
        assert_eq!(queue[1]["to"], "lee@clockwork.example", "{queue}");

        client.goto(&format!("{}/pipeline", page.base())).await.unwrap();
        client.find(Locator::Id("state-interviewed")).await.unwrap();
        screenshot(client, "web-pipeline.png").await;

        // Confirm the held message as a rejection of application 1.
        client.goto(&format!("{}/inbox", page.base())).await.unwrap();
        let held = json(&home.ok(AT, &["inbox", "--json"]));
        let id = held[0]["id"].as_i64().unwrap();
        client.find(Locator::Css("select[name=kind]")).await.unwrap().select_by_value("rejection").await.unwrap();
        client.find(Locator::Css("select[name=application]")).await.unwrap().select_by_value("1").await.unwrap();
        client.find(Locator::Id(&format!("confirm-{id}"))).await.unwrap().click().await.unwrap();
        arrive(client, &format!("/inbox?done=confirmed&id={id}")).await;
        assert_eq!(json(&home.ok(AT, &["inbox", "--json"])), serde_json::json!([]));
        let applications = json(&home.ok(AT, &["applications", "--json"]));
        assert_eq!(applications[0]["state"], "rejected", "{applications}");

        client.goto(&format!("{}/pipeline", page.base())).await.unwrap();
        client.find(Locator::Id("state-rejected")).await.unwrap();
    }
}

//! The outbox against the real rig (Dovecot + aiosmtpd on loopback, started once for this
//! test binary): approved drafts arrive in the recipients' mailboxes with their headers, a
//! copy is filed in Sent, and the invariants of SPEC §6 hold — nothing leaves without an
//! approval (1), nothing leaves twice (2), no follow-up after a reply (3), and secrets stay
//! out of errors, logs and the database.
//!
//! Each test uses its own addresses; the outage test takes the rig for itself.

#[path = "support/rig.rs"]
mod rig;

use debrief::domain::{ApplicationId, ApplicationState, DraftId, DraftKind, DraftStatus};
use debrief::mail::imap::ImapSession;
use debrief::mail::smtp::SmtpSender;
use debrief::outbox::{Outbox, OutboxReport, build_message};
use debrief::store::{self, DraftRow, NewDraft, Store};
use jiff::Timestamp;
use rig::{Rig, RigConfig};
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// The instant the tests send at; drafts are due at or before it.
const NOW: &str = "2026-12-01T17:00:00Z";

struct Desk {
    config: RigConfig,
    store: Store,
    application: ApplicationId,
}

impl Desk {
    /// A config for `address` on the rig, its database, and one application.
    fn new(rig: &Rig, address: &str) -> Desk {
        Desk::with_config(rig.config_for(address).build())
    }

    fn with_config(config: RigConfig) -> Desk {
        let mut store = Store::open(&config.config.storage_path).unwrap();
        let tx = store.transaction().unwrap();
        let application = store::insert_application(
            &tx,
            "Acme",
            "Engineer",
            Some("acme.example"),
            ApplicationState::Interviewed,
            ts("2026-12-01T09:00:00Z"),
        )
        .unwrap();
        tx.commit().unwrap();
        Desk { config, store, application }
    }

    async fn recover(&mut self, imap: &mut ImapSession, now: Timestamp) -> debrief::outbox::RecoverReport {
        let config = self.config.config.clone();
        Outbox { config: &config }.recover(&mut self.store, Some(imap), now).await.unwrap()
    }

    /// One pass through another SMTP sender (e.g. one pointed at a closed port).
    async fn send_via(&mut self, smtp: &SmtpSender, now: Timestamp) -> OutboxReport {
        let config = self.config.config.clone();
        let outbox = Outbox { config: &config };
        outbox.send_due(&mut self.store, smtp, None, async |_: &mut Store| Ok(()), now).await.unwrap()
    }

    /// A draft to `to`, approved (or not) at 16:00, due at 16:30.
    fn draft(&mut self, kind: DraftKind, to: &[&str], approve: bool) -> DraftRow {
        static NEXT: AtomicUsize = AtomicUsize::new(1);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let new = NewDraft {
            application_id: self.application,
            kind,
            round_id: None,
            person_id: None,
            series: 0,
            number: 0,
            reply_to_message: None,
            to: to.iter().map(|address| address.to_string()).collect(),
            subject: "Re: Interview on Tuesday".into(),
            body: "Hi,\n\nThank you for your time today.\n.A line with a dot.\n\nRig Tester\n".into(),
            message_id: format!("outbox-test.{n}.{:x}@rig.test", fastrand::u64(..)),
            in_reply_to: Some(format!("parent-{n}@acme.example")),
            references: vec![format!("root-{n}@acme.example"), format!("parent-{n}@acme.example")],
            send_at: ts("2026-12-01T16:30:00Z"),
            deadline: None,
            needs_topic: false,
        };
        let tx = self.store.transaction().unwrap();
        let id = store::insert_draft(&tx, &new, ts("2026-12-01T15:00:00Z")).unwrap();
        if approve {
            store::approve_draft(&tx, id, DraftStatus::Pending, ts("2026-12-01T16:00:00Z")).unwrap();
        }
        tx.commit().unwrap();
        self.get(id)
    }

    fn get(&self, id: DraftId) -> DraftRow {
        store::get_draft(self.store.conn(), id).unwrap().unwrap()
    }

    fn execute(&self, sql: &str, id: DraftId) {
        self.store.conn().execute(sql, [id.0]).unwrap();
    }

    async fn smtp(&self) -> SmtpSender {
        SmtpSender::connect(self.config.smtp()).await.unwrap()
    }

    async fn imap(&self) -> ImapSession {
        ImapSession::connect(self.config.imap()).await.unwrap()
    }

    /// One pass of the outbox at `now`, with an inbox refresh that finds nothing.
    async fn send(&mut self, imap: Option<&mut ImapSession>, now: Timestamp) -> OutboxReport {
        let smtp = self.smtp().await;
        let config = self.config.config.clone();
        let outbox = Outbox { config: &config };
        outbox.send_due(&mut self.store, &smtp, imap, async |_: &mut Store| Ok(()), now).await.unwrap()
    }
}

/// How many messages the SMTP server accepted with this Message-ID.
fn accepted(rig: &Rig, message_id: &str) -> usize {
    let wanted = format!("<{message_id}>");
    rig.smtp_log().iter().filter(|entry| entry.message_id.as_deref() == Some(wanted.as_str())).count()
}

fn header_block(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw).into_owned();
    text.split_once("\r\n\r\n").map(|(head, _)| head.to_owned()).unwrap_or(text)
}

#[tokio::test]
async fn an_approved_due_draft_reaches_every_recipient_with_its_headers_and_a_copy_goes_to_sent() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let sender = "outbox-sender@rig.test";
    let (jane, bob) = ("jane-outbox@acme.example", "bob-outbox@globex.example");
    let mut desk = Desk::new(rig, sender);
    let draft = desk.draft(DraftKind::ThankYou, &[jane, bob], true);
    let mut imap = desk.imap().await;
    let outbox = Outbox { config: &desk.config.config };
    assert_eq!(outbox.next_due(desk.store.conn(), ts("2026-12-01T16:00:00Z")).unwrap(), Some(draft.send_at));

    let report = desk.send(Some(&mut imap), ts(NOW)).await;
    assert_eq!(report.sent, vec![draft.id], "{report:?}");
    assert!(report.copy_errors.is_empty(), "{report:?}");

    for recipient in [jane, bob] {
        let inbox = rig.mailbox_messages(recipient, "INBOX");
        assert_eq!(inbox.len(), 1, "{recipient} gets it once");
        let head = header_block(&inbox[0]);
        for expected in [
            format!("Message-ID: <{}>", draft.message_id),
            format!("In-Reply-To: <{}>", draft.in_reply_to.as_deref().unwrap()),
            format!("References: <{}> <{}>", draft.references[0], draft.references[1]),
            "Date: Tue, 01 Dec 2026 17:00:00 +0000".to_owned(),
            format!("From: \"Rig Tester\" <{sender}>"),
            format!("To: {jane}, {bob}"),
            "Subject: Re: Interview on Tuesday".to_owned(),
            "Content-Type: text/plain; charset=utf-8".to_owned(),
        ] {
            assert!(head.contains(&expected), "{expected:?} missing in {recipient}'s copy:\n{head}");
        }
        assert!(!head.to_ascii_lowercase().contains("\nbcc:"), "{head}");
    }
    let sent = rig.mailbox_messages(sender, "Sent");
    assert_eq!(sent, vec![build_message(&desk.config.config, &draft, ts(NOW)).unwrap()], "Sent has the exact copy");

    let after = desk.get(draft.id);
    assert_eq!((after.status, after.sent_at, after.attempts), (DraftStatus::Sent, Some(ts(NOW)), 1));
    let outgoing = store::messages_of(desk.store.conn(), desk.application).unwrap();
    assert_eq!(outgoing.len(), 1);
    assert_eq!((outgoing[0].direction.as_str(), outgoing[0].message_id.as_deref()), ("out", Some(&*draft.message_id)));
    assert_eq!(
        store::application_of_thread(desk.store.conn(), std::slice::from_ref(&draft.message_id)).unwrap(),
        Some(desk.application),
        "a reply to it is threaded to its application"
    );

    // A second pass sends nothing again, and nothing is due any more.
    let report = desk.send(Some(&mut imap), ts("2026-12-01T18:00:00Z")).await;
    assert_eq!(report, OutboxReport::default());
    assert_eq!(accepted(rig, &draft.message_id), 1);
    assert_eq!(Outbox { config: &desk.config.config }.next_due(desk.store.conn(), ts(NOW)).unwrap(), None);
    imap.logout().await;
}

#[tokio::test]
async fn pending_rejected_readdressed_and_not_yet_due_drafts_never_leave() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let to = "never-outbox@acme.example";
    let mut desk = Desk::new(rig, "never-sender@rig.test");
    let pending = desk.draft(DraftKind::ThankYou, &[to], false);
    let rejected = desk.draft(DraftKind::ThankYou, &[to], true);
    desk.execute("UPDATE drafts SET status = 'rejected' WHERE id = ?1", rejected.id);
    // Approved with no approval recorded (written by something other than `approve`).
    let unrecorded = desk.draft(DraftKind::ThankYou, &[to], false);
    desk.execute("UPDATE drafts SET status = 'approved' WHERE id = ?1", unrecorded.id);
    // Approved, then its recipients changed behind the approval's back.
    let readdressed = desk.draft(DraftKind::ThankYou, &[to], true);
    desk.execute("UPDATE drafts SET to_emails = 'other-outbox@acme.example' WHERE id = ?1", readdressed.id);
    let later = desk.draft(DraftKind::ThankYou, &[to], true);
    desk.execute("UPDATE drafts SET send_at = '2026-12-02T09:00:00Z' WHERE id = ?1", later.id);

    let report = desk.send(None, ts(NOW)).await;
    assert!(report.sent.is_empty() && report.failed.is_empty(), "{report:?}");
    assert_eq!(report.held, vec![readdressed.id], "only the readdressed one was listed, and held at its claim");
    for draft in [&pending, &rejected, &unrecorded, &readdressed, &later] {
        assert_eq!(accepted(rig, &draft.message_id), 0, "draft {} must not leave", draft.id);
    }
    assert!(rig.mailbox_messages(to, "INBOX").is_empty());
    assert!(rig.mailbox_messages("other-outbox@acme.example", "INBOX").is_empty());
    let readdressed = desk.get(readdressed.id);
    assert_eq!(readdressed.status, DraftStatus::Pending, "changed recipients need a new approval");
    assert_eq!(readdressed.approved_at, None);
    assert_eq!(desk.get(later.id).status, DraftStatus::Approved);
    let outbox = Outbox { config: &desk.config.config };
    assert_eq!(outbox.next_due(desk.store.conn(), ts(NOW)).unwrap(), Some(ts("2026-12-02T09:00:00Z")));
}

#[tokio::test]
async fn a_draft_left_sending_by_a_crash_is_unknown_never_resent_and_sent_once_found_in_sent() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let sender = "crash-sender@rig.test";
    let to = "crash-outbox@acme.example";
    let mut desk = Desk::new(rig, sender);
    let draft = desk.draft(DraftKind::ThankYou, &[to], true);
    // The crash: marked sending (committed), then the process died before or during SMTP.
    desk.execute("UPDATE drafts SET status = 'sending', attempts = 1 WHERE id = ?1", draft.id);
    let mut imap = desk.imap().await;

    let report = desk.recover(&mut imap, ts(NOW)).await;
    assert_eq!((report.interrupted.clone(), report.still_unknown.clone()), (vec![draft.id], vec![draft.id]));
    assert!(report.found_sent.is_empty() && report.lookup_error.is_none(), "{report:?}");
    let unknown = desk.get(draft.id);
    assert_eq!(unknown.status, DraftStatus::Unknown);
    assert!(unknown.last_error.unwrap().contains(&format!("debrief resolve {} sent", draft.id)));

    // Never resent automatically, however often the outbox runs.
    for at in [NOW, "2026-12-02T17:00:00Z", "2026-12-09T17:00:00Z"] {
        let report = desk.send(Some(&mut imap), ts(at)).await;
        assert_eq!(report, OutboxReport::default());
    }
    assert_eq!(accepted(rig, &draft.message_id), 0);
    assert!(rig.mailbox_messages(to, "INBOX").is_empty());

    // It did go out after all (say, the provider filed it): once its Message-ID is in Sent
    // the next recovery settles it as sent, and recovery is idempotent.
    let raw = build_message(&desk.config.config, &draft, ts(NOW)).unwrap();
    imap.append("Sent", &raw, &["\\Seen"]).await.unwrap();
    let report = desk.recover(&mut imap, ts("2026-12-01T17:05:00Z")).await;
    assert_eq!(report.found_sent, vec![draft.id], "{report:?}");
    assert!(report.interrupted.is_empty() && report.still_unknown.is_empty());
    let sent = desk.get(draft.id);
    assert_eq!(sent.status, DraftStatus::Sent);
    assert!(sent.status_reason.unwrap().contains("found in Sent"));
    let again = desk.recover(&mut imap, ts("2026-12-01T17:06:00Z")).await;
    assert_eq!(again, Default::default());
    assert_eq!(accepted(rig, &draft.message_id), 0, "recovery never sends");
    imap.logout().await;
}

#[tokio::test]
async fn a_connection_lost_after_the_final_dot_is_unknown_and_not_resent() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let to = "drop-after-dot-outbox@acme.example";
    let mut desk = Desk::new(rig, "dropped-sender@rig.test");
    let draft = desk.draft(DraftKind::ThankYou, &[to], true);

    let report = desk.send(None, ts(NOW)).await;
    assert_eq!(report.unknown, vec![draft.id], "{report:?}");
    let unknown = desk.get(draft.id);
    assert_eq!(unknown.status, DraftStatus::Unknown);
    assert!(unknown.last_error.as_deref().unwrap().contains("may have been delivered"), "{unknown:?}");
    assert_eq!(rig.mailbox_messages(to, "INBOX").len(), 1, "the server had delivered it");

    let report = desk.send(None, ts("2026-12-02T17:00:00Z")).await;
    assert_eq!(report, OutboxReport::default());
    assert_eq!(accepted(rig, &draft.message_id), 1, "sent once, never again");
    assert_eq!(rig.mailbox_messages(to, "INBOX").len(), 1);

    // The user checks with the recipient and settles it: `debrief resolve ID sent`.
    let config_path = desk.config.path.clone();
    let resolve = |id: DraftId, outcome: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_debrief"))
            .args(["resolve", &id.to_string(), outcome])
            .env("DEBRIEF_CONFIG", &config_path)
            .output()
            .unwrap()
    };
    let output = resolve(draft.id, "sent");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(desk.get(draft.id).status, DraftStatus::Sent);
    let outgoing = store::messages_of(desk.store.conn(), desk.application).unwrap();
    assert_eq!(outgoing.iter().filter(|m| m.direction == "out").count(), 1, "recorded for threading");
    let output = resolve(draft.id, "retry");
    assert_eq!(output.status.code(), Some(2), "only unknown drafts are resolved");

    // `retry` approves it again: the next pass sends it (to a recipient that answers).
    let retried = desk.draft(DraftKind::ThankYou, &["retried-outbox@acme.example"], true);
    desk.execute("UPDATE drafts SET status = 'unknown' WHERE id = ?1", retried.id);
    assert_eq!(desk.send(None, ts(NOW)).await, OutboxReport::default());
    assert!(resolve(retried.id, "retry").status.success());
    assert_eq!(desk.get(retried.id).status, DraftStatus::Approved);
    let report = desk.send(None, ts("2026-12-02T17:00:00Z")).await;
    assert_eq!(report.sent, vec![retried.id], "{report:?}");
    assert_eq!(accepted(rig, &retried.message_id), 1);
}

#[tokio::test]
async fn a_refused_recipient_fails_with_the_servers_words_shown_by_queue_and_show() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let mut desk = Desk::new(rig, "refused-sender@rig.test");
    let draft = desk.draft(DraftKind::ThankYou, &["hr@nowhere.invalid"], true);

    let report = desk.send(None, ts(NOW)).await;
    assert_eq!(report.failed, vec![draft.id], "{report:?}");
    let failed = desk.get(draft.id);
    assert_eq!(failed.status, DraftStatus::Failed);
    let error = failed.last_error.unwrap();
    assert!(error.contains("550") && error.contains("Recipient address rejected"), "{error}");
    // A failed draft is not retried by itself.
    assert_eq!(desk.send(None, ts("2026-12-02T17:00:00Z")).await, OutboxReport::default());

    for command in ["queue", "show"] {
        let mut args = vec![command.to_owned()];
        if command == "show" {
            args.push(draft.id.to_string());
        }
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_debrief"))
            .args(&args)
            .env("DEBRIEF_CONFIG", &desk.config.path)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(stdout.contains("failed") && stdout.contains("Recipient address rejected"), "{command}: {stdout}");
    }
}

#[tokio::test]
async fn a_server_outage_defers_with_backoff_and_the_draft_goes_once_when_it_is_back() {
    let rig = Rig::start();
    let _turn = rig.exclusive().await;
    let to = "outage-outbox@acme.example";
    let mut desk = Desk::new(rig, "outage-sender@rig.test");
    let draft = desk.draft(DraftKind::ThankYou, &[to], true);

    rig.stop_dovecot();
    // SMTP answers 451 while it cannot deliver: transient, back to approved, later.
    let report = desk.send(None, ts(NOW)).await;
    rig.start_dovecot();
    assert_eq!(report.deferred, vec![draft.id], "{report:?}");
    let deferred = desk.get(draft.id);
    assert_eq!((deferred.status, deferred.attempts), (DraftStatus::Approved, 1));
    assert!(deferred.last_error.as_deref().unwrap().contains("451"), "{deferred:?}");
    let wait = deferred.send_at.duration_since(ts(NOW)).as_secs();
    assert!((48..=72).contains(&wait), "the first retry comes after about a minute, jittered: {wait} s");
    // Not before its time.
    assert_eq!(desk.send(None, ts(NOW)).await, OutboxReport::default());

    // An SMTP server that cannot be reached is transient too, and backs off further.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut unreachable = rig.config_for("outage-sender@rig.test").smtp_port(closed).build();
    unreachable.config.storage_path = desk.config.config.storage_path.clone();
    let smtp = SmtpSender::connect(unreachable.smtp()).await.unwrap();
    let report = desk.send_via(&smtp, deferred.send_at).await;
    assert_eq!(report.deferred, vec![draft.id], "{report:?}");
    let again = desk.get(draft.id);
    assert_eq!(again.attempts, 2);
    let wait = again.send_at.duration_since(deferred.send_at).as_secs();
    assert!((96..=144).contains(&wait), "the second retry waits about two minutes: {wait} s");

    // Back: it goes, once, with a copy in Sent.
    let mut imap = desk.imap().await;
    let report = desk.send(Some(&mut imap), again.send_at).await;
    assert_eq!(report.sent, vec![draft.id], "{report:?}");
    assert_eq!(desk.get(draft.id).status, DraftStatus::Sent);
    assert_eq!(rig.mailbox_messages(to, "INBOX").len(), 1);
    assert_eq!(accepted(rig, &draft.message_id), 1);
    assert_eq!(rig.mailbox_messages("outage-sender@rig.test", "Sent").len(), 1);
    imap.logout().await;
}

/// Issue 9: a draft that failed after its retries and is approved again with `debrief
/// approve` gets a new retry budget: one more transient failure defers it, as the first
/// did, instead of failing it at once; when the server is back it goes, once.
#[tokio::test]
async fn a_draft_approved_again_after_giving_up_gets_a_new_retry_budget() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let to = "budget-outbox@acme.example";
    let mut desk = Desk::new(rig, "budget-sender@rig.test");
    // The recipient is the application's contact, so `debrief approve` accepts it.
    let person = store::upsert_person(desk.store.conn(), Some("Budget"), Some(to), ts(NOW)).unwrap();
    store::set_contact(desk.store.conn(), desk.application, person, ts(NOW)).unwrap();
    let draft = desk.draft(DraftKind::ThankYou, &[to], true);
    // Seven transient failures are behind it; the eighth gives up.
    desk.execute("UPDATE drafts SET attempts = 7 WHERE id = ?1", draft.id);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut unreachable = rig.config_for("budget-sender@rig.test").smtp_port(closed).build();
    unreachable.config.storage_path = desk.config.config.storage_path.clone();
    let down = SmtpSender::connect(unreachable.smtp()).await.unwrap();
    let report = desk.send_via(&down, ts(NOW)).await;
    assert_eq!(report.failed, vec![draft.id], "{report:?}");
    assert!(desk.get(draft.id).last_error.unwrap().contains("gave up after 8 attempts"));

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_debrief"))
        .args(["approve", &draft.id.to_string()])
        .env("DEBRIEF_CONFIG", &desk.config.path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let approved = desk.get(draft.id);
    assert_eq!((approved.status, approved.attempts, approved.last_error), (DraftStatus::Approved, 0, None));

    // One more failure: deferred about a minute, as a first failure is.
    let report = desk.send_via(&down, ts(NOW)).await;
    assert_eq!(report.deferred, vec![draft.id], "a new budget, not failed at once: {report:?}");
    let deferred = desk.get(draft.id);
    assert_eq!((deferred.status, deferred.attempts), (DraftStatus::Approved, 1));
    let report = desk.send(None, deferred.send_at).await;
    assert_eq!(report.sent, vec![draft.id], "{report:?}");
    assert_eq!(accepted(rig, &draft.message_id), 1);
}

#[tokio::test]
async fn drafts_only_files_the_message_in_drafts_and_sends_nothing() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let sender = "drafts-only-sender@rig.test";
    let to = "drafts-only-outbox@acme.example";
    let mut config = rig.config_for(sender).build();
    config.config.smtp.as_mut().unwrap().drafts_only = true;
    let mut desk = Desk::with_config(config);
    let draft = desk.draft(DraftKind::ThankYou, &[to], true);
    let mut imap = desk.imap().await;

    let report = desk.send(Some(&mut imap), ts(NOW)).await;
    assert_eq!(report.filed_in_drafts, vec![draft.id], "{report:?}");
    assert!(report.sent.is_empty());
    assert_eq!(accepted(rig, &draft.message_id), 0, "nothing went over SMTP");
    assert!(rig.mailbox_messages(to, "INBOX").is_empty());
    assert!(rig.mailbox_messages(sender, "Sent").is_empty());
    let filed = rig.mailbox_messages(sender, "Drafts");
    assert_eq!(filed, vec![build_message(&desk.config.config, &draft, ts(NOW)).unwrap()]);
    let after = desk.get(draft.id);
    assert_eq!(after.status, DraftStatus::Sent);
    assert!(after.status_reason.unwrap().contains("filed in Drafts"), "the reason says it was not sent");
    imap.logout().await;
}

#[tokio::test]
async fn a_reply_read_right_before_a_follow_up_cancels_it() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let to = "replied-outbox@acme.example";
    let mut desk = Desk::new(rig, "replied-sender@rig.test");
    let thank_you = desk.draft(DraftKind::ThankYou, &[to], true);
    let follow_up = desk.draft(DraftKind::FollowUp, &[to], true);
    let smtp = desk.smtp().await;
    let refreshed = Mutex::new(Vec::new());
    let config = desk.config.config.clone();
    let outbox = Outbox { config: &config };
    // The refresh reads the employer's reply, which cancels the follow-up (as the planner
    // does when a human answers), and commits.
    let refresh = async |store: &mut Store| -> anyhow::Result<()> {
        refreshed.lock().unwrap().push(store::get_draft(store.conn(), follow_up.id)?.unwrap().status);
        let tx = store.transaction()?;
        store::set_draft_status(
            &tx,
            follow_up.id,
            DraftStatus::Approved,
            DraftStatus::Cancelled,
            Some("they replied"),
            ts(NOW),
        )?;
        tx.commit()?;
        Ok(())
    };
    let report = outbox.send_due(&mut desk.store, &smtp, None, refresh, ts(NOW)).await.unwrap();
    assert_eq!(report.sent, vec![thank_you.id], "{report:?}");
    assert_eq!(report.held, vec![follow_up.id]);
    assert_eq!(*refreshed.lock().unwrap(), vec![DraftStatus::Approved], "read once, right before the follow-up only");
    assert_eq!(desk.get(follow_up.id).status, DraftStatus::Cancelled);
    assert_eq!(accepted(rig, &follow_up.message_id), 0);
    assert_eq!(accepted(rig, &thank_you.message_id), 1);

    // An inbox that cannot be read holds the follow-up back for a while: never sent blind.
    let blind = desk.draft(DraftKind::FollowUp, &[to], true);
    let failing = async |_: &mut Store| -> anyhow::Result<()> { anyhow::bail!("IMAP is down") };
    let report = outbox.send_due(&mut desk.store, &smtp, None, failing, ts(NOW)).await.unwrap();
    assert_eq!(report.held, vec![blind.id], "{report:?}");
    let held = desk.get(blind.id);
    assert_eq!(held.status, DraftStatus::Approved);
    assert!(held.send_at > ts(NOW) && held.last_error.unwrap().contains("IMAP is down"));
    assert_eq!(accepted(rig, &blind.message_id), 0);
}

/// Everything debrief logs, for the secrets test.
static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn passwords_never_reach_errors_logs_or_the_database() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn,debrief=trace"))
        .with_writer(|| LogWriter)
        .try_init();
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let sender = "secret-sender@rig.test";
    let good = rig.password(sender);
    let wrong = "Wr0ng-Sentinel-Passw0rd";
    let mut desk = Desk::new(rig, sender);
    let sent = desk.draft(DraftKind::ThankYou, &["secret-outbox@acme.example"], true);
    let mut imap = desk.imap().await;
    assert_eq!(desk.send(Some(&mut imap), ts(NOW)).await.sent, vec![sent.id]);
    imap.logout().await;

    // The same database, with a wrong password for SMTP and IMAP.
    let mut bad = rig.config_for(sender).password(wrong).build();
    bad.config.storage_path = desk.config.config.storage_path.clone();
    let refused = desk.draft(DraftKind::ThankYou, &["secret-outbox@acme.example"], true);
    let smtp = SmtpSender::connect(bad.smtp()).await.unwrap();
    let report = desk.send_via(&smtp, ts(NOW)).await;
    assert_eq!(report.failed, vec![refused.id], "a refused login is not retried blindly: {report:?}");
    let error = desk.get(refused.id).last_error.unwrap();
    assert!(error.contains("refused the login"), "{error}");
    let imap_error = ImapSession::connect(bad.imap()).await.unwrap_err().to_string();
    let test_error = smtp.test_connection().await.unwrap_err().to_string();

    drop(desk.store);
    let mut database = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", desk.config.config.storage_path.display());
        if let Ok(bytes) = std::fs::read(&path) {
            database.extend(bytes);
        }
    }
    assert!(!database.is_empty());
    let logs = String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned();
    assert!(logs.contains("Sent draft"), "the log was captured: {logs}");
    for secret in [good.as_str(), wrong] {
        let needle = secret.as_bytes();
        assert!(!database.windows(needle.len()).any(|window| window == needle), "{secret} is in the database");
        for text in [&error, &imap_error, &test_error, &logs] {
            assert!(!text.contains(secret), "{secret} leaked into {text}");
        }
    }
}

/// SPEC §1: a retry after a temporary failure never lands outside the send window. A draft
/// that fails at 17:59:30 is retried about a minute later, after the window closed at
/// 18:00 (UTC, Monday to Friday): it waits for Wednesday's 08:00 opening, and the sender's
/// next wake is that opening.
#[tokio::test]
async fn a_retry_whose_backoff_ends_after_the_window_closes_waits_for_the_next_opening() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let to = "window-retry-outbox@acme.example";
    let mut desk = Desk::new(rig, "window-retry-sender@rig.test");
    let draft = desk.draft(DraftKind::ThankYou, &[to], true);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut unreachable = rig.config_for("window-retry-sender@rig.test").smtp_port(closed).build();
    unreachable.config.storage_path = desk.config.config.storage_path.clone();
    let down = SmtpSender::connect(unreachable.smtp()).await.unwrap();
    let report = desk.send_via(&down, ts("2026-12-01T17:59:30Z")).await;
    assert_eq!(report.deferred, vec![draft.id], "{report:?}");
    let deferred = desk.get(draft.id);
    assert!(deferred.send_at > ts("2026-12-01T18:00:00Z"), "the backoff ends after 18:00: {}", deferred.send_at);

    let after = deferred.send_at + jiff::SignedDuration::from_mins(1);
    let opening = ts("2026-12-02T08:00:00Z");
    let report = desk.send(None, after).await;
    assert_eq!(report.waiting_for_window, vec![(draft.id, opening)], "{report:?}");
    assert!(report.sent.is_empty() && report.deferred.is_empty(), "{report:?}");
    assert_eq!(accepted(rig, &draft.message_id), 0, "nothing leaves after 18:00");
    assert_eq!(desk.get(draft.id).status, DraftStatus::Approved);
    let outbox = Outbox { config: &desk.config.config };
    assert_eq!(outbox.next_due(desk.store.conn(), after).unwrap(), Some(opening), "the sender wakes at the opening");

    let report = desk.send(None, opening).await;
    assert_eq!(report.sent, vec![draft.id], "{report:?}");
    assert_eq!(accepted(rig, &draft.message_id), 1);
}

//! The IMAP and SMTP adapters against a real Dovecot and a real SMTP server on loopback
//! (the rig in tests/rig/; install its packages with `tests/rig/install.sh`).
//!
//! Every test uses its own addresses, so that tests sharing the rig never see each
//! other's mail; the outage test takes the rig for itself.

#[path = "support/rig.rs"]
mod rig;

use debrief::mail::MailError;
use debrief::mail::imap::{IdleOutcome, ImapSession, LARGE_MESSAGE_BYTES, PARTIAL_FETCH_BYTES};
use debrief::mail::secrets::fetch_secret;
use debrief::mail::smtp::{SendError, SmtpSender};
use rig::Rig;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// A safety net for waits on events: never reached when things work.
const EVENT_TIMEOUT: Duration = Duration::from_secs(20);

fn message(from: &str, to: &str, subject: &str, message_id: &str) -> Vec<u8> {
    format!(
        "From: Rig Tester <{from}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\
         Date: Mon, 02 Feb 2026 10:00:00 +0000\r\nX-Debrief-Test: kept as sent\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nHello,\r\n.a line that starts with a dot\r\nBye\r\n"
    )
    .into_bytes()
}

fn never_stop() -> (watch::Sender<bool>, watch::Receiver<bool>) {
    watch::channel(false)
}

#[tokio::test]
async fn logs_in_over_implicit_tls_and_sees_the_capabilities() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let config = rig.config_for("tls-login@rig.test").build();
    let mut session = ImapSession::connect(config.imap()).await.expect("an IMAPS login");
    let capabilities = session.capabilities().clone();
    assert!(capabilities.idle && capabilities.special_use && capabilities.move_command && capabilities.uidplus);
    let state = session.select("INBOX").await.unwrap();
    assert_eq!(state.exists, 0);
    assert!(state.uid_validity > 0);
    session.logout().await;
}

#[tokio::test]
async fn logs_in_after_starttls_with_each_mechanism() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    for auth in ["plain", "login", "xoauth2"] {
        let config = rig.config_for("starttls-login@rig.test").imap_starttls().auth(auth).build();
        let mut session =
            ImapSession::connect(config.imap()).await.unwrap_or_else(|err| panic!("STARTTLS with {auth}: {err}"));
        session.select("INBOX").await.unwrap();
        session.logout().await;
    }
}

#[tokio::test]
async fn a_wrong_password_is_an_auth_error_that_does_not_show_the_password() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let password = "Distinctive-Wr0ng-Passw0rd-71";
    for config in [
        rig.config_for("user@rig.test").password(password).build(),
        rig.config_for("user@rig.test").password(password).imap_starttls().auth("login").build(),
    ] {
        let error = ImapSession::connect(config.imap()).await.expect_err("a wrong password must fail");
        assert!(matches!(error, MailError::Auth { .. }), "{error:?}");
        assert!(!error.is_transient());
        let shown = format!("{error} {error:?} {error:#}");
        assert!(shown.contains("check the username and the password"), "{shown}");
        assert!(error.to_string().contains(": [AUTHENTICATIONFAILED] Authentication failed.;"), "{error}");
        assert!(!shown.contains(password), "the password leaked: {shown}");
    }
    let config = rig.config_for("user@rig.test").password(password).build();
    let secret = fetch_secret(&config.smtp().server.secret).await.unwrap();
    let sender = SmtpSender::new(config.smtp(), secret).unwrap();
    let error = sender
        .send_raw("user@rig.test", &["jane@acme.example".into()], &message("user@rig.test", "jane", "x", "wrong@rig"))
        .await
        .expect_err("a wrong SMTP password must fail");
    assert!(matches!(error, SendError::Mail(MailError::Auth { .. })), "{error:?}");
    let shown = format!("{error} {error:?} {sender:?}");
    assert!(!shown.contains(password), "the password leaked: {shown}");
    let error = sender.test_connection().await.expect_err("doctor must see the refusal");
    assert!(matches!(error, MailError::Auth { .. }), "{error:?}");
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = rig.config_for("user@rig.test").host("127.0.0.1").imap_port(closed).smtp_port(closed).build();
    let error = ImapSession::connect(config.imap()).await.expect_err("nothing listens there");
    assert!(matches!(error, MailError::Unreachable { port, .. } if port == closed), "{error:?}");
    assert!(error.is_transient());
    assert!(error.to_string().ends_with("check the host, the port and the network"), "{error}");
    let sender = SmtpSender::connect(config.smtp()).await.unwrap();
    let error = sender.test_connection().await.expect_err("nothing listens there");
    assert!(matches!(error, MailError::Unreachable { .. }), "{error:?}");
}

#[tokio::test]
async fn without_ca_file_the_rigs_certificate_is_not_trusted() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    for config in [
        rig.config_for("user@rig.test").without_ca_file().build(),
        rig.config_for("user@rig.test").without_ca_file().imap_starttls().smtp_starttls().build(),
    ] {
        let error = ImapSession::connect(config.imap()).await.expect_err("an unknown CA must be refused");
        assert!(matches!(error, MailError::Tls { .. }), "{error:?}");
        assert!(error.to_string().contains("set ca_file"), "{error}");
        // Without any system roots (no ca-certificates) lettre refuses at construction.
        let error = match SmtpSender::connect(config.smtp()).await {
            Ok(sender) => sender.test_connection().await.expect_err("an unknown CA must be refused"),
            Err(error) => error,
        };
        assert!(matches!(error, MailError::Tls { .. }), "{error:?}");
    }
    // The certificate names localhost and 127.0.0.1, nothing else.
    let config = rig.config_for("user@rig.test").host("127.0.0.2").build();
    let error = ImapSession::connect(config.imap()).await.expect_err("a wrong host name must be refused");
    assert!(matches!(error, MailError::Tls { .. } | MailError::Unreachable { .. }), "{error:?}");
}

#[tokio::test]
async fn finds_sent_and_drafts_by_special_use_unless_configured() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let config = rig.config_for("special@rig.test").build();
    let mut session = ImapSession::connect(config.imap()).await.unwrap();
    let found = session.special_mailboxes().await.unwrap();
    assert_eq!(found.sent.as_deref(), Some("Sent"));
    assert_eq!(found.drafts.as_deref(), Some("Drafts"));
    session.logout().await;

    let mut imap = config.imap().clone();
    imap.sent_mailbox = Some("Archive/Sent".into());
    let mut session = ImapSession::connect(&imap).await.unwrap();
    let found = session.special_mailboxes().await.unwrap();
    assert_eq!(found.sent.as_deref(), Some("Archive/Sent"));
    assert_eq!(found.drafts.as_deref(), Some("Drafts"));
    session.logout().await;
}

#[tokio::test]
async fn appended_messages_come_back_from_fetch_new_with_their_uids() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let address = "append-fetch@rig.test";
    let config = rig.config_for(address).build();
    let mut session = ImapSession::connect(config.imap()).await.unwrap();
    let before = session.select("INBOX").await.unwrap();
    let first_uid = before.uid_next.expect("Dovecot gives UIDNEXT");
    assert!(session.fetch_new(0, 10).await.unwrap().is_empty(), "an empty mailbox has nothing new");
    assert!(session.uid_search_since(jiff::civil::date(2020, 1, 1)).await.unwrap().is_empty());

    let messages: Vec<Vec<u8>> = (0..3)
        .map(|n| message("jane@acme.example", address, &format!("Note {n}"), &format!("fetch-{n}@rig")))
        .collect();
    for raw in &messages {
        session.append("INBOX", raw, &[]).await.unwrap();
    }
    let state = session.select("INBOX").await.unwrap();
    assert_eq!(state.uid_validity, before.uid_validity);
    assert_eq!(state.exists, before.exists + 3);

    // In batches of two: UIDs ascend from UIDNEXT, and the bytes are the appended ones.
    let batch = session.fetch_new(first_uid - 1, 2).await.unwrap();
    assert_eq!(batch.iter().map(|m| m.uid).collect::<Vec<_>>(), vec![first_uid, first_uid + 1]);
    assert_eq!(batch[0].raw, messages[0]);
    assert_eq!(batch[1].size as usize, messages[1].len());
    let rest = session.fetch_new(batch[1].uid, 2).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].uid, first_uid + 2);
    assert_eq!(rest[0].raw, messages[2]);
    assert!(session.fetch_new(rest[0].uid, 2).await.unwrap().is_empty(), "nothing after the last UID");

    let since = session.uid_search_since(jiff::civil::date(2020, 1, 1)).await.unwrap();
    assert_eq!(since, vec![first_uid, first_uid + 1, first_uid + 2]);
    assert!(session.find_message_id("INBOX", "<fetch-1@rig>").await.unwrap());
    assert!(!session.find_message_id("INBOX", "<no-such-id@rig>").await.unwrap());

    // A copy for Sent keeps \Seen.
    session.append("Sent", &messages[0], &["\\Seen"]).await.unwrap();
    assert!(session.find_message_id("Sent", "<fetch-0@rig>").await.unwrap());
    assert_eq!(rig.mailbox_messages(address, "Sent"), vec![messages[0].clone()]);
    session.logout().await;
}

#[tokio::test]
async fn a_large_message_is_fetched_in_part() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let address = "large@rig.test";
    let config = rig.config_for(address).build();
    let mut session = ImapSession::connect(config.imap()).await.unwrap();
    let state = session.select("INBOX").await.unwrap();
    let mut raw = message("jane@acme.example", address, "Big attachment", "large@rig");
    let line = format!("{}\r\n", "A".repeat(76));
    while raw.len() <= LARGE_MESSAGE_BYTES as usize {
        raw.extend_from_slice(line.as_bytes());
    }
    session.append("INBOX", &raw, &[]).await.unwrap();
    session.select("INBOX").await.unwrap();
    let fetched = session.fetch_new(state.uid_next.unwrap() - 1, 10).await.unwrap();
    assert_eq!(fetched.len(), 1);
    assert!(fetched[0].truncated);
    assert_eq!(fetched[0].size as usize, raw.len());
    assert_eq!(fetched[0].raw.len(), PARTIAL_FETCH_BYTES as usize);
    assert_eq!(fetched[0].raw[..], raw[..PARTIAL_FETCH_BYTES as usize]);
    session.logout().await;
}

#[tokio::test]
async fn idle_wakes_when_mail_is_delivered_and_stops_on_request() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let address = "idle@rig.test";
    let config = rig.config_for(address).build();
    let mut session = ImapSession::connect(config.imap()).await.unwrap();
    let state = session.select("INBOX").await.unwrap();
    let (_keep, mut stop) = never_stop();

    // Nothing arrives: the timeout ends the wait.
    let outcome = session.idle_until(Duration::from_millis(300), &mut stop).await.unwrap();
    assert_eq!(outcome, IdleOutcome::TimedOut);

    // A delivery during IDLE wakes it.
    let raw = message("recruiter@acme.example", address, "Interview", "idle-1@rig");
    let delivered_at = std::sync::Mutex::new(None);
    let (outcome, ()) = tokio::join!(session.idle_until(EVENT_TIMEOUT, &mut stop), async {
        tokio::task::yield_now().await;
        let raw = raw.clone();
        tokio::task::spawn_blocking(move || Rig::start().deliver("idle@rig.test", &raw)).await.unwrap();
        *delivered_at.lock().unwrap() = Some(Instant::now());
    });
    let woke_after = delivered_at.lock().unwrap().map(|at| at.elapsed());
    assert_eq!(outcome.unwrap(), IdleOutcome::NewMail);
    eprintln!("IDLE woke {woke_after:?} after the LMTP delivery finished");
    let fetched = session.fetch_new(state.uid_next.unwrap() - 1, 10).await.unwrap();
    assert_eq!(fetched.len(), 1);
    assert!(fetched[0].raw.ends_with(&raw), "the delivered bytes follow Dovecot's trace headers");

    // The stop signal ends IDLE at once, and the session is usable afterwards.
    let (stopper, mut stop) = watch::channel(false);
    let started = Instant::now();
    let (outcome, ()) = tokio::join!(session.idle_until(EVENT_TIMEOUT, &mut stop), async {
        tokio::task::yield_now().await;
        stopper.send(true).unwrap();
    });
    assert_eq!(outcome.unwrap(), IdleOutcome::Stopped);
    assert!(started.elapsed() < Duration::from_secs(5), "stopping took {:?}", started.elapsed());
    assert_eq!(session.select("INBOX").await.unwrap().exists, 1);
    session.logout().await;
}

#[tokio::test]
async fn polling_sees_new_mail_without_idle() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let address = "poll@rig.test";
    let config = rig.config_for(address).build();
    let mut session = ImapSession::connect(config.imap()).await.unwrap();
    session.prefer_polling();
    session.select("INBOX").await.unwrap();
    let (_keep, mut stop) = never_stop();
    assert_eq!(session.idle_until(Duration::from_millis(50), &mut stop).await.unwrap(), IdleOutcome::TimedOut);
    rig.deliver(address, &message("jane@acme.example", address, "Polled", "poll-1@rig"));
    assert_eq!(session.idle_until(Duration::from_millis(50), &mut stop).await.unwrap(), IdleOutcome::NewMail);
    session.logout().await;
}

async fn send_and_check(rig: &Rig, config: &rig::RigConfig, recipient: &str, message_id: &str, port: &str) {
    let from = "user@rig.test";
    let raw = message(from, recipient, "Thank you for today", message_id);
    let sender = SmtpSender::connect(config.smtp()).await.unwrap();
    sender.test_connection().await.expect("doctor's check passes");
    sender.send_raw(from, &[recipient.to_owned()], &raw).await.expect("the message is accepted");
    // Accepted means delivered: the rig's SMTP server answers after LMTP has stored it.
    let received = rig.mailbox_messages(recipient, "INBOX");
    assert_eq!(received.len(), 1, "{recipient} got one message");
    assert!(received[0].ends_with(&raw), "headers and body arrive as sent: {}", String::from_utf8_lossy(&received[0]));
    let entry =
        rig.smtp_log().into_iter().find(|entry| entry.message_id.as_deref() == Some(&format!("<{message_id}>")));
    let entry = entry.expect("the SMTP log has the message");
    assert_eq!(entry.mail_from, from);
    assert_eq!(entry.rcpt_tos, vec![recipient.to_owned()]);
    assert_eq!(entry.port, port);
}

#[tokio::test]
async fn smtp_over_implicit_tls_delivers_with_headers_intact() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let config = rig.config_for("user@rig.test").build();
    send_and_check(rig, &config, "interviewer-tls@acme.example", "smtps-1@rig.test", "smtps").await;
}

#[tokio::test]
async fn smtp_over_starttls_delivers_with_login_and_xoauth2() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let config = rig.config_for("user@rig.test").smtp_starttls().auth("login").build();
    send_and_check(rig, &config, "interviewer-starttls@acme.example", "starttls-1@rig.test", "smtp").await;
    let config = rig.config_for("user@rig.test").auth("xoauth2").build();
    send_and_check(rig, &config, "interviewer-oauth@globex.example", "xoauth2-1@rig.test", "smtps").await;
}

#[tokio::test]
async fn a_refused_recipient_is_a_permanent_error_with_the_servers_words() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let config = rig.config_for("user@rig.test").build();
    let sender = SmtpSender::connect(config.smtp()).await.unwrap();
    let raw = message("user@rig.test", "nobody@nowhere.invalid", "Hello", "refused-1@rig.test");
    let error = sender.send_raw("user@rig.test", &["nobody@nowhere.invalid".into()], &raw).await.unwrap_err();
    assert!(error.is_permanent() && !error.is_transient(), "{error:?}");
    assert_eq!(error.code(), Some(550));
    assert!(error.to_string().contains("Recipient address rejected"), "{error}");
}

#[tokio::test]
async fn password_command_gives_the_first_line() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let config = rig.config_for("jane@acme.example").build();
    let mut imap = config.imap().clone();
    let printf = format!("{}\\nsecond line is ignored\\n", rig.password("jane@acme.example"));
    imap.server.secret = debrief::config::SecretSource::Command(vec!["printf".into(), printf]);
    let mut session = ImapSession::connect(&imap).await.expect("the command's first line is the password");
    session.select("INBOX").await.unwrap();
    session.logout().await;
    imap.server.secret = debrief::config::SecretSource::Command(vec!["false".into()]);
    let error = ImapSession::connect(&imap).await.unwrap_err();
    assert!(matches!(error, MailError::Secret { .. }), "{error:?}");
    assert!(error.to_string().contains("the command \"false\" failed"), "{error}");
}

#[tokio::test]
async fn a_dovecot_outage_is_unreachable_and_recovers() {
    let rig = Rig::start();
    let _turn = rig.exclusive().await;
    let address = "outage@rig.test";
    let config = rig.config_for(address).build();
    let mut session = ImapSession::connect(config.imap()).await.unwrap();
    session.select("INBOX").await.unwrap();
    let mut idling = ImapSession::connect(config.imap()).await.unwrap();
    idling.select("INBOX").await.unwrap();

    // An outage during IDLE ends it with an error, not with "stopped" or a long wait.
    let (_keep, mut stop) = never_stop();
    let (outcome, ()) = tokio::join!(idling.idle_until(EVENT_TIMEOUT, &mut stop), async {
        tokio::task::yield_now().await;
        tokio::task::spawn_blocking(|| Rig::start().stop_dovecot()).await.unwrap();
    });
    let error = outcome.expect_err("the server went away during IDLE");
    assert!(matches!(error, MailError::ConnectionLost { .. }), "{error:?}");
    assert!(!idling.is_connected());
    let error = ImapSession::connect(config.imap()).await.expect_err("Dovecot is down");
    assert!(matches!(error, MailError::Unreachable { .. }), "{error:?}");
    assert!(error.is_transient());
    // The open session notices on its next command, and says to reconnect from then on.
    let error = session.select("INBOX").await.expect_err("the session's server is gone");
    assert!(matches!(error, MailError::ConnectionLost { .. }), "{error:?}");
    assert!(!session.is_connected());
    // SMTP still answers but cannot deliver: a transient refusal.
    let sender = SmtpSender::connect(config.smtp()).await.unwrap();
    let raw = message("user@rig.test", address, "During the outage", "outage-1@rig.test");
    let error = sender.send_raw("user@rig.test", &[address.to_owned()], &raw).await.unwrap_err();
    assert!(error.is_transient() && !error.is_permanent(), "{error:?}");
    assert_eq!(error.code(), Some(451));

    rig.start_dovecot();
    let mut session = ImapSession::connect(config.imap()).await.expect("Dovecot is back");
    assert_eq!(session.select("INBOX").await.unwrap().exists, 0);
    sender.send_raw("user@rig.test", &[address.to_owned()], &raw).await.expect("delivery works again");
    assert_eq!(session.select("INBOX").await.unwrap().exists, 1);
    session.logout().await;
}

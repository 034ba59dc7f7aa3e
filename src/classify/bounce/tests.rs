//! Delivery reports written for these tests (never copied from a corpus): the standard
//! RFC 3464 shape, the plain-text shapes of common mail servers, delays, and mail that
//! merely mentions a reply code.

use super::*;
use crate::classify::envelope::read_envelope;
use crate::classify::parser;

const OWN: &str = "priya@example.net";

fn refused(raw: &str) -> Vec<Refusal> {
    let message = parser().parse(raw.as_bytes()).expect("parses");
    refusals(&message, &read_envelope(&message), Some(OWN))
}

fn addresses(raw: &str) -> Vec<String> {
    refused(raw).into_iter().map(|refusal| refusal.address).collect()
}

/// A standard report: one recipient failed for good, one is only delayed.
const STANDARD: &str = "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\n\
To: priya@example.net\n\
Subject: Returned mail: see transcript for details\n\
Date: Tue, 08 Dec 2026 10:00:00 -0800\n\
Auto-Submitted: auto-replied\n\
MIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"rpt\"\n\
\n\
--rpt\n\
Content-Type: text/plain; charset=us-ascii\n\
\n\
The relay mx.example.net reports on your message below;\n\
bob@acme.example is still being tried.\n\
\n\
--rpt\n\
Content-Type: message/delivery-status\n\
\n\
Reporting-MTA: dns; mx.example.net\n\
Arrival-Date: Tue,  8 Dec 2026 09:59:58 -0800 (PST)\n\
\n\
Final-Recipient: rfc822; Jane.Doe@acme.example\n\
Original-Recipient: rfc822;jane.doe@acme.example\n\
Action: failed\n\
Status: 5.1.1\n\
Remote-MTA: dns; mx.acme.example\n\
Diagnostic-Code: smtp; 550 5.1.1 <jane.doe@acme.example>: Recipient address\n\
\x20   rejected: mailbox does not exist here\n\
\n\
Final-Recipient: rfc822; bob@acme.example\n\
Action: delayed\n\
Status: 4.4.1\n\
Diagnostic-Code: smtp; 451 4.4.1 try again later\n\
\n\
--rpt\n\
Content-Type: message/rfc822\n\
\n\
From: Priya Raman <priya@example.net>\n\
To: jane.doe@acme.example, bob@acme.example\n\
Subject: Following up\n\
\n\
Hello.\n\
--rpt--\n";

#[test]
fn a_standard_report_names_the_recipients_that_failed_for_good_only() {
    let found = refused(STANDARD);
    assert_eq!(
        found,
        vec![Refusal {
            address: "jane.doe@acme.example".into(),
            status: "5.1.1".into(),
            diagnostic: Some(
                "smtp; 550 5.1.1 <jane.doe@acme.example>: Recipient address rejected: mailbox does not exist here"
                    .into()
            ),
        }]
    );
}

#[test]
fn a_delay_report_refuses_nobody() {
    let delayed = STANDARD
        .replace("Action: failed\nStatus: 5.1.1", "Action: delayed\nStatus: 4.2.2")
        .replace("550 5.1.1", "452 4.2.2");
    assert_eq!(addresses(&delayed), Vec::<String>::new());
    // Failed, but with a transient status: not for good either.
    let odd = STANDARD.replace("Status: 5.1.1", "Status: 4.7.0");
    assert_eq!(addresses(&odd), Vec::<String>::new());
}

#[test]
fn a_plain_text_notice_from_a_mailer_daemon_names_the_address_with_a_permanent_code() {
    // Postfix without a report part: the reply on the same and the next line.
    let postfix = "From: MAILER-DAEMON@mx.example.net (Mail Delivery Subsystem)\n\
To: priya@example.net\n\
Subject: Returned mail: see transcript for details\n\
\n\
Your message to the addresses below was refused by the receiving\n\
server, as it said.\n\
\n\
<rita@acme.example>: host mx.acme.example[192.0.2.7] said: 550 5.1.1\n\
    <rita@acme.example>: Recipient address rejected: User unknown in local\n\
    recipient table (in reply to RCPT TO command)\n";
    let found = refused(postfix);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].address.as_str(), found[0].status.as_str()), ("rita@acme.example", "5.1.1"));
    assert!(found[0].diagnostic.as_deref().unwrap().contains("550 5.1.1"), "{found:?}");

    // Exim: the address, then the server's answer four lines down.
    let exim = "From: Mail Delivery Subsystem <Mailer-Daemon@relay.example.org>\n\
To: priya@example.net\n\
Subject: Mail delivery failed: returning message to sender\n\
\n\
Written by the relay's software, not by a person.\n\
\n\
The receiving server turned your message away for this address:\n\
\n\
  sam.okafor@globex.example\n\
    host mx1.globex.example [198.51.100.3]\n\
    SMTP error from remote mail server after RCPT TO:\n\
    550 No such mailbox here\n\
\n\
------ This is a copy of the message, including all the headers. ------\n\
To: sam.okafor@globex.example, lee@globex.example\n\
From: priya@example.net\n";
    let found = refused(exim);
    assert_eq!(found.len(), 1, "the returned copy's addresses are not read: {found:?}");
    assert_eq!((found[0].address.as_str(), found[0].status.as_str()), ("sam.okafor@globex.example", "5.0.0"));
}

#[test]
fn a_hosted_providers_notice_and_an_exchange_notice_are_read_too() {
    let hosted = "From: Mail Delivery Subsystem <mailer-daemon@mail.example.com>\n\
To: priya@example.net\n\
Subject: Delivery Status Notification (Failure)\n\
\n\
Address not found\n\
\n\
Your message wasn't delivered to tom@initech.example because the address couldn't be found, or is unable to receive mail.\n\
\n\
The response from the remote server was:\n\
550 5.1.1 The mailbox you tried to reach does not exist.\n";
    assert_eq!(addresses(hosted), vec!["tom@initech.example".to_owned()]);
    let exchange = "From: MicrosoftExchange1f2e3d4c@contoso.example\n\
To: priya@example.net\n\
Subject: Undeliverable: Following up: Backend Engineer\n\
\n\
Delivery has failed to these recipients or groups:\n\
\n\
ann.lee@contoso.example\n\
The email address you entered couldn't be found.\n\
\n\
Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found by SMTP address lookup'\n";
    let found = refused(exchange);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].address.as_str(), found[0].status.as_str()), ("ann.lee@contoso.example", "5.1.10"));
}

#[test]
fn a_delay_notice_in_plain_text_refuses_nobody() {
    let delay = "From: MAILER-DAEMON@mx.example.net\n\
To: priya@example.net\n\
Subject: Delayed Mail (still being retried)\n\
\n\
<rita@acme.example>: host mx.acme.example[192.0.2.7] said: 451 4.7.1\n\
    Greylisted, please try again later\n";
    assert_eq!(addresses(delay), Vec::<String>::new());
    let warning = "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\n\
To: priya@example.net\n\
Subject: Warning: could not send message for past 4 hours\n\
\n\
The message could not be delivered yet; the mail system will continue trying.\n\
\n\
<rita@acme.example>: connect to mx.acme.example: 421 4.4.2 timed out\n";
    assert_eq!(addresses(warning), Vec::<String>::new());
}

#[test]
fn mail_that_only_mentions_a_code_or_an_address_is_no_report() {
    let recruiter = "From: Rita Moss <rita@acme.example>\n\
To: priya@example.net\n\
Subject: Re: Following up\n\
\n\
Hi Priya, the team at building 550 has not decided yet; write to\n\
tom@acme.example if the address does not exist in your records.\n";
    assert_eq!(addresses(recruiter), Vec::<String>::new());
    let message = parser().parse(recruiter.as_bytes()).unwrap();
    assert!(!is_candidate(&read_envelope(&message)));
}

#[test]
fn the_user_and_the_mail_system_itself_are_never_refused() {
    let own = "From: MAILER-DAEMON@mx.example.net\n\
To: priya@example.net\n\
Subject: Returned mail: see transcript for details\n\
\n\
<priya@example.net>: 550 5.1.1 sender rejected\n\
<postmaster@mx.example.net>: 550 5.1.1 no such user\n\
<MAILER-DAEMON@mx.example.net>: 550 5.1.1 no such user\n";
    assert_eq!(addresses(own), Vec::<String>::new());
}

#[test]
fn a_hostile_report_costs_a_bounded_amount() {
    // Ten thousand failed recipients: at most MAX_REFUSALS come back.
    let mut raw = String::from(
        "From: MAILER-DAEMON@mx.example.net\nTo: priya@example.net\nSubject: Undelivered\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\n\
Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n",
    );
    for n in 0..10_000 {
        raw.push_str(&format!("\nFinal-Recipient: rfc822; r{n}@acme.example\nAction: failed\nStatus: 5.1.1\n"));
    }
    raw.push_str("--b--\n");
    assert_eq!(refused(&raw).len(), MAX_REFUSALS);
    // A notice of a megabyte of addresses without a code: nothing, read only in part.
    let mut text =
        String::from("From: MAILER-DAEMON@mx.example.net\nTo: priya@example.net\nSubject: Undelivered Mail\n\n");
    for n in 0..40_000 {
        text.push_str(&format!("x{n}@acme.example "));
    }
    text.push('\n');
    assert_eq!(addresses(&text), Vec::<String>::new());
    // One enormous line with a code at its end beyond what is read.
    let long = format!(
        "From: MAILER-DAEMON@mx.example.net\nTo: priya@example.net\nSubject: Undelivered Mail\n\n<a@acme.example>{}550 5.1.1\n",
        " ".repeat(MAX_TEXT_BYTES)
    );
    assert_eq!(addresses(&long), Vec::<String>::new());
}

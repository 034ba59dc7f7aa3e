//! Reads the headers of a parsed message into an [`Envelope`], plus the header-only
//! signals the classifier weighs: auto-reply and bulk markers, no-reply senders, the
//! sender's local date.
//!
//! It does not look at the body and does not decide a kind.

use super::{Envelope, Mailbox};
use jiff::civil;
use jiff::tz::Offset;
use mail_parser::{Address, HeaderValue, Message, MimeHeaders};

/// The envelope and the header signals derived from it.
#[derive(Debug, Clone, Default)]
pub struct ParsedEnvelope {
    pub envelope: Envelope,
    /// Auto-Submitted: auto-replied, X-Autoreply, X-Autorespond, Precedence: auto_reply.
    pub auto_reply_header: bool,
    /// Auto-Submitted with any other value than "no" (ATS notifications use auto-generated).
    pub auto_submitted: bool,
    /// Precedence bulk/list/junk or a List-Id: newsletters and alerts.
    pub bulk_header: bool,
    /// A List-Unsubscribe header (ATS mail has it too, so it is weak evidence).
    pub list_unsubscribe: bool,
    /// A delivery-status notification: a `multipart/report` body or a mailer-daemon
    /// sender (RFC 3464), whatever its auto-reply headers say.
    pub bounce: bool,
    /// The sender's local date and time, from the `Date` header in its own offset.
    pub local_date_time: Option<civil::DateTime>,
}

impl ParsedEnvelope {
    /// The day the message was written, in the sender's own offset.
    pub fn local_date(&self) -> Option<civil::Date> {
        self.local_date_time.map(|date_time| date_time.date())
    }
}

/// Reads the envelope of a parsed message.
pub fn read_envelope(message: &Message<'_>) -> ParsedEnvelope {
    let mut parsed = ParsedEnvelope::default();
    let envelope = &mut parsed.envelope;
    envelope.message_id = message.message_id().map(clean_id).filter(|id| !id.is_empty());
    envelope.in_reply_to = id_list(message.in_reply_to());
    envelope.references = id_list(message.references());
    envelope.from = message.from().and_then(|address| mailboxes(address).into_iter().next());
    envelope.reply_to = message.reply_to().and_then(|address| mailboxes(address).into_iter().next());
    envelope.to = message.to().map(mailboxes).unwrap_or_default();
    envelope.cc = message.cc().map(mailboxes).unwrap_or_default();
    envelope.subject = message.subject().map(collapse_whitespace).filter(|s| !s.is_empty());
    if let Some(date) = message.date()
        && let Some((timestamp, offset, local)) = convert_date(date)
    {
        envelope.date = Some(timestamp);
        envelope.date_offset_seconds = Some(offset);
        parsed.local_date_time = Some(local);
    }

    let header_text =
        |name: &str| -> Option<String> { message.header_raw(name).map(|value| value.trim().to_ascii_lowercase()) };
    if let Some(value) = header_text("Auto-Submitted")
        && !value.starts_with("no")
    {
        parsed.auto_submitted = true;
        if value.starts_with("auto-replied") {
            parsed.auto_reply_header = true;
        }
    }
    if header_text("X-Autoreply").is_some_and(|v| !v.starts_with("no"))
        || header_text("X-Autorespond").is_some()
        || header_text("X-Autoresponder").is_some()
        || header_text("X-Vacation").is_some()
    {
        parsed.auto_reply_header = true;
    }
    if let Some(precedence) = header_text("Precedence") {
        if precedence.starts_with("auto_reply") || precedence.starts_with("auto-reply") {
            parsed.auto_reply_header = true;
        } else if ["bulk", "list", "junk"].iter().any(|kind| precedence.starts_with(kind)) {
            parsed.bulk_header = true;
        }
    }
    if message.header_raw("List-Id").is_some() {
        parsed.bulk_header = true;
    }
    parsed.list_unsubscribe = message.header_raw("List-Unsubscribe").is_some();
    let report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart") && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let daemon = parsed.envelope.from.as_ref().is_some_and(|from| {
        let local = from.email.split('@').next().unwrap_or("").to_ascii_lowercase();
        local == "mailer-daemon" || local == "postmaster"
    });
    parsed.bounce = report || daemon;
    parsed.envelope.is_automated = parsed.auto_submitted || parsed.auto_reply_header || parsed.bulk_header;
    parsed
}

/// The candidate's address when not configured: the first `To:` recipient.
pub fn infer_candidate(envelope: &Envelope) -> Option<String> {
    envelope.to.first().map(|mailbox| mailbox.email.to_ascii_lowercase())
}

/// Whether an address looks like a machine sender (no-reply, notifications, a scheduler).
pub fn is_robot_address(email: &str) -> bool {
    let local = email.split('@').next().unwrap_or("").to_ascii_lowercase();
    const ROBOT_LOCAL_PARTS: [&str; 16] = [
        "noreply",
        "no-reply",
        "no_reply",
        "donotreply",
        "do-not-reply",
        "notification",
        "notifications",
        "notify",
        "mailer",
        "calendar",
        "scheduler",
        "scheduling",
        "automated",
        "alerts",
        "bounce",
        "postmaster",
    ];
    ROBOT_LOCAL_PARTS.iter().any(|robot| local == *robot || local.contains(robot))
}

fn convert_date(date: &mail_parser::DateTime) -> Option<(jiff::Timestamp, i32, civil::DateTime)> {
    let local = civil::DateTime::new(
        i16::try_from(date.year).ok()?,
        i8::try_from(date.month).ok()?,
        i8::try_from(date.day).ok()?,
        i8::try_from(date.hour).ok()?,
        i8::try_from(date.minute).ok()?,
        i8::try_from(date.second.min(59)).ok()?,
        0,
    )
    .ok()?;
    let magnitude = i32::from(date.tz_hour) * 3600 + i32::from(date.tz_minute) * 60;
    let seconds = if date.tz_before_gmt { -magnitude } else { magnitude };
    let offset = Offset::from_seconds(seconds).ok()?;
    let timestamp = offset.to_timestamp(local).ok()?;
    Some((timestamp, seconds, local))
}

fn clean_id(id: &str) -> String {
    id.trim().trim_start_matches('<').trim_end_matches('>').trim().to_string()
}

fn id_list(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(text) => vec![clean_id(text)],
        HeaderValue::TextList(list) => list.iter().map(|id| clean_id(id)).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|id| !id.is_empty())
    .collect()
}

fn mailboxes(address: &Address<'_>) -> Vec<Mailbox> {
    address
        .iter()
        .filter_map(|addr| {
            let email = addr.address()?.trim();
            if email.is_empty() {
                return None;
            }
            let name = addr
                .name()
                .map(|name| collapse_whitespace(name.trim().trim_matches('"').trim_matches('\'')))
                .filter(|name| !name.is_empty() && !name.eq_ignore_ascii_case(email));
            Some(Mailbox { name, email: email.to_string() })
        })
        .collect()
}

pub(crate) fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> ParsedEnvelope {
        let message = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
        read_envelope(&message)
    }

    #[test]
    fn reads_ids_addresses_and_the_senders_offset() {
        let parsed = parse(
            "From: \"Ann Lee\" <ann@acme.example>\r\nTo: Bo <bo@example.org>, c@example.org\r\n\
             Message-ID: <abc@x>\r\nIn-Reply-To: <p@y>\r\nReferences: <o@y> <p@y>\r\n\
             Date: Thu, 21 Jan 2027 18:20:33 -0800\r\nSubject: Hi\r\n\r\nbody\r\n",
        );
        let envelope = &parsed.envelope;
        assert_eq!(envelope.message_id.as_deref(), Some("abc@x"));
        assert_eq!(envelope.in_reply_to, vec!["p@y"]);
        assert_eq!(envelope.references, vec!["o@y", "p@y"]);
        assert_eq!(envelope.from.as_ref().unwrap().name.as_deref(), Some("Ann Lee"));
        assert_eq!(envelope.to.len(), 2);
        assert_eq!(envelope.date_offset_seconds, Some(-8 * 3600));
        assert_eq!(envelope.date.unwrap().to_string(), "2027-01-22T02:20:33Z");
        assert_eq!(parsed.local_date().unwrap(), civil::date(2027, 1, 21));
        assert!(!envelope.is_automated);
    }

    #[test]
    fn auto_generated_is_automated_but_not_an_auto_reply() {
        let parsed = parse("From: a@b.example\r\nAuto-Submitted: auto-generated\r\nSubject: x\r\n\r\nbody\r\n");
        assert!(parsed.envelope.is_automated);
        assert!(!parsed.auto_reply_header);
        let parsed = parse("From: a@b.example\r\nAuto-Submitted: auto-replied\r\nSubject: x\r\n\r\nbody\r\n");
        assert!(parsed.auto_reply_header);
        let parsed = parse("From: a@b.example\r\nAuto-Submitted: no\r\nSubject: x\r\n\r\nbody\r\n");
        assert!(!parsed.envelope.is_automated);
        let parsed = parse("From: a@b.example\r\nPrecedence: bulk\r\nSubject: x\r\n\r\nbody\r\n");
        assert!(parsed.bulk_header && parsed.envelope.is_automated);
    }

    #[test]
    fn bounces_are_recognised_by_report_type_or_daemon_sender() {
        let parsed = parse(
            "From: MAILER-DAEMON@mx.example\r\nAuto-Submitted: auto-replied\r\nSubject: Undelivered\r\n\r\nx\r\n",
        );
        assert!(parsed.bounce);
        let parsed = parse(
            "From: mail@mx.example\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n",
        );
        assert!(parsed.bounce);
        assert!(!parse("From: ann@acme.example\r\nSubject: x\r\n\r\nbody\r\n").bounce);
    }

    #[test]
    fn robot_addresses() {
        assert!(is_robot_address("no-reply@talentloop.example"));
        assert!(is_robot_address("notifications@slotpicker.example"));
        assert!(!is_robot_address("ines.varga@quillon.example"));
    }
}

//! Inbox understanding: raw message bytes in, the message's kind and extracted facts out.
//!
//! The pipeline is `envelope` (headers) → `text` (the body a person would read, split
//! into the sender's own words, the signature and quoted history) → `calendar` (any
//! iCalendar part) → `kinds` (a scored, explainable decision over weighted features and
//! ordered precedence rules) → `fields` (company, role, interview facts) with
//! `datetime` resolving prose dates, zones and relative periods against the message's
//! own `Date` header.
//!
//! What it does not do: no I/O, no clock (every relative date is read against the
//! `Date` header), no knowledge of applications or threads (the planner matches a
//! message to an application). A message that cannot be parsed is an error, never a
//! panic: parsing runs under `catch_unwind`, after [`limits`] refused the shapes that
//! would exhaust memory or stack (which no `catch_unwind` survives).

pub mod bounce;
pub mod calendar;
pub mod compiled;
pub mod datetime;
pub mod envelope;
pub mod eval;
pub mod fields;
pub mod kinds;
pub mod limits;
pub mod text;
pub mod vocab;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A parsed and classified message.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifiedMessage {
    pub envelope: Envelope,
    pub classification: Classification,
    /// The sender's own words (no quoted history, no signature), for the planner's
    /// questions the kinds do not answer (does it ask for references?).
    pub own_words: String,
    /// The sign-off and what follows it (a name, a title), where the sender names themself.
    pub signature: String,
    /// A delivery report's addresses that refused mail for good ([`bounce`]); empty for
    /// any other message.
    pub refused: Vec<bounce::Refusal>,
}

/// The headers debrief needs to thread, address and date a message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Envelope {
    /// Without the angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub from: Option<Mailbox>,
    pub reply_to: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub subject: Option<String>,
    pub date: Option<jiff::Timestamp>,
    /// The `Date` header's own UTC offset, in seconds: the sender's local time.
    pub date_offset_seconds: Option<i32>,
    /// Auto-Submitted (other than "no"), X-Autoreply, Precedence bulk/list/junk/auto_reply,
    /// List-Id: mail that no person typed for this recipient.
    pub is_automated: bool,
}

/// One address with its display name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Mailbox {
    pub name: Option<String>,
    pub email: String,
}

/// The kinds of `shared/corpus/README.md`.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    InterviewConfirmation,
    InterviewRescheduled,
    InterviewCancelled,
    InterviewInvitation,
    Offer,
    Rejection,
    Timeline,
    AutoReply,
    Acknowledgement,
    ApplicationReceived,
    Unrelated,
}

impl MessageKind {
    pub const ALL: [MessageKind; 11] = [
        MessageKind::InterviewConfirmation,
        MessageKind::InterviewRescheduled,
        MessageKind::InterviewCancelled,
        MessageKind::InterviewInvitation,
        MessageKind::Offer,
        MessageKind::Rejection,
        MessageKind::Timeline,
        MessageKind::AutoReply,
        MessageKind::Acknowledgement,
        MessageKind::ApplicationReceived,
        MessageKind::Unrelated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::InterviewConfirmation => "interview_confirmation",
            MessageKind::InterviewRescheduled => "interview_rescheduled",
            MessageKind::InterviewCancelled => "interview_cancelled",
            MessageKind::InterviewInvitation => "interview_invitation",
            MessageKind::Offer => "offer",
            MessageKind::Rejection => "rejection",
            MessageKind::Timeline => "timeline",
            MessageKind::AutoReply => "auto_reply",
            MessageKind::Acknowledgement => "acknowledgement",
            MessageKind::ApplicationReceived => "application_received",
            MessageKind::Unrelated => "unrelated",
        }
    }

    /// Kinds whose label carries an `interview`.
    pub fn has_interview(self) -> bool {
        matches!(
            self,
            MessageKind::InterviewConfirmation | MessageKind::InterviewRescheduled | MessageKind::InterviewCancelled
        )
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown kind name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown message kind {0:?}")]
pub struct UnknownKind(pub String);

impl FromStr for MessageKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MessageKind::ALL.into_iter().find(|kind| kind.as_str() == s).ok_or_else(|| UnknownKind(s.to_string()))
    }
}

/// What the message says, as far as the follow-up process is concerned. Serialisable so
/// that a message held for review (`debrief inbox`) can be acted on later as it was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub kind: MessageKind,
    pub company: Option<String>,
    pub role: Option<String>,
    /// Filled for confirmation, rescheduled (the new slot) and cancelled (the cancelled slot).
    pub interview: Option<InterviewFacts>,
    /// Timeline only: the first day a follow-up is allowed; `None` on a timeline means
    /// "wait for further notice".
    pub reply_after: Option<jiff::civil::Date>,
    /// Auto-reply only: the stated return date ("back on January 5").
    pub return_date: Option<jiff::civil::Date>,
    /// 0..=1: clear cases score 0.9 or more, ambiguous ones below 0.8.
    pub confidence: f64,
    /// Why: the features and rules that decided, for `--explain`.
    pub reasons: Vec<String>,
}

/// When and with whom an interview takes place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterviewFacts {
    pub start: jiff::Timestamp,
    pub end: Option<jiff::Timestamp>,
    pub interviewers: Vec<Participant>,
    /// The IANA name of the interview's zone when known.
    pub time_zone: Option<String>,
    pub location: Option<String>,
    pub calendar_uid: Option<String>,
}

/// A person taking part in an interview.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Participant {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// Why a message could not be classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClassifyError {
    #[error("the message is empty")]
    Empty,
    #[error("the message could not be parsed as RFC 5322 mail")]
    Unparseable,
    #[error("the parser failed on this message: {0}")]
    ParserPanicked(String),
    /// Refused by the structural pre-check before the parser saw it ([`limits`]).
    #[error("refused unread: {0}")]
    Refused(limits::Refusal),
}

/// The label shape of `shared/corpus/labels.json` plus `confidence`: what
/// `debrief classify --json` prints and what `debrief eval` compares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelJson {
    pub kind: MessageKind,
    pub company: Option<String>,
    pub role: Option<String>,
    pub interview: Option<InterviewJson>,
    pub reply_after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

/// `interview` in the label shape: UTC RFC 3339 times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterviewJson {
    pub start: String,
    pub end: Option<String>,
    pub interviewers: Vec<Participant>,
}

impl Classification {
    /// This classification in the corpus label shape.
    pub fn to_label_json(&self) -> LabelJson {
        LabelJson {
            kind: self.kind,
            company: self.company.clone(),
            role: self.role.clone(),
            interview: self.interview.as_ref().map(|interview| InterviewJson {
                start: interview.start.to_string(),
                end: interview.end.map(|end| end.to_string()),
                interviewers: interview.interviewers.clone(),
            }),
            reply_after: self.reply_after.map(|date| date.to_string()),
            confidence: Some((self.confidence * 100.0).round() / 100.0),
        }
    }
}

/// Compiles a pattern with ASCII word boundaries: Unicode `\b` makes the regex engine
/// leave its fast DFA on any non-ASCII text, and these patterns only need word edges
/// next to ASCII letters.
pub(crate) fn word_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::Regex::new(&pattern.replace(r"\b", r"(?-u:\b)"))
}

/// Gives back what classification compiled: the vocabulary ([`vocab::release`]) and every
/// other pattern ([`compiled::release`]), with their search caches. The daemon calls it
/// after a large scan and when it has idled a while; the next message compiles them
/// again (about a tenth of a second).
pub fn release() {
    vocab::release();
    compiled::release();
}

/// Classifies one raw message. The candidate is inferred from `To:`.
pub fn classify_message(raw: &[u8]) -> Result<ClassifiedMessage, ClassifyError> {
    classify_message_for(raw, None)
}

/// Classifies one raw message for a candidate whose own address is known (the
/// config's identity email), so that the candidate is never taken for an interviewer.
pub fn classify_message_for(raw: &[u8], candidate_email: Option<&str>) -> Result<ClassifiedMessage, ClassifyError> {
    if raw.iter().all(|byte| byte.is_ascii_whitespace()) {
        return Err(ClassifyError::Empty);
    }
    // Before the parser: a panic is caught below, but running out of memory or stack
    // aborts the process (issue 9).
    limits::check(raw, &limits::LIMITS).map_err(ClassifyError::Refused)?;
    let outcome = std::panic::catch_unwind(|| classify_unguarded(raw, candidate_email));
    match outcome {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(ClassifyError::ParserPanicked(what))
        }
    }
}

/// The message parser: mail-parser's default parser for every header (its own table,
/// written out), except `Received`, kept raw. Nothing here reads it, and parsing the
/// dozens a long thread carries cost more than reading its body (issue 10's speed target).
pub fn parser() -> &'static mail_parser::MessageParser {
    use mail_parser::HeaderName as H;
    static PARSER: std::sync::LazyLock<mail_parser::MessageParser> = std::sync::LazyLock::new(|| {
        let mut parser = mail_parser::MessageParser::new().default_header_raw();
        for name in [H::Subject, H::Comments, H::ContentDescription, H::ContentLocation, H::ContentTransferEncoding] {
            parser = parser.header_text(name);
        }
        for name in [
            H::From,
            H::To,
            H::Cc,
            H::Bcc,
            H::ReplyTo,
            H::Sender,
            H::ResentTo,
            H::ResentFrom,
            H::ResentBcc,
            H::ResentCc,
            H::ResentSender,
            H::ListArchive,
            H::ListHelp,
            H::ListId,
            H::ListOwner,
            H::ListPost,
            H::ListSubscribe,
            H::ListUnsubscribe,
        ] {
            parser = parser.header_address(name);
        }
        for name in [H::Date, H::ResentDate] {
            parser = parser.header_date(name);
        }
        for name in [H::MessageId, H::References, H::InReplyTo, H::ReturnPath, H::ContentId, H::ResentMessageId] {
            parser = parser.header_id(name);
        }
        for name in [H::Keywords, H::ContentLanguage] {
            parser = parser.header_comma_separated(name);
        }
        for name in [H::ContentType, H::ContentDisposition] {
            parser = parser.header_content_type(name);
        }
        parser.header_raw(H::Received)
    });
    &PARSER
}

fn classify_unguarded(raw: &[u8], candidate_email: Option<&str>) -> Result<ClassifiedMessage, ClassifyError> {
    let message = parser().parse(raw).ok_or(ClassifyError::Unparseable)?;
    let parsed_envelope = envelope::read_envelope(&message);
    let body = text::extract_body(&message);
    if parsed_envelope.envelope.from.is_none()
        && parsed_envelope.envelope.subject.is_none()
        && parsed_envelope.envelope.date.is_none()
        && body.own.trim().is_empty()
        && body.calendars.is_empty()
    {
        return Err(ClassifyError::Unparseable);
    }
    let events = calendar::read_calendars(&body.calendars, parsed_envelope.envelope.date_offset_seconds);
    let candidate = candidate_email
        .map(|email| email.trim().to_ascii_lowercase())
        .or_else(|| envelope::infer_candidate(&parsed_envelope.envelope));
    let context = kinds::MessageContext::new(&parsed_envelope, &body, &events, candidate.as_deref());
    let mut classification = kinds::classify(&context);
    let refused = bounce::refusals(&message, &parsed_envelope, candidate.as_deref());
    for refusal in &refused {
        classification
            .reasons
            .push(format!("delivery report: {} refused mail for good ({})", refusal.address, refusal.status));
    }
    Ok(ClassifiedMessage {
        envelope: parsed_envelope.envelope,
        classification,
        own_words: body.own,
        signature: body.signature,
        refused,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip() {
        for kind in MessageKind::ALL {
            assert_eq!(kind.as_str().parse::<MessageKind>(), Ok(kind));
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{}\"", kind.as_str()));
        }
        assert!("interview".parse::<MessageKind>().is_err());
    }

    #[test]
    fn the_parser_reads_every_header_as_the_default_one_except_received() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/classify");
        let mut compared = 0;
        for entry in std::fs::read_dir(&dir).expect("fixtures") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|ext| ext != "eml") {
                continue;
            }
            let raw = std::fs::read(&path).expect("fixture");
            let ours = parser().parse(&raw).expect("parses");
            let default = mail_parser::MessageParser::default().parse(&raw).expect("parses");
            for (a, b) in ours.headers().iter().zip(default.headers()) {
                assert_eq!(a.name, b.name);
                if a.name != mail_parser::HeaderName::Received {
                    assert_eq!(a.value, b.value, "{} in {}", a.name.as_str(), path.display());
                    compared += 1;
                }
            }
            assert_eq!(ours.parts.len(), default.parts.len());
        }
        assert!(compared > 100, "compared {compared} headers");
    }

    #[test]
    fn empty_input_is_an_error() {
        assert_eq!(classify_message(b""), Err(ClassifyError::Empty));
        assert_eq!(classify_message(b"  \r\n"), Err(ClassifyError::Empty));
    }
}

//! Delivery-status notifications (bounces): which addresses refused mail for good.
//!
//! Two shapes are read. The standard one (RFC 3464): a `multipart/report;
//! report-type=delivery-status` whose `message/delivery-status` part holds one group of
//! fields per recipient; a recipient counts when its `Action` is `failed` and its
//! `Status` a permanent `5.x.x`. The common non-standard one: a plain-text notice from
//! MAILER-DAEMON, postmaster or a mail server's own name ("Undeliverable: ...", "Mail
//! delivery failed"), where an address counts when the lines right after it carry a
//! permanent reply code (`550`, `5.1.1`) or words ("user unknown", "does not exist") and no
//! sign of a delay (`4.x.x`, "will retry"). A delay report never counts.
//!
//! Hostile input is normal input: at most 64 KiB of a report part and 32 KiB of text are
//! read, at most [`MAX_REFUSALS`] addresses are returned, and every pattern is a linear
//! regex. It decides no kind: the classifier keeps calling a bounce `unrelated`; ingest
//! records the refused addresses (only ones it knows) so that no follow-up goes there.

use super::compiled::Compiled;
use super::envelope::ParsedEnvelope;
use mail_parser::{Message, MimeHeaders, PartType};
use regex::Regex;

/// An address a delivery report says refused mail for good.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Refusal {
    /// Lower-case.
    pub address: String,
    /// The enhanced status code ("5.1.1"); "5.0.0" when the report gave only "550".
    pub status: String,
    /// The server's words ("smtp; 550 5.1.1 user unknown"), one line, at most 200 characters.
    pub diagnostic: Option<String>,
}

/// At most this many addresses from one report.
pub const MAX_REFUSALS: usize = 20;
const MAX_REPORT_BYTES: usize = 64 * 1024;
const MAX_TEXT_BYTES: usize = 32 * 1024;
/// Addresses of a plain-text notice weighed at most (each costs a look at its window).
const MAX_WEIGHED: usize = 100;
/// Lines after an address that may still speak of it (Exim puts the reply four lines down).
const WINDOW_LINES: usize = 6;

struct Patterns {
    address: Regex,
    permanent: Regex,
    enhanced: Regex,
    transient: Regex,
    subject: Regex,
    delay: Regex,
    returned: Regex,
}

static PATTERNS: Compiled<Patterns> = Compiled::new(|| {
    Patterns {
    address: Regex::new(r"[A-Za-z0-9._%+'=-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}").unwrap(),
    permanent: Regex::new(
        r"(?i)(?:^|[\s:(\[])5[0-5][0-9][\s\-]|\b5\.[0-9]{1,3}\.[0-9]{1,3}\b|user unknown|unknown user|no such user|does not exist|doesn't exist|mailbox unavailable|mailbox not found|address rejected|address not found|failed permanently|permanent (?:error|failure)|not a valid (?:mailbox|recipient)",
    )
    .unwrap(),
    enhanced: Regex::new(r"\b([245])\.([0-9]{1,3})\.([0-9]{1,3})\b").unwrap(),
    transient: Regex::new(
        r"(?i)(?:^|[\s:(\[])4[2-5][0-9][\s\-]|\b4\.[0-9]{1,3}\.[0-9]{1,3}\b|temporar|delayed|will (?:retry|be retried|continue trying|keep trying)|still trying|try again later",
    )
    .unwrap(),
    subject: Regex::new(
        r"(?i)^(?:(?:re|fw|fwd):\s*)?(?:undeliver(?:able|ed)|delivery status notification \(failure\)|mail delivery (?:failed|failure)|returned mail|delivery failure|failure notice|non-?delivery)",
    )
    .unwrap(),
    delay: Regex::new(r"(?i)\bdelay|warning: message .*still undelivered|will (?:retry|continue trying|keep trying)").unwrap(),
    returned: Regex::new(
        r"(?i)^\s*-+\s*(?:this is a copy of|original message|the original message|below this line is a copy|message headers follow)|^\s*original message headers",
    )
    .unwrap(),
}
});

/// Whether a message looks like a delivery report at all: the envelope's bounce (a
/// `multipart/report`, a mailer-daemon or postmaster sender), an Exchange system sender,
/// or a bounce's subject. Cheap: headers only.
pub fn is_candidate(parsed: &ParsedEnvelope) -> bool {
    if parsed.bounce {
        return true;
    }
    let from = parsed.envelope.from.as_ref().map(|from| from.email.to_ascii_lowercase()).unwrap_or_default();
    if from.starts_with("microsoftexchange") || from.starts_with("mail-daemon@") {
        return true;
    }
    parsed.envelope.subject.as_deref().is_some_and(|subject| PATTERNS.get().subject.is_match(subject))
}

/// The addresses a delivery report says refused mail for good, never `own` (the user) nor
/// the report's sender. Empty for anything that is no report, and for a delay.
pub fn refusals(message: &Message<'_>, parsed: &ParsedEnvelope, own: Option<&str>) -> Vec<Refusal> {
    if !is_candidate(parsed) {
        return Vec::new();
    }
    let patterns = PATTERNS.get();
    let sender = parsed.envelope.from.as_ref().map(|from| from.email.to_ascii_lowercase());
    let keep = |address: &str| {
        let local = address.split('@').next().unwrap_or_default();
        Some(address) != own
            && Some(address) != sender.as_deref()
            && !local.eq_ignore_ascii_case("mailer-daemon")
            && !local.eq_ignore_ascii_case("postmaster")
    };
    let mut found_report = false;
    let mut out: Vec<Refusal> = Vec::new();
    for part in &message.parts {
        let Some(content_type) = part.content_type() else { continue };
        let is_report = content_type.ctype().eq_ignore_ascii_case("message")
            && content_type.subtype().is_some_and(|subtype| {
                subtype.eq_ignore_ascii_case("delivery-status")
                    || subtype.eq_ignore_ascii_case("global-delivery-status")
            });
        if !is_report {
            continue;
        }
        found_report = true;
        let bytes = match &part.body {
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => bytes.as_ref(),
            PartType::Text(text) => text.as_bytes(),
            _ => continue,
        };
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_REPORT_BYTES)]);
        for refusal in report_refusals(&text) {
            if keep(&refusal.address) && !out.iter().any(|known| known.address == refusal.address) {
                out.push(refusal);
            }
            if out.len() >= MAX_REFUSALS {
                return out;
            }
        }
    }
    // A standard report says what happened to each recipient: the text beside it is for
    // people, and often repeats addresses that were delivered.
    if found_report {
        return out;
    }
    if parsed.envelope.subject.as_deref().is_some_and(|subject| patterns.delay.is_match(subject)) {
        return out;
    }
    let Some(text) = message.body_text(0) else { return out };
    let text = &text[..floor_char_boundary(&text, MAX_TEXT_BYTES)];
    text_refusals(text, &keep)
}

/// The recipients of a `message/delivery-status` body that failed for good.
fn report_refusals(text: &str) -> Vec<Refusal> {
    let mut out = Vec::new();
    // Groups of fields separated by blank lines: the first is about the message, each
    // other one about a recipient.
    for group in text.replace("\r\n", "\n").split("\n\n").take(MAX_REFUSALS * 2 + 1) {
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in group.lines().take(64) {
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = fields.last_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
            } else if let Some((name, value)) = line.split_once(':') {
                fields.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let field = |name: &str| fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
        let Some(recipient) = field("final-recipient").or_else(|| field("original-recipient")) else { continue };
        // "rfc822; jane@acme.example" (or "utf-8; ..." in a global report).
        let address = recipient.rsplit_once(';').map_or(recipient, |(_, address)| address);
        let address = address.trim().trim_start_matches('<').trim_end_matches('>').to_ascii_lowercase();
        if !PATTERNS.get().address.is_match(&address) || address.contains(char::is_whitespace) {
            continue;
        }
        let status = field("status").unwrap_or_default();
        let action = field("action").unwrap_or("failed").to_ascii_lowercase();
        let permanent = status.starts_with("5.");
        if action.starts_with("failed") && permanent {
            let status: String = status.split_whitespace().next().unwrap_or(status).chars().take(16).collect();
            out.push(Refusal { address, status, diagnostic: field("diagnostic-code").map(one_line) });
        }
    }
    out
}

/// The addresses of a plain-text notice that the lines right after them say failed for good.
fn text_refusals(text: &str, keep: &dyn Fn(&str) -> bool) -> Vec<Refusal> {
    let patterns = PATTERNS.get();
    if patterns.delay.is_match(text) {
        return Vec::new();
    }
    // The notice only, not the returned message's headers and body.
    let lines: Vec<&str> = text.lines().take_while(|line| !patterns.returned.is_match(line)).take(2_000).collect();
    let mut out: Vec<Refusal> = Vec::new();
    let mut weighed = 0;
    for (index, line) in lines.iter().enumerate() {
        for found in patterns.address.find_iter(line) {
            let address = found.as_str().trim_end_matches('.').to_ascii_lowercase();
            if !keep(&address) || out.iter().any(|known| known.address == address) {
                continue;
            }
            // A notice names a few addresses; a text of thousands is weighed in part.
            weighed += 1;
            if weighed > MAX_WEIGHED {
                return out;
            }
            // Its window: the rest of this line (its first KiB) and the next few lines, up
            // to the next line naming another address.
            let rest = &line[found.start()..];
            let mut window = vec![&rest[..floor_char_boundary(rest, 1024)]];
            for next in lines.iter().skip(index + 1).take(WINDOW_LINES) {
                let other = patterns
                    .address
                    .find_iter(next)
                    .any(|other| !other.as_str().trim_end_matches('.').eq_ignore_ascii_case(&address));
                if other {
                    break;
                }
                window.push(next);
            }
            let window = window.join("\n");
            if !patterns.permanent.is_match(&window) || patterns.transient.is_match(&window) {
                continue;
            }
            let status = patterns
                .enhanced
                .captures(&window)
                .filter(|code| &code[1] == "5")
                .map_or_else(|| "5.0.0".to_owned(), |code| format!("5.{}.{}", &code[2], &code[3]));
            let diagnostic = window
                .lines()
                .find(|line| patterns.permanent.is_match(line) && !line.contains(&*address))
                .or_else(|| window.lines().find(|line| patterns.permanent.is_match(line)))
                .map(one_line);
            out.push(Refusal { address, status, diagnostic });
            if out.len() >= MAX_REFUSALS {
                return out;
            }
        }
    }
    out
}

/// One line of at most 200 characters, without control characters.
fn one_line(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.join(" ").chars().filter(|c| !c.is_control()).take(200).collect()
}

fn floor_char_boundary(text: &str, at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    (0..=at).rev().find(|index| text.is_char_boundary(*index)).unwrap_or(0)
}

#[cfg(test)]
#[path = "bounce/tests.rs"]
mod tests;

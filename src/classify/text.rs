//! The text a person would read: body parts chosen and decoded (plain text preferred,
//! HTML turned into text otherwise), then split into the sender's own words, their
//! signature, and the quoted history (`>` lines, "On … wrote:", Outlook `From:/Sent:`
//! blocks, forwarded parts). Calendar parts are handed over raw.
//!
//! It does not interpret the words: only `kinds` and `fields` do, and they read the
//! quoted history only for facts the sender refers to (a duration), never for a kind.

use super::compiled::Compiled;
use mail_parser::{Message, MimeHeaders, PartType};
use regex::Regex;

/// A message body, split by who wrote what.
#[derive(Debug, Clone, Default)]
pub struct Body {
    /// The sender's own words: no quoted history, no signature.
    pub own: String,
    /// The sign-off and everything below it (names, titles, company lines).
    pub signature: String,
    /// Quoted or forwarded earlier messages, with the `>` markers removed.
    pub quoted: String,
    /// Raw iCalendar texts found in the message.
    pub calendars: Vec<String>,
    /// File names of attachments.
    pub attachment_names: Vec<String>,
    /// Whether the text came from an HTML part.
    pub from_html: bool,
}

/// Largest part that is read as text; bigger ones are cut (a body is never that long).
const MAX_TEXT_BYTES: usize = 256 * 1024;

/// Picks and decodes the readable body, the calendar parts and attachment names.
pub fn extract_body(message: &Message<'_>) -> Body {
    let mut plain = Vec::new();
    let mut html = Vec::new();
    let mut body = Body::default();
    let mut forwarded = Vec::new();
    for part in &message.parts {
        let (ctype, subtype) = part
            .content_type()
            .map(|ct| (ct.ctype().to_ascii_lowercase(), ct.subtype().unwrap_or("").to_ascii_lowercase()))
            .unwrap_or_else(|| ("text".to_string(), "plain".to_string()));
        let file_name = part.attachment_name().map(str::to_string);
        let is_attachment = part.content_disposition().is_some_and(|cd| cd.is_attachment()) || file_name.is_some();
        let is_calendar = subtype == "calendar"
            || (ctype == "application" && (subtype == "ics" || subtype == "x-ics"))
            || file_name.as_deref().is_some_and(|name| name.to_ascii_lowercase().ends_with(".ics"));
        match &part.body {
            PartType::Text(text) if is_calendar => body.calendars.push(truncate(text).to_string()),
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) if is_calendar => {
                body.calendars.push(truncate(&String::from_utf8_lossy(bytes)).to_string());
            }
            PartType::Text(text) if !is_attachment => plain.push(truncate(text).to_string()),
            PartType::Html(text) if !is_attachment => html.push(truncate(text).to_string()),
            PartType::Message(nested) => {
                let inner = extract_body(nested);
                forwarded.push(format!("{}\n{}\n{}", inner.own, inner.signature, inner.quoted));
            }
            _ => {}
        }
        if let Some(name) = file_name {
            body.attachment_names.push(name);
        }
    }
    let plain_text = plain.join("\n");
    let text = if plain_text.trim().is_empty() && !html.is_empty() {
        body.from_html = true;
        html.iter().map(|h| html_to_text(h)).collect::<Vec<_>>().join("\n")
    } else {
        plain_text
    };
    let text = normalize(&text);
    let (own, quoted) = split_quoted(&text);
    let (own, signature) = split_signature(&own);
    body.own = own;
    body.signature = signature;
    body.quoted = quoted;
    for extra in forwarded {
        body.quoted.push('\n');
        body.quoted.push_str(&normalize(&extra));
    }
    body
}

/// The largest char boundary at or below `index` (for windows cut by byte counts).
pub fn floor_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// The smallest char boundary at or above `index`.
pub fn ceil_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

fn truncate(text: &str) -> &str {
    if text.len() <= MAX_TEXT_BYTES {
        return text;
    }
    let mut end = MAX_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Replaces typographic variants with plain ones so patterns can stay simple: curly
/// quotes, dashes, odd spaces; drops CR and zero-width characters.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\r' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}' | '\u{00AD}' => {}
            '\u{00A0}' | '\u{2007}' | '\u{202F}' | '\u{2009}' | '\u{2002}' | '\u{2003}' | '\t' | '\u{22C5}' => {
                out.push(' ')
            }
            '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' | '`' => out.push('\''),
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}' => out.push('"'),
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}' | '\u{2212}' => out.push('-'),
            _ => out.push(ch),
        }
    }
    out
}

static ATTRIBUTION: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(
        r"(?ix)^(
            on\s.{4,200}\b(wrote|writes)\s*:?
          | am\s.{4,200}\bschrieb.{0,100}:
          | le\s.{4,200}\ba\s+écrit\s*:
          | el\s.{4,200}\bescribió\s*:
          | den\s.{4,200}\bskrev.{0,100}:
          | .{0,200}\bwrote:
          | -{2,}\s*(original\s+message|forwarded\s+message|ursprüngliche\s+nachricht|message\s+d'origine|mensaje\s+original|weitergeleitete\s+nachricht|opprinnelig\s+melding)\s*-{2,}.*
          | begin\s+forwarded\s+message\s*:
        )$",
    )
    .expect("attribution pattern")
});

/// Whether a line (or two lines joined) is an attribution above quoted history. Every
/// form of [`ATTRIBUTION`] ends in a colon, holds a `--` rule, or ends in "wrote" or
/// "writes"; a line with none of them is decided without running the pattern, which
/// otherwise runs on every line of every message (issue 10's speed target).
fn is_attribution_line(line: &str) -> bool {
    let end = line.trim_end().as_bytes();
    let tail = &end[end.len().saturating_sub(8)..];
    let may_be = line.contains(':')
        || line.contains("--")
        || !tail.is_ascii()
        || tail.to_ascii_lowercase().ends_with(b"wrote")
        || tail.to_ascii_lowercase().ends_with(b"writes");
    may_be && ATTRIBUTION.get().is_match(line)
}

static HEADER_BLOCK_START: Compiled<Regex> =
    Compiled::new(|| Regex::new(r"(?i)^\*?(from|von|de|fra|van)\s*:\*?\s*\S").expect("header block pattern"));
static HEADER_BLOCK_FIELD: Compiled<Regex> = Compiled::new(|| {
    Regex::new(r"(?i)^\*?(sent|date|to|subject|gesendet|datum|an|betreff|envoyé|objet|enviado|asunto|sendt|emne)\s*:")
        .expect("header field pattern")
});

/// The most recent quoted message: the quoted history up to the next attribution
/// ("On … wrote:"), the one the sender is answering.
pub fn latest_quoted(quoted: &str) -> &str {
    let mut offset = 0;
    let mut start = 0;
    let mut seen_text = false;
    let lines: Vec<&str> = quoted.split_inclusive('\n').collect();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        let folded = lines.get(index + 1).is_some_and(|next| {
            let next = next.trim();
            next.ends_with(':') && next.len() < 40 && is_attribution_line(&format!("{trimmed} {next}"))
        });
        let is_attribution = is_attribution_line(trimmed) || trimmed.ends_with("wrote:") || folded;
        if seen_text && (is_attribution || HEADER_BLOCK_START.get().is_match(trimmed)) {
            return &quoted[start..offset];
        }
        offset += line.len();
        if !seen_text && (trimmed.is_empty() || is_attribution) {
            // The attribution of the latest message itself carries its date: not a proposal.
            start = offset;
        } else {
            seen_text = true;
        }
    }
    &quoted[start..]
}

/// Splits text into the sender's own part and the quoted history (markers removed).
pub fn split_quoted(text: &str) -> (String, String) {
    let lines: Vec<&str> = text.lines().collect();
    let mut cut = lines.len();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('>') {
            cut = index;
            // An attribution line just above the quote belongs to the history.
            if index > 0 && lines[index - 1].trim().ends_with(':') && lines[index - 1].trim().len() > 12 {
                cut = index - 1;
            }
            break;
        }
        if is_attribution_line(trimmed) {
            cut = index;
            break;
        }
        // An attribution folded over two lines: "On Wed, Dec 2, 2026 at 2:18 PM Sam\nOkafor <…> wrote:".
        if trimmed.len() > 3
            && (trimmed.starts_with("On ") || trimmed.starts_with("Am ") || trimmed.starts_with("Le "))
            && let Some(next) = lines.get(index + 1)
            && is_attribution_line(&format!("{trimmed} {}", next.trim()))
        {
            cut = index;
            break;
        }
        if HEADER_BLOCK_START.get().is_match(trimmed) {
            let fields =
                lines[index + 1..].iter().take(5).filter(|l| HEADER_BLOCK_FIELD.get().is_match(l.trim())).count();
            if fields >= 2 {
                cut = index;
                if index > 0 && is_rule_line(lines[index - 1]) {
                    cut = index - 1;
                }
                break;
            }
        }
    }
    let unquote = |line: &&str| line.trim_start().trim_start_matches(['>', ' ']).trim_start().to_string();
    let mut own: Vec<&str> = lines[..cut].to_vec();
    let mut quoted: Vec<String> = Vec::new();
    // A `>` quote (with or without an attribution line above it) marks quoted lines
    // one by one, so the sender's own words may also sit below it (bottom-posting) or
    // between its blocks: those lines are the sender's. Any other history (an
    // attribution over unmarked text, an Outlook header block) runs to the end.
    let is_marked = |line: &str| line.trim_start().starts_with('>');
    let marked_quote = lines[cut..].iter().take(3).any(|line| is_marked(line));
    if marked_quote {
        let mut index = cut;
        while index < lines.len() {
            let line = lines[index];
            let trimmed = line.trim();
            index += 1;
            // Marked lines are the bulk of a long thread: decided without any pattern.
            if is_marked(line) {
                quoted.push(unquote(&line));
                continue;
            }
            let next_marked = lines[index..].iter().take(2).any(|l| is_marked(l));
            let index = index - 1;
            let folded_attribution = lines.get(index + 1).is_some_and(|next| {
                next.trim().ends_with(':') && is_attribution_line(&format!("{trimmed} {}", next.trim()))
            });
            let starts_history = is_attribution_line(trimmed)
                || folded_attribution
                || trimmed.to_ascii_lowercase().contains("original message")
                || (HEADER_BLOCK_START.get().is_match(trimmed)
                    && lines[index + 1..]
                        .iter()
                        .take(5)
                        .filter(|l| HEADER_BLOCK_FIELD.get().is_match(l.trim()))
                        .count()
                        >= 2);
            if next_marked && (trimmed.ends_with(':') || folded_attribution) {
                quoted.push(unquote(&line));
            } else if starts_history && !next_marked {
                quoted.extend(lines[index..].iter().map(unquote));
                break;
            } else if starts_history {
                quoted.push(unquote(&line));
            } else {
                own.push(line);
            }
        }
    } else {
        quoted.extend(lines[cut..].iter().map(unquote));
    }
    (own.join("\n"), quoted.join("\n"))
}

fn is_rule_line(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.len() >= 8 && trimmed.chars().all(|c| c == '_' || c == '-' || c == '=')
}

static CLOSING: Compiled<Regex> = Compiled::new(|| {
    Regex::new(
        r"(?ix)^(
            best|best\s+regards|kind\s+regards|regards|warm\s+regards|warmest\s+regards|warmly|warm\s+wishes|cheers
          | thanks|thank\s+you|many\s+thanks|thanks\s+again|thanks\s+so\s+much|sincerely|yours\s+sincerely|yours\s+truly
          | yours|all\s+the\s+best|all\s+best|best\s+wishes|talk\s+soon|speak\s+soon|cordially|respectfully|love|take\s+care
          | with\s+(warm|best|kind|warmest)\s+regards|with\s+thanks|apologies\s+again|have\s+a\s+(great|good|nice)\s+\w+
          | viele\s+grüße|beste\s+grüße|herzliche\s+grüße|liebe\s+grüße|freundliche\s+grüße|mit\s+freundlichen\s+grüßen|lg|vg
          | cordialement|bien\s+cordialement|bien\s+à\s+vous|à\s+bientôt|salutations|bonne\s+journée
          | saludos|un\s+saludo|atentamente|cordiales\s+saludos|un\s+abrazo
          | med\s+vennlig\s+hilsen|vennlig\s+hilsen|hilsen|mvh|met\s+vriendelijke\s+groet|groeten|hälsningar|mvh
          | sent\s+from\s+my\s+\w+
        )\b[^,.!\n]{0,40}[,.!]?$",
    )
    .expect("closing pattern")
});

/// A line that still talks to the reader ("We'll decide by Friday."): not a signature.
static SENTENCE_TO_READER: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"(?i)^(?:\S+\s+){0,3}?\b(?:we|i|we'll|i'll|we're|i'm|you|you'll|your)\b(?:\s+\S+){2,}[.!?]\s*$")
        .expect("sentence to reader pattern")
});

/// Splits the sender's own text into the message and its signature (the sign-off line
/// and everything after it, or everything after a `-- ` line).
pub fn split_signature(own: &str) -> (String, String) {
    // A legal disclaimer and everything below it is never the sender's message.
    let all: Vec<&str> = own.lines().collect();
    let disclaimer = all.iter().position(|line| DISCLAIMER.get().is_match(line.trim())).unwrap_or(all.len());
    let lines: Vec<&str> = all[..disclaimer].to_vec();
    let (own, signature) = split_signature_lines(&lines);
    if disclaimer == all.len() {
        return (own, signature);
    }
    let rest = all[disclaimer..].join("\n");
    let signature = if signature.is_empty() { rest } else { format!("{signature}\n{rest}") };
    (own, signature)
}

static DISCLAIMER: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(
        r"(?i)^(?:\*+\s*)?(?:disclaimer\b|confidentiality\s+(?:notice|note|statement)\b|this\s+e-?mail\s+(?:message\s+)?(?:and\s+any|is\s+(?:confidential|intended)|may\s+contain|contains\s+confidential)|the\s+information\s+(?:contained\s+)?in\s+this\s+(?:e-?mail|message|communication))",
    )
    .expect("disclaimer pattern")
});

fn split_signature_lines(lines: &[&str]) -> (String, String) {
    let own = lines.join("\n");
    let first_content = lines.iter().position(|l| !l.trim().is_empty()).unwrap_or(0);
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if index <= first_content && lines.len() > 1 {
            continue;
        }
        let is_dash_separator = trimmed == "--" || trimmed == "-- " || trimmed == "---";
        let is_closing = trimmed.len() <= 48 && CLOSING.get().is_match(trimmed);
        if !(is_dash_separator || is_closing) {
            continue;
        }
        // A sign-off is followed only by a short block: names, titles, addresses.
        let tail: Vec<&str> = lines[index + 1..].iter().copied().filter(|l| !l.trim().is_empty()).collect();
        let short_tail =
            tail.len() <= 14 && tail.iter().all(|l| l.len() <= 160 && !SENTENCE_TO_READER.get().is_match(l));
        if is_dash_separator || short_tail {
            return (lines[..index].join("\n"), lines[index..].join("\n"));
        }
    }
    (own, String::new())
}

/// Turns HTML into readable text: block elements become line breaks, `head`, `style`,
/// `script` and hidden preheaders are dropped, entities are decoded and blockquotes are
/// marked with `>` so that they count as quoted.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    let mut skip_until: Option<String> = None;
    let mut quote_depth = 0usize;
    let mut at_line_start = true;
    while !rest.is_empty() {
        if let Some(tag_start) = rest.find('<') {
            let (text, after) = rest.split_at(tag_start);
            if skip_until.is_none() {
                push_text(&mut out, &decode_entities(text), quote_depth, &mut at_line_start);
            }
            let Some(tag_end) = after.find('>') else {
                break;
            };
            let tag = &after[1..tag_end];
            rest = &after[tag_end + 1..];
            if tag.starts_with("!--") {
                if let Some(comment_end) = after.find("-->") {
                    rest = &after[comment_end + 3..];
                }
                continue;
            }
            let closing = tag.starts_with('/');
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            if let Some(until) = &skip_until {
                if closing && &name == until {
                    skip_until = None;
                }
                continue;
            }
            let lower_tag = tag.to_ascii_lowercase();
            if !closing && matches!(name.as_str(), "head" | "style" | "script" | "title") {
                skip_until = Some(name);
                continue;
            }
            if !closing
                && matches!(name.as_str(), "span" | "div")
                && (lower_tag.contains("display:none") || lower_tag.contains("display: none"))
            {
                skip_until = Some(name);
                continue;
            }
            if !closing
                && (lower_tag.contains("gmail_quote")
                    || lower_tag.contains("divrplyfwdmsg")
                    || lower_tag.contains("yahoo_quoted")
                    || lower_tag.contains("moz-cite-prefix"))
            {
                out.push_str("\n-----Original Message-----\n");
                at_line_start = true;
            }
            match name.as_str() {
                "blockquote" => {
                    if closing {
                        quote_depth = quote_depth.saturating_sub(1);
                    } else {
                        quote_depth += 1;
                    }
                    out.push('\n');
                    at_line_start = true;
                }
                "br" | "p" | "div" | "tr" | "li" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table" | "ul" | "ol"
                | "hr" | "section" | "article" | "header" | "footer" => {
                    out.push('\n');
                    at_line_start = true;
                }
                "td" | "th" if closing => out.push_str("  "),
                _ => {}
            }
        } else {
            if skip_until.is_none() {
                push_text(&mut out, &decode_entities(rest), quote_depth, &mut at_line_start);
            }
            break;
        }
    }
    tidy_lines(&out)
}

fn push_text(out: &mut String, text: &str, quote_depth: usize, at_line_start: &mut bool) {
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        if !text.is_empty() && !*at_line_start {
            out.push(' ');
        }
        return;
    }
    if *at_line_start && quote_depth > 0 {
        out.push_str(&"> ".repeat(quote_depth));
    } else if !*at_line_start && text.starts_with(char::is_whitespace) {
        out.push(' ');
    }
    out.push_str(&collapsed);
    if text.ends_with(char::is_whitespace) {
        out.push(' ');
    }
    *at_line_start = false;
}

fn tidy_lines(text: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    let mut blank = 0;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            blank += 1;
            if blank == 1 && !lines.is_empty() {
                lines.push("");
            }
        } else {
            blank = 0;
            lines.push(trimmed);
        }
    }
    lines.join("\n")
}

/// Decodes the HTML entities that occur in mail.
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find(';').filter(|&end| end <= 10);
        let decoded = end.and_then(|end| decode_entity(&after[..end]));
        match (end, decoded) {
            (Some(end), Some(ch)) => {
                out.push(ch);
                rest = &after[end + 1..];
            }
            _ => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_entity(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let code = if let Some(hex) = number.strip_prefix('x').or_else(|| number.strip_prefix('X')) {
            u32::from_str_radix(hex, 16).ok()?
        } else {
            number.parse::<u32>().ok()?
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "rsquo" | "lsquo" => '\'',
        "ldquo" | "rdquo" | "laquo" | "raquo" => '"',
        "mdash" | "ndash" | "minus" => '-',
        "middot" | "bull" => '·',
        "hellip" => '…',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "euro" => '€',
        "pound" => '£',
        "eacute" => 'é',
        "egrave" => 'è',
        "agrave" => 'à',
        "auml" => 'ä',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "Auml" => 'Ä',
        "Ouml" => 'Ö',
        "Uuml" => 'Ü',
        "szlig" => 'ß',
        "ccedil" => 'ç',
        "ntilde" => 'ñ',
        "oslash" => 'ø',
        "aring" => 'å',
        "aelig" => 'æ',
        "zwnj" | "zwj" | "shy" => '\u{200B}',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_attribution_and_angle_quotes_are_history() {
        let text = "Perfect - let's lock in tomorrow.\n\nCourtney\n\nOn Wed, Dec 2, 2026 at 2:18 PM Lena <l@x.org> wrote:\n> I'm free Thursday\n> Lena";
        let (own, quoted) = split_quoted(text);
        assert_eq!(own.trim(), "Perfect - let's lock in tomorrow.\n\nCourtney");
        assert!(quoted.contains("I'm free Thursday"));
        assert!(!quoted.lines().any(|line| line.starts_with('>')));
    }

    #[test]
    fn words_below_or_between_a_marked_quote_are_the_senders() {
        let text = "Am 01.02.27 um 15:20 schrieb Sam:\n> Any news?\n>\n>> On Jan 2, Ann wrote:\n>> old\n\nHi Sam,\n\nwe will not continue.\n\nAnn";
        let (own, quoted) = split_quoted(text);
        assert_eq!(own.trim(), "Hi Sam,\n\nwe will not continue.\n\nAnn");
        assert!(quoted.contains("Any news?") && quoted.contains("old") && !quoted.contains("continue"));
        let (own, quoted) = split_quoted("> When?\nThursday at 3.\n> Where?\nOur office.");
        assert_eq!(own, "Thursday at 3.\nOur office.");
        assert_eq!(quoted, "When?\nWhere?");
        // Unmarked history below an attribution stays history.
        let (own, quoted) = split_quoted("Yes.\n\nOn Mon, Ann wrote:\nold text\nmore");
        assert_eq!(own.trim(), "Yes.");
        assert!(quoted.contains("more"));
    }

    #[test]
    fn the_latest_quoted_message_is_the_first_one_without_its_attribution() {
        let quoted = "On Mon, Jan 11, 2027 at 6:40 PM, Sam <s@x.example> wrote:\nWould Tuesday work?\n\nOn Jan 10, Ann <a@y.example> wrote:\nPick a time.";
        assert_eq!(latest_quoted(quoted).trim(), "Would Tuesday work?");
        assert_eq!(latest_quoted("just text"), "just text");
    }

    #[test]
    fn folded_attribution_is_history() {
        let text = "Sounds good.\n\nOn Tue, Jan 26, 2027 at 8:12 PM Sam Okafor\n<sam@x.org> wrote:\nold text";
        let (own, quoted) = split_quoted(text);
        assert_eq!(own.trim(), "Sounds good.");
        assert!(quoted.contains("old text"));
    }

    #[test]
    fn outlook_header_blocks_are_history() {
        for text in [
            "Got it.\n\n________________________________\nFrom: Lena <l@x.org>\nSent: Thursday\nTo: Derek\nSubject: Code\n\nHi Derek",
            "Got it.\n\n-----Original Message-----\nFrom: Lena\nSent: Friday\n\nHi",
            "Got it.\n\nVon: Lena\nGesendet: Freitag\nAn: Derek\nBetreff: Code\n\nHallo",
        ] {
            let (own, quoted) = split_quoted(text);
            assert_eq!(own.trim(), "Got it.", "{text}");
            assert!(!quoted.is_empty());
        }
    }

    #[test]
    fn a_from_line_in_prose_is_not_a_header_block() {
        let (own, quoted) = split_quoted("From: our side, all good.\nSee you.");
        assert!(quoted.is_empty());
        assert!(own.contains("See you"));
    }

    #[test]
    fn signatures_are_split_at_the_sign_off() {
        let (own, signature) =
            split_signature("Hi Sam,\n\nWe'll decide by Friday.\n\nBest regards,\nDana\nSenior Recruiter | Tallow");
        assert_eq!(own.trim(), "Hi Sam,\n\nWe'll decide by Friday.");
        assert!(signature.contains("Senior Recruiter"));
        let (own, signature) = split_signature("Hi,\nThanks!\nWe'll decide by Friday.\n--\nDana");
        assert!(own.contains("decide by Friday"));
        assert!(signature.contains("Dana"));
    }

    #[test]
    fn html_becomes_text_without_head_or_hidden_preheader() {
        let html = "<html><head><title>T</title><style>p{}</style></head><body><span style=\"display:none\">pre</span><p>Hi&nbsp;Lena,</p><p>We&rsquo;re <b>pleased</b> to offer</p><blockquote><p>old</p></blockquote></body></html>";
        let text = html_to_text(html);
        assert!(text.starts_with("Hi Lena,"), "{text}");
        assert!(text.contains("We're pleased to offer"));
        assert!(text.contains("> old"));
        assert!(!text.contains("pre"));
        assert!(!text.lines().any(|line| line == "T"), "the title is dropped: {text}");
    }

    #[test]
    fn entities_decode_and_unknown_ones_stay() {
        assert_eq!(decode_entities("a &amp; b &#233; &#x41; &bogus; & c"), "a & b é A &bogus; & c");
    }

    #[test]
    fn normalize_replaces_typography() {
        assert_eq!(normalize("We\u{2019}ll \u{2013} \u{201C}x\u{201D}\r\n"), "We'll - \"x\"\n");
    }
}

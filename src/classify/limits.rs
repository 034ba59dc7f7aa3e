//! The structural pre-check: a cheap look at a message's raw bytes before the MIME
//! parser sees it, refusing shapes that no real mail has and that cost the parser (or
//! the classifier after it) memory or stack out of proportion to the message's size.
//!
//! Why: mail-parser keeps, for every message nested inside a base64- or
//! quoted-printable-encoded `message/rfc822` part, its own copy of the whole decoded
//! part, so a chain of nested messages hidden in one encoded part costs memory
//! quadratic in its size (issue 9: 380 KB → 1.4 GB); and a chain of a few thousand
//! plain nested messages overflows the stack in the recursive walk over the parsed
//! tree. Both abort the process, which no `catch_unwind` can stop.
//!
//! How: the walk of mail-parser 0.11's own `parse_` loop (its state stack of multiparts
//! and nested messages, a `multipart/digest` part without a Content-Type being a
//! message), made from mail-parser's own pieces wherever the reading of bytes is
//! decided: each header section is read by `MessageStream::parse_headers` with the
//! classifier's parser ([`crate::classify::parser`]), so a Content-Type is whatever the
//! parser takes for one (comments, spaces, quotes, RFC 2231 `boundary*0=` continuations,
//! odd field names) and nothing else; an encoded `message/*` part is decoded by the
//! parser's own decoders (up to its three levels; it does not parse deeper ones) and
//! walked the same way, counting the messages nested inside it. Only bodies are skipped
//! instead of decoded: every one of the parser's body readers ends a part at the first
//! `--boundary` after it (anywhere on a line, as they do), which a substring search
//! finds. An earlier line-based scan that read Content-Type by hand was bypassed by
//! `message/rfc822 (fwd)`, `message / rfc822`, a quoted type and a split boundary.
//! Inside encoded content, where the cost is quadratic, any Content-Type that mentions
//! `message/` counts as a nested message even when the parser would not take it for one.
//!
//! Time is linear in the size (each header section is read once, each body skipped
//! once, each encoded level decoded once); memory is one decoded copy per encoded level
//! and one header section's parsed fields at a time (at most [`Limits::max_header_bytes`]
//! of it is ever given to the parser).
//!
//! It does not decode text, charsets or attachments, and it does not decide what a
//! message means: it only says whether the parser may look at it. Pure: no I/O.

/// The shapes a message may have. [`LIMITS`] are the ones debrief uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of the whole message.
    pub max_message_bytes: usize,
    /// Bytes of one header section (the message's, or a part's).
    pub max_header_bytes: usize,
    /// Fields in one header section.
    pub max_header_fields: usize,
    /// Multipart and message levels, one inside the other.
    pub max_depth: usize,
    /// Parts in the whole message, nested messages' parts included.
    pub max_parts: usize,
    /// Messages nested inside encoded `message/*` parts, all of them together.
    pub max_encoded_messages: usize,
}

/// The limits debrief reads mail with, chosen far above real mail (ARCHITECTURE.md,
/// "Poison mail", says why each is safe) and far below what hurts: at these limits the
/// parser and the classifier stay within a few hundred MiB and a few hundred KiB of stack.
pub const LIMITS: Limits = Limits {
    max_message_bytes: 64 * 1024 * 1024,
    max_header_bytes: 512 * 1024,
    max_header_fields: 1_000,
    max_depth: 32,
    max_parts: 1_000,
    max_encoded_messages: 8,
};

/// mail-parser parses encoded `message/*` parts this many levels deep, and treats deeper
/// ones as opaque attachments (its `MAX_NESTED_ENCODED`).
const PARSER_ENCODED_LEVELS: usize = 3;

/// Why a message was refused, in words for `debrief inbox`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("it is longer than the {limit} bytes debrief reads")]
    TooLarge { limit: usize },
    #[error("a header section is longer than {limit} bytes")]
    HeaderTooLong { limit: usize },
    #[error("a header section has more than {limit} fields")]
    TooManyHeaderFields { limit: usize },
    #[error("its parts are nested more than {limit} levels deep")]
    TooDeep { limit: usize },
    #[error("it has more than {limit} parts")]
    TooManyParts { limit: usize },
    #[error(
        "its encoded message/rfc822 parts hold more than {limit} nested messages (a shape that exhausts the parser's memory)"
    )]
    TooManyEncodedMessages { limit: usize },
    /// The parser's header reader or a decoder panicked on it: the parser would too.
    #[error("the MIME parser fails on its structure")]
    ParserFails,
}

/// Checks `raw` against `limits`. See the module docs.
pub fn check(raw: &[u8], limits: &Limits) -> Result<(), Refusal> {
    if raw.len() > limits.max_message_bytes {
        return Err(Refusal::TooLarge { limit: limits.max_message_bytes });
    }
    // The walk runs pieces of the parser, outside the classifier's own guard: a panic in
    // them refuses the message instead of unwinding through the caller.
    std::panic::catch_unwind(|| Walk::new(limits).message(raw, 0, 0)).unwrap_or(Err(Refusal::ParserFails))
}

/// What the walk counted over a whole message, with no limit: for the tests that hold
/// the pre-check against the parser's own tree.
#[cfg(test)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    pub parts: usize,
    pub depth: usize,
    pub encoded_messages: usize,
}

#[cfg(test)]
pub(crate) fn shape(raw: &[u8]) -> Shape {
    let unlimited = Limits {
        max_message_bytes: usize::MAX,
        max_header_bytes: usize::MAX,
        max_header_fields: usize::MAX,
        max_depth: usize::MAX,
        max_parts: usize::MAX,
        max_encoded_messages: usize::MAX,
    };
    let mut walk = Walk::new(&unlimited);
    walk.message(raw, 0, 0).expect("no limit to cross");
    Shape { parts: walk.parts, depth: walk.deepest, encoded_messages: walk.encoded_messages }
}

/// How the parser treats a part's body (its `MimeType`, reduced to what the walk needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A nested message (`message/rfc822`, `message/global`, or a digest's part without
    /// a Content-Type); also the top of a message.
    Message,
    /// A `multipart/digest`, whose parts without a Content-Type are messages.
    Digest,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    None,
    Base64,
    QuotedPrintable,
}

/// What a part's header says about its body, as the parser reads it.
struct PartHeader {
    /// `None` without a Content-Type the parser can read.
    kind: Option<Kind>,
    multipart: bool,
    /// The `boundary` parameter, when there is one and it is not empty.
    boundary: Option<Vec<u8>>,
    encoding: Encoding,
    /// One of the part's Content-Type fields mentions `message/`, whatever the parser
    /// makes of it.
    mentions_message: bool,
}

/// One level of the parser's state stack: the multipart or message being read, and the
/// boundary that ends its parts.
struct Frame {
    kind: Kind,
    boundary: Option<Vec<u8>>,
}

struct Walk<'l> {
    limits: &'l Limits,
    parts: usize,
    /// The deepest level reached, for [`shape`].
    #[cfg_attr(not(test), allow(dead_code))]
    deepest: usize,
    encoded_messages: usize,
}

impl<'l> Walk<'l> {
    fn new(limits: &'l Limits) -> Self {
        Walk { limits, parts: 0, deepest: 0, encoded_messages: 0 }
    }

    /// mail-parser's `parse_` over `data` (a whole message, or an encoded part's decoded
    /// bytes), building nothing. `depth`: the levels above `data`'s top; `encoded_level`:
    /// the encoded message parts it is inside.
    fn message(&mut self, data: &[u8], depth: usize, encoded_level: usize) -> Result<(), Refusal> {
        let mut pos = 0;
        let mut state = Frame { kind: Kind::Message, boundary: None };
        // The enclosing levels; `true` for a level left for a nested message, which the
        // parser restores when that message ends (`false`: left for a multipart's part).
        let mut stack: Vec<(Frame, bool)> = Vec::new();
        let mut first = true;
        loop {
            let Some(header) = self.header(data, &mut pos)? else {
                // The parser's "message without a body": a first header section that the
                // data ends inside is still one part (counted whenever there is data, so
                // never fewer than the parser's).
                if first && !data.is_empty() {
                    self.count_part()?;
                }
                return Ok(());
            };
            first = false;
            self.count_part()?;
            // A digest's part without a (readable) Content-Type is a message.
            let mut kind = header.kind.unwrap_or(if state.kind == Kind::Digest { Kind::Message } else { Kind::Other });
            if header.multipart
                && let Some(boundary) = header.boundary
            {
                // The parser's `seek_next_part`: a multipart whose boundary never occurs
                // is read as text.
                if let Some(after) = find_delimiter(data, pos, &boundary) {
                    pos = after;
                    stack.push((state, false));
                    self.descend(depth + stack.len())?;
                    state = Frame { kind, boundary: Some(boundary) };
                    pos += skip_crlf(&data[pos..]);
                    continue;
                }
                kind = Kind::Other;
            }
            if encoded_level > 0 && (kind == Kind::Message || header.mentions_message) {
                // Inside encoded content: the parser gives this nested message its own
                // copy of the whole decoded part.
                self.encoded_messages += 1;
                if self.encoded_messages > self.limits.max_encoded_messages {
                    return Err(Refusal::TooManyEncodedMessages { limit: self.limits.max_encoded_messages });
                }
            }
            if kind == Kind::Message && header.encoding == Encoding::None {
                // A nested message's header follows at once; it takes over the boundary.
                let boundary = state.boundary.take();
                stack.push((state, true));
                self.descend(depth + stack.len())?;
                state = Frame { kind: Kind::Message, boundary };
                continue;
            }
            // The body, up to the boundary of the level being read.
            let boundary = state.boundary.as_deref().unwrap_or_default();
            let body_end = if kind == Kind::Message {
                let mut stream = mail_parser::parsers::MessageStream::new(&data[pos..]);
                let (end, decoded) = match header.encoding {
                    Encoding::Base64 => stream.decode_base64_mime(boundary),
                    _ => stream.decode_quoted_printable_mime(boundary),
                };
                if end == usize::MAX {
                    None
                } else {
                    pos += stream.offset();
                    if encoded_level < PARSER_ENCODED_LEVELS {
                        self.descend(depth + stack.len() + 1)?;
                        self.message(&decoded, depth + stack.len() + 1, encoded_level + 1)?;
                    }
                    Some(())
                }
            } else if boundary.is_empty() {
                pos = data.len();
                Some(())
            } else {
                find_delimiter(data, pos, boundary).map(|after| pos = after)
            };
            if body_end.is_none() {
                // The parser's recovery (`seek_part_end`): the next delimiter, or the end
                // without one, which forgets the boundary.
                match state.boundary.as_deref().and_then(|boundary| find_delimiter(data, pos, boundary)) {
                    Some(after) => pos = after,
                    None => {
                        pos = data.len();
                        state.boundary = None;
                    }
                }
            }
            if state.boundary.is_none() {
                if pos >= data.len() {
                    return Ok(());
                }
                continue;
            }
            // After a part: leave the nested messages and multiparts that end here.
            loop {
                if state.kind == Kind::Message {
                    match stack.pop() {
                        Some((mut parent, true)) => {
                            parent.boundary = state.boundary.take();
                            state = parent;
                        }
                        // The parser gives up on the rest.
                        _ => return Ok(()),
                    }
                }
                let mut stream = mail_parser::parsers::MessageStream::new(&data[pos..]);
                let closed = stream.is_multipart_end();
                pos += stream.offset();
                if !closed {
                    break;
                }
                let Some((parent, _)) = stack.pop() else { return Ok(()) };
                state = parent;
                match state.boundary.as_deref().and_then(|boundary| find_delimiter(data, pos, boundary)) {
                    Some(after) => pos = after,
                    None => return Ok(()),
                }
            }
        }
    }

    fn count_part(&mut self) -> Result<(), Refusal> {
        self.parts += 1;
        if self.parts > self.limits.max_parts {
            return Err(Refusal::TooManyParts { limit: self.limits.max_parts });
        }
        Ok(())
    }

    fn descend(&mut self, depth: usize) -> Result<(), Refusal> {
        self.deepest = self.deepest.max(depth);
        if depth > self.limits.max_depth {
            return Err(Refusal::TooDeep { limit: self.limits.max_depth });
        }
        Ok(())
    }

    /// Reads the header section at `pos` with the parser's own header reader and moves
    /// `pos` to its body; `None` when the data ends first (the parser stops there too).
    /// The parser sees at most [`Limits::max_header_bytes`] of it, so a longer section
    /// costs no more than that to refuse.
    fn header(&self, data: &[u8], pos: &mut usize) -> Result<Option<PartHeader>, Refusal> {
        use mail_parser::{GetHeader as _, HeaderName, HeaderValue};
        let window_end = data.len().min(pos.saturating_add(self.limits.max_header_bytes));
        let window = &data[*pos..window_end];
        let mut stream = mail_parser::parsers::MessageStream::new(window);
        let mut fields = Vec::new();
        if !stream.parse_headers(crate::classify::parser(), &mut fields) {
            if window_end < data.len() {
                return Err(Refusal::HeaderTooLong { limit: self.limits.max_header_bytes });
            }
            return Ok(None);
        }
        if fields.len() > self.limits.max_header_fields {
            return Err(Refusal::TooManyHeaderFields { limit: self.limits.max_header_fields });
        }
        *pos += stream.offset();
        let content_type = fields.header_value(&HeaderName::ContentType).and_then(HeaderValue::as_content_type);
        let (multipart, kind) = match content_type {
            Some(content_type) => match (content_type.ctype(), content_type.subtype()) {
                ("multipart", Some("digest")) => (true, Some(Kind::Digest)),
                ("multipart", _) => (true, Some(Kind::Other)),
                ("message", Some("rfc822" | "global")) => (false, Some(Kind::Message)),
                _ => (false, Some(Kind::Other)),
            },
            None => (false, None),
        };
        let boundary = content_type
            .and_then(|content_type| content_type.attribute("boundary"))
            .filter(|boundary| !boundary.is_empty())
            .map(|boundary| boundary.as_bytes().to_vec());
        let encoding = match fields.header_value(&HeaderName::ContentTransferEncoding) {
            Some(HeaderValue::Text(encoding)) if encoding.eq_ignore_ascii_case("base64") => Encoding::Base64,
            Some(HeaderValue::Text(encoding)) if encoding.eq_ignore_ascii_case("quoted-printable") => {
                Encoding::QuotedPrintable
            }
            _ => Encoding::None,
        };
        let mentions_message = fields.iter().any(|field| {
            field.name == HeaderName::ContentType
                && window
                    .get(field.offset_start as usize..field.offset_end as usize)
                    .is_some_and(|value| value.windows(8).any(|bytes| bytes.eq_ignore_ascii_case(b"message/")))
        });
        Ok(Some(PartHeader { kind, multipart, boundary, encoding, mentions_message }))
    }
}

/// The position after the first `--boundary` at or after `from`, anywhere on a line: where
/// each of the parser's body readers (`mime_part`, the base64 and quoted-printable
/// decoders, `seek_part_end`, `seek_next_part`) stops.
fn find_delimiter(data: &[u8], from: usize, boundary: &[u8]) -> Option<usize> {
    let delimiter = [b"--", boundary].concat();
    let found = memchr::memmem::find(data.get(from..)?, &delimiter)?;
    Some(from + found + delimiter.len())
}

/// The parser's `skip_crlf` after a multipart's first delimiter: spaces, tabs and CRs,
/// then one LF.
fn skip_crlf(data: &[u8]) -> usize {
    let mut stream = mail_parser::parsers::MessageStream::new(data);
    stream.skip_crlf();
    stream.offset()
}

#[cfg(test)]
mod tests;

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
//! How: one pass over the lines, recursive over the MIME structure (multipart
//! boundaries and nested messages, as mail-parser reads them: a part of a
//! `multipart/digest` without a Content-Type is a message), counting header fields,
//! header bytes, parts and depth, and stopping at the first limit crossed. An encoded
//! `message/*` part is decoded (up to mail-parser's own three levels; it does not parse
//! deeper ones) and scanned the same way, counting the messages nested inside it. Time is
//! linear in the size (each line is compared with at most [`Limits::max_depth`]
//! boundaries; each encoded level is decoded once); memory is one decoded copy per
//! encoded level.
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
/// The longest Content-Type value kept to look for a boundary; the rest is skipped.
const MAX_CONTENT_TYPE_BYTES: usize = 8 * 1024;

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
}

/// Checks `raw` against `limits`. See the module docs.
pub fn check(raw: &[u8], limits: &Limits) -> Result<(), Refusal> {
    if raw.len() > limits.max_message_bytes {
        return Err(Refusal::TooLarge { limit: limits.max_message_bytes });
    }
    let mut walk = Walk { limits, parts: 0, encoded_messages: 0 };
    walk.entity(&mut Lines::new(raw), &mut Vec::new(), 0, 0, false)
}

/// Lines of a byte slice, without their line ends (LF or CRLF).
struct Lines<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Lines<'a> {
    fn new(data: &'a [u8]) -> Self {
        Lines { data, pos: 0 }
    }

    /// The next line and the position after it (its line end included).
    fn peek(&self) -> Option<(&'a [u8], usize)> {
        let rest = self.data.get(self.pos..).filter(|rest| !rest.is_empty())?;
        Some(match rest.iter().position(|&byte| byte == b'\n') {
            Some(end) => {
                let line = &rest[..end];
                (line.strip_suffix(b"\r").unwrap_or(line), self.pos + end + 1)
            }
            None => (rest, self.data.len()),
        })
    }

    fn next(&mut self) -> Option<&'a [u8]> {
        let (line, after) = self.peek()?;
        self.pos = after;
        Some(line)
    }
}

/// What a part's header says about its body.
enum Body {
    Multipart { boundary: Vec<u8>, digest: bool },
    Message,
    Other,
}

struct Header {
    body: Body,
    /// base64 or quoted-printable.
    encoding: Option<Encoding>,
}

#[derive(Clone, Copy)]
enum Encoding {
    Base64,
    QuotedPrintable,
}

/// A boundary delimiter line: which boundary of the stack (an index) and whether it
/// closes its multipart (`--boundary--`).
fn delimiter(line: &[u8], boundaries: &[Vec<u8>]) -> Option<(usize, bool)> {
    let rest = line.strip_prefix(b"--")?;
    boundaries.iter().enumerate().rev().find_map(|(index, boundary)| {
        rest.strip_prefix(boundary.as_slice()).map(|after| (index, after.starts_with(b"--")))
    })
}

struct Walk<'l> {
    limits: &'l Limits,
    parts: usize,
    encoded_messages: usize,
}

impl Walk<'_> {
    /// One entity (a message or a part): its header, then its body, up to a delimiter of
    /// `boundaries` (not consumed) or the end. `in_digest`: a part of a multipart/digest,
    /// a message unless its header says otherwise.
    fn entity(
        &mut self,
        lines: &mut Lines<'_>,
        boundaries: &mut Vec<Vec<u8>>,
        depth: usize,
        encoded_level: usize,
        in_digest: bool,
    ) -> Result<(), Refusal> {
        self.parts += 1;
        if self.parts > self.limits.max_parts {
            return Err(Refusal::TooManyParts { limit: self.limits.max_parts });
        }
        if depth > self.limits.max_depth {
            return Err(Refusal::TooDeep { limit: self.limits.max_depth });
        }
        let header = self.header(lines, boundaries, in_digest)?;
        match header.body {
            Body::Multipart { boundary, digest } => {
                let own = boundaries.len();
                boundaries.push(boundary);
                let result = self.multipart(lines, boundaries, own, depth, encoded_level, digest);
                boundaries.truncate(own);
                result
            }
            Body::Message => {
                if encoded_level > 0 {
                    // Inside an encoded message: the parser gives this nested message its
                    // own copy of the whole decoded part.
                    self.encoded_messages += 1;
                    if self.encoded_messages > self.limits.max_encoded_messages {
                        return Err(Refusal::TooManyEncodedMessages { limit: self.limits.max_encoded_messages });
                    }
                }
                match header.encoding {
                    None => self.entity(lines, boundaries, depth + 1, encoded_level, false),
                    Some(encoding) => {
                        let start = lines.pos;
                        skip_body(lines, boundaries);
                        if encoded_level >= PARSER_ENCODED_LEVELS {
                            return Ok(());
                        }
                        let decoded = decode(&lines.data[start..lines.pos], encoding);
                        let mut inner = Lines::new(&decoded);
                        self.entity(&mut inner, &mut Vec::new(), depth + 1, encoded_level + 1, false)
                    }
                }
            }
            Body::Other => {
                skip_body(lines, boundaries);
                Ok(())
            }
        }
    }

    /// The body of a multipart whose boundary is `boundaries[own]`: preamble, parts,
    /// epilogue. Stops before a delimiter of an enclosing multipart.
    fn multipart(
        &mut self,
        lines: &mut Lines<'_>,
        boundaries: &mut Vec<Vec<u8>>,
        own: usize,
        depth: usize,
        encoded_level: usize,
        digest: bool,
    ) -> Result<(), Refusal> {
        loop {
            skip_body(lines, boundaries);
            let Some((line, _)) = lines.peek() else { return Ok(()) };
            match delimiter(line, boundaries) {
                Some((index, false)) if index == own => {
                    lines.next();
                    self.entity(lines, boundaries, depth + 1, encoded_level, digest)?;
                }
                Some((index, true)) if index == own => {
                    lines.next();
                    // The epilogue, up to the enclosing multipart's next delimiter.
                    boundaries.truncate(own);
                    skip_body(lines, boundaries);
                    return Ok(());
                }
                // An enclosing multipart's delimiter ends this one too.
                _ => return Ok(()),
            }
        }
    }

    /// Reads a header section up to its empty line (consumed) or a delimiter (not).
    fn header(&self, lines: &mut Lines<'_>, boundaries: &[Vec<u8>], in_digest: bool) -> Result<Header, Refusal> {
        let mut bytes = 0usize;
        let mut fields = 0usize;
        let mut content_type: Option<Vec<u8>> = None;
        let mut encoding = None;
        // Whether a folded line continues the Content-Type field.
        let mut in_content_type = false;
        while let Some((line, after)) = lines.peek() {
            if delimiter(line, boundaries).is_some() {
                break;
            }
            bytes += after - lines.pos;
            lines.pos = after;
            if line.is_empty() {
                break;
            }
            if bytes > self.limits.max_header_bytes {
                return Err(Refusal::HeaderTooLong { limit: self.limits.max_header_bytes });
            }
            if line[0] == b' ' || line[0] == b'\t' {
                if in_content_type && let Some(value) = content_type.as_mut() {
                    append_capped(value, line);
                }
                continue;
            }
            fields += 1;
            if fields > self.limits.max_header_fields {
                return Err(Refusal::TooManyHeaderFields { limit: self.limits.max_header_fields });
            }
            in_content_type = false;
            let Some(colon) = line.iter().position(|&byte| byte == b':') else { continue };
            let name = line[..colon].trim_ascii();
            let value = &line[colon + 1..];
            if name.eq_ignore_ascii_case(b"content-type") {
                let mut kept = Vec::new();
                append_capped(&mut kept, value);
                content_type = Some(kept);
                in_content_type = true;
            } else if name.eq_ignore_ascii_case(b"content-transfer-encoding") {
                let value = value.trim_ascii();
                encoding = if value.eq_ignore_ascii_case(b"base64") {
                    Some(Encoding::Base64)
                } else if value.eq_ignore_ascii_case(b"quoted-printable") {
                    Some(Encoding::QuotedPrintable)
                } else {
                    None
                };
            }
        }
        let body = match content_type {
            None if in_digest => Body::Message,
            None => Body::Other,
            Some(value) => body_of(&value),
        };
        Ok(Header { body, encoding })
    }
}

fn append_capped(value: &mut Vec<u8>, more: &[u8]) {
    let room = MAX_CONTENT_TYPE_BYTES.saturating_sub(value.len());
    value.extend_from_slice(&more[..more.len().min(room)]);
}

/// What a Content-Type value says the body is, as mail-parser reads it.
fn body_of(value: &[u8]) -> Body {
    let original = value.trim_ascii();
    let lower = original.to_ascii_lowercase();
    let media = lower.split(|&byte| byte == b';').next().unwrap_or_default().trim_ascii();
    if let Some(subtype) = media.strip_prefix(b"multipart/") {
        // Without a boundary, the parser reads a multipart as text.
        return match boundary_of(&lower, original) {
            Some(boundary) => Body::Multipart { boundary, digest: subtype.trim_ascii() == b"digest" },
            None => Body::Other,
        };
    }
    if media == b"message/rfc822" || media == b"message/global" { Body::Message } else { Body::Other }
}

/// The `boundary` parameter (quoted or not) of `original`; `None` when absent or empty.
/// `lower` is the same value in lower case, to find the parameter's name; the boundary
/// itself keeps its case.
fn boundary_of(lower: &[u8], original: &[u8]) -> Option<Vec<u8>> {
    let at = lower.windows(9).position(|window| window == b"boundary=")? + 9;
    let rest = &original[at..];
    let boundary = match rest.strip_prefix(b"\"") {
        Some(quoted) => &quoted[..quoted.iter().position(|&byte| byte == b'"').unwrap_or(quoted.len())],
        None => {
            let end = rest.iter().position(|&byte| byte == b';' || byte.is_ascii_whitespace()).unwrap_or(rest.len());
            &rest[..end]
        }
    };
    Some(boundary.to_vec()).filter(|boundary| !boundary.is_empty())
}

/// Skips lines up to a delimiter of `boundaries` (not consumed) or the end.
fn skip_body(lines: &mut Lines<'_>, boundaries: &[Vec<u8>]) {
    while let Some((line, after)) = lines.peek() {
        if delimiter(line, boundaries).is_some() {
            return;
        }
        lines.pos = after;
    }
}

/// Decodes leniently: base64 ignoring anything outside its alphabet, quoted-printable
/// keeping what is not a valid escape. An over-approximation of what the parser sees is
/// enough here.
fn decode(body: &[u8], encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Base64 => {
            let mut out = Vec::with_capacity(body.len() / 4 * 3);
            let (mut bits, mut count) = (0u32, 0u32);
            for &byte in body {
                let value = match byte {
                    b'A'..=b'Z' => byte - b'A',
                    b'a'..=b'z' => byte - b'a' + 26,
                    b'0'..=b'9' => byte - b'0' + 52,
                    b'+' => 62,
                    b'/' => 63,
                    _ => continue,
                };
                bits = (bits << 6) | u32::from(value);
                count += 6;
                if count >= 8 {
                    count -= 8;
                    out.push((bits >> count) as u8);
                    bits &= (1 << count) - 1;
                }
            }
            out
        }
        Encoding::QuotedPrintable => {
            let mut out = Vec::with_capacity(body.len());
            let mut index = 0;
            while index < body.len() {
                let byte = body[index];
                if byte == b'=' {
                    let rest = &body[index + 1..];
                    if rest.starts_with(b"\r\n") {
                        index += 3;
                        continue;
                    }
                    if rest.starts_with(b"\n") {
                        index += 2;
                        continue;
                    }
                    if let (Some(high), Some(low)) =
                        (rest.first().and_then(|b| hex(*b)), rest.get(1).and_then(|b| hex(*b)))
                    {
                        out.push(high << 4 | low);
                        index += 3;
                        continue;
                    }
                }
                out.push(byte);
                index += 1;
            }
            out
        }
    }
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|digit| digit as u8)
}

#[cfg(test)]
mod tests;

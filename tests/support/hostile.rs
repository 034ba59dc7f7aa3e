//! A generator of hostile mail: the shapes that break parsers and injection filters,
//! written from scratch (no real message is copied). Deterministic for a seed, so a
//! failure names the message that caused it.
//!
//! Used by `tests/poison.rs` (a few hundred messages through the real binary under a
//! memory limit) and by `examples/hostile_mail.rs` (writes them to disk, and the
//! "nested `message/rfc822` inside an encoded part" poison at a chosen size, to measure
//! the parser's memory).

#![allow(dead_code)]

/// One generated message: a short name that says what it is, and its bytes.
pub struct Hostile {
    pub name: String,
    pub raw: Vec<u8>,
}

/// The shapes, one per generator below.
pub const SHAPES: &[&str] = &[
    "truncated",
    "broken_boundary",
    "broken_charset",
    "deep_multipart",
    "deep_rfc822",
    "encoded_rfc822_chain",
    "disguised_rfc822_chain",
    "many_parts",
    "huge_header",
    "many_headers",
    "nul_bytes",
    "header_injection",
    "bare_cr_lf",
];

/// `count` hostile messages from `seed`, the shapes in turn with random sizes.
pub fn generate(seed: u64, count: usize) -> Vec<Hostile> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..count)
        .map(|index| {
            let shape = SHAPES[index % SHAPES.len()];
            let raw = make(shape, index, &mut rng);
            Hostile { name: format!("{index:04}-{shape}"), raw }
        })
        .collect()
}

fn make(shape: &str, index: usize, rng: &mut fastrand::Rng) -> Vec<u8> {
    match shape {
        "truncated" => {
            let whole = plain_recruiting_mail(index, rng);
            let cut = rng.usize(1..whole.len());
            whole[..cut].to_vec()
        }
        "broken_boundary" => broken_boundary(index, rng),
        "broken_charset" => broken_charset(index, rng),
        "deep_multipart" => deep_multipart(index, rng.usize(5..2_000)),
        "deep_rfc822" => deep_rfc822(index, rng.usize(5..5_000)),
        "encoded_rfc822_chain" => {
            // Small ones: the test's memory limit must hold with the defence in place,
            // and the big poison (hundreds of KB) is what `poison_message` makes.
            let base64 = rng.bool();
            encoded_rfc822_chain(index, rng.usize(10..400), base64)
        }
        "disguised_rfc822_chain" => {
            let disguise = DISGUISES[rng.usize(..DISGUISES.len())];
            disguised_rfc822_chain(index, rng.usize(10..400), rng.bool(), disguise)
        }
        "many_parts" => many_parts(index, rng.usize(200..5_000)),
        "huge_header" => huge_header(index, rng),
        "many_headers" => many_headers(index, rng.usize(200..10_000)),
        "nul_bytes" => nul_bytes(index, rng),
        "header_injection" => header_injection(index, rng),
        "bare_cr_lf" => bare_cr_lf(index, rng),
        other => unreachable!("unknown shape {other}"),
    }
}

/// The headers of an ordinary employer message; `extra` goes after them.
fn headers(index: usize, subject: &str, extra: &str) -> String {
    format!(
        "From: Recruiting Team <talent@hostile{index}.example>\r\n\
         To: Sam Seeker <sam@rig.test>\r\n\
         Subject: {subject}\r\n\
         Date: Tue, 01 Dec 2026 09:{:02}:00 -0600\r\n\
         Message-ID: <hostile-{index}@hostile{index}.example>\r\n\
         MIME-Version: 1.0\r\n{extra}",
        index % 60
    )
}

fn plain_recruiting_mail(index: usize, rng: &mut fastrand::Rng) -> Vec<u8> {
    let boundary = format!("b{}", rng.u32(..));
    format!(
        "{}Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n\
         --{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hi Sam,\r\n\r\nThank you for applying to the Platform Engineer role. We would like to\r\n\
         invite you to a video interview on Thursday, December 3 at 2:00 PM CST with\r\n\
         Jordan Reyes.\r\n\r\nBest,\r\nThe recruiting team\r\n\
         --{boundary}\r\nContent-Type: application/pdf; name=\"details.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K\r\n\
         --{boundary}--\r\n",
        headers(index, "Interview invitation: Platform Engineer", "")
    )
    .into_bytes()
}

fn broken_boundary(index: usize, rng: &mut fastrand::Rng) -> Vec<u8> {
    let variant = rng.usize(..5);
    let (content_type, body) = match variant {
        // A boundary that never appears.
        0 => ("multipart/mixed; boundary=\"nowhere\"".to_owned(), "--elsewhere\r\n\r\ntext\r\n".to_owned()),
        // An empty boundary.
        1 => ("multipart/alternative; boundary=\"\"".to_owned(), "--\r\nContent-Type: text/plain\r\n\r\nhi\r\n----\r\n".to_owned()),
        // Parts opened and never closed, nested boundaries that are prefixes of each other.
        2 => (
            "multipart/mixed; boundary=\"a\"".to_owned(),
            "--a\r\nContent-Type: multipart/mixed; boundary=\"aa\"\r\n\r\n--aa\r\nContent-Type: multipart/mixed; boundary=\"aaa\"\r\n\r\n--aaa\r\n--a\r\n--aa--\r\n".to_owned(),
        ),
        // No boundary parameter at all.
        3 => ("multipart/related".to_owned(), "--x\r\nContent-Type: text/html\r\n\r\n<p>hi\r\n--x--\r\n".to_owned()),
        // A boundary of 5,000 characters.
        _ => {
            let long = "z".repeat(5_000);
            (format!("multipart/mixed; boundary=\"{long}\""), format!("--{long}\r\nContent-Type: text/plain\r\n\r\nhi\r\n--{long}--\r\n"))
        }
    };
    format!("{}Content-Type: {content_type}\r\n\r\n{body}", headers(index, "Re: your application", "")).into_bytes()
}

fn broken_charset(index: usize, rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut raw = headers(
        index,
        "=?x-no-such-charset?B?!!!not base64!!!?= =?utf-8?Q?=FF=FE=broken?= =?utf-7?B?K2ZcMHVYLQ==?=",
        "Content-Type: text/plain; charset=\"iso-2022-jp\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n",
    )
    .into_bytes();
    // Escape sequences cut in the middle, invalid UTF-8, soft breaks at the end.
    raw.extend_from_slice(b"\x1b$B\x1b(\xff\xfe\xc3\x28 =E9=\r\n=ZZ =\r\n");
    for _ in 0..rng.usize(1..200) {
        raw.push(rng.u8(..));
    }
    raw
}

fn deep_multipart(index: usize, depth: usize) -> Vec<u8> {
    let mut raw = headers(index, "Nested", "Content-Type: multipart/mixed; boundary=\"d0\"\r\n\r\n");
    for level in 1..depth {
        raw.push_str(&format!("--d{}\r\nContent-Type: multipart/mixed; boundary=\"d{level}\"\r\n\r\n", level - 1));
    }
    raw.push_str(&format!("--d{}\r\nContent-Type: text/plain\r\n\r\ndeep\r\n", depth - 1));
    for level in (0..depth).rev() {
        raw.push_str(&format!("--d{level}--\r\n"));
    }
    raw.into_bytes()
}

/// `depth` messages each forwarded inside the next, as plain (unencoded) parts.
fn deep_rfc822(index: usize, depth: usize) -> Vec<u8> {
    let mut raw = headers(index, "Fwd: Fwd: Fwd:", "Content-Type: message/rfc822\r\n\r\n");
    raw.push_str(&rfc822_chain(depth));
    raw.into_bytes()
}

/// A chain of `depth` nested `message/rfc822` messages, the innermost with a line of text.
fn rfc822_chain(depth: usize) -> String {
    let mut chain = String::new();
    for level in 0..depth {
        chain.push_str(&format!("Subject: level {level}\r\nContent-Type: message/rfc822\r\n\r\n"));
    }
    chain.push_str("Subject: the last\r\n\r\nhello\r\n");
    chain
}

/// The poison of issue 9: a part whose transfer encoding (base64 or quoted-printable)
/// hides a chain of `depth` nested `message/rfc822` messages.
pub fn encoded_rfc822_chain(index: usize, depth: usize, base64: bool) -> Vec<u8> {
    let inner = format!("Subject: forwarded\r\nContent-Type: message/rfc822\r\n\r\n{}", rfc822_chain(depth));
    let (encoding, body) = if base64 {
        ("base64", base64_lines(inner.as_bytes()))
    } else {
        ("quoted-printable", quoted_printable(inner.as_bytes()))
    };
    format!(
        "{}Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n\
         --outer\r\nContent-Type: text/plain\r\n\r\nPlease see the forwarded thread.\r\n\
         --outer\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n{body}\r\n--outer--\r\n",
        headers(index, "Fwd: our conversation", "")
    )
    .into_bytes()
}

/// An encoded-chain poison of about `bytes` bytes.
pub fn poison_message(bytes: usize, base64: bool) -> Vec<u8> {
    // Each level of the chain is about 52 bytes, and base64 adds a third.
    let per_level = if base64 { 70 } else { 56 };
    encoded_rfc822_chain(0, bytes / per_level, base64)
}

/// Ways of writing the encoded chain that mail-parser reads exactly as the plain one (so
/// it costs the same memory) but that a reader of the raw lines may take for something
/// else: each one got past the first, line-based pre-check.
pub const DISGUISES: &[&str] = &[
    // `message/rfc822` with a comment after it, spaces around the slash, in quotes.
    "comment",
    "spaced",
    "quoted",
    // The chain inside a multipart whose boundary is split in RFC 2231 continuations.
    "split_boundary",
    // The same multipart, its first delimiter in the middle of a line.
    "mid_line_delimiter",
    // `Content - Type`: the parser drops the spaces in a field name.
    "spaced_field_name",
    // The transfer encoding named in an RFC 2047 encoded word, which the parser decodes.
    "encoded_word_encoding",
];

/// [`encoded_rfc822_chain`] in one of the [`DISGUISES`].
pub fn disguised_rfc822_chain(index: usize, depth: usize, base64: bool, disguise: &str) -> Vec<u8> {
    let content_type = match disguise {
        "comment" => "message/rfc822 (forwarded)",
        "spaced" => "message / rfc822",
        "quoted" => "\"message/rfc822\"",
        _ => "message/rfc822",
    };
    let field = if disguise == "spaced_field_name" { "Content - Type" } else { "Content-Type" };
    let chain = rfc822_chain(depth).replace("Content-Type: message/rfc822", &format!("{field}: {content_type}"));
    let inner = match disguise {
        "split_boundary" | "mid_line_delimiter" => {
            let opening = if disguise == "mid_line_delimiter" { "The thread follows. --" } else { "--" };
            format!(
                "Subject: forwarded\r\nContent-Type: multipart/mixed; boundary*0=\"thr\"; boundary*1=\"ead\"\r\n\r\n\
                 {opening}thread\r\nContent-Type: message/rfc822\r\n\r\n{chain}\r\n--thread--\r\n"
            )
        }
        _ => format!("Subject: forwarded\r\n{field}: {content_type}\r\n\r\n{chain}"),
    };
    let (encoding, mut body) = if base64 {
        ("base64", base64_lines(inner.as_bytes()))
    } else {
        ("quoted-printable", quoted_printable(inner.as_bytes()))
    };
    let encoding = if disguise == "encoded_word_encoding" {
        // On one line: a reader that does not see the encoding takes the body for a
        // header section, and one line is one field.
        body = if base64 { body.replace("\r\n", "") } else { body.replace("=\r\n", "").replace("\r\n", "=0D=0A") };
        format!("=?us-ascii?Q?{encoding}?=")
    } else {
        encoding.to_owned()
    };
    format!(
        "{}Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n\
         --outer\r\nContent-Type: text/plain\r\n\r\nPlease see the forwarded thread.\r\n\
         --outer\r\n{field}: {content_type}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n{body}\r\n--outer--\r\n",
        headers(index, "Fwd: our conversation", "")
    )
    .into_bytes()
}

/// A disguised encoded-chain poison of about `bytes` bytes.
pub fn disguised_poison_message(bytes: usize, base64: bool, disguise: &str) -> Vec<u8> {
    let per_level = if base64 { 70 } else { 56 };
    disguised_rfc822_chain(0, bytes / per_level, base64, disguise)
}

fn many_parts(index: usize, parts: usize) -> Vec<u8> {
    let mut raw = headers(index, "Attachments", "Content-Type: multipart/mixed; boundary=\"p\"\r\n\r\n");
    for part in 0..parts {
        raw.push_str(&format!("--p\r\nContent-Type: text/plain; name=\"f{part}.txt\"\r\n\r\n{part}\r\n"));
    }
    raw.push_str("--p--\r\n");
    raw.into_bytes()
}

fn huge_header(index: usize, rng: &mut fastrand::Rng) -> Vec<u8> {
    let size = rng.usize(10_000..1_000_000);
    let subject = "Interview ".repeat(size / 10);
    // Also an unfolded line of a megabyte and a References list of thousands of ids.
    let references: String = (0..rng.usize(100..10_000)).map(|id| format!(" <r{id}@x.example>")).collect();
    format!(
        "{}References:{references}\r\nX-Long: {}\r\n\r\nbody\r\n",
        headers(index, &subject, ""),
        "y".repeat(rng.usize(1_000..600_000))
    )
    .into_bytes()
}

fn many_headers(index: usize, count: usize) -> Vec<u8> {
    let mut raw = headers(index, "Many headers", "");
    for field in 0..count {
        raw.push_str(&format!("X-Field-{field}: value {field}\r\nReceived: from h{field}.example by x.example; Tue, 1 Dec 2026 09:00:00 +0000\r\n"));
    }
    raw.push_str("\r\nbody\r\n");
    raw.into_bytes()
}

fn nul_bytes(index: usize, rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut raw = headers(index, "Interview\0 confirmed\0", "Content-Type: text/plain\r\n")
        .replace("Recruiting Team", "Recruit\0ing\0Team")
        .into_bytes();
    raw.extend_from_slice(b"X-Nul: \0\0\0\r\n\r\nInterview on December 3\0 at 2 PM\r\n");
    raw.extend(std::iter::repeat_n(0u8, rng.usize(1..100_000)));
    raw
}

/// Subjects that try to smuggle a header (a `Bcc:`) in: encoded words that decode to
/// CR/LF or NUL, a bare CR.
pub const INJECTED_SUBJECTS: [&str; 4] = [
    "=?utf-8?Q?Interview_confirmed=0D=0ABcc:_attacker@evil.example?=",
    "=?utf-8?B?SW50ZXJ2aWV3DQpCY2M6IGF0dGFja2VyQGV2aWwuZXhhbXBsZQ==?=",
    "Interview confirmed\rBcc: attacker@evil.example",
    "=?utf-8?Q?Interview=00Bcc:_attacker@evil.example?=",
];

/// Display names that try the same: encoded CR/LF, a quoted CR/LF, NUL.
pub const INJECTED_NAMES: [&str; 4] = [
    "=?utf-8?Q?Jordan_Reyes=0D=0ABcc:_attacker@evil.example?=",
    "\"Jordan\r\nBcc: attacker@evil.example\"",
    "=?utf-8?B?Sm9yZGFuDQpCY2M6IGF0dGFja2VyQGV2aWwuZXhhbXBsZQ==?=",
    "\"Jordan\0Reyes\"",
];

fn header_injection(index: usize, rng: &mut fastrand::Rng) -> Vec<u8> {
    let subject = INJECTED_SUBJECTS[rng.usize(..INJECTED_SUBJECTS.len())];
    let name = INJECTED_NAMES[rng.usize(..INJECTED_NAMES.len())];
    injected_confirmation(index, subject, name)
}

/// An interview confirmation from `name` <jordan@hostileINDEX.example> with `subject`,
/// with a calendar invitation whose attendee's name and summary carry line breaks in
/// iCalendar's own escapes (RFC 6868 `^n`, RFC 5545 `\\n`).
pub fn injected_confirmation(index: usize, subject: &str, name: &str) -> Vec<u8> {
    let domain = format!("hostile{index}.example");
    format!(
        "From: {name} <jordan@{domain}>\r\n\
         To: Sam Seeker <sam@rig.test>\r\n\
         Subject: {subject}\r\n\
         Date: Tue, 01 Dec 2026 09:00:00 -0600\r\n\
         Message-ID: <inject-{index}@{domain}>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"inj\"\r\n\r\n\
         --inj\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hi Sam,\r\n\r\nThis confirms your interview for the Platform Engineer role on\r\n\
         Thursday, December 3, 2026 from 2:00 PM to 3:00 PM CST with {name}.\r\n\r\nJordan\r\n\
         --inj\r\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\r\n\
         BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n\
         UID:inject-{index}@{domain}\r\nDTSTAMP:20261201T150000Z\r\n\
         DTSTART;TZID=America/Chicago:20261203T140000\r\nDTEND;TZID=America/Chicago:20261203T150000\r\n\
         SUMMARY:Interview\\nBcc: attacker@evil.example\r\n\
         ORGANIZER;CN=\"Jordan^nBcc: attacker@evil.example\":mailto:jordan@{domain}\r\n\
         ATTENDEE;CN=Sam Seeker:mailto:sam@rig.test\r\n\
         ATTENDEE;CN=\"Jordan^nBcc: attacker@evil.example\";ROLE=REQ-PARTICIPANT:mailto:jordan@{domain}\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n\
         --inj--\r\n"
    )
    .into_bytes()
}

fn bare_cr_lf(index: usize, rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut raw = headers(index, "Interview\r", "Content-Type: text/plain\n").into_bytes();
    // Bare CR and bare LF line ends mixed, a header line without a colon, LF LF CR.
    raw.extend_from_slice(b"no colon here\rX-Odd:\n\tfolded\r\r\n\n\r\nbody\rline\n\r");
    for _ in 0..rng.usize(1..1000) {
        raw.push(if rng.bool() { b'\r' } else { b'\n' });
    }
    raw
}

fn base64_lines(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + bytes.len() / 38);
    for (index, chunk) in bytes.chunks(3).enumerate() {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
        if index % 19 == 18 {
            out.push_str("\r\n");
        }
    }
    out
}

fn quoted_printable(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    let mut line = 0;
    for &byte in bytes {
        let piece = match byte {
            b'\r' => String::new(),
            b'\n' => {
                line = 0;
                "\r\n".to_owned()
            }
            b'=' => "=3D".to_owned(),
            33..=126 | b' ' => (byte as char).to_string(),
            _ => format!("={byte:02X}"),
        };
        if line + piece.len() > 72 && !piece.starts_with('\r') {
            out.push_str("=\r\n");
            line = 0;
        }
        line += piece.len();
        out.push_str(&piece);
    }
    out
}

use super::*;

/// Standard base64 with lines of 76 characters.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (index, chunk) in bytes.chunks(3).enumerate() {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            out.push(if i <= chunk.len() { ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char } else { '=' });
        }
        if index % 19 == 18 {
            out.push_str("\r\n");
        }
    }
    out
}

fn quoted_printable(text: &str) -> String {
    text.replace('=', "=3D").replace("\r\n", "=0D=0A=\r\n")
}

/// A message forwarded inside another, `depth` times, without encoding.
fn plain_chain(depth: usize) -> String {
    let mut chain = String::new();
    for level in 0..depth {
        chain.push_str(&format!("Subject: level {level}\r\nContent-Type: message/rfc822\r\n\r\n"));
    }
    chain.push_str("Subject: innermost\r\n\r\nhello\r\n");
    chain
}

/// A message with one attached message whose transfer encoding hides `depth` nested
/// messages (issue 9's poison).
fn encoded_chain(depth: usize, base64_encoded: bool) -> Vec<u8> {
    let inner = format!("Subject: fwd\r\nContent-Type: message/rfc822\r\n\r\n{}", plain_chain(depth.saturating_sub(1)));
    let (encoding, body) = if base64_encoded {
        ("base64", base64(inner.as_bytes()))
    } else {
        ("quoted-printable", quoted_printable(&inner))
    };
    format!(
        "From: a@b.example\r\nSubject: fwd\r\nContent-Type: multipart/mixed; boundary=\"o\"\r\n\r\n\
         --o\r\nContent-Type: text/plain\r\n\r\nsee below\r\n\
         --o\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n{body}\r\n--o--\r\n"
    )
    .into_bytes()
}

/// A long recruiting thread as real clients write it: 60 Received lines, DKIM, a
/// References list of 150 ids, text and HTML with an inline logo, a résumé and a
/// calendar invitation attached, and the previous exchange forwarded twice: once as a
/// plain message/rfc822 part holding its own attachment and forward, once base64-encoded
/// (as some clients do) holding another forward.
fn long_real_thread() -> Vec<u8> {
    let mut raw = String::new();
    for hop in 0..60 {
        raw.push_str(&format!(
            "Received: from mx{hop}.mail.example (mx{hop}.mail.example [192.0.2.{hop}])\r\n\tby relay.mail.example with ESMTPS id {hop}abc\r\n\tfor <sam@seeker.example>; Tue, 1 Dec 2026 09:00:00 +0000\r\n"
        ));
    }
    raw.push_str(&format!("DKIM-Signature: v=1; a=rsa-sha256; d=acme.example; s=sel;\r\n\tb={}\r\n", "A".repeat(344)));
    let references: String = (0..150).map(|id| format!("\r\n <thread-{id}@acme.example>")).collect();
    raw.push_str(&format!("References:{references}\r\n"));
    raw.push_str(
        "From: Jordan Reyes <jordan@acme.example>\r\nTo: Sam Seeker <sam@seeker.example>\r\n\
         Subject: Re: Re: Re: Next steps\r\nMessage-ID: <long@acme.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed;\r\n\tboundary=\"MIXED\"\r\n\r\nThis is a MIME message.\r\n",
    );
    let pdf = base64(&vec![0x25; 300_000]);
    let forwarded_inner = "From: Lee <lee@acme.example>\r\nSubject: earlier\r\nContent-Type: multipart/mixed; boundary=\"F2\"\r\n\r\n\
         --F2\r\nContent-Type: text/plain\r\n\r\nthe earliest note\r\n\
         --F2\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@acme.example\r\nSubject: first\r\n\r\nfirst\r\n\
         --F2--\r\n";
    let encoded_forward = base64(
        format!(
            "From: Kim <kim@acme.example>\r\nSubject: schedule\r\nContent-Type: multipart/mixed; boundary=\"E1\"\r\n\r\n\
             --E1\r\nContent-Type: text/plain\r\n\r\nschedule below\r\n\
             --E1\r\nContent-Type: message/rfc822\r\n\r\n{forwarded_inner}\r\n--E1--\r\n"
        )
        .as_bytes(),
    );
    raw.push_str(&format!(
        "--MIXED\r\nContent-Type: multipart/alternative; boundary=\"ALT\"\r\n\r\n\
         --ALT\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
         Hi Sam,=0D=0A{}\r\n\
         --ALT\r\nContent-Type: multipart/related; boundary=\"REL\"\r\n\r\n\
         --REL\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hi Sam</p><img src=\"cid:logo\">\r\n\
         --REL\r\nContent-Type: image/png\r\nContent-ID: <logo>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n\
         --REL--\r\n--ALT--\r\n\
         --MIXED\r\nContent-Type: application/pdf; name=\"resume.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{pdf}\r\n\
         --MIXED\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n\
         --MIXED\r\nContent-Type: message/rfc822\r\n\r\n{forwarded_inner}\r\n\
         --MIXED\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{encoded_forward}\r\n\
         --MIXED--\r\n",
        "Thanks for your time today. ".repeat(40)
    ));
    raw.into_bytes()
}

#[test]
fn a_long_real_thread_with_attachments_and_forwards_passes() {
    let raw = long_real_thread();
    assert_eq!(check(&raw, &LIMITS), Ok(()));
    // And the parser reads all of it: the pre-check followed the same structure.
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert!(parsed.attachments().count() >= 4);
}

#[test]
fn issue_9_poison_is_refused_in_both_encodings_at_every_size() {
    for depth in [9, 100, 7_000] {
        for base64_encoded in [true, false] {
            assert_eq!(
                check(&encoded_chain(depth, base64_encoded), &LIMITS),
                Err(Refusal::TooManyEncodedMessages { limit: 8 }),
                "depth {depth}, base64 {base64_encoded}"
            );
        }
    }
    // Eight nested messages inside the encoded part are still read.
    assert_eq!(check(&encoded_chain(8, true), &LIMITS), Ok(()));
    assert_eq!(check(&encoded_chain(8, false), &LIMITS), Ok(()));
}

#[test]
fn encoded_messages_are_counted_across_sibling_parts_and_inside_a_digest() {
    // Nine attached messages, each encoded: the parser copies each one's part again.
    let mut raw = String::from("Subject: many\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n");
    let inner = base64(b"Subject: x\r\nContent-Type: message/rfc822\r\n\r\nSubject: y\r\n\r\nz\r\n");
    for _ in 0..9 {
        raw.push_str(&format!(
            "--m\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{inner}\r\n"
        ));
    }
    raw.push_str("--m--\r\n");
    assert_eq!(check(raw.as_bytes(), &LIMITS), Err(Refusal::TooManyEncodedMessages { limit: 8 }));

    // A digest's parts without a Content-Type are messages.
    let digest: String = (0..9).map(|n| format!("--d\r\n\r\nSubject: {n}\r\n\r\nbody\r\n")).collect();
    let inner = base64(
        format!("Subject: digest\r\nContent-Type: multipart/digest; boundary=\"d\"\r\n\r\n{digest}--d--\r\n")
            .as_bytes(),
    );
    let raw =
        format!("Subject: s\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{inner}\r\n");
    assert_eq!(check(raw.as_bytes(), &LIMITS), Err(Refusal::TooManyEncodedMessages { limit: 8 }));
}

#[test]
fn nesting_deeper_than_the_limit_is_refused_whatever_makes_it() {
    let plain = |depth: usize| format!("Subject: s\r\nContent-Type: message/rfc822\r\n\r\n{}", plain_chain(depth - 1));
    assert_eq!(check(plain(32).as_bytes(), &LIMITS), Ok(()));
    assert_eq!(check(plain(33).as_bytes(), &LIMITS), Err(Refusal::TooDeep { limit: 32 }));
    assert_eq!(check(plain(5_000).as_bytes(), &LIMITS), Err(Refusal::TooDeep { limit: 32 }));

    let multipart = |depth: usize| {
        let mut raw = String::from("Subject: s\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n");
        for level in 1..depth {
            raw.push_str(&format!("--b{}\r\nContent-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n", level - 1));
        }
        raw.push_str(&format!("--b{}\r\nContent-Type: text/plain\r\n\r\nx\r\n", depth - 1));
        raw
    };
    assert_eq!(check(multipart(32).as_bytes(), &LIMITS), Ok(()));
    assert_eq!(check(multipart(33).as_bytes(), &LIMITS), Err(Refusal::TooDeep { limit: 32 }));
}

#[test]
fn parts_headers_and_size_have_their_limits() {
    let parts = |count: usize| {
        let body: String = (0..count).map(|n| format!("--p\r\nContent-Type: text/plain\r\n\r\n{n}\r\n")).collect();
        format!("Subject: s\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n{body}--p--\r\n")
    };
    // The message itself is one part.
    assert_eq!(check(parts(999).as_bytes(), &LIMITS), Ok(()));
    assert_eq!(check(parts(1_000).as_bytes(), &LIMITS), Err(Refusal::TooManyParts { limit: 1_000 }));

    let fields = |count: usize| {
        let header: String = (0..count).map(|n| format!("X-F{n}: v\r\n")).collect();
        format!("{header}\r\nbody\r\n")
    };
    assert_eq!(check(fields(1_000).as_bytes(), &LIMITS), Ok(()));
    assert_eq!(check(fields(1_001).as_bytes(), &LIMITS), Err(Refusal::TooManyHeaderFields { limit: 1_000 }));

    // One folded field is one field, but its bytes count.
    let folded = format!("Subject: {}\r\n\r\nbody\r\n", "word\r\n ".repeat(200_000));
    assert_eq!(check(folded.as_bytes(), &LIMITS), Err(Refusal::HeaderTooLong { limit: 512 * 1024 }));
    // A part's header section has the same limits.
    let part = format!(
        "Subject: s\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n--p\r\nX-Long: {}\r\n\r\nx\r\n--p--\r\n",
        "y".repeat(600 * 1024)
    );
    assert_eq!(check(part.as_bytes(), &LIMITS), Err(Refusal::HeaderTooLong { limit: 512 * 1024 }));
    // A body of any length is no header.
    let long_body = format!("Subject: s\r\n\r\n{}", "y".repeat(600 * 1024));
    assert_eq!(check(long_body.as_bytes(), &LIMITS), Ok(()));

    let small = Limits { max_message_bytes: 100, ..LIMITS };
    assert_eq!(check(&[b'x'; 100], &small), Ok(()));
    assert_eq!(check(&[b'x'; 101], &small), Err(Refusal::TooLarge { limit: 100 }));
}

#[test]
fn boundaries_keep_their_case_and_an_unclosed_inner_multipart_reads_on_as_the_parser_does() {
    // "B" and "b" are different boundaries. The inner multipart is never closed, and the
    // parser looks only for the innermost boundary: the nine parts after it are the inner
    // part's body, not parts (an earlier, line-based pre-check took the outer delimiter
    // as closing the inner multipart, and so counted parts the parser never makes).
    let mut raw = String::from("Subject: s\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n");
    raw.push_str("--B\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\r\ninner\r\n");
    for n in 0..9 {
        raw.push_str(&format!("--B\r\nContent-Type: text/plain\r\n\r\n{n}\r\n"));
    }
    raw.push_str("--B--\r\n");
    assert_eq!(shape(raw.as_bytes()), Shape { parts: 3, depth: 2, encoded_messages: 0 });
    assert_eq!(parser_shape(raw.as_bytes()), Shape { parts: 3, depth: 2, encoded_messages: 0 });
    // Closed, the outer parts are parts again.
    let closed = raw.replacen("inner\r\n", "inner\r\n--b--\r\n", 1);
    assert_eq!(shape(closed.as_bytes()), Shape { parts: 12, depth: 2, encoded_messages: 0 });
    assert_eq!(parser_shape(closed.as_bytes()), Shape { parts: 12, depth: 2, encoded_messages: 0 });
}

#[test]
fn broken_mail_is_scanned_without_failing() {
    for raw in [
        &b""[..],
        b"no header at all",
        b"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n--\r\n",
        b"Content-Type: multipart/mixed\r\n\r\n--x\r\n",
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!",
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=\r\n=Z=",
        b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary=aa\r\n\r\n--aa\r\n--a--\r\n--aa--",
        b"\r\n\r\n\r\n",
        b"Subject: \0\0\0\r\r\r\n\n\n",
    ] {
        assert_eq!(check(raw, &LIMITS), Ok(()), "{:?}", String::from_utf8_lossy(raw));
    }
}

/// The parts, the depth and the messages inside encoded parts of the tree the classifier's
/// parser makes of `raw`, counted as [`shape`] counts them.
fn parser_shape(raw: &[u8]) -> Shape {
    parser_shape_unless_it_panics(raw).expect("the parser panicked")
}

/// [`parser_shape`], or `None` when one of mail-parser's `debug_assert!`s fires (test
/// builds have them; a release build stops parsing there instead, building less).
fn parser_shape_unless_it_panics(raw: &[u8]) -> Option<Shape> {
    fn walk(message: &mail_parser::Message<'_>, part: usize, inside_encoded: bool, level: usize, shape: &mut Shape) {
        let Some(this) = message.parts.get(part) else { return };
        match &this.body {
            mail_parser::PartType::Multipart(children) => {
                shape.depth = shape.depth.max(level + 1);
                for &child in children {
                    // A multipart's list never names itself or an earlier part.
                    if child as usize > part {
                        walk(message, child as usize, inside_encoded, level + 1, shape);
                    }
                }
            }
            mail_parser::PartType::Message(nested) => {
                shape.depth = shape.depth.max(level + 1);
                if inside_encoded {
                    shape.encoded_messages += 1;
                }
                shape.parts += nested.parts.len();
                let encoded = this.encoding != mail_parser::Encoding::None;
                walk(nested, 0, inside_encoded || encoded, level + 1, shape);
            }
            _ => {}
        }
    }
    std::panic::catch_unwind(|| {
        let mut shape = Shape::default();
        if let Some(message) = crate::classify::parser().parse(raw) {
            shape.parts = message.parts.len();
            walk(&message, 0, false, 0, &mut shape);
        }
        shape
    })
    .ok()
}

#[test]
fn the_bypasses_of_the_line_based_pre_check_are_refused() {
    // Each spelling the parser reads as a nested message, hiding the issue 9 chain.
    for content_type in [
        "message/rfc822 (fwd)",
        "message / rfc822",
        "\"message/rfc822\"",
        "(forwarded) Message/RFC822",
        "message/global",
    ] {
        let raw = String::from_utf8(encoded_chain(50, true)).unwrap();
        let inner_start = raw.find("base64\r\n\r\n").unwrap() + 10;
        let inner_end = raw.rfind("\r\n--o--").unwrap();
        let inner = format!(
            "Subject: fwd\r\nContent-Type: {content_type}\r\n\r\n{}",
            plain_chain(49).replace("message/rfc822", content_type)
        );
        let raw = format!("{}{}{}", &raw[..inner_start], base64(inner.as_bytes()), &raw[inner_end..]);
        assert!(parser_shape(raw.as_bytes()).encoded_messages > 8, "{content_type}: the parser nests them");
        assert_eq!(check(raw.as_bytes(), &LIMITS), Err(Refusal::TooManyEncodedMessages { limit: 8 }), "{content_type}");
    }
    // A boundary split in RFC 2231 continuations, inside the encoded part.
    let inner = format!(
        "Subject: fwd\r\nContent-Type: multipart/mixed; boundary*0=\"sp\"; boundary*1=\"lit\"\r\n\r\n\
         --split\r\nContent-Type: message/rfc822\r\n\r\n{}\r\n--split--\r\n",
        plain_chain(40)
    );
    let raw = format!(
        "Subject: s\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        base64(inner.as_bytes())
    );
    assert!(parser_shape(raw.as_bytes()).encoded_messages > 8);
    assert_eq!(check(raw.as_bytes(), &LIMITS), Err(Refusal::TooManyEncodedMessages { limit: 8 }));
    // A header name the parser reads with spaces in it, a delimiter in the middle of a
    // line, and a transfer encoding named in an encoded word.
    let inner = format!(
        "Subject: fwd\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n\
         preamble --m\r\nContent - Type: message/rfc822\r\n\r\n{}\r\n--m--\r\n",
        plain_chain(40)
    );
    let raw = format!(
        "Subject: s\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: =?us-ascii?Q?base64?=\r\n\r\n{}\r\n",
        base64(inner.as_bytes())
    );
    assert!(parser_shape(raw.as_bytes()).encoded_messages > 8);
    assert_eq!(check(raw.as_bytes(), &LIMITS), Err(Refusal::TooManyEncodedMessages { limit: 8 }));
    // Plain nesting spelled oddly is deep all the same.
    let raw = format!(
        "Subject: s\r\nContent-Type: message/rfc822 (x)\r\n\r\n{}",
        plain_chain(40).replace("message/rfc822", "message / rfc822")
    );
    assert!(parser_shape(raw.as_bytes()).depth > 32);
    assert_eq!(check(raw.as_bytes(), &LIMITS), Err(Refusal::TooDeep { limit: 32 }));
}

#[test]
fn inside_encoded_content_any_content_type_naming_message_counts() {
    // The parser reads "x-message/rfc822" as no message, but the pre-check is cautious
    // where the cost is quadratic.
    let inner: String = (0..9).map(|n| format!("--p\r\nContent-Type: x-message/rfc822\r\n\r\n{n}\r\n")).collect();
    let inner = format!("Subject: x\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n{inner}--p--\r\n");
    let raw = format!(
        "Subject: s\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        base64(inner.as_bytes())
    );
    assert_eq!(parser_shape(raw.as_bytes()).encoded_messages, 0);
    assert_eq!(check(raw.as_bytes(), &LIMITS), Err(Refusal::TooManyEncodedMessages { limit: 8 }));
    // Outside encoded content it is an ordinary part.
    assert_eq!(check(inner.as_bytes(), &LIMITS), Ok(()));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of Content-Type values: the spellings mail-parser accepts (comments, spaces,
    /// quotes, case, RFC 2231 continuations and encodings, folding) and some it does not.
    const TYPES: &[&str] = &[
        "multipart",
        "Multipart",
        "MULTIPART",
        "message",
        "Message",
        "text",
        "\"message",
        "mess age",
        "(c)message",
        "message(c)",
        " message ",
        "multipart\\",
        "",
    ];
    const SUBTYPES: &[&str] = &[
        "mixed",
        "digest",
        "Digest",
        "rfc822",
        "RFC822",
        "global",
        "rfc822\"",
        " rfc822 (fwd)",
        "rfc822(c)",
        "alternative",
        "",
        "rfc 822",
    ];
    const PARAMETERS: &[&str] = &[
        "boundary=b1",
        "boundary=\"b 2\"",
        "boundary = \"b3\"",
        "BOUNDARY=B4",
        "boundary*0=\"b\"; boundary*1=\"5\"",
        "boundary*1=\"7\"; boundary*0=\"b\"",
        "boundary*=us-ascii''b%36",
        "boundary*0*=us-ascii''b; boundary*1*=%38",
        "boundary=\"\"",
        "boundary=",
        "boundary=\"a\\\"q\"",
        "boundary=(c)b9",
        "charset=utf-8",
        "name=\"message/rfc822\"",
        "boundary==?us-ascii?Q?b10?=",
    ];
    const JOINS: &[&str] = &["; ", ";", " ;\r\n\t", ";\r\n ", " (c); ", ";;"];

    fn content_type() -> impl Strategy<Value = String> {
        (
            proptest::sample::select(TYPES),
            proptest::sample::select(&["/", " / ", "/(c)", "(c)/", ""][..]),
            proptest::sample::select(SUBTYPES),
            proptest::collection::vec((proptest::sample::select(JOINS), proptest::sample::select(PARAMETERS)), 0..4),
        )
            .prop_map(|(ctype, slash, subtype, parameters)| {
                let mut value = format!("{ctype}{slash}{subtype}");
                for (join, parameter) in parameters {
                    value.push_str(join);
                    value.push_str(parameter);
                }
                value
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The pre-check's media type and boundary are mail-parser's (its default parser,
        /// not the one the pre-check reads with), on any Content-Type value.
        #[test]
        fn the_pre_check_reads_a_content_type_as_mail_parser_does(value in content_type(), name in proptest::sample::select(&["Content-Type", "content-type", "CONTENT-TYPE", "Content - Type", " Content-Type", ":Content-Type"][..])) {
            let raw = format!("{name}: {value}\r\nSubject: s\r\n\r\nbody\r\n");
            let header = Walk::new(&LIMITS).header(raw.as_bytes(), &mut 0).unwrap().unwrap();
            let parsed = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
            let theirs = mail_parser::MimeHeaders::content_type(&parsed);
            let media = theirs.map(|content_type| (content_type.ctype().to_owned(), content_type.subtype().map(str::to_owned)));
            let expected_kind = match media.as_ref().map(|(ctype, subtype)| (ctype.as_str(), subtype.as_deref())) {
                None => None,
                Some(("multipart", Some("digest"))) => Some(Kind::Digest),
                Some(("message", Some("rfc822" | "global"))) => Some(Kind::Message),
                Some(_) => Some(Kind::Other),
            };
            prop_assert_eq!(header.kind, expected_kind, "{:?}", media);
            prop_assert_eq!(header.multipart, media.as_ref().is_some_and(|(ctype, _)| ctype == "multipart"));
            let boundary = theirs.and_then(|content_type| content_type.attribute("boundary")).filter(|b| !b.is_empty());
            prop_assert_eq!(header.boundary.as_deref(), boundary.map(str::as_bytes));
        }

        /// On random MIME trees written in those spellings (delimiters at and inside lines,
        /// multiparts left open, parts encoded in base64 or quoted-printable), the
        /// pre-check counts at least the parts, the depth and the messages inside encoded
        /// parts of the tree the parser builds: what it lets through costs the parser no
        /// more than it counted.
        #[test]
        fn the_pre_check_counts_at_least_what_the_parser_builds(seed in any::<u64>()) {
            let raw = random_message(seed);
            let ours = shape(&raw);
            let Some(theirs) = parser_shape_unless_it_panics(&raw) else { return Ok(()) };
            prop_assert!(ours.parts >= theirs.parts, "parts {ours:?} < {theirs:?}:\n{}", String::from_utf8_lossy(&raw));
            prop_assert!(ours.depth >= theirs.depth, "depth {ours:?} < {theirs:?}:\n{}", String::from_utf8_lossy(&raw));
            prop_assert!(
                ours.encoded_messages >= theirs.encoded_messages,
                "encoded {ours:?} < {theirs:?}:\n{}",
                String::from_utf8_lossy(&raw)
            );
        }
    }

    /// A random message: a tree of multiparts, nested messages (some encoded) and text
    /// leaves, each header written in one of the spellings the parser accepts.
    fn random_message(seed: u64) -> Vec<u8> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut boundaries = 0;
        let mut raw = String::from("From: a@b.example\r\n");
        raw.push_str(&entity(&mut rng, 0, &mut boundaries, false));
        raw.into_bytes()
    }

    const MESSAGE_TYPES: &[&str] = &[
        "message/rfc822",
        "Message/RFC822",
        "message/rfc822 (fwd)",
        "message / rfc822",
        "\"message/rfc822\"",
        "message/global",
    ];
    const NAMES: &[&str] = &["Content-Type", "content-type", "Content - Type", "CONTENT-TYPE"];

    fn entity(rng: &mut fastrand::Rng, level: usize, boundaries: &mut usize, in_digest: bool) -> String {
        let name = NAMES[rng.usize(..NAMES.len())];
        let choice = if level >= 6 { 0 } else { rng.usize(..10) };
        match choice {
            // A nested message, plain or encoded.
            4..=6 => {
                let inner = format!("Subject: level {level}\r\n{}", entity(rng, level + 1, boundaries, false));
                let content_type = MESSAGE_TYPES[rng.usize(..MESSAGE_TYPES.len())];
                let header =
                    if in_digest && rng.bool() { String::new() } else { format!("{name}: {content_type}\r\n") };
                match rng.usize(..3) {
                    0 => format!("{header}Content-Transfer-Encoding: base64\r\n\r\n{}\r\n", base64(inner.as_bytes())),
                    1 => format!(
                        "{header}Content-Transfer-Encoding: quoted-printable\r\n\r\n{}\r\n",
                        quoted_printable(&inner)
                    ),
                    _ => format!("{header}\r\n{inner}"),
                }
            }
            // A multipart.
            7..=9 => {
                *boundaries += 1;
                let boundary = format!("b{boundaries}");
                let subtype = if rng.usize(..4) == 0 { "digest" } else { "mixed" };
                let parameter = match rng.usize(..4) {
                    0 => format!("boundary={boundary}"),
                    1 => format!("boundary=\"{boundary}\""),
                    2 => format!("boundary*0=\"{}\"; boundary*1=\"{}\"", &boundary[..1], &boundary[1..]),
                    _ => format!("(c) boundary = \"{boundary}\""),
                };
                let mut body = format!("{name}: multipart/{subtype};\r\n\t{parameter}\r\n\r\n");
                if rng.bool() {
                    body.push_str("A preamble.\r\n");
                }
                for _ in 0..rng.usize(1..4) {
                    body.push_str(if rng.usize(..4) == 0 { "text --" } else { "--" });
                    body.push_str(&boundary);
                    body.push_str("\r\n");
                    body.push_str(&entity(rng, level + 1, boundaries, subtype == "digest"));
                    body.push_str("\r\n");
                }
                if rng.usize(..4) != 0 {
                    body.push_str(&format!("--{boundary}--\r\n"));
                }
                body
            }
            // A text leaf.
            _ => {
                let header = if in_digest { format!("{name}: text/plain\r\n") } else { String::new() };
                format!("{header}\r\nSome text at level {level}.\r\n")
            }
        }
    }
}

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
fn boundaries_keep_their_case_and_an_outer_delimiter_closes_inner_parts() {
    // "B" and "b" are different boundaries: were case folded, the inner part's lines
    // would end the outer multipart early and the nine parts after it would go unseen.
    let mut raw = String::from("Subject: s\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n");
    raw.push_str("--B\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\r\ninner\r\n");
    // The inner multipart is never closed: the outer delimiter ends it.
    for n in 0..9 {
        raw.push_str(&format!("--B\r\nContent-Type: text/plain\r\n\r\n{n}\r\n"));
    }
    raw.push_str("--B--\r\n");
    let tight = Limits { max_parts: 11, ..LIMITS };
    assert_eq!(check(raw.as_bytes(), &tight), Err(Refusal::TooManyParts { limit: 11 }));
    let enough = Limits { max_parts: 12, ..LIMITS };
    assert_eq!(check(raw.as_bytes(), &enough), Ok(()));
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

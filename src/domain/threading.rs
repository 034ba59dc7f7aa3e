//! Threading: which subject and reference headers a reply carries (SPEC §1).
//!
//! A reply keeps the thread's subject with one `Re:` and points `In-Reply-To` at the
//! last message of the thread and `References` at the chain that led to it. This
//! module only computes header values; the shell makes sure they carry no line breaks.

/// The subject of a reply: the original's, with exactly one leading "Re: ".
pub fn reply_subject(original: &str) -> String {
    let mut rest = original.trim();
    loop {
        let lower = rest.to_ascii_lowercase();
        let stripped = ["re:", "aw:", "sv:", "antw:", "réf:", "rif:"]
            .iter()
            .find(|prefix| lower.starts_with(*prefix))
            .map(|prefix| rest[prefix.len()..].trim_start());
        match stripped {
            Some(next) => rest = next,
            None => break,
        }
    }
    format!("Re: {rest}")
}

/// The `References` of a reply: the parent's references, then the parent itself,
/// without duplicates, keeping at most the first and the last nineteen (as RFC 5322
/// readers expect the root and the recent chain).
pub fn reply_references(parent_references: &[String], parent_message_id: &str) -> Vec<String> {
    let mut chain: Vec<String> = Vec::new();
    for id in parent_references.iter().map(String::as_str).chain(std::iter::once(parent_message_id)) {
        if !id.is_empty() && !chain.iter().any(|seen| seen == id) {
            chain.push(id.to_owned());
        }
    }
    if chain.len() > 20 {
        let tail = chain.split_off(chain.len() - 19);
        chain.truncate(1);
        chain.extend(tail);
    }
    chain
}

/// A header value made safe: no CR, LF or other control characters, folded spaces.
/// Everything taken from parsed mail goes through this before it reaches a header
/// (SPEC §6, invariant 6).
pub fn clean_header_value(text: &str) -> String {
    let spaced: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// True for a Message-ID (without angle brackets) that can go into a header as it is.
pub fn is_valid_message_id(id: &str) -> bool {
    let Some((left, right)) = id.split_once('@') else {
        return false;
    };
    !left.is_empty()
        && !right.is_empty()
        && id.len() <= 250
        && id.chars().all(|c| c.is_ascii_graphic() && !"<>()[]\\,;:\"".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_lose_line_breaks_and_control_characters() {
        assert_eq!(clean_header_value("Offer\r\nBcc: evil@example.com"), "Offer Bcc: evil@example.com");
        assert_eq!(clean_header_value(" a\t b\u{0} "), "a b");
        assert!(is_valid_message_id("abc.123@example.net"));
        for bad in ["abc", "a b@c", "<a@b>", "a@b\r\nX: y", "@b", "a@"] {
            assert!(!is_valid_message_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_reply_subject_has_exactly_one_re() {
        assert_eq!(reply_subject("Interview"), "Re: Interview");
        assert_eq!(reply_subject("Re: Interview"), "Re: Interview");
        assert_eq!(reply_subject("RE: re: AW: Interview "), "Re: Interview");
    }

    #[test]
    fn references_chain_the_parent_without_duplicates() {
        let refs = reply_references(&["a@x".into(), "b@x".into()], "c@x");
        assert_eq!(refs, ["a@x", "b@x", "c@x"]);
        assert_eq!(reply_references(&["a@x".into()], "a@x"), ["a@x"]);
        let long: Vec<String> = (0..30).map(|n| format!("{n}@x")).collect();
        let refs = reply_references(&long, "last@x");
        assert_eq!(refs.len(), 20);
        assert_eq!(refs[0], "0@x");
        assert_eq!(refs[19], "last@x");
    }
}

//! Property tests: no input makes parsing and classification panic (a panic caught by
//! the guard would show up as `ParserPanicked`, which these tests reject), and every
//! result is well formed. Bounded case counts keep the run to a few seconds.

use debrief::classify::{ClassifyError, MessageKind, classify_message};
use proptest::prelude::*;
use std::path::Path;
use std::sync::LazyLock;

static SEEDS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let mut seeds = Vec::new();
    for dir in ["tests/fixtures/classify", "../shared/corpus"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
            paths.sort();
            for path in paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "eml")) {
                if let Ok(raw) = std::fs::read(&path) {
                    seeds.push(raw);
                }
            }
        }
    }
    assert!(!seeds.is_empty(), "no seed messages found");
    seeds
});

fn check(raw: &[u8]) -> Result<(), TestCaseError> {
    match classify_message(raw) {
        Ok(classified) => {
            let c = &classified.classification;
            prop_assert!((0.0..=1.0).contains(&c.confidence));
            if c.interview.is_some() {
                prop_assert!(c.kind.has_interview());
            }
            if let Some(interview) = &c.interview
                && let Some(end) = interview.end
            {
                prop_assert!(end >= interview.start);
            }
            if c.kind == MessageKind::Unrelated {
                prop_assert!(c.company.is_none() && c.role.is_none());
            }
            let json = serde_json::to_string(&c.to_label_json());
            prop_assert!(json.is_ok());
        }
        Err(ClassifyError::ParserPanicked(message)) => {
            return Err(TestCaseError::fail(format!("a panic was caught: {message}")));
        }
        Err(_) => {}
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&raw)?;
    }

    #[test]
    fn truncated_messages_never_panic(index in 0usize..1000, cut in 0.0f64..1.0) {
        let seed = &SEEDS[index % SEEDS.len()];
        let end = ((seed.len() as f64) * cut) as usize;
        check(&seed[..end])?;
    }

    #[test]
    fn corrupted_messages_never_panic(
        index in 0usize..1000,
        edits in proptest::collection::vec((0.0f64..1.0, any::<u8>()), 1..24),
    ) {
        let mut raw = SEEDS[index % SEEDS.len()].clone();
        for (at, byte) in edits {
            let position = ((raw.len() as f64) * at) as usize;
            if position < raw.len() {
                raw[position] = byte;
            }
        }
        check(&raw)?;
    }

    #[test]
    fn eight_bit_headers_and_odd_charsets_never_panic(
        index in 0usize..1000,
        header in proptest::collection::vec(128u8..=255, 0..64),
        charset in "[a-z0-9-]{0,12}",
        text in "\\PC{0,200}",
    ) {
        let seed = &SEEDS[index % SEEDS.len()];
        let mut raw = b"Subject: ".to_vec();
        raw.extend_from_slice(&header);
        raw.extend_from_slice(b"\r\nX-Odd: ");
        raw.extend_from_slice(&header);
        raw.extend_from_slice(format!("\r\nContent-Type: text/plain; charset={charset}\r\n").as_bytes());
        raw.extend_from_slice(seed);
        raw.extend_from_slice(text.as_bytes());
        check(&raw)?;
    }

    #[test]
    fn prose_made_of_date_words_never_panics(
        words in proptest::collection::vec(
            prop::sample::select(vec![
                "Tuesday", "Dec", "15", "2026", "at", "10:00", "am", "-", "11:30pm", "ET", "CET", "UTC+5:30",
                "tomorrow", "(Thursday)", "by", "end", "of", "next", "week", "in", "two", "weeks", "15.12.",
                "12/17", "noon", "Uhr", "30-minute", "moved", "to", "cancel", "offer", "ü", "—", "\n", "ß", "日本",
            ]),
            0..60,
        ),
    ) {
        let body = words.join(" ");
        let raw = format!(
            "From: A B <a@b.example>\r\nTo: c@d.example\r\nSubject: {}\r\nDate: Wed, 02 Dec 2026 16:45:37 -0500\r\n\r\n{}\r\n",
            words.iter().take(8).copied().collect::<Vec<_>>().join(" ").replace('\n', " "),
            body
        );
        check(raw.as_bytes())?;
    }
}

#[test]
fn a_huge_part_is_handled() {
    let mut raw =
        b"From: a@b.example\r\nTo: c@d.example\r\nSubject: big\r\nDate: Wed, 02 Dec 2026 16:45:37 -0500\r\n\r\n"
            .to_vec();
    raw.extend(std::iter::repeat_n(b"we'll decide by Friday at 10am ET. ".as_slice(), 200_000).flatten());
    let classified = classify_message(&raw).expect("classifies");
    assert!((0.0..=1.0).contains(&classified.classification.confidence));
}

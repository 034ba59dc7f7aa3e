//! The vocabularies: how recruiting mail says things, one data file per language in
//! `vocab/` (embedded in the binary with `include_str!`, so nothing is read at run time).
//! `vocab/README.md` is the format; a contributor adds a language by adding a file and
//! one line to [`FILES`], without reading the decision in `kinds`.
//!
//! A file holds weighted *features* (a pattern, the kind it is evidence for, a weight,
//! where it is looked for) and *word lists* (`@negation`, `@context`, `@interview`,
//! `@timeline_cue`, `@not_to_you`) that the decision uses across all languages.

use super::MessageKind;
use aho_corasick::AhoCorasick;
use regex::Regex;
use std::sync::{Arc, Mutex, PoisonError};

/// Every language's file: (code, text).
pub const FILES: &[(&str, &str)] = &[
    ("en", include_str!("vocab/en.txt")),
    ("de", include_str!("vocab/de.txt")),
    ("fr", include_str!("vocab/fr.txt")),
    ("es", include_str!("vocab/es.txt")),
    ("nl", include_str!("vocab/nl.txt")),
    ("pt", include_str!("vocab/pt.txt")),
    ("it", include_str!("vocab/it.txt")),
    ("sv", include_str!("vocab/sv.txt")),
];

/// Where a feature is looked for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scope {
    /// The sender's own words (never quoted history or the signature).
    Body,
    /// The sender's own words, in replies only.
    ReplyBody,
    /// The subject without prefixes, when the message is not a reply.
    Subject,
    /// The whole subject as written, reply or not (auto-reply prefixes).
    RawSubject,
}

/// One weighted piece of evidence.
#[derive(Debug)]
pub struct Feature {
    /// `kind.what`, e.g. `rejection.regret`.
    pub name: &'static str,
    /// The file it comes from (`en`, `de`, …).
    pub language: &'static str,
    pub kind: MessageKind,
    pub weight: f64,
    pub scope: Scope,
    /// Offer phrases: a negation earlier in the sentence ("not able to offer you the
    /// role", "keine Zusage") turns the match into rejection evidence.
    pub negatable: bool,
    pub regex: Regex,
}

/// All languages' features and word lists, compiled.
#[derive(Debug)]
pub struct Vocabulary {
    pub features: Vec<Feature>,
    /// Words that negate an offer phrase after them in the same sentence.
    pub negation: Regex,
    /// Words that show a message is about a hiring process at all.
    pub context: Regex,
    /// Words for the meetings of a hiring process.
    pub interview: Regex,
    /// Cue words of a sentence that says when the employer will decide or get back.
    pub timeline_cue: Regex,
    /// What follows an offer phrase when the offer went to someone else ("to another
    /// candidate").
    pub not_to_you: Regex,
    /// `@marker`: common words of a language; its features are only tried on a message
    /// that has one of them (a language without markers is always tried). Speed only.
    pub markers: Vec<(&'static str, Regex)>,
    /// Which features can match a text at all, found in one pass. Speed only.
    pub prefilter: Prefilter,
}

/// One pass over a text that tells which features may match it, so that only those run
/// their own regex: a few hundred regex searches per message become one multi-literal
/// search and a handful of regex searches (issue 10: classification >= 5,000 msgs/s).
///
/// Every feature pattern whose matches all contain one of a small set of literals
/// ([`required_literals`]: `\b(?:a\s+different|another)\s+direction` contains
/// "direction") contributes those literals to one Aho-Corasick automaton; a feature runs
/// only when one of its literals occurs in the text. A pattern without such a set always
/// runs. The automaton only prunes: the decision is the regexes' as before.
#[derive(Debug)]
pub struct Prefilter {
    literals: AhoCorasick,
    /// The feature each literal (automaton pattern) belongs to.
    owner: Vec<usize>,
    /// Features that always run.
    always: Vec<bool>,
}

impl Prefilter {
    /// Literals shorter than this prune too little to be worth their matches.
    const MIN_LITERAL: usize = 3;

    fn build(features: &[Feature]) -> Prefilter {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut owner = Vec::new();
        let mut always = Vec::with_capacity(features.len());
        for (index, feature) in features.iter().enumerate() {
            match pattern_literals(feature.regex.as_str()) {
                Some(found) => {
                    owner.extend(std::iter::repeat_n(index, found.len()));
                    literals.extend(found);
                    always.push(false);
                }
                None => always.push(true),
            }
        }
        // A DFA: the fastest search, for a few hundred kilobytes (released with the rest).
        let literals = AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&literals)
            .expect("a literal automaton of a thousand literals");
        Prefilter { literals, owner, always }
    }

    /// For each feature, whether it may match `text`.
    pub fn candidates(&self, text: &str) -> Vec<bool> {
        let mut run = self.always.clone();
        for found in self.literals.find_overlapping_iter(text) {
            run[self.owner[found.pattern().as_usize()]] = true;
        }
        run
    }
}

/// Literals one of which every match of `pattern` contains, or `None` when there is no
/// such set of useful size (the feature then always runs).
fn pattern_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    required_literals(&hir)
}

/// The best set of literals one of which every match of `hir` contains: the literals a
/// match starts with (regex-syntax's prefix extraction), or, through the structure, the
/// best such set of any one part of a concatenation ("a\s+different\s+direction" must
/// contain "direction"), the union over the branches of an alternation, the body of a
/// repetition that happens at least once.
fn required_literals(hir: &regex_syntax::hir::Hir) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::HirKind;
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    /// Too many literals make the automaton big for little pruning.
    const MAX_LITERALS: usize = 64;
    let useful = |set: Vec<Vec<u8>>| -> Option<Vec<Vec<u8>>> {
        let shortest = set.iter().map(Vec::len).min()?;
        (shortest >= Prefilter::MIN_LITERAL && set.len() <= MAX_LITERALS).then_some(set)
    };
    // Longer shortest literal first (it occurs by chance less often), then fewer.
    let better = |a: Option<Vec<Vec<u8>>>, b: Option<Vec<Vec<u8>>>| -> Option<Vec<Vec<u8>>> {
        let rank = |set: &Vec<Vec<u8>>| (set.iter().map(Vec::len).min().unwrap_or(0).min(8), usize::MAX - set.len());
        match (a, b) {
            (Some(a), Some(b)) => Some(if rank(&b) > rank(&a) { b } else { a }),
            (a, b) => a.or(b),
        }
    };
    let mut extractor = Extractor::new();
    extractor.kind(ExtractKind::Prefix);
    let prefixes = extractor
        .extract(hir)
        .literals()
        .and_then(|literals| useful(literals.iter().map(|literal| literal.as_bytes().to_vec()).collect()));
    let structural = match hir.kind() {
        HirKind::Concat(parts) => parts.iter().map(required_literals).fold(None, better),
        HirKind::Alternation(branches) => {
            let mut union = Vec::new();
            for branch in branches {
                union.extend(required_literals(branch)?);
            }
            useful(union)
        }
        HirKind::Capture(capture) => required_literals(&capture.sub),
        HirKind::Repetition(repetition) if repetition.min >= 1 => required_literals(&repetition.sub),
        _ => None,
    };
    better(prefixes, structural)
}

impl Vocabulary {
    /// Whether the features of `language` are worth trying on this (lower-case) text.
    pub fn language_present(&self, language: &str, text: &str) -> bool {
        self.markers.iter().filter(|(l, _)| *l == language).all(|(_, marker)| marker.is_match(text))
    }
}

/// A mistake in a vocabulary file (found by the unit test, never at run time in a
/// released binary).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("vocab/{language}.txt line {line}: {problem}")]
pub struct VocabError {
    pub language: String,
    pub line: usize,
    pub problem: String,
}

/// The compiled vocabulary while it is in use; `None` before the first message and after
/// [`release`].
static SHARED: Mutex<Option<Arc<Vocabulary>>> = Mutex::new(None);

/// The built-in vocabulary, compiled on first use (and again after [`release`]).
pub fn vocabulary() -> Arc<Vocabulary> {
    let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    Arc::clone(
        shared.get_or_insert_with(|| Arc::new(parse(FILES).unwrap_or_else(|err| panic!("built-in vocabulary: {err}")))),
    )
}

/// Drops the compiled vocabulary once no classification holds it. Its few hundred
/// patterns and their search caches are about half of the classifier's heap (20 MB after
/// a few dozen messages: `tests/classifier_memory.rs`), kept for as long as the process
/// lives; the daemon calls this after a large scan so that it idles small. The next
/// message compiles it again (tens of milliseconds).
pub fn release() {
    SHARED.lock().unwrap_or_else(PoisonError::into_inner).take();
}

/// The first whitespace-separated word and the rest, trimmed.
fn token(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start();
    if text.is_empty() {
        return None;
    }
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    Some((&text[..end], text[end..].trim()))
}

fn kind_of(prefix: &str) -> Option<MessageKind> {
    Some(match prefix {
        "rejection" => MessageKind::Rejection,
        "offer" => MessageKind::Offer,
        "application" => MessageKind::ApplicationReceived,
        "auto_reply" => MessageKind::AutoReply,
        "cancelled" => MessageKind::InterviewCancelled,
        "rescheduled" => MessageKind::InterviewRescheduled,
        "confirmation" => MessageKind::InterviewConfirmation,
        "invitation" => MessageKind::InterviewInvitation,
        "timeline" => MessageKind::Timeline,
        "acknowledgement" => MessageKind::Acknowledgement,
        "unrelated" => MessageKind::Unrelated,
        _ => return None,
    })
}

/// Parses and compiles vocabulary files.
pub fn parse(files: &[(&'static str, &'static str)]) -> Result<Vocabulary, VocabError> {
    let mut features = Vec::new();
    let mut lists: [Vec<&str>; 5] = Default::default();
    let mut markers: Vec<(&'static str, Regex)> = Vec::new();
    const LISTS: [&str; 5] = ["@negation", "@context", "@interview", "@timeline_cue", "@not_to_you"];
    for (language, text) in files {
        for (index, line) in text.lines().enumerate() {
            let error = |problem: String| VocabError { language: language.to_string(), line: index + 1, problem };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (first, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            if first == "@marker" {
                let marker = super::word_regex(rest.trim()).map_err(|err| error(format!("@marker: {err}")))?;
                markers.push((*language, marker));
                continue;
            }
            if let Some(slot) = LISTS.iter().position(|name| *name == first) {
                let pattern = rest.trim();
                if pattern.is_empty() {
                    return Err(error(format!("{first} needs a pattern")));
                }
                super::word_regex(pattern).map_err(|err| error(format!("{first}: {err}")))?;
                lists[slot].push(pattern);
                continue;
            }
            let shape = || error("expected NAME WEIGHT SCOPE PATTERN".to_string());
            let (name, rest) = token(line).ok_or_else(shape)?;
            let (weight, rest) = token(rest).ok_or_else(shape)?;
            let (scope, pattern) = token(rest).ok_or_else(shape)?;
            if pattern.is_empty() {
                return Err(shape());
            }
            let kind = name.split_once('.').and_then(|(prefix, _)| kind_of(prefix)).ok_or_else(|| {
                error(format!("{name}: a name is KIND.WHAT with a known kind (e.g. rejection.regret)"))
            })?;
            let weight: f64 =
                weight.parse().map_err(|_| error(format!("{name}: weight {weight:?} is not a number")))?;
            let scope = match scope {
                "body" => Scope::Body,
                "reply_body" => Scope::ReplyBody,
                "subject" => Scope::Subject,
                "raw_subject" => Scope::RawSubject,
                other => {
                    return Err(error(format!(
                        "{name}: scope {other:?} is not body, reply_body, subject or raw_subject"
                    )));
                }
            };
            let regex = super::word_regex(pattern).map_err(|err| error(format!("{name}: {err}")))?;
            features.push(Feature {
                name,
                language,
                kind,
                weight,
                scope,
                negatable: kind == MessageKind::Offer && weight >= 2.5,
                regex,
            });
        }
    }
    let join = |slot: usize| -> Result<Regex, VocabError> {
        let alternatives = lists[slot].iter().map(|p| format!("(?:{p})")).collect::<Vec<_>>().join("|");
        let alternatives = if alternatives.is_empty() { "[^\\s\\S]".to_string() } else { alternatives };
        super::word_regex(&format!("(?i){alternatives}")).map_err(|err| VocabError {
            language: "*".to_string(),
            line: 0,
            problem: format!("{}: {err}", LISTS[slot]),
        })
    };
    let prefilter = Prefilter::build(&features);
    Ok(Vocabulary {
        features,
        negation: join(0)?,
        context: join(1)?,
        interview: join(2)?,
        timeline_cue: join(3)?,
        not_to_you: join(4)?,
        markers,
        prefilter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_file_parses_and_every_language_has_outcomes() {
        let vocabulary = parse(FILES).expect("vocabulary");
        for (language, _) in FILES {
            for kind in [MessageKind::Rejection, MessageKind::Offer, MessageKind::ApplicationReceived] {
                assert!(
                    vocabulary.features.iter().any(|f| f.language == *language && f.kind == kind),
                    "{language} has no {kind} feature"
                );
            }
        }
        assert!(vocabulary.negation.is_match("nicht") && vocabulary.negation.is_match("not"));
        // Markers only gate the other languages; English is always tried.
        assert!(vocabulary.language_present("en", "anything"));
        assert!(vocabulary.language_present("de", "wir freuen uns"));
        assert!(!vocabulary.language_present("de", "we are pleased"));
    }

    #[test]
    fn release_drops_the_compiled_vocabulary_and_the_next_use_compiles_it_again() {
        let before = vocabulary();
        assert!(Arc::ptr_eq(&before, &vocabulary()), "one compiled vocabulary is shared while it is held");
        release();
        let after = vocabulary();
        assert!(!Arc::ptr_eq(&before, &after), "release kept the compiled vocabulary");
        assert_eq!(before.features.len(), after.features.len());
    }

    #[test]
    fn required_literals_come_from_any_part_of_a_pattern() {
        let literals = |pattern: &str| {
            let mut found: Vec<String> = pattern_literals(super::super::word_regex(pattern).unwrap().as_str())
                .unwrap_or_default()
                .into_iter()
                .map(|literal| String::from_utf8(literal).unwrap())
                .collect();
            found.sort();
            found
        };
        // A prefix when there is one, else the longest part every match holds.
        assert_eq!(literals(r"\bregret\s+to\s+inform"), vec!["regret"]);
        assert_eq!(literals(r"\b(?:a\s+different|another)\s+direction\b"), vec!["direction"]);
        assert_eq!(literals(r"(?m)^\s*(?:salary|equity)\s*:"), vec!["equity", "salary"]);
        // A branch without a literal leaves the whole pattern without one: it always runs.
        assert!(literals(r"\bfoo\b|\w+ly\b").is_empty());
    }

    #[test]
    fn the_prefilter_never_hides_a_feature_that_matches() {
        let vocabulary = parse(FILES).expect("vocabulary");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/classify");
        let mut texts: Vec<String> = vec![String::new(), "we regret to inform you".to_string()];
        for entry in std::fs::read_dir(&dir).expect("fixtures") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|ext| ext == "eml") {
                texts.push(String::from_utf8_lossy(&std::fs::read(&path).expect("fixture")).to_lowercase());
            }
        }
        assert!(texts.len() > 20);
        let mut matched = 0;
        for text in &texts {
            let candidates = vocabulary.prefilter.candidates(text);
            for (index, feature) in vocabulary.features.iter().enumerate() {
                if feature.regex.is_match(text) {
                    matched += 1;
                    assert!(candidates[index], "{} matches but was pruned", feature.name);
                }
            }
        }
        assert!(matched > 50, "the fixtures exercise the features ({matched} matches)");
    }

    #[test]
    fn mistakes_name_the_file_and_line() {
        let err = parse(&[("xx", "# ok\nrejection.x 1.0 body (unclosed\n")]).unwrap_err();
        assert_eq!((err.language.as_str(), err.line), ("xx", 2));
        let err = parse(&[("xx", "nonsense.x 1.0 body abc\n")]).unwrap_err();
        assert!(err.problem.contains("known kind"), "{err}");
        let err = parse(&[("xx", "offer.x heavy body abc\n")]).unwrap_err();
        assert!(err.problem.contains("not a number"), "{err}");
        let err = parse(&[("xx", "offer.x 1.0 everywhere abc\n")]).unwrap_err();
        assert!(err.problem.contains("scope"), "{err}");
        let ok = parse(&[("xx", "offer.x 3.0 subject \\boffer\\b\n@negation \\bnot\\b\n")]).expect("parses");
        assert_eq!(ok.features[0].scope, Scope::Subject);
        assert!(ok.features[0].negatable && ok.negation.is_match("not"));
    }
}

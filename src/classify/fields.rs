//! The facts of a classified message: company, role, the interview (time, end,
//! interviewers, zone, location) and the dates of timelines and auto-replies.
//!
//! - company: capitalised names in the subject, the sender's name, the body and the
//!   signature that match the sender's, Reply-To's or organiser's domain (so an ATS
//!   domain never becomes the employer), legal suffixes and "Careers"/"Talent Team"
//!   stripped; else the sender's name when it is an organisation, else "at X";
//! - role: job titles (a head noun such as Engineer or Developer with its modifiers and
//!   an optional ", Team" qualifier) scored by where they stand ("the X role", "as X",
//!   the subject) and never taken from a person's title ("Noor Haddad, Principal Engineer");
//! - interviewers: calendar attendees minus the candidate, the organiser (when others
//!   remain), robots and rooms; else names from itinerary rows, "Name (Title)", "with
//!   Name", labelled lines, and the sender when they run the call themselves.
//!
//! It does not decide the kind (that is `kinds`) and reads the quoted history only to
//! complete a first name or find a duration the sender refers to.

use super::calendar::{CalendarEvent, CalendarPerson};
use super::compiled::Compiled;
use super::datetime::{self, Slot};
use super::envelope;
use super::kinds::MessageContext;
use super::text::{ceil_boundary, floor_boundary};
use super::{Classification, InterviewFacts, MessageKind, Participant};
use jiff::civil;
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Fills company, role, interview and dates for the decided kind.
pub fn fill(
    context: &MessageContext<'_>,
    classification: &mut Classification,
    own_slots: &[Slot],
    subject_slots: &[Slot],
    timeline_reply_after: Option<civil::Date>,
) {
    let kind = classification.kind;
    if kind != MessageKind::Unrelated {
        classification.company = find_company(context);
        classification.role = find_role(context);
    }
    if kind.has_interview() {
        classification.interview = find_interview(context, kind, own_slots, subject_slots);
        if classification.interview.is_none() {
            classification.confidence = classification.confidence.min(0.6);
            classification.reasons.push("no interview time could be read: confidence lowered".to_string());
        }
    }
    if kind == MessageKind::Timeline {
        classification.reply_after = timeline_reply_after;
    }
    if kind == MessageKind::AutoReply
        && let Some(local) = context.local
    {
        classification.return_date = datetime::find_return_date(&context.own, local.date());
    }
    if let Some(company) = &classification.company {
        classification.reasons.push(format!("company: {company}"));
    }
    if let Some(role) = &classification.role {
        classification.reasons.push(format!("role: {role}"));
    }
}

// ---------------------------------------------------------------------------------
// Company

/// Domains that host other companies' mail: applicant tracking systems, schedulers,
/// mail providers. They never name the employer.
const HOSTING_DOMAINS: &[&str] = &[
    "talentloop",
    "myhireworks",
    "rookery-ats",
    "rookeryats",
    "slotpicker",
    "meetingloop",
    "greenhouse",
    "greenhouse-mail",
    "lever",
    "hire",
    "workday",
    "myworkday",
    "myworkdayjobs",
    "smartrecruiters",
    "icims",
    "ashbyhq",
    "ashby",
    "calendly",
    "jobvite",
    "bamboohr",
    "workable",
    "teamtailor",
    "personio",
    "recruitee",
    "successfactors",
    "taleo",
    "breezy",
    "jazzhr",
    "gem",
    "goodtime",
    "google",
    "googlemail",
    "gmail",
    "outlook",
    "hotmail",
    "live",
    "msn",
    "microsoft",
    "office365",
    "yahoo",
    "icloud",
    "me",
    "mac",
    "aol",
    "proton",
    "protonmail",
    "pm",
    "gmx",
    "web",
    "mail",
    "zoho",
    "fastmail",
    "example",
    "zoom",
    "linkedin",
    "indeed",
    "glassdoor",
    "sendgrid",
    "mailchimp",
    "mailgun",
    "amazonses",
];

/// The index of the label that names the organisation in a domain: the one before the
/// public suffix ("acme" in mail.acme.co.uk). `None` for a name with a single label.
fn registrable_index(domain: &str) -> Option<usize> {
    let labels: Vec<&str> = domain.split('.').collect();
    let mut index = labels.len().checked_sub(2)?;
    // co.uk, com.au and friends.
    if index > 0
        && matches!(labels[index], "co" | "com" | "org" | "net" | "ac" | "gov")
        && labels[labels.len() - 1].len() == 2
    {
        index -= 1;
    }
    Some(index)
}

/// The employer's domain an address speaks for ("acme.co.uk" for jane@mail.acme.co.uk),
/// or `None` when it belongs to a mail provider, an applicant tracking system or a
/// scheduler, which host many employers' mail and so never identify one.
pub fn employer_domain(email: &str) -> Option<String> {
    let domain = email.rsplit_once('@')?.1.trim().trim_end_matches('.').to_ascii_lowercase();
    let index = registrable_index(&domain)?;
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.iter().any(|label| label.is_empty()) || HOSTING_DOMAINS.contains(&labels[index]) {
        return None;
    }
    Some(labels[index..].join("."))
}

/// Words that end an organisation's name in a sender line but are not part of it.
const GENERIC_TRAILING: &[&str] = &[
    "careers",
    "career",
    "recruiting",
    "recruitment",
    "recruiter",
    "talent",
    "acquisition",
    "team",
    "people",
    "hr",
    "jobs",
    "hiring",
    "notifications",
    "notification",
    "karriere",
    "personal",
    "people-team",
    "talent-team",
    "inc",
    "inc.",
    "llc",
    "ltd",
    "ltd.",
    "limited",
    "gmbh",
    "ag",
    "as",
    "asa",
    "ab",
    "sa",
    "sas",
    "sarl",
    "bv",
    "b.v.",
    "nv",
    "oy",
    "plc",
    "corp",
    "corp.",
    "co",
    "co.",
    "kg",
    "se",
    "s.a.",
    "s.l.",
    "sl",
    "pty",
    "srl",
    "spa",
    "s.p.a.",
    "a/s",
    "aps",
    "oü",
    "pvt",
    "private",
    "selezione",
    "rekrytering",
    "werving",
    "recrutement",
    "reclutamento",
    "recrutamento",
    "hq",
    "ltda",
    "lda",
];

/// Lower-case letters and digits, accents folded: domains are ASCII, names are not
/// ("Fjällvind" is fjallvind.example).
fn norm_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    norm_key_into(&mut key, text, false);
    key
}

/// [`norm_key`] of `text` appended to `key`; with `ampersand_as_and`, of `text` with each
/// "&" written "and".
fn norm_key_into(key: &mut String, text: &str, ampersand_as_and: bool) {
    for c in text.chars() {
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                key.push(c.to_ascii_lowercase());
            } else if c == '&' && ampersand_as_and {
                key.push_str("and");
            }
            continue;
        }
        if c.is_alphanumeric() {
            fold_into(key, c);
        }
    }
}

/// Pushes a non-ASCII letter or digit lower-cased, accents folded.
fn fold_into(key: &mut String, c: char) {
    for c in c.to_lowercase() {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => key.push('a'),
            'æ' => key.push_str("ae"),
            'ç' | 'ć' | 'č' => key.push('c'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' => key.push('e'),
            'ì' | 'í' | 'î' | 'ï' => key.push('i'),
            'ñ' | 'ń' => key.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => key.push('o'),
            'ù' | 'ú' | 'û' | 'ü' | 'ū' => key.push('u'),
            'ý' | 'ÿ' => key.push('y'),
            'ß' => key.push_str("ss"),
            'ł' => key.push('l'),
            'š' | 'ś' => key.push('s'),
            'ž' | 'ź' | 'ż' => key.push('z'),
            other => key.push(other),
        }
    }
}

/// Lower-case alphanumeric keys of the domains that speak for the employer.
fn domain_keys(context: &MessageContext<'_>) -> Vec<String> {
    let envelope = &context.parsed.envelope;
    let candidate_domain = context.candidate.and_then(|c| c.split('@').nth(1)).map(str::to_ascii_lowercase);
    let mut addresses: Vec<&str> = Vec::new();
    addresses.extend(envelope.from.iter().map(|m| m.email.as_str()));
    addresses.extend(envelope.reply_to.iter().map(|m| m.email.as_str()));
    addresses.extend(envelope.cc.iter().map(|m| m.email.as_str()));
    addresses.extend(envelope.to.iter().map(|m| m.email.as_str()));
    for event in context.events {
        addresses.extend(event.organizer.iter().filter_map(|p| p.email.as_deref()));
        addresses.extend(event.attendees.iter().filter_map(|p| p.email.as_deref()));
    }
    let mut keys: Vec<String> = Vec::new();
    for address in addresses {
        let Some((local, domain)) = address.rsplit_once('@') else { continue };
        let domain = domain.to_ascii_lowercase();
        if candidate_domain.as_deref() == Some(domain.as_str()) {
            continue;
        }
        if let Some(index) = registrable_index(&domain) {
            let label = domain.split('.').nth(index).unwrap_or_default();
            if !HOSTING_DOMAINS.contains(&label) {
                let key = norm_key(label);
                if key.len() >= 3 && !keys.contains(&key) {
                    keys.push(key);
                }
            } else if !envelope::is_robot_address(address) {
                // An ATS sender often puts the employer in the local part: tallow@ats.example.
                let key = norm_key(local);
                if key.len() >= 4 && !keys.contains(&key) && !local.contains('.') {
                    keys.push(key);
                }
            }
        }
    }
    keys
}

/// Runs of capitalised words, the candidates for a company's name ("Quillon Metrics",
/// "Smith & Wesson", "Bank of Tern"): a scanner with exactly the matches of
/// [`CAPITALISED_RUN_PATTERN`] (a property test holds them equal), which the regex
/// engine found at a fifth of a message's classification time (issue 10's speed target).
fn capitalised_runs(text: &str) -> Vec<&str> {
    let mut runs = Vec::new();
    let mut from = 0;
    while let Some(start) = next_upper(text, from) {
        let mut end = word_end(text, start);
        while let Some(next) = next_word_start(text, end) {
            end = word_end(text, next);
        }
        runs.push(&text[start..end]);
        from = end;
    }
    runs
}

/// Where the next upper-case letter at or after `from` is: a byte scan that decodes only
/// non-ASCII characters (most of a text is lower-case ASCII).
fn next_upper(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = from;
    while let Some(offset) = bytes[at..].iter().position(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
        at += offset;
        if bytes[at].is_ascii() {
            return Some(at);
        }
        // A non-ASCII character starts here (`at` is on a character boundary: every
        // byte skipped was ASCII, and every character stepped over was whole).
        let c = text[at..].chars().next()?;
        if is_upper(c) {
            return Some(at);
        }
        at += c.len_utf8();
    }
    None
}

/// The pattern [`capitalised_runs`] implements: a word is an upper-case letter, then
/// letters, digits, apostrophes and hyphens, with dotted parts ("St.Clair"); words are
/// joined by horizontal space, optionally around a connector, or by "&".
#[cfg(test)]
const CAPITALISED_RUN_PATTERN: &str = r"\p{Lu}[\p{L}\p{N}'’-]*(?:\.\p{L}[\p{L}\p{N}'’-]*)*(?:(?:[^\S\n]+(?:&|and|of|und|et|y|de|for)?[^\S\n]*|[^\S\n]*&[^\S\n]*)\p{Lu}[\p{L}\p{N}'’-]*(?:\.\p{L}[\p{L}\p{N}'’-]*)*)*";

/// The connectors a run of capitalised words may hold, in the pattern's order.
const RUN_CONNECTORS: [&str; 8] = ["&", "and", "of", "und", "et", "y", "de", "for"];

/// The Unicode classes `\p{Lu}`, `\p{L}` and `\p{N}` as the regex engine has them.
struct LetterClasses {
    upper: Vec<(char, char)>,
    letter: Vec<(char, char)>,
    number: Vec<(char, char)>,
}

static LETTER_CLASSES: LazyLock<LetterClasses> = LazyLock::new(|| {
    let ranges = |pattern: &str| -> Vec<(char, char)> {
        use regex_syntax::hir::{Class, HirKind};
        let hir = regex_syntax::Parser::new().parse(pattern).expect("a Unicode class");
        match hir.kind() {
            HirKind::Class(Class::Unicode(class)) => class.ranges().iter().map(|r| (r.start(), r.end())).collect(),
            other => unreachable!("{pattern} is a Unicode class, not {other:?}"),
        }
    };
    LetterClasses { upper: ranges(r"\p{Lu}"), letter: ranges(r"\p{L}"), number: ranges(r"\p{N}") }
});

fn in_ranges(ranges: &[(char, char)], c: char) -> bool {
    ranges
        .binary_search_by(|(start, end)| {
            if *end < c {
                std::cmp::Ordering::Less
            } else if *start > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

fn is_upper(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_uppercase() } else { in_ranges(&LETTER_CLASSES.upper, c) }
}

fn is_letter(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_alphabetic() } else { in_ranges(&LETTER_CLASSES.letter, c) }
}

/// `[\p{L}\p{N}'’-]`
fn is_word_tail(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '\'' || c == '-'
    } else {
        c == '’' || in_ranges(&LETTER_CLASSES.letter, c) || in_ranges(&LETTER_CLASSES.number, c)
    }
}

/// `[^\S\n]`: white space other than a line break.
fn is_horizontal_space(c: char) -> bool {
    c != '\n' && c.is_whitespace()
}

fn skip_while(text: &str, from: usize, keep: impl Fn(char) -> bool) -> usize {
    text[from..].char_indices().find(|(_, c)| !keep(*c)).map_or(text.len(), |(i, _)| from + i)
}

/// The end of the capitalised word that starts at `start` (an upper-case letter).
fn word_end(text: &str, start: usize) -> usize {
    let first = text[start..].chars().next().map_or(0, char::len_utf8);
    let mut end = skip_while(text, start + first, is_word_tail);
    // ".Letter…" continues the word.
    while text[end..].starts_with('.')
        && let Some(letter) = text[end + 1..].chars().next().filter(|c| is_letter(*c))
    {
        end = skip_while(text, end + 1 + letter.len_utf8(), is_word_tail);
    }
    end
}

/// Where the next word of the run starts after a word ending at `end`, if the run
/// goes on: space (with an optional connector), or "&".
fn next_word_start(text: &str, end: usize) -> Option<usize> {
    let starts_upper = |at: usize| text[at..].chars().next().is_some_and(is_upper);
    let after_space = skip_while(text, end, is_horizontal_space);
    if after_space > end {
        for connector in RUN_CONNECTORS {
            if text[after_space..].starts_with(connector) {
                let word = skip_while(text, after_space + connector.len(), is_horizontal_space);
                if starts_upper(word) {
                    return Some(word);
                }
            }
        }
        if starts_upper(after_space) {
            return Some(after_space);
        }
    }
    if text[after_space..].starts_with('&') {
        let word = skip_while(text, after_space + 1, is_horizontal_space);
        if starts_upper(word) {
            return Some(word);
        }
    }
    None
}

fn is_connector(word: &str) -> bool {
    matches!(word, "&" | "and" | "of" | "und" | "et" | "y" | "de" | "for")
}

/// A word without trailing punctuation and possessive: "Acme's," is "Acme".
fn clean_word(word: &str) -> &str {
    let word = word.trim_end_matches(['.', ',', '\'', '’']);
    word.strip_suffix("'s").or_else(|| word.strip_suffix("’s")).unwrap_or(word)
}

/// A (cleaned) word that ends a name without being part of it: "Careers", "Team".
fn is_generic_trailing(word: &str) -> bool {
    let lower = word.to_lowercase();
    GENERIC_TRAILING.contains(&lower.as_str()) || lower.ends_with("-team") || is_connector(word)
}

/// A (cleaned) word that starts a name without being part of it: "The", "Your".
fn is_generic_leading(word: &str) -> bool {
    matches!(word, "The" | "Ihr" | "Your" | "Das" | "Le" | "La") || is_connector(word)
}

/// The words of a name without punctuation and without the generic words around it.
fn strip_generic(words: &[&str]) -> Vec<String> {
    let cleaned: Vec<&str> = words.iter().map(|word| clean_word(word)).collect();
    let (first, last) =
        kept_words(0, cleaned.len(), |i| is_generic_trailing(cleaned[i]), |i| is_generic_leading(cleaned[i]));
    cleaned[first..last].iter().map(|word| word.to_string()).collect()
}

/// The words of `start..end` left once generic words are taken off its end (`trailing`),
/// then off its start (`leading`): the range of [`strip_generic`] of that slice.
fn kept_words(
    start: usize,
    end: usize,
    trailing: impl Fn(usize) -> bool,
    leading: impl Fn(usize) -> bool,
) -> (usize, usize) {
    let mut last = end;
    while last > start && trailing(last - 1) {
        last -= 1;
    }
    let mut first = start;
    while first < last && leading(first) {
        first += 1;
    }
    (first, last)
}

/// Matches capitalised names against the employer's domain keys.
fn find_company(context: &MessageContext<'_>) -> Option<String> {
    let keys = domain_keys(context);
    let envelope = &context.parsed.envelope;
    let from_name = envelope.from.as_ref().and_then(|m| m.name.clone()).unwrap_or_default();
    let from_name = from_name.split(" via ").next().unwrap_or("").to_string();
    let sources: [(&str, f64); 5] = [
        (&context.subject_core, 2.0),
        (&from_name, 2.0),
        (&context.own, 1.0),
        (&context.signature, 1.5),
        (&context.quoted, 0.5),
    ];
    let mut scored: HashMap<String, (f64, usize, bool)> = HashMap::new();
    let (mut run_plain, mut run_and) = (String::new(), String::new());
    let (mut plain_at, mut and_at): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
    let mut cleaned: Vec<&str> = Vec::new();
    // Each key's first three characters (every key has at least three).
    let key_starts: Vec<&str> =
        keys.iter().map(|key| &key[..key.char_indices().nth(3).map_or(key.len(), |(i, _)| i)]).collect();
    if !keys.is_empty() {
        for (text, weight) in sources {
            for run in capitalised_runs(text) {
                // Each word's share of every sub-phrase, worked out once per run (the
                // sub-phrases below are the same as `strip_generic` of each slice): the
                // run's keys end to end, each sub-phrase's key a slice of them.
                cleaned.clear();
                cleaned.extend(run.split_whitespace().map(clean_word));
                let n = cleaned.len();
                run_plain.clear();
                run_and.clear();
                plain_at.clear();
                and_at.clear();
                plain_at.push(0);
                and_at.push(0);
                for word in &cleaned {
                    norm_key_into(&mut run_plain, word, false);
                    plain_at.push(run_plain.len());
                    norm_key_into(&mut run_and, word, true);
                    and_at.push(run_and.len());
                }
                // Every way a phrase can score (equal to a key, extending one, or a
                // prefix of one of five or more characters) puts a key's first three
                // characters inside the run's keys: most runs ("Thanks", "I") are
                // decided here.
                if !key_starts.iter().any(|start| run_plain.contains(start) || run_and.contains(start)) {
                    continue;
                }
                let trailing: Vec<bool> = cleaned.iter().map(|word| is_generic_trailing(word)).collect();
                let leading: Vec<bool> = cleaned.iter().map(|word| is_generic_leading(word)).collect();
                for start in 0..n {
                    for end in start + 1..=n.min(start + 5) {
                        let (first, last) = kept_words(start, end, |i| trailing[i], |i| leading[i]);
                        let kept = last - first;
                        if kept == 0 || kept != end - start && end < n {
                            continue;
                        }
                        let plain = &run_plain[plain_at[first]..plain_at[last]];
                        let with_and = &run_and[and_at[first]..and_at[last]];
                        let quality = keys
                            .iter()
                            .map(|key| {
                                let exact = plain == key || with_and == key;
                                let extends_key = key.len() >= 4
                                    && (plain.starts_with(key.as_str()) || with_and.starts_with(key.as_str()));
                                if exact || extends_key {
                                    1.0
                                } else if plain.len() >= 5 && key.starts_with(plain) {
                                    0.8
                                } else {
                                    0.0
                                }
                            })
                            .fold(0.0, f64::max);
                        if quality > 0.0 {
                            let phrase = cleaned[first..last].join(" ");
                            let whole_run = start == 0 && end == n;
                            let entry = scored.entry(phrase).or_insert((0.0, kept, false));
                            entry.0 += weight * quality;
                            entry.2 |= whole_run;
                        }
                    }
                }
            }
        }
    }
    // A longer name that is written on its own somewhere ("Quillon Metrics" in a
    // signature) is the full form of its shorter prefixes ("Quillon").
    let snapshot: Vec<(String, f64)> = scored.iter().map(|(p, v)| (p.clone(), v.0)).collect();
    let best = scored
        .iter()
        .map(|(phrase, (score, words, whole_run))| {
            let mut total = *score;
            if *whole_run {
                for (other, other_score) in &snapshot {
                    if other.len() < phrase.len() && phrase.starts_with(&format!("{other} ")) {
                        total += other_score;
                    }
                }
            }
            (phrase.clone(), total + 0.1 * *words as f64)
        })
        .max_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal).then(a.0.len().cmp(&b.0.len())))
        .map(|(phrase, _)| phrase);
    best.or_else(|| organisation_sender_name(context))
        .or_else(|| domain_company(context))
        .or_else(|| at_company(context))
        .map(|c| clean_company(&c))
}

/// The sender's own domain as a name, when nothing in the text names the employer
/// ("callum@corvane.example" → "Corvane").
fn domain_company(context: &MessageContext<'_>) -> Option<String> {
    let from = context.parsed.envelope.from.as_ref()?;
    let domain = from.email.rsplit_once('@')?.1.to_ascii_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let label = labels.get(labels.len().checked_sub(2)?)?;
    if HOSTING_DOMAINS.contains(label) || context.candidate.is_some_and(|c| c.ends_with(&format!("@{domain}"))) {
        return None;
    }
    name_of_label(label)
}

/// A domain label as an organisation's name: "zephyr-line" → "Zephyr Line".
pub fn name_of_label(label: &str) -> Option<String> {
    let name: Vec<String> = label
        .split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
        })
        .collect();
    (!name.is_empty()).then(|| name.join(" "))
}

/// The sender's display name when it names an organisation ("Acme Careers").
fn organisation_sender_name(context: &MessageContext<'_>) -> Option<String> {
    let from = context.parsed.envelope.from.as_ref()?;
    let name = from.name.as_deref()?.split(" via ").next()?.trim();
    let words: Vec<&str> = name.split_whitespace().collect();
    let has_generic = words.iter().any(|w| GENERIC_TRAILING.contains(&w.to_lowercase().as_str()));
    let robot = envelope::is_robot_address(&from.email);
    if !(has_generic || robot) {
        return None;
    }
    let stripped = strip_generic(&words);
    (!stripped.is_empty()).then(|| stripped.join(" "))
}

static AT_COMPANY: Compiled<Regex> = Compiled::new(|| {
    Regex::new(r"\b(?:at|bei|chez|join|joining|from|with)\s+(\p{Lu}[\p{L}\p{N}'’.-]*(?:[^\S\n]+(?:&[^\S\n]+)?\p{Lu}[\p{L}\p{N}'’.-]*){0,3})")
        .expect("at company pattern")
});

fn at_company(context: &MessageContext<'_>) -> Option<String> {
    let candidate_words: Vec<String> = candidate_name_words(context);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for text in [&context.subject_core, &context.own, &context.signature] {
        for captures in AT_COMPANY.get().captures_iter(text) {
            let words: Vec<&str> = captures[1].split_whitespace().collect();
            let words = strip_generic(&words);
            if words.is_empty() || words.iter().any(|w| candidate_words.contains(&w.to_lowercase())) {
                continue;
            }
            let first = words[0].to_lowercase();
            if datetime::weekday_from_name(&first).is_some() || datetime::month_from_name(&first).is_some() {
                continue;
            }
            *counts.entry(words.join(" ")).or_insert(0) += 1;
        }
    }
    counts.into_iter().max_by_key(|(name, count)| (*count, name.len())).map(|(name, _)| name)
}

fn clean_company(company: &str) -> String {
    let without_parens = company.split(" (").next().unwrap_or(company);
    let words: Vec<&str> = without_parens.split_whitespace().collect();
    strip_generic(&words).join(" ")
}

// ---------------------------------------------------------------------------------
// Role

const TITLE_HEADS: &str = "Engineer|Developer|Programmer|Architect|Scientist|Analyst|Designer|Manager|Director|Lead|Specialist|Consultant|Administrator|Researcher|Technician|SRE|Intern|Entwickler|Entwicklerin|Ingenieur|Ingenieurin|Développeur|Développeuse|Ingénieur|Ingeniero|Ingeniera|Desarrollador|Desarrolladora|Officer|Strategist|Writer|Marketer|Accountant|Editor|Producer|Artist|Animator|Tester|Owner|Executive|Representative|Associate|Assistant|Coordinator|Advocate|Nurse|Teacher|Counsel|Attorney|Economist|Statistician|Planner|Buyer|Chemist|Physicist|Mathematician|Technologist";

/// A job title: up to five capitalised words (or "of", "and", "&") before a head noun
/// ("Staff Compiler Engineer"), with an optional level ("II", "3").
static ROLE: Compiled<Regex> = Compiled::new(|| {
    Regex::new(&format!(
        r"(?:(?:\p{{Lu}}[\p{{L}}\p{{N}}+#/.-]*|[A-Z]{{2,}}|iOS|of|and|&)[^\S\n]+){{0,5}}(?:{TITLE_HEADS})(?:[^\S\n]+(?:I{{1,3}}|IV|V|[1-4]))?(?-u:\b)"
    ))
    .expect("role pattern")
});
/// What may follow a title as its qualifier: ", Route Optimisation". A separate pattern
/// anchored at the title's end rather than an optional group of [`ROLE`]: the same
/// matches, without asking the regex engine for capture groups, which on a pattern
/// this size costs a third of a message's classification (issue 10's speed target).
static ROLE_QUALIFIER: Compiled<Regex> = Compiled::new(|| {
    Regex::new(r"^,[^\S\n]+\p{Lu}[\p{L}&-]*(?:[^\S\n]+(?:&[^\S\n]+)?\p{Lu}[\p{L}&-]*){0,3}")
        .expect("role qualifier pattern")
});
/// Titles that put the head first (Spanish, French): "Ingeniero de Datos", "Développeur Backend".
static ROLE_HEAD_FIRST: Compiled<Regex> = Compiled::new(|| {
    Regex::new(r"\b(?:Ingenier[oa]|Engenheir[oa]|Ingegnere|Desarrollador(?:a)?|Desenvolvedor(?:a)?|Sviluppat(?:ore|rice)|Développeu(?:r|se)|Ingénieure?|Analista|Arquitect[oa]|Architecte|Chef\s+de\s+projet|Responsable|Programador(?:a)?)\b(?:[^\S\n]+(?:de[^\S\n]+|du[^\S\n]+|des[^\S\n]+|da[^\S\n]+|do[^\S\n]+|di[^\S\n]+|d'|en[^\S\n]+)?\p{Lu}[\p{L}-]+){1,2}")
        .expect("head-first role pattern")
});

static ROLE_CONTEXT_BEFORE: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"(?i)(?:\bthe|\bfor|\bas|\bals|\bposition\s+of|\brole\s+of|\bapply(?:ing)?\s+(?:for|to)|\bapplication\s+(?:for|to|as)|\binterview\s+for|\bcandidacy\s+for|\boffer\s+for|\bhiring\s+(?:a|an)|\bpour\s+le\s+poste\s+de|\bpara\s+el\s+puesto\s+de|\bstelle\s+als)\s+(?:the\s+|a\s+|an\s+|our\s+)?$")
        .expect("role context before")
});
static ROLE_CONTEXT_AFTER: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"(?i)^(?:[^\S\n]+(?:role|position|opening|job|vacancy|req\b|requisition|stelle|poste|puesto)\b|[^\S\n]*\((?:m/w/d|w/m/d|m/f/d|f/m/x|m/f/x|all\s+genders|remote|hybrid|on-?site|h/f|f/h)\))")
        .expect("role context after")
});
static PERSON_TITLE_BEFORE: Compiled<Regex> = Compiled::new(|| {
    Regex::new(r"(?:(?P<name>\p{Lu}[\p{L}'’-]+[^\S\n]+\p{Lu}[\p{L}'’-]+)[^\S\n]*(?:,|\(|-|\|)[^\S\n]*|\([^\S\n]*|\b(?:our|my|your|their|his|her|is|a|an)[^\S\n]+)$")
        .expect("person title before")
});
static QUALIFIER_END: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"(?i)^(?:$|[^\S\n]*[\n(|:;.!?\-]|[^\S\n]+(?:role|position|opening|team|job|at|with|in|for)\b)")
        .expect("qualifier end")
});

/// Each job title in `text`, with its qualifier when one follows it and ends there
/// ("Data Engineer, Route Optimisation" before a line end or "role"): its start, its end and
/// its text.
fn titles(text: &str) -> Vec<(usize, usize, String)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(title) = ROLE.get().find_at(text, from) {
        let qualifier =
            ROLE_QUALIFIER.get().find(&text[title.end()..]).map(|q| (title.end() + q.start(), title.end() + q.end()));
        // Matches do not overlap: the next one starts after this title and qualifier.
        from = qualifier.map_or(title.end(), |(_, end)| end);
        match qualifier {
            Some((start, end)) if QUALIFIER_END.get().is_match(&text[end..]) => {
                found.push((title.start(), end, format!("{}{}", title.as_str().trim(), &text[start..end])));
            }
            _ => found.push((title.start(), title.end(), title.as_str().trim().to_string())),
        }
    }
    found
}

fn find_role(context: &MessageContext<'_>) -> Option<String> {
    let mut scored: HashMap<String, f64> = HashMap::new();
    let summaries: Vec<String> = context.events.iter().filter_map(|e| e.summary.clone()).collect();
    let summaries = summaries.join("\n");
    let sources: [(&str, f64); 4] =
        [(&context.subject_core, 3.0), (&context.own, 1.0), (&summaries, 1.0), (&context.quoted, 0.5)];
    for (text, weight) in sources {
        for (start, end, role) in titles(text) {
            let role = trim_role(&role);
            if role.split_whitespace().count() < 2 || is_not_a_role(&role) {
                continue;
            }
            let before = &text[..start];
            let after = &text[end..];
            let mut score = weight;
            if ROLE_CONTEXT_BEFORE.get().is_match(before) || ROLE_CONTEXT_AFTER.get().is_match(after) {
                score += 2.0 * weight.min(1.0) + 1.0;
            }
            let person_before = PERSON_TITLE_BEFORE
                .get()
                .captures(before)
                .is_some_and(|c| c.name("name").is_none_or(|name| plausible_name(context, name.as_str())));
            if person_before || after.trim_start().starts_with(')') {
                score -= 4.0;
            }
            *scored.entry(role).or_insert(0.0) += score;
        }
    }
    for (text, weight) in [(&context.subject_core, 3.0), (&context.own, 1.0)] {
        for found in ROLE_HEAD_FIRST.get().find_iter(text) {
            let before = &text[..found.start()];
            let mut score = weight;
            if ROLE_CONTEXT_BEFORE.get().is_match(before) || before.to_lowercase().trim_end().ends_with(" de") {
                score += 2.0;
            }
            *scored.entry(found.as_str().to_string()).or_insert(0.0) += score;
        }
    }
    // A qualified title ("Data Engineer, Route Optimisation") is the same role as its head
    // ("Software Engineer") written more precisely: it inherits the head's support.
    let heads: Vec<(String, f64)> = scored.iter().map(|(role, score)| (role.clone(), *score)).collect();
    for (role, score) in scored.iter_mut() {
        for (head, head_score) in &heads {
            if role.len() > head.len() && role.starts_with(&format!("{head},")) && *head_score > 0.0 {
                *score += head_score;
            }
        }
    }
    scored
        .into_iter()
        .filter(|(_, score)| *score >= 1.0)
        .max_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal).then(a.0.len().cmp(&b.0.len())))
        .map(|(role, _)| role)
}

fn trim_role(role: &str) -> String {
    let words: Vec<&str> = role.split_whitespace().collect();
    let mut start = 0;
    // Leading words that belong to the sentence, not the title.
    while start < words.len()
        && matches!(
            words[start],
            "Hi" | "Hello"
                | "Dear"
                | "Our"
                | "The"
                | "Your"
                | "A"
                | "An"
                | "Re:"
                | "As"
                | "For"
                | "Senior's"
                | "Ihre"
                | "Ihr"
                | "Bewerbung"
                | "Offer"
                | "Interview"
                | "Technical"
                | "Panel"
                | "Final"
                | "Virtual"
                | "Onsite"
                | "Update"
                | "Next"
                | "of"
                | "and"
                | "&"
        )
        && start + 2 < words.len()
    {
        start += 1;
    }
    words[start..].join(" ").trim_end_matches([',', '.']).to_string()
}

fn is_not_a_role(role: &str) -> bool {
    let lower = role.to_lowercase();
    ["hiring manager", "engineering manager conversation", "talent", "people partner", "hr "]
        .iter()
        .any(|bad| lower.starts_with(bad))
        || ["recruit", "talent acquisition", "sourc"].iter().any(|bad| lower.contains(bad))
}

// ---------------------------------------------------------------------------------
// Interview

fn find_interview(
    context: &MessageContext<'_>,
    kind: MessageKind,
    own_slots: &[Slot],
    subject_slots: &[Slot],
) -> Option<InterviewFacts> {
    let events: Vec<&CalendarEvent> = context
        .events
        .iter()
        .filter(|e| if kind == MessageKind::InterviewCancelled { e.is_cancel() } else { !e.is_cancel() })
        .collect();
    let events = if events.is_empty() { context.events.iter().collect() } else { events };
    if let Some(first) = events.first() {
        let start = events.iter().map(|e| e.start).min().unwrap_or(first.start);
        let end = events.iter().filter_map(|e| e.end).max();
        let mut interviewers = calendar_interviewers(context, &events);
        if interviewers.is_empty() {
            interviewers = prose_interviewers(context);
        }
        return Some(InterviewFacts {
            start,
            end,
            interviewers,
            time_zone: first.time_zone.clone(),
            location: first.location.clone(),
            calendar_uid: first.uid.clone(),
        });
    }
    let slot = choose_slot(context, kind, own_slots).or_else(|| subject_slots.first().cloned()).or_else(|| {
        if kind == MessageKind::InterviewCancelled && context.local.is_some() {
            let latest = super::text::latest_quoted(&context.quoted);
            datetime::find_slots(latest, context.reference(), &context.default_zone).into_iter().next()
        } else {
            None
        }
    })?;
    // "sorry, we must cancel our 3:30": the quoted message that booked it says until when.
    // (Only for a cancellation: a proposal window's end is not an interview's end.)
    let quoted_end = || {
        if kind != MessageKind::InterviewCancelled || !context.is_reply || context.local.is_none() {
            return None;
        }
        let latest = super::text::latest_quoted(&context.quoted);
        datetime::find_slots(latest, context.reference(), &context.default_zone)
            .into_iter()
            .find(|quoted| quoted.start == slot.start)
            .and_then(|quoted| quoted.end)
    };
    let end = slot.end.or_else(quoted_end).or_else(|| {
        let duration = datetime::find_duration(&context.own)
            .or_else(|| datetime::find_duration(&context.subject_core))
            .or_else(|| datetime::find_duration(&context.quoted))?;
        slot.start.checked_add(duration).ok()
    });
    let mut interviewers = prose_interviewers(context);
    // A move or a cancellation in a reply keeps the people of the interview it refers
    // to ("same panel", "Tobias will still join"): those named in the quoted message.
    if matches!(kind, MessageKind::InterviewRescheduled | MessageKind::InterviewCancelled) && context.is_reply {
        let latest = super::text::latest_quoted(&context.quoted);
        for person in interviewers_in(context, latest) {
            let known = interviewers
                .iter()
                .any(|p| p.name.is_some() && p.name == person.name || p.email.is_some() && p.email == person.email);
            if !known && person.email.as_deref() != context.candidate {
                interviewers.push(person);
            }
        }
    }
    if interviewers.is_empty()
        && context.is_reply
        && kind == MessageKind::InterviewConfirmation
        && !OTHERS_TAKE_PART.get().is_match(&context.own)
        && let Some(from) = &context.parsed.envelope.from
        && !envelope::is_robot_address(&from.email)
        && !COORDINATOR.get().is_match(&context.signature)
        && Some(from.email.to_ascii_lowercase().as_str()) != context.candidate
    {
        // A person who answers the candidate with a time and names nobody else is the
        // one the candidate will talk to ("Works for me, see you then").
        interviewers.push(Participant { name: from.name.clone(), email: Some(from.email.clone()) });
    }
    Some(InterviewFacts {
        start: slot.start,
        end,
        interviewers,
        time_zone: slot.zone.as_ref().and_then(|z| z.iana_name()),
        location: None,
        calendar_uid: None,
    })
}

static PREVIOUS_SLOT: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"(?i)\b(?:from|previously|originally|was\s+(?:scheduled|planned|set)\s+for|instead\s+of|old\s+time|were\s+meant\s+to)\b[^.\n]{0,25}$")
        .expect("previous slot pattern")
});

fn choose_slot(context: &MessageContext<'_>, kind: MessageKind, slots: &[Slot]) -> Option<Slot> {
    let candidates: Vec<&Slot> = if kind == MessageKind::InterviewRescheduled {
        let fresh: Vec<&Slot> = slots
            .iter()
            .filter(|slot| {
                // A slot resolved from the quoted message has offsets in that text.
                let at = floor_boundary(&context.own, slot.date_position.min(slot.position));
                !PREVIOUS_SLOT.get().is_match(&context.own[ceil_boundary(&context.own, at.saturating_sub(60))..at])
            })
            .collect();
        if fresh.is_empty() { slots.iter().collect() } else { fresh }
    } else {
        slots.iter().collect()
    };
    candidates.first().map(|slot| (*slot).clone())
}

fn candidate_name_words(context: &MessageContext<'_>) -> Vec<String> {
    let Some(candidate) = context.candidate else { return Vec::new() };
    let envelope = &context.parsed.envelope;
    envelope
        .to
        .iter()
        .chain(envelope.cc.iter())
        .filter(|m| m.email.eq_ignore_ascii_case(candidate))
        .filter_map(|m| m.name.as_deref())
        .chain(
            context
                .events
                .iter()
                .flat_map(|e| e.attendees.iter())
                .filter(|p| p.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(candidate)))
                .filter_map(|p| p.name.as_deref()),
        )
        .flat_map(|name| name.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>())
        .collect()
}

fn is_candidate(context: &MessageContext<'_>, person: &CalendarPerson) -> bool {
    let by_email = match (context.candidate, person.email.as_deref()) {
        (Some(candidate), Some(email)) => candidate.eq_ignore_ascii_case(email),
        _ => false,
    };
    by_email || person.name.as_deref().is_some_and(|name| is_candidate_name(context, name))
}

fn is_candidate_name(context: &MessageContext<'_>, name: &str) -> bool {
    let words = candidate_name_words(context);
    if words.is_empty() {
        return false;
    }
    let name_words: Vec<String> = name.split_whitespace().map(str::to_lowercase).collect();
    !name_words.is_empty() && name_words.iter().all(|w| words.contains(w))
}

fn is_robot_person(person: &CalendarPerson) -> bool {
    person.email.as_deref().is_some_and(envelope::is_robot_address)
        || matches!(person.cutype.as_deref(), Some("ROOM" | "RESOURCE"))
        || person.role.as_deref() == Some("NON-PARTICIPANT")
}

static RECRUITER_TITLE: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"(?i)\b(?:recruit\w*|talent|sourc\w+|coordinator|people\s+(?:team|partner|ops)|human\s+resources|hr\b|organi[sz]er)")
        .expect("recruiter title")
});

/// Whether the message describes this person as a recruiter or coordinator.
fn described_as_recruiter(context: &MessageContext<'_>, name: &str) -> bool {
    let sender_is = context
        .parsed
        .envelope
        .from
        .as_ref()
        .and_then(|f| f.name.as_deref())
        .is_some_and(|from| from.eq_ignore_ascii_case(name));
    if sender_is && RECRUITER_TITLE.get().is_match(&context.signature) {
        return true;
    }
    for text in [&context.own, &context.signature] {
        let mut search = 0;
        while let Some(found) = text[search..].find(name) {
            let at = search + found + name.len();
            let end = (at + 50).min(text.len());
            let mut end = end;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let tail = text[at..end].lines().next().unwrap_or("");
            if RECRUITER_TITLE.get().is_match(tail) {
                return true;
            }
            search = at;
        }
    }
    false
}

fn calendar_interviewers(context: &MessageContext<'_>, events: &[&CalendarEvent]) -> Vec<Participant> {
    let organizer_email = events.iter().find_map(|e| e.organizer.as_ref()).and_then(|o| o.email.clone());
    let mut people: Vec<&CalendarPerson> = Vec::new();
    for event in events {
        for attendee in &event.attendees {
            if is_candidate(context, attendee) || is_robot_person(attendee) {
                continue;
            }
            if !people.iter().any(|p| same_person(p, attendee)) {
                people.push(attendee);
            }
        }
    }
    let is_organizer = |p: &CalendarPerson| {
        organizer_email.as_deref().is_some_and(|o| p.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(o)))
    };
    let others: Vec<&CalendarPerson> = people
        .iter()
        .copied()
        .filter(|p| !is_organizer(p))
        .filter(|p| !p.name.as_deref().is_some_and(|n| described_as_recruiter(context, n)))
        .collect();
    // A team or the company itself ("Acme Recruiting", "Acme Analytics") arranges; it
    // does not interview.
    let keys = domain_keys(context);
    let is_team = |p: &&CalendarPerson| {
        p.name.as_deref().is_some_and(|name| {
            let key = norm_key(name);
            name.split(|c: char| !c.is_alphanumeric())
                .any(|w| GENERIC_TRAILING.contains(&w.to_lowercase().as_str()) && w.len() > 2)
                || keys.iter().any(|k| k.len() >= 4 && key.starts_with(k.as_str()))
        })
    };
    let people: Vec<&CalendarPerson> = people.into_iter().filter(|p| !is_team(p)).collect();
    let others: Vec<&CalendarPerson> = others.into_iter().filter(|p| !is_team(p)).collect();
    let chosen: Vec<&CalendarPerson> = if !others.is_empty() {
        others
    } else if !people.is_empty() {
        people
    } else {
        events
            .iter()
            .filter_map(|e| e.organizer.as_ref())
            .filter(|o| !is_candidate(context, o) && !is_robot_person(o) && !is_team(o))
            .take(1)
            .collect()
    };
    chosen
        .into_iter()
        .map(|p| Participant {
            name: p.name.clone().or_else(|| p.email.as_deref().and_then(|e| header_name_for(context, e))),
            email: p.email.clone(),
        })
        .collect()
}

fn same_person(a: &CalendarPerson, b: &CalendarPerson) -> bool {
    match (&a.email, &b.email) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => a.name.is_some() && a.name == b.name,
    }
}

fn header_name_for(context: &MessageContext<'_>, email: &str) -> Option<String> {
    all_mailboxes(context).into_iter().find(|m| m.email.eq_ignore_ascii_case(email)).and_then(|m| m.name.clone())
}

fn all_mailboxes<'a>(context: &'a MessageContext<'_>) -> Vec<&'a super::Mailbox> {
    let envelope = &context.parsed.envelope;
    envelope.from.iter().chain(envelope.reply_to.iter()).chain(envelope.to.iter()).chain(envelope.cc.iter()).collect()
}

const NAME: &str =
    r"\p{Lu}[\p{Ll}'’-]+(?:[^\S\n]+(?:(?:de|van|von|der|da|di|le|la|du|del|bin|al)[^\S\n]+)?\p{Lu}[\p{L}'’-]+){1,2}";

/// "with Dr. Ilves", "with Ada and Tim": a title and surname, or a lone first name.
static SHORT_REFERENCE: Compiled<Regex> = Compiled::new(|| {
    Regex::new(r"\b(?:with|meet|meeting|by)\s+(?:(?:Dr|Prof|Mr|Ms|Mrs|Mx)\.?\s+(?P<surname>\p{Lu}[\p{Ll}'’-]+)|(?P<first>\p{Lu}[\p{Ll}]+)\b(?:\s+(?:and|&)\s+(?P<second>\p{Lu}[\p{Ll}]+))?)(?:[^\S\n]+[^\p{Lu}\s]|[.,;:!?)\n]|$)")
        .expect("short reference pattern")
});

/// The full name of someone referred to by surname ("Dr. Ilves" -> "Anu Ilves").
fn complete_surname(context: &MessageContext<'_>, surname: &str) -> Option<String> {
    let pattern = Regex::new(&format!(r"\b(\p{{Lu}}[\p{{Ll}}'’-]+)\s+{}\b", regex::escape(surname))).ok()?;
    for text in [&context.own, &context.quoted, &context.signature] {
        for captures in pattern.captures_iter(text) {
            let first = &captures[1];
            if !matches!(first, "Dr" | "Prof" | "Mr" | "Ms" | "Mrs" | "Mx" | "With" | "Meet") {
                return Some(format!("{first} {surname}"));
            }
        }
    }
    None
}

/// The time range at the start of a session-table row.
static ROW_RANGE: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"^\s*\d{1,2}(?::\d{2})?\s*(?:[aApP]\.?[mM]\.?)?\s*-\s*\d{1,2}(?::\d{2})?\s*(?:[aApP]\.?[mM]\.?)?(?:[^\S\n]*[A-Z]{2,5}\b)?[\s:|]*")
        .expect("row range")
});
/// Words of a session's title, not a person's name ("Lunch Break", "System Design").
static ROLE_WORDS: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"(?i)\b(?:break|lunch|design|coding|review|session|interview|exercise|chat|walkthrough|deep|dive|architecture|values|culture|presentation|wrap|welcome|intro|introduction|tour|q&a|panel|round|screen|case|study|system|technical|behavio(?:u)?ral|hiring|manager|team|data|product)\b")
        .expect("role words")
});
static NAME_AT_START: Compiled<Regex> = Compiled::new(|| Regex::new(&format!(r"^\s*({NAME})")).expect("name at start"));
static NAME_WITH_TITLE: Compiled<Regex> =
    Compiled::new(|| Regex::new(&format!(r"({NAME})[^\S\n]*\(([^)\n]{{2,60}})\)")).expect("name with title"));
static LABELLED_LINE: Compiled<Regex> = Compiled::new(|| {
    Regex::new(r"(?im)^[^\S\n]*(?:with|who|panel|panelists?|interviewers?|interviewing\s+you|staff|hosts?|you'll\s+(?:meet|be\s+meeting|speak)\s+with|entrevistador(?:es|as?)?|gesprächspartner(?:in|innen)?|interlocuteurs?|intervistator[ie]|intervjuare|gesprekspartners?|mit|avec|con|com|met|med)[^\S\n]*:[^\S\n]*(.+)$")
        .expect("labelled line")
});
static WITH_NAME: Compiled<Regex> = Compiled::new(|| {
    Regex::new(&format!(
        r"(?i:interview|conversation|call|chat|meeting|session|screen|panel|onsite|meet|meeting\s+with|speak|speaking|talk|talking|you'll\s+meet|you\s+will\s+meet|be\s+meeting|sprechen\s+mit|treffen|entretien\s+avec|reunión\s+con|entrevista\s+con|design|review|exercise|dive)\s+(?i:with\s+)?({NAME})(?:[^\S\n]*\([^)\n]*\)|,[^,\n]{{2,50}},)?(?:,?\s+(?:and|e|y|et|und|en|och)\s+({NAME}))?"
    ))
    .expect("with name")
});
/// Words that say other people hold the interview ("same panel", "the team").
static OTHERS_TAKE_PART: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"(?i)\b(?:panel|panelists?|interviewers|the\s+team|hiring\s+manager|same\s+people)\b")
        .expect("others pattern")
});

/// A signature of someone who arranges interviews rather than holds them.
static COORDINATOR: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"(?i)\b(?:coordinator|coordination|scheduler|scheduling|scheduling\s+team|executive\s+assistant|office\s+manager)\b")
        .expect("coordinator pattern")
});
static SENDER_RUNS_IT: Compiled<Regex> = Compiled::new(|| {
    Regex::new(r"(?i)\b(?:i'll|i\s+will)\s+(?:call|ring|phone|dial)\s+you\b|\bcall\s+you\s+at\b|\band\s+me\b|\bme\s+and\s+\p{Lu}|\b\p{Lu}\p{Ll}+\s+and\s+i\s+(?:will|'ll|are|look)\b|\bmeet\s+with\s+me\b|\bchat\s+with\s+me\b|\bmy\s+(?:call|interview)\b")
        .expect("sender runs it")
});
static FIRST_NAME_AND_ME: Compiled<Regex> = Compiled::new(|| {
    Regex::new(r"\b(\p{Lu}[\p{Ll}'’-]+)\s+and\s+(?:me|I)\b|\bme\s+and\s+(\p{Lu}[\p{Ll}'’-]+)")
        .expect("first name and me")
});
static INTERVIEWER_TITLE: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"(?i)\b(?:engineer\w*|\w*lead|manager|director|head|vp|cto|ceo|cfo|principal|architect|developer|scientist|sre|designer|founder|programmer|analyst|staff|product|partner\s+engineer)\b")
        .expect("interviewer title")
});

const NOT_NAME_WORDS: &[&str] = &[
    "system",
    "design",
    "coding",
    "break",
    "lunch",
    "deep",
    "dive",
    "conversation",
    "interview",
    "hiring",
    "manager",
    "engineering",
    "team",
    "platform",
    "microsoft",
    "teams",
    "google",
    "meet",
    "zoom",
    "video",
    "call",
    "round",
    "technical",
    "panel",
    "onsite",
    "session",
    "product",
    "infrastructure",
    "happy",
    "new",
    "year",
    "thanks",
    "thank",
    "best",
    "regards",
    "time",
    "standard",
    "central",
    "eastern",
    "pacific",
    "mountain",
    "join",
    "click",
    "meeting",
    "questions",
    "please",
    "the",
    "your",
    "our",
    "hi",
    "hello",
    "dear",
    "confirmed",
    "update",
    "updated",
    "tech",
    "lead",
    "senior",
    "staff",
    "principal",
    "head",
    "director",
];

fn plausible_name(context: &MessageContext<'_>, name: &str) -> bool {
    let words: Vec<String> = name.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() || words.iter().any(|w| NOT_NAME_WORDS.contains(&w.as_str())) {
        return false;
    }
    if words.iter().any(|w| datetime::weekday_from_name(w).is_some() || datetime::month_from_name(w).is_some()) {
        return false;
    }
    !is_candidate_name(context, name)
}

static GUESTS_HEADING: Compiled<Regex> = Compiled::new(|| {
    Regex::new(r"(?i)^\s*(?:guests|attendees|participants|invitees|teilnehmer|invités|participantes|deelnemers|deltagare)\s*:?\s*$")
        .expect("guests heading pattern")
});
static ORGANISER_MARK: Compiled<Regex> = Compiled::new(|| {
    Regex::new(r"(?i)\s*[-(,]\s*(?:organi[sz]er|organisateur|organisator|organizador|arrangör)\)?\s*$")
        .expect("organiser mark pattern")
});

/// The guest list of a calendar invitation sent as text ("Guests / Nora Quint -
/// organizer / sam@example.net"): everyone but the candidate; the organiser only when
/// nobody else is listed (the person who booked a one-to-one is the one you meet).
fn guest_list(context: &MessageContext<'_>) -> Vec<Participant> {
    let lines: Vec<&str> = context.own.lines().collect();
    let Some(heading) = lines.iter().position(|line| GUESTS_HEADING.get().is_match(line)) else {
        return Vec::new();
    };
    let mut guests: Vec<Participant> = Vec::new();
    let mut organisers: Vec<Participant> = Vec::new();
    for line in lines[heading + 1..].iter().map(|l| l.trim()).take(20) {
        if line.is_empty() || line.to_ascii_lowercase().starts_with("view all") || line.len() > 80 {
            break;
        }
        let is_organiser = ORGANISER_MARK.get().is_match(line);
        let entry = ORGANISER_MARK.get().replace(line, "").trim().to_string();
        let person = if entry.contains('@') && !entry.contains(' ') {
            let email = entry.trim_matches(['<', '>']).to_ascii_lowercase();
            if context.candidate == Some(email.as_str()) {
                continue;
            }
            Participant { name: header_name_for(context, &email), email: Some(email) }
        } else {
            if !plausible_name(context, &entry) || entry.split_whitespace().count() > 4 {
                continue;
            }
            let email = email_for_name(context, &entry);
            if email.is_some() && email.as_deref() == context.candidate {
                continue;
            }
            Participant { name: Some(entry), email }
        };
        if is_organiser { organisers.push(person) } else { guests.push(person) }
    }
    if guests.is_empty() { organisers } else { guests }
}

fn prose_interviewers(context: &MessageContext<'_>) -> Vec<Participant> {
    let guests = guest_list(context);
    if !guests.is_empty() {
        return guests;
    }
    interviewers_in(context, &context.own)
}

/// The interviewers named in `own` (the sender's words, or the quoted message a move or
/// a cancellation refers to).
fn interviewers_in(context: &MessageContext<'_>, own: &str) -> Vec<Participant> {
    let mut names: Vec<String> = Vec::new();
    let push = |name: &str, names: &mut Vec<String>| {
        let name = name.trim().trim_end_matches(['\'', '’']).to_string();
        if plausible_name(context, &name) && !names.contains(&name) {
            names.push(name);
        }
    };
    // Itinerary rows: "2:00 - 2:45 PM  Architecture - Noor Haddad, Principal Engineer".
    // Session tables: "1:00 - 1:40 PM  Ivo Marsh, Director", "11:00 AM - 12:00 PM
    // Case exercise - A (Manager) and B (Data Scientist)".
    for line in own.lines() {
        let Some(range) = ROW_RANGE.get().find(line) else { continue };
        let rest = &line[range.end()..];
        for segment in rest.split(" - ").flat_map(|segment| segment.split("  ")) {
            // "System design with A and B": the names after "with".
            let segment = segment.rsplit_once(" with ").map_or(segment, |(_, names)| names);
            for piece in segment.split(" and ").flat_map(|piece| piece.split(" & ")) {
                if let Some(captures) = NAME_AT_START.get().captures(piece)
                    && !ROLE_WORDS.get().is_match(&captures[1])
                {
                    push(&captures[1], &mut names);
                }
            }
        }
    }
    // "Name (Principal Engineer)".
    for captures in NAME_WITH_TITLE.get().captures_iter(own) {
        if INTERVIEWER_TITLE.get().is_match(&captures[2]) && !RECRUITER_TITLE.get().is_match(&captures[2]) {
            push(&captures[1], &mut names);
        }
    }
    // "Who: A and B", "Panel: …", "With: …".
    for captures in LABELLED_LINE.get().captures_iter(own) {
        let line = captures[1].to_string();
        let parts = line.split([',', '&', '/', ';']).flat_map(|p| {
            p.split(" and ")
                .flat_map(|p| p.split(" e "))
                .flat_map(|p| p.split(" y "))
                .flat_map(|p| p.split(" et "))
                .flat_map(|p| p.split(" und "))
                .flat_map(|p| p.split(" en "))
                .flat_map(|p| p.split(" och "))
        });
        for part in parts {
            if let Some(found) = NAME_AT_START.get().captures(part) {
                push(&found[1], &mut names);
            }
        }
    }
    // "your interview with Rhea Kostas", "You'll meet A and B".
    for captures in WITH_NAME.get().captures_iter(own) {
        for index in [1, 2] {
            if let Some(name) = captures.get(index) {
                push(name.as_str(), &mut names);
            }
        }
    }
    // "with Dr. Ilves", "with Ada": a short form of a full name written elsewhere (in
    // the sender's words, or their own subject: "Chat with Hamish").
    let subject = if context.is_reply { "" } else { context.subject_core.as_str() };
    for captures in SHORT_REFERENCE.get().captures_iter(own).chain(SHORT_REFERENCE.get().captures_iter(subject)) {
        let full = if let Some(surname) = captures.name("surname") {
            complete_surname(context, surname.as_str())
        } else {
            captures.name("first").and_then(|first| complete_name(context, first.as_str()))
        };
        if let Some(full) = full {
            push(&full, &mut names);
        }
        if let Some(full) = captures.name("second").and_then(|second| complete_name(context, second.as_str())) {
            push(&full, &mut names);
        }
    }
    let mut participants: Vec<Participant> = Vec::new();
    // The sender runs the call ("I'll call you", "both Tomás and me").
    if SENDER_RUNS_IT.get().is_match(own)
        && let Some(from) = &context.parsed.envelope.from
        && !envelope::is_robot_address(&from.email)
    {
        participants.push(Participant { name: from.name.clone(), email: Some(from.email.clone()) });
        for captures in FIRST_NAME_AND_ME.get().captures_iter(own) {
            let first = captures.get(1).or(captures.get(2)).map(|m| m.as_str().to_string()).unwrap_or_default();
            if first.is_empty() || matches!(first.as_str(), "You" | "Me" | "I") {
                continue;
            }
            let full = complete_name(context, &first).unwrap_or(first);
            push(&full, &mut names);
        }
    }
    let sender_name = participants.first().and_then(|p| p.name.clone());
    for name in names {
        if sender_name.as_deref() == Some(name.as_str()) {
            continue;
        }
        let email = email_for_name(context, &name);
        participants.push(Participant { name: Some(name), email });
    }
    participants
}

/// A full name elsewhere in the message for a first name ("Tomás" → "Tomás Ibarra").
fn complete_name(context: &MessageContext<'_>, first: &str) -> Option<String> {
    for text in [&context.own, &context.quoted, &context.signature] {
        for (at, _) in text.match_indices(first) {
            let starts_word = text[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
            let rest = &text[at + first.len()..];
            let Some(after) = rest.strip_prefix(' ') else { continue };
            let surname: String = after.chars().take_while(|c| c.is_alphabetic() || *c == '\'' || *c == '-').collect();
            if starts_word && surname.chars().next().is_some_and(char::is_uppercase) && surname.chars().count() > 1 {
                return Some(format!("{first} {surname}"));
            }
        }
    }
    all_mailboxes(context)
        .into_iter()
        .filter_map(|m| m.name.clone())
        .find(|name| name.split_whitespace().next() == Some(first))
}

fn fold(text: &str) -> (String, String) {
    let mut simple = String::new();
    let mut german = String::new();
    for ch in text.to_lowercase().chars() {
        let (s, g): (&str, &str) = match ch {
            'ä' => ("a", "ae"),
            'ö' => ("o", "oe"),
            'ü' => ("u", "ue"),
            'ß' => ("ss", "ss"),
            'å' => ("a", "aa"),
            'ø' => ("o", "oe"),
            'æ' => ("ae", "ae"),
            'é' | 'è' | 'ê' | 'ë' => ("e", "e"),
            'á' | 'à' | 'â' | 'ã' => ("a", "a"),
            'í' | 'ì' | 'î' | 'ï' => ("i", "i"),
            'ó' | 'ò' | 'ô' | 'õ' => ("o", "o"),
            'ú' | 'ù' | 'û' => ("u", "u"),
            'ç' => ("c", "c"),
            'ñ' => ("n", "n"),
            c if c.is_ascii_alphanumeric() => {
                simple.push(c);
                german.push(c);
                continue;
            }
            _ => continue,
        };
        simple.push_str(s);
        german.push_str(g);
    }
    (simple, german)
}

fn email_for_name(context: &MessageContext<'_>, name: &str) -> Option<String> {
    let candidate = context.candidate.unwrap_or("");
    let mailboxes = all_mailboxes(context);
    if let Some(found) = mailboxes.iter().find(|m| {
        m.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name)) && !m.email.eq_ignore_ascii_case(candidate)
    }) {
        return Some(found.email.clone());
    }
    for event in context.events {
        for person in event.attendees.iter().chain(event.organizer.iter()) {
            if person.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name))
                && let Some(email) = &person.email
            {
                return Some(email.clone());
            }
        }
    }
    // Local parts built from the name: "juergen.haeussler" for "Jürgen Häußler".
    let words: Vec<(String, String)> = name.split_whitespace().map(fold).collect();
    let first_and_last = words.first().zip(words.last())?;
    mailboxes
        .iter()
        .filter(|m| !m.email.eq_ignore_ascii_case(candidate))
        .find(|m| {
            let local = norm_key(m.email.split('@').next().unwrap_or(""));
            let (first, last) = first_and_last;
            (local.contains(&first.0) || local.contains(&first.1))
                && (local.contains(&last.0) || local.contains(&last.1))
        })
        .map(|m| m.email.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Pieces that exercise every branch of the pattern: upper and lower case in and out
    /// of ASCII, a titlecase letter and upper-case symbols that are not `\p{Lu}`, digits
    /// of other scripts, a combining accent, apostrophes, dots, every connector, spaces
    /// of several kinds and line breaks.
    const RUN_PIECES: &[&str] = &[
        "A", "Zq", "b", "É", "é", "Ł", "ß", "ǅ", "Ⅷ", "Ⓐ", "\u{301}", "7", "٣", "'", "’", "-", ".", ",", " ", "  ",
        "\t", "\u{a0}", "\n", "&", "and", "of", "und", "et", "y", "de", "for", "And", "Of", "x", "St.Clair", "O'Neil",
        "Acme", "Labs", "GmbH", "ünd",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn capitalised_runs_are_the_patterns_matches(pieces in proptest::collection::vec(proptest::sample::select(RUN_PIECES), 0..30)) {
            static PATTERN: Compiled<Regex> = Compiled::new(|| Regex::new(CAPITALISED_RUN_PATTERN).expect("pattern"));
            let text = pieces.concat();
            let expected: Vec<&str> = PATTERN.get().find_iter(&text).map(|m| m.as_str()).collect();
            prop_assert_eq!(capitalised_runs(&text), expected, "in {:?}", text);
        }
    }

    #[test]
    fn capitalised_runs_join_words_through_connectors_and_ampersands() {
        assert_eq!(
            capitalised_runs("we met Bank of Tern and Smith & Wesson, then St.Clair Labs and me"),
            vec!["Bank of Tern and Smith & Wesson", "St.Clair Labs"]
        );
        assert_eq!(capitalised_runs("Foo and bar Baz"), vec!["Foo", "Baz"]);
        assert_eq!(capitalised_runs("Ölberg\nGmbH"), vec!["Ölberg", "GmbH"]);
    }

    #[test]
    fn generic_words_are_stripped_from_organisation_names() {
        let table = [
            ("Tallow Freight Careers", "Tallow Freight"),
            ("Skarvik Data AS", "Skarvik Data"),
            ("Corvane Ltd", "Corvane"),
            ("Brunnhalde GmbH", "Brunnhalde"),
            ("The Quillon Metrics Talent Team", "Quillon Metrics"),
            ("Cinder Works Recruiting", "Cinder Works"),
        ];
        for (input, expected) in table {
            let words: Vec<&str> = input.split_whitespace().collect();
            assert_eq!(strip_generic(&words).join(" "), expected);
        }
        assert_eq!(clean_company("Fernbrook Civic Labs (a nonprofit)"), "Fernbrook Civic Labs");
    }

    #[test]
    fn role_titles_and_qualifiers() {
        let table = [
            ("for the Platform Engineer, Billing Systems role with", "Platform Engineer, Billing Systems"),
            ("Data Engineer, Logistics - Penrose & Vail", "Data Engineer, Logistics"),
            ("Bewerbung als Frontend Developer (m/w/d)", "Frontend Developer"),
            ("Take-home task - Data Analyst II", "Data Analyst II"),
            ("the Search Quality Engineer role", "Search Quality Engineer"),
        ];
        for (text, expected) in table {
            let found: Vec<String> = titles(text).iter().map(|(_, _, role)| trim_role(role)).collect();
            assert!(found.iter().any(|r| r == expected), "{text}: {found:?}");
        }
    }

    #[test]
    fn person_titles_are_recognised() {
        assert!(PERSON_TITLE_BEFORE.get().is_match("Architecture - Noor Haddad, "));
        assert!(PERSON_TITLE_BEFORE.get().is_match("Declan O'Rourke ("));
        assert!(PERSON_TITLE_BEFORE.get().is_match("Meena Pillai, our "));
        assert!(!PERSON_TITLE_BEFORE.get().is_match("for the "));
    }

    #[test]
    fn folding_for_local_parts() {
        assert_eq!(fold("Jürgen").1, "juergen");
        assert_eq!(fold("Häußler").1, "haeussler");
        assert_eq!(fold("Håkon").0, "hakon");
    }
}

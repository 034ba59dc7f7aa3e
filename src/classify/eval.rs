//! Scoring of predictions against labels (the schema of `shared/corpus/README.md`), pure:
//! the caller reads the files and classifies, this module compares and reports.
//!
//! Definitions, so that the numbers mean something:
//!
//! - **kind accuracy**: messages whose predicted kind equals the label's, over all
//!   labelled messages (a message that could not be classified counts as wrong).
//! - **fields %**: correct compared fields over compared fields, where the compared
//!   fields are, per message:
//!   - `company` and `role`, always (null and null agree), compared case-insensitively
//!     ignoring punctuation and white space;
//!   - `interview` presence, always;
//!   - `interview.start`, `interview.end` (within a minute; null and null agree) and the
//!     interviewer set, when the label has an interview (a missing predicted interview
//!     makes all three wrong). Interviewers agree when both sets have the same size and
//!     every labelled interviewer is matched by address, or by name when the label
//!     gives no address;
//!   - `reply_after` (within a day), when the label is a timeline or a date was predicted.
//! - **interview %**: the same over the interview fields only (presence, start, end,
//!   interviewers).
//! - **critical errors**: an offer or a rejection missed or invented; an interview
//!   invented for a message whose label has none; an auto-reply taken for a human
//!   answer (predicted as any kind a person writes).
//! - **held for review**: messages whose confidence is below the review threshold
//!   (`policy.confidence_threshold`, 0.8 by default): debrief would not act on them but
//!   list them in `debrief inbox`. They are counted apart, with how many of them were
//!   read wrong; a wrong answer that is *not* held is the expensive kind of mistake.

use super::{LabelJson, MessageKind, Participant};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One labelled message and what the classifier said (or why it could not).
#[derive(Debug, Clone)]
pub struct Case {
    pub file: String,
    pub expected: LabelJson,
    pub got: Result<LabelJson, String>,
}

/// One disagreement.
#[derive(Debug, Clone, PartialEq)]
pub struct Miss {
    pub file: String,
    pub field: &'static str,
    pub expected: String,
    pub got: String,
}

/// Per-field tallies.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub correct: usize,
    pub compared: usize,
}

/// The evaluation of a set of cases.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub total: usize,
    pub kind_correct: usize,
    /// (expected, got) → count; `None` = the message could not be classified.
    pub confusion: BTreeMap<(MessageKind, Option<MessageKind>), usize>,
    pub fields: BTreeMap<&'static str, Tally>,
    pub misses: Vec<Miss>,
    pub critical: Vec<Miss>,
    /// Messages read with a confidence below the review threshold.
    pub held: usize,
    /// Of those, how many had the wrong kind.
    pub held_wrong: usize,
}

/// The review threshold of `policy.confidence_threshold` by default.
pub const DEFAULT_REVIEW_BELOW: f64 = 0.8;

impl Report {
    pub fn kind_accuracy(&self) -> f64 {
        percent(self.kind_correct, self.total)
    }

    pub fn fields_percent(&self) -> f64 {
        let correct: usize = self.fields.values().map(|t| t.correct).sum();
        let compared: usize = self.fields.values().map(|t| t.compared).sum();
        percent(correct, compared)
    }

    /// Correct interview fields (presence, start, end, interviewers) over compared ones.
    pub fn interview_fields_percent(&self) -> f64 {
        let interview = self.fields.iter().filter(|(name, _)| name.starts_with("interview"));
        let (correct, compared) = interview.fold((0, 0), |(c, n), (_, t)| (c + t.correct, n + t.compared));
        percent(correct, compared)
    }

    pub fn critical_count(&self) -> usize {
        self.critical.len()
    }

    /// Precision and recall of one kind, as percentages (`None` when undefined).
    pub fn precision_recall(&self, kind: MessageKind) -> (Option<f64>, Option<f64>, usize) {
        let true_positive = self.confusion.get(&(kind, Some(kind))).copied().unwrap_or(0);
        let predicted: usize = self.confusion.iter().filter(|((_, got), _)| *got == Some(kind)).map(|(_, n)| n).sum();
        let actual: usize = self.confusion.iter().filter(|((expected, _), _)| *expected == kind).map(|(_, n)| n).sum();
        let precision = (predicted > 0).then(|| percent(true_positive, predicted));
        let recall = (actual > 0).then(|| percent(true_positive, actual));
        (precision, recall, actual)
    }

    /// Wrong kinds that would have been acted on (not held for review).
    pub fn wrong_not_held(&self) -> usize {
        self.total - self.kind_correct - self.held_wrong
    }

    /// Adds another set's results (for the combined line of several sets).
    pub fn merge(&mut self, other: &Report) {
        self.total += other.total;
        self.kind_correct += other.kind_correct;
        for (key, n) in &other.confusion {
            *self.confusion.entry(*key).or_insert(0) += n;
        }
        for (name, tally) in &other.fields {
            let mine = self.fields.entry(name).or_default();
            mine.correct += tally.correct;
            mine.compared += tally.compared;
        }
        self.misses.extend(other.misses.iter().cloned());
        self.critical.extend(other.critical.iter().cloned());
        self.held += other.held;
        self.held_wrong += other.held_wrong;
    }

    /// The last line of `debrief eval`.
    pub fn summary_line(&self) -> String {
        format!(
            "kind accuracy {:.1}% ({}/{}), fields {:.1}% (interview {:.1}%), critical {}, held for review {} ({} wrong), wrong and not held {}",
            self.kind_accuracy(),
            self.kind_correct,
            self.total,
            self.fields_percent(),
            self.interview_fields_percent(),
            self.critical_count(),
            self.held,
            self.held_wrong,
            self.wrong_not_held()
        )
    }

    /// The full human-readable report; its last line is [`Report::summary_line`].
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "per kind            precision  recall   n");
        for kind in MessageKind::ALL {
            let (precision, recall, actual) = self.precision_recall(kind);
            let show = |v: Option<f64>| v.map_or("    -".to_string(), |v| format!("{v:5.1}%"));
            let _ = writeln!(out, "  {:<22} {:>7} {:>7} {:>3}", kind.as_str(), show(precision), show(recall), actual);
        }
        let _ = writeln!(out, "\nconfusion (rows: label, columns: prediction; ?? = not classified)");
        let short = |kind: Option<MessageKind>| kind.map_or("??", short_name);
        let _ = write!(out, "  {:<6}", "");
        let mut columns: Vec<Option<MessageKind>> = MessageKind::ALL.iter().copied().map(Some).collect();
        columns.push(None);
        for column in &columns {
            let _ = write!(out, "{:>6}", short(*column));
        }
        out.push('\n');
        for row in MessageKind::ALL {
            let _ = write!(out, "  {:<6}", short_name(row));
            for column in &columns {
                let n = self.confusion.get(&(row, *column)).copied().unwrap_or(0);
                let cell = if n == 0 { ".".to_string() } else { n.to_string() };
                let _ = write!(out, "{cell:>6}");
            }
            out.push('\n');
        }
        let _ = writeln!(out, "\nfields");
        for (name, tally) in &self.fields {
            let _ = writeln!(
                out,
                "  {:<22} {:5.1}% ({}/{})",
                name,
                percent(tally.correct, tally.compared),
                tally.correct,
                tally.compared
            );
        }
        if !self.misses.is_empty() {
            let _ = writeln!(out, "\nmisses");
            for miss in &self.misses {
                let _ = writeln!(out, "  {} {}: expected {}, got {}", miss.file, miss.field, miss.expected, miss.got);
            }
        }
        if !self.critical.is_empty() {
            let _ = writeln!(out, "\ncritical");
            for miss in &self.critical {
                let _ = writeln!(out, "  {} {}: expected {}, got {}", miss.file, miss.field, miss.expected, miss.got);
            }
        }
        out.push('\n');
        out.push_str(&self.summary_line());
        out.push('\n');
        out
    }
}

fn short_name(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::InterviewConfirmation => "conf",
        MessageKind::InterviewRescheduled => "resch",
        MessageKind::InterviewCancelled => "canc",
        MessageKind::InterviewInvitation => "invit",
        MessageKind::Offer => "offer",
        MessageKind::Rejection => "rej",
        MessageKind::Timeline => "time",
        MessageKind::AutoReply => "auto",
        MessageKind::Acknowledgement => "ack",
        MessageKind::ApplicationReceived => "recv",
        MessageKind::Unrelated => "unrel",
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 { 100.0 } else { part as f64 * 100.0 / whole as f64 }
}

/// Lower-case letters and digits only: "Penrose & Vail" = "penrose&vail ".
pub fn normalize_text(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn same_text(expected: Option<&str>, got: Option<&str>) -> bool {
    match (expected, got) {
        (None, None) => true,
        (Some(e), Some(g)) => normalize_text(e) == normalize_text(g),
        _ => false,
    }
}

fn within_seconds(expected: Option<&str>, got: Option<&str>, seconds: i64) -> bool {
    match (expected, got) {
        (None, None) => true,
        (Some(e), Some(g)) => match (e.parse::<jiff::Timestamp>(), g.parse::<jiff::Timestamp>()) {
            (Ok(e), Ok(g)) => (e.as_second() - g.as_second()).abs() <= seconds,
            _ => e == g,
        },
        _ => false,
    }
}

fn within_a_day(expected: Option<&str>, got: Option<&str>) -> bool {
    match (expected, got) {
        (None, None) => true,
        (Some(e), Some(g)) => match (e.parse::<jiff::civil::Date>(), g.parse::<jiff::civil::Date>()) {
            (Ok(e), Ok(g)) => e.since(g).map(|span| span.get_days().abs() <= 1).unwrap_or(false),
            _ => e == g,
        },
        _ => false,
    }
}

fn same_interviewers(expected: &[Participant], got: &[Participant]) -> bool {
    if expected.len() != got.len() {
        return false;
    }
    let mut used = vec![false; got.len()];
    expected.iter().all(|person| {
        let found = got.iter().enumerate().position(|(index, candidate)| {
            !used[index]
                && match &person.email {
                    Some(email) => candidate.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email)),
                    None => same_text(person.name.as_deref(), candidate.name.as_deref()),
                }
        });
        if let Some(index) = found {
            used[index] = true;
        }
        found.is_some()
    })
}

fn show(value: Option<&str>) -> String {
    value.map_or("null".to_string(), |v| format!("{v:?}"))
}

fn show_people(people: &[Participant]) -> String {
    let names: Vec<String> = people
        .iter()
        .map(|p| match (&p.name, &p.email) {
            (Some(name), Some(email)) => format!("{name} <{email}>"),
            (Some(name), None) => name.clone(),
            (None, Some(email)) => format!("<{email}>"),
            (None, None) => "?".to_string(),
        })
        .collect();
    format!("[{}]", names.join(", "))
}

/// Kinds that only a person writes: taking an auto-reply for one of them is critical.
fn is_human_kind(kind: MessageKind) -> bool {
    !matches!(kind, MessageKind::AutoReply | MessageKind::Unrelated | MessageKind::ApplicationReceived)
}

/// Scores every case, holding for review below [`DEFAULT_REVIEW_BELOW`].
pub fn evaluate(cases: &[Case]) -> Report {
    evaluate_with(cases, DEFAULT_REVIEW_BELOW)
}

/// Scores every case; a prediction with a confidence below `review_below` counts as
/// held for review.
pub fn evaluate_with(cases: &[Case], review_below: f64) -> Report {
    let mut report = Report { total: cases.len(), ..Report::default() };
    for case in cases {
        let expected = &case.expected;
        let got = case.got.as_ref().ok();
        let got_kind = got.map(|g| g.kind);
        if let Some(g) = got
            && g.confidence.is_some_and(|confidence| confidence < review_below)
        {
            report.held += 1;
            if g.kind != expected.kind {
                report.held_wrong += 1;
            }
        }
        *report.confusion.entry((expected.kind, got_kind)).or_insert(0) += 1;
        let record = |report: &mut Report, field: &'static str, ok: bool, e: String, g: String| {
            let tally = report.fields.entry(field).or_default();
            tally.compared += 1;
            if ok {
                tally.correct += 1;
            } else {
                report.misses.push(Miss { file: case.file.clone(), field, expected: e, got: g });
            }
        };
        match got {
            Some(g) if g.kind == expected.kind => report.kind_correct += 1,
            Some(g) => report.misses.push(Miss {
                file: case.file.clone(),
                field: "kind",
                expected: expected.kind.to_string(),
                got: g.kind.to_string(),
            }),
            None => report.misses.push(Miss {
                file: case.file.clone(),
                field: "kind",
                expected: expected.kind.to_string(),
                got: format!("error: {}", case.got.as_ref().err().map_or("", |e| e.as_str())),
            }),
        }
        let got_company = got.and_then(|g| g.company.as_deref());
        let got_role = got.and_then(|g| g.role.as_deref());
        record(
            &mut report,
            "company",
            same_text(expected.company.as_deref(), got_company),
            show(expected.company.as_deref()),
            show(got_company),
        );
        record(
            &mut report,
            "role",
            same_text(expected.role.as_deref(), got_role),
            show(expected.role.as_deref()),
            show(got_role),
        );
        let got_interview = got.and_then(|g| g.interview.as_ref());
        record(
            &mut report,
            "interview",
            expected.interview.is_some() == got_interview.is_some(),
            if expected.interview.is_some() { "an interview" } else { "none" }.to_string(),
            if got_interview.is_some() { "an interview" } else { "none" }.to_string(),
        );
        if let Some(e) = &expected.interview {
            let g = got_interview;
            record(
                &mut report,
                "interview.start",
                g.is_some_and(|g| within_seconds(Some(&e.start), Some(&g.start), 60)),
                e.start.clone(),
                g.map_or("null".to_string(), |g| g.start.clone()),
            );
            record(
                &mut report,
                "interview.end",
                g.is_some_and(|g| within_seconds(e.end.as_deref(), g.end.as_deref(), 60)),
                show(e.end.as_deref()),
                g.map_or("null".to_string(), |g| show(g.end.as_deref())),
            );
            record(
                &mut report,
                "interview.interviewers",
                g.is_some_and(|g| same_interviewers(&e.interviewers, &g.interviewers)),
                show_people(&e.interviewers),
                g.map_or("null".to_string(), |g| show_people(&g.interviewers)),
            );
        }
        let got_reply_after = got.and_then(|g| g.reply_after.as_deref());
        if expected.kind == MessageKind::Timeline || got_reply_after.is_some() {
            record(
                &mut report,
                "reply_after",
                within_a_day(expected.reply_after.as_deref(), got_reply_after),
                show(expected.reply_after.as_deref()),
                show(got_reply_after),
            );
        }
        // Critical errors.
        let outcome = |kind: Option<MessageKind>| matches!(kind, Some(MessageKind::Offer | MessageKind::Rejection));
        let mut critical = |why: &'static str| {
            report.critical.push(Miss {
                file: case.file.clone(),
                field: why,
                expected: expected.kind.to_string(),
                got: got_kind.map_or("error".to_string(), |k| k.to_string()),
            })
        };
        if outcome(Some(expected.kind)) && got_kind != Some(expected.kind) {
            critical("outcome missed");
        } else if outcome(got_kind) && got_kind != Some(expected.kind) {
            critical("outcome invented");
        }
        if expected.interview.is_none() && got_interview.is_some() {
            critical("interview invented");
        }
        if expected.kind == MessageKind::AutoReply && got_kind.is_some_and(is_human_kind) {
            critical("auto-reply taken for a human answer");
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::InterviewJson;

    fn label(kind: MessageKind) -> LabelJson {
        LabelJson { kind, company: None, role: None, interview: None, reply_after: None, confidence: None }
    }

    fn person(name: &str, email: Option<&str>) -> Participant {
        Participant { name: Some(name.to_string()), email: email.map(str::to_string) }
    }

    #[test]
    fn text_comparison_ignores_case_and_punctuation() {
        assert!(same_text(Some("Penrose & Vail"), Some("penrose  &vail")));
        assert!(same_text(Some("Software Engineer, Payments"), Some("Software Engineer - Payments")));
        assert!(!same_text(Some("Quillon"), Some("Quillon Metrics")));
        assert!(same_text(None, None));
        assert!(!same_text(None, Some("x")));
    }

    #[test]
    fn interviewers_match_by_address_or_by_name() {
        let expected = vec![person("A B", Some("a@x")), person("C D", None)];
        assert!(same_interviewers(&expected, &[person("C. D.", None), person("Whoever", Some("A@X"))]));
        assert!(!same_interviewers(&expected, &[person("A B", Some("a@x"))]));
        assert!(!same_interviewers(&expected, &[person("A B", None), person("C D", None)]));
    }

    #[test]
    fn scores_kinds_fields_and_critical_errors() {
        let mut timeline = label(MessageKind::Timeline);
        timeline.reply_after = Some("2026-12-19".to_string());
        let mut timeline_got = timeline.clone();
        timeline_got.reply_after = Some("2026-12-20".to_string());
        let mut confirmation = label(MessageKind::InterviewConfirmation);
        confirmation.interview = Some(InterviewJson {
            start: "2026-12-03T19:00:00Z".to_string(),
            end: None,
            interviewers: vec![person("A B", Some("a@x"))],
        });
        let cases = vec![
            Case { file: "1".into(), expected: timeline, got: Ok(timeline_got) },
            Case { file: "2".into(), expected: label(MessageKind::Rejection), got: Ok(label(MessageKind::Timeline)) },
            Case {
                file: "3".into(),
                expected: label(MessageKind::AutoReply),
                got: Ok(label(MessageKind::Acknowledgement)),
            },
            Case { file: "4".into(), expected: confirmation.clone(), got: Ok(confirmation) },
            Case { file: "5".into(), expected: label(MessageKind::Unrelated), got: Err("bad".into()) },
        ];
        let report = evaluate(&cases);
        assert_eq!(report.total, 5);
        assert_eq!(report.kind_correct, 2);
        assert_eq!(report.critical_count(), 2);
        assert_eq!(report.fields["reply_after"], Tally { correct: 1, compared: 1 });
        assert_eq!(report.fields["interview.start"], Tally { correct: 1, compared: 1 });
        // Interview fields: presence for all five, then start, end, interviewers of #4.
        assert_eq!(report.interview_fields_percent(), 100.0);
        let rendered = report.render();
        assert_eq!(rendered.lines().last(), Some(report.summary_line().as_str()));
        assert!(report.summary_line().starts_with("kind accuracy 40.0% (2/5), fields "));
        assert!(report.summary_line().ends_with("critical 2, held for review 0 (0 wrong), wrong and not held 3"));
        let (precision, recall, n) = report.precision_recall(MessageKind::Timeline);
        assert_eq!((precision, recall, n), (Some(50.0), Some(100.0), 1));
    }

    #[test]
    fn unsure_answers_are_counted_as_held_apart_from_wrong_ones() {
        let unsure = |kind| LabelJson { confidence: Some(0.7), ..label(kind) };
        let sure = |kind| LabelJson { confidence: Some(0.95), ..label(kind) };
        let cases = vec![
            Case { file: "1".into(), expected: label(MessageKind::Rejection), got: Ok(unsure(MessageKind::Timeline)) },
            Case { file: "2".into(), expected: label(MessageKind::Timeline), got: Ok(unsure(MessageKind::Timeline)) },
            Case { file: "3".into(), expected: label(MessageKind::Offer), got: Ok(sure(MessageKind::Unrelated)) },
            Case { file: "4".into(), expected: label(MessageKind::Offer), got: Ok(sure(MessageKind::Offer)) },
        ];
        let report = evaluate(&cases);
        assert_eq!((report.held, report.held_wrong, report.wrong_not_held()), (2, 1, 1));
        assert_eq!(evaluate_with(&cases, 0.5).held, 0);
        let mut combined = report.clone();
        combined.merge(&report);
        assert_eq!((combined.total, combined.kind_correct, combined.held, combined.critical_count()), (8, 4, 4, 4));
        assert_eq!(combined.fields["company"], Tally { correct: 8, compared: 8 });
    }
}

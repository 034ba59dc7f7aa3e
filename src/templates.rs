//! The message templates: built-in defaults in `templates/`, overridden file by file by
//! the user's own folder (`[templates] dir`).
//!
//! A template renders to a `Subject:` line, then the body. Templates use minijinja with
//! strict undefined variables, so a typo in a user's template is an error at render
//! time (and in `debrief doctor`), not a blank in a sent message. This module renders
//! text; it does not decide who a message goes to or when.

use anyhow::{Context as _, bail};
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A template file: its name is the file name in `templates/` and in the user's folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateName {
    ThankYou,
    ThankYouNotInterested,
    FollowUp,
    RejectionReply,
    OfferReply,
    Withdrawal,
    ReferenceNotice,
    PassOn,
}

impl TemplateName {
    pub const ALL: [TemplateName; 8] = [
        TemplateName::ThankYou,
        TemplateName::ThankYouNotInterested,
        TemplateName::FollowUp,
        TemplateName::RejectionReply,
        TemplateName::OfferReply,
        TemplateName::Withdrawal,
        TemplateName::ReferenceNotice,
        TemplateName::PassOn,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            TemplateName::ThankYou => "thank_you.txt",
            TemplateName::ThankYouNotInterested => "thank_you_not_interested.txt",
            TemplateName::FollowUp => "follow_up.txt",
            TemplateName::RejectionReply => "rejection_reply.txt",
            TemplateName::OfferReply => "offer_reply.txt",
            TemplateName::Withdrawal => "withdrawal.txt",
            TemplateName::ReferenceNotice => "reference_notice.txt",
            TemplateName::PassOn => "pass_on.txt",
        }
    }

    fn built_in(self) -> &'static str {
        match self {
            TemplateName::ThankYou => include_str!("../templates/thank_you.txt"),
            TemplateName::ThankYouNotInterested => include_str!("../templates/thank_you_not_interested.txt"),
            TemplateName::FollowUp => include_str!("../templates/follow_up.txt"),
            TemplateName::RejectionReply => include_str!("../templates/rejection_reply.txt"),
            TemplateName::OfferReply => include_str!("../templates/offer_reply.txt"),
            TemplateName::Withdrawal => include_str!("../templates/withdrawal.txt"),
            TemplateName::ReferenceNotice => include_str!("../templates/reference_notice.txt"),
            TemplateName::PassOn => include_str!("../templates/pass_on.txt"),
        }
    }
}

/// Everything a template may use. Every key is always present.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DraftContext {
    /// "Dear Ms. Jones" / "Hi Bob": built from the preferred form of address.
    pub greeting: String,
    /// How to address the recipient: their preferred form, else their first name.
    pub recipient_name: String,
    pub company: String,
    pub role: String,
    /// The topic discussed, from `debrief note ID --topic`.
    pub topic: Option<String>,
    /// Something of the candidate's to restate, tied to the role with an example, from
    /// `debrief note ID --strength` (thank-you notes only).
    pub strength: Option<String>,
    /// The interview's weekday in the recipient's zone ("Tuesday"), if there was one.
    pub interview_day: Option<String>,
    /// "today", "yesterday" or "on Tuesday": when the interview was, seen from the send time.
    pub interview_when: String,
    pub follow_up_number: u32,
    pub follow_ups_total: u32,
    /// Follow-ups: the employer gave a timeline whose last day was this ("Friday, December 11").
    pub timeline_day: Option<String>,
    /// Follow-ups: the employer last answered on this day ("Monday, December 7").
    pub last_reply_day: Option<String>,
    /// Follow-ups: who gave that timeline or answer: "reader" (the recipient wrote it: "you
    /// mentioned"), "employer" (someone else there), "interview" (the user's note of what
    /// was said at the interview); `None` when there was no exchange.
    pub exchange_from: Option<String>,
    /// The recipient interviewed the user in a round of this application: only then may a
    /// note speak of "when we spoke" or "our conversation".
    pub reader_was_interviewer: bool,
    /// Follow-ups: something new the user added (`debrief share DRAFT TEXT`), as written.
    pub addition: Option<String>,
    /// Reference heads-ups: why the employer may call ("asked", "final_round", "offer").
    pub reference_cue: Option<String>,
    /// Pass-on requests: the interviewer the note is for ("Carol Ng").
    pub about_name: Option<String>,
    /// Pass-on requests: the thank-you note to pass on, as drafted.
    pub note: Option<String>,
    /// Whether the user is still interested in the company.
    pub interested: bool,
    pub sender_name: String,
    pub signature: String,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// The loaded templates.
pub struct Templates {
    env: Environment<'static>,
    /// Where each template came from, for `doctor`.
    pub sources: Vec<(TemplateName, Option<PathBuf>)>,
}

impl Templates {
    /// The built-in templates, with the files of `user_dir` in place of theirs.
    pub fn load(user_dir: Option<&Path>) -> anyhow::Result<Templates> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
            .context("Configuring the template syntax")?;
        env.set_syntax(syntax);
        let mut sources = Vec::new();
        for name in TemplateName::ALL {
            let user_file = user_dir.map(|dir| dir.join(name.file_name())).filter(|path| path.is_file());
            let text = match &user_file {
                Some(path) => {
                    std::fs::read_to_string(path).with_context(|| format!("Reading the template {}", path.display()))?
                }
                None => name.built_in().to_owned(),
            };
            env.add_template_owned(name.file_name(), text).with_context(|| match &user_file {
                Some(path) => format!("The template {} has a syntax error", path.display()),
                None => format!("The built-in template {} has a syntax error", name.file_name()),
            })?;
            sources.push((name, user_file));
        }
        Ok(Templates { env, sources })
    }

    pub fn render(&self, name: TemplateName, context: &DraftContext) -> anyhow::Result<Rendered> {
        let template = self.env.get_template(name.file_name())?;
        let text = template
            .render(minijinja::Value::from(minijinja::value::Serde(context)))
            .with_context(|| format!("Rendering the template {}", name.file_name()))?;
        split_subject(&text).with_context(|| format!("The template {} rendered no Subject: line", name.file_name()))
    }
}

/// Splits rendered text into its `Subject:` line and the body, tidying blank lines.
fn split_subject(text: &str) -> anyhow::Result<Rendered> {
    let text = text.trim_start_matches(['\n', '\r']);
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let Some(subject) = first.strip_prefix("Subject:") else {
        bail!("the first line must be \"Subject: ...\"");
    };
    let subject: String = subject.trim().chars().filter(|c| !c.is_control()).collect();
    let mut body = String::new();
    let mut blank_run = 0;
    for line in rest.trim_matches(['\n', '\r']).lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        body.push_str(line);
        body.push('\n');
    }
    Ok(Rendered { subject, body })
}

/// "Dear Ms. Jones" for a formal form of address, "Hi Bob" for a first name.
pub fn greeting_for(form: &str) -> String {
    let formal = ["Mr.", "Mrs.", "Ms.", "Mx.", "Dr.", "Prof.", "Mr ", "Mrs ", "Ms ", "Dr ", "Herr ", "Frau "];
    if formal.iter().any(|prefix| form.starts_with(prefix)) {
        format!("Dear {form}")
    } else if form.is_empty() {
        "Hello".to_owned()
    } else {
        format!("Hi {form}")
    }
}

/// Words that claim the writer and the reader talked: no draft says them to someone who did
/// not interview the user (tests here and in the planner's).
#[cfg(test)]
pub(crate) const CONVERSATION_CLAIMS: [&str; 10] = [
    "spoke",
    "speak",
    "talked",
    "conversation",
    "our chat",
    "our call",
    "meeting you",
    "we met",
    "our meeting",
    "our interview",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> DraftContext {
        DraftContext {
            greeting: greeting_for("Jane"),
            recipient_name: "Jane".into(),
            company: "Acme Robotics".into(),
            role: "Backend Engineer".into(),
            topic: Some("how the fleet scheduler handles backpressure".into()),
            strength: Some(
                "I rebuilt our job queue's retry logic last year, which cut duplicate work by a third".into(),
            ),
            interview_day: Some("Tuesday".into()),
            interview_when: "today".into(),
            follow_up_number: 1,
            follow_ups_total: 4,
            timeline_day: None,
            last_reply_day: None,
            exchange_from: None,
            reader_was_interviewer: true,
            addition: None,
            reference_cue: None,
            about_name: None,
            note: None,
            interested: true,
            sender_name: "Priya Raman".into(),
            signature: "Priya Raman\n+1 555 0100".into(),
        }
    }

    fn render(name: TemplateName, context: &DraftContext) -> String {
        let rendered = Templates::load(None).unwrap().render(name, context).unwrap();
        format!("Subject: {}\n\n{}", rendered.subject, rendered.body)
    }

    #[test]
    fn every_built_in_template_renders() {
        let mut formal = context();
        formal.greeting = greeting_for("Ms. Doe");
        insta::assert_snapshot!("thank_you", render(TemplateName::ThankYou, &formal));
        let mut no_topic = context();
        no_topic.topic = None;
        no_topic.strength = None;
        no_topic.interview_when = "yesterday".into();
        insta::assert_snapshot!("thank_you_without_topic", render(TemplateName::ThankYou, &no_topic));
        insta::assert_snapshot!("thank_you_not_interested", render(TemplateName::ThankYouNotInterested, &context()));
        insta::assert_snapshot!("follow_up_first", render(TemplateName::FollowUp, &context()));
        let mut later = context();
        later.follow_up_number = 3;
        later.topic = None;
        insta::assert_snapshot!("follow_up_later", render(TemplateName::FollowUp, &later));
        insta::assert_snapshot!("rejection_reply_interested", render(TemplateName::RejectionReply, &context()));
        let mut not_interested = context();
        not_interested.interested = false;
        insta::assert_snapshot!(
            "rejection_reply_not_interested",
            render(TemplateName::RejectionReply, &not_interested)
        );
        insta::assert_snapshot!("offer_reply", render(TemplateName::OfferReply, &context()));
        insta::assert_snapshot!("withdrawal", render(TemplateName::Withdrawal, &context()));
    }

    /// A follow-up's own words: the body without its greeting and signature.
    fn own_words(text: &str) -> String {
        let body = text.split_once("\n\n").map_or(text, |(_, body)| body);
        let body = body.split_once('\n').map_or(body, |(_, rest)| rest);
        body.split("Best regards,").next().unwrap_or(body).trim().to_owned()
    }

    /// The share of word trigrams two texts have in common (Jaccard, 0 to 1).
    fn similarity(a: &str, b: &str) -> f64 {
        let trigrams = |text: &str| {
            let words: Vec<String> = text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|word| !word.is_empty())
                .map(str::to_lowercase)
                .collect();
            words.windows(3).map(|window| window.join(" ")).collect::<std::collections::BTreeSet<_>>()
        };
        let (a, b) = (trigrams(a), trigrams(b));
        let union = a.union(&b).count();
        if union == 0 { 1.0 } else { a.intersection(&b).count() as f64 / union as f64 }
    }

    #[test]
    fn the_similarity_measure_tells_a_repeat_from_a_different_note() {
        let note = "I am still keen on the Backend Engineer role at Acme Robotics and wanted to stay on your radar.";
        assert_eq!(similarity(note, note), 1.0);
        assert!(similarity(note, "Thank you for your time and consideration throughout the process.") < 0.05);
        assert_eq!(own_words("Subject: S\n\nHi Jane,\n\nBody.\n\nBest regards,\nPriya\n"), "Body.");
    }

    #[test]
    fn every_follow_up_of_a_series_of_any_length_reads_differently_and_the_last_closes_it() {
        for total in 1..=7 {
            let mut words = Vec::new();
            for number in 1..=total {
                let mut context = context();
                (context.follow_up_number, context.follow_ups_total) = (number, total);
                let text = render(TemplateName::FollowUp, &context);
                if total == 4 {
                    insta::assert_snapshot!(format!("follow_up_{number}_of_4"), text.clone());
                }
                if total == 7 {
                    insta::assert_snapshot!(format!("follow_up_{number}_of_7"), text.clone());
                }
                let closes = text.contains("Thank you for your time and consideration throughout the process.");
                assert_eq!(closes, number == total, "only the last of {total} closes the series:\n{text}");
                if total > 1 {
                    assert_eq!(text.contains("my last note for now"), number == total, "{number} of {total}:\n{text}");
                }
                words.push(own_words(&text));
            }
            for (i, a) in words.iter().enumerate() {
                for (j, b) in words.iter().enumerate().skip(i + 1) {
                    let alike = similarity(a, b);
                    assert!(
                        alike < 0.35,
                        "follow-ups {} and {} of {total} read alike ({alike:.2}):\n{a}\n---\n{b}",
                        i + 1,
                        j + 1
                    );
                }
            }
        }
    }

    #[test]
    fn a_follow_up_to_someone_who_did_not_interview_the_user_claims_no_conversation() {
        let claims: Vec<&str> =
            super::CONVERSATION_CLAIMS.into_iter().chain(["you mentioned", "backpressure"]).collect();
        for total in 1..=7 {
            for number in 1..=total {
                for (timeline, reply, from) in [
                    (None, None, None),
                    (Some("Friday, December 11"), None, Some("employer")),
                    (Some("Friday, December 11"), None, Some("interview")),
                    (None, Some("Monday, December 7"), Some("employer")),
                ] {
                    let mut context = context();
                    (context.follow_up_number, context.follow_ups_total) = (number, total);
                    context.reader_was_interviewer = false;
                    context.timeline_day = timeline.map(Into::into);
                    context.last_reply_day = reply.map(Into::into);
                    context.exchange_from = from.map(Into::into);
                    let text = render(TemplateName::FollowUp, &context).to_lowercase();
                    for claim in &claims {
                        assert!(!text.contains(claim), "{number} of {total} says {claim:?}:\n{text}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_rejection_reply_or_withdrawal_thanks_for_time_together_only_someone_who_interviewed_the_user() {
        for name in [TemplateName::RejectionReply, TemplateName::Withdrawal] {
            let mut context = context();
            let to_interviewer = render(name, &context).to_lowercase();
            assert!(to_interviewer.contains("spent with me"), "{name:?}:\n{to_interviewer}");
            context.reader_was_interviewer = false;
            let to_recruiter = render(name, &context).to_lowercase();
            for claim in super::CONVERSATION_CLAIMS.into_iter().chain(["spent with me"]) {
                assert!(!to_recruiter.contains(claim), "{name:?} says {claim:?}:\n{to_recruiter}");
            }
        }
    }

    #[test]
    fn each_follow_up_refers_to_the_last_exchange_in_words_true_for_its_reader() {
        let mut after_timeline = context();
        after_timeline.timeline_day = Some("Friday, December 11".into());
        after_timeline.exchange_from = Some("reader".into());
        after_timeline.addition =
            Some("I came across a write-up on backpressure in job schedulers that made me think of our talk: https://example.org/backpressure".into());
        let text = render(TemplateName::FollowUp, &after_timeline);
        assert!(
            text.contains("you mentioned the team hoped to decide by Friday, December 11")
                && text.contains("https://example.org/backpressure")
        );
        insta::assert_snapshot!("follow_up_after_a_timeline_with_an_addition", text);
        // Said by a colleague of the reader's, or noted by the user at the interview: never "you".
        after_timeline.exchange_from = Some("employer".into());
        let text = render(TemplateName::FollowUp, &after_timeline);
        assert!(
            text.contains("I understood from the team that a decision was expected by Friday, December 11"),
            "{text}"
        );
        assert!(!text.contains("you mentioned"), "{text}");
        after_timeline.exchange_from = Some("interview".into());
        let text = render(TemplateName::FollowUp, &after_timeline);
        assert!(
            text.contains("I understood at my interview that the team hoped to decide by Friday, December 11"),
            "{text}"
        );
        assert!(!text.contains("you mentioned"), "{text}");
        let mut after_reply = context();
        after_reply.follow_up_number = 2;
        after_reply.last_reply_day = Some("Monday, December 7".into());
        after_reply.exchange_from = Some("reader".into());
        insta::assert_snapshot!("follow_up_after_a_reply", render(TemplateName::FollowUp, &after_reply));
        after_reply.exchange_from = Some("employer".into());
        let text = render(TemplateName::FollowUp, &after_reply);
        assert!(
            text.contains("I was glad to hear from the team on Monday, December 7") && !text.contains("your message")
        );
    }

    #[test]
    fn a_reference_heads_up_says_which_company_and_role_why_and_what_to_expect() {
        let mut texts = Vec::new();
        for cue in ["asked", "final_round", "offer"] {
            let mut context = context();
            context.greeting = greeting_for("Alex");
            context.reference_cue = Some(cue.into());
            let text = render(TemplateName::ReferenceNotice, &context);
            assert!(text.contains("Acme Robotics") && text.contains("Backend Engineer"), "{text}");
            assert!(text.contains("Thank you for vouching for me"), "{text}");
            // Nothing of the interview's conversation goes to a reference.
            assert!(!text.contains("backpressure") && !text.contains("retry logic"), "{text}");
            insta::assert_snapshot!(format!("reference_notice_{cue}"), text.clone());
            texts.push(text);
        }
        assert!(texts[0].contains("asked me for references"));
        assert!(texts[1].contains("final round"));
        assert!(texts[2].contains("made me an offer"));
    }

    #[test]
    fn a_pass_on_request_asks_for_the_note_to_be_passed_on_or_the_address_and_carries_the_note() {
        let mut context = context();
        context.greeting = greeting_for("Ms. Patel");
        context.about_name = Some("Carol Ng".into());
        context.note = Some("Dear Carol Ng,\n\nThank you for taking the time...\n".into());
        let text = render(TemplateName::PassOn, &context);
        assert!(text.contains("pass the note below on") && text.contains("best address"), "{text}");
        assert!(text.ends_with("Dear Carol Ng,\n\nThank you for taking the time...\n"), "{text}");
        insta::assert_snapshot!("pass_on", text);
    }

    #[test]
    fn a_rejection_reply_asks_about_roles_open_now_only_when_still_interested() {
        let text = render(TemplateName::RejectionReply, &context());
        assert!(text.contains("other roles open now"), "{text}");
        let mut not_interested = context();
        not_interested.interested = false;
        assert!(!render(TemplateName::RejectionReply, &not_interested).contains("roles open"));
    }

    #[test]
    fn the_offer_reply_never_accepts_or_negotiates() {
        let text = render(TemplateName::OfferReply, &context()).to_lowercase();
        for word in ["i accept", "happy to accept", "counter", "salary of", "negotiat"] {
            assert!(!text.contains(word), "offer reply contains {word:?}");
        }
        assert!(text.contains("in writing") && text.contains("a day or two") && text.contains("whom should i contact"));
    }

    #[test]
    fn a_user_template_overrides_its_file_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("follow_up.txt"), "Subject: Checking in\nHello {{ recipient_name }}!\n")
            .unwrap();
        let templates = Templates::load(Some(dir.path())).unwrap();
        let follow_up = templates.render(TemplateName::FollowUp, &context()).unwrap();
        assert_eq!(follow_up, Rendered { subject: "Checking in".into(), body: "Hello Jane!\n".into() });
        let thank_you = templates.render(TemplateName::ThankYou, &context()).unwrap();
        assert!(thank_you.body.contains("backpressure"), "other templates stay built in");
    }

    #[test]
    fn a_typo_in_a_user_template_is_an_error_not_a_blank() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("withdrawal.txt"), "Subject: Bye\n{{ compnay }}\n").unwrap();
        let templates = Templates::load(Some(dir.path())).unwrap();
        let err = templates.render(TemplateName::Withdrawal, &context()).unwrap_err();
        assert!(format!("{err:#}").contains("withdrawal.txt"));
        std::fs::write(dir.path().join("offer_reply.txt"), "Subject: x\n{% if %}\n").unwrap();
        assert!(Templates::load(Some(dir.path())).is_err());
    }

    #[test]
    fn greetings_follow_the_form_of_address() {
        assert_eq!(greeting_for("Ms. Jones"), "Dear Ms. Jones");
        assert_eq!(greeting_for("Bob"), "Hi Bob");
        assert_eq!(greeting_for("Dr. Okafor"), "Dear Dr. Okafor");
    }
}

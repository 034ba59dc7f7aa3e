//! The kind decision: weighted features, then ordered precedence rules, with reasons.
//!
//! Features come from the vocabularies (`vocab/*.txt`, one per language, see
//! `vocab/README.md`), each with a kind and a weight, matched in one of four scopes:
//! the sender's own words (never quoted history or the signature), the same in replies
//! only, the subject (only when the message is not a reply, since a reply's subject was
//! written by someone else) or the whole subject. Per-kind scores then go through rules in
//! a fixed order that encodes the corpus precedence: auto-replies first, then bulk mail,
//! outcomes (rejection before offer), automated application receipts, calendar methods,
//! cancellations and moves, confirmations with a fixed time, invitations, timelines,
//! and last acknowledgements and unrelated mail.
//!
//! It does not extract fields itself: `fields` does, once the kind is known.

use super::calendar::CalendarEvent;
use super::compiled::Compiled;
use super::datetime::{self, Slot, ZoneSpec};
use super::envelope::{self, ParsedEnvelope};
use super::fields;
use super::text::Body;
use super::{Classification, MessageKind};
use jiff::civil;
use regex::Regex;

/// Everything the decision looks at, prepared once per message.
pub struct MessageContext<'a> {
    pub parsed: &'a ParsedEnvelope,
    pub body: &'a Body,
    pub events: &'a [CalendarEvent],
    /// The candidate's own address, lower case.
    pub candidate: Option<&'a str>,
    /// The subject without reply/forward prefixes.
    pub subject_core: String,
    pub subject_lower: String,
    pub is_reply: bool,
    /// The sender's own words with URLs blanked out (same byte offsets).
    pub own: String,
    pub own_lower: String,
    /// Quoted history with URLs blanked out.
    pub quoted: String,
    pub signature: String,
    /// The sender's local date and time (from the Date header).
    pub local: Option<civil::DateTime>,
    /// The sender's own offset, the zone of last resort for prose times.
    pub default_zone: ZoneSpec,
}

static REPLY_PREFIX: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"(?i)^\s*(?:(?:re|aw|sv|vs|antw|r|rif|tr|wg|fw|fwd|rv|enc)\s*(?:\[\d+\])?\s*:\s*)+")
        .expect("reply prefix pattern")
});
static FORWARD_PREFIX: Compiled<Regex> =
    Compiled::new(|| super::word_regex(r"(?i)^\s*(?:fw|fwd|wg|tr|rv|enc)\s*:").expect("forward prefix pattern"));
static URL: Compiled<Regex> =
    Compiled::new(|| super::word_regex(r"(?i)\b(?:https?://|www\.|mailto:)[^\s<>()]+").expect("url pattern"));

/// Blanks out URLs, keeping byte offsets, so that links never look like dates or words.
pub fn mask_urls(text: &str) -> String {
    let mut out = text.to_string();
    let spans: Vec<(usize, usize)> = URL.get().find_iter(text).map(|m| (m.start(), m.end())).collect();
    for (start, end) in spans.into_iter().rev() {
        out.replace_range(start..end, &" ".repeat(end - start));
    }
    out
}

impl<'a> MessageContext<'a> {
    pub fn new(
        parsed: &'a ParsedEnvelope,
        body: &'a Body,
        events: &'a [CalendarEvent],
        candidate: Option<&'a str>,
    ) -> Self {
        let subject = parsed.envelope.subject.clone().unwrap_or_default();
        let subject_core = REPLY_PREFIX.get().replace(&subject, "").trim().to_string();
        let has_reply_prefix = subject_core.len() != subject.trim().len() && !FORWARD_PREFIX.get().is_match(&subject);
        let is_reply = has_reply_prefix || !parsed.envelope.in_reply_to.is_empty();
        let own = mask_urls(&body.own);
        let quoted = mask_urls(&body.quoted);
        let own_lower = own.to_lowercase();
        // "starting at 11:00 AM your time": the candidate's zone, not the sender's. In a
        // reply it is the zone the quoted history gave the candidate's times in.
        let readers_zone = if is_reply && YOUR_TIME.get().is_match(&own_lower) {
            datetime::zone_mentions(&quoted).into_iter().next().map(|mention| mention.zone)
        } else {
            None
        };
        let default_zone = readers_zone.unwrap_or(ZoneSpec::Fixed(parsed.envelope.date_offset_seconds.unwrap_or(0)));
        MessageContext {
            parsed,
            body,
            events,
            candidate,
            subject_lower: subject.to_lowercase(),
            subject_core,
            is_reply,
            own_lower,
            own,
            quoted,
            signature: body.signature.clone(),
            local: parsed.local_date_time,
            default_zone,
        }
    }

    /// The reference for relative dates: the sender's local time, else a fixed date far
    /// from any real one so nothing relative resolves by accident.
    pub fn reference(&self) -> civil::DateTime {
        self.local.unwrap_or_else(|| civil::date(2000, 1, 1).at(12, 0, 0, 0))
    }

    /// Date-and-time slots in the sender's own words.
    pub fn own_slots(&self) -> Vec<Slot> {
        if self.local.is_none() {
            return Vec::new();
        }
        datetime::find_slots(&self.own, self.reference(), &self.default_zone)
    }

    /// Slots in the subject, when the subject is the sender's own (not a reply).
    pub fn subject_slots(&self) -> Vec<Slot> {
        if self.is_reply || self.local.is_none() {
            return Vec::new();
        }
        datetime::find_slots(&self.subject_core, self.reference(), &self.default_zone)
    }
}

use super::vocab::{Scope, vocabulary};
use MessageKind as K;

/// The features that matched, per kind.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    values: [f64; 11],
    pub matched: Vec<(String, MessageKind, f64, String)>,
}

impl Scores {
    pub fn get(&self, kind: MessageKind) -> f64 {
        self.values[kind_index(kind)]
    }

    fn add(&mut self, name: &str, language: &str, kind: MessageKind, weight: f64, evidence: &str) {
        self.values[kind_index(kind)] += weight;
        self.matched.push((format!("{name} [{language}]"), kind, weight, evidence.to_string()));
    }
}

fn kind_index(kind: MessageKind) -> usize {
    MessageKind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

fn sentence_start(text: &str, position: usize) -> usize {
    text[..position].rfind(['.', '!', '?', '\n']).map_or(0, |i| i + 1)
}

fn snippet(text: &str, start: usize, end: usize) -> String {
    let mut s = text[start..end].split_whitespace().collect::<Vec<_>>().join(" ");
    if s.len() > 80 {
        let mut cut = 77;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

/// Matches every feature against its scope.
pub fn score_features(context: &MessageContext<'_>) -> Scores {
    let mut scores = Scores::default();
    let subject_core_lower = context.subject_core.to_lowercase();
    let vocabulary = vocabulary();
    let mut languages: Vec<(&str, bool)> = Vec::new();
    let body_candidates = vocabulary.prefilter.candidates(&context.own_lower);
    let subject_candidates = vocabulary.prefilter.candidates(&subject_core_lower);
    let raw_subject_candidates = vocabulary.prefilter.candidates(&context.subject_lower);
    for (index, feature) in vocabulary.features.iter().enumerate() {
        let candidates = match feature.scope {
            Scope::Body | Scope::ReplyBody => &body_candidates,
            Scope::Subject => &subject_candidates,
            Scope::RawSubject => &raw_subject_candidates,
        };
        if !candidates[index] {
            continue;
        }
        let present = match languages.iter().find(|(l, _)| *l == feature.language) {
            Some((_, present)) => *present,
            None => {
                let present = vocabulary.language_present(feature.language, &context.own_lower)
                    || vocabulary.language_present(feature.language, &subject_core_lower);
                languages.push((feature.language, present));
                present
            }
        };
        if !present {
            continue;
        }
        let text: &str = match feature.scope {
            Scope::Body => &context.own_lower,
            Scope::ReplyBody if !context.is_reply => continue,
            Scope::ReplyBody => &context.own_lower,
            Scope::Subject if context.is_reply => continue,
            Scope::Subject => &subject_core_lower,
            Scope::RawSubject => &context.subject_lower,
        };
        let scope = match feature.scope {
            Scope::Body | Scope::ReplyBody => "body",
            Scope::Subject | Scope::RawSubject => "subject",
        };
        let mut negated = None;
        let found = feature.regex.find_iter(text).find(|m| {
            if !feature.negatable {
                return true;
            }
            if vocabulary.not_to_you.is_match(&text[m.end()..]) {
                return false;
            }
            // The negation must be in the same clause, a few words before.
            let before = &text[sentence_start(text, m.start())..m.start()];
            let before = before.rfind([',', ':', ';', '-', '(']).map_or(before, |i| &before[i + 1..]);
            let window_start = super::text::floor_boundary(before, before.len().saturating_sub(32));
            if vocabulary.negation.is_match(&before[window_start..]) {
                negated.get_or_insert((m.start(), m.end()));
                return false;
            }
            true
        });
        if let Some(m) = found {
            scores.add(
                feature.name,
                feature.language,
                feature.kind,
                feature.weight,
                &format!("{scope}: \"{}\"", snippet(text, m.start(), m.end())),
            );
        } else if let Some((start, end)) = negated {
            // "not able to offer you the role", "keine Zusage": a negated offer is a no.
            scores.add(
                feature.name,
                feature.language,
                K::Rejection,
                feature.weight,
                &format!("negated offer in the {scope}: \"{}\"", snippet(text, sentence_start(text, start), end)),
            );
        }
    }
    scores
}

/// Timeline periods in the sender's own sentences that talk about a decision or an
/// update, with the latest first-follow-up day among them.
pub fn timeline_evidence(context: &MessageContext<'_>) -> Option<(civil::Date, String)> {
    let reference = context.local?.date();
    let mut best: Option<(civil::Date, String)> = None;
    for sentence in context.own_lower.split(['.', '!', '?', '\n', ';']) {
        if !vocabulary().timeline_cue.is_match(sentence)
            || sentence.contains("let me know")
            || sentence.contains("let us know")
        {
            continue;
        }
        for period in datetime::find_periods(sentence, reference) {
            if best.as_ref().is_none_or(|(date, _)| period.reply_after > *date) {
                best = Some((period.reply_after, period.phrase));
            }
        }
    }
    best
}

/// Words with which a reply takes up a time the other side proposed.
static ACCEPTS_A_TIME: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(
        r"\b(?:works|work\s+(?:for|great|well)|suits|(?:see|talk\s+to|speak\s+to)\s+you\s+then|let's\s+(?:do|take|go\s+with|say|book|lock|plan\s+on)|sounds\s+(?:good|great|perfect)|perfect|booked|confirmed|locked\s+in|(?:first|second|third|last|earlier|later)\s+(?:window|slot|option|one|time)|option\s+\d)\b",
    )
    .expect("accepts a time pattern")
});
static ORDINAL_CHOICE: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"\b(?:(?P<word>first|second|third|fourth|last)\s+(?:window|slot|option|one|time|suggestion|proposal)|(?:option|slot|window|#)\s*(?P<digit>[1-9]))\b")
        .expect("ordinal choice pattern")
});
/// A time given in the reader's zone: "11:00 AM your time", "in your time zone".
static YOUR_TIME: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"\byour\s+(?:own\s+)?(?:local\s+)?time(?:\s*zone)?\b").expect("your time pattern")
});

static OWN_HOUR: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"\b(?:at|@)\s+(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<mer>am|pm|a\.m\.|p\.m\.)?")
        .expect("own hour pattern")
});

/// A short reply ("Thursday at 3 works", "your second slot suits us") names a time
/// the candidate proposed in the message it quotes: the quoted slot it points at, by
/// position, by weekday (with the hour the reply gives), or the only one there is.
/// The proposed window's end is not the interview's end.
fn resolve_from_quote(context: &MessageContext<'_>) -> Option<(Slot, String)> {
    let latest = super::text::latest_quoted(&context.quoted);
    let slots = datetime::find_slots(latest, context.local?, &context.default_zone);
    if slots.is_empty() {
        return None;
    }
    let own = &context.own_lower;
    let (chosen, how) = if let Some(captures) = ORDINAL_CHOICE.get().captures(own) {
        let index = match (captures.name("word").map(|m| m.as_str()), captures.name("digit")) {
            (Some("first"), _) => 0,
            (Some("second"), _) => 1,
            (Some("third"), _) => 2,
            (Some("fourth"), _) => 3,
            (Some(_), _) => slots.len() - 1,
            (None, Some(digit)) => digit.as_str().parse::<usize>().ok()?.checked_sub(1)?,
            (None, None) => return None,
        };
        (slots.get(index)?.clone(), format!("proposal {} of {}", index + 1, slots.len()))
    } else if let Some(weekday) = own.split(|c: char| !c.is_alphabetic()).find_map(datetime::weekday_from_name) {
        let zone = |slot: &Slot| slot.zone.as_ref().and_then(|z| z.time_zone());
        let on_day: Vec<&Slot> = slots
            .iter()
            .filter(|slot| zone(slot).is_some_and(|tz| slot.start.to_zoned(tz).weekday() == weekday))
            .collect();
        let slot = (*on_day.first()?).clone();
        (slot, format!("the proposal on {weekday:?}"))
    } else if slots.len() == 1 {
        (slots[0].clone(), "the only proposal".to_string())
    } else {
        return None;
    };
    let mut slot = chosen;
    let window_end = slot.end.take();
    // "Thursday at 3": that hour inside the chosen window (3 pm in a 1-4 pm window).
    if let Some(captures) = OWN_HOUR.get().captures(own)
        && let Some(tz) = slot.zone.as_ref().and_then(|z| z.time_zone())
    {
        let hour: i8 = captures["h"].parse().ok()?;
        let minute: i8 = captures.name("m").map_or(Some(0), |m| m.as_str().parse().ok())?;
        let window_start = slot.start.to_zoned(tz.clone());
        let day = window_start.date();
        let meridiem = captures.name("mer").map(|m| m.as_str().starts_with('p'));
        let candidates: Vec<i8> = match meridiem {
            Some(true) if hour < 12 => vec![hour + 12],
            Some(_) => vec![hour],
            None if hour < 12 => vec![hour, hour + 12],
            None => vec![hour],
        };
        let at = |h: i8| day.at(h, minute, 0, 0).to_zoned(tz.clone()).ok().map(|z| z.timestamp());
        let inside = candidates
            .iter()
            .filter_map(|h| at(*h))
            .find(|t| *t >= slot.start && window_end.is_none_or(|end| *t < end));
        let fallback = candidates.iter().copied().find(|h| (8..=20).contains(h)).and_then(at);
        if let Some(start) = inside.or(fallback) {
            slot.start = start;
        }
    }
    Some((slot, how))
}

/// The candidate's request to move an interview, in the message a reply answers.
static MOVE_REQUEST: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"(?i)\b(?:move|moving|reschedul\w*|push\s+(?:it\s+|the\s+\w+\s+)?back|postpone|a\s+different\s+(?:time|day)|another\s+(?:time|day))\b[^.?!]{0,60}\b(?:interview|call|conversation|chat|meeting|session|it)\b|\b(?:interview|call|conversation|chat|meeting|session)\b[^.?!]{0,40}\b(?:moved|rescheduled|postponed)\b")
        .expect("move request pattern")
});

/// Decides the kind and fills the fields.
pub fn classify(context: &MessageContext<'_>) -> Classification {
    let mut scores = score_features(context);
    let mut reasons: Vec<String> = Vec::new();
    let parsed = context.parsed;
    let mut own_slots = context.own_slots();
    // A reply that takes up a time the candidate proposed ("Thursday at 3 works",
    // "your second slot suits us"): the slot is in the quoted message.
    if own_slots.iter().all(|slot| !slot.explicit_date)
        && context.is_reply
        && let Some(found) = ACCEPTS_A_TIME.get().find(&context.own_lower)
        && let Some((slot, how)) = resolve_from_quote(context)
    {
        let evidence = format!(
            "body: \"{}\" takes up a time from the quoted message ({how})",
            snippet(&context.own_lower, found.start(), found.end())
        );
        scores.add("confirmation.quoted_slot", "core", K::InterviewConfirmation, 1.0, &evidence);
        own_slots = vec![slot];
    }
    let s = |kind| scores.get(kind);
    let calendar_cancel = context.events.iter().any(|e| e.is_cancel());
    let calendar_request = context.events.iter().any(|e| !e.is_cancel() && e.method.as_deref() != Some("REPLY"));
    let max_sequence = context.events.iter().map(|e| e.sequence).max().unwrap_or(0);
    let subject_slots = context.subject_slots();
    let has_slot =
        own_slots.iter().any(|slot| slot.explicit_date) || !own_slots.is_empty() || !subject_slots.is_empty();
    let timeline = timeline_evidence(context);
    let from_robot = parsed.envelope.from.as_ref().is_some_and(|from| envelope::is_robot_address(&from.email));
    let automated_sender = parsed.auto_submitted || from_robot || parsed.list_unsubscribe;
    let outcome = s(K::Rejection).max(s(K::Offer));
    // An interview kind needs a hiring context: a dentist's calendar invite is not one.
    let about_an_interview = has_recruiting_context(context)
        || context
            .events
            .iter()
            .filter_map(|e| e.summary.as_deref())
            .any(|summary| vocabulary().interview.is_match(summary))
        || vocabulary().interview.is_match(&context.own)
        || vocabulary().interview.is_match(&context.subject_core);

    for (name, kind, weight, evidence) in &scores.matched {
        reasons.push(format!("feature {name} ({kind}, {weight:+.1}) {evidence}"));
    }
    if let Some((date, phrase)) = &timeline {
        reasons.push(format!("feature timeline.period (timeline, +3.0) \"{phrase}\" -> reply after {date}"));
    }
    let timeline_score = s(K::Timeline) + if timeline.is_some() { 3.0 } else { 0.0 };

    let decide = |kind: MessageKind, confidence: f64, rule: &str| (kind, confidence, rule.to_string());
    let (kind, confidence, rule) = if parsed.bounce {
        decide(K::Unrelated, 0.95, "a delivery-status notification (bounce): no person answered")
    } else if parsed.bulk_header
        && s(K::Unrelated) >= 1.5
        && context.events.is_empty()
        && !context.is_reply
        && outcome >= 2.5
    {
        // A newsletter that talks about offers in general: most likely unrelated, but
        // outcome words are never dropped silently.
        decide(K::Unrelated, 0.6, "bulk mail with an unsubscribe link that talks about outcomes: held for review")
    } else if parsed.auto_reply_header {
        decide(
            K::AutoReply,
            0.97,
            "auto-reply header (Auto-Submitted: auto-replied, X-Autoreply or Precedence: auto_reply)",
        )
    } else if scores.matched.iter().any(|(name, ..)| name.starts_with("auto_reply.subject ")) {
        decide(K::AutoReply, 0.93, "auto-reply subject prefix")
    } else if s(K::AutoReply) >= 3.0 && outcome < 3.0 && context.events.is_empty() {
        let confidence = (0.7 + 0.04 * s(K::AutoReply)).min(0.92);
        decide(K::AutoReply, confidence, "out-of-office wording in the sender's own text, no outcome, no calendar")
    } else if parsed.bulk_header
        && context.events.is_empty()
        && outcome < 3.0
        && (max_kind_score(&scores) < 2.5 || s(K::Unrelated) >= max_kind_score(&scores))
    {
        decide(K::Unrelated, 0.93, "bulk mail (Precedence: bulk/list or List-Id) with no outcome or calendar")
    } else if s(K::Rejection) >= 2.5 && s(K::Rejection) >= s(K::Offer) {
        let margin = s(K::Rejection) - s(K::Offer).max(s(K::Timeline));
        decide(
            K::Rejection,
            confidence_from(s(K::Rejection), margin),
            "rejection wording outweighs everything but an auto-reply",
        )
    } else if s(K::Offer) >= 2.5 {
        let margin = s(K::Offer) - s(K::Rejection);
        decide(
            K::Offer,
            confidence_from(s(K::Offer), margin),
            "offer wording (a date or deadline in an offer does not make it a timeline)",
        )
    } else if s(K::ApplicationReceived) >= 3.0
        && (automated_sender || (s(K::InterviewInvitation) < 3.0 && !calendar_request))
    {
        decide(
            K::ApplicationReceived,
            confidence_from(s(K::ApplicationReceived), 1.5),
            "application receipt (precedence over interview or timeline mentions)",
        )
    } else if s(K::Unrelated) >= 2.5 && s(K::Unrelated) >= max_kind_score(&scores) {
        decide(K::Unrelated, 0.85, "marketing, commerce or social-network wording")
    } else if calendar_cancel && about_an_interview {
        decide(K::InterviewCancelled, 0.95, "calendar METHOD:CANCEL / STATUS:CANCELLED")
    } else if calendar_request && about_an_interview {
        let moved = s(K::InterviewRescheduled) >= 2.5 || (max_sequence > 0 && s(K::InterviewRescheduled) >= 1.5);
        if moved {
            decide(
                K::InterviewRescheduled,
                0.92,
                "calendar REQUEST that says it moved (updated subject/body or SEQUENCE > 0 with a move)",
            )
        } else if s(K::InterviewCancelled) >= 2.5 {
            decide(K::InterviewCancelled, 0.8, "calendar request with cancellation wording")
        } else {
            let confidence = if max_sequence > 0 { 0.8 } else { 0.95 };
            decide(K::InterviewConfirmation, confidence, "calendar METHOD:REQUEST with a start time")
        }
    } else if s(K::InterviewCancelled) >= 2.5 && about_an_interview {
        if s(K::InterviewRescheduled) >= 3.0 && has_slot {
            decide(K::InterviewRescheduled, 0.8, "cancelled and moved to a new time")
        } else {
            decide(
                K::InterviewCancelled,
                confidence_from(s(K::InterviewCancelled), 1.0),
                "cancellation wording without a new time",
            )
        }
    } else if s(K::InterviewRescheduled) >= 3.0 && has_slot && about_an_interview {
        decide(K::InterviewRescheduled, confidence_from(s(K::InterviewRescheduled), 1.0), "moved to a new time")
    } else if s(K::InterviewConfirmation) >= 2.0
        && has_slot
        && about_an_interview
        && s(K::InterviewConfirmation) + 1.0 >= s(K::InterviewInvitation)
    {
        let margin = s(K::InterviewConfirmation) - s(K::InterviewInvitation);
        if context.is_reply && MOVE_REQUEST.get().is_match(super::text::latest_quoted(&context.quoted)) {
            decide(
                K::InterviewRescheduled,
                confidence_from(s(K::InterviewConfirmation), margin),
                "a new time confirmed in answer to a request to move the interview (quoted)",
            )
        } else {
            decide(
                K::InterviewConfirmation,
                confidence_from(s(K::InterviewConfirmation), margin),
                "confirmation wording with a fixed date and time",
            )
        }
    } else if s(K::InterviewInvitation) >= 2.0 && s(K::InterviewInvitation) >= timeline_score {
        let margin = s(K::InterviewInvitation) - s(K::InterviewConfirmation);
        decide(
            K::InterviewInvitation,
            confidence_from(s(K::InterviewInvitation), margin),
            "invitation wording, no fixed time",
        )
    } else if outcome >= 1.5 && outcome >= timeline_score && outcome >= s(K::Acknowledgement) && !parsed.bulk_header {
        // Safety by asymmetry: outcome evidence is never discarded into a harmless kind.
        let kind = if s(K::Rejection) >= s(K::Offer) { K::Rejection } else { K::Offer };
        decide(kind, 0.6, "some outcome evidence, too little to be sure: held for review rather than discarded")
    } else if timeline_score >= 2.0 {
        decide(
            K::Timeline,
            confidence_from(timeline_score, 1.0),
            "the employer says when (or that) they will get back, without an outcome",
        )
    } else if s(K::ApplicationReceived) >= 2.5 {
        decide(K::ApplicationReceived, 0.75, "application receipt wording")
    } else if (context.is_reply || (s(K::Acknowledgement) >= 1.0 && context.own.trim().len() < 600))
        && !parsed.bulk_header
        && has_recruiting_context(context)
        && !from_robot
    {
        let confidence = if s(K::Acknowledgement) > 0.0 { 0.8 } else { 0.65 };
        decide(K::Acknowledgement, confidence, "a human reply in a hiring thread with no outcome, time or timeline")
    } else {
        let confidence = if s(K::Unrelated) > 0.0 || !has_recruiting_context(context) { 0.85 } else { 0.6 };
        decide(K::Unrelated, confidence, "nothing about this candidate's hiring process")
    };
    reasons.push(format!("rule: {rule} -> {kind} (confidence {confidence:.2})"));

    let mut classification = Classification {
        kind,
        company: None,
        role: None,
        interview: None,
        reply_after: None,
        return_date: None,
        confidence,
        reasons,
    };
    fields::fill(context, &mut classification, &own_slots, &subject_slots, timeline.map(|(date, _)| date));
    classification
}

fn max_kind_score(scores: &Scores) -> f64 {
    MessageKind::ALL
        .iter()
        .filter(|k| **k != K::Unrelated && **k != K::Acknowledgement)
        .map(|k| scores.get(*k))
        .fold(0.0, f64::max)
}

/// Confidence from the winning score and its margin over the strongest rival.
fn confidence_from(score: f64, margin: f64) -> f64 {
    let strength = (score / 4.0).min(1.0);
    let separation = (margin / 3.0).clamp(0.0, 1.0);
    (0.55 + 0.25 * strength + 0.17 * separation).clamp(0.5, 0.97)
}

fn has_recruiting_context(context: &MessageContext<'_>) -> bool {
    vocabulary().context.is_match(&context.subject_core)
        || vocabulary().context.is_match(&context.own)
        || vocabulary().context.is_match(&context.quoted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_pattern_compiles() {
        assert!(vocabulary().features.len() > 100);
    }

    #[test]
    fn urls_are_masked_in_place() {
        let text = "book at https://x.example/2026-12-15/10am now";
        let masked = mask_urls(text);
        assert_eq!(masked.len(), text.len());
        assert!(!masked.contains("10am"));
        assert!(masked.ends_with(" now"));
    }

    #[test]
    fn confidence_is_bounded() {
        assert!(confidence_from(10.0, 10.0) <= 0.97);
        assert!(confidence_from(0.0, -5.0) >= 0.5);
        assert!(confidence_from(3.0, 3.0) >= 0.9);
    }
}

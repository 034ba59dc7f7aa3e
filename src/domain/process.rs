//! The rules of the process (SPEC §1) as pure functions.
//!
//! [`plan`] looks at one application at an instant and says what is due: rounds that
//! ended, thank-you notes to draft, the next follow-up, ghosting. [`on_message`] applies
//! one classified message from the employer; [`on_mark`] applies a user's correction.
//! Each returns [`Effect`]s; the shell applies them in one transaction and renders the
//! drafts. Calling [`plan`] twice at the same instant after applying its effects returns
//! nothing the second time: planning is idempotent, so a restart never drafts twice.
//!
//! Architecture invariant: this module does not know about SQL, templates or mail
//! headers, and never reads the clock.

use crate::domain::policy::{Policy, PolicyDuration};
use crate::domain::window::{next_send_time, send_time_before_deadline};
use crate::domain::{ApplicationId, ApplicationState, DraftId, DraftKind, DraftStatus, PersonId, RoundId, RoundStatus};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// A person as a message names them, before the shell finds or creates their record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// An interview slot as a message or the user states it.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    pub start: Timestamp,
    pub end: Timestamp,
    /// The interview's zone: the recipients' zone for the send window.
    pub zone: Option<TimeZone>,
    pub interviewers: Vec<Contact>,
    pub location: Option<String>,
    /// The iCalendar UID, which ties a reschedule or cancellation to its round.
    pub calendar_uid: Option<String>,
}

/// One interview round as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    pub id: RoundId,
    pub number: u32,
    pub start: Timestamp,
    pub end: Timestamp,
    pub zone: Option<TimeZone>,
    pub status: RoundStatus,
    /// Every interviewer, with or without an address: a note to one without waits for
    /// the user to give it (issue 12).
    pub interviewers: Vec<PersonId>,
    pub calendar_uid: Option<String>,
}

/// What the core needs to know of a draft.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftFacts {
    pub id: DraftId,
    pub kind: DraftKind,
    pub status: DraftStatus,
    pub round: Option<RoundId>,
    pub person: Option<PersonId>,
    /// Follow-ups: which series (see [`Cadence`]) and which number in it, from 1.
    pub series: u32,
    pub number: u32,
    pub send_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

/// The follow-up cadence of an application.
///
/// A series is the run of follow-ups after one answer (or after the thank-you notes).
/// Any human answer from the employer starts a new series: the count starts again and
/// the next follow-up is counted from that answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cadence {
    pub series: u32,
    /// When the current series began. `None`: it counts from the thank-you notes of the
    /// latest round.
    pub anchor: Option<Timestamp>,
    /// No follow-up is sent before this instant (the employer's timeline, an
    /// out-of-office return date).
    pub not_before: Option<Timestamp>,
    /// The employer asked to wait for further notice: no follow-ups until the user resumes.
    pub paused: bool,
}

/// Everything the core looks at for one application.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationView {
    pub id: ApplicationId,
    pub state: ApplicationState,
    pub rounds: Vec<Round>,
    pub drafts: Vec<DraftFacts>,
    pub cadence: Cadence,
}

/// The settings and the user's zone, which every rule needs.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub policy: &'a Policy,
    /// The user's zone: the send window's zone when an interview has none.
    pub user_zone: &'a TimeZone,
}

/// What the employer's message says happened, as far as the process is concerned.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    ApplicationReceived,
    InvitedToInterview,
    InterviewConfirmed(Slot),
    InterviewRescheduled(Slot),
    /// The slot, when the message names it, finds the round to cancel.
    InterviewCancelled(Option<Slot>),
    OfferReceived,
    RejectionReceived,
    /// `reply_after`: the first day a follow-up is allowed; `None` means "wait for
    /// further notice".
    TimelineGiven {
        reply_after: Option<Date>,
    },
    AutoReplyReceived {
        return_date: Option<Date>,
    },
    /// A human answer with no outcome and no timeline ("thanks, great talking to you").
    HumanReplyReceived,
}

/// What the shell is to do. Drafts are rendered by the shell from these.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Transition {
        to: ApplicationState,
        cause: String,
    },
    AddRound(Slot),
    MoveRound {
        round: RoundId,
        slot: Slot,
    },
    SetRoundStatus {
        round: RoundId,
        status: RoundStatus,
    },
    DraftThankYou {
        round: RoundId,
        person: PersonId,
        send_at: Timestamp,
        deadline: Timestamp,
    },
    DraftFollowUp {
        series: u32,
        number: u32,
        send_at: Timestamp,
    },
    /// A reply to the message being applied (offer, rejection) or, for a withdrawal, to
    /// the application's contact.
    DraftReply {
        kind: DraftKind,
        send_at: Timestamp,
        deadline: Option<Timestamp>,
    },
    CancelDraft {
        draft: DraftId,
        reason: String,
    },
    RescheduleDraft {
        draft: DraftId,
        send_at: Timestamp,
    },
    SetCadence(Cadence),
    /// A heads-up to one of the user's references (articles 2 and 4).
    DraftReferenceNotice {
        person: PersonId,
        cue: ReferenceCue,
        send_at: Timestamp,
    },
}

/// Why an employer may soon call the user's references (articles 2 and 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceCue {
    /// The employer asked for references.
    Asked,
    /// The employer invited the user to, or scheduled, a final round.
    FinalRound,
    /// An offer arrived (references are often checked before or with it).
    Offer,
}

impl ReferenceCue {
    /// How a draft stores its cue (in its `number`, which only follow-ups use otherwise).
    pub fn number(self) -> u32 {
        match self {
            ReferenceCue::Asked => 1,
            ReferenceCue::FinalRound => 2,
            ReferenceCue::Offer => 3,
        }
    }

    /// Why a reference is told now, in the words of the history and the page.
    pub fn reason(self) -> &'static str {
        match self {
            ReferenceCue::Asked => "the employer asked for references",
            ReferenceCue::FinalRound => "a final round is coming",
            ReferenceCue::Offer => "an offer arrived",
        }
    }

    pub fn from_number(number: u32) -> Option<ReferenceCue> {
        match number {
            1 => Some(ReferenceCue::Asked),
            2 => Some(ReferenceCue::FinalRound),
            3 => Some(ReferenceCue::Offer),
            _ => None,
        }
    }

    /// The template's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceCue::Asked => "asked",
            ReferenceCue::FinalRound => "final_round",
            ReferenceCue::Offer => "offer",
        }
    }
}

/// A heads-up draft to each of `references` (the user's references, as people) not yet
/// told about this application, whatever became of the earlier draft: once per reference
/// per application, so a second cue (an offer after a final round) or a rejected draft
/// never asks again. Nothing for an application that ended without an offer. References
/// are the user's own contacts: the send window is in the user's zone.
pub fn brief_references(
    app: &ApplicationView,
    references: &[PersonId],
    cue: ReferenceCue,
    context: &Context,
    now: Timestamp,
) -> Vec<Effect> {
    if matches!(app.state, ApplicationState::Withdrawn | ApplicationState::Rejected | ApplicationState::Ghosted) {
        return Vec::new();
    }
    let policy = context.policy;
    let send_at = next_send_time(now, context.user_zone, policy.send_window, policy.send_days);
    references
        .iter()
        .filter(|person| {
            !app.drafts.iter().any(|draft| draft.kind == DraftKind::ReferenceNotice && draft.person == Some(**person))
        })
        .map(|person| Effect::DraftReferenceNotice { person: *person, cue, send_at })
        .collect()
}

/// Adds a policy duration in `zone`: days are calendar days, the rest exact minutes.
pub fn add_duration(instant: Timestamp, duration: PolicyDuration, zone: &TimeZone) -> Timestamp {
    instant.to_zoned(zone.clone()).checked_add(duration.span()).map(|zoned| zoned.timestamp()).unwrap_or(instant)
}

fn sub_duration(instant: Timestamp, duration: PolicyDuration, zone: &TimeZone) -> Timestamp {
    instant.to_zoned(zone.clone()).checked_sub(duration.span()).map(|zoned| zoned.timestamp()).unwrap_or(instant)
}

/// The first instant of `date` in `zone`.
pub fn start_of_day(date: Date, zone: &TimeZone) -> Timestamp {
    date.to_zoned(zone.clone()).map(|zoned| zoned.timestamp()).unwrap_or(Timestamp::MIN)
}

impl ApplicationView {
    /// The zone of the people follow-ups go to: the latest round's, else the user's.
    pub fn recipient_zone<'a>(&'a self, context: &Context<'a>) -> &'a TimeZone {
        self.rounds
            .iter()
            .filter(|round| round.status != RoundStatus::Cancelled)
            .max_by_key(|round| round.start)
            .and_then(|round| round.zone.as_ref())
            .unwrap_or(context.user_zone)
    }

    fn latest_done_round(&self) -> Option<&Round> {
        self.rounds.iter().filter(|round| round.status == RoundStatus::Done).max_by_key(|round| round.end)
    }

    fn follow_ups_in_series(&self, series: u32) -> impl Iterator<Item = &DraftFacts> {
        self.drafts.iter().filter(move |draft| draft.kind == DraftKind::FollowUp && draft.series == series)
    }

    /// True when the user rejected every thank-you of the latest round (none went out):
    /// following up on a note that was never sent would be odd, so follow-ups wait for the
    /// user to say so (`debrief mark ID following_up`) or for the employer to write.
    pub fn thank_yous_all_rejected(&self) -> bool {
        let Some(round) = self.latest_done_round() else { return false };
        let mut notes = self
            .drafts
            .iter()
            .filter(|draft| draft.kind == DraftKind::ThankYou && draft.round == Some(round.id))
            .peekable();
        notes.peek().is_some() && notes.all(|draft| draft.status == DraftStatus::Rejected)
    }

    /// When the thank-you notes of the latest round were settled: the last one sent, or
    /// the interview's end when none went out. `None` while some are still on their way.
    fn thank_yous_settled_at(&self) -> Option<Timestamp> {
        let round = self.latest_done_round()?;
        let notes: Vec<&DraftFacts> = self
            .drafts
            .iter()
            .filter(|draft| draft.kind == DraftKind::ThankYou && draft.round == Some(round.id))
            .collect();
        if notes.iter().any(|draft| !draft.status.is_settled()) {
            return None;
        }
        Some(notes.iter().filter_map(|draft| draft.sent_at).max().unwrap_or(round.end))
    }
}

/// What is due for `app` at `now`.
pub fn plan(app: &ApplicationView, context: &Context, now: Timestamp) -> Vec<Effect> {
    let mut effects = Vec::new();
    if app.state.is_closed() {
        return effects;
    }
    plan_ended_rounds(app, context, now, &mut effects);
    if effects.is_empty() {
        plan_follow_up(app, context, now, &mut effects);
    }
    effects
}

fn plan_ended_rounds(app: &ApplicationView, context: &Context, now: Timestamp, effects: &mut Vec<Effect>) {
    let mut ended: Vec<&Round> =
        app.rounds.iter().filter(|round| round.status == RoundStatus::Scheduled && round.end <= now).collect();
    ended.sort_by_key(|round| round.end);
    let still_scheduled = app.rounds.iter().any(|round| round.status == RoundStatus::Scheduled && round.end > now);
    for round in &ended {
        effects.push(Effect::SetRoundStatus { round: round.id, status: RoundStatus::Done });
        let zone = round.zone.as_ref().unwrap_or(context.user_zone);
        let policy = context.policy;
        // Planned late (the daemon was off, or the interview was added afterwards), a
        // note is due now, never in the past.
        let target = add_duration(round.end, policy.thank_you_after, zone).max(now);
        let deadline = add_duration(round.end, policy.thank_you_deadline, zone);
        // A thank-you is about its deadline, not about working days: when the next window
        // opens too late (a Friday-afternoon interview), it goes in the last window before.
        let earliest = round.end.max(now);
        let send_at = send_time_before_deadline(target, earliest, deadline, zone, policy.send_window, policy.send_days);
        for person in &round.interviewers {
            // A note cancelled because the round moved does not count: the round is
            // scheduled again, and its new end asks for a new note.
            let drafted = app.drafts.iter().any(|draft| {
                draft.kind == DraftKind::ThankYou
                    && draft.round == Some(round.id)
                    && draft.person == Some(*person)
                    && draft.status != DraftStatus::Cancelled
            });
            if !drafted {
                effects.push(Effect::DraftThankYou { round: round.id, person: *person, send_at, deadline });
            }
        }
    }
    if let Some(last) = ended.last()
        && !still_scheduled
        && app.state != ApplicationState::Interviewed
    {
        effects.push(Effect::Transition {
            to: ApplicationState::Interviewed,
            cause: format!("interview round {} ended", last.number),
        });
        // The thank-you notes of this round start a fresh follow-up series.
        effects.push(Effect::SetCadence(Cadence {
            series: app.cadence.series + 1,
            anchor: None,
            not_before: app.cadence.not_before,
            paused: false,
        }));
    }
}

/// What comes next in an application's follow-up cadence, as far as the employer's
/// silence goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadenced {
    /// Follow-up `number` of the series, to go out at `send_at` (inside the window).
    FollowUp { number: u32, send_at: Timestamp },
    /// Every follow-up is done: the application is ghosted at `at` without an answer.
    Ghosted { at: Timestamp, done: u32 },
}

/// The next step of the follow-up cadence, or `None` when there is none to plan now: the
/// state does not follow up, the cadence is paused, a follow-up or a thank-you is still
/// on its way, or every thank-you was rejected. Used by [`plan`] and by `applications`
/// to say what comes next between follow-ups.
pub fn next_in_cadence(app: &ApplicationView, context: &Context) -> Option<Cadenced> {
    let policy = context.policy;
    let cadence = &app.cadence;
    if !matches!(app.state, ApplicationState::Interviewed | ApplicationState::FollowingUp | ApplicationState::Waiting)
        || cadence.paused
    {
        return None;
    }
    // One follow-up at a time: the next is planned once the last one is settled.
    if app.follow_ups_in_series(cadence.series).any(|draft| !draft.status.is_settled()) {
        return None;
    }
    if cadence.anchor.is_none() && app.thank_yous_all_rejected() {
        return None;
    }
    let anchor = cadence.anchor.or_else(|| app.thank_yous_settled_at())?;
    let zone = app.recipient_zone(context);
    let mut consumed: Vec<&DraftFacts> = app
        .follow_ups_in_series(cadence.series)
        .filter(|draft| matches!(draft.status, DraftStatus::Sent | DraftStatus::Rejected))
        .collect();
    consumed.sort_by_key(|draft| draft.number);
    let last_time = consumed.last().map(|draft| draft.sent_at.unwrap_or(draft.send_at));
    let done = consumed.len() as u32;
    if done >= u32::from(policy.follow_ups) {
        let at = add_duration(last_time.unwrap_or(anchor), policy.ghost_after, zone);
        return Some(Cadenced::Ghosted { at, done });
    }
    let mut due = add_duration(last_time.unwrap_or(anchor), policy.follow_up_every, zone);
    if let Some(not_before) = cadence.not_before {
        due = due.max(not_before);
    }
    let send_at = next_send_time(due, zone, policy.send_window, policy.send_days);
    Some(Cadenced::FollowUp { number: done + 1, send_at })
}

fn plan_follow_up(app: &ApplicationView, context: &Context, now: Timestamp, effects: &mut Vec<Effect>) {
    let policy = context.policy;
    let zone = app.recipient_zone(context);
    match next_in_cadence(app, context) {
        Some(Cadenced::Ghosted { at, done }) if now >= at => {
            effects.push(Effect::Transition {
                to: ApplicationState::Ghosted,
                cause: format!("no answer in the {} after the last of {} follow-ups", policy.ghost_after, done),
            });
        }
        Some(Cadenced::FollowUp { number, send_at })
            if now >= sub_duration(send_at, policy.follow_up_draft_ahead, zone) =>
        {
            // Planned late, it is due now (inside the window), never in the past.
            let send_at = next_send_time(send_at.max(now), zone, policy.send_window, policy.send_days);
            effects.push(Effect::DraftFollowUp { series: app.cadence.series, number, send_at });
            if app.state != ApplicationState::FollowingUp {
                effects.push(Effect::Transition {
                    to: ApplicationState::FollowingUp,
                    cause: format!("no answer yet: follow-up {number} of {} is due", policy.follow_ups),
                });
            }
        }
        _ => {}
    }
}

fn cancel_unsent(app: &ApplicationView, kinds: &[DraftKind], reason: &str, effects: &mut Vec<Effect>) {
    for draft in &app.drafts {
        if kinds.contains(&draft.kind) && draft.status.is_unsent() {
            effects.push(Effect::CancelDraft { draft: draft.id, reason: reason.to_owned() });
        }
    }
}

fn transition(app: &ApplicationView, to: ApplicationState, cause: &str, effects: &mut Vec<Effect>) {
    if app.state != to {
        effects.push(Effect::Transition { to, cause: cause.to_owned() });
    }
}

/// The round a reschedule or cancellation is about: the same calendar UID, else the same
/// start, else the next scheduled round.
fn find_round<'a>(app: &'a ApplicationView, slot: Option<&Slot>) -> Option<&'a Round> {
    let live = || app.rounds.iter().filter(|round| round.status != RoundStatus::Cancelled);
    if let Some(slot) = slot {
        if let Some(uid) = &slot.calendar_uid
            && let Some(round) = live().find(|round| round.calendar_uid.as_ref() == Some(uid))
        {
            return Some(round);
        }
        if let Some(round) = live().find(|round| round.start == slot.start) {
            return Some(round);
        }
    }
    live().filter(|round| round.status == RoundStatus::Scheduled).min_by_key(|round| round.start)
}

/// Applies one classified message from the employer, received at `received_at`.
pub fn on_message(
    app: &ApplicationView,
    event: &Event,
    received_at: Timestamp,
    context: &Context,
    now: Timestamp,
) -> Vec<Effect> {
    let mut effects = Vec::new();
    let policy = context.policy;
    // A message about a withdrawn, rejected or offered application changes nothing by
    // itself; a ghosted one was only presumed dead, and an answer revives it.
    if matches!(app.state, ApplicationState::Withdrawn | ApplicationState::Rejected | ApplicationState::Offer) {
        return effects;
    }
    let human_answer = |effects: &mut Vec<Effect>, reason: &str, cadence: Cadence| {
        cancel_unsent(app, &[DraftKind::FollowUp], reason, effects);
        effects.push(Effect::SetCadence(cadence));
    };
    let new_series_from =
        |anchor: Option<Timestamp>| Cadence { series: app.cadence.series + 1, anchor, not_before: None, paused: false };
    let reply_times = |deadline: Option<PolicyDuration>| {
        let zone = app.recipient_zone(context);
        let target = add_duration(received_at.max(now), policy.thank_you_after, zone);
        let send_at = next_send_time(target, zone, policy.send_window, policy.send_days);
        (send_at, deadline.map(|duration| add_duration(received_at, duration, zone)))
    };
    match event {
        // A receipt creates the application (in the shell); it asks for nothing more.
        Event::ApplicationReceived => {}
        Event::InvitedToInterview => {
            human_answer(&mut effects, "the employer invited you to interview", new_series_from(Some(received_at)));
            transition(app, ApplicationState::Invited, "invited to interview", &mut effects);
        }
        Event::InterviewConfirmed(slot) => {
            let same = find_round(app, Some(slot)).filter(|round| {
                round.start == slot.start || (slot.calendar_uid.is_some() && round.calendar_uid == slot.calendar_uid)
            });
            match same {
                Some(round) if round.start == slot.start && round.end == slot.end => {
                    // A second confirmation of the same slot (ATS mail and calendar invite):
                    // keep the round, learn any interviewer it names.
                    effects.push(Effect::MoveRound { round: round.id, slot: slot.clone() });
                }
                Some(round) => move_round(app, round, slot, &mut effects),
                None => effects.push(Effect::AddRound(slot.clone())),
            }
            human_answer(&mut effects, "an interview was scheduled", new_series_from(None));
            transition(app, ApplicationState::Scheduled, "interview confirmed", &mut effects);
        }
        Event::InterviewRescheduled(slot) => {
            match find_round(app, Some(slot)) {
                Some(round) => move_round(app, round, slot, &mut effects),
                None => effects.push(Effect::AddRound(slot.clone())),
            }
            human_answer(&mut effects, "the interview was rescheduled", new_series_from(None));
            transition(app, ApplicationState::Scheduled, "interview rescheduled", &mut effects);
        }
        Event::InterviewCancelled(slot) => {
            if let Some(round) = find_round(app, slot.as_ref()) {
                cancel_round(app, round, &mut effects);
            }
        }
        Event::OfferReceived => {
            cancel_unsent(app, &[DraftKind::FollowUp], "an offer arrived", &mut effects);
            transition(app, ApplicationState::Offer, "offer received", &mut effects);
            let (send_at, deadline) = reply_times(Some(policy.thank_you_deadline));
            effects.push(Effect::DraftReply { kind: DraftKind::OfferReply, send_at, deadline });
        }
        Event::RejectionReceived => {
            cancel_unsent(
                app,
                &[DraftKind::FollowUp, DraftKind::ThankYou, DraftKind::ReferenceNotice, DraftKind::PassOn],
                "the employer declined",
                &mut effects,
            );
            for round in app.rounds.iter().filter(|round| round.status == RoundStatus::Scheduled) {
                effects.push(Effect::SetRoundStatus { round: round.id, status: RoundStatus::Cancelled });
            }
            transition(app, ApplicationState::Rejected, "rejection received", &mut effects);
            let (send_at, deadline) = reply_times(None);
            effects.push(Effect::DraftReply { kind: DraftKind::RejectionReply, send_at, deadline });
        }
        Event::TimelineGiven { reply_after } => {
            let zone = app.recipient_zone(context);
            let cadence = Cadence {
                series: app.cadence.series + 1,
                anchor: Some(received_at),
                not_before: reply_after.map(|date| start_of_day(date, zone)),
                paused: reply_after.is_none(),
            };
            let cause = match reply_after {
                Some(date) => format!("the employer asked to wait: no follow-up before {date}"),
                None => "the employer asked to wait for further notice: follow-ups paused".to_owned(),
            };
            human_answer(&mut effects, &cause, cadence);
            if !matches!(app.state, ApplicationState::Applied | ApplicationState::Invited | ApplicationState::Scheduled)
            {
                transition(app, ApplicationState::Waiting, &cause, &mut effects);
            }
        }
        Event::AutoReplyReceived { return_date } => {
            if let Some(date) = return_date {
                let zone = app.recipient_zone(context);
                let back = start_of_day(*date, zone);
                let not_before = app.cadence.not_before.map_or(back, |existing| existing.max(back));
                effects.push(Effect::SetCadence(Cadence { not_before: Some(not_before), ..app.cadence.clone() }));
                let send_at = next_send_time(not_before, zone, policy.send_window, policy.send_days);
                for draft in app.follow_ups_in_series(app.cadence.series) {
                    if draft.status.is_unsent() && draft.send_at < not_before {
                        effects.push(Effect::RescheduleDraft { draft: draft.id, send_at });
                    }
                }
            }
        }
        Event::HumanReplyReceived => {
            human_answer(&mut effects, "the employer answered", new_series_from(Some(received_at)));
            transition_to_waiting_if_following_up(app, &mut effects);
        }
    }
    effects
}

fn cancel_round(app: &ApplicationView, round: &Round, effects: &mut Vec<Effect>) {
    effects.push(Effect::SetRoundStatus { round: round.id, status: RoundStatus::Cancelled });
    for draft in app.drafts.iter().filter(|draft| draft.round == Some(round.id) && draft.status.is_unsent()) {
        effects.push(Effect::CancelDraft { draft: draft.id, reason: "the interview was cancelled".into() });
    }
    let others = || app.rounds.iter().filter(|other| other.id != round.id);
    if app.state == ApplicationState::Scheduled && !others().any(|other| other.status == RoundStatus::Scheduled) {
        // Back to where the application was before this round: interviewed, if an
        // earlier round took place, else invited.
        let to = if others().any(|other| other.status == RoundStatus::Done) {
            ApplicationState::Interviewed
        } else {
            ApplicationState::Invited
        };
        transition(app, to, "interview cancelled", effects);
    }
}

/// The user moves a round the inbox got wrong (`debrief round ID N move`): its unsent notes
/// are cancelled and it is planned again from its new time; moved into the future, the
/// application is scheduled again.
pub fn on_move_round(app: &ApplicationView, round: RoundId, slot: &Slot, now: Timestamp) -> Vec<Effect> {
    let mut effects = Vec::new();
    let Some(round) = app.rounds.iter().find(|candidate| candidate.id == round) else { return effects };
    move_round(app, round, slot, &mut effects);
    if slot.end > now && !app.state.is_closed() {
        transition(app, ApplicationState::Scheduled, "interview moved by hand", &mut effects);
    }
    effects
}

/// The user cancels a round that did not take place (`debrief round ID N cancel`): as if
/// the employer had cancelled it.
pub fn on_cancel_round(app: &ApplicationView, round: RoundId) -> Vec<Effect> {
    let mut effects = Vec::new();
    if let Some(round) =
        app.rounds.iter().find(|candidate| candidate.id == round && candidate.status != RoundStatus::Cancelled)
    {
        cancel_round(app, round, &mut effects);
    }
    effects
}

fn transition_to_waiting_if_following_up(app: &ApplicationView, effects: &mut Vec<Effect>) {
    if app.state == ApplicationState::FollowingUp {
        transition(app, ApplicationState::Waiting, "the employer answered", effects);
    }
}

fn move_round(app: &ApplicationView, round: &Round, slot: &Slot, effects: &mut Vec<Effect>) {
    effects.push(Effect::MoveRound { round: round.id, slot: slot.clone() });
    if round.status != RoundStatus::Scheduled {
        effects.push(Effect::SetRoundStatus { round: round.id, status: RoundStatus::Scheduled });
    }
    for draft in app.drafts.iter().filter(|draft| draft.round == Some(round.id) && draft.status.is_unsent()) {
        effects.push(Effect::CancelDraft { draft: draft.id, reason: "the interview moved".into() });
    }
}

/// The user corrects the state by hand (`debrief mark ID STATE`). With `notify` a
/// withdrawal also drafts a short courteous note.
pub fn on_mark(
    app: &ApplicationView,
    to: ApplicationState,
    notify: bool,
    context: &Context,
    now: Timestamp,
) -> Vec<Effect> {
    let mut effects = Vec::new();
    let cause = "set by hand";
    match to {
        ApplicationState::Withdrawn => {
            cancel_unsent(app, DraftKind::ALL, "you withdrew", &mut effects);
            for round in app.rounds.iter().filter(|round| round.status == RoundStatus::Scheduled) {
                effects.push(Effect::SetRoundStatus { round: round.id, status: RoundStatus::Cancelled });
            }
            if notify {
                let zone = app.recipient_zone(context);
                let policy = context.policy;
                let send_at = next_send_time(now, zone, policy.send_window, policy.send_days);
                effects.push(Effect::DraftReply { kind: DraftKind::Withdrawal, send_at, deadline: None });
            }
        }
        ApplicationState::Offer => {
            cancel_unsent(app, &[DraftKind::FollowUp], &format!("marked {to}"), &mut effects);
        }
        // Ended without an offer: references are not called (as after an employer's
        // rejection, `brief_references` drafts none then).
        ApplicationState::Rejected | ApplicationState::Ghosted => {
            cancel_unsent(
                app,
                &[DraftKind::FollowUp, DraftKind::ReferenceNotice],
                &format!("marked {to}"),
                &mut effects,
            );
        }
        // Resuming after "wait for further notice": the cadence goes on from where it was.
        ApplicationState::FollowingUp if app.cadence.paused => {
            effects.push(Effect::SetCadence(Cadence { paused: false, ..app.cadence.clone() }));
        }
        // Following up although every thank-you was rejected: the series counts from the
        // interview's end, as if the notes had gone (a follow-up is due at once when the
        // user says so weeks later).
        ApplicationState::FollowingUp if app.cadence.anchor.is_none() && app.thank_yous_all_rejected() => {
            let end = app.latest_done_round().map(|round| round.end);
            effects.push(Effect::SetCadence(Cadence { anchor: end, ..app.cadence.clone() }));
        }
        _ => {}
    }
    // Out of `offer` by hand (marked by mistake, or the offer fell through): what was
    // drafted because of the offer no longer fits: its reply, and the heads-ups telling the
    // references that an offer arrived.
    if app.state == ApplicationState::Offer && to != ApplicationState::Offer {
        for draft in &app.drafts {
            let for_offer = draft.kind == DraftKind::OfferReply
                || (draft.kind == DraftKind::ReferenceNotice && draft.number == ReferenceCue::Offer.number());
            let cancelled =
                effects.iter().any(|effect| matches!(effect, Effect::CancelDraft { draft: id, .. } if *id == draft.id));
            if for_offer && draft.status.is_unsent() && !cancelled {
                effects.push(Effect::CancelDraft { draft: draft.id, reason: format!("marked {to}: no offer stands") });
            }
        }
    }
    if app.state != to {
        effects.insert(0, Effect::Transition { to, cause: cause.to_owned() });
    }
    effects
}

#[cfg(test)]
mod tests;

//! The planner: the shell around the domain core.
//!
//! Each turn loads one application from the store, asks the core what to do
//! ([`process::plan`], [`process::on_message`], [`process::on_mark`]), and applies the
//! effects in the caller's transaction: rows written, drafts rendered from the
//! templates with their recipients, threading headers and Message-ID fixed, history
//! recorded with the cause. It does no mail I/O.

use crate::config::{Config, is_plain_address};
use crate::domain::process::{self, ApplicationView, Context, Effect, Event, Slot};
use crate::domain::threading::{clean_header_value, reply_references, reply_subject};
use crate::domain::{ApplicationId, ApplicationState, DraftId, DraftKind, DraftStatus, MessageId, PersonId, RoundId};
use crate::store::{self, ApplicationRow, Cause, DraftContent, DraftRow, MessageRow, NewDraft, NewRound, PersonRow};
use crate::templates::{DraftContext, TemplateName, Templates, greeting_for};
use anyhow::{Context as _, anyhow};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rusqlite::Connection;
use std::collections::BTreeSet;

/// What a planning pass did, for logs and `sync`'s summary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PlanReport {
    pub drafts_created: usize,
    pub drafts_cancelled: usize,
    pub transitions: usize,
}

impl PlanReport {
    /// Adds another pass's counts to these.
    pub fn add(&mut self, other: &PlanReport) {
        self.drafts_created += other.drafts_created;
        self.drafts_cancelled += other.drafts_cancelled;
        self.transitions += other.transitions;
    }
}

pub struct Planner<'a> {
    pub config: &'a Config,
    pub templates: &'a Templates,
}

impl Planner<'_> {
    fn context(&self) -> Context<'_> {
        Context { policy: &self.config.policy, user_zone: &self.config.identity.time_zone }
    }

    /// Plans every open application at `now`, each in its own transaction.
    pub fn plan_all(&self, store: &mut store::Store, now: Timestamp) -> anyhow::Result<PlanReport> {
        let mut report = PlanReport::default();
        for id in store::open_application_ids(store.conn())? {
            let tx = store.transaction()?;
            let done = self.plan_application(&tx, id, now).with_context(|| format!("Planning application {id}"))?;
            tx.commit()?;
            report.add(&done);
        }
        Ok(report)
    }

    /// Plans one application until nothing more is due at `now`.
    pub fn plan_application(&self, conn: &Connection, id: ApplicationId, now: Timestamp) -> anyhow::Result<PlanReport> {
        let mut report = PlanReport::default();
        // Each pass may make the next one possible (a round ends, then a follow-up is
        // due); the core settles in a few passes, and the bound guards against a bug.
        for _ in 0..16 {
            let Some((_, view)) = store::load_view(conn, id)? else { return Ok(report) };
            let effects = process::plan(&view, &self.context(), now);
            if effects.is_empty() {
                return Ok(report);
            }
            report.add(&self.apply(conn, &view, &effects, &Cause::Clock, None, now)?);
        }
        Err(anyhow!("planning application {id} did not settle; this is a bug, please report it"))
    }

    /// Applies an event (an employer's message, or the user's `debrief add`) to its
    /// application. `reply_to` is the message that replies answer.
    #[allow(clippy::too_many_arguments)]
    pub fn apply_event(
        &self,
        conn: &Connection,
        id: ApplicationId,
        event: &Event,
        cause: &Cause,
        reply_to: Option<MessageId>,
        received_at: Timestamp,
        now: Timestamp,
    ) -> anyhow::Result<PlanReport> {
        let (_, view) = store::load_view(conn, id)?.ok_or_else(|| not_found("application", id.0))?;
        let effects = process::on_message(&view, event, received_at, &self.context(), now);
        self.apply(conn, &view, &effects, cause, reply_to, now)
    }

    /// Applies the user's `debrief mark ID STATE`.
    pub fn mark(
        &self,
        conn: &Connection,
        id: ApplicationId,
        to: ApplicationState,
        notify: bool,
        now: Timestamp,
    ) -> anyhow::Result<PlanReport> {
        let (_, view) = store::load_view(conn, id)?.ok_or_else(|| not_found("application", id.0))?;
        let effects = process::on_mark(&view, to, notify, &self.context(), now);
        let command = format!("debrief mark {id} {to}{}", if notify { " --notify" } else { "" });
        self.apply(conn, &view, &effects, &Cause::Command(command), None, now)
    }

    /// Applies effects in the caller's transaction.
    pub fn apply(
        &self,
        conn: &Connection,
        view: &ApplicationView,
        effects: &[Effect],
        cause: &Cause,
        reply_to: Option<MessageId>,
        now: Timestamp,
    ) -> anyhow::Result<PlanReport> {
        let id = view.id;
        let mut report = PlanReport::default();
        for effect in effects {
            match effect {
                Effect::Transition { to, cause: why } => {
                    store::set_state(conn, id, *to, why, cause, now)?;
                    report.transitions += 1;
                }
                Effect::AddRound(slot) => {
                    let people = self.people_of(conn, slot, now)?;
                    let zone = slot.zone.as_ref().and_then(|zone| zone.iana_name());
                    let round = NewRound {
                        start: slot.start,
                        end: slot.end,
                        time_zone: zone,
                        location: slot.location.as_deref(),
                        calendar_uid: slot.calendar_uid.as_deref(),
                    };
                    store::insert_round(conn, id, &round, &people)?;
                    let when = self.local_time(slot.start, slot.zone.as_ref());
                    store::insert_history(
                        conn,
                        id,
                        now,
                        None,
                        None,
                        &format!("interview scheduled for {when}"),
                        cause,
                    )?;
                }
                Effect::MoveRound { round, slot } => {
                    let zone = slot.zone.as_ref().and_then(|zone| zone.iana_name());
                    let new = NewRound {
                        start: slot.start,
                        end: slot.end,
                        time_zone: zone,
                        location: slot.location.as_deref(),
                        calendar_uid: slot.calendar_uid.as_deref(),
                    };
                    store::move_round(conn, *round, &new)?;
                    if !slot.interviewers.is_empty() {
                        let people = self.people_of(conn, slot, now)?;
                        store::set_interviewers(conn, *round, &people)?;
                    }
                    let when = self.local_time(slot.start, slot.zone.as_ref());
                    store::insert_history(conn, id, now, None, None, &format!("interview set for {when}"), cause)?;
                }
                Effect::SetRoundStatus { round, status } => store::set_round_status(conn, *round, *status)?,
                Effect::DraftThankYou { round, person, send_at, deadline } => {
                    if self.draft_thank_you(conn, id, *round, *person, *send_at, *deadline, now)? {
                        report.drafts_created += 1;
                    }
                }
                Effect::DraftFollowUp { series, number, send_at } => {
                    if self.draft_follow_up(conn, id, *series, *number, *send_at, now, cause)? {
                        report.drafts_created += 1;
                    }
                }
                Effect::DraftReply { kind, send_at, deadline } => {
                    if self.draft_reply(conn, id, *kind, reply_to, *send_at, *deadline, now, cause)? {
                        report.drafts_created += 1;
                    }
                }
                Effect::CancelDraft { draft, reason } => {
                    // Conditional on the status the view was loaded with (in this
                    // transaction): a draft that changed is not cancelled over its change.
                    let Some(from) = view.drafts.iter().find(|known| known.id == *draft).map(|known| known.status)
                    else {
                        continue;
                    };
                    if !store::set_draft_status(conn, *draft, from, DraftStatus::Cancelled, Some(reason), now)? {
                        tracing::warn!("Draft {draft} changed while it was being cancelled; its new state is kept.");
                        continue;
                    }
                    store::insert_history(
                        conn,
                        id,
                        now,
                        None,
                        None,
                        &format!("draft {draft} cancelled: {reason}"),
                        cause,
                    )?;
                    report.drafts_cancelled += 1;
                }
                Effect::RescheduleDraft { draft, send_at } => {
                    let Some(from) = view.drafts.iter().find(|known| known.id == *draft).map(|known| known.status)
                    else {
                        continue;
                    };
                    if !store::reschedule_draft(conn, *draft, from, *send_at, now)? {
                        continue;
                    }
                    let when = self.local_time(*send_at, None);
                    store::insert_history(conn, id, now, None, None, &format!("draft {draft} moved to {when}"), cause)?;
                }
                Effect::SetCadence(cadence) => store::set_cadence(conn, id, cadence, now)?,
            }
        }
        Ok(report)
    }

    fn people_of(&self, conn: &Connection, slot: &Slot, now: Timestamp) -> anyhow::Result<Vec<PersonId>> {
        let own = self.config.identity.email.to_ascii_lowercase();
        let mut people = Vec::new();
        for contact in &slot.interviewers {
            let email = contact.email.as_deref().filter(|email| is_plain_address(email));
            if email.is_some_and(|email| email.eq_ignore_ascii_case(&own)) {
                continue;
            }
            let name = contact.name.as_deref().map(clean_header_value);
            people.push(store::upsert_person(conn, name.as_deref(), email, now)?);
        }
        Ok(people)
    }

    /// A time as the user reads it: in the given zone, else the user's.
    pub fn local_time(&self, instant: Timestamp, zone: Option<&TimeZone>) -> String {
        let zone = zone.unwrap_or(&self.config.identity.time_zone);
        instant.to_zoned(zone.clone()).strftime("%a %Y-%m-%d %H:%M %Z").to_string()
    }

    fn new_message_id(&self, now: Timestamp) -> String {
        let domain = self.config.identity.email.rsplit_once('@').map_or("debrief.invalid", |(_, domain)| domain);
        format!("debrief.{}.{:016x}@{}", now.as_second(), fastrand::u64(..), domain)
    }

    /// A draft with its recipient and times, before rendering and threading.
    #[allow(clippy::too_many_arguments)]
    fn blank_draft(
        &self,
        id: ApplicationId,
        kind: DraftKind,
        person: Option<PersonId>,
        to: Vec<String>,
        send_at: Timestamp,
        deadline: Option<Timestamp>,
        now: Timestamp,
    ) -> NewDraft {
        NewDraft {
            application_id: id,
            kind,
            round_id: None,
            person_id: person,
            series: 0,
            number: 0,
            reply_to_message: None,
            to,
            subject: String::new(),
            body: String::new(),
            message_id: self.new_message_id(now),
            in_reply_to: None,
            references: Vec::new(),
            send_at,
            deadline,
            needs_topic: false,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn draft_thank_you(
        &self,
        conn: &Connection,
        id: ApplicationId,
        round: RoundId,
        person: PersonId,
        send_at: Timestamp,
        deadline: Timestamp,
        now: Timestamp,
    ) -> anyhow::Result<bool> {
        let Some(recipient) = store::get_person(conn, person)? else { return Ok(false) };
        let Some(email) = recipient.email.clone() else { return Ok(false) };
        let application = self.application(conn, id)?;
        let parent = latest_thread_message(conn, id, &email)?;
        let mut draft =
            self.blank_draft(id, DraftKind::ThankYou, Some(person), vec![email], send_at, Some(deadline), now);
        draft.round_id = Some(round);
        self.store_draft(conn, &application, draft, &recipient, parent.as_ref(), &Cause::Clock, now, |draft_id, to| {
            format!("thank-you note {draft_id} to {to} drafted, to send {}", self.local_time(send_at, None))
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn draft_follow_up(
        &self,
        conn: &Connection,
        id: ApplicationId,
        series: u32,
        number: u32,
        send_at: Timestamp,
        now: Timestamp,
        cause: &Cause,
    ) -> anyhow::Result<bool> {
        let application = self.application(conn, id)?;
        let Some(recipient) = self.contact(conn, &application)? else {
            store::insert_history(
                conn,
                id,
                now,
                None,
                None,
                "a follow-up is due, but no contact address is known",
                cause,
            )?;
            return Ok(false);
        };
        let email = recipient.email.clone().unwrap_or_default();
        let parent = latest_thread_message(conn, id, &email)?;
        let mut draft = self.blank_draft(id, DraftKind::FollowUp, Some(recipient.id), vec![email], send_at, None, now);
        (draft.series, draft.number) = (series, number);
        self.store_draft(conn, &application, draft, &recipient, parent.as_ref(), cause, now, |draft_id, to| {
            format!("follow-up {number} ({draft_id}) to {to} drafted, to send {}", self.local_time(send_at, None))
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn draft_reply(
        &self,
        conn: &Connection,
        id: ApplicationId,
        kind: DraftKind,
        reply_to: Option<MessageId>,
        send_at: Timestamp,
        deadline: Option<Timestamp>,
        now: Timestamp,
        cause: &Cause,
    ) -> anyhow::Result<bool> {
        let application = self.application(conn, id)?;
        let parent = match reply_to {
            Some(message) => store::get_message(conn, message)?,
            None => None,
        };
        // Reply to whoever wrote (their Reply-To first); a withdrawal goes to the contact.
        let (recipient, parent) = match parent.as_ref().and_then(reply_address) {
            Some(address) => (self.person_for(conn, &address, parent.as_ref(), now)?, parent),
            None => match self.contact(conn, &application)? {
                Some(person) => {
                    let email = person.email.clone().unwrap_or_default();
                    (person, latest_thread_message(conn, id, &email)?)
                }
                None => {
                    let event = format!("a {kind} is due, but no address is known to send it to");
                    store::insert_history(conn, id, now, None, None, &event, cause)?;
                    return Ok(false);
                }
            },
        };
        let to = vec![recipient.email.clone().unwrap_or_default()];
        let draft = self.blank_draft(id, kind, Some(recipient.id), to, send_at, deadline, now);
        self.store_draft(conn, &application, draft, &recipient, parent.as_ref(), cause, now, |draft_id, to| {
            format!("{kind} {draft_id} to {to} drafted")
        })
    }

    /// What every drafting ends with: the draft answers `parent` (when there is one),
    /// is rendered for `recipient`, stored, and its drafting recorded in the history in
    /// the words `describe` gives (from the draft's id and its recipients).
    #[allow(clippy::too_many_arguments)]
    fn store_draft(
        &self,
        conn: &Connection,
        application: &ApplicationRow,
        mut draft: NewDraft,
        recipient: &PersonRow,
        parent: Option<&MessageRow>,
        cause: &Cause,
        now: Timestamp,
        describe: impl FnOnce(DraftId, &str) -> String,
    ) -> anyhow::Result<bool> {
        draft.reply_to_message = parent.and_then(|message| message.id);
        let draft = self.render_new(conn, application, draft, Some(recipient), parent)?;
        let draft_id = store::insert_draft(conn, &draft, now)?;
        let event = describe(draft_id, &draft.to.join(", "));
        store::insert_history(conn, application.id, now, None, None, &event, cause)?;
        Ok(true)
    }

    fn person_for(
        &self,
        conn: &Connection,
        address: &str,
        message: Option<&MessageRow>,
        now: Timestamp,
    ) -> anyhow::Result<PersonRow> {
        let name = message
            .filter(|message| message.from_email.as_deref() == Some(address))
            .and_then(|message| message.from_name.clone());
        let id = store::upsert_person(conn, name.as_deref(), Some(address), now)?;
        store::get_person(conn, id)?.ok_or_else(|| anyhow!("person {id} vanished"))
    }

    fn application(&self, conn: &Connection, id: ApplicationId) -> anyhow::Result<ApplicationRow> {
        store::get_application(conn, id)?.ok_or_else(|| not_found("application", id.0))
    }

    /// Whom follow-ups go to: the application's contact (the last person from the
    /// employer who wrote), else the first interviewer of the latest round.
    fn contact(&self, conn: &Connection, application: &ApplicationRow) -> anyhow::Result<Option<PersonRow>> {
        if let Some(person) = application.contact_person_id
            && let Some(row) = store::get_person(conn, person)?
            && row.email.is_some()
        {
            return Ok(Some(row));
        }
        let rounds = store::rounds_of(conn, application.id)?;
        Ok(rounds
            .iter()
            .rev()
            .filter(|round| round.status != crate::domain::RoundStatus::Cancelled)
            .flat_map(|round| round.interviewers.iter())
            .find(|person| person.email.is_some())
            .cloned())
    }

    /// Renders a draft's subject and body, and sets its threading headers.
    fn render_new(
        &self,
        conn: &Connection,
        application: &ApplicationRow,
        mut draft: NewDraft,
        recipient: Option<&PersonRow>,
        parent: Option<&MessageRow>,
    ) -> anyhow::Result<NewDraft> {
        let round = draft
            .round_id
            .map(|_| store::rounds_of(conn, application.id))
            .transpose()?
            .and_then(|rounds| rounds.into_iter().find(|candidate| Some(candidate.id) == draft.round_id));
        let (subject, body, needs_topic) =
            self.render(application, draft.kind, draft.number, recipient, round.as_ref(), draft.send_at)?;
        match parent.and_then(|message| message.message_id.clone().map(|id| (message, id))) {
            Some((message, message_id)) => {
                draft.subject = reply_subject(&clean_header_value(message.subject.as_deref().unwrap_or(&subject)));
                draft.references = reply_references(&message.references, &message_id);
                draft.in_reply_to = Some(message_id);
            }
            None => draft.subject = subject,
        }
        draft.body = body;
        draft.needs_topic = needs_topic;
        Ok(draft)
    }

    /// Renders the text of a draft: (subject, body, whether it lacks its topic).
    pub fn render(
        &self,
        application: &ApplicationRow,
        kind: DraftKind,
        number: u32,
        recipient: Option<&PersonRow>,
        round: Option<&store::RoundRow>,
        send_at: Timestamp,
    ) -> anyhow::Result<(String, String, bool)> {
        let template = match kind {
            DraftKind::ThankYou if application.interested => TemplateName::ThankYou,
            DraftKind::ThankYou => TemplateName::ThankYouNotInterested,
            DraftKind::FollowUp => TemplateName::FollowUp,
            DraftKind::RejectionReply => TemplateName::RejectionReply,
            DraftKind::OfferReply => TemplateName::OfferReply,
            DraftKind::Withdrawal => TemplateName::Withdrawal,
        };
        let recipient_name = recipient.map(address_form).unwrap_or_default();
        let zone = round
            .and_then(|round| round.time_zone.as_deref())
            .and_then(|name| TimeZone::get(name).ok())
            .unwrap_or_else(|| self.config.identity.time_zone.clone());
        let interview_day = round.map(|round| round.start.to_zoned(zone.clone()).strftime("%A").to_string());
        let interview_when = match round {
            Some(round) => {
                let held = round.start.to_zoned(zone.clone()).date();
                let sent = send_at.to_zoned(zone.clone()).date();
                if held == sent {
                    "today".to_owned()
                } else if held.tomorrow().ok() == Some(sent) {
                    "yesterday".to_owned()
                } else {
                    format!("on {}", round.start.to_zoned(zone).strftime("%A, %B %-d"))
                }
            }
            None => "recently".to_owned(),
        };
        let context = DraftContext {
            greeting: greeting_for(&recipient_name),
            recipient_name,
            company: application.company.clone(),
            role: if application.role.is_empty() { "open".to_owned() } else { application.role.clone() },
            topic: application.topic.clone(),
            interview_day,
            interview_when,
            follow_up_number: number,
            follow_ups_total: u32::from(self.config.policy.follow_ups),
            interested: application.interested,
            sender_name: self.config.identity.name.clone(),
            signature: self.config.identity.signature.clone(),
        };
        let rendered = self.templates.render(template, &context)?;
        let needs_topic = application.topic.is_none() && matches!(kind, DraftKind::ThankYou);
        Ok((clean_header_value(&rendered.subject), rendered.body, needs_topic))
    }

    /// Renders again every pending draft of an application that the user has not edited
    /// by hand (after a new topic or form of address), keeping subjects of replies.
    pub fn rerender_pending(
        &self,
        conn: &Connection,
        id: ApplicationId,
        only_person: Option<PersonId>,
        now: Timestamp,
    ) -> anyhow::Result<usize> {
        let application = self.application(conn, id)?;
        let rounds = store::rounds_of(conn, id)?;
        let mut count = 0;
        for draft in store::drafts_of(conn, id)? {
            if draft.status != DraftStatus::Pending || draft.edited {
                continue;
            }
            if only_person.is_some() && draft.person_id != only_person {
                continue;
            }
            let recipient = draft.person_id.map(|person| store::get_person(conn, person)).transpose()?.flatten();
            let round = rounds.iter().find(|round| Some(round.id) == draft.round_id);
            let (subject, body, needs_topic) =
                self.render(&application, draft.kind, draft.number, recipient.as_ref(), round, draft.send_at)?;
            let subject = if draft.in_reply_to.is_some() { draft.subject.clone() } else { subject };
            let content = DraftContent { to: &draft.to, subject: &subject, body: &body, needs_topic, edited: false };
            if store::update_draft_content(conn, draft.id, DraftStatus::Pending, &content, now)? {
                count += 1;
            }
        }
        Ok(count)
    }
}

/// Records a new application in state `applied`, with the history entry that says where
/// it came from (`debrief add`, or the message that started it).
pub fn new_application(
    conn: &Connection,
    company: &str,
    role: &str,
    employer_domain: Option<&str>,
    event: &str,
    cause: &Cause,
    now: Timestamp,
) -> anyhow::Result<ApplicationId> {
    let id = store::insert_application(conn, company, role, employer_domain, ApplicationState::Applied, now)?;
    store::insert_history(conn, id, now, None, Some(ApplicationState::Applied.as_str()), event, cause)?;
    Ok(id)
}

/// How to address a person: their preferred form, else their first name.
pub fn address_form(person: &PersonRow) -> String {
    if let Some(form) = &person.address_as {
        return form.clone();
    }
    person.name.as_deref().and_then(|name| name.split_whitespace().next()).map(str::to_owned).unwrap_or_default()
}

/// The address a reply to `message` goes to: its Reply-To, else its sender.
fn reply_address(message: &MessageRow) -> Option<String> {
    message.reply_to.clone().or_else(|| message.from_email.clone()).filter(|address| is_plain_address(address))
}

/// The last message of the application's thread with `address`: from them, or sent to them.
fn latest_thread_message(conn: &Connection, id: ApplicationId, address: &str) -> anyhow::Result<Option<MessageRow>> {
    let messages = store::messages_of(conn, id)?;
    let involved = |message: &&MessageRow| {
        message.message_id.is_some()
            && if message.direction == "in" {
                [&message.from_email, &message.reply_to]
                    .iter()
                    .any(|field| field.as_deref().is_some_and(|from| from.eq_ignore_ascii_case(address)))
            } else {
                message.to_emails.iter().any(|to| to.eq_ignore_ascii_case(address))
            }
    };
    Ok(messages.iter().filter(involved).max_by_key(|message| message.date.or(message.received_at)).cloned())
}

/// Every address a draft of this application may go to (SPEC §6, invariant 7): its
/// interviewers, its contact, and everyone in its threads.
pub fn application_addresses(conn: &Connection, id: ApplicationId) -> anyhow::Result<BTreeSet<String>> {
    let mut addresses = BTreeSet::new();
    for round in store::rounds_of(conn, id)? {
        addresses.extend(round.interviewers.into_iter().filter_map(|person| person.email));
    }
    if let Some(application) = store::get_application(conn, id)?
        && let Some(person) = application.contact_person_id
        && let Some(row) = store::get_person(conn, person)?
    {
        addresses.extend(row.email);
    }
    for message in store::messages_of(conn, id)? {
        addresses.extend(message.from_email);
        addresses.extend(message.reply_to);
        addresses.extend(message.to_emails);
    }
    for draft in store::drafts_of(conn, id)? {
        if draft.status == DraftStatus::Sent {
            addresses.extend(draft.to);
        }
    }
    Ok(addresses.into_iter().map(|address| address.to_ascii_lowercase()).collect())
}

/// Recipients of `draft` that do not belong to its application.
pub fn foreign_recipients(conn: &Connection, draft: &DraftRow) -> anyhow::Result<Vec<String>> {
    let allowed = application_addresses(conn, draft.application_id)?;
    Ok(draft.to.iter().filter(|address| !allowed.contains(&address.to_ascii_lowercase())).cloned().collect())
}

/// An error for an id that does not exist, saying where to look.
pub fn not_found(what: &str, id: i64) -> anyhow::Error {
    let hint = match what {
        "draft" => "see `debrief queue`",
        "application" => "see `debrief applications`",
        "message" => "see `debrief inbox`",
        _ => "check the id",
    };
    crate::cli::usage(format!("there is no {what} {id}: {hint}"))
}

/// Re-checks a draft id exists, for commands that take one.
pub fn draft_or_not_found(conn: &Connection, id: DraftId) -> anyhow::Result<DraftRow> {
    store::get_draft(conn, id)?.ok_or_else(|| not_found("draft", id.0))
}

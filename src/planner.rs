//! The planner: the shell around the domain core.
//!
//! Each turn loads one application from the store, asks the core what to do
//! ([`process::plan`], [`process::on_message`], [`process::on_mark`]), and applies the
//! effects in the caller's transaction: rows written, drafts rendered from the
//! templates with their recipients, threading headers and Message-ID fixed, history
//! recorded with the cause. It does no mail I/O.

use crate::config::{Config, is_plain_address};
use crate::domain::policy::Greeting;
use crate::domain::process::{self, ApplicationView, Context, Effect, Event, ReferenceCue, Slot};
use crate::domain::threading::{clean_header_value, reply_references, reply_subject};
use crate::domain::{
    ApplicationId, ApplicationState, DraftId, DraftKind, DraftStatus, MessageId, PersonId, RoundId, RoundStatus,
};
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
            // Right before the outbox's turn: a note that is going out on a later day than
            // it was written for says so ("yesterday", not "today").
            for draft in store::drafts_of(&tx, id)? {
                self.rewrite_for_send_day(&tx, &draft, now)
                    .with_context(|| format!("Rewriting draft {} for its send day", draft.id))?;
            }
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
            let mut effects = process::plan(&view, &self.context(), now);
            if effects.iter().any(|effect| matches!(effect, Effect::DraftFollowUp { .. }))
                && self.bounced_contact(conn, id)?.is_some()
            {
                // Nothing to a dead end: the address refused our mail for good.
                effects.retain(|effect| {
                    !matches!(
                        effect,
                        Effect::DraftFollowUp { .. } | Effect::Transition { to: ApplicationState::FollowingUp, .. }
                    )
                });
            }
            if effects.is_empty() {
                report.drafts_created += self.offer_pass_ons(conn, id, now)?;
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
        let cause = Cause::Command(command);
        let mut report = self.apply(conn, &view, &effects, &cause, None, now)?;
        if to == ApplicationState::Offer && view.state != ApplicationState::Offer {
            report.add(&self.brief_references(conn, id, ReferenceCue::Offer, &cause, now)?);
        }
        Ok(report)
    }

    /// Beside each thank-you that waits for an interviewer's address, a request to the
    /// application's contact (the recruiter or coordinator who wrote) to pass the note on,
    /// or give the address (article 2). Once per note: a request the user rejected is not
    /// made again; one cancelled because the address came has no waiting note left. No
    /// contact, no request (the queue says to ask the recruiter). Returns how many it drafted.
    pub fn offer_pass_ons(&self, conn: &Connection, id: ApplicationId, now: Timestamp) -> anyhow::Result<usize> {
        let drafts = store::drafts_of(conn, id)?;
        let waiting = drafts.iter().filter(|draft| {
            draft.kind == DraftKind::ThankYou && draft.status == DraftStatus::Pending && draft.to.is_empty()
        });
        let mut made = 0;
        for note in waiting {
            let asked = drafts.iter().any(|other| {
                other.kind == DraftKind::PassOn
                    && other.round_id == note.round_id
                    && other.person_id == note.person_id
                    && other.status != DraftStatus::Cancelled
            });
            let (Some(round), Some(person)) = (note.round_id, note.person_id) else { continue };
            if asked {
                continue;
            }
            let application = self.application(conn, id)?;
            let Some(go_between) = self.pass_on_recipient(conn, &application, person)? else { continue };
            let Some(interviewer) = store::get_person(conn, person)? else { continue };
            let email = go_between.email.clone().unwrap_or_default();
            let parent = latest_thread_message(conn, id, &email)?;
            let to = vec![email];
            let mut draft = self.blank_draft(id, DraftKind::PassOn, Some(person), to, note.send_at, note.deadline, now);
            draft.round_id = Some(round);
            let name = interviewer.name.clone().unwrap_or_else(|| "an interviewer".to_owned());
            let thank_you = note.id;
            self.store_draft(conn, &application, draft, &interviewer, parent.as_ref(), &Cause::Clock, now, |draft_id, to| {
                format!("request {draft_id} to {to} drafted: pass on thank-you {thank_you} to {name}, or give the address")
            })?;
            made += 1;
        }
        Ok(made)
    }

    /// Who is asked to pass a note on: the application's contact (the last person from
    /// the employer who wrote: the recruiter or coordinator), never the interviewer.
    fn pass_on_recipient(
        &self,
        conn: &Connection,
        application: &ApplicationRow,
        interviewer: PersonId,
    ) -> anyhow::Result<Option<PersonRow>> {
        let Some(contact) = application.contact_person_id.filter(|contact| *contact != interviewer) else {
            return Ok(None);
        };
        Ok(store::get_person(conn, contact)?.filter(|person| person.email.is_some()))
    }

    /// The user approved a request to pass a note on: the thank-you it carries no longer
    /// waits for the address, it goes through the contact. Cancels that note (only while
    /// it is still pending and unaddressed, as read) and returns its id.
    pub fn pass_on_approved(
        &self,
        conn: &Connection,
        request: &DraftRow,
        now: Timestamp,
    ) -> anyhow::Result<Option<DraftId>> {
        if request.kind != DraftKind::PassOn {
            return Ok(None);
        }
        let note = store::drafts_of(conn, request.application_id)?.into_iter().find(|draft| {
            draft.kind == DraftKind::ThankYou
                && draft.round_id == request.round_id
                && draft.person_id == request.person_id
                && draft.status == DraftStatus::Pending
                && draft.to.is_empty()
        });
        let Some(note) = note else { return Ok(None) };
        let reason = format!("passed on through {} (draft {})", request.to.join(", "), request.id);
        if !store::set_draft_status(conn, note.id, DraftStatus::Pending, DraftStatus::Cancelled, Some(&reason), now)? {
            return Ok(None);
        }
        let event = format!("draft {} cancelled: {reason}", note.id);
        let cause = Cause::Command(format!("debrief approve {}", request.id));
        store::insert_history(conn, request.application_id, now, None, None, &event, &cause)?;
        Ok(Some(note.id))
    }

    /// The interviewer's address is known now: pending requests to pass their note on are
    /// superseded (the note goes to them directly), each cancelled conditionally on being
    /// still pending. An approved request stays: the user chose it, and it already
    /// cancelled the note. Returns the ids cancelled.
    pub fn address_given(
        &self,
        conn: &Connection,
        person: PersonId,
        cause: &Cause,
        now: Timestamp,
    ) -> anyhow::Result<Vec<DraftId>> {
        let mut cancelled = Vec::new();
        for request in store::queue(conn)? {
            if request.kind != DraftKind::PassOn
                || request.person_id != Some(person)
                || request.status != DraftStatus::Pending
            {
                continue;
            }
            let reason = "the interviewer's address is known now: the thank-you goes to them directly";
            if store::set_draft_status(
                conn,
                request.id,
                DraftStatus::Pending,
                DraftStatus::Cancelled,
                Some(reason),
                now,
            )? {
                let event = format!("draft {} cancelled: {reason}", request.id);
                store::insert_history(conn, request.application_id, now, None, None, &event, cause)?;
                cancelled.push(request.id);
            }
        }
        Ok(cancelled)
    }

    /// Drafts a heads-up to each of the user's references (`[[references]]`) not yet told
    /// about this application (articles 2 and 4): the employer asked for references, a
    /// final round is coming, or an offer arrived. Each reference is a person row (found
    /// by address), so `debrief person ADDRESS --address-as FORM` works for them too.
    pub fn brief_references(
        &self,
        conn: &Connection,
        id: ApplicationId,
        cue: ReferenceCue,
        cause: &Cause,
        now: Timestamp,
    ) -> anyhow::Result<PlanReport> {
        if self.config.references.is_empty() {
            return Ok(PlanReport::default());
        }
        let Some((_, view)) = store::load_view(conn, id)? else { return Ok(PlanReport::default()) };
        let mut people = Vec::new();
        for reference in &self.config.references {
            people.push(store::upsert_person(conn, Some(&reference.name), Some(&reference.email), now)?);
        }
        let effects = process::brief_references(&view, &people, cue, &self.context(), now);
        self.apply(conn, &view, &effects, cause, None, now)
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
                Effect::DraftReferenceNotice { person, cue, send_at } => {
                    if self.draft_reference_notice(conn, id, *person, *cue, *send_at, now, cause)? {
                        report.drafts_created += 1;
                    }
                }
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
        let application = self.application(conn, id)?;
        // An interviewer named without an address still gets a note: it waits for the
        // user to give the address (`debrief person "Name" --email ADDRESS`).
        let (to, parent) = match recipient.email.clone() {
            Some(email) => (vec![email.clone()], latest_thread_message(conn, id, &email)?),
            None => (Vec::new(), None),
        };
        let mut draft = self.blank_draft(id, DraftKind::ThankYou, Some(person), to, send_at, Some(deadline), now);
        draft.round_id = Some(round);
        let name = recipient.name.clone().unwrap_or_else(|| "an interviewer".to_owned());
        self.store_draft(conn, &application, draft, &recipient, parent.as_ref(), &Cause::Clock, now, |draft_id, to| {
            let to = if to.is_empty() { format!("{name} (waiting for their address)") } else { to.to_owned() };
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

    #[allow(clippy::too_many_arguments)]
    fn draft_reference_notice(
        &self,
        conn: &Connection,
        id: ApplicationId,
        person: PersonId,
        cue: ReferenceCue,
        send_at: Timestamp,
        now: Timestamp,
        cause: &Cause,
    ) -> anyhow::Result<bool> {
        let Some(recipient) = store::get_person(conn, person)? else { return Ok(false) };
        let Some(email) = recipient.email.clone() else { return Ok(false) };
        let application = self.application(conn, id)?;
        let mut draft = self.blank_draft(id, DraftKind::ReferenceNotice, Some(person), vec![email], send_at, None, now);
        draft.number = cue.number();
        let why = cue.reason();
        // A new thread: the reference has never written about this application.
        self.store_draft(conn, &application, draft, &recipient, None, cause, now, |draft_id, to| {
            format!(
                "heads-up {draft_id} to your reference {to} drafted ({why}), to send {}",
                self.local_time(send_at, None)
            )
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

    /// The follow-up contact's address and the server's words, when a message to that
    /// address was refused for good (5xx): a follow-up there would bounce too.
    /// A delivery report in the inbox saying so counts too (`store::refused_address`), and
    /// the words name that report.
    pub fn bounced_contact(&self, conn: &Connection, id: ApplicationId) -> anyhow::Result<Option<(String, String)>> {
        let application = self.application(conn, id)?;
        let Some(contact) = self.contact(conn, &application)? else { return Ok(None) };
        let Some(address) = contact.email else { return Ok(None) };
        let refused_here = store::drafts_of(conn, id)?.into_iter().find_map(|draft| {
            // Failed, or failed and then rejected by the user: the server's words stay.
            let refused = draft.status != DraftStatus::Sent
                && draft.last_error.as_deref().is_some_and(|error| error.starts_with("the server refused it (5"))
                && draft.to.iter().any(|to| to.eq_ignore_ascii_case(&address));
            refused.then(|| (address.clone(), draft.last_error.unwrap_or_default()))
        });
        if refused_here.is_some() {
            return Ok(refused_here);
        }
        let Some(refusal) = store::refused_address(conn, &address)? else { return Ok(None) };
        let bounce = store::get_message(conn, refusal.message)?;
        let subject =
            bounce.as_ref().and_then(|bounce| bounce.subject.clone()).unwrap_or_else(|| "(no subject)".into());
        let from =
            bounce.as_ref().and_then(|bounce| bounce.from_email.clone()).unwrap_or_else(|| "the mail system".into());
        let day = bounce.as_ref().and_then(|bounce| bounce.date.or(bounce.received_at)).unwrap_or(refusal.refused_at);
        let day = day.to_zoned(self.config.identity.time_zone.clone()).strftime("%Y-%m-%d");
        let mut words = format!(
            "the delivery report \"{subject}\" from {from} of {day}, message {}: {}",
            refusal.message, refusal.status
        );
        if let Some(diagnostic) = &refusal.diagnostic {
            words.push_str(&format!(", {diagnostic}"));
        }
        Ok(Some((address, words)))
    }

    /// Why an application that waits for a follow-up gets none, in words with the command
    /// that changes it (for `queue`): its contact bounced, or the user rejected every
    /// thank-you of the latest round.
    pub fn why_no_follow_up(&self, conn: &Connection, id: ApplicationId) -> anyhow::Result<Option<String>> {
        let Some((application, view)) = store::load_view(conn, id)? else { return Ok(None) };
        if !matches!(
            application.state,
            ApplicationState::Interviewed | ApplicationState::FollowingUp | ApplicationState::Waiting
        ) {
            return Ok(None);
        }
        if let Some((address, error)) = self.bounced_contact(conn, id)? {
            return Ok(Some(format!(
                "no follow-ups: {address} refused your mail for good ({error}); write to someone else there from your mail client, and debrief follows their thread once they answer"
            )));
        }
        if application.cadence.anchor.is_none() && view.thank_yous_all_rejected() {
            return Ok(Some(format!(
                "no follow-ups: you rejected every thank-you of the last round; `debrief mark {id} following_up` to follow up anyway, or `debrief mark {id} withdrawn`"
            )));
        }
        Ok(None)
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
            self.render(conn, application, draft.kind, draft.number, recipient, round.as_ref(), draft.send_at, None)?;
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

    /// [`Planner::render`] for a draft that exists: its round (among the application's
    /// `rounds`) and its recipient, written for `at`.
    fn render_existing(
        &self,
        conn: &Connection,
        application: &ApplicationRow,
        rounds: &[store::RoundRow],
        draft: &DraftRow,
        at: Timestamp,
    ) -> anyhow::Result<(String, String, bool)> {
        let round = rounds.iter().find(|round| Some(round.id) == draft.round_id);
        let recipient = draft.person_id.map(|person| store::get_person(conn, person)).transpose()?.flatten();
        self.render(conn, application, draft.kind, draft.number, recipient.as_ref(), round, at, Some(draft.id))
    }

    /// Renders the text of a draft: (subject, body, whether it lacks its topic).
    #[allow(clippy::too_many_arguments)]
    pub fn render(
        &self,
        conn: &Connection,
        application: &ApplicationRow,
        kind: DraftKind,
        number: u32,
        recipient: Option<&PersonRow>,
        round: Option<&store::RoundRow>,
        send_at: Timestamp,
        draft_id: Option<DraftId>,
    ) -> anyhow::Result<(String, String, bool)> {
        let template = match kind {
            DraftKind::ThankYou if application.interested => TemplateName::ThankYou,
            DraftKind::ThankYou => TemplateName::ThankYouNotInterested,
            DraftKind::FollowUp => TemplateName::FollowUp,
            DraftKind::RejectionReply => TemplateName::RejectionReply,
            DraftKind::OfferReply => TemplateName::OfferReply,
            DraftKind::Withdrawal => TemplateName::Withdrawal,
            DraftKind::ReferenceNotice => TemplateName::ReferenceNotice,
            DraftKind::PassOn => TemplateName::PassOn,
        };
        // A request to pass a note on is addressed to the contact; `recipient` is the
        // interviewer the note is for.
        let mut pass_on = None;
        if kind == DraftKind::PassOn {
            let go_between = match draft_id.map(|id| store::get_draft(conn, id)).transpose()?.flatten() {
                Some(draft) => match draft.to.first() {
                    Some(address) => store::find_person_by_email(conn, address)?,
                    None => None,
                },
                None => match recipient {
                    Some(interviewer) => self.pass_on_recipient(conn, application, interviewer.id)?,
                    None => None,
                },
            };
            let about = match recipient {
                Some(interviewer) => known_name(conn, application.id, interviewer)?,
                None => None,
            };
            let note = store::drafts_of(conn, application.id)?.into_iter().rev().find(|draft| {
                draft.kind == DraftKind::ThankYou
                    && draft.round_id == round.map(|round| round.id)
                    && draft.person_id == recipient.map(|person| person.id)
                    && draft.status != DraftStatus::Cancelled
            });
            pass_on = Some((go_between, about, note.map(|note| note.body)));
        }
        let recipient = match &pass_on {
            Some((go_between, _, _)) => go_between.as_ref(),
            None => recipient,
        };
        let name = recipient.map(|person| known_name(conn, application.id, person)).transpose()?.flatten();
        let (greeting, recipient_name) = match recipient {
            // A reference is the user's own contact: their form from the config, else
            // their first name, whatever `[policy] greeting` says for employers.
            Some(person) if kind == DraftKind::ReferenceNotice => {
                let form = self
                    .config
                    .references
                    .iter()
                    .find(|reference| {
                        person.email.as_deref().is_some_and(|email| email.eq_ignore_ascii_case(&reference.email))
                    })
                    .and_then(|reference| reference.address_as.clone());
                match (&person.address_as, form) {
                    (None, Some(form)) => (greeting_for(&form), form),
                    _ => salutation(person, name.as_deref(), Greeting::FirstName),
                }
            }
            Some(person) => salutation(person, name.as_deref(), self.config.policy.greeting),
            None => ("Hello".to_owned(), String::new()),
        };
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
        let rounds = store::rounds_of(conn, application.id)?;
        let points = store::talking_points_of(conn, application.id)?;
        let said = points_for(&rounds, &points, kind, round, recipient);
        let exchange = match kind {
            DraftKind::FollowUp => {
                last_exchange(conn, application, &rounds, &self.config.identity.time_zone, recipient)?
            }
            _ => LastExchange::default(),
        };
        let addition = match (kind, draft_id) {
            (DraftKind::FollowUp, Some(id)) => store::draft_addition(conn, id)?,
            _ => None,
        };
        let context = DraftContext {
            greeting,
            recipient_name,
            company: application.company.clone(),
            role: if application.role.is_empty() { "open".to_owned() } else { application.role.clone() },
            topic: said.topic.clone(),
            strength: said.strength.clone(),
            interview_day,
            interview_when,
            follow_up_number: number,
            follow_ups_total: u32::from(self.config.policy.follow_ups),
            timeline_day: exchange.timeline_day,
            last_reply_day: exchange.last_reply_day,
            exchange_from: exchange.from.map(str::to_owned),
            // The reader interviewed the user: only then may a draft recall "when we spoke".
            reader_was_interviewer: said.round.is_some(),
            addition,
            about_name: pass_on
                .as_ref()
                .map(|(_, about, _)| about.clone().unwrap_or_else(|| "my other interviewer".to_owned())),
            note: pass_on.as_ref().map(|(_, _, note)| note.clone().unwrap_or_default()),
            reference_cue: match kind {
                DraftKind::ReferenceNotice => ReferenceCue::from_number(number).map(|cue| cue.as_str().to_owned()),
                _ => None,
            },
            interested: application.interested,
            sender_name: self.config.identity.name.clone(),
            signature: self.config.identity.signature.clone(),
        };
        let rendered = self.templates.render(template, &context)?;
        let needs_topic = said.topic.is_none() && matches!(kind, DraftKind::ThankYou);
        Ok((clean_header_value(&rendered.subject), rendered.body, needs_topic))
    }

    /// The zone a draft's words about time and its send window are in: its round's, else
    /// the latest round's, else the user's.
    fn draft_zone(&self, rounds: &[store::RoundRow], draft: &DraftRow) -> TimeZone {
        let round = rounds.iter().find(|round| Some(round.id) == draft.round_id);
        let latest = || rounds.iter().filter(|round| round.time_zone.is_some()).max_by_key(|round| round.start);
        round
            .or_else(latest)
            .and_then(|round| round.time_zone.as_deref())
            .and_then(|name| TimeZone::get(name).ok())
            .unwrap_or_else(|| self.config.identity.time_zone.clone())
    }

    /// When an unsent draft will actually go out, seen at `now` ([`actual_send_time`]).
    pub fn actual_send_time(&self, conn: &Connection, draft: &DraftRow, now: Timestamp) -> anyhow::Result<Timestamp> {
        actual_send_time(conn, self.config, draft, now)
    }

    /// Words about time ("today", "yesterday", "on Friday") are written for the day a note
    /// goes out. A pending or approved draft nobody edited by hand whose send time has
    /// passed goes out at the next pass inside its send window ([`actual_send_time`]); when
    /// that changes its words, it is rewritten for that day (at approval, and before each
    /// send pass). Its stored send time is left alone.
    /// Returns the instant it was rewritten for. The rewrite is conditional on the draft
    /// being as it was read.
    pub fn rewrite_for_send_day(
        &self,
        conn: &Connection,
        draft: &DraftRow,
        now: Timestamp,
    ) -> anyhow::Result<Option<Timestamp>> {
        if !matches!(draft.status, DraftStatus::Pending | DraftStatus::Approved) || draft.edited || draft.send_at >= now
        {
            return Ok(None);
        }
        let rounds = store::rounds_of(conn, draft.application_id)?;
        let goes_at = send_time_among(self.config, &rounds, draft, now);
        let application = self.application(conn, draft.application_id)?;
        let (_, body, _) = self.render_existing(conn, &application, &rounds, draft, goes_at)?;
        if body == draft.body || !store::rewrite_for_send_day(conn, draft, &body, draft.send_at, now)? {
            return Ok(None);
        }
        let zone = self.draft_zone(&rounds, draft);
        let event = format!(
            "draft {} rewritten for the day it goes out ({}): its words about time were for {}",
            draft.id,
            goes_at.to_zoned(zone.clone()).strftime("%a %Y-%m-%d"),
            draft.send_at.to_zoned(zone).strftime("%a %Y-%m-%d"),
        );
        store::insert_history(conn, draft.application_id, now, None, None, &event, &Cause::Clock)?;
        Ok(Some(goes_at))
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
            // Written for the day it will go out, which is later than planned when it is overdue.
            let goes_at = send_time_among(self.config, &rounds, &draft, now);
            let (subject, body, needs_topic) = self.render_existing(conn, &application, &rounds, &draft, goes_at)?;
            let subject = if draft.in_reply_to.is_some() { draft.subject.clone() } else { subject };
            let content = DraftContent { to: &draft.to, subject: &subject, body: &body, needs_topic, edited: false };
            if store::update_draft_content(conn, draft.id, DraftStatus::Pending, &content, now)? {
                count += 1;
            }
        }
        Ok(count)
    }
}

/// The zone of a draft's send window, as the core planned it: a thank-you (and a request
/// to pass one on) in its round's zone; a heads-up to a reference in the user's (references
/// are the user's own contacts); anything else to the employer in the latest round's zone
/// (`ApplicationView::recipient_zone`); the user's when there is none.
pub fn send_zone(config: &Config, rounds: &[store::RoundRow], draft: &DraftRow) -> TimeZone {
    let round = match draft.kind {
        DraftKind::ReferenceNotice => None,
        DraftKind::ThankYou | DraftKind::PassOn if draft.round_id.is_some() => {
            rounds.iter().find(|round| Some(round.id) == draft.round_id)
        }
        _ => rounds.iter().filter(|round| round.status != RoundStatus::Cancelled).max_by_key(|round| round.start),
    };
    round
        .and_then(|round| round.time_zone.as_deref())
        .and_then(|name| TimeZone::get(name).ok())
        .unwrap_or_else(|| config.identity.time_zone.clone())
}

/// When an unsent draft actually goes out, seen at `now`: its send time (or the end of
/// its hold, when later) if that is still to come, else now; in either case moved to the
/// next opening of its send window when outside it (`window::actual_send_time`). The
/// outbox sends nothing before this instant, and every command that says when a draft
/// goes says this, and its words about time are written for this day.
pub fn actual_send_time(
    conn: &Connection,
    config: &Config,
    draft: &DraftRow,
    now: Timestamp,
) -> anyhow::Result<Timestamp> {
    let rounds = store::rounds_of(conn, draft.application_id)?;
    Ok(send_time_among(config, &rounds, draft, now))
}

/// [`actual_send_time`] with the application's rounds already read.
pub fn send_time_among(config: &Config, rounds: &[store::RoundRow], draft: &DraftRow, now: Timestamp) -> Timestamp {
    let zone = send_zone(config, rounds, draft);
    let planned = draft.send_at.max(draft.hold_until.unwrap_or(draft.send_at));
    let policy = &config.policy;
    crate::domain::window::actual_send_time(planned, now, &zone, policy.send_window, policy.send_days)
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

/// The employer's last word since the latest interview, as a follow-up refers to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastExchange {
    /// They gave a timeline: the last day of it ("Friday, December 11").
    pub timeline_day: Option<String>,
    /// They answered otherwise: the day they wrote ("Monday, December 7").
    pub last_reply_day: Option<String>,
    /// Who said it, for the template's choice between "you mentioned" and a neutral form:
    /// "reader" (the follow-up's recipient wrote it), "employer" (someone else there did),
    /// "interview" (the user noted it with `debrief note ID --reply-after DATE`).
    pub from: Option<&'static str>,
}

/// What the employer last said since the latest interview began: a timeline (its last day),
/// else the day of their last answer, and who said it (`reader` is the follow-up's
/// recipient). A timeline the user noted from the interview (`debrief note ID --reply-after
/// DATE`, no message behind it) counts when nothing was written after it. Automatic replies
/// and receipts are not an exchange.
fn last_exchange(
    conn: &Connection,
    application: &ApplicationRow,
    rounds: &[store::RoundRow],
    user_zone: &TimeZone,
    reader: Option<&PersonRow>,
) -> anyhow::Result<LastExchange> {
    let latest = rounds
        .iter()
        .filter(|round| round.status != crate::domain::RoundStatus::Cancelled)
        .max_by_key(|round| round.start);
    let Some(latest) = latest else { return Ok(LastExchange::default()) };
    let zone =
        latest.time_zone.as_deref().and_then(|name| TimeZone::get(name).ok()).unwrap_or_else(|| user_zone.clone());
    let day = |instant: Timestamp| instant.to_zoned(zone.clone()).strftime("%A, %B %-d").to_string();
    let messages = store::messages_of(conn, application.id)?;
    let answer = messages
        .iter()
        .filter(|message| message.direction == "in" && message.status == "applied")
        .filter(|message| !matches!(message.kind.as_deref(), Some("auto_reply" | "application_received") | None))
        .filter_map(|message| message.date.or(message.received_at).map(|at| (at, message)))
        .filter(|(at, _)| *at >= latest.start)
        .max_by_key(|(at, _)| *at);
    // The user's note of what was said at the interview: "debrief note ID --reply-after DATE".
    let prefix = format!("debrief note {} --reply-after ", application.id);
    let noted = store::history_of(conn, application.id)?
        .into_iter()
        .filter(|line| line.at >= latest.start)
        .filter_map(|line| {
            let date =
                line.cause_command.as_deref()?.strip_prefix(&prefix)?.trim().parse::<jiff::civil::Date>().ok()?;
            Some((line.at, date))
        })
        .max_by_key(|(at, _)| *at);
    if let Some((noted_at, reply_after)) = noted
        && answer.is_none_or(|(at, _)| noted_at > at)
        && let Ok(last_day) = reply_after.yesterday()
        && let Ok(last_day) = last_day.to_zoned(zone.clone())
    {
        return Ok(LastExchange {
            timeline_day: Some(day(last_day.timestamp())),
            last_reply_day: None,
            from: Some("interview"),
        });
    }
    let Some((at, message)) = answer else { return Ok(LastExchange::default()) };
    let reader_address = reader.and_then(|person| person.email.as_deref());
    let wrote = |address: Option<&str>| address.zip(reader_address).is_some_and(|(a, b)| a.eq_ignore_ascii_case(b));
    let from =
        if wrote(message.from_email.as_deref()) || wrote(message.reply_to.as_deref()) { "reader" } else { "employer" };
    if message.kind.as_deref() == Some("timeline")
        && let Some(not_before) = application.cadence.not_before
        && let Ok(last_day) = not_before.to_zoned(zone.clone()).yesterday()
    {
        return Ok(LastExchange {
            timeline_day: Some(day(last_day.timestamp())),
            last_reply_day: None,
            from: Some(from),
        });
    }
    Ok(LastExchange { timeline_day: None, last_reply_day: Some(day(at)), from: Some(from) })
}

/// What a draft may say of the conversation with its reader.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Said {
    /// The round the draft is about, from the reader's side: the thank-you's round, else
    /// the latest round (not cancelled) the reader was an interviewer in.
    pub round: Option<RoundId>,
    pub topic: Option<String>,
    pub strength: Option<String>,
    /// The topic is the round's, not this reader's, and other interviewers of the round
    /// get it too: identical notes read as a mail merge when the interviewers compare.
    pub topic_shared: bool,
}

/// The talking points a draft of `kind` to `recipient` may use. A thank-you uses its
/// round's points (the reader's own first); any other draft mentions a topic only to
/// someone who was in that conversation, so a recruiter is never told "our conversation
/// about X" that they never had, and says no strength (that belongs in the thank-you).
pub fn points_for(
    rounds: &[store::RoundRow],
    points: &[store::TalkingPointRow],
    kind: DraftKind,
    round: Option<&store::RoundRow>,
    recipient: Option<&PersonRow>,
) -> Said {
    let person = recipient.map(|person| person.id);
    let was_there = |round: &&store::RoundRow| {
        round.status != crate::domain::RoundStatus::Cancelled
            && round.interviewers.iter().any(|interviewer| Some(interviewer.id) == person)
    };
    let round = match kind {
        DraftKind::ThankYou => round,
        _ => rounds.iter().filter(was_there).max_by_key(|round| round.start),
    };
    let Some(round) = round else { return Said::default() };
    let point = |kind: store::PointKind, whose: Option<PersonId>| {
        points
            .iter()
            .find(|point| point.round_id == round.id && point.kind == kind && point.person_id == whose)
            .map(|point| point.text.clone())
    };
    let own_topic = person.and_then(|person| point(store::PointKind::Topic, Some(person)));
    let round_topic = point(store::PointKind::Topic, None);
    let addressed = round.interviewers.iter().filter(|interviewer| interviewer.email.is_some()).count();
    let topic_shared = own_topic.is_none() && round_topic.is_some() && addressed > 1;
    let strength = match kind {
        DraftKind::ThankYou => person
            .and_then(|person| point(store::PointKind::Strength, Some(person)))
            .or_else(|| point(store::PointKind::Strength, None)),
        _ => None,
    };
    Said { round: Some(round.id), topic: own_topic.or(round_topic), strength, topic_shared }
}

/// What a pending draft still lacks, each with the command that supplies it (shown in
/// `queue` and `show`). A draft edited by hand lacks nothing: the user wrote it.
pub fn draft_gaps(conn: &Connection, draft: &DraftRow) -> anyhow::Result<Vec<String>> {
    let mut gaps = Vec::new();
    if draft.status != DraftStatus::Pending || draft.edited {
        return Ok(gaps);
    }
    if draft.to.is_empty()
        && let Some(person) = draft.person_id.map(|person| store::get_person(conn, person)).transpose()?.flatten()
    {
        gaps.push(address_wanted(conn, draft.application_id, &person)?);
        if let Some(request) = pass_on_of(conn, draft)? {
            gaps.push(format!(
                "or approve draft {}: it asks {} to pass this note on (or for the address), and this one is then cancelled",
                request.id,
                request.to.join(", ")
            ));
        }
    }
    if draft.kind == DraftKind::PassOn {
        let person = draft.person_id.map(|person| store::get_person(conn, person)).transpose()?.flatten();
        let name = person.and_then(|person| person.name).unwrap_or_else(|| "NAME".to_owned());
        gaps.push(format!(
            "instead of the thank-you to {name}, which waits for their address: approving this cancels that note; \
`debrief person {name:?} --email ADDRESS` cancels this one"
        ));
    }
    // A reference is greeted by first name (or the config's `address_as`): nothing to ask.
    if let Some(person) = draft.person_id.map(|person| store::get_person(conn, person)).transpose()?.flatten()
        && draft.kind != DraftKind::ReferenceNotice
        && person.address_as.is_none()
        && let Some(address) = person.email.as_deref()
    {
        let name = known_name(conn, draft.application_id, &person)?;
        let words: Vec<&str> = name.as_deref().map(|name| name.split_whitespace().collect()).unwrap_or_default();
        let example = match (words.first(), words.last()) {
            (Some(first), Some(last)) if words.len() > 1 => format!("\"Ms. {last}\", \"Mr. {last}\" or \"{first}\""),
            _ => "\"Ms. Jones\" or a first name".to_owned(),
        };
        gaps.push(format!(
            "no form of address for {}: `debrief person {address} --address-as FORM` ({example}) rewrites it",
            name.as_deref().unwrap_or(address)
        ));
    }
    if draft.kind == DraftKind::OfferReply {
        // Articles 1 and 2: an offer is also the moment to tell one's recruiter and to ask
        // to speak with people at the company before deciding.
        gaps.push(
            "beside this reply: tell your recruiter (if one placed you) about the offer, and ask to talk with \
a future colleague or two at the company before you decide; never accept or negotiate in this reply"
                .to_owned(),
        );
    }
    if draft.kind == DraftKind::FollowUp && store::draft_addition(conn, draft.id)?.is_none() {
        gaps.push(format!(
            "nothing new in it (optional): `debrief share {} \"...\"` adds an article tied to your conversation or a piece of news",
            draft.id
        ));
    }
    if draft.kind != DraftKind::ThankYou {
        return Ok(gaps);
    }
    let Some(application) = store::get_application(conn, draft.application_id)? else { return Ok(gaps) };
    let rounds = store::rounds_of(conn, draft.application_id)?;
    let Some(round) = rounds.iter().find(|round| Some(round.id) == draft.round_id) else { return Ok(gaps) };
    let recipient = draft.person_id.map(|person| store::get_person(conn, person)).transpose()?.flatten();
    let points = store::talking_points_of(conn, draft.application_id)?;
    let said = points_for(&rounds, &points, draft.kind, Some(round), recipient.as_ref());
    let app = application.id;
    let number = round.number;
    let name = recipient.as_ref().and_then(|person| person.name.clone()).filter(|name| !name.trim().is_empty());
    // `--person` takes the address, or the name of someone who has none yet.
    let address = match (draft.to.first(), &name) {
        (Some(address), _) => address.clone(),
        (None, Some(name)) => format!("{name:?}"),
        (None, None) => "ADDRESS".to_owned(),
    };
    let who = name.unwrap_or_else(|| address.clone());
    if said.topic.is_none() {
        gaps.push(format!(
            "no topic: what did you discuss with {who}? `debrief note {app} --topic \"...\" --round {number} --person {address}` rewrites it"
        ));
    } else if said.topic_shared {
        gaps.push(format!(
            "same topic as the other notes of round {number} (a mail merge when they compare): `debrief note {app} --topic \"...\" --round {number} --person {address}`"
        ));
    }
    if said.strength.is_none() && application.interested {
        gaps.push(format!(
            "no strength: a qualification for the role, with an example from the interview: `debrief note {app} --strength \"...\" --round {number}` (or --person {address})"
        ));
    }
    Ok(gaps)
}

/// The live request to pass on a thank-you that waits for an address, if one was drafted.
pub fn pass_on_of(conn: &Connection, note: &DraftRow) -> anyhow::Result<Option<DraftRow>> {
    Ok(store::drafts_of(conn, note.application_id)?.into_iter().find(|draft| {
        draft.kind == DraftKind::PassOn
            && draft.round_id == note.round_id
            && draft.person_id == note.person_id
            && draft.status.is_unsent()
    }))
}

/// The line that asks for an interviewer's address: the exact command, and the address
/// the employer's other addresses suggest (only a suggestion: never used until given).
fn address_wanted(conn: &Connection, id: ApplicationId, person: &PersonRow) -> anyhow::Result<String> {
    let name = person.name.clone().filter(|name| !name.trim().is_empty()).unwrap_or_else(|| "NAME".to_owned());
    // The same name waiting in another application may be someone else: say which.
    let mut elsewhere: Vec<ApplicationId> =
        store::interviewers_without_address(conn, &name)?.into_iter().map(|(_, application)| application).collect();
    elsewhere.sort_by_key(|application| application.0);
    elsewhere.dedup();
    let scope = if elsewhere.len() > 1 { format!(" --application {id}") } else { String::new() };
    let command = format!("`debrief person {name:?} --email ADDRESS{scope}`");
    let mut known: Vec<(String, String)> = Vec::new();
    for round in store::rounds_of(conn, id)? {
        for interviewer in round.interviewers {
            if let (Some(name), Some(email)) = (interviewer.name, interviewer.email) {
                known.push((name, email));
            }
        }
    }
    for message in store::messages_of(conn, id)? {
        if let (Some(name), Some(email)) = (message.from_name, message.from_email) {
            known.push((name.split(" via ").next().unwrap_or(&name).to_owned(), email));
        }
    }
    let application = store::get_application(conn, id)?;
    let domain = application.and_then(|application| application.employer_domain).or_else(|| {
        known.iter().find_map(|(_, email)| email.rsplit_once('@').map(|(_, domain)| domain.to_ascii_lowercase()))
    });
    let suggestion = domain.and_then(|domain| crate::domain::addresses::suggest_address(&name, &domain, &known));
    Ok(match suggestion {
        Some(guess) => format!(
            "needs an address: {command}. Likely {} ({} of the addresses seen there are {}), but debrief never uses a guess: check it first",
            guess.address,
            guess.seen,
            guess.pattern.describe()
        ),
        None => format!("needs an address: {command} (ask the recruiter, or see their calendar invitation)"),
    })
}

/// Rounds of open applications that ended in the last 14 days without the user's
/// impressions, each as a line with the command that writes them down (articles 1, 3, 4:
/// notes right after the interview; what they said about following up).
pub fn impressions_wanted(conn: &Connection, now: Timestamp) -> anyhow::Result<Vec<String>> {
    let fortnight = jiff::SignedDuration::from_hours(14 * 24);
    let mut lines = Vec::new();
    for id in store::open_application_ids(conn)? {
        let Some(application) = store::get_application(conn, id)? else { continue };
        let noted: Vec<RoundId> = store::talking_points_of(conn, id)?
            .into_iter()
            .filter(|point| point.kind == store::PointKind::Impressions)
            .map(|point| point.round_id)
            .collect();
        for round in store::rounds_of(conn, id)? {
            let recent = round.end <= now && now.duration_since(round.end) <= fortnight;
            if round.status == crate::domain::RoundStatus::Done && recent && !noted.contains(&round.id) {
                lines.push(format!(
                    "{} ({id}), round {}: while it is fresh, note how it went, what to improve and how the fit feels: \
`debrief note {id} --round {} --impressions \"...\"`; if they said when they would decide: `--reply-after DATE` or `--wait-for-word`",
                    application.company, round.number, round.number
                ));
            }
        }
    }
    Ok(lines)
}

/// The greeting and the name a note uses for a person: their preferred form of address
/// when the user wrote it down; else, by `[policy] greeting`, their full name after "Dear"
/// (formal, the default) or their first name after "Hi"; "Hello" when no name is known.
pub fn salutation(person: &PersonRow, name: Option<&str>, greeting: Greeting) -> (String, String) {
    if let Some(form) = &person.address_as {
        return (greeting_for(form), form.clone());
    }
    let Some(name) = name.map(str::trim).filter(|name| !name.is_empty()) else {
        return ("Hello".to_owned(), String::new());
    };
    match greeting {
        Greeting::Formal => (format!("Dear {name}"), name.to_owned()),
        Greeting::FirstName => {
            let first = name.split_whitespace().next().unwrap_or(name).to_owned();
            (format!("Hi {first}"), first)
        }
    }
}

/// A person's name: as recorded, else as their own mail gave it in a display name (From
/// of their messages, auto-replies included, or of mail that names them as Reply-To, such
/// as "Jane Doe via Greenhouse"). Display names that are addresses or robots are ignored.
pub fn known_name(conn: &Connection, id: ApplicationId, person: &PersonRow) -> anyhow::Result<Option<String>> {
    if let Some(name) = person.name.as_deref().map(str::trim).filter(|name| !name.is_empty()) {
        return Ok(Some(name.to_owned()));
    }
    let Some(address) = person.email.as_deref() else { return Ok(None) };
    let mut messages = store::messages_of(conn, id)?;
    messages.reverse();
    Ok(messages.iter().filter(|message| message.direction == "in").find_map(|message| {
        let theirs = [&message.from_email, &message.reply_to]
            .iter()
            .any(|field| field.as_deref().is_some_and(|field| field.eq_ignore_ascii_case(address)));
        let name = message.from_name.as_deref().filter(|_| theirs)?;
        let name = name.split(" via ").next().unwrap_or(name).trim().trim_matches(['"', '\'']).trim();
        let plausible = !name.is_empty()
            && !name.contains('@')
            && name.chars().any(char::is_alphabetic)
            && !crate::classify::envelope::is_robot_address(&name.replace(' ', ""));
        plausible.then(|| name.to_owned())
    }))
}

/// The address a reply to `message` goes to: its Reply-To, else its sender.
fn reply_address(message: &MessageRow) -> Option<String> {
    message.reply_to.clone().or_else(|| message.from_email.clone()).filter(|address| is_plain_address(address))
}

/// Whether a message was written by a machine: an out-of-office, a calendar's invitation
/// or its answer, a no-reply sender. A reply threaded onto one reads as a reply to a robot
/// ("Re: Automatic reply: ...", "Re: Invitation: ... @ Thu Dec 3 ..."), so it is never a
/// thread parent: the draft answers the last human message, else starts its own subject.
pub fn is_automated(message: &MessageRow) -> bool {
    const MACHINE_SUBJECTS: [&str; 14] = [
        "automatic reply",
        "auto-reply",
        "autoreply",
        "auto reply",
        "out of office",
        "out of the office",
        "invitation:",
        "updated invitation",
        "invitation updated",
        "accepted:",
        "declined:",
        "tentative:",
        "canceled event",
        "cancelled event",
    ];
    let subject = message.subject.as_deref().unwrap_or("").trim().to_lowercase();
    let subject = subject.strip_prefix("re:").map(str::trim_start).unwrap_or(&subject);
    message.kind.as_deref() == Some("auto_reply")
        || MACHINE_SUBJECTS.iter().any(|prefix| subject.starts_with(prefix))
        || (message.direction == "in"
            && message.from_email.as_deref().is_some_and(crate::classify::envelope::is_robot_address))
}

/// The last human message of the application's thread with `address`: from them, or sent
/// to them; automated messages ([`is_automated`]) are skipped.
fn latest_thread_message(conn: &Connection, id: ApplicationId, address: &str) -> anyhow::Result<Option<MessageRow>> {
    let messages = store::messages_of(conn, id)?;
    let involved = |message: &&MessageRow| {
        !is_automated(message)
            && message.message_id.is_some()
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
        // A heads-up belongs to the reference it was drafted for (from the config), and
        // to no other address: editing it to someone else is refused like any draft.
        if draft.kind == DraftKind::ReferenceNotice
            && let Some(person) = draft.person_id.map(|person| store::get_person(conn, person)).transpose()?.flatten()
        {
            addresses.extend(person.email);
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

#[cfg(test)]
mod tests;

//! Drafts as their reader gets them (issue 12): the planner over an in-memory store at
//! fixed instants, with snapshots of the rendered notes.

use super::*;
use crate::domain::process::{Contact, Event, Slot};
use crate::store::{PointKind, Store};
use std::path::Path;

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap_or_else(|err| panic!("{text}: {err}"))
}

fn config() -> Config {
    let text = "[identity]\nname = \"Priya Raman\"\nemail = \"priya@example.net\"\ntime_zone = \"America/Los_Angeles\"\n\
                signature = \"Priya Raman\"\n";
    Config::from_toml(text, Path::new("/tmp/debrief-planner-test/config.toml"), Some(0o600)).unwrap()
}

/// One application whose rounds are recorded as `debrief add` does.
struct Scenario {
    config: Config,
    templates: Templates,
    store: Store,
    app: ApplicationId,
}

impl Scenario {
    fn new() -> Scenario {
        let mut store = Store::open_in_memory().unwrap();
        let tx = store.transaction().unwrap();
        let now = ts("2026-11-20T00:00:00Z");
        let app = new_application(&tx, "Acme Robotics", "Backend Engineer", None, "added", &Cause::Clock, now).unwrap();
        tx.commit().unwrap();
        Scenario { config: config(), templates: Templates::load(None).unwrap(), store, app }
    }

    fn planner(&self) -> Planner<'_> {
        Planner { config: &self.config, templates: &self.templates }
    }

    /// A round of `minutes` from `start` in `zone`, with interviewers "Name <address>".
    fn round(&mut self, start: &str, minutes: i64, zone: &str, interviewers: &[(&str, &str)]) {
        let start = ts(start);
        let slot = Slot {
            start,
            end: start.checked_add(jiff::SignedDuration::from_mins(minutes)).unwrap(),
            zone: Some(TimeZone::get(zone).unwrap()),
            interviewers: interviewers
                .iter()
                .map(|(name, email)| Contact { name: Some(name.to_string()), email: Some(email.to_string()) })
                .collect(),
            location: None,
            calendar_uid: None,
        };
        let now = ts("2026-11-20T00:00:00Z");
        let (config, templates) = (&self.config, &self.templates);
        let planner = Planner { config, templates };
        let tx = self.store.transaction().unwrap();
        planner.apply_event(&tx, self.app, &Event::InterviewConfirmed(slot), &Cause::Clock, None, now, now).unwrap();
        tx.commit().unwrap();
    }

    fn point(&mut self, round: u32, person: Option<&str>, kind: PointKind, text: &str) {
        let rounds = store::rounds_of(self.store.conn(), self.app).unwrap();
        let round = rounds.iter().find(|candidate| candidate.number == round).unwrap().id;
        let person = person.map(|address| store::find_person_by_email(self.store.conn(), address).unwrap().unwrap().id);
        store::set_talking_point(self.store.conn(), round, person, kind, text, ts("2026-11-20T00:00:00Z")).unwrap();
    }

    fn plan(&mut self, now: &str) {
        let (config, templates) = (&self.config, &self.templates);
        Planner { config, templates }.plan_all(&mut self.store, ts(now)).unwrap();
    }

    fn drafts(&self) -> Vec<DraftRow> {
        store::drafts_of(self.store.conn(), self.app).unwrap()
    }

    fn draft_to(&self, kind: DraftKind, address: &str) -> DraftRow {
        let drafts = self.drafts();
        let found = drafts.iter().rev().find(|draft| draft.kind == kind && draft.to == [address]);
        found.unwrap_or_else(|| panic!("no {kind} to {address} in {drafts:#?}")).clone()
    }

    /// What a draft lacks, but its form of address (tested on its own).
    fn gaps(&self, draft: &DraftRow) -> Vec<String> {
        let gaps = draft_gaps(self.store.conn(), draft).unwrap();
        gaps.into_iter().filter(|gap| !gap.starts_with("no form of address")).collect()
    }
}

/// Sets a draft's status from whatever it is now (the tests play the user, one at a time).
fn set_status(conn: &Connection, id: DraftId, to: DraftStatus, at: Timestamp) {
    let from = store::get_draft(conn, id).unwrap().unwrap().status;
    assert!(store::set_draft_status(conn, id, from, to, None, at).unwrap());
}

/// A draft as its reader sees it, with its times, for a snapshot.
fn mail(draft: &DraftRow) -> String {
    format!(
        "To: {}\nSubject: {}\nSend at: {}\nDeadline: {}\n\n{}",
        draft.to.join(", "),
        draft.subject,
        draft.send_at,
        draft.deadline.map(|deadline| deadline.to_string()).unwrap_or_default(),
        draft.body
    )
}

#[test]
fn a_second_rounds_interviewer_is_not_thanked_for_the_first_rounds_conversation() {
    let mut scenario = Scenario::new();
    // Round 1 on Tuesday 1 December, round 2 on Tuesday 8 December, 10:00 in Los Angeles.
    scenario.round("2026-12-01T18:00:00Z", 60, "America/Los_Angeles", &[("Jane Doe", "jane@acme.example")]);
    scenario.point(1, None, PointKind::Topic, "how the fleet scheduler handles backpressure");
    scenario.point(1, None, PointKind::Strength, "I rebuilt our job queue's retry logic, which halved duplicate runs");
    scenario.plan("2026-12-01T19:00:00Z");
    let jane = scenario.draft_to(DraftKind::ThankYou, "jane@acme.example");
    assert!(jane.body.contains("backpressure") && jane.body.contains("halved duplicate runs"), "{}", jane.body);
    assert!(scenario.gaps(&jane).is_empty(), "{:?}", scenario.gaps(&jane));

    scenario.round("2026-12-08T18:00:00Z", 60, "America/Los_Angeles", &[("Bob Lee", "bob@acme.example")]);
    scenario.plan("2026-12-08T19:00:00Z");
    let bob = scenario.draft_to(DraftKind::ThankYou, "bob@acme.example");
    assert!(!bob.body.contains("backpressure"), "round 1's topic is not Bob's: {}", bob.body);
    assert!(!bob.body.contains("duplicate runs"), "nor round 1's strength");
    assert!(bob.needs_topic);
    let gaps = scenario.gaps(&bob);
    assert!(gaps[0].starts_with("no topic") && gaps[0].contains("--round 2 --person bob@acme.example"), "{gaps:?}");
    assert!(gaps[1].starts_with("no strength"), "{gaps:?}");
    insta::assert_snapshot!("round_two_without_its_own_topic", mail(&bob));

    scenario.point(2, None, PointKind::Topic, "the on-call rotation and its runbooks");
    let (config, templates) = (&scenario.config, &scenario.templates);
    let planner = Planner { config, templates };
    planner.rerender_pending(scenario.store.conn(), scenario.app, None, ts("2026-12-08T19:05:00Z")).unwrap();
    let bob = scenario.draft_to(DraftKind::ThankYou, "bob@acme.example");
    assert!(bob.body.contains("on-call rotation") && !bob.body.contains("backpressure"));
    insta::assert_snapshot!("round_two_with_its_own_topic", mail(&bob));
}

#[test]
fn two_interviewers_of_one_round_get_different_notes_or_a_flag() {
    let mut scenario = Scenario::new();
    let people = [("Jane Doe", "jane@acme.example"), ("Bob Lee", "bob@acme.example")];
    scenario.round("2026-12-01T18:00:00Z", 60, "America/Los_Angeles", &people);
    scenario.point(1, None, PointKind::Topic, "the team's roadmap");
    scenario.point(1, None, PointKind::Strength, "I led a migration of a similar size last year");
    scenario.plan("2026-12-01T19:00:00Z");
    let jane = scenario.draft_to(DraftKind::ThankYou, "jane@acme.example");
    let bob = scenario.draft_to(DraftKind::ThankYou, "bob@acme.example");
    assert_eq!(jane.body.replace("Jane Doe", "Bob Lee"), bob.body, "one topic for the round: the same note twice");
    for draft in [&jane, &bob] {
        let gaps = scenario.gaps(draft);
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert!(gaps[0].starts_with("same topic as the other notes of round 1"), "{gaps:?}");
    }

    scenario.point(1, Some("jane@acme.example"), PointKind::Topic, "how the fleet scheduler handles backpressure");
    scenario.point(1, Some("bob@acme.example"), PointKind::Topic, "the migration off the monolith");
    let (config, templates) = (&scenario.config, &scenario.templates);
    let planner = Planner { config, templates };
    planner.rerender_pending(scenario.store.conn(), scenario.app, None, ts("2026-12-01T19:05:00Z")).unwrap();
    let jane = scenario.draft_to(DraftKind::ThankYou, "jane@acme.example");
    let bob = scenario.draft_to(DraftKind::ThankYou, "bob@acme.example");
    assert!(jane.body.contains("backpressure") && !jane.body.contains("monolith"));
    assert!(bob.body.contains("monolith") && !bob.body.contains("backpressure"));
    assert!(scenario.gaps(&jane).is_empty() && scenario.gaps(&bob).is_empty());
    insta::assert_snapshot!("per_person_topic_jane", mail(&jane));
    insta::assert_snapshot!("per_person_topic_bob", mail(&bob));
}

#[test]
fn a_follow_up_mentions_a_conversation_only_to_someone_who_was_in_it() {
    let mut scenario = Scenario::new();
    scenario.round("2026-12-01T18:00:00Z", 60, "America/Los_Angeles", &[("Jane Doe", "jane@acme.example")]);
    scenario.point(1, None, PointKind::Topic, "how the fleet scheduler handles backpressure");
    scenario.plan("2026-12-01T19:00:00Z");
    for draft in scenario.drafts() {
        store::mark_draft_sent(
            scenario.store.conn(),
            draft.id,
            &[DraftStatus::Pending],
            None,
            ts("2026-12-01T19:00:00Z"),
        )
        .unwrap();
    }
    // The interviewer gets a follow-up that may recall their conversation...
    scenario.plan("2026-12-07T19:00:00Z");
    let to_jane = scenario.draft_to(DraftKind::FollowUp, "jane@acme.example");
    assert!(to_jane.body.contains("backpressure"), "{}", to_jane.body);
    // ...a recruiter who was never in it does not.
    let recruiter = store::upsert_person(
        scenario.store.conn(),
        Some("Rita Moss"),
        Some("rita@acme.example"),
        ts("2026-12-07T19:00:00Z"),
    )
    .unwrap();
    store::set_contact(scenario.store.conn(), scenario.app, recruiter, ts("2026-12-07T19:00:00Z")).unwrap();
    set_status(scenario.store.conn(), to_jane.id, DraftStatus::Rejected, ts("2026-12-07T19:01:00Z"));
    scenario.plan("2026-12-14T19:00:00Z");
    let to_rita = scenario.draft_to(DraftKind::FollowUp, "rita@acme.example");
    assert_eq!(to_rita.number, 2, "the second of the series, which recalls the talk to an interviewer");
    let said = to_rita.body.to_lowercase();
    // The topic is Jane's conversation, not Rita's.
    for claim in crate::templates::CONVERSATION_CLAIMS.into_iter().chain(["backpressure"]) {
        assert!(!said.contains(claim), "a follow-up to a recruiter says {claim:?}:\n{}", to_rita.body);
    }
    insta::assert_snapshot!("follow_up_to_a_recruiter_claims_no_conversation", mail(&to_rita));
}

#[test]
fn a_friday_afternoon_interview_is_thanked_on_friday_and_says_today() {
    let mut scenario = Scenario::new();
    // Friday 4 December 2026, 14:00-15:00 in New York; planned as it ends.
    scenario.round("2026-12-04T19:00:00Z", 60, "America/New_York", &[("Ann Lee", "ann@acme.example")]);
    scenario.point(1, None, PointKind::Topic, "the storage tiering project");
    scenario.plan("2026-12-04T20:00:00Z");
    let note = scenario.draft_to(DraftKind::ThankYou, "ann@acme.example");
    assert_eq!(note.deadline, Some(ts("2026-12-05T20:00:00Z")), "Saturday 15:00 in New York");
    assert_eq!(note.send_at, ts("2026-12-04T22:59:00Z"), "Friday 17:59 in New York, inside the window");
    assert!(note.body.contains("speak with me today"), "{}", note.body);
    insta::assert_snapshot!("friday_interview", mail(&note));
}

#[test]
fn a_note_that_goes_out_days_late_says_when_the_interview_was() {
    let mut scenario = Scenario::new();
    // Tuesday 1 December, 10:00-11:00 in Los Angeles: written on Tuesday to go out that day.
    scenario.round("2026-12-01T18:00:00Z", 60, "America/Los_Angeles", &[("Jane Doe", "jane@acme.example")]);
    scenario.point(1, None, PointKind::Topic, "how the fleet scheduler handles backpressure");
    scenario.plan("2026-12-01T19:00:00Z");
    let note = scenario.draft_to(DraftKind::ThankYou, "jane@acme.example");
    assert!(note.body.contains("speak with me today"));
    // Not approved until Thursday 09:00: it goes then, and no longer says "today".
    let planner = scenario.planner();
    let goes_at = planner.rewrite_for_send_day(scenario.store.conn(), &note, ts("2026-12-03T17:00:00Z")).unwrap();
    assert_eq!(goes_at, Some(ts("2026-12-03T17:00:00Z")));
    let late = scenario.draft_to(DraftKind::ThankYou, "jane@acme.example");
    assert!(late.body.contains("speak with me on Tuesday, December 1"), "{}", late.body);
    assert_eq!(late.send_at, note.send_at, "overdue, it goes at the next pass; its time is unchanged");
    insta::assert_snapshot!("late_note", mail(&late));

    // The day after the interview it says "yesterday"; an approved draft is rewritten too,
    // and it stays approved.
    let mut scenario = Scenario::new();
    scenario.round("2026-12-01T18:00:00Z", 60, "America/Los_Angeles", &[("Jane Doe", "jane@acme.example")]);
    scenario.plan("2026-12-01T19:00:00Z");
    let note = scenario.draft_to(DraftKind::ThankYou, "jane@acme.example");
    store::approve_draft(scenario.store.conn(), note.id, DraftStatus::Pending, ts("2026-12-01T19:30:00Z")).unwrap();
    scenario.plan("2026-12-02T17:00:00Z");
    let next_day = scenario.draft_to(DraftKind::ThankYou, "jane@acme.example");
    assert_eq!(next_day.status, DraftStatus::Approved);
    assert!(next_day.body.contains("speak with me yesterday"), "{}", next_day.body);
    assert_eq!(next_day.send_at, note.send_at);

    // A draft edited by hand is the user's text: never rewritten.
    let content = store::DraftContent {
        to: &next_day.to,
        subject: &next_day.subject,
        body: "Thank you for Tuesday.\n",
        needs_topic: false,
        edited: true,
    };
    store::update_draft_content(
        scenario.store.conn(),
        next_day.id,
        DraftStatus::Approved,
        &content,
        ts("2026-12-02T17:01:00Z"),
    )
    .unwrap();
    scenario.plan("2026-12-04T17:00:00Z");
    assert_eq!(scenario.draft_to(DraftKind::ThankYou, "jane@acme.example").body, "Thank you for Tuesday.\n");
}

#[test]
fn the_rewrite_is_conditional_on_the_draft_as_it_was_read() {
    let mut scenario = Scenario::new();
    scenario.round("2026-12-01T18:00:00Z", 60, "America/Los_Angeles", &[("Jane Doe", "jane@acme.example")]);
    scenario.plan("2026-12-01T19:00:00Z");
    let read = scenario.draft_to(DraftKind::ThankYou, "jane@acme.example");
    // Another process rejects it between the read and the rewrite.
    set_status(scenario.store.conn(), read.id, DraftStatus::Rejected, ts("2026-12-03T16:59:00Z"));
    let planner = scenario.planner();
    assert_eq!(planner.rewrite_for_send_day(scenario.store.conn(), &read, ts("2026-12-03T17:00:00Z")).unwrap(), None);
    let after = scenario.draft_to(DraftKind::ThankYou, "jane@acme.example");
    assert_eq!((after.status, after.body, after.send_at), (DraftStatus::Rejected, read.body, read.send_at));
}

#[test]
fn follow_ups_of_a_series_differ_and_the_one_after_a_timeline_refers_to_it() {
    let mut scenario = Scenario::new();
    scenario.round("2026-12-01T18:00:00Z", 60, "America/Los_Angeles", &[("Jane Doe", "jane@acme.example")]);
    scenario.plan("2026-12-01T19:00:00Z");
    let send = |scenario: &Scenario, kind: DraftKind, at: &str| {
        let draft = scenario.draft_to(kind, "jane@acme.example");
        store::mark_draft_sent(scenario.store.conn(), draft.id, &[DraftStatus::Pending], None, ts(at)).unwrap();
    };
    let reject = |scenario: &Scenario, kind: DraftKind, at: &str| {
        let draft = scenario.draft_to(kind, "jane@acme.example");
        set_status(scenario.store.conn(), draft.id, DraftStatus::Rejected, ts(at));
        draft
    };
    send(&scenario, DraftKind::ThankYou, "2026-12-01T19:00:00Z");
    let mut bodies = Vec::new();
    for week in ["2026-12-07T19:00:00Z", "2026-12-14T19:00:00Z", "2026-12-21T19:00:00Z", "2026-12-28T19:00:00Z"] {
        scenario.plan(week);
        bodies.push(reject(&scenario, DraftKind::FollowUp, week).body);
    }
    assert_eq!(bodies.len(), 4);
    for (i, a) in bodies.iter().enumerate() {
        for b in &bodies[i + 1..] {
            assert_ne!(a, b, "follow-ups 1-4 are not word for word the same");
        }
    }
    assert!(bodies[3].contains("my last note for now"), "{}", bodies[3]);

    // A new interview, then the employer's timeline: "we'll decide by Friday 18 December".
    let mut scenario = Scenario::new();
    scenario.round("2026-12-01T18:00:00Z", 60, "America/Los_Angeles", &[("Jane Doe", "jane@acme.example")]);
    scenario.plan("2026-12-01T19:00:00Z");
    send(&scenario, DraftKind::ThankYou, "2026-12-01T19:00:00Z");
    let received = ts("2026-12-03T18:00:00Z");
    let jane = ("jane@acme.example", Some("Jane Doe"));
    let message = incoming(&scenario, "timeline@acme.example", jane, &[], "Re: Thank you", "timeline", received);
    let event = Event::TimelineGiven { reply_after: Some("2026-12-19".parse().unwrap()) };
    let planner = scenario.planner();
    planner
        .apply_event(scenario.store.conn(), scenario.app, &event, &Cause::Clock, Some(message), received, received)
        .unwrap();
    scenario.plan("2026-12-21T19:00:00Z");
    let after = scenario.draft_to(DraftKind::FollowUp, "jane@acme.example");
    assert!(after.body.contains("hoped to decide by Friday, December 18"), "{}", after.body);
    assert!(after.in_reply_to.as_deref() == Some("timeline@acme.example"), "answered in their thread");
    let gaps = scenario.gaps(&after);
    assert!(gaps.iter().any(|gap| gap.contains(&format!("debrief share {}", after.id))), "{gaps:?}");
    store::set_draft_addition(
        scenario.store.conn(),
        after.id,
        "Here is the write-up I mentioned: https://example.org/q",
        ts("2026-12-21T19:05:00Z"),
    )
    .unwrap();
    let planner = scenario.planner();
    planner.rerender_pending(scenario.store.conn(), scenario.app, None, ts("2026-12-21T19:05:00Z")).unwrap();
    let shared = scenario.draft_to(DraftKind::FollowUp, "jane@acme.example");
    assert!(shared.body.contains("https://example.org/q") && scenario.gaps(&shared).is_empty());
    insta::assert_snapshot!("follow_up_after_a_timeline", mail(&shared));
}

/// An application whose thank-you went out on 1 December, and a round with Jane.
fn thanked_jane() -> Scenario {
    let mut scenario = Scenario::new();
    scenario.round("2026-12-01T18:00:00Z", 60, "America/Los_Angeles", &[("Jane Doe", "jane@acme.example")]);
    scenario.plan("2026-12-01T19:00:00Z");
    let note = scenario.draft_to(DraftKind::ThankYou, "jane@acme.example");
    store::mark_draft_sent(scenario.store.conn(), note.id, &[DraftStatus::Pending], None, ts("2026-12-01T19:00:00Z"))
        .unwrap();
    scenario
}

#[test]
fn a_timeline_from_someone_else_is_not_put_in_the_readers_mouth() {
    let mut scenario = thanked_jane();
    // The coordinator, not Jane, wrote that the team would decide by Friday 18 December;
    // the follow-up still goes to Jane (the first interviewer: nobody made the coordinator
    // the contact here).
    let received = ts("2026-12-03T18:00:00Z");
    let coordinator = ("coordinator@acme.example", None);
    let message = incoming(&scenario, "timeline@acme.example", coordinator, &[], "Next steps", "timeline", received);
    let event = Event::TimelineGiven { reply_after: Some("2026-12-19".parse().unwrap()) };
    let planner = scenario.planner();
    planner
        .apply_event(
            scenario.store.conn(),
            scenario.app,
            &event,
            &Cause::Message(message),
            Some(message),
            received,
            received,
        )
        .unwrap();
    scenario.plan("2026-12-21T19:00:00Z");
    let follow_up = scenario.draft_to(DraftKind::FollowUp, "jane@acme.example");
    assert!(!follow_up.body.contains("you mentioned"), "Jane did not say it:\n{}", follow_up.body);
    assert!(
        follow_up.body.contains("I understood from the team that a decision was expected by Friday, December 18"),
        "{}",
        follow_up.body
    );
    insta::assert_snapshot!("follow_up_after_a_colleagues_timeline", mail(&follow_up));
}

#[test]
fn a_timeline_the_user_noted_at_the_interview_is_referred_to() {
    let mut scenario = thanked_jane();
    // `debrief note ID --reply-after 2026-12-19`: Jane said at the interview they would
    // decide by Friday 18 December. No message is behind it.
    let at = ts("2026-12-01T20:00:00Z");
    let command = format!("debrief note {} --reply-after 2026-12-19", scenario.app);
    let event = Event::TimelineGiven { reply_after: Some("2026-12-19".parse().unwrap()) };
    let planner = scenario.planner();
    planner.apply_event(scenario.store.conn(), scenario.app, &event, &Cause::Command(command), None, at, at).unwrap();
    scenario.plan("2026-12-21T19:00:00Z");
    let follow_up = scenario.draft_to(DraftKind::FollowUp, "jane@acme.example");
    assert!(
        follow_up.body.contains("I understood at my interview that the team hoped to decide by Friday, December 18"),
        "{}",
        follow_up.body
    );
    insta::assert_snapshot!("follow_up_after_a_timeline_noted_at_the_interview", mail(&follow_up));
    // A message written after the note is the last exchange instead.
    set_status(scenario.store.conn(), follow_up.id, DraftStatus::Rejected, ts("2026-12-21T19:01:00Z"));
    message_from_jane(&scenario, "later@acme.example", "Re: Thank you", "unrelated", "2026-12-22T18:00:00Z");
    let message = store::find_message(scenario.store.conn(), "later@acme.example").unwrap().unwrap().id;
    let at = ts("2026-12-22T18:00:00Z");
    let planner = scenario.planner();
    planner
        .apply_event(scenario.store.conn(), scenario.app, &Event::HumanReplyReceived, &Cause::Clock, message, at, at)
        .unwrap();
    scenario.plan("2026-12-29T19:00:00Z");
    let next = scenario.draft_to(DraftKind::FollowUp, "jane@acme.example");
    assert!(next.body.contains("Thank you again for your message on Tuesday, December 22"), "{}", next.body);
}

/// Records an incoming message from Jane to the user, as ingest does.
fn message_from_jane(scenario: &Scenario, id: &str, subject: &str, kind: &str, at: &str) {
    let jane = ("jane@acme.example", Some("Jane Doe"));
    incoming(scenario, id, jane, &["priya@example.net"], subject, kind, ts(at));
}

/// Records an incoming message of the application, as ingest does: `from` is the address
/// and display name, `kind` the classification.
fn incoming(
    scenario: &Scenario,
    id: &str,
    (from_email, from_name): (&str, Option<&str>),
    to: &[&str],
    subject: &str,
    kind: &str,
    at: Timestamp,
) -> MessageId {
    let message = store::MessageRow {
        application_id: Some(scenario.app),
        direction: "in".into(),
        message_id: Some(id.into()),
        from_email: Some(from_email.into()),
        from_name: from_name.map(Into::into),
        to_emails: to.iter().map(|address| address.to_string()).collect(),
        subject: Some(subject.into()),
        date: Some(at),
        kind: Some(kind.into()),
        status: "applied".into(),
        received_at: Some(at),
        ..store::MessageRow::default()
    };
    store::insert_message(scenario.store.conn(), &message, at).unwrap()
}

#[test]
fn notes_are_never_threaded_onto_a_calendar_invitation_or_an_auto_reply() {
    let mut scenario = Scenario::new();
    scenario.round("2026-12-03T18:00:00Z", 60, "America/Los_Angeles", &[("Jane Doe", "jane@acme.example")]);
    // Jane's calendar sent the invitation from her address.
    message_from_jane(
        &scenario,
        "invite@calendar.acme.example",
        "Invitation: Interview with Priya @ Thu Dec 3, 2026 10am - 11am (PST) (priya@example.net)",
        "interview_confirmation",
        "2026-11-25T17:00:00Z",
    );
    scenario.point(1, None, PointKind::Topic, "the storage tiering project");
    scenario.plan("2026-12-03T19:00:00Z");
    let thanks = scenario.draft_to(DraftKind::ThankYou, "jane@acme.example");
    assert_eq!(thanks.in_reply_to, None, "not a reply to the calendar's robot");
    assert_eq!(thanks.subject, "Thank you: Backend Engineer interview");
    insta::assert_snapshot!("thank_you_after_a_calendar_invitation", mail(&thanks));

    // The note goes out; Jane answers once, then her out-of-office answers the next mail.
    store::mark_draft_sent(scenario.store.conn(), thanks.id, &[DraftStatus::Pending], None, ts("2026-12-03T23:00:00Z"))
        .unwrap();
    let sent = store::get_draft(scenario.store.conn(), thanks.id).unwrap().unwrap();
    store::record_outgoing(scenario.store.conn(), &sent, "priya@example.net", ts("2026-12-03T23:00:00Z")).unwrap();
    message_from_jane(
        &scenario,
        "ooo@acme.example",
        "Automatic reply: Thank you: Backend Engineer interview",
        "auto_reply",
        "2026-12-03T23:01:00Z",
    );
    scenario.plan("2026-12-10T00:00:00Z");
    let follow_up = scenario.draft_to(DraftKind::FollowUp, "jane@acme.example");
    assert_eq!(follow_up.in_reply_to.as_deref(), Some(sent.message_id.as_str()), "answers the user's own note");
    assert_eq!(follow_up.subject, "Re: Thank you: Backend Engineer interview");
    insta::assert_snapshot!("follow_up_after_an_auto_reply", mail(&follow_up));
}

#[test]
fn no_follow_up_goes_to_an_address_that_bounced_and_the_queue_says_why() {
    let mut scenario = Scenario::new();
    let people = [("Jane Doe", "jane@acme.example"), ("Bob Lee", "bob@acme.example")];
    scenario.round("2026-12-01T18:00:00Z", 60, "America/Los_Angeles", &people);
    scenario.plan("2026-12-01T19:00:00Z");
    let jane = scenario.draft_to(DraftKind::ThankYou, "jane@acme.example");
    let bob = scenario.draft_to(DraftKind::ThankYou, "bob@acme.example");
    store::mark_draft_sent(scenario.store.conn(), bob.id, &[DraftStatus::Pending], None, ts("2026-12-01T23:00:00Z"))
        .unwrap();
    // Jane's address is refused for good; the user rejects the failed note.
    let refusal = "the server refused it (550): 5.1.1 <jane@acme.example>: user unknown";
    let conn = scenario.store.conn();
    store::set_draft_outcome(
        conn,
        jane.id,
        DraftStatus::Pending,
        DraftStatus::Failed,
        refusal,
        ts("2026-12-01T23:00:00Z"),
    )
    .unwrap();
    set_status(conn, jane.id, DraftStatus::Rejected, ts("2026-12-02T00:00:00Z"));
    // The follow-up would go to the first interviewer, Jane: it is not drafted.
    scenario.plan("2026-12-08T19:00:00Z");
    assert!(scenario.drafts().iter().all(|draft| draft.kind != DraftKind::FollowUp), "{:#?}", scenario.drafts());
    let planner = scenario.planner();
    let why = planner.why_no_follow_up(scenario.store.conn(), scenario.app).unwrap().unwrap();
    assert!(why.contains("jane@acme.example refused your mail for good") && why.contains("550"), "{why}");
}

#[test]
fn the_default_greeting_is_formal_names_are_learnt_from_mail_and_a_missing_form_is_flagged() {
    let mut scenario = Scenario::new();
    // The calendar named the interviewer by address only.
    scenario.round("2026-12-01T18:00:00Z", 60, "America/Los_Angeles", &[("", "dana@acme.example")]);
    let person = store::find_person_by_email(scenario.store.conn(), "dana@acme.example").unwrap().unwrap();
    store::set_talking_point(
        scenario.store.conn(),
        store::rounds_of(scenario.store.conn(), scenario.app).unwrap()[0].id,
        Some(person.id),
        PointKind::Topic,
        "the schema migration",
        ts("2026-11-20T00:00:00Z"),
    )
    .unwrap();
    // Her out-of-office came through an applicant-tracking system with her name.
    let message = store::MessageRow {
        application_id: Some(scenario.app),
        direction: "in".into(),
        message_id: Some("ooo-dana@ats.example".into()),
        from_email: Some("notifications@ats.example".into()),
        from_name: Some("Dana Whitfield via Hireflow".into()),
        reply_to: Some("dana@acme.example".into()),
        subject: Some("Automatic reply: Interview".into()),
        kind: Some("auto_reply".into()),
        status: "applied".into(),
        date: Some(ts("2026-11-26T00:00:00Z")),
        received_at: Some(ts("2026-11-26T00:00:00Z")),
        ..store::MessageRow::default()
    };
    store::insert_message(scenario.store.conn(), &message, ts("2026-11-26T00:00:00Z")).unwrap();
    scenario.plan("2026-12-01T19:00:00Z");
    let note = scenario.draft_to(DraftKind::ThankYou, "dana@acme.example");
    assert!(note.body.starts_with("Dear Dana Whitfield,\n"), "formal, with the name her mail gave: {}", note.body);
    let gaps = draft_gaps(scenario.store.conn(), &note).unwrap();
    assert!(
        gaps.iter().any(|gap| gap.starts_with("no form of address for Dana Whitfield")
            && gap.contains("debrief person dana@acme.example --address-as")),
        "{gaps:?}"
    );
    insta::assert_snapshot!("thank_you_with_a_learnt_name", mail(&note));

    // Once written down, the form is used and the flag goes.
    store::set_address_as(scenario.store.conn(), person.id, "Dana").unwrap();
    let planner = scenario.planner();
    planner.rerender_pending(scenario.store.conn(), scenario.app, None, ts("2026-12-01T19:05:00Z")).unwrap();
    let note = scenario.draft_to(DraftKind::ThankYou, "dana@acme.example");
    assert!(note.body.starts_with("Hi Dana,\n"), "{}", note.body);
    assert!(draft_gaps(scenario.store.conn(), &note).unwrap().iter().all(|gap| !gap.starts_with("no form of address")));

    // With `greeting = "first_name"` and no form, the first name.
    let unnamed = PersonRow { id: PersonId(9), name: Some("Jane Doe".into()), email: None, address_as: None };
    assert_eq!(salutation(&unnamed, Some("Jane Doe"), Greeting::FirstName), ("Hi Jane".into(), "Jane".into()));
    assert_eq!(salutation(&unnamed, None, Greeting::Formal), ("Hello".into(), String::new()));
}

#[test]
fn an_interviewer_without_an_address_gets_a_note_that_waits_for_one() {
    let mut scenario = Scenario::new();
    let people = [("Jane Doe", "jane.doe@acme.example")];
    scenario.round("2026-12-01T18:00:00Z", 60, "America/Los_Angeles", &people);
    // The applicant-tracking system named a second interviewer without an address.
    let rounds = store::rounds_of(scenario.store.conn(), scenario.app).unwrap();
    let jane = rounds[0].interviewers[0].id;
    let carol =
        store::upsert_person(scenario.store.conn(), Some("Carol Ng"), None, ts("2026-11-20T00:00:00Z")).unwrap();
    store::set_interviewers(scenario.store.conn(), rounds[0].id, &[jane, carol]).unwrap();
    scenario.plan("2026-12-01T19:00:00Z");
    let drafts = scenario.drafts();
    let waiting = drafts.iter().find(|draft| draft.person_id == Some(carol)).expect("a note for Carol");
    assert!(waiting.to.is_empty() && waiting.in_reply_to.is_none());
    let gaps = scenario.gaps(waiting);
    assert!(gaps[0].starts_with("needs an address: `debrief person \"Carol Ng\" --email ADDRESS`. Likely carol.ng@acme.example (1 of the addresses seen there are first.last@)"), "{gaps:?}");
    insta::assert_snapshot!("thank_you_waiting_for_an_address", format!("{}\n! {}", mail(waiting), gaps.join("\n! ")));
    // Planning again makes no second note.
    scenario.plan("2026-12-01T19:30:00Z");
    assert_eq!(scenario.drafts().len(), 2);
}

#[test]
fn an_offer_reply_comes_with_a_reminder_to_tell_the_recruiter_and_talk_to_the_team() {
    let mut scenario = Scenario::new();
    scenario.round("2026-12-01T18:00:00Z", 60, "America/Los_Angeles", &[("Jane Doe", "jane@acme.example")]);
    scenario.plan("2026-12-01T19:00:00Z");
    message_from_jane(&scenario, "offer@acme.example", "Your offer", "offer", "2026-12-08T18:00:00Z");
    let message = store::find_message(scenario.store.conn(), "offer@acme.example").unwrap().unwrap().id;
    let planner = scenario.planner();
    let at = ts("2026-12-08T18:00:00Z");
    planner
        .apply_event(scenario.store.conn(), scenario.app, &Event::OfferReceived, &Cause::Clock, message, at, at)
        .unwrap();
    let reply = scenario.draft_to(DraftKind::OfferReply, "jane@acme.example");
    let gaps = scenario.gaps(&reply);
    assert!(
        gaps.iter().any(|gap| gap.contains("tell your recruiter") && gap.contains("before you decide")),
        "{gaps:?}"
    );
}

fn with_references(mut scenario: Scenario) -> Scenario {
    scenario.config.references = vec![
        crate::config::Reference {
            name: "Alex Kim".into(),
            email: "alex.kim@example.org".into(),
            relationship: Some("my manager at Initech".into()),
            address_as: None,
        },
        crate::config::Reference {
            name: "Samira Haddad".into(),
            email: "samira@example.org".into(),
            relationship: None,
            address_as: Some("Dr. Haddad".into()),
        },
    ];
    scenario
}

#[test]
fn references_get_one_heads_up_each_per_application_when_an_offer_arrives_and_only_to_them() {
    let mut scenario = with_references(Scenario::new());
    scenario.round("2026-12-01T18:00:00Z", 60, "America/Los_Angeles", &[("Jane Doe", "jane@acme.example")]);
    scenario.plan("2026-12-01T19:00:00Z");
    let now = ts("2026-12-04T19:00:00Z");
    let (config, templates) = (&scenario.config, &scenario.templates);
    let planner = Planner { config, templates };
    let tx = scenario.store.transaction().unwrap();
    let report = planner.mark(&tx, scenario.app, ApplicationState::Offer, false, now).unwrap();
    assert_eq!(report.drafts_created, 2, "{report:?}");
    // Marking it again (or a second cue) asks nobody twice.
    let again = planner.brief_references(&tx, scenario.app, ReferenceCue::Asked, &Cause::Clock, now).unwrap();
    assert_eq!(again.drafts_created, 0);
    tx.commit().unwrap();

    let alex = scenario.draft_to(DraftKind::ReferenceNotice, "alex.kim@example.org");
    let samira = scenario.draft_to(DraftKind::ReferenceNotice, "samira@example.org");
    assert_eq!(alex.status, DraftStatus::Pending);
    assert!(alex.body.starts_with("Hi Alex,") && samira.body.starts_with("Dear Dr. Haddad,"), "{}", samira.body);
    assert!(alex.in_reply_to.is_none() && alex.references.is_empty(), "a heads-up starts its own thread");
    // Nothing of the interview goes to a reference, and nothing is asked of the user.
    assert!(scenario.gaps(&alex).is_empty() && draft_gaps(scenario.store.conn(), &alex).unwrap().is_empty());
    insta::assert_snapshot!("reference_heads_up_after_an_offer", mail(&alex));
    // Each heads-up may go to its reference, and no draft of the application elsewhere.
    assert!(foreign_recipients(scenario.store.conn(), &alex).unwrap().is_empty());
    let mut moved = alex.clone();
    moved.to = vec!["someone@else.example".into()];
    assert_eq!(foreign_recipients(scenario.store.conn(), &moved).unwrap(), vec!["someone@else.example".to_owned()]);
    let history = store::history_of(scenario.store.conn(), scenario.app).unwrap();
    assert!(
        history
            .iter()
            .any(|line| line.event.contains("to your reference alex.kim@example.org drafted (an offer arrived)")),
        "{history:#?}"
    );
}

#[test]
fn without_references_in_the_config_an_offer_drafts_no_heads_up() {
    let mut scenario = Scenario::new();
    scenario.round("2026-12-01T18:00:00Z", 60, "America/Los_Angeles", &[("Jane Doe", "jane@acme.example")]);
    let (config, templates) = (&scenario.config, &scenario.templates);
    let tx = scenario.store.transaction().unwrap();
    let planner = Planner { config, templates };
    planner.mark(&tx, scenario.app, ApplicationState::Offer, false, ts("2026-12-04T19:00:00Z")).unwrap();
    tx.commit().unwrap();
    assert!(scenario.drafts().iter().all(|draft| draft.kind != DraftKind::ReferenceNotice));
}

/// A round with Jane (an address) and Carol (named without one), and a recruiter who
/// wrote: the application's contact.
fn carol_without_an_address() -> (Scenario, PersonId) {
    let mut scenario = Scenario::new();
    scenario.round("2026-12-01T18:00:00Z", 60, "America/Los_Angeles", &[("Jane Doe", "jane.doe@acme.example")]);
    let conn = scenario.store.conn();
    let rounds = store::rounds_of(conn, scenario.app).unwrap();
    let jane = rounds[0].interviewers[0].id;
    let at = ts("2026-11-20T00:00:00Z");
    let carol = store::upsert_person(conn, Some("Carol Ng"), None, at).unwrap();
    store::set_interviewers(conn, rounds[0].id, &[jane, carol]).unwrap();
    let recruiter = store::upsert_person(conn, Some("Maya Patel"), Some("maya.patel@acme.example"), at).unwrap();
    store::set_contact(conn, scenario.app, recruiter, at).unwrap();
    (scenario, carol)
}

#[test]
fn the_recruiter_is_asked_to_pass_on_a_note_that_waits_for_an_address_and_approving_it_supersedes_the_note() {
    let (mut scenario, carol) = carol_without_an_address();
    scenario.plan("2026-12-01T19:00:00Z");
    let note =
        scenario.drafts().into_iter().find(|d| d.kind == DraftKind::ThankYou && d.person_id == Some(carol)).unwrap();
    let request = scenario.draft_to(DraftKind::PassOn, "maya.patel@acme.example");
    assert_eq!((request.person_id, request.round_id), (Some(carol), note.round_id));
    assert_eq!((request.send_at, request.deadline), (note.send_at, note.deadline), "it is as urgent as the note");
    assert!(request.body.starts_with("Dear Maya Patel,"), "{}", request.body);
    assert!(request.body.ends_with(&note.body), "the note itself goes along:\n{}", request.body);
    let gaps = scenario.gaps(&request);
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    insta::assert_snapshot!("pass_on_request", format!("{}\n! {}", mail(&request), gaps.join("\n! ")));
    let note_gaps = scenario.gaps(&note);
    assert!(
        note_gaps
            .iter()
            .any(|gap| gap.starts_with(&format!("or approve draft {}: it asks maya.patel@acme.example", request.id))),
        "{note_gaps:?}"
    );
    // Jane, who has an address, gets no such request; planning again makes no second one.
    scenario.plan("2026-12-01T19:30:00Z");
    assert_eq!(scenario.drafts().iter().filter(|d| d.kind == DraftKind::PassOn).count(), 1);

    // A topic for Carol rewrites the note, and the request that carries it.
    scenario.point(1, None, PointKind::Topic, "the on-call rotation");
    let (config, templates) = (&scenario.config, &scenario.templates);
    let planner = Planner { config, templates };
    planner.rerender_pending(scenario.store.conn(), scenario.app, None, ts("2026-12-01T19:40:00Z")).unwrap();
    let request = store::get_draft(scenario.store.conn(), request.id).unwrap().unwrap();
    assert!(request.body.contains("the on-call rotation"), "{}", request.body);

    // The user approves the request: the note goes through Maya, so it no longer waits.
    let at = ts("2026-12-01T19:45:00Z");
    let tx = scenario.store.transaction().unwrap();
    assert!(store::approve_draft(&tx, request.id, DraftStatus::Pending, at).unwrap());
    let request = store::get_draft(&tx, request.id).unwrap().unwrap();
    assert_eq!(planner.pass_on_approved(&tx, &request, at).unwrap(), Some(note.id));
    assert_eq!(planner.pass_on_approved(&tx, &request, at).unwrap(), None, "once");
    tx.commit().unwrap();
    let note = store::get_draft(scenario.store.conn(), note.id).unwrap().unwrap();
    assert_eq!(note.status, DraftStatus::Cancelled);
    // The approved request stands for the note: no new note to Carol is drafted.
    scenario.plan("2026-12-01T20:00:00Z");
    let to_carol = scenario
        .drafts()
        .into_iter()
        .filter(|d| d.person_id == Some(carol) && d.status != DraftStatus::Cancelled)
        .count();
    assert_eq!(to_carol, 1, "{:#?}", scenario.drafts());
    // An address given afterwards leaves the approved request alone: it is the note now.
    let (config, templates) = (&scenario.config, &scenario.templates);
    let planner = Planner { config, templates };
    let tx = scenario.store.transaction().unwrap();
    let target = store::give_address(&tx, carol, "carol.ng@acme.example").unwrap();
    assert_eq!(planner.address_given(&tx, target, &Cause::Clock, at).unwrap(), vec![]);
    tx.commit().unwrap();
    assert_eq!(store::get_draft(scenario.store.conn(), request.id).unwrap().unwrap().status, DraftStatus::Approved);
}

#[test]
fn giving_the_address_cancels_the_request_to_pass_the_note_on() {
    let (mut scenario, carol) = carol_without_an_address();
    scenario.plan("2026-12-01T19:00:00Z");
    let request = scenario.draft_to(DraftKind::PassOn, "maya.patel@acme.example");
    let (config, templates) = (&scenario.config, &scenario.templates);
    let planner = Planner { config, templates };
    let at = ts("2026-12-01T19:10:00Z");
    let tx = scenario.store.transaction().unwrap();
    let target = store::give_address(&tx, carol, "carol.ng@acme.example").unwrap();
    let cause = Cause::Command("debrief person \"Carol Ng\" --email carol.ng@acme.example".into());
    assert_eq!(planner.address_given(&tx, target, &cause, at).unwrap(), vec![request.id]);
    tx.commit().unwrap();
    let request = store::get_draft(scenario.store.conn(), request.id).unwrap().unwrap();
    assert_eq!(request.status, DraftStatus::Cancelled);
    assert!(request.status_reason.as_deref().unwrap_or("").contains("address is known now"), "{request:?}");
}

#[test]
fn without_a_contact_nobody_is_asked_to_pass_a_note_on() {
    let mut scenario = Scenario::new();
    scenario.round("2026-12-01T18:00:00Z", 60, "America/Los_Angeles", &[("Jane Doe", "jane.doe@acme.example")]);
    let rounds = store::rounds_of(scenario.store.conn(), scenario.app).unwrap();
    let carol =
        store::upsert_person(scenario.store.conn(), Some("Carol Ng"), None, ts("2026-11-20T00:00:00Z")).unwrap();
    store::set_interviewers(scenario.store.conn(), rounds[0].id, &[rounds[0].interviewers[0].id, carol]).unwrap();
    scenario.plan("2026-12-01T19:00:00Z");
    assert!(scenario.drafts().iter().all(|draft| draft.kind != DraftKind::PassOn));
}

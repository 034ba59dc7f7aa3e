//! Every rule of SPEC §1 at fixed instants. A tiny in-memory applier stands in for the
//! shell, so a test can run the process forward in time and look at what it decided.

use super::*;
use crate::domain::policy::Policy;

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap_or_else(|err| panic!("{text}: {err}"))
}

fn la() -> TimeZone {
    TimeZone::get("America/Los_Angeles").unwrap()
}

/// An application with the applier's bookkeeping.
struct Sim {
    app: ApplicationView,
    policy: Policy,
    zone: TimeZone,
    next_id: i64,
    /// Every effect ever returned, in order.
    log: Vec<Effect>,
}

impl Sim {
    fn new() -> Sim {
        Sim {
            app: ApplicationView {
                id: ApplicationId(1),
                state: ApplicationState::Applied,
                rounds: Vec::new(),
                drafts: Vec::new(),
                cadence: Cadence::default(),
            },
            policy: Policy::default(),
            zone: la(),
            next_id: 100,
            log: Vec::new(),
        }
    }

    /// An application with one round `start`..`end` (LA time) and interviewers 1 and 2.
    fn scheduled(start: &str, end: &str) -> Sim {
        let mut sim = Sim::new();
        sim.app.state = ApplicationState::Scheduled;
        sim.app.rounds.push(Round {
            id: RoundId(1),
            number: 1,
            start: ts(start),
            end: ts(end),
            zone: Some(la()),
            status: RoundStatus::Scheduled,
            interviewers: vec![PersonId(1), PersonId(2)],
            calendar_uid: Some("uid-1".into()),
        });
        sim
    }

    fn context(&self) -> (Policy, TimeZone) {
        (self.policy.clone(), self.zone.clone())
    }

    fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn apply(&mut self, effects: &[Effect], now: Timestamp) {
        for effect in effects {
            self.log.push(effect.clone());
            match effect.clone() {
                Effect::Transition { to, .. } => self.app.state = to,
                Effect::AddRound(slot) => {
                    let id = RoundId(self.id());
                    let number = self.app.rounds.len() as u32 + 1;
                    let interviewers = slot.interviewers.iter().map(|_| PersonId(self.id())).collect();
                    self.app.rounds.push(Round {
                        id,
                        number,
                        start: slot.start,
                        end: slot.end,
                        zone: slot.zone,
                        status: RoundStatus::Scheduled,
                        interviewers,
                        calendar_uid: slot.calendar_uid,
                    });
                }
                Effect::MoveRound { round, slot } => {
                    let round = self.app.rounds.iter_mut().find(|r| r.id == round).unwrap();
                    round.start = slot.start;
                    round.end = slot.end;
                }
                Effect::SetRoundStatus { round, status } => {
                    self.app.rounds.iter_mut().find(|r| r.id == round).unwrap().status = status;
                }
                Effect::DraftThankYou { round, person, send_at, .. } => {
                    let id = DraftId(self.id());
                    self.push_draft(id, DraftKind::ThankYou, Some(round), Some(person), 0, 0, send_at);
                }
                Effect::DraftFollowUp { series, number, send_at } => {
                    let id = DraftId(self.id());
                    self.push_draft(id, DraftKind::FollowUp, None, None, series, number, send_at);
                }
                Effect::DraftReply { kind, send_at, .. } => {
                    let id = DraftId(self.id());
                    self.push_draft(id, kind, None, None, 0, 0, send_at);
                }
                Effect::CancelDraft { draft, .. } => self.draft_mut(draft).status = DraftStatus::Cancelled,
                Effect::RescheduleDraft { draft, send_at } => self.draft_mut(draft).send_at = send_at,
                Effect::SetCadence(cadence) => self.app.cadence = cadence,
                Effect::DraftReferenceNotice { person, cue, send_at } => {
                    let id = DraftId(self.id());
                    self.push_draft(id, DraftKind::ReferenceNotice, None, Some(person), 0, cue.number(), send_at);
                }
            }
        }
        let _ = now;
    }

    #[allow(clippy::too_many_arguments)]
    fn push_draft(
        &mut self,
        id: DraftId,
        kind: DraftKind,
        round: Option<RoundId>,
        person: Option<PersonId>,
        series: u32,
        number: u32,
        send_at: Timestamp,
    ) {
        self.app.drafts.push(DraftFacts {
            id,
            kind,
            status: DraftStatus::Pending,
            round,
            person,
            series,
            number,
            send_at,
            sent_at: None,
        });
    }

    fn draft_mut(&mut self, id: DraftId) -> &mut DraftFacts {
        self.app.drafts.iter_mut().find(|d| d.id == id).unwrap()
    }

    /// Plans at `now` until nothing more is due (as the shell does), returning all effects.
    fn tick(&mut self, now: &str) -> Vec<Effect> {
        let now = ts(now);
        let mut all = Vec::new();
        for _ in 0..10 {
            let (policy, zone) = self.context();
            let effects = plan(&self.app, &Context { policy: &policy, user_zone: &zone }, now);
            if effects.is_empty() {
                return all;
            }
            self.apply(&effects, now);
            all.extend(effects);
        }
        panic!("planning did not settle: {all:#?}");
    }

    fn message(&mut self, event: Event, at: &str) -> Vec<Effect> {
        let (policy, zone) = self.context();
        let effects = on_message(&self.app, &event, ts(at), &Context { policy: &policy, user_zone: &zone }, ts(at));
        self.apply(&effects, ts(at));
        effects
    }

    fn mark(&mut self, to: ApplicationState, notify: bool, at: &str) -> Vec<Effect> {
        let (policy, zone) = self.context();
        let effects = on_mark(&self.app, to, notify, &Context { policy: &policy, user_zone: &zone }, ts(at));
        self.apply(&effects, ts(at));
        effects
    }

    fn drafts(&self, kind: DraftKind) -> Vec<&DraftFacts> {
        self.app.drafts.iter().filter(|d| d.kind == kind).collect()
    }

    fn live_follow_ups(&self) -> Vec<&DraftFacts> {
        self.drafts(DraftKind::FollowUp).into_iter().filter(|d| !d.status.is_settled()).collect()
    }

    /// The user approves and the shell sends every live draft of `kind` at its send time.
    fn send_all(&mut self, kind: DraftKind) {
        for draft in self.app.drafts.iter_mut().filter(|d| d.kind == kind && d.status.is_unsent()) {
            draft.status = DraftStatus::Sent;
            draft.sent_at = Some(draft.send_at);
        }
    }
}

#[test]
fn an_ended_interview_drafts_one_thank_you_per_interviewer_at_end_plus_4h() {
    // The acceptance example: 10:00-11:00 PST on Tuesday 1 December 2026.
    let mut sim = Sim::scheduled("2026-12-01T18:00:00Z", "2026-12-01T19:00:00Z");
    assert!(sim.tick("2026-12-01T18:59:00Z").is_empty(), "nothing before the interview ends");
    let effects = sim.tick("2026-12-01T20:00:00Z");
    let notes: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::DraftThankYou { person, send_at, deadline, .. } => Some((*person, *send_at, *deadline)),
            _ => None,
        })
        .collect();
    assert_eq!(
        notes,
        [
            (PersonId(1), ts("2026-12-01T23:00:00Z"), ts("2026-12-02T19:00:00Z")),
            (PersonId(2), ts("2026-12-01T23:00:00Z"), ts("2026-12-02T19:00:00Z")),
        ]
    );
    assert_eq!(sim.app.state, ApplicationState::Interviewed);
    assert_eq!(sim.app.rounds[0].status, RoundStatus::Done);
    assert!(sim.tick("2026-12-01T21:00:00Z").is_empty(), "planning again drafts nothing twice");
}

#[test]
fn thank_you_send_times_respect_the_send_window_in_the_interviews_zone() {
    let cases = [
        // (start, end, expected send_at, why)
        ("2026-12-01T00:30:00Z", "2026-12-01T01:30:00Z", "2026-12-01T16:00:00Z", "ends 17:30 Mon PST: 08:00 Tuesday"),
        // Monday 08:00 would miss the deadline (Saturday 17:30): the end of Friday's window.
        ("2026-12-04T23:30:00Z", "2026-12-05T01:30:00Z", "2026-12-05T01:59:00Z", "ends 17:30 Fri PST: 17:59 Friday"),
        ("2026-12-02T16:00:00Z", "2026-12-02T17:00:00Z", "2026-12-02T21:00:00Z", "ends 09:00 Wed: 13:00 the same day"),
        ("2026-12-02T22:30:00Z", "2026-12-02T23:30:00Z", "2026-12-03T16:00:00Z", "ends 15:30: 19:30 is past 18:00"),
    ];
    for (start, end, expected, why) in cases {
        let mut sim = Sim::scheduled(start, end);
        sim.tick(end);
        let notes = sim.drafts(DraftKind::ThankYou);
        assert_eq!(notes.len(), 2, "{why}");
        assert!(notes.iter().all(|d| d.send_at == ts(expected)), "{why}: got {:?}", notes[0].send_at);
    }
}

#[test]
fn a_friday_afternoon_interview_is_thanked_before_saturdays_deadline_not_on_monday() {
    // Issue 12's case: Friday 4 December 2026, 14:00-15:00 in New York.
    let new_york = TimeZone::get("America/New_York").unwrap();
    let mut sim = Sim::scheduled("2026-12-04T19:00:00Z", "2026-12-04T20:00:00Z");
    sim.app.rounds[0].zone = Some(new_york.clone());
    sim.tick("2026-12-04T20:00:00Z");
    let notes = sim.drafts(DraftKind::ThankYou);
    assert_eq!(notes.len(), 2);
    let deadline = "2026-12-05T15:00:00-05:00[America/New_York]".parse::<jiff::Zoned>().unwrap().timestamp();
    for note in notes {
        let facts = sim.log.iter().find_map(|effect| match effect {
            Effect::DraftThankYou { person, send_at, deadline, .. } if Some(*person) == note.person => {
                Some((*send_at, *deadline))
            }
            _ => None,
        });
        let (send_at, due) = facts.unwrap();
        assert_eq!(due, deadline, "due 24 h after the end: Saturday 15:00 in New York");
        assert!(send_at < deadline, "sent before the deadline, not on Monday: {send_at}");
        // 19:00 (end + 4 h) is past Friday's window: the last minute inside it.
        assert_eq!(send_at.to_zoned(new_york.clone()).to_string(), "2026-12-04T17:59:00-05:00[America/New_York]");
    }
}

#[test]
fn the_send_window_uses_the_interviews_zone_not_the_users() {
    let mut sim = Sim::scheduled("2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z");
    // The interview is in Berlin (10:00-11:00 CET); the user lives in Los Angeles.
    sim.app.rounds[0].zone = Some(TimeZone::get("Europe/Berlin").unwrap());
    sim.tick("2026-12-01T10:00:00Z");
    // 11:00 + 4 h = 15:00 CET, inside Berlin's window (in LA it would be 06:00, outside).
    assert!(sim.drafts(DraftKind::ThankYou).iter().all(|d| d.send_at == ts("2026-12-01T14:00:00Z")));
}

#[test]
fn every_interviewer_of_the_round_gets_a_thank_you_address_or_not() {
    let mut sim = Sim::scheduled("2026-12-01T18:00:00Z", "2026-12-01T19:00:00Z");
    sim.app.rounds[0].interviewers = vec![PersonId(7)];
    sim.tick("2026-12-01T20:00:00Z");
    assert_eq!(sim.drafts(DraftKind::ThankYou).len(), 1);
}

/// Interview on Tue 1 Dec 2026, thank-you notes sent Tue 23:00Z (15:00 PST).
fn after_thank_yous() -> Sim {
    let mut sim = Sim::scheduled("2026-12-01T18:00:00Z", "2026-12-01T19:00:00Z");
    sim.tick("2026-12-01T20:00:00Z");
    sim.send_all(DraftKind::ThankYou);
    sim
}

#[test]
fn a_follow_up_is_drafted_a_day_before_it_is_due_seven_days_after_the_thank_you() {
    let mut sim = after_thank_yous();
    assert!(sim.tick("2026-12-07T22:59:00Z").is_empty(), "not yet a day before it is due");
    let effects = sim.tick("2026-12-07T23:00:00Z");
    assert!(effects.contains(&Effect::DraftFollowUp { series: 1, number: 1, send_at: ts("2026-12-08T23:00:00Z") }));
    assert_eq!(sim.app.state, ApplicationState::FollowingUp);
    assert!(sim.tick("2026-12-08T00:00:00Z").is_empty(), "one follow-up at a time");
}

#[test]
fn no_follow_up_while_a_thank_you_is_still_waiting_for_approval() {
    let mut sim = Sim::scheduled("2026-12-01T18:00:00Z", "2026-12-01T19:00:00Z");
    sim.tick("2026-12-01T20:00:00Z");
    assert!(sim.tick("2026-12-20T00:00:00Z").is_empty());
    // Once the user has dealt with them (here: rejected one, sent the other), the cadence starts.
    sim.app.drafts[0].status = DraftStatus::Rejected;
    sim.app.drafts[1].status = DraftStatus::Sent;
    sim.app.drafts[1].sent_at = Some(ts("2026-12-01T23:00:00Z"));
    assert!(!sim.tick("2026-12-20T00:00:00Z").is_empty());
}

#[test]
fn four_weekly_follow_ups_then_ghosted_seven_days_after_the_last() {
    let mut sim = after_thank_yous();
    let mut sent = Vec::new();
    for day in 0..60 {
        let now = ts("2026-12-02T00:00:00Z").checked_add(jiff::SignedDuration::from_hours(24 * day)).unwrap();
        sim.tick(&now.to_string());
        // The user approves whatever is drafted; it is sent at its time.
        for draft in sim.app.drafts.iter_mut().filter(|d| d.kind == DraftKind::FollowUp) {
            if draft.status == DraftStatus::Pending && draft.send_at <= now {
                draft.status = DraftStatus::Sent;
                draft.sent_at = Some(draft.send_at);
                sent.push(draft.send_at);
            }
        }
        if sim.app.state == ApplicationState::Ghosted {
            assert_eq!(now, ts("2027-01-06T00:00:00Z"), "ghosted on the first tick after last + 7 days");
            break;
        }
    }
    assert_eq!(
        sent,
        [
            ts("2026-12-08T23:00:00Z"),
            ts("2026-12-15T23:00:00Z"),
            ts("2026-12-22T23:00:00Z"),
            ts("2026-12-29T23:00:00Z")
        ]
    );
    assert_eq!(sim.app.state, ApplicationState::Ghosted);
    assert!(sim.tick("2027-02-01T00:00:00Z").is_empty(), "a closed application plans nothing");
}

#[test]
fn the_number_of_follow_ups_is_a_setting() {
    for follow_ups in [1u8, 7] {
        let mut sim = after_thank_yous();
        sim.policy.follow_ups = follow_ups;
        let mut count = 0;
        for week in 0..12 {
            let now = ts("2026-12-08T00:00:00Z").checked_add(jiff::SignedDuration::from_hours(24 * 7 * week)).unwrap();
            sim.tick(&now.to_string());
            for draft in
                sim.app.drafts.iter_mut().filter(|d| d.kind == DraftKind::FollowUp && d.status == DraftStatus::Pending)
            {
                draft.status = DraftStatus::Sent;
                draft.sent_at = Some(draft.send_at);
                count += 1;
            }
        }
        assert_eq!(count, follow_ups as usize);
        assert_eq!(sim.app.state, ApplicationState::Ghosted);
    }
}

#[test]
fn a_rejected_follow_up_counts_and_the_next_keeps_the_weekly_rhythm() {
    let mut sim = after_thank_yous();
    sim.tick("2026-12-08T00:00:00Z");
    sim.app.drafts.iter_mut().filter(|d| d.kind == DraftKind::FollowUp).for_each(|d| d.status = DraftStatus::Rejected);
    sim.tick("2026-12-15T00:00:00Z");
    let live = sim.live_follow_ups();
    assert_eq!((live[0].number, live[0].send_at), (2, ts("2026-12-15T23:00:00Z")));
}

#[test]
fn a_dst_change_inside_the_series_keeps_the_local_hour() {
    // Thank-you sent Tuesday 27 October 2026, 15:00 PDT (22:00Z); US clocks fall back on 1 November.
    let mut sim = Sim::scheduled("2026-10-27T16:00:00Z", "2026-10-27T17:00:00Z");
    sim.tick("2026-10-27T18:00:00Z");
    for draft in sim.app.drafts.iter_mut() {
        draft.status = DraftStatus::Sent;
        draft.sent_at = Some(ts("2026-10-27T22:00:00Z"));
    }
    sim.tick("2026-11-03T00:00:00Z");
    let live = sim.live_follow_ups();
    // Seven calendar days later at 15:00 local, which is now PST: 23:00Z, not 22:00Z.
    assert_eq!(live[0].send_at, ts("2026-11-03T23:00:00Z"));
}

#[test]
fn a_timeline_holds_follow_ups_until_the_period_is_over_then_the_cadence_resumes() {
    let mut sim = after_thank_yous();
    // Thursday 3 December: "we'll get back to you by the end of next week" → not before Sat 12 Dec.
    let reply_after = jiff::civil::date(2026, 12, 12);
    sim.message(Event::TimelineGiven { reply_after: Some(reply_after) }, "2026-12-03T18:00:00Z");
    assert_eq!(sim.app.state, ApplicationState::Waiting);
    assert!(sim.tick("2026-12-11T00:00:00Z").is_empty(), "7 days after the message is still inside their period");
    assert!(sim.tick("2026-12-13T15:59:00Z").is_empty(), "drafted a day ahead of Monday 08:00, not earlier");
    sim.tick("2026-12-13T16:00:00Z");
    let live = sim.live_follow_ups();
    // Saturday 12 December is not a send day: Monday 14 December, 08:00 PST.
    assert_eq!((live[0].number, live[0].send_at), (1, ts("2026-12-14T16:00:00Z")));
    assert_eq!(sim.app.state, ApplicationState::FollowingUp);
    sim.send_all(DraftKind::FollowUp);
    sim.tick("2026-12-21T00:00:00Z");
    assert_eq!(sim.live_follow_ups()[0].send_at, ts("2026-12-21T16:00:00Z"), "then weekly again");
}

#[test]
fn a_short_timeline_does_not_bring_the_weekly_follow_up_forward() {
    let mut sim = after_thank_yous();
    // Wednesday 2 December: "we'll decide by Friday" → not before Saturday 5 December.
    sim.message(Event::TimelineGiven { reply_after: Some(jiff::civil::date(2026, 12, 5)) }, "2026-12-02T18:00:00Z");
    sim.tick("2026-12-09T00:00:00Z");
    assert_eq!(sim.live_follow_ups()[0].send_at, ts("2026-12-09T18:00:00Z"), "a week after their message");
}

#[test]
fn wait_for_further_notice_pauses_follow_ups_until_the_user_resumes() {
    let mut sim = after_thank_yous();
    sim.message(Event::TimelineGiven { reply_after: None }, "2026-12-03T18:00:00Z");
    assert!(sim.app.cadence.paused);
    assert!(sim.tick("2027-03-01T00:00:00Z").is_empty(), "paused: no follow-up and no ghosting");
    assert_eq!(sim.app.state, ApplicationState::Waiting);
    sim.mark(ApplicationState::FollowingUp, false, "2027-03-01T00:00:00Z");
    assert!(!sim.app.cadence.paused);
    sim.tick("2027-03-01T00:00:00Z");
    assert_eq!(sim.live_follow_ups().len(), 1, "resumed: the overdue follow-up is drafted");
}

#[test]
fn any_human_reply_cancels_every_unsent_follow_up_approved_ones_included() {
    let replies = [
        Event::HumanReplyReceived,
        Event::TimelineGiven { reply_after: Some(jiff::civil::date(2026, 12, 20)) },
        Event::InvitedToInterview,
        Event::OfferReceived,
        Event::RejectionReceived,
    ];
    for reply in replies {
        let mut sim = after_thank_yous();
        sim.tick("2026-12-08T00:00:00Z");
        let follow_up = sim.live_follow_ups()[0].id;
        sim.draft_mut(follow_up).status = DraftStatus::Approved;
        let effects = sim.message(reply.clone(), "2026-12-08T17:00:00Z");
        assert!(
            effects.iter().any(|e| matches!(e, Effect::CancelDraft { draft, .. } if *draft == follow_up)),
            "{reply:?} must cancel the approved follow-up"
        );
    }
}

#[test]
fn a_follow_up_already_on_the_wire_is_not_cancelled() {
    let mut sim = after_thank_yous();
    sim.tick("2026-12-08T00:00:00Z");
    let follow_up = sim.live_follow_ups()[0].id;
    sim.draft_mut(follow_up).status = DraftStatus::Sending;
    let effects = sim.message(Event::HumanReplyReceived, "2026-12-08T17:00:00Z");
    assert!(!effects.iter().any(|e| matches!(e, Effect::CancelDraft { .. })));
}

#[test]
fn after_a_human_reply_the_next_follow_up_counts_from_the_reply() {
    let mut sim = after_thank_yous();
    sim.tick("2026-12-08T00:00:00Z");
    sim.message(Event::HumanReplyReceived, "2026-12-08T17:00:00Z");
    assert!(sim.live_follow_ups().is_empty());
    assert!(sim.tick("2026-12-14T16:00:00Z").is_empty());
    sim.tick("2026-12-14T17:00:00Z");
    assert_eq!(sim.live_follow_ups()[0].send_at, ts("2026-12-15T17:00:00Z"));
    assert_eq!(sim.live_follow_ups()[0].number, 1, "a new series starts its count again");
}

#[test]
fn an_out_of_office_return_date_postpones_the_next_follow_up_without_a_state_change() {
    let mut sim = after_thank_yous();
    sim.tick("2026-12-08T00:00:00Z");
    let state = sim.app.state;
    // They are back on Monday 4 January 2027.
    let effects = sim
        .message(Event::AutoReplyReceived { return_date: Some(jiff::civil::date(2027, 1, 4)) }, "2026-12-08T23:01:00Z");
    assert_eq!(sim.app.state, state);
    assert!(!effects.iter().any(|e| matches!(e, Effect::CancelDraft { .. } | Effect::Transition { .. })));
    assert_eq!(sim.live_follow_ups()[0].send_at, ts("2027-01-04T16:00:00Z"));
    // An auto-reply without a date changes nothing at all.
    let effects = sim.message(Event::AutoReplyReceived { return_date: None }, "2026-12-09T00:00:00Z");
    assert!(effects.is_empty());
}

#[test]
fn a_next_round_starts_the_cycle_again() {
    let mut sim = after_thank_yous();
    sim.tick("2026-12-08T00:00:00Z");
    sim.message(Event::InvitedToInterview, "2026-12-08T17:00:00Z");
    assert_eq!(sim.app.state, ApplicationState::Invited);
    assert!(sim.tick("2026-12-20T00:00:00Z").is_empty(), "no follow-ups while invited");
    let slot = Slot {
        start: ts("2026-12-16T18:00:00Z"),
        end: ts("2026-12-16T20:00:00Z"),
        zone: Some(la()),
        interviewers: vec![Contact { name: Some("Kim".into()), email: Some("kim@acme.example".into()) }],
        location: None,
        calendar_uid: Some("uid-2".into()),
    };
    sim.message(Event::InterviewConfirmed(slot), "2026-12-09T17:00:00Z");
    assert_eq!(sim.app.state, ApplicationState::Scheduled);
    assert_eq!(sim.app.rounds.len(), 2);
    sim.tick("2026-12-16T21:00:00Z");
    assert_eq!(sim.app.state, ApplicationState::Interviewed);
    let second_round = sim.app.rounds[1].id;
    assert_eq!(sim.drafts(DraftKind::ThankYou).iter().filter(|d| d.round == Some(second_round)).count(), 1);
}

#[test]
fn a_second_confirmation_of_the_same_slot_adds_no_round() {
    let mut sim = Sim::scheduled("2026-12-01T18:00:00Z", "2026-12-01T19:00:00Z");
    let slot = Slot {
        start: ts("2026-12-01T18:00:00Z"),
        end: ts("2026-12-01T19:00:00Z"),
        zone: Some(la()),
        interviewers: vec![],
        location: None,
        calendar_uid: None,
    };
    sim.message(Event::InterviewConfirmed(slot), "2026-11-25T17:00:00Z");
    assert_eq!(sim.app.rounds.len(), 1);
}

#[test]
fn a_reschedule_moves_the_round_and_a_confirmation_with_the_same_uid_is_a_reschedule() {
    for event_is_confirmation in [false, true] {
        let mut sim = Sim::scheduled("2026-12-01T18:00:00Z", "2026-12-01T19:00:00Z");
        let slot = Slot {
            start: ts("2026-12-03T18:00:00Z"),
            end: ts("2026-12-03T19:00:00Z"),
            zone: Some(la()),
            interviewers: vec![],
            location: None,
            calendar_uid: Some("uid-1".into()),
        };
        let event =
            if event_is_confirmation { Event::InterviewConfirmed(slot) } else { Event::InterviewRescheduled(slot) };
        sim.message(event, "2026-11-30T17:00:00Z");
        assert_eq!(sim.app.rounds.len(), 1);
        assert_eq!(sim.app.rounds[0].start, ts("2026-12-03T18:00:00Z"));
        assert!(sim.tick("2026-12-01T20:00:00Z").is_empty(), "the old end time no longer triggers anything");
        sim.tick("2026-12-03T20:00:00Z");
        assert_eq!(sim.drafts(DraftKind::ThankYou).len(), 2);
    }
}

#[test]
fn a_cancelled_interview_cancels_its_round_and_its_drafts() {
    let mut sim = Sim::scheduled("2026-12-01T18:00:00Z", "2026-12-01T19:00:00Z");
    sim.message(Event::InterviewCancelled(None), "2026-11-30T17:00:00Z");
    assert_eq!(sim.app.rounds[0].status, RoundStatus::Cancelled);
    assert_eq!(sim.app.state, ApplicationState::Invited);
    assert!(sim.tick("2026-12-05T00:00:00Z").is_empty(), "no thank-you for an interview that did not happen");
}

#[test]
fn an_offer_drafts_a_reply_and_stops_the_follow_ups() {
    let mut sim = after_thank_yous();
    sim.tick("2026-12-08T00:00:00Z");
    // Offer on Wednesday 9 December 10:00 PST.
    let effects = sim.message(Event::OfferReceived, "2026-12-09T18:00:00Z");
    assert_eq!(sim.app.state, ApplicationState::Offer);
    assert!(effects.contains(&Effect::DraftReply {
        kind: DraftKind::OfferReply,
        send_at: ts("2026-12-09T22:00:00Z"),
        deadline: Some(ts("2026-12-10T18:00:00Z")),
    }));
    assert!(sim.live_follow_ups().is_empty());
    assert!(sim.tick("2027-01-30T00:00:00Z").is_empty());
}

#[test]
fn a_rejection_drafts_a_gracious_reply_and_cancels_what_was_planned() {
    let mut sim = Sim::scheduled("2026-12-01T18:00:00Z", "2026-12-01T19:00:00Z");
    sim.tick("2026-12-01T20:00:00Z");
    let effects = sim.message(Event::RejectionReceived, "2026-12-01T21:00:00Z");
    assert_eq!(sim.app.state, ApplicationState::Rejected);
    assert!(effects.iter().any(|e| matches!(e, Effect::DraftReply { kind: DraftKind::RejectionReply, .. })));
    assert!(sim.drafts(DraftKind::ThankYou).iter().all(|d| d.status == DraftStatus::Cancelled));
    assert!(sim.message(Event::HumanReplyReceived, "2026-12-02T21:00:00Z").is_empty(), "closed stays closed");
}

#[test]
fn withdrawing_cancels_every_unsent_draft_and_may_draft_a_note() {
    let mut sim = after_thank_yous();
    sim.tick("2026-12-08T00:00:00Z");
    let approved = sim.live_follow_ups()[0].id;
    sim.draft_mut(approved).status = DraftStatus::Approved;
    let effects = sim.mark(ApplicationState::Withdrawn, true, "2026-12-08T17:00:00Z");
    assert_eq!(sim.app.state, ApplicationState::Withdrawn);
    assert!(effects.iter().any(|e| matches!(e, Effect::CancelDraft { draft, .. } if *draft == approved)));
    let withdrawal = sim.drafts(DraftKind::Withdrawal);
    assert_eq!(withdrawal.len(), 1);
    assert!(sim.app.drafts.iter().filter(|d| d.kind != DraftKind::Withdrawal).all(|d| d.status.is_settled()));
    assert!(sim.tick("2027-03-01T00:00:00Z").is_empty());
}

#[test]
fn a_ghosted_application_revives_when_the_employer_answers() {
    let mut sim = after_thank_yous();
    sim.app.state = ApplicationState::Ghosted;
    sim.message(Event::InvitedToInterview, "2027-02-01T17:00:00Z");
    assert_eq!(sim.app.state, ApplicationState::Invited);
}

#[test]
fn every_transition_carries_its_cause() {
    let mut sim = after_thank_yous();
    sim.tick("2026-12-08T00:00:00Z");
    sim.message(Event::TimelineGiven { reply_after: None }, "2026-12-09T00:00:00Z");
    for effect in &sim.log {
        if let Effect::Transition { cause, .. } = effect {
            assert!(!cause.trim().is_empty());
        }
    }
    let states: Vec<_> =
        sim.log.iter().filter_map(|e| if let Effect::Transition { to, .. } = e { Some(*to) } else { None }).collect();
    assert_eq!(states, [ApplicationState::Interviewed, ApplicationState::FollowingUp, ApplicationState::Waiting]);
}

#[test]
fn a_note_planned_late_is_due_now_not_in_the_past() {
    // Regression: an interview added the day after it happened got a send time in the past.
    let mut sim = Sim::scheduled("2026-12-01T18:00:00Z", "2026-12-01T19:00:00Z");
    sim.tick("2026-12-02T20:00:00Z");
    assert!(sim.drafts(DraftKind::ThankYou).iter().all(|d| d.send_at == ts("2026-12-02T20:00:00Z")));
    // At night the note waits for the window to open.
    let mut sim = Sim::scheduled("2026-12-01T18:00:00Z", "2026-12-01T19:00:00Z");
    sim.tick("2026-12-03T05:00:00Z");
    assert!(sim.drafts(DraftKind::ThankYou).iter().all(|d| d.send_at == ts("2026-12-03T16:00:00Z")));
}

#[test]
fn an_overdue_follow_up_is_due_now_not_in_the_past() {
    let mut sim = after_thank_yous();
    sim.tick("2026-12-10T18:00:00Z");
    assert_eq!(sim.live_follow_ups()[0].send_at, ts("2026-12-10T18:00:00Z"));
}

#[test]
fn no_follow_ups_after_thank_yous_the_user_rejected_until_they_say_so() {
    let mut sim = Sim::scheduled("2026-12-01T18:00:00Z", "2026-12-01T19:00:00Z");
    sim.tick("2026-12-01T20:00:00Z");
    for draft in sim.app.drafts.iter_mut() {
        draft.status = DraftStatus::Rejected;
    }
    assert!(sim.app.thank_yous_all_rejected());
    sim.tick("2026-12-07T20:00:00Z");
    sim.tick("2026-12-30T20:00:00Z");
    assert!(sim.drafts(DraftKind::FollowUp).is_empty(), "nothing follows a note that never went");
    assert_eq!(sim.app.state, ApplicationState::Interviewed, "nor is it ghosted");
    // The user says to follow up after all: the series counts from the interview, so
    // weeks later the first follow-up is due at once.
    sim.mark(ApplicationState::FollowingUp, false, "2027-01-04T18:00:00Z");
    sim.tick("2027-01-04T18:00:00Z");
    let follow_ups = sim.drafts(DraftKind::FollowUp);
    assert_eq!(follow_ups.len(), 1);
    assert_eq!(follow_ups[0].send_at, ts("2027-01-04T18:00:00Z"), "due now, inside the window");
    // One rejected note and one sent: the follow-ups go on as usual.
    let mut sim = Sim::scheduled("2026-12-01T18:00:00Z", "2026-12-01T19:00:00Z");
    sim.tick("2026-12-01T20:00:00Z");
    sim.app.drafts[0].status = DraftStatus::Rejected;
    sim.app.drafts[1].status = DraftStatus::Sent;
    sim.app.drafts[1].sent_at = Some(ts("2026-12-01T23:00:00Z"));
    sim.tick("2026-12-07T23:00:00Z");
    assert_eq!(sim.drafts(DraftKind::FollowUp).len(), 1);
}

#[test]
fn a_round_the_user_moves_or_cancels_takes_its_unsent_notes_with_it() {
    // The inbox missed a reschedule: the interview of Tue 1 Dec took place on Thu 3 Dec.
    let mut sim = Sim::scheduled("2026-12-01T18:00:00Z", "2026-12-01T19:00:00Z");
    sim.tick("2026-12-01T20:00:00Z");
    assert_eq!(sim.drafts(DraftKind::ThankYou).len(), 2);
    let slot = Slot {
        start: ts("2026-12-03T18:00:00Z"),
        end: ts("2026-12-03T19:00:00Z"),
        zone: Some(la()),
        interviewers: Vec::new(),
        location: None,
        calendar_uid: None,
    };
    let effects = on_move_round(&sim.app, RoundId(1), &slot, ts("2026-12-01T21:00:00Z"));
    sim.apply(&effects, ts("2026-12-01T21:00:00Z"));
    assert!(
        sim.drafts(DraftKind::ThankYou).iter().all(|d| d.status == DraftStatus::Cancelled),
        "notes for a meeting that did not happen"
    );
    assert_eq!(sim.app.state, ApplicationState::Scheduled);
    assert_eq!(sim.app.rounds[0].start, ts("2026-12-03T18:00:00Z"));
    sim.tick("2026-12-03T19:30:00Z");
    let live: Vec<_> =
        sim.drafts(DraftKind::ThankYou).into_iter().filter(|d| d.status == DraftStatus::Pending).collect();
    assert_eq!(live.len(), 2, "new notes after the real interview");
    assert!(live.iter().all(|d| d.send_at == ts("2026-12-03T23:00:00Z")));

    let mut sim = Sim::scheduled("2026-12-01T18:00:00Z", "2026-12-01T19:00:00Z");
    let effects = on_cancel_round(&sim.app, RoundId(1));
    sim.apply(&effects, ts("2026-11-30T00:00:00Z"));
    assert_eq!(sim.app.rounds[0].status, RoundStatus::Cancelled);
    assert_eq!(sim.app.state, ApplicationState::Invited);
    assert!(sim.tick("2026-12-01T20:00:00Z").is_empty(), "no note for a cancelled interview");
}

#[test]
fn each_reference_is_told_once_per_application_in_the_users_window_and_never_after_it_ended() {
    let mut sim = Sim::scheduled("2026-12-01T18:00:00Z", "2026-12-01T19:00:00Z");
    let references = [PersonId(50), PersonId(51)];
    let brief = |sim: &mut Sim, cue: ReferenceCue, at: &str| {
        let (policy, zone) = sim.context();
        let effects =
            brief_references(&sim.app, &references, cue, &Context { policy: &policy, user_zone: &zone }, ts(at));
        sim.apply(&effects, ts(at));
        effects
    };
    // Asked on Saturday 5 December: the heads-up waits for Monday 08:00 in the user's zone.
    let effects = brief(&mut sim, ReferenceCue::Asked, "2026-12-05T20:00:00Z");
    let monday = ts("2026-12-07T16:00:00Z");
    assert_eq!(
        effects,
        vec![
            Effect::DraftReferenceNotice { person: PersonId(50), cue: ReferenceCue::Asked, send_at: monday },
            Effect::DraftReferenceNotice { person: PersonId(51), cue: ReferenceCue::Asked, send_at: monday },
        ]
    );
    // The user rejects one and sends the other: an offer later asks nobody again.
    sim.app.drafts[0].status = DraftStatus::Rejected;
    sim.send_all(DraftKind::ReferenceNotice);
    assert_eq!(brief(&mut sim, ReferenceCue::Offer, "2026-12-10T20:00:00Z"), vec![]);
    // A reference added to the config later is told at the next cue.
    let (policy, zone) = sim.context();
    let context = Context { policy: &policy, user_zone: &zone };
    let later = brief_references(
        &sim.app,
        &[PersonId(50), PersonId(52)],
        ReferenceCue::Offer,
        &context,
        ts("2026-12-10T20:00:00Z"),
    );
    assert_eq!(later.len(), 1);
    assert!(matches!(later[0], Effect::DraftReferenceNotice { person: PersonId(52), cue: ReferenceCue::Offer, .. }));
    // Nothing for an application that ended without an offer.
    for state in [ApplicationState::Rejected, ApplicationState::Withdrawn, ApplicationState::Ghosted] {
        sim.app.state = state;
        let none =
            brief_references(&sim.app, &[PersonId(53)], ReferenceCue::Asked, &context, ts("2026-12-10T20:00:00Z"));
        assert_eq!(none, vec![], "{state}");
    }
    sim.app.state = ApplicationState::Offer;
    assert_eq!(
        brief_references(&sim.app, &[PersonId(53)], ReferenceCue::Offer, &context, ts("2026-12-10T20:00:00Z")).len(),
        1
    );
}

#[test]
fn a_rejection_cancels_an_unsent_reference_heads_up() {
    let mut sim = Sim::scheduled("2026-12-01T18:00:00Z", "2026-12-01T19:00:00Z");
    sim.push_draft(
        DraftId(900),
        DraftKind::ReferenceNotice,
        None,
        Some(PersonId(50)),
        0,
        1,
        ts("2026-12-02T16:00:00Z"),
    );
    sim.message(Event::RejectionReceived, "2026-12-02T17:00:00Z");
    assert_eq!(sim.drafts(DraftKind::ReferenceNotice)[0].status, DraftStatus::Cancelled);
}

#[test]
fn marking_out_of_an_offer_cancels_what_the_offer_drafted_and_marking_it_ended_cancels_heads_ups() {
    // Marked `offer` by mistake (or it fell through), then back to `applied`: the offer's
    // reply and the heads-up announcing the offer no longer fit; a heads-up drafted for a
    // final round still does, and a sent one is history.
    let mut sim = after_thank_yous();
    sim.message(Event::OfferReceived, "2026-12-03T17:00:00Z");
    sim.push_draft(
        DraftId(901),
        DraftKind::ReferenceNotice,
        None,
        Some(PersonId(50)),
        0,
        3,
        ts("2026-12-03T17:00:00Z"),
    );
    sim.push_draft(
        DraftId(902),
        DraftKind::ReferenceNotice,
        None,
        Some(PersonId(51)),
        0,
        2,
        ts("2026-12-03T17:00:00Z"),
    );
    sim.push_draft(
        DraftId(903),
        DraftKind::ReferenceNotice,
        None,
        Some(PersonId(52)),
        0,
        3,
        ts("2026-12-03T17:00:00Z"),
    );
    sim.draft_mut(DraftId(903)).status = DraftStatus::Sent;
    let reply = sim.drafts(DraftKind::OfferReply)[0].id;
    sim.mark(ApplicationState::Applied, false, "2026-12-03T18:00:00Z");
    let status = |sim: &Sim, id: DraftId| sim.app.drafts.iter().find(|d| d.id == id).unwrap().status;
    assert_eq!(status(&sim, reply), DraftStatus::Cancelled, "no offer, no reply to it");
    assert_eq!(status(&sim, DraftId(901)), DraftStatus::Cancelled, "the offer's heads-up");
    assert_eq!(status(&sim, DraftId(902)), DraftStatus::Pending, "a final round's heads-up still holds");
    assert_eq!(status(&sim, DraftId(903)), DraftStatus::Sent);

    // Marked rejected or ghosted by hand: as after the employer's rejection, references are
    // not called.
    for to in [ApplicationState::Rejected, ApplicationState::Ghosted] {
        let mut sim = after_thank_yous();
        sim.push_draft(
            DraftId(904),
            DraftKind::ReferenceNotice,
            None,
            Some(PersonId(50)),
            0,
            2,
            ts("2026-12-03T17:00:00Z"),
        );
        sim.mark(to, false, "2026-12-03T18:00:00Z");
        assert_eq!(sim.drafts(DraftKind::ReferenceNotice)[0].status, DraftStatus::Cancelled, "{to}");
    }
}

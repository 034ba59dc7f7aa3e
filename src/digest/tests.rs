use super::*;
use crate::domain::process::{Contact, Event, Slot};
use crate::domain::{ApplicationState, DraftKind};
use crate::planner::Planner;
use crate::store::{Cause, Store};
use crate::templates::Templates;
use std::path::Path;

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap()
}

/// The next `n` fires after `after`, in UTC, to compare with hand-computed instants.
fn fires(cron: &str, zone_name: &str, after: &str, n: usize) -> Vec<String> {
    let schedule = Schedule::parse(cron).unwrap();
    let mut at = ts(after);
    let mut out = Vec::new();
    for _ in 0..n {
        at = schedule.next_after(&zone(zone_name), at).unwrap();
        out.push(at.to_string());
    }
    out
}

#[test]
fn eight_oclock_stays_eight_oclock_local_across_us_dst_changes() {
    // New York springs forward on Sunday 2026-03-08 and falls back on Sunday 2026-11-01.
    let spring = fires("0 0 8 * * Mon-Fri", "America/New_York", "2026-03-06T13:00:00Z", 2);
    assert_eq!(spring, ["2026-03-09T12:00:00Z", "2026-03-10T12:00:00Z"], "Friday 08:00 EST, then 08:00 EDT");
    let fall = fires("0 0 8 * * Mon-Fri", "America/New_York", "2026-10-30T12:00:00Z", 2);
    assert_eq!(fall, ["2026-11-02T13:00:00Z", "2026-11-03T13:00:00Z"], "Friday 08:00 EDT, then 08:00 EST");
    assert_eq!(
        next_fire("0 0 8 * * *", &zone("America/Los_Angeles"), ts("2026-03-07T16:00:00Z")).unwrap(),
        ts("2026-03-08T15:00:00Z")
    );
}

#[test]
fn eight_oclock_stays_eight_oclock_local_across_eu_dst_changes() {
    // Berlin springs forward on Sunday 2026-03-29 and falls back on Sunday 2026-10-25.
    let spring = fires("0 0 8 * * *", "Europe/Berlin", "2026-03-28T07:00:00Z", 2);
    assert_eq!(spring, ["2026-03-29T06:00:00Z", "2026-03-30T06:00:00Z"]);
    let fall = fires("0 0 8 * * *", "Europe/Berlin", "2026-10-24T06:00:00Z", 2);
    assert_eq!(fall, ["2026-10-25T07:00:00Z", "2026-10-26T07:00:00Z"]);
}

#[test]
fn a_time_skipped_by_spring_forward_fires_once_after_the_gap() {
    // 02:30 does not exist in New York on 2026-03-08: it fires at 03:30 EDT, once.
    let us = fires("0 30 2 * * *", "America/New_York", "2026-03-07T05:00:00Z", 3);
    assert_eq!(us, ["2026-03-07T07:30:00Z", "2026-03-08T07:30:00Z", "2026-03-09T06:30:00Z"]);
    // Nor in Berlin on 2026-03-29.
    let eu = fires("0 30 2 * * *", "Europe/Berlin", "2026-03-28T00:00:00Z", 3);
    assert_eq!(eu, ["2026-03-28T01:30:00Z", "2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z"]);
}

#[test]
fn a_time_repeated_by_fall_back_fires_once_at_its_first_occurrence() {
    // 01:30 happens twice in New York on 2026-11-01 (EDT, then EST): it fires at the first.
    let us = fires("0 30 1 * * *", "America/New_York", "2026-10-31T04:00:00Z", 3);
    assert_eq!(us, ["2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"]);
    // Asked during the second 01:xx hour, after the first 01:30 fired: not again that day.
    let during_the_repeat = next_fire("0 30 1 * * *", &zone("America/New_York"), ts("2026-11-01T06:10:00Z")).unwrap();
    assert_eq!(during_the_repeat, ts("2026-11-02T06:30:00Z"));
    // 02:30 happens twice in Berlin on 2026-10-25 (CEST, then CET).
    let eu = fires("0 30 2 * * *", "Europe/Berlin", "2026-10-24T00:00:00Z", 3);
    assert_eq!(eu, ["2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]);
}

#[test]
fn a_fire_time_is_strictly_after_the_instant_given() {
    let at = ts("2026-12-07T16:00:00Z"); // Monday 08:00 in Los Angeles
    let next = next_fire("0 0 8 * * Mon-Fri", &zone("America/Los_Angeles"), at).unwrap();
    assert_eq!(next, ts("2026-12-08T16:00:00Z"));
    let just_before = next_fire("0 0 8 * * Mon-Fri", &zone("America/Los_Angeles"), ts("2026-12-07T15:59:59Z")).unwrap();
    assert_eq!(just_before, at);
}

#[test]
fn bad_schedules_are_refused_with_what_is_wrong() {
    for (text, expected) in [
        ("0 8 * * *", "has 5 fields; expected six"),
        ("0 0 25 * * Mon", "is not a cron expression"),
        ("0 0 8 * * Someday", "is not a cron expression"),
        ("0 0 8 31 2 *", "never fires"),
    ] {
        let message = Schedule::parse(text).unwrap_err();
        assert!(message.contains(expected), "{text:?} gave {message:?}");
    }
}

// ---------------------------------------------------------------------------
// The digest itself.

fn config() -> Config {
    let text = "[identity]\nname = \"Priya Raman\"\nemail = \"priya@example.net\"\ntime_zone = \"America/Los_Angeles\"\n\
                [digest]\nat = \"0 0 7 * * Mon-Fri\"\n";
    Config::from_toml(text, Path::new("/tmp/debrief-digest-test/config.toml"), Some(0o600)).unwrap()
}

/// Records an interview as `debrief add` does, at `now`.
#[allow(clippy::too_many_arguments)]
fn record_interview(
    store: &mut Store,
    planner: &Planner,
    company: &str,
    role: &str,
    start: &str,
    minutes: i64,
    zone_name: &str,
    interviewers: &[(&str, &str)],
    now: Timestamp,
) -> ApplicationId {
    let tx = store.transaction().unwrap();
    let start = ts(start);
    let slot = Slot {
        start,
        end: start.checked_add(SignedDuration::from_mins(minutes)).unwrap(),
        zone: Some(zone(zone_name)),
        interviewers: interviewers
            .iter()
            .map(|(name, email)| Contact { name: Some(name.to_string()), email: Some(email.to_string()) })
            .collect(),
        location: None,
        calendar_uid: None,
    };
    let cause = Cause::Command(format!("debrief add --company {company:?} --role {role:?}"));
    let id = store::insert_application(&tx, company, role, None, ApplicationState::Applied, now).unwrap();
    store::insert_history(&tx, id, now, None, Some("applied"), "application added by hand", &cause).unwrap();
    planner.apply_event(&tx, id, &Event::InterviewConfirmed(slot), &cause, None, now, now).unwrap();
    tx.commit().unwrap();
    id
}

/// A week of interviews in Los Angeles (UTC-8), built through the store and the planner:
/// Acme's two thank-you notes are late, Globex's is approved, Initech's waits without a
/// topic, and Umbrella's interview (in New York) is next Monday.
fn a_busy_week(config: &Config) -> Store {
    let templates = Templates::load(None).unwrap();
    let planner = Planner { config, templates: &templates };
    let mut store = Store::open_in_memory().unwrap();
    let monday = ts("2026-11-30T18:00:00Z");
    let acme = record_interview(
        &mut store,
        &planner,
        "Acme Robotics",
        "Backend Engineer",
        "2026-12-01T18:00:00Z",
        60,
        "America/Los_Angeles",
        &[("Jane Doe", "jane@acme.example"), ("Bob Lee", "bob@acme.example")],
        monday,
    );
    let globex = record_interview(
        &mut store,
        &planner,
        "Globex",
        "Data Engineer",
        "2026-12-02T22:00:00Z",
        60,
        "America/Los_Angeles",
        &[("Ann Lee", "ann@globex.example")],
        monday,
    );
    record_interview(
        &mut store,
        &planner,
        "Initech",
        "Platform Engineer",
        "2026-12-03T00:00:00Z",
        45,
        "America/Los_Angeles",
        &[("Carol Ng", "carol@initech.example")],
        monday,
    );
    for (id, topic) in [(acme, "how the fleet scheduler handles backpressure"), (globex, "the nightly batch jobs")] {
        let round = store::rounds_of(store.conn(), id).unwrap()[0].id;
        store::set_talking_point(store.conn(), round, None, store::PointKind::Topic, topic, monday).unwrap();
    }
    record_interview(
        &mut store,
        &planner,
        "Umbrella",
        "SRE",
        "2026-12-07T19:00:00Z",
        60,
        "America/New_York",
        &[("Dana Wu", "dana@umbrella.example")],
        ts("2026-12-02T20:00:00Z"),
    );
    planner.plan_all(&mut store, ts("2026-12-01T19:30:00Z")).unwrap();
    planner.plan_all(&mut store, ts("2026-12-03T01:00:00Z")).unwrap();
    let globex_note =
        store::drafts_of(store.conn(), globex).unwrap().into_iter().find(|d| d.kind == DraftKind::ThankYou);
    store::approve_draft(store.conn(), globex_note.unwrap().id, DraftStatus::Pending, ts("2026-12-03T01:05:00Z"))
        .unwrap();
    store
}

#[test]
fn the_digest_lists_late_then_waiting_then_approved_drafts_with_commands() {
    let config = config();
    let store = a_busy_week(&config);
    let now = ts("2026-12-03T15:00:00Z"); // Thursday 07:00 in Los Angeles
    let digest = compose(store.conn(), &config, Some(ts("2026-12-02T15:00:00Z")), now).unwrap().unwrap();
    insta::assert_snapshot!(format!("Subject: {}\n\n{}", digest.subject, digest.body));
}

#[test]
fn failed_and_interrupted_sends_ask_for_a_decision() {
    let config = config();
    let store = a_busy_week(&config);
    let now = ts("2026-12-03T15:00:00Z");
    let drafts = store::queue(store.conn()).unwrap();
    let (failed, unknown) = (&drafts[0], &drafts[1]);
    assert!(
        store::set_draft_status(
            store.conn(),
            failed.id,
            failed.status,
            DraftStatus::Failed,
            Some("550 mailbox unavailable"),
            now
        )
        .unwrap()
    );
    assert!(
        store::set_draft_status(store.conn(), unknown.id, unknown.status, DraftStatus::Unknown, None, now).unwrap()
    );
    let digest = compose(store.conn(), &config, Some(now), now).unwrap().unwrap();
    assert!(digest.subject.contains("2 messages not sent"), "{}", digest.subject);
    assert!(digest.body.contains("Needs your attention: not sent (2)"), "{}", digest.body);
    assert!(digest.body.contains("Sending failed: 550 mailbox unavailable."), "{}", digest.body);
    assert!(digest.body.contains(&format!("Try again: debrief approve {}", failed.id)), "{}", digest.body);
    assert!(digest.body.contains(&format!("If it did not go out: debrief approve {}", unknown.id)), "{}", digest.body);
    assert!(!digest.body.contains("Changes since"), "nothing changed after `since`: {}", digest.body);
}

#[test]
fn nothing_to_say_is_no_digest() {
    let config = config();
    let store = Store::open_in_memory().unwrap();
    assert_eq!(compose(store.conn(), &config, None, ts("2026-12-03T15:00:00Z")).unwrap(), None);
}

#[test]
fn the_message_goes_from_the_user_to_the_user() {
    let config = config();
    let digest =
        Digest { subject: "debrief: 1 draft to approve".into(), body: "Good morning, Priya.\nÀ bientôt\n".into() };
    let now = ts("2026-12-03T15:00:00Z");
    let raw = build_message(&config, &digest, now).unwrap();
    let text = String::from_utf8(raw.clone()).unwrap();
    assert!(text.contains("\r\n"), "CRLF line ends");
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    let from = parsed.from().and_then(|from| from.first()).unwrap();
    assert_eq!((from.name(), from.address()), (Some("Priya Raman"), Some("priya@example.net")));
    assert_eq!(parsed.to().and_then(|to| to.first()).and_then(|to| to.address()), Some("priya@example.net"));
    assert_eq!(parsed.subject(), Some("debrief: 1 draft to approve"));
    assert_eq!(parsed.date().map(|date| date.to_timestamp()), Some(now.as_second()));
    let message_id = parsed.message_id().unwrap();
    assert!(message_id.starts_with("debrief.digest.") && message_id.ends_with("@example.net"), "{message_id}");
    assert_eq!(
        parsed.body_text(0).as_deref(),
        Some("Good morning, Priya.\r\nÀ bientôt\r\n"),
        "the body, in CRLF lines"
    );
    let again = build_message(&config, &digest, now).unwrap();
    assert_ne!(
        mail_parser::MessageParser::default().parse(&again).unwrap().message_id(),
        Some(message_id),
        "each digest gets a fresh Message-ID"
    );
}

#[test]
fn an_approved_note_that_waits_for_the_send_window_says_when_it_goes() {
    // Thursday 07:00 in Los Angeles: Acme's note, due since Tuesday, is approved now; the
    // window opens at 08:00, so it does not go "when the daemon next runs".
    let config = config();
    let store = a_busy_week(&config);
    let now = ts("2026-12-03T15:00:00Z");
    let note = store::queue(store.conn()).unwrap().into_iter().find(|draft| draft.status == DraftStatus::Pending);
    let note = note.unwrap();
    assert!(store::approve_draft(store.conn(), note.id, DraftStatus::Pending, now).unwrap());
    let digest = compose(store.conn(), &config, Some(now), now).unwrap().unwrap();
    let expected =
        "Due since Tue 2026-12-01 15:00 PST: it goes out when its send window opens, Thu 2026-12-03 08:00 PST.";
    assert!(digest.body.contains(expected), "{}", digest.body);
    assert!(!digest.body.contains("when the daemon next runs"), "{}", digest.body);
}

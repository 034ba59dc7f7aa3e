//! Ingest against a real SQLite file at fixed instants: association, de-duplication,
//! unreadable mail, review, and what messages do to applications.

use super::*;
use crate::classify::{Mailbox, MessageKind};
use crate::config::Config;
use crate::domain::{ApplicationState, DraftKind, DraftStatus};
use crate::store::Store;
use crate::templates::Templates;
use std::path::Path;

pub(crate) fn ts(text: &str) -> Timestamp {
    text.parse().unwrap_or_else(|err| panic!("{text}: {err}"))
}

pub(crate) const CONFIRMATION: &[u8] = include_bytes!("../../tests/fixtures/ingest/confirmation-with-calendar.eml");
pub(crate) const REJECTION: &[u8] = include_bytes!("../../tests/fixtures/ingest/rejection.eml");
const TIMELINE_IN_THREAD: &[u8] = include_bytes!("../../tests/fixtures/ingest/timeline-in-thread.eml");
const UNPARSEABLE: &[u8] = include_bytes!("../../tests/fixtures/ingest/unparseable.eml");

/// A user's config, templates and database file in a temporary folder.
pub(crate) struct Desk {
    _dir: tempfile::TempDir,
    pub config: Config,
    pub templates: Templates,
    pub store: Store,
}

impl Desk {
    pub fn new() -> Desk {
        Desk::with_policy("")
    }

    /// A desk whose `[policy]` section holds `policy` (TOML lines).
    pub fn with_policy(policy: &str) -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "[identity]\nname = \"Priya Raman\"\nemail = \"priya@example.net\"\ntime_zone = \"America/Los_Angeles\"\n\
             [storage]\npath = \"debrief.db\"\n[policy]\n{policy}\n"
        );
        let config = Config::from_toml(&text, &dir.path().join("config.toml"), Some(0o600)).unwrap();
        let store = Store::open(&config.storage_path).unwrap();
        Desk { _dir: dir, config, templates: Templates::load(None).unwrap(), store }
    }

    pub fn dir(&self) -> &Path {
        self._dir.path()
    }

    pub fn planner(&self) -> Planner<'_> {
        Planner { config: &self.config, templates: &self.templates }
    }

    /// The confirmation's application once its interview (Wed 2 Dec, 10:00-11:00 PST) has
    /// ended and the thank-you notes went out (a rejected note would stop the follow-ups),
    /// a week later: its first follow-up, pending.
    pub fn following_up(&mut self) -> (ApplicationId, store::DraftRow) {
        let app = self.ingest(CONFIRMATION, ts("2026-11-25T00:00:00Z")).application.unwrap();
        let planner = self.planner();
        planner.plan_application(self.store.conn(), app, ts("2026-12-02T20:00:00Z")).unwrap();
        for draft in store::drafts_of(self.store.conn(), app).unwrap() {
            assert_eq!(draft.kind, DraftKind::ThankYou);
            store::mark_draft_sent(self.store.conn(), draft.id, &[draft.status], None, ts("2026-12-02T19:00:00Z"))
                .unwrap();
        }
        planner.plan_application(self.store.conn(), app, ts("2026-12-08T20:00:00Z")).unwrap();
        let follow_up = store::drafts_of(self.store.conn(), app)
            .unwrap()
            .into_iter()
            .find(|draft| draft.kind == DraftKind::FollowUp && draft.status == DraftStatus::Pending)
            .expect("a follow-up is drafted a week after the interview");
        (app, follow_up)
    }

    /// Ingests one message in its own transaction, as a source does.
    pub fn ingest(&mut self, raw: &[u8], now: Timestamp) -> Ingested {
        let planner = Planner { config: &self.config, templates: &self.templates };
        let tx = self.store.transaction().unwrap();
        let origin = Origin::Maildir { dir: "/test".into(), name: "message".into() };
        let ingested = ingest(&tx, &planner, raw, &origin, now).unwrap();
        tx.commit().unwrap();
        ingested
    }

    pub fn count(&self, table: &str) -> i64 {
        self.store.conn().query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| row.get(0)).unwrap()
    }

    fn application(&self, id: ApplicationId) -> ApplicationRow {
        store::get_application(self.store.conn(), id).unwrap().unwrap()
    }

    fn new_application(&mut self, company: &str, role: &str, domain: Option<&str>, now: Timestamp) -> ApplicationId {
        let cause = Cause::Command("test".into());
        crate::planner::new_application(self.store.conn(), company, role, domain, "added", &cause, now).unwrap()
    }
}

fn envelope(from: &str) -> Envelope {
    Envelope {
        from: Some(Mailbox { name: None, email: from.into() }),
        to: vec![Mailbox { name: None, email: "priya@example.net".into() }],
        ..Envelope::default()
    }
}

fn classification(kind: MessageKind, company: Option<&str>, role: Option<&str>) -> Classification {
    Classification {
        kind,
        company: company.map(str::to_owned),
        role: role.map(str::to_owned),
        interview: None,
        reply_after: None,
        return_date: None,
        confidence: 0.95,
        reasons: Vec::new(),
    }
}

fn associated(desk: &Desk, envelope: &Envelope, classification: &Classification) -> Option<Association> {
    associate(desk.store.conn(), envelope, classification, "priya@example.net").unwrap()
}

#[test]
fn the_thread_beats_the_employer_domain() {
    let mut desk = Desk::new();
    let now = ts("2026-11-20T00:00:00Z");
    let acme = desk.new_application("Acme Robotics", "Backend Engineer", Some("acmerobotics.example"), now);
    let globex = desk.new_application("Globex", "Site Reliability Engineer", Some("globex.example"), now);
    let root = MessageRow {
        application_id: Some(globex),
        direction: "in".into(),
        message_id: Some("root@globex.example".into()),
        status: "applied".into(),
        ..MessageRow::default()
    };
    store::insert_message(desk.store.conn(), &root, now).unwrap();

    let mut reply = envelope("maya.chen@acmerobotics.example");
    let timeline = classification(MessageKind::Timeline, Some("Acme Robotics"), None);
    assert_eq!(associated(&desk, &reply, &timeline), Some(Association { application: acme, by: Matched::Employer }));
    reply.references = vec!["unknown@elsewhere.example".into(), "root@globex.example".into()];
    assert_eq!(associated(&desk, &reply, &timeline), Some(Association { application: globex, by: Matched::Thread }));
}

#[test]
fn the_employer_domain_and_the_role_pick_the_application() {
    let mut desk = Desk::new();
    let sre =
        desk.new_application("Globex", "Site Reliability Engineer", Some("globex.example"), ts("2026-11-01T00:00:00Z"));
    let data = desk.new_application("Globex", "Data Engineer", Some("globex.example"), ts("2026-11-02T00:00:00Z"));
    let from = envelope("dana@mail.globex.example");
    let pick = |kind, role| associated(&desk, &from, &classification(kind, None, role)).map(|found| found.application);

    assert_eq!(pick(MessageKind::Timeline, Some("Site Reliability Engineer")), Some(sre));
    assert_eq!(pick(MessageKind::Timeline, Some("data engineer")), Some(data), "roles match without case");
    assert_eq!(pick(MessageKind::Timeline, None), Some(data), "no role: the most recently active one");
    // Another role: an invitation starts a new application; a timeline still belongs here.
    assert_eq!(pick(MessageKind::InterviewInvitation, Some("Product Manager")), None);
    assert_eq!(pick(MessageKind::Timeline, Some("Product Manager")), Some(data));
}

#[test]
fn free_mail_and_ats_domains_never_identify_an_employer() {
    assert_eq!(employer_domain("recruiter@gmail.com"), None);
    assert_eq!(employer_domain("no-reply@jobs.lever.co"), None);
    assert_eq!(employer_domain("notifications@acme.myworkday.com"), None);
    assert_eq!(employer_domain("team@calendly.com"), None);
    assert_eq!(employer_domain("jane@mail.acme.co.uk").as_deref(), Some("acme.co.uk"));

    let mut desk = Desk::new();
    let zephyr = desk.new_application("Zephyr Labs", "Engineer", None, ts("2026-11-01T00:00:00Z"));
    let stranger = envelope("someone.else@gmail.com");
    assert_eq!(associated(&desk, &stranger, &classification(MessageKind::Timeline, None, None)), None);
    // The company name is the fallback when no domain identifies the employer.
    let named = classification(MessageKind::Timeline, Some("Zephyr Labs"), None);
    assert_eq!(associated(&desk, &stranger, &named).map(|found| found.application), Some(zephyr));
}

#[test]
fn a_message_that_matches_nothing_and_starts_nothing_is_ignored() {
    let mut desk = Desk::new();
    let ingested = desk.ingest(TIMELINE_IN_THREAD, ts("2026-12-02T00:00:00Z"));
    assert_eq!(ingested.outcome, Outcome::Ignored, "{}", ingested.summary);
    assert_eq!((ingested.application, desk.count("applications")), (None, 0));
    let row = store::get_message(desk.store.conn(), ingested.message.unwrap()).unwrap().unwrap();
    assert_eq!((row.status.as_str(), row.kind.as_deref()), ("ignored", Some("timeline")));
}

#[test]
fn a_confirmation_starts_an_application_with_its_interviewers_and_contact() {
    let mut desk = Desk::new();
    let ingested = desk.ingest(CONFIRMATION, ts("2026-11-25T00:00:00Z"));
    assert_eq!(ingested.outcome, Outcome::Applied, "{}", ingested.summary);
    let app = desk.application(ingested.application.unwrap());
    assert_eq!((app.company.as_str(), app.role.as_str()), ("Acme Robotics", "Backend Engineer"));
    assert_eq!(
        (app.state, app.employer_domain.as_deref()),
        (ApplicationState::Scheduled, Some("acmerobotics.example"))
    );
    let rounds = store::rounds_of(desk.store.conn(), app.id).unwrap();
    let interviewers: Vec<_> =
        rounds[0].interviewers.iter().map(|p| (p.name.clone().unwrap(), p.email.clone().unwrap())).collect();
    assert_eq!(
        interviewers,
        [
            ("Jane Doe".to_owned(), "jane.doe@acmerobotics.example".to_owned()),
            ("Bob Lee".to_owned(), "bob.lee@acmerobotics.example".to_owned())
        ]
    );
    assert_eq!(rounds[0].time_zone.as_deref(), Some("America/Los_Angeles"));
    let contact = store::get_person(desk.store.conn(), app.contact_person_id.unwrap()).unwrap().unwrap();
    assert_eq!(contact.email.as_deref(), Some("maya.chen@acmerobotics.example"));
    let row = store::get_message(desk.store.conn(), ingested.message.unwrap()).unwrap().unwrap();
    assert_eq!(
        row.effect.as_deref(),
        Some(
            "new application 1 (Acme Robotics, Backend Engineer); interview round 1 on Wed 2026-12-02 10:00 PST added; now scheduled"
        )
    );
    // Every change names the message as its cause (`debrief history`).
    let history = store::history_of(desk.store.conn(), app.id).unwrap();
    assert!(history.iter().all(|entry| entry.cause_message == ingested.message), "{history:?}");
}

#[test]
fn a_message_ingested_twice_changes_nothing_the_second_time() {
    let mut desk = Desk::new();
    let first = desk.ingest(CONFIRMATION, ts("2026-11-25T00:00:00Z"));
    let tables = ["messages", "applications", "rounds", "drafts", "history", "people"];
    let before: Vec<i64> = tables.iter().map(|table| desk.count(table)).collect();
    // Later, after the interview ended: a second reading must not act again.
    let second = desk.ingest(CONFIRMATION, ts("2026-12-03T01:00:00Z"));
    assert_eq!(second.outcome, Outcome::Duplicate);
    assert_eq!(second.message, first.message);
    let after: Vec<i64> = tables.iter().map(|table| desk.count(table)).collect();
    assert_eq!(before, after);

    // Without a Message-ID, the same bytes get the same synthetic one.
    let bare = b"From: Someone <someone@nowhere.example>\r\nTo: priya@example.net\r\nSubject: Hello\r\nDate: Tue, 01 Dec 2026 10:00:00 -0800\r\n\r\nHello there, just saying hi.\r\n";
    let once = desk.ingest(bare, ts("2026-12-02T00:00:00Z"));
    assert_ne!(once.outcome, Outcome::Duplicate);
    assert_eq!(desk.ingest(bare, ts("2026-12-02T00:00:00Z")).outcome, Outcome::Duplicate);
    assert_eq!(synthetic_message_id(bare), synthetic_message_id(bare));
    assert_ne!(synthetic_message_id(bare), synthetic_message_id(b"other"));
}

#[test]
fn an_unparseable_message_is_recorded_as_an_error_and_the_next_one_is_processed() {
    let mut desk = Desk::new();
    let now = ts("2026-11-25T00:00:00Z");
    let bad = desk.ingest(UNPARSEABLE, now);
    assert_eq!(bad.outcome, Outcome::Error);
    let row = store::get_message(desk.store.conn(), bad.message.unwrap()).unwrap().unwrap();
    assert_eq!(row.status, "error");
    assert!(row.error.as_deref().is_some_and(|error| error.contains("could not be parsed")), "{row:?}");
    assert_eq!(desk.ingest(UNPARSEABLE, now).outcome, Outcome::Duplicate, "the same bad bytes are one error");
    assert_eq!(desk.ingest(CONFIRMATION, now).outcome, Outcome::Applied);
    assert_eq!(desk.count("applications"), 1);
}

#[test]
fn a_message_over_the_structural_limits_is_recorded_unread_with_the_reason() {
    let mut desk = Desk::new();
    let now = ts("2026-11-25T00:00:00Z");
    let mut deep = String::from("From: a@acme.example\r\nSubject: fwd\r\n");
    for level in 0..40 {
        deep.push_str(&format!("Content-Type: message/rfc822\r\n\r\nSubject: level {level}\r\n"));
    }
    deep.push_str("\r\nhello\r\n");
    let refused = desk.ingest(deep.as_bytes(), now);
    assert_eq!(refused.outcome, Outcome::Error);
    let row = store::get_message(desk.store.conn(), refused.message.unwrap()).unwrap().unwrap();
    assert_eq!(row.status, "error");
    assert_eq!(
        row.error.as_deref(),
        Some("/test/message: refused unread: its parts are nested more than 32 levels deep"),
        "where it is, then why"
    );
    assert_eq!(desk.ingest(deep.as_bytes(), now).outcome, Outcome::Duplicate, "and it is not retried");
}

#[test]
fn a_quarantined_place_is_skipped_unparsed_and_keeps_its_one_row() {
    let mut desk = Desk::new();
    let now = ts("2026-11-25T00:00:00Z");
    // `Desk::ingest` reads from this place.
    let origin = Origin::Maildir { dir: "/test".into(), name: "message".into() };
    let quarantined = crate::quarantine::record(desk.store.conn(), &origin, now).unwrap().unwrap();
    let skipped = desk.ingest(CONFIRMATION, now);
    assert_eq!(skipped.outcome, Outcome::Duplicate);
    assert_eq!(skipped.message, Some(quarantined));
    assert!(skipped.summary.contains("quarantined"), "{}", skipped.summary);
    assert_eq!(desk.count("applications"), 0, "the message was not read");
    assert_eq!(desk.count("messages"), 1);
}

/// Issue 11: the first scan prepares a message on another thread, then ingests what was
/// prepared; that gives what `ingest` gives, rows and outcome, for each kind of path.
#[test]
fn a_message_prepared_apart_then_ingested_is_recorded_as_ingest_records_it() {
    let now = ts("2026-11-25T00:00:00Z");
    let bulk = b"From: News <news@letters.example>\r\nTo: priya@example.net\r\nSubject: This week\r\n\
                 List-Id: <weekly.letters.example>\r\nMessage-ID: <week-1@letters.example>\r\n\r\nHello.\r\n";
    for raw in [CONFIRMATION, REJECTION, UNPARSEABLE, &bulk[..], CONFIRMATION] {
        let mut whole = Desk::new();
        let mut apart = Desk::new();
        let direct = whole.ingest(raw, now);
        let origin = Origin::Maildir { dir: "/test".into(), name: "message".into() };
        let preparer = Preparer::new(apart.store.conn(), &apart.planner()).unwrap();
        let prepared = std::thread::scope(|scope| scope.spawn(|| preparer.prepare(raw, &origin)).join().unwrap());
        let planner = Planner { config: &apart.config, templates: &apart.templates };
        let tx = apart.store.transaction().unwrap();
        let split = ingest_prepared(&tx, &planner, raw, &origin, prepared, now).unwrap();
        tx.commit().unwrap();
        assert_eq!((split.outcome, &split.summary), (direct.outcome, &direct.summary));
        for table in ["messages", "applications", "drafts", "history"] {
            assert_eq!(apart.count(table), whole.count(table), "{table}");
        }
    }
    let desk = Desk::new();
    let preparer = Preparer::new(desk.store.conn(), &desk.planner()).unwrap();
    let origin = Origin::Maildir { dir: "/test".into(), name: "message".into() };
    assert!(matches!(preparer.prepare(bulk, &origin), Prepared::Bulk { .. }), "the bulk path was taken");
}

/// A place quarantined before the preparer was made is not parsed by it (it would kill
/// the process again); the store step then finds it quarantined.
#[test]
fn the_preparer_does_not_parse_a_quarantined_place() {
    let mut desk = Desk::new();
    let now = ts("2026-11-25T00:00:00Z");
    let origin = Origin::Maildir { dir: "/test".into(), name: "message".into() };
    let quarantined = crate::quarantine::record(desk.store.conn(), &origin, now).unwrap().unwrap();
    let preparer = Preparer::new(desk.store.conn(), &desk.planner()).unwrap();
    assert!(matches!(preparer.prepare(CONFIRMATION, &origin), Prepared::Quarantined));
    let elsewhere = Origin::Maildir { dir: "/test".into(), name: "other".into() };
    assert!(matches!(preparer.prepare(CONFIRMATION, &elsewhere), Prepared::Classified(Ok(_))));
    let planner = Planner { config: &desk.config, templates: &desk.templates };
    let tx = desk.store.transaction().unwrap();
    let skipped = ingest_prepared(&tx, &planner, CONFIRMATION, &origin, Prepared::Quarantined, now).unwrap();
    tx.commit().unwrap();
    assert_eq!((skipped.outcome, skipped.message), (Outcome::Duplicate, Some(quarantined)));
    assert_eq!(desk.count("applications"), 0, "the message was not read");
}

#[test]
fn below_the_threshold_a_message_waits_for_review_and_confirm_applies_it() {
    let mut desk = Desk::with_policy("confidence_threshold = 0.99");
    let now = ts("2026-11-25T00:00:00Z");
    let held = desk.ingest(CONFIRMATION, now);
    assert_eq!(held.outcome, Outcome::NeedsReview);
    assert_eq!((desk.count("applications"), desk.count("drafts")), (0, 0));
    let waiting = store::messages_with_status(desk.store.conn(), "needs_review").unwrap();
    assert_eq!(waiting.len(), 1);

    let message = held.message.unwrap();
    let planner = Planner { config: &desk.config, templates: &desk.templates };
    let tx = desk.store.transaction().unwrap();
    let confirmed = confirm(&tx, &planner, message, None, None, now).unwrap();
    tx.commit().unwrap();
    assert_eq!(confirmed.outcome, Outcome::Applied, "{}", confirmed.summary);
    let app = desk.application(confirmed.application.unwrap());
    assert_eq!((app.company.as_str(), app.state), ("Acme Robotics", ApplicationState::Scheduled));
    assert_eq!(store::rounds_of(desk.store.conn(), app.id).unwrap().len(), 1);

    // Once applied, it is no longer waiting; unknown ids say where to look.
    let planner = Planner { config: &desk.config, templates: &desk.templates };
    let again = confirm(desk.store.conn(), &planner, message, None, None, now).unwrap_err().to_string();
    assert!(again.contains("is applied, not waiting for review"), "{again}");
    let unknown = confirm(desk.store.conn(), &planner, MessageId(99), None, None, now).unwrap_err().to_string();
    assert!(unknown.contains("there is no message 99"), "{unknown}");
}

#[test]
fn a_rejection_drafts_a_rejection_reply_in_its_thread() {
    let mut desk = Desk::new();
    let now = ts("2026-11-28T00:00:00Z");
    let initech = desk.new_application("Initech", "Data Engineer", Some("initech.example"), ts("2026-11-05T00:00:00Z"));
    let ingested = desk.ingest(REJECTION, now);
    assert_eq!((ingested.outcome, ingested.application), (Outcome::Applied, Some(initech)), "{}", ingested.summary);
    assert_eq!(desk.application(initech).state, ApplicationState::Rejected);
    let drafts = store::drafts_of(desk.store.conn(), initech).unwrap();
    assert_eq!(drafts.len(), 1);
    let draft = &drafts[0];
    assert_eq!((draft.kind, draft.status), (DraftKind::RejectionReply, DraftStatus::Pending));
    assert_eq!(draft.to, ["tom.becker@initech.example"]);
    assert_eq!(draft.in_reply_to.as_deref(), Some("tb-20261127-data-eng@initech.example"));
    assert_eq!(draft.reply_to_message, ingested.message);
    let row = store::get_message(desk.store.conn(), ingested.message.unwrap()).unwrap().unwrap();
    assert_eq!(row.effect.as_deref(), Some("rejection received; now rejected; 1 rejection reply draft"));
}

#[test]
fn a_reply_in_the_thread_cancels_pending_follow_ups() {
    let mut desk = Desk::new();
    // The interview ends, the notes go out; a week later the first follow-up is drafted,
    // to the recruiter.
    let (app, follow_up) = desk.following_up();

    // The recruiter answers the follow-up from a personal address: only the thread ties
    // it to the application.
    let reply = format!(
        "From: Maya Chen <maya.chen.recruits@gmail.com>\r\nTo: Priya Raman <priya@example.net>\r\n\
         Subject: Re: {}\r\nDate: Wed, 09 Dec 2026 09:00:00 -0800\r\nMessage-ID: <maya-answer@mail.gmail.com>\r\n\
         In-Reply-To: <{}>\r\nReferences: <{}>\r\n\r\n\
         Hi Priya,\r\n\r\nThanks for checking in! No news yet, I will let you know as soon as I hear from the team.\r\n\r\nMaya\r\n",
        follow_up.subject, follow_up.message_id, follow_up.message_id
    );
    let ingested = desk.ingest(reply.as_bytes(), ts("2026-12-09T17:30:00Z"));
    assert_eq!((ingested.outcome, ingested.application), (Outcome::Applied, Some(app)), "{}", ingested.summary);
    let after = store::get_draft(desk.store.conn(), follow_up.id).unwrap().unwrap();
    assert_eq!(after.status, DraftStatus::Cancelled, "{}", ingested.summary);
}

/// Regression: an employer's answer the classifier was unsure of waited in `debrief inbox`
/// and the approved follow-up went out anyway (found by tests/daemon.rs). An uncertain
/// human answer in the thread is still an answer: it stops the follow-ups at once.
#[test]
fn an_uncertain_answer_in_the_thread_is_held_for_review_but_still_stops_the_follow_ups() {
    let mut desk = Desk::new();
    let (app, follow_up) = desk.following_up();
    store::approve_draft(desk.store.conn(), follow_up.id, DraftStatus::Pending, ts("2026-12-08T21:00:00Z")).unwrap();

    let reply = format!(
        "From: Maya Chen <maya.chen.recruits@gmail.com>\r\nTo: Priya Raman <priya@example.net>\r\n\
         Subject: Re: {}\r\nDate: Wed, 09 Dec 2026 09:00:00 -0800\r\nMessage-ID: <maya-unsure@mail.gmail.com>\r\n\
         In-Reply-To: <{}>\r\nReferences: <{}>\r\n\r\n\
         Hi, thanks for your patience. The team is still talking to candidates.\r\n",
        follow_up.subject, follow_up.message_id, follow_up.message_id
    );
    let ingested = desk.ingest(reply.as_bytes(), ts("2026-12-09T17:30:00Z"));
    assert_eq!((ingested.outcome, ingested.application), (Outcome::NeedsReview, Some(app)), "{}", ingested.summary);
    let after = store::get_draft(desk.store.conn(), follow_up.id).unwrap().unwrap();
    assert_eq!(after.status, DraftStatus::Cancelled, "the approved follow-up must not go: {}", ingested.summary);
    let row = store::get_message(desk.store.conn(), ingested.message.unwrap()).unwrap().unwrap();
    assert_eq!(row.status, "needs_review");
    assert!(row.effect.unwrap().contains("follow-ups start again"));
}

#[test]
fn the_users_own_message_changes_nothing_but_threads_the_answers() {
    let mut desk = Desk::new();
    let globex =
        desk.new_application("Globex", "Site Reliability Engineer", Some("globex.example"), ts("2026-11-23T00:00:00Z"));
    let own = b"From: Priya Raman <priya@example.net>\r\nTo: Dana Whitfield <dana.whitfield@globex.example>\r\n\
Subject: Re: Interview invitation\r\nDate: Tue, 24 Nov 2026 08:02:00 -0800\r\n\
Message-ID: <reply-to-dana.1764010000@example.net>\r\n\r\nHi Dana, I am free Monday to Thursday afternoons next week.\r\n";
    let ingested = desk.ingest(own, ts("2026-11-24T17:00:00Z"));
    assert_eq!((ingested.outcome, ingested.application), (Outcome::Ignored, Some(globex)));
    let row = store::get_message(desk.store.conn(), ingested.message.unwrap()).unwrap().unwrap();
    assert_eq!(row.direction, "out");
    assert_eq!(desk.count("history"), 1, "only the application's creation");
    // The answer to it comes from another address, and is found by the thread.
    assert_eq!(
        store::application_of_thread(desk.store.conn(), &["reply-to-dana.1764010000@example.net".to_owned()]).unwrap(),
        Some(globex)
    );
}

const NEWSLETTER: &[u8] = b"From: Weekly Finds <news@weeklyfinds.example>\r\n\
To: Priya Raman <priya@example.net>\r\n\
Subject: Ten gadgets for your desk\r\n\
Date: Fri, 27 Nov 2026 10:00:00 -0800\r\n\
Message-ID: <issue-48@mail.weeklyfinds.example>\r\n\
List-Id: Weekly Finds <weekly.weeklyfinds.example>\r\n\
List-Unsubscribe: <https://weeklyfinds.example/u/48>\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\n\
This week: lamps, stands and a very small fan.\r\n";

/// Issue 11: obvious bulk mail from a sender no application knows is recorded from its
/// headers, without classifying its body, and is still read once.
#[test]
fn obvious_bulk_mail_is_recorded_from_its_headers_without_classifying() {
    let mut desk = Desk::new();
    let now = ts("2026-11-28T00:00:00Z");
    let ingested = desk.ingest(NEWSLETTER, now);
    assert_eq!(ingested.outcome, Outcome::Ignored, "{}", ingested.summary);
    let row = store::get_message(desk.store.conn(), ingested.message.unwrap()).unwrap().unwrap();
    assert_eq!(row.classification, None, "the body was not classified");
    assert_eq!(row.kind.as_deref(), Some("unrelated"));
    assert_eq!(row.message_id.as_deref(), Some("issue-48@mail.weeklyfinds.example"));
    assert!(row.effect.as_deref().unwrap_or_default().contains("bulk mail"), "{:?}", row.effect);
    assert_eq!(desk.ingest(NEWSLETTER, now).outcome, Outcome::Duplicate);
    assert_eq!(desk.count("applications"), 0);
}

/// The cheap path never hides an employer's answer: bulk headers from a known
/// employer's domain, or from an applicant tracking system, take the full path.
#[test]
fn bulk_mail_from_a_known_employer_or_an_ats_is_classified() {
    let mut desk = Desk::new();
    let now = ts("2026-11-28T00:00:00Z");
    let initech = desk.new_application("Initech", "Data Engineer", Some("initech.example"), ts("2026-11-05T00:00:00Z"));
    let text =
        String::from_utf8_lossy(REJECTION).replacen("MIME-Version: 1.0", "Precedence: bulk\nMIME-Version: 1.0", 1);
    let ingested = desk.ingest(text.as_bytes(), now);
    assert_eq!((ingested.outcome, ingested.application), (Outcome::Applied, Some(initech)), "{}", ingested.summary);
    assert_eq!(desk.application(initech).state, ApplicationState::Rejected);

    let ats = "From: Hooli Recruiting <no-reply@greenhouse-mail.io>\r\nTo: priya@example.net\r\n\
Subject: Thank you for applying to Hooli\r\nDate: Fri, 27 Nov 2026 10:00:00 -0800\r\n\
Message-ID: <gh-1@greenhouse-mail.io>\r\nPrecedence: bulk\r\n\r\n\
Hi Priya,\r\n\r\nThank you for applying for the Backend Engineer role at Hooli. We have received your application \
and will review it shortly.\r\n\r\nThe Hooli recruiting team\r\n";
    let ingested = desk.ingest(ats.as_bytes(), now);
    let row = store::get_message(desk.store.conn(), ingested.message.unwrap()).unwrap().unwrap();
    assert!(row.classification.is_some(), "mail from an ATS is classified: {}", ingested.summary);
}

#[test]
fn a_missed_reschedule_is_confirmed_with_the_facts_the_user_gives() {
    let mut desk = Desk::with_policy("confidence_threshold = 0.99");
    let now = ts("2026-11-25T00:00:00Z");
    let first = desk.ingest(CONFIRMATION, now).message.unwrap();
    let planner = Planner { config: &desk.config, templates: &desk.templates };
    let app = confirm(desk.store.conn(), &planner, first, None, None, now).unwrap().application.unwrap();
    let before = store::rounds_of(desk.store.conn(), app).unwrap();
    // The next message in the thread was really a reschedule, which the classifier missed.
    let held = desk.ingest(TIMELINE_IN_THREAD, now).message.unwrap();
    let planner = Planner { config: &desk.config, templates: &desk.templates };
    let refused = confirm(desk.store.conn(), &planner, held, Some(MessageKind::InterviewRescheduled), Some(app), now)
        .unwrap_err()
        .to_string();
    assert!(refused.contains("give it with --start"), "{refused}");
    let patch = InterviewPatch {
        start: Some(ts("2026-12-04T18:00:00Z")),
        minutes: Some(45),
        interviewers: vec![crate::classify::Participant {
            name: Some("Carol Ng".into()),
            email: Some("carol.ng@acme.example".into()),
        }],
        time_zone: Some("America/Los_Angeles".into()),
    };
    let tx = desk.store.transaction().unwrap();
    let kind = Some(MessageKind::InterviewRescheduled);
    let confirmed = confirm_with(&tx, &planner, held, kind, Some(app), &patch, now).unwrap();
    tx.commit().unwrap();
    assert_eq!(confirmed.outcome, Outcome::Applied, "{}", confirmed.summary);
    let after = store::rounds_of(desk.store.conn(), app).unwrap();
    assert_eq!(after.len(), before.len(), "the round moved; no second round");
    assert_eq!((after[0].start, after[0].end), (ts("2026-12-04T18:00:00Z"), ts("2026-12-04T18:45:00Z")));
    assert!(after[0].interviewers.iter().any(|person| person.email.as_deref() == Some("carol.ng@acme.example")));
}

#[test]
fn a_message_calls_for_the_references_when_it_asks_for_them_names_a_final_round_or_is_an_offer() {
    let human = Event::HumanReplyReceived;
    let invited = Event::InvitedToInterview;
    let asked = Some(ReferenceCue::Asked);
    let cases: [(&Event, &str, &str, Option<ReferenceCue>); 12] = [
        (
            &human,
            "Re: Backend Engineer",
            "Could you send us the contact details of two\nprofessional references?",
            asked,
        ),
        (&human, "Next steps", "We would like to run a reference check this week.", asked),
        (&human, "References", "Whenever you are ready.", asked),
        (&human, "Re: Next steps", "Please share three references from recent roles by Friday.", asked),
        (
            &invited,
            "Final round",
            "We would like to invite you to a final-round interview with the team.",
            Some(ReferenceCue::FinalRound),
        ),
        (&Event::OfferReceived, "Offer", "We are delighted to offer you the role.", Some(ReferenceCue::Offer)),
        // Not a request: singular "reference", someone else's references, or no interview.
        (&human, "Re: Backend Engineer", "With reference to your question, the team sits in Austin.", None),
        (&human, "Re: Backend Engineer", "For reference, the office opens at nine.", None),
        (&human, "Re: Backend Engineer", "Thanks, we will be in touch next week.", None),
        (&human, "Re: Backend Engineer", "This was our final round of hiring this year.", None),
        (&invited, "Second round", "We would like to invite you to a second interview.", None),
        // Quoted history is not the sender's words: the caller passes only their own.
        (&human, "Re: Thank you", "Thanks for the note!", None),
    ];
    for (event, subject, words, expected) in cases {
        assert_eq!(reference_cue(event, Some(subject), words), expected, "{subject:?} / {words:?}");
    }
}

#[test]
fn a_name_is_learnt_from_the_sign_off_when_it_fits_the_senders_address() {
    let cases: [(&str, &str, Option<&str>); 9] = [
        ("Best,\nJane Doe\nEngineering Manager, Acme Robotics", "jane.doe@acme.example", Some("Jane Doe")),
        ("Thanks,\nJane", "jdoe@acme.example", None),
        ("Thanks,\nJane Doe", "jdoe@acme.example", Some("Jane Doe")),
        ("Thanks, Carol", "carol@acme.example", Some("Carol")),
        ("--\nMaya Patel\n+1 555 0100", "mpatel@acme.example", Some("Maya Patel")),
        // A team's sign-off, someone else's signature, or no name at all.
        ("Best regards,\nThe Acme Recruiting Team", "jobs@acme.example", None),
        ("Best,\nJane Doe", "recruiting@acme.example", None),
        ("Best,\nSent from my phone", "jane@acme.example", None),
        ("Regards,\nJ4ne D0e", "jane@acme.example", None),
    ];
    for (signature, address, expected) in cases {
        assert_eq!(name_from_signature(signature, address).as_deref(), expected, "{signature:?} from {address}");
    }
}

#[test]
fn a_sender_without_a_display_name_is_named_by_their_sign_off_and_greeted_so() {
    let raw = b"From: jane.doe@acme.example\r\nTo: priya@example.net\r\nSubject: Re: Backend Engineer\r\n\
Date: Thu, 03 Dec 2026 09:30:00 -0800\r\nMessage-ID: <signed-1@acme.example>\r\n\r\n\
Hi Priya,\r\n\r\nThanks for the chat. We will get back to you by the end of next week.\r\n\r\n\
Best,\r\nJane Doe\r\nEngineering Manager\r\n";
    let mut desk = Desk::new();
    let app = desk.new_application("Acme", "Backend Engineer", Some("acme.example"), ts("2026-12-01T00:00:00Z"));
    let ingested = desk.ingest(raw, ts("2026-12-03T18:00:00Z"));
    let row = store::get_message(desk.store.conn(), ingested.message.unwrap()).unwrap().unwrap();
    assert_eq!(row.from_name.as_deref(), Some("Jane Doe"), "{ingested:?}");
    // The planner's greeting reads it as any display name.
    let jane = store::upsert_person(desk.store.conn(), None, Some("jane.doe@acme.example"), ts("2026-12-03T18:00:00Z"))
        .unwrap();
    let person = store::get_person(desk.store.conn(), jane).unwrap().unwrap();
    assert_eq!(crate::planner::known_name(desk.store.conn(), app, &person).unwrap().as_deref(), Some("Jane Doe"));
}

/// A delivery report written for this test (RFC 3464) about `address`.
fn delivery_report(address: &str, message_id: &str) -> String {
    format!(
        "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\r\nTo: priya@example.net\r\n\
         Subject: Returned mail: see transcript for details\r\nDate: Wed, 09 Dec 2026 09:00:00 -0800\r\n\
         Message-ID: <{message_id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nYour message did not reach everyone.\r\n\r\n\
         --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n\
         Final-Recipient: rfc822; {address}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b--\r\n"
    )
}

#[test]
fn a_bounce_counts_only_for_addresses_debrief_writes_to_and_leaves_a_claimed_follow_up_to_the_outbox() {
    let mut desk = Desk::new();
    let (app, follow_up) = desk.following_up();
    let contact = follow_up.to[0].clone();

    // A report about someone debrief never wrote to changes nothing.
    let ingested =
        desk.ingest(delivery_report("stranger@elsewhere.example", "r1@mx").as_bytes(), ts("2026-12-09T17:00:00Z"));
    assert_eq!((ingested.outcome, ingested.application), (Outcome::Ignored, None), "{}", ingested.summary);
    assert_eq!(desk.count("refused_addresses"), 0);

    // The outbox claimed the follow-up a moment before the report about its address came:
    // it is the outbox's now (its own SMTP answer decides), but no further one is planned.
    let conn = desk.store.conn();
    assert!(
        store::set_draft_status(
            conn,
            follow_up.id,
            DraftStatus::Pending,
            DraftStatus::Sending,
            None,
            ts("2026-12-09T17:29:00Z")
        )
        .unwrap()
    );
    let ingested =
        desk.ingest(delivery_report(&contact.to_uppercase(), "r2@mx").as_bytes(), ts("2026-12-09T17:30:00Z"));
    assert_eq!((ingested.outcome, ingested.application), (Outcome::Applied, Some(app)), "{}", ingested.summary);
    assert_eq!(ingested.report.drafts_cancelled, 0);
    let after = store::get_draft(desk.store.conn(), follow_up.id).unwrap().unwrap();
    assert_eq!(after.status, DraftStatus::Sending);
    let refusal = store::refused_address(desk.store.conn(), &contact).unwrap().expect("recorded");
    assert_eq!((refusal.status.as_str(), refusal.message), ("5.1.1", ingested.message.unwrap()));
    let why = desk.planner().why_no_follow_up(desk.store.conn(), app).unwrap().unwrap();
    assert!(
        why.contains(&format!("{contact} refused your mail for good"))
            && why.contains("Returned mail: see transcript for details"),
        "{why}"
    );
    // The report is nobody's answer: it belongs to no application.
    let row = store::get_message(desk.store.conn(), ingested.message.unwrap()).unwrap().unwrap();
    assert_eq!((row.application_id, row.kind.as_deref()), (None, Some("unrelated")));
}

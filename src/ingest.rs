//! Ingest: the one path every incoming message takes, whatever its source (a Maildir
//! today, the IMAP watcher next).
//!
//! A message is classified with the user's own address, de-duplicated by its
//! Message-ID, associated with an application (SPEC §3: by thread, then by employer
//! domain and role, then not at all), and, when the classifier is confident enough,
//! turned into an [`Event`] that the planner applies with the message as its cause.
//! Everything happens in the caller's transaction, so the caller records its own
//! progress (an IMAP UID, a Maildir file name) in the same commit (SPEC §6.4).
//!
//! [`ingest`] is two steps that a caller may also run apart, on two threads: the parse
//! and the classification, which need no database ([`Preparer::prepare`]), then
//! everything that reads or writes the store ([`ingest_prepared`]). The IMAP watcher
//! prepares the next messages while it stores the ones before (issue 11).
//!
//! What it does not do: read mail from anywhere (sources hand it bytes), decide the
//! process's rules (the domain core does), or fail on bad mail: a message that cannot
//! be read is recorded with status `error` and its error, and the next one goes on
//! (SPEC §6.5). Only database errors are returned as `Err`.

use crate::classify::envelope::is_robot_address;
use crate::classify::fields::employer_domain;
use crate::classify::{Classification, ClassifiedMessage, Envelope, InterviewFacts, MessageKind, classify_message_for};
use crate::domain::process::{Contact, Event, ReferenceCue, Slot};
use crate::domain::threading::clean_header_value;
use crate::domain::{ApplicationId, DraftKind, MessageId};
use crate::planner::{PlanReport, Planner, not_found};
use crate::store::{self, ApplicationRow, Cause, MessageRow};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use regex::Regex;
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Where a message was read from; recorded with it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Origin {
    Imap { mailbox: String, uid_validity: u32, uid: u32 },
    Maildir { dir: String, name: String },
}

impl Origin {
    /// Where it is, for people: "INBOX UID 7", or the Maildir and the file's unique name
    /// ("/home/sam/Mail/1764700000.M1P2.host", the file being in its new/ or cur/).
    pub fn place(&self) -> String {
        match self {
            Origin::Imap { mailbox, uid, .. } => format!("{mailbox} UID {uid}"),
            Origin::Maildir { dir, name } => format!("{dir}/{name}"),
        }
    }

    /// Where it is, as one key that no other message has (the `quarantined` table's).
    pub fn source_key(&self) -> String {
        match self {
            Origin::Imap { mailbox, uid_validity, uid } => format!("imap\t{uid_validity}\t{uid}\t{mailbox}"),
            Origin::Maildir { dir, name } => format!("maildir\t{dir}\t{name}"),
        }
    }
}

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It changed an application (or confirmed what it already knew).
    Applied,
    /// It matches no application and starts none, or it is the user's own mail.
    Ignored,
    /// The classifier was not sure enough: listed in `debrief inbox`.
    NeedsReview,
    /// Its Message-ID was seen before: nothing changed.
    Duplicate,
    /// It could not be read: recorded with its error and skipped.
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Ignored => "ignored",
            Outcome::NeedsReview => "needs_review",
            Outcome::Duplicate => "duplicate",
            Outcome::Error => "error",
        }
    }
}

/// The result of ingesting one message.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// The message's row (for a duplicate, the row recorded the first time).
    pub message: Option<MessageId>,
    pub application: Option<ApplicationId>,
    pub outcome: Outcome,
    /// One plain sentence for logs.
    pub summary: String,
    pub report: PlanReport,
}

impl Ingested {
    /// Logs the summary: at info when the message changed something or needs the user
    /// (applied, held for review, unreadable), at debug when it was ignored or already
    /// known, so that a scan of a mailbox full of newsletters writes no line per message.
    pub fn log(&self) {
        match self.outcome {
            Outcome::Applied | Outcome::NeedsReview | Outcome::Error => tracing::info!("{}", self.summary),
            Outcome::Ignored | Outcome::Duplicate => tracing::debug!("{}", self.summary),
        }
    }
}

/// How a message was tied to its application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matched {
    /// In-Reply-To/References name a message the application has seen or sent.
    Thread,
    /// The sender's employer domain (or, failing that, the company name) and the role.
    Employer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Association {
    pub application: ApplicationId,
    pub by: Matched,
}

/// Reads one raw message into the store and applies what it says. See the module docs.
pub fn ingest(
    conn: &Connection,
    planner: &Planner,
    raw: &[u8],
    origin: &Origin,
    now: Timestamp,
) -> anyhow::Result<Ingested> {
    // A message during which debrief died once is not parsed again (issue 9).
    if let Some(message) = store::quarantined_message(conn, &origin.source_key())? {
        return Ok(quarantined(message, origin));
    }
    let own_address = own_address(planner);
    let prepared = prepare_unquarantined(crate::quarantine::database_of(conn).as_deref(), raw, origin, &own_address);
    ingest_prepared(conn, planner, raw, origin, prepared, now)
}

/// What [`Preparer::prepare`] made of a message without the database: the parse and the
/// classification, the CPU-bound part of [`ingest`], which a first scan runs on a thread
/// of its own while the store applies the messages before (`watcher`, issue 11).
#[derive(Debug)]
pub enum Prepared {
    /// The message's place was quarantined when the preparer was made: not parsed.
    Quarantined,
    /// Bulk mail by its headers alone (see `record_obvious_bulk`), its body unread. Whether
    /// an application knows its employer or thread is the store's to say: if one does, it
    /// is classified in full there.
    Bulk { envelope: Box<Envelope>, domain: String },
    /// Parsed and classified, or why it could not be read.
    Classified(Result<Box<ClassifiedMessage>, String>),
}

/// Prepares messages for [`ingest_prepared`] away from the database: what it needs of the
/// database (where it is, for the quarantine marker, and which places are quarantined)
/// is read once, when it is made.
#[derive(Debug, Clone)]
pub struct Preparer {
    own_address: String,
    database: Option<std::path::PathBuf>,
    quarantined: std::collections::HashSet<String>,
}

impl Preparer {
    /// A preparer for messages that go into the database of `conn`. Quarantine rows are
    /// only ever added by `quarantine::start`, before any mail is read, so the set read
    /// here stays true for the pass (and [`ingest_prepared`] checks again in the store).
    pub fn new(conn: &Connection, planner: &Planner) -> anyhow::Result<Preparer> {
        Ok(Preparer {
            own_address: own_address(planner),
            database: crate::quarantine::database_of(conn),
            quarantined: store::quarantined_sources(conn)?,
        })
    }

    /// Parses and classifies `raw` (from `origin`) under the quarantine marker, as
    /// [`ingest`] would, touching no database. Pure CPU work; any thread.
    pub fn prepare(&self, raw: &[u8], origin: &Origin) -> Prepared {
        if self.quarantined.contains(&origin.source_key()) {
            return Prepared::Quarantined;
        }
        prepare_unquarantined(self.database.as_deref(), raw, origin, &self.own_address)
    }
}

fn own_address(planner: &Planner) -> String {
    planner.config.identity.email.to_ascii_lowercase()
}

/// Parses `raw` under the quarantine marker of `database` (issue 9: if this kills the
/// process, the next start quarantines `origin`): the bulk headers first, then, unless
/// they suffice, the whole message.
fn prepare_unquarantined(
    database: Option<&std::path::Path>,
    raw: &[u8],
    origin: &Origin,
    own_address: &str,
) -> Prepared {
    let _reading = crate::quarantine::Reading::begin_at(database, origin, raw);
    if let Some((envelope, domain)) = bulk_candidate(raw, own_address) {
        return Prepared::Bulk { envelope: Box::new(envelope), domain };
    }
    Prepared::Classified(classify_message_for(raw, Some(own_address)).map(Box::new).map_err(|err| err.to_string()))
}

/// [`ingest`] with the parse and classification done already ([`Preparer::prepare`]):
/// everything that reads or writes the database, in the caller's transaction.
pub fn ingest_prepared(
    conn: &Connection,
    planner: &Planner,
    raw: &[u8],
    origin: &Origin,
    prepared: Prepared,
    now: Timestamp,
) -> anyhow::Result<Ingested> {
    if let Some(message) = store::quarantined_message(conn, &origin.source_key())? {
        return Ok(quarantined(message, origin));
    }
    let own_address = own_address(planner);
    let classified = match prepared {
        Prepared::Classified(classified) => classified,
        Prepared::Bulk { envelope, domain } => {
            if let Some(recorded) = record_obvious_bulk(conn, raw, origin, &envelope, &domain, now)? {
                return Ok(recorded);
            }
            // An application knows its employer or its thread: read it in full, here.
            let _reading = crate::quarantine::Reading::begin(conn, origin, raw);
            classify_message_for(raw, Some(&own_address)).map(Box::new).map_err(|err| err.to_string())
        }
        // Not quarantined after all (the set is read when the preparer is made): read it.
        Prepared::Quarantined => {
            let database = crate::quarantine::database_of(conn);
            let prepared = prepare_unquarantined(database.as_deref(), raw, origin, &own_address);
            return ingest_prepared(conn, planner, raw, origin, prepared, now);
        }
    };
    let classified = match classified {
        Ok(classified) => classified,
        Err(err) => return record_unreadable(conn, raw, origin, &err, now),
    };
    let ClassifiedMessage { envelope, classification, own_words, signature, refused } = *classified;
    let message_id = dedup_key(&envelope, raw);
    if let Some(seen) = store::find_message(conn, &message_id)? {
        return Ok(duplicate(&seen, &message_id));
    }
    let mut row = message_row(&envelope, &classification, message_id, origin, now)?;
    // A sender without a display name often signs with their name: learn it from there.
    if row.from_name.is_none()
        && let Some(address) = row.from_email.as_deref()
    {
        row.from_name = name_from_signature(&signature, address);
    }

    let from_user = envelope.from.as_ref().is_some_and(|from| from.email.eq_ignore_ascii_case(&own_address));
    if from_user {
        // The user's own mail changes nothing, but its Message-ID threads the answers to it.
        let association = associate_outgoing(conn, &envelope, &own_address)?;
        row.direction = "out".into();
        row.status = Outcome::Ignored.as_str().into();
        row.application_id = association;
        row.effect = Some("your own message: kept so that answers to it are threaded".into());
        let id = store::insert_message(conn, &row, now)?;
        return Ok(Ingested {
            message: Some(id),
            application: association,
            outcome: Outcome::Ignored,
            summary: format!("Message {id} is your own ({}): kept for threading.", subject_of(&row)),
            report: PlanReport::default(),
        });
    }

    // A delivery report: the addresses that refused mail for good get no more follow-ups.
    if !refused.is_empty() {
        let id = store::insert_message(conn, &row, now)?;
        return record_bounce(conn, planner, &row, id, &refused, now);
    }

    let association = associate(conn, &envelope, &classification, &own_address)?;
    let threshold = planner.config.policy.confidence_threshold;
    if classification.confidence < threshold {
        row.status = Outcome::NeedsReview.as_str().into();
        row.application_id = association.map(|found| found.application);
        row.effect = Some(format!(
            "held for review: read as {} with confidence {:.2}, below the threshold {threshold:.2}",
            classification.kind, classification.confidence
        ));
        let id = store::insert_message(conn, &row, now)?;
        // What it says is uncertain, but that the employer answered is not: a person
        // writing in an application's thread (or from its employer) stops the follow-ups
        // at once (SPEC §1, §6.3), as any human answer does. Confirming it later applies
        // what it says.
        let mut report = PlanReport::default();
        if let Some(found) = association
            && !envelope.is_automated
            && classification.kind != MessageKind::AutoReply
        {
            let application = found.application;
            let cause = Cause::Message(id);
            report = apply_and_plan(conn, planner, application, &Event::HumanReplyReceived, &row, id, now)?;
            let mut effect = row.effect.clone().unwrap_or_default();
            effect.push_str("; an answer from the employer all the same: follow-ups start again from it");
            if report.drafts_cancelled > 0 {
                effect.push_str(&format!(" ({} unsent follow-up(s) cancelled)", report.drafts_cancelled));
            }
            store::set_message_outcome(conn, id, Some(application), Outcome::NeedsReview.as_str(), Some(&effect))?;
            store::insert_history(conn, application, now, None, None, &format!("message read: {effect}"), &cause)?;
        }
        return Ok(Ingested {
            message: Some(id),
            application: row.application_id,
            outcome: Outcome::NeedsReview,
            summary: format!(
                "Message {id} from {} ({}, {:.2}) waits for review: see `debrief inbox`.",
                sender_of(&row),
                classification.kind,
                classification.confidence
            ),
            report,
        });
    }
    let id = store::insert_message(conn, &row, now)?;
    row.id = Some(id);
    act(conn, planner, &row, &classification, association, envelope.is_automated, &own_words, now)
}

/// A delivery report said these addresses refused mail for good (5.x.x; issue 12, nothing
/// to dead ends). Each one debrief knows (a person of an application; never another) is
/// recorded (`refused_addresses`), which the planner reads: no follow-up is planned to it,
/// and `queue` says why, naming the bounce. Unsent follow-ups to it are cancelled, each
/// only if it is still as it was read (pending or approved: one the outbox has claimed is
/// left to it). The report is kept with no application, so that it never counts as the
/// employer's answer, and each application it touched records it in its history.
fn record_bounce(
    conn: &Connection,
    planner: &Planner,
    row: &MessageRow,
    id: MessageId,
    refused: &[crate::classify::bounce::Refusal],
    now: Timestamp,
) -> anyhow::Result<Ingested> {
    let cause = Cause::Message(id);
    let mut report = PlanReport::default();
    let mut known = Vec::new();
    let mut touched = None;
    for refusal in refused {
        let address = refusal.address.as_str();
        if store::find_person_by_email(conn, address)?.is_none() {
            continue;
        }
        store::record_refused_address(conn, address, &refusal.status, refusal.diagnostic.as_deref(), id, now)?;
        known.push(format!("{address} ({})", refusal.status));
        for application in store::open_application_ids(conn)? {
            let mut cancelled = Vec::new();
            for draft in store::drafts_of(conn, application)? {
                let to_it = draft.to.iter().any(|to| to.eq_ignore_ascii_case(address));
                if draft.kind != DraftKind::FollowUp
                    || !to_it
                    || !matches!(
                        draft.status,
                        crate::domain::DraftStatus::Pending | crate::domain::DraftStatus::Approved
                    )
                {
                    continue;
                }
                let reason = format!("{address} refused mail for good ({}, a delivery report)", refusal.status);
                if store::set_draft_status(
                    conn,
                    draft.id,
                    draft.status,
                    crate::domain::DraftStatus::Cancelled,
                    Some(&reason),
                    now,
                )? {
                    cancelled.push(draft.id.to_string());
                }
            }
            let contact = planner.bounced_contact(conn, application)?;
            let is_contact = contact.is_some_and(|(contact, _)| contact.eq_ignore_ascii_case(address));
            if cancelled.is_empty() && !is_contact {
                continue;
            }
            report.drafts_cancelled += cancelled.len();
            let mut event = format!(
                "a delivery report: {address} refused mail for good ({}); no follow-ups go there",
                refusal.status
            );
            if !cancelled.is_empty() {
                event.push_str(&format!(" (follow-up {} cancelled)", cancelled.join(", ")));
            }
            store::insert_history(conn, application, now, None, None, &event, &cause)?;
            touched.get_or_insert(application);
        }
    }
    let (outcome, effect) = if known.is_empty() {
        let addresses: Vec<&str> = refused.iter().map(|refusal| refusal.address.as_str()).collect();
        (Outcome::Ignored, format!("a delivery report about {}, whom debrief does not write to", addresses.join(", ")))
    } else {
        (
            Outcome::Applied,
            format!("a delivery report: {} refused mail for good; no follow-ups go there", known.join(", ")),
        )
    };
    store::set_message_outcome(conn, id, None, outcome.as_str(), Some(&effect))?;
    Ok(Ingested {
        message: Some(id),
        application: touched,
        outcome,
        summary: format!("Message {id} from {}: {effect}.", sender_of(row)),
        report,
    })
}

/// The cheap path for obvious bulk mail (issue 11): most of a real inbox is newsletters
/// and notifications, and classifying each one (its body, HTML included) dominated a
/// first scan. A message is recorded as ignored from its headers alone, without reading
/// its body, when all of these hold, and otherwise takes the full path:
///
/// - it says it is bulk: a `List-Id`, or `Precedence: bulk/list/junk`, and it is not
///   an auto-reply (an out-of-office moves a follow-up);
/// - its sender speaks for an employer domain (From, else Reply-To) that no application
///   knows: mail from an applicant tracking system, a scheduler or a mail provider
///   (which carry many employers' mail) and from a known employer is classified;
/// - it is not the user's own mail and answers no message of a known thread.
///
/// It is still de-duplicated by Message-ID and recorded (kind `unrelated`, no
/// classification), so it is read once and threads like any other message.
fn record_obvious_bulk(
    conn: &Connection,
    raw: &[u8],
    origin: &Origin,
    envelope: &Envelope,
    domain: &str,
    now: Timestamp,
) -> anyhow::Result<Option<Ingested>> {
    if !store::find_application_by_employer(conn, Some(domain), None, None)?.is_empty()
        || store::application_of_thread(conn, &thread_ids(envelope))?.is_some()
    {
        return Ok(None);
    }
    let message_id = dedup_key(envelope, raw);
    if let Some(seen) = store::find_message(conn, &message_id)? {
        return Ok(Some(duplicate(&seen, &message_id)));
    }
    let mut row = envelope_row(envelope, message_id, origin, now);
    row.kind = Some(MessageKind::Unrelated.as_str().to_owned());
    row.status = Outcome::Ignored.as_str().into();
    let effect =
        format!("bulk mail (List-Id or Precedence) from {domain}, which no application knows: recorded unread");
    row.effect = Some(effect.clone());
    let id = store::insert_message(conn, &row, now)?;
    Ok(Some(ignored(id, None, &row, MessageKind::Unrelated, &effect)))
}

/// The part of [`record_obvious_bulk`]'s test that needs no database: the envelope and
/// employer domain of a message whose headers say it is bulk, not an auto-reply, from
/// someone other than the user; `None` for any other message (it is classified in full).
fn bulk_candidate(raw: &[u8], own_address: &str) -> Option<(Envelope, String)> {
    // The same structural pre-check as the classifier's (issue 9) before any parser sees
    // the bytes; a refused message takes the full path, which records why.
    if crate::classify::limits::check(raw, &crate::classify::limits::LIMITS).is_err() {
        return None;
    }
    let headers = std::panic::catch_unwind(|| {
        crate::classify::parser().parse_headers(raw).map(|message| crate::classify::envelope::read_envelope(&message))
    });
    let Ok(Some(parsed)) = headers else { return None };
    if !parsed.bulk_header || parsed.auto_reply_header {
        return None;
    }
    let envelope = parsed.envelope;
    if envelope.from.as_ref().is_none_or(|from| from.email.eq_ignore_ascii_case(own_address)) {
        return None;
    }
    let domain = sender_employer_domain(&envelope, own_address)?;
    Some((envelope, domain))
}

/// Applies a message held for review as if the classifier had been confident
/// (`debrief inbox confirm`), as kind `as_kind` and for `application` when given.
pub fn confirm(
    conn: &Connection,
    planner: &Planner,
    message: MessageId,
    as_kind: Option<MessageKind>,
    application: Option<ApplicationId>,
    now: Timestamp,
) -> anyhow::Result<Ingested> {
    confirm_with(conn, planner, message, as_kind, application, &InterviewPatch::default(), now)
}

/// The facts of an interview the user gives when confirming a message that lacks or
/// misreads them (`inbox confirm ID --as KIND --start ... --duration ... --interviewer ...`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InterviewPatch {
    pub start: Option<Timestamp>,
    pub minutes: Option<i64>,
    /// When not empty, these are the interviewers (in place of the message's).
    pub interviewers: Vec<crate::classify::Participant>,
    /// The zone of the interview when the message named none.
    pub time_zone: Option<String>,
}

impl InterviewPatch {
    pub fn is_empty(&self) -> bool {
        self.start.is_none() && self.minutes.is_none() && self.interviewers.is_empty()
    }

    /// The message's interview facts with the user's in place of theirs; `None` when there
    /// is still no start time.
    fn apply(&self, facts: Option<crate::classify::InterviewFacts>) -> Option<crate::classify::InterviewFacts> {
        let mut facts = match (facts, self.start) {
            (Some(mut facts), Some(start)) => {
                // A new start keeps the stated length, unless a duration is given.
                let length = facts.end.map(|end| end.duration_since(facts.start));
                facts.start = start;
                facts.end = length.and_then(|length| start.checked_add(length).ok());
                facts
            }
            (Some(facts), None) => facts,
            (None, Some(start)) => crate::classify::InterviewFacts {
                start,
                end: None,
                interviewers: Vec::new(),
                time_zone: self.time_zone.clone(),
                location: None,
                calendar_uid: None,
            },
            (None, None) => return None,
        };
        if let Some(minutes) = self.minutes {
            facts.end = facts.start.checked_add(jiff::SignedDuration::from_mins(minutes)).ok();
        }
        if !self.interviewers.is_empty() {
            facts.interviewers = self.interviewers.clone();
        }
        if facts.time_zone.is_none() {
            facts.time_zone = self.time_zone.clone();
        }
        Some(facts)
    }
}

/// [`confirm`], with interview facts the user gives in place of the message's.
pub fn confirm_with(
    conn: &Connection,
    planner: &Planner,
    message: MessageId,
    as_kind: Option<MessageKind>,
    application: Option<ApplicationId>,
    patch: &InterviewPatch,
    now: Timestamp,
) -> anyhow::Result<Ingested> {
    let row = store::get_message(conn, message)?.ok_or_else(|| not_found("message", message.0))?;
    match row.status.as_str() {
        "needs_review" => {}
        "error" => {
            return Err(crate::cli::usage(format!(
                "message {message} could not be read ({}); there is nothing to confirm: `debrief inbox dismiss {message}`",
                row.error.as_deref().unwrap_or("no details")
            )));
        }
        other => {
            return Err(crate::cli::usage(format!(
                "message {message} is {other}, not waiting for review: see `debrief inbox`"
            )));
        }
    }
    let mut classification: Classification = row
        .classification
        .as_deref()
        .map(serde_json::from_str)
        .transpose()?
        .ok_or_else(|| anyhow::anyhow!("message {message} has no stored classification"))?;
    if let Some(kind) = as_kind {
        classification.kind = kind;
        store::set_message_kind(conn, message, kind.as_str())?;
    }
    if !patch.is_empty() {
        classification.interview = patch.apply(classification.interview.take());
    }
    let association = match application {
        Some(id) => {
            store::get_application(conn, id)?.ok_or_else(|| not_found("application", id.0))?;
            Some(Association { application: id, by: Matched::Employer })
        }
        None => row.application_id.map(|id| Association { application: id, by: Matched::Employer }),
    };
    if association.is_none() && !starts_application(classification.kind) {
        return Err(crate::cli::usage(format!(
            "message {message} matches no application, and a {} starts none: name one with --application ID",
            classification.kind
        )));
    }
    if matches!(classification.kind, MessageKind::InterviewConfirmation | MessageKind::InterviewRescheduled)
        && classification.interview.is_none()
    {
        return Err(crate::cli::usage(format!(
            "message {message} names no interview time, so it cannot be applied as {}: give it with --start (and --duration, --interviewer)",
            classification.kind
        )));
    }
    // The user confirmed it: a sender they vouch for is a person, whatever the headers say.
    // The stored classification keeps no text: a reference request confirmed from the
    // review list is known by its subject only.
    act(conn, planner, &row, &classification, association, false, "", now)
}

/// The confident path, shared by [`ingest`] and [`confirm`]: find or start the
/// application, apply the event, plan, brief the user's references when the message calls
/// for it, and record what changed on the message.
#[allow(clippy::too_many_arguments)]
fn act(
    conn: &Connection,
    planner: &Planner,
    row: &MessageRow,
    classification: &Classification,
    association: Option<Association>,
    automated: bool,
    own_words: &str,
    now: Timestamp,
) -> anyhow::Result<Ingested> {
    let message = row.id.ok_or_else(|| anyhow::anyhow!("the message was not recorded before it was applied"))?;
    let cause = Cause::Message(message);
    let kind = classification.kind;
    let mut created = None;
    let application = match association {
        Some(found) => found.application,
        None if starts_application(kind) => {
            let company = classification
                .company
                .clone()
                .or_else(|| employer_domain_of_row(row).and_then(|domain| company_of_domain(&domain)))
                .unwrap_or_else(|| "Unknown employer".to_owned());
            let role = classification.role.clone().unwrap_or_default();
            let event = format!("application started by a message ({kind})");
            let domain = employer_domain_of_row(row);
            let id = crate::planner::new_application(conn, &company, &role, domain.as_deref(), &event, &cause, now)?;
            created = Some(format!("new application {id} ({company}{})", role_suffix(&role)));
            id
        }
        None => {
            let effect = "matches no application, and a message of this kind starts none";
            store::set_message_outcome(conn, message, None, Outcome::Ignored.as_str(), Some(effect))?;
            return Ok(ignored(message, None, row, kind, effect));
        }
    };
    let via_thread = association.is_some_and(|found| found.by == Matched::Thread);
    let event = match event_for(classification, via_thread && !automated) {
        Ok(Some(event)) => event,
        Ok(None) => {
            let effect = "in the thread of this application, but says nothing that changes it";
            store::set_message_outcome(conn, message, Some(application), Outcome::Ignored.as_str(), Some(effect))?;
            return Ok(ignored(message, Some(application), row, kind, effect));
        }
        Err(missing) => {
            store::set_message_outcome(conn, message, Some(application), Outcome::NeedsReview.as_str(), Some(missing))?;
            return Ok(Ingested {
                message: Some(message),
                application: Some(application),
                outcome: Outcome::NeedsReview,
                summary: format!("Message {message} waits for review: {missing}."),
                report: PlanReport::default(),
            });
        }
    };
    if !automated && kind != MessageKind::AutoReply {
        set_contact_from_sender(conn, application, row, &planner.config.identity.email, now)?;
    }
    let before = Snapshot::take(conn, application)?;
    let mut report = apply_and_plan(conn, planner, application, &event, row, message, now)?;
    if let Some(cue) = reference_cue(&event, row.subject.as_deref(), own_words) {
        report.add(&planner.brief_references(conn, application, cue, &cause, now)?);
    }
    let after = Snapshot::take(conn, application)?;
    let mut parts: Vec<String> = created.into_iter().collect();
    parts.push(describe_event(planner, &event, &before, &after));
    parts.extend(describe_changes(&before, &after, &report));
    let effect = parts.join("; ");
    store::set_message_outcome(conn, message, Some(application), Outcome::Applied.as_str(), Some(&effect))?;
    // One line in the application's history that says, in plain words, what this message did.
    store::insert_history(conn, application, now, None, None, &format!("message read: {effect}"), &cause)?;
    Ok(Ingested {
        message: Some(message),
        application: Some(application),
        outcome: Outcome::Applied,
        summary: format!(
            "Message {message} from {} ({kind}) applied to application {application}: {effect}.",
            sender_of(row)
        ),
        report,
    })
}

/// Applies `event`, which `message` (stored as `row`) caused and which replies answer, to
/// `application` as of the message's date, then plans what became due.
fn apply_and_plan(
    conn: &Connection,
    planner: &Planner,
    application: ApplicationId,
    event: &Event,
    row: &MessageRow,
    message: MessageId,
    now: Timestamp,
) -> anyhow::Result<PlanReport> {
    let received_at = row.date.map_or(now, |date| date.min(now));
    let cause = Cause::Message(message);
    let mut report = planner.apply_event(conn, application, event, &cause, Some(message), received_at, now)?;
    report.add(&planner.plan_application(conn, application, now)?);
    Ok(report)
}

fn ignored(
    message: MessageId,
    application: Option<ApplicationId>,
    row: &MessageRow,
    kind: MessageKind,
    effect: &str,
) -> Ingested {
    Ingested {
        message: Some(message),
        application,
        outcome: Outcome::Ignored,
        summary: format!("Message {message} from {} ({kind}) ignored: {effect}.", sender_of(row)),
        report: PlanReport::default(),
    }
}

/// Kinds that start an application when they match none (SPEC §3).
fn starts_application(kind: MessageKind) -> bool {
    matches!(
        kind,
        MessageKind::InterviewConfirmation | MessageKind::InterviewInvitation | MessageKind::ApplicationReceived
    )
}

/// The event a classified message stands for. `Ok(None)`: nothing to apply. `Err`: the
/// kind needs facts the message does not give.
fn event_for(classification: &Classification, human_in_thread: bool) -> Result<Option<Event>, &'static str> {
    let slot = || classification.interview.as_ref().map(slot_of);
    Ok(Some(match classification.kind {
        MessageKind::InterviewConfirmation => {
            Event::InterviewConfirmed(slot().ok_or("a confirmation that names no interview time")?)
        }
        MessageKind::InterviewRescheduled => {
            Event::InterviewRescheduled(slot().ok_or("a reschedule that names no new time")?)
        }
        MessageKind::InterviewCancelled => Event::InterviewCancelled(slot()),
        MessageKind::InterviewInvitation => Event::InvitedToInterview,
        MessageKind::Offer => Event::OfferReceived,
        MessageKind::Rejection => Event::RejectionReceived,
        MessageKind::Timeline => Event::TimelineGiven { reply_after: classification.reply_after },
        MessageKind::AutoReply => Event::AutoReplyReceived { return_date: classification.return_date },
        MessageKind::Acknowledgement => Event::HumanReplyReceived,
        MessageKind::ApplicationReceived => Event::ApplicationReceived,
        // A person writing in the thread is an answer (SPEC §1: any human reply stops
        // the follow-ups), even when what they say fits no other kind.
        MessageKind::Unrelated if human_in_thread => Event::HumanReplyReceived,
        MessageKind::Unrelated => return Ok(None),
    }))
}

/// The name a sender signs with, under the sign-off ("Best,\nJane Doe\nEngineering
/// Manager" → "Jane Doe"; "Thanks, Jane" → "Jane"), when it looks like a person's name (one
/// to four capitalised words of letters, no digits) and fits their address: a word of it
/// (two letters or more) or its initial and last word is in the address's local part, so a
/// team's sign-off or a forwarded signature is not taken for the sender. Reads at most the
/// first 2 KiB of the block.
pub fn name_from_signature(signature: &str, address: &str) -> Option<String> {
    let block = &signature[..crate::classify::text::floor_boundary(signature, 2048)];
    let mut lines = block.lines().map(str::trim).filter(|line| !line.is_empty());
    let first = lines.next()?;
    let candidate = if matches!(first, "--" | "-- " | "---") {
        lines.next()?
    } else if let Some((_, after)) = first.split_once(',').filter(|(_, after)| !after.trim().is_empty()) {
        after.trim()
    } else if first.ends_with(',') || first.ends_with('!') || first.len() <= 30 && first.split_whitespace().count() <= 3
    {
        // A sign-off on its own line ("Best,", "Thank you!", "Cheers"): the name is next.
        lines.next()?
    } else {
        return None;
    };
    let candidate = candidate.trim_end_matches([',', '.']).trim();
    let words: Vec<&str> = candidate.split_whitespace().collect();
    let name_like = (1..=4).contains(&words.len())
        && candidate.len() <= 60
        && words.iter().all(|word| {
            word.chars().next().is_some_and(char::is_uppercase)
                && word.chars().all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '.'))
        });
    if !name_like {
        return None;
    }
    let local: String =
        address.split('@').next()?.chars().filter(char::is_ascii_alphabetic).collect::<String>().to_ascii_lowercase();
    let plain = |word: &str| word.chars().filter(char::is_ascii_alphabetic).collect::<String>().to_ascii_lowercase();
    let parts: Vec<String> = words.iter().map(|word| plain(word)).filter(|word| word.len() >= 2).collect();
    let initial_last = match (parts.first(), parts.last()) {
        (Some(first), Some(last)) if parts.len() > 1 => format!("{}{last}", &first[..1]),
        _ => String::new(),
    };
    let fits = parts.iter().any(|part| local.contains(part.as_str()))
        || (!initial_last.is_empty() && local.contains(&initial_last));
    fits.then(|| candidate.to_owned())
}

/// Whether a message calls for a heads-up to the user's references (articles 2 and 4): an
/// offer; the employer asking for references (in its subject or the sender's own words,
/// never in quoted history); an invitation to, or a confirmation of, a final round.
pub fn reference_cue(event: &Event, subject: Option<&str>, own_words: &str) -> Option<ReferenceCue> {
    if matches!(event, Event::OfferReceived) {
        return Some(ReferenceCue::Offer);
    }
    // Bounded like everything read from a message: the first 64 KiB of its own words.
    let words = &own_words[..crate::classify::text::floor_boundary(own_words, 64 * 1024)];
    // Mail wraps its lines: a sentence is read across them.
    let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = format!("{}\n{words}", subject.unwrap_or("")).to_lowercase();
    if ASKS_FOR_REFERENCES.iter().any(|pattern| pattern.is_match(&text)) {
        return Some(ReferenceCue::Asked);
    }
    let interview =
        matches!(event, Event::InvitedToInterview | Event::InterviewConfirmed(_) | Event::InterviewRescheduled(_));
    (interview && FINAL_ROUND.is_match(&text)).then_some(ReferenceCue::FinalRound)
}

/// An employer asking for references: a request verb before "references"/"referees" in one
/// sentence, a reference check, or a subject that is about references. "With reference to"
/// and "for reference" are singular and never match.
static ASKS_FOR_REFERENCES: LazyLock<[Regex; 3]> = LazyLock::new(|| {
    let pattern = |text: &str| Regex::new(text).unwrap_or_else(|err| panic!("the pattern {text:?}: {err}"));
    [
        pattern(
            r"\b(?:send|share|provide|give|list|supply|forward|need|require|request|collect|contact|pass along|names of)\b[^.?!\n]{0,80}\b(?:references|referees)\b",
        ),
        pattern(r"\b(?:reference|referee)s?[ -]checks?\b"),
        pattern(r"^(?:(?:re|fwd?):\s*)*(?:your\s+|professional\s+)?(?:references|referees)\b"),
    ]
});

/// A final round named as such ("final round", "final-round interview", "final stage").
static FINAL_ROUND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bfinal[ -](?:round|interview|stage|panel)s?\b").unwrap_or_else(|err| panic!("{err}"))
});

/// An interview as the message states it. Without an end, an hour is assumed: the
/// thank-you notes are timed from the end.
pub fn slot_of(facts: &InterviewFacts) -> Slot {
    let end = facts
        .end
        .unwrap_or_else(|| facts.start.saturating_add(jiff::SignedDuration::from_hours(1)).unwrap_or(facts.start));
    Slot {
        start: facts.start,
        end: end.max(facts.start),
        zone: facts.time_zone.as_deref().and_then(|name| TimeZone::get(name).ok()),
        interviewers: facts
            .interviewers
            .iter()
            .map(|person| Contact {
                name: person.name.as_deref().map(clean_header_value).filter(|name| !name.is_empty()),
                email: person.email.as_deref().map(str::to_ascii_lowercase),
            })
            .collect(),
        location: facts.location.as_deref().map(clean_header_value),
        calendar_uid: facts.calendar_uid.clone(),
    }
}

// ---------------------------------------------------------------------------
// Association (SPEC §3)

/// Ties a message to an application: by thread first, then by the employer's domain
/// and the role (the company name when no domain identifies the employer), else none.
pub fn associate(
    conn: &Connection,
    envelope: &Envelope,
    classification: &Classification,
    own_address: &str,
) -> rusqlite::Result<Option<Association>> {
    if let Some(application) = store::application_of_thread(conn, &thread_ids(envelope))? {
        return Ok(Some(Association { application, by: Matched::Thread }));
    }
    let domain = sender_employer_domain(envelope, own_address);
    let role = classification.role.as_deref();
    let mut candidates = Vec::new();
    if let Some(domain) = domain.as_deref() {
        candidates = store::find_application_by_employer(conn, Some(domain), None, role)?;
    }
    if candidates.is_empty()
        && let Some(company) = classification.company.as_deref()
    {
        candidates = store::find_application_by_employer(conn, None, Some(company), role)?;
    }
    Ok(pick_candidate(candidates, role, classification.kind)
        .map(|application| Association { application, by: Matched::Employer }))
}

/// Among the employer's applications: the one with the same role; else, when the
/// message names no role (or could not start an application anyway), the most recently
/// active open one. A message that names another role and could start an application
/// is about a new one. Open applications (ghosted counts: an answer revives it) come
/// before closed ones.
fn pick_candidate(mut candidates: Vec<ApplicationRow>, role: Option<&str>, kind: MessageKind) -> Option<ApplicationId> {
    let finished =
        |app: &ApplicationRow| app.state.is_closed() && app.state != crate::domain::ApplicationState::Ghosted;
    candidates.sort_by_key(|app| finished(app));
    let role = role.map(str::trim).filter(|role| !role.is_empty());
    if let Some(role) = role {
        if let Some(app) = candidates.iter().find(|app| same_role(&app.role, role)) {
            return Some(app.id);
        }
        if starts_application(kind) {
            return candidates.iter().find(|app| app.role.trim().is_empty()).map(|app| app.id);
        }
    }
    candidates.first().map(|app| app.id)
}

fn same_role(known: &str, stated: &str) -> bool {
    let (known, stated) = (known.trim().to_lowercase(), stated.trim().to_lowercase());
    !known.is_empty() && (known == stated || known.contains(&stated) || stated.contains(&known))
}

/// The Message-IDs a message answers, nearest first: In-Reply-To, then References
/// from the last.
fn thread_ids(envelope: &Envelope) -> Vec<String> {
    let mut ids: Vec<String> = envelope.in_reply_to.clone();
    ids.extend(envelope.references.iter().rev().cloned());
    ids.dedup();
    ids
}

/// The employer domain the sender speaks for: From, else Reply-To (an ATS sends from
/// its own domain with the recruiter in Reply-To). Mail providers, ATS and schedulers
/// never count, nor does the user's own domain.
fn sender_employer_domain(envelope: &Envelope, own_address: &str) -> Option<String> {
    let own_domain = employer_domain(own_address);
    [envelope.from.as_ref(), envelope.reply_to.as_ref()]
        .into_iter()
        .flatten()
        .filter_map(|mailbox| employer_domain(&mailbox.email))
        .find(|domain| Some(domain) != own_domain.as_ref())
}

fn employer_domain_of_row(row: &MessageRow) -> Option<String> {
    [row.from_email.as_deref(), row.reply_to.as_deref()].into_iter().flatten().find_map(employer_domain)
}

/// The employer's name when the message does not say it: its domain's name
/// ("hooli.example" → "Hooli").
fn company_of_domain(domain: &str) -> Option<String> {
    domain.split('.').next().and_then(crate::classify::fields::name_of_label)
}

/// The user's own message belongs to the thread it answers, else to the application of
/// the employer it is addressed to.
fn associate_outgoing(
    conn: &Connection,
    envelope: &Envelope,
    own_address: &str,
) -> rusqlite::Result<Option<ApplicationId>> {
    if let Some(application) = store::application_of_thread(conn, &thread_ids(envelope))? {
        return Ok(Some(application));
    }
    let own_domain = employer_domain(own_address);
    for recipient in envelope.to.iter().chain(&envelope.cc) {
        if let Some(domain) = employer_domain(&recipient.email).filter(|domain| Some(domain) != own_domain.as_ref())
            && let Some(app) = store::find_application_by_employer(conn, Some(&domain), None, None)?.first()
        {
            return Ok(Some(app.id));
        }
    }
    Ok(None)
}

/// The application's contact becomes the person who wrote (their Reply-To first), when
/// it has none and they are a person, not a robot address.
fn set_contact_from_sender(
    conn: &Connection,
    application: ApplicationId,
    row: &MessageRow,
    own_address: &str,
    now: Timestamp,
) -> anyhow::Result<()> {
    let Some(app) = store::get_application(conn, application)? else { return Ok(()) };
    if app.contact_person_id.is_some() {
        return Ok(());
    }
    let human = [row.reply_to.as_deref(), row.from_email.as_deref()]
        .into_iter()
        .flatten()
        .find(|address| !is_robot_address(address) && !address.eq_ignore_ascii_case(own_address));
    if let Some(address) = human {
        let name = row.from_name.as_deref().filter(|_| row.from_email.as_deref() == Some(address));
        let person = store::upsert_person(conn, name, Some(address), now)?;
        store::set_contact(conn, application, person, now)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Recording

fn message_row(
    envelope: &Envelope,
    classification: &Classification,
    message_id: String,
    origin: &Origin,
    now: Timestamp,
) -> anyhow::Result<MessageRow> {
    Ok(MessageRow {
        kind: Some(classification.kind.as_str().to_owned()),
        confidence: Some(classification.confidence),
        classification: Some(serde_json::to_string(classification)?),
        ..envelope_row(envelope, message_id, origin, now)
    })
}

/// A message's row from its headers, status `applied` until told otherwise.
fn envelope_row(envelope: &Envelope, message_id: String, origin: &Origin, now: Timestamp) -> MessageRow {
    let address = |email: &str| Some(email.to_ascii_lowercase()).filter(|email| crate::config::is_plain_address(email));
    let mut row = MessageRow {
        direction: "in".into(),
        message_id: Some(message_id),
        in_reply_to: envelope.in_reply_to.first().map(|id| clean_header_value(id)),
        references: envelope.references.iter().map(|id| clean_header_value(id)).collect(),
        from_email: envelope.from.as_ref().and_then(|from| address(&from.email)),
        from_name: envelope.from.as_ref().and_then(|from| from.name.as_deref()).map(clean_header_value),
        reply_to: envelope.reply_to.as_ref().and_then(|reply_to| address(&reply_to.email)),
        to_emails: envelope.to.iter().filter_map(|to| address(&to.email)).collect(),
        subject: envelope.subject.as_deref().map(clean_header_value),
        date: envelope.date,
        status: Outcome::Applied.as_str().into(),
        received_at: Some(now),
        ..MessageRow::default()
    };
    set_origin(&mut row, origin);
    row
}

pub(crate) fn set_origin(row: &mut MessageRow, origin: &Origin) {
    match origin {
        Origin::Imap { mailbox, uid_validity, uid } => {
            row.mailbox = Some(mailbox.clone());
            row.uid_validity = Some(*uid_validity);
            row.uid = Some(*uid);
        }
        Origin::Maildir { dir, .. } => row.mailbox = Some(dir.clone()),
    }
}

/// A message that cannot be parsed: recorded with its error under a Message-ID made
/// from its bytes, so reading it again is a duplicate, not a second error.
fn record_unreadable(
    conn: &Connection,
    raw: &[u8],
    origin: &Origin,
    error: &str,
    now: Timestamp,
) -> anyhow::Result<Ingested> {
    let message_id = synthetic_message_id(raw);
    if let Some(seen) = store::find_message(conn, &message_id)? {
        return Ok(duplicate(&seen, &message_id));
    }
    let place = origin.place();
    // Where it is comes first: `debrief inbox` has nothing else to show of a message it
    // could not read, and the user finds it in their mail client by it.
    let mut row = MessageRow {
        direction: "in".into(),
        message_id: Some(message_id),
        status: Outcome::Error.as_str().into(),
        error: Some(format!("{place}: {error}")),
        received_at: Some(now),
        ..MessageRow::default()
    };
    set_origin(&mut row, origin);
    let id = store::insert_message(conn, &row, now)?;
    Ok(Ingested {
        message: Some(id),
        application: None,
        outcome: Outcome::Error,
        summary: format!("Message {id} ({place}) could not be read and was skipped: {error}."),
        report: PlanReport::default(),
    })
}

/// A message quarantined when debrief died reading it: skipped unread, as a duplicate
/// of the row recorded then.
fn quarantined(message: MessageId, origin: &Origin) -> Ingested {
    Ingested {
        message: Some(message),
        application: None,
        outcome: Outcome::Duplicate,
        summary: format!(
            "Message {message} ({}) is quarantined (debrief stopped while reading it): skipped unread.",
            origin.place()
        ),
        report: PlanReport::default(),
    }
}

fn duplicate(seen: &MessageRow, message_id: &str) -> Ingested {
    Ingested {
        message: seen.id,
        application: seen.application_id,
        outcome: Outcome::Duplicate,
        summary: format!("Message <{message_id}> was already read; nothing changed."),
        report: PlanReport::default(),
    }
}

/// The de-duplication key of an incoming message: its Message-ID (cleaned), else a
/// synthetic one made from its bytes.
fn dedup_key(envelope: &Envelope, raw: &[u8]) -> String {
    envelope
        .message_id
        .as_deref()
        .map(clean_header_value)
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| synthetic_message_id(raw))
}

/// A stable Message-ID for a message that has none: a 128-bit FNV-1a hash of its bytes
/// (two 64-bit passes with different offsets), the same on every run and machine.
pub fn synthetic_message_id(raw: &[u8]) -> String {
    let fnv = |offset: u64| {
        raw.iter().fold(offset, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3))
    };
    format!("{:016x}{:016x}@debrief.synthetic.invalid", fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142))
}

fn sender_of(row: &MessageRow) -> &str {
    row.from_email.as_deref().unwrap_or("an unknown sender")
}

fn subject_of(row: &MessageRow) -> String {
    row.subject.as_deref().map_or_else(|| "no subject".to_owned(), |subject| format!("{subject:?}"))
}

fn role_suffix(role: &str) -> String {
    if role.is_empty() { String::new() } else { format!(", {role}") }
}

// ---------------------------------------------------------------------------
// Saying what changed, in plain words, for `debrief history` and the logs

struct Snapshot {
    state: crate::domain::ApplicationState,
    rounds: usize,
    drafts: Vec<(crate::domain::DraftId, DraftKind)>,
}

impl Snapshot {
    fn take(conn: &Connection, application: ApplicationId) -> anyhow::Result<Snapshot> {
        let app = store::get_application(conn, application)?.ok_or_else(|| not_found("application", application.0))?;
        Ok(Snapshot {
            state: app.state,
            rounds: store::rounds_of(conn, application)?.len(),
            drafts: store::drafts_of(conn, application)?.into_iter().map(|draft| (draft.id, draft.kind)).collect(),
        })
    }
}

fn describe_event(planner: &Planner, event: &Event, before: &Snapshot, after: &Snapshot) -> String {
    let when = |slot: &Slot| planner.local_time(slot.start, slot.zone.as_ref());
    match event {
        Event::InterviewConfirmed(slot) | Event::InterviewRescheduled(slot) if after.rounds > before.rounds => {
            format!("interview round {} on {} added", after.rounds, when(slot))
        }
        Event::InterviewConfirmed(slot) => format!("interview on {} confirmed", when(slot)),
        Event::InterviewRescheduled(slot) => format!("interview moved to {}", when(slot)),
        Event::InterviewCancelled(_) => "interview cancelled".to_owned(),
        Event::InvitedToInterview => "invited to interview".to_owned(),
        Event::OfferReceived => "offer received".to_owned(),
        Event::RejectionReceived => "rejection received".to_owned(),
        Event::TimelineGiven { reply_after: Some(date) } => {
            format!("the employer will answer by {date}: no follow-up before")
        }
        Event::TimelineGiven { reply_after: None } => {
            "the employer asked to wait for further notice: follow-ups paused".to_owned()
        }
        Event::AutoReplyReceived { return_date: Some(date) } => {
            format!("out of office until {date}: no follow-up before")
        }
        Event::AutoReplyReceived { return_date: None } => {
            "out-of-office reply without a return date: nothing changes".to_owned()
        }
        Event::HumanReplyReceived => "the employer answered".to_owned(),
        Event::ApplicationReceived if after.state == crate::domain::ApplicationState::Applied => {
            "application received".to_owned()
        }
        Event::ApplicationReceived => "application receipt (already known)".to_owned(),
    }
}

fn describe_changes(before: &Snapshot, after: &Snapshot, report: &PlanReport) -> Vec<String> {
    let mut parts = Vec::new();
    if after.state != before.state {
        parts.push(format!("now {}", after.state));
    }
    parts.extend(describe_new_drafts(before, after));
    if report.drafts_cancelled > 0 {
        parts.push(format!("{} draft{} cancelled", report.drafts_cancelled, plural(report.drafts_cancelled)));
    }
    parts
}

/// "2 thank-you drafts", "1 rejection reply draft".
fn describe_new_drafts(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let new = after.drafts.iter().filter(|draft| !before.drafts.contains(draft)).map(|(_, kind)| *kind);
    count_by_kind(new).into_iter().map(|(words, count)| format!("{count} {words} draft{}", plural(count))).collect()
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// A draft kind in words: "thank-you", "rejection reply".
fn kind_words(kind: DraftKind) -> &'static str {
    match kind {
        DraftKind::ThankYou => "thank-you",
        DraftKind::FollowUp => "follow-up",
        DraftKind::RejectionReply => "rejection reply",
        DraftKind::OfferReply => "offer reply",
        DraftKind::Withdrawal => "withdrawal",
        DraftKind::ReferenceNotice => "reference heads-up",
        DraftKind::PassOn => "pass-on request",
    }
}

fn count_by_kind(kinds: impl Iterator<Item = DraftKind>) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for kind in kinds {
        *counts.entry(kind_words(kind)).or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
pub(crate) mod tests;

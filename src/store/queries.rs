//! Rows and the queries over them. Literal multi-line SQL, explicit column lists.

use super::{ts_from_sql, ts_to_sql};
use crate::domain::process::{ApplicationView, Cadence, DraftFacts, Round};
use crate::domain::{
    ApplicationId, ApplicationState, DraftId, DraftKind, DraftStatus, MessageId, PersonId, RoundId, RoundStatus,
};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rusqlite::{Connection, OptionalExtension, Row, params};

fn parse_enum<T: std::str::FromStr<Err = String>>(text: String) -> rusqlite::Result<T> {
    text.parse()
        .map_err(|err: String| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, err.into()))
}

fn opt_ts(text: Option<String>) -> rusqlite::Result<Option<Timestamp>> {
    text.as_deref().map(ts_from_sql).transpose()
}

/// Why something changed: a message, a command of the user's, or the passing of time.
#[derive(Debug, Clone, PartialEq)]
pub enum Cause {
    Message(MessageId),
    Command(String),
    Clock,
}

impl Cause {
    fn columns(&self) -> (Option<i64>, Option<&str>) {
        match self {
            Cause::Message(id) => (Some(id.0), None),
            Cause::Command(text) => (None, Some(text.as_str())),
            Cause::Clock => (None, None),
        }
    }
}

// ---------------------------------------------------------------------------
// Applications

#[derive(Debug, Clone)]
pub struct ApplicationRow {
    pub id: ApplicationId,
    pub company: String,
    pub role: String,
    pub employer_domain: Option<String>,
    pub state: ApplicationState,
    pub interested: bool,
    pub topic: Option<String>,
    pub contact_person_id: Option<PersonId>,
    pub cadence: Cadence,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const APPLICATION_COLUMNS: &str = "id, company, role, employer_domain, state, interested, topic, contact_person_id,
    cadence_series, cadence_anchor, cadence_not_before, cadence_paused, created_at, updated_at";

fn application_from_row(row: &Row) -> rusqlite::Result<ApplicationRow> {
    Ok(ApplicationRow {
        id: ApplicationId(row.get(0)?),
        company: row.get(1)?,
        role: row.get(2)?,
        employer_domain: row.get(3)?,
        state: parse_enum(row.get(4)?)?,
        interested: row.get(5)?,
        topic: row.get(6)?,
        contact_person_id: row.get::<_, Option<i64>>(7)?.map(PersonId),
        cadence: Cadence {
            series: row.get(8)?,
            anchor: opt_ts(row.get(9)?)?,
            not_before: opt_ts(row.get(10)?)?,
            paused: row.get(11)?,
        },
        created_at: ts_from_sql(&row.get::<_, String>(12)?)?,
        updated_at: ts_from_sql(&row.get::<_, String>(13)?)?,
    })
}

pub fn insert_application(
    conn: &Connection,
    company: &str,
    role: &str,
    employer_domain: Option<&str>,
    state: ApplicationState,
    now: Timestamp,
) -> rusqlite::Result<ApplicationId> {
    conn.execute(
        "INSERT INTO applications (company, role, employer_domain, state, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![company, role, employer_domain, state.as_str(), ts_to_sql(now)],
    )?;
    Ok(ApplicationId(conn.last_insert_rowid()))
}

pub fn get_application(conn: &Connection, id: ApplicationId) -> rusqlite::Result<Option<ApplicationRow>> {
    conn.query_row(
        &format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = ?1"),
        [id.0],
        application_from_row,
    )
    .optional()
}

pub fn list_applications(conn: &Connection) -> rusqlite::Result<Vec<ApplicationRow>> {
    let mut statement = conn.prepare_cached(&format!("SELECT {APPLICATION_COLUMNS} FROM applications ORDER BY id"))?;
    statement.query_map([], application_from_row)?.collect()
}

/// Applications whose process is still running.
pub fn open_application_ids(conn: &Connection) -> rusqlite::Result<Vec<ApplicationId>> {
    let mut statement = conn.prepare_cached(
        "SELECT id FROM applications
         WHERE state NOT IN ('offer', 'rejected', 'withdrawn', 'ghosted')
         ORDER BY id",
    )?;
    statement.query_map([], |row| Ok(ApplicationId(row.get(0)?)))?.collect()
}

/// Moves an application to `to` and records why.
pub fn set_state(
    conn: &Connection,
    id: ApplicationId,
    to: ApplicationState,
    event: &str,
    cause: &Cause,
    now: Timestamp,
) -> rusqlite::Result<()> {
    let from: String = conn.query_row("SELECT state FROM applications WHERE id = ?1", [id.0], |row| row.get(0))?;
    conn.execute(
        "UPDATE applications SET state = ?2, updated_at = ?3 WHERE id = ?1",
        params![id.0, to.as_str(), ts_to_sql(now)],
    )?;
    insert_history(conn, id, now, Some(&from), Some(to.as_str()), event, cause)
}

pub fn set_cadence(conn: &Connection, id: ApplicationId, cadence: &Cadence, now: Timestamp) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE applications
         SET cadence_series = ?2, cadence_anchor = ?3, cadence_not_before = ?4, cadence_paused = ?5, updated_at = ?6
         WHERE id = ?1",
        params![
            id.0,
            cadence.series,
            cadence.anchor.map(ts_to_sql),
            cadence.not_before.map(ts_to_sql),
            cadence.paused,
            ts_to_sql(now)
        ],
    )?;
    Ok(())
}

pub fn set_interested(conn: &Connection, id: ApplicationId, interested: bool, now: Timestamp) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE applications SET interested = ?2, updated_at = ?3 WHERE id = ?1",
        params![id.0, interested, ts_to_sql(now)],
    )?;
    Ok(())
}

pub fn set_contact(conn: &Connection, id: ApplicationId, person: PersonId, now: Timestamp) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE applications SET contact_person_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![id.0, person.0, ts_to_sql(now)],
    )?;
    Ok(())
}

/// Finds the open application for this employer domain and role (either may be unknown).
pub fn find_application_by_employer(
    conn: &Connection,
    domain: Option<&str>,
    company: Option<&str>,
    role: Option<&str>,
) -> rusqlite::Result<Vec<ApplicationRow>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {APPLICATION_COLUMNS} FROM applications
         WHERE (?1 IS NOT NULL AND employer_domain = ?1 COLLATE NOCASE)
            OR (?2 IS NOT NULL AND company = ?2 COLLATE NOCASE)
         ORDER BY CASE WHEN ?3 IS NOT NULL AND role = ?3 COLLATE NOCASE THEN 0 ELSE 1 END, updated_at DESC"
    ))?;
    statement.query_map(params![domain, company, role], application_from_row)?.collect()
}

// ---------------------------------------------------------------------------
// History

#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub at: Timestamp,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub event: String,
    pub cause_message: Option<MessageId>,
    pub cause_command: Option<String>,
}

pub fn insert_history(
    conn: &Connection,
    id: ApplicationId,
    now: Timestamp,
    from_state: Option<&str>,
    to_state: Option<&str>,
    event: &str,
    cause: &Cause,
) -> rusqlite::Result<()> {
    let (message, command) = cause.columns();
    conn.prepare_cached(
        "INSERT INTO history (application_id, at, from_state, to_state, event, cause_message, cause_command)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![id.0, ts_to_sql(now), from_state, to_state, event, message, command])?;
    Ok(())
}

pub fn history_of(conn: &Connection, id: ApplicationId) -> rusqlite::Result<Vec<HistoryRow>> {
    let mut statement = conn.prepare_cached(
        "SELECT at, from_state, to_state, event, cause_message, cause_command
         FROM history WHERE application_id = ?1 ORDER BY at, id",
    )?;
    statement
        .query_map([id.0], |row| {
            Ok(HistoryRow {
                at: ts_from_sql(&row.get::<_, String>(0)?)?,
                from_state: row.get(1)?,
                to_state: row.get(2)?,
                event: row.get(3)?,
                cause_message: row.get::<_, Option<i64>>(4)?.map(MessageId),
                cause_command: row.get(5)?,
            })
        })?
        .collect()
}

// ---------------------------------------------------------------------------
// People

#[derive(Debug, Clone, PartialEq)]
pub struct PersonRow {
    pub id: PersonId,
    pub name: Option<String>,
    pub email: Option<String>,
    pub address_as: Option<String>,
}

fn person_from_row(row: &Row) -> rusqlite::Result<PersonRow> {
    Ok(PersonRow { id: PersonId(row.get(0)?), name: row.get(1)?, email: row.get(2)?, address_as: row.get(3)? })
}

/// Finds a person by address (adding a name learnt later), or records a new one. A
/// person without an address is always new.
pub fn upsert_person(
    conn: &Connection,
    name: Option<&str>,
    email: Option<&str>,
    now: Timestamp,
) -> rusqlite::Result<PersonId> {
    if let Some(email) = email {
        let existing: Option<i64> =
            conn.query_row("SELECT id FROM people WHERE email = ?1", [email], |row| row.get(0)).optional()?;
        if let Some(id) = existing {
            if let Some(name) = name {
                conn.execute("UPDATE people SET name = ?2 WHERE id = ?1 AND name IS NULL", params![id, name])?;
            }
            return Ok(PersonId(id));
        }
    }
    conn.execute(
        "INSERT INTO people (name, email, created_at) VALUES (?1, ?2, ?3)",
        params![name, email, ts_to_sql(now)],
    )?;
    Ok(PersonId(conn.last_insert_rowid()))
}

pub fn get_person(conn: &Connection, id: PersonId) -> rusqlite::Result<Option<PersonRow>> {
    conn.query_row("SELECT id, name, email, address_as FROM people WHERE id = ?1", [id.0], person_from_row).optional()
}

pub fn find_person_by_email(conn: &Connection, email: &str) -> rusqlite::Result<Option<PersonRow>> {
    conn.query_row("SELECT id, name, email, address_as FROM people WHERE email = ?1", [email], person_from_row)
        .optional()
}

pub fn set_address_as(conn: &Connection, id: PersonId, form: &str) -> rusqlite::Result<()> {
    conn.execute("UPDATE people SET address_as = ?2 WHERE id = ?1", params![id.0, form])?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Rounds

#[derive(Debug, Clone)]
pub struct RoundRow {
    pub id: RoundId,
    pub application_id: ApplicationId,
    pub number: u32,
    pub start: Timestamp,
    pub end: Timestamp,
    pub time_zone: Option<String>,
    pub location: Option<String>,
    pub calendar_uid: Option<String>,
    pub status: RoundStatus,
    pub interviewers: Vec<PersonRow>,
}

pub struct NewRound<'a> {
    pub start: Timestamp,
    pub end: Timestamp,
    pub time_zone: Option<&'a str>,
    pub location: Option<&'a str>,
    pub calendar_uid: Option<&'a str>,
}

pub fn insert_round(
    conn: &Connection,
    application: ApplicationId,
    round: &NewRound,
    interviewers: &[PersonId],
) -> rusqlite::Result<RoundId> {
    let number: u32 = conn.query_row(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM rounds WHERE application_id = ?1",
        [application.0],
        |row| row.get(0),
    )?;
    conn.execute(
        "INSERT INTO rounds (application_id, number, start_at, end_at, time_zone, location, calendar_uid, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'scheduled')",
        params![
            application.0,
            number,
            ts_to_sql(round.start),
            ts_to_sql(round.end),
            round.time_zone,
            round.location,
            round.calendar_uid
        ],
    )?;
    let id = RoundId(conn.last_insert_rowid());
    set_interviewers(conn, id, interviewers)?;
    Ok(id)
}

pub fn move_round(conn: &Connection, id: RoundId, round: &NewRound) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE rounds
         SET start_at = ?2, end_at = ?3, time_zone = COALESCE(?4, time_zone), location = COALESCE(?5, location),
             calendar_uid = COALESCE(?6, calendar_uid)
         WHERE id = ?1",
        params![
            id.0,
            ts_to_sql(round.start),
            ts_to_sql(round.end),
            round.time_zone,
            round.location,
            round.calendar_uid
        ],
    )?;
    Ok(())
}

/// Replaces a round's interviewers, keeping their order.
pub fn set_interviewers(conn: &Connection, id: RoundId, people: &[PersonId]) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM round_interviewers WHERE round_id = ?1", [id.0])?;
    for (position, person) in people.iter().enumerate() {
        conn.execute(
            "INSERT OR IGNORE INTO round_interviewers (round_id, person_id, position) VALUES (?1, ?2, ?3)",
            params![id.0, person.0, position as i64],
        )?;
    }
    Ok(())
}

pub fn set_round_status(conn: &Connection, id: RoundId, status: RoundStatus) -> rusqlite::Result<()> {
    conn.execute("UPDATE rounds SET status = ?2 WHERE id = ?1", params![id.0, status.as_str()])?;
    Ok(())
}

pub fn rounds_of(conn: &Connection, application: ApplicationId) -> rusqlite::Result<Vec<RoundRow>> {
    let mut statement = conn.prepare_cached(
        "SELECT id, application_id, number, start_at, end_at, time_zone, location, calendar_uid, status
         FROM rounds WHERE application_id = ?1 ORDER BY number",
    )?;
    let mut rounds: Vec<RoundRow> = statement
        .query_map([application.0], |row| {
            Ok(RoundRow {
                id: RoundId(row.get(0)?),
                application_id: ApplicationId(row.get(1)?),
                number: row.get(2)?,
                start: ts_from_sql(&row.get::<_, String>(3)?)?,
                end: ts_from_sql(&row.get::<_, String>(4)?)?,
                time_zone: row.get(5)?,
                location: row.get(6)?,
                calendar_uid: row.get(7)?,
                status: parse_enum(row.get(8)?)?,
                interviewers: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut people = conn.prepare_cached(
        "SELECT p.id, p.name, p.email, p.address_as
         FROM round_interviewers r JOIN people p ON p.id = r.person_id
         WHERE r.round_id = ?1 ORDER BY r.position",
    )?;
    for round in &mut rounds {
        round.interviewers = people.query_map([round.id.0], person_from_row)?.collect::<rusqlite::Result<_>>()?;
    }
    Ok(rounds)
}

// ---------------------------------------------------------------------------
// Notes

pub fn insert_note(conn: &Connection, id: ApplicationId, text: &str, now: Timestamp) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO notes (application_id, text, created_at) VALUES (?1, ?2, ?3)",
        params![id.0, text, ts_to_sql(now)],
    )?;
    Ok(())
}

pub fn notes_of(conn: &Connection, id: ApplicationId) -> rusqlite::Result<Vec<(Timestamp, String)>> {
    let mut statement =
        conn.prepare_cached("SELECT created_at, text FROM notes WHERE application_id = ?1 ORDER BY created_at, id")?;
    statement.query_map([id.0], |row| Ok((ts_from_sql(&row.get::<_, String>(0)?)?, row.get(1)?)))?.collect()
}

// ---------------------------------------------------------------------------
// Messages

#[derive(Debug, Clone, Default)]
pub struct MessageRow {
    pub id: Option<MessageId>,
    pub application_id: Option<ApplicationId>,
    /// "in" for mail received, "out" for mail sent.
    pub direction: String,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub from_email: Option<String>,
    pub from_name: Option<String>,
    pub reply_to: Option<String>,
    pub to_emails: Vec<String>,
    pub subject: Option<String>,
    pub date: Option<Timestamp>,
    pub mailbox: Option<String>,
    pub uid: Option<u32>,
    pub uid_validity: Option<u32>,
    pub kind: Option<String>,
    pub confidence: Option<f64>,
    pub classification: Option<String>,
    pub status: String,
    pub effect: Option<String>,
    pub error: Option<String>,
    pub received_at: Option<Timestamp>,
}

const MESSAGE_COLUMNS: &str = "id, application_id, direction, message_id, in_reply_to, refs, from_email, from_name,
    reply_to, to_emails, subject, date, mailbox, uid, uid_validity, kind, confidence, classification, status, effect,
    error, received_at";

fn split_words(text: String) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

fn message_from_row(row: &Row) -> rusqlite::Result<MessageRow> {
    Ok(MessageRow {
        id: Some(MessageId(row.get(0)?)),
        application_id: row.get::<_, Option<i64>>(1)?.map(ApplicationId),
        direction: row.get(2)?,
        message_id: row.get(3)?,
        in_reply_to: row.get(4)?,
        references: split_words(row.get(5)?),
        from_email: row.get(6)?,
        from_name: row.get(7)?,
        reply_to: row.get(8)?,
        to_emails: split_words(row.get(9)?),
        subject: row.get(10)?,
        date: opt_ts(row.get(11)?)?,
        mailbox: row.get(12)?,
        uid: row.get(13)?,
        uid_validity: row.get(14)?,
        kind: row.get(15)?,
        confidence: row.get(16)?,
        classification: row.get(17)?,
        status: row.get(18)?,
        effect: row.get(19)?,
        error: row.get(20)?,
        received_at: opt_ts(row.get(21)?)?,
    })
}

pub fn insert_message(conn: &Connection, message: &MessageRow, now: Timestamp) -> rusqlite::Result<MessageId> {
    conn.prepare_cached(
        "INSERT INTO messages (application_id, direction, message_id, in_reply_to, refs, from_email, from_name,
             reply_to, to_emails, subject, date, mailbox, uid, uid_validity, kind, confidence, classification,
             status, effect, error, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
    )?
    .execute(params![
        message.application_id.map(|id| id.0),
        message.direction,
        message.message_id,
        message.in_reply_to,
        message.references.join(" "),
        message.from_email,
        message.from_name,
        message.reply_to,
        message.to_emails.join(" "),
        message.subject,
        message.date.map(ts_to_sql),
        message.mailbox,
        message.uid,
        message.uid_validity,
        message.kind,
        message.confidence,
        message.classification,
        message.status,
        message.effect,
        message.error,
        ts_to_sql(message.received_at.unwrap_or(now)),
    ])?;
    Ok(MessageId(conn.last_insert_rowid()))
}

pub fn get_message(conn: &Connection, id: MessageId) -> rusqlite::Result<Option<MessageRow>> {
    conn.query_row(&format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?1"), [id.0], message_from_row)
        .optional()
}

/// The message recorded with this Message-ID, in either direction.
pub fn find_message(conn: &Connection, message_id: &str) -> rusqlite::Result<Option<MessageRow>> {
    conn.prepare_cached(&format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE message_id = ?1 ORDER BY id LIMIT 1"))?
        .query_row([message_id], message_from_row)
        .optional()
}

/// Records what a message was taken for when the user confirms it as another kind.
pub fn set_message_kind(conn: &Connection, id: MessageId, kind: &str) -> rusqlite::Result<()> {
    conn.execute("UPDATE messages SET kind = ?2 WHERE id = ?1", params![id.0, kind])?;
    Ok(())
}

/// True when an incoming message with this Message-ID was already recorded.
pub fn has_incoming_message(conn: &Connection, message_id: &str) -> rusqlite::Result<bool> {
    conn.query_row("SELECT 1 FROM messages WHERE direction = 'in' AND message_id = ?1", [message_id], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

pub fn messages_of(conn: &Connection, id: ApplicationId) -> rusqlite::Result<Vec<MessageRow>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE application_id = ?1 ORDER BY COALESCE(date, received_at), id"
    ))?;
    statement.query_map([id.0], message_from_row)?.collect()
}

pub fn messages_with_status(conn: &Connection, status: &str) -> rusqlite::Result<Vec<MessageRow>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE status = ?1 ORDER BY received_at, id"
    ))?;
    statement.query_map([status], message_from_row)?.collect()
}

/// The application that has seen or sent any of these Message-IDs, trying them in order.
/// Drafts count whatever their status: their Message-ID is fixed when drafted and
/// belongs to no one else, so a reply to it can only be about their application (it may
/// have gone out from the Drafts mailbox, outside debrief's own sending).
pub fn application_of_thread(conn: &Connection, ids: &[String]) -> rusqlite::Result<Option<ApplicationId>> {
    for id in ids {
        let found: Option<i64> = conn
            .prepare_cached(
                "SELECT application_id FROM messages WHERE message_id = ?1 AND application_id IS NOT NULL
                 UNION ALL
                 SELECT application_id FROM drafts WHERE message_id = ?1
                 LIMIT 1",
            )?
            .query_row([id], |row| row.get(0))
            .optional()?;
        if let Some(application) = found {
            return Ok(Some(ApplicationId(application)));
        }
    }
    Ok(None)
}

pub fn set_message_outcome(
    conn: &Connection,
    id: MessageId,
    application: Option<ApplicationId>,
    status: &str,
    effect: Option<&str>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE messages SET application_id = COALESCE(?2, application_id), status = ?3, effect = ?4 WHERE id = ?1",
    )?
    .execute(params![id.0, application.map(|id| id.0), status, effect])?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Drafts

#[derive(Debug, Clone, PartialEq)]
pub struct DraftRow {
    pub id: DraftId,
    pub application_id: ApplicationId,
    pub kind: DraftKind,
    pub round_id: Option<RoundId>,
    pub person_id: Option<PersonId>,
    pub series: u32,
    pub number: u32,
    pub reply_to_message: Option<MessageId>,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub status: DraftStatus,
    pub status_reason: Option<String>,
    pub send_at: Timestamp,
    pub deadline: Option<Timestamp>,
    pub edited: bool,
    pub needs_topic: bool,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub approved_at: Option<Timestamp>,
    pub approved_to: Option<Vec<String>>,
    pub sent_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// An approval made in the page may not go before this instant (it can be undone
    /// until then); `None` when the draft is not held.
    pub hold_until: Option<Timestamp>,
}

const DRAFT_COLUMNS: &str = "id, application_id, kind, round_id, person_id, series, number, reply_to_message,
    to_emails, subject, body, message_id, in_reply_to, refs, status, status_reason, send_at, deadline, edited,
    needs_topic, attempts, last_error, approved_at, approved_to, sent_at, created_at, updated_at, hold_until";

fn draft_from_row(row: &Row) -> rusqlite::Result<DraftRow> {
    Ok(DraftRow {
        id: DraftId(row.get(0)?),
        application_id: ApplicationId(row.get(1)?),
        kind: parse_enum(row.get(2)?)?,
        round_id: row.get::<_, Option<i64>>(3)?.map(RoundId),
        person_id: row.get::<_, Option<i64>>(4)?.map(PersonId),
        series: row.get(5)?,
        number: row.get(6)?,
        reply_to_message: row.get::<_, Option<i64>>(7)?.map(MessageId),
        to: split_words(row.get(8)?),
        subject: row.get(9)?,
        body: row.get(10)?,
        message_id: row.get(11)?,
        in_reply_to: row.get(12)?,
        references: split_words(row.get(13)?),
        status: parse_enum(row.get(14)?)?,
        status_reason: row.get(15)?,
        send_at: ts_from_sql(&row.get::<_, String>(16)?)?,
        deadline: opt_ts(row.get(17)?)?,
        edited: row.get(18)?,
        needs_topic: row.get(19)?,
        attempts: row.get(20)?,
        last_error: row.get(21)?,
        approved_at: opt_ts(row.get(22)?)?,
        approved_to: row.get::<_, Option<String>>(23)?.map(split_words),
        sent_at: opt_ts(row.get(24)?)?,
        created_at: ts_from_sql(&row.get::<_, String>(25)?)?,
        updated_at: ts_from_sql(&row.get::<_, String>(26)?)?,
        hold_until: opt_ts(row.get(27)?)?,
    })
}

/// A draft as the planner makes it.
#[derive(Debug, Clone)]
pub struct NewDraft {
    pub application_id: ApplicationId,
    pub kind: DraftKind,
    pub round_id: Option<RoundId>,
    pub person_id: Option<PersonId>,
    pub series: u32,
    pub number: u32,
    pub reply_to_message: Option<MessageId>,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub send_at: Timestamp,
    pub deadline: Option<Timestamp>,
    pub needs_topic: bool,
}

pub fn insert_draft(conn: &Connection, draft: &NewDraft, now: Timestamp) -> rusqlite::Result<DraftId> {
    conn.execute(
        "INSERT INTO drafts (application_id, kind, round_id, person_id, series, number, reply_to_message, to_emails,
             subject, body, message_id, in_reply_to, refs, status, send_at, deadline, needs_topic, created_at,
             updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'pending', ?14, ?15, ?16, ?17, ?17)",
        params![
            draft.application_id.0,
            draft.kind.as_str(),
            draft.round_id.map(|id| id.0),
            draft.person_id.map(|id| id.0),
            draft.series,
            draft.number,
            draft.reply_to_message.map(|id| id.0),
            draft.to.join(" "),
            draft.subject,
            draft.body,
            draft.message_id,
            draft.in_reply_to,
            draft.references.join(" "),
            ts_to_sql(draft.send_at),
            draft.deadline.map(ts_to_sql),
            draft.needs_topic,
            ts_to_sql(now),
        ],
    )?;
    Ok(DraftId(conn.last_insert_rowid()))
}

pub fn get_draft(conn: &Connection, id: DraftId) -> rusqlite::Result<Option<DraftRow>> {
    conn.query_row(&format!("SELECT {DRAFT_COLUMNS} FROM drafts WHERE id = ?1"), [id.0], draft_from_row).optional()
}

pub fn drafts_of(conn: &Connection, id: ApplicationId) -> rusqlite::Result<Vec<DraftRow>> {
    let mut statement =
        conn.prepare_cached(&format!("SELECT {DRAFT_COLUMNS} FROM drafts WHERE application_id = ?1 ORDER BY id"))?;
    statement.query_map([id.0], draft_from_row)?.collect()
}

/// Drafts awaiting approval and approved messages not yet sent, soonest first.
pub fn queue(conn: &Connection) -> rusqlite::Result<Vec<DraftRow>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {DRAFT_COLUMNS} FROM drafts
         WHERE status IN ('pending', 'approved', 'sending', 'unknown', 'failed')
         ORDER BY send_at, id"
    ))?;
    statement.query_map([], draft_from_row)?.collect()
}

// Every change of a draft's status below is a compare-and-swap: it names the status the
// caller read (`from`) and changes the row only if it still has it, returning whether it
// did. The CLI and the daemon share the database, so a draft read before `$EDITOR` opens,
// or before an SMTP conversation, may have been sent, rejected or cancelled meanwhile; the
// caller that gets `false` lost that race and must say so, never undo the other change.

/// Sets a draft's status, if it is still `from`.
pub fn set_draft_status(
    conn: &Connection,
    id: DraftId,
    from: DraftStatus,
    status: DraftStatus,
    reason: Option<&str>,
    now: Timestamp,
) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE drafts SET status = ?2, status_reason = ?3, updated_at = ?4 WHERE id = ?1 AND status = ?5",
        params![id.0, status.as_str(), reason, ts_to_sql(now), from.as_str()],
    )?;
    Ok(changed == 1)
}

/// Records the approval, if the draft is still `from`: who it may go to is fixed now
/// (invariant 7), and a new approval starts a new retry budget (no attempts, no error).
pub fn approve_draft(conn: &Connection, id: DraftId, from: DraftStatus, now: Timestamp) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE drafts
         SET status = 'approved', approved_at = ?2, approved_to = to_emails, status_reason = NULL,
             attempts = 0, last_error = NULL, hold_until = NULL, updated_at = ?2
         WHERE id = ?1 AND status = ?3",
        params![id.0, ts_to_sql(now), from.as_str()],
    )?;
    Ok(changed == 1)
}

/// New content for a draft. It returns to pending: what was approved is no longer what
/// would be sent.
pub struct DraftContent<'a> {
    pub to: &'a [String],
    pub subject: &'a str,
    pub body: &'a str,
    pub needs_topic: bool,
    pub edited: bool,
}

/// New content, if the draft is still `from`; it returns to pending.
pub fn update_draft_content(
    conn: &Connection,
    id: DraftId,
    from: DraftStatus,
    content: &DraftContent,
    now: Timestamp,
) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE drafts
         SET to_emails = ?2, subject = ?3, body = ?4, needs_topic = ?5, edited = (edited OR ?6),
             status = 'pending', approved_at = NULL, approved_to = NULL, hold_until = NULL, updated_at = ?7,
             -- The generated text, kept at the first edit by hand (the page shows the difference).
             generated_text = CASE WHEN ?6 THEN COALESCE(generated_text, 'To: ' || replace(to_emails, ' ', ', ')
                 || char(10) || 'Subject: ' || subject || char(10) || char(10) || body) ELSE NULL END
         WHERE id = ?1 AND status = ?8",
        params![
            id.0,
            content.to.join(" "),
            content.subject,
            content.body,
            content.needs_topic,
            content.edited,
            ts_to_sql(now),
            from.as_str()
        ],
    )?;
    Ok(changed == 1)
}

/// A new send time, if the draft is still `from`.
pub fn reschedule_draft(
    conn: &Connection,
    id: DraftId,
    from: DraftStatus,
    send_at: Timestamp,
    now: Timestamp,
) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE drafts SET send_at = ?2, updated_at = ?3 WHERE id = ?1 AND status = ?4",
        params![id.0, ts_to_sql(send_at), ts_to_sql(now), from.as_str()],
    )?;
    Ok(changed == 1)
}

// ---------------------------------------------------------------------------
// The core's view of an application

/// Loads what the domain core looks at for one application.
pub fn load_view(conn: &Connection, id: ApplicationId) -> rusqlite::Result<Option<(ApplicationRow, ApplicationView)>> {
    let Some(application) = get_application(conn, id)? else {
        return Ok(None);
    };
    let rounds = rounds_of(conn, id)?
        .into_iter()
        .map(|round| Round {
            id: round.id,
            number: round.number,
            start: round.start,
            end: round.end,
            zone: round.time_zone.as_deref().and_then(|name| TimeZone::get(name).ok()),
            status: round.status,
            interviewers: round.interviewers.iter().map(|person| person.id).collect(),
            calendar_uid: round.calendar_uid,
        })
        .collect();
    let drafts = drafts_of(conn, id)?
        .into_iter()
        .map(|draft| DraftFacts {
            id: draft.id,
            kind: draft.kind,
            status: draft.status,
            round: draft.round_id,
            person: draft.person_id,
            series: draft.series,
            number: draft.number,
            send_at: draft.send_at,
            sent_at: draft.sent_at,
        })
        .collect();
    let view = ApplicationView { id, state: application.state, rounds, drafts, cadence: application.cadence.clone() };
    Ok(Some((application, view)))
}

// ---------------------------------------------------------------------------
// Maildir progress

/// The unique names of the files of `folder` already read.
pub fn maildir_seen_names(conn: &Connection, folder: &str) -> rusqlite::Result<std::collections::HashSet<String>> {
    let mut statement = conn.prepare_cached("SELECT name FROM maildir_seen WHERE folder = ?1")?;
    statement.query_map([folder], |row| row.get(0))?.collect()
}

/// Records that the file `name` of `folder` was read (as `message`, when recorded).
pub fn insert_maildir_seen(
    conn: &Connection,
    folder: &str,
    name: &str,
    message: Option<MessageId>,
    now: Timestamp,
) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO maildir_seen (folder, name, message, seen_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![folder, name, message.map(|id| id.0), ts_to_sql(now)])?;
    Ok(())
}
// The outbox: sending approved drafts (src/outbox.rs). Kept together, at the end, so that
// it merges cleanly with other work on this file.

/// Approved drafts whose send time has come, soonest first. Only drafts with an approval
/// recorded are listed (invariant 1); the sender checks again when it claims each one.
pub fn due_drafts(conn: &Connection, now: Timestamp) -> rusqlite::Result<Vec<DraftRow>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {DRAFT_COLUMNS} FROM drafts
         WHERE status = 'approved' AND approved_at IS NOT NULL AND send_at <= ?1
           AND (hold_until IS NULL OR hold_until <= ?1)
         ORDER BY send_at, id"
    ))?;
    statement.query_map([ts_to_sql(now)], draft_from_row)?.collect()
}

/// The earliest send time among approved drafts (the end of its hold, when later): when
/// the sender next has work.
pub fn next_send_at(conn: &Connection) -> rusqlite::Result<Option<Timestamp>> {
    let earliest: Option<String> = conn.query_row(
        "SELECT MIN(MAX(send_at, COALESCE(hold_until, send_at)))
         FROM drafts WHERE status = 'approved' AND approved_at IS NOT NULL",
        [],
        |row| row.get(0),
    )?;
    opt_ts(earliest)
}

pub fn drafts_with_status(conn: &Connection, status: DraftStatus) -> rusqlite::Result<Vec<DraftRow>> {
    let mut statement =
        conn.prepare_cached(&format!("SELECT {DRAFT_COLUMNS} FROM drafts WHERE status = ?1 ORDER BY send_at, id"))?;
    statement.query_map([status.as_str()], draft_from_row)?.collect()
}

/// Marks a draft `sending` and counts the attempt, before the SMTP conversation. The caller
/// has checked, in the same transaction, that the draft may go.
pub fn mark_draft_sending(conn: &Connection, id: DraftId, now: Timestamp) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE drafts
         SET status = 'sending', attempts = attempts + 1, status_reason = NULL, updated_at = ?2
         WHERE id = ?1 AND status = 'approved'",
        params![id.0, ts_to_sql(now)],
    )?;
    Ok(changed == 1)
}

/// The message went out (or, in drafts_only mode, was filed in Drafts: `reason` says so),
/// if the draft is still in one of `from`.
pub fn mark_draft_sent(
    conn: &Connection,
    id: DraftId,
    from: &[DraftStatus],
    reason: Option<&str>,
    now: Timestamp,
) -> rusqlite::Result<bool> {
    let from: Vec<String> = from.iter().map(|status| format!("'{}'", status.as_str())).collect();
    let changed = conn.execute(
        &format!(
            "UPDATE drafts
             SET status = 'sent', status_reason = ?2, sent_at = ?3, last_error = NULL, updated_at = ?3
             WHERE id = ?1 AND status IN ({})",
            from.join(", ")
        ),
        params![id.0, reason, ts_to_sql(now)],
    )?;
    Ok(changed == 1)
}

/// A transient failure: approved again, due at `retry_at`, with the error kept for `queue`.
pub fn defer_draft(
    conn: &Connection,
    id: DraftId,
    retry_at: Timestamp,
    error: &str,
    now: Timestamp,
) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE drafts
         SET status = 'approved', send_at = ?2, last_error = ?3, updated_at = ?4
         WHERE id = ?1 AND status = 'sending'",
        params![id.0, ts_to_sql(retry_at), error, ts_to_sql(now)],
    )?;
    Ok(changed == 1)
}

/// A draft that will not go without the user: `failed` (refused, or too many attempts) or
/// `unknown` (it may have gone). `error` is shown by `queue` and `show`.
pub fn set_draft_outcome(
    conn: &Connection,
    id: DraftId,
    from: DraftStatus,
    status: DraftStatus,
    error: &str,
    now: Timestamp,
) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE drafts SET status = ?2, last_error = ?3, status_reason = ?3, updated_at = ?4
         WHERE id = ?1 AND status = ?5",
        params![id.0, status.as_str(), error, ts_to_sql(now), from.as_str()],
    )?;
    Ok(changed == 1)
}

/// Records a sent draft in `messages` (direction `out`), so that replies to it are found
/// by thread. Recording the same Message-ID twice is a no-op.
pub fn record_outgoing(conn: &Connection, draft: &DraftRow, from: &str, date: Timestamp) -> rusqlite::Result<()> {
    let known: Option<i64> = conn
        .query_row("SELECT id FROM messages WHERE direction = 'out' AND message_id = ?1", [&draft.message_id], |row| {
            row.get(0)
        })
        .optional()?;
    if known.is_some() {
        return Ok(());
    }
    let message = MessageRow {
        application_id: Some(draft.application_id),
        direction: "out".into(),
        message_id: Some(draft.message_id.clone()),
        in_reply_to: draft.in_reply_to.clone(),
        references: draft.references.clone(),
        from_email: Some(from.to_owned()),
        to_emails: draft.to.clone(),
        subject: Some(draft.subject.clone()),
        date: Some(date),
        kind: Some(draft.kind.as_str().to_owned()),
        status: "sent".into(),
        received_at: Some(date),
        ..MessageRow::default()
    };
    insert_message(conn, &message, date)?;
    Ok(())
}

/// A due draft that must wait (an approved follow-up whose inbox could not be read first).
pub fn postpone_draft(
    conn: &Connection,
    id: DraftId,
    send_at: Timestamp,
    error: &str,
    now: Timestamp,
) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE drafts SET send_at = ?2, last_error = ?3, updated_at = ?4 WHERE id = ?1 AND status = 'approved'",
        params![id.0, ts_to_sql(send_at), error, ts_to_sql(now)],
    )?;
    Ok(changed == 1)
}

/// An approved draft whose recipients changed behind the approval goes back to pending
/// and forgets the approval (invariant 7), if it is still approved.
pub fn withdraw_approval(conn: &Connection, id: DraftId, reason: &str, now: Timestamp) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE drafts
         SET status = 'pending', status_reason = ?2, approved_at = NULL, approved_to = NULL, updated_at = ?3
         WHERE id = ?1 AND status = 'approved'",
        params![id.0, reason, ts_to_sql(now)],
    )?;
    Ok(changed == 1)
}

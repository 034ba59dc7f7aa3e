//! What drafts say: talking points (what the user noted about one round, and optionally
//! about one interviewer in it: the topic discussed, a strength to restate), and the
//! rewrite of a draft's words about time for the day it goes out. Rows only; which point
//! a draft uses, and when to rewrite, are the planner's decisions.

use super::{DraftRow, ts_from_sql, ts_to_sql};
use crate::domain::{ApplicationId, DraftId, PersonId, RoundId};
use jiff::Timestamp;
use rusqlite::{Connection, params};

/// What a talking point is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointKind {
    /// The topic discussed ("how the fleet scheduler handles backpressure").
    Topic,
    /// A qualification of the candidate's tied to the role, with an example.
    Strength,
    /// The candidate's own notes right after the interview: what went well, what to
    /// improve, how the fit feels (never sent to anyone).
    Impressions,
}

impl PointKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PointKind::Topic => "topic",
            PointKind::Strength => "strength",
            PointKind::Impressions => "impressions",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TalkingPointRow {
    pub round_id: RoundId,
    /// `None`: the whole round.
    pub person_id: Option<PersonId>,
    pub kind: PointKind,
    pub text: String,
    pub created_at: Timestamp,
}

/// Sets (or replaces) the point of `kind` for a round, or for one person in it.
pub fn set_talking_point(
    conn: &Connection,
    round: RoundId,
    person: Option<PersonId>,
    kind: PointKind,
    text: &str,
    now: Timestamp,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO talking_points (round_id, person_id, kind, text, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (round_id, person_id, kind) DO UPDATE SET text = excluded.text, created_at = excluded.created_at",
        params![round.0, person.map_or(0, |person| person.0), kind.as_str(), text, ts_to_sql(now)],
    )?;
    Ok(())
}

/// Every talking point of an application's rounds.
pub fn talking_points_of(conn: &Connection, application: ApplicationId) -> rusqlite::Result<Vec<TalkingPointRow>> {
    let mut statement = conn.prepare(
        "SELECT t.round_id, t.person_id, t.kind, t.text, t.created_at
         FROM talking_points t JOIN rounds r ON r.id = t.round_id
         WHERE r.application_id = ?1
         ORDER BY t.round_id, t.person_id, t.kind",
    )?;
    statement
        .query_map([application.0], |row| {
            let kind: String = row.get(2)?;
            Ok(TalkingPointRow {
                round_id: RoundId(row.get(0)?),
                person_id: Some(row.get::<_, i64>(1)?).filter(|id| *id != 0).map(PersonId),
                kind: match kind.as_str() {
                    "strength" => PointKind::Strength,
                    "impressions" => PointKind::Impressions,
                    _ => PointKind::Topic,
                },
                text: row.get(3)?,
                created_at: ts_from_sql(&row.get::<_, String>(4)?)?,
            })
        })?
        .collect()
}

/// Replaces the body and send time of a draft rewritten for the day it goes out, only if
/// it is still as it was read (same status, same body, never edited by hand): the CLI and
/// the daemon share the database, and an edit or approval in between wins. Returns whether
/// the draft was changed.
pub fn rewrite_for_send_day(
    conn: &Connection,
    draft: &DraftRow,
    body: &str,
    send_at: Timestamp,
    now: Timestamp,
) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE drafts SET body = ?2, send_at = ?3, updated_at = ?4
         WHERE id = ?1 AND status = ?5 AND edited = 0 AND body = ?6",
        params![draft.id.0, body, ts_to_sql(send_at), ts_to_sql(now), draft.status.to_string(), draft.body],
    )?;
    Ok(changed == 1)
}

/// Sets (or replaces) what the user adds to one draft.
pub fn set_draft_addition(conn: &Connection, draft: DraftId, text: &str, now: Timestamp) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO draft_additions (draft_id, text, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (draft_id) DO UPDATE SET text = excluded.text, created_at = excluded.created_at",
        params![draft.0, text, ts_to_sql(now)],
    )?;
    Ok(())
}

/// What the user added to a draft, if anything.
pub fn draft_addition(conn: &Connection, draft: DraftId) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension as _;
    conn.query_row("SELECT text FROM draft_additions WHERE draft_id = ?1", [draft.0], |row| row.get(0)).optional()
}

/// Gives a pending draft that waits for its recipient's address that address, only if it
/// is still pending and unaddressed as read. Returns whether it changed.
pub fn address_waiting_draft(
    conn: &Connection,
    draft: DraftId,
    address: &str,
    now: Timestamp,
) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE drafts SET to_emails = ?2, updated_at = ?3
         WHERE id = ?1 AND status = 'pending' AND to_emails = ''",
        params![draft.0, address, ts_to_sql(now)],
    )?;
    Ok(changed == 1)
}

/// Gives a person without an address the address `email`. When someone already has it
/// (the same interviewer met again with their address), the person without it is folded
/// into them: their rounds and drafts move over. Returns the person who now has it.
pub fn give_address(conn: &Connection, person: PersonId, email: &str) -> rusqlite::Result<PersonId> {
    use rusqlite::OptionalExtension as _;
    let existing: Option<i64> =
        conn.query_row("SELECT id FROM people WHERE email = ?1", [email], |row| row.get(0)).optional()?;
    match existing {
        Some(target) if target != person.0 => {
            conn.execute(
                "UPDATE OR IGNORE round_interviewers SET person_id = ?2 WHERE person_id = ?1",
                params![person.0, target],
            )?;
            conn.execute("DELETE FROM round_interviewers WHERE person_id = ?1", [person.0])?;
            conn.execute("UPDATE drafts SET person_id = ?2 WHERE person_id = ?1", params![person.0, target])?;
            conn.execute(
                "UPDATE talking_points SET person_id = ?2 WHERE person_id = ?1 AND NOT EXISTS (
                     SELECT 1 FROM talking_points t
                     WHERE t.round_id = talking_points.round_id AND t.person_id = ?2 AND t.kind = talking_points.kind)",
                params![person.0, target],
            )?;
            conn.execute(
                "UPDATE people SET name = (SELECT name FROM people WHERE id = ?1) WHERE id = ?2 AND name IS NULL",
                params![person.0, target],
            )?;
            Ok(PersonId(target))
        }
        _ => {
            conn.execute("UPDATE people SET email = ?2 WHERE id = ?1", params![person.0, email])?;
            Ok(person)
        }
    }
}

/// Interviewers of open applications' rounds named `name` (without case) who have no address.
pub fn interviewers_without_address(conn: &Connection, name: &str) -> rusqlite::Result<Vec<(PersonId, ApplicationId)>> {
    let mut statement = conn.prepare(
        "SELECT DISTINCT p.id, r.application_id
         FROM people p
         JOIN round_interviewers ri ON ri.person_id = p.id
         JOIN rounds r ON r.id = ri.round_id
         WHERE p.email IS NULL AND lower(trim(p.name)) = lower(trim(?1))
         ORDER BY p.id",
    )?;
    statement.query_map([name], |row| Ok((PersonId(row.get(0)?), ApplicationId(row.get(1)?))))?.collect()
}

/// Gives round `from` of an application the number `to`; a round that had `to` takes
/// `from` (a swap), so numbers stay unique.
pub fn renumber_round(conn: &Connection, application: ApplicationId, from: u32, to: u32) -> rusqlite::Result<bool> {
    let moved = conn.execute(
        "UPDATE rounds SET number = CASE number WHEN ?2 THEN ?3 ELSE ?2 END
         WHERE application_id = ?1 AND number IN (?2, ?3)",
        params![application.0, from, to],
    )?;
    Ok(moved > 0)
}

//! The daily digest: one plain-text mail to the user that says what waits for them.
//!
//! [`compose`] reads the store at `now` and returns a [`Digest`] (or `None` when there
//! is nothing to say): drafts waiting for approval, late ones first; approved drafts not
//! yet sent; failed or interrupted ones; interviews in the next seven days; applications
//! that changed state since the last digest; and the exact commands to act on each.
//! [`build_message`] wraps it in an RFC 5322 message from the user to the user.
//! [`next_fire`] says when `[digest] at` fires next.
//!
//! This module reads the store and formats; it sends nothing and reads no clock: the
//! daemon passes `now`, sends the message, and remembers when it last did (`since`).
//!
//! Why not tokio-cron-scheduler for the schedule: its jobs take a chrono-tz zone, a
//! second copy of the time zone database beside jiff's (the system's), and live only in
//! memory. [`next_fire`] instead uses croner (the cron parser tokio-cron-scheduler is
//! built on) over *local civil* times and resolves each one in `identity.time_zone` with
//! jiff, so the daemon can sleep until a plain [`Timestamp`] and tests need no clock.
//! Across DST: 08:00 stays 08:00 local; a local time skipped by a spring-forward fires
//! once, at the same offset after the gap (02:30 → 03:30); a local time repeated by a
//! fall-back fires once, at its first occurrence.

use crate::config::Config;
use crate::domain::{ApplicationId, DraftStatus, RoundStatus};
use crate::store::{self, ApplicationRow, DraftRow};
use anyhow::{Context as _, anyhow};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A digest ready to mail: a subject line and a plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub subject: String,
    pub body: String,
}

/// How far ahead the digest lists interviews.
pub const UPCOMING: SignedDuration = SignedDuration::from_hours(7 * 24);

/// When `since` is unknown (no digest was sent yet), changes of the last day are listed.
pub const FIRST_DIGEST_LOOKS_BACK: SignedDuration = SignedDuration::from_hours(24);

/// The digest at `now`: what the user should know and do. `since` is when the previous
/// digest went out; state changes after it are listed. `None` when there is nothing to say.
pub fn compose(
    conn: &Connection,
    config: &Config,
    since: Option<Timestamp>,
    now: Timestamp,
) -> anyhow::Result<Option<Digest>> {
    let zone = &config.identity.time_zone;
    let since = match since {
        Some(since) => since,
        None => now.checked_sub(FIRST_DIGEST_LOOKS_BACK).context("Computing the start of the first digest")?,
    };
    let applications: BTreeMap<ApplicationId, ApplicationRow> =
        store::list_applications(conn)?.into_iter().map(|app| (app.id, app)).collect();
    let name_of = |id: ApplicationId| match applications.get(&id) {
        Some(app) if app.role.is_empty() => format!("{} (application {id})", app.company),
        Some(app) => format!("{}, {} (application {id})", app.company, app.role),
        None => format!("application {id}"),
    };

    let queue = store::queue(conn).context("Reading the queue for the digest")?;
    let is_late = |draft: &DraftRow| draft.deadline.is_some_and(|deadline| deadline <= now);
    let mut late: Vec<&DraftRow> =
        queue.iter().filter(|draft| draft.status == DraftStatus::Pending && is_late(draft)).collect();
    late.sort_by_key(|draft| (draft.deadline, draft.id));
    let waiting: Vec<&DraftRow> =
        queue.iter().filter(|draft| draft.status == DraftStatus::Pending && !is_late(draft)).collect();
    let going: Vec<&DraftRow> =
        queue.iter().filter(|draft| matches!(draft.status, DraftStatus::Approved | DraftStatus::Sending)).collect();
    let trouble: Vec<&DraftRow> =
        queue.iter().filter(|draft| matches!(draft.status, DraftStatus::Failed | DraftStatus::Unknown)).collect();

    let horizon = now.checked_add(UPCOMING).context("Computing the digest's horizon")?;
    let mut interviews = Vec::new();
    let mut changes = Vec::new();
    for app in applications.values() {
        if !app.state.is_closed() {
            for round in store::rounds_of(conn, app.id)? {
                if round.status == RoundStatus::Scheduled && round.start >= now && round.start < horizon {
                    interviews.push((app.id, round));
                }
            }
        }
        for entry in store::history_of(conn, app.id)? {
            if entry.to_state.is_some() && entry.at > since && entry.at <= now {
                changes.push((app.id, entry));
            }
        }
    }
    interviews.sort_by_key(|(id, round)| (round.start, *id));
    changes.sort_by_key(|(id, entry)| (entry.at, *id));
    let to_write_down = crate::planner::impressions_wanted(conn, now)?;

    if late.is_empty()
        && waiting.is_empty()
        && going.is_empty()
        && trouble.is_empty()
        && interviews.is_empty()
        && changes.is_empty()
        && to_write_down.is_empty()
    {
        return Ok(None);
    }

    // When each draft really goes (approved now, for one that waits): inside its send
    // window, never at a past planned time (`planner::actual_send_time`).
    let mut goes_at = BTreeMap::new();
    for draft in &queue {
        goes_at.insert(draft.id, crate::planner::actual_send_time(conn, config, draft, now)?);
    }
    let goes = |draft: &DraftRow| goes_at.get(&draft.id).copied().unwrap_or(draft.send_at);
    let mut body = String::new();
    let first_name = config.identity.name.split_whitespace().next().unwrap_or(&config.identity.name);
    writeln!(body, "Good morning, {first_name}. Here is where your applications stand, at {}.", local(now, zone))?;

    if !late.is_empty() {
        section(&mut body, "Late: past their deadline, still waiting for your approval", late.len())?;
        for draft in &late {
            draft_lines(&mut body, draft, &name_of(draft.application_id))?;
            let deadline = draft.deadline.map(|deadline| local(deadline, zone)).unwrap_or_default();
            if goes(draft) <= now {
                writeln!(body, "    Its deadline was {deadline}; it goes out as soon as you approve it.")?;
            } else {
                let opens = local(goes(draft), zone);
                writeln!(
                    body,
                    "    Its deadline was {deadline}; approved, it goes out when its send window opens, {opens}."
                )?;
            }
            approval_commands(&mut body, draft)?;
        }
    }
    if !waiting.is_empty() {
        section(&mut body, "Waiting for your approval", waiting.len())?;
        for draft in &waiting {
            draft_lines(&mut body, draft, &name_of(draft.application_id))?;
            match draft.deadline {
                Some(deadline) => writeln!(
                    body,
                    "    Goes out from {} once approved; late after {}.",
                    local(goes(draft), zone),
                    local(deadline, zone)
                )?,
                None => writeln!(body, "    Goes out from {} once approved.", local(goes(draft), zone))?,
            }
            approval_commands(&mut body, draft)?;
        }
    }
    if !going.is_empty() {
        section(&mut body, "Approved, going out", going.len())?;
        for draft in &going {
            draft_lines(&mut body, draft, &name_of(draft.application_id))?;
            if draft.status == DraftStatus::Sending {
                writeln!(body, "    Being sent now.")?;
            } else if draft.send_at <= now && goes(draft) > now {
                let (since, opens) = (local(draft.send_at, zone), local(goes(draft), zone));
                writeln!(body, "    Due since {since}: it goes out when its send window opens, {opens}.")?;
            } else if draft.send_at <= now {
                writeln!(body, "    Due since {}: it goes out when the daemon next runs.", local(draft.send_at, zone))?;
            } else {
                writeln!(body, "    Goes out {}.", local(draft.send_at, zone))?;
            }
            writeln!(body, "    To stop it: debrief reject {}   To change it: debrief edit {}", draft.id, draft.id)?;
        }
    }
    if !trouble.is_empty() {
        section(&mut body, "Needs your attention: not sent", trouble.len())?;
        for draft in &trouble {
            draft_lines(&mut body, draft, &name_of(draft.application_id))?;
            if draft.status == DraftStatus::Failed {
                let reason =
                    draft.last_error.as_deref().or(draft.status_reason.as_deref()).unwrap_or("no reason recorded");
                writeln!(body, "    Sending failed: {reason}.")?;
                writeln!(
                    body,
                    "    Try again: debrief approve {}   Give it up: debrief reject {}",
                    draft.id, draft.id
                )?;
            } else {
                writeln!(body, "    Sending was interrupted; debrief looks for it in your Sent mailbox.")?;
                writeln!(
                    body,
                    "    If it did not go out: debrief approve {}   Give it up: debrief reject {}",
                    draft.id, draft.id
                )?;
            }
        }
    }
    if !interviews.is_empty() {
        section(&mut body, "Interviews in the next 7 days", interviews.len())?;
        for (id, round) in &interviews {
            let round_zone = round.time_zone.as_deref().and_then(|name| TimeZone::get(name).ok());
            let mut when = local(round.start, zone);
            if let Some(round_zone) = round_zone.filter(|round_zone| round_zone != zone) {
                write!(when, " ({} there)", round.start.to_zoned(round_zone).strftime("%H:%M %Z"))?;
            }
            writeln!(body, "  {when}: {}, round {}", name_of(*id), round.number)?;
            let people: Vec<String> = round
                .interviewers
                .iter()
                .filter_map(|person| person.name.clone().or_else(|| person.email.clone()))
                .collect();
            if !people.is_empty() {
                writeln!(body, "    With {}.", people.join(", "))?;
            }
            if let Some(location) = &round.location {
                writeln!(body, "    At {location}.")?;
            }
        }
    }
    if !to_write_down.is_empty() {
        section(&mut body, "Interviews to write down while they are fresh", to_write_down.len())?;
        for line in &to_write_down {
            writeln!(body, "  {line}")?;
        }
    }
    if !changes.is_empty() {
        section(&mut body, &format!("Changes since {}", local(since, zone)), changes.len())?;
        for (id, entry) in &changes {
            let from = entry.from_state.as_deref().unwrap_or("new");
            let to = entry.to_state.as_deref().unwrap_or_default();
            writeln!(body, "  {}: {}, {from} -> {to}: {}.", local(entry.at, zone), name_of(*id), entry.event)?;
            writeln!(body, "    Why: debrief history {id}")?;
        }
    }
    writeln!(body, "\nThe whole queue: debrief queue   The pipeline: debrief applications")?;
    writeln!(body, "-- \nSent by debrief to you only. Set the time with [digest] at, or remove [digest] to stop it.")?;

    let subject = subject(late.len(), waiting.len(), going.len(), trouble.len(), interviews.len(), changes.len());
    Ok(Some(Digest { subject, body }))
}

fn subject(late: usize, waiting: usize, going: usize, trouble: usize, interviews: usize, changes: usize) -> String {
    let mut parts = Vec::new();
    if late + waiting > 0 {
        let mut part = count(late + waiting, "draft", "drafts") + " to approve";
        if late > 0 {
            write!(part, " ({late} late)").ok();
        }
        parts.push(part);
    }
    if trouble > 0 {
        parts.push(format!("{} not sent", count(trouble, "message", "messages")));
    }
    if going > 0 {
        parts.push(format!("{} going out", count(going, "approved message", "approved messages")));
    }
    if interviews > 0 {
        parts.push(format!("{} this week", count(interviews, "interview", "interviews")));
    }
    if changes > 0 {
        parts.push(count(changes, "update", "updates"));
    }
    format!("debrief: {}", parts.join(", "))
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn section(body: &mut String, title: &str, n: usize) -> std::fmt::Result {
    write!(body, "\n{title} ({n})\n")
}

fn draft_lines(body: &mut String, draft: &DraftRow, application: &str) -> std::fmt::Result {
    let kind = draft.kind.as_str().replace('_', "-");
    writeln!(body, "  #{} {kind} to {}: \"{}\"", draft.id, draft.to.join(", "), draft.subject)?;
    writeln!(body, "    For {application}.")
}

fn approval_commands(body: &mut String, draft: &DraftRow) -> std::fmt::Result {
    if draft.needs_topic {
        writeln!(
            body,
            "    It lacks the topic you discussed: debrief note {} --topic \"...\" rewrites it.",
            draft.application_id
        )?;
    }
    let id = draft.id;
    writeln!(
        body,
        "    Read: debrief show {id}   Approve: debrief approve {id}   Edit: debrief edit {id}   Reject: debrief reject {id}"
    )
}

/// A time for the user: their zone, to the minute ("Thu 2026-12-03 08:00 PST").
fn local(instant: Timestamp, zone: &TimeZone) -> String {
    instant.to_zoned(zone.clone()).strftime("%a %Y-%m-%d %H:%M %Z").to_string()
}

/// The digest as a complete message (CRLF line ends), from the user to the user, dated
/// `now`, with a fresh Message-ID, ready for `SmtpSender::send_raw`.
pub fn build_message(config: &Config, digest: &Digest, now: Timestamp) -> anyhow::Result<Vec<u8>> {
    use lettre::message::{Mailbox, header::ContentType};
    let identity = &config.identity;
    let address =
        identity.email.parse().with_context(|| format!("identity.email {:?} is not an address", identity.email))?;
    let mailbox = Mailbox::new(Some(identity.name.clone()), address);
    let domain = identity.email.rsplit_once('@').map_or("debrief.invalid", |(_, domain)| domain);
    let message_id = format!("<debrief.digest.{}.{:016x}@{domain}>", now.as_second(), fastrand::u64(..));
    let message = lettre::Message::builder()
        .from(mailbox.clone())
        .to(mailbox)
        .subject(crate::domain::threading::clean_header_value(&digest.subject))
        .date(std::time::SystemTime::from(now))
        .message_id(Some(message_id))
        .header(ContentType::TEXT_PLAIN)
        .body(digest.body.clone())
        .context("Building the digest message")?;
    Ok(message.formatted())
}

// ---------------------------------------------------------------------------
// The schedule.

/// A parsed `[digest] at`: a six-field cron expression (seconds first) read in local time.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: croner::Cron,
}

impl Schedule {
    /// Parses a cron expression with seconds: "0 0 8 * * Mon-Fri". The error says what
    /// is wrong, for the config's refusal.
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let fields = text.split_whitespace().count();
        if fields != 6 {
            return Err(format!(
                "{text:?} has {fields} fields; expected six (sec min hour day-of-month month day-of-week), e.g. \"0 0 8 * * Mon-Fri\""
            ));
        }
        let cron = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Required)
            .build()
            .parse(text)
            .map_err(|err| format!("{text:?} is not a cron expression: {err}"))?;
        let schedule = Schedule { cron };
        // A pattern that names no real day (the 31st of February) would never fire.
        let probe = Timestamp::from_second(1_767_225_600).map_err(|err| err.to_string())?; // 2026-01-01
        schedule
            .next_after(&TimeZone::UTC, probe)
            .map_err(|_| format!("{text:?} never fires: it names no date that exists"))?;
        Ok(schedule)
    }

    /// The first instant strictly after `after` at which this schedule fires in `zone`.
    pub fn next_after(&self, zone: &TimeZone, after: Timestamp) -> anyhow::Result<Timestamp> {
        // Search over civil (wall-clock) times, carried in chrono's UTC, where no
        // transition skips or repeats any; then place each match in the zone.
        let mut civil = after.to_zoned(zone.clone()).datetime();
        // A match that resolves to an instant at or before `after` (the second pass of a
        // repeated hour) is skipped; a handful of tries covers any real transition.
        for _ in 0..8 {
            let carried = chrono::DateTime::<chrono::Utc>::from_timestamp(
                civil.to_zoned(TimeZone::UTC).context("Placing a local time")?.timestamp().as_second(),
                0,
            )
            .ok_or_else(|| anyhow!("{civil} is out of range"))?;
            let found = self
                .cron
                .find_next_occurrence(&carried, false)
                .map_err(|err| anyhow!("no next time for the schedule after {civil}: {err}"))?;
            civil = Timestamp::from_second(found.timestamp())?.to_zoned(TimeZone::UTC).datetime();
            // `compatible`: a skipped time moves forward by the gap, a repeated time takes
            // its first occurrence.
            let instant = zone.to_ambiguous_timestamp(civil).compatible()?;
            if instant > after {
                return Ok(instant);
            }
        }
        Err(anyhow!("the schedule found no time after {after}; this is a bug, please report it"))
    }
}

/// When the cron expression `cron` next fires after `after`, read in `zone`.
pub fn next_fire(cron: &str, zone: &TimeZone, after: Timestamp) -> anyhow::Result<Timestamp> {
    let schedule = Schedule::parse(cron).map_err(|message| anyhow!("digest.at: {message}"))?;
    schedule.next_after(zone, after)
}

#[cfg(test)]
mod tests;

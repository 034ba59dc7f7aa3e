//! The pipeline: `add`, `note`, `person`, `applications`, `history`, `mark`.

use crate::cli::common::{Session, local, parse_contact, parse_instant, print_json};
use crate::cli::usage;
use crate::domain::policy::PolicyDuration;
use crate::domain::process::{Event, Slot};
use crate::domain::{ApplicationId, ApplicationState, DraftStatus, RoundStatus};
use crate::planner::not_found;
use crate::store::{self, ApplicationRow, Cause};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The employer, as you would write it ("Acme Robotics").
    #[arg(long)]
    pub company: String,
    /// The position ("Backend Engineer").
    #[arg(long)]
    pub role: String,
    /// When the interview starts: 2026-12-01T10:00:00-08:00, or "2026-12-01 10:00" in --time-zone.
    #[arg(long)]
    pub start: String,
    /// How long it lasts: "45m", "1h", "1h30m".
    #[arg(long, default_value = "1h")]
    pub duration: String,
    /// An interviewer: "Jane Doe <jane@acme.example>"; repeat for each.
    #[arg(long = "interviewer", value_name = "NAME <ADDRESS>")]
    pub interviewers: Vec<String>,
    /// The interview's IANA time zone, for the send window [default: identity.time_zone].
    #[arg(long)]
    pub time_zone: Option<String>,
    /// Where it takes place (a room, a video link).
    #[arg(long)]
    pub location: Option<String>,
}

pub fn add(config: Option<&Path>, args: &AddArgs, now: Timestamp) -> anyhow::Result<()> {
    let mut session = Session::open(config)?;
    let zone = match &args.time_zone {
        Some(name) => TimeZone::get(name).map_err(|_| {
            usage(format!("--time-zone {name:?} is not an IANA time zone name such as \"America/Los_Angeles\""))
        })?,
        None => session.config.identity.time_zone.clone(),
    };
    let company = args.company.trim();
    let role = args.role.trim();
    if company.is_empty() || company.contains(['\r', '\n']) || role.contains(['\r', '\n']) {
        return Err(usage("--company and --role must be one line, and --company must not be empty"));
    }
    let start = parse_instant("--start", &args.start, &zone)?;
    let duration: PolicyDuration = args.duration.parse().map_err(|message| usage(format!("--duration {message}")))?;
    if duration.days != 0 || duration.minutes <= 0 || duration.minutes > 12 * 60 {
        return Err(usage(format!("--duration {:?} must be between 1 minute and 12 hours", args.duration)));
    }
    let end = start
        .checked_add(jiff::SignedDuration::from_mins(duration.minutes))
        .map_err(|_| usage("--start is too far in the future"))?;
    let interviewers = args
        .interviewers
        .iter()
        .map(|text| parse_contact("--interviewer", text))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let slot = Slot { start, end, zone: Some(zone), interviewers, location: args.location.clone(), calendar_uid: None };
    let (planner, store) = session.parts();
    let tx = store.transaction()?;
    let existing = store::find_application_by_employer(&tx, None, Some(company), Some(role))?
        .into_iter()
        .find(|app| app.role.eq_ignore_ascii_case(role) && !app.state.is_closed());
    let command = Cause::Command(format!("debrief add --company {company:?} --role {role:?}"));
    let id = match existing {
        Some(app) => app.id,
        None => crate::planner::new_application(&tx, company, role, None, "application added by hand", &command, now)?,
    };
    planner.apply_event(&tx, id, &Event::InterviewConfirmed(slot), &command, None, now, now)?;
    planner.plan_application(&tx, id, now)?;
    tx.commit()?;
    println!(
        "Application {id}: {company}, {role}: interview on {} recorded. After it ends, `debrief sync` drafts the thank-you notes.",
        local(start, &session.config.identity.time_zone)
    );
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct NoteArgs {
    /// The application's id (see `debrief applications`).
    pub id: i64,
    /// A note to keep: what was asked, what to improve.
    pub text: Option<String>,
    /// The topic discussed, which the thank-you notes mention ("your migration to Kafka").
    #[arg(long)]
    pub topic: Option<String>,
    /// You are no longer interested in this company: notes stop asking to be kept in mind.
    #[arg(long, conflicts_with = "interested")]
    pub not_interested: bool,
    /// You are interested in this company (the default).
    #[arg(long)]
    pub interested: bool,
}

pub fn note(config: Option<&Path>, args: &NoteArgs, now: Timestamp) -> anyhow::Result<()> {
    if args.text.is_none() && args.topic.is_none() && !args.not_interested && !args.interested {
        return Err(usage("give a note TEXT, --topic TEXT, --interested or --not-interested"));
    }
    let mut session = Session::open(config)?;
    let (planner, store) = session.parts();
    let tx = store.transaction()?;
    let id = ApplicationId(args.id);
    store::get_application(&tx, id)?.ok_or_else(|| not_found("application", args.id))?;
    let cause = Cause::Command(format!("debrief note {}", args.id));
    let mut rerender = false;
    if let Some(text) = &args.text {
        store::insert_note(&tx, id, text.trim(), now)?;
    }
    if let Some(topic) = &args.topic {
        let topic = topic.trim().trim_end_matches('.');
        if topic.is_empty() || topic.contains(['\r', '\n']) {
            return Err(usage("--topic must be one line of text"));
        }
        store::set_topic(&tx, id, topic, now)?;
        store::insert_history(&tx, id, now, None, None, &format!("topic set: {topic}"), &cause)?;
        rerender = true;
    }
    if args.not_interested || args.interested {
        store::set_interested(&tx, id, args.interested, now)?;
        let event = if args.interested { "marked as still interested" } else { "marked as no longer interested" };
        store::insert_history(&tx, id, now, None, None, event, &cause)?;
        rerender = true;
    }
    let rewritten = if rerender { planner.rerender_pending(&tx, id, None, now)? } else { 0 };
    tx.commit()?;
    print!("Saved.");
    if rewritten > 0 {
        print!(" {rewritten} pending draft(s) were rewritten; see `debrief queue`.");
    }
    println!();
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct PersonArgs {
    /// The person's email address.
    pub address: String,
    /// How to address them: "Ms. Jones", "Bob", "Dr. Okafor".
    #[arg(long)]
    pub address_as: String,
}

pub fn person(config: Option<&Path>, args: &PersonArgs, now: Timestamp) -> anyhow::Result<()> {
    let form = args.address_as.trim();
    if form.is_empty() || form.contains(['\r', '\n']) {
        return Err(usage("--address-as must be one line, e.g. \"Ms. Jones\" or \"Bob\""));
    }
    let mut session = Session::open(config)?;
    let (planner, store) = session.parts();
    let tx = store.transaction()?;
    let person = store::find_person_by_email(&tx, args.address.trim())?.ok_or_else(|| {
        usage(format!("nobody with the address {} is known; see `debrief applications`", args.address.trim()))
    })?;
    store::set_address_as(&tx, person.id, form)?;
    let mut rewritten = 0;
    let mut applications: Vec<ApplicationId> = store::queue(&tx)?
        .into_iter()
        .filter(|draft| draft.person_id == Some(person.id) && draft.status == DraftStatus::Pending)
        .map(|draft| draft.application_id)
        .collect();
    applications.dedup();
    for id in applications {
        rewritten += planner.rerender_pending(&tx, id, Some(person.id), now)?;
    }
    tx.commit()?;
    println!("{} will be addressed as {form:?}; {rewritten} pending draft(s) were rewritten.", args.address.trim());
    Ok(())
}

#[derive(Serialize)]
struct PersonJson {
    name: Option<String>,
    email: Option<String>,
}

#[derive(Serialize)]
struct InterviewJson {
    start: String,
    end: String,
    interviewers: Vec<PersonJson>,
}

#[derive(Serialize)]
struct NextAction {
    kind: String,
    at: String,
}

#[derive(Serialize)]
struct ApplicationJson {
    id: i64,
    company: String,
    role: String,
    state: String,
    interviews: Vec<InterviewJson>,
    next_action: Option<NextAction>,
}

/// What happens next for an application, and when. The page's pipeline shows the same.
pub fn next_action(
    conn: &rusqlite::Connection,
    config: &crate::config::Config,
    app: &ApplicationRow,
    now: Timestamp,
) -> anyhow::Result<Option<(String, Timestamp)>> {
    let drafts = store::drafts_of(conn, app.id)?;
    if let Some(draft) = drafts
        .iter()
        .filter(|draft| {
            matches!(
                draft.status,
                DraftStatus::Pending | DraftStatus::Approved | DraftStatus::Failed | DraftStatus::Unknown
            )
        })
        .min_by_key(|draft| draft.send_at)
    {
        return Ok(Some((draft.kind.to_string(), draft.send_at)));
    }
    if app.state.is_closed() {
        return Ok(None);
    }
    let rounds = store::rounds_of(conn, app.id)?;
    if let Some(round) =
        rounds.iter().filter(|round| round.status == RoundStatus::Scheduled).min_by_key(|round| round.start)
    {
        let kind = if round.start > now { "interview" } else { "thank_you" };
        let at = if round.start > now { round.start } else { round.end };
        return Ok(Some((kind.to_owned(), at)));
    }
    if let Some(not_before) = app.cadence.not_before.filter(|at| *at > now)
        && !app.cadence.paused
    {
        // The first day it is allowed, moved into the send window of the recipient's zone
        // (the latest interview's, else the user's), as the planner will.
        let zone = rounds
            .iter()
            .rev()
            .find_map(|round| round.time_zone.as_deref().and_then(|name| jiff::tz::TimeZone::get(name).ok()))
            .unwrap_or_else(|| config.identity.time_zone.clone());
        let policy = &config.policy;
        let at = crate::domain::window::next_send_time(not_before, &zone, policy.send_window, policy.send_days);
        return Ok(Some(("follow_up".to_owned(), at)));
    }
    Ok(None)
}

pub fn applications(config: Option<&Path>, json: bool, now: Timestamp) -> anyhow::Result<()> {
    let session = Session::open(config)?;
    let conn = session.store.conn();
    let mut entries = Vec::new();
    for app in store::list_applications(conn)? {
        let interviews = store::rounds_of(conn, app.id)?
            .into_iter()
            .filter(|round| round.status != RoundStatus::Cancelled)
            .map(|round| InterviewJson {
                start: store::ts_to_sql(round.start),
                end: store::ts_to_sql(round.end),
                interviewers: round
                    .interviewers
                    .into_iter()
                    .map(|p| PersonJson { name: p.name, email: p.email })
                    .collect(),
            })
            .collect();
        let next = next_action(conn, &session.config, &app, now)?;
        entries.push((app, interviews, next));
    }
    if json {
        let out: Vec<ApplicationJson> = entries
            .into_iter()
            .map(|(app, interviews, next)| ApplicationJson {
                id: app.id.0,
                company: app.company,
                role: app.role,
                state: app.state.to_string(),
                interviews,
                next_action: next.map(|(kind, at)| NextAction { kind, at: store::ts_to_sql(at) }),
            })
            .collect();
        return print_json(&out);
    }
    if entries.is_empty() {
        println!("No applications yet. Record an interview with `debrief add`, or let `debrief sync` read your inbox.");
        return Ok(());
    }
    let zone = &session.config.identity.time_zone;
    println!("{:>4}  {:<24} {:<30} {:<13} NEXT", "ID", "COMPANY", "ROLE", "STATE");
    for (app, _, next) in entries {
        let next = next.map(|(kind, at)| format!("{kind} {}", local(at, zone))).unwrap_or_else(|| "-".to_owned());
        println!("{:>4}  {:<24} {:<30} {:<13} {next}", app.id, app.company, app.role, app.state);
    }
    Ok(())
}

#[derive(Serialize)]
struct HistoryJson {
    at: String,
    from_state: Option<String>,
    to_state: Option<String>,
    event: String,
    cause: String,
}

/// Why a transition happened, in words: the message, the command, or the clock. The
/// page's application view shows the same.
pub fn cause_text(conn: &rusqlite::Connection, entry: &store::HistoryRow) -> anyhow::Result<String> {
    Ok(match (entry.cause_message, &entry.cause_command) {
        (Some(message), _) => match store::get_message(conn, message)? {
            Some(message) => format!(
                "message from {} ({}): {}",
                message.from_email.unwrap_or_default(),
                message.kind.unwrap_or_default(),
                message.subject.unwrap_or_default()
            ),
            None => format!("message {message}"),
        },
        (None, Some(command)) => command.clone(),
        (None, None) => "time passed".to_owned(),
    })
}

pub fn history(config: Option<&Path>, json: bool, id: i64) -> anyhow::Result<()> {
    let session = Session::open(config)?;
    let conn = session.store.conn();
    let app = store::get_application(conn, ApplicationId(id))?.ok_or_else(|| not_found("application", id))?;
    let mut rows = Vec::new();
    for entry in store::history_of(conn, app.id)? {
        let cause = cause_text(conn, &entry)?;
        rows.push(HistoryJson {
            at: store::ts_to_sql(entry.at),
            from_state: entry.from_state,
            to_state: entry.to_state,
            event: entry.event,
            cause,
        });
    }
    if json {
        return print_json(&rows);
    }
    println!("Application {}: {}, {} — now {}", app.id, app.company, app.role, app.state);
    let zone = &session.config.identity.time_zone;
    for row in rows {
        let at: Timestamp = row.at.parse()?;
        let transition = match (&row.from_state, &row.to_state) {
            (Some(from), Some(to)) => format!("{from} → {to}: "),
            (None, Some(to)) => format!("→ {to}: "),
            _ => String::new(),
        };
        println!("{}  {transition}{}  [{}]", local(at, zone), row.event, row.cause);
    }
    for (at, text) in store::notes_of(conn, app.id)? {
        println!("{}  note: {text}", local(at, zone));
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct MarkArgs {
    /// The application's id.
    pub id: i64,
    /// The state: applied, invited, scheduled, interviewed, following_up, waiting, offer, rejected, withdrawn, ghosted.
    pub state: String,
    /// With `withdrawn`: also draft a short courteous note telling the employer.
    #[arg(long)]
    pub notify: bool,
}

pub fn mark(config: Option<&Path>, args: &MarkArgs, now: Timestamp) -> anyhow::Result<()> {
    let to: ApplicationState = args.state.parse().map_err(|message| usage(format!("STATE {message}")))?;
    if args.notify && to != ApplicationState::Withdrawn {
        return Err(usage("--notify goes with `withdrawn` only"));
    }
    let mut session = Session::open(config)?;
    let (planner, store) = session.parts();
    let tx = store.transaction()?;
    let report = planner.mark(&tx, ApplicationId(args.id), to, args.notify, now)?;
    tx.commit()?;
    print!("Application {} is now {to}.", args.id);
    if report.drafts_cancelled > 0 {
        print!(" {} draft(s) cancelled.", report.drafts_cancelled);
    }
    if report.drafts_created > 0 {
        print!(" A withdrawal note was drafted: see `debrief queue`.");
    }
    println!();
    Ok(())
}

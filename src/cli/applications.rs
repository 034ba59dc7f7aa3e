//! The pipeline: `add`, `note`, `person`, `applications`, `history`, `mark`.

use crate::cli::common::{Session, local, parse_contact, parse_instant, print_json};
use crate::cli::usage;
use crate::domain::policy::PolicyDuration;
use crate::domain::process::{Cadenced, Event, Slot};
use crate::domain::{ApplicationId, ApplicationState, DraftKind, DraftStatus, RoundStatus};
use crate::planner::not_found;
use crate::store::{self, ApplicationRow, Cause, PointKind};
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
    /// It is the final round: each of your `[[references]]` gets a heads-up draft (once
    /// per application), since the employer may call them soon.
    #[arg(long)]
    pub final_round: bool,
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
    let briefed = if args.final_round {
        planner.brief_references(&tx, id, crate::domain::process::ReferenceCue::FinalRound, &command, now)?
    } else {
        crate::planner::PlanReport::default()
    };
    tx.commit()?;
    if args.final_round && session.config.references.is_empty() {
        println!("No [[references]] in the config: nobody to tell about this final round.");
    } else if briefed.drafts_created > 0 {
        println!("{} heads-up draft(s) to your references wait in `debrief queue`.", briefed.drafts_created);
    }
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
    /// It belongs to one round (--round, else the latest that has begun) and, with
    /// --person, to one interviewer in it; follow-ups mention it only to those who were there.
    #[arg(long)]
    pub topic: Option<String>,
    /// Something of yours to restate in the thank-you notes: a qualification for the role
    /// with an example ("I cut the nightly build from 40 to 12 minutes by caching artefacts").
    #[arg(long)]
    pub strength: Option<String>,
    /// Your impressions right after the interview, kept with the round for you alone: what
    /// went well, what to improve, how you feel about the fit.
    #[arg(long)]
    pub impressions: Option<String>,
    /// They said when they would decide ("by Friday"): no follow-up before this day
    /// (YYYY-MM-DD, the day after their date), as if their email had said so.
    #[arg(long, value_name = "DATE", conflicts_with = "wait_for_word")]
    pub reply_after: Option<String>,
    /// They said to wait to hear from them: follow-ups pause until `debrief mark ID following_up`.
    #[arg(long)]
    pub wait_for_word: bool,
    /// The round the topic or strength belongs to, by number (see `debrief applications`)
    /// [default: the latest round that has begun, else the next one].
    #[arg(long, value_name = "N")]
    pub round: Option<u32>,
    /// The interviewer the topic or strength is for (their address, or their name when they
    /// have none), so each note differs.
    #[arg(long, value_name = "ADDRESS")]
    pub person: Option<String>,
    /// You are no longer interested in this company: notes stop asking to be kept in mind.
    #[arg(long, conflicts_with = "interested")]
    pub not_interested: bool,
    /// You are interested in this company (the default).
    #[arg(long)]
    pub interested: bool,
}

pub fn note(config: Option<&Path>, args: &NoteArgs, now: Timestamp) -> anyhow::Result<()> {
    if (args.round.is_some() || args.person.is_some())
        && args.topic.is_none()
        && args.strength.is_none()
        && args.impressions.is_none()
    {
        return Err(usage("--round and --person say whose --topic or --strength it is: give one of those too"));
    }
    if args.text.is_none()
        && args.topic.is_none()
        && args.strength.is_none()
        && args.impressions.is_none()
        && args.reply_after.is_none()
        && !args.wait_for_word
        && !args.not_interested
        && !args.interested
    {
        return Err(usage(
            "give a note TEXT, --topic, --strength, --impressions, --reply-after, --wait-for-word, --interested or --not-interested",
        ));
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
    for (flag, value, kind) in [
        ("--topic", &args.topic, PointKind::Topic),
        ("--strength", &args.strength, PointKind::Strength),
        ("--impressions", &args.impressions, PointKind::Impressions),
    ] {
        let Some(value) = value else { continue };
        let text = if kind == PointKind::Impressions { value.trim() } else { value.trim().trim_end_matches('.') };
        // Impressions are the user's own notes and may span lines; the others go into mail.
        if text.is_empty() || (kind != PointKind::Impressions && text.contains(['\r', '\n'])) {
            return Err(usage(format!("{flag} must be one line of text")));
        }
        let (round, person) = point_target(&tx, id, args.round, args.person.as_deref(), now)?;
        store::set_talking_point(&tx, round.id, person.as_ref().map(|person| person.id), kind, text, now)?;
        let whose = match &person {
            Some(person) => format!("round {} with {}", round.number, person.email.as_deref().unwrap_or_default()),
            None => format!("round {}", round.number),
        };
        let event = match kind {
            PointKind::Impressions => format!("impressions of {whose} written down"),
            _ => format!("{} for {whose} set: {text}", kind.as_str()),
        };
        store::insert_history(&tx, id, now, None, None, &event, &cause)?;
        rerender = true;
    }
    if args.not_interested || args.interested {
        store::set_interested(&tx, id, args.interested, now)?;
        let event = if args.interested { "marked as still interested" } else { "marked as no longer interested" };
        store::insert_history(&tx, id, now, None, None, event, &cause)?;
        rerender = true;
    }
    // What the interviewer said about following up counts as if their email had said it.
    if args.reply_after.is_some() || args.wait_for_word {
        let reply_after = match args.reply_after.as_deref() {
            Some(text) => Some(text.trim().parse::<jiff::civil::Date>().map_err(|_| {
                usage(format!("--reply-after {text:?} is not a date: write YYYY-MM-DD, the first day to follow up"))
            })?),
            None => None,
        };
        let event = crate::domain::process::Event::TimelineGiven { reply_after };
        let command = match reply_after {
            Some(date) => format!("debrief note {id} --reply-after {date}"),
            None => format!("debrief note {id} --wait-for-word"),
        };
        let cause = Cause::Command(command);
        planner.apply_event(&tx, id, &event, &cause, None, now, now)?;
        // Always one line with this command as its cause, whatever the state did: a
        // follow-up finds the timeline by it (`planner::last_exchange`).
        let said = match reply_after {
            Some(date) => format!("noted from the interview: they will decide before {date}"),
            None => "noted from the interview: wait to hear from them".to_owned(),
        };
        store::insert_history(&tx, id, now, None, None, &said, &cause)?;
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

/// The round (and interviewer) a talking point is for: `--round N`, else the latest round
/// that has begun, else the next one; `--person` must be one of its interviewers.
fn point_target(
    conn: &rusqlite::Connection,
    id: ApplicationId,
    number: Option<u32>,
    person: Option<&str>,
    now: Timestamp,
) -> anyhow::Result<(store::RoundRow, Option<store::PersonRow>)> {
    let rounds: Vec<store::RoundRow> =
        store::rounds_of(conn, id)?.into_iter().filter(|round| round.status != RoundStatus::Cancelled).collect();
    let round = match number {
        Some(number) => rounds.iter().find(|round| round.number == number).cloned().ok_or_else(|| {
            let known: Vec<String> = rounds.iter().map(|round| round.number.to_string()).collect();
            usage(format!(
                "application {id} has no round {number} (its rounds: {}); see `debrief applications`",
                if known.is_empty() { "none".to_owned() } else { known.join(", ") }
            ))
        })?,
        None => {
            let begun = rounds.iter().filter(|round| round.start <= now).max_by_key(|round| round.start);
            let next = || rounds.iter().min_by_key(|round| round.start);
            begun.or_else(next).cloned().ok_or_else(|| {
                usage(format!(
                    "application {id} has no interview yet: a topic or strength belongs to a round (`debrief add` records one)"
                ))
            })?
        }
    };
    let person = match person {
        Some(address) => {
            let address = address.trim();
            // By address, or by name for an interviewer named without one.
            let found = round.interviewers.iter().find(|person| {
                person.email.as_deref().is_some_and(|email| email.eq_ignore_ascii_case(address))
                    || person.name.as_deref().is_some_and(|name| name.trim().eq_ignore_ascii_case(address))
            });
            Some(found.cloned().ok_or_else(|| {
                let known: Vec<&str> = round.interviewers.iter().filter_map(|person| person.email.as_deref()).collect();
                usage(format!(
                    "{address} is not an interviewer of round {} (its interviewers: {})",
                    round.number,
                    if known.is_empty() { "none with an address".to_owned() } else { known.join(", ") }
                ))
            })?)
        }
        None => None,
    };
    Ok((round, person))
}

#[derive(Debug, clap::Args)]
pub struct PersonArgs {
    /// The person: their email address, or their name as `debrief queue` shows it ("Jane Doe").
    pub person: String,
    /// How to address them: "Ms. Jones", "Bob", "Dr. Okafor".
    #[arg(long)]
    pub address_as: Option<String>,
    /// Their email address, for an interviewer named without one: the thank-you notes
    /// waiting for it are addressed to it. debrief never uses a suggested address by itself.
    #[arg(long, value_name = "ADDRESS")]
    pub email: Option<String>,
    /// With --email: only the interviewer of this application (needed when the same name
    /// waits for an address in several).
    #[arg(long, value_name = "ID", requires = "email")]
    pub application: Option<i64>,
    /// With --email: only the interviewer of this round (its number) of the application.
    #[arg(long, value_name = "N", requires = "application")]
    pub round: Option<u32>,
}

pub fn person(config: Option<&Path>, args: &PersonArgs, now: Timestamp) -> anyhow::Result<()> {
    let form = args.address_as.as_deref().map(str::trim);
    if form.is_some_and(|form| form.is_empty() || form.contains(['\r', '\n'])) {
        return Err(usage("--address-as must be one line, e.g. \"Ms. Jones\" or \"Bob\""));
    }
    let email = args.email.as_deref().map(|email| email.trim().trim_start_matches('<').trim_end_matches('>'));
    if let Some(email) = email
        && !crate::config::is_plain_address(email)
    {
        return Err(usage(format!("--email {email:?} is not an email address")));
    }
    if form.is_none() && email.is_none() {
        return Err(usage("say how to address them (--address-as FORM) or give their address (--email ADDRESS)"));
    }
    let mut session = Session::open(config)?;
    let (planner, store) = session.parts();
    let tx = store.transaction()?;
    let who = args.person.trim();
    let mut people: Vec<store::PersonRow> = Vec::new();
    let mut applications: Vec<ApplicationId> = Vec::new();
    if who.contains('@') {
        let person = store::find_person_by_email(&tx, who)?
            .ok_or_else(|| usage(format!("nobody with the address {who} is known; see `debrief applications`")))?;
        if email.is_some_and(|email| !email.eq_ignore_ascii_case(who)) {
            return Err(usage(format!("{who} already has an address; --email is for interviewers named without one")));
        }
        people.push(person);
    } else {
        let mut waiting = store::interviewers_without_address(&tx, who)?;
        if let Some(only) = args.application {
            waiting.retain(|(_, application)| application.0 == only);
        }
        if let (Some(only), Some(number)) = (args.application, args.round) {
            let rounds = store::rounds_of(&tx, ApplicationId(only))?;
            let round = rounds.iter().find(|round| round.number == number).ok_or_else(|| {
                usage(format!("application {only} has no round {number}; see `debrief applications`"))
            })?;
            waiting.retain(|(person, _)| round.interviewers.iter().any(|interviewer| interviewer.id == *person));
        }
        if email.is_none() || waiting.is_empty() {
            let scope = match (args.application, args.round) {
                (Some(id), Some(number)) => format!(" in round {number} of application {id}"),
                (Some(id), None) => format!(" in application {id}"),
                _ => String::new(),
            };
            return Err(usage(format!(
                "no interviewer named {who:?} is waiting for an address{scope}; give a known person's email address instead (see `debrief queue`)"
            )));
        }
        // The same name at two employers may be two people: never give one address to both.
        let mut ids: Vec<i64> = waiting.iter().map(|(_, application)| application.0).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() > 1 {
            let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
            return Err(usage(format!(
                "{who:?} waits for an address in applications {}: add --application ID (and --round N) to say which",
                list.join(", ")
            )));
        }
        for (person, application) in waiting {
            people.extend(store::get_person(&tx, person)?);
            applications.push(application);
        }
    }
    let mut addressed = 0;
    let mut target = people[0].id;
    if let Some(email) = email
        && people[0].email.is_none()
    {
        for person in &people {
            target = store::give_address(&tx, person.id, email)?;
        }
        for draft in store::queue(&tx)? {
            if draft.person_id == Some(target) && draft.to.is_empty() && draft.status == DraftStatus::Pending {
                if store::address_waiting_draft(&tx, draft.id, email, now)? {
                    addressed += 1;
                }
                applications.push(draft.application_id);
            }
        }
        let cause = Cause::Command(format!("debrief person {who:?} --email {email}"));
        for id in &applications {
            let event = format!("{who}'s address set to {email} by you");
            store::insert_history(&tx, *id, now, None, None, &event, &cause)?;
        }
        // The note goes to them directly now: asking the recruiter to pass it on is moot.
        let superseded = planner.address_given(&tx, target, &cause, now)?;
        if !superseded.is_empty() {
            let ids: Vec<String> = superseded.iter().map(ToString::to_string).collect();
            println!("Request(s) to pass the note on cancelled: {}.", ids.join(", "));
        }
    }
    if let Some(form) = form {
        store::set_address_as(&tx, target, form)?;
    }
    applications.extend(
        store::queue(&tx)?
            .into_iter()
            .filter(|draft| draft.person_id == Some(target) && draft.status == DraftStatus::Pending)
            .map(|draft| draft.application_id),
    );
    applications.sort_by_key(|id| id.0);
    applications.dedup();
    let mut rewritten = 0;
    for id in applications {
        rewritten += planner.rerender_pending(&tx, id, Some(target), now)?;
    }
    tx.commit()?;
    if let Some(email) = email {
        println!("{who} is {email}; {addressed} note(s) waiting for the address are addressed to it.");
    }
    if let Some(form) = form {
        println!("{who} will be addressed as {form:?}.");
    }
    println!("{rewritten} pending draft(s) were rewritten; see `debrief queue`.");
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

/// One thing the user wrote down about a round: `kind` is `topic`, `strength` or
/// `impressions`; `person` the interviewer it is about (their address, else their name),
/// `None` for the whole round. Impressions are for the user alone: never put into mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoundNote {
    pub kind: String,
    pub person: Option<String>,
    pub text: String,
}

/// What the user wrote down about each round of an application, by round id: topics first,
/// then strengths, then impressions, the whole round's before each interviewer's. For
/// `history` (text and JSON) and the page's application view.
pub fn round_notes(
    conn: &rusqlite::Connection,
    id: ApplicationId,
) -> anyhow::Result<std::collections::BTreeMap<crate::domain::RoundId, Vec<RoundNote>>> {
    let rank = |kind: PointKind| match kind {
        PointKind::Topic => 0,
        PointKind::Strength => 1,
        PointKind::Impressions => 2,
    };
    let mut points = store::talking_points_of(conn, id)?;
    points.sort_by_key(|point| (point.round_id, rank(point.kind), point.person_id));
    let mut notes: std::collections::BTreeMap<_, Vec<RoundNote>> = std::collections::BTreeMap::new();
    for point in points {
        let person = match point.person_id {
            Some(person) => store::get_person(conn, person)?.and_then(|person| person.email.or(person.name)),
            None => None,
        };
        notes.entry(point.round_id).or_default().push(RoundNote {
            kind: point.kind.as_str().to_owned(),
            person,
            text: point.text,
        });
    }
    Ok(notes)
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

/// What comes next for an application: the `next_action` of `applications --json` (a
/// kind and when, `None` when nothing is timed) and the NEXT column in words, with the
/// command that acts on it. There is one at every stage (issue 12): never a bare `-`.
pub struct NextStep {
    pub action: Option<(String, Timestamp)>,
    pub text: String,
}

/// What happens next for an application, and when. The page's pipeline shows the same.
pub fn next_action(
    conn: &rusqlite::Connection,
    config: &crate::config::Config,
    app: &ApplicationRow,
    now: Timestamp,
) -> anyhow::Result<Option<(String, Timestamp)>> {
    Ok(next_step(conn, config, app, now)?.action)
}

/// The rule of [`NextStep`]. A draft that waits comes first: one that needs the user now
/// (failed, or it may have gone out), else the one that goes first, at the instant it
/// actually goes (`cli::drafts::send_time`: an overdue one at the next pass or the opening
/// of its send window, never its past planned time). Then an interview to come or just
/// held, the next follow-up of the cadence or the day it is closed as ghosted, an answer
/// they promised; else why nothing comes, in words.
pub fn next_step(
    conn: &rusqlite::Connection,
    config: &crate::config::Config,
    app: &ApplicationRow,
    now: Timestamp,
) -> anyhow::Result<NextStep> {
    let zone = &config.identity.time_zone;
    let timed = |kind: &str, at: Timestamp, words: String| NextStep {
        action: Some((kind.to_owned(), at)),
        text: format!("{kind} {}{words}", local(at, zone)),
    };
    let mut waiting = Vec::new();
    for draft in store::drafts_of(conn, app.id)? {
        let at = match draft.status {
            DraftStatus::Failed | DraftStatus::Unknown => now,
            DraftStatus::Pending | DraftStatus::Approved => crate::cli::drafts::send_time(conn, config, &draft, now)?,
            _ => continue,
        };
        waiting.push((at, draft));
    }
    waiting.sort_by_key(|(at, draft)| (*at, draft.id.0));
    if let Some((at, draft)) = waiting.into_iter().next() {
        let (kind, id) = (draft.kind.to_string(), draft.id);
        return Ok(match draft.status {
            DraftStatus::Failed => NextStep {
                action: Some((kind.clone(), at)),
                text: format!(
                    "{kind} draft {id} failed: `debrief show {id}`, then `debrief approve {id}` to retry or reject it"
                ),
            },
            DraftStatus::Unknown => NextStep {
                action: Some((kind.clone(), at)),
                text: format!(
                    "{kind} draft {id} may have gone out: `debrief resolve {id} sent` if it did, `debrief resolve {id} retry` if not"
                ),
            },
            DraftStatus::Approved if draft.hold_until.is_some_and(|until| until > now) => {
                timed(&kind, at, format!(" (draft {id}, approved; it can be undone in the page until then)"))
            }
            DraftStatus::Approved if config.smtp.is_none() => {
                timed(&kind, at, format!(" (draft {id}, approved; nothing is sent until [smtp] is configured)"))
            }
            DraftStatus::Approved => timed(&kind, at, format!(" (draft {id}, approved)")),
            _ if draft.to.is_empty() => {
                timed(&kind, at, format!(" (draft {id} waits for an address: `debrief show {id}`)"))
            }
            _ => timed(&kind, at, format!(" if approved (draft {id}: `debrief show {id}`, `debrief approve {id}`)")),
        });
    }
    if app.state.is_closed() {
        let text = match app.state {
            ApplicationState::Offer => {
                "your answer to the offer; nothing more is sent (`debrief mark ID STATE` records the outcome)"
                    .replace("ID", &app.id.to_string())
            }
            ApplicationState::Ghosted => {
                "none: closed without an answer after the follow-ups; an answer from them reopens it".to_owned()
            }
            state => format!("none: {state}; nothing more is sent"),
        };
        return Ok(NextStep { action: None, text });
    }
    let rounds = store::rounds_of(conn, app.id)?;
    if let Some(round) =
        rounds.iter().filter(|round| round.status == RoundStatus::Scheduled).min_by_key(|round| round.start)
    {
        return Ok(if round.start > now {
            timed("interview", round.start, String::new())
        } else {
            timed("thank_you", round.end, " (drafted when the interview ends)".to_owned())
        });
    }
    // Between follow-ups: the next one of the cadence (or the day it is ghosted), as the
    // planner will make it, unless it leads nowhere (`why_no_follow_up`).
    let templates = crate::templates::Templates::load(None)?;
    let planner = crate::planner::Planner { config, templates: &templates };
    if let Some(why) = planner.why_no_follow_up(conn, app.id)? {
        return Ok(NextStep { action: None, text: why });
    }
    let Some((_, view)) = store::load_view(conn, app.id)? else {
        return Err(crate::planner::not_found("application", app.id.0));
    };
    let context = crate::domain::process::Context { policy: &config.policy, user_zone: zone };
    match crate::domain::process::next_in_cadence(&view, &context) {
        Some(Cadenced::FollowUp { number, send_at }) => {
            let policy = &config.policy;
            let recipients = view.recipient_zone(&context);
            let at =
                crate::domain::window::actual_send_time(send_at, now, recipients, policy.send_window, policy.send_days);
            let words =
                format!(" (follow-up {number} of {}, drafted for your approval a day before)", policy.follow_ups);
            return Ok(timed("follow_up", at, words));
        }
        Some(Cadenced::Ghosted { at, done }) => {
            let words =
                format!(" (no answer after {done} follow-up(s); an answer from them before then keeps it open)");
            return Ok(timed("ghosted", at.max(now), words));
        }
        None => {}
    }
    // Before any interview no follow-up is planned; when they said when they would answer,
    // that is what comes next.
    if let Some(at) = app.cadence.not_before.filter(|at| *at > now && !app.cadence.paused)
        && matches!(app.state, ApplicationState::Applied | ApplicationState::Invited)
    {
        return Ok(timed("answer_expected", at, " (they said they would answer by then)".to_owned()));
    }
    let text = match app.state {
        ApplicationState::Applied | ApplicationState::Invited => {
            "waiting for an interview: debrief reads it from your inbox, or `debrief add`".to_owned()
        }
        _ if app.cadence.paused => format!(
            "follow-ups paused: they asked you to wait for their word; `debrief mark {} following_up` to resume",
            app.id
        ),
        ApplicationState::Scheduled => {
            "waiting for a new interview time: debrief reads it from your inbox, or `debrief add`".to_owned()
        }
        _ => format!("nothing planned now: `debrief history {}` says why", app.id),
    };
    Ok(NextStep { action: None, text })
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
        let next = next_step(conn, &session.config, &app, now)?;
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
                next_action: next.action.map(|(kind, at)| NextAction { kind, at: store::ts_to_sql(at) }),
            })
            .collect();
        return print_json(&out);
    }
    if entries.is_empty() {
        println!("No applications yet. Record an interview with `debrief add`, or let `debrief sync` read your inbox.");
        return Ok(());
    }
    println!("{:>4}  {:<24} {:<30} {:<13} NEXT", "ID", "COMPANY", "ROLE", "STATE");
    for (app, _, next) in entries {
        println!("{:>4}  {:<24} {:<30} {:<13} {}", app.id, app.company, app.role, app.state, next.text);
    }
    let prompts = crate::planner::impressions_wanted(conn, now)?;
    if !prompts.is_empty() {
        println!("\nInterviews to write down:");
        for prompt in prompts {
            println!("  {prompt}");
        }
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
    /// Only on the entries that end the list: what the user wrote down about a round
    /// (topic, strength, impressions), as `history` prints under "your notes".
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<RoundNoteJson>,
}

#[derive(Serialize)]
struct RoundNoteJson {
    round: u32,
    #[serde(flatten)]
    note: RoundNote,
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
            note: None,
        });
    }
    if json {
        let mut notes = round_notes(conn, app.id)?;
        for round in store::rounds_of(conn, app.id)? {
            for note in notes.remove(&round.id).unwrap_or_default() {
                rows.push(HistoryJson {
                    at: store::ts_to_sql(round.start),
                    from_state: None,
                    to_state: None,
                    event: format!("your {} of round {}", note.kind, round.number),
                    cause: format!("debrief note {}", app.id),
                    note: Some(RoundNoteJson { round: round.number, note }),
                });
            }
        }
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
    // What the user wrote down about each round, impressions included: for them alone,
    // shown here where they review the application, never put into mail.
    let mut notes = round_notes(conn, app.id)?;
    for round in store::rounds_of(conn, app.id)? {
        let Some(notes) = notes.remove(&round.id) else { continue };
        let with: Vec<String> = round
            .interviewers
            .iter()
            .filter_map(|person| person.name.clone().filter(|name| !name.trim().is_empty()).or(person.email.clone()))
            .collect();
        let with = if with.is_empty() { String::new() } else { format!(" with {}", with.join(", ")) };
        println!("\nRound {}, {}{with} ({}), your notes:", round.number, local(round.start, zone), round.status);
        for note in notes {
            let whose = note.person.map(|person| format!(" ({person})")).unwrap_or_default();
            let mut lines = note.text.lines();
            println!("  {}{whose}: {}", note.kind, lines.next().unwrap_or_default());
            for line in lines {
                println!("    {line}");
            }
        }
    }
    Ok(())
}

/// A draft's kind as `mark` says what it drafted.
fn drafted_words(kind: DraftKind) -> &'static str {
    match kind {
        DraftKind::ThankYou => "a thank-you note",
        DraftKind::FollowUp => "a follow-up",
        DraftKind::RejectionReply => "a reply to the rejection",
        DraftKind::OfferReply => "a reply to the offer",
        DraftKind::Withdrawal => "a withdrawal note",
        DraftKind::ReferenceNotice => "a heads-up to your reference",
        DraftKind::PassOn => "a request to pass a note on",
    }
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
    let id = ApplicationId(args.id);
    let before: Vec<crate::domain::DraftId> = store::drafts_of(&tx, id)?.iter().map(|draft| draft.id).collect();
    let report = planner.mark(&tx, id, to, args.notify, now)?;
    let drafted: Vec<store::DraftRow> =
        store::drafts_of(&tx, id)?.into_iter().filter(|draft| !before.contains(&draft.id)).collect();
    tx.commit()?;
    print!("Application {} is now {to}.", args.id);
    if report.drafts_cancelled > 0 {
        print!(" {} draft(s) cancelled.", report.drafts_cancelled);
    }
    if !drafted.is_empty() {
        let what: Vec<String> = drafted
            .iter()
            .map(|draft| format!("{} (draft {}, to {})", drafted_words(draft.kind), draft.id, draft.to.join(", ")))
            .collect();
        print!(" Drafted: {}; see `debrief queue`.", what.join("; "));
    }
    println!();
    Ok(())
}

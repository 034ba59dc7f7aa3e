//! `debrief inbox`: the messages debrief did not act on by itself.
//!
//! Messages classified below `policy.confidence_threshold` wait here for the user to
//! `confirm` (applied exactly as a confident message would be, by `ingest::confirm`)
//! or `dismiss`; messages that could not be read are listed too, so nothing is lost
//! silently.

use crate::classify::MessageKind;
use crate::cli::common::{Session, local, parse_contact, parse_instant, print_json};
use crate::cli::usage;
use crate::domain::policy::PolicyDuration;
use crate::domain::{ApplicationId, MessageId};
use crate::ingest::{InterviewPatch, confirm_with};
use crate::planner::not_found;
use crate::store::{self, MessageRow};
use jiff::Timestamp;
use serde::Serialize;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct InboxArgs {
    #[command(subcommand)]
    pub action: Option<InboxAction>,
}

#[derive(Debug, clap::Subcommand)]
pub enum InboxAction {
    /// Apply a message as if the classifier had been sure of it.
    Confirm {
        /// The message's id (see `debrief inbox`).
        id: i64,
        /// What it is, when the guess was wrong: interview_confirmation, rejection, timeline, …
        #[arg(long = "as", value_name = "KIND")]
        kind: Option<String>,
        /// The application it belongs to, when the guess was wrong or missing.
        #[arg(long, value_name = "ID")]
        application: Option<i64>,
        /// The interview's start, when the message lacks or misreads it (a reschedule):
        /// 2026-12-03T10:00:00-08:00, or "2026-12-03 10:00" in the interview's zone (else yours).
        #[arg(long)]
        start: Option<String>,
        /// How long the interview lasts: "45m", "1h" [default: as the message says, else 1h].
        #[arg(long)]
        duration: Option<String>,
        /// An interviewer, in place of those the message names: "Jane Doe <jane@acme.example>"; repeat for each.
        #[arg(long = "interviewer", value_name = "NAME <ADDRESS>")]
        interviewers: Vec<String>,
    },
    /// Set a message aside: it changes nothing and leaves the list.
    Dismiss {
        /// The message's id.
        id: i64,
    },
}

#[derive(Serialize)]
struct InboxEntry {
    id: i64,
    status: String,
    date: Option<String>,
    from: Option<String>,
    subject: Option<String>,
    kind: Option<String>,
    confidence: Option<f64>,
    application_id: Option<i64>,
    error: Option<String>,
}

pub fn inbox(config: Option<&Path>, json: bool, args: &InboxArgs, now: Timestamp) -> anyhow::Result<()> {
    match &args.action {
        None => list(config, json),
        Some(InboxAction::Confirm { id, kind, application, start, duration, interviewers }) => {
            let kind = kind.as_deref().map(|text| parse_kind("--as", text)).transpose()?;
            let mut session = Session::open(config)?;
            let patch = interview_patch(&session, MessageId(*id), start.as_deref(), duration.as_deref(), interviewers)?;
            let zone = session.config.identity.time_zone.clone();
            let (planner, store) = session.parts();
            let tx = store.transaction()?;
            let ingested =
                confirm_with(&tx, &planner, MessageId(*id), kind, application.map(ApplicationId), &patch, now)?;
            if let Some(application) = ingested.application
                && (kind.is_some() || !patch.is_empty())
            {
                // The correction itself is part of why the application is where it is.
                let mut what = Vec::new();
                if let Some(kind) = kind {
                    what.push(format!("as {kind}"));
                }
                if let Some(start) = patch.start {
                    what.push(format!("starting {}", crate::cli::common::local(start, &zone)));
                }
                if let Some(minutes) = patch.minutes {
                    what.push(format!("lasting {minutes} min"));
                }
                if !patch.interviewers.is_empty() {
                    what.push(format!("with {} interviewer(s)", patch.interviewers.len()));
                }
                let event = format!("message {id} confirmed by you {}", what.join(", "));
                let cause = store::Cause::Command(format!("debrief inbox confirm {id}"));
                store::insert_history(&tx, application, now, None, None, &event, &cause)?;
            }
            tx.commit()?;
            println!("{}", ingested.summary);
            Ok(())
        }
        Some(InboxAction::Dismiss { id }) => {
            let mut session = Session::open(config)?;
            let tx = session.store.transaction()?;
            dismiss_in(&tx, *id)?;
            tx.commit()?;
            println!("Message {id} dismissed: it changes nothing.");
            Ok(())
        }
    }
}

/// Reads `--start`, `--duration` and `--interviewer` of `inbox confirm`; a local start is
/// read in the zone the message gives the interview, else the user's.
fn interview_patch(
    session: &Session,
    message: MessageId,
    start: Option<&str>,
    duration: Option<&str>,
    interviewers: &[String],
) -> anyhow::Result<InterviewPatch> {
    let row = store::get_message(session.store.conn(), message)?;
    let stated_zone = row
        .and_then(|row| row.classification)
        .and_then(|text| serde_json::from_str::<crate::classify::Classification>(&text).ok())
        .and_then(|classification| classification.interview)
        .and_then(|interview| interview.time_zone);
    let zone = stated_zone
        .as_deref()
        .and_then(|name| jiff::tz::TimeZone::get(name).ok())
        .unwrap_or_else(|| session.config.identity.time_zone.clone());
    let start = start.map(|text| parse_instant("--start", text, &zone)).transpose()?;
    let minutes = match duration {
        Some(text) => {
            let parsed: PolicyDuration = text.parse().map_err(|message| usage(format!("--duration {message}")))?;
            if parsed.days != 0 || parsed.minutes <= 0 || parsed.minutes > 12 * 60 {
                return Err(usage(format!("--duration {text:?} must be between 1 minute and 12 hours")));
            }
            Some(parsed.minutes)
        }
        None => None,
    };
    let interviewers = interviewers
        .iter()
        .map(|text| {
            parse_contact("--interviewer", text)
                .map(|contact| crate::classify::Participant { name: contact.name, email: contact.email })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let time_zone = stated_zone.or_else(|| session.config.identity.time_zone.iana_name().map(str::to_owned));
    Ok(InterviewPatch { start, minutes, interviewers, time_zone })
}

/// The rule of `inbox dismiss`, shared with the page, in the caller's transaction: only
/// a message held for review or unreadable can be set aside.
pub fn dismiss_in(tx: &rusqlite::Connection, id: i64) -> anyhow::Result<()> {
    let message = store::get_message(tx, MessageId(id))?.ok_or_else(|| not_found("message", id))?;
    if !matches!(message.status.as_str(), "needs_review" | "error") {
        return Err(usage(format!("message {id} is {}, not in the inbox: see `debrief inbox`", message.status)));
    }
    store::set_message_outcome(tx, MessageId(id), None, "dismissed", Some("dismissed by you"))?;
    Ok(())
}

/// `--as KIND` read as a kind, or a usage error listing the kinds.
pub fn parse_kind(flag: &str, text: &str) -> anyhow::Result<MessageKind> {
    text.parse::<MessageKind>().map_err(|_| {
        let kinds: Vec<&str> = MessageKind::ALL.iter().map(|kind| kind.as_str()).collect();
        usage(format!("{flag} {text:?} is not a kind: use one of {}", kinds.join(", ")))
    })
}

fn list(config: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let session = Session::open(config)?;
    let conn = session.store.conn();
    let mut messages: Vec<MessageRow> = store::messages_with_status(conn, "needs_review")?;
    messages.extend(store::messages_with_status(conn, "error")?);
    if json {
        let entries: Vec<InboxEntry> = messages
            .into_iter()
            .map(|message| InboxEntry {
                id: message.id.map_or(0, |id| id.0),
                status: message.status,
                date: message.date.map(store::ts_to_sql),
                from: message.from_email,
                subject: message.subject,
                kind: message.kind,
                confidence: message.confidence.map(|value| (value * 100.0).round() / 100.0),
                application_id: message.application_id.map(|id| id.0),
                error: message.error,
            })
            .collect();
        return print_json(&entries);
    }
    if messages.is_empty() {
        println!("The inbox is empty: every message was either acted on or set aside.");
        return Ok(());
    }
    let zone = &session.config.identity.time_zone;
    println!("{:>4}  {:<24} {:<30} {:<22} {:>4} {:>4}  SUBJECT", "ID", "DATE", "FROM", "GUESS", "CONF", "APP");
    for message in &messages {
        let id = message.id.map_or(0, |id| id.0);
        let date = message.date.or(message.received_at).map(|at| local(at, zone)).unwrap_or_default();
        if message.status == "error" {
            println!("{id:>4}  {date:<24} could not be read: {}", message.error.as_deref().unwrap_or("no details"));
            continue;
        }
        let application = message.application_id.map_or_else(|| "-".to_owned(), |id| id.to_string());
        println!(
            "{id:>4}  {date:<24} {:<30} {:<22} {:>4.2} {application:>4}  {}",
            message.from_email.as_deref().unwrap_or("-"),
            message.kind.as_deref().unwrap_or("-"),
            message.confidence.unwrap_or(0.0),
            message.subject.as_deref().unwrap_or("")
        );
    }
    println!(
        "\nApply one with `debrief inbox confirm ID` (add --as KIND or --application ID when the guess is wrong), \
         or set it aside with `debrief inbox dismiss ID`."
    );
    Ok(())
}

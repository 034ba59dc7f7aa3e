//! `debrief round ID N move|cancel|renumber`: repairing a round the inbox got wrong (a
//! missed reschedule, a cancellation that never came, a second confirmation taken for a
//! new round). Each correction goes through the core like an employer's message would,
//! and is recorded in the history with the command.

use crate::cli::common::{Session, local, parse_instant};
use crate::cli::usage;
use crate::domain::ApplicationId;
use crate::domain::policy::PolicyDuration;
use crate::domain::process::{self, Slot};
use crate::planner::not_found;
use crate::store::{self, Cause};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct RoundArgs {
    /// The application's id (see `debrief applications`).
    pub id: i64,
    /// The round's number (1 for the first interview).
    pub round: u32,
    #[command(subcommand)]
    pub action: RoundAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum RoundAction {
    /// It takes (or took) place at another time: its unsent notes are cancelled and drafted
    /// again after its new end.
    Move {
        /// The new start: 2026-12-03T10:00:00-08:00, or "2026-12-03 10:00" in the round's zone.
        #[arg(long)]
        start: String,
        /// How long it lasts [default: as before].
        #[arg(long)]
        duration: Option<String>,
    },
    /// It did not and will not take place: its unsent notes are cancelled.
    Cancel,
    /// Give it another number (a round of that number takes this one's).
    Renumber {
        /// The new number.
        to: u32,
    },
}

pub fn round(config: Option<&Path>, args: &RoundArgs, now: Timestamp) -> anyhow::Result<()> {
    let mut session = Session::open(config)?;
    let user_zone = session.config.identity.time_zone.clone();
    let (planner, store) = session.parts();
    let tx = store.transaction()?;
    let id = ApplicationId(args.id);
    let (_, view) = store::load_view(&tx, id)?.ok_or_else(|| not_found("application", args.id))?;
    let rounds = store::rounds_of(&tx, id)?;
    let round = rounds.iter().find(|round| round.number == args.round).ok_or_else(|| {
        let known: Vec<String> = rounds.iter().map(|round| round.number.to_string()).collect();
        usage(format!(
            "application {id} has no round {} (its rounds: {})",
            args.round,
            if known.is_empty() { "none".to_owned() } else { known.join(", ") }
        ))
    })?;
    let zone = round.time_zone.as_deref().and_then(|name| TimeZone::get(name).ok()).unwrap_or(user_zone);
    let (effects, command, said) = match &args.action {
        RoundAction::Move { start, duration } => {
            let start = parse_instant("--start", start, &zone)?;
            let minutes = match duration {
                Some(text) => {
                    let parsed: PolicyDuration =
                        text.parse().map_err(|message| usage(format!("--duration {message}")))?;
                    if parsed.days != 0 || parsed.minutes <= 0 || parsed.minutes > 12 * 60 {
                        return Err(usage(format!("--duration {text:?} must be between 1 minute and 12 hours")));
                    }
                    parsed.minutes
                }
                None => round.end.duration_since(round.start).as_mins().max(1),
            };
            let end = start
                .checked_add(jiff::SignedDuration::from_mins(minutes))
                .map_err(|_| usage("--start is too far in the future"))?;
            let slot = Slot {
                start,
                end,
                zone: Some(zone.clone()),
                interviewers: Vec::new(),
                location: round.location.clone(),
                calendar_uid: round.calendar_uid.clone(),
            };
            let command = format!("debrief round {id} {} move --start {}", args.round, store::ts_to_sql(start));
            let said = format!("Round {} moved to {}.", args.round, local(start, &zone));
            (process::on_move_round(&view, round.id, &slot, now), command, said)
        }
        RoundAction::Cancel => {
            if round.status == crate::domain::RoundStatus::Cancelled {
                return Err(usage(format!("round {} of application {id} is already cancelled", args.round)));
            }
            let command = format!("debrief round {id} {} cancel", args.round);
            (process::on_cancel_round(&view, round.id), command, format!("Round {} cancelled.", args.round))
        }
        RoundAction::Renumber { to } => {
            if *to == 0 || *to == args.round {
                return Err(usage("give the round a different number, from 1"));
            }
            store::renumber_round(&tx, id, args.round, *to)?;
            let command = format!("debrief round {id} {} renumber {to}", args.round);
            let event = format!("round {} renumbered {to}", args.round);
            store::insert_history(&tx, id, now, None, None, &event, &Cause::Command(command))?;
            tx.commit()?;
            println!("Round {} is now round {to}.", args.round);
            return Ok(());
        }
    };
    let cause = Cause::Command(command);
    let event = match &args.action {
        RoundAction::Cancel => format!("round {} cancelled by you", args.round),
        _ => format!("round {} corrected by you", args.round),
    };
    store::insert_history(&tx, id, now, None, None, &event, &cause)?;
    let done = planner.apply(&tx, &view, &effects, &cause, None, now)?;
    planner.plan_application(&tx, id, now)?;
    tx.commit()?;
    print!("{said}");
    if done.drafts_cancelled > 0 {
        print!(" {} draft(s) cancelled.", done.drafts_cancelled);
    }
    println!(" See `debrief applications` and `debrief queue`.");
    Ok(())
}

//! The approval queue: `queue`, `show`, `approve`, `edit`, `reject`.
//!
//! Nothing here sends mail. Approving records the approval (and the recipients it was
//! given for) in the database; the daemon sends approved drafts when they are due.

use crate::cli::common::{Session, local, print_json};
use crate::cli::usage;
use crate::config::is_plain_address;
use crate::domain::threading::clean_header_value;
use crate::domain::{DraftId, DraftKind, DraftStatus};
use crate::planner::{Planner, application_addresses, draft_gaps, draft_or_not_found};
use crate::store::{self, DraftContent, DraftRow};
use anyhow::Context as _;
use jiff::Timestamp;
use serde::Serialize;
use std::path::Path;

#[derive(Serialize)]
struct QueueEntry {
    id: i64,
    application_id: i64,
    kind: String,
    to: String,
    subject: String,
    status: String,
    send_at: String,
    deadline: Option<String>,
    /// An approval made in the page, held (it can be undone) until then. Present only
    /// while a draft is held, so the shape of SPEC §4 is unchanged otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    hold_until: Option<String>,
}

fn rfc3339(instant: Timestamp) -> String {
    store::ts_to_sql(instant)
}

/// When a draft goes out, as every command says it: for a pending or approved draft the
/// instant it actually goes (once approved): its send time, else the next pass, moved to
/// the opening of its send window when that is closed ([`crate::planner::actual_send_time`],
/// which the outbox obeys); for any other its recorded send time.
pub fn send_time(
    conn: &rusqlite::Connection,
    config: &crate::config::Config,
    draft: &DraftRow,
    now: Timestamp,
) -> anyhow::Result<Timestamp> {
    if matches!(draft.status, DraftStatus::Pending | DraftStatus::Approved) {
        crate::planner::actual_send_time(conn, config, draft, now)
    } else {
        Ok(draft.send_at)
    }
}

/// How `approve` and `show` say when an approved draft goes: a time, or "at the next
/// pass" when it is overdue and its window is open.
fn when_it_goes(draft: &DraftRow, goes_at: Timestamp, now: Timestamp, zone: &jiff::tz::TimeZone) -> String {
    if goes_at <= now {
        "at the next pass (it is overdue and its send window is open)".to_owned()
    } else if draft.send_at < now {
        format!("when its send window opens, {} (it is overdue)", local(goes_at, zone))
    } else {
        local(goes_at, zone)
    }
}

pub fn queue(config: Option<&Path>, json: bool, now: Timestamp) -> anyhow::Result<()> {
    let session = Session::open(config)?;
    let drafts = store::queue(session.store.conn())?;
    let mut send_times = Vec::with_capacity(drafts.len());
    for draft in &drafts {
        send_times.push(send_time(session.store.conn(), &session.config, draft, now)?);
    }
    if json {
        let entries: Vec<QueueEntry> = drafts
            .iter()
            .zip(&send_times)
            .map(|(draft, goes_at)| QueueEntry {
                id: draft.id.0,
                application_id: draft.application_id.0,
                kind: draft.kind.to_string(),
                to: draft.to.join(", "),
                subject: draft.subject.clone(),
                status: draft.status.to_string(),
                send_at: rfc3339(*goes_at),
                deadline: draft.deadline.map(rfc3339),
                hold_until: draft.hold_until.filter(|until| *until > now).map(rfc3339),
            })
            .collect();
        return print_json(&entries);
    }
    let dead_ends = dead_ends(&session)?;
    if drafts.is_empty() {
        println!("The queue is empty: nothing waits for approval or sending.");
        print_dead_ends(&dead_ends);
        return Ok(());
    }
    let zone = &session.config.identity.time_zone;
    println!("{:>4}  {:<15} {:<9} {:<24} {:<30} TO", "ID", "KIND", "STATUS", "SEND AT", "APPLICATION");
    for (draft, goes_at) in drafts.iter().zip(&send_times) {
        let application = store::get_application(session.store.conn(), draft.application_id)?;
        let company = application.map(|app| format!("{} ({})", app.company, app.id)).unwrap_or_default();
        println!(
            "{:>4}  {:<15} {:<9} {:<24} {:<30} {}",
            draft.id,
            draft.kind,
            draft.status,
            local(*goes_at, zone),
            truncate(&company, 30),
            draft.to.join(", ")
        );
        for flag in flags(draft, now, zone).into_iter().chain(draft_gaps(session.store.conn(), draft)?) {
            println!("      ! {flag}");
        }
    }
    println!("\nRead one with `debrief show ID`; then `debrief approve ID`, `debrief edit ID` or `debrief reject ID`.");
    print_dead_ends(&dead_ends);
    Ok(())
}

/// Applications that wait for a follow-up that will not come, and why (issue 12).
fn dead_ends(session: &Session) -> anyhow::Result<Vec<String>> {
    let planner = Planner { config: &session.config, templates: &session.templates };
    let mut lines = Vec::new();
    for application in store::list_applications(session.store.conn())? {
        if let Some(why) = planner.why_no_follow_up(session.store.conn(), application.id)? {
            lines.push(format!("{} ({}): {why}", application.company, application.id));
        }
    }
    Ok(lines)
}

fn print_dead_ends(lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    println!("\nNot following up:");
    for line in lines {
        println!("  {line}");
    }
}

/// Warnings shown under a draft in the queue, each with the command that acts on it, its
/// times in `zone` (the user's). The page (`debrief web`) shows the same.
pub fn flags(draft: &DraftRow, now: Timestamp, zone: &jiff::tz::TimeZone) -> Vec<String> {
    let mut flags = Vec::new();
    if let Some(deadline) = draft.deadline
        && deadline <= now
        && matches!(draft.status, DraftStatus::Pending)
    {
        flags.push(format!("late: its deadline was {}; approve or reject it", local(deadline, zone)));
    }
    if draft.status == DraftStatus::Failed {
        flags.push(format!(
            "failed: {}; fix it and `debrief approve {}` again, or reject it",
            draft.last_error.as_deref().unwrap_or("unknown error"),
            draft.id
        ));
    }
    if draft.status == DraftStatus::Unknown {
        flags.push(format!(
            "unknown: sending was interrupted, so it may have gone out ({}). debrief looks for it in Sent at start-up and never resends it by itself: `debrief resolve {id} sent` if it went, `debrief resolve {id} retry` to send it again",
            draft.last_error.as_deref().unwrap_or("no details"),
            id = draft.id
        ));
    }
    if draft.status == DraftStatus::Approved
        && let Some(error) = &draft.last_error
    {
        flags.push(format!("retrying: the last attempt failed: {error}"));
    }
    if draft.status == DraftStatus::Approved
        && let Some(until) = draft.hold_until
        && until > now
    {
        flags.push(format!(
            "held until {}: approved in the page, where it can still be undone; it goes no earlier",
            local(until, zone)
        ));
    }
    flags
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[derive(Serialize)]
struct ShowDraft<'a> {
    id: i64,
    application_id: i64,
    kind: String,
    status: String,
    from: String,
    to: String,
    subject: &'a str,
    message_id: String,
    in_reply_to: Option<String>,
    references: Vec<String>,
    send_at: String,
    deadline: Option<String>,
    body: &'a str,
}

pub fn show(config: Option<&Path>, json: bool, id: i64, now: Timestamp) -> anyhow::Result<()> {
    let session = Session::open(config)?;
    let draft = draft_or_not_found(session.store.conn(), DraftId(id))?;
    let goes_at = send_time(session.store.conn(), &session.config, &draft, now)?;
    let identity = &session.config.identity;
    let from = format!("{} <{}>", identity.name, identity.email);
    if json {
        return print_json(&ShowDraft {
            id: draft.id.0,
            application_id: draft.application_id.0,
            kind: draft.kind.to_string(),
            status: draft.status.to_string(),
            from,
            to: draft.to.join(", "),
            subject: &draft.subject,
            message_id: format!("<{}>", draft.message_id),
            in_reply_to: draft.in_reply_to.as_ref().map(|id| format!("<{id}>")),
            references: draft.references.iter().map(|id| format!("<{id}>")).collect(),
            send_at: rfc3339(goes_at),
            deadline: draft.deadline.map(rfc3339),
            body: &draft.body,
        });
    }
    let zone = &identity.time_zone;
    println!("Draft {} ({}, {}) for application {}", draft.id, draft.kind, draft.status, draft.application_id);
    if goes_at == draft.send_at {
        println!("Send at: {}", local(goes_at, zone));
    } else {
        // Overdue (approved late, or waiting for its window): when it really goes.
        let when = if goes_at <= now { "at the next pass".to_owned() } else { local(goes_at, zone) };
        let why = if goes_at <= now {
            ""
        } else if draft.hold_until == Some(goes_at) {
            ", when its hold for undo ends"
        } else {
            ", when its send window opens"
        };
        println!("Send at: {when} (planned for {}{why})", local(draft.send_at, zone));
    }
    if let Some(deadline) = draft.deadline {
        println!("Deadline: {}", local(deadline, zone));
    }
    for flag in flags(&draft, now, zone).into_iter().chain(draft_gaps(session.store.conn(), &draft)?) {
        println!("! {flag}");
    }
    println!();
    println!("From: {from}");
    println!("To: {}", draft.to.join(", "));
    println!("Subject: {}", draft.subject);
    println!("Message-ID: <{}>", draft.message_id);
    if let Some(parent) = &draft.in_reply_to {
        println!("In-Reply-To: <{parent}>");
    }
    if !draft.references.is_empty() {
        let references: Vec<String> = draft.references.iter().map(|id| format!("<{id}>")).collect();
        println!("References: {}", references.join(" "));
    }
    println!();
    print!("{}", draft.body);
    Ok(())
}

pub fn approve(config: Option<&Path>, id: i64, now: Timestamp) -> anyhow::Result<()> {
    let mut session = Session::open(config)?;
    let planner = Planner { config: &session.config, templates: &session.templates };
    let tx = session.store.transaction()?;
    let approved = match approve_in(&tx, &planner, id, now, None, &format!("debrief approve {id}"))? {
        Approval::Approved(approved) => approved,
        Approval::AlreadyApproved(draft) => {
            let goes_at = send_time(&tx, &session.config, &draft, now)?;
            let when = when_it_goes(&draft, goes_at, now, &session.config.identity.time_zone);
            println!("Draft {id} is already approved; it goes out {when}.");
            return Ok(());
        }
    };
    let goes_at = send_time(&tx, &session.config, &approved.draft, now)?;
    tx.commit()?;
    let zone = &session.config.identity.time_zone;
    let draft = &approved.draft;
    println!(
        "Approved draft {id} to {}; it will be sent {}.",
        draft.to.join(", "),
        when_it_goes(draft, goes_at, now, zone)
    );
    for note in approved.notes(goes_at, now, zone) {
        println!("{note}");
    }
    if session.config.smtp.is_none() {
        println!("Note: no [smtp] section is configured, so nothing is sent until you add one (see `debrief doctor`).");
    }
    Ok(())
}

/// What [`approve_in`] did.
pub enum Approval {
    Approved(Approved),
    /// Nothing to do: it was approved before.
    AlreadyApproved(DraftRow),
}

/// A draft just approved, with what the approval changed on the way.
pub struct Approved {
    /// The draft as approved (rewritten for the send day when it was).
    pub draft: DraftRow,
    /// Its words about time were rewritten for the day it now goes out.
    pub rewritten: bool,
    /// A thank-you that goes out after its deadline: a line for the user.
    pub late: Option<String>,
    /// The thank-you note a request to pass it on stands for, now cancelled.
    pub superseded: Option<DraftId>,
}

impl Approved {
    /// What the approval changed on the way, one sentence each, as `debrief approve`
    /// prints them and the page shows them after an approval.
    /// `goes_at` is when it really goes ([`send_time`]), which names the day it was
    /// rewritten for.
    pub fn notes(&self, goes_at: Timestamp, now: Timestamp, zone: &jiff::tz::TimeZone) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(note) = self.superseded {
            notes.push(format!(
                "Thank-you {note} is cancelled: it goes through {} with this request.",
                self.draft.to.join(", ")
            ));
        }
        if self.rewritten {
            let day = |at: Timestamp| at.to_zoned(zone.clone()).date();
            let for_day = if day(goes_at) == day(now) {
                "today".to_owned()
            } else {
                format!("{}, the day it goes out", goes_at.to_zoned(zone.clone()).strftime("%A, %B %-d"))
            };
            notes.push(format!(
                "It was rewritten for {for_day}, so that what it says about when you met is still true."
            ));
        }
        notes.extend(self.late.clone());
        notes
    }
}

/// The rule of approval, shared by `debrief approve` and the page: in the caller's
/// transaction, approve draft `id` if its state allows it, it has an address and its
/// recipients belong to its application, rewritten for the day it goes out, held until
/// `hold_until` when given (the page's undo), and record `command` as the cause. The
/// caller commits.
pub fn approve_in(
    tx: &rusqlite::Connection,
    planner: &Planner,
    id: i64,
    now: Timestamp,
    hold_until: Option<Timestamp>,
    command: &str,
) -> anyhow::Result<Approval> {
    let draft = draft_or_not_found(tx, DraftId(id))?;
    match draft.status {
        DraftStatus::Pending | DraftStatus::Failed | DraftStatus::Unknown => {}
        DraftStatus::Approved => return Ok(Approval::AlreadyApproved(draft)),
        other => return Err(usage(format!("draft {id} is {other} and cannot be approved; see `debrief queue`"))),
    }
    if draft.to.is_empty() {
        // A note to an interviewer named without an address (issue 12).
        let name = draft.person_id.map(|person| store::get_person(tx, person)).transpose()?.flatten();
        let name = name.and_then(|person| person.name).unwrap_or_else(|| "NAME".to_owned());
        let instead = match crate::planner::pass_on_of(tx, &draft)? {
            Some(request) => {
                format!(", or approve draft {} to ask {} to pass it on", request.id, request.to.join(", "))
            }
            None => String::new(),
        };
        return Err(usage(format!(
            "draft {id} waits for {name}'s address: `debrief person {name:?} --email ADDRESS`{instead} (see `debrief show {id}`)"
        )));
    }
    // Invariant 7: a draft goes only to addresses taken from its application.
    let allowed = application_addresses(tx, draft.application_id)?;
    let foreign: Vec<&String> =
        draft.to.iter().filter(|address| !allowed.contains(&address.to_ascii_lowercase())).collect();
    if !foreign.is_empty() {
        return Err(usage(format!(
            "draft {id} is addressed to {} which does not belong to application {}: `debrief edit {id}` to correct the recipients",
            foreign.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", "),
            draft.application_id
        )));
    }
    let rewritten = planner.rewrite_for_send_day(tx, &draft, now)?.is_some();
    let draft = if rewritten { draft_or_not_found(tx, draft.id)? } else { draft };
    let late = late_warning(tx, planner, &draft, now)?;
    let approved = match hold_until {
        None => store::approve_draft(tx, draft.id, draft.status, now)?,
        Some(until) => store::approve_draft_held(tx, draft.id, draft.status, until, now)?,
    };
    if !approved {
        return Err(lost_race(id, "approved"));
    }
    let event = format!("draft {id} ({}) to {} approved", draft.kind, draft.to.join(", "));
    store::insert_history(tx, draft.application_id, now, None, None, &event, &store::Cause::Command(command.into()))?;
    // A request to pass a note on stands for the note, which no longer waits for an address.
    let superseded = planner.pass_on_approved(tx, &draft, now)?;
    Ok(Approval::Approved(Approved { draft, rewritten, late, superseded }))
}

/// A warning for a thank-you that goes out after its deadline (approved late, or the
/// window kept it back): the user may want to own the delay in a line of their own.
fn late_warning(
    tx: &rusqlite::Connection,
    planner: &Planner,
    draft: &DraftRow,
    now: Timestamp,
) -> anyhow::Result<Option<String>> {
    let Some(deadline) = draft.deadline else { return Ok(None) };
    if draft.kind != DraftKind::ThankYou {
        return Ok(None);
    }
    let goes_at = planner.actual_send_time(tx, draft, now)?;
    if goes_at <= deadline {
        return Ok(None);
    }
    let zone = &planner.config.identity.time_zone;
    Ok(Some(format!(
        "Warning: this thank-you is late. Its deadline was {} and it goes out {}. \
A sentence of your own about the delay may read better: `debrief edit {}`.",
        local(deadline, zone),
        local(goes_at, zone),
        draft.id
    )))
}

pub fn reject(config: Option<&Path>, id: i64, now: Timestamp) -> anyhow::Result<()> {
    let mut session = Session::open(config)?;
    let tx = session.store.transaction()?;
    reject_in(&tx, id, now, &format!("debrief reject {id}"))?;
    tx.commit()?;
    println!("Rejected draft {id}; it will not be sent.");
    Ok(())
}

/// The rule of rejection, shared by `debrief reject` and the page, in the caller's
/// transaction (the caller commits).
pub fn reject_in(tx: &rusqlite::Connection, id: i64, now: Timestamp, command: &str) -> anyhow::Result<()> {
    let draft = draft_or_not_found(tx, DraftId(id))?;
    if !draft.status.is_unsent() && draft.status != DraftStatus::Unknown {
        return Err(usage(format!("draft {id} is {} and cannot be rejected; see `debrief queue`", draft.status)));
    }
    if !store::set_draft_status(tx, draft.id, draft.status, DraftStatus::Rejected, Some("rejected by you"), now)? {
        return Err(lost_race(id, "rejected"));
    }
    let event = format!("draft {id} ({}) rejected", draft.kind);
    store::insert_history(tx, draft.application_id, now, None, None, &event, &store::Cause::Command(command.into()))?;
    Ok(())
}

/// The text a user edits: editable headers, a blank line, the body.
pub fn editable_text(draft: &DraftRow) -> String {
    format!("To: {}\nSubject: {}\n\n{}", draft.to.join(", "), draft.subject, draft.body)
}

/// Reads the edited text back, refusing what cannot be sent.
pub fn parse_edited(text: &str) -> anyhow::Result<(Vec<String>, String, String)> {
    let text = text.replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap_or((text.as_str(), ""));
    let (mut to, mut subject) = (None, None);
    for line in head.lines() {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| usage(format!("the edited draft has a header line without a colon: {line:?}")))?;
        match name.trim().to_ascii_lowercase().as_str() {
            "to" => {
                let addresses: Vec<String> = value
                    .split(',')
                    .map(|part| part.trim())
                    .filter(|part| !part.is_empty())
                    .map(|part| part.trim_start_matches('<').trim_end_matches('>').to_ascii_lowercase())
                    .collect();
                if let Some(bad) = addresses.iter().find(|address| !is_plain_address(address)) {
                    return Err(usage(format!("the edited draft's To: has {bad:?}, which is not an email address")));
                }
                to = Some(addresses);
            }
            "subject" => subject = Some(clean_header_value(value)),
            other => {
                return Err(usage(format!(
                    "the edited draft has a header {other:?}: only To and Subject can be edited"
                )));
            }
        }
    }
    let to = to.filter(|to| !to.is_empty()).ok_or_else(|| usage("the edited draft has no To: line"))?;
    let subject =
        subject.filter(|subject| !subject.is_empty()).ok_or_else(|| usage("the edited draft has no Subject:"))?;
    let body = format!("{}\n", body.trim_end());
    Ok((to, subject, body))
}

/// A change that found the draft no longer in the state it was read in: another process
/// (the daemon, or another command) changed it in the same instant. Rare, since commands
/// read and write in one transaction; said in one line, exit 1.
fn lost_race(id: i64, what: &str) -> anyhow::Error {
    anyhow::anyhow!("draft {id} changed while it was being {what}; nothing was done: see `debrief show {id}`")
}

pub fn edit(config: Option<&Path>, id: i64, now: Timestamp) -> anyhow::Result<()> {
    let mut session = Session::open(config)?;
    let draft = draft_or_not_found(session.store.conn(), DraftId(id))?;
    if !editable(draft.status) {
        return Err(not_editable(&draft));
    }
    let dir = tempfile::Builder::new().prefix("debrief-edit").tempdir()?;
    let path = dir.path().join(format!("draft-{id}.txt"));
    std::fs::write(&path, editable_text(&draft))?;
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|value| !value.trim().is_empty())
        .or_else(|| std::env::var("EDITOR").ok().filter(|value| !value.trim().is_empty()))
        .unwrap_or_else(|| "vi".to_owned());
    // Through the shell, so EDITOR may carry arguments ("code --wait").
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("debrief-edit")
        .arg(&path)
        .status()
        .map_err(|err| anyhow::anyhow!("could not start the editor {editor:?}: {err}; set $EDITOR"))?;
    if !status.success() {
        anyhow::bail!("the editor {editor:?} exited with {status}; the draft is unchanged");
    }
    let text = std::fs::read_to_string(&path)?;
    if text == editable_text(&draft) {
        println!("Draft {id} is unchanged.");
        return Ok(());
    }
    // From here on the user's text is never lost: if it cannot be saved (refused, or the
    // draft changed while the editor was open), it is kept in a file beside the database.
    match save_edit(&mut session.store, &draft, &text, now, &format!("debrief edit {id}")) {
        Ok(()) => {
            println!("Saved draft {id}; it is pending again: `debrief approve {id}` when it is right.");
            Ok(())
        }
        Err(err) => {
            let kept = keep_text(&session.config.storage_path, id, &text, now)
                .with_context(|| format!("{err:#}; and your text could not be kept"))?;
            let message = format!("{err:#}; your text is kept in {}", kept.display());
            let refused = err.chain().any(|cause| cause.downcast_ref::<crate::cli::UsageError>().is_some());
            Err(if refused { usage(message) } else { anyhow::anyhow!(message) })
        }
    }
}

/// Whether a draft in `status` may still be edited: not once it is on its way, sent,
/// or settled otherwise (an edit returns a draft to pending, so it would revive it).
/// `debrief edit`, `save_edit` and the page ask this one rule.
pub fn editable(status: DraftStatus) -> bool {
    matches!(status, DraftStatus::Pending | DraftStatus::Approved | DraftStatus::Failed)
}

fn not_editable(draft: &DraftRow) -> anyhow::Error {
    usage(format!("draft {} is {} and can no longer be edited", draft.id, draft.status))
}

/// Saves an edit, conditional on the draft being as it was read before the editor
/// opened: same status, same recipients, subject and body. Otherwise (sent, cancelled by
/// the employer's reply, rejected, re-rendered meanwhile) the edit would undo that change.
/// The page saves its edits through this too.
pub fn save_edit(
    store: &mut store::Store,
    draft: &DraftRow,
    text: &str,
    now: Timestamp,
    command: &str,
) -> anyhow::Result<()> {
    let id = draft.id.0;
    if !editable(draft.status) {
        return Err(not_editable(draft));
    }
    let (to, subject, body) = parse_edited(text)?;
    let tx = store.transaction()?;
    let current = draft_or_not_found(&tx, draft.id)?;
    let changed_meanwhile = || {
        anyhow::anyhow!(
            "draft {id} was changed while you were editing it (it is {} now), so your edit was not saved",
            current.status
        )
    };
    if current.status != draft.status
        || current.to != draft.to
        || current.subject != draft.subject
        || current.body != draft.body
    {
        return Err(changed_meanwhile());
    }
    let allowed = application_addresses(&tx, draft.application_id)?;
    if let Some(foreign) = to.iter().find(|address| !allowed.contains(*address)) {
        return Err(usage(format!(
            "{foreign} is not an address of application {}: a draft goes only to its interviewers and the people in its threads",
            draft.application_id
        )));
    }
    let content = DraftContent { to: &to, subject: &subject, body: &body, needs_topic: false, edited: true };
    if !store::update_draft_content(&tx, draft.id, draft.status, &content, now)? {
        return Err(changed_meanwhile());
    }
    let event = format!("draft {id} edited by hand and returned to pending");
    store::insert_history(&tx, draft.application_id, now, None, None, &event, &store::Cause::Command(command.into()))?;
    tx.commit()?;
    Ok(())
}

/// Writes an edit that could not be saved beside the database (mode 0600: it is mail),
/// under a name that says which draft and when, never over another file.
pub fn keep_text(database: &Path, id: i64, text: &str, now: Timestamp) -> anyhow::Result<std::path::PathBuf> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let folder = database.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let stamp = now.strftime("%Y%m%dT%H%M%SZ");
    for attempt in 0..100 {
        let suffix = if attempt == 0 { String::new() } else { format!("-{attempt}") };
        let path = folder.join(format!("draft-{id}-edit-{stamp}{suffix}.txt"));
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path) {
            Ok(mut file) => {
                file.write_all(text.as_bytes())?;
                file.sync_all()?;
                return Ok(std::path::absolute(&path).unwrap_or(path));
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(err).with_context(|| format!("Writing {}", path.display())),
        }
    }
    anyhow::bail!("too many kept edits of draft {id} in {}", folder.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edited_draft_is_read_back_and_injected_headers_are_refused() {
        let (to, subject, body) = parse_edited("To: Jane@acme.example\nSubject: Hello\n\nBody text\n\n").unwrap();
        assert_eq!(
            (to, subject, body.as_str()),
            (vec!["jane@acme.example".to_string()], "Hello".to_string(), "Body text\n")
        );
        assert!(parse_edited("To: jane@acme.example\nBcc: x@evil.example\nSubject: Hi\n\nx").is_err());
        assert!(parse_edited("To: not-an-address\nSubject: Hi\n\nx").is_err());
        assert!(parse_edited("Subject: Hi\n\nx").is_err());
    }

    #[test]
    fn an_edit_never_revives_a_draft_that_can_no_longer_be_edited() {
        use crate::domain::process::{Contact, Event, Slot};
        let ts = |text: &str| text.parse::<Timestamp>().unwrap();
        let config = crate::config::Config::from_toml(
            "[identity]\nname = \"Casey Candidate\"\nemail = \"casey@example.net\"\ntime_zone = \"UTC\"\n",
            Path::new("/tmp/debrief-drafts-test/config.toml"),
            Some(0o600),
        )
        .unwrap();
        let templates = crate::templates::Templates::load(None).unwrap();
        let planner = Planner { config: &config, templates: &templates };
        let mut store = store::Store::open_in_memory().unwrap();
        let now = ts("2026-12-07T10:00:00Z");
        let tx = store.transaction().unwrap();
        let cause = store::Cause::Clock;
        let app = crate::planner::new_application(&tx, "Acme", "Engineer", None, "added", &cause, now).unwrap();
        let slot = Slot {
            start: ts("2026-12-07T15:00:00Z"),
            end: ts("2026-12-07T16:00:00Z"),
            zone: None,
            interviewers: vec![Contact { name: Some("Dana Reyes".into()), email: Some("dana@acme.example".into()) }],
            location: None,
            calendar_uid: None,
        };
        planner.apply_event(&tx, app, &Event::InterviewConfirmed(slot), &cause, None, now, now).unwrap();
        tx.commit().unwrap();
        let later = ts("2026-12-07T17:00:00Z");
        planner.plan_all(&mut store, later).unwrap();
        let draft = store::drafts_of(store.conn(), app).unwrap().remove(0);
        let tx = store.transaction().unwrap();
        reject_in(&tx, draft.id.0, later, "test").unwrap();
        tx.commit().unwrap();

        // Read as it is now (rejected), as a form or an editor opened after the rejection
        // would have it: the edit is refused, not saved as pending.
        let rejected = store::get_draft(store.conn(), draft.id).unwrap().unwrap();
        assert!(!editable(rejected.status));
        let text = editable_text(&rejected).replace("Dana", "Dana,");
        let err = save_edit(&mut store, &rejected, &text, later, "test").unwrap_err();
        assert!(format!("{err:#}").contains("is rejected and can no longer be edited"), "{err:#}");
        assert!(err.chain().any(|cause| cause.downcast_ref::<crate::cli::UsageError>().is_some()));
        let after = store::get_draft(store.conn(), draft.id).unwrap().unwrap();
        assert_eq!((after.status, after.body), (DraftStatus::Rejected, rejected.body));
        for status in [DraftStatus::Pending, DraftStatus::Approved, DraftStatus::Failed] {
            assert!(editable(status), "{status}");
        }
        for status in [DraftStatus::Sending, DraftStatus::Sent, DraftStatus::Unknown, DraftStatus::Cancelled] {
            assert!(!editable(status), "{status}");
        }
    }
}

/// What the user found out about a draft whose sending was interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Resolution {
    /// It went out: mark it sent.
    Sent,
    /// It did not go out: send it again at the next pass.
    Retry,
}

/// `debrief resolve ID sent|retry`: the user settles an `unknown` draft (SPEC §6.2).
pub fn resolve(config: Option<&Path>, id: i64, outcome: Resolution, now: Timestamp) -> anyhow::Result<()> {
    let mut session = Session::open(config)?;
    let from = session.config.identity.email.clone();
    let tx = session.store.transaction()?;
    let command = format!("debrief resolve {id} {}", if outcome == Resolution::Sent { "sent" } else { "retry" });
    resolve_in(&tx, id, outcome, &from, now, &command)?;
    tx.commit()?;
    match outcome {
        Resolution::Sent => println!("Draft {id} is marked sent."),
        Resolution::Retry => println!("Draft {id} is approved again; it goes out at the next pass when it is due."),
    }
    Ok(())
}

/// The rule of `resolve`, shared with the page, in the caller's transaction.
pub fn resolve_in(
    tx: &rusqlite::Connection,
    id: i64,
    outcome: Resolution,
    from: &str,
    now: Timestamp,
    command: &str,
) -> anyhow::Result<()> {
    let draft = draft_or_not_found(tx, DraftId(id))?;
    if draft.status != DraftStatus::Unknown {
        return Err(usage(format!(
            "draft {id} is {}, not unknown: only a draft whose sending was interrupted needs resolving",
            draft.status
        )));
    }
    let event = match outcome {
        Resolution::Sent => {
            if !store::mark_draft_sent(tx, draft.id, &[DraftStatus::Unknown], Some("marked sent by you"), now)? {
                return Err(lost_race(id, "resolved"));
            }
            store::record_outgoing(tx, &draft, from, now)?;
            format!("draft {id} ({}) marked sent by you", draft.kind)
        }
        Resolution::Retry => {
            if !store::approve_draft(tx, draft.id, DraftStatus::Unknown, now)? {
                return Err(lost_race(id, "resolved"));
            }
            format!("draft {id} ({}) to be sent again, by you", draft.kind)
        }
    };
    store::insert_history(tx, draft.application_id, now, None, None, &event, &store::Cause::Command(command.into()))?;
    Ok(())
}

/// `debrief share DRAFT TEXT`: the user adds something new to a pending follow-up (article
/// 2: each follow-up adds something, such as an article tied to the conversation).
pub fn share(config: Option<&Path>, id: i64, text: &str, now: Timestamp) -> anyhow::Result<()> {
    let text = text.trim();
    if text.is_empty() || text.contains("\n\n") || text.contains('\r') || text.chars().count() > 2000 {
        return Err(usage("the text to share must be one paragraph of at most 2000 characters"));
    }
    let mut session = Session::open(config)?;
    let planner = Planner { config: &session.config, templates: &session.templates };
    let tx = session.store.transaction()?;
    let draft = draft_or_not_found(&tx, DraftId(id))?;
    if draft.kind != DraftKind::FollowUp || draft.status != DraftStatus::Pending {
        return Err(usage(format!(
            "draft {id} is a {} {}: only a pending follow-up takes something to share",
            draft.status, draft.kind
        )));
    }
    if draft.edited {
        return Err(usage(format!(
            "draft {id} was edited by hand: add it there with `debrief edit {id}`, debrief does not rewrite your text"
        )));
    }
    store::set_draft_addition(&tx, draft.id, text, now)?;
    planner.rerender_pending(&tx, draft.application_id, draft.person_id, now)?;
    let event = format!("something to share added to draft {id}");
    let cause = store::Cause::Command(format!("debrief share {id}"));
    store::insert_history(&tx, draft.application_id, now, None, None, &event, &cause)?;
    tx.commit()?;
    println!("Draft {id} now carries it; read it with `debrief show {id}`, then `debrief approve {id}`.");
    Ok(())
}

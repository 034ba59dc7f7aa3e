//! The page's views and actions. Each handler runs its database work on a blocking
//! thread with the one [`Session`], reads `now` once from [`crate::clock`], and acts
//! through the same functions as the command line, so a rule lives in one place.
//!
//! Actions answer `303 See Other` to the next page (POST/redirect/GET), so a reload never
//! repeats one; a refusal (a draft sent meanwhile, recipients not of the application)
//! answers 409 or 422 with the reason and, for an edit, the user's text.

use super::Web;
use crate::classify::MessageKind;
use crate::cli::UsageError;
use crate::cli::applications::{cause_text, next_action};
use crate::cli::common::{Session, local};
use crate::cli::drafts::{self, Approval, Resolution};
use crate::cli::inbox::{dismiss_in, parse_kind};
use crate::domain::{ApplicationId, ApplicationState, DraftId, DraftStatus, MessageId};
use crate::store::{self, DraftRow, MessageRow};
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The page's templates, compiled in: minijinja escapes every value in `.html` files.
pub fn environment() -> anyhow::Result<minijinja::Environment<'static>> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    for (name, text) in [
        ("base.html", include_str!("templates/base.html")),
        ("draft.html", include_str!("templates/draft.html")),
        ("edit.html", include_str!("templates/edit.html")),
        ("pipeline.html", include_str!("templates/pipeline.html")),
        ("application.html", include_str!("templates/application.html")),
        ("inbox.html", include_str!("templates/inbox.html")),
        ("outcomes.html", include_str!("templates/outcomes.html")),
        ("error.html", include_str!("templates/error.html")),
    ] {
        env.add_template(name, text)?;
    }
    Ok(env)
}

/// A page that could not be shown, or an action refused.
pub struct PageError {
    status: StatusCode,
    message: String,
}

impl From<anyhow::Error> for PageError {
    fn from(err: anyhow::Error) -> PageError {
        let refused = err.chain().any(|cause| cause.downcast_ref::<UsageError>().is_some());
        let status = if refused { StatusCode::CONFLICT } else { StatusCode::INTERNAL_SERVER_ERROR };
        if !refused {
            tracing::warn!("The page failed: {err:#}");
        }
        PageError { status, message: format!("{err:#}") }
    }
}

impl From<rusqlite::Error> for PageError {
    fn from(err: rusqlite::Error) -> PageError {
        PageError::from(anyhow::Error::from(err))
    }
}

fn not_found(what: &str, id: i64) -> PageError {
    PageError { status: StatusCode::NOT_FOUND, message: format!("there is no {what} {id}") }
}

type Outcome = Result<Response, PageError>;

/// Runs `work` with the session on a blocking thread (SQLite waits for the daemon's
/// transactions there, not on the server's thread).
async fn blocking<F>(web: Arc<Web>, work: F) -> Response
where
    F: FnOnce(&Web, &mut Session, Timestamp) -> Outcome + Send + 'static,
{
    let joined = tokio::task::spawn_blocking(move || {
        let now = crate::clock::now();
        let mut session = web.session.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match work(&web, &mut session, now) {
            Ok(response) => response,
            Err(error) => {
                let mut context = base(&web, &session, None);
                context.insert("message".into(), error.message.clone().into());
                match render(&web, "error.html", context) {
                    Ok(mut response) => {
                        *response.status_mut() = error.status;
                        response
                    }
                    Err(_) => (error.status, error.message).into_response(),
                }
            }
        }
    })
    .await;
    joined.unwrap_or_else(|_| (StatusCode::INTERNAL_SERVER_ERROR, "the page's worker failed").into_response())
}

type Context = serde_json::Map<String, serde_json::Value>;

fn render(web: &Web, name: &str, context: Context) -> Outcome {
    let template = web.pages.get_template(name).map_err(anyhow::Error::from)?;
    let html =
        template.render(minijinja::Value::from(minijinja::value::Serde(&context))).map_err(anyhow::Error::from)?;
    Ok(Html(html).into_response())
}

/// What every page shows: the CSRF token for its forms, the counts in the menu, a notice.
fn base(web: &Web, session: &Session, notice: Option<String>) -> Context {
    let conn = session.store.conn();
    let waiting = store::queue(conn).map(|drafts| drafts.iter().filter(|d| needs_you(d.status)).count()).unwrap_or(0);
    let held = store::messages_with_status(conn, "needs_review").map(|m| m.len()).unwrap_or(0)
        + store::messages_with_status(conn, "error").map(|m| m.len()).unwrap_or(0);
    let mut context = Context::new();
    context.insert("csrf".into(), web.csrf.clone().into());
    context.insert("waiting".into(), waiting.into());
    context.insert("inbox_count".into(), held.into());
    context.insert("notice".into(), notice.into());
    context
}

fn to_value<T: Serialize>(value: T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// Drafts that wait for the user's decision.
fn needs_you(status: DraftStatus) -> bool {
    matches!(status, DraftStatus::Pending | DraftStatus::Failed | DraftStatus::Unknown)
}

fn see_other(location: String) -> Outcome {
    Ok(Redirect::to(&location).into_response())
}

fn notice_for(done: Option<&str>, id: Option<i64>) -> Option<String> {
    let id = id.map(|id| id.to_string()).unwrap_or_default();
    Some(match done? {
        "approved" => format!("Draft {id} approved."),
        "already" => format!("Draft {id} was already approved."),
        "rejected" => format!("Draft {id} rejected: it will not be sent."),
        "undone" => format!("The approval of draft {id} is undone: it is pending again."),
        "released" => format!("Draft {id} is no longer held: it goes at its send time."),
        "edited" => format!("Draft {id} saved; it is pending again."),
        "unchanged" => format!("Draft {id} is unchanged."),
        "resolved" => format!("Draft {id} resolved."),
        "confirmed" => format!("Message {id} applied."),
        "dismissed" => format!("Message {id} set aside."),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// The queue, one draft at a time

#[derive(Deserialize)]
pub struct QueueQuery {
    after: Option<i64>,
    done: Option<String>,
}

pub async fn home() -> Redirect {
    Redirect::to("/queue")
}

/// The next draft that needs the user, after `after` in queue order (wrapping), else
/// the first; else the first draft at all; `None` when the queue is empty.
fn pick(drafts: &[DraftRow], after: Option<i64>) -> Option<&DraftRow> {
    let start = after.and_then(|id| drafts.iter().position(|draft| draft.id.0 == id)).map_or(0, |index| index + 1);
    let rotated = drafts.iter().skip(start).chain(drafts.iter().take(start));
    let first_needing = rotated.clone().find(|draft| needs_you(draft.status) && Some(draft.id.0) != after);
    first_needing.or_else(|| drafts.iter().find(|draft| Some(draft.id.0) != after)).or(drafts.first())
}

pub async fn queue(State(web): State<Arc<Web>>, Query(query): Query<QueueQuery>) -> Response {
    blocking(web, move |web, session, now| {
        let drafts = store::queue(session.store.conn())?;
        let mut notice = notice_for(query.done.as_deref(), query.after);
        if query.done.as_deref() == Some("approved")
            && let Some(id) = query.after
        {
            // What `debrief approve` would have printed besides (late, rewritten...).
            let notes = web.take_approval_notes(id);
            notice = notice.map(|notice| [notice].into_iter().chain(notes).collect::<Vec<_>>().join(" "));
        }
        match pick(&drafts, query.after) {
            Some(draft) => {
                let recent = query.after.filter(|_| query.done.as_deref() == Some("approved"));
                draft_page(web, session, draft.id, notice, recent, now)
            }
            None => {
                let mut context = base(web, session, notice);
                context.insert("draft".into(), serde_json::Value::Null);
                context.insert("recent".into(), serde_json::Value::Null);
                context.insert("list".into(), to_value(Vec::<ListEntry>::new()));
                render(web, "draft.html", context)
            }
        }
    })
    .await
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn draft(State(web): State<Arc<Web>>, Path(id): Path<i64>, Query(query): Query<DoneQuery>) -> Response {
    blocking(web, move |web, session, now| {
        let notice = notice_for(query.done.as_deref(), Some(id));
        draft_page(web, session, DraftId(id), notice, None, now)
    })
    .await
}

/// One line of the queue beside the draft shown.
#[derive(Serialize)]
struct ListEntry {
    id: i64,
    kind: String,
    status: String,
    company: String,
    to: String,
    send_at: String,
    held_seconds: Option<i64>,
    current: bool,
}

/// A draft as it will be sent, why it exists, and what can be done with it.
#[derive(Serialize)]
struct DraftView {
    id: i64,
    application_id: i64,
    company: String,
    role: String,
    kind: String,
    status: String,
    status_reason: Option<String>,
    /// The header block as it will be sent (`sent_headers`).
    headers: Vec<HeaderLine>,
    /// Why the message cannot be built as it is, if it cannot.
    unsendable: Option<String>,
    answers: Option<String>,
    body: String,
    why: String,
    /// The history's cause of its drafting, when a message or a command caused it.
    drafted_because: Option<String>,
    reasons: Vec<String>,
    confidence: Option<String>,
    send_at_user: String,
    send_at_recipient: Option<String>,
    deadline: Option<String>,
    late: bool,
    flags: Vec<String>,
    held_seconds: Option<i64>,
    hold_until: Option<String>,
    diff: Vec<DiffLine>,
    can_approve: bool,
    can_edit: bool,
    can_reject: bool,
    can_resolve: bool,
    prev: Option<i64>,
    next: Option<i64>,
}

#[derive(Serialize)]
pub struct DiffLine {
    tag: &'static str,
    text: String,
}

/// The line difference between the generated text and the current one; empty when no
/// line differs (an edit undone by hand shows no section of changes).
pub fn diff(generated: &str, current: &str) -> Vec<DiffLine> {
    if generated == current {
        return Vec::new();
    }
    similar::TextDiff::from_lines(generated, current)
        .iter_all_changes()
        .map(|change| DiffLine {
            tag: match change.tag() {
                similar::ChangeTag::Delete => "-",
                similar::ChangeTag::Insert => "+",
                similar::ChangeTag::Equal => " ",
            },
            text: change.value().trim_end_matches('\n').to_owned(),
        })
        .collect()
}

/// The zone the recipient reads in: the draft's round's, else the latest interview's,
/// else the user's.
fn recipient_zone(rounds: &[store::RoundRow], draft: &DraftRow) -> Option<TimeZone> {
    let named = |round: &store::RoundRow| round.time_zone.as_deref().and_then(|name| TimeZone::get(name).ok());
    draft
        .round_id
        .and_then(|id| rounds.iter().find(|round| round.id == id).and_then(named))
        .or_else(|| rounds.iter().rev().find_map(named))
}

fn seconds_left(until: Option<Timestamp>, now: Timestamp) -> Option<i64> {
    until.filter(|until| *until > now).map(|until| until.duration_since(now).as_secs().max(1))
}

fn draft_page(
    web: &Web,
    session: &Session,
    id: DraftId,
    notice: Option<String>,
    recent: Option<i64>,
    now: Timestamp,
) -> Outcome {
    let conn = session.store.conn();
    let Some(draft) = store::get_draft(conn, id)? else { return Err(not_found("draft", id.0)) };
    let config = &session.config;
    let zone = &config.identity.time_zone;
    let application = store::get_application(conn, draft.application_id)?;
    let rounds = store::rounds_of(conn, draft.application_id)?;
    let (company, role) = application.map(|app| (app.company, app.role)).unwrap_or_default();

    let why = why_text(conn, config, &draft, &rounds)?;
    let drafted_because = drafting_cause(conn, &draft)?;
    let (mut answers, mut reasons, mut confidence) = (None, Vec::new(), None);
    if let Some(message) = draft.reply_to_message.map(|id| store::get_message(conn, id)).transpose()?.flatten() {
        answers = Some(format!(
            "{} from {}: {}",
            message.kind.as_deref().unwrap_or("a message"),
            message.from_email.as_deref().unwrap_or("?"),
            message.subject.as_deref().unwrap_or("")
        ));
        reasons = classifier_reasons(&message);
        confidence = message.confidence.map(|value| format!("{:.0}%", value * 100.0));
    }
    // When it really goes: an overdue draft waits for its send window (`cli::drafts::send_time`).
    let goes_at = drafts::send_time(conn, config, &draft, now)?;
    let recipient = recipient_zone(&rounds, &draft);
    let send_at_recipient = recipient
        .filter(|recipient| recipient.iana_name() != zone.iana_name())
        .map(|recipient| local(goes_at, &recipient));

    let drafts = store::queue(conn)?;
    let position = drafts.iter().position(|row| row.id == draft.id);
    let prev = position.and_then(|index| index.checked_sub(1)).and_then(|index| drafts.get(index)).map(|d| d.id.0);
    let next = position.and_then(|index| drafts.get(index + 1)).map(|d| d.id.0);
    let mut list = Vec::new();
    for row in &drafts {
        let company = store::get_application(conn, row.application_id)?.map(|app| app.company).unwrap_or_default();
        list.push(ListEntry {
            id: row.id.0,
            kind: row.kind.to_string(),
            status: row.status.to_string(),
            company,
            to: row.to.join(", "),
            send_at: local(drafts::send_time(conn, config, row, now)?, zone),
            held_seconds: seconds_left(row.hold_until, now).filter(|_| row.status == DraftStatus::Approved),
            current: row.id == draft.id,
        });
    }
    let generated = store::generated_text(conn, draft.id)?;
    let (headers, unsendable) = sent_headers(config, &draft, now);
    let view = DraftView {
        id: draft.id.0,
        application_id: draft.application_id.0,
        company,
        role,
        kind: draft.kind.to_string(),
        status: draft.status.to_string(),
        status_reason: draft.status_reason.clone(),
        headers,
        unsendable,
        answers,
        body: draft.body.clone(),
        why,
        drafted_because,
        reasons,
        confidence,
        send_at_user: local(goes_at, zone),
        send_at_recipient,
        deadline: draft.deadline.map(|deadline| local(deadline, zone)),
        late: draft.deadline.is_some_and(|deadline| deadline <= now) && draft.status == DraftStatus::Pending,
        flags: drafts::flags(&draft, now, zone).into_iter().chain(crate::planner::draft_gaps(conn, &draft)?).collect(),
        held_seconds: seconds_left(draft.hold_until, now).filter(|_| draft.status == DraftStatus::Approved),
        hold_until: draft.hold_until.filter(|until| *until > now).map(|until| local(until, zone)),
        diff: generated.map(|generated| diff(&generated, &drafts::editable_text(&draft))).unwrap_or_default(),
        can_approve: matches!(draft.status, DraftStatus::Pending | DraftStatus::Failed),
        can_edit: drafts::editable(draft.status),
        can_reject: draft.status.is_unsent() || draft.status == DraftStatus::Unknown,
        can_resolve: draft.status == DraftStatus::Unknown,
        prev,
        next,
    };
    let mut context = base(web, session, notice);
    context.insert("draft".into(), to_value(view));
    context.insert("list".into(), to_value(list));
    context.insert("recent".into(), recent.into());
    render(web, "draft.html", context)
}

/// One header line of the block shown above a draft's body.
#[derive(Serialize)]
struct HeaderLine {
    name: &'static str,
    value: String,
}

/// The header block as it will be sent: read back from the very message
/// `outbox::build_message` makes of the draft, so the page cannot show other values
/// than those that go out. A draft that cannot be built yet (it waits for an address)
/// gets its own values and the reason it cannot go as it is.
fn sent_headers(config: &crate::config::Config, draft: &DraftRow, now: Timestamp) -> (Vec<HeaderLine>, Option<String>) {
    fn mailboxes(address: Option<&mail_parser::Address>) -> Option<String> {
        let list: Vec<String> = address?
            .iter()
            .map(|addr| match (addr.name(), addr.address()) {
                (Some(name), Some(address)) => format!("{name} <{address}>"),
                (None, Some(address)) => address.to_owned(),
                (Some(name), None) => name.to_owned(),
                (None, None) => String::new(),
            })
            .collect();
        Some(list.join(", ")).filter(|text| !text.is_empty())
    }
    fn ids(value: &mail_parser::HeaderValue) -> Option<String> {
        let ids: Vec<String> = value.as_text_list()?.iter().map(|id| format!("<{id}>")).collect();
        Some(ids.join(" ")).filter(|text| !text.is_empty())
    }
    let line = |name, value: Option<String>| value.map(|value| HeaderLine { name, value });
    let unbuilt = |err: anyhow::Error| {
        let identity = &config.identity;
        let lines = vec![
            HeaderLine { name: "From", value: format!("{} <{}>", identity.name, identity.email) },
            HeaderLine { name: "To", value: draft.to.join(", ") },
            HeaderLine { name: "Subject", value: draft.subject.clone() },
            HeaderLine { name: "Message-ID", value: format!("<{}>", draft.message_id) },
        ];
        (lines, Some(format!("{err:#}")))
    };
    let raw = match crate::outbox::build_message(config, draft, now) {
        Ok(raw) => raw,
        Err(err) => return unbuilt(err),
    };
    let Some(message) = mail_parser::MessageParser::default().parse_headers(&raw) else {
        return unbuilt(anyhow::anyhow!("the message built for draft {} has no header", draft.id));
    };
    let lines = [
        line("From", mailboxes(message.from())),
        line("To", mailboxes(message.to())),
        Some(HeaderLine { name: "Cc", value: mailboxes(message.cc()).unwrap_or_else(|| "(none)".into()) }),
        line("Subject", message.subject().map(str::to_owned)),
        line("In-Reply-To", ids(message.in_reply_to())),
        line("References", ids(message.references())),
        line("Message-ID", message.message_id().map(|id| format!("<{id}>"))),
    ];
    (lines.into_iter().flatten().collect(), None)
}

/// Why a draft exists, in words: what it is for and the moment that caused it (an
/// interview that ended, the silence since the last note, the employer's request for
/// references...). Never the internal name of its kind.
fn why_text(
    conn: &rusqlite::Connection,
    config: &crate::config::Config,
    draft: &DraftRow,
    rounds: &[store::RoundRow],
) -> anyhow::Result<String> {
    use crate::domain::DraftKind;
    let zone = &config.identity.time_zone;
    let person = draft.person_id.map(|id| store::get_person(conn, id)).transpose()?.flatten();
    let person_name = person.as_ref().map(person_text).unwrap_or_else(|| "them".to_owned());
    let round = draft.round_id.and_then(|id| rounds.iter().find(|round| round.id == id));
    let after_round = round
        .map(|round| format!(" (round {}, which ended {})", round.number, local(round.end, zone)))
        .unwrap_or_default();
    Ok(match draft.kind {
        DraftKind::ThankYou => format!("A thank-you note after your interview{after_round}"),
        DraftKind::FollowUp => {
            // The silence it answers: since the last note of yours that went out (the
            // thank-you, or the previous follow-up of this series) before it was drafted.
            let last = store::drafts_of(conn, draft.application_id)?
                .into_iter()
                .filter(|other| {
                    other.kind == DraftKind::ThankYou
                        || (other.kind == DraftKind::FollowUp && other.series == draft.series)
                })
                .filter_map(|other| other.sent_at.filter(|at| *at <= draft.created_at).map(|at| (at, other)))
                .max_by_key(|(at, _)| *at);
            let since = match last {
                Some((at, other)) if other.kind == DraftKind::FollowUp => {
                    format!("since follow-up {} went out {}", other.number, local(at, zone))
                }
                Some((at, other)) => format!("since your thank-you note {} went out {}", other.id, local(at, zone)),
                None => "since your interview".to_owned(),
            };
            format!(
                "Follow-up {}: no answer came {since}; your policy follows up after {} without one",
                draft.number.max(1),
                config.policy.follow_up_every
            )
        }
        DraftKind::RejectionReply => "A reply to the employer's rejection".to_owned(),
        DraftKind::OfferReply => "A reply to the employer's offer (it neither accepts nor negotiates)".to_owned(),
        DraftKind::Withdrawal => "Your withdrawal, as you asked".to_owned(),
        DraftKind::ReferenceNotice => {
            let cue = crate::domain::process::ReferenceCue::from_number(draft.number)
                .map(|cue| format!(": {}", cue.reason()))
                .unwrap_or_default();
            format!("A heads-up to {person_name}, one of your references, so the employer's call is no surprise{cue}")
        }
        DraftKind::PassOn => format!(
            "A request to pass your thank-you on to {person_name}{after_round}: debrief has no address for them. \
             If you have it, `debrief person` with `--email` sends the note to them directly instead"
        ),
    })
}

/// What caused a draft's drafting, as the history says it (`cause_text`), when that was
/// a message or a command; `None` for the passing of time, which `why_text` tells.
fn drafting_cause(conn: &rusqlite::Connection, draft: &DraftRow) -> anyhow::Result<Option<String>> {
    let id = draft.id.0.to_string();
    // Every drafting is recorded in the history at the instant the draft was made, in an
    // event that names the draft's id and says "drafted".
    let entry = store::history_of(conn, draft.application_id)?.into_iter().find(|entry| {
        entry.at == draft.created_at
            && entry.event.contains("drafted")
            && entry.event.split(|c: char| !c.is_ascii_digit()).any(|word| word == id)
    });
    match entry {
        Some(entry) if entry.cause_message.is_some() || entry.cause_command.is_some() => {
            Ok(Some(cause_text(conn, &entry)?))
        }
        _ => Ok(None),
    }
}

/// The classifier's reasons recorded with a message, if any.
fn classifier_reasons(message: &MessageRow) -> Vec<String> {
    message
        .classification
        .as_deref()
        .and_then(|json| serde_json::from_str::<serde_json::Value>(json).ok())
        .and_then(|value| value.get("reasons").cloned())
        .and_then(|reasons| serde_json::from_value::<Vec<String>>(reasons).ok())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Actions on drafts

/// A form with nothing but its CSRF token (checked by the guard).
#[derive(Deserialize)]
pub struct Plain {}

pub async fn approve(State(web): State<Arc<Web>>, Path(id): Path<i64>, Form(_): Form<Plain>) -> Response {
    blocking(web, move |web, session, now| {
        let hold = session.config.web.hold_seconds;
        let hold_until = (hold > 0).then(|| now + SignedDuration::from_secs(i64::from(hold)));
        let planner = crate::planner::Planner { config: &session.config, templates: &session.templates };
        let tx = session.store.transaction()?;
        let approval = drafts::approve_in(&tx, &planner, id, now, hold_until, &format!("debrief web: approve {id}"))?;
        let goes_at = match &approval {
            Approval::Approved(approved) => Some(drafts::send_time(&tx, &session.config, &approved.draft, now)?),
            Approval::AlreadyApproved(_) => None,
        };
        tx.commit().map_err(anyhow::Error::from)?;
        let done = match approval {
            Approval::Approved(approved) => {
                let zone = &session.config.identity.time_zone;
                web.keep_approval_notes(id, approved.notes(goes_at.unwrap_or(now), now, zone));
                "approved"
            }
            Approval::AlreadyApproved(_) => "already",
        };
        see_other(format!("/queue?after={id}&done={done}"))
    })
    .await
}

pub async fn reject(State(web): State<Arc<Web>>, Path(id): Path<i64>, Form(_): Form<Plain>) -> Response {
    blocking(web, move |_, session, now| {
        let tx = session.store.transaction()?;
        drafts::reject_in(&tx, id, now, &format!("debrief web: reject {id}"))?;
        tx.commit().map_err(anyhow::Error::from)?;
        see_other(format!("/queue?after={id}&done=rejected"))
    })
    .await
}

pub async fn undo(State(web): State<Arc<Web>>, Path(id): Path<i64>, Form(_): Form<Plain>) -> Response {
    blocking(web, move |_, session, now| {
        let tx = session.store.transaction()?;
        let Some(draft) = store::get_draft(&tx, DraftId(id))? else { return Err(not_found("draft", id)) };
        if !store::undo_held_approval(&tx, draft.id, now)? {
            return Err(PageError {
                status: StatusCode::CONFLICT,
                message: format!(
                    "draft {id} is {} and no longer held, so its approval cannot be undone here{}",
                    draft.status,
                    if draft.status == DraftStatus::Approved {
                        format!(": it may be on its way; `debrief reject {id}` still stops it if it has not gone")
                    } else {
                        String::new()
                    }
                ),
            });
        }
        let event = format!("approval of draft {id} ({}) undone; it is pending again", draft.kind);
        let cause = store::Cause::Command(format!("debrief web: undo {id}"));
        store::insert_history(&tx, draft.application_id, now, None, None, &event, &cause)?;
        tx.commit().map_err(anyhow::Error::from)?;
        see_other(format!("/drafts/{id}?done=undone"))
    })
    .await
}

pub async fn send_now(State(web): State<Arc<Web>>, Path(id): Path<i64>, Form(_): Form<Plain>) -> Response {
    blocking(web, move |_, session, now| {
        let tx = session.store.transaction()?;
        let Some(draft) = store::get_draft(&tx, DraftId(id))? else { return Err(not_found("draft", id)) };
        if !store::release_hold(&tx, draft.id, now)? {
            return Err(PageError {
                status: StatusCode::CONFLICT,
                message: format!("draft {id} is {} and not held: nothing to release", draft.status),
            });
        }
        tx.commit().map_err(anyhow::Error::from)?;
        see_other(format!("/queue?after={id}&done=released"))
    })
    .await
}

#[derive(Deserialize)]
pub struct ResolveForm {
    outcome: String,
}

pub async fn resolve(State(web): State<Arc<Web>>, Path(id): Path<i64>, Form(form): Form<ResolveForm>) -> Response {
    blocking(web, move |_, session, now| {
        let outcome = match form.outcome.as_str() {
            "sent" => Resolution::Sent,
            "retry" => Resolution::Retry,
            other => {
                return Err(PageError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    message: format!("{other:?} is not an outcome: sent or retry"),
                });
            }
        };
        let from = session.config.identity.email.clone();
        let tx = session.store.transaction()?;
        drafts::resolve_in(&tx, id, outcome, &from, now, &format!("debrief web: resolve {id} {}", form.outcome))?;
        tx.commit().map_err(anyhow::Error::from)?;
        see_other(format!("/outcomes?done=resolved&id={id}"))
    })
    .await
}

// ---------------------------------------------------------------------------
// Editing

/// What a draft was when the edit form was rendered: the edit is saved only if it is
/// still that (status, recipients, subject, body), as `debrief edit` does.
fn version_of(draft: &DraftRow) -> String {
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::hash::DefaultHasher::new();
    (draft.status.as_str(), &draft.to, &draft.subject, &draft.body).hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

#[derive(Deserialize)]
pub struct EditForm {
    to: String,
    subject: String,
    body: String,
    version: String,
}

fn edit_context(
    web: &Web,
    session: &Session,
    draft: &DraftRow,
    form: (&str, &str, &str),
    version: &str,
    error: Option<String>,
) -> Result<Context, PageError> {
    let conn = session.store.conn();
    let generated = store::generated_text(conn, draft.id)?.unwrap_or_else(|| drafts::editable_text(draft));
    let mut context = base(web, session, None);
    context.insert("id".into(), draft.id.0.into());
    context.insert("status".into(), draft.status.to_string().into());
    context.insert("to".into(), form.0.into());
    context.insert("subject".into(), form.1.into());
    context.insert("body".into(), form.2.into());
    context.insert("version".into(), version.into());
    context.insert("error".into(), error.into());
    let current = format!("To: {}\nSubject: {}\n\n{}", form.0, form.1, form.2.replace("\r\n", "\n"));
    context.insert("diff".into(), to_value(diff(&generated, &current)));
    Ok(context)
}

pub async fn edit_form(State(web): State<Arc<Web>>, Path(id): Path<i64>) -> Response {
    blocking(web, move |web, session, _| {
        let Some(draft) = store::get_draft(session.store.conn(), DraftId(id))? else {
            return Err(not_found("draft", id));
        };
        if !drafts::editable(draft.status) {
            return Err(PageError {
                status: StatusCode::CONFLICT,
                message: format!("draft {id} is {} and can no longer be edited", draft.status),
            });
        }
        let to = draft.to.join(", ");
        let context =
            edit_context(web, session, &draft, (&to, &draft.subject, &draft.body), &version_of(&draft), None)?;
        render(web, "edit.html", context)
    })
    .await
}

pub async fn edit(State(web): State<Arc<Web>>, Path(id): Path<i64>, Form(form): Form<EditForm>) -> Response {
    blocking(web, move |web, session, now| {
        let Some(current) = store::get_draft(session.store.conn(), DraftId(id))? else {
            return Err(not_found("draft", id));
        };
        let body = form.body.replace("\r\n", "\n");
        let text = format!("To: {}\nSubject: {}\n\n{}", form.to, form.subject, body);
        if text == drafts::editable_text(&current) {
            return see_other(format!("/drafts/{id}?done=unchanged"));
        }
        let outcome = if form.version != version_of(&current) {
            Err(anyhow::anyhow!(
                "draft {id} was changed while you were editing it (it is {} now), so your edit was not saved",
                current.status
            ))
        } else {
            drafts::save_edit(&mut session.store, &current, &text, now, &format!("debrief web: edit {id}"))
        };
        match outcome {
            Ok(()) => see_other(format!("/drafts/{id}?done=edited")),
            Err(err) => {
                // The user's text stays in the form, and in a file beside the database as
                // `debrief edit` keeps it.
                let kept = drafts::keep_text(&session.config.storage_path, id, &text, now)
                    .map(|path| format!("; your text is also kept in {}", path.display()))
                    .unwrap_or_default();
                let refused = err.chain().any(|cause| cause.downcast_ref::<UsageError>().is_some());
                let status = if refused { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::CONFLICT };
                let latest = store::get_draft(session.store.conn(), DraftId(id))?.unwrap_or(current);
                let context = edit_context(
                    web,
                    session,
                    &latest,
                    (&form.to, &form.subject, &body),
                    &form.version,
                    Some(format!("{err:#}{kept}")),
                )?;
                let mut response = render(web, "edit.html", context)?;
                *response.status_mut() = status;
                Ok(response)
            }
        }
    })
    .await
}

// ---------------------------------------------------------------------------
// The pipeline and one application

#[derive(Serialize)]
struct PipelineRow {
    id: i64,
    company: String,
    role: String,
    next: Option<String>,
}

#[derive(Serialize)]
struct StateGroup {
    state: String,
    applications: Vec<PipelineRow>,
}

pub async fn pipeline(State(web): State<Arc<Web>>) -> Response {
    blocking(web, move |web, session, now| {
        let conn = session.store.conn();
        let zone = &session.config.identity.time_zone;
        let applications = store::list_applications(conn)?;
        let mut groups = Vec::new();
        for state in ApplicationState::ALL {
            let mut rows = Vec::new();
            for app in applications.iter().filter(|app| app.state == *state) {
                let next = next_action(conn, &session.config, app, now)?
                    .map(|(kind, at)| format!("{} {}", kind.replace('_', " "), local(at, zone)));
                rows.push(PipelineRow { id: app.id.0, company: app.company.clone(), role: app.role.clone(), next });
            }
            if !rows.is_empty() {
                groups.push(StateGroup { state: state.to_string(), applications: rows });
            }
        }
        let mut context = base(web, session, None);
        context.insert("groups".into(), to_value(groups));
        render(web, "pipeline.html", context)
    })
    .await
}

#[derive(Serialize)]
struct RoundView {
    number: u32,
    start: String,
    zone: Option<String>,
    status: String,
    interviewers: Vec<String>,
    /// What the user wrote down about the round (topic, strength, impressions), as
    /// `debrief history` lists it: theirs alone, never sent.
    notes: Vec<crate::cli::applications::RoundNote>,
}

#[derive(Serialize)]
struct HistoryView {
    at: String,
    transition: Option<String>,
    event: String,
    cause: String,
}

#[derive(Serialize)]
struct DraftLink {
    id: i64,
    kind: String,
    status: String,
    send_at: String,
}

fn person_text(person: &store::PersonRow) -> String {
    match (&person.name, &person.email) {
        (Some(name), Some(email)) => format!("{name} <{email}>"),
        (Some(name), None) => name.clone(),
        (None, Some(email)) => email.clone(),
        (None, None) => format!("person {}", person.id),
    }
}

pub async fn application(State(web): State<Arc<Web>>, Path(id): Path<i64>) -> Response {
    blocking(web, move |web, session, now| {
        let conn = session.store.conn();
        let zone = &session.config.identity.time_zone;
        let Some(app) = store::get_application(conn, ApplicationId(id))? else {
            return Err(not_found("application", id));
        };
        let mut round_notes = crate::cli::applications::round_notes(conn, app.id)?;
        let rounds: Vec<RoundView> = store::rounds_of(conn, app.id)?
            .into_iter()
            .map(|round| RoundView {
                number: round.number,
                start: local(round.start, zone),
                zone: round.time_zone.clone(),
                status: round.status.to_string(),
                interviewers: round.interviewers.iter().map(person_text).collect(),
                notes: round_notes.remove(&round.id).unwrap_or_default(),
            })
            .collect();
        let contact = app.contact_person_id.map(|id| store::get_person(conn, id)).transpose()?.flatten();
        let mut history = Vec::new();
        for entry in store::history_of(conn, app.id)? {
            let transition = match (&entry.from_state, &entry.to_state) {
                (Some(from), Some(to)) => Some(format!("{from} → {to}")),
                (None, Some(to)) => Some(format!("→ {to}")),
                _ => None,
            };
            history.push(HistoryView {
                at: local(entry.at, zone),
                transition,
                event: entry.event.clone(),
                cause: cause_text(conn, &entry)?,
            });
        }
        let notes: Vec<(String, String)> =
            store::notes_of(conn, app.id)?.into_iter().map(|(at, text)| (local(at, zone), text)).collect();
        let mut links = Vec::new();
        for draft in store::drafts_of(conn, app.id)? {
            links.push(DraftLink {
                id: draft.id.0,
                kind: draft.kind.to_string(),
                status: draft.status.to_string(),
                send_at: local(drafts::send_time(conn, &session.config, &draft, now)?, zone),
            });
        }
        let next = next_action(conn, &session.config, &app, now)?
            .map(|(kind, at)| format!("{} {}", kind.replace('_', " "), local(at, zone)));
        let mut context = base(web, session, None);
        context.insert(
            "app".into(),
            serde_json::json!({
                "id": app.id.0, "company": app.company, "role": app.role, "state": app.state.to_string(),
                "topic": app.topic, "interested": app.interested, "domain": app.employer_domain,
                "contact": contact.as_ref().map(person_text), "next": next,
            }),
        );
        context.insert("rounds".into(), to_value(rounds));
        context.insert("history".into(), to_value(history));
        context.insert("notes".into(), to_value(notes));
        context.insert("drafts".into(), to_value(links));
        render(web, "application.html", context)
    })
    .await
}

// ---------------------------------------------------------------------------
// The review inbox

#[derive(Serialize)]
struct InboxView {
    id: i64,
    status: String,
    date: String,
    from: String,
    subject: String,
    kind: Option<String>,
    confidence: Option<String>,
    reasons: Vec<String>,
    application_id: Option<i64>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct InboxQuery {
    done: Option<String>,
    id: Option<i64>,
}

pub async fn inbox(State(web): State<Arc<Web>>, Query(query): Query<InboxQuery>) -> Response {
    blocking(web, move |web, session, _| {
        let conn = session.store.conn();
        let zone = &session.config.identity.time_zone;
        let mut messages = store::messages_with_status(conn, "needs_review")?;
        messages.extend(store::messages_with_status(conn, "error")?);
        let views: Vec<InboxView> = messages
            .iter()
            .map(|message| InboxView {
                id: message.id.map_or(0, |id| id.0),
                status: message.status.clone(),
                date: message.date.or(message.received_at).map(|at| local(at, zone)).unwrap_or_default(),
                from: message.from_email.clone().unwrap_or_default(),
                subject: message.subject.clone().unwrap_or_default(),
                kind: message.kind.clone(),
                confidence: message.confidence.map(|value| format!("{:.0}%", value * 100.0)),
                reasons: classifier_reasons(message),
                application_id: message.application_id.map(|id| id.0),
                error: message.error.clone(),
            })
            .collect();
        let applications: Vec<(i64, String)> = store::list_applications(conn)?
            .into_iter()
            .map(|app| (app.id.0, format!("{} — {} ({})", app.company, app.role, app.id)))
            .collect();
        let kinds: Vec<&str> = MessageKind::ALL.iter().map(|kind| kind.as_str()).collect();
        let mut context = base(web, session, notice_for(query.done.as_deref(), query.id));
        context.insert("messages".into(), to_value(views));
        context.insert("applications".into(), to_value(applications));
        context.insert("kinds".into(), to_value(kinds));
        render(web, "inbox.html", context)
    })
    .await
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    kind: String,
    application: String,
}

pub async fn confirm(State(web): State<Arc<Web>>, Path(id): Path<i64>, Form(form): Form<ConfirmForm>) -> Response {
    blocking(web, move |_, session, now| {
        let kind = Some(form.kind.trim()).filter(|text| !text.is_empty()).map(|t| parse_kind("kind", t)).transpose()?;
        let application = match form.application.trim() {
            "" => None,
            text => Some(ApplicationId(text.parse::<i64>().map_err(|_| PageError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: format!("{text:?} is not an application id"),
            })?)),
        };
        let (planner, store) = session.parts();
        let tx = store.transaction()?;
        crate::ingest::confirm(&tx, &planner, MessageId(id), kind, application, now)?;
        tx.commit().map_err(anyhow::Error::from)?;
        see_other(format!("/inbox?done=confirmed&id={id}"))
    })
    .await
}

pub async fn dismiss(State(web): State<Arc<Web>>, Path(id): Path<i64>, Form(_): Form<Plain>) -> Response {
    blocking(web, move |_, session, _| {
        let tx = session.store.transaction()?;
        dismiss_in(&tx, id)?;
        tx.commit().map_err(anyhow::Error::from)?;
        see_other(format!("/inbox?done=dismissed&id={id}"))
    })
    .await
}

// ---------------------------------------------------------------------------
// Outcomes

#[derive(Serialize)]
struct OutcomeView {
    id: i64,
    application_id: i64,
    kind: String,
    to: String,
    subject: String,
    when: String,
    words: Option<String>,
}

fn outcome_views(rows: Vec<DraftRow>, zone: &TimeZone, sent: bool) -> Vec<OutcomeView> {
    rows.into_iter()
        .map(|draft| OutcomeView {
            id: draft.id.0,
            application_id: draft.application_id.0,
            kind: draft.kind.to_string(),
            to: draft.to.join(", "),
            subject: draft.subject.clone(),
            when: local(if sent { draft.sent_at.unwrap_or(draft.updated_at) } else { draft.send_at }, zone),
            words: draft.last_error.clone().or(draft.status_reason.clone()),
        })
        .collect()
}

pub async fn outcomes(State(web): State<Arc<Web>>, Query(query): Query<InboxQuery>) -> Response {
    blocking(web, move |web, session, _| {
        let conn = session.store.conn();
        let zone = session.config.identity.time_zone.clone();
        let mut sent = store::drafts_with_status(conn, DraftStatus::Sent)?;
        sent.sort_by_key(|draft| std::cmp::Reverse(draft.sent_at));
        sent.truncate(50);
        let retrying: Vec<DraftRow> = store::drafts_with_status(conn, DraftStatus::Approved)?
            .into_iter()
            .filter(|draft| draft.last_error.is_some())
            .collect();
        let mut context = base(web, session, notice_for(query.done.as_deref(), query.id));
        context.insert("sent".into(), to_value(outcome_views(sent, &zone, true)));
        context.insert("retrying".into(), to_value(outcome_views(retrying, &zone, false)));
        let failed = store::drafts_with_status(conn, DraftStatus::Failed)?;
        context.insert("failed".into(), to_value(outcome_views(failed, &zone, false)));
        let unknown = store::drafts_with_status(conn, DraftStatus::Unknown)?;
        context.insert("unknown".into(), to_value(outcome_views(unknown, &zone, false)));
        render(web, "outcomes.html", context)
    })
    .await
}

// ---------------------------------------------------------------------------
// Assets, compiled in

pub async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("static/app.js")).into_response()
}

pub async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("static/style.css")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, status: DraftStatus) -> DraftRow {
        let at: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        DraftRow {
            id: DraftId(id),
            application_id: ApplicationId(1),
            kind: crate::domain::DraftKind::ThankYou,
            round_id: None,
            person_id: None,
            series: 0,
            number: 0,
            reply_to_message: None,
            to: vec!["jane@acme.example".into()],
            subject: "Thank you".into(),
            body: "Hi".into(),
            message_id: format!("m{id}@example.net"),
            in_reply_to: None,
            references: Vec::new(),
            status,
            status_reason: None,
            send_at: at,
            deadline: None,
            edited: false,
            needs_topic: false,
            attempts: 0,
            last_error: None,
            approved_at: None,
            approved_to: None,
            sent_at: None,
            created_at: at,
            updated_at: at,
            hold_until: None,
        }
    }

    #[test]
    fn after_an_action_the_next_draft_that_needs_you_comes_up() {
        use DraftStatus::*;
        let drafts = [row(1, Pending), row(2, Approved), row(3, Pending), row(4, Failed)];
        let shown = |after| pick(&drafts, after).map(|draft| draft.id.0);
        assert_eq!(shown(None), Some(1));
        assert_eq!(shown(Some(1)), Some(3), "the approved one is skipped");
        assert_eq!(shown(Some(3)), Some(4));
        assert_eq!(shown(Some(4)), Some(1), "around to the start");
        let only_approved = [row(2, Approved)];
        assert_eq!(pick(&only_approved, Some(2)).map(|d| d.id.0), Some(2), "nothing else: the one acted on");
        assert_eq!(pick(&[], None).map(|d| d.id.0), None);
    }

    #[test]
    fn an_edit_is_shown_as_a_line_difference() {
        let lines = diff("To: a@b.example\nSubject: Hi\n\nOne\nTwo\n", "To: a@b.example\nSubject: Hi\n\nOne\n2\n");
        let changed: Vec<String> =
            lines.iter().filter(|line| line.tag != " ").map(|line| format!("{}{}", line.tag, line.text)).collect();
        assert_eq!(changed, ["-Two", "+2"]);
        assert!(diff("To: a@b.example\n\nOne\n", "To: a@b.example\n\nOne\n").is_empty(), "nothing changed");
    }

    #[test]
    fn a_version_changes_with_what_an_edit_would_overwrite() {
        let draft = row(1, DraftStatus::Pending);
        let mut sent = draft.clone();
        sent.status = DraftStatus::Sent;
        let mut rewritten = draft.clone();
        rewritten.body = "Hello".into();
        assert_ne!(version_of(&draft), version_of(&sent));
        assert_ne!(version_of(&draft), version_of(&rewritten));
        assert_eq!(version_of(&draft), version_of(&draft.clone()));
    }
}

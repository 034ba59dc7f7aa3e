//! `debrief sync` and `debrief run`: one pass of the daemon, or the daemon itself (see
//! [`crate::daemon`]).

use crate::cli::common::load_config;
use crate::daemon;
use crate::planner::PlanReport;
use crate::sources::SourceReport;
use crate::templates::Templates;
use std::io::Write as _;
use std::path::Path;

/// The runtime both commands use: one thread is plenty for one user's mail, and keeps
/// the daemon light.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

pub fn sync(config: Option<&Path>) -> anyhow::Result<()> {
    let config = load_config(config)?;
    let templates = Templates::load(config.templates_dir.as_deref())?;
    let source = match (&config.maildir, &config.imap) {
        (Some(_), _) => Some("the Maildir".to_owned()),
        (None, Some(imap)) => Some(imap.mailboxes.join(", ")),
        (None, None) => None,
    };
    let storage = config.storage_path.clone();
    let window_config = config.clone();
    let (read, report) = runtime()?.block_on(daemon::sync_once(config, templates))?;
    let (read, unread) = match read {
        Ok(read) => (read, None),
        Err(err) => (SourceReport::default(), Some(err)),
    };
    let planned = PlanReport {
        drafts_created: report.drafts_created,
        drafts_cancelled: report.drafts_cancelled,
        transitions: report.transitions,
    };
    let line = match (&source, &unread) {
        (Some(source), Some(_)) => format!("Could not read {source}. {}", summary(None, &read, &planned, report.sent)),
        _ => summary(source.as_deref(), &read, &planned, report.sent),
    };
    // A closed stdout is not a failure of the sync that already happened (SIGPIPE is
    // ignored for this command, see `cli::main`).
    let _ = writeln!(std::io::stdout(), "{line}");
    // Right after an interview, the advice is to write down how it went.
    let store = crate::store::Store::open(&storage)?;
    let now = crate::clock::now();
    if window_config.smtp.is_some()
        && let Some(line) = waiting_for_window(store.conn(), &window_config, now)?
    {
        let _ = writeln!(std::io::stdout(), "{line}");
    }
    for prompt in crate::planner::impressions_wanted(store.conn(), now)? {
        let _ = writeln!(std::io::stdout(), "{prompt}");
    }
    match unread {
        None => Ok(()),
        Some(err) => Err(anyhow::anyhow!(
            "{err:#}; what needs no inbox check was planned and sent, and follow-ups wait until the inbox can be read"
        )),
    }
}

/// Approved drafts that are due but wait for their send window (SPEC §1), in one line:
/// "Sent 0" alone would leave the user wondering why an overdue note did not go.
fn waiting_for_window(
    conn: &rusqlite::Connection,
    config: &crate::config::Config,
    now: jiff::Timestamp,
) -> anyhow::Result<Option<String>> {
    let mut first: Option<jiff::Timestamp> = None;
    let mut count = 0;
    for draft in crate::store::drafts_with_status(conn, crate::domain::DraftStatus::Approved)? {
        let goes_at = crate::planner::actual_send_time(conn, config, &draft, now)?;
        if draft.send_at <= now && goes_at > now {
            count += 1;
            first = Some(first.map_or(goes_at, |known| known.min(goes_at)));
        }
    }
    Ok(first.map(|at| {
        format!(
            "{count} approved draft(s) wait for the send window; the first goes {}.",
            crate::cli::common::local(at, &config.identity.time_zone)
        )
    }))
}

/// `sync`'s one-line summary: what was read from `source` (when there is one), what the
/// planning did (with what reading the mail already planned), what was sent.
pub fn summary(source: Option<&str>, read: &SourceReport, planned: &PlanReport, sent: usize) -> String {
    let mut line = source.map(|source| format!("{} ", read.sentence(source))).unwrap_or_default();
    let drafts_created = planned.drafts_created + read.plan.drafts_created;
    line.push_str(&format!(
        "Planned: {} draft(s) made, {} cancelled, {} state change(s). Sent {sent}.{}",
        drafts_created,
        planned.drafts_cancelled + read.plan.drafts_cancelled,
        planned.transitions + read.plan.transitions,
        if drafts_created > 0 { " See `debrief queue`." } else { "" }
    ));
    line
}

pub fn run(config: Option<&Path>) -> anyhow::Result<()> {
    let config = load_config(config)?;
    let templates = Templates::load(config.templates_dir.as_deref())?;
    runtime()?.block_on(async move {
        // With `[web]` configured the daemon serves the approval page too (one unit, one
        // process); it stops with the daemon.
        if config.web.in_run {
            serve_page(&config).await?;
        }
        daemon::run(config, templates).await
    })
}

/// Starts the approval page beside the daemon. The page is an extra: when its address
/// cannot be listened on (the port is taken, often by a `debrief web` left running on
/// the same default port), the daemon warns and goes on without it, since stopping it
/// would stop the mail too. A refused address (not loopback without `allow_remote`) is
/// a config error and stops it, like any other.
async fn serve_page(config: &crate::config::Config) -> anyhow::Result<()> {
    let listener = match crate::web::bind(&config.web.listen, config.web.allow_remote).await {
        Ok(listener) => listener,
        Err(err) if err.downcast_ref::<crate::cli::UsageError>().is_some() => return Err(err),
        Err(err) => {
            tracing::warn!(
                "The approval page is not served: {err:#}. debrief goes on without it. Stop what holds that \
                 port (a `debrief web` still running?) or set another `[web] listen`, then restart `debrief run`."
            );
            return Ok(());
        }
    };
    let session = crate::cli::common::Session {
        config: config.clone(),
        store: crate::store::Store::open(&config.storage_path)?,
        templates: Templates::load(config.templates_dir.as_deref())?,
    };
    let (web, url) = crate::web::prepare(session, &listener, config.web.allow_remote)?;
    tracing::info!("The approval page is at {url}");
    tokio::spawn(async move {
        if let Err(err) = crate::web::serve(listener, web, std::future::pending()).await {
            tracing::warn!("The approval page stopped: {err:#}");
        }
    });
    Ok(())
}

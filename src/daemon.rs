//! The daemon (`debrief run`) and its single pass (`debrief sync`).
//!
//! One event loop owns the main database connection and does all planning and sending.
//! Its events:
//!
//! - new mail: a watcher task per watched IMAP mailbox (see [`crate::watcher`]) reads and
//!   applies messages on its own connection and says so; a configured Maildir is read on
//!   a short poll;
//! - a due message or plan: the loop sleeps until the earliest `send_at` of an approved
//!   draft, or the next minute (planning is per minute: "correct to the minute");
//! - a user change: the CLI writes to the same SQLite file; `PRAGMA data_version` (a
//!   cheap read of a counter) tells the loop another connection committed;
//! - a recurring job (tokio-cron-scheduler): reconciling `unknown` messages against the
//!   Sent mailbox, and database maintenance;
//! - shutdown: SIGTERM or SIGINT. The message in flight is finished (it was marked
//!   `sending` before SMTP, so even a kill loses nothing), watchers leave IDLE and log
//!   out, and the process exits 0.
//!
//! Errors inside a pass are logged in one line and retried later; the loop never stops on
//! them. [`Engine`] is what `run` and `sync` share, so `sync` is one pass of the same code.

use crate::config::{Config, ConfigError};
use crate::ingest::{self, Origin};
use crate::mail::imap::{FetchedMessage, ImapSession};
use crate::mail::smtp::SmtpSender;
use crate::mail::tls;
use crate::outbox::Outbox;
use crate::planner::Planner;
use crate::sources::SourceReport;
use crate::sources::maildir::{check_maildir, read_maildir};
use crate::store::Store;
use crate::templates::Templates;
use crate::watcher::{self, Backoff, Handler, Position, Preparation, WatchEvent};
use anyhow::Context as _;
use jiff::Timestamp;
use rusqlite::Connection;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// How often a configured Maildir is looked at.
pub const MAILDIR_POLL: Duration = Duration::from_secs(30);
/// How often the loop checks whether another process (the CLI) changed the database.
pub const CHANGE_POLL: Duration = Duration::from_secs(1);
/// How long shutdown waits for the watchers to log out.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(4);
/// Reconciling `unknown` messages with the Sent mailbox (cron, with seconds).
pub const RECONCILE_CRON: &str = "0 */15 * * * *";
/// Database maintenance: `PRAGMA optimize` and a WAL checkpoint.
pub const MAINTENANCE_CRON: &str = "0 30 3 * * *";

/// The handler the watchers and the inbox check share: each fetched message is parsed and
/// classified on the preparing thread ([`ingest::Preparer`]), then ingested in UID order
/// ([`ingest::ingest_prepared`]) and counted in `report` when there is one.
pub struct IngestFetched<'a, 'r> {
    pub planner: &'a Planner<'a>,
    pub report: Option<&'r mut SourceReport>,
}

fn origin_of(position: Position<'_>, message: &FetchedMessage) -> Origin {
    Origin::Imap { mailbox: position.mailbox.to_owned(), uid_validity: position.uid_validity, uid: message.uid }
}

impl Handler for IngestFetched<'_, '_> {
    type Prepared = ingest::Prepared;

    fn preparer(&mut self, conn: &Connection, position: Position<'_>) -> anyhow::Result<Preparation<ingest::Prepared>> {
        let preparer = ingest::Preparer::new(conn, self.planner)?;
        let mailbox = position.mailbox.to_owned();
        let uid_validity = position.uid_validity;
        Ok(Box::new(move |message| {
            preparer.prepare(&message.raw, &origin_of(Position { mailbox: &mailbox, uid_validity }, message))
        }))
    }

    fn apply(
        &mut self,
        conn: &Connection,
        position: Position<'_>,
        message: &FetchedMessage,
        prepared: ingest::Prepared,
    ) -> anyhow::Result<()> {
        let origin = origin_of(position, message);
        let ingested =
            ingest::ingest_prepared(conn, self.planner, &message.raw, &origin, prepared, crate::clock::now())?;
        ingested.log();
        if let Some(report) = self.report.as_deref_mut() {
            report.count(&ingested);
        }
        Ok(())
    }
}

/// Reads every watched mailbox once over a new connection, then logs out: the check
/// right before a follow-up is sent (SPEC §6.3), so that a reply that came in meanwhile
/// cancels it.
pub async fn read_inbox_fresh(config: &Config, templates: &Templates, store: &mut Store) -> anyhow::Result<()> {
    let Some(imap) = &config.imap else { return Ok(()) };
    let planner = Planner { config, templates };
    let mut session = ImapSession::connect(imap).await?;
    let result = read_watched_mailboxes(&mut session, store, &planner, &mut |_, _| {}).await;
    session.logout().await;
    result.map(drop)
}

/// Reads every watched IMAP mailbox once over `session`, applying each new message:
/// what `sync`, and the check before a follow-up, do (the daemon's watchers run
/// [`watcher::watch_mailbox`] instead).
async fn read_watched_mailboxes(
    session: &mut ImapSession,
    store: &mut Store,
    planner: &Planner<'_>,
    progress: watcher::ProgressFn<'_>,
) -> anyhow::Result<SourceReport> {
    let mut report = SourceReport::default();
    let Some(imap) = &planner.config.imap else { return Ok(report) };
    for mailbox in &imap.mailboxes {
        watcher::read_mailbox_with(
            session,
            store,
            mailbox,
            imap.initial_scan_days,
            &planner.config.identity.time_zone,
            progress,
            &mut IngestFetched { planner, report: Some(&mut report) },
        )
        .await
        .with_context(|| format!("Reading {mailbox}"))?;
    }
    Ok(report)
}

/// What one pass did, for logs and `sync`'s summary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassReport {
    pub drafts_created: usize,
    pub drafts_cancelled: usize,
    pub transitions: usize,
    pub sent: usize,
}

/// A connection made on demand. After a failure it is not tried again before a backoff
/// has passed, so that a down server does not make every pass wait for a timeout, and
/// the failure is logged once per attempt.
struct Link<T> {
    value: Option<T>,
    retry_at: Option<Instant>,
    backoff: Backoff,
    /// Whether a failure is tried again later (the daemon), or the process ends after
    /// this pass (`sync`), when the log must not promise a retry.
    retries: bool,
}

impl<T> Default for Link<T> {
    fn default() -> Self {
        Link { value: None, retry_at: None, backoff: Backoff::default(), retries: true }
    }
}

impl<T> Link<T> {
    async fn get<F, E>(&mut self, what: &str, connect: F) -> Option<&mut T>
    where
        F: AsyncFnOnce() -> Result<T, E>,
        E: std::fmt::Display,
    {
        if self.value.is_none() {
            if self.retry_at.is_some_and(|at| Instant::now() < at) {
                return None;
            }
            match connect().await {
                Ok(value) => {
                    self.value = Some(value);
                    self.backoff.reset();
                    self.retry_at = None;
                }
                Err(err) => {
                    let delay = self.backoff.next_delay();
                    if self.retries {
                        tracing::error!("{what} is unavailable: {err}. Retrying in {}s.", delay.as_secs().max(1));
                    } else {
                        tracing::error!("{what} is unavailable: {err}.");
                    }
                    self.retry_at = Some(Instant::now() + delay);
                    return None;
                }
            }
        }
        self.value.as_mut()
    }
}

/// The main IMAP session (for Sent, Drafts and reconciling), reconnected when lost.
async fn imap_link<'a>(config: &Config, link: &'a mut Link<ImapSession>) -> Option<&'a mut ImapSession> {
    let imap = config.imap.as_ref()?;
    if link.value.as_ref().is_some_and(|session| !session.is_connected()) {
        link.value = None;
    }
    link.get("IMAP (for sending and filing)", async || ImapSession::connect(imap).await).await
}

/// The state `run` and `sync` share: config, templates, the main connection and the mail
/// connections used for sending, filing copies and reconciling.
pub struct Engine {
    pub config: Arc<Config>,
    pub templates: Arc<Templates>,
    pub store: Store,
    smtp: Link<SmtpSender>,
    imap: Link<ImapSession>,
}

impl Engine {
    pub fn open(config: Config, templates: Templates) -> anyhow::Result<Engine> {
        tls::install_crypto_provider();
        let mut store = Store::open(&config.storage_path)?;
        // Before any mail is read: a message a dead process was reading is not read again.
        for found in crate::quarantine::start(&mut store, crate::clock::now())? {
            tracing::warn!(
                "debrief stopped while reading the message at {}: it is quarantined as message {} and will not be read again (see `debrief inbox`).",
                found.place,
                found.message
            );
        }
        Ok(Engine {
            config: Arc::new(config),
            templates: Arc::new(templates),
            store,
            smtp: Link::default(),
            imap: Link::default(),
        })
    }

    /// At start: messages caught `sending` by a crash become `unknown`, and `unknown` ones
    /// found in Sent become `sent`. Also the recurring reconciliation.
    pub async fn recover(&mut self, now: Timestamp) -> anyhow::Result<()> {
        let config = Arc::clone(&self.config);
        let imap = imap_link(&config, &mut self.imap).await;
        let outbox = Outbox { config: &config };
        let report = outbox.recover(&mut self.store, imap, now).await?;
        for id in &report.interrupted {
            tracing::warn!(
                "Draft {id} was being sent when debrief stopped: it is `unknown` until found in Sent (or `debrief resolve {id} sent|retry`)."
            );
        }
        if !report.found_sent.is_empty() {
            tracing::info!("Found {} interrupted message(s) in Sent: marked sent.", report.found_sent.len());
        }
        Ok(())
    }

    /// The recurring job: `unknown` messages found in Sent become `sent`.
    pub async fn reconcile(&mut self, now: Timestamp) -> anyhow::Result<()> {
        let config = Arc::clone(&self.config);
        let imap = imap_link(&config, &mut self.imap).await;
        let report = Outbox { config: &config }.reconcile(&mut self.store, imap, now).await?;
        if !report.found_sent.is_empty() {
            tracing::info!("Found {} interrupted message(s) in Sent: marked sent.", report.found_sent.len());
        }
        Ok(())
    }

    /// Reads the inbox with this engine's own connection (the `sync` way; the daemon's
    /// watchers do this on their own): the Maildir, or each watched IMAP mailbox.
    /// `progress` sees long IMAP scans.
    pub async fn read_inbox(&mut self, progress: watcher::ProgressFn<'_>) -> anyhow::Result<SourceReport> {
        let config = Arc::clone(&self.config);
        let templates = Arc::clone(&self.templates);
        let planner = Planner { config: &config, templates: &templates };
        // The config refuses [imap] and [maildir] together: one source at most.
        if let Some(maildir) = &config.maildir {
            check_maildir(&maildir.path).map_err(|err| ConfigError::Invalid {
                path: config.source.clone(),
                key: "maildir.path".into(),
                message: err.to_string(),
            })?;
            return read_maildir(&mut self.store, &planner, &maildir.path, crate::clock::now());
        }
        if config.imap.is_none() {
            return Ok(SourceReport::default());
        }
        let Some(session) = imap_link(&config, &mut self.imap).await else {
            anyhow::bail!("cannot read the inbox: IMAP is unavailable (see the error above, or run `debrief doctor`)");
        };
        read_watched_mailboxes(session, &mut self.store, &planner, progress).await
    }

    /// Plans every open application, then sends what is approved and due.
    pub async fn pass(&mut self, now: Timestamp) -> anyhow::Result<PassReport> {
        let config = Arc::clone(&self.config);
        let templates = Arc::clone(&self.templates);
        let planner = Planner { config: &config, templates: &templates };
        let planned = planner.plan_all(&mut self.store, now)?;
        let mut report = PassReport {
            drafts_created: planned.drafts_created,
            drafts_cancelled: planned.drafts_cancelled,
            transitions: planned.transitions,
            ..PassReport::default()
        };
        if let Some(smtp_config) = &config.smtp
            && self.smtp.get("SMTP", async || SmtpSender::connect(smtp_config).await).await.is_some()
        {
            let imap = imap_link(&config, &mut self.imap).await;
            let Some(smtp) = self.smtp.value.as_ref() else { return Ok(report) };
            let outbox = Outbox { config: &config };
            let refresh = async |store: &mut Store| -> anyhow::Result<()> {
                if config.imap.is_some() {
                    read_inbox_fresh(&config, &templates, store).await?;
                } else if let Some(maildir) = &config.maildir {
                    let planner = Planner { config: &config, templates: &templates };
                    read_maildir(store, &planner, &maildir.path, crate::clock::now())?;
                }
                Ok(())
            };
            let sent = outbox.send_due(&mut self.store, smtp, imap, refresh, now).await?;
            report.sent = sent.sent.len() + sent.filed_in_drafts.len();
        }
        Ok(report)
    }

    /// Mails the daily digest to the user (SPEC §5, issue 5), covering changes since
    /// `since` (the last digest this process sent; else the last 24 hours).
    pub async fn send_digest(&mut self, since: Option<Timestamp>, now: Timestamp) -> anyhow::Result<bool> {
        let config = Arc::clone(&self.config);
        let Some(digest) = crate::digest::compose(self.store.conn(), &config, since, now)? else {
            tracing::info!("Nothing to say in today's digest: none sent.");
            return Ok(false);
        };
        let Some(smtp_config) = &config.smtp else {
            anyhow::bail!("the digest needs [smtp] to be mailed; remove [digest] or configure SMTP");
        };
        let Some(smtp) = self.smtp.get("SMTP", async || SmtpSender::connect(smtp_config).await).await else {
            anyhow::bail!("SMTP is unavailable (see above)");
        };
        let raw = crate::digest::build_message(&config, &digest, now)?;
        let me = config.identity.email.clone();
        smtp.send_raw(&me, std::slice::from_ref(&me), &raw).await.map_err(|err| anyhow::anyhow!("{err}"))?;
        tracing::info!("Mailed the digest to {me}: {}.", digest.subject);
        Ok(true)
    }

    /// When the loop must wake next for a due message (None: nothing approved): the
    /// earliest instant an approved draft may actually go, inside its send window.
    pub fn next_due(&self, now: Timestamp) -> anyhow::Result<Option<Timestamp>> {
        Outbox { config: &self.config }.next_due(self.store.conn(), now)
    }

    /// SQLite's count of commits by other connections: it changes when the CLI (or a
    /// watcher) wrote.
    fn data_version(&self) -> i64 {
        self.store.conn().query_row("PRAGMA data_version", [], |row| row.get(0)).unwrap_or(0)
    }

    fn maintenance(&self) {
        let conn = self.store.conn();
        let result = conn
            .execute_batch("PRAGMA optimize;")
            .and_then(|()| conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())));
        match result {
            Ok(()) => tracing::info!("Database maintenance done."),
            Err(err) => tracing::warn!("Database maintenance failed: {}.", crate::store::error_text(&err.into())),
        }
    }

    pub async fn close(mut self) {
        if let Some(session) = self.imap.value.take() {
            session.logout().await;
        }
        crate::quarantine::finish(self.store.conn());
    }
}

/// A recurring job's turn, from the scheduler to the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    Reconcile,
    Maintenance,
}

async fn start_scheduler(jobs: mpsc::UnboundedSender<Job>) -> anyhow::Result<tokio_cron_scheduler::JobScheduler> {
    use tokio_cron_scheduler::{Job as CronJob, JobScheduler};
    let scheduler = JobScheduler::new().await.context("Starting the job scheduler")?;
    for (cron, job) in [(RECONCILE_CRON, Job::Reconcile), (MAINTENANCE_CRON, Job::Maintenance)] {
        let jobs = jobs.clone();
        let cron_job = CronJob::new_async(cron, move |_, _| {
            let jobs = jobs.clone();
            Box::pin(async move {
                let _ = jobs.send(job);
            })
        })
        .with_context(|| format!("Scheduling {job:?}"))?;
        scheduler.add(cron_job).await.with_context(|| format!("Scheduling {job:?}"))?;
    }
    scheduler.start().await.context("Starting the job scheduler")?;
    Ok(scheduler)
}

/// Raises `stop` on SIGTERM or SIGINT.
fn stop_on_signals(stop: watch::Sender<bool>) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("Listening for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("Listening for SIGINT")?;
    tokio::spawn(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        tracing::info!("{name} received: stopping.");
        let _ = stop.send(true);
    });
    Ok(())
}

fn notify(states: &[sd_notify::NotifyState<'_>]) {
    if std::env::var_os("NOTIFY_SOCKET").is_some()
        && let Err(err) = sd_notify::notify(states)
    {
        tracing::warn!("Cannot notify systemd: {err}.");
    }
}

/// `debrief run`: the daemon, until SIGTERM or SIGINT.
pub async fn run(config: Config, templates: Templates) -> anyhow::Result<()> {
    let mut engine = Engine::open(config, templates)?;
    let (stop_tx, mut stop) = watch::channel(false);
    stop_on_signals(stop_tx.clone())?;
    tracing::info!("debrief {} started; database {}.", env!("CARGO_PKG_VERSION"), engine.config.storage_path.display());

    if let Err(err) = engine.recover(crate::clock::now()).await {
        tracing::error!("Recovering the outbox failed: {}.", crate::store::error_text(&err));
    }

    // Watchers, one per mailbox, each with its own connection to the database.
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let mut watchers = Vec::new();
    let mailboxes = engine.config.imap.as_ref().map(|imap| imap.mailboxes.clone()).unwrap_or_default();
    for mailbox in &mailboxes {
        let config = Arc::clone(&engine.config);
        let templates = Arc::clone(&engine.templates);
        let mut store = Store::open(&config.storage_path)?;
        let stop = stop.clone();
        let events = events_tx.clone();
        let mailbox = mailbox.clone();
        watchers.push(tokio::spawn(async move {
            let Some(imap) = &config.imap else { return };
            let planner = Planner { config: &config, templates: &templates };
            watcher::watch_mailbox_with(
                imap,
                &mut store,
                &mailbox,
                &config.identity.time_zone,
                stop,
                events,
                &mut IngestFetched { planner: &planner, report: None },
            )
            .await;
        }));
    }
    drop(events_tx);
    let mut watching = 0usize;
    let mut ready = false;

    let (jobs_tx, mut jobs) = mpsc::unbounded_channel();
    let mut scheduler = start_scheduler(jobs_tx).await?;

    let watchdog = sd_notify::watchdog_enabled();
    let mut watchdog_tick = tokio::time::interval(watchdog.map(|every| every / 2).unwrap_or(Duration::from_secs(3600)));
    let mut change_tick = tokio::time::interval(CHANGE_POLL);
    change_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut maildir_tick = tokio::time::interval(MAILDIR_POLL);
    maildir_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen_version = engine.data_version();
    let mut due_pass = true;
    // When to give back what classifying the Maildir's new mail compiled, once no more
    // came for a while (the IMAP watchers do the same on their own: watcher::RELEASE_AFTER).
    let mut release_at: Option<Instant> = None;
    // The planning deadline is kept, not recomputed at every wake: another branch of the
    // select (the change poll, every second) may fire first at the very minute the plan is
    // due, and a deadline recomputed from "now" would then move to the next minute, again
    // and again (issue 9: the daemon never planned on the clock). It is compared with the
    // clock at every turn, whichever branch woke the loop.
    let mut plan_at = crate::clock::now();
    // When the last pass ran: a draft due by then that is still approved could not go
    // (no [smtp], SMTP down and backing off): it is not a reason to wake again at once.
    let mut last_pass: Option<Timestamp> = None;
    let mut last_digest: Option<Timestamp> = None;
    let mut next_digest = next_digest_at(&engine.config, crate::clock::now());
    // Right after an interview the advice is to write down how it went: each prompt is
    // logged once per process (`sync` prints it at every run).
    let mut prompted: std::collections::HashSet<String> = std::collections::HashSet::new();

    loop {
        let (planning_due, deadline) = planning_deadline(plan_at, crate::clock::now());
        plan_at = deadline;
        if planning_due {
            due_pass = true;
        }
        if due_pass {
            let now = crate::clock::now();
            plan_at = next_minute(now);
            last_pass = Some(now);
            match engine.pass(now).await {
                Ok(report) => {
                    if report != PassReport::default() {
                        tracing::info!(
                            "Planned {} draft(s), cancelled {}, {} state change(s); sent {}.",
                            report.drafts_created,
                            report.drafts_cancelled,
                            report.transitions,
                            report.sent
                        );
                    }
                }
                Err(err) => {
                    let error = crate::store::error_text(&err);
                    tracing::error!("A pass failed: {error}. It will be retried.");
                }
            }
            match crate::planner::impressions_wanted(engine.store.conn(), now) {
                Ok(prompts) => {
                    for prompt in prompts {
                        if !prompted.contains(&prompt) {
                            tracing::info!("{prompt}");
                            prompted.insert(prompt);
                        }
                    }
                }
                Err(err) => {
                    tracing::warn!("Listing the interviews to write down failed: {}.", crate::store::error_text(&err))
                }
            }
            seen_version = engine.data_version();
            due_pass = false;
            // Without a mailbox to watch, ready means the first pass is done: what was
            // due at start is planned (and `systemctl start` returns after it).
            if !ready && mailboxes.is_empty() {
                notify(&[sd_notify::NotifyState::Ready, sd_notify::NotifyState::Status("running")]);
                ready = true;
            }
        }
        // The digest is driven by the wall clock, checked at every wake (at least once a
        // minute), so a suspended laptop or a clock change cannot make it skip a day.
        let now = crate::clock::now();
        if next_digest.is_some_and(|at| now >= at) {
            match engine.send_digest(last_digest, now).await {
                Ok(_) => last_digest = Some(now),
                Err(err) => tracing::error!("The digest was not sent: {}.", crate::store::error_text(&err)),
            }
            next_digest = next_digest_at(&engine.config, now);
        }
        let wake = next_wake(&engine, plan_at, last_pass, crate::clock::now());
        tokio::select! {
            biased;
            _ = async { let _ = stop.wait_for(|stopped| *stopped).await; } => break,
            event = events.recv(), if !mailboxes.is_empty() => match event {
                Some(WatchEvent::Watching) => {
                    watching += 1;
                    if !ready && watching >= mailboxes.len() {
                        notify(&[sd_notify::NotifyState::Ready, sd_notify::NotifyState::Status("watching the mailbox")]);
                        ready = true;
                    }
                }
                Some(WatchEvent::NewMail) => due_pass = true,
                None => {}
            },
            job = jobs.recv() => match job {
                Some(Job::Reconcile) => {
                    if let Err(err) = engine.reconcile(crate::clock::now()).await {
                        tracing::error!("Reconciling the outbox failed: {}.", crate::store::error_text(&err));
                    }
                }
                Some(Job::Maintenance) => engine.maintenance(),
                None => {}
            },
            _ = watchdog_tick.tick(), if watchdog.is_some() => notify(&[sd_notify::NotifyState::Watchdog]),
            _ = change_tick.tick() => {
                if engine.data_version() != seen_version {
                    due_pass = true;
                }
            }
            _ = maildir_tick.tick(), if engine.config.maildir.is_some() => {
                match engine.read_inbox(&mut |_, _| {}).await {
                    Ok(report) if report.read == 0 => {}
                    Ok(report) => {
                        tracing::info!("{}", report.sentence("the Maildir"));
                        due_pass = true;
                        release_at = Some(Instant::now() + crate::watcher::RELEASE_AFTER);
                    }
                    Err(err) => tracing::error!("Reading the Maildir failed: {}.", crate::store::error_text(&err)),
                }
            }
            _ = tokio::time::sleep_until(release_at.unwrap_or(wake)), if release_at.is_some() => {
                release_at = None;
                crate::classify::release();
                crate::watcher::release_memory();
            }
            _ = tokio::time::sleep_until(wake) => due_pass = true,
        }
    }

    notify(&[sd_notify::NotifyState::Stopping]);
    let _ = stop_tx.send(true);
    let _ = scheduler.shutdown().await;
    let deadline = Instant::now() + SHUTDOWN_GRACE;
    for watcher in watchers {
        if tokio::time::timeout_at(deadline, watcher).await.is_err() {
            tracing::warn!("A mailbox watcher did not stop in time.");
        }
    }
    engine.close().await;
    tracing::info!("Stopped.");
    Ok(())
}

/// When the next digest is due (`[digest] at`, in the user's zone).
fn next_digest_at(config: &Config, now: Timestamp) -> Option<Timestamp> {
    let digest = config.digest.as_ref()?;
    match digest.schedule.next_after(&config.identity.time_zone, now) {
        Ok(at) => {
            tracing::info!(
                "Next digest: {}.",
                at.to_zoned(config.identity.time_zone.clone()).strftime("%a %Y-%m-%d %H:%M %Z")
            );
            Some(at)
        }
        Err(err) => {
            tracing::error!("No digest will be sent: {err:#}.");
            None
        }
    }
}

/// The start of the minute after `now`: when the loop plans next ("correct to the
/// minute").
fn next_minute(now: Timestamp) -> Timestamp {
    Timestamp::from_second((now.as_second().div_euclid(60) + 1) * 60).unwrap_or(now)
}

/// Whether planning is due at `now` with the kept deadline `plan_at`, and the deadline to
/// keep. The deadline never moves later by itself (issue 9: recomputing it at each wake
/// postponed it forever); a clock set back (NTP, a suspended laptop's correction) brings
/// it back with it, so that planning never waits more than a minute.
fn planning_deadline(plan_at: Timestamp, now: Timestamp) -> (bool, Timestamp) {
    let plan_at = plan_at.min(next_minute(now));
    (now >= plan_at, plan_at)
}

/// The next instant the loop must pass without being woken: the earliest due message, or
/// `plan_at`, when planning is due.
fn next_wake(engine: &Engine, plan_at: Timestamp, last_pass: Option<Timestamp>, now: Timestamp) -> Instant {
    let due = match engine.next_due(now) {
        Ok(due) => wake_at(due, plan_at, last_pass, now),
        Err(err) => {
            tracing::error!("Reading the outbox failed: {}.", crate::store::error_text(&err));
            plan_at
        }
    };
    // A deadline already past wakes the loop at once (not after |due - now|).
    let wait = due.max(now).duration_since(now).unsigned_abs();
    Instant::now() + wait.max(Duration::from_millis(50))
}

/// When to pass next, given the earliest instant an approved draft may go (`due`, already
/// inside its send window: `Outbox::next_due`): then, unless planning comes first. A draft
/// that was already due at the last pass and is still approved could not go then (no
/// `[smtp]`, or SMTP is down and its link backs off): waking at once for it would pass
/// again and again, so it waits for the planning minute (the daemon must not spin over a
/// draft that cannot leave yet).
fn wake_at(due: Option<Timestamp>, plan_at: Timestamp, last_pass: Option<Timestamp>, now: Timestamp) -> Timestamp {
    match due {
        Some(due) if last_pass.is_none_or(|passed| due > passed) => due.max(now).min(plan_at),
        _ => plan_at,
    }
}

/// `debrief sync`: one pass of what `run` does, with progress on stderr for long scans.
///
/// An inbox that cannot be read (IMAP down) does not stop the rest, as it does not stop
/// the daemon: what needs no inbox check is still planned and sent, and a follow-up
/// waits (its own check before sending fails, invariant 3). The read's failure is
/// returned beside the pass for the caller to report. A config error still stops it.
pub async fn sync_once(
    config: Config,
    templates: Templates,
) -> anyhow::Result<(anyhow::Result<SourceReport>, PassReport)> {
    let mut engine = Engine::open(config, templates)?;
    // One pass, then the process ends: a failed connection is not retried.
    engine.smtp.retries = false;
    engine.imap.retries = false;
    let result = async {
        engine.recover(crate::clock::now()).await?;
        let mut last_shown = std::time::Instant::now();
        let mut progress = |done: usize, total: usize| {
            if total >= 100 && (last_shown.elapsed() >= Duration::from_secs(1) || done == total) {
                // Progress only: a closed stderr must not stop the reading.
                use std::io::Write as _;
                let end = if done == total { "\n" } else { "" };
                let _ = write!(std::io::stderr(), "\rReading mail: {done}/{total}{end}");
                last_shown = std::time::Instant::now();
            }
        };
        let read = match engine.read_inbox(&mut progress).await {
            Err(err) if err.chain().any(|cause| cause.downcast_ref::<ConfigError>().is_some()) => return Err(err),
            read => read,
        };
        let report = engine.pass(crate::clock::now()).await?;
        Ok((read, report))
    }
    .await;
    engine.close().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn the_planning_deadline_is_kept_until_it_passes_and_follows_a_clock_set_back() {
        let plan_at = next_minute(ts("2026-12-07T15:59:50Z"));
        assert_eq!(plan_at, ts("2026-12-07T16:00:00Z"));
        // Woken early (the change poll, every second): not due, and the deadline stays.
        for now in ["2026-12-07T15:59:51Z", "2026-12-07T15:59:59Z"] {
            assert_eq!(planning_deadline(plan_at, ts(now)), (false, plan_at), "{now}");
        }
        // Woken at or after it, by whatever: due. A deadline recomputed from the wake would
        // have said "16:01" here, then "16:02"... (issue 9).
        for now in ["2026-12-07T16:00:00Z", "2026-12-07T16:00:01Z", "2026-12-07T17:30:00Z"] {
            assert_eq!(planning_deadline(plan_at, ts(now)), (true, plan_at), "{now}");
        }
        // The clock set back an hour: the deadline comes back to the next minute.
        assert_eq!(planning_deadline(plan_at, ts("2026-12-07T14:59:59Z")), (false, ts("2026-12-07T15:00:00Z")));
        assert_eq!(next_minute(ts("2026-12-07T16:00:00Z")), ts("2026-12-07T16:01:00Z"), "strictly after");
    }

    #[test]
    fn the_loop_wakes_for_a_draft_when_it_may_go_and_never_spins_over_one_that_could_not() {
        let plan_at = ts("2026-12-07T16:01:00Z");
        let passed = Some(ts("2026-12-07T16:00:00Z"));
        let now = ts("2026-12-07T16:00:00.010Z");
        // Due later within the minute (a retry, a hold ending): at that instant.
        assert_eq!(wake_at(Some(ts("2026-12-07T16:00:30Z")), plan_at, passed, now), ts("2026-12-07T16:00:30Z"));
        // Waiting for its window, which opens on Monday: planning comes first.
        assert_eq!(wake_at(Some(ts("2026-12-14T08:00:00Z")), plan_at, passed, now), plan_at);
        // Due since before the last pass and still approved (no SMTP): not at once again.
        assert_eq!(wake_at(Some(ts("2026-12-07T16:00:00Z")), plan_at, passed, now), plan_at);
        // Became due after the last pass (between it and now): at once.
        assert_eq!(wake_at(Some(ts("2026-12-07T16:00:00.005Z")), plan_at, passed, now), now);
        // Nothing approved, or no pass yet.
        assert_eq!(wake_at(None, plan_at, passed, now), plan_at);
        assert_eq!(wake_at(Some(ts("2026-12-07T15:00:00Z")), plan_at, None, now), now);
    }
}

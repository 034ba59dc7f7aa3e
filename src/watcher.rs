//! Reading watched IMAP mailboxes: every message exactly once, in UID order, its effects
//! committed in the same transaction as the progress they make (SPEC §5, §6.4).
//!
//! [`read_mailbox`] is one pass: select (unless the mailbox is selected already), decide
//! where to start (the stored progress; on a first run or after a UIDVALIDITY change,
//! the first message of the last `initial_scan_days`), list the UIDs to read once, fetch
//! them in batches bounded by count and bytes, and hand each message to the caller's
//! handler. A batch is one transaction: each message under a savepoint, then the last
//! UID applied, then one commit (one fsync per batch, not per message). The steps
//! overlap ([`pipeline`]): the next batch is fetched while this one is prepared (parsed
//! and classified by the handler's [`Preparation`]) on a thread of its own and the one
//! before is stored, in UID order, on the one connection; at most [`BATCHES_IN_FLIGHT`]
//! batches are held. A crash loses the uncommitted batch, which the next pass reads
//! again, and repeats nothing; a re-scan after a UIDVALIDITY change meets messages
//! already processed, which the handler (ingest) skips by Message-ID.
//!
//! [`watch_mailbox`] is the daemon's task around it: connect, read, IDLE (re-issued every
//! [`IDLE_REFRESH`]), read again on new mail, and reconnect with a jittered exponential
//! backoff after any error, saying once per failure what went wrong.

use crate::config::ImapConfig;
use crate::mail::MailError;
use crate::mail::imap::{FetchedMessage, IdleOutcome, ImapSession};
use crate::store::{self, Store};
use jiff::tz::TimeZone;
use rusqlite::Connection;
use std::time::Duration;
use tokio::sync::watch;

/// Messages fetched per round trip, and committed per transaction.
pub const BATCH_SIZE: usize = 200;
/// The most message bytes one batch holds (at least one message): memory is bounded by
/// the batch, not by the mailbox.
pub const BATCH_BYTES: usize = 4 * 1024 * 1024;
/// IDLE is ended and re-issued this often, well inside the 30 minutes servers allow.
pub const IDLE_REFRESH: Duration = Duration::from_secs(9 * 60);
/// After new mail, IDLE is re-issued this soon, and if nothing more came the classifier's
/// compiled vocabulary (half its heap, about 20 MB) is dropped and the heap trimmed: the
/// idle daemon stays small; the next message compiles the vocabulary again (about 0.2 s).
pub const RELEASE_AFTER: Duration = Duration::from_secs(30);
/// The longest wait between reconnection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Where a fetched message came from, for the handler.
#[derive(Debug, Clone, Copy)]
pub struct Position<'a> {
    pub mailbox: &'a str,
    pub uid_validity: u32,
}

/// What one pass over a mailbox did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReadReport {
    /// Messages handed to the handler and committed.
    pub processed: usize,
    /// True when this pass started over: a first run, or a UIDVALIDITY change.
    pub scanned_from_start: bool,
}

/// How a pass reports progress on a long scan: `(done, total)`, total an estimate.
pub type ProgressFn<'a> = &'a mut (dyn FnMut(usize, usize) + Send);

/// What a pass does with each message, in two steps: [`Handler::preparer`] makes, at the
/// start of the pass, the function that prepares a message (parse and classify: CPU
/// work, no database), which runs on a thread of its own; [`Handler::apply`] then
/// applies each message with what was prepared of it, in UID order, inside the
/// transaction it is given.
pub trait Handler {
    /// What preparing one message gives.
    type Prepared: Send + 'static;

    /// The preparation of this pass's messages; it must not touch the database.
    fn preparer(&mut self, conn: &Connection, position: Position<'_>) -> anyhow::Result<Preparation<Self::Prepared>>;

    /// Applies one message inside the transaction (a savepoint) it is given. Returning
    /// an error rolls that message back and ends the pass (the next pass retries it), so
    /// it should fail only for database errors and record bad messages instead.
    fn apply(
        &mut self,
        conn: &Connection,
        position: Position<'_>,
        message: &FetchedMessage,
        prepared: Self::Prepared,
    ) -> anyhow::Result<()>;
}

/// A pass's preparation function, sent to the preparing thread.
pub type Preparation<T> = Box<dyn FnMut(&FetchedMessage) -> T + Send>;

/// A [`Handler`] that prepares nothing: a closure that applies each message whole.
struct ApplyOnly<H>(H);

impl<H> Handler for ApplyOnly<H>
where
    H: FnMut(&Connection, Position<'_>, &FetchedMessage) -> anyhow::Result<()>,
{
    type Prepared = ();

    fn preparer(&mut self, _: &Connection, _: Position<'_>) -> anyhow::Result<Preparation<()>> {
        Ok(Box::new(|_| ()))
    }

    fn apply(
        &mut self,
        conn: &Connection,
        position: Position<'_>,
        message: &FetchedMessage,
        (): (),
    ) -> anyhow::Result<()> {
        (self.0)(conn, position, message)
    }
}

/// Reads every unprocessed message of `mailbox` (see the module's notes). `handle`
/// applies one message inside the transaction it is given; returning an error rolls that
/// message back and ends the pass (the next pass retries it), so it should fail only for
/// database errors and record bad messages instead.
pub async fn read_mailbox<H>(
    session: &mut ImapSession,
    store: &mut Store,
    mailbox: &str,
    initial_scan_days: u32,
    zone: &TimeZone,
    progress: ProgressFn<'_>,
    handle: H,
) -> anyhow::Result<ReadReport>
where
    H: FnMut(&Connection, Position<'_>, &FetchedMessage) -> anyhow::Result<()>,
{
    read_mailbox_with(session, store, mailbox, initial_scan_days, zone, progress, &mut ApplyOnly(handle)).await
}

/// [`read_mailbox`] with a [`Handler`] that prepares each message on the preparing
/// thread: the fetch of the next batch, the preparation of this one and the store of
/// the one before overlap (see "The first scan" in ARCHITECTURE.md).
pub async fn read_mailbox_with<H: Handler>(
    session: &mut ImapSession,
    store: &mut Store,
    mailbox: &str,
    initial_scan_days: u32,
    zone: &TimeZone,
    progress: ProgressFn<'_>,
    handler: &mut H,
) -> anyhow::Result<ReadReport> {
    let state = session.ensure_selected(mailbox).await?;
    let stored = store::mailbox_progress(store.conn(), mailbox)?;
    let mut report = ReadReport::default();
    let after = match stored {
        Some(stored) if stored.uid_validity == state.uid_validity => stored.last_uid,
        _ => {
            if let Some(stored) = stored {
                tracing::warn!(
                    "The UIDVALIDITY of {mailbox} changed from {} to {}: reading its last {initial_scan_days} days again; messages already seen are skipped by Message-ID.",
                    stored.uid_validity,
                    state.uid_validity
                );
            }
            report.scanned_from_start = true;
            let since = crate::clock::now().to_zoned(zone.clone()).date() - jiff::Span::new().days(initial_scan_days);
            let uids = session.uid_search_since(since).await?;
            // Start just before the first message of the period; with none, after the
            // last message there is, so that only new mail is read.
            let start = match uids.first() {
                Some(first) => first - 1,
                None => state.uid_next.map(|next| next.saturating_sub(1)).unwrap_or(0),
            };
            let tx = store.transaction()?;
            store::record_mailbox_progress(&tx, mailbox, state.uid_validity, start, crate::clock::now())?;
            tx.commit()?;
            if !uids.is_empty() {
                tracing::info!(
                    "Reading {} message(s) of {mailbox} from the last {initial_scan_days} days.",
                    uids.len()
                );
            }
            start
        }
    };
    let position = Position { mailbox, uid_validity: state.uid_validity };
    let mut source = ImapBatches { session, after, listed: Vec::new(), next: 0, fetched: 0, total: 0 };
    report.processed = pipeline(&mut source, store, position, handler, progress).await?;
    Ok(report)
}

/// A source of batches in UID order: the IMAP session ([`ImapBatches`]), or a test's.
pub(crate) trait BatchSource {
    /// The next batch after those returned so far, with the pass's estimated total of
    /// messages; `None` when nothing is left.
    async fn next_batch(&mut self) -> anyhow::Result<Option<(Vec<FetchedMessage>, usize)>>;
}

/// The batches of a mailbox after the UID `after`: the UIDs are listed once (`UID SEARCH
/// UID n:*`, not the size of every remaining message per batch), fetched in batches
/// bounded by count and bytes, and listed once more for what arrived during the pass,
/// until nothing is left.
struct ImapBatches<'s> {
    session: &'s mut ImapSession,
    /// The last UID listed and fetched.
    after: u32,
    listed: Vec<u32>,
    /// The first UID of `listed` not fetched yet.
    next: usize,
    fetched: usize,
    total: usize,
}

impl BatchSource for ImapBatches<'_> {
    async fn next_batch(&mut self) -> anyhow::Result<Option<(Vec<FetchedMessage>, usize)>> {
        if self.next >= self.listed.len() {
            self.listed = self.session.uids_after(self.after).await?;
            self.next = 0;
            self.total = self.fetched + self.listed.len();
        }
        let rest = &self.listed[self.next..];
        if rest.is_empty() {
            return Ok(None);
        }
        let (consumed, batch) = self.session.fetch_batch(&rest[..rest.len().min(BATCH_SIZE)], BATCH_BYTES).await?;
        let Some(last) = consumed.checked_sub(1).map(|last| rest[last]) else { return Ok(None) };
        self.after = last;
        self.next += consumed;
        self.fetched += batch.len();
        Ok(Some((batch, self.total)))
    }
}

/// How many batches a pass holds at most: one being stored, one being prepared, one
/// being fetched. Memory is bounded by them (`BATCH_BYTES` of messages each), not by
/// the mailbox.
pub const BATCHES_IN_FLIGHT: usize = 3;

/// A batch on its way through the pipeline, with the permit that counts it in flight.
struct InFlight<T> {
    messages: T,
    total: usize,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

/// Reads `source` to its end through three overlapping steps (issue 11), and returns how
/// many messages were applied:
///
/// - fetching, on the caller's task: the next batch is fetched while the ones before it
///   are prepared and stored;
/// - preparing, on a thread of its own ([`tokio::task::spawn_blocking`]): each message of
///   a batch through the handler's [`Preparation`] (the parse and the classification);
/// - storing, on the caller's task again: [`apply_batch`], strictly in UID order, on the
///   one connection, one transaction per batch.
///
/// Batches pass from step to step through channels of one, and at most
/// [`BATCHES_IN_FLIGHT`] are held at once. When a message fails to apply, the batches
/// after it are dropped unapplied (the fetch in progress is finished, so the IMAP session
/// stays usable) and the error is returned. When fetching fails, what was fetched before
/// is still prepared and stored, then the error is returned.
pub(crate) async fn pipeline<S: BatchSource, H: Handler>(
    source: &mut S,
    store: &mut Store,
    position: Position<'_>,
    handler: &mut H,
    progress: ProgressFn<'_>,
) -> anyhow::Result<usize> {
    let mut prepare = handler.preparer(store.conn(), position)?;
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(BATCHES_IN_FLIGHT));
    let (to_prepare, mut fetched) = tokio::sync::mpsc::channel::<InFlight<Vec<FetchedMessage>>>(1);
    let (to_store, prepared) = tokio::sync::mpsc::channel::<InFlight<Vec<(FetchedMessage, H::Prepared)>>>(1);
    let preparing = tokio::task::spawn_blocking(move || {
        while let Some(batch) = fetched.blocking_recv() {
            let InFlight { messages, total, _permit } = batch;
            let messages = messages
                .into_iter()
                .map(|message| {
                    let prepared = prepare(&message);
                    (message, prepared)
                })
                .collect();
            if to_store.blocking_send(InFlight { messages, total, _permit }).is_err() {
                break;
            }
        }
    });
    // Set when storing stopped on an error: fetching asks for nothing more.
    let stopped = std::sync::atomic::AtomicBool::new(false);
    let fetching = async {
        let to_prepare = to_prepare;
        while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
            let Ok(permit) = std::sync::Arc::clone(&permits).acquire_owned().await else { break };
            if stopped.load(std::sync::atomic::Ordering::Relaxed) {
                break;
            }
            let Some((messages, total)) = source.next_batch().await? else { break };
            if to_prepare.send(InFlight { messages, total, _permit: permit }).await.is_err() {
                break;
            }
        }
        anyhow::Ok(())
    };
    let storing = async {
        let mut prepared = prepared;
        let mut applied = 0;
        while let Some(batch) = prepared.recv().await {
            let outcome = apply_batch(store, position, batch.messages, handler);
            let outcome = match outcome {
                Ok(outcome) => outcome,
                Err(err) => {
                    stopped.store(true, std::sync::atomic::Ordering::Relaxed);
                    return Err(err);
                }
            };
            applied += outcome.applied;
            progress(applied, batch.total.max(applied));
            if let Some(err) = outcome.failure {
                stopped.store(true, std::sync::atomic::Ordering::Relaxed);
                return Err(err);
            }
        }
        anyhow::Ok(applied)
    };
    let (fetched, stored) = tokio::join!(fetching, storing);
    if let Err(panicked) = preparing.await
        && panicked.is_panic()
    {
        std::panic::resume_unwind(panicked.into_panic());
    }
    let applied = stored?;
    fetched?;
    Ok(applied)
}

/// What [`apply_batch`] committed.
struct BatchOutcome {
    applied: usize,
    /// The error that stopped the batch; the messages before it are committed.
    failure: Option<anyhow::Error>,
}

/// Applies a fetched batch in ONE transaction: each message's effects under its own
/// savepoint, then the UID of the last message applied, then a single commit (one
/// fsync for the batch). The UID is recorded in the same transaction as the effects it
/// stands for (SPEC §6.4): a crash loses the whole uncommitted batch, which the next
/// pass reads again, and repeats nothing. A handler error rolls back only that message;
/// the ones before it are committed with their UID and the pass ends with the error.
fn apply_batch<H: Handler>(
    store: &mut Store,
    position: Position<'_>,
    batch: Vec<(FetchedMessage, H::Prepared)>,
    handler: &mut H,
) -> anyhow::Result<BatchOutcome> {
    let mut outcome = BatchOutcome { applied: 0, failure: None };
    if batch.is_empty() {
        return Ok(outcome);
    }
    let mut last_uid = None;
    let mut tx = store.transaction()?;
    for (message, prepared) in batch {
        let savepoint = tx.savepoint()?;
        match handler.apply(&savepoint, position, &message, prepared) {
            Ok(()) => {
                savepoint.commit()?;
                outcome.applied += 1;
                last_uid = Some(message.uid);
            }
            Err(err) => {
                // Dropping the savepoint rolls this message back.
                drop(savepoint);
                outcome.failure =
                    Some(err.context(format!("Applying message {} of {}", message.uid, position.mailbox)));
                break;
            }
        }
    }
    if let Some(uid) = last_uid {
        store::record_mailbox_progress(&tx, position.mailbox, position.uid_validity, uid, crate::clock::now())?;
    }
    tx.commit()?;
    Ok(outcome)
}

/// A jittered exponential backoff: 1 s, 2 s, 4 s … up to [`MAX_BACKOFF`], each between
/// half and all of its nominal length so that many clients do not retry in step.
#[derive(Debug, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// The wait before the next attempt, counting one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let nominal = Duration::from_secs(1u64 << self.failures.min(16)).min(MAX_BACKOFF);
        self.failures = self.failures.saturating_add(1);
        let half = nominal / 2;
        half + half.mul_f64(fastrand::f64())
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }
}

/// What the daemon's watcher task tells the rest of the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchEvent {
    /// The mailbox has been read up to now and is being watched (IDLE or polling).
    Watching,
    /// New messages were processed: plan and send again.
    NewMail,
}

/// Watches one mailbox until `stop` turns true: read it, wait for new mail, read again;
/// after any error, say it in one line and reconnect after a backoff. `handle` is as in
/// [`read_mailbox`]; `events` hears when watching starts and when mail was processed.
pub async fn watch_mailbox<H>(
    config: &ImapConfig,
    store: &mut Store,
    mailbox: &str,
    zone: &TimeZone,
    stop: watch::Receiver<bool>,
    events: tokio::sync::mpsc::UnboundedSender<WatchEvent>,
    handle: H,
) where
    H: FnMut(&Connection, Position<'_>, &FetchedMessage) -> anyhow::Result<()>,
{
    watch_mailbox_with(config, store, mailbox, zone, stop, events, &mut ApplyOnly(handle)).await;
}

/// [`watch_mailbox`] with a [`Handler`], as in [`read_mailbox_with`].
pub async fn watch_mailbox_with<H: Handler>(
    config: &ImapConfig,
    store: &mut Store,
    mailbox: &str,
    zone: &TimeZone,
    mut stop: watch::Receiver<bool>,
    events: tokio::sync::mpsc::UnboundedSender<WatchEvent>,
    handler: &mut H,
) {
    let mut backoff = Backoff::default();
    loop {
        let stopped = *stop.borrow();
        if stopped {
            break;
        }
        match watch_once(config, store, mailbox, zone, &mut stop, &events, handler, &mut backoff).await {
            Ok(()) => break,
            Err(err) => {
                let delay = backoff.next_delay();
                let retry = if is_transient(&err) { "" } else { " (this needs a fix: see `debrief doctor`)" };
                tracing::error!(
                    "Watching {mailbox} on {} failed: {}{retry}. Retrying in {}s.",
                    config.server.host,
                    crate::store::error_text(&err),
                    delay.as_secs().max(1)
                );
                tokio::select! {
                    _ = async { let _ = stop.wait_for(|stopped| *stopped).await; } => break,
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
}

fn is_transient(err: &anyhow::Error) -> bool {
    err.downcast_ref::<MailError>().is_some_and(MailError::is_transient)
}

/// One connection's life: connect, read, then IDLE and read until stopped (Ok) or an
/// error (Err, the caller reconnects).
#[allow(clippy::too_many_arguments)]
async fn watch_once<H: Handler>(
    config: &ImapConfig,
    store: &mut Store,
    mailbox: &str,
    zone: &TimeZone,
    stop: &mut watch::Receiver<bool>,
    events: &tokio::sync::mpsc::UnboundedSender<WatchEvent>,
    handler: &mut H,
    backoff: &mut Backoff,
) -> anyhow::Result<()> {
    let mut session = ImapSession::connect(config).await?;
    if backoff.failures() > 0 {
        tracing::info!("Connected to {} again after {} failed attempt(s).", config.server.host, backoff.failures());
    }
    let result = async {
        let mut report_progress = progress_logger(mailbox);
        let report = read_mailbox_with(
            &mut session,
            store,
            mailbox,
            config.initial_scan_days,
            zone,
            &mut report_progress,
            &mut *handler,
        )
        .await?;
        backoff.reset();
        if report.processed > 0 {
            let _ = events.send(WatchEvent::NewMail);
        }
        if report.processed >= BATCH_SIZE {
            crate::classify::release();
            release_memory();
        }
        let mode = if session.capabilities().idle { "IDLE" } else { "polling" };
        tracing::info!("Watching {mailbox} on {} ({mode}).", config.server.host);
        let _ = events.send(WatchEvent::Watching);
        // Whether the classifier's vocabulary was compiled again since it was last
        // released: the daemon gives it back after RELEASE_AFTER without new mail.
        let mut vocabulary_in_use = false;
        loop {
            let wait = if vocabulary_in_use { RELEASE_AFTER } else { IDLE_REFRESH };
            match session.idle_until(wait, stop).await? {
                IdleOutcome::Stopped => return Ok(()),
                IdleOutcome::TimedOut => {
                    if vocabulary_in_use {
                        crate::classify::release();
                        release_memory();
                        vocabulary_in_use = false;
                    }
                }
                IdleOutcome::NewMail => {}
            }
            // Read after a timeout too: a poll costs one round trip and catches anything
            // a server failed to announce.
            let report = read_mailbox_with(
                &mut session,
                store,
                mailbox,
                config.initial_scan_days,
                zone,
                &mut |_, _| {},
                &mut *handler,
            )
            .await?;
            if report.processed > 0 {
                vocabulary_in_use = true;
                tracing::info!("Read {} new message(s) in {mailbox}.", report.processed);
                let _ = events.send(WatchEvent::NewMail);
            }
        }
    }
    .await;
    session.logout().await;
    result
}

/// Gives the heap that a long scan freed back to the system. glibc keeps freed memory in
/// its arenas for reuse, so without this an idle daemon stays as large as its largest
/// scan (155 MB after 20,000 messages); with it, it returns to its working size.
pub fn release_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own arenas; it takes no pointer from us.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Logs a long scan's progress every 100 messages.
pub fn progress_logger(mailbox: &str) -> impl FnMut(usize, usize) + Send + '_ {
    move |done, total| {
        if done % 100 == 0 {
            tracing::info!("Read {done} of about {total} message(s) in {mailbox}.");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::sync::{Arc, Condvar, Mutex};

    /// A safety net for the waits below: reached only when the steps do not overlap.
    const WAIT: Duration = Duration::from_secs(20);

    /// What happened, in order, on every thread of a pass.
    #[derive(Default)]
    struct Events {
        log: Mutex<Vec<String>>,
        changed: Condvar,
    }

    impl Events {
        fn push(&self, event: impl Into<String>) {
            self.log.lock().unwrap().push(event.into());
            self.changed.notify_all();
        }

        /// Waits until `event` happened; false if it did not within [`WAIT`].
        fn wait_for(&self, event: &str) -> bool {
            let log = self.log.lock().unwrap();
            let (_log, waited) =
                self.changed.wait_timeout_while(log, WAIT, |log| !log.iter().any(|seen| seen == event)).unwrap();
            !waited.timed_out()
        }

        fn position(&self, event: &str) -> usize {
            let log = self.log.lock().unwrap();
            log.iter().position(|seen| seen == event).unwrap_or_else(|| panic!("{event} never happened: {log:?}"))
        }

        fn all(&self) -> Vec<String> {
            self.log.lock().unwrap().clone()
        }
    }

    fn fetched(uid: u32) -> FetchedMessage {
        let raw = format!("Subject: message {uid}\r\n\r\nbody {uid}\r\n").into_bytes();
        FetchedMessage { uid, size: raw.len() as u32, raw, truncated: false }
    }

    /// Batches of `per_batch` messages with the UIDs in `uids`, logging each request;
    /// `fail_at` makes that request (counted from 1) fail, as a lost connection would.
    struct FakeSource {
        batches: VecDeque<Vec<FetchedMessage>>,
        total: usize,
        requests: usize,
        fail_at: Option<usize>,
        events: Arc<Events>,
        /// Batches applied so far, to measure how far fetching runs ahead.
        stored: Arc<Mutex<usize>>,
        most_ahead: usize,
    }

    impl FakeSource {
        fn new(uids: impl Iterator<Item = u32>, per_batch: usize, events: &Arc<Events>) -> FakeSource {
            let uids: Vec<u32> = uids.collect();
            FakeSource {
                total: uids.len(),
                batches: uids.chunks(per_batch).map(|chunk| chunk.iter().copied().map(fetched).collect()).collect(),
                requests: 0,
                fail_at: None,
                events: Arc::clone(events),
                stored: Arc::default(),
                most_ahead: 0,
            }
        }
    }

    impl BatchSource for FakeSource {
        async fn next_batch(&mut self) -> anyhow::Result<Option<(Vec<FetchedMessage>, usize)>> {
            self.requests += 1;
            let ahead = self.requests - *self.stored.lock().unwrap();
            self.most_ahead = self.most_ahead.max(ahead);
            self.events.push(format!("fetch {}", self.requests));
            if self.fail_at == Some(self.requests) {
                anyhow::bail!("the connection was lost");
            }
            Ok(self.batches.pop_front().map(|batch| (batch, self.total)))
        }
    }

    /// Records each applied UID with what was prepared of it, in a table of the real
    /// store; fails once on `fail_on`. `gates` are waits for tests of the overlap:
    /// before preparing or storing the message with that UID, wait for that event.
    struct Recorder {
        events: Arc<Events>,
        stored: Arc<Mutex<usize>>,
        per_batch: u32,
        fail_on: Option<u32>,
        /// The preparation panics on this UID, as a parser bug would.
        panic_on: Option<u32>,
        prepare_gate: Option<(u32, String)>,
        store_gate: Option<(u32, String)>,
        missed: Arc<Mutex<Vec<String>>>,
    }

    impl Recorder {
        fn new(source: &FakeSource, per_batch: u32) -> Recorder {
            Recorder {
                events: Arc::clone(&source.events),
                stored: Arc::clone(&source.stored),
                per_batch,
                fail_on: None,
                panic_on: None,
                prepare_gate: None,
                store_gate: None,
                missed: Arc::default(),
            }
        }

        fn batch_of(&self, uid: u32) -> u32 {
            (uid - 1) / self.per_batch + 1
        }
    }

    impl Handler for Recorder {
        /// The UID read back from the message's bytes, as a parse would.
        type Prepared = String;

        fn preparer(&mut self, _: &Connection, _: Position<'_>) -> anyhow::Result<Preparation<String>> {
            let events = Arc::clone(&self.events);
            let gate = self.prepare_gate.clone();
            let missed = Arc::clone(&self.missed);
            let per_batch = self.per_batch;
            let panic_on = self.panic_on;
            Ok(Box::new(move |message| {
                assert_ne!(Some(message.uid), panic_on, "a parser bug");
                if (message.uid - 1).is_multiple_of(per_batch) {
                    events.push(format!("prepare {}", (message.uid - 1) / per_batch + 1));
                }
                if let Some((uid, event)) = &gate
                    && *uid == message.uid
                    && !events.wait_for(event)
                {
                    missed.lock().unwrap().push(format!("preparing {uid} waited in vain for {event}"));
                }
                String::from_utf8_lossy(&message.raw).lines().next().unwrap_or_default().to_owned()
            }))
        }

        fn apply(
            &mut self,
            conn: &Connection,
            _: Position<'_>,
            message: &FetchedMessage,
            prepared: String,
        ) -> anyhow::Result<()> {
            let batch = self.batch_of(message.uid);
            let first = (message.uid - 1).is_multiple_of(self.per_batch);
            if first {
                self.events.push(format!("store {batch}"));
            }
            if let Some((uid, event)) = &self.store_gate
                && *uid == message.uid
                && !self.events.wait_for(event)
            {
                self.missed.lock().unwrap().push(format!("storing {uid} waited in vain for {event}"));
            }
            if self.fail_on == Some(message.uid) {
                self.fail_on = None;
                anyhow::bail!("the disk is full");
            }
            conn.execute("INSERT INTO seen (uid, prepared) VALUES (?1, ?2)", rusqlite::params![message.uid, prepared])?;
            if message.uid.is_multiple_of(self.per_batch) {
                self.events.push(format!("stored {batch}"));
                *self.stored.lock().unwrap() += 1;
            }
            Ok(())
        }
    }

    fn store_with_log() -> Store {
        let store = Store::open_in_memory().unwrap();
        store.conn().execute("CREATE TABLE seen (uid INTEGER NOT NULL, prepared TEXT NOT NULL)", []).unwrap();
        store
    }

    fn seen(store: &Store) -> Vec<(u32, String)> {
        let mut statement = store.conn().prepare("SELECT uid, prepared FROM seen ORDER BY rowid").unwrap();
        statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().map(Result::unwrap).collect()
    }

    fn expected(uids: std::ops::RangeInclusive<u32>) -> Vec<(u32, String)> {
        uids.map(|uid| (uid, format!("Subject: message {uid}"))).collect()
    }

    fn last_uid(store: &Store) -> Option<u32> {
        store::mailbox_progress(store.conn(), "INBOX").unwrap().map(|progress| progress.last_uid)
    }

    const INBOX: Position<'static> = Position { mailbox: "INBOX", uid_validity: 7 };

    /// Issue 11: the overlapped pass stores every message once, in UID order, each with
    /// what was prepared of IT; a handler failure mid-way commits the messages before it
    /// (with their UID), stops fetching soon, and the next pass resumes at the failed one.
    #[tokio::test]
    async fn overlapped_batches_are_stored_in_uid_order_once_and_a_failure_resumes_where_it_stopped() {
        let events = Arc::new(Events::default());
        let mut store = store_with_log();
        let mut source = FakeSource::new(1..=60, 3, &events);
        let mut handler = Recorder::new(&source, 3);
        handler.fail_on = Some(8);
        let mut progress = Vec::new();
        let error = pipeline(&mut source, &mut store, INBOX, &mut handler, &mut |done, total| {
            progress.push((done, total));
        })
        .await
        .expect_err("the handler's failure ends the pass");
        assert!(format!("{error:#}").contains("Applying message 8 of INBOX: the disk is full"), "{error:#}");
        assert_eq!(seen(&store), expected(1..=7), "the messages before the failure, once, in order");
        assert_eq!(last_uid(&store), Some(7), "their UID is committed with them");
        assert_eq!(progress, vec![(3, 60), (6, 60), (7, 60)]);
        assert!(source.requests <= 3 + BATCHES_IN_FLIGHT + 1, "fetching stopped soon: {} requests", source.requests);
        assert!(source.most_ahead <= BATCHES_IN_FLIGHT, "{} batches in flight", source.most_ahead);

        // The next pass starts after the last committed UID, as read_mailbox does.
        let mut source = FakeSource::new(8..=60, 3, &events);
        let applied = pipeline(&mut source, &mut store, INBOX, &mut handler, &mut |_, _| {}).await.unwrap();
        assert_eq!(applied, 53);
        assert_eq!(seen(&store), expected(1..=60), "every message once, in UID order, with its own preparation");
        assert_eq!(last_uid(&store), Some(60));
        assert!(handler.missed.lock().unwrap().is_empty());
    }

    /// Issue 11: the next fetches are issued while batch N is being prepared, and
    /// batch N+1 is being prepared while batch N is stored. Each step waits for the event
    /// the overlap promises (with a safety deadline): done one after the other, the waits
    /// would find nothing and the test fails. No step's speed is measured.
    #[tokio::test]
    async fn the_next_batch_is_fetched_and_prepared_while_the_one_before_is_stored() {
        let events = Arc::new(Events::default());
        let mut store = store_with_log();
        let mut source = FakeSource::new(1..=9, 3, &events);
        let mut handler = Recorder::new(&source, 3);
        // Fetch 3 is asked for once batch 2 is handed on (the preparing thread took batch
        // 1): waiting for it, not for fetch 2, leaves nothing to the scheduler's order.
        handler.prepare_gate = Some((1, "fetch 3".into()));
        handler.store_gate = Some((3, "prepare 2".into()));
        let applied = pipeline(&mut source, &mut store, INBOX, &mut handler, &mut |_, _| {}).await.unwrap();
        assert_eq!(applied, 9);
        assert_eq!(seen(&store), expected(1..=9));
        assert_eq!(handler.missed.lock().unwrap().clone(), Vec::<String>::new(), "{:?}", events.all());
        assert!(events.position("fetch 3") < events.position("stored 1"), "{:?}", events.all());
        assert!(events.position("prepare 2") < events.position("stored 1"), "{:?}", events.all());
    }

    /// A panic while preparing (a parser bug) is not taken for the end of the mailbox: it
    /// reaches the caller as it would have without the preparing thread, and only the
    /// batches before it are committed.
    #[tokio::test]
    async fn a_panic_while_preparing_reaches_the_caller_and_commits_nothing_after_it() {
        use futures_util::FutureExt as _;
        let events = Arc::new(Events::default());
        let mut store = store_with_log();
        let mut source = FakeSource::new(1..=30, 3, &events);
        let mut handler = Recorder::new(&source, 3);
        handler.panic_on = Some(5);
        let mut no_progress = |_, _| {};
        let pass = pipeline(&mut source, &mut store, INBOX, &mut handler, &mut no_progress);
        let panicked = std::panic::AssertUnwindSafe(pass).catch_unwind().await.expect_err("the panic goes on");
        let message = panicked.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.contains("a parser bug"), "{message}");
        assert_eq!(seen(&store), expected(1..=3));
        assert_eq!(last_uid(&store), Some(3));
    }

    /// A lost connection mid-pass: what was fetched before it is still prepared and
    /// committed with its UID, then the pass ends with the error (the next one resumes).
    #[tokio::test]
    async fn batches_fetched_before_a_lost_connection_are_stored_and_the_error_returned() {
        let events = Arc::new(Events::default());
        let mut store = store_with_log();
        let mut source = FakeSource::new(1..=30, 3, &events);
        source.fail_at = Some(4);
        let mut handler = Recorder::new(&source, 3);
        let error = pipeline(&mut source, &mut store, INBOX, &mut handler, &mut |_, _| {})
            .await
            .expect_err("the fetch error ends the pass");
        assert!(format!("{error:#}").contains("the connection was lost"), "{error:#}");
        assert_eq!(seen(&store), expected(1..=9));
        assert_eq!(last_uid(&store), Some(9));
    }

    #[test]
    fn backoff_grows_to_its_cap_with_jitter_and_resets() {
        let mut backoff = Backoff::default();
        let delays: Vec<Duration> = (0..12).map(|_| backoff.next_delay()).collect();
        assert!(delays[0] >= Duration::from_millis(500) && delays[0] <= Duration::from_secs(1));
        assert!(delays[3] >= Duration::from_secs(4) && delays[3] <= Duration::from_secs(8));
        assert!(delays[11] >= MAX_BACKOFF / 2 && delays[11] <= MAX_BACKOFF);
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_secs(1));
    }
}

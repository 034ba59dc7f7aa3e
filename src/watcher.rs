//! Reading watched IMAP mailboxes: every message exactly once, in UID order, its effects
//! committed in the same transaction as the progress they make (SPEC §5, §6.4).
//!
//! [`read_mailbox`] is one pass: select (unless the mailbox is selected already), decide
//! where to start (the stored progress; on a first run or after a UIDVALIDITY change,
//! the first message of the last `initial_scan_days`), list the UIDs to read once, fetch
//! them in batches bounded by count and bytes, and hand each message to the caller's
//! handler. A batch is one transaction: each message under a savepoint, then the last
//! UID applied, then one commit (one fsync per batch, not per message). A crash loses
//! the uncommitted batch, which the next pass reads again, and repeats nothing; a re-scan
//! after a UIDVALIDITY change meets messages already processed, which the handler
//! (ingest) skips by Message-ID.
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
    mut handle: H,
) -> anyhow::Result<ReadReport>
where
    H: FnMut(&Connection, Position<'_>, &FetchedMessage) -> anyhow::Result<()>,
{
    let state = session.ensure_selected(mailbox).await?;
    let stored = store::mailbox_progress(store.conn(), mailbox)?;
    let mut report = ReadReport::default();
    let mut after = match stored {
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
    // The UIDs to read, once (not the size of every remaining message per batch); then
    // once more for what arrived during the pass, until nothing is left.
    loop {
        let uids = session.uids_after(after).await?;
        if uids.is_empty() {
            break;
        }
        let total = report.processed + uids.len();
        let mut pending = &uids[..];
        while !pending.is_empty() {
            let (consumed, batch) = session.fetch_batch(&pending[..pending.len().min(BATCH_SIZE)], BATCH_BYTES).await?;
            pending = &pending[consumed..];
            let outcome = apply_batch(store, position, &batch, &mut handle)?;
            report.processed += outcome.applied;
            if let Some(uid) = outcome.last_uid {
                after = after.max(uid);
            }
            progress(report.processed, total.max(report.processed));
            if let Some(err) = outcome.failure {
                return Err(err);
            }
            if consumed == 0 {
                break;
            }
        }
    }
    Ok(report)
}

/// What [`apply_batch`] committed.
struct BatchOutcome {
    applied: usize,
    last_uid: Option<u32>,
    /// The error that stopped the batch; the messages before it are committed.
    failure: Option<anyhow::Error>,
}

/// Applies a fetched batch in ONE transaction: each message's effects under its own
/// savepoint, then the UID of the last message applied, then a single commit (one
/// fsync for the batch). The UID is recorded in the same transaction as the effects it
/// stands for (SPEC §6.4): a crash loses the whole uncommitted batch, which the next
/// pass reads again, and repeats nothing. A handler error rolls back only that message;
/// the ones before it are committed with their UID and the pass ends with the error.
fn apply_batch<H>(
    store: &mut Store,
    position: Position<'_>,
    batch: &[FetchedMessage],
    handle: &mut H,
) -> anyhow::Result<BatchOutcome>
where
    H: FnMut(&Connection, Position<'_>, &FetchedMessage) -> anyhow::Result<()>,
{
    let mut outcome = BatchOutcome { applied: 0, last_uid: None, failure: None };
    if batch.is_empty() {
        return Ok(outcome);
    }
    let mut tx = store.transaction()?;
    for message in batch {
        let savepoint = tx.savepoint()?;
        match handle(&savepoint, position, message) {
            Ok(()) => {
                savepoint.commit()?;
                outcome.applied += 1;
                outcome.last_uid = Some(message.uid);
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
    if let Some(uid) = outcome.last_uid {
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
    mut stop: watch::Receiver<bool>,
    events: tokio::sync::mpsc::UnboundedSender<WatchEvent>,
    mut handle: H,
) where
    H: FnMut(&Connection, Position<'_>, &FetchedMessage) -> anyhow::Result<()>,
{
    let mut backoff = Backoff::default();
    loop {
        let stopped = *stop.borrow();
        if stopped {
            break;
        }
        match watch_once(config, store, mailbox, zone, &mut stop, &events, &mut handle, &mut backoff).await {
            Ok(()) => break,
            Err(err) => {
                let delay = backoff.next_delay();
                let retry = if is_transient(&err) { "" } else { " (this needs a fix: see `debrief doctor`)" };
                tracing::error!(
                    "Watching {mailbox} on {} failed: {err:#}{retry}. Retrying in {}s.",
                    config.server.host,
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
async fn watch_once<H>(
    config: &ImapConfig,
    store: &mut Store,
    mailbox: &str,
    zone: &TimeZone,
    stop: &mut watch::Receiver<bool>,
    events: &tokio::sync::mpsc::UnboundedSender<WatchEvent>,
    handle: &mut H,
    backoff: &mut Backoff,
) -> anyhow::Result<()>
where
    H: FnMut(&Connection, Position<'_>, &FetchedMessage) -> anyhow::Result<()>,
{
    let mut session = ImapSession::connect(config).await?;
    if backoff.failures() > 0 {
        tracing::info!("Connected to {} again after {} failed attempt(s).", config.server.host, backoff.failures());
    }
    let result = async {
        let mut report_progress = progress_logger(mailbox);
        let report = read_mailbox(
            &mut session,
            store,
            mailbox,
            config.initial_scan_days,
            zone,
            &mut report_progress,
            &mut *handle,
        )
        .await?;
        backoff.reset();
        if report.processed > 0 {
            let _ = events.send(WatchEvent::NewMail);
        }
        if report.processed >= BATCH_SIZE {
            crate::classify::vocab::release();
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
                        crate::classify::vocab::release();
                        release_memory();
                        vocabulary_in_use = false;
                    }
                }
                IdleOutcome::NewMail => {}
            }
            // Read after a timeout too: a poll costs one round trip and catches anything
            // a server failed to announce.
            let report = read_mailbox(
                &mut session,
                store,
                mailbox,
                config.initial_scan_days,
                zone,
                &mut |_, _| {},
                &mut *handle,
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

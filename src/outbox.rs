//! The outbox: approved drafts go out when they are due, each exactly once.
//!
//! A draft's way out (SPEC §6, invariants 1–3):
//!
//! ```text
//!  approved --claim (committed)--> sending --250--> sent (+ copy APPENDed to Sent)
//!     ^                               |--4xx, no connection--> approved, later (backoff)
//!     |                               |                         ... after MAX_ATTEMPTS: failed
//!     |                               |--5xx--> failed (the server's words in last_error)
//!     |                               '--lost mid-conversation--> unknown
//!     |  start-up: sending --> unknown --Message-ID found in Sent--> sent
//!     '---- `debrief resolve ID retry` (the user checked: it did not go) ----- unknown
//! ```
//!
//! A draft is *claimed* in one committed transaction before any byte goes to the SMTP
//! server: the row is read again, it must still be `approved` with an approval recorded
//! and recipients equal to the approved ones, and it becomes `sending`. After a crash a
//! `sending` row is therefore never sent again by itself: [`Outbox::recover`] turns it into
//! `unknown`, which only the Sent mailbox or the user can settle.
//!
//! This module decides nothing about *what* to send or *when* it is due (the planner and
//! the user did; `planner::actual_send_time` says when, never outside the send window,
//! and a due draft outside it waits for the opening); it reads no clock (`now` is an argument) and opens no connections (the
//! caller passes the SMTP sender and the IMAP session).

use crate::config::{Config, is_plain_address};
use crate::domain::threading::{clean_header_value, is_valid_message_id};
use crate::domain::{DraftId, DraftKind, DraftStatus};
use crate::mail::MailError;
use crate::mail::imap::ImapSession;
use crate::mail::smtp::{SendError, SmtpSender};
use crate::store::{self, Cause, DraftRow, Store};
use anyhow::{Context as _, bail};
use jiff::{SignedDuration, Timestamp};
use rusqlite::Connection;

/// The first retry waits about this long; each further one twice as long.
pub const RETRY_BASE: SignedDuration = SignedDuration::from_secs(60);
/// No retry waits longer than this.
pub const RETRY_CAP: SignedDuration = SignedDuration::from_secs(60 * 60);
/// After this many attempts with transient errors a draft is `failed`.
pub const MAX_ATTEMPTS: u32 = 8;
/// How long a follow-up waits when the inbox could not be read right before it.
pub const INBOX_UNREADABLE_DELAY: SignedDuration = SignedDuration::from_secs(5 * 60);

/// Sends approved drafts; see the module documentation.
pub struct Outbox<'a> {
    pub config: &'a Config,
}

/// What one [`Outbox::send_due`] pass did, draft by draft.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OutboxReport {
    /// Accepted by the SMTP server.
    pub sent: Vec<DraftId>,
    /// `drafts_only`: filed in the Drafts mailbox instead of being sent.
    pub filed_in_drafts: Vec<DraftId>,
    /// A transient failure: approved again, due later.
    pub deferred: Vec<DraftId>,
    /// Refused by the server, unbuildable, or too many attempts.
    pub failed: Vec<DraftId>,
    /// The connection was lost mid-conversation: it may have gone; never resent by itself.
    pub unknown: Vec<DraftId>,
    /// Listed as due but no longer allowed to go when claimed (rejected, edited, cancelled
    /// by a reply read right before), or a follow-up postponed because the inbox could not
    /// be read.
    pub held: Vec<DraftId>,
    /// Due, but outside its send window (SPEC §1): it waits for the opening, the instant given.
    pub waiting_for_window: Vec<(DraftId, Timestamp)>,
    /// Copies that could not be filed in Sent (the messages themselves went out).
    pub copy_errors: Vec<String>,
}

/// What [`Outbox::recover`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RecoverReport {
    /// `sending` at start-up: now `unknown`.
    pub interrupted: Vec<DraftId>,
    /// `unknown` drafts whose Message-ID was found in Sent (or Drafts, with drafts_only): now `sent`.
    pub found_sent: Vec<DraftId>,
    /// Still `unknown`: the user decides (`debrief resolve ID sent|retry`).
    pub still_unknown: Vec<DraftId>,
    /// Why the Sent mailbox could not be searched, if it could not.
    pub lookup_error: Option<String>,
}

/// Why a listed draft may not leave now, or `None` when it may (invariant 1 and 7, and the
/// send window of SPEC §1). `goes_at` is when it actually goes
/// ([`crate::planner::actual_send_time`]): later than `now` when the window is closed.
pub fn refusal(draft: &DraftRow, now: Timestamp, goes_at: Timestamp) -> Option<String> {
    if draft.status != DraftStatus::Approved {
        return Some(format!("it is {}", draft.status));
    }
    if draft.approved_at.is_none() {
        return Some("no approval is recorded".into());
    }
    let Some(approved_to) = &draft.approved_to else {
        return Some("the approved recipients are not recorded".into());
    };
    if draft.to.is_empty() || normalized(&draft.to) != normalized(approved_to) {
        return Some("its recipients changed after approval".into());
    }
    if draft.send_at > now {
        return Some("it is not due yet".into());
    }
    if let Some(until) = draft.hold_until
        && until > now
    {
        return Some(format!("it is held for undo until {until}"));
    }
    if goes_at > now {
        return Some(format!("its send window is closed; it waits for the opening at {goes_at}"));
    }
    None
}

fn normalized(addresses: &[String]) -> Vec<String> {
    let mut list: Vec<String> = addresses.iter().map(|address| address.trim().to_ascii_lowercase()).collect();
    list.sort();
    list.dedup();
    list
}

/// How long to wait before attempt `attempts + 1`, after `attempts` transient failures:
/// [`RETRY_BASE`] doubled per attempt, at most [`RETRY_CAP`], times `jitter` (0.8..=1.2 in
/// use, so that many drafts deferred together do not retry together).
pub fn retry_delay(attempts: u32, jitter: f64) -> SignedDuration {
    let doublings = attempts.saturating_sub(1).min(20);
    let seconds = (RETRY_BASE.as_secs() << doublings).min(RETRY_CAP.as_secs());
    let jittered = (seconds as f64 * jitter.clamp(0.5, 1.5)).round() as i64;
    SignedDuration::from_secs(jittered.max(1))
}

/// The RFC 5322 message for `draft`, dated `date`: From (the identity), To, Subject, Date,
/// the Message-ID fixed at draft time, In-Reply-To and References when set, MIME-Version,
/// `text/plain; charset=utf-8` with a transfer encoding lettre picks. Never a Bcc. Every
/// header value is cleaned of line breaks and control characters, and Message-IDs that are
/// not plain `left@right` are left out (invariant 6).
pub fn build_message(config: &Config, draft: &DraftRow, date: Timestamp) -> anyhow::Result<Vec<u8>> {
    use lettre::Message;
    use lettre::message::{Mailbox, SinglePart};
    let identity = &config.identity;
    let from_address: lettre::Address = identity
        .email
        .parse()
        .with_context(|| format!("identity.email {:?} is not an address lettre accepts", identity.email))?;
    let name = clean_header_value(&identity.name);
    let mut builder = Message::builder().from(Mailbox::new((!name.is_empty()).then_some(name), from_address));
    if draft.to.is_empty() {
        bail!("draft {} has no recipient", draft.id);
    }
    for to in &draft.to {
        if !is_plain_address(to) {
            bail!("draft {} has the recipient {to:?}, which is not an email address", draft.id);
        }
        let address: lettre::Address =
            to.parse().with_context(|| format!("draft {}: {to:?} is not an address lettre accepts", draft.id))?;
        builder = builder.to(Mailbox::new(None, address));
    }
    if !is_valid_message_id(&draft.message_id) {
        bail!("draft {} has the Message-ID {:?}, which cannot go into a header", draft.id, draft.message_id);
    }
    builder = builder
        .subject(clean_header_value(&draft.subject))
        .date(std::time::SystemTime::from(date))
        .message_id(Some(format!("<{}>", draft.message_id)));
    if let Some(parent) = draft.in_reply_to.as_deref().filter(|id| is_valid_message_id(id)) {
        builder = builder.in_reply_to(format!("<{parent}>"));
    }
    let references: Vec<String> =
        draft.references.iter().filter(|id| is_valid_message_id(id)).map(|id| format!("<{id}>")).collect();
    if !references.is_empty() {
        builder = builder.references(references.join(" "));
    }
    let message = builder
        .singlepart(SinglePart::plain(draft.body.clone()))
        .with_context(|| format!("Building the message of draft {}", draft.id))?;
    let mut raw = message.formatted();
    // lettre ends a part with CRLF after a body that already ends with one: the copy filed
    // in Sent would gain an empty line (SMTP does not, see `SmtpSender::send_raw`).
    if raw.ends_with(b"\r\n\r\n") {
        raw.truncate(raw.len() - 2);
    }
    Ok(raw)
}

/// What became of one claimed draft.
enum Outcome {
    Sent,
    Filed,
    Deferred,
    Failed,
    Unknown,
}

impl Outbox<'_> {
    fn drafts_only(&self) -> bool {
        self.config.smtp.as_ref().is_some_and(|smtp| smtp.drafts_only)
    }

    fn provider_files_sent(&self) -> bool {
        self.config.smtp.as_ref().is_some_and(|smtp| smtp.provider_files_sent)
    }

    /// When the sender next has work, seen at `now`: the earliest instant an approved
    /// draft actually goes ([`crate::planner::actual_send_time`]: its send time, the end of
    /// its hold, the opening of its send window), never before `now`. The daemon sleeps
    /// until then: a draft that is due but waits for the window wakes it at the opening,
    /// not at every turn.
    pub fn next_due(&self, conn: &Connection, now: Timestamp) -> anyhow::Result<Option<Timestamp>> {
        let mut earliest: Option<Timestamp> = None;
        for draft in store::drafts_with_status(conn, DraftStatus::Approved)? {
            if draft.approved_at.is_none() {
                continue;
            }
            let goes_at = crate::planner::actual_send_time(conn, self.config, &draft, now)?;
            earliest = Some(earliest.map_or(goes_at, |known| known.min(goes_at)));
        }
        Ok(earliest)
    }

    /// Drafts approved and due at `now` go out, one at a time, each claimed (`sending`,
    /// committed) before SMTP. Right before a follow-up, `refresh_inbox` reads new mail
    /// and applies it (invariant 3); the claim then sees a cancellation it caused.
    /// With `drafts_only`, messages are APPENDed to Drafts instead and marked `sent` with
    /// the reason "filed in Drafts". Errors of one draft are recorded on that draft; the
    /// result is `Err` only when the database fails.
    pub async fn send_due<F>(
        &self,
        store: &mut Store,
        smtp: &SmtpSender,
        mut imap: Option<&mut ImapSession>,
        mut refresh_inbox: F,
        now: Timestamp,
    ) -> anyhow::Result<OutboxReport>
    where
        F: AsyncFnMut(&mut Store) -> anyhow::Result<()>,
    {
        let mut report = OutboxReport::default();
        for listed in store::due_drafts(store.conn(), now)? {
            // SPEC §1: nothing leaves outside its send window, however overdue (approved
            // late, retried after a failure): it waits for the opening.
            let goes_at = crate::planner::actual_send_time(store.conn(), self.config, &listed, now)?;
            if goes_at > now {
                tracing::debug!("Draft {} is due but waits for its send window to open at {goes_at}.", listed.id);
                report.waiting_for_window.push((listed.id, goes_at));
                continue;
            }
            if listed.kind == DraftKind::FollowUp
                && let Err(err) = refresh_inbox(store).await
            {
                let error = format!("the inbox could not be read right before sending this follow-up: {err:#}");
                tracing::warn!("Draft {} waits: {error}", listed.id);
                let tx = store.transaction()?;
                // Conditional on `approved`: a draft rejected or cancelled meanwhile stays so.
                store::postpone_draft(&tx, listed.id, now + INBOX_UNREADABLE_DELAY, &error, now)?;
                tx.commit()?;
                report.held.push(listed.id);
                continue;
            }
            let Some(draft) = self.claim(store, listed.id, now)? else {
                report.held.push(listed.id);
                continue;
            };
            let outcome = if self.drafts_only() {
                self.file_in_drafts(store, imap.as_deref_mut(), &draft, now).await?
            } else {
                self.send_one(store, smtp, imap.as_deref_mut(), &draft, now, &mut report).await?
            };
            match outcome {
                Outcome::Sent => report.sent.push(draft.id),
                Outcome::Filed => report.filed_in_drafts.push(draft.id),
                Outcome::Deferred => report.deferred.push(draft.id),
                Outcome::Failed => report.failed.push(draft.id),
                Outcome::Unknown => report.unknown.push(draft.id),
            }
        }
        Ok(report)
    }

    /// Reads the draft again and, when it may still leave, marks it `sending` and commits.
    fn claim(&self, store: &mut Store, id: DraftId, now: Timestamp) -> anyhow::Result<Option<DraftRow>> {
        let tx = store.transaction()?;
        let Some(draft) = store::get_draft(&tx, id)? else { return Ok(None) };
        let goes_at = crate::planner::actual_send_time(&tx, self.config, &draft, now)?;
        if let Some(why) = refusal(&draft, now, goes_at) {
            tracing::info!("Draft {id} does not go: {why}.");
            if draft.status == DraftStatus::Approved && why.contains("recipients changed") {
                // Invariant 7: changed recipients need a new approval.
                store::withdraw_approval(&tx, id, "recipients changed after approval", now)?;
                tx.commit()?;
            }
            return Ok(None);
        }
        // Read in this transaction, so it is still `approved`; the condition is the claim.
        if !store::mark_draft_sending(&tx, id, now)? {
            return Ok(None);
        }
        tx.commit()?;
        Ok(store::get_draft(store.conn(), id)?)
    }

    async fn send_one(
        &self,
        store: &mut Store,
        smtp: &SmtpSender,
        imap: Option<&mut ImapSession>,
        draft: &DraftRow,
        now: Timestamp,
        report: &mut OutboxReport,
    ) -> anyhow::Result<Outcome> {
        let raw = match build_message(self.config, draft, now) {
            Ok(raw) => raw,
            Err(err) => return self.fail(store, draft, &format!("{err:#}"), now),
        };
        let from = &self.config.identity.email;
        match smtp.send_raw(from, &draft.to, &raw).await {
            Ok(()) => {
                let event = format!("draft {} ({}) sent to {}", draft.id, draft.kind, draft.to.join(", "));
                self.record_sent(store, draft, None, &event, now)?;
                tracing::info!("Sent draft {} to {}.", draft.id, draft.to.join(", "));
                if !self.provider_files_sent()
                    && let Err(err) = self.copy_to_sent(imap, &raw).await
                {
                    let error = format!("draft {} was sent, but its copy was not filed in Sent: {err}", draft.id);
                    tracing::warn!("{error}");
                    report.copy_errors.push(error);
                }
                Ok(Outcome::Sent)
            }
            Err(err) if err.may_have_been_delivered() => {
                let error = format!(
                    "{err}; debrief will not send it again by itself: check your Sent mail or the recipient, then `debrief resolve {} sent` or `debrief resolve {} retry`",
                    draft.id, draft.id
                );
                self.settle(store, draft, DraftStatus::Unknown, &error, now)?;
                Ok(Outcome::Unknown)
            }
            Err(err) if err.is_transient() => self.defer(store, draft, &err.to_string(), now),
            Err(err) => self.fail(store, draft, &failure_text(&err), now),
        }
    }

    async fn copy_to_sent(&self, imap: Option<&mut ImapSession>, raw: &[u8]) -> Result<(), String> {
        let Some(imap) = imap else {
            return Err("no IMAP session (set [imap], or provider_files_sent = true if the provider files it)".into());
        };
        let sent = imap
            .special_mailboxes()
            .await
            .map_err(|err| err.to_string())?
            .sent
            .ok_or_else(|| "the server marks no mailbox as \\Sent: set imap.sent_mailbox to its name".to_owned())?;
        imap.append(&sent, raw, &["\\Seen"]).await.map_err(|err| err.to_string())
    }

    async fn file_in_drafts(
        &self,
        store: &mut Store,
        imap: Option<&mut ImapSession>,
        draft: &DraftRow,
        now: Timestamp,
    ) -> anyhow::Result<Outcome> {
        let raw = match build_message(self.config, draft, now) {
            Ok(raw) => raw,
            Err(err) => return self.fail(store, draft, &format!("{err:#}"), now),
        };
        let Some(imap) = imap else {
            let error = "smtp.drafts_only needs [imap] to file the message in Drafts; nothing was sent";
            return self.defer(store, draft, error, now);
        };
        let filed = async {
            let drafts = imap.special_mailboxes().await?.drafts.ok_or_else(|| MailError::Protocol {
                host: "the IMAP server".into(),
                reason: "no mailbox is marked \\Drafts: set imap.drafts_mailbox to its name".into(),
            })?;
            imap.append(&drafts, &raw, &["\\Draft"]).await?;
            Ok::<String, MailError>(drafts)
        }
        .await;
        match filed {
            Ok(mailbox) => {
                let reason = format!("filed in {mailbox} (smtp.drafts_only), not sent by debrief");
                let event = format!("draft {} ({}) {reason}", draft.id, draft.kind);
                self.record_sent(store, draft, Some(&reason), &event, now)?;
                Ok(Outcome::Filed)
            }
            Err(err) if err.is_transient() => self.defer(store, draft, &err.to_string(), now),
            Err(err) => self.fail(store, draft, &err.to_string(), now),
        }
    }

    /// Back to `approved`, later; or `failed` once the attempts are used up.
    fn defer(&self, store: &mut Store, draft: &DraftRow, error: &str, now: Timestamp) -> anyhow::Result<Outcome> {
        if draft.attempts >= MAX_ATTEMPTS {
            let error = format!("gave up after {} attempts; the last error: {error}", draft.attempts);
            return self.fail(store, draft, &error, now);
        }
        let retry_at = now + retry_delay(draft.attempts, 0.8 + fastrand::f64() * 0.4);
        tracing::warn!("Draft {} was not sent ({error}); next attempt at {retry_at}.", draft.id);
        let tx = store.transaction()?;
        if !store::defer_draft(&tx, draft.id, retry_at, error, now)? {
            tracing::warn!("Draft {} changed while it was being sent; its new state is kept.", draft.id);
        }
        tx.commit()?;
        Ok(Outcome::Deferred)
    }

    /// The message went (or was filed in Drafts): `sent`, recorded as outgoing for
    /// threading, with `event` in the history. The claim made it `sending`; meanwhile a
    /// `debrief sync` beside the daemon may have made it `unknown`, and the user may have
    /// asked to `resolve ... retry` it (`approved`): it did go, so `sent` is the truth in
    /// those states and keeps it from going twice. Any other state (rejected by the user
    /// after it became unknown) is the user's and is kept, with a warning.
    fn record_sent(
        &self,
        store: &mut Store,
        draft: &DraftRow,
        reason: Option<&str>,
        event: &str,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let tx = store.transaction()?;
        let from = [DraftStatus::Sending, DraftStatus::Unknown, DraftStatus::Approved];
        if store::mark_draft_sent(&tx, draft.id, &from, reason, now)? {
            store::insert_history(&tx, draft.application_id, now, None, None, event, &Cause::Clock)?;
        } else {
            let status = store::get_draft(&tx, draft.id)?.map(|row| row.status.to_string()).unwrap_or_default();
            tracing::warn!("Draft {} went out, but it was made {status} meanwhile; it stays {status}.", draft.id);
        }
        store::record_outgoing(&tx, draft, &self.config.identity.email, now)?;
        tx.commit()?;
        Ok(())
    }

    fn fail(&self, store: &mut Store, draft: &DraftRow, error: &str, now: Timestamp) -> anyhow::Result<Outcome> {
        self.settle(store, draft, DraftStatus::Failed, error, now)?;
        Ok(Outcome::Failed)
    }

    fn settle(
        &self,
        store: &mut Store,
        draft: &DraftRow,
        status: DraftStatus,
        error: &str,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let tx = store.transaction()?;
        if store::set_draft_outcome(&tx, draft.id, DraftStatus::Sending, status, error, now)? {
            tracing::warn!("Draft {} is {status}: {error}", draft.id);
            let event = format!("draft {} ({}) {status}: {error}", draft.id, draft.kind);
            store::insert_history(&tx, draft.application_id, now, None, None, &event, &Cause::Clock)?;
        } else {
            tracing::warn!("Draft {} changed while it was being sent ({error}); its new state is kept.", draft.id);
        }
        tx.commit()?;
        Ok(())
    }

    /// At start-up: `sending` rows become `unknown` (debrief stopped during their SMTP
    /// conversation, so they may have gone); `unknown` rows whose Message-ID is in the Sent
    /// mailbox (or Drafts, with drafts_only) become `sent`. Searching selects those
    /// mailboxes: select the watched mailbox again afterwards.
    pub async fn recover(
        &self,
        store: &mut Store,
        imap: Option<&mut ImapSession>,
        now: Timestamp,
    ) -> anyhow::Result<RecoverReport> {
        let mut report = RecoverReport::default();
        let tx = store.transaction()?;
        for draft in store::drafts_with_status(&tx, DraftStatus::Sending)? {
            let error = format!(
                "debrief stopped while sending it, so it may have gone out; it is looked for in Sent, else check and `debrief resolve {} sent` or `debrief resolve {} retry`",
                draft.id, draft.id
            );
            if !store::set_draft_outcome(&tx, draft.id, DraftStatus::Sending, DraftStatus::Unknown, &error, now)? {
                continue;
            }
            let event = format!("draft {} ({}) unknown: sending was interrupted", draft.id, draft.kind);
            store::insert_history(&tx, draft.application_id, now, None, None, &event, &Cause::Clock)?;
            report.interrupted.push(draft.id);
        }
        tx.commit()?;
        self.reconcile_into(store, imap, now, &mut report).await?;
        Ok(report)
    }

    /// The recurring half of [`Self::recover`]: `unknown` drafts found in Sent become
    /// `sent`. It leaves `sending` rows alone, since another process (a `debrief sync`
    /// beside the daemon) may be sending them right now.
    pub async fn reconcile(
        &self,
        store: &mut Store,
        imap: Option<&mut ImapSession>,
        now: Timestamp,
    ) -> anyhow::Result<RecoverReport> {
        let mut report = RecoverReport::default();
        self.reconcile_into(store, imap, now, &mut report).await?;
        Ok(report)
    }

    async fn reconcile_into(
        &self,
        store: &mut Store,
        imap: Option<&mut ImapSession>,
        now: Timestamp,
        report: &mut RecoverReport,
    ) -> anyhow::Result<()> {
        let unknown = store::drafts_with_status(store.conn(), DraftStatus::Unknown)?;
        let Some(imap) = imap else {
            report.still_unknown = unknown.iter().map(|draft| draft.id).collect();
            return Ok(());
        };
        if unknown.is_empty() {
            return Ok(());
        }
        let mailboxes = match imap.special_mailboxes().await {
            Ok(found) => {
                let mut names: Vec<String> = found.sent.into_iter().collect();
                if self.drafts_only() {
                    names.extend(found.drafts);
                }
                names
            }
            Err(err) => {
                report.lookup_error = Some(err.to_string());
                report.still_unknown = unknown.iter().map(|draft| draft.id).collect();
                return Ok(());
            }
        };
        if mailboxes.is_empty() {
            report.lookup_error = Some("no Sent mailbox found: set imap.sent_mailbox".into());
        }
        'drafts: for draft in unknown {
            for mailbox in &mailboxes {
                match imap.find_message_id(mailbox, &format!("<{}>", draft.message_id)).await {
                    Ok(true) => {
                        let reason = format!("found in {mailbox} after an interrupted send");
                        let event = format!("draft {} ({}) sent: {reason}", draft.id, draft.kind);
                        self.record_sent(store, &draft, Some(&reason), &event, now)?;
                        report.found_sent.push(draft.id);
                        continue 'drafts;
                    }
                    Ok(false) => {}
                    Err(err) => {
                        report.lookup_error = Some(err.to_string());
                        report.still_unknown.push(draft.id);
                        continue 'drafts;
                    }
                }
            }
            report.still_unknown.push(draft.id);
        }
        Ok(())
    }
}

/// A permanent refusal as `queue` shows it: the code and the server's own words.
fn failure_text(err: &SendError) -> String {
    match err {
        SendError::Rejected { code, text } => format!("the server refused it ({code}): {text}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ApplicationId;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn config() -> Config {
        let text = "[identity]\nname = \"Priya Raman\"\nemail = \"priya@example.net\"\ntime_zone = \"UTC\"\n";
        Config::from_toml(text, std::path::Path::new("/tmp/c.toml"), Some(0o600)).unwrap()
    }

    fn draft() -> DraftRow {
        DraftRow {
            id: DraftId(7),
            application_id: ApplicationId(1),
            kind: DraftKind::FollowUp,
            round_id: None,
            person_id: None,
            series: 1,
            number: 1,
            reply_to_message: None,
            to: vec!["jane@acme.example".into()],
            subject: "Re: Interview\r\nBcc: evil@attacker.example".into(),
            body: "Hi Jane,\n\nStill keen. Grüße.\n\nPriya\n".into(),
            message_id: "debrief.1.abc@example.net".into(),
            in_reply_to: Some("parent@acme.example".into()),
            references: vec!["root@acme.example".into(), "bad id\r\nX-Evil: 1".into(), "parent@acme.example".into()],
            status: DraftStatus::Approved,
            status_reason: None,
            send_at: ts("2026-12-01T10:00:00Z"),
            deadline: None,
            edited: false,
            needs_topic: false,
            attempts: 0,
            last_error: None,
            approved_at: Some(ts("2026-12-01T09:00:00Z")),
            approved_to: Some(vec!["Jane@Acme.example".into()]),
            sent_at: None,
            created_at: ts("2026-12-01T08:00:00Z"),
            updated_at: ts("2026-12-01T08:00:00Z"),
            hold_until: None,
        }
    }

    #[test]
    fn the_message_has_every_header_and_nothing_injected() {
        let raw = build_message(&config(), &draft(), ts("2026-12-01T10:00:00Z")).unwrap();
        let text = String::from_utf8(raw).unwrap();
        let (head, _) = text.split_once("\r\n\r\n").unwrap();
        for expected in [
            "From: \"Priya Raman\" <priya@example.net>",
            "To: jane@acme.example",
            "Subject: Re: Interview Bcc: evil@attacker.example",
            "Date: Tue, 01 Dec 2026 10:00:00 +0000",
            "Message-ID: <debrief.1.abc@example.net>",
            "In-Reply-To: <parent@acme.example>",
            "References: <root@acme.example> <parent@acme.example>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
        ] {
            assert!(head.contains(expected), "{expected:?} missing from\n{head}");
        }
        let names: Vec<&str> = head
            .lines()
            .filter(|line| !line.starts_with([' ', '\t']))
            .filter_map(|l| l.split_once(':'))
            .map(|(n, _)| n)
            .collect();
        assert!(
            !names.iter().any(|name| name.eq_ignore_ascii_case("bcc") || name.eq_ignore_ascii_case("x-evil")),
            "{names:?}"
        );
        let parsed = mail_parser::MessageParser::default().parse(text.as_bytes()).unwrap();
        assert_eq!(parsed.body_text(0).unwrap().replace("\r\n", "\n"), "Hi Jane,\n\nStill keen. Grüße.\n\nPriya\n");
    }

    #[test]
    fn a_bad_recipient_or_message_id_is_refused() {
        let mut bad = draft();
        bad.to = vec!["jane@acme.example\r\nBcc: x@y.example".into()];
        assert!(build_message(&config(), &bad, ts("2026-12-01T10:00:00Z")).is_err());
        let mut bad = draft();
        bad.message_id = "no-at-sign".into();
        assert!(build_message(&config(), &bad, ts("2026-12-01T10:00:00Z")).is_err());
    }

    #[test]
    fn only_approved_due_drafts_with_the_approved_recipients_may_leave() {
        let now = ts("2026-12-01T10:00:00Z");
        assert_eq!(refusal(&draft(), now, now), None, "case and order of addresses do not matter");
        let opening = ts("2026-12-01T16:00:00Z");
        let why = refusal(&draft(), now, opening).unwrap_or_default();
        assert!(why.contains("send window is closed"), "due, but the window opens later: {why:?}");
        type Change = fn(&mut DraftRow);
        let cases: [(&str, Change); 6] = [
            ("pending", |d| d.status = DraftStatus::Pending),
            ("no approval", |d| d.approved_at = None),
            ("recipients changed", |d| d.to.push("bob@acme.example".into())),
            ("not recorded", |d| d.approved_to = None),
            ("not due", |d| d.send_at = ts("2026-12-01T10:00:01Z")),
            ("held for undo", |d| d.hold_until = Some(ts("2026-12-01T10:00:01Z"))),
        ];
        for (expected, change) in cases {
            let mut changed = draft();
            change(&mut changed);
            let why = refusal(&changed, now, now).unwrap_or_default();
            assert!(why.contains(expected), "{expected}: {why:?}");
        }
        let mut hold_over = draft();
        hold_over.hold_until = Some(now);
        assert_eq!(refusal(&hold_over, now, now), None, "a hold that has ended no longer keeps it");
    }

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap() {
        let minutes: Vec<i64> = (1..=8).map(|attempt| retry_delay(attempt, 1.0).as_secs() / 60).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(retry_delay(1, 0.8).as_secs(), 48);
        assert_eq!(retry_delay(100, 1.2), SignedDuration::from_secs(72 * 60));
    }
}

//! An IMAP session for what debrief needs: find Sent and Drafts, read new messages by
//! UID, append copies, look a Message-ID up, and wait for new mail (IDLE, or a poll).
//!
//! [`ImapSession`] wraps async-imap over TCP, implicit TLS or STARTTLS (TLS always
//! verified, see `mail::tls`). Every network step has a timeout; a step that times out or
//! loses the connection leaves the session closed, and the next call says so, so that the
//! caller reconnects. This module keeps no progress of its own (UIDVALIDITY and the last
//! UID seen belong to the caller) and never parses messages: it returns raw bytes.

use crate::config::{AuthMethod, ImapConfig, Security, ServerConfig};
use crate::mail::error::redact;
use crate::mail::secrets::{Secret, fetch_secret};
use crate::mail::{MailError, tls};
use async_imap::imap_proto::{MailboxDatum, Response};
use async_imap::types::{NameAttribute, UnsolicitedResponse};
use async_imap::{Authenticator, Client, Session};
use futures_util::TryStreamExt;
use std::collections::HashMap;
use std::fmt::Debug;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{Instant, timeout};

/// How long a TCP connect (and the TLS handshake and greeting after it) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one command may take, a whole FETCH batch included.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// Messages larger than this are fetched in part: their first [`PARTIAL_FETCH_BYTES`].
pub const LARGE_MESSAGE_BYTES: u32 = 2 * 1024 * 1024;
/// How much of a large message is fetched: enough for the header and the text parts that
/// come before big attachments.
pub const PARTIAL_FETCH_BYTES: u32 = 256 * 1024;

/// Anything async-imap can run over: a TCP stream, or TLS over one.
trait ImapIo: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> ImapIo for T {}
type Stream = Box<dyn ImapIo>;

/// What the server can do, from CAPABILITY after login.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerCapabilities {
    pub idle: bool,
    pub special_use: bool,
    pub move_command: bool,
    pub uidplus: bool,
}

/// The mailboxes copies go to: the config's names, else the server's SPECIAL-USE ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecialMailboxes {
    pub sent: Option<String>,
    pub drafts: Option<String>,
}

/// A selected mailbox's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxState {
    pub uid_validity: u32,
    /// The UID the next message will get, when the server says (all current servers do).
    pub uid_next: Option<u32>,
    /// How many messages the mailbox holds.
    pub exists: u32,
}

/// One message as fetched.
#[derive(Clone, PartialEq, Eq)]
pub struct FetchedMessage {
    pub uid: u32,
    /// The whole message's size on the server (RFC822.SIZE).
    pub size: u32,
    /// The message, or its first [`PARTIAL_FETCH_BYTES`] when `truncated`.
    pub raw: Vec<u8>,
    /// True when the message was larger than [`LARGE_MESSAGE_BYTES`] and only its start was fetched.
    pub truncated: bool,
}

impl Debug for FetchedMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchedMessage")
            .field("uid", &self.uid)
            .field("size", &self.size)
            .field("raw_len", &self.raw.len())
            .field("truncated", &self.truncated)
            .finish()
    }
}

/// Why [`ImapSession::idle_until`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleOutcome {
    /// The selected mailbox has more messages than before: fetch them.
    NewMail,
    /// Nothing arrived within the timeout; call again (this also refreshes IDLE, which
    /// servers end after 30 minutes).
    TimedOut,
    /// The stop signal was raised.
    Stopped,
}

/// Runs one command on `$self`'s session with [`COMMAND_TIMEOUT`]: `run!(self, "WHAT",
/// |session| async-expression)`. A timeout or a lost connection closes the session, so
/// that every later call says to reconnect instead of talking into a broken stream.
macro_rules! run {
    ($self:ident, $what:expr, |$session:ident| $body:expr) => {{
        let what: &str = $what;
        let result = match $self.session.as_mut() {
            None => Err(closed(&$self.host, $self.port)),
            Some($session) => match timeout(COMMAND_TIMEOUT, $body).await {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(err)) => Err(imap_error(&$self.host, $self.port, what, err)),
                Err(_) => Err(MailError::ConnectionLost {
                    host: $self.host.clone(),
                    port: $self.port,
                    reason: format!("{what} timed out"),
                }),
            },
        };
        if matches!(result, Err(MailError::ConnectionLost { .. })) {
            $self.session = None;
        }
        result
    }};
}

/// A logged-in IMAP connection.
pub struct ImapSession {
    /// `None` once the connection is gone (a timeout or a drop); calls then fail.
    session: Option<Session<Stream>>,
    host: String,
    port: u16,
    capabilities: ServerCapabilities,
    use_idle: bool,
    sent_override: Option<String>,
    drafts_override: Option<String>,
    /// The selected mailbox and its message count as last seen.
    selected: Option<String>,
    exists: u32,
    /// The selected mailbox's numbers as SELECT gave them (UIDVALIDITY cannot change
    /// while it stays selected).
    selected_state: Option<MailboxState>,
}

impl Debug for ImapSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapSession")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("connected", &self.session.is_some())
            .field("capabilities", &self.capabilities)
            .field("selected", &self.selected)
            .finish()
    }
}

impl ImapSession {
    /// Fetches the secret, connects, secures the connection and logs in.
    pub async fn connect(config: &ImapConfig) -> Result<ImapSession, MailError> {
        let secret = fetch_secret(&config.server.secret).await?;
        ImapSession::connect_with_secret(config, &secret).await
    }

    /// [`ImapSession::connect`] with a secret the caller already has.
    pub async fn connect_with_secret(config: &ImapConfig, secret: &Secret) -> Result<ImapSession, MailError> {
        let server = &config.server;
        let stream = open_stream(server).await?;
        let client = Client::new(stream);
        let mut session = timeout(CONNECT_TIMEOUT, login(server, client, secret))
            .await
            .map_err(|_| lost(server, "the login timed out"))??;
        let capabilities = timeout(CONNECT_TIMEOUT, session.capabilities())
            .await
            .map_err(|_| lost(server, "CAPABILITY timed out"))?
            .map_err(|err| command_error(server, "CAPABILITY", err))?;
        let capabilities = ServerCapabilities {
            idle: capabilities.has_str("IDLE"),
            special_use: capabilities.has_str("SPECIAL-USE"),
            move_command: capabilities.has_str("MOVE"),
            uidplus: capabilities.has_str("UIDPLUS"),
        };
        tracing::debug!("Logged in to {}:{} as {} ({capabilities:?}).", server.host, server.port, server.username);
        Ok(ImapSession {
            session: Some(session),
            host: server.host.clone(),
            port: server.port,
            use_idle: capabilities.idle,
            capabilities,
            sent_override: config.sent_mailbox.clone(),
            drafts_override: config.drafts_mailbox.clone(),
            selected: None,
            exists: 0,
            selected_state: None,
        })
    }

    pub fn capabilities(&self) -> &ServerCapabilities {
        &self.capabilities
    }

    /// Polls (NOOP) instead of using IDLE even when the server has it; for servers whose
    /// IDLE misbehaves, and to test the poll path.
    pub fn prefer_polling(&mut self) {
        self.use_idle = false;
    }

    /// True while the connection is usable.
    pub fn is_connected(&self) -> bool {
        self.session.is_some()
    }

    /// Sent and Drafts: the config's names where set, else the mailboxes the server marks
    /// `\Sent` and `\Drafts` (SPECIAL-USE), else `None`.
    pub async fn special_mailboxes(&mut self) -> Result<SpecialMailboxes, MailError> {
        let mut found = SpecialMailboxes { sent: self.sent_override.clone(), drafts: self.drafts_override.clone() };
        if found.sent.is_some() && found.drafts.is_some() {
            return Ok(found);
        }
        // Dovecot and most servers mark special mailboxes in a plain LIST; RFC 6154 servers
        // that need `RETURN (SPECIAL-USE)` are rare enough not to ask for it.
        let names = run!(self, "LIST", |session| async move {
            let names: Vec<_> = session.list(Some(""), Some("*")).await?.try_collect().await?;
            Ok(names)
        })?;
        for name in &names {
            for attribute in name.attributes() {
                match attribute {
                    NameAttribute::Sent if found.sent.is_none() => found.sent = Some(name.name().to_owned()),
                    NameAttribute::Drafts if found.drafts.is_none() => found.drafts = Some(name.name().to_owned()),
                    _ => {}
                }
            }
        }
        Ok(found)
    }

    /// Selects `mailbox` (read-write) and returns its UIDVALIDITY, UIDNEXT and size.
    pub async fn select(&mut self, mailbox: &str) -> Result<MailboxState, MailError> {
        let name = mailbox.to_owned();
        let selected = run!(self, "SELECT", |session| async move { session.select(&name).await })?;
        let Some(uid_validity) = selected.uid_validity else {
            return Err(self.protocol(format!("SELECT {mailbox} gave no UIDVALIDITY")));
        };
        self.drain_unsolicited();
        self.selected = Some(mailbox.to_owned());
        self.exists = selected.exists;
        let state = MailboxState { uid_validity, uid_next: selected.uid_next, exists: selected.exists };
        self.selected_state = Some(state);
        Ok(state)
    }

    /// Selects `mailbox` unless it is the selected one already: a read after an IDLE wake
    /// costs a NOOP (which makes the server show what arrived since), not a second
    /// SELECT (45-60 ms on a large mailbox). `exists` is kept current by the server's
    /// EXISTS responses; `uid_next` is as of the SELECT.
    pub async fn ensure_selected(&mut self, mailbox: &str) -> Result<MailboxState, MailError> {
        if self.session.is_some()
            && self.selected.as_deref() == Some(mailbox)
            && let Some(state) = self.selected_state
        {
            run!(self, "NOOP", |session| async move { session.noop().await })?;
            self.drain_unsolicited();
            return Ok(MailboxState { exists: self.exists, ..state });
        }
        self.select(mailbox).await
    }

    /// The UIDs above `after_uid` in the selected mailbox, ascending: one UID SEARCH,
    /// a few bytes per message.
    pub async fn uids_after(&mut self, after_uid: u32) -> Result<Vec<u32>, MailError> {
        let query = format!("UID {}:*", after_uid.saturating_add(1));
        let uids = run!(self, "UID SEARCH", |session| async move { session.uid_search(&query).await })?;
        // `N:*` also matches the last message when every UID is below N.
        let mut uids: Vec<u32> = uids.into_iter().filter(|uid| *uid > after_uid).collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// Fetches a prefix of `uids` (ascending, from [`ImapSession::uids_after`]) that fits
    /// in `max_bytes` (at least one message): the sizes of these messages only, then
    /// the small ones whole and the large ones in part, two commands. Returns how many
    /// of `uids` it covered, and the messages (fewer when some were expunged meanwhile).
    pub async fn fetch_batch(
        &mut self,
        uids: &[u32],
        max_bytes: usize,
    ) -> Result<(usize, Vec<FetchedMessage>), MailError> {
        if uids.is_empty() {
            return Ok((0, Vec::new()));
        }
        let set = uid_set(uids);
        let fetched = run!(self, "UID FETCH", |session| async move {
            let fetches: Vec<_> = session.uid_fetch(&set, "(UID RFC822.SIZE)").await?.try_collect().await?;
            Ok(fetches)
        })?;
        let all_sizes: HashMap<u32, u32> =
            fetched.iter().filter_map(|fetch| Some((fetch.uid?, fetch.size.unwrap_or(0)))).collect();
        drop(fetched);
        let mut consumed = 0;
        let mut bytes = 0usize;
        let mut sizes: HashMap<u32, u32> = HashMap::new();
        for uid in uids {
            let cost = all_sizes.get(uid).map_or(0, |size| {
                if *size > LARGE_MESSAGE_BYTES { PARTIAL_FETCH_BYTES as usize } else { *size as usize }
            });
            if consumed > 0 && bytes + cost > max_bytes {
                break;
            }
            bytes += cost;
            consumed += 1;
            if let Some(size) = all_sizes.get(uid) {
                sizes.insert(*uid, *size);
            }
        }
        let messages = self.fetch_bodies(&sizes).await?;
        Ok((consumed, messages))
    }

    /// UIDs in the selected mailbox of messages that arrived on or after `date` (the
    /// server's internal date), ascending: the first scan of a mailbox.
    pub async fn uid_search_since(&mut self, date: jiff::civil::Date) -> Result<Vec<u32>, MailError> {
        let query = format!("SINCE {}", imap_date(date));
        let uids = run!(self, "UID SEARCH", |session| async move { session.uid_search(&query).await })?;
        let mut uids: Vec<u32> = uids.into_iter().collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// Up to `batch_size` messages of the selected mailbox whose UID is above `after_uid`,
    /// in UID order. Call again with the last UID returned until the result is empty.
    /// (A watcher's pass uses [`ImapSession::uids_after`] once and then
    /// [`ImapSession::fetch_batch`], which ask for no size beyond the batch.)
    pub async fn fetch_new(&mut self, after_uid: u32, batch_size: usize) -> Result<Vec<FetchedMessage>, MailError> {
        let uids = self.uids_after(after_uid).await?;
        let batch = &uids[..uids.len().min(batch_size.max(1))];
        Ok(self.fetch_batch(batch, usize::MAX).await?.1)
    }

    /// The messages of `sizes` (UID → whole size): small ones whole, large ones in part.
    async fn fetch_bodies(&mut self, sizes: &HashMap<u32, u32>) -> Result<Vec<FetchedMessage>, MailError> {
        let small: Vec<u32> =
            sizes.iter().filter(|(_, size)| **size <= LARGE_MESSAGE_BYTES).map(|(uid, _)| *uid).collect();
        let large: Vec<u32> =
            sizes.iter().filter(|(_, size)| **size > LARGE_MESSAGE_BYTES).map(|(uid, _)| *uid).collect();
        let mut messages = Vec::with_capacity(sizes.len());
        for (uids, items, truncated) in [
            (small, "(UID BODY.PEEK[])".to_owned(), false),
            (large, format!("(UID BODY.PEEK[]<0.{PARTIAL_FETCH_BYTES}>)"), true),
        ] {
            if uids.is_empty() {
                continue;
            }
            let set = uid_set(&uids);
            let fetched = run!(self, "UID FETCH", |session| async move {
                let fetches: Vec<_> = session.uid_fetch(&set, &items).await?.try_collect().await?;
                Ok(fetches)
            })?;
            for fetch in fetched {
                let (Some(uid), Some(raw)) = (fetch.uid, fetch.body()) else { continue };
                if let Some(size) = sizes.get(&uid) {
                    messages.push(FetchedMessage { uid, size: *size, raw: raw.to_vec(), truncated });
                }
            }
        }
        messages.sort_by_key(|message| message.uid);
        Ok(messages)
    }

    /// Appends `raw` to `mailbox` with `flags` (e.g. `["\\Seen"]` for Sent, `["\\Draft"]`
    /// for Drafts).
    pub async fn append(&mut self, mailbox: &str, raw: &[u8], flags: &[&str]) -> Result<(), MailError> {
        if flags.iter().any(|flag| !flag.chars().all(|c| c == '\\' || c == '$' || c.is_ascii_alphanumeric())) {
            return Err(self.protocol(format!("refusing to append with an odd flag in {flags:?}")));
        }
        let flags = (!flags.is_empty()).then(|| format!("({})", flags.join(" ")));
        let name = mailbox.to_owned();
        run!(self, "APPEND", |session| async move { session.append(&name, flags.as_deref(), None, raw).await })
    }

    /// True when `mailbox` holds a message whose Message-ID header contains `message_id`.
    /// This selects `mailbox`: select the watched mailbox again before idling.
    pub async fn find_message_id(&mut self, mailbox: &str, message_id: &str) -> Result<bool, MailError> {
        if message_id.is_empty() || message_id.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
            return Err(self.protocol(format!("refusing to search for the Message-ID {message_id:?}")));
        }
        self.select(mailbox).await?;
        let query = format!("HEADER Message-ID \"{message_id}\"");
        let uids = run!(self, "UID SEARCH", |session| async move { session.uid_search(&query).await })?;
        Ok(!uids.is_empty())
    }

    /// Waits until the selected mailbox gets new mail, `timeout` passes, or `stop` turns
    /// true. Uses IDLE when the server has it; otherwise waits out `timeout` (the poll
    /// interval) and asks with NOOP. Either way the caller loops: fetch on `NewMail`,
    /// call again on `TimedOut`, leave on `Stopped`.
    pub async fn idle_until(
        &mut self,
        timeout_after: Duration,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<IdleOutcome, MailError> {
        if self.selected.is_none() {
            return Err(self.protocol("idle_until needs a selected mailbox; call select first".into()));
        }
        if *stop.borrow() {
            return Ok(IdleOutcome::Stopped);
        }
        // A message may have arrived during an earlier command.
        if self.drain_unsolicited() {
            return Ok(IdleOutcome::NewMail);
        }
        if self.use_idle { self.idle(timeout_after, stop).await } else { self.poll(timeout_after, stop).await }
    }

    async fn poll(&mut self, wait: Duration, stop: &mut watch::Receiver<bool>) -> Result<IdleOutcome, MailError> {
        tokio::select! {
            _ = async { let _ = stop.wait_for(|stopped| *stopped).await; } => return Ok(IdleOutcome::Stopped),
            _ = tokio::time::sleep(wait) => {}
        }
        run!(self, "NOOP", |session| async move { session.noop().await })?;
        Ok(if self.drain_unsolicited() { IdleOutcome::NewMail } else { IdleOutcome::TimedOut })
    }

    async fn idle(&mut self, wait: Duration, stop: &mut watch::Receiver<bool>) -> Result<IdleOutcome, MailError> {
        let Some(session) = self.session.take() else {
            return Err(self.closed());
        };
        let mut handle = session.idle();
        match timeout(COMMAND_TIMEOUT, handle.init()).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => return Err(self.failed("IDLE", err)),
            Err(_) => return Err(self.timed_out("IDLE")),
        }
        let deadline = Instant::now() + wait;
        let outcome = loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                break IdleOutcome::TimedOut;
            }
            let (response, interrupt) = handle.wait_with_timeout(remaining);
            tokio::pin!(response);
            let mut interrupt = Some(interrupt);
            let result = tokio::select! {
                result = &mut response => result,
                _ = async { let _ = stop.wait_for(|stopped| *stopped).await; } => {
                    // Dropping the stop source ends the wait with ManualInterrupt.
                    drop(interrupt.take());
                    response.await
                }
            };
            use async_imap::extensions::idle::IdleResponse;
            match result {
                Ok(IdleResponse::NewData(data)) => match data.parsed() {
                    Response::MailboxData(MailboxDatum::Exists(count)) => {
                        self.exists = *count;
                        break IdleOutcome::NewMail;
                    }
                    Response::MailboxData(MailboxDatum::Recent(_)) => {}
                    Response::Data { status: async_imap::imap_proto::Status::Bye, outcome, .. } => {
                        let said = outcome.information.as_deref().unwrap_or("").to_owned();
                        self.session = None;
                        return Err(MailError::ConnectionLost {
                            host: self.host.clone(),
                            port: self.port,
                            reason: format!("the server ended the session during IDLE: {said}"),
                        });
                    }
                    // Expunges and flag changes: nothing new to read; keep waiting.
                    other => tracing::trace!("IDLE on {} reported {other:?}.", self.host),
                },
                Ok(IdleResponse::Timeout) => break IdleOutcome::TimedOut,
                Ok(IdleResponse::ManualInterrupt) if *stop.borrow() => break IdleOutcome::Stopped,
                // async-imap reports the end of the stream the same way as an interrupt.
                Ok(IdleResponse::ManualInterrupt) => {
                    self.session = None;
                    return Err(MailError::ConnectionLost {
                        host: self.host.clone(),
                        port: self.port,
                        reason: "the server closed the connection during IDLE".into(),
                    });
                }
                Err(err) => return Err(self.failed("IDLE", err)),
            }
        };
        match timeout(COMMAND_TIMEOUT, handle.done()).await {
            Ok(Ok(session)) => self.session = Some(session),
            Ok(Err(err)) => return Err(self.failed("DONE", err)),
            Err(_) => return Err(self.timed_out("DONE")),
        }
        Ok(outcome)
    }

    /// Logs out and closes the connection; errors are not interesting at this point.
    pub async fn logout(mut self) {
        if let Some(mut session) = self.session.take() {
            let _ = timeout(Duration::from_secs(5), session.logout()).await;
        }
    }

    /// Moves pending unsolicited responses out of async-imap's bounded channel (so it never
    /// fills) and reports whether any said the mailbox grew.
    fn drain_unsolicited(&mut self) -> bool {
        let Some(session) = self.session.as_mut() else { return false };
        let mut grew = false;
        while let Ok(response) = session.unsolicited_responses.try_recv() {
            if let UnsolicitedResponse::Exists(count) = response {
                if count > self.exists {
                    grew = true;
                }
                self.exists = count;
            }
        }
        grew
    }

    fn protocol(&self, reason: String) -> MailError {
        MailError::Protocol { host: self.host.clone(), reason }
    }

    fn closed(&self) -> MailError {
        closed(&self.host, self.port)
    }

    fn failed(&mut self, what: &str, err: async_imap::error::Error) -> MailError {
        self.session = None;
        imap_error(&self.host, self.port, what, err)
    }

    fn timed_out(&mut self, what: &str) -> MailError {
        self.session = None;
        MailError::ConnectionLost { host: self.host.clone(), port: self.port, reason: format!("{what} timed out") }
    }
}

fn closed(host: &str, port: u16) -> MailError {
    MailError::ConnectionLost {
        host: host.to_owned(),
        port,
        reason: "the session was closed after an earlier failure; reconnect".into(),
    }
}

fn lost(server: &ServerConfig, reason: &str) -> MailError {
    MailError::ConnectionLost { host: server.host.clone(), port: server.port, reason: reason.to_owned() }
}

/// An async-imap error on a logged-in session, sorted for the caller.
fn imap_error(host: &str, port: u16, what: &str, err: async_imap::error::Error) -> MailError {
    use async_imap::error::Error;
    match err {
        Error::Io(_) | Error::ConnectionLost => {
            MailError::ConnectionLost { host: host.to_owned(), port, reason: format!("{what}: {err}") }
        }
        Error::No(text) | Error::Bad(text) => MailError::Protocol {
            host: host.to_owned(),
            reason: format!("{what} was refused: {}", server_words(&text)),
        },
        other => MailError::Protocol { host: host.to_owned(), reason: format!("{what}: {other}") },
    }
}

fn command_error(server: &ServerConfig, what: &str, err: async_imap::error::Error) -> MailError {
    imap_error(&server.host, server.port, what, err)
}

/// TCP, then TLS (implicit, or after STARTTLS), then the greeting.
async fn open_stream(server: &ServerConfig) -> Result<Stream, MailError> {
    tls::refuse_plain_text_to_remote_host(server)?;
    let unreachable = |reason: String| MailError::Unreachable { host: server.host.clone(), port: server.port, reason };
    let tcp = match timeout(CONNECT_TIMEOUT, TcpStream::connect((server.host.as_str(), server.port))).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(err)) => return Err(unreachable(err.to_string())),
        Err(_) => return Err(unreachable(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()))),
    };
    let _ = tcp.set_nodelay(true);
    // With STARTTLS the greeting comes before the upgrade; otherwise after TLS (if any).
    let tcp = if server.security == Security::Starttls { starttls(server, tcp).await? } else { tcp };
    let stream: Stream = match server.security {
        Security::Plain => Box::new(tcp),
        Security::Tls | Security::Starttls => Box::new(
            timeout(CONNECT_TIMEOUT, tls_handshake(server, tcp))
                .await
                .map_err(|_| lost(server, "the TLS handshake timed out"))??,
        ),
    };
    let mut client = Client::new(stream);
    if server.security != Security::Starttls {
        timeout(CONNECT_TIMEOUT, read_greeting(server, &mut client))
            .await
            .map_err(|_| lost(server, "no greeting"))??;
    }
    Ok(client.into_inner())
}

/// Reads the greeting and asks for STARTTLS; returns the TCP stream, ready for the handshake.
async fn starttls(server: &ServerConfig, tcp: TcpStream) -> Result<TcpStream, MailError> {
    let mut client = Client::new(tcp);
    timeout(CONNECT_TIMEOUT, read_greeting(server, &mut client)).await.map_err(|_| lost(server, "no greeting"))??;
    let upgrade = timeout(CONNECT_TIMEOUT, client.run_command_and_check_ok("STARTTLS", None))
        .await
        .map_err(|_| lost(server, "STARTTLS timed out"))?;
    if let Err(err) = upgrade {
        return Err(MailError::Tls {
            host: server.host.clone(),
            reason: format!("the server refused STARTTLS ({err}); use security = \"tls\" and its TLS port"),
        });
    }
    Ok(client.into_inner())
}

async fn tls_handshake(
    server: &ServerConfig,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, MailError> {
    let config = tls::client_config(server)?;
    let name =
        tokio_rustls::rustls::pki_types::ServerName::try_from(server.host.clone()).map_err(|err| MailError::Tls {
            host: server.host.clone(),
            reason: format!("{:?} is not a valid host name: {err}", server.host),
        })?;
    tokio_rustls::TlsConnector::from(config).connect(name, tcp).await.map_err(|err| tls::handshake_error(server, err))
}

async fn read_greeting<T>(server: &ServerConfig, client: &mut Client<T>) -> Result<(), MailError>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + Debug,
{
    let response = client.read_response().await.map_err(|err| lost(server, &format!("reading the greeting: {err}")))?;
    let Some(response) = response else {
        return Err(lost(server, "the server closed the connection before greeting"));
    };
    match response.parsed() {
        Response::Data { status: async_imap::imap_proto::Status::Ok, .. } => Ok(()),
        other => Err(MailError::Protocol {
            host: server.host.clone(),
            reason: format!("the greeting was not \"* OK\" but {other:?}"),
        }),
    }
}

/// SASL PLAIN: `\0user\0password`.
struct PlainAuth<'a> {
    username: &'a str,
    password: &'a str,
}

impl Authenticator for PlainAuth<'_> {
    type Response = Vec<u8>;
    fn process(&mut self, _challenge: &[u8]) -> Vec<u8> {
        format!("\0{}\0{}", self.username, self.password).into_bytes()
    }
}

/// XOAUTH2: `user=U^Aauth=Bearer T^A^A`, then an empty answer to the error challenge a
/// server sends when it refuses the token.
struct XOAuth2<'a> {
    username: &'a str,
    token: &'a str,
    sent: bool,
}

impl Authenticator for XOAuth2<'_> {
    type Response = Vec<u8>;
    fn process(&mut self, _challenge: &[u8]) -> Vec<u8> {
        if std::mem::replace(&mut self.sent, true) {
            return Vec::new();
        }
        format!("user={}\x01auth=Bearer {}\x01\x01", self.username, self.token).into_bytes()
    }
}

/// Logs in: `plain` is SASL PLAIN (AUTHENTICATE), `login` the IMAP LOGIN command (what
/// "login" means to IMAP servers), `xoauth2` SASL XOAUTH2 with the token. Every error text
/// is scrubbed of the secret.
async fn login(server: &ServerConfig, client: Client<Stream>, secret: &Secret) -> Result<Session<Stream>, MailError> {
    let password = secret.expose();
    let username = server.username.as_str();
    let result = match server.auth {
        AuthMethod::Plain => client.authenticate("PLAIN", PlainAuth { username, password }).await,
        AuthMethod::Login => client.login(username, password).await,
        AuthMethod::Xoauth2 => client.authenticate("XOAUTH2", XOAuth2 { username, token: password, sent: false }).await,
    };
    result.map_err(|(err, _client)| {
        use async_imap::error::Error;
        let auth = |reason: String| MailError::Auth {
            host: server.host.clone(),
            username: server.username.clone(),
            reason: redact(&reason, password),
        };
        match err {
            Error::No(text) => auth(server_words(&text)),
            Error::Bad(text) => auth(format!("the server rejected the command ({})", server_words(&text))),
            // async-imap names the offending character; never show a character of the secret.
            Error::Validate(_) => auth("the username or password holds a character IMAP cannot send".into()),
            Error::Io(_) | Error::ConnectionLost => lost(server, &redact(&format!("during login: {err}"), password)),
            other => MailError::Protocol {
                host: server.host.clone(),
                reason: redact(&format!("during login: {other}"), password),
            },
        }
    })
}

/// The server's own words from async-imap's text for a NO or BAD answer, which reads
/// `code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")`.
fn server_words(text: &str) -> String {
    match text.split_once("info: Some(\"").and_then(|(_, rest)| rest.rsplit_once("\")")) {
        Some((words, _)) => words.replace("\\\"", "\""),
        None => text.to_owned(),
    }
}

/// `1-Feb-2026`, the date format of IMAP SEARCH.
fn imap_date(date: jiff::civil::Date) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS[usize::try_from(date.month() - 1).unwrap_or(0)];
    format!("{}-{month}-{}", date.day(), date.year())
}

/// A compact UID set: `3:5,9,12:13`.
fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut index = 0;
    while index < sorted.len() {
        let start = sorted[index];
        let mut end = start;
        while index + 1 < sorted.len() && sorted[index + 1] == end + 1 {
            index += 1;
            end = sorted[index];
        }
        parts.push(if start == end { start.to_string() } else { format!("{start}:{end}") });
        index += 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_words_are_taken_out_of_async_imaps_text() {
        let text = r#"code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")"#;
        assert_eq!(server_words(text), "[AUTHENTICATIONFAILED] Authentication failed.");
        assert_eq!(server_words("plain words"), "plain words");
    }

    #[test]
    fn uid_sets_are_compact() {
        assert_eq!(uid_set(&[12, 3, 4, 5, 9, 13, 4]), "3:5,9,12:13");
        assert_eq!(uid_set(&[7]), "7");
    }

    #[test]
    fn search_dates_use_english_month_names() {
        assert_eq!(imap_date(jiff::civil::date(2026, 2, 1)), "1-Feb-2026");
        assert_eq!(imap_date(jiff::civil::date(2025, 12, 31)), "31-Dec-2025");
    }

    #[test]
    fn authenticators_send_the_sasl_forms() {
        let mut plain = PlainAuth { username: "u", password: "p" };
        assert_eq!(plain.process(b""), b"\0u\0p");
        let mut oauth = XOAuth2 { username: "u", token: "t", sent: false };
        assert_eq!(oauth.process(b""), b"user=u\x01auth=Bearer t\x01\x01");
        assert!(oauth.process(b"{\"status\":\"401\"}").is_empty());
    }
}

//! Sending one rendered message over SMTP with lettre, and saying what went wrong.
//!
//! [`SmtpSender`] is lettre's `AsyncSmtpTransport` set up from `[smtp]`: implicit TLS
//! (`Tls::Wrapper`), STARTTLS that must succeed (`Tls::Required`), or no TLS (loopback
//! only, which the config enforces); TLS verified against the platform roots plus
//! `ca_file`; PLAIN, LOGIN or XOAUTH2. It sends bytes it is given and does not build,
//! parse or store messages; the caller decides from [`SendError`] whether to retry.

use crate::config::{AuthMethod, Security, SmtpConfig};
use crate::mail::error::redact;
use crate::mail::secrets::{Secret, fetch_secret};
use crate::mail::{MailError, tls};
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

/// How long one SMTP command may take.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a message was not sent, and whether trying again may help.
///
/// A transient error does not prove the message was not delivered: a connection that
/// dropped after the final dot may have delivered it. The caller's outbox records the
/// attempt before sending for that reason.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// The server refused for good (5xx): a bad recipient, a policy, a message too large.
    #[error("the server refused the message ({code}): {text}")]
    Rejected { code: u16, text: String },
    /// Try again later: a 4xx answer, or no connection could be made (refused, timed out).
    #[error("sending failed for now{}: {text}; it will be retried", code.map(|code| format!(" ({code})")).unwrap_or_default())]
    Deferred { code: Option<u16>, text: String },
    /// The connection failed after the SMTP conversation began (a read or write error, a
    /// timeout, no final answer). lettre does not say whether the final dot had gone out,
    /// so the message may have been delivered: sending it again could send it twice.
    #[error("the connection was lost during the SMTP conversation: {text}; the message may have been delivered")]
    Interrupted { text: String },
    /// The connection could not be made usable: unreachable, TLS, login, secret.
    #[error(transparent)]
    Mail(#[from] MailError),
}

impl SendError {
    /// True when the same message may go through later without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            SendError::Rejected { .. } => false,
            SendError::Deferred { .. } => true,
            SendError::Interrupted { .. } => false,
            SendError::Mail(err) => err.is_transient(),
        }
    }

    /// True when the message may have reached the server although no success was seen: it
    /// must not be sent again without checking (SPEC §6, invariant 2).
    pub fn may_have_been_delivered(&self) -> bool {
        matches!(self, SendError::Interrupted { .. })
    }

    /// True when the server refused the message itself (5xx): sending it again will fail.
    pub fn is_permanent(&self) -> bool {
        matches!(self, SendError::Rejected { .. })
    }

    /// The server's reply code, when it gave one.
    pub fn code(&self) -> Option<u16> {
        match self {
            SendError::Rejected { code, .. } => Some(*code),
            SendError::Deferred { code, .. } => *code,
            SendError::Interrupted { .. } | SendError::Mail(_) => None,
        }
    }
}

/// A configured SMTP client. Cheap to keep: connections are made when sending.
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    host: String,
    port: u16,
    username: String,
    /// Kept only to scrub it from error texts; never printed.
    secret: Secret,
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender").field("host", &self.host).field("port", &self.port).finish_non_exhaustive()
    }
}

impl SmtpSender {
    /// Fetches the secret and sets up the transport (nothing is connected yet).
    pub async fn connect(config: &SmtpConfig) -> Result<SmtpSender, MailError> {
        let secret = fetch_secret(&config.server.secret).await?;
        SmtpSender::new(config, secret)
    }

    /// Sets up the transport with a secret the caller already has.
    pub fn new(config: &SmtpConfig, secret: Secret) -> Result<SmtpSender, MailError> {
        let server = &config.server;
        tls::refuse_plain_text_to_remote_host(server)?;
        let tls_error = |reason: String| MailError::Tls { host: server.host.clone(), reason };
        let tls_parameters = || -> Result<TlsParameters, MailError> {
            let mut builder = TlsParameters::builder(server.host.clone());
            if let Some(path) = &server.ca_file {
                for der in tls::read_ca_file(path).map_err(tls_error)? {
                    let certificate = Certificate::from_der(der.to_vec())
                        .map_err(|err| tls_error(format!("a certificate in {} is unusable: {err}", path.display())))?;
                    builder = builder.add_root_certificate(certificate);
                }
            }
            builder.build_rustls().map_err(|err| tls_error(format!("cannot set up TLS: {err}")))
        };
        let tls = match server.security {
            Security::Tls => Tls::Wrapper(tls_parameters()?),
            Security::Starttls => Tls::Required(tls_parameters()?),
            Security::Plain => Tls::None,
        };
        let mechanism = match server.auth {
            AuthMethod::Plain => Mechanism::Plain,
            AuthMethod::Login => Mechanism::Login,
            AuthMethod::Xoauth2 => Mechanism::Xoauth2,
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server.host.clone())
            .port(server.port)
            .tls(tls)
            .credentials(Credentials::new(server.username.clone(), secret.expose().to_owned()))
            .authentication(vec![mechanism])
            .timeout(Some(COMMAND_TIMEOUT))
            .build();
        Ok(SmtpSender {
            transport,
            host: server.host.clone(),
            port: server.port,
            username: server.username.clone(),
            secret,
        })
    }

    /// Sends `raw` (a complete RFC 5322 message, CRLF line ends) from `from` to each of `to`.
    /// Succeeds only when the server accepted every recipient and the data.
    pub async fn send_raw(&self, from: &str, to: &[String], raw: &[u8]) -> Result<(), SendError> {
        let invalid = |what: &str, address: &str| SendError::Rejected {
            code: 501,
            text: format!("{what} {address:?} is not an address debrief can send to"),
        };
        let sender: Address = from.parse().map_err(|_| invalid("the sender", from))?;
        let recipients = to
            .iter()
            .map(|address| address.parse::<Address>().map_err(|_| invalid("the recipient", address)))
            .collect::<Result<Vec<_>, _>>()?;
        let envelope = Envelope::new(Some(sender), recipients)
            .map_err(|err| SendError::Rejected { code: 501, text: format!("no usable envelope: {err}") })?;
        // lettre always ends the data with CRLF.CRLF, taking the message's own last CRLF to
        // be missing; without this, every message ending in CRLF would gain an empty line.
        let data = raw.strip_suffix(b"\r\n").or_else(|| raw.strip_suffix(b"\n")).unwrap_or(raw);
        match self.transport.send_raw(&envelope, data).await {
            Ok(_) => {
                tracing::debug!(
                    "Sent a message of {} bytes to {} recipient(s) via {}.",
                    raw.len(),
                    to.len(),
                    self.host
                );
                Ok(())
            }
            Err(err) => {
                let error = self.classify(&err);
                tracing::warn!("Sending via {}:{} failed: {error:#}", self.host, self.port);
                Err(error)
            }
        }
    }

    /// Connects, secures, logs in and says NOOP: what `debrief doctor` checks.
    pub async fn test_connection(&self) -> Result<(), MailError> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => {
                Err(MailError::Protocol { host: self.host.clone(), reason: "the server did not answer NOOP".into() })
            }
            Err(err) => match self.classify(&err) {
                SendError::Mail(mail) => Err(mail),
                SendError::Rejected { code, text } => {
                    Err(MailError::Protocol { host: self.host.clone(), reason: format!("it answered {code}: {text}") })
                }
                SendError::Deferred { text, .. } | SendError::Interrupted { text } => {
                    Err(MailError::ConnectionLost { host: self.host.clone(), port: self.port, reason: text })
                }
            },
        }
    }

    /// Sorts a lettre error into what the caller can act on.
    fn classify(&self, err: &lettre::transport::smtp::Error) -> SendError {
        let mut text = redact(&error_chain(err), self.secret.expose());
        let code = err.status().map(u16::from);
        if code.is_some() {
            // "permanent error (550): 5.1.1 ...": the code is shown by SendError already.
            if let Some((_, server_words)) = text.split_once("): ") {
                text = server_words.to_owned();
            }
        }
        // A refused login is an answer too (535, 534), but the fix is the credentials.
        if matches!(code, Some(534 | 535)) || (err.is_client() && text.contains("authentication")) {
            return SendError::Mail(MailError::Auth {
                host: self.host.clone(),
                username: self.username.clone(),
                reason: text,
            });
        }
        if err.is_permanent() {
            return SendError::Rejected { code: code.unwrap_or(500), text };
        }
        if err.is_transient() {
            return SendError::Deferred { code, text };
        }
        if err.is_tls() || tls_refusal(err) {
            return SendError::Mail(MailError::Tls { host: self.host.clone(), reason: text });
        }
        if let Some(io) = io_error(err) {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionRefused | HostUnreachable | NetworkUnreachable | NotFound | AddrNotAvailable
            ) {
                return SendError::Mail(MailError::Unreachable {
                    host: self.host.clone(),
                    port: self.port,
                    reason: text,
                });
            }
        }
        // lettre says "Connection error" for failures to connect (TCP, TLS handshake) and
        // "network error" or "response error" once the conversation is under way.
        if err.to_string().starts_with("Connection error") || err.is_transport_shutdown() {
            return SendError::Deferred { code: None, text };
        }
        SendError::Interrupted { text }
    }
}

/// lettre's message plus its sources, on one line, without repeated parts
/// ("Connection error: Connection error: ..." becomes "Connection error: ...").
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = String::new();
    for inner in chain(err) {
        let more = inner.to_string();
        if !text.contains(&more) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&more);
        }
    }
    let mut parts: Vec<&str> = text.split(": ").collect();
    parts.dedup();
    parts.join(": ").replace(['\r', '\n'], " ")
}

/// The error and its sources, outermost first.
fn chain<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |inner| inner.source())
}

fn io_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    chain(err).find_map(|inner| inner.downcast_ref::<std::io::Error>())
}

/// True when a rustls error (a refused certificate, a failed handshake) is in the chain,
/// directly or inside an I/O error.
fn tls_refusal(err: &(dyn std::error::Error + 'static)) -> bool {
    let is_rustls = |inner: &(dyn std::error::Error + 'static)| inner.is::<tokio_rustls::rustls::Error>();
    chain(err).any(|inner| {
        is_rustls(inner)
            || inner.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()).is_some_and(|inner| is_rustls(inner))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_are_permanent_and_deferrals_transient() {
        let rejected = SendError::Rejected { code: 550, text: "no such user".into() };
        assert!(rejected.is_permanent() && !rejected.is_transient());
        assert_eq!(rejected.code(), Some(550));
        let deferred = SendError::Deferred { code: Some(451), text: "try later".into() };
        assert!(deferred.is_transient() && !deferred.is_permanent());
        assert_eq!(deferred.to_string(), "sending failed for now (451): try later; it will be retried");
    }

    #[test]
    fn error_chains_read_once() {
        let io = std::io::Error::other("Connection refused");
        assert_eq!(error_chain(&io), "Connection refused");
        #[derive(Debug, thiserror::Error)]
        #[error("Connection error: Connection error: {0}")]
        struct Twice(#[source] std::io::Error);
        assert_eq!(error_chain(&Twice(io)), "Connection error: Connection refused");
    }
}

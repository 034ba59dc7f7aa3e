//! Mail sources and sinks: IMAP (read the watched mailboxes, file copies into Sent and
//! Drafts) and SMTP (send what the user approved), plus what both need: TLS settings,
//! secrets and errors that say what to fix.
//!
//! These are thin adapters over async-imap and lettre. They know nothing about
//! applications, drafts or the database: they move bytes and report what the server said.
//! Progress (UIDVALIDITY, last UID) is kept by the caller; retry decisions are the
//! caller's too, made from [`MailError::is_transient`] and [`smtp::SendError`].
//! The local Maildir source is a separate module.

pub mod error;
pub mod imap;
pub mod secrets;
pub mod smtp;
pub mod tls;

pub use error::MailError;
pub use secrets::Secret;

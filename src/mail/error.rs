//! [`MailError`]: why talking to a mail server failed, sorted by what the user must do.
//!
//! Each variant's message is one line that ends with the fix. Messages carry the server's
//! own words where they help, but never a password or token: everything that may have
//! seen a secret goes through [`redact`] before it becomes an error.

/// A failure to connect to, secure, log in to, or talk to a mail server.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MailError {
    /// Nothing answered: connection refused, no route, DNS failure, or a connect timeout.
    #[error("cannot reach {host}:{port}: {reason}; check the host, the port and the network")]
    Unreachable { host: String, port: u16, reason: String },
    /// The connection worked, then dropped or stalled in the middle of a conversation.
    #[error("the connection to {host}:{port} was lost: {reason}; it will be retried")]
    ConnectionLost { host: String, port: u16, reason: String },
    /// The server's certificate was not trusted, or TLS could not be negotiated.
    #[error(
        "TLS with {host} failed: {reason}; if the server has its own certificate authority set ca_file to it, and check that the host name is the one in the certificate"
    )]
    Tls { host: String, reason: String },
    /// The server refused the credentials.
    #[error(
        "{host} refused the login of {username}: {reason}; check the username and the password (Gmail, Outlook, iCloud and Fastmail need an app password)"
    )]
    Auth { host: String, username: String, reason: String },
    /// The server answered something this client did not expect or cannot use.
    #[error("{host} answered unexpectedly: {reason}; check that host and port name the right kind of server")]
    Protocol { host: String, reason: String },
    /// The password or token could not be obtained.
    #[error("cannot get the secret: {reason}; check password_command, password_env, password or token_command")]
    Secret { reason: String },
}

impl MailError {
    /// True when trying again later, unchanged, may work (network trouble, a dropped
    /// connection); false when the user has to change something first.
    pub fn is_transient(&self) -> bool {
        matches!(self, MailError::Unreachable { .. } | MailError::ConnectionLost { .. })
    }
}

/// Replaces every occurrence of `secret` in `text` (and of nothing when the secret is
/// empty), so that a server or library echoing it back cannot leak it into an error.
pub fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() { text.to_owned() } else { text.replace(secret, "<redacted>") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_and_end_with_the_fix() {
        let errors = [
            MailError::Unreachable { host: "h".into(), port: 1, reason: "refused".into() },
            MailError::Tls { host: "h".into(), reason: "unknown issuer".into() },
            MailError::Auth { host: "h".into(), username: "u".into(), reason: "no".into() },
            MailError::Protocol { host: "h".into(), reason: "BAD".into() },
            MailError::Secret { reason: "exit 1".into() },
        ];
        for error in errors {
            let text = error.to_string();
            assert!(!text.contains('\n'), "{text}");
            assert!(text.contains("; "), "{text} should say what to do");
        }
    }

    #[test]
    fn only_network_trouble_is_transient() {
        assert!(MailError::Unreachable { host: "h".into(), port: 1, reason: "r".into() }.is_transient());
        assert!(!MailError::Auth { host: "h".into(), username: "u".into(), reason: "r".into() }.is_transient());
    }

    #[test]
    fn redact_hides_the_secret() {
        assert_eq!(redact("pw is hunter2!", "hunter2"), "pw is <redacted>!");
        assert_eq!(redact("nothing", ""), "nothing");
    }
}

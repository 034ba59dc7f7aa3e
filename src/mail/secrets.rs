//! Fetching a password or an OAuth2 token from where the config says it is.
//!
//! A [`Secret`] is fetched right before a connection needs it and dropped after: it is
//! never stored, logged or printed (its `Debug` and `Display` say `<redacted>`), and no
//! error built here contains it or the output of the program that printed it.
//! Commands run without a shell, with stdin closed and stderr passed through, under a
//! timeout; the first line of their stdout is the secret.

use crate::config::SecretSource;
use crate::mail::MailError;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// How long `password_command` or `token_command` may take before it is killed.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// A password or access token. Printing it shows `<redacted>`; use [`Secret::expose`]
/// only where it is handed to the server.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Fetches the secret that `source` points at, running a command for at most
/// [`COMMAND_TIMEOUT`].
pub async fn fetch_secret(source: &SecretSource) -> Result<Secret, MailError> {
    fetch_secret_with_timeout(source, COMMAND_TIMEOUT).await
}

/// [`fetch_secret`] with a chosen timeout for commands.
pub async fn fetch_secret_with_timeout(source: &SecretSource, timeout: Duration) -> Result<Secret, MailError> {
    match source {
        SecretSource::Inline(value) => Ok(Secret::new(value.clone())),
        SecretSource::Env(name) => match std::env::var(name) {
            Ok(value) if !value.is_empty() => Ok(Secret::new(value)),
            Ok(_) => Err(MailError::Secret { reason: format!("the environment variable {name} is empty") }),
            Err(std::env::VarError::NotPresent) => {
                Err(MailError::Secret { reason: format!("the environment variable {name} is not set") })
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(MailError::Secret { reason: format!("the environment variable {name} is not valid UTF-8") })
            }
        },
        SecretSource::Command(argv) | SecretSource::TokenCommand(argv) => run_secret_command(argv, timeout).await,
    }
}

async fn run_secret_command(argv: &[String], timeout: Duration) -> Result<Secret, MailError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(MailError::Secret { reason: "the command is empty".into() });
    };
    // Name the command by its program only: its arguments may hold something secret
    // (`echo hunter2` is a valid if unwise config), and its output never goes into a message.
    let shown = format!("the command {program:?}");
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| MailError::Secret { reason: format!("cannot run {shown}: {err}") })?;
    let mut stdout =
        child.stdout.take().ok_or_else(|| MailError::Secret { reason: format!("{shown} has no stdout") })?;
    let run = async {
        let mut output = Vec::new();
        stdout.read_to_end(&mut output).await?;
        let status = child.wait().await?;
        Ok::<_, std::io::Error>((status, output))
    };
    let (status, output) = match tokio::time::timeout(timeout, run).await {
        Ok(Ok(done)) => done,
        Ok(Err(err)) => {
            return Err(MailError::Secret { reason: format!("reading the output of {shown} failed: {err}") });
        }
        Err(_) => {
            return Err(MailError::Secret {
                reason: format!("{shown} did not finish within {} s and was stopped", timeout.as_secs()),
            });
        }
    };
    if !status.success() {
        return Err(MailError::Secret { reason: format!("{shown} failed ({status})") });
    }
    let Ok(text) = String::from_utf8(output) else {
        return Err(MailError::Secret { reason: format!("{shown} printed something that is not UTF-8") });
    };
    let first_line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if first_line.is_empty() {
        return Err(MailError::Secret { reason: format!("{shown} printed an empty first line") });
    }
    Ok(Secret::new(first_line))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(args: &[&str]) -> SecretSource {
        SecretSource::Command(args.iter().map(|arg| arg.to_string()).collect())
    }

    #[tokio::test]
    async fn a_command_gives_its_first_line() {
        let secret = fetch_secret(&command(&["printf", "s3cret-line\\nsecond\\n"])).await.unwrap();
        assert_eq!(secret.expose(), "s3cret-line");
        assert_eq!(format!("{secret:?} {secret}"), "Secret(<redacted>) <redacted>");
    }

    #[tokio::test]
    async fn a_failing_command_is_named_without_its_output() {
        let source = command(&["sh", "-c", "echo leaked-secret; exit 3"]);
        let message = fetch_secret(&source).await.unwrap_err().to_string();
        assert!(message.contains("the command \"sh\" failed (exit status: 3)"), "{message}");
        assert!(!message.contains("leaked-secret"), "{message}");
    }

    #[tokio::test]
    async fn a_slow_command_is_stopped() {
        let source = command(&["sleep", "5"]);
        let error = fetch_secret_with_timeout(&source, Duration::from_millis(100)).await.unwrap_err();
        assert!(error.to_string().contains("did not finish"), "{error}");
    }

    #[tokio::test]
    async fn missing_programs_and_empty_output_are_errors() {
        assert!(fetch_secret(&command(&["/nonexistent/debrief-pass"])).await.is_err());
        assert!(fetch_secret(&command(&["true"])).await.unwrap_err().to_string().contains("empty"));
    }

    #[tokio::test]
    async fn an_unset_variable_is_named() {
        let source = SecretSource::Env("DEBRIEF_TEST_SURELY_UNSET_VARIABLE".into());
        let message = fetch_secret(&source).await.unwrap_err().to_string();
        assert!(message.contains("DEBRIEF_TEST_SURELY_UNSET_VARIABLE is not set"), "{message}");
    }
}

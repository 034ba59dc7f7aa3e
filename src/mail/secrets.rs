//! Fetching a password or an OAuth2 token from where the config says it is.
//!
//! A [`Secret`] is fetched right before a connection needs it and dropped after: it is
//! never stored, logged or printed (its `Debug` and `Display` say `<redacted>`), and no
//! error built here contains it or the output of the program that printed it.
//! A `password_credential` is read from `$CREDENTIALS_DIRECTORY` (systemd's
//! `LoadCredential=`): the secret stays out of the config, the environment and the
//! process list, and the unit can keep it encrypted at rest (`LoadCredentialEncrypted=`).
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
        SecretSource::Credential(name) => read_credential(std::env::var_os("CREDENTIALS_DIRECTORY").as_deref(), name),
        SecretSource::Command(argv) | SecretSource::TokenCommand(argv) => run_secret_command(argv, timeout).await,
    }
}

/// Reads the credential `name` from `directory` (the value of `$CREDENTIALS_DIRECTORY`):
/// the first line of the file is the secret, as with `password_command`.
pub fn read_credential(directory: Option<&std::ffi::OsStr>, name: &str) -> Result<Secret, MailError> {
    let Some(directory) = directory.filter(|directory| !directory.is_empty()) else {
        return Err(MailError::Secret {
            reason: format!(
                "password_credential {name:?} needs $CREDENTIALS_DIRECTORY, which systemd sets for a unit with \
                 LoadCredential={name}:/path/to/secret; it is not set (outside systemd, use password_command instead)"
            ),
        });
    };
    let path = std::path::Path::new(directory).join(name);
    let text = std::fs::read_to_string(&path)
        .map_err(|err| MailError::Secret { reason: format!("cannot read the credential {}: {err}", path.display()) })?;
    let first_line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if first_line.is_empty() {
        return Err(MailError::Secret { reason: format!("the credential {} is empty", path.display()) });
    }
    Ok(Secret::new(first_line))
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

    #[test]
    fn a_systemd_credential_is_the_first_line_of_its_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("imap-password"), "app-password-123\r\nignored\n").unwrap();
        std::fs::write(dir.path().join("empty"), "\n").unwrap();
        let directory = Some(dir.path().as_os_str());
        assert_eq!(read_credential(directory, "imap-password").unwrap().expose(), "app-password-123");
        let empty = read_credential(directory, "empty").unwrap_err().to_string();
        assert!(empty.contains("is empty"), "{empty}");
        let missing = read_credential(directory, "smtp-password").unwrap_err().to_string();
        assert!(missing.contains("cannot read the credential") && missing.contains("smtp-password"), "{missing}");
        let outside = read_credential(None, "imap-password").unwrap_err().to_string();
        assert!(outside.contains("LoadCredential=imap-password:"), "{outside}");
    }

    #[tokio::test]
    async fn an_unset_variable_is_named() {
        let source = SecretSource::Env("DEBRIEF_TEST_SURELY_UNSET_VARIABLE".into());
        let message = fetch_secret(&source).await.unwrap_err().to_string();
        assert!(message.contains("DEBRIEF_TEST_SURELY_UNSET_VARIABLE is not set"), "{message}");
    }
}

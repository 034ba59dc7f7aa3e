//! Configuration: raw TOML → validated [`Config`].
//!
//! [`RawConfig`] mirrors the file (SPEC §10) and knows nothing but serde; [`Config`]
//! is what the rest of the program uses, with every value checked, defaults filled and
//! paths resolved. A refusal is a [`ConfigError`] that names the key, the value and what
//! is allowed, and makes the binary exit with code 2. Reading secrets is not done
//! here: a [`SecretSource`] says where the secret is, and `mail::secrets` fetches it
//! when a connection needs it, so it is never kept in memory longer than that.

use crate::domain::policy::{Policy, PolicyDuration, SendDays, SendWindow};
use jiff::tz::TimeZone;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A configuration that cannot be used, with the key that is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source} (create one with `debrief init`)")]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}: {key}: {message}")]
    Invalid { path: PathBuf, key: String, message: String },
    #[error("no config file: pass --config PATH, set DEBRIEF_CONFIG, or create {default} with `debrief init`")]
    Missing { default: PathBuf },
}

// ---------------------------------------------------------------------------
// The file as written.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    identity: Option<RawIdentity>,
    storage: Option<RawStorage>,
    templates: Option<RawTemplates>,
    policy: Option<RawPolicy>,
    imap: Option<RawServer>,
    smtp: Option<RawServer>,
    maildir: Option<RawMaildir>,
    digest: Option<RawDigest>,
    #[serde(default)]
    references: Vec<RawReference>,
    web: Option<RawWeb>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReference {
    name: Option<String>,
    email: Option<String>,
    relationship: Option<String>,
    address_as: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    name: Option<String>,
    email: Option<String>,
    time_zone: Option<String>,
    signature: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    path: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplates {
    dir: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    thank_you_after: Option<String>,
    thank_you_deadline: Option<String>,
    follow_up_every: Option<String>,
    follow_ups: Option<i64>,
    ghost_after: Option<String>,
    follow_up_draft_ahead: Option<String>,
    send_window: Option<String>,
    send_days: Option<String>,
    confidence_threshold: Option<f64>,
    greeting: Option<String>,
}

/// `[imap]` and `[smtp]` share their keys; the ones that belong to only one of them are
/// refused in the other by [`validate_server`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    host: Option<String>,
    port: Option<i64>,
    security: Option<String>,
    username: Option<String>,
    password: Option<String>,
    password_command: Option<Vec<String>>,
    password_env: Option<String>,
    password_credential: Option<String>,
    token_command: Option<Vec<String>>,
    auth: Option<String>,
    ca_file: Option<String>,
    // IMAP only.
    mailboxes: Option<Vec<String>>,
    sent_mailbox: Option<String>,
    drafts_mailbox: Option<String>,
    initial_scan_days: Option<i64>,
    // SMTP only.
    provider_files_sent: Option<bool>,
    drafts_only: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMaildir {
    path: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDigest {
    at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWeb {
    listen: Option<String>,
    hold_seconds: Option<i64>,
    allow_remote: Option<bool>,
}

// ---------------------------------------------------------------------------
// The validated configuration.

#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was read from; relative paths in it were resolved against its folder.
    pub source: PathBuf,
    pub identity: Identity,
    pub storage_path: PathBuf,
    /// A folder whose files override the built-in templates, file by file.
    pub templates_dir: Option<PathBuf>,
    pub policy: Policy,
    pub imap: Option<ImapConfig>,
    pub smtp: Option<SmtpConfig>,
    pub maildir: Option<MaildirConfig>,
    pub digest: Option<DigestConfig>,
    /// The user's references (`[[references]]`), told when an employer may call them.
    pub references: Vec<Reference>,
    /// `[web]`: the approval page (`debrief web`). Defaults when the section is absent.
    pub web: WebConfig,
}

/// One of the user's references (articles 2 and 4): someone who agreed to vouch for them,
/// and who gets a heads-up when an employer asks for references, invites to a final round
/// or makes an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    pub email: String,
    /// How they know the user ("my manager at Initech"), for the user's own reading.
    pub relationship: Option<String>,
    /// How the heads-up greets them ("Alex"); default: their first name.
    pub address_as: Option<String>,
}

/// `[web]`: where `debrief web` listens and how long an approval made there is held.
#[derive(Debug, Clone, PartialEq)]
pub struct WebConfig {
    /// `listen`: the address and port; a loopback address unless `allow_remote`.
    pub listen: std::net::SocketAddr,
    /// `hold_seconds`: how long an approval made in the page may be undone (0..=600).
    pub hold_seconds: u32,
    /// `allow_remote`: listen on a non-loopback address (the page has no TLS).
    pub allow_remote: bool,
    /// The `[web]` section is present: `debrief run` serves the page too.
    pub in_run: bool,
}

impl Default for WebConfig {
    fn default() -> WebConfig {
        WebConfig {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 8750)),
            hold_seconds: 60,
            allow_remote: false,
            in_run: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Identity {
    pub name: String,
    pub email: String,
    pub time_zone_name: String,
    pub time_zone: TimeZone,
    pub signature: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Tls,
    /// A plain connection upgraded with STARTTLS before anything else is said.
    Starttls,
    /// No TLS at all; refused for authentication to anything but a loopback host.
    Plain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Plain,
    Login,
    Xoauth2,
}

/// Where a secret comes from. The secret itself is never stored in a `Config`, except
/// an inline password, which is only accepted from a file that nobody else can read.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// Run this program; the first line of its standard output is the secret.
    Command(Vec<String>),
    /// Read this environment variable.
    Env(String),
    /// Read the file of this name in `$CREDENTIALS_DIRECTORY`, where systemd puts what a
    /// unit's `LoadCredential=` or `LoadCredentialEncrypted=` gives the service.
    Credential(String),
    /// Written in the config file itself (mode 0600 only).
    Inline(String),
    /// Run this program for an OAuth2 access token (XOAUTH2).
    TokenCommand(Vec<String>),
}

impl std::fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretSource::Command(argv) => f.debug_tuple("Command").field(argv).finish(),
            SecretSource::Env(name) => f.debug_tuple("Env").field(name).finish(),
            SecretSource::Credential(name) => f.debug_tuple("Credential").field(name).finish(),
            SecretSource::Inline(_) => f.write_str("Inline(<redacted>)"),
            SecretSource::TokenCommand(argv) => f.debug_tuple("TokenCommand").field(argv).finish(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub auth: AuthMethod,
    pub secret: SecretSource,
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct ImapConfig {
    pub server: ServerConfig,
    pub mailboxes: Vec<String>,
    pub sent_mailbox: Option<String>,
    pub drafts_mailbox: Option<String>,
    pub initial_scan_days: u32,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub server: ServerConfig,
    pub provider_files_sent: bool,
    pub drafts_only: bool,
}

#[derive(Debug, Clone)]
pub struct MaildirConfig {
    pub path: PathBuf,
}

#[derive(Debug, Clone)]
pub struct DigestConfig {
    /// A six-field cron expression (seconds first), in the identity's time zone.
    pub at: String,
    /// `at`, parsed: `schedule.next_after(&identity.time_zone, now)` is the next digest.
    pub schedule: crate::digest::Schedule,
}

/// The commented starter config that `debrief init` writes.
pub const EXAMPLE_CONFIG: &str = include_str!("../config/debrief.example.toml");

/// Where the config is looked for when neither `--config` nor `DEBRIEF_CONFIG` names it.
pub fn default_config_path() -> PathBuf {
    use etcetera::BaseStrategy;
    match etcetera::choose_base_strategy() {
        Ok(strategy) => strategy.config_dir().join("debrief").join("config.toml"),
        Err(_) => PathBuf::from("debrief.toml"),
    }
}

fn default_storage_path() -> PathBuf {
    use etcetera::BaseStrategy;
    match etcetera::choose_base_strategy() {
        Ok(strategy) => strategy.data_dir().join("debrief").join("debrief.db"),
        Err(_) => PathBuf::from("debrief.db"),
    }
}

impl Config {
    /// Reads and validates the config at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Unreadable { path: path.to_owned(), source })?;
        let mode = file_mode(path);
        Config::from_toml(&text, path, mode)
    }

    /// Validates config text as if read from `path`, whose permission bits are `mode`
    /// (used to refuse inline passwords in files that others can read).
    pub fn from_toml(text: &str, path: &Path, mode: Option<u32>) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text)
            .map_err(|err| ConfigError::Syntax { path: path.to_owned(), message: syntax_message(&err) })?;
        let base = path.parent().map(Path::to_owned).unwrap_or_default();
        let invalid =
            |key: &str, message: String| ConfigError::Invalid { path: path.to_owned(), key: key.to_owned(), message };
        Validator { base: &base, mode, invalid: &invalid }.validate(raw, path)
    }
}

fn syntax_message(err: &toml::de::Error) -> String {
    // toml's message already names the key and line; keep it on one line.
    err.to_string().lines().filter(|line| !line.trim().is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(unix)]
fn file_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).ok().map(|meta| meta.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn file_mode(_path: &Path) -> Option<u32> {
    None
}

struct Validator<'a> {
    base: &'a Path,
    mode: Option<u32>,
    invalid: &'a dyn Fn(&str, String) -> ConfigError,
}

impl Validator<'_> {
    fn validate(&self, raw: RawConfig, path: &Path) -> Result<Config, ConfigError> {
        let identity = self.identity(raw.identity)?;
        let storage_path = match raw.storage.and_then(|storage| storage.path) {
            Some(text) => self.path("storage.path", &text)?,
            None => default_storage_path(),
        };
        let templates_dir = match raw.templates.and_then(|templates| templates.dir) {
            Some(text) => Some(self.path("templates.dir", &text)?),
            None => None,
        };
        let policy = self.policy(raw.policy.unwrap_or_default())?;
        let imap = raw.imap.map(|server| self.imap(server)).transpose()?;
        let smtp = raw.smtp.map(|server| self.smtp(server)).transpose()?;
        let maildir = match raw.maildir {
            Some(RawMaildir { path: Some(text) }) => Some(MaildirConfig { path: self.path("maildir.path", &text)? }),
            Some(RawMaildir { path: None }) => {
                return Err((self.invalid)(
                    "maildir.path",
                    "is missing: name the Maildir folder (the one holding cur/ and new/)".into(),
                ));
            }
            None => None,
        };
        if imap.is_some() && maildir.is_some() {
            return Err((self.invalid)(
                "maildir",
                "[imap] and [maildir] are both set: keep the one debrief should read the inbox from".into(),
            ));
        }
        let digest = match raw.digest.and_then(|digest| digest.at) {
            Some(at) => Some(DigestConfig { schedule: self.cron("digest.at", &at)?, at }),
            None => None,
        };
        let references = self.references(raw.references, &identity.email)?;
        let web = self.web(raw.web)?;
        Ok(Config {
            source: path.to_owned(),
            identity,
            storage_path,
            templates_dir,
            policy,
            imap,
            smtp,
            maildir,
            digest,
            references,
            web,
        })
    }

    /// `[[references]]`: each needs a one-line name and a plain address, not the user's
    /// own, and no address twice. Keys are named as `references[2].email` (from 1).
    fn references(&self, raw: Vec<RawReference>, own_email: &str) -> Result<Vec<Reference>, ConfigError> {
        let mut references: Vec<Reference> = Vec::new();
        for (index, reference) in raw.into_iter().enumerate() {
            let key = |field: &str| format!("references[{}].{field}", index + 1);
            let one_line = |field: &str, text: Option<String>| -> Result<Option<String>, ConfigError> {
                match text.map(|text| text.trim().to_owned()).filter(|text| !text.is_empty()) {
                    Some(text) if text.contains(['\r', '\n']) => {
                        Err((self.invalid)(&key(field), "must be one line".into()))
                    }
                    other => Ok(other),
                }
            };
            let name = one_line("name", reference.name)?.ok_or_else(|| {
                (self.invalid)(&key("name"), "is missing: the reference's name, as \"Alex Kim\"".into())
            })?;
            let email = reference.email.map(|email| email.trim().to_owned()).ok_or_else(|| {
                (self.invalid)(&key("email"), format!("is missing: the address where {name} gets the heads-up"))
            })?;
            if !is_plain_address(&email) {
                return Err((self.invalid)(
                    &key("email"),
                    format!("{email:?} is not an email address such as \"alex@example.org\""),
                ));
            }
            if email.eq_ignore_ascii_case(own_email) {
                return Err((self.invalid)(&key("email"), "is your own address (identity.email)".into()));
            }
            if references.iter().any(|known| known.email.eq_ignore_ascii_case(&email)) {
                return Err((self.invalid)(&key("email"), format!("{email:?} is listed twice")));
            }
            let relationship = one_line("relationship", reference.relationship)?;
            let address_as = one_line("address_as", reference.address_as)?;
            references.push(Reference { name, email, relationship, address_as });
        }
        Ok(references)
    }

    fn identity(&self, raw: Option<RawIdentity>) -> Result<Identity, ConfigError> {
        let raw = raw.ok_or_else(|| {
            (self.invalid)("identity", "is missing: add [identity] with name, email and time_zone".into())
        })?;
        let name = raw.name.filter(|name| !name.trim().is_empty()).ok_or_else(|| {
            (self.invalid)("identity.name", "is missing: your name as it should appear on mail".into())
        })?;
        if name.contains(['\r', '\n']) {
            return Err((self.invalid)("identity.name", "must be one line".into()));
        }
        let email = raw
            .email
            .ok_or_else(|| (self.invalid)("identity.email", "is missing: the address you send from".into()))?;
        if !is_plain_address(&email) {
            return Err((self.invalid)(
                "identity.email",
                format!("{email:?} is not an email address such as \"name@example.net\""),
            ));
        }
        let (time_zone_name, time_zone) = match raw.time_zone {
            Some(zone_name) => {
                let zone = TimeZone::get(&zone_name).map_err(|_| {
                    (self.invalid)(
                        "identity.time_zone",
                        format!("{zone_name:?} is not an IANA time zone name such as \"America/Los_Angeles\""),
                    )
                })?;
                (zone_name, zone)
            }
            None => {
                let zone = TimeZone::try_system().unwrap_or(TimeZone::UTC);
                (zone.iana_name().unwrap_or("UTC").to_owned(), zone)
            }
        };
        let signature = raw.signature.unwrap_or_else(|| name.clone());
        Ok(Identity { name, email, time_zone_name, time_zone, signature: signature.trim_end().to_owned() })
    }

    fn path(&self, key: &str, text: &str) -> Result<PathBuf, ConfigError> {
        if text.trim().is_empty() {
            return Err((self.invalid)(key, "is empty: give a path".into()));
        }
        Ok(resolve_path(self.base, text))
    }

    fn duration(
        &self,
        key: &str,
        value: Option<String>,
        default: PolicyDuration,
    ) -> Result<PolicyDuration, ConfigError> {
        match value {
            None => Ok(default),
            Some(text) => text.parse().map_err(|message| (self.invalid)(key, message)),
        }
    }

    fn policy(&self, raw: RawPolicy) -> Result<Policy, ConfigError> {
        let defaults = Policy::default();
        let follow_ups = match raw.follow_ups {
            None => defaults.follow_ups,
            Some(n @ 1..=7) => n as u8,
            Some(n) => {
                return Err((self.invalid)(
                    "policy.follow_ups",
                    format!(
                        "{n} is out of range: policy.follow_ups must be 1..=7 (the advice is at least 4, never more than 7)"
                    ),
                ));
            }
        };
        let send_window: SendWindow = match raw.send_window {
            None => defaults.send_window,
            Some(text) => text.parse().map_err(|message| (self.invalid)("policy.send_window", message))?,
        };
        let send_days: SendDays = match raw.send_days {
            None => defaults.send_days,
            Some(text) => text.parse().map_err(|message| (self.invalid)("policy.send_days", message))?,
        };
        let confidence_threshold = match raw.confidence_threshold {
            None => defaults.confidence_threshold,
            Some(value) if (0.0..=1.0).contains(&value) => value,
            Some(value) => {
                return Err((self.invalid)(
                    "policy.confidence_threshold",
                    format!("{value} is out of range: it must be between 0.0 and 1.0"),
                ));
            }
        };
        let greeting = match raw.greeting {
            None => defaults.greeting,
            Some(text) => text.parse().map_err(|message| (self.invalid)("policy.greeting", message))?,
        };
        let policy = Policy {
            thank_you_after: self.duration("policy.thank_you_after", raw.thank_you_after, defaults.thank_you_after)?,
            thank_you_deadline: self.duration(
                "policy.thank_you_deadline",
                raw.thank_you_deadline,
                defaults.thank_you_deadline,
            )?,
            follow_up_every: self.duration("policy.follow_up_every", raw.follow_up_every, defaults.follow_up_every)?,
            follow_ups,
            ghost_after: self.duration("policy.ghost_after", raw.ghost_after, defaults.ghost_after)?,
            follow_up_draft_ahead: self.duration(
                "policy.follow_up_draft_ahead",
                raw.follow_up_draft_ahead,
                defaults.follow_up_draft_ahead,
            )?,
            send_window,
            send_days,
            confidence_threshold,
            greeting,
        };
        let exact_minutes = |duration: PolicyDuration| duration.days * 24 * 60 + duration.minutes;
        if exact_minutes(policy.thank_you_deadline) < exact_minutes(policy.thank_you_after) {
            return Err((self.invalid)(
                "policy.thank_you_deadline",
                format!(
                    "{} is before policy.thank_you_after ({}): the deadline must come after the target time",
                    policy.thank_you_deadline, policy.thank_you_after
                ),
            ));
        }
        if exact_minutes(policy.follow_up_every) < 24 * 60 {
            return Err((self.invalid)(
                "policy.follow_up_every",
                format!("{} is too short: follow-ups must be at least a day apart", policy.follow_up_every),
            ));
        }
        Ok(policy)
    }

    fn server(
        &self,
        section: &str,
        raw: &RawServer,
        default_ports: (u16, u16, u16),
    ) -> Result<ServerConfig, ConfigError> {
        let key = |name: &str| format!("{section}.{name}");
        let host = raw
            .host
            .clone()
            .filter(|host| !host.trim().is_empty())
            .ok_or_else(|| (self.invalid)(&key("host"), "is missing: the server's host name".into()))?;
        let security = match raw.security.as_deref() {
            None | Some("tls") => Security::Tls,
            Some("starttls") => Security::Starttls,
            Some("plain") => Security::Plain,
            Some(other) => {
                return Err((self.invalid)(
                    &key("security"),
                    format!("{other:?} is not allowed: use \"tls\", \"starttls\" or \"plain\""),
                ));
            }
        };
        let port = match raw.port {
            None => match security {
                Security::Tls => default_ports.0,
                Security::Starttls => default_ports.1,
                Security::Plain => default_ports.2,
            },
            Some(port @ 1..=65535) => port as u16,
            Some(port) => return Err((self.invalid)(&key("port"), format!("{port} is not a port number (1..=65535)"))),
        };
        let username = raw
            .username
            .clone()
            .ok_or_else(|| (self.invalid)(&key("username"), "is missing: the login name, often your address".into()))?;
        let auth = match raw.auth.as_deref() {
            None if raw.token_command.is_some() => AuthMethod::Xoauth2,
            None | Some("plain") => AuthMethod::Plain,
            Some("login") => AuthMethod::Login,
            Some("xoauth2") => AuthMethod::Xoauth2,
            Some(other) => {
                return Err((self.invalid)(
                    &key("auth"),
                    format!("{other:?} is not allowed: use \"plain\", \"login\" or \"xoauth2\""),
                ));
            }
        };
        let mut sources = Vec::new();
        if let Some(argv) = &raw.password_command {
            if argv.is_empty() || argv[0].trim().is_empty() {
                return Err((self.invalid)(
                    &key("password_command"),
                    "is empty: give the program and its arguments, e.g. [\"pass\", \"show\", \"mail\"]".into(),
                ));
            }
            sources.push(("password_command", SecretSource::Command(argv.clone())));
        }
        if let Some(name) = &raw.password_env {
            sources.push(("password_env", SecretSource::Env(name.clone())));
        }
        if let Some(name) = &raw.password_credential {
            if !is_credential_name(name) {
                return Err((self.invalid)(
                    &key("password_credential"),
                    format!(
                        "{name:?} is not a credential name: give the name used in the unit's LoadCredential=, e.g. \"imap-password\" (no \"/\")"
                    ),
                ));
            }
            sources.push(("password_credential", SecretSource::Credential(name.clone())));
        }
        if let Some(password) = &raw.password {
            if let Some(mode) = self.mode
                && mode & 0o077 != 0
            {
                return Err((self.invalid)(
                    &key("password"),
                    format!(
                        "an inline password needs a config file only you can read (mode is {mode:o}): run `chmod 600` on it, or use password_command or password_env"
                    ),
                ));
            }
            sources.push(("password", SecretSource::Inline(password.clone())));
        }
        if let Some(argv) = &raw.token_command {
            if argv.is_empty() || argv[0].trim().is_empty() {
                return Err((self.invalid)(
                    &key("token_command"),
                    "is empty: give the program that prints an access token".into(),
                ));
            }
            sources.push(("token_command", SecretSource::TokenCommand(argv.clone())));
        }
        let secret = match sources.len() {
            0 => {
                return Err((self.invalid)(
                    &key("password_command"),
                    "no credentials: set one of password_command, password_env, password_credential, password (file mode 0600) or token_command".into(),
                ));
            }
            1 => sources.remove(0).1,
            _ => {
                let names: Vec<&str> = sources.iter().map(|(name, _)| *name).collect();
                return Err((self.invalid)(
                    &key(names[1]),
                    format!("{} are all set: keep exactly one", names.join(" and ")),
                ));
            }
        };
        match (auth, &secret) {
            (AuthMethod::Xoauth2, SecretSource::TokenCommand(_)) => {}
            (AuthMethod::Xoauth2, _) => {
                return Err((self.invalid)(
                    &key("auth"),
                    "\"xoauth2\" needs token_command, which prints an access token".into(),
                ));
            }
            (_, SecretSource::TokenCommand(_)) => {
                return Err((self.invalid)(
                    &key("token_command"),
                    "is for auth = \"xoauth2\"; use password_command for a password".into(),
                ));
            }
            _ => {}
        }
        if security == Security::Plain && !is_loopback_host(&host) {
            return Err((self.invalid)(
                &key("security"),
                format!(
                    "\"plain\" would send your password unencrypted to {host}: it is only allowed for a loopback host; use \"tls\" or \"starttls\""
                ),
            ));
        }
        let ca_file = match &raw.ca_file {
            Some(text) => Some(self.path(&key("ca_file"), text)?),
            None => None,
        };
        Ok(ServerConfig { host, port, security, username, auth, secret, ca_file })
    }

    fn imap(&self, raw: RawServer) -> Result<ImapConfig, ConfigError> {
        for (name, set) in
            [("provider_files_sent", raw.provider_files_sent.is_some()), ("drafts_only", raw.drafts_only.is_some())]
        {
            if set {
                return Err((self.invalid)(&format!("imap.{name}"), "belongs in [smtp]".into()));
            }
        }
        let server = self.server("imap", &raw, (993, 143, 143))?;
        let mailboxes = raw.mailboxes.unwrap_or_else(|| vec!["INBOX".to_owned()]);
        if mailboxes.is_empty() || mailboxes.iter().any(|name| name.trim().is_empty()) {
            return Err((self.invalid)("imap.mailboxes", "must name at least one mailbox, e.g. [\"INBOX\"]".into()));
        }
        let initial_scan_days = match raw.initial_scan_days {
            None => 60,
            Some(days @ 0..=3650) => days as u32,
            Some(days) => {
                return Err((self.invalid)("imap.initial_scan_days", format!("{days} is out of range 0..=3650")));
            }
        };
        Ok(ImapConfig {
            server,
            mailboxes,
            sent_mailbox: raw.sent_mailbox,
            drafts_mailbox: raw.drafts_mailbox,
            initial_scan_days,
        })
    }

    fn smtp(&self, raw: RawServer) -> Result<SmtpConfig, ConfigError> {
        for (name, set) in [
            ("mailboxes", raw.mailboxes.is_some()),
            ("sent_mailbox", raw.sent_mailbox.is_some()),
            ("drafts_mailbox", raw.drafts_mailbox.is_some()),
            ("initial_scan_days", raw.initial_scan_days.is_some()),
        ] {
            if set {
                return Err((self.invalid)(&format!("smtp.{name}"), "belongs in [imap]".into()));
            }
        }
        let server = self.server("smtp", &raw, (465, 587, 25))?;
        Ok(SmtpConfig {
            server,
            provider_files_sent: raw.provider_files_sent.unwrap_or(false),
            drafts_only: raw.drafts_only.unwrap_or(false),
        })
    }

    fn web(&self, raw: Option<RawWeb>) -> Result<WebConfig, ConfigError> {
        let defaults = WebConfig::default();
        let Some(raw) = raw else { return Ok(defaults) };
        let allow_remote = raw.allow_remote.unwrap_or(false);
        let listen = match raw.listen {
            None => defaults.listen,
            Some(text) => text.parse::<std::net::SocketAddr>().map_err(|_| {
                (self.invalid)("web.listen", format!("{text:?} is not an address and port, e.g. \"127.0.0.1:8750\""))
            })?,
        };
        if !listen.ip().is_loopback() && !allow_remote {
            return Err((self.invalid)(
                "web.listen",
                format!(
                    "{listen} is not a loopback address: the page has no TLS, so reach it over an SSH tunnel, \
                     or set web.allow_remote = true if you really mean it"
                ),
            ));
        }
        let hold_seconds = match raw.hold_seconds {
            None => defaults.hold_seconds,
            Some(seconds @ 0..=600) => seconds as u32,
            Some(seconds) => {
                return Err((self.invalid)("web.hold_seconds", format!("{seconds} is out of range: use 0..=600")));
            }
        };
        Ok(WebConfig { listen, hold_seconds, allow_remote, in_run: true })
    }

    fn cron(&self, key: &str, text: &str) -> Result<crate::digest::Schedule, ConfigError> {
        crate::digest::Schedule::parse(text).map_err(|message| (self.invalid)(key, message))
    }
}

/// Expands `~/` and makes a relative path relative to `base` (the config's folder).
pub fn resolve_path(base: &Path, text: &str) -> PathBuf {
    if let Some(rest) = text.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    let path = PathBuf::from(text);
    if path.is_absolute() { path } else { base.join(path) }
}

/// True for `local@domain` with no spaces, angle brackets or line breaks.
pub fn is_plain_address(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && text.chars().all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[],;:\"".contains(c))
}

/// A systemd credential name: one file name, no path (systemd.exec(5), "Credentials").
pub fn is_credential_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name.len() <= 255
        && !name.chars().any(|c| c == '/' || c.is_control())
}

/// True for names that can only reach this machine.
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, Path::new("/home/u/.config/debrief/config.toml"), Some(0o600))
    }

    const IDENTITY: &str =
        "[identity]\nname = \"Priya Raman\"\nemail = \"priya@example.net\"\ntime_zone = \"America/Los_Angeles\"\n";

    fn error_of(text: &str) -> String {
        load(text).expect_err("should be refused").to_string()
    }

    #[test]
    fn the_example_config_is_valid() {
        let config = load(EXAMPLE_CONFIG).expect("config/debrief.example.toml must load");
        assert_eq!(config.policy, Policy::default());
    }

    #[test]
    fn defaults_fill_every_policy_key() {
        let config = load(IDENTITY).unwrap();
        assert_eq!(config.policy, Policy::default());
        assert_eq!(config.identity.signature, "Priya Raman");
        assert!(config.imap.is_none() && config.smtp.is_none());
    }

    #[test]
    fn refusals_name_the_key_the_value_and_what_is_allowed() {
        let cases = [
            ("[policy]\nfollow_ups = 9\n", "policy.follow_ups: 9 is out of range: policy.follow_ups must be 1..=7"),
            ("[policy]\nfollow_ups = 0\n", "policy.follow_ups must be 1..=7"),
            ("[policy]\nthank_you_after = \"4 hours-ish\"\n", "policy.thank_you_after"),
            ("[policy]\nsend_window = \"18:00-08:00\"\n", "policy.send_window"),
            ("[policy]\nsend_days = \"Weekdays\"\n", "policy.send_days"),
            ("[policy]\nconfidence_threshold = 1.5\n", "policy.confidence_threshold: 1.5 is out of range"),
            ("[policy]\nthank_you_after = \"30h\"\n", "policy.thank_you_deadline"),
            ("[policy]\nfollow_up_every = \"2h\"\n", "policy.follow_up_every"),
            ("[policy]\nfolow_ups = 3\n", "folow_ups"),
            ("[digest]\nat = \"0 8 * * *\"\n", "digest.at: \"0 8 * * *\" has 5 fields; expected six"),
            ("[digest]\nat = \"0 0 8 * * Mo-Fr\"\n", "digest.at: \"0 0 8 * * Mo-Fr\" is not a cron expression"),
        ];
        for (extra, expected) in cases {
            let message = error_of(&format!("{IDENTITY}{extra}"));
            assert!(message.contains(expected), "{extra:?} gave {message:?}, expected {expected:?}");
        }
        assert!(error_of("[identity]\nname = \"P\"\nemail = \"not an address\"\n").contains("identity.email"));
        assert!(
            error_of("[identity]\nname = \"P\"\nemail = \"p@x.example\"\ntime_zone = \"Mars/Olympus\"\n")
                .contains("identity.time_zone")
        );
        assert!(error_of("[policy]\n").contains("identity"));
    }

    #[test]
    fn references_are_read_and_each_refusal_names_its_key() {
        let two = format!(
            "{IDENTITY}[[references]]\nname = \"Alex Kim\"\nemail = \"alex@example.org\"\nrelationship = \"my manager at Initech\"\n\
             [[references]]\nname = \"Sam Roy\"\nemail = \"sam@example.org\"\naddress_as = \"Dr. Roy\"\n"
        );
        let config = load(&two).unwrap();
        assert_eq!(config.references.len(), 2);
        assert_eq!(config.references[0].relationship.as_deref(), Some("my manager at Initech"));
        assert_eq!(config.references[1].address_as.as_deref(), Some("Dr. Roy"));
        assert!(load(IDENTITY).unwrap().references.is_empty());
        let cases = [
            ("[[references]]\nemail = \"alex@example.org\"\n", "references[1].name: is missing"),
            ("[[references]]\nname = \"Alex Kim\"\n", "references[1].email: is missing"),
            (
                "[[references]]\nname = \"Alex\"\nemail = \"alex at work\"\n",
                "references[1].email: \"alex at work\" is not an email address",
            ),
            (
                "[[references]]\nname = \"Me\"\nemail = \"priya@example.net\"\n",
                "references[1].email: is your own address",
            ),
            (
                "[[references]]\nname = \"A\"\nemail = \"a@example.org\"\n[[references]]\nname = \"B\"\nemail = \"A@example.org\"\n",
                "references[2].email: \"A@example.org\" is listed twice",
            ),
            ("[[references]]\nname = \"A\"\nemail = \"a@example.org\"\nphone = \"555\"\n", "phone"),
            ("[[references]]\nname = \"A\\nB\"\nemail = \"a@example.org\"\n", "references[1].name: must be one line"),
        ];
        for (extra, expected) in cases {
            let message = error_of(&format!("{IDENTITY}{extra}"));
            assert!(message.contains(expected), "{extra:?} gave {message:?}, expected {expected:?}");
        }
    }

    #[test]
    fn plain_text_authentication_is_refused_to_a_remote_host() {
        let remote = format!(
            "{IDENTITY}[imap]\nhost = \"imap.example.net\"\nsecurity = \"plain\"\nusername = \"p\"\npassword_env = \"X\"\n"
        );
        assert!(error_of(&remote).contains("imap.security"));
        let local = remote.replace("imap.example.net", "127.0.0.1");
        let config = load(&local).unwrap();
        assert_eq!(config.imap.unwrap().server.port, 143);
    }

    #[test]
    fn an_inline_password_needs_a_private_file() {
        let text = format!("{IDENTITY}[smtp]\nhost = \"smtp.example.net\"\nusername = \"p\"\npassword = \"hunter2\"\n");
        let path = Path::new("/tmp/config.toml");
        let message = Config::from_toml(&text, path, Some(0o644)).unwrap_err().to_string();
        assert!(message.contains("smtp.password") && message.contains("chmod 600"), "{message}");
        assert!(!message.contains("hunter2"), "the secret must not appear in errors");
        let config = Config::from_toml(&text, path, Some(0o600)).unwrap();
        assert!(!format!("{config:?}").contains("hunter2"), "the secret must not appear in Debug output");
    }

    #[test]
    fn credentials_must_be_exactly_one_and_match_the_mechanism() {
        let both = format!(
            "{IDENTITY}[imap]\nhost = \"h.example\"\nusername = \"p\"\npassword_env = \"X\"\npassword_command = [\"pass\"]\n"
        );
        assert!(error_of(&both).contains("keep exactly one"));
        let none = format!("{IDENTITY}[imap]\nhost = \"h.example\"\nusername = \"p\"\n");
        assert!(error_of(&none).contains("no credentials"));
        let oauth = format!(
            "{IDENTITY}[imap]\nhost = \"h.example\"\nusername = \"p\"\nauth = \"xoauth2\"\npassword_env = \"X\"\n"
        );
        assert!(error_of(&oauth).contains("token_command"));
        let misplaced = format!(
            "{IDENTITY}[imap]\nhost = \"h.example\"\nusername = \"p\"\npassword_env = \"X\"\ndrafts_only = true\n"
        );
        assert!(error_of(&misplaced).contains("imap.drafts_only: belongs in [smtp]"));
    }

    #[test]
    fn a_systemd_credential_is_a_password_source() {
        let text = |name: &str| {
            format!("{IDENTITY}[imap]\nhost = \"h.example\"\nusername = \"p\"\npassword_credential = \"{name}\"\n")
        };
        let config = load(&text("imap-password")).unwrap();
        assert_eq!(config.imap.unwrap().server.secret, SecretSource::Credential("imap-password".into()));
        for bad in ["", "..", "../etc/shadow", "a/b"] {
            assert!(error_of(&text(bad)).contains("imap.password_credential"), "{bad:?}");
        }
        let both = format!("{}password_env = \"X\"\n", text("imap-password"));
        assert!(error_of(&both).contains("keep exactly one"));
    }

    #[test]
    fn relative_paths_are_relative_to_the_config_file() {
        let config =
            load(&format!("{IDENTITY}[storage]\npath = \"data/d.db\"\n[maildir]\npath = \"../Mail\"\n")).unwrap();
        assert_eq!(config.storage_path, Path::new("/home/u/.config/debrief/data/d.db"));
        assert_eq!(config.maildir.unwrap().path, Path::new("/home/u/.config/debrief/../Mail"));
    }
}

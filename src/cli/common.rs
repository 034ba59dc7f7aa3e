//! What most commands share: finding and loading the config, opening the store,
//! parsing ids, times and addresses given on the command line.

use crate::cli::usage;
use crate::config::{Config, default_config_path, is_plain_address};
use crate::domain::process::Contact;
use crate::planner::Planner;
use crate::store::Store;
use crate::templates::Templates;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::path::{Path, PathBuf};

/// The config path: `--config`, else `$DEBRIEF_CONFIG`, else the XDG default.
pub fn config_path(flag: Option<&Path>) -> PathBuf {
    if let Some(path) = flag {
        return path.to_owned();
    }
    match std::env::var_os("DEBRIEF_CONFIG") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => default_config_path(),
    }
}

pub fn load_config(flag: Option<&Path>) -> anyhow::Result<Config> {
    let path = config_path(flag);
    if !path.exists() {
        let message = if flag.is_some() || std::env::var_os("DEBRIEF_CONFIG").is_some() {
            format!(
                "the config file {} does not exist: create it with `debrief init --config {}`",
                path.display(),
                path.display()
            )
        } else {
            format!("no config file at {}: create one with `debrief init`, or pass --config PATH", path.display())
        };
        return Err(usage(message));
    }
    Ok(Config::load(&path)?)
}

/// Everything a command that works on the database needs.
pub struct Session {
    pub config: Config,
    pub store: Store,
    pub templates: Templates,
}

impl Session {
    pub fn open(flag: Option<&Path>) -> anyhow::Result<Session> {
        let config = load_config(flag)?;
        let store = Store::open(&config.storage_path)?;
        let templates = Templates::load(config.templates_dir.as_deref())?;
        Ok(Session { config, store, templates })
    }

    /// The planner and the store, borrowed apart so the planner can run in a transaction.
    pub fn parts(&mut self) -> (Planner<'_>, &mut Store) {
        (Planner { config: &self.config, templates: &self.templates }, &mut self.store)
    }
}

/// Parses an instant: RFC 3339 with an offset, a zoned datetime
/// ("2026-12-01T10:00[America/Los_Angeles]"), or a civil datetime in `zone`.
pub fn parse_instant(flag: &str, text: &str, zone: &TimeZone) -> anyhow::Result<Timestamp> {
    let trimmed = text.trim();
    if let Ok(instant) = trimmed.parse::<Timestamp>() {
        return Ok(instant);
    }
    if let Ok(zoned) = trimmed.parse::<jiff::Zoned>() {
        return Ok(zoned.timestamp());
    }
    if let Ok(civil) = trimmed.parse::<jiff::civil::DateTime>()
        && let Ok(zoned) = civil.to_zoned(zone.clone())
    {
        return Ok(zoned.timestamp());
    }
    Err(usage(format!(
        "{flag} {text:?} is not a date and time: write e.g. 2026-12-01T10:00:00-08:00, or \"2026-12-01 10:00\" in your time zone"
    )))
}

/// Parses "Jane Doe <jane@acme.example>", "jane@acme.example" or "Jane Doe".
pub fn parse_contact(flag: &str, text: &str) -> anyhow::Result<Contact> {
    let text = text.trim();
    let bad = || usage(format!("{flag} {text:?}: write \"Name <address>\", an address, or a name"));
    if text.is_empty() || text.contains(['\r', '\n']) {
        return Err(bad());
    }
    if let Some((name, rest)) = text.split_once('<') {
        let address = rest.strip_suffix('>').ok_or_else(bad)?.trim();
        if !is_plain_address(address) {
            return Err(usage(format!("{flag} {text:?}: {address:?} is not an email address")));
        }
        let name = name.trim().trim_matches('"').trim();
        return Ok(Contact {
            name: (!name.is_empty()).then(|| name.to_owned()),
            email: Some(address.to_ascii_lowercase()),
        });
    }
    if text.contains('@') {
        if !is_plain_address(text) {
            return Err(usage(format!("{flag} {text:?} is not an email address")));
        }
        return Ok(Contact { name: None, email: Some(text.to_ascii_lowercase()) });
    }
    Ok(Contact { name: Some(text.to_owned()), email: None })
}

/// Prints a value as pretty JSON on standard output.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A time for people: in the user's zone, to the minute.
pub fn local(instant: Timestamp, zone: &TimeZone) -> String {
    instant.to_zoned(zone.clone()).strftime("%a %Y-%m-%d %H:%M %Z").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_read_in_several_forms_and_bad_ones_refused() {
        let la = TimeZone::get("America/Los_Angeles").unwrap();
        let expected: Timestamp = "2026-12-01T18:00:00Z".parse().unwrap();
        for text in [
            "2026-12-01T10:00:00-08:00",
            "2026-12-01T10:00[America/Los_Angeles]",
            "2026-12-01 10:00",
            "2026-12-01T10:00",
        ] {
            assert_eq!(parse_instant("--start", text, &la).unwrap(), expected, "{text}");
        }
        let err = parse_instant("--start", "2026-13-01", &la).unwrap_err().to_string();
        assert!(err.contains("--start \"2026-13-01\" is not a date and time"), "{err}");
    }

    #[test]
    fn contacts_are_parsed_and_bad_addresses_refused() {
        let jane = parse_contact("--interviewer", "Jane Doe <Jane@Acme.example>").unwrap();
        assert_eq!((jane.name.as_deref(), jane.email.as_deref()), (Some("Jane Doe"), Some("jane@acme.example")));
        assert_eq!(parse_contact("--interviewer", "bob@acme.example").unwrap().name, None);
        assert_eq!(parse_contact("--interviewer", "Ann Lee").unwrap().email, None);
        for bad in ["Jane <jane@>", "Jane <jane@acme.example", "a@b@", "x\ny"] {
            assert!(parse_contact("--interviewer", bad).is_err(), "{bad:?}");
        }
    }
}

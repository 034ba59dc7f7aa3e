//! `debrief init`: write a commented starter config.

use crate::cli::common::config_path;
use crate::cli::usage;
use crate::config::{Config, EXAMPLE_CONFIG, is_plain_address};
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Your name, as it appears on mail you send.
    #[arg(long)]
    pub name: Option<String>,
    /// The address you send from.
    #[arg(long)]
    pub email: Option<String>,
    /// Your IANA time zone [default: the system's].
    #[arg(long)]
    pub time_zone: Option<String>,
    /// Overwrite an existing config file.
    #[arg(long)]
    pub force: bool,
}

pub fn init(config: Option<&Path>, args: &InitArgs) -> anyhow::Result<()> {
    let path = config_path(config);
    if path.exists() && !args.force {
        return Err(usage(format!("{} already exists: edit it, or pass --force to replace it", path.display())));
    }
    let mut text = EXAMPLE_CONFIG.to_owned();
    if let Some(name) = &args.name {
        if name.trim().is_empty() || name.contains(['\r', '\n', '"']) {
            return Err(usage("--name must be one line without quotes"));
        }
        text = text.replacen("name = \"Priya Raman\"", &format!("name = \"{}\"", name.trim()), 1);
        text = text.replacen("Priya Raman\n+1 555 0100", name.trim(), 1);
    }
    if let Some(email) = &args.email {
        if !is_plain_address(email) {
            return Err(usage(format!("--email {email:?} is not an email address")));
        }
        text = text.replacen("email = \"priya@example.net\"", &format!("email = \"{email}\""), 1);
    }
    let zone = match &args.time_zone {
        Some(zone) => Some(zone.clone()),
        None => jiff::tz::TimeZone::try_system().ok().and_then(|zone| zone.iana_name().map(str::to_owned)),
    };
    if let Some(zone) = zone {
        if jiff::tz::TimeZone::get(&zone).is_err() {
            return Err(usage(format!("--time-zone {zone:?} is not an IANA time zone name such as \"Europe/Berlin\"")));
        }
        text = text.replacen("time_zone = \"America/Los_Angeles\"", &format!("time_zone = \"{zone}\""), 1);
    }
    // Refuse to write something that would not load.
    Config::from_toml(&text, &path, Some(0o600))?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    println!("Wrote {}. Edit [identity] and, to read mail, [imap] or [maildir]; to send, [smtp].", path.display());
    println!("Then record an interview with `debrief add`, or run `debrief sync` to read your inbox.");
    Ok(())
}

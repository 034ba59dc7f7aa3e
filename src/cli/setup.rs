//! `debrief init`: write a commented starter config.
//!
//! The starter is `config/debrief.example.toml` with the user's identity filled in and,
//! with `--provider`, active `[imap]` and `[smtp]` sections for that provider in place
//! of the commented examples. Missing answers are asked on a terminal; when standard
//! input is not a terminal nothing is asked (scripts never hang): flags and defaults
//! decide. An existing config is never replaced without `--force`. The file is created
//! with mode 0600, since it may end up holding a password.

use crate::cli::common::config_path;
use crate::cli::usage;
use crate::config::{Config, EXAMPLE_CONFIG, is_plain_address};
use std::io::{BufRead, IsTerminal, Write};
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
    /// Your mail provider: fills in [imap] and [smtp] (servers, ports, how to log in).
    #[arg(long, value_enum)]
    pub provider: Option<Provider>,
    /// Overwrite an existing config file.
    #[arg(long)]
    pub force: bool,
}

/// Mail providers with known settings. `generic` guesses imap./smtp. hosts from the
/// address's domain, for the user to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Provider {
    Gmail,
    Outlook,
    Fastmail,
    Icloud,
    Generic,
}

impl Provider {
    /// The provider an address most likely belongs to, for the default answer.
    pub fn guess(email: &str) -> Option<Provider> {
        let domain = email.rsplit_once('@')?.1.to_ascii_lowercase();
        Some(match domain.as_str() {
            "gmail.com" | "googlemail.com" => Provider::Gmail,
            "outlook.com" | "hotmail.com" | "live.com" | "msn.com" => Provider::Outlook,
            "fastmail.com" | "fastmail.fm" => Provider::Fastmail,
            "icloud.com" | "me.com" | "mac.com" => Provider::Icloud,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Provider::Gmail => "gmail",
            Provider::Outlook => "outlook",
            Provider::Fastmail => "fastmail",
            Provider::Icloud => "icloud",
            Provider::Generic => "generic",
        }
    }

    fn parse(text: &str) -> Option<Provider> {
        [Provider::Gmail, Provider::Outlook, Provider::Fastmail, Provider::Icloud, Provider::Generic]
            .into_iter()
            .find(|provider| provider.name().eq_ignore_ascii_case(text.trim()))
    }

    /// The `[imap]` and `[smtp]` sections for this provider and address, with comments.
    pub fn sections(self, email: &str) -> String {
        let domain = email.rsplit_once('@').map_or("example.net", |(_, domain)| domain);
        let local_part = email.rsplit_once('@').map_or(email, |(local, _)| local);
        let app_password = |how: &str| {
            format!(
                "# Log in with an app password, not your account password: {how}\n\
                 # Keep it out of this file: store it with `pass insert mail/debrief` (or any\n\
                 # program that prints it), or under systemd use\n\
                 # password_credential = \"imap-password\" with LoadCredential= (see the README).\n"
            )
        };
        let (intro, imap, smtp, auth, extra_imap, extra_smtp) = match self {
            Provider::Gmail => (
                app_password(
                    "turn on 2-Step Verification,\n# then create one at https://myaccount.google.com/apppasswords.",
                ) + "# For OAuth2 instead: auth = \"xoauth2\" and token_command = a program that prints an\n\
                       # access token for https://mail.google.com/ (e.g. [\"oama\", \"access\", \"you@gmail.com\"]).\n",
                ("imap.gmail.com", 993, "tls"),
                ("smtp.gmail.com", 465, "tls"),
                "plain",
                "sent_mailbox = \"[Gmail]/Sent Mail\"\ndrafts_mailbox = \"[Gmail]/Drafts\"\n",
                "# Gmail files what you send in Sent Mail itself.\nprovider_files_sent = true\n",
            ),
            Provider::Outlook => (
                "# Outlook.com and Microsoft 365 accept OAuth2 only (XOAUTH2): token_command runs a\n\
                 # program that prints an access token for IMAP.AccessAsUser.All and SMTP.Send, e.g.\n\
                 # oama or mutt_oauth2.py, registered once with your account.\n\
                 # A Microsoft 365 work account may use smtp.office365.com instead.\n"
                    .to_owned(),
                ("outlook.office365.com", 993, "tls"),
                ("smtp-mail.outlook.com", 587, "starttls"),
                "xoauth2",
                "",
                "# If each sent message shows up twice in Sent Items, set this to true.\nprovider_files_sent = false\n",
            ),
            Provider::Fastmail => (
                app_password(
                    "create one under Settings → Privacy & Security\n# → Integrations → App passwords, with IMAP and SMTP access.",
                ),
                ("imap.fastmail.com", 993, "tls"),
                ("smtp.fastmail.com", 465, "tls"),
                "plain",
                "",
                "provider_files_sent = false\n",
            ),
            Provider::Icloud => (
                app_password(
                    "create an app-specific password at\n# https://account.apple.com → Sign-In and Security (two-factor authentication must be on).",
                ),
                ("imap.mail.me.com", 993, "tls"),
                ("smtp.mail.me.com", 587, "starttls"),
                "plain",
                "sent_mailbox = \"Sent Messages\"\ndrafts_mailbox = \"Drafts\"\n",
                "provider_files_sent = false\n",
            ),
            Provider::Generic => (
                "# These host names are a guess from your address: check your provider's settings\n\
                 # page for its IMAP and SMTP servers, ports and whether it wants an app password.\n"
                    .to_owned(),
                ("imap.{domain}", 993, "tls"),
                ("smtp.{domain}", 465, "tls"),
                "plain",
                "",
                "provider_files_sent = false\n",
            ),
        };
        let host = |pattern: &str| pattern.replace("{domain}", domain);
        let secret = if auth == "xoauth2" {
            format!("token_command = [\"oama\", \"access\", \"{email}\"]\n")
        } else {
            "password_command = [\"pass\", \"show\", \"mail/debrief\"]\n".to_owned()
        };
        // iCloud's IMAP login is the name before the @; its SMTP login is the address.
        let imap_username = if self == Provider::Icloud { local_part } else { email };
        format!(
            "# Mail settings for {provider}, written by `debrief init --provider {provider}`.\n{intro}\n\
             # Read the inbox over IMAP. Remove this section for no IMAP.\n\
             [imap]\nhost = \"{imap_host}\"\nport = {imap_port}\nsecurity = \"{imap_security}\"\n\
             username = \"{imap_username}\"\n{imap_secret}auth = \"{auth}\"\nmailboxes = [\"INBOX\"]\n{extra_imap}\n\
             # Send approved mail over SMTP. Remove this section to only draft.\n\
             [smtp]\nhost = \"{smtp_host}\"\nport = {smtp_port}\nsecurity = \"{smtp_security}\"\n\
             username = \"{email}\"\n{smtp_secret}auth = \"{auth}\"\n{extra_smtp}\
             # drafts_only = true             # approved messages go to Drafts instead of out\n\n",
            provider = self.name(),
            imap_host = host(imap.0),
            imap_port = imap.1,
            imap_security = imap.2,
            imap_secret = secret,
            smtp_host = host(smtp.0),
            smtp_port = smtp.1,
            smtp_security = smtp.2,
            smtp_secret = secret,
        )
    }
}

/// The commented `[imap]`/`[smtp]` examples in the starter, replaced by a preset.
const MAIL_SECTIONS_START: &str = "# Read the inbox over IMAP. Omit for no IMAP.\n";
const MAIL_SECTIONS_END: &str = "# Read a local Maildir as the inbox";

/// What `init` writes, once every answer is known.
#[derive(Debug, Default)]
pub struct Answers {
    pub name: Option<String>,
    pub email: Option<String>,
    pub time_zone: Option<String>,
    pub provider: Option<Provider>,
}

/// The config text for these answers; refuses answers that would not make a config.
pub fn starter_config(answers: &Answers) -> anyhow::Result<String> {
    let mut text = EXAMPLE_CONFIG.to_owned();
    if let Some(name) = &answers.name {
        if name.trim().is_empty() || name.contains(['\r', '\n', '"', '\\']) {
            return Err(usage("--name must be one line without quotes or backslashes"));
        }
        text = text.replacen("name = \"Priya Raman\"", &format!("name = \"{}\"", name.trim()), 1);
        text = text.replacen("Priya Raman\n+1 555 0100", name.trim(), 1);
    }
    let email = answers.email.as_deref().unwrap_or("priya@example.net");
    if answers.email.is_some() {
        if !is_plain_address(email) {
            return Err(usage(format!("--email {email:?} is not an email address")));
        }
        text = text.replacen("email = \"priya@example.net\"", &format!("email = \"{email}\""), 1);
    }
    if let Some(zone) = &answers.time_zone {
        if jiff::tz::TimeZone::get(zone).is_err() {
            return Err(usage(format!("--time-zone {zone:?} is not an IANA time zone name such as \"Europe/Berlin\"")));
        }
        text = text.replacen("time_zone = \"America/Los_Angeles\"", &format!("time_zone = \"{zone}\""), 1);
    }
    if let Some(provider) = answers.provider {
        let start = text.find(MAIL_SECTIONS_START);
        let end = text.find(MAIL_SECTIONS_END);
        let (Some(start), Some(end)) = (start, end) else {
            anyhow::bail!(
                "config/debrief.example.toml lost its [imap]/[smtp] examples; this is a bug, please report it"
            );
        };
        text.replace_range(start..end, &provider.sections(email));
    }
    Ok(text)
}

pub fn init(config: Option<&Path>, args: &InitArgs) -> anyhow::Result<()> {
    let path = config_path(config);
    if path.exists() && !args.force {
        return Err(usage(format!("{} already exists: edit it, or pass --force to replace it", path.display())));
    }
    let system_zone = jiff::tz::TimeZone::try_system().ok().and_then(|zone| zone.iana_name().map(str::to_owned));
    let mut answers = Answers {
        name: args.name.clone(),
        email: args.email.clone(),
        time_zone: args.time_zone.clone().or(system_zone),
        provider: args.provider,
    };
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        ask_missing(&mut answers, args, &mut stdin.lock(), &mut std::io::stdout())?;
    }
    let text = starter_config(&answers)?;
    // Refuse to write something that would not load.
    Config::from_toml(&text, &path, Some(0o600))?;
    write_private(&path, &text)?;
    println!("Wrote {}.", path.display());
    match answers.provider {
        Some(_) => println!(
            "Next: store your password as its comments say (or adjust password_command), check [imap] and [smtp], then run `debrief doctor`."
        ),
        None => println!(
            "Next: edit [identity]; to read mail, [imap] or [maildir]; to send, [smtp] (or rerun with --provider); then run `debrief doctor`."
        ),
    }
    println!("Record an interview with `debrief add`, or run `debrief sync` to read your inbox.");
    Ok(())
}

/// Asks on the terminal for what the flags left out. Only called when stdin is a tty.
fn ask_missing(
    answers: &mut Answers,
    args: &InitArgs,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
) -> anyhow::Result<()> {
    if args.name.is_none() {
        answers.name = ask(input, output, "Your name, as it appears on mail you send", None)?;
    }
    if args.email.is_none() {
        answers.email = ask(input, output, "The address you send from", None)?;
    }
    if args.time_zone.is_none() {
        let default = answers.time_zone.clone();
        answers.time_zone = ask(input, output, "Your time zone (IANA name)", default.as_deref())?.or(default);
    }
    if args.provider.is_none() {
        let guess = answers.email.as_deref().and_then(Provider::guess).map(Provider::name);
        let question = "Your mail provider: gmail, outlook, fastmail, icloud, generic, or none to set it up later";
        loop {
            match ask(input, output, question, Some(guess.unwrap_or("none")))?.as_deref() {
                None => break,
                Some(text) if text.eq_ignore_ascii_case("none") => break,
                Some(text) => match Provider::parse(text) {
                    Some(provider) => {
                        answers.provider = Some(provider);
                        break;
                    }
                    None => writeln!(output, "{text:?} is not one of those.")?,
                },
            }
        }
    }
    Ok(())
}

/// One question; an empty answer takes `default` (returned as given, or `None`).
fn ask(
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    question: &str,
    default: Option<&str>,
) -> anyhow::Result<Option<String>> {
    match default {
        Some(default) => write!(output, "{question} [{default}]: ")?,
        None => write!(output, "{question}: ")?,
    }
    output.flush()?;
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Ok(default.map(str::to_owned));
    }
    let answer = line.trim();
    Ok(if answer.is_empty() { default.map(str::to_owned) } else { Some(answer.to_owned()) })
}

/// Writes `text` to a new file only its owner can read (0600 from the first byte).
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use anyhow::Context as _;
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).with_context(|| format!("Creating the folder {}", parent.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| format!("Creating {}", path.display()))?;
    #[cfg(unix)]
    {
        // `mode` applies only to a new file; a replaced one (--force) is narrowed here.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes()).with_context(|| format!("Writing {}", path.display()))?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Config {
        Config::from_toml(text, Path::new("/home/u/.config/debrief/config.toml"), Some(0o600))
            .unwrap_or_else(|err| panic!("{err}\n{text}"))
    }

    #[test]
    fn every_preset_makes_a_config_with_its_servers() {
        let cases = [
            (Provider::Gmail, "lena@gmail.com", "imap.gmail.com", 993, "smtp.gmail.com", 465),
            (Provider::Outlook, "lena@outlook.com", "outlook.office365.com", 993, "smtp-mail.outlook.com", 587),
            (Provider::Fastmail, "lena@fastmail.com", "imap.fastmail.com", 993, "smtp.fastmail.com", 465),
            (Provider::Icloud, "lena@icloud.com", "imap.mail.me.com", 993, "smtp.mail.me.com", 587),
            (Provider::Generic, "lena@example.org", "imap.example.org", 993, "smtp.example.org", 465),
        ];
        for (provider, email, imap_host, imap_port, smtp_host, smtp_port) in cases {
            let answers = Answers { email: Some(email.into()), provider: Some(provider), ..Answers::default() };
            let config = load(&starter_config(&answers).unwrap());
            let (imap, smtp) = (config.imap.unwrap(), config.smtp.unwrap());
            assert_eq!((imap.server.host.as_str(), imap.server.port), (imap_host, imap_port), "{provider:?}");
            assert_eq!((smtp.server.host.as_str(), smtp.server.port), (smtp_host, smtp_port), "{provider:?}");
            assert_eq!(smtp.provider_files_sent, provider == Provider::Gmail, "{provider:?}");
            assert_eq!(smtp.server.username, email);
        }
    }

    #[test]
    fn presets_carry_what_the_provider_needs() {
        let gmail =
            Answers { email: Some("a@gmail.com".into()), provider: Some(Provider::Gmail), ..Answers::default() };
        let config = load(&starter_config(&gmail).unwrap());
        assert_eq!(config.imap.unwrap().sent_mailbox.as_deref(), Some("[Gmail]/Sent Mail"));
        let outlook =
            Answers { email: Some("a@outlook.com".into()), provider: Some(Provider::Outlook), ..Answers::default() };
        let config = load(&starter_config(&outlook).unwrap());
        assert_eq!(config.imap.unwrap().server.auth, crate::config::AuthMethod::Xoauth2);
        let icloud =
            Answers { email: Some("a.b@icloud.com".into()), provider: Some(Provider::Icloud), ..Answers::default() };
        let config = load(&starter_config(&icloud).unwrap());
        assert_eq!(config.imap.unwrap().server.username, "a.b", "iCloud's IMAP login is the name before the @");
        assert!(starter_config(&gmail).unwrap().contains("myaccount.google.com/apppasswords"));
    }

    #[test]
    fn addresses_suggest_their_provider() {
        assert_eq!(Provider::guess("x@GMail.com"), Some(Provider::Gmail));
        assert_eq!(Provider::guess("x@hotmail.com"), Some(Provider::Outlook));
        assert_eq!(Provider::guess("x@me.com"), Some(Provider::Icloud));
        assert_eq!(Provider::guess("x@example.org"), None);
    }

    #[test]
    fn questions_take_answers_and_defaults_and_repeat_on_nonsense() {
        let args = InitArgs { name: None, email: None, time_zone: None, provider: None, force: false };
        let mut answers = Answers { time_zone: Some("Europe/Berlin".into()), ..Answers::default() };
        let mut input: &[u8] = b"Lena Marchetti\nlena@fastmail.com\n\nyahoo\n\n";
        let mut output = Vec::new();
        ask_missing(&mut answers, &args, &mut input, &mut output).unwrap();
        assert_eq!(answers.name.as_deref(), Some("Lena Marchetti"));
        assert_eq!(answers.email.as_deref(), Some("lena@fastmail.com"));
        assert_eq!(answers.time_zone.as_deref(), Some("Europe/Berlin"));
        assert_eq!(answers.provider, Some(Provider::Fastmail), "the guess from the address is the default");
        let shown = String::from_utf8(output).unwrap();
        assert!(shown.contains("[fastmail]: \"yahoo\" is not one of those."), "{shown}");
    }

    #[test]
    fn bad_answers_are_refused() {
        let bad_email = Answers { email: Some("lena".into()), ..Answers::default() };
        assert!(starter_config(&bad_email).unwrap_err().to_string().contains("--email"));
        let bad_zone = Answers { time_zone: Some("Mars/Base".into()), ..Answers::default() };
        assert!(starter_config(&bad_zone).unwrap_err().to_string().contains("--time-zone"));
    }
}

//! The loopback mail rig, from a test's side: a private Dovecot and an SMTP server started
//! once per test binary by `tests/rig/rig.py`, and helpers to put mail in, read mail out
//! and write a debrief config that points at them.
//!
//! Include it with `#[path = "support/rig.rs"] mod rig;`. `Rig::start()` spawns the
//! supervisor on first use and waits for its ready line; the supervisor stops everything
//! and removes its directory when this process exits (its stdin closes). When Dovecot or
//! aiosmtpd is missing the rig panics with the command that installs them: a missing
//! server never turns into a silently skipped test.
//!
//! Tests share the rig, so each uses its own addresses (any address at one of the rig's
//! domains has a mailbox; unknown ones log in with the shared password), and takes
//! [`Rig::shared`] while it talks to the servers: a test that stops Dovecot takes
//! [`Rig::exclusive`] instead.

#![allow(dead_code)] // Each test binary uses a different part of the rig.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

const PYTHON: &str = "/usr/bin/python3";
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

static RIG: OnceLock<Rig> = OnceLock::new();
static TURNS: RwLock<()> = RwLock::const_new(());

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Ports {
    /// IMAP, offering STARTTLS.
    pub imap: u16,
    /// IMAP over implicit TLS.
    pub imaps: u16,
    pub lmtp: u16,
    /// SMTP, offering STARTTLS (AUTH only after it).
    pub smtp: u16,
    /// SMTP over implicit TLS.
    pub smtps: u16,
}

#[derive(Debug, Deserialize)]
struct Ready {
    run_dir: PathBuf,
    ca_file: PathBuf,
    mail_dir: PathBuf,
    smtp_log: PathBuf,
    ports: Ports,
    users: BTreeMap<String, String>,
    shared_password: String,
    domains: Vec<String>,
}

/// One message the SMTP server accepted.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct SmtpLogEntry {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub message_id: Option<String>,
    /// "smtps" or "smtp" (the STARTTLS port).
    pub port: String,
    pub auth_user: Option<String>,
}

pub struct Rig {
    pub run_dir: PathBuf,
    /// The CA that signed the servers' certificate: what `ca_file` should point at.
    pub ca_file: PathBuf,
    pub ports: Ports,
    /// Users with their own passwords.
    pub users: BTreeMap<String, String>,
    /// The password of every other address at one of `domains`.
    pub shared_password: String,
    pub domains: Vec<String>,
    mail_dir: PathBuf,
    smtp_log_path: PathBuf,
    control: Mutex<Control>,
}

struct Control {
    stdin: ChildStdin,
    lines: Receiver<String>,
    _child: Child,
}

impl Rig {
    /// The rig of this test binary, started on first use.
    pub fn start() -> &'static Rig {
        RIG.get_or_init(|| Rig::launch().unwrap_or_else(|message| panic!("{message}")))
    }

    /// A turn for a test that uses the servers alongside others.
    pub async fn shared(&self) -> RwLockReadGuard<'static, ()> {
        TURNS.read().await
    }

    /// A turn for a test that disturbs the servers (stops Dovecot): it runs alone.
    /// [`Rig::shared`] for tests that are not async (they drive the binary).
    pub fn shared_blocking(&self) -> RwLockReadGuard<'static, ()> {
        TURNS.blocking_read()
    }

    pub async fn exclusive(&self) -> RwLockWriteGuard<'static, ()> {
        TURNS.write().await
    }

    fn launch() -> Result<Rig, String> {
        let install = "run `tests/rig/install.sh` as root (it installs dovecot-imapd, dovecot-lmtpd, python3-aiosmtpd, faketime and openssl)";
        let dovecot = ["/usr/sbin/dovecot", "/usr/bin/dovecot"].iter().any(|path| Path::new(path).exists());
        if !dovecot {
            return Err(format!("the mail rig needs Dovecot, which is not installed: {install}"));
        }
        let aiosmtpd = Command::new(PYTHON)
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !aiosmtpd {
            return Err(format!("the mail rig needs {PYTHON} with aiosmtpd, which is missing: {install}"));
        }
        // Free ports: bind them all at once, then let the supervisor take them.
        let listeners: Vec<TcpListener> = (0..5)
            .map(|_| TcpListener::bind("127.0.0.1:0"))
            .collect::<Result<_, _>>()
            .map_err(|err| format!("cannot find free ports: {err}"))?;
        let ports: Vec<u16> =
            listeners.iter().filter_map(|listener| listener.local_addr().ok()).map(|a| a.port()).collect();
        drop(listeners);
        let run_dir = tempfile::Builder::new()
            .prefix("debrief-rig-")
            .tempdir()
            .map_err(|err| format!("cannot create the rig's directory: {err}"))?
            .keep();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rig/rig.py");
        let mut child = Command::new(PYTHON)
            .arg(&script)
            .arg("--dir")
            .arg(&run_dir)
            .args(["--imap-port", &ports[0].to_string(), "--imaps-port", &ports[1].to_string()])
            .args(["--lmtp-port", &ports[2].to_string(), "--smtp-port", &ports[3].to_string()])
            .args(["--smtps-port", &ports[4].to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|err| format!("cannot start {}: {err}", script.display()))?;
        let stdin = child.stdin.take().ok_or("the rig has no stdin")?;
        let stdout = child.stdout.take().ok_or("the rig has no stdout")?;
        // A thread forwards the supervisor's lines, so that every read can have a timeout.
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let line = match lines.recv_timeout(READY_TIMEOUT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => return Err(format!("the rig was not ready within {READY_TIMEOUT:?}")),
            Err(RecvTimeoutError::Disconnected) => {
                let status = child.wait().map(|status| status.to_string()).unwrap_or_default();
                return Err(format!("the rig exited before it was ready ({status}); its errors are above"));
            }
        };
        let ready: Ready =
            serde_json::from_str(&line).map_err(|err| format!("the rig's ready line {line:?}: {err}"))?;
        Ok(Rig {
            run_dir: ready.run_dir,
            ca_file: ready.ca_file,
            ports: ready.ports,
            users: ready.users,
            shared_password: ready.shared_password,
            domains: ready.domains,
            mail_dir: ready.mail_dir,
            smtp_log_path: ready.smtp_log,
            control: Mutex::new(Control { stdin, lines, _child: child }),
        })
    }

    /// The password `address` logs in with.
    pub fn password(&self, address: &str) -> String {
        self.users.get(&address.to_lowercase()).cloned().unwrap_or_else(|| self.shared_password.clone())
    }

    /// Kills Dovecot's master and children: an outage. Take [`Rig::exclusive`] first.
    pub fn stop_dovecot(&self) {
        self.command("stop-dovecot");
    }

    /// Starts Dovecot again and returns when it greets.
    pub fn start_dovecot(&self) {
        self.command("start-dovecot");
    }

    fn command(&self, command: &str) {
        let mut control = self.control.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        writeln!(control.stdin, "{command}").and_then(|()| control.stdin.flush()).expect("the rig's stdin");
        let reply = control.lines.recv_timeout(COMMAND_TIMEOUT).expect("the rig's reply");
        assert_eq!(reply, format!("ok {command}"), "the rig failed {command}");
    }

    /// Delivers `raw` into `address`'s INBOX over LMTP, as a mail server would.
    pub fn deliver(&self, address: &str, raw: &[u8]) {
        lmtp_deliver(self.ports.lmtp, address, raw).unwrap_or_else(|err| panic!("LMTP delivery to {address}: {err}"));
    }

    /// Puts `raw` straight into `address`'s INBOX folder on disk, as a local delivery
    /// agent would: this works while Dovecot is down, and Dovecot sees the message when
    /// it is back.
    pub fn deliver_to_maildir(&self, address: &str, raw: &[u8]) {
        let address = address.to_lowercase();
        let (local, domain) = address.rsplit_once('@').expect("an address with a domain");
        let folder = self.mail_dir.join(domain).join(local).join("Maildir");
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(folder.join(sub)).expect("a Maildir folder");
        }
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let unique = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let seconds = std::time::UNIX_EPOCH.elapsed().map(|d| d.as_secs()).unwrap_or(0);
        let name = format!("{seconds}.M{unique}P{}.rig", std::process::id());
        let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
        std::fs::write(folder.join("tmp").join(&name), text).expect("a message file");
        std::fs::rename(folder.join("tmp").join(&name), folder.join("new").join(&name)).expect("a delivery");
        for path in [folder.join("new").join(&name), folder.join("new"), folder.join("cur"), folder.join("tmp")] {
            let _ = std::os::unix::fs::chown(&path, Some(8), Some(8));
        }
    }

    /// The messages in `address`'s `mailbox` ("INBOX", "Sent", ...), oldest first, read
    /// from the Maildir on disk (so it works whatever the IMAP code under test does).
    pub fn mailbox_messages(&self, address: &str, mailbox: &str) -> Vec<Vec<u8>> {
        let address = address.to_lowercase();
        let (local, domain) = address.rsplit_once('@').expect("an address with a domain");
        let mut folder = self.mail_dir.join(domain).join(local).join("Maildir");
        if !mailbox.eq_ignore_ascii_case("INBOX") {
            folder = folder.join(format!(".{}", mailbox.replace('/', ".")));
        }
        let mut files: Vec<((u64, u64), PathBuf)> = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(folder.join(sub)) else { continue };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                files.push((maildir_order(&name), entry.path()));
            }
        }
        files.sort();
        // Dovecot stores LF line ends; IMAP (and SMTP) speak CRLF, so give them back that way.
        files.into_iter().map(|(_, path)| crlf(&std::fs::read(&path).expect("a message file"))).collect()
    }

    /// Every message the SMTP server accepted so far.
    pub fn smtp_log(&self) -> Vec<SmtpLogEntry> {
        let text = std::fs::read_to_string(&self.smtp_log_path).expect("the SMTP log");
        text.lines().map(|line| serde_json::from_str(line).expect("an SMTP log line")).collect()
    }

    /// A debrief config for `address` on this rig: IMAP and SMTP over implicit TLS,
    /// `ca_file` set, the password from `password_command`.
    pub fn config_for(&self, address: &str) -> ConfigBuilder<'_> {
        ConfigBuilder {
            rig: self,
            address: address.to_owned(),
            password: self.password(address),
            imap_security: "tls",
            smtp_security: "tls",
            imap_port: None,
            smtp_port: None,
            auth: "plain",
            ca_file: true,
            host: "localhost".into(),
        }
    }
}

fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 40);
    for (index, byte) in bytes.iter().enumerate() {
        if *byte == b'\n' && (index == 0 || bytes[index - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(*byte);
    }
    out
}

/// Maildir names start with seconds and carry `M<microseconds>`.
fn maildir_order(name: &str) -> (u64, u64) {
    let seconds = name.split('.').next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let micros = name
        .split('.')
        .nth(1)
        .and_then(|part| part.strip_prefix('M'))
        .and_then(|part| part.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(0);
    (seconds, micros)
}

fn lmtp_deliver(port: u16, address: &str, raw: &[u8]) -> std::io::Result<()> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(COMMAND_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let expect = |reader: &mut BufReader<TcpStream>, code: &str| -> std::io::Result<()> {
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Err(std::io::Error::other("LMTP closed the connection"));
            }
            if !line.starts_with(code) {
                return Err(std::io::Error::other(format!("LMTP answered {line:?}, expected {code}")));
            }
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(());
            }
        }
    };
    expect(&mut reader, "220")?;
    for (command, code) in [
        ("LHLO rig.test".to_owned(), "250"),
        ("MAIL FROM:<rig@rig.test>".to_owned(), "250"),
        (format!("RCPT TO:<{address}>"), "250"),
        ("DATA".to_owned(), "354"),
    ] {
        writer.write_all(format!("{command}\r\n").as_bytes())?;
        expect(&mut reader, code)?;
    }
    let mut data = Vec::with_capacity(raw.len() + 64);
    let text = String::from_utf8_lossy(raw);
    let normalized = text.replace("\r\n", "\n");
    for line in normalized.trim_end_matches('\n').split('\n') {
        if line.starts_with('.') {
            data.push(b'.');
        }
        data.extend_from_slice(line.as_bytes());
        data.extend_from_slice(b"\r\n");
    }
    data.extend_from_slice(b".\r\n");
    writer.write_all(&data)?;
    expect(&mut reader, "250")?;
    writer.write_all(b"QUIT\r\n")?;
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
    Ok(())
}

/// Writes a debrief config for the rig; see [`Rig::config_for`].
pub struct ConfigBuilder<'r> {
    rig: &'r Rig,
    address: String,
    password: String,
    imap_security: &'static str,
    smtp_security: &'static str,
    imap_port: Option<u16>,
    smtp_port: Option<u16>,
    auth: &'static str,
    ca_file: bool,
    host: String,
}

/// A written config and the directory that holds it (removed on drop).
pub struct RigConfig {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub config: debrief::config::Config,
}

impl RigConfig {
    pub fn imap(&self) -> &debrief::config::ImapConfig {
        self.config.imap.as_ref().expect("the rig config has [imap]")
    }

    pub fn smtp(&self) -> &debrief::config::SmtpConfig {
        self.config.smtp.as_ref().expect("the rig config has [smtp]")
    }
}

impl ConfigBuilder<'_> {
    pub fn password(mut self, password: &str) -> Self {
        self.password = password.to_owned();
        self
    }

    pub fn imap_starttls(mut self) -> Self {
        self.imap_security = "starttls";
        self
    }

    pub fn smtp_starttls(mut self) -> Self {
        self.smtp_security = "starttls";
        self
    }

    /// Points IMAP (and SMTP) at another port, e.g. a closed one.
    pub fn imap_port(mut self, port: u16) -> Self {
        self.imap_port = Some(port);
        self
    }

    pub fn smtp_port(mut self, port: u16) -> Self {
        self.smtp_port = Some(port);
        self
    }

    /// "plain", "login" or "xoauth2" (then the password is the bearer token).
    pub fn auth(mut self, auth: &'static str) -> Self {
        self.auth = auth;
        self
    }

    /// Leaves `ca_file` out, so only the platform's roots are trusted.
    pub fn without_ca_file(mut self) -> Self {
        self.ca_file = false;
        self
    }

    pub fn host(mut self, host: &str) -> Self {
        self.host = host.to_owned();
        self
    }

    /// Writes `config.toml` and a 0600 password file into a new directory, and loads it.
    pub fn build(self) -> RigConfig {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("a config directory");
        let secret_path = dir.path().join("secret");
        std::fs::write(&secret_path, format!("{}\n", self.password)).expect("the secret file");
        std::fs::set_permissions(&secret_path, std::fs::Permissions::from_mode(0o600)).expect("chmod 600");
        let secret_key = if self.auth == "xoauth2" { "token_command" } else { "password_command" };
        let secret = format!("{secret_key} = [\"/bin/cat\", {:?}]", secret_path.display().to_string());
        let ca_file = if self.ca_file {
            format!("ca_file = {:?}\n", self.rig.ca_file.display().to_string())
        } else {
            String::new()
        };
        let port = |security: &str, tls: u16, starttls: u16| if security == "tls" { tls } else { starttls };
        let imap_port = self.imap_port.unwrap_or(port(self.imap_security, self.rig.ports.imaps, self.rig.ports.imap));
        let smtp_port = self.smtp_port.unwrap_or(port(self.smtp_security, self.rig.ports.smtps, self.rig.ports.smtp));
        let text = format!(
            r#"[identity]
name = "Rig Tester"
email = {address:?}
time_zone = "UTC"

[storage]
path = {db:?}

[imap]
host = {host:?}
port = {imap_port}
security = "{imap_security}"
username = {address:?}
{secret}
auth = "{auth}"
mailboxes = ["INBOX"]
{ca_file}
[smtp]
host = {host:?}
port = {smtp_port}
security = "{smtp_security}"
username = {address:?}
{secret}
auth = "{auth}"
{ca_file}"#,
            address = self.address,
            db = dir.path().join("debrief.db").display().to_string(),
            host = self.host,
            imap_security = self.imap_security,
            smtp_security = self.smtp_security,
            auth = self.auth,
        );
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).expect("the config file");
        let config = debrief::config::Config::load(&path).unwrap_or_else(|err| panic!("the rig's config: {err}"));
        RigConfig { dir, path, config }
    }
}

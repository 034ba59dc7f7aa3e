//! From a test's side of `debrief web`: a home with a config, a Maildir and a database;
//! the page started as a real process (under libfaketime); a plain HTTP/1.1 client that
//! can send what a browser would not. Include it with
//! `#[path = "support/web.rs"] mod support_web;`.

#![allow(dead_code)] // Each test binary uses a different part.

#[path = "home.rs"]
mod home;
pub use home::Home;
use home::faketime;
use serde_json::Value;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

const START_TIMEOUT: Duration = Duration::from_secs(60);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The page's homes: [`Home::open_all_week`] and its rig variant, whose commands run
/// with the monotonic clock real (tokio's timers) under a faked wall clock.
impl Home {
    pub fn new() -> Home {
        Home::with_policy("")
    }

    /// A home whose `[policy]` has `extra` lines too.
    pub fn with_policy(extra: &str) -> Home {
        Home::open_all_week(&format!("{extra}\n")).with_env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
    }

    /// A home whose config is `text` (e.g. the mail rig's) with its database moved here
    /// and a send window open all week.
    pub fn with_config_text(text: &str) -> Home {
        Home::open_all_week_with_config(text).with_env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
    }

    /// An interview on Mon 7 Dec 2026, 15:00-16:00 UTC with Dana, and its thank-you
    /// note (draft 1, pending, due at 20:00).
    pub fn interviewed() -> Home {
        let home = Home::new();
        home.interview(&["Dana Reyes <dana@clockwork.example>"]);
        home
    }

    pub fn append_config(&self, text: &str) {
        let config = std::fs::read_to_string(self.path("config.toml")).unwrap();
        std::fs::write(self.path("config.toml"), config + text).unwrap();
    }

    /// What `show` does not print: the approval and the hold, read from the database.
    pub fn draft_row(&self, id: i64) -> DraftRow {
        let conn = rusqlite::Connection::open_with_flags(
            self.path("data/debrief.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        conn.query_row("SELECT status, approved_at, hold_until, sent_at FROM drafts WHERE id = ?1", [id], |row| {
            Ok(DraftRow {
                status: row.get(0)?,
                approved_at: row.get(1)?,
                hold_until: row.get(2)?,
                sent_at: row.get(3)?,
            })
        })
        .unwrap()
    }
}

#[derive(Debug)]
pub struct DraftRow {
    pub status: String,
    pub approved_at: Option<String>,
    pub hold_until: Option<String>,
    pub sent_at: Option<String>,
}

/// `debrief web` running, and the URL it printed.
pub struct Page {
    child: Child,
    pub port: u16,
    pub token: String,
}

impl Page {
    /// Starts `debrief web --listen 127.0.0.1:0 EXTRA` with the clock frozen at `at`, and
    /// waits (with a deadline) for the line with its address.
    pub fn start(home: &Home, at: &str, extra: &[&str]) -> Page {
        let mut args = vec!["web", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        // libfaketime preloaded into debrief itself (not through the `faketime` wrapper,
        // which would stay the child and leave debrief running when the test kills it).
        let mut child = home
            .command(None, &args)
            .env("LD_PRELOAD", faketime::library())
            .env("FAKETIME", at)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = match receiver.recv_timeout(START_TIMEOUT) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("debrief web printed no address within {START_TIMEOUT:?}");
            }
        };
        Page::from_line(child, &line)
    }

    /// Starts `debrief run` (whose config has `[web]`) and waits, with a deadline, for
    /// the log line with the page's address.
    pub fn in_daemon(home: &Home) -> Page {
        Page::in_daemon_from(home, None)
    }

    /// As [`Page::in_daemon`], the daemon's clock starting at `at` and running on.
    pub fn in_daemon_at(home: &Home, at: &str) -> Page {
        Page::in_daemon_from(home, Some(at))
    }

    fn in_daemon_from(home: &Home, at: Option<&str>) -> Page {
        let mut child = home
            .command(at, &["run"])
            .env_remove("NOTIFY_SOCKET")
            .env_remove("JOURNAL_STREAM")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("The approval page is at ") {
                    let _ = sender.send(line);
                }
            }
        });
        let line = match receiver.recv_timeout(START_TIMEOUT) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("debrief run logged no page address within {START_TIMEOUT:?}");
            }
        };
        Page::from_line(child, &line)
    }

    fn from_line(child: Child, line: &str) -> Page {
        let url = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"));
        let rest = url.strip_prefix("http://127.0.0.1:").unwrap_or_else(|| panic!("not loopback: {url}"));
        let (port, token) = rest.split_once("/?token=").unwrap();
        Page { child, port: port.parse().unwrap(), token: token.to_owned() }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn cookie(&self) -> String {
        format!("debrief_{}={}", self.port, self.token)
    }

    /// One request on its own connection. `host` defaults to 127.0.0.1:PORT.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        host: Option<&str>,
        with_cookie: bool,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Response {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_read_timeout(Some(REQUEST_TIMEOUT)).unwrap();
        let host = host.map(str::to_owned).unwrap_or_else(|| format!("127.0.0.1:{}", self.port));
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        if with_cookie {
            head.push_str(&format!("Cookie: {}\r\n", self.cookie()));
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = body {
            head.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        head.push_str(body.unwrap_or(""));
        stream.write_all(head.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        Response::parse(&raw)
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, None, true, &[], None)
    }

    pub fn get_without_cookie(&self, path: &str) -> Response {
        self.request("GET", path, None, false, &[], None)
    }

    pub fn post(&self, path: &str, body: &str) -> Response {
        self.request("POST", path, None, true, &[], Some(body))
    }

    /// The CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        input_value(&self.get("/queue").body, "csrf")
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    fn parse(raw: &[u8]) -> Response {
        let text = String::from_utf8_lossy(raw);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status = lines.next().unwrap_or("").split_whitespace().nth(1).unwrap_or("0").parse().unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        let chunked = headers.iter().any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
        let body = if chunked { dechunk(body) } else { body.to_owned() };
        Response { status, headers, body }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// The value of the first `<input name="NAME" value="...">` in a page.
pub fn input_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no input {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// A form body, URL-encoded.
pub fn form(fields: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(fields).unwrap()
}

pub fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

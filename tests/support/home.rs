//! A user's home for a test of the real binary: a temporary folder with a `config.toml`,
//! maybe a Maildir, and the database the config names; `debrief ARGS` run over it with
//! its clock set by libfaketime (through [`faketime`], included here).
//!
//! Include it with `#[path = "support/home.rs"] mod home;` and `use home::Home;`. What is
//! particular to one test file (its config, its scenario steps) stays in that file, as an
//! `impl Home` block or free functions there. A file that sets a clock by hand takes
//! `home::faketime` rather than including `faketime.rs` a second time; another support
//! module includes this one with `#[path = "home.rs"]` (paths are relative to its folder).
//!
//! Every command runs with `TZ=UTC` (the clocks the tests give are UTC) and
//! `DEBRIEF_CONFIG` pointing at the home's config, plus whatever the home was built with
//! ([`Home::with_env`], [`Home::without_env`]).

#![allow(dead_code)] // Each test binary uses a different part.

#[path = "faketime.rs"]
pub mod faketime;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BINARY: &str = env!("CARGO_BIN_EXE_debrief");

/// Priya Raman in Los Angeles with the database in her home (`debrief.db`): the user of
/// the CLI tests, whose config each file completes (a Maildir, references).
pub const PRIYA: &str = r#"
[identity]
name = "Priya Raman"
email = "priya@example.net"
time_zone = "America/Los_Angeles"
signature = "Priya Raman"

[storage]
path = "debrief.db"
"#;

pub struct Home {
    pub dir: tempfile::TempDir,
    /// Where [`Home::deliver`] puts mail, when the home has a Maildir.
    maildir: Option<PathBuf>,
    /// Variables set (`Some`) or removed (`None`) for every command, in this order.
    env: Vec<(String, Option<String>)>,
}

impl Home {
    /// A fresh folder whose `config.toml` is `config`, a text whose relative paths name
    /// files in the folder.
    pub fn with_config(config: &str) -> Home {
        Home::with_config_for(|_| config.to_owned())
    }

    /// A fresh folder whose `config.toml` is what `config` writes for the folder's path
    /// (for a config that names files in it by absolute path).
    pub fn with_config_for(config: impl FnOnce(&Path) -> String) -> Home {
        let home = Home { dir: tempfile::tempdir().unwrap(), maildir: None, env: Vec::new() };
        std::fs::write(home.config(), config(home.dir.path())).unwrap();
        home
    }

    /// [`PRIYA`]'s home with her mail in a Maildir at `Maildir/`; `extra` is added to
    /// the config as it is.
    pub fn priya_with_maildir(extra: &str) -> Home {
        Home::with_config(&format!("{PRIYA}\n[maildir]\npath = \"Maildir\"\n{extra}")).with_maildir("Maildir")
    }

    /// Casey Candidate's home (UTC): a Maildir at `maildir/`, the database at
    /// `data/debrief.db`, and a send window open around the clock every day. `policy` is
    /// added to the `[policy]` table as it is.
    pub fn open_all_week(policy: &str) -> Home {
        Home::with_config_for(|dir| {
            format!(
                "[identity]\nname = \"Casey Candidate\"\nemail = \"casey@clock.test\"\ntime_zone = \"UTC\"\n\
                 [storage]\npath = \"{}\"\n[maildir]\npath = \"{}\"\n\
                 [policy]\nsend_window = \"00:00-24:00\"\nsend_days = \"Mon-Sun\"\n{policy}",
                dir.join("data/debrief.db").display(),
                dir.join("maildir").display(),
            )
        })
        .with_maildir("maildir")
    }

    /// A home whose config is `text` (e.g. the mail rig's) with its database moved here,
    /// to `data/debrief.db`, and a send window open around the clock every day.
    pub fn open_all_week_with_config(text: &str) -> Home {
        Home::with_config_for(|dir| {
            let database = format!("path = {:?}", dir.join("data/debrief.db").display().to_string());
            let mut in_storage = false;
            let mut config = String::new();
            for line in text.lines() {
                if line.starts_with('[') {
                    in_storage = line.trim() == "[storage]";
                }
                config.push_str(if in_storage && line.trim_start().starts_with("path") { &database } else { line });
                config.push('\n');
            }
            config.push_str("\n[policy]\nsend_window = \"00:00-24:00\"\nsend_days = \"Mon-Sun\"\n");
            config
        })
    }

    /// The home with an empty Maildir (`new/`, `cur/`, `tmp/`) at `folder`, where
    /// [`Home::deliver`] puts mail. The config says where debrief reads it.
    pub fn with_maildir(mut self, folder: &str) -> Home {
        let maildir = self.path(folder);
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        self.maildir = Some(maildir);
        self
    }

    /// The home whose commands all run with `name` set to `value`.
    pub fn with_env(mut self, name: &str, value: &str) -> Home {
        self.env.push((name.to_owned(), Some(value.to_owned())));
        self
    }

    /// The home whose commands all run without the variables `names` (e.g. the user's
    /// `EDITOR`, which a test must not open).
    pub fn without_env(mut self, names: &[&str]) -> Home {
        self.env.extend(names.iter().map(|name| (name.to_string(), None)));
        self
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn config(&self) -> PathBuf {
        self.path("config.toml")
    }

    /// Delivers a message as a mail client's sync would: written into the Maildir's
    /// `tmp/`, then renamed into `new/`, so debrief never reads half a message.
    pub fn deliver(&self, name: &str, text: &str) {
        let maildir = self.maildir.as_ref().expect("a home built with_maildir");
        let tmp = maildir.join("tmp").join(name);
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, maildir.join("new").join(name)).unwrap();
    }

    /// `debrief ARGS`, its clock starting at `at` (UTC, "YYYY-MM-DD hh:mm:ss") and
    /// running on when given, else at the real time.
    pub fn command(&self, at: Option<&str>, args: &[&str]) -> Command {
        let mut command = match at {
            Some(at) => faketime::starting_at(at, BINARY),
            None => Command::new(BINARY),
        };
        command.env("TZ", "UTC").env("DEBRIEF_CONFIG", self.config());
        for (name, value) in &self.env {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        command.args(args);
        command
    }

    /// Runs `debrief ARGS` at the real time.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(None, args).output().unwrap()
    }

    /// Runs `debrief ARGS` with the clock starting at `at` (UTC).
    pub fn run_at(&self, at: &str, args: &[&str]) -> Output {
        self.command(Some(at), args).output().unwrap()
    }

    /// What `debrief ARGS` at `at` printed, after asserting that it succeeded.
    pub fn ok(&self, at: &str, args: &[&str]) -> String {
        succeeded(&self.run_at(at, args), args)
    }

    /// `debrief ARGS --json` at `at`, parsed.
    pub fn json(&self, at: &str, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        serde_json::from_str(&self.ok(at, &all)).unwrap()
    }

    /// Priya's interview for Backend Engineer at Acme Robotics on Tue 1 Dec 2026,
    /// 10:00-11:00 in Los Angeles, with `interviewers`, recorded on 25 Nov.
    pub fn add_acme_interview(&self, interviewers: &[&str]) {
        let round = ["Acme Robotics", "Backend Engineer", "2026-12-01T10:00:00-08:00", "60m"];
        self.add_round("2026-11-25 12:00:00", round, interviewers);
    }

    /// `debrief add` at `at` of a round `[company, role, start, duration]` with
    /// `interviewers`.
    pub fn add_round(&self, at: &str, [company, role, start, duration]: [&str; 4], interviewers: &[&str]) {
        let mut args = vec!["add", "--company", company, "--role", role, "--start", start, "--duration", duration];
        for interviewer in interviewers {
            args.extend(["--interviewer", interviewer]);
        }
        self.ok(at, &args);
    }

    /// Draft `id` (`show --json`), read at a time after everything the tests of an
    /// [`Home::open_all_week`] home do.
    pub fn show(&self, id: i64) -> Value {
        serde_json::from_str(&self.ok("2026-12-20 12:00:00", &["show", &id.to_string(), "--json"])).unwrap()
    }

    /// An interview on Mon 7 Dec 2026, 15:00-16:00 UTC, at Clockwork Analytics with
    /// `interviewers`, recorded that morning and synced after it ended: one thank-you
    /// draft for each (1, 2, ...), due at 20:00 in an [`Home::open_all_week`] home.
    pub fn interview(&self, interviewers: &[&str]) {
        let round = ["Clockwork Analytics", "Data Engineer", "2026-12-07T15:00:00Z", "1h"];
        self.add_round("2026-12-07 10:00:00", round, interviewers);
        self.ok("2026-12-07 17:00:00", &["sync"]);
        assert_eq!(self.show(1)["kind"], "thank_you");
    }
}

/// The standard output of `debrief ARGS` (`args`, for the message), after asserting that
/// it succeeded.
pub fn succeeded(output: &Output, args: &[&str]) -> String {
    assert!(
        output.status.success(),
        "debrief {args:?} failed ({:?}): {}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

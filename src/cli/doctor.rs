//! `debrief doctor`: checks everything debrief needs, for real, one line each.
//!
//! Config, database (opens, migrates, takes a write), templates (load and render), IMAP
//! (TCP, TLS, certificate, login; INBOX, the watched mailboxes, Sent and Drafts), SMTP
//! (TCP, TLS, login, NOOP) and the Maildir. Each line starts with ✓ or ✗ (`ok`/`FAIL`
//! without a terminal or with `NO_COLOR`) and a failed one says what to fix. Every network
//! check gives up after [`DEFAULT_TIMEOUT`] (or `DEBRIEF_DOCTOR_TIMEOUT` seconds), so an
//! unreachable host costs one line, not a hang. Exit code: 0 all passed, 1 a check failed,
//! 2 the config cannot be used.

use crate::cli::common::config_path;
use crate::config::Config;
use crate::mail::imap::ImapSession;
use crate::mail::smtp::SmtpSender;
use crate::store::Store;
use crate::templates::{DraftContext, TemplateName, Templates, greeting_for};
use std::future::Future;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// How long each network check may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

struct Report {
    fancy: bool,
    failed: bool,
}

impl Report {
    fn pass(&self, what: &str, detail: &str) {
        println!("{} {what}: {detail}", if self.fancy { "✓" } else { "ok  " });
    }

    fn fail(&mut self, what: &str, problem: &str) {
        self.failed = true;
        println!("{} {what}: {problem}", if self.fancy { "✗" } else { "FAIL" });
    }

    fn skip(&self, what: &str, why: &str) {
        println!("{} {what}: {why}", if self.fancy { "-" } else { "skip" });
    }
}

fn timeout_setting() -> Duration {
    std::env::var("DEBRIEF_DOCTOR_TIMEOUT")
        .ok()
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|seconds| *seconds > 0.0)
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs_f64)
}

/// Runs a network step with the doctor's timeout; a timeout is an error that says so.
async fn bounded<T, E: std::fmt::Display>(
    limit: Duration,
    host: &str,
    step: impl Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(limit, step).await {
        Ok(result) => result.map_err(|err| err.to_string()),
        Err(_) => Err(format!(
            "no answer from {host} within {} s; check the host, the port and the network (a firewall may drop the connection)",
            limit.as_secs_f64()
        )),
    }
}

pub fn run(flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let fancy = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty());
    let mut report = Report { fancy, failed: false };
    let path = config_path(flag);
    if !path.exists() {
        report.fail("config", &format!("{} does not exist; create it with `debrief init`", path.display()));
        return Ok(ExitCode::from(2));
    }
    let config = match Config::load(&path) {
        Ok(config) => config,
        Err(err) => {
            report.fail("config", &err.to_string());
            return Ok(ExitCode::from(2));
        }
    };
    report.pass("config", &format!("{} loaded", path.display()));
    check_database(&mut report, &config);
    check_templates(&mut report, &config);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let limit = timeout_setting();
        check_imap(&mut report, &config, limit).await;
        check_smtp(&mut report, &config, limit).await;
    });
    check_maildir(&mut report, &config);
    Ok(if report.failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn check_database(report: &mut Report, config: &Config) {
    let path = &config.storage_path;
    let writable = |store: &mut Store| -> anyhow::Result<()> {
        // Take the write lock and write (the schema version, unchanged), then roll back.
        let tx = store.transaction()?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        tx.pragma_update(None, "user_version", version)?;
        tx.rollback()?;
        Ok(())
    };
    match Store::open(path).and_then(|mut store| writable(&mut store)) {
        Ok(()) => report.pass("database", &format!("{} opens, is migrated and writable", path.display())),
        Err(err) => {
            report.fail("database", &format!("{err:#}; check storage.path and that its folder is yours and writable"))
        }
    }
}

fn check_templates(report: &mut Report, config: &Config) {
    let sample = DraftContext {
        greeting: greeting_for("Jane"),
        recipient_name: "Jane".into(),
        company: "Acme".into(),
        role: "Engineer".into(),
        topic: Some("the design review".into()),
        strength: Some("the migration I led".into()),
        interview_day: Some("Tuesday".into()),
        interview_when: "today".into(),
        follow_up_number: 1,
        follow_ups_total: config.policy.follow_ups.into(),
        timeline_day: Some("Friday, December 11".into()),
        last_reply_day: None,
        exchange_from: Some("reader".into()),
        reader_was_interviewer: true,
        addition: Some("I came across a piece on this and thought of our conversation.".into()),
        reference_cue: Some("asked".into()),
        about_name: Some("Carol Ng".into()),
        note: Some("Dear Carol Ng, thank you for your time today.".into()),
        interested: true,
        sender_name: config.identity.name.clone(),
        signature: config.identity.signature.clone(),
    };
    let rendered = Templates::load(config.templates_dir.as_deref()).and_then(|templates| {
        for name in TemplateName::ALL {
            templates.render(name, &sample).map_err(|err| err.context(format!("template {}", name.file_name())))?;
        }
        Ok(())
    });
    let origin = match &config.templates_dir {
        Some(dir) => format!("built-in, overridden from {}", dir.display()),
        None => "built-in".into(),
    };
    match rendered {
        Ok(()) => report.pass("templates", &format!("{} load and render ({origin})", TemplateName::ALL.len())),
        Err(err) => report.fail("templates", &format!("{err:#}; fix the template file named")),
    }
}

async fn check_imap(report: &mut Report, config: &Config, limit: Duration) {
    let Some(imap) = &config.imap else {
        report.skip("IMAP", "not configured (no [imap])");
        return;
    };
    let server = &imap.server;
    let target = format!("{}:{}", server.host, server.port);
    let mut session = match bounded(limit, &target, ImapSession::connect(imap)).await {
        Ok(session) => session,
        Err(problem) => {
            report.fail("IMAP login", &problem);
            return;
        }
    };
    report.pass(
        "IMAP login",
        &format!("{} as {} ({:?}, certificate verified)", target, server.username, server.security),
    );
    let mut wanted: Vec<String> = vec!["INBOX".into()];
    for name in &imap.mailboxes {
        if !wanted.iter().any(|seen| seen.eq_ignore_ascii_case(name)) {
            wanted.push(name.clone());
        }
    }
    let mut missing = Vec::new();
    for name in &wanted {
        if let Err(problem) = bounded(limit, &target, session.select(name)).await {
            missing.push(format!("{name} ({problem})"));
        }
    }
    match bounded(limit, &target, session.special_mailboxes()).await {
        Ok(found) => {
            for (role, name, key) in
                [("Sent", found.sent, "imap.sent_mailbox"), ("Drafts", found.drafts, "imap.drafts_mailbox")]
            {
                match name {
                    Some(name) => match bounded(limit, &target, session.select(&name)).await {
                        Ok(_) => wanted.push(format!("{role}={name}")),
                        Err(problem) => missing.push(format!("{role} {name:?} ({problem}); check {key}")),
                    },
                    None => missing.push(format!("{role} (no mailbox is marked \\{role}: set {key})")),
                }
            }
        }
        Err(problem) => missing.push(format!("Sent and Drafts ({problem})")),
    }
    if missing.is_empty() {
        report.pass("IMAP mailboxes", &wanted.join(", "));
    } else {
        report.fail("IMAP mailboxes", &format!("not found: {}", missing.join("; ")));
    }
    session.logout().await;
}

async fn check_smtp(report: &mut Report, config: &Config, limit: Duration) {
    let Some(smtp) = &config.smtp else {
        report.skip("SMTP", "not configured (no [smtp]): drafts are never sent");
        return;
    };
    let server = &smtp.server;
    let target = format!("{}:{}", server.host, server.port);
    let checked = bounded(limit, &target, async {
        let sender = SmtpSender::connect(smtp).await?;
        sender.test_connection().await
    })
    .await;
    match checked {
        Ok(()) => report.pass("SMTP login", &format!("{} as {} ({:?})", target, server.username, server.security)),
        Err(problem) => report.fail("SMTP login", &problem),
    }
}

fn check_maildir(report: &mut Report, config: &Config) {
    let Some(maildir) = &config.maildir else { return };
    let path = &maildir.path;
    let missing: Vec<&str> = ["cur", "new", "tmp"].into_iter().filter(|sub| !path.join(sub).is_dir()).collect();
    if missing.is_empty() {
        report.pass("maildir", &format!("{} is a Maildir", path.display()));
    } else {
        report.fail(
            "maildir",
            &format!(
                "{} is not a Maildir (no {}); point maildir.path at the folder that holds cur/, new/ and tmp/",
                path.display(),
                missing.join(", ")
            ),
        );
    }
}

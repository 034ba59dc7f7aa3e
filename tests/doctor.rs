//! `debrief doctor` as a user runs it, against the loopback rig (started once for this test
//! binary), and the three ways of giving a password (SPEC §5): `password_command`,
//! `password_env`, and an inline password only in a file of mode 0600.

#[path = "support/rig.rs"]
mod rig;

use rig::Rig;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Runs `debrief doctor` with `config`, and any extra environment.
fn doctor(config: &Path, env: &[(&str, &str)]) -> (Option<i32>, String, Output) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_debrief"));
    command.arg("doctor").env("DEBRIEF_CONFIG", config).env_remove("NO_COLOR");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code(), stdout, output)
}

fn failures(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|line| line.starts_with("FAIL")).collect()
}

/// Replaces the rig config's `password_command` lines with `line`.
fn with_secret_line(config: &Path, line: &str, mode: u32) {
    let text = std::fs::read_to_string(config).unwrap();
    let text: Vec<String> =
        text.lines().map(|l| if l.starts_with("password_command") { line.to_owned() } else { l.to_owned() }).collect();
    std::fs::write(config, text.join("\n") + "\n").unwrap();
    std::fs::set_permissions(config, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn everything_passes_against_the_rig() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let config = rig.config_for("doctor-ok@rig.test").build();
    let (code, stdout, output) = doctor(&config.path, &[]);
    assert_eq!(code, Some(0), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    for check in ["config:", "database:", "templates:", "IMAP login:", "IMAP mailboxes:", "SMTP login:"] {
        let line = stdout.lines().find(|line| line.contains(check)).unwrap_or_else(|| panic!("{check} in {stdout}"));
        assert!(line.starts_with("ok"), "without a terminal the mark is plain: {line}");
    }
    assert!(stdout.contains("INBOX, Sent=Sent, Drafts=Drafts"), "{stdout}");
    // STARTTLS on both works as well.
    let config = rig.config_for("doctor-ok@rig.test").imap_starttls().smtp_starttls().build();
    let (code, stdout, _) = doctor(&config.path, &[]);
    assert_eq!(code, Some(0), "{stdout}");
}

#[tokio::test]
async fn a_wrong_password_is_one_line_per_server_naming_the_login_and_never_the_password() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let wrong = "not-the-Doctor-password-9";
    let config = rig.config_for("doctor-badpw@rig.test").password(wrong).build();
    let (code, stdout, output) = doctor(&config.path, &[]);
    assert_eq!(code, Some(1), "{stdout}");
    let failed = failures(&stdout);
    assert_eq!(failed.len(), 2, "{stdout}");
    assert!(
        failed[0].starts_with("FAIL IMAP login:") && failed[0].contains("refused the login of doctor-badpw@rig.test")
    );
    assert!(failed[1].starts_with("FAIL SMTP login:") && failed[1].contains("check the username and the password"));
    assert!(!stdout.contains(wrong) && !String::from_utf8_lossy(&output.stderr).contains(wrong));
    assert!(
        stdout.lines().any(|line| line.starts_with("ok") && line.contains("database")),
        "the rest is still checked"
    );
}

#[tokio::test]
async fn a_wrong_port_says_nothing_answers_there() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let closed = closed_port();
    let config = rig.config_for("doctor-port@rig.test").imap_port(closed).smtp_port(closed).build();
    let (code, stdout, _) = doctor(&config.path, &[]);
    assert_eq!(code, Some(1), "{stdout}");
    let failed = failures(&stdout);
    assert_eq!(failed.len(), 2, "{stdout}");
    for line in failed {
        assert!(line.contains(&format!("cannot reach localhost:{closed}")), "{line}");
        assert!(line.ends_with("check the host, the port and the network"), "{line}");
    }
}

#[tokio::test]
async fn an_untrusted_certificate_says_to_set_ca_file() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let config = rig.config_for("doctor-ca@rig.test").without_ca_file().build();
    let (code, stdout, _) = doctor(&config.path, &[]);
    assert_eq!(code, Some(1), "{stdout}");
    let failed = failures(&stdout);
    assert_eq!(failed.len(), 2, "{stdout}");
    for line in failed {
        assert!(line.contains("TLS with localhost failed") && line.contains("set ca_file"), "{line}");
    }
}

#[tokio::test]
async fn an_unreachable_host_costs_one_line_within_the_timeout() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    // A TEST-NET-1 address (RFC 5737): nothing answers; packets are dropped or unroutable.
    let config = rig.config_for("doctor-blackhole@rig.test").host("192.0.2.1").imap_port(993).smtp_port(465).build();
    let started = Instant::now();
    let (code, stdout, _) = doctor(&config.path, &[("DEBRIEF_DOCTOR_TIMEOUT", "1")]);
    let took = started.elapsed();
    assert_eq!(code, Some(1), "{stdout}");
    let failed = failures(&stdout);
    assert_eq!(failed.len(), 2, "{stdout}");
    for line in failed {
        assert!(
            line.contains("no answer from 192.0.2.1") || line.contains("cannot reach 192.0.2.1"),
            "either the timeout or the network says so: {line}"
        );
    }
    assert!(took < Duration::from_secs(8), "two 1 s timeouts took {took:?}");
    eprintln!("doctor with an unreachable host took {took:?}");

    // A port that accepts connections (the kernel's backlog) but never says a word: only the
    // doctor's timeout ends the wait.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let config = rig.config_for("doctor-silent@rig.test").imap_port(port).smtp_port(port).build();
    let started = Instant::now();
    let (code, stdout, _) = doctor(&config.path, &[("DEBRIEF_DOCTOR_TIMEOUT", "1")]);
    let took = started.elapsed();
    assert_eq!(code, Some(1), "{stdout}");
    let failed = failures(&stdout);
    assert_eq!(failed.len(), 2, "{stdout}");
    for line in failed {
        assert!(line.contains(&format!("no answer from localhost:{port} within 1 s")), "{line}");
    }
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(8), "two 1 s timeouts took {took:?}");
    eprintln!("doctor with a silent server took {took:?}");
    drop(silent);
}

#[tokio::test]
async fn a_bad_config_exits_2_and_a_maildir_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[identity]\nname = \"A\"\nemail = \"a@rig.test\"\n[policy]\nfollow_ups = 9\n").unwrap();
    let (code, stdout, _) = doctor(&path, &[]);
    assert_eq!(code, Some(2), "{stdout}");
    assert!(stdout.starts_with("FAIL config:") && stdout.contains("policy.follow_ups"), "{stdout}");

    let maildir = dir.path().join("Mail");
    std::fs::create_dir_all(maildir.join("cur")).unwrap();
    std::fs::write(
        &path,
        format!(
            "[identity]\nname = \"A\"\nemail = \"a@rig.test\"\ntime_zone = \"UTC\"\n[storage]\npath = \"d.db\"\n[maildir]\npath = {:?}\n",
            maildir.display().to_string()
        ),
    )
    .unwrap();
    let (code, stdout, _) = doctor(&path, &[]);
    assert_eq!(code, Some(1), "{stdout}");
    assert_eq!(failures(&stdout).len(), 1, "{stdout}");
    assert!(stdout.contains("is not a Maildir (no new, tmp)"), "{stdout}");
    std::fs::create_dir_all(maildir.join("new")).unwrap();
    std::fs::create_dir_all(maildir.join("tmp")).unwrap();
    let (code, stdout, _) = doctor(&path, &[]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("is a Maildir") && stdout.contains("IMAP: not configured"), "{stdout}");
}

#[tokio::test]
async fn password_env_logs_in_and_an_unset_variable_is_named() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let address = "doctor-env@rig.test";
    let config = rig.config_for(address).build();
    with_secret_line(&config.path, "password_env = \"DEBRIEF_TEST_RIG_PASSWORD\"", 0o644);
    let password = rig.password(address);
    let (code, stdout, _) = doctor(&config.path, &[("DEBRIEF_TEST_RIG_PASSWORD", &password)]);
    assert_eq!(code, Some(0), "the password from the environment logs in: {stdout}");

    let (code, stdout, _) = doctor(&config.path, &[]);
    assert_eq!(code, Some(1), "{stdout}");
    let failed = failures(&stdout);
    assert_eq!(failed.len(), 2, "{stdout}");
    for line in failed {
        assert!(line.contains("the environment variable DEBRIEF_TEST_RIG_PASSWORD is not set"), "{line}");
    }
}

#[tokio::test]
async fn password_command_logs_in_with_its_first_line() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let address = "doctor-command@rig.test";
    let config = rig.config_for(address).build();
    let printf = format!("{}\\nsecond line ignored\\n", rig.password(address));
    with_secret_line(&config.path, &format!("password_command = [\"printf\", {printf:?}]"), 0o644);
    let (code, stdout, _) = doctor(&config.path, &[]);
    assert_eq!(code, Some(0), "{stdout}");
    with_secret_line(&config.path, "password_command = [\"false\"]", 0o644);
    let (code, stdout, _) = doctor(&config.path, &[]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(failures(&stdout).iter().all(|line| line.contains("the command \"false\" failed")), "{stdout}");
}

#[tokio::test]
async fn an_inline_password_is_refused_unless_the_file_is_0600() {
    let rig = Rig::start();
    let _turn = rig.shared().await;
    let address = "doctor-inline@rig.test";
    let password = rig.password(address);
    let config = rig.config_for(address).build();
    with_secret_line(&config.path, &format!("password = {password:?}"), 0o644);
    let (code, stdout, _) = doctor(&config.path, &[]);
    assert_eq!(code, Some(2), "{stdout}");
    assert!(stdout.contains("imap.password") && stdout.contains("chmod 600"), "{stdout}");
    assert!(!stdout.contains(&password), "{stdout}");

    std::fs::set_permissions(&config.path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, stdout, _) = doctor(&config.path, &[]);
    assert_eq!(code, Some(0), "a private file may hold the password: {stdout}");
}

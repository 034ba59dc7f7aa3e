//! The conventions a user meets before and around the daemon, through the real binary:
//! `init` with a provider (and never a prompt without a terminal), shell completions,
//! the man page, `--version`, and a bad `[digest] at` refused with exit code 2.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn debrief() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_debrief"));
    command.env_remove("DEBRIEF_CONFIG").env_remove("RUST_LOG").env("NO_COLOR", "1");
    command
}

fn stdout_of(output: &Output) -> String {
    assert!(output.status.success(), "debrief failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Runs `command` with a standard input that stays open and silent (a pipe, not a
/// terminal). A program that waited for an answer would never end: the test fails after
/// a minute instead of hanging.
fn run_without_a_terminal(mut command: Command) -> Output {
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let stdin = child.stdin.take();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    let output = finished.recv_timeout(Duration::from_secs(60)).expect("debrief init waited for input on a pipe");
    drop(stdin);
    output.unwrap()
}

#[test]
fn init_writes_a_loadable_private_config_for_every_provider_without_asking() {
    let dir = tempfile::tempdir().unwrap();
    for (provider, email) in [
        ("gmail", "lena@gmail.com"),
        ("outlook", "lena@outlook.com"),
        ("fastmail", "lena@fastmail.com"),
        ("icloud", "lena@icloud.com"),
        ("generic", "lena@example.org"),
    ] {
        let path = dir.path().join(format!("{provider}/config.toml"));
        let mut command = debrief();
        command.args(["init", "--provider", provider, "--name", "Lena Marchetti", "--email", email]);
        command.args(["--time-zone", "Europe/Rome", "--config"]).arg(&path);
        let output = run_without_a_terminal(command);
        let printed = stdout_of(&output);
        assert!(!printed.contains("Your name") && !printed.contains("provider:"), "it asked: {printed}");
        assert!(printed.contains("debrief doctor"), "it ends by pointing at doctor: {printed}");
        let config = debrief::config::Config::load(&path).unwrap_or_else(|err| panic!("{provider}: {err}"));
        assert_eq!(config.identity.email, email);
        assert!(config.imap.is_some() && config.smtp.is_some(), "{provider}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{provider}");
        }
    }
}

#[test]
fn init_without_flags_or_a_terminal_takes_the_defaults_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let mut command = debrief();
    command.arg("init").arg("--config").arg(&path);
    stdout_of(&run_without_a_terminal(command));
    assert!(debrief::config::Config::load(&path).unwrap().imap.is_none(), "no provider: drafting only");
    let before = std::fs::read_to_string(&path).unwrap();

    let mut again = debrief();
    again.args(["init", "--provider", "gmail", "--config"]).arg(&path);
    let refused = run_without_a_terminal(again);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "the existing config is untouched");

    let mut forced = debrief();
    forced.args(["init", "--provider", "gmail", "--force", "--config"]).arg(&path);
    stdout_of(&run_without_a_terminal(forced));
    assert!(std::fs::read_to_string(&path).unwrap().contains("imap.gmail.com"));
}

#[test]
fn completions_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout_of(&debrief().args(["completions", shell]).output().unwrap());
        for subcommand in ["queue", "approve", "applications", "init", "completions", "man"] {
            assert!(script.contains(subcommand), "{shell} completion lacks {subcommand}");
        }
    }
    let bad = debrief().args(["completions", "cmd.exe"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn the_man_page_is_roff() {
    let page = stdout_of(&debrief().arg("man").output().unwrap());
    // clap_mangen opens with a two-line groff preamble that defines the apostrophe
    // (.ie/.el); the title header comes right after it.
    let first_macro = page.lines().find(|line| !line.starts_with(".ie") && !line.starts_with(".el")).unwrap();
    assert!(first_macro.starts_with(".TH debrief 1"), "{}", &page[..page.len().min(300)]);
    assert!(page.contains("approve"));
}

#[test]
fn version_and_verbose_flags_work() {
    let version = stdout_of(&debrief().arg("--version").output().unwrap());
    assert_eq!(version.trim(), format!("debrief {}", env!("CARGO_PKG_VERSION")));
    for args in [&["-vv", "man"][..], &["man", "--verbose"][..]] {
        assert!(stdout_of(&debrief().args(args).output().unwrap()).contains(".TH"), "{args:?}: -v is a global flag");
    }
}

#[test]
fn a_bad_digest_schedule_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let text = "[identity]\nname = \"P\"\nemail = \"p@example.net\"\ntime_zone = \"UTC\"\n\
                [storage]\npath = \"d.db\"\n[digest]\nat = \"every morning\"\n";
    std::fs::write(&path, text).unwrap();
    let output = debrief().arg("queue").arg("--config").arg(&path).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("digest.at") && message.lines().count() == 1, "{message}");
    assert!(!Path::new(&dir.path().join("d.db")).exists(), "nothing is opened with a bad config");
}

//! The units in `systemd/` as systemd itself reads them: `systemd-analyze verify` finds
//! nothing in either, and the system template's sandbox rates 2.0 or better on
//! `systemd-analyze security`. `scripts/test.sh` installs systemd-analyze (Debian
//! package `systemd`) and `man` (`man-db`, which verify uses for `Documentation=`).
//!
//! verify insists that ExecStart's binary exists, so each check runs where it does: the
//! user unit with `$HOME` at a folder whose `.cargo/bin/debrief` is this build; the
//! system template in a private mount namespace (`unshare`) where this build is mounted
//! at `/usr/local/bin/debrief`. The man page it checks is this build's `debrief man`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SYSTEM_TEMPLATE: &str = "systemd/debrief@.service";
const USER_UNIT: &str = "systemd/debrief.service";
/// The highest exposure accepted for the system template (0 safe .. 10 exposed).
const MAX_EXPOSURE: f64 = 2.0;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn systemd_analyze() -> Command {
    assert!(
        Path::new("/usr/bin/systemd-analyze").exists(),
        "these tests need systemd-analyze: run scripts/test.sh, which installs it (apt-get install systemd)"
    );
    let mut command = Command::new("/usr/bin/systemd-analyze");
    command.current_dir(repository());
    command
}

/// A folder laid out as a home and a man path for this build.
struct Scene {
    dir: tempfile::TempDir,
}

impl Scene {
    fn new() -> Scene {
        let scene = Scene { dir: tempfile::tempdir().unwrap() };
        let bin = scene.home().join(".cargo/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_debrief"), bin.join("debrief")).unwrap();
        std::fs::create_dir_all(scene.runtime()).unwrap();
        let man1 = scene.man_path().join("man1");
        std::fs::create_dir_all(&man1).unwrap();
        let page = Command::new(env!("CARGO_BIN_EXE_debrief")).arg("man").output().unwrap();
        assert!(page.status.success());
        std::fs::write(man1.join("debrief.1"), page.stdout).unwrap();
        scene
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn runtime(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    fn man_path(&self) -> PathBuf {
        self.dir.path().join("man")
    }
}

/// Passes when systemd-analyze exited 0 and printed nothing: no warning at all.
fn assert_clean(what: &str, output: &Output) {
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success() && printed.trim().is_empty(),
        "{what} found problems ({}):\n{printed}",
        output.status
    );
}

#[test]
fn the_user_unit_verifies_clean() {
    let scene = Scene::new();
    let output = systemd_analyze()
        .args(["--user", "verify", USER_UNIT])
        .env("HOME", scene.home())
        .env("XDG_RUNTIME_DIR", scene.runtime())
        .env("MANPATH", scene.man_path())
        .output()
        .unwrap();
    assert_clean("systemd-analyze --user verify systemd/debrief.service", &output);
}

#[test]
fn the_system_template_verifies_clean() {
    let scene = Scene::new();
    assert!(
        Path::new("/usr/bin/unshare").exists(),
        "this test needs unshare (Debian package util-linux) to mount the build at /usr/local/bin/debrief"
    );
    // Inside a private mount namespace (as root of a new user namespace, so no real
    // privileges are needed): an empty /usr/local/bin holding only this build.
    let script = r#"set -e
mount -t tmpfs tmpfs /usr/local/bin
touch /usr/local/bin/debrief
mount --bind "$DEBRIEF_BINARY" /usr/local/bin/debrief
exec /usr/bin/systemd-analyze verify "$UNIT""#;
    let output = Command::new("/usr/bin/unshare")
        .args(["--map-root-user", "--mount", "--propagation", "private", "sh", "-c", script])
        .current_dir(repository())
        .env("DEBRIEF_BINARY", env!("CARGO_BIN_EXE_debrief"))
        .env("UNIT", SYSTEM_TEMPLATE)
        .env("MANPATH", scene.man_path())
        .output()
        .unwrap();
    assert_clean("systemd-analyze verify systemd/debrief@.service", &output);
}

#[test]
fn the_system_template_is_hardened_to_two_or_better() {
    let output = systemd_analyze().args(["security", "--offline=true", SYSTEM_TEMPLATE]).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find(|line| line.contains("Overall exposure level"))
        .unwrap_or_else(|| panic!("no overall exposure in:\n{text}\n{}", String::from_utf8_lossy(&output.stderr)));
    let exposure: f64 = line
        .split(": ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("cannot read the exposure in {line:?}"));
    println!("{line}");
    assert!(exposure <= MAX_EXPOSURE, "{SYSTEM_TEMPLATE} rates {exposure}, above {MAX_EXPOSURE}:\n{text}");
}

#[test]
fn both_units_are_type_notify_with_a_watchdog_and_restart() {
    for unit in [USER_UNIT, SYSTEM_TEMPLATE] {
        let text = std::fs::read_to_string(repository().join(unit)).unwrap();
        let settings: Vec<&str> = text.lines().map(str::trim).filter(|line| !line.starts_with('#')).collect();
        for expected in ["Type=notify", "NotifyAccess=main", "WatchdogSec=60s", "Restart=on-failure"] {
            assert!(settings.contains(&expected), "{unit} lacks {expected}");
        }
        assert!(settings.iter().any(|line| line.starts_with("ExecStart=") && line.ends_with("/debrief run")), "{unit}");
    }
}

/// The memory cap (issue 9): a parse that blows up on mail the pre-check does not know is
/// killed at the cap and quarantined at the restart, instead of taking the machine's
/// memory. The cap must sit above what legitimate mail costs and below what issue 9's
/// poison took at 380 KB (1.4 GiB), and swap must not let it page past the cap.
#[test]
fn both_units_cap_the_daemons_memory_without_swap() {
    for unit in [USER_UNIT, SYSTEM_TEMPLATE] {
        let text = std::fs::read_to_string(repository().join(unit)).unwrap();
        let value = |name: &str| {
            text.lines()
                .map(str::trim)
                .filter(|line| !line.starts_with('#'))
                .filter_map(|line| line.strip_prefix(name)?.strip_prefix('='))
                .next_back()
                .unwrap_or_else(|| panic!("{unit} has no {name}="))
                .to_owned()
        };
        let cap = bytes(&value("MemoryMax")).unwrap_or_else(|| panic!("{unit}: MemoryMax= is not a size"));
        assert!((512 << 20..=(1_400 << 20)).contains(&cap), "{unit}: MemoryMax={cap} bytes");
        assert_eq!(value("MemorySwapMax"), "0", "{unit}");
    }
}

/// A systemd size (`1G`, `768M`, `1073741824`) in bytes.
fn bytes(size: &str) -> Option<u64> {
    let (number, unit) = size.split_at(size.find(|c: char| !c.is_ascii_digit()).unwrap_or(size.len()));
    let shift = match unit {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        _ => return None,
    };
    number.parse::<u64>().ok().map(|number| number << shift)
}

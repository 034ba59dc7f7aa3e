//! Setting a child's clock with libfaketime, through its preload library directly.
//!
//! Include it with `#[path = "support/faketime.rs"] mod faketime;`.
//!
//! Not the `faketime` wrapper: it shares its start time with its children through a POSIX
//! semaphore and shared memory named after its own PID (`/dev/shm/sem.faketime_sem_PID`),
//! and a wrapper that is killed (as tests kill daemons) leaves them behind. A later wrapper
//! that happens to get the same PID then dies with "sem_open: File exists" before running
//! anything: a flaky test on a machine that has run the suite before. The preload library
//! alone needs neither.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// libfaketime's preload library, wherever Debian put it for this architecture.
pub fn library() -> PathBuf {
    let candidates = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("faketime/libfaketime.so.1"))
        .chain([PathBuf::from("/usr/lib/faketime/libfaketime.so.1")]);
    for candidate in candidates {
        if candidate.exists() {
            return candidate;
        }
    }
    panic!("these tests need libfaketime: run scripts/test.sh, which installs it (apt-get install faketime)");
}

/// `program` with its clock starting at `at` ("YYYY-MM-DD hh:mm:ss", read in the child's
/// `TZ`) and running on from there, as `faketime AT program` does.
pub fn starting_at(at: &str, program: impl AsRef<Path>) -> Command {
    let mut command = Command::new(program.as_ref());
    command.env("LD_PRELOAD", library()).env("FAKETIME", format!("@{at}"));
    command
}

/// `program` with its clock stopped at `at`, as `faketime -f AT program` does.
pub fn frozen_at(at: &str, program: impl AsRef<Path>) -> Command {
    let mut command = Command::new(program.as_ref());
    command.env("LD_PRELOAD", library()).env("FAKETIME", at);
    command
}

/// A shell prefix that runs a command with its clock starting at `at`, for scripts the
/// tests write (an `$EDITOR` that runs debrief).
pub fn shell_prefix(at: &str) -> String {
    format!("LD_PRELOAD='{}' FAKETIME='@{at}'", library().display())
}

//! Classification speed: loads every message of a corpus folder (default
//! ../shared/corpus) and classifies them all N times in process, on one thread, then
//! prints messages per second of wall time and of the process's own CPU time (user +
//! system, from getrusage). The CPU figure does not depend on how loaded the machine is
//! (other processes take wall time, not this process's CPU time); compare builds with it.
//! Run it in a release build:
//!
//! ```text
//! cargo run --release --example classify_bench -- [DIR] [ROUNDS]
//! ```

use std::path::PathBuf;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    let rounds: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(50);
    let mut messages = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "eml") {
            messages.push(std::fs::read(&path)?);
        }
    }
    anyhow::ensure!(!messages.is_empty(), "no .eml files in {}", dir.display());
    let bytes: usize = messages.iter().map(Vec::len).sum();
    // Warm-up: compiles the lazily built regexes and loads the zones once.
    for raw in &messages {
        let _ = debrief::classify::classify_message(raw);
    }
    let cpu_started = cpu_seconds();
    let started = Instant::now();
    let mut classified = 0usize;
    for _ in 0..rounds {
        for raw in &messages {
            if measured(std::hint::black_box(raw)) {
                classified += 1;
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_started;
    let total = messages.len() * rounds;
    println!(
        "{} messages ({} KiB) x {rounds} rounds = {total} classifications in {elapsed:.3} s wall, {cpu:.3} s CPU: {:.0} msgs/s of CPU time on one core ({:.0} msgs/s wall, {:.1} MiB/s of CPU time), {classified} ok",
        messages.len(),
        bytes / 1024,
        total as f64 / cpu,
        total as f64 / elapsed,
        (bytes * rounds) as f64 / cpu / 1_048_576.0,
    );
    Ok(())
}

/// The timed call, apart from the warm-up's, so that a profiler can count it alone:
/// `valgrind --tool=callgrind --toggle-collect='*measured*' …/classify_bench DIR 3`.
#[inline(never)]
fn measured(raw: &[u8]) -> bool {
    debrief::classify::classify_message(raw).is_ok()
}

/// User + system CPU time this process has used, in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given; a zeroed rusage is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF and a valid pointer to an rusage.
    let status = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    assert_eq!(status, 0, "getrusage failed");
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

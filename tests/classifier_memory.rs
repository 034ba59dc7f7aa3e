//! The classifier's heap after a scan: what `debrief run` keeps while it idles. Counts
//! live bytes with a global allocator wrapper (this binary holds this one test, so no
//! other test allocates beside it), classifies every fixture, releases what it compiled as
//! the daemon does after a large scan (`classify::release`), and checks what is left. It
//! fails when compiled patterns stay resident again (a new `LazyLock` pattern instead of a
//! `classify::compiled::Compiled` one) or when anything else grows past the budget.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is
// updated beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let out = unsafe { System.realloc(ptr, layout, new_size) };
        if !out.is_null() {
            LIVE.fetch_add(new_size, Ordering::Relaxed);
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        out
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MIB: f64 = 1024.0 * 1024.0;

/// Live heap the classifier may keep after `classify::release` (measured 0.2 MiB; 19.4
/// MiB when only the vocabulary was released and the other patterns stayed compiled in
/// statics, 40.5 MiB before that).
const KEPT_BUDGET: f64 = 2.0;

#[test]
fn after_release_the_classifier_keeps_less_than_its_budget() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/classify");
    let mut messages = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|ext| ext == "eml") {
            messages.push(std::fs::read(&path).expect("fixture"));
        }
    }
    assert!(messages.len() > 20, "expected the classify fixtures in {}", dir.display());
    let base = LIVE.load(Ordering::Relaxed);
    for _ in 0..2 {
        for raw in &messages {
            let _ = debrief::classify::classify_message(raw);
        }
    }
    let in_use = (LIVE.load(Ordering::Relaxed) - base) as f64 / MIB;
    debrief::classify::release();
    let kept = (LIVE.load(Ordering::Relaxed) - base) as f64 / MIB;
    // Not asserted (speed is for benchmarks): what the next message pays to compile it again.
    let started = std::time::Instant::now();
    drop(debrief::classify::vocab::vocabulary());
    let rebuild = started.elapsed();
    debrief::classify::release();
    eprintln!(
        "classifier heap: {in_use:.1} MiB after {} messages, {kept:.1} MiB after release; compiled again in {rebuild:?}",
        messages.len() * 2
    );
    assert!(kept <= KEPT_BUDGET, "the classifier keeps {kept:.1} MiB after release (budget {KEPT_BUDGET} MiB)");
    assert!(in_use - kept >= 10.0, "release gave back only {:.1} MiB", in_use - kept);
}

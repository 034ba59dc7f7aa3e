//! The one place that reads the system clock.
//!
//! Everything else receives `now` as an argument, so that the core can be tested at
//! fixed instants. `clippy.toml` forbids `Timestamp::now` and `SystemTime::now`
//! elsewhere. Tests of the binary move the clock with libfaketime.

use jiff::Timestamp;

/// The current instant, truncated to whole seconds so stored and printed times agree.
#[allow(clippy::disallowed_methods)]
pub fn now() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_second(now.as_second()).unwrap_or(now)
}

//! Where log lines go and how they look.
//!
//! One line per event on standard error, the message written as a sentence. Two looks:
//!
//! - **plain**, when stderr is the journal (`JOURNAL_STREAM` is set, as systemd does for
//!   a service), when `NO_COLOR` is set, or when stderr is not a terminal: no timestamp
//!   (the journal adds its own), no colours. Under the journal each line starts with a
//!   syslog priority such as `<4>`, which journald reads (`SyslogLevelPrefix=` is on by
//!   default), so `journalctl -p warning -u debrief` shows warnings and errors only;
//! - **terminal**: a timestamp and colours.
//!
//! The level is `info` for debrief and `warn` for the libraries under it; each `-v`
//! raises debrief's (debug, then trace). `RUST_LOG`, when set, replaces all of this.
//! This module never logs secrets: it only decides the format; callers write the lines.

use std::io::IsTerminal;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// How log lines are written, decided from the environment by [`Style::detect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// stderr is the journal: a syslog priority prefix, no timestamp, no colour.
    Journal,
    /// Not a terminal, or `NO_COLOR`: no timestamp, no colour.
    Plain,
    /// A terminal: a timestamp and colours.
    Terminal,
}

impl Style {
    /// The style for these facts about the environment (kept apart from reading it, for tests).
    pub fn for_environment(journal_stream: bool, no_color: bool, stderr_is_terminal: bool) -> Style {
        if journal_stream {
            Style::Journal
        } else if no_color || !stderr_is_terminal {
            Style::Plain
        } else {
            Style::Terminal
        }
    }

    /// The style for this process. `NO_COLOR` counts when set to anything but the empty
    /// string, as <https://no-color.org> says.
    pub fn detect() -> Style {
        let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
        Style::for_environment(set("JOURNAL_STREAM"), set("NO_COLOR"), std::io::stderr().is_terminal())
    }
}

/// The filter directives when `RUST_LOG` is not set: debrief at info, raised by each
/// `-v`; libraries at warn, so that `-v` does not drown debrief's lines in theirs.
pub fn default_directives(verbose: u8) -> String {
    match verbose {
        0 => "warn,debrief=info".to_owned(),
        1 => "warn,debrief=debug".to_owned(),
        _ => "info,debrief=trace".to_owned(),
    }
}

/// Libraries that may write a password or token in their debug output.
pub const SECRET_BEARING_TARGETS: [&str; 4] = ["lettre", "async_imap", "imap_proto", "rustls"];

/// Installs the global subscriber. Call once, early in `main`; later calls do nothing
/// (tests may call it more than once).
pub fn init(verbose: u8) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::try_new(&directives).unwrap_or_else(|err| {
            // Not `eprintln!`, which panics on a closed stderr (see below).
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "debrief: RUST_LOG {directives:?} is not understood ({err}); using the default levels"
            );
            EnvFilter::new(default_directives(verbose))
        }),
        _ => EnvFilter::new(default_directives(verbose)),
    };
    // Never below warn for the mail libraries, whatever RUST_LOG says: lettre writes the
    // SMTP conversation, AUTH and its base64 credentials included, at debug level.
    let filter = SECRET_BEARING_TARGETS
        .iter()
        .filter_map(|target| format!("{target}=warn").parse().ok())
        .fold(filter, |filter, directive| filter.add_directive(directive));
    // A closed stderr (`debrief run 2>&1 | head`) must not stop the daemon: by default the
    // subscriber reports a failed write with `eprintln!`, which panics on that same closed
    // stderr. The line is dropped instead.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .log_internal_errors(false);
    // `try_init` fails only when a subscriber is already installed, which is fine.
    let _ = match Style::detect() {
        Style::Journal => builder.event_format(JournalLine).try_init(),
        Style::Plain => builder.without_time().with_ansi(false).try_init(),
        Style::Terminal => builder.with_ansi(true).try_init(),
    };
}

/// The syslog priority journald reads from a `<N>` line prefix (sd-daemon(3)).
pub fn syslog_priority(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// `<4>WARN Sending via smtp.example.net:465 failed: …` — one line for the journal.
struct JournalLine;

impl<S, N> FormatEvent<S, N> for JournalLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> std::fmt::Result {
        let level = *event.metadata().level();
        write!(writer, "<{}>{level} ", syslog_priority(level))?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journal_and_no_color_and_pipes_get_plain_lines() {
        assert_eq!(Style::for_environment(true, false, true), Style::Journal);
        assert_eq!(Style::for_environment(true, true, false), Style::Journal);
        assert_eq!(Style::for_environment(false, true, true), Style::Plain);
        assert_eq!(Style::for_environment(false, false, false), Style::Plain);
        assert_eq!(Style::for_environment(false, false, true), Style::Terminal);
    }

    #[test]
    fn each_verbose_flag_raises_debriefs_level_only() {
        assert_eq!(default_directives(0), "warn,debrief=info");
        assert_eq!(default_directives(1), "warn,debrief=debug");
        assert_eq!(default_directives(3), "info,debrief=trace");
        for verbose in 0..3 {
            assert!(EnvFilter::try_new(default_directives(verbose)).is_ok());
        }
    }

    #[test]
    fn levels_map_to_syslog_priorities() {
        let priorities: Vec<u8> =
            [Level::ERROR, Level::WARN, Level::INFO, Level::DEBUG, Level::TRACE].map(syslog_priority).to_vec();
        assert_eq!(priorities, [3, 4, 6, 7, 7]);
    }

    /// A log destination that keeps what is written, shared with the test.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_journal_line_carries_its_priority_and_no_timestamp() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .event_format(JournalLine)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!("Sending via smtp.example.net:465 failed: connection refused");
            tracing::info!(drafts = 2, "Planned the queue.");
        });
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            "<4>WARN Sending via smtp.example.net:465 failed: connection refused\n<6>INFO Planned the queue. drafts=2\n"
        );
    }
}

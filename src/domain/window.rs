//! Send windows: the first instant at or after a target at which a message may go out,
//! in the recipient's zone (SPEC §1: `send_window`, `send_days`).
//!
//! Computed in civil time of the zone and converted back with jiff's compatible
//! disambiguation, so a window opening at 08:00 opens at 08:00 local on both sides of a
//! DST change.

use crate::domain::policy::{SendDays, SendWindow};
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// The first instant at or after `target` that falls inside the window on a send day.
pub fn next_send_time(target: Timestamp, zone: &TimeZone, window: SendWindow, days: SendDays) -> Timestamp {
    let local = zone.to_datetime(target);
    let mut date = local.date();
    if days.contains(date.weekday()) {
        if local.time() < window.opens {
            return at_local(zone, date.to_datetime(window.opens)).unwrap_or(target);
        }
        if local.time() < window.closes {
            return target;
        }
    }
    // Past the window, or not a send day: the window's opening on the next send day.
    for _ in 0..8 {
        let Ok(next) = date.tomorrow() else { break };
        date = next;
        if days.contains(date.weekday()) {
            return at_local(zone, date.to_datetime(window.opens)).unwrap_or(target);
        }
    }
    target
}

/// True when `instant` lies inside the window on a send day.
pub fn is_inside(instant: Timestamp, zone: &TimeZone, window: SendWindow, days: SendDays) -> bool {
    next_send_time(instant, zone, window, days) == instant
}

fn at_local(zone: &TimeZone, datetime: DateTime) -> Option<Timestamp> {
    zone.to_ambiguous_timestamp(datetime).compatible().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::Policy;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_target_is_moved_into_the_window_in_the_recipients_zone() {
        let policy = Policy::default();
        let la = TimeZone::get("America/Los_Angeles").unwrap();
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let cases = [
            // (target, zone, expected, why)
            ("2026-12-01T23:00:00Z", &la, "2026-12-01T23:00:00Z", "15:00 on a Tuesday in LA is inside"),
            ("2026-12-02T05:30:00Z", &la, "2026-12-02T16:00:00Z", "21:30 Tuesday in LA waits for 08:00 Wednesday"),
            ("2026-12-02T14:00:00Z", &la, "2026-12-02T16:00:00Z", "06:00 Wednesday waits for 08:00 the same day"),
            ("2026-12-04T18:00:00Z", &berlin, "2026-12-07T07:00:00Z", "19:00 Friday in Berlin waits for Monday 08:00"),
            ("2026-12-05T12:00:00Z", &la, "2026-12-07T16:00:00Z", "Saturday waits for Monday"),
            ("2026-12-01T16:00:00Z", &la, "2026-12-01T16:00:00Z", "exactly 08:00 is inside"),
            ("2026-12-02T02:00:00Z", &la, "2026-12-02T16:00:00Z", "exactly 18:00 is outside"),
            // 2027-03-14 is the US spring-forward Sunday: Monday's 08:00 is PDT (UTC-7).
            (
                "2027-03-13T20:00:00Z",
                &la,
                "2027-03-15T15:00:00Z",
                "across spring-forward the window opens at 08:00 PDT",
            ),
        ];
        for (target, zone, expected, why) in cases {
            let got = next_send_time(ts(target), zone, policy.send_window, policy.send_days);
            assert_eq!(got, ts(expected), "{why}");
        }
    }

    #[test]
    fn every_day_sending_stays_on_the_same_day_when_possible() {
        let policy = Policy::default();
        let utc = TimeZone::UTC;
        let got = next_send_time(ts("2026-12-05T07:00:00Z"), &utc, policy.send_window, "Mon-Sun".parse().unwrap());
        assert_eq!(got, ts("2026-12-05T08:00:00Z"));
        assert!(is_inside(ts("2026-12-05T09:00:00Z"), &utc, policy.send_window, "Sat".parse().unwrap()));
    }
}

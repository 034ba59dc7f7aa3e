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

/// When a message with a deadline goes out: the first instant inside the window at or after
/// `target`, unless that misses `deadline` (a Friday-afternoon interview whose note would
/// otherwise wait for Monday). Then the latest instant inside a window that is still before
/// the deadline and not before `earliest` (the interview's end, or now when planned late):
/// the end of Friday's window, or Saturday's when the user sends on Saturdays. When no
/// window is open between `earliest` and the deadline, the first opening after all (the
/// queue marks the draft late).
pub fn send_time_before_deadline(
    target: Timestamp,
    earliest: Timestamp,
    deadline: Timestamp,
    zone: &TimeZone,
    window: SendWindow,
    days: SendDays,
) -> Timestamp {
    let first = next_send_time(target, zone, window, days);
    if first < deadline {
        return first;
    }
    latest_send_time_before(earliest, deadline, zone, window, days).unwrap_or(first)
}

/// The latest instant inside a window on a send day that is at least `earliest` and
/// strictly before `deadline` (a minute before a closing, since the window's end is
/// outside it), or `None` when no window is open in between.
pub fn latest_send_time_before(
    earliest: Timestamp,
    deadline: Timestamp,
    zone: &TimeZone,
    window: SendWindow,
    days: SendDays,
) -> Option<Timestamp> {
    let minute = jiff::SignedDuration::from_mins(1);
    let first_date = zone.to_datetime(earliest).date();
    let mut date = zone.to_datetime(deadline).date();
    while date >= first_date {
        if days.contains(date.weekday()) {
            let opens = at_local(zone, date.to_datetime(window.opens))?;
            let closes = at_local(zone, date.to_datetime(window.closes))?;
            let latest = closes.min(deadline).checked_sub(minute).ok()?;
            if latest >= opens.max(earliest) {
                return Some(latest);
            }
        }
        date = date.yesterday().ok()?;
    }
    None
}

/// When a message planned for `planned` actually leaves if the sender looks at `now`: the
/// first instant inside the window at or after both (SPEC §1: "a message that falls due
/// outside it waits for the window to open"). A draft approved on Saturday evening for a
/// Friday it missed goes at Monday's opening, not at once; a retry after a temporary
/// failure whose backoff ends after the window closed waits for the next opening too.
/// The outbox sends nothing before it, and `approve`, `queue`, `show` and `applications`
/// say it, so they all agree with what happens.
pub fn actual_send_time(
    planned: Timestamp,
    now: Timestamp,
    zone: &TimeZone,
    window: SendWindow,
    days: SendDays,
) -> Timestamp {
    next_send_time(planned.max(now), zone, window, days)
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
    fn a_note_that_would_wait_past_its_deadline_goes_at_the_end_of_the_last_window_before_it() {
        let policy = Policy::default();
        let new_york = TimeZone::get("America/New_York").unwrap();
        let cases = [
            // (target, earliest, deadline, days, expected, why)
            (
                "2026-12-05T00:00:00Z",
                "2026-12-04T20:00:00Z",
                "2026-12-05T20:00:00Z",
                "Mon-Fri",
                "2026-12-04T22:59:00Z",
                "Friday 19:00 EST would wait for Monday: 17:59 Friday instead",
            ),
            (
                "2026-12-05T00:00:00Z",
                "2026-12-04T20:00:00Z",
                "2026-12-05T20:00:00Z",
                "Mon-Sat",
                "2026-12-05T13:00:00Z",
                "with Saturdays allowed, Saturday's 08:00 opening is before the deadline",
            ),
            (
                "2026-12-01T20:00:00Z",
                "2026-12-01T16:00:00Z",
                "2026-12-02T16:00:00Z",
                "Mon-Fri",
                "2026-12-01T20:00:00Z",
                "on a Tuesday the target is inside the window and before the deadline",
            ),
            (
                "2026-12-05T03:00:00Z",
                "2026-12-05T00:00:00Z",
                "2026-12-05T23:00:00Z",
                "Mon-Fri",
                "2026-12-07T13:00:00Z",
                "an interview ending after Friday's window has no window before its deadline: Monday, late",
            ),
        ];
        for (target, earliest, deadline, days, expected, why) in cases {
            let got = send_time_before_deadline(
                ts(target),
                ts(earliest),
                ts(deadline),
                &new_york,
                policy.send_window,
                days.parse().unwrap(),
            );
            assert_eq!(got, ts(expected), "{why}");
        }
    }

    #[test]
    fn an_overdue_message_goes_at_the_next_opening_never_outside_the_window() {
        let policy = Policy::default();
        let new_york = TimeZone::get("America/New_York").unwrap();
        let (window, days) = (policy.send_window, policy.send_days);
        let cases = [
            // (planned, now, expected, why)
            (
                "2026-12-04T20:00:00Z",
                "2026-12-06T04:00:00Z",
                "2026-12-07T13:00:00Z",
                "planned Friday 15:00, approved Saturday 23:00: Monday 08:00, not at once",
            ),
            (
                "2026-12-07T15:00:00Z",
                "2026-12-07T17:30:00Z",
                "2026-12-07T17:30:00Z",
                "overdue but the window is open: now",
            ),
            ("2026-12-08T15:00:00Z", "2026-12-07T17:30:00Z", "2026-12-08T15:00:00Z", "not due yet: its planned time"),
            (
                "2026-12-07T23:01:00Z",
                "2026-12-07T22:59:30Z",
                "2026-12-08T13:00:00Z",
                "a retry whose backoff ends after 18:00 waits for Tuesday's opening",
            ),
            (
                "2026-12-07T10:00:00Z",
                "2026-12-07T12:59:59Z",
                "2026-12-07T13:00:00Z",
                "a second before the opening: at the opening",
            ),
        ];
        for (planned, now, expected, why) in cases {
            let got = actual_send_time(ts(planned), ts(now), &new_york, window, days);
            assert_eq!(got, ts(expected), "{why}");
            assert!(is_inside(got, &new_york, window, days), "{why}: {got} is inside the window");
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

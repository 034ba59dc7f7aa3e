//! The settings of the process (`[policy]`), parsed and validated, with no I/O.
//!
//! Durations of days and weeks are calendar units: "7d" after 10:00 is 10:00 a week
//! later in the recipient's zone, across a DST change too. Hours and minutes are exact.

use jiff::civil::{Time, Weekday};
use jiff::{Span, ToSpan};
use std::fmt;

/// A policy duration such as "4h", "7d", "1d12h", "90m", "2w".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyDuration {
    pub days: i64,
    pub minutes: i64,
}

impl PolicyDuration {
    pub const fn hours(hours: i64) -> Self {
        Self { days: 0, minutes: hours * 60 }
    }
    pub const fn days(days: i64) -> Self {
        Self { days, minutes: 0 }
    }
    /// The duration as a jiff span: days as calendar days, the rest as exact minutes.
    pub fn span(self) -> Span {
        self.days.days().minutes(self.minutes)
    }
}

impl fmt::Display for PolicyDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.days == 0 && self.minutes == 0 {
            return write!(f, "0m");
        }
        if self.days != 0 {
            write!(f, "{}d", self.days)?;
        }
        let (hours, minutes) = (self.minutes / 60, self.minutes % 60);
        if hours != 0 {
            write!(f, "{hours}h")?;
        }
        if minutes != 0 {
            write!(f, "{minutes}m")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for PolicyDuration {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let allowed = "a duration such as \"30m\", \"4h\", \"7d\", \"2w\" or \"1d12h\"";
        let text = text.trim();
        if text.is_empty() {
            return Err(format!("empty; expected {allowed}"));
        }
        let (mut days, mut minutes) = (0i64, 0i64);
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if digits == 0 {
                return Err(format!("{text:?} is not {allowed}"));
            }
            let number: i64 = rest[..digits].parse().map_err(|_| format!("{text:?} has a number that is too large"))?;
            rest = rest[digits..].trim_start();
            let unit_len = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_alphabetic()).len();
            let unit = &rest[..unit_len];
            rest = rest[unit_len..].trim_start();
            match unit {
                "w" | "week" | "weeks" => days += number * 7,
                "d" | "day" | "days" => days += number,
                "h" | "hour" | "hours" => minutes += number * 60,
                "m" | "min" | "mins" | "minute" | "minutes" => minutes += number,
                _ => return Err(format!("{text:?} is not {allowed}")),
            }
            if days > 3650 || minutes > 3650 * 24 * 60 {
                return Err(format!("{text:?} is longer than ten years"));
            }
        }
        Ok(Self { days, minutes })
    }
}

/// The hours of the day in which mail may go out, in the recipient's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendWindow {
    pub opens: Time,
    pub closes: Time,
}

impl std::str::FromStr for SendWindow {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let expected = "expected \"HH:MM-HH:MM\" with the opening before the closing, such as \"08:00-18:00\"";
        let (opens, closes) = text.split_once('-').ok_or_else(|| format!("{text:?}: {expected}"))?;
        let parse = |part: &str| -> Result<Time, String> {
            let part = part.trim();
            let (hour, minute) = part.split_once(':').ok_or_else(|| format!("{text:?}: {expected}"))?;
            let hour: i8 = hour.parse().map_err(|_| format!("{text:?}: {expected}"))?;
            let minute: i8 = minute.parse().map_err(|_| format!("{text:?}: {expected}"))?;
            if hour == 24 && minute == 0 {
                return Ok(Time::MAX);
            }
            Time::new(hour, minute, 0, 0).map_err(|_| format!("{text:?}: {expected}"))
        };
        let window = SendWindow { opens: parse(opens)?, closes: parse(closes)? };
        if window.opens >= window.closes {
            return Err(format!("{text:?}: {expected}"));
        }
        Ok(window)
    }
}

impl fmt::Display for SendWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.opens.strftime("%H:%M"), self.closes.strftime("%H:%M"))
    }
}

/// The days of the week on which mail may go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendDays {
    /// Bit `n` is set for the weekday whose `to_monday_zero_offset()` is `n`.
    bits: u8,
}

impl SendDays {
    pub const WORKING_WEEK: SendDays = SendDays { bits: 0b0001_1111 };
    pub const EVERY_DAY: SendDays = SendDays { bits: 0b0111_1111 };

    pub fn contains(self, day: Weekday) -> bool {
        self.bits & (1 << day.to_monday_zero_offset()) != 0
    }
}

fn parse_weekday(name: &str) -> Option<Weekday> {
    let name = name.trim().to_ascii_lowercase();
    let day = match name.get(..3)? {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    };
    Some(day)
}

impl std::str::FromStr for SendDays {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let expected = "expected days or ranges such as \"Mon-Fri\", \"Mon,Wed,Fri\" or \"Mon-Sat\"";
        let mut bits = 0u8;
        for part in text.split(',').filter(|part| !part.trim().is_empty()) {
            let (first, last) = match part.split_once('-') {
                Some((first, last)) => (first, last),
                None => (part, part),
            };
            let first = parse_weekday(first).ok_or_else(|| format!("{text:?}: {expected}"))?;
            let last = parse_weekday(last).ok_or_else(|| format!("{text:?}: {expected}"))?;
            let mut day = first;
            loop {
                bits |= 1 << day.to_monday_zero_offset();
                if day == last {
                    break;
                }
                day = day.next();
            }
        }
        if bits == 0 {
            return Err(format!("{text:?}: {expected}"));
        }
        Ok(SendDays { bits })
    }
}

impl fmt::Display for SendDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let days: Vec<&str> = (0..7).filter(|n| self.bits & (1 << n) != 0).map(|n| names[n]).collect();
        write!(f, "{}", days.join(","))
    }
}

/// How a note greets someone whose preferred form of address the user has not written
/// down (`debrief person ADDRESS --address-as FORM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Greeting {
    /// "Dear Jane Doe": the safe default with someone one has just met.
    #[default]
    Formal,
    /// "Hi Jane".
    FirstName,
}

impl std::str::FromStr for Greeting {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "formal" => Ok(Greeting::Formal),
            "first_name" => Ok(Greeting::FirstName),
            other => Err(format!("{other:?} is not \"formal\" (Dear Jane Doe) or \"first_name\" (Hi Jane)")),
        }
    }
}

/// Every number of the process, with the defaults of SPEC §1.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub thank_you_after: PolicyDuration,
    pub thank_you_deadline: PolicyDuration,
    pub follow_up_every: PolicyDuration,
    /// How many follow-ups after the thank-you notes, 1..=7.
    pub follow_ups: u8,
    /// After the last follow-up, how long without an answer before the application is ghosted.
    pub ghost_after: PolicyDuration,
    /// How long before a follow-up is due its draft is made, so the user can approve it in time.
    pub follow_up_draft_ahead: PolicyDuration,
    pub send_window: SendWindow,
    pub send_days: SendDays,
    pub confidence_threshold: f64,
    /// The greeting when no form of address was written down.
    pub greeting: Greeting,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            thank_you_after: PolicyDuration::hours(4),
            thank_you_deadline: PolicyDuration::hours(24),
            follow_up_every: PolicyDuration::days(7),
            follow_ups: 4,
            ghost_after: PolicyDuration::days(7),
            follow_up_draft_ahead: PolicyDuration::days(1),
            send_window: SendWindow { opens: Time::constant(8, 0, 0, 0), closes: Time::constant(18, 0, 0, 0) },
            send_days: SendDays::WORKING_WEEK,
            confidence_threshold: 0.8,
            greeting: Greeting::Formal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_as_calendar_days_and_exact_minutes() {
        let cases = [
            ("4h", PolicyDuration { days: 0, minutes: 240 }),
            ("7d", PolicyDuration { days: 7, minutes: 0 }),
            ("2w", PolicyDuration { days: 14, minutes: 0 }),
            ("1d12h", PolicyDuration { days: 1, minutes: 720 }),
            ("90m", PolicyDuration { days: 0, minutes: 90 }),
            ("1 day", PolicyDuration { days: 1, minutes: 0 }),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<PolicyDuration>(), Ok(expected), "{text}");
        }
        for bad in ["", "4", "h", "4x", "-1d", "99999999999999999999d"] {
            assert!(bad.parse::<PolicyDuration>().is_err(), "{bad:?} should be refused");
        }
        assert_eq!(PolicyDuration { days: 1, minutes: 90 }.to_string(), "1d1h30m");
    }

    #[test]
    fn send_window_and_days_parse() {
        let window: SendWindow = "08:00-18:00".parse().unwrap();
        assert_eq!(window.opens, Time::constant(8, 0, 0, 0));
        assert_eq!(window.to_string(), "08:00-18:00");
        for bad in ["18:00-08:00", "8-18", "08:00", "25:00-26:00"] {
            assert!(bad.parse::<SendWindow>().is_err(), "{bad:?} should be refused");
        }
        let days: SendDays = "Mon-Fri".parse().unwrap();
        assert_eq!(days, SendDays::WORKING_WEEK);
        assert!(!days.contains(Weekday::Saturday));
        let wrapped: SendDays = "Fri-Mon".parse().unwrap();
        assert_eq!(wrapped.to_string(), "Mon,Fri,Sat,Sun");
        assert!("Funday".parse::<SendDays>().is_err());
    }
}

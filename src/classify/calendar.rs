//! iCalendar parts (`text/calendar`, `.ics` attachments) read with calcard into the
//! events debrief cares about: method (REQUEST/CANCEL), UID and SEQUENCE, status, start
//! and end as instants (TZID resolved through IANA names, the Windows zone map in
//! `datetime`, or calcard's resolver), organizer and attendees.
//!
//! It does not decide who is an interviewer (that is `fields`) nor the kind.

use super::datetime;
use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarEntry, ICalendarParameterName, ICalendarProperty,
    ICalendarValue,
};
use jiff::Timestamp;
use jiff::civil;
use jiff::tz::{Offset, TimeZone};

/// One VEVENT with the calendar's METHOD.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarEvent {
    /// Upper-case METHOD of the enclosing calendar (REQUEST, CANCEL, PUBLISH, …).
    pub method: Option<String>,
    pub uid: Option<String>,
    pub sequence: i64,
    /// Upper-case STATUS (CONFIRMED, CANCELLED, TENTATIVE).
    pub status: Option<String>,
    pub start: Timestamp,
    pub end: Option<Timestamp>,
    /// The IANA zone of DTSTART when it had one.
    pub time_zone: Option<String>,
    pub summary: Option<String>,
    pub location: Option<String>,
    pub description: Option<String>,
    pub organizer: Option<CalendarPerson>,
    pub attendees: Vec<CalendarPerson>,
}

impl CalendarEvent {
    pub fn is_cancel(&self) -> bool {
        self.method.as_deref() == Some("CANCEL") || self.status.as_deref() == Some("CANCELLED")
    }
}

/// An ORGANIZER or ATTENDEE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarPerson {
    pub name: Option<String>,
    pub email: Option<String>,
    /// ROLE, e.g. REQ-PARTICIPANT, OPT-PARTICIPANT, CHAIR, NON-PARTICIPANT.
    pub role: Option<String>,
    /// CUTYPE, e.g. INDIVIDUAL, ROOM, RESOURCE.
    pub cutype: Option<String>,
}

/// Reads every event of every calendar text. Floating times (no zone) are read in
/// `default_offset`, the sender's own offset. The same UID seen twice (an inline part
/// and an `.ics` attachment) is kept once.
pub fn read_calendars(texts: &[String], default_offset: Option<i32>) -> Vec<CalendarEvent> {
    let mut events: Vec<CalendarEvent> = Vec::new();
    for text in texts {
        let Ok(calendar) = ICalendar::parse(text) else {
            continue;
        };
        for event in read_calendar(&calendar, default_offset) {
            let duplicate = events.iter().any(|seen| {
                seen.uid.is_some() && seen.uid == event.uid && seen.start == event.start && seen.method == event.method
            });
            if !duplicate {
                events.push(event);
            }
        }
    }
    events
}

fn read_calendar(calendar: &ICalendar, default_offset: Option<i32>) -> Vec<CalendarEvent> {
    let method = calendar
        .components
        .iter()
        .filter(|c| matches!(c.component_type, ICalendarComponentType::VCalendar))
        .find_map(|c| c.property(&ICalendarProperty::Method))
        .and_then(|entry| entry.values.first())
        .and_then(|value| value.as_text())
        .map(|text| text.to_ascii_uppercase());
    calendar
        .components
        .iter()
        .filter(|c| matches!(c.component_type, ICalendarComponentType::VEvent))
        .filter_map(|component| read_event(component, method.clone(), default_offset))
        .collect()
}

fn read_event(
    component: &ICalendarComponent,
    method: Option<String>,
    default_offset: Option<i32>,
) -> Option<CalendarEvent> {
    let (start, time_zone) = entry_instant(component.property(&ICalendarProperty::Dtstart)?, default_offset)?;
    let mut end =
        component.property(&ICalendarProperty::Dtend).and_then(|e| entry_instant(e, default_offset)).map(|(t, _)| t);
    if end.is_none()
        && let Some(ICalendarValue::Duration(duration)) =
            component.property(&ICalendarProperty::Duration).and_then(|e| e.values.first())
    {
        let seconds = i64::from(duration.weeks) * 604_800
            + i64::from(duration.days) * 86_400
            + i64::from(duration.hours) * 3600
            + i64::from(duration.minutes) * 60
            + i64::from(duration.seconds);
        if !duration.neg {
            end = start.checked_add(jiff::SignedDuration::from_secs(seconds)).ok();
        }
    }
    let text = |property: ICalendarProperty| -> Option<String> {
        component
            .property(&property)
            .and_then(|e| e.values.first())
            .and_then(|v| v.as_text())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    };
    let sequence = component
        .property(&ICalendarProperty::Sequence)
        .and_then(|e| e.values.first())
        .and_then(|v| v.as_integer())
        .unwrap_or(0);
    Some(CalendarEvent {
        method,
        uid: text(ICalendarProperty::Uid),
        sequence,
        status: text(ICalendarProperty::Status).map(|s| s.to_ascii_uppercase()),
        start,
        end: end.filter(|end| *end >= start),
        time_zone,
        summary: text(ICalendarProperty::Summary),
        location: text(ICalendarProperty::Location),
        description: text(ICalendarProperty::Description),
        organizer: component.property(&ICalendarProperty::Organizer).map(person),
        attendees: component.properties(&ICalendarProperty::Attendee).map(person).collect(),
    })
}

fn person(entry: &ICalendarEntry) -> CalendarPerson {
    let param = |name: ICalendarParameterName| -> Option<String> {
        entry
            .parameter(&name)
            .and_then(|v| v.as_text())
            .map(|t| t.trim().trim_matches('"').to_string())
            .filter(|t| !t.is_empty())
    };
    let email = entry
        .calendar_address()
        .map(|address| address.trim().trim_start_matches("MAILTO:").trim_start_matches("mailto:").to_string())
        .filter(|address| address.contains('@'));
    let name = param(ICalendarParameterName::Cn)
        .filter(|name| !name.contains('@') || email.as_deref() != Some(name.as_str()))
        .filter(|name| !name.contains('@'));
    CalendarPerson {
        name,
        email,
        role: param(ICalendarParameterName::Role).map(|r| r.to_ascii_uppercase()),
        cutype: param(ICalendarParameterName::Cutype).map(|c| c.to_ascii_uppercase()),
    }
}

/// DTSTART/DTEND as an instant, with the IANA zone name when the value named one.
fn entry_instant(entry: &ICalendarEntry, default_offset: Option<i32>) -> Option<(Timestamp, Option<String>)> {
    let value = entry.values.first()?.as_partial_date_time()?;
    let date = civil::Date::new(
        i16::try_from(value.year?).ok()?,
        i8::try_from(value.month?).ok()?,
        i8::try_from(value.day?).ok()?,
    )
    .ok()?;
    let time = civil::Time::new(
        i8::try_from(value.hour.unwrap_or(0)).ok()?,
        i8::try_from(value.minute.unwrap_or(0)).ok()?,
        i8::try_from(value.second.unwrap_or(0).min(59)).ok()?,
        0,
    )
    .ok()?;
    let local = date.to_datetime(time);
    if let Some(tz_hour) = value.tz_hour {
        let magnitude = i32::from(tz_hour) * 3600 + i32::from(value.tz_minute.unwrap_or(0)) * 60;
        let seconds = if value.tz_minus { -magnitude } else { magnitude };
        let offset = Offset::from_seconds(seconds).ok()?;
        return Some((offset.to_timestamp(local).ok()?, None));
    }
    let tzid = entry.parameter(&ICalendarParameterName::Tzid).and_then(|v| v.as_text());
    if let Some(tzid) = tzid
        && let Some((name, zone)) = datetime::resolve_zone_id(tzid)
    {
        let timestamp = local.to_zoned(zone).ok()?.timestamp();
        return Some((timestamp, Some(name)));
    }
    let offset = Offset::from_seconds(default_offset.unwrap_or(0)).ok()?;
    let zone = TimeZone::fixed(offset);
    Some((local.to_zoned(zone).ok()?.timestamp(), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendar(method: &str, start: &str, extra: &str) -> String {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:{method}\r\nBEGIN:VEVENT\r\n{start}\r\nUID:u1\r\nSEQUENCE:1\r\n\
             ORGANIZER;CN=Dana W:mailto:dana@acme.example\r\nATTENDEE;CN=Sam A;ROLE=REQ-PARTICIPANT:mailto:sam@acme.example\r\n\
             {extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    }

    #[test]
    fn windows_zone_ids_and_attendees() {
        let text = calendar(
            "REQUEST",
            "DTSTART;TZID=Central Standard Time:20261217T130000\r\nDTEND;TZID=Central Standard Time:20261217T143000",
            "",
        );
        let events = read_calendars(&[text], None);
        assert_eq!(events.len(), 1);
        let event = &events[0];
        assert_eq!(event.method.as_deref(), Some("REQUEST"));
        assert_eq!(event.start.to_string(), "2026-12-17T19:00:00Z");
        assert_eq!(event.end.unwrap().to_string(), "2026-12-17T20:30:00Z");
        assert_eq!(event.time_zone.as_deref(), Some("America/Chicago"));
        assert_eq!(event.sequence, 1);
        assert_eq!(event.organizer.as_ref().unwrap().email.as_deref(), Some("dana@acme.example"));
        assert_eq!(event.attendees[0].name.as_deref(), Some("Sam A"));
        assert_eq!(event.attendees[0].role.as_deref(), Some("REQ-PARTICIPANT"));
    }

    #[test]
    fn utc_times_cancel_and_duration() {
        let text = calendar("CANCEL", "DTSTART:20261209T210000Z\r\nDURATION:PT45M", "STATUS:CANCELLED\r\n");
        let events = read_calendars(&[text.clone(), text], None);
        assert_eq!(events.len(), 1, "the same UID twice is one event");
        assert!(events[0].is_cancel());
        assert_eq!(events[0].start.to_string(), "2026-12-09T21:00:00Z");
        assert_eq!(events[0].end.unwrap().to_string(), "2026-12-09T21:45:00Z");
    }

    #[test]
    fn floating_times_use_the_senders_offset() {
        let text = calendar("REQUEST", "DTSTART:20270121T160000", "");
        let events = read_calendars(&[text], Some(3600));
        assert_eq!(events[0].start.to_string(), "2027-01-21T15:00:00Z");
    }

    #[test]
    fn garbage_is_no_event() {
        assert!(read_calendars(&["BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:nonsense".to_string()], None).is_empty());
        assert!(read_calendars(&[String::new()], None).is_empty());
    }
}

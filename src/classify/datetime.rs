//! Dates, times and zones as people write them, resolved with jiff.
//!
//! - zones: IANA names, Windows names ("Central Standard Time", "W. Europe Standard
//!   Time") through a small map with calcard's resolver as a fallback, and the
//!   abbreviations and words of prose ("PT", "3pm Eastern", "MEZ", "Oslo time",
//!   "UTC-06:00");
//! - prose slots: "Tuesday, December 2 at 10:00 AM PT", "tomorrow (Friday) at 4pm ET",
//!   "Di., 09.03., 14:30 Uhr (MEZ)", itineraries of time ranges under a date line;
//! - durations ("30 minutes", "45-minute", "(1 hour)");
//! - relative periods for timelines ("by the end of next week", "in two weeks", "by
//!   Friday") turned into the first day a follow-up is allowed, per the corpus
//!   conventions: the day after the period ends, "in N weeks" = Date + 7N days.
//!
//! Every relative expression is read against a reference date and time that the caller
//! takes from the `Date` header in the sender's own offset. Nothing here reads a clock.

use super::compiled::Compiled;
use super::text::{ceil_boundary, floor_boundary};
use jiff::civil::{self, Date, Time, Weekday};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp, ToSpan};
use regex::Regex;
use std::sync::LazyLock;

/// A zone as written in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneSpec {
    /// An IANA zone name.
    Named(String),
    /// A fixed UTC offset in seconds.
    Fixed(i32),
}

impl ZoneSpec {
    pub fn time_zone(&self) -> Option<TimeZone> {
        match self {
            ZoneSpec::Named(name) => TimeZone::get(name).ok(),
            ZoneSpec::Fixed(seconds) => Offset::from_seconds(*seconds).ok().map(TimeZone::fixed),
        }
    }

    pub fn iana_name(&self) -> Option<String> {
        match self {
            ZoneSpec::Named(name) => Some(name.clone()),
            ZoneSpec::Fixed(0) => Some("UTC".to_string()),
            ZoneSpec::Fixed(_) => None,
        }
    }
}

/// Windows zone names as Outlook/Exchange write them in TZID, with their IANA zone.
pub const WINDOWS_ZONES: &[(&str, &str)] = &[
    ("Dateline Standard Time", "Etc/GMT+12"),
    ("Hawaiian Standard Time", "Pacific/Honolulu"),
    ("Alaskan Standard Time", "America/Anchorage"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("Pacific Standard Time (Mexico)", "America/Tijuana"),
    ("US Mountain Standard Time", "America/Phoenix"),
    ("Mountain Standard Time", "America/Denver"),
    ("Mountain Standard Time (Mexico)", "America/Mazatlan"),
    ("Central Standard Time", "America/Chicago"),
    ("Central Standard Time (Mexico)", "America/Mexico_City"),
    ("Canada Central Standard Time", "America/Regina"),
    ("Central America Standard Time", "America/Guatemala"),
    ("Eastern Standard Time", "America/New_York"),
    ("US Eastern Standard Time", "America/Indiana/Indianapolis"),
    ("SA Pacific Standard Time", "America/Bogota"),
    ("Atlantic Standard Time", "America/Halifax"),
    ("Newfoundland Standard Time", "America/St_Johns"),
    ("E. South America Standard Time", "America/Sao_Paulo"),
    ("Argentina Standard Time", "America/Argentina/Buenos_Aires"),
    ("Pacific SA Standard Time", "America/Santiago"),
    ("UTC", "UTC"),
    ("Coordinated Universal Time", "UTC"),
    ("GMT Standard Time", "Europe/London"),
    ("Greenwich Standard Time", "Atlantic/Reykjavik"),
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("Central Europe Standard Time", "Europe/Budapest"),
    ("Central European Standard Time", "Europe/Warsaw"),
    ("Romance Standard Time", "Europe/Paris"),
    ("W. Central Africa Standard Time", "Africa/Lagos"),
    ("GTB Standard Time", "Europe/Bucharest"),
    ("FLE Standard Time", "Europe/Kiev"),
    ("E. Europe Standard Time", "Europe/Chisinau"),
    ("Israel Standard Time", "Asia/Jerusalem"),
    ("Egypt Standard Time", "Africa/Cairo"),
    ("South Africa Standard Time", "Africa/Johannesburg"),
    ("Turkey Standard Time", "Europe/Istanbul"),
    ("Russian Standard Time", "Europe/Moscow"),
    ("E. Africa Standard Time", "Africa/Nairobi"),
    ("Arab Standard Time", "Asia/Riyadh"),
    ("Arabian Standard Time", "Asia/Dubai"),
    ("Iran Standard Time", "Asia/Tehran"),
    ("Pakistan Standard Time", "Asia/Karachi"),
    ("India Standard Time", "Asia/Kolkata"),
    ("Sri Lanka Standard Time", "Asia/Colombo"),
    ("Nepal Standard Time", "Asia/Kathmandu"),
    ("Bangladesh Standard Time", "Asia/Dhaka"),
    ("SE Asia Standard Time", "Asia/Bangkok"),
    ("China Standard Time", "Asia/Shanghai"),
    ("Singapore Standard Time", "Asia/Singapore"),
    ("Taipei Standard Time", "Asia/Taipei"),
    ("W. Australia Standard Time", "Australia/Perth"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    ("Korea Standard Time", "Asia/Seoul"),
    ("Cen. Australia Standard Time", "Australia/Adelaide"),
    ("AUS Central Standard Time", "Australia/Darwin"),
    ("E. Australia Standard Time", "Australia/Brisbane"),
    ("AUS Eastern Standard Time", "Australia/Sydney"),
    ("Tasmania Standard Time", "Australia/Hobart"),
    ("New Zealand Standard Time", "Pacific/Auckland"),
];

/// Resolves a calendar TZID: an IANA name, a Windows name, a vendor-prefixed IANA name
/// ("/mozilla.org/20050126_1/America/New_York"), or whatever calcard can resolve.
pub fn resolve_zone_id(tzid: &str) -> Option<(String, TimeZone)> {
    let tzid = tzid.trim().trim_matches('"');
    if let Ok(zone) = TimeZone::get(tzid) {
        return Some((zone.iana_name().unwrap_or(tzid).to_string(), zone));
    }
    if let Some((_, iana)) = WINDOWS_ZONES.iter().find(|(windows, _)| windows.eq_ignore_ascii_case(tzid)) {
        return TimeZone::get(iana).ok().map(|zone| (iana.to_string(), zone));
    }
    // A trailing Area/City inside a longer id.
    let parts: Vec<&str> = tzid.split('/').collect();
    if parts.len() >= 2 {
        let tail = parts[parts.len() - 2..].join("/");
        if let Ok(zone) = TimeZone::get(&tail) {
            return Some((tail, zone));
        }
    }
    if let Ok(calcard::common::timezone::Tz::Tz(zone)) = tzid.parse::<calcard::common::timezone::Tz>() {
        let name = zone.name();
        return TimeZone::get(name).ok().map(|tz| (name.to_string(), tz));
    }
    None
}

/// The zone a word or abbreviation of prose stands for ("PT", "Eastern", "MEZ",
/// "Berlin", "UTC+5:30"). Abbreviations are matched as written (upper case).
pub fn zone_from_word(word: &str) -> Option<ZoneSpec> {
    let trimmed = word.trim().trim_matches(|c: char| c == '(' || c == ')' || c == ',');
    if let Some(offset) = parse_utc_offset(trimmed) {
        return Some(ZoneSpec::Fixed(offset));
    }
    let named = |name: &str| Some(ZoneSpec::Named(name.to_string()));
    match trimmed {
        "ET" | "EST" | "EDT" => return named("America/New_York"),
        "CT" | "CST" | "CDT" => return named("America/Chicago"),
        "MT" | "MST" | "MDT" => return named("America/Denver"),
        "PT" | "PST" | "PDT" => return named("America/Los_Angeles"),
        "AKST" | "AKDT" => return named("America/Anchorage"),
        "HST" => return named("Pacific/Honolulu"),
        "UTC" | "GMT" | "Z" | "UT" => return Some(ZoneSpec::Fixed(0)),
        "BST" => return named("Europe/London"),
        "CET" | "CEST" | "MEZ" | "MESZ" => return named("Europe/Berlin"),
        "EET" | "EEST" => return named("Europe/Helsinki"),
        "WET" | "WEST" => return named("Europe/Lisbon"),
        "IST" => return named("Asia/Kolkata"),
        "AEDT" | "AEST" => return named("Australia/Sydney"),
        "ACDT" | "ACST" => return named("Australia/Adelaide"),
        "AWST" => return named("Australia/Perth"),
        "NZDT" | "NZST" => return named("Pacific/Auckland"),
        "JST" => return named("Asia/Tokyo"),
        "KST" => return named("Asia/Seoul"),
        "SGT" => return named("Asia/Singapore"),
        "HKT" => return named("Asia/Hong_Kong"),
        "BRT" => return named("America/Sao_Paulo"),
        _ => {}
    }
    let lower = trimmed.to_lowercase();
    let lower = lower.trim_end_matches(" time").trim_end_matches(" standard").trim_end_matches(" daylight");
    let iana = match lower {
        "eastern" | "us eastern" | "new york" | "toronto" | "boston" | "atlanta" | "miami" | "montreal"
        | "montréal" => "America/New_York",
        "central" | "us central" | "chicago" | "dallas" | "austin" | "houston" | "minneapolis" => "America/Chicago",
        "mountain" | "us mountain" | "denver" | "salt lake city" => "America/Denver",
        "arizona" | "phoenix" => "America/Phoenix",
        "pacific" | "us pacific" | "los angeles" | "san francisco" | "seattle" | "vancouver" | "portland" => {
            "America/Los_Angeles"
        }
        "central european" | "central europe" | "berlin" | "german" | "munich" | "frankfurt" | "hamburg" | "vienna"
        | "zurich" | "amsterdam" | "brussels" | "copenhagen" | "stockholm" | "warsaw" | "prague" | "rome"
        | "madrid" | "barcelona" | "milan" => "Europe/Berlin",
        "paris" | "french" => "Europe/Paris",
        "oslo" | "norwegian" => "Europe/Oslo",
        "london" | "uk" | "british" | "dublin" | "irish" => "Europe/London",
        "lisbon" => "Europe/Lisbon",
        "helsinki" | "eastern european" | "athens" | "kyiv" => "Europe/Helsinki",
        "india" | "indian" | "kolkata" | "bengaluru" | "bangalore" | "mumbai" | "delhi" | "pune" | "hyderabad"
        | "chennai" => "Asia/Kolkata",
        "sydney" | "melbourne" | "australian eastern" | "aus eastern" | "canberra" => "Australia/Sydney",
        "brisbane" => "Australia/Brisbane",
        "auckland" | "new zealand" => "Pacific/Auckland",
        "tokyo" | "japan" => "Asia/Tokyo",
        "singapore" => "Asia/Singapore",
        "hong kong" => "Asia/Hong_Kong",
        "dubai" => "Asia/Dubai",
        "tel aviv" | "israel" => "Asia/Jerusalem",
        "são paulo" | "sao paulo" => "America/Sao_Paulo",
        "utc" | "gmt" | "coordinated universal" | "greenwich mean" | "universal" => return Some(ZoneSpec::Fixed(0)),
        _ => return None,
    };
    named(iana)
}

fn parse_utc_offset(text: &str) -> Option<i32> {
    static OFFSET: Compiled<Regex> = Compiled::new(|| {
        super::word_regex(r"^(?i:utc|gmt)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$").expect("offset pattern")
    });
    let captures = OFFSET.get().captures(text)?;
    let hours: i32 = captures.get(2)?.as_str().parse().ok()?;
    let minutes: i32 = captures.get(3).map_or(Some(0), |m| m.as_str().parse().ok())?;
    if hours > 14 || minutes > 59 {
        return None;
    }
    let magnitude = hours * 3600 + minutes * 60;
    Some(if &captures[1] == "-" { -magnitude } else { magnitude })
}

/// Zone mentions in prose: abbreviations (case-sensitive), zone words and "X time".
static ZONE_MENTION: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(
        r"(?x)
        (?i:(?:utc|gmt)\s*[+-]\s*\d{1,2}(?::?\d{2})?)
      | \b(?:ET|EST|EDT|CT|CST|CDT|MT|MST|MDT|PT|PST|PDT|AKST|HST|UTC|GMT|BST|CET|CEST|MEZ|MESZ|EET|EEST|WET|IST|AEDT|AEST|ACDT|AWST|NZDT|NZST|JST|KST|SGT|HKT|BRT)\b
      | (?i:\b(?:us\s+)?(?:eastern|central|mountain|pacific)(?:\s+(?:standard|daylight))?(?:\s+time)?\b)
      | (?i:\bcentral\s+european(?:\s+(?:standard|summer))?\s+time\b)
      | (?i:\b(?:new\s+york|chicago|denver|los\s+angeles|san\s+francisco|seattle|toronto|berlin|paris|oslo|london|uk|amsterdam|stockholm|vienna|zurich|madrid|rome|warsaw|prague|copenhagen|dublin|lisbon|helsinki|india|sydney|melbourne|tokyo|singapore|bengaluru|bangalore|mumbai|auckland|indian|german|british|australian\s+eastern(?:\s+daylight|\s+standard)?|coordinated\s+universal)\s+time\b)
        ",
    )
    .expect("zone mention pattern")
});

/// A zone mention with its byte span.
#[derive(Debug, Clone)]
pub struct ZoneMention {
    pub start: usize,
    pub end: usize,
    pub zone: ZoneSpec,
}

pub fn zone_mentions(text: &str) -> Vec<ZoneMention> {
    ZONE_MENTION
        .get()
        .find_iter(text)
        .filter_map(|m| {
            let word = m.as_str();
            let zone = zone_from_word(word).or_else(|| {
                // "Central European Time", "Australian Eastern Daylight Time"
                let lower = word.to_lowercase();
                if lower.starts_with("central european") {
                    Some(ZoneSpec::Named("Europe/Berlin".to_string()))
                } else if lower.starts_with("australian eastern") {
                    Some(ZoneSpec::Named("Australia/Sydney".to_string()))
                } else {
                    None
                }
            })?;
            Some(ZoneMention { start: m.start(), end: m.end(), zone })
        })
        .collect()
}

const MONTH_NAMES: &[(&str, i8)] = &[
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("sept", 9),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
    ("januar", 1),
    ("februar", 2),
    ("märz", 3),
    ("mai", 5),
    ("juni", 6),
    ("juli", 7),
    ("oktober", 10),
    ("dezember", 12),
    ("janvier", 1),
    ("février", 2),
    ("mars", 3),
    ("avril", 4),
    ("juin", 6),
    ("juillet", 7),
    ("août", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("décembre", 12),
    ("enero", 1),
    ("febrero", 2),
    ("marzo", 3),
    ("abril", 4),
    ("mayo", 5),
    ("junio", 6),
    ("julio", 7),
    ("agosto", 8),
    ("septiembre", 9),
    ("octubre", 10),
    ("noviembre", 11),
    ("diciembre", 12),
    // Portuguese, Italian, Dutch, Swedish (names shared with other languages are above).
    ("janeiro", 1),
    ("fevereiro", 2),
    ("março", 3),
    ("maio", 5),
    ("junho", 6),
    ("julho", 7),
    ("setembro", 9),
    ("outubro", 10),
    ("novembro", 11),
    ("dezembro", 12),
    ("gennaio", 1),
    ("febbraio", 2),
    ("aprile", 4),
    ("maggio", 5),
    ("giugno", 6),
    ("luglio", 7),
    ("settembre", 9),
    ("ottobre", 10),
    ("dicembre", 12),
    ("januari", 1),
    ("februari", 2),
    ("maart", 3),
    ("mei", 5),
    ("augustus", 8),
    ("maj", 5),
    ("augusti", 8),
];

const WEEKDAY_NAMES: &[(&str, Weekday)] = &[
    ("monday", Weekday::Monday),
    ("tuesday", Weekday::Tuesday),
    ("wednesday", Weekday::Wednesday),
    ("thursday", Weekday::Thursday),
    ("friday", Weekday::Friday),
    ("saturday", Weekday::Saturday),
    ("sunday", Weekday::Sunday),
    ("montag", Weekday::Monday),
    ("dienstag", Weekday::Tuesday),
    ("mittwoch", Weekday::Wednesday),
    ("donnerstag", Weekday::Thursday),
    ("freitag", Weekday::Friday),
    ("samstag", Weekday::Saturday),
    ("sonntag", Weekday::Sunday),
    ("lundi", Weekday::Monday),
    ("mardi", Weekday::Tuesday),
    ("mercredi", Weekday::Wednesday),
    ("jeudi", Weekday::Thursday),
    ("vendredi", Weekday::Friday),
    ("samedi", Weekday::Saturday),
    ("dimanche", Weekday::Sunday),
    ("lunes", Weekday::Monday),
    ("martes", Weekday::Tuesday),
    ("miércoles", Weekday::Wednesday),
    ("jueves", Weekday::Thursday),
    ("viernes", Weekday::Friday),
    ("sábado", Weekday::Saturday),
    ("domingo", Weekday::Sunday),
    ("segunda-feira", Weekday::Monday),
    ("terça-feira", Weekday::Tuesday),
    ("quarta-feira", Weekday::Wednesday),
    ("quinta-feira", Weekday::Thursday),
    ("sexta-feira", Weekday::Friday),
    ("maandag", Weekday::Monday),
    ("dinsdag", Weekday::Tuesday),
    ("woensdag", Weekday::Wednesday),
    ("donderdag", Weekday::Thursday),
    ("vrijdag", Weekday::Friday),
    ("zaterdag", Weekday::Saturday),
    ("zondag", Weekday::Sunday),
    ("måndag", Weekday::Monday),
    ("tisdag", Weekday::Tuesday),
    ("onsdag", Weekday::Wednesday),
    ("torsdag", Weekday::Thursday),
    ("fredag", Weekday::Friday),
    ("lördag", Weekday::Saturday),
    ("söndag", Weekday::Sunday),
    ("thurs", Weekday::Thursday),
    ("tues", Weekday::Tuesday),
    ("thur", Weekday::Thursday),
    ("mon", Weekday::Monday),
    ("tue", Weekday::Tuesday),
    ("wed", Weekday::Wednesday),
    ("thu", Weekday::Thursday),
    ("fri", Weekday::Friday),
    ("sat", Weekday::Saturday),
    ("sun", Weekday::Sunday),
];

pub fn month_from_name(name: &str) -> Option<i8> {
    let name = name.trim_end_matches('.').to_lowercase();
    MONTH_NAMES.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
}

pub fn weekday_from_name(name: &str) -> Option<Weekday> {
    let name = name.trim_end_matches('.').to_lowercase();
    WEEKDAY_NAMES.iter().find(|(n, _)| *n == name).map(|(_, w)| *w)
}

fn alternation(names: impl Iterator<Item = &'static str>) -> String {
    let mut names: Vec<&str> = names.collect();
    names.sort_by_key(|name| std::cmp::Reverse(name.len()));
    names.dedup();
    names.join("|")
}

static MONTHS_RE: LazyLock<String> = LazyLock::new(|| alternation(MONTH_NAMES.iter().map(|(n, _)| *n)));
static WEEKDAYS_RE: LazyLock<String> = LazyLock::new(|| alternation(WEEKDAY_NAMES.iter().map(|(n, _)| *n)));

static EXPLICIT_DATE: Compiled<Regex> = Compiled::new(|| {
    let months = &*MONTHS_RE;
    let weekdays = &*WEEKDAYS_RE;
    super::word_regex(&format!(
        r"(?x)
        \b(?:(?P<wd1>{weekdays})\.?,?\s+)?(?:the\s+)?(?P<d1>\d{{1,2}})(?:st|nd|rd|th|\.)?\s+(?:of\s+|de\s+)?(?P<m1>{months})\b\.?(?:,?\s+(?:de\s+)?(?P<y1>\d{{4}}))?
      | \b(?:(?P<wd2>{weekdays})\.?,?\s+)?(?P<m2>{months})\b\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y2>\d{{4}}))?
      | \b(?P<y5>20\d{{2}})-(?P<m5>\d{{2}})-(?P<d5>\d{{2}})\b
      | \b(?P<d3>\d{{1,2}})\.(?P<m3>\d{{1,2}})\.(?P<y3>\d{{4}}|\d{{2}}\b)?
      | \b(?P<m4>\d{{1,2}})/(?P<d4>\d{{1,2}})(?:/(?P<y4>\d{{4}}|\d{{2}}))?\b
        "
    ))
    .expect("explicit date pattern")
});

static RELATIVE_DATE: Compiled<Regex> = Compiled::new(|| {
    let weekdays = &*WEEKDAYS_RE;
    super::word_regex(&format!(
        r"(?x)
        \b(?P<rel>the\s+day\s+after\s+tomorrow|tomorrow|today|tonight|this\s+(?:morning|afternoon|evening)|demain|aujourd'hui)\b
      | (?P<ueber>übermorgen)
      | (?:^|[^a-zà-ÿ])(?P<morgen>morgen)\b
      | \b(?:(?P<q>next|this|coming|on|this\s+coming)\s+)?(?P<wd>{weekdays})\b(?:\s+the\s+(?P<dd>\d{{1,2}})(?:st|nd|rd|th)?\b)?
      | \bthe\s+(?P<nth>\d{{1,2}})(?:st|nd|rd|th)\b
        "
    ))
    .expect("relative date pattern")
});

/// A date mentioned in prose.
#[derive(Debug, Clone, PartialEq)]
pub struct DateMention {
    pub start: usize,
    pub end: usize,
    pub date: Date,
    /// A month and day were written (not "tomorrow" or a bare weekday).
    pub explicit: bool,
}

fn add_days(date: Date, days: i64) -> Option<Date> {
    date.checked_add(days.days()).ok()
}

/// The next date after `reference` (strictly) that falls on `weekday`.
pub fn next_weekday(reference: Date, weekday: Weekday) -> Option<Date> {
    let ahead = i64::from(weekday.since(reference.weekday()));
    add_days(reference, if ahead == 0 { 7 } else { ahead })
}

/// A month/day without a year, placed in the year that puts it no more than 45 days
/// before the reference (mail talks about the near future and the recent past).
pub fn infer_year(reference: Date, month: i8, day: i8) -> Option<Date> {
    let earliest = add_days(reference, -45)?;
    (reference.year() - 1..=reference.year() + 1)
        .filter_map(|year| Date::new(year, month, day).ok())
        .find(|date| *date >= earliest)
}

fn explicit_date(reference: Date, day: &str, month: i8, year: Option<&str>, weekday: Option<Weekday>) -> Option<Date> {
    let day: i8 = day.parse().ok()?;
    if let Some(year) = year {
        let mut year: i16 = year.parse().ok()?;
        if year < 100 {
            year += 2000;
        }
        return Date::new(year, month, day).ok();
    }
    let date = infer_year(reference, month, day)?;
    // A weekday that disagrees with the inferred year points at another year.
    if let Some(weekday) = weekday
        && date.weekday() != weekday
        && let Some(other) = Date::new(date.year() + 1, month, day).ok().filter(|d| d.weekday() == weekday)
    {
        return Some(other);
    }
    Some(date)
}

/// Every date mentioned in `text` (any case), read against `reference`.
pub fn date_mentions(text: &str, reference: Date) -> Vec<DateMention> {
    let lower = text.to_ascii_lowercase();
    let mut mentions: Vec<DateMention> = Vec::new();
    for captures in EXPLICIT_DATE.get().captures_iter(&lower) {
        let Some(whole) = captures.get(0) else { continue };
        let weekday = captures.name("wd1").or(captures.name("wd2")).and_then(|w| weekday_from_name(w.as_str()));
        let date =
            if let (Some(day), Some(month)) = (captures.name("d1"), captures.name("m1")) {
                month_from_name(month.as_str()).and_then(|m| {
                    explicit_date(reference, day.as_str(), m, captures.name("y1").map(|y| y.as_str()), weekday)
                })
            } else if let (Some(day), Some(month)) = (captures.name("d2"), captures.name("m2")) {
                month_from_name(month.as_str()).and_then(|m| {
                    explicit_date(reference, day.as_str(), m, captures.name("y2").map(|y| y.as_str()), weekday)
                })
            } else if let (Some(year), Some(month), Some(day)) =
                (captures.name("y5"), captures.name("m5"), captures.name("d5"))
            {
                month
                    .as_str()
                    .parse::<i8>()
                    .ok()
                    .and_then(|m| explicit_date(reference, day.as_str(), m, Some(year.as_str()), None))
            } else if let (Some(day), Some(month)) = (captures.name("d3"), captures.name("m3")) {
                month.as_str().parse::<i8>().ok().and_then(|m| {
                    explicit_date(reference, day.as_str(), m, captures.name("y3").map(|y| y.as_str()), None)
                })
            } else if let (Some(first), Some(second)) = (captures.name("m4"), captures.name("d4")) {
                // 3/18 is month/day; 12/03 could be either (US or most of the world): the
                // reading on the weekday written just before it, else the one nearest the
                // message's own date.
                let year = captures.name("y4").map(|y| y.as_str());
                let us = first
                    .as_str()
                    .parse::<i8>()
                    .ok()
                    .and_then(|m| explicit_date(reference, second.as_str(), m, year, None));
                let world = second
                    .as_str()
                    .parse::<i8>()
                    .ok()
                    .and_then(|m| explicit_date(reference, first.as_str(), m, year, None));
                let before = &lower[ceil_boundary(&lower, whole.start().saturating_sub(16))..whole.start()];
                let named = before.split(|c: char| !c.is_alphabetic()).rev().find_map(weekday_from_name);
                let distance = |d: &Date| d.since(reference).map(|span| span.get_days().abs()).unwrap_or(i32::MAX);
                match (us, world) {
                    (Some(us), Some(world)) if us != world => {
                        let fits = |d: &Date| named.is_none_or(|w| d.weekday() == w);
                        match (fits(&us), fits(&world)) {
                            (true, false) => Some(us),
                            (false, true) => Some(world),
                            _ if distance(&world) < distance(&us) => Some(world),
                            _ => Some(us),
                        }
                    }
                    (us, world) => us.or(world),
                }
            } else {
                None
            };
        if let Some(date) = date {
            mentions.push(DateMention { start: whole.start(), end: whole.end(), date, explicit: true });
        }
    }
    for captures in RELATIVE_DATE.get().captures_iter(&lower) {
        let Some(whole) = captures.get(0) else { continue };
        let (start, end) = match captures.name("morgen").or(captures.name("ueber")) {
            Some(m) => (m.start(), m.end()),
            None => (whole.start(), whole.end()),
        };
        if mentions.iter().any(|m| start < m.end && m.start < end) {
            continue;
        }
        let date = if captures.name("ueber").is_some() {
            add_days(reference, 2)
        } else if let Some(relative) = captures.name("rel") {
            match relative.as_str() {
                "tomorrow" | "demain" => add_days(reference, 1),
                "the day after tomorrow" | "übermorgen" => add_days(reference, 2),
                _ => Some(reference),
            }
        } else if let Some(morgen) = captures.name("morgen") {
            let before = &lower[..morgen.start()];
            if before.trim_end().ends_with("guten") || before.trim_end().ends_with("am") {
                None
            } else {
                add_days(reference, 1)
            }
        } else if let Some(weekday) = captures.name("wd") {
            let name = weekday.as_str();
            // Short forms alone ("sun", "sat", "wed") are too often words: only full names.
            if name.len() < 5 && !matches!(name, "mardi" | "lundi" | "jeudi") {
                None
            } else {
                let weekday = weekday_from_name(name);
                match (weekday, captures.name("dd")) {
                    (Some(weekday), Some(day)) => day.as_str().parse::<i8>().ok().and_then(|day| {
                        // "Monday the 11th": the next 11th that is a Monday, else the next 11th.
                        (0..3)
                            .filter_map(|months| {
                                let first = reference.first_of_month().checked_add(months.months()).ok()?;
                                Date::new(first.year(), first.month(), day).ok()
                            })
                            .filter(|d| *d >= reference)
                            .find(|d| d.weekday() == weekday)
                    }),
                    (Some(weekday), None) => next_weekday(reference, weekday).and_then(|next| {
                        let qualifier = captures.name("q").map(|q| q.as_str()).unwrap_or("");
                        let days_ahead = next.since(reference).ok()?.get_days();
                        if qualifier == "next" && days_ahead < 3 {
                            // "next Friday" said on a Thursday usually means the week after.
                            add_days(next, 7)
                        } else {
                            Some(next)
                        }
                    }),
                    _ => None,
                }
            }
        } else if let Some(nth) = captures.name("nth") {
            nth.as_str().parse::<i8>().ok().and_then(|day| {
                let this_month = Date::new(reference.year(), reference.month(), day).ok().filter(|d| *d >= reference);
                this_month.or_else(|| {
                    let next = reference.first_of_month().checked_add(1.month()).ok()?;
                    Date::new(next.year(), next.month(), day).ok()
                })
            })
        } else {
            None
        };
        if let Some(date) = date {
            mentions.push(DateMention { start, end, date, explicit: false });
        }
    }
    mentions.sort_by_key(|m| m.start);
    mentions
}

static TIME_RANGE: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(
        r"(?x)
        (?P<h1>\d{1,2})(?:(?::|h)(?P<m1>\d{2}))?\s*(?P<ap1>a\.?m\b\.?|p\.?m\b\.?)?
        (?:\s*(?:-|to|until|till|bis|à)\s*
           (?P<h2>\d{1,2})(?:(?::|h)(?P<m2>\d{2}))?\s*(?P<ap2>a\.?m\b\.?|p\.?m\b\.?)?
        )?
        (?P<uhr>\s*uhr\b|\s*h\b)?
      | \b(?P<noon>noon|midday)\b
        ",
    )
    .expect("time range pattern")
});

static WORD_TIME: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"\b(?P<q>half|quarter)\s+(?P<rel>past|to)\s+(?P<h>one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2})\b(?:\s*(?P<ap>a\.?m\.?|p\.?m\.?|in\s+the\s+(?:morning|afternoon|evening)))?")
        .expect("word time pattern")
});

fn number_word(word: &str) -> Option<i8> {
    const WORDS: [&str; 12] =
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];
    WORDS.iter().position(|w| *w == word).map(|i| i as i8 + 1).or_else(|| word.parse().ok())
}

/// A time or time range mentioned in prose.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeMention {
    pub start: usize,
    pub end: usize,
    pub from: Time,
    pub to: Option<Time>,
    /// The zone written right after the time ("2pm ET", "16:00 (Berlin time)").
    pub zone: Option<ZoneSpec>,
    /// Whether the mention starts a line (an itinerary row).
    pub at_line_start: bool,
}

#[derive(Debug, Clone, Copy)]
struct RawTime {
    hour: i8,
    minute: i8,
    meridiem: Option<bool>, // Some(true) = pm
    has_minutes: bool,
    leading_zero: bool,
}

fn raw_time(hour: &str, minute: Option<&str>, meridiem: Option<&str>) -> Option<RawTime> {
    let h: i8 = hour.parse().ok()?;
    let m: i8 = minute.map_or(Some(0), |m| m.parse().ok())?;
    if h > 24 || m > 59 {
        return None;
    }
    let meridiem = meridiem.map(|ap| ap.starts_with('p'));
    if meridiem.is_some() && (h == 0 || h > 12) {
        return None;
    }
    Some(RawTime { hour: h, minute: m, meridiem, has_minutes: minute.is_some(), leading_zero: hour.starts_with('0') })
}

fn to_24h(raw: RawTime, meridiem: Option<bool>) -> i8 {
    match meridiem {
        Some(true) if raw.hour < 12 => raw.hour + 12,
        Some(false) if raw.hour == 12 => 0,
        Some(_) => raw.hour,
        // No meridiem: 24-hour clock when it can only be one; otherwise business hours.
        None if raw.hour >= 13 || raw.leading_zero || raw.hour == 0 => raw.hour % 24,
        None if (1..=6).contains(&raw.hour) => raw.hour + 12,
        None => raw.hour,
    }
}

/// Every time or time range in `text`, with the zone written right after it.
pub fn time_mentions(text: &str) -> Vec<TimeMention> {
    let lower = text.to_ascii_lowercase();
    let zones = zone_mentions(text);
    let mut mentions = Vec::new();
    for captures in TIME_RANGE.get().captures_iter(&lower) {
        let Some(whole) = captures.get(0) else { continue };
        let bytes = lower.as_bytes();
        if whole.start() > 0 {
            let before = bytes[whole.start() - 1];
            if before.is_ascii_digit() || before == b':' || before == b'/' || before == b'.' || before == b'$' {
                continue;
            }
        }
        let (from, to) = if captures.name("noon").is_some() {
            (Time::constant(12, 0, 0, 0), None)
        } else {
            let Some(first) = raw_time(
                &captures["h1"],
                captures.name("m1").map(|m| m.as_str()),
                captures.name("ap1").map(|m| m.as_str()),
            ) else {
                continue;
            };
            let second = captures.name("h2").and_then(|h| {
                raw_time(h.as_str(), captures.name("m2").map(|m| m.as_str()), captures.name("ap2").map(|m| m.as_str()))
            });
            let uhr = captures.name("uhr").is_some();
            let qualifies = |t: &RawTime| t.has_minutes || t.meridiem.is_some();
            let first_ok = qualifies(&first) || uhr || second.as_ref().is_some_and(qualifies);
            if !first_ok {
                continue;
            }
            if let Some(end_char) = bytes.get(whole.end())
                && (end_char.is_ascii_digit() || *end_char == b'%')
            {
                continue;
            }
            let to = range_end(&captures, first, second);
            let start_hour = match (to, second) {
                (Some(_), Some(second)) => range_start_hour(first, second),
                _ => to_24h(first, first.meridiem),
            };
            let Ok(from) = Time::new(start_hour, first.minute, 0, 0) else { continue };
            (from, to)
        };
        let at_line_start = lower[..whole.start()].rsplit('\n').next().is_none_or(|line| {
            line.trim().is_empty() || line.trim().chars().all(|c| c == '-' || c == '*' || c == '•' || c == '·')
        });
        let zone = zones
            .iter()
            .find(|z| {
                z.start >= whole.end()
                    && z.start - whole.end() <= 4
                    && text[whole.end()..z.start].chars().all(|c| c.is_whitespace() || c == '(' || c == ',' || c == '/')
                    && !text[whole.end()..z.start].contains('\n')
            })
            .map(|z| z.zone.clone());
        mentions.push(TimeMention { start: whole.start(), end: whole.end(), from, to, zone, at_line_start });
    }
    // "half past ten", "quarter to three": clock times in words, read in business hours
    // unless "am"/"pm" or a part of the day says otherwise.
    for captures in WORD_TIME.get().captures_iter(&lower) {
        let Some(whole) = captures.get(0) else { continue };
        if mentions.iter().any(|m| m.start < whole.end() && whole.start() < m.end) {
            continue;
        }
        let Some(hour) = number_word(&captures["h"]).filter(|h| (1..=12).contains(h)) else { continue };
        let (hour, minute) = match (&captures["q"], &captures["rel"]) {
            ("half", _) => (hour, 30),
            ("quarter", "past") => (hour, 15),
            _ => (if hour == 1 { 12 } else { hour - 1 }, 45),
        };
        let meridiem = captures.name("ap").map(|m| {
            let m = m.as_str();
            m.starts_with('p') || m.contains("afternoon") || m.contains("evening")
        });
        let Some(raw) = raw_time(&hour.to_string(), Some(&format!("{minute:02}")), None) else { continue };
        let Ok(from) = Time::new(to_24h(raw, meridiem), minute, 0, 0) else { continue };
        let zone = zones
            .iter()
            .find(|z| {
                z.start >= whole.end() && z.start - whole.end() <= 4 && !text[whole.end()..z.start].contains('\n')
            })
            .map(|z| z.zone.clone());
        mentions.push(TimeMention {
            start: whole.start(),
            end: whole.end(),
            from,
            to: None,
            zone,
            at_line_start: false,
        });
    }
    // "Tuesday at 11": a bare hour after "at" is a time too, read in business hours.
    for captures in BARE_AT_HOUR.get().captures_iter(&lower) {
        let (Some(whole), Some(hour)) = (captures.get(0), captures.get(1)) else { continue };
        let next = lower.as_bytes().get(hour.end()).copied();
        if matches!(next, Some(b':' | b'.' | b'h' | b'/' | b'-' | b',')) || next.is_some_and(|b| b.is_ascii_digit()) {
            continue;
        }
        if mentions.iter().any(|m| m.start < whole.end() && whole.start() < m.end) {
            continue;
        }
        let Some(raw) = raw_time(hour.as_str(), None, None).filter(|r| (1..=12).contains(&r.hour)) else { continue };
        let Ok(from) = Time::new(to_24h(raw, None), 0, 0, 0) else { continue };
        let zone = zones
            .iter()
            .find(|z| z.start >= hour.end() && z.start - hour.end() <= 4 && !text[hour.end()..z.start].contains('\n'))
            .map(|z| z.zone.clone());
        mentions.push(TimeMention { start: hour.start(), end: hour.end(), from, to: None, zone, at_line_start: false });
    }
    mentions.sort_by_key(|m| m.start);
    mentions
}

static BARE_AT_HOUR: Compiled<Regex> =
    Compiled::new(|| super::word_regex(r"\b(?:at|um|à|a\s+las)\s+(\d{1,2})\b").expect("bare hour pattern"));

fn range_end(captures: &regex::Captures<'_>, first: RawTime, second: Option<RawTime>) -> Option<Time> {
    let second = second?;
    let uhr = captures.name("uhr").is_some();
    let qualifies = |t: &RawTime| t.has_minutes || t.meridiem.is_some();
    if !(qualifies(&second) || qualifies(&first) || uhr) {
        return None;
    }
    let start_hour = range_start_hour(first, second);
    let mut end_hour = to_24h(second, second.meridiem.or(first.meridiem));
    if end_hour < start_hour && second.meridiem.is_none() && second.hour < 12 {
        end_hour = second.hour + 12;
    }
    Time::new(end_hour % 24, second.minute, 0, 0).ok()
}

fn range_start_hour(first: RawTime, second: RawTime) -> i8 {
    let mut hour = to_24h(first, first.meridiem.or(second.meridiem));
    let end_hour = to_24h(second, second.meridiem.or(first.meridiem));
    if first.meridiem.is_none() && hour > end_hour {
        // "11:30 - 12:15 PM" is 11:30 in the morning; "9:30-1:30" starts at 9:30.
        hour = if first.hour <= 12 && !first.leading_zero { first.hour % 12 } else { hour };
        if first.hour == 12 {
            hour = 12;
        }
    }
    hour
}

/// A resolved slot: a date with a time range in a zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// Byte offset of the time in the text.
    pub position: usize,
    /// Byte offset of the date mention the time was paired with.
    pub date_position: usize,
    pub start: Timestamp,
    pub end: Option<Timestamp>,
    pub zone: Option<ZoneSpec>,
    /// The date was written out (not "tomorrow" or a weekday).
    pub explicit_date: bool,
}

/// Finds date-and-time slots in `text`: every time paired with the date written just
/// before it (or right after it on the same line), in the zone written after the time,
/// else the last zone written before it, else `default_zone`. Itinerary rows (lines
/// that start with a time range) below a slot extend its end.
pub fn find_slots(text: &str, reference: civil::DateTime, default_zone: &ZoneSpec) -> Vec<Slot> {
    let dates = date_mentions(text, reference.date());
    let times: Vec<TimeMention> = time_mentions(text)
        .into_iter()
        .filter(|t| !dates.iter().any(|d| d.explicit && t.start < d.end && d.start < t.end))
        // "Please arrive by 9:15": the interview starts at the first session, not on arrival.
        .filter(|t| !ARRIVAL.get().is_match(&text[ceil_boundary(text, t.start.saturating_sub(40))..t.start]))
        .collect();
    let zones = zone_mentions(text);
    let mut slots: Vec<Slot> = Vec::new();
    let mut consumed = vec![false; times.len()];
    for (index, time) in times.iter().enumerate() {
        if consumed[index] {
            continue;
        }
        let Some(date) = pair_date(text, &dates, time) else { continue };
        let zone = time
            .zone
            .clone()
            .or_else(|| zone_after_date(text, &zones, date, time))
            .or_else(|| {
                zones.iter().rev().find(|z| z.end <= time.start && time.start - z.end <= 400).map(|z| z.zone.clone())
            })
            .unwrap_or_else(|| default_zone.clone());
        let Some(tz) = zone.time_zone() else { continue };
        let Some(start) = date.date.to_datetime(time.from).to_zoned(tz.clone()).ok().map(|z| z.timestamp()) else {
            continue;
        };
        let mut end = time.to.and_then(|to| {
            let end_date = if to < time.from { add_days(date.date, 1)? } else { date.date };
            end_date.to_datetime(to).to_zoned(tz.clone()).ok().map(|z| z.timestamp())
        });
        // "starting at half past two and finishing at 4pm": the end in the same sentence.
        if end.is_none()
            && let Some(cue) = END_CUE.get().find(&text[time.end..floor_boundary(text, time.end + 80)])
            && !text[time.end..time.end + cue.start()].contains(['.', '\n'])
            && let Some(finish) =
                times.iter().find(|t| t.start >= time.end + cue.end() && t.start <= time.end + cue.end() + 3)
            && let Ok(zoned) = date.date.to_datetime(finish.from).to_zoned(tz.clone())
            && zoned.timestamp() > start
        {
            end = Some(zoned.timestamp());
        }
        // Itinerary rows below: later times at line starts with no date of their own.
        let mut last_end = time.end;
        for (next_index, next) in times.iter().enumerate().skip(index + 1) {
            let gap = &text[last_end.min(next.start)..next.start];
            // A time at the start of a hard-wrapped prose line is not a row: the line above
            // a row is another row or a short heading.
            let line_above = text[..next.start]
                .trim_end_matches([' ', '\t'])
                .strip_suffix('\n')
                .map(|above| above.rsplit('\n').next().unwrap_or(above).trim());
            let wrapped_prose = line_above.is_some_and(|above| {
                above.len() > 50
                    && !above.starts_with(|c: char| c.is_ascii_digit())
                    && above.ends_with(|c: char| c.is_lowercase() || c == ',')
            });
            let only_rows = next.at_line_start
                && !wrapped_prose
                && next.start - last_end <= 240
                && gap.matches('\n').count() <= 3
                && !dates.iter().any(|d| d.start >= time.end && d.start < next.start);
            if !only_rows {
                break;
            }
            let row_end = next.to.unwrap_or(next.from);
            if let Ok(zoned) = date.date.to_datetime(row_end).to_zoned(tz.clone()) {
                let candidate = zoned.timestamp();
                if candidate > start && end.is_none_or(|e| candidate > e) {
                    end = Some(candidate);
                }
            }
            consumed[next_index] = true;
            last_end = next.end;
        }
        slots.push(Slot {
            position: time.start,
            date_position: date.start,
            start,
            end,
            zone: Some(zone),
            explicit_date: date.explicit,
        });
    }
    slots
}

static END_CUE: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(
        r"(?i)\b(?:finishing|finish|ending|ends?|wrapping\s+up|until|till|through)\s+(?:at\s+|by\s+|around\s+)?",
    )
    .expect("end cue pattern")
});
static ARRIVAL: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"(?i)\b(?:arrive|arrival|check[\s-]in|be\s+(?:there|here|in\s+the\s+lobby)|get\s+here|doors\s+open)\b[^.\n]{0,20}$")
        .expect("arrival pattern")
});
static DATE_LABEL: Compiled<Regex> =
    Compiled::new(|| Regex::new(r"(?i)^\s*(?:date|day|datum|fecha|data|dag)\s*:\s*$").expect("date label pattern"));

fn pair_date<'a>(text: &str, dates: &'a [DateMention], time: &TimeMention) -> Option<&'a DateMention> {
    let before = dates.iter().rev().find(|d| d.end <= time.start).filter(|d| {
        let gap = &text[d.end..time.start];
        let distance = time.start - d.end;
        // A labelled date ("Date: Friday, December 11") heads the session table below it.
        let labelled = text[..d.start].rsplit('\n').next().is_some_and(|line| DATE_LABEL.get().is_match(line));
        (distance <= 90 && !gap.contains("\n\n"))
            || (time.at_line_start && distance <= 200 && gap.matches('\n').count() <= 3)
            || (time.at_line_start && labelled && distance <= 600 && gap.matches('\n').count() <= 8)
    });
    let after = dates.iter().find(|d| d.start >= time.end).filter(|d| {
        let gap = &text[time.end..d.start];
        d.start - time.end <= 30 && !gap.contains('\n')
    });
    match (before, after) {
        (Some(b), Some(a)) => {
            if a.start - time.end < time.start - b.end && time.start - b.end > 40 {
                Some(a)
            } else {
                Some(b)
            }
        }
        (b, a) => b.or(a),
    }
}

fn zone_after_date(text: &str, zones: &[ZoneMention], date: &DateMention, time: &TimeMention) -> Option<ZoneSpec> {
    if date.end > time.start {
        return None;
    }
    zones
        .iter()
        .find(|z| z.start >= date.end && z.end <= time.start && !text[date.end..z.start].contains('\n'))
        .map(|z| z.zone.clone())
}

static DURATION: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(
        r"(?x)
        \b(?P<min>\d{2,3})[\s-]*(?:minutes?|mins?|minuten|minutos|minuti)\b
      | \b(?P<hours>\d(?:\.\d)?|one|two|three|four|five)[\s-]*(?:hours?|hrs?|stunden?|heures?|horas?)\b
      | \b(?P<an>an|one)[\s-]+hour\b
      | \b(?P<half>half[\s-]+an?[\s-]+hour|half-hour)\b
      | \b(?P<hh>an?\s+hour\s+and\s+a\s+half)\b
        ",
    )
    .expect("duration pattern")
});

/// The first plausible meeting length written in `text` (10 minutes to 8 hours).
pub fn find_duration(text: &str) -> Option<SignedDuration> {
    let lower = text.to_ascii_lowercase();
    for captures in DURATION.get().captures_iter(&lower) {
        let Some(whole) = captures.get(0) else { continue };
        let after = &lower[whole.end()..floor_boundary(&lower, whole.end() + 12)];
        let before = &lower[ceil_boundary(&lower, whole.start().saturating_sub(12))..whole.start()];
        // "held for 48 hours", "within 24 hours", "2 hours ago" are not meeting lengths.
        // "four hours apart", "an hour ahead": a time difference, not a length.
        let difference = ["apart", "ahead", "behind", "earlier", "later", "difference"]
            .iter()
            .any(|word| after.trim_start().starts_with(word));
        if before.contains("within")
            || before.contains("held for")
            || after.trim_start().starts_with("ago")
            || difference
        {
            continue;
        }
        let minutes: i64 = if let Some(m) = captures.name("min") {
            m.as_str().parse().unwrap_or(0)
        } else if let Some(h) = captures.name("hours") {
            let hours: f64 = match h.as_str() {
                "one" => 1.0,
                "two" => 2.0,
                "three" => 3.0,
                "four" => 4.0,
                "five" => 5.0,
                number => number.parse().unwrap_or(0.0),
            };
            (hours * 60.0).round() as i64
        } else if captures.name("hh").is_some() {
            90
        } else if captures.name("an").is_some() {
            60
        } else if captures.name("half").is_some() {
            30
        } else {
            0
        };
        if (10..=480).contains(&minutes) {
            return Some(SignedDuration::from_mins(minutes));
        }
    }
    None
}

static PERIOD: Compiled<Regex> = Compiled::new(|| {
    let weekdays = &*WEEKDAYS_RE;
    let months = &*MONTHS_RE;
    super::word_regex(&format!(
        r"(?x)
        (?P<eod_tomorrow>(?:end\s+of\s+(?:the\s+)?(?:business\s+)?day|eod|close\s+of\s+business|cob)\s+tomorrow|tomorrow(?:\s+(?:morning|afternoon|evening|night))?)
      | (?P<today>(?:end\s+of\s+(?:the\s+)?(?:business\s+)?day|\beod\b|close\s+of\s+business|\bcob\b)(?:\s+today)?|\btoday\b|\btonight\b|later\s+today)
      | (?P<early_next_week>(?:early|beginning\s+of|start\s+of|first\s+thing)\s+next\s+week)
      | (?P<mid_next_week>(?:mid|middle\s+of)[\s-]+next\s+week)
      | (?P<next_week>(?:end\s+of\s+|later\s+|sometime\s+|by\s+)?next\s+week|the\s+(?:following|coming)\s+week)
      | (?P<this_week>(?:the\s+)?end\s+of\s+(?:the|this)\s+week|later\s+this\s+week|(?:by|before|within)\s+the\s+end\s+of\s+the\s+week|this\s+week|end\s+of\s+week)
      | (?P<next_month_early>(?:early|beginning\s+of|start\s+of)\s+next\s+month)
      | (?P<next_month>next\s+month)
      | (?P<month_end>end\s+of\s+(?:the|this)\s+month|later\s+this\s+month|this\s+month)
      | (?P<fortnight>(?:in|within|over|after)\s+(?:a|one|the\s+next)\s+fortnight|(?:a|one)\s+fortnight\s+from\s+(?:now|today))
      | \b(?:week|wk|kw|vecka|semaine|semana|settimana|uke|uge)\.?\s*(?:no\.?\s*|nr\.?\s*|n\.?\s*)?(?P<isoweek>\d{{1,2}})\b
      | (?P<holidays>after\s+the\s+(?:holidays|holiday\s+break|break|new\s+year)|in\s+the\s+new\s+year|after\s+new\s+year'?s?|early\s+in\s+the\s+new\s+year)
      | \b(?:in|within|over|after)\s+(?:the\s+next\s+|another\s+|about\s+|around\s+|roughly\s+)?(?P<count>a|an|one|two|three|four|five|six|a\s+couple\s+of|a\s+couple|couple\s+of|a\s+few|few|several|\d{{1,2}}(?:\s*-\s*\d{{1,2}})?)\s+(?P<business>business\s+|working\s+)?(?P<unit>days?|weeks?|months?)\b
      | \b(?P<coming>(?:in|over)\s+the\s+(?:coming|next)\s+(?:few\s+)?(?P<coming_unit>days|weeks))\b
      | \b(?P<by_weekday>(?:by|before|on|until|this|next|this\s+coming|till)\s+(?:next\s+|this\s+)?(?P<wd>{weekdays}))\b
      | \b(?:by|before|on|until|till)\s+(?:the\s+)?(?P<bd>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<bm>{months})\b
      | \b(?:by|before|on|until|till)\s+(?:\w+,?\s+)?(?P<bm2>{months})\.?\s+(?P<bd2>\d{{1,2}})(?:st|nd|rd|th)?\b
      | \b(?:by|before|on|until|till)\s+the\s+(?P<bnth>\d{{1,2}})(?:st|nd|rd|th)\b(?:\s+of\s+(?P<bnth_month>this|the|next)\s+month\b)?
      | \b(?P<part>early|mid|late|end\s+of|beginning\s+of|start\s+of|the\s+end\s+of)[\s-]+(?P<pm>january|february|march|april|may|june|july|august|september|october|november|december)\b
        "
    ))
    .expect("period pattern")
});

static BY_DATE: Compiled<Regex> = Compiled::new(|| {
    super::word_regex(r"\b(?:by|before|until|till|no\s+later\s+than|on\s+or\s+before)\s+(?:the\s+)?")
        .expect("by date pattern")
});

/// A relative period found in a sentence, with the first day a follow-up is allowed.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub phrase: String,
    pub reply_after: Date,
}

fn count_word(word: &str) -> Option<i64> {
    let word = word.trim();
    Some(match word {
        "a" | "an" | "one" => 1,
        "two" | "a couple of" | "a couple" | "couple of" => 2,
        "three" | "a few" | "few" | "several" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        number => {
            // "2-3" takes the upper bound: nothing is due before the period is over.
            let upper = number.rsplit('-').next()?.trim();
            upper.parse().ok()?
        }
    })
}

fn friday_of_week(date: Date) -> Option<Date> {
    let offset = i64::from(date.weekday().to_monday_zero_offset());
    add_days(date, 4 - offset)
}

fn add_business_days(date: Date, count: i64) -> Option<Date> {
    let mut current = date;
    let mut left = count;
    while left > 0 {
        current = add_days(current, 1)?;
        if !matches!(current.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    Some(current)
}

/// Every relative period in `sentence` with the first day a follow-up is allowed, read
/// against `reference` (the sender's local date).
pub fn find_periods(sentence: &str, reference: Date) -> Vec<Period> {
    let lower = sentence.to_lowercase();
    let mut periods = Vec::new();
    for captures in PERIOD.get().captures_iter(&lower) {
        let Some(whole) = captures.get(0) else { continue };
        let reply_after = if captures.name("eod_tomorrow").is_some() {
            add_days(reference, 2)
        } else if captures.name("today").is_some() {
            add_days(reference, 1)
        } else if captures.name("early_next_week").is_some() {
            // Monday and Tuesday of next week: a follow-up from Wednesday.
            friday_of_week(reference).and_then(|friday| add_days(friday, 5))
        } else if captures.name("mid_next_week").is_some() {
            friday_of_week(reference).and_then(|friday| add_days(friday, 6))
        } else if captures.name("next_week").is_some() {
            friday_of_week(reference).and_then(|friday| add_days(friday, 8))
        } else if captures.name("this_week").is_some() {
            let friday = if matches!(reference.weekday(), Weekday::Saturday | Weekday::Sunday) {
                next_weekday(reference, Weekday::Friday)
            } else {
                friday_of_week(reference)
            };
            friday.and_then(|friday| add_days(friday, 1))
        } else if captures.name("next_month_early").is_some() {
            let first = reference.first_of_month().checked_add(1.month()).ok();
            first.and_then(|f| add_days(f, 10))
        } else if captures.name("next_month").is_some() {
            reference.first_of_month().checked_add(2.months()).ok()
        } else if captures.name("month_end").is_some() {
            reference.first_of_month().checked_add(1.month()).ok()
        } else if captures.name("fortnight").is_some() {
            add_days(reference, 14)
        } else if let Some(week) = captures.name("isoweek") {
            // A week number ends on that ISO week's Friday: this year's, or next year's
            // when it is already over.
            week.as_str().parse::<i8>().ok().and_then(|week| {
                let friday =
                    |year: i16| civil::ISOWeekDate::new(year, week, Weekday::Friday).ok().map(|iso| iso.date());
                let this_year = friday(reference.year()).filter(|d| *d >= reference);
                this_year.or_else(|| friday(reference.year() + 1)).and_then(|d| add_days(d, 1))
            })
        } else if captures.name("holidays").is_some() {
            // The year-end holidays are over on January 1st.
            let year = if reference.month() >= 10 { reference.year() + 1 } else { reference.year() };
            Date::new(year, 1, 2).ok()
        } else if let (Some(count), Some(unit)) = (captures.name("count"), captures.name("unit")) {
            count_word(count.as_str()).and_then(|n| {
                let unit = unit.as_str();
                if unit.starts_with("day") {
                    if captures.name("business").is_some() {
                        add_business_days(reference, n)
                    } else {
                        add_days(reference, n)
                    }
                } else if unit.starts_with("week") {
                    add_days(reference, 7 * n)
                } else {
                    reference.checked_add(n.months()).ok()
                }
            })
        } else if let Some(unit) = captures.name("coming_unit") {
            if unit.as_str() == "days" { add_days(reference, 3) } else { add_days(reference, 14) }
        } else if let Some(weekday) = captures.name("wd") {
            let by = captures.name("by_weekday").map(|b| b.as_str()).unwrap_or("");
            weekday_from_name(weekday.as_str()).and_then(|weekday| {
                let next = if weekday == reference.weekday() && by.starts_with("by") {
                    Some(reference)
                } else {
                    next_weekday(reference, weekday)
                };
                let next = if by.contains("next") && next?.since(reference).ok()?.get_days() < 3 {
                    add_days(next?, 7)
                } else {
                    next
                };
                next.and_then(|d| add_days(d, 1))
            })
        } else if let (Some(day), Some(month)) =
            (captures.name("bd").or(captures.name("bd2")), captures.name("bm").or(captures.name("bm2")))
        {
            month_from_name(month.as_str())
                .and_then(|m| infer_year(reference, m, day.as_str().parse().ok()?))
                .and_then(|d| add_days(d, 1))
        } else if let Some(day) = captures.name("bnth") {
            let next_month = captures.name("bnth_month").is_some_and(|m| m.as_str() == "next");
            day.as_str().parse::<i8>().ok().and_then(|day| {
                let this_month =
                    Date::new(reference.year(), reference.month(), day).ok().filter(|d| *d >= reference && !next_month);
                let date = this_month.or_else(|| {
                    let next = reference.first_of_month().checked_add(1.month()).ok()?;
                    Date::new(next.year(), next.month(), day).ok()
                })?;
                add_days(date, 1)
            })
        } else if let (Some(part), Some(month)) = (captures.name("part"), captures.name("pm")) {
            month_from_name(month.as_str()).and_then(|m| {
                let first = infer_year(reference, m, 1)?;
                let first =
                    if first < reference.first_of_month() { Date::new(first.year() + 1, m, 1).ok()? } else { first };
                match part.as_str() {
                    "early" => add_days(first, 10),
                    "beginning of" | "start of" => add_days(first, 7),
                    "mid" => add_days(first, 15),
                    _ => first.checked_add(1.month()).ok(),
                }
            })
        } else {
            None
        };
        if let Some(reply_after) = reply_after.filter(|d| *d > reference) {
            periods.push(Period { phrase: whole.as_str().trim().to_string(), reply_after });
        }
    }
    // "by 12/18", "before 15.01.", "no later than January 8th, 2027": any written date.
    for found in BY_DATE.get().find_iter(&lower) {
        let rest_end = floor_boundary(&lower, found.end() + 40);
        let rest = &lower[found.end()..rest_end];
        if let Some(date) = date_mentions(rest, reference).into_iter().find(|d| d.explicit && d.start == 0)
            && let Some(reply_after) = add_days(date.date, 1).filter(|d| *d > reference)
            && !periods.iter().any(|p| p.reply_after == reply_after)
        {
            periods.push(Period { phrase: format!("{}{}", found.as_str(), &rest[..date.end]), reply_after });
        }
    }
    periods
}

/// A return date in an out-of-office notice: "back on January 5", "return on Monday,
/// January 4", "out of the office through January 4" (back the day after).
pub fn find_return_date(text: &str, reference: Date) -> Option<Date> {
    static RETURN: Compiled<Regex> = Compiled::new(|| {
        super::word_regex(r"(?i)\b(?P<back>back|return(?:ing)?|returns|zurück|de retour|de vuelta)\b(?P<rest>[^.\n]{0,60})|\b(?P<through>through|until|till|bis|jusqu'au|hasta)\b(?P<rest2>[^.\n]{0,40})")
            .expect("return pattern")
    });
    for captures in RETURN.get().captures_iter(text) {
        // "through January 4" is the last day away; "until January 4" usually the day back.
        let (rest, day_after) = match (captures.name("rest"), captures.name("rest2")) {
            (Some(rest), _) => (rest.as_str(), false),
            (None, Some(rest)) => {
                (rest.as_str(), captures.name("through").is_some_and(|t| t.as_str().eq_ignore_ascii_case("through")))
            }
            _ => continue,
        };
        let dates = date_mentions(rest, reference);
        if let Some(first) = dates.first() {
            return if day_after { add_days(first.date, 1) } else { Some(first.date) };
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn reference(y: i16, m: i8, d: i8, h: i8) -> civil::DateTime {
        date(y, m, d).at(h, 0, 0, 0)
    }

    #[test]
    fn zone_words_and_windows_ids() {
        let table: &[(&str, &str)] = &[
            ("ET", "America/New_York"),
            ("Eastern", "America/New_York"),
            ("Pacific Time", "America/Los_Angeles"),
            ("MEZ", "Europe/Berlin"),
            ("Oslo time", "Europe/Oslo"),
            ("IST", "Asia/Kolkata"),
            ("AEDT", "Australia/Sydney"),
            ("Central", "America/Chicago"),
        ];
        for (word, iana) in table {
            assert_eq!(zone_from_word(word), Some(ZoneSpec::Named(iana.to_string())), "{word}");
        }
        assert_eq!(zone_from_word("UTC-06:00"), Some(ZoneSpec::Fixed(-6 * 3600)));
        assert_eq!(zone_from_word("UTC+5:30"), Some(ZoneSpec::Fixed(19800)));
        assert_eq!(zone_from_word("et"), None, "lower-case abbreviations are words");
        assert_eq!(resolve_zone_id("Central Standard Time").unwrap().0, "America/Chicago");
        assert_eq!(resolve_zone_id("W. Europe Standard Time").unwrap().0, "Europe/Berlin");
        assert_eq!(resolve_zone_id("/mozilla.org/20050126_1/America/New_York").unwrap().0, "America/New_York");
        assert_eq!(resolve_zone_id("Australia/Sydney").unwrap().0, "Australia/Sydney");
        assert!(resolve_zone_id("Nowhere Standard Time").is_none());
    }

    #[test]
    fn every_windows_zone_maps_to_a_known_zone() {
        for (windows, iana) in WINDOWS_ZONES {
            assert!(TimeZone::get(iana).is_ok(), "{windows} -> {iana}");
        }
    }

    fn slot(text: &str, reference: civil::DateTime, default: i32) -> (String, Option<String>) {
        let slots = find_slots(text, reference, &ZoneSpec::Fixed(default));
        let first = slots.first().unwrap_or_else(|| panic!("no slot in {text:?}"));
        (first.start.to_string(), first.end.map(|e| e.to_string()))
    }

    #[test]
    fn prose_slots_resolve_against_the_senders_date() {
        let table: &[(&str, civil::DateTime, i32, &str, Option<&str>)] = &[
            (
                "let's lock in tomorrow (Thursday) at 2pm ET.",
                reference(2026, 12, 2, 16),
                -5 * 3600,
                "2026-12-03T19:00:00Z",
                None,
            ),
            (
                "Tuesday, 15 December 2026, 16:00-17:00 CET (Berlin time)",
                reference(2026, 12, 8, 9),
                3600,
                "2026-12-15T15:00:00Z",
                Some("2026-12-15T16:00:00Z"),
            ),
            (
                "on Monday, 11 January 2027 at 7:30 PM IST (1 hour)",
                reference(2027, 1, 8, 16),
                19800,
                "2027-01-11T14:00:00Z",
                None,
            ),
            (
                "Tuesday, Feb 2 at 3pm Central works great",
                reference(2027, 1, 27, 9),
                -6 * 3600,
                "2027-02-02T21:00:00Z",
                None,
            ),
            (
                "tomorrow (Friday, Dec 18, 10:00-11:00am MT).",
                reference(2026, 12, 17, 7),
                -7 * 3600,
                "2026-12-18T17:00:00Z",
                Some("2026-12-18T18:00:00Z"),
            ),
            ("Wed Dec 9, 11:30am ET", reference(2026, 12, 4, 11), -5 * 3600, "2026-12-09T16:30:00Z", None),
            ("Di., 09.03., 14:30 Uhr (MEZ)", reference(2027, 3, 1, 9), 3600, "2027-03-09T13:30:00Z", None),
            (
                "Thursday 21 January, 16:00-17:00 UTC",
                reference(2027, 1, 13, 10),
                0,
                "2027-01-21T16:00:00Z",
                Some("2027-01-21T17:00:00Z"),
            ),
            (
                "@ Tue Dec 15, 2026 10am - 11am (PST)",
                reference(2026, 12, 7, 13),
                -8 * 3600,
                "2026-12-15T18:00:00Z",
                Some("2026-12-15T19:00:00Z"),
            ),
            ("on Thursday at 3pm Eastern", reference(2027, 3, 1, 9), 0, "2027-03-04T20:00:00Z", None),
            ("le jeudi 4 mars à 14h00", reference(2027, 3, 1, 9), 3600, "2027-03-04T13:00:00Z", None),
            ("I sent an invite for Tuesday at 11 PT", reference(2027, 3, 1, 9), 0, "2027-03-02T19:00:00Z", None),
        ];
        for (text, reference, default, start, end) in table {
            let (got_start, got_end) = slot(text, *reference, *default);
            assert_eq!(&got_start, start, "{text}");
            if end.is_some() {
                assert_eq!(got_end.as_deref(), *end, "{text}");
            }
        }
    }

    #[test]
    fn itinerary_rows_extend_the_slot() {
        let text = "Tuesday, January 12, 2027 (Pacific Time)\n\n9:30 - 10:30 AM   System Design\n10:30 - 11:30 AM  Coding\n11:30 AM - 12:15 PM  Break\n12:15 - 1:00 PM   Deep Dive\n1:00 - 1:30 PM   Hiring Manager";
        let (start, end) = slot(text, reference(2027, 1, 6, 9), -8 * 3600);
        assert_eq!(start, "2027-01-12T17:30:00Z");
        assert_eq!(end.as_deref(), Some("2027-01-12T21:30:00Z"));
    }

    #[test]
    fn numbers_that_are_not_times_are_ignored() {
        assert!(time_mentions("call (312) 555-0147 about the 2-3 weeks and 24 new jobs in 2026").is_empty());
        let times = time_mentions("between 9 and 11:30am, or 2pm");
        assert_eq!(times.len(), 2);
    }

    #[test]
    fn durations() {
        let table: &[(&str, Option<i64>)] = &[
            ("plan on about 30 minutes", Some(30)),
            ("a 45-minute conversation", Some(45)),
            ("at 7:30 PM IST (1 hour)", Some(60)),
            ("a 90-minute virtual panel", Some(90)),
            ("these times are held for 48 hours", None),
            ("half an hour", Some(30)),
        ];
        for (text, minutes) in table {
            assert_eq!(find_duration(text), minutes.map(SignedDuration::from_mins), "{text}");
        }
    }

    #[test]
    fn day_month_order_follows_the_nearest_reading() {
        let reference = civil::date(2027, 3, 8);
        let dates = |text: &str| {
            date_mentions(text, reference).into_iter().filter(|d| d.explicit).map(|d| d.date).collect::<Vec<_>>()
        };
        assert_eq!(dates("Friday (12/03/2027)"), [civil::date(2027, 3, 12)]);
        assert_eq!(dates("on 3/18"), [civil::date(2027, 3, 18)]);
        assert_eq!(dates("on 18/3"), [civil::date(2027, 3, 18)]);
        assert_eq!(dates("by 3/10"), [civil::date(2027, 3, 10)]);
    }

    #[test]
    fn dates_in_more_languages() {
        let reference = civil::date(2027, 2, 1);
        let dates = |text: &str| {
            date_mentions(text, reference).into_iter().filter(|d| d.explicit).map(|d| d.date).collect::<Vec<_>>()
        };
        assert_eq!(dates("quinta-feira, 18 de fevereiro de 2027"), [civil::date(2027, 2, 18)]);
        assert_eq!(dates("giovedì 18 febbraio"), [civil::date(2027, 2, 18)]);
        assert_eq!(dates("donderdag 18 februari"), [civil::date(2027, 2, 18)]);
        assert_eq!(dates("torsdag 18 februari"), [civil::date(2027, 2, 18)]);
    }

    #[test]
    fn time_differences_are_not_lengths() {
        assert_eq!(find_duration("we're only four hours apart, so an hour it is"), Some(SignedDuration::from_mins(60)));
    }

    #[test]
    fn clock_times_in_words() {
        let at = |text: &str| time_mentions(text).into_iter().map(|m| m.from.to_string()).collect::<Vec<_>>();
        assert_eq!(at("starting at half past ten"), ["10:30:00"]);
        assert_eq!(at("quarter past two"), ["14:15:00"]);
        assert_eq!(at("quarter to nine in the morning"), ["08:45:00"]);
        assert_eq!(at("half past seven in the evening"), ["19:30:00"]);
        // "am" at the start of a word is not a meridiem.
        assert_eq!(at("14:00-15:30 Amsterdam time"), ["14:00:00"]);
        let zones = zone_mentions("at 4pm UK time");
        assert_eq!(zones.first().map(|z| z.zone.clone()), Some(ZoneSpec::Named("Europe/London".into())));
    }

    #[test]
    fn fortnights_and_week_numbers() {
        let thursday = civil::date(2027, 2, 25);
        let periods = |text: &str| find_periods(text, thursday).into_iter().map(|p| p.reply_after).collect::<Vec<_>>();
        assert_eq!(periods("we will decide in a fortnight"), vec![civil::date(2027, 3, 11)]);
        // ISO week 10 of 2027 runs Mon 8 March to Sun 14 March: it ends on Friday the 12th.
        assert_eq!(periods("ni får besked vecka 10"), vec![civil::date(2027, 3, 13)]);
        assert_eq!(periods("Rückmeldung in KW 10"), vec![civil::date(2027, 3, 13)]);
        assert_eq!(periods("a decision in week 3"), vec![civil::date(2028, 1, 22)]);
        assert_eq!(periods("the outcome by the 28th of this month"), vec![civil::date(2027, 3, 1)]);
        assert_eq!(periods("we will revert by the 5th of next month"), vec![civil::date(2027, 3, 6)]);
    }

    #[test]
    fn reply_after_follows_the_corpus_conventions() {
        let table: &[(&str, Date, Option<Date>)] = &[
            ("a decision by end of next week", date(2026, 12, 11), Some(date(2026, 12, 19))),
            ("check back with us in a couple of weeks", date(2026, 12, 16), Some(date(2026, 12, 30))),
            ("a decision to share with you by Friday", date(2027, 1, 4), Some(date(2027, 1, 9))),
            ("feedback with me later this week", date(2027, 1, 12), Some(date(2027, 1, 16))),
            ("you'll hear from me by end of day tomorrow", date(2027, 1, 21), Some(date(2027, 1, 23))),
            ("we'll get back to you in two weeks", date(2027, 3, 3), Some(date(2027, 3, 17))),
            ("an update early next week", date(2027, 3, 3), Some(date(2027, 3, 10))),
            ("we'll be in touch after the holidays", date(2026, 12, 18), Some(date(2027, 1, 2))),
            ("within 5 business days", date(2027, 3, 5), Some(date(2027, 3, 12))),
            ("by March 12", date(2027, 3, 3), Some(date(2027, 3, 13))),
            ("we'll reach out once he is back", date(2027, 3, 3), None),
        ];
        for (text, reference, expected) in table {
            let got = find_periods(text, *reference).into_iter().map(|p| p.reply_after).max();
            assert_eq!(got, *expected, "{text}");
        }
    }

    #[test]
    fn return_dates() {
        assert_eq!(
            find_return_date("I'll respond when I return on Monday, January 4.", date(2026, 12, 29)),
            Some(date(2027, 1, 4))
        );
        assert_eq!(
            find_return_date("I'm out of the office from December 18 through January 4", date(2026, 12, 18)),
            Some(date(2027, 1, 5))
        );
    }

    #[test]
    fn years_are_inferred_near_the_reference() {
        assert_eq!(infer_year(date(2026, 12, 28), 1, 4), Some(date(2027, 1, 4)));
        assert_eq!(infer_year(date(2027, 1, 5), 12, 15), Some(date(2026, 12, 15)));
    }
}

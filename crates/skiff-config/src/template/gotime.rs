//! Go's `time` formatting: reference-time layouts (`2006-01-02 15:04:05.999 MST`), `Local`
//! and IANA zones, and `time.Time.String()`.
//!
//! Used by the sprig `now`/`date` functions. A Go `time.Time` has no counterpart among template
//! values, so `now` returns the time's `String()` form (`2026-01-02 15:04:05.123456789 +0100 CET`,
//! without Go's monotonic-clock suffix ` m=+0.01`), which `date` and friends parse back.
//! Also usable for the `dateTime` tag policy (default layout `2006-01-02_15-04-05.999_MST`).

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Go's `time.Time.String()` layout.
pub const TIME_STRING_LAYOUT: &str = "2006-01-02 15:04:05.999999999 -0700 MST";

/// The `Local` zone (honours `TZ`, like Go).
pub fn local() -> TimeZone {
    TimeZone::system()
}

/// Go's `time.LoadLocation`: `""` and `"UTC"` are UTC, `"Local"` is the local zone, anything else
/// an IANA name.
pub fn load_location(name: &str) -> Option<TimeZone> {
    match name {
        "" | "UTC" => Some(TimeZone::UTC),
        "Local" => Some(local()),
        n => TimeZone::get(n).ok(),
    }
}

/// `time.Unix(secs, 0)`.
pub fn unix(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).unwrap_or(if secs < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// `t.String()` in zone `tz` (without the monotonic-clock reading).
pub fn time_string(t: Timestamp, tz: &TimeZone) -> String {
    format(t, tz, TIME_STRING_LAYOUT)
}

/// Parses the output of [`time_string`] back into an instant.
pub fn parse_time_string(s: &str) -> Option<Timestamp> {
    // "YYYY-MM-DD HH:MM:SS[.fffffffff] ±hhmm ZONE"
    let mut parts = s.split(' ');
    let (date, time, offset) = (parts.next()?, parts.next()?, parts.next()?);
    let _zone = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let num = |x: &str| -> Option<i64> {
        if x.is_empty() || !x.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        x.parse().ok()
    };
    let mut d = date.splitn(3, '-');
    let (y, mo, da) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    let (hms, frac) = match time.split_once('.') {
        Some((a, b)) => (a, b),
        None => (time, ""),
    };
    let mut t = hms.splitn(3, ':');
    let (h, mi, se) = (num(t.next()?)?, num(t.next()?)?, num(t.next()?)?);
    let nanos = if frac.is_empty() {
        0
    } else {
        if frac.len() > 9 {
            return None;
        }
        num(frac)? * 10i64.pow(9 - frac.len() as u32)
    };
    let sign = match offset.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    if offset.len() != 5 {
        return None;
    }
    let off = num(&offset[1..3])? * 3600 + num(&offset[3..5])? * 60;
    let dt = jiff::civil::DateTime::new(
        i16::try_from(y).ok()?,
        i8::try_from(mo).ok()?,
        i8::try_from(da).ok()?,
        i8::try_from(h).ok()?,
        i8::try_from(mi).ok()?,
        i8::try_from(se).ok()?,
        i32::try_from(nanos).ok()?,
    )
    .ok()?;
    let offset = jiff::tz::Offset::from_seconds(i32::try_from(sign * off).ok()?).ok()?;
    offset.to_timestamp(dt).ok()
}

const LONG_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Chunk {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    Tz,
    Iso8601Tz,
    Iso8601SecondsTz,
    Iso8601ShortTz,
    Iso8601ColonTz,
    Iso8601ColonSecondsTz,
    NumTz,
    NumSecondsTz,
    NumShortTz,
    NumColonTz,
    NumColonSecondsTz,
    /// `.000`/`,000` (fixed digits) or `.999`/`,999` (trailing zeros trimmed).
    Frac {
        sep: char,
        digits: usize,
        trim: bool,
    },
}

/// Go's `nextStdChunk`: the literal prefix, the chunk, and the rest of the layout.
fn next_chunk(layout: &str) -> (&str, Option<Chunk>, &str) {
    let b = layout.as_bytes();
    let starts = |i: usize, p: &str| layout[i..].starts_with(p);
    let lower_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_lowercase);
    for i in 0..b.len() {
        let found: Option<(Chunk, usize)> = match b[i] {
            b'J' if starts(i, "January") => Some((Chunk::LongMonth, 7)),
            b'J' if starts(i, "Jan") && !lower_at(i + 3) => Some((Chunk::Month, 3)),
            b'M' if starts(i, "Monday") => Some((Chunk::LongWeekDay, 6)),
            b'M' if starts(i, "Mon") && !lower_at(i + 3) => Some((Chunk::WeekDay, 3)),
            b'M' if starts(i, "MST") => Some((Chunk::Tz, 3)),
            b'0' if i + 1 < b.len() && (b'1'..=b'6').contains(&b[i + 1]) => Some((
                [
                    Chunk::ZeroMonth,
                    Chunk::ZeroDay,
                    Chunk::ZeroHour12,
                    Chunk::ZeroMinute,
                    Chunk::ZeroSecond,
                    Chunk::Year,
                ][(b[i + 1] - b'1') as usize],
                2,
            )),
            b'0' if starts(i, "002") => Some((Chunk::ZeroYearDay, 3)),
            b'1' => Some(if starts(i, "15") {
                (Chunk::Hour, 2)
            } else {
                (Chunk::NumMonth, 1)
            }),
            b'2' => Some(if starts(i, "2006") {
                (Chunk::LongYear, 4)
            } else {
                (Chunk::Day, 1)
            }),
            b'_' if starts(i, "_2") => {
                if starts(i, "_2006") {
                    // "_2006" is a literal "_" followed by the long year.
                    return (&layout[..i + 1], Some(Chunk::LongYear), &layout[i + 5..]);
                }
                Some((Chunk::UnderDay, 2))
            }
            b'_' if starts(i, "__2") => Some((Chunk::UnderYearDay, 3)),
            b'3' => Some((Chunk::Hour12, 1)),
            b'4' => Some((Chunk::Minute, 1)),
            b'5' => Some((Chunk::Second, 1)),
            b'P' if starts(i, "PM") => Some((Chunk::PM, 2)),
            b'p' if starts(i, "pm") => Some((Chunk::Pm, 2)),
            b'-' => [
                ("-070000", Chunk::NumSecondsTz),
                ("-07:00:00", Chunk::NumColonSecondsTz),
                ("-0700", Chunk::NumTz),
                ("-07:00", Chunk::NumColonTz),
                ("-07", Chunk::NumShortTz),
            ]
            .into_iter()
            .find(|(p, _)| starts(i, p))
            .map(|(p, c)| (c, p.len())),
            b'Z' => [
                ("Z070000", Chunk::Iso8601SecondsTz),
                ("Z07:00:00", Chunk::Iso8601ColonSecondsTz),
                ("Z0700", Chunk::Iso8601Tz),
                ("Z07:00", Chunk::Iso8601ColonTz),
                ("Z07", Chunk::Iso8601ShortTz),
            ]
            .into_iter()
            .find(|(p, _)| starts(i, p))
            .map(|(p, c)| (c, p.len())),
            c @ (b'.' | b',') if i + 1 < b.len() && (b[i + 1] == b'0' || b[i + 1] == b'9') => {
                let digit = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == digit {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    None
                } else {
                    Some((
                        Chunk::Frac {
                            sep: c as char,
                            digits: j - i - 1,
                            trim: digit == b'9',
                        },
                        j - i,
                    ))
                }
            }
            _ => None,
        };
        if let Some((chunk, len)) = found {
            return (&layout[..i], Some(chunk), &layout[i + len..]);
        }
    }
    (layout, None, "")
}

fn pad(out: &mut String, n: i64, width: usize) {
    if n < 0 {
        out.push('-');
    }
    let digits = n.unsigned_abs().to_string();
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(&digits);
}

/// Go's `t.In(tz).Format(layout)`.
pub fn format(t: Timestamp, tz: &TimeZone, layout: &str) -> String {
    let zdt = t.to_zoned(tz.clone());
    let info = tz.to_offset_info(t);
    let offset = info.offset().seconds();
    let abbrev = info.abbreviation().to_string();
    let (year, month, day) = (
        i64::from(zdt.year()),
        i64::from(zdt.month()),
        i64::from(zdt.day()),
    );
    let (hour, minute, second) = (
        i64::from(zdt.hour()),
        i64::from(zdt.minute()),
        i64::from(zdt.second()),
    );
    let nanos = i64::from(zdt.subsec_nanosecond());
    let weekday = usize::from(zdt.weekday().to_sunday_zero_offset() as u8);
    let yday = i64::from(zdt.day_of_year());

    let mut out = String::with_capacity(layout.len() + 10);
    let mut rest = layout;
    while !rest.is_empty() {
        let (prefix, chunk, suffix) = next_chunk(rest);
        out.push_str(prefix);
        rest = suffix;
        let Some(chunk) = chunk else { break };
        match chunk {
            Chunk::Year => pad(&mut out, year.rem_euclid(100), 2),
            Chunk::LongYear => pad(&mut out, year, 4),
            Chunk::Month => out.push_str(&LONG_MONTHS[(month - 1) as usize][..3]),
            Chunk::LongMonth => out.push_str(LONG_MONTHS[(month - 1) as usize]),
            Chunk::NumMonth => pad(&mut out, month, 0),
            Chunk::ZeroMonth => pad(&mut out, month, 2),
            Chunk::WeekDay => out.push_str(&LONG_DAYS[weekday][..3]),
            Chunk::LongWeekDay => out.push_str(LONG_DAYS[weekday]),
            Chunk::Day => pad(&mut out, day, 0),
            Chunk::UnderDay => {
                if day < 10 {
                    out.push(' ');
                }
                pad(&mut out, day, 0);
            }
            Chunk::ZeroDay => pad(&mut out, day, 2),
            Chunk::UnderYearDay => {
                if yday < 100 {
                    out.push(' ');
                }
                if yday < 10 {
                    out.push(' ');
                }
                pad(&mut out, yday, 0);
            }
            Chunk::ZeroYearDay => pad(&mut out, yday, 3),
            Chunk::Hour => pad(&mut out, hour, 2),
            Chunk::Hour12 | Chunk::ZeroHour12 => {
                let h = match hour % 12 {
                    0 => 12,
                    h => h,
                };
                pad(&mut out, h, if chunk == Chunk::Hour12 { 0 } else { 2 });
            }
            Chunk::Minute => pad(&mut out, minute, 0),
            Chunk::ZeroMinute => pad(&mut out, minute, 2),
            Chunk::Second => pad(&mut out, second, 0),
            Chunk::ZeroSecond => pad(&mut out, second, 2),
            Chunk::PM => out.push_str(if hour >= 12 { "PM" } else { "AM" }),
            Chunk::Pm => out.push_str(if hour >= 12 { "pm" } else { "am" }),
            Chunk::Tz => {
                if abbrev.is_empty() {
                    let zone = offset / 60;
                    out.push(if zone < 0 { '-' } else { '+' });
                    pad(&mut out, i64::from((zone / 60).abs()), 2);
                    pad(&mut out, i64::from((zone % 60).abs()), 2);
                } else {
                    out.push_str(&abbrev);
                }
            }
            Chunk::Frac { sep, digits, trim } => {
                let all = format!("{nanos:09}");
                let mut frac = &all[..digits.min(9)];
                if trim {
                    frac = frac.trim_end_matches('0');
                    if frac.is_empty() {
                        continue;
                    }
                }
                out.push(sep);
                out.push_str(frac);
            }
            tz_chunk => {
                let iso = matches!(
                    tz_chunk,
                    Chunk::Iso8601Tz
                        | Chunk::Iso8601SecondsTz
                        | Chunk::Iso8601ShortTz
                        | Chunk::Iso8601ColonTz
                        | Chunk::Iso8601ColonSecondsTz
                );
                if iso && offset == 0 {
                    out.push('Z');
                    continue;
                }
                let abs = offset.abs();
                out.push(if offset < 0 { '-' } else { '+' });
                pad(&mut out, i64::from(abs / 3600), 2);
                let colon = matches!(
                    tz_chunk,
                    Chunk::Iso8601ColonTz
                        | Chunk::NumColonTz
                        | Chunk::Iso8601ColonSecondsTz
                        | Chunk::NumColonSecondsTz
                );
                if colon {
                    out.push(':');
                }
                if !matches!(tz_chunk, Chunk::NumShortTz | Chunk::Iso8601ShortTz) {
                    pad(&mut out, i64::from((abs / 60) % 60), 2);
                }
                if matches!(
                    tz_chunk,
                    Chunk::Iso8601SecondsTz
                        | Chunk::NumSecondsTz
                        | Chunk::NumColonSecondsTz
                        | Chunk::Iso8601ColonSecondsTz
                ) {
                    if matches!(
                        tz_chunk,
                        Chunk::NumColonSecondsTz | Chunk::Iso8601ColonSecondsTz
                    ) {
                        out.push(':');
                    }
                    pad(&mut out, i64::from(abs % 60), 2);
                }
            }
        }
    }
    out
}

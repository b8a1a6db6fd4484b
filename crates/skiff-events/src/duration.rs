//! Durations as Skaffold shows them to the user: Go's `time.Duration` spelling (`10m0s`, `1.5s`,
//! `250ms`) for limits and timeouts, and `timeutil.Humanize` (`1.5 second`, `2 minutes 5
//! seconds`) for how long something took.

use std::time::Duration;

const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// Go's `time.Duration.String()`: `0s`, `850ns`, `1.5µs`, `250ms`, `1.5s`, `10m0s`, `1h0m0s`.
pub fn go_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    match nanos {
        0 => return "0s".to_owned(),
        n if n < 1_000 => return format!("{n}ns"),
        n if n < 1_000_000 => return decimal(n, 1_000, "µs"),
        n if n < NANOS_PER_SECOND => return decimal(n, 1_000_000, "ms"),
        _ => {}
    }
    let whole = d.as_secs();
    let (hours, minutes) = (whole / 3600, (whole / 60) % 60);
    let seconds = decimal(
        u128::from(whole % 60) * NANOS_PER_SECOND + u128::from(d.subsec_nanos()),
        NANOS_PER_SECOND,
        "s",
    );
    if hours > 0 {
        format!("{hours}h{minutes}m{seconds}")
    } else if minutes > 0 {
        format!("{minutes}m{seconds}")
    } else {
        seconds
    }
}

/// `value / unit` with the fraction's trailing zeros dropped, then `suffix`.
fn decimal(value: u128, unit: u128, suffix: &str) -> String {
    let (whole, fraction) = (value / unit, value % unit);
    if fraction == 0 {
        return format!("{whole}{suffix}");
    }
    let digits = unit.ilog10() as usize;
    let fraction = format!("{fraction:0digits$}");
    format!("{whole}.{}{suffix}", fraction.trim_end_matches('0'))
}

/// Skaffold's `timeutil.Humanize`: Go's spelling below one second; above, truncated to the
/// millisecond and spelled out (`1.5 second`, `2 seconds`, `1 minute 30 seconds`), a unit made
/// plural when its clock value is above one.
pub fn humanize(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        return go_duration(d);
    }
    let short = Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let mut long = go_duration(short)
        .replace('h', " hour ")
        .replace('m', " minute ")
        .replace('s', " second");
    let whole = short.as_secs();
    if (whole / 3600) % 24 > 1 {
        long = long.replace("hour", "hours");
    }
    if (whole / 60) % 60 > 1 {
        long = long.replace("minute", "minutes");
    }
    if whole % 60 > 1 {
        long = long.replace("second", "seconds");
    }
    long
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_go_prints_them() {
        for (d, go) in [
            (Duration::ZERO, "0s"),
            (Duration::from_nanos(850), "850ns"),
            (Duration::from_nanos(1_500), "1.5µs"),
            (Duration::from_micros(1_234), "1.234ms"),
            (Duration::from_nanos(1_234_567), "1.234567ms"),
            (Duration::from_millis(250), "250ms"),
            (Duration::from_secs(5), "5s"),
            (Duration::from_millis(1_500), "1.5s"),
            (Duration::from_secs(90), "1m30s"),
            (Duration::from_millis(90_250), "1m30.25s"),
            (Duration::from_secs(600), "10m0s"),
            (Duration::from_secs(3_600), "1h0m0s"),
        ] {
            assert_eq!(go_duration(d), go, "{d:?}");
        }
    }

    #[test]
    fn humanized_durations_spell_out_units() {
        for (d, human) in [
            (Duration::from_millis(420), "420ms"),
            (Duration::from_millis(1_500), "1.5 second"),
            (Duration::from_secs(2), "2 seconds"),
            (Duration::from_micros(2_345_678), "2.345 seconds"),
            (Duration::from_secs(90), "1 minute 30 seconds"),
            (Duration::from_secs(125), "2 minutes 5 seconds"),
            (Duration::from_secs(3_660), "1 hour 1 minute 0 second"),
            (Duration::from_secs(7_322), "2 hours 2 minutes 2 seconds"),
        ] {
            assert_eq!(humanize(d), human, "{d:?}");
        }
    }
}

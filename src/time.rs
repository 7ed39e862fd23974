//! Time arithmetic on integer microseconds since the Unix epoch.
//!
//! Event times, window edges and durations are all `i64` microseconds (UTC). This module
//! converts civil dates to and from epoch days (Howard Hinnant's algorithms), formats RFC 3339,
//! and parses the human durations used in config (`5m`, `30d`, `300ms`, `0.25s`). No allocation
//! on the parse paths used per event.

/// Microseconds in one second.
pub const SECOND: i64 = 1_000_000;
/// Microseconds in one minute.
pub const MINUTE: i64 = 60 * SECOND;
/// Microseconds in one hour.
pub const HOUR: i64 = 60 * MINUTE;
/// Microseconds in one day.
pub const DAY: i64 = 24 * HOUR;

/// Days since 1970-01-01 of the proleptic Gregorian date `y-m-d` (`m` 1..=12, `d` 1..=31).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The weekday of day `day` (days since 1970-01-01, a Thursday), Monday = 0 … Sunday = 6.
pub fn weekday(day: i64) -> i64 {
    (day + 3).rem_euclid(7)
}

/// Epoch µs of an RFC 3339 time with any offset (`2026-12-01T10:00:00Z`,
/// `2026-12-01T11:00:00+01:00`); the error says what was wrong with `text`.
pub fn parse_rfc3339(text: &str) -> Result<i64, String> {
    text.parse::<jiff::Timestamp>()
        .map(|t| t.as_microsecond())
        .map_err(|e| format!("{text:?} is not an RFC 3339 time ({e})"))
}

/// Days in month `m` of year `y`.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// Epoch µs of a UTC civil time; `None` if any field is out of range.
pub fn epoch_us(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, us: u32) -> Option<i64> {
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 {
        return None;
    }
    // 60 is a leap second; fold it onto the next second like most log consumers do.
    if s > 60 || us > 999_999 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s);
    Some(secs * SECOND + i64::from(us))
}

/// Formats epoch µs as RFC 3339 UTC: `2026-11-21T10:00:00Z`, with `.ffffff` only when the
/// time is not a whole second.
pub fn format_rfc3339(t_us: i64) -> String {
    let secs = t_us.div_euclid(SECOND);
    let frac = t_us.rem_euclid(SECOND);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    if !(0..=9999).contains(&y) {
        // Outside four-digit years: the general (slower) formatter.
        let sod = secs.rem_euclid(86_400);
        let (h, mi, s) = (sod / 3600, sod % 3600 / 60, sod % 60);
        return if frac == 0 {
            format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
        } else {
            format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:06}Z")
        };
    }
    // Every report carries a start and an end per window: digits are written directly
    // instead of through `format!`.
    let sod = secs.rem_euclid(86_400);
    let mut text = String::with_capacity(27);
    for (value, width, after) in [
        (y, 4, '-'),
        (i64::from(m), 2, '-'),
        (i64::from(d), 2, 'T'),
        (sod / 3600, 2, ':'),
        (sod % 3600 / 60, 2, ':'),
    ] {
        push_digits(&mut text, value, width);
        text.push(after);
    }
    push_digits(&mut text, sod % 60, 2);
    if frac != 0 {
        text.push('.');
        push_digits(&mut text, frac, 6);
    }
    text.push('Z');
    text
}

/// Appends the last `width` decimal digits of `value` (≥ 0), zero-padded.
fn push_digits(text: &mut String, value: i64, width: u32) {
    for k in (0..width).rev() {
        text.push(char::from(b'0' + (value / 10_i64.pow(k) % 10) as u8));
    }
}

/// Parses `digits` as an unsigned decimal integer (no sign, no separators).
pub fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(b - b'0');
    }
    Some(v)
}

/// Parses a non-negative decimal number of seconds (`0.007`, `12`, `1.5`) into exact µs.
/// Digits past the sixth decimal are truncated. Returns `None` for anything else,
/// including negatives such as ALB's `-1`.
pub fn parse_seconds_us(text: &[u8]) -> Option<i64> {
    let (int, frac) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &text[text.len()..]),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let whole = if int.is_empty() { 0 } else { parse_u64(int)? };
    let mut micros: i64 = 0;
    let mut scale: i64 = 100_000;
    for &b in frac {
        if !b.is_ascii_digit() {
            return None;
        }
        micros += i64::from(b - b'0') * scale;
        scale /= 10; // 0 from the seventh digit on: finer digits are truncated
    }
    i64::try_from(whole)
        .ok()?
        .checked_mul(SECOND)?
        .checked_add(micros)
}

/// Error from [`parse_duration`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration {text:?}: expected a number and a unit, one of us, ms, s, m, h, d, w (e.g. 300ms, 5m, 30d)"
)]
pub struct DurationError {
    /// The text that did not parse.
    pub text: String,
}

/// Parses a duration such as `5m`, `30d`, `300ms`, `0.25s` or `1.5h` into exact µs.
/// The value must be positive; fractions finer than one microsecond are rejected.
pub fn parse_duration(text: &str) -> Result<i64, DurationError> {
    let err = || DurationError {
        text: text.to_string(),
    };
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(err)?;
    let (num, unit) = t.split_at(split);
    let unit_us: i64 = match unit {
        "us" | "µs" => 1,
        "ms" => 1_000,
        "s" => SECOND,
        "m" => MINUTE,
        "h" => HOUR,
        "d" => DAY,
        "w" => 7 * DAY,
        _ => return Err(err()),
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if int.is_empty() && frac.is_empty() {
        return Err(err());
    }
    let whole = if int.is_empty() {
        0
    } else {
        int.parse::<i64>().map_err(|_| err())?
    };
    let mut total = whole.checked_mul(unit_us).ok_or_else(err)?;
    let mut scale = unit_us;
    for c in frac.chars() {
        let digit = c.to_digit(10).ok_or_else(err)?;
        if scale % 10 != 0 && digit != 0 {
            return Err(err());
        }
        scale /= 10;
        total = total
            .checked_add(i64::from(digit) * scale)
            .ok_or_else(err)?;
    }
    if total <= 0 {
        return Err(err());
    }
    Ok(total)
}

/// Formats µs with the largest unit that divides it exactly: `30d`, `5m`, `300ms`.
pub fn format_duration(us: i64) -> String {
    const UNITS: [(i64, &str); 7] = [
        (7 * DAY, "w"),
        (DAY, "d"),
        (HOUR, "h"),
        (MINUTE, "m"),
        (SECOND, "s"),
        (1_000, "ms"),
        (1, "us"),
    ];
    for (size, name) in UNITS {
        // Weeks read worse than days for SLO periods ("28d", not "4w").
        if name == "w" {
            continue;
        }
        if us != 0 && us % size == 0 {
            return format!("{}{name}", us / size);
        }
    }
    format!("{us}us")
}

/// `t` rounded down to a multiple of `width` (both µs, `width > 0`).
pub fn floor_to(t: i64, width: i64) -> i64 {
    t.div_euclid(width) * width
}

/// `t` rounded up to a multiple of `width` (both µs, `width > 0`).
pub fn ceil_to(t: i64, width: i64) -> i64 {
    floor_to(t + width - 1, width)
}

#[cfg(test)]
mod tests {

    proptest::proptest! {
        /// The hand-written digits say what `format!` says, for any time (negative and
        /// five-digit years take the `format!` path itself).
        #[test]
        fn rfc3339_digits_match_format(t in -100_000_000_000 * SECOND..400_000_000_000 * SECOND) {
            let secs = t.div_euclid(SECOND);
            let frac = t.rem_euclid(SECOND);
            let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
            let sod = secs.rem_euclid(86_400);
            let (h, mi, s) = (sod / 3600, sod % 3600 / 60, sod % 60);
            let expected = if frac == 0 {
                format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
            } else {
                format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:06}Z")
            };
            proptest::prop_assert_eq!(format_rfc3339(t), expected.clone());
            proptest::prop_assert_eq!(format_rfc3339(floor_to(t, SECOND)), format_rfc3339(secs * SECOND));
        }
    }
    use super::*;

    #[test]
    fn civil_round_trip_over_four_centuries() {
        for z in (-200_000..200_000).step_by(37) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn known_epochs() {
        assert_eq!(epoch_us(1970, 1, 1, 0, 0, 0, 0), Some(0));
        assert_eq!(
            epoch_us(2018, 7, 2, 22, 23, 0, 186_641),
            Some(1_530_570_180_186_641)
        );
        assert_eq!(epoch_us(2024, 2, 30, 0, 0, 0, 0), None);
        assert_eq!(
            format_rfc3339(1_530_570_180_186_641),
            "2018-07-02T22:23:00.186641Z"
        );
        assert_eq!(
            format_rfc3339(1_530_570_180_000_000),
            "2018-07-02T22:23:00Z"
        );
    }

    #[test]
    fn seconds_are_exact() {
        assert_eq!(parse_seconds_us(b"0.001"), Some(1_000));
        assert_eq!(parse_seconds_us(b"0.008"), Some(8_000));
        assert_eq!(parse_seconds_us(b"12"), Some(12_000_000));
        assert_eq!(parse_seconds_us(b"1.2345678"), Some(1_234_567));
        assert_eq!(parse_seconds_us(b"-1"), None);
        assert_eq!(parse_seconds_us(b"-"), None);
        assert_eq!(parse_seconds_us(b"."), None);
        assert_eq!(parse_seconds_us(b"1.x"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5m"), Ok(5 * MINUTE));
        assert_eq!(parse_duration("30d"), Ok(30 * DAY));
        assert_eq!(parse_duration("300ms"), Ok(300_000));
        assert_eq!(parse_duration("0.25s"), Ok(250_000));
        assert_eq!(parse_duration("1.5h"), Ok(90 * MINUTE));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("0.0000001s").is_err());
        assert_eq!(format_duration(30 * DAY), "30d");
        assert_eq!(format_duration(5 * MINUTE), "5m");
        assert_eq!(format_duration(90 * MINUTE), "90m");
        assert_eq!(format_duration(300_000), "300ms");
    }
}

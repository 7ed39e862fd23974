//! Time and duration text shared by the decoders: RFC 3339 timestamps (any fraction, `Z` or a
//! `±hh:mm` offset), common-log-format dates (nginx, HAProxy) and non-negative decimal
//! numbers of seconds, milliseconds or microseconds, all into exact integer µs (digits finer
//! than 1 µs are truncated). Nothing here allocates or panics, whatever the bytes.

use super::fields;
use crate::time;

/// `YYYY-MM-DDTHH:MM:SS[.f…](Z|±hh:mm|±hhmm)` as epoch µs (UTC). `t` and a space are accepted
/// in place of `T`, `z` in place of `Z`; the fraction has 1 to 9 (or more) digits.
pub(crate) fn rfc3339(text: &[u8]) -> Option<i64> {
    let [
        y0,
        y1,
        y2,
        y3,
        b'-',
        mo0,
        mo1,
        b'-',
        d0,
        d1,
        b'T' | b't' | b' ',
        h0,
        h1,
        b':',
        mi0,
        mi1,
        b':',
        s0,
        s1,
        ref rest @ ..,
    ] = *text
    else {
        return None;
    };
    let zone_at = rest
        .iter()
        .position(|&b| matches!(b, b'Z' | b'z' | b'+' | b'-'))?;
    let (fraction, zone) = rest.split_at_checked(zone_at)?;
    let micros = match fraction {
        [] => 0,
        [b'.', digits @ ..] if !digits.is_empty() => {
            u32::try_from(time::parse_seconds_us(fraction)?).ok()?
        }
        _ => return None,
    };
    let offset = match *zone {
        [b'Z' | b'z'] => 0,
        [sign, h0, h1, b':', m0, m1] | [sign, h0, h1, m0, m1] => {
            let (h, m) = (fields::digits(&[h0, h1])?, fields::digits(&[m0, m1])?);
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = i64::from(h) * time::HOUR + i64::from(m) * time::MINUTE;
            if sign == b'-' { -minutes } else { minutes }
        }
        _ => return None,
    };
    let local = time::epoch_us(
        i64::from(fields::digits(&[y0, y1, y2, y3])?),
        fields::digits(&[mo0, mo1])?,
        fields::digits(&[d0, d1])?,
        fields::digits(&[h0, h1])?,
        fields::digits(&[mi0, mi1])?,
        fields::digits(&[s0, s1])?,
        micros,
    )?;
    local.checked_sub(offset)
}

/// The common-log-format date of nginx and HAProxy, `DD/Mon/YYYY:HH:MM:SS[.mmm][ ±hhmm]`, as
/// epoch µs; without an offset the time is UTC.
pub(crate) fn clf_date(text: &[u8]) -> Option<i64> {
    let (date, zone) = match fields::split_once(text, b' ') {
        Some((date, zone)) => (date, Some(zone)),
        None => (text, None),
    };
    let [
        d0,
        d1,
        b'/',
        m0,
        m1,
        m2,
        b'/',
        y0,
        y1,
        y2,
        y3,
        b':',
        h0,
        h1,
        b':',
        mi0,
        mi1,
        b':',
        s0,
        s1,
        ref fraction @ ..,
    ] = *date
    else {
        return None;
    };
    let micros = match fraction {
        [] => 0,
        [b'.', digits @ ..] if !digits.is_empty() => {
            u32::try_from(time::parse_seconds_us(fraction)?).ok()?
        }
        _ => return None,
    };
    let local = time::epoch_us(
        i64::from(fields::digits(&[y0, y1, y2, y3])?),
        month(&[m0, m1, m2])?,
        fields::digits(&[d0, d1])?,
        fields::digits(&[h0, h1])?,
        fields::digits(&[mi0, mi1])?,
        fields::digits(&[s0, s1])?,
        micros,
    )?;
    let offset = match zone {
        None => 0,
        Some(&[sign @ (b'+' | b'-'), h0, h1, m0, m1]) => {
            let (h, m) = (fields::digits(&[h0, h1])?, fields::digits(&[m0, m1])?);
            if h > 23 || m > 59 {
                return None;
            }
            let offset = i64::from(h) * time::HOUR + i64::from(m) * time::MINUTE;
            if sign == b'-' { -offset } else { offset }
        }
        Some(_) => return None,
    };
    local.checked_sub(offset)
}

/// `Jan` → 1 … `Dec` → 12.
fn month(name: &[u8; 3]) -> Option<u32> {
    let months = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let i = months.iter().position(|m| *m == name)?;
    u32::try_from(i + 1).ok()
}

/// A unit a decimal number of time is written in, by its length in µs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Seconds.
    Seconds,
    /// Milliseconds.
    Millis,
    /// Microseconds.
    Micros,
}

impl Unit {
    /// Microseconds in one unit.
    pub fn us(self) -> i64 {
        match self {
            Unit::Seconds => time::SECOND,
            Unit::Millis => 1_000,
            Unit::Micros => 1,
        }
    }
}

/// A non-negative decimal number (`12`, `0.007911`, `.5`) of `unit` as exact µs; digits
/// finer than 1 µs are truncated. `None` for a sign, an exponent, or anything but digits and
/// one dot.
pub(crate) fn decimal_us(text: &[u8], unit: Unit) -> Option<i64> {
    let (int, frac) = match fields::split_once(text, b'.') {
        Some((int, frac)) => (int, frac),
        None => (text, &[][..]),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let whole = if int.is_empty() {
        0
    } else {
        i64::try_from(time::parse_u64(int)?).ok()?
    };
    let mut scale = unit.us();
    let mut part: i64 = 0;
    for &b in frac {
        if !b.is_ascii_digit() {
            return None;
        }
        scale /= 10;
        part += i64::from(b - b'0') * scale;
    }
    whole.checked_mul(unit.us())?.checked_add(part)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utc(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, us: u32) -> i64 {
        time::epoch_us(y, mo, d, h, mi, s, us).unwrap()
    }

    #[test]
    fn rfc3339_times() {
        let t = utc(2016, 4, 15, 20, 17, 0, 310_000);
        assert_eq!(rfc3339(b"2016-04-15T20:17:00.310Z"), Some(t));
        assert_eq!(rfc3339(b"2016-04-15t20:17:00.310z"), Some(t));
        assert_eq!(rfc3339(b"2016-04-15 20:17:00.310Z"), Some(t));
        assert_eq!(rfc3339(b"2016-04-15T20:17:00.310123456Z"), Some(t + 123));
        assert_eq!(rfc3339(b"2016-04-15T20:17:00Z"), Some(t - 310_000));
        assert_eq!(rfc3339(b"2016-04-15T22:17:00.310+02:00"), Some(t));
        assert_eq!(rfc3339(b"2016-04-15T15:47:00.310-0430"), Some(t));
        for bad in [
            &b"2016-04-15T20:17:00.310"[..],
            b"2016-04-15T20:17:00.Z",
            b"2016-04-15T20:17:00.31xZ",
            b"2016-04-15T20:17:00+24:00",
            b"2016-04-15T20:17:00+02",
            b"2016-13-15T20:17:00Z",
            b"2016-04-15X20:17:00Z",
            b"-",
            b"",
        ] {
            assert_eq!(rfc3339(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn decimals() {
        assert_eq!(decimal_us(b"0.007911", Unit::Seconds), Some(7_911));
        assert_eq!(decimal_us(b"12", Unit::Seconds), Some(12_000_000));
        assert_eq!(decimal_us(b".5", Unit::Seconds), Some(500_000));
        assert_eq!(decimal_us(b"1.0000009", Unit::Seconds), Some(1_000_000));
        assert_eq!(decimal_us(b"57", Unit::Millis), Some(57_000));
        assert_eq!(decimal_us(b"1.5", Unit::Millis), Some(1_500));
        assert_eq!(
            decimal_us(b"1700000000123.4567", Unit::Millis),
            Some(1_700_000_000_123_456)
        );
        assert_eq!(decimal_us(b"42", Unit::Micros), Some(42));
        assert_eq!(decimal_us(b"42.9", Unit::Micros), Some(42));
        for bad in [
            &b""[..],
            b".",
            b"-1",
            b"+1",
            b"1e3",
            b"1.2.3",
            b"99999999999999999999",
        ] {
            assert_eq!(decimal_us(bad, Unit::Millis), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = rfc3339(&bytes);
            let _ = decimal_us(&bytes, Unit::Seconds);
        }

        #[test]
        fn millis_are_exact(ms in 0..10_000_000u64, frac in 0..1000u32) {
            let text = format!("{ms}.{frac:03}");
            let want = i64::try_from(ms).unwrap() * 1000 + i64::from(frac);
            prop_assert_eq!(decimal_us(text.as_bytes(), Unit::Millis), Some(want));
        }
    }
}

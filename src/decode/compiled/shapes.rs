//! The shapes of values in compiled formats: tokens, seconds with three decimals, lists of
//! `$upstream_*` items, and `-` for "not set". Nothing here allocates or panics, whatever
//! the bytes.

use super::Bad;
use crate::decode::DecodeError;

/// The length of the token at the start of `rest`: up to a space, `stop` or `path` (when
/// `stop` is `:`, up to the last `:` before a space); a
/// vectorized search: a plain loop, or the portable search without runtime dispatch, were
/// slower on Istio's long tokens and no faster on nginx's short ones, measured).
pub(super) fn token_len(rest: &[u8], stop: u8, path: u8) -> usize {
    if stop == b':' {
        // `address:port`: an IPv6 address holds colons, so the token ends at the last `:`
        // before the next space.
        let end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
        return memchr::memrchr(b':', &rest[..end]).unwrap_or(end);
    }
    match (stop, path) {
        (b' ', b' ') => memchr::memchr(b' ', rest),
        (_, b' ') => memchr::memchr2(b' ', stop, rest),
        _ => memchr::memchr3(b' ', stop, path, rest),
    }
    .unwrap_or(rest.len())
}

/// Whether `s` starts with `text`: the format's texts are a few bytes, shorter than what a
/// call to `memcmp` costs.
pub(super) fn starts_with(s: &[u8], text: &[u8]) -> bool {
    s.len() >= text.len() && s.iter().zip(text).all(|(a, b)| a == b)
}

/// The length of the `digits.ddd` at the start of `s`, not followed by another digit.
pub(super) fn millis_len(s: &[u8]) -> Option<usize> {
    let int = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if !(1..=12).contains(&int) || s.get(int) != Some(&b'.') {
        return None;
    }
    let frac = s.get(int + 1..int + 4)?;
    let end = int + 4;
    (frac.iter().all(u8::is_ascii_digit) && !s.get(end).is_some_and(u8::is_ascii_digit))
        .then_some(end)
}

/// `digits.ddd` seconds as exact µs.
pub(crate) fn millis_us(s: &[u8]) -> Option<i64> {
    if millis_len(s)? != s.len() {
        return None;
    }
    let (int, frac) = s.split_at(s.len() - 4);
    let whole = i64::try_from(crate::time::parse_u64(int)?).ok()?;
    let millis = i64::from(crate::decode::fields::digits(&frac[1..])?);
    whole
        .checked_mul(crate::time::SECOND)?
        .checked_add(millis * 1000)
}

/// The length of a list at the start of `s`: items (with `times`, each `-` or seconds with
/// three decimals) separated by `, ` or ` : `, each ending at a space, a comma or `stop`.
pub(crate) fn list_len(s: &[u8], times: bool, stop: u8) -> Result<usize, Bad> {
    let mut at = 0;
    loop {
        let rest = &s[at..];
        let item = rest
            .iter()
            .position(|&b| b == b' ' || b == b',' || b == stop)
            .unwrap_or(rest.len());
        if item == 0 {
            return Err((DecodeError::MissingFields, "an item of the list is empty"));
        }
        if times && &rest[..item] != b"-" && millis_len(&rest[..item]) != Some(item) {
            return Err((
                DecodeError::BadLatency,
                "an item is neither - nor seconds with three decimals",
            ));
        }
        at += item;
        let after = &s[at..];
        if after.starts_with(b", ") {
            at += 2;
        } else if after.starts_with(b" : ") {
            at += 3;
        } else {
            return Ok(at);
        }
    }
}

/// The items of a list, each with whether a ` : ` (a new group) comes before it.
pub(crate) fn list_items(list: &[u8]) -> impl Iterator<Item = (bool, &[u8])> {
    let mut rest = list;
    let mut group_starts = true;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest
            .iter()
            .position(|&b| b == b' ' || b == b',')
            .unwrap_or(rest.len());
        let (item, after) = rest.split_at(end);
        let starts = group_starts;
        group_starts = after.starts_with(b" : ");
        rest = after
            .strip_prefix(b", ")
            .or_else(|| after.strip_prefix(b" : "))
            .unwrap_or_default();
        Some((starts, item))
    })
}

/// Empty for `-` (not set).
pub(crate) fn dash_empty(value: &[u8]) -> &[u8] {
    if value == b"-" { &[] } else { value }
}

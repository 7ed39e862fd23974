//! The shapes of values in compiled formats: tokens, seconds with three decimals, lists of
//! `$upstream_*` items, and `-` for "not set". Nothing here allocates or panics, whatever
//! the bytes.

use super::Bad;
use crate::decode::DecodeError;
use crate::decode::swar::in_first_word;

/// The length of the token at the start of `rest`: up to a space, `stop` or `path`. Most
/// tokens end within 8 bytes (`-`, a status, a byte count), found in one 8-byte word (SWAR,
/// branch-free); a longer token is searched with `memchr` (vectorized; a plain loop, or the
/// portable search without runtime dispatch, were slower on Istio's long tokens, measured).
pub(super) fn token_len(rest: &[u8], stop: u8, path: u8) -> usize {
    if let Some(at) = in_first_word(rest, [b' ', stop, path]) {
        return at;
    }
    match (stop, path) {
        (b' ', b' ') => memchr::memchr(b' ', rest),
        (_, b' ') => memchr::memchr2(b' ', stop, rest),
        _ => memchr::memchr3(b' ', stop, path, rest),
    }
    .unwrap_or(rest.len())
}

/// At byte `rest[0]` of a format whose variables start with `%` (Envoy, HAProxy): the text
/// byte there and how many format bytes it takes (`%%` is one `%`); `None` at a variable.
pub(crate) fn percent_text(rest: &[u8]) -> Option<(u8, usize)> {
    match rest {
        [b'%', b'%', ..] => Some((b'%', 2)),
        [b'%', ..] | [] => None,
        [b, ..] => Some((*b, 1)),
    }
}

/// The length of the address at the start of `rest`, before its `:port`: up to the last `:`
/// before a space (an IPv6 address holds colons), or to the space when there is no `:`.
pub(super) fn address_len(rest: &[u8]) -> usize {
    let end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
    memchr::memrchr(b':', &rest[..end]).unwrap_or(end)
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

/// The longest syslog header looked for (RFC 3164 timestamp, a host name, `haproxy[pid]: `).
const SYSLOG_HEADER_MAX: usize = 160;

/// The message of a syslog line: after `name[pid]: ` (RFC 3164, as HAProxy writes to
/// syslog) or after RFC 5424's header (`<PRI>1 TIME HOST APP PID MSGID -`); the line itself
/// when it has neither.
pub(super) fn syslog_body(line: &[u8]) -> &[u8] {
    // A syslog header is short: look for its end near the start only.
    let head = &line[..line.len().min(SYSLOG_HEADER_MAX)];
    if let Some(at) = memchr::memchr_iter(b']', head).find(|&i| head[i..].starts_with(b"]: "))
        && line[..at]
            .rsplit(|&b| b == b'[')
            .next()
            .is_some_and(|pid| !pid.is_empty() && pid.iter().all(u8::is_ascii_digit))
    {
        return &line[at + 3..];
    }
    if let [b'<', rest @ ..] = line
        && let Some(close) = memchr::memchr(b'>', rest)
        && rest.get(close + 1..close + 3) == Some(b"1 ")
    {
        // VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA (as `-`).
        let mut body = &rest[close + 1..];
        for _ in 0..7 {
            let Some(space) = memchr::memchr(b' ', body) else {
                return line;
            };
            body = &body[space + 1..];
        }
        return body;
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The word-at-a-time search finds what a plain scan finds, at every length and
        /// position (bytes drawn mostly from the ones searched for, and high bytes, which
        /// the zero-byte test must not mistake).
        #[test]
        fn token_len_is_the_plain_scan(
            rest in proptest::collection::vec(prop_oneof![
                Just(b' '), Just(b'"'), Just(b'/'), Just(b'a'), Just(0u8), Just(0x80u8), Just(0xa0u8), any::<u8>()
            ], 0..40),
            stop in prop_oneof![Just(b' '), Just(b'"'), Just(b']'), any::<u8>()],
            path in prop_oneof![Just(b' '), Just(b'/'), any::<u8>()],
        ) {
            let plain = rest
                .iter()
                .position(|&b| b == b' ' || b == stop || b == path)
                .unwrap_or(rest.len());
            prop_assert_eq!(token_len(&rest, stop, path), plain);
            let in_word = (rest.len() >= 8)
                .then(|| rest[..8].iter().position(|&b| [b'"', b'\\', stop].contains(&b)))
                .flatten();
            prop_assert_eq!(in_first_word(&rest, [b'"', b'\\', stop]), in_word);
        }
    }
}

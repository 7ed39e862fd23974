//! Tokenizing shared by the access-log decoders: a line trimmed of surrounding whitespace, its
//! space-separated fields (bare tokens, or double-quoted strings that may contain spaces and
//! backslash escapes), the `METHOD target PROTOCOL` request line, the host and path of a
//! request target, the three-digit status code and short runs of digits. Every function
//! borrows from its input, never allocates and never panics, whatever the bytes. Quoted text
//! is returned raw: escapes are skipped while scanning, not decoded.

use super::{DecodeError, swar};
use crate::time;

/// `line` without leading and trailing ASCII whitespace (a `\r` from CRLF files included);
/// [`DecodeError::Empty`] if nothing is left.
pub(crate) fn trim_line(line: &[u8]) -> Result<&[u8], DecodeError> {
    match line.trim_ascii() {
        [] => Err(DecodeError::Empty),
        line => Ok(line),
    }
}

/// The space-separated fields of a line, in order.
///
/// A field starting with `"` runs to the next `"` that is followed by a space or by the end of
/// the line, and is yielded without its quotes; inside it a backslash skips the byte after it,
/// so `\"` never closes the field. Any other field runs to the next space. Runs of spaces
/// separate like one. A quote that never closes yields [`DecodeError::UnterminatedQuote`], and
/// the iteration ends after it.
#[derive(Debug, Clone)]
pub(crate) struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    /// Fields of `line`.
    pub(crate) fn new(line: &'a [u8]) -> Self {
        Self { rest: line }
    }

    /// The bytes after the last field yielded (starting with its separator, if any).
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// The next field; [`DecodeError::MissingFields`] if the line has ended.
    pub(crate) fn required(&mut self) -> Result<&'a [u8], DecodeError> {
        self.next().unwrap_or(Err(DecodeError::MissingFields))
    }

    /// Skips up to `n` fields (fewer if the line ends first) and yields the one after them,
    /// `None` if the line has ended. Unlike [`Iterator::nth`], an unterminated quote among the
    /// skipped fields is reported.
    pub(crate) fn optional_after(&mut self, n: usize) -> Result<Option<&'a [u8]>, DecodeError> {
        for _ in 0..n {
            if self.next().transpose()?.is_none() {
                return Ok(None);
            }
        }
        self.next().transpose()
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<&'a [u8], DecodeError>;

    // Inlined into `required` and `optional_after`, which every decoder calls per field.
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        let mut rest = self.rest;
        while let [b' ', tail @ ..] = rest {
            rest = tail;
        }
        let (field, after) = match rest {
            [] => return None,
            [b'"', body @ ..] => match split_quoted(body) {
                Some(split) => split,
                None => {
                    self.rest = &[];
                    return Some(Err(DecodeError::UnterminatedQuote));
                }
            },
            _ => split_at_space(rest),
        };
        self.rest = after;
        Some(Ok(field))
    }
}

/// Splits the body of a quoted field (the bytes after its opening `"`) into the text before
/// the closing quote and the bytes after that quote; `None` if it never closes.
fn split_quoted(body: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut i = 0;
    loop {
        // Jump to the next quote or backslash (a vectorized search; user agents are long).
        i += memchr::memchr2(b'"', b'\\', body.get(i..)?)?;
        match body.get(i)? {
            b'"' if matches!(body.get(i + 1), None | Some(b' ')) => {
                let (text, quote_and_after) = body.split_at_checked(i)?;
                return Some((text, quote_and_after.get(1..).unwrap_or_default()));
            }
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// Splits a bare field from the rest of the line: `s` before its first space, and after that
/// space (empty when `s` has none). Most bare fields of an access log (times, statuses, byte
/// counts, `-`) end within 8 bytes, so the first 8 are tested in one word, without the call
/// and set-up of a vectorized search; a longer field is found with `memchr`.
fn split_at_space(s: &[u8]) -> (&[u8], &[u8]) {
    let at = swar::in_first_word(s, [b' ']).or_else(|| memchr::memchr(b' ', s));
    at.and_then(|at| split_around(s, at)).unwrap_or((s, &[]))
}

/// Splits `s` around its first `byte`: the bytes before it and the bytes after it.
pub(crate) fn split_once(s: &[u8], byte: u8) -> Option<(&[u8], &[u8])> {
    split_around(s, memchr::memchr(byte, s)?)
}

/// The bytes of `s` before index `at` and after it.
fn split_around(s: &[u8], at: usize) -> Option<(&[u8], &[u8])> {
    let (before, from) = s.split_at_checked(at)?;
    Some((before, from.get(1..).unwrap_or_default()))
}

/// The parts of a request line `METHOD target PROTOCOL`, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestLine<'a> {
    /// Text before the first space.
    pub(crate) method: &'a [u8],
    /// Text between the first and the second space (or the end of the line).
    pub(crate) target: &'a [u8],
    /// Text after the second space; `None` if there is none, as in HTTP/0.9's `GET /`.
    pub(crate) protocol: Option<&'a [u8]>,
}

/// Splits a request line at its first two spaces; `None` if it has no space at all.
pub(crate) fn split_request(request: &[u8]) -> Option<RequestLine<'_>> {
    let (method, rest) = split_once(request, b' ')?;
    let (target, protocol) = match split_once(rest, b' ') {
        Some((target, protocol)) => (target, Some(protocol)),
        None => (rest, None),
    };
    Some(RequestLine {
        method,
        target,
        protocol,
    })
}

/// The host (without port or user info) and path (without query string or fragment) of a
/// request target. Absolute form `scheme://host[:port][/path][?query]` gives both, with path
/// `/` when the URL has none; any other target (origin form `/path?query`, `*`) gives an
/// empty host; `-` gives both empty. Bytes are kept as they are (no lowercasing or decoding).
pub(crate) fn split_target(target: &[u8]) -> (&[u8], &[u8]) {
    if target == b"-" {
        return (&[], &[]);
    }
    let Some(after_scheme) = strip_scheme(target) else {
        return (&[], until_query(target));
    };
    let end = memchr::memchr3(b'/', b'?', b'#', after_scheme).unwrap_or(after_scheme.len());
    let (authority, path_and_query) = after_scheme.split_at_checked(end).unwrap_or_default();
    let host_port = match memchr::memrchr(b'@', authority) {
        Some(at) => authority.get(at + 1..).unwrap_or_default(),
        None => authority,
    };
    let host = match host_port {
        [b'[', ..] => match split_once(host_port, b']') {
            Some((inside, _)) => host_port.get(..=inside.len()).unwrap_or(host_port),
            None => host_port,
        },
        _ => split_once(host_port, b':').map_or(host_port, |(host, _)| host),
    };
    let path = match until_query(path_and_query) {
        [] => b"/",
        path => path,
    };
    (host, path)
}

/// The host of an `:authority` (`host`, `host:port`, `[v6]:port`), without the port.
pub(crate) fn host_of(authority: &[u8]) -> &[u8] {
    match authority {
        [b'[', ..] => match split_once(authority, b']') {
            Some((inside, _)) => authority.get(..=inside.len()).unwrap_or(authority),
            None => authority,
        },
        _ => split_once(authority, b':').map_or(authority, |(host, _)| host),
    }
}

/// The host and path of the target of a request with `method`: an authority-form `CONNECT`
/// target (`host:port`) gives its host and no path; any other, [`split_target`].
pub(crate) fn request_target<'a>(method: &[u8], target: &'a [u8]) -> (&'a [u8], &'a [u8]) {
    if method == b"CONNECT" && strip_scheme(target).is_none() && !target.starts_with(b"/") {
        (host_of(target), &[])
    } else {
        split_target(target)
    }
}

/// The part of `target` after `scheme://`, if it starts with a scheme (letters, digits, `+`,
/// `-`, `.`, beginning with a letter).
fn strip_scheme(target: &[u8]) -> Option<&[u8]> {
    let colon = target.iter().position(|&b| !is_scheme_byte(b))?;
    let (scheme, rest) = target.split_at_checked(colon)?;
    let first = *scheme.first()?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    rest.strip_prefix(b"://")
}

fn is_scheme_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')
}

/// `s` up to its first `?` or `#`.
fn until_query(s: &[u8]) -> &[u8] {
    let end = memchr::memchr2(b'?', b'#', s).unwrap_or(s.len());
    s.get(..end).unwrap_or(s)
}

/// A three-digit HTTP status code in `100..=599`; anything else (including `-`) is
/// [`DecodeError::BadStatus`].
pub(crate) fn parse_status(field: &[u8]) -> Result<u16, DecodeError> {
    match *field {
        [a @ b'1'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9'] => {
            Ok(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
        }
        _ => Err(DecodeError::BadStatus),
    }
}

/// The value of a short run of ASCII digits (as in a date), `None` if empty, too long for
/// `u32`, or not all digits.
pub(crate) fn digits(text: &[u8]) -> Option<u32> {
    u32::try_from(time::parse_u64(text)?).ok()
}

#[cfg(test)]
mod tests;

//! An allocation-free JSON reader for the JSON decoders (`envoy_json`, `gcp`, `json`).
//!
//! [`lookup`] walks one JSON object and picks the values at a few key paths (`status`,
//! `httpRequest.latency`), borrowing every value from the line: a string is its raw text
//! between the quotes, a number its digits. Strings are not unescaped — a value written with
//! backslash escapes is passed on with them (`\/` stays `\/`); Envoy and Cloud Logging do not
//! escape the characters of hosts, paths, methods or ids, and a line that came out of a shipper
//! envelope has already been unescaped once. Keys are compared byte for byte as written; the
//! first of duplicate keys wins. The line is read once; the whole line must be one
//! well-formed object (nesting at most 64 deep); anything else is [`DecodeError::MissingFields`], a string that never closes
//! is [`DecodeError::UnterminatedQuote`]. Nothing here panics, whatever the bytes.

use super::DecodeError;
use super::swar::{HIGH, below, splat, zero_bytes};
use super::timestamp::{self, Unit};

/// Deepest nesting of objects and arrays read before a line is rejected.
const MAX_DEPTH: usize = 64;

/// One JSON value, borrowed from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    /// A string: its raw text between the quotes, escapes kept.
    Str(&'a [u8]),
    /// A number, as written.
    Num(&'a [u8]),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An object, braces included.
    Object(&'a [u8]),
    /// An array, brackets included.
    Array(&'a [u8]),
}

impl<'a> Value<'a> {
    /// The text of a string or number; `None` for `null` and everything else.
    pub(crate) fn text(self) -> Option<&'a [u8]> {
        match self {
            Value::Str(s) | Value::Num(s) => Some(s),
            _ => None,
        }
    }
}

/// Most paths looked up at once; further paths are never found.
const MAX_PATHS: usize = 16;

/// Finds the value at each of `paths` (key segments, outermost first) in the object `line`,
/// storing it in the same slot of `out` (left `None` when absent). At most 16 paths are
/// looked up; slots of `out` beyond `paths` are untouched.
pub(crate) fn lookup<'a, S: AsRef<[u8]>>(
    line: &'a [u8],
    paths: &[&[S]],
    out: &mut [Option<Value<'a>>],
) -> Result<(), DecodeError> {
    let mut c = Cursor { s: line, i: 0 };
    c.skip_ws();
    if !c.eat(b'{') {
        return Err(DecodeError::MissingFields);
    }
    c.find_in_object(paths, out, 0)?;
    c.skip_ws();
    if c.i != line.len() {
        return Err(DecodeError::MissingFields);
    }
    Ok(())
}

/// The text of the string under the first of `keys` (top-level keys, in order of
/// preference; of duplicate keys the first counts) whose value is a string in the object
/// `line`, unescaped as JSON says while it
/// is read, in one pass: borrowed from `line` when it holds no escape, else written to
/// `scratch` (its allocation reused). The whole line must be one well-formed object, as for
/// [`lookup`]; the chosen string must be valid JSON text (UTF-8, no control character, known
/// escapes, `\u` escapes that are characters); its absence or any of these is an error.
pub(crate) fn string_member<'a>(
    line: &'a [u8],
    keys: &[&[u8]],
    scratch: &'a mut Vec<u8>,
) -> Result<&'a [u8], DecodeError> {
    let mut c = Cursor { s: line, i: 0 };
    c.skip_ws();
    if !c.eat(b'{') {
        return Err(DecodeError::MissingFields);
    }
    // The preference of the string chosen so far, and where its text is.
    let mut best: Option<(usize, Text)> = None;
    // The keys met so far, by preference.
    let mut seen = 0u32;
    c.skip_ws();
    if !c.eat(b'}') {
        loop {
            c.skip_ws();
            if !c.eat(b'"') {
                return Err(DecodeError::MissingFields);
            }
            let key = c.string()?;
            c.skip_ws();
            if !c.eat(b':') {
                return Err(DecodeError::MissingFields);
            }
            c.skip_ws();
            // Only a key's first occurrence counts, whatever its value (as in `lookup`).
            let rank = keys
                .iter()
                .position(|k| *k == key)
                .filter(|&r| r < 32 && seen & (1 << r) == 0);
            if let Some(r) = rank {
                seen |= 1 << r;
            }
            match rank {
                Some(r) if c.peek() == Some(b'"') && best.is_none_or(|(b, _)| r < b) => {
                    c.i += 1;
                    best = Some((r, c.unescaped(scratch)?));
                }
                _ => {
                    c.value(1)?;
                }
            }
            c.skip_ws();
            if c.eat(b'}') {
                break;
            }
            if !c.eat(b',') {
                return Err(DecodeError::MissingFields);
            }
        }
    }
    c.skip_ws();
    if c.i != line.len() {
        return Err(DecodeError::MissingFields);
    }
    match best {
        Some((_, Text::Borrowed(from, to))) => line.get(from..to).ok_or(DecodeError::MissingFields),
        Some((_, Text::Written(len))) => scratch.get(..len).ok_or(DecodeError::MissingFields),
        Some((_, Text::Invalid)) | None => Err(DecodeError::MissingFields),
    }
}

/// Where [`Cursor::unescaped`] left a string's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    /// In the input, bytes `from..to`: it held no escape.
    Borrowed(usize, usize),
    /// Written to the start of the output buffer, this many bytes.
    Written(usize),
    /// Not valid JSON text (the string was read past all the same).
    Invalid,
}

/// The first byte of `s` that ends a run of plain string text: `"`, `\\` or a control
/// character (below 0x20), searched 8 bytes at a time. Every byte it looked at (those before
/// the stop, and some after it) is or-ed into `seen`, whose [`HIGH`] bits then tell whether
/// any was not ASCII.
fn string_stop(s: &[u8], seen: &mut u64) -> Option<usize> {
    let mut at = 0;
    while let Some(word) = s.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        let w = u64::from_le_bytes(*word);
        *seen |= w;
        let stops = word_stops(w);
        if stops != 0 {
            return Some(at + (stops.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = s.get(at..)?;
    tail.iter()
        .position(|&b| {
            *seen |= u64::from(b);
            is_stop(b)
        })
        .map(|i| at + i)
}

/// Reads plain string text from the start of `s` up to the first byte that ends it (as
/// [`string_stop`] does, `seen` included), writing it to `out` from `len` on as it goes,
/// except that an escaped quote (`\"`, twice in each quoted field of an ALB line) is
/// unescaped here and the reading goes on; where that stop is, and how far `out` is written.
/// Text is copied a whole word at a time (a copy of a fixed size, made in line, where a
/// run's copy of its own length is a call), and the bytes copied from the stop on are
/// overwritten later or left beyond the length. Runs between escapes are short (one every
/// 20 bytes or so in an ALB line), so the cost per stop is what this saves. `out` is a
/// slice and `len` a local, not a `Vec`: a byte stored through a `Vec` may alias its length
/// for all the compiler knows, which then reloads it after every store.
///
/// `out` must have room from `len` for every byte of `s` before the stop (the caller sizes
/// it to the rest of the line; unescaping never lengthens); `None` if it has not, or if no
/// byte ends the text.
#[inline(never)]
fn copy_to_stop(
    s: &[u8],
    out: &mut [u8],
    mut len: usize,
    seen: &mut u64,
) -> Option<(usize, usize)> {
    let mut at = 0;
    while let Some(word) = s.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        let Some(to) = out.get_mut(len..).and_then(<[u8]>::first_chunk_mut::<8>) else {
            break;
        };
        let w = u64::from_le_bytes(*word);
        *seen |= w;
        *to = *word;
        let stops = word_stops(w);
        if stops != 0 {
            let before = (stops.trailing_zeros() / 8) as usize;
            len += before;
            let stop = at + before;
            // An escaped quote, the most common stop (twice per quoted field of an ALB
            // line), is written here and the scan goes on.
            if s.get(stop..stop + 2) == Some(b"\\\"") {
                *out.get_mut(len)? = b'"';
                len += 1;
                at = stop + 2;
                continue;
            }
            return Some((stop, len));
        }
        len += 8;
        at += 8;
    }
    for (i, &b) in s.get(at..)?.iter().enumerate() {
        *seen |= u64::from(b);
        if is_stop(b) {
            return Some((at + i, len));
        }
        *out.get_mut(len)? = b;
        len += 1;
    }
    None
}

/// The bytes of `w` that end a run of string text (see [`super::swar`]).
fn word_stops(w: u64) -> u64 {
    zero_bytes(w ^ splat(b'"')) | zero_bytes(w ^ splat(b'\\')) | below(w, 0x20)
}

/// True for a byte that ends a run of string text.
fn is_stop(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// A position in a JSON text.
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.i += usize::from(hit);
        hit
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    /// Reads the members of an object whose `{` was just read, through its `}`, storing the
    /// value at each of `paths` in the same slot of `out`. Nested objects are read once, for
    /// all the paths that lead into them.
    fn find_in_object<S: AsRef<[u8]>>(
        &mut self,
        paths: &[&[S]],
        out: &mut [Option<Value<'a>>],
        depth: usize,
    ) -> Result<(), DecodeError> {
        self.skip_ws();
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            self.skip_ws();
            if !self.eat(b'"') {
                return Err(DecodeError::MissingFields);
            }
            let key = self.string()?;
            self.skip_ws();
            if !self.eat(b':') {
                return Err(DecodeError::MissingFields);
            }
            self.skip_ws();
            let mut inner: [&[S]; MAX_PATHS] = [&[]; MAX_PATHS];
            let mut slots = [usize::MAX; MAX_PATHS];
            let mut n = 0;
            for (i, (path, slot)) in paths.iter().zip(out.iter()).enumerate().take(MAX_PATHS) {
                if let Some((first, rest)) = path.split_first()
                    && slot.is_none()
                    && first.as_ref() == key
                    && !rest.is_empty()
                    && let (Some(p), Some(s)) = (inner.get_mut(n), slots.get_mut(n))
                {
                    (*p, *s) = (rest, i);
                    n += 1;
                }
            }
            let value = if n > 0 && self.peek() == Some(b'{') {
                let start = self.i;
                self.i += 1;
                if depth >= MAX_DEPTH {
                    return Err(DecodeError::MissingFields);
                }
                let mut found = [None; MAX_PATHS];
                self.find_in_object(inner.get(..n).unwrap_or_default(), &mut found, depth + 1)?;
                for (&i, v) in slots.iter().zip(found).take(n) {
                    if let Some(slot) = out.get_mut(i) {
                        *slot = v;
                    }
                }
                Value::Object(self.from(start))
            } else {
                self.value(depth + 1)?
            };
            for (path, slot) in paths.iter().zip(out.iter_mut()).take(MAX_PATHS) {
                if let [only] = path
                    && slot.is_none()
                    && only.as_ref() == key
                {
                    *slot = Some(value);
                }
            }
            self.skip_ws();
            if self.eat(b'}') {
                return Ok(());
            }
            if !self.eat(b',') {
                return Err(DecodeError::MissingFields);
            }
        }
    }

    fn from(&self, start: usize) -> &'a [u8] {
        self.s.get(start..self.i).unwrap_or_default()
    }

    /// The raw text of a string whose opening quote was just read; the cursor ends after the
    /// closing quote.
    fn string(&mut self) -> Result<&'a [u8], DecodeError> {
        let start = self.i;
        loop {
            let rest = self.s.get(self.i..).unwrap_or_default();
            let Some(at) = memchr::memchr2(b'"', b'\\', rest) else {
                self.i = self.s.len();
                return Err(DecodeError::UnterminatedQuote);
            };
            self.i += at;
            if self.peek() == Some(b'"') {
                let text = self.from(start);
                self.i += 1;
                return Ok(text);
            }
            self.i += 2;
        }
    }

    /// Reads a string whose opening quote was just read, through its closing quote,
    /// unescaping it as it goes, in one pass: borrowed when it holds no escape (nothing is
    /// copied), else written to the start of `out`; [`Text::Invalid`] for what JSON text
    /// does not allow (see [`string_member`]). UTF-8 is checked once, at the end, and only
    /// when a byte was not ASCII (an escape writes whole characters, so the text is valid
    /// exactly when its unescaped runs are). An unterminated string is an error.
    ///
    /// `out` only grows: at a string's first escape it is lengthened (zeroed) to the rest
    /// of the line if it is shorter, and never shortened, so the zeroing is paid once per
    /// longer line, not per string; [`Text::Written`] says how much of it is the text.
    fn unescaped(&mut self, out: &mut Vec<u8>) -> Result<Text, DecodeError> {
        let start = self.i;
        let mut seen = 0u64;
        let rest = self.s.get(start..).unwrap_or_default();
        let Some(at) = string_stop(rest, &mut seen) else {
            self.i = self.s.len();
            return Err(DecodeError::UnterminatedQuote);
        };
        self.i += at;
        let before = self.from(start);
        match self.peek() {
            Some(b'"') => {
                self.i += 1;
                let valid = seen & HIGH == 0 || std::str::from_utf8(before).is_ok();
                Ok(if valid {
                    Text::Borrowed(start, start + at)
                } else {
                    Text::Invalid
                })
            }
            Some(b'\\') => {
                // Unescaping never lengthens: what is left of the line is room enough.
                let room = self.s.len() - start;
                if out.len() < room {
                    out.resize(room, 0);
                }
                let Some(to) = out.get_mut(..at) else {
                    return self.rest_of_invalid(start);
                };
                to.copy_from_slice(before);
                self.unescaped_after(start, out, at, seen)
            }
            _ => self.rest_of_invalid(start),
        }
    }

    /// The rest of [`Cursor::unescaped`], from a string's first escape (its backslash is
    /// next), with the `len` bytes before it already in `out`, which has room for the rest
    /// of the line: each run is written as it is read. (Were `out` ever short of room, the
    /// string would be rejected, as invalid or unterminated, never written out of bounds.)
    fn unescaped_after(
        &mut self,
        start: usize,
        out: &mut [u8],
        mut len: usize,
        mut seen: u64,
    ) -> Result<Text, DecodeError> {
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    let text = out.get(..len).unwrap_or_default();
                    let valid = seen & HIGH == 0 || std::str::from_utf8(text).is_ok();
                    return Ok(if valid {
                        Text::Written(len)
                    } else {
                        Text::Invalid
                    });
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.escape() {
                        // One byte stored (no copy of a length known only here).
                        Some(c) if c.is_ascii() => {
                            let Some(to) = out.get_mut(len) else {
                                return self.rest_of_invalid(start);
                            };
                            *to = c as u8;
                            len += 1;
                        }
                        Some(c) => {
                            let mut utf8 = [0; 4];
                            let bytes = c.encode_utf8(&mut utf8).as_bytes();
                            let Some(to) = out.get_mut(len..len + bytes.len()) else {
                                return self.rest_of_invalid(start);
                            };
                            to.copy_from_slice(bytes);
                            len += bytes.len();
                        }
                        None => return self.rest_of_invalid(start),
                    }
                }
                _ => return self.rest_of_invalid(start),
            }
            let rest = self.s.get(self.i..).unwrap_or_default();
            let Some((at, written)) = copy_to_stop(rest, out, len, &mut seen) else {
                self.i = self.s.len();
                return Err(DecodeError::UnterminatedQuote);
            };
            self.i += at;
            len = written;
        }
    }

    /// Reads the rest of a string found invalid, from its start, as a raw string.
    fn rest_of_invalid(&mut self, start: usize) -> Result<Text, DecodeError> {
        self.i = start;
        self.string().map(|_| Text::Invalid)
    }

    /// The character of the escape after a backslash that was just read; `None` for an
    /// unknown escape or a `\\u` escape that is not a character (a lone surrogate).
    fn escape(&mut self) -> Option<char> {
        let b = self.peek()?;
        self.i += 1;
        Some(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&unit) {
                    // A high surrogate must be followed by an escaped low one.
                    if !(self.eat(b'\\') && self.eat(b'u')) {
                        return None;
                    }
                    let low = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return None;
                    }
                    0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    unit
                };
                char::from_u32(code)?
            }
            _ => return None,
        })
    }

    /// The value of the four hex digits at the cursor, which moves past them.
    fn hex4(&mut self) -> Option<u32> {
        let digits = self.s.get(self.i..self.i + 4)?;
        let mut v = 0;
        for &d in digits {
            v = v * 16 + char::from(d).to_digit(16)?;
        }
        self.i += 4;
        Some(v)
    }

    /// One value starting at the cursor (whitespace already skipped).
    fn value(&mut self, depth: usize) -> Result<Value<'a>, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::MissingFields);
        }
        let start = self.i;
        match self.peek() {
            Some(b'"') => {
                self.i += 1;
                self.string().map(Value::Str)
            }
            Some(b'{') => {
                self.i += 1;
                self.members(depth)?;
                Ok(Value::Object(self.from(start)))
            }
            Some(b'[') => {
                self.i += 1;
                self.elements(depth)?;
                Ok(Value::Array(self.from(start)))
            }
            Some(b'-' | b'0'..=b'9') => {
                while matches!(
                    self.peek(),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.i += 1;
                }
                Ok(Value::Num(self.from(start)))
            }
            _ => {
                for (word, value) in [
                    (&b"true"[..], Value::Bool(true)),
                    (b"false", Value::Bool(false)),
                    (b"null", Value::Null),
                ] {
                    if self.s.get(start..).is_some_and(|s| s.starts_with(word)) {
                        self.i += word.len();
                        return Ok(value);
                    }
                }
                Err(DecodeError::MissingFields)
            }
        }
    }

    /// The members of an object whose `{` was just read, through its `}`.
    fn members(&mut self, depth: usize) -> Result<(), DecodeError> {
        self.skip_ws();
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            self.skip_ws();
            if !self.eat(b'"') {
                return Err(DecodeError::MissingFields);
            }
            self.string()?;
            self.skip_ws();
            if !self.eat(b':') {
                return Err(DecodeError::MissingFields);
            }
            self.skip_ws();
            self.value(depth + 1)?;
            self.skip_ws();
            if self.eat(b'}') {
                return Ok(());
            }
            if !self.eat(b',') {
                return Err(DecodeError::MissingFields);
            }
        }
    }

    /// The elements of an array whose `[` was just read, through its `]`.
    fn elements(&mut self, depth: usize) -> Result<(), DecodeError> {
        self.skip_ws();
        if self.eat(b']') {
            return Ok(());
        }
        loop {
            self.skip_ws();
            self.value(depth + 1)?;
            self.skip_ws();
            if self.eat(b']') {
                return Ok(());
            }
            if !self.eat(b',') {
                return Err(DecodeError::MissingFields);
            }
        }
    }
}

/// A status from a number or a string of digits: `0` (no response was sent) or `100..=599`;
/// anything else, absence included, is [`DecodeError::BadStatus`].
pub(crate) fn status(value: Option<Value<'_>>) -> Result<u16, DecodeError> {
    let text = value.and_then(Value::text).ok_or(DecodeError::BadStatus)?;
    match crate::time::parse_u64(text) {
        Some(0) => Ok(0),
        Some(s @ 100..=599) => u16::try_from(s).map_err(|_| DecodeError::BadStatus),
        _ => Err(DecodeError::BadStatus),
    }
}

/// A duration in `unit` from a number or a string; `None` (unknown) when absent, `null`, `""`,
/// `"-"` or negative (`-1`); [`DecodeError::BadLatency`] for any other text.
pub(crate) fn duration_us(
    value: Option<Value<'_>>,
    unit: Unit,
) -> Result<Option<i64>, DecodeError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.text().ok_or(DecodeError::BadLatency)? {
            b"" | b"-" => Ok(None),
            [b'-', rest @ ..] if timestamp::decimal_us(rest, unit).is_some() => Ok(None),
            text => timestamp::decimal_us(text, unit)
                .map(Some)
                .ok_or(DecodeError::BadLatency),
        },
    }
}

/// The text of a string or number, empty when absent, `null`, or `"-"`.
pub(crate) fn text(value: Option<Value<'_>>) -> &[u8] {
    match value.and_then(Value::text) {
        None | Some(b"-") => &[],
        Some(t) => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn get<'a>(line: &'a str, paths: &[&str]) -> Result<Vec<Option<Value<'a>>>, DecodeError> {
        let split: Vec<Vec<&str>> = paths.iter().map(|p| p.split('.').collect()).collect();
        let refs: Vec<&[&str]> = split.iter().map(Vec::as_slice).collect();
        let mut out = vec![None; paths.len()];
        lookup(line.as_bytes(), &refs, &mut out)?;
        Ok(out)
    }

    #[test]
    fn values_at_paths() {
        let line = r#" {"a": "x\"y", "n": -1.5e3, "t": true, "z": null,
            "o": {"p": {"q": 7}, "arr": [1, {"q": 8}, "]"]}, "a": "dup", "e": {}, "l": []} "#;
        let got = get(
            line,
            &[
                "a", "n", "t", "z", "o.p.q", "o.arr", "missing", "a.b", "o.p", "e",
            ],
        )
        .unwrap();
        assert_eq!(
            got,
            [
                Some(Value::Str(br#"x\"y"#)),
                Some(Value::Num(b"-1.5e3")),
                Some(Value::Bool(true)),
                Some(Value::Null),
                Some(Value::Num(b"7")),
                Some(Value::Array(br#"[1, {"q": 8}, "]"]"#)),
                None,
                None,
                Some(Value::Object(br#"{"q": 7}"#)),
                Some(Value::Object(b"{}")),
            ]
        );
    }

    #[test]
    fn malformed_lines() {
        for bad in [
            "",
            "[]",
            "5",
            "\"s\"",
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{\"a\":1}x",
            "{\"a\":tru}",
            "{a:1}",
            "{\"a\":1 \"b\":2}",
            "{\"a\":[1 2]}",
        ] {
            assert_eq!(get(bad, &["a"]), Err(DecodeError::MissingFields), "{bad}");
        }
        assert_eq!(
            get(r#"{"a":"x"#, &["a"]),
            Err(DecodeError::UnterminatedQuote)
        );
        assert_eq!(get(r#"{"a\"#, &["a"]), Err(DecodeError::UnterminatedQuote));
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100));
        assert_eq!(get(&deep, &["a"]), Err(DecodeError::MissingFields));
    }

    #[test]
    fn statuses_durations_and_text() {
        assert_eq!(status(Some(Value::Num(b"200"))), Ok(200));
        assert_eq!(status(Some(Value::Str(b"503"))), Ok(503));
        assert_eq!(status(Some(Value::Num(b"0"))), Ok(0));
        for bad in [
            Value::Num(b"99"),
            Value::Num(b"600"),
            Value::Num(b"-1"),
            Value::Str(b"-"),
            Value::Null,
        ] {
            assert_eq!(status(Some(bad)), Err(DecodeError::BadStatus), "{bad:?}");
        }
        assert_eq!(status(None), Err(DecodeError::BadStatus));
        let ms = |v| duration_us(v, Unit::Millis);
        assert_eq!(ms(Some(Value::Num(b"57"))), Ok(Some(57_000)));
        assert_eq!(ms(Some(Value::Str(b"1.5"))), Ok(Some(1_500)));
        for unknown in [
            None,
            Some(Value::Null),
            Some(Value::Str(b"-")),
            Some(Value::Str(b"")),
            Some(Value::Num(b"-1")),
        ] {
            assert_eq!(ms(unknown), Ok(None), "{unknown:?}");
        }
        for bad in [
            Value::Num(b"1e3"),
            Value::Str(b"fast"),
            Value::Bool(true),
            Value::Num(b"--1"),
        ] {
            assert_eq!(ms(Some(bad)), Err(DecodeError::BadLatency), "{bad:?}");
        }
        assert_eq!(text(Some(Value::Str(b"abc"))), b"abc");
        assert_eq!(text(Some(Value::Num(b"12"))), b"12");
        assert_eq!(text(Some(Value::Str(b"-"))), b"");
        assert_eq!(text(Some(Value::Null)), b"");
        assert_eq!(text(None), b"");
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut out = [None, None];
            let _ = lookup(&bytes, &[&["a"][..], &["a", "b"][..]], &mut out);
        }

        #[test]
        fn never_panics_on_json_like_text(text in r#"[{}\[\]",:ab0-9 \\.-]{0,120}"#) {
            let mut out = [None, None];
            let _ = lookup(text.as_bytes(), &[&["a"][..], &["a", "b"][..]], &mut out);
        }
    }
}

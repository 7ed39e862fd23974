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
use super::timestamp::{self, Unit};

mod strings;
#[cfg(test)]
mod tests;

use strings::Text;

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

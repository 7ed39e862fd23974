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

//! Reading a line with a compiled [`Layout`]: the layout is walked once, each field's value
//! handed to the dialect's [`Sink`]; a line that does not fit gives a [`Miss`] (where and
//! why), which [`Layout::why`] turns into a sentence for `explain`. Quoted values that may
//! hold quotes (Envoy) are read by trying each candidate end (see the parent module).

use super::shapes::{address_len, millis_len, starts_with, syslog_body, token_len};
use super::{Bad, Escape, Layout, Preamble, Shape, Step, list_len};
use crate::decode::{DecodeError, fields};

/// Where the dialect puts the values read.
pub(crate) trait Sink<'a, F> {
    /// Takes the value of `field`; a value not in the shape the field needs is [`Bad`].
    fn set(&mut self, field: F, value: &'a [u8]) -> Result<(), Bad>;
}

/// Where in a layout a line stopped fitting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// The text before the first field.
    Head,
    /// The value of the step's field.
    Field(usize),
    /// The text after the step's field.
    After(usize),
    /// Past the format's end.
    End,
}

/// Where and why a line stopped fitting its layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Miss {
    /// Where in the layout.
    pub(crate) place: Place,
    /// Byte offset in the line.
    pub(crate) at: usize,
    /// The counted reason.
    pub(crate) error: DecodeError,
    /// What did not fit, in words.
    pub(crate) what: &'static str,
}

const TEXT_DIFFERS: Bad = (DecodeError::MissingFields, "the line has other text here");
const TEXT_CUT: Bad = (DecodeError::MissingFields, "the line ends before this text");
const GOES_ON: Bad = (
    DecodeError::MissingFields,
    "the line goes on after the format's end",
);

impl<F: Copy> Layout<F> {
    /// Reads `line` into the values `S` holds: the whitespace around it and its preamble
    /// dropped, then every field in its shape, or the error of the first that is not.
    pub(crate) fn read<'a, S: Sink<'a, F> + Default>(
        &self,
        line: &'a [u8],
    ) -> Result<S, DecodeError> {
        let mut values = S::default();
        self.scan(self.body(fields::trim_line(line)?), &mut values)
            .map_err(|m| m.error)?;
        Ok(values)
    }

    /// Why `line` does not fit, naming the field and the byte (`at $status (a three-digit
    /// status), byte 57: not a status from 100 to 599`), read as [`Layout::read`] reads it;
    /// `None` when it fits.
    pub(crate) fn why<'a, S: Sink<'a, F> + Default>(&self, line: &'a [u8]) -> Option<String> {
        let Ok(line) = fields::trim_line(line) else {
            return Some("the line is blank".to_string());
        };
        let miss = self.scan(self.body(line), &mut S::default()).err()?;
        Some(self.explain(miss))
    }

    /// `line` without its preamble.
    fn body<'l>(&self, line: &'l [u8]) -> &'l [u8] {
        match self.preamble {
            Preamble::None => line,
            Preamble::Syslog => syslog_body(line),
        }
    }

    /// Reads `line` (trimmed of whitespace) into `sink`.
    fn scan<'a, S: Sink<'a, F>>(&self, line: &'a [u8], sink: &mut S) -> Result<(), Miss> {
        if !starts_with(line, &self.head) {
            let bad = if line.len() < self.head.len() && self.head.starts_with(line) {
                TEXT_CUT
            } else {
                TEXT_DIFFERS
            };
            return Err(miss(Place::Head, 0, bad));
        }
        self.scan_from(line, 0, self.head.len(), sink)
    }

    /// Why `line` stops fitting at `miss`, naming the field and the byte: `at $status (a
    /// three-digit status), byte 57: not a status from 100 to 599`.
    fn explain(&self, miss: Miss) -> String {
        let text = |t: &[u8]| String::from_utf8_lossy(t).into_owned();
        let step = miss
            .place_step()
            .and_then(|i| Some((self.steps.get(i)?, self.names.get(i)?)));
        let at = match (miss.place, step) {
            (Place::Head, _) => format!("at the text {:?} of the format", text(&self.head)),
            (Place::Field(_), Some((s, name))) => format!("at {name} ({})", s.shape.name()),
            (Place::After(_), Some((s, name))) => {
                format!("at the text {:?} after {name}", text(&s.then))
            }
            (Place::End | Place::Field(_) | Place::After(_), _) => {
                "after the format's last field".to_string()
            }
        };
        format!("{at}, byte {}: {}", miss.at + 1, miss.what)
    }

    /// Reads steps `from..` of `line` starting at byte `pos`.
    fn scan_from<'a, S: Sink<'a, F>>(
        &self,
        line: &'a [u8],
        from: usize,
        mut pos: usize,
        sink: &mut S,
    ) -> Result<(), Miss> {
        let mut i = from;
        while let Some(step) = self.steps.get(i) {
            let rest = &line[pos..];
            if let Shape::Quoted { free: true } = step.shape {
                return self.scan_unescaped(line, i, pos, sink);
            }
            let len = self
                .extent(i, step, rest)
                .map_err(|bad| miss(Place::Field(i), pos, bad))?;
            if step.read {
                sink.set(step.field, &rest[..len])
                    .map_err(|bad| miss(Place::Field(i), pos, bad))?;
            }
            pos += len;
            let after = &line[pos..];
            let then = &step.then[..];
            if !step.then_at(after) {
                let bad = if after.len() < then.len() && then.starts_with(after) {
                    TEXT_CUT
                } else {
                    TEXT_DIFFERS
                };
                return Err(miss(Place::After(i), pos, bad));
            }
            pos += then.len();
            i += 1;
        }
        if pos != line.len() {
            return Err(miss(Place::End, pos, GOES_ON));
        }
        Ok(())
    }

    /// Reads the quoted value of step `i` (which may hold quotes) and the rest of the line:
    /// its end is the first quote, followed by the step's text, after which the rest of the
    /// line reads.
    fn scan_unescaped<'a, S: Sink<'a, F>>(
        &self,
        line: &'a [u8],
        i: usize,
        pos: usize,
        sink: &mut S,
    ) -> Result<(), Miss> {
        let step = &self.steps[i];
        let rest = &line[pos..];
        let mut deepest: Option<Miss> = None;
        for q in memchr::memchr_iter(b'"', rest) {
            if !step.then_at(&rest[q..]) {
                continue;
            }
            let tried = if step.read {
                sink.set(step.field, &rest[..q])
                    .map_err(|bad| miss(Place::Field(i), pos, bad))
            } else {
                Ok(())
            }
            .and_then(|()| self.scan_from(line, i + 1, pos + q + step.then.len(), sink));
            match tried {
                Ok(()) => return Ok(()),
                Err(m) if deepest.is_none_or(|d| m.at > d.at) => deepest = Some(m),
                Err(_) => {}
            }
        }
        Err(deepest.unwrap_or_else(|| miss(Place::Field(i), pos, UNTERMINATED)))
    }

    /// The length of the value of step `i` at the start of `rest`.
    fn extent(&self, i: usize, step: &Step<F>, rest: &[u8]) -> Result<usize, Bad> {
        const ENDED: Bad = (DecodeError::MissingFields, "the line ends here");
        let last = i + 1 == self.steps.len();
        match step.shape {
            Shape::Fixed(n) => (rest.len() >= n).then_some(n).ok_or(ENDED),
            Shape::Millis => {
                millis_len(rest).ok_or((DecodeError::BadLatency, "not seconds with three decimals"))
            }
            Shape::Number { dash } => {
                match rest.iter().take_while(|b| b.is_ascii_digit()).count() {
                    0 if dash && rest.first() == Some(&b'-') => Ok(1),
                    n @ 1..=19 => Ok(n),
                    _ => Err((DecodeError::MissingFields, "not a number")),
                }
            }
            Shape::Status => Ok(3.min(rest.len())),
            Shape::Signed => {
                let sign = usize::from(matches!(rest.first(), Some(b'+' | b'-')));
                match rest[sign..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count()
                {
                    n @ 1..=19 => Ok(sign + n),
                    _ => Err((DecodeError::MissingFields, "not a number")),
                }
            }
            Shape::Capture { space } => match rest.first() {
                Some(b'{') => {
                    let end = memchr::memchr(b'}', rest).map(|end| end + 1).ok_or((
                        DecodeError::MissingFields,
                        "a capture block is not closed with }",
                    ))?;
                    match (space, rest.get(end)) {
                        (false, _) => Ok(end),
                        (true, Some(b' ')) => Ok(end + 1),
                        (true, _) => Err((
                            DecodeError::MissingFields,
                            "a capture block is not followed by a space",
                        )),
                    }
                }
                _ => Ok(0),
            },
            Shape::Address => Ok(address_len(rest)),
            Shape::List { times, stop } => list_len(rest, times, stop),
            Shape::Token { stop, path } => Ok(token_len(rest, stop, path)),
            Shape::Text => match (self.finders.get(i).and_then(Option::as_ref), last) {
                (None, _) => Ok(rest.len()),
                (Some(_), true) => rest
                    .ends_with(&step.then)
                    .then(|| rest.len() - step.then.len())
                    .ok_or((
                        DecodeError::MissingFields,
                        "the line does not end as the format does",
                    )),
                (Some(f), false) => f.0.find(rest).ok_or((
                    DecodeError::MissingFields,
                    "the text after this value is not in the line",
                )),
            },
            Shape::Quoted { .. } => self.quoted_len(step, last, rest),
        }
    }

    /// The length of a quoted value that holds no quote but an escaped one: up to its first
    /// quote (outside an escape, where backslashes escape), which the step's text must
    /// follow (and end the line, for the last step).
    fn quoted_len(&self, step: &Step<F>, last: bool, rest: &[u8]) -> Result<usize, Bad> {
        let t = &step.then;
        let mut at = 0;
        while let Some(found) = memchr::memchr2(b'"', b'\\', rest.get(at..).unwrap_or_default()) {
            let q = at + found;
            if rest[q] == b'\\' {
                at = q + if self.escape == Escape::Backslash {
                    2
                } else {
                    1
                };
                continue;
            }
            let after = &rest[q..];
            return match (step.then_at(after), !last || after.len() == t.len()) {
                (true, true) => Ok(q),
                (true, false) => Err(GOES_ON),
                (false, _) => Err((
                    DecodeError::MissingFields,
                    "the text after the closing quote is not the format's",
                )),
            };
        }
        Err(UNTERMINATED)
    }
}

impl Miss {
    /// The step the place names.
    fn place_step(&self) -> Option<usize> {
        match self.place {
            Place::Field(i) | Place::After(i) => Some(i),
            Place::Head | Place::End => None,
        }
    }
}

const UNTERMINATED: Bad = (
    DecodeError::UnterminatedQuote,
    "no closing quote followed by the format's next text",
);

fn miss(place: Place, at: usize, (error, what): Bad) -> Miss {
    Miss {
        place,
        at,
        error,
        what,
    }
}

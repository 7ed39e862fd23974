//! String text in a JSON line: finding where a run of plain text stops (8 bytes at a time),
//! reading a string's raw text, and unescaping it in one pass for
//! [`string_member`](super::string_member).

use super::Cursor;
use crate::decode::DecodeError;
use crate::decode::swar::{HIGH, below, splat, zero_bytes};

/// Where [`Cursor::unescaped`] left a string's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Text {
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

/// The bytes of `w` that end a run of string text (see [`crate::decode::swar`]).
fn word_stops(w: u64) -> u64 {
    zero_bytes(w ^ splat(b'"')) | zero_bytes(w ^ splat(b'\\')) | below(w, 0x20)
}

/// True for a byte that ends a run of string text.
fn is_stop(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

impl<'a> Cursor<'a> {
    /// The raw text of a string whose opening quote was just read; the cursor ends after the
    /// closing quote.
    pub(super) fn string(&mut self) -> Result<&'a [u8], DecodeError> {
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
    /// does not allow (see [`string_member`](super::string_member)). UTF-8 is checked once, at the end, and only
    /// when a byte was not ASCII (an escape writes whole characters, so the text is valid
    /// exactly when its unescaped runs are). An unterminated string is an error.
    ///
    /// `out` only grows: at a string's first escape it is lengthened (zeroed) to the rest
    /// of the line if it is shorter, and never shortened, so the zeroing is paid once per
    /// longer line, not per string; [`Text::Written`] says how much of it is the text.
    pub(super) fn unescaped(&mut self, out: &mut Vec<u8>) -> Result<Text, DecodeError> {
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
}

//! Compiled log formats: a format string (nginx `log_format`, Envoy's command operators)
//! turned once, at config load, into a [`Layout`] of text and fields, each field with the
//! [`Shape`] its value has in the line.
//!
//! A dialect ([`nginx`], [`envoy`], [`haproxy`]) parses its own syntax into [`Part`]s: literal text, and
//! fields with a [`Kind`] (what a value looks like) and a meaning of the dialect's own type
//! `F`. [`Layout::new`] gives each field its shape from its kind and the text around it: a
//! text or token field between double quotes is a quoted string; a token ends at a space or
//! at the first byte of the text after it; a field that runs to the next text needs a text
//! after it, so two such fields with nothing between them are refused. Reading a line
//! ([`Layout::scan`]) walks the layout once, hands each field's value to the dialect's
//! [`Sink`], and succeeds only when the line follows the format from its first byte to its
//! last, every value in its shape. Otherwise the [`Miss`] says at which item, at which
//! byte and why; [`Layout::explain`] turns it into a sentence for `explain`.
//!
//! Quoted values end at their first quote where the producer escapes quotes inside values
//! ([`Escape::Backslash`]: nginx's `\x22`, JSON's `\"`). Where it does not (Envoy), a value
//! may hold quotes: each quote that the format's next text follows is a candidate end, and
//! the first candidate after which the rest of the line reads to its end wins, so the
//! unambiguous fields around such a value pin it, however many quotes it holds (a header
//! value holding the very text between two fields, quote, space, quote, can still mislead it
//! when another free-text field follows).

use memchr::memmem;

use super::{DecodeError, fields};

pub mod envoy;
pub mod haproxy;
pub mod nginx;
mod shapes;

use shapes::{address_len, millis_len, starts_with, syslog_body, token_len};
pub(crate) use shapes::{dash_empty, list_items, list_len, millis_us, percent_text};

/// A value that is not in its field's shape: the decode error and a phrase for `explain`.
pub(crate) type Bad = (DecodeError, &'static str);

/// What a field's value looks like, as the dialect knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// Exactly this many bytes.
    Fixed(usize),
    /// Digits, a point and exactly three digits.
    Millis,
    /// Digits, or `-` when `dash`.
    Number { dash: bool },
    /// Three digits.
    Status,
    /// Digits with an optional `+` or `-` (HAProxy's timers and counts: `-1`, `+30`).
    Signed,
    /// A capture block `{…}`, or nothing: an absent block is written without the space
    /// after it (HAProxy's `%hr`, `%hs`).
    Capture,
    /// Items separated by `, ` or ` : `; `times`: each item is `-` or [`Kind::Millis`].
    List { times: bool },
    /// Free text, up to the format's next text (or quoted, between quotes).
    Text,
    /// No spaces (or quoted, between quotes).
    Token,
}

/// A part of a format as a dialect parsed it.
#[derive(Debug, Clone)]
pub(crate) enum Part<F> {
    /// Text written as it is.
    Text(Vec<u8>),
    /// A field: its meaning, its name as the format writes it, what its value looks like,
    /// whether the value starts with `/` (a path: a token before it may end there), whether
    /// it may hold quotes where the producer does not escape them (a header such as the user
    /// agent; never a host or an id), and whether the event reads it (else it is only
    /// checked to have its shape).
    Field {
        field: F,
        name: String,
        kind: Kind,
        slash: bool,
        quotes: bool,
        read: bool,
    },
}

/// The parts of a format as a dialect's parser meets them; text next to text is one part.
#[derive(Debug, Clone)]
pub(crate) struct Parts<F>(Vec<Part<F>>);

impl<F: Copy> Parts<F> {
    /// No parts yet.
    pub(crate) fn new() -> Self {
        Self(Vec::new())
    }

    /// Appends text (to the text before it, if any).
    pub(crate) fn text(&mut self, text: &[u8]) {
        match self.0.last_mut() {
            Some(Part::Text(t)) => t.extend_from_slice(text),
            _ => self.0.push(Part::Text(text.to_vec())),
        }
    }

    /// Appends a part.
    pub(crate) fn push(&mut self, part: Part<F>) {
        match part {
            Part::Text(t) => self.text(&t),
            field => self.0.push(field),
        }
    }

    /// Whether a field means something `want` accepts.
    pub(crate) fn has(&self, want: impl Fn(F) -> bool) -> bool {
        self.0
            .iter()
            .any(|p| matches!(p, Part::Field { field, .. } if want(*field)))
    }
}

impl<F: Copy> From<Vec<Part<F>>> for Parts<F> {
    fn from(parts: Vec<Part<F>>) -> Self {
        let mut out = Self::new();
        for part in parts {
            out.push(part);
        }
        out
    }
}

/// How a field's value is delimited in the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Shape {
    /// Exactly this many bytes.
    Fixed(usize),
    /// Digits, a point and exactly three digits.
    Millis,
    /// Digits (up to 19), or `-` when `dash`.
    Number { dash: bool },
    /// Three digits.
    Status,
    /// Digits (up to 19) with an optional `+` or `-`.
    Signed,
    /// `{…}`, or nothing; `space`: the format has a space after it, which the line has only
    /// after a block, so a block's value takes it (and the step's text does not start with it).
    Capture { space: bool },
    /// Up to the last `:` before a space (an address before `:port`, IPv6 ones holding
    /// colons).
    Address,
    /// Items separated by `, ` or ` : `, each ending at a space, a comma or `stop` (the next
    /// text's first byte); `times`: each item is `-` or [`Shape::Millis`].
    List { times: bool, stop: u8 },
    /// Between double quotes: up to the closing quote, which the next text follows; `free`:
    /// the value may hold unescaped quotes (see the module docs).
    Quoted { free: bool },
    /// Up to the format's next text.
    Text,
    /// Up to a space, `stop` (the next text's first byte) or `path` (`/` before a path).
    Token { stop: u8, path: u8 },
}

impl Shape {
    /// The shape in words.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Shape::Fixed(_) => "a date",
            Shape::Millis => "seconds with three decimals",
            Shape::Number { .. } => "a number",
            Shape::Status => "a three-digit status",
            Shape::Signed => "a number with an optional sign",
            Shape::Capture { .. } => "a capture block {…}, or nothing",
            Shape::Address => "an address",
            Shape::List { times: true, .. } => "a list of timings",
            Shape::List { times: false, .. } => "a list",
            Shape::Quoted { .. } => "a quoted string",
            Shape::Text => "text",
            Shape::Token { .. } => "a token without spaces",
        }
    }
}

/// One item of a layout as the format reads, for tests that build lines from it.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Item<'l, F> {
    /// Text written as it is.
    Text(&'l [u8]),
    /// A field and its name as the format writes it.
    Field { field: F, name: &'l str },
}

/// Whether the producer escapes quotes inside quoted values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Escape {
    /// A backslash escapes the byte after it (nginx `\x22`, JSON `\"`): a quote inside a
    /// value is always escaped.
    Backslash,
    /// Values are written as they are and may hold quotes (Envoy).
    None,
}

/// Two fields with nothing between them that tells where the first ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Adjacent(pub(crate) String, pub(crate) String);

/// A field of a compiled layout with the text that follows it: reading a line is one step
/// per field. Kept small (what explaining needs is beside it in [`Layout`]), as a line
/// walks every step.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Step<F> {
    field: F,
    shape: Shape,
    /// Whether the sink takes the value (a field nothing reads is only checked).
    read: bool,
    /// The text after the field, up to the next field (empty when another field or the end
    /// follows).
    then: Box<[u8]>,
    /// `then` of 1 to 8 bytes as a little-endian word, and the mask of its bytes (0 for
    /// another length): compared with a line's next 8 bytes in one go.
    word: u64,
    mask: u64,
}

impl<F> Step<F> {
    /// Whether `s` starts with the step's text.
    fn then_at(&self, s: &[u8]) -> bool {
        match s.first_chunk::<8>() {
            Some(chunk) if self.mask != 0 => u64::from_le_bytes(*chunk) & self.mask == self.word,
            _ => starts_with(s, &self.then),
        }
    }
}

/// `text` of 1 to 8 bytes as a little-endian word and the mask of its bytes; `(0, 0)` for
/// another length.
fn text_word(text: &[u8]) -> (u64, u64) {
    if text.is_empty() || text.len() > 8 {
        return (0, 0);
    }
    let mut bytes = [0u8; 8];
    bytes[..text.len()].copy_from_slice(text);
    let mask = u64::MAX >> (8 * (8 - text.len()));
    (u64::from_le_bytes(bytes), mask)
}

/// A format compiled: the text before its first field, then one step per field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Layout<F> {
    head: Box<[u8]>,
    steps: Vec<Step<F>>,
    /// Per step: the field as the format writes it.
    names: Vec<Box<str>>,
    /// Per step: a searcher for its text, for a value that runs up to it ([`Shape::Text`]).
    finders: Vec<Option<Finder>>,
    escape: Escape,
    /// What comes before the format's first byte in a line.
    preamble: Preamble,
}

/// What a line may carry before its format's first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Preamble {
    /// Nothing: the line is the format.
    None,
    /// A syslog header, when there is one (see [`shapes::syslog_body`]).
    Syslog,
}

/// A substring searcher that compares, hashes and prints as its needle (`PartialEq`, `Hash`,
/// and `Debug`, which cluster fingerprints hash: never the searcher's internals).
#[derive(Clone)]
struct Finder(memmem::Finder<'static>);

impl std::fmt::Debug for Finder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Finder")
            .field(&String::from_utf8_lossy(self.0.needle()))
            .finish()
    }
}

impl PartialEq for Finder {
    fn eq(&self, other: &Self) -> bool {
        self.0.needle() == other.0.needle()
    }
}

impl Eq for Finder {}

impl std::hash::Hash for Finder {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.needle().hash(state);
    }
}

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
    /// The layout of `parts`, with quoted values escaped as `escape` says.
    pub(crate) fn new(parts: Parts<F>, escape: Escape) -> Result<Self, Adjacent> {
        let parts = parts.0;
        let mut head = Vec::new();
        let mut steps: Vec<Step<F>> = Vec::with_capacity(parts.len());
        let (mut names, mut finders) = (Vec::new(), Vec::new());
        for (i, part) in parts.iter().enumerate() {
            let (field, name, kind, quotes, read) = match part {
                Part::Text(t) => {
                    match steps.last_mut() {
                        Some(step) => {
                            let mut t = &t[..];
                            if let (Shape::Capture { space }, [b' ', rest @ ..]) =
                                (&mut step.shape, t)
                            {
                                *space = true;
                                t = rest;
                            }
                            step.then = t.into();
                        }
                        None => head = t.clone(),
                    }
                    continue;
                }
                Part::Field {
                    field,
                    name,
                    kind,
                    quotes,
                    read,
                    ..
                } => (*field, name, *kind, *quotes, *read),
            };
            let before = i.checked_sub(1).and_then(|j| match &parts[j] {
                Part::Text(t) => t.last().copied(),
                Part::Field { .. } => None,
            });
            let (next_text, next_field) = match parts.get(i + 1) {
                Some(Part::Text(t)) => (t.first().copied(), None),
                Some(Part::Field { name, slash, .. }) => (None, Some((name, *slash))),
                None => (None, None),
            };
            let quoted = before == Some(b'"') && next_text == Some(b'"');
            let stop = next_text.unwrap_or(b' ');
            let shape = match kind {
                Kind::Fixed(n) => Shape::Fixed(n),
                Kind::Millis => Shape::Millis,
                Kind::Number { dash } => Shape::Number { dash },
                Kind::Status => Shape::Status,
                Kind::Signed => Shape::Signed,
                Kind::Capture => Shape::Capture { space: false },
                Kind::List { times } => Shape::List { times, stop },
                Kind::Text | Kind::Token if quoted => Shape::Quoted {
                    free: quotes && escape == Escape::None,
                },
                Kind::Text => Shape::Text,
                Kind::Token if stop == b':' => Shape::Address,
                Kind::Token => Shape::Token {
                    stop,
                    path: if next_field.is_some_and(|(_, slash)| slash) {
                        b'/'
                    } else {
                        b' '
                    },
                },
            };
            let self_delimited = matches!(
                shape,
                Shape::Fixed(_)
                    | Shape::Millis
                    | Shape::Number { .. }
                    | Shape::Status
                    | Shape::Signed
                    | Shape::Capture { .. }
            ) || matches!(shape, Shape::Token { path: b'/', .. });
            if let (Some((next, _)), false) = (next_field, self_delimited) {
                return Err(Adjacent(name.clone(), next.clone()));
            }
            finders.push(match (shape, parts.get(i + 1)) {
                (Shape::Text, Some(Part::Text(t))) => {
                    Some(Finder(memmem::Finder::new(t).into_owned()))
                }
                _ => None,
            });
            names.push(name.as_str().into());
            steps.push(Step {
                field,
                shape,
                read,
                then: Box::default(),
                word: 0,
                mask: 0,
            });
        }
        for step in &mut steps {
            (step.word, step.mask) = text_word(&step.then);
        }
        Ok(Self {
            head: head.into_boxed_slice(),
            steps,
            names,
            finders,
            escape,
            preamble: Preamble::None,
        })
    }

    /// Every field in order: its meaning, its name and its shape.
    pub(crate) fn fields(&self) -> impl Iterator<Item = (F, &str, Shape)> {
        self.steps
            .iter()
            .zip(&self.names)
            .map(|(s, name)| (s.field, &**name, s.shape))
    }

    /// Whether any field means something `wanted` accepts.
    pub(crate) fn has(&self, wanted: impl Fn(F) -> bool) -> bool {
        self.fields().any(|(f, ..)| wanted(f))
    }

    /// The texts and fields in order.
    #[cfg(test)]
    pub(crate) fn items(&self) -> Vec<Item<'_, F>> {
        let mut items = vec![Item::Text(&self.head[..])];
        for (s, name) in self.steps.iter().zip(&self.names) {
            items.push(Item::Field {
                field: s.field,
                name,
            });
            // The space a capture block's value takes is text of the format.
            if s.shape == (Shape::Capture { space: true }) {
                items.push(Item::Text(b" "));
            }
            items.push(Item::Text(&s.then[..]));
        }
        items
    }

    /// This layout for lines that may start with a syslog header (`name[pid]: `, or RFC
    /// 5424's), which is skipped.
    pub(crate) fn after_syslog(mut self) -> Self {
        self.preamble = Preamble::Syslog;
        self
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A step's text compared a word at a time answers as the byte comparison does, for
        /// texts of every length (words only up to 8 bytes) and lines shorter or longer.
        #[test]
        fn then_at_is_starts_with(
            then in proptest::collection::vec(prop_oneof![Just(b' '), Just(b'"'), any::<u8>()], 0..12),
            line in proptest::collection::vec(prop_oneof![Just(b' '), Just(b'"'), any::<u8>()], 0..16),
            prefix in any::<bool>(),
        ) {
            // Half the lines start with the text, so both answers are exercised.
            let line = if prefix { [&then[..], &line[..]].concat() } else { line };
            let (word, mask) = text_word(&then);
            let step = Step { field: (), shape: Shape::Text, read: false, then: then.clone().into(), word, mask };
            prop_assert_eq!(step.then_at(&line), starts_with(&line, &then));
        }
    }
}

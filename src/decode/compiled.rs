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
//! last, every value in its shape. Otherwise the [`Miss`](scan::Miss) says at which item, at which
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

use super::DecodeError;

pub mod envoy;
pub mod haproxy;
pub mod nginx;
mod scan;
mod shapes;

pub(crate) use scan::Sink;
use shapes::starts_with;
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
                    place_text(&mut steps, &mut head, t);
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
            let path = if next_field.is_some_and(|(_, slash)| slash) {
                b'/'
            } else {
                b' '
            };
            let shape = shape_of(kind, quoted, stop, path, quotes && escape == Escape::None);
            if let (Some((next, _)), false) = (next_field, self_delimited(shape)) {
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
}

/// Places text of the format: after a field it is the field's step's `then` (a capture
/// block's following space taken as part of its value's shape); before any field, the head.
fn place_text<F>(steps: &mut [Step<F>], head: &mut Vec<u8>, text: &[u8]) {
    match steps.last_mut() {
        Some(step) => {
            let mut t = text;
            if let (Shape::Capture { space }, [b' ', rest @ ..]) = (&mut step.shape, t) {
                *space = true;
                t = rest;
            }
            step.then = t.into();
        }
        None => *head = text.to_vec(),
    }
}

/// The shape of a field of `kind`: `quoted` when double quotes surround it, `stop` the
/// first byte of the text after it (a space when none), `path` the byte a token also ends
/// at (`/` before a field that starts with one), `free` when a quoted value may hold quotes.
fn shape_of(kind: Kind, quoted: bool, stop: u8, path: u8, free: bool) -> Shape {
    match kind {
        Kind::Fixed(n) => Shape::Fixed(n),
        Kind::Millis => Shape::Millis,
        Kind::Number { dash } => Shape::Number { dash },
        Kind::Status => Shape::Status,
        Kind::Signed => Shape::Signed,
        Kind::Capture => Shape::Capture { space: false },
        Kind::List { times } => Shape::List { times, stop },
        Kind::Text | Kind::Token if quoted => Shape::Quoted { free },
        Kind::Text => Shape::Text,
        Kind::Token if stop == b':' => Shape::Address,
        Kind::Token => Shape::Token { stop, path },
    }
}

/// Whether a value of `shape` ends by itself, so that another field may follow it directly.
fn self_delimited(shape: Shape) -> bool {
    matches!(
        shape,
        Shape::Fixed(_)
            | Shape::Millis
            | Shape::Number { .. }
            | Shape::Status
            | Shape::Signed
            | Shape::Capture { .. }
    ) || matches!(shape, Shape::Token { path: b'/', .. })
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

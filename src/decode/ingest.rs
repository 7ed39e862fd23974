//! The one ingest path: a payload as a source delivers it, in; an [`Event`] or a typed
//! [`Rejection`], out.
//!
//! [`Ingest::decode`] applies, in order, the length cap (`spec.decode.max_line_bytes`), the
//! shipper [`Envelope`] and the format's [`Decoder`]. The running pipeline and `slipstream
//! explain` both call it, so what `explain` says of a line is what the pipeline does with
//! it. A payload longer than the cap is rejected before anything reads it; sources may cut
//! such a payload to `max_line_bytes + 1` bytes without changing the verdict.

use std::fmt;

use super::envelope::Envelope;
use super::{DecodeError, Decoder, Event, LineState};

/// Why a payload yielded no event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// Longer than `spec.decode.max_line_bytes`: not decoded at all.
    TooLong,
    /// The envelope holds no line (not a JSON object with the line under its key).
    Envelope(DecodeError),
    /// The format's decoder rejected the line.
    Format(DecodeError),
}

impl Rejection {
    /// Stable snake_case label for metrics, logs and the dead-letter file: `too_long`, or
    /// the [`DecodeError::reason`].
    pub fn reason(self) -> &'static str {
        match self {
            Rejection::TooLong => "too_long",
            Rejection::Envelope(e) | Rejection::Format(e) => e.reason(),
        }
    }

    /// The stage that rejected the payload: `length`, `envelope` or `format`.
    pub fn stage(self) -> &'static str {
        match self {
            Rejection::TooLong => "length",
            Rejection::Envelope(_) => "envelope",
            Rejection::Format(_) => "format",
        }
    }

    /// The decode error, for a payload that reached the envelope or the decoder.
    pub fn decode_error(self) -> Option<DecodeError> {
        match self {
            Rejection::TooLong => None,
            Rejection::Envelope(e) | Rejection::Format(e) => Some(e),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

/// A decoded payload: the access-log line (out of its envelope) and its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// The access-log line the event was decoded from.
    pub line: &'a [u8],
    /// The event.
    pub event: Event<'a>,
}

/// What a payload yielded, one at a time: an event, a rejection, or a directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<'a> {
    /// A line that decoded.
    Event(Decoded<'a>),
    /// A line, or the whole payload, that yielded no event.
    Rejected(Rejection),
    /// A line that set the partition's format state (a W3C directive), not a request.
    Directive(&'a [u8]),
}

/// The length cap, envelope and decoder of one configuration.
#[derive(Debug)]
pub struct Ingest {
    envelope: Envelope,
    decoder: Box<dyn Decoder>,
    max_line_bytes: usize,
}

impl Ingest {
    /// Payloads longer than `max_line_bytes` are rejected; the others are opened with
    /// `envelope` and decoded with `decoder`.
    pub fn new(envelope: Envelope, decoder: Box<dyn Decoder>, max_line_bytes: usize) -> Self {
        Self {
            envelope,
            decoder,
            max_line_bytes,
        }
    }

    /// The longest payload accepted, bytes.
    pub fn max_line_bytes(&self) -> usize {
        self.max_line_bytes
    }

    /// The configured envelope.
    pub fn envelope(&self) -> Envelope {
        self.envelope
    }

    /// A compiled format's fields, for `explain` (see [`Decoder::layout`]).
    pub fn layout(&self) -> Vec<(String, &'static str, &'static str)> {
        self.decoder.layout()
    }

    /// Why the line in `payload`, read after `state`, does not decode, naming the field,
    /// when the format can say (see [`Decoder::why`]); `None` for a payload that is too
    /// long or not in its envelope.
    pub fn why(&self, payload: &[u8], state: &LineState) -> Option<String> {
        if payload.len() > self.max_line_bytes {
            return None;
        }
        let mut scratch = String::new();
        let line = self.envelope.open(payload, &mut scratch).ok()?;
        self.decoder.why(line, state)
    }

    /// Runs `payload` (one line or message, without its newline) through the length cap,
    /// the envelope and the decoder, with the partition's format `state` (which a directive
    /// line updates), and hands what it yielded to `each`; `scratch` holds the line when it
    /// had to be unescaped out of its envelope (its allocation is reused).
    pub fn read(
        &self,
        payload: &[u8],
        scratch: &mut String,
        state: &mut LineState,
        mut each: impl FnMut(Item<'_>),
    ) {
        if payload.len() > self.max_line_bytes {
            return each(Item::Rejected(Rejection::TooLong));
        }
        let line = match self.envelope.open(payload, scratch) {
            Ok(line) => line,
            Err(e) => return each(Item::Rejected(Rejection::Envelope(e))),
        };
        each(match self.decoder.decode_in(line, state) {
            Ok(Some(event)) => Item::Event(Decoded { line, event }),
            Ok(None) => Item::Directive(line),
            Err(e) => Item::Rejected(Rejection::Format(e)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{Format, FormatOptions, w3c};

    const NGINX: &[u8] = br#"10.0.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 12 "-" "curl" 0.005 0.004"#;

    fn ingest(envelope: Envelope, max: usize) -> Ingest {
        Ingest::new(envelope, Format::Nginx.decoder(&Default::default()), max)
    }

    /// What `read` yielded for `payload`, owned: the line and status of each event, or the
    /// rejection, or the directive.
    #[derive(Debug, PartialEq)]
    enum Got {
        Event(Vec<u8>, u16),
        Rejected(Rejection),
        Directive(Vec<u8>),
    }

    fn read(i: &Ingest, payload: &[u8], state: &mut LineState) -> Vec<Got> {
        let (mut got, mut scratch) = (Vec::new(), String::new());
        i.read(payload, &mut scratch, state, |item| {
            got.push(match item {
                Item::Event(d) => Got::Event(d.line.to_vec(), d.event.status),
                Item::Rejected(r) => Got::Rejected(r),
                Item::Directive(line) => Got::Directive(line.to_vec()),
            })
        });
        got
    }

    fn one(i: &Ingest, payload: &[u8]) -> Got {
        let mut got = read(i, payload, &mut LineState::default());
        assert_eq!(got.len(), 1, "{got:?}");
        got.remove(0)
    }

    #[test]
    fn a_line_within_the_cap_decodes() {
        let i = ingest(Envelope::None, NGINX.len());
        assert_eq!(one(&i, NGINX), Got::Event(NGINX.to_vec(), 200));
    }

    #[test]
    fn a_line_one_byte_over_the_cap_is_too_long_before_decoding() {
        let i = ingest(Envelope::None, NGINX.len() - 1);
        assert_eq!(one(&i, NGINX), Got::Rejected(Rejection::TooLong));
        assert_eq!(Rejection::TooLong.reason(), "too_long");
        assert_eq!(Rejection::TooLong.stage(), "length");
        assert_eq!(Rejection::TooLong.decode_error(), None);
    }

    #[test]
    fn the_cap_applies_to_the_message_not_the_line_inside_it() {
        let message = format!(
            r#"{{"message":{}}}"#,
            serde_json::to_string(std::str::from_utf8(NGINX).unwrap()).unwrap()
        );
        let i = ingest(Envelope::Json, NGINX.len());
        assert_eq!(
            one(&i, message.as_bytes()),
            Got::Rejected(Rejection::TooLong)
        );
        let i = ingest(Envelope::Json, message.len());
        assert_eq!(one(&i, message.as_bytes()), Got::Event(NGINX.to_vec(), 200));
    }

    #[test]
    fn rejections_name_their_stage() {
        let i = ingest(Envelope::Json, 1 << 20);
        let Got::Rejected(e) = one(&i, b"not json") else {
            panic!("decoded")
        };
        assert_eq!(e, Rejection::Envelope(DecodeError::BadEnvelope));
        assert_eq!((e.stage(), e.reason()), ("envelope", "bad_envelope"));
        let Got::Rejected(e) = one(&i, br#"{"message":"nonsense"}"#) else {
            panic!("decoded")
        };
        assert_eq!(e.stage(), "format");
        assert_eq!(e.decode_error(), Some(DecodeError::MissingFields));
    }

    #[test]
    fn a_directive_sets_the_state_the_next_lines_are_read_with() {
        let options = FormatOptions {
            w3c: Some(w3c::Preset::Iis),
            ..FormatOptions::default()
        };
        let i = Ingest::new(Envelope::None, Format::W3c.decoder(&options), 1 << 10);
        let line = b"2026-11-21 10:00:01 GET /a 200 46";
        let mut state = LineState::default();
        assert_eq!(
            read(&i, line, &mut state),
            [Got::Rejected(Rejection::Format(DecodeError::MissingFields))]
        );
        assert!(i.why(line, &state).unwrap().contains("no #Fields:"));
        let header = b"#Fields: date time cs-method cs-uri-stem sc-status time-taken";
        assert_eq!(
            read(&i, header, &mut state),
            [Got::Directive(header.to_vec())]
        );
        assert_eq!(state.saved(), Some(&header[..]));
        assert_eq!(read(&i, line, &mut state), [Got::Event(line.to_vec(), 200)]);
        // What a checkpoint keeps restores the same reading.
        let mut restored = LineState::restore(state.saved());
        assert_eq!(restored, state);
        assert_eq!(
            read(&i, line, &mut restored),
            [Got::Event(line.to_vec(), 200)]
        );
    }
}

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
use super::{DecodeError, Decoder, Event};

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

    /// Why the line in `payload` does not decode, naming the field, when the format can
    /// say (see [`Decoder::why`]); `None` for a payload that is too long or not in its
    /// envelope.
    pub fn why(&self, payload: &[u8]) -> Option<String> {
        if payload.len() > self.max_line_bytes {
            return None;
        }
        let mut scratch = String::new();
        let line = self.envelope.open(payload, &mut scratch).ok()?;
        self.decoder.why(line)
    }

    /// Runs `payload` (one line or message, without its newline) through the length cap,
    /// the envelope and the decoder; `scratch` holds the line when it had to be unescaped
    /// out of its envelope (its allocation is reused).
    pub fn decode<'a>(
        &self,
        payload: &'a [u8],
        scratch: &'a mut String,
    ) -> Result<Decoded<'a>, Rejection> {
        if payload.len() > self.max_line_bytes {
            return Err(Rejection::TooLong);
        }
        let line = self
            .envelope
            .open(payload, scratch)
            .map_err(Rejection::Envelope)?;
        let event = self.decoder.decode(line).map_err(Rejection::Format)?;
        Ok(Decoded { line, event })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Format;

    const NGINX: &[u8] = br#"10.0.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 12 "-" "curl" 0.005 0.004"#;

    fn ingest(envelope: Envelope, max: usize) -> Ingest {
        Ingest::new(envelope, Format::Nginx.decoder(&Default::default()), max)
    }

    #[test]
    fn a_line_within_the_cap_decodes() {
        let i = ingest(Envelope::None, NGINX.len());
        let mut scratch = String::new();
        let d = i.decode(NGINX, &mut scratch).expect("decodes");
        assert_eq!(d.line, NGINX);
        assert_eq!(d.event.status, 200);
    }

    #[test]
    fn a_line_one_byte_over_the_cap_is_too_long_before_decoding() {
        let i = ingest(Envelope::None, NGINX.len() - 1);
        let mut scratch = String::new();
        assert_eq!(i.decode(NGINX, &mut scratch), Err(Rejection::TooLong));
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
        let mut scratch = String::new();
        assert_eq!(
            i.decode(message.as_bytes(), &mut scratch),
            Err(Rejection::TooLong)
        );
        let i = ingest(Envelope::Json, message.len());
        let mut scratch = String::new();
        assert_eq!(
            i.decode(message.as_bytes(), &mut scratch).unwrap().line,
            NGINX
        );
    }

    #[test]
    fn rejections_name_their_stage() {
        let i = ingest(Envelope::Json, 1 << 20);
        let mut scratch = String::new();
        let e = i.decode(b"not json", &mut scratch).unwrap_err();
        assert_eq!(e, Rejection::Envelope(DecodeError::BadEnvelope));
        assert_eq!((e.stage(), e.reason()), ("envelope", "bad_envelope"));
        let e = i
            .decode(br#"{"message":"nonsense"}"#, &mut scratch)
            .unwrap_err();
        assert_eq!(e.stage(), "format");
        assert_eq!(e.decode_error(), Some(DecodeError::MissingFields));
    }
}

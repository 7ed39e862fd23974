//! The one ingest path: a payload as a source delivers it, in; an [`Event`] or a typed
//! [`Rejection`], out.
//!
//! [`Ingest::read`] applies, in order, the length cap (`spec.decode.max_line_bytes`), the
//! shipper [`Envelope`] and the format's [`Decoder`]. The running pipeline and `slipstream
//! explain` both call it, so what `explain` says of a line is what the pipeline does with
//! it. A payload longer than the cap is rejected before anything reads it; sources may cut
//! such a payload to the cap plus one byte without changing the verdict.
//!
//! An OTLP envelope's payload is a Collector batch of many log records ([`otlp`]): the cap
//! on it is the batch's ([`Limits`]), and each record is then one line, capped at
//! `max_line_bytes` and decoded on its own (or, for a format of records such as
//! `otel_http`, read from its attributes). One payload then yields an [`Item`] per record.

use std::fmt;

use super::envelope::Envelope;
use super::otlp::{self, Record};
use super::{DecodeError, Decoder, Event, LineState};

/// How large a payload may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest line, or log record of a batch, in bytes (`spec.decode.max_line_bytes`).
    pub max_line_bytes: usize,
    /// The bounds of an OTLP batch.
    pub batch: BatchLimits,
}

impl Limits {
    /// Lines of at most `max_line_bytes`, and the default batch bounds.
    pub fn lines(max_line_bytes: usize) -> Self {
        Self {
            max_line_bytes,
            batch: BatchLimits::default(),
        }
    }
}

/// The bounds of one OTLP batch message (`spec.decode.otlp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// The largest message, bytes.
    pub max_bytes: usize,
    /// The most log records in one message.
    pub max_records: usize,
}

impl Default for BatchLimits {
    /// 16 MiB and 65 536 records: the Collector's Kafka exporter sends messages of at most
    /// 1 MB by default (`producer.max_message_bytes`), and its batch processor sends 8 192
    /// records at a time by default (`send_batch_size`).
    fn default() -> Self {
        Self {
            max_bytes: 16 << 20,
            max_records: 65_536,
        }
    }
}

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
    /// A line, or the whole payload, that yielded no event: `record` is the log record's
    /// line when the payload is a batch (empty for a record without one), `None` when the
    /// rejected line is the payload.
    Rejected {
        /// Why.
        rejection: Rejection,
        /// The record's line, for a record of a batch.
        record: Option<&'a [u8]>,
    },
    /// A line that set the partition's format state (a W3C directive), not a request.
    Directive(&'a [u8]),
}

impl Item<'_> {
    /// The whole payload rejected.
    fn whole(rejection: Rejection) -> Self {
        Item::Rejected {
            rejection,
            record: None,
        }
    }
}

/// The length cap, envelope and decoder of one configuration.
#[derive(Debug)]
pub struct Ingest {
    envelope: Envelope,
    decoder: Box<dyn Decoder>,
    limits: Limits,
}

impl Ingest {
    /// Payloads over `limits` are rejected; the others are opened with `envelope` and
    /// decoded with `decoder`.
    pub fn new(envelope: Envelope, decoder: Box<dyn Decoder>, limits: Limits) -> Self {
        Self {
            envelope,
            decoder,
            limits,
        }
    }

    /// The longest line accepted, bytes.
    pub fn max_line_bytes(&self) -> usize {
        self.limits.max_line_bytes
    }

    /// The size limits.
    pub fn limits(&self) -> Limits {
        self.limits
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
        if payload.len() > self.limits.max_line_bytes {
            return None;
        }
        let mut scratch = Vec::new();
        let line = self.envelope.open(payload, &mut scratch).ok()?;
        self.decoder.why(line, state)
    }

    /// Why the line of one log record of a batch does not decode, naming the field, when
    /// the format can say.
    pub fn why_line(&self, line: &[u8], state: &LineState) -> Option<String> {
        self.decoder.why(line, state)
    }

    /// Runs `payload` (one line or message, without its newline) through the length cap,
    /// the envelope and the decoder, with the partition's format `state` (which a directive
    /// line updates), and hands what it yielded to `each`; `scratch` holds the line when it
    /// had to be unescaped out of its envelope (its allocation is reused).
    pub fn read(
        &self,
        payload: &[u8],
        scratch: &mut Vec<u8>,
        state: &mut LineState,
        mut each: impl FnMut(Item<'_>),
    ) {
        if let Some(encoding) = self.envelope.batch() {
            return self.read_batch(encoding, payload, state, each);
        }
        if payload.len() > self.limits.max_line_bytes {
            return each(Item::whole(Rejection::TooLong));
        }
        let line = match self.envelope.open(payload, scratch) {
            Ok(line) => line,
            Err(e) => return each(Item::whole(Rejection::Envelope(e))),
        };
        each(self.line(line, state, None))
    }

    /// What `line` yields: `record` is the line again when it is a log record of a batch.
    fn line<'a>(
        &self,
        line: &'a [u8],
        state: &mut LineState,
        record: Option<&'a [u8]>,
    ) -> Item<'a> {
        match self.decoder.decode_in(line, state) {
            Ok(Some(event)) => Item::Event(Decoded { line, event }),
            Ok(None) => Item::Directive(line),
            Err(e) => Item::Rejected {
                rejection: Rejection::Format(e),
                record,
            },
        }
    }

    /// Reads an OTLP batch: within its bounds, each record by the format (its attributes
    /// for a format of records, else its string body as a line).
    fn read_batch(
        &self,
        encoding: otlp::Encoding,
        payload: &[u8],
        state: &mut LineState,
        mut each: impl FnMut(Item<'_>),
    ) {
        if payload.len() > self.limits.batch.max_bytes {
            return each(Item::whole(Rejection::TooLong));
        }
        let batch = match otlp::parse(encoding, payload, self.limits.batch.max_records) {
            Ok(batch) => batch,
            Err(_) => return each(Item::whole(Rejection::Envelope(DecodeError::BadEnvelope))),
        };
        for record in batch.records() {
            each(self.record(&record, state));
        }
    }

    /// What one log record of a batch yields.
    fn record<'a>(&self, record: &Record<'a>, state: &mut LineState) -> Item<'a> {
        let text = record.text();
        let rejected = |rejection| Item::Rejected {
            rejection,
            record: Some(text),
        };
        if let Some(read) = self.decoder.record(record) {
            return match read {
                Ok(event) => Item::Event(Decoded { line: text, event }),
                Err(e) => rejected(Rejection::Format(e)),
            };
        }
        match record.body {
            None => rejected(Rejection::Envelope(DecodeError::BadEnvelope)),
            Some(_) if text.len() > self.limits.max_line_bytes => rejected(Rejection::TooLong),
            Some(_) => self.line(text, state, Some(text)),
        }
    }
}

#[cfg(test)]
mod tests;

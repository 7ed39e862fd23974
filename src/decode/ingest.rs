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
mod tests {
    use super::*;
    use crate::decode::{Format, FormatOptions, w3c};

    const NGINX: &[u8] = br#"10.0.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 12 "-" "curl" 0.005 0.004"#;

    fn ingest(envelope: Envelope, max: usize) -> Ingest {
        Ingest::new(
            envelope,
            Format::Nginx.decoder(&Default::default()),
            Limits::lines(max),
        )
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
        let (mut got, mut scratch) = (Vec::new(), Vec::new());
        i.read(payload, &mut scratch, state, |item| {
            got.push(match item {
                Item::Event(d) => Got::Event(d.line.to_vec(), d.event.status),
                Item::Rejected { rejection, .. } => Got::Rejected(rejection),
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
        let i = Ingest::new(
            Envelope::None,
            Format::W3c.decoder(&options),
            Limits::lines(1 << 10),
        );
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

    /// An OTLP/JSON batch of one resource whose records have these string bodies (`None`:
    /// a map body), all at one time.
    fn json_batch(bodies: &[Option<&str>]) -> Vec<u8> {
        let records: Vec<serde_json::Value> = bodies
            .iter()
            .map(|b| {
                let body = match b {
                    Some(text) => serde_json::json!({"stringValue": text}),
                    None => serde_json::json!({"kvlistValue": {"values": []}}),
                };
                serde_json::json!({"timeUnixNano": "1795255200000000000", "body": body})
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "resourceLogs": [{"resource": {}, "scopeLogs": [{"scope": {}, "logRecords": records}]}]
        }))
        .unwrap()
    }

    fn otlp(envelope: Envelope, format: Format, limits: Limits) -> Ingest {
        Ingest::new(envelope, format.decoder(&FormatOptions::default()), limits)
    }

    #[test]
    fn each_log_record_of_a_batch_is_a_line_under_the_line_cap() {
        let nginx = std::str::from_utf8(NGINX).unwrap();
        let long = format!("{nginx} {}", "x".repeat(40));
        let payload = json_batch(&[
            Some(nginx),
            Some("nonsense"),
            None,
            Some(&long),
            Some(nginx),
        ]);
        // The cap is on each record, not on the message, which is far longer.
        let i = otlp(
            Envelope::OtlpJson,
            Format::Nginx,
            Limits::lines(NGINX.len() + 20),
        );
        assert!(payload.len() > NGINX.len() * 3);
        assert_eq!(
            read(&i, &payload, &mut LineState::default()),
            [
                Got::Event(NGINX.to_vec(), 200),
                Got::Rejected(Rejection::Format(DecodeError::MissingFields)),
                Got::Rejected(Rejection::Envelope(DecodeError::BadEnvelope)),
                Got::Rejected(Rejection::TooLong),
                Got::Event(NGINX.to_vec(), 200),
            ]
        );
        // A rejected record carries its own line, for the dead-letter file.
        let (mut lines, mut scratch) = (Vec::new(), Vec::new());
        i.read(&payload, &mut scratch, &mut LineState::default(), |item| {
            if let Item::Rejected { record, .. } = item {
                lines.push(record.map(<[u8]>::to_vec));
            }
        });
        assert_eq!(
            lines,
            [
                Some(b"nonsense".to_vec()),
                Some(Vec::new()),
                Some(long.into_bytes())
            ]
        );
    }

    #[test]
    fn a_batch_is_bounded_in_bytes_and_records_and_must_be_otlp() {
        let nginx = std::str::from_utf8(NGINX).unwrap();
        let payload = json_batch(&[Some(nginx); 3]);
        let bounded = |max_bytes, max_records| Limits {
            max_line_bytes: 1 << 10,
            batch: BatchLimits {
                max_bytes,
                max_records,
            },
        };
        let i = otlp(Envelope::OtlpJson, Format::Nginx, bounded(payload.len(), 3));
        assert_eq!(read(&i, &payload, &mut LineState::default()).len(), 3);
        let i = otlp(
            Envelope::OtlpJson,
            Format::Nginx,
            bounded(payload.len() - 1, 3),
        );
        assert_eq!(
            read(&i, &payload, &mut LineState::default()),
            [Got::Rejected(Rejection::TooLong)]
        );
        let i = otlp(Envelope::OtlpJson, Format::Nginx, bounded(payload.len(), 2));
        assert_eq!(
            read(&i, &payload, &mut LineState::default()),
            [Got::Rejected(Rejection::Envelope(DecodeError::BadEnvelope))]
        );
        for (envelope, not_otlp) in [
            (Envelope::OtlpJson, &br#"{"message":"a vector line"}"#[..]),
            (Envelope::OtlpProto, NGINX),
        ] {
            let i = otlp(envelope, Format::Nginx, Limits::lines(1 << 10));
            assert_eq!(
                read(&i, not_otlp, &mut LineState::default()),
                [Got::Rejected(Rejection::Envelope(DecodeError::BadEnvelope))]
            );
        }
    }

    #[test]
    fn otel_http_reads_records_from_their_attributes() {
        use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
        use opentelemetry_proto::tonic::logs::v1::{LogRecord, LogsData, ResourceLogs, ScopeLogs};
        use prost::Message;
        let kv = |key: &str, value: Value| KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
        };
        let record = |status: i64| LogRecord {
            time_unix_nano: 1_795_255_200_000_000_000,
            attributes: vec![
                kv("http.request.method", Value::StringValue("GET".into())),
                kv("http.response.status_code", Value::IntValue(status)),
                kv("http.server.request.duration", Value::DoubleValue(0.25)),
            ],
            ..LogRecord::default()
        };
        let payload = LogsData {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: vec![record(200), record(503), record(9999)],
                    ..ScopeLogs::default()
                }],
                ..ResourceLogs::default()
            }],
        }
        .encode_to_vec();
        let i = otlp(
            Envelope::OtlpProto,
            Format::OtelHttp,
            Limits::lines(1 << 10),
        );
        assert_eq!(
            read(&i, &payload, &mut LineState::default()),
            [
                Got::Event(Vec::new(), 200),
                Got::Event(Vec::new(), 503),
                Got::Rejected(Rejection::Format(DecodeError::BadStatus)),
            ]
        );
        // A text line is no record.
        let i = otlp(Envelope::None, Format::OtelHttp, Limits::lines(1 << 10));
        assert_eq!(
            one(&i, NGINX),
            Got::Rejected(Rejection::Format(DecodeError::MissingFields))
        );
    }
}

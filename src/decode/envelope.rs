//! Shipper envelopes: where the access-log line sits inside a message.
//!
//! - `none`: the payload is the line.
//! - `vector`: a JSON object with the line under `message` (Vector's `json` codec; its
//!   `timestamp`, `host`, `source_type`, … are ignored).
//! - `filebeat`: a JSON object with the line under `message` (`@timestamp`, `log.file.path`,
//!   `host`, `agent`, … are ignored).
//! - `fluentbit`: a JSON object with the line under `log` (`@timestamp`, an epoch float, and
//!   the other keys are ignored).
//! - `json`: any of these: the line under `message`, or else under `log` (whichever holds a
//!   string, so Filebeat's `log` object is passed over).
//! - `otlp_proto`, `otlp_json`: an OpenTelemetry Collector batch of many log records (see
//!   [`super::otlp`]); each record's string body is a line. [`Ingest::read`] opens these,
//!   since one payload holds many lines; [`Envelope::open`] is for the one-line envelopes.
//!
//! [`Ingest::read`]: super::ingest::Ingest::read
//!
//! The event time always comes from the line itself, never from a shipper's ingest
//! timestamp. A payload that is not a JSON object holding the line as a string under the
//! envelope's key is [`DecodeError::BadEnvelope`]. The payload is read once, in one pass, with
//! the allocation-free [`jsonscan`] reader ([`jsonscan::string_member`]): the line is
//! unescaped while it is scanned, borrowed when it holds no escape, else written into a
//! buffer the caller reuses (ALB's quotes come as `\"`).

use super::DecodeError;
use super::jsonscan;
use super::otlp::Encoding;

/// How lines are wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Envelope {
    /// The payload is the line.
    None,
    /// A JSON object with the line under `message` or `log`.
    Json,
    /// Vector's JSON codec: the line under `message`.
    Vector,
    /// Filebeat: the line under `message`.
    Filebeat,
    /// Fluent Bit: the line under `log`.
    Fluentbit,
    /// An OpenTelemetry Collector batch, protobuf: a line per log record.
    OtlpProto,
    /// An OpenTelemetry Collector batch, OTLP/JSON: a line per log record.
    OtlpJson,
}

const MESSAGE: &[u8] = b"message";
const LOG: &[u8] = b"log";

impl Envelope {
    /// Every envelope, in documentation order.
    pub const ALL: [Envelope; 7] = [
        Envelope::None,
        Envelope::Json,
        Envelope::Vector,
        Envelope::Filebeat,
        Envelope::Fluentbit,
        Envelope::OtlpProto,
        Envelope::OtlpJson,
    ];

    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            Envelope::None => "none",
            Envelope::Json => "json",
            Envelope::Vector => "vector",
            Envelope::Filebeat => "filebeat",
            Envelope::Fluentbit => "fluentbit",
            Envelope::OtlpProto => "otlp_proto",
            Envelope::OtlpJson => "otlp_json",
        }
    }

    /// The batch encoding of an OTLP envelope, whose payloads hold many lines; `None` for
    /// the envelopes of one line.
    pub fn batch(self) -> Option<Encoding> {
        match self {
            Envelope::OtlpProto => Some(Encoding::Proto),
            Envelope::OtlpJson => Some(Encoding::Json),
            _ => None,
        }
    }

    /// Looks an envelope up by its config name.
    pub fn from_name(name: &str) -> Option<Envelope> {
        Envelope::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The access-log line inside `payload`; `scratch` holds it when it had to be unescaped.
    /// An OTLP envelope holds many lines, not one: [`DecodeError::BadEnvelope`] here.
    pub fn open<'a>(
        self,
        payload: &'a [u8],
        scratch: &'a mut Vec<u8>,
    ) -> Result<&'a [u8], DecodeError> {
        let keys: &[&[u8]] = match self {
            Envelope::None => return Ok(payload),
            Envelope::Json => &[MESSAGE, LOG],
            Envelope::Vector | Envelope::Filebeat => &[MESSAGE],
            Envelope::Fluentbit => &[LOG],
            Envelope::OtlpProto | Envelope::OtlpJson => return Err(DecodeError::BadEnvelope),
        };
        // The first of the keys that holds a string (`json` passes over Filebeat's `log`
        // object and over a `message` of any other type), unescaped as it is read.
        jsonscan::string_member(payload, keys, scratch).map_err(|_| DecodeError::BadEnvelope)
    }
}

#[cfg(test)]
mod tests;

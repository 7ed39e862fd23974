//! OpenTelemetry log batches: the Kafka messages of the Collector's Kafka exporter, each
//! holding many log records.
//!
//! - `otlp_proto` (the exporter's default): a protobuf `LogsData`, the wire format of
//!   `ExportLogsServiceRequest` too, decoded with prost into `opentelemetry-proto`'s types.
//! - `otlp_json`: the OTLP/JSON encoding (lowerCamelCase keys, 64-bit integers as strings or
//!   numbers, unknown keys ignored), read by serde into the subset slipstream uses; an object
//!   without `resourceLogs`, which the Collector always writes, is not a batch.
//!
//! [`parse`] owns the decoded message as a [`Batch`], whose [`Record`]s come out in message
//! order (resource, then scope, then record) and borrow their text from it. A record's
//! attribute is looked up on the record, then on its resource. A string body is the
//! access-log line for the text formats; [`OtelHttp`] instead reads a record's HTTP
//! semantic-convention attributes. A payload that is not such a message, or holds more
//! records than the batch bound, is a [`BatchError`] (for the caller, `bad_envelope`).

mod json;
mod otel_http;

pub use otel_http::{DurationUnit, OtelHttp};

use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::LogsData;
use prost::Message;

/// How a Kafka message encodes its logs (the Collector's `encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Protobuf `LogsData` (`otlp_proto`).
    Proto,
    /// OTLP/JSON (`otlp_json`).
    Json,
}

impl Encoding {
    /// Every encoding, in documentation order.
    pub const ALL: [Encoding; 2] = [Encoding::Proto, Encoding::Json];

    /// The Collector's name: `otlp_proto` or `otlp_json`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Proto => "otlp_proto",
            Encoding::Json => "otlp_json",
        }
    }

    /// Looks an encoding up by its Collector name.
    pub fn from_name(name: &str) -> Option<Encoding> {
        Encoding::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// Why a payload is not a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// Not a protobuf `LogsData`.
    #[error("not an OTLP protobuf logs message")]
    NotProto,
    /// Not an OTLP/JSON logs object.
    #[error("not an OTLP/JSON logs message")]
    NotJson,
    /// More records than the batch bound.
    #[error("{records} log records, more than the batch bound of {max}")]
    TooManyRecords {
        /// Records in the message.
        records: usize,
        /// The bound.
        max: usize,
    },
}

impl BatchError {
    /// A short human message, without the counts.
    pub fn reason(&self) -> &'static str {
        match self {
            BatchError::NotProto => "not an OTLP protobuf logs message",
            BatchError::NotJson => "not an OTLP/JSON logs message",
            BatchError::TooManyRecords { .. } => "more log records than the batch bound",
        }
    }
}

/// Decodes `payload` as `encoding`, holding at most `max_records` records (counted once
/// the message is decoded: its size is already bounded by Kafka's message size).
pub fn parse(encoding: Encoding, payload: &[u8], max_records: usize) -> Result<Batch, BatchError> {
    let data = match encoding {
        Encoding::Proto => LogsData::decode(payload).map_err(|_| BatchError::NotProto)?,
        Encoding::Json => json::parse(payload).ok_or(BatchError::NotJson)?,
    };
    let batch = Batch::new(data);
    if batch.len() > max_records {
        return Err(BatchError::TooManyRecords {
            records: batch.len(),
            max: max_records,
        });
    }
    Ok(batch)
}

/// One decoded message.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    data: LogsData,
    records: usize,
}

impl Batch {
    fn new(data: LogsData) -> Batch {
        let records = data
            .resource_logs
            .iter()
            .flat_map(|r| &r.scope_logs)
            .map(|s| s.log_records.len())
            .sum();
        Batch { data, records }
    }

    /// The number of records.
    pub fn len(&self) -> usize {
        self.records
    }

    /// Whether the message holds no record.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// The records in message order.
    pub fn records(&self) -> impl Iterator<Item = Record<'_>> {
        self.data.resource_logs.iter().flat_map(|r| {
            let resource = r.resource.as_ref().map_or(&[][..], |r| &r.attributes);
            r.scope_logs
                .iter()
                .flat_map(|s| &s.log_records)
                .map(move |record| Record {
                    time_unix_nano: record.time_unix_nano,
                    observed_time_unix_nano: record.observed_time_unix_nano,
                    body: match Value::of(record.body.as_ref()) {
                        Value::Str(text) => Some(text),
                        _ => None,
                    },
                    attributes: &record.attributes,
                    resource,
                })
        })
    }
}

/// One log record, borrowing from its [`Batch`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record<'a> {
    /// When the event occurred, ns since the Unix epoch; 0 when unknown.
    pub time_unix_nano: u64,
    /// When a collector saw the event, ns since the Unix epoch; 0 when unknown.
    pub observed_time_unix_nano: u64,
    /// The body when it is a string.
    pub body: Option<&'a str>,
    attributes: &'a [KeyValue],
    resource: &'a [KeyValue],
}

impl<'a> Record<'a> {
    /// The value of attribute `key`: the record's, else its resource's.
    pub fn attribute(&self, key: &str) -> Option<Value<'a>> {
        self.any(key).map(|v| Value::of(Some(v)))
    }

    /// The string body's bytes, empty without one (for a dead-letter line).
    pub fn text(&self) -> &'a [u8] {
        self.body.map_or(&[], str::as_bytes)
    }

    /// The raw value of attribute `key` (record first, then resource); a key without a
    /// value is an empty [`AnyValue`].
    fn any(&self, key: &str) -> Option<&'a AnyValue> {
        const EMPTY: &AnyValue = &AnyValue { value: None };
        let find = |list: &'a [KeyValue]| list.iter().find(|kv| kv.key == key);
        let kv = find(self.attributes).or_else(|| find(self.resource))?;
        Some(kv.value.as_ref().unwrap_or(EMPTY))
    }
}

/// An attribute value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// A string.
    Str(&'a str),
    /// A 64-bit integer.
    Int(i64),
    /// A double.
    Double(f64),
    /// A boolean.
    Bool(bool),
    /// Bytes, an array, a map, or no value.
    Other,
}

impl<'a> Value<'a> {
    fn of(value: Option<&'a AnyValue>) -> Value<'a> {
        match value.and_then(|v| v.value.as_ref()) {
            Some(any_value::Value::StringValue(s)) => Value::Str(s),
            Some(any_value::Value::IntValue(n)) => Value::Int(*n),
            Some(any_value::Value::DoubleValue(x)) => Value::Double(*x),
            Some(any_value::Value::BoolValue(b)) => Value::Bool(*b),
            _ => Value::Other,
        }
    }
}

#[cfg(test)]
mod tests;

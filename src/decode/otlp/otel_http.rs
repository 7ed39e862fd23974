//! The `otel_http` record format: an [`Event`] from a log record's HTTP semantic-convention
//! attributes rather than from a text line. Each field takes the stable name, else the old
//! one:
//!
//! - event time: the record's `time_unix_nano` (never the observed time, which is when a
//!   shipper saw it), truncated to µs — required, 0 (unknown) is [`DecodeError::BadTime`];
//! - status: `http.response.status_code`, else `http.status_code`, an integer or a string of
//!   digits, 100–599 or 0 (no response) — required;
//! - method: `http.request.method`, else `http.method`; semconv's `_OTHER` is replaced by
//!   `http.request.method_original` when present;
//! - path: `url.path`, else the path of `http.target` (query dropped);
//! - host: `server.address`, else `http.host`, else `net.host.name` (port dropped);
//! - latency: the configured attribute in its [`DurationUnit`], an integer, a double or a
//!   string of either, ≥ 0, rounded to the nearest µs; unknown when absent or status is 0;
//! - request id: `http.request.header.x-request-id`, a string or (as semconv writes header
//!   attributes) the first string of an array;
//! - client: `client.address`, else the old `http.client_ip`, when it is an IP address
//!   (semconv allows a domain name or a socket name there: those give no client).
//!
//! Text values must be strings; any other type reads as absent. The backend is empty and no
//! record is long-lived.

use opentelemetry_proto::tonic::common::v1::{AnyValue, any_value};

use super::{Record, Value};
use crate::decode::{DecodeError, Event, client, fields};

const STATUS: [&str; 2] = ["http.response.status_code", "http.status_code"];
const METHOD: [&str; 2] = ["http.request.method", "http.method"];
const METHOD_ORIGINAL: [&str; 1] = ["http.request.method_original"];
const PATH: [&str; 1] = ["url.path"];
const TARGET: [&str; 1] = ["http.target"];
const HOST: [&str; 3] = ["server.address", "http.host", "net.host.name"];
const REQUEST_ID: &str = "http.request.header.x-request-id";
const CLIENT: [&str; 2] = ["client.address", "http.client_ip"];

/// The unit of a duration attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DurationUnit {
    /// Nanoseconds (`ns`).
    Nanoseconds,
    /// Microseconds (`us`).
    Microseconds,
    /// Milliseconds (`ms`).
    Milliseconds,
    /// Seconds (`s`).
    Seconds,
}

/// 2^63, the first double past `i64::MAX`.
const I64_END: f64 = 9_223_372_036_854_775_808.0;

impl DurationUnit {
    /// Every unit, in documentation order.
    pub const ALL: [DurationUnit; 4] = [
        DurationUnit::Nanoseconds,
        DurationUnit::Microseconds,
        DurationUnit::Milliseconds,
        DurationUnit::Seconds,
    ];

    /// The config name: `ns`, `us`, `ms` or `s`.
    pub fn name(self) -> &'static str {
        match self {
            DurationUnit::Nanoseconds => "ns",
            DurationUnit::Microseconds => "us",
            DurationUnit::Milliseconds => "ms",
            DurationUnit::Seconds => "s",
        }
    }

    /// Looks a unit up by its config name.
    pub fn from_name(name: &str) -> Option<DurationUnit> {
        DurationUnit::ALL.into_iter().find(|u| u.name() == name)
    }

    /// `n` of this unit in µs, rounded to nearest; `None` if negative or too large.
    fn int_us(self, n: i64) -> Option<i64> {
        if n < 0 {
            return None;
        }
        match self {
            DurationUnit::Nanoseconds => Some(n / 1_000 + i64::from(n % 1_000 >= 500)),
            DurationUnit::Microseconds => Some(n),
            DurationUnit::Milliseconds => n.checked_mul(1_000),
            DurationUnit::Seconds => n.checked_mul(1_000_000),
        }
    }

    /// `x` of this unit in µs, rounded to nearest; `None` if negative, NaN or too large.
    fn double_us(self, x: f64) -> Option<i64> {
        let us = match self {
            DurationUnit::Nanoseconds => x / 1e3,
            DurationUnit::Microseconds => x,
            DurationUnit::Milliseconds => x * 1e3,
            DurationUnit::Seconds => x * 1e6,
        }
        .round();
        // NaN fails both comparisons.
        (x >= 0.0 && us < I64_END).then_some(us as i64)
    }
}

/// Decodes records carrying HTTP semantic-convention attributes (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtelHttp {
    /// The attribute holding the request duration.
    pub duration_attribute: String,
    /// Its unit.
    pub duration_unit: DurationUnit,
}

impl Default for OtelHttp {
    /// `http.server.request.duration` in seconds: the stable semconv name of the server
    /// duration (a metric there; log records have no standard duration attribute).
    fn default() -> Self {
        Self {
            duration_attribute: "http.server.request.duration".to_string(),
            duration_unit: DurationUnit::Seconds,
        }
    }
}

impl OtelHttp {
    /// The event `record` describes.
    pub fn event<'a>(&self, record: &Record<'a>) -> Result<Event<'a>, DecodeError> {
        if record.time_unix_nano == 0 {
            return Err(DecodeError::BadTime);
        }
        let time_us =
            i64::try_from(record.time_unix_nano / 1_000).map_err(|_| DecodeError::BadTime)?;
        let status = status(first(record, &STATUS))?;
        let latency_us = self.latency_us(record.attribute(&self.duration_attribute))?;
        let method = match (text(record, &METHOD), text(record, &METHOD_ORIGINAL)) {
            (b"_OTHER", original) if !original.is_empty() => original,
            (method, _) => method,
        };
        let path = match text(record, &PATH) {
            b"" => fields::split_target(text(record, &TARGET)).1,
            path => path,
        };
        Ok(Event {
            time_us,
            status,
            latency_us: if status == 0 { None } else { latency_us },
            method,
            host: fields::host_of(text(record, &HOST)),
            path,
            backend: &[],
            long_lived: false,
            request_id: request_id(record),
            client: client::bare(text(record, &CLIENT)).or_empty(),
        })
    }

    fn latency_us(&self, value: Option<Value<'_>>) -> Result<Option<i64>, DecodeError> {
        let unit = self.duration_unit;
        let us = match value {
            None => return Ok(None),
            Some(Value::Int(n)) => unit.int_us(n),
            Some(Value::Double(x)) => unit.double_us(x),
            Some(Value::Str(text)) => match text.parse() {
                Ok(n) => unit.int_us(n),
                Err(_) => text.parse().ok().and_then(|x| unit.double_us(x)),
            },
            Some(Value::Bool(_) | Value::Other) => None,
        };
        us.map(Some).ok_or(DecodeError::BadLatency)
    }
}

/// The value of the first of `keys` the record has.
fn first<'a>(record: &Record<'a>, keys: &[&str]) -> Option<Value<'a>> {
    keys.iter().find_map(|key| record.attribute(key))
}

/// The first of `keys` that holds a string, empty if none does.
fn text<'a>(record: &Record<'a>, keys: &[&str]) -> &'a [u8] {
    keys.iter()
        .find_map(|key| match record.attribute(key) {
            Some(Value::Str(s)) => Some(s.as_bytes()),
            _ => None,
        })
        .unwrap_or_default()
}

fn status(value: Option<Value<'_>>) -> Result<u16, DecodeError> {
    let code = match value.ok_or(DecodeError::MissingFields)? {
        Value::Int(n) => n,
        Value::Str(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().map_err(|_| DecodeError::BadStatus)?
        }
        _ => return Err(DecodeError::BadStatus),
    };
    match u16::try_from(code) {
        Ok(code @ (0 | 100..=599)) => Ok(code),
        _ => Err(DecodeError::BadStatus),
    }
}

/// The request id: a string, or the first element of a string array.
fn request_id<'a>(record: &Record<'a>) -> &'a [u8] {
    fn str_of(value: Option<&AnyValue>) -> Option<&str> {
        match value?.value.as_ref()? {
            any_value::Value::StringValue(s) => Some(s),
            any_value::Value::ArrayValue(a) => match a.values.first()?.value.as_ref()? {
                any_value::Value::StringValue(s) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }
    str_of(record.any(REQUEST_ID)).map_or(&[], str::as_bytes)
}

#[cfg(test)]
mod tests;

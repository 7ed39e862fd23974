//! The generic JSON format: one JSON object per line, with the keys to read named in the
//! configuration (`spec.decode.json`) as a [`JsonMapping`]. A key may be a dotted path into
//! nested objects (`http.response.status_code`); a key that itself contains a dot cannot be
//! named.
//!
//! - event time: `time_field`, read per `time_format`: RFC 3339 text, or a number of
//!   seconds, milliseconds or microseconds since the epoch (a JSON number or a string of
//!   digits, fraction allowed) — required;
//! - status: `status_field`, a number or a string of digits; `0` means no response was sent
//!   and is kept (never a server error; its latency is unknown) — required;
//! - latency: `latency_field` in `latency_unit` (number or string, fraction allowed, exact to
//!   1 µs); unknown when the field is not configured, absent, `null`, `""`, `"-"` or negative;
//! - method, backend and request id: the named fields' text (a string, or a number as written),
//!   empty when not configured, absent, `null` or `"-"`;
//! - host and path: `host_field` (port dropped) and `path_field` (query dropped), or both from
//!   `url_field` (a full URL gives host and path, a `/path?query` target only the path);
//!   `host_field` wins over the URL's host;
//! - client: `client_field`, an IP address alone or with its port (`203.0.113.7`,
//!   `203.0.113.7:52000`, `[2001:db8::1]:443`; the port dropped); empty when not
//!   configured, absent, `null` or `"-"`; any other value is no client (the line still decodes: the client is information for burn attribution, not a field a line is refused for).
//!
//! Every other key is ignored. Values are borrowed from the line as the JSON reader describes
//! (escapes kept as written). No line is long-lived.

use std::fmt;

use super::jsonscan::{self, Value};
use super::{DecodeError, Decoder, Event, Unit, client, fields, timestamp};

/// A key path inside a JSON object: `status`, or `httpRequest.status` for a nested key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JsonPath(Vec<String>);

impl JsonPath {
    /// Splits `text` at its dots; `None` if any segment is empty.
    pub fn parse(text: &str) -> Option<JsonPath> {
        let segments: Vec<String> = text.split('.').map(str::to_string).collect();
        (!segments.iter().any(String::is_empty)).then_some(JsonPath(segments))
    }

    /// The keys, outermost first.
    pub fn segments(&self) -> &[String] {
        &self.0
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("."))
    }
}

/// How the event time is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeFormat {
    /// RFC 3339 text, `2026-11-21T10:00:00.123Z` or with an offset.
    Rfc3339,
    /// A number of units since the Unix epoch.
    Epoch(Unit),
}

impl TimeFormat {
    /// Every format, in documentation order.
    pub const ALL: [TimeFormat; 4] = [
        TimeFormat::Rfc3339,
        TimeFormat::Epoch(Unit::Seconds),
        TimeFormat::Epoch(Unit::Millis),
        TimeFormat::Epoch(Unit::Micros),
    ];

    /// The config name: `rfc3339`, `epoch_s`, `epoch_ms` or `epoch_us`.
    pub fn name(self) -> &'static str {
        match self {
            TimeFormat::Rfc3339 => "rfc3339",
            TimeFormat::Epoch(Unit::Seconds) => "epoch_s",
            TimeFormat::Epoch(Unit::Millis) => "epoch_ms",
            TimeFormat::Epoch(Unit::Micros) => "epoch_us",
        }
    }

    /// Looks a format up by its config name.
    pub fn from_name(name: &str) -> Option<TimeFormat> {
        TimeFormat::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl Unit {
    /// Every unit, in documentation order.
    pub const ALL: [Unit; 3] = [Unit::Seconds, Unit::Millis, Unit::Micros];

    /// The config name: `s`, `ms` or `us`.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Seconds => "s",
            Unit::Millis => "ms",
            Unit::Micros => "us",
        }
    }

    /// Looks a unit up by its config name.
    pub fn from_name(name: &str) -> Option<Unit> {
        Unit::ALL.into_iter().find(|u| u.name() == name)
    }
}

/// Which keys of a JSON line hold which [`Event`] field (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JsonMapping {
    /// The event time.
    pub time: JsonPath,
    /// How the event time is written.
    pub time_format: TimeFormat,
    /// The status.
    pub status: JsonPath,
    /// The latency and its unit; latency is unknown without it.
    pub latency: Option<(JsonPath, Unit)>,
    /// The method.
    pub method: Option<JsonPath>,
    /// The host (a port is dropped).
    pub host: Option<JsonPath>,
    /// The path (a query string is dropped).
    pub path: Option<JsonPath>,
    /// A URL or request target giving the path and, when absolute, the host.
    pub url: Option<JsonPath>,
    /// The backend.
    pub backend: Option<JsonPath>,
    /// The request id.
    pub request_id: Option<JsonPath>,
    /// The client's address (alone or with a port, which is dropped).
    pub client: Option<JsonPath>,
}

/// Decoder for JSON lines with a configured [`JsonMapping`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonDecoder {
    mapping: JsonMapping,
}

impl JsonDecoder {
    /// A decoder reading the keys `mapping` names.
    pub fn new(mapping: JsonMapping) -> Self {
        Self { mapping }
    }
}

impl Decoder for JsonDecoder {
    fn decode<'a>(&self, line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        let line = fields::trim_line(line)?;
        let m = &self.mapping;
        let paths: [&[String]; 10] = [
            m.time.segments(),
            m.status.segments(),
            segments(m.latency.as_ref().map(|(p, _)| p)),
            segments(m.method.as_ref()),
            segments(m.host.as_ref()),
            segments(m.path.as_ref()),
            segments(m.url.as_ref()),
            segments(m.backend.as_ref()),
            segments(m.request_id.as_ref()),
            segments(m.client.as_ref()),
        ];
        let mut v = [None; 10];
        jsonscan::lookup(line, &paths, &mut v)?;
        let [
            time,
            status,
            latency,
            method,
            host,
            path,
            url,
            backend,
            request_id,
            client,
        ] = v;
        let time_us = event_time(time.ok_or(DecodeError::MissingFields)?, m.time_format)?;
        let status = jsonscan::status(Some(status.ok_or(DecodeError::MissingFields)?))?;
        let latency_us = match &m.latency {
            Some((_, unit)) => jsonscan::duration_us(latency, *unit)?,
            None => None,
        };
        let (url_host, url_path) = fields::split_target(jsonscan::text(url));
        let host = match m.host {
            Some(_) => fields::host_of(jsonscan::text(host)),
            None => url_host,
        };
        let path = match m.path {
            Some(_) => fields::split_target(jsonscan::text(path)).1,
            None => url_path,
        };
        let client = client::either(jsonscan::text(client)).or_empty();
        Ok(Event {
            time_us,
            status,
            latency_us: if status == 0 { None } else { latency_us },
            method: jsonscan::text(method),
            host,
            path,
            backend: jsonscan::text(backend),
            long_lived: false,
            request_id: jsonscan::text(request_id),
            client,
        })
    }
}

/// The segments of an optional path; none (matching nothing) when it is not configured.
fn segments(path: Option<&JsonPath>) -> &[String] {
    path.map_or(&[], JsonPath::segments)
}

fn event_time(value: Value<'_>, format: TimeFormat) -> Result<i64, DecodeError> {
    let text = value.text().ok_or(DecodeError::BadTime)?;
    match format {
        TimeFormat::Rfc3339 => timestamp::rfc3339(text),
        TimeFormat::Epoch(unit) => timestamp::decimal_us(text, unit),
    }
    .ok_or(DecodeError::BadTime)
}

#[cfg(test)]
mod tests;

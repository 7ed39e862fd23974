//! Traefik access logs, in either of Traefik's two formats: a line that starts with `{` is
//! JSON (`accessLog.format: json`), any other is the Common Log Format Traefik writes by
//! default:
//! `<client> - <user> [<start>] "<method> <path> <protocol>" <status> <size> "<referer>"
//! "<user agent>" <request count> "<router>" "<service URL>" <duration>ms`.
//!
//! The common format is read by the [engine](super::compiled) of compiled formats with a
//! fixed layout: every value in its shape, the quoted ones ending at their first unescaped
//! quote (Traefik quotes them Go-style, `\"` inside), the line ending with `ms`. Its date is
//! when the request started, in the proxy's local time with its offset; the event time is
//! that plus the duration (when the response completed), the latency the duration in ms.
//! The router name is the backend; there is no host. The client is `<client>` (Traefik's
//! `ClientHost`, the address without port; `-` or any other value that is not an address: none).
//!
//! JSON keys read: `StartUTC` (RFC 3339, the start; required), `Duration` (ns; the latency,
//! and added to the start for the event time), `DownstreamStatus` (required),
//! `RequestMethod`, `RequestHost` (port dropped), `RequestPath` (query dropped),
//! `RouterName` (the backend, as in the common format), and `request_X-Request-Id` (the
//! request id, present when the header is kept), `ClientHost`, else `ClientAddr` without
//! its port (the client; not an address: none). Status 0 (no response was sent) has an
//! unknown latency, as for Envoy. No line is long-lived.

use super::compiled::{Bad, Escape, Kind, Layout, Part, Sink, dash_empty};
use super::{DecodeError, Decoder, Event, client, fields, jsonscan, timestamp};

/// Decoder for Traefik access logs, common format or JSON (see the module docs).
#[derive(Debug, Clone)]
pub struct TraefikDecoder {
    common: Layout<Field>,
}

/// What the fields of the common format give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Field {
    Client,
    Start,
    Method,
    Path,
    Status,
    Router,
    Duration,
    /// Checked, not read.
    Skip,
}

impl Default for TraefikDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl TraefikDecoder {
    /// The decoder, its common-format layout built.
    pub fn new() -> Self {
        let text = |t: &str| Part::Text(t.as_bytes().to_vec());
        let field = |field, name: &str, kind, quotes| Part::Field {
            field,
            name: format!("<{name}>"),
            kind,
            slash: false,
            quotes,
            read: field != Field::Skip,
        };
        let number = Kind::Number { dash: true };
        let parts = vec![
            field(Field::Client, "client", Kind::Token, false),
            text(" - "),
            field(Field::Skip, "user", Kind::Text, false),
            text(" ["),
            field(Field::Start, "start", Kind::Fixed(26), false),
            text("] \""),
            field(Field::Method, "method", Kind::Token, false),
            text(" "),
            field(Field::Path, "path", Kind::Token, false),
            text(" "),
            field(Field::Skip, "protocol", Kind::Token, false),
            text("\" "),
            field(Field::Status, "status", number, false),
            text(" "),
            field(Field::Skip, "size", number, false),
            text(" \""),
            field(Field::Skip, "referer", Kind::Text, true),
            text("\" \""),
            field(Field::Skip, "user agent", Kind::Text, true),
            text("\" "),
            field(Field::Skip, "request count", number, false),
            text(" \""),
            field(Field::Router, "router", Kind::Token, false),
            text("\" \""),
            field(Field::Skip, "service URL", Kind::Token, false),
            text("\" "),
            field(
                Field::Duration,
                "duration",
                Kind::Number { dash: false },
                false,
            ),
            text("ms"),
        ];
        let common = Layout::new(parts.into(), Escape::Backslash)
            .unwrap_or_else(|a| unreachable!("the common format has text between {a:?}"));
        Self { common }
    }

    /// A common-format line.
    fn common<'a>(&self, line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        let v: Common<'_> = self.common.read(line)?;
        let duration_us = v.duration_ms * 1000;
        Ok(Event {
            time_us: v
                .start_us
                .checked_add(duration_us)
                .ok_or(DecodeError::BadTime)?,
            status: v.status,
            latency_us: (v.status != 0).then_some(duration_us),
            method: v.method,
            host: &[],
            path: v.path,
            backend: v.router,
            long_lived: false,
            request_id: &[],
            client: v.client,
        })
    }
}

/// The values of a common-format line.
#[derive(Debug, Default)]
struct Common<'a> {
    client: &'a [u8],
    start_us: i64,
    method: &'a [u8],
    path: &'a [u8],
    status: u16,
    router: &'a [u8],
    duration_ms: i64,
}

impl<'a> Sink<'a, Field> for Common<'a> {
    fn set(&mut self, field: Field, value: &'a [u8]) -> Result<(), Bad> {
        match field {
            Field::Client => {
                self.client = client::bare(value).or_empty();
            }
            Field::Start => {
                self.start_us = timestamp::clf_date(value)
                    .filter(|_| value.get(20) == Some(&b' '))
                    .ok_or((DecodeError::BadTime, "not a date as Traefik writes it"))?;
            }
            Field::Method => self.method = dash_empty(value),
            Field::Path => self.path = fields::split_target(dash_empty(value)).1,
            Field::Status => {
                self.status = super::envoy::parse_code(value)
                    .map_err(|e| (e, "not 0 nor a status from 100 to 599"))?;
            }
            Field::Router => self.router = dash_empty(value),
            Field::Duration => {
                self.duration_ms = crate::time::parse_u64(value)
                    .and_then(|ms| i64::try_from(ms).ok())
                    .filter(|ms| *ms <= i64::MAX / 1000)
                    .ok_or((DecodeError::BadLatency, "not milliseconds"))?;
            }
            Field::Skip => {}
        }
        Ok(())
    }
}

const KEYS: [&[&str]; 10] = [
    &["StartUTC"],
    &["Duration"],
    &["DownstreamStatus"],
    &["RequestMethod"],
    &["RequestHost"],
    &["RequestPath"],
    &["RouterName"],
    &["request_X-Request-Id"],
    &["ClientHost"],
    &["ClientAddr"],
];

/// A JSON line.
fn json(line: &[u8]) -> Result<Event<'_>, DecodeError> {
    let mut v = [None; KEYS.len()];
    jsonscan::lookup(line, &KEYS, &mut v)?;
    let [
        start,
        duration,
        status,
        method,
        host,
        path,
        router,
        id,
        client_host,
        client_addr,
    ] = v;
    let start_us = start
        .ok_or(DecodeError::MissingFields)?
        .text()
        .and_then(timestamp::rfc3339)
        .ok_or(DecodeError::BadTime)?;
    let status = jsonscan::status(Some(status.ok_or(DecodeError::MissingFields)?))?;
    // Nanoseconds, to µs (finer digits truncated, as everywhere).
    let duration_us = match duration.and_then(|d| d.text()) {
        None => None,
        Some(ns) => Some(
            crate::time::parse_u64(ns)
                .and_then(|ns| i64::try_from(ns / 1000).ok())
                .ok_or(DecodeError::BadLatency)?,
        ),
    };
    let client = match client_host {
        Some(host) => client::bare(jsonscan::text(Some(host))),
        None => client::with_port(jsonscan::text(client_addr)),
    }
    .or_empty();
    Ok(Event {
        time_us: start_us
            .checked_add(duration_us.unwrap_or(0))
            .ok_or(DecodeError::BadTime)?,
        status,
        latency_us: if status == 0 { None } else { duration_us },
        method: jsonscan::text(method),
        host: fields::host_of(jsonscan::text(host)),
        path: fields::split_target(jsonscan::text(path)).1,
        backend: jsonscan::text(router),
        long_lived: false,
        request_id: jsonscan::text(id),
        client,
    })
}

impl Decoder for TraefikDecoder {
    fn decode<'a>(&self, line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        let line = fields::trim_line(line)?;
        match line.first() {
            Some(b'{') => json(line),
            _ => self.common(line),
        }
    }

    fn why(&self, line: &[u8], _state: &super::LineState) -> Option<String> {
        let line = fields::trim_line(line).ok()?;
        if line.first() == Some(&b'{') {
            return None;
        }
        self.common.why::<Common>(line)
    }
}

#[cfg(test)]
mod tests;

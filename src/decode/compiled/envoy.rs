//! Envoy access-log format strings (`spec.decode.envoy`), compiled once at config load into
//! a decoder that reads exactly the lines Envoy writes with them: Envoy's default format,
//! Istio's, or one pasted from a proxy's configuration.
//!
//! A format is text and command operators (`%START_TIME%`, `%REQ(X?Y):Z%`, …), read by the
//! [engine](super) of compiled formats. Envoy writes `-` for a value that is not set and
//! escapes nothing, so a header value may hold quotes: a quoted request or response header
//! (the user agent, the referer, any `%REQ(…)%` but the ids below) ends at the first quote
//! after which the rest of the line fits the format, which the fields after it pin. The
//! shapes:
//! - `%START_TIME%` (RFC 3339, as Envoy writes it by default; `%START_TIME(%s)%` and
//!   `%START_TIME(%s.%3f)%` as epoch seconds) and every operator without spaces are tokens;
//! - `%DURATION%`, `%RESPONSE_CODE%`, the byte counts, the other durations and
//!   `%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%` are numbers or `-`, so a line of another layout
//!   (Istio's under Envoy's default, with `%RESPONSE_CODE_DETAILS%` where a byte count is
//!   expected) is a decode error, never a misread;
//! - `%REQ(:AUTHORITY)%`, `%REQ(X-REQUEST-ID)%`, `%REQ(X-FORWARDED-FOR)%` and
//!   `%UPSTREAM_HOST%` never hold a quote.
//!
//! The event: time `%START_TIME%` plus `%DURATION%` (when the response completed; the start
//! alone when the duration is `-`); status `%RESPONSE_CODE%` (`0`: no response was sent, its
//! latency unknown); latency `%DURATION%` (ms); method `%REQ(:METHOD)%`; path the operator
//! that reads `:PATH` (query dropped); host `%REQ(:AUTHORITY)%` (or `HOST`) without its port;
//! backend `%UPSTREAM_CLUSTER%`, else `%UPSTREAM_HOST%`; request id `%REQ(X-REQUEST-ID)%`;
//! client the first of `%DOWNSTREAM_REMOTE_ADDRESS%` (`203.0.113.7:52000`,
//! `[2001:db8::1]:443`: the port dropped), `%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%` and
//! their `DIRECT` forms (the peer before any `X-Forwarded-For` trust) in the format — Istio's
//! preset logs `%DOWNSTREAM_REMOTE_ADDRESS%`; a pipe path or `-` is none, any other value no client (the line still decodes). `%REQ(X-FORWARDED-FOR)%` is never read as the client.

use super::{Bad, Escape, Kind, Layout, Part, Parts, Sink, dash_empty, percent_text};
use crate::decode::{Carries, DecodeError, Event, client, fields, timestamp};

#[cfg(test)]
mod tests;

/// The named formats (`spec.decode.envoy.preset`).
pub const PRESETS: [(&str, &str); 2] = [("envoy", ENVOY), ("istio", ISTIO)];

/// Envoy's default format.
const ENVOY: &str = r#"[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%""#;
/// Istio's default proxy format (1.8 on).
const ISTIO: &str = r#"[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%"#;

/// How `%START_TIME%` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum TimeForm {
    /// RFC 3339 (Envoy's default, `2016-04-15T20:17:00.310Z`).
    Rfc3339,
    /// `%s`: epoch seconds; `%s.%3f`, `%s.%6f`: with a fraction.
    Epoch,
}

/// What the command operators mean to the decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Op {
    StartTime(TimeForm),
    Duration,
    ResponseCode,
    Method,
    Path,
    Authority,
    RequestId,
    UpstreamHost,
    UpstreamCluster,
    /// The downstream client's address; `port`: written with its port.
    Downstream {
        port: bool,
    },
    /// A number or `-`, not read (byte counts, other durations, the upstream service time).
    Number,
    /// A header value, not read; `quotes`: it may hold quotes.
    Header {
        quotes: bool,
    },
    /// Any other operator: a token, not read.
    Other,
}

impl Op {
    /// The operator `name` with its argument.
    fn of(name: &str, arg: Option<&str>) -> Result<Op, CompileError> {
        Ok(match (name, arg) {
            ("START_TIME", None) => Op::StartTime(TimeForm::Rfc3339),
            ("START_TIME", Some("%s" | "%s.%3f" | "%s.%6f" | "%s.%9f")) => {
                Op::StartTime(TimeForm::Epoch)
            }
            ("START_TIME", Some(other)) => return Err(CompileError::TimeForm(other.to_string())),
            ("DURATION", _) => Op::Duration,
            ("RESPONSE_CODE", _) => Op::ResponseCode,
            ("UPSTREAM_HOST", _) => Op::UpstreamHost,
            ("UPSTREAM_CLUSTER", _) => Op::UpstreamCluster,
            ("DOWNSTREAM_REMOTE_ADDRESS" | "DOWNSTREAM_DIRECT_REMOTE_ADDRESS", _) => {
                Op::Downstream { port: true }
            }
            (
                "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT"
                | "DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT",
                _,
            ) => Op::Downstream { port: false },
            (
                "BYTES_RECEIVED"
                | "BYTES_SENT"
                | "REQUEST_DURATION"
                | "RESPONSE_DURATION"
                | "RESPONSE_TX_DURATION"
                | "UPSTREAM_WIRE_BYTES_SENT"
                | "UPSTREAM_WIRE_BYTES_RECEIVED",
                _,
            ) => Op::Number,
            ("REQ", Some(arg)) => {
                let names: Vec<String> = arg.split('?').map(str::to_ascii_uppercase).collect();
                let has = |n: &str| names.iter().any(|h| h == n);
                if has(":METHOD") {
                    Op::Method
                } else if has(":PATH") {
                    Op::Path
                } else if has(":AUTHORITY") || has("HOST") {
                    Op::Authority
                } else if has("X-REQUEST-ID") {
                    Op::RequestId
                } else {
                    Op::Header {
                        quotes: !has("X-FORWARDED-FOR"),
                    }
                }
            }
            ("RESP", Some(arg)) if arg.eq_ignore_ascii_case("X-ENVOY-UPSTREAM-SERVICE-TIME") => {
                Op::Number
            }
            ("RESP" | "TRAILER" | "RESPONSE_TRAILER", Some(_)) => Op::Header { quotes: true },
            _ => Op::Other,
        })
    }

    fn kind(self) -> Kind {
        match self {
            Op::StartTime(_)
            | Op::Method
            | Op::Path
            | Op::Authority
            | Op::RequestId
            | Op::UpstreamHost
            | Op::UpstreamCluster
            | Op::Downstream { .. }
            | Op::Other => Kind::Token,
            Op::Duration | Op::ResponseCode | Op::Number => Kind::Number { dash: true },
            Op::Header { .. } => Kind::Text,
        }
    }

    /// What the event takes from it, for `explain`.
    fn reads(self) -> &'static str {
        match self {
            Op::StartTime(_) => "time (start)",
            Op::Duration => "latency, time (+ duration)",
            Op::ResponseCode => "status",
            Op::Method => "method",
            Op::Path => "path",
            Op::Authority => "host",
            Op::RequestId => "request id",
            Op::UpstreamHost | Op::UpstreamCluster => "backend",
            Op::Downstream { .. } => "client",
            Op::Number | Op::Header { .. } | Op::Other => "",
        }
    }
}

/// A compiled Envoy access-log format.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccessLogFormat {
    layout: Layout<Op>,
}

/// Why a format string does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// Nothing to read.
    #[error("the format is empty")]
    Empty,
    /// A `%` that starts no command operator.
    #[error("a command operator at byte {0} is not closed with `%` (write a literal % as %%)")]
    Operator(usize),
    /// A `%START_TIME(…)%` format that is not epoch seconds.
    #[error(
        "%START_TIME({0})% is not read: use %START_TIME% (RFC 3339) or %START_TIME(%s)% (epoch seconds, %s.%3f with milliseconds)"
    )]
    TimeForm(String),
    /// Without a start time there is no event time.
    #[error("the format has no %START_TIME%: every line needs its time")]
    NoTime,
    /// Without a response code there is nothing to classify.
    #[error("the format has no %RESPONSE_CODE%")]
    NoStatus,
    /// Two operators with nothing between them that tells where the first ends.
    #[error("{0} is followed by {1} with no text between them: cannot tell where {0} ends")]
    Adjacent(String, String),
}

impl AccessLogFormat {
    /// Compiles `text`, a format string as Envoy's configuration holds it (a trailing
    /// newline is dropped).
    pub fn compile(text: &str) -> Result<Self, CompileError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(CompileError::Empty);
        }
        let parts = parse(text)?;
        let has = |want: fn(Op) -> bool| parts.has(want);
        if !has(|op| matches!(op, Op::StartTime(_))) {
            return Err(CompileError::NoTime);
        }
        if !has(|op| op == Op::ResponseCode) {
            return Err(CompileError::NoStatus);
        }
        let layout =
            Layout::new(parts, Escape::None).map_err(|a| CompileError::Adjacent(a.0, a.1))?;
        Ok(Self { layout })
    }

    /// The preset named `name`, compiled.
    pub fn preset(name: &str) -> Option<Result<Self, CompileError>> {
        let (_, text) = PRESETS.iter().find(|(n, _)| *n == name)?;
        Some(Self::compile(text))
    }

    fn has(&self, want: impl Fn(Op) -> bool) -> bool {
        self.layout.has(want)
    }

    /// What the events carry, to check a configuration against.
    pub fn carries(&self) -> Carries {
        Carries {
            source: "the envoy format",
            strict: true,
            latency: self.has(|op| op == Op::Duration),
            host: self.has(|op| op == Op::Authority),
            method: self.has(|op| op == Op::Method),
            path: self.has(|op| op == Op::Path),
            backend: self.has(|op| matches!(op, Op::UpstreamHost | Op::UpstreamCluster)),
        }
    }

    /// Each operator in order, with its shape and what the event takes from it.
    pub fn fields(&self) -> Vec<(String, &'static str, &'static str)> {
        self.layout
            .fields()
            .map(|(op, name, shape)| (name.to_string(), shape.name(), op.reads()))
            .collect()
    }

    /// Decodes one line: the event, or why the line does not follow the format.
    pub fn read<'a>(&self, line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        self.layout.read::<Values>(line)?.event()
    }

    /// Why `line` does not decode, naming the operator and the byte; `None` when it decodes.
    pub fn why(&self, line: &[u8]) -> Option<String> {
        self.layout.why::<Values>(line)
    }
}

/// The values read, by what they give the event.
#[derive(Debug, Default)]
struct Values<'a> {
    start_us: Option<i64>,
    /// `None` for `-`.
    duration_us: Option<i64>,
    status: u16,
    method: &'a [u8],
    path: &'a [u8],
    authority: &'a [u8],
    request_id: &'a [u8],
    upstream_host: &'a [u8],
    upstream_cluster: &'a [u8],
    /// The first downstream address operator's value wins.
    client: Option<&'a [u8]>,
}

const BAD_TIME: Bad = (DecodeError::BadTime, "not a time as Envoy writes it");

impl<'a> Sink<'a, Op> for Values<'a> {
    #[inline]
    fn set(&mut self, op: Op, value: &'a [u8]) -> Result<(), Bad> {
        match op {
            Op::StartTime(TimeForm::Rfc3339) => {
                self.start_us = Some(timestamp::rfc3339(value).ok_or(BAD_TIME)?);
            }
            Op::StartTime(TimeForm::Epoch) => {
                let us = timestamp::decimal_us(value, timestamp::Unit::Seconds);
                self.start_us = Some(us.ok_or(BAD_TIME)?);
            }
            Op::Duration => {
                self.duration_us = match value {
                    b"-" => None,
                    ms => Some(
                        timestamp::decimal_us(ms, timestamp::Unit::Millis)
                            .ok_or((DecodeError::BadLatency, "not milliseconds"))?,
                    ),
                };
            }
            Op::ResponseCode => {
                self.status = crate::decode::envoy::parse_code(value)
                    .map_err(|e| (e, "not 0 nor a status from 100 to 599"))?;
            }
            Op::Method => self.method = dash_empty(value),
            Op::Path => self.path = fields::split_target(dash_empty(value)).1,
            Op::Authority => self.authority = dash_empty(value),
            Op::RequestId => self.request_id = dash_empty(value),
            Op::UpstreamHost => self.upstream_host = dash_empty(value),
            Op::UpstreamCluster => self.upstream_cluster = dash_empty(value),
            Op::Downstream { port } => {
                let client = if port {
                    client::with_port(value)
                } else {
                    client::bare(value)
                };
                let client = client.or_empty();
                self.client.get_or_insert(client);
            }
            Op::Number | Op::Header { .. } | Op::Other => {}
        }
        Ok(())
    }
}

impl<'a> Values<'a> {
    fn event(&self) -> Result<Event<'a>, DecodeError> {
        let start_us = self.start_us.ok_or(DecodeError::BadTime)?;
        let time_us = start_us
            .checked_add(self.duration_us.unwrap_or(0))
            .ok_or(DecodeError::BadTime)?;
        let backend = if self.upstream_cluster.is_empty() {
            self.upstream_host
        } else {
            self.upstream_cluster
        };
        Ok(Event {
            time_us,
            status: self.status,
            latency_us: if self.status == 0 {
                None
            } else {
                self.duration_us
            },
            method: self.method,
            host: fields::host_of(self.authority),
            path: self.path,
            backend,
            long_lived: false,
            request_id: self.request_id,
            client: self.client.unwrap_or_default(),
        })
    }
}

/// The text and command operators of a format (`%%` is a literal `%`).
fn parse(text: &str) -> Result<Parts<Op>, CompileError> {
    let bytes = text.as_bytes();
    let mut parts = Parts::new();
    let mut i = 0;
    while i < bytes.len() {
        if let Some((byte, len)) = percent_text(&bytes[i..]) {
            parts.text(&[byte]);
            i += len;
            continue;
        }
        let ((name, arg), len) = operator(&text[i..]).ok_or(CompileError::Operator(i + 1))?;
        let op = Op::of(name, arg)?;
        parts.push(Part::Field {
            field: op,
            name: text[i..i + len].to_string(),
            kind: op.kind(),
            slash: op == Op::Path,
            quotes: matches!(op, Op::Header { quotes: true }),
            read: !matches!(op, Op::Number | Op::Header { .. } | Op::Other),
        });
        i += len;
    }
    Ok(parts)
}

/// The operator at the start of `s` (which starts with `%`): its name, its argument, and
/// its length up to and including the closing `%`. `NAME`, `NAME(ARG)`, each optionally
/// followed by `:LENGTH`.
fn operator(s: &str) -> Option<((&str, Option<&str>), usize)> {
    let body = &s[1..];
    let name_len = body
        .bytes()
        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
        .count();
    if name_len == 0 {
        return None;
    }
    let name = &body[..name_len];
    let mut at = name_len;
    let mut arg = None;
    if body[at..].starts_with('(') {
        let close = body[at..].find(')')?;
        arg = Some(&body[at + 1..at + close]);
        at += close + 1;
    }
    if let Some(after) = body[at..].strip_prefix(':') {
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        at += 1 + digits;
    }
    if !body[at..].starts_with('%') {
        return None;
    }
    Some(((name, arg), at + 2))
}

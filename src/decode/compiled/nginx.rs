//! nginx `log_format` strings, compiled once at config load into a decoder that reads exactly
//! the lines nginx writes with them (`spec.decode.nginx`).
//!
//! A format is text and variables (`$name`, `${name}`), read by the [engine](super) of
//! compiled formats. Compiling it fixes, for each variable, the shape its value has in the
//! line and so where it ends:
//! - the variables an event needs have their own shapes: `$time_local` (26 bytes),
//!   `$time_iso8601` (25 bytes), `$msec` and `$request_time` (seconds with exactly three
//!   decimals, as nginx writes them), `$status` (three digits), and the `$upstream_*` lists
//!   (items separated by `, ` and ` : `, parsed as lists whether or not they are read, so the
//!   fields after them stay in place when a request tried several upstreams);
//! - any other variable between double quotes is a quoted string, which ends at its first
//!   quote (nginx escapes quotes inside values as `\x22`, or `\"` with `escape=json`; with
//!   `escape=none`, a free-text value such as a header ends at the first quote after which
//!   the rest of the line fits);
//! - `$request` and `$remote_user` outside quotes run to the format's next text;
//! - every other variable is a token without spaces.
//!
//! A line decodes only when it follows the format from its first byte to its last, with every
//! variable in its shape: otherwise it is a [`DecodeError`] naming what did not fit (a line
//! that stops early, has other text between fields, or goes on after the format's end is
//! [`DecodeError::MissingFields`]). [`LogFormat::why`] says at which field and why.
//!
//! The event: time from `$msec`, else `$time_iso8601`, else `$time_local` (when nginx wrote
//! the line, i.e. when the response completed); status `$status`; latency `$request_time`, or
//! the sum of the last upstream's `$upstream_response_time` items ([`LatencyFrom`]; unknown
//! when an item is `-`); method `$request_method`, else from `$request`; path
//! `$request_uri`, else from `$request`, else `$uri` (never a query string); host `$host`,
//! else `$http_host` (without port), else `$server_name`; backend `$proxy_upstream_name`, else
//! the last `$upstream_addr`; request id `$request_id` (ingress-nginx: `$req_id`); client
//! `$remote_addr` (an IP address; `unix:` for a UNIX socket is none, any other value no client (the line still decodes)) — the address nginx took the request from, or with the realip
//! module the one it trusts from the proxies in front; `$http_x_forwarded_for`, which any
//! client can write, is never read as the client. `-` is empty everywhere.

use super::{Bad, Kind, Layout, Sink, dash_empty, list_items, millis_us};
use crate::decode::{DecodeError, Event, client, fields, timestamp};

mod syntax;
#[cfg(test)]
mod tests;

use syntax::{directive, parse};

/// The named formats (`spec.decode.nginx.preset`).
pub const PRESETS: [(&str, &str); 4] = [
    ("combined", COMBINED),
    ("combined_timed", COMBINED_TIMED),
    ("main", MAIN),
    ("ingress_nginx", INGRESS_NGINX),
];

/// nginx's predefined `combined`.
const COMBINED: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;
/// `combined` followed by the two timings, as the demo source writes nginx lines.
const COMBINED_TIMED: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time"#;
/// `main` of nginx.org's sample configuration and the official Docker image.
const MAIN: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#;
/// ingress-nginx's default `upstreaminfo`.
const INGRESS_NGINX: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id"#;

/// Which timing is the latency (`spec.decode.nginx.latency`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LatencyFrom {
    /// `$request_time`: from the first byte read from the client to the last one sent.
    RequestTime,
    /// The sum of the last upstream's `$upstream_response_time` items: the time the
    /// upstream servers of the final response took, retries included.
    UpstreamResponseTime,
}

impl LatencyFrom {
    /// Both choices, in documentation order.
    pub const ALL: [LatencyFrom; 2] = [LatencyFrom::RequestTime, LatencyFrom::UpstreamResponseTime];

    /// The config name, which is the variable's.
    pub fn name(self) -> &'static str {
        match self {
            LatencyFrom::RequestTime => "request_time",
            LatencyFrom::UpstreamResponseTime => "upstream_response_time",
        }
    }

    fn var(self) -> Var {
        match self {
            LatencyFrom::RequestTime => Var::RequestTime,
            LatencyFrom::UpstreamResponseTime => Var::UpstreamResponseTime,
        }
    }
}

/// What the variables nginx logs mean to the decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Var {
    TimeLocal,
    TimeIso8601,
    Msec,
    Request,
    RequestMethod,
    RequestUri,
    Uri,
    Status,
    RequestTime,
    UpstreamResponseTime,
    UpstreamAddr,
    /// Any other `$upstream_*`: a list, skipped.
    UpstreamOther,
    Host,
    HttpHost,
    ServerName,
    ProxyUpstreamName,
    RequestId,
    RemoteAddr,
    RemoteUser,
    /// Not read: skipped by its shape.
    Other,
}

impl Var {
    fn of(name: &str) -> Var {
        match name {
            "time_local" => Var::TimeLocal,
            "time_iso8601" => Var::TimeIso8601,
            "msec" => Var::Msec,
            "request" => Var::Request,
            "request_method" => Var::RequestMethod,
            "request_uri" => Var::RequestUri,
            "uri" | "document_uri" => Var::Uri,
            "status" => Var::Status,
            "request_time" => Var::RequestTime,
            "upstream_response_time" => Var::UpstreamResponseTime,
            "upstream_addr" => Var::UpstreamAddr,
            "host" => Var::Host,
            "http_host" => Var::HttpHost,
            "server_name" => Var::ServerName,
            "proxy_upstream_name" => Var::ProxyUpstreamName,
            "request_id" | "req_id" => Var::RequestId,
            "remote_addr" => Var::RemoteAddr,
            "remote_user" => Var::RemoteUser,
            n if n.starts_with("upstream_") => Var::UpstreamOther,
            _ => Var::Other,
        }
    }

    /// What its value looks like.
    fn kind(self) -> Kind {
        match self {
            Var::TimeLocal => Kind::Fixed(26),
            Var::TimeIso8601 => Kind::Fixed(25),
            Var::Msec | Var::RequestTime => Kind::Millis,
            Var::Status => Kind::Status,
            Var::UpstreamResponseTime => Kind::List { times: true },
            Var::UpstreamAddr | Var::UpstreamOther => Kind::List { times: false },
            Var::Request | Var::RemoteUser => Kind::Text,
            _ => Kind::Token,
        }
    }

    /// What the event takes from it, for [`LogFormat::fields`].
    fn reads(self) -> &'static str {
        match self {
            Var::TimeLocal | Var::TimeIso8601 | Var::Msec => "time",
            Var::Request => "method, path",
            Var::RequestMethod => "method",
            Var::RequestUri | Var::Uri => "path",
            Var::Status => "status",
            Var::RequestTime | Var::UpstreamResponseTime => "latency",
            Var::UpstreamAddr | Var::ProxyUpstreamName => "backend",
            Var::Host | Var::HttpHost | Var::ServerName => "host",
            Var::RequestId => "request id",
            Var::RemoteAddr => "client",
            Var::UpstreamOther | Var::RemoteUser | Var::Other => "",
        }
    }
}

/// A compiled `log_format`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogFormat {
    /// The format text after the directive and its quotes are taken off.
    text: String,
    layout: Layout<Var>,
    latency: Option<LatencyFrom>,
}

/// Why a format string does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// Nothing to read.
    #[error("the format is empty")]
    Empty,
    /// A quoted piece of a pasted directive never closes.
    #[error("a quoted piece of the directive is not closed")]
    Unclosed,
    /// `${` without its `}`.
    #[error("`${{{0}` is not closed with `}}`")]
    Brace(String),
    /// An unknown `escape=` value.
    #[error("unknown escape={0:?}: expected default, json or none")]
    Escape(String),
    /// Without a time there is no event time.
    #[error("the format has no $time_local, $time_iso8601 or $msec: every line needs its time")]
    NoTime,
    /// Without a status there is nothing to classify.
    #[error("the format has no $status")]
    NoStatus,
    /// Two variables with nothing between them that tells where the first ends.
    #[error("{0} is followed by {1} with no text between them: cannot tell where {0} ends")]
    Adjacent(String, String),
    /// The latency chosen is not in the format.
    #[error("latency {0} is chosen but the format has no ${0}")]
    NoLatency(&'static str),
}

impl LogFormat {
    /// Compiles `text`: a format string, or a pasted directive (`log_format name
    /// [escape=…] '…' '…';`, or just its quoted pieces), whose pieces are joined as nginx
    /// joins them. `latency` picks the timing; `None` takes `$request_time` when the format
    /// has it, else `$upstream_response_time` when it has that, else leaves latency unknown.
    pub fn compile(text: &str, latency: Option<LatencyFrom>) -> Result<Self, CompileError> {
        let (escape, text) = directive(text)?;
        let text = text.trim();
        if text.is_empty() {
            return Err(CompileError::Empty);
        }
        let parts = parse(text)?;
        let has = |v: Var| parts.has(|f| f == v);
        if ![Var::TimeLocal, Var::TimeIso8601, Var::Msec]
            .into_iter()
            .any(has)
        {
            return Err(CompileError::NoTime);
        }
        if !has(Var::Status) {
            return Err(CompileError::NoStatus);
        }
        let latency = match latency {
            Some(l) if has(l.var()) => Some(l),
            Some(l) => return Err(CompileError::NoLatency(l.name())),
            None => LatencyFrom::ALL.into_iter().find(|l| has(l.var())),
        };
        let layout = Layout::new(parts, escape).map_err(|a| CompileError::Adjacent(a.0, a.1))?;
        Ok(Self {
            text: text.to_string(),
            layout,
            latency,
        })
    }

    /// The preset named `name`, compiled.
    pub fn preset(name: &str, latency: Option<LatencyFrom>) -> Option<Result<Self, CompileError>> {
        let (_, text) = PRESETS.iter().find(|(n, _)| *n == name)?;
        Some(Self::compile(text, latency))
    }

    /// Whether this is `combined_timed`, the layout the demo source writes.
    pub fn is_combined_timed(&self) -> bool {
        self.text == COMBINED_TIMED
    }

    /// The format text compiled.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The timing read as the latency, if any.
    pub fn latency(&self) -> Option<LatencyFrom> {
        self.latency
    }

    fn has(&self, wanted: &[Var]) -> bool {
        self.layout.has(|v| wanted.contains(&v))
    }

    /// What the events carry, to check a configuration against.
    pub fn carries(&self) -> crate::decode::Carries {
        crate::decode::Carries {
            source: "the nginx log_format",
            strict: true,
            latency: self.latency.is_some(),
            host: self.has(&[Var::Host, Var::HttpHost, Var::ServerName]),
            method: self.has(&[Var::RequestMethod, Var::Request]),
            path: self.has(&[Var::RequestUri, Var::Request, Var::Uri]),
            backend: self.has(&[Var::ProxyUpstreamName, Var::UpstreamAddr]),
        }
    }

    /// Each variable in order, with its shape and what the event takes from it (empty when
    /// nothing: skipped), for `explain`.
    pub fn fields(&self) -> Vec<(String, &'static str, &'static str)> {
        self.layout
            .fields()
            .map(|(var, name, shape)| {
                let reads = match var {
                    Var::RequestTime | Var::UpstreamResponseTime
                        if self.latency.map(LatencyFrom::var) != Some(var) =>
                    {
                        ""
                    }
                    _ => var.reads(),
                };
                (name.to_string(), shape.name(), reads)
            })
            .collect()
    }

    /// Decodes one line: the event, or why the line does not follow the format.
    pub fn read<'a>(&self, line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        self.layout.read::<Values>(line)?.event(self.latency)
    }

    /// Why `line` does not decode, naming the field and the byte; `None` when it decodes.
    pub fn why(&self, line: &[u8]) -> Option<String> {
        self.layout.why::<Values>(line)
    }
}

const BAD_TIME: (DecodeError, &str) = (DecodeError::BadTime, "not a time as nginx writes it");

/// The values read, by what they give the event.
#[derive(Debug, Default)]
struct Values<'a> {
    /// `$msec`, `$time_iso8601`, `$time_local`, in µs.
    msec_us: Option<i64>,
    iso_us: Option<i64>,
    local_us: Option<i64>,
    status: u16,
    request: Option<&'a [u8]>,
    method: Option<&'a [u8]>,
    request_uri: Option<&'a [u8]>,
    uri: Option<&'a [u8]>,
    request_time_us: Option<i64>,
    /// The sum of the last upstream's items, `None` when one is `-`.
    upstream_time_us: Option<Option<i64>>,
    upstream_addr: Option<&'a [u8]>,
    proxy_upstream: Option<&'a [u8]>,
    host: Option<&'a [u8]>,
    http_host: Option<&'a [u8]>,
    server_name: Option<&'a [u8]>,
    request_id: Option<&'a [u8]>,
    client: &'a [u8],
}

impl<'a> Sink<'a, Var> for Values<'a> {
    fn set(&mut self, var: Var, value: &'a [u8]) -> Result<(), Bad> {
        match var {
            Var::TimeLocal => {
                let t = (value.get(20) == Some(&b' ')).then(|| timestamp::clf_date(value));
                self.local_us = Some(t.flatten().ok_or(BAD_TIME)?);
            }
            Var::TimeIso8601 => self.iso_us = Some(timestamp::rfc3339(value).ok_or(BAD_TIME)?),
            Var::Msec => self.msec_us = Some(millis_us(value).ok_or(BAD_TIME)?),
            Var::Status => {
                self.status =
                    fields::parse_status(value).map_err(|e| (e, "not a status from 100 to 599"))?;
            }
            Var::RequestTime => {
                self.request_time_us = Some(
                    millis_us(value)
                        .ok_or((DecodeError::BadLatency, "not seconds with three decimals"))?,
                );
            }
            Var::UpstreamResponseTime => self.upstream_time_us = Some(last_upstream_us(value)),
            Var::UpstreamAddr => {
                self.upstream_addr = Some(list_items(value).last().map_or(value, |(_, item)| item))
            }
            Var::Request => self.request = Some(value),
            Var::RequestMethod => self.method = Some(value),
            Var::RequestUri => self.request_uri = Some(value),
            Var::Uri => self.uri = Some(value),
            Var::Host => self.host = Some(value),
            Var::HttpHost => self.http_host = Some(value),
            Var::ServerName => self.server_name = Some(value),
            Var::ProxyUpstreamName => self.proxy_upstream = Some(value),
            Var::RequestId => self.request_id = Some(value),
            Var::RemoteAddr => {
                self.client = client::bare(value).or_empty();
            }
            Var::UpstreamOther | Var::RemoteUser | Var::Other => {}
        }
        Ok(())
    }
}

impl<'a> Values<'a> {
    fn event(&self, latency: Option<LatencyFrom>) -> Result<Event<'a>, DecodeError> {
        let time_us = self
            .msec_us
            .or(self.iso_us)
            .or(self.local_us)
            .ok_or(DecodeError::BadTime)?;
        let latency_us = match latency {
            Some(LatencyFrom::RequestTime) => self.request_time_us,
            Some(LatencyFrom::UpstreamResponseTime) => self.upstream_time_us.flatten(),
            None => None,
        };
        let request = self.request.and_then(fields::split_request);
        let method = match (self.method, request) {
            (Some(m), _) => dash_empty(m),
            (None, Some(r)) if is_method(r.method) => r.method,
            (None, _) => &[],
        };
        let path = match (self.request_uri, request, self.uri) {
            (Some(target), ..) => fields::split_target(dash_empty(target)).1,
            (None, Some(r), _) if is_method(r.method) => {
                fields::request_target(r.method, r.target).1
            }
            (None, _, Some(uri)) => dash_empty(uri),
            _ => &[],
        };
        let host = match (self.host, self.http_host, self.server_name) {
            (Some(h), ..) => dash_empty(h),
            (None, Some(h), _) => fields::host_of(dash_empty(h)),
            (None, None, Some(h)) => dash_empty(h),
            (None, None, None) => &[],
        };
        let backend = dash_empty(
            self.proxy_upstream
                .or(self.upstream_addr)
                .unwrap_or_default(),
        );
        Ok(Event {
            time_us,
            status: self.status,
            latency_us,
            method,
            host,
            path,
            backend,
            long_lived: false,
            request_id: dash_empty(self.request_id.unwrap_or_default()),
            client: self.client,
        })
    }
}

/// An upper-case method token such as `GET` or `VERSION-CONTROL`.
pub(crate) fn is_method(method: &[u8]) -> bool {
    matches!(method.first(), Some(b'A'..=b'Z'))
        && method
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b == b'_' || b == b'-')
}

/// The sum of the last group's timings; `None` when one of them is `-`.
fn last_upstream_us(list: &[u8]) -> Option<i64> {
    let mut sum = Some(0i64);
    for (new_group, item) in list_items(list) {
        if new_group {
            sum = Some(0);
        }
        sum = sum.zip(millis_us(item)).map(|(a, b)| a + b);
    }
    sum
}

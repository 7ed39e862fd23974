//! nginx `log_format` strings, compiled once at config load into a decoder that reads exactly
//! the lines nginx writes with them (`spec.decode.nginx`).
//!
//! A format is text and variables (`$name`, `${name}`). Compiling it fixes, for each variable,
//! the shape its value has in the line and so where it ends:
//! - the variables an event needs have their own shapes: `$time_local` (26 bytes),
//!   `$time_iso8601` (25 bytes), `$msec` and `$request_time` (seconds with exactly three
//!   decimals, as nginx writes them), `$status` (three digits), and the `$upstream_*` lists
//!   (items separated by `, ` and ` : `, parsed as lists whether or not they are read, so the
//!   fields after them stay in place when a request tried several upstreams);
//! - any other variable between double quotes is a quoted string, which ends at the first
//!   quote that the format's next text follows (nginx escapes quotes inside values as `\x22`);
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
//! the last `$upstream_addr`; request id `$request_id` (ingress-nginx: `$req_id`). `-` is
//! empty everywhere.

use memchr::memmem;

use super::fields;
use super::{DecodeError, Event, timestamp};
use crate::time::SECOND;

#[cfg(test)]
mod tests;

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
enum Var {
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
            "remote_user" => Var::RemoteUser,
            n if n.starts_with("upstream_") => Var::UpstreamOther,
            _ => Var::Other,
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
            Var::UpstreamOther | Var::RemoteUser | Var::Other => "",
        }
    }
}

/// How a variable's value is delimited in the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Shape {
    /// Exactly this many bytes (the two dates).
    Fixed(usize),
    /// Digits, a point and exactly three digits (`$msec`, `$request_time`).
    Millis,
    /// Three digits.
    Status,
    /// Items separated by `, ` or ` : `, each ending at a space, a comma or `stop` (the next
    /// text's first byte); `times`: each item is [`Shape::Millis`] or `-`.
    List { times: bool, stop: Option<u8> },
    /// Between double quotes: up to the first quote that the next text follows.
    Quoted,
    /// Up to the next text of the format.
    Text,
    /// No spaces: up to a space, the first byte of the next text, or `/` before a path.
    Token { stop: Option<u8>, before_path: bool },
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Fixed(_) => "a date",
            Shape::Millis => "seconds with three decimals",
            Shape::Status => "a three-digit status",
            Shape::List { times: true, .. } => "a list of timings",
            Shape::List { times: false, .. } => "a list",
            Shape::Quoted => "a quoted string",
            Shape::Text => "text",
            Shape::Token { .. } => "a token without spaces",
        }
    }
}

/// One part of a compiled format.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Item {
    /// Text written as it is.
    Text(Box<[u8]>),
    /// A variable, its name as written and its shape in the line.
    Var {
        var: Var,
        name: Box<str>,
        shape: Shape,
    },
}

/// How nginx escapes values (`log_format … escape=`): `\xHH` (default), JSON, or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Escape {
    Default,
    Json,
    None,
}

/// A compiled `log_format`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogFormat {
    /// The format text after the directive and its quotes are taken off.
    text: String,
    items: Vec<Item>,
    /// For each text item, a searcher for it (texts that end a [`Shape::Text`] value).
    finders: Vec<Option<Finder>>,
    escape: Escape,
    latency: Option<LatencyFrom>,
}

/// A substring searcher that compares by its needle (for `PartialEq`, `Hash`).
#[derive(Debug, Clone)]
struct Finder(memmem::Finder<'static>);

impl PartialEq for Finder {
    fn eq(&self, other: &Self) -> bool {
        self.0.needle() == other.0.needle()
    }
}

impl Eq for Finder {}

impl std::hash::Hash for Finder {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.needle().hash(state);
    }
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
    #[error("${0} is followed by ${1} with no text between them: cannot tell where ${0} ends")]
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
        let mut items = parse(text)?;
        let has = |v: Var| {
            items
                .iter()
                .any(|i| matches!(i, Item::Var { var, .. } if *var == v))
        };
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
        assign_shapes(&mut items)?;
        let finders = items
            .iter()
            .map(|item| match item {
                Item::Text(t) => Some(Finder(memmem::Finder::new(t).into_owned())),
                Item::Var { .. } => None,
            })
            .collect();
        Ok(Self {
            text: text.to_string(),
            items,
            finders,
            escape,
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
        self.items
            .iter()
            .any(|i| matches!(i, Item::Var { var, .. } if wanted.contains(var)))
    }

    /// Whether events carry a latency.
    pub fn has_latency(&self) -> bool {
        self.latency.is_some()
    }

    /// Whether events carry a host.
    pub fn has_host(&self) -> bool {
        self.has(&[Var::Host, Var::HttpHost, Var::ServerName])
    }

    /// Whether events carry a method.
    pub fn has_method(&self) -> bool {
        self.has(&[Var::RequestMethod, Var::Request])
    }

    /// Whether events carry a path.
    pub fn has_path(&self) -> bool {
        self.has(&[Var::RequestUri, Var::Request, Var::Uri])
    }

    /// Whether events carry a backend.
    pub fn has_backend(&self) -> bool {
        self.has(&[Var::ProxyUpstreamName, Var::UpstreamAddr])
    }

    /// Whether events carry a request id.
    pub fn has_request_id(&self) -> bool {
        self.has(&[Var::RequestId])
    }

    /// Each variable in order, with its shape and what the event takes from it (empty when
    /// nothing: skipped), for `explain`.
    pub fn fields(&self) -> Vec<(String, &'static str, &'static str)> {
        self.items
            .iter()
            .filter_map(|item| match item {
                Item::Var { var, name, shape } => {
                    let reads = match var {
                        Var::RequestTime | Var::UpstreamResponseTime
                            if self.latency.map(LatencyFrom::var) != Some(*var) =>
                        {
                            ""
                        }
                        _ => var.reads(),
                    };
                    Some((format!("${name}"), shape.name(), reads))
                }
                Item::Text(_) => None,
            })
            .collect()
    }

    /// Why `line` does not decode, naming the field and the byte (`at $status (a three-digit
    /// status), byte 57: not a status from 100 to 599`); `None` when it decodes.
    pub fn why(&self, line: &[u8]) -> Option<String> {
        let line = match fields::trim_line(line) {
            Ok(line) => line,
            Err(_) => return Some("the line is blank".to_string()),
        };
        let miss = self.scan(line, &mut Values::default()).err()?;
        let at = match self.items.get(miss.item) {
            Some(Item::Var { name, shape, .. }) => {
                format!("at ${name} ({}), byte {}", shape.name(), miss.at + 1)
            }
            Some(Item::Text(t)) => format!(
                "at the text {:?} of the format, byte {}",
                String::from_utf8_lossy(t),
                miss.at + 1
            ),
            None => format!("at byte {}, after the format's last field", miss.at + 1),
        };
        Some(format!("{at}: {}", miss.what))
    }

    /// Reads `line` (trimmed) item by item into `v`.
    fn scan<'a>(&self, line: &'a [u8], v: &mut Values<'a>) -> Result<(), Miss> {
        let mut pos = 0;
        for (i, item) in self.items.iter().enumerate() {
            let rest = &line[pos..];
            let miss = |error, what| Miss {
                item: i,
                at: pos,
                error,
                what,
            };
            match item {
                Item::Text(t) => {
                    if !starts_with(rest, t) {
                        let what = if rest.len() < t.len() && t.starts_with(rest) {
                            "the line ends before this text"
                        } else {
                            "the line has other text here"
                        };
                        return Err(miss(DecodeError::MissingFields, what));
                    }
                    pos += t.len();
                }
                Item::Var { var, shape, .. } => {
                    let len = self.extent(i, *shape, rest).map_err(|(e, w)| miss(e, w))?;
                    let value = &rest[..len];
                    v.set(*var, value).map_err(|(e, w)| miss(e, w))?;
                    pos += len;
                }
            }
        }
        if pos != line.len() {
            return Err(Miss {
                item: self.items.len(),
                at: pos,
                error: DecodeError::MissingFields,
                what: "the line goes on after the format's end",
            });
        }
        Ok(())
    }

    /// The length of the value of item `i`, of shape `shape`, at the start of `rest`.
    fn extent(
        &self,
        i: usize,
        shape: Shape,
        rest: &[u8],
    ) -> Result<usize, (DecodeError, &'static str)> {
        const ENDED: (DecodeError, &str) = (DecodeError::MissingFields, "the line ends here");
        match shape {
            Shape::Fixed(n) => (rest.len() >= n).then_some(n).ok_or(ENDED),
            Shape::Millis => {
                millis_len(rest).ok_or((DecodeError::BadLatency, "not seconds with three decimals"))
            }
            Shape::Status => Ok(3.min(rest.len())),
            Shape::List { times, stop } => list_len(rest, times, stop),
            Shape::Token { stop, before_path } => {
                let stop = stop.unwrap_or(b' ');
                let path = if before_path { b'/' } else { b' ' };
                // Tokens are short: a plain loop beats a vectorized search here.
                let end = rest
                    .iter()
                    .position(|&b| b == b' ' || b == stop || b == path)
                    .unwrap_or(rest.len());
                // A variable set to "" is written empty (`[]` in ingress-nginx's lines).
                Ok(end)
            }
            Shape::Text => match self.next_text(i) {
                None => Ok(rest.len()),
                Some((_, true, t)) => rest.ends_with(t).then(|| rest.len() - t.len()).ok_or((
                    DecodeError::MissingFields,
                    "the line does not end as the format does",
                )),
                Some((finder, false, _)) => finder.and_then(|f| f.0.find(rest)).ok_or((
                    DecodeError::MissingFields,
                    "the text after this value is not in the line",
                )),
            },
            Shape::Quoted => self.quoted_len(i, rest),
        }
    }

    /// The text item after item `i`: its finder, whether it ends the format, its bytes.
    fn next_text(&self, i: usize) -> Option<(Option<&Finder>, bool, &[u8])> {
        match self.items.get(i + 1)? {
            Item::Text(t) => Some((
                self.finders.get(i + 1).and_then(Option::as_ref),
                i + 2 == self.items.len(),
                t,
            )),
            Item::Var { .. } => None,
        }
    }

    /// The length of a quoted value: up to the first quote outside an escape, which the next
    /// text must follow (and end the line when it ends the format); with `escape=none`, where
    /// values may hold quotes, up to the first quote that the next text follows.
    fn quoted_len(&self, i: usize, rest: &[u8]) -> Result<usize, (DecodeError, &'static str)> {
        const OPEN: (DecodeError, &str) = (
            DecodeError::UnterminatedQuote,
            "no closing quote followed by the format's next text",
        );
        let Some((_, last, t)) = self.next_text(i) else {
            return Err(OPEN);
        };
        let skip_escapes = self.escape != Escape::None;
        let mut at = 0;
        while let Some(found) = memchr::memchr2(b'"', b'\\', rest.get(at..).unwrap_or_default()) {
            let q = at + found;
            if rest[q] == b'\\' {
                at = q + if skip_escapes { 2 } else { 1 };
                continue;
            }
            let after = &rest[q..];
            if after.starts_with(t) && (!last || after.len() == t.len()) {
                return Ok(q);
            }
            if skip_escapes {
                // nginx escapes every quote inside a value: this one closes it.
                let what = if after.starts_with(t) {
                    "the line goes on after the format's end"
                } else {
                    "the text after the closing quote is not the format's"
                };
                return Err((DecodeError::MissingFields, what));
            }
            at = q + 1;
        }
        Err(OPEN)
    }
}

impl LogFormat {
    /// Decodes one line: the event, or why the line does not follow the format.
    pub fn read<'a>(&self, line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        let line = fields::trim_line(line)?;
        let mut v = Values::default();
        self.scan(line, &mut v).map_err(|m| m.error)?;
        v.event(self.latency)
    }
}

/// Where and why a line stopped fitting the format.
#[derive(Debug, Clone, Copy)]
struct Miss {
    /// The item (`items.len()`: past the last).
    item: usize,
    /// Byte offset in the trimmed line.
    at: usize,
    error: DecodeError,
    what: &'static str,
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
}

impl<'a> Values<'a> {
    fn set(&mut self, var: Var, value: &'a [u8]) -> Result<(), (DecodeError, &'static str)> {
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
            Var::UpstreamAddr => self.upstream_addr = Some(last_item(value)),
            Var::Request => self.request = Some(value),
            Var::RequestMethod => self.method = Some(value),
            Var::RequestUri => self.request_uri = Some(value),
            Var::Uri => self.uri = Some(value),
            Var::Host => self.host = Some(value),
            Var::HttpHost => self.http_host = Some(value),
            Var::ServerName => self.server_name = Some(value),
            Var::ProxyUpstreamName => self.proxy_upstream = Some(value),
            Var::RequestId => self.request_id = Some(value),
            Var::UpstreamOther | Var::RemoteUser | Var::Other => {}
        }
        Ok(())
    }

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
            (None, Some(r), _) if is_method(r.method) => fields::split_target(r.target).1,
            (None, _, Some(uri)) => dash_empty(uri),
            _ => &[],
        };
        let host = match (self.host, self.http_host, self.server_name) {
            (Some(h), ..) => dash_empty(h),
            (None, Some(h), _) => super::envoy::host_of(dash_empty(h)),
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
        })
    }
}

/// Whether `s` starts with `text`: the format's texts are a few bytes, shorter than what a
/// call to `memcmp` costs.
fn starts_with(s: &[u8], text: &[u8]) -> bool {
    s.len() >= text.len() && s.iter().zip(text).all(|(a, b)| a == b)
}

/// Empty for nginx's `-` (not set).
fn dash_empty(value: &[u8]) -> &[u8] {
    if value == b"-" { &[] } else { value }
}

/// An upper-case method token such as `GET` or `VERSION-CONTROL`.
pub(crate) fn is_method(method: &[u8]) -> bool {
    matches!(method.first(), Some(b'A'..=b'Z'))
        && method
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b == b'_' || b == b'-')
}

/// The length of the `digits.ddd` at the start of `s`, not followed by another digit.
fn millis_len(s: &[u8]) -> Option<usize> {
    let int = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if !(1..=12).contains(&int) || s.get(int) != Some(&b'.') {
        return None;
    }
    let frac = s.get(int + 1..int + 4)?;
    let end = int + 4;
    (frac.iter().all(u8::is_ascii_digit) && !s.get(end).is_some_and(u8::is_ascii_digit))
        .then_some(end)
}

/// `digits.ddd` seconds as exact µs.
pub(crate) fn millis_us(s: &[u8]) -> Option<i64> {
    if millis_len(s)? != s.len() {
        return None;
    }
    let (int, frac) = s.split_at(s.len() - 4);
    let whole = i64::try_from(crate::time::parse_u64(int)?).ok()?;
    let millis = i64::from(fields::digits(&frac[1..])?);
    whole.checked_mul(SECOND)?.checked_add(millis * 1000)
}

/// The length of an `$upstream_*` list at the start of `s`: items (with `times`, each `-` or
/// seconds with three decimals) separated by `, ` or ` : `, each ending at a space, a comma
/// or `stop`.
pub(crate) fn list_len(
    s: &[u8],
    times: bool,
    stop: Option<u8>,
) -> Result<usize, (DecodeError, &'static str)> {
    let mut at = 0;
    loop {
        let rest = &s[at..];
        let stop = stop.unwrap_or(b' ');
        let item = rest
            .iter()
            .position(|&b| b == b' ' || b == b',' || b == stop)
            .unwrap_or(rest.len());
        if item == 0 {
            return Err((DecodeError::MissingFields, "an item of the list is empty"));
        }
        if times && &rest[..item] != b"-" && millis_len(&rest[..item]) != Some(item) {
            return Err((
                DecodeError::BadLatency,
                "an item is neither - nor seconds with three decimals",
            ));
        }
        at += item;
        let after = &s[at..];
        if after.starts_with(b", ") {
            at += 2;
        } else if after.starts_with(b" : ") {
            at += 3;
        } else {
            return Ok(at);
        }
    }
}

/// The items of a list, each with whether a ` : ` (a new upstream group) comes before it.
fn items(list: &[u8]) -> impl Iterator<Item = (bool, &[u8])> {
    let mut rest = list;
    let mut group_starts = true;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest
            .iter()
            .position(|&b| b == b' ' || b == b',')
            .unwrap_or(rest.len());
        let (item, after) = rest.split_at(end);
        let starts = group_starts;
        group_starts = after.starts_with(b" : ");
        rest = after
            .strip_prefix(b", ")
            .or_else(|| after.strip_prefix(b" : "))
            .unwrap_or_default();
        Some((starts, item))
    })
}

/// The sum of the last group's timings; `None` when one of them is `-`.
fn last_upstream_us(list: &[u8]) -> Option<i64> {
    let mut sum = Some(0i64);
    for (new_group, item) in items(list) {
        if new_group {
            sum = Some(0);
        }
        sum = sum.zip(millis_us(item)).map(|(a, b)| a + b);
    }
    sum
}

/// The last item of a list.
fn last_item(list: &[u8]) -> &[u8] {
    items(list).last().map_or(list, |(_, item)| item)
}

/// Takes a pasted directive apart: `log_format name [escape=…]` and the quoted pieces with
/// a final `;` are optional. Returns the escaping and the format text.
fn directive(text: &str) -> Result<(Escape, String), CompileError> {
    let mut rest = text.trim();
    if let Some(after) = rest.strip_prefix("log_format") {
        // `log_format name`, then the pieces.
        let after = after.trim_start();
        let name_end = after.find(char::is_whitespace).unwrap_or(after.len());
        rest = after[name_end..].trim_start();
    }
    let mut escape = Escape::Default;
    if let Some(after) = rest.strip_prefix("escape=") {
        let end = after.find(char::is_whitespace).unwrap_or(after.len());
        escape = match &after[..end] {
            "default" => Escape::Default,
            "json" => Escape::Json,
            "none" => Escape::None,
            other => return Err(CompileError::Escape(other.to_string())),
        };
        rest = after[end..].trim_start();
    }
    let rest = rest.strip_suffix(';').unwrap_or(rest).trim_end();
    Ok((escape, pieces(rest)?.unwrap_or_else(|| rest.to_string())))
}

/// The joined pieces when `text` is a run of quoted strings separated by whitespace (nginx
/// joins a directive's arguments); `None` when it is not (then it is the format itself).
fn pieces(text: &str) -> Result<Option<String>, CompileError> {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    let mut any = false;
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(quote) = chars.next() else {
            return Ok(any.then_some(out));
        };
        if quote != '\'' && quote != '"' {
            return Ok(None);
        }
        let mut closed = false;
        let mut piece = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => piece.push('\n'),
                    Some('t') => piece.push('\t'),
                    Some('r') => piece.push('\r'),
                    Some(c @ ('\'' | '"' | '\\')) => piece.push(c),
                    Some(c) => {
                        piece.push('\\');
                        piece.push(c);
                    }
                    None => piece.push('\\'),
                },
                c if c == quote => {
                    closed = true;
                    break;
                }
                c => piece.push(c),
            }
        }
        if !closed {
            // A format that only starts with a quote (`"$time_local" …`) is not pieces.
            return if any {
                Err(CompileError::Unclosed)
            } else {
                Ok(None)
            };
        }
        // What follows a piece must be whitespace or the end; else this is not pieces.
        if chars.peek().is_some_and(|c| !c.is_whitespace()) {
            return Ok(None);
        }
        out.push_str(&piece);
        any = true;
    }
}

/// The text and variables of a format, shapes not yet assigned.
fn parse(text: &str) -> Result<Vec<Item>, CompileError> {
    let bytes = text.as_bytes();
    let mut items = Vec::new();
    let mut literal = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let name = match (bytes[i], bytes.get(i + 1)) {
            (b'$', Some(b'{')) => {
                let close = text[i + 2..]
                    .find('}')
                    .ok_or_else(|| CompileError::Brace(text[i + 2..].chars().take(20).collect()))?;
                let name = &text[i + 2..i + 2 + close];
                i += close + 3;
                name
            }
            (b'$', Some(c)) if is_name_byte(*c) => {
                let len = bytes[i + 1..]
                    .iter()
                    .take_while(|&&b| is_name_byte(b))
                    .count();
                let name = &text[i + 1..i + 1 + len];
                i += len + 1;
                name
            }
            (b, _) => {
                literal.push(b);
                i += 1;
                continue;
            }
        };
        if !literal.is_empty() {
            items.push(Item::Text(std::mem::take(&mut literal).into_boxed_slice()));
        }
        items.push(Item::Var {
            var: Var::of(name),
            name: name.into(),
            shape: Shape::Text,
        });
    }
    if !literal.is_empty() {
        items.push(Item::Text(literal.into_boxed_slice()));
    }
    Ok(items)
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Gives every variable its shape from its meaning and the text around it, and refuses
/// variables whose end cannot be found.
fn assign_shapes(items: &mut [Item]) -> Result<(), CompileError> {
    for i in 0..items.len() {
        let before = i.checked_sub(1).and_then(|j| match &items[j] {
            Item::Text(t) => Some(t.clone()),
            Item::Var { .. } => None,
        });
        let (next_text, next_var) = match items.get(i + 1) {
            Some(Item::Text(t)) => (Some(t.clone()), None),
            Some(Item::Var { var, name, .. }) => (None, Some((*var, name.clone()))),
            None => (None, None),
        };
        let Item::Var { var, name, shape } = &mut items[i] else {
            continue;
        };
        let quoted = before.as_deref().is_some_and(|t| t.ends_with(b"\""))
            && next_text.as_deref().is_some_and(|t| t.starts_with(b"\""));
        *shape = match var {
            Var::TimeLocal => Shape::Fixed(26),
            Var::TimeIso8601 => Shape::Fixed(25),
            Var::Msec | Var::RequestTime => Shape::Millis,
            Var::Status => Shape::Status,
            Var::UpstreamResponseTime => Shape::List {
                times: true,
                stop: next_text.as_deref().and_then(|t| t.first().copied()),
            },
            Var::UpstreamAddr | Var::UpstreamOther => Shape::List {
                times: false,
                stop: next_text.as_deref().and_then(|t| t.first().copied()),
            },
            _ if quoted => Shape::Quoted,
            Var::Request | Var::RemoteUser => Shape::Text,
            _ => Shape::Token {
                stop: next_text.as_deref().and_then(|t| t.first().copied()),
                before_path: matches!(next_var, Some((Var::RequestUri | Var::Uri, _))),
            },
        };
        // A value that runs to the next text, or a token or list, needs something after it
        // that is not another variable (a token may end at the `/` of a following path).
        let self_delimited = matches!(shape, Shape::Fixed(_) | Shape::Millis | Shape::Status)
            || matches!(
                shape,
                Shape::Token {
                    before_path: true,
                    ..
                }
            );
        if let (Some((_, next)), false) = (&next_var, self_delimited) {
            return Err(CompileError::Adjacent(name.to_string(), next.to_string()));
        }
    }
    Ok(())
}

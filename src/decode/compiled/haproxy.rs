//! HAProxy `log-format` strings (`spec.decode.haproxy`), compiled once at config load into a
//! decoder that reads exactly the lines HAProxy writes with them, after an optional syslog
//! header (`Feb  6 12:14:14 lb1 haproxy[14389]: `, or RFC 5424's).
//!
//! A format is text and variables (`%ci`, `%{+Q}r`, `%[expr]`), read by the [engine](super)
//! of compiled formats. The shapes: the dates `%t` and `%tr` (`06/Feb/2009:12:14:14.655`,
//! read as UTC: HAProxy writes its host's local time without a zone) and `%trg`, `%trl`
//! (`06/Feb/2009:12:14:14 +0100`, offset applied); the timers (`%TR`, `%Tw`, `%Tc`, `%Tr`,
//! `%Ta`, `%Tt`, `%Tq`, `%Th`, `%Ti`, `%Td`), `%ST`, the byte counts and the connection
//! counts are numbers that may carry a sign (`-1`, logasap's `+30`); `%hr`, `%hs` are capture
//! blocks `{…}` that HAProxy leaves out, with the space after them, when nothing is
//! captured; a variable with the `+Q` flag is a quoted string (escaped, so it ends at its
//! first quote); `%ci` and any token followed by `:` end at the last `:` before a space, so
//! IPv6 clients read; every other variable is a token without spaces.
//!
//! The event: time `%tr` (or `%trg`, `%trl`, else `%t`, else `%Ts`) plus the total timer,
//! when the exchange completed; latency `%Ta`, else `%Tt` (ms; `-1` unknown; a `+` read as
//! written); status `%ST` (`-1`: nothing was sent, status 0 with an unknown latency); method,
//! host and path from `%r` (absolute-form targets carry a host; `CONNECT host:port` a host
//! and no path), else `%HM` and `%HP` (or `%HU`); backend `%b`; request id `%ID`; client
//! `%ci` (an IP address; `unix` for a UNIX socket is none, any other value no client (the line still decodes)).

use super::{Bad, Escape, Kind, Layout, Part, Parts, Sink, dash_empty, percent_text};
use crate::decode::{Carries, DecodeError, Event, client, fields, timestamp};
use crate::time::SECOND;

#[cfg(test)]
mod tests;

/// The named formats (`spec.decode.haproxy.preset`).
pub const PRESETS: [(&str, &str); 3] = [
    ("httplog", HTTPLOG),
    ("httplog_legacy", HTTPLOG_LEGACY),
    ("httpslog", HTTPSLOG),
];

/// `option httplog` as HAProxy 2.x and later document it.
const HTTPLOG: &str = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r";
/// `option httplog` of HAProxy 1.x: accept date and `Tq/Tw/Tc/Tr/Tt`.
const HTTPLOG_LEGACY: &str = "%ci:%cp [%t] %ft %b/%s %Tq/%Tw/%Tc/%Tr/%Tt %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r";
/// `option httpslog` (HAProxy 2.5 on): httplog and the TLS details.
const HTTPSLOG: &str = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc";

/// What the variables mean to the decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Var {
    /// `%t`, `%tr`: a date without a zone (`zoned: false`); `%trg`, `%trl`: with one.
    Date {
        zoned: bool,
    },
    /// `%Ts`: epoch seconds.
    EpochSeconds,
    /// `%Ta`: the request's total active time.
    ActiveTime,
    /// `%Tt`: the session's total time.
    TotalTime,
    Status,
    Request,
    Method,
    Path,
    Backend,
    RequestId,
    /// `%ci`: the client's address.
    ClientIp,
    /// Read past: a number that may carry a sign.
    Signed,
    /// Read past: a capture block.
    Capture,
    /// Read past: a quoted string.
    Quoted,
    /// Read past: a token.
    Other,
}

impl Var {
    fn of(name: &str) -> Var {
        match name {
            "t" | "tr" => Var::Date { zoned: false },
            "trg" | "trl" => Var::Date { zoned: true },
            "Ts" => Var::EpochSeconds,
            "Ta" => Var::ActiveTime,
            "Tt" => Var::TotalTime,
            "ST" => Var::Status,
            "r" => Var::Request,
            "HM" => Var::Method,
            "HP" | "HU" => Var::Path,
            "b" => Var::Backend,
            "ID" => Var::RequestId,
            "ci" => Var::ClientIp,
            "TR" | "Tw" | "Tc" | "Tr" | "Tq" | "Th" | "Ti" | "Td" | "B" | "U" | "ac" | "fc"
            | "bc" | "sc" | "rc" | "sq" | "bq" | "cp" | "bp" | "fp" | "sp" | "pid" | "rt"
            | "lc" => Var::Signed,
            "hr" | "hs" => Var::Capture,
            _ => Var::Other,
        }
    }

    fn kind(self) -> Kind {
        match self {
            Var::Date { zoned: true } => Kind::Fixed(26),
            Var::Date { zoned: false } => Kind::Fixed(24),
            Var::EpochSeconds => Kind::Number { dash: false },
            Var::ActiveTime | Var::TotalTime | Var::Status | Var::Signed => Kind::Signed,
            Var::Capture => Kind::Capture,
            Var::Request | Var::Quoted => Kind::Text,
            Var::Method
            | Var::Path
            | Var::Backend
            | Var::RequestId
            | Var::ClientIp
            | Var::Other => Kind::Token,
        }
    }

    fn reads(self) -> &'static str {
        match self {
            Var::Date { .. } | Var::EpochSeconds => "time (start)",
            Var::ActiveTime | Var::TotalTime => "latency, time (+ total)",
            Var::Status => "status",
            Var::Request => "method, host, path",
            Var::Method => "method",
            Var::Path => "path",
            Var::Backend => "backend",
            Var::RequestId => "request id",
            Var::ClientIp => "client",
            Var::Signed | Var::Capture | Var::Quoted | Var::Other => "",
        }
    }
}

/// A compiled HAProxy `log-format`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogFormat {
    layout: Layout<Var>,
    /// The timer that is the latency: `%Ta`, else `%Tt`.
    total: Option<Var>,
}

/// Why a format string does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// Nothing to read.
    #[error("the format is empty")]
    Empty,
    /// A `%` that starts no variable.
    #[error("a variable at byte {0} is not closed (`%{{…}}` or `%[…]`; write a literal % as %%)")]
    Variable(usize),
    /// Without a date there is no event time.
    #[error("the format has no %tr, %trg, %trl, %t or %Ts: every line needs its time")]
    NoTime,
    /// Without a status there is nothing to classify.
    #[error("the format has no %ST")]
    NoStatus,
    /// Two variables with nothing between them that tells where the first ends.
    #[error("{0} is followed by {1} with no text between them: cannot tell where {0} ends")]
    Adjacent(String, String),
}

impl LogFormat {
    /// Compiles `text`, a `log-format` string as HAProxy's configuration holds it (with or
    /// without the surrounding quotes).
    pub fn compile(text: &str) -> Result<Self, CompileError> {
        let text = text.trim();
        let text = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        if text.is_empty() {
            return Err(CompileError::Empty);
        }
        let parts = parse(text)?;
        let has = |v: Var| parts.has(|f| f == v);
        if !parts.has(|v| matches!(v, Var::Date { .. } | Var::EpochSeconds)) {
            return Err(CompileError::NoTime);
        }
        if !has(Var::Status) {
            return Err(CompileError::NoStatus);
        }
        let total = [Var::ActiveTime, Var::TotalTime]
            .into_iter()
            .find(|v| has(*v));
        let layout = Layout::new(parts, Escape::Backslash)
            .map_err(|a| CompileError::Adjacent(a.0, a.1))?
            .after_syslog();
        Ok(Self { layout, total })
    }

    /// The preset named `name`, compiled.
    pub fn preset(name: &str) -> Option<Result<Self, CompileError>> {
        let (_, text) = PRESETS.iter().find(|(n, _)| *n == name)?;
        Some(Self::compile(text))
    }

    /// What the events carry, to check a configuration against.
    pub fn carries(&self) -> Carries {
        let has = |want: &[Var]| self.layout.has(|v| want.contains(&v));
        Carries {
            source: "the haproxy log-format",
            strict: true,
            latency: self.total.is_some(),
            // Absolute-form requests (HTTP/2) and CONNECT carry a host in `%r`.
            host: has(&[Var::Request]),
            method: has(&[Var::Request, Var::Method]),
            path: has(&[Var::Request, Var::Path]),
            backend: has(&[Var::Backend]),
        }
    }

    /// Each variable in order, with its shape and what the event takes from it.
    pub fn fields(&self) -> Vec<(String, &'static str, &'static str)> {
        self.layout
            .fields()
            .map(|(var, name, shape)| {
                let reads = match var {
                    Var::ActiveTime | Var::TotalTime if self.total != Some(var) => "",
                    _ => var.reads(),
                };
                (name.to_string(), shape.name(), reads)
            })
            .collect()
    }

    /// Decodes one line, after its syslog header: the event, or why it does not fit.
    pub fn read<'a>(&self, line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        self.layout.read::<Values>(line)?.event(self.total)
    }

    /// Why `line` does not decode, naming the variable and the byte (after the syslog
    /// header); `None` when it decodes.
    pub fn why(&self, line: &[u8]) -> Option<String> {
        self.layout.why::<Values>(line)
    }
}

/// The values read, by what they give the event.
#[derive(Debug, Default)]
struct Values<'a> {
    start_us: Option<i64>,
    active_us: Option<Option<i64>>,
    total_us: Option<Option<i64>>,
    status: u16,
    request: &'a [u8],
    method: &'a [u8],
    path: &'a [u8],
    backend: &'a [u8],
    request_id: &'a [u8],
    client: &'a [u8],
}

/// A timer in ms as µs: `None` for `-1` (that phase never happened); a `+` (logasap) is
/// read as written.
fn timer_us(value: &[u8]) -> Result<Option<i64>, Bad> {
    const BAD: Bad = (DecodeError::BadLatency, "not a timer in ms (or -1)");
    match value {
        b"-1" => Ok(None),
        [b'+', ms @ ..] | ms => crate::time::parse_u64(ms)
            .and_then(|ms| i64::try_from(ms).ok())
            .and_then(|ms| ms.checked_mul(1_000))
            .map(Some)
            .ok_or(BAD),
    }
}

impl<'a> Sink<'a, Var> for Values<'a> {
    fn set(&mut self, var: Var, value: &'a [u8]) -> Result<(), Bad> {
        const BAD_TIME: Bad = (DecodeError::BadTime, "not a date as HAProxy writes it");
        match var {
            Var::Date { .. } => {
                // A later date never replaces an earlier one: `%tr` before `%t` wins.
                let t = timestamp::clf_date(value).ok_or(BAD_TIME)?;
                self.start_us.get_or_insert(t);
            }
            Var::EpochSeconds => {
                let s = crate::time::parse_u64(value)
                    .and_then(|s| i64::try_from(s).ok())
                    .and_then(|s| s.checked_mul(SECOND))
                    .ok_or(BAD_TIME)?;
                self.start_us.get_or_insert(s);
            }
            Var::ActiveTime => self.active_us = Some(timer_us(value)?),
            Var::TotalTime => self.total_us = Some(timer_us(value)?),
            Var::Status => {
                self.status = match value {
                    b"-1" => 0,
                    s => fields::parse_status(s).map_err(|e| (e, "not -1 nor a status"))?,
                };
            }
            Var::Request => self.request = value,
            Var::Method => self.method = dash_empty(value),
            Var::Path => self.path = fields::split_target(dash_empty(value)).1,
            Var::Backend => self.backend = dash_empty(value),
            Var::RequestId => self.request_id = dash_empty(value),
            Var::ClientIp => {
                self.client = client::bare(value).or_empty();
            }
            Var::Signed | Var::Capture | Var::Quoted | Var::Other => {}
        }
        Ok(())
    }
}

impl<'a> Values<'a> {
    fn event(&self, total: Option<Var>) -> Result<Event<'a>, DecodeError> {
        let start_us = self.start_us.ok_or(DecodeError::BadTime)?;
        let total_us = match total {
            Some(Var::ActiveTime) => self.active_us.flatten(),
            Some(_) => self.total_us.flatten(),
            None => None,
        };
        let time_us = start_us
            .checked_add(total_us.unwrap_or(0))
            .ok_or(DecodeError::BadTime)?;
        let (method, host, path) = match fields::split_request(self.request) {
            Some(r) if !r.method.is_empty() && r.method != b"<BADREQ>" => {
                let (host, path) = fields::request_target(r.method, r.target);
                (r.method, host, path)
            }
            _ => (self.method, &[][..], self.path),
        };
        Ok(Event {
            time_us,
            status: self.status,
            latency_us: if self.status == 0 { None } else { total_us },
            method,
            host,
            path,
            backend: self.backend,
            long_lived: false,
            request_id: self.request_id,
            client: self.client,
        })
    }
}

/// The text and variables of a format: `%name`, `%{flags}name` (`+Q` quotes the value),
/// `%[sample expression]`; `%%` is a literal `%`.
fn parse(text: &str) -> Result<Parts<Var>, CompileError> {
    let bytes = text.as_bytes();
    let mut parts = Parts::new();
    let mut i = 0;
    while i < bytes.len() {
        if let Some((byte, len)) = percent_text(&bytes[i..]) {
            parts.text(&[byte]);
            i += len;
            continue;
        }
        let start = i;
        let mut quoted = false;
        let mut at = i + 1;
        if bytes.get(at) == Some(&b'{') {
            let close = text[at..]
                .find('}')
                .ok_or(CompileError::Variable(start + 1))?;
            quoted = text[at + 1..at + close].split(',').any(|f| f == "+Q");
            at += close + 1;
        }
        let (var, len) = if bytes.get(at) == Some(&b'[') {
            let close = text[at..]
                .find(']')
                .ok_or(CompileError::Variable(start + 1))?;
            (
                if quoted { Var::Quoted } else { Var::Other },
                at + close + 1 - start,
            )
        } else {
            let n = bytes[at..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            if n == 0 {
                return Err(CompileError::Variable(start + 1));
            }
            let var = Var::of(&text[at..at + n]);
            let var = match var {
                Var::Other if quoted => Var::Quoted,
                v => v,
            };
            (var, at + n - start)
        };
        let name = &text[start..start + len];
        // `+Q` wraps the value in quotes: they are text of the line around it.
        if quoted {
            parts.text(b"\"");
        }
        parts.push(Part::Field {
            field: var,
            name: name.to_string(),
            kind: var.kind(),
            slash: false,
            quotes: false,
            read: var.reads() != "",
        });
        if quoted {
            parts.text(b"\"");
        }
        i = start + len;
    }
    Ok(parts)
}

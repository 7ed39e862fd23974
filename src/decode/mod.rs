//! Decode: one access-log line in, one [`Event`] out, without allocating.
//!
//! A [`Decoder`] borrows every text field from the input line. Each format lives in its own
//! file and is selected by [`Format`]: `alb`, `nginx`, `envoy` (default text), `envoy_json`,
//! `haproxy` (`option httplog`), `gcp` (Cloud Logging JSON), `json` (keys named in the
//! configuration), `traefik` (its common format, or its JSON), `classic_elb` (AWS Classic
//! Load Balancer), `w3c` (CloudFront, IIS: columns declared by a `#Fields:` directive, kept
//! per partition in a [`LineState`]) and `otel_http` (OpenTelemetry log records that carry
//! HTTP attributes instead of a line, [`otlp::OtelHttp`]); adding a format means one new file plus one arm in
//! [`Format::decoder`].
//! Format strings that users paste (nginx `log_format`, Envoy's command operators, HAProxy's
//! `log-format`) are
//! compiled at config load by [`compiled`] into decoders of their exact layout, carried in
//! [`FormatOptions`].
//! A line that does not decode yields a [`DecodeError`] whose [`reason`](DecodeError::reason)
//! is a short, bounded label used in metrics — never fatal.
//!
//! The event time is always the one written in the access-log line (never a shipper's
//! ingest timestamp). Formats that log when a request started (Envoy, HAProxy) report the
//! start plus the duration, so every format's event time is when the response completed.
//! Latency is `None` when the format says it is unknown (ALB `-1` timings, nginx `-`, status
//! 0 — Envoy's `0`, HAProxy's `-1` — where no response was sent), which the classifier treats
//! specially.

pub mod alb;
pub mod classic_elb;
mod client;
pub mod compiled;
pub mod envelope;
pub mod envoy;
pub mod envoy_json;
mod fields;
pub mod gcp;
pub mod haproxy;
pub mod ingest;
pub mod json;
mod jsonscan;
pub mod nginx;
pub mod otlp;
mod swar;
#[cfg(test)]
mod testing;
mod timestamp;
pub mod traefik;
pub mod w3c;

pub use client::parse as client_ip;
pub use timestamp::Unit;

use std::fmt;
use std::sync::Arc;

/// One decoded request, borrowing from the line it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// Event time, µs since the Unix epoch, UTC.
    pub time_us: i64,
    /// HTTP status the client saw (ALB: `elb_status_code`).
    pub status: u16,
    /// Total request latency in µs, `None` when the log says it is unknown.
    pub latency_us: Option<i64>,
    /// Request method (`GET`), empty if the line has none.
    pub method: &'a [u8],
    /// Host / authority without port, empty if the format does not carry it.
    pub host: &'a [u8],
    /// Request path without query string, empty if unknown.
    pub path: &'a [u8],
    /// Backend: ALB target group ARN, nginx/HAProxy backend or server name; empty if unknown.
    pub backend: &'a [u8],
    /// True for long-lived connections (ALB `ws`/`wss`) whose duration is not a latency.
    pub long_lived: bool,
    /// The request's unique id, for de-duplicating redelivered lines (ALB trace id, Envoy
    /// `x-request-id`, GCP `insertId`); empty if the format carries none.
    pub request_id: &'a [u8],
    /// The client's IP address as written, without brackets or port (`203.0.113.7`,
    /// `2001:db8::1`); empty when the format does not carry it or the line has none. Personal
    /// data: only burn attribution's `client` dimension reads it, as a network prefix.
    pub client: &'a [u8],
}

/// Why a line did not decode. Each reason is a bounded metrics label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DecodeError {
    /// Blank line.
    Empty,
    /// Fewer fields than the format requires.
    MissingFields,
    /// A quoted field was never closed.
    UnterminatedQuote,
    /// The timestamp did not parse.
    BadTime,
    /// The status code did not parse or was out of range.
    BadStatus,
    /// The request line did not parse.
    BadRequest,
    /// A timing field was neither a number nor the format's "unknown" marker.
    BadLatency,
    /// The message is not the configured envelope (e.g. not a JSON object with `message`).
    BadEnvelope,
}

impl DecodeError {
    /// All reasons, for metrics that list every label.
    pub const ALL: [DecodeError; 8] = [
        DecodeError::Empty,
        DecodeError::MissingFields,
        DecodeError::UnterminatedQuote,
        DecodeError::BadTime,
        DecodeError::BadStatus,
        DecodeError::BadRequest,
        DecodeError::BadLatency,
        DecodeError::BadEnvelope,
    ];

    /// Short snake_case label for metrics and logs.
    pub fn reason(self) -> &'static str {
        match self {
            DecodeError::Empty => "empty",
            DecodeError::MissingFields => "missing_fields",
            DecodeError::UnterminatedQuote => "unterminated_quote",
            DecodeError::BadTime => "bad_time",
            DecodeError::BadStatus => "bad_status",
            DecodeError::BadRequest => "bad_request",
            DecodeError::BadLatency => "bad_latency",
            DecodeError::BadEnvelope => "bad_envelope",
        }
    }

    /// Dense index into [`DecodeError::ALL`], for counter arrays on the hot path.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for DecodeError {}

/// A line decoder for one access-log format.
pub trait Decoder: Send + Sync + fmt::Debug {
    /// Decodes one line (without its trailing newline).
    fn decode<'a>(&self, line: &'a [u8]) -> Result<Event<'a>, DecodeError>;

    /// A compiled format's fields, for `explain`: each variable as written, its shape in the
    /// line, and what the event takes from it (empty: skipped). Empty for fixed formats.
    fn layout(&self) -> Vec<(String, &'static str, &'static str)> {
        Vec::new()
    }

    /// Decodes one line of a partition whose earlier lines left `state`: a format with
    /// directives (W3C's `#Fields:`) reads them into `state` and yields `Ok(None)` for
    /// them; the others decode the line on its own.
    fn decode_in<'a>(
        &self,
        line: &'a [u8],
        _state: &mut LineState,
    ) -> Result<Option<Event<'a>>, DecodeError> {
        self.decode(line).map(Some)
    }

    /// The event of an OpenTelemetry log record read from its attributes, for a format of
    /// records rather than lines (`otel_http`); `None` for the line formats, which read the
    /// record's string body as a line.
    fn record<'a>(&self, _record: &otlp::Record<'a>) -> Option<Result<Event<'a>, DecodeError>> {
        None
    }

    /// Why `line` (read after `state`) does not decode, naming the field, for formats that
    /// can say more than [`DecodeError::reason`]; `None` otherwise (and for a line that
    /// decodes).
    fn why(&self, _line: &[u8], _state: &LineState) -> Option<String> {
        None
    }
}

/// What the earlier lines of one partition (or file) told its format: the W3C `#Fields:`
/// directive in force. Kept beside the partition's position and checkpointed with it, so a
/// resumed reader reads the lines after a header as the header says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineState {
    w3c: Option<Arc<w3c::Columns>>,
}

impl LineState {
    /// What a checkpoint keeps: the directive line in force, if any.
    pub fn saved(&self) -> Option<&[u8]> {
        self.w3c.as_deref().map(w3c::Columns::directive)
    }

    /// The state that `saved` (from [`LineState::saved`]) restores.
    pub fn restore(saved: Option<&[u8]>) -> LineState {
        LineState {
            w3c: saved.and_then(w3c::Columns::parse).map(Arc::new),
        }
    }
}

/// A compiled format string is a decoder: its layout reads the line, lists its fields and
/// says why a line does not fit.
macro_rules! compiled_decoder {
    ($($format:ty),*) => {$(
        impl Decoder for $format {
            fn decode<'a>(&self, line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
                self.read(line)
            }

            fn layout(&self) -> Vec<(String, &'static str, &'static str)> {
                self.fields()
            }

            fn why(&self, line: &[u8], _state: &LineState) -> Option<String> {
                <$format>::why(self, line)
            }
        }
    )*};
}

compiled_decoder!(
    compiled::envoy::AccessLogFormat,
    compiled::haproxy::LogFormat,
    compiled::nginx::LogFormat
);

/// The settings of the formats that have some (`spec.decode.<format>`), compiled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormatOptions {
    /// The key mapping of [`Format::Json`]; required by it.
    pub json: Option<json::JsonMapping>,
    /// A compiled `log_format` for [`Format::Nginx`]; without it, [`nginx::NginxDecoder`].
    pub nginx: Option<compiled::nginx::LogFormat>,
    /// A compiled format string for [`Format::Envoy`]; without it, [`envoy::EnvoyDecoder`].
    pub envoy: Option<compiled::envoy::AccessLogFormat>,
    /// A compiled `log-format` for [`Format::Haproxy`]; without it,
    /// [`haproxy::HaproxyDecoder`].
    pub haproxy: Option<compiled::haproxy::LogFormat>,
    /// The producer of [`Format::W3c`] logs; required by it.
    pub w3c: Option<w3c::Preset>,
    /// The duration attribute of [`Format::OtelHttp`] records; its default without.
    pub otel_http: Option<otlp::OtelHttp>,
}

/// What the events of a format carry, to check a configuration against: a service or SLO
/// that selects by a field its format never fills, or a latency SLO over a format without a
/// timing, could never count what it means to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Carries {
    /// The format, as a configuration error names it.
    pub source: &'static str,
    /// Whether a configuration needing more is an error (a compiled format, whose fields
    /// are known) or a warning (a fixed format, which keeps its behaviour).
    pub strict: bool,
    /// A latency.
    pub latency: bool,
    /// A host.
    pub host: bool,
    /// A method.
    pub method: bool,
    /// A path.
    pub path: bool,
    /// A backend.
    pub backend: bool,
}

/// The access-log formats slipstream reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// AWS Application Load Balancer access logs.
    Alb,
    /// nginx `combined`, optionally followed by `$request_time $upstream_response_time`.
    Nginx,
    /// Envoy's default text access-log format.
    Envoy,
    /// Envoy JSON access logs (string or typed values, common key names).
    EnvoyJson,
    /// HAProxy `option httplog`.
    Haproxy,
    /// GCP HTTP(S) load balancer logs (Cloud Logging JSON).
    Gcp,
    /// JSON lines whose keys the configuration names ([`json::JsonMapping`]).
    Json,
    /// Traefik access logs, common format or JSON.
    Traefik,
    /// AWS Classic Load Balancer (ELB) access logs.
    ClassicElb,
    /// W3C extended logs with a `#Fields:` header: AWS CloudFront, IIS.
    W3c,
    /// OpenTelemetry log records with HTTP semantic-convention attributes (in an OTLP
    /// envelope).
    OtelHttp,
}

impl Format {
    /// Every format, in documentation order.
    pub const ALL: [Format; 11] = [
        Format::Alb,
        Format::Nginx,
        Format::Envoy,
        Format::EnvoyJson,
        Format::Haproxy,
        Format::Gcp,
        Format::Json,
        Format::Traefik,
        Format::ClassicElb,
        Format::W3c,
        Format::OtelHttp,
    ];

    /// The config name of the format.
    pub fn name(self) -> &'static str {
        match self {
            Format::Alb => "alb",
            Format::Nginx => "nginx",
            Format::Envoy => "envoy",
            Format::EnvoyJson => "envoy_json",
            Format::Haproxy => "haproxy",
            Format::Gcp => "gcp",
            Format::Json => "json",
            Format::Traefik => "traefik",
            Format::ClassicElb => "classic_elb",
            Format::W3c => "w3c",
            Format::OtelHttp => "otel_http",
        }
    }

    /// True when a line can change how the lines after it decode ([`LineState`]: a W3C
    /// `#Fields:` directive), so one partition's lines must be decoded in order.
    pub fn has_line_state(self) -> bool {
        matches!(self, Format::W3c)
    }

    /// Looks a format up by its config name.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// What this format's events carry with `options`, where that is checked: `nginx`
    /// (compiled, or `combined` without one) and a compiled `envoy` or `haproxy`; `None`
    /// otherwise.
    pub fn carries(self, options: &FormatOptions) -> Option<Carries> {
        match (self, &options.nginx) {
            (Format::Nginx, Some(f)) => Some(f.carries()),
            (Format::Envoy, _) => options.envoy.as_ref().map(|f| f.carries()),
            (Format::Haproxy, _) => options.haproxy.as_ref().map(|f| f.carries()),
            (Format::Nginx, None) => Some(Carries {
                source: "format nginx without spec.decode.nginx (combined, and $request_time \
                         only where a line carries it)",
                strict: false,
                latency: false,
                host: false,
                method: true,
                path: true,
                backend: false,
            }),
            _ => None,
        }
    }

    /// The decoder for this format with its `options` (the other formats' are ignored).
    /// Without a mapping, the `json` decoder rejects every line as
    /// [`DecodeError::MissingFields`]; without a preset, `w3c` reads CloudFront's form
    /// (configuration validation requires both).
    pub fn decoder(self, options: &FormatOptions) -> Box<dyn Decoder> {
        match self {
            Format::Alb => Box::new(alb::AlbDecoder),
            Format::Nginx => match &options.nginx {
                Some(format) => Box::new(format.clone()),
                None => Box::new(nginx::NginxDecoder),
            },
            Format::Envoy => match &options.envoy {
                Some(format) => Box::new(format.clone()),
                None => Box::new(envoy::EnvoyDecoder),
            },
            Format::EnvoyJson => Box::new(envoy_json::EnvoyJsonDecoder),
            Format::Haproxy => match &options.haproxy {
                Some(format) => Box::new(format.clone()),
                None => Box::new(haproxy::HaproxyDecoder),
            },
            Format::Gcp => Box::new(gcp::GcpDecoder),
            Format::Json => match &options.json {
                Some(mapping) => Box::new(json::JsonDecoder::new(mapping.clone())),
                None => Box::new(Unmapped),
            },
            Format::Traefik => Box::new(traefik::TraefikDecoder::new()),
            Format::ClassicElb => Box::new(classic_elb::ClassicElbDecoder),
            Format::W3c => Box::new(w3c::W3cDecoder::new(
                options.w3c.unwrap_or(w3c::Preset::CloudFront),
            )),
            Format::OtelHttp => Box::new(options.otel_http.clone().unwrap_or_default()),
        }
    }
}

/// Records, not lines: a text line has no attributes to read.
impl Decoder for otlp::OtelHttp {
    fn decode<'a>(&self, _line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        Err(DecodeError::MissingFields)
    }

    fn record<'a>(&self, record: &otlp::Record<'a>) -> Option<Result<Event<'a>, DecodeError>> {
        Some(self.event(record))
    }
}

/// The `json` format without a mapping: nothing can be read.
#[derive(Debug, Clone, Copy)]
struct Unmapped;

impl Decoder for Unmapped {
    fn decode<'a>(&self, _line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        Err(DecodeError::MissingFields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_has_a_name_and_a_decoder() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(f));
            let _ = f.decoder(&FormatOptions::default()).decode(b"x");
        }
        assert_eq!(Format::from_name("apache"), None);
        assert_eq!(
            Format::Json
                .decoder(&FormatOptions::default())
                .decode(b"{}"),
            Err(DecodeError::MissingFields)
        );
        for (i, e) in DecodeError::ALL.into_iter().enumerate() {
            assert_eq!(e.index(), i);
        }
    }
}

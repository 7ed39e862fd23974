//! Decode: one access-log line in, one [`Event`] out, without allocating.
//!
//! A [`Decoder`] borrows every text field from the input line. Each format lives in its own
//! file and is selected by [`Format`]; adding a format means one new file plus one arm in
//! [`Format::decoder`]. A line that does not decode yields a [`DecodeError`] whose
//! [`reason`](DecodeError::reason) is a short, bounded label used in metrics — never fatal.
//!
//! The event time is always the one written in the access-log line (never a shipper's
//! ingest timestamp). Latency is `None` when the format says it is unknown (ALB `-1`
//! timings, nginx `-`), which the classifier treats specially.

pub mod alb;
pub mod envelope;
mod fields;
pub mod nginx;
#[cfg(test)]
mod testing;

use std::fmt;

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
}

/// The access-log formats slipstream reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// AWS Application Load Balancer access logs.
    Alb,
    /// nginx `combined`, optionally followed by `$request_time $upstream_response_time`.
    Nginx,
}

impl Format {
    /// Every format, in documentation order.
    pub const ALL: [Format; 2] = [Format::Alb, Format::Nginx];

    /// The config name of the format.
    pub fn name(self) -> &'static str {
        match self {
            Format::Alb => "alb",
            Format::Nginx => "nginx",
        }
    }

    /// Looks a format up by its config name.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The decoder for this format.
    pub fn decoder(self) -> Box<dyn Decoder> {
        match self {
            Format::Alb => Box::new(alb::AlbDecoder),
            Format::Nginx => Box::new(nginx::NginxDecoder),
        }
    }
}

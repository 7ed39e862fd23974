//! W3C extended log files: AWS CloudFront standard logs and IIS.
//!
//! A file declares its columns in a `#Fields:` directive (`#Fields: date time c-ip cs-method
//! …`); the data lines after it hold one value per declared field, `-` for none. The
//! directive in force is state of its partition or file ([`LineState`]): it is checkpointed
//! and restored with the position, so the lines read after a restart or a rebalance are
//! read against the header they follow. Other directives (`#Version:`, `#Software:`,
//! `#Date:`, `#Remark:`, …) are read and passed over. A data line before any `#Fields:`
//! directive, or with more or fewer values than it declares, is
//! [`DecodeError::MissingFields`].
//!
//! The preset says how the producer writes: `cloudfront` separates values with tabs and
//! writes `time-taken` in seconds with a fraction (`0.082`); `iis` separates them with single
//! spaces (a space inside a value is written `+`) and writes `time-taken` in whole
//! milliseconds. A `time-taken` in the other preset's form is [`DecodeError::BadLatency`], so
//! a wrong preset is counted, never read a thousand times off.
//!
//! What an event takes, by field name (case-insensitive):
//! - `date` and `time` (UTC), required: the event time. CloudFront's `time` is when its server
//!   finished responding, and IIS writes an entry when the response completed, so both are
//!   the README's "when the response completed".
//! - `sc-status`, required: the status. CloudFront's `000` (the viewer closed the connection
//!   before a response) is status 0 with an unknown latency.
//! - `time-taken`: the latency (`-`: unknown; the field not declared: unknown).
//! - `cs-method`, `cs-uri-stem` (the path), the host from `x-host-header` (the Host header
//!   the viewer sent to CloudFront), else `cs(Host)`, else `cs-host` (without a port), and
//!   the request id from `x-edge-request-id`.
//! - `c-ip`: the client, an IPv4 or IPv6 address (`-` or not declared: none; any other value is no client (the line still decodes: the client is information for burn attribution, not a field a line is refused for)).
//!
//! Every other value is passed over unread. No line is long-lived.

use std::sync::Arc;

use super::fields;
use super::{DecodeError, Decoder, Event, LineState, client, timestamp};

/// The producer of a W3C log: how values are separated and `time-taken` written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// AWS CloudFront standard logs: tabs; `time-taken` in seconds (`0.082`).
    CloudFront,
    /// Microsoft IIS: single spaces; `time-taken` in milliseconds (`46`).
    Iis,
}

impl Preset {
    /// Every preset, in documentation order.
    pub const ALL: [Preset; 2] = [Preset::CloudFront, Preset::Iis];

    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            Preset::CloudFront => "cloudfront",
            Preset::Iis => "iis",
        }
    }

    /// Looks a preset up by its config name.
    pub fn from_name(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.name() == name)
    }

    fn separator(self) -> u8 {
        match self {
            Preset::CloudFront => b'\t',
            Preset::Iis => b' ',
        }
    }
}

/// What a field gives the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Date,
    Time,
    Status,
    Latency,
    Method,
    Path,
    /// A host field, by preference (0 first).
    Host(u8),
    RequestId,
    Client,
}

/// The host fields, most preferred first.
const HOSTS: [&str; 3] = ["x-host-header", "cs(host)", "cs-host"];

impl Slot {
    fn of(name: &str) -> Option<Slot> {
        let name = name.to_ascii_lowercase();
        Some(match name.as_str() {
            "date" => Slot::Date,
            "time" => Slot::Time,
            "sc-status" => Slot::Status,
            "time-taken" => Slot::Latency,
            "cs-method" => Slot::Method,
            "cs-uri-stem" => Slot::Path,
            "x-edge-request-id" => Slot::RequestId,
            "c-ip" => Slot::Client,
            other => Slot::Host(HOSTS.iter().position(|h| *h == other)? as u8),
        })
    }

    /// Index into the values a line gathers.
    fn index(self) -> usize {
        match self {
            Slot::Date => 0,
            Slot::Time => 1,
            Slot::Status => 2,
            Slot::Latency => 3,
            Slot::Method => 4,
            Slot::Path => 5,
            Slot::RequestId => 6,
            Slot::Client => 7,
            Slot::Host(p) => 8 + usize::from(p),
        }
    }
}

const SLOTS: usize = 8 + HOSTS.len();

/// The columns a `#Fields:` directive declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// The directive line as written, what a checkpoint keeps.
    directive: Box<[u8]>,
    /// The declared field names.
    names: Vec<String>,
    /// What each column gives, by position.
    slots: Vec<Option<Slot>>,
}

impl Columns {
    /// The columns of a `#Fields:` directive line; `None` for any other line.
    pub fn parse(line: &[u8]) -> Option<Columns> {
        let rest = strip_prefix_ignore_case(line.trim_ascii(), b"#Fields:")?;
        let names: Vec<String> = String::from_utf8_lossy(rest)
            .split_ascii_whitespace()
            .map(str::to_string)
            .collect();
        let mut slots: Vec<Option<Slot>> = names.iter().map(|n| Slot::of(n)).collect();
        // A field declared twice is read from its first column.
        for i in 0..slots.len() {
            if slots[..i].contains(&slots[i]) {
                slots[i] = None;
            }
        }
        Some(Columns {
            directive: line.trim_ascii().into(),
            names,
            slots,
        })
    }

    /// The directive line, as a checkpoint keeps it.
    pub fn directive(&self) -> &[u8] {
        &self.directive
    }

    /// The declared field names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The first required field the directive does not declare.
    fn missing(&self) -> Option<&'static str> {
        [
            (Slot::Date, "date"),
            (Slot::Time, "time"),
            (Slot::Status, "sc-status"),
        ]
        .into_iter()
        .find(|(slot, _)| !self.slots.contains(&Some(*slot)))
        .map(|(_, name)| name)
    }
}

fn strip_prefix_ignore_case<'a>(line: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let (head, rest) = line.split_at_checked(prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then_some(rest)
}

/// Decoder for W3C extended log lines of one [`Preset`] (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct W3cDecoder {
    preset: Preset,
}

impl W3cDecoder {
    /// A decoder for the logs of `preset`.
    pub fn new(preset: Preset) -> Self {
        Self { preset }
    }

    /// The line's values for each [`Slot`] under `columns`; `Err` with the count of values
    /// when it is not the declared count.
    fn gather<'a>(&self, line: &'a [u8], columns: &Columns) -> Result<[&'a [u8]; SLOTS], usize> {
        let mut values: [&[u8]; SLOTS] = [b"-"; SLOTS];
        let mut n = 0;
        for value in line.split(|&b| b == self.preset.separator()) {
            if let Some(Some(slot)) = columns.slots.get(n) {
                values[slot.index()] = value;
            }
            n += 1;
        }
        if n == columns.slots.len() {
            Ok(values)
        } else {
            Err(n)
        }
    }

    fn read<'a>(&self, line: &'a [u8], columns: &Columns) -> Result<Event<'a>, DecodeError> {
        if columns.missing().is_some() {
            return Err(DecodeError::MissingFields);
        }
        let v = self
            .gather(line, columns)
            .map_err(|_| DecodeError::MissingFields)?;
        let at = |slot: Slot| match v[slot.index()] {
            b"-" => &[][..],
            value => value,
        };
        let time_us = event_time(at(Slot::Date), at(Slot::Time)).ok_or(DecodeError::BadTime)?;
        let status = match at(Slot::Status) {
            b"000" => 0,
            s => fields::parse_status(s)?,
        };
        let latency_us = match at(Slot::Latency) {
            [] => None,
            taken => Some(self.time_taken(taken).ok_or(DecodeError::BadLatency)?),
        };
        let client = client::bare(at(Slot::Client)).or_empty();
        let host = (0..HOSTS.len() as u8)
            .map(|p| at(Slot::Host(p)))
            .find(|h| !h.is_empty())
            .map_or(&[][..], fields::host_of);
        Ok(Event {
            time_us,
            status,
            latency_us: latency_us.filter(|_| status != 0),
            method: at(Slot::Method),
            host,
            path: at(Slot::Path),
            backend: &[],
            long_lived: false,
            request_id: at(Slot::RequestId),
            client,
        })
    }

    /// `time-taken` as µs in this preset's form: seconds with a fraction (`0.082`), or whole
    /// milliseconds (`46`).
    fn time_taken(&self, text: &[u8]) -> Option<i64> {
        let all_digits = |t: &[u8]| !t.is_empty() && t.iter().all(u8::is_ascii_digit);
        match self.preset {
            Preset::CloudFront => {
                let (int, frac) = fields::split_once(text, b'.')?;
                (all_digits(int) && all_digits(frac))
                    .then(|| timestamp::decimal_us(text, timestamp::Unit::Seconds))?
            }
            Preset::Iis => {
                all_digits(text).then(|| timestamp::decimal_us(text, timestamp::Unit::Millis))?
            }
        }
    }

    /// Why `line` does not decode under `state`, naming the field.
    fn explain(&self, line: &[u8], state: &LineState) -> Option<String> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(columns) = &state.w3c else {
            return Some("no #Fields: directive before this line: its values are unnamed".into());
        };
        if let Some(name) = columns.missing() {
            return Some(format!(
                "the #Fields: directive in force does not declare {name}"
            ));
        }
        let v = match self.gather(line, columns) {
            Ok(v) => v,
            Err(n) => {
                return Some(format!(
                    "{n} values separated by {}, the #Fields: directive declares {}",
                    if self.preset == Preset::CloudFront {
                        "tabs"
                    } else {
                        "spaces"
                    },
                    columns.slots.len()
                ));
            }
        };
        let error = self.read(line, columns).err()?;
        let (slot, what) = match error {
            DecodeError::BadTime => (Slot::Date, "date and time (YYYY-MM-DD and HH:MM:SS, UTC)"),
            DecodeError::BadStatus => (Slot::Status, "sc-status (a status code, or 000)"),
            DecodeError::BadLatency => (
                Slot::Latency,
                match self.preset {
                    Preset::CloudFront => "time-taken (seconds with a fraction, or -)",
                    Preset::Iis => "time-taken (whole milliseconds, or -)",
                },
            ),
            _ => return None,
        };
        let mut value = String::from_utf8_lossy(v[slot.index()]).into_owned();
        if slot == Slot::Date {
            value = format!("{value} {}", String::from_utf8_lossy(v[Slot::Time.index()]));
        }
        Some(format!("{what} is {value:?}"))
    }
}

/// `date` (`YYYY-MM-DD`) and `time` (`HH:MM:SS[.fraction]`), UTC, as epoch µs.
fn event_time(date: &[u8], time: &[u8]) -> Option<i64> {
    let mut text = [0u8; 40];
    let len = date.len() + 1 + time.len() + 1;
    if date.len() != 10 || time.len() < 8 || len > text.len() {
        return None;
    }
    text[..10].copy_from_slice(date);
    text[10] = b'T';
    text[11..len - 1].copy_from_slice(time);
    text[len - 1] = b'Z';
    timestamp::rfc3339(&text[..len])
}

impl Decoder for W3cDecoder {
    /// A line on its own, with no directive before it: only a directive has meaning.
    fn decode<'a>(&self, line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        self.decode_in(line, &mut LineState::default())?
            .ok_or(DecodeError::MissingFields)
    }

    fn decode_in<'a>(
        &self,
        line: &'a [u8],
        state: &mut LineState,
    ) -> Result<Option<Event<'a>>, DecodeError> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first() == Some(&b'#') {
            if let Some(columns) = Columns::parse(line) {
                state.w3c = Some(Arc::new(columns));
            }
            return Ok(None);
        }
        if line.trim_ascii().is_empty() {
            return Err(DecodeError::Empty);
        }
        let columns = state.w3c.as_deref().ok_or(DecodeError::MissingFields)?;
        self.read(line, columns).map(Some)
    }

    fn why(&self, line: &[u8], state: &LineState) -> Option<String> {
        if line.first() == Some(&b'#') {
            return None;
        }
        self.explain(line, state)
    }
}

#[cfg(test)]
mod tests;

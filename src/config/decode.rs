//! `spec.decode`: the access-log format, the shipper envelope, the line length cap, the
//! dead-letter file, and the key mapping of the generic `json` format.

use std::path::PathBuf;

use super::DeadLetterConfig;
use super::path::At;
use super::problems::Problems;
use super::raw::{DecodeSpec, JsonSpec};
use crate::decode::envelope::Envelope;
use crate::decode::json::{JsonMapping, JsonPath, TimeFormat};
use crate::decode::{Format, Unit};

/// `spec.decode.max_line_bytes` when not set.
pub(crate) const DEFAULT_MAX_LINE_BYTES: usize = 64 * 1024;
/// The largest `spec.decode.max_line_bytes` accepted (1 GiB).
const MAX_MAX_LINE_BYTES: u64 = 1 << 30;
/// `spec.decode.dead_letter.max_bytes` when not set (100 MiB).
const DEFAULT_DEAD_LETTER_BYTES: u64 = 100 << 20;

/// `spec.decode`, each part `None` when it is invalid.
#[derive(Debug)]
pub(super) struct Decode {
    pub(super) format: Option<Format>,
    pub(super) envelope: Option<Envelope>,
    /// `Some` exactly when the format is `json` and its mapping is valid.
    pub(super) json: Option<JsonMapping>,
    pub(super) max_line_bytes: Option<usize>,
    /// `None` when not set or invalid.
    pub(super) dead_letter: Option<DeadLetterConfig>,
}

/// Validates `spec.decode` (at `at`).
pub(super) fn validate(d: &DecodeSpec, at: &At, problems: &mut Problems) -> Decode {
    let format = format(&d.format, &at.field("format"), problems);
    let envelope_name = d.envelope.as_deref().unwrap_or("none");
    let envelope = Envelope::from_name(envelope_name);
    if envelope.is_none() {
        let names = Envelope::ALL.iter().map(|e| e.name());
        problems.error(
            &at.field("envelope"),
            unknown("envelope", envelope_name, names),
        );
    }
    let max_line_bytes = match d.max_line_bytes {
        None => Some(DEFAULT_MAX_LINE_BYTES),
        Some(n @ 1..=MAX_MAX_LINE_BYTES) => usize::try_from(n).ok(),
        Some(_) => {
            problems.error(
                &at.field("max_line_bytes"),
                format!("must be between 1 and {MAX_MAX_LINE_BYTES}"),
            );
            None
        }
    };
    let dead_letter = d.dead_letter.as_ref().and_then(|d| {
        if d.path.is_empty() {
            problems.error(&at.field("dead_letter").field("path"), "must not be empty");
            return None;
        }
        Some(DeadLetterConfig {
            path: PathBuf::from(&d.path),
            max_bytes: d.max_bytes.unwrap_or(DEFAULT_DEAD_LETTER_BYTES),
        })
    });
    let json_at = at.field("json");
    let json = match (&d.json, format) {
        (Some(j), Some(Format::Json)) => json_mapping(j, &json_at, problems),
        (None, Some(Format::Json)) => {
            problems.error(
                &json_at,
                "format json needs a json mapping (at least time_field and status_field)",
            );
            None
        }
        (Some(_), Some(f)) => {
            problems.error(
                &json_at,
                format!("applies only to format json, not {}", f.name()),
            );
            None
        }
        (_, None) | (None, Some(_)) => None,
    };
    Decode {
        format,
        envelope,
        json,
        max_line_bytes,
        dead_letter,
    }
}

fn format(name: &str, at: &At, problems: &mut Problems) -> Option<Format> {
    Format::from_name(name).or_else(|| {
        let names = Format::ALL.iter().map(|f| f.name());
        problems.error(at, unknown("format", name, names));
        None
    })
}

/// `unknown <what> "<name>": expected one of <names>`.
fn unknown<'a>(what: &str, name: &str, names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    format!(
        "unknown {what} {name:?}: expected one of {}",
        names.join(", ")
    )
}

/// The typed mapping of `spec.decode.json`; every problem is reported at `at.<field>`.
fn json_mapping(j: &JsonSpec, at: &At, problems: &mut Problems) -> Option<JsonMapping> {
    let before = problems.count();
    let key = |field: &str, text: &str, problems: &mut Problems| {
        let path = JsonPath::parse(text);
        if path.is_none() {
            problems.error(
                &at.field(field),
                format!("{text:?} is not a key or a dotted key path such as http.status"),
            );
        }
        path
    };
    let optional = |field: &str, text: &Option<String>, problems: &mut Problems| {
        text.as_deref().and_then(|t| key(field, t, problems))
    };
    let time = key("time_field", &j.time_field, problems);
    let status = key("status_field", &j.status_field, problems);
    let latency = optional("latency_field", &j.latency_field, problems);
    let method = optional("method_field", &j.method_field, problems);
    let host = optional("host_field", &j.host_field, problems);
    let path = optional("path_field", &j.path_field, problems);
    let url = optional("url_field", &j.url_field, problems);
    let backend = optional("backend_field", &j.backend_field, problems);
    let request_id = optional("request_id_field", &j.request_id_field, problems);
    let time_format = time_format(j.time_format.as_deref(), &at.field("time_format"), problems);
    let unit = latency_unit(j, &at.field("latency_unit"), problems);
    if j.path_field.is_some() && j.url_field.is_some() {
        problems.error(
            &at.field("url_field"),
            "set path_field or url_field, not both",
        );
    }
    if problems.count() != before {
        return None;
    }
    Some(JsonMapping {
        time: time?,
        time_format,
        status: status?,
        latency: latency.zip(unit),
        method,
        host,
        path,
        url,
        backend,
        request_id,
    })
}

fn time_format(name: Option<&str>, at: &At, problems: &mut Problems) -> TimeFormat {
    let Some(name) = name else {
        return TimeFormat::Rfc3339;
    };
    TimeFormat::from_name(name).unwrap_or_else(|| {
        let names = TimeFormat::ALL.iter().map(|f| f.name());
        problems.error(at, unknown("time format", name, names));
        TimeFormat::Rfc3339
    })
}

/// `latency_unit`, required with `latency_field` and only with it.
fn latency_unit(j: &JsonSpec, at: &At, problems: &mut Problems) -> Option<Unit> {
    match (j.latency_unit.as_deref(), &j.latency_field) {
        (Some(name), Some(_)) => Unit::from_name(name).or_else(|| {
            problems.error(at, format!("unknown unit {name:?}: expected s, ms or us"));
            None
        }),
        (None, Some(_)) => {
            problems.error(at, "required with latency_field: s, ms or us");
            None
        }
        (Some(_), None) => {
            problems.error(at, "applies only with latency_field");
            None
        }
        (None, None) => None,
    }
}

//! `spec.decode`: the access-log format, the shipper envelope, the line length cap, the
//! dead-letter file, the OTLP batch bounds, and each format's own block (the key mapping of
//! the generic `json` format in [`json`]).

mod json;

use std::path::PathBuf;

use self::json::json_mapping;
use super::DeadLetterConfig;
use super::path::At;
use super::problems::Problems;
use super::raw::{DecodeSpec, NginxSpec, OtelHttpSpec, OtlpSpec, W3cSpec};
use crate::classify::{Matcher, Sli, SloRule};
use crate::decode::compiled::envoy::{AccessLogFormat, PRESETS as ENVOY_PRESETS};
use crate::decode::compiled::haproxy::{LogFormat as HaproxyFormat, PRESETS as HAPROXY_PRESETS};
use crate::decode::compiled::nginx::{LatencyFrom, LogFormat, PRESETS};
use crate::decode::envelope::Envelope;
use crate::decode::ingest::BatchLimits;
use crate::decode::otlp::{DurationUnit, OtelHttp};
use crate::decode::w3c::Preset as W3cPreset;
use crate::decode::{Carries, Format, FormatOptions};

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
    /// The format's settings; `json` is `Some` exactly when the format is `json` and its
    /// mapping is valid.
    pub(super) options: FormatOptions,
    pub(super) max_line_bytes: Option<usize>,
    /// The bounds of an OTLP batch: `Some` exactly when the envelope is `otlp_proto` or
    /// `otlp_json` (and `spec.decode.otlp` is valid).
    pub(super) batch: Option<BatchLimits>,
    /// `None` when not set or invalid.
    pub(super) dead_letter: Option<DeadLetterConfig>,
}

/// Validates `spec.decode` (at `at`).
pub(super) fn validate(d: &DecodeSpec, at: &At, problems: &mut Problems) -> Decode {
    let format = format(&d.format, &at.field("format"), problems);
    let envelope = envelope(d.envelope.as_deref(), at, problems);
    let max_line_bytes = max_line_bytes(d.max_line_bytes, at, problems);
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
    require_format_block(d, format, at, problems);
    let (options, batch) = format_options(d, format, envelope, at, problems);
    Decode {
        format,
        envelope,
        options,
        max_line_bytes,
        batch,
        dead_letter,
    }
}

/// The envelope named at `at.envelope` (default `none`).
fn envelope(name: Option<&str>, at: &At, problems: &mut Problems) -> Option<Envelope> {
    let envelope_name = name.unwrap_or("none");
    let envelope = Envelope::from_name(envelope_name);
    if envelope.is_none() {
        let names = Envelope::ALL.iter().map(|e| e.name());
        problems.error(
            &at.field("envelope"),
            unknown("envelope", envelope_name, names),
        );
    }
    envelope
}

/// `max_line_bytes` (at `at.max_line_bytes`), or its default.
fn max_line_bytes(value: Option<u64>, at: &At, problems: &mut Problems) -> Option<usize> {
    match value {
        None => Some(DEFAULT_MAX_LINE_BYTES),
        Some(n @ 1..=MAX_MAX_LINE_BYTES) => usize::try_from(n).ok(),
        Some(_) => {
            problems.error(
                &at.field("max_line_bytes"),
                format!("must be between 1 and {MAX_MAX_LINE_BYTES}"),
            );
            None
        }
    }
}

/// Reports a missing block the format cannot do without (`json` for format `json`, `w3c`
/// for format `w3c`).
fn require_format_block(d: &DecodeSpec, format: Option<Format>, at: &At, problems: &mut Problems) {
    if d.json.is_none() && format == Some(Format::Json) {
        problems.error(
            &at.field("json"),
            "format json needs a json mapping (at least time_field and status_field, or a preset)",
        );
    }
    if d.w3c.is_none() && format == Some(Format::W3c) {
        let names: Vec<_> = W3cPreset::ALL.iter().map(|p| p.name()).collect();
        problems.error(
            &at.field("w3c"),
            format!(
                "format w3c needs its producer: preset {} (how values are separated and time-taken is written)",
                names.join(" or ")
            ),
        );
    }
}

/// Each format's own block, built for the format that reads it, and the OTLP batch bounds.
fn format_options(
    d: &DecodeSpec,
    format: Option<Format>,
    envelope: Option<Envelope>,
    at: &At,
    problems: &mut Problems,
) -> (FormatOptions, Option<BatchLimits>) {
    let json = for_format(&d.json, format, Format::Json, at, problems, json_mapping);
    let w3c = for_format(&d.w3c, format, Format::W3c, at, problems, w3c_preset);
    let otel_http = for_format(
        &d.otel_http,
        format,
        Format::OtelHttp,
        at,
        problems,
        otel_http,
    );
    let batch = batch_limits(d.otlp.as_ref(), envelope, format, at, problems);
    let nginx = for_format(&d.nginx, format, Format::Nginx, at, problems, nginx_format);
    let envoy = for_format(&d.envoy, format, Format::Envoy, at, problems, |e, at, p| {
        preset_or_text(
            e.preset.as_deref(),
            e.format.as_deref(),
            "format",
            &ENVOY_PRESETS,
            AccessLogFormat::preset,
            AccessLogFormat::compile,
            at,
            p,
        )
    });
    let haproxy = for_format(
        &d.haproxy,
        format,
        Format::Haproxy,
        at,
        problems,
        |h, at, p| {
            preset_or_text(
                h.preset.as_deref(),
                h.log_format.as_deref(),
                "log_format",
                &HAPROXY_PRESETS,
                HaproxyFormat::preset,
                HaproxyFormat::compile,
                at,
                p,
            )
        },
    );
    let options = FormatOptions {
        json,
        nginx,
        envoy,
        haproxy,
        w3c,
        otel_http,
    };
    (options, batch)
}

/// `block`, the settings of format `wanted` (`spec.decode.<its name>`, under `at`), built
/// with `build` when the format is `wanted`; set for another format, it is an error.
fn for_format<S, T>(
    block: &Option<S>,
    format: Option<Format>,
    wanted: Format,
    at: &At,
    problems: &mut Problems,
    build: impl FnOnce(&S, &At, &mut Problems) -> Option<T>,
) -> Option<T> {
    let at = &at.field(wanted.name());
    match (block, format) {
        (Some(b), Some(f)) if f == wanted => build(b, at, problems),
        (Some(_), Some(f)) => {
            problems.error(
                at,
                format!("applies only to format {}, not {}", wanted.name(), f.name()),
            );
            None
        }
        (None, _) | (Some(_), None) => None,
    }
}

/// A compiled format string from exactly one of `preset` (one of `presets`, compiled by
/// `by_name`) and `text` (at `at.<text_field>`, compiled by `compile`).
#[allow(clippy::too_many_arguments)]
fn preset_or_text<T, E: std::fmt::Display>(
    preset: Option<&str>,
    text: Option<&str>,
    text_field: &str,
    presets: &[(&str, &str)],
    by_name: impl FnOnce(&str) -> Option<Result<T, E>>,
    compile: impl FnOnce(&str) -> Result<T, E>,
    at: &At,
    problems: &mut Problems,
) -> Option<T> {
    let (field, compiled) = match (preset, text) {
        (Some(name), None) => {
            let Some(compiled) = by_name(name) else {
                let names = presets.iter().map(|(n, _)| *n);
                problems.error(&at.field("preset"), unknown("preset", name, names));
                return None;
            };
            ("preset", compiled)
        }
        (None, Some(text)) => (text_field, compile(text)),
        (Some(_), Some(_)) | (None, None) => {
            problems.error(at, format!("set exactly one of preset, {text_field}"));
            return None;
        }
    };
    compiled
        .map_err(|e| problems.error(&at.field(field), e.to_string()))
        .ok()
}

/// The bounds of an OTLP batch (`spec.decode.otlp`, under `at`) when `envelope` is an OTLP
/// one; the block with another envelope, or format `otel_http` without one, is an error.
fn batch_limits(
    spec: Option<&OtlpSpec>,
    envelope: Option<Envelope>,
    format: Option<Format>,
    at: &At,
    problems: &mut Problems,
) -> Option<BatchLimits> {
    let envelope = envelope?;
    if envelope.batch().is_none() {
        if spec.is_some() {
            problems.error(
                &at.field("otlp"),
                format!(
                    "applies only to envelopes otlp_proto and otlp_json, not {}",
                    envelope.name()
                ),
            );
        }
        if format == Some(Format::OtelHttp) {
            problems.error(
                &at.field("envelope"),
                format!(
                    "format otel_http reads OpenTelemetry log records: use envelope otlp_proto \
                     or otlp_json, not {}",
                    envelope.name()
                ),
            );
        }
        return None;
    }
    let default = BatchLimits::default();
    let at = at.field("otlp");
    let bound =
        |value: Option<u64>, field: &str, default: usize, max: u64, p: &mut Problems| match value {
            None => Some(default),
            Some(n @ 1..) if n <= max => usize::try_from(n).ok(),
            Some(_) => {
                p.error(&at.field(field), format!("must be between 1 and {max}"));
                None
            }
        };
    let spec = spec.map_or((None, None), |s| (s.max_batch_bytes, s.max_batch_records));
    // Both checked, so both errors are reported.
    let max_bytes = bound(
        spec.0,
        "max_batch_bytes",
        default.max_bytes,
        MAX_MAX_LINE_BYTES,
        problems,
    );
    let max_records = bound(
        spec.1,
        "max_batch_records",
        default.max_records,
        1 << 24,
        problems,
    );
    Some(BatchLimits {
        max_bytes: max_bytes?,
        max_records: max_records?,
    })
}

/// The duration attribute of `spec.decode.otel_http` (at `at`).
fn otel_http(o: &OtelHttpSpec, at: &At, problems: &mut Problems) -> Option<OtelHttp> {
    let mut read = OtelHttp::default();
    if let Some(attribute) = &o.duration_attribute {
        if attribute.is_empty() {
            problems.error(&at.field("duration_attribute"), "must not be empty");
            return None;
        }
        read.duration_attribute = attribute.clone();
    }
    if let Some(name) = &o.duration_unit {
        let Some(unit) = DurationUnit::from_name(name) else {
            let names = DurationUnit::ALL.iter().map(|u| u.name());
            problems.error(
                &at.field("duration_unit"),
                unknown("duration_unit", name, names),
            );
            return None;
        };
        read.duration_unit = unit;
    }
    Some(read)
}

/// The preset of `spec.decode.w3c` (at `at`).
fn w3c_preset(w: &W3cSpec, at: &At, problems: &mut Problems) -> Option<W3cPreset> {
    let found = W3cPreset::from_name(&w.preset);
    if found.is_none() {
        let names = W3cPreset::ALL.iter().map(|p| p.name());
        problems.error(&at.field("preset"), unknown("preset", &w.preset, names));
    }
    found
}

/// The compiled `spec.decode.nginx` (at `at`).
fn nginx_format(n: &NginxSpec, at: &At, problems: &mut Problems) -> Option<LogFormat> {
    let latency = n.latency.as_deref().and_then(|name| {
        let found = LatencyFrom::ALL.into_iter().find(|l| l.name() == name);
        if found.is_none() {
            let names = LatencyFrom::ALL.iter().map(|l| l.name());
            problems.error(&at.field("latency"), unknown("latency", name, names));
        }
        found
    });
    preset_or_text(
        n.preset.as_deref(),
        n.log_format.as_deref(),
        "log_format",
        &PRESETS,
        |name| LogFormat::preset(name, latency),
        |text| LogFormat::compile(text, latency),
        at,
        problems,
    )
}

fn format(name: &str, at: &At, problems: &mut Problems) -> Option<Format> {
    Format::from_name(name).or_else(|| {
        let names = Format::ALL.iter().map(|f| f.name());
        problems.error(at, unknown("format", name, names));
        None
    })
}

/// `unknown <what> "<name>": expected one of <names>`.
pub(super) fn unknown<'a>(what: &str, name: &str, names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    format!(
        "unknown {what} {name:?}: expected one of {}",
        names.join(", ")
    )
}

/// Reports each selector of `m` (at `at`) that reads a field events of `c` never carry: it
/// would match no event.
pub(super) fn check_matcher(c: &Carries, m: &Matcher, at: &At, problems: &mut Problems) {
    for (field, set, carried) in [
        ("host", m.host.is_some(), c.host),
        ("method", m.method.is_some(), c.method),
        ("path_prefix", m.path_prefix.is_some(), c.path),
        ("backend", m.backend.is_some(), c.backend),
    ] {
        if set && !carried {
            problems.error_or_warning(
                c.strict,
                &at.field(field),
                format!(
                    "selects by {}, which {} does not carry: it matches no event",
                    field.trim_end_matches("_prefix"),
                    c.source
                ),
            );
        }
    }
}

/// Reports what SLO rule `rule` (of the document at `at`) needs and events of `c` never
/// carry: a latency, or a field its selector reads.
pub(super) fn check_rule(c: &Carries, rule: &SloRule, at: &At, problems: &mut Problems) {
    if matches!(rule.sli, Sli::Latency { .. } | Sli::LatencyAbove { .. }) && !c.latency {
        problems.error_or_warning(
            c.strict,
            at,
            format!(
                "a latency SLO needs a latency, which {} does not carry: events without one \
                 stay out of it",
                c.source
            ),
        );
    }
    if let Some(selector) = &rule.selector {
        check_matcher(c, selector, at, problems);
    }
}

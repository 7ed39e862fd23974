//! `spec.decode.json`: the key mapping of the generic `json` format, from its own keys and
//! a named preset's, into the [`JsonMapping`] the decoder reads.

use super::unknown;
use crate::config::path::At;
use crate::config::problems::Problems;
use crate::config::raw::JsonSpec;
use crate::decode::Unit;
use crate::decode::json::{JsonMapping, JsonPath, TimeFormat};

/// The names of the presets of `spec.decode.json`.
const JSON_PRESETS: [&str; 1] = ["caddy"];

/// The keys of preset `name`, as `spec.decode.json` would set them.
fn json_preset(name: &str) -> Option<JsonSpec> {
    let key = |k: &str| Some(k.to_string());
    match name {
        // Caddy's access log (`log` in a site block, JSON encoder): `ts` is when the entry
        // was written (the response done), in epoch seconds; `duration` in seconds.
        "caddy" => Some(JsonSpec {
            time_field: key("ts"),
            time_format: key("epoch_s"),
            status_field: key("status"),
            latency_field: key("duration"),
            latency_unit: key("s"),
            method_field: key("request.method"),
            host_field: key("request.host"),
            url_field: key("request.uri"),
            client_field: key("request.client_ip"),
            ..JsonSpec::default()
        }),
        _ => None,
    }
}

/// `j` with its preset's keys where it sets none (at `at.preset`: an unknown preset).
fn with_preset(j: &JsonSpec, at: &At, problems: &mut Problems) -> JsonSpec {
    let own = |v: &Option<String>| v.clone();
    let preset = match j.preset.as_deref() {
        None => JsonSpec::default(),
        Some(name) => json_preset(name).unwrap_or_else(|| {
            problems.error(
                &at.field("preset"),
                unknown("preset", name, JSON_PRESETS.into_iter()),
            );
            JsonSpec::default()
        }),
    };
    // A path set here replaces the preset's URL, and the other way round.
    let (path_field, url_field) = match (&j.path_field, &j.url_field) {
        (None, None) => (preset.path_field, preset.url_field),
        (path, url) => (own(path), own(url)),
    };
    JsonSpec {
        preset: None,
        time_field: own(&j.time_field).or(preset.time_field),
        time_format: own(&j.time_format).or(preset.time_format),
        status_field: own(&j.status_field).or(preset.status_field),
        latency_unit: match &j.latency_field {
            Some(_) => own(&j.latency_unit),
            None => own(&j.latency_unit).or(preset.latency_unit),
        },
        latency_field: own(&j.latency_field).or(preset.latency_field),
        method_field: own(&j.method_field).or(preset.method_field),
        host_field: own(&j.host_field).or(preset.host_field),
        path_field,
        url_field,
        backend_field: own(&j.backend_field).or(preset.backend_field),
        request_id_field: own(&j.request_id_field).or(preset.request_id_field),
        client_field: own(&j.client_field).or(preset.client_field),
    }
}

/// The typed mapping of `spec.decode.json`; every problem is reported at `at.<field>`.
pub(super) fn json_mapping(j: &JsonSpec, at: &At, problems: &mut Problems) -> Option<JsonMapping> {
    let before = problems.count();
    let j = &with_preset(j, at, problems);
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
    let required = |field: &str, text: &Option<String>, problems: &mut Problems| match text {
        Some(t) => key(field, t, problems),
        None => {
            problems.error(&at.field(field), "required (or a preset that sets it)");
            None
        }
    };
    let time = required("time_field", &j.time_field, problems);
    let status = required("status_field", &j.status_field, problems);
    let latency = optional("latency_field", &j.latency_field, problems);
    let method = optional("method_field", &j.method_field, problems);
    let host = optional("host_field", &j.host_field, problems);
    let path = optional("path_field", &j.path_field, problems);
    let url = optional("url_field", &j.url_field, problems);
    let backend = optional("backend_field", &j.backend_field, problems);
    let request_id = optional("request_id_field", &j.request_id_field, problems);
    let client = optional("client_field", &j.client_field, problems);
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
        client,
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

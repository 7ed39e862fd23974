//! `spec.source`: where lines come from, as written and as validated.
//!
//! The source is a serde enum, externally tagged, so exactly one of `kafka`, `file`, `stdin`
//! and `demo` holds by construction: `source: {kafka: {…}}`, `{file: {…}}`, `{stdin: {}}`,
//! `{demo: {…}}`. It is read here from the Pipeline's YAML rather than with the rest of the
//! Pipeline, so that a mapping naming none or several sources is reported with the allowed
//! choices while every other Pipeline error is still found.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::path::At;
use super::problems::Problems;
use crate::source::demo::{DemoSpec, LineFormat};
use crate::source::file::FileSpec;
use crate::source::kafka::{KafkaSpec, StartFrom};

/// `spec.source`: one of the sources.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SourceSpec {
    /// Consume Kafka topics.
    Kafka(RawKafka),
    /// Read files.
    File(RawFile),
    /// Read standard input.
    Stdin(Empty),
    /// Generate demo traffic.
    Demo(RawDemo),
}

/// `source.kafka`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawKafka {
    /// Bootstrap brokers, `host:port`.
    pub(crate) brokers: Vec<String>,
    /// Topics to consume.
    pub(crate) topics: Vec<String>,
    /// Consumer group id.
    pub(crate) group_id: String,
    /// `earliest` or `latest`, for a group without committed offsets (default `earliest`).
    pub(crate) start_from: Option<String>,
    /// librdkafka properties; values may reference `${ENV_VAR}`.
    #[serde(default)]
    pub(crate) options: BTreeMap<String, String>,
}

/// An empty mapping (`{}`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Empty {}

/// `source.file`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    /// Files to read, each its own partition.
    pub(crate) paths: Vec<String>,
    /// Keep reading appended data, like `tail -F`.
    #[serde(default)]
    pub(crate) follow: bool,
}

/// `source.demo`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDemo {
    /// Requests per second of generated traffic (default 200).
    pub(crate) rate_per_second: Option<u32>,
    /// How much history to generate at start (default `1h`).
    pub(crate) history: Option<String>,
    /// Random seed (default 42).
    pub(crate) seed: Option<u64>,
    /// Event time generated before `history` at a low rate (default `0s`: none).
    pub(crate) backfill: Option<String>,
    /// Requests per second of the backfill (default 1).
    pub(crate) backfill_rate_per_second: Option<u32>,
}

/// The source of `spec.source` (`value` as written), reported at `at`.
pub(super) fn validate(
    value: &serde_yaml_ng::Value,
    at: &At,
    problems: &mut Problems,
) -> Option<SourceConfig> {
    if let Some(m) = value.as_mapping().filter(|m| m.len() != 1) {
        problems.error(
            at,
            format!(
                "set exactly one of kafka, file, stdin, demo (found {})",
                m.len()
            ),
        );
        return None;
    }
    match super::load::de(tagged(value), at, problems)? {
        SourceSpec::Kafka(k) => kafka(&k, &at.field("kafka"), problems).map(SourceConfig::Kafka),
        SourceSpec::File(f) => {
            if f.paths.is_empty() {
                problems.error(
                    &at.field("file").field("paths"),
                    "at least one path is required",
                );
            }
            Some(SourceConfig::File(FileSpec {
                paths: f.paths.iter().map(PathBuf::from).collect(),
                follow: f.follow,
            }))
        }
        SourceSpec::Stdin(Empty {}) => Some(SourceConfig::Stdin),
        SourceSpec::Demo(d) => demo(&d, &at.field("demo"), problems).map(SourceConfig::Demo),
    }
}

/// `{kafka: {…}}` as the tagged value (`!kafka {…}`) a YAML value deserializes an enum from.
fn tagged(value: &serde_yaml_ng::Value) -> serde_yaml_ng::Value {
    use serde_yaml_ng::value::{Tag, TaggedValue, Value};
    match value.as_mapping().and_then(|m| m.iter().next()) {
        Some((Value::String(name), inner)) => Value::Tagged(Box::new(TaggedValue {
            tag: Tag::new(name),
            value: inner.clone(),
        })),
        _ => value.clone(),
    }
}

/// `source.demo`; the line format is set from `spec.decode.format` by the Pipeline.
fn demo(d: &RawDemo, at: &At, problems: &mut Problems) -> Option<DemoSpec> {
    let mut spec = DemoSpec {
        format: LineFormat::Alb,
        ..DemoSpec::default()
    };
    if let Some(rate) = d.rate_per_second {
        if rate == 0 || rate > 1_000_000 {
            problems.error(
                &at.field("rate_per_second"),
                "must be between 1 and 1000000",
            );
        }
        spec.rate_per_second = rate;
    }
    if let Some(h) = &d.history {
        spec.history_us = if h == "0s" || h == "0" {
            0
        } else {
            problems.duration(h, &at.field("history"))?
        };
    }
    if let Some(seed) = d.seed {
        spec.seed = seed;
    }
    if let Some(b) = &d.backfill {
        spec.backfill_us = if b == "0s" || b == "0" {
            0
        } else {
            problems.duration(b, &at.field("backfill"))?
        };
        if spec.backfill_us > 400 * crate::time::DAY {
            problems.error(&at.field("backfill"), "at most 400d");
        }
    }
    if let Some(rate) = d.backfill_rate_per_second {
        if rate == 0 || rate > 10_000 {
            problems.error(
                &at.field("backfill_rate_per_second"),
                "must be between 1 and 10000",
            );
        }
        spec.backfill_rate_per_second = rate;
    }
    Some(spec)
}

/// `source.kafka`: brokers, topics, group, start position and librdkafka options.
fn kafka(k: &RawKafka, at: &At, problems: &mut Problems) -> Option<KafkaSpec> {
    let before = problems.count();
    if k.brokers.is_empty() || k.brokers.iter().any(|b| !b.contains(':')) {
        problems.error(
            &at.field("brokers"),
            "list one or more brokers as host:port",
        );
    }
    if k.topics.is_empty() || k.topics.iter().any(String::is_empty) {
        problems.error(&at.field("topics"), "list one or more topic names");
    }
    if k.group_id.trim().is_empty() {
        problems.error(&at.field("group_id"), "must not be empty");
    }
    let start_from = match k.start_from.as_deref().unwrap_or("earliest") {
        "earliest" => StartFrom::Earliest,
        "latest" => StartFrom::Latest,
        other => {
            problems.error(
                &at.field("start_from"),
                format!("{other:?} is not earliest or latest"),
            );
            StartFrom::Earliest
        }
    };
    let options = options(&k.options, &at.field("options"), problems);
    (problems.count() == before).then(|| KafkaSpec {
        brokers: k.brokers.clone(),
        topics: k.topics.clone(),
        group_id: k.group_id.clone(),
        start_from,
        options,
    })
}

/// librdkafka properties with `${NAME}` expanded; the ones slipstream sets are refused.
fn options(
    raw: &BTreeMap<String, String>,
    at: &At,
    problems: &mut Problems,
) -> BTreeMap<String, String> {
    let mut options = BTreeMap::new();
    for (key, value) in raw {
        let here = at.field(key);
        if matches!(
            key.as_str(),
            "bootstrap.servers" | "group.id" | "enable.auto.commit"
        ) {
            problems.error(
                &here,
                "is set by slipstream (use brokers / group_id; commits follow applied events)",
            );
        }
        match expand_env(value) {
            Ok(v) => {
                options.insert(key.clone(), v);
            }
            Err(var) => problems.error(&here, format!("environment variable {var} is not set")),
        }
    }
    options
}

/// Replaces every `${NAME}` in `value` with the environment variable's value; `Err(NAME)`
/// for the first one that is not set. The values are never logged.
pub(crate) fn expand_env(value: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start + 2..].find('}') else {
            break;
        };
        let name = &rest[start + 2..start + 2 + len];
        out.push_str(&rest[..start]);
        out.push_str(&std::env::var(name).map_err(|_| name.to_string())?);
        rest = &rest[start + 3 + len..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The configured source.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceConfig {
    /// Files, read once or followed.
    File(FileSpec),
    /// Standard input.
    Stdin,
    /// The built-in traffic generator.
    Demo(DemoSpec),
    /// A Kafka consumer group.
    Kafka(KafkaSpec),
}

//! `spec.cluster`: this instance as a member of a cluster (README, "Cluster mode"). Read at
//! start only: a reload that changes it is refused as restart-only.

use super::path::At;
use super::problems::Problems;
use super::raw::ClusterSpec;
use super::{ClusterConfig, SourceConfig};
use crate::source::kafka::KafkaSpec;
use crate::time::{MINUTE, SECOND};

/// Longest time between two deltas of one raw partition, when not set.
const DEFAULT_FLUSH_US: i64 = SECOND / 5;
/// Time between snapshots, when not set.
const DEFAULT_SNAPSHOT_US: i64 = MINUTE;
/// A member without a heartbeat this long is gone, when not set.
const DEFAULT_MEMBER_TIMEOUT_US: i64 = 10 * SECOND;
/// Ready while the log applied is at most this far behind, when not set.
const DEFAULT_MAX_APPLY_LAG_US: i64 = 5 * SECOND;

/// Most replicas a topic may ask for (more than any Kafka cluster's brokers in practice).
const MAX_REPLICAS: i64 = 32;

/// The host name, for a member id nobody set.
fn host_name() -> Option<String> {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}

/// Expands `${NAME}` in the field `field` of `value`; reports an unset variable.
fn expanded(value: &str, at: &At, problems: &mut Problems) -> Option<String> {
    match super::source::expand_env(value) {
        Ok(v) => Some(v),
        Err(var) => {
            problems.error(at, format!("environment variable {var} is not set"));
            None
        }
    }
}

fn duration_or(
    value: Option<&String>,
    default: i64,
    at: &At,
    problems: &mut Problems,
) -> Option<i64> {
    match value {
        // The parser refuses zero and negative durations.
        Some(text) => problems.duration(text, at),
        None => Some(default),
    }
}

/// Validates `spec.cluster` (at `at`) for `source` (a cluster reads Kafka).
pub(super) fn validate(
    c: &ClusterSpec,
    source: Option<&SourceConfig>,
    at: &At,
    problems: &mut Problems,
) -> Option<ClusterConfig> {
    let before = problems.count();
    check_name(&c.name, at, problems);
    let kafka = match source {
        Some(SourceConfig::Kafka(k)) => Some(k),
        Some(_) => {
            problems.error(
                at,
                "needs a kafka source: cluster members share a Kafka topic and keep their \
                 state in Kafka",
            );
            None
        }
        None => None,
    };
    let url = advertise_url(&c.advertise_url, at, problems);
    let member_id = member_id(c.member_id.as_deref(), kafka, at, problems);
    let timings = timings(c, at, problems);
    let replication_factor = match c.replication_factor {
        None => None,
        Some(n @ 1..=MAX_REPLICAS) => Some(n as i32),
        Some(_) => {
            problems.error(
                &at.field("replication_factor"),
                format!("must be 1 to {MAX_REPLICAS}"),
            );
            None
        }
    };
    if problems.count() != before {
        return None;
    }
    Some(ClusterConfig {
        name: c.name.clone(),
        advertise_url: url?,
        member_id: member_id?,
        flush_interval_us: timings.flush_us?,
        snapshot_interval_us: timings.snapshot_us?,
        member_timeout_us: timings.timeout_us?,
        max_apply_lag_us: timings.lag_us?,
        replication_factor,
    })
}

/// Reports a cluster name that cannot prefix Kafka topic names.
fn check_name(name: &str, at: &At, problems: &mut Problems) {
    let name_ok = !name.is_empty()
        && name.len() <= 200
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !name_ok {
        problems.error(
            &at.field("name"),
            "must be 1 to 200 of a-z A-Z 0-9 . _ - (it prefixes Kafka topic names)",
        );
    }
}

/// `advertise_url`, expanded: an http or https URL.
fn advertise_url(value: &str, at: &At, problems: &mut Problems) -> Option<String> {
    let url = expanded(value, &at.field("advertise_url"), problems);
    if let Some(u) = &url
        && !(u.starts_with("http://") || u.starts_with("https://"))
    {
        problems.error(
            &at.field("advertise_url"),
            "must be an http:// or https:// URL",
        );
    }
    url
}

/// `member_id`, expanded; when not set, the Kafka source's `group.instance.id` option, else
/// the host name.
fn member_id(
    value: Option<&str>,
    kafka: Option<&KafkaSpec>,
    at: &At,
    problems: &mut Problems,
) -> Option<String> {
    let member_id = match value {
        Some(m) => expanded(m, &at.field("member_id"), problems),
        None => kafka
            .and_then(|k| k.options.get("group.instance.id").cloned())
            .or_else(host_name),
    };
    match &member_id {
        Some(m) if m.trim().is_empty() => {
            problems.error(&at.field("member_id"), "must not be empty")
        }
        None if kafka.is_some() => problems.error(
            &at.field("member_id"),
            "not set, no group.instance.id option and no host name: set it",
        ),
        _ => {}
    }
    member_id
}

/// The cluster's intervals and timeouts, µs, each `None` when invalid.
#[derive(Debug)]
struct Timings {
    flush_us: Option<i64>,
    snapshot_us: Option<i64>,
    timeout_us: Option<i64>,
    lag_us: Option<i64>,
}

/// The intervals and timeouts of `c`, or their defaults; a flush must come well within the
/// member timeout.
fn timings(c: &ClusterSpec, at: &At, problems: &mut Problems) -> Timings {
    let flush_us = duration_or(
        c.flush_interval.as_ref(),
        DEFAULT_FLUSH_US,
        &at.field("flush_interval"),
        problems,
    );
    let snapshot_us = duration_or(
        c.snapshot_interval.as_ref(),
        DEFAULT_SNAPSHOT_US,
        &at.field("snapshot_interval"),
        problems,
    );
    let timeout_us = duration_or(
        c.member_timeout.as_ref(),
        DEFAULT_MEMBER_TIMEOUT_US,
        &at.field("member_timeout"),
        problems,
    );
    let lag_us = duration_or(
        c.max_apply_lag.as_ref(),
        DEFAULT_MAX_APPLY_LAG_US,
        &at.field("max_apply_lag"),
        problems,
    );
    if let (Some(f), Some(t)) = (flush_us, timeout_us)
        && f >= t
    {
        problems.error(
            &at.field("flush_interval"),
            "must be shorter than member_timeout (a delta waits at most this long)",
        );
    }
    Timings {
        flush_us,
        snapshot_us,
        timeout_us,
        lag_us,
    }
}

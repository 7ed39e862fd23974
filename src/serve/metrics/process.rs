//! The process's own series in `/metrics`: lines, bytes and positions per partition, decode
//! errors, event outcomes, evaluation time and data lag, hosts of split services, source,
//! checkpoint, reload, Alertmanager and dead-letter counters, and resident memory (cluster
//! mode's are in `cluster`).

use super::Exposition;
use crate::checkpoint::CheckpointStats;
use crate::decode::DecodeError;
use crate::decode::ingest::Rejection;
use crate::evaluate::{Evaluation, PartitionState};
use crate::serve::read::{DeadLetterCounts, NotificationCounts, ReloadCounts};
use crate::source::SourceTelemetry;
use crate::time::SECOND;
use crate::window::ShardStats;

pub(super) fn split_telemetry(x: &mut Exposition, e: &Evaluation) {
    if e.splits.is_empty() {
        return;
    }
    x.family(
        "slipstream_split_hosts",
        "gauge",
        "Hosts with their own sub-service, per service split by host (at most its max_hosts).",
    );
    for s in &e.splits {
        x.sample(
            "slipstream_split_hosts",
            &[("service", &s.service)],
            s.hosts,
        );
    }
    x.family(
        "slipstream_split_max_hosts",
        "gauge",
        "The configured max_hosts of each service split by host.",
    );
    for s in &e.splits {
        x.sample(
            "slipstream_split_max_hosts",
            &[("service", &s.service)],
            s.max_hosts,
        );
    }
    x.family(
        "slipstream_split_overflow_events_total",
        "counter",
        "Events of hosts beyond max_hosts, counted in the service's _overflow sub-service.",
    );
    for s in &e.splits {
        x.sample(
            "slipstream_split_overflow_events_total",
            &[("service", &s.service)],
            s.overflow_events,
        );
    }
}

pub(super) fn telemetry(x: &mut Exposition, e: &Evaluation, format: &str) {
    partition_telemetry(x, e);
    let mut total = ShardStats::default();
    for p in &e.partitions {
        total.add(&p.stats);
    }
    event_telemetry(x, &total, format);
    x.gauge(
        "slipstream_evaluation_time_seconds",
        "Evaluation time T (event-time watermark), Unix seconds.",
        &[],
        e.evaluated_at_us as f64 / SECOND as f64,
    );
    x.gauge(
        "slipstream_data_lag_seconds",
        "Wall clock minus the evaluation time.",
        &[],
        e.report.data_lag_seconds,
    );
    x.gauge(
        "slipstream_build_info",
        "Build information.",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1,
    );
    if let Some(rss) = resident_bytes() {
        x.gauge(
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            &[],
            rss,
        );
    }
}

/// One family with a sample per partition (none for a partition whose `value` is `None`).
fn per_partition<T: std::fmt::Display>(
    x: &mut Exposition,
    e: &Evaluation,
    (name, kind, help): (&str, &str, &str),
    value: impl Fn(&PartitionState) -> Option<T>,
) {
    x.family(name, kind, help);
    for p in &e.partitions {
        if let Some(v) = value(p) {
            x.sample(name, &[("partition", &p.name)], v);
        }
    }
}

fn partition_telemetry(x: &mut Exposition, e: &Evaluation) {
    per_partition(
        x,
        e,
        (
            "slipstream_lines_total",
            "counter",
            "Lines read, per partition.",
        ),
        |p| Some(p.stats.lines),
    );
    per_partition(
        x,
        e,
        (
            "slipstream_format_directives_total",
            "counter",
            "Directive lines read (W3C #Fields:, #Version:, ...), per partition: lines that set how the next lines read, neither events nor decode errors.",
        ),
        |p| Some(p.directives),
    );
    per_partition(
        x,
        e,
        (
            "slipstream_bytes_total",
            "counter",
            "Bytes read (without line endings), per partition.",
        ),
        |p| Some(p.stats.bytes),
    );
    per_partition(
        x,
        e,
        (
            "slipstream_partition_next_offset",
            "gauge",
            "Source position just past the last applied line.",
        ),
        |p| Some(p.next_offset),
    );
    per_partition(
        x,
        e,
        (
            "slipstream_partition_newest_event_seconds",
            "gauge",
            "Newest event time applied, per partition, Unix seconds (its watermark before the allowed lateness).",
        ),
        |p| p.newest_us.map(|t| t as f64 / SECOND as f64),
    );
    per_partition(
        x,
        e,
        (
            "slipstream_partition_active",
            "gauge",
            "1 while the partition may hold the evaluation time back (assigned, not at its end, not idle).",
        ),
        |p| Some(u8::from(p.active)),
    );
    per_partition(
        x,
        e,
        (
            "slipstream_dedup_ids",
            "gauge",
            "Request ids remembered for de-duplication, per partition.",
        ),
        |p| Some(p.dedup_ids),
    );
}

/// Decode errors by reason and events by outcome, over every partition.
fn event_telemetry(x: &mut Exposition, total: &ShardStats, format: &str) {
    x.family(
        "slipstream_decode_errors_total",
        "counter",
        "Lines that did not decode, by format and reason.",
    );
    for err in DecodeError::ALL {
        x.sample(
            "slipstream_decode_errors_total",
            &[("format", format), ("reason", err.reason())],
            total.decode_errors[err.index()],
        );
    }
    x.sample(
        "slipstream_decode_errors_total",
        &[("format", format), ("reason", Rejection::TooLong.reason())],
        total.too_long,
    );
    x.family(
        "slipstream_events_total",
        "counter",
        "Decoded events by what happened to them.",
    );
    for (outcome, n) in [
        ("applied", total.applied),
        ("unmatched", total.unmatched),
        ("too_old", total.too_old),
        ("too_future", total.too_future),
        ("duplicate", total.duplicates),
    ] {
        x.sample("slipstream_events_total", &[("outcome", outcome)], n);
    }
}

pub(super) fn source_telemetry(x: &mut Exposition, s: &SourceTelemetry, ready: bool) {
    let load = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    x.gauge(
        "slipstream_ready",
        "1 when the source has delivered data and can read.",
        &[],
        u8::from(ready),
    );
    x.counter(
        "slipstream_source_rebalances_total",
        "Consumer group rebalance callbacks.",
        &[],
        load(&s.rebalances),
    );
    x.counter(
        "slipstream_source_commits_total",
        "Offset commits by result.",
        &[("result", "ok")],
        load(&s.commits),
    );
    x.sample(
        "slipstream_source_commits_total",
        &[("result", "failed")],
        load(&s.commit_failures),
    );
    x.counter(
        "slipstream_source_discarded_on_revoke_total",
        "Fetched messages left to the next owner of a revoked partition.",
        &[],
        load(&s.discarded_on_revoke),
    );
    let lag = s.lag.lock().map(|l| l.clone()).unwrap_or_default();
    if !lag.is_empty() {
        x.family(
            "slipstream_kafka_consumer_lag",
            "gauge",
            "Messages between the consumer position and the partition's high watermark.",
        );
        for (partition, lag) in &lag {
            x.sample(
                "slipstream_kafka_consumer_lag",
                &[("partition", partition)],
                lag,
            );
        }
    }
}

pub(super) fn checkpoint_telemetry(x: &mut Exposition, c: &CheckpointStats, now_us: i64) {
    let load = |v: &std::sync::atomic::AtomicU64| v.load(std::sync::atomic::Ordering::Relaxed);
    x.counter(
        "slipstream_checkpoints_total",
        "Checkpoint writes by result.",
        &[("result", "ok")],
        load(&c.writes),
    );
    x.sample(
        "slipstream_checkpoints_total",
        &[("result", "failed")],
        load(&c.failures),
    );
    x.counter(
        "slipstream_checkpoint_load_failures_total",
        "Checkpoint files rejected at start (corrupt, truncated, wrong version).",
        &[],
        load(&c.load_failures),
    );
    x.gauge(
        "slipstream_checkpoint_restored_partitions",
        "Partitions restored from a checkpoint at start.",
        &[],
        load(&c.restored_partitions),
    );
    let last = c.last_success_us.load(std::sync::atomic::Ordering::Relaxed);
    if last > 0 {
        x.gauge(
            "slipstream_checkpoint_age_seconds",
            "Time since the last successful checkpoint.",
            &[],
            (now_us - last).max(0) as f64 / SECOND as f64,
        );
        x.gauge(
            "slipstream_checkpoint_size_bytes",
            "Size of the last checkpoint.",
            &[],
            load(&c.last_bytes),
        );
        x.gauge(
            "slipstream_checkpoint_duration_seconds",
            "Time the last checkpoint took to snapshot and write.",
            &[],
            load(&c.last_duration_us) as f64 / SECOND as f64,
        );
    }
}

pub(super) fn reload_telemetry(x: &mut Exposition, r: &ReloadCounts) {
    x.counter(
        "slipstream_config_reloads_total",
        "Configuration reloads applied (SIGHUP or file change).",
        &[],
        r.reloads,
    );
    x.counter(
        "slipstream_config_reload_failures_total",
        "Configuration reloads rejected (invalid, or needing a restart); the old one runs on.",
        &[],
        r.failures,
    );
    x.family(
        "slipstream_config_reload_restart_required",
        "gauge",
        "1 for each restart-only field that the last rejected reload changed: the file differs from what runs until a restart.",
    );
    for &field in &r.restart_required {
        x.sample(
            "slipstream_config_reload_restart_required",
            &[("field", field)],
            1,
        );
    }
    x.gauge(
        "slipstream_config_last_reload_successful",
        "1 unless the last reload was rejected.",
        &[],
        u8::from(!r.last_failed),
    );
    x.gauge(
        "slipstream_config_last_reload_success_timestamp_seconds",
        "When the running configuration was loaded (start or last successful reload).",
        &[],
        r.last_success_us as f64 / SECOND as f64,
    );
}

pub(super) fn notification_telemetry(x: &mut Exposition, n: &NotificationCounts) {
    x.family(
        "slipstream_alertmanager_notifications_total",
        "counter",
        "Requests that pushed alerts to Alertmanager, by result.",
    );
    for (result, n) in [("ok", n.ok), ("failed", n.failed)] {
        x.sample(
            "slipstream_alertmanager_notifications_total",
            &[("result", result)],
            n,
        );
    }
}

pub(super) fn dead_letter_telemetry(x: &mut Exposition, d: &DeadLetterCounts) {
    x.counter(
        "slipstream_dead_letter_lines_total",
        "Undecodable lines written to the dead-letter file.",
        &[],
        d.written,
    );
    x.counter(
        "slipstream_dead_letter_dropped_total",
        "Undecodable lines not written to the dead-letter file (full, or a write failed).",
        &[],
        d.dropped,
    );
}

/// Resident set size from `/proc/self/statm` (Linux); `None` elsewhere.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

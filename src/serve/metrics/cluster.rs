//! Cluster mode's series in `/metrics`: the member's view of the cluster (partial counts,
//! missing partitions, live members, the pusher, the log) and its counters (deltas, records,
//! fences, snapshots, claims).

use std::sync::atomic::{AtomicU64, Ordering};

use super::Exposition;
use crate::cluster::shared::{ClusterStats, ClusterStatus};

/// Cluster mode's series: the `status` gauges, then the `stats` counters, each when given.
pub(super) fn cluster_telemetry(
    x: &mut Exposition,
    status: Option<&ClusterStatus>,
    stats: Option<&ClusterStats>,
) {
    if let Some(s) = status {
        status_gauges(x, s);
    }
    if let Some(c) = stats {
        counters(x, c);
    }
}

/// The member's view of the cluster, as gauges.
fn status_gauges(x: &mut Exposition, s: &ClusterStatus) {
    x.gauge(
        "slipstream_cluster_partial",
        "1 while this member lacks part of the cluster's counts (see /v1/cluster).",
        &[],
        u8::from(s.partial),
    );
    x.gauge(
        "slipstream_cluster_missing_partitions",
        "Raw partitions without a live owner.",
        &[],
        s.missing.partitions.len(),
    );
    x.gauge(
        "slipstream_cluster_live_members",
        "Members with a heartbeat within the member timeout, this one included.",
        &[],
        s.members.iter().filter(|m| m.live).count(),
    );
    x.gauge(
        "slipstream_cluster_config_mismatch_members",
        "Live members that count some SLO with another definition.",
        &[],
        s.config_mismatch.len(),
    );
    x.gauge(
        "slipstream_cluster_pusher",
        "1 when this member pushes alerts to Alertmanager.",
        &[],
        u8::from(s.pusher == s.member),
    );
    x.gauge(
        "slipstream_cluster_log_reset",
        "1 when the cluster log ends before what this member applied (deleted or recreated).",
        &[],
        u8::from(s.log.reset),
    );
    x.gauge(
        "slipstream_cluster_diverged_members",
        "Members whose cluster state came apart from this member's at the same log offset.",
        &[],
        s.log.diverged.len(),
    );
    x.gauge(
        "slipstream_cluster_log_records_behind",
        "Cluster log records not applied yet, up to the end last seen.",
        &[],
        s.log.end.saturating_sub(s.log.applied),
    );
}

/// What this member's fold, writer and claims did since it started.
fn counters(x: &mut Exposition, c: &ClusterStats) {
    fold_counters(x, c);
    writer_counters(x, c);
    snapshot_and_claim_counters(x, c);
}

fn load(v: &AtomicU64) -> u64 {
    v.load(Ordering::Relaxed)
}

/// What the fold did with the cluster log's records.
fn fold_counters(x: &mut Exposition, c: &ClusterStats) {
    x.counter(
        "slipstream_cluster_deltas_total",
        "Deltas read from the cluster log, by what the fold did with them.",
        &[("verdict", "applied")],
        load(&c.deltas_applied),
    );
    for (verdict, n) in [
        ("fenced", &c.deltas_fenced),
        ("not_next", &c.deltas_not_next),
        ("invalid", &c.deltas_invalid),
    ] {
        x.sample(
            "slipstream_cluster_deltas_total",
            &[("verdict", verdict)],
            load(n),
        );
    }
    x.counter(
        "slipstream_cluster_log_records_total",
        "Cluster log records this member applied (every kind).",
        &[],
        load(&c.records),
    );
    x.counter(
        "slipstream_cluster_fences_total",
        "Fences that made a new claim current.",
        &[],
        load(&c.fences),
    );
    x.counter(
        "slipstream_cluster_foreign_sections_total",
        "SLO or service sections of applied deltas counted with another definition, skipped.",
        &[],
        load(&c.foreign_sections),
    );
    x.counter(
        "slipstream_cluster_log_gaps_total",
        "Times the broker handed this member's log consumer a record past the next one; it \
         fetched again from the next one.",
        &[],
        load(&c.gaps),
    );
    x.counter(
        "slipstream_cluster_undecodable_records_total",
        "Cluster log records this build could not read, skipped.",
        &[],
        load(&c.undecodable),
    );
}

/// What this member read as an owner and wrote to the cluster log.
fn writer_counters(x: &mut Exposition, c: &ClusterStats) {
    x.counter(
        "slipstream_cluster_lines_read_total",
        "Raw lines this member read as the owner of their partition.",
        &[],
        load(&c.lines_read),
    );
    x.counter(
        "slipstream_cluster_deltas_written_total",
        "Deltas this member wrote.",
        &[],
        load(&c.deltas_written),
    );
    x.counter(
        "slipstream_cluster_delta_bytes_total",
        "Bytes of the deltas this member wrote.",
        &[],
        load(&c.delta_bytes),
    );
    x.counter(
        "slipstream_cluster_write_failures_total",
        "Deltas this member could not write (the partition was claimed again).",
        &[],
        load(&c.write_failures),
    );
}

/// This member's snapshots and its claims of raw partitions.
fn snapshot_and_claim_counters(x: &mut Exposition, c: &ClusterStats) {
    x.counter(
        "slipstream_cluster_snapshots_total",
        "Snapshots this member wrote, by result.",
        &[("result", "ok")],
        load(&c.snapshots),
    );
    x.sample(
        "slipstream_cluster_snapshots_total",
        &[("result", "failed")],
        load(&c.snapshot_failures),
    );
    x.gauge(
        "slipstream_cluster_snapshot_bytes",
        "Size of the last snapshot this member wrote.",
        &[],
        load(&c.snapshot_bytes),
    );
    x.gauge(
        "slipstream_cluster_restored_from_offset",
        "The log offset the snapshot this member started from covers (0: none).",
        &[],
        load(&c.restored_from),
    );
    x.counter(
        "slipstream_cluster_claims_total",
        "Claims of raw partitions this member made, by result.",
        &[("result", "won")],
        load(&c.claims),
    );
    x.sample(
        "slipstream_cluster_claims_total",
        &[("result", "lost")],
        load(&c.claims_lost),
    );
    x.counter(
        "slipstream_cluster_taken_over_total",
        "Partitions a newer claim took from this member while it owned them.",
        &[],
        load(&c.taken_over),
    );
}

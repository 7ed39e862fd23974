//! The counters of what the fold did and what this member wrote, for `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of what the fold did and what this member wrote, for `/metrics`.
#[derive(Debug, Default)]
pub struct ClusterStats {
    /// Log records applied (every kind, skipped ones included).
    pub records: AtomicU64,
    /// Deltas whose counts were applied.
    pub deltas_applied: AtomicU64,
    /// Deltas of a fenced writer, skipped.
    pub deltas_fenced: AtomicU64,
    /// Deltas that did not start where the accepted data ended (a retried write), skipped.
    pub deltas_not_next: AtomicU64,
    /// Deltas of an unclaimed partition or an unknown topic, skipped.
    pub deltas_invalid: AtomicU64,
    /// SLO or service sections of applied deltas whose fingerprint this configuration lacks.
    pub foreign_sections: AtomicU64,
    /// Records this build could not read.
    pub undecodable: AtomicU64,
    /// Times the log consumer was handed a record past the next one (a broker skipping
    /// records) and was sent back to the next one.
    pub gaps: AtomicU64,
    /// Fences that took effect.
    pub fences: AtomicU64,
    /// Raw lines this member's reader read (summed over members: the topic, plus what
    /// faults made a new owner read again).
    pub lines_read: AtomicU64,
    /// Deltas this member wrote.
    pub deltas_written: AtomicU64,
    /// Bytes of the deltas this member wrote.
    pub delta_bytes: AtomicU64,
    /// Records this member could not write (the partition is claimed again).
    pub write_failures: AtomicU64,
    /// Claims this member made that its fold confirmed.
    pub claims: AtomicU64,
    /// Claims this member wrote that a newer claimant's fence had already beaten.
    pub claims_lost: AtomicU64,
    /// Partitions a newer claim took from this member afterwards (it was paused).
    pub taken_over: AtomicU64,
    /// Snapshots this member wrote.
    pub snapshots: AtomicU64,
    /// Snapshots this member could not write.
    pub snapshot_failures: AtomicU64,
    /// Size of the last snapshot written, bytes.
    pub snapshot_bytes: AtomicU64,
    /// The log offset the snapshot this member started from covers (0: none).
    pub restored_from: AtomicU64,
}

/// Adds `n` to the counter `c`.
pub(super) fn count(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

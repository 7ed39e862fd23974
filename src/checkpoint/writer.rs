//! Taking checkpoints of a live [`Store`] and restoring one into a fresh store.
//!
//! A snapshot locks every shard, then the counters (the order a batch takes them in), and
//! exports the counts with every partition's next offset while no batch is half-applied, so
//! they always agree; it writes the lot with [`CheckpointDir::write`] after the locks are
//! released. Only once the file is durable are its offsets published as
//! *durable*: the positions a source may commit (Kafka group offsets), so Kafka can never be
//! ahead of the state that counts its events.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tracing::{info, warn};

use super::{Checkpoint, CheckpointDir, CheckpointError};
use crate::source::PartitionId;
use crate::window::{Store, lock};

/// Counters and gauges of checkpointing, for `/metrics`.
#[derive(Debug, Default)]
pub struct CheckpointStats {
    /// Successful writes.
    pub writes: AtomicU64,
    /// Failed writes.
    pub failures: AtomicU64,
    /// Wall-clock time of the last successful write, µs (0: none yet).
    pub last_success_us: AtomicI64,
    /// Size of the last successful write.
    pub last_bytes: AtomicU64,
    /// Duration of the last successful write, µs.
    pub last_duration_us: AtomicU64,
    /// Checkpoint files rejected at start (corrupt, truncated, wrong version).
    pub load_failures: AtomicU64,
    /// Partitions restored at start.
    pub restored_partitions: AtomicU64,
}

/// Writes checkpoints of one store into one directory.
///
/// SLOs and services are named by index in the state; the names are passed with each call
/// (they come from the running configuration, which a reload may change).
#[derive(Debug)]
pub struct Checkpointer {
    dir: CheckpointDir,
    /// Stats, shared with the HTTP layer.
    pub stats: Arc<CheckpointStats>,
    /// Offsets covered by the newest durable checkpoint, per partition.
    pub durable: Arc<Mutex<HashMap<PartitionId, u64>>>,
}

impl Checkpointer {
    /// A checkpointer writing into `dir`.
    pub fn new(dir: CheckpointDir) -> Self {
        Self {
            dir,
            stats: Arc::default(),
            durable: Arc::default(),
        }
    }

    /// Loads the newest valid checkpoint into `store` (which must be empty), whose SLOs and
    /// services are `slo_ids` and `services` by index, and marks its offsets durable. Rejected
    /// files are logged and counted; none is fatal.
    pub fn restore(
        &self,
        store: &Store,
        slo_ids: &[String],
        services: &[String],
    ) -> Result<(), CheckpointError> {
        let loaded = self.dir.load()?;
        for e in &loaded.rejected {
            warn!(error = %e, "ignoring unusable checkpoint; falling back to an older one");
            self.stats.load_failures.fetch_add(1, Ordering::Relaxed);
        }
        let Some((checkpoint, path)) = loaded.checkpoint else {
            if loaded.rejected.is_empty() {
                info!("no checkpoint yet; starting empty");
            } else {
                warn!("no usable checkpoint; starting empty");
            }
            return Ok(());
        };
        checkpoint.restore_into(store, slo_ids, services);
        let mut durable = lock(&self.durable);
        for p in &checkpoint.partitions {
            durable.insert(PartitionId::new(p.stream, p.partition), p.shard.next_offset);
        }
        self.stats
            .restored_partitions
            .store(checkpoint.partitions.len() as u64, Ordering::Relaxed);
        info!(path = %path.display(), partitions = checkpoint.partitions.len(), "restored checkpoint");
        Ok(())
    }

    /// Snapshots `store`, whose SLOs and services are `slo_ids` and `services` by index, and
    /// writes it durably; then publishes the offsets it covers.
    pub fn checkpoint(
        &mut self,
        store: &Store,
        slo_ids: &[String],
        services: &[String],
        now_us: i64,
    ) -> Result<(), CheckpointError> {
        let started = Instant::now();
        let checkpoint = Checkpoint::of(store, slo_ids, services, now_us);
        let offsets: HashMap<PartitionId, u64> = checkpoint
            .partitions
            .iter()
            .map(|p| (PartitionId::new(p.stream, p.partition), p.shard.next_offset))
            .collect();
        let result = self.dir.write(&checkpoint);
        match result {
            Ok(written) => {
                *lock(&self.durable) = offsets;
                let s = &self.stats;
                s.writes.fetch_add(1, Ordering::Relaxed);
                s.last_success_us.store(now_us, Ordering::Relaxed);
                s.last_bytes.store(written.bytes, Ordering::Relaxed);
                s.last_duration_us
                    .store(started.elapsed().as_micros() as u64, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                self.stats.failures.fetch_add(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }
}

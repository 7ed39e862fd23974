//! The reader's [`Sink`]: each batch of an owned partition is decided and applied to the
//! partition's shard and pending delta, and the deltas are written when due, at the
//! partition's end, on a reload and when the source stops.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tracing::{debug, warn};

use super::{BALANCE_INTERVAL, ClusterSink, FLUSH_EVENTS, TICK_INTERVAL, bump};
use crate::app::batch::{DecidedBatch, Decider};
use crate::cluster::record::{Delta, Record};
use crate::source::{LineBatch, PartitionId, Sink};

impl ClusterSink {
    /// Writes `pid`'s pending delta.
    pub(super) fn flush(&mut self, pid: PartitionId) {
        let now = self.pipeline.clock.now_us();
        let g = self.generation.clone();
        let Some(o) = self.owned.get_mut(&pid) else {
            return;
        };
        let mut delta = Delta {
            source: o.source.clone(),
            epoch: o.epoch.clone(),
            from: o.from,
            to: o.to,
            sent_us: now,
            at_end: o.at_end,
            newest_us: o.shard.newest_us(),
            stats: o.shard.stats.since(&o.before),
            ids: o.shard.dedup_since(o.mark),
            directive: o.shard.format_state.saved().map(<[u8]>::to_vec),
            directives: o.shard.directives - o.directives,
            ..Delta::default()
        };
        o.builder.take(&mut delta, &g.fingerprints, g.store.plan());
        let bytes = self
            .writer
            .delta(&o.source, &Record::Delta(Box::new(delta)));
        bump(&self.shared.stats.deltas_written);
        self.shared
            .stats
            .delta_bytes
            .fetch_add(bytes as u64, Ordering::Relaxed);
        o.from = o.to;
        o.before = o.shard.stats;
        o.mark = o.shard.dedup_mark();
        o.directives = o.shard.directives;
        o.written = Instant::now();
        o.told_end = o.at_end;
    }

    /// Writes every pending delta that is due (`all`: every pending one).
    fn flush_due(&mut self, all: bool) {
        let interval = Duration::from_micros(self.shared.config.flush_interval_us as u64);
        let due: Vec<PartitionId> = self
            .owned
            .iter()
            .filter(|(_, o)| {
                o.dirty()
                    && (all
                        || o.at_end != o.told_end
                        || o.builder.events() >= FLUSH_EVENTS
                        || o.written.elapsed() >= interval)
            })
            .map(|(p, _)| *p)
            .collect();
        for pid in due {
            self.flush(pid);
        }
    }

    /// Follows a reload: pending deltas are written with the generation they were counted
    /// in, then the new one's ingest path is used.
    fn follow(&mut self) {
        let g = self.pipeline.generation();
        if g.number == self.generation.number {
            return;
        }
        self.flush_due(true);
        self.generation = g;
    }

    /// Applies `decided` (decided with this sink's generation from a batch of `payloads`
    /// payloads) to the owned `partition`'s shard and delta.
    fn apply_decided_in(
        &mut self,
        partition: PartitionId,
        payloads: usize,
        decided: DecidedBatch<'_>,
    ) {
        let p = self.pipeline.clone();
        let g = self.generation.clone();
        let Some(o) = self.owned.get_mut(&partition) else {
            return;
        };
        let now = p.clock.now_us();
        let plan = g.store.plan();
        decided.apply(
            &mut o.shard,
            &mut o.builder,
            &g.classifier,
            plan,
            now.saturating_add(plan.window.max_future_us),
        );
        o.to = decided.next_offset;
        o.at_end = false;
        self.shared
            .stats
            .lines_read
            .fetch_add(payloads as u64, Ordering::Relaxed);
        // The name is needed (and copied) only for a batch that rejected something.
        let name = (decided.rejected.len() > 0).then(|| o.source.to_string());
        if o.builder.events() >= FLUSH_EVENTS {
            self.flush(partition);
        }
        self.decisions = decided.finish(
            partition,
            name.as_deref(),
            g.format.name(),
            now,
            p.dead_letter.as_ref(),
            &mut self.warnings,
        );
    }
}

impl crate::app::parallel::Decides for ClusterSink {
    fn decider(&mut self) -> Arc<Decider> {
        self.follow();
        Decider::of(&mut self.decider, &self.generation, &self.pipeline)
    }

    fn apply_decided(
        &mut self,
        partition: PartitionId,
        batch: &LineBatch,
        decided: DecidedBatch<'static>,
        generation: u64,
    ) {
        self.follow();
        if self.generation.number != generation {
            return Sink::apply(self, partition, batch);
        }
        self.apply_decided_in(partition, batch.len(), decided);
    }
}

impl Sink for ClusterSink {
    fn assign(&mut self, partition: PartitionId, name: &str) {
        // Not called: this sink assigns partitions itself.
        debug!(partition = name, %partition, "assignment callback ignored");
    }

    fn apply(&mut self, partition: PartitionId, batch: &LineBatch) {
        self.follow();
        let p = self.pipeline.clone();
        let g = self.generation.clone();
        let Some(o) = self.owned.get(&partition) else {
            return;
        };
        let mut state = o.shard.format_state.clone();
        let decider = Decider::of(&mut self.decider, &g, &p);
        let decisions = std::mem::take(&mut self.decisions);
        let decided = decider.decide(batch, &mut self.scratch, &mut state, decisions);
        self.apply_decided_in(partition, batch.len(), decided);
    }

    fn revoke(&mut self, partition: PartitionId) {
        self.follow();
        if self.owned.contains_key(&partition) {
            self.flush(partition);
        }
        self.release(partition);
    }

    fn end_of_partition(&mut self, partition: PartitionId) {
        let Some(o) = self.owned.get_mut(&partition) else {
            return;
        };
        o.at_end = true;
        // Peers learn at once that the partition has nothing more to deliver, so evaluation
        // time moves on without waiting for a tick.
        if o.dirty() {
            self.flush(partition);
        }
    }

    fn caught_up(&mut self) {}

    fn unavailable(&mut self, reason: &str) {
        warn!(reason, "the cluster source cannot read");
    }

    fn position(&self, partition: PartitionId) -> Option<u64> {
        self.owned.get(&partition).map(|o| o.to)
    }

    fn committable(&self, partition: PartitionId) -> Option<u64> {
        // What the cluster accepted: informative only (nothing resumes from group offsets).
        self.owned.get(&partition).map(|o| o.from)
    }

    fn assigns_partitions(&self) -> bool {
        true
    }

    fn assignment(&mut self) -> Option<Vec<(PartitionId, u64)>> {
        if !std::mem::take(&mut self.changed) {
            return None;
        }
        Some(self.owned.iter().map(|(p, o)| (*p, o.to)).collect())
    }

    fn tick(&mut self) {
        // Called after every message the source polls: the work is done at most every
        // TICK_INTERVAL (a clock read otherwise).
        let now = Instant::now();
        if now.duration_since(self.last_tick) < TICK_INTERVAL {
            return;
        }
        self.last_tick = now;
        self.follow();
        if self.last_balance.elapsed() >= BALANCE_INTERVAL {
            self.last_balance = Instant::now();
            self.check_ownership();
            self.balance();
        }
        self.flush_due(false);
    }
}

impl Drop for ClusterSink {
    /// The source stopped: what was read goes out, so a restart or the next owner resumes
    /// after it instead of reading it again.
    fn drop(&mut self) {
        self.flush_due(true);
        let owned: Vec<PartitionId> = self.owned.keys().copied().collect();
        for pid in owned {
            self.release(pid);
        }
        // Peers take this member's partitions over now, not after the member timeout.
        self.heartbeat(true);
        self.writer.flush(Duration::from_secs(5));
    }
}

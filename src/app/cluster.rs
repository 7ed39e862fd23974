//! A cluster member's reader: the [`Sink`] of its Kafka source in cluster mode.
//!
//! Members split the raw partitions among themselves, without a consumer group: every
//! member computes the same assignment from the live members (heartbeats on the log) and
//! the raw partitions ([`assign`]), and its source reads exactly the partitions this sink
//! owns ([`Sink::assignment`]). A member releases a partition the assignment gives to
//! another (it stops reading it and says so in its next heartbeat, sent at once), and
//! claims one the assignment gives to it once its previous owner released it or stopped
//! sending heartbeats.
//!
//! A claim follows the README ("Epochs and fences"): catch up with the log, write a fence
//! with the next epoch, wait until this member's own fold has applied it and, if that epoch
//! is still the current one, resume where the fold says the accepted data ends, with the
//! fold's copy of the partition's own state (newest event, de-duplication ids). Lines then
//! go through the same ingest path and [`Shard::apply`] as a single instance, into a
//! [`DeltaBuilder`]; a delta is written at most every `spec.cluster.flush_interval`, after
//! [`FLUSH_EVENTS`] events, or when the partition reaches its end. Counts reach the store
//! only through the log, as every member's do.
//!
//! A claim lost to a newer claimant (this member was paused as a zombie) releases the
//! partition; a delta that could not be written makes the member claim the partition again
//! and read it from where the fold says.
//!
//! [`Shard::apply`]: crate::window::Shard::apply

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

use super::batch::{DecidedBatch, Decider};
use super::rejections::{BatchOrigin, WarningLimiter};
use super::{Generation, Pipeline};
use crate::checkpoint::Checkpoint;
use crate::cluster::assign::assign;
use crate::cluster::delta::DeltaBuilder;
use crate::cluster::fingerprint::Fingerprints;
use crate::cluster::fold::Epoch;
use crate::cluster::fold::Positions;
use crate::cluster::follow;
use crate::cluster::log::{LogWriter, ensure_topics, follower, log_topic};
use crate::cluster::record::{Delta, Fence, Record, Source};
use crate::cluster::shared::FoldTarget;
use crate::cluster::shared::Shared;
use crate::cluster::snapshot::{self, Names};
use crate::source::StopSignal;
use crate::source::kafka::KafkaSpec;
use crate::source::kafka::StartFrom;
use crate::source::{LineBatch, PartitionId, Sink};
use crate::window::Store;
use crate::window::{Shard, ShardStats, lock};
use anyhow::Context;

/// This member's cluster side, once started.
#[derive(Debug)]
pub struct Member {
    writer: Arc<LogWriter>,
    start_from: StartFrom,
    stop: StopSignal,
}

/// Starts `pipeline`'s cluster side against the brokers of `spec`: creates the cluster's
/// topics when missing, and starts following the log (until `stop`).
pub async fn start(
    pipeline: &Arc<Pipeline>,
    spec: &KafkaSpec,
    stop: StopSignal,
) -> anyhow::Result<Member> {
    let shared = pipeline
        .cluster
        .clone()
        .context("the pipeline has no cluster state")?;
    ensure_topics(spec, &shared.config)
        .await
        .map_err(anyhow::Error::msg)?;
    let writer = Arc::new(LogWriter::new(spec, &shared.config).map_err(anyhow::Error::msg)?);
    shared.set_writer(writer.clone());
    restore(pipeline, &shared, spec)?;
    let consumer =
        follower(spec, &shared.config, shared.fold().next).map_err(anyhow::Error::msg)?;
    let target: Arc<dyn FoldTarget> = pipeline.clone();
    follow::spawn(
        shared.clone(),
        target.clone(),
        consumer,
        writer.clone(),
        stop.clone(),
    )
    .context("cannot start the cluster follower thread")?;
    snapshot::spawn(shared, target, writer.clone(), stop.clone())
        .context("cannot start the cluster snapshot thread")?;
    Ok(Member {
        writer,
        start_from: spec.start_from,
        stop,
    })
}

impl Member {
    /// The reader that claims and reads `pipeline`'s share of the raw partitions.
    pub fn sink(&self, pipeline: &Arc<Pipeline>) -> Option<ClusterSink> {
        let shared = pipeline.cluster.clone()?;
        Some(ClusterSink::new(
            pipeline.clone(),
            shared,
            self.writer.clone(),
            self.start_from,
            self.stop.clone(),
        ))
    }
}

impl FoldTarget for Pipeline {
    fn with_store(&self, f: &mut dyn FnMut(&Store, &Fingerprints)) {
        // Held while the record is applied: a reload waits for it, like for a batch.
        let g = self.read_generation();
        f(&g.store, &g.fingerprints);
    }

    fn adjust(&self, change: &crate::cluster::record::AdjustmentChange) {
        self.apply_declared(change);
    }

    fn applied_delta(&self) {
        // Every member folds the same deltas, so each records the same alert history.
        if self
            .record_alerts
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            let g = self.generation();
            super::alert_minutes::advance(&g.objectives, &g.store, self.clock.now_us());
        }
    }

    fn fingerprints(&self) -> Arc<Fingerprints> {
        self.generation().fingerprints.clone()
    }

    fn lag(&self) -> Vec<(Source, i64)> {
        let lag = self
            .source_telemetry
            .lag
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default();
        lag.into_iter()
            .filter_map(|(name, lag)| {
                let (topic, partition) = name.rsplit_once('/')?;
                Some((
                    Source {
                        topic: topic.to_string(),
                        partition: partition.parse().ok()?,
                    },
                    lag,
                ))
            })
            .collect()
    }

    fn now_us(&self) -> i64 {
        self.clock.now_us()
    }

    fn cut(&self, now_us: i64) -> (Checkpoint, Names) {
        let g = self.read_generation();
        let state = Checkpoint::of(&g.store, &g.slo_ids, &g.services, now_us);
        (state, names_of(&g))
    }
}

/// The names and fingerprints of `g`'s SLOs and services.
fn names_of(g: &Generation) -> Names {
    Names {
        slos: g
            .slo_ids
            .iter()
            .cloned()
            .zip(g.fingerprints.slos.iter().copied())
            .collect(),
        services: g
            .services
            .iter()
            .cloned()
            .zip(g.fingerprints.services.iter().copied())
            .collect(),
    }
}

/// Restores the newest whole snapshot into `pipeline`'s store and fold, if there is one.
fn restore(pipeline: &Pipeline, shared: &Shared, spec: &KafkaSpec) -> anyhow::Result<()> {
    let Some(mut restored) = snapshot::latest(spec, &shared.config).map_err(anyhow::Error::msg)?
    else {
        info!("no cluster snapshot yet; applying the log from its start");
        return Ok(());
    };
    let g = pipeline.generation();
    let dropped = restored.keep_matching(&names_of(&g));
    if dropped > 0 {
        warn!(
            slos = dropped,
            "the snapshot counts some SLOs with another definition; they start empty"
        );
    }
    restored
        .state
        .restore_into(&g.store, &g.slo_ids, &g.services);
    if !g.store.declared().is_empty() {
        // The snapshot's adjustments declared through the API, into the counters.
        drop(g);
        pipeline.reinstall();
    }
    let covers = restored.commit.covers;
    {
        let mut fold = shared.fold();
        fold.positions = Positions::from_all(snapshot::positions_of(&restored.commit, |s| {
            shared.partition_id(s)
        }));
        fold.next = covers;
        fold.alerts = restored.commit.alerts.clone();
    }
    shared.stats.restored_from.store(covers, Ordering::Relaxed);
    info!(
        covers,
        bytes = restored.bytes,
        partitions = restored.state.partitions.len(),
        "restored the cluster snapshot; applying the log after it"
    );
    Ok(())
}

/// A delta is written once it holds this many events, whatever the flush interval.
pub const FLUSH_EVENTS: u64 = 4096;
/// How long a claim waits for the fold to reach the log's end and its own fence.
const CLAIM_WAIT: Duration = Duration::from_secs(30);
/// How often a failed claim is tried again.
const RETRY_INTERVAL: Duration = Duration::from_secs(1);
/// How often ownership is checked and the assignment followed.
const BALANCE_INTERVAL: Duration = Duration::from_millis(100);
/// The least time between two ticks that do their work (deltas due, ownership, balance).
const TICK_INTERVAL: Duration = Duration::from_millis(10);

/// The value `rx` receives within `timeout`; an error once the timeout passes, the sender is
/// gone, or `stop` is raised.
fn recv_unless_stopped<T>(
    rx: &std::sync::mpsc::Receiver<T>,
    timeout: Duration,
    stop: &StopSignal,
) -> Result<T, RecvTimeoutError> {
    stop.wait_for(timeout, |step| match rx.recv_timeout(step) {
        Err(RecvTimeoutError::Timeout) => None,
        other => Some(other),
    })
    .unwrap_or(Err(RecvTimeoutError::Timeout))
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// A raw partition this member owns, and the delta it is filling.
#[derive(Debug)]
struct Owned {
    source: Source,
    epoch: Epoch,
    /// Start of the pending delta: where the accepted data ends.
    from: u64,
    /// End of what was read.
    to: u64,
    /// The partition's own state, continued from the fold's.
    shard: Shard,
    builder: DeltaBuilder,
    /// The shard's statistics, de-duplication mark and directive count when the pending
    /// delta started.
    before: ShardStats,
    mark: u64,
    directives: u64,
    /// When the last delta was written.
    written: Instant,
    /// The partition reached its end; `told_end`: a delta said so.
    at_end: bool,
    told_end: bool,
}

impl Owned {
    fn dirty(&self) -> bool {
        self.to != self.from || self.at_end != self.told_end
    }
}

/// The reader of a cluster member.
#[derive(Debug)]
pub struct ClusterSink {
    pipeline: Arc<Pipeline>,
    shared: Arc<Shared>,
    writer: Arc<LogWriter>,
    start_from: StartFrom,
    /// The generation the decider and the pending deltas belong to.
    generation: Arc<Generation>,
    scratch: Vec<u8>,
    /// Reused buffer for a batch's decisions.
    decisions: crate::window::Decisions,
    /// Length cap, envelope, decoder and classifier of `generation` (built when first
    /// needed).
    decider: Option<Arc<Decider>>,
    warnings: WarningLimiter,
    owned: HashMap<PartitionId, Owned>,
    /// When a claim of a partition last failed: retried after [`RETRY_INTERVAL`].
    failed_claims: HashMap<PartitionId, Instant>,
    /// The partitions owned (or their positions) changed since the source last asked.
    changed: bool,
    /// When ownership was last checked and the assignment followed.
    last_balance: Instant,
    /// When a tick last did its work (at most every [`TICK_INTERVAL`]).
    last_tick: Instant,
    /// The process's stop signal: waits inside a claim end when it is raised.
    stop: StopSignal,
}

impl ClusterSink {
    /// A reader for `pipeline` in the cluster `shared`, writing through `writer`; a
    /// partition no one has claimed before starts at `start_from`; `stop` ends a claim's
    /// waits.
    pub fn new(
        pipeline: Arc<Pipeline>,
        shared: Arc<Shared>,
        writer: Arc<LogWriter>,
        start_from: StartFrom,
        stop: StopSignal,
    ) -> Self {
        let generation = pipeline.generation();
        Self {
            stop,
            generation,
            pipeline,
            shared,
            writer,
            start_from,
            scratch: Vec::new(),
            decisions: crate::window::Decisions::new(),
            decider: None,
            warnings: WarningLimiter::default(),
            owned: HashMap::new(),
            failed_claims: HashMap::new(),
            changed: false,
            last_balance: Instant::now() - BALANCE_INTERVAL,
            last_tick: Instant::now() - TICK_INTERVAL,
        }
    }

    /// Claims every partition of `pids`: for each, the owned partition, or why not
    /// (`Ok(None)`: a newer claimant won). Every fence is written before any is waited for,
    /// so claiming several partitions costs about one round trip through the log.
    fn claim_all(&self, pids: &[PartitionId]) -> Vec<(PartitionId, Result<Option<Owned>, String>)> {
        if pids.is_empty() {
            return Vec::new();
        }
        let log = Source {
            topic: log_topic(&self.shared.config),
            partition: 0,
        };
        // Know every fence written so far, so that each epoch is above them all.
        let caught_up = self.writer.watermarks(&log).and_then(|(_, end)| {
            if end > 0 && !self.shared.wait_applied(end - 1, CLAIM_WAIT, &self.stop) {
                return Err("the cluster log is not applied up to its end yet".to_string());
            }
            Ok(())
        });
        if let Err(e) = caught_up {
            return pids.iter().map(|p| (*p, Err(e.clone()))).collect();
        }
        let mut written = Vec::new();
        let mut outcomes = Vec::new();
        for &pid in pids {
            let source = self.shared.source(pid);
            match self.write_fence(&source, pid) {
                Ok((epoch, ack)) => written.push((pid, source, epoch, ack)),
                Err(e) => outcomes.push((pid, Err(e))),
            }
        }
        let mut last = None;
        let mut fenced = Vec::new();
        for (pid, source, epoch, ack) in written {
            match recv_unless_stopped(&ack, CLAIM_WAIT, &self.stop) {
                Ok(Ok(offset)) => {
                    last = last.max(Some(offset));
                    fenced.push((pid, source, epoch));
                }
                Ok(Err(e)) => outcomes.push((pid, Err(e))),
                Err(_) => {
                    outcomes.push((pid, Err("the fence was not acknowledged in time".into())))
                }
            }
        }
        if let Some(offset) = last
            && !self.shared.wait_applied(offset, CLAIM_WAIT, &self.stop)
        {
            let e = "the fence was written but not applied in time";
            outcomes.extend(fenced.iter().map(|(pid, ..)| (*pid, Err(e.to_string()))));
            return outcomes;
        }
        for (pid, source, epoch) in fenced {
            outcomes.push((pid, Ok(self.owned_from_fold(pid, source, epoch))));
        }
        outcomes
    }

    /// Writes a fence on `source` with the next epoch; its offset arrives on the receiver.
    fn write_fence(
        &self,
        source: &Source,
        pid: PartitionId,
    ) -> Result<(Epoch, std::sync::mpsc::Receiver<Result<u64, String>>), String> {
        // Where a partition never claimed starts; a claimed one's position is the fold's.
        let start = if self.shared.position(source).is_some() {
            0
        } else {
            let (low, high) = self.writer.watermarks(source)?;
            match self.start_from {
                StartFrom::Earliest => low,
                StartFrom::Latest => high,
            }
        };
        let epoch = self
            .shared
            .fold()
            .positions
            .next_epoch(pid, &self.shared.config.member_id);
        let fence = Record::Fence(Fence {
            source: source.clone(),
            epoch: epoch.clone(),
            start,
            sent_us: self.pipeline.clock.now_us(),
        });
        Ok((epoch, self.writer.fence_later(&fence)))
    }

    /// After this member's fence of `epoch` was applied: the partition as the fold left it,
    /// or `None` when a newer claimant won.
    fn owned_from_fold(&self, pid: PartitionId, source: Source, epoch: Epoch) -> Option<Owned> {
        let Some(position) = self.shared.position(&source).filter(|p| p.epoch == epoch) else {
            bump(&self.shared.stats.claims_lost);
            info!(partition = %source, "a newer claim won the partition");
            return None;
        };
        bump(&self.shared.stats.claims);
        let g = self.pipeline.generation();
        let state = lock(&g.store.shard(pid, &source.to_string())).export();
        let shard = Shard::restore(&state);
        info!(partition = %source, epoch = epoch.number, from = position.next, "claimed");
        Some(Owned {
            before: shard.stats,
            mark: shard.dedup_mark(),
            directives: shard.directives,
            shard,
            source,
            epoch,
            from: position.next,
            to: position.next,
            builder: DeltaBuilder::default(),
            written: Instant::now(),
            at_end: false,
            told_end: false,
        })
    }

    /// Claims `pids` and records the outcomes.
    fn take(&mut self, pids: &[PartitionId]) {
        for (pid, outcome) in self.claim_all(pids) {
            match outcome {
                Ok(Some(owned)) => {
                    self.shared.set_mine(&owned.source, true);
                    self.owned.insert(pid, owned);
                    self.failed_claims.remove(&pid);
                    self.changed = true;
                }
                Ok(None) => {
                    self.failed_claims.insert(pid, Instant::now());
                }
                Err(e) => {
                    warn!(partition = %pid, error = %e, "cannot claim the partition; will retry");
                    self.failed_claims.insert(pid, Instant::now());
                }
            }
        }
    }

    /// Stops owning `pid` (its pending lines are dropped: whoever owns it next reads them).
    fn release(&mut self, pid: PartitionId) {
        if let Some(o) = self.owned.remove(&pid) {
            self.shared.set_mine(&o.source, false);
            self.changed = true;
        }
    }

    /// Sends this member's heartbeat now (after a release, so that the next owner need not
    /// wait for the periodic one); `leaving` when the member stops.
    fn heartbeat(&self, leaving: bool) {
        let beat = self.shared.heartbeat(
            self.pipeline.clock.now_us(),
            &self.generation.fingerprints,
            FoldTarget::lag(&*self.pipeline),
            leaving,
        );
        self.writer.heartbeat(&Record::Heartbeat(beat));
    }

    /// Follows the assignment: releases what it gives to others, claims what it gives to
    /// this member once the previous owner released it or is gone. Only with the log
    /// applied to a recent end and this member's own heartbeat heard back within the member
    /// timeout: a member that cannot write or read the log (a broker outage) cannot tell a
    /// dead peer from a silent log, so it changes nothing.
    fn balance(&mut self) {
        let now = self.pipeline.clock.now_us();
        if !self.shared.caught_up(now) || !self.shared.knows_partitions() {
            return;
        }
        let me = self.shared.config.member_id.clone();
        let timeout = self.shared.config.member_timeout_us;
        let members = self.shared.members().clone();
        if !members.is_live(&me, now, timeout) {
            return;
        }
        let plan = assign(
            &self.shared.raw_partitions(),
            &members.live(&me, now, timeout),
        );
        let mine: BTreeSet<PartitionId> = plan
            .iter()
            .filter(|(_, m)| **m == me)
            .filter_map(|(s, _)| self.shared.partition_id(s))
            .collect();
        let release: Vec<PartitionId> = self
            .owned
            .keys()
            .filter(|p| !mine.contains(p))
            .copied()
            .collect();
        for pid in &release {
            info!(partition = %pid, "the assignment moved the partition; releasing it");
            self.flush(*pid);
            self.release(*pid);
        }
        if !release.is_empty() {
            self.heartbeat(false);
        }
        let mut free_now = Vec::new();
        for pid in mine {
            if self.owned.contains_key(&pid)
                || self
                    .failed_claims
                    .get(&pid)
                    .is_some_and(|t| t.elapsed() < RETRY_INTERVAL)
            {
                continue;
            }
            let source = self.shared.source(pid);
            let claimed_us = self.shared.fold().fenced_us.get(&pid).copied();
            let free = match self.shared.position(&source) {
                None => true,
                Some(p) if p.epoch.member == me => true,
                Some(p) => {
                    !members.is_live(&p.epoch.member, now, timeout)
                        || members.released(&p.epoch.member, &source, claimed_us.unwrap_or(0))
                }
            };
            if free {
                free_now.push(pid);
            }
        }
        self.take(&free_now);
        if free_now.iter().any(|p| self.owned.contains_key(p)) {
            // Peers see the new owner at once, not at its next periodic heartbeat.
            self.heartbeat(false);
        }
    }

    /// Writes `pid`'s pending delta.
    fn flush(&mut self, pid: PartitionId) {
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

    /// Partitions whose claim a newer fence took over (this member was a zombie), or whose
    /// delta was not written: released; claimed again when the write failed.
    fn check_ownership(&mut self) {
        let failed = self.writer.failed();
        let mut lost = Vec::new();
        {
            let fold = self.shared.fold();
            for (pid, o) in &self.owned {
                if fold.positions.get(*pid).is_none_or(|p| p.epoch != o.epoch) {
                    lost.push(*pid);
                }
            }
        }
        for pid in lost {
            warn!(partition = %pid, "a newer claim took the partition over; releasing it");
            bump(&self.shared.stats.taken_over);
            self.release(pid);
        }
        for source in failed {
            bump(&self.shared.stats.write_failures);
            if let Some(pid) = self.shared.partition_id(&source)
                && self.owned.contains_key(&pid)
            {
                self.release(pid);
                self.take(&[pid]);
            }
        }
    }
}

impl ClusterSink {
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
        let name = o.source.to_string();
        if o.builder.events() >= FLUSH_EVENTS {
            self.flush(partition);
        }
        if decided.rejected.len() > 0 {
            let origin = BatchOrigin {
                partition,
                partition_name: &name,
                next_offset: decided.next_offset,
                format: g.format.name(),
                now_us: now,
            };
            decided
                .rejected
                .emit(origin, p.dead_letter.as_ref(), &mut self.warnings);
        }
        self.decisions = decided.decisions;
    }
}

impl super::parallel::Decides for ClusterSink {
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

#[cfg(test)]
mod tests {
    use std::sync::mpsc::channel;

    use super::*;

    #[test]
    fn a_wait_for_an_acknowledgement_ends_with_it_at_its_timeout_or_at_stop() {
        let stop = StopSignal::new();
        let (tx, rx) = channel();
        tx.send(7).unwrap();
        assert_eq!(
            recv_unless_stopped(&rx, Duration::from_secs(3600), &stop),
            Ok(7)
        );
        let waited = Duration::from_millis(250);
        let start = Instant::now();
        assert_eq!(
            recv_unless_stopped(&rx, waited, &stop),
            Err(RecvTimeoutError::Timeout)
        );
        assert!(start.elapsed() >= waited, "the whole timeout, across polls");

        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            tx.send(8).unwrap();
            tx
        });
        assert_eq!(
            recv_unless_stopped(&rx, Duration::from_secs(3600), &stop),
            Ok(8)
        );
        let tx = sender.join().unwrap();

        // Stopped: no waiting out the hour for an acknowledgement that may never come.
        let stopper = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                stop.stop();
            })
        };
        assert_eq!(
            recv_unless_stopped(&rx, Duration::from_secs(3600), &stop),
            Err(RecvTimeoutError::Timeout)
        );
        stopper.join().unwrap();
        drop(tx);
        assert_eq!(
            recv_unless_stopped(&rx, Duration::from_secs(3600), &StopSignal::new()),
            Err(RecvTimeoutError::Disconnected)
        );
    }
}

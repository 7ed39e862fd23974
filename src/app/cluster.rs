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
//! This module holds the member ([`start`], [`Member`]) and the reader's state
//! ([`ClusterSink`]); `fold_target` is the pipeline as the fold applies records to it,
//! `ownership` the claims, releases and balance, `sink` the lines read into deltas.
//!
//! [`assign`]: crate::cluster::assign::assign
//! [`Sink`]: crate::source::Sink
//! [`Sink::assignment`]: crate::source::Sink::assignment
//! [`Shard::apply`]: crate::window::Shard::apply

mod fold_target;
mod ownership;
mod sink;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tracing::{info, warn};

use super::batch::Decider;
use super::rejections::WarningLimiter;
use super::{Generation, Pipeline};
use crate::cluster::delta::DeltaBuilder;
use crate::cluster::fold::Epoch;
use crate::cluster::fold::Positions;
use crate::cluster::follow;
use crate::cluster::log::{LogWriter, ensure_topics, follower};
use crate::cluster::record::Source;
use crate::cluster::shared::FoldTarget;
use crate::cluster::shared::Shared;
use crate::cluster::snapshot;
use crate::source::PartitionId;
use crate::source::StopSignal;
use crate::source::kafka::KafkaSpec;
use crate::source::kafka::StartFrom;
use crate::window::{Shard, ShardStats};
use anyhow::Context;
use fold_target::names_of;

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
}

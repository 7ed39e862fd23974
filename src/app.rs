//! Wiring: builds the stages from a [`Config`] and runs them.
//!
//! [`Pipeline`] holds what every stage shares: the current [`Generation`] (built from the
//! [`ReloadConfig`](crate::config::ReloadConfig): decoder settings, classifier, objectives,
//! store, what a [reload](Pipeline::reload) can change), the
//! [`StartConfig`] it started with, and the clock. A source thread
//! pushes batches into a [`PipelineSink`], which decides each batch off the locks (every
//! line through the one ingest call, [`Ingest::read`](crate::decode::ingest::Ingest::read),
//! then its service and SLO verdicts: `batch`) and applies the decisions in order under the
//! partition's shard lock and the counters' lock (one copy for all partitions), both taken
//! once per batch, with one read of the generation per batch; what a batch rejected is
//! counted, logged and dead-lettered once per batch (`rejections`). A Kafka source's batches
//! are decided on a pool of threads (`parallel`). [`run()`] adds the HTTP server,
//! configuration reload and graceful shutdown; [`replay()`] reads files to the end, on every
//! core, and returns the report.

mod alert_minutes;
mod batch;
pub mod cluster;
mod dead_letter;
mod declare;
mod generation;
mod parallel;
mod progress;
mod read;
mod rejections;
mod reload;
mod replay;
mod run;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use anyhow::Context;
use tracing::{info, warn};

use crate::checkpoint::{CheckpointDir, CheckpointStats, Checkpointer};
use crate::clock::Clock;
use crate::config::{Config, SourceConfig, StartConfig};
use crate::evaluate::{Evaluation, evaluate_where};
use crate::source::demo::DemoSource;
use crate::source::file::FileSource;
use crate::source::kafka::KafkaSource;
use crate::source::stdin::StdinSource;
use crate::source::{LineBatch, PartitionId, Sink, Source, SourceTelemetry};
use crate::time::format_rfc3339;
use crate::window::{Activity, Decisions, Shard, lock};

use batch::DecidedBatch;
use batch::Decider;
pub use dead_letter::DeadLetter;
pub use generation::{Changes, Generation};
use parallel::ParallelSink;
use rejections::WarningLimiter;
pub use reload::{ReloadError, ReloadSource, ReloadStats, ReloadSummary};
pub use replay::{PIECE_BYTES, ReplayOptions, read_files, replay};
pub use run::run;

/// Everything the stages share.
#[derive(Debug)]
pub struct Pipeline {
    /// What a reload can change; sinks hold the read side for a whole batch.
    generation: RwLock<Arc<Generation>>,
    /// What a reload cannot change: the start-time settings the process runs with.
    start: StartConfig,
    /// Wall clock.
    pub clock: Arc<dyn Clock>,
    /// True once the source has delivered data or reached the end of its input, and while
    /// it can read.
    pub ready: Arc<AtomicBool>,
    /// Why the pipeline is not ready, for `/readyz`.
    pub not_ready_reason: Mutex<String>,
    /// What the source reports about itself.
    pub source_telemetry: Arc<SourceTelemetry>,
    /// Checkpoint writer, when checkpointing is configured.
    pub checkpointer: Option<Mutex<Checkpointer>>,
    /// Offsets covered by the newest durable checkpoint, per partition: the writer's own
    /// map, read without taking the writer's lock (held through export and fsync), so a
    /// source asking what it may commit never waits on a checkpoint write.
    durable: Option<Arc<Mutex<HashMap<PartitionId, u64>>>>,
    /// Checkpoint counters (all zero without checkpointing).
    pub checkpoint_stats: Arc<CheckpointStats>,
    /// Reload counters and the last reload error.
    pub reload_stats: Arc<ReloadStats>,
    /// Alertmanager push counters (all zero without `spec.alertmanager`).
    pub alertmanager_stats: Arc<crate::notify::alertmanager::NotificationStats>,
    /// Where undecodable lines are appended (`spec.decode.dead_letter`), opened by `open`.
    pub dead_letter: Option<DeadLetter>,
    /// This member's cluster state (`spec.cluster`); `None` for a single instance.
    pub cluster: Option<Arc<crate::cluster::shared::Shared>>,
    /// Whether the alert history is recorded after each batch (see
    /// [`crate::alert_history`]): off for `replay`, which reports no history.
    pub record_alerts: AtomicBool,
}

impl Pipeline {
    /// Builds the stages for `config`.
    pub fn new(config: &Config, clock: Arc<dyn Clock>) -> Arc<Self> {
        let reload_stats = ReloadStats::default();
        reload_stats
            .last_success_us
            .store(clock.now_us(), Ordering::Relaxed);
        Arc::new(Self {
            generation: RwLock::new(Arc::new(Generation::first(&config.reload))),
            start: config.start.clone(),
            clock,
            ready: Arc::new(AtomicBool::new(false)),
            not_ready_reason: Mutex::new("the source has not delivered data yet".to_string()),
            source_telemetry: Arc::default(),
            checkpointer: None,
            durable: None,
            checkpoint_stats: Arc::default(),
            reload_stats: Arc::new(reload_stats),
            alertmanager_stats: Arc::default(),
            dead_letter: None,
            cluster: config.start.cluster.as_ref().map(|c| {
                let topics = match &config.start.source {
                    SourceConfig::Kafka(k) => k.topics.clone(),
                    _ => Vec::new(),
                };
                Arc::new(crate::cluster::shared::Shared::new(
                    c.clone(),
                    topics,
                    config.start.limits(),
                    crate::cluster::fold::Positions::default(),
                    0,
                ))
            }),
            record_alerts: AtomicBool::new(true),
        })
    }

    /// The current generation (a snapshot: a reload installs a new one beside it).
    pub fn generation(&self) -> Arc<Generation> {
        self.read_generation().clone()
    }

    fn read_generation(&self) -> RwLockReadGuard<'_, Arc<Generation>> {
        self.generation.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Builds the stages for `config` and, when it configures checkpoints, restores the newest
    /// valid checkpoint (falling back past unusable ones) and checkpoints from then on.
    pub fn open(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<Self>> {
        let pipeline = Self::new(config, clock);
        let mut pipeline = Arc::into_inner(pipeline).context("a new pipeline is not shared")?;
        if let Some(d) = &config.start.dead_letter {
            let file = dead_letter::DeadLetter::open(d)
                .with_context(|| format!("spec.decode.dead_letter.path {}", d.path.display()))?;
            pipeline.dead_letter = Some(file);
        }
        let Some(c) = &config.start.checkpoint else {
            return Ok(Arc::new(pipeline));
        };
        let dir = CheckpointDir::open(&c.dir)?;
        let checkpointer = Checkpointer::new(dir);
        let g = pipeline.generation();
        checkpointer.restore(&g.store, &g.slo_ids, &g.services)?;
        let declared = !g.store.declared().is_empty();
        pipeline.checkpoint_stats = checkpointer.stats.clone();
        pipeline.durable = Some(checkpointer.durable.clone());
        pipeline.checkpointer = Some(Mutex::new(checkpointer));
        if declared {
            // The restored adjustments declared through the API, into the counters.
            drop(g);
            pipeline.reinstall();
        }
        Ok(Arc::new(pipeline))
    }

    /// Writes a checkpoint now, if checkpointing is configured.
    pub fn checkpoint(&self) {
        if let Some(c) = &self.checkpointer {
            let mut c = c.lock().unwrap_or_else(|e| e.into_inner());
            // The store and its names from one generation: a checkpoint racing a reload
            // saves the old generation's state, which is consistent with its offsets.
            let g = self.generation();
            if let Err(e) = c.checkpoint(&g.store, &g.slo_ids, &g.services, self.clock.now_us()) {
                warn!(error = %e, "checkpoint failed; will retry");
            }
        }
    }

    /// A sink that applies batches to this pipeline's shards.
    pub fn sink(self: &Arc<Self>) -> PipelineSink {
        let g = self.generation();
        PipelineSink {
            pipeline: self.clone(),
            generation: g.number,
            scratch: Vec::new(),
            decisions: Decisions::new(),
            decider: None,
            shards: HashMap::new(),
            warnings: WarningLimiter::default(),
        }
    }

    /// Evaluates every SLO of the current generation now.
    pub fn evaluate(&self) -> Evaluation {
        self.evaluate_in(&self.generation())
    }

    /// Evaluates every SLO of generation `g` now (pair it with `g`'s objectives).
    pub fn evaluate_in(&self, g: &Generation) -> Evaluation {
        self.evaluate_where(g, |_, _| true)
    }

    /// Evaluates only SLO `slo` of service (or sub-service) `service`, now: the report has it
    /// alone, or nothing when there is no such SLO.
    pub fn evaluate_one(&self, service: &str, slo: &str) -> Evaluation {
        self.evaluate_where(&self.generation(), |s, o| s == service && o == slo)
    }

    fn evaluate_where(&self, g: &Generation, keep: impl Fn(&str, &str) -> bool) -> Evaluation {
        let mut e = evaluate_where(&g.objectives, &g.store, self.clock.now_us(), keep);
        for (report, &i) in e.report.slos.iter_mut().zip(&e.configured) {
            report.valid_since = g
                .valid_since_us
                .get(i)
                .copied()
                .flatten()
                .map(format_rfc3339);
        }
        if let Some(scope) = g.attribution_scope() {
            crate::evaluate::contributors::annotate(
                scope,
                &g.store,
                &mut e.report,
                (&g.objectives, &e.configured),
                e.evaluated_at_us,
            );
        }
        e
    }
}

/// Applies batches from one source thread; one per source.
#[derive(Debug)]
pub struct PipelineSink {
    pipeline: Arc<Pipeline>,
    /// The generation `shards` belong to.
    generation: u64,
    /// Reused buffer for lines unescaped out of an envelope.
    scratch: Vec<u8>,
    /// Reused buffer for a batch's decisions.
    decisions: Decisions,
    /// Length cap, envelope, decoder and classifier of `generation` (built when first
    /// needed).
    decider: Option<Arc<Decider>>,
    shards: HashMap<PartitionId, Arc<Mutex<Shard>>>,
    warnings: WarningLimiter,
}

impl PipelineSink {
    /// Follows a reload: the new generation's decoder and the shards of its store.
    fn follow(&mut self, g: &Generation) {
        if g.number == self.generation {
            return;
        }
        for (partition, shard) in &mut self.shards {
            let name = lock(shard).name().to_string();
            *shard = g.store.shard(*partition, &name);
        }
        self.generation = g.number;
    }
}

impl PipelineSink {
    /// The shard of `partition` in generation `g` (this sink's, or a new one).
    fn shard_of(&mut self, g: &Generation, partition: PartitionId) -> Arc<Mutex<Shard>> {
        self.shards
            .entry(partition)
            .or_insert_with(|| g.store.shard(partition, &partition.to_string()))
            .clone()
    }

    /// Applies a batch decided elsewhere (a parallel replay's worker) with the current
    /// generation, which must be the one it was decided with: nothing reloads a replay.
    /// Gives back the batch's decisions buffer, for a worker to decide into again.
    fn apply_replayed(&mut self, partition: PartitionId, decided: DecidedBatch<'_>) -> Decisions {
        let pipeline = self.pipeline.clone();
        let g = pipeline.read_generation();
        self.follow(&g);
        let shard = self.shard_of(&g, partition);
        self.apply_decided_in(&g, partition, &shard, decided);
        std::mem::take(&mut self.decisions)
    }

    /// Applies `decided` (decided with generation `g`) to `shard`, the shard of
    /// `partition`, and the counters, then emits its rejections.
    fn apply_decided_in(
        &mut self,
        g: &Generation,
        partition: PartitionId,
        shard: &Mutex<Shard>,
        decided: DecidedBatch<'_>,
    ) {
        let p = &*self.pipeline;
        let now = p.clock.now_us();
        let plan = g.store.plan();
        let (newest, name) = {
            let mut shard = lock(shard);
            shard.activity = Activity {
                assigned: true,
                at_end: false,
                last_delivery_us: Some(now),
            };
            // After the shard: a checkpoint that holds every shard sees whole batches only.
            let mut counters = g.store.counters();
            decided.apply(
                &mut shard,
                &mut *counters,
                &g.classifier,
                plan,
                now.saturating_add(plan.window.max_future_us),
            );
            // The name is needed (and copied) only for a batch that rejected something.
            let name = (decided.rejected.len() > 0).then(|| shard.name().to_string());
            (shard.newest_us(), name)
        };
        if let Some(t) = newest {
            g.store.observe_newest(t);
        }
        if p.record_alerts.load(Ordering::Relaxed) {
            alert_minutes::advance(&g.objectives, &g.store, now);
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

impl parallel::Decides for PipelineSink {
    fn decider(&mut self) -> Arc<Decider> {
        let pipeline = self.pipeline.clone();
        let g = pipeline.read_generation();
        self.follow(&g);
        Decider::of(&mut self.decider, &g, &pipeline)
    }

    fn apply_decided(
        &mut self,
        partition: PartitionId,
        batch: &LineBatch,
        decided: DecidedBatch<'static>,
        generation: u64,
    ) {
        let pipeline = self.pipeline.clone();
        let g = pipeline.read_generation();
        if g.number != generation {
            drop(g);
            return Sink::apply(self, partition, batch);
        }
        self.follow(&g);
        let shard = self.shard_of(&g, partition);
        self.apply_decided_in(&g, partition, &shard, decided);
    }
}

impl Sink for PipelineSink {
    fn assign(&mut self, partition: PartitionId, name: &str) {
        info!(partition = name, "partition assigned");
        let pipeline = self.pipeline.clone();
        let g = pipeline.read_generation();
        self.follow(&g);
        let shard = g.store.shard(partition, name);
        lock(&shard).activity = Activity {
            assigned: true,
            at_end: false,
            last_delivery_us: Some(self.pipeline.clock.now_us()),
        };
        self.shards.insert(partition, shard);
    }

    fn apply(&mut self, partition: PartitionId, batch: &LineBatch) {
        let pipeline = self.pipeline.clone();
        let p = &*pipeline;
        // Held for the whole batch: a reload waits for it, so no batch is half-applied and
        // its decisions are applied with the configuration they were decided with.
        let g = p.read_generation();
        self.follow(&g);
        let shard = self.shard_of(&g, partition);
        // Decided off the locks (this thread alone reads the partition, so the format state
        // it starts from is the shard's; a checkpoint meanwhile still sees the shard whole).
        let mut state = lock(&shard).format_state.clone();
        let decider = Decider::of(&mut self.decider, &g, p);
        let decisions = std::mem::take(&mut self.decisions);
        let decided = decider.decide(batch, &mut self.scratch, &mut state, decisions);
        self.apply_decided_in(&g, partition, &shard, decided);
    }

    fn revoke(&mut self, partition: PartitionId) {
        info!(%partition, "partition revoked");
        let pipeline = self.pipeline.clone();
        let g = pipeline.read_generation();
        self.follow(&g);
        if let Some(shard) = self.shards.remove(&partition) {
            lock(&shard).activity.assigned = false;
        }
    }

    fn end_of_partition(&mut self, partition: PartitionId) {
        let pipeline = self.pipeline.clone();
        let g = pipeline.read_generation();
        self.follow(&g);
        if let Some(shard) = self.shards.get(&partition) {
            lock(shard).activity.at_end = true;
        }
    }

    fn caught_up(&mut self) {
        if !self.pipeline.ready.swap(true, Ordering::SeqCst) {
            info!("source caught up; ready");
        }
    }

    fn position(&self, partition: PartitionId) -> Option<u64> {
        let shard = self.pipeline.generation().store.get(partition)?;
        let offset = lock(&shard).next_offset;
        Some(offset)
    }

    fn committable(&self, partition: PartitionId) -> Option<u64> {
        match &self.pipeline.durable {
            Some(durable) => durable
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&partition)
                .copied(),
            None => self.position(partition),
        }
    }

    fn unavailable(&mut self, reason: &str) {
        *self
            .pipeline
            .not_ready_reason
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = reason.to_string();
        if self.pipeline.ready.swap(false, Ordering::SeqCst) {
            warn!(reason, "source unavailable; not ready");
        }
    }
}

/// Builds the configured source, reporting into `pipeline`'s telemetry.
pub fn build_source(config: &StartConfig, pipeline: &Pipeline) -> Box<dyn Source> {
    let clock = pipeline.clock.clone();
    match &config.source {
        SourceConfig::Kafka(spec) => Box::new(KafkaSource::new(
            spec.clone(),
            pipeline.source_telemetry.clone(),
        )),
        SourceConfig::File(spec) => {
            Box::new(FileSource::new(spec.clone()).with_max_line_bytes(config.max_payload_bytes()))
        }
        SourceConfig::Stdin => {
            Box::new(StdinSource::with_max_line_bytes(config.max_payload_bytes()))
        }
        SourceConfig::Demo(spec) => Box::new(DemoSource::new(spec.clone(), clock)),
    }
}

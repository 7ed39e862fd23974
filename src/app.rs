//! Wiring: builds the stages from a [`Config`] and runs them.
//!
//! [`Pipeline`] holds what every stage shares (classifier, store, clock). A source thread
//! pushes batches into a [`PipelineSink`], which decodes, classifies and applies them to the
//! partition's shard under one lock per batch. [`run`] adds the HTTP server and graceful
//! shutdown; [`replay`] reads files to the end and returns the report.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use tracing::{info, warn};

use crate::checkpoint::{CheckpointDir, CheckpointStats, Checkpointer};
use crate::classify::Classifier;
use crate::clock::Clock;
use crate::config::{Config, SourceConfig};
use crate::decode::envelope::Envelope;
use crate::decode::json::JsonMapping;
use crate::decode::{Decoder, Format};
use crate::evaluate::{Evaluation, SloObjective, evaluate};
use crate::source::demo::DemoSource;
use crate::source::file::{FileSource, FileSpec};
use crate::source::kafka::KafkaSource;
use crate::source::stdin::StdinSource;
use crate::source::{LineBatch, PartitionId, Sink, Source, SourceTelemetry, StopSignal};
use crate::time::SECOND;
use crate::window::{Activity, Plan, Shard, Store, lock};

/// Everything the stages share.
#[derive(Debug)]
pub struct Pipeline {
    /// Decoding format.
    pub format: Format,
    /// Shipper envelope around each line.
    pub envelope: Envelope,
    /// Key mapping of the generic `json` format.
    pub json: Option<JsonMapping>,
    /// Services and SLO rules.
    pub classifier: Arc<Classifier>,
    /// SLO objectives, by SLO index.
    pub objectives: Arc<Vec<SloObjective>>,
    /// Window state.
    pub store: Arc<Store>,
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
    /// Checkpoint counters (all zero without checkpointing).
    pub checkpoint_stats: Arc<CheckpointStats>,
}

impl Pipeline {
    /// Builds the stages for `config`.
    pub fn new(config: &Config, clock: Arc<dyn Clock>) -> Arc<Self> {
        let windows: Vec<_> = config.objectives.iter().map(|o| o.retention()).collect();
        let plan = Plan::new(&windows, config.services.len(), config.window);
        Arc::new(Self {
            format: config.format,
            envelope: config.envelope,
            json: config.json.clone(),
            classifier: Arc::new(Classifier::new(
                config.services.clone(),
                config.rules.clone(),
            )),
            objectives: Arc::new(config.objectives.clone()),
            store: Arc::new(Store::new(Arc::new(plan))),
            clock,
            ready: Arc::new(AtomicBool::new(false)),
            not_ready_reason: Mutex::new("the source has not delivered data yet".to_string()),
            source_telemetry: Arc::default(),
            checkpointer: None,
            checkpoint_stats: Arc::default(),
        })
    }

    /// Builds the stages for `config` and, when it configures checkpoints, restores the newest
    /// valid checkpoint (falling back past unusable ones) and checkpoints from then on.
    pub fn open(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<Self>> {
        let pipeline = Self::new(config, clock);
        let Some(c) = &config.checkpoint else {
            return Ok(pipeline);
        };
        let mut pipeline = Arc::into_inner(pipeline).context("a new pipeline is not shared")?;
        let dir = CheckpointDir::open(&c.dir)?;
        let slo_ids = config.objectives.iter().map(|o| o.id()).collect();
        let services = config.services.iter().map(|s| s.name.clone()).collect();
        let checkpointer = Checkpointer::new(dir, slo_ids, services);
        checkpointer.restore(&pipeline.store)?;
        pipeline.checkpoint_stats = checkpointer.stats.clone();
        pipeline.checkpointer = Some(Mutex::new(checkpointer));
        Ok(Arc::new(pipeline))
    }

    /// Writes a checkpoint now, if checkpointing is configured.
    pub fn checkpoint(&self) {
        if let Some(c) = &self.checkpointer {
            let mut c = c.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(e) = c.checkpoint(&self.store, self.clock.now_us()) {
                warn!(error = %e, "checkpoint failed; will retry");
            }
        }
    }

    /// A sink that applies batches to this pipeline's shards.
    pub fn sink(self: &Arc<Self>) -> PipelineSink {
        PipelineSink {
            pipeline: self.clone(),
            decoder: self.format.decoder(self.json.as_ref()),
            scratch: String::new(),
            shards: HashMap::new(),
            last_warning_us: i64::MIN,
            suppressed: 0,
        }
    }

    /// Evaluates every SLO now.
    pub fn evaluate(&self) -> Evaluation {
        evaluate(&self.objectives, &self.store, self.clock.now_us())
    }
}

/// Applies batches from one source thread; one per source.
#[derive(Debug)]
pub struct PipelineSink {
    pipeline: Arc<Pipeline>,
    decoder: Box<dyn Decoder>,
    /// Reused buffer for lines unescaped out of an envelope.
    scratch: String,
    shards: HashMap<PartitionId, Arc<Mutex<Shard>>>,
    last_warning_us: i64,
    suppressed: u64,
}

/// At most one undecodable-line warning per partition sink per this interval.
const WARNING_INTERVAL_US: i64 = 10 * SECOND;

impl Sink for PipelineSink {
    fn assign(&mut self, partition: PartitionId, name: &str) {
        info!(partition = name, "partition assigned");
        let shard = self.pipeline.store.shard(partition, name);
        lock(&shard).activity = Activity {
            assigned: true,
            at_end: false,
            last_delivery_us: Some(self.pipeline.clock.now_us()),
        };
        self.shards.insert(partition, shard);
    }

    fn apply(&mut self, partition: PartitionId, batch: &LineBatch) {
        let p = &*self.pipeline;
        let shard = match self.shards.get(&partition) {
            Some(s) => s.clone(),
            None => {
                let s = p.store.shard(partition, &partition.to_string());
                self.shards.insert(partition, s.clone());
                s
            }
        };
        let now = p.clock.now_us();
        let latest_allowed = now.saturating_add(p.store.plan().window.max_future_us);
        let plan = p.store.plan();
        let mut first_error = None;
        let newest = {
            let mut shard = lock(&shard);
            shard.activity = Activity {
                assigned: true,
                at_end: false,
                last_delivery_us: Some(now),
            };
            for payload in batch.lines() {
                let decoded = p
                    .envelope
                    .open(payload, &mut self.scratch)
                    .and_then(|line| self.decoder.decode(line));
                match decoded {
                    Ok(event) => shard.apply(&event, &p.classifier, latest_allowed, plan),
                    Err(e) => {
                        shard.reject(e);
                        if first_error.is_none() {
                            first_error = Some((
                                e,
                                String::from_utf8_lossy(&payload[..payload.len().min(200)])
                                    .into_owned(),
                            ));
                        } else {
                            self.suppressed += 1;
                        }
                    }
                }
            }
            shard.stats.lines += batch.len() as u64;
            shard.stats.bytes += batch.bytes() as u64;
            shard.next_offset = batch.next_offset;
            shard.newest_us()
        };
        if let Some(t) = newest {
            p.store.observe_newest(t);
        }
        if let Some((reason, line)) = first_error {
            if now.saturating_sub(self.last_warning_us) >= WARNING_INTERVAL_US {
                warn!(%partition, format = p.format.name(), %reason, suppressed = self.suppressed, line, "skipping undecodable line");
                self.last_warning_us = now;
                self.suppressed = 0;
            } else {
                self.suppressed += 1;
            }
        }
    }

    fn revoke(&mut self, partition: PartitionId) {
        info!(%partition, "partition revoked");
        if let Some(shard) = self.shards.remove(&partition) {
            lock(&shard).activity.assigned = false;
        }
    }

    fn end_of_partition(&mut self, partition: PartitionId) {
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
        let shard = self.pipeline.store.get(partition)?;
        let offset = lock(&shard).next_offset;
        Some(offset)
    }

    fn committable(&self, partition: PartitionId) -> Option<u64> {
        match &self.pipeline.checkpointer {
            Some(c) => {
                let durable = c.lock().unwrap_or_else(|e| e.into_inner()).durable.clone();
                durable
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&partition)
                    .copied()
            }
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
pub fn build_source(config: &Config, pipeline: &Pipeline) -> Box<dyn Source> {
    let clock = pipeline.clock.clone();
    match &config.source {
        SourceConfig::Kafka(spec) => Box::new(KafkaSource::new(
            spec.clone(),
            pipeline.source_telemetry.clone(),
        )),
        SourceConfig::File(spec) => Box::new(FileSource::new(spec.clone())),
        SourceConfig::Stdin => Box::new(StdinSource),
        SourceConfig::Demo(spec) => Box::new(DemoSource::new(spec.clone(), clock)),
    }
}

/// Reads `paths` (or, if empty, the configured file source) to the end and evaluates.
pub fn replay(
    config: &Config,
    paths: &[std::path::PathBuf],
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Evaluation> {
    let spec = if paths.is_empty() {
        match &config.source {
            SourceConfig::File(f) => FileSpec {
                paths: f.paths.clone(),
                follow: false,
            },
            _ => anyhow::bail!(
                "replay needs log files: name them on the command line or configure a file source"
            ),
        }
    } else {
        FileSpec {
            paths: paths.to_vec(),
            follow: false,
        }
    };
    let pipeline = Pipeline::new(config, clock);
    let mut sink = pipeline.sink();
    Box::new(FileSource::new(spec))
        .run(&mut sink, &StopSignal::new())
        .context("reading log files")?;
    Ok(pipeline.evaluate())
}

/// Runs the service: the source on its own thread, the HTTP API on `config.listen`, until
/// Ctrl-C or SIGTERM.
pub async fn run(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    let pipeline = Pipeline::open(&config, clock.clone())?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    info!(address = %listener.local_addr()?, pipeline = config.name, slos = config.objectives.len(), "serving");
    let stop = StopSignal::new();
    let source = build_source(&config, &pipeline);
    let mut sink = pipeline.sink();
    let source_stop = stop.clone();
    let (failed_tx, failed_rx) = tokio::sync::oneshot::channel::<String>();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("source".into())
        .spawn(move || {
            match source.run(&mut sink, &source_stop) {
                Ok(()) => info!("source finished; still serving"),
                Err(e) => {
                    let _ = failed_tx.send(e.to_string());
                }
            }
            let _ = done_tx.send(());
        })
        .context("cannot start the source thread")?;
    let (source_error_tx, source_error_rx) = tokio::sync::oneshot::channel::<String>();
    let stopped_by_source = async move {
        if let Ok(e) = failed_rx.await {
            let _ = source_error_tx.send(e);
        } else {
            std::future::pending::<()>().await;
        }
    };
    let checkpoints = config.checkpoint.as_ref().map(|c| {
        let pipeline = pipeline.clone();
        let stop = stop.clone();
        let interval = std::time::Duration::from_micros(c.interval_us as u64);
        std::thread::Builder::new()
            .name("checkpoint".into())
            .spawn(move || {
                let mut last = std::time::Instant::now();
                while !stop.is_stopped() {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                    if last.elapsed() >= interval {
                        pipeline.checkpoint();
                        last = std::time::Instant::now();
                    }
                }
            })
    });
    let router = crate::serve::router(pipeline.clone());
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            tokio::select! {
                () = shutdown_signal() => {},
                () = stopped_by_source => {},
            }
        })
        .await
        .context("http server")?;
    info!("shutting down");
    stop.stop();
    // A source blocked on a read (stdin) cannot see the stop signal; do not wait forever.
    if done_rx
        .recv_timeout(std::time::Duration::from_secs(5))
        .is_err()
    {
        warn!("source did not stop within 5 s; exiting without it");
    }
    if let Some(Ok(thread)) = checkpoints {
        let _ = thread.join();
        // Everything applied is now in the final checkpoint: nothing to replay on restart.
        pipeline.checkpoint();
        info!("final checkpoint written");
    }
    if let Ok(e) = source_error_rx.await {
        anyhow::bail!("source failed: {e}");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

//! Kafka source: a consumer group member that reads access-log lines from topics.
//!
//! One [`rdkafka`] `BaseConsumer` is polled on the source's own thread. Each assigned
//! partition is one [`PartitionId`](super::PartitionId) (stream = the topic's index in
//! `topics`), so the sink keeps one shard per partition. Messages are gathered per partition
//! into [`LineBatch`](super::LineBatch)es and applied synchronously: the consumer does not
//! fetch ahead of what librdkafka's own bounded queue holds, so a slow pipeline slows the
//! consumer instead of growing memory.
//!
//! Offsets: auto-commit and auto-store are off. After a batch is applied, the partition's
//! *next* offset (last applied offset + 1, Kafka's convention: a committed offset is the first
//! message not yet processed) is recorded and committed (synchronously, on the polling
//! thread) at most every [`COMMIT_INTERVAL`]. When partitions are revoked, the rebalance
//! callback commits their applied offsets synchronously before they are handed over, and
//! messages that were fetched but not applied are discarded — the next owner reads them again
//! from the committed offset. So across a rebalance no message is counted twice and none is
//! lost. (Tying commits to durable checkpoints is the sink's hook: [`KafkaSource`] commits
//! what [`Sink::committable`] gives: what a durable checkpoint covers when checkpointing,
//! else what was applied.)
//!
//! Readiness: the sink is told `caught_up` once partitions are assigned and the first fetch
//! returned (a message or end of partition), and `unavailable` while every broker is down;
//! librdkafka reconnects by itself and the next message makes the source ready again.

mod consuming;
mod context;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use tracing::info;

use super::{Sink, Source, SourceError, SourceTelemetry, StopSignal};
use consuming::{Consuming, Health};
use context::Context;

/// How often applied offsets are committed while consuming.
pub const COMMIT_INTERVAL: Duration = Duration::from_secs(1);

/// Where a group with no committed offset starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartFrom {
    /// The oldest retained message.
    Earliest,
    /// Only messages produced after joining.
    Latest,
}

/// The Kafka source's settings.
#[derive(Clone, PartialEq)]
pub struct KafkaSpec {
    /// Bootstrap brokers, `host:port`.
    pub brokers: Vec<String>,
    /// Topics to consume.
    pub topics: Vec<String>,
    /// Consumer group.
    pub group_id: String,
    /// Start position for a group without committed offsets.
    pub start_from: StartFrom,
    /// librdkafka properties, applied last (they override the defaults below). Values may
    /// hold secrets: they are never logged or printed.
    pub options: BTreeMap<String, String>,
}

impl fmt::Debug for KafkaSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaSpec")
            .field("brokers", &self.brokers)
            .field("topics", &self.topics)
            .field("group_id", &self.group_id)
            .field("start_from", &self.start_from)
            .field("options", &self.options.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// librdkafka defaults slipstream sets before the user's `options`.
pub const DEFAULT_OPTIONS: [(&str, &str); 8] = [
    ("enable.auto.commit", "false"),
    ("enable.auto.offset.store", "false"),
    ("enable.partition.eof", "true"),
    // Keep fetching instead of pausing a second when the local queue fills (FORMATS.md).
    ("fetch.queue.backoff.ms", "10"),
    // Brokers such as tansu hold every fetch for the full wait: keep it short.
    ("fetch.wait.max.ms", "50"),
    ("statistics.interval.ms", "1000"),
    ("session.timeout.ms", "10000"),
    ("heartbeat.interval.ms", "1000"),
];

impl KafkaSpec {
    /// The librdkafka configuration: required settings, defaults, then `options`.
    pub fn client_config(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", self.brokers.join(","));
        c.set("group.id", &self.group_id);
        c.set(
            "auto.offset.reset",
            match self.start_from {
                StartFrom::Earliest => "earliest",
                StartFrom::Latest => "latest",
            },
        );
        for (k, v) in DEFAULT_OPTIONS {
            c.set(k, v);
        }
        for (k, v) in &self.options {
            c.set(k, v);
        }
        c
    }
}

/// Reads the configured topics as a member of the consumer group.
#[derive(Debug)]
pub struct KafkaSource {
    spec: KafkaSpec,
    telemetry: Arc<SourceTelemetry>,
}

impl KafkaSource {
    /// A source for `spec` that reports into `telemetry`.
    pub fn new(spec: KafkaSpec, telemetry: Arc<SourceTelemetry>) -> Self {
        Self { spec, telemetry }
    }

    /// Creates the consumer and, unless the sink assigns partitions (returned as the flag),
    /// subscribes it to the topics.
    fn start_consumer(
        &self,
        sink: &dyn Sink,
    ) -> Result<(BaseConsumer<Context>, bool), SourceError> {
        let context = Context {
            applied: Arc::default(),
            changes: Mutex::default(),
            brokers_down: AtomicBool::new(false),
            telemetry: self.telemetry.clone(),
        };
        let consumer: BaseConsumer<Context> = self
            .spec
            .client_config()
            .create_with_context(context)
            .map_err(|e| SourceError::Kafka(format!("cannot create the consumer: {e}")))?;
        let topics: Vec<&str> = self.spec.topics.iter().map(String::as_str).collect();
        let sink_assigns = sink.assigns_partitions();
        if !sink_assigns {
            consumer
                .subscribe(&topics)
                .map_err(|e| SourceError::Kafka(format!("cannot subscribe to {topics:?}: {e}")))?;
        }
        info!(brokers = %self.spec.brokers.join(","), topics = ?topics, group = %self.spec.group_id, "kafka consumer started");
        Ok((consumer, sink_assigns))
    }
}

impl Source for KafkaSource {
    fn run(self: Box<Self>, sink: &mut dyn Sink, stop: &StopSignal) -> Result<(), SourceError> {
        let (consumer, sink_assigns) = self.start_consumer(sink)?;
        let mut c = Consuming::new(&self.spec.topics, consumer);
        let mut health = Health::new();
        while !stop.is_stopped() {
            c.poll(sink);
            c.handle_changes(sink);
            sink.tick();
            if sink_assigns {
                c.follow_sink(sink);
            }
            health.check(&mut c, sink);
            if c.last_commit.elapsed() >= COMMIT_INTERVAL {
                c.commit(sink);
            }
        }
        c.flush_all(sink);
        c.commit(sink);
        info!("kafka consumer stopped");
        Ok(())
    }
}

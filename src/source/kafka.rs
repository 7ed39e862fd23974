//! Kafka source: a consumer group member that reads access-log lines from topics.
//!
//! One [`rdkafka`] `BaseConsumer` is polled on the source's own thread. Each assigned
//! partition is one [`PartitionId`] (stream = the topic's index in `topics`), so the sink keeps
//! one shard per partition. Messages are gathered per partition into [`LineBatch`]es and
//! applied synchronously: the consumer does not fetch ahead of what librdkafka's own bounded
//! queue holds, so a slow pipeline slows the consumer instead of growing memory.
//!
//! Offsets: auto-commit and auto-store are off. After a batch is applied, the partition's
//! *next* offset (last applied offset + 1, Kafka's convention: a committed offset is the first
//! message not yet processed) is recorded and committed (synchronously, on the polling thread) at most every
//! [`COMMIT_INTERVAL`]. When partitions are revoked, the rebalance callback commits their
//! applied offsets synchronously before they are handed over, and messages that were fetched
//! but not applied are discarded — the next owner reads them again from the committed offset.
//! So across a rebalance no message is counted twice and none is lost. (Tying commits to
//! durable checkpoints is the checkpoint stage's hook: [`KafkaSource`] commits what
//! `commit_gate` allows, today everything applied.)
//!
//! Readiness: the sink is told `caught_up` once partitions are assigned and the first fetch
//! returned (a message or end of partition), and `unavailable` while every broker is down;
//! librdkafka reconnects by itself and the next message makes the source ready again.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use tracing::{debug, error, info, warn};

use super::{
    BATCH_LINES, LineBatch, PartitionId, Sink, Source, SourceError, SourceTelemetry, StopSignal,
};

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

/// Offsets applied per (topic, partition): the next offset to read.
type Applied = Arc<Mutex<HashMap<(String, i32), i64>>>;

/// Rebalance events the callback hands to the polling loop.
#[derive(Debug)]
enum Change {
    Assigned(Vec<(String, i32)>),
    Revoked(Vec<(String, i32)>),
}

/// Callbacks librdkafka runs inside `poll`, on the source thread.
struct Context {
    applied: Applied,
    changes: Mutex<Vec<Change>>,
    brokers_down: AtomicBool,
    telemetry: Arc<SourceTelemetry>,
}

fn partitions(list: &TopicPartitionList) -> Vec<(String, i32)> {
    list.elements()
        .iter()
        .map(|e| (e.topic().to_string(), e.partition()))
        .collect()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ClientContext for Context {
    fn stats(&self, statistics: Statistics) {
        let mut lag = lock(&self.telemetry.lag);
        for (topic, t) in &statistics.topics {
            for (partition, p) in &t.partitions {
                if *partition >= 0 && p.consumer_lag >= 0 {
                    lag.insert(format!("{topic}/{partition}"), p.consumer_lag);
                }
            }
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        match error.rdkafka_error_code() {
            // End of partition is progress, not a problem.
            Some(RDKafkaErrorCode::PartitionEOF) => return,
            Some(RDKafkaErrorCode::AllBrokersDown) => {
                self.brokers_down.store(true, Ordering::SeqCst)
            }
            _ => {}
        }
        error!(error = %error, reason, "kafka client error");
    }
}

impl ConsumerContext for Context {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        SourceTelemetry::count(&self.telemetry.rebalances);
        if let Rebalance::Revoke(list) = rebalance {
            let revoked = partitions(list);
            // Hand over exactly what was applied: the next owner starts there.
            let mut commit = TopicPartitionList::new();
            {
                let applied = lock(&self.applied);
                for key in &revoked {
                    if let Some(&next) = applied.get(key) {
                        let _ = commit.add_partition_offset(&key.0, key.1, Offset::Offset(next));
                    }
                }
            }
            let handed_over = commit.count() == 0
                || match consumer.commit(&commit, CommitMode::Sync) {
                    Ok(()) => {
                        SourceTelemetry::count(&self.telemetry.commits);
                        true
                    }
                    Err(e) => {
                        SourceTelemetry::count(&self.telemetry.commit_failures);
                        warn!(error = %e, "commit on revoke failed; keeping the position to resume from");
                        false
                    }
                };
            if handed_over {
                // The group's committed offsets are now authoritative for these partitions.
                let mut applied = lock(&self.applied);
                for key in &revoked {
                    applied.remove(key);
                }
            }
            lock(&self.changes).push(Change::Revoked(revoked));
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => lock(&self.changes).push(Change::Assigned(partitions(list))),
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => warn!(error = %e, "rebalance error"),
        }
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
}

/// The polling loop's state.
struct Consuming<'a> {
    topics: &'a [String],
    consumer: BaseConsumer<Context>,
    pending: HashMap<PartitionId, LineBatch>,
    names: HashMap<PartitionId, String>,
    last_commit: Instant,
    assigned: bool,
    fetched: bool,
    ready: bool,
    /// Last offset committed per partition.
    committed: HashMap<(String, i32), u64>,
    /// Partitions assigned at least once in this process.
    seen: std::collections::HashSet<PartitionId>,
    /// Partitions the sink assigned (when it [assigns partitions](Sink::assigns_partitions)),
    /// and the offset each was last assigned from.
    manual: Option<HashMap<PartitionId, u64>>,
}

impl Consuming<'_> {
    fn pid(&self, topic: &str, partition: i32) -> Option<PartitionId> {
        let stream = self.topics.iter().position(|t| t == topic)?;
        Some(PartitionId::new(stream as u32, partition))
    }

    fn flush(&mut self, pid: PartitionId, sink: &mut dyn Sink) {
        let Some(batch) = self.pending.get_mut(&pid) else {
            return;
        };
        if batch.is_empty() {
            return;
        }
        sink.apply(pid, batch);
        let topic = self.topics[pid.stream as usize].clone();
        lock(&self.consumer.context().applied)
            .insert((topic, pid.partition), batch.next_offset as i64);
        batch.clear();
    }

    fn flush_all(&mut self, sink: &mut dyn Sink) {
        let pids: Vec<PartitionId> = self.pending.keys().copied().collect();
        for pid in pids {
            self.flush(pid, sink);
        }
    }

    /// Commits, for every partition read, the position the sink says may be committed (what
    /// a durable checkpoint covers, or what was applied) when it moved since the last commit.
    /// Synchronous: once a second, one round trip on the polling thread, and the result is
    /// known (and counted) right away.
    fn commit(&mut self, sink: &dyn Sink) {
        let mut list = TopicPartitionList::new();
        let mut moved = Vec::new();
        for key @ (topic, partition) in lock(&self.consumer.context().applied).keys() {
            let committable = self
                .pid(topic, *partition)
                .and_then(|p| sink.committable(p));
            if let Some(next) = committable
                && self.committed.get(key) != Some(&next)
            {
                let _ = list.add_partition_offset(topic, *partition, Offset::Offset(next as i64));
                moved.push((key.clone(), next));
            }
        }
        self.last_commit = Instant::now();
        if list.count() == 0 {
            return;
        }
        debug!(partitions = list.count(), "committing offsets");
        match self.consumer.commit(&list, CommitMode::Sync) {
            Ok(()) => {
                SourceTelemetry::count(&self.consumer.context().telemetry.commits);
                self.committed.extend(moved);
            }
            Err(e) => {
                SourceTelemetry::count(&self.consumer.context().telemetry.commit_failures);
                warn!(error = %e, "offset commit failed; will retry");
            }
        }
    }

    fn handle_changes(&mut self, sink: &mut dyn Sink) {
        let changes = std::mem::take(&mut *lock(&self.consumer.context().changes));
        for change in changes {
            match change {
                Change::Assigned(list) => {
                    self.resume_from_own_positions(&list, sink);
                    for (topic, partition) in list {
                        let Some(pid) = self.pid(&topic, partition) else {
                            continue;
                        };
                        let name = format!("{topic}/{partition}");
                        info!(partition = %name, "assigned");
                        sink.assign(pid, &name);
                        self.names.insert(pid, name);
                        self.assigned = true;
                    }
                }
                Change::Revoked(list) => {
                    for (topic, partition) in list {
                        let Some(pid) = self.pid(&topic, partition) else {
                            continue;
                        };
                        if let Some(b) = self.pending.remove(&pid) {
                            let dropped = b.len() as u64;
                            self.consumer
                                .context()
                                .telemetry
                                .discarded_on_revoke
                                .fetch_add(dropped, Ordering::Relaxed);
                        }
                        lock(&self.consumer.context().telemetry.lag)
                            .remove(&self.names.remove(&pid).unwrap_or_default());
                        self.committed.remove(&(topic, partition));
                        sink.revoke(pid);
                    }
                    self.assigned = false;
                    self.fetched = false;
                }
            }
        }
    }

    /// After an assignment, starts each partition at the position whose events this
    /// instance's state already holds: what it applied before (a commit lost to a broker
    /// outage or a failed handover must not make it re-read), or, the first time it sees the
    /// partition, what a restored checkpoint covers (Kafka's committed offset may be behind
    /// it, never ahead). Partitions without such state start at the committed offset.
    fn resume_from_own_positions(&mut self, list: &[(String, i32)], sink: &dyn Sink) {
        let mut resumed = 0;
        let mut assignment = TopicPartitionList::new();
        {
            let applied = lock(&self.consumer.context().applied);
            for key @ (topic, partition) in list {
                let pid = self.pid(topic, *partition);
                let first_time = pid.is_some_and(|p| self.seen.insert(p));
                let own = applied.get(key).copied().or_else(|| {
                    first_time
                        .then(|| pid.and_then(|p| sink.position(p)))
                        .flatten()
                        .map(|o| o as i64)
                });
                let offset = own.map_or(Offset::Stored, Offset::Offset);
                debug!(topic, partition, ?offset, first_time, "assignment position");
                resumed += usize::from(own.is_some());
                let _ = assignment.add_partition_offset(topic, *partition, offset);
            }
        }
        if resumed == 0 {
            return;
        }
        if let Err(e) = self.consumer.assign(&assignment) {
            warn!(error = %e, "cannot resume partitions at their applied positions");
        } else {
            info!(
                partitions = resumed,
                "resumed partitions where this instance's state ends"
            );
        }
    }

    /// Reads exactly what the sink assigns (a sink that assigns partitions), when it changed:
    /// fetched lines not yet delivered are dropped, and every partition is fetched again
    /// from the offset the sink gives.
    fn follow_sink(&mut self, sink: &mut dyn Sink) {
        let Some(assignment) = sink.assignment() else {
            return;
        };
        self.pending.clear();
        let mut list = TopicPartitionList::new();
        let mut names = HashMap::new();
        let mut manual = HashMap::new();
        for (pid, offset) in assignment {
            let Some(topic) = self.topics.get(pid.stream as usize) else {
                continue;
            };
            let _ = list.add_partition_offset(topic, pid.partition, Offset::Offset(offset as i64));
            names.insert(pid, format!("{topic}/{}", pid.partition));
            manual.insert(pid, offset);
        }
        match self.consumer.assign(&list) {
            Ok(()) => {
                info!(
                    partitions = list.count(),
                    "reading the partitions this member owns"
                );
                let mut lag = lock(&self.consumer.context().telemetry.lag);
                for gone in self.names.keys().filter(|p| !names.contains_key(p)) {
                    lag.remove(&self.names[gone]);
                }
                drop(lag);
                self.names = names;
                self.assigned = !manual.is_empty();
                self.manual = Some(manual);
            }
            Err(e) => warn!(error = %e, "cannot assign the partitions this member owns"),
        }
    }

    /// True when a message of `pid` at `offset` is not to be delivered: with partitions the
    /// sink assigns, one it does not assign (a fetch from before the last assignment).
    fn unwanted(&self, pid: PartitionId) -> bool {
        self.manual.as_ref().is_some_and(|m| !m.contains_key(&pid))
    }

    /// librdkafka names only the partition number of an end of partition: with several
    /// topics, partition N of each is marked; the next message of one that is not at its
    /// end clears the mark (see [`Sink::end_of_partition`]).
    fn end_of_partition(&self, partition: i32, sink: &mut dyn Sink) {
        for stream in 0..self.topics.len() {
            let pid = PartitionId::new(stream as u32, partition);
            if self.names.contains_key(&pid) {
                sink.end_of_partition(pid);
            }
        }
    }

    fn mark_fetched(&mut self, sink: &mut dyn Sink) {
        self.fetched = true;
        let was_down = self
            .consumer
            .context()
            .brokers_down
            .swap(false, Ordering::SeqCst);
        if (was_down || !self.ready) && self.assigned {
            sink.caught_up();
            self.ready = true;
        }
    }
}

impl Source for KafkaSource {
    fn run(self: Box<Self>, sink: &mut dyn Sink, stop: &StopSignal) -> Result<(), SourceError> {
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
        let mut c = Consuming {
            topics: &self.spec.topics,
            consumer,
            pending: HashMap::new(),
            names: HashMap::new(),
            last_commit: Instant::now(),
            assigned: false,
            fetched: false,
            ready: false,
            seen: Default::default(),
            committed: HashMap::new(),
            manual: None,
        };
        let mut waiting_since = Instant::now();
        let mut warned_waiting = false;
        let mut reported_down = false;
        while !stop.is_stopped() {
            match c.consumer.poll(Duration::from_millis(100)) {
                None => c.flush_all(sink),
                Some(Ok(message)) => {
                    if let Some(pid) = c.pid(message.topic(), message.partition())
                        && !c.unwanted(pid)
                    {
                        let batch = c.pending.entry(pid).or_default();
                        batch.push(message.payload().unwrap_or_default());
                        batch.next_offset = (message.offset() + 1) as u64;
                        if batch.len() >= BATCH_LINES {
                            c.flush(pid, sink);
                        }
                    }
                    c.mark_fetched(sink);
                }
                Some(Err(KafkaError::PartitionEOF(partition))) => {
                    c.flush_all(sink);
                    c.end_of_partition(partition, sink);
                    c.mark_fetched(sink);
                }
                Some(Err(e)) => warn!(error = %e, "kafka consume error"),
            }
            c.handle_changes(sink);
            sink.tick();
            if sink_assigns {
                c.follow_sink(sink);
            }
            let down = c.consumer.context().brokers_down.load(Ordering::SeqCst);
            if down && !reported_down {
                c.ready = false;
                reported_down = true;
                sink.unavailable("every Kafka broker is down");
            } else if !down {
                reported_down = false;
            }
            if !c.fetched && !warned_waiting && waiting_since.elapsed() > Duration::from_secs(30) {
                warn!(
                    "no partition assigned or fetched after 30 s; check brokers, topics and group"
                );
                warned_waiting = true;
            }
            if c.fetched {
                waiting_since = Instant::now();
            }
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

//! The polling loop's state, [`Consuming`]: batches gathered per partition and applied,
//! applied offsets committed, assignment changes from the rebalance callback (or from a sink
//! that assigns partitions) followed, and readiness reported to the sink.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use tracing::{debug, info, warn};

use super::context::{Change, Context, lock};
use crate::source::{BATCH_LINES, LineBatch, PartitionId, Sink, SourceTelemetry};

/// The polling loop's state.
pub(super) struct Consuming<'a> {
    topics: &'a [String],
    pub(super) consumer: BaseConsumer<Context>,
    pending: HashMap<PartitionId, LineBatch>,
    names: HashMap<PartitionId, String>,
    pub(super) last_commit: Instant,
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

impl<'a> Consuming<'a> {
    /// The state of a loop that has read nothing yet, for `topics` (stream `i` is
    /// `topics[i]`).
    pub(super) fn new(topics: &'a [String], consumer: BaseConsumer<Context>) -> Self {
        Self {
            topics,
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
        }
    }

    /// Polls the consumer once (waiting at most 100 ms) and handles what it returned: a
    /// message is added to its partition's batch (unless the partition is not one this loop
    /// reads, or no longer wanted), which is applied once full; nothing, or an end of
    /// partition, applies every pending batch.
    pub(super) fn poll(&mut self, sink: &mut dyn Sink) {
        match self.consumer.poll(Duration::from_millis(100)) {
            None => self.flush_all(sink),
            Some(Ok(message)) => {
                if let Some(pid) = self.pid(message.topic(), message.partition())
                    && !self.unwanted(pid)
                {
                    let batch = self.pending.entry(pid).or_default();
                    batch.push(message.payload().unwrap_or_default());
                    batch.next_offset = (message.offset() + 1) as u64;
                    if batch.len() >= BATCH_LINES {
                        self.flush(pid, sink);
                    }
                }
                self.mark_fetched(sink);
            }
            Some(Err(KafkaError::PartitionEOF(partition))) => {
                self.flush_all(sink);
                self.end_of_partition(partition, sink);
                self.mark_fetched(sink);
            }
            Some(Err(e)) => warn!(error = %e, "kafka consume error"),
        }
    }

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

    pub(super) fn flush_all(&mut self, sink: &mut dyn Sink) {
        let pids: Vec<PartitionId> = self.pending.keys().copied().collect();
        for pid in pids {
            self.flush(pid, sink);
        }
    }

    /// Commits, for every partition read, the position the sink says may be committed (what
    /// a durable checkpoint covers, or what was applied) when it moved since the last commit.
    /// Synchronous: once a second, one round trip on the polling thread, and the result is
    /// known (and counted) right away.
    pub(super) fn commit(&mut self, sink: &dyn Sink) {
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

    pub(super) fn handle_changes(&mut self, sink: &mut dyn Sink) {
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
    pub(super) fn follow_sink(&mut self, sink: &mut dyn Sink) {
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

/// What the polling loop watches besides messages: every broker down (reported to the sink
/// once per outage, making the source not ready), and a consumer that has fetched nothing
/// for 30 s (warned about once).
#[derive(Debug)]
pub(super) struct Health {
    waiting_since: Instant,
    warned_waiting: bool,
    reported_down: bool,
}

impl Health {
    pub(super) fn new() -> Self {
        Self {
            waiting_since: Instant::now(),
            warned_waiting: false,
            reported_down: false,
        }
    }

    /// Looks at the brokers and at whether anything was fetched, after one poll.
    pub(super) fn check(&mut self, c: &mut Consuming<'_>, sink: &mut dyn Sink) {
        let down = c.consumer.context().brokers_down.load(Ordering::SeqCst);
        if down && !self.reported_down {
            c.ready = false;
            self.reported_down = true;
            sink.unavailable("every Kafka broker is down");
        } else if !down {
            self.reported_down = false;
        }
        if !c.fetched
            && !self.warned_waiting
            && self.waiting_since.elapsed() > Duration::from_secs(30)
        {
            warn!("no partition assigned or fetched after 30 s; check brokers, topics and group");
            self.warned_waiting = true;
        }
        if c.fetched {
            self.waiting_since = Instant::now();
        }
    }
}

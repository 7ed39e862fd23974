//! The consumer's [`Context`]: the callbacks librdkafka runs inside `poll`, on the source
//! thread. Statistics become the lag telemetry; an all-brokers-down error is flagged for the
//! polling loop; on revoke, the rebalance callback commits the applied offsets of the
//! partitions handed over (synchronously, before the handover) and hands every assignment
//! change to the polling loop as a [`Change`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use tracing::{error, warn};

use crate::source::SourceTelemetry;

/// Offsets applied per (topic, partition): the next offset to read.
pub(super) type Applied = Arc<Mutex<HashMap<(String, i32), i64>>>;

/// Rebalance events the callback hands to the polling loop.
#[derive(Debug)]
pub(super) enum Change {
    Assigned(Vec<(String, i32)>),
    Revoked(Vec<(String, i32)>),
}

/// Callbacks librdkafka runs inside `poll`, on the source thread.
pub(super) struct Context {
    pub(super) applied: Applied,
    pub(super) changes: Mutex<Vec<Change>>,
    pub(super) brokers_down: AtomicBool,
    pub(super) telemetry: Arc<SourceTelemetry>,
}

fn partitions(list: &TopicPartitionList) -> Vec<(String, i32)> {
    list.elements()
        .iter()
        .map(|e| (e.topic().to_string(), e.partition()))
        .collect()
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
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

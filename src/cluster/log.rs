//! The cluster's Kafka side: its topics, the producer every record of this member goes
//! through, and the consumer that follows the log.
//!
//! Every record is written alone in its batch (`batch.num.messages=1`) with one request in
//! flight: tansu answers a fetch that starts inside a record batch from the next batch, and
//! the log is resumed at arbitrary offsets; one request in flight keeps one writer's deltas
//! in order through retries.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{DeliveryResult, Message};
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::record::{Record, Source};
use crate::config::ClusterConfig;
use crate::source::kafka::KafkaSpec;

/// The log topic: fences, deltas and heartbeats.
pub fn log_topic(cluster: &ClusterConfig) -> String {
    format!("{}.log", cluster.name)
}

/// The snapshot topic.
pub fn snapshot_topic(cluster: &ClusterConfig) -> String {
    format!("{}.snapshots", cluster.name)
}

/// How long a metadata or watermark request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The client settings shared with the source: brokers and the user's options (security),
/// without the group membership ones.
pub(super) fn client_config(spec: &KafkaSpec) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", spec.brokers.join(","));
    // A request a paused broker never answers is given up after 10 s, not librdkafka's
    // default 60 s: the cluster's state flows again that much sooner (the user's options
    // below may set it otherwise).
    c.set("socket.timeout.ms", "10000");
    for (k, v) in &spec.options {
        if !matches!(
            k.as_str(),
            "group.instance.id"
                | "session.timeout.ms"
                | "heartbeat.interval.ms"
                | "max.poll.interval.ms"
                | "partition.assignment.strategy"
                | "group.protocol"
                | "group.remote.assignor"
        ) {
            c.set(k, v);
        }
    }
    c
}

/// Replicas of the cluster's topics when `spec.cluster.replication_factor` is not set: as
/// many as the Kafka cluster has brokers, up to this (what Kafka gives its own internal
/// topics).
pub const DEFAULT_REPLICAS: i32 = 3;

/// The replicas to create the cluster's topics with: `configured`, else one per broker of
/// the `brokers`, up to [`DEFAULT_REPLICAS`].
pub fn replicas(configured: Option<i32>, brokers: usize) -> i32 {
    configured.unwrap_or_else(|| {
        i32::try_from(brokers)
            .unwrap_or(i32::MAX)
            .clamp(1, DEFAULT_REPLICAS)
    })
}

/// How many brokers `admin`'s Kafka cluster has (a metadata request, off the runtime);
/// hands `admin` back.
async fn broker_count(
    admin: AdminClient<DefaultClientContext>,
) -> Result<(AdminClient<DefaultClientContext>, usize), String> {
    let (admin, brokers) = tokio::task::spawn_blocking(move || {
        let brokers = admin.inner().fetch_metadata(None, REQUEST_TIMEOUT);
        (admin, brokers.map(|m| m.brokers().len()))
    })
    .await
    .map_err(|e| format!("cannot read the Kafka cluster's brokers: {e}"))?;
    let brokers = brokers.map_err(|e| format!("cannot read the Kafka cluster's brokers: {e}"))?;
    Ok((admin, brokers))
}

/// Creates the cluster's topics (one partition each) when missing, with
/// `spec.cluster.replication_factor` replicas (see [`replicas`]); existing topics stay as
/// they are.
pub async fn ensure_topics(spec: &KafkaSpec, cluster: &ClusterConfig) -> Result<(), String> {
    let admin: AdminClient<DefaultClientContext> = client_config(spec)
        .create()
        .map_err(|e| format!("cannot create a Kafka admin client: {e}"))?;
    let (admin, brokers) = match cluster.replication_factor {
        Some(_) => (admin, 0),
        None => broker_count(admin).await?,
    };
    let replication = replicas(cluster.replication_factor, brokers);
    let names = [log_topic(cluster), snapshot_topic(cluster)];
    let topics: Vec<NewTopic<'_>> = names
        .iter()
        .map(|n| NewTopic::new(n, 1, TopicReplication::Fixed(replication)))
        .collect();
    let results = admin
        .create_topics(
            &topics,
            &AdminOptions::new().operation_timeout(Some(REQUEST_TIMEOUT)),
        )
        .await
        .map_err(|e| format!("cannot create the cluster topics: {e}"))?;
    for r in results {
        match r {
            Ok(topic) => tracing::info!(topic, replication, "created a cluster topic"),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, e)) => {
                return Err(format!(
                    "cannot create topic {topic} with {replication} replicas: {e}"
                ));
            }
        }
    }
    Ok(())
}

/// What to do when a record is delivered or fails.
#[derive(Debug)]
enum Delivery {
    /// A record whose writer waits for its offset (a fence, a snapshot chunk or commit).
    Acked(SyncSender<Result<u64, String>>),
    /// A delta of a raw partition: a failure makes the owner claim it again.
    Delta(Source),
    /// A heartbeat: a failure is retried by the next one.
    Heartbeat,
    /// A record whose failure is only logged (its writer writes it again while needed).
    Logged,
}

/// The producer's callbacks.
struct Deliveries {
    failed: Arc<Mutex<Vec<Source>>>,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = Box<Delivery>;

    fn delivery(&self, result: &DeliveryResult<'_>, what: Box<Delivery>) {
        match (*what, result) {
            (Delivery::Acked(tx), Ok(m)) => {
                let _ = tx.send(Ok(m.offset() as u64));
            }
            (Delivery::Acked(tx), Err((e, _))) => {
                let _ = tx.send(Err(e.to_string()));
            }
            (Delivery::Delta(source), Err((e, _))) => {
                tracing::warn!(partition = %source, error = %e, "a delta was not written; claiming the partition again");
                self.failed
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(source);
            }
            (Delivery::Heartbeat, Err((e, _))) => {
                tracing::debug!(error = %e, "a heartbeat was not written");
            }
            (Delivery::Logged, Err((e, _))) => {
                tracing::warn!(error = %e, "a cluster log record was not written");
            }
            (_, Ok(_)) => {}
        }
    }
}

/// This member's writer of log records.
pub struct LogWriter {
    producer: ThreadedProducer<Deliveries>,
    topic: String,
    failed: Arc<Mutex<Vec<Source>>>,
}

impl std::fmt::Debug for LogWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogWriter")
            .field("topic", &self.topic)
            .finish()
    }
}

impl LogWriter {
    /// A writer to `cluster`'s log through the brokers of `spec`.
    pub fn new(spec: &KafkaSpec, cluster: &ClusterConfig) -> Result<Self, String> {
        let failed = Arc::default();
        let producer = client_config(spec)
            .set("batch.num.messages", "1")
            .set("max.in.flight.requests.per.connection", "1")
            .set("linger.ms", "0")
            .set("message.timeout.ms", "30000")
            .set("message.max.bytes", "2000000")
            .create_with_context(Deliveries {
                failed: Arc::clone(&failed),
            })
            .map_err(|e| format!("cannot create the cluster producer: {e}"))?;
        Ok(Self {
            producer,
            topic: log_topic(cluster),
            failed,
        })
    }

    fn send(&self, record: &Record, what: Delivery) -> Result<(), String> {
        self.send_bytes(&self.topic, &record.encode(), what)
    }

    fn send_bytes(&self, topic: &str, bytes: &[u8], what: Delivery) -> Result<(), String> {
        let r = BaseRecord::with_opaque_to(topic, Box::new(what))
            .partition(0)
            .payload(bytes)
            .key(&[]);
        self.producer.send(r).map_err(|(e, r)| {
            // The opaque comes back with the record; a waiting writer hears of it here.
            if let Delivery::Acked(tx) = *r.delivery_opaque {
                let _ = tx.send(Err(e.to_string()));
            }
            e.to_string()
        })
    }

    /// Writes `bytes` to partition 0 of `topic`; its offset (or why it was not written)
    /// arrives on the receiver.
    fn send_acked(&self, topic: &str, bytes: &[u8]) -> Receiver<Result<u64, String>> {
        let (tx, rx) = sync_channel(1);
        let _ = self.send_bytes(topic, bytes, Delivery::Acked(tx));
        rx
    }

    /// Writes a fence; its offset in the log (or why it was not written) arrives on the
    /// receiver.
    pub fn fence_later(&self, record: &Record) -> Receiver<Result<u64, String>> {
        self.send_acked(&self.topic, &record.encode())
    }

    /// Writes `bytes` to partition 0 of `topic` and waits for its offset.
    pub fn write_sync(&self, topic: &str, bytes: &[u8], timeout: Duration) -> Result<u64, String> {
        self.send_acked(topic, bytes)
            .recv_timeout(timeout)
            .map_err(|_| format!("a record to {topic} was not acknowledged in time"))?
    }

    /// Writes a delta of `source` (its failure is reported by [`LogWriter::failed`]);
    /// returns the record's size in bytes.
    pub fn delta(&self, source: &Source, record: &Record) -> usize {
        let bytes = record.encode();
        if self
            .send_bytes(&self.topic, &bytes, Delivery::Delta(source.clone()))
            .is_err()
        {
            self.failed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(source.clone());
        }
        bytes.len()
    }

    /// Writes a heartbeat.
    pub fn heartbeat(&self, record: &Record) {
        let _ = self.send(record, Delivery::Heartbeat);
    }

    /// Writes a record nobody waits for (the alert state): a failure is logged.
    pub fn record(&self, record: &Record) {
        if let Err(e) = self.send(record, Delivery::Logged) {
            tracing::warn!(error = %e, "a cluster log record was not written");
        }
    }

    /// The raw partitions whose deltas failed since the last call.
    pub fn failed(&self) -> Vec<Source> {
        std::mem::take(&mut *self.failed.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The low and high watermarks of a raw partition.
    pub fn watermarks(&self, source: &Source) -> Result<(u64, u64), String> {
        self.producer
            .client()
            .fetch_watermarks(&source.topic, source.partition, REQUEST_TIMEOUT)
            .map(|(low, high)| (low.max(0) as u64, high.max(0) as u64))
            .map_err(|e| format!("cannot read the offsets of {source}: {e}"))
    }

    /// The log's end offset, as the broker answers it now.
    pub fn log_end(&self) -> Result<u64, String> {
        self.producer
            .client()
            .fetch_watermarks(&self.topic, 0, REQUEST_TIMEOUT)
            .map(|(_, high)| high.max(0) as u64)
            .map_err(|e| format!("cannot read the end of the cluster log: {e}"))
    }

    /// Every partition of `topics`.
    pub fn partitions(&self, topics: &[String]) -> Result<Vec<Source>, String> {
        let mut all = Vec::new();
        for topic in topics {
            let m = self
                .producer
                .client()
                .fetch_metadata(Some(topic), REQUEST_TIMEOUT)
                .map_err(|e| format!("cannot read the metadata of {topic}: {e}"))?;
            for t in m.topics() {
                all.extend(t.partitions().iter().map(|p| Source {
                    topic: t.name().to_string(),
                    partition: p.id(),
                }));
            }
        }
        all.sort();
        Ok(all)
    }

    /// Waits for every record written so far to be acknowledged, up to `timeout`.
    pub fn flush(&self, timeout: Duration) {
        let _ = self.producer.flush(timeout);
    }
}

/// The follower's callbacks: client errors logged, but not reaching the end of the log,
/// which is the follower's normal state.
#[derive(Debug)]
pub struct Follower;

impl ClientContext for Follower {
    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() != Some(RDKafkaErrorCode::PartitionEOF) {
            tracing::error!(error = %error, reason, "cluster log client error");
        }
    }
}

impl ConsumerContext for Follower {}

/// A consumer of the log from offset `next` (no group: assigned by hand).
pub fn follower(
    spec: &KafkaSpec,
    cluster: &ClusterConfig,
    next: u64,
) -> Result<BaseConsumer<Follower>, String> {
    let consumer: BaseConsumer<Follower> = client_config(spec)
        .set("group.id", format!("{}.follow", cluster.name))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "50")
        .create_with_context(Follower)
        .map_err(|e| format!("cannot create the cluster log consumer: {e}"))?;
    let mut list = TopicPartitionList::new();
    list.add_partition_offset(&log_topic(cluster), 0, Offset::Offset(next as i64))
        .map_err(|e| e.to_string())?;
    consumer
        .assign(&list)
        .map_err(|e| format!("cannot follow the cluster log: {e}"))?;
    Ok(consumer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_get_the_configured_replicas_else_one_per_broker_up_to_three() {
        assert_eq!(replicas(Some(2), 5), 2);
        assert_eq!(
            replicas(Some(5), 1),
            5,
            "the broker refuses what it cannot place"
        );
        assert_eq!(replicas(None, 1), 1);
        assert_eq!(replicas(None, 2), 2);
        assert_eq!(replicas(None, 3), 3);
        assert_eq!(replicas(None, 12), 3);
        assert_eq!(
            replicas(None, 0),
            1,
            "metadata without brokers still asks for one"
        );
    }
}

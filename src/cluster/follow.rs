//! The follower: one thread per member that applies the log, in its one order, to the fold
//! and the counts; writes this member's heartbeat every second; and reads which raw
//! partitions exist, so that an answer can tell which ones nobody owns.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use tracing::{info, warn};

use super::log::{Follower, LogWriter, REQUEST_TIMEOUT, log_topic};
use super::record::Record;
use super::shared::{FoldTarget, Shared};
use crate::source::StopSignal;

/// How often a member writes its heartbeat.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(1);
/// How often the raw topics' partitions are read again.
const METADATA_INTERVAL: Duration = Duration::from_secs(10);

/// Starts the follower thread on `consumer` (assigned to the log where the fold resumes).
pub fn spawn(
    shared: Arc<Shared>,
    target: Arc<dyn FoldTarget>,
    consumer: BaseConsumer<Follower>,
    writer: Arc<LogWriter>,
    stop: StopSignal,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("cluster-follow".into())
        .spawn(move || follow(&shared, &*target, &consumer, &writer, &stop))
}

fn follow(
    shared: &Shared,
    target: &dyn FoldTarget,
    consumer: &BaseConsumer<Follower>,
    writer: &LogWriter,
    stop: &StopSignal,
) {
    let topic = log_topic(&shared.config);
    let mut last_beat = Instant::now() - HEARTBEAT_INTERVAL;
    let mut last_end = Instant::now() - HEARTBEAT_INTERVAL;
    let mut last_metadata = Instant::now() - METADATA_INTERVAL;
    info!(
        topic,
        from = shared.fold().next,
        "following the cluster log"
    );
    while !stop.is_stopped() {
        // Heartbeats only once the fold has reached the log's end: peers give a member its
        // share as soon as they hear it, so it must be ready to claim it.
        if last_beat.elapsed() >= HEARTBEAT_INTERVAL && shared.fold().at_end_us.is_some() {
            last_beat = Instant::now();
            let beat =
                shared.heartbeat(target.now_us(), &target.fingerprints(), target.lag(), false);
            writer.heartbeat(&Record::Heartbeat(beat));
        }
        if last_end.elapsed() >= HEARTBEAT_INTERVAL {
            last_end = Instant::now();
            if let Ok((_, high)) = consumer.fetch_watermarks(&topic, 0, REQUEST_TIMEOUT) {
                shared.at_end(high.max(0) as u64, target.now_us());
            }
        }
        if last_metadata.elapsed() >= METADATA_INTERVAL {
            match writer.partitions(&shared.topics) {
                Ok(all) => {
                    shared.set_raw_partitions(all);
                    last_metadata = Instant::now();
                }
                Err(e) => warn!(error = %e, "cannot list the raw partitions; will retry"),
            }
        }
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Ok(m)) => shared.apply(m.offset() as u64, m.payload().unwrap_or_default(), target),
            Some(Err(KafkaError::PartitionEOF(_))) => {
                let next = shared.fold().next;
                shared.at_end(next, target.now_us());
            }
            Some(Err(e)) => warn!(error = %e, "cluster log consume error"),
        }
    }
}

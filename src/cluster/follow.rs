//! The follower: one thread per member that applies the log, in its one order, to the fold
//! and the counts, and writes this member's heartbeat every second; and beside it a watcher
//! thread that asks the broker for the log's end every second (so that the fold knows how
//! current it is) and which raw partitions exist (so that an answer can tell which ones
//! nobody owns). The watcher's questions wait on the broker, up to
//! [`super::log::REQUEST_TIMEOUT`] each; on their own thread a slow broker delays the
//! answers, never the applying.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use tracing::{info, warn};

use super::log::{Follower, LogWriter, log_topic};
use super::record::Record;
use super::shared::{FoldTarget, Shared};
use crate::source::StopSignal;

/// How often a member writes its heartbeat.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(1);
/// How often the raw topics' partitions are read again.
const METADATA_INTERVAL: Duration = Duration::from_secs(10);

/// Fetching again past a gap in the log: up to [`GAP_RETRIES`] times for the same offset,
/// then the gap is taken as real (records the broker no longer holds) and logged.
#[derive(Debug, Default)]
struct Skipped {
    offset: u64,
    tries: u32,
}

/// How many times the log is fetched again from an offset the broker skipped.
const GAP_RETRIES: u32 = 50;

impl Skipped {
    /// True when the record at `next` should be fetched again.
    fn note(&mut self, next: u64) -> bool {
        if self.offset != next {
            *self = Skipped {
                offset: next,
                tries: 0,
            };
        }
        self.tries += 1;
        if self.tries > GAP_RETRIES {
            if self.tries == GAP_RETRIES + 1 {
                tracing::error!(
                    next,
                    "the cluster log has no record at this offset after {GAP_RETRIES} fetches; going on past it"
                );
            }
            return false;
        }
        true
    }
}

/// Starts the follower thread on `consumer` (assigned to the log where the fold resumes)
/// and the watcher thread.
pub fn spawn(
    shared: Arc<Shared>,
    target: Arc<dyn FoldTarget>,
    consumer: BaseConsumer<Follower>,
    writer: Arc<LogWriter>,
    stop: StopSignal,
) -> std::io::Result<[JoinHandle<()>; 2]> {
    let watcher = {
        let (shared, target, writer, stop) =
            (shared.clone(), target.clone(), writer.clone(), stop.clone());
        std::thread::Builder::new()
            .name("cluster-watch".into())
            .spawn(move || watch(&shared, &*target, &writer, &stop))?
    };
    let follower = std::thread::Builder::new()
        .name("cluster-follow".into())
        .spawn(move || follow(&shared, &*target, &consumer, &writer, &stop))?;
    Ok([follower, watcher])
}

/// Asks for the log's end every [`HEARTBEAT_INTERVAL`] and for the raw partitions every
/// [`METADATA_INTERVAL`], until `stop`.
fn watch(shared: &Shared, target: &dyn FoldTarget, writer: &LogWriter, stop: &StopSignal) {
    let mut last_metadata: Option<Instant> = None;
    while !stop.is_stopped() {
        let asked = Instant::now();
        // What the fold had applied, and the time, before asking: the answer is the end
        // at some moment after both.
        let applied = shared.fold().next;
        let seen_us = target.now_us();
        match writer.log_end() {
            Ok(end) => shared.end_seen(end, applied, seen_us),
            Err(e) => tracing::debug!(error = %e, "no answer for the cluster log's end"),
        }
        if last_metadata.is_none_or(|t| t.elapsed() >= METADATA_INTERVAL) {
            match writer.partitions(&shared.topics) {
                Ok(all) => {
                    shared.set_raw_partitions(all);
                    last_metadata = Some(Instant::now());
                }
                Err(e) => warn!(error = %e, "cannot list the raw partitions; will retry"),
            }
        }
        stop.sleep(HEARTBEAT_INTERVAL.saturating_sub(asked.elapsed()));
    }
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
    let mut skipped = Skipped::default();
    let from = shared.fold().next;
    info!(topic, from, "following the cluster log");
    let started = Instant::now();
    let mut reached_end = false;
    while !stop.is_stopped() {
        // Heartbeats only once the fold has reached the log's end: peers give a member its
        // share as soon as they hear it, so it must be ready to claim it.
        if last_beat.elapsed() >= HEARTBEAT_INTERVAL && shared.fold().at_end_us.is_some() {
            last_beat = Instant::now();
            let beat =
                shared.heartbeat(target.now_us(), &target.fingerprints(), target.lag(), false);
            writer.heartbeat(&Record::Heartbeat(beat));
        }
        if !reached_end
            && let Some(next) = {
                let fold = shared.fold();
                fold.at_end_us.map(|_| fold.next)
            }
        {
            reached_end = true;
            info!(
                records = next.saturating_sub(from),
                secs = started.elapsed().as_secs_f64(),
                "the fold reached the cluster log's end"
            );
        }
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Ok(m)) => {
                let offset = m.offset() as u64;
                let next = shared.fold().next;
                if offset > next && skipped.note(next) {
                    // Every offset of the log holds a record (one per batch, never
                    // compacted), so a record past the next one means the broker skipped
                    // some: fetch again from the next one rather than miss it.
                    shared
                        .stats
                        .gaps
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let to = rdkafka::topic_partition_list::Offset::Offset(next as i64);
                    if let Err(e) = consumer.seek(&topic, 0, to, Duration::from_secs(1)) {
                        warn!(error = %e, next, "cannot fetch the cluster log again");
                    }
                    continue;
                }
                shared.apply(offset, m.payload().unwrap_or_default(), target);
            }
            Some(Err(KafkaError::PartitionEOF(_))) => {
                let next = shared.fold().next;
                shared.at_end(next, target.now_us());
            }
            Some(Err(e)) => warn!(error = %e, "cluster log consume error"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_is_fetched_again_a_bounded_number_of_times_then_passed() {
        let mut s = Skipped::default();
        for _ in 0..GAP_RETRIES {
            assert!(s.note(7));
        }
        assert!(!s.note(7), "a gap that stays is taken as real");
        assert!(!s.note(7));
        // Another offset starts afresh.
        assert!(s.note(8));
    }
}

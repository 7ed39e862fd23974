//! Sources: where access-log lines come from.
//!
//! A [`Source`] runs on a thread of its own and pushes [`LineBatch`]es into a [`Sink`], one
//! partition at a time. A partition is the unit of ordering and of state: a Kafka topic
//! partition, one file, stdin, or the demo stream. The sink keeps one shard per partition (its
//! position, statistics, de-duplication ids) and one copy of the counts for all of them; a
//! batch takes each lock once, so the per-event path takes none. The source tells the sink when a
//! partition becomes its ([`Sink::assign`]) and stops being its ([`Sink::revoke`]); each batch
//! carries the offset just past its last line, the position a checkpoint would resume from.
//!
//! Sources are blocking and cooperative: they check [`StopSignal`] between batches and return
//! when it is raised or when their input ends.

pub mod demo;
pub mod file;
pub mod kafka;
pub mod stdin;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Lines per batch handed to the sink: large enough to amortize the shard lock, small enough
/// that a query waiting for the lock waits for at most a few hundred lines (the sink holds it
/// for a whole batch, so that a checkpoint never sees half of one).
pub const BATCH_LINES: usize = 256;

/// Identifies one partition of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitionId {
    /// Which stream of the source: a topic index, or a file's index in `paths`.
    pub stream: u32,
    /// Partition number within the stream (0 for files, stdin and demo).
    pub partition: i32,
}

impl PartitionId {
    /// Partition `partition` of stream `stream`.
    pub const fn new(stream: u32, partition: i32) -> Self {
        Self { stream, partition }
    }
}

impl fmt::Display for PartitionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.stream, self.partition)
    }
}

/// A batch of lines from one partition, stored contiguously so reading allocates only when
/// the batch grows past its previous high-water mark. A line is a span of the buffer: either
/// copied in by [`push`](LineBatch::push), or marked by [`push_span`](LineBatch::push_span)
/// in bytes a reader read straight into the buffer (then the spans may leave gaps: the
/// newlines, the rest of a cut line).
#[derive(Debug, Default, Clone)]
pub struct LineBatch {
    data: Vec<u8>,
    starts: Vec<usize>,
    ends: Vec<usize>,
    /// Source position just past the last line of the batch (byte offset for files, next
    /// message offset for Kafka).
    pub next_offset: u64,
}

impl LineBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Removes every line, keeping the buffers.
    pub fn clear(&mut self) {
        self.data.clear();
        self.starts.clear();
        self.ends.clear();
    }

    /// Makes this batch a copy of `other`, reusing its buffers.
    pub fn copy_from(&mut self, other: &LineBatch) {
        self.data.clear();
        self.data.extend_from_slice(&other.data);
        self.starts.clear();
        self.starts.extend_from_slice(&other.starts);
        self.ends.clear();
        self.ends.extend_from_slice(&other.ends);
        self.next_offset = other.next_offset;
    }

    /// Appends one line; a trailing `\n` or `\r\n` is stripped.
    pub fn push(&mut self, line: &[u8]) {
        let line = without_line_ending(line);
        self.starts.push(self.data.len());
        self.data.extend_from_slice(line);
        self.ends.push(self.data.len());
    }

    /// The buffer, for a reader that reads into it and then marks the lines it holds with
    /// [`push_span`](LineBatch::push_span).
    pub(crate) fn buffer_mut(&mut self) -> &mut Vec<u8> {
        &mut self.data
    }

    /// Appends the line at bytes `start..end` of the buffer, as it is (nothing stripped).
    pub(crate) fn push_span(&mut self, start: usize, end: usize) {
        debug_assert!(start <= end && end <= self.data.len());
        self.starts.push(start);
        self.ends.push(end);
    }

    /// Removes every line, keeping the buffer and its bytes (the next lines may lie further
    /// in it).
    pub(crate) fn clear_lines(&mut self) {
        self.starts.clear();
        self.ends.clear();
    }

    /// Moves the buffer's bytes from `from` (or from the first line's start, if that is
    /// before) up to `to` to its start, and the lines with them; how far they moved. The
    /// buffer keeps its length: a reader that reads into it keeps count of how much of it
    /// is filled.
    pub(crate) fn compact(&mut self, from: usize, to: usize) -> usize {
        let from = self.starts.first().map_or(from, |&s| s.min(from));
        if from == 0 || from > to || to > self.data.len() {
            return 0;
        }
        self.data.copy_within(from..to, 0);
        for i in self.starts.iter_mut().chain(self.ends.iter_mut()) {
            *i -= from;
        }
        from
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when the batch holds no line.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Total payload bytes: the lines', line endings not included.
    pub fn bytes(&self) -> usize {
        self.ends.iter().zip(&self.starts).map(|(e, s)| e - s).sum()
    }

    /// The lines, in order.
    pub fn lines(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.starts
            .iter()
            .zip(&self.ends)
            .map(|(&start, &end)| self.data.get(start..end).unwrap_or_default())
    }
}

/// `line` without a trailing `\n`, and then without a `\r` before it: a line as every source
/// delivers it.
pub(crate) fn without_line_ending(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Where a source delivers what it reads; implemented by the pipeline.
pub trait Sink: Send {
    /// `partition` (named `name` in logs and metrics) is now read by this source.
    fn assign(&mut self, partition: PartitionId, name: &str);
    /// Lines read from `partition`, in order.
    fn apply(&mut self, partition: PartitionId, batch: &LineBatch);
    /// `partition` is no longer read by this source; its counts stay visible.
    fn revoke(&mut self, partition: PartitionId);
    /// `partition` has delivered everything that exists for now (end of a file, end of a
    /// Kafka partition); its next batch says otherwise. A partition at its end does not
    /// hold the evaluation time back.
    fn end_of_partition(&mut self, _partition: PartitionId) {}
    /// The source has delivered its first data or reached the end of what exists: readiness.
    fn caught_up(&mut self);
    /// The source cannot read for now (e.g. every broker is down); `caught_up` ends it.
    fn unavailable(&mut self, reason: &str);
    /// Where reading `partition` should resume: the position its restored state covers, if
    /// the sink holds state for it (from a checkpoint or from earlier reading).
    fn position(&self, _partition: PartitionId) -> Option<u64> {
        None
    }
    /// The position of `partition` that may be committed to the source (e.g. Kafka group
    /// offsets): what a durable checkpoint covers when checkpointing, else what was applied.
    fn committable(&self, _partition: PartitionId) -> Option<u64> {
        None
    }
    /// True when the sink decides which partitions its source reads (a cluster member
    /// splits the topic with its peers itself): a Kafka source then joins no consumer group
    /// and reads exactly what [`Sink::assignment`] says.
    fn assigns_partitions(&self) -> bool {
        false
    }
    /// For a sink that [assigns partitions](Sink::assigns_partitions): every partition to
    /// read and the offset to read it from, when that changed since the last call. Lines
    /// fetched but not yet delivered are dropped; the offsets say where to fetch them again.
    fn assignment(&mut self) -> Option<Vec<(PartitionId, u64)>> {
        None
    }
    /// Called by the source between batches, at least every 100 ms: time-driven work.
    fn tick(&mut self) {}
}

/// What a source reports about itself beyond the lines it delivers, for `/metrics`.
/// Sources that have nothing to say leave it empty.
#[derive(Debug, Default)]
pub struct SourceTelemetry {
    /// Consumer group rebalances (assignments and revocations) seen.
    pub rebalances: AtomicU64,
    /// Offset commits that failed.
    pub commit_failures: AtomicU64,
    /// Offset commits that succeeded.
    pub commits: AtomicU64,
    /// Messages dropped because their partition was revoked before they were applied (the
    /// next owner reads them again).
    pub discarded_on_revoke: AtomicU64,
    /// Consumer lag (messages behind the partition's high watermark) per partition name.
    pub lag: Mutex<BTreeMap<String, i64>>,
}

impl SourceTelemetry {
    /// Adds one to `counter`.
    pub fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Shared flag raised to ask sources to stop.
#[derive(Debug, Clone, Default)]
pub struct StopSignal(Arc<AtomicBool>);

impl StopSignal {
    /// A lowered flag.
    pub fn new() -> Self {
        Self::default()
    }

    /// Raises the flag.
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// True once raised.
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Sleeps for `duration`, or until soon after the flag is raised.
    pub fn sleep(&self, duration: Duration) {
        let _ = self.wait_for(duration, |step| {
            std::thread::sleep(step);
            None::<()>
        });
    }

    /// Waits up to `timeout` for `attempt` to give a value, looking at the flag at least
    /// every [`STOP_POLL`]: `attempt(d)` waits at most `d` for its value (`d` is zero for a
    /// last look once the time is up or the flag is raised). `None` if no attempt gave one.
    pub fn wait_for<T>(
        &self,
        timeout: Duration,
        mut attempt: impl FnMut(Duration) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let over = left.is_zero() || self.is_stopped();
            let step = if over {
                Duration::ZERO
            } else {
                left.min(STOP_POLL)
            };
            if let Some(value) = attempt(step) {
                return Some(value);
            }
            if over {
                return None;
            }
        }
    }
}

/// How often [`StopSignal::wait_for`] looks at the flag.
pub const STOP_POLL: Duration = Duration::from_millis(100);

/// Why a source could not go on.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The Kafka client could not be created or subscribed.
    #[error("kafka: {0}")]
    Kafka(String),
    /// A file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// A producer of access-log lines.
pub trait Source: Send + fmt::Debug {
    /// Reads until the input ends or `stop` is raised, pushing batches into `sink`.
    fn run(self: Box<Self>, sink: &mut dyn Sink, stop: &StopSignal) -> Result<(), SourceError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_strips_line_endings_and_keeps_order() {
        let mut b = LineBatch::new();
        b.push(b"one\n");
        b.push(b"two\r\n");
        b.push(b"");
        b.push(b"three");
        let lines: Vec<&[u8]> = b.lines().collect();
        assert_eq!(lines, vec![&b"one"[..], b"two", b"", b"three"]);
        assert_eq!(b.bytes(), 11);
        b.clear();
        assert!(b.is_empty());
    }
}

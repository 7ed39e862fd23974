//! Tests of the file source, and the recording sink shared by the source tests.

mod follow;
mod line_splitting;
mod reading;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;

use super::*;
use crate::source::LineBatch;

/// What a [`Recorder`] saw.
#[derive(Debug, Default)]
pub(crate) struct Record {
    pub(crate) assigned: Vec<(PartitionId, String)>,
    pub(crate) lines: BTreeMap<PartitionId, Vec<Vec<u8>>>,
    /// `next_offset` of every batch, per partition.
    pub(crate) offsets: BTreeMap<PartitionId, Vec<u64>>,
    /// Lines in every batch, per partition.
    pub(crate) batch_sizes: BTreeMap<PartitionId, Vec<usize>>,
    pub(crate) revoked: Vec<PartitionId>,
    pub(crate) caught_up: usize,
    /// Positions to report from [`Sink::position`], as restored state would.
    pub(crate) resume: BTreeMap<PartitionId, u64>,
}

impl Record {
    /// The lines of `pid` as text.
    pub(crate) fn text(&self, pid: PartitionId) -> Vec<String> {
        self.lines
            .get(&pid)
            .map(|ls| {
                ls.iter()
                    .map(|l| String::from_utf8_lossy(l).into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A sink that records everything, shared between a source thread and the test.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recorder(Arc<Mutex<Record>>);

impl Recorder {
    pub(crate) fn get(&self) -> MutexGuard<'_, Record> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits (at most 120 s) until `cond` holds. The deadline only catches a source that
    /// hangs: the demo's 4-day backfill (about 700,000 lines, in a debug build) took over
    /// 20 s on two cores shared with other builds.
    pub(crate) fn wait_for(&self, what: &str, cond: impl Fn(&Record) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if cond(&self.get()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {:?}",
                {
                    let r = self.get();
                    (
                        r.caught_up,
                        r.lines.values().map(Vec::len).collect::<Vec<_>>(),
                    )
                }
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Sink for Recorder {
    fn assign(&mut self, partition: PartitionId, name: &str) {
        self.get().assigned.push((partition, name.to_string()));
    }

    fn apply(&mut self, partition: PartitionId, batch: &LineBatch) {
        let mut r = self.get();
        let lines = r.lines.entry(partition).or_default();
        lines.extend(batch.lines().map(<[u8]>::to_vec));
        r.offsets
            .entry(partition)
            .or_default()
            .push(batch.next_offset);
        r.batch_sizes
            .entry(partition)
            .or_default()
            .push(batch.len());
    }

    fn revoke(&mut self, partition: PartitionId) {
        self.get().revoked.push(partition);
    }

    fn caught_up(&mut self) {
        self.get().caught_up += 1;
    }

    fn unavailable(&mut self, _reason: &str) {
        self.get().caught_up = 0;
    }

    fn position(&self, partition: PartitionId) -> Option<u64> {
        self.get().resume.get(&partition).copied()
    }
}

/// A source running on its own thread; stopped and joined when dropped.
pub(crate) struct Running {
    stop: StopSignal,
    handle: Option<JoinHandle<Result<(), SourceError>>>,
}

impl Running {
    pub(crate) fn spawn(source: Box<dyn Source>, sink: &Recorder) -> Self {
        let stop = StopSignal::new();
        let (s, mut sink) = (stop.clone(), sink.clone());
        let handle = std::thread::spawn(move || source.run(&mut sink, &s));
        Self {
            stop,
            handle: Some(handle),
        }
    }

    /// Raises stop and waits (at most 20 s) for the source to return.
    pub(crate) fn stop(mut self) -> Result<(), SourceError> {
        self.stop.stop();
        let handle = self.handle.take().expect("running");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !handle.is_finished() {
            assert!(Instant::now() < deadline, "source did not stop");
            std::thread::sleep(Duration::from_millis(10));
        }
        handle.join().expect("source thread panicked")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.stop();
    }
}

const P0: PartitionId = PartitionId::new(0, 0);
const P1: PartitionId = PartitionId::new(1, 0);

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

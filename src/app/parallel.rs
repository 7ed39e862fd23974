//! Deciding on every core for a source that reads on one thread (Kafka): [`ParallelSink`]
//! wraps the pipeline's sink, or a cluster member's, and hands each batch to a pool of
//! workers that decide it (decode, classify: [`Decider::decide`], the costly part),
//! while the source thread goes on reading; it applies the decided batches itself, in the
//! order they were read, so every partition's batches are applied in offset order and every
//! order-dependent decision is the one a single thread takes.
//!
//! Positions stay exact: a batch counts toward a partition's position (and so toward what
//! a checkpoint covers and what may be committed) only once it is applied. Everything but
//! reading waits for the batches in flight: an assignment, a revocation, an end of
//! partition, readiness, and the sink's time-driven work (at most every [`TICK`]), so the
//! wrapped sink sees exactly the calls, in exactly the order, a source would make without
//! it. A batch decided under a configuration that a reload replaced before it was applied
//! is decided again. A format whose lines change how later lines decode (W3C) is decided
//! in line, on the source thread.

use std::collections::{BTreeMap, VecDeque};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::batch::{DecidedBatch, Decider};
use crate::decode::LineState;
use crate::source::{LineBatch, PartitionId, Sink};
use crate::window::{Decisions, lock};

/// How often the wrapped sink's time-driven work runs (after the batches in flight are
/// applied): well under the source's 100 ms bound.
pub(super) const TICK: Duration = Duration::from_millis(10);

/// Batches in flight per worker before the source thread waits for the oldest.
const IN_FLIGHT_PER_WORKER: usize = 4;

/// A sink whose batches a [`ParallelSink`] can decide elsewhere.
pub(super) trait Decides: Sink {
    /// What deciding this sink's batches needs now (following a reload first).
    fn decider(&mut self) -> Arc<Decider>;
    /// Applies `decided`, which `decider` of generation `generation` decided from `batch`,
    /// to `partition`; decides `batch` again when the generation changed since.
    fn apply_decided(
        &mut self,
        partition: PartitionId,
        batch: &LineBatch,
        decided: DecidedBatch<'static>,
        generation: u64,
    );
}

/// A batch handed to the workers.
struct Job {
    seq: u64,
    batch: Arc<LineBatch>,
    decider: Arc<Decider>,
}

/// A batch handed out and not applied yet, in read order.
struct InFlight {
    seq: u64,
    partition: PartitionId,
    batch: Arc<LineBatch>,
    generation: u64,
}

/// Decides batches on a pool of workers and applies them in order to `S`; see the
/// [module documentation](self).
pub(super) struct ParallelSink<S: Decides> {
    inner: S,
    jobs: Option<SyncSender<Job>>,
    done: Receiver<Done>,
    workers: Vec<JoinHandle<()>>,
    in_flight: VecDeque<InFlight>,
    ready: BTreeMap<u64, Option<DecidedBatch<'static>>>,
    next_seq: u64,
    max_in_flight: usize,
    last_tick: Instant,
    /// A call that may change the inner sink's assignment was passed on since it was last
    /// asked for it.
    maybe_reassigned: bool,
    /// Applied batches' buffers, to copy the next batches into.
    spare: Vec<LineBatch>,
}

impl<S: Decides> std::fmt::Debug for ParallelSink<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParallelSink")
            .field("workers", &self.workers.len())
            .field("in_flight", &self.in_flight.len())
            .finish()
    }
}

impl<S: Decides> ParallelSink<S> {
    /// `inner`, with `workers` deciding threads (at least one).
    pub(super) fn new(inner: S, workers: usize) -> Self {
        let workers = workers.max(1);
        let (jobs_tx, jobs_rx) = mpsc::sync_channel::<Job>(workers * IN_FLIGHT_PER_WORKER);
        let jobs_rx = Arc::new(Mutex::new(jobs_rx));
        let (done_tx, done) = mpsc::channel();
        let handles = (0..workers)
            .filter_map(|i| {
                let (jobs, done) = (jobs_rx.clone(), done_tx.clone());
                std::thread::Builder::new()
                    .name(format!("decide-{i}"))
                    .spawn(move || work(&jobs, &done))
                    .ok()
            })
            .collect();
        Self {
            inner,
            jobs: Some(jobs_tx),
            done,
            workers: handles,
            in_flight: VecDeque::new(),
            ready: BTreeMap::new(),
            next_seq: 0,
            max_in_flight: workers * IN_FLIGHT_PER_WORKER,
            last_tick: Instant::now(),
            // The inner sink may hold an assignment it was never asked for yet.
            maybe_reassigned: true,
            spare: Vec::new(),
        }
    }

    /// Applies the decided batches at the front of the queue; with `wait`, waits for the
    /// oldest batch until one is applied (or none is in flight).
    fn apply_ready(&mut self, wait: bool) {
        loop {
            while let Ok((seq, decided)) = self.done.try_recv() {
                self.ready.insert(seq, decided);
            }
            let Some(front) = self.in_flight.front() else {
                return;
            };
            if let Some(decided) = self.ready.remove(&front.seq) {
                if let Some(f) = self.in_flight.pop_front() {
                    match decided {
                        Some(d) => self
                            .inner
                            .apply_decided(f.partition, &f.batch, d, f.generation),
                        None => self.inner.apply(f.partition, &f.batch),
                    }
                    if let Ok(mut batch) = Arc::try_unwrap(f.batch) {
                        batch.clear();
                        self.spare.push(batch);
                    }
                }
                continue;
            }
            if !wait {
                return;
            }
            match self.done.recv() {
                Ok((seq, decided)) => {
                    self.ready.insert(seq, decided);
                }
                // Every worker is gone (none could start): decide in line.
                Err(_) => {
                    if let Some(f) = self.in_flight.pop_front() {
                        self.inner.apply(f.partition, &f.batch);
                    }
                }
            }
        }
    }

    /// Applies every batch in flight.
    fn flush(&mut self) {
        while !self.in_flight.is_empty() {
            self.apply_ready(true);
        }
    }
}

/// A worker: decides jobs until the sink is dropped. A job whose deciding panicked comes
/// back as `None`, for the source thread to decide in line (as it would without workers),
/// so no batch is ever waited for in vain.
fn work(jobs: &Mutex<Receiver<Job>>, done: &Sender<Done>) {
    work_with(jobs, done, |job, scratch| {
        job.decider.decide_owned(
            &job.batch,
            scratch,
            &mut LineState::default(),
            Decisions::new(),
        )
    });
}

/// [`work`], deciding with `decide`.
fn work_with(
    jobs: &Mutex<Receiver<Job>>,
    done: &Sender<Done>,
    decide: impl Fn(&Job, &mut Vec<u8>) -> DecidedBatch<'static>,
) {
    let mut scratch = Vec::new();
    loop {
        let next = lock(jobs).recv();
        let Ok(job) = next else {
            return;
        };
        let decided =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decide(&job, &mut scratch)))
                .ok();
        if decided.is_none() {
            scratch = Vec::new();
        }
        if done.send((job.seq, decided)).is_err() {
            return;
        }
    }
}

/// A decided job: its sequence number and the batch, `None` when deciding panicked.
type Done = (u64, Option<DecidedBatch<'static>>);

impl<S: Decides> Sink for ParallelSink<S> {
    fn assign(&mut self, partition: PartitionId, name: &str) {
        self.flush();
        self.maybe_reassigned = true;
        self.inner.assign(partition, name);
    }

    fn apply(&mut self, partition: PartitionId, batch: &LineBatch) {
        let decider = self.inner.decider();
        if decider.in_line() || self.workers.is_empty() {
            self.flush();
            return self.inner.apply(partition, batch);
        }
        let mut copy = self.spare.pop().unwrap_or_default();
        copy.copy_from(batch);
        let copy = Arc::new(copy);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.in_flight.push_back(InFlight {
            seq,
            partition,
            batch: copy.clone(),
            generation: decider.generation.number,
        });
        let job = Job {
            seq,
            batch: copy,
            decider,
        };
        if let Some(jobs) = &self.jobs
            && jobs.send(job).is_err()
        {
            // The workers are gone; `apply_ready` decides what they did not.
            self.workers.clear();
        }
        self.apply_ready(false);
        while self.in_flight.len() > self.max_in_flight {
            self.apply_ready(true);
        }
    }

    fn revoke(&mut self, partition: PartitionId) {
        self.flush();
        self.maybe_reassigned = true;
        self.inner.revoke(partition);
    }

    fn end_of_partition(&mut self, partition: PartitionId) {
        self.flush();
        self.maybe_reassigned = true;
        self.inner.end_of_partition(partition);
    }

    fn caught_up(&mut self) {
        self.flush();
        self.maybe_reassigned = true;
        self.inner.caught_up();
    }

    fn unavailable(&mut self, reason: &str) {
        self.flush();
        self.maybe_reassigned = true;
        self.inner.unavailable(reason);
    }

    fn position(&self, partition: PartitionId) -> Option<u64> {
        self.inner.position(partition)
    }

    fn committable(&self, partition: PartitionId) -> Option<u64> {
        self.inner.committable(partition)
    }

    fn assigns_partitions(&self) -> bool {
        self.inner.assigns_partitions()
    }

    fn assignment(&mut self) -> Option<Vec<(PartitionId, u64)>> {
        // The inner sink changes what it reads only in the calls passed on above, each after
        // the batches in flight were applied; batches read since then are applied before it
        // is asked, so the offsets it gives cover every batch handed to it, and no line is
        // read twice.
        if std::mem::take(&mut self.maybe_reassigned) {
            self.flush();
            return self.inner.assignment();
        }
        None
    }

    fn tick(&mut self) {
        self.apply_ready(false);
        if self.last_tick.elapsed() >= TICK {
            self.last_tick = Instant::now();
            self.flush();
            self.maybe_reassigned = true;
            self.inner.tick();
        }
    }
}

impl<S: Decides> Drop for ParallelSink<S> {
    fn drop(&mut self) {
        // What was read is applied before the inner sink is dropped (a cluster member
        // writes its last deltas then).
        self.flush();
        self.jobs = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

#[cfg(test)]
mod tests;

//! One batch through the one ingest path, in two steps: [`Decider::decide`] runs every
//! line through [`Ingest::read`] (length cap, envelope, format) and decides each event
//! ([`Decisions`]: service, SLO verdicts, request-id hash) without touching shared state, so
//! it runs off every lock and on any thread; [`DecidedBatch::apply`] then applies the
//! decisions in line order to the partition's [`Shard`] and a [`Tally`], under the locks.
//!
//! A [`Decider`] holds what deciding needs (one generation's configuration and ingest path)
//! and can be shared by threads. The single-instance sink, a cluster owner, a Kafka source's
//! deciding threads and a parallel replay's all decide with one and apply the same way; and
//! `explain` runs the same ingest call, so no path can decide a line differently.

use std::sync::Arc;

use super::rejections::{BatchOrigin, BatchRejections, WarningLimiter};
use super::{DeadLetter, Generation, Pipeline};
use crate::classify::Classifier;
use crate::decode::LineState;
use crate::decode::ingest::{Ingest, Item};
use crate::source::{LineBatch, PartitionId};
use crate::window::{Decisions, Plan, Shard, Tally};

/// What deciding batches needs: one generation's configuration and its ingest path.
#[derive(Debug)]
pub(super) struct Decider {
    /// The generation the batches are decided with.
    pub(super) generation: Arc<Generation>,
    /// Its ingest path.
    ingest: Ingest,
    /// Whether rejected payloads are kept (there is a dead-letter file).
    dead_letter: bool,
    /// `spec.decode.max_line_bytes`, the cut of a too-long payload kept for it.
    max_line_bytes: usize,
}

impl Decider {
    /// The decider of generation `g` of `pipeline`: the one `kept` holds when it is that
    /// generation's, else a new one, which `kept` then holds.
    pub(super) fn of(
        kept: &mut Option<Arc<Decider>>,
        g: &Arc<Generation>,
        pipeline: &Pipeline,
    ) -> Arc<Decider> {
        if let Some(d) = kept
            && d.generation.number == g.number
        {
            return d.clone();
        }
        let d = Arc::new(Decider {
            generation: g.clone(),
            ingest: g.ingest(pipeline.start.limits()),
            dead_letter: pipeline.dead_letter.is_some(),
            max_line_bytes: pipeline.start.max_line_bytes,
        });
        *kept = Some(d.clone());
        d
    }

    /// True when the format's lines must be decided in order, each partition's by one
    /// thread (W3C: a `#Fields:` directive governs the lines after it).
    pub(super) fn in_line(&self) -> bool {
        self.generation.format.has_line_state()
    }

    /// Decides every line of `batch` (through [`Ingest::read`], then each event with the
    /// generation's classifier and plan) from the partition's format `state` (updated),
    /// into `decisions` (a buffer to reuse).
    pub(super) fn decide<'b>(
        &self,
        batch: &'b LineBatch,
        scratch: &mut Vec<u8>,
        state: &mut LineState,
        mut decisions: Decisions,
    ) -> DecidedBatch<'b> {
        let (classifier, plan) = (&self.generation.classifier, self.generation.store.plan());
        let mut rejected = BatchRejections::new(self.dead_letter, self.max_line_bytes);
        decisions.clear();
        let mut lines = 0;
        let mut directives = 0;
        for (index, payload) in batch.lines().enumerate() {
            self.ingest.read(payload, scratch, state, |item| {
                lines += 1;
                match item {
                    Item::Event(d) => decisions.push(&d.event, classifier, plan),
                    Item::Rejected { rejection, record } => {
                        rejected.record(index, rejection, payload, record)
                    }
                    Item::Directive(_) => directives += 1,
                }
            });
        }
        DecidedBatch {
            decisions,
            rejected,
            lines,
            directives,
            bytes: batch.bytes() as u64,
            next_offset: batch.next_offset,
            state: state.clone(),
        }
    }

    /// Decides `batch` into `decisions` (a buffer to reuse, as [`decide`](Self::decide)),
    /// owning what it keeps of the lines.
    pub(super) fn decide_owned(
        &self,
        batch: &LineBatch,
        scratch: &mut Vec<u8>,
        state: &mut LineState,
        decisions: Decisions,
    ) -> DecidedBatch<'static> {
        self.decide(batch, scratch, state, decisions).into_owned()
    }
}

/// What deciding one batch gave: its events' decisions and everything else it counts.
#[derive(Debug)]
pub(super) struct DecidedBatch<'b> {
    /// The events, in line order.
    pub(super) decisions: Decisions,
    /// What was rejected, with the payloads when there is a dead-letter file.
    pub(super) rejected: BatchRejections<'b>,
    /// Lines read: one per payload, or one per log record of an OTLP batch.
    pub(super) lines: u64,
    /// Directive lines (W3C `#Fields:`): neither events nor errors.
    pub(super) directives: u64,
    /// Payload bytes.
    pub(super) bytes: u64,
    /// Source position just past the batch.
    pub(super) next_offset: u64,
    /// The partition's format state after the batch.
    pub(super) state: LineState,
}

impl<'b> DecidedBatch<'b> {
    /// Applies the decisions, in order, to `shard` and `tally` (with the `classifier` and
    /// `plan` they were decided with), counts the batch's lines, bytes, directives and
    /// rejections into the shard, and leaves the shard at the batch's end (position and
    /// format state). `latest_allowed_us` is the newest event time accepted.
    pub(super) fn apply<T: Tally>(
        &self,
        shard: &mut Shard,
        tally: &mut T,
        classifier: &Classifier,
        plan: &Plan,
        latest_allowed_us: i64,
    ) {
        for d in self.decisions.iter() {
            shard.apply(tally, &d, classifier, latest_allowed_us, plan);
        }
        tally.end_batch(plan);
        self.rejected.count_into(&mut shard.stats);
        shard.directives += self.directives;
        shard.stats.lines += self.lines;
        shard.stats.bytes += self.bytes;
        shard.format_state = self.state.clone();
        shard.next_offset = self.next_offset;
    }

    /// Writes the batch's rejections to `dead_letter` and logs them through `warnings` (see
    /// [`BatchRejections::emit`]) as the batch of `partition`, named `name`, in `format`, at
    /// `now_us`; gives back the decisions buffer to decide into again. `name` is `None` for
    /// a batch that rejected nothing, so that callers copy the name only when it is needed.
    pub(super) fn finish(
        self,
        partition: PartitionId,
        name: Option<&str>,
        format: &'static str,
        now_us: i64,
        dead_letter: Option<&DeadLetter>,
        warnings: &mut WarningLimiter,
    ) -> Decisions {
        if let Some(name) = name {
            let origin = BatchOrigin {
                partition,
                partition_name: name,
                next_offset: self.next_offset,
                format,
                now_us,
            };
            self.rejected.emit(origin, dead_letter, warnings);
        }
        self.decisions
    }

    /// The same batch, owning the rejected payloads it keeps, so it can outlive the lines.
    pub(super) fn into_owned(self) -> DecidedBatch<'static> {
        DecidedBatch {
            decisions: self.decisions,
            rejected: self.rejected.into_owned(),
            lines: self.lines,
            directives: self.directives,
            bytes: self.bytes,
            next_offset: self.next_offset,
            state: self.state,
        }
    }
}

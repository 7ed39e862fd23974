//! One batch through the one ingest path, in two steps: [`DecidedBatch::decide`] runs every
//! line through [`Ingest::read`] (length cap, envelope, format) and decides each event
//! ([`Decisions`]: service, SLO verdicts, request-id hash) without touching shared state, so
//! it runs off every lock and on any thread; [`DecidedBatch::apply`] then applies the
//! decisions in line order to the partition's [`Shard`] and a [`Tally`], under the locks.
//!
//! The single-instance sink, a cluster owner and a parallel replay all take these two steps;
//! `explain` takes the first, so no path can decide a line differently.

use super::rejections::BatchRejections;
use crate::classify::Classifier;
use crate::decode::LineState;
use crate::decode::ingest::{Ingest, Item};
use crate::source::LineBatch;
use crate::window::{Decisions, Plan, Shard, Tally};

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
    /// Decides every line of `batch` with `ingest` and `classifier` under `plan`, reading
    /// and updating the partition's format `state`; `decisions` is a buffer to reuse
    /// (cleared here), `rejected` an empty record.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn decide(
        batch: &'b LineBatch,
        ingest: &Ingest,
        scratch: &mut Vec<u8>,
        state: &mut LineState,
        classifier: &Classifier,
        plan: &Plan,
        mut decisions: Decisions,
        mut rejected: BatchRejections<'b>,
    ) -> Self {
        decisions.clear();
        let mut lines = 0;
        let mut directives = 0;
        for (index, payload) in batch.lines().enumerate() {
            ingest.read(payload, scratch, state, |item| {
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
        Self {
            decisions,
            rejected,
            lines,
            directives,
            bytes: batch.bytes() as u64,
            next_offset: batch.next_offset,
            state: state.clone(),
        }
    }

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
        self.rejected.count_into(&mut shard.stats);
        shard.directives += self.directives;
        shard.stats.lines += self.lines;
        shard.stats.bytes += self.bytes;
        shard.format_state = self.state.clone();
        shard.next_offset = self.next_offset;
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

//! One shard: what one source partition needs of its own, owned by the thread reading it:
//! its position, newest event time, counters of what it was given, de-duplication ids and
//! activity. The counts themselves are one copy for all partitions ([`super::Counters`]).
//!
//! The reading thread takes the shard's lock once per batch, then the counters' lock, and
//! applies every event with [`Shard::apply`]. Per event nothing allocates. Events further in
//! the future than the configured bound, or older than anything any window can still report
//! (behind this partition's newest event), are counted and dropped.

use crate::classify::Classifier;
use crate::decode::{DecodeError, Event, LineState};

use super::Plan;
use super::counters::Tally;
use super::decided::{Decided, Decisions};
use super::dedup::Dedup;

/// What one shard (one partition) keeps of its own, in a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShardState {
    /// Partition name.
    pub name: String,
    /// Source position just past the last applied line.
    pub next_offset: u64,
    /// Newest event time applied.
    pub newest_us: Option<i64>,
    /// Counters.
    pub stats: ShardStats,
    /// Request ids remembered for de-duplication: `(event time, hash)`, oldest first.
    pub dedup: Vec<(i64, u64)>,
    /// The format's directive in force ([`LineState::saved`]: a W3C `#Fields:` line).
    pub directive: Option<Vec<u8>>,
    /// Directive lines read (W3C `#Version:`, `#Fields:`, …): lines that are not requests.
    pub directives: u64,
}

/// What happened to the lines a shard was given; all counters only grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShardStats {
    /// Lines read.
    pub lines: u64,
    /// Bytes read (without line endings).
    pub bytes: u64,
    /// Lines that did not decode, by [`DecodeError::index`].
    pub decode_errors: [u64; DecodeError::ALL.len()],
    /// Decoded events that matched no service.
    pub unmatched: u64,
    /// Lines or messages longer than `spec.decode.max_line_bytes`, rejected undecoded.
    pub too_long: u64,
    /// Events dropped as older than every retained window.
    pub too_old: u64,
    /// Events dropped as too far ahead of the wall clock.
    pub too_future: u64,
    /// Events applied to a service's SLOs.
    pub applied: u64,
    /// Events dropped as redeliveries of a request id already counted.
    pub duplicates: u64,
}

impl ShardStats {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &ShardStats) {
        self.lines += other.lines;
        self.bytes += other.bytes;
        for (a, b) in self.decode_errors.iter_mut().zip(other.decode_errors) {
            *a += b;
        }
        self.unmatched += other.unmatched;
        self.too_long += other.too_long;
        self.too_old += other.too_old;
        self.too_future += other.too_future;
        self.applied += other.applied;
        self.duplicates += other.duplicates;
    }

    /// What was counted since `before` (an earlier copy of these counters).
    pub fn since(&self, before: &ShardStats) -> ShardStats {
        let mut d = ShardStats {
            lines: self.lines - before.lines,
            bytes: self.bytes - before.bytes,
            decode_errors: self.decode_errors,
            unmatched: self.unmatched - before.unmatched,
            too_long: self.too_long - before.too_long,
            too_old: self.too_old - before.too_old,
            too_future: self.too_future - before.too_future,
            applied: self.applied - before.applied,
            duplicates: self.duplicates - before.duplicates,
        };
        for (a, b) in d.decode_errors.iter_mut().zip(before.decode_errors) {
            *a -= b;
        }
        d
    }

    /// All decode errors, lines too long included.
    pub fn decode_errors_total(&self) -> u64 {
        self.decode_errors.iter().sum::<u64>() + self.too_long
    }
}

/// Whether a shard's partition is being read, for the evaluation time: only partitions that
/// are assigned, have data still to deliver and delivered recently hold it back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    /// The partition is assigned to this instance's source.
    pub assigned: bool,
    /// The source reported that the partition has nothing more to deliver for now (end of
    /// a file, end of a Kafka partition); the next batch clears it.
    pub at_end: bool,
    /// Wall-clock time of the last assignment or delivered batch, µs.
    pub last_delivery_us: Option<i64>,
}

impl Activity {
    /// True if the partition holds the watermark back at wall-clock `now_us`.
    pub fn is_active(&self, now_us: i64, idle_timeout_us: i64) -> bool {
        self.assigned
            && !self.at_end
            && self
                .last_delivery_us
                .is_some_and(|t| now_us.saturating_sub(t) < idle_timeout_us)
    }
}

/// Which counters an SLO entry reads: a configured SLO's, or one sub-service's copy of it
/// (see [`super::split`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountersOf {
    /// The SLO of this index.
    Slo(usize),
    /// A sub-service of a split service.
    Sub {
        /// The configured SLO's index.
        slo: usize,
        /// The [`Plan::splits`] index.
        split: usize,
        /// The SLO's position among the split's SLOs.
        pos: usize,
        /// The sub-service's slot (`max_hosts`: overflow).
        slot: usize,
    },
}

impl CountersOf {
    /// The configured SLO's index.
    pub fn slo(self) -> usize {
        match self {
            CountersOf::Slo(slo) | CountersOf::Sub { slo, .. } => slo,
        }
    }
}

/// What one partition keeps of its own.
#[derive(Debug)]
pub struct Shard {
    name: String,
    newest_us: Option<i64>,
    dedup: Dedup,
    /// Counters of what this shard was given.
    pub stats: ShardStats,
    /// Source position just past the last applied line.
    pub next_offset: u64,
    /// Whether the partition is being read (not checkpointed).
    pub activity: Activity,
    /// What the partition's earlier lines told its format (a W3C `#Fields:` directive).
    pub format_state: LineState,
    /// Directive lines read: lines that set [`Shard::format_state`], not requests.
    pub directives: u64,
}

impl Shard {
    /// An empty shard named `name` (the partition's name in logs and metrics).
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            newest_us: None,
            dedup: Dedup::default(),
            stats: ShardStats::default(),
            next_offset: 0,
            activity: Activity::default(),
            format_state: LineState::default(),
            directives: 0,
        }
    }

    /// Number of request ids remembered for de-duplication.
    pub fn dedup_ids(&self) -> usize {
        self.dedup.len()
    }

    /// The partition's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Newest event time applied, µs.
    pub fn newest_us(&self) -> Option<i64> {
        self.newest_us
    }

    /// Applies one decided event to `counters` (the counts, or a cluster reader's delta).
    /// `latest_allowed_us` is the newest event time accepted (wall clock plus the future
    /// bound); `plan` says how far behind this shard's newest event an event may be and
    /// still land in some window, and whether to de-duplicate; `classifier` names the
    /// service's SLOs (the ones `event` was decided with).
    pub fn apply<T: Tally>(
        &mut self,
        counters: &mut T,
        event: &Decided<'_>,
        classifier: &Classifier,
        latest_allowed_us: i64,
        plan: &Plan,
    ) {
        let t = event.time_us;
        if t > latest_allowed_us {
            self.stats.too_future += 1;
            return;
        }
        if let Some(newest) = self.newest_us
            && t < newest.saturating_sub(plan.retention_us)
        {
            self.stats.too_old += 1;
            return;
        }
        let newest = self.newest_us.map_or(t, |n| n.max(t));
        if let Some(d) = &plan.window.dedup
            && let Some(id) = event.id
            && !self.dedup.first_sighting_hash(id, t, newest, d)
        {
            self.stats.duplicates += 1;
            return;
        }
        self.newest_us = Some(newest);
        let Some(service) = event.service else {
            self.stats.unmatched += 1;
            return;
        };
        self.stats.applied += 1;
        counters.add(service, event, classifier, plan);
    }

    /// Decides `event` and applies it ([`Shard::apply`]): one event at a time, for tests and
    /// benches (the pipeline decides whole batches first).
    pub fn apply_event<T: Tally>(
        &mut self,
        counters: &mut T,
        event: &Event<'_>,
        classifier: &Classifier,
        latest_allowed_us: i64,
        plan: &Plan,
    ) {
        let decisions = Decisions::one(event, classifier, plan);
        for d in decisions.iter() {
            self.apply(counters, &d, classifier, latest_allowed_us, plan);
        }
        counters.end_batch(plan);
    }

    /// Takes in what a cluster reader's delta says this partition's reader did: its newest
    /// event time, its statistics, the request ids it saw first (remembered as its reader
    /// remembered them) and the position it reached.
    pub fn absorb(
        &mut self,
        newest_us: Option<i64>,
        stats: &ShardStats,
        ids: &[(i64, u64)],
        next_offset: u64,
        plan: &Plan,
    ) {
        if let Some(d) = &plan.window.dedup {
            for &(t, h) in ids {
                let newest = self.newest_us.map_or(t, |n| n.max(t));
                self.dedup.first_sighting_hash(h, t, newest, d);
            }
        }
        self.newest_us = self.newest_us.max(newest_us);
        self.stats.add(stats);
        self.next_offset = next_offset;
    }

    /// A mark of the request ids remembered so far, for [`Shard::dedup_since`].
    pub fn dedup_mark(&self) -> u64 {
        self.dedup.inserted()
    }

    /// The request ids this shard remembered since `mark`, oldest first: what a cluster
    /// reader's delta carries.
    pub fn dedup_since(&self, mark: u64) -> Vec<(i64, u64)> {
        self.dedup.since(mark)
    }

    /// The shard's own state, for a checkpoint.
    pub fn export(&self) -> ShardState {
        ShardState {
            name: self.name.clone(),
            next_offset: self.next_offset,
            newest_us: self.newest_us,
            stats: self.stats,
            dedup: self.dedup.export(),
            directive: self.format_state.saved().map(<[u8]>::to_vec),
            directives: self.directives,
        }
    }

    /// A shard rebuilt from `state`.
    pub fn restore(state: &ShardState) -> Self {
        let mut shard = Shard::new(&state.name);
        shard.next_offset = state.next_offset;
        shard.newest_us = state.newest_us;
        shard.stats = state.stats;
        shard.dedup = Dedup::import(&state.dedup);
        shard.format_state = LineState::restore(state.directive.as_deref());
        shard.directives = state.directives;
        shard
    }
}

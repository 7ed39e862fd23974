//! One shard: the window state of one source partition, owned by the thread reading it.
//!
//! The reading thread takes the shard's lock once per batch and applies every event with
//! [`Shard::apply`]; readers lock it briefly to sum windows. Per event nothing allocates and
//! nothing shared is touched. Events further in the future than the configured bound, or
//! older than anything any window can still report, are counted and dropped.

use crate::classify::{Classifier, Outcome};
use crate::decode::{DecodeError, Event};

use super::Plan;
use super::dedup::Dedup;
use super::latency::{LatencyBucketState, LatencyRing};
use super::ring::{SloCounters, TierState};
use super::split::{SplitShard, SplitShardState};

/// The state of one SLO in one shard, in a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SloState {
    /// `service/slo`.
    pub id: String,
    /// Retained buckets per tier.
    pub tiers: Vec<TierState>,
    /// Lifetime `[good, bad]`.
    pub lifetime: [u64; 2],
}

/// The whole state of one shard (one partition), in a checkpoint: separable, so that it can
/// follow its partition.
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
    /// Per SLO.
    pub slos: Vec<SloState>,
    /// Per service: its latency histograms.
    pub latency: Vec<(String, Vec<LatencyBucketState>)>,
    /// Request ids remembered for de-duplication: `(event time, hash)`, oldest first.
    pub dedup: Vec<(i64, u64)>,
    /// Per service split by host: its sub-services (see [`super::split`]).
    pub split: Vec<SplitShardState>,
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

/// Which counters of a shard an SLO entry reads: a configured SLO's, or one sub-service's
/// copy of it (see [`super::split`]).
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

/// Window state of one partition.
#[derive(Debug)]
pub struct Shard {
    name: String,
    slos: Vec<SloCounters>,
    /// Lifetime good/bad per SLO, for `slipstream_slo_events_total`.
    lifetime: Vec<[u64; 2]>,
    latency: Vec<LatencyRing>,
    newest_us: Option<i64>,
    dedup: Dedup,
    /// Per split service, by [`Plan::splits`] index.
    split: Vec<SplitShard>,
    /// Counters of what this shard was given.
    pub stats: ShardStats,
    /// Source position just past the last applied line.
    pub next_offset: u64,
    /// Whether the partition is being read (not checkpointed).
    pub activity: Activity,
}

impl Shard {
    /// An empty shard named `name` (the partition's name in logs and metrics).
    pub fn new(name: &str, plan: &Plan) -> Self {
        Self {
            name: name.to_string(),
            slos: plan.layouts.iter().map(SloCounters::new).collect(),
            lifetime: vec![[0; 2]; plan.layouts.len()],
            latency: (0..plan.services).map(|_| LatencyRing::new()).collect(),
            newest_us: None,
            dedup: Dedup::default(),
            split: plan.splits.iter().map(SplitShard::new).collect(),
            stats: ShardStats::default(),
            next_offset: 0,
            activity: Activity::default(),
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

    /// The counters of SLO `slo`.
    pub fn slo(&self, slo: usize) -> &SloCounters {
        &self.slos[slo]
    }

    /// Lifetime `[good, bad]` events of SLO `slo`.
    pub fn lifetime(&self, slo: usize) -> [u64; 2] {
        self.lifetime[slo]
    }

    /// The counters `of` names; `None` for a sub-service without events in this shard.
    pub fn counters(&self, of: CountersOf) -> Option<&SloCounters> {
        match of {
            CountersOf::Slo(slo) => self.slos.get(slo),
            CountersOf::Sub {
                split, pos, slot, ..
            } => self.split.get(split)?.slot(slot).map(|s| s.slo(pos)),
        }
    }

    /// The sub-services of split `split` (a [`Plan::splits`] index).
    pub fn split(&self, split: usize) -> &SplitShard {
        &self.split[split]
    }

    /// The latency histograms of service `service`.
    pub fn latency(&self, service: usize) -> &LatencyRing {
        &self.latency[service]
    }

    /// Applies one decoded event. `latest_allowed_us` is the newest event time accepted
    /// (wall clock plus the future bound); `plan` says how far behind this shard's newest
    /// event an event may be and still land in some window, and whether to de-duplicate.
    pub fn apply(
        &mut self,
        event: &Event<'_>,
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
            && !event.request_id.is_empty()
            && !self.dedup.first_sighting(event.request_id, t, newest, d)
        {
            self.stats.duplicates += 1;
            return;
        }
        self.newest_us = Some(newest);
        let Some(service) = classifier.service_of(event) else {
            self.stats.unmatched += 1;
            return;
        };
        self.stats.applied += 1;
        if !plan.splits.is_empty()
            && let Some(k) = plan.split_of(service)
        {
            self.split[k].apply(&plan.splits[k], &plan.layouts, event, classifier);
            return;
        }
        for &slo in classifier.slos_of(service) {
            let good = match classifier.rules()[slo].outcome(event) {
                Outcome::Good => true,
                Outcome::Bad => false,
                Outcome::Excluded => continue,
            };
            self.slos[slo].add(t, good);
            self.lifetime[slo][usize::from(!good)] += 1;
        }
        if let (Some(l), false) = (event.latency_us, event.long_lived) {
            self.latency[service].record(t, l);
        }
    }

    /// The shard's whole state, for a checkpoint. `slo_ids` and `services` name the SLOs and
    /// services by index, so the state can be restored under a changed configuration. Without
    /// the sub-services of split services: see [`Shard::export_with`].
    pub fn export(&self, slo_ids: &[String], services: &[String]) -> ShardState {
        self.export_with(slo_ids, services, &[])
    }

    /// [`Shard::export`] with the sub-services of `splits` (the shard's [`Plan::splits`]).
    pub fn export_with(
        &self,
        slo_ids: &[String],
        services: &[String],
        splits: &[super::SplitPlan],
    ) -> ShardState {
        ShardState {
            name: self.name.clone(),
            next_offset: self.next_offset,
            newest_us: self.newest_us,
            stats: self.stats,
            slos: slo_ids
                .iter()
                .zip(self.slos.iter().zip(&self.lifetime))
                .map(|(id, (c, lifetime))| SloState {
                    id: id.clone(),
                    tiers: c.export(),
                    lifetime: *lifetime,
                })
                .collect(),
            latency: services
                .iter()
                .zip(&self.latency)
                .map(|(s, l)| (s.clone(), l.export()))
                .collect(),
            dedup: self.dedup.export(),
            split: splits
                .iter()
                .zip(&self.split)
                .map(|(plan, state)| state.export(plan, slo_ids))
                .collect(),
        }
    }

    /// A shard rebuilt from `state` under `plan`. SLOs and services are matched by name;
    /// state of ones no longer configured is dropped, new ones start empty. Sub-services of
    /// split services are matched by service and host name through the plan's host tables,
    /// which must hold the restored assignment already.
    pub fn restore(
        state: &ShardState,
        plan: &Plan,
        slo_ids: &[String],
        services: &[String],
    ) -> Self {
        let mut shard = Shard::new(&state.name, plan);
        shard.next_offset = state.next_offset;
        shard.newest_us = state.newest_us;
        shard.stats = state.stats;
        shard.dedup = Dedup::import(&state.dedup);
        for saved in &state.slos {
            if let Some(i) = slo_ids.iter().position(|id| *id == saved.id) {
                shard.slos[i].import(&saved.tiers);
                shard.lifetime[i] = saved.lifetime;
            }
        }
        for (service, buckets) in &state.latency {
            if let Some(i) = services.iter().position(|s| s == service) {
                shard.latency[i].import(buckets);
            }
        }
        for saved in &state.split {
            if let Some(k) = plan
                .splits
                .iter()
                .position(|s| s.table.service() == saved.service)
            {
                shard.split[k].import(saved, &plan.splits[k], &plan.layouts, slo_ids);
            }
        }
        shard
    }
}

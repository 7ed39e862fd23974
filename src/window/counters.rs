//! The counts of every SLO, one copy per instance, whatever the number of partitions read:
//! tiered counters and lifetime totals per SLO, latency histograms and capacity counts per
//! service (split by host or not), and the sub-services of services split by host.
//!
//! A [`Shard`](super::Shard) (one per partition) decides whether an event counts (future
//! bound, retention behind its partition's newest event, de-duplication) and adds it here;
//! evaluation sums windows from here alone. A composite SLO has counters of its own: whatever
//! one of its components is given (an event, or a cluster delta's summed counts) is added to
//! it too, each event counting its units ([`Plan::feeds`]), so it is read, checkpointed and
//! restored like any SLO. The store holds one [`Counters`] behind a lock
//! that a batch takes after its shard's, so a checkpoint that holds every shard sees counts
//! and positions of one moment.

use crate::classify::Classifier;

mod adjusted;
pub use adjusted::AdjustedState;

use super::Plan;
use super::attribution::{AttributionRing, AttributionShape, BatchSums};
use super::canary::CanaryRing;
use super::capacity::{CapacityRing, CapacityState};
use super::decided::Decided;
use super::latency::{LatencyBucketState, LatencyRing};
use super::ring::{SloCounters, TierState};
use super::shard::CountersOf;
use super::split::{SplitPlan, SplitShard, SplitShardState};

/// Where a [`Shard`](super::Shard) adds the events it accepts: the [`Counters`] themselves,
/// or a cluster reader's delta (counts summed per second, applied to the counters later).
pub trait Tally {
    /// Adds `event`, which belongs to service `service` (whose SLOs `classifier` names).
    fn add(&mut self, service: usize, event: &Decided<'_>, classifier: &Classifier, plan: &Plan);

    /// Ends a batch of [`add`](Self::add)s: counts what they held back to count once per
    /// batch (burn attribution, [`BatchSums`]). Whoever adds calls it before the counts are
    /// read or handed on, with the same `plan`.
    fn end_batch(&mut self, plan: &Plan);
}

impl Tally for Counters {
    fn add(&mut self, service: usize, event: &Decided<'_>, classifier: &Classifier, plan: &Plan) {
        Counters::add(self, service, event, classifier, plan);
    }

    fn end_batch(&mut self, plan: &Plan) {
        flush_attribution(&mut self.sums, &mut self.attribution, plan);
    }
}

/// The state of one SLO, in a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SloState {
    /// `service/slo`.
    pub id: String,
    /// Retained buckets per tier.
    pub tiers: Vec<TierState>,
    /// Lifetime `[good, bad]`.
    pub lifetime: [u64; 2],
    /// Daily history: `(local day, good, total)` for each kept day with events, oldest
    /// first (see [`super::history`]); empty when none is kept.
    pub history: Vec<(i64, u64, u64)>,
}

/// Every count, in a checkpoint. Restoring adds, so sections that name the same SLO (the
/// per-partition copies of a version 4 checkpoint) merge into one.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CountersState {
    /// Per SLO.
    pub slos: Vec<SloState>,
    /// Per service: its latency histograms.
    pub latency: Vec<(String, Vec<LatencyBucketState>)>,
    /// Per service split by host: its sub-services (see [`super::split`]).
    pub split: Vec<SplitShardState>,
    /// Per service: its requests per minute and hour (see [`super::capacity`]).
    pub capacity: Vec<(String, CapacityState)>,
}

/// Each service's burn attribution and canary counts, in a checkpoint: under the keys of
/// [`Plan::ring_keys`](super::Plan::ring_keys), so they are restored only into a service
/// that counts alike (same service, SLOs and settings).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RingsState {
    /// `(key, minutes)` per service with burn attribution.
    pub attribution: Vec<(u64, super::AttributionState)>,
    /// `(key, minutes)` per service with canary counts.
    pub canary: Vec<(u64, super::CanaryState)>,
}

/// The counts of every SLO and service.
#[derive(Debug)]
pub struct Counters {
    slos: Vec<SloCounters>,
    /// Lifetime good/bad per SLO, for `slipstream_slo_events_total`.
    lifetime: Vec<[u64; 2]>,
    latency: Vec<LatencyRing>,
    /// Per split service, by [`Plan::splits`] index.
    split: Vec<SplitShard>,
    /// Per service, split by host or not.
    capacity: Vec<CapacityRing>,
    /// Per service: its burn attribution (with `spec.attribution`; made at its first event).
    attribution: Vec<Option<AttributionRing>>,
    /// The batch's burn attribution, until [`Tally::end_batch`] counts it.
    sums: BatchSums,
    /// Per service: its canary and baseline counts (with `canary`; made at its first
    /// variant event).
    canary: Vec<Option<CanaryRing>>,
    /// Per SLO: the composite SLOs its counts are also added to, with their units
    /// ([`Plan::feeds`]).
    feeds: Vec<Vec<(usize, u64)>>,
}

impl Counters {
    /// Empty counters shaped by `plan`.
    pub fn new(plan: &Plan) -> Self {
        Self {
            slos: plan.layouts.iter().map(SloCounters::new).collect(),
            lifetime: vec![[0; 2]; plan.layouts.len()],
            latency: (0..plan.services).map(|_| LatencyRing::new()).collect(),
            split: plan.splits.iter().map(SplitShard::new).collect(),
            capacity: (0..plan.services).map(|_| CapacityRing::new()).collect(),
            attribution: (0..plan.services).map(|_| None).collect(),
            sums: BatchSums::new(),
            canary: (0..plan.services).map(|_| None).collect(),
            feeds: plan.feeds.clone(),
        }
    }

    /// The counters of SLO `slo`.
    pub fn slo(&self, slo: usize) -> &SloCounters {
        &self.slos[slo]
    }

    /// Lifetime `[good, bad]` events of SLO `slo`.
    pub fn lifetime(&self, slo: usize) -> [u64; 2] {
        self.lifetime[slo]
    }

    /// The counters `of` names; `None` for a sub-service without events yet.
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

    /// The requests per minute and hour of service `service`.
    pub fn capacity(&self, service: usize) -> &CapacityRing {
        &self.capacity[service]
    }

    /// The burn attribution of service `service`; `None` when attribution is off or the
    /// service had no event yet.
    pub fn attribution(&self, service: usize) -> Option<&AttributionRing> {
        self.attribution.get(service)?.as_ref()
    }

    /// The canary and baseline counts of service `service`; `None` without a canary
    /// comparison or before its first variant event.
    pub fn canary(&self, service: usize) -> Option<&CanaryRing> {
        self.canary.get(service)?.as_ref()
    }

    /// Merges `minutes` (a cluster delta's or a checkpoint's, counted for this service's
    /// SLOs under its canary comparison) into service `service`'s canary counts.
    pub fn merge_canary(
        &mut self,
        service: usize,
        plan: &Plan,
        minutes: &[super::CanaryMinute],
    ) -> Result<(), super::CanaryError> {
        let (Some(c), Some(slot), Some(first)) = (
            plan.canary_of(service),
            self.canary.get_mut(service),
            minutes.first(),
        ) else {
            return Ok(());
        };
        let ring = slot.get_or_insert_with(|| {
            CanaryRing::new(plan.canary_minutes(c), first.sides[0].slos.len())
        });
        minutes.iter().try_for_each(|m| ring.merge_minute(m))
    }

    /// Every service's burn attribution and canary counts, for a checkpoint, under
    /// `plan`'s keys.
    pub fn export_rings(&self, plan: &Plan) -> RingsState {
        let keyed = |keys: &[Option<u64>], s: usize| keys.get(s).copied().flatten();
        RingsState {
            attribution: (0..self.attribution.len())
                .filter_map(|s| {
                    Some((
                        keyed(&plan.ring_keys.attribution, s)?,
                        self.attribution(s)?.export(),
                    ))
                })
                .collect(),
            canary: (0..self.canary.len())
                .filter_map(|s| Some((keyed(&plan.ring_keys.canary, s)?, self.canary(s)?.export())))
                .collect(),
        }
    }

    /// Adds `state` under `plan`: each saved ring to the service whose key it has; a ring of
    /// another key (a service, SLOs or settings changed) is left out. Returns how many were.
    pub fn import_rings(&mut self, state: &RingsState, plan: &Plan) -> usize {
        let find = |keys: &[Option<u64>], key: u64| keys.iter().position(|k| *k == Some(key));
        let mut left_out = 0;
        for (key, saved) in &state.attribution {
            let merged = find(&plan.ring_keys.attribution, *key)
                .map(|s| self.merge_attribution(s, plan, &saved.minutes));
            left_out += usize::from(!matches!(merged, Some(Ok(()))));
        }
        for (key, saved) in &state.canary {
            let merged = find(&plan.ring_keys.canary, *key)
                .map(|s| self.merge_canary(s, plan, &saved.minutes));
            left_out += usize::from(!matches!(merged, Some(Ok(()))));
        }
        left_out
    }

    /// Gives service `service` the canary counts `ring` (a reload carries them over).
    pub fn put_canary(&mut self, service: usize, ring: CanaryRing) {
        if let Some(slot) = self.canary.get_mut(service) {
            *slot = Some(ring);
        }
    }

    /// Merges `minutes` (a cluster delta's, counted under this plan's attribution settings
    /// for this service's SLOs) into service `service`'s burn attribution.
    pub fn merge_attribution(
        &mut self,
        service: usize,
        plan: &Plan,
        minutes: &[super::AttributionMinute],
    ) -> Result<(), super::AttributionError> {
        let (Some(a), Some(slot), Some(first)) = (
            &plan.attribution,
            self.attribution.get_mut(service),
            minutes.first(),
        ) else {
            return Ok(());
        };
        let ring = slot.get_or_insert_with(|| ring_for(plan, a, first.slos.len()));
        minutes.iter().try_for_each(|m| ring.merge_minute(m))
    }

    /// Gives service `service` the burn attribution `ring` (a reload carries one over).
    pub fn put_attribution(&mut self, service: usize, ring: AttributionRing) {
        if let Some(slot) = self.attribution.get_mut(service) {
            *slot = Some(ring);
        }
    }

    /// Counts `requests` requests of service `service` in the minute that starts at
    /// `minute_start_us`, `measured` of them with latencies summing to `latency_sum_us`
    /// (summed counts, a cluster's deltas): what as many single events do.
    pub fn record_capacity(
        &mut self,
        service: usize,
        minute_start_us: i64,
        requests: u64,
        measured: u64,
        latency_sum_us: u64,
    ) {
        self.capacity[service].record_sums(minute_start_us, requests, measured, latency_sum_us);
    }

    /// Adds `good` of `total` events at `time_us` to SLO `slo` (summed counts, a cluster's
    /// deltas): what `total` single events do.
    pub fn add_counts(&mut self, slo: usize, time_us: i64, good: u64, total: u64) {
        self.count(slo, time_us, good, total);
        self.feed(slo, time_us, good, total);
    }

    /// Adds `good` of `total` events at `time_us` to SLO `slo` and its lifetime totals.
    fn count(&mut self, slo: usize, time_us: i64, good: u64, total: u64) {
        let c = self.slos[slo].add_counts(time_us, good, total);
        self.lifetime[slo][0] += c.good;
        self.lifetime[slo][1] += c.bad();
    }

    /// Adds what component SLO `slo` was given (`good` of `total` events at `time_us`, as
    /// decided: before its own budget adjustments, which are its own) to every composite SLO
    /// it is part of, each event counting its units there.
    fn feed(&mut self, slo: usize, time_us: i64, good: u64, total: u64) {
        let Some(feeds) = self.feeds.get(slo) else {
            return;
        };
        for i in 0..feeds.len() {
            let (composite, units) = self.feeds[slo][i];
            self.count(
                composite,
                time_us,
                good.saturating_mul(units),
                total.saturating_mul(units),
            );
        }
    }

    /// Records `count` latencies of `latency_us` at `time_us` for service `service`.
    pub fn record_latency(&mut self, service: usize, time_us: i64, latency_us: i64, count: u64) {
        self.latency[service].record_n(time_us, latency_us, count);
    }

    /// The sub-services of split `split`, to add summed counts to.
    pub fn split_mut(&mut self, split: usize) -> &mut SplitShard {
        &mut self.split[split]
    }

    /// Adds `event`, which belongs to service `service`, to that service's capacity counts,
    /// and to its SLOs and latencies (or its host's sub-service).
    pub(super) fn add(
        &mut self,
        service: usize,
        event: &Decided<'_>,
        classifier: &Classifier,
        plan: &Plan,
    ) {
        self.capacity[service].record(event.time_us, event.latency_us);
        add_attribution(&mut self.sums, &mut self.attribution, plan, service, event);
        record_canary(&mut self.canary[service], plan, service, event);
        if let Some(k) = event.split {
            self.split[k].apply(&plan.splits[k], &plan.layouts, event);
            return;
        }
        let t = event.time_us;
        for (&slo, &outcome) in classifier.slos_of(service).iter().zip(event.outcomes) {
            let Some(good) = outcome.good() else {
                continue;
            };
            let good = u64::from(good);
            self.count(slo, t, good, 1);
            self.feed(slo, t, good, 1);
        }
        if let Some(l) = event.latency_us {
            self.latency[service].record(t, l);
        }
    }

    /// Every count, for a checkpoint. `slo_ids` and `services` name the SLOs and services by
    /// index, so the state can be restored under a changed configuration; `splits` are the
    /// plan's split services.
    pub fn export(
        &self,
        slo_ids: &[String],
        services: &[String],
        splits: &[SplitPlan],
    ) -> CountersState {
        CountersState {
            slos: slo_ids
                .iter()
                .zip(self.slos.iter().zip(&self.lifetime))
                .map(|(id, (c, lifetime))| SloState {
                    id: id.clone(),
                    tiers: c.export(),
                    lifetime: *lifetime,
                    history: c.export_history(),
                })
                .collect(),
            latency: services
                .iter()
                .zip(&self.latency)
                .map(|(s, l)| (s.clone(), l.export()))
                .collect(),
            split: splits
                .iter()
                .zip(&self.split)
                .map(|(plan, state)| state.export(plan, slo_ids))
                .collect(),
            capacity: services
                .iter()
                .zip(&self.capacity)
                .map(|(s, c)| (s.clone(), c.export()))
                .collect(),
        }
    }

    /// Adds `state` under `plan`. SLOs and services are matched by name; state of ones no
    /// longer configured is dropped. Sub-services of split services are matched by service
    /// and host name through the plan's host tables, which must hold the restored assignment
    /// already.
    pub fn import(
        &mut self,
        state: &CountersState,
        plan: &Plan,
        slo_ids: &[String],
        services: &[String],
    ) {
        for saved in &state.slos {
            if let Some(i) = slo_ids.iter().position(|id| *id == saved.id) {
                self.slos[i].import(&saved.tiers);
                self.slos[i].import_history(&saved.history);
                for (total, add) in self.lifetime[i].iter_mut().zip(saved.lifetime) {
                    *total += add;
                }
            }
        }
        for (service, buckets) in &state.latency {
            if let Some(i) = services.iter().position(|s| s == service) {
                self.latency[i].import(buckets);
            }
        }
        for (service, saved) in &state.capacity {
            if let Some(i) = services.iter().position(|s| s == service) {
                self.capacity[i].import(saved);
            }
        }
        for saved in &state.split {
            if let Some(k) = plan
                .splits
                .iter()
                .position(|s| s.table.service() == saved.service)
            {
                self.split[k].import(saved, &plan.splits[k], &plan.layouts, slo_ids);
            }
        }
    }
}

/// An empty attribution ring for a service with `slos` SLOs under `plan`'s settings `a`.
fn ring_for(
    plan: &Plan,
    a: &crate::classify::attribution::AttributionConfig,
    slos: usize,
) -> AttributionRing {
    AttributionRing::new(AttributionShape {
        minutes: plan.attribution_minutes(a),
        dims: a.dims.len(),
        slos,
        keys_per_table: a.keys_per_minute,
    })
}

/// Adds `event` of service `service` to the batch's attribution `sums` when `plan`
/// attributes (flushing them into `rings` when full).
pub fn add_attribution(
    sums: &mut BatchSums,
    rings: &mut Vec<Option<AttributionRing>>,
    plan: &Plan,
    service: usize,
    event: &Decided<'_>,
) {
    if plan.attribution.is_none() {
        return;
    }
    if sums.is_full() {
        flush_attribution(sums, rings, plan);
    }
    sums.add(service, event);
}

/// Counts the batch's attribution `sums` into each service's ring in `rings` (made at its
/// first sum under `plan`'s settings).
pub fn flush_attribution(
    sums: &mut BatchSums,
    rings: &mut Vec<Option<AttributionRing>>,
    plan: &Plan,
) {
    if let Some(a) = &plan.attribution
        && !sums.is_empty()
    {
        sums.flush(rings, |slos| ring_for(plan, a, slos));
    }
}

/// Counts `event` of service `service` in its canary counts `slot` (made at its first
/// variant event) when `plan` compares a canary for the service and the event is one of
/// its variants.
pub fn record_canary(
    slot: &mut Option<CanaryRing>,
    plan: &Plan,
    service: usize,
    event: &Decided<'_>,
) {
    let (Some(v), Some(c)) = (event.variant, plan.canary_of(service)) else {
        return;
    };
    slot.get_or_insert_with(|| CanaryRing::new(plan.canary_minutes(c), event.outcomes.len()))
        .record(
            event.time_us,
            v,
            crate::classify::StatusSet::SERVER_ERRORS.contains(event.status),
            event.outcomes,
            event.latency_us,
        );
}

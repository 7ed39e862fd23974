//! Deltas: what a raw partition's owner counted, summed per second, and how the fold adds
//! them to the one copy of the counts.
//!
//! The owner runs every line through the same ingest path and [`Shard::apply`] as a single
//! instance, with a [`DeltaBuilder`] in place of the counters: it sums, per SLO and second,
//! the good and total events; per service, latencies by histogram bucket; per host of a
//! service split by host, both; per service (split or not) and minute, the requests, those
//! with a latency and their latencies' sum; and with `spec.attribution`, each service's
//! attribution minutes (tables that merge by adding, named by a fingerprint of the service,
//! its SLOs and the settings); and each canary comparison's minutes (named likewise by a
//! fingerprint of the service, its SLOs and the comparison). [`add_to`] adds a delta to
//! [`Counters`] as those events one by one would: a ring's buckets are whole seconds or
//! wider, a latency is recorded as the lowest value of its histogram bucket, which lands in
//! the same bucket, and capacity counts are kept per minute.
//!
//! [`Shard::apply`]: crate::window::Shard::apply

use std::collections::HashMap;

use hdrhistogram::Histogram;

use super::fingerprint::Fingerprints;
use super::record::{
    AttributionCounts, CanaryCounts, CapacityCounts, Delta, HostCounts, LatencyCounts, SloCounts,
};
use crate::classify::Classifier;
use crate::time::{MINUTE, SECOND};
use crate::window::latency::{MAX_LATENCY_US, empty_histogram};
use crate::window::{
    AttributionRing, BatchSums, CanaryRing, Counters, Decided, Plan, Tally, add_attribution,
    flush_attribution, host_key, record_canary,
};

/// Counts per `(slo or position, second)`: `[good, total]`.
type Seconds = HashMap<(usize, i64), [u64; 2]>;
/// Latency counts per `(service, second, latency)`.
type Latencies = HashMap<(usize, i64, i64), u64>;
/// Capacity counts per `(service, minute)`: `[requests, measured, latency sum µs]`.
type Capacity = HashMap<(usize, i64), [u64; 3]>;

/// One host's sums in a split service.
#[derive(Debug, Default)]
struct HostSums {
    events: u64,
    /// By position among the split's SLOs.
    slos: Seconds,
    /// Service index unused (0).
    latency: Latencies,
}

/// Sums the events one owner accepted since its last delta.
#[derive(Debug)]
pub struct DeltaBuilder {
    slos: Seconds,
    latency: Latencies,
    capacity: Capacity,
    /// Per service (by index, grown as needed): its burn attribution since the last delta.
    attribution: Vec<Option<AttributionRing>>,
    /// The batch's burn attribution, until [`Tally::end_batch`] counts it.
    sums: BatchSums,
    /// Per service (by index, grown as needed): its canary counts since the last delta.
    canary: Vec<Option<CanaryRing>>,
    /// Per split: host key → index in `hosts`, which keeps the order of first arrival.
    host_index: HashMap<usize, HashMap<Box<[u8]>, usize>>,
    hosts: Vec<(usize, Vec<u8>, HostSums)>,
    events: u64,
    /// Rounds a latency to the lowest value of its histogram bucket.
    buckets: Histogram<u64>,
    key: Vec<u8>,
}

impl Default for DeltaBuilder {
    fn default() -> Self {
        Self {
            slos: HashMap::new(),
            latency: HashMap::new(),
            capacity: HashMap::new(),
            attribution: Vec::new(),
            sums: BatchSums::new(),
            canary: Vec::new(),
            host_index: HashMap::new(),
            hosts: Vec::new(),
            events: 0,
            buckets: empty_histogram(),
            key: Vec::new(),
        }
    }
}

fn add_latency(map: &mut Latencies, buckets: &Histogram<u64>, service: usize, event: &Decided<'_>) {
    if let Some(l) = event.latency_us {
        let value = buckets.lowest_equivalent(l.clamp(1, MAX_LATENCY_US as i64) as u64);
        let second = event.time_us.div_euclid(SECOND);
        *map.entry((service, second, value as i64)).or_default() += 1;
    }
}

fn add_outcome(map: &mut Seconds, key: usize, second: i64, good: bool) {
    let c = map.entry((key, second)).or_default();
    c[0] += u64::from(good);
    c[1] += 1;
}

impl Tally for DeltaBuilder {
    fn add(&mut self, service: usize, event: &Decided<'_>, classifier: &Classifier, plan: &Plan) {
        self.events += 1;
        add_attribution(&mut self.sums, &mut self.attribution, plan, service, event);
        if event.variant.is_some() {
            if self.canary.len() <= service {
                self.canary.resize_with(service + 1, || None);
            }
            record_canary(&mut self.canary[service], plan, service, event);
        }
        let minute = event.time_us.div_euclid(MINUTE);
        let c = self.capacity.entry((service, minute)).or_default();
        c[0] += 1;
        if let Some(l) = event.latency_us {
            // As the capacity ring counts it: a negative latency as 0.
            c[1] += 1;
            c[2] = c[2].saturating_add(u64::try_from(l).unwrap_or(0));
        }
        let second = event.time_us.div_euclid(SECOND);
        if let Some(k) = event.split {
            host_key(event.host, &mut self.key);
            let index = self.host_index.entry(k).or_default();
            let i = match index.get(self.key.as_slice()) {
                Some(&i) => i,
                None => {
                    // Allocates once per host and delta, not per event.
                    self.hosts.push((k, self.key.clone(), HostSums::default()));
                    index.insert(self.key.as_slice().into(), self.hosts.len() - 1);
                    self.hosts.len() - 1
                }
            };
            let sums = &mut self.hosts[i].2;
            sums.events += 1;
            for (pos, outcome) in event.outcomes.iter().enumerate() {
                if let Some(good) = outcome.good() {
                    add_outcome(&mut sums.slos, pos, second, good);
                }
            }
            add_latency(&mut sums.latency, &self.buckets, 0, event);
            return;
        }
        for (&slo, outcome) in classifier.slos_of(service).iter().zip(event.outcomes) {
            if let Some(good) = outcome.good() {
                add_outcome(&mut self.slos, slo, second, good);
            }
        }
        add_latency(&mut self.latency, &self.buckets, service, event);
    }

    fn end_batch(&mut self, plan: &Plan) {
        flush_attribution(&mut self.sums, &mut self.attribution, plan);
    }
}

/// `[good, total]` per key and second, as [`SloCounts`] named by `name(key)`, by second.
fn slo_counts(sums: Seconds, name: impl Fn(usize) -> u64) -> Vec<SloCounts> {
    let mut by_key: HashMap<usize, Vec<(i64, u64, u64)>> = HashMap::new();
    for ((key, second), [good, total]) in sums {
        by_key.entry(key).or_default().push((second, good, total));
    }
    let mut out: Vec<SloCounts> = by_key
        .into_iter()
        .map(|(key, mut seconds)| {
            seconds.sort_unstable();
            SloCounts {
                slo: name(key),
                seconds,
            }
        })
        .collect();
    out.sort_unstable_by_key(|c| c.slo);
    out
}

fn latency_values(sums: Latencies) -> HashMap<usize, Vec<(i64, i64, u64)>> {
    let mut by_service: HashMap<usize, Vec<(i64, i64, u64)>> = HashMap::new();
    for ((service, second, value), count) in sums {
        by_service
            .entry(service)
            .or_default()
            .push((second, value, count));
    }
    for values in by_service.values_mut() {
        values.sort_unstable();
    }
    by_service
}

impl DeltaBuilder {
    /// Events summed since the last [`DeltaBuilder::take`].
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Moves the sums into `delta`, naming SLOs and services by their fingerprints in
    /// `fingerprints` (of the configuration the events were classified with), and starts
    /// again empty.
    pub fn take(&mut self, delta: &mut Delta, fingerprints: &Fingerprints, plan: &Plan) {
        // A batch's attribution is counted when it ends; one that did not is counted now.
        self.end_batch(plan);
        delta.slos = slo_counts(std::mem::take(&mut self.slos), |slo| fingerprints.slos[slo]);
        let mut latency: Vec<LatencyCounts> = latency_values(std::mem::take(&mut self.latency))
            .into_iter()
            .map(|(service, values)| LatencyCounts {
                service: fingerprints.services[service],
                values,
            })
            .collect();
        latency.sort_unstable_by_key(|l| l.service);
        delta.latency = latency;
        let mut capacity: HashMap<usize, Vec<(i64, u64, u64, u64)>> = HashMap::new();
        for ((service, minute), [requests, measured, sum]) in std::mem::take(&mut self.capacity) {
            capacity
                .entry(service)
                .or_default()
                .push((minute, requests, measured, sum));
        }
        let mut capacity: Vec<CapacityCounts> = capacity
            .into_iter()
            .map(|(service, mut minutes)| {
                minutes.sort_unstable();
                CapacityCounts {
                    service: fingerprints.services[service],
                    minutes,
                }
            })
            .collect();
        capacity.sort_unstable_by_key(|c| c.service);
        delta.capacity = capacity;
        delta.attribution = self
            .attribution
            .iter_mut()
            .enumerate()
            .filter_map(|(service, ring)| {
                let ring = ring.take()?;
                Some(AttributionCounts {
                    fingerprint: fingerprints.attribution.get(service).copied().flatten()?,
                    minutes: ring.export().minutes,
                })
            })
            .collect();
        delta.canary = self
            .canary
            .iter_mut()
            .enumerate()
            .filter_map(|(service, ring)| {
                let ring = ring.take()?;
                Some(CanaryCounts {
                    fingerprint: fingerprints.canary.get(service).copied().flatten()?,
                    minutes: ring.export().minutes,
                })
            })
            .collect();
        delta.hosts = std::mem::take(&mut self.hosts)
            .into_iter()
            .map(|(k, host, sums)| {
                let split = &plan.splits[k];
                HostCounts {
                    service: fingerprints.services[split.service],
                    host,
                    events: sums.events,
                    slos: slo_counts(sums.slos, |pos| fingerprints.slos[split.slos[pos]]),
                    latency: latency_values(sums.latency)
                        .into_values()
                        .next()
                        .unwrap_or_default(),
                }
            })
            .collect();
        self.host_index.clear();
        self.events = 0;
    }
}

/// What [`add_to`] could not apply: counts of SLOs or services whose fingerprint this
/// configuration does not have (a member that counts them differently).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Foreign {
    /// SLO sections skipped.
    pub slos: u64,
    /// Service (latency, capacity or host) sections skipped.
    pub services: u64,
}

/// Adds `delta`'s counts to `counters` (shaped by `plan`, whose configuration has
/// `fingerprints`), as its events one by one would.
pub fn add_to(
    counters: &mut Counters,
    plan: &Plan,
    fingerprints: &Fingerprints,
    delta: &Delta,
) -> Foreign {
    let mut foreign = Foreign::default();
    for c in &delta.slos {
        let Some(slo) = fingerprints.slo(c.slo) else {
            foreign.slos += 1;
            continue;
        };
        for &(second, good, total) in &c.seconds {
            counters.add_counts(slo, second.saturating_mul(SECOND), good, total);
        }
    }
    for l in &delta.latency {
        let Some(service) = fingerprints.service(l.service) else {
            foreign.services += 1;
            continue;
        };
        for &(second, value, count) in &l.values {
            counters.record_latency(service, second.saturating_mul(SECOND), value, count);
        }
    }
    for c in &delta.capacity {
        let Some(service) = fingerprints.service(c.service) else {
            foreign.services += 1;
            continue;
        };
        for &(minute, requests, measured, sum) in &c.minutes {
            counters.record_capacity(
                service,
                minute.saturating_mul(MINUTE),
                requests,
                measured,
                sum,
            );
        }
    }
    for a in &delta.attribution {
        let merged = fingerprints
            .attribution_service(a.fingerprint)
            .map(|service| counters.merge_attribution(service, plan, &a.minutes));
        if !matches!(merged, Some(Ok(()))) {
            foreign.services += 1;
        }
    }
    for c in &delta.canary {
        let merged = fingerprints
            .canary_service(c.fingerprint)
            .map(|service| counters.merge_canary(service, plan, &c.minutes));
        if !matches!(merged, Some(Ok(()))) {
            foreign.services += 1;
        }
    }
    for h in &delta.hosts {
        add_host(counters, plan, fingerprints, h, &mut foreign);
    }
    foreign
}

/// Adds one host's counts of a service split by host, as [`add_to`] does; sections whose
/// fingerprint this configuration lacks are counted in `foreign`.
fn add_host(
    counters: &mut Counters,
    plan: &Plan,
    fingerprints: &Fingerprints,
    h: &HostCounts,
    foreign: &mut Foreign,
) {
    let Some(k) = fingerprints
        .service(h.service)
        .and_then(|s| plan.split_of(s))
    else {
        foreign.services += 1;
        return;
    };
    let split = &plan.splits[k];
    let mut slos = Vec::new();
    for c in &h.slos {
        let Some(pos) = fingerprints
            .slo(c.slo)
            .and_then(|slo| split.slos.iter().position(|&s| s == slo))
        else {
            foreign.slos += 1;
            continue;
        };
        slos.extend(
            c.seconds
                .iter()
                .map(|&(s, good, total)| (pos, s.saturating_mul(SECOND), good, total)),
        );
    }
    let latencies = h
        .latency
        .iter()
        .map(|&(s, value, count)| (s.saturating_mul(SECOND), value, count));
    counters
        .split_mut(k)
        .add_host_counts(split, &plan.layouts, &h.host, h.events, slos, latencies);
}

#[cfg(test)]
mod tests;

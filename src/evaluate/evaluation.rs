//! Reading the store into an [`Evaluation`]: which report entries to make, their merged
//! counts and latencies, then one [`assess()`](super::assess()) per entry.
//!
//! [`evaluate_where`] runs in three steps. [`entries`] lists the report entries asked for
//! (a configured SLO, or one sub-service's copy of it). A [`Tally`] reads each partition's
//! state, then adds the counters of exactly those entries and reads the latency percentiles
//! of their services (once per service, from the ring's running sum where it can, so no
//! histogram is copied); the counters' lock is held for that only. [`Tally::finish`]
//! assesses each entry and builds the report outside every lock.

use std::sync::Arc;

use hdrhistogram::Histogram;

use super::LATENCY_WINDOW_US;
use super::assess::{WindowText, assess, counts_of, latency_report};
use super::report::{LatencyReport, Report};
use super::{PeriodCounts, SloCounts, SloObjective};
use crate::time::{SECOND, floor_to, format_rfc3339};
use crate::window::latency::{LATENCY_BUCKET_US, LatencyRing};
use crate::window::split::{OVERFLOW_HOST, sub_service_name};
use crate::window::{Counters, CountersOf, Counts, Plan, ShardStats, Store, lock};

/// A whole evaluation: the report plus the counters `/metrics` exposes.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Evaluation time T, µs.
    pub evaluated_at_us: i64,
    /// Window end (T rounded down to a second), µs.
    pub end_us: i64,
    /// The report.
    pub report: Report,
    /// Merged counts per SLO.
    pub counts: Vec<SloCounts>,
    /// Per partition: name, newest event time, next offset, counters.
    pub partitions: Vec<PartitionState>,
    /// What each entry of `report.slos` (and `counts`) measures: a configured objective, or
    /// one sub-service's copy of it (its `service` is then `<service>:<host>`); shared with
    /// the configuration, so an evaluation copies no objective but a sub-service's.
    pub objectives: Vec<Arc<SloObjective>>,
    /// For each entry of `report.slos`, the index of its configured objective.
    pub configured: Vec<usize>,
    /// Per service split by host.
    pub splits: Vec<SplitSummary>,
    /// Every window length of the entries asked for, ascending, with its name (`5m`) as the
    /// reports have it: what `/metrics` labels windows with, found while the entries' counts
    /// were set up rather than by another pass over the SLOs.
    pub windows: Vec<(i64, Arc<str>)>,
}

/// The state of one service split by host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitSummary {
    /// The service.
    pub service: String,
    /// Hosts with their own sub-service.
    pub hosts: usize,
    /// The cap on them.
    pub max_hosts: usize,
    /// Events sent to the overflow sub-service.
    pub overflow_events: u64,
}

/// The state of one partition's shard.
#[derive(Debug, Clone)]
pub struct PartitionState {
    /// Partition name.
    pub name: String,
    /// Newest event time applied, µs.
    pub newest_us: Option<i64>,
    /// Source position just past the last applied line.
    pub next_offset: u64,
    /// What the shard was given.
    pub stats: ShardStats,
    /// True while the partition may hold the evaluation time back (see
    /// [`Store::watermark`](crate::window::Store::watermark)).
    pub active: bool,
    /// Request ids remembered for de-duplication.
    pub dedup_ids: usize,
    /// Directive lines read (W3C `#Fields:`, …): neither events nor decode errors.
    pub directives: u64,
}

/// One report entry: configured objective `objective`, or its copy for one sub-service
/// (split index, position among the split's SLOs, slot).
#[derive(Debug, Clone, Copy)]
struct Entry {
    objective: usize,
    sub: Option<(usize, usize, usize)>,
}

/// Evaluates every SLO against the store at wall-clock time `now_us`.
pub fn evaluate(objectives: &[Arc<SloObjective>], store: &Store, now_us: i64) -> Evaluation {
    evaluate_where(objectives, store, now_us, |_, _| true)
}

/// Evaluates the report entries `(service, slo)` for which `keep` is true (a sub-service is
/// asked for by its `<service>:<host>` name), reading only their counters and latencies: what
/// one SLO's route costs does not grow with the number of SLOs.
pub fn evaluate_where(
    objectives: &[Arc<SloObjective>],
    store: &Store,
    now_us: i64,
    keep: impl Fn(&str, &str) -> bool,
) -> Evaluation {
    let t = store.evaluation_time(now_us);
    let end = floor_to(t, SECOND);
    let plan = store.plan();
    // Hosts are read once: one assigned meanwhile is reported from the next evaluation on.
    let hosts: Vec<Vec<String>> = plan.splits.iter().map(|s| s.table.hosts()).collect();
    let (entries, expanded) = entries(objectives, plan, &hosts, keep);
    let mut tally = Tally::new(plan, &entries, &expanded, end);
    let idle_timeout_us = plan.window.idle_timeout_us;
    for (_, shard) in store.shards() {
        let shard = lock(&shard);
        tally.partitions.push(PartitionState {
            name: shard.name().to_string(),
            newest_us: shard.newest_us(),
            next_offset: shard.next_offset,
            stats: shard.stats,
            active: shard.activity.is_active(now_us, idle_timeout_us),
            dedup_ids: shard.dedup_ids(),
            directives: shard.directives,
        });
    }
    // After the shards, never while holding one: a batch locks its shard, then these.
    tally.add(&store.counters(), &entries, &expanded);
    let mut e = tally.finish(plan, &hosts, entries, expanded);
    super::hold::apply(&mut e.report, store, t);
    e.evaluated_at_us = t;
    e.report.evaluated_at = format_rfc3339(t);
    e.report.data_lag_seconds = (now_us - t).max(0) as f64 / SECOND as f64;
    e
}

/// Evaluates every SLO with window end `end_us` (a whole second) for its alerts: what
/// [`evaluate`] reports at that evaluation time, without latency percentiles or partitions,
/// and with the conditions of held alerts, not their [holds](super::hold) (what the [alert
/// history](crate::alert_history) records at each minute).
pub fn evaluate_alerts_at(
    objectives: &[Arc<SloObjective>],
    store: &Store,
    end_us: i64,
) -> Evaluation {
    let plan = store.plan();
    let hosts: Vec<Vec<String>> = plan.splits.iter().map(|s| s.table.hosts()).collect();
    let (entries, expanded) = entries(objectives, plan, &hosts, |_, _| true);
    let mut tally = Tally::new(plan, &entries, &expanded, end_us);
    for l in tally
        .latency
        .iter_mut()
        .chain(tally.sub_latency.iter_mut().flatten())
    {
        *l = Latency::Unused;
    }
    tally.add(&store.counters(), &entries, &expanded);
    let mut e = tally.finish(plan, &hosts, entries, expanded);
    e.report.evaluated_at = format_rfc3339(end_us);
    e
}

/// The report entries `keep` asks for, each with the objective it measures (a sub-service's
/// copy names the sub-service).
/// The report entries `(service, slo)` for which `keep` is true, in `/v1/slos` order: each
/// configured SLO, or each sub-service's copy of it, with the counters it reads.
pub fn report_entries(
    objectives: &[Arc<SloObjective>],
    plan: &Plan,
    keep: impl Fn(&str, &str) -> bool,
) -> Vec<(Arc<SloObjective>, CountersOf)> {
    let hosts: Vec<Vec<String>> = plan.splits.iter().map(|s| s.table.hosts()).collect();
    let (entries, expanded) = entries(objectives, plan, &hosts, keep);
    entries
        .into_iter()
        .zip(expanded)
        .map(|(e, o)| {
            let of = match e.sub {
                None => CountersOf::Slo(e.objective),
                Some((split, pos, slot)) => CountersOf::Sub {
                    slo: e.objective,
                    split,
                    pos,
                    slot,
                },
            };
            (o, of)
        })
        .collect()
}

fn entries(
    objectives: &[Arc<SloObjective>],
    plan: &Plan,
    hosts: &[Vec<String>],
    keep: impl Fn(&str, &str) -> bool,
) -> (Vec<Entry>, Vec<Arc<SloObjective>>) {
    let mut entries = Vec::with_capacity(objectives.len());
    let mut expanded = Vec::with_capacity(objectives.len());
    for (i, o) in objectives.iter().enumerate() {
        let split = plan.split_of(o.service_index).and_then(|k| {
            let pos = plan.splits[k].slos.iter().position(|&s| s == i)?;
            Some((k, pos))
        });
        let Some((k, pos)) = split else {
            if keep(&o.service, &o.slo) {
                entries.push(Entry {
                    objective: i,
                    sub: None,
                });
                expanded.push(Arc::clone(o));
            }
            continue;
        };
        let overflow = plan.splits[k].table.max_hosts();
        let named = hosts[k].iter().map(String::as_str).enumerate();
        for (slot, host) in named.chain([(overflow, OVERFLOW_HOST)]) {
            let service = sub_service_name(&o.service, host);
            if !keep(&service, &o.slo) {
                continue;
            }
            entries.push(Entry {
                objective: i,
                sub: Some((k, pos, slot)),
            });
            expanded.push(Arc::new(SloObjective {
                service: service.into(),
                ..SloObjective::clone(o)
            }));
        }
    }
    (entries, expanded)
}

/// Counts and latencies of the entries.
#[derive(Debug)]
struct Tally {
    end: i64,
    /// From when latencies are merged, µs.
    latency_from: i64,
    counts: Vec<SloCounts>,
    /// The entries' distinct window lengths, ascending.
    lengths: Vec<i64>,
    /// Per service: whether it is reported, then its latency percentiles.
    latency: Vec<Latency>,
    /// Per split, per slot: the same for each sub-service.
    sub_latency: Vec<Vec<Latency>>,
    /// Where a service's latencies are summed when its ring cannot give its sum directly:
    /// one histogram for all of them (25 KB each would be 62 MB for 2,500 services, zeroed
    /// and read from memory at every evaluation), made when first needed.
    scratch: Option<Histogram<u64>>,
    overflow_seen: Vec<bool>,
    overflow_events: Vec<u64>,
    partitions: Vec<PartitionState>,
}

impl Tally {
    fn new(plan: &Plan, entries: &[Entry], expanded: &[Arc<SloObjective>], end: i64) -> Self {
        // A handful of distinct lengths: each is inserted in order once.
        let mut lengths: Vec<i64> = Vec::new();
        let counts = expanded
            .iter()
            .map(|o| {
                for &w in &o.windows {
                    if let Err(at) = lengths.binary_search(&w) {
                        lengths.insert(at, w);
                    }
                }
                let (start_us, end_us) = o.budget_interval(end);
                SloCounts {
                    windows: vec![Counts::default(); o.windows.len()],
                    lifetime: [0; 2],
                    period: PeriodCounts {
                        start_us,
                        end_us,
                        ..PeriodCounts::default()
                    },
                }
            })
            .collect();
        let mut latency = vec![Latency::Unused; plan.services];
        let mut sub_latency: Vec<Vec<Latency>> = plan
            .splits
            .iter()
            .map(|s| vec![Latency::Unused; s.table.max_hosts() + 1])
            .collect();
        for (entry, o) in entries.iter().zip(expanded) {
            match entry.sub {
                None => latency[o.service_index] = Latency::Wanted,
                Some((k, _, slot)) => sub_latency[k][slot] = Latency::Wanted,
            }
        }
        Self {
            end,
            latency_from: floor_to(end - LATENCY_WINDOW_US, LATENCY_BUCKET_US) + LATENCY_BUCKET_US,
            counts,
            lengths,
            latency,
            sub_latency,
            scratch: None,
            overflow_seen: vec![false; plan.splits.len()],
            overflow_events: vec![0; plan.splits.len()],
            partitions: Vec::new(),
        }
    }

    /// Adds the counters and latencies of the entries.
    fn add(&mut self, all: &Counters, entries: &[Entry], expanded: &[Arc<SloObjective>]) {
        let end = self.end;
        for (e, entry) in entries.iter().enumerate() {
            let o = &expanded[e];
            let (counters, [g, b]) = match entry.sub {
                None => (all.slo(entry.objective), all.lifetime(entry.objective)),
                Some((k, pos, slot)) => match all.split(k).slot(slot) {
                    Some(sub) => (sub.slo(pos), sub.lifetime(pos)),
                    None => continue,
                },
            };
            let c = &mut self.counts[e];
            counters.add_sums(&o.windows, end, &mut c.windows);
            if let Some(width) = o.budget_width_us() {
                let p = &mut c.period;
                p.events += counters.sum_from(p.start_us, p.end_us, width);
                if let Some(slice) = o.budgeting.slice_us() {
                    let slices = counters.slices(p.start_us, p.end_us, slice, width);
                    p.slices.resize(slices.len(), Counts::default());
                    for (total, c) in p.slices.iter_mut().zip(slices) {
                        *total += c;
                    }
                }
            }
            if let Some(crate::evaluate::sla::Sla {
                period: crate::evaluate::sla::SlaPeriod::Calendar(cal),
                ..
            }) = &o.sla
            {
                let start = cal.start_of(end).min(end);
                c.period.sla += counters.sum_from(start, end, cal.align_us);
            }
            if o.exhaustion_alert.is_some() {
                let budget = match o.budget_width_us() {
                    Some(_) => c.period.events,
                    None => super::assess::counts_of(o, &c.windows, o.period_us),
                };
                c.period.leave = super::forecast::leave_for(o, end, counters, budget);
            }
            c.lifetime[0] += g;
            c.lifetime[1] += b;
        }
        let from = self.latency_from;
        let scratch = &mut self.scratch;
        for (s, latency) in self.latency.iter_mut().enumerate() {
            latency.read(all.latency(s), from, end, scratch);
        }
        for (k, slots) in self.sub_latency.iter_mut().enumerate() {
            let split = all.split(k);
            self.overflow_events[k] += split.overflow_events;
            self.overflow_seen[k] |= split.slot(slots.len() - 1).is_some();
            for (slot, latency) in slots.iter_mut().enumerate() {
                if let Some(sub) = split.slot(slot) {
                    latency.read(sub.latency(), from, end, scratch);
                }
            }
        }
    }

    /// Assesses every entry (the overflow sub-service only once it had an event) into the
    /// evaluation; the caller sets the evaluation time.
    fn finish(
        self,
        plan: &Plan,
        hosts: &[Vec<String>],
        entries: Vec<Entry>,
        expanded: Vec<Arc<SloObjective>>,
    ) -> Evaluation {
        let end = self.end;
        let listed = |entry: &Entry| match entry.sub {
            Some((k, _, slot)) => slot < plan.splits[k].table.max_hosts() || self.overflow_seen[k],
            None => true,
        };
        let empty = LatencyReport::without_data();
        let text = WindowText::new(end, self.lengths.iter().copied());
        let mut slos = Vec::with_capacity(entries.len());
        let mut kept_objectives = Vec::with_capacity(entries.len());
        let mut kept_counts = Vec::with_capacity(entries.len());
        let mut configured = Vec::with_capacity(entries.len());
        for ((entry, o), mut c) in entries.iter().zip(expanded).zip(self.counts) {
            if !listed(entry) {
                continue;
            }
            if o.budget_width_us().is_none() {
                c.period.events = counts_of(&o, &c.windows, o.period_us);
            }
            if let Some(crate::evaluate::sla::Sla {
                period: crate::evaluate::sla::SlaPeriod::Rolling(p),
                ..
            }) = &o.sla
            {
                c.period.sla = counts_of(&o, &c.windows, *p);
            }
            let latency = match entry.sub {
                None => &self.latency[o.service_index],
                Some((k, _, slot)) => &self.sub_latency[k][slot],
            };
            let latency = match latency {
                Latency::Read(report) => report,
                Latency::Unused | Latency::Wanted => &empty,
            };
            slos.push(assess(&o, &c.windows, &c.period, &text, latency));
            kept_objectives.push(o);
            kept_counts.push(c);
            configured.push(entry.objective);
        }
        let splits = plan
            .splits
            .iter()
            .zip(hosts)
            .zip(self.overflow_events)
            .map(|((s, hosts), overflow_events)| SplitSummary {
                service: s.table.service().to_string(),
                hosts: hosts.len(),
                max_hosts: s.table.max_hosts(),
                overflow_events,
            })
            .collect();
        Evaluation {
            evaluated_at_us: end,
            end_us: end,
            report: Report {
                evaluated_at: String::new(),
                data_lag_seconds: 0.0,
                slos,
            },
            counts: kept_counts,
            partitions: self.partitions,
            objectives: kept_objectives,
            configured,
            splits,
            windows: text.named().collect(),
        }
    }
}

/// The latency percentiles of one (sub-)service in a [`Tally`].
#[derive(Debug, Clone)]
enum Latency {
    /// No reported entry measures it.
    Unused,
    /// Reported; not read yet (a sub-service without a slot stays so, and has no data).
    Wanted,
    /// Read from its ring.
    Read(LatencyReport),
}

impl Latency {
    /// Reads `ring`'s percentiles over `[from_us, to_us)` if they are wanted.
    fn read(
        &mut self,
        ring: &LatencyRing,
        from_us: i64,
        to_us: i64,
        scratch: &mut Option<Histogram<u64>>,
    ) {
        if matches!(self, Self::Wanted) {
            *self = Self::Read(ring.with_merged(from_us, to_us, scratch, latency_report));
        }
    }
}

/// The SLO entry [`evaluate`] reports as `service`/`slo`: a configured SLO of a service that
/// does not split, or a sub-service `<service>:<host>` (assigned, or `_overflow`) of a split
/// one; with the counters it reads.
pub fn find_entry(
    objectives: &[Arc<SloObjective>],
    plan: &Plan,
    service: &str,
    slo: &str,
) -> Option<(SloObjective, CountersOf)> {
    for (i, o) in objectives.iter().enumerate() {
        if *o.slo != *slo {
            continue;
        }
        let Some(k) = plan.split_of(o.service_index) else {
            if *o.service == *service {
                return Some((SloObjective::clone(o), CountersOf::Slo(i)));
            }
            continue;
        };
        let split = &plan.splits[k];
        let Some(host) = service
            .strip_prefix(&*o.service)
            .and_then(|rest| rest.strip_prefix(crate::window::split::SEPARATOR))
        else {
            continue;
        };
        let slot = if host == OVERFLOW_HOST {
            split.table.max_hosts()
        } else {
            split.table.slot_of(host)?
        };
        let pos = split.slos.iter().position(|&s| s == i)?;
        let sub = SloObjective {
            service: service.into(),
            ..SloObjective::clone(o)
        };
        return Some((
            sub,
            CountersOf::Sub {
                slo: i,
                split: k,
                pos,
                slot,
            },
        ));
    }
    None
}

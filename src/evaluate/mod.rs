//! Evaluate: merged window counts in, SLIs, error budgets, burn rates and alerts out.
//!
//! The evaluation time T is the store's event-time watermark (newest event time minus the
//! allowed lateness) and never later than the wall clock. Every window of every SLO ends at
//! `end = T` rounded down to a whole second and starts as [`crate::window::window_start`]
//! says; counts are summed over all shards. [`assess()`] turns one SLO's counts into its report
//! and is a pure function, so alert logic is tested in simulated time with plain numbers.
//! All threshold decisions use the exact comparisons of [`exact`].
//!
//! An SLO of a service split by host (see [`crate::window::split`]) is reported once per
//! sub-service, `<service>:<host>`, hosts in assignment order, then `<service>:_overflow` once
//! it has had an event; [`Evaluation::objectives`] lists what each report entry measures.

pub mod alerts;
pub mod assess;
pub mod exact;
pub mod kinds;
pub mod period;
pub mod report;
pub mod series;

use hdrhistogram::Histogram;

pub use alerts::{BudgetAlert, BurnAlert, PolicyTiers, default_burn_alerts};
pub use assess::assess;
use assess::counts_of;
pub use exact::{Factor, Ppb};
pub use kinds::{AlertKind, PolicyTier, Severity, SloKind};
pub use period::{Budgeting, Calendar, CalendarUnit, SliceSummary};
pub use report::{AlertReport, AlertsReport, Report, SloReport, WindowReport};

use crate::time::{DAY, HOUR, MINUTE, SECOND, ceil_to, floor_to, format_rfc3339};
use crate::window::latency::{LATENCY_BUCKET_US, empty_histogram};
use crate::window::ring::TIER_WIDTHS;
use crate::window::split::{OVERFLOW_HOST, sub_service_name};
use crate::window::{CountersOf, Counts, Plan, Retention, ShardStats, Store, lock, window_start};

/// The windows every SLO reports, when they fit in its period.
pub const STANDARD_WINDOWS: [i64; 7] = [
    5 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    6 * HOUR,
    DAY,
    3 * DAY,
];

/// Span of the latency percentiles.
pub const LATENCY_WINDOW_US: i64 = HOUR;

/// What an SLO is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// good / total at least this ratio.
    Ratio(Ppb),
    /// Good requests per second over the period at least `milli_per_second / 1000`.
    MinRate {
        /// Minimum rate in thousandths of a request per second.
        milli_per_second: u64,
    },
}

/// Everything evaluation needs to know about one SLO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SloObjective {
    /// Service name.
    pub service: String,
    /// Index of the service (for latency histograms).
    pub service_index: usize,
    /// SLO (indicator) name.
    pub slo: String,
    /// What it measures.
    pub kind: SloKind,
    /// The target.
    pub target: Target,
    /// Budget period, µs: the rolling period, or the nominal length of a calendar unit.
    pub period_us: i64,
    /// A calendar-aligned period (`None`: rolling over `period_us`).
    pub calendar: Option<Calendar>,
    /// Occurrences or timeslices.
    pub budgeting: Budgeting,
    /// Human-readable name (OpenSLO `displayName`).
    pub display_name: Option<String>,
    /// Windows reported, ascending; a rolling period is among them.
    pub windows: Vec<i64>,
    /// Burn-rate alerts.
    pub burn_alerts: Vec<BurnAlert>,
    /// Remaining-budget alerts.
    pub budget_alerts: Vec<BudgetAlert>,
    /// Policy tiers.
    pub tiers: PolicyTiers,
}

impl SloObjective {
    /// `service/slo`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.service, self.slo)
    }

    /// The bucket width the budget is read from: the period start's alignment for a calendar
    /// period, narrowed to one dividing the slice for timeslices; `None` for a rolling
    /// occurrence budget, which is measured like any window.
    pub fn budget_width_us(&self) -> Option<i64> {
        let align = self.calendar.as_ref().map(|c| c.align_us);
        let slice = self.budgeting.slice_us();
        if align.is_none() && slice.is_none() {
            return None;
        }
        let divides = |w: i64| align.is_none_or(|a| a % w == 0) && slice.is_none_or(|s| s % w == 0);
        TIER_WIDTHS.iter().rev().copied().find(|&w| divides(w))
    }

    /// What the window store must keep for this SLO.
    pub fn retention(&self) -> Retention {
        let span = self
            .calendar
            .as_ref()
            .map_or(self.period_us, |c| c.unit.max_us())
            + self.budgeting.slice_us().unwrap_or(0);
        Retention {
            windows_us: self.windows.clone(),
            spans: self
                .budget_width_us()
                .map(|w| (w, span))
                .into_iter()
                .collect(),
        }
    }

    /// The budget interval `[start, end)` at window end `end_us`: the rolling period (its
    /// start rounded up to a slice for timeslices) or the calendar period so far; for
    /// timeslices `end` is the end of the last complete slice.
    pub fn budget_interval(&self, end_us: i64) -> (i64, i64) {
        let start = match (&self.calendar, self.budgeting.slice_us()) {
            (Some(c), _) => c.start_of(end_us).min(end_us),
            (None, Some(slice)) => ceil_to(end_us - self.period_us, slice),
            (None, None) => window_start(self.period_us, end_us),
        };
        match self.budgeting.slice_us() {
            Some(slice) => (start, start + (end_us - start).max(0) / slice * slice),
            None => (start, end_us),
        }
    }
}

/// The counts of one SLO's budget interval, merged over shards.
#[derive(Debug, Clone, Default)]
pub struct PeriodCounts {
    /// First instant included, µs.
    pub start_us: i64,
    /// First instant excluded, µs.
    pub end_us: i64,
    /// Events in `[start, end)`.
    pub events: Counts,
    /// Per slice counts (timeslice budgets only), in time order.
    pub slices: Vec<Counts>,
}

/// The windows an SLO reports: the standard ones that fit in the period, every alert
/// window, and the period itself; ascending, without repeats.
pub fn windows_for(period_us: i64, burn_alerts: &[BurnAlert]) -> Vec<i64> {
    let mut w: Vec<i64> = STANDARD_WINDOWS
        .iter()
        .copied()
        .filter(|&w| w <= period_us)
        .chain(burn_alerts.iter().flat_map(|a| [a.long_us, a.short_us]))
        .chain([period_us])
        .collect();
    w.sort_unstable();
    w.dedup();
    w
}

/// One SLO's merged counts at one evaluation.
#[derive(Debug, Clone)]
pub struct SloCounts {
    /// Counts per window, in the order of [`SloObjective::windows`].
    pub windows: Vec<Counts>,
    /// Lifetime `[good, bad]` over every shard.
    pub lifetime: [u64; 2],
    /// The budget interval's counts.
    pub period: PeriodCounts,
}

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
    /// one sub-service's copy of it (its `service` is then `<service>:<host>`).
    pub objectives: Vec<SloObjective>,
    /// For each entry of `report.slos`, the index of its configured objective.
    pub configured: Vec<usize>,
    /// Per service split by host.
    pub splits: Vec<SplitSummary>,
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
    /// Events sent to the overflow sub-service, over every shard.
    pub overflow_events: u64,
}

/// One report entry: configured objective `objective`, or its copy for one sub-service
/// (split index, position among the split's SLOs, slot).
#[derive(Debug, Clone, Copy)]
struct Entry {
    objective: usize,
    sub: Option<(usize, usize, usize)>,
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
}

/// Evaluates every SLO against the store at wall-clock time `now_us`.
pub fn evaluate(objectives: &[SloObjective], store: &Store, now_us: i64) -> Evaluation {
    evaluate_where(objectives, store, now_us, |_, _| true)
}

/// Evaluates the report entries `(service, slo)` for which `keep` is true (a sub-service is
/// asked for by its `<service>:<host>` name), reading only their counters and latencies: what
/// one SLO's route costs does not grow with the number of SLOs.
pub fn evaluate_where(
    objectives: &[SloObjective],
    store: &Store,
    now_us: i64,
    keep: impl Fn(&str, &str) -> bool,
) -> Evaluation {
    let t = store.evaluation_time(now_us);
    let end = floor_to(t, SECOND);
    let plan = store.plan();
    let services = plan.services;
    // Hosts are read once: one assigned meanwhile is reported from the next evaluation on.
    let hosts: Vec<Vec<String>> = plan.splits.iter().map(|s| s.table.hosts()).collect();
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
                expanded.push(o.clone());
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
            expanded.push(SloObjective {
                service,
                ..o.clone()
            });
        }
    }
    let mut counts: Vec<SloCounts> = expanded
        .iter()
        .map(|o| {
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
    // Per service: its latencies, for the services reported (an empty histogram is 25 KB to
    // zero, so none is made for the others).
    let mut latency: Vec<Option<Histogram<u64>>> = vec![None; services];
    // Per split, per slot: the sub-service's latencies, once it has some.
    let mut sub_latency: Vec<Vec<Option<Histogram<u64>>>> = plan
        .splits
        .iter()
        .map(|s| vec![None; s.table.max_hosts() + 1])
        .collect();
    // Only the latencies of the services (and sub-services) reported are merged.
    let mut needed_slots: Vec<Vec<bool>> =
        sub_latency.iter().map(|s| vec![false; s.len()]).collect();
    for (entry, o) in entries.iter().zip(&expanded) {
        match entry.sub {
            None => latency[o.service_index] = Some(empty_histogram()),
            Some((k, _, slot)) => needed_slots[k][slot] = true,
        }
    }
    let mut overflow_seen = vec![false; plan.splits.len()];
    let mut overflow_events = vec![0; plan.splits.len()];
    let mut partitions = Vec::new();
    let latency_from = floor_to(end - LATENCY_WINDOW_US, LATENCY_BUCKET_US) + LATENCY_BUCKET_US;
    for (_, shard) in store.shards() {
        let shard = lock(&shard);
        for (e, entry) in entries.iter().enumerate() {
            let o = &expanded[e];
            let (counters, [g, b]) = match entry.sub {
                None => (shard.slo(entry.objective), shard.lifetime(entry.objective)),
                Some((k, pos, slot)) => match shard.split(k).slot(slot) {
                    Some(sub) => (sub.slo(pos), sub.lifetime(pos)),
                    None => continue,
                },
            };
            counters.add_sums(&o.windows, end, &mut counts[e].windows);
            if let Some(width) = o.budget_width_us() {
                let p = &mut counts[e].period;
                p.events += counters.sum_from(p.start_us, p.end_us, width);
                if let Some(slice) = o.budgeting.slice_us() {
                    let slices = counters.slices(p.start_us, p.end_us, slice, width);
                    p.slices.resize(slices.len(), Counts::default());
                    for (total, c) in p.slices.iter_mut().zip(slices) {
                        *total += c;
                    }
                }
            }
            counts[e].lifetime[0] += g;
            counts[e].lifetime[1] += b;
        }
        for (s, hist) in latency.iter_mut().enumerate() {
            if let Some(hist) = hist {
                shard.latency(s).merge_into(latency_from, end, hist);
            }
        }
        for (k, slots) in sub_latency.iter_mut().enumerate() {
            let split = shard.split(k);
            overflow_events[k] += split.overflow_events;
            overflow_seen[k] |= split.slot(slots.len() - 1).is_some();
            for (slot, hist) in slots.iter_mut().enumerate() {
                if !needed_slots[k][slot] {
                    continue;
                }
                if let Some(sub) = split.slot(slot) {
                    sub.latency().merge_into(
                        latency_from,
                        end,
                        hist.get_or_insert_with(empty_histogram),
                    );
                }
            }
        }
        partitions.push(PartitionState {
            name: shard.name().to_string(),
            newest_us: shard.newest_us(),
            next_offset: shard.next_offset,
            stats: shard.stats,
            active: shard
                .activity
                .is_active(now_us, store.plan().window.idle_timeout_us),
            dedup_ids: shard.dedup_ids(),
        });
    }
    for (o, c) in expanded.iter().zip(&mut counts) {
        if o.budget_width_us().is_none() {
            c.period.events = counts_of(o, &c.windows, o.period_us);
        }
    }
    // The overflow sub-service is listed once it has had an event.
    let listed = |entry: &Entry| match entry.sub {
        Some((k, _, slot)) => slot < plan.splits[k].table.max_hosts() || overflow_seen[k],
        None => true,
    };
    let empty = empty_histogram();
    let mut slos = Vec::with_capacity(entries.len());
    let mut kept_objectives = Vec::with_capacity(entries.len());
    let mut kept_counts = Vec::with_capacity(entries.len());
    let mut configured = Vec::with_capacity(entries.len());
    for ((entry, o), c) in entries.iter().zip(expanded).zip(counts) {
        if !listed(entry) {
            continue;
        }
        let hist = match entry.sub {
            None => latency[o.service_index].as_ref().unwrap_or(&empty),
            Some((k, _, slot)) => sub_latency[k][slot].as_ref().unwrap_or(&empty),
        };
        slos.push(assess(&o, &c.windows, &c.period, end, hist));
        kept_objectives.push(o);
        kept_counts.push(c);
        configured.push(entry.objective);
    }
    let splits = plan
        .splits
        .iter()
        .zip(&hosts)
        .zip(overflow_events)
        .map(|((s, hosts), overflow_events)| SplitSummary {
            service: s.table.service().to_string(),
            hosts: hosts.len(),
            max_hosts: s.table.max_hosts(),
            overflow_events,
        })
        .collect();
    Evaluation {
        evaluated_at_us: t,
        end_us: end,
        report: Report {
            evaluated_at: format_rfc3339(t),
            data_lag_seconds: (now_us - t).max(0) as f64 / SECOND as f64,
            slos,
        },
        counts: kept_counts,
        partitions,
        objectives: kept_objectives,
        configured,
        splits,
    }
}

/// The SLO entry [`evaluate`] reports as `service`/`slo`: a configured SLO of a service that
/// does not split, or a sub-service `<service>:<host>` (assigned, or `_overflow`) of a split
/// one; with the counters it reads.
pub fn find_entry(
    objectives: &[SloObjective],
    plan: &Plan,
    service: &str,
    slo: &str,
) -> Option<(SloObjective, CountersOf)> {
    for (i, o) in objectives.iter().enumerate() {
        if o.slo != slo {
            continue;
        }
        let Some(k) = plan.split_of(o.service_index) else {
            if o.service == service {
                return Some((o.clone(), CountersOf::Slo(i)));
            }
            continue;
        };
        let split = &plan.splits[k];
        let Some(host) = service
            .strip_prefix(o.service.as_str())
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
            service: service.to_string(),
            ..o.clone()
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

#[cfg(test)]
mod assess_proptests;

//! The per-SLO families of `/metrics`: Sloth's, the native ones and
//! `slipstream_service_info`, from each SLO's objective, window counts and report.
//!
//! They are written a block of SLOs at a time ([`BLOCK`]): each family gets its SLOs in
//! order, and a block's objectives, counts and reports, read from memory by the Sloth pass,
//! are still in the cache for the native pass and the service info. A pass over all the SLOs
//! for each of the three read 10,000 of them from memory three times; one pass filling every
//! family at once wrote twenty families' text at once, which cost more (stop 36).

use std::fmt::Write;
use std::sync::Arc;

use super::{Family, write_labels};
use crate::evaluate::exact::burn_rate;
use crate::evaluate::{AlertState, Evaluation, Ppb, SloCounts, SloObjective, SloReport, Target};
use crate::time::{DAY, MINUTE};

/// A Sloth gauge: name, help, and its value for one ratio SLO from its report and window
/// counts (none: no sample).
type SlothGauge = (
    &'static str,
    &'static str,
    fn(&SloObjective, &SloReport, &SloCounts, Ppb) -> Option<f64>,
);

const SLOTH_GAUGES: [SlothGauge; 6] = [
    (
        "slo:objective:ratio",
        "SLO objective as a ratio.",
        |_, _, _, p| Some(p.as_f64()),
    ),
    (
        "slo:error_budget:ratio",
        "Error budget as a ratio (1 - objective).",
        |_, _, _, p| Some(p.complement().as_f64()),
    ),
    (
        "slo:time_period:days",
        "SLO period in days.",
        |o, _, _, _| Some(o.period_us as f64 / DAY as f64),
    ),
    (
        "slo:current_burn_rate:ratio",
        "Burn rate over the last 5m.",
        |o, _, c, p| {
            let i = o.windows.iter().position(|&w| w == 5 * MINUTE)?;
            burn_rate(c.windows[i], p)
        },
    ),
    (
        "slo:period_burn_rate:ratio",
        "Burn rate over the whole SLO period.",
        period_burn_rate,
    ),
    (
        "slo:period_error_budget_remaining:ratio",
        "Remaining error budget of the period (1 untouched, 0 spent).",
        |_, r, _, _| r.budget.as_ref().map(|b| b.remaining_ratio),
    ),
];

/// Burn rate over the SLO period: the rolling period's own window; for a calendar period the
/// budget's counts over `[period start, end)`; for timeslice budgeting the share of the
/// budget the report says is consumed (`1 − remaining_ratio`). No sample without data.
fn period_burn_rate(o: &SloObjective, r: &SloReport, c: &SloCounts, p: Ppb) -> Option<f64> {
    let b = r.budget.as_ref()?;
    if let Some(slices) = &b.slices {
        return (slices.with_data > 0).then_some(1.0 - b.remaining_ratio);
    }
    if o.calendar.is_none()
        && let Some(i) = o.windows.iter().position(|&w| w == o.period_us)
    {
        return burn_rate(c.windows[i], p);
    }
    let budget = p.complement().as_f64();
    (b.total > 0 && budget > 0.0).then(|| b.bad as f64 / b.total as f64 / budget)
}

/// Every window length the SLOs report, ascending, with its name (`5m`): what the families
/// label a window with, so that rendering reads each SLO's window counts ([`SloCounts`], a
/// few bytes per window) and not its reports' windows.
struct WindowNames<'a>(&'a [(i64, Arc<str>)]);

impl<'a> WindowNames<'a> {
    /// The evaluation's windows, which it found while setting up its counts: no pass over
    /// the SLOs here (at 10,000 SLOs each pass reads their objectives from memory again).
    fn of(e: &'a Evaluation) -> Self {
        Self(&e.windows)
    }

    /// How many lengths there are.
    fn len(&self) -> usize {
        self.0.len()
    }

    /// The index of length `w`.
    fn index(&self, w: i64) -> Option<usize> {
        self.0.binary_search_by_key(&w, |&(length, _)| length).ok()
    }

    /// The name of the `k`-th length.
    fn name(&self, k: usize) -> &'a str {
        &self.0[k].1
    }
}

/// SLOs rendered together: about 1 MB of objectives, counts and reports, which stay in a
/// core's cache from one pass over the block to the next.
const BLOCK: usize = 256;

// `http::metrics::metrics_of_many_slos_list_each_family_once_with_every_slo_in_order` renders
// 400 SLOs to hold the families across a block's end: it needs more SLOs than a block.
#[cfg(test)]
const _: () = assert!(BLOCK < 400);

/// The SLOs of an evaluation, a slice of them at a time: each one's objective, report and
/// counts.
#[derive(Clone, Copy)]
struct Slos<'a> {
    objectives: &'a [Arc<SloObjective>],
    reports: &'a [SloReport],
    counts: &'a [SloCounts],
}

impl<'a> Slos<'a> {
    /// Every SLO of `e`.
    fn of(e: &'a Evaluation) -> Self {
        Self {
            objectives: &e.objectives,
            reports: &e.report.slos,
            counts: &e.counts,
        }
    }

    /// Consecutive blocks of at most `n` SLOs.
    fn blocks(self, n: usize) -> impl Iterator<Item = Slos<'a>> {
        self.objectives
            .chunks(n)
            .zip(self.reports.chunks(n))
            .zip(self.counts.chunks(n))
            .map(|((objectives, reports), counts)| Slos {
                objectives,
                reports,
                counts,
            })
    }

    /// Each SLO's objective, report and counts, in order.
    fn iter(self) -> impl Iterator<Item = (&'a Arc<SloObjective>, &'a SloReport, &'a SloCounts)> {
        self.objectives
            .iter()
            .zip(self.reports)
            .zip(self.counts)
            .map(|((o, r), c)| (o, r, c))
    }
}

/// Every per-SLO family of `e`: Sloth's, the native ones, then `slipstream_service_info`.
pub(super) fn families(e: &Evaluation) -> Vec<Family> {
    let windows = &WindowNames::of(e);
    let mut sloth = Sloth::new(windows);
    let mut native = Native::new();
    let mut info = ServiceInfo::new();
    for block in Slos::of(e).blocks(BLOCK) {
        sloth.add(block, windows);
        native.add(block, windows);
        info.add(block.objectives);
    }
    let mut families = sloth.families;
    families.extend(native.finish());
    families.push(info.family);
    families
}

/// The Sloth families: one per window length then [`SLOTH_GAUGES`] then `sloth_slo_info`, for
/// the ratio SLOs; a family without samples is left out, as is a window without traffic.
struct Sloth {
    families: Vec<Family>,
    /// Reused from SLO to SLO, so that the text allocates nothing per SLO.
    ids: String,
    id: String,
    objective: String,
}

impl Sloth {
    fn new(windows: &WindowNames<'_>) -> Self {
        let families = (0..windows.len())
            .map(|k| windows.name(k))
            .map(|label| {
                Family::new(
                    format!("slo:sli_error:ratio_rate{label}"),
                    "gauge",
                    format!("Error ratio over the last {label}."),
                )
            })
            .chain(
                SLOTH_GAUGES
                    .iter()
                    .map(|&(name, help, _)| Family::new(name, "gauge", help)),
            )
            .chain([Family::new(
                "sloth_slo_info",
                "gauge",
                "SLO metadata, Sloth-compatible.",
            )])
            .collect();
        Self {
            families,
            ids: String::new(),
            id: String::new(),
            objective: String::new(),
        }
    }

    /// Appends the samples of the ratio SLOs among `slos`.
    fn add(&mut self, slos: Slos<'_>, windows: &WindowNames<'_>) {
        let (by_window, rest) = self.families.split_at_mut(windows.len());
        let (gauges, info) = rest.split_at_mut(SLOTH_GAUGES.len());
        let (ids, id, objective) = (&mut self.ids, &mut self.id, &mut self.objective);
        for (o, r, c) in slos.iter() {
            let Target::Ratio(p) = o.target else {
                continue;
            };
            ids.clear();
            id.clear();
            objective.clear();
            let _ = write!(id, "{}-{}", o.service, o.slo);
            write_labels(
                ids,
                &[
                    ("sloth_id", id),
                    ("sloth_service", &o.service),
                    ("sloth_slo", &o.slo),
                ],
            );
            for (&w, counts) in o.windows.iter().zip(&c.windows) {
                if counts.total > 0
                    && let Some(k) = windows.index(w)
                {
                    let ratio = (counts.total - counts.good) as f64 / counts.total as f64;
                    by_window[k].sample(ids, &[("sloth_window", windows.name(k))], ratio);
                }
            }
            for (family, (_, _, value)) in gauges.iter_mut().zip(SLOTH_GAUGES) {
                if let Some(v) = value(o, r, c, p) {
                    family.sample(ids, &[], v);
                }
            }
            let _ = write!(objective, "{}", p.as_f64() * 100.0);
            info[0].sample(
                ids,
                &[
                    ("sloth_objective", objective),
                    ("sloth_mode", "slipstream"),
                    ("sloth_version", env!("CARGO_PKG_VERSION")),
                ],
                1,
            );
        }
    }
}

/// `slipstream_service_info`: 1 per service (and sub-service) with SLOs, labelled with its
/// catalog entry (`owner`, `tier`, `oncall`, `runbook_url`, `dashboard_url`, free labels),
/// so any series can be joined to its owner with `* on(service) group_left(owner)`.
struct ServiceInfo<'a> {
    family: Family,
    /// foldhash rather than SipHash: a service name per SLO, 10,000 of them at the most.
    seen: std::collections::HashSet<&'a str, foldhash::fast::RandomState>,
    previous: Option<&'a Arc<str>>,
}

impl<'a> ServiceInfo<'a> {
    fn new() -> Self {
        Self {
            family: Family::new(
                "slipstream_service_info",
                "gauge",
                "The service's catalog entry as labels; always 1.",
            )
            .always(),
            seen: std::collections::HashSet::with_hasher(Default::default()),
            previous: None,
        }
    }

    /// Appends a sample for each service among `objectives` not seen before.
    fn add(&mut self, objectives: &'a [Arc<SloObjective>]) {
        for o in objectives {
            // A service's SLOs share its name and mostly follow each other: those are
            // skipped without reading the name.
            if self.previous.is_some_and(|p| Arc::ptr_eq(p, &o.service)) {
                continue;
            }
            self.previous = Some(&o.service);
            if !self.seen.insert(&o.service) {
                continue;
            }
            let fields = o.catalog.info_labels();
            let labels: Vec<(&str, &str)> = std::iter::once(("service", &*o.service))
                .chain(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .collect();
            self.family.sample("", &labels, 1);
        }
    }
}

/// The native per-SLO families, every one written: lifetime and window counts, which alerts
/// fire, the policy tier, and whether the period has no data.
struct Native {
    events: Family,
    window_events: Family,
    firing: Family,
    pending: Family,
    tiers: Family,
    no_data: Family,
    ids: String,
}

impl Native {
    fn new() -> Self {
        Self {
            events: Family::new(
                "slipstream_slo_events_total",
                "counter",
                "Events classified per SLO since start.",
            ),
            window_events: Family::new(
                "slipstream_slo_window_events",
                "gauge",
                "Exact events per window [start, end) as reported by the API.",
            ),
            firing: Family::new(
                "slipstream_slo_alert_firing",
                "gauge",
                "1 when the alert fires (with a hold: once its condition has held for it).",
            ),
            pending: Family::new(
                "slipstream_slo_alert_pending",
                "gauge",
                "1 while an alert's condition holds for less than its hold.",
            ),
            tiers: Family::new(
                "slipstream_slo_policy_tier",
                "gauge",
                "1 for the current error-budget policy tier.",
            ),
            no_data: Family::new(
                "slipstream_slo_no_data",
                "gauge",
                "1 when the SLO period holds no event.",
            ),
            ids: String::new(),
        }
    }

    /// Appends the samples of `slos`.
    fn add(&mut self, slos: Slos<'_>, windows: &WindowNames<'_>) {
        let ids = &mut self.ids;
        for (o, r, c) in slos.iter() {
            ids.clear();
            write_labels(ids, &[("service", &o.service), ("slo", &o.slo)]);
            self.events
                .sample(ids, &[("result", "good")], c.lifetime[0]);
            self.events.sample(ids, &[("result", "bad")], c.lifetime[1]);
            for (&w, counts) in o.windows.iter().zip(&c.windows) {
                let Some(k) = windows.index(w) else { continue };
                let window = ("window", windows.name(k));
                let window_events = &mut self.window_events;
                window_events.sample(ids, &[window, ("result", "good")], counts.good);
                window_events.sample(ids, &[window, ("result", "total")], counts.total);
            }
            for a in &r.alerts {
                let labels = [("alert", &*a.name), ("severity", a.severity.as_str())];
                self.firing.sample(ids, &labels, u8::from(a.status.firing));
                if a.status.hold_us > 0 {
                    let pending_now = a.status.state == AlertState::Pending;
                    self.pending.sample(ids, &labels, u8::from(pending_now));
                }
            }
            if let Some(tier) = r.policy.tier {
                self.tiers.sample(ids, &[("tier", tier.as_str())], 1);
            }
            self.no_data.sample(ids, &[], u8::from(r.no_data));
        }
    }

    /// The families in order, every one written but `pending`, which is only with held
    /// alerts.
    fn finish(self) -> Vec<Family> {
        let mut families: Vec<Family> = [
            self.events,
            self.window_events,
            self.firing,
            self.tiers,
            self.no_data,
        ]
        .into_iter()
        .map(Family::always)
        .collect();
        families.push(self.pending);
        families
    }
}

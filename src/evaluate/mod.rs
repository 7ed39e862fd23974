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

pub mod adjustments;
pub mod alerts;
pub mod assess;
pub mod canary;
pub mod capacity;
pub mod composite;
pub mod contributors;
pub mod evaluation;
pub mod exact;
pub mod forecast;
pub mod gate;
pub mod hold;
pub mod impact;
pub mod kinds;
pub mod period;
pub mod report;
pub mod reports;
pub mod series;
pub mod sla;

pub use alerts::{BudgetAlert, BurnAlert, ExhaustionAlert, PolicyTiers, default_burn_alerts};
pub use assess::assess;
pub use evaluation::{
    Evaluation, PartitionState, SplitSummary, evaluate, evaluate_where, find_entry,
};
pub use exact::{Factor, Ppb};
pub use kinds::{AlertKind, AlertState, PolicyTier, Severity, SloKind};
pub use period::{Budgeting, Calendar, CalendarUnit, SliceSummary};
pub use report::{AlertReport, AlertsReport, Report, SloReport, WindowReport};

use std::sync::Arc;

use crate::time::{DAY, HOUR, MINUTE, ceil_to};
use crate::window::ring::TIER_WIDTHS;
use crate::window::{Counts, DayZone, HistorySpec, Retention, window_start};

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
    pub service: Arc<str>,
    /// Index of the service (for latency histograms).
    pub service_index: usize,
    /// SLO (indicator) name.
    pub slo: Arc<str>,
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
    /// The budget-exhaustion forecast alert, if configured (occurrence budgets only).
    pub exhaustion_alert: Option<ExhaustionAlert>,
    /// The SLA beside the SLO, if any (ratio SLOs only).
    pub sla: Option<sla::Sla>,
    /// Policy tiers.
    pub tiers: PolicyTiers,
    /// The service's deploy gate rules.
    pub gate: std::sync::Arc<gate::GateRules>,
    /// The budget adjustments (maintenance windows) that name this SLO.
    pub adjustments: Vec<std::sync::Arc<crate::window::Adjustment>>,
    /// Its service's catalog entry (owner, tier, runbook, …).
    pub catalog: std::sync::Arc<crate::catalog::ServiceCatalog>,
    /// For a composite SLO ([`SloKind::Composite`]): the components it combines.
    pub composite: Option<std::sync::Arc<composite::Composite>>,
    /// For a component of a composite SLO: the composite's id, `service/slo`.
    pub component_of: Option<String>,
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

    /// The zone whose local days the SLO's history and period reports count: its calendar's,
    /// else UTC.
    pub fn report_zone(&self) -> DayZone {
        self.calendar
            .as_ref()
            .map_or_else(DayZone::utc, |c| DayZone::new(&c.zone_name, c.zone.clone()))
    }

    /// The hold of alert `name`, µs (0: none, or no such burn-rate alert).
    pub fn hold_us(&self, name: &str) -> i64 {
        self.burn_alerts
            .iter()
            .find(|a| *a.name == *name)
            .map_or(0, |a| a.hold_us)
    }

    /// What the window store must keep for this SLO, with `history_days` of daily history
    /// (none when 0).
    pub fn retention(&self, history_days: usize) -> Retention {
        let span = self
            .calendar
            .as_ref()
            .map_or(self.period_us, |c| c.max_us())
            + self.budgeting.slice_us().unwrap_or(0);
        // A calendar SLA is counted from its start, like a calendar budget.
        let sla = self.sla.as_ref().and_then(|s| match &s.period {
            sla::SlaPeriod::Calendar(c) => Some((c.align_us, c.max_us())),
            sla::SlaPeriod::Rolling(_) => None,
        });
        Retention {
            windows_us: self.windows.clone(),
            spans: self
                .budget_width_us()
                .map(|w| (w, span))
                .into_iter()
                .chain(sla)
                .collect(),
            history: (history_days > 0).then(|| HistorySpec {
                days: history_days,
                zone: self.report_zone(),
            }),
            adjustments: self.adjustments.iter().cloned().collect(),
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
    /// How old events leave the budget as time passes, for an exhaustion alert.
    pub leave: Option<forecast::Leave>,
    /// The SLA period's counts, when the SLO has an SLA.
    pub sla: Counts,
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

#[cfg(test)]
mod assess_proptests;

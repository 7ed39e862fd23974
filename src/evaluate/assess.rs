//! Assess: one SLO's merged counts in, its [`SloReport`] out. A pure function of plain
//! numbers, so alert logic is tested in simulated time.
//!
//! What is judged depends on the SLO's [`Target`], which configuration builds together with
//! its [`SloKind`]: a ratio (availability, error rate, latency) gets an error budget, a policy
//! tier and burn-rate and budget alerts (`assess_ratio`); a minimum rate (throughput) gets
//! its rate and one alert (`assess_throughput`). Each [`AlertKind`] has its own function.
//! All threshold decisions use the exact comparisons of [`exact`].

use std::sync::{Arc, LazyLock};

use hdrhistogram::Histogram;

use super::alerts::ExhaustionAlert;
use super::kinds::{AlertKind, PolicyTier, Severity, SloKind};
use super::report::{
    AlertReport, AlertStatus, BudgetReport, LatencyReport, PolicyReport, SliceReport, SloReport,
    ThroughputReport, WindowReport,
};
use super::{
    BudgetAlert, Budgeting, BurnAlert, LATENCY_WINDOW_US, PeriodCounts, Ppb, SliceSummary,
    SloObjective, Target, exact,
};
use crate::time::{SECOND, format_duration, format_rfc3339};
use crate::window::{Counts, window_start};

/// The counts of `window` among `counts` (in [`SloObjective::windows`] order); zero when the
/// SLO does not report that window.
pub(super) fn counts_of(o: &SloObjective, counts: &[Counts], window: i64) -> Counts {
    o.windows
        .iter()
        .position(|&w| w == window)
        .map(|i| counts[i])
        .unwrap_or_default()
}

/// The name and bounds of every window of one evaluation, formatted once and shared by all
/// the reports that have the window (every window of an evaluation ends at the same time),
/// and by the alerts that name a window and the budgets that start or end where one does:
/// an evaluation of many SLOs then allocates no text per SLO for them.
#[derive(Debug)]
pub struct WindowText {
    end_us: i64,
    end: Arc<str>,
    /// One per distinct length.
    windows: Vec<Named>,
}

/// The text of one window length.
#[derive(Debug, Clone)]
struct Named {
    length_us: i64,
    start_us: i64,
    name: Arc<str>,
    start: Arc<str>,
}

impl WindowText {
    /// The text of the windows of lengths `windows_us` ending at `end_us`.
    pub fn new(end_us: i64, windows_us: impl IntoIterator<Item = i64>) -> Self {
        let mut text = Self {
            end_us,
            end: format_rfc3339(end_us).into(),
            windows: Vec::new(),
        };
        for w in windows_us {
            if text.find(w).is_none() {
                let named = text.format(w);
                text.windows.push(named);
            }
        }
        text
    }

    fn find(&self, w: i64) -> Option<&Named> {
        self.windows.iter().find(|n| n.length_us == w)
    }

    fn format(&self, w: i64) -> Named {
        let start_us = window_start(w, self.end_us);
        Named {
            length_us: w,
            start_us,
            name: format_duration(w).into(),
            start: format_rfc3339(start_us).into(),
        }
    }

    /// Every window's length and name, in the order given to [`Self::new`].
    pub fn named(&self) -> impl Iterator<Item = (i64, Arc<str>)> + '_ {
        self.windows
            .iter()
            .map(|n| (n.length_us, Arc::clone(&n.name)))
    }

    /// The name of a length `w` (`1h`), shared when a window has that length.
    fn name(&self, w: i64) -> Arc<str> {
        match self.find(w) {
            Some(n) => Arc::clone(&n.name),
            None => format_duration(w).into(),
        }
    }

    /// An instant `us` in RFC 3339, shared when it is the end or a window's start.
    fn instant(&self, us: i64) -> Arc<str> {
        if us == self.end_us {
            return Arc::clone(&self.end);
        }
        match self.windows.iter().find(|n| n.start_us == us) {
            Some(n) => Arc::clone(&n.start),
            None => format_rfc3339(us).into(),
        }
    }

    /// `(name, start, end)` of the window of length `w`.
    fn get(&self, w: i64) -> (Arc<str>, Arc<str>, Arc<str>) {
        let Named { name, start, .. } = self.find(w).cloned().unwrap_or_else(|| self.format(w));
        (name, start, Arc::clone(&self.end))
    }
}

/// The percentiles of a service's recent latencies (`latency`), which every SLO of the
/// service reports: computed once per service, not once per SLO.
pub fn latency_report(latency: &Histogram<u64>) -> LatencyReport {
    if latency.is_empty() {
        return LatencyReport::without_data();
    }
    let quantile = |q: f64| Some(latency.value_at_quantile(q) as f64 / 1_000.0);
    LatencyReport {
        count: latency.len(),
        p50: quantile(0.5),
        p90: quantile(0.9),
        p99: quantile(0.99),
        p999: quantile(0.999),
        ..LatencyReport::without_data()
    }
}

/// The name of [`LATENCY_WINDOW_US`], formatted once and shared by every report.
static LATENCY_WINDOW: LazyLock<Arc<str>> =
    LazyLock::new(|| format_duration(LATENCY_WINDOW_US).into());

impl LatencyReport {
    /// What a service without a recent latency reports: no count, no percentiles.
    pub fn without_data() -> Self {
        Self {
            window: Arc::clone(&LATENCY_WINDOW),
            count: 0,
            p50: None,
            p90: None,
            p99: None,
            p999: None,
        }
    }
}

/// The report of one SLO whose windows (in [`SloObjective::windows`] order) hold `counts`,
/// all ending at `text`'s end, and whose budget interval holds `period`; `latency` is its
/// service's [`latency_report`].
pub fn assess(
    o: &SloObjective,
    counts: &[Counts],
    period: &PeriodCounts,
    text: &WindowText,
    latency: &LatencyReport,
) -> SloReport {
    let end_us = text.end_us;
    debug_assert_eq!(
        o.kind == SloKind::Throughput,
        matches!(o.target, Target::MinRate { .. }),
        "{}: a throughput SLO, and only it, has a minimum rate",
        o.id()
    );
    let objective = match o.target {
        Target::Ratio(p) => Some(p),
        Target::MinRate { .. } => None,
    };
    let slices = o
        .budgeting
        .slice_us()
        .map(|_| SliceSummary::judge(&period.slices, o.budgeting));
    // The budget's unit: events, or slices for the timeslice methods.
    let unit = slices.map_or(period.events, |s| s.as_counts(o.budgeting));
    let windows = o
        .windows
        .iter()
        .zip(counts)
        .map(|(&w, &c)| {
            let (window, start, end) = text.get(w);
            WindowReport {
                window,
                start,
                end,
                good: c.good,
                total: c.total,
                sli: exact::sli(c),
                burn_rate: objective.and_then(|p| exact::burn_rate(c, p)),
            }
        })
        .collect();
    let judged = match o.target {
        Target::Ratio(p) => assess_ratio(o, p, counts, period, slices, unit, text),
        Target::MinRate { milli_per_second } => {
            assess_throughput(o, milli_per_second, period, text)
        }
    };
    SloReport {
        service: o.service.clone(),
        slo: o.slo.clone(),
        kind: o.kind,
        objective: objective.map(Ppb::as_f64),
        display_name: o.display_name.clone(),
        period: match &o.calendar {
            Some(c) => c.name().into(),
            None => text.name(o.period_us),
        },
        no_data: period.events.total == 0,
        valid_since: None,
        sli: exact::sli(unit),
        windows,
        budget: judged.budget,
        alerts: judged.alerts,
        policy: PolicyReport { tier: judged.tier },
        latency_ms: latency.clone(),
        sla: o
            .sla
            .as_ref()
            .zip(objective)
            .map(|(s, p)| super::sla::report(s, period.sla, end_us, p)),
        throughput: judged.throughput,
        catalog: o.catalog.clone(),
        composite: o.composite.as_ref().map(|c| c.report()),
        component_of: o.component_of.clone(),
    }
}

/// The part of a report that depends on what the SLO is held to.
#[derive(Debug)]
struct Judged {
    budget: Option<BudgetReport>,
    tier: Option<PolicyTier>,
    alerts: Vec<AlertReport>,
    throughput: Option<ThroughputReport>,
}

/// A ratio objective `p`: the error budget over the period (counted in `unit`, events or
/// slices), its policy tier, and the burn-rate and budget alerts.
fn assess_ratio(
    o: &SloObjective,
    p: Ppb,
    counts: &[Counts],
    period: &PeriodCounts,
    slices: Option<SliceSummary>,
    unit: Counts,
    text: &WindowText,
) -> Judged {
    let alerts = o
        .burn_alerts
        .iter()
        .map(|a| burn_rate_alert(a, o, counts, p, text))
        .chain(
            o.budget_alerts
                .iter()
                .map(|a| budget_alert(a, text.name(o.period_us), unit, p)),
        )
        .chain(
            o.exhaustion_alert
                .iter()
                .map(|a| exhaustion_alert(a, o, counts, period, text)),
        )
        .chain(
            o.sla
                .iter()
                .map(|s| super::sla::buffer_alert(s, period.sla, unit, p)),
        )
        .collect();
    let events = period.events;
    // RatioTimeslices count in parts per billion of a slice.
    let scale = match o.budgeting {
        Budgeting::RatioTimeslices { .. } => exact::ONE as f64,
        _ => 1.0,
    };
    let allowed_bad = p.complement().as_f64()
        * match slices {
            Some(s) => s.with_data as f64,
            None => events.total as f64,
        };
    let budget = BudgetReport {
        start: text.instant(period.start_us),
        end: text.instant(period.end_us),
        calendar: o
            .calendar
            .as_ref()
            .map(|c| format!("{} {}", c.name(), c.zone_name)),
        method: o.budgeting.name(),
        unit: if slices.is_some() { "slices" } else { "events" },
        good: events.good,
        total: events.total,
        allowed_bad,
        bad: events.bad(),
        remaining_ratio: exact::remaining_ratio(unit, p),
        exhausted: unit.total > 0 && !exact::remaining_above(unit, p, Ppb(0)),
        slices: slices.map(|s| SliceReport {
            slice: format_duration(o.budgeting.slice_us().unwrap_or(0)),
            slice_target: match o.budgeting {
                Budgeting::Timeslices { target, .. } => Some(target.as_f64()),
                _ => None,
            },
            complete: s.slices,
            with_data: s.with_data,
            good: matches!(o.budgeting, Budgeting::Timeslices { .. }).then_some(s.good),
            bad: unit.bad() as f64 / scale,
        }),
        exhaustion: None,
    };
    Judged {
        budget: Some(budget),
        tier: Some(o.tiers.tier(unit, p)),
        alerts,
        throughput: None,
    }
}

/// A minimum rate of `milli_per_second / 1000` good requests per second over the period so
/// far: the observed rate and the one alert.
fn assess_throughput(
    o: &SloObjective,
    milli_per_second: u64,
    period: &PeriodCounts,
    text: &WindowText,
) -> Judged {
    let end_us = text.end_us;
    let good = period.events.good;
    let span_us = end_us - window_start(o.period_us, end_us);
    // good / span_s ≥ milli / 1000 ⇔ good · 1000 · 1e6 ≥ milli · span_us
    let met = u128::from(good) * 1_000 * SECOND as u128
        >= u128::from(milli_per_second) * span_us.max(1) as u128;
    Judged {
        budget: None,
        tier: None,
        alerts: vec![throughput_alert(text.name(o.period_us), met)],
        throughput: Some(ThroughputReport {
            minimum_per_second: milli_per_second as f64 / 1_000.0,
            observed_per_second: good as f64 * SECOND as f64 / span_us.max(1) as f64,
            met,
        }),
    }
}

/// [`AlertKind::BurnRate`]: fires when both windows burn faster than the factor (or at least
/// as fast, for an inclusive alert) and the short window holds at least `min_events` events.
fn burn_rate_alert(
    a: &BurnAlert,
    o: &SloObjective,
    counts: &[Counts],
    p: Ppb,
    text: &WindowText,
) -> AlertReport {
    let burns = |w| {
        let c = counts_of(o, counts, w);
        if a.inclusive {
            exact::burn_at_least(c, p, a.factor)
        } else {
            exact::burn_exceeds(c, p, a.factor)
        }
    };
    let firing = burns(a.long_us)
        && burns(a.short_us)
        && counts_of(o, counts, a.short_us).total >= a.min_events;
    AlertReport {
        top_contributor: None,
        name: a.name.clone(),
        kind: AlertKind::BurnRate,
        severity: a.severity.clone(),
        action: a.action.clone(),
        long_window: Some(text.name(a.long_us)),
        short_window: Some(text.name(a.short_us)),
        factor: Some(a.factor.as_f64()),
        min_events: (a.min_events > 0).then_some(a.min_events),
        within: None,
        runs_out_in_hours: None,
        // The condition: `hold::apply` makes a held alert pending until it held long enough.
        status: AlertStatus::new(firing, a.hold_us),
    }
}

/// [`AlertKind::Budget`]: fires when the remaining budget of `unit` over the period named
/// `period` is strictly below the threshold.
fn budget_alert(a: &BudgetAlert, period: Arc<str>, unit: Counts, p: Ppb) -> AlertReport {
    let firing = exact::remaining_below(unit, p, a.below);
    AlertReport {
        top_contributor: None,
        name: a.name.clone(),
        kind: AlertKind::Budget,
        severity: a.severity.clone(),
        action: None,
        long_window: Some(period),
        short_window: None,
        factor: Some(a.below.as_f64()),
        min_events: None,
        within: None,
        runs_out_in_hours: None,
        status: AlertStatus::new(firing, 0),
    }
}

/// [`AlertKind::Exhaustion`]: fires when the budget runs out within the alert's horizon if
/// its window's rates go on ([`super::forecast`]; the period's `leave` says how old events
/// leave a rolling budget).
fn exhaustion_alert(
    a: &ExhaustionAlert,
    o: &SloObjective,
    counts: &[Counts],
    period: &PeriodCounts,
    text: &WindowText,
) -> AlertReport {
    let rate = counts_of(o, counts, a.rate_window_us);
    let t = period.leave.as_ref().and_then(|leave| {
        super::forecast::runs_out_in(o, period.events, rate, a.rate_window_us, leave)
    });
    AlertReport {
        top_contributor: None,
        name: a.name.clone(),
        kind: AlertKind::Exhaustion,
        severity: a.severity.clone(),
        action: None,
        long_window: Some(text.name(a.rate_window_us)),
        short_window: None,
        factor: None,
        min_events: None,
        within: Some(format_duration(a.within_us)),
        runs_out_in_hours: t.map(|t| t / crate::time::HOUR as f64),
        status: AlertStatus::new(t.is_some_and(|t| t <= a.within_us as f64), 0),
    }
}

/// [`AlertKind::Throughput`]: pages while the minimum rate over the period named `period`
/// is not `met`.
fn throughput_alert(period: Arc<str>, met: bool) -> AlertReport {
    AlertReport {
        top_contributor: None,
        name: "throughput_below_minimum".into(),
        kind: AlertKind::Throughput,
        severity: Severity::Page,
        action: None,
        long_window: Some(period),
        short_window: None,
        factor: None,
        min_events: None,
        within: None,
        runs_out_in_hours: None,
        status: AlertStatus::new(!met, 0),
    }
}

#[cfg(test)]
mod tests;

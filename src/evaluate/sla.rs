//! An SLA beside an SLO: the contractual objective (looser than the SLO's) over its own
//! period, on the same SLI. The report says whether it holds, how much of its budget is
//! left, and the margin between the two objectives; an alert fires while the SLO's budget is
//! spent but the SLA still holds — the buffer between the two is being used.
//!
//! A rolling SLA period is one more window of the SLO (counted like any other); a calendar
//! one (`week`, `month`, `quarter`, in the SLO's calendar zone or UTC) is counted from its
//! start like a calendar budget, from the widest bucket tier dividing every period start.

use serde::Serialize;

use super::exact::{self, Ppb};
use super::kinds::{AlertKind, Severity};
use super::period::Calendar;
use super::report::{AlertReport, AlertStatus};
use crate::time::{format_duration, format_rfc3339};
use crate::window::Counts;

/// The SLA's period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlaPeriod {
    /// The last `P`, µs.
    Rolling(i64),
    /// The calendar week, month or quarter so far.
    Calendar(Calendar),
}

/// An SLA beside an SLO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sla {
    /// The contractual objective, at most the SLO's.
    pub objective: Ppb,
    /// Its period.
    pub period: SlaPeriod,
}

impl Sla {
    /// The interval `[start, end)` it covers at window end `end_us`.
    pub fn interval(&self, end_us: i64) -> (i64, i64) {
        match &self.period {
            SlaPeriod::Rolling(p) => (crate::window::window_start(*p, end_us), end_us),
            SlaPeriod::Calendar(c) => (c.start_of(end_us).min(end_us), end_us),
        }
    }

    /// `30d`, or `month` (a calendar unit).
    pub fn period_name(&self) -> String {
        match &self.period {
            SlaPeriod::Rolling(p) => format_duration(*p),
            SlaPeriod::Calendar(c) => c.name(),
        }
    }
}

/// The SLA of one SLO, as reported.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SlaReport {
    /// The contractual objective.
    pub objective: f64,
    /// `30d`, `month`, …
    pub period: String,
    /// First instant counted, RFC 3339.
    pub start: String,
    /// First instant not counted, RFC 3339.
    pub end: String,
    /// Good events.
    pub good: u64,
    /// All events.
    pub total: u64,
    /// good / total; `null` without traffic.
    pub sli: Option<f64>,
    /// SLI ≥ the SLA's objective, exactly; true without traffic.
    pub met: bool,
    /// The SLA's own remaining budget ratio (1 untouched, negative breached).
    pub remaining_ratio: f64,
    /// The SLO's objective minus the SLA's: the buffer between them.
    pub margin: f64,
}

/// The report of `sla` over `counts` (its interval's), at window end `end_us`, beside an SLO
/// of objective `slo_objective`.
pub fn report(sla: &Sla, counts: Counts, end_us: i64, slo_objective: Ppb) -> SlaReport {
    let (start, end) = sla.interval(end_us);
    SlaReport {
        objective: sla.objective.as_f64(),
        period: sla.period_name(),
        start: format_rfc3339(start),
        end: format_rfc3339(end),
        good: counts.good,
        total: counts.total,
        sli: exact::sli(counts),
        met: !exact::remaining_below(counts, sla.objective, Ppb(0)),
        remaining_ratio: exact::remaining_ratio(counts, sla.objective),
        margin: slo_objective.as_f64() - sla.objective.as_f64(),
    }
}

/// The name of the buffer alert.
pub const BUFFER_ALERT: &str = "sla_buffer_in_use";

/// [`AlertKind::SlaBuffer`]: fires while the SLO's budget (`slo_unit` under `slo_objective`)
/// is spent and the SLA (`sla` over `counts`) still holds.
pub fn buffer_alert(
    sla: &Sla,
    counts: Counts,
    slo_unit: Counts,
    slo_objective: Ppb,
) -> AlertReport {
    let slo_spent = slo_unit.total > 0 && !exact::remaining_above(slo_unit, slo_objective, Ppb(0));
    let sla_holds = !exact::remaining_below(counts, sla.objective, Ppb(0));
    AlertReport {
        top_contributor: None,
        name: BUFFER_ALERT.into(),
        kind: AlertKind::SlaBuffer,
        severity: Severity::from("warning"),
        action: None,
        long_window: Some(sla.period_name().into()),
        short_window: None,
        factor: Some(sla.objective.as_f64()),
        min_events: None,
        within: None,
        runs_out_in_hours: None,
        status: AlertStatus::new(slo_spent && sla_holds, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sla() -> Sla {
        Sla {
            objective: Ppb::from_percent(99.0).unwrap(),
            period: SlaPeriod::Rolling(30 * crate::time::DAY),
        }
    }

    #[test]
    fn the_buffer_alert_fires_between_the_two_objectives() {
        let slo = Ppb::from_percent(99.9).unwrap();
        let c = |bad: u64| Counts {
            good: 10_000 - bad,
            total: 10_000,
        };
        // 5 bad: within the SLO (10 allowed); 50: SLO spent, SLA holds (100 allowed); 101: both.
        for (bad, firing, met) in [
            (5, false, true),
            (50, true, true),
            (100, true, true),
            (101, false, false),
        ] {
            let a = buffer_alert(&sla(), c(bad), c(bad), slo);
            assert_eq!(a.status.firing, firing, "{bad} bad");
            let r = report(&sla(), c(bad), 0, slo);
            assert_eq!(r.met, met, "{bad} bad");
            assert!((r.margin - 0.009).abs() < 1e-12);
        }
        // No traffic: nothing spent, the SLA holds.
        let r = report(&sla(), Counts::default(), 0, slo);
        assert!(r.met && r.sli.is_none() && r.remaining_ratio == 1.0);
        assert!(
            !buffer_alert(&sla(), Counts::default(), Counts::default(), slo)
                .status
                .firing
        );
    }
}

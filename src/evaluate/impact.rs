//! Incident impact: what a time range cost one SLO — events, bad events, the error ratio,
//! the share of the error budget it spent, the equivalent full downtime and the peak burn
//! rate — exact for the range it reports, and as Markdown for a postmortem.
//!
//! The range asked for is widened to whole buckets of the finest tier that still holds its
//! start (1 s for the last minutes, up to 1 h for the SLO's period), so its counts are exact
//! for the `[start, end)` reported; an end past the evaluation's window end is cut there. The
//! budget share divides the range's bad events by the `allowed_bad` of the SLO's budget
//! interval as reported now. The peak burn rate is the highest of the range's steps (at most
//! 1,000 steps, each a whole number of buckets).

use serde::Serialize;

use super::report::SloReport;
use super::{SloKind, SloObjective, Target};
use crate::time::{DAY, HOUR, MINUTE, SECOND, ceil_to, floor_to, format_duration, format_rfc3339};
use crate::window::SloCounters;

/// Most steps the peak burn rate is taken over.
pub const MAX_STEPS: i64 = 1_000;

/// Why an impact cannot be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImpactError {
    /// `start` is not before `end`.
    #[error("start {start} is not before end {end}")]
    Empty {
        /// As asked.
        start: String,
        /// As asked.
        end: String,
    },
    /// The range starts at or after the evaluation's window end.
    #[error("the range starts at or after the evaluation time {0}: nothing is counted there yet")]
    Future(String),
    /// No tier keeps buckets back to the start.
    #[error("{0} is older than every bucket this SLO keeps")]
    TooOld(String),
    /// A throughput minimum has no error budget.
    #[error("{0} has no error budget (a throughput minimum)")]
    NoBudget(String),
}

/// The impact of a range on one SLO.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ImpactReport {
    /// Service (or sub-service).
    pub service: String,
    /// SLO name.
    pub slo: String,
    /// What it measures.
    pub kind: SloKind,
    /// Its objective.
    pub objective: f64,
    /// First instant counted (the asked start, down to a bucket), RFC 3339.
    pub start: String,
    /// First instant not counted (the asked end, up to a bucket, at most the window end).
    pub end: String,
    /// The bucket width the range is counted in.
    pub bucket: String,
    /// Events in `[start, end)`.
    pub events: u64,
    /// Good events.
    pub good: u64,
    /// Bad events.
    pub bad: u64,
    /// bad / events; `null` without events.
    pub error_ratio: Option<f64>,
    /// The range's burn rate; `null` without events.
    pub burn_rate: Option<f64>,
    /// bad over the current budget interval's `allowed_bad`; `null` when it allows none.
    pub budget_consumed_ratio: Option<f64>,
    /// The budget interval that share is of: `[start, end)` and its `allowed_bad`.
    pub budget: BudgetShare,
    /// Error ratio × the range's length, in minutes; for availability SLOs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downtime_equivalent_minutes: Option<f64>,
    /// The step the peak is taken over.
    pub step: String,
    /// The highest burn rate of a step; `null` without events.
    pub peak_burn_rate: Option<f64>,
    /// When that step started, RFC 3339.
    pub peak_at: Option<String>,
    /// The evaluation time, RFC 3339.
    pub evaluated_at: String,
    /// Each alert of the SLO that fired in the range (see [`crate::alert_history`]), first
    /// to fire first.
    pub alerts: Vec<AlertInRange>,
    /// The first minute the alert history holds; an alert can only be listed from then.
    pub alerts_recorded_from: Option<String>,
    /// `start` and `end`, µs.
    #[serde(skip)]
    pub range_us: (i64, i64),
}

/// How one alert fired in the range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertInRange {
    /// The alert's name.
    pub name: String,
    /// When it first fired (the start of the first firing that overlaps the range, which
    /// may be before it).
    pub first_firing: String,
    /// From the range's `start` to `first_firing`, seconds: negative when it was firing
    /// before the range began.
    pub detection_delay_seconds: f64,
    /// Minutes of the range it fired.
    pub firing_minutes: f64,
}

/// The alerts of `report`'s SLO `o` that fired in its range, from `fired` (with their holds),
/// into it.
pub fn add_alerts(
    report: &mut ImpactReport,
    o: &SloObjective,
    fired: &crate::alert_history::AlertHistory,
) {
    let (from, to) = report.range_us;
    report.alerts_recorded_from = fired.recorded_from().map(format_rfc3339);
    let mut alerts: Vec<(i64, AlertInRange)> = fired
        .alerts_of(&report.service, &report.slo)
        .into_iter()
        .filter_map(|name| {
            let id = crate::alert_history::alert_id(&report.service, &report.slo, name);
            let f = fired.firing(&id, o.hold_us(name), from, to);
            let first = f.first_us?;
            Some((
                first,
                AlertInRange {
                    name: name.to_string(),
                    first_firing: format_rfc3339(first),
                    detection_delay_seconds: (first - from) as f64 / SECOND as f64,
                    firing_minutes: f.us as f64 / MINUTE as f64,
                },
            ))
        })
        .collect();
    alerts.sort_by(|a, b| (a.0, &a.1.name).cmp(&(b.0, &b.1.name)));
    report.alerts = alerts.into_iter().map(|(_, a)| a).collect();
}

/// The budget a range's bad events are a share of.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BudgetShare {
    /// First instant, RFC 3339.
    pub start: String,
    /// First instant after it, RFC 3339.
    pub end: String,
    /// Bad events it allows.
    pub allowed_bad: f64,
}

/// The steps a peak may be taken over, finest first.
const STEPS: [i64; 9] = [
    SECOND,
    10 * SECOND,
    MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    HOUR,
    6 * HOUR,
    DAY,
    7 * DAY,
];

/// The impact of `[start_us, end_us)` on `o`, from its `counters`, with `report` its report of
/// the same evaluation (window end `window_end_us`, evaluation time `evaluated_at`).
pub fn impact(
    o: &SloObjective,
    report: &SloReport,
    counters: &SloCounters,
    (window_end_us, evaluated_at): (i64, &str),
    start_us: i64,
    end_us: i64,
) -> Result<ImpactReport, ImpactError> {
    let Target::Ratio(objective) = o.target else {
        return Err(ImpactError::NoBudget(o.id()));
    };
    if start_us >= end_us {
        return Err(ImpactError::Empty {
            start: format_rfc3339(start_us),
            end: format_rfc3339(end_us),
        });
    }
    if start_us >= window_end_us {
        return Err(ImpactError::Future(format_rfc3339(window_end_us)));
    }
    let width = counters
        .finest_width_holding(floor_to(start_us, SECOND))
        .ok_or_else(|| ImpactError::TooOld(format_rfc3339(start_us)))?;
    let from = floor_to(start_us, width);
    let to = ceil_to(end_us, width).min(window_end_us);
    let step = STEPS
        .iter()
        .copied()
        .find(|&s| s >= width && s % width == 0 && (to - from) / s <= MAX_STEPS)
        .unwrap_or(width);
    let c = counters.sum_from(from, to, width);
    let mut peak: Option<(f64, i64)> = None;
    let mut s = from;
    while s < to {
        let e = (s + step).min(to);
        let part = counters.sum_from(s, e, width);
        if let Some(b) = super::exact::burn_rate(part, objective)
            && peak.is_none_or(|(p, _)| b > p)
        {
            peak = Some((b, s));
        }
        s = e;
    }
    let budget = report.budget.as_ref();
    let allowed = budget.map_or(0.0, |b| b.allowed_bad);
    let error_ratio = (c.total > 0).then(|| c.bad() as f64 / c.total as f64);
    let minutes = (to - from) as f64 / MINUTE as f64;
    Ok(ImpactReport {
        service: o.service.to_string(),
        slo: o.slo.to_string(),
        kind: o.kind,
        objective: objective.as_f64(),
        start: format_rfc3339(from),
        end: format_rfc3339(to),
        bucket: format_duration(width),
        events: c.total,
        good: c.good,
        bad: c.bad(),
        error_ratio,
        burn_rate: super::exact::burn_rate(c, objective),
        budget_consumed_ratio: (allowed > 0.0).then(|| c.bad() as f64 / allowed),
        budget: BudgetShare {
            start: budget.map(|b| b.start.to_string()).unwrap_or_default(),
            end: budget.map(|b| b.end.to_string()).unwrap_or_default(),
            allowed_bad: allowed,
        },
        downtime_equivalent_minutes: matches!(o.kind, SloKind::Availability | SloKind::ErrorRate)
            .then(|| error_ratio.unwrap_or(0.0) * minutes),
        step: format_duration(step),
        peak_burn_rate: peak.map(|(b, _)| b),
        peak_at: peak.map(|(_, t)| format_rfc3339(t)),
        evaluated_at: evaluated_at.to_string(),
        alerts: Vec::new(),
        alerts_recorded_from: None,
        range_us: (from, to),
    })
}

fn pct(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "—".into(), |x| format!("{:.*} %", digits, x * 100.0))
}

fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The "Impact" section of a postmortem.
pub fn markdown(r: &ImpactReport) -> String {
    let rate = |b: Option<f64>| b.map_or_else(|| "—".into(), |b| format!("{b:.1}×"));
    let mut out = format!(
        "### Impact\n\n| | |\n|---|---|\n| SLO | {}/{} ({}, objective {}) |\n| Window | {} – {} (counted in {} buckets) |\n| Requests | {} ({} failed) |\n| Error ratio | {} |\n| Error budget consumed | {} of the budget of {} – {} ({} bad events allowed) |\n",
        r.service,
        r.slo,
        r.kind,
        pct(Some(r.objective), 3),
        r.start,
        r.end,
        r.bucket,
        grouped(r.events),
        grouped(r.bad),
        pct(r.error_ratio, 2),
        pct(r.budget_consumed_ratio, 1),
        r.budget.start,
        r.budget.end,
        r.budget.allowed_bad.floor(),
    );
    if let Some(m) = r.downtime_equivalent_minutes {
        out += &format!("| Equivalent full downtime | {m:.1} min |\n");
    }
    out += &format!(
        "| Burn rate | {} over the window; peak {} in the {} from {} |\n",
        rate(r.burn_rate),
        rate(r.peak_burn_rate),
        r.step,
        r.peak_at.as_deref().unwrap_or("—"),
    );
    for a in &r.alerts {
        let delay = a.detection_delay_seconds / 60.0;
        let when = if delay >= 0.0 {
            format!("{delay:.1} min after the start")
        } else {
            format!("{:.1} min before the start", -delay)
        };
        out += &format!(
            "| Alert {} | first fired {} ({when}); fired {:.0} min of the window |\n",
            a.name, a.first_firing, a.firing_minutes
        );
    }
    if r.alerts.is_empty() {
        out += &format!(
            "| Alerts | none fired{} |\n",
            r.alerts_recorded_from.as_deref().map_or_else(
                || " (no alert history yet)".into(),
                |f| format!(" (history from {f})")
            )
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_and_the_markdown_has_every_row() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(1_234_567), "1,234,567");
        let r = ImpactReport {
            service: "checkout".into(),
            slo: "availability".into(),
            kind: SloKind::Availability,
            objective: 0.999,
            start: "2026-12-01T10:00:00Z".into(),
            end: "2026-12-01T10:18:00Z".into(),
            bucket: "1m".into(),
            events: 12_000,
            good: 10_560,
            bad: 1_440,
            error_ratio: Some(0.12),
            burn_rate: Some(120.0),
            budget_consumed_ratio: Some(0.234),
            budget: BudgetShare {
                start: "2026-11-01T10:18:00Z".into(),
                end: "2026-12-01T10:18:00Z".into(),
                allowed_bad: 6153.8,
            },
            downtime_equivalent_minutes: Some(2.16),
            step: "1m".into(),
            peak_burn_rate: Some(310.0),
            peak_at: Some("2026-12-01T10:05:00Z".into()),
            evaluated_at: "2026-12-01T12:00:00Z".into(),
            alerts: vec![AlertInRange {
                name: "page_1h_5m".into(),
                first_firing: "2026-12-01T10:04:00Z".into(),
                detection_delay_seconds: 240.0,
                firing_minutes: 14.0,
            }],
            alerts_recorded_from: Some("2026-11-01T00:00:00Z".into()),
            range_us: (0, 0),
        };
        let md = markdown(&r);
        for row in [
            "| SLO | checkout/availability (availability, objective 99.900 %) |",
            "| Requests | 12,000 (1,440 failed) |",
            "| Error ratio | 12.00 % |",
            "| Error budget consumed | 23.4 % of the budget of 2026-11-01T10:18:00Z – 2026-12-01T10:18:00Z (6153 bad events allowed) |",
            "| Equivalent full downtime | 2.2 min |",
            "| Burn rate | 120.0× over the window; peak 310.0× in the 1m from 2026-12-01T10:05:00Z |",
            "| Alert page_1h_5m | first fired 2026-12-01T10:04:00Z (4.0 min after the start); fired 14 min of the window |",
        ] {
            assert!(md.contains(row), "{row} not in\n{md}");
        }
    }
}

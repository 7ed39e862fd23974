//! Period reports: each SLO's good and total events per calendar day, ISO week, month or
//! quarter of its time zone, from its daily history (see [`crate::window::history`]).
//!
//! Reports cover whole local days up to the last one that ended before the evaluation time
//! T: the newest period listed is the one holding that day, reported through it while it
//! is still running (`complete: false`). So every count is exact for the `[start, end)`
//! reported, whatever the lateness still to come for today. `count` periods are listed,
//! oldest first, as far back as the history keeps whole periods.
//!
//! Every SLO is reported by occurrences (good events / events), timeslice SLOs included: a
//! daily history keeps events, not slices. The budget consumed is the bad events over the
//! period's own allowance, `(1 − objective) × total` of the same days; availability SLOs also
//! give the equivalent downtime, the error ratio times the period's length.

use std::sync::Arc;

use serde::Serialize;

use super::adjustments::{AdjustedIn, adjusted_in};
use super::exact::{ONE, Ppb};
use super::{SloKind, SloObjective, Target};
use crate::alert_history::AlertHistory;
use crate::time::{MINUTE, SECOND, civil_from_days, days_from_civil, format_rfc3339};
use crate::window::{Applied, Counts, History, Store};

/// Most periods one report may ask for.
pub const MAX_COUNT: usize = 400;

/// Periods listed when no count is given.
pub const DEFAULT_COUNT: usize = 3;

/// Most rows (SLOs × periods) one report may hold: about 40 MB of JSON. More is refused,
/// asking to narrow it by service or SLO, so one request cannot build gigabytes.
pub const MAX_ROWS: usize = 100_000;

/// Why a report is not built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{slos} SLOs × {count} periods is more than {MAX_ROWS} rows: ask for fewer periods, or one service or SLO"
)]
pub struct TooLarge {
    /// SLOs asked for.
    pub slos: usize,
    /// Periods asked for.
    pub count: usize,
}

/// The length of a report period, in the SLO's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportPeriod {
    /// A local day.
    Day,
    /// An ISO week, Monday first.
    Week,
    /// A calendar month.
    Month,
    /// A quarter: January, April, July, October.
    Quarter,
}

impl ReportPeriod {
    /// The period named `day`, `week`, `month` or `quarter`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "day" => Some(ReportPeriod::Day),
            "week" => Some(ReportPeriod::Week),
            "month" => Some(ReportPeriod::Month),
            "quarter" => Some(ReportPeriod::Quarter),
            _ => None,
        }
    }

    /// `day`, `week`, `month` or `quarter`.
    pub fn name(self) -> &'static str {
        match self {
            ReportPeriod::Day => "day",
            ReportPeriod::Week => "week",
            ReportPeriod::Month => "month",
            ReportPeriod::Quarter => "quarter",
        }
    }

    /// The days `[first, end)` of the period holding day `day` (days since 1970-01-01).
    pub fn days_of(self, day: i64) -> (i64, i64) {
        let (y, m, _) = civil_from_days(day);
        let month_start = |y: i64, m: u32| days_from_civil(y, m, 1);
        let months = |m0: u32, n: u32| {
            let next = m0 + n;
            let (ny, nm) = if next > 12 {
                (y + 1, next - 12)
            } else {
                (y, next)
            };
            (month_start(y, m0), month_start(ny, nm))
        };
        match self {
            ReportPeriod::Day => (day, day + 1),
            ReportPeriod::Week => {
                let monday = day - crate::time::weekday(day);
                (monday, monday + 7)
            }
            ReportPeriod::Month => months(m, 1),
            ReportPeriod::Quarter => months((m - 1) / 3 * 3 + 1, 3),
        }
    }
}

/// Every SLO's periods.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeriodsReport {
    /// `day`, `week`, `month` or `quarter`.
    pub period: ReportPeriod,
    /// Periods asked for per SLO.
    pub count: usize,
    /// The evaluation time T (RFC 3339): reports end with the last local day before T's.
    pub evaluated_at: String,
    /// Days of history kept per SLO (`spec.window.history`); 0: none, so no periods.
    pub history_days: usize,
    /// One entry per SLO (and sub-service SLO), in `/v1/slos` order.
    pub slos: Vec<SloPeriods>,
}

/// One SLO's periods.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SloPeriods {
    /// Service (or sub-service) name.
    pub service: String,
    /// SLO name.
    pub slo: String,
    /// What it measures.
    pub kind: SloKind,
    /// Human-readable name, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Target ratio; `null` for throughput minimums.
    pub objective: Option<f64>,
    /// The IANA zone whose days, weeks, months and quarters are reported.
    pub time_zone: String,
    /// Always `occurrences`: periods count events, timeslice SLOs included.
    pub budgeting: &'static str,
    /// The oldest local day the history still keeps (`YYYY-MM-DD`); `null` without history.
    pub history_from: Option<String>,
    /// The first minute the alert history holds (`alerts` of a period count from then).
    pub alerts_recorded_from: Option<String>,
    /// The periods, oldest first.
    pub periods: Vec<PeriodRow>,
}

/// One period of one SLO.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeriodRow {
    /// First instant included (local midnight of the first day), RFC 3339.
    pub start: String,
    /// First instant excluded: local midnight after the last day reported, RFC 3339.
    pub end: String,
    /// First local day, `YYYY-MM-DD`.
    pub first_day: String,
    /// Last local day reported, `YYYY-MM-DD`.
    pub last_day: String,
    /// False while the period is still running: it is reported through `last_day`.
    pub complete: bool,
    /// Good events in `[start, end)`.
    pub good: u64,
    /// Bad events.
    pub bad: u64,
    /// All events.
    pub total: u64,
    /// good / total; `null` without traffic.
    pub sli: Option<f64>,
    /// Whether the SLO was met: SLI ≥ objective (exact), or the good rate ≥ the minimum for
    /// throughput; `null` without traffic for ratio SLOs.
    pub met: Option<bool>,
    /// Bad events over the period's allowance `(1 − objective) × total`: 1 is the whole
    /// budget; `null` without traffic or objective.
    pub budget_consumed_ratio: Option<f64>,
    /// Availability SLOs: error ratio × the period's length, in minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downtime_equivalent_minutes: Option<f64>,
    /// Good events per second over the period, for throughput SLOs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_per_second: Option<f64>,
    /// The day with the lowest SLI (throughput: the lowest good rate); earliest on a tie.
    pub worst_day: Option<DayRow>,
    /// The budget adjustments (maintenance windows) inside the period, with the ranges
    /// actually adjusted; left out when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub adjustments: Vec<AdjustedIn>,
    /// Each alert of the SLO that fired in the recorded history: how often and how long it
    /// fired in the period (see [`crate::alert_history`]); left out when none did.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<AlertInPeriod>,
}

/// How one alert fired in a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertInPeriod {
    /// The alert's name.
    pub name: String,
    /// Firing intervals that overlap the period.
    pub firing_count: u32,
    /// Minutes of the period it fired.
    pub firing_minutes: f64,
}

/// One local day.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DayRow {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Good events.
    pub good: u64,
    /// Bad events.
    pub bad: u64,
    /// All events.
    pub total: u64,
    /// good / total; `null` without traffic.
    pub sli: Option<f64>,
}

/// `YYYY-MM-DD` of day `day`.
pub fn format_day(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Whether `c` meets `objective`: good / total ≥ objective, compared as integers.
fn meets(c: Counts, objective: Ppb) -> bool {
    u128::from(c.good) * u128::from(ONE) >= u128::from(objective.0) * u128::from(c.total)
}

/// The last `count` periods of every report entry `(service, slo)` for which `keep` is true,
/// from `store` at wall-clock `now_us`. A sub-service without events yet is left out, as in
/// `/v1/slos`.
pub fn reports(
    objectives: &[Arc<SloObjective>],
    store: &Store,
    now_us: i64,
    period: ReportPeriod,
    count: usize,
    keep: impl Fn(&str, &str) -> bool,
) -> Result<PeriodsReport, TooLarge> {
    let t = store.evaluation_time(now_us);
    let plan = store.plan();
    let entries = super::evaluation::report_entries(objectives, plan, keep);
    if entries.len().saturating_mul(count) > MAX_ROWS {
        return Err(TooLarge {
            slos: entries.len(),
            count,
        });
    }
    // The alert history before the counters, as its writer takes them.
    let fired = store.alert_history();
    let counters = store.counters();
    let slos = entries
        .iter()
        .filter_map(|(o, of)| {
            let c = counters.counters(*of)?;
            let applied = counters.adjusted(plan, of.slo());
            Some(periods_of(
                o,
                c.history(),
                &applied,
                &fired,
                period,
                count,
                t,
            ))
        })
        .collect();
    Ok(PeriodsReport {
        period,
        count,
        evaluated_at: format_rfc3339(t),
        history_days: plan.window.history_days,
        slos,
    })
}

/// `o`'s last `count` periods from `history` (its daily counts, or `None` when no history
/// is kept), at evaluation time `t_us`; `applied` is how it stands with its adjustments,
/// `fired` when its alerts fired.
pub fn periods_of(
    o: &SloObjective,
    history: Option<&History>,
    applied: &[Applied],
    fired: &AlertHistory,
    period: ReportPeriod,
    count: usize,
    t_us: i64,
) -> SloPeriods {
    let zone = o.report_zone();
    let mut out = SloPeriods {
        service: o.service.to_string(),
        slo: o.slo.to_string(),
        kind: o.kind,
        display_name: o.display_name.clone(),
        objective: match o.target {
            Target::Ratio(p) => Some(p.as_f64()),
            Target::MinRate { .. } => None,
        },
        time_zone: zone.name().to_string(),
        budgeting: "occurrences",
        history_from: None,
        alerts_recorded_from: fired.recorded_from().map(format_rfc3339),
        periods: Vec::new(),
    };
    let Some(h) = history else {
        return out;
    };
    let last = zone.day_of(t_us) - 1;
    let oldest = h.newest_day().unwrap_or(last).max(last) - h.days() as i64 + 1;
    out.history_from = Some(format_day(oldest));
    let alerts = fired.alerts_of(&o.service, &o.slo);
    let mut starts = Vec::new();
    let mut day = last;
    while starts.len() < count {
        let (first, end) = period.days_of(day);
        if first < oldest {
            break;
        }
        starts.push((first, end));
        day = first - 1;
    }
    out.periods = starts
        .into_iter()
        .rev()
        .map(|(first, end)| {
            let mut r = row(o, h, first, end.min(last + 1), end <= last + 1);
            let (from, to) = (
                zone.start_of_day(first),
                zone.start_of_day(end.min(last + 1)),
            );
            r.adjustments = adjusted_in(o, applied, from, to);
            r.alerts = alerts
                .iter()
                .map(|name| {
                    let id = crate::alert_history::alert_id(&o.service, &o.slo, name);
                    let f = fired.firing(&id, o.hold_us(name), from, to);
                    AlertInPeriod {
                        name: name.to_string(),
                        firing_count: f.count,
                        firing_minutes: f.us as f64 / MINUTE as f64,
                    }
                })
                .collect();
            r
        })
        .collect();
    out
}

/// The row of days `[first, end)`.
fn row(o: &SloObjective, h: &History, first: i64, end: i64, complete: bool) -> PeriodRow {
    let zone = h.zone();
    let (start_us, end_us) = (zone.start_of_day(first), zone.start_of_day(end));
    let days: Vec<(i64, Counts)> = (first..end).map(|d| (d, h.day(d))).collect();
    let mut c = Counts::default();
    for &(_, day) in &days {
        c += day;
    }
    let sli = super::exact::sli(c);
    let seconds = (end_us - start_us) as f64 / SECOND as f64;
    let day_row = |&(d, c): &(i64, Counts)| DayRow {
        date: format_day(d),
        good: c.good,
        bad: c.bad(),
        total: c.total,
        sli: super::exact::sli(c),
    };
    let mut r = PeriodRow {
        start: format_rfc3339(start_us),
        end: format_rfc3339(end_us),
        first_day: format_day(first),
        last_day: format_day(end - 1),
        complete,
        good: c.good,
        bad: c.bad(),
        total: c.total,
        sli,
        met: None,
        budget_consumed_ratio: None,
        downtime_equivalent_minutes: None,
        observed_per_second: None,
        worst_day: None,
        adjustments: Vec::new(),
        alerts: Vec::new(),
    };
    match o.target {
        Target::Ratio(objective) => {
            let traffic = c.total > 0;
            r.met = traffic.then(|| meets(c, objective));
            let allowed = objective.complement().as_f64() * c.total as f64;
            r.budget_consumed_ratio = (traffic && allowed > 0.0).then(|| c.bad() as f64 / allowed);
            if matches!(o.kind, SloKind::Availability | SloKind::ErrorRate) {
                r.downtime_equivalent_minutes =
                    sli.map(|s| (1.0 - s) * seconds * SECOND as f64 / MINUTE as f64);
            }
            // Lowest good/total: a beats b when a.good·b.total < b.good·a.total.
            r.worst_day = days
                .iter()
                .filter(|(_, c)| c.total > 0)
                .reduce(|worst, d| {
                    let (a, b) = (d.1, worst.1);
                    let lower = u128::from(a.good) * u128::from(b.total)
                        < u128::from(b.good) * u128::from(a.total);
                    if lower { d } else { worst }
                })
                .map(day_row);
        }
        Target::MinRate { milli_per_second } => {
            r.observed_per_second = (seconds > 0.0).then(|| c.good as f64 / seconds);
            // good / seconds ≥ milli / 1000, in whole µs of the period.
            let period_us = u128::try_from(end_us - start_us).unwrap_or(0);
            r.met = Some(
                u128::from(c.good) * 1000 * u128::from(SECOND as u64)
                    >= u128::from(milli_per_second) * period_us,
            );
            let rate = |&(d, c): &(i64, Counts)| {
                let len = (zone.start_of_day(d + 1) - zone.start_of_day(d)).max(1) as f64;
                c.good as f64 / len
            };
            r.worst_day = days
                .iter()
                .reduce(|worst, d| if rate(d) < rate(worst) { d } else { worst })
                .map(day_row);
        }
    }
    r
}

pub mod text;

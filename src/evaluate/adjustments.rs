//! What the budget adjustments (maintenance windows) amount to: each one's schedule, whether
//! it is in force, and per SLO the events it counted apart and the ranges actually adjusted
//! (see [`crate::window::adjust`]). Served by `GET /v1/adjustments`, and per period in the
//! reports.

use std::sync::Arc;

use serde::Serialize;

use super::SloObjective;
use crate::time::{format_duration, format_rfc3339};
use crate::window::adjust::{add_range, intersect};
use crate::window::{Adjustment, Applied, Store};

/// Most occurrences looked at for one adjustment in one range.
const MAX_OCCURRENCES: usize = 10_000;

/// `[start, end)` in RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Range {
    /// First instant included.
    pub start: String,
    /// First instant excluded.
    pub end: String,
}

impl Range {
    fn of((start, end): (i64, i64)) -> Self {
        Self {
            start: format_rfc3339(start),
            end: format_rfc3339(end),
        }
    }
}

/// Every adjustment, as `GET /v1/adjustments` answers.
#[derive(Debug, Clone, Serialize)]
pub struct AdjustmentsReport {
    /// The evaluation time.
    pub evaluated_at: String,
    /// By name.
    pub adjustments: Vec<AdjustmentView>,
}

/// One adjustment.
#[derive(Debug, Clone, Serialize)]
pub struct AdjustmentView {
    /// Its name.
    pub name: String,
    /// Where it was declared: `config` (a `BudgetAdjustment` document) or `api`
    /// (`POST /v1/adjustments`).
    pub source: &'static str,
    /// What it is for.
    pub description: String,
    /// `exclude` or `count_as_good`.
    pub mode: &'static str,
    /// The first occurrence's start.
    pub first_event_start: String,
    /// Each occurrence's length (`2h`).
    pub duration: String,
    /// Days between two starts, when it repeats.
    pub every_days: Option<i64>,
    /// The zone whose local time a repeat keeps.
    pub time_zone: String,
    /// Whether an occurrence holds the evaluation time.
    pub in_force: bool,
    /// The occurrence under way at the evaluation time, else the next one; `null` when
    /// none is left.
    pub current_or_next: Option<Range>,
    /// Per SLO it names.
    pub slos: Vec<AdjustedSlo>,
}

/// How one SLO stands with one adjustment.
#[derive(Debug, Clone, Serialize)]
pub struct AdjustedSlo {
    /// Service.
    pub service: String,
    /// SLO.
    pub slo: String,
    /// When it was first applied to this SLO's counted events: the end of the newest
    /// second counted then; `null` when nothing had been counted (it has been exact from
    /// the start). An occurrence starting at or after this is exact.
    pub declared_at: Option<String>,
    /// Good events counted apart.
    pub good: u64,
    /// Bad events counted apart.
    pub bad: u64,
    /// Events counted apart.
    pub total: u64,
    /// For the occurrences under way or past when it was declared: the ranges actually
    /// adjusted (whole retained buckets inside them, and everything after the newest
    /// second counted then).
    pub applied_to_counted: Vec<Range>,
}

/// One adjustment's part in a range (a report period).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdjustedIn {
    /// Its name.
    pub name: String,
    /// `exclude` or `count_as_good`.
    pub mode: &'static str,
    /// The ranges actually adjusted inside the range.
    pub ranges: Vec<Range>,
}

/// The parts of `[from, to)` that adjustment `a` actually adjusted, standing as `applied`
/// says: an occurrence that began at or after it was declared is exact; one under way or
/// past then covers the ranges applied to counted events.
pub fn adjusted_within(a: &Adjustment, applied: &Applied, from: i64, to: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    for (s, e) in a.schedule.occurrences(from, to, MAX_OCCURRENCES) {
        let exact = !applied.done || applied.declared_at_us.is_none_or(|d| s >= d);
        let parts = if exact {
            vec![(s, e)]
        } else {
            intersect(&applied.ranges, &[(s, e)])
        };
        for (x, y) in parts {
            add_range(&mut out, x.max(from), y.min(to));
        }
    }
    out
}

/// The adjustments of `o` (whose state is `applied`, in the same order) inside `[from, to)`.
pub fn adjusted_in(o: &SloObjective, applied: &[Applied], from: i64, to: i64) -> Vec<AdjustedIn> {
    o.adjustments
        .iter()
        .zip(applied)
        .filter_map(|(a, s)| {
            let ranges = adjusted_within(a, s, from, to);
            (!ranges.is_empty()).then(|| AdjustedIn {
                name: a.name.clone(),
                mode: a.mode.as_str(),
                ranges: ranges.into_iter().map(Range::of).collect(),
            })
        })
        .collect()
}

/// Every adjustment of the SLOs for which `keep(service, slo)` holds, from `store` at
/// wall-clock `now_us`.
pub fn adjustments(
    objectives: &[Arc<SloObjective>],
    store: &Store,
    now_us: i64,
    keep: impl Fn(&str, &str) -> bool,
) -> AdjustmentsReport {
    let t = store.evaluation_time(now_us);
    let plan = store.plan();
    let api: Vec<String> = store.declared().iter().map(|d| d.name.clone()).collect();
    let counters = store.counters();
    let mut views: Vec<AdjustmentView> = Vec::new();
    for (i, o) in objectives.iter().enumerate().take(plan.layouts.len()) {
        if o.adjustments.is_empty() || !keep(&o.service, &o.slo) {
            continue;
        }
        let applied = counters.adjusted(plan, i);
        for (a, s) in o.adjustments.iter().zip(&applied) {
            let at = match views.iter().position(|v| v.name == a.name) {
                Some(at) => at,
                None => {
                    let mut v = view(a, t);
                    if api.contains(&a.name) {
                        v.source = "api";
                    }
                    views.push(v);
                    views.len() - 1
                }
            };
            views[at].slos.push(AdjustedSlo {
                service: o.service.to_string(),
                slo: o.slo.to_string(),
                declared_at: s.declared_at_us.map(format_rfc3339),
                good: s.events.good,
                bad: s.events.bad(),
                total: s.events.total,
                applied_to_counted: s.ranges.iter().copied().map(Range::of).collect(),
            });
        }
    }
    views.sort_by(|a, b| a.name.cmp(&b.name));
    AdjustmentsReport {
        evaluated_at: format_rfc3339(t),
        adjustments: views,
    }
}

/// `a` at evaluation time `t_us`, without its SLOs.
fn view(a: &Adjustment, t_us: i64) -> AdjustmentView {
    let s = &a.schedule;
    let (inside, _, hi) = s.status(t_us);
    let current_or_next = match inside {
        Some(occ) => Some(occ),
        None => (hi != i64::MAX).then(|| (hi, hi.saturating_add(s.duration_us()))),
    };
    AdjustmentView {
        name: a.name.clone(),
        source: "config",
        description: a.description.clone(),
        mode: a.mode.as_str(),
        first_event_start: format_rfc3339(s.first_us()),
        duration: format_duration(s.duration_us()),
        every_days: s.repeat().map(|r| r.every_days),
        time_zone: s.zone().name().to_string(),
        in_force: inside.is_some(),
        current_or_next: current_or_next.map(Range::of),
        slos: Vec::new(),
    }
}

/// `GET /v1/adjustments`'s JSON as text: one paragraph per adjustment, one line per SLO.
pub fn text(report: &serde_json::Value) -> String {
    use std::fmt::Write;
    let empty = Vec::new();
    let list = report["adjustments"].as_array().unwrap_or(&empty);
    if list.is_empty() {
        return "no budget adjustments\n".into();
    }
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("-").to_string();
    let range = |r: &serde_json::Value| format!("{} – {}", s(&r["start"]), s(&r["end"]));
    let mut out = String::new();
    for a in list {
        let repeat = a["every_days"].as_i64().map_or_else(
            || "once".into(),
            |d| format!("every {d}d in {}", s(&a["time_zone"])),
        );
        let when = match (&a["current_or_next"], a["in_force"].as_bool()) {
            (r, Some(true)) if r.is_object() => format!("in force {}", range(r)),
            (r, _) if r.is_object() => format!("next {}", range(r)),
            _ => "no occurrence left".into(),
        };
        let _ = writeln!(
            out,
            "{} ({}, {} from {}, {}): {}",
            s(&a["name"]),
            s(&a["mode"]),
            s(&a["duration"]),
            s(&a["first_event_start"]),
            repeat,
            when
        );
        for slo in a["slos"].as_array().unwrap_or(&empty) {
            let applied: Vec<String> = slo["applied_to_counted"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .map(range)
                .collect();
            let _ = writeln!(
                out,
                "  {}/{}: {} events counted apart ({} bad) · declared {} · applied to counted events: {}",
                s(&slo["service"]),
                s(&slo["slo"]),
                slo["total"],
                slo["bad"],
                slo["declared_at"].as_str().unwrap_or("before any event"),
                if applied.is_empty() {
                    "none".into()
                } else {
                    applied.join(", ")
                }
            );
        }
    }
    out
}

//! Budget exhaustion forecasts: when an occurrence budget runs out if the last 1 h, 6 h or
//! 1 d go on as they did.
//!
//! The model for each rate window `w`: events keep arriving at `total_w / w` per second, bad
//! ones at `bad_w / w`. With `ε = 1 − objective`, the budget is spent once `D = bad − ε ×
//! total ≥ 0` over the budget interval (remaining ≤ 0).
//!
//! - A calendar period only gains events until it ends: `D(t) = D₀ + (β − ε λ) t`, solved
//!   for the first `t ≥ 0` before the period's end.
//! - A rolling period also loses its oldest events as it slides: its start moves in steps of
//!   the bucket width it is measured with (see [`crate::window::window_start`]), so at each
//!   step the oldest bucket's good and bad events leave. Between two steps `D` is linear in
//!   `t`; the first crossing is found step by step from the buckets' exact counts, up to one
//!   period ahead (by then every event now counted has left).
//!
//! `null` when the budget does not run out within that horizon. Only occurrence budgets are
//! forecast (a timeslice budget counts slices, which a rate of events does not give).

use serde::Serialize;

use super::report::SloReport;
use super::{Budgeting, SloObjective, Target};
use crate::time::{DAY, HOUR, SECOND, floor_to, format_duration, format_rfc3339};
use crate::window::ring::{TIER_WIDTHS, tier_for};
use crate::window::{Counts, SloCounters, window_start};

/// The windows whose rates are projected.
pub const RATE_WINDOWS: [i64; 3] = [HOUR, 6 * HOUR, DAY];

/// When the budget runs out at one window's rates.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Exhaustion {
    /// The rate window (`1h`, `6h`, `1d`).
    pub window: String,
    /// Its burn rate now; `null` without traffic.
    pub burn_rate: Option<f64>,
    /// When the budget runs out at those rates (RFC 3339, whole seconds); `null` when it
    /// does not within the period (a rolling one: within one period from now).
    pub exhausted_at: Option<String>,
    /// Hours from the evaluation time until then.
    pub hours_left: Option<f64>,
}

/// The first `t ≥ 0` (µs) with `D(t) ≥ 0` where `D(t) = d0 + leave_k + slope · t` on
/// segment `k` of a timeline cut at `first_step`, `first_step + step`, …: `leave[k]` is what
/// the buckets gone by segment `k` (`k` of them) take off `D` (`ε · total − bad` of them),
/// `leave[0] = 0`; `None` when it stays below 0 until `horizon`.
pub fn first_crossing(
    d0: f64,
    slope: f64,
    leave: &[f64],
    first_step: f64,
    step: f64,
    horizon: f64,
) -> Option<f64> {
    let mut from = 0.0;
    for (k, &gone) in leave.iter().enumerate() {
        if from > horizon {
            return None;
        }
        let to = if k + 1 < leave.len() {
            (first_step + k as f64 * step).max(from)
        } else {
            horizon
        };
        let c = d0 + gone;
        if c + slope * from >= 0.0 {
            return Some(from);
        }
        if slope > 0.0 {
            let t = -c / slope;
            if t <= to.min(horizon) {
                return Some(t.max(from));
            }
        }
        from = to;
    }
    None
}

/// How a budget's `D = bad − ε × total` changes as time passes, besides new events: the
/// steps at which old events leave it (a rolling period) and how far ahead to look.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Leave {
    /// What the buckets gone by each step take off `D`, cumulative, from 0.
    pub steps: Vec<f64>,
    /// When the first step comes, µs from now.
    pub first_step: f64,
    /// Between steps, µs.
    pub step: f64,
    /// How far ahead, µs: to a calendar period's end, or one rolling period.
    pub horizon: f64,
}

impl Leave {
    /// The first `t ≥ 0` (µs from now) at which `D`, now `d0` and growing by `slope` per
    /// µs, reaches 0; `None` within the horizon.
    pub fn crossing(&self, d0: f64, slope: f64) -> Option<f64> {
        first_crossing(
            d0,
            slope,
            &self.steps,
            self.first_step,
            self.step,
            self.horizon,
        )
    }
}

/// The [`Leave`] of `o`'s occurrence budget at window end `end_us`, whose interval holds
/// `budget` (read from `counters` for a rolling period); `None` for SLOs without an
/// occurrence budget.
pub fn leave_for(
    o: &SloObjective,
    end_us: i64,
    counters: &SloCounters,
    budget: Counts,
) -> Option<Leave> {
    let Target::Ratio(objective) = o.target else {
        return None;
    };
    if o.budgeting != Budgeting::Occurrences {
        return None;
    }
    let eps = objective.complement().as_f64();
    Some(match &o.calendar {
        Some(c) => Leave {
            steps: vec![0.0],
            first_step: 0.0,
            step: 1.0,
            horizon: (c.next_start(end_us) - end_us) as f64,
        },
        None => rolling_leave(o.period_us, end_us, counters, budget, eps),
    })
}

/// When the budget of `o`, whose interval holds `budget`, runs out if `rate` (the events of
/// the last `rate_window_us`) goes on, µs from now; `None` within the horizon of `leave`, or
/// without any traffic.
pub fn runs_out_in(
    o: &SloObjective,
    budget: Counts,
    rate: Counts,
    rate_window_us: i64,
    leave: &Leave,
) -> Option<f64> {
    let Target::Ratio(objective) = o.target else {
        return None;
    };
    if budget.total == 0 && rate.total == 0 {
        return None;
    }
    let eps = objective.complement().as_f64();
    let d0 = budget.bad() as f64 - eps * budget.total as f64;
    let slope = (rate.bad() as f64 - eps * rate.total as f64) / rate_window_us as f64;
    leave.crossing(d0, slope)
}

/// The forecasts of `report` (one SLO's, evaluated at window end `end_us` from `counters`);
/// `None` for SLOs without an occurrence budget.
pub fn exhaustion(
    o: &SloObjective,
    report: &SloReport,
    counters: &SloCounters,
    end_us: i64,
) -> Option<Vec<Exhaustion>> {
    let b = report.budget.as_ref()?;
    let budget = Counts {
        good: b.good,
        total: b.total,
    };
    let leave = leave_for(o, end_us, counters, budget)?;
    let Target::Ratio(objective) = o.target else {
        return None;
    };
    let name = |w: i64| format_duration(w);
    Some(
        RATE_WINDOWS
            .iter()
            .filter_map(|&w| {
                let wr = report.windows.iter().find(|x| *x.window == *name(w))?;
                let rate = Counts {
                    good: wr.good,
                    total: wr.total,
                };
                let t = runs_out_in(o, budget, rate, w, &leave);
                Some(Exhaustion {
                    window: name(w),
                    burn_rate: super::exact::burn_rate(
                        Counts {
                            good: wr.good,
                            total: wr.total,
                        },
                        objective,
                    ),
                    exhausted_at: t.map(|t| format_rfc3339(floor_to(end_us + t as i64, SECOND))),
                    hours_left: t.map(|t| t / HOUR as f64),
                })
            })
            .collect(),
    )
}

/// The [`Leave`] of a rolling period of `period_us` ending at `end_us` whose window holds
/// `window`: the start's steps, each taking the oldest bucket's events off, up to one period.
fn rolling_leave(
    period_us: i64,
    end_us: i64,
    counters: &SloCounters,
    window: Counts,
    eps: f64,
) -> Leave {
    let width = TIER_WIDTHS[tier_for(period_us)];
    let start = window_start(period_us, end_us);
    // The start moves to the next bucket once end + t − period passes it.
    let first_step = (start - (end_us - period_us)) as f64;
    let whole_to = floor_to(end_us, width).max(start);
    let buckets = counters.slices(start, whole_to, width, width);
    let mut leave = Vec::with_capacity(buckets.len() + 2);
    let (mut gone, mut sum) = (0.0, Counts::default());
    leave.push(0.0);
    for c in &buckets {
        gone += eps * c.total as f64 - c.bad() as f64;
        sum += *c;
        leave.push(gone);
    }
    // The rest of the window (after its last whole bucket) leaves last.
    let rest = Counts {
        good: window.good.saturating_sub(sum.good),
        total: window.total.saturating_sub(sum.total),
    };
    leave.push(gone + eps * rest.total as f64 - rest.bad() as f64);
    Leave {
        steps: leave,
        first_step,
        step: width as f64,
        horizon: period_us as f64,
    }
}

#[cfg(test)]
mod tests;

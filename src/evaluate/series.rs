//! Series: one SLO's exact counts step by step over a recent window, for charts.
//!
//! A series of window `W` and step `s` ending at the evaluation's window end `end` has one
//! point per complete, epoch-aligned step inside `[end − W, end)`: the point at `t` (a
//! multiple of `s`) holds the events with event time in `[t − s, t)`. The steps are read from
//! one tier of the window store, the coarsest whose bucket width divides `s` and whose buckets
//! are still retained over `W` (see [`crate::window::Layout`]), so every count is exact and
//! costs one bucket read per tier bucket. The last, partial step `[floor(end, s), end)` is not
//! a point.
//!
//! The budget burn-down uses the budget interval the evaluation reports now, `[P0, end)`
//! ([`SloObjective::budget_interval`]): at each point `t ≥ P0` it is the budget remaining over
//! `[P0, t)`, that is, how the current period's budget was spent up to `t`. It is computed
//! as `[P0, end)` minus `[t, end)`, both exact sums read under the same shard lock, so it needs
//! no bucket older than the window; points before `P0` have none. Timeslice budgets judge the
//! complete slices of `[P0, t)`. A rolling period's own budget at each earlier `t` (over
//! `[t − P, t)`) would need buckets older than the period, which the store does not keep.

use serde::Serialize;

use super::exact::{self, Ppb};
use super::period::SliceSummary;
use super::{SloObjective, Target};
use crate::time::{DAY, ceil_to, floor_to, format_duration, format_rfc3339};
use crate::window::ring::TIER_WIDTHS;
use crate::window::{CountersOf, Counts, Layout, SloCounters, Store, WindowConfig};

/// Most points one series may have.
pub const MAX_POINTS: i64 = 2_000;

/// Points the default step aims at, at most.
pub const DEFAULT_POINTS: i64 = 720;

/// Window when none is given: one day, or the period when shorter.
pub const DEFAULT_WINDOW_US: i64 = DAY;

/// Why a series cannot be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeriesError {
    /// The window is longer than the SLO period.
    #[error("window {window} is longer than the SLO period {period}")]
    WindowTooLong {
        /// Requested window.
        window: String,
        /// The SLO period.
        period: String,
    },
    /// The step is longer than the window.
    #[error("step {step} is longer than the window {window}")]
    StepTooLong {
        /// Requested step.
        step: String,
        /// Requested window.
        window: String,
    },
    /// No bucket width that divides the step is kept over the window.
    #[error(
        "step {step} is not a multiple of a bucket width kept over {window}: use a multiple of {widths}"
    )]
    StepUnavailable {
        /// Requested step.
        step: String,
        /// Requested window.
        window: String,
        /// Widths that are kept, e.g. `1m, 10m, 1h`.
        widths: String,
    },
    /// Window / step is too many points.
    #[error("window {window} at step {step} is {points} points; at most {max} are served")]
    TooManyPoints {
        /// Requested window.
        window: String,
        /// Requested step.
        step: String,
        /// window / step.
        points: i64,
        /// [`MAX_POINTS`].
        max: i64,
    },
}

/// A validated request: window, step and the tier width the steps are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Window, µs.
    pub window_us: i64,
    /// Step, µs.
    pub step_us: i64,
    /// Width of the tier read, µs; divides the step.
    pub width_us: i64,
}

/// The tier widths whose buckets stay readable over a window of `window_us` ending at any
/// evaluation's window end, for an SLO laid out as `layout` in a store configured with
/// `config`. A tier of `n` slots and width `w` keeps `(n − 2)·w − slack` behind the window
/// end, where the slack is how far the newest bucket may be ahead of it (as in
/// [`Plan::new`](crate::window::Plan::new)).
pub fn retained_widths(layout: &Layout, config: &WindowConfig, window_us: i64) -> Vec<i64> {
    let slack = config.allowed_lateness_us + config.max_partition_lag_us + config.max_future_us;
    layout
        .slots
        .iter()
        .zip(TIER_WIDTHS)
        .filter(|&(&n, w)| (n as i64 - 2).saturating_mul(w) - slack.max(0) >= window_us)
        .map(|(_, w)| w)
        .collect()
}

/// Validates a request for SLO `o` (laid out as `layout`): the window (default: a day or the
/// period) must fit in the period, the step (default: the finest kept width giving at most
/// [`DEFAULT_POINTS`]) must be a multiple of a kept width, at most the window, and give at
/// most [`MAX_POINTS`] points.
pub fn shape(
    o: &SloObjective,
    layout: &Layout,
    config: &WindowConfig,
    window_us: Option<i64>,
    step_us: Option<i64>,
) -> Result<Shape, SeriesError> {
    let window_us = window_us.unwrap_or(DEFAULT_WINDOW_US.min(o.period_us));
    let window = format_duration(window_us);
    if window_us > o.period_us {
        return Err(SeriesError::WindowTooLong {
            window,
            period: format_duration(o.period_us),
        });
    }
    let widths = retained_widths(layout, config, window_us);
    let step_us = match step_us {
        Some(s) => s,
        None => widths
            .iter()
            .copied()
            .find(|&w| window_us / w <= DEFAULT_POINTS)
            .or(widths.last().copied())
            .unwrap_or(TIER_WIDTHS[0]),
    };
    let step = format_duration(step_us);
    if step_us > window_us {
        return Err(SeriesError::StepTooLong { step, window });
    }
    let Some(width_us) = widths.iter().rev().copied().find(|&w| step_us % w == 0) else {
        let widths = widths
            .iter()
            .map(|&w| format_duration(w))
            .collect::<Vec<_>>();
        return Err(SeriesError::StepUnavailable {
            step,
            window,
            widths: if widths.is_empty() {
                "no width (window too long)".to_string()
            } else {
                widths.join(", ")
            },
        });
    };
    let points = window_us / step_us;
    if points > MAX_POINTS {
        return Err(SeriesError::TooManyPoints {
            window,
            step,
            points,
            max: MAX_POINTS,
        });
    }
    Ok(Shape {
        window_us,
        step_us,
        width_us,
    })
}

/// One SLO's series, as served by `GET /v1/slos/{service}/{slo}/series`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Series {
    /// Service name.
    pub service: String,
    /// SLO name.
    pub slo: String,
    /// Evaluation time T, RFC 3339 (set by the caller).
    pub evaluated_at: String,
    /// Wall clock minus T, seconds (set by the caller).
    pub data_lag_seconds: f64,
    /// Window, e.g. `6h`.
    pub window: String,
    /// Step, e.g. `1m`.
    pub step: String,
    /// Width of the buckets the steps were read from, e.g. `1m`.
    pub bucket: String,
    /// Start of the first step, RFC 3339.
    pub start: String,
    /// End of the last step, RFC 3339.
    pub end: String,
    /// Target ratio; `null` for throughput minimums.
    pub objective: Option<f64>,
    /// Start of the budget interval the burn-down is measured from (`P0`); `null` for
    /// throughput minimums.
    pub budget_start: Option<String>,
    /// One point per complete step, oldest first.
    pub points: Vec<SeriesPoint>,
}

/// The counts of one step `[time − step, time)`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SeriesPoint {
    /// End of the step (excluded), RFC 3339.
    pub time: String,
    /// Good events in the step.
    pub good: u64,
    /// All events in the step.
    pub total: u64,
    /// good / total; `null` without traffic.
    pub sli: Option<f64>,
    /// Error ratio / (1 − objective); `null` without traffic or objective.
    pub burn_rate: Option<f64>,
    /// Budget remaining over `[budget_start, time)`: 1 untouched, 0 spent, negative
    /// overspent; `null` before `budget_start` and for throughput minimums.
    pub budget_remaining_ratio: Option<f64>,
}

/// The series of SLO `o` (index `slo` in `store`'s plan) for `shape`, ending at the window
/// end `end_us` (a whole second), summed over every shard.
pub fn series(o: &SloObjective, slo: usize, store: &Store, end_us: i64, shape: Shape) -> Series {
    series_of(o, CountersOf::Slo(slo), store, end_us, shape)
}

/// [`series`] of the counters `of` names (a sub-service's, for one of a split service).
pub fn series_of(
    o: &SloObjective,
    of: CountersOf,
    store: &Store,
    end_us: i64,
    shape: Shape,
) -> Series {
    let step = shape.step_us;
    let first = ceil_to(end_us - shape.window_us, step);
    let last = floor_to(end_us, step).max(first);
    let n = usize::try_from((last - first) / step).unwrap_or(0);
    let (p0, _) = o.budget_interval(end_us);
    let Sums {
        steps,
        tail,
        period,
        slices,
    } = sums(o, of, store, (first, last, end_us), shape, n);
    let objective = match o.target {
        Target::Ratio(p) => Some(p),
        Target::MinRate { .. } => None,
    };
    let times: Vec<i64> = (1..=n as i64).map(|k| first + k * step).collect();
    let budget = match objective {
        Some(p) => match o.budgeting.slice_us() {
            Some(slice) => slice_burn_down(o, p, &times, p0, slice, &slices),
            None => event_burn_down(p, &times, p0, period, tail, &steps),
        },
        None => vec![None; n],
    };
    let points = times
        .iter()
        .zip(&steps)
        .zip(budget)
        .map(|((&t, &c), budget_remaining_ratio)| SeriesPoint {
            time: format_rfc3339(t),
            good: c.good,
            total: c.total,
            sli: exact::sli(c),
            burn_rate: objective.and_then(|p| exact::burn_rate(c, p)),
            budget_remaining_ratio,
        })
        .collect();
    Series {
        service: o.service.to_string(),
        slo: o.slo.to_string(),
        evaluated_at: String::new(),
        data_lag_seconds: 0.0,
        window: format_duration(shape.window_us),
        step: format_duration(step),
        bucket: format_duration(shape.width_us),
        start: format_rfc3339(first),
        end: format_rfc3339(last),
        objective: objective.map(Ppb::as_f64),
        budget_start: objective.map(|_| format_rfc3339(p0)),
        points,
    }
}

/// `a − b`, never below zero (a bucket accepted by one tier and not another cannot make a
/// count negative).
fn minus(a: Counts, b: Counts) -> Counts {
    let total = a.total.saturating_sub(b.total);
    Counts {
        good: a.good.saturating_sub(b.good).min(total),
        total,
    }
}

/// Occurrences: at `t ≥ P0`, `[P0, t) = [P0, end) − [t, end)`, where `[t, end)` is the tail
/// plus every step after `t`.
fn event_burn_down(
    p: Ppb,
    times: &[i64],
    p0: i64,
    period: Counts,
    tail: Counts,
    steps: &[Counts],
) -> Vec<Option<f64>> {
    let mut out = vec![None; times.len()];
    let mut after = tail;
    for k in (0..times.len()).rev() {
        if times[k] >= p0 {
            out[k] = Some(exact::remaining_ratio(minus(period, after), p));
        }
        after += steps[k];
    }
    out
}

/// Timeslices: at `t ≥ P0`, the complete slices of `[P0, t)` judged as the evaluation judges
/// the whole interval.
fn slice_burn_down(
    o: &SloObjective,
    p: Ppb,
    times: &[i64],
    p0: i64,
    slice: i64,
    slices: &[Counts],
) -> Vec<Option<f64>> {
    let mut acc = SliceSummary::default();
    let mut judged = 0;
    times
        .iter()
        .map(|&t| {
            if t < p0 {
                return None;
            }
            let upto = usize::try_from((t - p0) / slice)
                .unwrap_or(0)
                .min(slices.len());
            if upto > judged {
                let s = SliceSummary::judge(&slices[judged..upto], o.budgeting);
                acc.slices += s.slices;
                acc.with_data += s.with_data;
                acc.good += s.good;
                acc.ratio_sum_ppb += s.ratio_sum_ppb;
                judged = upto;
            }
            Some(exact::remaining_ratio(acc.as_counts(o.budgeting), p))
        })
        .collect()
}

/// The counts a series is made of, summed over every shard.
struct Sums {
    /// Per step.
    steps: Vec<Counts>,
    /// `[last, end)`: after the last point, still inside the budget interval.
    tail: Counts,
    /// `[P0, end)` for occurrences.
    period: Counts,
    /// Per slice from P0, for timeslices.
    slices: Vec<Counts>,
}

/// Sums the counters `of` names over every shard, each shard's lock held only while its
/// counters are added: `n` steps of `shape` from `first` to `last`, and what the budget
/// burn-down needs up to `end_us`.
fn sums(
    o: &SloObjective,
    of: CountersOf,
    store: &Store,
    (first, last, end_us): (i64, i64, i64),
    shape: Shape,
    n: usize,
) -> Sums {
    let step = shape.step_us;
    let (p0, p_end) = o.budget_interval(end_us);
    let mut steps = vec![Counts::default(); n];
    // [last, end): after the last point, still inside the budget interval.
    let mut tail = Counts::default();
    // [P0, end) for occurrences; per slice counts from P0 for timeslices.
    let mut period = Counts::default();
    let mut slices: Vec<Counts> = Vec::new();
    {
        let counters = store.counters();
        let empty;
        let c = match counters.counters(of) {
            Some(c) => c,
            None => {
                empty = SloCounters::new(&store.plan().layouts[of.slo()]);
                &empty
            }
        };
        for (sum, x) in steps
            .iter_mut()
            .zip(c.slices(first, last, step, shape.width_us))
        {
            *sum += x;
        }
        tail += c.sum_from(last, end_us, shape.width_us);
        match (o.budget_width_us(), o.budgeting.slice_us()) {
            (Some(w), Some(slice)) => {
                let s = c.slices(p0, p_end, slice, w);
                slices.resize(slices.len().max(s.len()), Counts::default());
                for (sum, x) in slices.iter_mut().zip(s) {
                    *sum += x;
                }
            }
            (Some(w), None) => period += c.sum_from(p0, end_us, w),
            (None, _) => period += c.sum(o.period_us, end_us),
        }
    }
    Sums {
        steps,
        tail,
        period,
        slices,
    }
}

#[cfg(test)]
mod tests;

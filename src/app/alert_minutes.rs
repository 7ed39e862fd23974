//! The alert history's writer: after each batch, the alerts of every SLO at each whole
//! minute of evaluation time not evaluated yet (see [`crate::alert_history`]).

use std::sync::Arc;

use crate::alert_history::STEP_US;
use crate::evaluate::SloObjective;
use crate::time::{DAY, ceil_to, floor_to};
use crate::window::Store;

/// Evaluates the alerts of `objectives` at every whole minute of evaluation time (at
/// wall-clock `now_us`) not evaluated yet, within the slack the windows are held for, and
/// records them in `store`'s history. Cheap when no minute is due; when another thread is
/// at it, it leaves the minutes to that thread.
pub(crate) fn advance(objectives: &[Arc<SloObjective>], store: &Store, now_us: i64) {
    let history = store.alert_history_handle();
    let Ok(mut h) = history.try_lock() else {
        return;
    };
    // Before the first event the evaluation time is the wall clock: a minute evaluated then
    // would start the history after every event to come (a batch that decoded nothing, or a
    // cluster member's first delta, which may carry a watermark only).
    let Some(newest) = store.newest_us() else {
        return;
    };
    // The evaluation time is never past the newest event: most batches end in a minute
    // already evaluated, and need not look at every shard to know it.
    if h.evaluated_to()
        .is_some_and(|done| done >= floor_to(newest, STEP_US))
    {
        return;
    }
    let t = store.peek_evaluation_time(now_us);
    let due = floor_to(t, STEP_US);
    if h.evaluated_to().is_some_and(|e| e >= due) {
        return;
    }
    let w = &store.plan().window;
    let slack = w.allowed_lateness_us + w.max_partition_lag_us + w.max_future_us;
    let oldest_exact = ceil_to(t.saturating_sub(slack), STEP_US);
    let from = h
        .evaluated_to()
        .map_or(due, |e| (e + STEP_US).max(oldest_exact));
    if let Some(e) = h.evaluated_to()
        && from > e + STEP_US
    {
        h.gap(e + STEP_US);
    }
    let mut ids: Vec<(String, bool)> = Vec::new();
    let mut at = from;
    while at <= due {
        let e = crate::evaluate::evaluation::evaluate_alerts_at(objectives, store, at);
        ids.clear();
        for slo in &e.report.slos {
            for a in &slo.alerts {
                let id = crate::alert_history::alert_id(&slo.service, &slo.slo, &a.name);
                ids.push((id, a.status.firing));
            }
        }
        h.record(at, ids.iter().map(|(id, f)| (id.as_str(), *f)));
        at += STEP_US;
    }
    let keep_days = w.history_days.max(1) as i64;
    if due % DAY == 0 {
        h.forget_before(due - (keep_days + 1) * DAY);
    }
}

//! Hold times: a burn-rate alert with a hold (OpenSLO's `alertAfter`, an ErrorBudgetPolicy
//! threshold's `for`, like Prometheus's `for:`) fires only once its condition has held
//! without a break for that long, in event time; until then it is pending.
//!
//! The condition is evaluated at the evaluation time T as for any alert, statelessly. How
//! long it has held comes from the [alert history](crate::alert_history), which records the
//! condition of every alert at each whole minute of event time, is in the checkpoint, and is
//! recorded by every cluster member from the deltas it folds. With `s` the first minute of
//! the run of minutes at which the history found the condition holding, still under way, the
//! alert at T is:
//!
//! - **inactive** when the condition does not hold at T;
//! - **pending** from `s` until `s + hold` (from T itself when the history has no run under
//!   way: the condition began after the last minute it evaluated);
//! - **firing** from `s + hold` on.
//!
//! A run ends at the first minute the condition does not hold, and where the history left
//! minutes out (a jump of the evaluation time past the slack, see
//! [`crate::alert_history`]): the hold starts again after it. So an alert never fires before
//! its condition held at every minute of the hold, a restart keeps a pending alert's clock,
//! and the history's firing intervals of a held alert are its condition's, each shortened by
//! the hold at its start.

use super::kinds::AlertState;
use super::report::Report;
use crate::alert_history::alert_id;
use crate::time::format_rfc3339;
use crate::window::Store;

/// Turns the conditions of `report`'s held alerts (evaluated at `t_us`) into their state:
/// pending or firing, with the minute their condition has held since, from `store`'s
/// history, which is locked only when a held alert's condition holds (never with the
/// counters: its writer takes it first).
pub fn apply(report: &mut Report, store: &Store, t_us: i64) {
    let mut history = None;
    for s in &mut report.slos {
        for a in s.alerts.iter_mut() {
            let status = &mut a.status;
            if status.hold_us <= 0 || !status.firing {
                continue;
            }
            let history = history.get_or_insert_with(|| store.alert_history());
            let id = alert_id(&s.service, &s.slo, &a.name);
            let since = history.run_since(&id).map_or(t_us, |since| since.min(t_us));
            let fires = t_us.saturating_sub(since) >= status.hold_us;
            status.condition_since = Some(format_rfc3339(since));
            status.condition_since_us = Some(since);
            status.set(if fires {
                AlertState::Firing
            } else {
                AlertState::Pending
            });
        }
    }
}

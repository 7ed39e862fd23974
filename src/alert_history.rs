//! Alert history: when each alert fired, in event time, for period reports (firing count
//! and minutes) and incident impact (first firing, detection delay).
//!
//! Alerts are evaluated at every whole minute of evaluation time as it advances, right after
//! the batch (or, on a cluster member, the folded delta) that moved it (the `app` stage's
//! `alert_minutes`): the windows of each SLO ending at that minute, exactly as `/v1/slos`
//! would have evaluated them then, without latency percentiles. An alert whose condition
//! holds at minute `m` is taken to hold over `[m, m + 1 min)`; consecutive minutes make one
//! run. So a replay, a backfill and a live stream record the same history, at one-minute
//! resolution, whoever asks the API and whenever. What is recorded is each alert's
//! condition: an alert without a hold fires over its runs, one with a hold from the hold
//! after each run begins ([`crate::evaluate::hold`]), as [`AlertHistory::firing`] applies.
//!
//! Minutes are evaluated only while the windows ending at them are still held exactly: a
//! batch that moves the evaluation time further than the allowed slack (lateness, partition
//! lag and the future bound, 10 min by default) at once leaves the minutes before that out
//! of the history, and a run under way ends where the minutes left out begin. Nothing is
//! evaluated before the first event (the evaluation time is the wall clock then). Each alert
//! keeps at most [`MAX_INTERVALS`] intervals, none older than the daily history
//! (`spec.window.history`, default 400 days). The history is in the checkpoint.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::time::MINUTE;

/// The resolution of the history: alerts are evaluated at each whole minute.
pub const STEP_US: i64 = MINUTE;
/// Most firing intervals kept per alert (the oldest go first).
pub const MAX_INTERVALS: usize = 10_000;

/// Firing intervals `[start, end)` per alert (`service/slo/alert`); `i64::MAX` ends the one
/// under way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertHistoryState {
    /// The first minute evaluated, µs.
    pub recorded_from_us: Option<i64>,
    /// The last minute evaluated, µs.
    pub evaluated_to_us: Option<i64>,
    /// Per alert, its intervals, oldest first.
    pub alerts: Vec<(String, Vec<(i64, i64)>)>,
}

/// One alert's firing intervals.
#[derive(Debug, Clone, Default)]
struct Track {
    intervals: Vec<(i64, i64)>,
    /// The evaluation that last saw the alert.
    seen: u64,
}

/// When each alert fired.
#[derive(Debug, Default)]
pub struct AlertHistory {
    recorded_from: Option<i64>,
    evaluated_to: Option<i64>,
    alerts: BTreeMap<String, Track>,
    evaluations: u64,
}

/// An alert's id in the history: `service/slo/alert`. Service and SLO names have no `/`
/// (refused at load), so everything after `service/slo/` is the alert's name, `/` included
/// (a condition shared by policies is `<policy>/<condition>`).
pub fn alert_id(service: &str, slo: &str, alert: &str) -> String {
    format!("{service}/{slo}/{alert}")
}

/// How one alert fired over a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Firing {
    /// Intervals that overlap the range.
    pub count: u32,
    /// Their overlap with the range, µs.
    pub us: i64,
    /// The start of the first of them (which may be before the range).
    pub first_us: Option<i64>,
}

impl AlertHistory {
    /// The first minute evaluated.
    pub fn recorded_from(&self) -> Option<i64> {
        self.recorded_from
    }

    /// The last minute evaluated.
    pub fn evaluated_to(&self) -> Option<i64> {
        self.evaluated_to
    }

    /// Records which alerts fire at minute `at_us`: `firing` yields every alert evaluated
    /// there (`service/slo/alert`) and whether it fires. An alert not among them (no longer
    /// configured) stops firing there.
    pub fn record<'a>(&mut self, at_us: i64, firing: impl IntoIterator<Item = (&'a str, bool)>) {
        self.evaluations += 1;
        let seen = self.evaluations;
        for (id, fires) in firing {
            let track = match self.alerts.get_mut(id) {
                Some(t) => t,
                None if fires => self.alerts.entry(id.to_string()).or_default(),
                None => continue,
            };
            track.seen = seen;
            let open = track.intervals.last().is_some_and(|i| i.1 == i64::MAX);
            match (fires, open) {
                (true, false) => {
                    track.intervals.push((at_us, i64::MAX));
                    if track.intervals.len() > MAX_INTERVALS {
                        track.intervals.remove(0);
                    }
                }
                (false, true) => {
                    if let Some(last) = track.intervals.last_mut() {
                        last.1 = at_us;
                    }
                }
                _ => {}
            }
        }
        for track in self.alerts.values_mut() {
            if track.seen != seen
                && let Some(last) = track.intervals.last_mut()
                && last.1 == i64::MAX
            {
                last.1 = at_us;
            }
        }
        self.recorded_from.get_or_insert(at_us);
        self.evaluated_to = Some(at_us);
    }

    /// Ends every firing under way at `at_us`: minutes from there on are not evaluated
    /// (the evaluation time jumped past them), so nothing is known to fire in them.
    pub fn gap(&mut self, at_us: i64) {
        for track in self.alerts.values_mut() {
            if let Some(last) = track.intervals.last_mut()
                && last.1 == i64::MAX
            {
                last.1 = at_us;
            }
        }
    }

    /// Drops intervals that ended before `before_us`, and alerts left without any.
    pub fn forget_before(&mut self, before_us: i64) {
        for track in self.alerts.values_mut() {
            track.intervals.retain(|i| i.1 > before_us);
        }
        self.alerts.retain(|_, t| !t.intervals.is_empty());
        if let Some(from) = &mut self.recorded_from {
            *from = (*from).max(before_us);
        }
    }

    /// The first minute of alert `id`'s run of minutes under way (its condition held at the
    /// last minute evaluated); `None` when there is none.
    pub fn run_since(&self, id: &str) -> Option<i64> {
        let last = self.alerts.get(id)?.intervals.last()?;
        (last.1 == i64::MAX).then_some(last.0)
    }

    /// How alert `id`, with a hold of `hold_us` (0: none), fired over `[from_us, to_us)`:
    /// each run of its condition fires from `hold_us` after its start (see
    /// [`crate::evaluate::hold`]); a run under way ends after the last minute evaluated.
    pub fn firing(&self, id: &str, hold_us: i64, from_us: i64, to_us: i64) -> Firing {
        let mut f = Firing {
            count: 0,
            us: 0,
            first_us: None,
        };
        let Some(track) = self.alerts.get(id) else {
            return f;
        };
        let now_end = self.evaluated_to.map_or(i64::MIN, |t| t + STEP_US);
        for &(start, end) in &track.intervals {
            let end = if end == i64::MAX { now_end } else { end };
            let start = start.saturating_add(hold_us.max(0));
            let (a, b) = (start.max(from_us), end.min(to_us));
            if a < b {
                f.count += 1;
                f.us += b - a;
                f.first_us.get_or_insert(start);
            }
        }
        f
    }

    /// The names of the alerts of SLO `service/slo` that have fired, in name order (see
    /// [`alert_id`]).
    pub fn alerts_of(&self, service: &str, slo: &str) -> Vec<&str> {
        let prefix = alert_id(service, slo, "");
        self.alerts
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| &k[prefix.len()..])
            .collect()
    }

    /// The state, for a checkpoint.
    pub fn export(&self) -> AlertHistoryState {
        AlertHistoryState {
            recorded_from_us: self.recorded_from,
            evaluated_to_us: self.evaluated_to,
            alerts: self
                .alerts
                .iter()
                .map(|(k, t)| (k.clone(), t.intervals.clone()))
                .collect(),
        }
    }

    /// Takes `state` as the history (a restore).
    pub fn import(&mut self, state: &AlertHistoryState) {
        self.recorded_from = state.recorded_from_us;
        self.evaluated_to = state.evaluated_to_us;
        self.alerts = state
            .alerts
            .iter()
            .map(|(k, intervals)| {
                let mut intervals = intervals.clone();
                intervals.truncate(MAX_INTERVALS);
                (k.clone(), Track { intervals, seen: 0 })
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_make_intervals_and_ranges_read_them() {
        let mut h = AlertHistory::default();
        let m = |k: i64| 1_000 * MINUTE + k * MINUTE;
        // Fires at minutes 2–4 and from 7 on; "b" fires at 3 then is no longer configured.
        for k in 0..10 {
            let a = (2..5).contains(&k) || k >= 7;
            let mut seen = vec![("api/availability/a", a)];
            if k <= 3 {
                seen.push(("api/availability/b", k == 3));
            }
            h.record(m(k), seen);
        }
        assert_eq!(h.recorded_from(), Some(m(0)));
        assert_eq!(h.evaluated_to(), Some(m(9)));
        let all = h.firing("api/availability/a", 0, m(0), m(100));
        // 2–5 and 7–10 (the one under way ends after the last minute evaluated).
        assert_eq!(
            (all.count, all.us, all.first_us),
            (2, 6 * MINUTE, Some(m(2)))
        );
        let part = h.firing("api/availability/a", 0, m(3), m(8));
        assert_eq!(
            (part.count, part.us, part.first_us),
            (2, 3 * MINUTE, Some(m(2)))
        );
        let b = h.firing("api/availability/b", 0, m(0), m(100));
        assert_eq!((b.count, b.us), (1, MINUTE));
        assert_eq!(h.alerts_of("api", "availability"), ["a", "b"]);
        assert!(h.alerts_of("api", "avail").is_empty());
        // A shared condition's alert is named `<policy>/<condition>`.
        let mut shared = AlertHistory::default();
        shared.record(m(0), [("api/availability/pager/fast", true)]);
        assert_eq!(shared.alerts_of("api", "availability"), ["pager/fast"]);
        // Minutes left out end the firing under way where they begin.
        let mut gapped = AlertHistory::default();
        gapped.import(&h.export());
        gapped.gap(m(10));
        gapped.record(m(30), [("api/availability/a", true)]);
        let f = gapped.firing("api/availability/a", 0, m(0), m(100));
        assert_eq!((f.count, f.us), (3, 7 * MINUTE));
        let mut again = AlertHistory::default();
        again.import(&h.export());
        assert_eq!(again.export(), h.export());
        again.forget_before(m(6));
        assert_eq!(again.alerts_of("api", "availability"), ["a"]);
        assert_eq!(again.firing("api/availability/a", 0, 0, m(100)).count, 1);
    }
}

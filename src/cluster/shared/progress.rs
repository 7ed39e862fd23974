//! How far the fold is: the log's end as seen and when the fold was last at it, a log
//! deleted or recreated, and waiting for a record to be applied.

use std::time::Duration;

use super::{FoldState, Shared};
use crate::source::StopSignal;

/// How many ends seen ahead of the fold it keeps (one is seen a second).
const ENDS_AHEAD_KEPT: usize = 64;

/// How long the log's end must stay before what the fold applied, with nothing applied
/// meanwhile, before the log counts as deleted or recreated.
pub const RESET_AFTER_US: i64 = 5 * crate::time::SECOND;

impl Shared {
    /// Notes that the log's end is `end` at `now_us`, with the fold where it is now (the
    /// follower at a partition end; see [`Shared::end_seen`]).
    pub fn at_end(&self, end: u64, now_us: i64) {
        let applied = self.fold().next;
        self.end_seen(end, applied, now_us);
    }

    /// Notes that the log's end was `end` (or past it) at `seen_us`, when the fold had
    /// applied up to `applied_then`. The fold is at the log's end as of `seen_us` once it
    /// applies up to `end`, now or later: an answer that took long, or that arrived while
    /// the fold went on applying, still says how current the fold is. An end before
    /// `applied_then`, still so [`RESET_AFTER_US`] later with nothing applied meanwhile,
    /// means the log was deleted or recreated (see [`FoldState::reset`]); a broker may
    /// answer an end a few records stale, which the next look corrects.
    pub fn end_seen(&self, end: u64, applied_then: u64, seen_us: i64) {
        let mut fold = self.fold();
        fold.end = fold.end.max(end);
        if end >= applied_then {
            fold.behind_end_since = None;
            // The log only grows, so it ended at `end` or before at `seen_us`: applying up
            // to `end` is being at the end as of then.
            if fold.next >= end {
                fold.at_end_us = fold.at_end_us.max(Some(seen_us));
            } else {
                // An end seen later and no larger says more, so the ends kept grow in both
                // end and time.
                while fold.ends_ahead.back().is_some_and(|&(e, _)| e >= end) {
                    fold.ends_ahead.pop_back();
                }
                if fold.ends_ahead.len() >= ENDS_AHEAD_KEPT {
                    fold.ends_ahead.pop_front();
                }
                fold.ends_ahead.push_back((end, seen_us));
            }
        } else if !fold.reset {
            // Fewer records than the fold had applied before asking: a stale answer, which
            // says nothing of how current the fold is, or a log deleted or recreated.
            let next = fold.next;
            let since = *fold.behind_end_since.get_or_insert((seen_us, next));
            if since.1 != next {
                fold.behind_end_since = Some((seen_us, next));
            } else if seen_us.saturating_sub(since.0) >= RESET_AFTER_US {
                fold.reset = true;
                tracing::error!(
                    end,
                    applied = fold.next,
                    "the cluster log ends before what this member applied: it was deleted or \
                 recreated; this member keeps its counts but applies nothing more: restart \
                 every member (README, Cluster mode, Failures)"
                );
            }
        }
    }

    /// Waits until the fold has applied the record at `offset`; false after `timeout`, or
    /// soon after `stop` is raised (the follower stops applying then, and a member shutting
    /// down does not wait out a claim).
    pub fn wait_applied(&self, offset: u64, timeout: Duration, stop: &StopSignal) -> bool {
        let applied = |fold: &FoldState| fold.next > offset;
        stop.wait_for(timeout, |step| {
            let fold = self.fold();
            if applied(&fold) || step.is_zero() {
                return applied(&fold).then_some(());
            }
            let (fold, _) = self
                .applied
                .wait_timeout(fold, step)
                .unwrap_or_else(|e| e.into_inner());
            applied(&fold).then_some(())
        })
        .is_some()
    }

    /// True when the fold was at the log's end within `spec.cluster.max_apply_lag` of
    /// `now_us`: it has applied everything up to a recent end. An idle fold sees the end at
    /// least every second; a broker it cannot reach makes this false after the lag.
    pub fn caught_up(&self, now_us: i64) -> bool {
        let fold = self.fold();
        !fold.reset
            && fold
                .at_end_us
                .is_some_and(|t| now_us.saturating_sub(t) <= self.config.max_apply_lag_us)
    }
}

//! A budget adjustment applied to events already counted (see [`crate::window::adjust`]):
//! the counts of every retained bucket wholly inside the range are adjusted, at the finest
//! width that still holds them, and the coarser buckets and the day that hold them with
//! them, so that every tier and the history keep holding the same events.

use super::{SloCounters, ceil_to};
use crate::window::adjust::{Mode, add_range};

impl SloCounters {
    /// Applies adjustment `index` (of [`SloCounters::adjusting`]) to the events counted in
    /// `[from, to)`; returns the ranges it now covers, coalesced: the buckets adjusted, and
    /// the part after the newest second counted, whose events are adjusted as they arrive.
    /// Buckets that straddle `from`, `to` or a local day of the history are left as they
    /// are. Applying it again changes no count (but counts the events again in
    /// [`crate::window::Applied::events`]).
    pub fn adjust_range(&mut self, index: usize, from: i64, to: i64) -> Vec<(i64, i64)> {
        let mut ranges = Vec::new();
        let Some(mode) = self
            .adjusting
            .as_ref()
            .and_then(|a| a.list().get(index))
            .map(|a| a.mode)
        else {
            return ranges;
        };
        let Some(counted_to) = self.counted_to() else {
            add_range(&mut ranges, from, to);
            return ranges;
        };
        add_range(&mut ranges, from.max(counted_to), to);
        // [done_from, to) is handled by the finer tiers already.
        let mut done_from = to.min(counted_to);
        for (t, complete_from) in self.complete_from().into_iter().enumerate() {
            let ring = &self.tiers[t];
            if ring.newest == i64::MIN || complete_from == i64::MAX {
                continue;
            }
            let w = ring.width;
            let first = ceil_to(from.max(complete_from), w).div_euclid(w);
            let mut b = first;
            while b * w < done_from && (b + 1) * w <= to && b <= self.tiers[t].newest {
                if self.adjust_bucket(index, mode, t, b) {
                    add_range(&mut ranges, b * w, (b + 1) * w);
                }
                b += 1;
            }
            if b > first {
                done_from = done_from.min(first * w);
            }
        }
        self.adjust_days(index, mode, from, done_from, &mut ranges);
        ranges
    }

    /// Per tier, the instant from which it holds every event the coarsest tier holds: its
    /// oldest live bucket for counters that counted from their creation. Restored counters
    /// hold only what the tiers they came from reached, which a checkpoint does not say, so
    /// each finer tier is compared with the next coarser one bucket by bucket, newest
    /// first: as a finer tier only ever holds events its coarser one holds too, equal counts
    /// mean the same events. (`i64::MAX` where a tier holds nothing.)
    fn complete_from(&self) -> Vec<i64> {
        let mut out = vec![i64::MAX; self.tiers.len()];
        let Some(top) = self.tiers.len().checked_sub(1) else {
            return out;
        };
        let live_from = |r: &super::Ring| {
            if r.newest == i64::MIN {
                i64::MAX
            } else {
                r.oldest_live().saturating_mul(r.width)
            }
        };
        out[top] = live_from(&self.tiers[top]);
        for t in (0..top).rev() {
            let (fine, coarse) = (&self.tiers[t], &self.tiers[t + 1]);
            let own = live_from(fine);
            if own == i64::MAX || self.agrees_from <= own {
                out[t] = own.max(out[t + 1]);
                continue;
            }
            // From the newest coarse bucket back, while the fine tier's buckets inside it
            // add up to it and are all live.
            let w = coarse.width;
            let mut b = fine.newest.saturating_mul(fine.width).div_euclid(w);
            let mut from = (b + 1).saturating_mul(w);
            while b * w >= own.max(out[t + 1]) && fine.sum(b * w, (b + 1) * w) == coarse.bucket(b) {
                from = b * w;
                b -= 1;
            }
            out[t] = from;
        }
        out
    }

    /// Adjusts bucket `b` of tier `t`, the containing bucket of every coarser tier and its
    /// day, and the live buckets of the finer tiers inside it; false (and nothing changed)
    /// when it straddles a local day of the history.
    fn adjust_bucket(&mut self, index: usize, mode: Mode, t: usize, b: i64) -> bool {
        let w = self.tiers[t].width;
        let (start, end) = (b * w, (b + 1) * w);
        let day = self.history.as_ref().map(|h| h.zone().day_of(start));
        if let (Some(h), Some(day)) = (&self.history, day)
            && h.zone().day_of(end - 1) != day
        {
            return false;
        }
        let before = self.tiers[t].bucket(b);
        let after = mode.apply(before);
        if before != after {
            for ring in &mut self.tiers[t..] {
                ring.shift(start.div_euclid(ring.width), before, after);
            }
            if let (Some(h), Some(day)) = (&mut self.history, day) {
                h.shift(day, before, after);
            }
        }
        if let Some(a) = &mut self.adjusting {
            a.applied_mut(index).events += before;
        }
        for ring in &mut self.tiers[..t] {
            if ring.newest == i64::MIN {
                continue;
            }
            let first = start.div_euclid(ring.width).max(ring.oldest_live());
            let last = (end.div_euclid(ring.width) - 1).min(ring.newest);
            for fine in first..=last {
                let c = ring.bucket(fine);
                ring.shift(fine, c, mode.apply(c));
            }
        }
        true
    }

    /// Adjusts the kept days of the history wholly inside `[from, to)` (older than every
    /// tier), adding them to `ranges`.
    fn adjust_days(
        &mut self,
        index: usize,
        mode: Mode,
        from: i64,
        to: i64,
        ranges: &mut Vec<(i64, i64)>,
    ) {
        let Some(h) = &mut self.history else {
            return;
        };
        let (Some(oldest), Some(newest)) = (h.oldest_day(), h.newest_day()) else {
            return;
        };
        let zone = h.zone().clone();
        let mut day = zone.day_of(from).max(oldest);
        if zone.start_of_day(day) < from {
            day += 1;
        }
        while day <= newest && zone.start_of_day(day + 1) <= to {
            let before = h.day(day);
            let after = mode.apply(before);
            h.shift(day, before, after);
            if let Some(a) = &mut self.adjusting {
                a.applied_mut(index).events += before;
            }
            add_range(ranges, zone.start_of_day(day), zone.start_of_day(day + 1));
            day += 1;
        }
    }
}

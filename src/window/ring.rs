//! Exact good/total counters in epoch-aligned, tiered bucket rings.
//!
//! An SLO's counts are kept at several bucket widths ([`TIER_WIDTHS`], each dividing the
//! next). Every event is added to every tier. A window of length `W` ending at `end` (a whole
//! second) is measured with the coarsest tier whose buckets are at most `W/60` wide: its
//! start is `end − W` rounded up to that width, the coarse buckets cover
//! `[start, floor(end))`, and each finer tier fills the rest up to `end`. So every window
//! reports an exact `[start, end)`, and all windows of an evaluation share the same end.
//!
//! Every tier holds the same events wherever two tiers both retain a range, so when all
//! windows are summed at once ([`SloCounters::add_sums`], what an evaluation does) the
//! middle of a window is read from the next coarser tier when it holds that range, and only
//! the ends from the window's own tier: the same `[start, end)` and the same counts from a
//! sixth to a tenth of the buckets. After a restore the tiers agree only on what came after
//! it ([`SloCounters`]'s `agrees_from`).
//!
//! A slot remembers the bucket index it holds, so a slot reused for a newer bucket can never
//! be mistaken for an older one; a bucket is readable while it is among the last `n` of its
//! tier, and [`Layout`] sizes `n` so that every window the SLO reports stays retained.

use super::adjust::Adjusting;
use super::history::History;
use crate::time::{HOUR, MINUTE, SECOND, ceil_to, floor_to};

pub use layout::{Layout, Retention};
pub use state::TierState;

/// Bucket widths of the tiers, finest first. Each divides the next.
pub const TIER_WIDTHS: [i64; 5] = [SECOND, 10 * SECOND, MINUTE, 10 * MINUTE, HOUR];

/// The tier used to measure a window of `window_us`: the coarsest whose width is at most
/// 1/60 of the window (the finest tier for windows under a minute).
pub fn tier_for(window_us: i64) -> usize {
    TIER_WIDTHS
        .iter()
        .rposition(|&w| w * 60 <= window_us)
        .unwrap_or(0)
}

/// Exact counts of a set of events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Good events.
    pub good: u64,
    /// All events.
    pub total: u64,
}

impl Counts {
    /// Bad events.
    pub fn bad(&self) -> u64 {
        self.total - self.good
    }
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, rhs: Counts) {
        self.good += rhs.good;
        self.total += rhs.total;
    }
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    bucket: i64,
    good: u64,
    total: u64,
}

const EMPTY: Slot = Slot {
    bucket: i64::MIN,
    good: 0,
    total: 0,
};

#[derive(Debug, Clone)]
struct Ring {
    width: i64,
    slots: Box<[Slot]>,
    /// The newest bucket added (`i64::MIN` before the first). Buckets in
    /// `(newest − n, newest]` are *live*; a slot holding an older bucket is stale and never
    /// read, and an event for an older bucket is not kept.
    newest: i64,
    /// The sum of every live bucket: a window covering most of the ring is read as this minus
    /// the few live buckets outside it.
    live: Counts,
    /// The bucket the last event went to and its slot: events mostly arrive in time order,
    /// so most adds land in the same bucket as the one before and skip the two divisions.
    hot: Hot,
}

/// A remembered `(bucket, slot)` pair; `start` is the bucket's first µs.
#[derive(Debug, Clone, Copy)]
struct Hot {
    start: i64,
    bucket: i64,
    slot: usize,
}

/// Matches no event: `time - start` overflows for every time but `i64::MIN`, whose bucket
/// can never equal `i64::MAX`.
const COLD: Hot = Hot {
    start: i64::MIN,
    bucket: i64::MAX,
    slot: 0,
};

impl Ring {
    fn new(width: i64, n: usize) -> Self {
        Self {
            width,
            slots: vec![EMPTY; n.max(1)].into_boxed_slice(),
            newest: i64::MIN,
            live: Counts::default(),
            hot: COLD,
        }
    }

    /// True when the ring holds every event from `from` (a multiple of the width) on that
    /// its counters were given: its bucket is live (an event too old for a tier is left
    /// out of it only, and a bucket live now was live when its events came), or the ring
    /// never had an event (nor did the other tiers, but after a restore: see
    /// [`SloCounters::agrees_from`]).
    fn holds_from(&self, from: i64) -> bool {
        self.newest == i64::MIN || from.div_euclid(self.width) >= self.oldest_live()
    }

    fn slot_of(&self, bucket: i64) -> usize {
        // n ≤ usize::MAX and rem_euclid is non-negative, so the cast is lossless.
        bucket.rem_euclid(self.slots.len() as i64) as usize
    }

    /// The oldest live bucket.
    fn oldest_live(&self) -> i64 {
        self.newest.saturating_sub(self.slots.len() as i64 - 1)
    }

    /// Makes `bucket` the newest: the buckets that stop being live leave `live`.
    fn advance(&mut self, bucket: i64) {
        if self.newest != i64::MIN {
            let n = self.slots.len() as i64;
            let first_gone = self.oldest_live();
            // At most n buckets can leave; older ones already have.
            let last_gone = (bucket - n).min(first_gone + n - 1);
            for gone in first_gone..=last_gone {
                let slot = self.slots[self.slot_of(gone)];
                if slot.bucket == gone {
                    self.live.good -= slot.good;
                    self.live.total -= slot.total;
                }
            }
        }
        self.newest = bucket;
    }

    /// Adds `good`/`total` events to `bucket` (a live one) in slot `i`, starting the slot
    /// over if it held an older bucket.
    fn put(&mut self, i: usize, bucket: i64, good: u64, total: u64) {
        let oldest = self.oldest_live();
        let slot = &mut self.slots[i];
        if slot.bucket != bucket {
            // Live buckets have distinct slots, so the one here is stale (out of `live`).
            debug_assert!(slot.bucket < oldest || slot.bucket == i64::MIN);
            *slot = Slot {
                bucket,
                good: 0,
                total: 0,
            };
        }
        slot.good += good;
        slot.total += total;
        self.live.good += good;
        self.live.total += total;
    }

    /// Adds `total` events at `time_us`, `good` of them good; false when its bucket is no
    /// longer live.
    fn add(&mut self, time_us: i64, good: u64, total: u64) -> bool {
        let hot = self.hot;
        if let Some(offset) = time_us.checked_sub(hot.start)
            && (0..self.width).contains(&offset)
            && let Some(slot) = self.slots.get_mut(hot.slot)
            && slot.bucket == hot.bucket
        {
            slot.total += total;
            slot.good += good;
            self.live.total += total;
            self.live.good += good;
            return true;
        }
        let bucket = time_us.div_euclid(self.width);
        if bucket > self.newest {
            self.advance(bucket);
        } else if bucket < self.oldest_live() {
            return false;
        }
        let i = self.slot_of(bucket);
        self.hot = Hot {
            start: bucket * self.width,
            bucket,
            slot: i,
        };
        self.put(i, bucket, good, total);
        true
    }

    /// The counts of `bucket`: zero unless it is live and held.
    fn bucket(&self, bucket: i64) -> Counts {
        let slot = self.slots[self.slot_of(bucket)];
        if self.newest == i64::MIN || bucket < self.oldest_live() || slot.bucket != bucket {
            return Counts::default();
        }
        Counts {
            good: slot.good,
            total: slot.total,
        }
    }

    /// Replaces `from` (which it holds) by `to` in live bucket `bucket`; nothing when the
    /// bucket is not live or holds nothing.
    fn shift(&mut self, bucket: i64, from: Counts, to: Counts) {
        if self.bucket(bucket).total == 0 {
            return;
        }
        let i = self.slot_of(bucket);
        let slot = &mut self.slots[i];
        slot.good = (slot.good - from.good.min(slot.good)) + to.good;
        slot.total = (slot.total - from.total.min(slot.total)) + to.total;
        slot.good = slot.good.min(slot.total);
        self.live.good = (self.live.good - from.good.min(self.live.good)) + to.good;
        self.live.total = (self.live.total - from.total.min(self.live.total)) + to.total;
    }

    /// Sum of the live buckets covering `[from, to)`; both are multiples of the width. Reads
    /// the buckets inside the range or the live ones outside it, whichever are fewer.
    fn sum(&self, from: i64, to: i64) -> Counts {
        let (first, last) = (from.div_euclid(self.width), to.div_euclid(self.width));
        if self.newest == i64::MIN {
            return Counts::default();
        }
        let (oldest, end) = (self.oldest_live(), self.newest + 1);
        let (first, last) = (first.max(oldest), last.min(end));
        if first >= last {
            return Counts::default();
        }
        let inside = last - first;
        let outside = (first - oldest) + (end - last);
        if inside <= outside {
            return self.scan(first, last);
        }
        let mut c = self.live;
        for part in [self.scan(oldest, first), self.scan(last, end)] {
            c.good -= part.good;
            c.total -= part.total;
        }
        c
    }

    /// Sum of buckets `[first, last)`, at most one ring's worth: consecutive buckets sit in
    /// consecutive slots, wrapping once at most, so two runs of slots, each read without a
    /// division or a branch per bucket.
    fn scan(&self, first: i64, last: i64) -> Counts {
        let mut c = Counts::default();
        if first >= last {
            return c;
        }
        let i = self.slot_of(first);
        let n = ((last - first) as usize).min(self.slots.len());
        let (head, tail) = self.slots.split_at(i);
        let first_run = n.min(tail.len());
        add_run(&mut c, &tail[..first_run], first);
        add_run(&mut c, &head[..n - first_run], first + first_run as i64);
        c
    }
}

/// Adds the slots of `run`, which should hold buckets `first`, `first + 1`, … in order, to
/// `c`, skipping every slot that holds another bucket (stale, or not yet reached).
fn add_run(c: &mut Counts, run: &[Slot], first: i64) {
    for (slot, bucket) in run.iter().zip(first..) {
        let hit = u64::from(slot.bucket == bucket);
        c.good += slot.good * hit;
        c.total += slot.total * hit;
    }
}

/// The tiered counters of one SLO in one shard.
#[derive(Debug, Clone)]
pub struct SloCounters {
    tiers: Vec<Ring>,
    /// From this µs on, every tier holds every event given to the counters whose bucket
    /// it retains: `i64::MIN` for counters that counted from their creation; for restored
    /// ones, the end of the newest bucket restored (a checkpoint does not say how far back
    /// each tier reached, so the tiers are known to agree only after it). Where two tiers
    /// both hold a range past this, either can be read.
    agrees_from: i64,
    /// Counts per local day, when the layout keeps a history.
    history: Option<History>,
    /// The budget adjustments in force, when any names this SLO.
    adjusting: Option<Box<Adjusting>>,
}

impl SloCounters {
    /// Empty counters shaped by `layout`.
    pub fn new(layout: &Layout) -> Self {
        Self {
            tiers: layout
                .slots
                .iter()
                .enumerate()
                .map(|(tier, &n)| Ring::new(TIER_WIDTHS[tier], n))
                .collect(),
            agrees_from: i64::MIN,
            history: layout.history.as_ref().map(History::new),
            adjusting: Adjusting::new(&layout.adjustments),
        }
    }

    /// The daily history, when the layout keeps one.
    pub fn history(&self) -> Option<&History> {
        self.history.as_ref()
    }

    /// Adds one event at `time_us` to every tier that still retains its bucket; what was
    /// counted (see [`SloCounters::add_counts`]).
    pub fn add(&mut self, time_us: i64, good: bool) -> Counts {
        self.add_counts(time_us, u64::from(good), 1)
    }

    /// Adds `total` events at `time_us`, `good` of them good (at most `total`), to every tier
    /// that still retains its bucket and to the history: what `total` calls of
    /// [`SloCounters::add`] do, for counts that arrive already summed (a cluster's deltas).
    /// Inside a budget adjustment they are counted as it says (none at all, or all good);
    /// returns what was counted.
    pub fn add_counts(&mut self, time_us: i64, good: u64, total: u64) -> Counts {
        let mut c = Counts {
            good: good.min(total),
            total,
        };
        if let Some(a) = &mut self.adjusting {
            c = a.admit(time_us, c);
            if c.total == 0 {
                return c;
            }
        }
        for ring in &mut self.tiers {
            ring.add(time_us, c.good, c.total);
        }
        if let Some(h) = &mut self.history {
            h.add(time_us, c.good, c.total);
        }
        c
    }

    /// The budget adjustments in force and how each stands, when any names this SLO.
    pub fn adjusting(&self) -> Option<&Adjusting> {
        self.adjusting.as_deref()
    }

    /// The budget adjustments in force, to record how they stand.
    pub fn adjusting_mut(&mut self) -> Option<&mut Adjusting> {
        self.adjusting.as_deref_mut()
    }

    /// The oldest instant any tier or the history still holds, `None` before the first
    /// event.
    pub fn held_from(&self) -> Option<i64> {
        let tiers = self
            .tiers
            .iter()
            .filter(|r| r.newest != i64::MIN)
            .map(|r| r.oldest_live().saturating_mul(r.width));
        let days = self
            .history
            .as_ref()
            .and_then(|h| Some(h.zone().start_of_day(h.oldest_day()?)));
        tiers.chain(days).min()
    }

    /// The end of the newest second counted, `None` before the first event.
    pub fn counted_to(&self) -> Option<i64> {
        let finest = self.tiers.first()?;
        (finest.newest != i64::MIN).then(|| (finest.newest + 1) * finest.width)
    }

    /// Exact counts of the window of length `window_us` ending at `end_us` (a whole second),
    /// over `[window_start(window_us, end_us), end_us)`.
    pub fn sum(&self, window_us: i64, end_us: i64) -> Counts {
        let tier = tier_for(window_us).min(self.tiers.len().saturating_sub(1));
        let mut from = window_start(window_us, end_us);
        let mut c = Counts::default();
        for t in (0..=tier).rev() {
            let Some(ring) = self.tiers.get(t) else {
                continue;
            };
            let to = floor_to(end_us, ring.width).max(from);
            c += ring.sum(from, to);
            from = to;
        }
        c
    }
}

impl SloCounters {
    /// Adds to `out[i]` the counts [`SloCounters::sum`] gives for window `windows_us[i]`
    /// ending at `end_us`, reading each tier's buckets once for all its windows: windows
    /// measured with the same tier share their end, so a shorter one's buckets are a suffix of
    /// a longer one's, and the part below the tier's last boundary (read from finer tiers) is
    /// the same for all of them.
    pub fn add_sums(&self, windows_us: &[i64], end_us: i64, out: &mut [Counts]) {
        let top = self.tiers.len().saturating_sub(1);
        // below[t]: counts in [floor(end, width t), end), from the tiers finer than t.
        let mut below = [Counts::default(); TIER_WIDTHS.len()];
        for t in 1..=top {
            let (fine, coarse) = (&self.tiers[t - 1], &self.tiers[t]);
            below[t] = below[t - 1];
            below[t] += fine.sum(floor_to(end_us, coarse.width), floor_to(end_us, fine.width));
        }
        // Windows by tier, newest start (shortest) first.
        let mut order: Vec<(usize, i64, usize)> = windows_us
            .iter()
            .enumerate()
            .map(|(i, &w)| (tier_for(w).min(top), window_start(w, end_us), i))
            .collect();
        order.sort_unstable_by_key(|&(tier, start, _)| (tier, std::cmp::Reverse(start)));
        let mut at = 0;
        while let Some(&(tier, ..)) = order.get(at) {
            let ring = &self.tiers[tier];
            let to = floor_to(end_us, ring.width);
            let (mut from, mut acc) = (to, below[tier]);
            while let Some(&(t, start, i)) = order.get(at).filter(|o| o.0 == tier) {
                debug_assert_eq!(t, tier);
                at += 1;
                if let Some(c) = self.sum_one_tier_up(tier, start, end_us, &below) {
                    out[i] += c;
                    continue;
                }
                let start = start.min(to);
                if start < from {
                    acc += ring.sum(start, from);
                    from = start;
                }
                out[i] += acc;
            }
        }
    }

    /// The counts of `[start, end_us)` for a window measured with `tier`, read with the next
    /// coarser tier's buckets for its middle and `tier`'s only for the part before the first
    /// coarse boundary (`below[tier + 1]` is the part after the last): the same events in a
    /// tenth to a sixth of the buckets. `None` where that tier does not hold the middle or
    /// does not agree with `tier` there, or the window spans no whole coarse bucket; the
    /// caller then reads `tier` alone.
    fn sum_one_tier_up(
        &self,
        tier: usize,
        start: i64,
        end_us: i64,
        below: &[Counts; TIER_WIDTHS.len()],
    ) -> Option<Counts> {
        let (fine, coarse) = (&self.tiers[tier], self.tiers.get(tier + 1)?);
        let (mid_from, mid_to) = (ceil_to(start, coarse.width), floor_to(end_us, coarse.width));
        if mid_from >= mid_to
            || mid_from < self.agrees_from
            || !fine.holds_from(mid_from)
            || !coarse.holds_from(mid_from)
        {
            return None;
        }
        let mut c = below[tier + 1];
        c += coarse.sum(mid_from, mid_to);
        c += fine.sum(start, mid_from);
        Some(c)
    }

    /// Exact counts over `[from, end)`, read from the tier of width `width_us` (which must
    /// divide `from` and be retained back to it, see [`Layout::for_retention`]) and finer
    /// tiers for the rest; `end` is a whole second.
    pub fn sum_from(&self, from: i64, end_us: i64, width_us: i64) -> Counts {
        let tier = TIER_WIDTHS
            .iter()
            .position(|&w| w == width_us)
            .unwrap_or(0)
            .min(self.tiers.len().saturating_sub(1));
        let mut from = from;
        let mut c = Counts::default();
        for ring in self.tiers[..=tier].iter().rev() {
            let to = floor_to(end_us, ring.width).max(from);
            c += ring.sum(from, to);
            from = to;
        }
        c
    }

    /// The finest bucket width whose tier still holds the bucket of `from_us` (and so every
    /// later one): a range from there on can be summed from that tier. The coarsest width
    /// when no tier has had an event; `None` when every tier has moved past `from_us`.
    pub fn finest_width_holding(&self, from_us: i64) -> Option<i64> {
        if self.tiers.iter().all(|r| r.newest == i64::MIN) {
            return self.tiers.last().map(|r| r.width);
        }
        self.tiers
            .iter()
            .find(|r| r.newest != i64::MIN && from_us.div_euclid(r.width) >= r.oldest_live())
            .map(|r| r.width)
    }

    /// Counts of each slice `[from + k·slice, from + (k+1)·slice)` ending by `to`, read from
    /// the tier of width `width_us`, which divides `from` and `slice_us`.
    pub fn slices(&self, from: i64, to: i64, slice_us: i64, width_us: i64) -> Vec<Counts> {
        let Some(ring) = self.tiers.iter().find(|r| r.width == width_us) else {
            return Vec::new();
        };
        let n = usize::try_from((to - from).max(0) / slice_us.max(1)).unwrap_or(0);
        (0..n as i64)
            .map(|k| ring.sum(from + k * slice_us, from + (k + 1) * slice_us))
            .collect()
    }
}

/// Start of the window of length `window_us` that ends at `end_us`: `end − W` rounded up to
/// the bucket width of the tier that measures it.
pub fn window_start(window_us: i64, end_us: i64) -> i64 {
    ceil_to(end_us - window_us, TIER_WIDTHS[tier_for(window_us)])
}

mod layout;
mod past;
mod state;

#[cfg(test)]
mod span_tests;

#[cfg(test)]
mod tests;

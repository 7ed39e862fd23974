//! Capacity counts per service: exact request counts and latency sums by event-time minute
//! and hour, from which request rates, their peaks at one-minute resolution, mean latencies,
//! concurrency and growth are derived.
//!
//! A [`CapacityRing`] counts every request of its service that the shard accepts, split by
//! host or not. Per minute it keeps [`Sums`]: requests, requests with a latency
//! (`measured`), and the sum of those latencies in µs. It holds the last [`MINUTE_SLOTS`]
//! minutes (one day and one hour, plus the minute in progress), so a one-day peak is exact
//! while the evaluation time trails the newest event by up to an hour; and the last
//! [`HOUR_SLOTS`] hours (fifteen days, plus the hour in progress), so that two weeks can be
//! compared. Each hour also keeps its *peak minute* (the minute with the most requests, the
//! earliest of equals) with that minute's sums: a minute's counts only grow, so the peak is
//! kept up to date as each request is counted, and a peak over days of minutes is exact
//! after their minute slots were reused.
//!
//! A slot remembers the minute or hour it holds, and a ring holds the minutes (hours) from
//! its newest one back [`MINUTE_SLOTS`] ([`HOUR_SLOTS`]): a reused slot is never read as an
//! older bucket, and a request older than a ring holds is left out of that ring (a request
//! more than a day and an hour late is counted in its hour but not in its minute, nor in its
//! hour's peak; one more than fifteen days late is not counted at all). What a ring holds
//! is exact: [`CapacityRing::held_minutes_from_us`], [`CapacityRing::held_hours_from_us`]
//! and [`CapacityRing::exact_peak_from_us`] say from when.
//!
//! Counts per minute are `u32` (71.5 million requests a minute, 1.19 million a second) and
//! saturate there; hour counts and every latency sum are `u64` and saturate too. A minute
//! slot takes 24 bytes and an hour slot 56, so a service costs [`CapacityRing::BYTES`]
//! (56,240 bytes, 55 KiB) once it has counted a request and nothing before: 56 MB for 1,000
//! services with traffic.

use serde::{Deserialize, Serialize};

use crate::time::{HOUR, MINUTE};

/// Minutes held per service: a day and an hour, and the minute in progress.
pub const MINUTE_SLOTS: usize = 25 * 60 + 1;
/// Hours held per service: fifteen days, and the hour in progress.
pub const HOUR_SLOTS: usize = 15 * 24 + 1;
/// Minutes in an hour.
const MINUTES_PER_HOUR: i64 = HOUR / MINUTE;
/// The minute or hour index of a slot that holds none.
const NONE: i64 = i64::MIN;

/// The counts of a set of requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sums {
    /// Every request.
    pub requests: u64,
    /// Requests with a latency.
    pub measured: u64,
    /// The sum of their latencies, µs.
    pub latency_sum_us: u64,
}

impl Sums {
    /// Adds `other`, saturating.
    pub fn add(&mut self, other: Sums) {
        self.requests = self.requests.saturating_add(other.requests);
        self.measured = self.measured.saturating_add(other.measured);
        self.latency_sum_us = self.latency_sum_us.saturating_add(other.latency_sum_us);
    }
}

/// The busiest minute of a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peak {
    /// Its first µs.
    pub minute_start_us: i64,
    /// Its counts.
    pub sums: Sums,
}

/// One minute's counts; `minute` is its index (µs / [`MINUTE`]), [`NONE`] when empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MinuteSlot {
    minute: i64,
    requests: u32,
    measured: u32,
    latency_sum_us: u64,
}

impl MinuteSlot {
    const EMPTY: Self = Self::new(NONE);

    const fn new(minute: i64) -> Self {
        Self {
            minute,
            requests: 0,
            measured: 0,
            latency_sum_us: 0,
        }
    }

    fn add(&mut self, s: Sums) {
        let narrow = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        self.requests = self.requests.saturating_add(narrow(s.requests));
        self.measured = self.measured.saturating_add(narrow(s.measured));
        self.latency_sum_us = self.latency_sum_us.saturating_add(s.latency_sum_us);
    }

    fn sums(&self) -> Sums {
        Sums {
            requests: u64::from(self.requests),
            measured: u64::from(self.measured),
            latency_sum_us: self.latency_sum_us,
        }
    }

    /// Busier than `other`, or as busy and earlier; anything beats an empty slot.
    fn beats(&self, other: &MinuteSlot) -> bool {
        other.minute == NONE
            || self.requests > other.requests
            || (self.requests == other.requests && self.minute < other.minute)
    }

    fn peak(&self) -> Peak {
        Peak {
            minute_start_us: self.minute.saturating_mul(MINUTE),
            sums: self.sums(),
        }
    }
}

/// One hour's counts and its peak minute ([`MinuteSlot::EMPTY`] when none was held).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HourSlot {
    hour: i64,
    sums: Sums,
    peak: MinuteSlot,
}

impl HourSlot {
    const EMPTY: Self = Self::new(NONE);

    const fn new(hour: i64) -> Self {
        Self {
            hour,
            sums: Sums {
                requests: 0,
                measured: 0,
                latency_sum_us: 0,
            },
            peak: MinuteSlot::EMPTY,
        }
    }

    /// Takes `minute` (of this hour, whose counts just grew) as the peak if it is the peak
    /// minute already or now beats it.
    fn bump(&mut self, minute: MinuteSlot) {
        if minute.minute == self.peak.minute || minute.beats(&self.peak) {
            self.peak = minute;
        }
    }
}

/// The minute the last request landed in and its slots, so that the next request of the
/// same minute skips the divisions.
#[derive(Debug, Clone, Copy)]
struct Hot {
    start_us: i64,
    minute_slot: usize,
    hour_slot: usize,
}

/// The first index whose bucket (of `width` µs) starts at or after `t_us`.
fn first_at_or_after(t_us: i64, width: i64) -> i64 {
    t_us.div_euclid(width) + i64::from(t_us.rem_euclid(width) != 0)
}

/// The slot of `index` in a ring of `n` slots.
fn slot_of(index: i64, n: usize) -> usize {
    // n fits in i64 and rem_euclid is non-negative and below n, so the casts are lossless.
    index.rem_euclid(n as i64) as usize
}

/// One service's requests per minute and per hour; see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct CapacityRing {
    /// [`MINUTE_SLOTS`] slots once a request was counted, none before.
    minutes: Box<[MinuteSlot]>,
    /// [`HOUR_SLOTS`] slots once a request was counted, none before.
    hours: Box<[HourSlot]>,
    /// The newest minute counted; [`NONE`] before the first. Its hour is the newest hour.
    newest: i64,
    hot: Option<Hot>,
}

impl Default for CapacityRing {
    fn default() -> Self {
        Self::new()
    }
}

impl CapacityRing {
    /// Bytes of slots a service with traffic takes.
    pub const BYTES: usize = MINUTE_SLOTS * std::mem::size_of::<MinuteSlot>()
        + HOUR_SLOTS * std::mem::size_of::<HourSlot>();

    /// An empty ring; its slots are allocated with its first request.
    pub fn new() -> Self {
        Self {
            minutes: Box::new([]),
            hours: Box::new([]),
            newest: NONE,
            hot: None,
        }
    }

    /// Counts one request at `time_us` with latency `latency_us` (`None` when unknown; a
    /// negative latency counts as 0).
    pub fn record(&mut self, time_us: i64, latency_us: Option<i64>) {
        let sums = Sums {
            requests: 1,
            measured: u64::from(latency_us.is_some()),
            latency_sum_us: latency_us.map_or(0, |l| u64::try_from(l).unwrap_or(0)),
        };
        if let Some(hot) = self.hot
            && let Some(offset) = time_us.checked_sub(hot.start_us)
            && (0..MINUTE).contains(&offset)
        {
            self.add_held(hot.minute_slot, hot.hour_slot, sums);
            return;
        }
        self.add(time_us, sums);
    }

    /// Counts `requests` requests of the minute that holds `minute_start_us`, `measured` of
    /// them (at most `requests`) with latencies summing to `latency_sum_us`: what as many
    /// calls of [`CapacityRing::record`] do, for counts that arrive summed (a cluster's
    /// deltas). Nothing when `requests` is 0.
    pub fn record_sums(
        &mut self,
        minute_start_us: i64,
        requests: u64,
        measured: u64,
        latency_sum_us: u64,
    ) {
        if requests == 0 {
            return;
        }
        let sums = Sums {
            requests,
            measured: measured.min(requests),
            latency_sum_us,
        };
        self.add(minute_start_us, sums);
    }

    /// Adds `sums` to slots already holding their minute and hour.
    fn add_held(&mut self, minute_slot: usize, hour_slot: usize, sums: Sums) {
        let minute = &mut self.minutes[minute_slot];
        minute.add(sums);
        let minute = *minute;
        let hour = &mut self.hours[hour_slot];
        hour.sums.add(sums);
        hour.bump(minute);
    }

    /// Adds `sums` at `time_us` to the hour and the minute, each if its ring holds it.
    fn add(&mut self, time_us: i64, sums: Sums) {
        let minute = time_us.div_euclid(MINUTE);
        self.advance(minute);
        let Some(hour_slot) = self.hold_hour(minute.div_euclid(MINUTES_PER_HOUR)) else {
            return;
        };
        self.hours[hour_slot].sums.add(sums);
        let Some(minute_slot) = self.hold_minute(minute) else {
            return;
        };
        self.minutes[minute_slot].add(sums);
        self.hours[hour_slot].bump(self.minutes[minute_slot]);
        self.hot = minute.checked_mul(MINUTE).map(|start_us| Hot {
            start_us,
            minute_slot,
            hour_slot,
        });
    }

    /// Makes `minute` the newest if it is newer, allocating the slots on first use.
    fn advance(&mut self, minute: i64) {
        if self.minutes.is_empty() {
            self.minutes = vec![MinuteSlot::EMPTY; MINUTE_SLOTS].into_boxed_slice();
            self.hours = vec![HourSlot::EMPTY; HOUR_SLOTS].into_boxed_slice();
        }
        self.newest = self.newest.max(minute);
    }

    /// The oldest minute held (only meaningful once a request was counted).
    fn oldest_minute(&self) -> i64 {
        self.newest.saturating_sub(MINUTE_SLOTS as i64 - 1)
    }

    /// The oldest hour held (only meaningful once a request was counted).
    fn oldest_hour(&self) -> i64 {
        self.newest
            .div_euclid(MINUTES_PER_HOUR)
            .saturating_sub(HOUR_SLOTS as i64 - 1)
    }

    /// The slot of `minute`, started over if it held an older one; `None` when the ring no
    /// longer holds `minute`. Call after [`CapacityRing::advance`].
    fn hold_minute(&mut self, minute: i64) -> Option<usize> {
        if minute < self.oldest_minute() {
            return None;
        }
        let i = slot_of(minute, MINUTE_SLOTS);
        // Held minutes have distinct slots, so one holding another minute holds an older one.
        if self.minutes[i].minute != minute {
            self.minutes[i] = MinuteSlot::new(minute);
        }
        Some(i)
    }

    /// The slot of `hour`, as [`CapacityRing::hold_minute`].
    fn hold_hour(&mut self, hour: i64) -> Option<usize> {
        if hour < self.oldest_hour() {
            return None;
        }
        let i = slot_of(hour, HOUR_SLOTS);
        if self.hours[i].hour != hour {
            self.hours[i] = HourSlot::new(hour);
        }
        Some(i)
    }

    /// The slot holding `minute`, if the ring holds it.
    fn minute(&self, minute: i64) -> Option<&MinuteSlot> {
        if self.newest == NONE || minute < self.oldest_minute() || minute > self.newest {
            return None;
        }
        Some(&self.minutes[slot_of(minute, MINUTE_SLOTS)]).filter(|s| s.minute == minute)
    }

    /// The slot holding `hour`, if the ring holds it.
    fn hour(&self, hour: i64) -> Option<&HourSlot> {
        let newest = self.newest.div_euclid(MINUTES_PER_HOUR);
        if self.newest == NONE || hour < self.oldest_hour() || hour > newest {
            return None;
        }
        Some(&self.hours[slot_of(hour, HOUR_SLOTS)]).filter(|s| s.hour == hour)
    }

    /// The held minutes of indexes `[first, last)`, oldest first.
    fn minutes_between(&self, first: i64, last: i64) -> impl Iterator<Item = &MinuteSlot> {
        let first = first.max(self.oldest_minute());
        let last = last.min(self.newest.saturating_add(1));
        let range = if self.newest == NONE {
            0..0
        } else {
            first..last
        };
        range.filter_map(|m| self.minute(m))
    }

    /// The held hours of indexes `[first, last)`, oldest first.
    fn hours_between(&self, first: i64, last: i64) -> impl Iterator<Item = &HourSlot> {
        let newest = self.newest.div_euclid(MINUTES_PER_HOUR);
        let first = first.max(self.oldest_hour());
        let last = last.min(newest.saturating_add(1));
        let range = if self.newest == NONE {
            0..0
        } else {
            first..last
        };
        range.filter_map(|h| self.hour(h))
    }

    /// The held minutes whose start lies in `[from_us, to_us)`, oldest first.
    fn minutes_in(&self, from_us: i64, to_us: i64) -> impl Iterator<Item = &MinuteSlot> {
        self.minutes_between(
            first_at_or_after(from_us, MINUTE),
            first_at_or_after(to_us, MINUTE),
        )
    }

    /// The held hours whose start lies in `[from_us, to_us)`, oldest first.
    fn hours_in(&self, from_us: i64, to_us: i64) -> impl Iterator<Item = &HourSlot> {
        self.hours_between(
            first_at_or_after(from_us, HOUR),
            first_at_or_after(to_us, HOUR),
        )
    }

    /// The sums of the held minutes whose start lies in `[from_us, to_us)` (bounds at whole
    /// minutes): exact from [`CapacityRing::held_minutes_from_us`] on.
    pub fn minutes(&self, from_us: i64, to_us: i64) -> Sums {
        let mut sums = Sums::default();
        for m in self.minutes_in(from_us, to_us) {
            sums.add(m.sums());
        }
        sums
    }

    /// The sums of the held hours whose start lies in `[from_us, to_us)` (bounds at whole
    /// hours): exact from [`CapacityRing::held_hours_from_us`] on.
    pub fn hours(&self, from_us: i64, to_us: i64) -> Sums {
        let mut sums = Sums::default();
        for h in self.hours_in(from_us, to_us) {
            sums.add(h.sums);
        }
        sums
    }

    /// The start of the oldest minute held: every request of a minute from here on was
    /// counted in it. `i64::MIN` before the first request (nothing was left out).
    pub fn held_minutes_from_us(&self) -> i64 {
        if self.newest == NONE {
            return i64::MIN;
        }
        self.oldest_minute().saturating_mul(MINUTE)
    }

    /// The start of the oldest held hour that counted a request: from when the ring has
    /// seen the service's traffic (within the hours it holds); `None` before any request.
    pub fn oldest_counted_hour_us(&self) -> Option<i64> {
        self.hours_between(i64::MIN, i64::MAX)
            .find(|h| h.sums.requests > 0)
            .map(|h| h.hour.saturating_mul(HOUR))
    }

    /// The start of the oldest hour held, as [`CapacityRing::held_minutes_from_us`].
    pub fn held_hours_from_us(&self) -> i64 {
        if self.newest == NONE {
            return i64::MIN;
        }
        self.oldest_hour().saturating_mul(HOUR)
    }

    /// The earliest start at or after `from_us` from which [`CapacityRing::peak`] is exact
    /// for a range ending in the held minutes: `from_us` itself while the minutes reach back
    /// to it; before them, the first whole hour held (whose peak minute is known) at or after
    /// it.
    pub fn exact_peak_from_us(&self, from_us: i64) -> i64 {
        let minutes = self.held_minutes_from_us();
        if from_us >= minutes {
            return from_us;
        }
        let hours = first_at_or_after(from_us, HOUR)
            .saturating_mul(HOUR)
            .max(self.held_hours_from_us());
        hours.min(minutes)
    }

    /// The minute with the most requests (the earliest of equals) whose start lies in
    /// `[from_us, to_us)` (bounds at whole minutes), among the held minutes and the peak
    /// minutes of the held hours; `None` when none counted a request. Exact from
    /// [`CapacityRing::exact_peak_from_us`] on; before, a lower bound (an hour's peak outside
    /// the range says nothing about its other minutes).
    pub fn peak(&self, from_us: i64, to_us: i64) -> Option<Peak> {
        let (first, last) = (
            first_at_or_after(from_us, MINUTE),
            first_at_or_after(to_us, MINUTE),
        );
        let hour_peaks = self
            .hours_in(from_us.saturating_sub(HOUR - 1), to_us)
            .map(|h| h.peak)
            .filter(|p| p.minute != NONE && (first..last).contains(&p.minute));
        let mut best = MinuteSlot::EMPTY;
        // An hour's peak may be a held minute too: taking it twice changes nothing.
        for m in self.minutes_in(from_us, to_us).copied().chain(hour_peaks) {
            if m.beats(&best) {
                best = m;
            }
        }
        (best.minute != NONE).then(|| best.peak())
    }
}

mod state;
pub use state::{CapacityState, HourState, MinuteState};

#[cfg(test)]
mod tests;

//! Daily history: one SLO's exact good and total events per local day of its time zone,
//! for the last `days` days, so that period reports (days, ISO weeks, months, quarters in
//! that zone) are sums of whole days.
//!
//! A day is a civil date of the zone, numbered as days since 1970-01-01 (the date's own
//! number, not the UTC day of its first instant), so weeks, months and quarters are runs of
//! consecutive numbers whatever the zone's offset or DST: a local day of 23 or 25 hours is
//! still one day. The ring keeps the `days` newest days up to the newest one counted; an
//! event of an older day is left out of the history (as a bucket too old for a tier is left
//! out of it). Each slot remembers its day, so a reused slot is never read as an older day.
//! Most events fall in the same day as the one before, so the day's `[start, end)` is kept
//! and the zone is consulted only when an event leaves it.
//!
//! Cost: 24 bytes a day, ≈ 9.4 KiB per SLO for the default 400 days.

use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::ring::Counts;
use crate::time::{DAY, civil_from_days, days_from_civil};

/// The time zone whose local days the history counts.
#[derive(Debug, Clone)]
pub struct DayZone {
    name: Arc<str>,
    zone: TimeZone,
}

impl PartialEq for DayZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for DayZone {}

impl DayZone {
    /// UTC.
    pub fn utc() -> Self {
        Self {
            name: "UTC".into(),
            zone: TimeZone::UTC,
        }
    }

    /// The IANA zone `name` (`Europe/Berlin`); `None` for an unknown one.
    pub fn get(name: &str) -> Option<Self> {
        if name == "UTC" {
            return Some(Self::utc());
        }
        Some(Self {
            name: name.into(),
            zone: TimeZone::get(name).ok()?,
        })
    }

    /// The zone `zone`, known by its IANA name `name`.
    pub fn new(name: &str, zone: TimeZone) -> Self {
        Self {
            name: name.into(),
            zone,
        }
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The zone itself.
    pub fn tz(&self) -> &TimeZone {
        &self.zone
    }

    /// The day (days since 1970-01-01 of the local date) that `t_us` falls in.
    pub fn day_of(&self, t_us: i64) -> i64 {
        let Ok(ts) = Timestamp::from_microsecond(t_us) else {
            return t_us.div_euclid(DAY);
        };
        let d = ts.to_zoned(self.zone.clone()).date();
        days_from_civil(
            i64::from(d.year()),
            u32::from(d.month().unsigned_abs()),
            u32::from(d.day().unsigned_abs()),
        )
    }

    /// First instant of local day `day`, µs (a midnight skipped by a DST change: the first
    /// instant after it).
    pub fn start_of_day(&self, day: i64) -> i64 {
        let (y, m, d) = civil_from_days(day);
        let date = i16::try_from(y)
            .ok()
            .and_then(|y| Date::new(y, m as i8, d as i8).ok());
        date.and_then(|date| date.to_zoned(self.zone.clone()).ok())
            .map_or(day * DAY, |z| z.timestamp().as_microsecond())
    }
}

/// What one SLO's history keeps: how many days, in which zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistorySpec {
    /// Days kept, the newest included; at least 1.
    pub days: usize,
    /// The zone whose local days are counted.
    pub zone: DayZone,
}

impl HistorySpec {
    /// The longest span behind the newest event that the history still counts, µs: `days`
    /// local days (a DST day is at most 25 hours) before the newest one's start.
    pub fn span_us(&self) -> i64 {
        (self.days as i64 + 1) * (DAY + DAY / 24)
    }

    /// Bytes one SLO's history costs.
    pub fn bytes(&self) -> usize {
        self.days * std::mem::size_of::<Slot>()
    }
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    day: i64,
    good: u64,
    total: u64,
}

const EMPTY: Slot = Slot {
    day: i64::MIN,
    good: 0,
    total: 0,
};

/// The day the last event went to: `[start, end)` in µs, and its slot.
#[derive(Debug, Clone, Copy)]
struct HotDay {
    start: i64,
    end: i64,
    day: i64,
    slot: usize,
}

const COLD: HotDay = HotDay {
    start: 0,
    end: 0,
    day: i64::MIN,
    slot: 0,
};

/// One SLO's counts per local day.
#[derive(Debug, Clone)]
pub struct History {
    zone: DayZone,
    slots: Box<[Slot]>,
    /// The newest day counted (`i64::MIN` before the first event).
    newest: i64,
    hot: HotDay,
}

impl History {
    /// An empty history shaped by `spec`.
    pub fn new(spec: &HistorySpec) -> Self {
        Self {
            zone: spec.zone.clone(),
            slots: vec![EMPTY; spec.days.max(1)].into_boxed_slice(),
            newest: i64::MIN,
            hot: COLD,
        }
    }

    /// The zone whose days are counted.
    pub fn zone(&self) -> &DayZone {
        &self.zone
    }

    /// Days kept.
    pub fn days(&self) -> usize {
        self.slots.len()
    }

    /// The newest day counted, `None` before the first event.
    pub fn newest_day(&self) -> Option<i64> {
        (self.newest != i64::MIN).then_some(self.newest)
    }

    /// The oldest day still kept, given the newest: `newest − days + 1`.
    pub fn oldest_day(&self) -> Option<i64> {
        self.newest_day()
            .map(|n| n.saturating_sub(self.slots.len() as i64 - 1))
    }

    fn slot_of(&self, day: i64) -> usize {
        day.rem_euclid(self.slots.len() as i64) as usize
    }

    /// Adds `total` events at `time_us`, `good` of them good; false when their day is older
    /// than the history keeps.
    pub fn add(&mut self, time_us: i64, good: u64, total: u64) -> bool {
        if !(self.hot.start..self.hot.end).contains(&time_us) {
            let day = self.zone.day_of(time_us);
            self.hot = HotDay {
                start: self.zone.start_of_day(day),
                end: self.zone.start_of_day(day + 1),
                day,
                slot: self.slot_of(day),
            };
        }
        let HotDay { day, slot, .. } = self.hot;
        self.add_at(day, slot, good, total)
    }

    fn add_day(&mut self, day: i64, good: u64, total: u64) -> bool {
        self.add_at(day, self.slot_of(day), good, total)
    }

    /// Adds to day `day`, whose slot is `i`.
    fn add_at(&mut self, day: i64, i: usize, good: u64, total: u64) -> bool {
        if day > self.newest {
            self.newest = day;
        } else if day < self.oldest_day().unwrap_or(i64::MIN) {
            return false;
        }
        let slot = &mut self.slots[i];
        if slot.day != day {
            *slot = Slot {
                day,
                good: 0,
                total: 0,
            };
        }
        slot.good += good;
        slot.total += total;
        true
    }

    /// The counts of local day `day`: zero for a day without events or no longer kept.
    pub fn day(&self, day: i64) -> Counts {
        let kept = self.oldest_day().is_some_and(|o| day >= o) && day <= self.newest;
        let slot = self.slots[self.slot_of(day)];
        if kept && slot.day == day {
            Counts {
                good: slot.good,
                total: slot.total,
            }
        } else {
            Counts::default()
        }
    }

    /// Replaces `from` (which it holds) by `to` in kept day `day`; nothing for a day not
    /// kept or without events.
    pub fn shift(&mut self, day: i64, from: Counts, to: Counts) {
        if self.day(day).total == 0 {
            return;
        }
        let i = self.slot_of(day);
        let slot = &mut self.slots[i];
        slot.total = (slot.total - from.total.min(slot.total)) + to.total;
        slot.good = ((slot.good - from.good.min(slot.good)) + to.good).min(slot.total);
    }

    /// Every kept day with events, `(day, good, total)` oldest first, for a checkpoint.
    pub fn export(&self) -> Vec<(i64, u64, u64)> {
        let Some(oldest) = self.oldest_day() else {
            return Vec::new();
        };
        (oldest..=self.newest)
            .filter_map(|day| {
                let c = self.day(day);
                (c.total > 0).then_some((day, c.good, c.total))
            })
            .collect()
    }

    /// Adds exported days back; a day older than this history keeps is skipped.
    pub fn import(&mut self, days: &[(i64, u64, u64)]) {
        let mut days = days.to_vec();
        // Newest first, so that a shorter history keeps the newest days.
        days.sort_unstable_by_key(|&(day, ..)| std::cmp::Reverse(day));
        for (day, good, total) in days {
            self.add_day(day, good.min(total), total);
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::time::{HOUR, MINUTE, epoch_us};

    fn spec(days: usize, zone: &str) -> HistorySpec {
        HistorySpec {
            days,
            zone: DayZone::get(zone).unwrap(),
        }
    }

    fn at(y: i64, m: u32, d: u32, h: u32, mi: u32) -> i64 {
        epoch_us(y, m, d, h, mi, 0, 0).unwrap()
    }

    #[test]
    fn days_are_local_dates_dst_days_included() {
        let berlin = DayZone::get("Europe/Berlin").unwrap();
        // 2026-03-29: clocks go from 02:00 to 03:00 local; the day lasts 23 hours.
        let day = days_from_civil(2026, 3, 29);
        let (start, end) = (berlin.start_of_day(day), berlin.start_of_day(day + 1));
        assert_eq!(start, at(2026, 3, 28, 23, 0));
        assert_eq!(end, at(2026, 3, 29, 22, 0));
        assert_eq!(end - start, 23 * HOUR);
        assert_eq!(berlin.day_of(start), day);
        assert_eq!(berlin.day_of(start - 1), day - 1);
        assert_eq!(berlin.day_of(end - 1), day);
        assert_eq!(berlin.day_of(end), day + 1);
        // Kathmandu is UTC+05:45: its days start at 18:15 UTC.
        let ktm = DayZone::get("Asia/Kathmandu").unwrap();
        let day = days_from_civil(2026, 1, 2);
        assert_eq!(ktm.start_of_day(day), at(2026, 1, 1, 18, 15));
        assert_eq!(DayZone::utc().start_of_day(day), day * DAY);
        assert!(DayZone::get("Mars/Olympus").is_none());
    }

    #[test]
    fn keeps_the_newest_days_and_leaves_older_events_out() {
        let mut h = History::new(&spec(3, "UTC"));
        assert_eq!(h.newest_day(), None);
        assert!(h.add(at(2026, 1, 1, 10, 0), 1, 1));
        assert!(h.add(at(2026, 1, 3, 10, 0), 0, 1));
        let d1 = days_from_civil(2026, 1, 1);
        assert_eq!(h.oldest_day(), Some(d1));
        assert_eq!(h.day(d1), Counts { good: 1, total: 1 });
        // Day 4 pushes day 1 out; a later event of day 1 is not kept.
        assert!(h.add(at(2026, 1, 4, 0, 0), 1, 1));
        assert_eq!(h.day(d1), Counts::default());
        assert!(!h.add(at(2026, 1, 1, 23, 59), 1, 1));
        // A late event of a kept day lands in it.
        assert!(h.add(at(2026, 1, 2, 5, 0), 1, 2));
        assert_eq!(
            h.export(),
            vec![(d1 + 1, 1, 2), (d1 + 2, 0, 1), (d1 + 3, 1, 1)]
        );
        // A slot reused for a newer day is never read as the older one.
        assert!(h.add(at(2026, 1, 7, 0, 0), 1, 1));
        assert_eq!(h.day(d1 + 3), Counts::default());
        assert_eq!(h.export(), vec![(d1 + 6, 1, 1)]);
    }

    #[test]
    fn import_keeps_the_newest_days_a_shorter_history_holds() {
        let mut long = History::new(&spec(10, "UTC"));
        for d in 0..10 {
            long.add(d * DAY + MINUTE, 1, d as u64 + 1);
        }
        let mut short = History::new(&spec(4, "UTC"));
        short.import(&long.export());
        assert_eq!(
            short.export(),
            vec![(6, 1, 7), (7, 1, 8), (8, 1, 9), (9, 1, 10)]
        );
    }

    proptest! {
        /// Any events, in any order, in any of three zones: each kept day holds exactly the
        /// events whose local date it is, counted naively.
        #[test]
        fn every_kept_day_holds_exactly_its_events(
            zone in prop::sample::select(vec!["UTC", "Europe/Berlin", "Asia/Kathmandu", "America/St_Johns"]),
            days in 1usize..12,
            events in prop::collection::vec((0i64..20 * DAY, any::<bool>()), 0..200),
        ) {
            let base = at(2026, 3, 20, 0, 0);
            let mut h = History::new(&spec(days, zone));
            let tz = TimeZone::get(zone).unwrap();
            let local_day = |t: i64| {
                let d = Timestamp::from_microsecond(t).unwrap().to_zoned(tz.clone()).date();
                days_from_civil(i64::from(d.year()), d.month() as u32, d.day() as u32)
            };
            let mut newest = i64::MIN;
            let mut kept: Vec<(i64, bool)> = Vec::new();
            for &(offset, good) in &events {
                let t = base + offset;
                let day = local_day(t);
                let was_kept = newest == i64::MIN || day > newest - days as i64;
                prop_assert_eq!(h.add(t, u64::from(good), 1), was_kept);
                if was_kept {
                    newest = newest.max(day);
                    kept.push((day, good));
                }
            }
            let Some(oldest) = h.oldest_day() else {
                prop_assert!(events.is_empty());
                return Ok(());
            };
            for day in oldest - 2..=newest + 1 {
                let in_range = day >= oldest && day <= newest;
                let expected = kept.iter().filter(|&&(d, _)| d == day && in_range);
                let good = expected.clone().filter(|&&(_, g)| g).count() as u64;
                prop_assert_eq!(h.day(day), Counts { good, total: expected.count() as u64 });
            }
        }
    }
}

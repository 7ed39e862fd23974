//! SLO periods and budgeting methods.
//!
//! A period is rolling (the last `P`, measured like every other window) or calendar-aligned:
//! the ISO week (Monday first), month or quarter, in an IANA time zone, that contains the
//! evaluation time T. A calendar budget covers exactly `[period start, T)` — the period so
//! far — so `allowed_bad = (1 − objective) × total so far`.
//!
//! Budgeting is by occurrences (good events / events) or by timeslices: the budget interval
//! is cut into slices of a fixed width (epoch-aligned for rolling periods, aligned to the
//! period start for calendar ones) and only complete slices are judged. A slice without
//! events is neither good nor bad: it does not count against the budget (as in OpenSLO).
//! `Timeslices`: a slice is good when good/total ≥ the slice target; the SLI is good slices /
//! slices with data. `RatioTimeslices`: the SLI is the mean of the slices' good/total, each
//! ratio truncated to parts per billion so the budget decisions stay integer comparisons.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use super::exact::{ONE, Ppb};
use crate::time::{DAY, HOUR};
use crate::window::Counts;
use crate::window::ring::TIER_WIDTHS;

/// The calendar unit of a calendar-aligned period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarUnit {
    /// A day, from midnight local time unless anchored elsewhere.
    Day,
    /// A week: the ISO week, Monday 00:00 local time, unless anchored elsewhere.
    Week,
    /// A calendar month, the 1st 00:00 local time, unless anchored elsewhere.
    Month,
    /// A quarter: January, April, July, October 1st 00:00 local time, unless anchored
    /// elsewhere.
    Quarter,
    /// A year, January 1st 00:00 local time, unless anchored elsewhere.
    Year,
}

impl CalendarUnit {
    /// `day`, `week`, `month`, `quarter`, `year`.
    pub fn name(self) -> &'static str {
        match self {
            CalendarUnit::Day => "day",
            CalendarUnit::Week => "week",
            CalendarUnit::Month => "month",
            CalendarUnit::Quarter => "quarter",
            CalendarUnit::Year => "year",
        }
    }

    /// The unit of that [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        [
            CalendarUnit::Day,
            CalendarUnit::Week,
            CalendarUnit::Month,
            CalendarUnit::Quarter,
            CalendarUnit::Year,
        ]
        .into_iter()
        .find(|u| u.name() == name)
    }

    /// Nominal length (1, 7, 30, 90 or 365 days), for burn-rate factors and
    /// `slo:time_period:days`.
    pub fn nominal_us(self) -> i64 {
        DAY * match self {
            CalendarUnit::Day => 1,
            CalendarUnit::Week => 7,
            CalendarUnit::Month => 30,
            CalendarUnit::Quarter => 90,
            CalendarUnit::Year => 365,
        }
    }

    /// Longest possible period (the longest unit plus a one-hour DST change), for retention.
    pub fn max_us(self) -> i64 {
        HOUR + DAY
            * match self {
                CalendarUnit::Day => 1,
                CalendarUnit::Week => 7,
                CalendarUnit::Month => 31,
                CalendarUnit::Quarter => 92,
                CalendarUnit::Year => 366,
            }
    }

    /// Its length in days (day and week) or months (month, quarter, year).
    fn steps(self) -> (i64, i64) {
        match self {
            CalendarUnit::Day => (1, 0),
            CalendarUnit::Week => (7, 0),
            CalendarUnit::Month => (0, 1),
            CalendarUnit::Quarter => (0, 3),
            CalendarUnit::Year => (0, 12),
        }
    }

    /// The local time its periods start from unless anchored elsewhere: 1970-01-05, a
    /// Monday, for weeks (so periods are ISO weeks); 1970-01-01 for the others.
    fn default_anchor(self) -> DateTime {
        let day = if self == CalendarUnit::Week { 5 } else { 1 };
        DateTime::constant(1970, 1, day, 0, 0, 0, 0)
    }
}

/// A calendar-aligned period in a time zone: `count` units from `anchor` (local time), so
/// that the periods start at `anchor + k × count units` for every whole k. Months keep their
/// calendar lengths from the anchor, each start computed from the anchor itself: a day 29 to
/// 31 that a month lacks is its last day (from January 31st: February 28th, March 31st). A
/// local start that a DST gap skips is the first instant after the gap; one that a DST fold
/// repeats is the first of the two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// Day, week, month, quarter or year.
    pub unit: CalendarUnit,
    /// Units per period (at least 1): 2 for `2w`.
    pub count: i64,
    /// A local time that starts a period, at a whole minute.
    pub anchor: DateTime,
    /// IANA name, e.g. `Europe/Berlin`.
    pub zone_name: String,
    /// The zone (from the bundled tz database).
    pub zone: TimeZone,
    /// Widest bucket width (a tier width) that divides every period start from 1970 to 2100:
    /// 1 h in zones with whole-hour offsets, 10 min for `+05:30`, 1 min for `+05:45`, and
    /// as fine as the anchor's minute needs.
    pub align_us: i64,
}

impl Calendar {
    /// A calendar period of one `unit` in the IANA zone `zone_name`, on the calendar's own
    /// boundaries; `None` for an unknown zone.
    pub fn new(unit: CalendarUnit, zone_name: &str) -> Option<Self> {
        Self::anchored(unit, 1, unit.default_anchor(), zone_name)
    }

    /// A calendar period of `count` `unit`s starting at the local time `anchor` (its
    /// seconds are dropped) in the IANA zone `zone_name`; `None` for an unknown zone or a
    /// count below 1.
    pub fn anchored(
        unit: CalendarUnit,
        count: i64,
        anchor: DateTime,
        zone_name: &str,
    ) -> Option<Self> {
        let zone = TimeZone::get(zone_name).ok()?;
        if count < 1 {
            return None;
        }
        let anchor = anchor.with().second(0).subsec_nanosecond(0).build().ok()?;
        let mut c = Calendar {
            unit,
            count,
            anchor,
            zone_name: zone_name.to_string(),
            zone,
            align_us: HOUR,
        };
        c.align_us = c.alignment();
        Some(c)
    }

    /// Whether the periods start on the calendar's own boundaries (one unit from its
    /// default anchor).
    pub fn is_plain(&self) -> bool {
        self.count == 1 && self.anchor == self.unit.default_anchor()
    }

    /// What reports call the period: `month`, or `2 weeks from 2022-01-01T12:00` when
    /// counted or anchored elsewhere.
    pub fn name(&self) -> String {
        if self.is_plain() {
            return self.unit.name().to_string();
        }
        let unit = match self.count {
            1 => self.unit.name().to_string(),
            n => format!("{n} {}s", self.unit.name()),
        };
        format!("{unit} from {}", self.anchor.strftime("%Y-%m-%dT%H:%M"))
    }

    /// Nominal length, for burn-rate factors.
    pub fn nominal_us(&self) -> i64 {
        self.count.saturating_mul(self.unit.nominal_us())
    }

    /// Longest possible period, for retention.
    pub fn max_us(&self) -> i64 {
        self.count
            .saturating_mul(self.unit.max_us() - HOUR)
            .saturating_add(HOUR)
    }

    fn alignment(&self) -> i64 {
        let mut starts = Vec::new();
        let (mut t, stop) = (0, 4_102_444_800 * crate::time::SECOND); // 1970 .. 2100
        let mut k = self.index_of(t);
        while t < stop {
            t = self.start(k);
            starts.push(t);
            k += 1;
        }
        TIER_WIDTHS
            .iter()
            .rev()
            .copied()
            .find(|&w| starts.iter().all(|s| s.rem_euclid(w) == 0))
            .unwrap_or(TIER_WIDTHS[0])
    }

    /// The start of period `k` (period 0 starts at the anchor), µs since the epoch.
    fn start(&self, k: i64) -> i64 {
        let (days, months) = self.unit.steps();
        let n = k.saturating_mul(self.count);
        let span = jiff::Span::new()
            .try_days(days.saturating_mul(n))
            .and_then(|s| s.try_months(months.saturating_mul(n)));
        span.ok()
            .and_then(|span| self.anchor.checked_add(span).ok())
            .and_then(|local| local.to_zoned(self.zone.clone()).ok())
            .map_or(if k < 0 { i64::MIN / 2 } else { i64::MAX / 2 }, |z| {
                z.timestamp().as_microsecond()
            })
    }

    /// The index of the period holding `t_us`: estimated from the local date, then moved
    /// until its start is at or before `t_us` and the next one's after.
    fn index_of(&self, t_us: i64) -> i64 {
        let ts = Timestamp::from_microsecond(t_us).unwrap_or(Timestamp::UNIX_EPOCH);
        let local = ts.to_zoned(self.zone.clone()).datetime();
        let (days, months) = self.unit.steps();
        let elapsed = if days > 0 {
            let (a, b) = (self.anchor.date(), local.date());
            b.since(a).map_or(0, |s| i64::from(s.get_days())) / days
        } else {
            let of = |d: DateTime| i64::from(d.year()) * 12 + i64::from(d.month());
            (of(local) - of(self.anchor)) / months
        };
        let mut k = elapsed.div_euclid(self.count);
        while self.start(k) > t_us {
            k -= 1;
        }
        while self.start(k + 1) <= t_us {
            k += 1;
        }
        k
    }

    /// Start of the period containing `t_us`, µs since the epoch.
    pub fn start_of(&self, t_us: i64) -> i64 {
        self.start(self.index_of(t_us))
    }

    /// Start of the period after the one containing `t_us`.
    pub fn next_start(&self, t_us: i64) -> i64 {
        self.start(self.index_of(t_us) + 1)
    }
}

/// How the error budget is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Budgeting {
    /// Good events / events (the default).
    #[default]
    Occurrences,
    /// Good slices / slices with data; a slice is good when good/total ≥ `target`.
    Timeslices {
        /// Slice width, µs (divides one hour, or whole hours).
        slice_us: i64,
        /// Ratio a slice must reach to be good.
        target: Ppb,
    },
    /// Mean of the slices' good/total over slices with data.
    RatioTimeslices {
        /// Slice width, µs (divides one hour, or whole hours).
        slice_us: i64,
    },
}

impl Budgeting {
    /// `occurrences`, `timeslices` or `ratio_timeslices`.
    pub fn name(self) -> &'static str {
        match self {
            Budgeting::Occurrences => "occurrences",
            Budgeting::Timeslices { .. } => "timeslices",
            Budgeting::RatioTimeslices { .. } => "ratio_timeslices",
        }
    }

    /// The slice width of the timeslice methods.
    pub fn slice_us(self) -> Option<i64> {
        match self {
            Budgeting::Occurrences => None,
            Budgeting::Timeslices { slice_us, .. } | Budgeting::RatioTimeslices { slice_us } => {
                Some(slice_us)
            }
        }
    }
}

/// Slices judged over a budget interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SliceSummary {
    /// Complete slices in the interval.
    pub slices: u64,
    /// Slices with at least one event.
    pub with_data: u64,
    /// Good slices (Timeslices).
    pub good: u64,
    /// Sum of the slices' ratios in parts per billion (RatioTimeslices), each truncated.
    pub ratio_sum_ppb: u128,
}

impl SliceSummary {
    /// Judges per-slice counts under `budgeting`.
    pub fn judge(slices: &[Counts], budgeting: Budgeting) -> Self {
        let mut s = SliceSummary {
            slices: slices.len() as u64,
            ..Self::default()
        };
        for c in slices.iter().filter(|c| c.total > 0) {
            s.with_data += 1;
            let (good, total) = (u128::from(c.good), u128::from(c.total));
            if let Budgeting::Timeslices { target, .. } = budgeting {
                // good / total ≥ target ⇔ good · ONE ≥ target · total
                s.good += u64::from(good * u128::from(ONE) >= u128::from(target.0) * total);
            }
            s.ratio_sum_ppb += good * u128::from(ONE) / total;
        }
        s
    }

    /// The budget's unit counts: for Timeslices good slices of slices with data; for
    /// RatioTimeslices the ratio sum against `with_data × 10⁹` (exact in integers).
    pub fn as_counts(&self, budgeting: Budgeting) -> Counts {
        match budgeting {
            Budgeting::RatioTimeslices { .. } => Counts {
                good: u64::try_from(self.ratio_sum_ppb).unwrap_or(u64::MAX),
                total: self.with_data * ONE,
            },
            _ => Counts {
                good: self.good,
                total: self.with_data,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{MINUTE, epoch_us};

    fn utc(y: i64, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        epoch_us(y, mo, d, h, mi, 0, 0).unwrap()
    }

    #[test]
    fn calendar_starts_in_named_zones() {
        let berlin = Calendar::new(CalendarUnit::Month, "Europe/Berlin").unwrap();
        assert_eq!(berlin.align_us, HOUR);
        let t = utc(2026, 3, 31, 12, 0);
        assert_eq!(berlin.start_of(t), utc(2026, 2, 28, 23, 0));
        // March 2026 in Berlin has 743 hours (DST starts on the 29th).
        assert_eq!(berlin.next_start(t) - berlin.start_of(t), 743 * HOUR);
        let week = Calendar::new(CalendarUnit::Week, "UTC").unwrap();
        // 2026-11-20 is a Friday; its ISO week starts Monday the 16th.
        assert_eq!(
            week.start_of(utc(2026, 11, 20, 12, 0)),
            utc(2026, 11, 16, 0, 0)
        );
        let q = Calendar::new(CalendarUnit::Quarter, "America/New_York").unwrap();
        assert_eq!(q.start_of(utc(2026, 11, 20, 12, 0)), utc(2026, 10, 1, 4, 0));
        let kolkata = Calendar::new(CalendarUnit::Month, "Asia/Kolkata").unwrap();
        assert_eq!(kolkata.align_us, 10 * MINUTE);
        assert_eq!(
            kolkata.start_of(utc(2026, 11, 20, 12, 0)),
            utc(2026, 10, 31, 18, 30)
        );
        let kathmandu = Calendar::new(CalendarUnit::Week, "Asia/Kathmandu").unwrap();
        assert_eq!(kathmandu.align_us, MINUTE);
        assert!(Calendar::new(CalendarUnit::Week, "Mars/Olympus").is_none());
    }

    fn local(y: i16, mo: i8, d: i8, h: i8, mi: i8) -> DateTime {
        DateTime::new(y, mo, d, h, mi, 0, 0).unwrap()
    }

    #[test]
    fn periods_anchored_anywhere_keep_the_calendar() {
        // A week from a Saturday noon in New York: the one holding the end of DST
        // (2026-11-01 02:00 EDT → 01:00 EST) is an hour longer.
        let ny = Calendar::anchored(
            CalendarUnit::Week,
            1,
            local(2026, 10, 24, 12, 0),
            "America/New_York",
        )
        .unwrap();
        assert_eq!(ny.align_us, HOUR);
        let t = utc(2026, 11, 3, 9, 0);
        assert_eq!(ny.start_of(t), utc(2026, 10, 31, 16, 0));
        assert_eq!(ny.next_start(t), utc(2026, 11, 7, 17, 0));
        assert_eq!(
            ny.start_of(utc(2026, 10, 31, 16, 0)),
            utc(2026, 10, 31, 16, 0)
        );
        assert_eq!(
            ny.start_of(utc(2026, 10, 31, 16, 0) - 1),
            utc(2026, 10, 24, 16, 0)
        );
        assert_eq!(ny.name(), "week from 2026-10-24T12:00");
        // Months from January 31st: the days a month lacks clamp to its last day, and each
        // start is counted from the anchor (March is the 31st again).
        let m =
            Calendar::anchored(CalendarUnit::Month, 1, local(2026, 1, 31, 0, 0), "UTC").unwrap();
        assert_eq!(m.start_of(utc(2026, 3, 15, 0, 0)), utc(2026, 2, 28, 0, 0));
        assert_eq!(m.next_start(utc(2026, 3, 15, 0, 0)), utc(2026, 3, 31, 0, 0));
        assert_eq!(m.next_start(utc(2026, 4, 1, 0, 0)), utc(2026, 4, 30, 0, 0));
        assert_eq!(m.start_of(utc(2024, 3, 1, 0, 0)), utc(2024, 2, 29, 0, 0));
        // Two weeks from the go-sdk's 2022-01-01 12:00, before and after the anchor.
        let two =
            Calendar::anchored(CalendarUnit::Week, 2, local(2022, 1, 1, 12, 0), "UTC").unwrap();
        assert_eq!(
            two.start_of(utc(2022, 1, 20, 0, 0)),
            utc(2022, 1, 15, 12, 0)
        );
        assert_eq!(
            two.start_of(utc(2021, 12, 31, 0, 0)),
            utc(2021, 12, 18, 12, 0)
        );
        assert_eq!(
            (two.nominal_us(), two.name()),
            (14 * DAY, "2 weeks from 2022-01-01T12:00".to_string())
        );
        // Quarters from the spec template's 2020-01-21 12:30: a 30-minute anchor is read
        // from 10-minute buckets, a 12:07 one from minute buckets.
        let q = Calendar::anchored(CalendarUnit::Quarter, 1, local(2020, 1, 21, 12, 30), "UTC")
            .unwrap();
        assert_eq!(q.align_us, 10 * MINUTE);
        assert_eq!(q.start_of(utc(2026, 9, 1, 0, 0)), utc(2026, 7, 21, 12, 30));
        let odd =
            Calendar::anchored(CalendarUnit::Day, 1, local(2020, 1, 1, 12, 7), "UTC").unwrap();
        assert_eq!(odd.align_us, MINUTE);
        assert_eq!(
            odd.start_of(utc(2026, 9, 1, 12, 6)),
            utc(2026, 8, 31, 12, 7)
        );
        // Days and years on their own boundaries.
        let day = Calendar::new(CalendarUnit::Day, "Europe/Berlin").unwrap();
        assert_eq!(
            day.start_of(utc(2026, 7, 1, 12, 0)),
            utc(2026, 6, 30, 22, 0)
        );
        // The day DST starts is 23 hours long.
        assert_eq!(
            day.next_start(utc(2026, 3, 29, 12, 0)) - day.start_of(utc(2026, 3, 29, 12, 0)),
            23 * HOUR
        );
        let year = Calendar::new(CalendarUnit::Year, "UTC").unwrap();
        assert_eq!(year.start_of(utc(2026, 7, 1, 0, 0)), utc(2026, 1, 1, 0, 0));
        assert_eq!(
            (year.name(), year.max_us()),
            ("year".to_string(), 366 * DAY + HOUR)
        );
        assert!(
            Calendar::anchored(CalendarUnit::Week, 0, local(2026, 1, 1, 0, 0), "UTC").is_none()
        );
    }

    #[test]
    fn slices_are_judged_exactly() {
        let c = |good, total| Counts { good, total };
        let t = Budgeting::Timeslices {
            slice_us: MINUTE,
            target: Ppb(950_000_000),
        };
        let s = SliceSummary::judge(&[c(19, 20), c(18, 20), c(0, 0), c(1, 1)], t);
        assert_eq!((s.slices, s.with_data, s.good), (4, 3, 2));
        assert_eq!(s.as_counts(t), c(2, 3));
        let r = Budgeting::RatioTimeslices { slice_us: MINUTE };
        let s = SliceSummary::judge(&[c(1, 3), c(0, 0), c(1, 1)], r);
        assert_eq!(s.ratio_sum_ppb, 333_333_333 + 1_000_000_000);
        assert_eq!(s.as_counts(r), c(1_333_333_333, 2_000_000_000));
    }
}

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
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::exact::{ONE, Ppb};
use crate::time::{DAY, HOUR};
use crate::window::Counts;
use crate::window::ring::TIER_WIDTHS;

/// The calendar unit of a calendar-aligned period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarUnit {
    /// ISO week, Monday 00:00 local time.
    Week,
    /// Calendar month, the 1st 00:00 local time.
    Month,
    /// Quarter: January, April, July, October 1st 00:00 local time.
    Quarter,
}

impl CalendarUnit {
    /// `week`, `month`, `quarter`.
    pub fn name(self) -> &'static str {
        match self {
            CalendarUnit::Week => "week",
            CalendarUnit::Month => "month",
            CalendarUnit::Quarter => "quarter",
        }
    }

    /// The unit named `week`, `month` or `quarter`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "week" => Some(CalendarUnit::Week),
            "month" => Some(CalendarUnit::Month),
            "quarter" => Some(CalendarUnit::Quarter),
            _ => None,
        }
    }

    /// Nominal length (7, 30 or 90 days), for burn-rate factors and `slo:time_period:days`.
    pub fn nominal_us(self) -> i64 {
        match self {
            CalendarUnit::Week => 7 * DAY,
            CalendarUnit::Month => 30 * DAY,
            CalendarUnit::Quarter => 90 * DAY,
        }
    }

    /// Longest possible period (the longest unit plus a one-hour DST change), for retention.
    pub fn max_us(self) -> i64 {
        HOUR + match self {
            CalendarUnit::Week => 7 * DAY,
            CalendarUnit::Month => 31 * DAY,
            CalendarUnit::Quarter => 92 * DAY,
        }
    }
}

/// A calendar-aligned period in a time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// Week, month or quarter.
    pub unit: CalendarUnit,
    /// IANA name, e.g. `Europe/Berlin`.
    pub zone_name: String,
    /// The zone (from the bundled tz database).
    pub zone: TimeZone,
    /// Widest bucket width (a tier width) that divides every period start from 1970 to 2100:
    /// 1 h in zones with whole-hour offsets, 10 min for `+05:30`, 1 min for `+05:45`.
    pub align_us: i64,
}

impl Calendar {
    /// A calendar period of `unit` in the IANA zone `zone_name`; `None` for an unknown zone.
    pub fn new(unit: CalendarUnit, zone_name: &str) -> Option<Self> {
        let zone = TimeZone::get(zone_name).ok()?;
        let mut c = Calendar {
            unit,
            zone_name: zone_name.to_string(),
            zone,
            align_us: HOUR,
        };
        c.align_us = c.alignment();
        Some(c)
    }

    fn alignment(&self) -> i64 {
        let mut starts = Vec::new();
        let (mut t, stop) = (0, 4_102_444_800 * crate::time::SECOND); // 1970 .. 2100
        while t < stop {
            starts.push(self.start_of(t));
            t = self.next_start(t);
        }
        TIER_WIDTHS
            .iter()
            .rev()
            .copied()
            .find(|&w| starts.iter().all(|s| s.rem_euclid(w) == 0))
            .unwrap_or(TIER_WIDTHS[0])
    }

    fn local_first_day(&self, t_us: i64) -> Date {
        let ts = Timestamp::from_microsecond(t_us).unwrap_or(Timestamp::UNIX_EPOCH);
        let d = ts.to_zoned(self.zone.clone()).date();
        let first = |month: i8| Date::new(d.year(), month, 1).unwrap_or(d);
        match self.unit {
            CalendarUnit::Week => d
                .checked_sub(jiff::Span::new().days(d.weekday().to_monday_zero_offset()))
                .unwrap_or(d),
            CalendarUnit::Month => first(d.month()),
            CalendarUnit::Quarter => first((d.month() - 1) / 3 * 3 + 1),
        }
    }

    fn midnight(&self, d: Date) -> i64 {
        // A midnight skipped by a DST gap starts the day at the first instant after it.
        d.to_zoned(self.zone.clone())
            .map(|z| z.timestamp().as_microsecond())
            .unwrap_or(0)
    }

    /// Start of the period containing `t_us`, µs since the epoch.
    pub fn start_of(&self, t_us: i64) -> i64 {
        self.midnight(self.local_first_day(t_us))
    }

    /// Start of the period after the one containing `t_us`.
    pub fn next_start(&self, t_us: i64) -> i64 {
        let first = self.local_first_day(t_us);
        let span = match self.unit {
            CalendarUnit::Week => jiff::Span::new().weeks(1),
            CalendarUnit::Month => jiff::Span::new().months(1),
            CalendarUnit::Quarter => jiff::Span::new().months(3),
        };
        first
            .checked_add(span)
            .map(|d| self.midnight(d))
            .unwrap_or(t_us + self.unit.max_us())
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

use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::time::{DAY, HOUR, MINUTE, SECOND, epoch_us};
use crate::window::{Layout, Retention, SloCounters, window_start};

fn at(y: i64, m: u32, d: u32, h: u32, mi: u32) -> i64 {
    epoch_us(y, m, d, h, mi, 0, 0).unwrap()
}

fn weekly_berlin(count: Option<u32>, until_us: Option<i64>) -> Schedule {
    Schedule::new(
        at(2026, 3, 15, 1, 0), // Sunday 02:00 in Berlin (CET)
        2 * HOUR,
        DayZone::get("Europe/Berlin").unwrap(),
        Some(Repeat {
            every_days: 7,
            count,
            until_us,
        }),
    )
}

#[test]
fn a_weekly_window_keeps_its_local_time_across_dst() {
    let s = weekly_berlin(None, None);
    // 2026-03-29 is the day clocks go forward: 02:00 local does not exist, so the start
    // is the first instant after the gap, 03:00 CEST = 01:00 UTC; a week later 02:00 CEST
    // is 00:00 UTC.
    assert_eq!(s.start_of(0), at(2026, 3, 15, 1, 0));
    assert_eq!(s.start_of(1), at(2026, 3, 22, 1, 0));
    assert_eq!(s.start_of(2), at(2026, 3, 29, 1, 0));
    assert_eq!(s.start_of(3), at(2026, 4, 5, 0, 0));
    let (inside, lo, hi) = s.status(at(2026, 4, 5, 1, 59));
    assert_eq!(inside, Some((at(2026, 4, 5, 0, 0), at(2026, 4, 5, 2, 0))));
    assert_eq!((lo, hi), (at(2026, 4, 5, 0, 0), at(2026, 4, 5, 2, 0)));
    // Between two occurrences: outside until the next starts.
    let (inside, lo, hi) = s.status(at(2026, 4, 8, 12, 0));
    assert_eq!(inside, None);
    assert_eq!((lo, hi), (at(2026, 4, 5, 2, 0), at(2026, 4, 12, 0, 0)));
    // Before the first.
    assert_eq!(
        s.status(at(2026, 3, 1, 0, 0)),
        (None, i64::MIN, at(2026, 3, 15, 1, 0))
    );
    assert_eq!(
        s.occurrences(at(2026, 3, 20, 0, 0), at(2026, 4, 6, 0, 0), 10),
        vec![
            (at(2026, 3, 22, 1, 0), at(2026, 3, 22, 3, 0)),
            (at(2026, 3, 29, 1, 0), at(2026, 3, 29, 3, 0)),
            (at(2026, 4, 5, 0, 0), at(2026, 4, 5, 2, 0)),
        ]
    );
}

#[test]
fn a_count_or_a_last_start_ends_the_repeat() {
    for s in [
        weekly_berlin(Some(2), None),
        weekly_berlin(None, Some(at(2026, 3, 22, 1, 0))),
    ] {
        assert!(s.status(at(2026, 3, 22, 2, 0)).0.is_some());
        let (inside, lo, hi) = s.status(at(2026, 3, 29, 1, 30));
        assert_eq!(inside, None);
        assert_eq!((lo, hi), (at(2026, 3, 22, 3, 0), i64::MAX));
        assert_eq!(s.occurrences(0, i64::MAX, 10).len(), 2);
    }
    let once = Schedule::once(10 * HOUR, HOUR);
    assert_eq!(once.status(10 * HOUR).0, Some((10 * HOUR, 11 * HOUR)));
    assert_eq!(once.status(11 * HOUR), (None, 11 * HOUR, i64::MAX));
    assert_ne!(
        weekly_berlin(Some(2), None).definition(),
        weekly_berlin(Some(3), None).definition()
    );
}

#[test]
fn ranges_coalesce_and_intersect() {
    let mut r = Vec::new();
    add_range(&mut r, 10, 20);
    add_range(&mut r, 30, 40);
    add_range(&mut r, 20, 25);
    add_range(&mut r, 5, 5);
    assert_eq!(r, vec![(10, 25), (30, 40)]);
    assert_eq!(
        intersect(&r, &[(0, 12), (24, 35)]),
        vec![(10, 12), (24, 25), (30, 35)]
    );
}

fn adjustment(mode: Mode, start: i64, len: i64) -> Arc<Adjustment> {
    Arc::new(Adjustment {
        name: "maintenance".into(),
        description: String::new(),
        mode,
        schedule: Schedule::once(start, len),
    })
}

fn layout(adjustments: Vec<Arc<Adjustment>>) -> Layout {
    let r = Retention {
        windows_us: vec![MINUTE, 10 * MINUTE, HOUR, 6 * HOUR],
        history: Some(crate::window::HistorySpec {
            days: 3,
            zone: DayZone::get("Europe/Berlin").unwrap(),
        }),
        adjustments: adjustments.into(),
        ..Default::default()
    };
    Layout::for_retention(&r, 5 * SECOND)
}

fn inside(ranges: &[(i64, i64)], t: i64) -> bool {
    ranges.iter().any(|&(a, b)| (a..b).contains(&t))
}

proptest! {
    /// Events counted, then an adjustment loaded and applied to them, then more events:
    /// every window and every day holds exactly the events it would if each event in the
    /// ranges reported (counted before) or in the occurrence (counted after) had been
    /// adjusted as it arrived, and nothing else.
    #[test]
    fn windows_and_days_hold_exactly_the_adjusted_events(
        mode in prop::sample::select(Mode::ALL.to_vec()),
        before in prop::collection::vec((0i64..5 * HOUR, any::<bool>()), 1..300),
        after in prop::collection::vec((0i64..HOUR, any::<bool>()), 0..100),
        start_s in 0i64..6 * 3600,
        len_s in 1i64..3 * 3600,
    ) {
        // 21:00 UTC: local midnight in Berlin falls in the middle.
        let base = at(2026, 1, 10, 21, 0);
        let (start, end) = (base + start_s * SECOND, base + (start_s + len_s) * SECOND);
        let mut before: Vec<(i64, bool)> = before.iter().map(|&(o, g)| (base + o, g)).collect();
        before.sort_unstable();
        let mut plain = SloCounters::new(&layout(Vec::new()));
        for &(t, g) in &before {
            plain.add(t, g);
        }
        // A reload: the counts move to counters that hold the adjustment.
        let mut c = SloCounters::new(&layout(vec![adjustment(mode, start, len_s * SECOND)]));
        c.import(&plain.export());
        c.import_history(&plain.export_history());
        let ranges = c.adjust_range(0, start, end);
        for &(a, b) in &ranges {
            prop_assert!(start <= a && b <= end, "{a}..{b} outside {start}..{end}");
        }
        let counted_to = plain.counted_to().unwrap();
        prop_assert!(counted_to >= end || inside(&ranges, counted_to.max(start)));
        let newest = before.last().unwrap().0;
        // Applying it again changes no count.
        let sums = |c: &SloCounters| {
            let end = crate::time::ceil_to(newest + 1, SECOND);
            [MINUTE, 10 * MINUTE, HOUR, 6 * HOUR].map(|w| c.sum(w, end))
        };
        let mut twice = c.clone();
        let again = twice.adjust_range(0, start, end);
        prop_assert!(again.iter().all(|&(a, b)| ranges.iter().any(|&(x, y)| x <= a && b <= y)));
        prop_assert_eq!(sums(&twice), sums(&c));
        // In time order: an event older than a tier keeps is left out of that tier, which
        // the sums below would not know.
        let mut after: Vec<(i64, bool)> = after.iter().map(|&(o, g)| (newest + o, g)).collect();
        after.sort_unstable();
        for &(t, g) in &after {
            c.add(t, g);
        }
        let expected = |from: i64, to: i64| {
            let mut n = Counts::default();
            let old = before.iter().map(|&(t, g)| (t, g, inside(&ranges, t)));
            let new = after.iter().map(|&(t, g)| (t, g, (start..end).contains(&t)));
            for (t, g, adjusted) in old.chain(new) {
                if !(from..to).contains(&t) {
                    continue;
                }
                let one = Counts { good: u64::from(g), total: 1 };
                n += if adjusted { mode.apply(one) } else { one };
            }
            n
        };
        let last = after.last().map_or(newest, |e| e.0.max(newest));
        let end_us = crate::time::ceil_to(last + 1, SECOND);
        for w in [MINUTE, 10 * MINUTE, HOUR, 6 * HOUR] {
            let from = window_start(w, end_us);
            prop_assert_eq!(c.sum(w, end_us), expected(from, end_us), "window {}", w);
        }
        let h = c.history().unwrap();
        for day in h.oldest_day().unwrap()..=h.newest_day().unwrap() {
            let zone = h.zone();
            let (a, b) = (zone.start_of_day(day), zone.start_of_day(day + 1));
            prop_assert_eq!(h.day(day), expected(a, b), "day {}", day);
        }
        let counted_apart = c.adjusting().unwrap().applied()[0].events;
        let all = before.iter().map(|&(t, g)| (t, g, inside(&ranges, t)))
            .chain(after.iter().map(|&(t, g)| (t, g, (start..end).contains(&t))))
            .filter(|e| e.2)
            .fold(Counts::default(), |mut n, (_, g, _)| {
                n += Counts { good: u64::from(g), total: 1 };
                n
            });
        prop_assert_eq!(counted_apart, all);
    }
}

#[test]
fn a_window_declared_ahead_is_exact_and_one_declared_after_reports_its_width() {
    let base = at(2026, 1, 10, 10, 0);
    let (start, len) = (base + 30 * MINUTE + 7 * SECOND, 20 * MINUTE);
    // Ahead: every event inside is left out, to the second.
    let mut ahead = SloCounters::new(&layout(vec![adjustment(Mode::Exclude, start, len)]));
    for s in 0..2 * 3600 {
        ahead.add(base + s * SECOND, s % 10 != 0);
    }
    let end = base + 2 * HOUR;
    let all = ahead.sum(6 * HOUR, end);
    assert_eq!(all.total, 7200 - 1200);
    assert_eq!(ahead.adjusting().unwrap().applied()[0].events.total, 1200);
    // After: two hours later the 1 s and 10 s tiers have moved on; the window is applied
    // with 1-minute buckets inside it, so 31:00 to 50:00 (19 minutes) is what is left out.
    let mut late = SloCounters::new(&layout(vec![adjustment(Mode::Exclude, start, len)]));
    let mut plain = SloCounters::new(&layout(Vec::new()));
    for s in 0..2 * 3600 {
        plain.add(base + s * SECOND, s % 10 != 0);
    }
    late.import(&plain.export());
    let ranges = late.adjust_range(0, start, start + len);
    assert_eq!(ranges, vec![(base + 31 * MINUTE, base + 50 * MINUTE)]);
    assert_eq!(late.sum(6 * HOUR, end).total, 7200 - 19 * 60);
    assert_eq!(late.adjusting().unwrap().applied()[0].events.total, 19 * 60);
}

#[test]
fn a_window_older_than_every_tier_is_applied_to_whole_days_of_the_history() {
    let base = at(2026, 1, 5, 0, 0);
    let mut plain = SloCounters::new(&layout(Vec::new()));
    // One event a minute for two days, one in five bad; the tiers keep the last 6 hours
    // and a little more, the history three local days.
    for m in 0..2 * 24 * 60 {
        plain.add(base + m * MINUTE, m % 5 != 0);
    }
    // 4 January 23:00 to 6 January 12:00 UTC: local days in Berlin start at 23:00 UTC, so
    // only 5 January (local) lies wholly inside it, 4 January 23:00 to 5 January 23:00 UTC.
    let (start, end) = (base - HOUR, base + DAY + 12 * HOUR);
    let mut c = SloCounters::new(&layout(vec![adjustment(Mode::Exclude, start, end - start)]));
    c.import(&plain.export());
    c.import_history(&plain.export_history());
    let berlin = DayZone::get("Europe/Berlin").unwrap();
    let day = berlin.day_of(base + HOUR);
    let ranges = c.adjust_range(0, start, end);
    assert_eq!(ranges, vec![(base - HOUR, base + DAY - HOUR)]);
    let h = c.history().unwrap();
    assert_eq!(h.day(day), Counts::default());
    assert_eq!(h.day(day + 1), plain.history().unwrap().day(day + 1));
    assert_eq!(
        c.adjusting().unwrap().applied()[0].events,
        plain.history().unwrap().day(day)
    );
}

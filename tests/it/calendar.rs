//! Calendar periods and timeslice budgets against expectations computed here: period starts
//! written out by hand from the calendar (DST changes, a 31-day month, ISO weeks, quarters,
//! a +05:45 zone), counts taken straight from the generated events for the stated
//! `[start, end)`, and slices judged one by one.

use serde_json::Value;

use crate::helpers::{Rng, alb_line, api_slo_config, feed, parse_time, pipeline};
use slipstream::time::{DAY, HOUR, MINUTE, SECOND, epoch_us};

fn utc(y: i64, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    epoch_us(y, mo, d, h, mi, 0, 0).unwrap()
}

/// A pipeline with one service and one availability SLO whose document ends with `period`.
fn config(period: &str) -> String {
    api_slo_config("{name: availability, threshold: 99}", period)
}

/// Events `(time, bad)`: random ones over `[from, to)`, plus every edge given.
fn events(from: i64, to: i64, n: usize, edges: &[i64], seed: u64) -> Vec<(i64, bool)> {
    let mut rng = Rng(seed);
    let mut out: Vec<(i64, bool)> = (0..n)
        .map(|_| {
            let t = from + rng.below((to - from) as u64) as i64;
            (t, rng.below(50) == 0)
        })
        .collect();
    out.extend(edges.iter().map(|&t| (t, true)));
    out
}

/// Feeds the events (shuffled) and an event at `now`, and returns the SLO's report.
fn run(yaml: &str, now: i64, events: &[(i64, bool)]) -> Value {
    let (p, _clock) = pipeline(yaml, now);
    let mut lines: Vec<String> = events
        .iter()
        .map(|&(t, bad)| {
            let status = if bad { 503 } else { 200 };
            alb_line(t, "api.example.com", "/", status, Some((0, 5, 0)))
        })
        .collect();
    lines.push(alb_line(now, "api.example.com", "/", 200, Some((0, 5, 0))));
    let mut rng = Rng(7);
    for i in (1..lines.len()).rev() {
        lines.swap(i, rng.below(i as u64 + 1) as usize);
    }
    feed(&p, 0, &lines, 997);
    let evaluation = p.evaluate();
    assert_eq!(evaluation.partitions[0].stats.too_old, 0, "nothing dropped");
    serde_json::to_value(&evaluation.report).unwrap()["slos"][0].clone()
}

/// (good, total) of the events in `[start, end)`.
fn count(events: &[(i64, bool)], start: i64, end: i64) -> (u64, u64) {
    let inside = events.iter().filter(|(t, _)| (start..end).contains(t));
    inside.fold((0, 0), |(g, n), &(_, bad)| (g + u64::from(!bad), n + 1))
}

/// Checks a calendar occurrence budget: its interval and exact counts.
fn check_calendar(period: &str, now: i64, start: i64, evs: &[(i64, bool)]) {
    let slo = run(&config(period), now, evs);
    let b = &slo["budget"];
    let end = now / SECOND * SECOND;
    assert_eq!(range_of(b), (start, end), "{b}");
    let (good, total) = count(evs, start, end);
    assert!(total > 0);
    assert_eq!(
        (b["good"].as_u64(), b["total"].as_u64()),
        (Some(good), Some(total)),
        "{b}"
    );
    let allowed = 0.01 * total as f64;
    assert!(
        (b["allowed_bad"].as_f64().unwrap() - allowed).abs() < 1e-6,
        "{b}"
    );
    assert_eq!(b["method"], "occurrences");
    assert_eq!(slo["no_data"], false);
}

#[test]
fn a_31_day_month_in_utc() {
    let period = "  compliance: calendar\n  calendar: {unit: month}";
    let now = utc(2026, 1, 31, 23, 59) + 59 * SECOND + 500_000;
    let start = utc(2026, 1, 1, 0, 0);
    let evs = events(start - HOUR, now, 30_000, &[start - 1, start], 1);
    check_calendar(period, now, start, &evs);
}

#[test]
fn berlin_months_with_a_dst_change_have_743_and_745_hours() {
    let period = "  compliance: calendar\n  calendar: {unit: month, time_zone: Europe/Berlin}";
    // March 2026 (DST starts on the 29th): 2026-03-01 00:00 CET = 02-28 23:00 UTC, and
    // 2026-04-01 00:00 CEST = 03-31 22:00 UTC: 743 hours.
    let march = utc(2026, 2, 28, 23, 0);
    let april = utc(2026, 3, 31, 22, 0);
    assert_eq!(april - march, 743 * HOUR);
    let now = april - SECOND;
    let evs = events(
        march - HOUR,
        now,
        30_000,
        &[march - 1, march, april - 2 * SECOND],
        2,
    );
    check_calendar(period, now, march, &evs);
    // The first second of April starts a new, empty-so-far period.
    let slo = run(&config(period), april + SECOND, &evs);
    assert_eq!(parse_time(slo["budget"]["start"].as_str().unwrap()), april);
    assert_eq!(slo["budget"]["total"], 0);
    assert_eq!(slo["no_data"], true);
    assert_eq!(slo["budget"]["remaining_ratio"], 1.0);

    // October 2026 (DST ends on the 25th): 09-30 22:00 UTC to 10-31 23:00 UTC, 745 hours.
    let october = utc(2026, 9, 30, 22, 0);
    let november = utc(2026, 10, 31, 23, 0);
    assert_eq!(november - october, 745 * HOUR);
    let now = november - 1;
    let evs = events(
        october - HOUR,
        now,
        30_000,
        &[october - 1, october, now - 1],
        3,
    );
    check_calendar(period, now, october, &evs);
}

#[test]
fn iso_weeks_start_on_monday_in_the_zone() {
    let period = "  compliance: calendar\n  calendar: {unit: week, time_zone: America/New_York}";
    // Monday 2026-11-23 00:00 EST = 05:00 UTC; now is that Monday 03:00 local.
    let monday = utc(2026, 11, 23, 5, 0);
    let now = utc(2026, 11, 23, 8, 0) + 123;
    let evs = events(monday - 2 * DAY, now, 10_000, &[monday - 1, monday], 4);
    check_calendar(period, now, monday, &evs);
}

#[test]
fn quarters_start_in_january_april_july_october() {
    let period = "  compliance: calendar\n  calendar: {unit: quarter, time_zone: Asia/Tokyo}";
    // 2026-10-01 00:00 JST = 09-30 15:00 UTC.
    let q4 = utc(2026, 9, 30, 15, 0);
    let now = utc(2026, 12, 31, 14, 59);
    let evs = events(q4 - HOUR, now, 40_000, &[q4 - 1, q4], 5);
    check_calendar(period, now, q4, &evs);
}

#[test]
fn a_zone_offset_by_45_minutes_starts_off_the_hour() {
    let period = "  compliance: calendar\n  calendar: {unit: month, time_zone: Asia/Kathmandu}";
    // 2026-11-01 00:00 +05:45 = 10-31 18:15 UTC.
    let start = utc(2026, 10, 31, 18, 15);
    let now = utc(2026, 11, 20, 12, 0) + 999;
    let evs = events(
        start - 2 * HOUR,
        now,
        20_000,
        &[start - 1, start, start + MINUTE - 1],
        6,
    );
    check_calendar(period, now, start, &evs);
}

/// Per-slice (good, total) of complete slices `[start + k·slice, …)` before `end`.
fn slices(events: &[(i64, bool)], start: i64, end: i64, slice: i64) -> Vec<(u64, u64)> {
    let n = ((end - start) / slice) as usize;
    let mut out = vec![(0, 0); n];
    for &(t, bad) in events
        .iter()
        .filter(|(t, _)| *t >= start && *t < start + n as i64 * slice)
    {
        let s = &mut out[((t - start) / slice) as usize];
        s.0 += u64::from(!bad);
        s.1 += 1;
    }
    out
}

/// Checks budget `b`'s slice counts against the complete slices `sl`, a slice being good
/// when good/total ≥ `target` (a fraction); returns (slices with data, good slices), both
/// strictly between none and all, so that the test tells them apart.
fn check_slices(b: &Value, sl: &[(u64, u64)], target: (u64, u64)) -> (u64, u64) {
    let with_data = sl.iter().filter(|s| s.1 > 0).count() as u64;
    let good = sl
        .iter()
        .filter(|s| s.1 > 0 && s.0 * target.1 >= target.0 * s.1)
        .count() as u64;
    assert!(0 < good && good < with_data && with_data < sl.len() as u64);
    let s = &b["slices"];
    assert_eq!(
        (
            s["complete"].as_u64(),
            s["with_data"].as_u64(),
            s["good"].as_u64()
        ),
        (Some(sl.len() as u64), Some(with_data), Some(good)),
        "{s}"
    );
    (with_data, good)
}

/// The `[start, end)` a report's `budget` (or SLA) counts, µs.
fn range_of(b: &Value) -> (i64, i64) {
    let at = |k: &str| parse_time(b[k].as_str().unwrap());
    (at("start"), at("end"))
}

/// Events with a bad-heavy minute now and then, and some empty slices.
fn sliced_events(from: i64, to: i64, seed: u64) -> Vec<(i64, bool)> {
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    let mut t = from;
    while t < to {
        let minute = t / MINUTE;
        let (per_minute, bad_in) = match minute % 17 {
            0 | 1 => (0, 1), // empty slices
            5 => (20, 3),    // 1 in 3 bad
            9 => (20, 20),   // exactly 95 % good sometimes
            _ => (6, 200),
        };
        for _ in 0..per_minute {
            out.push((t + rng.below(MINUTE as u64) as i64, rng.below(bad_in) == 0));
        }
        t += MINUTE;
    }
    out
}

#[test]
fn timeslices_count_good_minutes_of_minutes_with_data() {
    let period = "  budgeting: {method: timeslices, slice: 1m, slice_target: 0.95}";
    let yaml = config(period).replace("threshold: 99}", "threshold: 99, window: 1d}");
    let now = utc(2026, 11, 20, 12, 0) + 30 * SECOND + 7;
    let evs = sliced_events(now - DAY - HOUR, now, 8);
    let slo = run(&yaml, now, &evs);
    let b = &slo["budget"];
    // Rolling: the period starts at now − 1d rounded up to a slice; only complete slices count.
    let end = now / SECOND * SECOND;
    let start = (end - DAY + MINUTE - 1).div_euclid(MINUTE) * MINUTE;
    let last = end.div_euclid(MINUTE) * MINUTE;
    assert_eq!(range_of(b), (start, last), "{b}");
    let sl = slices(&evs, start, last, MINUTE);
    let (with_data, good) = check_slices(b, &sl, (95, 100));
    assert_eq!(b["unit"], "slices");
    assert_eq!(slo["sli"].as_f64().unwrap(), good as f64 / with_data as f64);
    let allowed = 0.01 * with_data as f64;
    assert!((b["allowed_bad"].as_f64().unwrap() - allowed).abs() < 1e-9);
    let remaining = 1.0 - (with_data - good) as f64 / allowed;
    assert!(
        (b["remaining_ratio"].as_f64().unwrap() - remaining).abs() < 1e-9,
        "{b}"
    );
    let (g, n) = count(&evs, start, last);
    assert_eq!(
        (b["good"].as_u64(), b["total"].as_u64()),
        (Some(g), Some(n))
    );
}

#[test]
fn ratio_timeslices_average_the_slices_of_a_calendar_week() {
    let period = "  compliance: calendar\n  calendar: {unit: week, time_zone: Asia/Kolkata}\n  budgeting: {method: ratio_timeslices, slice: 5m}";
    // Monday 2026-11-16 00:00 +05:30 = 11-15 18:30 UTC.
    let start = utc(2026, 11, 15, 18, 30);
    let now = utc(2026, 11, 20, 12, 2) + 17;
    let evs = sliced_events(start - HOUR, now, 9);
    let slo = run(&config(period), now, &evs);
    let b = &slo["budget"];
    let last = start + (now / SECOND * SECOND - start) / (5 * MINUTE) * (5 * MINUTE);
    assert_eq!(range_of(b), (start, last), "{b}");
    let sl = slices(&evs, start, last, 5 * MINUTE);
    let data: Vec<(u64, u64)> = sl.into_iter().filter(|s| s.1 > 0).collect();
    // Each ratio truncated to parts per billion, as documented.
    let sum: u64 = data.iter().map(|&(g, n)| g * 1_000_000_000 / n).sum();
    let mean = sum as f64 / (data.len() as f64 * 1e9);
    assert_eq!(b["slices"]["with_data"].as_u64(), Some(data.len() as u64));
    assert!((slo["sli"].as_f64().unwrap() - mean).abs() < 1e-12, "{slo}");
    let shortfall = data.len() as f64 - sum as f64 / 1e9;
    assert!((b["slices"]["bad"].as_f64().unwrap() - shortfall).abs() < 1e-6);
    let remaining = 1.0 - shortfall / (0.01 * data.len() as f64);
    assert!(
        (b["remaining_ratio"].as_f64().unwrap() - remaining).abs() < 1e-9,
        "{b}"
    );
    assert_eq!(b["calendar"], "week Asia/Kolkata");
    assert_eq!(b["method"], "ratio_timeslices");
}

/// Events per slice of `slice` over `[from, to)`: some slices empty, some a fifth bad, some
/// exactly a tenth bad, most nearly all good.
fn events_per_slice(from: i64, to: i64, slice: i64, seed: u64) -> Vec<(i64, bool)> {
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    let mut start = from.div_euclid(slice) * slice;
    while start < to {
        let (n, bad) = match start.div_euclid(slice) % 7 {
            0 => (0, 0),
            1 => (30, 6),
            2 => (30, 3),
            _ => (12, rng.below(2) as usize),
        };
        for i in 0..n {
            let t = start + rng.below(slice as u64) as i64;
            if (from..to).contains(&t) {
                out.push((t, i < bad));
            }
        }
        start += slice;
    }
    out
}

/// Slices of whole hours (the spec shows `2h` and `1d`): a rolling week judged in 2-hour
/// slices, aligned to multiples of two hours since the epoch.
#[test]
fn two_hour_timeslices_judge_a_rolling_week() {
    let period = "  budgeting: {method: timeslices, slice: 2h, slice_target: 0.9}";
    let yaml = config(period).replace("threshold: 99}", "threshold: 99, window: 7d}");
    let now = utc(2026, 11, 20, 13, 7) + 30 * SECOND;
    let slice = 2 * HOUR;
    let evs = events_per_slice(now - 8 * DAY, now, slice, 21);
    let slo = run(&yaml, now, &evs);
    let b = &slo["budget"];
    let end = now / SECOND * SECOND;
    let start = (end - 7 * DAY).div_euclid(slice) * slice + slice;
    let last = end.div_euclid(slice) * slice;
    assert_eq!(range_of(b), (start, last), "{b}");
    let sl = slices(&evs, start, last, slice);
    assert_eq!(sl.len(), 83);
    let (with_data, good) = check_slices(b, &sl, (9, 10));
    assert_eq!(b["slices"]["slice"], "2h");
    assert_eq!(slo["sli"].as_f64().unwrap(), good as f64 / with_data as f64);
}

/// One-day ratio timeslices of a calendar month in New York, across the end of daylight
/// saving time (2026-11-01 02:00 EDT → 01:00 EST): slices are 24 hours from the period's
/// start, so after the change each runs from 23:00 to 23:00 local time.
#[test]
fn one_day_ratio_timeslices_of_a_month_cross_a_dst_change() {
    let period = "  compliance: calendar\n  calendar: {unit: month, time_zone: America/New_York}\n  budgeting: {method: ratio_timeslices, slice: 1d}";
    // November 1st, 00:00 EDT (UTC−4).
    let start = utc(2026, 11, 1, 4, 0);
    let now = utc(2026, 11, 20, 12, 2) + 17;
    let evs = events_per_slice(start - DAY, now, HOUR, 22);
    let slo = run(&config(period), now, &evs);
    let b = &slo["budget"];
    let last = start + (now / SECOND * SECOND - start) / DAY * DAY;
    assert_eq!(range_of(b), (start, last), "{b}");
    // The slice that ends on November 2nd ends at 23:00 EST on November 1st.
    assert_eq!(start + DAY, utc(2026, 11, 2, 4, 0));
    let sl = slices(&evs, start, last, DAY);
    assert_eq!(sl.len(), 19);
    let data: Vec<(u64, u64)> = sl.into_iter().filter(|s| s.1 > 0).collect();
    let sum: u64 = data.iter().map(|&(g, n)| g * 1_000_000_000 / n).sum();
    let mean = sum as f64 / (data.len() as f64 * 1e9);
    assert_eq!(b["slices"]["with_data"].as_u64(), Some(data.len() as u64));
    assert!((slo["sli"].as_f64().unwrap() - mean).abs() < 1e-12, "{slo}");
    assert_eq!(b["calendar"], "month America/New_York");
    assert_eq!(b["method"], "ratio_timeslices");
}

/// An OpenSLO weekly SLO anchored at a Saturday noon in `America/New_York` (the spec allows
/// any `startTime`), the week holding the end of DST (2026-11-01 02:00 EDT → 01:00 EST):
/// it runs from Saturday 12:00 EDT to Saturday 12:00 EST, 169 hours, and its budget is the
/// count of the events in exactly that interval so far, taken here from the events.
#[test]
fn a_week_anchored_at_saturday_noon_in_new_york_crosses_the_end_of_dst() {
    let yaml = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: api}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services: [{name: api, match: {host: api.example.com}}]
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: weekly}
spec:
  service: api
  indicator:
    metadata: {name: ok}
    spec:
      ratioMetric:
        good: {metricSource: {type: slipstream}}
        total: {metricSource: {type: slipstream}}
  timeWindow:
    - duration: 1w
      isRolling: false
      calendar: {startTime: "2022-01-01 12:00:00", timeZone: America/New_York}
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
"#;
    // 2022-01-01 was a Saturday; so is 2026-10-31. 12:00 EDT = 16:00 UTC, 12:00 EST = 17:00.
    let start = utc(2026, 10, 31, 16, 0);
    let end_of_week = utc(2026, 11, 7, 17, 0);
    assert_eq!(end_of_week - start, 169 * HOUR);
    let now = end_of_week - 30 * MINUTE;
    // Both 01:30s of November 1st (05:30 UTC, EDT, and 06:30 UTC, EST) are in the week.
    let edges = [
        start - 1,
        start,
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 1, 6, 30),
        now - 1,
    ];
    let evs = events(start - 2 * DAY, now, 20_000, &edges, 31);
    let slo = run(yaml, now, &evs);
    let b = &slo["budget"];
    let end = now / SECOND * SECOND;
    assert_eq!(range_of(b), (start, end), "{b}");
    let (good, total) = count(&evs, start, end);
    assert!(total > 0 && good < total);
    assert_eq!(
        (b["good"].as_u64(), b["total"].as_u64()),
        (Some(good), Some(total)),
        "{b}"
    );
    let allowed = 0.01 * total as f64;
    assert!(
        (b["allowed_bad"].as_f64().unwrap() - allowed).abs() < 1e-6,
        "{b}"
    );
    let remaining = 1.0 - (total - good) as f64 / allowed;
    assert!(
        (b["remaining_ratio"].as_f64().unwrap() - remaining).abs() < 1e-9,
        "{b}"
    );
    assert_eq!(slo["period"], "week from 2022-01-01T12:00");
}

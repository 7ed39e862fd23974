//! Period reports against expectations computed here: local midnights written out by hand
//! from the zone's rules (Berlin's DST change on 2026-03-29 at 01:00 UTC), counts taken
//! straight from the generated events for each stated `[start, end)`, the worst day found
//! by counting every local day, and the history's limits.

use serde_json::Value;

use crate::helpers::{Rng, alb_line, api_lines, api_slo_config, feed, parse_time, pipeline};
use slipstream::evaluate::reports::{ReportPeriod, reports};
use slipstream::serve::read::ReadSide;
use slipstream::time::{DAY, HOUR, MINUTE, epoch_us};

fn utc(y: i64, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    epoch_us(y, mo, d, h, mi, 0, 0).unwrap()
}

/// Local midnight in Berlin of `y-m-d` (2026): CET (UTC+1) before 2026-03-29, CEST (UTC+2)
/// from then until 2026-10-25.
fn berlin(m: u32, d: u32) -> i64 {
    let summer = (m, d) >= (3, 29) && (m, d) < (10, 25);
    utc(2026, m, d, 0, 0) - if summer { 2 * HOUR } else { HOUR }
}

/// `n` random events `(time, bad)` over `[from, to)`, about one in `one_bad_in` bad, plus
/// a bad event on each side of every edge.
fn events(
    from: i64,
    to: i64,
    n: usize,
    one_bad_in: u64,
    edges: &[i64],
    seed: u64,
) -> Vec<(i64, bool)> {
    let mut rng = Rng(seed);
    let mut out: Vec<(i64, bool)> = (0..n)
        .map(|_| {
            let t = from + rng.below((to - from) as u64) as i64;
            (t, rng.below(one_bad_in) == 0)
        })
        .collect();
    out.extend(edges.iter().flat_map(|&t| [(t - 1, true), (t, true)]));
    out
}

/// The periods report of a pipeline for `yaml` fed `events` (shuffled) and one event at
/// `now`, as JSON.
fn report(
    yaml: &str,
    now: i64,
    events: &[(i64, bool)],
    period: ReportPeriod,
    count: usize,
) -> Value {
    let (p, _clock) = pipeline(yaml, now);
    let mut lines = api_lines(events, now);
    let mut rng = Rng(11);
    for i in (1..lines.len()).rev() {
        lines.swap(i, rng.below(i as u64 + 1) as usize);
    }
    feed(&p, 0, &lines, 500);
    let view = p.view();
    let r = reports(&view.objectives, &view.store, now, period, count, |_, _| {
        true
    })
    .unwrap();
    serde_json::to_value(r).unwrap()
}

/// (good, total) of the events in `[start, end)`.
fn count(events: &[(i64, bool)], start: i64, end: i64) -> (u64, u64) {
    let inside = events.iter().filter(|(t, _)| (start..end).contains(t));
    inside.fold((0, 0), |(g, n), &(_, bad)| (g + u64::from(!bad), n + 1))
}

/// Checks one row: bounds, exact counts, SLI, met, budget consumed and downtime at `objective`.
fn check_row(
    row: &Value,
    events: &[(i64, bool)],
    start: i64,
    end: i64,
    complete: bool,
    objective: f64,
) {
    assert_eq!(parse_time(row["start"].as_str().unwrap()), start, "{row}");
    assert_eq!(parse_time(row["end"].as_str().unwrap()), end, "{row}");
    assert_eq!(row["complete"], complete, "{row}");
    let (good, total) = count(events, start, end);
    assert!(total > 0);
    let bad = total - good;
    assert_eq!(
        (
            row["good"].as_u64(),
            row["bad"].as_u64(),
            row["total"].as_u64()
        ),
        (Some(good), Some(bad), Some(total)),
        "{row}"
    );
    let sli = good as f64 / total as f64;
    assert!((row["sli"].as_f64().unwrap() - sli).abs() < 1e-12);
    // Met exactly when bad ≤ (1 − objective) × total; the test's objective is a whole percent.
    let allowed_pct = ((1.0 - objective) * 100.0).round() as u64;
    assert_eq!(row["met"], bad * 100 <= allowed_pct * total, "{row}");
    let consumed = bad as f64 / ((1.0 - objective) * total as f64);
    assert!(
        (row["budget_consumed_ratio"].as_f64().unwrap() - consumed).abs() < 1e-9,
        "{row}"
    );
    let minutes = (end - start) as f64 / MINUTE as f64;
    let downtime = bad as f64 / total as f64 * minutes;
    assert!(
        (row["downtime_equivalent_minutes"].as_f64().unwrap() - downtime).abs() < 1e-6,
        "{row}"
    );
}

#[test]
fn berlin_months_across_a_dst_change_are_exact_and_the_running_month_ends_yesterday() {
    let yaml = api_slo_config(
        "{name: availability, threshold: 99}",
        "  compliance: calendar\n  calendar: {unit: month, time_zone: Europe/Berlin}",
    );
    let (feb, mar, apr, may) = (berlin(2, 1), berlin(3, 1), berlin(4, 1), berlin(5, 1));
    assert_eq!(apr - mar, 743 * HOUR);
    // Now: 2026-04-10 12:00 UTC (14:00 in Berlin); April is reported through April 9th.
    let now = utc(2026, 4, 10, 12, 0);
    let apr10 = berlin(4, 10);
    let evs = events(feb - 3 * DAY, now, 40_000, 60, &[feb, mar, apr, apr10], 5);
    let r = report(&yaml, now, &evs, ReportPeriod::Month, 3);
    assert_eq!(r["period"], "month");
    assert_eq!(r["history_days"], 400);
    let slo = &r["slos"][0];
    assert_eq!(slo["time_zone"], "Europe/Berlin");
    assert_eq!(slo["budgeting"], "occurrences");
    let rows = slo["periods"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{slo}");
    check_row(&rows[0], &evs, feb, mar, true, 0.99);
    check_row(&rows[1], &evs, mar, apr, true, 0.99);
    check_row(&rows[2], &evs, apr, apr10, false, 0.99);
    assert_eq!(
        (rows[1]["first_day"].as_str(), rows[1]["last_day"].as_str()),
        (Some("2026-03-01"), Some("2026-03-31"))
    );
    assert_eq!(rows[2]["last_day"], "2026-04-09");
    assert!(may > now);
    // The worst day of March, from every local day counted here.
    let mut worst: Option<(u32, u64, u64)> = None;
    for d in 1..=31 {
        let end = if d == 31 { apr } else { berlin(3, d + 1) };
        let (good, total) = count(&evs, berlin(3, d), end);
        let lower = worst.is_none_or(|(_, g, t)| {
            u128::from(good) * u128::from(t) < u128::from(g) * u128::from(total)
        });
        if total > 0 && lower {
            worst = Some((d, good, total));
        }
    }
    let (d, good, total) = worst.unwrap();
    let w = &rows[1]["worst_day"];
    assert_eq!(w["date"], format!("2026-03-{d:02}"), "{w}");
    assert_eq!(
        (w["good"].as_u64(), w["total"].as_u64()),
        (Some(good), Some(total))
    );
}

#[test]
fn iso_weeks_and_days_in_utc_for_a_rolling_slo() {
    let yaml = api_slo_config("{name: availability, threshold: 99, window: 30d}", "");
    // Wednesday 2026-11-25 08:00 UTC: this week (from Monday the 23rd) is reported through
    // Tuesday the 24th; the two weeks before are whole.
    let now = utc(2026, 11, 25, 8, 0);
    let monday = utc(2026, 11, 23, 0, 0);
    let evs = events(
        monday - 16 * DAY,
        now,
        20_000,
        40,
        &[monday, monday - 7 * DAY],
        9,
    );
    let r = report(&yaml, now, &evs, ReportPeriod::Week, 3);
    let slo = &r["slos"][0];
    assert_eq!(slo["time_zone"], "UTC");
    let rows = slo["periods"].as_array().unwrap();
    check_row(
        &rows[0],
        &evs,
        monday - 14 * DAY,
        monday - 7 * DAY,
        true,
        0.99,
    );
    check_row(&rows[1], &evs, monday - 7 * DAY, monday, true, 0.99);
    check_row(&rows[2], &evs, monday, monday + 2 * DAY, false, 0.99);
    assert_eq!(rows[0]["first_day"], "2026-11-09");
    let r = report(&yaml, now, &evs, ReportPeriod::Day, 2);
    let rows = r["slos"][0]["periods"].as_array().unwrap();
    check_row(&rows[0], &evs, monday, monday + DAY, true, 0.99);
    check_row(&rows[1], &evs, monday + DAY, monday + 2 * DAY, true, 0.99);
}

#[test]
fn history_keeps_old_days_past_the_windows_and_lists_only_whole_periods_it_holds() {
    // A 1-day SLO with 10 days of history: events from 9 days ago are too old for every
    // window but still count in their day; weeks are listed while their Monday is kept.
    let yaml = api_slo_config("{name: availability, threshold: 90, window: 1d}", "").replace(
        "  decode: {format: alb}",
        "  decode: {format: alb}\n  window: {history: 10d}",
    );
    let now = utc(2026, 11, 25, 8, 0); // a Wednesday
    let evs = events(utc(2026, 11, 16, 0, 0), now, 5_000, 5, &[], 3);
    let r = report(&yaml, now, &evs, ReportPeriod::Day, 20);
    let slo = &r["slos"][0];
    // Kept: the 10 days up to today (the 25th): from the 16th; whole days up to the 24th.
    assert_eq!(slo["history_from"], "2026-11-16");
    let rows = slo["periods"].as_array().unwrap();
    assert_eq!(rows.len(), 9, "{slo}");
    for (i, row) in rows.iter().enumerate() {
        let start = utc(2026, 11, 16, 0, 0) + i as i64 * DAY;
        check_row(row, &evs, start, start + DAY, true, 0.90);
    }
    // The week of Monday the 16th is kept whole, the one before is not.
    let r = report(&yaml, now, &evs, ReportPeriod::Week, 5);
    let rows = r["slos"][0]["periods"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["first_day"], "2026-11-16");
    // History off: no periods, and events past the windows are too old again.
    let off = yaml.replace("history: 10d", "history: 0d");
    let (p, _clock) = pipeline(&off, now);
    let lines = vec![
        alb_line(now, "api.example.com", "/", 200, None),
        alb_line(now - 3 * DAY, "api.example.com", "/", 200, None),
    ];
    feed(&p, 0, &lines, 10);
    let view = p.view();
    let r = reports(
        &view.objectives,
        &view.store,
        now,
        ReportPeriod::Day,
        3,
        |_, _| true,
    )
    .unwrap();
    assert_eq!(r.history_days, 0);
    assert!(r.slos[0].periods.is_empty() && r.slos[0].history_from.is_none());
    assert_eq!(p.evaluate().partitions[0].stats.too_old, 1);
}

#[test]
fn a_report_of_more_than_100_000_rows_is_refused_with_how_to_narrow_it() {
    let mut yaml = String::from(
        "apiVersion: slipstream/v1\nkind: Pipeline\nmetadata: {name: many}\nspec:\n  source: {stdin: {}}\n  decode: {format: alb}\n  window: {history: 2d}\n  services:\n",
    );
    for i in 0..251 {
        yaml += &format!("    - {{name: s{i}, match: {{host: s{i}.example.com}}}}\n");
    }
    for i in 0..251 {
        yaml += &format!(
            "---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {{name: s{i}}}\nspec: {{service: s{i}, indicators: [{{name: availability, threshold: 99, window: 1d}}]}}\n"
        );
    }
    let now = utc(2026, 11, 25, 8, 0);
    let (p, _clock) = pipeline(&yaml, now);
    let view = p.view();
    let e = reports(
        &view.objectives,
        &view.store,
        now,
        ReportPeriod::Day,
        400,
        |_, _| true,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "251 SLOs × 400 periods is more than 100000 rows: ask for fewer periods, or one service or SLO"
    );
    // One service's report is fine.
    let one = reports(
        &view.objectives,
        &view.store,
        now,
        ReportPeriod::Day,
        400,
        |s, _| s == "s7",
    );
    assert_eq!(one.unwrap().slos.len(), 1);
    assert!(
        reports(
            &view.objectives,
            &view.store,
            now,
            ReportPeriod::Day,
            398,
            |_, _| true
        )
        .is_ok()
    );
}

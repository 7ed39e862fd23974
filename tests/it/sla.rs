//! An SLA beside an SLO against counts taken here: its rolling window or calendar month (in
//! another zone than UTC, its start written out by hand), its verdict and margin, and the
//! alert that fires while the SLO's budget is spent but the SLA still holds.

use serde_json::Value;

use crate::helpers::{NOON, api_lines, api_slo_config, feed, parse_time, pipeline};
use slipstream::time::{DAY, MINUTE, epoch_us};

/// A request a minute for 30 days, and 60 bad ones spread over the last 7 days.
fn events() -> Vec<(i64, bool)> {
    let mut evs: Vec<(i64, bool)> = (0..30 * 24 * 60)
        .map(|i| (NOON - 30 * DAY + i * MINUTE + 17_000_000, false))
        .collect();
    evs.extend((0..60).map(|i| (NOON - 7 * DAY + i * 2 * 3600 * 1_000_000 + 5_000_000, true)));
    evs
}

fn slo_report(sla: &str) -> (Value, Vec<(i64, bool)>) {
    let yaml = api_slo_config(
        &format!("{{name: availability, threshold: 99.9, window: 7d, sla: {sla}}}"),
        "",
    );
    let (p, _clock) = pipeline(&yaml, NOON);
    let evs = events();
    let lines = api_lines(&evs, NOON);
    feed(&p, 0, &lines, 1000);
    let r = serde_json::to_value(p.evaluate().report).unwrap();
    (r["slos"][0].clone(), evs)
}

fn count(evs: &[(i64, bool)], from: i64, to: i64) -> (u64, u64) {
    let inside = evs.iter().filter(|e| (from..to).contains(&e.0));
    inside.fold((0, 0), |(g, n), e| (g + u64::from(!e.1), n + 1))
}

fn check(slo: &Value, evs: &[(i64, bool)], start: i64) {
    let sla = &slo["sla"];
    assert_eq!(parse_time(sla["start"].as_str().unwrap()), start, "{sla}");
    assert_eq!(parse_time(sla["end"].as_str().unwrap()), NOON);
    let (good, total) = count(evs, start, NOON);
    assert_eq!(
        (sla["good"].as_u64(), sla["total"].as_u64()),
        (Some(good), Some(total)),
        "{sla}"
    );
    let bad = total - good;
    // Met at 99 %: bad ≤ 1 % of all; the SLO at 99.9 % is spent (60 of 10,080 in 7 days).
    assert_eq!(sla["met"], bad * 100 <= total, "{sla}");
    assert!((sla["margin"].as_f64().unwrap() - 0.009).abs() < 1e-12);
    let remaining = 1.0 - bad as f64 / (0.01 * total as f64);
    assert!((sla["remaining_ratio"].as_f64().unwrap() - remaining).abs() < 1e-9);
    assert_eq!(slo["budget"]["exhausted"], true, "{}", slo["budget"]);
    let alert = slo["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "sla_buffer")
        .unwrap();
    assert_eq!(alert["name"], "sla_buffer_in_use");
    assert_eq!(alert["firing"], sla["met"], "{alert}");
}

#[test]
fn a_rolling_sla_holds_while_the_slo_budget_is_spent() {
    let (slo, evs) = slo_report("{objective: 99, period: 30d}");
    assert_eq!(slo["sla"]["period"], "30d");
    assert_eq!(slo["sla"]["met"], true);
    check(&slo, &evs, NOON - 30 * DAY);
}

#[test]
fn a_calendar_sla_counts_its_month_in_its_zone() {
    let (slo, evs) = slo_report("{objective: 99, period: month, time_zone: Europe/Berlin}");
    assert_eq!(slo["sla"]["period"], "month");
    // November 2026 in Berlin (CET, UTC+1) starts at 2026-10-31 23:00 UTC.
    check(&slo, &evs, epoch_us(2026, 10, 31, 23, 0, 0, 0).unwrap());
}

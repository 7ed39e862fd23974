//! Every window, budget and burn rate equals a count computed straight from the generated
//! input, for the exact `[start, end)` the report states: events in random order (late and
//! out of order), edges of windows, a service with no traffic, malformed and future lines.

use serde_json::Value;

use crate::helpers::{NOON, Rng, Truth, alb_line, feed, parse_time, pipeline};
use slipstream::time::{DAY, HOUR, MINUTE, SECOND};

pub(crate) const CONFIG: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: exact}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  window: {max_future: 5m}
  services:
    - {name: checkout, match: {host: checkout.example.com}}
    - {name: search, match: {host: search.example.com}}
    - {name: idle, match: {host: idle.example.com}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: checkout}
spec:
  service: checkout
  indicators:
    - {name: availability, threshold: 99.9, window: 30d}
    - {name: latency_p99, threshold: "300ms", window: 7d}
    - {name: throughput, threshold: 0.5, window: 5m, type: minimum}
  alert_budgets: [{threshold: 0.5, severity: warning}]
---
apiVersion: reliability/v1
kind: ErrorBudgetPolicy
metadata: {name: checkout-policy}
spec:
  service: checkout
  burn_rate_thresholds:
    - {name: fast_burn, threshold: 10, duration: 1m, action: page_on_call}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: search}
spec:
  service: search
  indicators:
    - {name: error_rate, threshold: 1, window: 1d}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: idle}
spec:
  service: idle
  indicators:
    - {name: availability, threshold: 99.9, window: 30d}
"#;

/// How the test itself judges an event for each SLO: `Some(good)` or `None` (excluded).
pub(crate) fn judge(slo: &str, e: &Truth) -> Option<bool> {
    match slo {
        "availability" | "error_rate" | "throughput" => Some(!e.bad_status()),
        "latency_p99" => match (e.bad_status(), e.latency_us) {
            (true, _) => Some(false),
            (false, Some(l)) => Some(l <= 300_000),
            (false, None) => None,
        },
        other => panic!("unexpected SLO {other}"),
    }
}

#[derive(Default)]
pub(crate) struct Input {
    pub(crate) lines: Vec<String>,
    pub(crate) truth: Vec<(&'static str, Truth)>,
    pub(crate) malformed: u64,
    pub(crate) too_future: u64,
}

pub(crate) fn generate(now: i64, n: usize, seed: u64) -> Input {
    let mut rng = Rng(seed);
    let mut lines = Vec::new();
    let mut truth = Vec::new();
    let (mut malformed, mut too_future) = (0, 0);
    for i in 0..n {
        // Mostly recent traffic, some spread over the whole month and beyond, a few in the
        // future (within and beyond the 5-minute bound), and exact edges.
        let t = match rng.below(20) {
            0..=9 => now - rng.below(2 * HOUR as u64) as i64,
            10..=14 => now - rng.below(3 * DAY as u64) as i64,
            15..=17 => now - rng.below(31 * DAY as u64) as i64,
            18 => now + rng.below(10 * MINUTE as u64) as i64,
            _ => [
                now,
                now - SECOND,
                now - 1,
                now - 5 * MINUTE,
                now - 5 * MINUTE - 1,
                now - 30 * DAY,
                now - 7 * DAY,
            ][i % 7],
        };
        let host = match rng.below(10) {
            0..=5 => "checkout.example.com",
            6..=8 => "search.example.com",
            _ => "unknown.example.com",
        };
        let status = match rng.below(100) {
            0..=2 => 503,
            3 => 504,
            4..=6 => 404,
            7 => 460,
            _ => 200,
        };
        let timings = if status == 504 || rng.below(50) == 0 {
            None
        } else {
            let target = match rng.below(10) {
                0 => 300 + rng.below(200) as u32, // slow, some exactly at the threshold
                _ => rng.below(250) as u32,
            };
            Some((1, target, 1))
        };
        let latency = timings.map(|(a, b, c)| i64::from(a + b + c) * 1000);
        if t > now + 5 * MINUTE {
            too_future += 1;
        } else if host != "unknown.example.com" {
            truth.push((
                if host.starts_with("checkout") {
                    "checkout"
                } else {
                    "search"
                },
                Truth {
                    t_us: t,
                    status,
                    latency_us: latency,
                },
            ));
        }
        lines.push(alb_line(t, host, "/api/cart", status, timings));
        if rng.below(97) == 0 {
            malformed += 1;
            lines.push(match rng.below(3) {
                0 => "this is not an access log".to_string(),
                1 => String::new(),
                _ => alb_line(t, host, "/x", status, timings)[..60].to_string(),
            });
        }
    }
    Input {
        lines,
        truth,
        malformed,
        too_future,
    }
}

pub(crate) fn check_report(report: &Value, input: &Input, now: i64) {
    let end = parse_time(report["slos"][0]["windows"][0]["end"].as_str().unwrap());
    assert_eq!(
        end,
        now / SECOND * SECOND,
        "windows end at T rounded down to a second"
    );
    for slo in report["slos"].as_array().unwrap() {
        let service = slo["service"].as_str().unwrap();
        let name = slo["slo"].as_str().unwrap();
        let mut period = (0, 0);
        for w in slo["windows"].as_array().unwrap() {
            let start = parse_time(w["start"].as_str().unwrap());
            let end = parse_time(w["end"].as_str().unwrap());
            let len = slipstream::time::parse_duration(w["window"].as_str().unwrap()).unwrap();
            assert!(
                end - start <= len && end - start > len - len / 60 - SECOND,
                "{service}/{name} {w}"
            );
            let (mut good, mut total) = (0u64, 0u64);
            for (_, e) in input
                .truth
                .iter()
                .filter(|(s, e)| *s == service && (start..end).contains(&e.t_us))
            {
                if let Some(g) = judge(name, e) {
                    total += 1;
                    good += u64::from(g);
                }
            }
            assert_eq!(
                (w["good"].as_u64().unwrap(), w["total"].as_u64().unwrap()),
                (good, total),
                "{service}/{name} window {w}"
            );
            if total == 0 {
                assert!(w["sli"].is_null() && w["burn_rate"].is_null(), "{w}");
            } else {
                let sli = good as f64 / total as f64;
                assert!((w["sli"].as_f64().unwrap() - sli).abs() < 1e-12, "{w}");
            }
            if w["window"] == slo["period"] {
                period = (good, total);
            }
        }
        assert_eq!(
            slo["no_data"].as_bool().unwrap(),
            period.1 == 0,
            "{service}/{name}"
        );
        if let Some(objective) = slo["objective"].as_f64() {
            let b = &slo["budget"];
            let (good, total) = period;
            let bad = total - good;
            assert_eq!(
                (
                    b["good"].as_u64().unwrap(),
                    b["total"].as_u64().unwrap(),
                    b["bad"].as_u64().unwrap()
                ),
                (good, total, bad)
            );
            let allowed = (1.0 - objective) * total as f64;
            assert!((b["allowed_bad"].as_f64().unwrap() - allowed).abs() < 1e-6);
            let remaining = if total == 0 {
                1.0
            } else {
                1.0 - bad as f64 / allowed
            };
            assert!(
                (b["remaining_ratio"].as_f64().unwrap() - remaining).abs() < 1e-9,
                "{b}"
            );
            assert_eq!(
                b["exhausted"].as_bool().unwrap(),
                total > 0 && remaining <= 0.0
            );
        }
    }
}

#[test]
fn every_window_matches_an_independent_count() {
    let now = NOON + 123_456; // not on a second boundary
    let input = generate(now, 60_000, 1);
    let (p, _clock) = pipeline(CONFIG, now);
    // Fully shuffled order: late and out-of-order events everywhere.
    let mut lines = input.lines.clone();
    let mut rng = Rng(99);
    for i in (1..lines.len()).rev() {
        lines.swap(i, rng.below(i as u64 + 1) as usize);
    }
    feed(&p, 0, &lines, 1000);
    let evaluation = p.evaluate();
    let report = serde_json::to_value(&evaluation.report).unwrap();
    check_report(&report, &input, now);

    let stats = &evaluation.partitions[0].stats;
    assert_eq!(stats.decode_errors_total(), input.malformed);
    assert_eq!(stats.too_future, input.too_future);
    assert_eq!(stats.lines, input.lines.len() as u64);

    let idle = &report["slos"][4];
    assert_eq!(idle["service"], "idle");
    assert_eq!(idle["no_data"], true);
    assert!(idle["sli"].is_null());
    assert_eq!(idle["budget"]["remaining_ratio"], 1.0);
    assert_eq!(idle["policy"]["tier"], "normal");
    assert!(
        idle["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["firing"] == false)
    );
    assert!(!serde_json::to_string(&report).unwrap().contains("NaN"));
}

#[test]
fn shards_merge_to_the_same_counts_as_one() {
    let now = NOON;
    let input = generate(now, 20_000, 2);
    let (one, _) = pipeline(CONFIG, now);
    feed(&one, 0, &input.lines, 500);
    let (four, _) = pipeline(CONFIG, now);
    for (i, chunk) in input.lines.chunks(input.lines.len() / 4 + 1).enumerate() {
        feed(&four, i as i32, chunk, 333);
    }
    let a = serde_json::to_value(one.evaluate().report).unwrap();
    let b = serde_json::to_value(four.evaluate().report).unwrap();
    assert_eq!(a, b);
    check_report(&a, &input, now);
}

#[test]
fn events_on_window_edges_fall_on_the_right_side() {
    let (p, _) = pipeline(CONFIG, NOON);
    let line = |t| alb_line(t, "checkout.example.com", "/", 200, Some((0, 1, 0)));
    // [NOON-5m, NOON) holds the first two, not the other two.
    feed(
        &p,
        0,
        &[
            line(NOON - 5 * MINUTE),
            line(NOON - 1),
            line(NOON - 5 * MINUTE - 1),
            line(NOON),
        ],
        10,
    );
    let r = serde_json::to_value(p.evaluate().report).unwrap();
    let w5 = r["slos"][0]["windows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["window"] == "5m")
        .unwrap()
        .clone();
    assert_eq!(w5["start"], "2026-11-20T11:55:00Z");
    assert_eq!(w5["end"], "2026-11-20T12:00:00Z");
    assert_eq!(w5["total"], 2);
}

#[test]
fn events_older_than_every_window_and_the_history_are_counted_and_dropped() {
    let (p, _) = pipeline(CONFIG, NOON);
    let line = |t| alb_line(t, "checkout.example.com", "/", 200, Some((0, 1, 0)));
    feed(
        &p,
        0,
        &[
            line(NOON),
            line(NOON - 420 * DAY),
            line(NOON - 40 * DAY),
            line(NOON - 29 * DAY),
        ],
        10,
    );
    let e = p.evaluate();
    // 420 days is past the 400 days of history; 40 days is past every window but kept in
    // its day of the history (see `reports`), so it is not dropped.
    assert_eq!(e.partitions[0].stats.too_old, 1);
    let r = serde_json::to_value(e.report).unwrap();
    // The event at noon is T itself, outside [start, T); the 29-day-old one is inside.
    assert_eq!(r["slos"][0]["budget"]["total"], 1);
}

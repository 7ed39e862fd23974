//! Alert firing in simulated time, against the SRE workbook's conditions computed here from
//! the raw events: a multi-window alert fires when both its windows burn strictly faster than
//! its factor, i.e. bad/total > factor × (1 − objective) in each.

use serde_json::Value;

use crate::helpers::{NOON, Rng, alb_line, feed, parse_time, pipeline};
use slipstream::evaluate::PolicyTier;
use slipstream::time::{HOUR, MINUTE, SECOND};

const CONFIG: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: alerts}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services: [{name: api, match: {host: api.example.com}}]
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: api}
spec:
  service: api
  indicators: [{name: availability, threshold: 99.9, window: 30d}]
  alert_budgets: [{threshold: 0.5, severity: warning}, {threshold: 0.2, severity: critical}]
---
apiVersion: reliability/v1
kind: ErrorBudgetPolicy
metadata: {name: api}
spec:
  service: api
  burn_rate_thresholds:
    - {name: fast_burn, threshold: 10, duration: 1m, action: page_on_call}
    - {name: slow_burn, threshold: 2, duration: 1h, action: create_ticket}
"#;

/// Factor as an exact fraction (numerator, denominator), by alert name.
fn factor(name: &str) -> (u64, u64) {
    match name {
        "page_1h_5m" => (72, 5),
        "page_6h_30m" => (6, 1),
        "ticket_1d_2h" => (3, 1),
        "ticket_3d_6h" => (1, 1),
        "fast_burn" => (10, 1),
        "slow_burn" => (2, 1),
        other => panic!("unexpected alert {other}"),
    }
}

/// Events in time order with a running count of bad ones, for fast exact range counts.
#[derive(Default)]
struct Events {
    times: Vec<i64>,
    bad_before: Vec<u64>,
}

impl Events {
    fn push(&mut self, t: i64, bad: bool) {
        assert!(
            self.times.last().is_none_or(|&l| l <= t),
            "pushed in time order"
        );
        let before = self.bad_before.last().copied().unwrap_or(0);
        self.times.push(t);
        self.bad_before.push(before + u64::from(bad));
    }

    /// (bad, total) with event time in `[start, end)`.
    fn count(&self, start: i64, end: i64) -> (u64, u64) {
        let a = self.times.partition_point(|&t| t < start);
        let b = self.times.partition_point(|&t| t < end);
        let bad_upto = |i: usize| if i == 0 { 0 } else { self.bad_before[i - 1] };
        (bad_upto(b) - bad_upto(a), (b - a) as u64)
    }
}

/// True when bad/total / (1 − 0.999) > num/den, in integers: bad·1000·den > num·total.
fn burns(bad: u64, total: u64, (num, den): (u64, u64)) -> bool {
    total > 0 && bad * 1000 * den > num * total
}

fn window<'a>(slo: &'a Value, label: &str) -> &'a Value {
    slo["windows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["window"] == label)
        .unwrap_or_else(|| panic!("no window {label}"))
}

fn check(slo: &Value, events: &Events) -> Vec<(String, bool)> {
    let mut states = Vec::new();
    for a in slo["alerts"].as_array().unwrap() {
        let name = a["name"].as_str().unwrap();
        let firing = a["firing"].as_bool().unwrap();
        let want = if a["kind"] == "burn_rate" {
            let f = factor(name);
            [
                a["long_window"].as_str().unwrap(),
                a["short_window"].as_str().unwrap(),
            ]
            .iter()
            .all(|label| {
                let w = window(slo, label);
                let (bad, total) = events.count(
                    parse_time(w["start"].as_str().unwrap()),
                    parse_time(w["end"].as_str().unwrap()),
                );
                burns(bad, total, f)
            })
        } else {
            // remaining < x ⇔ bad > (1 − x) · 0.001 · total, for x = 0.5 and 0.2.
            let w = window(slo, "30d");
            let (bad, total) = events.count(
                parse_time(w["start"].as_str().unwrap()),
                parse_time(w["end"].as_str().unwrap()),
            );
            let keep_per_mille = match a["severity"].as_str().unwrap() {
                "warning" => 500,
                "critical" => 800,
                s => panic!("{s}"),
            };
            total > 0 && bad * 1_000_000 > keep_per_mille * total
        };
        assert_eq!(firing, want, "{name} at {}", slo["windows"][0]["end"]);
        states.push((name.to_string(), firing));
    }
    states
}

#[test]
fn alerts_follow_the_workbook_minute_by_minute() {
    // Eight simulated hours at 20 req/s: a 0.05 % baseline, a 40-minute incident at 3 %
    // errors from 2 h, and a sharp 3-minute outage at 60 % from 5 h.
    let start = NOON - 8 * HOUR;
    let (p, clock) = pipeline(CONFIG, start);
    let mut rng = Rng(5);
    let mut events = Events::default();
    let mut seen_firing = std::collections::BTreeSet::new();
    let mut seen_resolved = std::collections::BTreeSet::new();
    for minute in 0..8 * 60 {
        let m0 = start + minute * MINUTE;
        let error_ppm = match minute {
            120..=159 => 30_000,
            300..=302 => 600_000,
            _ => 500,
        };
        let mut lines = Vec::new();
        for i in 0..20 * 60 {
            let t = m0 + i * (MINUTE / 1200) + rng.below(30_000) as i64;
            let bad = rng.below(1_000_000) < error_ppm;
            events.push(t, bad);
            lines.push(alb_line(
                t,
                "api.example.com",
                "/v1/x",
                if bad { 502 } else { 200 },
                Some((0, 5, 0)),
            ));
        }
        feed(&p, 0, &lines, 400);
        clock.set(m0 + MINUTE + 7 * SECOND);
        let report = serde_json::to_value(p.evaluate().report).unwrap();
        for (name, firing) in check(&report["slos"][0], &events) {
            if firing {
                seen_firing.insert(name);
            } else if seen_firing.contains(&name) {
                seen_resolved.insert(name);
            }
        }
    }
    for name in ["page_1h_5m", "page_6h_30m", "fast_burn", "slow_burn"] {
        assert!(
            seen_firing.contains(name),
            "{name} never fired: {seen_firing:?}"
        );
        assert!(seen_resolved.contains(name), "{name} never resolved");
    }
}

#[test]
fn a_burn_of_exactly_the_factor_does_not_page() {
    // One hour of 10 000 requests with exactly 144 bad: burn = 0.0144 / 0.001 = 14.4.
    // The 5-minute window holds many of the bad ones, so only the long window decides.
    let (p, _) = pipeline(CONFIG, NOON);
    let mut lines = Vec::new();
    for i in 0..10_000i64 {
        let t = NOON - HOUR + i * 360_000;
        let bad = i >= 10_000 - 144;
        lines.push(alb_line(
            t,
            "api.example.com",
            "/",
            if bad { 500 } else { 200 },
            Some((0, 1, 0)),
        ));
    }
    // One more request at noon moves the evaluation time to noon, so [11:00, 12:00) is
    // complete; it is not itself inside the window.
    lines.push(alb_line(NOON, "api.example.com", "/", 200, Some((0, 1, 0))));
    feed(&p, 0, &lines, 1000);
    let r = serde_json::to_value(p.evaluate().report).unwrap();
    let slo = &r["slos"][0];
    let h = window(slo, "1h");
    assert_eq!(
        (h["start"].as_str(), h["end"].as_str()),
        (Some("2026-11-20T11:00:00Z"), Some("2026-11-20T12:00:00Z"))
    );
    assert_eq!(
        (h["total"].as_u64(), h["good"].as_u64()),
        (Some(10_000), Some(10_000 - 144))
    );
    assert!((h["burn_rate"].as_f64().unwrap() - 14.4).abs() < 1e-9);
    assert!(window(slo, "5m")["burn_rate"].as_f64().unwrap() > 14.4);
    let page = slo["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "page_1h_5m")
        .unwrap();
    assert_eq!(page["firing"], false, "exactly 14.4 must not fire");

    // One more bad request in the last minute tips it over.
    feed(
        &p,
        0,
        &[alb_line(
            NOON - SECOND,
            "api.example.com",
            "/",
            500,
            Some((0, 1, 0)),
        )],
        1,
    );
    let r = serde_json::to_value(p.evaluate().report).unwrap();
    let page = r["slos"][0]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "page_1h_5m")
        .unwrap()
        .clone();
    assert_eq!(page["firing"], true);
}

#[test]
fn firing_alerts_are_listed_for_pollers() {
    let (p, _) = pipeline(CONFIG, NOON);
    let lines: Vec<String> = (0..600)
        .map(|i| {
            alb_line(
                NOON - 10 * MINUTE + i * SECOND,
                "api.example.com",
                "/",
                if i % 2 == 0 { 503 } else { 200 },
                None,
            )
        })
        .collect();
    feed(&p, 0, &lines, 100);
    let report = p.evaluate().report;
    let firing = serde_json::to_value(report.firing()).unwrap();
    let names: Vec<&str> = firing["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"page_1h_5m") && names.contains(&"fast_burn"),
        "{names:?}"
    );
    assert!(
        firing["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["service"] == "api" && a["firing"] == true)
    );
    assert_eq!(report.slos[0].policy.tier, Some(PolicyTier::Exhausted));
}

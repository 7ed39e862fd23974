//! `GET /v1/capacity` against expectations computed here, event by event: two weeks of
//! traffic with a busy minute three days back and smaller ones 30 and 20 hours back, then half an
//! hour of steady load. Rates, peaks at one-minute resolution, mean latency, Little's law,
//! week-over-week growth and the headroom figures are each recomputed from the list of events
//! the test generated, not from anything slipstream reports.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::helpers::{NOON, alb_line, feed, get_json, parse_time, pipeline};
use slipstream::time::{DAY, HOUR, MINUTE, SECOND};

const CONFIG: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: capacity}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services:
    - name: checkout
      match: {host: checkout.example.com}
      capacity: {max_rps: 4, instances: 3, headroom: 1.0}
    - name: search
      match: {host: search.example.com}
      capacity: {max_concurrency: 0.25, instances: 2}
    - name: idle
      match: {host: idle.example.com}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: checkout}
spec:
  service: checkout
  indicators: [{name: availability, threshold: 99.9, window: 30d}]
"#;

/// One request: event time, host, latency ms.
type Request = (i64, &'static str, u32);

/// The traffic, in time order; `E` = NOON.
fn traffic() -> Vec<Request> {
    let e = NOON;
    let mut out = Vec::new();
    // The earlier week: one request a minute, 100 ms.
    let mut t = e - 14 * DAY;
    while t < e - 7 * DAY {
        out.push((t, "checkout.example.com", 100));
        t += MINUTE;
    }
    // The later week: two a minute, plus 298 more in one minute three days back, 198 in one
    // 30 hours back (outside the last day) and 118 in one 20 hours back.
    let busy = [
        (e - 3 * DAY + 17 * MINUTE, 298),
        (e - 30 * HOUR + 9 * MINUTE, 198),
        (e - 20 * HOUR + 5 * MINUTE, 118),
    ];
    while t < e {
        out.push((t, "checkout.example.com", 100));
        out.push((t + 30 * SECOND, "checkout.example.com", 100));
        for &(at, extra) in &busy {
            if t == at {
                for i in 0..extra {
                    out.push((t + 31 * SECOND + i * 50_000, "checkout.example.com", 100));
                }
            }
        }
        t += MINUTE;
    }
    // Half an hour of one request a second in both services: checkout 200 ms, search 500 ms.
    while t < e + 30 * MINUTE {
        out.push((t, "checkout.example.com", 200));
        out.push((t, "search.example.com", 500));
        t += SECOND;
    }
    out.sort_by_key(|r| r.0);
    out
}

/// Per-minute `(requests, latency sum ms)` of `host`, computed from the requests alone.
fn minutes(requests: &[Request], host: &str) -> BTreeMap<i64, (u64, u64)> {
    let mut m = BTreeMap::new();
    for &(t, h, ms) in requests {
        if h == host {
            let e = m.entry(t.div_euclid(MINUTE) * MINUTE).or_insert((0, 0));
            e.0 += 1;
            e.1 += u64::from(ms);
        }
    }
    m
}

/// The busiest minute starting in `[from, to)`: the earliest of equals.
fn busiest(m: &BTreeMap<i64, (u64, u64)>, from: i64, to: i64) -> (i64, u64, u64) {
    let mut best = (0, 0, 0);
    for (&start, &(n, sum)) in m.range(from..to) {
        if n > best.1 {
            best = (start, n, sum);
        }
    }
    best
}

fn close(a: &Value, b: f64) {
    let a = a.as_f64().unwrap_or_else(|| panic!("not a number: {a}"));
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} ≠ {b}");
}

#[tokio::test]
async fn capacity_figures_match_a_count_of_the_requests() {
    let requests = traffic();
    let lines: Vec<String> = requests
        .iter()
        .map(|&(t, host, ms)| alb_line(t, host, "/", 200, Some((0, ms, 0))))
        .collect();
    let (p, _clock) = pipeline(CONFIG, NOON + 30 * MINUTE);
    feed(&p, 0, &lines, 5_000);
    let router = slipstream::serve::router(p.clone());
    let (status, v) = get_json(&router, "/v1/capacity").await;
    assert_eq!(status, 200, "{v}");
    let t = parse_time(v["evaluated_at"].as_str().unwrap());
    let end = t.div_euclid(MINUTE) * MINUTE;
    let services = v["services"].as_array().unwrap();
    let names: Vec<&str> = services
        .iter()
        .map(|s| s["service"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["checkout", "search", "idle"]);

    // checkout.
    let c = &services[0];
    let m = minutes(&requests, "checkout.example.com");
    let (n, sum) = m
        .range(end - 5 * MINUTE..end)
        .fold((0, 0), |a, (_, &(n, s))| (a.0 + n, a.1 + s));
    assert_eq!(c["now"]["requests"], n);
    let rate = n as f64 / 300.0;
    close(&c["now"]["rate_per_second"], rate);
    close(&c["now"]["mean_latency_ms"], sum as f64 / n as f64);
    // Little's law: 1 request a second of 200 ms each keeps 0.2 in flight.
    close(
        &c["now"]["concurrency"],
        rate * sum as f64 / n as f64 / 1000.0,
    );
    close(&c["now"]["concurrency"], 0.2);
    let (start, n1, sum1) = busiest(&m, end - DAY, end);
    assert_eq!(
        start,
        NOON - 20 * HOUR + 5 * MINUTE,
        "the 20-hours-back minute"
    );
    assert_eq!(n1, 120);
    assert_eq!(c["peak_1d"]["requests"], n1);
    // The last day's minutes are all held one by one: the search starts a day back.
    assert_eq!(
        parse_time(c["peak_1d"]["searched_from"].as_str().unwrap()),
        end - DAY
    );
    assert_eq!(
        parse_time(c["peak_1d"]["start"].as_str().unwrap()),
        start,
        "{}",
        c["peak_1d"]
    );
    close(&c["peak_1d"]["mean_latency_ms"], sum1 as f64 / n1 as f64);
    // A week back is kept per hour: the search starts at the first whole hour after it.
    let from7 = parse_time(c["peak_7d"]["searched_from"].as_str().unwrap());
    assert_eq!(from7, (end - 7 * DAY).div_euclid(HOUR) * HOUR + HOUR);
    let (start7, n7, _) = busiest(&m, from7, end);
    assert_eq!((start7, n7), (NOON - 3 * DAY + 17 * MINUTE, 300));
    assert_eq!(c["peak_7d"]["requests"], n7);
    assert_eq!(parse_time(c["peak_7d"]["start"].as_str().unwrap()), start7);
    close(&c["peak_7d"]["rate_per_second"], n7 as f64 / 60.0);
    // Two weeks of whole hours before ⌊T⌋ₕ.
    let hour = t.div_euclid(HOUR) * HOUR;
    let count = |from: i64, to: i64| {
        requests
            .iter()
            .filter(|r| r.1.starts_with("checkout") && (from..to).contains(&r.0))
            .count() as u64
    };
    let (this_week, last_week) = (
        count(hour - 7 * DAY, hour),
        count(hour - 14 * DAY, hour - 7 * DAY),
    );
    let wow = &c["week_over_week"];
    assert_eq!(wow["this_week"], this_week);
    assert_eq!(wow["last_week"], last_week);
    let growth = this_week as f64 / last_week as f64 - 1.0;
    close(&wow["growth"], growth);
    // Headroom: peak 5 req/s at 4 per instance, 3 running, 100 % headroom.
    let peak_rate = n7 as f64 / 60.0;
    assert_eq!(peak_rate, 5.0);
    let h = &c["capacity"];
    assert_eq!(h["limit"], "max_rps");
    close(&h["capacity"], 12.0);
    assert_eq!(h["instances_needed"], 2); // ⌈5 / 4⌉
    assert_eq!(h["instances_with_headroom"], 3); // ⌈10 / 4⌉
    close(&h["utilization_peak_7d"], 5.0 / 12.0);
    close(&h["utilization_now"], rate / 12.0);
    // 70 % of 12 is 8.4: 5 × (1 + g)^(d / 7) = 8.4.
    close(
        &h["days_to_limit"],
        7.0 * (8.4f64 / 5.0).ln() / (1.0 + growth).ln(),
    );
    assert_eq!(
        h["summary"],
        "2 instances needed, 3 with 100 % headroom (3 running)"
    );
    // The latency histograms' hour: 200 ms requests, 2 significant digits.
    assert_eq!(c["latency_ms"]["window"], "1h");
    let p95 = c["latency_ms"]["p95"].as_f64().unwrap();
    assert!((p95 - 200.0).abs() <= 2.0, "{p95}");

    // search: by concurrency, no history before the half hour.
    let s = &services[1];
    close(&s["now"]["concurrency"], 0.5); // 1/s × 0.5 s
    let h = &s["capacity"];
    assert_eq!(h["limit"], "max_concurrency");
    close(&h["demand_peak_7d"], 0.5);
    assert_eq!(h["instances_needed"], 2); // ⌈0.5 / 0.25⌉
    assert_eq!(h["instances_with_headroom"], 3); // ⌈0.75 / 0.25⌉, the default 50 %
    close(&h["days_to_limit"], 0.0); // 0.5 ≥ 70 % of 0.5
    assert!(s["week_over_week"]["growth"].is_null(), "no earlier week");

    // idle: no capacity set, no request.
    let i = &services[2];
    assert!(i.get("capacity").is_none());
    assert_eq!(i["now"]["requests"], 0);
    assert!(i["peak_7d"].is_null() && i["now"]["mean_latency_ms"].is_null());

    // One service, and an unknown one.
    let (status, one) = get_json(&router, "/v1/capacity?service=search").await;
    assert_eq!(status, 200);
    assert_eq!(one["services"].as_array().unwrap().len(), 1);
    assert_eq!(one["services"][0], *s);
    let (status, err) = get_json(&router, "/v1/capacity?service=nope").await;
    assert_eq!(status, 404);
    assert_eq!(err["error"], "no service nope");
}

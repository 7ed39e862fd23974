//! Budget exhaustion forecasts of the one-SLO answer against a simulation written here: the
//! rolling window slid second by second over the generated events (its start on 10-minute
//! bucket boundaries, as the README says), the rate window's events added at their rate,
//! until bad events reach 1 % of all.

use serde_json::Value;

use crate::helpers::{
    NOON, alb_line, api_lines, api_slo_config, feed, get_json, parse_time, pipeline,
};
use slipstream::time::{DAY, HOUR, MINUTE, SECOND};

/// `GET uri`, which must answer 200: its JSON.
async fn get(router: &axum::Router, uri: &str) -> Value {
    let (status, body) = get_json(router, uri).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The first whole second (from 0) at which the 1-day window of `events` (sorted `(time,
/// bad)`), slid on 10-minute steps, plus `rate_total` and `rate_bad` events per µs since
/// `end`, holds bad events ≥ 1 % of all; `None` within a day.
fn simulate(events: &[(i64, bool)], end: i64, rate_total: f64, rate_bad: f64) -> Option<i64> {
    let times: Vec<i64> = events.iter().map(|e| e.0).collect();
    let mut bad_before = vec![0u64; events.len() + 1];
    for (i, e) in events.iter().enumerate() {
        bad_before[i + 1] = bad_before[i] + u64::from(e.1);
    }
    let upto = times.partition_point(|&t| t < end);
    let spent = |t: i64| {
        let start = (end + t - DAY).div_euclid(10 * MINUTE) * 10 * MINUTE
            + if (end + t - DAY).rem_euclid(10 * MINUTE) == 0 {
                0
            } else {
                10 * MINUTE
            };
        let from = times.partition_point(|&x| x < start);
        let total = (upto - from) as f64 + rate_total * t as f64;
        let bad = (bad_before[upto] - bad_before[from]) as f64 + rate_bad * t as f64;
        bad - 0.01 * total >= 0.0
    };
    // A bucket leaves just after its step: look there too.
    (0..=DAY / SECOND).find(|&s| spent(s * SECOND) || spent(s * SECOND + 1))
}

#[tokio::test]
async fn exhaustion_follows_the_rates_and_the_old_events_leaving_the_window() {
    let yaml = api_slo_config(
        "{name: availability, threshold: 99, window: 1d}",
        "  exhaustion_alert: {within: 12h, rate_window: 1h, severity: ticket}",
    );
    let (p, _clock) = pipeline(&yaml, NOON);
    // A good request every 21 s over the day; 30 bad in a burst 5 minutes into the window,
    // in its first 10-minute bucket (they leave as soon as it slides); 10 bad spread over the
    // last hour.
    let mut events: Vec<(i64, bool)> = (0..DAY / (21 * SECOND))
        .map(|i| (NOON - DAY + i * 21 * SECOND + 7 * SECOND, false))
        .collect();
    events.extend((0..30).map(|i| (NOON - DAY + 5 * MINUTE + i * SECOND, true)));
    events.extend((0..10).map(|i| (NOON - HOUR + i * 6 * MINUTE + 3 * SECOND, true)));
    events.sort_unstable();
    let lines = api_lines(&events, NOON);
    feed(&p, 0, &lines, 500);
    let router = slipstream::serve::router(p.clone());
    let slo = get(&router, "/v1/slos/api/availability").await;
    let b = &slo["budget"];
    assert!(!b["exhausted"].as_bool().unwrap(), "{b}");
    let forecasts = b["exhaustion"].as_array().unwrap();
    let names: Vec<&str> = forecasts
        .iter()
        .map(|f| f["window"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["1h", "6h", "1d"]);
    let end = parse_time(b["end"].as_str().unwrap());
    assert_eq!(end, NOON);
    let mut some = 0;
    for f in forecasts {
        let window = match f["window"].as_str().unwrap() {
            "1h" => HOUR,
            "6h" => 6 * HOUR,
            _ => DAY,
        };
        let inside: Vec<_> = events
            .iter()
            .filter(|e| e.0 >= end - window && e.0 < end)
            .collect();
        let bad = inside.iter().filter(|e| e.1).count() as f64;
        let total = inside.len() as f64;
        let expected = simulate(&events, end, total / window as f64, bad / window as f64);
        let burn = bad / total / 0.01;
        assert!(
            (f["burn_rate"].as_f64().unwrap() - burn).abs() < 1e-9,
            "{f}"
        );
        match expected {
            Some(s) => {
                some += 1;
                let at = parse_time(f["exhausted_at"].as_str().unwrap());
                assert!(
                    (at - (end + s * SECOND)).abs() <= SECOND,
                    "{f}: simulated {s} s"
                );
                let hours = f["hours_left"].as_f64().unwrap();
                assert!(
                    (hours * HOUR as f64 - (s * SECOND) as f64).abs() <= SECOND as f64,
                    "{f}"
                );
            }
            None => assert!(
                f["exhausted_at"].is_null() && f["hours_left"].is_null(),
                "{f}"
            ),
        }
    }
    assert!(some >= 1, "at least one window runs out: {forecasts:?}");
    // The 1-hour rates alone would spend what is left in minutes; the burst leaving at
    // once holds it up for hours.
    let h1 = &forecasts[0];
    assert!(h1["hours_left"].as_f64().unwrap() > 2.0, "{h1}");
    // The list leaves the forecast out (cheap scrapes of many SLOs), but the exhaustion alert
    // there forecasts the same: it fires, the 1-hour rates spending the budget within 12 h.
    let all = get(&router, "/v1/slos").await;
    assert!(all["slos"][0]["budget"].get("exhaustion").is_none());
    let alert = all["slos"][0]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "exhaustion")
        .unwrap()
        .clone();
    assert_eq!(alert["name"], "budget_exhausted_within_12h");
    assert_eq!(
        (&alert["within"], &alert["long_window"]),
        (&Value::from("12h"), &Value::from("1h"))
    );
    let hours = h1["hours_left"].as_f64().unwrap();
    assert!(
        (alert["runs_out_in_hours"].as_f64().unwrap() - hours).abs() < 1e-9,
        "{alert}"
    );
    assert_eq!(alert["firing"], hours <= 12.0, "{alert}");
    assert!(hours <= 12.0);
    let firing = get(&router, "/api/v1/alerts").await;
    let summary = firing["data"]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["labels"]["alertname"] == "budget_exhausted_within_12h")
        .unwrap()["annotations"]["summary"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        summary.starts_with("api/availability's error budget runs out in"),
        "{summary}"
    );
}

#[tokio::test]
async fn a_calendar_budget_runs_out_on_a_straight_line_before_the_period_ends_or_never() {
    let yaml = api_slo_config(
        "{name: availability, threshold: 99}",
        "  compliance: calendar\n  calendar: {unit: month}\n  exhaustion_alert: {within: 1h, rate_window: 1h}",
    );
    // 2026-11-30 20:00 UTC, 4 hours before December: November has 2,000 good requests over
    // its first 10 days, and the last hour 90 good and 10 bad.
    let now = slipstream::time::epoch_us(2026, 11, 30, 20, 0, 0, 0).unwrap();
    let november = slipstream::time::epoch_us(2026, 11, 1, 0, 0, 0, 0).unwrap();
    let (p, _clock) = pipeline(&yaml, now);
    let mut lines: Vec<String> = (0..2000)
        .map(|i| {
            alb_line(
                november + i * 432 * SECOND,
                "api.example.com",
                "/",
                200,
                None,
            )
        })
        .collect();
    lines.extend((0..100).map(|i| {
        let status = if i % 10 == 0 { 503 } else { 200 };
        alb_line(
            now - HOUR + i * 36 * SECOND,
            "api.example.com",
            "/",
            status,
            None,
        )
    }));
    lines.push(alb_line(now, "api.example.com", "/", 200, None));
    feed(&p, 0, &lines, 500);
    let router = slipstream::serve::router(p.clone());
    let slo = get(&router, "/v1/slos/api/availability").await;
    let f = &slo["budget"]["exhaustion"];
    // D0 = 10 − 1 % of 2,100 = −11; the last hour adds 10 − 1 = 9 an hour: 11/9 hours.
    assert_eq!(f[0]["window"], "1h");
    let hours = f[0]["hours_left"].as_f64().unwrap();
    assert!((hours - 11.0 / 9.0).abs() < 1e-9, "{f}");
    let at = parse_time(f[0]["exhausted_at"].as_str().unwrap());
    assert_eq!(
        at,
        now + (11.0 / 9.0 * HOUR as f64) as i64 / SECOND * SECOND
    );
    // 1.22 hours is not within the alert's hour.
    let alert = slo["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "exhaustion")
        .unwrap();
    assert_eq!(alert["firing"], false, "{alert}");
    assert!((alert["runs_out_in_hours"].as_f64().unwrap() - 11.0 / 9.0).abs() < 1e-9);
    // The same 100 requests spread over 6 hours (9 every 6 hours: 7.3 hours) or a day (29.3
    // hours) would spend it after November ends, when the budget starts again: never.
    for w in [&f[1], &f[2]] {
        assert!(
            w["exhausted_at"].is_null() && w["hours_left"].is_null(),
            "{w}"
        );
    }
}

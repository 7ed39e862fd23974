//! Incident impact against counts taken here from the generated events: the range widened to
//! the buckets the answer names, the error ratio, the budget share, the equivalent downtime
//! and the peak step; the Markdown of a postmortem; every refusal; the command line.

use axum::body::Body;
use axum::http::Request;
use serde_json::Value;

use crate::helpers::{NOON, api_lines, call, feed, iso, parse_time, pipeline};
use slipstream::time::{DAY, HOUR, MINUTE, SECOND, parse_duration};

const CONFIG: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: impact}
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
  indicators:
    - {name: availability, threshold: 99.9, window: 30d}
    - {name: throughput, threshold: 1, window: 5m, type: minimum}
"#;

async fn get(router: &axum::Router, uri: &str) -> (u16, String) {
    call(router, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// Two requests a second for the last 4 hours; from 2 hours to 1 h 42 min ago (18 minutes)
/// 12 % of them fail, and in its 5th minute 60 %.
fn events() -> Vec<(i64, bool)> {
    let incident = NOON - 2 * HOUR;
    (0..4 * 3600 * 2)
        .map(|i| {
            let t = NOON - 4 * HOUR + i * SECOND / 2;
            let k = i % 100;
            let bad = if (incident + 4 * MINUTE..incident + 5 * MINUTE).contains(&t) {
                k < 60
            } else if (incident..incident + 18 * MINUTE).contains(&t) {
                k < 12
            } else {
                false
            };
            (t, bad)
        })
        .collect()
}

fn count(events: &[(i64, bool)], from: i64, to: i64) -> (u64, u64) {
    let inside = events.iter().filter(|e| (from..to).contains(&e.0));
    inside.fold((0, 0), |(n, b), e| (n + 1, b + u64::from(e.1)))
}

#[tokio::test]
async fn an_incident_costs_what_its_events_say() {
    let (p, _clock) = pipeline(CONFIG, NOON);
    let evs = events();
    let lines = api_lines(&evs, NOON);
    feed(&p, 0, &lines, 1000);
    let router = slipstream::serve::router(p.clone());
    // Asked off the bucket edges: 10:00:20 to 10:17:40.
    let (asked_start, asked_end) = (
        NOON - 2 * HOUR + 20 * SECOND,
        NOON - 2 * HOUR + 18 * MINUTE - 20 * SECOND,
    );
    let uri = format!(
        "/v1/slos/api/availability/impact?start={}&end={}",
        iso(asked_start),
        iso(asked_end)
    );
    let (status, body) = get(&router, &uri).await;
    assert_eq!(status, 200, "{body}");
    let r: Value = serde_json::from_str(&body).unwrap();
    let bucket = parse_duration(r["bucket"].as_str().unwrap()).unwrap();
    let (start, end) = (
        parse_time(r["start"].as_str().unwrap()),
        parse_time(r["end"].as_str().unwrap()),
    );
    assert_eq!(start, asked_start.div_euclid(bucket) * bucket, "{r}");
    assert_eq!(
        end,
        (asked_end + bucket - 1).div_euclid(bucket) * bucket,
        "{r}"
    );
    assert!(
        bucket <= MINUTE,
        "two hours back the 1-minute buckets are kept: {r}"
    );
    let (events, bad) = count(&evs, start, end);
    assert_eq!(
        (r["events"].as_u64(), r["bad"].as_u64()),
        (Some(events), Some(bad)),
        "{r}"
    );
    let ratio = bad as f64 / events as f64;
    assert!((r["error_ratio"].as_f64().unwrap() - ratio).abs() < 1e-12);
    let minutes = (end - start) as f64 / MINUTE as f64;
    assert!((r["downtime_equivalent_minutes"].as_f64().unwrap() - ratio * minutes).abs() < 1e-9);
    // The budget share is of the 30-day budget as reported now: 0.1 % of every event in it.
    let (all, _) = count(&evs, NOON - 30 * DAY, NOON);
    let allowed = 0.001 * all as f64;
    assert!(
        (r["budget"]["allowed_bad"].as_f64().unwrap() - allowed).abs() < 1e-6,
        "{r}"
    );
    assert!((r["budget_consumed_ratio"].as_f64().unwrap() - bad as f64 / allowed).abs() < 1e-9);
    // The peak step is in the bad minute.
    let step = parse_duration(r["step"].as_str().unwrap()).unwrap();
    let mut peak = (0.0, 0);
    let mut s = start;
    while s < end {
        let (n, b) = count(&evs, s, (s + step).min(end));
        let burn = b as f64 / n as f64 / 0.001;
        if burn > peak.0 {
            peak = (burn, s);
        }
        s += step;
    }
    assert!(
        (r["peak_burn_rate"].as_f64().unwrap() - peak.0).abs() < 1e-6,
        "{r}"
    );
    assert_eq!(parse_time(r["peak_at"].as_str().unwrap()), peak.1);
    // Far above the 12 % of the rest of the incident (a burn of 120).
    assert!(peak.0 > 240.0, "the bad minute: {peak:?}");

    let (status, md) = get(&router, &(uri.clone() + "&format=markdown")).await;
    assert_eq!(status, 200);
    assert!(md.starts_with("### Impact\n"), "{md}");
    assert!(
        md.contains(&format!("| Error ratio | {:.2} % |", ratio * 100.0)),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "| Equivalent full downtime | {:.1} min |",
            ratio * minutes
        )),
        "{md}"
    );

    let at = |d: i64| iso(NOON + d);
    for (uri, status, why) in [
        (
            format!("/v1/slos/api/availability/impact?start={}", at(-HOUR)),
            400,
            "end is required",
        ),
        (
            format!(
                "/v1/slos/api/availability/impact?start={}&end={}",
                at(-HOUR),
                at(-2 * HOUR)
            ),
            400,
            "is not before end",
        ),
        (
            format!(
                "/v1/slos/api/availability/impact?start={}&end={}",
                at(HOUR),
                at(2 * HOUR)
            ),
            400,
            "at or after the evaluation time",
        ),
        (
            format!(
                "/v1/slos/api/availability/impact?start={}&end={}",
                at(-60 * DAY),
                at(-59 * DAY)
            ),
            400,
            "older than every bucket",
        ),
        (
            format!(
                "/v1/slos/api/throughput/impact?start={}&end={}",
                at(-HOUR),
                at(0)
            ),
            400,
            "no error budget",
        ),
        (
            format!("/v1/slos/api/nope/impact?start={}&end={}", at(-HOUR), at(0)),
            404,
            "no SLO api/nope",
        ),
        (
            format!("/v1/slos/api/availability/impact?start=soon&end={}", at(0)),
            400,
            "RFC 3339",
        ),
    ] {
        let (got, body) = get(&router, &uri).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert!(body.contains(why), "{uri}: {body}");
    }
}

//! Configuration reload: what keeps its counts, what starts again with `valid_since`, what
//! is rejected (and how that shows), in simulated time; then the binary reloading on SIGHUP
//! and on a file change.

mod applied;
mod binary;
mod rejected;

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::helpers::{NOON, Rng, alb_line, feed, pipeline};
use slipstream::app::{Pipeline, ReloadError, ReloadSummary};
use slipstream::config;
use slipstream::time::{HOUR, SECOND};

const PIPELINE: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: reload}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services:
    - {name: checkout, match: {host: checkout.example.com}}
    - {name: search, match: {host: search.example.com}}
"#;

const CHECKOUT: &str = r#"
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: checkout}
spec:
  service: checkout
  indicators:
    - {name: availability, threshold: 99.9, window: 30d}
    - {name: latency_p99, threshold: "300ms", window: 7d}
"#;

const SEARCH: &str = r#"
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: search}
spec:
  service: search
  indicators: [{name: availability, threshold: 99, window: 7d}]
"#;

fn config() -> String {
    format!("{PIPELINE}{CHECKOUT}{SEARCH}")
}

/// One generated request: line, latency in µs, status, host.
type Generated = (String, i64, u16, &'static str);

/// `n` requests to both services, evenly from `from` to `to` inclusive: (line, latency in
/// µs, status, host).
fn traffic(seed: u64, from: i64, to: i64, n: i64) -> Vec<Generated> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let t = from + (to - from) * i / (n - 1);
            let host = if rng.below(3) == 0 {
                "search.example.com"
            } else {
                "checkout.example.com"
            };
            let status = if rng.below(40) == 0 { 503 } else { 200 };
            let target_ms = rng.below(600) as u32;
            let line = alb_line(t, host, "/api", status, Some((1, target_ms, 1)));
            (line, i64::from(target_ms + 2) * 1_000, status, host)
        })
        .collect()
}

fn lines(t: &[Generated]) -> Vec<String> {
    t.iter().map(|(l, ..)| l.clone()).collect()
}

fn reload(p: &Pipeline, yaml: &str) -> Result<ReloadSummary, ReloadError> {
    p.reload(config::parse(yaml, "reload.yaml"))
}

fn report(p: &Pipeline) -> Value {
    serde_json::to_value(p.evaluate().report).unwrap()
}

fn ids(report: &Value) -> Vec<String> {
    report["slos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{}/{}",
                s["service"].as_str().unwrap(),
                s["slo"].as_str().unwrap()
            )
        })
        .collect()
}

/// The counts of every window of an SLO report, and its budget's counts.
fn counts(slo: &Value) -> (Vec<(String, u64, u64)>, Value) {
    let windows = slo["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                format!("{} {} {}", w["window"], w["start"], w["end"]),
                w["good"].as_u64().unwrap(),
                w["total"].as_u64().unwrap(),
            )
        })
        .collect();
    let budget = &slo["budget"];
    (
        windows,
        serde_json::json!([budget["good"], budget["total"]]),
    )
}

fn fed() -> (Arc<Pipeline>, Vec<Generated>) {
    let (p, _) = pipeline(&config(), NOON);
    let t = traffic(1, NOON - 2 * HOUR, NOON - SECOND, 3_000);
    feed(&p, 0, &lines(&t), 250);
    (p, t)
}

async fn get(router: &axum::Router, uri: &str) -> (u16, String) {
    let response = router
        .clone()
        .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

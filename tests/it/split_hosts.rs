//! Services split by host (`split_by: host`): every host its own SLOs, counted exactly and
//! checked against counts made here; at most `max_hosts` of them plus one overflow
//! sub-service however many hosts arrive; the assignment the same in every partition, kept
//! by a checkpoint and by a reload that leaves the service's events unchanged.

mod configuration;
mod exact;
mod overflow;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::helpers::alb_line;
use slipstream::app::Pipeline;

/// A split service `edge` (`*.example.com`, at most `max_hosts` hosts) with an availability
/// and a latency SLO, and a plain service `api`; `extra` goes into the Pipeline's spec.
fn config_yaml(max_hosts: usize, extra: &str) -> String {
    format!(
        r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {{name: split}}
spec:
  source: {{stdin: {{}}}}
  decode: {{format: alb}}
{extra}
  services:
    - {{name: api, match: {{host: api.other.io}}}}
    - {{name: edge, match: {{host: "*.example.com"}}, split_by: host, max_hosts: {max_hosts}}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {{name: edge}}
spec:
  service: edge
  indicators:
    - {{name: availability, threshold: 99.9, window: 30d}}
    - {{name: latency_p99, threshold: "300ms", window: 30d}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {{name: api}}
spec:
  service: api
  indicators: [{{name: availability, threshold: 99, window: 30d}}]
"#
    )
}

/// One generated request.
#[derive(Debug, Clone)]
struct Req {
    t_us: i64,
    host: String,
    status: u16,
    latency_ms: u32,
}

impl Req {
    fn line(&self) -> String {
        alb_line(
            self.t_us,
            &self.host,
            "/",
            self.status,
            Some((0, self.latency_ms, 0)),
        )
    }
}

/// Per sub-service: `[availability good, availability total, latency good, latency total]`.
type Truth = HashMap<String, [u64; 4]>;

/// The counts each `edge` sub-service must report, computed here: hosts take slots first come
/// first served (lowercased) in the order fed; later hosts count in `edge:_overflow`.
fn truth(requests: &[&Req], max_hosts: usize) -> (Vec<String>, Truth) {
    let mut hosts: Vec<String> = Vec::new();
    let mut counts = Truth::new();
    for r in requests {
        let host = r.host.to_ascii_lowercase();
        if !host.ends_with(".example.com") {
            continue;
        }
        if !hosts.contains(&host) && hosts.len() < max_hosts {
            hosts.push(host.clone());
        }
        let name = if hosts.contains(&host) {
            format!("edge:{host}")
        } else {
            "edge:_overflow".to_string()
        };
        let c = counts.entry(name).or_default();
        let bad = r.status >= 500;
        c[0] += u64::from(!bad);
        c[1] += 1;
        c[2] += u64::from(!bad && r.latency_ms <= 300);
        c[3] += 1;
    }
    (hosts, counts)
}

/// What the pipeline reports: per `edge` sub-service, its 1h window counts of both SLOs, and
/// the order of the sub-services.
fn reported(report: &Value) -> (Vec<String>, Truth) {
    let mut order = Vec::new();
    let mut counts = Truth::new();
    for s in report["slos"].as_array().unwrap() {
        let service = s["service"].as_str().unwrap();
        if !service.starts_with("edge") {
            continue;
        }
        let w = s["windows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["window"] == "1h")
            .unwrap();
        let (good, total) = (w["good"].as_u64().unwrap(), w["total"].as_u64().unwrap());
        let c = counts.entry(service.to_string()).or_default();
        match s["slo"].as_str().unwrap() {
            "availability" => {
                order.push(service.to_string());
                c[0] = good;
                c[1] = total;
            }
            "latency_p99" => {
                c[2] = good;
                c[3] = total;
            }
            other => panic!("unexpected SLO {other}"),
        }
    }
    (order, counts)
}

/// A request of `api` at `t_us`: moves the evaluation time past the `edge` traffic.
fn api_at(t_us: i64) -> String {
    alb_line(t_us, "api.other.io", "/", 200, Some((0, 5, 0)))
}

async fn get(p: &Arc<Pipeline>, uri: &str) -> (StatusCode, String) {
    let response = slipstream::serve::router(p.clone())
        .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

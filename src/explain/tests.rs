//! `explain`: one line decoded and classified, lines that fail or lie too far ahead, and
//! whole inputs of several lines, formats and envelopes. Here: the configuration, the
//! explainer and the ALB lines the topic files share.

mod classified;
mod failures_and_times;
mod inputs;

use super::*;
use crate::config;
use crate::time::SECOND;

const CONFIG: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: edge}
spec:
  source: {stdin: {}}
  decode: {envelope: json, format: alb}
  window: {max_future: 5m}
  services:
    - name: checkout
      match: {host: checkout.example.com}
    - name: admin
      match: {host: "*.example.com", path_prefix: /admin/, method: POST}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: checkout-slo}
spec:
  service: checkout
  indicators:
    - {name: availability, threshold: 99.9, window: 30d}
    - {name: latency_p99, threshold: "300ms", window: 7d}
"#;

/// 2026-11-20T12:00:00Z.
const NOON: i64 = 1_795_176_000 * SECOND;

fn explainer() -> Explainer {
    Explainer::new(&config::parse(CONFIG, "test.yaml").unwrap_or_else(|e| panic!("{e}")))
}

/// An ALB line at 12:00:00.25 wrapped in a Vector envelope (escaped quotes and all).
fn alb(kind: &str, status: u16, timings: &str, host: &str, method: &str, path: &str) -> String {
    let line = format!(
        r#"{kind} 2026-11-20T12:00:00.250000Z app/lb/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 {timings} {status} {status} 34 366 "{method} https://{host}:443{path}?q=1 HTTP/1.1" "curl/8" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/checkout-tg/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "{host}" "-" 0 2026-11-20T12:00:00.000000Z "forward" "-" "-" "10.0.0.1:80" "{status}" "-" "-" TID_1"#
    );
    serde_json::json!({"message": line, "timestamp": "2026-11-20T12:00:09Z"}).to_string()
}

fn checkout(status: u16, timings: &str) -> String {
    alb(
        "https",
        status,
        timings,
        "checkout.example.com",
        "GET",
        "/api/cart",
    )
}

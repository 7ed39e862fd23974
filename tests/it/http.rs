//! The HTTP API through the real router: shapes, status codes, `/metrics` line by line, and
//! requests that must not break anything.

mod answers;
mod metrics;
mod refusals;
mod series;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::helpers::{NOON, alb_line, feed, pipeline};
use slipstream::time::SECOND;

const CONFIG: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: http}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services:
    - {name: checkout, match: {host: checkout.example.com}}
    - {name: quiet, match: {host: quiet.example.com}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: checkout}
spec:
  service: checkout
  indicators:
    - {name: availability, threshold: 99.9, window: 30d}
    - {name: latency_p99, threshold: "300ms", window: 7d}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: quiet}
spec:
  service: quiet
  indicators: [{name: availability, threshold: 99, window: 7d}]
"#;

async fn get(router: &axum::Router, method: &str, uri: &str) -> (StatusCode, String, String) {
    let response = router
        .clone()
        .oneshot(
            Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

fn app() -> (std::sync::Arc<slipstream::app::Pipeline>, axum::Router) {
    let (p, _) = pipeline(CONFIG, NOON);
    let mut lines: Vec<String> = (0..100)
        .map(|i| {
            alb_line(
                NOON - 100 * SECOND + i * SECOND,
                "checkout.example.com",
                "/a",
                if i % 10 == 0 { 500 } else { 200 },
                Some((0, 10 * i as u32, 0)),
            )
        })
        .collect();
    lines.push("garbage".into());
    feed(&p, 0, &lines, 50);
    (p.clone(), slipstream::serve::router(p))
}

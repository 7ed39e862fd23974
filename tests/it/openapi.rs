//! `/openapi.json` stays true: real responses of every JSON endpoint, from a pipeline fed with
//! lines that make every optional part appear (calendar and timeslice budgets, a throughput
//! SLO, firing burn-rate and budget alerts, an unknown SLO, a bad request), validate against
//! the document's component schemas (JSON Schema 2020-12, `additionalProperties: false`).

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::helpers::{NOON, alb_line, feed, pipeline};
use slipstream::time::SECOND;

const CONFIG: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: openapi}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services:
    - {name: checkout, match: {host: checkout.example.com}}
    - {name: billing, match: {host: billing.example.com}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: checkout}
spec:
  service: checkout
  indicators:
    - {name: availability, threshold: 99.9, window: 30d}
    - {name: latency_p99, threshold: "300ms", window: 7d}
    - {name: throughput, threshold: 20, window: 5m, type: minimum}
  alert_budgets: [{threshold: 0.5, severity: warning}]
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: billing}
spec:
  service: billing
  indicators: [{name: availability, threshold: 99}]
  compliance: calendar
  calendar: {unit: month, time_zone: Europe/Berlin}
  budgeting: {method: timeslices, slice: 1m, slice_target: 0.95}
"#;

async fn get(router: &axum::Router, uri: &str) -> (u16, Value) {
    let response = router
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("{uri}: {e}: {}", String::from_utf8_lossy(&body))),
    )
}

/// Validates `instance` against component schema `name` of `document`.
fn check(document: &Value, name: &str, instance: &Value, what: &str) {
    let mut root = document.clone();
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    root["$ref"] = json!(format!("#/components/schemas/{name}"));
    let validator = jsonschema::draft202012::new(&root)
        .unwrap_or_else(|e| panic!("schema {name} does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} against {name}: {errors:#?}\n{instance:#}"
    );
}

#[tokio::test]
async fn responses_match_the_openapi_document() {
    let (p, _) = pipeline(CONFIG, NOON);
    // 30 minutes at 1/s, a 503 in every 4: burn-rate and budget alerts fire.
    let lines: Vec<String> = (0..3600)
        .map(|i| {
            alb_line(
                NOON - 1800 * SECOND + i / 2 * SECOND,
                if i % 2 == 0 {
                    "checkout.example.com"
                } else {
                    "billing.example.com"
                },
                "/pay",
                if i / 2 % 4 == 0 { 503 } else { 200 },
                Some((0, 10 + (i % 500) as u32, 0)),
            )
        })
        .chain(std::iter::once(alb_line(
            NOON,
            "checkout.example.com",
            "/",
            200,
            None,
        )))
        .collect();
    feed(&p, 0, &lines, 200);
    let router = slipstream::serve::router(p);
    let (status, document) = get(&router, "/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(document["openapi"], "3.1.0");

    let (status, report) = get(&router, "/v1/slos").await;
    assert_eq!(status, 200);
    check(&document, "Report", &report, "/v1/slos");
    let slos = report["slos"].as_array().unwrap();
    // The optional parts are there, so the schemas saw them.
    assert!(slos.iter().any(|s| s["budget"]["slices"].is_object()));
    assert!(slos.iter().any(|s| s["budget"]["calendar"].is_string()));
    assert!(slos.iter().any(|s| s["throughput"].is_object()));
    assert!(slos.iter().any(|s| s["budget"].is_null()));

    let (status, one) = get(&router, "/v1/slos/checkout/availability").await;
    assert_eq!(status, 200);
    check(&document, "SloReport", &one, "one SLO");
    let (status, series) = get(&router, "/v1/slos/checkout/availability/series").await;
    assert_eq!(status, 200);
    check(&document, "Series", &series, "series");

    let (status, alerts) = get(&router, "/v1/alerts").await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"burn_rate") && kinds.contains(&"budget"),
        "{alerts}"
    );
    check(&document, "AlertsReport", &alerts, "/v1/alerts");
    let (status, prom) = get(&router, "/api/v1/alerts").await;
    assert_eq!(status, 200);
    assert!(!prom["data"]["alerts"].as_array().unwrap().is_empty());
    check(&document, "PrometheusAlerts", &prom, "/api/v1/alerts");

    let (_, health) = get(&router, "/healthz").await;
    check(&document, "Health", &health, "/healthz");
    let (_, ready) = get(&router, "/readyz").await;
    check(&document, "Ready", &ready, "/readyz");
    for (uri, expected) in [
        ("/v1/slos/checkout/nope", 404),
        ("/v1/slos/checkout/availability/series?window=banana", 400),
        ("/nope", 404),
    ] {
        let (status, error) = get(&router, uri).await;
        assert_eq!(status, expected, "{uri}");
        check(&document, "Error", &error, uri);
    }
    // A drifted response is caught: an extra field is rejected.
    let mut drifted = one.clone();
    drifted["windows"][0]["extra"] = json!(1);
    let mut root = document.clone();
    root["$ref"] = json!("#/components/schemas/SloReport");
    assert!(!jsonschema::draft202012::is_valid(&root, &drifted));
}

#[test]
fn every_route_is_documented() {
    let document: Value = serde_json::from_str(slipstream::serve::openapi::DOCUMENT).unwrap();
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/v1/slos",
        "/v1/slos/{service}/{slo}",
        "/v1/slos/{service}/{slo}/series",
        "/v1/alerts",
        "/api/v1/alerts",
        "/metrics",
        "/healthz",
        "/readyz",
        "/openapi.json",
        "/",
    ] {
        assert!(paths.contains_key(path), "{path} undocumented");
    }
}

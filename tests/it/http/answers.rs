//! What the routes answer: the report's documented shape, one SLO and unknown ones, alerts,
//! health and readiness, and the page with its assets.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use super::{app, get};
use slipstream::source::Sink;

#[tokio::test]
async fn slos_report_has_the_documented_shape() {
    let (_, router) = app();
    let (status, ct, body) = get(&router, "GET", "/v1/slos").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("application/json"));
    let v: Value = serde_json::from_str(&body).unwrap();
    // T is the newest event (noon − 1 s); that request itself is at the window end, outside.
    assert_eq!(v["evaluated_at"], "2026-11-20T11:59:59Z");
    assert_eq!(v["data_lag_seconds"], 1.0);
    let slo = &v["slos"][0];
    for key in [
        "service",
        "slo",
        "objective",
        "period",
        "no_data",
        "windows",
        "budget",
        "alerts",
        "policy",
        "latency_ms",
    ] {
        assert!(slo.get(key).is_some(), "missing {key}");
    }
    for key in [
        "window",
        "start",
        "end",
        "good",
        "total",
        "sli",
        "burn_rate",
    ] {
        assert!(
            slo["windows"][0].get(key).is_some(),
            "missing windows[].{key}"
        );
    }
    for key in [
        "start",
        "end",
        "good",
        "total",
        "allowed_bad",
        "bad",
        "remaining_ratio",
        "exhausted",
    ] {
        assert!(slo["budget"].get(key).is_some(), "missing budget.{key}");
    }
    for key in [
        "name",
        "severity",
        "long_window",
        "short_window",
        "factor",
        "firing",
    ] {
        assert!(
            slo["alerts"][0].get(key).is_some(),
            "missing alerts[].{key}"
        );
    }
    for key in ["p50", "p90", "p99", "p999"] {
        assert!(slo["latency_ms"][key].is_number(), "latency_ms.{key}");
    }
    assert_eq!(slo["budget"]["total"], 99);
    assert_eq!(slo["budget"]["bad"], 10);
    assert_eq!(v["slos"][2]["no_data"], true);
    assert!(v["slos"][2]["sli"].is_null());
}

#[tokio::test]
async fn one_slo_and_unknown_ones() {
    let (_, router) = app();
    let (status, _, body) = get(&router, "GET", "/v1/slos/checkout/latency_p99").await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (v["service"].as_str(), v["slo"].as_str(), v["kind"].as_str()),
        (Some("checkout"), Some("latency_p99"), Some("latency"))
    );
    // Request i (0..99; the last is at T, so outside) takes 10·i ms and fails when i % 10 == 0:
    // the good ones are i in 1..=30 except 10, 20 and 30.
    let period = v["windows"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (period["good"].as_u64(), period["total"].as_u64()),
        (Some(27), Some(99))
    );

    let (status, ct, body) = get(&router, "GET", "/v1/slos/checkout/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(ct.starts_with("application/json"));
    assert_eq!(body, r#"{"error":"no SLO checkout/nope"}"#);
}

#[tokio::test]
async fn alerts_health_and_readiness() {
    let (p, router) = app();
    let (status, _, body) = get(&router, "GET", "/v1/alerts").await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_str(&body).unwrap();
    let names: Vec<&str> = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    // 10 % errors against a 0.1 % budget burns at 100×: every burn-rate alert whose windows
    // hold the traffic fires.
    assert!(names.contains(&"page_1h_5m"), "{names:?}");
    assert_eq!(get(&router, "GET", "/healthz").await.0, StatusCode::OK);
    assert_eq!(
        get(&router, "GET", "/readyz").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    p.sink().caught_up();
    assert_eq!(get(&router, "GET", "/readyz").await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_page_and_its_assets_are_served() {
    let (_, router) = app();
    for (uri, want, marker) in [
        ("/", "text/html", "<main"),
        ("/slo/checkout/availability", "text/html", "/assets/app.js"),
        ("/assets/app.js", "text/javascript", "function lineChart"),
        ("/assets/style.css", "text/css", ".chart"),
    ] {
        let (status, ct, body) = get(&router, "GET", uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(ct.starts_with(want), "{uri}: {ct}");
        assert!(body.contains(marker), "{uri}");
    }
    let response = router
        .clone()
        .oneshot(
            Request::builder()
                .uri("/assets/app.js")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let (status, _, _) = get(&router, "GET", "/assets/missing.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

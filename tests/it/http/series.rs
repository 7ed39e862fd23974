//! `/v1/slos/{service}/{slo}/series`: each step counted exactly, and what it cannot count
//! exactly refused.

use axum::http::StatusCode;
use serde_json::Value;

use super::{app, get};
use crate::helpers::{NOON, parse_time};
use slipstream::time::SECOND;

#[tokio::test]
async fn series_counts_each_step_exactly() {
    let (_, router) = app();
    let uri = "/v1/slos/checkout/availability/series?window=5m&step=10s";
    let (status, ct, body) = get(&router, "GET", uri).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(ct.starts_with("application/json"));
    let v: Value = serde_json::from_str(&body).unwrap();
    // The window end is T = noon − 1 s: steps run from noon − 300 s to the last whole step.
    assert_eq!(v["evaluated_at"], "2026-11-20T11:59:59Z");
    assert_eq!(
        (v["window"].as_str(), v["step"].as_str()),
        (Some("5m"), Some("10s"))
    );
    assert_eq!(
        parse_time(v["start"].as_str().unwrap()),
        NOON - 300 * SECOND
    );
    assert_eq!(parse_time(v["end"].as_str().unwrap()), NOON - 10 * SECOND);
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), 29);
    for p in points {
        let t = parse_time(p["time"].as_str().unwrap());
        // One request a second from noon − 100 s; every tenth (the first of each step) a 500.
        if t > NOON - 100 * SECOND {
            assert_eq!(
                (p["good"].as_u64(), p["total"].as_u64()),
                (Some(9), Some(10)),
                "{p}"
            );
            assert!((p["sli"].as_f64().unwrap() - 0.9).abs() < 1e-12);
            assert!((p["burn_rate"].as_f64().unwrap() - 100.0).abs() < 1e-9);
            // Since the period start: one bad in ten, against 0.1 % allowed.
            let left = p["budget_remaining_ratio"].as_f64().unwrap();
            assert!((left + 99.0).abs() < 1e-9, "{p}");
        } else {
            assert_eq!(
                (p["good"].as_u64(), p["total"].as_u64()),
                (Some(0), Some(0))
            );
            assert!(p["sli"].is_null() && p["burn_rate"].is_null(), "{p}");
            assert_eq!(p["budget_remaining_ratio"], 1.0);
        }
    }
    // Defaults: a day at 10 min steps for a 30 d SLO.
    let (status, _, body) = get(&router, "GET", "/v1/slos/checkout/availability/series").await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (v["window"].as_str(), v["step"].as_str()),
        (Some("1d"), Some("10m"))
    );
}

#[tokio::test]
async fn series_refuses_what_it_cannot_count_exactly() {
    let (_, router) = app();
    let base = "/v1/slos/checkout/availability/series";
    for (query, says) in [
        ("?window=31d", "longer than the SLO period"),
        ("?window=1h&step=7s", "not a multiple of a bucket width"),
        ("?window=7d&step=1m", "not a multiple of a bucket width"),
        ("?window=1h&step=2h", "longer than the window"),
        ("?window=soon", "invalid duration"),
        ("?step=-5m", "invalid duration"),
    ] {
        let (status, ct, body) = get(&router, "GET", &format!("{base}{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(ct.starts_with("application/json"));
        let v: Value = serde_json::from_str(&body).unwrap();
        assert!(
            v["error"].as_str().unwrap().contains(says),
            "{query}: {body}"
        );
    }
    let (status, _, body) = get(&router, "GET", "/v1/slos/checkout/nope/series").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

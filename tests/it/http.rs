//! The HTTP API through the real router: shapes, status codes, `/metrics` line by line, and
//! requests that must not break anything.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::helpers::{NOON, alb_line, feed, parse_time, pipeline};
use slipstream::source::Sink;
use slipstream::time::{HOUR, SECOND};

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
async fn hostile_requests_get_json_errors() {
    let (_, router) = app();
    let long = format!("/v1/slos/{}/x", "a".repeat(20_000));
    for (method, uri, want) in [
        ("GET", "/nope", StatusCode::NOT_FOUND),
        ("GET", "/v1/slos/%ff%fe/%00", StatusCode::BAD_REQUEST),
        ("GET", long.as_str(), StatusCode::NOT_FOUND),
        ("GET", "/v1/slos/a/b/c", StatusCode::NOT_FOUND),
        ("POST", "/v1/slos", StatusCode::METHOD_NOT_ALLOWED),
        ("DELETE", "/metrics", StatusCode::METHOD_NOT_ALLOWED),
        ("GET", "/v1/slos?window=%%%", StatusCode::OK),
    ] {
        let (status, _, body) = get(&router, method, uri).await;
        assert_eq!(status, want, "{method} {uri}: {body}");
        if status != StatusCode::OK {
            let v: Value = serde_json::from_str(&body)
                .unwrap_or_else(|_| panic!("{method} {uri} not JSON: {body}"));
            assert!(v["error"].is_string(), "{body}");
        }
    }
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
async fn metrics_line_by_line() {
    let (_, router) = app();
    let (status, ct, body) = get(&router, "GET", "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    let lines: Vec<&str> = body.lines().collect();
    for want in [
        r#"slo:objective:ratio{sloth_id="checkout-availability",sloth_service="checkout",sloth_slo="availability"} 0.999"#,
        r#"slo:error_budget:ratio{sloth_id="quiet-availability",sloth_service="quiet",sloth_slo="availability"} 0.01"#,
        r#"slo:time_period:days{sloth_id="checkout-availability",sloth_service="checkout",sloth_slo="availability"} 30"#,
        r#"slo:sli_error:ratio_rate30d{sloth_id="checkout-availability",sloth_service="checkout",sloth_slo="availability",sloth_window="30d"} 0.10101010101010101"#,
        r#"slo:period_error_budget_remaining:ratio{sloth_id="quiet-availability",sloth_service="quiet",sloth_slo="availability"} 1"#,
        r#"slipstream_slo_events_total{service="checkout",slo="availability",result="good"} 90"#,
        r#"slipstream_slo_events_total{service="checkout",slo="availability",result="bad"} 10"#,
        r#"slipstream_slo_window_events{service="checkout",slo="availability",window="5m",result="total"} 99"#,
        r#"slipstream_decode_errors_total{format="alb",reason="missing_fields"} 1"#,
        r#"slipstream_events_total{outcome="applied"} 100"#,
        r#"slipstream_lines_total{partition="test-0"} 101"#,
        "# TYPE slo:current_burn_rate:ratio gauge",
    ] {
        assert!(lines.contains(&want), "missing line {want}\n{body}");
    }
    // The quiet service has no SLI error sample at all rather than NaN.
    assert!(!body.contains("NaN"));
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("slo:sli_error:") && l.contains("quiet"))
    );
    // Each family is declared once.
    let types: Vec<&&str> = lines.iter().filter(|l| l.starts_with("# TYPE")).collect();
    let mut unique = types.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(types.len(), unique.len());
}

/// `/metrics` reads each SLO's window counts and `/v1/slos` its report: for every SLO and
/// window both give the same numbers (counts, error ratio, the two burn rates).
#[tokio::test]
async fn metrics_agree_with_the_report_for_every_window() {
    // Two hours of traffic whose error ratio rises towards the end, so that every window
    // holds other counts.
    let (p, _) = pipeline(CONFIG, NOON);
    let lines: Vec<String> = (0..400)
        .map(|i| {
            let status = if i % 7 == 0 || i > 380 { 500 } else { 200 };
            let at = NOON - 2 * HOUR + i * 18 * SECOND;
            let latency = Some((0, 2 * i as u32, 0));
            alb_line(at, "checkout.example.com", "/a", status, latency)
        })
        .collect();
    feed(&p, 0, &lines, 50);
    let router = slipstream::serve::router(p);
    let (_, _, json) = get(&router, "GET", "/v1/slos").await;
    let (_, _, text) = get(&router, "GET", "/metrics").await;
    let v: Value = serde_json::from_str(&json).unwrap();
    let sample = |name: &str, labels: &str| -> Option<f64> {
        let prefix = format!("{name}{{{labels}}} ");
        let line = text.lines().find_map(|l| l.strip_prefix(prefix.as_str()));
        line.map(|x| x.parse().unwrap())
    };
    let mut windows = 0;
    for slo in v["slos"].as_array().unwrap() {
        let service = slo["service"].as_str().unwrap();
        let name = slo["slo"].as_str().unwrap();
        let sloth =
            format!(r#"sloth_id="{service}-{name}",sloth_service="{service}",sloth_slo="{name}""#);
        for w in slo["windows"].as_array().unwrap() {
            let window = w["window"].as_str().unwrap();
            let (good, total) = (w["good"].as_u64().unwrap(), w["total"].as_u64().unwrap());
            for (result, want) in [("good", good), ("total", total)] {
                let labels = format!(
                    r#"service="{service}",slo="{name}",window="{window}",result="{result}""#
                );
                let got = sample("slipstream_slo_window_events", &labels);
                assert_eq!(got, Some(want as f64), "{labels}");
            }
            let error = sample(
                &format!("slo:sli_error:ratio_rate{window}"),
                &format!(r#"{sloth},sloth_window="{window}""#),
            );
            let want = (total > 0).then(|| (total - good) as f64 / total as f64);
            assert_eq!(error, want, "{service}/{name} {window}");
            // serde_json reads a float to within an ulp, so the burn rates agree to 1e-12.
            let burn = w["burn_rate"].as_f64();
            let close = |got: Option<f64>| match (got, burn) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-12 * b.abs(),
                (a, b) => a == b,
            };
            if window == "5m" {
                let got = sample("slo:current_burn_rate:ratio", &sloth);
                assert!(close(got), "{service}/{name}: {got:?} against {burn:?}");
            }
            if slo["period"] == window {
                let got = sample("slo:period_burn_rate:ratio", &sloth);
                assert!(close(got), "{service}/{name}: {got:?} against {burn:?}");
            }
            windows += 1;
        }
    }
    // Three SLOs of several windows each, and windows of other counts.
    assert!(windows >= 15, "{windows} windows");
    let totals: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.starts_with(r#"slipstream_slo_window_events{service="checkout",slo="availability""#)
        })
        .filter_map(|l| l.rsplit_once(' ').map(|(_, v)| v))
        .collect();
    let mut distinct = totals.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(distinct.len() >= 4, "{totals:?}");
    assert!(text.contains("slo:current_burn_rate:ratio{"), "{text}");
}

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

#[tokio::test]
async fn limits_refuse_big_bodies_and_junk_in_json() {
    let (_, router) = app();
    // A body over the 64 KiB limit, declared or not, on a real route and on no route.
    for uri in ["/v1/slos", "/nope"] {
        for declared in [true, false] {
            let mut request = Request::builder().method("GET").uri(uri);
            if declared {
                request = request.header("content-length", 100_000);
            }
            let body = Body::from(vec![b'x'; 100_000]);
            let response = router
                .clone()
                .oneshot(request.body(body).unwrap())
                .await
                .unwrap();
            let status = response.status();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let text = String::from_utf8_lossy(&bytes);
            if declared {
                assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}: {text}");
                let v: Value = serde_json::from_str(&text).unwrap();
                assert!(v["error"].as_str().unwrap().contains("too large"), "{text}");
            } else {
                // No handler reads a body: an undeclared one is never buffered, only ignored.
                assert!(
                    status.is_success() || status == StatusCode::NOT_FOUND,
                    "{status}"
                );
            }
        }
    }
    let huge_query = format!("/v1/slos?{}", "a=%zz&".repeat(10_000));
    for (method, uri) in [
        ("GET", "/v1/slos/%zz/%"),
        ("GET", "/v1/slos/%C0%AF/x"),
        (
            "GET",
            "/v1/slos/checkout/availability/series?window=%ff%fe&step=%00",
        ),
        ("GET", huge_query.as_str()),
        ("BREW", "/v1/slos"),
        ("PROPFIND", "/metrics"),
        ("GET", "/v1/slos/%E2%82/%80"),
    ] {
        let (status, _, body) = get(&router, method, uri).await;
        assert!(
            status.is_client_error() || status.is_success(),
            "{method} {uri}: {status}"
        );
        if status.is_client_error() {
            let v: Value = serde_json::from_str(&body).unwrap_or_else(|_| {
                panic!("{method} {}: not JSON: {body}", &uri[..40.min(uri.len())])
            });
            assert!(v["error"].is_string());
        }
    }
    // Invalid UTF-8 cannot even be put in a `Uri`; percent-encoded it is a 400 above.
    assert!(axum::http::Uri::try_from(&b"/v1/\xff"[..]).is_err());
}

/// `/metrics` writes its per-SLO families a block of SLOs at a time: with more SLOs than a
/// block (400 here), every family still has one header, every SLO once and in configuration
/// order, and every service one info sample.
#[test]
fn metrics_of_many_slos_list_each_family_once_with_every_slo_in_order() {
    use slipstream::source::demo::{Generator, LineFormat, services, slo_config};
    let demo = services(100);
    let (p, _) = pipeline(&slo_config(&demo, "300ms"), NOON);
    let mut generator = Generator::new(7, demo.clone()).without_incidents();
    let lines: Vec<String> = (0..4_000)
        .map(|i| {
            let mut line = Vec::new();
            generator.write_line(NOON - HOUR + i * 900_000, LineFormat::Alb, &mut line);
            String::from_utf8(line).unwrap()
        })
        .collect();
    feed(&p, 0, &lines, 256);
    let objectives = &p.evaluate().objectives;
    assert_eq!(objectives.len(), 400);
    let text = slipstream::serve::metrics::render_now(&*p);

    let mut headers = std::collections::HashMap::new();
    for name in text.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
        *headers.entry(name.split(' ').next().unwrap()).or_insert(0) += 1;
    }
    assert!(headers.len() > 10, "{headers:?}");
    assert!(headers.values().all(|&n| n == 1), "{headers:?}");

    // The label value of `key` in a sample line.
    let label = |line: &str, key: &str| -> String {
        let at = line.find(&format!("{key}=\"")).unwrap() + key.len() + 2;
        line[at..].split('"').next().unwrap().to_string()
    };
    let samples = |name: &str| -> Vec<&str> {
        let prefix = format!("{name}{{");
        text.lines().filter(|l| l.starts_with(&prefix)).collect()
    };
    let configured: Vec<(String, String)> = objectives
        .iter()
        .map(|o| (o.service.to_string(), o.slo.to_string()))
        .collect();
    let native: Vec<(String, String)> = samples("slipstream_slo_no_data")
        .iter()
        .map(|l| (label(l, "service"), label(l, "slo")))
        .collect();
    assert_eq!(native, configured);
    let good: Vec<(String, String)> = samples("slipstream_slo_events_total")
        .iter()
        .filter(|l| l.contains("result=\"good\""))
        .map(|l| (label(l, "service"), label(l, "slo")))
        .collect();
    assert_eq!(good, configured);
    let sloth: Vec<(String, String)> = samples("slo:objective:ratio")
        .iter()
        .map(|l| (label(l, "sloth_service"), label(l, "sloth_slo")))
        .collect();
    assert_eq!(sloth, configured);
    let info: Vec<String> = samples("slipstream_service_info")
        .iter()
        .map(|l| label(l, "service"))
        .collect();
    let names: Vec<String> = demo.iter().map(|s| s.name.to_string()).collect();
    assert_eq!(info, names);
}

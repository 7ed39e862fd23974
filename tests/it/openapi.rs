//! `/openapi.json` stays true: real responses of every JSON endpoint, from a pipeline fed with
//! lines that make every optional part appear (calendar and timeslice budgets, a throughput
//! SLO, firing burn-rate and budget alerts, an unknown SLO, a bad request), validate against
//! the document's component schemas (JSON Schema 2020-12, `additionalProperties: false`), and
//! so do the refusals (401 without the bearer token, 413, 503) of every operation.

use axum::body::Body;
use axum::http::Request;
use axum::response::IntoResponse;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::helpers::{NOON, alb_line, feed, get_json as get, pipeline};
use slipstream::serve::ApiError;
use slipstream::time::{DAY, SECOND};

const CONFIG: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: openapi}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  attribution: {}
  services:
    - {name: checkout, match: {host: checkout.example.com}, owner: payments, tier: 2, oncall: pay,
       runbook_url: "https://rb.example/checkout", dashboard_url: "https://d.example/checkout",
       labels: {team: pay}}
    - {name: billing, match: {host: billing.example.com}, capacity: {max_rps: 2, instances: 2}}
    - {name: shop, match: {host: shop.example.com},
       canary: {canary: {path_prefix: /new}, baseline: {path_prefix: /old}, min_requests: 100}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: checkout}
spec:
  service: checkout
  indicators:
    - {name: availability, threshold: 99.9, window: 30d, sla: {objective: 99.5, period: month}}
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
---
apiVersion: reliability/v1
kind: ErrorBudgetPolicy
metadata: {name: checkout}
spec:
  service: checkout
  min_events: 2
  # Its condition holds from the first minutes on; its hold keeps it pending.
  burn_rate_thresholds: [{name: held, threshold: 2, duration: 1h, for: 2h}]
"#;

/// Validates `instance` against component schema `name` of `document`.
pub(crate) fn check(document: &Value, name: &str, instance: &Value, what: &str) {
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
    // The day before, in both services: complete days for the period reports.
    let yesterday: Vec<String> = (0..200)
        .map(|i| {
            let host = ["checkout.example.com", "billing.example.com"][i % 2];
            let status = if i % 10 == 0 { 503 } else { 200 };
            alb_line(
                NOON - DAY + i as i64 * SECOND,
                host,
                "/",
                status,
                Some((0, 20, 0)),
            )
        })
        .collect();
    feed(&p, 1, &yesterday, 200);
    // A canary failing every 3rd request against a baseline failing every 50th.
    let shop: Vec<String> = (0..1200)
        .map(|i| {
            let (path, bad) = if i % 2 == 0 {
                ("/new", i / 2 % 3 == 0)
            } else {
                ("/old", i / 2 % 50 == 0)
            };
            let t = NOON - 1200 * SECOND + i * SECOND;
            alb_line(
                t,
                "shop.example.com",
                path,
                if bad { 503 } else { 200 },
                Some((0, 30, 0)),
            )
        })
        .collect();
    feed(&p, 2, &shop, 200);
    feed(&p, 0, &lines, 200);
    let router = slipstream::serve::router(p.clone());
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
    assert!(slos.iter().any(|s| s["sla"].is_object()));
    assert!(slos.iter().any(|s| s["budget"].is_null()));
    assert!(
        slos.iter()
            .flat_map(|s| s["alerts"].as_array().unwrap())
            .any(|a| a["min_events"] == 2)
    );

    let (status, one) = get(&router, "/v1/slos/checkout/availability").await;
    assert_eq!(status, 200);
    check(&document, "SloReport", &one, "one SLO");
    assert_eq!(one["catalog"]["owner"], "payments");

    let (status, contributors) = get(
        &router,
        "/v1/slos/checkout/availability/contributors?by=status",
    )
    .await;
    assert_eq!(status, 200);
    check(
        &document,
        "ContributorsReport",
        &contributors,
        "contributors",
    );
    assert_eq!(contributors["contributors"][0]["key"], "503");
    assert!(
        slos.iter()
            .flat_map(|s| s["alerts"].as_array().unwrap())
            .any(|a| a["top_contributor"].is_string()),
        "firing alerts name their top contributor"
    );

    let (status, capacity) = get(&router, "/v1/capacity").await;
    assert_eq!(status, 200);
    check(&document, "CapacityReport", &capacity, "/v1/capacity");
    assert!(capacity["services"][0]["peak_7d"].is_object());
    assert!(capacity["services"][1]["capacity"].is_object());

    let (status, canary) = get(&router, "/v1/canary/shop").await;
    assert_eq!(status, 200);
    check(&document, "CanaryReport", &canary, "/v1/canary/shop");
    assert_eq!(canary["verdict"], "roll_back", "{canary}");
    assert_eq!(canary["checks"].as_array().map(Vec::len), Some(2));
    let (status, every) = get(&router, "/v1/canary").await;
    assert_eq!(status, 200);
    check(&document, "CanaryList", &every, "/v1/canary");
    assert_eq!(every["canaries"][0], canary);
    let (status, sparse) = get(&router, "/v1/canary/shop/check?window=1m").await;
    assert_eq!(status, 425, "{sparse}");
    check(&document, "CanaryReport", &sparse, "/v1/canary/shop/check");

    let (status, catalog) = get(&router, "/v1/catalog").await;
    assert_eq!(status, 200);
    check(&document, "Catalog", &catalog, "/v1/catalog");
    assert_eq!(catalog["services"][0]["labels"]["team"], "pay");
    assert_eq!(catalog["services"][1]["service"], "billing");
    assert_eq!(
        one["budget"]["exhaustion"].as_array().map(Vec::len),
        Some(3),
        "{one}"
    );
    let (status, series) = get(&router, "/v1/slos/checkout/availability/series").await;
    assert_eq!(status, 200);
    check(&document, "Series", &series, "series");
    for uri in ["/v1/reports?period=day&count=2", "/v1/reports?period=month"] {
        let (status, periods) = get(&router, uri).await;
        assert_eq!(status, 200, "{periods}");
        check(&document, "PeriodsReport", &periods, uri);
        // A day with traffic ended before NOON: rows, worst days and throughput are there.
        let rows: Vec<&Value> = periods["slos"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["periods"].as_array().unwrap())
            .collect();
        assert!(rows.iter().any(|r| r["worst_day"].is_object()), "{periods}");
        assert!(rows.iter().any(|r| r["observed_per_second"].is_number()));
        assert!(
            rows.iter()
                .any(|r| r["downtime_equivalent_minutes"].is_number())
        );
    }

    let impact = format!(
        "/v1/slos/checkout/availability/impact?start={}&end={}",
        crate::helpers::iso(NOON - 1200 * SECOND),
        crate::helpers::iso(NOON - 600 * SECOND)
    );
    let (status, r) = get(&router, &impact).await;
    assert_eq!(status, 200, "{r}");
    check(&document, "ImpactReport", &r, "impact");
    assert!(r["events"].as_u64().unwrap() > 0, "{r}");

    for uri in [
        "/v1/gate?service=checkout",
        "/v1/gate?service=billing&override=hotfix",
    ] {
        let (status, gate) = get(&router, uri).await;
        assert_eq!(status, 200, "{gate}");
        check(&document, "GateReport", &gate, uri);
    }

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
    let pending = alerts["pending"].as_array().unwrap();
    assert!(pending.iter().any(|a| a["name"] == "held"), "{alerts}");
    check(&document, "AlertsReport", &alerts, "/v1/alerts");
    let (status, prom) = get(&router, "/api/v1/alerts").await;
    assert_eq!(status, 200);
    let states: Vec<&Value> = prom["data"]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["state"])
        .collect();
    assert!(
        states.contains(&&json!("firing")) && states.contains(&&json!("pending")),
        "{prom}"
    );
    check(&document, "PrometheusAlerts", &prom, "/api/v1/alerts");

    let (_, health) = get(&router, "/healthz").await;
    check(&document, "Health", &health, "/healthz");
    let (_, ready) = get(&router, "/readyz").await;
    check(&document, "Ready", &ready, "/readyz");
    // A reload rejected for a restart-only field: its error and the field are in the body.
    let changed = CONFIG.replacen("  source:", "  listen: 127.0.0.1:9988\n  source:", 1);
    assert!(
        p.reload(slipstream::config::parse(&changed, "t.yaml"))
            .is_err()
    );
    let (_, ready) = get(&router, "/readyz").await;
    assert_eq!(ready["restart_required"], json!(["spec.listen"]), "{ready}");
    check(
        &document,
        "Ready",
        &ready,
        "/readyz after a rejected reload",
    );
    for (uri, expected) in [
        ("/v1/slos/checkout/nope", 404),
        ("/v1/slos/checkout/availability/series?window=banana", 400),
        ("/v1/reports", 400),
        ("/v1/gate", 400),
        ("/v1/slos/checkout/availability/impact", 400),
        ("/v1/gate?service=nobody", 404),
        ("/v1/reports?period=year", 400),
        ("/v1/reports?period=day&count=0", 400),
        ("/v1/reports?period=day&service=checkout&slo=nope", 404),
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
        "/v1/reports",
        "/v1/gate",
        "/v1/slos/{service}/{slo}/impact",
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

/// The schema documented for `status` of `method path` (a `$ref` to a shared response
/// followed).
fn response_schema(document: &Value, path: &str, method: &str, status: &str) -> Value {
    let mut response = &document["paths"][path][method]["responses"][status];
    if let Some(r) = response["$ref"].as_str() {
        let name = r.strip_prefix("#/components/responses/").unwrap();
        response = &document["components"]["responses"][name];
    }
    let schema = response["content"]["application/json"]["schema"].clone();
    assert!(schema.is_object(), "{path}: no JSON schema for {status}");
    schema
}

/// Validates `instance` against the schema documented for `status` of `method path`.
fn check_response(document: &Value, path: &str, method: &str, status: &str, instance: &Value) {
    let mut root = document.clone();
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    for (k, v) in response_schema(document, path, method, status)
        .as_object()
        .unwrap()
    {
        root[k] = v.clone();
    }
    let validator = jsonschema::draft202012::new(&root).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{path} {status}: {errors:#?}\n{instance:#}"
    );
}

/// `path` of the document with its parameters filled in for a known SLO.
fn concrete(path: &str) -> String {
    path.replace("{service}", "checkout")
        .replace("{slo}", "availability")
        .replace("{id}", "0")
}

/// Every `(path, method)` of the document.
fn operations(document: &Value) -> Vec<(String, String)> {
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| (path.clone(), m.clone()))
        })
        .collect()
}

const PROBES: [&str; 2] = ["/healthz", "/readyz"];

#[tokio::test]
async fn refusals_match_their_documented_responses() {
    let (p, _) = pipeline(CONFIG, NOON);
    let token = slipstream::serve::auth::Token::new("t0ken").unwrap();
    let router = slipstream::serve::router_with_auth(p, Some(token));
    let document: Value = serde_json::from_str(slipstream::serve::openapi::DOCUMENT).unwrap();
    let send = |method: String, uri: String, token: bool, body_bytes: usize| {
        let router = router.clone();
        async move {
            let mut request = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri);
            if token {
                request = request.header("authorization", "Bearer t0ken");
            }
            if body_bytes > 0 {
                request = request.header("content-length", body_bytes);
            }
            let response = router
                .oneshot(request.body(Body::from(vec![b'x'; body_bytes])).unwrap())
                .await
                .unwrap();
            let status = response.status().as_u16();
            let challenge = response.headers().get("www-authenticate").cloned();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            let body: Value = serde_json::from_slice(&body)
                .unwrap_or_else(|e| panic!("{uri}: {e}: {}", String::from_utf8_lossy(&body)));
            (status, challenge, body)
        }
    };
    let too_large = slipstream::serve::limits::MAX_BODY_BYTES + 1;
    for (path, method) in operations(&document) {
        let (path, method) = (path.as_str(), method.as_str());
        let uri = concrete(path);
        if !PROBES.contains(&path) {
            let (status, challenge, body) = send(method.into(), uri.clone(), false, 0).await;
            assert_eq!(status, 401, "{method} {uri}");
            assert_eq!(challenge.unwrap(), "Bearer");
            check_response(&document, path, method, "401", &body);
        }
        let (status, _, body) = send(method.into(), uri.clone(), true, too_large).await;
        assert_eq!(status, 413, "{method} {uri}");
        check_response(&document, path, method, "413", &body);
        // Overload and timeout need 256 requests in flight or 10 s; their bodies come from
        // the same `ApiError` as the layers answer with.
        for error in [ApiError::Overloaded, ApiError::TimedOut] {
            let response = error.into_response();
            assert_eq!(response.status(), 503);
            let body = response.into_body().collect().await.unwrap().to_bytes();
            check_response(
                &document,
                path,
                method,
                "503",
                &serde_json::from_slice(&body).unwrap(),
            );
        }
    }
}

#[test]
fn every_operation_documents_auth_and_the_limits() {
    let document: Value = serde_json::from_str(slipstream::serve::openapi::DOCUMENT).unwrap();
    assert_eq!(
        document["components"]["securitySchemes"]["bearerAuth"]["type"],
        "http"
    );
    assert_eq!(
        document["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
    for (path, method) in operations(&document) {
        let op = &document["paths"][&path][&method];
        let responses = op["responses"].as_object().unwrap();
        for status in ["413", "503"] {
            assert!(
                responses.contains_key(status),
                "{method} {path}: no {status}"
            );
        }
        if PROBES.contains(&path.as_str()) {
            assert_eq!(op["security"], json!([]), "{path}");
            assert!(!responses.contains_key("401"), "{path}");
        } else {
            assert_eq!(op["security"], json!([{"bearerAuth": []}]), "{path}");
            assert!(responses.contains_key("401"), "{path}: no 401");
        }
    }
}

const CLUSTER_CONFIG: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: c}
spec:
  source:
    kafka: {brokers: ["127.0.0.1:9092"], topics: [logs], group_id: g}
  decode: {format: alb}
  cluster: {name: c, member_id: m1, advertise_url: "http://m1:9977"}
  services:
    - {name: checkout, match: {host: checkout.example.com}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: checkout}
spec:
  service: checkout
  indicators:
    - {name: availability, threshold: 99.9, window: 30d}
    - {name: throughput, threshold: 20, window: 5m, type: minimum}
"#;

/// A cluster member's answers (its fold fed log records by hand, no broker: a peer that
/// owns a partition, one whose heartbeat is old, one partition nobody claimed) match the
/// document, and a single instance's `/v1/cluster` is its documented 404.
#[tokio::test]
async fn cluster_answers_match_the_document() {
    use slipstream::cluster::fold::Epoch;
    use slipstream::cluster::record::{Delta, Fence, Heartbeat, Record, SloCounts, Source};
    use slipstream::cluster::shared::FoldTarget;
    let now = NOON;
    let config =
        slipstream::config::parse(CLUSTER_CONFIG, "c.yaml").unwrap_or_else(|e| panic!("{e}"));
    let p = slipstream::app::Pipeline::new(
        &config,
        std::sync::Arc::new(slipstream::clock::ManualClock::new(now)),
    );
    let shared = p.cluster.clone().unwrap();
    let src = |partition| Source {
        topic: "logs".into(),
        partition,
    };
    shared.set_raw_partitions(vec![src(0), src(1), src(2)]);
    let target: &dyn FoldTarget = &*p;
    let fingerprints = target.fingerprints();
    let epoch = Epoch {
        number: 1,
        member: "m2".into(),
    };
    let beat = |member: &str, sent_us, partitions| Heartbeat {
        member: member.into(),
        url: format!("http://{member}:9977"),
        sent_us,
        partitions,
        applied: 3,
        lag: vec![(src(0), 7)],
        config: 42,
        slos: vec![1, 2],
        leaving: false,
        digest: None,
    };
    let records = [
        Record::Fence(Fence {
            source: src(0),
            epoch: epoch.clone(),
            start: 0,
            sent_us: now,
        }),
        Record::Delta(Box::new(Delta {
            source: src(0),
            epoch,
            from: 0,
            to: 5,
            sent_us: now,
            newest_us: Some(now - SECOND),
            slos: vec![SloCounts {
                slo: fingerprints.slos[0],
                seconds: vec![(now / SECOND - 2, 4, 5)],
            }],
            ..Delta::default()
        })),
        Record::Fence(Fence {
            source: src(1),
            epoch: Epoch {
                number: 1,
                member: "m3".into(),
            },
            start: 0,
            sent_us: now,
        }),
        Record::Heartbeat(beat("m2", now - SECOND, vec![src(0)])),
        Record::Heartbeat(beat("m3", now - 60 * SECOND, vec![src(1)])),
    ];
    for (i, r) in records.iter().enumerate() {
        shared.apply(i as u64, &r.encode(), target);
    }
    shared.at_end(records.len() as u64, now);
    let router = slipstream::serve::router(p.clone());
    let (_, document) = get(&router, "/openapi.json").await;
    for (uri, path) in [
        ("/v1/cluster", "/v1/cluster"),
        ("/v1/slos", "/v1/slos"),
        ("/v1/slos/checkout/availability", "/v1/slos/{service}/{slo}"),
        ("/v1/alerts", "/v1/alerts"),
        ("/readyz", "/readyz"),
    ] {
        let (status, body) = get(&router, uri).await;
        check_response(&document, path, "get", &status.to_string(), &body);
        if uri == "/v1/cluster" {
            assert_eq!(body["partial"], json!(true), "{body}");
            assert_eq!(
                body["missing"]["partitions"],
                json!(["logs/1", "logs/2"]),
                "m3 is gone and nobody claimed logs/2: {body}"
            );
            assert_eq!(
                body["missing"]["slos"],
                json!(["checkout/availability", "checkout/throughput"])
            );
            assert_eq!(body["config_mismatch"], json!(["m2"]));
        }
        if uri == "/v1/slos" {
            assert_eq!(body["partial"], json!(true));
            assert_eq!(body["slos"][0]["windows"][0]["total"], json!(5), "{body}");
        }
    }
    // Folds compare digests at every 256th offset: a peer whose digest differs is reported,
    // one whose digest matches is not.
    for offset in records.len() as u64..256 {
        let filler = Record::Heartbeat(beat("m9", now - SECOND, vec![]));
        shared.apply(offset, &filler.encode(), target);
    }
    let mine = shared
        .heartbeat(now, &fingerprints, vec![], false)
        .digest
        .expect("a digest at offset 256");
    assert_eq!(mine.0, 256);
    let mut same = beat("m2", now, vec![src(0)]);
    same.digest = Some(mine);
    shared.apply(256, &Record::Heartbeat(same).encode(), target);
    let mut other = beat("m3", now - 60 * SECOND, vec![src(1)]);
    other.digest = Some((256, mine.1 ^ 1));
    shared.apply(257, &Record::Heartbeat(other).encode(), target);
    shared.at_end(258, now);
    let (status, body) = get(&router, "/v1/cluster").await;
    check_response(&document, "/v1/cluster", "get", &status.to_string(), &body);
    assert_eq!(body["log"]["diverged"], json!(["m3"]), "{body}");
    assert_eq!(body["partial"], json!(true));
    // The log now ends before what the fold applied. One look may be a stale answer; still
    // so 5 s later with nothing applied, it was deleted or recreated: reported, and the
    // member is not ready.
    shared.at_end(2, now);
    let (_, body) = get(&router, "/v1/cluster").await;
    assert_eq!(body["log"]["reset"], json!(false), "{body}");
    shared.at_end(2, now + slipstream::cluster::shared::RESET_AFTER_US);
    let (status, body) = get(&router, "/v1/cluster").await;
    check_response(&document, "/v1/cluster", "get", &status.to_string(), &body);
    assert_eq!(body["log"]["reset"], json!(true), "{body}");
    assert_eq!(body["missing"]["log"], json!(true), "{body}");
    let (status, body) = get(&router, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("deleted or recreated"),
        "{body}"
    );
    check_response(&document, "/readyz", "get", "503", &body);
    let single = slipstream::config::parse(
        &CLUSTER_CONFIG.replace(
            "  cluster: {name: c, member_id: m1, advertise_url: \"http://m1:9977\"}\n",
            "",
        ),
        "s.yaml",
    )
    .unwrap();
    let router = slipstream::serve::router(slipstream::app::Pipeline::new(
        &single,
        std::sync::Arc::new(slipstream::clock::ManualClock::new(now)),
    ));
    let (status, body) = get(&router, "/v1/cluster").await;
    assert_eq!(status, 404);
    check_response(&document, "/v1/cluster", "get", "404", &body);
}

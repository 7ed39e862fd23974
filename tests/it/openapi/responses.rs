//! Real responses of every JSON endpoint validate against the document's schemas, and every
//! route is documented.

use serde_json::{Value, json};

use super::{CONFIG, check};
use crate::helpers::{NOON, alb_line, feed, get_json as get, pipeline};
use slipstream::time::{DAY, SECOND};

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

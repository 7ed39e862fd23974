//! Composite SLOs (OpenSLO v1 composite objectives): the checkout journey over three
//! services, weighted 1 (frontend latency), 0.5 (cart availability) and 2 (payment
//! availability). Every window, the budget and the burn rates of the composite equal
//! `Σ wᵢ·goodᵢ / Σ wᵢ·totalᵢ` computed here from the generated events with the configured
//! weights, for the exact `[start, end)` the report states; its burn-rate alert fires exactly
//! when that hand computation says so, in `/v1/slos`, `/v1/alerts`, `/api/v1/alerts` and
//! `/metrics`; and the answers match the OpenAPI document.

use serde_json::Value;

use crate::helpers::{NOON, Rng, alb_line, feed, get_json as get, parse_time, pipeline, slo_in};
use crate::openapi::check;
use slipstream::time::{HOUR, MINUTE, SECOND};

const CONFIG: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: journey}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services:
    - {name: frontend, match: {host: www.example.com}}
    - {name: cart, match: {host: cart.example.com}}
    - {name: payment, match: {host: pay.example.com}}
---
apiVersion: openslo/v1
kind: SLI
metadata: {name: payment-ok}
spec:
  ratioMetric:
    good: {metricSource: {type: slipstream, spec: {service: payment}}}
    total: {metricSource: {type: slipstream, spec: {service: payment}}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-journey, displayName: Checkout journey}
spec:
  service: frontend
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives:
    - displayName: pages within 300 ms
      target: 0.99
      indicator:
        metadata: {name: page-latency}
        spec:
          thresholdMetric: {metricSource: {type: slipstream, spec: {value: latency_ms}}}
      op: lte
      value: 300
    - target: 0.99
      compositeWeight: 0.5
      indicator:
        metadata: {name: cart-ok}
        spec:
          ratioMetric:
            good: {metricSource: {type: slipstream, spec: {service: cart}}}
            total: {metricSource: {type: slipstream, spec: {service: cart}}}
    - targetPercent: 99
      compositeWeight: 2
      indicatorRef: payment-ok
  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: journey-page}
      spec:
        description: page the journey on-call
        conditions:
          - kind: AlertCondition
            metadata:
              name: journey-fast-burn
              # slipstream's extension: the burn over 5m must cross the threshold too.
              annotations: {slipstream.dev/short-window: 5m}
            spec:
              severity: page
              condition: {kind: burnrate, op: gt, threshold: 10, lookbackWindow: 1h}
"#;

const TARGET: f64 = 0.99;

/// One generated request: when, which service (index into [`SERVICES`]), and whether it is
/// bad for that service's component (a 5xx, or for the frontend slower than 300 ms).
#[derive(Debug, Clone, Copy)]
struct Request {
    t_us: i64,
    service: usize,
    bad: bool,
}

/// Host and configured compositeWeight of each component, in objective order.
const SERVICES: [(&str, f64); 3] = [
    ("www.example.com", 1.0),
    ("cart.example.com", 0.5),
    ("pay.example.com", 2.0),
];

/// `minutes` minutes from `start`: per minute 12 frontend, 5 cart and 4 payment requests;
/// payment fails at `payment_error_ppm` and the others at a low rate.
fn generate(
    rng: &mut Rng,
    start: i64,
    minutes: i64,
    payment_error_ppm: u64,
) -> (Vec<Request>, Vec<String>) {
    let mut requests = Vec::new();
    let mut lines = Vec::new();
    for m in 0..minutes {
        for (service, per_minute, error_ppm) in
            [(0, 12, 10_000), (1, 5, 20_000), (2, 4, payment_error_ppm)]
        {
            for i in 0..per_minute {
                let t = start + m * MINUTE + i * (MINUTE / per_minute) + service as i64 * SECOND;
                let failed = rng.below(1_000_000) < error_ppm;
                let status = if failed { 503 } else { 200 };
                // The frontend's component is a latency SLI: 1 in 100 pages is slow.
                let latency_ms = if service == 0 && rng.below(100) == 0 {
                    450
                } else {
                    120
                };
                let bad = failed || (service == 0 && latency_ms > 300);
                requests.push(Request {
                    t_us: t,
                    service,
                    bad,
                });
                lines.push(alb_line(
                    t,
                    SERVICES[service].0,
                    "/checkout",
                    status,
                    Some((1, latency_ms - 2, 1)),
                ));
            }
        }
    }
    (requests, lines)
}

/// `(Σ wᵢ·goodᵢ, Σ wᵢ·totalᵢ)` of the requests in `[start, end)`, with the configured weights.
fn weighted(requests: &[Request], start: i64, end: i64) -> (f64, f64) {
    let mut good = 0.0;
    let mut total = 0.0;
    for r in requests.iter().filter(|r| (start..end).contains(&r.t_us)) {
        let w = SERVICES[r.service].1;
        total += w;
        if !r.bad {
            good += w;
        }
    }
    (good, total)
}

/// The burn rate over the window labelled `label` of `slo`, by hand.
fn burn(slo: &Value, label: &str, requests: &[Request]) -> f64 {
    let w = window(slo, label);
    let (good, total) = weighted(requests, time(&w["start"]), time(&w["end"]));
    (total - good) / total / (1.0 - TARGET)
}

fn time(v: &Value) -> i64 {
    parse_time(v.as_str().unwrap())
}

fn window<'a>(slo: &'a Value, label: &str) -> &'a Value {
    slo["windows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["window"] == label)
        .unwrap_or_else(|| panic!("no window {label}"))
}

fn close(got: &Value, want: f64, what: &str) {
    let got = got.as_f64().unwrap_or_else(|| panic!("{what}: {got}"));
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: got {got}, computed {want}"
    );
}

/// Checks every window and the budget of the composite entry against the hand computation.
fn check_composite(slo: &Value, requests: &[Request]) {
    let unit = slo["composite"]["weight_unit"].as_f64().unwrap();
    for w in slo["windows"].as_array().unwrap() {
        let label = w["window"].as_str().unwrap();
        let (good, total) = weighted(requests, time(&w["start"]), time(&w["end"]));
        assert!(total > 0.0, "{label} holds requests");
        // Counts are weighted events in units of weight_unit.
        assert_eq!(w["good"].as_f64().unwrap() * unit, good, "{label} good");
        assert_eq!(w["total"].as_f64().unwrap() * unit, total, "{label} total");
        close(&w["sli"], good / total, &format!("{label} sli"));
        close(
            &w["burn_rate"],
            (total - good) / total / (1.0 - TARGET),
            &format!("{label} burn rate"),
        );
    }
    let b = &slo["budget"];
    let (good, total) = weighted(requests, time(&b["start"]), time(&b["end"]));
    assert_eq!(b["good"].as_f64().unwrap() * unit, good, "budget good");
    assert_eq!(b["total"].as_f64().unwrap() * unit, total, "budget total");
    assert_eq!(
        b["bad"].as_f64().unwrap() * unit,
        total - good,
        "budget bad"
    );
    close(&slo["sli"], good / total, "sli over the period");
    // remaining = 1 − bad / ((1 − objective) × total), in any unit.
    close(
        &b["remaining_ratio"],
        1.0 - (total - good) / ((1.0 - TARGET) * total),
        "remaining budget",
    );
    close(
        &b["allowed_bad"],
        (1.0 - TARGET) * total / unit,
        "allowed bad (in counted units)",
    );
}

#[tokio::test]
async fn a_composite_is_the_weighted_sum_of_its_components_and_alerts() {
    let start = NOON - 2 * HOUR;
    let (p, clock) = pipeline(CONFIG, start);
    // The wall clock is set before each batch, so that no event is in the future.
    let mut rng = Rng(11);
    // 100 quiet minutes: payment fails at 1 %.
    let (mut requests, lines) = generate(&mut rng, start, 100, 10_000);
    clock.set(start + 100 * MINUTE + 5 * SECOND);
    feed(&p, 0, &lines, 250);
    let router = slipstream::serve::router(p.clone());
    let (_, report) = get(&router, "/v1/slos").await;
    let journey = slo_in(&report, "frontend/checkout-journey");
    assert_eq!(journey["kind"], "composite");
    assert_eq!(journey["display_name"], "Checkout journey");
    check_composite(journey, &requests);
    let alert = &journey["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "journey-fast-burn")
        .expect("the policy's alert")
        .clone();
    let fires = |slo: &Value, requests: &[Request]| {
        burn(slo, "1h", requests) > 10.0 && burn(slo, "5m", requests) > 10.0
    };
    assert!(!fires(journey, &requests), "quiet: the hand computation");
    assert_eq!(alert["firing"], false);

    // Twenty minutes of payment failing 90 % of the time: weighted twice, it burns the
    // journey's budget about 12 times too fast over the hour.
    let (incident, lines) = generate(&mut rng, start + 100 * MINUTE, 20, 900_000);
    requests.extend(incident);
    clock.set(NOON + 5 * SECOND);
    feed(&p, 0, &lines, 250);
    let (_, report) = get(&router, "/v1/slos").await;
    let journey = slo_in(&report, "frontend/checkout-journey");
    check_composite(journey, &requests);
    assert!(fires(journey, &requests), "incident: the hand computation");
    let alert = journey["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "journey-fast-burn")
        .unwrap();
    assert_eq!(alert["firing"], true, "{alert}");
    assert_eq!(alert["action"], "page the journey on-call");
    // The weights as configured, and how each counts.
    assert_eq!(journey["composite"]["weight_unit"], 0.5);
    let components: Vec<(String, f64, u64)> = journey["composite"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                format!(
                    "{}/{}",
                    c["service"].as_str().unwrap(),
                    c["slo"].as_str().unwrap()
                ),
                c["weight"].as_f64().unwrap(),
                c["units"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        components,
        [
            ("frontend/checkout-journey-1".to_string(), 1.0, 2),
            ("cart/checkout-journey-2".to_string(), 0.5, 1),
            ("payment/checkout-journey-3".to_string(), 2.0, 4),
        ]
    );
    // Each component is an SLO of its own service, unweighted, alerting nobody.
    for (i, (id, _, _)) in components.iter().enumerate() {
        let c = slo_in(&report, id);
        assert_eq!(c["component_of"], "frontend/checkout-journey");
        assert!(c["alerts"].as_array().unwrap().is_empty(), "{id}");
        let w = window(c, "1h");
        let (start, end) = (time(&w["start"]), time(&w["end"]));
        let mine: Vec<&Request> = requests
            .iter()
            .filter(|r| r.service == i && (start..end).contains(&r.t_us))
            .collect();
        assert_eq!(w["total"], mine.len(), "{id}");
        assert_eq!(w["good"], mine.iter().filter(|r| !r.bad).count(), "{id}");
    }

    // The same alert for pollers, Prometheus-style pollers and scrapers.
    let (_, alerts) = get(&router, "/v1/alerts").await;
    assert!(
        alerts["alerts"].as_array().unwrap().iter().any(|a| {
            a["service"] == "frontend"
                && a["slo"] == "checkout-journey"
                && a["name"] == "journey-fast-burn"
        }),
        "{alerts:#}"
    );
    let (_, prom) = get(&router, "/api/v1/alerts").await;
    assert!(
        prom["data"]["alerts"].as_array().unwrap().iter().any(|a| {
            a["labels"]["alertname"] == "journey-fast-burn"
                && a["labels"]["service"] == "frontend"
                && a["labels"]["slo"] == "checkout-journey"
                && a["labels"]["severity"] == "page"
        }),
        "{prom:#}"
    );
    let (_, metrics) = crate::helpers::get_text(&router, "/metrics").await;
    let firing = "slipstream_slo_alert_firing{service=\"frontend\",slo=\"checkout-journey\",alert=\"journey-fast-burn\",severity=\"page\"} 1";
    assert!(metrics.lines().any(|l| l == firing), "{metrics}");
    let w = window(journey, "1h");
    let (good, total) = weighted(&requests, time(&w["start"]), time(&w["end"]));
    let prefix = "slo:sli_error:ratio_rate1h{sloth_id=\"frontend-checkout-journey\"";
    let line = metrics
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {metrics}"));
    let value: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!((value - (total - good) / total).abs() < 1e-9, "{line}");

    // The answers match the OpenAPI document (composite and component fields included).
    let (_, document) = get(&router, "/openapi.json").await;
    check(&document, "Report", &report, "/v1/slos with a composite");
    let (status, one) = get(&router, "/v1/slos/frontend/checkout-journey").await;
    assert_eq!(status, 200);
    check(&document, "SloReport", &one, "the composite alone");
    check_composite(&one, &requests);
}

//! `/openapi.json` stays true: real responses of every JSON endpoint, from a pipeline fed with
//! lines that make every optional part appear (calendar and timeslice budgets, a throughput
//! SLO, firing burn-rate and budget alerts, an unknown SLO, a bad request), validate against
//! the document's component schemas (JSON Schema 2020-12, `additionalProperties: false`), and
//! so do the refusals (401 without the bearer token, 413, 503) of every operation.

mod cluster;
mod refusals;
mod responses;

use serde_json::{Value, json};

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

//! Loading whole configurations: the examples, every error with its path, the Pipeline count;
//! the shared helpers of the topic files under `tests/`.

mod attribution;
mod canary;
mod catalog;
mod decode;
mod pipeline;
mod policy;
mod slo;
mod source;

use super::*;
use crate::classify::Sli;
use crate::evaluate::{Ppb, Target};
use crate::time::{MINUTE, SECOND, format_duration};

const ISSUE_EXAMPLE: &str = include_str!("../../config/alb-example.yaml");

/// Every problem of `want` is in `got` (as `found(got, want)` tells), and nothing else is.
fn assert_found(got: &[String], want: &[&str], found: fn(&str, &str) -> bool) {
    for w in want {
        assert!(
            got.iter().any(|g| found(g, w)),
            "missing {w:?} in\n{}",
            got.join("\n")
        );
    }
    assert_eq!(got.len(), want.len(), "{}", got.join("\n"));
}

fn problems(text: &str) -> Vec<String> {
    match parse(text, "t.yaml") {
        Ok(_) => Vec::new(),
        Err(e) => e
            .problems
            .into_iter()
            .map(|p| format!("{}: {}", p.location, p.message))
            .collect(),
    }
}

#[test]
fn the_issue_example_loads_with_every_slo_and_alert() {
    let c = parse(ISSUE_EXAMPLE, "alb-example.yaml").expect("valid");
    assert_eq!(c.start.name, "edge");
    assert_eq!(c.start.listen.to_string(), "127.0.0.1:9977");
    assert_eq!(c.reload.format, Format::Alb);
    assert_eq!(c.reload.services.len(), 3);
    let ids: Vec<String> = c.reload.objectives.iter().map(|o| o.id()).collect();
    assert_eq!(
        ids,
        [
            "checkout/availability",
            "checkout/latency_p99",
            "checkout/error_rate",
            "checkout/throughput",
            "payments/availability"
        ]
    );
    let avail = &c.reload.objectives[0];
    assert_eq!(avail.target, Target::Ratio(Ppb(999_000_000)));
    assert_eq!(avail.period_us, 30 * crate::time::DAY);
    let names: Vec<&str> = avail.burn_alerts.iter().map(|a| &*a.name).collect();
    assert_eq!(
        names,
        [
            "page_1h_5m",
            "page_6h_30m",
            "ticket_1d_2h",
            "ticket_3d_6h",
            "fast_burn",
            "slow_burn"
        ]
    );
    let fast = &avail.burn_alerts[4];
    assert_eq!((fast.long_us, fast.short_us), (60 * SECOND, 5 * SECOND));
    assert_eq!(fast.severity, "page");
    assert_eq!(avail.burn_alerts[5].severity, "ticket");
    assert_eq!(&*avail.budget_alerts[0].name, "budget_below_50pct");
    let labels: Vec<String> = avail.windows.iter().map(|&w| format_duration(w)).collect();
    assert_eq!(
        labels,
        ["5s", "1m", "5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"]
    );
    assert_eq!(
        c.reload.objectives[1].target,
        Target::Ratio(Ppb(990_000_000))
    );
    assert_eq!(
        c.reload.rules[1].sli,
        Sli::Latency {
            threshold_us: 300_000
        }
    );
    assert_eq!(
        c.reload.objectives[2].target,
        Target::Ratio(Ppb(999_000_000))
    );
    assert_eq!(
        c.reload.objectives[3].target,
        Target::MinRate {
            milli_per_second: 50_000
        }
    );
    assert!(c.reload.objectives[3].burn_alerts.is_empty());
    assert_eq!(c.reload.objectives[3].windows, [5 * crate::time::MINUTE]);
    assert!(
        c.reload.objectives[4]
            .burn_alerts
            .iter()
            .all(|a| a.action.is_none())
    );
}

#[test]
fn every_file_in_config_loads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            load_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            n += 1;
        }
    }
    assert!(n >= 2, "expected the demo and ALB examples, found {n}");
    assert!(parse(DEMO_CONFIG, "demo.yaml").is_ok());
}

#[test]
fn every_error_is_reported_with_its_path() {
    let text = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: p}
spec:
  listen: nowhere
  source: {file: {paths: []}, stdin: {}}
  decode: {format: apache}
  window: {max_future: 5 parsecs}
  services:
    - {name: a, match: {host: ""}}
    - {name: a}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: s}
spec:
  service: a
  indicators:
    - {name: availability, threshold: 100, window: 30d}
    - {name: latency_p99, threshold: 300, window: 7d}
    - {name: latency_p99, threshold: "300ms", window: forever}
    - {name: saturation, threshold: 1, window: 1d}
    - {name: throughput, threshold: 5, window: 5m}
  compliance: calendar
  alert_budgets: [{threshold: 1.5, severity: warning}]
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: ghost}
spec: {service: nobody, indicators: [{name: availability, threshold: 99, window: 1d}]}
---
apiVersion: reliability/v1
kind: ErrorBudgetPolicy
metadata: {name: pol}
spec:
  service: a
  burn_rate_thresholds: [{name: f, threshold: -1, duration: 1m, short_window: 2m}]
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: typo}
spec: {service: a, indicatorz: []}
---
apiVersion: v9
kind: Gadget
metadata: {name: g}
"#;
    let got = problems(text);
    let want = [
        "t.yaml: document 5 (ServiceLevelObjective typo): spec.indicatorz: unknown field `indicatorz`",
        "t.yaml: document 6 (Gadget g): unknown document v9/Gadget",
        "t.yaml: document 1 (Pipeline p): spec.listen: \"nowhere\" is not an address",
        "t.yaml: document 1 (Pipeline p): spec.source: set exactly one of kafka, file, stdin, demo (found 2)",
        "t.yaml: document 1 (Pipeline p): spec.decode.format: unknown format \"apache\"",
        "t.yaml: document 1 (Pipeline p): spec.window.max_future: invalid duration \"5 parsecs\"",
        "t.yaml: document 1 (Pipeline p): spec.services[0].match.host: must not be empty",
        "t.yaml: document 1 (Pipeline p): spec.services[1].name: duplicate service \"a\"",
        "t.yaml: document 4 (ErrorBudgetPolicy pol): spec.burn_rate_thresholds[0].threshold: must be a positive",
        "t.yaml: document 4 (ErrorBudgetPolicy pol): spec.burn_rate_thresholds[0].short_window: 2m is longer",
        "t.yaml: document 2 (ServiceLevelObjective s): spec.calendar: required with compliance: calendar",
        "t.yaml: document 2 (ServiceLevelObjective s): spec.alert_budgets[0].threshold: must be",
        "t.yaml: document 2 (ServiceLevelObjective s): spec.indicators[0].threshold: must be a percentage",
        "t.yaml: document 2 (ServiceLevelObjective s): spec.indicators[1].threshold: must be a duration",
        "t.yaml: document 2 (ServiceLevelObjective s): spec.indicators[2].window: invalid duration \"forever\"",
        "t.yaml: document 2 (ServiceLevelObjective s): spec.indicators[3].name: unknown indicator \"saturation\"",
        "t.yaml: document 2 (ServiceLevelObjective s): spec.indicators[4].type: throughput needs `type: minimum`",
        "t.yaml: document 3 (ServiceLevelObjective ghost): spec.service: unknown service \"nobody\"",
    ];
    assert_found(&got, &want, |g, w| g.starts_with(w));
}

#[test]
fn a_config_needs_exactly_one_pipeline() {
    let got = problems(
        "apiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {name: s}\nspec: {service: a, indicators: []}\n",
    );
    assert_eq!(
        got,
        [
            "t.yaml: expected exactly one slipstream/v1 Pipeline document, found 0",
            "t.yaml: document 1 (ServiceLevelObjective s): spec.indicators: at least one indicator is required"
        ]
    );
    let got = problems("a: [unclosed\n");
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].contains("invalid YAML"), "{got:?}");
}

#[test]
fn percentiles_read_like_their_names() {
    use super::reliability::percentile as p;
    assert_eq!(p("99"), Some(Ppb(990_000_000)));
    assert_eq!(p("999"), Some(Ppb(999_000_000)));
    assert_eq!(p("9999"), Some(Ppb(999_900_000)));
    assert_eq!(p("50"), Some(Ppb(500_000_000)));
    assert_eq!(p("5"), Some(Ppb(50_000_000)));
    assert_eq!(p("x"), None);
}

/// A Pipeline with `decode` replaced by `decode_yaml` and a stdin source.
fn pipeline_with(decode_yaml: &str, source_yaml: &str) -> String {
    format!(
        "apiVersion: slipstream/v1\nkind: Pipeline\nmetadata: {{name: p}}\nspec:\n  source: {source_yaml}\n  decode: {decode_yaml}\n  services: [{{name: a}}]\n"
    )
}

#[test]
fn a_config_without_a_pipeline_reports_every_other_error_too() {
    let text = r#"
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: s}
spec:
  service: a
  compliance: calendar
  indicators: []
---
apiVersion: reliability/v1
kind: ErrorBudgetPolicy
metadata: {name: pol}
spec: {service: a, tiers: {caution: 0.1, slow_down: 0.2, freeze: 0.3}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: o}
spec:
  service: a
  indicatorRef: nowhere
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Sometimes
  objectives: [{target: 1.5}]
"#;
    let got = problems(text);
    let want = [
        "t.yaml: expected exactly one slipstream/v1 Pipeline document, found 0",
        "t.yaml: document 1 (ServiceLevelObjective s): spec.calendar: required with compliance: calendar",
        "t.yaml: document 1 (ServiceLevelObjective s): spec.indicators: at least one indicator is required",
        "t.yaml: document 2 (ErrorBudgetPolicy pol): spec.tiers: tiers must satisfy caution > slow_down > freeze",
        "t.yaml: document 3 (SLO o): spec.indicatorRef: no SLI named \"nowhere\"",
        "t.yaml: document 3 (SLO o): spec.budgetingMethod: unknown budgeting method \"Sometimes\"",
        "t.yaml: document 3 (SLO o): spec.objectives[0].target: 1.5 is not a fraction",
    ];
    assert_found(&got, &want, |g, w| g.starts_with(w));
}

/// A Kafka pipeline (no secrets) with `cluster_yaml` as `spec.cluster`.
fn cluster_pipeline(source_yaml: &str, cluster_yaml: &str) -> String {
    format!(
        "apiVersion: slipstream/v1\nkind: Pipeline\nmetadata: {{name: c}}\nspec:\n  source: {source_yaml}\n  decode: {{format: alb}}\n  services: [{{name: a}}]\n  cluster: {cluster_yaml}\n"
    )
}

const KAFKA_SOURCE: &str = "{kafka: {brokers: [\"127.0.0.1:9092\"], topics: [logs], group_id: g, options: {group.instance.id: pod-0}}}";

/// A Pipeline reading ALB lines from stdin with one service, `a`, the spec lines
/// `pipeline_extra` (each ending with a newline), then the documents `docs`.
fn service_a(pipeline_extra: &str, docs: &str) -> String {
    format!(
        "apiVersion: slipstream/v1\nkind: Pipeline\nmetadata: {{name: p}}\nspec:\n  source: {{stdin: {{}}}}\n  decode: {{format: alb}}\n{pipeline_extra}  services: [{{name: a}}]\n{docs}"
    )
}

/// A Pipeline with the services `services_yaml` (a YAML list) and the documents `docs`.
fn with_services(services_yaml: &str, docs: &str) -> String {
    format!(
        "apiVersion: slipstream/v1\nkind: Pipeline\nmetadata: {{name: p}}\nspec:\n  source: {{stdin: {{}}}}\n  decode: {{format: alb}}\n  services: {services_yaml}\n{docs}"
    )
}

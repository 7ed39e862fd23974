//! The Prometheus alert rules and every query: each rule complete, promtool's checks and unit
//! tests, and every metric that an alert, an alert test or the dashboard queries is one
//! slipstream serves (collected from `/metrics` of the ConfigMap's configuration, in cluster
//! mode and as a single instance).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_yaml_ng::Value as Yaml;
use tower::ServiceExt;

use super::{configmap_config, dashboard, deploy_dir, panels, s, yaml_docs};
use crate::helpers::{NOON, alb_line, feed};
use slipstream::app::Pipeline;
use slipstream::clock::ManualClock;
use slipstream::config;
use slipstream::time::SECOND;

/// Names a query may use that slipstream does not serve: series Prometheus makes itself.
const PROMETHEUS_SERIES: [&str; 1] = ["up"];

/// The ConfigMap's configuration as a single instance would run it: its `spec.cluster`
/// block replaced by a checkpoint in `dir` (the alert rules and the dashboard serve both).
fn single_instance(text: &str, dir: &Path) -> String {
    let mut out = String::new();
    let mut in_cluster = false;
    for line in text.lines() {
        if line == "  cluster:" {
            in_cluster = true;
            out.push_str(&format!(
                "  checkpoint: {{dir: {}, interval: 10s}}\n",
                dir.display()
            ));
            continue;
        }
        if in_cluster && line.starts_with("    ") {
            continue;
        }
        in_cluster = false;
        out.push_str(line);
        out.push('\n');
    }
    assert!(
        out.contains("  checkpoint: "),
        "no spec.cluster block to replace"
    );
    out
}

/// Every metric family `/metrics` serves once it has read, checkpointed and measured
/// consumer lag: for the ConfigMap's configuration (cluster mode) and for the same one run
/// as a single instance with a checkpoint (systemd, Docker).
async fn served_metric_names() -> BTreeSet<String> {
    let state = tempfile::tempdir().unwrap();
    let cluster = configmap_config();
    let single = single_instance(&cluster, state.path());
    let mut names = BTreeSet::new();
    for text in [cluster, single] {
        names.extend(metric_names_of(&text).await);
    }
    names
}

/// Every metric family `/metrics` serves for the configuration `text` once it has read,
/// checkpointed (when it checkpoints) and measured consumer lag.
async fn metric_names_of(text: &str) -> BTreeSet<String> {
    let config = config::parse(text, "configmap.yaml").unwrap_or_else(|e| panic!("{e}"));
    let p = Pipeline::open(&config, Arc::new(ManualClock::new(NOON))).unwrap();
    let hosts = [
        "checkout.example.com",
        "search.example.com",
        "auth.example.com",
        "catalog.example.com",
        "unknown.example.com",
    ];
    let mut lines: Vec<String> = (0..200)
        .map(|i| {
            alb_line(
                NOON - 200 * SECOND + i * SECOND,
                hosts[i as usize % hosts.len()],
                "/a",
                if i % 7 == 0 { 503 } else { 200 },
                Some((1, 20, 1)),
            )
        })
        .collect();
    lines.push("garbage".into());
    feed(&p, 0, &lines, 64);
    p.checkpoint();
    p.source_telemetry
        .lag
        .lock()
        .unwrap()
        .insert("alb-logs/0".into(), 3);
    let response = slipstream::serve::router(p)
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8(body.to_vec()).unwrap();
    body.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap().to_string())
        .collect()
}

/// Metric names in a PromQL expression: identifiers outside strings, label matchers, range
/// selectors and `by`/`without`/`on`/`ignoring`/`group_*` lists that are neither functions,
/// aggregations nor keywords. Grafana variables (`$x`) are skipped.
fn promql_metrics(expr: &str) -> BTreeSet<String> {
    const KEYWORDS: [&str; 19] = [
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "sum",
        "min",
        "max",
        "avg",
        "count",
        "stddev",
        "stdvar",
        "topk",
        "bottomk",
        "quantile",
        "count_values",
        "group",
        "inf",
        "nan",
    ];
    const LABEL_LISTS: [&str; 6] = [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ];
    let b = expr.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b':';
    let mut names = BTreeSet::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'"' | b'\'' | b'`') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                while i < b.len() && b[i] != close {
                    if b[i] == b'"' {
                        i += 1;
                        while i < b.len() && b[i] != b'"' {
                            i += if b[i] == b'\\' { 2 } else { 1 };
                        }
                    }
                    i += 1;
                }
                i += 1;
            }
            b'$' => {
                i += 1;
                while i < b.len() && ident(b[i]) {
                    i += 1;
                }
            }
            c if c.is_ascii_digit() || c == b'.' => {
                while i < b.len() && (ident(b[i]) || b[i] == b'.') {
                    i += 1;
                }
            }
            c if ident(c) => {
                let start = i;
                while i < b.len() && ident(b[i]) {
                    i += 1;
                }
                let word = &expr[start..i];
                let rest = expr[i..].trim_start();
                if LABEL_LISTS.contains(&word) {
                    // Skip the label list that follows, if any (`group_left` may have none).
                    if rest.starts_with('(') {
                        let close = rest.find(')').expect("closing parenthesis");
                        i = expr.len() - rest.len() + close + 1;
                    }
                } else if !rest.starts_with('(') && !KEYWORDS.contains(&word) {
                    names.insert(word.to_string());
                }
            }
            _ => i += 1,
        }
    }
    names
}

#[test]
fn promql_metric_extraction() {
    let got = promql_metrics(
        r#"sum without (format, reason) (rate(slipstream_decode_errors_total{job=~"$job", x="a{b}"}[$__rate_interval]))
           / on (instance) group_left slo:sli_error:ratio_rate1h > 1e6 and absent(up) unless x_total offset 5m"#,
    );
    let want = [
        "slipstream_decode_errors_total",
        "slo:sli_error:ratio_rate1h",
        "up",
        "x_total",
    ];
    assert_eq!(got, want.iter().map(|s| s.to_string()).collect());
}

/// (where, PromQL) of every alert rule and every dashboard query.
fn queries() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for rule in alert_rules() {
        out.push((
            format!("alert {}", s(&rule["alert"])),
            s(&rule["expr"]).to_string(),
        ));
    }
    let tests = deploy_dir().join("prometheus/slipstream-alerts.test.yaml");
    for test in yaml_docs(&tests).remove(0)["tests"]
        .as_sequence()
        .expect("tests")
    {
        for series in test["input_series"].as_sequence().expect("input_series") {
            let selector = s(&series["series"]).to_string();
            out.push(("alert test series".to_string(), selector));
        }
    }
    let dashboard = dashboard();
    for panel in panels(&dashboard) {
        for t in panel["targets"].as_array().into_iter().flatten() {
            out.push((
                format!("panel {}", panel["title"]),
                t["expr"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    for var in dashboard["templating"]["list"].as_array().unwrap() {
        let query = var["query"]["query"].as_str().or(var["query"].as_str());
        // label_values(<series selector>, <label>): only the selector is PromQL.
        if let Some(inner) = query.and_then(|q| q.strip_prefix("label_values(")) {
            let selector = inner.rsplit_once(',').map_or(inner, |(s, _)| s);
            out.push((format!("variable {}", var["name"]), selector.to_string()));
        }
    }
    out
}

#[tokio::test]
async fn queries_use_only_metrics_slipstream_serves() {
    let served = served_metric_names().await;
    for must in [
        "slipstream_kafka_consumer_lag",
        "slipstream_checkpoint_age_seconds",
        "slipstream_cluster_partial",
        "slo:period_error_budget_remaining:ratio",
        "slipstream_slo_alert_firing",
    ] {
        assert!(served.contains(must), "{must} not in {served:?}");
    }
    let queries = queries();
    assert!(queries.len() > 20);
    let mut used = BTreeSet::new();
    for (place, expr) in &queries {
        let names = promql_metrics(expr);
        assert!(!names.is_empty(), "{place}: no metric in {expr}");
        for name in names {
            assert!(
                served.contains(&name) || PROMETHEUS_SERIES.contains(&name.as_str()),
                "{place}: {name} is not a metric slipstream serves"
            );
            used.insert(name);
        }
    }
    assert!(used.len() > 20, "{used:?}");
}

fn alert_rules() -> Vec<Yaml> {
    let path = deploy_dir().join("prometheus/slipstream-alerts.yaml");
    let doc = yaml_docs(&path).remove(0);
    doc["groups"]
        .as_sequence()
        .expect("groups")
        .iter()
        .flat_map(|g| g["rules"].as_sequence().expect("rules").clone())
        .collect()
}

#[test]
fn every_alert_rule_is_complete() {
    let rules = alert_rules();
    assert!(rules.len() >= 10);
    let mut names = BTreeSet::new();
    for rule in &rules {
        let name = s(&rule["alert"]);
        assert!(!name.is_empty(), "a rule without alert: {rule:?}");
        assert!(names.insert(name), "{name} twice");
        assert!(!s(&rule["expr"]).is_empty(), "{name}: expr");
        assert!(!s(&rule["for"]).is_empty(), "{name}: for");
        assert!(
            !s(&rule["labels"]["severity"]).is_empty(),
            "{name}: severity"
        );
        assert!(
            !s(&rule["annotations"]["summary"]).is_empty(),
            "{name}: summary"
        );
        assert!(
            !s(&rule["annotations"]["description"]).is_empty(),
            "{name}: description"
        );
    }
    assert!(
        rules
            .iter()
            .any(|r| s(&r["expr"]).contains("slipstream_slo_alert_firing == 1"))
    );
}

/// Runs `promtool` with `args` in `deploy/prometheus`; `None` when it is not on PATH.
fn promtool(args: &[&str]) -> Option<std::process::Output> {
    std::process::Command::new("promtool")
        .args(args)
        .current_dir(deploy_dir().join("prometheus"))
        .output()
        .ok()
}

#[test]
fn promtool_accepts_and_unit_tests_the_alert_rules() {
    for args in [
        ["check", "rules", "slipstream-alerts.yaml"],
        ["test", "rules", "slipstream-alerts.test.yaml"],
    ] {
        let Some(out) = promtool(&args) else {
            eprintln!(
                "note: promtool is not on PATH; skipping `promtool {}`",
                args.join(" ")
            );
            return;
        };
        assert!(
            out.status.success(),
            "promtool {}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

//! The Grafana dashboard: a datasource variable, panels on it with unique ids, and a panel for
//! each metric that matters.

use std::collections::BTreeSet;

use super::{dashboard, panels};

#[test]
fn dashboard_has_a_datasource_variable_and_the_panels() {
    let d = dashboard();
    assert!(d["schemaVersion"].as_u64().unwrap() >= 36);
    let vars = d["templating"]["list"].as_array().unwrap();
    assert!(vars.iter().any(|v| v["name"] == "datasource"
        && v["type"] == "datasource"
        && v["query"] == "prometheus"));
    let panels = panels(&d);
    let mut ids = BTreeSet::new();
    for p in &panels {
        assert!(ids.insert(p["id"].as_u64().unwrap()), "panel id twice");
        assert_eq!(p["datasource"]["uid"], "${datasource}", "{}", p["title"]);
        assert!(!p["targets"].as_array().unwrap().is_empty());
    }
    let exprs: String = panels
        .iter()
        .flat_map(|p| p["targets"].as_array().unwrap().clone())
        .map(|t| t["expr"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    for metric in [
        "slipstream_events_total",
        "slipstream_lines_total",
        "slipstream_bytes_total",
        "slipstream_decode_errors_total",
        "slipstream_kafka_consumer_lag",
        "slipstream_data_lag_seconds",
        "slipstream_evaluation_time_seconds",
        "slipstream_checkpoint_age_seconds",
        "slipstream_checkpoint_size_bytes",
        "slipstream_checkpoint_duration_seconds",
        "process_resident_memory_bytes",
        "slo:period_error_budget_remaining:ratio",
        "slo:current_burn_rate:ratio",
        "slipstream_slo_alert_firing",
    ] {
        assert!(exprs.contains(metric), "no panel queries {metric}");
    }
}

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

const KAFKA_PIPELINE: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: k}
spec:
  source:
    kafka:
      brokers: ["127.0.0.1:9092"]
      topics: [logs]
      group_id: g
      options: {sasl.password: "${SLIPSTREAM_TEST_SECRET}", client.id: "edge-${SLIPSTREAM_TEST_NAME}-1"}
  decode: {format: alb, envelope: json}
  services: [{name: a}]
"#;

#[test]
fn kafka_sources_expand_environment_references_and_hide_them() {
    // Setting variables is unsafe in edition 2024 (and this crate forbids unsafe), so the
    // test references one every process has.
    let text = KAFKA_PIPELINE
        .replace("${SLIPSTREAM_TEST_SECRET}", "${HOME}")
        .replace("${SLIPSTREAM_TEST_NAME}", "${HOME}");
    let c = parse(&text, "k.yaml").unwrap_or_else(|e| panic!("{e}"));
    let home = std::env::var("HOME").unwrap();
    let SourceConfig::Kafka(k) = &c.start.source else {
        panic!("not kafka")
    };
    assert_eq!(k.options["sasl.password"], home);
    assert_eq!(k.options["client.id"], format!("edge-{home}-1"));
    assert_eq!(k.start_from, crate::source::kafka::StartFrom::Earliest);
    assert_eq!(c.reload.envelope, crate::decode::envelope::Envelope::Json);
    assert!(
        !format!("{c:?}").contains(&home),
        "option values never appear in Debug output"
    );
}

#[test]
fn kafka_source_errors() {
    let got = problems(&KAFKA_PIPELINE.replace(
        "options: {sasl.password: \"${SLIPSTREAM_TEST_SECRET}\", client.id: \"edge-${SLIPSTREAM_TEST_NAME}-1\"}",
        "options: {group.id: x, sasl.password: \"${SLIPSTREAM_SURELY_UNSET_VARIABLE}\"}\n      start_from: middle",
    )
    .replace("brokers: [\"127.0.0.1:9092\"]", "brokers: [localhost]")
    .replace("group_id: g", "group_id: \" \""));
    let want = [
        "spec.source.kafka.brokers: list one or more brokers as host:port",
        "spec.source.kafka.group_id: must not be empty",
        "spec.source.kafka.start_from: \"middle\" is not earliest or latest",
        "spec.source.kafka.options.group.id: is set by slipstream",
        "spec.source.kafka.options.sasl.password: environment variable SLIPSTREAM_SURELY_UNSET_VARIABLE is not set",
    ];
    assert_found(&got, &want, |g, w| g.contains(w));
    let missing = problems(&KAFKA_PIPELINE.replace("      group_id: g\n", ""));
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].contains("spec.source.kafka: missing field `group_id`"),
        "{missing:?}"
    );
}

/// A Pipeline with `decode` replaced by `decode_yaml` and a stdin source.
fn pipeline_with(decode_yaml: &str, source_yaml: &str) -> String {
    format!(
        "apiVersion: slipstream/v1\nkind: Pipeline\nmetadata: {{name: p}}\nspec:\n  source: {source_yaml}\n  decode: {decode_yaml}\n  services: [{{name: a}}]\n"
    )
}

#[test]
fn every_format_and_envelope_is_accepted_by_name() {
    use crate::decode::envelope::Envelope;
    // The formats that need a block have theirs tested beside it.
    for f in Format::ALL
        .into_iter()
        .filter(|f| ![Format::Json, Format::W3c].contains(f))
    {
        // otel_http reads log records: only the OTLP envelopes hold them.
        for e in Envelope::ALL
            .into_iter()
            .filter(|e| f != Format::OtelHttp || e.batch().is_some())
        {
            let text = pipeline_with(
                &format!("{{format: {}, envelope: {}}}", f.name(), e.name()),
                "{stdin: {}}",
            );
            let c = parse(&text, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                (c.reload.format, c.reload.envelope, c.reload.options.json),
                (f, e, None)
            );
        }
    }
    let got = problems(&pipeline_with(
        "{format: alb, envelope: logstash}",
        "{stdin: {}}",
    ));
    assert_eq!(
        got,
        [
            "t.yaml: document 1 (Pipeline p): spec.decode.envelope: unknown envelope \"logstash\": expected one of none, json, vector, filebeat, fluentbit, otlp_proto, otlp_json"
        ]
    );
}

#[test]
fn the_json_format_reads_its_mapping() {
    use crate::decode::Unit;
    use crate::decode::json::{JsonPath, TimeFormat};
    let text = pipeline_with(
        "{format: json, json: {time_field: ts, time_format: epoch_ms, status_field: http.status, latency_field: http.took, latency_unit: us, url_field: http.url, request_id_field: id}}",
        "{stdin: {}}",
    );
    let c = parse(&text, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
    let m = c.reload.options.json.expect("mapping");
    let path = |t: &str| JsonPath::parse(t).unwrap();
    assert_eq!(m.time, path("ts"));
    assert_eq!(m.time_format, TimeFormat::Epoch(Unit::Millis));
    assert_eq!(m.status, path("http.status"));
    assert_eq!(m.latency, Some((path("http.took"), Unit::Micros)));
    assert_eq!(
        (m.url, m.path, m.host),
        (Some(path("http.url")), None, None)
    );
    assert_eq!((m.request_id, m.method), (Some(path("id")), None));
    let minimal = pipeline_with(
        "{format: json, json: {time_field: t, status_field: s}}",
        "{stdin: {}}",
    );
    let m = parse(&minimal, "t.yaml")
        .unwrap()
        .reload
        .options
        .json
        .unwrap();
    assert_eq!((m.time_format, m.latency), (TimeFormat::Rfc3339, None));
}

#[test]
fn json_mapping_errors_are_reported_with_their_paths() {
    let at = "t.yaml: document 1 (Pipeline p): spec.decode";
    let got = problems(&pipeline_with("{format: json}", "{stdin: {}}"));
    assert_eq!(
        got,
        [format!(
            "{at}.json: format json needs a json mapping (at least time_field and status_field, or a preset)"
        )]
    );
    let got = problems(&pipeline_with(
        "{format: nginx, json: {time_field: t, status_field: s}}",
        "{stdin: {}}",
    ));
    assert_eq!(
        got,
        [format!("{at}.json: applies only to format json, not nginx")]
    );
    let got = problems(&pipeline_with(
        "{format: json, json: {time_field: a..b, time_format: iso, status_field: .s, latency_field: d, latency_unit: minutes, path_field: p, url_field: u, host_field: \"\"}}",
        "{stdin: {}}",
    ));
    let want = [
        format!("{at}.json.time_field: \"a..b\" is not a key or a dotted key path"),
        format!("{at}.json.status_field: \".s\" is not a key"),
        format!("{at}.json.host_field: \"\" is not a key"),
        format!(
            "{at}.json.time_format: unknown time format \"iso\": expected one of rfc3339, epoch_s, epoch_ms, epoch_us"
        ),
        format!("{at}.json.latency_unit: unknown unit \"minutes\": expected s, ms or us"),
        format!("{at}.json.url_field: set path_field or url_field, not both"),
    ];
    for w in &want {
        assert!(
            got.iter().any(|g| g.starts_with(w.as_str())),
            "missing {w:?} in\n{}",
            got.join("\n")
        );
    }
    assert_eq!(got.len(), want.len(), "{}", got.join("\n"));
    let got = problems(&pipeline_with(
        "{format: json, json: {time_field: t, status_field: s, latency_field: d}}",
        "{stdin: {}}",
    ));
    assert_eq!(
        got,
        [format!(
            "{at}.json.latency_unit: required with latency_field: s, ms or us"
        )]
    );
    let got = problems(&pipeline_with(
        "{format: json, json: {time_field: t, status_field: s, latency_unit: ms}}",
        "{stdin: {}}",
    ));
    assert_eq!(
        got,
        [format!(
            "{at}.json.latency_unit: applies only with latency_field"
        )]
    );
    let got = problems(&pipeline_with(
        "{format: json, json: {time_field: t, status_field: s, status: x}}",
        "{stdin: {}}",
    ));
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains("spec.decode.json.status: unknown field `status`"),
        "{got:?}"
    );
}

#[test]
fn the_demo_source_writes_only_alb_or_nginx() {
    for format in ["alb", "nginx"] {
        let text = pipeline_with(&format!("{{format: {format}}}"), "{demo: {}}");
        assert!(parse(&text, "t.yaml").is_ok(), "{format}");
    }
    let got = problems(&pipeline_with("{format: haproxy}", "{demo: {}}"));
    assert_eq!(
        got,
        [
            "t.yaml: document 1 (Pipeline p): spec.decode.format: the demo source writes alb or nginx lines, not haproxy: use format alb or nginx with the demo, or another source"
        ]
    );
}

#[test]
fn the_format_examples_load() {
    for (file, format) in [
        ("envoy-example.yaml", Format::Envoy),
        ("envoy-json-example.yaml", Format::EnvoyJson),
        ("haproxy-example.yaml", Format::Haproxy),
        ("gcp-example.yaml", Format::Gcp),
        ("json-example.yaml", Format::Json),
        ("nginx-example.yaml", Format::Nginx),
        ("ingress-nginx-example.yaml", Format::Nginx),
        ("istio-example.yaml", Format::Envoy),
        ("cloudfront-example.yaml", Format::W3c),
        ("otel-collector-example.yaml", Format::Nginx),
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("config")
            .join(file);
        let c = load_file(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(c.reload.format, format, "{file}");
        assert_eq!(
            c.reload.options.json.is_some(),
            format == Format::Json,
            "{file}"
        );
        assert_eq!(
            c.reload.options.nginx.is_some(),
            format == Format::Nginx,
            "{file}"
        );
        assert_eq!(
            c.reload.options.envoy.is_some(),
            file == "istio-example.yaml",
            "{file}"
        );
        assert!(c.warnings.is_empty(), "{file}: {:?}", c.warnings);
        assert_eq!(
            c.start.batch.is_some(),
            file == "otel-collector-example.yaml",
            "{file}"
        );
    }
}

#[test]
fn http_auth_takes_exactly_one_token_source() {
    let with = |http: &str| {
        format!(
            "{}  http: {http}\n",
            pipeline_with("{format: alb}", "{stdin: {}}")
        )
    };
    let c = parse(&with("{auth: {token_file: /run/secrets/token}}"), "t.yaml").unwrap();
    assert_eq!(
        c.start.http_auth,
        Some(TokenSource::File("/run/secrets/token".into()))
    );
    let c = parse(&with("{auth: {token_env: API_TOKEN}}"), "t.yaml").unwrap();
    assert_eq!(
        c.start.http_auth,
        Some(TokenSource::Env("API_TOKEN".into()))
    );
    assert_eq!(parse(&with("{}"), "t.yaml").unwrap().start.http_auth, None);
    for (http, says) in [
        (
            "{auth: {}}",
            "spec.http.auth: set exactly one of token_file, token_env",
        ),
        (
            "{auth: {token_file: a, token_env: B}}",
            "spec.http.auth: set exactly one of token_file, token_env",
        ),
        (
            "{auth: {token_file: \"\"}}",
            "spec.http.auth.token_file: must not be empty",
        ),
        (
            "{auth: {token_env: \"A=B\"}}",
            "spec.http.auth.token_env: must be a variable name",
        ),
        ("{auth: {token: x}}", "unknown field `token`"),
    ] {
        let got = problems(&with(http));
        assert!(got.len() == 1 && got[0].contains(says), "{http}: {got:?}");
    }
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

#[test]
fn a_cluster_block_reads_with_its_defaults_and_is_restart_only() {
    let text = cluster_pipeline(
        KAFKA_SOURCE,
        "{name: edge, advertise_url: \"http://pod-0.slipstream:9977\"}",
    );
    let c = parse(&text, "c.yaml").unwrap_or_else(|e| panic!("{e}"));
    let cluster = c.start.cluster.clone().expect("cluster");
    assert_eq!(
        cluster,
        ClusterConfig {
            name: "edge".into(),
            advertise_url: "http://pod-0.slipstream:9977".into(),
            member_id: "pod-0".into(),
            flush_interval_us: 200_000,
            snapshot_interval_us: 60 * SECOND,
            member_timeout_us: 10 * SECOND,
            max_apply_lag_us: 5 * SECOND,
            replication_factor: None,
        }
    );
    let other = parse(
        &text.replace(
            "name: edge,",
            "name: edge, member_id: \"${HOME}\", flush_interval: 1s, replication_factor: 3,",
        ),
        "c.yaml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let o = other.start.cluster.clone().unwrap();
    assert_eq!(o.member_id, std::env::var("HOME").unwrap());
    assert_eq!(o.flush_interval_us, SECOND);
    assert_eq!(o.replication_factor, Some(3));
    assert_eq!(c.start.changed_fields(&other.start), ["spec.cluster"]);
}

#[test]
fn cluster_errors_are_reported_together_with_their_paths() {
    let got = problems(&cluster_pipeline(
        "{stdin: {}}",
        "{name: \"edge/x\", advertise_url: \"pod-0:9977\", member_id: \"${SLIPSTREAM_SURELY_UNSET_VARIABLE}\", flush_interval: 20s, member_timeout: 10s, max_apply_lag: 0s, snapshot_interval: soon, replication_factor: 0}",
    ));
    let want = [
        "spec.cluster.name: must be 1 to 200 of",
        "spec.cluster: needs a kafka source",
        "spec.cluster.advertise_url: must be an http:// or https:// URL",
        "spec.cluster.member_id: environment variable SLIPSTREAM_SURELY_UNSET_VARIABLE is not set",
        "spec.cluster.flush_interval: must be shorter than member_timeout",
        "spec.cluster.max_apply_lag: invalid duration \"0s\"",
        "spec.cluster.snapshot_interval:",
        "spec.cluster.replication_factor: must be 1 to 32",
    ];
    assert_found(&got, &want, |g, w| g.contains(w));
}

#[test]
fn history_is_whole_days_and_400_by_default() {
    let with = |window: &str| service_a(&format!("  window: {window}\n"), "");
    let days = |window: &str| {
        parse(&with(window), "t.yaml")
            .unwrap()
            .reload
            .window
            .history_days
    };
    assert_eq!(days("{}"), 400);
    assert_eq!(days("{history: 30d}"), 30);
    assert_eq!(days("{history: 2w}"), 14);
    assert_eq!(days("{history: 0d}"), 0);
    assert_found(
        &problems(&with("{history: 36h}")),
        &[
            "t.yaml: document 1 (Pipeline p): spec.window.history: must be whole days from 1d to 3660d (or 0d for none), got 36h",
        ],
        |g, w| g == w,
    );
    assert_found(
        &problems(&with("{history: 20000d}")),
        &["spec.window.history: must be whole days"],
        |g, w| g.contains(w),
    );
    assert_found(
        &problems(&with("{history: soon}")),
        &["spec.window.history: invalid duration"],
        |g, w| g.contains(w),
    );
}

#[test]
fn gate_rules_read_with_their_defaults_and_every_error_has_its_path() {
    use crate::evaluate::PolicyTier;
    use crate::evaluate::gate::GateAction;
    let with = |gate: &str| {
        service_a(
            "",
            &format!(
                "---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {{name: s}}\nspec: {{service: a, indicators: [{{name: availability, threshold: 99, window: 30d}}]}}\n---\napiVersion: reliability/v1\nkind: ErrorBudgetPolicy\nmetadata: {{name: pol}}\nspec:\n  service: a\n  gate: {gate}\n"
            ),
        )
    };
    let rules = |gate: &str| {
        let c = parse(&with(gate), "t.yaml").unwrap_or_else(|e| panic!("{e}"));
        c.reload.objectives[0].gate.clone()
    };
    let d = rules("{}");
    assert_eq!(*d, crate::evaluate::gate::GateRules::default());
    let q = d.quiet_days.as_ref().unwrap();
    assert_eq!(
        (q.days.as_slice(), q.from_tier, q.zone.name()),
        (&[4][..], PolicyTier::Caution, "UTC")
    );
    let r = rules(
        "{actions: {caution: require_approval, exhausted: deny}, quiet_days: {days: [friday, saturday], from_tier: slow_down, time_zone: Europe/Berlin}, freezes: [{start: \"2026-12-21\", end: \"2027-01-04T06:00\", time_zone: Europe/Berlin, reason: peak season}]}",
    );
    assert_eq!(r.action(PolicyTier::Caution), GateAction::RequireApproval);
    assert_eq!(r.action(PolicyTier::Normal), GateAction::Allow);
    let q = r.quiet_days.as_ref().unwrap();
    assert_eq!(
        (q.days.as_slice(), q.from_tier, q.zone.name()),
        (&[4, 5][..], PolicyTier::SlowDown, "Europe/Berlin")
    );
    // Berlin midnight of 2026-12-21 is 23:00 UTC the day before; 06:00 of 2027-01-04 is 05:00 UTC.
    let f = &r.freezes[0];
    assert_eq!(
        crate::time::format_rfc3339(f.start_us),
        "2026-12-20T23:00:00Z"
    );
    assert_eq!(
        crate::time::format_rfc3339(f.end_us),
        "2027-01-04T05:00:00Z"
    );
    assert!(rules("{quiet_days: null}").quiet_days.is_none());
    assert!(rules("{quiet_days: {days: []}}").quiet_days.is_none());
    assert_found(
        &problems(&with(
            "{actions: {normal: maybe}, quiet_days: {days: [fryday], from_tier: panic, time_zone: Mars/Base}, freezes: [{start: tomorrow, end: \"2026-01-01\", reason: x}, {start: \"2026-02-01\", end: \"2026-01-01\", reason: x}, {start: \"2026-01-01\", end: \"2026-02-01\", reason: \" \"}]}",
        )),
        &[
            "spec.gate.actions.normal: \"maybe\" is not one of allow, require_approval, deny",
            "spec.gate.quiet_days.days[0]: \"fryday\" is not a weekday",
            "spec.gate.quiet_days.from_tier: \"panic\" is not one of",
            "spec.gate.quiet_days.time_zone: unknown time zone \"Mars/Base\"",
            "spec.gate.freezes[0].start: \"tomorrow\" is not a local date",
            "spec.gate.freezes[1].end: 2026-01-01 is not after the start 2026-02-01",
            "spec.gate.freezes[2].reason: must say why deploys are frozen",
        ],
        |g, w| g.contains(w),
    );
    assert_found(
        &problems(&with(
            "{quiet_days: {days: [friday], time_zone: Mars/Base}}",
        )),
        &["spec.gate.quiet_days.time_zone: unknown time zone \"Mars/Base\""],
        |g, w| g.contains(w),
    );
}

#[test]
fn a_policy_min_events_guards_every_burn_rate_alert_but_those_with_their_own() {
    let text = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: p}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services: [{name: a}, {name: b}]
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: s}
spec: {service: a, indicators: [{name: availability, threshold: 99, window: 30d}]}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: t}
spec: {service: b, indicators: [{name: availability, threshold: 99, window: 30d}]}
---
apiVersion: reliability/v1
kind: ErrorBudgetPolicy
metadata: {name: pol}
spec:
  service: a
  min_events: 20
  burn_rate_thresholds:
    - {name: own, threshold: 2, duration: 1h, min_events: 5, for: 15m}
    - {name: inherits, threshold: 3, duration: 2h}
"#;
    let c = parse(text, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
    // `for` is the threshold's hold; none by default.
    let holds: Vec<(&str, i64)> = c.reload.objectives[0]
        .burn_alerts
        .iter()
        .filter(|a| a.hold_us > 0)
        .map(|a| (&*a.name, a.hold_us))
        .collect();
    assert_eq!(holds, [("own", 15 * 60 * crate::time::SECOND)]);
    let bad = text.replace("for: 15m", "for: soon");
    let e = parse(&bad, "t.yaml").unwrap_err().to_string();
    assert!(
        e.contains("(ErrorBudgetPolicy pol): spec.burn_rate_thresholds[0].for"),
        "{e}"
    );
    let guards = |i: usize| -> Vec<(String, u64)> {
        c.reload.objectives[i]
            .burn_alerts
            .iter()
            .map(|a| (a.name.to_string(), a.min_events))
            .collect()
    };
    let a = guards(0);
    assert!(
        a.iter().any(|(n, m)| n == "page_1h_5m" && *m == 20),
        "{a:?}"
    );
    assert!(
        a.contains(&("own".into(), 5)) && a.contains(&("inherits".into(), 20)),
        "{a:?}"
    );
    // A service without a policy keeps today's behaviour: no guard.
    assert!(guards(1).iter().all(|(_, m)| *m == 0));
}

#[test]
fn an_exhaustion_alert_reads_with_its_defaults_and_refuses_what_it_cannot_forecast() {
    let with = |extra: &str| {
        service_a(
            "",
            &format!(
                "---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {{name: s}}\nspec:\n  service: a\n  indicators: [{{name: availability, threshold: 99, window: 30d}}, {{name: throughput, threshold: 1, window: 5m, type: minimum}}]\n{extra}\n"
            ),
        )
    };
    let c = parse(&with("  exhaustion_alert: {within: 3d}"), "t.yaml")
        .unwrap_or_else(|e| panic!("{e}"));
    let a = c.reload.objectives[0].exhaustion_alert.as_ref().unwrap();
    assert_eq!(
        (&*a.name, a.severity.as_str(), a.within_us, a.rate_window_us),
        (
            "budget_exhausted_within_3d",
            "ticket",
            3 * crate::time::DAY,
            6 * crate::time::HOUR
        )
    );
    // A throughput minimum has no budget to forecast.
    assert_eq!(c.reload.objectives[1].exhaustion_alert, None);
    assert_found(
        &problems(&with("  exhaustion_alert: {within: soon, rate_window: 2h}")),
        &[
            "spec.exhaustion_alert.within: invalid duration \"soon\"",
            "spec.exhaustion_alert.rate_window: 2h is not one of 1h, 6h, 1d",
        ],
        |g, w| g.contains(w),
    );
    let slices = with("  exhaustion_alert: {within: 1d}\n  budgeting: {method: timeslices, slice: 1m, slice_target: 0.9}")
        .replace(", {name: throughput, threshold: 1, window: 5m, type: minimum}", "");
    assert_found(
        &problems(&slices),
        &["spec.exhaustion_alert: applies to occurrence budgets only"],
        |g, w| g.contains(w),
    );
}

#[test]
fn an_sla_reads_beside_its_slo_and_must_be_the_looser_objective() {
    use crate::evaluate::sla::SlaPeriod;
    let with = |sla: &str, extra: &str| {
        service_a(
            "",
            &format!(
                "---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {{name: s}}\nspec:\n  service: a\n  indicators: [{{name: availability, threshold: 99.9, window: 30d, sla: {sla}}}]\n{extra}\n"
            ),
        )
    };
    let c = parse(&with("{objective: 99.5, period: 90d}", ""), "t.yaml")
        .unwrap_or_else(|e| panic!("{e}"));
    let o = &c.reload.objectives[0];
    let sla = o.sla.as_ref().unwrap();
    assert_eq!(sla.objective, Ppb::from_percent(99.5).unwrap());
    assert_eq!(sla.period, SlaPeriod::Rolling(90 * crate::time::DAY));
    // The rolling SLA period is one more window.
    assert!(o.windows.contains(&(90 * crate::time::DAY)));
    let c = parse(
        &with(
            "{objective: 99, period: month}",
            "  compliance: calendar\n  calendar: {unit: quarter, time_zone: Europe/Berlin}",
        )
        .replace(", window: 30d", ""),
        "t.yaml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    match &c.reload.objectives[0].sla.as_ref().unwrap().period {
        SlaPeriod::Calendar(cal) => assert_eq!(
            (cal.unit.name(), cal.zone_name.as_str()),
            ("month", "Europe/Berlin")
        ),
        other => panic!("{other:?}"),
    }
    assert_found(
        &problems(&with("{objective: 99.95, period: fortnight}", "")),
        &[
            "spec.indicators[0].sla.objective: 99.95 % is stricter than the SLO's 99.9 %",
            "spec.indicators[0].sla.period: invalid duration \"fortnight\"",
        ],
        |g, w| g.contains(w),
    );
    assert_found(
        &problems(&with(
            "{objective: 99, period: 30d, time_zone: Europe/Berlin}",
            "",
        )),
        &["spec.indicators[0].sla.time_zone: only a calendar period"],
        |g, w| g.contains(w),
    );
}

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

#[test]
fn catalog_fields_reach_every_slo_of_their_service() {
    let c = parse(
        &with_services(
            "[{name: a, owner: payments, tier: 2, runbook_url: 'https://rb.example/a', dashboard_url: 'http://grafana:3000/d/a', oncall: pay-primary, labels: {team: pay, cost_center: '42'}}, {name: b, match: {path_prefix: /b}}]",
            "---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {name: s}\nspec: {service: a, indicators: [{name: availability, threshold: 99.9, window: 30d}, {name: latency_p99, threshold: 300ms, window: 7d}]}\n---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {name: t}\nspec: {service: b, indicators: [{name: availability, threshold: 99, window: 30d}]}\n",
        ),
        "t.yaml",
    )
    .expect("valid");
    let a = &c.reload.catalogs[0];
    assert_eq!(a.owner.as_deref(), Some("payments"));
    assert_eq!(a.tier.map(crate::catalog::Tier::number), Some(2));
    assert_eq!(a.runbook_url.as_deref(), Some("https://rb.example/a"));
    assert_eq!(a.dashboard_url.as_deref(), Some("http://grafana:3000/d/a"));
    assert_eq!(a.oncall.as_deref(), Some("pay-primary"));
    assert_eq!(a.labels.len(), 2);
    assert!(c.reload.catalogs[1].is_empty());
    let of = |id: &str| {
        c.reload
            .objectives
            .iter()
            .find(|o| o.id() == id)
            .unwrap()
            .catalog
            .clone()
    };
    assert_eq!(of("a/availability"), *a);
    assert_eq!(of("a/latency_p99"), *a);
    assert!(of("b/availability").is_empty());
    let listing = c.reload.catalog();
    assert_eq!(listing.len(), 2);
    assert_eq!(listing[0].tier_target, Some(0.999));
    let slos: Vec<&str> = listing[0].slos.iter().map(|s| s.slo.as_str()).collect();
    assert_eq!(slos, ["availability", "latency_p99"]);
    assert!(listing[0].slos.iter().all(|s| s.alerting));
    // b alerts without a runbook: the only review finding.
    let review: Vec<String> = c
        .review
        .iter()
        .map(|p| format!("{}: {}", p.location, p.message))
        .collect();
    assert_eq!(review.len(), 1, "{review:?}");
    assert_eq!(
        review[0],
        "t.yaml: document 1 (Pipeline p): spec.services[1].runbook_url: missing, and \
         b/availability alerts: set the runbook the on-call opens"
    );
}

#[test]
fn catalog_errors_are_reported_together_with_their_paths() {
    let got = problems(&with_services(
        "[{name: a, owner: '', tier: 5, runbook_url: 'ftp://x', dashboard_url: 'https:///no-host', oncall: ' ', labels: {'9x': v, team: '', severity: high, __meta: v, ok: v}}]",
        "",
    ));
    assert_found(
        &got,
        &[
            "spec.services[0].owner: must not be empty",
            "spec.services[0].tier: 5 is not a tier: use 1 to 4",
            "spec.services[0].runbook_url: \"ftp://x\" is not an http or https URL",
            "spec.services[0].dashboard_url: \"https:///no-host\" is not an http or https URL",
            "spec.services[0].oncall: must not be empty",
            "spec.services[0].labels.9x: is not a label name",
            "spec.services[0].labels.team: must not be empty",
            "spec.services[0].labels.severity: is reserved",
            "spec.services[0].labels.__meta: is not a label name",
        ],
        |g, w| g.contains(w),
    );
}

#[test]
fn the_strict_review_names_tier_gaps_with_their_paths() {
    let c = parse(
        &with_services(
            "[{name: a, tier: 1, runbook_url: 'https://rb/a'}, {name: b, tier: 3, owner: x, runbook_url: 'https://rb/b'}]",
            "---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {name: s}\nspec: {service: a, indicators: [{name: availability, threshold: 99.9, window: 30d}, {name: latency_p99, threshold: 300ms, window: 7d}, {name: error_rate, threshold: 0.01, window: 7d}]}\n---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {name: t}\nspec: {service: b, indicators: [{name: availability, threshold: 99.5, window: 30d}]}\n",
        ),
        "t.yaml",
    )
    .expect("valid");
    let review: Vec<String> = c
        .review
        .iter()
        .map(|p| format!("{}: {}", p.location, p.message))
        .collect();
    assert_found(
        &review,
        &[
            "t.yaml: document 1 (Pipeline p): spec.services[0].owner: a tier-1 service has no owner",
            // 99.9 % is below tier 1's 99.95 %; the latency SLO is not held to it, and the
            // error-rate objective (0.01 % errors = 99.99 %) is stronger.
            "(ServiceLevelObjective s): spec.indicators[0].name: objective 99.9 % of a/availability is weaker than tier 1's target 99.95 %",
        ],
        |g, w| g.contains(w),
    );
    // b meets tier 3 exactly (99.5 %) and has an owner and a runbook: nothing about it.
    assert!(review.iter().all(|r| !r.contains("b/")), "{review:?}");
}

#[test]
fn attribution_reads_with_its_defaults_and_every_error_has_its_path() {
    use crate::classify::attribution::Dimension;
    let c = parse(&service_a("  attribution: {}\n", ""), "t.yaml").expect("valid");
    let a = c.reload.attribution.as_deref().expect("on");
    // Every dimension but the client's, which is personal data: only when named.
    assert_eq!(
        a.dims,
        [
            Dimension::Path,
            Dimension::Status,
            Dimension::Backend,
            Dimension::Host,
            Dimension::Method
        ]
    );
    assert_eq!((a.keys_per_minute, a.retention_minutes), (32, 60));
    assert_eq!((a.client_prefix.ipv4, a.client_prefix.ipv6), (24, 48));
    assert!(
        parse(&service_a("", ""), "t.yaml")
            .unwrap()
            .reload
            .attribution
            .is_none(),
        "off unless configured"
    );
    let c = parse(
        &service_a(
            "  attribution: {by: [status, path], keys_per_minute: 8, retention: 3h, paths: ['/users/{id}']}\n",
            "",
        ),
        "t.yaml",
    )
    .expect("valid");
    let a = c.reload.attribution.as_deref().unwrap();
    assert_eq!(a.dims, [Dimension::Status, Dimension::Path]);
    assert_eq!((a.keys_per_minute, a.retention_minutes), (8, 180));
    let mut key = Vec::new();
    a.paths.normalize(b"/users/alice", &mut key);
    assert_eq!(key, b"/users/{id}");
    assert_found(
        &problems(&service_a(
            "  attribution: {by: [path, route, path], keys_per_minute: 2, retention: 90s, paths: ['/ok', 'nope']}\n",
            "",
        )),
        &[
            "spec.attribution.by[1]: unknown dimension \"route\"",
            "spec.attribution.by[2]: path is named twice",
            "spec.attribution.keys_per_minute: 2 is outside 4 to 1024",
            "spec.attribution.retention: 90s must be whole minutes from 1m to 1d",
            "spec.attribution.paths[1]: \"nope\" must start with /",
        ],
        |g, w| g.contains(w),
    );
    let c = parse(
        &service_a(
            "  attribution: {by: [client, path], client_prefix: {ipv4: 16}}\n",
            "",
        ),
        "t.yaml",
    )
    .expect("valid");
    let a = c.reload.attribution.as_deref().unwrap();
    assert_eq!(a.dims, [Dimension::Client, Dimension::Path]);
    assert_eq!((a.client_prefix.ipv4, a.client_prefix.ipv6), (16, 48));
    let c = parse(
        &service_a(
            "  attribution: {by: [client], client_prefix: {ipv4: 8, ipv6: 16}}\n",
            "",
        ),
        "t.yaml",
    )
    .expect("valid");
    let a = c.reload.attribution.as_deref().unwrap();
    assert_eq!((a.client_prefix.ipv4, a.client_prefix.ipv6), (8, 16));
    assert_found(
        &problems(&service_a(
            "  attribution: {by: [client, ip], client_prefix: {ipv4: 32, ipv6: 15}}\n",
            "",
        )),
        &[
            "spec.attribution.by[1]: unknown dimension \"ip\": use path, status, backend, host, method or client",
            "spec.attribution.client_prefix.ipv4: /32 is outside /8 to /24: a client is never kept finer than /24",
            "spec.attribution.client_prefix.ipv6: /15 is outside /16 to /48",
        ],
        |g, w| g.contains(w),
    );
    assert_found(
        &problems(&service_a(
            "  attribution: {client_prefix: {ipv4: 24, ipv6: 48, mask: 8}}\n",
            "",
        )),
        &["mask"],
        |g, w| g.contains(w),
    );
    assert_found(
        &problems(&service_a("  attribution: {by: [], retention: 2d}\n", "")),
        &[
            "spec.attribution.by: must name at least one dimension",
            "spec.attribution.retention: 2d must be whole minutes from 1m to 1d",
        ],
        |g, w| g.contains(w),
    );
}

#[test]
fn a_canary_reads_with_its_defaults_and_every_error_has_its_path() {
    let c = parse(
        &with_services(
            "[{name: a, canary: {canary: {backend: a-canary}, baseline: {backend: a-stable}}}, {name: b}]",
            "",
        ),
        "t.yaml",
    )
    .expect("valid");
    let a = c.reload.canaries[0].as_deref().expect("configured");
    assert_eq!(a.canary.backend.as_deref(), Some("a-canary"));
    assert_eq!(a.baseline.backend.as_deref(), Some("a-stable"));
    assert_eq!((a.window_us, a.retention_minutes), (30 * MINUTE, 60));
    assert_eq!(a.criteria, crate::classify::canary::Criteria::default());
    assert_eq!(
        a.criteria.max_error_rate_increase, 0.001,
        "0.1 percentage point"
    );
    assert!(c.reload.canaries[1].is_none());
    let c = parse(
        &with_services(
            "[{name: a, canary: {canary: {host: new.example.com}, baseline: {host: old.example.com}, window: 10m, retention: 2h, min_requests: 200, max_error_rate_increase: 0.5, max_p95_increase: 20ms, confidence: 0.99}}]",
            "",
        ),
        "t.yaml",
    )
    .expect("valid");
    let a = c.reload.canaries[0].as_deref().unwrap();
    assert_eq!((a.window_us, a.retention_minutes), (10 * MINUTE, 120));
    assert_eq!(a.criteria.min_requests, 200);
    assert!((a.criteria.max_error_rate_increase - 0.005).abs() < 1e-15);
    assert_eq!(a.criteria.max_p95_increase_us, 20_000);
    assert_eq!(a.criteria.confidence, 0.99);
    assert_found(
        &problems(&with_services(
            "[{name: a, canary: {canary: {backend: ''}, baseline: {host: x}, window: 90s, retention: 7h, min_requests: 0, max_error_rate_increase: -1, max_p95_increase: soon, confidence: 1}}]",
            "",
        )),
        &[
            "spec.services[0].canary.canary.backend: must not be empty",
            "spec.services[0].canary.window: 90s must be whole minutes from 1m to 6h",
            "spec.services[0].canary.retention: 7h must be whole minutes from 1m to 6h",
            "spec.services[0].canary.min_requests: 0 is outside 1 to 1000000000",
            "spec.services[0].canary.max_error_rate_increase: -1 must be percentage points",
            "spec.services[0].canary.max_p95_increase: ",
            "spec.services[0].canary.confidence: 1 must be from 0.5 to below 1",
        ],
        |g, w| g.contains(w),
    );
    assert_found(
        &problems(&with_services(
            "[{name: a, canary: {canary: {backend: x}, baseline: {backend: x}, window: 2h}}]",
            "",
        )),
        &[
            "spec.services[0].canary.baseline: selects the same events as canary",
            "spec.services[0].canary.window: 2h is longer than the retention (1h)",
        ],
        |g, w| g.contains(w),
    );
    // Selectors on a field the format does not carry, as for a service's own.
    assert_found(
        &problems(
            &with_services(
                "[{name: a, canary: {canary: {backend: x}, baseline: {backend: y}}}]",
                "",
            )
            .replace("format: alb", "format: nginx, nginx: {preset: main}"),
        ),
        &[
            "spec.services[0].canary.canary.backend: selects by backend, which",
            "spec.services[0].canary.baseline.backend: selects by backend, which",
        ],
        |g, w| g.contains(w),
    );
}

#[test]
fn a_canary_is_compared_in_cluster_mode_too() {
    let text = cluster_pipeline(
        KAFKA_SOURCE,
        "{name: edge, advertise_url: \"http://pod-0:9977\"}",
    )
    .replace(
        "services: [{name: a}]",
        "services: [{name: a, canary: {canary: {backend: x}, baseline: {backend: y}}}]",
    );
    let c = parse(&text, "c.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert!(c.start.cluster.is_some() && c.reload.canaries[0].is_some());
}

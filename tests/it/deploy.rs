//! `deploy/`: every manifest, rule file and dashboard parses and states what the deployment
//! relies on (probes on the served paths, a non-root read-only container, selectors that
//! match the pods, a configuration that validates), and every metric the alerts and the
//! dashboard query is one slipstream serves — collected from `/metrics` of an in-process
//! pipeline built from the ConfigMap's own configuration.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value as Json;
use serde_yaml_ng::Value as Yaml;
use tower::ServiceExt;

use crate::helpers::{NOON, alb_line, feed};
use slipstream::app::Pipeline;
use slipstream::clock::ManualClock;
use slipstream::config::{self, SourceConfig};
use slipstream::time::SECOND;

/// Names a query may use that slipstream does not serve: series Prometheus makes itself.
const PROMETHEUS_SERIES: [&str; 1] = ["up"];

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Files under `dir` (recursively) whose name ends with one of `extensions`, sorted.
fn files(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if extensions
                .iter()
                .any(|e| path.extension().is_some_and(|x| x == *e))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Every non-empty YAML document of `path`.
fn yaml_docs(path: &Path) -> Vec<Yaml> {
    use serde::Deserialize;
    let text = read(path);
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|de| Yaml::deserialize(de).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .filter(|v| !v.is_null())
        .collect()
}

/// The Kubernetes objects of `deploy/kubernetes/` (the kustomization is not one).
fn k8s_objects() -> Vec<(PathBuf, Yaml)> {
    files(&deploy_dir().join("kubernetes"), &["yaml", "yml"])
        .into_iter()
        .filter(|p| !p.ends_with("kustomization.yaml"))
        .flat_map(|p| yaml_docs(&p).into_iter().map(move |d| (p.clone(), d)))
        .collect()
}

fn objects_of_kind(kinds: &[&str]) -> Vec<Yaml> {
    k8s_objects()
        .into_iter()
        .map(|(_, o)| o)
        .filter(|o| kinds.contains(&s(&o["kind"])))
        .collect()
}

/// The one StatefulSet or Deployment running slipstream.
fn workload() -> Yaml {
    let mut w = objects_of_kind(&["StatefulSet", "Deployment"]);
    assert_eq!(w.len(), 1, "exactly one StatefulSet or Deployment");
    w.remove(0)
}

fn s(v: &Yaml) -> &str {
    v.as_str().unwrap_or("")
}

/// A YAML mapping of strings (labels, selectors) as a sorted map.
fn string_map(v: &Yaml) -> BTreeMap<String, String> {
    v.as_mapping()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (s(k).to_string(), s(v).to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// True when every pair of `selector` is in `labels` (and the selector is not empty).
fn selects(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn container(w: &Yaml) -> &Yaml {
    let containers = w["spec"]["template"]["spec"]["containers"]
        .as_sequence()
        .expect("containers");
    containers
        .iter()
        .find(|c| s(&c["name"]) == "slipstream")
        .expect("a container named slipstream")
}

#[test]
fn every_deploy_file_parses() {
    let yaml = files(&deploy_dir(), &["yaml", "yml"]);
    let json = files(&deploy_dir(), &["json"]);
    assert!(yaml.len() >= 7, "{yaml:?}");
    assert!(!json.is_empty());
    for p in &yaml {
        assert!(!yaml_docs(p).is_empty(), "{} is empty", p.display());
    }
    for p in &json {
        serde_json::from_str::<Json>(&read(p)).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
}

#[test]
fn kubernetes_objects_have_api_version_kind_and_name() {
    let objects = k8s_objects();
    for (path, o) in &objects {
        for field in ["apiVersion", "kind"] {
            assert!(!s(&o[field]).is_empty(), "{}: no {field}", path.display());
        }
        assert!(
            !s(&o["metadata"]["name"]).is_empty(),
            "{}: no metadata.name",
            path.display()
        );
    }
    let kinds: BTreeSet<&str> = objects.iter().map(|(_, o)| s(&o["kind"])).collect();
    for kind in [
        "ConfigMap",
        "Service",
        "PodDisruptionBudget",
        "ServiceMonitor",
    ] {
        assert!(kinds.contains(kind), "no {kind} in {kinds:?}");
    }
    workload();
}

#[test]
fn kustomization_lists_every_manifest() {
    let dir = deploy_dir().join("kubernetes");
    let k = yaml_docs(&dir.join("kustomization.yaml")).remove(0);
    assert_eq!(s(&k["kind"]), "Kustomization");
    let listed: BTreeSet<String> = k["resources"]
        .as_sequence()
        .expect("resources")
        .iter()
        .map(|r| s(r).to_string())
        .collect();
    let present: BTreeSet<String> = files(&dir, &["yaml", "yml"])
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|n| n != "kustomization.yaml")
        .collect();
    assert_eq!(listed, present);
}

#[test]
fn workload_probes_resources_and_security() {
    let w = workload();
    let pod = &w["spec"]["template"]["spec"];
    let c = container(&w);

    let ports = c["ports"].as_sequence().expect("ports");
    let http = ports
        .iter()
        .find(|p| s(&p["name"]) == "http")
        .expect("a port named http");
    assert_eq!(http["containerPort"].as_u64(), Some(9977));
    let probe = |name: &str, path: &str| {
        let get = &c[name]["httpGet"];
        assert_eq!(s(&get["path"]), path, "{name}");
        assert!(
            s(&get["port"]) == "http" || get["port"].as_u64() == Some(9977),
            "{name} port"
        );
    };
    probe("livenessProbe", "/healthz");
    probe("readinessProbe", "/readyz");

    for kind in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(
                !c["resources"][kind][resource].is_null(),
                "resources.{kind}.{resource}"
            );
        }
    }

    let non_root = |v: &Yaml| v["runAsNonRoot"].as_bool() == Some(true);
    assert!(non_root(&pod["securityContext"]) || non_root(&c["securityContext"]));
    let sc = &c["securityContext"];
    assert_eq!(sc["readOnlyRootFilesystem"].as_bool(), Some(true));
    assert_eq!(sc["allowPrivilegeEscalation"].as_bool(), Some(false));
    let drop: Vec<&str> = sc["capabilities"]["drop"]
        .as_sequence()
        .expect("capabilities.drop")
        .iter()
        .map(s)
        .collect();
    assert_eq!(drop, ["ALL"]);
    assert!(pod["terminationGracePeriodSeconds"].as_u64().unwrap_or(30) >= 30);

    // A single instance's checkpoint directory is a volume, per pod for a StatefulSet. In
    // cluster mode the state lives in Kafka: no volume to claim.
    let config = config::parse(&configmap_config(), "configmap.yaml").unwrap();
    let mounts = c["volumeMounts"].as_sequence().expect("volumeMounts");
    let claims = w["spec"]["volumeClaimTemplates"].as_sequence();
    match &config.start.checkpoint {
        Some(checkpoint) => {
            let state = mounts
                .iter()
                .find(|m| Path::new(s(&m["mountPath"])) == checkpoint.dir)
                .expect("a volume at the checkpoint directory");
            if s(&w["kind"]) == "StatefulSet" {
                let claims = claims.expect("volumeClaimTemplates");
                let name = |t: &Yaml| s(&t["metadata"]["name"]).to_string();
                assert!(claims.iter().any(|t| name(t) == s(&state["name"])));
            }
        }
        None => {
            assert!(
                config.start.cluster.is_some(),
                "no checkpoint and no cluster"
            );
            assert!(claims.is_none(), "cluster mode keeps no state on a volume");
        }
    }

    // Prometheus annotations point at the served port and path.
    let annotations = string_map(&w["spec"]["template"]["metadata"]["annotations"]);
    assert_eq!(annotations["prometheus.io/scrape"], "true");
    assert_eq!(annotations["prometheus.io/port"], "9977");
    assert_eq!(annotations["prometheus.io/path"], "/metrics");
}

#[test]
fn services_and_the_budget_select_the_pods() {
    let w = workload();
    let pod_labels = string_map(&w["spec"]["template"]["metadata"]["labels"]);
    assert!(selects(
        &string_map(&w["spec"]["selector"]["matchLabels"]),
        &pod_labels
    ));
    let services = objects_of_kind(&["Service"]);
    for svc in &services {
        let name = s(&svc["metadata"]["name"]);
        assert!(
            selects(&string_map(&svc["spec"]["selector"]), &pod_labels),
            "Service {name} does not select the pods"
        );
        for port in svc["spec"]["ports"].as_sequence().expect("ports") {
            assert!(!s(&port["name"]).is_empty(), "{name}: unnamed port");
            assert!(
                s(&port["targetPort"]) == "http" || port["targetPort"].as_u64() == Some(9977),
                "{name}: targetPort"
            );
        }
    }
    if s(&w["kind"]) == "StatefulSet" {
        let governing = s(&w["spec"]["serviceName"]);
        let svc = services
            .iter()
            .find(|svc| s(&svc["metadata"]["name"]) == governing)
            .unwrap_or_else(|| panic!("no Service {governing} for the StatefulSet"));
        assert_eq!(s(&svc["spec"]["clusterIP"]), "None", "headless");
    }
    for pdb in objects_of_kind(&["PodDisruptionBudget"]) {
        assert!(selects(
            &string_map(&pdb["spec"]["selector"]["matchLabels"]),
            &pod_labels
        ));
    }
}

#[test]
fn service_monitor_scrapes_a_named_service_port() {
    let services = objects_of_kind(&["Service"]);
    for sm in objects_of_kind(&["ServiceMonitor"]) {
        assert_eq!(s(&sm["apiVersion"]), "monitoring.coreos.com/v1");
        let selector = string_map(&sm["spec"]["selector"]["matchLabels"]);
        let selected: Vec<&Yaml> = services
            .iter()
            .filter(|svc| selects(&selector, &string_map(&svc["metadata"]["labels"])))
            .collect();
        assert_eq!(selected.len(), 1, "the ServiceMonitor selects one Service");
        let port_names: BTreeSet<&str> = selected[0]["spec"]["ports"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|p| s(&p["name"]))
            .collect();
        for e in sm["spec"]["endpoints"].as_sequence().expect("endpoints") {
            assert!(port_names.contains(s(&e["port"])), "endpoint port");
            assert_eq!(s(&e["path"]), "/metrics");
        }
    }
}

/// The ConfigMap's configuration with every `${VAR}` replaced by what the workload's
/// environment gives it (which must define each one).
fn configmap_config() -> String {
    let cm = objects_of_kind(&["ConfigMap"]).remove(0);
    let w = workload();
    let c = container(&w);

    // Mounted where `run --config` looks.
    let volume = w["spec"]["template"]["spec"]["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|v| s(&v["configMap"]["name"]) == s(&cm["metadata"]["name"]))
        .expect("the ConfigMap is a volume")
        .clone();
    let mount = c["volumeMounts"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|m| s(&m["name"]) == s(&volume["name"]))
        .expect("the ConfigMap volume is mounted");
    let (key, text) = string_map(&cm["data"]).into_iter().next().expect("data");
    let args: Vec<&str> = c["args"]
        .as_sequence()
        .expect("args")
        .iter()
        .map(s)
        .collect();
    let path = format!("{}/{key}", s(&mount["mountPath"]));
    assert_eq!(args, ["run", "--config", path.as_str()]);

    let env: BTreeMap<&str, String> = c["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| {
            let name = s(&e["name"]);
            let value = match s(&e["valueFrom"]["fieldRef"]["fieldPath"]) {
                "metadata.name" => "slipstream-0".to_string(),
                _ => s(&e["value"]).to_string(),
            };
            (name, value)
        })
        .collect();
    // Comment lines may show ${VAR} examples; only the others are configuration.
    let mut out = String::new();
    for line in text.lines() {
        let mut line = line.to_string();
        while let Some(start) = line.find("${").filter(|_| !line.trim().starts_with('#')) {
            let end = start + line[start..].find('}').expect("closing brace");
            let name = line[start + 2..end].to_string();
            let value = env
                .get(name.as_str())
                .unwrap_or_else(|| panic!("${{{name}}} is not in the container's env"));
            line.replace_range(start..=end, value);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[test]
fn configmap_configuration_validates() {
    let text = configmap_config();
    let config = config::parse(&text, "configmap.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.start.listen.to_string(), "0.0.0.0:9977");
    let SourceConfig::Kafka(kafka) = &config.start.source else {
        panic!("the ConfigMap reads Kafka");
    };
    // Cluster mode: the pods split the partitions themselves, so no group membership
    // option, and no local checkpoint (slipstream refuses it with spec.cluster).
    assert!(!kafka.options.contains_key("group.instance.id"));
    assert!(config.start.checkpoint.is_none());
    let cluster = config.start.cluster.as_ref().expect("spec.cluster");
    // Each pod is a member under its own name, reachable at its headless DNS name.
    let w = workload();
    assert_eq!(s(&w["kind"]), "StatefulSet");
    assert_eq!(w["spec"]["replicas"].as_u64(), Some(3));
    assert_eq!(cluster.member_id, "slipstream-0");
    assert_eq!(
        cluster.advertise_url,
        format!("http://slipstream-0.{}:9977", s(&w["spec"]["serviceName"]))
    );
    assert!(!config.reload.objectives.is_empty());
}

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

#[test]
fn kustomize_renders_the_manifests() {
    let Ok(out) = std::process::Command::new("kubectl")
        .args(["kustomize"])
        .arg(deploy_dir().join("kubernetes"))
        .output()
    else {
        eprintln!("note: kubectl is not on PATH; skipping `kubectl kustomize`");
        return;
    };
    assert!(
        out.status.success(),
        "kubectl kustomize: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rendered = String::from_utf8(out.stdout).unwrap();
    assert_eq!(rendered.matches("\nkind: ").count(), k8s_objects().len());
}

fn dashboard() -> Json {
    let path = deploy_dir().join("grafana/slipstream-dashboard.json");
    serde_json::from_str(&read(&path)).unwrap()
}

/// Every panel that is not a row, including those nested in collapsed rows.
fn panels(dashboard: &Json) -> Vec<Json> {
    let mut out = Vec::new();
    for p in dashboard["panels"].as_array().expect("panels") {
        if p["type"] == "row" {
            out.extend(p["panels"].as_array().into_iter().flatten().cloned());
        } else {
            out.push(p.clone());
        }
    }
    out
}

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

#[test]
fn dockerfile_builds_in_two_stages_and_runs_as_non_root() {
    let text = read(&deploy_dir().join("Dockerfile"));
    let instructions: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let from: Vec<&&str> = instructions
        .iter()
        .filter(|l| l.starts_with("FROM "))
        .collect();
    assert_eq!(from.len(), 2, "{from:?}");
    assert!(from[0].starts_with("FROM rust:") && from[0].contains(" AS build"));
    assert!(text.contains("cargo build --release --locked"));
    let user = instructions
        .iter()
        .rfind(|l| l.starts_with("USER "))
        .expect("a USER");
    let uid = user["USER ".len()..].split(':').next().unwrap().trim();
    assert!(uid != "root" && uid != "0", "{user}");
    assert!(
        uid.parse::<u32>().is_ok(),
        "numeric uid, for runAsNonRoot: {user}"
    );
    for line in [
        "EXPOSE 9977",
        r#"VOLUME ["/var/lib/slipstream"]"#,
        r#"ENTRYPOINT ["slipstream"]"#,
        r#"CMD ["run", "--config", "/etc/slipstream/slipstream.yaml"]"#,
    ] {
        assert!(instructions.contains(&line), "{line}");
    }
    // What the build stage copies exists and is not ignored.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ignored = read(&root.join(".dockerignore"));
    for copy in instructions
        .iter()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        let args: Vec<&str> = copy.split_whitespace().skip(1).collect();
        for src in &args[..args.len() - 1] {
            assert!(root.join(src).exists(), "COPY {src}: missing");
            assert!(
                !ignored.lines().any(|l| l.trim_end_matches('/') == *src),
                "COPY {src}: in .dockerignore"
            );
        }
    }
}

#[test]
fn systemd_unit_is_hardened_and_keeps_state() {
    let unit = read(&deploy_dir().join("systemd/slipstream.service"));
    let settings: Vec<&str> = unit.lines().map(str::trim).collect();
    for want in [
        "ExecStart=/usr/local/bin/slipstream run --config /etc/slipstream/slipstream.yaml",
        "StateDirectory=slipstream",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "RestartPreventExitStatus=64",
    ] {
        assert!(settings.contains(&want), "{want}");
    }
    // A reload only where the README says SIGHUP reloads.
    let readme = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
    if settings.iter().any(|l| l.starts_with("ExecReload=")) {
        assert!(readme.contains("SIGHUP"));
    }
}

//! `deploy/`: every manifest, rule file and dashboard parses and states what the deployment
//! relies on (probes on the served paths, a non-root read-only container, selectors that
//! match the pods, a configuration that validates), and every metric the alerts and the
//! dashboard query is one slipstream serves — collected from `/metrics` of an in-process
//! pipeline built from the ConfigMap's own configuration.

mod docker_and_systemd;
mod grafana;
mod kubernetes;
mod parsing;
mod prometheus;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use serde_yaml_ng::Value as Yaml;

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

fn container(w: &Yaml) -> &Yaml {
    let containers = w["spec"]["template"]["spec"]["containers"]
        .as_sequence()
        .expect("containers");
    containers
        .iter()
        .find(|c| s(&c["name"]) == "slipstream")
        .expect("a container named slipstream")
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

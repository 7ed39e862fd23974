//! The Kubernetes manifests: every object named, the kustomization listing them all, the
//! workload's probes, resources and security, the Services, the budget and the ServiceMonitor
//! selecting the pods, and the ConfigMap's configuration for cluster mode.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_yaml_ng::Value as Yaml;

use super::{
    configmap_config, container, deploy_dir, files, k8s_objects, objects_of_kind, s, string_map,
    workload, yaml_docs,
};
use slipstream::config::{self, SourceConfig};

/// True when every pair of `selector` is in `labels` (and the selector is not empty).
fn selects(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
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

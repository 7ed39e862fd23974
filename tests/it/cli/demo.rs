//! The demo's configuration run by the binary: live numbers for every SLO, `/metrics` sent
//! whole, and `slipstream catalog` alike from the running instance and offline.

use super::{bin, http_get, http_response};

#[test]
fn the_demo_serves_live_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("demo.yaml");
    // The embedded demo, with less history so a debug build starts fast.
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.yaml")).unwrap();
    std::fs::write(
        &config,
        text.replace("history: 3h", "history: 10m")
            .replace("backfill: 35d", "backfill: 0s"),
    )
    .unwrap();
    let served = crate::helpers::Running::start(&config);
    let (status, body) = http_get(served.port, "/v1/slos").unwrap();
    assert_eq!(status, 200);
    let v: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let services: std::collections::BTreeSet<&str> = v["slos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service"].as_str().unwrap())
        .collect();
    assert_eq!(services.len(), 4);
    for slo in v["slos"].as_array().unwrap() {
        assert_eq!(slo["no_data"], false, "{} has no data", slo["slo"]);
    }
    let (status, headers, metrics) = http_response(served.port, "/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(metrics.contains("slo:sli_error:ratio_rate5m{sloth_id=\"checkout-availability\""));
    // Sent in chunks, with the length of them all.
    let length = format!("content-length: {}", metrics.len());
    assert!(headers.contains(&length), "{length} not in {headers:?}");
    assert!(
        metrics.contains("slipstream_service_info{service=\"search\",owner=\"discovery\",tier=\"4\",runbook_url=\"https://runbooks.example.com/search\"} 1"),
        "{metrics}"
    );

    // The catalog, from the running instance and offline from the same file, alike.
    let url = served.url();
    let remote = bin()
        .args(["catalog", "--json", "--url", &url])
        .output()
        .unwrap();
    assert_eq!(remote.status.code(), Some(0));
    let offline = bin()
        .args(["catalog", "--json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(offline.status.code(), Some(0));
    assert_eq!(remote.stdout, offline.stdout);
    let (status, body) = http_get(served.port, "/v1/catalog").unwrap();
    assert_eq!(status, 200);
    let served_json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let printed: serde_json::Value = serde_json::from_slice(&remote.stdout).unwrap();
    assert_eq!(served_json, printed);
    assert_eq!(printed["services"][0]["service"], "checkout");
    assert_eq!(printed["services"][0]["tier_target"], 0.999);
    assert_eq!(printed["services"][0]["slos"].as_array().unwrap().len(), 4);
    let table = bin().args(["catalog", "--url", &url]).output().unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 5, "{table}");
    assert_eq!(
        rows[1][..5],
        [
            "checkout",
            "payments",
            "2",
            "payments-primary",
            "availability,latency_p99,error_rate,throughput"
        ],
        "{table}"
    );
    assert_eq!(rows[2][..4], ["search", "discovery", "4", "-"], "{table}");
}

//! Members that differ or hand partitions over: one that counts an SLO otherwise makes the
//! answers partial, one that stops leaves at once, and one that takes a W3C partition over reads
//! on by its header.

use serde_json::Value;

use super::{PARTITIONS, json, member_config, member_config_from, page, top, wait_or_dump};
use crate::cli::{free_port, http_get};
use crate::crash::{Instance, traffic};
use crate::exact_windows::check_report;
use crate::kafka::{Broker, wait_for};

use slipstream::time::SECOND;

#[test]
fn a_member_that_counts_an_slo_otherwise_makes_answers_partial_and_one_that_stops_leaves_at_once() {
    let broker = Broker::start(false);
    broker.create_topic("logs", PARTITIONS);
    let dir = tempfile::tempdir().unwrap();
    let top = top();
    let input = traffic(top, 6_000, 29);
    let (first, second) = input.lines.split_at(input.lines.len() / 2);
    broker.produce("logs", PARTITIONS, first);
    let port = free_port();
    let m1 = Instance::start(&member_config(dir.path(), &broker, "c7", "m1", port), port);
    // m2 holds checkout's latency SLO to another threshold: another rule, another count.
    let port2 = free_port();
    let other = member_config(dir.path(), &broker, "c7", "m2", port2);
    let yaml = std::fs::read_to_string(&other)
        .unwrap()
        .replace("threshold: \"300ms\"", "threshold: \"250ms\"");
    assert!(yaml.contains("250ms"));
    std::fs::write(&other, yaml).unwrap();
    let m2 = Instance::start(&other, port2);
    wait_or_dump(&[&m1, &m2], 60, "both to see the mismatch", || {
        [&m1, &m2].iter().all(|m| {
            json(m, "/v1/slos").is_some_and(|r| {
                r["partial"] == Value::Bool(true)
                    && r["missing"]["slos"] == serde_json::json!(["checkout/latency_p99"])
                    && r["missing"]["partitions"] == serde_json::json!([])
                    && r["missing"]["log"] == Value::Bool(false)
            })
        })
    });
    if let Some(dom) = page(&m1) {
        assert!(dom.contains("data-testid=\"partial\""), "{dom}");
        assert!(dom.contains("checkout/latency_p99"), "{dom}");
    }
    let (status, body) = http_get(m1.port, "/readyz").unwrap();
    let ready: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        status, 200,
        "a mismatch does not take a member out: {ready}"
    );
    assert_eq!(
        ready["config_mismatch"],
        serde_json::json!(["m2"]),
        "{ready}"
    );
    // The mismatch shows in heartbeats before m2 has read anything, and m1 may have read
    // the first half before m2 took its share: the second half goes out once m2 owns
    // partitions, so m2 counts some of it.
    wait_or_dump(&[&m1, &m2], 60, "m2 to own partitions", || {
        json(&m1, "/v1/cluster").is_some_and(|c| {
            c["partitions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["owner"] == "m2")
        })
    });
    broker.produce("logs", PARTITIONS, second);
    wait_or_dump(
        &[&m1],
        60,
        "m2's counts of the changed SLO to reach m1 and be left out",
        || {
            m1.metric_sum("slipstream_cluster_foreign_sections_total ")
                .is_some_and(|n| n > 0)
        },
    );
    // m2 stops gracefully: m1 sees it gone before its last heartbeat is a member timeout old.
    let status = {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &m2.child.id().to_string()])
            .status();
        let mut m2 = m2;
        m2.child.wait().unwrap()
    };
    assert!(status.success(), "{status:?}");
    let mut age_when_whole = None;
    wait_or_dump(&[&m1], 30, "m1 to hold the whole picture alone", || {
        json(&m1, "/v1/cluster").is_some_and(|c| {
            let whole = c["partial"] == Value::Bool(false);
            if whole {
                age_when_whole = c["members"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|m| m["id"] == "m2")
                    .and_then(|m| m["heartbeat_age_seconds"].as_f64());
            }
            whole
        })
    });
    // m1 took m2's partitions over while m2's last heartbeat was younger than the member
    // timeout (5 s): only a heartbeat that says "leaving" allows that.
    let age = age_when_whole.expect("m2 is listed");
    assert!(age < 5.0, "m2 left {age} s after its last heartbeat");
    // Every SLO but the one m2 counted otherwise is exact; that one lacks what m2 read.
    // Every line, and evaluation time at the newest event (the partitions m1 took over
    // reached their ends).
    let end = slipstream::time::format_rfc3339(top);
    wait_for(60, "every line at T", || {
        m1.lines() == Some(input.lines.len() as u64)
            && json(&m1, "/v1/slos")
                .is_some_and(|r| r["slos"][0]["windows"][0]["end"] == end.as_str())
    });
    let mut report = json(&m1, "/v1/slos").unwrap();
    let slos = report["slos"].as_array_mut().unwrap();
    slos.retain(|s| !(s["service"] == "checkout" && s["slo"] == "latency_p99"));
    check_report(&report, &input, top);
}

/// A W3C log's `#Fields:` header is state of its partition: the member that takes a
/// partition over from a killed one reads the lines after the header by it, because the
/// deltas carry it (exact counts, no decode errors).
#[test]
fn a_member_taking_over_a_w3c_partition_reads_on_by_its_header() {
    const BASE: &str = r#"apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: iis}
spec:
  source: {stdin: {}}
  decode: {format: w3c, w3c: {preset: iis}}
  window: {max_future: 5m}
  services: [{name: shop, match: {path_prefix: /shop/}}]
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: shop-slo}
spec:
  service: shop
  indicators: [{name: availability, threshold: 99.9, window: 1h}]
"#;
    let broker = Broker::start(false);
    broker.create_topic("logs", 1);
    let dir = tempfile::tempdir().unwrap();
    let top = top();
    let header = [
        "#Software: Microsoft Internet Information Services 10.0".to_string(),
        "#Fields: date time s-ip cs-method cs-uri-stem sc-status time-taken".to_string(),
    ];
    // 40 requests a second apart ending at `top`, every seventh a 503; the last one's
    // second is the evaluation's end, so it is not counted yet.
    let lines: Vec<String> = (0..40)
        .map(|i| {
            let stamp = slipstream::time::format_rfc3339(top - (39 - i) * SECOND);
            let status = if i % 7 == 3 { 503 } else { 200 };
            format!(
                "{} {} 10.0.0.4 GET /shop/item/{i} {status} {}",
                &stamp[..10],
                &stamp[11..19],
                10 + i
            )
        })
        .collect();
    let bad = (0..39).filter(|i| i % 7 == 3).count() as i64;
    let start = |name: &str| {
        let port = free_port();
        let config = member_config_from(BASE, dir.path(), &broker, "cw", name, port, "");
        Instance::start(&config, port)
    };
    let m1 = start("m1");
    let first: Vec<String> = header.iter().chain(&lines[..20]).cloned().collect();
    broker.produce("logs", 1, &first);
    wait_or_dump(&[&m1], 60, "m1 to read the header and 20 lines", || {
        m1.lines() == Some(22)
    });
    assert_eq!(
        m1.metric_sum("slipstream_format_directives_total{"),
        Some(2)
    );
    m1.kill();
    broker.produce("logs", 1, &lines[20..]);
    let m2 = start("m2");
    wait_or_dump(
        &[&m2],
        90,
        "m2 to take the partition over and read on",
        || m2.lines() == Some(42),
    );
    assert_eq!(
        m2.metric_sum("slipstream_decode_errors_total{"),
        Some(0),
        "the lines after the takeover read by the header m1 saw"
    );
    assert_eq!(
        m2.metric_sum("slipstream_format_directives_total{"),
        Some(2)
    );
    let report = json(&m2, "/v1/slos").unwrap();
    let slo = &report["slos"][0];
    assert_eq!(
        (
            slo["budget"]["total"].as_i64(),
            slo["budget"]["bad"].as_i64()
        ),
        (Some(39), Some(bad)),
        "{slo}"
    );
}

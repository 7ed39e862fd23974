//! At most `max_hosts` sub-services plus one overflow however many hosts arrive (a hundred
//! thousand here, the checkpoint staying small), and the first overflow logged once with the cap.

use std::sync::Arc;

use serde_json::Value;

use super::{Req, api_at, config_yaml, get, reported, truth};
use crate::helpers::{NOON, Rng, alb_line, feed};
use slipstream::app::Pipeline;
use slipstream::clock::ManualClock;
use slipstream::config;
use slipstream::time::{MINUTE, SECOND};

/// The newest checkpoint file's size.
fn checkpoint_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("checkpoint-"))
        .map(|e| e.metadata().unwrap().len())
        .max()
        .unwrap()
}

#[tokio::test]
async fn a_hundred_thousand_hosts_make_fifty_sub_services_and_an_overflow() {
    let clock = Arc::new(ManualClock::new(NOON));
    let open = |dir: &tempfile::TempDir| {
        let yaml = config_yaml(
            50,
            &format!("  checkpoint: {{dir: \"{}\"}}", dir.path().display()),
        );
        let config = config::parse(&yaml, "t.yaml").unwrap();
        (Pipeline::open(&config, clock.clone()).unwrap(), config)
    };
    let (dir, reference_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (p, config) = open(&dir);
    let mut rng = Rng(42);
    // Host i's first request, in order, with repeats of earlier hosts mixed in.
    let requests: Vec<Req> = (0..100_000u64)
        .flat_map(|i| {
            let repeat = rng.below(i + 1);
            let status = [200, 503][usize::from(rng.below(10) == 0)];
            let t = NOON - 40 * MINUTE + (i as i64 % 100) * 20 * SECOND;
            [
                Req {
                    t_us: t,
                    host: format!("h{i}.example.com"),
                    status,
                    latency_ms: [20, 400][usize::from(i % 3 == 0)],
                },
                Req {
                    t_us: t + 1,
                    host: format!("H{repeat}.EXAMPLE.com"),
                    status: 200,
                    latency_ms: 20,
                },
            ]
        })
        .collect();
    let feed_all = |p: &Arc<Pipeline>, requests: &[Req]| {
        let mut lines: Vec<String> = requests.iter().map(Req::line).collect();
        lines.push(api_at(NOON - SECOND));
        let (a, b) = lines.split_at(lines.len() / 2);
        feed(p, 0, a, 4_096);
        feed(p, 1, b, 4_096);
        p.checkpoint();
    };
    feed_all(&p, &requests);

    let ordered: Vec<&Req> = requests.iter().collect();
    let (want_hosts, want) = truth(&ordered, 50);
    assert_eq!(want_hosts.len(), 50);
    let (_, body) = get(&p, "/v1/slos").await;
    let report: Value = serde_json::from_str(&body).unwrap();
    let (order, got) = reported(&report);
    let mut want_order: Vec<String> = want_hosts.iter().map(|h| format!("edge:{h}")).collect();
    want_order.push("edge:_overflow".into());
    assert_eq!(order, want_order);
    assert_eq!(got, want);
    // 51 sub-services × 2 SLOs, plus api's one SLO.
    assert_eq!(report["slos"].as_array().unwrap().len(), 51 * 2 + 1);
    let overflow_events = want["edge:_overflow"][1];
    let total_edge: u64 = want.values().map(|c| c[1]).sum();
    assert_eq!(total_edge, requests.len() as u64, "nothing is lost");

    let (_, metrics) = get(&p, "/metrics").await;
    for line in [
        "slipstream_split_hosts{service=\"edge\"} 50".to_string(),
        format!("slipstream_split_overflow_events_total{{service=\"edge\"}} {overflow_events}"),
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "missing {line}\n{metrics}"
        );
    }
    let series = metrics
        .lines()
        .filter(|l| l.starts_with("slipstream_slo_events_total{service=\"edge"))
        .count();
    assert_eq!(series, 51 * 2 * 2, "good and bad per sub-service and SLO");

    // State is bounded by max_hosts: the same requests with every overflowing host renamed
    // to one (51 hosts in all) give the same report and a checkpoint of the same size.
    let (reference, _) = open(&reference_dir);
    let assigned: Vec<String> = want_hosts.clone();
    let renamed: Vec<Req> = requests
        .iter()
        .map(|r| Req {
            host: if assigned.contains(&r.host.to_ascii_lowercase()) {
                r.host.clone()
            } else {
                "other.example.com".to_string()
            },
            ..r.clone()
        })
        .collect();
    feed_all(&reference, &renamed);
    let (_, body) = get(&reference, "/v1/slos").await;
    let reference_report: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        reported(&reference_report),
        (want_order.clone(), want.clone())
    );
    let (bytes, reference_bytes) = (
        checkpoint_bytes(dir.path()),
        checkpoint_bytes(reference_dir.path()),
    );
    assert!(
        bytes.abs_diff(reference_bytes) < 64,
        "{bytes} bytes for 100 000 hosts, {reference_bytes} for 51"
    );

    // A restart from the checkpoint: the same sub-services, in the same order, same counts.
    let restarted = Pipeline::open(&config, clock.clone()).unwrap();
    let (_, body) = get(&restarted, "/v1/slos").await;
    let again: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(reported(&again), (want_order.clone(), want.clone()));
    // New events after the restart: an assigned host keeps its sub-service, a new host
    // still overflows (the table is full).
    let host7 = &want_hosts[7];
    let more = [
        Req {
            t_us: NOON - 10 * MINUTE,
            host: host7.to_uppercase(),
            status: 500,
            latency_ms: 1,
        },
        Req {
            t_us: NOON - 10 * MINUTE,
            host: "brand-new.example.com".into(),
            status: 200,
            latency_ms: 1,
        },
    ];
    feed(
        &restarted,
        2,
        &more.iter().map(Req::line).collect::<Vec<_>>(),
        2,
    );
    let ordered: Vec<&Req> = requests.iter().chain(&more).collect();
    let (_, want_after) = truth(&ordered, 50);
    let (_, body) = get(&restarted, "/v1/slos").await;
    let after: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(reported(&after), (want_order, want_after));
}

#[test]
fn the_first_overflow_is_logged_once_with_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("split.yaml");
    std::fs::write(&config, config_yaml(2, "")).unwrap();
    let log = dir.path().join("alb.log");
    let hosts = [
        "a.example.com",
        "b.example.com",
        "c.example.com",
        "d.example.com",
        "c.example.com",
    ];
    let lines: Vec<String> = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            alb_line(
                NOON - MINUTE + i as i64 * SECOND,
                h,
                "/",
                200,
                Some((0, 5, 0)),
            )
        })
        .collect();
    // The last line, of api, sets the evaluation time past the edge requests.
    std::fs::write(
        &log,
        lines.join("\n") + "\n" + &api_at(NOON - SECOND) + "\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slipstream"))
        .args(["--log-format", "json", "replay", "--config"])
        .arg(&config)
        .arg(&log)
        .env_remove("SLIPSTREAM_LOG_FORMAT")
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    let warnings: Vec<Value> = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.to_string().contains("more hosts than max_hosts"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    let w = warnings[0].to_string();
    for fact in [
        "\"max_hosts\":2",
        "\"service\":\"edge\"",
        "edge:_overflow",
        "WARN",
    ] {
        assert!(w.contains(fact), "{fact} missing in {w}");
    }
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let overflow = report["slos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "edge:_overflow" && s["slo"] == "availability")
        .unwrap();
    assert_eq!(overflow["budget"]["total"], 3);
}

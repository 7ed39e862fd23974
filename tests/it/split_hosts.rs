//! Services split by host (`split_by: host`): every host its own SLOs, counted exactly and
//! checked against counts made here; at most `max_hosts` of them plus one overflow
//! sub-service however many hosts arrive; the assignment the same in every partition, kept
//! by a checkpoint and by a reload that leaves the service's events unchanged.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::helpers::{NOON, Rng, alb_line, feed, pipeline};
use slipstream::app::Pipeline;
use slipstream::clock::ManualClock;
use slipstream::config;
use slipstream::time::{MINUTE, SECOND};

/// A split service `edge` (`*.example.com`, at most `max_hosts` hosts) with an availability
/// and a latency SLO, and a plain service `api`; `extra` goes into the Pipeline's spec.
fn config_yaml(max_hosts: usize, extra: &str) -> String {
    format!(
        r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {{name: split}}
spec:
  source: {{stdin: {{}}}}
  decode: {{format: alb}}
{extra}
  services:
    - {{name: api, match: {{host: api.other.io}}}}
    - {{name: edge, match: {{host: "*.example.com"}}, split_by: host, max_hosts: {max_hosts}}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {{name: edge}}
spec:
  service: edge
  indicators:
    - {{name: availability, threshold: 99.9, window: 30d}}
    - {{name: latency_p99, threshold: "300ms", window: 30d}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {{name: api}}
spec:
  service: api
  indicators: [{{name: availability, threshold: 99, window: 30d}}]
"#
    )
}

/// One generated request.
#[derive(Debug, Clone)]
struct Req {
    t_us: i64,
    host: String,
    status: u16,
    latency_ms: u32,
}

impl Req {
    fn line(&self) -> String {
        alb_line(
            self.t_us,
            &self.host,
            "/",
            self.status,
            Some((0, self.latency_ms, 0)),
        )
    }
}

/// Per sub-service: `[availability good, availability total, latency good, latency total]`.
type Truth = HashMap<String, [u64; 4]>;

/// The counts each `edge` sub-service must report, computed here: hosts take slots first come
/// first served (lowercased) in the order fed; later hosts count in `edge:_overflow`.
fn truth(requests: &[&Req], max_hosts: usize) -> (Vec<String>, Truth) {
    let mut hosts: Vec<String> = Vec::new();
    let mut counts = Truth::new();
    for r in requests {
        let host = r.host.to_ascii_lowercase();
        if !host.ends_with(".example.com") {
            continue;
        }
        if !hosts.contains(&host) && hosts.len() < max_hosts {
            hosts.push(host.clone());
        }
        let name = if hosts.contains(&host) {
            format!("edge:{host}")
        } else {
            "edge:_overflow".to_string()
        };
        let c = counts.entry(name).or_default();
        let bad = r.status >= 500;
        c[0] += u64::from(!bad);
        c[1] += 1;
        c[2] += u64::from(!bad && r.latency_ms <= 300);
        c[3] += 1;
    }
    (hosts, counts)
}

/// What the pipeline reports: per `edge` sub-service, its 1h window counts of both SLOs, and
/// the order of the sub-services.
fn reported(report: &Value) -> (Vec<String>, Truth) {
    let mut order = Vec::new();
    let mut counts = Truth::new();
    for s in report["slos"].as_array().unwrap() {
        let service = s["service"].as_str().unwrap();
        if !service.starts_with("edge") {
            continue;
        }
        let w = s["windows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["window"] == "1h")
            .unwrap();
        let (good, total) = (w["good"].as_u64().unwrap(), w["total"].as_u64().unwrap());
        let c = counts.entry(service.to_string()).or_default();
        match s["slo"].as_str().unwrap() {
            "availability" => {
                order.push(service.to_string());
                c[0] = good;
                c[1] = total;
            }
            "latency_p99" => {
                c[2] = good;
                c[3] = total;
            }
            other => panic!("unexpected SLO {other}"),
        }
    }
    (order, counts)
}

/// A request of `api` at `t_us`: moves the evaluation time past the `edge` traffic.
fn api_at(t_us: i64) -> String {
    alb_line(t_us, "api.other.io", "/", 200, Some((0, 5, 0)))
}

async fn get(p: &Arc<Pipeline>, uri: &str) -> (StatusCode, String) {
    let response = slipstream::serve::router(p.clone())
        .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

fn random_requests(rng: &mut Rng, n: usize, hosts: &[&str], from_us: i64) -> Vec<Req> {
    (0..n)
        .map(|i| Req {
            t_us: from_us + i as i64 * 100_000 + rng.below(100_000) as i64,
            host: hosts[rng.below(hosts.len() as u64) as usize].to_string(),
            status: [200, 200, 200, 404, 500, 503][rng.below(6) as usize],
            latency_ms: [5, 120, 300, 301, 900][rng.below(5) as usize],
        })
        .collect()
}

#[tokio::test]
async fn every_host_gets_its_own_exact_slos() {
    let (p, _) = pipeline(&config_yaml(10, ""), NOON);
    let mut rng = Rng(7);
    let hosts = [
        "a.example.com",
        "B.Example.com",
        "b.example.com",
        "c.example.com",
        "www.c.example.com",
        "example.com",
        "api.other.io",
    ];
    let from = NOON - 50 * MINUTE;
    let all = random_requests(&mut rng, 20_000, &hosts, from);
    // Two partitions, fed one after the other.
    let (first, second) = all.split_at(all.len() / 2);
    feed(&p, 0, &first.iter().map(Req::line).collect::<Vec<_>>(), 700);
    let mut tail: Vec<String> = second.iter().map(Req::line).collect();
    tail.push(api_at(NOON - SECOND));
    feed(&p, 1, &tail, 700);

    let ordered: Vec<&Req> = all.iter().collect();
    let (want_hosts, want) = truth(&ordered, 10);
    let (body_status, body) = get(&p, "/v1/slos").await;
    assert_eq!(body_status, StatusCode::OK);
    let report: Value = serde_json::from_str(&body).unwrap();
    let (order, got) = reported(&report);
    let want_order: Vec<String> = want_hosts.iter().map(|h| format!("edge:{h}")).collect();
    assert_eq!(
        order, want_order,
        "sub-services in assignment order, no overflow"
    );
    assert_eq!(got, want);
    assert_eq!(
        want.len(),
        4,
        "a, b (either case), c and www.c; not example.com itself"
    );

    // One sub-service by its path; `:` needs no escaping, and escaped it works too.
    let (status, one) = get(&p, "/v1/slos/edge:b.example.com/latency_p99").await;
    assert_eq!(status, StatusCode::OK, "{one}");
    let one: Value = serde_json::from_str(&one).unwrap();
    assert_eq!(one["service"], "edge:b.example.com");
    let (status, _) = get(&p, "/v1/slos/edge%3Ab.example.com/availability").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(&p, "/v1/slos/edge:nobody.example.com/availability").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Its series (the web page's charts) sum the same events.
    let (status, series) = get(
        &p,
        "/v1/slos/edge:a.example.com/availability/series?window=1h&step=5m",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{series}");
    let series: Value = serde_json::from_str(&series).unwrap();
    assert_eq!(series["service"], "edge:a.example.com");
    let total: u64 = series["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["total"].as_u64().unwrap())
        .sum();
    assert_eq!(total, want["edge:a.example.com"][1]);
    // The split service itself is not an SLO entry: its sub-services are.
    let (status, _) = get(&p, "/v1/slos/edge/availability/series").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The plain service is reported as before.
    let api = report["slos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "api")
        .unwrap();
    // The last api request, at the evaluation time, is past every window's end.
    let api_total = all.iter().filter(|r| r.host == "api.other.io").count() as u64;
    assert_eq!(api["budget"]["total"].as_u64().unwrap(), api_total);

    let (_, metrics) = get(&p, "/metrics").await;
    let a = &want["edge:a.example.com"];
    for line in [
        format!(
            "slipstream_slo_events_total{{service=\"edge:a.example.com\",slo=\"availability\",result=\"good\"}} {}",
            a[0]
        ),
        format!(
            "slipstream_slo_events_total{{service=\"edge:a.example.com\",slo=\"availability\",result=\"bad\"}} {}",
            a[1] - a[0]
        ),
        "slipstream_split_hosts{service=\"edge\"} 4".to_string(),
        "slipstream_split_max_hosts{service=\"edge\"} 10".to_string(),
        "slipstream_split_overflow_events_total{service=\"edge\"} 0".to_string(),
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "missing {line}\n{metrics}"
        );
    }
    assert!(
        metrics.lines().any(|l| l.starts_with(
            "slo:sli_error:ratio_rate1h{sloth_id=\"edge:c.example.com-availability\",sloth_service=\"edge:c.example.com\",sloth_slo=\"availability\""
        )),
        "{metrics}"
    );
}

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
fn a_reload_keeps_the_assignment_unless_the_split_changes() {
    let (p, _) = pipeline(&config_yaml(2, ""), NOON);
    let reqs: Vec<Req> = ["x.example.com", "y.example.com", "z.example.com"]
        .iter()
        .map(|h| Req {
            t_us: NOON - MINUTE,
            host: h.to_string(),
            status: 200,
            latency_ms: 5,
        })
        .collect();
    let mut lines: Vec<String> = reqs.iter().map(Req::line).collect();
    lines.push(api_at(NOON - SECOND));
    feed(&p, 0, &lines, 10);
    let services = |p: &Pipeline| -> Vec<(String, u64)> {
        let e = p.evaluate();
        e.objectives
            .iter()
            .zip(&e.counts)
            .filter(|(o, _)| &*o.slo == "availability" && o.service.starts_with("edge"))
            .map(|(o, c)| (o.service.to_string(), c.lifetime[0]))
            .collect()
    };
    let before = vec![
        ("edge:x.example.com".to_string(), 1),
        ("edge:y.example.com".to_string(), 1),
        ("edge:_overflow".to_string(), 1),
    ];
    assert_eq!(services(&p), before);
    // An unrelated change (the api SLO's objective): everything is kept.
    let same = config_yaml(2, "").replace("threshold: 99,", "threshold: 98,");
    p.reload(config::parse(&same, "r.yaml")).unwrap();
    assert_eq!(services(&p), before);
    // A new host after the reload still overflows: the table was kept.
    feed(
        &p,
        0,
        &[reqs[2].line().replace("z.example", "w.example")],
        1,
    );
    assert_eq!(services(&p)[2], ("edge:_overflow".to_string(), 2));
    // Another max_hosts starts the assignment again.
    p.reload(config::parse(&config_yaml(3, ""), "r.yaml"))
        .unwrap();
    assert_eq!(services(&p), []);
    let e = p.evaluate();
    assert_eq!(e.splits[0].hosts, 0);
    assert_eq!(
        e.splits[0].overflow_events, 0,
        "the overflow count went with its table"
    );
}

#[test]
fn a_bad_max_hosts_is_a_config_error_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, config_yaml(0, "")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slipstream"))
        .arg("validate")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("document 1 (Pipeline split): spec.services[1].max_hosts: must be between 1 and 10000, not 0"),
        "{err}"
    );
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

//! Canary vs baseline end to end: a canary with a real error regression gets "roll back"
//! with per-variant counts equal to a count of the generated requests, a canary like its
//! baseline gets "healthy", one below the minimum sample "not enough data"; the Flagger
//! check answers by status, and `slipstream canary` exits 0, 10, 12 or 1 as a rollout step
//! reads it.

use std::process::Command;

use serde_json::Value;

use crate::helpers::{NOON, Running, alb_line, call, feed, get_json, parse_time, pipeline};
use slipstream::time::{MINUTE, SECOND};

/// `shop` runs a canary that fails 4 % of its requests against its baseline's 0.4 %;
/// `calm` runs one that behaves like its baseline; `rare` sends its canary a trickle.
fn config(source: &str) -> String {
    format!(
        r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {{name: canary}}
spec:
  source: {source}
  decode: {{format: alb}}
  services:
    - name: shop
      match: {{host: shop.example.com}}
      canary:
        canary: {{backend: shop-canary}}
        baseline: {{backend: shop-stable}}
        window: 20m
        min_requests: 500
    - name: calm
      match: {{host: calm.example.com}}
      canary: {{canary: {{backend: calm-canary}}, baseline: {{backend: calm-stable}}, min_requests: 500}}
    - name: rare
      match: {{host: rare.example.com}}
      canary: {{canary: {{backend: rare-canary}}, baseline: {{backend: rare-stable}}, min_requests: 500}}
    - name: plain
      match: {{host: plain.example.com}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {{name: shop}}
spec:
  service: shop
  indicators:
    - {{name: availability, threshold: 99.9, window: 30d}}
    - {{name: latency_p99, threshold: 300ms, window: 7d}}
"#
    )
}

/// One request of the traffic.
#[derive(Debug, Clone)]
struct Request {
    t: i64,
    service: &'static str,
    backend: String,
    status: u16,
    ms: u32,
}

impl Request {
    fn line(&self) -> String {
        alb_line(
            self.t,
            &format!("{}.example.com", self.service),
            "/api/pay",
            self.status,
            Some((0, self.ms, 0)),
        )
        .replacen(
            "targetgroup/my-targets/",
            &format!("targetgroup/{}/", self.backend),
            1,
        )
    }
}

/// 40 minutes before `end`, 4 requests a second: for `shop`, one in four on the canary
/// (every 25th of them 5xx, every 10th slow) and two in four on the baseline (every 250th
/// 5xx), the last on another target group; `calm` the same on both variants; `rare`'s canary
/// one request a minute.
fn traffic(end: i64) -> Vec<Request> {
    let mut out = Vec::new();
    let mut t = end - 40 * MINUTE;
    let mut i = 0u64;
    while t < end {
        let (backend, status, ms) = match i % 4 {
            0 => (
                "shop-canary",
                if (i / 4).is_multiple_of(25) { 503 } else { 200 },
                if i / 4 % 10 == 3 { 450 } else { 80 },
            ),
            1 | 2 => ("shop-stable", if i % 1000 == 1 { 503 } else { 200 }, 80),
            _ => ("shop-other", 200, 80),
        };
        out.push(Request {
            t,
            service: "shop",
            backend: backend.into(),
            status,
            ms,
        });
        let calm = if i.is_multiple_of(2) {
            "calm-canary"
        } else {
            "calm-stable"
        };
        out.push(Request {
            t,
            service: "calm",
            backend: calm.into(),
            status: if i % 400 < 2 { 500 } else { 200 },
            ms: 50 + (i % 7) as u32,
        });
        let rare = if i.is_multiple_of(240) {
            "rare-canary"
        } else {
            "rare-stable"
        };
        out.push(Request {
            t,
            service: "rare",
            backend: rare.into(),
            status: 200,
            ms: 20,
        });
        i += 1;
        t += 250_000;
    }
    out
}

#[tokio::test]
async fn a_regressed_canary_is_rolled_back_with_exact_counts() {
    let requests = traffic(NOON);
    let lines: Vec<String> = requests.iter().map(Request::line).collect();
    let (p, _clock) = pipeline(&config("{stdin: {}}"), NOON);
    feed(&p, 0, &lines, 1_000);
    let router = slipstream::serve::router(p.clone());
    let (status, v) = get_json(&router, "/v1/canary/shop").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["window"], "20m");
    let (start, end) = (
        parse_time(v["start"].as_str().unwrap()),
        parse_time(v["end"].as_str().unwrap()),
    );
    assert_eq!((end % MINUTE, end - start), (0, 20 * MINUTE));
    // The truth, counted here over [start, end).
    let count = |backend: &str| {
        let inside: Vec<&Request> = requests
            .iter()
            .filter(|r| r.service == "shop" && r.backend == backend && (start..end).contains(&r.t))
            .collect();
        let errors = inside.iter().filter(|r| r.status >= 500).count() as u64;
        let fast_ok = inside
            .iter()
            .filter(|r| r.status < 500 && r.ms <= 300)
            .count() as u64;
        (inside.len() as u64, errors, fast_ok)
    };
    for (variant, backend) in [("canary", "shop-canary"), ("baseline", "shop-stable")] {
        let (n, errors, fast_ok) = count(backend);
        let got = &v[variant];
        assert_eq!(got["requests"], n, "{variant}: {got}");
        assert_eq!(got["errors"], errors, "{variant}");
        assert_eq!(got["error_rate"].as_f64(), Some(errors as f64 / n as f64));
        assert_eq!(got["slis"][0]["slo"], "availability");
        assert_eq!(got["slis"][0]["good"], n - errors);
        assert_eq!(got["slis"][0]["total"], n);
        assert_eq!(got["slis"][1]["slo"], "latency_p99");
        assert_eq!(got["slis"][1]["good"], fast_ok);
        assert_eq!(got["latency"]["count"], n);
    }
    let (canary_n, canary_errors, _) = count("shop-canary");
    let (baseline_n, baseline_errors, _) = count("shop-stable");
    assert_eq!(canary_n, 20 * 60, "one request a second on the canary");
    assert_eq!(canary_errors, 48, "every 25th");
    assert_eq!((baseline_n, baseline_errors), (2_400, 5));
    // 4 % against 0.21 %: beyond 0.1 pp, and no test would call that chance.
    assert_eq!(v["verdict"], "roll_back", "{v}");
    assert_eq!(v["exit_code"], 10);
    let check = &v["checks"][0];
    assert_eq!(check["name"], "error_rate");
    assert_eq!(check["outcome"], "fail");
    assert!(check["p_value"].as_f64().unwrap() < 1e-6, "{check}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .starts_with("canary error rate 4.00 % vs baseline 0.21 %: +3.79 pp"),
        "{v}"
    );
    // The canary's slow tenth puts its p95 at 450 ms against 80 ms: a latency regression too.
    let latency = &v["checks"][1];
    assert_eq!(latency["outcome"], "fail", "{latency}");
    assert!((latency["canary"].as_f64().unwrap() - 450.0).abs() < 4.5);
    assert!((latency["baseline"].as_f64().unwrap() - 80.0).abs() < 0.8);

    // Flagger's check says it by status.
    let post = |uri: &str| {
        axum::http::Request::post(uri)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(
                r#"{"name":"shop","namespace":"prod","phase":"Progressing"}"#,
            ))
            .unwrap()
    };
    assert_eq!(call(&router, post("/v1/canary/shop/check")).await.0, 412);
    assert_eq!(get_json(&router, "/v1/canary/calm/check").await.0, 200);
    let (status, rare) = get_json(&router, "/v1/canary/rare/check").await;
    assert_eq!(
        (status, &rare["verdict"]),
        (425, &Value::from("not_enough_data"))
    );
    assert_eq!(rare["exit_code"], 12);
    assert_eq!(
        get_json(&router, "/v1/canary/rare/check?not_enough_data=pass")
            .await
            .0,
        200
    );
    // A window of its own; refusals.
    let (_, short) = get_json(&router, "/v1/canary/shop?window=5m").await;
    assert_eq!(short["canary"]["requests"], 5 * 60);
    assert_eq!(short["window"], "5m");
    for (uri, want) in [
        ("/v1/canary/nobody", 404),
        ("/v1/canary/plain", 404),
        ("/v1/canary/shop?window=2h", 400),
        ("/v1/canary/shop?window=90s", 400),
        ("/v1/canary/shop/check?not_enough_data=maybe", 400),
    ] {
        assert_eq!(get_json(&router, uri).await.0, want, "{uri}");
    }
}

#[tokio::test]
async fn a_canary_like_its_baseline_is_healthy() {
    let requests = traffic(NOON);
    let lines: Vec<String> = requests.iter().map(Request::line).collect();
    let (p, _clock) = pipeline(&config("{stdin: {}}"), NOON);
    feed(&p, 0, &lines, 1_000);
    let router = slipstream::serve::router(p.clone());
    let (_, v) = get_json(&router, "/v1/canary/calm").await;
    assert_eq!(v["verdict"], "healthy", "{v}");
    assert_eq!(v["exit_code"], 0);
    assert_eq!(v["window"], "30m", "the default window");
    assert_eq!(v["canary"]["requests"], 30 * 60 * 2);
    assert_eq!(v["baseline"]["requests"], 30 * 60 * 2);
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["outcome"] == "pass"),
        "{v}"
    );
}

/// The traffic, ending a minute ago, in a log file of `dir` read once by `slipstream run`
/// with `extra` lines added to the Pipeline's spec; a request of no service now sets the
/// evaluation time. The configuration's path.
fn logged(dir: &std::path::Path, extra: &str) -> std::path::PathBuf {
    let log = dir.join("alb.log");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64;
    let end = now.div_euclid(MINUTE) * MINUTE - MINUTE;
    let mut lines: Vec<String> = traffic(end).iter().map(Request::line).collect();
    lines.push(alb_line(now - SECOND, "nobody.test", "/", 200, None));
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let config_path = dir.join("c.yaml");
    let source = format!(
        "{{file: {{paths: [{}], follow: false}}}}{extra}",
        log.display()
    );
    std::fs::write(&config_path, config(&source)).unwrap();
    config_path
}

#[test]
fn slipstream_canary_exits_as_a_rollout_step_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = Running::start(&logged(dir.path(), ""));
    let url = run.url();
    let canary = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_slipstream"))
            .args(["canary", "--url", &url])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    // The file is read after readiness: wait for the shop's canary to hold its window.
    loop {
        let (code, text, _) = canary(&["--service", "shop"]);
        if code == Some(10) {
            assert!(text.starts_with("ROLL BACK: canary error rate "), "{text}");
            assert!(text.contains("service shop · window 20m"), "{text}");
            let row = text.lines().find(|l| l.starts_with("canary ")).unwrap();
            assert!(row.contains(" 80.0 ms") || row.contains(" 450."), "{text}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{code:?} {text}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let (code, text, _) = canary(&["--service", "calm", "--window", "10m"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.starts_with("HEALTHY: no check failed"), "{text}");
    let (code, json, _) = canary(&["--service", "rare", "--json"]);
    assert_eq!(code, Some(12), "{json}");
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["verdict"], "not_enough_data");
    let (code, _, err) = canary(&["--service", "plain"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("compares no canary"), "{err}");
    let (code, _, err) = canary(&["--service", "shop", "--window", "1 hour"]);
    assert_eq!(code, Some(1), "{err}");
}

#[test]
fn a_restart_keeps_the_comparison_and_the_contributors() {
    let dir = tempfile::tempdir().unwrap();
    let config_path = logged(
        dir.path(),
        &format!(
            "\n  checkpoint: {{dir: \"{}\", interval: 1h}}\n  attribution: {{by: [status]}}",
            dir.path().join("state").display()
        ),
    );
    let get = |run: &Running, path: &str| -> Value {
        let (status, body) = crate::cli::http_get(run.port, path).unwrap();
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    };
    let canary_path = "/v1/canary/shop";
    let contributors_path = "/v1/slos/shop/availability/contributors?window=30m&by=status";
    let run = Running::start(&config_path);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let before = loop {
        let v = get(&run, canary_path);
        if v["verdict"] == "roll_back" {
            break v;
        }
        assert!(std::time::Instant::now() < deadline, "{v}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let contributors = get(&run, contributors_path);
    assert_eq!(
        contributors["contributors"][0]["key"], "503",
        "{contributors}"
    );
    // SIGTERM writes a last checkpoint; the file is not read again after the restart.
    assert!(run.terminate());
    let run = Running::start(&config_path);
    let after = get(&run, canary_path);
    for key in ["start", "end", "canary", "baseline", "verdict", "checks"] {
        assert_eq!(after[key], before[key], "{key}: {after}");
    }
    assert_eq!(get(&run, contributors_path), contributors);
}

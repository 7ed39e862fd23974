//! Firing alerts for pollers and for Alertmanager: `GET /api/v1/alerts` in Prometheus's
//! shape (with `activeAt` kept across evaluations), and the push to a real Alertmanager
//! (Debian's `prometheus-alertmanager`, skipped with a note when absent): an alert arrives with
//! its labels, then its resolve. Traffic is fed in simulated time whose clock reads the real
//! time, because Alertmanager judges `endsAt` by its own wall clock.

use std::process::{Command, Stdio};
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::cli::{free_port, http_get};
use crate::helpers::{alb_line, feed_open, pipeline};
use crate::prometheus::{Processes, available, wait_for};
use slipstream::config::AlertmanagerConfig;
use slipstream::notify::alertmanager::Notifier;
use slipstream::source::{LineBatch, PartitionId, Sink};
use slipstream::time::{MINUTE, SECOND};

const CONFIG: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: am}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services:
    - name: checkout
      match: {host: checkout.example.com}
      owner: payments
      tier: 1
      oncall: payments-primary
      runbook_url: https://runbooks.example/checkout
      dashboard_url: https://grafana.example/d/checkout
      labels: {team: pay}
  alertmanager: {url: "http://127.0.0.1:9", interval: 1s, resend: 2s, timeout: 2s}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: checkout}
spec:
  service: checkout
  indicators: [{name: availability, threshold: 99.9, window: 30d}]
---
apiVersion: reliability/v1
kind: ErrorBudgetPolicy
metadata: {name: checkout}
spec:
  service: checkout
  # Held for two hours: pending throughout, listed for pollers, never pushed.
  burn_rate_thresholds: [{name: held, threshold: 2, duration: 1h, for: 2h}]
"#;

fn wall_now() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    (d.as_micros() as i64) / SECOND * SECOND
}

/// One request a second over `[from, to)`, every `bad_every`-th a 503 (0: none).
fn traffic(from: i64, to: i64, bad_every: i64) -> Vec<String> {
    (0..(to - from) / SECOND)
        .map(|i| {
            let bad = bad_every > 0 && i % bad_every == 0;
            alb_line(
                from + i * SECOND,
                "checkout.example.com",
                "/pay",
                if bad { 503 } else { 200 },
                Some((0, 5, 0)),
            )
        })
        .collect()
}

fn apply(sink: &mut slipstream::app::PipelineSink, lines: &[String]) {
    let mut b = LineBatch::new();
    for l in lines {
        b.push(l.as_bytes());
    }
    sink.apply(PartitionId::new(0, 0), &b);
}

async fn prom_alerts(router: &axum::Router) -> Value {
    let response = router
        .clone()
        .oneshot(Request::get("/api/v1/alerts").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn api_v1_alerts_has_prometheus_shape_and_keeps_active_at() {
    let now = wall_now();
    let (p, _clock) = pipeline(CONFIG, now);
    // Half the requests fail over the ten minutes up to now − 6m: every burn alert fires.
    let mut sink = feed_open(&p, 0, &traffic(now - 16 * MINUTE, now - 6 * MINUTE, 2), 100);
    let router = slipstream::serve::router(p.clone());
    let v = prom_alerts(&router).await;
    assert_eq!(v["status"], "success");
    let alerts = v["data"]["alerts"].as_array().unwrap();
    let page = alerts
        .iter()
        .find(|a| a["labels"]["alertname"] == "page_1h_5m")
        .unwrap_or_else(|| panic!("no page alert: {v}"));
    assert_eq!(
        page["labels"],
        serde_json::json!({"alertname": "page_1h_5m", "service": "checkout", "slo": "availability",
            "severity": "page", "kind": "burn_rate", "long_window": "1h", "short_window": "5m",
            "owner": "payments", "tier": "1", "oncall": "payments-primary", "team": "pay"})
    );
    assert_eq!(
        page["annotations"]["runbook_url"],
        "https://runbooks.example/checkout"
    );
    assert_eq!(
        page["annotations"]["dashboard_url"],
        "https://grafana.example/d/checkout"
    );
    assert_eq!(page["state"], "firing");
    let first_active = page["activeAt"].as_str().unwrap().to_string();
    assert_eq!(
        first_active,
        slipstream::time::format_rfc3339(now - 6 * MINUTE - SECOND),
        "activeAt is the evaluation time"
    );
    // Burn over 1h: 300 bad of the 599 events before T (its own second is not complete)
    // against a 0.1 % budget.
    let value: f64 = page["value"].as_str().unwrap().parse().unwrap();
    assert!((value - 300.0 / 599.0 / 0.001).abs() < 1e-6, "{value}");
    assert!(
        page["annotations"]["summary"]
            .as_str()
            .unwrap()
            .contains("checkout/availability")
    );
    assert!(page["annotations"]["description"].is_string());
    for a in alerts {
        let keys: Vec<&str> = a.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(
            keys,
            ["activeAt", "annotations", "labels", "state", "value"]
        );
    }
    // The held alert is pending, active since the minute its condition began.
    let held = alerts
        .iter()
        .find(|a| a["labels"]["alertname"] == "held")
        .unwrap_or_else(|| panic!("no held alert: {v}"));
    assert_eq!(held["state"], "pending", "{held}");
    // The first minute evaluated: the first batch (100 requests) moved T to its newest.
    let since = slipstream::time::floor_to(now - 16 * MINUTE + 99 * SECOND, MINUTE);
    assert_eq!(
        held["activeAt"],
        slipstream::time::format_rfc3339(since),
        "{held}"
    );

    // More failing traffic moves the evaluation time; activeAt stays when the alert began.
    apply(&mut sink, &traffic(now - 6 * MINUTE, now - 5 * MINUTE, 2));
    let v = prom_alerts(&router).await;
    let page = v["data"]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["labels"]["alertname"] == "page_1h_5m")
        .unwrap()
        .clone();
    assert_eq!(page["activeAt"], first_active.as_str());
    // Six clean minutes: the 5m window recovers, the page stops and leaves the list.
    apply(&mut sink, &traffic(now - 5 * MINUTE, now + SECOND, 0));
    let v = prom_alerts(&router).await;
    assert!(
        v["data"]["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["labels"]["alertname"] != "page_1h_5m"),
        "{v}"
    );
}

/// Alertmanager's `GET /api/v2/alerts`: the active alerts.
fn am_alerts(port: u16) -> Vec<Value> {
    match http_get(port, "/api/v2/alerts") {
        Some((200, body)) => serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")),
        _ => Vec::new(),
    }
}

fn am_page(port: u16) -> Option<Value> {
    am_alerts(port)
        .into_iter()
        .find(|a| a["labels"]["alertname"] == "page_1h_5m")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_reach_a_real_alertmanager_and_resolve() {
    if !available("prometheus-alertmanager", "prometheus-alertmanager") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let am = free_port();
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &config,
        "route:\n\
         \x20 receiver: blackhole\n\
         \x20 group_wait: 1s\n\
         \x20 group_interval: 1s\n\
         \x20 repeat_interval: 1h\n\
         \x20 routes: [{receiver: payments, matchers: ['owner=\"payments\"', 'tier=\"1\"']}]\n\
         receivers: [{name: blackhole}, {name: payments}]\n",
    )
    .unwrap();
    let mut procs = Processes::default();
    procs.0.push(
        Command::new("prometheus-alertmanager")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{am}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("am.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    tokio::task::spawn_blocking(move || {
        wait_for(Duration::from_secs(30), "alertmanager ready", || {
            matches!(http_get(am, "/-/ready"), Some((200, _)))
        })
    })
    .await
    .unwrap();

    let now = wall_now();
    let (p, _clock) = pipeline(CONFIG, now);
    let listen: std::net::SocketAddr = "127.0.0.1:9977".parse().unwrap();
    let mut notifier = Notifier::new(
        p.clone(),
        p.alertmanager_stats.clone(),
        AlertmanagerConfig {
            url: format!("http://127.0.0.1:{am}"),
            interval_us: SECOND,
            resend_us: 2 * SECOND,
            timeout_us: 2 * SECOND,
        },
        listen,
    );
    let mut sink = feed_open(&p, 0, &traffic(now - 16 * MINUTE, now - 6 * MINUTE, 2), 100);
    let sent = notifier.tick().await.unwrap();
    assert!(sent >= 1, "nothing sent");
    // Nothing new and no resend due within `resend`: no request.
    assert_eq!(notifier.tick().await.unwrap(), 0);
    let page = tokio::task::spawn_blocking(move || {
        let mut found = None;
        wait_for(Duration::from_secs(10), "the page in alertmanager", || {
            found = am_page(am);
            found.is_some()
        });
        found.unwrap()
    })
    .await
    .unwrap();
    for (k, v) in [
        ("alertname", "page_1h_5m"),
        ("service", "checkout"),
        ("slo", "availability"),
        ("severity", "page"),
        ("kind", "burn_rate"),
        ("owner", "payments"),
        ("tier", "1"),
        ("oncall", "payments-primary"),
        ("team", "pay"),
    ] {
        assert_eq!(page["labels"][k], v, "{page}");
    }
    // Alertmanager routed it by the catalog's labels, and kept its links.
    assert_eq!(
        page["receivers"],
        serde_json::json!([{"name": "payments"}]),
        "{page}"
    );
    assert_eq!(
        page["annotations"]["runbook_url"],
        "https://runbooks.example/checkout"
    );
    assert_eq!(
        page["annotations"]["dashboard_url"],
        "https://grafana.example/d/checkout"
    );
    assert_eq!(page["status"]["state"], "active", "{page}");
    assert_eq!(
        page["generatorURL"],
        "http://127.0.0.1:9977/v1/slos/checkout/availability"
    );
    assert!(page["annotations"]["summary"].is_string());
    // The held alert is pending: not pushed.
    assert!(
        am_alerts(am)
            .iter()
            .all(|a| a["labels"]["alertname"] != "held"),
        "{:?}",
        am_alerts(am)
    );

    // The 5m window recovers: the page is resolved once, and leaves Alertmanager's list.
    apply(&mut sink, &traffic(now - 6 * MINUTE, now + SECOND, 0));
    assert!(notifier.tick().await.unwrap() >= 1);
    tokio::task::spawn_blocking(move || {
        wait_for(Duration::from_secs(10), "the page resolved", || {
            am_page(am).is_none()
        })
    })
    .await
    .unwrap();
    let metrics = slipstream::serve::metrics::render_now(&*p);
    assert!(
        metrics
            .lines()
            .any(|l| l == "slipstream_alertmanager_notifications_total{result=\"ok\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.lines().any(|l| l
            == "slipstream_service_info{service=\"checkout\",owner=\"payments\",tier=\"1\",\
                oncall=\"payments-primary\",team=\"pay\",\
                runbook_url=\"https://runbooks.example/checkout\",\
                dashboard_url=\"https://grafana.example/d/checkout\"} 1"),
        "{metrics}"
    );
    drop(procs);
}

#[tokio::test]
async fn an_unreachable_alertmanager_counts_failures() {
    let now = wall_now();
    let (p, _clock) = pipeline(CONFIG, now);
    let _sink = feed_open(&p, 0, &traffic(now - 16 * MINUTE, now - 6 * MINUTE, 2), 100);
    let dead = free_port();
    let mut notifier = Notifier::new(
        p.clone(),
        p.alertmanager_stats.clone(),
        AlertmanagerConfig {
            url: format!("http://127.0.0.1:{dead}"),
            interval_us: SECOND,
            resend_us: 2 * SECOND,
            timeout_us: SECOND,
        },
        "127.0.0.1:9977".parse().unwrap(),
    );
    assert!(notifier.tick().await.is_err());
    // Not marked sent: the next tick tries again.
    assert!(notifier.tick().await.is_err());
    let metrics = slipstream::serve::metrics::render_now(&*p);
    assert!(
        metrics
            .lines()
            .any(|l| l == "slipstream_alertmanager_notifications_total{result=\"failed\"} 2")
    );
}

#[test]
fn alertmanager_config_errors_name_their_fields() {
    let bad = CONFIG.replace(
        r#"{url: "http://127.0.0.1:9", interval: 1s, resend: 2s, timeout: 2s}"#,
        r#"{url: "https://am.example.com", interval: 0s, resend: soon, timeout: 2s}"#,
    );
    let e = slipstream::config::parse(&bad, "am.yaml")
        .unwrap_err()
        .to_string();
    for field in ["url", "interval", "resend"] {
        assert!(
            e.contains(&format!("spec.alertmanager.{field}")),
            "{field}: {e}"
        );
    }
    assert!(!e.contains("spec.alertmanager.timeout"), "{e}");
    let typo = CONFIG.replace("timeout: 2s", "timout: 2s");
    let e = slipstream::config::parse(&typo, "am.yaml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("timout"), "{e}");
    let c = slipstream::config::parse(
        &CONFIG.replace(", interval: 1s, resend: 2s, timeout: 2s", ""),
        "am.yaml",
    )
    .unwrap();
    let am = c.start.alertmanager.unwrap();
    assert_eq!(
        (am.interval_us, am.resend_us, am.timeout_us),
        (30 * SECOND, 60 * SECOND, 5 * SECOND)
    );
}

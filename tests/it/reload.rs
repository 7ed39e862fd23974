//! Configuration reload: what keeps its counts, what starts again with `valid_since`, what
//! is rejected (and how that shows), in simulated time; then the binary reloading on SIGHUP
//! and on a file change.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::cli::{free_port, http_get};
use crate::helpers::{NOON, Rng, alb_line, feed, feed_open, pipeline, slo_in};
use slipstream::app::{Pipeline, ReloadError, ReloadSummary};
use slipstream::config;
use slipstream::source::{LineBatch, PartitionId, Sink};
use slipstream::time::{HOUR, SECOND, format_rfc3339};
use slipstream::window::Sums;

const PIPELINE: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: reload}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services:
    - {name: checkout, match: {host: checkout.example.com}}
    - {name: search, match: {host: search.example.com}}
"#;

const CHECKOUT: &str = r#"
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: checkout}
spec:
  service: checkout
  indicators:
    - {name: availability, threshold: 99.9, window: 30d}
    - {name: latency_p99, threshold: "300ms", window: 7d}
"#;

const SEARCH: &str = r#"
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: search}
spec:
  service: search
  indicators: [{name: availability, threshold: 99, window: 7d}]
"#;

fn config() -> String {
    format!("{PIPELINE}{CHECKOUT}{SEARCH}")
}

/// One generated request: line, latency in µs, status, host.
type Generated = (String, i64, u16, &'static str);

/// `n` requests to both services, evenly from `from` to `to` inclusive: (line, latency in
/// µs, status, host).
fn traffic(seed: u64, from: i64, to: i64, n: i64) -> Vec<Generated> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let t = from + (to - from) * i / (n - 1);
            let host = if rng.below(3) == 0 {
                "search.example.com"
            } else {
                "checkout.example.com"
            };
            let status = if rng.below(40) == 0 { 503 } else { 200 };
            let target_ms = rng.below(600) as u32;
            let line = alb_line(t, host, "/api", status, Some((1, target_ms, 1)));
            (line, i64::from(target_ms + 2) * 1_000, status, host)
        })
        .collect()
}

fn lines(t: &[Generated]) -> Vec<String> {
    t.iter().map(|(l, ..)| l.clone()).collect()
}

fn reload(p: &Pipeline, yaml: &str) -> Result<ReloadSummary, ReloadError> {
    p.reload(config::parse(yaml, "reload.yaml"))
}

fn report(p: &Pipeline) -> Value {
    serde_json::to_value(p.evaluate().report).unwrap()
}

fn ids(report: &Value) -> Vec<String> {
    report["slos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{}/{}",
                s["service"].as_str().unwrap(),
                s["slo"].as_str().unwrap()
            )
        })
        .collect()
}

/// The counts of every window of an SLO report, and its budget's counts.
fn counts(slo: &Value) -> (Vec<(String, u64, u64)>, Value) {
    let windows = slo["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                format!("{} {} {}", w["window"], w["start"], w["end"]),
                w["good"].as_u64().unwrap(),
                w["total"].as_u64().unwrap(),
            )
        })
        .collect();
    let budget = &slo["budget"];
    (
        windows,
        serde_json::json!([budget["good"], budget["total"]]),
    )
}

fn fed() -> (Arc<Pipeline>, Vec<Generated>) {
    let (p, _) = pipeline(&config(), NOON);
    let t = traffic(1, NOON - 2 * HOUR, NOON - SECOND, 3_000);
    feed(&p, 0, &lines(&t), 250);
    (p, t)
}

#[test]
fn an_unchanged_config_and_a_new_objective_keep_every_count() {
    let (p, _) = fed();
    let before = report(&p);
    let lifetime_before: Vec<[u64; 2]> = p.evaluate().counts.iter().map(|c| c.lifetime).collect();

    let same = reload(&p, &config()).unwrap();
    assert_eq!(same.generation, 1);
    assert_eq!(same.changes.kept.len(), 3);
    assert_eq!(report(&p), before, "an identical reload changes nothing");

    let stricter = config().replace(
        "threshold: 99.9, window: 30d",
        "threshold: 99.5, window: 30d",
    );
    let summary = reload(&p, &stricter).unwrap();
    assert_eq!(summary.generation, 2);
    assert_eq!(
        summary.changes.kept,
        [
            "checkout/availability",
            "checkout/latency_p99",
            "search/availability"
        ]
    );
    assert!(summary.changes.reset.is_empty() && summary.changes.added.is_empty());
    let after = report(&p);
    for id in ids(&before) {
        assert_eq!(
            counts(slo_in(&after, &id)),
            counts(slo_in(&before, &id)),
            "{id}"
        );
        assert!(slo_in(&after, &id).get("valid_since").is_none(), "{id}");
    }
    assert_eq!(slo_in(&after, "checkout/availability")["objective"], 0.995);
    let lifetime_after: Vec<[u64; 2]> = p.evaluate().counts.iter().map(|c| c.lifetime).collect();
    assert_eq!(lifetime_after, lifetime_before);
}

#[test]
fn a_sink_opened_before_a_reload_applies_to_the_new_generation() {
    let (p, _) = pipeline(&config(), NOON);
    let first = traffic(2, NOON - HOUR, NOON - 30 * 60 * SECOND, 500);
    let mut sink = feed_open(&p, 0, &lines(&first), 100);
    let stricter = config().replace("threshold: 99, window: 7d", "threshold: 95, window: 7d");
    reload(&p, &stricter).unwrap();
    let second = traffic(3, NOON - 30 * 60 * SECOND, NOON - SECOND, 500);
    let mut batch = LineBatch::new();
    for l in lines(&second) {
        batch.push(l.as_bytes());
    }
    sink.apply(PartitionId::new(0, 0), &batch);
    sink.end_of_partition(PartitionId::new(0, 0));
    let all: Vec<_> = first.iter().chain(&second).collect();
    let e = p.evaluate();
    let search_total = all.iter().filter(|t| t.3 == "search.example.com").count() as u64;
    let search_bad = all
        .iter()
        .filter(|t| t.3 == "search.example.com" && t.2 >= 500)
        .count() as u64;
    assert_eq!(
        e.counts[2].lifetime,
        [search_total - search_bad, search_bad]
    );
    // The partition reported its end through the old sink: it no longer holds T back.
    assert!(e.partitions.iter().all(|s| !s.active));
}

#[test]
fn a_changed_threshold_resets_that_slo_only_and_says_since_when() {
    let (p, _) = fed();
    let before = report(&p);
    let slower = config().replace("\"300ms\"", "\"500ms\"");
    let summary = reload(&p, &slower).unwrap();
    assert_eq!(summary.changes.reset, ["checkout/latency_p99"]);
    assert_eq!(
        summary.changes.kept,
        ["checkout/availability", "search/availability"]
    );
    let after = report(&p);
    for id in ["checkout/availability", "search/availability"] {
        assert_eq!(
            counts(slo_in(&after, id)),
            counts(slo_in(&before, id)),
            "{id}"
        );
        assert!(slo_in(&after, id).get("valid_since").is_none());
    }
    let latency = slo_in(&after, "checkout/latency_p99");
    assert_eq!(latency["no_data"], true);
    assert!(
        counts(latency)
            .0
            .iter()
            .all(|(_, g, total)| *g == 0 && *total == 0)
    );
    // The newest event was at NOON − 1 s: counting is complete from the next second.
    assert_eq!(latency["valid_since"], format_rfc3339(NOON));

    // New events are judged by the new threshold.
    let later = traffic(4, NOON, NOON + 60 * SECOND, 400);
    feed(&p, 0, &lines(&later), 100);
    let e = p.evaluate();
    let want_bad = later
        .iter()
        .filter(|x| x.3 == "checkout.example.com" && (x.2 >= 500 || x.1 > 500_000))
        .count() as u64;
    let want_total = later
        .iter()
        .filter(|x| x.3 == "checkout.example.com")
        .count() as u64;
    assert_eq!(e.counts[1].lifetime, [want_total - want_bad, want_bad]);
}

/// The capacity counts of service `name` over the traffic's two hours.
fn capacity(p: &Pipeline, name: &str) -> Sums {
    let g = p.generation();
    let i = g.services.iter().position(|s| s == name).unwrap();
    g.store
        .counters()
        .capacity(i)
        .minutes(NOON - 2 * HOUR, NOON)
}

#[test]
fn a_service_inserted_before_others_resets_the_ones_after_it() {
    let (p, t) = fed();
    let checkout: Vec<_> = t.iter().filter(|x| x.3 == "checkout.example.com").collect();
    let checkout = Sums {
        requests: checkout.len() as u64,
        measured: checkout.len() as u64,
        latency_sum_us: checkout.iter().map(|x| x.1 as u64).sum(),
    };
    assert_eq!(capacity(&p, "checkout"), checkout);
    let searches = t.iter().filter(|x| x.3 == "search.example.com").count() as u64;
    assert_eq!(capacity(&p, "search").requests, searches);
    let before = report(&p);
    let with_admin = config().replace(
        "    - {name: search,",
        "    - {name: admin, match: {path_prefix: /admin}}\n    - {name: search,",
    );
    let summary = reload(&p, &with_admin).unwrap();
    assert_eq!(
        summary.changes.kept,
        ["checkout/availability", "checkout/latency_p99"]
    );
    assert_eq!(summary.changes.reset, ["search/availability"]);
    let after = report(&p);
    assert_eq!(
        counts(slo_in(&after, "checkout/latency_p99")),
        counts(slo_in(&before, "checkout/latency_p99"))
    );
    assert_eq!(slo_in(&after, "search/availability")["no_data"], true);
    // Capacity counts follow their service the same way.
    assert_eq!(capacity(&p, "checkout"), checkout);
    assert_eq!(capacity(&p, "search"), Sums::default());
    // A changed matcher of the first service resets everything after it too.
    let moved = with_admin.replace("host: checkout.example.com", "host: shop.example.com");
    let summary = reload(&p, &moved).unwrap();
    assert!(summary.changes.kept.is_empty(), "{summary:?}");
}

#[tokio::test]
async fn a_removed_slo_disappears_and_an_added_one_starts_empty() {
    let (p, _) = fed();
    let before = report(&p);
    let changed = format!(
        "{PIPELINE}{}",
        CHECKOUT.replace(
            "    - {name: latency_p99,",
            "    - {name: error_rate, threshold: 0.5, window: 7d}\n    - {name: latency_p99,"
        )
    );
    let summary = reload(&p, &changed).unwrap();
    assert_eq!(summary.changes.removed, ["search/availability"]);
    assert_eq!(summary.changes.added, ["checkout/error_rate"]);
    let after = report(&p);
    assert_eq!(
        ids(&after),
        [
            "checkout/availability",
            "checkout/error_rate",
            "checkout/latency_p99"
        ]
    );
    let added = slo_in(&after, "checkout/error_rate");
    assert_eq!(added["no_data"], true);
    assert_eq!(added["valid_since"], format_rfc3339(NOON));
    for id in ["checkout/availability", "checkout/latency_p99"] {
        assert_eq!(
            counts(slo_in(&after, id)),
            counts(slo_in(&before, id)),
            "{id}"
        );
    }
    let router = slipstream::serve::router(p.clone());
    let (status, _) = get(&router, "/v1/slos/search/availability").await;
    assert_eq!(status, 404);
    let (_, metrics) = get(&router, "/metrics").await;
    assert!(!metrics.contains("sloth_service=\"search\""), "{metrics}");
    assert!(
        metrics.contains("slipstream_config_reloads_total 1\n"),
        "{metrics}"
    );
}

async fn get(router: &axum::Router, uri: &str) -> (u16, String) {
    let response = router
        .clone()
        .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn an_invalid_config_keeps_the_old_one_and_shows_why() {
    let (p, _) = fed();
    let router = slipstream::serve::router(p.clone());
    let before = report(&p);
    let (ready_before, _) = get(&router, "/readyz").await;

    let broken = config().replace("threshold: 99, window: 7d", "threshold: 101, window: 7d");
    let Err(ReloadError::Invalid(e)) = reload(&p, &broken) else {
        panic!("a threshold of 101 % was accepted")
    };
    assert_eq!(e.problems.len(), 1);
    assert_eq!(report(&p), before, "the old configuration keeps running");
    let (ready_after, body) = get(&router, "/readyz").await;
    assert_eq!(
        ready_after, ready_before,
        "a bad edit does not change readiness"
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    let error = v["config_reload_error"].as_str().unwrap();
    assert!(
        error.starts_with("invalid configuration: reload.yaml: document 3 (ServiceLevelObjective search): spec.indicators[0].threshold"),
        "{error}"
    );
    let (_, metrics) = get(&router, "/metrics").await;
    for line in [
        "slipstream_config_reload_failures_total 1",
        "slipstream_config_reloads_total 0",
        "slipstream_config_last_reload_successful 0",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} not in\n{metrics}"
        );
    }

    // Fixing it clears the error.
    reload(&p, &config()).unwrap();
    let (_, body) = get(&router, "/readyz").await;
    assert!(!body.contains("config_reload_error"), "{body}");
    let (_, metrics) = get(&router, "/metrics").await;
    for line in [
        "slipstream_config_reload_failures_total 1",
        "slipstream_config_reloads_total 1",
        "slipstream_config_last_reload_successful 1",
        &format!(
            "slipstream_config_last_reload_success_timestamp_seconds {}",
            NOON / SECOND
        ),
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} not in\n{metrics}"
        );
    }
}

#[test]
fn source_listen_checkpoint_and_http_changes_need_a_restart() {
    let (p, _) = fed();
    let before = report(&p);
    let cases = [
        (
            config().replace(
                "source: {stdin: {}}",
                "source: {file: {paths: [/var/log/a.log]}}",
            ),
            "spec.source changed: restart slipstream to apply it",
        ),
        (
            config().replace("  source:", "  listen: 127.0.0.1:9988\n  source:"),
            "spec.listen changed: restart slipstream to apply it",
        ),
        (
            config().replace("  source:", "  checkpoint: {dir: /tmp/x}\n  source:"),
            "spec.checkpoint changed: restart slipstream to apply it",
        ),
        (
            config().replace("  source:", "  http: {auth: {token_env: X}}\n  source:"),
            "spec.http.auth changed: restart slipstream to apply it",
        ),
    ];
    for (i, (yaml, want)) in cases.iter().enumerate() {
        let Err(e @ ReloadError::NeedsRestart(_)) = reload(&p, yaml) else {
            panic!("{want}: accepted")
        };
        assert_eq!(e.to_string(), *want);
        assert_eq!(
            p.reload_stats
                .failures
                .load(std::sync::atomic::Ordering::Relaxed),
            i as u64 + 1
        );
        assert_eq!(p.reload_stats.last_error().as_deref(), Some(*want));
    }
    assert_eq!(report(&p), before);
    assert_eq!(p.generation().number, 0);
}

/// Settings read only at start that a reload used to accept silently while the old values
/// stayed in force: each is now rejected, naming the field, on `/readyz` and in `/metrics`.
#[tokio::test]
async fn decode_limits_dead_letter_and_alertmanager_changes_need_a_restart() {
    let (p, _) = fed();
    let router = slipstream::serve::router(p.clone());
    let before = report(&p);
    let cases = [
        (
            config().replace(
                "decode: {format: alb}",
                "decode: {format: alb, max_line_bytes: 2048}",
            ),
            "spec.decode.max_line_bytes",
        ),
        (
            config().replace(
                "decode: {format: alb}",
                "decode: {format: alb, dead_letter: {path: /tmp/dead.jsonl}}",
            ),
            "spec.decode.dead_letter",
        ),
        (
            config().replace(
                "  source:",
                "  alertmanager: {url: \"http://127.0.0.1:9093\"}\n  source:",
            ),
            "spec.alertmanager",
        ),
        (
            config().replace("metadata: {name: reload}", "metadata: {name: renamed}"),
            "metadata.name",
        ),
    ];
    for (yaml, field) in &cases {
        let want = format!("{field} changed: restart slipstream to apply it");
        match reload(&p, yaml) {
            Err(ReloadError::NeedsRestart(fields)) => assert_eq!(fields, [*field]),
            other => panic!("{field}: {other:?}"),
        }
        assert_eq!(p.reload_stats.last_error().as_deref(), Some(want.as_str()));
        let (_, body) = get(&router, "/readyz").await;
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["config_reload_error"], want.as_str(), "{body}");
        assert_eq!(v["restart_required"], serde_json::json!([field]), "{body}");
        let (_, metrics) = get(&router, "/metrics").await;
        let line = format!("slipstream_config_reload_restart_required{{field=\"{field}\"}} 1");
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} not in\n{metrics}"
        );
    }
    assert_eq!(report(&p), before, "the running configuration stays");
    assert_eq!(p.generation().number, 0);

    // Two restart-only changes at once: both named.
    let both = cases[0]
        .0
        .replace("  source:", "  listen: 127.0.0.1:9988\n  source:");
    match reload(&p, &both) {
        Err(ReloadError::NeedsRestart(fields)) => {
            assert_eq!(fields, ["spec.listen", "spec.decode.max_line_bytes"])
        }
        other => panic!("{other:?}"),
    }

    // Back to the running file: the reload applies and nothing needs a restart any more.
    reload(&p, &config()).unwrap();
    let (_, body) = get(&router, "/readyz").await;
    assert!(!body.contains("restart_required"), "{body}");
    let (_, metrics) = get(&router, "/metrics").await;
    assert!(
        !metrics
            .lines()
            .any(|l| l.starts_with("slipstream_config_reload_restart_required{")),
        "{metrics}"
    );
}

/// A child process killed on drop.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_binary_reloads_on_sighup_and_on_a_file_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slipstream.yaml");
    let stderr = dir.path().join("stderr.log");
    std::fs::write(&path, format!("{PIPELINE}{CHECKOUT}")).unwrap();
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_slipstream"))
        .args(["run", "--config"])
        .arg(&path)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let child = Child(child);
    wait_for("the server", || http_get(port, "/readyz").is_some());
    let slos = || -> Vec<String> {
        http_get(port, "/v1/slos")
            .and_then(|(_, body)| serde_json::from_str::<Value>(&body).ok())
            .map(|v| ids(&v))
            .unwrap_or_default()
    };
    assert_eq!(slos(), ["checkout/availability", "checkout/latency_p99"]);

    // SIGHUP reloads the edited file.
    std::fs::write(&path, config()).unwrap();
    let status = Command::new("kill")
        .args(["-HUP", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    wait_for("search/availability", || {
        slos().contains(&"search/availability".to_string())
    });
    wait_for("the SIGHUP log line", || {
        std::fs::read_to_string(&stderr)
            .unwrap()
            .contains("SIGHUP: reloading configuration")
    });

    // A bad edit, saved like an editor does (write aside, rename over), is noticed without
    // a signal; the old configuration keeps serving.
    let aside = dir.path().join("slipstream.yaml.tmp");
    std::fs::write(&aside, config().replace("format: alb", "format: apache")).unwrap();
    std::fs::rename(&aside, &path).unwrap();
    wait_for("the reload error on /readyz", || {
        http_get(port, "/readyz").is_some_and(|(_, body)| body.contains("config_reload_error"))
    });
    let (_, body) = http_get(port, "/readyz").unwrap();
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(
        v["config_reload_error"]
            .as_str()
            .unwrap()
            .contains("spec.decode.format"),
        "{body}"
    );
    assert_eq!(slos().len(), 3, "still serving the last good configuration");
    let (_, metrics) = http_get(port, "/metrics").unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l == "slipstream_config_reload_failures_total 1"),
        "{metrics}"
    );
    assert_eq!(http_get(port, "/healthz").map(|(s, _)| s), Some(200));
    drop(child);
}

#[test]
fn a_checkpoint_after_a_reload_names_slos_as_the_new_config_does() {
    let dir = tempfile::tempdir().unwrap();
    let with_checkpoint = |yaml: &str| {
        yaml.replace(
            "  source:",
            &format!("  checkpoint: {{dir: {}}}\n  source:", dir.path().display()),
        )
    };
    let clock = Arc::new(slipstream::clock::ManualClock::new(NOON));
    let first = config::parse(&with_checkpoint(&config()), "a.yaml").unwrap();
    let p = Pipeline::open(&first, clock.clone()).unwrap();
    let t = traffic(5, NOON - HOUR, NOON - SECOND, 1_000);
    feed(&p, 0, &lines(&t), 100);
    // The SLOs change places: index 0 is now search/availability.
    let reordered = with_checkpoint(&format!("{PIPELINE}{SEARCH}{CHECKOUT}"));
    reload(&p, &reordered).unwrap();
    p.checkpoint();
    let live = report(&p);
    let restarted = Pipeline::open(&config::parse(&reordered, "b.yaml").unwrap(), clock).unwrap();
    let restored = report(&restarted);
    assert_eq!(ids(&restored)[0], "search/availability");
    for id in ids(&live) {
        assert_eq!(
            counts(slo_in(&restored, &id)),
            counts(slo_in(&live, &id)),
            "{id}"
        );
    }
}

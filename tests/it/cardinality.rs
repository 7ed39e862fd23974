//! Bounded state however many distinct hosts the logs carry, and label values that survive
//! `/metrics` whatever characters a service name holds.

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::helpers::{NOON, alb_line, feed, pipeline};
use slipstream::source::PartitionId;
use slipstream::time::SECOND;

const CONFIG: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: cardinality}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services:
    - {name: "edge \"west\"\\prod\nline", match: {host: "*.example.com"}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: edge}
spec:
  service: "edge \"west\"\\prod\nline"
  indicators:
    - {name: availability, threshold: 99.9, window: 30d}
    - {name: latency_p99, threshold: "300ms", window: 30d}
"#;

/// The exported state: its serialized size (counts and partition 0), the number of SLO
/// states, and partition 0's unmatched events.
fn shard_size(p: &std::sync::Arc<slipstream::app::Pipeline>) -> (usize, usize, u64) {
    let g = p.generation();
    let shard = g.store.get(PartitionId::new(0, 0)).unwrap();
    let shard = slipstream::window::lock(&shard).export();
    let counters = g
        .store
        .counters()
        .export(&g.slo_ids, &g.services, &g.store.plan().splits);
    (
        serde_json::to_vec(&(&counters, &shard)).unwrap().len(),
        counters.slos.len(),
        shard.stats.unmatched,
    )
}

#[test]
fn a_hundred_thousand_hosts_create_no_state() {
    let (p, _) = pipeline(CONFIG, NOON);
    let lines = |n: usize, domain: &str| -> Vec<String> {
        (0..n)
            .map(|i| {
                let t = NOON - 60 * SECOND + (i as i64 % 60) * SECOND;
                alb_line(t, &format!("h{i}.{domain}"), "/", 200, Some((0, 1000, 0)))
            })
            .collect()
    };
    feed(&p, 0, &lines(1_000, "example.com"), 500);
    let (bytes_before, slos_before, unmatched_before) = shard_size(&p);
    assert_eq!((slos_before, unmatched_before), (2, 0));
    // 100 000 distinct hosts: half match the wildcard service, half match nothing.
    let mut many = lines(50_000, "example.com");
    many.extend(lines(50_000, "elsewhere.net"));
    feed(&p, 0, &many, 4_096);
    let g = p.generation();
    assert_eq!(g.services.len(), 1);
    assert_eq!(g.slo_ids.len(), 2);
    assert_eq!(g.store.shards().len(), 1);
    let (bytes_after, slos_after, unmatched_after) = shard_size(&p);
    assert_eq!(slos_after, 2);
    assert_eq!(unmatched_after, 50_000);
    // Counters got bigger numbers, not more entries (a few bytes of varints at most).
    assert!(
        bytes_after < bytes_before + bytes_before / 10,
        "{bytes_before} → {bytes_after}"
    );
    let report = p.evaluate().report;
    assert_eq!(report.slos.len(), 2);
}

#[tokio::test]
async fn label_values_are_escaped_in_metrics() {
    let (p, _) = pipeline(CONFIG, NOON);
    let line = alb_line(NOON - SECOND, "a.example.com", "/", 200, Some((0, 1000, 0)));
    feed(&p, 0, &[line], 1);
    let response = slipstream::serve::router(p)
        .oneshot(
            Request::builder()
                .uri("/metrics")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8(body.to_vec()).unwrap();
    let want = r#"slipstream_slo_events_total{service="edge \"west\"\\prod\nline",slo="availability",result="good"} 1"#;
    assert!(body.lines().any(|l| l == want), "missing {want}\n{body}");
    // Every sample stays on one line: no raw newline from the name splits one.
    assert!(!body.lines().any(|l| l.starts_with("line")), "{body}");
}

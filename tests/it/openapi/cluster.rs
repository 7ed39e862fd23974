//! A cluster member's answers (`/v1/cluster`, partial reports, a diverged or reset log) match
//! the document, and a single instance's `/v1/cluster` is its documented 404.

use serde_json::json;

use super::check_response;
use crate::helpers::{NOON, get_json as get};
use slipstream::time::SECOND;

const CLUSTER_CONFIG: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: c}
spec:
  source:
    kafka: {brokers: ["127.0.0.1:9092"], topics: [logs], group_id: g}
  decode: {format: alb}
  cluster: {name: c, member_id: m1, advertise_url: "http://m1:9977"}
  services:
    - {name: checkout, match: {host: checkout.example.com}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: checkout}
spec:
  service: checkout
  indicators:
    - {name: availability, threshold: 99.9, window: 30d}
    - {name: throughput, threshold: 20, window: 5m, type: minimum}
"#;

/// A cluster member's answers (its fold fed log records by hand, no broker: a peer that
/// owns a partition, one whose heartbeat is old, one partition nobody claimed) match the
/// document, and a single instance's `/v1/cluster` is its documented 404.
#[tokio::test]
async fn cluster_answers_match_the_document() {
    use slipstream::cluster::fold::Epoch;
    use slipstream::cluster::record::{Delta, Fence, Heartbeat, Record, SloCounts, Source};
    use slipstream::cluster::shared::FoldTarget;
    let now = NOON;
    let config =
        slipstream::config::parse(CLUSTER_CONFIG, "c.yaml").unwrap_or_else(|e| panic!("{e}"));
    let p = slipstream::app::Pipeline::new(
        &config,
        std::sync::Arc::new(slipstream::clock::ManualClock::new(now)),
    );
    let shared = p.cluster.clone().unwrap();
    let src = |partition| Source {
        topic: "logs".into(),
        partition,
    };
    shared.set_raw_partitions(vec![src(0), src(1), src(2)]);
    let target: &dyn FoldTarget = &*p;
    let fingerprints = target.fingerprints();
    let epoch = Epoch {
        number: 1,
        member: "m2".into(),
    };
    let beat = |member: &str, sent_us, partitions| Heartbeat {
        member: member.into(),
        url: format!("http://{member}:9977"),
        sent_us,
        partitions,
        applied: 3,
        lag: vec![(src(0), 7)],
        config: 42,
        slos: vec![1, 2],
        leaving: false,
        digest: None,
    };
    let records = [
        Record::Fence(Fence {
            source: src(0),
            epoch: epoch.clone(),
            start: 0,
            sent_us: now,
        }),
        Record::Delta(Box::new(Delta {
            source: src(0),
            epoch,
            from: 0,
            to: 5,
            sent_us: now,
            newest_us: Some(now - SECOND),
            slos: vec![SloCounts {
                slo: fingerprints.slos[0],
                seconds: vec![(now / SECOND - 2, 4, 5)],
            }],
            ..Delta::default()
        })),
        Record::Fence(Fence {
            source: src(1),
            epoch: Epoch {
                number: 1,
                member: "m3".into(),
            },
            start: 0,
            sent_us: now,
        }),
        Record::Heartbeat(beat("m2", now - SECOND, vec![src(0)])),
        Record::Heartbeat(beat("m3", now - 60 * SECOND, vec![src(1)])),
    ];
    for (i, r) in records.iter().enumerate() {
        shared.apply(i as u64, &r.encode(), target);
    }
    shared.at_end(records.len() as u64, now);
    let router = slipstream::serve::router(p.clone());
    let (_, document) = get(&router, "/openapi.json").await;
    for (uri, path) in [
        ("/v1/cluster", "/v1/cluster"),
        ("/v1/slos", "/v1/slos"),
        ("/v1/slos/checkout/availability", "/v1/slos/{service}/{slo}"),
        ("/v1/alerts", "/v1/alerts"),
        ("/readyz", "/readyz"),
    ] {
        let (status, body) = get(&router, uri).await;
        check_response(&document, path, "get", &status.to_string(), &body);
        if uri == "/v1/cluster" {
            assert_eq!(body["partial"], json!(true), "{body}");
            assert_eq!(
                body["missing"]["partitions"],
                json!(["logs/1", "logs/2"]),
                "m3 is gone and nobody claimed logs/2: {body}"
            );
            assert_eq!(
                body["missing"]["slos"],
                json!(["checkout/availability", "checkout/throughput"])
            );
            assert_eq!(body["config_mismatch"], json!(["m2"]));
        }
        if uri == "/v1/slos" {
            assert_eq!(body["partial"], json!(true));
            assert_eq!(body["slos"][0]["windows"][0]["total"], json!(5), "{body}");
        }
    }
    // Folds compare digests at every 256th offset: a peer whose digest differs is reported,
    // one whose digest matches is not.
    for offset in records.len() as u64..256 {
        let filler = Record::Heartbeat(beat("m9", now - SECOND, vec![]));
        shared.apply(offset, &filler.encode(), target);
    }
    let mine = shared
        .heartbeat(now, &fingerprints, vec![], false)
        .digest
        .expect("a digest at offset 256");
    assert_eq!(mine.0, 256);
    let mut same = beat("m2", now, vec![src(0)]);
    same.digest = Some(mine);
    shared.apply(256, &Record::Heartbeat(same).encode(), target);
    let mut other = beat("m3", now - 60 * SECOND, vec![src(1)]);
    other.digest = Some((256, mine.1 ^ 1));
    shared.apply(257, &Record::Heartbeat(other).encode(), target);
    shared.at_end(258, now);
    let (status, body) = get(&router, "/v1/cluster").await;
    check_response(&document, "/v1/cluster", "get", &status.to_string(), &body);
    assert_eq!(body["log"]["diverged"], json!(["m3"]), "{body}");
    assert_eq!(body["partial"], json!(true));
    // The log now ends before what the fold applied. One look may be a stale answer; still
    // so 5 s later with nothing applied, it was deleted or recreated: reported, and the
    // member is not ready.
    shared.at_end(2, now);
    let (_, body) = get(&router, "/v1/cluster").await;
    assert_eq!(body["log"]["reset"], json!(false), "{body}");
    shared.at_end(2, now + slipstream::cluster::shared::RESET_AFTER_US);
    let (status, body) = get(&router, "/v1/cluster").await;
    check_response(&document, "/v1/cluster", "get", &status.to_string(), &body);
    assert_eq!(body["log"]["reset"], json!(true), "{body}");
    assert_eq!(body["missing"]["log"], json!(true), "{body}");
    let (status, body) = get(&router, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("deleted or recreated"),
        "{body}"
    );
    check_response(&document, "/readyz", "get", "503", &body);
    let single = slipstream::config::parse(
        &CLUSTER_CONFIG.replace(
            "  cluster: {name: c, member_id: m1, advertise_url: \"http://m1:9977\"}\n",
            "",
        ),
        "s.yaml",
    )
    .unwrap();
    let router = slipstream::serve::router(slipstream::app::Pipeline::new(
        &single,
        std::sync::Arc::new(slipstream::clock::ManualClock::new(now)),
    ));
    let (status, body) = get(&router, "/v1/cluster").await;
    assert_eq!(status, 404);
    check_response(&document, "/v1/cluster", "get", "404", &body);
}

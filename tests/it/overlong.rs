//! Lines over `spec.decode.max_line_bytes` are counted as too long and never decoded, from
//! the sink and from the file source end to end.

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::helpers::{NOON, alb_line, feed, pipeline};
use slipstream::time::SECOND;

const CONFIG: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: overlong}
spec:
  source: {stdin: {}}
  decode: {format: alb, max_line_bytes: 2000}
  services: [{name: checkout, match: {host: checkout.example.com}}]
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: checkout}
spec:
  service: checkout
  indicators: [{name: availability, threshold: 99.9, window: 30d}]
"#;

async fn metrics(p: std::sync::Arc<slipstream::app::Pipeline>) -> String {
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
    String::from_utf8(body.to_vec()).unwrap()
}

/// A valid ALB line, the same line made too long (2,000 bytes is the cap) by its path, and a
/// line of exactly 2,000 bytes that is not ALB.
fn lines() -> [String; 3] {
    let line = |path: &str| {
        alb_line(
            NOON - SECOND,
            "checkout.example.com",
            path,
            200,
            Some((0, 1000, 0)),
        )
    };
    let long = line(&format!("/{}", "p".repeat(2100)));
    assert!(long.len() > 2000);
    [line("/a"), long, "q".repeat(2000)]
}

#[tokio::test]
async fn the_sink_rejects_lines_over_the_cap() {
    let (p, _) = pipeline(CONFIG, NOON);
    let [good, long, at_cap] = lines();
    feed(&p, 0, &[good.clone(), long, at_cap, good], 10);
    let body = metrics(p).await;
    for want in [
        r#"slipstream_decode_errors_total{format="alb",reason="too_long"} 1"#,
        r#"slipstream_decode_errors_total{format="alb",reason="missing_fields"} 1"#,
        r#"slipstream_events_total{outcome="applied"} 2"#,
    ] {
        assert!(body.lines().any(|l| l == want), "missing {want}\n{body}");
    }
}

#[test]
fn replaying_a_file_skips_a_huge_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alb.log");
    let good = alb_line(
        NOON - SECOND,
        "checkout.example.com",
        "/a",
        200,
        Some((0, 1000, 0)),
    );
    let text = format!("{good}\n{}\n{good}\n", "h".repeat(5_000_000));
    std::fs::write(&path, text).unwrap();
    let config = slipstream::config::parse(CONFIG, "t.yaml").unwrap();
    let (p, _) = pipeline(CONFIG, NOON);
    let source = slipstream::app::build_source(
        &slipstream::config::StartConfig {
            source: slipstream::config::SourceConfig::File(slipstream::source::file::FileSpec {
                paths: vec![path],
                follow: false,
            }),
            ..config.start
        },
        &p,
    );
    source
        .run(&mut p.sink(), &slipstream::source::StopSignal::new())
        .unwrap();
    let g = p.generation();
    let shards = g.store.shards();
    let shard = slipstream::window::lock(&shards[0].1);
    assert_eq!(shard.stats.too_long, 1);
    assert_eq!(shard.stats.applied, 2);
}

#[test]
fn the_cap_is_validated() {
    for bad in ["0", "-1", "2000000000"] {
        let text = CONFIG.replace("max_line_bytes: 2000", &format!("max_line_bytes: {bad}"));
        let e = slipstream::config::parse(&text, "t.yaml").unwrap_err();
        assert!(
            e.to_string().contains("spec.decode.max_line_bytes"),
            "{bad}: {e}"
        );
    }
    let default = CONFIG.replace(", max_line_bytes: 2000", "");
    assert_eq!(
        slipstream::config::parse(&default, "t.yaml")
            .unwrap()
            .start
            .max_line_bytes,
        65536
    );
}

/// `explain` runs the pipeline's own ingest call: a line over the cap is `too_long` in both,
/// and every other line's verdict (decoded or its reason) is the same in both.
#[test]
fn explain_and_the_pipeline_agree_on_too_long_lines() {
    let config = slipstream::config::parse(CONFIG, "t.yaml").unwrap();
    let explainer = slipstream::explain::Explainer::new(&config);
    let [good, long, at_cap] = lines();
    for (line, decoded, reason) in [
        (&good, true, None),
        (&long, false, Some("too_long")),
        (&at_cap, false, Some("missing_fields")),
    ] {
        let x = explainer.explain(1, line.as_bytes(), NOON);
        assert_eq!(x.decoded, decoded, "{line:.80}");
        assert_eq!(x.error.as_ref().map(|f| f.reason), reason, "{line:.80}");
        if reason == Some("too_long") {
            let f = x.error.as_ref().unwrap();
            assert_eq!(f.stage, "length");
            assert!(
                f.message.contains("max_line_bytes (2000 bytes)"),
                "{}",
                f.message
            );
        }

        // The same line through the running pipeline.
        let (p, _) = pipeline(CONFIG, NOON);
        feed(&p, 0, std::slice::from_ref(line), 10);
        let stats = p.evaluate().partitions[0].stats;
        assert_eq!(stats.applied, u64::from(decoded), "{line:.80}");
        assert_eq!(stats.too_long, u64::from(reason == Some("too_long")));
        assert_eq!(
            stats.decode_errors_total(),
            u64::from(!decoded),
            "{line:.80}"
        );
    }
}

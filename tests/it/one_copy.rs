//! One copy of the counts whatever the number of partitions: the same events read from one
//! partition and from sixteen give the same report and the same counters, and a checkpoint
//! holds one state per SLO.

use std::sync::Arc;

use crate::helpers::{NOON, alb_line, api_slo_config, feed, pipeline};
use slipstream::app::Pipeline;
use slipstream::time::SECOND;
use slipstream::window::CountersState;

fn counters(p: &Arc<Pipeline>) -> CountersState {
    let g = p.generation();
    g.store
        .counters()
        .export(&g.slo_ids, &g.services, &g.store.plan().splits)
}

#[test]
fn sixteen_partitions_count_like_one_into_one_copy() {
    let yaml = api_slo_config(
        r#"{name: availability, threshold: 99, window: 7d}, {name: latency_p90, threshold: "200ms", window: 7d}"#,
        "",
    );
    let lines: Vec<String> = (0..4_800)
        .map(|i| {
            let status = if i % 13 == 0 { 503 } else { 200 };
            let latency_ms = (i * 37 % 400) as u32;
            let t = NOON - 4_800 * SECOND + i * SECOND;
            alb_line(t, "api.example.com", "/", status, Some((0, latency_ms, 0)))
        })
        .collect();
    let (one, _) = pipeline(&yaml, NOON);
    feed(&one, 0, &lines, 100);
    let (many, _) = pipeline(&yaml, NOON);
    for (p, part) in lines.chunks(300).enumerate() {
        feed(&many, p as i32, part, 100);
    }
    assert_eq!(many.generation().store.shards().len(), 16);
    let report = |p: &Arc<Pipeline>| serde_json::to_value(p.evaluate().report).unwrap();
    let (a, b) = (report(&one), report(&many));
    assert_eq!(a, b);
    // The counts are what was fed: the window ends at the newest event, so the 4,799 before
    // it, every 13th bad.
    let window = &a["slos"][0]["windows"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let bad = (0..4_799).filter(|i| i % 13 == 0).count() as u64;
    assert_eq!(window["total"], 4_799);
    assert_eq!(window["good"], 4_799 - bad);
    // One state per SLO and per service, however many partitions fed them.
    let (a, b) = (counters(&one), counters(&many));
    assert_eq!((b.slos.len(), b.latency.len()), (2, 1));
    assert_eq!(a, b);
}

//! The dead-letter file: every undecodable line as one JSON object, size-capped.

use std::sync::Arc;

use serde_json::Value;

use crate::helpers::{NOON, alb_line};
use slipstream::app::Pipeline;
use slipstream::clock::ManualClock;
use slipstream::source::{LineBatch, PartitionId, Sink};
use slipstream::time::SECOND;

fn config(path: &std::path::Path, max_bytes: u64) -> String {
    format!(
        r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {{name: dead}}
spec:
  source: {{stdin: {{}}}}
  decode:
    format: alb
    max_line_bytes: 1000
    dead_letter: {{path: "{}", max_bytes: {max_bytes}}}
  services: [{{name: checkout}}]
"#,
        path.display()
    )
}

fn open(yaml: &str) -> Arc<Pipeline> {
    let config = slipstream::config::parse(yaml, "t.yaml").unwrap();
    Pipeline::open(&config, Arc::new(ManualClock::new(NOON))).unwrap()
}

fn apply(p: &Arc<Pipeline>, lines: &[&[u8]], next_offset: u64) {
    let mut sink = p.sink();
    let pid = PartitionId::new(0, 0);
    sink.assign(pid, "access.log");
    let mut batch = LineBatch::new();
    for l in lines {
        batch.push(l);
    }
    batch.next_offset = next_offset;
    sink.apply(pid, &batch);
}

#[test]
fn undecodable_lines_are_written_as_json_until_the_file_is_full() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dead.jsonl");
    let p = open(&config(&path, 100_000));
    let good = alb_line(NOON - SECOND, "a.example.com", "/", 200, Some((0, 1000, 0)));
    let long = vec![b'L'; 5000];
    apply(
        &p,
        &[
            good.as_bytes(),
            b"garbage \"quote",
            b"bad \xff\xfe bytes",
            &long,
        ],
        4242,
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3, "{text}");
    assert_eq!(records[0]["partition"], "access.log");
    assert_eq!(records[0]["batch_end_offset"], 4242);
    assert_eq!(records[0]["index"], 1);
    assert_eq!(records[0]["line"], "garbage \"quote");
    assert!(records[0]["reason"].is_string());
    assert_eq!(records[1]["line"], "bad \u{fffd}\u{fffd} bytes");
    assert_eq!(
        (records[2]["index"].as_u64(), records[2]["reason"].as_str()),
        (Some(3), Some("too_long"))
    );
    assert_eq!(records[2]["line"].as_str().unwrap().len(), 1000);
    let dead = p.dead_letter.as_ref().unwrap();
    assert_eq!(dead.written.load(std::sync::atomic::Ordering::Relaxed), 3);
    assert_eq!(dead.dropped.load(std::sync::atomic::Ordering::Relaxed), 0);
}

#[test]
fn a_full_file_drops_and_counts_and_the_cap_holds_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dead.jsonl");
    let p = open(&config(&path, 300));
    let lines: Vec<Vec<u8>> = (0..20).map(|i| format!("junk {i}").into_bytes()).collect();
    let refs: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
    apply(&p, &refs, 20);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size <= 300, "{size}");
    let dead = p.dead_letter.as_ref().unwrap();
    let written = dead.written.load(std::sync::atomic::Ordering::Relaxed);
    let dropped = dead.dropped.load(std::sync::atomic::Ordering::Relaxed);
    assert!(written > 0 && dropped > 0, "{written} {dropped}");
    assert_eq!(written + dropped, 20);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap().lines().count() as u64,
        written
    );
    let metrics = slipstream::serve::metrics::render_now(&*p);
    let want = format!("slipstream_dead_letter_dropped_total {dropped}");
    assert!(metrics.lines().any(|l| l == want), "{metrics}");
    drop(p);
    // Restarted: the existing size counts against the cap.
    let p = open(&config(&path, 300));
    apply(&p, &refs, 40);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
}

#[test]
fn the_dead_letter_config_is_validated() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = config(&dir.path().join("d"), 1).replace(", max_bytes: 1", "");
    let c = slipstream::config::parse(&yaml, "t.yaml").unwrap();
    assert_eq!(c.start.dead_letter.unwrap().max_bytes, 100 << 20);
    let empty = slipstream::config::parse(&config(std::path::Path::new(""), 1), "t.yaml");
    let e = empty.unwrap_err().to_string();
    assert!(
        e.contains("spec.decode.dead_letter.path: must not be empty"),
        "{e}"
    );
    let unknown =
        config(&dir.path().join("d"), 1).replace("max_bytes: 1}", "max_bytes: 1, size: 2}");
    let e = slipstream::config::parse(&unknown, "t.yaml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field `size`"), "{e}");
}

//! The source's commit path never waits on a checkpoint write: what it may commit comes from
//! the durable-offsets map, not from the checkpoint writer held through export and fsync.

use std::sync::Arc;
use std::time::Duration;

use crate::helpers::{NOON, alb_line, feed_open};
use slipstream::app::Pipeline;
use slipstream::clock::ManualClock;
use slipstream::source::{PartitionId, Sink};
use slipstream::time::SECOND;

#[test]
fn committable_answers_while_a_checkpoint_holds_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {{name: commit}}
spec:
  source: {{stdin: {{}}}}
  decode: {{format: alb}}
  checkpoint: {{dir: "{}"}}
  services: [{{name: checkout, match: {{host: checkout.example.com}}}}]
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {{name: checkout}}
spec:
  service: checkout
  indicators: [{{name: availability, threshold: 99.9, window: 30d}}]
"#,
        dir.path().display()
    );
    let config = slipstream::config::parse(&yaml, "t.yaml").unwrap();
    let p = Pipeline::open(&config, Arc::new(ManualClock::new(NOON))).unwrap();
    let line = alb_line(
        NOON - SECOND,
        "checkout.example.com",
        "/a",
        200,
        Some((0, 1000, 0)),
    );
    let sink = feed_open(&p, 0, &[line.clone(), line], 1);
    let pid = PartitionId::new(0, 0);
    assert_eq!(sink.committable(pid), None, "nothing is durable yet");
    p.checkpoint();
    let position = sink.position(pid);
    assert!(position.is_some());
    assert_eq!(sink.committable(pid), position);

    // A checkpoint in progress holds the writer (export, write, fsync): simulate one that
    // never ends and ask from the source's thread what may be committed.
    let writer = p.checkpointer.as_ref().unwrap().lock().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let asking = std::thread::spawn(move || {
        let _ = tx.send(sink.committable(pid));
    });
    let answer = rx.recv_timeout(Duration::from_secs(30));
    drop(writer);
    asking.join().unwrap();
    assert_eq!(
        answer.expect("committable() waited on the checkpoint writer"),
        position
    );
}

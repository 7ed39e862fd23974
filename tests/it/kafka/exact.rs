//! Counts over a real topic stay exact: every window over several partitions, two instances
//! splitting the partitions, malformed, empty and oversized messages, and a broker outage.

use std::time::{Duration, Instant};

use super::{Broker, Consumer, kafka_yaml, wait_for};
use crate::exact_windows::{CONFIG, check_report, generate};
use crate::helpers::{NOON, Rng, alb_line};

#[test]
fn every_window_is_exact_over_a_multi_partition_topic() {
    let broker = Broker::start(false);
    broker.create_topic("edge", 4);
    let now = NOON + 250_000;
    let input = generate(now, 20_000, 7);
    broker.produce("edge", 4, &input.lines);
    let consumer = Consumer::start(&kafka_yaml(CONFIG, &broker.brokers(), "edge", "exact"), now);
    let n = input.lines.len() as u64;
    wait_for(120, "every line to be applied", || consumer.lines() == n);
    assert!(consumer.ready());
    let evaluation = consumer.pipeline.evaluate();
    assert_eq!(evaluation.partitions.len(), 4, "one shard per partition");
    let errors: u64 = evaluation
        .partitions
        .iter()
        .map(|p| p.stats.decode_errors_total())
        .sum();
    assert_eq!(errors, input.malformed);
    check_report(
        &serde_json::to_value(&evaluation.report).unwrap(),
        &input,
        now,
    );
    consumer.finish().unwrap();
}

/// Simple valid traffic in the two hours before `now`: (lines, good, bad) for availability.
fn traffic(now: i64, n: usize, seed: u64) -> (Vec<String>, u64, u64) {
    let mut rng = Rng(seed);
    let (mut good, mut bad) = (0, 0);
    let lines = (0..n)
        .map(|_| {
            let status = if rng.below(20) == 0 { 503 } else { 200 };
            if status >= 500 {
                bad += 1
            } else {
                good += 1
            }
            let t = now - 1 - rng.below(2 * 3_600_000_000) as i64;
            alb_line(t, "checkout.example.com", "/api", status, Some((0, 20, 0)))
        })
        .collect();
    (lines, good, bad)
}

fn lifetime(c: &Consumer) -> [u64; 2] {
    c.pipeline.evaluate().counts[0].lifetime
}

#[test]
fn two_instances_split_the_partitions_without_loss_or_double_counting() {
    let broker = Broker::start(false);
    broker.create_topic("shared", 6);
    let now = NOON;
    let (first, g1, b1) = traffic(now, 6_000, 11);
    let (second, g2, b2) = traffic(now, 6_000, 12);
    let yaml = kafka_yaml(CONFIG, &broker.brokers(), "shared", "pair");
    broker.produce("shared", 6, &first);
    let a = Consumer::start(&yaml, now);
    wait_for(120, "instance A to read the first half", || {
        a.lines() >= 3_000
    });
    let b = Consumer::start(&yaml, now);
    wait_for(120, "the rebalance to give instance B partitions", || {
        b.ready()
    });
    broker.produce("shared", 6, &second);
    let total = (first.len() + second.len()) as u64;
    wait_for(
        180,
        "both instances together to apply every line once",
        || a.lines() + b.lines() >= total,
    );
    // Give a wrongly re-read message time to show up before judging.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(a.lines() + b.lines(), total, "no message read twice");
    assert!(b.lines() > 0, "the second instance got partitions");
    let [ga, ba] = lifetime(&a);
    let [gb, bb] = lifetime(&b);
    assert_eq!((ga + gb, ba + bb), (g1 + g2, b1 + b2));
    assert!(
        a.pipeline
            .source_telemetry
            .rebalances
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 2
    );
}

#[test]
fn malformed_empty_and_oversized_messages_are_counted_and_skipped() {
    let broker = Broker::start(false);
    broker.create_topic("dirty", 2);
    let now = NOON;
    let (mut lines, good, bad) = traffic(now, 500, 3);
    lines.insert(10, String::new());
    lines.insert(20, "\u{1}\u{2} binary junk".into());
    lines.insert(30, "x".repeat(900_000));
    lines.insert(
        40,
        "{\"message\": \"a json envelope where none is configured\"}".into(),
    );
    broker.produce("dirty", 2, &lines);
    let consumer = Consumer::start(
        &kafka_yaml(CONFIG, &broker.brokers(), "dirty", "dirty"),
        now,
    );
    wait_for(120, "every message", || {
        consumer.lines() == lines.len() as u64
    });
    let e = consumer.pipeline.evaluate();
    let errors: u64 = e
        .partitions
        .iter()
        .map(|p| p.stats.decode_errors_total())
        .sum();
    assert_eq!(errors, 4);
    assert_eq!(e.counts[0].lifetime, [good, bad]);
}

#[test]
fn a_broker_outage_is_survived_and_counts_stay_exact() {
    let mut broker = Broker::start(true);
    broker.create_topic("outage", 3);
    let now = NOON;
    let (first, g1, b1) = traffic(now, 3_000, 21);
    let (second, g2, b2) = traffic(now, 3_000, 22);
    broker.produce("outage", 3, &first);
    let consumer = Consumer::start(
        &kafka_yaml(CONFIG, &broker.brokers(), "outage", "outage"),
        now,
    );
    wait_for(120, "the first half", || {
        consumer.lines() == first.len() as u64
    });
    assert!(consumer.ready());
    broker.stop();
    let stopped = Instant::now();
    wait_for(60, "readiness to go false", || !consumer.ready());
    std::thread::sleep(Duration::from_secs(20).saturating_sub(stopped.elapsed()));
    broker.restart();
    broker.produce("outage", 3, &second);
    let total = (first.len() + second.len()) as u64;
    wait_for(180, "the second half after the restart", || {
        consumer.lines() >= total
    });
    wait_for(60, "readiness to come back", || consumer.ready());
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(consumer.lines(), total);
    assert_eq!(lifetime(&consumer), [g1 + g2, b1 + b2]);
}

//! Late, out-of-order, future and duplicate events, and the watermark over partitions:
//! every window checked against counts computed here from the generated events.

use crate::exact_windows::{CONFIG, Input, check_report};
use crate::helpers::{
    NOON, Rng, Truth, alb_line, feed, feed_open, parse_time, pipeline, with_trace_id,
};
use slipstream::source::{PartitionId, Sink};
use slipstream::time::{HOUR, MINUTE, SECOND};

/// One event of the generated stream.
struct Generated {
    line: String,
    service: Option<&'static str>,
    truth: Truth,
    future: bool,
}

/// `n` events with unique trace ids between `from` and `to`, a few beyond the 5-minute
/// future bound of `now`, over checkout, search and an unknown host.
fn events(rng: &mut Rng, n: usize, from: i64, to: i64, now: i64) -> Vec<Generated> {
    (0..n)
        .map(|_| {
            let future = rng.below(40) == 0;
            let t = if future {
                now + 5 * MINUTE + 1 + rng.below(HOUR as u64) as i64
            } else {
                from + rng.below((to - from) as u64) as i64
            };
            let (host, service) = match rng.below(10) {
                0..=5 => ("checkout.example.com", Some("checkout")),
                6..=8 => ("search.example.com", Some("search")),
                _ => ("unknown.example.com", None),
            };
            let status = [200, 200, 200, 200, 404, 503, 504, 200][rng.below(8) as usize];
            let timings = (status != 504).then(|| (1, rng.below(400) as u32, 1));
            let latency_us = timings.map(|(a, b, c)| i64::from(a + b + c) * 1000);
            let line = with_trace_id(&alb_line(t, host, "/api/cart", status, timings), rng.next());
            Generated {
                line,
                service,
                truth: Truth {
                    t_us: t,
                    status,
                    latency_us,
                },
                future,
            }
        })
        .collect()
}

/// The newest event time among `events` that are not beyond the future bound.
fn newest(events: &[Generated]) -> i64 {
    events
        .iter()
        .filter(|g| !g.future)
        .map(|g| g.truth.t_us)
        .max()
        .expect("some event within bounds")
}

/// Each generated line, in order.
fn lines(events: &[Generated]) -> Vec<String> {
    events.iter().map(|e| e.line.clone()).collect()
}

fn input_of(events: &[&Generated]) -> Input {
    Input {
        lines: events.iter().map(|e| e.line.clone()).collect(),
        truth: events
            .iter()
            .filter(|e| !e.future)
            .filter_map(|e| e.service.map(|s| (s, e.truth)))
            .collect(),
        malformed: 0,
        too_future: events.iter().filter(|e| e.future).count() as u64,
    }
}

fn shuffle<T>(v: &mut [T], rng: &mut Rng) {
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i as u64 + 1) as usize);
    }
}

#[test]
fn redelivered_lines_are_counted_once_late_and_shuffled() {
    let now = NOON + 250_000;
    let mut rng = Rng(7);
    let generated = events(&mut rng, 20_000, now - 2 * HOUR, now, now);
    // A shipper redelivers a fifth of the lines, some right away, some much later, and the
    // whole stream arrives out of order.
    let mut lines: Vec<&Generated> = generated.iter().collect();
    let redelivered: Vec<&Generated> = generated.iter().filter(|_| rng.below(5) == 0).collect();
    lines.extend(&redelivered);
    shuffle(&mut lines, &mut rng);
    let config = CONFIG.replace(
        "window: {max_future: 5m}",
        "window: {max_future: 5m, dedup: {window: 3h}}",
    );
    let (p, _) = pipeline(&config, now);
    let stream: Vec<String> = lines.iter().map(|g| g.line.clone()).collect();
    feed(&p, 0, &stream, 700);

    let evaluation = p.evaluate();
    let report = serde_json::to_value(&evaluation.report).unwrap();
    let truth = input_of(&generated.iter().collect::<Vec<_>>());
    check_report(&report, &truth, now);
    let stats = &evaluation.partitions[0].stats;
    // Redeliveries of future lines are dropped as future again, before de-duplication.
    let future_again = redelivered.iter().filter(|g| g.future).count() as u64;
    assert_eq!(stats.duplicates, redelivered.len() as u64 - future_again);
    assert_eq!(stats.too_future, truth.too_future + future_again);
    assert_eq!(stats.too_old, 0);
    assert_eq!(
        stats.lines,
        stats.applied + stats.unmatched + stats.too_future + stats.duplicates
    );

    // Without de-duplication every redelivery counts: the same stream gives more events.
    let (plain, _) = pipeline(CONFIG, now);
    feed(&plain, 0, &stream, 700);
    let e = plain.evaluate();
    assert_eq!(e.partitions[0].stats.duplicates, 0);
    assert!(
        e.counts[0].lifetime[0] + e.counts[0].lifetime[1]
            > evaluation.counts[0].lifetime[0] + evaluation.counts[0].lifetime[1]
    );
}

#[test]
fn a_partition_behind_holds_the_evaluation_time_until_it_catches_up() {
    let now = NOON;
    let mut rng = Rng(11);
    // Partition 0 is current; partition 1 is still reading a backlog that ends 3 minutes
    // ago, within the 5-minute maximum partition lag.
    let current = events(&mut rng, 5_000, now - HOUR, now - SECOND, now);
    let backlog = events(&mut rng, 5_000, now - HOUR, now - 3 * MINUTE, now);
    let (p, _) = pipeline(CONFIG, now);
    let _sink0 = feed_open(&p, 0, &lines(&current), 500);
    let mut sink1 = feed_open(&p, 1, &lines(&backlog), 500);

    let behind = newest(&backlog);
    let all: Vec<&Generated> = current.iter().chain(&backlog).collect();
    let report = serde_json::to_value(p.evaluate().report).unwrap();
    assert_eq!(
        parse_time(report["evaluated_at"].as_str().unwrap()),
        behind,
        "T is the newest event of the partition that is behind"
    );
    check_report(&report, &input_of(&all), behind);

    // The backlog is read: partition 1 is at its end and T moves to partition 0's newest.
    sink1.end_of_partition(PartitionId::new(0, 1));
    let newest = newest(&current);
    let report = serde_json::to_value(p.evaluate().report).unwrap();
    assert_eq!(parse_time(report["evaluated_at"].as_str().unwrap()), newest);
    check_report(&report, &input_of(&all), newest);
}

#[test]
fn an_idle_partition_stops_holding_the_evaluation_time() {
    let now = NOON;
    let mut rng = Rng(12);
    let current = events(&mut rng, 2_000, now - HOUR, now - SECOND, now);
    let stalled = events(&mut rng, 2_000, now - HOUR, now - 4 * MINUTE, now);
    let (p, clock) = pipeline(CONFIG, now);
    let mut sink0 = feed_open(&p, 0, &lines(&current), 500);
    let _sink1 = feed_open(&p, 1, &lines(&stalled), 500);
    let t = |p: &std::sync::Arc<slipstream::app::Pipeline>| {
        parse_time(
            serde_json::to_value(p.evaluate().report).unwrap()["evaluated_at"]
                .as_str()
                .unwrap(),
        )
    };
    let stalled_newest = newest(&stalled);
    assert_eq!(t(&p), stalled_newest);
    // Partition 1 delivers nothing for the idle timeout (1m) while partition 0 goes on.
    clock.set(now + MINUTE);
    let more = events(&mut rng, 100, now, now + 50 * SECOND, now + MINUTE);
    let mut b = slipstream::source::LineBatch::new();
    for g in more.iter().filter(|g| !g.future) {
        b.push(g.line.as_bytes());
    }
    sink0.apply(PartitionId::new(0, 0), &b);
    let newest = newest(&more);
    assert_eq!(t(&p), newest);
}

#[test]
fn a_partition_far_behind_holds_it_back_by_the_maximum_lag_only() {
    let now = NOON;
    let mut rng = Rng(13);
    let current = events(&mut rng, 3_000, now - HOUR, now - SECOND, now);
    let far = events(&mut rng, 3_000, now - 2 * HOUR, now - 40 * MINUTE, now);
    let config = CONFIG.replace(
        "window: {max_future: 5m}",
        "window: {max_future: 5m, max_partition_lag: 2m}",
    );
    let (p, _) = pipeline(&config, now);
    let _sink0 = feed_open(&p, 0, &lines(&current), 500);
    let _sink1 = feed_open(&p, 1, &lines(&far), 500);
    let newest = newest(&current);
    let report = serde_json::to_value(p.evaluate().report).unwrap();
    let t = newest - 2 * MINUTE;
    assert_eq!(parse_time(report["evaluated_at"].as_str().unwrap()), t);
    let all: Vec<&Generated> = current.iter().chain(&far).collect();
    check_report(&report, &input_of(&all), t);
}

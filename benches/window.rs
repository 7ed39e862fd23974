//! Window-store benches: adding one event to an SLO's tiered rings, applying a decoded event
//! to a shard (service match + every SLO of the service), evaluating every SLO, and burn
//! attribution (recording one event in 5 dimensions for 3 SLOs, a batch of 1,024 summed
//! first as the pipeline does, and a top-10 query), and
//! canary vs baseline (recording one variant's event, comparing 30 minutes).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod common;
use slipstream::classify::Classifier;
use slipstream::config;
use slipstream::decode::Event;
use slipstream::evaluate::evaluate;
use slipstream::evaluate::{default_burn_alerts, windows_for};
use slipstream::source::PartitionId;
use slipstream::time::{DAY, HOUR, MINUTE, SECOND};
use slipstream::window::{
    AttributionRing, AttributionShape, BatchSums, Counters, Decisions, Layout, Plan, Shard,
    SloCounters, Store, WindowConfig, lock,
};

const NOW: i64 = 1_795_176_000 * SECOND;

/// The windows a 30-day SLO with the default alerts reports (5 m … 30 d); the 1 s tier
/// spans 5 minutes either way.
fn windows_30d() -> Vec<i64> {
    windows_for(30 * DAY, &default_burn_alerts(30 * DAY))
}

fn ring_add(c: &mut Criterion) {
    let layout = Layout::new(&windows_30d(), 5 * MINUTE);
    let mut counters = SloCounters::new(&layout);
    let mut g = c.benchmark_group("window");
    g.throughput(Throughput::Elements(1));
    let mut t = NOW;
    g.bench_function("slo_counters_add", |b| {
        b.iter(|| {
            t += 1_013; // ~1 000 events per second of event time
            counters.add(black_box(t), black_box(t % 97 != 0));
        })
    });
    g.finish();
}

fn shard_apply(c: &mut Criterion) {
    let classifier = common::classifier(10);
    let windows: Vec<Vec<i64>> = classifier.rules().iter().map(|_| windows_30d()).collect();
    let plan = Plan::new(
        &windows,
        classifier.services().len(),
        WindowConfig::default(),
    );
    let mut shard = Shard::new("bench");
    let mut counters = Counters::new(&plan);
    let mut g = c.benchmark_group("window");
    g.throughput(Throughput::Elements(1));
    let mut i: i64 = 0;
    let mut decisions = Decisions::new();
    g.bench_function("shard_apply_10_services_2_slos_each", |b| {
        b.iter(|| {
            // Cycle through the last hour so no event is ever too far in the future.
            i += 1;
            let t = NOW - HOUR + (i * 1_013) % HOUR;
            let e = Event {
                time_us: t,
                status: if t % 101 == 0 { 503 } else { 200 },
                latency_us: Some(t % 400_000),
                method: b"GET",
                host: b"svc7.example.com",
                path: b"/api/cart",
                backend: b"",
                long_lived: false,
                request_id: b"",
                client: &[],
            };
            // Decided and applied as the pipeline does, with a reused buffer.
            decisions.clear();
            decisions.push(black_box(&e), &classifier, &plan);
            for d in decisions.iter() {
                shard.apply(&mut counters, &d, &classifier, NOW + HOUR, &plan);
            }
        })
    });
    g.finish();
}

fn evaluate_demo(c: &mut Criterion) {
    let config = config::parse(config::DEMO_CONFIG, "demo").expect("demo config");
    let windows: Vec<Vec<i64>> = config
        .reload
        .objectives
        .iter()
        .map(|o| o.windows.clone())
        .collect();
    let plan = Arc::new(Plan::new(
        &windows,
        config.reload.services.len(),
        config.reload.window,
    ));
    let store = Store::new(plan.clone());
    let classifier = Classifier::new(config.reload.services.clone(), config.reload.rules.clone());
    for p in 0..4 {
        let shard = store.shard(PartitionId::new(0, p), "bench");
        let mut shard = lock(&shard);
        let mut counters = store.counters();
        for i in 0..100_000i64 {
            let t = NOW - i * 25_000_000 / 1_000;
            let host: &[u8] = [
                &b"checkout.example.com"[..],
                b"search.example.com",
                b"auth.example.com",
                b"catalog.example.com",
            ][(i % 4) as usize];
            let e = Event {
                time_us: t,
                status: 200,
                latency_us: Some(i % 500_000),
                method: b"GET",
                host,
                path: b"/",
                backend: b"",
                long_lived: false,
                request_id: b"",
                client: &[],
            };
            shard.apply_event(&mut *counters, &e, &classifier, NOW + HOUR, &plan);
        }
        store.observe_newest(NOW);
    }
    let mut g = c.benchmark_group("evaluate");
    g.throughput(Throughput::Elements(config.reload.objectives.len() as u64));
    let objectives: Vec<_> = config
        .reload
        .objectives
        .iter()
        .cloned()
        .map(Arc::new)
        .collect();
    g.bench_function("demo_config_4_shards", |b| {
        b.iter(|| black_box(evaluate(&objectives, &store, NOW)))
    });
    g.finish();
}

/// One service's keys: `paths` normalized paths, a few statuses, one host, three backends,
/// two methods.
fn attribution_keys(paths: usize) -> Vec<[Vec<u8>; 5]> {
    (0..paths.max(1) * 12)
        .map(|i| {
            [
                format!("/api/v1/resource-{:03}/{{id}}", i % paths.max(1)).into_bytes(),
                [&b"200"[..], b"201", b"404", b"503"][i % 4].to_vec(),
                b"shop.example.com".to_vec(),
                format!("10.0.0.{}:8080", i % 3).into_bytes(),
                [&b"GET"[..], b"POST"][i % 2].to_vec(),
            ]
        })
        .collect()
}

/// Records events of `keys` into `ring`, ~1 000 a second of event time, 1 in `bad_every`
/// bad for two of the three SLOs; `t` and `i` are the last event time and index.
fn attribution_feed(
    ring: &mut AttributionRing,
    keys: &[[Vec<u8>; 5]],
    bad_every: usize,
    t: &mut i64,
    i: &mut usize,
) {
    *i += 1;
    *t += 1_013;
    let k = &keys[*i % keys.len()];
    let keys = [&k[0][..], &k[1], &k[2], &k[3], &k[4]];
    let bad = Some(i.is_multiple_of(bad_every));
    ring.record(
        black_box(*t),
        black_box(&keys),
        black_box(&[bad, Some(false), bad]),
    );
}

fn attribution(c: &mut Criterion) {
    let shape = AttributionShape {
        minutes: 60,
        dims: 5,
        slos: 3,
        keys_per_table: 32,
    };
    let mut g = c.benchmark_group("attribution");
    g.throughput(Throughput::Elements(1));
    // 24 paths fit the tables (k = 32): the usual case, no eviction.
    for (name, paths, bad_every) in [("record", 24, 100), ("record_200_paths_5pct_bad", 200, 20)] {
        let keys = attribution_keys(paths);
        let mut ring = AttributionRing::new(shape);
        let (mut t, mut i) = (NOW - HOUR, 0);
        // Warm: an hour of events, every minute's tables allocated.
        for _ in 0..4_000_000 {
            attribution_feed(&mut ring, &keys, bad_every, &mut t, &mut i);
        }
        g.bench_function(name, |b| {
            b.iter(|| attribution_feed(&mut ring, &keys, bad_every, &mut t, &mut i))
        });
        if name == "record" {
            // What the pipeline does: a batch of 1,024 events summed by minute and keys,
            // then each sum counted once.
            let (mut sums, mut rings) = (BatchSums::new(), vec![Some(ring.clone())]);
            let flat: Vec<(Vec<u8>, Vec<u32>)> = keys
                .iter()
                .map(|k| (k.concat(), k.iter().map(|key| key.len() as u32).collect()))
                .collect();
            g.throughput(Throughput::Elements(1024));
            g.bench_function("batch_of_1024_summed", |b| {
                b.iter(|| {
                    for _ in 0..1024 {
                        i += 1;
                        t += 1_013;
                        let (bytes, lens) = &flat[i % flat.len()];
                        let bad = Some(i.is_multiple_of(bad_every));
                        sums.add_parts(
                            0,
                            black_box(t),
                            bytes,
                            lens.iter().copied(),
                            [bad, Some(false), bad].into_iter(),
                        );
                    }
                    sums.flush(&mut rings, |_| AttributionRing::new(shape));
                })
            });
            g.throughput(Throughput::Elements(1));
            continue;
        }
        g.bench_function("top_10_paths_over_an_hour", |b| {
            b.iter(|| black_box(ring.top(t - HOUR, t, 0, 0, 10)))
        });
    }
    g.finish();
}

/// Canary vs baseline: recording one variant's event (3 SLOs, a latency), and the
/// comparison of a 30-minute window of an hour's counts (the sums, both tests, the view).
fn canary(c: &mut Criterion) {
    use slipstream::classify::Outcome;
    use slipstream::classify::canary::{CanaryConfig, Criteria, Variant};
    use slipstream::evaluate::canary::{Subject, compare};
    use slipstream::window::CanaryRing;
    let mut ring = CanaryRing::new(73, 3);
    let outcomes = [Outcome::Good, Outcome::Good, Outcome::Excluded];
    let (mut t, mut i) = (NOW - HOUR, 0u64);
    let mut feed = |ring: &mut CanaryRing| {
        i += 1;
        t += 1_000;
        let variant = if i % 10 == 0 {
            Variant::Canary
        } else {
            Variant::Baseline
        };
        let latency = 20_000 + (i.wrapping_mul(7_919) % 400_000) as i64;
        ring.record(t, variant, i % 499 == 0, &outcomes, Some(latency));
    };
    // Warm: an hour of events, every minute's histograms allocated.
    for _ in 0..3_600_000 {
        feed(&mut ring);
    }
    let mut g = c.benchmark_group("canary");
    g.throughput(Throughput::Elements(1));
    let config = CanaryConfig {
        canary: Default::default(),
        baseline: Default::default(),
        window_us: 30 * MINUTE,
        retention_minutes: 60,
        criteria: Criteria::default(),
    };
    let slos = ["availability", "latency", "errors"].map(String::from);
    let subject = Subject {
        service: "checkout",
        config: &config,
        slos: &slos,
    };
    let report = compare(subject, Some(&ring), 30 * MINUTE, NOW);
    assert_eq!(report.canary.requests + report.baseline.requests, 1_800_000);
    eprintln!(
        "canary ring of an hour: {} bytes; 30 minutes: {}",
        ring.bytes(),
        report.reason
    );
    g.bench_function("compare_30m", |b| {
        b.iter(|| black_box(compare(subject, Some(&ring), 30 * MINUTE, NOW)))
    });
    // Last: recording moves the ring past the hour compared above.
    g.bench_function("record", |b| b.iter(|| feed(&mut ring)));
    g.finish();
}

criterion_group!(
    benches,
    ring_add,
    shard_apply,
    evaluate_demo,
    attribution,
    canary
);
criterion_main!(benches);

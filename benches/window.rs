//! Window-store benches: adding one event to an SLO's tiered rings, applying a decoded event
//! to a shard (service match + every SLO of the service), and evaluating every SLO.

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
    Counters, Decisions, Layout, Plan, Shard, SloCounters, Store, WindowConfig, lock,
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

criterion_group!(benches, ring_add, shard_apply, evaluate_demo);
criterion_main!(benches);

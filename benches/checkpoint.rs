//! Checkpoint write and restore with realistic state: 1 000 SLOs with every bucket of a
//! 30-day period (and all shorter windows) filled, read from 4 partitions (one copy of the
//! counts, and each partition's position).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use slipstream::checkpoint::{Checkpoint, CheckpointDir, PartitionCheckpoint};
use slipstream::evaluate::{default_burn_alerts, windows_for};
use slipstream::time::{DAY, SECOND};
use slipstream::window::ring::{TIER_WIDTHS, TierState};
use slipstream::window::{
    Counters, CountersState, Layout, Plan, Shard, ShardState, ShardStats, SloState, WindowConfig,
};

const SLOS: usize = 1_000;
const PARTITIONS: i32 = 4;
const SERVICES: usize = 250;
const NOW: i64 = 1_795_176_000 * SECOND;

/// The windows a 30-day SLO with the default alerts reports (5 m … 30 d); the 1 s tier
/// spans 5 minutes either way.
fn windows_30d() -> Vec<i64> {
    windows_for(30 * DAY, &default_burn_alerts(30 * DAY))
}

fn full_counters(layout: &Layout, ids: &[String]) -> CountersState {
    let tiers: Vec<TierState> = layout
        .slots
        .iter()
        .zip(TIER_WIDTHS)
        .map(|(&n, width)| TierState {
            width_us: width,
            buckets: (0..n as i64)
                .map(|i| (NOW / width - i, 990 + (i % 10) as u64, 1_000))
                .collect(),
        })
        .collect();
    CountersState {
        slos: ids
            .iter()
            .map(|id| SloState {
                id: id.clone(),
                tiers: tiers.clone(),
                lifetime: [1, 2],
                // The default 400 days of history, every day with events.
                history: (0..400)
                    .map(|i| (NOW / DAY - i, 86_000_000, 86_400_000))
                    .collect(),
            })
            .collect(),
        latency: Vec::new(),
        split: Vec::new(),
        capacity: Vec::new(),
    }
}

fn position(name: &str) -> ShardState {
    ShardState {
        name: name.to_string(),
        next_offset: 123_456_789,
        newest_us: Some(NOW),
        stats: ShardStats::default(),
        dedup: Vec::new(),
        directive: None,
        directives: 0,
    }
}

fn checkpoint(c: &mut Criterion) {
    let windows: Vec<Vec<i64>> = (0..SLOS).map(|_| windows_30d()).collect();
    let plan = Plan::new(&windows, SERVICES, WindowConfig::default());
    let ids: Vec<String> = (0..SLOS)
        .map(|i| format!("svc{}/slo{}", i % SERVICES, i / SERVICES))
        .collect();
    let services: Vec<String> = (0..SERVICES).map(|i| format!("svc{i}")).collect();
    let state = Checkpoint {
        created_us: NOW,
        partitions: (0..PARTITIONS)
            .map(|p| PartitionCheckpoint {
                stream: 0,
                partition: p,
                shard: position(&format!("logs/{p}")),
            })
            .collect(),
        counters: full_counters(&plan.layouts[0], &ids),
        splits: Vec::new(),
        annotations: Default::default(),
        adjustments: Vec::new(),
        alert_history: Default::default(),
        declared_adjustments: Vec::new(),
        rings: Default::default(),
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cdir = CheckpointDir::open(dir.path()).expect("open");
    let written = cdir.write(&state).expect("write");
    eprintln!(
        "checkpoint of {SLOS} SLOs read from {PARTITIONS} partitions: {} bytes",
        written.bytes
    );

    let mut g = c.benchmark_group("checkpoint");
    g.sample_size(10);
    g.bench_function("write_1000_slos_4_partitions", |b| {
        b.iter(|| cdir.write(black_box(&state)).expect("write"))
    });
    g.bench_function("restore_1000_slos_4_partitions", |b| {
        b.iter(|| {
            let loaded = cdir.load().expect("load").checkpoint.expect("a checkpoint");
            let mut counters = Counters::new(&plan);
            counters.import(&loaded.0.counters, &plan, &ids, &services);
            let shards: Vec<Shard> = loaded
                .0
                .partitions
                .iter()
                .map(|p| Shard::restore(&p.shard))
                .collect();
            black_box((counters, shards))
        })
    });
    g.finish();
}

criterion_group!(benches, checkpoint);
criterion_main!(benches);

//! Checkpoint files: reading every older format version and the files earlier releases
//! wrote, writing and keeping two with a fall back on damage, and what history and capacity
//! counts cost and keep. Here: the sample checkpoint and the counts the topic files share.

mod history_and_capacity;
mod old_versions;
mod release_fixtures;
mod write_and_fall_back;

use super::*;
use crate::window::ring::TierState;
use crate::window::{CountersState, HostAssignment, ShardStats};

fn sample(n: u64) -> Checkpoint {
    Checkpoint {
        created_us: 1_700_000_000_000_000,
        partitions: (0..3)
            .map(|p| PartitionCheckpoint {
                stream: 0,
                partition: p,
                shard: ShardState {
                    name: format!("logs/{p}"),
                    next_offset: 1000 * n + p as u64,
                    newest_us: Some(1_700_000_000_000_000),
                    stats: ShardStats {
                        lines: n,
                        ..ShardStats::default()
                    },
                    dedup: vec![(1_700_000_000_000_000, 0xfeed_beef)],
                    directive: (p == 1).then(|| b"#Fields: date time sc-status".to_vec()),
                    directives: 2 * p as u64,
                },
            })
            .collect(),
        counters: counters(9, 1),
        splits: vec![HostAssignment {
            service: "edge".into(),
            hosts: vec!["a.example.com".into()],
        }],
        annotations: crate::annotations::AnnotationsState {
            next_id: 8,
            items: vec![crate::annotations::Annotation {
                id: 7,
                time_us: 1_700_000_000_000_000,
                end_us: Some(1_700_000_060_000_000),
                kind: crate::annotations::AnnotationKind::Incident,
                service: Some("checkout".into()),
                text: "INC-7".into(),
                labels: [("team".to_string(), "pay".to_string())].into(),
                created_us: 1_700_000_100_000_000,
            }],
        },
        adjustments: vec![crate::window::AdjustedState {
            slo: "checkout/availability".into(),
            name: "db-maintenance".into(),
            definition: "exclude 2023-11-14T22:13:20Z +2h".into(),
            declared_at_us: Some(1_700_000_030_000_000),
            ranges: vec![(1_700_000_000_000_000, 1_700_000_030_000_000)],
            events: (n, 2 * n),
        }],
        alert_history: crate::alert_history::AlertHistoryState {
            recorded_from_us: Some(1_700_000_000_000_000),
            evaluated_to_us: Some(1_700_000_060_000_000),
            alerts: vec![(
                "checkout/availability/page_1h_5m".into(),
                vec![(1_700_000_000_000_000, i64::MAX)],
            )],
        },
        declared_adjustments: vec![crate::window::DeclaredState {
            name: "hotfix".into(),
            description: "INC-7 was the provider's".into(),
            start_us: 1_700_000_000_000_000,
            end_us: 1_700_000_060_000_000,
            mode: "count_as_good".into(),
            slos: vec!["checkout".into()],
            created_us: 1_700_000_100_000_000,
        }],
        rings: rings(n),
    }
}

/// One service's burn attribution and canary counts: `n` bad requests of the canary.
fn rings(n: u64) -> crate::window::RingsState {
    use crate::classify::Outcome;
    use crate::classify::canary::Variant;
    let t = 1_700_000_040_000_000;
    let mut attribution = crate::window::AttributionRing::new(crate::window::AttributionShape {
        minutes: 10,
        dims: 1,
        slos: 1,
        keys_per_table: 4,
    });
    let mut canary = crate::window::CanaryRing::new(10, 1);
    for i in 0..n {
        attribution.record(t, &[b"503"], &[Some(true)]);
        canary.record(
            t,
            Variant::Canary,
            true,
            &[Outcome::Bad],
            Some(1_000 * i as i64 + 1),
        );
    }
    crate::window::RingsState {
        attribution: vec![(41, attribution.export())],
        canary: vec![(42, canary.export())],
    }
}

/// Counts of `checkout/availability` in one bucket, with the day in its history, its
/// latencies, its service's requests in one minute, and one edge host.
fn counters(good: u64, bad: u64) -> CountersState {
    let mut c = counters_v6(good, bad).upgrade().upgrade();
    c.slos[0].history = vec![(19_675, good, good + bad)];
    let mut checkout = crate::window::CapacityRing::new();
    checkout.record_sums(1_700_000_000_000_000, good + bad, good, 1_000 * good);
    c.capacity = vec![("checkout".into(), checkout.export())];
    c
}

/// The same counts in version 6's shape, without history.
fn counters_v6(good: u64, bad: u64) -> v6::CountersState {
    v6::CountersState {
        slos: vec![v6::SloCounts {
            id: "checkout/availability".into(),
            tiers: vec![TierState {
                width_us: 1_000_000,
                buckets: vec![(1_700_000_000, good, good + bad)],
            }],
            lifetime: [good, bad],
        }],
        latency: vec![("checkout".into(), vec![(5_666_666, vec![(1000, 3)])])],
        split: vec![v6::SplitState {
            service: "edge".into(),
            overflow_events: 7,
            subs: vec![v6::Sub {
                host: Some("a.example.com".into()),
                slos: Vec::new(),
                latency: Vec::new(),
            }],
        }],
    }
}

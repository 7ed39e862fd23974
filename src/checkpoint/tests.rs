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

/// The counts of `c` in version 11's shape (versions 7 to 11): without capacity counts.
fn counters_v11(c: &CountersState) -> v11::CountersState {
    v11::CountersState {
        slos: c.slos.clone(),
        latency: c.latency.clone(),
        split: c.split.clone(),
    }
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

/// A version 4 file: every partition with its own copy of the counts.
fn version_4_file() -> Vec<u8> {
    let old = v4::Checkpoint {
        created_us: 1_700_000_000_000_000,
        partitions: [(0, 9, 1), (1, 5, 5)]
            .into_iter()
            .map(|(p, good, bad)| {
                let c = counters_v6(good, bad);
                v4::PartitionCheckpoint {
                    stream: 0,
                    partition: p,
                    shard: v4::Shard {
                        name: format!("logs/{p}"),
                        next_offset: 100 + p as u64,
                        newest_us: Some(1_700_000_000_000_000),
                        stats: ShardStats::default(),
                        slos: c.slos,
                        latency: c.latency,
                        dedup: vec![(1, p as u64)],
                        split: c.split,
                    },
                }
            })
            .collect(),
        splits: Vec::new(),
    };
    file_of(v4::VERSION, &old)
}

#[test]
fn a_version_4_checkpoint_is_read_and_its_copies_merge_into_one() {
    let c = decode(&version_4_file()).unwrap();
    let positions: Vec<_> = c
        .partitions
        .iter()
        .map(|p| (p.partition, p.shard.next_offset, p.shard.dedup.clone()))
        .collect();
    assert_eq!(positions, [(0, 100, vec![(1, 0)]), (1, 101, vec![(1, 1)])]);
    // Restored, the two partitions' counts add up in the one copy.
    let plan = crate::window::Plan::new(&[vec![crate::time::HOUR]], 1, Default::default());
    let mut counters = crate::window::Counters::new(&plan);
    let ids = ["checkout/availability".to_string()];
    counters.import(&c.counters, &plan, &ids, &["checkout".to_string()]);
    assert_eq!(counters.lifetime(0), [14, 6]);
    let end = 1_700_000_001_000_000;
    let sum = counters.slo(0).sum(crate::time::HOUR, end);
    assert_eq!((sum.good, sum.total), (14, 20));
}

/// `checkpoint` as a file of format `version`.
fn file_of<T: serde::Serialize>(version: u32, checkpoint: &T) -> Vec<u8> {
    let payload = postcard::to_stdvec(checkpoint).unwrap();
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

#[test]
fn a_version_5_checkpoint_is_read_with_no_directive_in_force() {
    let now = sample(4);
    let old = v5::Checkpoint {
        created_us: now.created_us,
        partitions: now
            .partitions
            .iter()
            .map(|p| v5::PartitionCheckpoint {
                stream: p.stream,
                partition: p.partition,
                shard: v5::Shard {
                    name: p.shard.name.clone(),
                    next_offset: p.shard.next_offset,
                    newest_us: p.shard.newest_us,
                    stats: p.shard.stats,
                    dedup: p.shard.dedup.clone(),
                },
            })
            .collect(),
        counters: counters_v6(9, 1),
        splits: now.splits.clone(),
    };
    let read = decode(&file_of(v5::VERSION, &old)).unwrap();
    let mut want = now;
    for p in &mut want.partitions {
        (p.shard.directive, p.shard.directives) = (None, 0);
    }
    want.counters.slos[0].history.clear();
    want.counters.capacity.clear();
    want.annotations = Default::default();
    want.adjustments = Vec::new();
    want.alert_history = Default::default();
    want.declared_adjustments = Vec::new();
    want.rings = Default::default();
    assert_eq!(read, want);
    // The current version is not read as the previous one, nor the other way round.
    assert!(decode(&file_of(VERSION, &old)).is_err());
}

#[test]
fn round_trip() {
    let c = sample(1);
    assert_eq!(decode(&encode(&c)).unwrap(), c);
}

#[test]
fn writes_are_kept_two_deep_and_the_newest_wins() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = CheckpointDir::open(dir.path()).unwrap();
    for n in 1..=4 {
        d.write(&sample(n)).unwrap();
    }
    let files = CheckpointDir::files(dir.path()).unwrap();
    assert_eq!(files.len(), KEEP);
    let Loaded {
        checkpoint: loaded,
        rejected,
    } = CheckpointDir::open(dir.path()).unwrap().load().unwrap();
    assert!(rejected.is_empty());
    assert_eq!(loaded.unwrap().0, sample(4));
    // A reopened directory continues the sequence.
    let mut again = CheckpointDir::open(dir.path()).unwrap();
    let w = again.write(&sample(5)).unwrap();
    assert!(
        w.path.ends_with("checkpoint-00000000000000000005.bin"),
        "{:?}",
        w.path
    );
}

/// Damages the newest file with `damage` and checks the load falls back to the previous one
/// and names the problem.
fn falls_back(damage: impl Fn(&mut Vec<u8>), expect: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut d = CheckpointDir::open(dir.path()).unwrap();
    d.write(&sample(1)).unwrap();
    let newest = d.write(&sample(2)).unwrap().path;
    let mut bytes = fs::read(&newest).unwrap();
    damage(&mut bytes);
    fs::write(&newest, bytes).unwrap();
    let Loaded {
        checkpoint: loaded,
        rejected,
    } = d.load().unwrap();
    assert_eq!(
        loaded.unwrap().0,
        sample(1),
        "fell back to the previous checkpoint"
    );
    assert_eq!(rejected.len(), 1);
    let message = rejected[0].to_string();
    assert!(message.contains(expect), "{message}");
    assert!(message.contains("checkpoint-"), "{message}");
}

#[test]
fn a_truncated_checkpoint_falls_back() {
    falls_back(|b| b.truncate(b.len() - 7), "truncated");
    falls_back(|b| b.truncate(10), "truncated");
}

#[test]
fn a_flipped_byte_falls_back() {
    falls_back(
        |b| {
            let i = b.len() / 2;
            b[i] ^= 0x20;
        },
        "checksum mismatch",
    );
}

#[test]
fn a_wrong_version_falls_back() {
    falls_back(|b| b[8] = 99, "format version 99");
    // Version 3, the last before split services, is refused the same way.
    falls_back(
        |b| b[8] = 3,
        "format version 3, this build reads versions 4 to 13",
    );
    falls_back(|b| b[0] = b'X', "bad magic");
}

#[test]
fn nothing_valid_means_no_checkpoint_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("checkpoint-00000000000000000001.bin"),
        b"garbage",
    )
    .unwrap();
    let Loaded {
        checkpoint: loaded,
        rejected,
    } = CheckpointDir::open(dir.path()).unwrap().load().unwrap();
    assert!(loaded.is_none());
    assert_eq!(rejected.len(), 1);
}

#[test]
fn a_version_6_checkpoint_is_read_with_every_history_empty() {
    let now = sample(4);
    let old = v6::Checkpoint {
        created_us: now.created_us,
        partitions: now.partitions.clone(),
        counters: counters_v6(9, 1),
        splits: now.splits.clone(),
    };
    let read = decode(&file_of(v6::VERSION, &old)).unwrap();
    let mut want = now;
    want.counters.slos[0].history.clear();
    want.counters.capacity.clear();
    want.annotations = Default::default();
    want.adjustments = Vec::new();
    want.alert_history = Default::default();
    want.declared_adjustments = Vec::new();
    want.rings = Default::default();
    assert_eq!(read, want);
    assert!(decode(&file_of(VERSION, &old)).is_err());
}

/// A file written by the release build before daily history (`c664dae`): `run` over 3,000
/// ALB lines spread over three days, with a checkout SLO and a service split by host
/// (`max_hosts: 2`): lifetime good/bad 730/0 for checkout, 753/0, 1039/1 and 477/0 for the
/// two hosts and the overflow.
#[test]
fn a_checkpoint_written_by_the_previous_release_keeps_every_count() {
    let c = decode(include_bytes!("../../tests/fixtures/checkpoint-v6.bin")).unwrap();
    let slo = |id: &str| c.counters.slos.iter().find(|s| s.id == id).unwrap();
    assert_eq!(slo("checkout/availability").lifetime, [730, 0]);
    assert_eq!(
        c.splits[0].hosts,
        ["catalog.example.com", "search.example.com"]
    );
    let subs: Vec<_> = c.counters.split[0]
        .subs
        .iter()
        .map(|s| (s.host.as_deref(), s.slos[0].lifetime))
        .collect();
    assert_eq!(
        subs,
        [
            (Some("catalog.example.com"), [753, 0]),
            (Some("search.example.com"), [1039, 1]),
            (None, [477, 0]),
        ]
    );
    let histories = c.counters.slos.iter().map(|s| &s.history);
    let sub_histories = c.counters.split[0].subs.iter().flat_map(|s| &s.slos);
    assert!(
        histories
            .chain(sub_histories.map(|s| &s.history))
            .all(Vec::is_empty)
    );
    assert_eq!(c.partitions[0].shard.stats.lines, 3_000);
    // Written again, it is a current file holding the same state.
    assert_eq!(decode(&encode(&c)).unwrap(), c);
}

/// What the README says a day of history costs on disk: a day number, good and total as
/// variable-length integers, 9 bytes for a day of a million requests, 11 for a hundred
/// million.
#[test]
fn a_day_of_history_costs_9_to_11_bytes_in_a_checkpoint() {
    let per_day = |good: u64, total: u64| {
        let mut c = sample(1);
        c.counters.slos[0].history.clear();
        let without = encode(&c).len();
        c.counters.slos[0].history = (0..400).map(|i| (20_400 + i, good, total)).collect();
        (encode(&c).len() - without) as f64 / 400.0
    };
    assert!((9.0..9.1).contains(&per_day(999_000, 1_000_000)));
    assert!((11.0..11.1).contains(&per_day(99_900_000, 100_000_000)));
}

#[test]
fn a_version_7_checkpoint_is_read_without_annotations() {
    let now = sample(4);
    let old = v7::Checkpoint {
        created_us: now.created_us,
        partitions: now.partitions.clone(),
        counters: counters_v11(&now.counters),
        splits: now.splits.clone(),
    };
    reads_as_current(v7::VERSION, &old, now);
}

#[test]
fn a_version_8_checkpoint_is_read_without_adjustments() {
    let now = sample(5);
    let old = v8::Checkpoint {
        created_us: now.created_us,
        partitions: now.partitions.clone(),
        counters: counters_v11(&now.counters),
        splits: now.splits.clone(),
        annotations: now.annotations.clone(),
    };
    reads_as_current(v8::VERSION, &old, now);
}

/// A file written by the release build before budget adjustments (`bc3749e`): `run` over
/// 3,000 ALB lines of `checkout.example.com`, line `i` at 2026-12-01T00:00:00Z + 86 s × i,
/// a 503 when `i % 7 == 0`, with one annotation added over the API. Restored under a
/// configuration that adds a maintenance window, everything is kept and the window is
/// applied to the restored counts once.
#[test]
fn a_checkpoint_written_before_budget_adjustments_keeps_everything() {
    use crate::time::{HOUR, SECOND, epoch_us};
    let c = decode(include_bytes!("../../tests/fixtures/checkpoint-v8.bin")).unwrap();
    let t0 = epoch_us(2026, 12, 1, 0, 0, 0, 0).unwrap();
    let events: Vec<(i64, bool)> = (0..3000)
        .map(|i| (t0 + i * 86 * SECOND, i % 7 != 0))
        .collect();
    let slo = &c.counters.slos[0];
    assert_eq!(slo.id, "checkout/availability");
    assert_eq!(slo.lifetime, [2571, 429]);
    assert_eq!(c.annotations.items.len(), 1);
    assert_eq!(c.annotations.items[0].text, "db upgrade");
    assert!(c.adjustments.is_empty());
    assert_eq!(c.partitions[0].shard.stats.lines, 3_000);

    let yaml = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: fixture}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services: [{name: checkout, match: {host: checkout.example.com}}]
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: checkout}
spec:
  service: checkout
  indicators: [{name: availability, threshold: 99.9, window: 30d}]
---
apiVersion: reliability/v1
kind: BudgetAdjustment
metadata: {name: db-upgrade}
spec:
  first_event_start: "2026-12-02T10:00:00Z"
  duration: 3h
  slos: [checkout]
"#;
    let config = crate::config::parse(yaml, "fixture.yaml").unwrap();
    let r = &config.reload;
    let retention: Vec<_> = r
        .objectives
        .iter()
        .map(|o| o.retention(r.window.history_days))
        .collect();
    let plan = crate::window::Plan::new(&retention, 1, r.window);
    let store = Store::new(std::sync::Arc::new(plan));
    let ids = vec!["checkout/availability".to_string()];
    c.restore_into(&store, &ids, &["checkout".to_string()]);
    let counters = store.counters();
    let applied = &counters.adjusted(store.plan(), 0)[0];
    // 37 hours before the newest event only the hourly buckets are kept: the three hours
    // are whole ones.
    let (start, end) = (t0 + 34 * HOUR, t0 + 37 * HOUR);
    assert_eq!(applied.ranges, vec![(start, end)]);
    let inside = events.iter().filter(|e| (start..end).contains(&e.0));
    let apart = inside.clone().count() as u64;
    assert_eq!(applied.events.total, apart);
    assert_eq!(applied.events.good, inside.filter(|e| e.1).count() as u64);
    // The 30-day window and the day lose exactly those events.
    let newest = t0 + 2999 * 86 * SECOND;
    let to = newest / SECOND * SECOND + SECOND;
    let all = counters.slo(0).sum(30 * crate::time::DAY, to);
    assert_eq!(all.total, 3000 - apart);
    let dec2 = crate::time::days_from_civil(2026, 12, 2);
    let day = counters.slo(0).history().unwrap().day(dec2);
    let on_dec2 = |e: &&(i64, bool)| (t0 + 24 * HOUR..t0 + 48 * HOUR).contains(&e.0);
    assert_eq!(
        day.total,
        events.iter().filter(on_dec2).count() as u64 - apart
    );
    // Saved again, it is applied and is not applied twice.
    drop(counters);
    let again = Checkpoint::of(&store, &ids, &["checkout".to_string()], 1);
    assert_eq!(again.adjustments.len(), 1);
    assert_eq!(again.adjustments[0].ranges, vec![(start, end)]);
    assert_eq!(again.adjustments[0].events.1, apart);
}

#[test]
fn a_version_9_checkpoint_is_read_without_alert_history() {
    let now = sample(6);
    let old = v9::Checkpoint {
        created_us: now.created_us,
        partitions: now.partitions.clone(),
        counters: counters_v11(&now.counters),
        splits: now.splits.clone(),
        annotations: now.annotations.clone(),
        adjustments: now.adjustments.clone(),
    };
    reads_as_current(v9::VERSION, &old, now);
}

#[test]
fn a_version_10_checkpoint_is_read_without_declared_adjustments() {
    let now = sample(7);
    let old = v10::Checkpoint {
        created_us: now.created_us,
        partitions: now.partitions.clone(),
        counters: counters_v11(&now.counters),
        splits: now.splits.clone(),
        annotations: now.annotations.clone(),
        adjustments: now.adjustments.clone(),
        alert_history: now.alert_history.clone(),
    };
    reads_as_current(v10::VERSION, &old, now);
}

#[test]
fn a_version_11_checkpoint_is_read_without_capacity_counts() {
    let now = sample(8);
    assert!(!now.counters.capacity.is_empty());
    let old = v11::Checkpoint {
        created_us: now.created_us,
        partitions: now.partitions.clone(),
        counters: counters_v11(&now.counters),
        splits: now.splits.clone(),
        annotations: now.annotations.clone(),
        adjustments: now.adjustments.clone(),
        alert_history: now.alert_history.clone(),
        declared_adjustments: now.declared_adjustments.clone(),
    };
    reads_as_current(v11::VERSION, &old, now);
}

#[test]
fn a_version_12_checkpoint_is_read_without_attribution_or_canary_counts() {
    let now = sample(8);
    assert!(!now.rings.canary.is_empty() && !now.rings.attribution.is_empty());
    let old = v12::Checkpoint {
        created_us: now.created_us,
        partitions: now.partitions.clone(),
        counters: now.counters.clone(),
        splits: now.splits.clone(),
        annotations: now.annotations.clone(),
        adjustments: now.adjustments.clone(),
        alert_history: now.alert_history.clone(),
        declared_adjustments: now.declared_adjustments.clone(),
    };
    reads_as_current(v12::VERSION, &old, now);
}

/// `old`, written as a file of format `version`, reads as `now` without what later versions
/// added; read as a current file it is refused.
fn reads_as_current<T: serde::Serialize>(version: u32, old: &T, mut now: Checkpoint) {
    if version < 8 {
        now.annotations = Default::default();
    }
    if version < 9 {
        now.adjustments = Vec::new();
    }
    if version < 10 {
        now.alert_history = Default::default();
    }
    if version < 11 {
        now.declared_adjustments = Vec::new();
    }
    if version < 12 {
        now.counters.capacity = Vec::new();
    }
    if version < 13 {
        now.rings = Default::default();
    }
    assert_eq!(decode(&file_of(version, old)).unwrap(), now);
    assert!(decode(&file_of(VERSION, old)).is_err());
}

/// Every service's capacity counts go into a checkpoint of a store and come back from it
/// under their service's name, as the ring held them: minutes, hours and hour peaks.
#[test]
fn capacity_counts_survive_a_checkpoint_by_service_name() {
    use crate::time::{DAY, MINUTE};
    let plan = std::sync::Arc::new(crate::window::Plan::new::<Vec<i64>>(
        &[],
        2,
        crate::window::WindowConfig::default(),
    ));
    let store = Store::new(std::sync::Arc::clone(&plan));
    // A whole hour.
    let t0 = 1_699_999_200 * 1_000_000;
    {
        let mut counters = store.counters();
        // Minutes over three days: the first two days' are held only as hour peaks.
        for m in 0..3 * 24 * 60 {
            let requests = 1 + (m * 7 % 13) as u64;
            counters.record_capacity(0, t0 + m * MINUTE, requests, requests / 2, 900 * requests);
        }
        counters.record_capacity(1, t0, 3, 3, 30);
    }
    let services = ["api".to_string(), "web".to_string()];
    let saved = decode(&encode(&Checkpoint::of(&store, &[], &services, 1))).unwrap();
    // Restored under a configuration that lists the services the other way round.
    let swapped = ["web".to_string(), "api".to_string()];
    let restored = Store::new(plan);
    saved.restore_into(&restored, &[], &swapped);
    let (before, after) = (store.counters(), restored.counters());
    assert_eq!(after.capacity(1).export(), before.capacity(0).export());
    assert_eq!(after.capacity(0).export(), before.capacity(1).export());
    let (from, to) = (t0, t0 + 3 * DAY);
    assert_eq!(
        after.capacity(1).peak(from, to),
        before.capacity(0).peak(from, to)
    );
    assert_eq!(
        after.capacity(1).hours(from, to).requests,
        (0..3 * 24 * 60)
            .map(|m| 1 + (m * 7 % 13) as u64)
            .sum::<u64>()
    );
}

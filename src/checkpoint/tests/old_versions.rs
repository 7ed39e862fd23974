//! Reading each older format version, 4 to 12: it holds the current checkpoint without what
//! later versions added (version 4's copies of the counts merged into one), and read as a
//! current file it is refused.

use super::*;

/// The counts of `c` in version 11's shape (versions 7 to 11): without capacity counts.
fn counters_v11(c: &CountersState) -> v11::CountersState {
    v11::CountersState {
        slos: c.slos.clone(),
        latency: c.latency.clone(),
        split: c.split.clone(),
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

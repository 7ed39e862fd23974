//! Snapshot records of every version read back, and a snapshot opens with its names and
//! alert state from its chunks or its commit.

use super::restore::open;
use super::*;
use crate::checkpoint::{self, Checkpoint};

fn source() -> Source {
    Source {
        topic: "logs".into(),
        partition: 2,
    }
}

fn epoch() -> Epoch {
    Epoch {
        number: 3,
        member: "m1".into(),
    }
}

fn alerts() -> AlertTimes {
    [([("alertname".to_string(), "page".to_string())].into(), 12)].into()
}

fn commit_v1() -> v1::Commit {
    v1::Commit {
        covers: 40,
        positions: vec![(source(), epoch(), 17)],
        chunks: vec![5, 6],
        slos: vec![("checkout/availability".into(), 9)],
        services: vec![("checkout".into(), 8)],
        created_us: 11,
    }
}

/// What every version's commit of [`commit_v1`] reads as, before its chunks.
fn read_commit(alerts: AlertTimes, in_chunks: bool) -> Commit {
    let old = commit_v1();
    let (slos, services) = if in_chunks {
        (Vec::new(), Vec::new())
    } else {
        (old.slos, old.services)
    };
    Commit {
        covers: old.covers,
        positions: old.positions,
        chunks: old.chunks,
        slos,
        services,
        created_us: old.created_us,
        alerts,
        in_chunks,
    }
}

fn checkpoint() -> Checkpoint {
    Checkpoint {
        created_us: 11,
        partitions: Vec::new(),
        counters: Default::default(),
        splits: Vec::new(),
        annotations: Default::default(),
        adjustments: Vec::new(),
        alert_history: Default::default(),
        declared_adjustments: Vec::new(),
        rings: Default::default(),
    }
}

#[test]
fn records_of_this_version_read_back() {
    let commit = Wire::Commit(v3::Commit {
        covers: 40,
        positions: vec![(source(), epoch(), 17)],
        chunks: vec![5, 6],
        created_us: 11,
    });
    assert_eq!(
        decode(&encode(&commit)),
        Some(SnapshotRecord::Commit(read_commit(AlertTimes::new(), true)))
    );
    let chunk = Wire::Chunk {
        covers: 40,
        index: 1,
        data: vec![1, 2, 3],
    };
    assert_eq!(
        decode(&encode(&chunk)),
        Some(SnapshotRecord::Chunk {
            covers: 40,
            index: 1,
            data: vec![1, 2, 3]
        })
    );
    assert_eq!(decode(&[9, 0]), None, "a newer version is not guessed at");
    assert_eq!(decode(&[]), None);
}

#[test]
fn a_snapshot_opens_with_its_names_and_alerts_from_the_chunks_or_the_commit() {
    let state = checkpoint();
    // Version 3: the head, then the state, cut anywhere into chunks.
    let head = postcard::to_stdvec(&v3::Head {
        slos: commit_v1().slos,
        services: commit_v1().services,
        alerts: alerts(),
    })
    .unwrap();
    let bytes = [head, checkpoint::encode(&state)].concat();
    let mut commit = read_commit(AlertTimes::new(), true);
    let (opened, size) = open(&mut commit, &bytes).expect("opens");
    assert_eq!((opened, size), (state.clone(), bytes.len()));
    assert_eq!(commit, read_commit(alerts(), false).in_chunks_again());
    // Versions 1 and 2: the chunks are the state alone.
    let bytes = checkpoint::encode(&state);
    let mut commit = read_commit(alerts(), false);
    assert_eq!(open(&mut commit, &bytes), Ok((state, bytes.len())));
    assert_eq!(commit, read_commit(alerts(), false));
    // A head that does not read is an unusable snapshot, not a guess.
    let mut commit = read_commit(AlertTimes::new(), true);
    assert!(open(&mut commit, &[0xff; 3]).is_err());
}

impl Commit {
    fn in_chunks_again(self) -> Self {
        Self {
            in_chunks: true,
            ..self
        }
    }
}

#[test]
fn chunks_of_every_version_read_from_their_bytes() {
    // Version byte, then postcard: variant 0, covers 40, index 1, two bytes of data.
    for version in [1, 2, VERSION] {
        assert_eq!(
            decode(&[version, 0, 40, 1, 2, 7, 7]),
            Some(SnapshotRecord::Chunk {
                covers: 40,
                index: 1,
                data: vec![7, 7]
            })
        );
    }
}

#[test]
fn version_2_commits_still_read_with_their_alert_state() {
    let old = commit_v1();
    let v2 = Wire::Commit(v2::Commit {
        covers: old.covers,
        positions: old.positions,
        chunks: old.chunks,
        slos: old.slos,
        services: old.services,
        created_us: old.created_us,
        alerts: alerts(),
    });
    assert_eq!(
        decode(&encode_as(2, &v2)),
        Some(SnapshotRecord::Commit(read_commit(alerts(), false)))
    );
    let chunk = Wire::<v2::Commit>::Chunk {
        covers: 40,
        index: 0,
        data: vec![7; 10],
    };
    assert_eq!(
        decode(&encode_as(2, &chunk)),
        Some(SnapshotRecord::Chunk {
            covers: 40,
            index: 0,
            data: vec![7; 10]
        })
    );
}

#[test]
fn version_1_commits_and_chunks_still_read_without_alert_state() {
    let commit = Wire::Commit(commit_v1());
    assert_eq!(
        decode(&encode_as(1, &commit)),
        Some(SnapshotRecord::Commit(read_commit(
            AlertTimes::new(),
            false
        )))
    );
    let chunk = Wire::<v1::Commit>::Chunk {
        covers: 40,
        index: 0,
        data: vec![7; 10],
    };
    assert_eq!(
        decode(&encode_as(1, &chunk)),
        Some(SnapshotRecord::Chunk {
            covers: 40,
            index: 0,
            data: vec![7; 10]
        })
    );
}

//! Snapshots: the fold's value at one log offset, on `<name>.snapshots`, so that a member
//! starts from the newest one and applies only the log after it. Restore time is bounded by
//! the snapshot's size plus one interval of log, not by history (tansu never compacts).
//!
//! A snapshot is the state as a checkpoint file holds it ([`Checkpoint`], with its version
//! and checksum), cut into chunks of at most [`CHUNK_BYTES`], then a commit record naming
//! the chunks' offsets, the log offset covered and every raw partition's epoch and position.
//! A snapshot is a function of the log offset it covers, so whoever writes it (even a
//! zombie) writes a correct one; a reader takes the commit covering the highest offset whose
//! chunks are all there, found by reading the topic backwards in growing steps. Chunks
//! without a commit (a writer that died midway) are never used.
//!
//! Records are one byte of version, then postcard. Version 3 moved the SLO and service
//! names and the alert state out of the commit record into the chunks, ahead of the state,
//! so that a commit stays small whatever the number of SLOs and firing alerts; version 2
//! added the alert state to the commit. Records of versions 1 and 2 (written before) still
//! read: a version 1 commit has no alert state.

use std::time::Duration;

use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};

use super::fold::{Epoch, SourcePosition};
use super::log::{Follower, LogWriter, REQUEST_TIMEOUT, client_config, snapshot_topic};
use super::record::{AlertTimes, Source};
use crate::checkpoint::{self, Checkpoint};
use crate::config::ClusterConfig;
use crate::source::kafka::KafkaSpec;

/// Largest chunk of a snapshot, bytes.
pub const CHUNK_BYTES: usize = 512 * 1024;
/// The version of snapshot records written.
const VERSION: u8 = 3;

/// One record of the snapshot topic, of any version, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SnapshotRecord {
    /// Part of a snapshot's bytes.
    Chunk {
        /// The snapshot: the log offset it covers.
        covers: u64,
        /// Its place among the snapshot's chunks.
        index: u32,
        /// The bytes.
        data: Vec<u8>,
    },
    /// A whole snapshot.
    Commit(Commit),
}

/// What a snapshot covers and where its chunks are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The log offset the snapshot covers: every record before it is applied.
    pub covers: u64,
    /// Every raw partition's epoch and position at that offset.
    pub positions: Vec<(Source, Epoch, u64)>,
    /// The chunks' offsets in the snapshot topic, in order.
    pub chunks: Vec<u64>,
    /// The fingerprint of every SLO and service in the state, by name: a member restores
    /// only those it counts the same way.
    pub slos: Vec<(String, u64)>,
    /// The same for services.
    pub services: Vec<(String, u64)>,
    /// Wall-clock time it was taken, µs.
    pub created_us: i64,
    /// The firing alerts and since when at that offset (empty in a version 1 commit).
    pub alerts: AlertTimes,
    /// The names and the alert state are in the chunks, ahead of the state (version 3 on),
    /// and read with them; before, they were in the commit record.
    pub in_chunks: bool,
}

/// A record of the snapshot topic as written by the version whose commit is `C`: the
/// chunks are the same in every version, the commit is not.
#[derive(Debug, Serialize, Deserialize)]
enum Wire<C> {
    Chunk {
        covers: u64,
        index: u32,
        data: Vec<u8>,
    },
    Commit(C),
}

impl<C: Into<Commit>> From<Wire<C>> for SnapshotRecord {
    fn from(r: Wire<C>) -> Self {
        match r {
            Wire::Chunk {
                covers,
                index,
                data,
            } => Self::Chunk {
                covers,
                index,
                data,
            },
            Wire::Commit(c) => Self::Commit(c.into()),
        }
    }
}

/// Version 3, the commit written: the names and the alert state are in the chunks.
mod v3 {
    use serde::{Deserialize, Serialize};

    use super::super::fold::Epoch;
    use super::super::record::{AlertTimes, Source};

    #[derive(Debug, Serialize, Deserialize)]
    pub(super) struct Commit {
        pub(super) covers: u64,
        pub(super) positions: Vec<(Source, Epoch, u64)>,
        pub(super) chunks: Vec<u64>,
        pub(super) created_us: i64,
    }

    /// What the chunks hold ahead of the state (the checkpoint's bytes follow it).
    #[derive(Debug, Default, Serialize, Deserialize)]
    pub(super) struct Head {
        pub(super) slos: Vec<(String, u64)>,
        pub(super) services: Vec<(String, u64)>,
        pub(super) alerts: AlertTimes,
    }

    impl From<Commit> for super::Commit {
        fn from(c: Commit) -> Self {
            Self {
                covers: c.covers,
                positions: c.positions,
                chunks: c.chunks,
                slos: Vec::new(),
                services: Vec::new(),
                created_us: c.created_us,
                alerts: AlertTimes::new(),
                in_chunks: true,
            }
        }
    }
}

/// Version 2's commit (names and alert state in it), read so that an upgraded member
/// restores from the snapshots its predecessors wrote.
mod v2 {
    use serde::{Deserialize, Serialize};

    use super::super::fold::Epoch;
    use super::super::record::{AlertTimes, Source};

    #[derive(Debug, Serialize, Deserialize)]
    pub(super) struct Commit {
        pub(super) covers: u64,
        pub(super) positions: Vec<(Source, Epoch, u64)>,
        pub(super) chunks: Vec<u64>,
        pub(super) slos: Vec<(String, u64)>,
        pub(super) services: Vec<(String, u64)>,
        pub(super) created_us: i64,
        pub(super) alerts: AlertTimes,
    }

    impl From<Commit> for super::Commit {
        fn from(c: Commit) -> Self {
            Self {
                covers: c.covers,
                positions: c.positions,
                chunks: c.chunks,
                slos: c.slos,
                services: c.services,
                created_us: c.created_us,
                alerts: c.alerts,
                in_chunks: false,
            }
        }
    }
}

/// Version 1's commit (no alert state).
mod v1 {
    use serde::{Deserialize, Serialize};

    use super::super::fold::Epoch;
    use super::super::record::Source;

    #[derive(Debug, Serialize, Deserialize)]
    pub(super) struct Commit {
        pub(super) covers: u64,
        pub(super) positions: Vec<(Source, Epoch, u64)>,
        pub(super) chunks: Vec<u64>,
        pub(super) slos: Vec<(String, u64)>,
        pub(super) services: Vec<(String, u64)>,
        pub(super) created_us: i64,
    }

    impl From<Commit> for super::Commit {
        fn from(c: Commit) -> Self {
            super::v2::Commit {
                covers: c.covers,
                positions: c.positions,
                chunks: c.chunks,
                slos: c.slos,
                services: c.services,
                created_us: c.created_us,
                alerts: super::AlertTimes::new(),
            }
            .into()
        }
    }
}

/// The bytes of a record of `version`.
fn encode_as(version: u8, r: &impl Serialize) -> Vec<u8> {
    let mut out = vec![version];
    // Writing to a Vec cannot fail.
    out.extend(postcard::to_stdvec(r).unwrap_or_default());
    out
}

fn encode(r: &Wire<v3::Commit>) -> Vec<u8> {
    encode_as(VERSION, r)
}

fn decode(bytes: &[u8]) -> Option<SnapshotRecord> {
    fn read<C: Into<Commit> + serde::de::DeserializeOwned>(body: &[u8]) -> Option<SnapshotRecord> {
        postcard::from_bytes::<Wire<C>>(body).ok().map(Into::into)
    }
    let (&version, body) = bytes.split_first()?;
    match version {
        1 => read::<v1::Commit>(body),
        2 => read::<v2::Commit>(body),
        VERSION => read::<v3::Commit>(body),
        _ => None,
    }
}

/// The fold's value at one log offset, as a snapshot holds it besides the counts.
#[derive(Debug, Clone, Default)]
pub struct Cut {
    /// The log offset: every record before it is applied.
    pub covers: u64,
    /// Every raw partition's epoch and position.
    pub positions: Vec<(Source, Epoch, u64)>,
    /// The firing alerts and since when.
    pub alerts: AlertTimes,
}

/// Writes `state` (the fold's value at `cut`) as a snapshot; returns its size in bytes.
pub fn write(
    writer: &LogWriter,
    cluster: &ClusterConfig,
    cut: Cut,
    names: Names,
    state: &Checkpoint,
) -> Result<usize, String> {
    let created_us = state.created_us;
    let Cut {
        covers,
        positions,
        alerts,
    } = cut;
    let topic = snapshot_topic(cluster);
    let head = postcard::to_stdvec(&v3::Head {
        slos: names.slos,
        services: names.services,
        alerts,
    })
    .map_err(|e| format!("cannot encode the snapshot's names and alerts: {e}"))?;
    let state = checkpoint::encode(state);
    let timeout = Duration::from_secs(30);
    let mut chunks = Vec::new();
    // The head, then the state, each cut into chunks (the state is not copied).
    for (index, data) in head
        .chunks(CHUNK_BYTES)
        .chain(state.chunks(CHUNK_BYTES))
        .enumerate()
    {
        let record = Wire::Chunk {
            covers,
            index: index as u32,
            data: data.to_vec(),
        };
        chunks.push(writer.write_sync(&topic, &encode(&record), timeout)?);
    }
    let commit = Wire::Commit(v3::Commit {
        covers,
        positions,
        chunks,
        created_us,
    });
    writer.write_sync(&topic, &encode(&commit), timeout)?;
    Ok(head.len() + state.len())
}

/// A consumer of the snapshot topic reading `[from, to)`, each record once.
fn read_range(
    consumer: &BaseConsumer<Follower>,
    topic: &str,
    from: u64,
    to: u64,
    mut each: impl FnMut(u64, &[u8]),
) -> Result<(), String> {
    let mut list = TopicPartitionList::new();
    list.add_partition_offset(topic, 0, Offset::Offset(from as i64))
        .map_err(|e| e.to_string())?;
    consumer.assign(&list).map_err(|e| e.to_string())?;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut next = from;
    while next < to {
        if std::time::Instant::now() > deadline {
            return Err(format!(
                "reading {topic} [{from}, {to}) timed out at {next}"
            ));
        }
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                let offset = m.offset() as u64;
                if offset >= next && offset < to {
                    each(offset, m.payload().unwrap_or_default());
                }
                next = next.max(offset + 1);
            }
            Some(Err(KafkaError::PartitionEOF(_))) => break,
            Some(Err(e)) => return Err(format!("reading {topic}: {e}")),
            None => {}
        }
    }
    Ok(())
}

/// A restored snapshot.
#[derive(Debug)]
pub struct Restored {
    /// What it covers.
    pub commit: Commit,
    /// The state.
    pub state: Checkpoint,
    /// Its size, bytes.
    pub bytes: usize,
}

/// Reads the snapshot that covers the highest log offset and is whole; `None` when there
/// is none.
pub fn latest(spec: &KafkaSpec, cluster: &ClusterConfig) -> Result<Option<Restored>, String> {
    let topic = snapshot_topic(cluster);
    let consumer: BaseConsumer<Follower> = client_config(spec)
        .set("group.id", format!("{}.restore", cluster.name))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .set("fetch.wait.max.ms", "50")
        .create_with_context(Follower)
        .map_err(|e| format!("cannot create the snapshot reader: {e}"))?;
    let (low, high) = consumer
        .fetch_watermarks(&topic, 0, REQUEST_TIMEOUT)
        .map_err(|e| format!("cannot read the offsets of {topic}: {e}"))?;
    let (low, high) = (low.max(0) as u64, high.max(0) as u64);
    let mut step = 64u64;
    let mut tried = high;
    while tried > low {
        let from = high.saturating_sub(step).max(low);
        let mut commits = Vec::new();
        read_range(&consumer, &topic, from, tried, |_, bytes| {
            if let Some(SnapshotRecord::Commit(c)) = decode(bytes) {
                commits.push(c);
            }
        })?;
        commits.sort_by_key(|c| std::cmp::Reverse(c.covers));
        for mut commit in commits {
            match assemble(&consumer, &topic, &mut commit) {
                Ok((state, bytes)) => {
                    return Ok(Some(Restored {
                        commit,
                        state,
                        bytes,
                    }));
                }
                Err(e) => {
                    tracing::warn!(covers = commit.covers, error = %e, "skipping an unusable snapshot")
                }
            }
        }
        tried = from;
        step = step.saturating_mul(4);
    }
    Ok(None)
}

/// The state of `commit`, from its chunks (and, from version 3 on, its names and alert
/// state, into `commit`).
fn assemble(
    consumer: &BaseConsumer<Follower>,
    topic: &str,
    commit: &mut Commit,
) -> Result<(Checkpoint, usize), String> {
    let (Some(&first), Some(&last)) = (commit.chunks.iter().min(), commit.chunks.iter().max())
    else {
        return Err("a snapshot without chunks".into());
    };
    let mut parts: Vec<Option<Vec<u8>>> = vec![None; commit.chunks.len()];
    read_range(consumer, topic, first, last + 1, |offset, bytes| {
        if let Some(i) = commit.chunks.iter().position(|&o| o == offset)
            && let Some(SnapshotRecord::Chunk {
                covers,
                index,
                data,
            }) = decode(bytes)
            && covers == commit.covers
            && index as usize == i
        {
            parts[i] = Some(data);
        }
    })?;
    let mut bytes = Vec::new();
    for (i, part) in parts.into_iter().enumerate() {
        bytes.extend(part.ok_or_else(|| format!("chunk {i} is missing"))?);
    }
    open(commit, &bytes)
}

/// The state in a snapshot's `bytes` (its chunks, in order), and its size; from version 3
/// on, the names and alert state ahead of it go into `commit`.
fn open(commit: &mut Commit, bytes: &[u8]) -> Result<(Checkpoint, usize), String> {
    let state = if commit.in_chunks {
        let (head, state) = postcard::take_from_bytes::<v3::Head>(bytes)
            .map_err(|e| format!("the snapshot's names and alerts do not read: {e}"))?;
        commit.slos = head.slos;
        commit.services = head.services;
        commit.alerts = head.alerts;
        state
    } else {
        bytes
    };
    Ok((checkpoint::decode(state)?, bytes.len()))
}

/// The SLOs and services of a state with their fingerprints.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// `(id, fingerprint)` per SLO.
    pub slos: Vec<(String, u64)>,
    /// `(name, fingerprint)` per service.
    pub services: Vec<(String, u64)>,
}

impl Restored {
    /// Drops from the state the SLOs and services that `local` (ids and services with the
    /// local fingerprints) counts differently: they start empty rather than mixed. Returns
    /// how many SLOs were dropped.
    pub fn keep_matching(&mut self, local: &Names) -> usize {
        let same = |theirs: &[(String, u64)], mine: &[(String, u64)], name: &str| {
            let f = theirs.iter().find(|(n, _)| n == name).map(|(_, f)| *f);
            f.is_some() && f == mine.iter().find(|(n, _)| n == name).map(|(_, f)| *f)
        };
        let c = &mut self.state.counters;
        let before = c.slos.len();
        c.slos
            .retain(|s| same(&self.commit.slos, &local.slos, &s.id));
        let dropped = before - c.slos.len();
        c.latency
            .retain(|(name, _)| same(&self.commit.services, &local.services, name));
        c.capacity
            .retain(|(name, _)| same(&self.commit.services, &local.services, name));
        c.split
            .retain(|s| same(&self.commit.services, &local.services, &s.service));
        for split in &mut c.split {
            for sub in &mut split.subs {
                sub.slos
                    .retain(|s| same(&self.commit.slos, &local.slos, &s.id));
            }
        }
        let services = &self.commit.services;
        self.state
            .splits
            .retain(|a| same(services, &local.services, &a.service));
        dropped
    }
}

/// A commit's positions as the fold holds them, for the raw partitions `id_of` names
/// ([`Shared::partition_id`](super::shared::Shared::partition_id)).
pub fn positions_of(
    commit: &Commit,
    id_of: impl Fn(&Source) -> Option<crate::source::PartitionId>,
) -> Vec<(crate::source::PartitionId, SourcePosition)> {
    commit
        .positions
        .iter()
        .filter_map(|(source, epoch, next)| {
            Some((
                id_of(source)?,
                SourcePosition {
                    epoch: epoch.clone(),
                    next: *next,
                },
            ))
        })
        .collect()
}

/// Starts the thread that writes a snapshot every `spec.cluster.snapshot_interval` while
/// this member is the one that pushes alerts, its fold is caught up, and no peer's fold
/// came apart from it.
pub fn spawn(
    shared: std::sync::Arc<super::shared::Shared>,
    target: std::sync::Arc<dyn super::shared::FoldTarget>,
    writer: std::sync::Arc<LogWriter>,
    stop: crate::source::StopSignal,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    use std::sync::atomic::Ordering::Relaxed;
    let interval = Duration::from_micros(shared.config.snapshot_interval_us as u64);
    std::thread::Builder::new()
        .name("cluster-snapshot".into())
        .spawn(move || {
            let mut last = std::time::Instant::now();
            while !stop.is_stopped() {
                std::thread::sleep(Duration::from_millis(200));
                let now = target.now_us();
                if last.elapsed() < interval || !shared.is_pusher(now) || !shared.caught_up(now) {
                    continue;
                }
                // A fold that came apart from a peer's may be the wrong one: it writes no
                // snapshot that members would start from.
                if !shared.fold().diverged.is_empty() {
                    continue;
                }
                last = std::time::Instant::now();
                // The fold stays still while the state is cut: the cut is its value at
                // exactly `covers`.
                let (cut, (state, names)) = {
                    let fold = shared.fold();
                    let cut = Cut {
                        covers: fold.next,
                        positions: fold
                            .positions
                            .all()
                            .map(|(id, p)| (shared.source(id), p.epoch.clone(), p.next))
                            .collect(),
                        alerts: fold.alerts.clone(),
                    };
                    (cut, target.cut(now))
                };
                let covers = cut.covers;
                match write(&writer, &shared.config, cut, names, &state) {
                    Ok(bytes) => {
                        shared.stats.snapshots.fetch_add(1, Relaxed);
                        shared.stats.snapshot_bytes.store(bytes as u64, Relaxed);
                        tracing::info!(covers, bytes, "snapshot written");
                    }
                    Err(e) => {
                        shared.stats.snapshot_failures.fetch_add(1, Relaxed);
                        tracing::warn!(error = %e, "snapshot not written; will retry");
                    }
                }
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

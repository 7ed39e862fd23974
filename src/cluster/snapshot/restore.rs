//! Restoring: the newest whole snapshot, found by reading the snapshot topic backwards and
//! put together from its chunks, and what of it a member keeps (the SLOs and services it
//! counts the same way, and the positions of the raw partitions it reads).

use std::time::Duration;

use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::{Commit, Names, SnapshotRecord, decode, v3};
use crate::checkpoint::{self, Checkpoint};
use crate::cluster::fold::SourcePosition;
use crate::cluster::log::{Follower, REQUEST_TIMEOUT, client_config, snapshot_topic};
use crate::cluster::record::Source;
use crate::config::ClusterConfig;
use crate::source::kafka::KafkaSpec;

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
pub(super) fn open(commit: &mut Commit, bytes: &[u8]) -> Result<(Checkpoint, usize), String> {
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
/// ([`Shared::partition_id`](crate::cluster::shared::Shared::partition_id)).
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

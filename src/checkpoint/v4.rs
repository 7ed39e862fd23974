//! Checkpoint format version 4, read so that an upgrade keeps history: every partition had
//! its own copy of every SLO's counters and every service's latency histograms.
//! [`Checkpoint::upgrade`] keeps each partition's position, statistics and de-duplication ids
//! and lists all the copies of the counts one after the other (as version 5, then upgraded
//! on); restoring adds them, so they merge into the one copy of the counts.

use serde::{Deserialize, Serialize};

use super::v6::{CountersState, SloCounts, SplitState};
use crate::window::{HostAssignment, ShardStats};

/// The version number of this format.
pub const VERSION: u32 = 4;

/// A version 4 checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Wall-clock time it was taken, µs.
    pub created_us: i64,
    /// One section per partition.
    pub partitions: Vec<PartitionCheckpoint>,
    /// Per service split by host: its host assignment.
    pub splits: Vec<HostAssignment>,
}

/// One partition's section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionCheckpoint {
    /// Source stream index (topic or file).
    pub stream: u32,
    /// Partition number.
    pub partition: i32,
    /// Window state and next offset.
    pub shard: Shard,
}

/// One partition's whole state, counts included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Partition name.
    pub name: String,
    /// Source position just past the last applied line.
    pub next_offset: u64,
    /// Newest event time applied.
    pub newest_us: Option<i64>,
    /// Counters.
    pub stats: ShardStats,
    /// Per SLO.
    pub slos: Vec<SloCounts>,
    /// Per service: its latency histograms.
    pub latency: Vec<(String, Vec<crate::window::latency::LatencyBucketState>)>,
    /// Request ids remembered for de-duplication.
    pub dedup: Vec<(i64, u64)>,
    /// Per service split by host: its sub-services.
    pub split: Vec<SplitState>,
}

impl Checkpoint {
    /// The same state in the current format.
    pub fn upgrade(self) -> super::Checkpoint {
        self.into_v5().upgrade()
    }

    fn into_v5(self) -> super::v5::Checkpoint {
        let mut counters = CountersState::default();
        let partitions = self
            .partitions
            .into_iter()
            .map(|p| {
                let s = p.shard;
                counters.slos.extend(s.slos);
                counters.latency.extend(s.latency);
                counters.split.extend(s.split);
                super::v5::PartitionCheckpoint {
                    stream: p.stream,
                    partition: p.partition,
                    shard: super::v5::Shard {
                        name: s.name,
                        next_offset: s.next_offset,
                        newest_us: s.newest_us,
                        stats: s.stats,
                        dedup: s.dedup,
                    },
                }
            })
            .collect();
        super::v5::Checkpoint {
            created_us: self.created_us,
            partitions,
            counters,
            splits: self.splits,
        }
    }
}

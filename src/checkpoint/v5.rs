//! Checkpoint format version 5, read so that an upgrade keeps history: one copy of the
//! counts for all partitions, and per partition its position, statistics and
//! de-duplication ids. Version 6 adds the format's directive in force per partition (a W3C
//! `#Fields:` line) and the count of directive lines; a version 5 partition had none. Its
//! counts are version 6's ([`super::v6::CountersState`]).

use serde::{Deserialize, Serialize};

use super::v6::CountersState;
use crate::window::{HostAssignment, ShardState, ShardStats};

/// The version number of this format.
pub const VERSION: u32 = 5;

/// A version 5 checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Wall-clock time it was taken, µs.
    pub created_us: i64,
    /// One section per partition.
    pub partitions: Vec<PartitionCheckpoint>,
    /// The counts of every SLO and service, all partitions together.
    pub counters: CountersState,
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
    /// Next offset, newest event time, statistics, de-duplication ids.
    pub shard: Shard,
}

/// One partition's own state.
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
    /// Request ids remembered for de-duplication.
    pub dedup: Vec<(i64, u64)>,
}

impl Checkpoint {
    /// The same state in the current format: no partition had a directive in force.
    pub fn upgrade(self) -> super::Checkpoint {
        self.into_v6().upgrade()
    }

    fn into_v6(self) -> super::v6::Checkpoint {
        let partitions = self
            .partitions
            .into_iter()
            .map(|p| super::PartitionCheckpoint {
                stream: p.stream,
                partition: p.partition,
                shard: ShardState {
                    name: p.shard.name,
                    next_offset: p.shard.next_offset,
                    newest_us: p.shard.newest_us,
                    stats: p.shard.stats,
                    dedup: p.shard.dedup,
                    directive: None,
                    directives: 0,
                },
            })
            .collect();
        super::v6::Checkpoint {
            created_us: self.created_us,
            partitions,
            counters: self.counters,
            splits: self.splits,
        }
    }
}

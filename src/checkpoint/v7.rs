//! Checkpoint format version 7, read so that an upgrade keeps history: counts with daily
//! history, and no annotations. Version 8 adds the annotations; a version 7 file had none.

use serde::{Deserialize, Serialize};

use super::v11::CountersState;
use crate::window::HostAssignment;

/// The version number of this format.
pub const VERSION: u32 = 7;

/// A version 7 checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Wall-clock time it was taken, µs.
    pub created_us: i64,
    /// One section per partition.
    pub partitions: Vec<super::PartitionCheckpoint>,
    /// The counts of every SLO and service.
    pub counters: CountersState,
    /// Per service split by host: its host assignment.
    pub splits: Vec<HostAssignment>,
}

impl Checkpoint {
    /// The same state in the current format, without annotations.
    pub fn upgrade(self) -> super::Checkpoint {
        super::v8::Checkpoint {
            created_us: self.created_us,
            partitions: self.partitions,
            counters: self.counters,
            splits: self.splits,
            annotations: Default::default(),
        }
        .upgrade()
    }
}

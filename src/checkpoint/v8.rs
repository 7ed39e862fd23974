//! Checkpoint format version 8, read so that an upgrade keeps history: counts with daily
//! history, and the annotations. Version 9 adds how each SLO stands with its budget
//! adjustments; a version 8 file had none.

use serde::{Deserialize, Serialize};

use super::v11::CountersState;
use crate::annotations::AnnotationsState;
use crate::window::HostAssignment;

/// The version number of this format.
pub const VERSION: u32 = 8;

/// A version 8 checkpoint.
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
    /// The annotations.
    pub annotations: AnnotationsState,
}

impl Checkpoint {
    /// The same state in the current format. Adjustments loaded now are applied to its
    /// counts as to any counted before they were declared.
    pub fn upgrade(self) -> super::Checkpoint {
        super::v9::Checkpoint {
            created_us: self.created_us,
            partitions: self.partitions,
            counters: self.counters,
            splits: self.splits,
            annotations: self.annotations,
            adjustments: Vec::new(),
        }
        .upgrade()
    }
}

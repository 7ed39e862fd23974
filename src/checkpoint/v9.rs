//! Checkpoint format version 9, read so that an upgrade keeps history: counts, annotations
//! and how each SLO stands with its budget adjustments. Version 10 adds the alert history;
//! a version 9 file had none.

use serde::{Deserialize, Serialize};

use super::v11::CountersState;
use crate::annotations::AnnotationsState;
use crate::window::{AdjustedState, HostAssignment};

/// The version number of this format.
pub const VERSION: u32 = 9;

/// A version 9 checkpoint.
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
    /// How each SLO stands with its budget adjustments.
    pub adjustments: Vec<AdjustedState>,
}

impl Checkpoint {
    /// The same state in the current format, with an empty alert history.
    pub fn upgrade(self) -> super::Checkpoint {
        super::v10::Checkpoint {
            created_us: self.created_us,
            partitions: self.partitions,
            counters: self.counters,
            splits: self.splits,
            annotations: self.annotations,
            adjustments: self.adjustments,
            alert_history: Default::default(),
        }
        .upgrade()
    }
}

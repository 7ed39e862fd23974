//! Checkpoint format version 10, read so that an upgrade keeps history: counts, annotations
//! how each SLO stands with its budget adjustments, and the alert history. Version 11 adds
//! the budget adjustments declared through the API; a version 10 file had none.

use serde::{Deserialize, Serialize};

use super::v11::CountersState;
use crate::alert_history::AlertHistoryState;
use crate::annotations::AnnotationsState;
use crate::window::{AdjustedState, HostAssignment};

/// The version number of this format.
pub const VERSION: u32 = 10;

/// A version 10 checkpoint.
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
    /// When each alert fired.
    pub alert_history: AlertHistoryState,
}

impl Checkpoint {
    /// The same state in the current format, with no adjustment declared through the API.
    pub fn upgrade(self) -> super::Checkpoint {
        super::v11::Checkpoint {
            created_us: self.created_us,
            partitions: self.partitions,
            counters: self.counters,
            splits: self.splits,
            annotations: self.annotations,
            adjustments: self.adjustments,
            alert_history: self.alert_history,
            declared_adjustments: Vec::new(),
        }
        .upgrade()
    }
}

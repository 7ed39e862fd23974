//! Checkpoint format version 12, read so that an upgrade keeps history: every count, the
//! annotations, how each SLO stands with its budget adjustments, the alert history and the
//! adjustments declared through the API, but no burn attribution or canary counts. Version
//! 13 adds them; a version 12 file restores with none (they start over, as before).

use serde::{Deserialize, Serialize};

use crate::alert_history::AlertHistoryState;
use crate::annotations::AnnotationsState;
use crate::window::{AdjustedState, CountersState, DeclaredState, HostAssignment};

/// The version number of this format.
pub const VERSION: u32 = 12;

/// A version 12 checkpoint.
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
    /// The budget adjustments declared through the API.
    pub declared_adjustments: Vec<DeclaredState>,
}

impl Checkpoint {
    /// The same state in the current format, with no burn attribution or canary counts.
    pub fn upgrade(self) -> super::Checkpoint {
        super::Checkpoint {
            created_us: self.created_us,
            partitions: self.partitions,
            counters: self.counters,
            splits: self.splits,
            annotations: self.annotations,
            adjustments: self.adjustments,
            alert_history: self.alert_history,
            declared_adjustments: self.declared_adjustments,
            rings: Default::default(),
        }
    }
}

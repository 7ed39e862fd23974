//! Checkpoint format version 11, read so that an upgrade keeps history: every count but
//! the capacity counts, the annotations, how each SLO stands with its budget adjustments,
//! the alert history and the adjustments declared through the API. Version 12 adds each
//! service's capacity counts (requests per minute and hour); a version 11 service starts
//! them empty. Versions 7 to 10 hold their counts in this version's shape.

use serde::{Deserialize, Serialize};

use crate::alert_history::AlertHistoryState;
use crate::annotations::AnnotationsState;
use crate::window::latency::LatencyBucketState;
use crate::window::split::SplitShardState;
use crate::window::{AdjustedState, DeclaredState, HostAssignment, SloState};

/// The version number of this format.
pub const VERSION: u32 = 11;

/// A version 11 checkpoint.
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

/// Every count, without capacity counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountersState {
    /// Per SLO.
    pub slos: Vec<SloState>,
    /// Per service: its latency histograms.
    pub latency: Vec<(String, Vec<LatencyBucketState>)>,
    /// Per service split by host: its sub-services.
    pub split: Vec<SplitShardState>,
}

impl CountersState {
    /// The same counts in the current format, with no capacity counts.
    pub fn upgrade(self) -> crate::window::CountersState {
        crate::window::CountersState {
            slos: self.slos,
            latency: self.latency,
            split: self.split,
            capacity: Vec::new(),
        }
    }
}

impl Checkpoint {
    /// The same state in the current format: every service's capacity counts start empty.
    pub fn upgrade(self) -> super::Checkpoint {
        super::v12::Checkpoint {
            created_us: self.created_us,
            partitions: self.partitions,
            counters: self.counters.upgrade(),
            splits: self.splits,
            annotations: self.annotations,
            adjustments: self.adjustments,
            alert_history: self.alert_history,
            declared_adjustments: self.declared_adjustments,
        }
        .upgrade()
    }
}

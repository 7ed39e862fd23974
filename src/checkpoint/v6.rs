//! Checkpoint format version 6, read so that an upgrade keeps history: the counts of every
//! SLO without a daily history. Version 7 adds each SLO's (and sub-service SLO's) daily
//! counts for period reports; a version 6 SLO starts its history empty.

use serde::{Deserialize, Serialize};

use crate::window::latency::LatencyBucketState;
use crate::window::ring::TierState;
use crate::window::split::{SplitShardState, SubState};
use crate::window::{HostAssignment, SloState};

/// The version number of this format.
pub const VERSION: u32 = 6;

/// A version 6 checkpoint: the partitions' sections are today's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Wall-clock time it was taken, µs.
    pub created_us: i64,
    /// One section per partition.
    pub partitions: Vec<super::PartitionCheckpoint>,
    /// The counts of every SLO and service, all partitions together.
    pub counters: CountersState,
    /// Per service split by host: its host assignment.
    pub splits: Vec<HostAssignment>,
}

/// Every count, without daily history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountersState {
    /// Per SLO.
    pub slos: Vec<SloCounts>,
    /// Per service: its latency histograms.
    pub latency: Vec<(String, Vec<LatencyBucketState>)>,
    /// Per service split by host: its sub-services.
    pub split: Vec<SplitState>,
}

/// One SLO's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SloCounts {
    /// `service/slo`.
    pub id: String,
    /// Retained buckets per tier.
    pub tiers: Vec<TierState>,
    /// Lifetime `[good, bad]`.
    pub lifetime: [u64; 2],
}

/// One split service's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitState {
    /// The split service.
    pub service: String,
    /// Events sent to the overflow sub-service.
    pub overflow_events: u64,
    /// Every allocated sub-service.
    pub subs: Vec<Sub>,
}

/// One sub-service's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sub {
    /// The host; `None` for the overflow sub-service.
    pub host: Option<String>,
    /// Per SLO.
    pub slos: Vec<SloCounts>,
    /// Latency histograms.
    pub latency: Vec<LatencyBucketState>,
}

impl SloCounts {
    fn upgrade(self) -> SloState {
        SloState {
            id: self.id,
            tiers: self.tiers,
            lifetime: self.lifetime,
            history: Vec::new(),
        }
    }
}

impl CountersState {
    /// The same counts in the current format, every history empty.
    pub fn upgrade(self) -> super::v11::CountersState {
        let slos = |s: Vec<SloCounts>| s.into_iter().map(SloCounts::upgrade).collect();
        super::v11::CountersState {
            slos: slos(self.slos),
            latency: self.latency,
            split: self
                .split
                .into_iter()
                .map(|s| SplitShardState {
                    service: s.service,
                    overflow_events: s.overflow_events,
                    subs: s
                        .subs
                        .into_iter()
                        .map(|sub| SubState {
                            host: sub.host,
                            slos: slos(sub.slos),
                            latency: sub.latency,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl Checkpoint {
    /// The same state in the current format: no SLO has history yet.
    pub fn upgrade(self) -> super::Checkpoint {
        super::v7::Checkpoint {
            created_us: self.created_us,
            partitions: self.partitions,
            counters: self.counters.upgrade(),
            splits: self.splits,
        }
        .upgrade()
    }
}

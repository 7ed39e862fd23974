//! The records of a cluster's log (`<name>.log`): fences, deltas, heartbeats, the alert
//! state and the annotations, in one order that every instance applies.
//!
//! Each record is one byte of format version, then the record in postcard. A reader skips
//! (and counts) a record of a version it does not know, or of a kind added after it was
//! built (kinds are only ever appended, so a build reads every kind written before it).
//! There is one version so far; a build that writes a new one must go on reading this one.
//! Fields may also be appended to the last struct of a record (postcard reads a record and
//! ignores bytes after it, so an older build reads such a record without them); a newer
//! build reads the shorter forms too ([`Delta`]'s directive, then its capacity counts, then
//! its attribution, then its canary counts).
//! Times are whole seconds where a second is the finest bucket (counts), microseconds
//! elsewhere.
//!
//! The alert state's records are in `alerts`; the shapes deltas had before the fields
//! appended since are in `older_deltas`.

mod alerts;
mod older_deltas;

use serde::{Deserialize, Serialize};

use super::fold::Epoch;
use crate::window::ShardStats;

pub use alerts::{
    ALERT_RECORD_BYTES, AlertChange, AlertLabels, AlertState, AlertTimes, alert_records,
};

/// The version written.
pub const VERSION: u8 = 1;

/// The postcard variant index of [`Record::Delta`].
const DELTA_VARIANT: u8 = 1;

/// A raw partition: a topic of the source and its partition number.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Source {
    /// The raw topic.
    pub topic: String,
    /// Its partition.
    pub partition: i32,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.topic, self.partition)
    }
}

/// One record of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Record {
    /// A claim on a raw partition.
    Fence(Fence),
    /// What a raw partition's owner counted over a range of offsets (boxed: it is the
    /// largest record by far).
    Delta(Box<Delta>),
    /// A member saying it is alive, what it reads and how it counts.
    Heartbeat(Heartbeat),
    /// The alerts firing and since when, as the member that pushes them decided.
    Alerts(AlertState),
    /// A part of a change to the alert state, for a firing set too large for one
    /// [`Record::Alerts`] ([`alert_records`]). Appended after the first release: a build
    /// before it skips these and reports its own first sightings.
    AlertChange(AlertChange),
    /// An annotation added or deleted through one member's API: every member applies it at
    /// the same place in the log, so every member's annotations (and ids) are the same.
    /// Appended later: a build before it skips these.
    Annotation(AnnotationRecord),
    /// A budget adjustment declared or removed through one member's API: every member
    /// applies it at the same place in the log, to the same counts. Appended later.
    Adjustment(AdjustmentRecord),
}

/// A declaration of a budget adjustment, or its removal, as written by the member that took
/// the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdjustmentRecord {
    /// The member that wrote it.
    pub member: String,
    /// Its wall clock when it wrote the record, µs.
    pub sent_us: i64,
    /// What changes.
    pub change: AdjustmentChange,
}

/// Declare or remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdjustmentChange {
    /// Declare this one-off adjustment.
    Declare(crate::window::DeclaredState),
    /// Remove the adjustment declared so under this name.
    Remove(String),
}

/// A change to the annotations, as written by the member that took the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnotationRecord {
    /// The member that wrote it.
    pub member: String,
    /// Its wall clock when it wrote the record, µs: the annotation's `created`.
    pub sent_us: i64,
    /// What changes.
    pub change: AnnotationChange,
}

/// Add or delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AnnotationChange {
    /// Add this annotation (its id is the next one of the log's order).
    Add(crate::annotations::NewAnnotation),
    /// Delete the annotation of this id.
    Delete(u64),
}

/// A claim: from here on, only deltas of `epoch` count for `source`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fence {
    /// The raw partition claimed.
    pub source: Source,
    /// The claimant's epoch.
    pub epoch: Epoch,
    /// Where a partition never seen before starts (its group start position).
    pub start: u64,
    /// The claimant's wall clock when it wrote the fence, µs.
    pub sent_us: i64,
}

/// The counts of the raw offsets `[from, to)` of `source`, as its owner read them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Delta {
    /// The raw partition.
    pub source: Source,
    /// The writer's epoch.
    pub epoch: Epoch,
    /// First raw offset covered.
    pub from: u64,
    /// First raw offset not covered.
    pub to: u64,
    /// The writer's wall clock when it wrote the delta, µs.
    pub sent_us: i64,
    /// The partition had nothing more to deliver when the delta was written.
    pub at_end: bool,
    /// The partition's newest event time after the range, µs.
    pub newest_us: Option<i64>,
    /// What happened to the range's lines.
    pub stats: ShardStats,
    /// Request ids seen first in the range, `(event time µs, hash)`, oldest first.
    pub ids: Vec<(i64, u64)>,
    /// Counts per SLO (of services not split by host).
    pub slos: Vec<SloCounts>,
    /// Latencies per service (not split by host).
    pub latency: Vec<LatencyCounts>,
    /// Counts and latencies per host of services split by host, in order of first arrival.
    pub hosts: Vec<HostCounts>,
    /// The format's directive in force after the range (a W3C `#Fields:` line), so the
    /// member that takes the partition over reads on by it. Appended after the first
    /// release, last in the record: a build before it reads the delta without it.
    pub directive: Option<Vec<u8>>,
    /// Directive lines in the range (appended with `directive`).
    pub directives: u64,
    /// Requests per service and minute (of services split by host or not). Appended after
    /// `directives`: a build before it reads the delta without it.
    pub capacity: Vec<CapacityCounts>,
    /// Burn attribution per service (with `spec.attribution`). Appended after `capacity`:
    /// a build before it reads the delta without it.
    pub attribution: Vec<AttributionCounts>,
    /// Canary comparisons per service (with `spec.services[].canary`). Appended after
    /// `attribution`, last in the record: a build before it reads the delta without it.
    pub canary: Vec<CanaryCounts>,
}

/// One SLO's counts per second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SloCounts {
    /// The SLO's fingerprint.
    pub slo: u64,
    /// `(second, good, total)`, by second.
    pub seconds: Vec<(i64, u64, u64)>,
}

/// One service's latencies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencyCounts {
    /// The service's fingerprint.
    pub service: u64,
    /// `(second, latency µs, count)`; latencies are the lowest value of their histogram
    /// bucket, so recording them gives the histograms the events would.
    pub values: Vec<(i64, i64, u64)>,
}

/// One service's requests per minute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityCounts {
    /// The service's fingerprint.
    pub service: u64,
    /// `(minute, requests, measured, latency sum µs)`, by minute; a minute is µs / 60 s, and
    /// `measured` counts the requests with a latency, whose sum follows.
    pub minutes: Vec<(i64, u64, u64, u64)>,
}

/// One service's canary comparison: the minutes its owner counted since its last delta.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanaryCounts {
    /// The service's canary fingerprint (its service, its SLOs in order and the comparison;
    /// [`super::fingerprint::Fingerprints::canary`]).
    pub fingerprint: u64,
    /// The minutes, as the ring exports them (they merge by adding).
    pub minutes: Vec<crate::window::CanaryMinute>,
}

/// One service's burn attribution: the minutes its owner counted since its last delta.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributionCounts {
    /// The service's attribution fingerprint (its service, its SLOs in order and the
    /// attribution settings; [`super::fingerprint::Fingerprints::attribution`]).
    pub fingerprint: u64,
    /// The minutes, as the ring exports them (tables merge by adding).
    pub minutes: Vec<crate::window::AttributionMinute>,
}

/// One host's counts in a service split by host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostCounts {
    /// The split service's fingerprint.
    pub service: u64,
    /// The host, lowercased (its assignment key).
    pub host: Vec<u8>,
    /// Events of the host (for the overflow count).
    pub events: u64,
    /// Per SLO of the service.
    pub slos: Vec<SloCounts>,
    /// Latencies, as in [`LatencyCounts::values`].
    pub latency: Vec<(i64, i64, u64)>,
}

/// A member's heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// The member id.
    pub member: String,
    /// Its advertised URL.
    pub url: String,
    /// Its wall clock when it wrote the heartbeat, µs.
    pub sent_us: i64,
    /// The raw partitions it owns (claimed, epoch current in its fold).
    pub partitions: Vec<Source>,
    /// The log offset its fold has applied up to (exclusive).
    pub applied: u64,
    /// Its messages per raw partition behind the partition's end, as its consumer reports.
    pub lag: Vec<(Source, i64)>,
    /// The hash of every SLO fingerprint it counts with (and its line length cap).
    pub config: u64,
    /// Every SLO fingerprint it counts with, sent only while a live peer's `config` differs
    /// (so that each can tell which SLOs the other lacks); empty otherwise, which keeps a
    /// heartbeat small however many SLOs there are. Peers keep the list they last had for
    /// the same `config` ([`Members::heard`](super::members::Members::heard)).
    pub slos: Vec<u64>,
    /// The member is stopping: peers treat it as gone at once.
    pub leaving: bool,
    /// A digest of its fold's positions at a log offset (the newest multiple of
    /// [`DIGEST_EVERY`](super::shared::DIGEST_EVERY) it applied): peers whose digest at that
    /// offset differs have folds that came apart.
    pub digest: Option<(u64, u64)>,
}

/// Why a record could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordError {
    /// An empty record.
    #[error("empty record")]
    Empty,
    /// A version this build does not know (a newer member wrote it).
    #[error("record version {0} is newer than this build reads ({VERSION})")]
    Version(u8),
    /// Bytes that are not a record.
    #[error("undecodable record: {0}")]
    Corrupt(String),
}

impl Record {
    /// The record's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![VERSION];
        // Writing to a Vec cannot fail.
        out.extend(postcard::to_stdvec(self).unwrap_or_default());
        out
    }

    /// Reads a record written by [`Record::encode`] of this or an older version.
    pub fn decode(bytes: &[u8]) -> Result<Self, RecordError> {
        let (&version, body) = bytes.split_first().ok_or(RecordError::Empty)?;
        if version != VERSION {
            return Err(RecordError::Version(version));
        }
        postcard::from_bytes(body).or_else(|e| {
            // An older delta ends before the fields appended since (the variant index, 1, is
            // its first byte).
            match body.split_first() {
                Some((&DELTA_VARIANT, delta)) => older_deltas::read(delta)
                    .map(|d| Record::Delta(Box::new(d)))
                    .ok_or_else(|| RecordError::Corrupt(e.to_string())),
                _ => Err(RecordError::Corrupt(e.to_string())),
            }
        })
    }
}

#[cfg(test)]
mod tests;

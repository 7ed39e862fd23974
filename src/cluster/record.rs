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

use serde::{Deserialize, Serialize};

use super::fold::Epoch;
use crate::window::ShardStats;

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

/// Alert labels (`alertname`, `service`, `slo`, …), ordered so a set is one key.
pub type AlertLabels = std::collections::BTreeMap<String, String>;

/// Since when (evaluation time, µs) each firing alert fires, by its labels.
pub type AlertTimes = std::collections::BTreeMap<AlertLabels, i64>;

/// The firing alerts, by their labels, with the evaluation time each was first seen firing
/// (µs): the `startsAt` every member reports and the next pusher keeps.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AlertState {
    /// The member that wrote it (the pusher).
    pub member: String,
    /// Its wall clock when it wrote the record, µs.
    pub sent_us: i64,
    /// Every firing alert and since when.
    pub active: AlertTimes,
}

/// Part of what the member that pushes alerts decided, as a change to the state before it:
/// each part applies on its own, so a large change is cut into records of bounded size.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AlertChange {
    /// The member that wrote it (the pusher).
    pub member: String,
    /// Its wall clock when it wrote the record, µs.
    pub sent_us: i64,
    /// Alerts that fire, with since when: new ones, or ones whose time changed.
    pub set: Vec<(AlertLabels, i64)>,
    /// Alerts that no longer fire.
    pub cleared: Vec<AlertLabels>,
}

impl AlertChange {
    /// Applies the change to `state`.
    pub fn apply_to(self, state: &mut AlertTimes) {
        state.extend(self.set);
        for labels in &self.cleared {
            state.remove(labels);
        }
    }
}

/// Largest alert record [`alert_records`] writes, bytes (a log record may be 2 MB; a
/// whole firing set past this goes as changes).
pub const ALERT_RECORD_BYTES: usize = 256 * 1024;

/// The records that take the cluster's alert state from `decided` to `mine`, written by
/// `member` at `sent_us`: the whole state in one [`Record::Alerts`] while it encodes in
/// [`ALERT_RECORD_BYTES`] (what every build reads), else the difference as
/// [`Record::AlertChange`]s of at most that size each (an alert whose labels alone exceed it
/// goes alone). Nothing when the two agree.
pub fn alert_records(
    member: &str,
    sent_us: i64,
    mine: &AlertTimes,
    decided: &AlertTimes,
) -> Vec<Record> {
    if mine == decided {
        return Vec::new();
    }
    let whole = Record::Alerts(AlertState {
        member: member.to_string(),
        sent_us,
        active: mine.clone(),
    });
    if whole.encode().len() <= ALERT_RECORD_BYTES {
        return vec![whole];
    }
    // Room for the record's own fields and the two lists' lengths.
    let budget = ALERT_RECORD_BYTES.saturating_sub(64 + member.len());
    let empty = || AlertChange {
        member: member.to_string(),
        sent_us,
        ..AlertChange::default()
    };
    // Alerts set (with since when) or cleared (`None`).
    let set = mine
        .iter()
        .filter(|&(labels, since)| decided.get(labels) != Some(since))
        .map(|(labels, &since)| (labels, Some(since)));
    let cleared = decided
        .keys()
        .filter(|l| !mine.contains_key(*l))
        .map(|labels| (labels, None));
    let (mut out, mut part, mut used) = (Vec::new(), empty(), 0);
    for (labels, since) in set.chain(cleared) {
        // The labels, and at most 10 bytes for the time.
        let bytes = postcard::to_stdvec(labels).map_or(0, |b| b.len()) + 10;
        if used > 0 && used + bytes > budget {
            out.push(Record::AlertChange(std::mem::replace(&mut part, empty())));
            used = 0;
        }
        used += bytes;
        match since {
            Some(since) => part.set.push((labels.clone(), since)),
            None => part.cleared.push(labels.clone()),
        }
    }
    if used > 0 {
        out.push(Record::AlertChange(part));
    }
    out
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

/// A delta as written before [`Delta::canary`]: read so that the log's older deltas still
/// apply. Postcard writes a struct as its fields one after the other, so the earlier shape
/// followed by the attribution reads the same bytes.
#[derive(Debug, Deserialize)]
struct DeltaBeforeCanary {
    before: DeltaBeforeAttribution,
    attribution: Vec<AttributionCounts>,
}

impl From<DeltaBeforeCanary> for Delta {
    fn from(d: DeltaBeforeCanary) -> Self {
        Delta {
            attribution: d.attribution,
            ..d.before.into()
        }
    }
}

/// A delta as written before [`Delta::attribution`]: read so that the log's older deltas
/// still apply (the earlier shape followed by the capacity counts, as [`DeltaBeforeCanary`]).
#[derive(Debug, Deserialize)]
struct DeltaBeforeAttribution {
    before: DeltaBeforeCapacity,
    capacity: Vec<CapacityCounts>,
}

impl From<DeltaBeforeAttribution> for Delta {
    fn from(d: DeltaBeforeAttribution) -> Self {
        Delta {
            capacity: d.capacity,
            ..d.before.into()
        }
    }
}

/// A delta as written before [`Delta::capacity`]: read so that the log's older deltas
/// still apply.
#[derive(Debug, Deserialize)]
struct DeltaBeforeCapacity {
    source: Source,
    epoch: Epoch,
    from: u64,
    to: u64,
    sent_us: i64,
    at_end: bool,
    newest_us: Option<i64>,
    stats: ShardStats,
    ids: Vec<(i64, u64)>,
    slos: Vec<SloCounts>,
    latency: Vec<LatencyCounts>,
    hosts: Vec<HostCounts>,
    directive: Option<Vec<u8>>,
    directives: u64,
}

impl From<DeltaBeforeCapacity> for Delta {
    fn from(d: DeltaBeforeCapacity) -> Self {
        Delta {
            source: d.source,
            epoch: d.epoch,
            from: d.from,
            to: d.to,
            sent_us: d.sent_us,
            at_end: d.at_end,
            newest_us: d.newest_us,
            stats: d.stats,
            ids: d.ids,
            slos: d.slos,
            latency: d.latency,
            hosts: d.hosts,
            directive: d.directive,
            directives: d.directives,
            capacity: Vec::new(),
            attribution: Vec::new(),
            canary: Vec::new(),
        }
    }
}

/// A delta as the first release wrote it, before [`Delta::directive`]: read so that the
/// log's older deltas still apply.
#[derive(Debug, Deserialize)]
struct DeltaBeforeDirectives {
    source: Source,
    epoch: Epoch,
    from: u64,
    to: u64,
    sent_us: i64,
    at_end: bool,
    newest_us: Option<i64>,
    stats: ShardStats,
    ids: Vec<(i64, u64)>,
    slos: Vec<SloCounts>,
    latency: Vec<LatencyCounts>,
    hosts: Vec<HostCounts>,
}

impl From<DeltaBeforeDirectives> for Delta {
    fn from(d: DeltaBeforeDirectives) -> Self {
        Delta {
            source: d.source,
            epoch: d.epoch,
            from: d.from,
            to: d.to,
            sent_us: d.sent_us,
            at_end: d.at_end,
            newest_us: d.newest_us,
            stats: d.stats,
            ids: d.ids,
            slos: d.slos,
            latency: d.latency,
            hosts: d.hosts,
            directive: None,
            directives: 0,
            capacity: Vec::new(),
            attribution: Vec::new(),
            canary: Vec::new(),
        }
    }
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
            // its first byte): before the canary counts, before the attribution, before the capacity
            // counts, or (the
            // first release) before the directive too.
            match body.split_first() {
                Some((&DELTA_VARIANT, delta)) => postcard::from_bytes::<DeltaBeforeCanary>(delta)
                    .map(|d| Record::Delta(Box::new(d.into())))
                    .or_else(|_| {
                        postcard::from_bytes::<DeltaBeforeAttribution>(delta)
                            .map(|d| Record::Delta(Box::new(d.into())))
                    })
                    .or_else(|_| {
                        postcard::from_bytes::<DeltaBeforeCapacity>(delta)
                            .map(|d| Record::Delta(Box::new(d.into())))
                    })
                    .or_else(|_| {
                        postcard::from_bytes::<DeltaBeforeDirectives>(delta)
                            .map(|d| Record::Delta(Box::new(d.into())))
                    })
                    .map_err(|_| RecordError::Corrupt(e.to_string())),
                _ => Err(RecordError::Corrupt(e.to_string())),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_and_bad_bytes_are_errors() {
        let source = Source {
            topic: "logs".into(),
            partition: 3,
        };
        let epoch = Epoch {
            number: 2,
            member: "a".into(),
        };
        let records = [
            Record::Fence(Fence {
                source: source.clone(),
                epoch: epoch.clone(),
                start: 7,
                sent_us: 1,
            }),
            Record::Delta(Box::new(Delta {
                source: source.clone(),
                epoch,
                from: 7,
                to: 9,
                ids: vec![(5, 6)],
                slos: vec![SloCounts {
                    slo: 1,
                    seconds: vec![(100, 1, 2)],
                }],
                ..Delta::default()
            })),
            Record::Heartbeat(Heartbeat {
                member: "a".into(),
                url: "http://a".into(),
                sent_us: 3,
                partitions: vec![source.clone()],
                applied: 4,
                lag: vec![(source, 0)],
                config: 5,
                slos: vec![1, 2],
                leaving: false,
                digest: Some((256, 7)),
            }),
            Record::Alerts(AlertState {
                member: "a".into(),
                sent_us: 8,
                active: [(
                    [("alertname".to_string(), "page_1h_5m".to_string())].into(),
                    9,
                )]
                .into(),
            }),
            Record::Annotation(AnnotationRecord {
                member: "b".into(),
                sent_us: 12,
                change: AnnotationChange::Add(crate::annotations::NewAnnotation {
                    time: "2026-12-01T10:00:00Z".into(),
                    end: None,
                    kind: crate::annotations::AnnotationKind::Deploy,
                    service: Some("api".into()),
                    text: "v2".into(),
                    labels: Default::default(),
                }),
            }),
            Record::Annotation(AnnotationRecord {
                member: "b".into(),
                sent_us: 13,
                change: AnnotationChange::Delete(4),
            }),
            Record::Adjustment(AdjustmentRecord {
                member: "c".into(),
                sent_us: 14,
                change: AdjustmentChange::Remove("db".into()),
            }),
            Record::AlertChange(AlertChange {
                member: "a".into(),
                sent_us: 10,
                set: vec![([("alertname".to_string(), "x".to_string())].into(), 11)],
                cleared: vec![[("alertname".to_string(), "y".to_string())].into()],
            }),
        ];
        for r in records {
            assert_eq!(Record::decode(&r.encode()), Ok(r));
        }
        assert_eq!(Record::decode(&[]), Err(RecordError::Empty));
        assert_eq!(Record::decode(&[9, 0]), Err(RecordError::Version(9)));
        assert!(matches!(
            Record::decode(&[VERSION, 200]),
            Err(RecordError::Corrupt(_))
        ));
    }

    #[test]
    fn deltas_with_a_directive_and_of_the_first_release_read_both_ways() {
        let delta = Delta {
            source: Source {
                topic: "cdn".into(),
                partition: 0,
            },
            from: 3,
            to: 9,
            ids: vec![(5, 6)],
            directive: Some(b"#Fields: date time sc-status".to_vec()),
            directives: 2,
            ..Delta::default()
        };
        let new = Record::Delta(Box::new(delta.clone())).encode();
        assert_eq!(
            Record::decode(&new),
            Ok(Record::Delta(Box::new(delta.clone())))
        );
        // A build of the first release reads the same bytes as its delta, without the
        // appended fields (postcard ignores what follows a record).
        let old: DeltaBeforeDirectives = postcard::from_bytes(&new[2..]).unwrap();
        let read = Delta::from(old);
        assert_eq!(
            (read.from, read.to, &read.ids, read.directive),
            (3, 9, &delta.ids, None)
        );
        // A delta of the first release (the appended fields absent: no directive, no
        // directive lines, no capacity counts, no attribution and no canary counts encode as
        // one zero byte each, so it is this record without its last five bytes) reads with
        // none.
        let plain = Delta {
            directive: None,
            directives: 0,
            ..delta
        };
        let bytes = Record::Delta(Box::new(plain.clone())).encode();
        let first_release = &bytes[..bytes.len() - 5];
        assert_eq!(
            Record::decode(first_release),
            Ok(Record::Delta(Box::new(plain)))
        );
        // A cut delta is still corrupt.
        assert!(matches!(
            Record::decode(&first_release[..first_release.len() - 3]),
            Err(RecordError::Corrupt(_))
        ));
    }

    #[test]
    fn deltas_with_capacity_counts_and_from_before_them_read_both_ways() {
        let delta = Delta {
            from: 3,
            to: 9,
            ids: vec![(5, 6)],
            directive: Some(b"#Fields: date time sc-status".to_vec()),
            directives: 2,
            capacity: vec![CapacityCounts {
                service: 7,
                minutes: vec![(29_919_600, 5, 4, 1_234), (29_919_601, 1, 0, 0)],
            }],
            ..Delta::default()
        };
        let new = Record::Delta(Box::new(delta.clone())).encode();
        assert_eq!(
            Record::decode(&new),
            Ok(Record::Delta(Box::new(delta.clone())))
        );
        // A build before capacity counts reads the same bytes without them.
        let old: DeltaBeforeCapacity = postcard::from_bytes(&new[2..]).unwrap();
        let without = Delta {
            capacity: Vec::new(),
            ..delta
        };
        assert_eq!(Delta::from(old), without);
        // A delta written before them (no capacity counts and no attribution encode as one
        // zero byte each, and so do no canary counts: this record without its last three
        // bytes) reads with its
        // directive and none.
        let bytes = Record::Delta(Box::new(without.clone())).encode();
        let before = &bytes[..bytes.len() - 3];
        assert_eq!(Record::decode(before), Ok(Record::Delta(Box::new(without))));
    }

    #[test]
    fn deltas_with_attribution_and_from_before_it_read_both_ways() {
        let mut ring = crate::window::AttributionRing::new(crate::window::AttributionShape {
            minutes: 10,
            dims: 2,
            slos: 1,
            keys_per_table: 4,
        });
        ring.record(
            29_919_600 * 60_000_000,
            &[b"/api/checkout", b"503"],
            &[Some(true)],
        );
        let delta = Delta {
            from: 3,
            to: 9,
            capacity: vec![CapacityCounts {
                service: 7,
                minutes: vec![(29_919_600, 1, 0, 0)],
            }],
            attribution: vec![AttributionCounts {
                fingerprint: 11,
                minutes: ring.export().minutes,
            }],
            ..Delta::default()
        };
        assert_eq!(delta.attribution[0].minutes.len(), 1);
        let without = Delta {
            attribution: Vec::new(),
            ..delta.clone()
        };
        // Written before it: no attribution and no canary counts, one zero byte each.
        reads_both_ways::<DeltaBeforeAttribution>(delta, without, 2);
    }

    /// `delta` reads back; a build of the shape `Old` (before a field appended last) reads
    /// its bytes as `without` (`delta` without that field); and `without` as that build
    /// wrote it (the record less its last `appended` bytes, the empty fields appended since)
    /// reads as `without`.
    fn reads_both_ways<Old>(delta: Delta, without: Delta, appended: usize)
    where
        Old: serde::de::DeserializeOwned + Into<Delta>,
    {
        let new = Record::Delta(Box::new(delta.clone())).encode();
        assert_eq!(Record::decode(&new), Ok(Record::Delta(Box::new(delta))));
        let old: Old = postcard::from_bytes(&new[2..]).unwrap();
        assert_eq!(old.into(), without);
        let bytes = Record::Delta(Box::new(without.clone())).encode();
        let before = &bytes[..bytes.len() - appended];
        assert_eq!(Record::decode(before), Ok(Record::Delta(Box::new(without))));
    }

    /// Firing alerts of services `services` (with long names), since `since + i`.
    fn firing(services: std::ops::Range<usize>, since: i64) -> AlertTimes {
        services
            .map(|i| {
                let labels: AlertLabels = [
                    ("alertname", "SLOErrorBudgetBurn".to_string()),
                    ("service", format!("checkout-frontend-eu-west-1-{i}")),
                    ("slo", "availability".to_string()),
                    ("severity", "page".to_string()),
                    ("window", "1h".to_string()),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
                (labels, since + i as i64)
            })
            .collect()
    }

    #[test]
    fn a_small_alert_state_is_one_whole_record_and_a_large_one_bounded_changes() {
        let none = AlertTimes::new();
        assert!(alert_records("p", 1, &none, &none).is_empty());
        let few = firing(0..10, 100);
        assert_eq!(
            alert_records("p", 1, &few, &none),
            [Record::Alerts(AlertState {
                member: "p".into(),
                sent_us: 1,
                active: few.clone(),
            })]
        );

        // 20,000 firing alerts (past the 2 MB a log record may be): changes of bounded size that,
        // applied in order to what was decided, give exactly the new state.
        let many = firing(0..20_000, 100);
        let whole = Record::Alerts(AlertState {
            member: "p".into(),
            sent_us: 1,
            active: many.clone(),
        });
        assert!(whole.encode().len() > 2_000_000);
        let mut decided = firing(0..15_000, 100);
        // Some alerts with another time, and some that no longer fire.
        for (_, since) in decided.iter_mut().take(500) {
            *since -= 1;
        }
        decided.extend(firing(20_000..23_000, 7));
        let records = alert_records("p", 1, &many, &decided);
        assert!(records.len() > 1, "{} records", records.len());
        let mut state = decided.clone();
        let (mut set, mut cleared) = (0, 0);
        for r in records {
            let bytes = r.encode();
            assert!(bytes.len() <= ALERT_RECORD_BYTES, "{} bytes", bytes.len());
            let Ok(Record::AlertChange(c)) = Record::decode(&bytes) else {
                panic!("a change record");
            };
            set += c.set.len();
            cleared += c.cleared.len();
            c.apply_to(&mut state);
        }
        assert_eq!(state, many);
        assert_eq!((set, cleared), (500 + 5_000, 3_000));
    }
    #[test]
    fn deltas_with_canary_counts_and_from_before_them_read_both_ways() {
        use crate::classify::Outcome;
        use crate::classify::canary::Variant;
        let mut ring = crate::window::CanaryRing::new(10, 1);
        ring.record(
            29_919_600 * 60_000_000,
            Variant::Canary,
            true,
            &[Outcome::Bad],
            Some(120_000),
        );
        let mut attribution =
            crate::window::AttributionRing::new(crate::window::AttributionShape {
                minutes: 10,
                dims: 1,
                slos: 1,
                keys_per_table: 4,
            });
        attribution.record(29_919_600 * 60_000_000, &[b"503"], &[Some(true)]);
        let delta = Delta {
            from: 3,
            to: 9,
            attribution: vec![AttributionCounts {
                fingerprint: 11,
                minutes: attribution.export().minutes,
            }],
            canary: vec![CanaryCounts {
                fingerprint: 12,
                minutes: ring.export().minutes,
            }],
            ..Delta::default()
        };
        assert_eq!(delta.canary[0].minutes[0].sides[0].latency.len(), 1);
        let without = Delta {
            canary: Vec::new(),
            ..delta.clone()
        };
        // Written before them: no canary counts, one zero byte.
        reads_both_ways::<DeltaBeforeCanary>(delta, without, 1);
    }
}

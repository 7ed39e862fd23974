//! Deltas as earlier builds wrote them, before the fields appended since, read so that the
//! log's older deltas still apply.

use serde::Deserialize;

use super::{
    AttributionCounts, CapacityCounts, Delta, Epoch, HostCounts, LatencyCounts, ShardStats,
    SloCounts, Source,
};

/// A delta as written before [`Delta::canary`]: read so that the log's older deltas still
/// apply. Postcard writes a struct as its fields one after the other, so the earlier shape
/// followed by the attribution reads the same bytes.
#[derive(Debug, Deserialize)]
pub(super) struct DeltaBeforeCanary {
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
pub(super) struct DeltaBeforeAttribution {
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
pub(super) struct DeltaBeforeCapacity {
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
pub(super) struct DeltaBeforeDirectives {
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

/// Reads a delta's bytes (those after its variant index) as an earlier build wrote them:
/// before the canary counts, before the attribution, before the capacity counts, or (the
/// first release) before the directive too.
pub(super) fn read(delta: &[u8]) -> Option<Delta> {
    postcard::from_bytes::<DeltaBeforeCanary>(delta)
        .map(Delta::from)
        .or_else(|_| postcard::from_bytes::<DeltaBeforeAttribution>(delta).map(Delta::from))
        .or_else(|_| postcard::from_bytes::<DeltaBeforeCapacity>(delta).map(Delta::from))
        .or_else(|_| postcard::from_bytes::<DeltaBeforeDirectives>(delta).map(Delta::from))
        .ok()
}

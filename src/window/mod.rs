//! Window store: exact, event-time, sliding-window counts per SLO, one copy per instance.
//!
//! The [`Store`] holds one [`Counters`] (every SLO's counters, every service's latency
//! histograms) whatever the number of partitions read, and one [`Shard`] per source
//! partition with what that partition needs of its own: its position, newest event time,
//! statistics and de-duplication ids. So memory grows with the SLOs, not with SLOs times
//! partitions. The [`Plan`] fixes, once per configuration, how many
//! buckets each SLO keeps in each tier (see [`ring`]) so that every window it reports is exact
//! for the `[start, end)` the API shows; [`latency`] keeps coarse histograms for percentiles,
//! [`capacity`] exact requests and latency sums per service by minute and hour, and
//! [`attribution`] the keys (paths, statuses, backends…) each SLO's bad events come from.
//! A service split by host keeps its counters per sub-service instead, at most `max_hosts + 1`
//! of them, with one host assignment (see [`split`]).
//!
//! The store also derives the event-time watermark from the shards: the evaluation time
//! trails the slowest partition that is still delivering, so a partition catching up on a
//! backlog does not leave a hole at the end of every window (see [`Store::watermark`]).

pub mod adjust;
pub mod attribution;
pub mod canary;
pub mod capacity;
pub mod counters;
pub mod decided;
pub mod dedup;
pub mod history;
pub mod latency;
pub mod ring;
pub mod shard;
pub mod split;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use dashmap::DashMap;

pub use adjust::{Adjustment, Applied, DeclaredState, Mode as AdjustMode, Schedule};
pub use attribution::{
    AttributionError, AttributionRing, AttributionShape, AttributionState, BatchSums, Contributor,
    Contributors, EntryState as AttributionEntry, KeyCounts, MinuteState as AttributionMinute,
    SloCounts, TableState as AttributionTable,
};
pub use canary::{
    CanaryError, CanaryMinute, CanaryRing, CanaryState, CanarySums, SideState as CanarySide,
    VariantSums,
};
pub use capacity::{CapacityRing, CapacityState, Peak, Sums};
pub use counters::{
    AdjustedState, Counters, CountersState, RingsState, SloState, Tally, add_attribution,
    flush_attribution, record_canary,
};
pub use decided::{Decided, Decisions, Keys};
pub use dedup::DedupConfig;
pub use history::{DayZone, History, HistorySpec};
pub use ring::{Counts, Layout, Retention, SloCounters, window_start};
pub use shard::{Activity, CountersOf, Shard, ShardState, ShardStats};
pub use split::{HostAssignment, HostTable, SplitPlan, host_key};

use crate::alert_history::AlertHistory;
use crate::annotations::Annotations;
use crate::source::PartitionId;
use crate::time::HOUR;

/// Event-time tolerances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowConfig {
    /// How far the evaluation time trails the newest event, µs.
    pub allowed_lateness_us: i64,
    /// Events more than this ahead of the wall clock are dropped, µs.
    pub max_future_us: i64,
    /// A partition that delivered nothing for this long (wall clock) stops holding the
    /// evaluation time back, µs.
    pub idle_timeout_us: i64,
    /// How far a partition that is behind may hold the evaluation time back behind the
    /// newest event of any partition, µs; further behind, it delivers late events.
    pub max_partition_lag_us: i64,
    /// De-duplication by request id, when configured.
    pub dedup: Option<DedupConfig>,
    /// Local days of daily history kept per SLO for period reports; 0 keeps none.
    pub history_days: usize,
}

impl Default for WindowConfig {
    fn default() -> Self {
        Self {
            allowed_lateness_us: 0,
            max_future_us: 5 * crate::time::MINUTE,
            idle_timeout_us: crate::time::MINUTE,
            max_partition_lag_us: 5 * crate::time::MINUTE,
            dedup: None,
            history_days: 0,
        }
    }
}

/// The shape of the counters, derived once from the configuration.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Bucket layout per SLO, by SLO index.
    pub layouts: Vec<Layout>,
    /// Number of services.
    pub services: usize,
    /// Event-time tolerances.
    pub window: WindowConfig,
    /// How far behind a shard's newest event an event may be and still be kept, µs.
    pub retention_us: i64,
    /// Services split by host (see [`split`]); empty unless set with [`Plan::with_splits`].
    pub splits: Vec<SplitPlan>,
    /// Burn attribution's keys and tables; `None` (off) unless set with
    /// [`Plan::with_attribution`].
    pub attribution: Option<std::sync::Arc<crate::classify::attribution::AttributionConfig>>,
    /// Per service, its canary comparison (see [`canary`]); empty unless set with
    /// [`Plan::with_canaries`].
    pub canaries: Vec<Option<std::sync::Arc<crate::classify::canary::CanaryConfig>>>,
    /// Per SLO index, the composite SLOs it is a component of, each with the units one of
    /// its events counts there; empty (no composites) unless set with [`Plan::with_feeds`].
    pub feeds: Vec<Vec<(usize, u64)>>,
    /// Per service, the keys its burn attribution and canary counts are saved under (a
    /// hash of the service, its SLOs and the settings), so a checkpoint's are restored only
    /// into what counts alike; empty unless set with [`Plan::with_ring_keys`].
    pub ring_keys: RingKeys,
}

/// Per service index, the key of its burn attribution and of its canary counts in saved
/// state (`None` without them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RingKeys {
    /// Burn attribution.
    pub attribution: Vec<Option<u64>>,
    /// Canary counts.
    pub canary: Vec<Option<u64>>,
}

/// How far the evaluation time may trail a shard's newest bucket: the allowed lateness plus
/// a lagging partition's hold-back, or the future bound when the wall clock caps it.
fn slack_us(window: &WindowConfig) -> i64 {
    window.allowed_lateness_us + window.max_partition_lag_us + window.max_future_us
}

impl Plan {
    /// A plan for SLOs that must retain `slos[slo]`: their reported windows (a `Vec<i64>`),
    /// or a [`Retention`] that also keeps tiers for calendar periods and timeslices.
    pub fn new<R: Clone + Into<Retention>>(
        slos: &[R],
        services: usize,
        window: WindowConfig,
    ) -> Self {
        let slack = slack_us(&window);
        let slos: Vec<Retention> = slos.iter().cloned().map(Into::into).collect();
        let layouts = slos
            .iter()
            .map(|r| Layout::for_retention(r, slack))
            .collect();
        let longest = slos
            .iter()
            .map(Retention::longest_us)
            .max()
            .filter(|&l| l > 0)
            .unwrap_or(HOUR);
        Self {
            layouts,
            services,
            window,
            // One coarsest bucket of margin on top of the longest window and the slack.
            retention_us: longest + slack + HOUR,
            splits: Vec::new(),
            attribution: None,
            canaries: Vec::new(),
            feeds: Vec::new(),
            ring_keys: RingKeys::default(),
        }
    }

    /// This plan with composite SLOs: `feeds[slo]` lists the composites SLO `slo` counts in,
    /// each with the units one of its events counts there.
    pub fn with_feeds(mut self, feeds: Vec<Vec<(usize, u64)>>) -> Self {
        self.feeds = feeds;
        self
    }

    /// This plan with services split by host.
    pub fn with_splits(mut self, splits: Vec<SplitPlan>) -> Self {
        self.splits = splits;
        self
    }

    /// Minutes a service's attribution ring holds for `a`: its retention, plus the minutes
    /// the evaluation time may trail the newest event (allowed lateness, a lagging
    /// partition's hold-back, the future bound), plus the minute in progress, so that a
    /// query of the whole retention before the evaluation time finds every minute held.
    pub fn attribution_minutes(
        &self,
        a: &crate::classify::attribution::AttributionConfig,
    ) -> usize {
        let slack = slack_us(&self.window);
        let slack_minutes = (slack.max(0) + crate::time::MINUTE - 1) / crate::time::MINUTE;
        a.retention_minutes + slack_minutes as usize + 1
    }

    /// The same plan with burn attribution `attribution`.
    pub fn with_attribution(
        mut self,
        attribution: Option<std::sync::Arc<crate::classify::attribution::AttributionConfig>>,
    ) -> Self {
        self.attribution = attribution;
        self
    }

    /// The same plan with each service's canary comparison (by service index).
    pub fn with_canaries(
        mut self,
        canaries: Vec<Option<std::sync::Arc<crate::classify::canary::CanaryConfig>>>,
    ) -> Self {
        self.canaries = canaries;
        self
    }

    /// The same plan with the keys of each service's saved burn attribution and canary
    /// counts.
    pub fn with_ring_keys(mut self, keys: RingKeys) -> Self {
        self.ring_keys = keys;
        self
    }

    /// Service `service`'s canary comparison, if it has one.
    pub fn canary_of(&self, service: usize) -> Option<&crate::classify::canary::CanaryConfig> {
        self.canaries.get(service)?.as_deref()
    }

    /// Minutes a canary ring holds for `c`: its retention plus the evaluation time's slack
    /// and the minute in progress, as [`Plan::attribution_minutes`].
    pub fn canary_minutes(&self, c: &crate::classify::canary::CanaryConfig) -> usize {
        let slack = slack_us(&self.window);
        let slack_minutes = (slack.max(0) + crate::time::MINUTE - 1) / crate::time::MINUTE;
        c.retention_minutes + slack_minutes as usize + 1
    }

    /// The index in [`Plan::splits`] of service `service`'s split, if it is split.
    pub fn split_of(&self, service: usize) -> Option<usize> {
        self.splits.iter().position(|s| s.service == service)
    }
}

/// The counters and every partition's shard.
#[derive(Debug)]
pub struct Store {
    plan: Arc<Plan>,
    /// Locked after a shard, never before one (a batch holds its shard, then these).
    counters: Mutex<Counters>,
    shards: DashMap<PartitionId, Arc<Mutex<Shard>>>,
    newest_us: AtomicI64,
    watermark_us: AtomicI64,
    /// The annotations, shared by the stores of every generation (a reload keeps them).
    annotations: Arc<Mutex<Annotations>>,
    /// When each alert fired, shared like the annotations.
    alert_history: Arc<Mutex<AlertHistory>>,
    /// The adjustments declared through the API, shared like the annotations.
    declared: Arc<Mutex<Vec<DeclaredState>>>,
    /// How the SLOs stood with adjustments this store's plan does not hold, as a checkpoint
    /// saved them: kept for the next store (see [`Store::take_saved_adjusted`]).
    saved_adjusted: Mutex<Vec<AdjustedState>>,
}

/// Locks `m`, recovering the data if a previous holder panicked: a shard's counts are
/// updated one event at a time, and the other state locked this way (the cluster's shared
/// state, the checkpointer's positions) one whole value at a time, so a poisoned lock still
/// guards consistent data.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Store {
    /// An empty store shaped by `plan`.
    pub fn new(plan: Arc<Plan>) -> Self {
        Self {
            counters: Mutex::new(Counters::new(&plan)),
            plan,
            shards: DashMap::new(),
            newest_us: AtomicI64::new(i64::MIN),
            watermark_us: AtomicI64::new(i64::MIN),
            annotations: Arc::default(),
            alert_history: Arc::default(),
            declared: Arc::default(),
            saved_adjusted: Mutex::default(),
        }
    }

    /// The annotations (see [`crate::annotations`]); never locked with a shard or the counters.
    pub fn annotations(&self) -> MutexGuard<'_, Annotations> {
        lock(&self.annotations)
    }

    /// When each alert fired (see [`crate::alert_history`]); never locked with a shard.
    pub fn alert_history(&self) -> MutexGuard<'_, AlertHistory> {
        lock(&self.alert_history)
    }

    /// The alert history itself, for a writer that must not wait for it.
    pub fn alert_history_handle(&self) -> Arc<Mutex<AlertHistory>> {
        Arc::clone(&self.alert_history)
    }

    /// The adjustments declared through the API (see [`crate::window::adjust`]).
    pub fn declared(&self) -> MutexGuard<'_, Vec<DeclaredState>> {
        lock(&self.declared)
    }

    /// Keeps `saved` (a checkpoint's adjustment states) for the store that replaces this one.
    pub fn save_adjusted(&self, saved: Vec<AdjustedState>) {
        *lock(&self.saved_adjusted) = saved;
    }

    /// The adjustment states a checkpoint saved, taken (once) by the store replacing this
    /// one: those of adjustments declared through the API, which the first store of a
    /// restart does not hold yet.
    pub fn take_saved_adjusted(&self) -> Vec<AdjustedState> {
        std::mem::take(&mut *lock(&self.saved_adjusted))
    }

    /// The plan every shard follows.
    pub fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    /// The shard of `partition`, created empty (named `name`) if it does not exist yet.
    pub fn shard(&self, partition: PartitionId, name: &str) -> Arc<Mutex<Shard>> {
        self.shards
            .entry(partition)
            .or_insert_with(|| Arc::new(Mutex::new(Shard::new(name))))
            .clone()
    }

    /// The counters of every SLO. Whoever also needs a shard locks the shard first.
    pub fn counters(&self) -> MutexGuard<'_, Counters> {
        lock(&self.counters)
    }

    /// Puts a restored shard in place of whatever `partition` had.
    pub fn insert(&self, partition: PartitionId, shard: Shard) {
        self.shards.insert(partition, Arc::new(Mutex::new(shard)));
    }

    /// A store shaped by `plan` holding `rebuild(counters, plan)`, every shard of this one,
    /// this store's annotations and alert history, and its newest event time and watermark (which never moves back): how a
    /// configuration reload carries state over. The caller keeps writers out while it runs.
    pub fn reshaped(
        &self,
        plan: Arc<Plan>,
        rebuild: impl FnOnce(&Counters, &Plan) -> Counters,
    ) -> Self {
        let mut store = Store::new(plan);
        store.annotations = Arc::clone(&self.annotations);
        store.alert_history = Arc::clone(&self.alert_history);
        store.declared = Arc::clone(&self.declared);
        *store.counters() = rebuild(&self.counters(), &store.plan);
        for (partition, shard) in self.shards() {
            let shard = lock(&shard);
            let mut moved = Shard::restore(&shard.export());
            moved.activity = shard.activity;
            store.insert(partition, moved);
        }
        store
            .newest_us
            .store(self.newest_us.load(Ordering::Acquire), Ordering::Release);
        store
            .watermark_us
            .store(self.watermark_us.load(Ordering::Acquire), Ordering::Release);
        store
    }

    /// The shard of `partition`, if it exists.
    pub fn get(&self, partition: PartitionId) -> Option<Arc<Mutex<Shard>>> {
        self.shards.get(&partition).map(|e| e.value().clone())
    }

    /// Every shard, ordered by partition; no map guard is held once this returns.
    pub fn shards(&self) -> Vec<(PartitionId, Arc<Mutex<Shard>>)> {
        let mut all: Vec<_> = self
            .shards
            .iter()
            .map(|e| (*e.key(), e.value().clone()))
            .collect();
        all.sort_by_key(|(p, _)| *p);
        all
    }

    /// Raises the newest event time seen to at least `time_us`.
    pub fn observe_newest(&self, time_us: i64) {
        self.newest_us.fetch_max(time_us, Ordering::AcqRel);
    }

    /// Newest event time seen over all shards.
    pub fn newest_us(&self) -> Option<i64> {
        let t = self.newest_us.load(Ordering::Acquire);
        (t != i64::MIN).then_some(t)
    }

    /// The event-time watermark at wall-clock `now_us`, before the wall-clock cap: the
    /// oldest newest-event-time over the active partitions (assigned, with data still to
    /// deliver, delivering within the idle timeout) but no more than the maximum partition
    /// lag behind the newest event of all, or that newest event when none is active; minus
    /// the allowed lateness. The rings retain buckets back to it (see [`Plan`]). It never moves back: a
    /// partition that becomes active again behind it delivers late events, which still land
    /// in their buckets. `None` before any event.
    pub fn watermark(&self, now_us: i64) -> Option<i64> {
        let candidate = self.watermark_candidate(now_us)?;
        let previous = self.watermark_us.fetch_max(candidate, Ordering::AcqRel);
        Some(previous.max(candidate))
    }

    /// The [evaluation time](Store::evaluation_time) an evaluation at `now_us` would use,
    /// without moving the watermark: what the alert history follows after each batch, so
    /// that applying a batch never holds the evaluation time where it is (a partition
    /// assigned later still holds it back).
    pub fn peek_evaluation_time(&self, now_us: i64) -> i64 {
        let stored = self.watermark_us.load(Ordering::Acquire);
        self.watermark_candidate(now_us)
            .map_or(now_us, |c| c.max(stored).min(now_us))
    }

    /// The watermark as the shards stand now, before the never-back rule.
    fn watermark_candidate(&self, now_us: i64) -> Option<i64> {
        let w = &self.plan.window;
        let oldest_active = self
            .shards()
            .iter()
            .filter_map(|(_, s)| {
                let s = lock(s);
                s.activity
                    .is_active(now_us, w.idle_timeout_us)
                    .then(|| s.newest_us())
                    .flatten()
            })
            .min();
        let newest = self.newest_us()?;
        let base = oldest_active.map_or(newest, |t| {
            t.max(newest.saturating_sub(w.max_partition_lag_us))
        });
        Some(base.saturating_sub(w.allowed_lateness_us))
    }

    /// The evaluation time: the [watermark](Store::watermark), never later than the wall
    /// clock `now_us`; the wall clock itself before any event arrived.
    pub fn evaluation_time(&self, now_us: i64) -> i64 {
        self.watermark(now_us).map_or(now_us, |t| t.min(now_us))
    }
}

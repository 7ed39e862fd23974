//! What a member's threads share: the fold's positions and how far it has applied the log,
//! the members' heartbeats, and the counters; and how one record of the log is applied
//! (in `apply`).
//!
//! The follower thread applies records in log order ([`Shared::apply`]); readers wait for
//! their own fences to be applied ([`Shared::wait_applied`], with how far the fold is in
//! `progress`) before they read the position they resume from; the HTTP side reads
//! [`Shared::status`] (in `status`).

mod apply;
mod progress;
mod stats;
mod status;

use std::collections::BTreeSet;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::fingerprint::Fingerprints;
use super::fold::{Positions, SourcePosition};
use super::log::LogWriter;
use super::members::Members;
use super::record::{
    AdjustmentChange, AdjustmentRecord, AlertTimes, AnnotationChange, AnnotationRecord, Heartbeat,
    Record, Source, alert_records,
};
use crate::config::ClusterConfig;
use crate::decode::ingest::Limits;
use crate::source::PartitionId;
use crate::window::{Store, lock};

pub use progress::RESET_AFTER_US;
pub use stats::ClusterStats;
pub use status::{ClusterStatus, LogStatus, MemberStatus, Missing, PartitionStatus};

/// Where the fold applies counts: the current configuration's store and fingerprints.
pub trait FoldTarget: Send + Sync {
    /// Runs `f` on the current store and its fingerprints, keeping a configuration reload
    /// out until it returns (so a delta is never half in one generation).
    fn with_store(&self, f: &mut dyn FnMut(&Store, &Fingerprints));
    /// The current configuration's fingerprints.
    fn fingerprints(&self) -> std::sync::Arc<Fingerprints>;
    /// This member's consumer lag per raw partition it reads, messages.
    fn lag(&self) -> Vec<(Source, i64)>;
    /// Wall clock, µs.
    fn now_us(&self) -> i64;
    /// A consistent cut of the current store (a snapshot's state) at `now_us`, and the
    /// names and fingerprints of its SLOs and services.
    fn cut(&self, now_us: i64) -> (crate::checkpoint::Checkpoint, super::snapshot::Names);
    /// Called after a delta was applied, outside the fold's lock: where the alert history
    /// follows the evaluation time (see [`crate::alert_history`]).
    fn applied_delta(&self) {}
    /// Applies a budget adjustment declared or removed through the log, outside the fold's
    /// lock and before the next record.
    fn adjust(&self, change: &AdjustmentChange) {
        let _ = change;
    }
}

/// The fold's progress through the log.
#[derive(Debug, Default)]
pub struct FoldState {
    /// Which writer counts for each raw partition, and where its accepted data ends.
    pub positions: Positions,
    /// The next log offset to apply.
    pub next: u64,
    /// The log's end offset, as last seen.
    pub end: u64,
    /// The log ended before the offset this member applied: it was deleted or recreated.
    /// Nothing is applied from it any more; the member reports it until it restarts.
    pub reset: bool,
    /// Since when (µs) and at which applied offset the log's end was seen before it.
    pub behind_end_since: Option<(i64, u64)>,
    /// Digests of the positions at the last log offsets that are multiples of
    /// [`DIGEST_EVERY`], oldest first.
    pub digests: std::collections::VecDeque<(u64, u64)>,
    /// Members whose digest at an offset differed from this member's: their folds and
    /// this one's came apart (one of them applied the log differently).
    pub diverged: std::collections::BTreeSet<String>,
    /// Wall-clock time the fold last reached the log's end, µs; `None` until the end was
    /// seen once (the fold knows nothing of the cluster before).
    pub at_end_us: Option<i64>,
    /// Ends of the log seen when the fold had not applied up to them yet, with when each
    /// was seen (µs), both increasing: applying up to one means the fold was at the log's
    /// end as of that time.
    pub ends_ahead: std::collections::VecDeque<(u64, i64)>,
    /// When the claim that is current for each raw partition was written (its writer's
    /// clock), µs: a heartbeat older than that cannot say the claimant released it.
    pub fenced_us: std::collections::HashMap<PartitionId, i64>,
    /// The firing alerts and since when (evaluation time, µs), as the last alert-state
    /// record decided: what every member reports as `activeAt`/`startsAt`.
    pub alerts: AlertTimes,
}

/// The fold keeps a digest of its positions at every log offset that is a multiple of
/// this, and heartbeats carry the newest, so that members compare their folds.
pub const DIGEST_EVERY: u64 = 256;

/// A member's shared cluster state.
#[derive(Debug)]
pub struct Shared {
    /// `spec.cluster`.
    pub config: ClusterConfig,
    /// The raw topics, by stream index.
    pub topics: Vec<String>,
    fold: Mutex<FoldState>,
    applied: Condvar,
    members: Mutex<Members>,
    /// Every partition of the raw topics, as the broker's metadata last said.
    raw: Mutex<Vec<Source>>,
    /// The raw partitions this member's reader owns.
    mine: Mutex<BTreeSet<Source>>,
    /// `spec.decode.max_line_bytes` and the OTLP batch bounds, part of how this member
    /// counts.
    limits: Limits,
    /// This member's writer of log records, once its cluster side started.
    writer: std::sync::OnceLock<Arc<LogWriter>>,
    /// Counters.
    pub stats: Arc<ClusterStats>,
}

impl Shared {
    /// Empty state for `config`, reading `topics` with lines and batches capped at `limits`,
    /// resuming the log at `next` with `positions`.
    pub fn new(
        config: ClusterConfig,
        topics: Vec<String>,
        limits: Limits,
        positions: Positions,
        next: u64,
    ) -> Self {
        Self {
            config,
            topics,
            limits,
            fold: Mutex::new(FoldState {
                positions,
                next,
                ..FoldState::default()
            }),
            applied: Condvar::new(),
            members: Mutex::default(),
            raw: Mutex::default(),
            mine: Mutex::default(),
            writer: std::sync::OnceLock::new(),
            stats: Arc::default(),
        }
    }

    /// Gives the shared state this member's log writer, for [`Shared::publish_alerts`].
    pub fn set_writer(&self, writer: Arc<LogWriter>) {
        let _ = self.writer.set(writer);
    }

    /// The firing alerts and since when, as the cluster decided them.
    pub fn alerts(&self) -> AlertTimes {
        self.fold().alerts.clone()
    }

    /// Writes `change` to the annotations to the log at wall-clock `now_us`; false when
    /// this member's log writer is not open yet.
    pub fn write_annotation(&self, change: AnnotationChange, now_us: i64) -> bool {
        let Some(writer) = self.writer.get() else {
            return false;
        };
        writer.record(&Record::Annotation(AnnotationRecord {
            member: self.config.member_id.clone(),
            sent_us: now_us,
            change,
        }));
        true
    }

    /// Writes the firing alerts and since when to the log (the pusher does, when they
    /// change), whole or as changes to what the fold holds ([`alert_records`]); every
    /// member applies them. A write that fails is logged; the pusher writes again a
    /// `resend` later while the fold still differs ([`crate::notify::decide`]).
    pub fn publish_alerts(&self, active: &AlertTimes, now_us: i64) {
        let Some(writer) = self.writer.get() else {
            return;
        };
        let decided = self.alerts();
        for record in alert_records(&self.config.member_id, now_us, active, &decided) {
            writer.record(&record);
        }
    }

    /// The hash members compare to know they count alike: every SLO's fingerprint, the
    /// line length cap and the OTLP batch bounds.
    pub fn config_hash(&self, fingerprints: &Fingerprints) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(&fingerprints.whole().to_le_bytes());
        let Limits {
            max_line_bytes,
            batch,
        } = self.limits;
        for n in [max_line_bytes, batch.max_bytes, batch.max_records] {
            h.update(&(n as u64).to_le_bytes());
        }
        h.digest()
    }

    /// The partition id of raw partition `source`, if its topic is one this member reads.
    pub fn partition_id(&self, source: &Source) -> Option<PartitionId> {
        let stream = self.topics.iter().position(|t| *t == source.topic)?;
        Some(PartitionId::new(stream as u32, source.partition))
    }

    /// The raw partition of `id`.
    pub fn source(&self, id: PartitionId) -> Source {
        Source {
            topic: self
                .topics
                .get(id.stream as usize)
                .cloned()
                .unwrap_or_default(),
            partition: id.partition,
        }
    }

    /// The fold's state, locked.
    pub fn fold(&self) -> MutexGuard<'_, FoldState> {
        lock(&self.fold)
    }

    /// The current position of `source`.
    pub fn position(&self, source: &Source) -> Option<SourcePosition> {
        let id = self.partition_id(source)?;
        self.fold().positions.get(id).cloned()
    }

    /// Writes a budget adjustment's declaration or removal to the log at wall-clock
    /// `now_us`; false when this member's log writer is not open yet.
    pub fn write_adjustment(&self, change: AdjustmentChange, now_us: i64) -> bool {
        let Some(writer) = self.writer.get() else {
            return false;
        };
        writer.record(&Record::Adjustment(AdjustmentRecord {
            member: self.config.member_id.clone(),
            sent_us: now_us,
            change,
        }));
        true
    }

    /// Sets the raw partitions that exist.
    pub fn set_raw_partitions(&self, all: Vec<Source>) {
        *lock(&self.raw) = all;
    }

    /// Records that this member's reader now owns (or no longer owns) `source`.
    pub fn set_mine(&self, source: &Source, owned: bool) {
        let mut mine = lock(&self.mine);
        if owned {
            mine.insert(source.clone());
        } else {
            mine.remove(source);
        }
    }

    /// Every partition of the raw topics, as last read.
    pub fn raw_partitions(&self) -> Vec<Source> {
        lock(&self.raw).clone()
    }

    /// True once the raw topics' partitions are known.
    pub fn knows_partitions(&self) -> bool {
        !lock(&self.raw).is_empty()
    }

    /// The raw partitions this member's reader owns.
    pub fn mine(&self) -> Vec<Source> {
        lock(&self.mine).iter().cloned().collect()
    }

    /// The members' heartbeats.
    pub fn members(&self) -> MutexGuard<'_, Members> {
        lock(&self.members)
    }

    /// True when this member pushes alerts at `now_us`.
    pub fn is_pusher(&self, now_us: i64) -> bool {
        let me = &self.config.member_id;
        self.members()
            .pusher(me, now_us, self.config.member_timeout_us)
            == me
    }

    /// The heartbeat this member sends at `now_us`; `leaving` when it stops.
    pub fn heartbeat(
        &self,
        now_us: i64,
        fingerprints: &Fingerprints,
        lag: Vec<(Source, i64)>,
        leaving: bool,
    ) -> Heartbeat {
        // One look at the fold: a second lock in the same expression would wait for the
        // first, whose guard lives to the end of the statement.
        let (applied, digest) = {
            let fold = self.fold();
            (fold.next, fold.digests.back().copied())
        };
        let config = self.config_hash(fingerprints);
        let me = &self.config.member_id;
        let disagree =
            lock(&self.members).disagree(me, config, now_us, self.config.member_timeout_us);
        Heartbeat {
            member: me.clone(),
            url: self.config.advertise_url.clone(),
            sent_us: now_us,
            partitions: self.mine(),
            applied,
            lag,
            config,
            slos: if disagree {
                fingerprints.slos.clone()
            } else {
                Vec::new()
            },
            leaving,
            digest,
        }
    }
}

#[cfg(test)]
mod tests;

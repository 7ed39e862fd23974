//! What a member's threads share: the fold's positions and how far it has applied the log,
//! the members' heartbeats, and the counters; and how one record of the log is applied.
//!
//! The follower thread applies records in log order ([`Shared::apply`]); readers wait for
//! their own fences to be applied ([`Shared::wait_applied`]) before they read the position
//! they resume from; the HTTP side reads [`Shared::status`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;

use super::delta;
use super::fingerprint::Fingerprints;
use super::fold::{Positions, SourcePosition, Verdict};
use super::log::LogWriter;
use super::members::Members;
use super::record::{
    AdjustmentChange, AdjustmentRecord, AlertTimes, AnnotationChange, AnnotationRecord, Delta,
    Fence, Heartbeat, Record, Source, alert_records,
};
use crate::config::ClusterConfig;
use crate::decode::LineState;
use crate::decode::ingest::Limits;
use crate::source::{PartitionId, StopSignal};
use crate::time::format_rfc3339;
use crate::window::{Activity, Store, lock};

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
/// How many digests the fold keeps.
const DIGESTS_KEPT: usize = 64;
/// How many ends seen ahead of the fold it keeps (one is seen a second).
const ENDS_AHEAD_KEPT: usize = 64;

/// A digest of every raw partition's epoch and position.
fn digest_of(positions: &Positions) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for (id, p) in positions.all() {
        h.update(&id.stream.to_le_bytes());
        h.update(&id.partition.to_le_bytes());
        h.update(&p.epoch.number.to_le_bytes());
        h.update(p.epoch.member.as_bytes());
        h.update(&p.next.to_le_bytes());
    }
    h.digest()
}

/// How long the log's end must stay before what the fold applied, with nothing applied
/// meanwhile, before the log counts as deleted or recreated.
pub const RESET_AFTER_US: i64 = 5 * crate::time::SECOND;

/// Counters of what the fold did and what this member wrote, for `/metrics`.
#[derive(Debug, Default)]
pub struct ClusterStats {
    /// Log records applied (every kind, skipped ones included).
    pub records: AtomicU64,
    /// Deltas whose counts were applied.
    pub deltas_applied: AtomicU64,
    /// Deltas of a fenced writer, skipped.
    pub deltas_fenced: AtomicU64,
    /// Deltas that did not start where the accepted data ended (a retried write), skipped.
    pub deltas_not_next: AtomicU64,
    /// Deltas of an unclaimed partition or an unknown topic, skipped.
    pub deltas_invalid: AtomicU64,
    /// SLO or service sections of applied deltas whose fingerprint this configuration lacks.
    pub foreign_sections: AtomicU64,
    /// Records this build could not read.
    pub undecodable: AtomicU64,
    /// Times the log consumer was handed a record past the next one (a broker skipping
    /// records) and was sent back to the next one.
    pub gaps: AtomicU64,
    /// Fences that took effect.
    pub fences: AtomicU64,
    /// Raw lines this member's reader read (summed over members: the topic, plus what
    /// faults made a new owner read again).
    pub lines_read: AtomicU64,
    /// Deltas this member wrote.
    pub deltas_written: AtomicU64,
    /// Bytes of the deltas this member wrote.
    pub delta_bytes: AtomicU64,
    /// Records this member could not write (the partition is claimed again).
    pub write_failures: AtomicU64,
    /// Claims this member made that its fold confirmed.
    pub claims: AtomicU64,
    /// Claims this member wrote that a newer claimant's fence had already beaten.
    pub claims_lost: AtomicU64,
    /// Partitions a newer claim took from this member afterwards (it was paused).
    pub taken_over: AtomicU64,
    /// Snapshots this member wrote.
    pub snapshots: AtomicU64,
    /// Snapshots this member could not write.
    pub snapshot_failures: AtomicU64,
    /// Size of the last snapshot written, bytes.
    pub snapshot_bytes: AtomicU64,
    /// The log offset the snapshot this member started from covers (0: none).
    pub restored_from: AtomicU64,
}

fn count(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

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

fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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
        guard(&self.fold)
    }

    /// The current position of `source`.
    pub fn position(&self, source: &Source) -> Option<SourcePosition> {
        let id = self.partition_id(source)?;
        self.fold().positions.get(id).cloned()
    }

    /// Applies the log record at `offset` to the fold and, through `target`, the counts.
    pub fn apply(&self, offset: u64, bytes: &[u8], target: &dyn FoldTarget) {
        let mut fold = self.fold();
        if offset < fold.next || fold.reset {
            // Already applied (a fetch that started earlier than asked), or a log that is
            // not the one this member applied.
            return;
        }
        count(&self.stats.records, 1);
        let mut delta = false;
        let mut adjustment = None;
        match Record::decode(bytes) {
            Ok(Record::Fence(f)) => self.fence(&mut fold, &f, target),
            Ok(Record::Delta(d)) => {
                self.delta(&mut fold, &d, target);
                delta = true;
            }
            Ok(Record::Heartbeat(h)) => {
                self.compare_digest(&mut fold, &h);
                guard(&self.members).heard(h);
            }
            Ok(Record::Alerts(a)) => fold.alerts = a.active,
            Ok(Record::AlertChange(c)) => c.apply_to(&mut fold.alerts),
            Ok(Record::Adjustment(a)) => adjustment = Some(a.change),
            Ok(Record::Annotation(a)) => target.with_store(&mut |store, _| {
                let mut annotations = store.annotations();
                match &a.change {
                    AnnotationChange::Add(new) => {
                        if let Err(e) = annotations.add(new.clone(), a.sent_us) {
                            tracing::warn!(member = %a.member, error = %e, "an annotation from the cluster log was not added");
                        }
                    }
                    AnnotationChange::Delete(id) => {
                        annotations.delete(*id);
                    }
                }
            }),
            Err(e) => {
                count(&self.stats.undecodable, 1);
                tracing::warn!(offset, error = %e, "skipping a cluster log record");
            }
        }
        fold.next = offset + 1;
        if fold.next.is_multiple_of(DIGEST_EVERY) {
            let digest = (fold.next, digest_of(&fold.positions));
            if fold.digests.len() >= DIGESTS_KEPT {
                fold.digests.pop_front();
            }
            fold.digests.push_back(digest);
        }
        fold.end = fold.end.max(fold.next);
        while let Some(&(end, seen_us)) = fold.ends_ahead.front()
            && fold.next >= end
        {
            fold.at_end_us = fold.at_end_us.max(Some(seen_us));
            fold.ends_ahead.pop_front();
        }
        drop(fold);
        self.applied.notify_all();
        if delta {
            target.applied_delta();
        }
        if let Some(change) = adjustment {
            target.adjust(&change);
        }
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

    /// Compares a peer's digest with this fold's at the same offset; a difference is
    /// reported once per peer (logged, `/v1/cluster`, `slipstream_cluster_diverged_members`).
    fn compare_digest(&self, fold: &mut FoldState, h: &Heartbeat) {
        let Some((offset, theirs)) = h.digest else {
            return;
        };
        if h.member == self.config.member_id {
            return;
        }
        let mine = fold
            .digests
            .iter()
            .find(|(o, _)| *o == offset)
            .map(|(_, d)| *d);
        if mine.is_some_and(|d| d != theirs) && fold.diverged.insert(h.member.clone()) {
            tracing::error!(
                peer = h.member,
                offset,
                "this member's cluster state and a peer's came apart at the same log offset: \
                 one of them applied the log differently; restart the odd one (README, Cluster \
                 mode, Known gaps)"
            );
        }
    }

    fn fence(&self, fold: &mut FoldState, f: &Fence, target: &dyn FoldTarget) {
        let Some(id) = self.partition_id(&f.source) else {
            return;
        };
        if fold.positions.fence(id, &f.epoch, f.start) != Verdict::Fenced {
            return;
        }
        fold.fenced_us.insert(id, f.sent_us);
        count(&self.stats.fences, 1);
        let next = fold.positions.get(id).map_or(f.start, |p| p.next);
        target.with_store(&mut |store, _| {
            let shard = store.shard(id, &f.source.to_string());
            let mut shard = lock(&shard);
            shard.next_offset = next;
            shard.activity = Activity {
                assigned: true,
                at_end: false,
                last_delivery_us: Some(f.sent_us),
            };
        });
    }

    fn delta(&self, fold: &mut FoldState, d: &Delta, target: &dyn FoldTarget) {
        let Some(id) = self.partition_id(&d.source) else {
            count(&self.stats.deltas_invalid, 1);
            return;
        };
        match fold.positions.delta(id, &d.epoch, d.from, d.to) {
            Verdict::Apply => {}
            Verdict::Stale => return count(&self.stats.deltas_fenced, 1),
            Verdict::NotNext { expected } => {
                if d.epoch.member == self.config.member_id {
                    // This member wrote it from where its own fold said the data ended: after
                    // a failed write that is expected; otherwise the fold missed a record.
                    tracing::warn!(
                        partition = %d.source,
                        epoch = d.epoch.number,
                        from = d.from,
                        to = d.to,
                        expected,
                        log_offset = fold.next,
                        "this member's own delta does not start where the accepted data ends"
                    );
                }
                return count(&self.stats.deltas_not_next, 1);
            }
            _ => return count(&self.stats.deltas_invalid, 1),
        }
        count(&self.stats.deltas_applied, 1);
        target.with_store(&mut |store, fingerprints| {
            let plan = store.plan();
            let shard = store.shard(id, &d.source.to_string());
            let mut shard = lock(&shard);
            let foreign = {
                let mut counters = store.counters();
                delta::add_to(&mut counters, plan, fingerprints, d)
            };
            count(
                &self.stats.foreign_sections,
                foreign.slos + foreign.services,
            );
            shard.absorb(d.newest_us, &d.stats, &d.ids, d.to, plan);
            // Parsed again only when it changed (every delta carries it).
            if shard.format_state.saved() != d.directive.as_deref() {
                shard.format_state = LineState::restore(d.directive.as_deref());
            }
            shard.directives += d.directives;
            shard.activity.assigned = true;
            shard.activity.at_end = d.at_end;
            if d.stats.lines > 0 {
                shard.activity.last_delivery_us = Some(d.sent_us);
            }
            drop(shard);
            if let Some(t) = d.newest_us {
                store.observe_newest(t);
            }
        });
    }

    /// Notes that the log's end is `end` at `now_us`, with the fold where it is now (the
    /// follower at a partition end; see [`Shared::end_seen`]).
    pub fn at_end(&self, end: u64, now_us: i64) {
        let applied = self.fold().next;
        self.end_seen(end, applied, now_us);
    }

    /// Notes that the log's end was `end` (or past it) at `seen_us`, when the fold had
    /// applied up to `applied_then`. The fold is at the log's end as of `seen_us` once it
    /// applies up to `end`, now or later: an answer that took long, or that arrived while
    /// the fold went on applying, still says how current the fold is. An end before
    /// `applied_then`, still so [`RESET_AFTER_US`] later with nothing applied meanwhile,
    /// means the log was deleted or recreated (see [`FoldState::reset`]); a broker may
    /// answer an end a few records stale, which the next look corrects.
    pub fn end_seen(&self, end: u64, applied_then: u64, seen_us: i64) {
        let mut fold = self.fold();
        fold.end = fold.end.max(end);
        if end >= applied_then {
            fold.behind_end_since = None;
            // The log only grows, so it ended at `end` or before at `seen_us`: applying up
            // to `end` is being at the end as of then.
            if fold.next >= end {
                fold.at_end_us = fold.at_end_us.max(Some(seen_us));
            } else {
                // An end seen later and no larger says more, so the ends kept grow in both
                // end and time.
                while fold.ends_ahead.back().is_some_and(|&(e, _)| e >= end) {
                    fold.ends_ahead.pop_back();
                }
                if fold.ends_ahead.len() >= ENDS_AHEAD_KEPT {
                    fold.ends_ahead.pop_front();
                }
                fold.ends_ahead.push_back((end, seen_us));
            }
        } else if !fold.reset {
            // Fewer records than the fold had applied before asking: a stale answer, which
            // says nothing of how current the fold is, or a log deleted or recreated.
            let next = fold.next;
            let since = *fold.behind_end_since.get_or_insert((seen_us, next));
            if since.1 != next {
                fold.behind_end_since = Some((seen_us, next));
            } else if seen_us.saturating_sub(since.0) >= RESET_AFTER_US {
                fold.reset = true;
                tracing::error!(
                    end,
                    applied = fold.next,
                    "the cluster log ends before what this member applied: it was deleted or \
                 recreated; this member keeps its counts but applies nothing more: restart \
                 every member (README, Cluster mode, Failures)"
                );
            }
        }
    }

    /// Waits until the fold has applied the record at `offset`; false after `timeout`, or
    /// soon after `stop` is raised (the follower stops applying then, and a member shutting
    /// down does not wait out a claim).
    pub fn wait_applied(&self, offset: u64, timeout: Duration, stop: &StopSignal) -> bool {
        let applied = |fold: &FoldState| fold.next > offset;
        stop.wait_for(timeout, |step| {
            let fold = self.fold();
            if applied(&fold) || step.is_zero() {
                return applied(&fold).then_some(());
            }
            let (fold, _) = self
                .applied
                .wait_timeout(fold, step)
                .unwrap_or_else(|e| e.into_inner());
            applied(&fold).then_some(())
        })
        .is_some()
    }

    /// True when the fold was at the log's end within `spec.cluster.max_apply_lag` of
    /// `now_us`: it has applied everything up to a recent end. An idle fold sees the end at
    /// least every second; a broker it cannot reach makes this false after the lag.
    pub fn caught_up(&self, now_us: i64) -> bool {
        let fold = self.fold();
        !fold.reset
            && fold
                .at_end_us
                .is_some_and(|t| now_us.saturating_sub(t) <= self.config.max_apply_lag_us)
    }

    /// Sets the raw partitions that exist.
    pub fn set_raw_partitions(&self, all: Vec<Source>) {
        *guard(&self.raw) = all;
    }

    /// Records that this member's reader now owns (or no longer owns) `source`.
    pub fn set_mine(&self, source: &Source, owned: bool) {
        let mut mine = guard(&self.mine);
        if owned {
            mine.insert(source.clone());
        } else {
            mine.remove(source);
        }
    }

    /// Every partition of the raw topics, as last read.
    pub fn raw_partitions(&self) -> Vec<Source> {
        guard(&self.raw).clone()
    }

    /// True once the raw topics' partitions are known.
    pub fn knows_partitions(&self) -> bool {
        !guard(&self.raw).is_empty()
    }

    /// The raw partitions this member's reader owns.
    pub fn mine(&self) -> Vec<Source> {
        guard(&self.mine).iter().cloned().collect()
    }

    /// The members' heartbeats.
    pub fn members(&self) -> MutexGuard<'_, Members> {
        guard(&self.members)
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
            guard(&self.members).disagree(me, config, now_us, self.config.member_timeout_us);
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

    /// What this member knows of the cluster at `now_us`; `slo_ids` names the SLOs of
    /// `fingerprints`, and `store` holds the partitions' watermarks.
    pub fn status(
        &self,
        now_us: i64,
        fingerprints: &Fingerprints,
        slo_ids: &[String],
        store: &Store,
    ) -> ClusterStatus {
        let me = &self.config.member_id;
        let timeout = self.config.member_timeout_us;
        let config = self.config_hash(fingerprints);
        let members = self.members().clone();
        let mine = guard(&self.mine).clone();
        let live = |id: &str| id == me.as_str() || members.is_live(id, now_us, timeout);
        let (fold_next, fold_end, at_end_us, reset, diverged, positions) = {
            let f = self.fold();
            let diverged: Vec<String> = f.diverged.iter().cloned().collect();
            (
                f.next,
                f.end,
                f.at_end_us,
                f.reset,
                diverged,
                f.positions.clone(),
            )
        };
        let mut partitions = Vec::new();
        let mut missing_partitions = Vec::new();
        let mut missing_members = BTreeSet::new();
        for source in guard(&self.raw).iter() {
            let id = self.partition_id(source);
            let position = id.and_then(|id| positions.get(id).cloned());
            let owner = position.as_ref().map(|p| p.epoch.member.clone());
            // Owned: by this member's reader, or by a live member that says it reads it
            // (a restarted member with the same id does not inherit its old claims).
            let owned = match &owner {
                Some(o) if o == me => mine.contains(source),
                Some(o) => live(o) && members.reads(o, source),
                None => false,
            };
            if !owned {
                missing_partitions.push(source.to_string());
                if let Some(o) = &owner {
                    missing_members.insert(o.clone());
                }
            }
            let newest = id
                .and_then(|id| store.get(id))
                .and_then(|s| lock(&s).newest_us())
                .map(format_rfc3339);
            partitions.push(PartitionStatus {
                partition: source.to_string(),
                owner,
                epoch: position.as_ref().map(|p| p.epoch.number),
                next_offset: position.as_ref().map(|p| p.next),
                newest_event: newest,
                owned,
            });
        }
        let (mismatch, slos) = members.mismatched(me, config, &fingerprints.slos, now_us, timeout);
        // In configuration order, not in the order of their fingerprints' hashes.
        let mut missing_slos: Vec<usize> =
            slos.iter().filter_map(|f| fingerprints.slo(*f)).collect();
        missing_slos.sort_unstable();
        missing_slos.dedup();
        let missing_slos: Vec<String> = missing_slos
            .into_iter()
            .filter_map(|i| slo_ids.get(i).cloned())
            .collect();
        let log_behind = !self.caught_up(now_us);
        let missing = Missing {
            partitions: missing_partitions,
            members: missing_members.into_iter().collect(),
            slos: missing_slos,
            log: log_behind,
        };
        let partial = missing.log
            || !diverged.is_empty()
            || !mismatch.is_empty()
            || !missing.partitions.is_empty()
            || !missing.slos.is_empty()
            || guard(&self.raw).is_empty();
        let member_status = members
            .all()
            .map(|h| MemberStatus {
                id: h.member.clone(),
                url: h.url.clone(),
                live: live(&h.member),
                last_heartbeat: format_rfc3339(h.sent_us),
                heartbeat_age_seconds: now_us.saturating_sub(h.sent_us) as f64 / 1e6,
                partitions: h.partitions.iter().map(Source::to_string).collect(),
                applied: h.applied,
                behind: fold_end.saturating_sub(h.applied),
                lag: h.lag.iter().map(|(s, l)| (s.to_string(), *l)).collect(),
                config_matches: h.config == config,
            })
            .collect();
        ClusterStatus {
            name: self.config.name.clone(),
            member: me.clone(),
            pusher: members.pusher(me, now_us, timeout).to_string(),
            partial,
            missing,
            config_mismatch: mismatch,
            log: LogStatus {
                applied: fold_next,
                end: fold_end,
                at_end: at_end_us.map(format_rfc3339),
                reset,
                diverged,
            },
            members: member_status,
            partitions,
        }
    }
}

/// What an answer lacks while this member does not have the whole picture.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Missing {
    /// Raw partitions without a live owner.
    pub partitions: Vec<String>,
    /// Members that own a partition but stopped sending heartbeats.
    pub members: Vec<String>,
    /// SLOs that a live member counts with another definition.
    pub slos: Vec<String>,
    /// The log is not applied up to its end (restoring, or behind).
    pub log: bool,
}

/// `GET /v1/cluster`.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterStatus {
    /// `spec.cluster.name`.
    pub name: String,
    /// This member's id.
    pub member: String,
    /// The member that pushes alerts.
    pub pusher: String,
    /// True while this member does not have the whole picture.
    pub partial: bool,
    /// What it lacks.
    pub missing: Missing,
    /// Live members that count some SLO with another definition.
    pub config_mismatch: Vec<String>,
    /// How far this member applied the log.
    pub log: LogStatus,
    /// Every member heard of.
    pub members: Vec<MemberStatus>,
    /// Every raw partition.
    pub partitions: Vec<PartitionStatus>,
}

/// How far the log is applied.
#[derive(Debug, Clone, Serialize)]
pub struct LogStatus {
    /// Next log offset to apply.
    pub applied: u64,
    /// The log's end offset as last seen.
    pub end: u64,
    /// When the fold was last at the end.
    pub at_end: Option<String>,
    /// The log ended before what this member applied: deleted or recreated.
    pub reset: bool,
    /// Members whose state came apart from this one's at the same log offset.
    pub diverged: Vec<String>,
}

/// One member, from its newest heartbeat.
#[derive(Debug, Clone, Serialize)]
pub struct MemberStatus {
    /// Member id.
    pub id: String,
    /// Advertised URL.
    pub url: String,
    /// Heartbeat within `member_timeout`.
    pub live: bool,
    /// When it sent its newest heartbeat.
    pub last_heartbeat: String,
    /// How old that heartbeat is.
    pub heartbeat_age_seconds: f64,
    /// Raw partitions it owns.
    pub partitions: Vec<String>,
    /// Log offset it has applied up to.
    pub applied: u64,
    /// Log records it is behind the end this member saw: its state age in records.
    pub behind: u64,
    /// Its consumer lag per raw partition, messages.
    pub lag: BTreeMap<String, i64>,
    /// It counts every SLO the way this member does.
    pub config_matches: bool,
}

/// One raw partition, as this member's fold sees it.
#[derive(Debug, Clone, Serialize)]
pub struct PartitionStatus {
    /// `topic/partition`.
    pub partition: String,
    /// The member whose claim counts.
    pub owner: Option<String>,
    /// Its claim's epoch number.
    pub epoch: Option<u64>,
    /// The first offset not yet counted.
    pub next_offset: Option<u64>,
    /// Newest event time counted.
    pub newest_event: Option<String>,
    /// It has a live owner.
    pub owned: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> Arc<Shared> {
        let config = ClusterConfig {
            name: "edge".into(),
            advertise_url: "http://pod-0:9977".into(),
            member_id: "pod-0".into(),
            flush_interval_us: 200_000,
            snapshot_interval_us: 60_000_000,
            member_timeout_us: 10_000_000,
            max_apply_lag_us: 5_000_000,
            replication_factor: None,
        };
        Arc::new(Shared::new(
            config,
            vec!["logs".into()],
            Limits::lines(65_536),
            Positions::default(),
            0,
        ))
    }

    /// The fingerprints of `services` demo services with 4 SLOs each, the second one
    /// counting requests slower than `slow` as bad.
    fn fingerprints(services: usize, slow: &str) -> Fingerprints {
        use crate::source::demo;
        let yaml = demo::slo_config(&demo::services(services), slow);
        let config = crate::config::parse(&yaml, "t.yaml").expect("config");
        Fingerprints::of(&config.reload)
    }

    #[test]
    fn heartbeats_carry_slo_fingerprints_only_while_a_peer_counts_otherwise() {
        let shared = shared();
        let mine = fingerprints(250, "300ms");
        assert_eq!(mine.slos.len(), 1_000);
        let now = 1_000_000_000;
        // Alone, or with peers that count the same: a small heartbeat whatever the SLOs.
        let alone = shared.heartbeat(now, &mine, Vec::new(), false);
        assert!(alone.slos.is_empty());
        let same = Heartbeat {
            member: "pod-1".into(),
            sent_us: now,
            ..alone.clone()
        };
        shared.members().heard(same.clone());
        let beat = shared.heartbeat(now, &mine, Vec::new(), false);
        assert!(beat.slos.is_empty());
        let small = Record::Heartbeat(beat).encode().len();
        assert!(small < 200, "{small} bytes");
        // A live peer counts otherwise: both need each other's SLO fingerprints.
        let theirs = fingerprints(250, "250ms");
        let other = Heartbeat {
            config: shared.config_hash(&theirs),
            ..same
        };
        shared.members().heard(other);
        let beat = shared.heartbeat(now, &mine, Vec::new(), false);
        assert_eq!(beat.slos, mine.slos);
        let full = Record::Heartbeat(beat).encode().len();
        assert!(full > 8 * 1_000, "{full} bytes");
        // Once the peer is gone, they are left out again.
        let later = now + shared.config.member_timeout_us;
        assert!(
            shared
                .heartbeat(later, &mine, Vec::new(), false)
                .slos
                .is_empty()
        );
    }

    /// A fold target for records that touch no counts (heartbeats).
    struct NoCounts;

    impl FoldTarget for NoCounts {
        fn with_store(&self, _: &mut dyn FnMut(&Store, &Fingerprints)) {
            unreachable!("a heartbeat touches no counts")
        }
        fn fingerprints(&self) -> Arc<Fingerprints> {
            unreachable!("a heartbeat touches no counts")
        }
        fn lag(&self) -> Vec<(Source, i64)> {
            Vec::new()
        }
        fn now_us(&self) -> i64 {
            0
        }
        fn cut(&self, _: i64) -> (crate::checkpoint::Checkpoint, super::super::snapshot::Names) {
            unreachable!("a heartbeat touches no counts")
        }
    }

    #[test]
    fn the_fold_is_at_the_end_as_of_when_an_end_was_seen_once_it_applies_up_to_it() {
        let shared = shared();
        let beat = Record::Heartbeat(shared.heartbeat(0, &fingerprints(1, "300ms"), vec![], false))
            .encode();
        let apply = |offsets: std::ops::Range<u64>| {
            for offset in offsets {
                shared.apply(offset, &beat, &NoCounts);
            }
        };
        let at_end = || shared.fold().at_end_us;
        // Ends seen ahead of the fold (an answer while it catches up): it is at the end as
        // of each one's time once it has applied up to it, not before.
        shared.end_seen(3, 0, 100);
        shared.end_seen(5, 1, 200);
        assert_eq!(at_end(), None);
        apply(0..2);
        assert_eq!(at_end(), None);
        apply(2..3);
        assert_eq!(at_end(), Some(100));
        apply(3..5);
        assert_eq!(at_end(), Some(200));
        assert!(shared.fold().ends_ahead.is_empty());

        // A slow answer: asked when the fold had applied 5, answered 6 once it had applied
        // 8. The log did not shrink (it was 6 or more when asked): at the end as of then.
        apply(5..8);
        shared.end_seen(6, 5, 300);
        assert_eq!(at_end(), Some(300));
        assert_eq!(shared.fold().behind_end_since, None);

        // An answer below what was applied when asking is stale (or the log was
        // recreated): it says nothing of how current the fold is, and is a reset only if
        // it stays so with nothing applied.
        shared.end_seen(4, 8, 400);
        assert_eq!(at_end(), Some(300));
        assert_eq!(shared.fold().behind_end_since, Some((400, 8)));
        assert!(!shared.fold().reset);
        shared.end_seen(8, 8, 500);
        assert_eq!(at_end(), Some(500));
        assert_eq!(shared.fold().behind_end_since, None);

        // A later answer no larger than an earlier one says more: reaching it is being at
        // the end as of the later time.
        shared.end_seen(12, 8, 600);
        shared.end_seen(10, 8, 700);
        assert_eq!(shared.fold().ends_ahead, [(10, 700)]);
        apply(8..10);
        assert_eq!(at_end(), Some(700));
        assert_eq!(shared.fold().end, 12);
    }

    #[test]
    fn the_fold_takes_the_alert_state_whole_or_change_by_change() {
        let shared = shared();
        let alerts = |n: usize, service: &str| -> AlertTimes {
            (0..n)
                .map(|i| {
                    let labels = [
                        (
                            "alertname".to_string(),
                            format!("burn-{i:05}-{}", "x".repeat(60)),
                        ),
                        ("service".to_string(), service.to_string()),
                    ];
                    (labels.into(), i as i64)
                })
                .collect()
        };
        let mut offset = 0;
        let mut publish = |mine: &AlertTimes| {
            let decided = shared.alerts();
            let records = alert_records("pod-0", 1, mine, &decided);
            for r in &records {
                shared.apply(offset, &r.encode(), &NoCounts);
                offset += 1;
            }
            assert_eq!(&shared.alerts(), mine);
            records.len()
        };
        assert_eq!(publish(&alerts(3, "checkout")), 1);
        // Past one record's size: changes, each applied as it comes.
        let many = alerts(12_000, "checkout");
        assert!(publish(&many) > 1);
        // Fewer again: one whole record replaces everything.
        assert_eq!(publish(&alerts(2, "search")), 1);
        assert_eq!(publish(&AlertTimes::new()), 1);
    }

    /// Waits `shared.wait_applied(offset, an hour, stop)` on another thread.
    fn waiting(
        shared: &Arc<Shared>,
        offset: u64,
        stop: &StopSignal,
    ) -> std::thread::JoinHandle<bool> {
        let (shared, stop) = (shared.clone(), stop.clone());
        std::thread::spawn(move || shared.wait_applied(offset, Duration::from_secs(3600), &stop))
    }

    #[test]
    fn a_wait_for_the_fold_ends_when_the_record_is_applied_or_the_member_stops() {
        let shared = shared();
        let stop = StopSignal::new();
        assert!(!shared.wait_applied(0, Duration::from_millis(10), &stop));

        // The follower applies the record: the waiter wakes with true.
        let waiter = waiting(&shared, 5, &stop);
        std::thread::sleep(Duration::from_millis(50));
        shared.fold().next = 6;
        shared.applied.notify_all();
        assert!(waiter.join().unwrap());

        // Nothing applied, and the member stops: the wait ends with false, not after the
        // hour (the follower no longer applies anything).
        let waiter = waiting(&shared, 9, &stop);
        std::thread::sleep(Duration::from_millis(50));
        stop.stop();
        assert!(!waiter.join().unwrap());
        // What is applied still counts once stopped.
        assert!(shared.wait_applied(5, Duration::from_secs(3600), &stop));
    }
}

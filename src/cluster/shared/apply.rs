//! How one record of the log is applied: fences and deltas through the fold's rule to the
//! counts, heartbeats to the members (and their digests compared with this fold's), the
//! alert state, annotations and budget adjustments.

use super::stats::count;
use super::{DIGEST_EVERY, FoldState, FoldTarget, Shared};
use crate::cluster::delta;
use crate::cluster::fold::{Positions, Verdict};
use crate::cluster::record::{AnnotationChange, Delta, Fence, Heartbeat, Record};
use crate::decode::LineState;
use crate::window::{Activity, lock};

/// How many digests the fold keeps.
const DIGESTS_KEPT: usize = 64;

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

impl Shared {
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
                lock(&self.members).heard(h);
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
}

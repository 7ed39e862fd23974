//! Which raw partitions this member owns: claims (a fence with the next epoch, applied by
//! this member's own fold), releases, the heartbeat that announces them, following the
//! assignment, and giving up a partition a newer claim took over.

use std::collections::BTreeSet;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use tracing::{info, warn};

use super::{CLAIM_WAIT, ClusterSink, Owned, RETRY_INTERVAL, bump};
use crate::cluster::assign::assign;
use crate::cluster::delta::DeltaBuilder;
use crate::cluster::fold::Epoch;
use crate::cluster::log::log_topic;
use crate::cluster::record::{Fence, Record, Source};
use crate::cluster::shared::FoldTarget;
use crate::source::PartitionId;
use crate::source::StopSignal;
use crate::source::kafka::StartFrom;
use crate::window::{Shard, lock};

/// The value `rx` receives within `timeout`; an error once the timeout passes, the sender is
/// gone, or `stop` is raised.
fn recv_unless_stopped<T>(
    rx: &std::sync::mpsc::Receiver<T>,
    timeout: Duration,
    stop: &StopSignal,
) -> Result<T, RecvTimeoutError> {
    stop.wait_for(timeout, |step| match rx.recv_timeout(step) {
        Err(RecvTimeoutError::Timeout) => None,
        other => Some(other),
    })
    .unwrap_or(Err(RecvTimeoutError::Timeout))
}

impl ClusterSink {
    /// Claims every partition of `pids`: for each, the owned partition, or why not
    /// (`Ok(None)`: a newer claimant won). Every fence is written before any is waited for,
    /// so claiming several partitions costs about one round trip through the log.
    fn claim_all(&self, pids: &[PartitionId]) -> Vec<(PartitionId, Result<Option<Owned>, String>)> {
        if pids.is_empty() {
            return Vec::new();
        }
        let log = Source {
            topic: log_topic(&self.shared.config),
            partition: 0,
        };
        // Know every fence written so far, so that each epoch is above them all.
        let caught_up = self.writer.watermarks(&log).and_then(|(_, end)| {
            if end > 0 && !self.shared.wait_applied(end - 1, CLAIM_WAIT, &self.stop) {
                return Err("the cluster log is not applied up to its end yet".to_string());
            }
            Ok(())
        });
        if let Err(e) = caught_up {
            return pids.iter().map(|p| (*p, Err(e.clone()))).collect();
        }
        let mut written = Vec::new();
        let mut outcomes = Vec::new();
        for &pid in pids {
            let source = self.shared.source(pid);
            match self.write_fence(&source, pid) {
                Ok((epoch, ack)) => written.push((pid, source, epoch, ack)),
                Err(e) => outcomes.push((pid, Err(e))),
            }
        }
        let mut last = None;
        let mut fenced = Vec::new();
        for (pid, source, epoch, ack) in written {
            match recv_unless_stopped(&ack, CLAIM_WAIT, &self.stop) {
                Ok(Ok(offset)) => {
                    last = last.max(Some(offset));
                    fenced.push((pid, source, epoch));
                }
                Ok(Err(e)) => outcomes.push((pid, Err(e))),
                Err(_) => {
                    outcomes.push((pid, Err("the fence was not acknowledged in time".into())))
                }
            }
        }
        if let Some(offset) = last
            && !self.shared.wait_applied(offset, CLAIM_WAIT, &self.stop)
        {
            let e = "the fence was written but not applied in time";
            outcomes.extend(fenced.iter().map(|(pid, ..)| (*pid, Err(e.to_string()))));
            return outcomes;
        }
        for (pid, source, epoch) in fenced {
            outcomes.push((pid, Ok(self.owned_from_fold(pid, source, epoch))));
        }
        outcomes
    }

    /// Writes a fence on `source` with the next epoch; its offset arrives on the receiver.
    fn write_fence(
        &self,
        source: &Source,
        pid: PartitionId,
    ) -> Result<(Epoch, std::sync::mpsc::Receiver<Result<u64, String>>), String> {
        // Where a partition never claimed starts; a claimed one's position is the fold's.
        let start = if self.shared.position(source).is_some() {
            0
        } else {
            let (low, high) = self.writer.watermarks(source)?;
            match self.start_from {
                StartFrom::Earliest => low,
                StartFrom::Latest => high,
            }
        };
        let epoch = self
            .shared
            .fold()
            .positions
            .next_epoch(pid, &self.shared.config.member_id);
        let fence = Record::Fence(Fence {
            source: source.clone(),
            epoch: epoch.clone(),
            start,
            sent_us: self.pipeline.clock.now_us(),
        });
        Ok((epoch, self.writer.fence_later(&fence)))
    }

    /// After this member's fence of `epoch` was applied: the partition as the fold left it,
    /// or `None` when a newer claimant won.
    fn owned_from_fold(&self, pid: PartitionId, source: Source, epoch: Epoch) -> Option<Owned> {
        let Some(position) = self.shared.position(&source).filter(|p| p.epoch == epoch) else {
            bump(&self.shared.stats.claims_lost);
            info!(partition = %source, "a newer claim won the partition");
            return None;
        };
        bump(&self.shared.stats.claims);
        let g = self.pipeline.generation();
        let state = lock(&g.store.shard(pid, &source.to_string())).export();
        let shard = Shard::restore(&state);
        info!(partition = %source, epoch = epoch.number, from = position.next, "claimed");
        Some(Owned {
            before: shard.stats,
            mark: shard.dedup_mark(),
            directives: shard.directives,
            shard,
            source,
            epoch,
            from: position.next,
            to: position.next,
            builder: DeltaBuilder::default(),
            written: Instant::now(),
            at_end: false,
            told_end: false,
        })
    }

    /// Claims `pids` and records the outcomes.
    fn take(&mut self, pids: &[PartitionId]) {
        for (pid, outcome) in self.claim_all(pids) {
            match outcome {
                Ok(Some(owned)) => {
                    self.shared.set_mine(&owned.source, true);
                    self.owned.insert(pid, owned);
                    self.failed_claims.remove(&pid);
                    self.changed = true;
                }
                Ok(None) => {
                    self.failed_claims.insert(pid, Instant::now());
                }
                Err(e) => {
                    warn!(partition = %pid, error = %e, "cannot claim the partition; will retry");
                    self.failed_claims.insert(pid, Instant::now());
                }
            }
        }
    }

    /// Stops owning `pid` (its pending lines are dropped: whoever owns it next reads them).
    pub(super) fn release(&mut self, pid: PartitionId) {
        if let Some(o) = self.owned.remove(&pid) {
            self.shared.set_mine(&o.source, false);
            self.changed = true;
        }
    }

    /// Sends this member's heartbeat now (after a release, so that the next owner need not
    /// wait for the periodic one); `leaving` when the member stops.
    pub(super) fn heartbeat(&self, leaving: bool) {
        let beat = self.shared.heartbeat(
            self.pipeline.clock.now_us(),
            &self.generation.fingerprints,
            FoldTarget::lag(&*self.pipeline),
            leaving,
        );
        self.writer.heartbeat(&Record::Heartbeat(beat));
    }

    /// Follows the assignment: releases what it gives to others, claims what it gives to
    /// this member once the previous owner released it or is gone. Only with the log
    /// applied to a recent end and this member's own heartbeat heard back within the member
    /// timeout: a member that cannot write or read the log (a broker outage) cannot tell a
    /// dead peer from a silent log, so it changes nothing.
    pub(super) fn balance(&mut self) {
        let now = self.pipeline.clock.now_us();
        if !self.shared.caught_up(now) || !self.shared.knows_partitions() {
            return;
        }
        let me = self.shared.config.member_id.clone();
        let timeout = self.shared.config.member_timeout_us;
        let members = self.shared.members().clone();
        if !members.is_live(&me, now, timeout) {
            return;
        }
        let plan = assign(
            &self.shared.raw_partitions(),
            &members.live(&me, now, timeout),
        );
        let mine: BTreeSet<PartitionId> = plan
            .iter()
            .filter(|(_, m)| **m == me)
            .filter_map(|(s, _)| self.shared.partition_id(s))
            .collect();
        let release: Vec<PartitionId> = self
            .owned
            .keys()
            .filter(|p| !mine.contains(p))
            .copied()
            .collect();
        for pid in &release {
            info!(partition = %pid, "the assignment moved the partition; releasing it");
            self.flush(*pid);
            self.release(*pid);
        }
        if !release.is_empty() {
            self.heartbeat(false);
        }
        let mut free_now = Vec::new();
        for pid in mine {
            if self.owned.contains_key(&pid)
                || self
                    .failed_claims
                    .get(&pid)
                    .is_some_and(|t| t.elapsed() < RETRY_INTERVAL)
            {
                continue;
            }
            let source = self.shared.source(pid);
            let claimed_us = self.shared.fold().fenced_us.get(&pid).copied();
            let free = match self.shared.position(&source) {
                None => true,
                Some(p) if p.epoch.member == me => true,
                Some(p) => {
                    !members.is_live(&p.epoch.member, now, timeout)
                        || members.released(&p.epoch.member, &source, claimed_us.unwrap_or(0))
                }
            };
            if free {
                free_now.push(pid);
            }
        }
        self.take(&free_now);
        if free_now.iter().any(|p| self.owned.contains_key(p)) {
            // Peers see the new owner at once, not at its next periodic heartbeat.
            self.heartbeat(false);
        }
    }

    /// Partitions whose claim a newer fence took over (this member was a zombie), or whose
    /// delta was not written: released; claimed again when the write failed.
    pub(super) fn check_ownership(&mut self) {
        let failed = self.writer.failed();
        let mut lost = Vec::new();
        {
            let fold = self.shared.fold();
            for (pid, o) in &self.owned {
                if fold.positions.get(*pid).is_none_or(|p| p.epoch != o.epoch) {
                    lost.push(*pid);
                }
            }
        }
        for pid in lost {
            warn!(partition = %pid, "a newer claim took the partition over; releasing it");
            bump(&self.shared.stats.taken_over);
            self.release(pid);
        }
        for source in failed {
            bump(&self.shared.stats.write_failures);
            if let Some(pid) = self.shared.partition_id(&source)
                && self.owned.contains_key(&pid)
            {
                self.release(pid);
                self.take(&[pid]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::channel;

    use super::*;

    #[test]
    fn a_wait_for_an_acknowledgement_ends_with_it_at_its_timeout_or_at_stop() {
        let stop = StopSignal::new();
        let (tx, rx) = channel();
        tx.send(7).unwrap();
        assert_eq!(
            recv_unless_stopped(&rx, Duration::from_secs(3600), &stop),
            Ok(7)
        );
        let waited = Duration::from_millis(250);
        let start = Instant::now();
        assert_eq!(
            recv_unless_stopped(&rx, waited, &stop),
            Err(RecvTimeoutError::Timeout)
        );
        assert!(start.elapsed() >= waited, "the whole timeout, across polls");

        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            tx.send(8).unwrap();
            tx
        });
        assert_eq!(
            recv_unless_stopped(&rx, Duration::from_secs(3600), &stop),
            Ok(8)
        );
        let tx = sender.join().unwrap();

        // Stopped: no waiting out the hour for an acknowledgement that may never come.
        let stopper = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                stop.stop();
            })
        };
        assert_eq!(
            recv_unless_stopped(&rx, Duration::from_secs(3600), &stop),
            Err(RecvTimeoutError::Timeout)
        );
        stopper.join().unwrap();
        drop(tx);
        assert_eq!(
            recv_unless_stopped(&rx, Duration::from_secs(3600), &StopSignal::new()),
            Err(RecvTimeoutError::Disconnected)
        );
    }
}

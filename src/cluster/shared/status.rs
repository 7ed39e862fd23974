//! `GET /v1/cluster`: what this member knows of the cluster, its members and the raw
//! partitions, and what an answer lacks while it does not have the whole picture.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Shared;
use crate::cluster::fingerprint::Fingerprints;
use crate::cluster::fold::Positions;
use crate::cluster::record::{Heartbeat, Source};
use crate::time::format_rfc3339;
use crate::window::{Store, lock};

impl Shared {
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
        let mine = lock(&self.mine).clone();
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
        // Owned: by this member's reader, or by a live member that says it reads it (a
        // restarted member with the same id does not inherit its old claims).
        let owned = |source: &Source, owner: &str| {
            if owner == me {
                mine.contains(source)
            } else {
                live(owner) && members.reads(owner, source)
            }
        };
        let (partitions, missing_partitions, missing_members) =
            self.partition_statuses(&positions, store, owned);
        let (mismatch, slos) = members.mismatched(me, config, &fingerprints.slos, now_us, timeout);
        let log_behind = !self.caught_up(now_us);
        let missing = Missing {
            partitions: missing_partitions,
            members: missing_members,
            slos: slo_names(fingerprints, &slos, slo_ids),
            log: log_behind,
        };
        let partial = missing.log
            || !diverged.is_empty()
            || !mismatch.is_empty()
            || !missing.partitions.is_empty()
            || !missing.slos.is_empty()
            || lock(&self.raw).is_empty();
        let member_status = members
            .all()
            .map(|h| member_status(h, live(&h.member), now_us, fold_end, config))
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

    /// Every raw partition as the fold's `positions` and `store` see it, with those that
    /// are not owned (`is_owned` by the member whose claim counts) and the members whose claims
    /// those are.
    fn partition_statuses(
        &self,
        positions: &Positions,
        store: &Store,
        is_owned: impl Fn(&Source, &str) -> bool,
    ) -> (Vec<PartitionStatus>, Vec<String>, Vec<String>) {
        let mut partitions = Vec::new();
        let mut missing_partitions = Vec::new();
        let mut missing_members = BTreeSet::new();
        for source in lock(&self.raw).iter() {
            let id = self.partition_id(source);
            let position = id.and_then(|id| positions.get(id).cloned());
            let owner = position.as_ref().map(|p| p.epoch.member.clone());
            let owned = owner.as_ref().is_some_and(|o| is_owned(source, o));
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
        let missing_members = missing_members.into_iter().collect();
        (partitions, missing_partitions, missing_members)
    }
}

/// The ids (of `slo_ids`, which names the SLOs of `fingerprints`) of the SLOs whose
/// fingerprints are `slos`, in configuration order, not in the order of their
/// fingerprints' hashes.
fn slo_names(fingerprints: &Fingerprints, slos: &[u64], slo_ids: &[String]) -> Vec<String> {
    let mut missing_slos: Vec<usize> = slos.iter().filter_map(|f| fingerprints.slo(*f)).collect();
    missing_slos.sort_unstable();
    missing_slos.dedup();
    missing_slos
        .into_iter()
        .filter_map(|i| slo_ids.get(i).cloned())
        .collect()
}

/// Member `h` from its newest heartbeat at `now_us`, with the log's end `fold_end` as this
/// member saw it and its `config` hash.
fn member_status(
    h: &Heartbeat,
    live: bool,
    now_us: i64,
    fold_end: u64,
    config: u64,
) -> MemberStatus {
    MemberStatus {
        id: h.member.clone(),
        url: h.url.clone(),
        live,
        last_heartbeat: format_rfc3339(h.sent_us),
        heartbeat_age_seconds: now_us.saturating_sub(h.sent_us) as f64 / 1e6,
        partitions: h.partitions.iter().map(Source::to_string).collect(),
        applied: h.applied,
        behind: fold_end.saturating_sub(h.applied),
        lag: h.lag.iter().map(|(s, l)| (s.to_string(), *l)).collect(),
        config_matches: h.config == config,
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

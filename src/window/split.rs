//! Services split by host: one sub-service per distinct host, at most `max_hosts` of them,
//! plus one overflow sub-service for the hosts that came later.
//!
//! A service with `split_by: host` applies its SLOs per host. Which host owns which slot is
//! decided once, first come first served, in a [`HostTable`] shared by every partition, so
//! a sub-service means the same host in every partition; it never grows past `max_hosts` and
//! never forgets a host (a host keeps its slot until a reload changes the service's
//! classification, and across restarts through the checkpoint). Events of hosts that found
//! the table full go to the overflow slot (`max_hosts`), so the sub-services of a service
//! still sum to exactly its events.
//!
//! The counters ([`super::Counters`], one copy for all partitions) keep a [`SplitShard`] per
//! split service: a private copy of the assignments used so far (so an assigned host costs a
//! hash lookup on borrowed, lowercased bytes and no lock; the table's lock is taken only for
//! a host not seen yet) and its slots' counters, allocated on a slot's first event, never
//! more than `max_hosts + 1`.
//!
//! A sub-service is named `<service>:<host>` ([`sub_service_name`]); the overflow one is
//! `<service>:_overflow`. `:` works unescaped in URL paths and Prometheus label values.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tracing::warn;

use super::counters::SloState;
use super::decided::Decided;
use super::latency::{LatencyBucketState, LatencyRing};
use super::ring::{Layout, SloCounters};

/// Between a service's name and a host in a sub-service's name.
pub const SEPARATOR: char = ':';
/// The host part of the overflow sub-service's name.
pub const OVERFLOW_HOST: &str = "_overflow";
/// The host name used for events without a host.
pub const EMPTY_HOST: &str = "-";

/// The key a host is assigned by: lowercased, [`EMPTY_HOST`] for none; written into `key`.
pub fn host_key(host: &[u8], key: &mut Vec<u8>) {
    key.clear();
    key.extend_from_slice(if host.is_empty() {
        EMPTY_HOST.as_bytes()
    } else {
        host
    });
    key.make_ascii_lowercase();
}

/// `<service>:<host>`.
pub fn sub_service_name(service: &str, host: &str) -> String {
    format!("{service}{SEPARATOR}{host}")
}

/// The host → slot assignment of one split service, shared by every partition.
#[derive(Debug)]
pub struct HostTable {
    service: String,
    max_hosts: usize,
    inner: Mutex<Assigned>,
    /// Hosts assigned so far (never more than `max_hosts`).
    assigned: AtomicUsize,
    /// Set once the overflow warning has been logged.
    warned: AtomicBool,
}

#[derive(Debug, Default)]
struct Assigned {
    /// Host names by slot.
    hosts: Vec<String>,
    /// Lowercased host bytes → slot.
    slots: HashMap<Box<[u8]>, u32>,
}

/// A table's assignment, for a checkpoint: the hosts in slot order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HostAssignment {
    /// The split service.
    pub service: String,
    /// Host names, by slot.
    pub hosts: Vec<String>,
}

impl HostTable {
    /// An empty table for `service`, holding at most `max_hosts` hosts.
    pub fn new(service: &str, max_hosts: usize) -> Self {
        Self {
            service: service.to_string(),
            max_hosts,
            inner: Mutex::default(),
            assigned: AtomicUsize::new(0),
            warned: AtomicBool::new(false),
        }
    }

    /// The split service's name.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The cap on hosts; also the index of the overflow slot.
    pub fn max_hosts(&self) -> usize {
        self.max_hosts
    }

    /// Number of hosts assigned.
    pub fn len(&self) -> usize {
        self.assigned.load(Ordering::Acquire)
    }

    /// True before any host is assigned.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Assigned> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The host names, by slot.
    pub fn hosts(&self) -> Vec<String> {
        self.lock().hosts.clone()
    }

    /// The slot of `key` (lowercased host bytes), assigning the next one while there is
    /// room; `None` when the table is full and `key` has none.
    fn slot_for(&self, key: &[u8]) -> Option<u32> {
        let mut a = self.lock();
        if let Some(&slot) = a.slots.get(key) {
            return Some(slot);
        }
        if a.hosts.len() >= self.max_hosts {
            return None;
        }
        // Slots are below max_hosts ≤ 10 000, so they fit in u32.
        let slot = a.hosts.len() as u32;
        a.hosts.push(String::from_utf8_lossy(key).into_owned());
        a.slots.insert(key.into(), slot);
        self.assigned.store(a.hosts.len(), Ordering::Release);
        Some(slot)
    }

    /// The slot of host `name`, if assigned.
    pub fn slot_of(&self, name: &str) -> Option<usize> {
        self.lock().slots.get(name.as_bytes()).map(|&s| s as usize)
    }

    /// The assignment, for a checkpoint.
    pub fn export(&self) -> HostAssignment {
        HostAssignment {
            service: self.service.clone(),
            hosts: self.hosts(),
        }
    }

    /// Assigns `hosts` in order (a restored assignment); hosts beyond the cap, or already
    /// assigned, are skipped. Returns how many were skipped for the cap.
    pub fn import(&self, hosts: &[String]) -> usize {
        let mut skipped = 0;
        for h in hosts {
            if self.slot_for(h.as_bytes()).is_none() {
                skipped += 1;
            }
        }
        skipped
    }

    /// Logs the overflow warning the first time this table overflows.
    fn warn_overflow_once(&self) {
        if !self.warned.load(Ordering::Relaxed) && !self.warned.swap(true, Ordering::Relaxed) {
            warn!(
                service = %self.service,
                max_hosts = self.max_hosts,
                overflow = %sub_service_name(&self.service, OVERFLOW_HOST),
                "split service has more hosts than max_hosts; further hosts share the overflow \
                 sub-service (raise the service's max_hosts, at most 10000, to give them their own)"
            );
        }
    }
}

/// One split service in a [`Plan`](super::Plan).
#[derive(Debug, Clone)]
pub struct SplitPlan {
    /// Index of the service.
    pub service: usize,
    /// Its SLOs' indexes, in [`Classifier::slos_of`](crate::classify::Classifier::slos_of) order.
    pub slos: Vec<usize>,
    /// The shared host assignment.
    pub table: Arc<HostTable>,
}

/// The counters of one sub-service.
#[derive(Debug)]
pub struct SubCounters {
    /// Per SLO of the service, in [`SplitPlan::slos`] order.
    slos: Vec<SloCounters>,
    /// Lifetime `[good, bad]`, same order.
    lifetime: Vec<[u64; 2]>,
    latency: LatencyRing,
}

impl SubCounters {
    fn new(split: &SplitPlan, layouts: &[Layout]) -> Self {
        Self {
            slos: split
                .slos
                .iter()
                .map(|&s| SloCounters::new(&layouts[s]))
                .collect(),
            lifetime: vec![[0; 2]; split.slos.len()],
            latency: LatencyRing::new(),
        }
    }

    /// The counters of the service's `pos`-th SLO.
    pub fn slo(&self, pos: usize) -> &SloCounters {
        &self.slos[pos]
    }

    /// The counters of the service's `pos`-th SLO, to adjust.
    pub fn slo_mut(&mut self, pos: usize) -> &mut SloCounters {
        &mut self.slos[pos]
    }

    /// Lifetime `[good, bad]` of the service's `pos`-th SLO.
    pub fn lifetime(&self, pos: usize) -> [u64; 2] {
        self.lifetime[pos]
    }

    /// The sub-service's latency histograms.
    pub fn latency(&self) -> &LatencyRing {
        &self.latency
    }
}

/// One sub-service's state in a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SubState {
    /// The host; `None` for the overflow sub-service.
    pub host: Option<String>,
    /// Per SLO (ids `service/slo` of the parent service).
    pub slos: Vec<SloState>,
    /// Latency histograms.
    pub latency: Vec<LatencyBucketState>,
}

/// One split service's counts, in a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SplitShardState {
    /// The split service.
    pub service: String,
    /// Events sent to the overflow sub-service.
    pub overflow_events: u64,
    /// Every allocated sub-service.
    pub subs: Vec<SubState>,
}

/// One split service's sub-services.
#[derive(Debug)]
pub struct SplitShard {
    /// This shard's copy of assignments it has used: lowercased host → slot.
    cache: HashMap<Box<[u8]>, u32>,
    /// True once `cache` holds the whole (full) table: a miss is then an overflow host.
    complete: bool,
    /// Reused buffer for the lowercased host.
    key: Vec<u8>,
    /// Per slot (`max_hosts + 1`, the last for overflow): counters from its first event.
    slots: Vec<Option<Box<SubCounters>>>,
    /// Events sent to the overflow slot.
    pub overflow_events: u64,
}

impl SplitShard {
    /// Empty state for `split`.
    pub fn new(split: &SplitPlan) -> Self {
        Self {
            cache: HashMap::new(),
            complete: false,
            key: Vec::new(),
            slots: (0..=split.table.max_hosts()).map(|_| None).collect(),
            overflow_events: 0,
        }
    }

    /// The counters of slot `slot`, if it has had an event (or restored state).
    pub fn slot(&self, slot: usize) -> Option<&SubCounters> {
        self.slots.get(slot).and_then(|s| s.as_deref())
    }

    /// The counters of every slot that has them.
    pub fn subs(&self) -> impl Iterator<Item = &SubCounters> {
        self.slots.iter().filter_map(|s| s.as_deref())
    }

    /// The counters of every slot that has them, to adjust.
    pub fn subs_mut(&mut self) -> impl Iterator<Item = &mut SubCounters> {
        self.slots.iter_mut().filter_map(|s| s.as_deref_mut())
    }

    /// Number of slots with counters.
    pub fn allocated(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    /// The slot of `host`: its own, or the overflow slot.
    fn slot_of(&mut self, table: &HostTable, host: &[u8]) -> usize {
        host_key(host, &mut self.key);
        if let Some(&slot) = self.cache.get(self.key.as_slice()) {
            return slot as usize;
        }
        if !self.complete {
            match table.slot_for(&self.key) {
                Some(slot) => {
                    self.cache.insert(self.key.as_slice().into(), slot);
                    return slot as usize;
                }
                None => {
                    // The table is full and stays so: copy it once, and later misses
                    // need no lock.
                    let a = table.lock();
                    for (k, &v) in &a.slots {
                        self.cache.entry(k.clone()).or_insert(v);
                    }
                    self.complete = true;
                }
            }
        }
        table.warn_overflow_once();
        table.max_hosts()
    }

    /// The counters of `host`'s slot, allocated on first use; counts `events` events sent to
    /// the overflow slot when it is that one.
    fn sub_of(
        &mut self,
        split: &SplitPlan,
        layouts: &[Layout],
        host: &[u8],
        events: u64,
    ) -> &mut SubCounters {
        let slot = self.slot_of(&split.table, host);
        if slot == split.table.max_hosts() {
            self.overflow_events += events;
        }
        self.slots[slot].get_or_insert_with(|| Box::new(SubCounters::new(split, layouts)))
    }

    /// Applies `event`, which belongs to the split service, to its host's sub-service.
    pub fn apply(&mut self, split: &SplitPlan, layouts: &[Layout], event: &Decided<'_>) {
        let sub = self.sub_of(split, layouts, event.host, 1);
        let t = event.time_us;
        for (pos, &outcome) in event.outcomes.iter().enumerate() {
            let Some(good) = outcome.good() else {
                continue;
            };
            let c = sub.slos[pos].add(t, good);
            sub.lifetime[pos][0] += c.good;
            sub.lifetime[pos][1] += c.bad();
        }
        if let Some(l) = event.latency_us {
            sub.latency.record(t, l);
        }
    }

    /// Adds counts already summed for one host (a cluster's delta) to its sub-service, as
    /// its `events` events one by one would: `slos` as `(position among the split's SLOs,
    /// time, good, total)`, `latencies` as `(time, latency, count)`.
    pub fn add_host_counts(
        &mut self,
        split: &SplitPlan,
        layouts: &[Layout],
        host: &[u8],
        events: u64,
        slos: impl IntoIterator<Item = (usize, i64, u64, u64)>,
        latencies: impl IntoIterator<Item = (i64, i64, u64)>,
    ) {
        let sub = self.sub_of(split, layouts, host, events);
        for (pos, t, good, total) in slos {
            let good = good.min(total);
            if let Some(c) = sub.slos.get_mut(pos) {
                let c = c.add_counts(t, good, total);
                sub.lifetime[pos][0] += c.good;
                sub.lifetime[pos][1] += c.bad();
            }
        }
        for (t, l, count) in latencies {
            sub.latency.record_n(t, l, count);
        }
    }

    /// This split's state, for a checkpoint; `slo_ids` names SLOs by index.
    pub fn export(&self, split: &SplitPlan, slo_ids: &[String]) -> SplitShardState {
        let hosts = split.table.hosts();
        let subs = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(slot, sub)| {
                let sub = sub.as_deref()?;
                let host = if slot == split.table.max_hosts() {
                    None
                } else {
                    Some(hosts.get(slot)?.clone())
                };
                Some(SubState {
                    host,
                    slos: split
                        .slos
                        .iter()
                        .enumerate()
                        .filter_map(|(pos, &slo)| {
                            Some(SloState {
                                id: slo_ids.get(slo)?.clone(),
                                tiers: sub.slos[pos].export(),
                                lifetime: sub.lifetime[pos],
                                history: sub.slos[pos].export_history(),
                            })
                        })
                        .collect(),
                    latency: sub.latency.export(),
                })
            })
            .collect();
        SplitShardState {
            service: split.table.service().to_string(),
            overflow_events: self.overflow_events,
            subs,
        }
    }

    /// Adds `state` under `split`: sub-services by host name through the shared table
    /// (hosts it does not hold are dropped), SLOs by id (`slo_ids` names them by index).
    pub fn import(
        &mut self,
        state: &SplitShardState,
        split: &SplitPlan,
        layouts: &[Layout],
        slo_ids: &[String],
    ) {
        self.overflow_events += state.overflow_events;
        for saved in &state.subs {
            let slot = match &saved.host {
                None => Some(split.table.max_hosts()),
                Some(h) => split.table.slot_of(h),
            };
            let Some(slot) = slot else {
                continue;
            };
            let sub =
                self.slots[slot].get_or_insert_with(|| Box::new(SubCounters::new(split, layouts)));
            for s in &saved.slos {
                if let Some(pos) = split
                    .slos
                    .iter()
                    .position(|&slo| slo_ids.get(slo) == Some(&s.id))
                {
                    sub.slos[pos].import(&s.tiers);
                    sub.slos[pos].import_history(&s.history);
                    for (total, add) in sub.lifetime[pos].iter_mut().zip(s.lifetime) {
                        *total += add;
                    }
                }
            }
            sub.latency.import(&saved.latency);
        }
    }
}

#[cfg(test)]
mod tests;

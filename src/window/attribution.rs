//! Burn attribution per service: which keys of a dimension (normalized path, status,
//! backend, host, method) the bad events of each SLO come from, with exact counts while
//! the keys fit and stated bounds once they do not.
//!
//! An [`AttributionRing`] holds, for each of the last [`AttributionShape::minutes`]
//! event-time minutes, each SLO's exact bad and total events, and one bounded table per
//! dimension: a **Space-Saving** summary of at most [`AttributionShape::keys_per_table`]
//! (k) keys. A slot remembers which minute it holds; an event older than the ring holds is
//! left out (of the SLO counts too). An event that no SLO counts is left out.
//!
//! # One table per dimension, weighted by bad events over the SLOs
//! A table's weight of a key is its bad events summed over the service's SLOs (an event bad
//! for two SLOs weighs 2). One table serves every SLO, so memory and per-event work do not
//! grow with SLOs times dimensions, and each key is hashed once per event. Each entry still
//! counts per SLO, exactly from its insertion on; a key's bad events for any one SLO are at
//! most its weight, so the Space-Saving bounds hold per SLO. They are tightened per SLO by
//! two exact quantities: the SLO's bad events in the minute that no tracked key accounts
//! for, and its events counted for no tracked key (`untracked`). The cost of sharing: an SLO
//! whose bad events are rare shares the k entries with a noisier one, so its heavy keys may
//! be evicted sooner than with a table of its own; their bounds stay correct.
//!
//! # Recording
//! The pipeline sums a batch's events by service, minute and keys first ([`BatchSums`]) and
//! counts each sum once, with its bad events as weight; one event is a sum of one.
//! A tracked key adds to its counts. An untracked key is inserted while the table has room
//! (exact from then: its first event in the minute). When full, a good-only event (no SLO
//! says bad) is counted only in the table's `untracked` events; an event bad for some SLO
//! evicts the lightest entry (zero-weight entries first, then the smallest key), whose
//! counted events become untracked, and takes its place with error `err` = the evicted
//! weight (its bad events before may be at most that) and `total_err` = the untracked
//! events so far (its events before may be at most that). The table's floor becomes the
//! evicted weight: no key it does not track had more bad events. While only zero-weight
//! entries are evicted the floor stays 0 and every bad count stays exact.
//!
//! # Bounds of an answer
//! [`AttributionRing::top`] adds the minutes whose start lies in the range. For a key and
//! an SLO, each minute contributes, with `unaccounted` = the SLO's bad events of the minute
//! minus those counted for tracked keys:
//! - tracked: `bad_min` += counted bad, `bad` += counted bad + min(`err`, `unaccounted`,
//!   `total_err`); `total` += counted, `total_max` += counted + `total_err`;
//! - not tracked: `bad_min`, `total` += 0; `bad` += min(floor, `unaccounted`, `untracked`),
//!   `total_max` += `untracked` (all 0 in a table that never overflowed).
//!
//! So the true counts lie in `[bad_min, bad]` and `[total, total_max]`, and a key is
//! [`Contributor::exact`] when both ranges are single values. Tables of different minutes,
//! shards or cluster members combine by adding ([`AttributionRing::merge_minute`]): nothing
//! is ever subtracted from a count.
//!
//! Counts in a table are `u32` per key, SLO and minute (71.5 million events a second) and
//! saturate there; the SLO counts are `u64`. Keys are cut at [`MAX_KEY_BYTES`].
//!
//! # Memory
//! A minute allocates its tables with its first event, and a table its entries as keys
//! arrive (doubling, up to k), so a service holds only the keys it met. The bound
//! ([`AttributionShape::max_bytes`]), once every table is full of keys of at most `L`
//! bytes: `120 + 8 × slos + minutes × (56 + 16 × slos + dims × T)` with, per table,
//! `T = 128 + 2 × I + k × (24 + 12 × slos) + 4 × slos + 2 × k × L` (`I` = `2k` rounded up
//! to a power of two: the index; 24 bytes an entry, 12 per SLO of its counts, the arena at
//! most twice the live keys). For k = 32, 5 dimensions, 60 minutes, 3 SLOs and 32-byte keys
//! a full table takes 4,236 bytes, a minute 21,284 and a service 1,277,184 (1.22 MiB), so
//! 1,000 services whose every table is full take 1.28 GB; with keys at the 128-byte cut,
//! 3.0 MiB a service and 3.1 GB for 1,000. Real dimensions are mostly small (a handful of
//! statuses, methods, hosts and backends): with 200 paths a minute filling the path tables,
//! a service holds about 350 KiB (see the tests), 360 MB for 1,000 services. [`AttributionRing::bytes`] reports what a ring holds.

mod batch;
mod table;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub use batch::BatchSums;
pub use table::{EntryState, KeyCounts, MAX_KEY_BYTES, MAX_KEYS_PER_TABLE, TableState};

use crate::time::MINUTE;
use table::{Delta, Table};

/// The minute index of a slot that holds none.
const NONE: i64 = i64::MIN;

/// Linear probing in an open-addressing `index` (a power of two long, at most half full,
/// `empty` in its free slots) of positions: the first slot from `hash`'s home that is free
/// or holds a position `hit` accepts. The tables and the batch sums both index this way.
#[inline]
fn probe<T: Copy + PartialEq>(
    index: &[T],
    empty: T,
    hash: u64,
    mut hit: impl FnMut(T) -> bool,
) -> usize {
    let mask = index.len() - 1;
    let mut i = hash as usize & mask;
    while index[i] != empty && !hit(index[i]) {
        i = (i + 1) & mask;
    }
    i
}

/// The shape of a service's attribution, fixed when its ring is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributionShape {
    /// Minutes held (at least 1).
    pub minutes: usize,
    /// Dimensions recorded per event.
    pub dims: usize,
    /// The service's SLOs, in a fixed order.
    pub slos: usize,
    /// Most keys a table tracks (1 to [`MAX_KEYS_PER_TABLE`]).
    pub keys_per_table: usize,
}

impl AttributionShape {
    /// This shape with `minutes` and `keys_per_table` brought into their ranges.
    fn clamped(self) -> Self {
        Self {
            minutes: self.minutes.max(1),
            keys_per_table: self.keys_per_table.clamp(1, MAX_KEYS_PER_TABLE),
            ..self
        }
    }

    /// The most bytes a ring of this shape holds once every table of every minute is full
    /// of keys of at most `key_bytes` bytes (see the [module documentation](self)).
    pub fn max_bytes(&self, key_bytes: usize) -> usize {
        let s = self.clamped();
        let table = size_of::<Table>() + Table::max_heap_bytes(s.keys_per_table, s.slos, key_bytes);
        size_of::<AttributionRing>()
            + s.slos * size_of::<Delta>()
            + s.minutes * (size_of::<Minute>() + s.slos * size_of::<SloCounts>() + s.dims * table)
    }
}

/// An SLO's events in a range: exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SloCounts {
    /// Events the SLO says are bad.
    pub bad: u64,
    /// Events the SLO counts.
    pub total: u64,
}

/// One minute: its index (µs / [`MINUTE`]), [`NONE`] when empty; each SLO's counts; one
/// table per dimension (none until its first event).
#[derive(Debug, Clone)]
struct Minute {
    minute: i64,
    slos: Vec<SloCounts>,
    tables: Vec<Table>,
}

impl Minute {
    const EMPTY: Self = Self {
        minute: NONE,
        slos: Vec::new(),
        tables: Vec::new(),
    };

    /// Starts the slot over for `minute`, keeping its allocations.
    fn reuse(&mut self, minute: i64, shape: &AttributionShape) {
        self.minute = minute;
        self.slos.clear();
        self.slos.reserve_exact(shape.slos);
        self.slos.resize(shape.slos, SloCounts::default());
        self.tables.iter_mut().for_each(Table::reset);
    }

    /// Allocates the tables, if not yet.
    fn tables_mut(&mut self, dims: usize) -> &mut [Table] {
        if self.tables.len() != dims {
            self.tables.resize_with(dims, Table::default);
        }
        &mut self.tables
    }
}

/// The first index whose minute starts at or after `t_us`.
fn first_at_or_after(t_us: i64) -> i64 {
    t_us.div_euclid(MINUTE) + i64::from(t_us.rem_euclid(MINUTE) != 0)
}

/// One service's burn attribution; see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct AttributionRing {
    shape: AttributionShape,
    /// `shape.minutes` slots once an event was recorded, none before.
    slots: Vec<Minute>,
    /// The newest minute held; [`NONE`] before the first.
    newest: i64,
    /// The start of the minute the last event landed in and its slot.
    hot: Option<(i64, usize)>,
    /// The start of the minute of the first event recorded ([`NONE`] before it): before
    /// it this ring counted nothing (it was made, or attribution started over, then).
    since: i64,
    /// What the event [`record`](Self::record) counts adds for each SLO (reused).
    deltas: Vec<Delta>,
}

impl AttributionRing {
    /// An empty ring of `shape` (`minutes` at least 1, `keys_per_table` within 1 to
    /// [`MAX_KEYS_PER_TABLE`]); its slots are allocated with its first event.
    pub fn new(shape: AttributionShape) -> Self {
        Self {
            shape: shape.clamped(),
            slots: Vec::new(),
            newest: NONE,
            hot: None,
            since: NONE,
            deltas: Vec::new(),
        }
    }

    /// Its shape.
    pub fn shape(&self) -> AttributionShape {
        self.shape
    }

    /// Counts one event at `time_us`: `keys[d]` is its key in dimension `d` (normalized by
    /// the caller; empty, or missing, for unknown), `verdicts[slo]` SLO `slo`'s verdict
    /// (`Some(true)` bad, `Some(false)` good, `None` or missing: not counted by it).
    pub fn record(&mut self, time_us: i64, keys: &[&[u8]], verdicts: &[Option<bool>]) {
        let mut deltas = std::mem::take(&mut self.deltas);
        deltas.clear();
        deltas.reserve_exact(self.shape.slos);
        deltas.extend(verdicts.iter().map(|v| Delta::of(*v)));
        self.count(time_us, keys.iter().copied(), &deltas);
        self.deltas = deltas;
    }

    /// Counts what events at `time_us` with the same `keys` add: `deltas[slo]` for SLO `slo`
    /// (missing: nothing), an event that no SLO counts being left out by the caller.
    fn count<'k>(
        &mut self,
        time_us: i64,
        keys: impl IntoIterator<Item = &'k [u8]>,
        deltas: &[Delta],
    ) {
        let deltas = &deltas[..deltas.len().min(self.shape.slos)];
        if deltas.iter().all(|d| d.total == 0) {
            return;
        }
        let weight = deltas.iter().fold(0u32, |w, d| w.saturating_add(d.bad));
        let Some(slot) = self.slot_for(time_us) else {
            return;
        };
        if self.since == NONE {
            self.since = time_us.div_euclid(MINUTE) * MINUTE;
        }
        let shape = self.shape;
        let minute = &mut self.slots[slot];
        for (c, d) in minute.slos.iter_mut().zip(deltas) {
            c.bad = c.bad.saturating_add(u64::from(d.bad));
            c.total = c.total.saturating_add(u64::from(d.total));
        }
        let mut keys = keys.into_iter();
        for table in minute.tables_mut(shape.dims) {
            let key = keys.next().unwrap_or_default();
            table.record(key, deltas, weight, shape.keys_per_table, shape.slos);
        }
    }

    /// The slot of the minute holding `time_us`, started over if it held an older minute;
    /// `None` when the ring no longer holds that minute.
    fn slot_for(&mut self, time_us: i64) -> Option<usize> {
        if let Some((start_us, slot)) = self.hot
            && let Some(offset) = time_us.checked_sub(start_us)
            && (0..MINUTE).contains(&offset)
        {
            return Some(slot);
        }
        let minute = time_us.div_euclid(MINUTE);
        let slot = self.hold(minute)?;
        self.hot = minute.checked_mul(MINUTE).map(|start_us| (start_us, slot));
        Some(slot)
    }

    /// Makes `minute` the newest if newer and returns its slot (started over if it held an
    /// older minute); `None` when older than the ring holds.
    fn hold(&mut self, minute: i64) -> Option<usize> {
        if self.slots.is_empty() {
            self.slots = vec![Minute::EMPTY; self.shape.minutes];
        }
        self.newest = self.newest.max(minute);
        if minute < self.oldest() {
            return None;
        }
        let i = self.slot_of(minute);
        // Held minutes have distinct slots, so one holding another minute holds an older one.
        if self.slots[i].minute != minute {
            self.slots[i].reuse(minute, &self.shape);
        }
        Some(i)
    }

    fn slot_of(&self, minute: i64) -> usize {
        // The modulus fits in i64 and rem_euclid is non-negative and below it.
        minute.rem_euclid(self.shape.minutes as i64) as usize
    }

    /// The oldest minute held (only meaningful once an event was recorded).
    fn oldest(&self) -> i64 {
        self.newest.saturating_sub(self.shape.minutes as i64 - 1)
    }

    /// The slot holding `minute`, if the ring holds it.
    fn minute(&self, minute: i64) -> Option<&Minute> {
        if self.newest == NONE || minute < self.oldest() || minute > self.newest {
            return None;
        }
        Some(&self.slots[self.slot_of(minute)]).filter(|m| m.minute == minute)
    }

    /// The held minutes of indexes `[first, last)`, oldest first.
    fn minutes_between(&self, first: i64, last: i64) -> impl Iterator<Item = &Minute> {
        let range = if self.newest == NONE {
            0..0
        } else {
            first.max(self.oldest())..last.min(self.newest.saturating_add(1))
        };
        range.filter_map(|m| self.minute(m))
    }

    /// The start of the oldest minute held: every event of a minute from here on was
    /// counted. `i64::MIN` before the first event (nothing was left out).
    pub fn held_from_us(&self) -> i64 {
        if self.newest == NONE {
            return i64::MIN;
        }
        self.oldest().saturating_mul(MINUTE)
    }

    /// The start of the minute of the first event this ring recorded: it counted nothing
    /// before (`None` before its first event). An answer covers no earlier minute.
    pub fn counting_since_us(&self) -> Option<i64> {
        (self.since != NONE).then_some(self.since)
    }

    /// Heap and inline bytes the ring holds now.
    pub fn bytes(&self) -> usize {
        size_of::<Self>()
            + self.deltas.capacity() * size_of::<Delta>()
            + self.slots.capacity() * size_of::<Minute>()
            + self
                .slots
                .iter()
                .map(|m| {
                    m.slos.capacity() * size_of::<SloCounts>()
                        + m.tables.capacity() * size_of::<Table>()
                        + m.tables.iter().map(Table::heap_bytes).sum::<usize>()
                })
                .sum::<usize>()
    }

    /// The top `limit` contributors of SLO `slo`'s bad events by dimension `dim` over the
    /// held minutes whose start lies in `[from_us, to_us)`; see the bounds in the
    /// [module documentation](self). An unknown `dim` or `slo` gives no contributors (and
    /// zero SLO counts for an unknown `slo`).
    pub fn top(
        &self,
        from_us: i64,
        to_us: i64,
        dim: usize,
        slo: usize,
        limit: usize,
    ) -> Contributors {
        let (first, last) = (first_at_or_after(from_us), first_at_or_after(to_us));
        let first = first.max(self.held_from_us().div_euclid(MINUTE));
        let last = last.max(first);
        let mut slo_counts = SloCounts::default();
        // Per key: the sums over the minutes where it is tracked, and the absent bounds of
        // those minutes; `absent` sums the absent bounds over every minute.
        let mut keys: HashMap<&[u8], Sums> = HashMap::new();
        let mut absent = Sums::default();
        let mut overflowed = false;
        for m in self.minutes_between(first, last) {
            let Some(&counts) = m.slos.get(slo) else {
                continue;
            };
            slo_counts.bad = slo_counts.bad.saturating_add(counts.bad);
            slo_counts.total = slo_counts.total.saturating_add(counts.total);
            let Some(table) = m.tables.get(dim) else {
                continue;
            };
            let slos = self.shape.slos;
            overflowed |= table.overflowed();
            let counted: u64 = table
                .tracked(slo, slos)
                .map(|t| u64::from(t.counts.bad))
                .sum();
            let unaccounted = counts.bad.saturating_sub(counted);
            let untracked = u64::from(table.untracked(slo));
            let gone = Sums {
                bad: u64::from(table.floor()).min(unaccounted).min(untracked),
                total_max: untracked,
                ..Sums::default()
            };
            absent.add(&gone);
            for t in table.tracked(slo, slos) {
                let c = t.counts;
                let (bad, total) = (u64::from(c.bad), u64::from(c.total));
                let total_err = u64::from(c.total_err);
                let missing = u64::from(t.err).min(unaccounted).min(total_err);
                let s = keys.entry(t.key).or_default();
                s.add(&Sums {
                    bad: bad + missing,
                    bad_min: bad,
                    total,
                    total_max: total + total_err,
                    ..Sums::default()
                });
                s.add_absent(&gone);
            }
        }
        let mut all: Vec<Contributor> = keys
            .into_iter()
            .map(|(key, s)| s.contributor(key, &absent))
            .filter(|c| c.bad > 0)
            .collect();
        all.sort_by(|a, b| b.bad.cmp(&a.bad).then_with(|| a.key.cmp(&b.key)));
        let next = all.get(limit).map_or(0, |c| c.bad);
        all.truncate(limit);
        let listed: u64 = all.iter().map(|c| c.bad_min).sum();
        let unlisted_bad_max = next
            .max(absent.bad)
            .min(slo_counts.bad.saturating_sub(listed));
        Contributors {
            from_us: first.saturating_mul(MINUTE),
            to_us: last.saturating_mul(MINUTE),
            slo: slo_counts,
            top: all,
            unlisted_bad_max,
            overflowed,
        }
    }
}

/// A key's bounds summed over minutes, with the absent bounds of the minutes where the key
/// was tracked (`absent_bad`, `absent_total`), which its own bounds replace there.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    bad: u64,
    bad_min: u64,
    total: u64,
    total_max: u64,
    absent_bad: u64,
    absent_total: u64,
}

impl Sums {
    fn add(&mut self, o: &Sums) {
        self.bad = self.bad.saturating_add(o.bad);
        self.bad_min = self.bad_min.saturating_add(o.bad_min);
        self.total = self.total.saturating_add(o.total);
        self.total_max = self.total_max.saturating_add(o.total_max);
    }

    /// Notes that the key was tracked in a minute whose absent bounds are `gone`.
    fn add_absent(&mut self, gone: &Sums) {
        self.absent_bad = self.absent_bad.saturating_add(gone.bad);
        self.absent_total = self.absent_total.saturating_add(gone.total_max);
    }

    /// The key's bounds over every minute, `absent` holding the absent bounds summed over
    /// all of them: the key was absent from those minutes where it was not tracked.
    fn contributor(&self, key: &[u8], absent: &Sums) -> Contributor {
        let bad = self
            .bad
            .saturating_add(absent.bad.saturating_sub(self.absent_bad));
        let total_max = self
            .total_max
            .saturating_add(absent.total_max.saturating_sub(self.absent_total));
        Contributor {
            key: key.to_vec(),
            bad,
            bad_min: self.bad_min,
            total: self.total,
            total_max,
            exact: bad == self.bad_min && total_max == self.total,
        }
    }
}

mod contributors;
mod state;
pub use contributors::{Contributor, Contributors};
pub use state::{AttributionError, AttributionState, MinuteState};

#[cfg(test)]
mod tests;

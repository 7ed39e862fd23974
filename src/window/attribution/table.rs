//! One minute of one dimension: a Space-Saving summary of at most `k` keys, weighted by bad
//! events, with exact per-SLO counts from each key's insertion on and the error terms that
//! bound what came before.
//!
//! An entry's `weight` is its Space-Saving counter: the bad events counted for it (summed
//! over the SLOs) plus its error `err`, an upper bound on its bad events before it was
//! inserted. The table's `floor` bounds the weight of every key it does not track (0 until
//! an entry with bad events was evicted), and `untracked[slo]` counts every event of that
//! SLO not counted in a current entry: good-only events of keys met while the table was
//! full, and the counts of evicted entries. So an absent key's total is at most
//! `untracked[slo]`, and an entry's events before its insertion were at most the
//! `total_err` it took from `untracked` when it was inserted.
//!
//! Keys live in a per-table arena (copied once, on insert) and are found through an
//! open-addressing index of `u16` positions hashed once per event; only an eviction scans
//! the entries (for the lightest one).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use super::probe;

/// Longest key kept, in bytes; a longer key is cut there (so keys that share their first
/// `MAX_KEY_BYTES` bytes count as one).
pub const MAX_KEY_BYTES: usize = 128;
/// Most entries a table keeps: positions fit the `u16` index with room for its empty mark.
pub const MAX_KEYS_PER_TABLE: usize = 4096;
/// An index slot that holds no position.
const EMPTY: u16 = u16::MAX;

/// One key's counts for one SLO in one table: exact from the key's insertion on, and a
/// bound on what it had before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyCounts {
    /// Bad events counted for the key (a lower bound of its bad events).
    pub bad: u32,
    /// Events counted for the key (a lower bound of its events).
    pub total: u32,
    /// At most this many of the key's events were not counted in `total`.
    pub total_err: u32,
}

/// What events add to a key's counts for one SLO: one event's `bad` and `total` are each 0
/// or 1 (both 0 for an SLO that does not count it); a batch's events of one key add up
/// ([`super::BatchSums`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Delta {
    pub(super) bad: u32,
    pub(super) total: u32,
}

impl Delta {
    /// The delta of a verdict: `Some(bad)` counted, `None` not.
    pub(super) fn of(verdict: Option<bool>) -> Self {
        match verdict {
            Some(bad) => Self {
                bad: u32::from(bad),
                total: 1,
            },
            None => Self::default(),
        }
    }
}

/// A tracked key of a [`TableState`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryState {
    /// The key, as recorded (at most [`MAX_KEY_BYTES`]).
    pub key: Vec<u8>,
    /// At most this many bad events (summed over the SLOs) of the key were not counted.
    pub err: u32,
    /// Its counts, by SLO.
    pub counts: Vec<KeyCounts>,
}

/// One minute's summary of one dimension, as exported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableState {
    /// An upper bound on the bad events (summed over the SLOs) of any key not listed.
    pub floor: u32,
    /// Events of each SLO not counted for any listed key.
    pub untracked: Vec<u32>,
    /// The tracked keys.
    pub entries: Vec<EntryState>,
}

/// A tracked key: where its bytes are in the arena, its error and its Space-Saving weight.
#[derive(Debug, Clone, Copy)]
struct Entry {
    hash: u64,
    start: u32,
    len: u32,
    err: u32,
    weight: u32,
}

/// One tracked key's counts for one SLO, as the query reads them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tracked<'a> {
    pub(super) key: &'a [u8],
    pub(super) err: u32,
    pub(super) counts: KeyCounts,
}

/// See the [module documentation](self). Allocates nothing until its first key.
#[derive(Debug, Clone, Default)]
pub(super) struct Table {
    /// Positions in `entries` + open addressing by hash; a power of two at least `2 k` long.
    index: Box<[u16]>,
    entries: Vec<Entry>,
    /// `slos` counts per entry, in entry order.
    counts: Vec<KeyCounts>,
    arena: Vec<u8>,
    /// Arena bytes no entry uses any more.
    garbage: usize,
    floor: u32,
    /// By SLO; empty until the table first counts an untracked event.
    untracked: Vec<u32>,
}

/// The key as kept: cut at [`MAX_KEY_BYTES`].
fn cut(key: &[u8]) -> &[u8] {
    &key[..key.len().min(MAX_KEY_BYTES)]
}

/// Whether `a` and `b` are the same bytes: keys up to 16 bytes (most statuses, methods,
/// hosts and short paths) are compared in at most two overlapping words each way, without
/// calling `memcmp`.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or([0; 4]));
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// An arena offset or length; the arena stays far below 4 GiB (k × 128 bytes, twice).
fn narrow(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Table {
    /// Counts events of `key`: `deltas[slo]` is what they add for SLO `slo` of the table's
    /// `slos` (missing: nothing), `weight` their bad events summed over the SLOs. `k` is the
    /// most entries kept.
    #[inline]
    pub(super) fn record(
        &mut self,
        key: &[u8],
        deltas: &[Delta],
        weight: u32,
        k: usize,
        slos: usize,
    ) {
        let key = cut(key);
        let hash = xxh3_64(key);
        let at = match self.find(hash, key) {
            Some(at) => at,
            None if self.entries.len() < k => self.insert(hash, key, 0, k, slos),
            None if weight == 0 => {
                self.hold_untracked(slos);
                for (u, d) in self.untracked.iter_mut().zip(deltas) {
                    *u = u.saturating_add(d.total);
                }
                return;
            }
            None => self.evict_for(hash, key, slos),
        };
        let entry = &mut self.entries[at];
        entry.weight = entry.weight.saturating_add(weight);
        let counts = &mut self.counts[at * slos..][..slos];
        for (c, d) in counts.iter_mut().zip(deltas) {
            c.bad = c.bad.saturating_add(d.bad);
            c.total = c.total.saturating_add(d.total);
        }
    }

    /// The position of `key` (hashed to `hash`), if tracked.
    #[inline]
    fn find(&self, hash: u64, key: &[u8]) -> Option<usize> {
        if self.index.is_empty() {
            return None;
        }
        let i = probe(&self.index, EMPTY, hash, |at| {
            let e = &self.entries[usize::from(at)];
            e.hash == hash && same(self.key(e), key)
        });
        (self.index[i] != EMPTY).then(|| usize::from(self.index[i]))
    }

    fn key(&self, e: &Entry) -> &[u8] {
        &self.arena[e.start as usize..][..e.len as usize]
    }

    /// Appends a new entry for `key` with error `err` and zero counts; returns its position.
    fn insert(&mut self, hash: u64, key: &[u8], err: u32, k: usize, slos: usize) -> usize {
        if self.index.is_empty() {
            self.index = vec![EMPTY; (2 * k).next_power_of_two().max(4)].into_boxed_slice();
        }
        if self.entries.len() == self.entries.capacity() {
            // Grow by doubling, but never past k.
            let want = (self.entries.len() * 2).max(4).min(k.max(1));
            self.entries.reserve_exact(want - self.entries.len());
            self.counts.reserve_exact(want * slos - self.counts.len());
        }
        let at = self.entries.len();
        let start = self.arena.len();
        self.arena.extend_from_slice(key);
        self.entries.push(Entry {
            hash,
            start: narrow(start),
            len: narrow(key.len()),
            err,
            weight: err,
        });
        self.counts
            .extend(std::iter::repeat_n(KeyCounts::default(), slos));
        self.place(hash, at);
        at
    }

    /// Makes `untracked` hold `slos` counts.
    fn hold_untracked(&mut self, slos: usize) {
        if self.untracked.len() < slos {
            self.untracked.reserve_exact(slos - self.untracked.len());
            self.untracked.resize(slos, 0);
        }
    }

    /// Puts position `at` in the index.
    fn place(&mut self, hash: u64, at: usize) {
        let i = probe(&self.index, EMPTY, hash, |_| false);
        // k ≤ MAX_KEYS_PER_TABLE < u16::MAX.
        self.index[i] = u16::try_from(at).unwrap_or(EMPTY);
    }

    /// Takes position `at` out of the index (backward-shift deletion).
    fn unplace(&mut self, at: usize) {
        let mask = self.index.len() - 1;
        let mut hole = self.entries[at].hash as usize & mask;
        while usize::from(self.index[hole]) != at {
            hole = (hole + 1) & mask;
        }
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let moved = self.index[j];
            if moved == EMPTY {
                self.index[hole] = EMPTY;
                return;
            }
            let home = self.entries[usize::from(moved)].hash as usize & mask;
            // `moved` may fill the hole unless its home lies cyclically in (hole, j].
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.index[hole] = moved;
                hole = j;
            }
        }
    }

    /// Replaces the lightest entry (zero weights first, then the smallest key) by `key`,
    /// with the Space-Saving error; returns its position.
    fn evict_for(&mut self, hash: u64, key: &[u8], slos: usize) -> usize {
        let mut at = 0;
        for (i, e) in self.entries.iter().enumerate().skip(1) {
            let best = &self.entries[at];
            if e.weight < best.weight || (e.weight == best.weight && self.key(e) < self.key(best)) {
                at = i;
            }
        }
        let victim = self.entries[at];
        self.hold_untracked(slos);
        let counts = &mut self.counts[at * slos..][..slos];
        for (c, u) in counts.iter_mut().zip(&mut self.untracked) {
            // The newcomer's earlier events are among those untracked so far; then the
            // victim's counted events become untracked.
            let gone = c.total;
            *c = KeyCounts {
                bad: 0,
                total: 0,
                total_err: *u,
            };
            *u = u.saturating_add(gone);
        }
        self.floor = self.floor.max(victim.weight);
        self.unplace(at);
        self.store_key(at, key, victim);
        self.entries[at].hash = hash;
        self.entries[at].err = victim.weight;
        self.entries[at].weight = victim.weight;
        self.place(hash, at);
        at
    }

    /// Writes `key` into the arena for entry `at`, which held `old`'s bytes; compacts the
    /// arena when it is full and holds garbage.
    fn store_key(&mut self, at: usize, key: &[u8], old: Entry) {
        self.garbage += old.len as usize;
        if self.arena.len() + key.len() > self.arena.capacity() && self.garbage > 0 {
            let live = self.arena.len() - self.garbage + key.len();
            let mut fresh = Vec::with_capacity(2 * live);
            for (i, e) in self.entries.iter_mut().enumerate() {
                if i != at {
                    let start = fresh.len();
                    fresh.extend_from_slice(&self.arena[e.start as usize..][..e.len as usize]);
                    e.start = narrow(start);
                }
            }
            self.arena = fresh;
            self.garbage = 0;
        }
        let start = self.arena.len();
        self.arena.extend_from_slice(key);
        self.entries[at].start = narrow(start);
        self.entries[at].len = narrow(key.len());
    }
}

impl Table {
    /// Empties the table for another minute, keeping its allocations.
    pub(super) fn reset(&mut self) {
        self.index.fill(EMPTY);
        self.entries.clear();
        self.counts.clear();
        self.arena.clear();
        self.garbage = 0;
        self.floor = 0;
        self.untracked.fill(0);
    }

    /// Heap bytes held.
    pub(super) fn heap_bytes(&self) -> usize {
        self.index.len() * size_of::<u16>()
            + self.entries.capacity() * size_of::<Entry>()
            + self.counts.capacity() * size_of::<KeyCounts>()
            + self.arena.capacity()
            + self.untracked.capacity() * size_of::<u32>()
    }

    /// The most heap bytes a full table of `k` keys of at most `key_bytes` bytes holds for
    /// `slos` SLOs: the index, the entries and their counts, `untracked`, and an arena of at
    /// most twice the live key bytes (it grows by doubling and is compacted, to twice what
    /// is live, when full of garbage).
    pub(super) fn max_heap_bytes(k: usize, slos: usize, key_bytes: usize) -> usize {
        let key_bytes = key_bytes.min(MAX_KEY_BYTES);
        (2 * k).next_power_of_two().max(4) * size_of::<u16>()
            + k * (size_of::<Entry>() + slos * size_of::<KeyCounts>())
            + slos * size_of::<u32>()
            + 2 * k * key_bytes
    }

    /// The bound on the bad events (summed over the SLOs) of any key not tracked.
    pub(super) fn floor(&self) -> u32 {
        self.floor
    }

    /// SLO `slo`'s events not counted for any tracked key.
    pub(super) fn untracked(&self, slo: usize) -> u32 {
        self.untracked.get(slo).copied().unwrap_or(0)
    }

    /// Whether any key's counts are inexact: an untracked event was met or a key evicted.
    pub(super) fn overflowed(&self) -> bool {
        self.floor > 0 || self.untracked.iter().any(|&u| u > 0)
    }

    /// Every tracked key with its error and its counts for SLO `slo` (of `slos`).
    pub(super) fn tracked(&self, slo: usize, slos: usize) -> impl Iterator<Item = Tracked<'_>> {
        self.entries.iter().enumerate().map(move |(i, e)| Tracked {
            key: self.key(e),
            err: e.err,
            counts: self.counts[i * slos + slo],
        })
    }

    /// The table as exported, entries in the order kept.
    pub(super) fn export(&self, slos: usize) -> TableState {
        let mut untracked = self.untracked.clone();
        untracked.resize(slos, 0);
        TableState {
            floor: self.floor,
            untracked,
            entries: self
                .entries
                .iter()
                .enumerate()
                .map(|(i, e)| EntryState {
                    key: self.key(e).to_vec(),
                    err: e.err,
                    counts: self.counts[i * slos..][..slos].to_vec(),
                })
                .collect(),
        }
    }

    /// Adds `other` (of the same minute and dimension, `slos` counts per entry, checked by
    /// the caller) by the mergeable-summaries rule: counts and errors of a key on both sides
    /// add; a key on one side only takes the other side's floor into its `err` and the
    /// other side's untracked events into its `total_err`; floors and untracked events add.
    /// Beyond `k` keys the heaviest are kept (ties by key) and the rest folded: their counts
    /// into `untracked`, their weight into the floor.
    pub(super) fn merge(&mut self, other: &TableState, k: usize, slos: usize) {
        let mine = self.export(slos);
        let mut merged: Vec<EntryState> = mine.entries;
        let mut at: HashMap<Vec<u8>, usize> = merged
            .iter()
            .enumerate()
            .map(|(i, e)| (e.key.clone(), i))
            .collect();
        let mut both = vec![false; merged.len()];
        for e in &other.entries {
            let key = cut(&e.key);
            match at.get(key) {
                Some(&i) => {
                    if let Some(b) = both.get_mut(i) {
                        *b = true;
                    }
                    let m = &mut merged[i];
                    m.err = m.err.saturating_add(e.err);
                    for (c, o) in m.counts.iter_mut().zip(&e.counts) {
                        c.bad = c.bad.saturating_add(o.bad);
                        c.total = c.total.saturating_add(o.total);
                        c.total_err = c.total_err.saturating_add(o.total_err);
                    }
                }
                None => {
                    at.insert(key.to_vec(), merged.len());
                    let counts = e
                        .counts
                        .iter()
                        .zip(&mine.untracked)
                        .map(|(o, u)| KeyCounts {
                            total_err: o.total_err.saturating_add(*u),
                            ..*o
                        })
                        .collect();
                    merged.push(EntryState {
                        key: key.to_vec(),
                        err: e.err.saturating_add(mine.floor),
                        counts,
                    });
                }
            }
        }
        for (m, _) in merged.iter_mut().zip(&both).filter(|(_, b)| !**b) {
            m.err = m.err.saturating_add(other.floor);
            for (c, u) in m.counts.iter_mut().zip(&other.untracked) {
                c.total_err = c.total_err.saturating_add(*u);
            }
        }
        let mut floor = mine.floor.saturating_add(other.floor);
        let mut untracked: Vec<u32> = mine
            .untracked
            .iter()
            .zip(&other.untracked)
            .map(|(a, b)| a.saturating_add(*b))
            .collect();
        if merged.len() > k {
            merged.sort_by(|a, b| weight(b).cmp(&weight(a)).then_with(|| a.key.cmp(&b.key)));
            for gone in merged.drain(k..) {
                floor = floor.max(weight(&gone));
                for (u, c) in untracked.iter_mut().zip(&gone.counts) {
                    *u = u.saturating_add(c.total);
                }
            }
        }
        self.reset();
        self.floor = floor;
        self.untracked = untracked;
        for e in &merged {
            let i = self.insert(xxh3_64(&e.key), &e.key, e.err, k, slos);
            self.entries[i].weight = weight(e);
            for (c, o) in self.counts[i * slos..][..slos].iter_mut().zip(&e.counts) {
                *c = *o;
            }
        }
    }
}

#[cfg(test)]
impl Table {
    /// What every operation keeps: at most `k` entries of `slos` counts; each key found
    /// through the index at its position, and once; each weight its error plus its bad
    /// events; the floor at most every weight; the arena holding the live keys and the
    /// garbage it counts.
    pub(super) fn invariants(&self, k: usize, slos: usize) -> Result<(), String> {
        let mut keys = std::collections::BTreeSet::new();
        if self.entries.len() > k || self.counts.len() != self.entries.len() * slos {
            return Err(format!(
                "{} entries, {} counts",
                self.entries.len(),
                self.counts.len()
            ));
        }
        let occupied = self.index.iter().filter(|&&i| i != EMPTY).count();
        if occupied != self.entries.len() {
            return Err(format!(
                "{occupied} indexed, {} entries",
                self.entries.len()
            ));
        }
        for (i, e) in self.entries.iter().enumerate() {
            let key = self.key(e);
            if self.find(e.hash, key) != Some(i) || !keys.insert(key) || e.hash != xxh3_64(key) {
                return Err(format!(
                    "entry {i} ({key:?}) not found at its place, or twice"
                ));
            }
            let counts = &self.counts[i * slos..][..slos];
            let bad = counts.iter().fold(e.err, |w, c| w.saturating_add(c.bad));
            if e.weight != bad || self.floor > e.weight {
                return Err(format!(
                    "entry {i}: weight {} of {bad}, floor {}",
                    e.weight, self.floor
                ));
            }
        }
        let live: usize = keys.iter().map(|k| k.len()).sum();
        if self.arena.len() != live + self.garbage {
            return Err(format!(
                "arena {} for {live} live, {} garbage",
                self.arena.len(),
                self.garbage
            ));
        }
        Ok(())
    }
}

/// An exported entry's Space-Saving weight: its error plus its bad events over the SLOs.
fn weight(e: &EntryState) -> u32 {
    e.counts.iter().fold(e.err, |w, c| w.saturating_add(c.bad))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::same;

    proptest! {
        /// `same` is `==` on every length it compares in words, for equal keys, keys that
        /// differ in one byte anywhere, and unrelated keys.
        #[test]
        fn same_is_equality(
            a in prop::collection::vec(0..3u8, 0..24),
            b in prop::collection::vec(0..3u8, 0..24),
            flip in any::<prop::sample::Index>(),
        ) {
            prop_assert_eq!(same(&a, &b), a == b);
            prop_assert!(same(&a, &a.clone()));
            if !a.is_empty() {
                let mut c = a.clone();
                c[flip.index(a.len())] ^= 0x80;
                prop_assert!(!same(&a, &c));
            }
        }
    }
}

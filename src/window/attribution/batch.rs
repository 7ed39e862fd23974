//! A batch's burn attribution, summed before it is counted: the events of one service with
//! the same minute and the same key in every dimension add up into one sum, and each sum
//! updates its service's [`AttributionRing`] once, when the batch ends
//! ([`BatchSums::flush`]). A batch of a thousand requests holds a few dozen distinct
//! combinations of route, status, backend, host and method per service, so the five table
//! updates of each event become five per combination.
//!
//! What a ring holds afterwards is what counting the events one by one gives, with one
//! difference: within a batch, sums reach the ring in the order their first event came, so
//! once a table is full its evictions may differ. Both orders are streams the Space-Saving
//! bounds hold for, and while every key fits, every count is the same. An SLO's counts of a
//! minute do not depend on the order at all. The minute is part of what is summed, so a sum
//! lands in the slot its events would have (a minute the ring no longer holds drops it, as
//! it drops each of its events).
//!
//! A batch holds at most [`BatchSums::MAX_SUMS`] sums; the caller flushes when it is full.
//! The buffers are kept between batches: for 4,096 sums of 100 bytes of keys and a few
//! SLOs, about 1 MiB.

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::table::Delta;
use super::{AttributionRing, probe};
use crate::time::MINUTE;
use crate::window::Decided;

/// An index slot that holds no sum.
const EMPTY: u32 = u32::MAX;

/// One sum: its service and minute, its keys (`keys` in the arena, each key's length in
/// `lens`), and what its events add for each of the service's SLOs (in `deltas`).
#[derive(Debug, Clone)]
struct Sum {
    hash: u64,
    service: usize,
    /// Its minute's index (µs / [`MINUTE`]).
    minute: i64,
    keys: std::ops::Range<usize>,
    lens: std::ops::Range<usize>,
    deltas: std::ops::Range<usize>,
}

/// See the [module documentation](self).
#[derive(Debug, Clone, Default)]
pub struct BatchSums {
    /// In the order of their first event.
    sums: Vec<Sum>,
    /// Positions in `sums`, open addressing by hash; a power of two at least twice as long.
    index: Vec<u32>,
    keys: Vec<u8>,
    lens: Vec<u32>,
    deltas: Vec<Delta>,
}

impl BatchSums {
    /// The most sums held before [`is_full`](Self::is_full) asks for a flush.
    pub const MAX_SUMS: usize = 4096;

    /// No sums.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the caller must [`flush`](Self::flush) before adding more.
    pub fn is_full(&self) -> bool {
        self.sums.len() >= Self::MAX_SUMS
    }

    /// Whether it holds nothing to count.
    pub fn is_empty(&self) -> bool {
        self.sums.is_empty()
    }

    /// Adds `event`, of service `service`, to the sum of its minute and keys; an event
    /// without keys, or that no SLO counts, adds nothing.
    pub fn add(&mut self, service: usize, event: &Decided<'_>) {
        if event.keys.is_empty() {
            return;
        }
        self.add_parts(
            service,
            event.time_us,
            event.keys.bytes(),
            event.keys.lens(),
            event.outcomes.iter().map(|o| o.good().map(|good| !good)),
        );
    }

    /// [`add`](Self::add) of an event at `time_us` whose keys are `bytes`, one after the
    /// other, of lengths `lens`, and whose verdicts by SLO are `verdicts` (`Some(true)` bad,
    /// `Some(false)` good, `None` not counted).
    pub fn add_parts(
        &mut self,
        service: usize,
        time_us: i64,
        bytes: &[u8],
        lens: impl Iterator<Item = u32> + Clone,
        verdicts: impl Iterator<Item = Option<bool>> + Clone,
    ) {
        if verdicts.clone().all(|v| v.is_none()) {
            return;
        }
        let minute = time_us.div_euclid(MINUTE);
        let seed = (service as u64).rotate_left(40) ^ minute as u64;
        let mut hash = xxh3_64_with_seed(bytes, seed);
        for len in lens.clone() {
            hash = (hash ^ u64::from(len)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
        hash ^= hash >> 29;
        let at = match self.find(hash, service, minute, bytes, lens.clone()) {
            Some(at) => at,
            None => self.insert(hash, service, minute, bytes, lens, verdicts.clone().count()),
        };
        let range = self.sums[at].deltas.clone();
        for (d, v) in self.deltas[range].iter_mut().zip(verdicts) {
            if let Some(bad) = v {
                d.bad = d.bad.saturating_add(u32::from(bad));
                d.total = d.total.saturating_add(1);
            }
        }
    }

    /// The position of the sum of these keys (hashed to `hash`), if there is one.
    fn find(
        &self,
        hash: u64,
        service: usize,
        minute: i64,
        bytes: &[u8],
        lens: impl Iterator<Item = u32> + Clone,
    ) -> Option<usize> {
        if self.index.is_empty() {
            return None;
        }
        let i = probe(&self.index, EMPTY, hash, |at| {
            let s = &self.sums[at as usize];
            s.hash == hash
                && s.service == service
                && s.minute == minute
                && self.keys[s.keys.clone()] == *bytes
                && self.lens[s.lens.clone()].iter().copied().eq(lens.clone())
        });
        (self.index[i] != EMPTY).then(|| self.index[i] as usize)
    }

    /// Starts a sum of these keys, with nothing counted for `slos` SLOs; returns its
    /// position.
    fn insert(
        &mut self,
        hash: u64,
        service: usize,
        minute: i64,
        bytes: &[u8],
        lens: impl Iterator<Item = u32>,
        slos: usize,
    ) -> usize {
        if 2 * (self.sums.len() + 1) > self.index.len() {
            self.grow();
        }
        let at = self.sums.len();
        let (keys, first_len, deltas) = (self.keys.len(), self.lens.len(), self.deltas.len());
        self.keys.extend_from_slice(bytes);
        self.lens.extend(lens);
        self.deltas
            .extend(std::iter::repeat_n(Delta::default(), slos));
        self.sums.push(Sum {
            hash,
            service,
            minute,
            keys: keys..self.keys.len(),
            lens: first_len..self.lens.len(),
            deltas: deltas..self.deltas.len(),
        });
        self.place(hash, at);
        at
    }

    /// Doubles the index (at least 64 slots) and places every sum again.
    fn grow(&mut self) {
        let len = (2 * self.index.len()).max(64);
        self.index.clear();
        self.index.resize(len, EMPTY);
        for at in 0..self.sums.len() {
            self.place(self.sums[at].hash, at);
        }
    }

    fn place(&mut self, hash: u64, at: usize) {
        let i = probe(&self.index, EMPTY, hash, |_| false);
        // At most MAX_SUMS + a batch's worth of sums: far below u32::MAX.
        self.index[i] = u32::try_from(at).unwrap_or(EMPTY);
    }

    /// Counts every sum, in the order of its first event, in its service's ring in `rings`
    /// (by service index; grown as needed, a ring made by `make` with the service's SLO
    /// count at its first sum), and empties the batch, keeping its buffers.
    pub fn flush(
        &mut self,
        rings: &mut Vec<Option<AttributionRing>>,
        make: impl Fn(usize) -> AttributionRing,
    ) {
        for s in &self.sums {
            if rings.len() <= s.service {
                rings.resize_with(s.service + 1, || None);
            }
            let deltas = &self.deltas[s.deltas.clone()];
            let ring = rings[s.service].get_or_insert_with(|| make(deltas.len()));
            let mut start = s.keys.start;
            let keys = self.lens[s.lens.clone()].iter().map(|&len| {
                let key = &self.keys[start..start + len as usize];
                start += len as usize;
                key
            });
            ring.count(s.minute.saturating_mul(MINUTE), keys, deltas);
        }
        if !self.sums.is_empty() {
            self.index.fill(EMPTY);
        }
        self.sums.clear();
        self.keys.clear();
        self.lens.clear();
        self.deltas.clear();
    }
}

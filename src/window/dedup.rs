//! Bounded de-duplication of redelivered events by request id, per shard.
//!
//! Shippers and load balancers redeliver (ALB writes a log file more than once now and then;
//! an at-least-once shipper resends after a timeout). When configured, a shard remembers the
//! 64-bit XXH3 hash of the request id of every event it applied whose event time is within
//! `window` of the newest event it has seen, at most `max_ids` of them, and drops an event
//! whose id it remembers. Ids are forgotten oldest-event-time first when they fall out of the
//! window, and oldest-inserted first when the set is full, so memory is bounded by `max_ids`.
//!
//! Exactness and limits: two different ids collide with probability about n² / 2⁶⁵ (1 in
//! 40 million for a million ids in the set); a duplicate whose original fell out of the window
//! or was evicted for room is counted again; duplicates are caught within a partition only
//! (a shipper redelivers to the same partition when it keys by source). Events without an id
//! are never de-duplicated. The remembered ids are part of the shard's checkpoint, so a
//! restart neither forgets them nor counts a redelivery twice.

use std::collections::{HashMap, VecDeque};

/// De-duplication settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DedupConfig {
    /// Ids are remembered while their event time is within this of the newest event, µs.
    pub window_us: i64,
    /// At most this many ids are remembered per partition.
    pub max_ids: usize,
}

/// The remembered ids of one shard.
#[derive(Debug, Default, Clone)]
pub struct Dedup {
    /// Hash → event time, for lookup.
    seen: HashMap<u64, i64>,
    /// `(event time, hash)` in insertion order, for eviction.
    order: VecDeque<(i64, u64)>,
    /// Ids remembered so far (not saved: marks are taken and used within one process).
    inserted: u64,
}

impl Dedup {
    /// The hash an id is remembered by (stable across versions and processes).
    pub fn hash(id: &[u8]) -> u64 {
        xxhash_rust::xxh3::xxh3_64(id)
    }

    /// Number of ids remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// True when no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Remembers `id` of an event at `time_us`; false if it was already remembered (a
    /// duplicate). `newest_us` is the shard's newest event time, from which ids older than
    /// the window are forgotten.
    pub fn first_sighting(
        &mut self,
        id: &[u8],
        time_us: i64,
        newest_us: i64,
        config: &DedupConfig,
    ) -> bool {
        self.first_sighting_hash(Self::hash(id), time_us, newest_us, config)
    }

    /// [`Dedup::first_sighting`] for an id already hashed with [`Dedup::hash`].
    pub fn first_sighting_hash(
        &mut self,
        h: u64,
        time_us: i64,
        newest_us: i64,
        config: &DedupConfig,
    ) -> bool {
        if self.seen.contains_key(&h) {
            return false;
        }
        self.forget_older_than(newest_us.saturating_sub(config.window_us));
        while self.seen.len() >= config.max_ids.max(1) {
            self.pop_oldest();
        }
        self.seen.insert(h, time_us);
        self.order.push_back((time_us, h));
        self.inserted += 1;
        true
    }

    /// Ids remembered so far, forgotten ones included: a mark for [`Dedup::since`].
    pub fn inserted(&self) -> u64 {
        self.inserted
    }

    /// The ids remembered after [`Dedup::inserted`] returned `mark`, oldest first, except
    /// those already forgotten again.
    pub fn since(&self, mark: u64) -> Vec<(i64, u64)> {
        let n = usize::try_from(self.inserted.saturating_sub(mark)).unwrap_or(usize::MAX);
        let skip = self.order.len().saturating_sub(n);
        self.order.iter().skip(skip).copied().collect()
    }

    /// Forgets ids whose event time is before `cutoff_us`, scanning from the oldest inserted
    /// (events arrive roughly in time order, so this stops early).
    fn forget_older_than(&mut self, cutoff_us: i64) {
        while let Some(&(t, _)) = self.order.front() {
            if t >= cutoff_us {
                break;
            }
            self.pop_oldest();
        }
    }

    fn pop_oldest(&mut self) {
        if let Some((_, h)) = self.order.pop_front() {
            self.seen.remove(&h);
        }
    }

    /// The remembered `(event time, hash)` pairs, oldest inserted first, for a checkpoint.
    pub fn export(&self) -> Vec<(i64, u64)> {
        self.order.iter().copied().collect()
    }

    /// Remembers `entries` (from [`Dedup::export`]) again.
    pub fn import(entries: &[(i64, u64)]) -> Self {
        let mut d = Dedup::default();
        for &(t, h) in entries {
            if d.seen.insert(h, t).is_none() {
                d.order.push_back((t, h));
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: DedupConfig = DedupConfig {
        window_us: 100,
        max_ids: 3,
    };

    #[test]
    fn a_repeated_id_is_a_duplicate_within_the_window() {
        let mut d = Dedup::default();
        assert!(d.first_sighting(b"a", 10, 10, &C));
        assert!(!d.first_sighting(b"a", 10, 10, &C));
        assert!(d.first_sighting(b"b", 11, 11, &C));
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn ids_older_than_the_window_are_forgotten() {
        let mut d = Dedup::default();
        assert!(d.first_sighting(b"a", 10, 10, &C));
        // Newest is now 200: "a" (10) is older than 200 - 100 and is forgotten first.
        assert!(d.first_sighting(b"b", 200, 200, &C));
        assert_eq!(d.len(), 1);
        assert!(d.first_sighting(b"a", 10, 200, &C));
    }

    #[test]
    fn the_set_never_exceeds_its_bound() {
        let mut d = Dedup::default();
        for i in 0..10u32 {
            assert!(d.first_sighting(&i.to_le_bytes(), 50, 50, &C));
            assert!(d.len() <= C.max_ids);
        }
        // The oldest inserted were evicted for room; the newest three are remembered.
        assert!(!d.first_sighting(&9u32.to_le_bytes(), 50, 50, &C));
        assert!(d.first_sighting(&0u32.to_le_bytes(), 50, 50, &C));
    }

    #[test]
    fn export_and_import_round_trip() {
        let mut d = Dedup::default();
        for id in [b"x", b"y", b"z"] {
            d.first_sighting(id, 5, 5, &C);
        }
        let back = Dedup::import(&d.export());
        assert_eq!(back.export(), d.export());
        let mut back = back;
        assert!(!back.first_sighting(b"y", 5, 5, &C));
    }
}

//! The counters as a checkpoint keeps them: every live, non-empty bucket of every tier
//! ([`TierState`]) and the daily history's days, and adding them back at a restore.

use super::{COLD, SloCounters};
use crate::window::history::History;

/// The retained buckets of one tier: its width and every non-empty `(bucket, good, total)`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TierState {
    /// Bucket width, µs.
    pub width_us: i64,
    /// Non-empty buckets: epoch bucket index, good, total.
    pub buckets: Vec<(i64, u64, u64)>,
}

impl SloCounters {
    /// Every live, non-empty bucket of every tier, for a checkpoint. Stale slots (buckets
    /// older than the tier retains, never read again) are left out, so the state does not
    /// depend on whether an old event arrived before or after newer ones rotated it out.
    pub fn export(&self) -> Vec<TierState> {
        self.tiers
            .iter()
            .map(|ring| TierState {
                width_us: ring.width,
                buckets: ring
                    .slots
                    .iter()
                    .filter(|s| {
                        s.bucket != i64::MIN && s.bucket >= ring.oldest_live() && s.total > 0
                    })
                    .map(|s| (s.bucket, s.good, s.total))
                    .collect(),
            })
            .collect()
    }

    /// The daily history's kept days with events, `(day, good, total)`, for a checkpoint.
    pub fn export_history(&self) -> Vec<(i64, u64, u64)> {
        self.history.as_ref().map_or_else(Vec::new, History::export)
    }

    /// Adds exported history days back (nothing when this layout keeps no history).
    pub fn import_history(&mut self, days: &[(i64, u64, u64)]) {
        if let Some(h) = &mut self.history {
            h.import(days);
        }
    }

    /// Adds exported buckets back. Tiers are matched by width, so a checkpoint taken with a
    /// different layout restores whatever tiers both share; a bucket the ring no longer
    /// retains is skipped like a too-old event.
    pub fn import(&mut self, tiers: &[TierState]) {
        // What was counted before the checkpoint is here only as far back as each tier of
        // the counters it came from reached: the tiers agree only after the newest bucket
        // restored.
        let restored_to = tiers
            .iter()
            .filter_map(|s| {
                let newest = s.buckets.iter().map(|&(b, ..)| b).max()?;
                Some(newest.saturating_add(1).saturating_mul(s.width_us))
            })
            .max();
        self.agrees_from = self.agrees_from.max(restored_to.unwrap_or(i64::MIN));
        for state in tiers {
            let Some(ring) = self.tiers.iter_mut().find(|r| r.width == state.width_us) else {
                continue;
            };
            for &(bucket, good, total) in &state.buckets {
                if bucket > ring.newest {
                    ring.advance(bucket);
                } else if bucket < ring.oldest_live() {
                    continue;
                }
                ring.put(ring.slot_of(bucket), bucket, good.min(total), total);
            }
            ring.hot = COLD;
        }
    }
}

//! An attribution ring's minutes as data: for a checkpoint (export, then import into an
//! empty ring gives the same answers) and for cluster deltas (a member sends its minutes,
//! the fold merges them into its own by the mergeable-summaries rule, see
//! [`AttributionRing::merge_minute`]). Keys travel as bytes; the types are postcard-friendly.

use serde::{Deserialize, Serialize};

use super::{AttributionRing, NONE, SloCounts, TableState};
use crate::time::MINUTE;

/// One minute of a ring.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinuteState {
    /// Its index (µs / 60 s).
    pub minute: i64,
    /// Each SLO's exact counts, by SLO.
    pub slos: Vec<SloCounts>,
    /// One table per dimension (none when the minute counted no event).
    pub tables: Vec<TableState>,
}

/// Every minute a ring holds, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributionState {
    /// The held minutes that counted an event.
    pub minutes: Vec<MinuteState>,
}

/// Why minutes cannot be merged into a ring: their shape is not the ring's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttributionError {
    /// A minute has counts for another number of SLOs.
    #[error("minute {minute} has {found} SLOs, the ring {expected}")]
    Slos {
        /// The minute's index.
        minute: i64,
        /// The ring's SLOs.
        expected: usize,
        /// The minute's.
        found: usize,
    },
    /// A minute has another number of dimensions.
    #[error("minute {minute} has {found} dimensions, the ring {expected}")]
    Dims {
        /// The minute's index.
        minute: i64,
        /// The ring's dimensions.
        expected: usize,
        /// The minute's.
        found: usize,
    },
}

impl AttributionRing {
    /// Every held minute that counted an event, oldest first.
    pub fn export(&self) -> AttributionState {
        let (first, last) = (i64::MIN, i64::MAX);
        AttributionState {
            minutes: self
                .minutes_between(first, last)
                .filter_map(|m| self.export_minute(m.minute.saturating_mul(MINUTE)))
                .collect(),
        }
    }

    /// The minute holding `time_us`, if the ring holds it and it counted an event: what a
    /// cluster member sends of that minute.
    pub fn export_minute(&self, time_us: i64) -> Option<MinuteState> {
        let m = self.minute(time_us.div_euclid(MINUTE))?;
        if m.slos.iter().all(|c| c.total == 0) {
            return None;
        }
        Some(MinuteState {
            minute: m.minute,
            slos: m.slos.clone(),
            tables: m.tables.iter().map(|t| t.export(self.shape.slos)).collect(),
        })
    }

    /// Checks that `state` has this ring's shape.
    fn check(&self, state: &MinuteState) -> Result<(), AttributionError> {
        let (slos, dims) = (self.shape.slos, self.shape.dims);
        let slos_err = |found| AttributionError::Slos {
            minute: state.minute,
            expected: slos,
            found,
        };
        if state.slos.len() != slos {
            return Err(slos_err(state.slos.len()));
        }
        if !state.tables.is_empty() && state.tables.len() != dims {
            return Err(AttributionError::Dims {
                minute: state.minute,
                expected: dims,
                found: state.tables.len(),
            });
        }
        for t in &state.tables {
            if t.untracked.len() != slos {
                return Err(slos_err(t.untracked.len()));
            }
            if let Some(e) = t.entries.iter().find(|e| e.counts.len() != slos) {
                return Err(slos_err(e.counts.len()));
            }
        }
        Ok(())
    }

    /// Adds another ring's minute (of the same shape): SLO counts add, and each table
    /// merges by the mergeable-summaries rule (counts of a key on both sides add; a key on
    /// one side only takes the other side's floor and untracked events into its errors;
    /// beyond k keys the heaviest are kept and the rest folded into the floor and the
    /// untracked events). So every bound still contains the true counts of both sides, and
    /// into an empty minute the answers are the exported ring's. A minute older than the
    /// ring holds (after making it the newest if newer) is skipped.
    pub fn merge_minute(&mut self, state: &MinuteState) -> Result<(), AttributionError> {
        self.check(state)?;
        self.merge_checked(state);
        Ok(())
    }

    fn merge_checked(&mut self, state: &MinuteState) {
        let Some(slot) = self.hold(state.minute) else {
            return;
        };
        self.hot = None;
        // As with events: the ring counts from the first minute it took in.
        if self.since == NONE {
            self.since = state.minute.saturating_mul(MINUTE);
        }
        let shape = self.shape;
        let minute = &mut self.slots[slot];
        for (c, o) in minute.slos.iter_mut().zip(&state.slos) {
            c.bad = c.bad.saturating_add(o.bad);
            c.total = c.total.saturating_add(o.total);
        }
        if state.tables.is_empty() {
            return;
        }
        for (table, other) in minute.tables_mut(shape.dims).iter_mut().zip(&state.tables) {
            table.merge(other, shape.keys_per_table, shape.slos);
        }
    }

    /// Merges every minute of `state` ([`AttributionRing::merge_minute`]); nothing when one
    /// of them does not have this ring's shape.
    pub fn import(&mut self, state: &AttributionState) -> Result<(), AttributionError> {
        for m in &state.minutes {
            self.check(m)?;
        }
        for m in &state.minutes {
            self.merge_checked(m);
        }
        Ok(())
    }
}

//! The fold's positions: for every raw partition (a *source*), which writer's deltas count and
//! where its accepted data ends.
//!
//! Records arrive in the delta log's one order. A **fence** `(source, epoch, start)` with a
//! higher [`Epoch`] than the source's current one makes that epoch current (and, for a source
//! never seen, sets its position to `start`). A **delta** `(source, epoch, [from, to))`
//! counts only if its epoch is the current one and `from` is exactly where the accepted data
//! ends; then the position moves to `to`. Everything else is skipped, with the reason.
//!
//! So whatever a fenced writer (a zombie) writes after the fence is skipped, a delta written
//! twice (a retried produce) counts once, and a new owner that resumes from the position it
//! reads after its own fence was applied never overlaps nor misses an accepted range. Every
//! instance that applies the same log reaches the same positions.

use std::collections::BTreeMap;

use crate::source::PartitionId;

/// A writer's claim on a source: a number, then the member id to order claimants that
/// raced to the same number. Compared by number first.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Epoch {
    /// One more than the highest number the claimant saw.
    pub number: u64,
    /// The claimant's member id.
    pub member: String,
}

/// What the fold did with a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A fence that made its epoch the source's current one.
    Fenced,
    /// A fence no higher than the current epoch: ignored.
    FenceIgnored,
    /// A delta that counts: its counts are to be applied, and the position moved.
    Apply,
    /// A delta of an older epoch (a fenced writer's): skipped.
    Stale,
    /// A delta of the current epoch that does not start where the accepted data ends (a
    /// retried write, or a writer resumed from elsewhere): skipped.
    NotNext {
        /// Where the accepted data ends.
        expected: u64,
    },
    /// A delta for a source no fence has claimed, or with `to < from`: skipped.
    Invalid,
}

/// One source's current epoch and the offset its accepted data ends at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePosition {
    /// The current epoch.
    pub epoch: Epoch,
    /// The first raw offset not yet counted.
    pub next: u64,
}

/// The positions of every source, as the log so far decides them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Positions {
    sources: BTreeMap<PartitionId, SourcePosition>,
}

impl Positions {
    /// Applies a fence of `source` by a writer of `epoch` that would start a new source at
    /// `start`.
    pub fn fence(&mut self, source: PartitionId, epoch: &Epoch, start: u64) -> Verdict {
        match self.sources.get_mut(&source) {
            Some(p) if *epoch <= p.epoch => Verdict::FenceIgnored,
            Some(p) => {
                p.epoch = epoch.clone();
                Verdict::Fenced
            }
            None => {
                let p = SourcePosition {
                    epoch: epoch.clone(),
                    next: start,
                };
                self.sources.insert(source, p);
                Verdict::Fenced
            }
        }
    }

    /// Judges a delta of `source` by a writer of `epoch` covering raw offsets `[from, to)`,
    /// and moves the position when it counts. An empty range (`from == to`) at the position
    /// counts: it carries a watermark and no events.
    pub fn delta(&mut self, source: PartitionId, epoch: &Epoch, from: u64, to: u64) -> Verdict {
        let Some(p) = self.sources.get_mut(&source) else {
            return Verdict::Invalid;
        };
        if to < from {
            return Verdict::Invalid;
        }
        if *epoch < p.epoch {
            return Verdict::Stale;
        }
        if *epoch > p.epoch {
            // A writer must fence before it writes; one that did not is not the owner.
            return Verdict::Invalid;
        }
        if from != p.next {
            return Verdict::NotNext { expected: p.next };
        }
        p.next = to;
        Verdict::Apply
    }

    /// The current epoch and position of `source`, if a fence claimed it.
    pub fn get(&self, source: PartitionId) -> Option<&SourcePosition> {
        self.sources.get(&source)
    }

    /// Every source's position, by partition.
    pub fn all(&self) -> impl Iterator<Item = (PartitionId, &SourcePosition)> {
        self.sources.iter().map(|(p, s)| (*p, s))
    }

    /// Positions as [`Positions::all`] listed them (a snapshot's).
    pub fn from_all(all: impl IntoIterator<Item = (PartitionId, SourcePosition)>) -> Self {
        Self {
            sources: all.into_iter().collect(),
        }
    }

    /// The epoch a new claimant of `source` takes: one more than the current number.
    pub fn next_epoch(&self, source: PartitionId, member: &str) -> Epoch {
        Epoch {
            number: self.sources.get(&source).map_or(1, |p| p.epoch.number + 1),
            member: member.to_string(),
        }
    }
}

#[cfg(test)]
mod tests;

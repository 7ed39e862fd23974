//! How many buckets each tier of one SLO keeps: [`Retention`] says what the SLO must keep
//! (its windows, longer spans, its daily history), [`Layout`] the slots per tier that keep it.

use std::sync::Arc;

use super::{Slot, TIER_WIDTHS, tier_for};
use crate::time::ceil_to;
use crate::window::adjust::Adjustment;
use crate::window::history::HistorySpec;

/// How many slots each tier of one SLO keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Slots per tier, finest first; the vector stops at the coarsest tier in use.
    pub slots: Vec<usize>,
    /// The daily history kept, if any (see [`crate::window::history`]).
    pub history: Option<HistorySpec>,
    /// The budget adjustments that name this SLO (see [`crate::window::adjust`]).
    pub adjustments: Arc<[Arc<Adjustment>]>,
}

impl Layout {
    /// A layout that keeps every window in `windows_us` exact while the evaluation time lags
    /// the newest bucket by at most `slack_us` (allowed lateness plus the future bound).
    pub fn new(windows_us: &[i64], slack_us: i64) -> Self {
        let coarsest = windows_us.iter().map(|&w| tier_for(w)).max().unwrap_or(0);
        let slots = (0..=coarsest)
            .map(|tier| {
                let width = TIER_WIDTHS[tier];
                // Longest span this tier must cover: windows measured with it, and the
                // remainder below the next coarser tier's boundary.
                let own = windows_us
                    .iter()
                    .filter(|&&w| tier_for(w) == tier)
                    .max()
                    .copied()
                    .unwrap_or(0);
                let parent = if tier < coarsest {
                    TIER_WIDTHS[tier + 1]
                } else {
                    0
                };
                let span = own.max(parent) + slack_us.max(0);
                usize::try_from(ceil_to(span, width) / width).unwrap_or(usize::MAX) + 2
            })
            .collect();
        Self {
            slots,
            history: None,
            adjustments: Arc::new([]),
        }
    }

    /// Bytes of counters this layout costs per SLO, its daily history included.
    pub fn bytes(&self) -> usize {
        self.slots.iter().sum::<usize>() * std::mem::size_of::<Slot>()
            + self.history.as_ref().map_or(0, HistorySpec::bytes)
    }
}

/// What one SLO's counters must keep: the windows it reports, plus tiers kept over a longer
/// span (calendar periods summed from their start, timeslice budgets read slice by slice).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retention {
    /// Reported windows, µs.
    pub windows_us: Vec<i64>,
    /// `(tier width, span)`: the tier of that width keeps buckets covering `span` µs.
    pub spans: Vec<(i64, i64)>,
    /// Daily counts kept for period reports, if any.
    pub history: Option<HistorySpec>,
    /// The budget adjustments that name the SLO.
    pub adjustments: Arc<[Arc<Adjustment>]>,
}

impl From<Vec<i64>> for Retention {
    fn from(windows_us: Vec<i64>) -> Self {
        Self {
            windows_us,
            spans: Vec::new(),
            history: None,
            adjustments: Arc::new([]),
        }
    }
}

impl Retention {
    /// The longest span behind the newest event that any tier or the history must count.
    pub fn longest_us(&self) -> i64 {
        let spans = self.spans.iter().map(|&(_, s)| s);
        let history = self.history.as_ref().map(HistorySpec::span_us);
        self.windows_us
            .iter()
            .copied()
            .chain(spans)
            .chain(history)
            .max()
            .unwrap_or(0)
    }
}

impl Layout {
    /// A layout for `r`: [`Layout::new`] for its windows, with each tier of `r.spans` kept
    /// over its span and every finer tier over one bucket of the next coarser one.
    pub fn for_retention(r: &Retention, slack_us: i64) -> Self {
        let mut layout = Layout::new(&r.windows_us, slack_us);
        let slack = slack_us.max(0);
        let count = |span: i64, width: i64| {
            usize::try_from(ceil_to(span + slack, width) / width).unwrap_or(usize::MAX) + 2
        };
        for &(width, span) in &r.spans {
            let Some(tier) = TIER_WIDTHS.iter().position(|&w| w == width) else {
                continue;
            };
            if layout.slots.len() <= tier {
                layout.slots.resize(tier + 1, 1);
            }
            layout.slots[tier] = layout.slots[tier].max(count(span, width));
            for t in 0..tier {
                let need = count(TIER_WIDTHS[t + 1], TIER_WIDTHS[t]);
                layout.slots[t] = layout.slots[t].max(need);
            }
        }
        layout.history = r.history.clone();
        layout.adjustments = Arc::clone(&r.adjustments);
        layout
    }
}

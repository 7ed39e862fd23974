//! What [`AttributionRing::top`](super::AttributionRing::top) answers: the keys with the
//! most bad events of an SLO over a range ([`Contributors`]), each with bounds of its counts,
//! error ratio and share ([`Contributor`]).

use super::SloCounts;

/// One key's share of an SLO's bad events over a range, with bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contributor {
    /// The key (as recorded; empty for an unknown value).
    pub key: Vec<u8>,
    /// An upper bound of its bad events.
    pub bad: u64,
    /// A lower bound of its bad events (those counted for it).
    pub bad_min: u64,
    /// A lower bound of its events (those counted for it).
    pub total: u64,
    /// An upper bound of its events.
    pub total_max: u64,
    /// Whether the counts are its true counts (`bad_min == bad` and `total == total_max`).
    pub exact: bool,
}

impl Contributor {
    /// Bounds of its error ratio (bad / total): at least `bad_min / total_max`, at most
    /// `bad / total` and 1.
    pub fn error_ratio(&self) -> (f64, f64) {
        let lower = if self.total_max == 0 {
            0.0
        } else {
            self.bad_min as f64 / self.total_max as f64
        };
        let upper = if self.total == 0 {
            1.0
        } else {
            (self.bad as f64 / self.total as f64).min(1.0)
        };
        (lower, upper)
    }

    /// Bounds of its share of `all_bad` bad events (the SLO's, [`Contributors::slo`]).
    pub fn share(&self, all_bad: u64) -> (f64, f64) {
        if all_bad == 0 {
            return (0.0, 0.0);
        }
        let of = |n: u64| n.min(all_bad) as f64 / all_bad as f64;
        (of(self.bad_min), of(self.bad))
    }
}

/// The answer of [`AttributionRing::top`](super::AttributionRing::top).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contributors {
    /// The start of the first minute covered: the range's, or the oldest held if later.
    pub from_us: i64,
    /// The end of the minutes covered (the range's end rounded up to a whole minute).
    pub to_us: i64,
    /// The SLO's bad and total events over the minutes covered: exact.
    pub slo: SloCounts,
    /// The keys with possibly bad events, most first (by `bad`, ties by key), at most the
    /// limit asked for.
    pub top: Vec<Contributor>,
    /// No key that is not listed had more bad events than this.
    pub unlisted_bad_max: u64,
    /// Whether a table of the dimension overflowed in a minute covered: when not, every
    /// count is exact and every key with bad events is known.
    pub overflowed: bool,
}

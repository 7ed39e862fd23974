//! Budget adjustments (maintenance windows): time ranges whose events an SLO counts apart
//! instead of in its windows, budgets and history.
//!
//! An [`Adjustment`] is a [`Schedule`] (one range, or one that repeats every so many local
//! days in a zone) and a [`Mode`]: `exclude` leaves the events out, `count_as_good` counts
//! them all as good. Every SLO's counters hold the adjustments that name it
//! ([`super::Layout::adjustments`]) and apply them two ways:
//!
//! - **As events arrive** ([`Adjusting::verdict`]): an event whose time falls in an
//!   occurrence is counted apart, exactly, whenever it arrives. A window declared before
//!   its events are counted is therefore exact.
//! - **To events already counted** ([`super::Counters::adjust_counted`]), when an
//!   adjustment is first loaded: the counts of every bucket that lies wholly inside the
//!   occurrence are taken out of that bucket (at the finest width still retained for that
//!   age: 1 s for the recent past, then 10 s, 1 min, 10 min, 1 h, and whole local days of the
//!   history beyond the tiers), and out of every coarser bucket and the day that hold them,
//!   so all tiers keep holding the same events. Buckets that straddle the occurrence's
//!   start or end, or a local day's boundary, are left as they are. The ranges actually
//!   applied are remembered and reported.
//!
//! Each SLO's counters apply each adjustment to counted events once (a checkpoint and a
//! reload carry that it was, by name and definition); a changed definition is applied
//! again, which changes no count already adjusted, as its buckets hold only adjusted events.
//! An adjustment applied to counted events cannot be undone: the counts are gone.

use std::sync::Arc;

use jiff::civil::DateTime;
use jiff::{Span, Timestamp};
use serde::{Deserialize, Serialize};

use super::history::DayZone;
use super::ring::Counts;
use crate::time::format_duration;

/// What an adjustment does to the events inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Counted apart: in no window, budget or history.
    Exclude,
    /// Counted, every one as good.
    CountAsGood,
}

impl Mode {
    /// Both modes.
    pub const ALL: [Mode; 2] = [Mode::Exclude, Mode::CountAsGood];

    /// The configuration name: `exclude`, `count_as_good`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Exclude => "exclude",
            Mode::CountAsGood => "count_as_good",
        }
    }

    /// The mode named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// What counts `c` become under this mode.
    pub fn apply(self, c: Counts) -> Counts {
        match self {
            Mode::Exclude => Counts::default(),
            Mode::CountAsGood => Counts {
                good: c.total,
                total: c.total,
            },
        }
    }
}

/// How a schedule repeats: every `every_days` local days at the first occurrence's local
/// time of day, up to a count or a last start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// Days between two starts (1: daily, 7: weekly).
    pub every_days: i64,
    /// How many occurrences there are in all, if bounded by a count.
    pub count: Option<u32>,
    /// The latest instant an occurrence may start at, µs, if bounded by a date.
    pub until_us: Option<i64>,
}

/// When an adjustment is in force: occurrences `[start_k, start_k + duration)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    first_us: i64,
    duration_us: i64,
    zone: DayZone,
    repeat: Option<Repeat>,
    /// The first start as a local date-time of `zone`.
    first_local: DateTime,
    /// The index of the last occurrence (`i64::MAX` for one that repeats forever).
    last: i64,
}

impl Schedule {
    /// One range `[start_us, start_us + duration_us)`.
    pub fn once(start_us: i64, duration_us: i64) -> Self {
        Self::new(start_us, duration_us, DayZone::utc(), None)
    }

    /// Occurrences from `first_us`, each `duration_us` long (positive, and for a repeating
    /// schedule shorter than the repeat, which the caller checks), repeating as `repeat`
    /// says in the local time of `zone`.
    pub fn new(first_us: i64, duration_us: i64, zone: DayZone, repeat: Option<Repeat>) -> Self {
        let first_local = Timestamp::from_microsecond(first_us)
            .map(|t| t.to_zoned(zone.tz().clone()).datetime())
            .unwrap_or_default();
        let mut s = Self {
            first_us,
            duration_us,
            zone,
            repeat,
            first_local,
            last: 0,
        };
        s.last = match &s.repeat {
            None => 0,
            Some(r) => {
                let by_count = r.count.map_or(i64::MAX, |c| i64::from(c) - 1);
                let by_date = r.until_us.map_or(i64::MAX, |u| s.index_unbounded(u));
                by_count.min(by_date)
            }
        };
        s
    }

    /// The first start, µs.
    pub fn first_us(&self) -> i64 {
        self.first_us
    }

    /// The length of each occurrence, µs.
    pub fn duration_us(&self) -> i64 {
        self.duration_us
    }

    /// The repeat, if any.
    pub fn repeat(&self) -> Option<&Repeat> {
        self.repeat.as_ref()
    }

    /// The zone whose local days a repeat counts.
    pub fn zone(&self) -> &DayZone {
        &self.zone
    }

    /// A text that differs whenever the schedule does: what tells a changed adjustment
    /// from one already applied.
    pub fn definition(&self) -> String {
        let mut s = format!(
            "{} +{}",
            crate::time::format_rfc3339(self.first_us),
            format_duration(self.duration_us)
        );
        if let Some(r) = &self.repeat {
            s += &format!(" every {}d in {}", r.every_days, self.zone.name());
            if let Some(c) = r.count {
                s += &format!(" count {c}");
            }
            if let Some(u) = r.until_us {
                s += &format!(" until {}", crate::time::format_rfc3339(u));
            }
        }
        s
    }

    /// The start of occurrence `k` (which may be past the last), µs.
    pub fn start_of(&self, k: i64) -> i64 {
        let Some(r) = &self.repeat else {
            return self.first_us;
        };
        if k == 0 {
            return self.first_us;
        }
        k.checked_mul(r.every_days)
            .and_then(|days| Span::new().try_days(days).ok())
            .and_then(|span| self.first_local.checked_add(span).ok())
            .and_then(|dt| dt.to_zoned(self.zone.tz().clone()).ok())
            .map_or(i64::MAX, |z| z.timestamp().as_microsecond())
    }

    /// The latest occurrence starting at or before `t_us`, ignoring the count and the last
    /// start; -1 before the first.
    fn index_unbounded(&self, t_us: i64) -> i64 {
        if t_us < self.first_us {
            return -1;
        }
        let Some(r) = &self.repeat else {
            return 0;
        };
        let days = self.zone.day_of(t_us) - self.zone.day_of(self.first_us);
        let k = days.div_euclid(r.every_days);
        if self.start_of(k) > t_us { k - 1 } else { k }
    }

    /// Where `t_us` stands: `(inside, lo, hi)` where `inside` is the occurrence
    /// `[start, end)` holding it, if any, and `[lo, hi)` the longest range around `t_us`
    /// over which that answer stays the same.
    pub fn status(&self, t_us: i64) -> (Option<(i64, i64)>, i64, i64) {
        let k = self.index_unbounded(t_us).min(self.last);
        if k < 0 {
            return (None, i64::MIN, self.first_us);
        }
        let start = self.start_of(k);
        let end = start.saturating_add(self.duration_us);
        if t_us < end {
            return (Some((start, end)), start, end);
        }
        let next = if k < self.last {
            self.start_of(k + 1)
        } else {
            i64::MAX
        };
        (None, end, next)
    }

    /// The occurrences that overlap `[from, to)`, oldest first, at most `max` of them.
    pub fn occurrences(&self, from: i64, to: i64, max: usize) -> Vec<(i64, i64)> {
        let mut k = self.index_unbounded(from).clamp(0, self.last.max(0));
        let mut out = Vec::new();
        while k <= self.last && out.len() < max {
            let start = self.start_of(k);
            if start >= to || start == i64::MAX {
                break;
            }
            let end = start.saturating_add(self.duration_us);
            if end > from {
                out.push((start, end));
            }
            k += 1;
        }
        out
    }
}

/// One budget adjustment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    /// Its name (the document's `metadata.name`).
    pub name: String,
    /// What it is for.
    pub description: String,
    /// What it does to the events inside it.
    pub mode: Mode,
    /// When it is in force.
    pub schedule: Schedule,
}

impl Adjustment {
    /// What tells this adjustment from an earlier definition under the same name.
    pub fn definition(&self) -> String {
        format!("{} {}", self.mode.as_str(), self.schedule.definition())
    }
}

/// How one SLO's counters stand with one adjustment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// When it was first applied to counted events: the end of the newest second counted
    /// then (`None` for counters without an event: it has been exact from the start). An
    /// occurrence that starts at or after this is exact.
    pub declared_at_us: Option<i64>,
    /// Whether it has been applied to the events counted before it was loaded.
    pub done: bool,
    /// The ranges of occurrences under way or past at `declared_at_us` that were actually
    /// adjusted, coalesced, oldest first.
    pub ranges: Vec<(i64, i64)>,
    /// Events counted apart (their counts before adjustment): as they arrived, and taken
    /// out of buckets.
    pub events: Counts,
}

/// The adjustments one SLO's counters apply, and where each stands.
#[derive(Debug, Clone)]
pub struct Adjusting {
    list: Arc<[Arc<Adjustment>]>,
    /// Per adjustment, how it stands.
    applied: Vec<Applied>,
    /// The last verdict and the range `[lo, hi)` it holds for.
    hot: (i64, i64, Option<usize>),
}

impl Adjusting {
    /// Counters' adjustments `list`, none applied yet; `None` when the list is empty.
    pub fn new(list: &Arc<[Arc<Adjustment>]>) -> Option<Box<Self>> {
        (!list.is_empty()).then(|| {
            Box::new(Self {
                list: Arc::clone(list),
                applied: vec![Applied::default(); list.len()],
                hot: (0, 0, None),
            })
        })
    }

    /// The adjustments.
    pub fn list(&self) -> &[Arc<Adjustment>] {
        &self.list
    }

    /// How each adjustment stands, by [`Adjusting::list`] index.
    pub fn applied(&self) -> &[Applied] {
        &self.applied
    }

    /// How adjustment `i` stands, to record it.
    pub fn applied_mut(&mut self, i: usize) -> &mut Applied {
        &mut self.applied[i]
    }

    /// The adjustment (by index) whose occurrence holds `t_us`, the first listed when
    /// several do. Remembers the range over which the answer holds, so events in time order
    /// consult the schedules once per boundary.
    pub fn verdict(&mut self, t_us: i64) -> Option<usize> {
        let (lo, hi, v) = self.hot;
        if (lo..hi).contains(&t_us) {
            return v;
        }
        let (mut lo, mut hi, mut verdict) = (i64::MIN, i64::MAX, None);
        for (i, a) in self.list.iter().enumerate() {
            let (inside, l, h) = a.schedule.status(t_us);
            lo = lo.max(l);
            hi = hi.min(h);
            if inside.is_some() && verdict.is_none() {
                verdict = Some(i);
            }
        }
        self.hot = (lo, hi, verdict);
        verdict
    }

    /// Counts `c` at `t_us` as the adjustments say: `c` itself outside every occurrence,
    /// else what the adjustment's mode makes of it (recording the events counted apart).
    pub fn admit(&mut self, t_us: i64, c: Counts) -> Counts {
        match self.verdict(t_us) {
            None => c,
            Some(i) => {
                self.applied[i].events += c;
                self.list[i].mode.apply(c)
            }
        }
    }
}

/// Whether `selector` (`service`, or `service/slo`) names SLO `slo` of `service`.
pub fn selects(selector: &str, service: &str, slo: &str) -> bool {
    match selector.split_once('/') {
        Some((s, o)) => s == service && o == slo,
        None => selector == service,
    }
}

/// A one-off adjustment declared through the API (`POST /v1/adjustments`), as kept and
/// checkpointed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredState {
    /// Its name, unique among every adjustment.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Its range, µs.
    pub start_us: i64,
    /// The end of its range (excluded), µs.
    pub end_us: i64,
    /// `exclude` or `count_as_good`.
    pub mode: String,
    /// The SLOs it names (`service` or `service/slo`).
    pub slos: Vec<String>,
    /// When it was declared (wall clock), µs.
    pub created_us: i64,
}

impl DeclaredState {
    /// The adjustment it declares; `None` for an unknown mode.
    pub fn adjustment(&self) -> Option<Adjustment> {
        Some(Adjustment {
            name: self.name.clone(),
            description: self.description.clone(),
            mode: Mode::from_name(&self.mode)?,
            schedule: Schedule::once(self.start_us, self.end_us - self.start_us),
        })
    }
}

/// Most adjustments declared through the API at once.
pub const MAX_DECLARED: usize = 1_000;

/// Why a declaration through the API was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Not a valid adjustment.
    #[error("{0}")]
    Invalid(String),
    /// Another adjustment has the name.
    #[error("an adjustment named {0:?} exists already")]
    Exists(String),
    /// The adjustment to delete is in the configuration.
    #[error("adjustment {0:?} is declared in the configuration: remove it there and reload")]
    Configured(String),
    /// No adjustment has the name.
    #[error("no adjustment declared through the API is named {0:?}")]
    Unknown(String),
    /// [`MAX_DECLARED`] are declared.
    #[error("{MAX_DECLARED} adjustments are declared through the API already: delete some first")]
    Full,
    /// This instance cannot take declarations.
    #[error("{0}")]
    NotHere(String),
    /// Written to the cluster log, not applied within the wait.
    #[error("{0}")]
    Pending(String),
}

/// Adds `(from, to)` to the sorted, coalesced `ranges`.
pub fn add_range(ranges: &mut Vec<(i64, i64)>, from: i64, to: i64) {
    if from >= to {
        return;
    }
    ranges.push((from, to));
    ranges.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(ranges.len());
    for &(a, b) in ranges.iter() {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    *ranges = out;
}

/// The instants both `a` and `b` (sorted, coalesced) cover.
pub fn intersect(a: &[(i64, i64)], b: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    for &(a0, a1) in a {
        for &(b0, b1) in b {
            let (from, to) = (a0.max(b0), a1.min(b1));
            if from < to {
                out.push((from, to));
            }
        }
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests;

//! Canary vs baseline counts per service: for each of the last
//! [`CanaryRing::minutes`] event-time minutes and each variant
//! ([`crate::classify::canary::Variant`]), exact requests, server errors (5xx), each SLO's
//! good and total events, and a latency histogram, so that both variants are compared over
//! exactly the same whole minutes ([`crate::evaluate::canary`]).
//!
//! A slot remembers which minute it holds; an event older than the ring holds is left out.
//! Windows add the minutes whose start lies in the range: nothing is ever subtracted.
//!
//! # Latency
//! Each variant and minute has an HDR histogram of `u32` counts with two significant digits
//! (values within 1 % of the true one), the same bounds as the services' latency histograms
//! (1 µs to one hour, larger values clamped), allocated with the minute's first latency.
//!
//! # Memory
//! A histogram takes 13,312 bytes of counts (3,328 of them); a minute of both variants
//! about 27 KB once both have latencies. A service with the default hour of retention (plus
//! the evaluation time's slack, 12 minutes by default) holds at most
//! `minutes × (2 × (13,312 + 96 + 16 × slos) + 48)` bytes: 1.96 MB for 73 minutes and three
//! SLOs. [`CanaryRing::bytes`] reports what a ring holds.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::latency::{MAX_LATENCY_US, empty_histogram};
use crate::classify::Outcome;
use crate::classify::canary::Variant;
use crate::time::MINUTE;

/// The minute index of a slot that holds none.
const NONE: i64 = i64::MIN;

/// One variant's counts in one minute.
#[derive(Debug, Clone)]
struct Side {
    requests: u64,
    errors: u64,
    /// Per SLO of the service: `[good, total]`.
    slos: Vec<[u64; 2]>,
    latency: Option<Histogram<u32>>,
}

impl Side {
    fn new(slos: usize) -> Self {
        Self {
            requests: 0,
            errors: 0,
            slos: vec![[0; 2]; slos],
            latency: None,
        }
    }

    fn reset(&mut self) {
        self.requests = 0;
        self.errors = 0;
        self.slos.iter_mut().for_each(|c| *c = [0; 2]);
        if let Some(h) = &mut self.latency {
            h.reset();
        }
    }
}

/// One minute of both variants.
#[derive(Debug, Clone)]
struct Minute {
    /// The minute held (its start / [`MINUTE`]), [`NONE`] when empty.
    minute: i64,
    sides: [Side; 2],
}

/// One variant's counts in one minute, as a checkpoint or a cluster delta carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SideState {
    /// Requests.
    pub requests: u64,
    /// Requests answered with a 5xx status.
    pub errors: u64,
    /// Per SLO of the service: `[good, total]`.
    pub slos: Vec<[u64; 2]>,
    /// Latencies: `(a value of the bucket, count)` for each histogram bucket with values.
    pub latency: Vec<(u64, u64)>,
}

/// One minute of both variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanaryMinute {
    /// Its index (µs / 60 s).
    pub minute: i64,
    /// Canary first, as [`Variant::ALL`].
    pub sides: [SideState; 2],
}

/// Every minute a ring holds that counted a request, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanaryState {
    /// The minutes.
    pub minutes: Vec<CanaryMinute>,
}

/// Why a minute cannot be merged into a ring: it counts another number of SLOs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("canary minute {minute} has {found} SLOs, the ring {expected}")]
pub struct CanaryError {
    /// The minute's index.
    pub minute: i64,
    /// The ring's SLOs.
    pub expected: usize,
    /// The minute's.
    pub found: usize,
}

/// One variant's sums over a range of minutes.
#[derive(Debug, Clone)]
pub struct VariantSums {
    /// Requests.
    pub requests: u64,
    /// Requests answered with a 5xx status.
    pub errors: u64,
    /// Per SLO of the service: `[good, total]`.
    pub slos: Vec<[u64; 2]>,
    /// Latencies of the requests that have one (clamped to one hour).
    pub latency: Histogram<u64>,
}

impl VariantSums {
    /// No request, for a service with `slos` SLOs.
    pub fn empty(slos: usize) -> Self {
        Self {
            requests: 0,
            errors: 0,
            slos: vec![[0; 2]; slos],
            latency: empty_histogram(),
        }
    }
}

/// Both variants' sums over `[from_us, to_us)`.
#[derive(Debug, Clone)]
pub struct CanarySums {
    /// First instant covered, µs.
    pub from_us: i64,
    /// First instant after, µs.
    pub to_us: i64,
    /// Canary first, as [`Variant::ALL`].
    pub variants: [VariantSums; 2],
}

/// The canary and baseline counts of one service.
#[derive(Debug, Clone)]
pub struct CanaryRing {
    slots: Vec<Minute>,
    /// The minute of the first event recorded, [`NONE`] before one.
    since: i64,
}

impl CanaryRing {
    /// An empty ring of `minutes` minutes for a service with `slos` SLOs.
    pub fn new(minutes: usize, slos: usize) -> Self {
        Self {
            slots: (0..minutes.max(1))
                .map(|_| Minute {
                    minute: NONE,
                    sides: [Side::new(slos), Side::new(slos)],
                })
                .collect(),
            since: NONE,
        }
    }

    /// Minutes held.
    pub fn minutes(&self) -> usize {
        self.slots.len()
    }

    /// Counts one event of `variant` at `time_us`: a server error when `error`, with its
    /// SLOs' `outcomes` (in the service's SLO order) and its latency, if known.
    pub fn record(
        &mut self,
        time_us: i64,
        variant: Variant,
        error: bool,
        outcomes: &[Outcome],
        latency_us: Option<i64>,
    ) {
        let minute = time_us.div_euclid(MINUTE);
        let Some(slot) = self.hold(minute) else {
            return;
        };
        let side = &mut slot.sides[variant.index()];
        side.requests += 1;
        side.errors += u64::from(error);
        for (c, o) in side.slos.iter_mut().zip(outcomes) {
            if let Some(good) = o.good() {
                c[0] += u64::from(good);
                c[1] += 1;
            }
        }
        if let Some(l) = latency_us {
            let h = side.latency.get_or_insert_with(new_histogram);
            h.saturating_record(l.clamp(1, MAX_LATENCY_US as i64) as u64);
        }
        if self.since == NONE || minute < self.since {
            self.since = minute;
        }
    }

    /// The start of the minute of the first event recorded (`None` before one): nothing
    /// earlier was counted, so an answer covers no earlier minute.
    pub fn counting_since_us(&self) -> Option<i64> {
        (self.since != NONE).then(|| self.since * MINUTE)
    }

    /// The sums of the minutes whose start lies in `[from_us, to_us)`.
    pub fn sums(&self, from_us: i64, to_us: i64) -> CanarySums {
        let slos = self.slots[0].sides[0].slos.len();
        let mut variants = Variant::ALL.map(|_| VariantSums::empty(slos));
        for m in &self.slots {
            let start = m.minute.saturating_mul(MINUTE);
            if m.minute == NONE || start < from_us || start >= to_us {
                continue;
            }
            for (sum, side) in variants.iter_mut().zip(&m.sides) {
                sum.requests += side.requests;
                sum.errors += side.errors;
                for (s, c) in sum.slos.iter_mut().zip(&side.slos) {
                    s[0] += c[0];
                    s[1] += c[1];
                }
                if let Some(h) = &side.latency {
                    for v in h.iter_recorded() {
                        sum.latency
                            .saturating_record_n(v.value_iterated_to(), v.count_at_value().into());
                    }
                }
            }
        }
        CanarySums {
            from_us,
            to_us,
            variants,
        }
    }

    /// The slot holding minute `minute`, emptied if it held an older one; `None` when it
    /// holds a newer one (the minute is too old for the ring).
    fn hold(&mut self, minute: i64) -> Option<&mut Minute> {
        let n = self.slots.len() as i64;
        let slot = &mut self.slots[minute.rem_euclid(n) as usize];
        if slot.minute != minute {
            if slot.minute != NONE && slot.minute > minute {
                return None;
            }
            slot.minute = minute;
            slot.sides.iter_mut().for_each(Side::reset);
        }
        Some(slot)
    }

    /// Every held minute that counted a request, oldest first: what a checkpoint keeps and
    /// what a cluster member sends.
    pub fn export(&self) -> CanaryState {
        let mut minutes: Vec<CanaryMinute> = self
            .slots
            .iter()
            .filter(|m| m.minute != NONE && m.sides.iter().any(|s| s.requests > 0))
            .map(|m| CanaryMinute {
                minute: m.minute,
                sides: [0, 1].map(|i| {
                    let s = &m.sides[i];
                    SideState {
                        requests: s.requests,
                        errors: s.errors,
                        slos: s.slos.clone(),
                        latency: s.latency.as_ref().map_or_else(Vec::new, |h| {
                            h.iter_recorded()
                                .map(|v| (v.value_iterated_to(), u64::from(v.count_at_value())))
                                .collect()
                        }),
                    }
                }),
            })
            .collect();
        minutes.sort_unstable_by_key(|m| m.minute);
        CanaryState { minutes }
    }

    /// Adds `state`'s counts to its minute, as its requests one by one would (a latency
    /// lands in the bucket it was exported from); a minute older than the ring holds is
    /// left out. An error, and nothing added, when it counts another number of SLOs.
    pub fn merge_minute(&mut self, state: &CanaryMinute) -> Result<(), CanaryError> {
        let expected = self.slots[0].sides[0].slos.len();
        if let Some(side) = state.sides.iter().find(|s| s.slos.len() != expected) {
            return Err(CanaryError {
                minute: state.minute,
                expected,
                found: side.slos.len(),
            });
        }
        let Some(slot) = self.hold(state.minute) else {
            return Ok(());
        };
        for (side, add) in slot.sides.iter_mut().zip(&state.sides) {
            side.requests += add.requests;
            side.errors += add.errors;
            for (c, a) in side.slos.iter_mut().zip(&add.slos) {
                c[0] += a[0];
                c[1] += a[1];
            }
            if !add.latency.is_empty() {
                let h = side.latency.get_or_insert_with(new_histogram);
                for &(value, count) in &add.latency {
                    let count = u32::try_from(count).unwrap_or(u32::MAX);
                    h.saturating_record_n(value.clamp(1, MAX_LATENCY_US), count);
                }
            }
        }
        if state.sides.iter().any(|s| s.requests > 0)
            && (self.since == NONE || state.minute < self.since)
        {
            self.since = state.minute;
        }
        Ok(())
    }

    /// Heap and inline bytes the ring holds now.
    pub fn bytes(&self) -> usize {
        size_of::<Self>()
            + self.slots.capacity() * size_of::<Minute>()
            + self
                .slots
                .iter()
                .flat_map(|m| &m.sides)
                .map(|s| {
                    s.slos.capacity() * size_of::<[u64; 2]>()
                        + s.latency.as_ref().map_or(0, |h| {
                            size_of::<Histogram<u32>>() + h.distinct_values() * size_of::<u32>()
                        })
                })
                .sum::<usize>()
    }
}

/// An empty histogram of one variant's minute.
fn new_histogram() -> Histogram<u32> {
    // Bounds are constants known to be valid, so this cannot fail.
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 2).expect("valid histogram bounds")
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_040 * 1_000_000; // a minute start

    #[test]
    fn sums_are_exact_per_minute_and_variant() {
        let mut ring = CanaryRing::new(5, 2);
        let ok = [Outcome::Good, Outcome::Good];
        let bad = [Outcome::Bad, Outcome::Excluded];
        // Minute 0: canary 2 requests (one 5xx), baseline 1.
        ring.record(T0, Variant::Canary, false, &ok, Some(100_000));
        ring.record(T0 + 59_999_999, Variant::Canary, true, &bad, None);
        ring.record(T0 + 1, Variant::Baseline, false, &ok, Some(40_000));
        // Minute 1: baseline 1 request.
        ring.record(T0 + MINUTE, Variant::Baseline, true, &bad, Some(900_000));
        let both = ring.sums(T0, T0 + 2 * MINUTE);
        let [c, b] = &both.variants;
        assert_eq!((c.requests, c.errors, b.requests, b.errors), (2, 1, 2, 1));
        assert_eq!(c.slos, [[1, 2], [1, 1]]);
        assert_eq!(b.slos, [[1, 2], [1, 1]]);
        assert_eq!((c.latency.len(), b.latency.len()), (1, 2));
        assert_eq!(b.latency.max(), b.latency.highest_equivalent(900_000));
        // The first minute alone; the second alone.
        let first = ring.sums(T0, T0 + MINUTE);
        assert_eq!(first.variants[1].requests, 1);
        assert_eq!(
            ring.sums(T0 + MINUTE, T0 + 2 * MINUTE).variants[0].requests,
            0
        );
        assert_eq!(ring.counting_since_us(), Some(T0));
        // Two histograms of 3,328 `u32` counts each: 13,312 bytes apiece.
        assert_eq!(new_histogram().distinct_values(), 3_328);
        assert!(ring.bytes() > 2 * 13_312);
    }

    #[test]
    fn exported_minutes_merge_into_the_same_sums() {
        let mut a = CanaryRing::new(10, 2);
        let mut b = CanaryRing::new(10, 2);
        let outcomes = [Outcome::Good, Outcome::Bad];
        for i in 0..500i64 {
            let (ring, variant) = if i % 3 == 0 {
                (&mut a, Variant::Canary)
            } else {
                (&mut b, Variant::Baseline)
            };
            let t = T0 + (i % 4) * MINUTE + i;
            ring.record(t, variant, i % 7 == 0, &outcomes, Some(1_000 + i * 997));
        }
        let mut whole = CanaryRing::new(10, 2);
        for i in 0..500i64 {
            let variant = if i % 3 == 0 {
                Variant::Canary
            } else {
                Variant::Baseline
            };
            let t = T0 + (i % 4) * MINUTE + i;
            whole.record(t, variant, i % 7 == 0, &outcomes, Some(1_000 + i * 997));
        }
        // a's and b's minutes merged into an empty ring: the sums of the whole.
        let mut merged = CanaryRing::new(10, 2);
        for m in a.export().minutes.iter().chain(&b.export().minutes) {
            merged.merge_minute(m).unwrap();
        }
        let (got, want) = (
            merged.sums(T0, T0 + 4 * MINUTE),
            whole.sums(T0, T0 + 4 * MINUTE),
        );
        for (g, w) in got.variants.iter().zip(&want.variants) {
            assert_eq!(
                (g.requests, g.errors, &g.slos),
                (w.requests, w.errors, &w.slos)
            );
            assert_eq!(g.latency, w.latency);
        }
        assert_eq!(got.variants[0].requests, 167);
        assert_eq!(merged.counting_since_us(), Some(T0));
        assert_eq!(merged.export(), whole.export());
        // A minute of another shape is refused whole.
        let mut other = CanaryRing::new(10, 3);
        let e = other.merge_minute(&a.export().minutes[0]).unwrap_err();
        assert_eq!((e.expected, e.found), (3, 2));
        assert_eq!(other.counting_since_us(), None);
    }

    #[test]
    fn a_reused_slot_forgets_its_old_minute_and_older_events_are_left_out() {
        let mut ring = CanaryRing::new(3, 1);
        let ok = [Outcome::Good];
        ring.record(T0, Variant::Canary, false, &ok, Some(5));
        ring.record(T0 + 3 * MINUTE, Variant::Canary, false, &ok, Some(5));
        // Minute 0's slot now holds minute 3: an event of minute 0 is too old.
        ring.record(T0 + 10, Variant::Canary, false, &ok, Some(5));
        let all = ring.sums(T0 - MINUTE, T0 + 10 * MINUTE);
        assert_eq!(all.variants[0].requests, 1);
        assert_eq!(all.variants[0].latency.len(), 1);
        assert_eq!(ring.sums(T0, T0 + MINUTE).variants[0].requests, 0);
    }
}

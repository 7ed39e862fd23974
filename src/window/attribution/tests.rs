//! The attribution ring against a direct count: a map of every key's exact counts per
//! minute, dimension and SLO, with the ring's rule for what is held applied as events
//! arrive. Hand cases pin each bound; property tests check that every answer's bounds
//! contain the direct count, for streams that overflow the tables and streams that do not,
//! after a checkpoint round trip and after merging two halves.
//!
//! Here: the direct count, the event streams and the queries the topic files share.

mod against_direct;
mod batch_sums;
mod bounds;
mod memory_and_state;

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::time::SECOND;

/// A whole minute (2026-11-19T08:00:00Z).
const T0: i64 = 1_795_593_600 * SECOND;

const BAD: Option<bool> = Some(true);
const GOOD: Option<bool> = Some(false);

fn shape(minutes: usize, dims: usize, slos: usize, k: usize) -> AttributionShape {
    AttributionShape {
        minutes,
        dims,
        slos,
        keys_per_table: k,
    }
}

/// The direct count: per (minute, dimension, key) each SLO's (bad, total), and per minute
/// each SLO's, with the ring's retention applied as events arrive.
#[derive(Debug, Default)]
struct Direct {
    minutes: usize,
    newest: Option<i64>,
    keys: BTreeMap<(i64, usize, Vec<u8>), PerSlo>,
    slos: BTreeMap<i64, PerSlo>,
}

/// `(bad, total)` by SLO.
type PerSlo = Vec<(u64, u64)>;

impl Direct {
    fn record(&mut self, time_us: i64, keys: &[&[u8]], verdicts: &[Option<bool>]) {
        if verdicts.iter().all(Option::is_none) {
            return;
        }
        let minute = time_us.div_euclid(MINUTE);
        let newest = self.newest.map_or(minute, |n| n.max(minute));
        self.newest = Some(newest);
        if minute + (self.minutes as i64) <= newest {
            return;
        }
        let add = |counts: &mut Vec<(u64, u64)>| {
            counts.resize(verdicts.len(), (0, 0));
            for (c, v) in counts.iter_mut().zip(verdicts) {
                if let Some(bad) = v {
                    c.0 += u64::from(*bad);
                    c.1 += 1;
                }
            }
        };
        add(self.slos.entry(minute).or_default());
        for (d, key) in keys.iter().enumerate() {
            add(self.keys.entry((minute, d, key.to_vec())).or_default());
        }
    }

    /// The minutes `[first, last)` counted: from the range's first whole minute, not before
    /// the oldest held.
    fn range(&self, from: i64, to: i64) -> (i64, i64) {
        let first = first_at_or_after(from);
        let first = self
            .newest
            .map_or(first, |n| first.max(n - self.minutes as i64 + 1));
        (first, first_at_or_after(to).max(first))
    }

    fn slo(&self, from: i64, to: i64, slo: usize) -> SloCounts {
        let (first, last) = self.range(from, to);
        let mut c = SloCounts::default();
        for (_, s) in self.slos.range(first..last) {
            c.bad += s[slo].0;
            c.total += s[slo].1;
        }
        c
    }

    /// Every key of `dim` with its (bad, total) for `slo` over the range.
    fn keys(&self, from: i64, to: i64, dim: usize, slo: usize) -> BTreeMap<Vec<u8>, (u64, u64)> {
        let (first, last) = self.range(from, to);
        let mut all: BTreeMap<Vec<u8>, (u64, u64)> = BTreeMap::new();
        for ((m, d, key), c) in &self.keys {
            if *d == dim && (first..last).contains(m) {
                let e = all.entry(key.clone()).or_default();
                e.0 += c[slo].0;
                e.1 += c[slo].1;
            }
        }
        all
    }
}

/// The answer's bounds hold the direct count; without overflow it is the direct count.
fn check(
    got: &Contributors,
    direct: &Direct,
    (from, to, dim, slo, limit): (i64, i64, usize, usize, usize),
) -> Result<(), TestCaseError> {
    let (first, last) = direct.range(from, to);
    prop_assert_eq!((got.from_us, got.to_us), (first * MINUTE, last * MINUTE));
    prop_assert_eq!(got.slo, direct.slo(from, to, slo));
    let truth = direct.keys(from, to, dim, slo);
    prop_assert!(got.top.len() <= limit);
    for c in &got.top {
        let (bad, total) = truth.get(&c.key).copied().unwrap_or_default();
        prop_assert!(c.bad_min <= bad && bad <= c.bad, "{:?}: bad {}", c, bad);
        prop_assert!(
            c.total <= total && total <= c.total_max,
            "{:?}: total {}",
            c,
            total
        );
        prop_assert_eq!(c.exact, c.bad_min == c.bad && c.total == c.total_max);
        prop_assert!(c.bad > 0);
    }
    for (key, &(bad, _)) in &truth {
        if !got.top.iter().any(|c| &c.key == key) {
            prop_assert!(
                bad <= got.unlisted_bad_max,
                "{:?} unlisted: {} bad",
                key,
                bad
            );
        }
    }
    if !got.overflowed {
        let mut expected: Vec<Contributor> = truth
            .iter()
            .filter(|(_, c)| c.0 > 0)
            .map(|(key, &(bad, total))| Contributor {
                key: key.clone(),
                bad,
                bad_min: bad,
                total,
                total_max: total,
                exact: true,
            })
            .collect();
        expected.sort_by(|a, b| b.bad.cmp(&a.bad).then_with(|| a.key.cmp(&b.key)));
        let next = expected.get(limit).map_or(0, |c| c.bad);
        expected.truncate(limit);
        prop_assert_eq!(&got.top, &expected);
        prop_assert_eq!(got.unlisted_bad_max, next);
    }
    Ok(())
}

/// An event: `(minute, seconds, key per dimension, verdict per SLO)`.
type Ev = (i64, i64, [u8; 2], [Option<bool>; 3]);

/// Events over `span` minutes, keys from `keys` values per dimension (skewed to the first
/// ones), with verdicts that are mostly good, sometimes bad, sometimes absent.
fn events(span: i64, keys: u8) -> impl Strategy<Value = Vec<Ev>> {
    let verdict = prop_oneof![5 => Just(GOOD), 3 => Just(BAD), 1 => Just(None)];
    let key = (0..keys, 0..keys).prop_map(|(a, b)| a.min(b));
    let event = (
        0..span,
        0..60i64,
        [key.clone(), key],
        [verdict.clone(), verdict.clone(), verdict],
    );
    prop::collection::vec(event, 1..300)
}

fn key_bytes(d: usize, k: u8) -> Vec<u8> {
    if k == 0 {
        Vec::new()
    } else {
        format!("d{d}/{k}").into_bytes()
    }
}

/// An event's key in each dimension.
fn ev_keys(keys: &[u8; 2]) -> Vec<Vec<u8>> {
    keys.iter()
        .enumerate()
        .map(|(d, &k)| key_bytes(d, k))
        .collect()
}

/// Queries: every (dim, slo) over the whole ring and over `(from, len)` minutes, with
/// limits 0, `limit` and everything.
fn queries(
    r: &AttributionRing,
    from: i64,
    len: i64,
    limit: usize,
) -> Vec<(i64, i64, usize, usize, usize)> {
    let mut all = Vec::new();
    for dim in 0..r.shape().dims {
        for slo in 0..r.shape().slos {
            for (f, t) in [
                (i64::MIN + MINUTE, i64::MAX - MINUTE),
                (T0 + from * MINUTE - 7, T0 + (from + len) * MINUTE),
            ] {
                for l in [0, limit, usize::MAX] {
                    all.push((f, t, dim, slo, l));
                }
            }
        }
    }
    all
}

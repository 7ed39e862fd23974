//! The attribution ring against a direct count: a map of every key's exact counts per
//! minute, dimension and SLO, with the ring's rule for what is held applied as events
//! arrive. Hand cases pin each bound; property tests check that every answer's bounds
//! contain the direct count, for streams that overflow the tables and streams that do not,
//! after a checkpoint round trip and after merging two halves.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::time::{HOUR, SECOND};

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

fn contributor(key: &str, bad: (u64, u64), total: (u64, u64)) -> Contributor {
    Contributor {
        key: key.as_bytes().to_vec(),
        bad: bad.1,
        bad_min: bad.0,
        total: total.0,
        total_max: total.1,
        exact: bad.0 == bad.1 && total.0 == total.1,
    }
}

/// Records `n` events of `key` (one dimension) at `t` with `verdicts`.
fn times(r: &mut AttributionRing, n: usize, t: i64, key: &str, verdicts: &[Option<bool>]) {
    for _ in 0..n {
        r.record(t, &[key.as_bytes()], verdicts);
    }
}

#[test]
fn a_table_that_never_overflows_is_exact() {
    let mut r = AttributionRing::new(shape(60, 2, 2, 8));
    for (path, status, verdicts) in [
        ("/cart", "503", [BAD, BAD]),
        ("/cart", "200", [GOOD, None]),
        ("/cart", "503", [BAD, GOOD]),
        ("/pay", "500", [BAD, None]),
        ("/pay", "200", [GOOD, GOOD]),
        ("/home", "200", [GOOD, GOOD]),
        ("", "200", [None, None]),
    ] {
        r.record(
            T0 + 5 * SECOND,
            &[path.as_bytes(), status.as_bytes()],
            &verdicts,
        );
    }
    let top = r.top(T0, T0 + MINUTE, 0, 0, 10);
    assert_eq!(top.slo, SloCounts { bad: 3, total: 6 });
    assert_eq!(
        top.top,
        [
            contributor("/cart", (2, 2), (3, 3)),
            contributor("/pay", (1, 1), (2, 2))
        ]
    );
    assert!(!top.overflowed);
    assert_eq!(top.unlisted_bad_max, 0);
    assert_eq!((top.from_us, top.to_us), (T0, T0 + MINUTE));
    assert_eq!(top.top[0].error_ratio(), (2.0 / 3.0, 2.0 / 3.0));
    assert_eq!(top.top[0].share(top.slo.bad), (2.0 / 3.0, 2.0 / 3.0));
    // The second SLO, by status; an event no SLO counts is left out everywhere.
    let top = r.top(T0, T0 + MINUTE, 1, 1, 10);
    assert_eq!(top.slo, SloCounts { bad: 1, total: 4 });
    assert_eq!(top.top, [contributor("503", (1, 1), (2, 2))]);
    // A limit lists the heaviest and bounds the rest by the next one.
    let top = r.top(T0, T0 + MINUTE, 0, 0, 1);
    assert_eq!(top.top, [contributor("/cart", (2, 2), (3, 3))]);
    assert_eq!(top.unlisted_bad_max, 1);
    // Unknown dimensions and SLOs give nothing.
    assert!(r.top(T0, T0 + MINUTE, 2, 0, 10).top.is_empty());
    assert_eq!(r.top(T0, T0 + MINUTE, 0, 2, 10).slo, SloCounts::default());
}

#[test]
fn evicting_keys_without_bad_events_keeps_bad_counts_exact() {
    let mut r = AttributionRing::new(shape(60, 1, 1, 2));
    times(&mut r, 3, T0, "a", &[GOOD]);
    times(&mut r, 1, T0, "b", &[GOOD]);
    // Full: a good-only event of a new key is untracked.
    times(&mut r, 2, T0, "z", &[GOOD]);
    // A bad one evicts the lightest (both weigh 0: the smallest key, a).
    times(&mut r, 2, T0, "c", &[BAD]);
    let t = &r.slots[r.slot_of(T0 / MINUTE)].tables[0];
    assert_eq!((t.floor(), t.untracked(0)), (0, 5));
    // c's events before its insertion are at most the 2 untracked then (z's); when a
    // comes back (evicting b, weight 0) its own 3 are among the 5 untracked.
    times(&mut r, 1, T0, "a", &[BAD]);
    let top = r.top(T0, T0 + MINUTE, 0, 0, 10);
    assert_eq!(top.slo, SloCounts { bad: 3, total: 9 });
    assert_eq!(
        top.top,
        [
            contributor("c", (2, 2), (2, 4)),
            contributor("a", (1, 1), (1, 6))
        ]
    );
    assert!(top.overflowed);
    assert_eq!(top.unlisted_bad_max, 0);
    // An absent key's total is at most the untracked events: b's 1 and z's 2, a's 3.
    assert_eq!(r.slots[r.slot_of(T0 / MINUTE)].tables[0].untracked(0), 6);
}

#[test]
fn evicting_a_key_with_bad_events_gives_space_saving_bounds() {
    let mut r = AttributionRing::new(shape(60, 1, 1, 2));
    times(&mut r, 3, T0, "a", &[BAD]);
    times(&mut r, 1, T0, "b", &[BAD]);
    times(&mut r, 1, T0, "b", &[GOOD]);
    // c evicts b (weight 1): c may have had 1 bad event before (b's weight), and b's 2
    // events are untracked now.
    times(&mut r, 2, T0, "c", &[BAD]);
    let top = r.top(T0, T0 + MINUTE, 0, 0, 10);
    assert_eq!(top.slo, SloCounts { bad: 6, total: 7 });
    assert_eq!(
        top.top,
        [
            contributor("a", (3, 3), (3, 3)),
            contributor("c", (2, 2), (2, 2))
        ]
    );
    // c's error is 1 (b's weight), but c was inserted when nothing was untracked: exact.
    // b: at most the floor (1), the unaccounted bad (1) and the untracked events (2).
    assert_eq!(top.unlisted_bad_max, 1);
    // a and c both weigh 3 (c: err 1 + 2 bad): d evicts the smaller key, a. d's err is 3
    // but its events before are at most the 2 untracked then (b's), so its bad events are
    // at most 1 + 2. c stays exact; a, absent, had at most min(floor 3, unaccounted 7 - 3,
    // untracked 2 + 3) bad events.
    times(&mut r, 1, T0, "d", &[BAD]);
    let top = r.top(T0, T0 + MINUTE, 0, 0, 10);
    assert_eq!(top.slo, SloCounts { bad: 7, total: 8 });
    assert_eq!(
        top.top,
        [
            contributor("d", (1, 3), (1, 3)),
            contributor("c", (2, 2), (2, 2))
        ]
    );
    assert_eq!(top.unlisted_bad_max, 3);
}

#[test]
fn late_events_and_reused_slots_count_only_where_held() {
    let mut r = AttributionRing::new(shape(3, 1, 1, 4));
    assert_eq!(r.held_from_us(), i64::MIN);
    times(&mut r, 1, T0 + 10 * MINUTE, "a", &[BAD]);
    // Three minutes held: 8, 9 and 10. Minute 7 is too late; 8 is held.
    times(&mut r, 1, T0 + 7 * MINUTE, "b", &[BAD]);
    times(&mut r, 1, T0 + 8 * MINUTE + 59 * SECOND, "c", &[BAD]);
    assert_eq!(r.held_from_us(), T0 + 8 * MINUTE);
    let top = r.top(T0, T0 + HOUR, 0, 0, 10);
    assert_eq!((top.from_us, top.to_us), (T0 + 8 * MINUTE, T0 + HOUR));
    assert_eq!(top.slo, SloCounts { bad: 2, total: 2 });
    assert_eq!(
        top.top,
        [
            contributor("a", (1, 1), (1, 1)),
            contributor("c", (1, 1), (1, 1))
        ]
    );
    // Minute 11 reuses minute 8's slot: c is gone, the range starts later.
    times(&mut r, 1, T0 + 11 * MINUTE, "d", &[GOOD]);
    let top = r.top(T0, T0 + HOUR, 0, 0, 10);
    assert_eq!(top.from_us, T0 + 9 * MINUTE);
    assert_eq!(top.slo, SloCounts { bad: 1, total: 2 });
    assert_eq!(top.top, [contributor("a", (1, 1), (1, 1))]);
    // A range counts the minutes that start in it.
    let top = r.top(T0 + 10 * MINUTE + 1, T0 + 11 * MINUTE + 1, 0, 0, 10);
    assert_eq!(
        (top.from_us, top.to_us),
        (T0 + 11 * MINUTE, T0 + 12 * MINUTE)
    );
    assert_eq!(top.slo, SloCounts { bad: 0, total: 1 });
    // Far ahead: every slot is reused and nothing old is read.
    times(&mut r, 1, T0 + 100 * MINUTE, "e", &[BAD]);
    assert_eq!(r.top(T0, T0 + HOUR, 0, 0, 10).slo, SloCounts::default());
}

#[test]
fn ties_order_by_key() {
    let mut r = AttributionRing::new(shape(60, 1, 1, 8));
    for key in ["m", "b", "x", "a"] {
        times(&mut r, 2, T0, key, &[BAD]);
    }
    times(&mut r, 3, T0, "z", &[BAD]);
    let keys: Vec<Vec<u8>> = r
        .top(T0, T0 + MINUTE, 0, 0, 3)
        .top
        .into_iter()
        .map(|c| c.key)
        .collect();
    assert_eq!(keys, [b"z".to_vec(), b"a".to_vec(), b"b".to_vec()]);
}

#[test]
fn keys_are_cut_and_missing_dimensions_are_empty_keys() {
    let mut r = AttributionRing::new(shape(60, 2, 1, 8));
    let long = vec![b'x'; MAX_KEY_BYTES + 10];
    r.record(T0, &[&long], &[BAD]);
    r.record(T0, &[&long[..MAX_KEY_BYTES]], &[BAD]);
    let top = r.top(T0, T0 + MINUTE, 0, 0, 10);
    assert_eq!(top.top.len(), 1);
    assert_eq!(top.top[0].key.len(), MAX_KEY_BYTES);
    assert_eq!(top.top[0].bad, 2);
    assert_eq!(
        r.top(T0, T0 + MINUTE, 1, 0, 10).top,
        [contributor("", (2, 2), (2, 2))]
    );
}

#[test]
fn memory_is_allocated_as_keys_arrive_and_stays_within_the_bound() {
    let typical = shape(60, 5, 3, 32);
    let empty = AttributionRing::new(typical);
    assert_eq!(empty.bytes(), size_of::<AttributionRing>());
    // The figures of the module documentation.
    assert_eq!(size_of::<Minute>(), 56);
    assert_eq!(size_of::<Table>(), 128);
    assert_eq!(Table::max_heap_bytes(32, 3, 32), 4_108);
    assert_eq!(typical.max_bytes(32), 1_277_184);
    assert_eq!(typical.max_bytes(200), 3_120_384);
    let mut r = AttributionRing::new(typical);
    // Every table of every minute full of 32-byte keys, with evictions churning the arenas.
    for minute in 0..60 {
        for i in 0..200u32 {
            let key = format!("{:0>32}", i * 7 % 97);
            let k = key.as_bytes();
            r.record(
                T0 + minute * MINUTE,
                &[k, k, k, k, k],
                &[BAD, GOOD, Some(i % 3 == 0)],
            );
        }
    }
    assert!(r.bytes() <= typical.max_bytes(32), "{}", r.bytes());
    assert!(r.bytes() > typical.max_bytes(32) / 2, "{}", r.bytes());
    // Paths filling their tables, a few statuses, hosts, backends and methods.
    let mut real = AttributionRing::new(typical);
    for minute in 0..60 {
        for i in 0..500u32 {
            let path = format!("/api/v1/resource-{:03}/{{id}}", i * 7 % 200);
            let status: &[u8] = [&b"200"[..], b"503", b"404", b"201"][(i % 4) as usize];
            let backend = format!("10.0.0.{}:8080", i % 3);
            let method: &[u8] = [&b"GET"[..], b"POST"][(i % 2) as usize];
            let keys = [
                path.as_bytes(),
                status,
                b"shop.example.com",
                backend.as_bytes(),
                method,
            ];
            let bad = Some(i % 4 == 1);
            real.record(T0 + minute * MINUTE, &keys, &[bad, Some(false), bad]);
        }
    }
    // About 350 KiB (358,168 bytes), as the module documentation says.
    assert!(
        (300_000..400_000).contains(&real.bytes()),
        "{}",
        real.bytes()
    );
    // A minute of a few keys holds a few entries.
    let mut small = AttributionRing::new(typical);
    small.record(
        T0,
        &[b"/a", b"200", b"h", b"b", b"GET"],
        &[GOOD, GOOD, GOOD],
    );
    assert!(small.bytes() < 8 * 1024, "{}", small.bytes());
}

#[test]
fn minutes_of_another_shape_are_refused_whole() {
    let mut r = AttributionRing::new(shape(60, 2, 2, 4));
    r.record(T0, &[b"a", b"b"], &[BAD, GOOD]);
    let mut state = r.export();
    let good = state.clone();
    state.minutes.push(MinuteState {
        minute: T0 / MINUTE + 1,
        slos: vec![SloCounts::default(); 3],
        tables: Vec::new(),
    });
    let mut into = AttributionRing::new(shape(60, 2, 2, 4));
    assert_eq!(
        into.import(&state),
        Err(AttributionError::Slos {
            minute: T0 / MINUTE + 1,
            expected: 2,
            found: 3
        })
    );
    assert_eq!(into.export(), AttributionState::default());
    state.minutes[1].slos.pop();
    state.minutes[1].tables = vec![TableState::default()];
    assert!(matches!(
        into.import(&state),
        Err(AttributionError::Dims { .. })
    ));
    into.import(&good).unwrap();
    assert_eq!(into.export(), good);
    assert_eq!(
        into.export_minute(T0 + 5 * SECOND),
        Some(good.minutes[0].clone())
    );
    assert_eq!(into.export_minute(T0 + MINUTE), None);
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

fn feed(r: &mut AttributionRing, direct: &mut Direct, e: &Ev) {
    let (minute, second, keys, verdicts) = e;
    let keys = ev_keys(keys);
    let keys: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
    let slos = r.shape().slos;
    let t = T0 + minute * MINUTE + second * SECOND;
    r.record(t, &keys, &verdicts[..slos]);
    direct.record(t, &keys, &verdicts[..slos]);
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Few and many distinct keys, small tables, late events and reused slots: every bound
    /// holds the direct count, and a checkpoint round trip answers the same.
    #[test]
    fn bounds_hold_the_direct_count(
        stream in prop_oneof![events(12, 4), events(12, 40), events(3, 200)],
        minutes in 1..8usize,
        slos in 1..4usize,
        k in 1..8usize,
        (from, len, limit) in (-2..14i64, 0..10i64, 1..6usize),
    ) {
        let mut r = AttributionRing::new(shape(minutes, 2, slos, k));
        let mut direct = Direct { minutes, ..Direct::default() };
        for e in &stream {
            feed(&mut r, &mut direct, e);
        }
        let bytes = postcard::to_stdvec(&r.export()).unwrap();
        let state: AttributionState = postcard::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&state, &r.export());
        for t in r.slots.iter().flat_map(|m| &m.tables) {
            t.invariants(k, slos).map_err(TestCaseError::fail)?;
        }
        let mut restored = AttributionRing::new(r.shape());
        restored.import(&state).unwrap();
        prop_assert_eq!(restored.export(), r.export());
        for q in queries(&r, from, len, limit) {
            let got = r.top(q.0, q.1, q.2, q.3, q.4);
            check(&got, &direct, q)?;
            prop_assert_eq!(restored.top(q.0, q.1, q.2, q.3, q.4), got);
        }
    }

    /// Two rings that each recorded half of a stream (all of it held), merged, hold the
    /// direct count in their bounds, and give the one ring's answers when no table of any
    /// of them overflowed.
    #[test]
    fn merged_halves_hold_the_direct_count(
        stream in prop_oneof![events(4, 4), events(4, 12), events(2, 60)],
        slos in 1..4usize,
        k in 1..10usize,
        (from, len, limit) in (-1..5i64, 0..5i64, 1..6usize),
    ) {
        let s = shape(6, 2, slos, k);
        let (mut one, mut direct) = (AttributionRing::new(s), Direct { minutes: 6, ..Direct::default() });
        let (mut even, mut odd) = (AttributionRing::new(s), AttributionRing::new(s));
        let mut ignored = Direct { minutes: 6, ..Direct::default() };
        for (i, e) in stream.iter().enumerate() {
            feed(&mut one, &mut direct, e);
            feed(if i % 2 == 0 { &mut even } else { &mut odd }, &mut ignored, e);
        }
        let mut merged = AttributionRing::new(s);
        merged.import(&even.export()).unwrap();
        for m in &odd.export().minutes {
            merged.merge_minute(m).unwrap();
        }
        for t in merged.slots.iter().flat_map(|m| &m.tables) {
            t.invariants(k, slos).map_err(TestCaseError::fail)?;
        }
        for q in queries(&one, from, len, limit) {
            let got = merged.top(q.0, q.1, q.2, q.3, q.4);
            check(&got, &direct, q)?;
            let alone = one.top(q.0, q.1, q.2, q.3, q.4);
            let halves = [&even, &odd].map(|r| r.top(q.0, q.1, q.2, q.3, q.4).overflowed);
            if !alone.overflowed && !halves.contains(&true) {
                prop_assert_eq!(got, alone);
            }
        }
    }
}

proptest! {
    /// Whatever keys arrive, the table keeps its invariants (see [`Table::invariants`]).
    #[test]
    fn a_table_keeps_its_invariants(
        stream in prop::collection::vec((0..64u8, 0..3u8), 1..400),
        k in 1..12usize,
    ) {
        let mut t = Table::default();
        let mut events = 0u32;
        for &(key, verdict) in &stream {
            let deltas = [Delta::of([GOOD, BAD, None][usize::from(verdict)])];
            let weight = u32::from(verdict == 1);
            t.record(&key_bytes(0, key), &deltas, weight, k, 1);
            events += u32::from(verdict != 2);
            t.invariants(k, 1).map_err(TestCaseError::fail)?;
        }
        let counted: u32 = t.tracked(0, 1).map(|e| e.counts.total).sum();
        prop_assert_eq!(counted + t.untracked(0), events);
    }
}

/// Adds event `e` of service `service` to `sums` (as `add_attribution` does, flushing into
/// `rings` when full) and records it in `direct`'s ring and count, one by one.
fn feed_both(
    sums: &mut BatchSums,
    rings: &mut Vec<Option<AttributionRing>>,
    direct: &mut [(AttributionRing, Direct)],
    service: usize,
    e: &Ev,
) {
    let (minute, second, keys, verdicts) = e;
    let keys = ev_keys(keys);
    let slos = direct[service].0.shape().slos;
    let t = T0 + minute * MINUTE + second * SECOND;
    let lens = keys.iter().map(|k| k.len() as u32);
    if sums.is_full() {
        sums.flush(rings, |_| AttributionRing::new(direct[service].0.shape()));
    }
    sums.add_parts(
        service,
        t,
        &keys.concat(),
        lens,
        verdicts[..slos].iter().copied(),
    );
    let keys: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
    let (one_by_one, count) = &mut direct[service];
    one_by_one.record(t, &keys, &verdicts[..slos]);
    count.record(t, &keys, &verdicts[..slos]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Two services' events in batches of any size, summed per batch: every bound holds
    /// the direct count, and the ring is the one that counted event by event whenever that
    /// one's tables never overflowed (so in the same order of keys, the same counts).
    #[test]
    fn batch_sums_count_what_each_event_does(
        stream in prop_oneof![events(4, 4), events(4, 12), events(2, 60)],
        services in prop::collection::vec(0..2usize, 300),
        cuts in prop::collection::vec(1..40usize, 1..20),
        minutes in 1..6usize,
        slos in 1..4usize,
        k in 1..10usize,
        (from, len, limit) in (-1..5i64, 0..5i64, 1..6usize),
    ) {
        let shape = shape(minutes, 2, slos, k);
        let mut direct: Vec<(AttributionRing, Direct)> = (0..2)
            .map(|_| (AttributionRing::new(shape), Direct { minutes, ..Direct::default() }))
            .collect();
        let (mut sums, mut rings) = (BatchSums::new(), Vec::new());
        let mut cut = cuts.iter().cycle();
        let mut left = *cut.next().unwrap();
        for (e, &service) in stream.iter().zip(&services) {
            feed_both(&mut sums, &mut rings, &mut direct, service, e);
            left -= 1;
            if left == 0 {
                sums.flush(&mut rings, |_| AttributionRing::new(shape));
                left = *cut.next().unwrap();
            }
        }
        sums.flush(&mut rings, |_| AttributionRing::new(shape));
        prop_assert!(sums.is_empty());
        for (service, (one_by_one, count)) in direct.iter().enumerate() {
            let Some(Some(summed)) = rings.get(service) else {
                prop_assert_eq!(one_by_one.export().minutes.len(), 0);
                continue;
            };
            for t in summed.slots.iter().flat_map(|m| &m.tables) {
                t.invariants(k, slos).map_err(TestCaseError::fail)?;
            }
            let mut overflowed = false;
            for q in queries(summed, from, len, limit) {
                let got = summed.top(q.0, q.1, q.2, q.3, q.4);
                check(&got, count, q)?;
                overflowed |= one_by_one.top(q.0, q.1, q.2, q.3, q.4).overflowed;
            }
            if !overflowed {
                prop_assert_eq!(summed.export(), one_by_one.export());
            }
        }
    }
}

/// More distinct sums than a batch holds: it asks for a flush at [`BatchSums::MAX_SUMS`],
/// and flushing then and going on (as `add_attribution` does) counts what counting one by
/// one does.
#[test]
fn a_full_batch_is_flushed_and_goes_on() {
    let shape = shape(5, 2, 2, 2048);
    let mut one_by_one = AttributionRing::new(shape);
    let (mut sums, mut rings) = (BatchSums::new(), Vec::new());
    let mut flushes = 0;
    // 1,499 paths × 3 minutes: 4,497 distinct sums, each table of a minute within k.
    for i in 0..4500u32 {
        let t = T0 + i64::from(i % 3) * MINUTE + 7 * SECOND;
        let path = format!("/p/{}", i % 1499).into_bytes();
        let verdicts = [Some(i % 5 == 0), GOOD];
        if sums.is_full() {
            assert_eq!(i, BatchSums::MAX_SUMS as u32);
            sums.flush(&mut rings, |_| AttributionRing::new(shape));
            flushes += 1;
        }
        let lens = [path.len() as u32, 3];
        sums.add_parts(
            0,
            t,
            &[&path[..], b"GET"].concat(),
            lens.into_iter(),
            verdicts.into_iter(),
        );
        one_by_one.record(t, &[&path, b"GET"], &verdicts);
    }
    sums.flush(&mut rings, |_| AttributionRing::new(shape));
    assert_eq!(flushes, 1);
    let summed = rings[0].as_ref().unwrap();
    assert_eq!(summed.export(), one_by_one.export());
    let all = summed.top(i64::MIN + MINUTE, i64::MAX - MINUTE, 1, 0, 3);
    assert_eq!(
        all.slo,
        SloCounts {
            bad: 900,
            total: 4500
        }
    );
    assert!(!all.overflowed);
    assert_eq!(all.top[0].key, b"GET");
    assert!(all.top[0].exact && all.top[0].bad == 900);
}

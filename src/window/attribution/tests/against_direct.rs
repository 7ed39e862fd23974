//! Property tests against the direct count: every answer's bounds contain it, for streams
//! that overflow the tables and streams that do not, after a checkpoint round trip and after
//! merging two halves; and a table keeps its invariants whatever keys arrive.

use super::*;

fn feed(r: &mut AttributionRing, direct: &mut Direct, e: &Ev) {
    let (minute, second, keys, verdicts) = e;
    let keys = ev_keys(keys);
    let keys: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
    let slos = r.shape().slos;
    let t = T0 + minute * MINUTE + second * SECOND;
    r.record(t, &keys, &verdicts[..slos]);
    direct.record(t, &keys, &verdicts[..slos]);
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

//! Batch sums: events summed per batch and flushed into the rings count what recording each
//! event one by one does, for batches of any size and a batch that fills up.

use super::*;

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

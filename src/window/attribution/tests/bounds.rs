//! Hand cases that pin each bound of an answer: a table that never overflows, evictions of
//! keys with and without bad events, late events and reused slots, ties, cut keys.

use super::*;
use crate::time::HOUR;

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

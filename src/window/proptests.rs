//! Property tests of the window store: for any events in any order, every window's counts
//! equal a direct count over its `[start, end)`, good never exceeds total, and splitting the
//! events over several shards and adding them up equals one shard holding everything.

use proptest::prelude::*;

use super::ring::{Counts, Layout, SloCounters, window_start};
use crate::time::{DAY, HOUR, MINUTE, SECOND, floor_to};

const WINDOWS: [i64; 6] = [5 * SECOND, 5 * MINUTE, HOUR, 6 * HOUR, DAY, 3 * DAY];
const BASE: i64 = 1_700_000_000 * SECOND;

fn events() -> impl Strategy<Value = Vec<(i64, bool)>> {
    events_over(4 * DAY)
}

/// 1 to 400 events spread over `[BASE, BASE + span)`.
fn events_over(span: i64) -> impl Strategy<Value = Vec<(i64, bool)>> {
    prop::collection::vec((0..span, any::<bool>()), 1..400)
        .prop_map(|v| v.into_iter().map(|(t, g)| (BASE + t, g)).collect())
}

/// Events spread over four days, or packed into two hours (so that the short windows of an
/// end near the newest event hold many).
fn sparse_or_dense_events() -> impl Strategy<Value = Vec<(i64, bool)>> {
    prop_oneof![events_over(4 * DAY), events_over(2 * HOUR)]
}

/// An evaluation end: `BASE + anywhere` or, given `near`, that long before the newest of
/// `events` (negative: after it), where a ring's live buckets cover the windows.
fn end_for(events: &[(i64, bool)], anywhere: i64, near: Option<i64>) -> i64 {
    let newest = events.iter().map(|e| e.0).max().unwrap_or(BASE);
    near.map_or(BASE + anywhere, |lag| newest - lag)
}

/// Counters shaped by `layout` that were given `events`, in order.
fn fed(layout: &Layout, events: &[(i64, bool)]) -> SloCounters {
    let mut c = SloCounters::new(layout);
    for &(t, good) in events {
        c.add(t, good);
    }
    c
}

fn direct(events: &[(i64, bool)], start: i64, end: i64) -> Counts {
    let mut c = Counts::default();
    for &(_, good) in events.iter().filter(|(t, _)| (start..end).contains(t)) {
        c.total += 1;
        c.good += u64::from(good);
    }
    c
}

proptest! {
    #[test]
    fn windows_equal_a_direct_count(events in events(), lag in 0..HOUR, shards in 1usize..5) {
        let layout = Layout::new(&WINDOWS, HOUR);
        let newest = events.iter().map(|e| e.0).max().unwrap();
        let end = floor_to(newest - lag, SECOND);
        let mut one = SloCounters::new(&layout);
        let mut split: Vec<SloCounters> = (0..shards).map(|_| SloCounters::new(&layout)).collect();
        for (i, &(t, good)) in events.iter().enumerate() {
            one.add(t, good);
            split[i % shards].add(t, good);
        }
        for w in WINDOWS {
            let got = one.sum(w, end);
            prop_assert!(got.good <= got.total);
            prop_assert_eq!(got, direct(&events, window_start(w, end), end));
            let mut merged = Counts::default();
            for s in &split {
                merged += s.sum(w, end);
            }
            prop_assert_eq!(merged, got);
        }
    }
}

/// [`SloCounters::add_sums`] of the windows `picks` (indexes into [`WINDOWS`]) ending at
/// `end` (rounded down to a second) equals each window's [`SloCounters::sum`].
fn add_sums_equal_sums(c: &SloCounters, end: i64, picks: &[usize]) -> Result<(), TestCaseError> {
    let windows: Vec<i64> = picks.iter().map(|&i| WINDOWS[i]).collect();
    windows_summed_at_once_equal_sums(c, floor_to(end, SECOND), &windows).map(drop)
}

/// [`SloCounters::add_sums`] of `windows` ending at `end` (a whole second) equals each
/// window's [`SloCounters::sum`]; the counts.
fn windows_summed_at_once_equal_sums(
    c: &SloCounters,
    end: i64,
    windows: &[i64],
) -> Result<Vec<Counts>, TestCaseError> {
    let mut all = vec![Counts::default(); windows.len()];
    c.add_sums(windows, end, &mut all);
    for (w, got) in windows.iter().zip(&all) {
        prop_assert_eq!(*got, c.sum(*w, end), "window {}", w);
    }
    Ok(all)
}

proptest! {
    /// Summing all windows at once gives each window's own sum, for any end and any subset
    /// and order of windows (duplicates included), with tiers missing from the layout too,
    /// and with rings sized for the windows alone (no slack), where a window can be read as
    /// its ring's live sum minus the buckets outside it.
    #[test]
    fn add_sums_equals_each_sum(
        events in sparse_or_dense_events(),
        end_offset in -DAY..6 * DAY,
        near in prop::option::of(-MINUTE..HOUR),
        picks in prop::collection::vec(0..WINDOWS.len(), 1..10),
        layout in 0..3,
    ) {
        let layout = match layout {
            0 => Layout::new(&WINDOWS[..3], MINUTE),
            1 => Layout::new(&WINDOWS, 0),
            _ => Layout::new(&WINDOWS, HOUR),
        };
        let c = fed(&layout, &events);
        add_sums_equal_sums(&c, end_for(&events, end_offset, near), &picks)?;
    }
}

/// Several windows per tier, as an SLO with its burn-rate windows has them (1 h, 2 h and 6 h
/// are all measured with the minute tier).
const MANY: [i64; 12] = [
    5 * SECOND,
    30 * SECOND,
    5 * MINUTE,
    8 * MINUTE,
    HOUR,
    2 * HOUR,
    6 * HOUR,
    DAY,
    3 * DAY,
    20 * DAY,
    21 * DAY,
    30 * DAY,
];

proptest! {
    /// With several windows per tier and rings sized for them alone (no slack), so that
    /// windows are read every way `add_sums` has (a coarser tier's middle, a ring's own
    /// buckets or its live sum minus the rest, a longer window extending a shorter one):
    /// summing all windows at once still gives each window's own sum and, for an end past
    /// the newest event, a direct count.
    #[test]
    fn add_sums_equals_each_sum_with_many_windows_per_tier(
        events in sparse_or_dense_events(),
        end_offset in -DAY..6 * DAY,
        near in prop::option::of(-MINUTE..HOUR),
        picks in prop::collection::vec(0..MANY.len(), 1..16),
    ) {
        let windows: Vec<i64> = picks.iter().map(|&i| MANY[i]).collect();
        let c = fed(&Layout::new(&windows, 0), &events);
        let end = floor_to(end_for(&events, end_offset, near), SECOND);
        let all = windows_summed_at_once_equal_sums(&c, end, &windows)?;
        // Without slack the rings keep every window only as far back as the newest event.
        let newest = events.iter().map(|e| e.0).max().unwrap();
        if end > newest {
            for (&w, got) in windows.iter().zip(all) {
                prop_assert_eq!(got, direct(&events, window_start(w, end), end), "window {}", w);
            }
        }
    }
}

proptest! {
    /// For any end — before the events, inside them, or long after — a window never counts
    /// more good, bad or total events than lie in its `[start, end)`, whatever was evicted,
    /// and two counters fed disjoint halves never count more than one fed everything.
    #[test]
    fn windows_never_count_outside_their_span(
        events in events(),
        end_offset in -DAY..6 * DAY,
        half in prop::collection::vec(any::<bool>(), 400),
        w in prop::sample::select(WINDOWS.to_vec()),
    ) {
        let layout = Layout::new(&WINDOWS, HOUR);
        let end = floor_to(BASE + end_offset, SECOND);
        let mut one = SloCounters::new(&layout);
        let mut halves = [SloCounters::new(&layout), SloCounters::new(&layout)];
        for (i, &(t, good)) in events.iter().enumerate() {
            one.add(t, good);
            halves[usize::from(half[i])].add(t, good);
        }
        let want = direct(&events, window_start(w, end), end);
        let got = one.sum(w, end);
        let merged = {
            let mut m = halves[0].sum(w, end);
            m += halves[1].sum(w, end);
            m
        };
        for c in [got, merged] {
            prop_assert!(c.good <= c.total);
            prop_assert!(c.total <= want.total);
            prop_assert!(c.good <= want.good);
            prop_assert!(c.bad() <= want.bad());
        }
        // Within the retained span (ends at or after the newest event), nothing is lost.
        let newest = events.iter().map(|e| e.0).max().unwrap();
        if end > newest {
            prop_assert_eq!(got, want);
            prop_assert_eq!(merged, want);
        }
    }
}

proptest! {
    /// Counts added already summed per second (as a cluster's deltas carry them) give the
    /// same windows as the same events added one by one, in any order.
    #[test]
    fn summed_counts_equal_single_events(events in events(), lag in 0..HOUR) {
        let layout = Layout::new(&WINDOWS, HOUR);
        let newest = events.iter().map(|e| e.0).max().unwrap();
        let end = floor_to(newest - lag, SECOND);
        let mut single = SloCounters::new(&layout);
        let mut per_second: std::collections::BTreeMap<i64, (u64, u64)> = Default::default();
        for &(t, good) in &events {
            single.add(t, good);
            let c = per_second.entry(floor_to(t, SECOND)).or_default();
            c.0 += u64::from(good);
            c.1 += 1;
        }
        let mut summed = SloCounters::new(&layout);
        // Newest second first: the order of arrival must not matter while buckets are live.
        for (&second, &(good, total)) in per_second.iter().rev() {
            summed.add_counts(second, good, total);
        }
        for w in WINDOWS {
            prop_assert_eq!(summed.sum(w, end), single.sum(w, end), "window {}", w);
        }
    }
}

proptest! {
    /// Counters restored from a checkpoint (taken with the same layout or a shorter one,
    /// whose tiers reached back less far) and fed more events: summing all windows at once
    /// still gives each window's own sum.
    #[test]
    fn add_sums_equals_each_sum_after_a_restore(
        events in sparse_or_dense_events(),
        cut in 0usize..400,
        end_offset in -DAY..6 * DAY,
        near in prop::option::of(-MINUTE..HOUR),
        picks in prop::collection::vec(0..WINDOWS.len(), 1..10),
        short_before in any::<bool>(),
        tight in any::<bool>(),
    ) {
        let before = if short_before {
            Layout::new(&WINDOWS[..3], MINUTE)
        } else {
            Layout::new(&WINDOWS, HOUR)
        };
        let cut = cut.min(events.len());
        let old = fed(&before, &events[..cut]);
        let mut c = SloCounters::new(&Layout::new(&WINDOWS, if tight { 0 } else { HOUR }));
        c.import(&old.export());
        for &(t, good) in &events[cut..] {
            c.add(t, good);
        }
        add_sums_equal_sums(&c, end_for(&events, end_offset, near), &picks)?;
    }
}

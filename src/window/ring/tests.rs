/// Issue 6's memory target: the exact counts of a 31-day SLO, with the windows of its
/// default burn-rate alerts and the default slack (lateness 0, partition lag 5 m, future
/// 5 m), fit in 64 KiB per shard.
#[test]
fn a_31_day_slo_keeps_its_counts_in_64_kib() {
    use crate::evaluate::{default_burn_alerts, windows_for};
    let period = 31 * crate::time::DAY;
    let layout = Layout::new(
        &windows_for(period, &default_burn_alerts(period)),
        10 * MINUTE,
    );
    let bytes = layout.bytes();
    eprintln!(
        "31-day SLO: {bytes} bytes of counters per shard, slots {:?}",
        layout.slots
    );
    assert!(bytes <= 64 * 1024, "{bytes} bytes");
}

use super::*;
use crate::time::DAY;

#[test]
fn tiers_are_at_most_a_sixtieth() {
    assert_eq!(tier_for(5 * SECOND), 0);
    assert_eq!(tier_for(MINUTE), 0);
    assert_eq!(tier_for(5 * MINUTE), 0);
    assert_eq!(tier_for(10 * MINUTE), 1);
    assert_eq!(tier_for(30 * MINUTE), 1);
    assert_eq!(tier_for(HOUR), 2);
    assert_eq!(tier_for(6 * HOUR), 2);
    assert_eq!(tier_for(DAY), 3);
    assert_eq!(tier_for(3 * DAY), 4);
    assert_eq!(tier_for(30 * DAY), 4);
    for w in [5 * MINUTE, HOUR, DAY, 30 * DAY] {
        assert!(TIER_WIDTHS[tier_for(w)] * 60 <= w);
    }
    for pair in TIER_WIDTHS.windows(2) {
        assert_eq!(pair[1] % pair[0], 0);
    }
}

#[test]
fn thirty_days_cost_tens_of_kib() {
    let standard = crate::evaluate::STANDARD_WINDOWS;
    let windows: Vec<i64> = standard.into_iter().chain([30 * DAY]).collect();
    let layout = Layout::new(&windows, 5 * MINUTE);
    assert_eq!(layout.slots.len(), 5);
    assert!(layout.bytes() < 64 * 1024, "{} bytes", layout.bytes());
}

/// Brute force: the counts of a window equal a direct count of the events inside the
/// `[start, end)` it reports, for windows on and off tier boundaries.
#[test]
fn window_sums_match_a_direct_count() {
    let windows = [5 * MINUTE, HOUR, DAY, 3 * DAY];
    // The ends below trail the newest event by up to an hour: that is the slack.
    let layout = Layout::new(&windows, HOUR);
    let mut c = SloCounters::new(&layout);
    let base = 1_700_000_000 * SECOND;
    let mut events = Vec::new();
    let mut x: u64 = 7;
    for _ in 0..20_000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let t = base + (x >> 20) as i64 % (4 * DAY);
        let good = !x.is_multiple_of(7);
        events.push((t, good));
    }
    events.sort();
    for &(t, good) in &events {
        c.add(t, good);
    }
    let newest = events.last().unwrap().0;
    for end in [
        floor_to(newest, SECOND),
        floor_to(newest, HOUR),
        floor_to(newest, SECOND) - 17 * SECOND,
    ] {
        for &w in &windows {
            let start = window_start(w, end);
            assert!(start >= end - w && start < end - w + TIER_WIDTHS[tier_for(w)]);
            let mut want = Counts::default();
            for &(_, good) in events.iter().filter(|(t, _)| (start..end).contains(t)) {
                want.total += 1;
                want.good += u64::from(good);
            }
            assert_eq!(c.sum(w, end), want, "window {w} end {end}");
        }
    }
}

#[test]
fn overwritten_buckets_reject_late_events() {
    let mut r = Ring::new(SECOND, 3);
    assert!(r.add(10 * SECOND, 1, 1));
    assert!(r.add(13 * SECOND, 1, 1));
    assert!(!r.add(10 * SECOND, 1, 1), "slot now holds a newer bucket");
    assert!(r.add(12 * SECOND, 0, 1));
    assert_eq!(
        r.sum(10 * SECOND, 14 * SECOND),
        Counts { good: 1, total: 2 }
    );
}

//! Long spans: calendar starts off the hour and per-slice reads equal a direct count of the
//! events, and the layouts that keep them cost what the README says.

use super::*;
use crate::time::DAY;

fn events(from: i64, to: i64, n: usize, seed: u64) -> Vec<(i64, bool)> {
    let mut x = seed;
    let mut out: Vec<(i64, bool)> = (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (from + (x >> 16) as i64 % (to - from), !x.is_multiple_of(5))
        })
        .collect();
    out.sort();
    out
}

fn direct(events: &[(i64, bool)], from: i64, to: i64) -> Counts {
    let mut c = Counts::default();
    for &(_, good) in events.iter().filter(|(t, _)| (from..to).contains(t)) {
        c.total += 1;
        c.good += u64::from(good);
    }
    c
}

#[test]
fn sums_from_an_offset_start_match_a_direct_count() {
    // A Kathmandu-like start (:15) read from 1-minute buckets kept for 40 days.
    let base = 1_790_000_000 * SECOND;
    let start = floor_to(base, HOUR) + 15 * MINUTE;
    let r = Retention {
        windows_us: vec![5 * MINUTE, HOUR, DAY],
        spans: vec![(MINUTE, 40 * DAY)],
        history: None,
        ..Default::default()
    };
    let layout = Layout::for_retention(&r, 5 * MINUTE);
    let mut c = SloCounters::new(&layout);
    let evs = events(start - HOUR, start + 35 * DAY, 30_000, 3);
    for &(t, good) in &evs {
        c.add(t, good);
    }
    let newest = evs.last().unwrap().0;
    for end in [
        floor_to(newest, SECOND),
        floor_to(newest, HOUR) + 7 * SECOND,
    ] {
        assert_eq!(c.sum_from(start, end, MINUTE), direct(&evs, start, end));
        let slices = c.slices(start, end, 5 * MINUTE, MINUTE);
        assert_eq!(slices.len() as i64, (end - start) / (5 * MINUTE));
        let mut want = vec![Counts::default(); slices.len()];
        for &(t, good) in evs.iter().filter(|(t, _)| *t >= start) {
            if let Some(w) = want.get_mut(((t - start) / (5 * MINUTE)) as usize) {
                w.total += 1;
                w.good += u64::from(good);
            }
        }
        assert_eq!(slices, want);
    }
}

#[test]
fn calendar_and_slice_layouts_cost_what_the_readme_says() {
    let kib = |width: i64, span: i64| {
        let r = Retention {
            windows_us: Vec::new(),
            spans: vec![(width, span)],
            history: None,
            ..Default::default()
        };
        let l = Layout::for_retention(&r, 5 * MINUTE);
        let idx = TIER_WIDTHS.iter().position(|&w| w == width).unwrap();
        l.slots[idx] * std::mem::size_of::<Slot>() / 1024
    };
    let (month, quarter) = (31 * DAY + HOUR, 92 * DAY + HOUR);
    assert_eq!(kib(HOUR, month), 17);
    assert_eq!(kib(HOUR, quarter), 51);
    assert_eq!(kib(10 * MINUTE, month), 104);
    assert_eq!(kib(10 * MINUTE, quarter), 310);
    assert_eq!(kib(MINUTE, month), 1047);
    assert_eq!(kib(MINUTE, quarter), 3106);
    assert_eq!(kib(MINUTE, 28 * DAY + MINUTE), 945);
    assert_eq!(kib(10 * MINUTE, 28 * DAY + 10 * MINUTE), 94);
}

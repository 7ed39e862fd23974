//! The capacity ring against a direct count: a map of every request by minute and hour,
//! with no slots, over requests in order, late, and after gaps that reuse every slot.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::time::{DAY, SECOND};

/// A whole hour (2026-11-19T08:00:00Z).
const T0: i64 = 1_795_593_600 * SECOND;

fn sums(requests: u64, measured: u64, latency_sum_us: u64) -> Sums {
    Sums {
        requests,
        measured,
        latency_sum_us,
    }
}

fn peak(minute_start_us: i64, s: Sums) -> Option<Peak> {
    Some(Peak {
        minute_start_us,
        sums: s,
    })
}

#[test]
fn a_service_costs_55_kib_once_it_has_traffic() {
    assert_eq!(std::mem::size_of::<MinuteSlot>(), 24);
    assert_eq!(std::mem::size_of::<HourSlot>(), 56);
    assert_eq!(CapacityRing::BYTES, 56_240);
    let empty = CapacityRing::new();
    assert!(empty.minutes.is_empty() && empty.hours.is_empty());
    assert_eq!(empty.peak(i64::MIN, i64::MAX), None);
    assert_eq!(empty.held_minutes_from_us(), i64::MIN);
    assert_eq!(empty.export(), CapacityState::default());
}

#[test]
fn minutes_hours_and_the_peak_count_every_request() {
    let mut r = CapacityRing::new();
    r.record(T0 + 7 * MINUTE + 5 * SECOND, Some(1_000));
    r.record(T0 + 7 * MINUTE + 59 * SECOND, None);
    r.record(T0 + 7 * MINUTE, Some(-5));
    r.record(T0 + 8 * MINUTE, Some(30));
    r.record(T0 + 8 * MINUTE + 1, Some(20));
    r.record(T0 + HOUR + 2 * MINUTE, Some(7));
    assert_eq!(r.minutes(T0, T0 + HOUR), sums(5, 4, 1_050));
    assert_eq!(
        r.minutes(T0 + 7 * MINUTE, T0 + 8 * MINUTE),
        sums(3, 2, 1_000)
    );
    // A range counts the minutes that start in it.
    assert_eq!(
        r.minutes(T0 + 7 * MINUTE + 1, T0 + 9 * MINUTE),
        sums(2, 2, 50)
    );
    assert_eq!(r.hours(T0, T0 + 2 * HOUR), sums(6, 5, 1_057));
    assert_eq!(r.hours(T0 + 1, T0 + 2 * HOUR), sums(1, 1, 7));
    assert_eq!(
        r.peak(T0, T0 + 2 * HOUR),
        peak(T0 + 7 * MINUTE, sums(3, 2, 1_000))
    );
    assert_eq!(
        r.peak(T0 + 8 * MINUTE, T0 + 2 * HOUR),
        peak(T0 + 8 * MINUTE, sums(2, 2, 50))
    );
    assert_eq!(r.peak(T0 + 9 * MINUTE, T0 + HOUR), None);
    // Everything is held: the ring has not turned yet.
    assert_eq!(r.held_minutes_from_us(), T0 + 62 * MINUTE - 25 * HOUR);
    assert_eq!(r.held_hours_from_us(), T0 + HOUR - 15 * DAY);
}

#[test]
fn equal_minutes_give_the_earliest_as_the_peak() {
    let mut r = CapacityRing::new();
    r.record_sums(T0 + 30 * MINUTE, 4, 0, 0);
    r.record_sums(T0 + 10 * MINUTE, 4, 4, 8);
    r.record_sums(T0 + 50 * MINUTE, 3, 0, 0);
    r.record(T0 + 50 * MINUTE, None);
    let first = peak(T0 + 10 * MINUTE, sums(4, 4, 8));
    assert_eq!(r.peak(T0, T0 + HOUR), first);
    // The same after the minutes are gone, from the hour's peak.
    r.record(T0 + 30 * HOUR, None);
    assert_eq!(r.minutes(T0, T0 + HOUR), Sums::default());
    assert_eq!(r.peak(T0, T0 + HOUR), first);
}

#[test]
fn an_hour_keeps_its_peak_minute_after_its_minutes_are_reused() {
    let mut r = CapacityRing::new();
    for (minute, n) in [(7, 5), (30, 3), (31, 6), (59, 1)] {
        for i in 0..n {
            r.record(T0 + minute * MINUTE + i * SECOND, Some(100 * (i + 1)));
        }
    }
    let busiest = peak(T0 + 31 * MINUTE, sums(6, 6, 2_100));
    assert_eq!(r.peak(T0, T0 + HOUR), busiest);
    // 26 hours on, every minute slot of that hour was reused by the minutes since.
    for m in 0..26 * 60 {
        r.record(T0 + HOUR + m * MINUTE, None);
    }
    assert!(r.held_minutes_from_us() > T0 + HOUR);
    assert_eq!(r.minutes(T0, T0 + HOUR), Sums::default());
    assert_eq!(r.hours(T0, T0 + HOUR), sums(15, 15, 4_300));
    assert_eq!(r.peak(T0, T0 + HOUR), busiest);
    // Over a week the busiest minute is still that one, and later minutes of one request
    // do not displace it; from a minute past the hour's start, the hour's peak lies in the
    // range but the hour's other minutes are unknown: exact only from the next hour.
    assert_eq!(r.peak(T0 - 7 * DAY, T0 + 30 * HOUR), busiest);
    assert_eq!(r.exact_peak_from_us(T0 + MINUTE), T0 + HOUR);
    assert_eq!(r.peak(T0 + 32 * MINUTE, T0 + HOUR), None);
    assert_eq!(
        r.peak(T0 + HOUR, T0 + 30 * HOUR),
        peak(T0 + HOUR, sums(1, 0, 0))
    );
}

#[test]
fn late_requests_count_where_a_ring_still_holds_their_bucket() {
    let mut r = CapacityRing::new();
    let now = T0 + 20 * DAY;
    r.record(now, Some(10));
    // A day late: its minute is held.
    r.record(now - DAY, Some(20));
    // Two days late: only its hour; its hour's peak knows nothing of it.
    r.record(now - 2 * DAY, Some(30));
    // Sixteen days late: nowhere.
    r.record(now - 16 * DAY, Some(40));
    assert_eq!(r.minutes(i64::MIN, i64::MAX), sums(2, 2, 30));
    assert_eq!(r.hours(i64::MIN, i64::MAX), sums(3, 3, 60));
    assert_eq!(r.hours(now - 2 * DAY, now - 2 * DAY + HOUR), sums(1, 1, 30));
    assert_eq!(r.peak(now - 3 * DAY, now - DAY), None);
    assert_eq!(r.peak(now - DAY, now), peak(now - DAY, sums(1, 1, 20)));
    assert_eq!(r.held_minutes_from_us(), now - 25 * HOUR);
    assert_eq!(r.held_hours_from_us(), now - 15 * DAY);
    // A request older than the minutes held does not start a minute over.
    r.record(now - 25 * HOUR - MINUTE, None);
    assert_eq!(r.minutes(i64::MIN, i64::MAX), sums(2, 2, 30));
    assert_eq!(r.hours(i64::MIN, i64::MAX), sums(4, 3, 60));
    // The oldest hour that counted anything: two days back (sixteen days back was not held).
    assert_eq!(r.oldest_counted_hour_us(), Some(now - 2 * DAY));
    assert_eq!(CapacityRing::new().oldest_counted_hour_us(), None);
}

#[test]
fn counts_saturate_instead_of_overflowing() {
    let mut r = CapacityRing::new();
    r.record_sums(T0, u64::MAX, u64::MAX, u64::MAX);
    r.record_sums(T0 + 1, 5, 9, 1);
    r.record(T0, Some(i64::MAX));
    let minute = u64::from(u32::MAX);
    assert_eq!(r.minutes(T0, T0 + MINUTE), sums(minute, minute, u64::MAX));
    assert_eq!(r.hours(T0, T0 + HOUR), sums(u64::MAX, u64::MAX, u64::MAX));
    // Nothing for no requests; measured is at most the requests.
    r.record_sums(T0 + HOUR, 0, 3, 3);
    assert_eq!(r.hours(T0 + HOUR, T0 + 2 * HOUR), Sums::default());
    r.record_sums(T0 + HOUR, 2, 3, 3);
    assert_eq!(r.hours(T0 + HOUR, T0 + 2 * HOUR), sums(2, 2, 3));
    // Times at the ends of the range of i64 neither panic nor land anywhere odd (the
    // first minute starts before i64::MIN, so no range holds its start).
    for t in [i64::MIN, i64::MIN + 1, i64::MIN + MINUTE, i64::MAX] {
        let mut r = CapacityRing::new();
        r.record(t, Some(1));
        r.record(t, None);
        assert_eq!(r.export().minutes[0].1, sums(2, 1, 1), "{t}");
        if t >= i64::MIN + MINUTE {
            assert_eq!(r.minutes(i64::MIN, i64::MAX).requests, 2, "{t}");
            assert_eq!(r.peak(i64::MIN, i64::MAX).unwrap().sums.requests, 2);
        }
        let mut back = CapacityRing::new();
        back.import(&r.export());
        assert_eq!(back.export(), r.export());
    }
}

/// A direct count: every request by minute and by hour in maps, with the rings' rule for
/// what is held (a minute from the newest back a day and an hour, an hour back fifteen
/// days) applied to each request as it arrives.
#[derive(Default)]
struct Direct {
    newest: Option<i64>,
    minutes: BTreeMap<i64, Sums>,
    hours: BTreeMap<i64, Sums>,
}

impl Direct {
    fn record(&mut self, time_us: i64, latency_us: Option<i64>) {
        let minute = time_us.div_euclid(MINUTE);
        let newest = self.newest.map_or(minute, |n| n.max(minute));
        self.newest = Some(newest);
        let s = sums(
            1,
            u64::from(latency_us.is_some()),
            latency_us.map_or(0, |l| l.max(0) as u64),
        );
        if time_us.div_euclid(HOUR) + 15 * 24 < newest.div_euclid(60) {
            return;
        }
        self.hours
            .entry(time_us.div_euclid(HOUR))
            .or_default()
            .add(s);
        if minute + 25 * 60 < newest {
            return;
        }
        self.minutes.entry(minute).or_default().add(s);
    }

    /// The oldest minute and hour the rings hold.
    fn held(&self) -> (i64, i64) {
        let newest = self.newest.unwrap();
        (newest - 25 * 60, newest.div_euclid(60) - 15 * 24)
    }

    fn minutes(&self, from: i64, to: i64) -> Sums {
        let mut s = Sums::default();
        for (&m, c) in &self.minutes {
            if m >= self.held().0 && (from..to).contains(&(m * MINUTE)) {
                s.add(*c);
            }
        }
        s
    }

    fn hours(&self, from: i64, to: i64) -> Sums {
        let mut s = Sums::default();
        for (&h, c) in &self.hours {
            if h >= self.held().1 && (from..to).contains(&(h * HOUR)) {
                s.add(*c);
            }
        }
        s
    }

    /// The busiest minute of `[from, to)` among every minute ever held, of an hour held.
    fn peak(&self, from: i64, to: i64) -> Option<Peak> {
        let mut best: Option<Peak> = None;
        for (&m, c) in &self.minutes {
            let start = m * MINUTE;
            if m.div_euclid(60) < self.held().1 || !(from..to).contains(&start) {
                continue;
            }
            if best.is_none_or(|b| c.requests > b.sums.requests) {
                best = Some(Peak {
                    minute_start_us: start,
                    sums: *c,
                });
            }
        }
        best
    }
}

/// Requests: `(arrival hour, hours late, minute, second, latency)`. Most arrive in time;
/// some a few hours late, a day late (past the minutes held) or 15 days late (past the
/// hours held). A few distinct minutes per hour, so that minutes have several requests.
fn requests() -> impl Strategy<Value = Vec<(i64, i64, i64, i64, Option<i64>)>> {
    let late = prop_oneof![
        6 => Just(0i64),
        2 => 0..3i64,
        1 => 24..27i64,
        1 => 358..362i64,
    ];
    let request = (
        0..24 * 20i64,
        late,
        prop::sample::select(vec![0i64, 13, 14, 59]),
        0..60i64,
        prop::option::of(-2..2_000_000i64),
    );
    prop::collection::vec(request, 1..400).prop_map(|mut v| {
        v.sort_by_key(|r| r.0);
        v
    })
}

proptest! {
    /// Minutes, hours and peaks are the direct count's over any range the rings hold, a
    /// peak before that is a lower bound, and a restored ring is the same ring.
    #[test]
    fn the_rings_equal_a_direct_count(
        requests in requests(),
        lag_minutes in 0..90i64,
        from_minutes in 0..24 * 60 * 16i64,
    ) {
        let mut ring = CapacityRing::new();
        let mut direct = Direct::default();
        for &(arrival, late, minute, second, latency) in &requests {
            let t = T0 + (arrival - late) * HOUR + minute * MINUTE + second * SECOND;
            ring.record(t, latency);
            direct.record(t, latency);
        }
        let mut restored = CapacityRing::new();
        restored.import(&ring.export());
        prop_assert_eq!(restored.export(), ring.export());
        prop_assert_eq!(restored.newest, ring.newest);
        let (oldest_minute, oldest_hour) = direct.held();
        prop_assert_eq!(ring.held_minutes_from_us(), oldest_minute * MINUTE);
        prop_assert_eq!(ring.held_hours_from_us(), oldest_hour * HOUR);
        let to = (direct.newest.unwrap() + 1 - lag_minutes) * MINUTE;
        let from = to - from_minutes * MINUTE;
        for (from, to) in [(to - DAY, to), (to - 7 * DAY, to), (to - HOUR, to), (from, to)] {
            prop_assert_eq!(ring.minutes(from, to), direct.minutes(from, to));
            let (hour_from, hour_to) = (from.div_euclid(HOUR) * HOUR, to.div_euclid(HOUR) * HOUR);
            prop_assert_eq!(ring.hours(hour_from, hour_to), direct.hours(hour_from, hour_to));
            let exact = ring.exact_peak_from_us(from);
            prop_assert!(exact >= from);
            if from >= oldest_hour * HOUR {
                prop_assert!(exact < from + HOUR);
            }
            prop_assert_eq!(ring.peak(exact, to), direct.peak(exact, to));
            let (lower, upper) = (ring.peak(from, to), direct.peak(from, to));
            prop_assert!(lower.map(|p| p.sums.requests) <= upper.map(|p| p.sums.requests));
            prop_assert_eq!(restored.peak(from, to), lower);
            prop_assert_eq!(restored.minutes(from, to), ring.minutes(from, to));
            prop_assert_eq!(restored.hours(from, to), ring.hours(from, to));
        }
        // While the evaluation time trails the newest request by an hour at most, the last
        // day's peak is read from minutes held.
        if lag_minutes <= 61 {
            prop_assert_eq!(ring.exact_peak_from_us(to - DAY), to - DAY);
        }
        let bytes = postcard::to_stdvec(&ring.export()).unwrap();
        let read: CapacityState = postcard::from_bytes(&bytes).unwrap();
        prop_assert_eq!(read, ring.export());
    }

    /// Summed counts per minute give the ring that the requests one by one give, and two
    /// rings of the requests of the first day, alternately, imported into one give the ring
    /// of all of them (every minute of that day still held on both sides).
    #[test]
    fn summed_counts_and_imports_add_like_requests(
        groups in prop::collection::vec(
            (0..24 * 3i64, 0..90i64, 1..5u64, 0..5u64, 0..1_000i64), 1..60),
    ) {
        let mut groups = groups;
        groups.sort_by_key(|g| g.0);
        let (mut one_by_one, mut summed) = (CapacityRing::new(), CapacityRing::new());
        let (mut first_day, mut even, mut odd) =
            (CapacityRing::new(), CapacityRing::new(), CapacityRing::new());
        for (i, &(hour, minute, n, measured, latency)) in groups.iter().enumerate() {
            let start = T0 + hour * HOUR + minute * MINUTE;
            let measured = measured.min(n);
            for k in 0..n {
                let l = (k < measured).then_some(latency);
                one_by_one.record(start + k as i64, l);
                if hour < 22 {
                    first_day.record(start + k as i64, l);
                    if i % 2 == 0 { &mut even } else { &mut odd }.record(start + k as i64, l);
                }
            }
            summed.record_sums(start, n, measured, measured * latency as u64);
        }
        prop_assert_eq!(summed.export(), one_by_one.export());
        prop_assert_eq!(&summed.minutes, &one_by_one.minutes);
        prop_assert_eq!(&summed.hours, &one_by_one.hours);
        let mut merged = CapacityRing::new();
        merged.import(&odd.export());
        merged.import(&even.export());
        prop_assert_eq!(merged.export(), first_day.export());
    }
}

//! The store's watermark: slowest active partition, idle and finished partitions excluded,
//! never moving back; and de-duplication inside a shard.

use std::sync::Arc;

use super::*;
use crate::classify::{Classifier, Matcher, Service, Sli, SloRule};
use crate::decode::Event;
use crate::time::{MINUTE, SECOND};

const T0: i64 = 1_795_176_000 * SECOND;

fn store(window: WindowConfig) -> Store {
    Store::new(Arc::new(Plan::new(&[vec![HOUR]], 1, window)))
}

/// Gives partition `p` a newest event time of `newest` and the activity `activity`.
fn set(store: &Store, p: i32, newest: i64, activity: Activity) {
    let shard = store.shard(PartitionId::new(0, p), &format!("p{p}"));
    let mut s = lock(&shard);
    let mut state = s.export();
    state.newest_us = Some(newest);
    *s = Shard::restore(&state);
    s.activity = activity;
    store.observe_newest(newest);
}

fn reading(now: i64) -> Activity {
    Activity {
        assigned: true,
        at_end: false,
        last_delivery_us: Some(now),
    }
}

#[test]
fn no_event_means_no_watermark_and_the_wall_clock() {
    let s = store(WindowConfig::default());
    assert_eq!(s.watermark(T0), None);
    assert_eq!(s.evaluation_time(T0), T0);
}

#[test]
fn the_slowest_active_partition_holds_the_watermark() {
    let s = store(WindowConfig::default());
    let now = T0 + HOUR;
    set(&s, 0, T0 + 50 * MINUTE, reading(now));
    set(&s, 1, T0 + 47 * MINUTE, reading(now));
    assert_eq!(s.watermark(now), Some(T0 + 47 * MINUTE));
}

#[test]
fn a_partition_holds_it_back_by_the_maximum_lag_at_most() {
    let s = store(WindowConfig::default());
    let now = T0 + HOUR;
    set(&s, 0, T0 + 50 * MINUTE, reading(now));
    set(&s, 1, T0 + 10 * MINUTE, reading(now));
    assert_eq!(s.watermark(now), Some(T0 + 45 * MINUTE));
}

#[test]
fn partitions_at_their_end_idle_or_revoked_do_not_hold_it() {
    let window = WindowConfig::default();
    let now = T0 + HOUR;
    for quiet in [
        Activity {
            at_end: true,
            ..reading(now)
        },
        Activity {
            assigned: false,
            ..reading(now)
        },
        // Last delivery exactly one idle timeout ago: idle.
        reading(now - window.idle_timeout_us),
    ] {
        let s = store(window);
        set(&s, 0, T0 + 50 * MINUTE, reading(now));
        set(&s, 1, T0 + 10 * MINUTE, quiet);
        assert_eq!(s.watermark(now), Some(T0 + 50 * MINUTE), "{quiet:?}");
    }
}

#[test]
fn with_no_active_partition_the_newest_event_counts() {
    let s = store(WindowConfig::default());
    let now = T0 + HOUR;
    let done = Activity {
        at_end: true,
        ..reading(now)
    };
    set(&s, 0, T0 + 50 * MINUTE, done);
    set(&s, 1, T0 + 10 * MINUTE, done);
    assert_eq!(s.watermark(now), Some(T0 + 50 * MINUTE));
}

#[test]
fn lateness_is_subtracted_and_the_wall_clock_caps_evaluation() {
    let s = store(WindowConfig {
        allowed_lateness_us: 2 * MINUTE,
        ..WindowConfig::default()
    });
    set(&s, 0, T0 + 50 * MINUTE, reading(T0));
    assert_eq!(s.watermark(T0 + HOUR), Some(T0 + 48 * MINUTE));
    assert_eq!(s.evaluation_time(T0 + 40 * MINUTE), T0 + 40 * MINUTE);
}

#[test]
fn the_watermark_never_moves_back() {
    let s = store(WindowConfig::default());
    let now = T0 + HOUR;
    set(&s, 0, T0 + 50 * MINUTE, reading(now));
    assert_eq!(s.watermark(now), Some(T0 + 50 * MINUTE));
    // A partition behind it starts delivering: its events are late, T stays.
    set(&s, 1, T0 + 10 * MINUTE, reading(now));
    assert_eq!(s.watermark(now), Some(T0 + 50 * MINUTE));
}

fn event(t: i64, id: &'static [u8]) -> Event<'static> {
    Event {
        time_us: t,
        status: 200,
        latency_us: Some(1_000),
        method: b"GET",
        host: b"a.example.com",
        path: b"/",
        backend: b"",
        long_lived: false,
        request_id: id,
        client: &[],
    }
}

#[test]
fn shards_drop_redelivered_request_ids_when_configured() {
    let classifier = Classifier::new(
        vec![Service {
            name: "svc".into(),
            matcher: Matcher::default(),
        }],
        vec![SloRule::new(0, Sli::Availability)],
    );
    let window = WindowConfig {
        dedup: Some(DedupConfig {
            window_us: 10 * MINUTE,
            max_ids: 1000,
        }),
        ..WindowConfig::default()
    };
    for (window, expected_total, duplicates) in [(window, 3, 2), (WindowConfig::default(), 5, 0)] {
        let plan = Plan::new(&[vec![HOUR]], 1, window);
        let mut shard = Shard::new("p");
        let mut counters = Counters::new(&plan);
        for (t, id) in [
            (T0, &b"a"[..]),
            (T0 + SECOND, b"b"),
            (T0, b"a"),
            (T0 + 2 * SECOND, b""),
            (T0 + SECOND, b"b"),
        ] {
            shard.apply_event(&mut counters, &event(t, id), &classifier, T0 + HOUR, &plan);
        }
        let c = counters.slo(0).sum(HOUR, T0 + MINUTE);
        assert_eq!(c.total, expected_total, "{window:?}");
        assert_eq!(shard.stats.duplicates, duplicates);
    }
}

/// SLOs 0 and 1 are the components of composite SLO 2, counting 2 and 1 units an event.
fn composite_plan() -> Plan {
    Plan::new(
        &[vec![HOUR], vec![HOUR], vec![HOUR]],
        2,
        WindowConfig::default(),
    )
    .with_feeds(vec![vec![(2, 2)], vec![(2, 1)], Vec::new()])
}

#[test]
fn a_composite_counts_its_components_weighted_and_comes_back_from_its_state() {
    let plan = composite_plan();
    let mut counters = Counters::new(&plan);
    let t = 1_795_176_000 * SECOND;
    // Summed counts, as a cluster member folds its deltas: 3 of 4 good in SLO 0, 5 of 9 in
    // SLO 1.
    counters.add_counts(0, t, 3, 4);
    counters.add_counts(1, t + SECOND, 5, 9);
    let end = t + MINUTE;
    let sum = |c: &Counters, slo: usize| {
        let s = c.slo(slo).sum(HOUR, end);
        (s.good, s.total)
    };
    assert_eq!(sum(&counters, 0), (3, 4));
    assert_eq!(sum(&counters, 1), (5, 9));
    // 2·3 + 5 of 2·4 + 9.
    assert_eq!(sum(&counters, 2), (11, 17));
    assert_eq!(counters.lifetime(2), [11, 6]);
    // A checkpoint holds the composite's own counts; restoring does not count them twice.
    let ids: Vec<String> = ["a/x", "b/y", "a/j"].map(String::from).to_vec();
    let services: Vec<String> = ["a", "b"].map(String::from).to_vec();
    let state = counters.export(&ids, &services, &[]);
    let mut restored = Counters::new(&plan);
    restored.import(&state, &plan, &ids, &services);
    for slo in 0..3 {
        assert_eq!(sum(&restored, slo), sum(&counters, slo), "SLO {slo}");
    }
}

//! Host tables and split shards: first come first served, the same slot in every shard,
//! a bounded number of slots, overflow counted, and restore by host name.

use std::sync::Arc;

use super::*;
use crate::classify::{Classifier, Matcher, Service, Sli, SloRule};
use crate::decode::Event;
use crate::time::{HOUR, MINUTE, SECOND};
use crate::window::{Counters, Plan, Shard, WindowConfig};

const T0: i64 = 1_795_176_000 * SECOND;

fn event(t: i64, host: &'static [u8], status: u16) -> Event<'static> {
    Event {
        time_us: t,
        status,
        latency_us: Some(1_000),
        method: b"GET",
        host,
        path: b"/",
        backend: b"",
        long_lived: false,
        request_id: b"",
        client: &[],
    }
}

fn setup(max_hosts: usize) -> (Classifier, Plan) {
    let classifier = Classifier::new(
        vec![
            Service {
                name: "plain".into(),
                matcher: Matcher {
                    host: Some("plain.io".into()),
                    ..Matcher::default()
                },
            },
            Service {
                name: "edge".into(),
                matcher: Matcher {
                    host: Some("*.example.com".into()),
                    ..Matcher::default()
                },
            },
        ],
        vec![
            SloRule::new(0, Sli::Availability),
            SloRule::new(1, Sli::Availability),
            SloRule::new(1, Sli::Latency { threshold_us: 500 }),
        ],
    );
    let plan = Plan::new(
        &[vec![HOUR], vec![HOUR], vec![HOUR]],
        2,
        WindowConfig::default(),
    )
    .with_splits(vec![SplitPlan {
        service: 1,
        slos: vec![1, 2],
        table: Arc::new(HostTable::new("edge", max_hosts)),
    }]);
    (classifier, plan)
}

fn totals(counters: &Counters, slot: usize) -> Option<(u64, u64)> {
    let sub = counters.split(0).slot(slot)?;
    let a = sub.slo(0).sum(HOUR, T0 + MINUTE);
    let l = sub.slo(1).sum(HOUR, T0 + MINUTE);
    assert_eq!(sub.lifetime(0), [a.good, a.total - a.good]);
    Some((a.good, l.good))
}

#[test]
fn hosts_get_slots_first_come_first_served_across_partitions() {
    let (c, plan) = setup(2);
    let mut counters = Counters::new(&plan);
    let (mut p0, mut p1) = (Shard::new("p0"), Shard::new("p1"));
    let mut apply = |shard: &mut Shard, host: &'static [u8], status| {
        shard.apply_event(&mut counters, &event(T0, host, status), &c, i64::MAX, &plan);
    };
    apply(&mut p0, b"B.example.com", 200);
    apply(&mut p1, b"a.example.com", 503);
    // The same host from another partition, in another case: the same slot.
    apply(&mut p1, b"b.EXAMPLE.com", 200);
    apply(&mut p0, b"a.example.com", 200);
    // The table is full: these go to the overflow slot (2).
    apply(&mut p0, b"c.example.com", 200);
    apply(&mut p1, b"d.example.com", 500);
    apply(&mut p1, b"c.example.com", 200);
    // A service that does not split counts as before.
    apply(&mut p0, b"plain.io", 200);

    let table = &plan.splits[0].table;
    assert_eq!(table.hosts(), ["b.example.com", "a.example.com"]);
    assert_eq!(table.len(), 2);
    assert_eq!(totals(&counters, 0), Some((2, 0)));
    assert_eq!(totals(&counters, 1), Some((1, 0)));
    assert_eq!(totals(&counters, 2), Some((2, 0)));
    assert_eq!(counters.split(0).overflow_events, 3);
    assert_eq!(counters.slo(0).sum(HOUR, T0 + MINUTE).total, 1);
    // The parent's counters are not used for a split service.
    assert_eq!(counters.slo(1).sum(HOUR, T0 + MINUTE).total, 0);
    assert_eq!((p0.stats.applied, p1.stats.applied), (4, 4));
}

#[test]
fn state_stays_bounded_however_many_hosts_arrive() {
    let (c, plan) = setup(5);
    let mut shard = Shard::new("p");
    let mut counters = Counters::new(&plan);
    let hosts: Vec<&'static [u8]> = (0..10_000)
        .map(|i| &*Box::leak(format!("h{i}.example.com").into_bytes().into_boxed_slice()))
        .collect();
    for (i, h) in hosts.iter().enumerate() {
        shard.apply_event(
            &mut counters,
            &event(T0 + i as i64, h, 200),
            &c,
            i64::MAX,
            &plan,
        );
    }
    assert_eq!(plan.splits[0].table.len(), 5);
    assert_eq!(counters.split(0).allocated(), 6);
    assert_eq!(counters.split(0).overflow_events, 9_995);
    assert_eq!(counters.split(0).cache.len(), 5);
    assert!(counters.split(0).complete);
    assert_eq!(totals(&counters, 5), Some((9_995, 0)));
}

#[test]
fn restore_maps_sub_services_by_host_name() {
    let (c, plan) = setup(3);
    let mut shard = Shard::new("p");
    let mut counters = Counters::new(&plan);
    for h in [
        &b"x.example.com"[..],
        b"y.example.com",
        b"z.example.com",
        b"w.example.com",
    ] {
        shard.apply_event(&mut counters, &event(T0, h, 200), &c, i64::MAX, &plan);
    }
    shard.apply_event(
        &mut counters,
        &event(T0, b"y.example.com", 503),
        &c,
        i64::MAX,
        &plan,
    );
    let ids: Vec<String> = ["plain/availability", "edge/availability", "edge/latency"]
        .map(String::from)
        .into();
    let services: Vec<String> = ["plain", "edge"].map(String::from).into();
    let state = counters.export(&ids, &services, &plan.splits);
    let assignment = plan.splits[0].table.export();
    assert_eq!(
        assignment.hosts,
        ["x.example.com", "y.example.com", "z.example.com"]
    );

    // A new process whose table got the hosts in another order: slots follow the names.
    let (_, fresh) = setup(3);
    fresh.splits[0]
        .table
        .import(&["z.example.com".into(), "y.example.com".into()]);
    assert_eq!(fresh.splits[0].table.import(&assignment.hosts), 0);
    let mut restored = Counters::new(&fresh);
    restored.import(&state, &fresh, &ids, &services);
    let table = &fresh.splits[0].table;
    let y = table.slot_of("y.example.com").unwrap();
    let x = table.slot_of("x.example.com").unwrap();
    assert_eq!((y, x), (1, 2));
    let sub = restored.split(0).slot(y).unwrap();
    assert_eq!(sub.lifetime(0), [1, 1]);
    assert_eq!(restored.split(0).slot(x).unwrap().lifetime(0), [1, 0]);
    assert_eq!(restored.split(0).slot(3).unwrap().lifetime(0), [1, 0]);
    assert_eq!(restored.split(0).overflow_events, 1);
    assert_eq!(
        restored.export(&ids, &services, &fresh.splits).split[0]
            .subs
            .len(),
        4
    );

    // A smaller cap keeps the first hosts only; the others' state is dropped.
    let (_, small) = setup(1);
    assert_eq!(small.splits[0].table.import(&assignment.hosts), 2);
    let mut restored = Counters::new(&small);
    restored.import(&state, &small, &ids, &services);
    assert_eq!(restored.split(0).allocated(), 2);
    assert_eq!(restored.split(0).slot(0).unwrap().lifetime(0), [1, 0]);
}

#[test]
fn hosts_without_a_name_share_one_sub_service() {
    let c = Classifier::new(
        vec![Service {
            name: "any".into(),
            matcher: Matcher::default(),
        }],
        vec![SloRule::new(0, Sli::Availability)],
    );
    let plan = Plan::new(&[vec![HOUR]], 1, WindowConfig::default()).with_splits(vec![SplitPlan {
        service: 0,
        slos: vec![0],
        table: Arc::new(HostTable::new("any", 2)),
    }]);
    let mut shard = Shard::new("p");
    let mut counters = Counters::new(&plan);
    shard.apply_event(&mut counters, &event(T0, b"", 200), &c, i64::MAX, &plan);
    shard.apply_event(&mut counters, &event(T0, b"", 200), &c, i64::MAX, &plan);
    assert_eq!(plan.splits[0].table.hosts(), [EMPTY_HOST]);
    assert_eq!(counters.split(0).slot(0).unwrap().lifetime(0), [2, 0]);
    assert_eq!(sub_service_name("any", "-"), "any:-");
}

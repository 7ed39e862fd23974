//! Deltas against the direct path: any events, cut into deltas anywhere, written and read
//! back, give the counts, histograms, capacity counts, burn attribution, canary counts, host assignments,
//! statistics and de-duplication ids that applying the same events one by one gives.

use proptest::prelude::*;

use super::*;
use crate::app::Generation;
use crate::cluster::record::Record;
use crate::config::{Config, parse};
use crate::decode::Event;
use crate::time::{MINUTE, SECOND};
use crate::window::Shard;

const CONFIG: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: t}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  window: {dedup: {window: 1d}}
  attribution: {}
  services:
    - {name: plain, match: {host: plain.io}, canary: {canary: {path_prefix: /c}, baseline: {path_prefix: /}}}
    - {name: edge, match: {host: "*.example.com"}, split_by: host, max_hosts: 2}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: plain-slo}
spec:
  service: plain
  indicators:
    - {name: availability, threshold: 99.9, window: 1h}
    - {name: latency_p99, threshold: "100ms", window: 1d}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: edge-slo}
spec:
  service: edge
  indicators:
    - {name: availability, threshold: 99.9, window: 1h}
    - {name: latency_p99, threshold: "100ms", window: 1h}
"#;

const T0: i64 = 1_795_176_000 * SECOND;
const HOSTS: [&[u8]; 6] = [
    b"plain.io",
    b"a.example.com",
    b"B.example.com",
    b"c.example.com",
    b"",
    b"other.net",
];
const IDS: [&[u8]; 5] = [b"", b"r1", b"r2", b"r3", b"r4"];

/// `(time offset µs, host, status, latency µs, id)`.
type Spec = (i64, usize, u16, Option<i64>, usize);

fn event(s: &Spec) -> Event<'static> {
    Event {
        time_us: T0 + s.0,
        status: s.2,
        latency_us: s.3,
        method: b"GET",
        host: HOSTS[s.1],
        path: if s.4.is_multiple_of(2) { b"/" } else { b"/c" },
        backend: b"",
        long_lived: false,
        request_id: IDS[s.4],
        client: &[],
    }
}

fn specs() -> impl Strategy<Value = Vec<Spec>> {
    prop::collection::vec(
        (
            0..90 * MINUTE,
            0..HOSTS.len(),
            prop::sample::select(vec![200u16, 404, 500, 503]),
            prop::option::of(0..400_000i64),
            0..IDS.len(),
        ),
        1..300,
    )
}

fn generation(config: &Config) -> Generation {
    Generation::first(&config.reload)
}

proptest! {
    #[test]
    fn deltas_count_like_events_one_by_one(specs in specs(), cuts in prop::collection::vec(1usize..40, 1..20)) {
        let config = parse(CONFIG, "test").unwrap();
        let fingerprints = Fingerprints::of(&config.reload);
        let latest = T0 + 2 * crate::time::HOUR;
        // Directly.
        let direct = generation(&config);
        let plan = direct.store.plan().clone();
        let mut shard = Shard::new("p");
        {
            let mut counters = direct.store.counters();
            for s in &specs {
                shard.apply_event(&mut *counters, &event(s), &direct.classifier, latest, &plan);
            }
        }
        // Through deltas cut at `cuts`, written and read back.
        let folded = generation(&config);
        let fold_plan = folded.store.plan().clone();
        let mut reader = Shard::new("p");
        let mut fold = Shard::new("p");
        let mut builder = DeltaBuilder::default();
        let mut rest = &specs[..];
        let mut cut = cuts.iter().cycle();
        let mut offset = 0u64;
        while !rest.is_empty() {
            let n = (*cut.next().unwrap()).min(rest.len());
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            let mark = reader.dedup_mark();
            let before = reader.stats;
            for s in chunk {
                reader.apply_event(&mut builder, &event(s), &folded.classifier, latest, &fold_plan);
            }
            let mut delta = Delta {
                from: offset,
                to: offset + n as u64,
                newest_us: reader.newest_us(),
                stats: reader.stats.since(&before),
                ids: reader.dedup_since(mark),
                ..Delta::default()
            };
            offset += n as u64;
            builder.take(&mut delta, &fingerprints, &fold_plan);
            let Record::Delta(delta) = Record::decode(&Record::Delta(Box::new(delta)).encode()).unwrap() else {
                unreachable!()
            };
            let mut counters = folded.store.counters();
            let foreign = add_to(&mut counters, &fold_plan, &fingerprints, &delta);
            prop_assert_eq!(foreign, Foreign::default());
            fold.absorb(delta.newest_us, &delta.stats, &delta.ids, delta.to, &fold_plan);
        }
        let want = direct.store.counters().export(&direct.slo_ids, &direct.services, &plan.splits);
        let got = folded.store.counters().export(&folded.slo_ids, &folded.services, &fold_plan.splits);
        prop_assert_eq!(got, want);
        // Capacity counts every event applied, of a service split by host or not.
        let counters = folded.store.counters();
        let requests: u64 = (0..folded.services.len())
            .map(|s| counters.capacity(s).minutes(i64::MIN, i64::MAX).requests)
            .sum();
        prop_assert_eq!(requests, shard.stats.applied);
        // Burn attribution: the same contributors, every dimension and SLO (no table
        // overflows with these few keys, so merged minutes are exact).
        let direct_counters = direct.store.counters();
        for s in 0..folded.services.len() {
            let (a, b) = (direct_counters.attribution(s), counters.attribution(s));
            prop_assert_eq!(a.is_some(), b.is_some());
            let (Some(a), Some(b)) = (a, b) else { continue };
            for dim in 0..5 {
                for slo in 0..2 {
                    prop_assert_eq!(
                        b.top(i64::MIN / 2, i64::MAX / 2, dim, slo, 100),
                        a.top(i64::MIN / 2, i64::MAX / 2, dim, slo, 100)
                    );
                }
            }
        }
        // Canary counts: the same minutes, both variants.
        for s in 0..folded.services.len() {
            let (a, b) = (direct_counters.canary(s), counters.canary(s));
            prop_assert_eq!(a.map(|r| r.export()), b.map(|r| r.export()));
        }
        drop(direct_counters);
        drop(counters);
        let (mut want, got) = (shard.export(), fold.export());
        want.next_offset = specs.len() as u64;
        prop_assert_eq!(got, want);
        for (a, b) in plan.splits.iter().zip(&fold_plan.splits) {
            prop_assert_eq!(a.table.hosts(), b.table.hosts());
        }
    }
}

#[test]
fn counts_of_an_slo_or_service_this_configuration_lacks_are_foreign() {
    let config = parse(CONFIG, "test").unwrap();
    let fingerprints = Fingerprints::of(&config.reload);
    let g = generation(&config);
    let plan = g.store.plan().clone();
    let delta = Delta {
        slos: vec![
            SloCounts {
                slo: 42,
                seconds: vec![(1, 1, 1)],
            },
            SloCounts {
                slo: fingerprints.slos[0],
                seconds: vec![(T0 / SECOND, 1, 2)],
            },
        ],
        latency: vec![LatencyCounts {
            service: 43,
            values: vec![(1, 1, 1)],
        }],
        ..Delta::default()
    };
    let mut counters = g.store.counters();
    let foreign = add_to(&mut counters, &plan, &fingerprints, &delta);
    assert_eq!(
        foreign,
        Foreign {
            slos: 1,
            services: 1
        }
    );
    assert_eq!(counters.lifetime(0), [1, 1]);
}

//! Files written by earlier release builds (`tests/fixtures/`): read today they keep every
//! count, and a budget adjustment configured since applies to the restored counts once.

use super::*;

/// A file written by the release build before daily history (`c664dae`): `run` over 3,000
/// ALB lines spread over three days, with a checkout SLO and a service split by host
/// (`max_hosts: 2`): lifetime good/bad 730/0 for checkout, 753/0, 1039/1 and 477/0 for the
/// two hosts and the overflow.
#[test]
fn a_checkpoint_written_by_the_previous_release_keeps_every_count() {
    let c = decode(include_bytes!("../../../tests/fixtures/checkpoint-v6.bin")).unwrap();
    let slo = |id: &str| c.counters.slos.iter().find(|s| s.id == id).unwrap();
    assert_eq!(slo("checkout/availability").lifetime, [730, 0]);
    assert_eq!(
        c.splits[0].hosts,
        ["catalog.example.com", "search.example.com"]
    );
    let subs: Vec<_> = c.counters.split[0]
        .subs
        .iter()
        .map(|s| (s.host.as_deref(), s.slos[0].lifetime))
        .collect();
    assert_eq!(
        subs,
        [
            (Some("catalog.example.com"), [753, 0]),
            (Some("search.example.com"), [1039, 1]),
            (None, [477, 0]),
        ]
    );
    let histories = c.counters.slos.iter().map(|s| &s.history);
    let sub_histories = c.counters.split[0].subs.iter().flat_map(|s| &s.slos);
    assert!(
        histories
            .chain(sub_histories.map(|s| &s.history))
            .all(Vec::is_empty)
    );
    assert_eq!(c.partitions[0].shard.stats.lines, 3_000);
    // Written again, it is a current file holding the same state.
    assert_eq!(decode(&encode(&c)).unwrap(), c);
}

/// A file written by the release build before budget adjustments (`bc3749e`): `run` over
/// 3,000 ALB lines of `checkout.example.com`, line `i` at 2026-12-01T00:00:00Z + 86 s × i,
/// a 503 when `i % 7 == 0`, with one annotation added over the API. Restored under a
/// configuration that adds a maintenance window, everything is kept and the window is
/// applied to the restored counts once.
#[test]
fn a_checkpoint_written_before_budget_adjustments_keeps_everything() {
    use crate::time::{HOUR, SECOND, epoch_us};
    let c = decode(include_bytes!("../../../tests/fixtures/checkpoint-v8.bin")).unwrap();
    let t0 = epoch_us(2026, 12, 1, 0, 0, 0, 0).unwrap();
    let events: Vec<(i64, bool)> = (0..3000)
        .map(|i| (t0 + i * 86 * SECOND, i % 7 != 0))
        .collect();
    let slo = &c.counters.slos[0];
    assert_eq!(slo.id, "checkout/availability");
    assert_eq!(slo.lifetime, [2571, 429]);
    assert_eq!(c.annotations.items.len(), 1);
    assert_eq!(c.annotations.items[0].text, "db upgrade");
    assert!(c.adjustments.is_empty());
    assert_eq!(c.partitions[0].shard.stats.lines, 3_000);

    let yaml = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: fixture}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services: [{name: checkout, match: {host: checkout.example.com}}]
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: checkout}
spec:
  service: checkout
  indicators: [{name: availability, threshold: 99.9, window: 30d}]
---
apiVersion: reliability/v1
kind: BudgetAdjustment
metadata: {name: db-upgrade}
spec:
  first_event_start: "2026-12-02T10:00:00Z"
  duration: 3h
  slos: [checkout]
"#;
    let config = crate::config::parse(yaml, "fixture.yaml").unwrap();
    let r = &config.reload;
    let retention: Vec<_> = r
        .objectives
        .iter()
        .map(|o| o.retention(r.window.history_days))
        .collect();
    let plan = crate::window::Plan::new(&retention, 1, r.window);
    let store = Store::new(std::sync::Arc::new(plan));
    let ids = vec!["checkout/availability".to_string()];
    c.restore_into(&store, &ids, &["checkout".to_string()]);
    let counters = store.counters();
    let applied = &counters.adjusted(store.plan(), 0)[0];
    // 37 hours before the newest event only the hourly buckets are kept: the three hours
    // are whole ones.
    let (start, end) = (t0 + 34 * HOUR, t0 + 37 * HOUR);
    assert_eq!(applied.ranges, vec![(start, end)]);
    let inside = events.iter().filter(|e| (start..end).contains(&e.0));
    let apart = inside.clone().count() as u64;
    assert_eq!(applied.events.total, apart);
    assert_eq!(applied.events.good, inside.filter(|e| e.1).count() as u64);
    // The 30-day window and the day lose exactly those events.
    let newest = t0 + 2999 * 86 * SECOND;
    let to = newest / SECOND * SECOND + SECOND;
    let all = counters.slo(0).sum(30 * crate::time::DAY, to);
    assert_eq!(all.total, 3000 - apart);
    let dec2 = crate::time::days_from_civil(2026, 12, 2);
    let day = counters.slo(0).history().unwrap().day(dec2);
    let on_dec2 = |e: &&(i64, bool)| (t0 + 24 * HOUR..t0 + 48 * HOUR).contains(&e.0);
    assert_eq!(
        day.total,
        events.iter().filter(on_dec2).count() as u64 - apart
    );
    // Saved again, it is applied and is not applied twice.
    drop(counters);
    let again = Checkpoint::of(&store, &ids, &["checkout".to_string()], 1);
    assert_eq!(again.adjustments.len(), 1);
    assert_eq!(again.adjustments[0].ranges, vec![(start, end)]);
    assert_eq!(again.adjustments[0].events.1, apart);
}

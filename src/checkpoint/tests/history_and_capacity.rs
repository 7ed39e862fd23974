//! What a day of history costs in a checkpoint, and capacity counts that come back under
//! their service's name.

use super::*;

/// What the README says a day of history costs on disk: a day number, good and total as
/// variable-length integers, 9 bytes for a day of a million requests, 11 for a hundred
/// million.
#[test]
fn a_day_of_history_costs_9_to_11_bytes_in_a_checkpoint() {
    let per_day = |good: u64, total: u64| {
        let mut c = sample(1);
        c.counters.slos[0].history.clear();
        let without = encode(&c).len();
        c.counters.slos[0].history = (0..400).map(|i| (20_400 + i, good, total)).collect();
        (encode(&c).len() - without) as f64 / 400.0
    };
    assert!((9.0..9.1).contains(&per_day(999_000, 1_000_000)));
    assert!((11.0..11.1).contains(&per_day(99_900_000, 100_000_000)));
}

/// Every service's capacity counts go into a checkpoint of a store and come back from it
/// under their service's name, as the ring held them: minutes, hours and hour peaks.
#[test]
fn capacity_counts_survive_a_checkpoint_by_service_name() {
    use crate::time::{DAY, MINUTE};
    let plan = std::sync::Arc::new(crate::window::Plan::new::<Vec<i64>>(
        &[],
        2,
        crate::window::WindowConfig::default(),
    ));
    let store = Store::new(std::sync::Arc::clone(&plan));
    // A whole hour.
    let t0 = 1_699_999_200 * 1_000_000;
    {
        let mut counters = store.counters();
        // Minutes over three days: the first two days' are held only as hour peaks.
        for m in 0..3 * 24 * 60 {
            let requests = 1 + (m * 7 % 13) as u64;
            counters.record_capacity(0, t0 + m * MINUTE, requests, requests / 2, 900 * requests);
        }
        counters.record_capacity(1, t0, 3, 3, 30);
    }
    let services = ["api".to_string(), "web".to_string()];
    let saved = decode(&encode(&Checkpoint::of(&store, &[], &services, 1))).unwrap();
    // Restored under a configuration that lists the services the other way round.
    let swapped = ["web".to_string(), "api".to_string()];
    let restored = Store::new(plan);
    saved.restore_into(&restored, &[], &swapped);
    let (before, after) = (store.counters(), restored.counters());
    assert_eq!(after.capacity(1).export(), before.capacity(0).export());
    assert_eq!(after.capacity(0).export(), before.capacity(1).export());
    let (from, to) = (t0, t0 + 3 * DAY);
    assert_eq!(
        after.capacity(1).peak(from, to),
        before.capacity(0).peak(from, to)
    );
    assert_eq!(
        after.capacity(1).hours(from, to).requests,
        (0..3 * 24 * 60)
            .map(|m| 1 + (m * 7 % 13) as u64)
            .sum::<u64>()
    );
}

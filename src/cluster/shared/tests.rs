//! The shared state: heartbeats, the fold at the log's end, the alert state and waits for
//! the fold.

use std::time::Duration;

use super::*;
use crate::source::StopSignal;

fn shared() -> Arc<Shared> {
    let config = ClusterConfig {
        name: "edge".into(),
        advertise_url: "http://pod-0:9977".into(),
        member_id: "pod-0".into(),
        flush_interval_us: 200_000,
        snapshot_interval_us: 60_000_000,
        member_timeout_us: 10_000_000,
        max_apply_lag_us: 5_000_000,
        replication_factor: None,
    };
    Arc::new(Shared::new(
        config,
        vec!["logs".into()],
        Limits::lines(65_536),
        Positions::default(),
        0,
    ))
}

/// The fingerprints of `services` demo services with 4 SLOs each, the second one
/// counting requests slower than `slow` as bad.
fn fingerprints(services: usize, slow: &str) -> Fingerprints {
    use crate::source::demo;
    let yaml = demo::slo_config(&demo::services(services), slow);
    let config = crate::config::parse(&yaml, "t.yaml").expect("config");
    Fingerprints::of(&config.reload)
}

#[test]
fn heartbeats_carry_slo_fingerprints_only_while_a_peer_counts_otherwise() {
    let shared = shared();
    let mine = fingerprints(250, "300ms");
    assert_eq!(mine.slos.len(), 1_000);
    let now = 1_000_000_000;
    // Alone, or with peers that count the same: a small heartbeat whatever the SLOs.
    let alone = shared.heartbeat(now, &mine, Vec::new(), false);
    assert!(alone.slos.is_empty());
    let same = Heartbeat {
        member: "pod-1".into(),
        sent_us: now,
        ..alone.clone()
    };
    shared.members().heard(same.clone());
    let beat = shared.heartbeat(now, &mine, Vec::new(), false);
    assert!(beat.slos.is_empty());
    let small = Record::Heartbeat(beat).encode().len();
    assert!(small < 200, "{small} bytes");
    // A live peer counts otherwise: both need each other's SLO fingerprints.
    let theirs = fingerprints(250, "250ms");
    let other = Heartbeat {
        config: shared.config_hash(&theirs),
        ..same
    };
    shared.members().heard(other);
    let beat = shared.heartbeat(now, &mine, Vec::new(), false);
    assert_eq!(beat.slos, mine.slos);
    let full = Record::Heartbeat(beat).encode().len();
    assert!(full > 8 * 1_000, "{full} bytes");
    // Once the peer is gone, they are left out again.
    let later = now + shared.config.member_timeout_us;
    assert!(
        shared
            .heartbeat(later, &mine, Vec::new(), false)
            .slos
            .is_empty()
    );
}

/// A fold target for records that touch no counts (heartbeats).
struct NoCounts;

impl FoldTarget for NoCounts {
    fn with_store(&self, _: &mut dyn FnMut(&Store, &Fingerprints)) {
        unreachable!("a heartbeat touches no counts")
    }
    fn fingerprints(&self) -> Arc<Fingerprints> {
        unreachable!("a heartbeat touches no counts")
    }
    fn lag(&self) -> Vec<(Source, i64)> {
        Vec::new()
    }
    fn now_us(&self) -> i64 {
        0
    }
    fn cut(&self, _: i64) -> (crate::checkpoint::Checkpoint, super::super::snapshot::Names) {
        unreachable!("a heartbeat touches no counts")
    }
}

#[test]
fn the_fold_is_at_the_end_as_of_when_an_end_was_seen_once_it_applies_up_to_it() {
    let shared = shared();
    let beat =
        Record::Heartbeat(shared.heartbeat(0, &fingerprints(1, "300ms"), vec![], false)).encode();
    let apply = |offsets: std::ops::Range<u64>| {
        for offset in offsets {
            shared.apply(offset, &beat, &NoCounts);
        }
    };
    let at_end = || shared.fold().at_end_us;
    // Ends seen ahead of the fold (an answer while it catches up): it is at the end as
    // of each one's time once it has applied up to it, not before.
    shared.end_seen(3, 0, 100);
    shared.end_seen(5, 1, 200);
    assert_eq!(at_end(), None);
    apply(0..2);
    assert_eq!(at_end(), None);
    apply(2..3);
    assert_eq!(at_end(), Some(100));
    apply(3..5);
    assert_eq!(at_end(), Some(200));
    assert!(shared.fold().ends_ahead.is_empty());

    // A slow answer: asked when the fold had applied 5, answered 6 once it had applied
    // 8. The log did not shrink (it was 6 or more when asked): at the end as of then.
    apply(5..8);
    shared.end_seen(6, 5, 300);
    assert_eq!(at_end(), Some(300));
    assert_eq!(shared.fold().behind_end_since, None);

    // An answer below what was applied when asking is stale (or the log was
    // recreated): it says nothing of how current the fold is, and is a reset only if
    // it stays so with nothing applied.
    shared.end_seen(4, 8, 400);
    assert_eq!(at_end(), Some(300));
    assert_eq!(shared.fold().behind_end_since, Some((400, 8)));
    assert!(!shared.fold().reset);
    shared.end_seen(8, 8, 500);
    assert_eq!(at_end(), Some(500));
    assert_eq!(shared.fold().behind_end_since, None);

    // A later answer no larger than an earlier one says more: reaching it is being at
    // the end as of the later time.
    shared.end_seen(12, 8, 600);
    shared.end_seen(10, 8, 700);
    assert_eq!(shared.fold().ends_ahead, [(10, 700)]);
    apply(8..10);
    assert_eq!(at_end(), Some(700));
    assert_eq!(shared.fold().end, 12);
}

#[test]
fn the_fold_takes_the_alert_state_whole_or_change_by_change() {
    let shared = shared();
    let alerts = |n: usize, service: &str| -> AlertTimes {
        (0..n)
            .map(|i| {
                let labels = [
                    (
                        "alertname".to_string(),
                        format!("burn-{i:05}-{}", "x".repeat(60)),
                    ),
                    ("service".to_string(), service.to_string()),
                ];
                (labels.into(), i as i64)
            })
            .collect()
    };
    let mut offset = 0;
    let mut publish = |mine: &AlertTimes| {
        let decided = shared.alerts();
        let records = alert_records("pod-0", 1, mine, &decided);
        for r in &records {
            shared.apply(offset, &r.encode(), &NoCounts);
            offset += 1;
        }
        assert_eq!(&shared.alerts(), mine);
        records.len()
    };
    assert_eq!(publish(&alerts(3, "checkout")), 1);
    // Past one record's size: changes, each applied as it comes.
    let many = alerts(12_000, "checkout");
    assert!(publish(&many) > 1);
    // Fewer again: one whole record replaces everything.
    assert_eq!(publish(&alerts(2, "search")), 1);
    assert_eq!(publish(&AlertTimes::new()), 1);
}

/// Waits `shared.wait_applied(offset, an hour, stop)` on another thread.
fn waiting(shared: &Arc<Shared>, offset: u64, stop: &StopSignal) -> std::thread::JoinHandle<bool> {
    let (shared, stop) = (shared.clone(), stop.clone());
    std::thread::spawn(move || shared.wait_applied(offset, Duration::from_secs(3600), &stop))
}

#[test]
fn a_wait_for_the_fold_ends_when_the_record_is_applied_or_the_member_stops() {
    let shared = shared();
    let stop = StopSignal::new();
    assert!(!shared.wait_applied(0, Duration::from_millis(10), &stop));

    // The follower applies the record: the waiter wakes with true.
    let waiter = waiting(&shared, 5, &stop);
    std::thread::sleep(Duration::from_millis(50));
    shared.fold().next = 6;
    shared.applied.notify_all();
    assert!(waiter.join().unwrap());

    // Nothing applied, and the member stops: the wait ends with false, not after the
    // hour (the follower no longer applies anything).
    let waiter = waiting(&shared, 9, &stop);
    std::thread::sleep(Duration::from_millis(50));
    stop.stop();
    assert!(!waiter.join().unwrap());
    // What is applied still counts once stopped.
    assert!(shared.wait_applied(5, Duration::from_secs(3600), &stop));
}

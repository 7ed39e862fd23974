//! The parallel sink against the plain one: the same calls a source makes, in any order,
//! leave the same counts, shards and report; a position never runs ahead of what was
//! applied; a batch decided before a reload is decided again with the new configuration.

use std::sync::Arc;

use proptest::prelude::*;

use super::{Decides, Job, ParallelSink, work_with};
use crate::app::Pipeline;
use crate::app::replay::tests::{NOW, Outcome, config, mixed_lines, outcome, totals};
use crate::clock::ManualClock;
use crate::source::{LineBatch, PartitionId, Sink};

/// One call a source makes.
#[derive(Debug, Clone)]
enum Call {
    Apply { partition: u32, lines: usize },
    Tick,
    End(u32),
    Revoke(u32),
    Assign(u32),
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        8 => (0u32..3, 1usize..60).prop_map(|(partition, lines)| Call::Apply { partition, lines }),
        2 => Just(Call::Tick),
        1 => (0u32..3).prop_map(Call::End),
        1 => (0u32..3).prop_map(Call::Revoke),
        1 => (0u32..3).prop_map(Call::Assign),
    ]
}

fn pipeline() -> Arc<Pipeline> {
    Pipeline::new(&config(4, 32), Arc::new(ManualClock::new(NOW)))
}

fn pid(p: u32) -> PartitionId {
    PartitionId::new(0, p as i32)
}

/// Makes the same calls on a plain sink and a parallel one; checks after each that no
/// position of the parallel one is ahead of the plain one's, and returns both outcomes
/// once the parallel sink was dropped (which applies what is in flight).
fn run_both(calls: &[Call], seed: u64, workers: usize) -> (Outcome, Outcome) {
    let (plain_p, parallel_p) = (pipeline(), pipeline());
    let mut plain = plain_p.sink();
    let mut parallel = ParallelSink::new(parallel_p.sink(), workers);
    let pool = mixed_lines(seed, 4_000);
    let mut next = 0;
    let mut offsets = [0u64; 3];
    for c in calls {
        match *c {
            Call::Apply { partition, lines } => {
                let mut batch = LineBatch::new();
                for _ in 0..lines {
                    batch.push(pool[next % pool.len()].as_bytes());
                    next += 1;
                }
                offsets[partition as usize] += lines as u64;
                batch.next_offset = offsets[partition as usize];
                plain.apply(pid(partition), &batch);
                parallel.apply(pid(partition), &batch);
            }
            Call::Tick => {
                plain.tick();
                parallel.tick();
            }
            Call::End(p) => {
                plain.end_of_partition(pid(p));
                parallel.end_of_partition(pid(p));
            }
            Call::Revoke(p) => {
                plain.revoke(pid(p));
                parallel.revoke(pid(p));
            }
            Call::Assign(p) => {
                plain.assign(pid(p), &pid(p).to_string());
                parallel.assign(pid(p), &pid(p).to_string());
            }
        }
        for p in 0..3 {
            let (a, b) = (plain.position(pid(p)), parallel.position(pid(p)));
            assert!(b <= a, "partition {p}: parallel at {b:?}, plain at {a:?}");
        }
    }
    drop(parallel);
    // Activity (assigned, at its end, last delivery) is not in the outcome: compare it too.
    let activity = |p: &Pipeline| {
        let mut all: Vec<_> = p
            .generation()
            .store
            .shards()
            .into_iter()
            .map(|(id, s)| (id, crate::window::lock(&s).activity))
            .collect();
        all.sort_by_key(|(id, _)| *id);
        all
    };
    assert_eq!(activity(&plain_p), activity(&parallel_p));
    (outcome(&plain_p), outcome(&parallel_p))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn any_calls_leave_the_plain_sinks_state(
        calls in proptest::collection::vec(call(), 1..80),
        seed in 1u64..u64::MAX,
        workers in 1usize..4,
    ) {
        let (plain, parallel) = run_both(&calls, seed, workers);
        prop_assert!(plain == parallel, "{:?} vs {:?}", totals(&parallel), totals(&plain));
    }
}

#[test]
fn a_long_run_of_batches_on_three_partitions_is_applied_exactly() {
    let calls: Vec<Call> = (0..600)
        .map(|i| match i % 50 {
            49 => Call::End((i / 50) % 3),
            _ => Call::Apply {
                partition: i * 7 % 3,
                lines: 1 + i as usize % 40,
            },
        })
        .collect();
    let (plain, parallel) = run_both(&calls, 99, 3);
    let stats = totals(&plain);
    assert!(
        stats.applied > 5_000 && stats.duplicates > 0 && stats.too_old > 0,
        "{stats:?}"
    );
    assert_eq!(plain, parallel);
}

#[test]
fn a_batch_decided_before_a_reload_is_decided_again_with_the_new_configuration() {
    let p = pipeline();
    let mut sink = p.sink();
    let old = sink.decider();
    let pool = mixed_lines(5, 200);
    let mut batch = LineBatch::new();
    for line in &pool {
        batch.push(line.as_bytes());
    }
    batch.next_offset = 200;
    let decided = old.decide_owned(
        &batch,
        &mut Vec::new(),
        &mut Default::default(),
        Default::default(),
    );
    // The reload drops the api service's latency SLO: the old decisions name SLO indexes
    // of the old configuration.
    let yaml = crate::app::replay::tests::config_yaml(4, 32).replace(
        "    - {name: latency_p99, threshold: \"200ms\", window: 1h}\n",
        "",
    );
    p.reload(crate::config::parse(&yaml, "reloaded"))
        .expect("reload");
    assert_ne!(p.generation().number, old.generation.number);
    sink.apply_decided(pid(0), &batch, decided, old.generation.number);

    // The same batch applied afresh under the new configuration.
    let fresh = Pipeline::new(
        &crate::config::parse(&yaml, "fresh").unwrap(),
        Arc::new(ManualClock::new(NOW)),
    );
    fresh.sink().apply(pid(0), &batch);
    let (a, b) = (outcome(&p), outcome(&fresh));
    assert_eq!(a.counters, b.counters);
    assert_eq!(totals(&a), totals(&b));
    assert!(totals(&a).applied > 0);
}

#[test]
fn a_batch_whose_deciding_panics_comes_back_to_be_decided_in_line() {
    let p = pipeline();
    let decider = p.sink().decider();
    let (jobs_tx, jobs_rx) = std::sync::mpsc::sync_channel(8);
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let mut batch = LineBatch::new();
    batch.push(mixed_lines(3, 1)[0].as_bytes());
    let batch = Arc::new(batch);
    for seq in 0..3 {
        let job = Job {
            seq,
            batch: batch.clone(),
            decider: decider.clone(),
        };
        jobs_tx.send(job).unwrap();
    }
    drop(jobs_tx);
    // Deciding panics for the second job only; the worker goes on with the third.
    work_with(&std::sync::Mutex::new(jobs_rx), &done_tx, |job, scratch| {
        assert!(job.seq != 1, "a decoder bug");
        job.decider.decide_owned(
            &job.batch,
            scratch,
            &mut Default::default(),
            Default::default(),
        )
    });
    drop(done_tx);
    let done: Vec<(u64, bool)> = done_rx.iter().map(|(seq, d)| (seq, d.is_some())).collect();
    assert_eq!(done, [(0, true), (1, false), (2, true)]);
}

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::task::{Context, Waker};

use super::*;
use crate::evaluate::{Evaluation, Report};
use crate::serve::read::{Readiness, Telemetry, View};

/// A read side whose full evaluations wait for [`Gated::open`] and are counted; the first
/// `panics` of them panic.
#[derive(Default)]
struct Gated {
    open: Mutex<bool>,
    opened: Condvar,
    calls: AtomicUsize,
    panics: usize,
}

impl Gated {
    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }
}

impl ReadSide for Gated {
    fn evaluate_all(&self) -> Evaluated {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let open = self.open.lock().unwrap();
        drop(self.opened.wait_while(open, |open| !*open).unwrap());
        assert!(call >= self.panics, "evaluation {call} fails");
        Evaluated {
            evaluation: Evaluation {
                evaluated_at_us: call as i64,
                end_us: 0,
                report: Report {
                    evaluated_at: String::new(),
                    data_lag_seconds: 0.0,
                    slos: Vec::new(),
                },
                counts: Vec::new(),
                partitions: Vec::new(),
                objectives: Vec::new(),
                configured: Vec::new(),
                splits: Vec::new(),
                windows: Vec::new(),
            },
            format: "alb",
            cluster: None,
        }
    }
    fn evaluate_one(&self, _: &str, _: &str) -> Evaluation {
        unreachable!("not used")
    }
    fn view(&self) -> View {
        unreachable!("not used")
    }
    fn now_us(&self) -> i64 {
        0
    }
    fn readiness(&self) -> Readiness {
        unreachable!("not used")
    }
    fn telemetry(&self) -> Telemetry {
        unreachable!("not used")
    }
}

type Pending = Pin<Box<dyn Future<Output = Result<Arc<Shared>, ApiError>> + Send>>;

/// `n` calls of [`Evaluator::full`], each polled once: each has joined or started the
/// evaluation, and none can finish before the gate opens.
fn asked(evaluator: &Arc<Evaluator>, n: usize) -> Vec<Pending> {
    let mut cx = Context::from_waker(Waker::noop());
    (0..n)
        .map(|_| {
            let e = evaluator.clone();
            let mut f: Pending = Box::pin(async move { e.full().await });
            assert!(f.as_mut().poll(&mut cx).is_pending());
            f
        })
        .collect()
}

#[tokio::test]
async fn concurrent_requests_share_one_evaluation_and_later_ones_start_another() {
    let read = Arc::new(Gated::default());
    let evaluator = Arc::new(Evaluator::new(read.clone()));
    let waiting = asked(&evaluator, 5);
    read.open();
    let mut results = Vec::new();
    for f in waiting {
        results.push(f.await.expect("evaluated"));
    }
    assert_eq!(read.calls.load(Ordering::SeqCst), 1);
    assert!(results.iter().all(|r| Arc::ptr_eq(r, &results[0])));
    let later = evaluator.full().await.expect("evaluated");
    assert_eq!(read.calls.load(Ordering::SeqCst), 2);
    assert!(!Arc::ptr_eq(&later, &results[0]));
    assert_eq!(later.evaluated.evaluation.evaluated_at_us, 1);
}

#[tokio::test]
async fn a_panic_fails_every_waiter_and_the_next_request_starts_afresh() {
    let read = Arc::new(Gated {
        panics: 1,
        ..Gated::default()
    });
    let evaluator = Arc::new(Evaluator::new(read.clone()));
    let waiting = asked(&evaluator, 3);
    read.open();
    for f in waiting {
        assert!(matches!(f.await, Err(ApiError::Internal)));
    }
    let next = evaluator.full().await.expect("evaluated");
    assert_eq!(next.evaluated.evaluation.evaluated_at_us, 1);
    assert_eq!(read.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_panic_on_the_blocking_pool_is_internal() {
    let r = blocking(|| -> u8 { panic!("boom") }).await;
    assert!(matches!(r, Err(ApiError::Internal)));
    assert_eq!(blocking(|| 7).await.unwrap(), 7);
}

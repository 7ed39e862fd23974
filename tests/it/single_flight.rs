//! Evaluation off the async runtime, through the real router: while full evaluations are held
//! back (a read side whose `evaluate_all` waits on a gate), the probes and one-SLO requests
//! still answer; requests that arrive while a full evaluation runs share it, and a request
//! after it finished starts a new one. No timing: requests are polled by hand, and the held
//! ones cannot finish before the gate opens.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Waker};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use http_body_util::BodyExt;
use tokio::sync::mpsc;
use tower::ServiceExt;

use crate::helpers::{NOON, alb_line, api_slo_config, feed, pipeline};
use slipstream::app::Pipeline;
use slipstream::evaluate::Evaluation;
use slipstream::serve::read::{Evaluated, ReadSide, Readiness, Telemetry, View};
use slipstream::time::SECOND;

/// The pipeline's read side, except that full evaluations are counted, reported on `entered`
/// and wait until the gate opens.
struct Gated {
    inner: Arc<Pipeline>,
    open: Mutex<bool>,
    opened: Condvar,
    calls: AtomicUsize,
    entered: mpsc::UnboundedSender<()>,
}

impl Gated {
    fn new(inner: Arc<Pipeline>) -> (Arc<Self>, mpsc::UnboundedReceiver<()>) {
        let (entered, rx) = mpsc::unbounded_channel();
        let gated = Self {
            inner,
            open: Mutex::new(false),
            opened: Condvar::new(),
            calls: AtomicUsize::new(0),
            entered,
        };
        (Arc::new(gated), rx)
    }

    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl ReadSide for Gated {
    fn evaluate_all(&self) -> Evaluated {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let _ = self.entered.send(());
        let open = self.open.lock().unwrap();
        drop(self.opened.wait_while(open, |open| !*open).unwrap());
        self.inner.evaluate_all()
    }
    fn evaluate_one(&self, service: &str, slo: &str) -> Evaluation {
        ReadSide::evaluate_one(&*self.inner, service, slo)
    }
    fn view(&self) -> View {
        self.inner.view()
    }
    fn now_us(&self) -> i64 {
        self.inner.now_us()
    }
    fn readiness(&self) -> Readiness {
        self.inner.readiness()
    }
    fn telemetry(&self) -> Telemetry {
        self.inner.telemetry()
    }
}

fn fed() -> Arc<Pipeline> {
    let config = api_slo_config("{name: availability, threshold: 99.9, window: 30d}", "");
    let (p, _) = pipeline(&config, NOON);
    let lines: Vec<String> = (0..50)
        .map(|i| {
            let status = if i % 10 == 0 { 500 } else { 200 };
            let at = NOON - 50 * SECOND + i * SECOND;
            alb_line(at, "api.example.com", "/a", status, Some((0, 5, 0)))
        })
        .collect();
    feed(&p, 0, &lines, 10);
    p
}

type Pending = Pin<Box<dyn Future<Output = Response> + Send>>;

/// `GET uri`, polled once: a request for every SLO has then joined or started the full
/// evaluation.
fn started(router: &axum::Router, uri: &str) -> Pending {
    let request = Request::get(uri).body(Body::empty()).unwrap();
    let oneshot = router.clone().oneshot(request);
    let mut f: Pending = Box::pin(async move { oneshot.await.unwrap() });
    assert!(
        still_pending(&mut f),
        "{uri} answered before the gate opened"
    );
    f
}

fn still_pending(f: &mut Pending) -> bool {
    f.as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
        .is_pending()
}

async fn body(response: Response) -> (StatusCode, String) {
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

async fn get(router: &axum::Router, uri: &str) -> (StatusCode, String) {
    let request = Request::get(uri).body(Body::empty()).unwrap();
    body(router.clone().oneshot(request).await.unwrap()).await
}

/// Without the process's memory, which changes between two renders.
fn stable(metrics: &str) -> String {
    metrics
        .lines()
        .filter(|l| !l.starts_with("process_resident_memory_bytes"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn probes_and_one_slo_answer_while_full_evaluations_are_held() {
    let p = fed();
    let (gated, mut entered) = Gated::new(p.clone());
    let router = slipstream::serve::router(gated.clone());
    let mut scrapes: Vec<Pending> = (0..4).map(|_| started(&router, "/metrics")).collect();
    entered.recv().await.expect("the evaluation started");

    let (status, health) = get(&router, "/healthz").await;
    assert_eq!(
        (status, health.as_str()),
        (StatusCode::OK, r#"{"status":"ok"}"#)
    );
    let (status, ready) = get(&router, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert!(ready.contains("not ready"), "{ready}");
    let (status, one) = get(&router, "/v1/slos/api/availability").await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert!(one.contains(r#""slo":"availability""#), "{one}");
    let (status, _) = get(
        &router,
        "/v1/slos/api/availability/series?window=1h&step=1m",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for scrape in &mut scrapes {
        assert!(still_pending(scrape), "a scrape finished while held");
    }

    gated.open();
    let want = stable(&slipstream::serve::metrics::render_now(&*p));
    for scrape in scrapes {
        let (status, text) = body(scrape.await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(stable(&text), want);
    }
    assert_eq!(gated.calls(), 1, "the four scrapes shared one evaluation");
}

#[tokio::test]
async fn concurrent_full_requests_share_one_evaluation_and_later_ones_start_another() {
    let p = fed();
    let (gated, mut entered) = Gated::new(p.clone());
    let router = slipstream::serve::router(gated.clone());
    let uris = ["/metrics", "/v1/slos", "/v1/alerts", "/api/v1/alerts"];
    let waiting: Vec<(&str, Pending)> = uris
        .iter()
        .chain(&uris)
        .map(|&uri| (uri, started(&router, uri)))
        .collect();
    entered.recv().await.expect("the evaluation started");
    gated.open();
    let slos = serde_json::to_string(&p.evaluate().report).unwrap();
    for (uri, f) in waiting {
        let (status, text) = body(f.await).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {text}");
        if uri == "/v1/slos" {
            assert_eq!(text, slos, "the same bytes as the report");
        }
    }
    assert_eq!(gated.calls(), 1, "eight requests, one evaluation");

    // Arriving after it finished: a new evaluation, not the old result.
    let (status, _) = get(&router, "/v1/slos").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(gated.calls(), 2);
    let (status, _) = get(&router, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(gated.calls(), 3);
    let _ = entered.try_recv();
}

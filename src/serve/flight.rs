//! Evaluation off the async runtime, one full evaluation shared by concurrent requests.
//!
//! [`Evaluator::full`] joins the full evaluation in progress or, when none is, starts one on
//! the blocking pool (single-flight); either way the request waits for it without holding a
//! runtime thread. An evaluation is joined only while it runs: a request arriving after it
//! finished starts a new one, so no answer comes from an evaluation that had finished before
//! its request arrived. At most one full evaluation runs at a time, however many requests ask.
//!
//! The result, [`Shared`], also keeps the `/metrics` text and the `/v1/slos` JSON once the
//! first request that needs them has rendered them (on the blocking pool, through
//! [`blocking`]), so requests that share an evaluation share its rendering too.
//!
//! A panic while evaluating becomes [`ApiError::Internal`] for every request waiting on it,
//! and the next request starts afresh.

use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Bytes;
use tokio::sync::watch;
use tracing::error;

use super::ApiError;
use super::cluster::Whole;
use super::read::{Evaluated, ReadSide};

/// The evaluation in progress: `None` until it is done; closed without a value if it panicked.
type InFlight = watch::Receiver<Option<Arc<Shared>>>;

/// The read side behind the handlers, with its single flight of full evaluations.
pub(crate) struct Evaluator {
    read: Arc<dyn ReadSide>,
    running: Arc<Mutex<Option<InFlight>>>,
}

impl std::fmt::Debug for Evaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator").finish_non_exhaustive()
    }
}

/// One full evaluation, and what has been rendered from it.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The evaluation.
    pub(crate) evaluated: Evaluated,
    metrics: OnceLock<Vec<Bytes>>,
    slos_json: OnceLock<Result<Bytes, String>>,
}

impl Shared {
    fn new(evaluated: Evaluated) -> Self {
        Self {
            evaluated,
            metrics: OnceLock::new(),
            slos_json: OnceLock::new(),
        }
    }

    /// The `/metrics` text in chunks, with the process telemetry of `read` at the first
    /// call. Blocks.
    pub(crate) fn metrics(&self, read: &dyn ReadSide) -> Vec<Bytes> {
        self.metrics
            .get_or_init(|| {
                super::metrics::render(&self.evaluated, &read.telemetry()).into_chunks()
            })
            .clone()
    }

    /// The `/v1/slos` body. Blocks.
    pub(crate) fn slos_json(&self) -> Result<Bytes, ApiError> {
        let json = self.slos_json.get_or_init(|| {
            serde_json::to_vec(&Whole::new(
                &self.evaluated.evaluation.report,
                self.evaluated.cluster.as_ref(),
            ))
            .map(Bytes::from)
            .map_err(|e| e.to_string())
        });
        json.clone().map_err(|e| {
            error!(error = %e, "cannot serialize the report");
            ApiError::Internal
        })
    }
}

impl Evaluator {
    /// Handlers' access to `read`.
    pub(crate) fn new(read: Arc<dyn ReadSide>) -> Self {
        Self {
            read,
            running: Arc::default(),
        }
    }

    /// The read side.
    pub(crate) fn read(&self) -> &Arc<dyn ReadSide> {
        &self.read
    }

    /// The full evaluation in progress, or a new one; see the module docs.
    pub(crate) async fn full(&self) -> Result<Arc<Shared>, ApiError> {
        let mut in_flight = self.join_or_start();
        let done = in_flight
            .wait_for(Option::is_some)
            .await
            .map_err(|_| ApiError::Internal)?;
        done.clone().ok_or(ApiError::Internal)
    }

    fn join_or_start(&self) -> InFlight {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(in_flight) = &*running {
            return in_flight.clone();
        }
        let (tx, rx) = watch::channel(None);
        *running = Some(rx.clone());
        let read = self.read.clone();
        let landed = Landed(self.running.clone());
        // Not awaited: the evaluation finishes for whoever waits, even if the request that
        // started it is gone (timed out, client left).
        drop(tokio::task::spawn_blocking(move || {
            let shared = Arc::new(Shared::new(read.evaluate_all()));
            // Later requests start a new evaluation from here on (also on a panic above,
            // when `landed` and `tx` are dropped while unwinding).
            drop(landed);
            let _ = tx.send(Some(shared));
        }));
        rx
    }
}

/// Clears the slot of the evaluation in progress when dropped.
struct Landed(Arc<Mutex<Option<InFlight>>>);

impl Drop for Landed {
    fn drop(&mut self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Runs `f` on the blocking pool; a panic in it is an [`ApiError::Internal`].
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::Internal)
}

#[cfg(test)]
mod tests;

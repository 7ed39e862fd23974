//! `GET /v1/catalog`: every service in configuration order with its catalog entry (owner,
//! tier and the tier's target, runbook, dashboard, on-call, labels; see [`crate::catalog`])
//! and its SLOs, what `slipstream catalog --url` prints.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::ApiError;
use super::flight::{Evaluator, blocking};

/// The handler.
pub(super) async fn catalog(State(e): State<Arc<Evaluator>>) -> Result<Response, ApiError> {
    let read = e.read().clone();
    blocking(move || Json(json!({ "services": read.catalog() })).into_response()).await
}

//! `GET /v1/capacity[?service=S]`: each service's request rate now and at its busiest minute
//! of the last day and week, latency, concurrency by Little's law, headroom against its
//! configured capacity and week-over-week growth (see [`crate::evaluate::capacity`]). 404
//! when `service` names no service.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::ApiError;
use super::flight::{Evaluator, blocking};

/// The query.
#[derive(Debug, Deserialize)]
pub(super) struct CapacityQuery {
    service: Option<String>,
}

/// The handler.
pub(super) async fn capacity(
    State(e): State<Arc<Evaluator>>,
    query: Result<Query<CapacityQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let read = e.read().clone();
    blocking(move || {
        let keep = |name: &str| q.service.as_deref().is_none_or(|s| s == name);
        let report = read
            .capacity(&keep)
            .ok_or_else(|| ApiError::NotFound("/v1/capacity".into()))?;
        if let Some(service) = &q.service
            && report.services.is_empty()
        {
            return Err(ApiError::UnknownService(service.clone()));
        }
        Ok(Json(report).into_response())
    })
    .await?
}

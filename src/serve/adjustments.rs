//! `GET /v1/adjustments[?service=S][&slo=X]`: every budget adjustment (maintenance window)
//! of the SLOs asked for, whether it is in force, and per SLO the events it counted apart
//! and the ranges actually adjusted (see [`crate::evaluate::adjustments`]). 404 when both
//! `service` and `slo` are given and name no SLO.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::ApiError;
use super::flight::{Evaluator, blocking};

/// The query; both parts optional.
#[derive(Debug, Deserialize)]
pub(super) struct AdjustmentsQuery {
    service: Option<String>,
    slo: Option<String>,
}

/// `GET /v1/adjustments`.
pub(super) async fn adjustments(
    State(e): State<Arc<Evaluator>>,
    query: Result<Query<AdjustmentsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let read = e.read().clone();
    blocking(move || {
        let view = read.view();
        let keep = |service: &str, slo: &str| {
            q.service.as_deref().is_none_or(|s| s == service)
                && q.slo.as_deref().is_none_or(|s| s == slo)
        };
        if let (Some(service), Some(slo)) = (&q.service, &q.slo)
            && !view.objectives.iter().any(|o| keep(&o.service, &o.slo))
        {
            return Err(ApiError::UnknownSlo {
                service: service.clone(),
                slo: slo.clone(),
            });
        }
        let report = crate::evaluate::adjustments::adjustments(
            &view.objectives,
            &view.store,
            read.now_us(),
            keep,
        );
        Ok(Json(report).into_response())
    })
    .await?
}

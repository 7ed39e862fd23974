//! `GET /v1/slos/{service}/{slo}/contributors?window=1h&by=path&limit=10`: the top
//! contributors of one SLO's bad events by one dimension (see
//! [`crate::evaluate::contributors`]). 404 for an unknown SLO or with attribution off
//! (`spec.attribution` not set), 400 for a dimension not kept, a window that is not whole
//! minutes within the retention, or a limit outside 1 to 100.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::ApiError;
use super::flight::{Evaluator, blocking};
use crate::evaluate::contributors::Refusal;

/// The query; every part optional.
#[derive(Debug, Deserialize)]
pub(super) struct ContributorsQuery {
    by: Option<String>,
    window: Option<String>,
    limit: Option<usize>,
}

/// The handler.
pub(super) async fn contributors(
    State(e): State<Arc<Evaluator>>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<ContributorsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Path((service, slo)) = path.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let read = e.read().clone();
    blocking(move || {
        read.contributors(
            &service,
            &slo,
            q.by.as_deref(),
            q.window.as_deref(),
            q.limit,
        )
        .map(|r| Json(r).into_response())
        .map_err(|refusal| match refusal {
            Refusal::Off => {
                ApiError::NotKept("burn attribution is off: set spec.attribution".into())
            }
            Refusal::UnknownSlo => ApiError::UnknownSlo {
                service: service.clone(),
                slo: slo.clone(),
            },
            Refusal::Bad(why) => ApiError::BadRequest(why),
        })
    })
    .await?
}

//! Canary vs baseline over HTTP (see [`crate::evaluate::canary`]):
//!
//! - `GET /v1/canary`: every service's comparison over its default window (`{"canaries":
//!   [...]}`), for the page;
//! - `GET /v1/canary/{service}?window=30m`: both variants and the verdict, always 200 when
//!   the service compares a canary, for dashboards and Argo Rollouts' `web` metric provider
//!   (which reads a JSON path such as `$.verdict` and treats a non-2xx status as an error);
//! - `GET` or `POST /v1/canary/{service}/check?window=30m&not_enough_data=fail|pass`: the
//!   same body, with the verdict in the status for Flagger's webhooks (which judge by status
//!   only): 200 healthy, 412 roll back, and 425 (Too Early) with not enough data, or 200
//!   with `not_enough_data=pass`. A POST's body (Flagger's payload) is not read.
//!
//! 404 for an unknown service or one without `canary`, 400 for a window that is not whole
//! minutes within the retention or another bad query.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::ApiError;
use super::flight::{Evaluator, blocking};
use crate::evaluate::canary::{CanaryReport, Refusal, Verdict};

/// The query of both endpoints.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CanaryQuery {
    window: Option<String>,
    not_enough_data: Option<NotEnoughData>,
}

/// What the check endpoint answers with not enough data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum NotEnoughData {
    /// 425: the check fails (Flagger counts a failed check).
    #[default]
    Fail,
    /// 200: the check passes.
    Pass,
}

/// The comparison the path and query ask for.
async fn report(
    e: Arc<Evaluator>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<CanaryQuery>, QueryRejection>,
) -> Result<(CanaryReport, NotEnoughData), ApiError> {
    let Path(service) = path.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let read = e.read().clone();
    let on_missing = q.not_enough_data.unwrap_or_default();
    blocking(move || {
        read.canary(&service, q.window.as_deref())
            .map(|r| (r, on_missing))
            .map_err(|refusal| match refusal {
                Refusal::UnknownService => ApiError::UnknownService(service.clone()),
                Refusal::NoCanary => ApiError::NotKept(format!(
                    "service {service} compares no canary: set spec.services[].canary"
                )),
                Refusal::Bad(why) => ApiError::BadRequest(why),
            })
    })
    .await?
}

/// `GET /v1/canary`: every service's comparison over its default window.
pub(super) async fn every(State(e): State<Arc<Evaluator>>) -> Result<Response, ApiError> {
    let read = e.read().clone();
    blocking(move || Ok(Json(serde_json::json!({ "canaries": read.canaries() })).into_response()))
        .await?
}

/// `GET /v1/canary/{service}`.
pub(super) async fn canary(
    State(e): State<Arc<Evaluator>>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<CanaryQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (r, _) = report(e, path, query).await?;
    Ok(Json(r).into_response())
}

/// `GET` / `POST /v1/canary/{service}/check`.
pub(super) async fn check(
    State(e): State<Arc<Evaluator>>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<CanaryQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (r, on_missing) = report(e, path, query).await?;
    let status = match (r.verdict, on_missing) {
        (Verdict::Healthy, _) | (Verdict::NotEnoughData, NotEnoughData::Pass) => StatusCode::OK,
        (Verdict::RollBack, _) => StatusCode::PRECONDITION_FAILED,
        (Verdict::NotEnoughData, NotEnoughData::Fail) => StatusCode::TOO_EARLY,
    };
    Ok((status, Json(r)).into_response())
}

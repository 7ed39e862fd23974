//! `GET /v1/adjustments[?service=S][&slo=X]`: every budget adjustment (maintenance window)
//! of the SLOs asked for, whether it is in force, and per SLO the events it counted apart
//! and the ranges actually adjusted (see [`crate::evaluate::adjustments`]). 404 when both
//! `service` and `slo` are given and name no SLO.
//!
//! `POST /v1/adjustments` declares a one-off adjustment and `DELETE /v1/adjustments/{name}`
//! removes one declared so: writes, open or off as the annotations' are
//! ([`super::annotations::Writes`]); on a cluster member they go through the cluster log.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::ApiError;
use super::annotations::{Writes, check_writes, json_body};
use super::flight::{Evaluator, blocking};
use crate::time::parse_rfc3339;
use crate::window::DeclaredState;
use crate::window::adjust::Refused;

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

/// The body of `POST /v1/adjustments`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewAdjustment {
    name: String,
    #[serde(default)]
    description: String,
    start: String,
    end: String,
    mode: Option<String>,
    slos: Vec<String>,
}

fn refused(r: Refused) -> ApiError {
    match r {
        Refused::Invalid(m) => ApiError::BadRequest(m),
        Refused::Unknown(name) => ApiError::NotFound(format!("/v1/adjustments/{name}")),
        Refused::NotHere(m) => ApiError::Forbidden(m),
        Refused::Pending(m) => ApiError::Unavailable(m),
        r @ (Refused::Exists(_) | Refused::Configured(_) | Refused::Full) => {
            ApiError::LimitReached(r.to_string())
        }
    }
}

/// `POST /v1/adjustments`: 201 with the adjustment as `GET` lists it, applied.
pub(super) async fn create(
    State(e): State<Arc<Evaluator>>,
    axum::Extension(writes): axum::Extension<Writes>,
    body: Result<Json<NewAdjustment>, JsonRejection>,
) -> Result<Response, ApiError> {
    check_writes(writes)?;
    let new = json_body(body)?;
    let time = |name: &str, text: &str| {
        parse_rfc3339(text).map_err(|e| ApiError::BadRequest(format!("{name}: {e}")))
    };
    let (start_us, end_us) = (time("start", &new.start)?, time("end", &new.end)?);
    let read = e.read().clone();
    blocking(move || {
        let name = new.name.clone();
        let declared = DeclaredState {
            name: new.name,
            description: new.description,
            start_us,
            end_us,
            mode: new.mode.unwrap_or_else(|| "exclude".into()),
            slos: new.slos,
            created_us: read.now_us(),
        };
        read.declare_adjustment(declared).map_err(refused)?;
        let view = read.view();
        let report = crate::evaluate::adjustments::adjustments(
            &view.objectives,
            &view.store,
            read.now_us(),
            |_, _| true,
        );
        let added = report
            .adjustments
            .into_iter()
            .find(|a| a.name == name)
            .ok_or(ApiError::Internal)?;
        Ok((StatusCode::CREATED, Json(added)).into_response())
    })
    .await?
}

/// `DELETE /v1/adjustments/{name}`: only one declared through the API.
pub(super) async fn delete(
    State(e): State<Arc<Evaluator>>,
    axum::Extension(writes): axum::Extension<Writes>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    check_writes(writes)?;
    let Path(name) = path.map_err(|r| ApiError::BadRequest(r.body_text()))?;
    let read = e.read().clone();
    blocking(move || {
        read.remove_adjustment(&name).map_err(refused)?;
        Ok(Json(serde_json::json!({ "deleted": name })).into_response())
    })
    .await?
}

//! `POST /v1/annotations`, `GET /v1/annotations` and `DELETE /v1/annotations/{id}`: deploys,
//! incidents, maintenance and notes on the timeline (see [`crate::annotations`]).
//!
//! Writes are off unless the server requires a bearer token (`spec.http.auth`) or they are
//! opened explicitly for a trusted network (`spec.http.allow_unauthenticated_writes`, logged
//! as a warning at start): anyone who can reach the port must not be able to erase an
//! incident. Every write is logged. In cluster mode writes are refused for now: they would
//! reach one member only.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::ApiError;
use super::flight::Evaluator;
use crate::annotations::{
    AnnotationError, AnnotationKind, AnnotationView, GrafanaAnnotation, NewAnnotation,
};
use crate::time::parse_rfc3339;

/// Whether this server accepts writes.
#[derive(Debug, Clone, Copy)]
pub struct Writes(pub bool);

fn check_writes(e: &Evaluator, writes: Writes) -> Result<(), ApiError> {
    if !writes.0 {
        return Err(ApiError::Forbidden(
            "write endpoints are off: configure spec.http.auth, or set \
             spec.http.allow_unauthenticated_writes on a trusted network"
                .into(),
        ));
    }
    if e.read().cluster().is_some() {
        return Err(ApiError::Forbidden(
            "annotations are not shared between cluster members yet: write them to a single \
             instance"
                .into(),
        ));
    }
    Ok(())
}

/// `POST /v1/annotations`: 201 with the annotation as kept.
pub(super) async fn create(
    State(e): State<Arc<Evaluator>>,
    axum::Extension(writes): axum::Extension<Writes>,
    body: Result<Json<NewAnnotation>, JsonRejection>,
) -> Result<Response, ApiError> {
    check_writes(&e, writes)?;
    let Json(new) = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest(r.body_text())
        }
    })?;
    let read = e.read();
    let now = read.now_us();
    let added = read.view().store.annotations().add(new, now);
    match added {
        Ok(a) => {
            tracing::info!(
                id = a.id,
                kind = a.kind.as_str(),
                service = a.service.as_deref().unwrap_or("*"),
                "annotation added"
            );
            Ok((StatusCode::CREATED, Json(AnnotationView::from(&a))).into_response())
        }
        Err(AnnotationError::Full) => {
            Err(ApiError::LimitReached(AnnotationError::Full.to_string()))
        }
        Err(e) => Err(ApiError::BadRequest(e.to_string())),
    }
}

/// `DELETE /v1/annotations/{id}`.
pub(super) async fn delete(
    State(e): State<Arc<Evaluator>>,
    axum::Extension(writes): axum::Extension<Writes>,
    path: Result<Path<u64>, PathRejection>,
) -> Result<Response, ApiError> {
    check_writes(&e, writes)?;
    let Path(id) = path.map_err(|r| ApiError::BadRequest(r.body_text()))?;
    if !e.read().view().store.annotations().delete(id) {
        return Err(ApiError::NotFound(format!("/v1/annotations/{id}")));
    }
    tracing::warn!(id, "annotation deleted");
    Ok(Json(json!({ "deleted": id })).into_response())
}

/// The query of `GET /v1/annotations`; all optional.
#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    from: Option<String>,
    to: Option<String>,
    service: Option<String>,
    kind: Option<String>,
    format: Option<String>,
}

fn time(name: &str, text: Option<&str>) -> Result<Option<i64>, ApiError> {
    text.map(|t| parse_rfc3339(t).map_err(|e| ApiError::BadRequest(format!("{name}: {e}"))))
        .transpose()
}

/// `GET /v1/annotations`: `{"annotations": [...]}`, or with `format=grafana` an array in the
/// shape Grafana's JSON and Infinity data sources read.
pub(super) async fn list(
    State(e): State<Arc<Evaluator>>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|r| ApiError::BadRequest(r.body_text()))?;
    let from = time("from", q.from.as_deref())?.unwrap_or(i64::MIN);
    let to = time("to", q.to.as_deref())?.unwrap_or(i64::MAX);
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k) => Some(
            serde_json::from_value::<AnnotationKind>(json!(k)).map_err(|_| {
                ApiError::BadRequest(format!(
                    "kind {k:?} is not one of deploy, incident, maintenance, note"
                ))
            })?,
        ),
    };
    let grafana = match q.format.as_deref() {
        None | Some("slipstream") => false,
        Some("grafana") => true,
        Some(f) => {
            return Err(ApiError::BadRequest(format!(
                "format {f:?} is not one of slipstream, grafana"
            )));
        }
    };
    let store = e.read().view().store;
    let annotations = store.annotations();
    let found = annotations.list(from, to, q.service.as_deref(), kind);
    Ok(if grafana {
        let out: Vec<GrafanaAnnotation> = found.into_iter().map(GrafanaAnnotation::from).collect();
        Json(out).into_response()
    } else {
        let out: Vec<AnnotationView> = found.into_iter().map(AnnotationView::from).collect();
        Json(json!({ "annotations": out })).into_response()
    })
}

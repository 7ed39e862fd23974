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
use super::flight::{Evaluator, blocking};
use crate::annotations::{
    AnnotationError, AnnotationKind, AnnotationView, GrafanaAnnotation, NewAnnotation,
};
use crate::time::parse_rfc3339;

/// Whether this server accepts writes, decided once when the router is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writes {
    /// Accepted.
    Open,
    /// Refused (403) for this reason.
    Off(&'static str),
}

impl Writes {
    /// Writes off because neither authentication nor the trusted-network opening is on.
    pub const UNAUTHENTICATED: Writes = Writes::Off(
        "write endpoints are off: configure spec.http.auth, or set \
         spec.http.allow_unauthenticated_writes on a trusted network",
    );
    /// For a server with authentication on or not (`authenticated`), writes opened for a
    /// trusted network or not (`opened`). A cluster member takes writes like a single
    /// instance: annotations go through the cluster log (budget adjustments are refused
    /// there by the read side).
    pub fn of(authenticated: bool, opened: bool) -> Writes {
        if authenticated || opened {
            Writes::Open
        } else {
            Writes::UNAUTHENTICATED
        }
    }
}

pub(super) fn check_writes(writes: Writes) -> Result<(), ApiError> {
    match writes {
        Writes::Open => Ok(()),
        Writes::Off(why) => Err(ApiError::Forbidden(why.into())),
    }
}

/// A write's JSON body: 413 when too large, 400 when not what it should be.
pub(super) fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(t)| t).map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest(r.body_text())
        }
    })
}

/// `POST /v1/annotations`: 201 with the annotation as kept (in a cluster, once this member
/// applied it from the log).
pub(super) async fn create(
    State(e): State<Arc<Evaluator>>,
    axum::Extension(writes): axum::Extension<Writes>,
    body: Result<Json<NewAnnotation>, JsonRejection>,
) -> Result<Response, ApiError> {
    check_writes(writes)?;
    let new = json_body(body)?;
    let read = e.read().clone();
    blocking(move || match read.add_annotation(new) {
        Ok(a) => {
            tracing::info!(
                id = a.id,
                kind = a.kind.as_str(),
                service = a.service.as_deref().unwrap_or("*"),
                "annotation added"
            );
            Ok((StatusCode::CREATED, Json(AnnotationView::from(&a))).into_response())
        }
        Err(e) => Err(refused(e)),
    })
    .await?
}

fn refused(e: AnnotationError) -> ApiError {
    match e {
        AnnotationError::Full => ApiError::LimitReached(e.to_string()),
        AnnotationError::Pending(_) => ApiError::Unavailable(e.to_string()),
        AnnotationError::Invalid(m) => ApiError::BadRequest(m),
    }
}

/// `DELETE /v1/annotations/{id}`.
pub(super) async fn delete(
    State(e): State<Arc<Evaluator>>,
    axum::Extension(writes): axum::Extension<Writes>,
    path: Result<Path<u64>, PathRejection>,
) -> Result<Response, ApiError> {
    check_writes(writes)?;
    let Path(id) = path.map_err(|r| ApiError::BadRequest(r.body_text()))?;
    let read = e.read().clone();
    blocking(move || {
        if !read.delete_annotation(id).map_err(refused)? {
            return Err(ApiError::NotFound(format!("/v1/annotations/{id}")));
        }
        tracing::warn!(id, "annotation deleted");
        Ok(Json(json!({ "deleted": id })).into_response())
    })
    .await?
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_need_auth_or_the_opening() {
        assert_eq!(Writes::of(false, false), Writes::UNAUTHENTICATED);
        assert_eq!(Writes::of(true, false), Writes::Open);
        assert_eq!(Writes::of(false, true), Writes::Open);
        assert_eq!(Writes::of(true, true), Writes::Open);
        let Err(ApiError::Forbidden(why)) = check_writes(Writes::UNAUTHENTICATED) else {
            panic!("writes without auth");
        };
        assert!(why.starts_with("write endpoints are off"));
        assert!(check_writes(Writes::Open).is_ok());
    }
}

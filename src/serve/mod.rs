//! Serve: the HTTP API (axum).
//!
//! `GET /v1/slos` (every SLO), `GET /v1/slos/{service}/{slo}` (one SLO, 404 when unknown),
//! `GET /v1/slos/{service}/{slo}/series` (exact counts step by step),
//! `GET /v1/slos/{service}/{slo}/impact` (what a range cost, [`impact`]),
//! `GET /v1/reports` (each SLO's calendar periods, [`reports`]), `GET /v1/gate` (the deploy
//! gate, [`gate`]), `GET`/`POST /v1/adjustments`, `DELETE /v1/adjustments/{name}` (budget
//! adjustments, [`adjustments`]),
//! `POST`/`GET /v1/annotations`, `DELETE /v1/annotations/{id}` ([`annotations`]),
//! `GET /v1/alerts` (firing alerts, for pollers), `GET /api/v1/alerts` (the same in
//! Prometheus's shape, see [`alerts_api`]), `GET /openapi.json` ([`openapi`]),
//! `GET /` and `GET /slo/{service}/{slo}` (the
//! web page), `GET /metrics` (Prometheus text),
//! `GET /healthz` (the process answers), `GET /readyz` (the source has delivered data or
//! reached the end of its input; the body also shows the last rejected config reload and the
//! restart-only fields it changed).
//!
//! Handlers read the pipeline through [`read::ReadSide`] only. No handler evaluates or builds
//! a large body on the async runtime: evaluation, serialization and rendering run on the
//! blocking pool (`flight`), and the probes answer from flags and short locks, so they stay
//! quick while scrapes run. A request that needs every SLO joins the full evaluation in
//! progress when there is one, else starts a new one (never reusing one that had finished
//! before it arrived): `/metrics`, `/v1/slos`, `/v1/alerts` and `/api/v1/alerts` share it,
//! and the page reads `/v1/slos`. One SLO (`/v1/slos/{service}/{slo}` and its series) is
//! evaluated on its own, at the cost of that SLO only.
//!
//! Errors are JSON `{"error": "..."}` mapped to a status in one place ([`ApiError`]); a
//! panic in a handler becomes a 500, never a dead server. Bodies, time and requests in
//! flight are bounded ([`limits`]). [`server`] serves the router over plain HTTP or, with
//! `spec.http.tls`, HTTPS only (certificates are loaded by [`crate::tls`]).

mod adjustments;
pub mod alerts_api;
pub mod annotations;
pub mod auth;
mod canary;
mod capacity;
mod catalog;
mod cluster;
mod contributors;
mod flight;
mod gate;
mod impact;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod read;
mod reports;
pub mod server;
mod web;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use flight::{Evaluator, blocking};
use read::ReadSide;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No SLO with that service and name.
    #[error("no SLO {service}/{slo}")]
    UnknownSlo {
        /// Requested service.
        service: String,
        /// Requested SLO.
        slo: String,
    },
    /// No service of that name.
    #[error("no service {0}")]
    UnknownService(String),
    /// What was asked for is not kept by this configuration, and why.
    #[error("{0}")]
    NotKept(String),
    /// The request could not be understood.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// No route for the path.
    #[error("no such endpoint: {0}")]
    NotFound(String),
    /// Route exists, method does not.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A bearer token is configured and the request did not carry it.
    #[error("missing or wrong bearer token")]
    Unauthorized,
    /// The request body is larger than [`limits::MAX_BODY_BYTES`].
    #[error("request body too large (limit {} bytes)", limits::MAX_BODY_BYTES)]
    PayloadTooLarge,
    /// More than [`limits::MAX_IN_FLIGHT`] requests at once.
    #[error("too many requests in flight; try again")]
    Overloaded,
    /// The answer took longer than [`limits::REQUEST_TIMEOUT`].
    #[error("request timed out")]
    TimedOut,
    /// A write the server does not accept (writes off, or not in this mode).
    #[error("{0}")]
    Forbidden(String),
    /// A write past a limit of the store.
    #[error("{0}")]
    LimitReached(String),
    /// A write this instance cannot complete now (a cluster member's, not applied yet).
    #[error("{0}")]
    Unavailable(String),
    /// A handler panicked.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::UnknownSlo { .. }
            | ApiError::UnknownService(_)
            | ApiError::NotKept(_)
            | ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Overloaded | ApiError::TimedOut | ApiError::Unavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::LimitReached(_) => StatusCode::CONFLICT,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status(), Json(json!({ "error": self.to_string() }))).into_response()
    }
}

/// The API router over `read`, behind the [`limits`], without authentication.
pub fn router(read: Arc<dyn ReadSide>) -> Router {
    router_with_auth(read, None)
}

/// The API router; with a `token`, everything but the probes requires it ([`auth`]), and
/// the write endpoints are open (see [`annotations`]).
pub fn router_with_auth(read: Arc<dyn ReadSide>, token: Option<auth::Token>) -> Router {
    let writes = annotations::Writes::of(token.is_some(), false);
    router_with(read, token, writes)
}

/// The API router with a `token` (as [`router_with_auth`]) and the write endpoints as
/// `writes` says.
pub fn router_with(
    read: Arc<dyn ReadSide>,
    token: Option<auth::Token>,
    writes: annotations::Writes,
) -> Router {
    let auth = token.is_some();
    let mut protected = Router::new()
        .route("/v1/slos", get(slos))
        .route("/v1/slos/{service}/{slo}", get(slo))
        .route("/v1/slos/{service}/{slo}/series", get(web::series))
        .route("/v1/slos/{service}/{slo}/impact", get(impact::impact))
        .route(
            "/v1/slos/{service}/{slo}/contributors",
            get(contributors::contributors),
        )
        .route("/v1/reports", get(reports::reports))
        .route("/v1/gate", get(gate::gate))
        .route("/v1/catalog", get(catalog::catalog))
        .route("/v1/capacity", get(capacity::capacity))
        .route("/v1/canary", get(canary::every))
        .route("/v1/canary/{service}", get(canary::canary))
        .route(
            "/v1/canary/{service}/check",
            get(canary::check).post(canary::check),
        )
        .route(
            "/v1/adjustments",
            get(adjustments::adjustments).post(adjustments::create),
        )
        .route(
            "/v1/adjustments/{name}",
            axum::routing::delete(adjustments::delete),
        )
        .route(
            "/v1/annotations",
            get(annotations::list).post(annotations::create),
        )
        .route(
            "/v1/annotations/{id}",
            axum::routing::delete(annotations::delete),
        )
        .route("/v1/alerts", get(alerts))
        .route("/v1/cluster", get(cluster::cluster))
        .route("/api/v1/alerts", get(alerts_api::alerts))
        .route("/openapi.json", get(move || openapi::openapi(auth)))
        .route("/metrics", get(metrics_text))
        .route("/", get(web::index))
        .route("/slo/{service}/{slo}", get(web::index))
        .route("/assets/app.js", get(web::app_js))
        .route("/assets/style.css", get(web::style_css))
        .fallback(|uri: axum::http::Uri| async move { ApiError::NotFound(uri.path().to_string()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(axum::Extension(
            Arc::new(alerts_api::ActiveSince::default()),
        ))
        .layer(axum::Extension(writes));
    if let Some(token) = token {
        protected = protected.layer(axum::middleware::from_fn_with_state(token, auth::require));
    }
    let routes = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(protected)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| ApiError::Internal.into_response(),
        ))
        .with_state(Arc::new(Evaluator::new(read)));
    limits::wrap(routes)
}

/// The handlers' state.
type Api = State<Arc<Evaluator>>;

async fn slos(State(e): Api) -> Result<Response, ApiError> {
    let shared = e.full().await?;
    let body = blocking(move || shared.slos_json()).await??;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn slo(
    State(e): Api,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path((service, slo)) = path.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let read = e.read().clone();
    blocking(move || {
        let status = read.cluster();
        let evaluation = read.evaluate_one(&service, &slo);
        let end_us = evaluation.end_us;
        let mut report = evaluation.report;
        let index = report
            .slos
            .iter()
            .position(|r| *r.service == *service && *r.slo == *slo)
            .ok_or_else(|| ApiError::UnknownSlo {
                service: service.clone(),
                slo: slo.clone(),
            })?;
        let mut one = report.slos.swap_remove(index);
        forecast_into(&*read, &mut one, end_us);
        Ok(Json(cluster::Whole::new(&one, status.as_ref())).into_response())
    })
    .await?
}

/// Adds the budget's exhaustion forecasts to `one` (evaluated with window end `end_us`),
/// reading its oldest buckets from the counters (see [`crate::evaluate::forecast`]).
fn forecast_into(read: &dyn ReadSide, one: &mut crate::evaluate::SloReport, end_us: i64) {
    let view = read.view();
    let plan = view.store.plan();
    let Some((o, of)) = crate::evaluate::find_entry(&view.objectives, plan, &one.service, &one.slo)
    else {
        return;
    };
    let forecast = {
        let counters = view.store.counters();
        let Some(c) = counters.counters(of) else {
            return;
        };
        crate::evaluate::forecast::exhaustion(&o, one, c, end_us)
    };
    if let Some(b) = &mut one.budget {
        b.exhaustion = forecast;
    }
}

async fn alerts(State(e): Api) -> Result<Response, ApiError> {
    let shared = e.full().await?;
    blocking(move || {
        let firing = shared.evaluated.evaluation.report.firing();
        Json(cluster::Whole::new(
            &firing,
            shared.evaluated.cluster.as_ref(),
        ))
        .into_response()
    })
    .await
}

async fn metrics_text(State(e): Api) -> Result<Response, ApiError> {
    let shared = e.full().await?;
    let read = e.read().clone();
    let chunks = blocking(move || shared.metrics(&*read)).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        axum::body::Body::new(metrics::text::Body::new(chunks)),
    )
        .into_response())
}

async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

async fn readyz(State(e): Api) -> Response {
    let readiness = e.read().readiness();
    let (status, mut body) = match readiness.ready {
        Ok(()) => (StatusCode::OK, json!({"status": "ready"})),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "not ready", "reason": reason}),
        ),
    };
    // A rejected reload is a detail, not a readiness change: the old configuration runs.
    if let Some(error) = readiness.last_reload_error {
        body["config_reload_error"] = error.into();
    }
    if !readiness.restart_required.is_empty() {
        body["restart_required"] = readiness.restart_required.into();
    }
    let read = e.read().clone();
    if let Ok(Some(status)) = tokio::task::spawn_blocking(move || read.cluster()).await {
        body["partial"] = status.partial.into();
        body["missing"] = serde_json::to_value(&status.missing).unwrap_or_default();
        if !status.config_mismatch.is_empty() {
            body["config_mismatch"] = status.config_mismatch.into();
        }
    }
    (status, Json(body)).into_response()
}

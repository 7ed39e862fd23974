//! The web page and the series it draws.
//!
//! `GET /` (and `GET /slo/{service}/{slo}`, the same page opened on one SLO) serves a small
//! HTML page whose script polls `GET /v1/slos` and `GET /v1/slos/{service}/{slo}/series` and
//! draws the charts as inline SVG. The page, script and style sheet are compiled into the
//! binary: no build step, no framework, nothing fetched from elsewhere.
//! `GET /v1/slos/{service}/{slo}/series?window=6h&step=1m` serves
//! [`Series`](crate::evaluate::series::Series); see [`crate::evaluate::series`] for what each
//! point counts.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::ApiError;
use super::flight::{Evaluator, blocking};
use crate::evaluate::series;
use crate::time::{SECOND, floor_to, format_rfc3339, parse_duration};

const INDEX_HTML: &str = include_str!("web/index.html");
const APP_JS: &str = include_str!("web/app.js");
const STYLE_CSS: &str = include_str!("web/style.css");

/// Assets change only with the binary; a short cache keeps a redeploy visible.
const CACHE: &str = "public, max-age=300";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, CACHE),
        ],
        body,
    )
        .into_response()
}

/// The page (any of its routes).
pub(super) async fn index() -> Response {
    // The page itself is not cached, so a new binary's page is picked up at once.
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        INDEX_HTML,
    )
        .into_response()
}

/// The page's script.
pub(super) async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

/// The page's style sheet.
pub(super) async fn style_css() -> Response {
    asset("text/css; charset=utf-8", STYLE_CSS)
}

/// Query of the series endpoint; both optional.
#[derive(Debug, Deserialize)]
pub(super) struct SeriesQuery {
    window: Option<String>,
    step: Option<String>,
}

/// `GET /v1/slos/{service}/{slo}/series`, computed on the blocking pool.
pub(super) async fn series(
    State(e): State<Arc<Evaluator>>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<SeriesQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Path((service, slo)) = path.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let duration = |name: &str, text: Option<String>| {
        text.map(|t| parse_duration(&t))
            .transpose()
            .map_err(|e| ApiError::BadRequest(format!("{name}: {e}")))
    };
    let window = duration("window", q.window)?;
    let step = duration("step", q.step)?;
    let read = e.read().clone();
    blocking(move || {
        let view = read.view();
        let plan = view.store.plan();
        let (o, of) = crate::evaluate::find_entry(&view.objectives, plan, &service, &slo)
            .ok_or(ApiError::UnknownSlo { service, slo })?;
        let o = &o;
        let layout = plan.layouts.get(of.slo()).ok_or(ApiError::Internal)?;
        let shape = series::shape(o, layout, &plan.window, window, step)
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        // The same evaluation time and window end as `GET /v1/slos` at this instant.
        let now = read.now_us();
        let t = view.store.evaluation_time(now);
        let mut s = series::series_of(o, of, &view.store, floor_to(t, SECOND), shape);
        s.evaluated_at = format_rfc3339(t);
        s.data_lag_seconds = (now - t).max(0) as f64 / SECOND as f64;
        Ok(Json(s).into_response())
    })
    .await?
}

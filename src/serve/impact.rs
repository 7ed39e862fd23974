//! `GET /v1/slos/{service}/{slo}/impact?start=…&end=…[&format=markdown]`: what a time range
//! cost one SLO (see [`crate::evaluate::impact`]), as JSON or as the Markdown of a
//! postmortem's "Impact" section.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::ApiError;
use super::flight::{Evaluator, blocking};
use crate::evaluate::impact::{self, ImpactError};

/// The query: `start` and `end` required.
#[derive(Debug, Deserialize)]
pub(super) struct ImpactQuery {
    start: Option<String>,
    end: Option<String>,
    format: Option<String>,
}

fn time(name: &str, text: Option<&str>) -> Result<i64, ApiError> {
    let text =
        text.ok_or_else(|| ApiError::BadRequest(format!("{name} is required (RFC 3339)")))?;
    crate::time::parse_rfc3339(text).map_err(|e| ApiError::BadRequest(format!("{name}: {e}")))
}

/// `GET /v1/slos/{service}/{slo}/impact`.
pub(super) async fn impact(
    State(e): State<Arc<Evaluator>>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<ImpactQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Path((service, slo)) = path.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let start = time("start", q.start.as_deref())?;
    let end = time("end", q.end.as_deref())?;
    let markdown = match q.format.as_deref() {
        None | Some("json") => false,
        Some("markdown") => true,
        Some(f) => {
            return Err(ApiError::BadRequest(format!(
                "format {f:?} is not one of json, markdown"
            )));
        }
    };
    let read = e.read().clone();
    blocking(move || {
        let evaluation = read.evaluate_one(&service, &slo);
        let unknown = || ApiError::UnknownSlo {
            service: service.clone(),
            slo: slo.clone(),
        };
        let one = evaluation
            .report
            .slos
            .iter()
            .find(|r| *r.service == *service && *r.slo == *slo)
            .ok_or_else(unknown)?;
        let view = read.view();
        let (o, of) =
            crate::evaluate::find_entry(&view.objectives, view.store.plan(), &service, &slo)
                .ok_or_else(unknown)?;
        let result = {
            let counters = view.store.counters();
            let c = counters.counters(of).ok_or_else(unknown)?;
            let when = (evaluation.end_us, evaluation.report.evaluated_at.as_str());
            impact::impact(&o, one, c, when, start, end)
        };
        let mut report = result.map_err(|e: ImpactError| ApiError::BadRequest(e.to_string()))?;
        impact::add_alerts(&mut report, &o, &view.store.alert_history());
        Ok(if markdown {
            (
                [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
                impact::markdown(&report),
            )
                .into_response()
        } else {
            Json(report).into_response()
        })
    })
    .await?
}

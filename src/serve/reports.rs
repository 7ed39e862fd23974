//! `GET /v1/reports?period=day|week|month|quarter&count=N[&service=S][&slo=X]`: each SLO's
//! last `count` calendar periods from its daily history (see
//! [`crate::evaluate::reports`]), computed on the blocking pool.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::ApiError;
use super::flight::{Evaluator, blocking};
use crate::evaluate::reports::{self, DEFAULT_COUNT, MAX_COUNT, ReportPeriod};

/// The query; only `period` is required.
#[derive(Debug, Deserialize)]
pub(super) struct ReportsQuery {
    period: Option<String>,
    count: Option<String>,
    service: Option<String>,
    slo: Option<String>,
}

/// The period and count `q` asks for, or why they cannot be given.
fn parse(q: &ReportsQuery) -> Result<(ReportPeriod, usize), ApiError> {
    let name = q.period.as_deref().ok_or_else(|| {
        ApiError::BadRequest("period is required: day, week, month or quarter".into())
    })?;
    let period = ReportPeriod::from_name(name).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "period {name:?} is not one of day, week, month, quarter"
        ))
    })?;
    let count = match q.count.as_deref() {
        None => DEFAULT_COUNT,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_COUNT).contains(n))
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "count {text:?} is not a whole number from 1 to {MAX_COUNT}"
                ))
            })?,
    };
    Ok((period, count))
}

/// `GET /v1/reports`.
pub(super) async fn reports(
    State(e): State<Arc<Evaluator>>,
    query: Result<Query<ReportsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let (period, count) = parse(&q)?;
    let read = e.read().clone();
    blocking(move || {
        let view = read.view();
        let keep = |service: &str, slo: &str| {
            q.service.as_deref().is_none_or(|s| s == service)
                && q.slo.as_deref().is_none_or(|s| s == slo)
        };
        let report = reports::reports(
            &view.objectives,
            &view.store,
            read.now_us(),
            period,
            count,
            keep,
        )
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        if report.slos.is_empty()
            && let (Some(service), Some(slo)) = (q.service, q.slo)
        {
            return Err(ApiError::UnknownSlo { service, slo });
        }
        Ok(Json(report).into_response())
    })
    .await?
}

//! `GET /v1/gate?service=S[&slo=X][&override=reason]`: may `S` deploy now? (see
//! [`crate::evaluate::gate`]). Always 200 with the decision, its reason, tier, budget and
//! deciding SLO; 400 without `service`, 404 when it has no SLO. An override is logged.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::ApiError;
use super::flight::{Evaluator, blocking};
use crate::evaluate::gate::{self, Decision};

/// The query.
#[derive(Debug, Deserialize)]
pub(super) struct GateQuery {
    service: Option<String>,
    slo: Option<String>,
    #[serde(rename = "override")]
    override_reason: Option<String>,
}

/// `GET /v1/gate`.
pub(super) async fn gate(
    State(e): State<Arc<Evaluator>>,
    query: Result<Query<GateQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let service = q
        .service
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::BadRequest("service is required".into()))?;
    let read = e.read().clone();
    blocking(move || {
        let view = read.view();
        let now = read.now_us();
        let keep = |s: &str, slo: &str| s == service && q.slo.as_deref().is_none_or(|x| x == slo);
        let evaluation = crate::evaluate::evaluate_where(&view.objectives, &view.store, now, keep);
        let rules = evaluation
            .objectives
            .first()
            .map(|o| Arc::clone(&o.gate))
            .ok_or_else(|| ApiError::UnknownSlo {
                service: service.clone(),
                slo: q.slo.clone().unwrap_or_else(|| "*".into()),
            })?;
        let gated = gate::gated(&evaluation.report.slos, &rules);
        let report = gate::decide(
            &service,
            gated,
            &rules,
            now,
            &evaluation.report.evaluated_at,
            q.override_reason.as_deref(),
        );
        if report.overridden {
            tracing::warn!(
                service = %report.service,
                reason = report.override_reason.as_deref().unwrap_or(""),
                rules_said = ?report.rules_decision,
                "deploy gate overridden"
            );
        } else if report.decision != Decision::Ship {
            tracing::info!(service = %report.service, decision = ?report.decision, reason = %report.reason, "deploy gate said no");
        }
        Ok(Json(report).into_response())
    })
    .await?
}

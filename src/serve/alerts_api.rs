//! `GET /api/v1/alerts`: the firing alerts in the shape of Prometheus's alerts API, so tools
//! that poll Prometheus (Grafana's alert list, karma, scripts) can poll slipstream too; and the
//! same alerts as labels and annotations for the Alertmanager push
//! ([`crate::notify::alertmanager`]).
//!
//! An alert's labels are `alertname` (the alert's name), `service`, `slo`, `severity`, `kind`
//! and, when the alert has them, `long_window`, `short_window`; then the service's catalog
//! labels (`owner`, `tier`, `oncall`, free labels; [`crate::catalog`]), whose names never
//! clash with these. Its annotations are `summary`, `description`, `action` (when the policy
//! gives one), `top_contributor` (with burn attribution: the path with the most bad events
//! over the alert's long window, see [`crate::evaluate::contributors`]) and the catalog's
//! `runbook_url`, `dashboard_url`. Its `value` is what the
//! condition compared, as a string: the long window's burn rate, the remaining budget ratio,
//! or the observed good requests per second.
//!
//! Alerts with a hold ([`crate::evaluate::hold`]) are listed with `state` `pending` while
//! their condition holds for less than the hold, then `firing`, both with `activeAt` the
//! minute their condition began (from the alert history, so the same on every member and
//! after a restart), as Prometheus lists alerts with `for:`. Only firing ones are pushed.
//!
//! Other alerts' evaluation is stateless, so `activeAt` comes from a small in-memory map
//! ([`ActiveSince`]) updated at each evaluation of this endpoint: the evaluation time (event
//! time T) of the first evaluation that saw the alert firing, forgotten as soon as an
//! evaluation sees it not firing.
//! It therefore starts at the first poll after the condition began (and again after a
//! restart), never earlier. In a cluster, the time the member that pushes alerts decided
//! (and wrote to the cluster's log) wins over this member's own, so every member reports
//! the same `activeAt` and a restarted member keeps it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::ApiError;
use super::flight::{Evaluator, blocking};
use crate::cluster::record::AlertTimes;
use crate::evaluate::{AlertKind, AlertState};
use crate::evaluate::{AlertReport, Report, SloReport};
use crate::time::format_rfc3339;

/// Alert labels, ordered so a set of labels is one key.
pub type Labels = crate::cluster::record::AlertLabels;

/// One firing alert as Prometheus and Alertmanager describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveAlert {
    /// Identifying labels.
    pub labels: Labels,
    /// `summary` and `description` (and `action` when the policy gives one).
    pub annotations: Labels,
    /// When this alert was first seen firing, µs (evaluation time).
    pub active_at_us: i64,
    /// What the condition compared.
    pub value: f64,
}

/// When each firing alert was first seen firing; see the module docs.
#[derive(Debug, Default)]
pub struct ActiveSince(Mutex<HashMap<Labels, i64>>);

impl ActiveSince {
    /// The firing alerts of `report` (evaluated at `at_us`), remembering new ones and
    /// forgetting those no longer firing. A time in `decided` (the cluster's, see the
    /// module docs) replaces this map's for its alert.
    pub fn observe(
        &self,
        report: &Report,
        at_us: i64,
        decided: Option<&AlertTimes>,
    ) -> Vec<ActiveAlert> {
        let firing = in_state(report, AlertState::Firing);
        let mut since = self.0.lock().unwrap_or_else(|e| e.into_inner());
        since.retain(|labels, _| firing.iter().any(|(l, ..)| l == labels));
        firing
            .into_iter()
            .map(|(labels, annotations, value, held_since)| {
                let entry = since.entry(labels.clone()).or_insert(at_us);
                // A held alert has been active since its condition began (in the history).
                if let Some(t) = held_since {
                    *entry = t;
                }
                if let Some(&t) = decided.and_then(|d| d.get(&labels)) {
                    *entry = t;
                }
                let active_at_us = *entry;
                ActiveAlert {
                    labels,
                    annotations,
                    active_at_us,
                    value,
                }
            })
            .collect()
    }
}

/// Labels, annotations, value and (with a hold) condition start of every alert of `report`
/// in `state`, in report order.
pub fn in_state(report: &Report, state: AlertState) -> Vec<(Labels, Labels, f64, Option<i64>)> {
    report
        .slos
        .iter()
        .flat_map(|s| {
            s.alerts
                .iter()
                .filter(move |a| a.status.state == state)
                .map(move |a| {
                    let (labels, annotations, value) = describe(s, a);
                    (labels, annotations, value, a.status.condition_since_us)
                })
        })
        .collect()
}

/// An alert's labels, its annotations and its value.
fn describe(s: &SloReport, a: &AlertReport) -> (Labels, Labels, f64) {
    let id = format!("{}/{}", s.service, s.slo);
    let (value, summary, description) = match a.kind {
        AlertKind::BurnRate => burn_rate_text(s, a, &id),
        AlertKind::Budget => budget_text(s, a, &id),
        AlertKind::Exhaustion => exhaustion_text(s, a, &id),
        AlertKind::SlaBuffer => sla_buffer_text(s, &id),
        AlertKind::Throughput => throughput_text(s, a, &id),
    };
    (labels(s, a), annotations(s, a, summary, description), value)
}

/// `alertname`, the SLO's and the alert's labels, and the catalog's.
fn labels(s: &SloReport, a: &AlertReport) -> Labels {
    let mut labels = Labels::new();
    labels.insert("alertname".into(), a.name.to_string());
    labels.insert("service".into(), s.service.to_string());
    labels.insert("slo".into(), s.slo.to_string());
    labels.insert("severity".into(), a.severity.to_string());
    labels.insert("kind".into(), a.kind.to_string());
    if let Some(w) = &a.long_window {
        labels.insert("long_window".into(), w.to_string());
    }
    if let Some(w) = &a.short_window {
        labels.insert("short_window".into(), w.to_string());
    }
    labels.extend(s.catalog.alert_labels());
    labels
}

/// `summary` and `description`, the alert's action and top contributor, and the catalog's
/// annotations.
fn annotations(s: &SloReport, a: &AlertReport, summary: String, description: String) -> Labels {
    let mut annotations = Labels::new();
    annotations.insert("summary".into(), summary);
    annotations.insert("description".into(), description);
    if let Some(action) = &a.action {
        annotations.insert("action".into(), action.to_string());
    }
    if let Some(top) = &a.top_contributor {
        annotations.insert("top_contributor".into(), top.clone());
    }
    annotations.extend(s.catalog.alert_annotations());
    annotations
}

/// A burn-rate alert: the long window's burn rate, and both windows' in the text.
fn burn_rate_text(s: &SloReport, a: &AlertReport, id: &str) -> (f64, String, String) {
    let burn = |w: &Option<Arc<str>>| {
        s.windows
            .iter()
            .find(|r| w.as_deref() == Some(&*r.window))
            .and_then(|r| r.burn_rate)
            .unwrap_or(0.0)
    };
    let (long, short) = (burn(&a.long_window), burn(&a.short_window));
    let factor = a.factor.unwrap_or(0.0);
    let long_window = a.long_window.as_deref().unwrap_or("?");
    let burns = if a.short_window == a.long_window {
        format!("burn rate {long:.3} over {long_window}, above {factor}")
    } else {
        format!(
            "burn rate {long:.3} over {long_window} and {short:.3} over {}, both above {factor}",
            a.short_window.as_deref().unwrap_or("?"),
        )
    };
    let held = a.status.hold.as_deref().map_or(String::new(), |h| {
        format!(
            " (held {h}, since {})",
            a.status.condition_since.as_deref().unwrap_or("?")
        )
    });
    (
        long,
        format!("{id} is burning its error budget {long:.2}× too fast"),
        format!(
            "{burns}{held}; the {} budget lasts 1/{factor} of its period at this rate",
            s.period
        ),
    )
}

/// A budget alert: the remaining budget ratio.
fn budget_text(s: &SloReport, a: &AlertReport, id: &str) -> (f64, String, String) {
    let remaining = s.budget.as_ref().map_or(0.0, |b| b.remaining_ratio);
    (
        remaining,
        format!(
            "{id} has {:.1} % of its error budget left",
            remaining * 100.0
        ),
        format!(
            "remaining error budget ratio {remaining:.4} is at or below {} over the {} period",
            a.factor.unwrap_or(0.0),
            s.period
        ),
    )
}

/// An exhaustion alert: the hours until the budget runs out.
fn exhaustion_text(s: &SloReport, a: &AlertReport, id: &str) -> (f64, String, String) {
    let hours = a.runs_out_in_hours.unwrap_or(f64::INFINITY);
    let window = a.long_window.as_deref().unwrap_or("?");
    (
        hours,
        format!("{id}'s error budget runs out in {hours:.1} h at the last {window}'s rates"),
        format!(
            "at the rates of the last {window}, the {} budget is spent in {hours:.2} hours, within {}",
            s.period,
            a.within.as_deref().unwrap_or("?")
        ),
    )
}

/// An SLA-buffer alert: the remaining SLO budget, beside the SLA that still holds.
fn sla_buffer_text(s: &SloReport, id: &str) -> (f64, String, String) {
    let remaining = s.budget.as_ref().map_or(0.0, |b| b.remaining_ratio);
    let sla = s.sla.as_ref();
    (
        remaining,
        format!("{id} has spent its error budget; its SLA still holds"),
        format!(
            "the {} SLO budget is spent (remaining {remaining:.4}) while the SLA of {} over {} holds (SLI {}): the buffer between them is being used",
            s.period,
            sla.map_or(0.0, |x| x.objective),
            sla.map_or("?", |x| x.period.as_str()),
            sla.and_then(|x| x.sli)
                .map_or("-".into(), |v| format!("{v:.5}"))
        ),
    )
}

/// A throughput alert: the good requests per second.
fn throughput_text(s: &SloReport, a: &AlertReport, id: &str) -> (f64, String, String) {
    let (observed, minimum) = s.throughput.as_ref().map_or((0.0, 0.0), |t| {
        (t.observed_per_second, t.minimum_per_second)
    });
    (
        observed,
        format!("{id} serves {observed:.2} good requests/s, below {minimum}"),
        format!(
            "good requests per second {observed:.3} over {} is below the minimum {minimum}",
            a.long_window.as_deref().unwrap_or(&s.period)
        ),
    )
}

/// `GET /api/v1/alerts` body.
#[derive(Debug, Serialize)]
struct Body {
    status: &'static str,
    data: Data,
}

#[derive(Debug, Serialize)]
struct Data {
    alerts: Vec<PromAlert>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PromAlert {
    labels: Labels,
    annotations: Labels,
    state: &'static str,
    active_at: String,
    value: String,
}

/// The handler: joins or starts a full evaluation and answers as Prometheus would.
pub(crate) async fn alerts(
    State(e): State<Arc<Evaluator>>,
    Extension(since): Extension<Arc<ActiveSince>>,
) -> Result<Response, ApiError> {
    let shared = e.full().await?;
    let read = e.read().clone();
    blocking(move || {
        // The cluster's alert state is behind the fold's lock: read off the runtime.
        let decided = read.alerts_since();
        let e = &shared.evaluated.evaluation;
        let firing = since
            .observe(&e.report, e.evaluated_at_us, decided.as_ref())
            .into_iter()
            .map(|a| PromAlert {
                labels: a.labels,
                annotations: a.annotations,
                state: "firing",
                active_at: format_rfc3339(a.active_at_us),
                value: a.value.to_string(),
            });
        // Pending (held, not yet long enough) as Prometheus lists them: active since their
        // condition began; never pushed to Alertmanager.
        let pending = in_state(&e.report, AlertState::Pending).into_iter().map(
            |(labels, annotations, value, held_since)| PromAlert {
                labels,
                annotations,
                state: "pending",
                active_at: format_rfc3339(held_since.unwrap_or(e.evaluated_at_us)),
                value: value.to_string(),
            },
        );
        let alerts = firing.chain(pending).collect();
        Json(Body {
            status: "success",
            data: Data { alerts },
        })
        .into_response()
    })
    .await
}

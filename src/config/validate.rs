//! The top of validation: dispatches each document to the module that owns its kind, gathers
//! their errors, and assembles the typed [`Config`].
//!
//! Every document is checked whether or not the Pipeline is valid and whether or not anything
//! refers to it; only references to Pipeline services need a Pipeline to resolve against.

use super::load::Documents;
use super::objective::Objectives;
use super::openslo::AlertAfter;
use super::path::At;
use super::pipeline::Pipeline;
use super::problems::Problems;
use super::{Config, Problem, ReloadConfig, StartConfig, pipeline};
use crate::classify::SloRule;
use crate::evaluate::SloObjective;

/// Validates the deserialized documents of one configuration (from `origin`).
pub(super) fn validate(docs: Documents, origin: &str, problems: &mut Problems) -> Option<Config> {
    let Documents {
        pipelines_seen,
        pipelines,
        slos,
        policies,
        adjustments,
        openslo,
    } = docs;
    if pipelines_seen != 1 {
        problems.error(
            &At::file(origin),
            format!("expected exactly one slipstream/v1 Pipeline document, found {pipelines_seen}"),
        );
    }
    let (pipeline_at, pipeline) = match pipelines.into_iter().next() {
        Some((at, d)) => {
            let p = pipeline::validate(d, &at, problems);
            (Some(at), Some(p))
        }
        None => (None, None),
    };
    problems.set_lenient(pipeline.as_ref().is_some_and(|p| p.lenient));
    let services = pipeline.as_ref().map(|p| &p.services);
    let policies = super::policy::validate(&policies, services, problems);
    let carries = pipeline
        .as_ref()
        .and_then(|p| p.decode.format?.carries(&p.decode.options));
    let mut objectives = Objectives::new(&policies, carries);
    super::reliability::validate(&slos, services, &mut objectives, problems);
    let alert_after = pipeline.as_ref().map(|p| p.alert_after).unwrap_or_default();
    if let Some(at) = &pipeline_at {
        warn_short_window(alert_after, at, problems);
    }
    super::openslo::resolve::resolve(&openslo, services, alert_after, &mut objectives, problems);
    let (rules, mut objectives, places) = objectives.finish();
    if let Some(p) = &pipeline {
        for o in &mut objectives {
            o.catalog = p.services.catalogs[o.service_index].clone();
        }
    }
    let adjustments = super::adjustment::validate(&adjustments, problems);
    super::adjustment::attach(&adjustments, &mut objectives, problems);
    if let Some(first) = adjustments.first()
        && pipeline.as_ref().is_some_and(|p| p.cluster.is_some())
    {
        problems.error(first.at(), ADJUSTMENTS_IN_CLUSTER);
    }

    let p = pipeline?;
    let services_at = pipeline_at?.field("spec").field("services");
    let review = super::catalog::review(
        &p.services.catalogs,
        |i| services_at.index(i),
        &objectives,
        &places,
    );
    assemble(p, rules, objectives, review)
}

/// Warns that `spec.openslo.alert_after: short_window` (of the Pipeline at `at`) keeps the
/// reading of `alertAfter` the spec replaced.
fn warn_short_window(alert_after: AlertAfter, at: &At, problems: &mut Problems) {
    if alert_after == AlertAfter::ShortWindow {
        problems.warning(
            &at.field("spec.openslo.alert_after"),
            "short_window reads every AlertCondition's alertAfter as the short window, as \
             slipstream did before; the spec makes it a hold time. Move each short window to the \
             annotation slipstream.dev/short-window and remove this setting (see the README's \
             OpenSLO migration)",
        );
    }
}

/// Why BudgetAdjustment documents are refused in cluster mode.
const ADJUSTMENTS_IN_CLUSTER: &str = "BudgetAdjustment documents are not read in cluster mode: \
     members reload at different times, so one applied to counted events would not adjust the \
     same events on every member; declare it with POST /v1/adjustments, which goes through the \
     cluster log";

/// The typed [`Config`] from the validated Pipeline `p` and the built SLOs; `None` when a
/// setting it needs is invalid (already reported).
fn assemble(
    p: Pipeline,
    rules: Vec<SloRule>,
    objectives: Vec<SloObjective>,
    review: Vec<Problem>,
) -> Option<Config> {
    Some(Config {
        start: StartConfig {
            name: p.name,
            listen: p.listen?,
            source: p.source?,
            max_line_bytes: p.decode.max_line_bytes?,
            batch: p.decode.batch,
            dead_letter: p.decode.dead_letter,
            checkpoint: p.checkpoint,
            cluster: p.cluster,
            alertmanager: p.alertmanager,
            http_auth: p.http_auth,
            http_tls: p.http_tls,
            http_open_writes: p.http_open_writes,
        },
        reload: ReloadConfig {
            format: p.decode.format?,
            envelope: p.decode.envelope?,
            options: p.decode.options,
            window: p.window?,
            openslo_lenient: p.lenient,
            services: p.services.services,
            splits: p.services.splits,
            rules,
            objectives,
            catalogs: p.services.catalogs,
            capacity: p.services.capacity,
            canaries: p.services.canaries,
            attribution: p.attribution.map(std::sync::Arc::new),
        },
        warnings: Vec::new(),
        review,
    })
}

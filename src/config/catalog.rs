//! `spec.services[].{owner, tier, runbook_url, dashboard_url, oncall, labels}`: each
//! service's catalog entry ([`crate::catalog`]), checked field by field, and the review
//! `slipstream validate --strict` adds: alerting SLOs without a runbook, tier-1 services
//! without an owner, and availability objectives weaker than their service's tier.

use std::sync::Arc;

use super::Problem;
use super::path::At;
use super::problems::Problems;
use super::raw::ServiceSpec;
use crate::catalog::{CatalogEntry, CatalogSlo, RESERVED_LABELS, ServiceCatalog, Tier};
use crate::evaluate::{SloKind, SloObjective, Target};

/// The catalog fields of service `s` (at `at`), every bad one reported.
pub(super) fn validate(s: &ServiceSpec, at: &At, problems: &mut Problems) -> ServiceCatalog {
    let text = |field: &str, value: &Option<String>, problems: &mut Problems| {
        let v = value.as_ref()?;
        if v.trim().is_empty() {
            problems.error(&at.field(field), "must not be empty (omit it instead)");
            return None;
        }
        Some(v.clone())
    };
    let url = |field: &str, value: &Option<String>, problems: &mut Problems| {
        let v = text(field, value, problems)?;
        let rest = v
            .strip_prefix("https://")
            .or_else(|| v.strip_prefix("http://"));
        match rest {
            Some(r) if !r.is_empty() && !r.starts_with('/') && !v.contains(char::is_whitespace) => {
                Some(v)
            }
            _ => {
                problems.error(
                    &at.field(field),
                    format!("{v:?} is not an http or https URL with a host"),
                );
                None
            }
        }
    };
    let tier = s.tier.and_then(|n| {
        let t = Tier::new(n);
        if t.is_none() {
            problems.error(&at.field("tier"), format!("{n} is not a tier: use 1 to 4"));
        }
        t
    });
    let mut labels = s.labels.clone();
    labels.retain(|name, value| {
        let here = at.field("labels").field(name);
        let problem = if !is_label_name(name) {
            Some("is not a label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)".to_string())
        } else if RESERVED_LABELS.contains(&name.as_str()) {
            Some(format!(
                "is reserved (it is one of {}): set the field, or use another name",
                RESERVED_LABELS.join(", ")
            ))
        } else if value.is_empty() {
            Some("must not be empty (omit the label instead)".to_string())
        } else {
            None
        };
        if let Some(p) = &problem {
            problems.error(&here, p.clone());
        }
        problem.is_none()
    });
    ServiceCatalog {
        owner: text("owner", &s.owner, problems),
        tier,
        runbook_url: url("runbook_url", &s.runbook_url, problems),
        dashboard_url: url("dashboard_url", &s.dashboard_url, problems),
        oncall: text("oncall", &s.oncall, problems),
        labels,
    }
}

/// A Prometheus label name that is not reserved for internal use.
fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

/// Whether SLO `o` raises any alert: a ratio SLO with a burn-rate, budget or exhaustion
/// alert, or a throughput minimum (which pages while unmet).
pub(super) fn alerting(o: &SloObjective) -> bool {
    match o.target {
        Target::Ratio(_) => {
            !o.burn_alerts.is_empty() || !o.budget_alerts.is_empty() || o.exhaustion_alert.is_some()
        }
        Target::MinRate { .. } => true,
    }
}

/// What `validate --strict` warns about, each at its location: a service (at `service_at`)
/// with alerting SLOs but no `runbook_url` (one finding naming them all), a tier-1 service
/// without an `owner`, and an availability or error-rate objective (at `slo_at`) weaker than
/// its service's tier target.
pub(super) fn review(
    catalogs: &[Arc<ServiceCatalog>],
    service_at: impl Fn(usize) -> At,
    objectives: &[SloObjective],
    slo_at: &[At],
) -> Vec<Problem> {
    let mut found = Problems::default();
    for (i, c) in catalogs.iter().enumerate() {
        if c.tier.is_some_and(|t| t.number() == 1) && c.owner.is_none() {
            found.warning(
                &service_at(i).field("owner"),
                "a tier-1 service has no owner: set owner to the team that answers its pages",
            );
        }
        let alerting: Vec<String> = objectives
            .iter()
            .filter(|o| o.service_index == i && alerting(o))
            .map(SloObjective::id)
            .collect();
        if c.runbook_url.is_none() && !alerting.is_empty() {
            found.warning(
                &service_at(i).field("runbook_url"),
                format!(
                    "missing, and {} alert{}: set the runbook the on-call opens",
                    alerting.join(", "),
                    if alerting.len() == 1 { "s" } else { "" }
                ),
            );
        }
    }
    for (o, at) in objectives.iter().zip(slo_at) {
        let c = &catalogs[o.service_index];
        if let (Some(tier), Target::Ratio(p)) = (c.tier, o.target)
            && matches!(o.kind, SloKind::Availability | SloKind::ErrorRate)
            && p.as_f64() < tier.target()
        {
            found.warning(
                at,
                format!(
                    "objective {} of {} is weaker than tier {tier}'s target {}",
                    percent(p.as_f64()),
                    o.id(),
                    percent(tier.target())
                ),
            );
        }
    }
    found.finish().1
}

/// `0.9995` as `99.95 %`.
fn percent(ratio: f64) -> String {
    let text = format!("{:.4}", ratio * 100.0);
    format!("{} %", text.trim_end_matches('0').trim_end_matches('.'))
}

/// The catalog listing: every service in configuration order with its catalog and SLOs.
pub(super) fn listing(
    services: &[crate::classify::Service],
    catalogs: &[Arc<ServiceCatalog>],
    objectives: &[SloObjective],
) -> Vec<CatalogEntry> {
    services
        .iter()
        .zip(catalogs)
        .enumerate()
        .map(|(i, (s, c))| CatalogEntry {
            service: s.name.clone(),
            catalog: (**c).clone(),
            tier_target: c.tier.map(Tier::target),
            slos: objectives
                .iter()
                .filter(|o| o.service_index == i)
                .map(|o| CatalogSlo {
                    slo: o.slo.to_string(),
                    kind: o.kind.to_string(),
                    objective: match o.target {
                        Target::Ratio(p) => Some(p.as_f64()),
                        Target::MinRate { .. } => None,
                    },
                    alerting: alerting(o),
                })
                .collect(),
        })
        .collect()
}

//! `reliability/v1 ErrorBudgetPolicy`: extra burn-rate alerts, policy tiers and deploy gate
//! rules for every SLO of one service.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::path::At;
use super::problems::Problems;
use super::raw::{BurnThresholdSpec, Document, PolicySpec, TiersSpec};
use super::service::{Services, lookup};
use crate::evaluate::gate::GateRules;
use crate::evaluate::{BurnAlert, Factor, PolicyTiers, Ppb, Severity};
use crate::time::{SECOND, format_duration};

/// What a service's policy adds to each of its SLOs.
#[derive(Debug, Clone, Default)]
pub(super) struct Policy {
    /// Burn-rate alerts after the defaults.
    pub(super) alerts: Vec<BurnAlert>,
    /// Remaining-budget tiers.
    pub(super) tiers: PolicyTiers,
    /// Deploy gate rules, shared by the service's SLOs.
    pub(super) gate: Arc<GateRules>,
    /// The low-traffic guard of every burn-rate alert that does not set its own.
    pub(super) min_events: u64,
}

/// Policies by service index.
pub(super) type Policies = BTreeMap<usize, Policy>;

/// Validates every policy document; those of known services, one each, are returned.
pub(super) fn validate(
    docs: &[(At, Document<PolicySpec>)],
    services: Option<&Services>,
    problems: &mut Problems,
) -> Policies {
    let mut policies = Policies::new();
    for (at, d) in docs {
        let at = at.field("spec");
        let name = &d.spec.service;
        let svc = lookup(
            services,
            name,
            &at.field("service"),
            || format!("unknown service {name:?}"),
            problems,
        );
        if let Some(svc) = svc
            && policies.contains_key(&svc)
        {
            problems.error(
                &at.field("service"),
                format!("service {name:?} already has an ErrorBudgetPolicy"),
            );
            continue;
        }
        let threshold_at = at.field("burn_rate_thresholds");
        let alerts = d
            .spec
            .burn_rate_thresholds
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                let guard = b.min_events.or(d.spec.min_events).unwrap_or(0);
                burn_threshold(b, guard, &threshold_at.index(i), problems)
            })
            .collect();
        let tiers = d
            .spec
            .tiers
            .as_ref()
            .and_then(|t| tiers(t, &at.field("tiers"), problems))
            .unwrap_or_default();
        let gate = d
            .spec
            .gate
            .as_ref()
            .and_then(|g| super::gate::validate(g, &at.field("gate"), problems))
            .unwrap_or_default();
        if let Some(svc) = svc {
            policies.insert(
                svc,
                Policy {
                    alerts,
                    tiers,
                    gate: Arc::new(gate),
                    min_events: d.spec.min_events.unwrap_or(0),
                },
            );
        }
    }
    policies
}

/// A policy's burn-rate alert, with `min_events` as its low-traffic guard.
fn burn_threshold(
    b: &BurnThresholdSpec,
    min_events: u64,
    at: &At,
    problems: &mut Problems,
) -> Option<BurnAlert> {
    let factor = Factor::from_decimal(b.threshold).filter(|_| b.threshold > 0.0);
    if factor.is_none() {
        problems.error(
            &at.field("threshold"),
            "must be a positive burn-rate factor",
        );
    }
    let long_us = problems.duration(&b.duration, &at.field("duration"));
    let short_us = match &b.short_window {
        Some(s) => problems.duration(s, &at.field("short_window")),
        // One twelfth of the long window, whole seconds, at least one second.
        None => long_us.map(|l| (l / 12 / SECOND).max(1) * SECOND),
    };
    if let (Some(l), Some(s)) = (long_us, short_us)
        && s > l
    {
        problems.error(
            &at.field("short_window"),
            format!(
                "{} is longer than the duration {}",
                format_duration(s),
                format_duration(l)
            ),
        );
    }
    let hold_us = hold(b.hold.as_deref(), &at.field("for"), problems);
    let pages = b.action.as_deref().is_some_and(|a| a.contains("page"));
    let severity = match b.severity.as_deref() {
        Some(label) => Severity::from(label),
        None if pages => Severity::Page,
        None => Severity::Ticket,
    };
    Some(BurnAlert {
        name: b.name.as_str().into(),
        severity,
        action: b.action.as_deref().map(Into::into),
        long_us: long_us?,
        short_us: short_us?,
        factor: factor?,
        inclusive: false,
        min_events,
        hold_us: hold_us?,
    })
}

/// A hold time (a threshold's `for`, OpenSLO's `alertAfter`): a duration; absent, `0`, `0s`
/// or `0m` for none.
pub(super) fn hold(text: Option<&str>, at: &At, problems: &mut Problems) -> Option<i64> {
    match text {
        Some(t) if !no_hold(text) => problems.duration(t, at),
        _ => Some(0),
    }
}

/// True for a hold time that says none: absent, `0`, `0s` or `0m`.
pub(super) fn no_hold(text: Option<&str>) -> bool {
    matches!(text, None | Some("0" | "0s" | "0m"))
}

fn tiers(t: &TiersSpec, at: &At, problems: &mut Problems) -> Option<PolicyTiers> {
    let get = |x: f64, field: &str, problems: &mut Problems| {
        let p = Ppb::from_fraction(x).filter(|p| p.0 > 0);
        if p.is_none() {
            problems.error(
                &at.field(field),
                "must be a fraction greater than 0 and at most 1",
            );
        }
        p
    };
    let tiers = PolicyTiers {
        caution: get(t.caution, "caution", problems)?,
        slow_down: get(t.slow_down, "slow_down", problems)?,
        freeze: get(t.freeze, "freeze", problems)?,
    };
    if !(tiers.caution > tiers.slow_down && tiers.slow_down > tiers.freeze) {
        problems.error(at, "tiers must satisfy caution > slow_down > freeze");
        return None;
    }
    Some(tiers)
}

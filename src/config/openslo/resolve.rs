//! OpenSLO documents → slipstream SLO rules and objectives.
//!
//! Every document is checked on its own first, whether or not anything refers to it: SLIs,
//! AlertConditions and AlertPolicies (whose references must name existing documents), and
//! Services (which must be Pipeline services). SLOs then resolve `indicatorRef` and
//! `alertPolicyRef` by name to what was checked. Each objective of an SLO becomes one
//! slipstream SLO, id `<service>/<SLO name>` (or `<SLO name>-<n>` when there are several),
//! built by [`crate::config::objective`]; an SLO whose objectives carry their own indicators
//! is a composite ([`super::composite`]). Known deviations found in published examples are
//! errors unless `spec.openslo.lenient` is set in the Pipeline, which turns them into
//! warnings.

use std::collections::{BTreeMap, HashSet};

use super::alerts::{Located, alert_policies, condition, policy};
use super::indicator::{Indicator, Shared, data_source, indicator, objective_sli};
use super::objective::{budgeting, target, time_window};
use super::{AlertAfter, Document, InlineSli, Parsed, SloSpec};
use crate::classify::{Sli, SloRule};
use crate::config::objective::{Objectives, Slo};
use crate::config::path::At;
use crate::config::problems::Problems;
use crate::config::service::{Services, lookup};
use crate::evaluate::{BurnAlert, Calendar, SloKind, Target};

/// The checked documents that SLOs and policies refer to, by name (`None`: invalid, and
/// already reported).
#[derive(Debug, Default)]
pub(super) struct Refs<'a> {
    pub(super) sources: BTreeMap<&'a str, Shared>,
    pub(super) slis: BTreeMap<&'a str, Option<Indicator>>,
    pub(super) conditions: BTreeMap<&'a str, Option<BurnAlert>>,
    pub(super) policies: BTreeMap<&'a str, Option<Vec<Located>>>,
    pub(super) targets: HashSet<&'a str>,
    /// How `alertAfter` is read (`spec.openslo.alert_after`).
    pub(super) alert_after: AlertAfter,
}

/// Checks every OpenSLO document and adds the SLOs that can be built to `objectives`.
/// `services` is `None` when there is no valid Pipeline to resolve service names against.
pub(in crate::config) fn resolve(
    docs: &[(At, Parsed)],
    services: Option<&Services>,
    alert_after: AlertAfter,
    objectives: &mut Objectives<'_>,
    problems: &mut Problems,
) {
    names(docs, services, problems);
    let mut refs = Refs {
        alert_after,
        ..Refs::default()
    };
    for (at, doc) in docs {
        if let Parsed::DataSource(d) = doc {
            let shared = data_source(&d.spec, &at.field("spec"), services, problems);
            refs.sources.insert(&d.metadata.name, shared);
        }
    }
    for (at, doc) in docs {
        let spec = at.field("spec");
        match doc {
            Parsed::Sli(d) => {
                let sli = indicator(&d.spec, &spec, services, &refs.sources, problems);
                refs.slis.insert(&d.metadata.name, sli);
            }
            Parsed::AlertCondition(d) => {
                let meta = (&d.metadata, &at.field("metadata"));
                let alert = condition(meta, &d.spec, &spec, refs.alert_after, problems);
                refs.conditions.insert(&d.metadata.name, alert);
            }
            Parsed::NotificationTarget(d) => {
                refs.targets.insert(&d.metadata.name);
            }
            _ => {}
        }
    }
    for (at, doc) in docs {
        if let Parsed::AlertPolicy(d) = doc {
            let alerts = policy(&d.spec, &at.field("spec"), &refs, problems);
            refs.policies.insert(&d.metadata.name, alerts);
        }
    }
    for (at, doc) in docs {
        if let Parsed::Slo(d) = doc {
            slo(d, at, services, &refs, objectives, problems);
        }
    }
}

/// Names are unique per kind, and a Service document names a Pipeline service.
fn names(docs: &[(At, Parsed)], services: Option<&Services>, problems: &mut Problems) {
    let mut seen = HashSet::new();
    for (at, doc) in docs {
        let (kind, name) = match doc {
            Parsed::Service(d) => {
                let name = &d.metadata.name;
                lookup(
                    services,
                    name,
                    &at.field("metadata.name"),
                    || {
                        format!(
                            "no Pipeline service {name:?}: declare it, with its match selectors, in the Pipeline's spec.services"
                        )
                    },
                    problems,
                );
                ("Service", name)
            }
            Parsed::Sli(d) => ("SLI", &d.metadata.name),
            Parsed::AlertPolicy(d) => ("AlertPolicy", &d.metadata.name),
            Parsed::AlertCondition(d) => ("AlertCondition", &d.metadata.name),
            Parsed::NotificationTarget(d) => ("AlertNotificationTarget", &d.metadata.name),
            Parsed::DataSource(d) => ("DataSource", &d.metadata.name),
            Parsed::Slo(d) => ("SLO", &d.metadata.name),
        };
        if !seen.insert((kind, name.clone())) {
            problems.error(
                &at.field("metadata.name"),
                format!("duplicate {kind} {name:?}"),
            );
        }
    }
}

/// The indicator at `at` that `chosen` (an inline `indicator`, an `indicatorRef`) sets:
/// inline (checked here) or the SLI the reference names (checked with its document). Both
/// set is an error, and so is neither (reported as `missing`).
pub(super) fn inline_or_ref(
    chosen: (Option<&InlineSli>, Option<&str>),
    at: &At,
    services: Option<&Services>,
    refs: &Refs<'_>,
    problems: &mut Problems,
    missing: &str,
) -> Option<Indicator> {
    match chosen {
        (Some(i), None) => indicator(
            &i.spec,
            &at.field("indicator.spec"),
            services,
            &refs.sources,
            problems,
        ),
        (None, Some(r)) => match refs.slis.get(r) {
            // An invalid SLI was reported with its document.
            Some(sli) => sli.clone(),
            None => {
                problems.error(&at.field("indicatorRef"), format!("no SLI named {r:?}"));
                None
            }
        },
        (Some(_), Some(_)) => {
            problems.error(at, "set exactly one of indicator and indicatorRef");
            None
        }
        (None, None) => {
            problems.error(at, missing);
            None
        }
    }
}

/// `budgetingMethod` (checked; each objective reads it with its slice settings).
pub(super) fn budgeting_method<'a>(s: &'a SloSpec, at: &At, problems: &mut Problems) -> &'a str {
    let method = s.budgeting_method.as_str();
    if !matches!(method, "Occurrences" | "Timeslices" | "RatioTimeslices") {
        problems.error(
            &at.field("budgetingMethod"),
            format!("unknown budgeting method {method:?}: expected Occurrences, Timeslices or RatioTimeslices"),
        );
    }
    method
}

/// One SLO document → one slipstream SLO per objective.
fn slo(
    d: &Document<SloSpec>,
    at: &At,
    services: Option<&Services>,
    refs: &Refs<'_>,
    objectives: &mut Objectives<'_>,
    problems: &mut Problems,
) {
    let s = &d.spec;
    if s.objectives
        .iter()
        .any(|o| o.indicator.is_some() || o.indicator_ref.is_some())
    {
        return super::composite::composite(d, at, services, refs, objectives, problems);
    }
    let spec = at.field("spec");
    let name = &s.service;
    let svc = lookup(
        services,
        name,
        &spec.field("service"),
        || format!("unknown service {name:?}: not a service of the Pipeline"),
        problems,
    );
    // The SLO's indicator: inline (checked here) or by reference (checked with its document).
    let chosen = (s.indicator.as_ref(), s.indicator_ref.as_deref());
    let missing = "set exactly one of indicator and indicatorRef";
    let indicator = inline_or_ref(chosen, &spec, services, refs, problems, missing);
    let reads_own_service = indicator
        .as_ref()
        .is_some_and(|ind| ind.reads(&s.service, services, problems));
    let level = SloLevel {
        svc,
        window: time_window(&s.time_window, &spec.field("timeWindow"), problems),
        method: budgeting_method(s, &spec, problems),
        alerts: alert_policies(d, &spec, refs, problems),
        indicator,
        reads_own_service,
    };
    if s.objectives.is_empty() {
        problems.error(
            &spec.field("objectives"),
            "at least one objective is required",
        );
    }
    for i in 0..s.objectives.len() {
        objective(d, i, &level, at, objectives, problems);
    }
}

/// What an SLO document sets for every one of its objectives, each `None` when invalid.
#[derive(Debug)]
struct SloLevel<'a> {
    /// The service's index.
    svc: Option<usize>,
    /// The period, and the calendar of a calendar-aligned one.
    window: Option<(i64, Option<Calendar>)>,
    /// `budgetingMethod`.
    method: &'a str,
    /// The burn-rate alerts of its alert policies.
    alerts: Option<Vec<BurnAlert>>,
    /// What its indicator counts.
    indicator: Option<Indicator>,
    /// Whether every source of the indicator reads the SLO's service.
    reads_own_service: bool,
}

/// Objective `i` of SLO document `d` (at `at`) → one slipstream SLO, added unless anything
/// it needs is invalid.
fn objective(
    d: &Document<SloSpec>,
    i: usize,
    level: &SloLevel<'_>,
    at: &At,
    objectives: &mut Objectives<'_>,
    problems: &mut Problems,
) {
    let s = &d.spec;
    let o = &s.objectives[i];
    let here = at.field("spec").field("objectives").index(i);
    if o.composite_weight.is_some() {
        problems.error(
            &here.field("compositeWeight"),
            "applies only to the objectives of a composite SLO, each with its own indicator or indicatorRef",
        );
    }
    let target = target(o, &here, problems);
    let budgeting = budgeting(o, level.method, &here, problems);
    let sli = level
        .indicator
        .as_ref()
        .and_then(|ind| objective_sli(ind, o, &here, problems));
    let (Some(svc), Some(target), Some(budgeting), Some(sli), Some(ind), Some(window)) = (
        level.svc,
        target,
        budgeting,
        sli,
        &level.indicator,
        &level.window,
    ) else {
        return;
    };
    let (true, Some(alerts)) = (level.reads_own_service, level.alerts.clone()) else {
        return;
    };
    let name = if s.objectives.len() == 1 {
        d.metadata.name.clone()
    } else {
        format!("{}-{}", d.metadata.name, i + 1)
    };
    let (period_us, calendar) = window.clone();
    let slo = Slo {
        rule: SloRule {
            service: svc,
            sli,
            selector: ind.selector.clone(),
            bad_status: ind.bad_status,
            parts: Vec::new(),
        },
        service: s.service.clone(),
        name,
        kind: match sli {
            Sli::Latency { .. } | Sli::LatencyAbove { .. } => SloKind::Latency,
            _ => SloKind::Availability,
        },
        target: Target::Ratio(target),
        period_us,
        calendar,
        budgeting,
        display_name: o
            .display_name
            .clone()
            .or_else(|| d.metadata.display_name.clone()),
        burn_alerts: alerts,
        budget_alerts: Vec::new(),
        exhaustion_alert: None,
        sla: None,
        alerting: true,
        composite: None,
        component_of: None,
    };
    objectives.add(slo, &at.field("metadata.name"), problems);
}

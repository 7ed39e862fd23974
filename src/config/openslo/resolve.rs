//! OpenSLO documents → slipstream SLO rules and objectives.
//!
//! References (`indicatorRef`, `alertPolicyRef`, `conditionRef`) are resolved by name within
//! the configuration; every problem is reported with its document and field path. Each
//! objective of an SLO becomes one slipstream SLO, id `<service>/<SLO name>` (or
//! `<SLO name>-<n>` when there are several). Known deviations found in published examples
//! are errors unless `spec.openslo.lenient` is set in the Pipeline, which turns them into
//! warnings.

use std::collections::{BTreeMap, HashSet};

use super::alerts::alert_policies;
use super::indicator::{indicator, objective_sli};
use super::objective::{budgeting, target, time_window};
use super::{AlertConditionSpec, AlertPolicySpec, Document, Parsed, SliSpec, SloSpec};
use crate::classify::{Sli, SloRule};
use crate::config::{Problem, Problems};
use crate::evaluate::SloKind;
use crate::evaluate::{
    BudgetAlert, BurnAlert, PolicyTiers, SloObjective, Target, default_burn_alerts, windows_for,
};
use crate::time::parse_duration;

/// What resolving needs from the rest of the configuration.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    /// Pipeline services by name.
    pub(crate) services: &'a BTreeMap<&'a str, usize>,
    /// Extra burn alerts and tiers of each service's ErrorBudgetPolicy.
    pub(crate) policies: &'a BTreeMap<usize, (Vec<BurnAlert>, PolicyTiers)>,
    /// Accept known deviations with a warning.
    pub(crate) lenient: bool,
}

/// Collects problems and, in lenient mode, warnings.
pub(super) struct Sink<'a> {
    problems: &'a mut Problems,
    warnings: &'a mut Vec<Problem>,
    lenient: bool,
}

impl Sink<'_> {
    pub(super) fn error(&mut self, at: impl Into<String>, message: impl Into<String>) {
        self.problems.push(at, message);
    }

    /// A known deviation: a warning when lenient, else an error that says how to accept it.
    pub(super) fn deviation(&mut self, at: impl Into<String>, message: impl Into<String>) {
        let (location, message) = (at.into(), message.into());
        if self.lenient {
            self.warnings.push(Problem { location, message });
        } else {
            self.problems.push(
                location,
                format!("{message} (set spec.openslo.lenient: true in the Pipeline to accept it with a warning)"),
            );
        }
    }
}

/// Resolves every OpenSLO document; returns the rules and objectives of its SLOs.
pub(crate) fn resolve(
    docs: &[(String, Parsed)],
    cx: &Context<'_>,
    ids: &mut HashSet<(usize, String)>,
    problems: &mut Problems,
    warnings: &mut Vec<Problem>,
) -> Vec<(SloRule, SloObjective)> {
    let mut sink = Sink {
        problems,
        warnings,
        lenient: cx.lenient,
    };
    let mut slis = BTreeMap::new();
    let mut policies = BTreeMap::new();
    let mut conditions = BTreeMap::new();
    let mut names = HashSet::new();
    for (at, doc) in docs {
        let (kind, name) = match doc {
            Parsed::Service(d) => {
                if !cx.services.contains_key(d.metadata.name.as_str()) {
                    sink.error(
                        format!("{at}: metadata.name"),
                        format!(
                            "no Pipeline service {:?}: declare it, with its match selectors, in the Pipeline's spec.services",
                            d.metadata.name
                        ),
                    );
                }
                ("Service", &d.metadata.name)
            }
            Parsed::Sli(d) => {
                slis.insert(d.metadata.name.as_str(), (at.as_str(), &**d));
                ("SLI", &d.metadata.name)
            }
            Parsed::AlertPolicy(d) => {
                policies.insert(d.metadata.name.as_str(), (at.as_str(), &**d));
                ("AlertPolicy", &d.metadata.name)
            }
            Parsed::AlertCondition(d) => {
                conditions.insert(d.metadata.name.as_str(), (at.as_str(), &**d));
                ("AlertCondition", &d.metadata.name)
            }
            Parsed::NotificationTarget(d) => ("AlertNotificationTarget", &d.metadata.name),
            Parsed::Slo(d) => ("SLO", &d.metadata.name),
        };
        if !names.insert((kind, name.clone())) {
            sink.error(
                format!("{at}: metadata.name"),
                format!("duplicate {kind} {name:?}"),
            );
        }
    }
    let refs = Refs {
        slis,
        policies,
        conditions,
    };
    let mut out = Vec::new();
    for (at, doc) in docs {
        if let Parsed::Slo(d) = doc {
            out.extend(slo(d, at, cx, &refs, ids, &mut sink));
        }
    }
    out
}

pub(super) struct Refs<'a> {
    slis: BTreeMap<&'a str, (&'a str, &'a Document<SliSpec>)>,
    pub(super) policies: BTreeMap<&'a str, (&'a str, &'a Document<AlertPolicySpec>)>,
    pub(super) conditions: BTreeMap<&'a str, (&'a str, &'a Document<AlertConditionSpec>)>,
}

pub(super) fn duration(text: &str, at: &str, sink: &mut Sink<'_>) -> Option<i64> {
    parse_duration(text)
        .map_err(|e| sink.error(at, e.to_string()))
        .ok()
}

/// One SLO document → one slipstream SLO per objective.
fn slo(
    d: &Document<SloSpec>,
    at: &str,
    cx: &Context<'_>,
    refs: &Refs<'_>,
    ids: &mut HashSet<(usize, String)>,
    sink: &mut Sink<'_>,
) -> Vec<(SloRule, SloObjective)> {
    let s = &d.spec;
    let svc = cx.services.get(s.service.as_str()).copied();
    if svc.is_none() {
        sink.error(
            format!("{at}: spec.service"),
            format!(
                "unknown service {:?}: not a service of the Pipeline",
                s.service
            ),
        );
    }
    // The indicator: inline or by reference.
    let sli = match (&s.indicator, &s.indicator_ref) {
        (Some(i), None) => Some((format!("{at}: spec.indicator.spec"), &i.spec)),
        (None, Some(r)) => match refs.slis.get(r.as_str()) {
            Some((sli_at, doc)) => Some((format!("{sli_at}: spec"), &doc.spec)),
            None => {
                sink.error(
                    format!("{at}: spec.indicatorRef"),
                    format!("no SLI named {r:?}"),
                );
                None
            }
        },
        _ => {
            sink.error(
                format!("{at}: spec"),
                "set exactly one of indicator and indicatorRef",
            );
            None
        }
    };
    let indicator = sli.and_then(|(sli_at, spec)| indicator(spec, &sli_at, &s.service, cx, sink));
    let window = time_window(&s.time_window, &format!("{at}: spec.timeWindow"), sink);
    let method = s.budgeting_method.as_str();
    if !matches!(method, "Occurrences" | "Timeslices" | "RatioTimeslices") {
        sink.error(
            format!("{at}: spec.budgetingMethod"),
            format!("unknown budgeting method {method:?}: expected Occurrences, Timeslices or RatioTimeslices"),
        );
    }
    let alerts = alert_policies(d, at, refs, sink);
    if s.objectives.is_empty() {
        sink.error(
            format!("{at}: spec.objectives"),
            "at least one objective is required",
        );
    }
    let mut out = Vec::new();
    for (i, o) in s.objectives.iter().enumerate() {
        let here = format!("{at}: spec.objectives[{i}]");
        let target = target(o, &here, sink);
        let budgeting = budgeting(o, method, &here, sink);
        let sli = indicator
            .as_ref()
            .and_then(|ind| objective_sli(ind, o, &here, sink));
        let (Some(svc), Some(target), Some(budgeting), Some(sli), Some(window), Some(alerts)) =
            (svc, target, budgeting, sli, window.clone(), alerts.clone())
        else {
            continue;
        };
        let Some(ind) = indicator.as_ref().filter(|ind| ind.service == s.service) else {
            continue;
        };
        let name = if s.objectives.len() == 1 {
            d.metadata.name.clone()
        } else {
            format!("{}-{}", d.metadata.name, i + 1)
        };
        if !ids.insert((svc, name.clone())) {
            sink.error(
                format!("{at}: metadata.name"),
                format!("duplicate SLO {}/{name}", s.service),
            );
            continue;
        }
        let (period_us, calendar) = window;
        let (policy_alerts, tiers) = cx.policies.get(&svc).cloned().unwrap_or_default();
        let burn_alerts: Vec<BurnAlert> = default_burn_alerts(period_us)
            .into_iter()
            .chain(policy_alerts)
            .chain(alerts)
            .collect();
        let mut windows = windows_for(period_us, &burn_alerts);
        if calendar.is_some() {
            windows.retain(|&w| w != period_us);
        }
        let kind = match sli {
            Sli::Latency { .. } => SloKind::Latency,
            _ => SloKind::Availability,
        };
        out.push((
            SloRule {
                service: svc,
                sli,
                selector: ind.selector.clone(),
                bad_status: ind.bad_status,
            },
            SloObjective {
                service: s.service.clone(),
                service_index: svc,
                slo: name,
                kind,
                target: Target::Ratio(target),
                period_us,
                calendar,
                budgeting,
                display_name: o
                    .display_name
                    .clone()
                    .or_else(|| d.metadata.display_name.clone()),
                windows,
                burn_alerts,
                budget_alerts: Vec::<BudgetAlert>::new(),
                tiers,
            },
        ));
    }
    out
}

//! OpenSLO composite SLOs: an `SLO` whose `objectives[]` each carry their own `indicator` or
//! `indicatorRef` and an optional `compositeWeight` (default 1), with no `spec.indicator`.
//!
//! Each objective becomes a component: an ordinary slipstream SLO `<its service>/<SLO
//! name>-<n>` (its service is the one its indicator's sources read, by default the SLO's),
//! reported like any SLO but without alerts of its own. The SLO itself becomes the composite,
//! `<spec.service>/<SLO name>`, of kind `composite`: its counts are its components' events,
//! each counted its weight's units ([`crate::evaluate::composite`]), and it gets the default
//! burn-rate alerts, its service policy's and its `alertPolicies`, like any SLO.
//!
//! One composite has one target, one window and one budgeting method: every objective must
//! give the same target (and, for the timeslice methods, the same slice settings); a weighted
//! ratio held to several targets, or to an average of them, would not be what the objectives
//! say. Components of a service split by host, and a composite of such a service, are
//! refused: the sub-services of a split are counted apart from the service's SLOs.

use super::alerts::alert_policies;
use super::indicator::{Indicator, objective_sli};
use super::objective::{budgeting, target, time_window};
use super::resolve::{Refs, budgeting_method, inline_or_ref};
use super::{Document, Objective, SloSpec};
use crate::classify::{Part, Sli, SloRule, StatusSet};
use crate::config::objective::{Objectives, Slo};
use crate::config::path::At;
use crate::config::problems::Problems;
use crate::config::service::{Services, lookup};
use crate::evaluate::composite::{self, Component, Composite, WeightError};
use crate::evaluate::exact::ONE;
use crate::evaluate::{Budgeting, Calendar, Ppb, SloKind, Target};

/// One objective read as a component, before the weights are reduced to units.
#[derive(Debug)]
struct Piece {
    here: At,
    service: String,
    rule: SloRule,
    weight_nano: u64,
    display_name: Option<String>,
}

/// One composite SLO document (at `at`) → its components and the composite.
pub(super) fn composite(
    d: &Document<SloSpec>,
    at: &At,
    services: Option<&Services>,
    refs: &Refs<'_>,
    objectives: &mut Objectives<'_>,
    problems: &mut Problems,
) {
    let s = &d.spec;
    let spec = at.field("spec");
    let svc = whole_service(&s.service, &spec.field("service"), services, problems);
    refuse_slo_indicator(s, &spec, problems);
    let window = time_window(&s.time_window, &spec.field("timeWindow"), problems);
    let method = budgeting_method(s, &spec, problems);
    let alerts = alert_policies(d, &spec, refs, problems);
    let (pieces, first) = pieces(s, &spec, method, services, refs, problems);
    // Every objective became a piece.
    let complete = pieces.len() == s.objectives.len();
    let units = units(&pieces, &spec.field("objectives"), problems);
    let (Some(svc), Some((target, budgeting)), Some((period_us, calendar)), Some(alerts)) =
        (svc, first, window, alerts)
    else {
        return;
    };
    let Some((unit_nano, units)) = units.filter(|_| complete && !pieces.is_empty()) else {
        return;
    };
    let (parts, components) = add_components(
        d,
        pieces,
        units,
        (target, budgeting),
        (period_us, calendar.clone()),
        objectives,
        problems,
    );
    let slo = Slo {
        rule: SloRule {
            service: svc,
            sli: Sli::Composite,
            selector: None,
            bad_status: StatusSet::SERVER_ERRORS,
            parts,
        },
        service: s.service.clone(),
        name: d.metadata.name.clone(),
        kind: SloKind::Composite,
        target: Target::Ratio(target),
        period_us,
        calendar,
        budgeting,
        display_name: d.metadata.display_name.clone(),
        burn_alerts: alerts,
        budget_alerts: Vec::new(),
        exhaustion_alert: None,
        sla: None,
        alerting: true,
        composite: Some(Composite {
            weight_unit_nano: unit_nano,
            components,
        }),
        component_of: None,
    };
    objectives.add(slo, &at.field("metadata.name"), problems);
}

/// Reports an SLO-level `indicator` or `indicatorRef` (under `spec`): a composite's
/// objectives each have their own.
fn refuse_slo_indicator(s: &SloSpec, spec: &At, problems: &mut Problems) {
    for (set, field) in [
        (s.indicator.is_some(), "indicator"),
        (s.indicator_ref.is_some(), "indicatorRef"),
    ] {
        if set {
            problems.error(
                &spec.field(field),
                "a composite SLO (objectives with their own indicator or indicatorRef) has no SLO-level indicator: move it to an objective",
            );
        }
    }
}

/// Adds each piece, with its `units`, as the component `<SLO name>-<n>` of composite `d`,
/// held to `target` and `budgeting` over the composite's window; returns the composite's
/// parts and components in the same order.
fn add_components(
    d: &Document<SloSpec>,
    pieces: Vec<Piece>,
    units: Vec<u64>,
    (target, budgeting): (Ppb, Budgeting),
    (period_us, calendar): (i64, Option<Calendar>),
    objectives: &mut Objectives<'_>,
    problems: &mut Problems,
) -> (Vec<Part>, Vec<Component>) {
    let id = format!("{}/{}", d.spec.service, d.metadata.name);
    let mut parts = Vec::with_capacity(pieces.len());
    let mut components = Vec::with_capacity(pieces.len());
    for (n, (p, units)) in pieces.into_iter().zip(units).enumerate() {
        let name = format!("{}-{}", d.metadata.name, n + 1);
        parts.push(Part {
            slo: format!("{}/{name}", p.service),
            rule: p.rule.clone(),
            units,
        });
        components.push(Component {
            service: p.service.clone(),
            slo: name.clone(),
            weight_nano: p.weight_nano,
            units,
        });
        let kind = match p.rule.sli {
            Sli::Latency { .. } | Sli::LatencyAbove { .. } => SloKind::Latency,
            _ => SloKind::Availability,
        };
        let component = Slo {
            rule: p.rule,
            service: p.service,
            name,
            kind,
            target: Target::Ratio(target),
            period_us,
            calendar: calendar.clone(),
            budgeting,
            display_name: p.display_name,
            burn_alerts: Vec::new(),
            budget_alerts: Vec::new(),
            exhaustion_alert: None,
            sla: None,
            alerting: false,
            composite: None,
            component_of: Some(id.clone()),
        };
        objectives.add(component, &p.here, problems);
    }
    (parts, components)
}

/// The index of the composite's service `name` (at `at`), which must not be split by host.
fn whole_service(
    name: &str,
    at: &At,
    services: Option<&Services>,
    problems: &mut Problems,
) -> Option<usize> {
    let svc = lookup(
        services,
        name,
        at,
        || format!("unknown service {name:?}: not a service of the Pipeline"),
        problems,
    );
    if let (Some(svc), Some(all)) = (svc, services)
        && all.splits[svc].is_some()
    {
        problems.error(
            at,
            format!(
                "service {name:?} is split by host: a composite SLO belongs to a whole service"
            ),
        );
    }
    svc
}

/// The objectives of `s` (under `spec`) that are valid, read as pieces, with the target and
/// budgeting the first valid one is held to.
fn pieces(
    s: &SloSpec,
    spec: &At,
    method: &str,
    services: Option<&Services>,
    refs: &Refs<'_>,
    problems: &mut Problems,
) -> (Vec<Piece>, Option<(Ppb, Budgeting)>) {
    let mut pieces = Vec::with_capacity(s.objectives.len());
    let mut first: Option<(Ppb, Budgeting)> = None;
    for (i, o) in s.objectives.iter().enumerate() {
        let here = spec.field("objectives").index(i);
        let held = held_to(o, method, &here, first, problems);
        if first.is_none() {
            first = held;
        }
        // Read even when `held` is not, so that its own problems are reported too.
        let piece = piece(o, &here, &s.service, services, refs, problems);
        if let (Some(p), Some(_)) = (piece, held) {
            pieces.push(p);
        }
    }
    (pieces, first)
}

/// The weights of `pieces` as whole units, and the weight of one unit, nano; `None`
/// (reported at `at`, the objectives) when their proportions need too fine units.
fn units(pieces: &[Piece], at: &At, problems: &mut Problems) -> Option<(u64, Vec<u64>)> {
    let weights: Vec<u64> = pieces.iter().map(|p| p.weight_nano).collect();
    match composite::units(&weights) {
        Ok(u) => Some(u),
        Err(WeightError::TooFine | WeightError::NotPositive) => {
            problems.error(
                at,
                format!(
                    "the compositeWeights' proportions need whole numbers above {}: use coarser weights (1 and 3, not 0.3333333 and 1)",
                    composite::MAX_UNITS
                ),
            );
            None
        }
    }
}

/// An objective's target and budgeting (at `here`), which must be `first`'s when there is
/// one; `None` (reported) otherwise.
fn held_to(
    o: &Objective,
    method: &str,
    here: &At,
    first: Option<(Ppb, Budgeting)>,
    problems: &mut Problems,
) -> Option<(Ppb, Budgeting)> {
    let t = target(o, here, problems);
    let b = budgeting(o, method, here, problems);
    let (t, b) = (t?, b?);
    let Some((t0, b0)) = first else {
        return Some((t, b));
    };
    if t != t0 {
        let field = if o.target.is_some() {
            "target"
        } else {
            "targetPercent"
        };
        problems.error(
            &here.field(field),
            format!(
                "a composite SLO is held to one target: the first objective's is {}, this one's {}; give every objective the same target",
                t0.as_f64(),
                t.as_f64()
            ),
        );
        return None;
    }
    if b != b0 {
        problems.error(
            here,
            "a composite SLO has one budget: give every objective the same timeSliceTarget and timeSliceWindow",
        );
        return None;
    }
    Some((t, b))
}

/// One objective (at `here`) as a component: its indicator, the service it reads, its rule
/// and its weight; `None` (reported) when any of them is wrong.
fn piece(
    o: &Objective,
    here: &At,
    slo_service: &str,
    services: Option<&Services>,
    refs: &Refs<'_>,
    problems: &mut Problems,
) -> Option<Piece> {
    let weight_nano = weight_nano(o, here, problems);
    // The objective's own indicator: inline, or the SLI its `indicatorRef` names.
    let chosen = (o.indicator.as_ref(), o.indicator_ref.as_deref());
    let missing = "every objective of a composite SLO needs its own indicator or indicatorRef";
    let ind = inline_or_ref(chosen, here, services, refs, problems, missing)?;
    let sli = objective_sli(&ind, o, here, problems);
    let (service, same) = read_service(&ind, slo_service, problems);
    let svc = piece_service(&ind, &service, here, services?, problems)?;
    let (sli, weight_nano) = (sli?, weight_nano?);
    same.then(|| Piece {
        here: here.clone(),
        service,
        rule: SloRule {
            service: svc,
            sli,
            selector: ind.selector.clone(),
            bad_status: ind.bad_status,
            parts: Vec::new(),
        },
        weight_nano,
        display_name: o.display_name.clone(),
    })
}

/// The objective's `compositeWeight` (at `here`), nano (default 1).
fn weight_nano(o: &Objective, here: &At, problems: &mut Problems) -> Option<u64> {
    match o.composite_weight {
        None => Some(ONE),
        Some(w) => composite::weight_nano(w).or_else(|| {
            problems.error(
                &here.field("compositeWeight"),
                format!(
                    "{w} is not a weight: use a number greater than 0 (at least 0.000000001, at most {})",
                    composite::MAX_UNITS
                ),
            );
            None
        }),
    }
}

/// The service every source of `ind` reads: the first one named, else the SLO's; and
/// whether they all read it (each other one reported).
fn read_service(ind: &Indicator, slo_service: &str, problems: &mut Problems) -> (String, bool) {
    let service = ind
        .services
        .first()
        .map_or(slo_service, |(_, name)| name.as_str())
        .to_string();
    let mut same = true;
    for (at, name) in &ind.services {
        if *name != service {
            problems.error(
                at,
                format!("reads service {name:?} but the other source of this indicator reads {service:?}"),
            );
            same = false;
        }
    }
    (service, same)
}

/// The index of `service`, the one the piece (at `here`) reads; `None` (reported) when it is
/// unknown or split by host.
fn piece_service(
    ind: &Indicator,
    service: &str,
    here: &At,
    all: &Services,
    problems: &mut Problems,
) -> Option<usize> {
    let Some(svc) = all.get(service) else {
        // A named unknown service was reported with the indicator.
        if ind.services.is_empty() {
            problems.error(
                &here.field("indicator"),
                format!("unknown service {service:?}: not a service of the Pipeline"),
            );
        }
        return None;
    };
    if all.splits[svc].is_some() {
        problems.error(
            here,
            format!(
                "reads service {service:?}, which is split by host: a composite counts whole services"
            ),
        );
        return None;
    }
    Some(svc)
}

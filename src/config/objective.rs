//! The objective builder both SLO dialects share: `reliability/v1` indicators and OpenSLO
//! objectives each describe an [`Slo`], and [`Objectives::add`] claims its id, adds the
//! default and policy burn-rate alerts, picks the windows to keep, and builds the rule and
//! the objective the pipeline evaluates.

use std::collections::HashSet;

use super::path::At;
use super::policy::Policies;
use super::problems::Problems;
use crate::classify::SloRule;
use crate::decode::Carries;
use crate::evaluate::composite::Composite;
use crate::evaluate::sla::{Sla, SlaPeriod};
use crate::evaluate::{
    BudgetAlert, Budgeting, BurnAlert, Calendar, ExhaustionAlert, SloKind, SloObjective, Target,
    default_burn_alerts, windows_for,
};

/// One SLO as a document describes it, before its windows and default alerts are derived.
#[derive(Debug)]
pub(super) struct Slo {
    /// How events are classified; `rule.service` is the service's index.
    pub(super) rule: SloRule,
    /// The service's name.
    pub(super) service: String,
    /// The SLO's name within the service.
    pub(super) name: String,
    /// What it measures.
    pub(super) kind: SloKind,
    /// What it is held to.
    pub(super) target: Target,
    /// The period (or a calendar period's nominal length), µs.
    pub(super) period_us: i64,
    /// The calendar when the period is calendar-aligned.
    pub(super) calendar: Option<Calendar>,
    /// How the budget is counted.
    pub(super) budgeting: Budgeting,
    /// A human-readable name.
    pub(super) display_name: Option<String>,
    /// The document's own burn-rate alerts, after the defaults and the policy's.
    pub(super) burn_alerts: Vec<BurnAlert>,
    /// Remaining-budget alerts.
    pub(super) budget_alerts: Vec<BudgetAlert>,
    /// The exhaustion forecast alert.
    pub(super) exhaustion_alert: Option<ExhaustionAlert>,
    /// The SLA beside it.
    pub(super) sla: Option<Sla>,
    /// Whether it gets the default burn-rate alerts and its service policy's: false for
    /// the components of a composite, which page nobody (the composite's alerts do).
    pub(super) alerting: bool,
    /// For a composite SLO: what it combines (its rule's parts say how each is counted).
    pub(super) composite: Option<Composite>,
    /// For a component of a composite: the composite's id.
    pub(super) component_of: Option<String>,
}

/// The SLOs built so far, in document order, with their ids.
#[derive(Debug)]
pub(super) struct Objectives<'a> {
    policies: &'a Policies,
    /// What the configured format's events carry, when it is checked.
    carries: Option<Carries>,
    ids: HashSet<(usize, String)>,
    built: Vec<(SloRule, SloObjective)>,
    /// Where each built SLO was declared.
    places: Vec<At>,
}

impl<'a> Objectives<'a> {
    /// SLOs under `policies`, each checked against what the format `carries`.
    pub(super) fn new(policies: &'a Policies, carries: Option<Carries>) -> Self {
        Self {
            policies,
            carries,
            ids: HashSet::new(),
            built: Vec::new(),
            places: Vec::new(),
        }
    }

    /// Adds `slo`, unless its id is taken (reported at `at`).
    pub(super) fn add(&mut self, mut slo: Slo, at: &At, problems: &mut Problems) {
        if let Some(c) = &self.carries {
            super::decode::check_rule(c, &slo.rule, at, problems);
        }
        if !self.claim(&slo, at, problems) {
            return;
        }
        let svc = slo.rule.service;
        let policy = self.policies.get(&svc).cloned().unwrap_or_default();
        // A throughput minimum has no error ratio: no burn rates, no budget alerts, and its
        // one window is the period.
        let ratio = matches!(slo.target, Target::Ratio(_));
        let own = std::mem::take(&mut slo.burn_alerts);
        let burn_alerts = if ratio {
            burn_alerts(&slo, own, policy.alerts, policy.min_events)
        } else {
            Vec::new()
        };
        let windows = windows(&slo, ratio, &burn_alerts);
        let objective = SloObjective {
            service: slo.service.into(),
            service_index: svc,
            slo: slo.name.into(),
            kind: slo.kind,
            target: slo.target,
            period_us: slo.period_us,
            calendar: slo.calendar,
            budgeting: slo.budgeting,
            display_name: slo.display_name,
            windows,
            burn_alerts,
            budget_alerts: if ratio { slo.budget_alerts } else { Vec::new() },
            exhaustion_alert: if ratio { slo.exhaustion_alert } else { None },
            sla: if ratio { slo.sla.clone() } else { None },
            tiers: policy.tiers,
            gate: policy.gate,
            adjustments: Vec::new(),
            catalog: Default::default(),
            composite: slo.composite.map(std::sync::Arc::new),
            component_of: slo.component_of,
        };
        self.built.push((slo.rule, objective));
        self.places.push(at.clone());
    }

    /// Claims the id of `slo`; false (reported at `at`) when its time slice cannot fit its
    /// period, its name cannot be an id, or the id is taken.
    fn claim(&mut self, slo: &Slo, at: &At, problems: &mut Problems) -> bool {
        if let Some(slice) = slo.budgeting.slice_us()
            && slice > slo.period_us
        {
            problems.error(
                at,
                format!(
                    "its time slice ({}) is longer than its period ({}): no slice would ever be complete",
                    crate::time::format_duration(slice),
                    crate::time::format_duration(slo.period_us)
                ),
            );
            return false;
        }
        // Ids are `service/slo` and alerts `service/slo/alert` (in URLs and the history).
        if slo.name.contains('/') {
            problems.error(at, format!("SLO name {:?} must not contain '/'", slo.name));
            return false;
        }
        if !self.ids.insert((slo.rule.service, slo.name.clone())) {
            problems.error(at, format!("duplicate SLO {}/{}", slo.service, slo.name));
            return false;
        }
        true
    }

    /// The rules, objectives and where each was declared, in the same order.
    pub(super) fn finish(self) -> (Vec<SloRule>, Vec<SloObjective>, Vec<At>) {
        let (rules, objectives) = self.built.into_iter().unzip();
        (rules, objectives, self.places)
    }
}

/// The burn-rate alerts of ratio SLO `slo`, whose own alerts are `own`: those alone when it
/// does not alert (a composite's component), else the defaults for its period, its policy's
/// `policy_alerts`, then its own.
fn burn_alerts(
    slo: &Slo,
    own: Vec<BurnAlert>,
    policy_alerts: Vec<BurnAlert>,
    min_events: u64,
) -> Vec<BurnAlert> {
    if !slo.alerting {
        return own;
    }
    // The policy's low-traffic guard covers the defaults and the SLO's own alerts;
    // its thresholds carry their own.
    let guarded = |mut a: BurnAlert| {
        a.min_events = min_events;
        a
    };
    default_burn_alerts(slo.period_us)
        .into_iter()
        .map(guarded)
        .chain(policy_alerts)
        .chain(own.into_iter().map(guarded))
        .collect()
}

/// The rolling windows `slo` keeps: those its burn-rate alerts read (only its period
/// without an error ratio) and a rolling SLA period, less a calendar period.
fn windows(slo: &Slo, ratio: bool, burn_alerts: &[BurnAlert]) -> Vec<i64> {
    let mut windows = if ratio {
        windows_for(slo.period_us, burn_alerts)
    } else {
        vec![slo.period_us]
    };
    // A rolling SLA period is one more window.
    if let Some(Sla {
        period: SlaPeriod::Rolling(p),
        ..
    }) = &slo.sla
        && ratio
        && !windows.contains(p)
    {
        windows.push(*p);
        windows.sort_unstable();
    }
    // A calendar period is not a rolling window.
    if slo.calendar.is_some() {
        windows.retain(|&w| w != slo.period_us);
    }
    windows
}

//! The deploy gate: may a service ship now? Decided from its SLOs' error-budget policy tiers
//! (the worst one decides), the service's `ErrorBudgetPolicy` gate rules, quiet days and
//! freeze windows, and an override.
//!
//! In order: a freeze window holding the wall-clock time blocks; otherwise the worst tier's
//! action decides (`allow` ships, `require_approval` needs approval, `deny` blocks); a quiet
//! day (Friday by default) blocks whenever the worst tier is at or past its `from_tier`
//! (`caution` by default). An override ships whatever the rules said, and says what they
//! said. Calendar rules read the wall clock (a deploy happens now), the tiers the evaluation.

use std::sync::Arc;

use jiff::civil::Weekday;
use serde::Serialize;

use super::PolicyTier;
use super::report::SloReport;
use crate::time::format_rfc3339;
use crate::window::DayZone;

/// What the gate does at one policy tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GateAction {
    /// Ship.
    Allow,
    /// Ship with an approval.
    RequireApproval,
    /// Do not ship.
    Deny,
}

impl GateAction {
    /// The action named `allow`, `require_approval` or `deny`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "allow" => Some(GateAction::Allow),
            "require_approval" => Some(GateAction::RequireApproval),
            "deny" => Some(GateAction::Deny),
            _ => None,
        }
    }
}

/// The gate's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Go ahead: exit 0.
    Ship,
    /// Do not deploy: exit 10.
    Blocked,
    /// Deploy only with an approval: exit 11.
    NeedsApproval,
}

impl Decision {
    /// The exit code of `slipstream gate`: 0, 10 or 11.
    pub fn exit_code(self) -> u8 {
        match self {
            Decision::Ship => 0,
            Decision::Blocked => 10,
            Decision::NeedsApproval => 11,
        }
    }
}

/// Days of the week without deploys while the budget is low.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuietDays {
    /// The days (Monday = 0 … Sunday = 6).
    pub days: Vec<i8>,
    /// From this tier on (this one and worse), those days block.
    pub from_tier: PolicyTier,
    /// The zone whose weekdays are meant.
    pub zone: DayZone,
}

/// A range of time without deploys, whatever the budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Freeze {
    /// First instant, µs.
    pub start_us: i64,
    /// First instant after it, µs.
    pub end_us: i64,
    /// Why (`peak season`).
    pub reason: String,
}

/// A service's gate rules (`ErrorBudgetPolicy` `spec.gate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateRules {
    /// The action at each tier, in [`PolicyTier::ALL`] order.
    pub actions: [GateAction; 5],
    /// Quiet days, if any.
    pub quiet_days: Option<QuietDays>,
    /// Freeze windows.
    pub freezes: Vec<Freeze>,
}

impl Default for GateRules {
    /// The usual error-budget policy: ship above 50 % left, no Friday deploys from 50 % down,
    /// an approval from 25 % down, a freeze from 10 % down and when exhausted.
    fn default() -> Self {
        Self {
            actions: [
                GateAction::Allow,
                GateAction::Allow,
                GateAction::RequireApproval,
                GateAction::Deny,
                GateAction::Deny,
            ],
            quiet_days: Some(QuietDays {
                days: vec![Weekday::Friday.to_monday_zero_offset()],
                from_tier: PolicyTier::Caution,
                zone: DayZone::utc(),
            }),
            freezes: Vec::new(),
        }
    }
}

fn rank(tier: PolicyTier) -> usize {
    PolicyTier::ALL.iter().position(|&t| t == tier).unwrap_or(0)
}

impl GateRules {
    /// The action at `tier`.
    pub fn action(&self, tier: PolicyTier) -> GateAction {
        self.actions[rank(tier)]
    }
}

/// One SLO as the gate saw it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GateSlo {
    /// SLO name.
    pub slo: String,
    /// Its policy tier.
    pub tier: PolicyTier,
    /// Its remaining budget ratio.
    pub budget_remaining_ratio: f64,
    /// The action its tier asks for.
    pub action: GateAction,
}

/// A freeze window, as reported.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FreezeReport {
    /// First instant, RFC 3339.
    pub start: String,
    /// First instant after it, RFC 3339.
    pub end: String,
    /// Why.
    pub reason: String,
}

/// `GET /v1/gate`: the decision and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GateReport {
    /// The service asked about.
    pub service: String,
    /// `ship`, `blocked` or `needs_approval`.
    pub decision: Decision,
    /// `slipstream gate`'s exit code for it: 0, 10 or 11.
    pub exit_code: u8,
    /// Why, in one sentence.
    pub reason: String,
    /// The worst tier among the SLOs; `null` when none has a budget.
    pub tier: Option<PolicyTier>,
    /// The deciding SLO's remaining budget ratio.
    pub budget_remaining_ratio: Option<f64>,
    /// The SLO that decided (the worst), `service/slo`.
    pub slo: Option<String>,
    /// The freeze window in force, if any.
    pub freeze: Option<FreezeReport>,
    /// True when an override shipped what the rules did not.
    pub overridden: bool,
    /// The override's reason, when one was given.
    pub override_reason: Option<String>,
    /// What the rules decided before the override.
    pub rules_decision: Decision,
    /// Evaluation time the tiers are from, RFC 3339.
    pub evaluated_at: String,
    /// Wall-clock time the calendar rules were read at, RFC 3339.
    pub decided_at: String,
    /// Every SLO with a budget, worst first.
    pub slos: Vec<GateSlo>,
}

/// The SLOs of `slos` (one service's reports) that have a budget, as the gate sees them
/// under `rules`.
pub fn gated(slos: &[SloReport], rules: &GateRules) -> Vec<GateSlo> {
    slos.iter()
        .filter_map(|s| {
            let tier = s.policy.tier?;
            let b = s.budget.as_ref()?;
            Some(GateSlo {
                slo: s.slo.to_string(),
                tier,
                budget_remaining_ratio: b.remaining_ratio,
                action: rules.action(tier),
            })
        })
        .collect()
}

/// Decides for `service` from its SLOs with a budget (`gated`), the rules, the wall clock
/// `now_us` and an optional override reason; `evaluated_at` is the evaluation's time.
pub fn decide(
    service: &str,
    mut gated: Vec<GateSlo>,
    rules: &GateRules,
    now_us: i64,
    evaluated_at: &str,
    override_reason: Option<&str>,
) -> GateReport {
    gated.sort_by(|a, b| {
        rank(b.tier).cmp(&rank(a.tier)).then(
            a.budget_remaining_ratio
                .total_cmp(&b.budget_remaining_ratio),
        )
    });
    let worst = gated.first();
    let freeze = rules
        .freezes
        .iter()
        .find(|f| (f.start_us..f.end_us).contains(&now_us));
    let (decision, reason) = rules_decision(service, worst, freeze, rules, now_us);
    let override_reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
    let overridden = override_reason.is_some() && decision != Decision::Ship;
    let final_decision = if override_reason.is_some() {
        Decision::Ship
    } else {
        decision
    };
    GateReport {
        service: service.to_string(),
        decision: final_decision,
        exit_code: final_decision.exit_code(),
        reason: match override_reason {
            Some(r) if overridden => format!("overridden ({r}); the rules said: {reason}"),
            _ => reason,
        },
        tier: worst.map(|w| w.tier),
        budget_remaining_ratio: worst.map(|w| w.budget_remaining_ratio),
        slo: worst.map(|w| format!("{service}/{}", w.slo)),
        freeze: freeze.map(|f| FreezeReport {
            start: format_rfc3339(f.start_us),
            end: format_rfc3339(f.end_us),
            reason: f.reason.clone(),
        }),
        overridden,
        override_reason: override_reason.map(str::to_string),
        rules_decision: decision,
        evaluated_at: evaluated_at.to_string(),
        decided_at: format_rfc3339(now_us),
        slos: gated,
    }
}

/// What the rules decide, and why: blocked during `freeze`; else by the tier of the `worst`
/// SLO (its action, or a quiet day from its tier down); ship when no SLO has a budget.
fn rules_decision(
    service: &str,
    worst: Option<&GateSlo>,
    freeze: Option<&Freeze>,
    rules: &GateRules,
    now_us: i64,
) -> (Decision, String) {
    if let Some(f) = freeze {
        return (
            Decision::Blocked,
            format!("freeze until {}: {}", format_rfc3339(f.end_us), f.reason),
        );
    }
    let Some(w) = worst else {
        return (
            Decision::Ship,
            format!("{service} has no SLO with an error budget"),
        );
    };
    let left = format!(
        "{:.1} % of its budget left",
        w.budget_remaining_ratio * 100.0
    );
    let quiet = rules.quiet_days.as_ref().filter(|q| {
        rank(w.tier) >= rank(q.from_tier) && q.days.contains(&weekday(now_us, &q.zone))
    });
    match (w.action, quiet) {
        (GateAction::Deny, _) => (
            Decision::Blocked,
            format!("{service}/{} is in {}: {left}", w.slo, w.tier),
        ),
        (_, Some(q)) => (
            Decision::Blocked,
            format!(
                "no deploys on {} ({}) from {} down: {service}/{} is in {}, {left}",
                weekday_name(weekday(now_us, &q.zone)),
                q.zone.name(),
                q.from_tier,
                w.slo,
                w.tier,
            ),
        ),
        (GateAction::RequireApproval, None) => (
            Decision::NeedsApproval,
            format!(
                "{service}/{} is in {}: {left}; deploy with approval",
                w.slo, w.tier,
            ),
        ),
        (GateAction::Allow, None) => (
            Decision::Ship,
            format!("{service}/{} is in {}: {left}", w.slo, w.tier),
        ),
    }
}

/// Weekday names, Monday first.
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The weekday (Monday = 0) of `t_us` in `zone`.
fn weekday(t_us: i64, zone: &DayZone) -> i8 {
    crate::time::weekday(zone.day_of(t_us)) as i8
}

fn weekday_name(d: i8) -> &'static str {
    WEEKDAYS[d.clamp(0, 6) as usize]
}

/// Monday = 0 … Sunday = 6 for a day named `monday` … `sunday` (lowercase).
pub fn weekday_of_name(name: &str) -> Option<i8> {
    WEEKDAYS
        .iter()
        .position(|d| d.to_lowercase() == name)
        .map(|i| i as i8)
}

/// A shared default, for objectives without a policy.
pub fn default_rules() -> Arc<GateRules> {
    Arc::new(GateRules::default())
}

#[cfg(test)]
mod tests;

//! `reliability/v1 ErrorBudgetPolicy` as written: the extra burn-rate alerts, the tier bounds
//! and the deploy gate; validated by [`crate::config::policy`] and [`crate::config::gate`].

use serde::Deserialize;

/// `kind: ErrorBudgetPolicy` (reliability/v1).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicySpec {
    /// Service name from the Pipeline.
    pub(crate) service: String,
    /// Extra burn-rate alerts for every SLO of the service.
    #[serde(default)]
    pub(crate) burn_rate_thresholds: Vec<BurnThresholdSpec>,
    /// Policy tier bounds.
    pub(crate) tiers: Option<TiersSpec>,
    /// Deploy gate rules (default: the usual error-budget policy).
    pub(crate) gate: Option<GateSpec>,
    /// Events a burn-rate alert's short window must hold to fire, for every burn-rate alert
    /// of the service's SLOs (default 0: any).
    pub(crate) min_events: Option<u64>,
}

/// `spec.gate` of an ErrorBudgetPolicy.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GateSpec {
    /// The action per tier.
    pub(crate) actions: Option<GateActionsSpec>,
    /// Days without deploys while the budget is low; `null` or `{days: []}` for none.
    #[serde(default, deserialize_with = "some_or_null")]
    pub(crate) quiet_days: Option<Option<QuietDaysSpec>>,
    /// Ranges without deploys.
    #[serde(default)]
    pub(crate) freezes: Vec<FreezeSpec>,
}

/// Deserializes a present field as `Some` (its value may be `null`).
fn some_or_null<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// `spec.gate.actions`: `allow`, `require_approval` or `deny` per tier.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GateActionsSpec {
    pub(crate) normal: Option<String>,
    pub(crate) caution: Option<String>,
    pub(crate) slow_down: Option<String>,
    pub(crate) freeze: Option<String>,
    pub(crate) exhausted: Option<String>,
}

/// `spec.gate.quiet_days`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuietDaysSpec {
    /// Lowercase weekday names.
    pub(crate) days: Vec<String>,
    /// From this tier on (default `caution`).
    pub(crate) from_tier: Option<String>,
    /// IANA zone of the weekdays (default `UTC`).
    pub(crate) time_zone: Option<String>,
}

/// `spec.gate.freezes[]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FreezeSpec {
    /// Local date or date-time the freeze starts (`2026-12-21`, `2026-12-21T18:00`).
    pub(crate) start: String,
    /// Local date or date-time it ends (excluded).
    pub(crate) end: String,
    /// IANA zone of both (default `UTC`).
    pub(crate) time_zone: Option<String>,
    /// Why.
    pub(crate) reason: String,
}

/// `burn_rate_thresholds[]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BurnThresholdSpec {
    /// Alert name.
    pub(crate) name: String,
    /// Burn-rate factor.
    pub(crate) threshold: f64,
    /// Long window; the short window is 1/12 of it unless `short_window` is set.
    pub(crate) duration: String,
    /// Short window override.
    pub(crate) short_window: Option<String>,
    /// What to do (free text, reported with the alert).
    pub(crate) action: Option<String>,
    /// Severity (default `page` when the action mentions paging, else `ticket`).
    pub(crate) severity: Option<String>,
    /// Events the short window must hold to fire (default: the policy's `min_events`).
    pub(crate) min_events: Option<u64>,
    /// How long the condition must hold before the alert fires (default none).
    #[serde(rename = "for")]
    pub(crate) hold: Option<String>,
}

/// `tiers`: remaining-budget bounds as fractions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TiersSpec {
    /// Normal above this (default 0.5).
    pub(crate) caution: f64,
    /// Slow down below this (default 0.25).
    pub(crate) slow_down: f64,
    /// Freeze below this (default 0.1).
    pub(crate) freeze: f64,
}

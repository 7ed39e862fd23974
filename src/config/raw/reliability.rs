//! `reliability/v1 ServiceLevelObjective` as written: the indicators, the compliance period,
//! the budgeting method and the remaining-budget and exhaustion alerts; validated by
//! [`crate::config::reliability`] and [`crate::config::periods`].

use serde::Deserialize;

/// `kind: ServiceLevelObjective` (reliability/v1).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SloSpec {
    /// Service name from the Pipeline.
    pub(crate) service: String,
    /// Free text.
    #[allow(dead_code)]
    pub(crate) description: Option<String>,
    /// One SLO each.
    pub(crate) indicators: Vec<IndicatorSpec>,
    /// `rolling` (default) or `calendar`.
    pub(crate) compliance: Option<String>,
    /// The calendar period, with `compliance: calendar`.
    pub(crate) calendar: Option<CalendarSpec>,
    /// Budgeting method (default occurrences).
    pub(crate) budgeting: Option<BudgetingSpec>,
    /// Remaining-budget alerts.
    #[serde(default)]
    pub(crate) alert_budgets: Vec<BudgetAlertSpec>,
    /// Alert when the budget runs out within a horizon at a recent window's rates.
    pub(crate) exhaustion_alert: Option<ExhaustionAlertSpec>,
}

/// `exhaustion_alert`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExhaustionAlertSpec {
    /// Fires when the budget runs out within this (`24h`).
    pub(crate) within: String,
    /// Whose rates are projected: `1h`, `6h` (default) or `1d`.
    pub(crate) rate_window: Option<String>,
    /// Severity label (default `ticket`).
    pub(crate) severity: Option<String>,
    /// Alert name (default `budget_exhausted_within_<within>`).
    pub(crate) name: Option<String>,
}

/// `indicators[]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IndicatorSpec {
    /// `availability`, `error_rate`, `latency_pNN` or `throughput`.
    pub(crate) name: String,
    /// Percent, duration text, or requests per second, depending on `name`.
    pub(crate) threshold: serde_yaml_ng::Value,
    /// The SLO period, e.g. `30d`; omitted (or the unit: `1w`, `1M`, `1Q`) when calendar.
    pub(crate) window: Option<String>,
    /// `minimum` for throughput.
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    /// A contractual objective beside the SLO.
    pub(crate) sla: Option<SlaSpec>,
}

/// `indicators[].sla`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SlaSpec {
    /// Percent, at most the SLO's.
    pub(crate) objective: f64,
    /// A rolling duration (`30d`) or `week`, `month`, `quarter`.
    pub(crate) period: String,
    /// IANA zone of a calendar period (default: the SLO's calendar zone, else `UTC`).
    pub(crate) time_zone: Option<String>,
}

/// `calendar`: a calendar-aligned period.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CalendarSpec {
    /// `week` (ISO, Monday start), `month` or `quarter`.
    pub(crate) unit: String,
    /// IANA time zone, e.g. `Europe/Berlin` (default `UTC`).
    pub(crate) time_zone: Option<String>,
}

/// `budgeting`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BudgetingSpec {
    /// `occurrences` (default), `timeslices` or `ratio_timeslices`.
    pub(crate) method: String,
    /// Slice width dividing one hour (`1m`, `5m`) or whole hours (`2h`, `1d`), for the
    /// timeslice methods.
    pub(crate) slice: Option<String>,
    /// Ratio (0, 1] a slice must reach to be good, for `timeslices`.
    pub(crate) slice_target: Option<f64>,
}

/// `alert_budgets[]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BudgetAlertSpec {
    /// Fires when the remaining ratio is below this (0..1].
    pub(crate) threshold: f64,
    /// Severity label.
    pub(crate) severity: String,
    /// Alert name (default `budget_below_<pct>pct`).
    pub(crate) name: Option<String>,
}

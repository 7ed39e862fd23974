//! `reliability/v1 BudgetAdjustment` as written: a maintenance window; validated by
//! [`crate::config::adjustment`].

use serde::Deserialize;

/// `kind: BudgetAdjustment` (reliability/v1): a maintenance window.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdjustmentSpec {
    /// What it is for.
    #[serde(default)]
    pub(crate) description: String,
    /// The first occurrence's start, RFC 3339.
    pub(crate) first_event_start: String,
    /// Each occurrence's length.
    pub(crate) duration: String,
    /// How it repeats: an iCalendar RRULE subset (`FREQ=DAILY|WEEKLY`, `INTERVAL`, `COUNT`,
    /// `UNTIL`); none for a one-off window.
    pub(crate) rrule: Option<String>,
    /// The zone whose local time a repeat keeps (default `UTC`).
    pub(crate) time_zone: Option<String>,
    /// `exclude` (default) or `count_as_good`.
    pub(crate) mode: Option<String>,
    /// The SLOs it applies to: `service` (all its SLOs) or `service/slo`.
    pub(crate) slos: Vec<String>,
}

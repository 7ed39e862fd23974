//! The JSON shapes of an evaluation, as served by `GET /v1/slos` and printed by `replay`.
//!
//! No field is ever NaN or infinite: ratios over no traffic are `null`, and an SLO without any
//! event in its period says `no_data: true`.
//!
//! A window's name and bounds are shared (`Arc<str>`) by every report of an evaluation that
//! has that window: they are the same for all of them, and formatting them per SLO made tens
//! of thousands of strings per evaluation of 1,000 SLOs.

use std::sync::Arc;

use serde::Serialize;

use super::kinds::{AlertKind, AlertState, PolicyTier, Severity, SloKind};

/// The state of every SLO at one evaluation time.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// Evaluation time T, RFC 3339.
    pub evaluated_at: String,
    /// Wall clock minus T, seconds.
    pub data_lag_seconds: f64,
    /// One entry per SLO, in configuration order.
    pub slos: Vec<SloReport>,
}

/// One SLO.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SloReport {
    /// Service name.
    pub service: Arc<str>,
    /// SLO (indicator) name; the id is `service/slo`.
    pub slo: Arc<str>,
    /// `availability`, `error_rate`, `latency` or `throughput`.
    pub kind: SloKind,
    /// Human-readable name (OpenSLO `displayName`), when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Target ratio in `0..1`; `null` for throughput minimums.
    pub objective: Option<f64>,
    /// The SLO period: a rolling window such as `30d`, or `week`, `month`, `quarter`.
    pub period: Arc<str>,
    /// True when the period holds no event.
    pub no_data: bool,
    /// Set when a configuration reload added this SLO or changed how its events are
    /// classified: its counts start here (RFC 3339), so windows that begin earlier are partial.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_since: Option<String>,
    /// SLI over the budget interval (for timeslices: good slices / slices with data, or the
    /// mean slice ratio); `null` without traffic.
    pub sli: Option<f64>,
    /// Every reported window, shortest first, all ending at the same time.
    pub windows: Vec<WindowReport>,
    /// Error budget over the period; `null` for throughput minimums.
    pub budget: Option<BudgetReport>,
    /// Burn-rate, budget and throughput alerts with their state.
    pub alerts: Vec<AlertReport>,
    /// Error-budget policy tier.
    pub policy: PolicyReport,
    /// Latency percentiles of the service.
    pub latency_ms: LatencyReport,
    /// The SLA beside the SLO, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<super::sla::SlaReport>,
    /// Throughput against its minimum, for throughput SLOs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throughput: Option<ThroughputReport>,
    /// Its service's catalog entry (owner, tier, runbook, …), when the service has one.
    #[serde(skip_serializing_if = "is_empty_catalog")]
    pub catalog: Arc<crate::catalog::ServiceCatalog>,
    /// For a composite SLO: its components and weights; its counts are weighted events, in
    /// units of `weight_unit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub composite: Option<super::composite::CompositeReport>,
    /// For a component of a composite SLO: the composite's id, `service/slo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component_of: Option<String>,
}

fn is_empty_catalog(c: &Arc<crate::catalog::ServiceCatalog>) -> bool {
    c.is_empty()
}

/// Counts of one window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WindowReport {
    /// Nominal length, e.g. `5m`.
    pub window: Arc<str>,
    /// First instant included, RFC 3339.
    pub start: Arc<str>,
    /// First instant excluded, RFC 3339.
    pub end: Arc<str>,
    /// Good events with event time in `[start, end)`.
    pub good: u64,
    /// All events with event time in `[start, end)`.
    pub total: u64,
    /// good / total; `null` without traffic.
    pub sli: Option<f64>,
    /// Error ratio / (1 − objective); `null` without traffic or objective.
    pub burn_rate: Option<f64>,
}

/// Error budget over the budget interval `[start, end)`: the rolling period, or the calendar
/// period so far.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BudgetReport {
    /// First instant included, RFC 3339.
    pub start: Arc<str>,
    /// First instant excluded, RFC 3339.
    pub end: Arc<str>,
    /// `week|month|quarter ZONE` for a calendar period; absent for a rolling one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    /// `occurrences`, `timeslices` or `ratio_timeslices`.
    pub method: &'static str,
    /// What `allowed_bad`, `remaining_ratio` and `exhausted` count: `events` or `slices`.
    pub unit: &'static str,
    /// Good events in `[start, end)`.
    pub good: u64,
    /// All events in `[start, end)`.
    pub total: u64,
    /// Bad units the objective allows: (1 − objective) × events (or slices with data).
    pub allowed_bad: f64,
    /// Bad events in `[start, end)`.
    pub bad: u64,
    /// 1 − bad units / allowed_bad: 1 untouched, 0 spent, negative overspent.
    pub remaining_ratio: f64,
    /// True when nothing remains (remaining ≤ 0) and there was traffic.
    pub exhausted: bool,
    /// The judged slices, for the timeslice methods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slices: Option<SliceReport>,
    /// When the budget runs out at the last 1 h, 6 h and 1 d's rates (occurrence budgets, in
    /// the one-SLO answer only; see [`super::forecast`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exhaustion: Option<Vec<super::forecast::Exhaustion>>,
}

/// The slices of a timeslice budget.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SliceReport {
    /// Slice width, e.g. `1m`.
    pub slice: String,
    /// Ratio a slice must reach to be good (Timeslices).
    pub slice_target: Option<f64>,
    /// Complete slices in `[start, end)`.
    pub complete: u64,
    /// Complete slices with at least one event; the others do not count.
    pub with_data: u64,
    /// Good slices (Timeslices).
    pub good: Option<u64>,
    /// Bad slices (Timeslices), or the summed shortfall `Σ (1 − ratio)` (RatioTimeslices).
    pub bad: f64,
}

/// One alert.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlertReport {
    /// Alert name.
    pub name: Arc<str>,
    /// `burn_rate`, `budget` or `throughput`.
    pub kind: AlertKind,
    /// Severity, e.g. `page`, `ticket`, `warning`, `critical`.
    pub severity: Severity,
    /// Action from the policy, if any.
    pub action: Option<Arc<str>>,
    /// Long window (burn rate), or the period (budget).
    pub long_window: Option<Arc<str>>,
    /// Short window (burn rate).
    pub short_window: Option<Arc<str>>,
    /// Burn-rate factor; for budget alerts the remaining-ratio threshold.
    pub factor: Option<f64>,
    /// Events the short window must hold for a burn-rate alert to fire (absent: any).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_events: Option<u64>,
    /// An exhaustion alert's horizon (`24h`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
    /// An exhaustion alert's forecast: hours until the budget runs out at its window's rates
    /// (absent: not within the period's horizon).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs_out_in_hours: Option<f64>,
    /// While it fires, with `spec.attribution`: its top contributor of bad events by path
    /// over its long window (at most the attribution's retention), as one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_contributor: Option<String>,
    /// Whether it fires and, with a hold, where it stands (its fields are the alert's).
    #[serde(flatten)]
    pub status: AlertStatus,
}

/// Whether an alert fires and, with a hold ([`super::hold`]), where it stands.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlertStatus {
    /// How long the condition must hold before the alert fires (a burn-rate alert with a
    /// hold: OpenSLO's `alertAfter`, a policy's `for`), e.g. `10m`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold: Option<String>,
    /// The hold, µs (0: none).
    #[serde(skip)]
    pub hold_us: i64,
    /// `inactive`, `pending` (its condition holds, for less than its hold so far) or
    /// `firing`.
    pub state: AlertState,
    /// With a hold, while the condition holds: the minute of event time from which it has
    /// held without a break (RFC 3339), which is when the alert became pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_since: Option<String>,
    /// [`Self::condition_since`], µs.
    #[serde(skip)]
    pub condition_since_us: Option<i64>,
    /// True when it fires: its condition holds now and, with a hold, has held for it.
    pub firing: bool,
}

impl AlertStatus {
    /// An alert whose condition `holds` now, with a hold of `hold_us` (0: none): firing or
    /// inactive, until [`super::hold::apply`] tells a held one's state.
    pub fn new(holds: bool, hold_us: i64) -> Self {
        let mut status = Self {
            hold: (hold_us > 0).then(|| crate::time::format_duration(hold_us)),
            hold_us,
            state: AlertState::Inactive,
            condition_since: None,
            condition_since_us: None,
            firing: false,
        };
        status.set(if holds {
            AlertState::Firing
        } else {
            AlertState::Inactive
        });
        status
    }

    /// Sets the state, and with it `firing` (which the JSON carries beside it).
    pub fn set(&mut self, state: AlertState) {
        self.state = state;
        self.firing = state == AlertState::Firing;
    }
}

/// Error-budget policy tier.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PolicyReport {
    /// `normal`, `caution`, `slow_down`, `freeze` or `exhausted`; `null` for throughput.
    pub tier: Option<PolicyTier>,
}

/// Latency percentiles (HDR, 1 % precision) of the service's requests with known latency.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LatencyReport {
    /// Window the percentiles cover.
    pub window: Arc<str>,
    /// Requests counted.
    pub count: u64,
    /// Median, ms; `null` without data.
    pub p50: Option<f64>,
    /// 90th percentile, ms.
    pub p90: Option<f64>,
    /// 99th percentile, ms.
    pub p99: Option<f64>,
    /// 99.9th percentile, ms.
    pub p999: Option<f64>,
}

/// A throughput SLO's rate over its window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ThroughputReport {
    /// Required good requests per second.
    pub minimum_per_second: f64,
    /// Observed good requests per second over the window.
    pub observed_per_second: f64,
    /// True when the observed rate is at least the minimum.
    pub met: bool,
}

/// What `GET /v1/alerts` returns: the firing alerts, for pollers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlertsReport {
    /// Evaluation time, RFC 3339.
    pub evaluated_at: String,
    /// Firing alerts.
    pub alerts: Vec<FiringAlert>,
    /// Pending alerts: their condition holds, for less than their hold so far.
    pub pending: Vec<FiringAlert>,
}

/// One firing (or pending) alert with its SLO.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FiringAlert {
    /// Service name.
    pub service: String,
    /// SLO name.
    pub slo: String,
    /// The alert.
    #[serde(flatten)]
    pub alert: AlertReport,
}

impl Report {
    /// The firing and the pending alerts of every SLO.
    pub fn firing(&self) -> AlertsReport {
        let of = |state: AlertState| -> Vec<FiringAlert> {
            self.slos
                .iter()
                .flat_map(|s| {
                    s.alerts
                        .iter()
                        .filter(move |a| a.status.state == state)
                        .map(|a| FiringAlert {
                            service: s.service.to_string(),
                            slo: s.slo.to_string(),
                            alert: a.clone(),
                        })
                })
                .collect()
        };
        AlertsReport {
            evaluated_at: self.evaluated_at.clone(),
            alerts: of(AlertState::Firing),
            pending: of(AlertState::Pending),
        }
    }
}

/// One SLO's answer (`GET /v1/slos/{service}/{slo}`'s JSON) as text: the SLI, the budget
/// and when it runs out, the SLA, and the alerts firing (and pending, when any are), one line
/// each.
pub fn text(slo: &serde_json::Value) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}/{}: SLI {} over {} (objective {}) · tier {}",
        text_of(&slo["service"]),
        text_of(&slo["slo"]),
        if slo["no_data"] == true {
            "no data yet".to_string()
        } else {
            percent(&slo["sli"], 3)
        },
        text_of(&slo["period"]),
        percent(&slo["objective"], 3),
        text_of(&slo["policy"]["tier"]),
    );
    if slo["budget"].is_object() {
        let _ = writeln!(out, "{}", budget_line(&slo["budget"]));
    }
    if slo["sla"].is_object() {
        let _ = writeln!(out, "{}", sla_line(&slo["sla"]));
    }
    let firing = alerts_where(slo, |x| x["firing"] == true, |x| text_of(&x["name"]));
    let _ = writeln!(
        out,
        "alerts firing: {}",
        if firing.is_empty() {
            "none".to_string()
        } else {
            firing.join(", ")
        }
    );
    // Held alerts not firing yet, with the minute their condition began.
    let pending = alerts_where(
        slo,
        |x| x["state"] == "pending",
        |x| {
            format!(
                "{} (since {}, hold {})",
                text_of(&x["name"]),
                text_of(&x["condition_since"]),
                text_of(&x["hold"])
            )
        },
    );
    if !pending.is_empty() {
        let _ = writeln!(out, "alerts pending: {}", pending.join(", "));
    }
    out
}

/// A ratio as a percentage with `digits` decimals, `-` when it is not a number.
fn percent(v: &serde_json::Value, digits: usize) -> String {
    v.as_f64().map_or_else(
        || "-".to_string(),
        |x| format!("{:.*} %", digits, x * 100.0),
    )
}

/// A string, `-` when it is not one.
fn text_of(v: &serde_json::Value) -> String {
    v.as_str().unwrap_or("-").to_string()
}

/// The budget's line: what is left, and when it runs out at each window's rate.
fn budget_line(b: &serde_json::Value) -> String {
    let when = |f: &serde_json::Value| match f["hours_left"].as_f64() {
        None => "not this period".to_string(),
        Some(h) if h <= 0.0 => "spent".to_string(),
        Some(h) if h < 48.0 => format!("in {h:.1} h"),
        Some(h) => format!("in {:.1} d", h / 24.0),
    };
    let runs_out: Vec<String> = b["exhaustion"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|f| format!("at the {} rate {}", text_of(&f["window"]), when(f)))
                .collect()
        })
        .unwrap_or_default();
    format!(
        "budget: {} left ({} bad of {:.0} allowed){}",
        percent(&b["remaining_ratio"], 1),
        b["bad"],
        b["allowed_bad"].as_f64().unwrap_or(0.0).floor(),
        if runs_out.is_empty() {
            String::new()
        } else {
            format!(" · runs out {}", runs_out.join(", "))
        }
    )
}

/// The SLA's line: its objective and period, whether it holds, its SLI, budget and margin.
fn sla_line(sla: &serde_json::Value) -> String {
    format!(
        "SLA {} over the {}: {} · SLI {} · {} of its budget left · margin {}",
        percent(&sla["objective"], 3),
        text_of(&sla["period"]),
        if sla["met"] == true {
            "holds"
        } else {
            "breached"
        },
        percent(&sla["sli"], 3),
        percent(&sla["remaining_ratio"], 1),
        percent(&sla["margin"], 3),
    )
}

/// `show` of each of the SLO's alerts that `keep` keeps, in order.
fn alerts_where(
    slo: &serde_json::Value,
    keep: impl Fn(&serde_json::Value) -> bool,
    show: impl Fn(&serde_json::Value) -> String,
) -> Vec<String> {
    slo["alerts"]
        .as_array()
        .map(|a| a.iter().filter(|x| keep(x)).map(show).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod text_tests {
    use serde_json::json;

    #[test]
    fn one_slo_reads_as_four_lines() {
        let slo = json!({
            "service": "checkout", "slo": "availability", "objective": 0.999, "period": "30d",
            "no_data": false, "sli": 0.99962, "policy": {"tier": "caution"},
            "budget": {"remaining_ratio": 0.42, "bad": 456, "allowed_bad": 1201.69,
                "exhaustion": [
                    {"window": "1h", "hours_left": 30.5},
                    {"window": "6h", "hours_left": 100.0},
                    {"window": "1d", "hours_left": null}]},
            "sla": {"objective": 0.995, "period": "month", "met": true, "sli": 0.9991,
                "remaining_ratio": 0.82, "margin": 0.0041},
            "alerts": [{"name": "page_1h_5m", "firing": true}, {"name": "ticket_1d_2h", "firing": false},
                {"name": "slow", "firing": false, "state": "pending", "hold": "30m",
                    "condition_since": "2026-12-01T10:04:00Z"}],
        });
        assert_eq!(
            super::text(&slo),
            "checkout/availability: SLI 99.962 % over 30d (objective 99.900 %) · tier caution\n\
             budget: 42.0 % left (456 bad of 1201 allowed) · runs out at the 1h rate in 30.5 h, \
             at the 6h rate in 4.2 d, at the 1d rate not this period\n\
             SLA 99.500 % over the month: holds · SLI 99.910 % · 82.0 % of its budget left · margin 0.410 %\n\
             alerts firing: page_1h_5m\n\
             alerts pending: slow (since 2026-12-01T10:04:00Z, hold 30m)\n"
        );
        let quiet = json!({"service": "a", "slo": "b", "no_data": true, "period": "7d",
            "objective": null, "policy": {"tier": "normal"}, "alerts": []});
        assert_eq!(
            super::text(&quiet),
            "a/b: SLI no data yet over 7d (objective -) · tier normal\nalerts firing: none\n"
        );
    }
}

//! OpenSLO v1 documents as written: serde structs for `Service`, `SLI`, `SLO`, `AlertPolicy`,
//! `AlertCondition`, `AlertNotificationTarget` and `DataSource`, with no interpretation.
//!
//! Every struct denies unknown fields. A `metricSource.spec` is kept as YAML so that a source
//! of another type (prometheus, datadog, …) is reported as unsupported rather than as a parse
//! error; a `type: slipstream` spec is read into [`SlipstreamSpec`] while resolving
//! ([`resolve`]), which maps the documents onto slipstream's SLO rules and objectives.

mod alerts;
mod composite;
mod indicator;
mod objective;
pub(crate) mod resolve;

use std::collections::BTreeMap;

use serde::Deserialize;

/// An OpenSLO v1 document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Document<S> {
    /// `openslo/v1`.
    #[allow(dead_code)]
    pub(crate) api_version: String,
    /// The kind.
    #[allow(dead_code)]
    pub(crate) kind: String,
    /// Name, display name, labels.
    pub(crate) metadata: Metadata,
    /// The kind-specific body.
    pub(crate) spec: S,
}

/// OpenSLO metadata.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Metadata {
    /// Object name.
    pub(crate) name: String,
    /// Human-readable name.
    pub(crate) display_name: Option<String>,
    /// Labels: a string or a list of strings per key (kept for compatibility, unused).
    #[serde(default)]
    #[allow(dead_code)]
    pub(crate) labels: BTreeMap<String, serde_yaml_ng::Value>,
    /// Annotations: `slipstream.dev/short-window` on an AlertCondition; others are kept
    /// for compatibility, unused.
    #[serde(default)]
    pub(crate) annotations: BTreeMap<String, String>,
}

/// How an AlertCondition's `alertAfter` is read (`spec.openslo.alert_after` in the
/// Pipeline).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AlertAfter {
    /// As the spec says: how long the condition must hold before the alert fires.
    #[default]
    Hold,
    /// As slipstream read it before: the short window of a two-window alert (kept for a
    /// migration; a warning at load).
    ShortWindow,
}

/// `kind: Service`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServiceSpec {
    /// Free text.
    #[allow(dead_code)]
    pub(crate) description: Option<String>,
}

/// `kind: SLI` (and an SLO's inline `indicator.spec`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct SliSpec {
    /// Free text.
    #[allow(dead_code)]
    pub(crate) description: Option<String>,
    /// One source whose per-request value is compared with each objective's `op`/`value`.
    pub(crate) threshold_metric: Option<Metric>,
    /// good/total or bad/total.
    pub(crate) ratio_metric: Option<RatioMetric>,
}

/// `ratioMetric`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RatioMetric {
    /// Counter or gauge (irrelevant for logs; accepted and ignored).
    #[allow(dead_code)]
    pub(crate) counter: Option<bool>,
    /// The numerator of good events.
    pub(crate) good: Option<Metric>,
    /// The numerator of bad events.
    pub(crate) bad: Option<Metric>,
    /// The denominator.
    pub(crate) total: Option<Metric>,
    /// `success` or `failure` for `raw` (unsupported).
    pub(crate) raw_type: Option<String>,
    /// A precomputed ratio (unsupported: slipstream counts events).
    pub(crate) raw: Option<Metric>,
}

/// `{metricSource: …}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Metric {
    /// Where the data comes from.
    pub(crate) metric_source: MetricSource,
}

/// `metricSource`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct MetricSource {
    /// Name of a `DataSource` document, whose `connectionDetails` hold the shared part of
    /// the spec.
    pub(crate) metric_source_ref: Option<String>,
    /// Source type; slipstream reads only `slipstream`.
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    /// Type-specific spec, read as [`SlipstreamSpec`] for `type: slipstream`.
    #[serde(default)]
    pub(crate) spec: serde_yaml_ng::Value,
}

/// The spec of a `type: slipstream` metric source: which requests, and which are good.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SlipstreamSpec {
    /// A service of the Pipeline (default: the SLO's `spec.service`).
    pub(crate) service: Option<String>,
    /// On `good`/`bad`: a latency SLI — good when the status is not 5xx and the latency is
    /// at most this duration (`300ms`). Without it the SLI is availability (not 5xx).
    pub(crate) latency_threshold: Option<String>,
    /// On a `thresholdMetric`: what each request contributes; only `latency_ms`.
    pub(crate) value: Option<String>,
    /// On `total` or a `thresholdMetric`: extra selectors within the service; requests they
    /// do not match are left out of the SLO.
    #[serde(rename = "match")]
    pub(crate) matcher: Option<super::raw::MatchSpec>,
    /// On `good`/`bad` or a `thresholdMetric`: statuses that make a request bad, as codes
    /// (`503`) or classes (`"5xx"`); default `["5xx"]`.
    pub(crate) bad_status: Option<Vec<serde_yaml_ng::Value>>,
}

/// `kind: SLO`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct SloSpec {
    /// Free text.
    #[allow(dead_code)]
    pub(crate) description: Option<String>,
    /// The service (a service of the Pipeline).
    pub(crate) service: String,
    /// Inline SLI.
    pub(crate) indicator: Option<InlineSli>,
    /// Name of an SLI document.
    pub(crate) indicator_ref: Option<String>,
    /// Exactly one window.
    #[serde(default)]
    pub(crate) time_window: Vec<TimeWindow>,
    /// `Occurrences`, `Timeslices` or `RatioTimeslices`.
    pub(crate) budgeting_method: String,
    /// One or more objectives.
    #[serde(default)]
    pub(crate) objectives: Vec<Objective>,
    /// Alert policies, inline or by `alertPolicyRef`.
    #[serde(default)]
    pub(crate) alert_policies: Vec<AlertPolicyItem>,
}

/// An SLO's inline `indicator`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InlineSli {
    /// Name of the inline SLI.
    #[allow(dead_code)]
    pub(crate) metadata: Metadata,
    /// The SLI.
    pub(crate) spec: SliSpec,
}

/// `timeWindow[]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct TimeWindow {
    /// Duration shorthand: `28d`, `4w`; calendar `1w`, `1M`, `1Q`.
    pub(crate) duration: String,
    /// Rolling (default `false` when `calendar` is set).
    pub(crate) is_rolling: Option<bool>,
    /// Calendar alignment.
    pub(crate) calendar: Option<CalendarSpec>,
}

/// `timeWindow[].calendar`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct CalendarSpec {
    /// `2024-01-01 00:00:00`: must start a week (Monday), month or quarter.
    pub(crate) start_time: String,
    /// IANA time zone.
    pub(crate) time_zone: String,
}

/// `objectives[]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Objective {
    /// Human-readable name.
    pub(crate) display_name: Option<String>,
    /// `lte`, `lt`, `gte`, `gt`: for a thresholdMetric.
    pub(crate) op: Option<String>,
    /// Threshold value for a thresholdMetric (milliseconds for `latency_ms`).
    pub(crate) value: Option<f64>,
    /// Target in `[0, 1)`.
    pub(crate) target: Option<f64>,
    /// Target in percent, `[0, 100)`.
    pub(crate) target_percent: Option<f64>,
    /// Ratio a slice must reach to be good (Timeslices).
    pub(crate) time_slice_target: Option<f64>,
    /// Slice width: a duration, or a number of minutes.
    pub(crate) time_slice_window: Option<serde_yaml_ng::Value>,
    /// A composite SLO's component: its inline SLI (exactly one of this and
    /// `indicatorRef` on every objective of a composite).
    pub(crate) indicator: Option<InlineSli>,
    /// A composite SLO's component: the name of its SLI document.
    pub(crate) indicator_ref: Option<String>,
    /// A composite SLO's component: its weight, greater than 0 (default 1).
    pub(crate) composite_weight: Option<f64>,
}

/// `alertPolicies[]`: a reference or an inline AlertPolicy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct AlertPolicyItem {
    /// Name of an AlertPolicy document.
    pub(crate) alert_policy_ref: Option<String>,
    /// `AlertPolicy` when inline.
    #[allow(dead_code)]
    pub(crate) kind: Option<String>,
    /// Inline policy name.
    #[allow(dead_code)]
    pub(crate) metadata: Option<Metadata>,
    /// Inline policy.
    pub(crate) spec: Option<AlertPolicySpec>,
}

/// `kind: AlertPolicy`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct AlertPolicySpec {
    /// Free text, reported as the alert's action.
    pub(crate) description: Option<String>,
    /// Notify without data (slipstream reports `no_data` instead).
    #[allow(dead_code)]
    pub(crate) alert_when_no_data: Option<bool>,
    /// Notify on resolution (a poller's concern).
    #[allow(dead_code)]
    pub(crate) alert_when_resolved: Option<bool>,
    /// Notify while breaching (the default behaviour).
    #[allow(dead_code)]
    pub(crate) alert_when_breaching: Option<bool>,
    /// Exactly one condition, inline or by `conditionRef`.
    #[serde(default)]
    pub(crate) conditions: Vec<ConditionItem>,
    /// Notification targets (routing is the poller's concern; accepted and ignored).
    #[serde(default)]
    #[allow(dead_code)]
    pub(crate) notification_targets: Vec<serde_yaml_ng::Value>,
}

/// `conditions[]`: a reference or an inline AlertCondition.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ConditionItem {
    /// Name of an AlertCondition document.
    pub(crate) condition_ref: Option<String>,
    /// `AlertCondition` when inline.
    #[allow(dead_code)]
    pub(crate) kind: Option<String>,
    /// Inline condition name.
    pub(crate) metadata: Option<Metadata>,
    /// Inline condition.
    pub(crate) spec: Option<AlertConditionSpec>,
}

/// `kind: AlertCondition`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlertConditionSpec {
    /// Free text.
    #[allow(dead_code)]
    pub(crate) description: Option<String>,
    /// Severity label (`page`, `ticket`, …).
    pub(crate) severity: String,
    /// The condition.
    pub(crate) condition: Condition,
}

/// `condition`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Condition {
    /// `burnrate` (the default and only kind).
    pub(crate) kind: Option<String>,
    /// `gt` or `gte`.
    pub(crate) op: String,
    /// Burn-rate factor.
    pub(crate) threshold: f64,
    /// The window the burn rate is measured over.
    pub(crate) lookback_window: String,
    /// How long the condition must hold before the alert fires (or, with
    /// `spec.openslo.alert_after: short_window`, the short window).
    pub(crate) alert_after: Option<String>,
}

/// `kind: AlertNotificationTarget` (accepted; routing is left to whoever polls alerts).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NotificationTargetSpec {
    /// Target, e.g. `slack`.
    #[allow(dead_code)]
    pub(crate) target: String,
    /// Free text.
    #[allow(dead_code)]
    pub(crate) description: Option<String>,
}

/// `kind: DataSource`: where metrics come from. slipstream reads `type: slipstream`, whose
/// `connectionDetails` are the shared part of a [`SlipstreamSpec`] for the metric sources that
/// name it in `metricSourceRef` (the service, the bad statuses, …).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct DataSourceSpec {
    /// Free text.
    #[allow(dead_code)]
    pub(crate) description: Option<String>,
    /// The source type; slipstream reads only `slipstream`.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// Type-specific details, read as [`SlipstreamSpec`] for `type: slipstream`.
    #[serde(default)]
    pub(crate) connection_details: serde_yaml_ng::Value,
}

/// A deserialized OpenSLO document.
#[derive(Debug)]
pub(crate) enum Parsed {
    Service(Box<Document<ServiceSpec>>),
    Sli(Box<Document<SliSpec>>),
    Slo(Box<Document<SloSpec>>),
    AlertPolicy(Box<Document<AlertPolicySpec>>),
    AlertCondition(Box<Document<AlertConditionSpec>>),
    NotificationTarget(Box<Document<NotificationTargetSpec>>),
    DataSource(Box<Document<DataSourceSpec>>),
}

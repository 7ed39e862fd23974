//! `spec.services[]` as written: a service's selectors, host split and catalog entries, and
//! its `capacity` and `canary` blocks; validated by [`crate::config::service`].

use serde::Deserialize;

/// One service.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServiceSpec {
    /// Unique name.
    pub(crate) name: String,
    /// Selectors; all that are set must match.
    #[serde(rename = "match", default)]
    pub(crate) matcher: MatchSpec,
    /// `host`: one sub-service per distinct host (see `max_hosts`); absent: no split.
    pub(crate) split_by: Option<String>,
    /// With `split_by: host`, the most hosts with their own sub-service (default 100,
    /// 1 to 10000); later hosts share `<service>:_overflow`.
    pub(crate) max_hosts: Option<i64>,
    /// Catalog: the owning team.
    pub(crate) owner: Option<String>,
    /// Catalog: how critical the service is, 1 (most) to 4.
    pub(crate) tier: Option<i64>,
    /// Catalog: the runbook an alert links to (http or https URL).
    pub(crate) runbook_url: Option<String>,
    /// Catalog: the service's dashboard (http or https URL).
    pub(crate) dashboard_url: Option<String>,
    /// Catalog: the on-call rotation.
    pub(crate) oncall: Option<String>,
    /// Catalog: free labels added to every alert and info series.
    #[serde(default)]
    pub(crate) labels: std::collections::BTreeMap<String, String>,
    /// What the service's instances can take, for the capacity view.
    pub(crate) capacity: Option<CapacitySpec>,
    /// A canary compared with its baseline.
    pub(crate) canary: Option<CanarySpec>,
}

/// `services[].canary`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CanarySpec {
    /// Selectors of the canary's events.
    pub(crate) canary: MatchSpec,
    /// Selectors of the baseline's events.
    pub(crate) baseline: MatchSpec,
    /// The window compared when a query names none (default 30m).
    pub(crate) window: Option<String>,
    /// How long counts are kept: the longest window a query may ask for (default 1h).
    pub(crate) retention: Option<String>,
    /// Fewest requests each variant needs before a verdict (default 1000).
    pub(crate) min_requests: Option<i64>,
    /// Largest tolerated excess of the canary's error rate, in percentage points (default 0.1).
    pub(crate) max_error_rate_increase: Option<f64>,
    /// Largest tolerated excess of the canary's p95 latency (default 50ms).
    pub(crate) max_p95_increase: Option<String>,
    /// Confidence a test needs that the canary is worse (default 0.95).
    pub(crate) confidence: Option<f64>,
}

/// `services[].capacity`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CapacitySpec {
    /// Requests per second one instance takes.
    pub(crate) max_rps: Option<f64>,
    /// Requests in flight one instance takes.
    pub(crate) max_concurrency: Option<f64>,
    /// Instances running.
    pub(crate) instances: i64,
    /// Spare capacity wanted above the peak, a ratio (default 0.5).
    pub(crate) headroom: Option<f64>,
}

/// `services[].match`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MatchSpec {
    /// Host, case-insensitive, `*.` prefix for subdomains.
    pub(crate) host: Option<String>,
    /// Path prefix.
    pub(crate) path_prefix: Option<String>,
    /// Method.
    pub(crate) method: Option<String>,
    /// Backend / ALB target group name or ARN.
    pub(crate) backend: Option<String>,
}

//! The configuration as written: serde structs mirroring the YAML, with no interpretation.
//!
//! Every struct denies unknown fields so a typo is an error, not a silently ignored setting.
//! The stage modules beside this one (`source`, `decode`, `window`, `http`, `service`,
//! `reliability`, `policy`, …) validate these into typed configuration. The source's own
//! structs live in [`super::source`].

use std::collections::BTreeMap;

use serde::Deserialize;

/// One YAML document: `apiVersion`, `kind`, `metadata`, `spec`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Document<S> {
    /// `slipstream/v1` or `reliability/v1`.
    #[allow(dead_code)]
    pub(crate) api_version: String,
    /// `Pipeline`, `ServiceLevelObjective` or `ErrorBudgetPolicy`.
    #[allow(dead_code)]
    pub(crate) kind: String,
    /// Name and labels.
    pub(crate) metadata: Metadata,
    /// The kind-specific body.
    pub(crate) spec: S,
}

/// Document metadata.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Metadata {
    /// Document name.
    pub(crate) name: String,
    /// Free-form labels (kept for compatibility, unused).
    #[serde(default)]
    #[allow(dead_code)]
    pub(crate) labels: BTreeMap<String, String>,
    /// Free-form annotations (kept for compatibility, unused).
    #[serde(default)]
    #[allow(dead_code)]
    pub(crate) annotations: BTreeMap<String, String>,
}

/// `kind: Pipeline`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PipelineSpec {
    /// HTTP listen address, default `127.0.0.1:9977`.
    pub(crate) listen: Option<String>,
    /// Where lines come from: one of `kafka`, `file`, `stdin`, `demo`, read by
    /// [`super::source`] as a [`super::source::SourceSpec`].
    pub(crate) source: serde_yaml_ng::Value,
    /// How lines are decoded.
    pub(crate) decode: DecodeSpec,
    /// Services, matched in order.
    pub(crate) services: Vec<ServiceSpec>,
    /// Event-time tolerances.
    #[serde(default)]
    pub(crate) window: WindowSpec,
    /// Durable state.
    pub(crate) checkpoint: Option<CheckpointSpec>,
    /// This instance as a member of a cluster.
    pub(crate) cluster: Option<ClusterSpec>,
    /// How OpenSLO documents are read.
    pub(crate) openslo: Option<OpensloOptions>,
    /// Push firing alerts to an Alertmanager.
    pub(crate) alertmanager: Option<AlertmanagerSpec>,
    /// HTTP server settings.
    pub(crate) http: Option<HttpSpec>,
    /// Burn attribution: which requests the bad events are.
    pub(crate) attribution: Option<AttributionSpec>,
}

/// `spec.attribution`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AttributionSpec {
    /// Dimensions: `path`, `status`, `backend`, `host`, `method`, `client` (default the
    /// first five: `client` is personal data, kept only when named).
    pub(crate) by: Option<Vec<String>>,
    /// Entries per table and minute (default 32, 4 to 1024).
    pub(crate) keys_per_minute: Option<i64>,
    /// How far back contributors can be asked for, whole minutes (default `1h`, at most `24h`).
    pub(crate) retention: Option<String>,
    /// Path templates, first match wins (`/users/{id}/orders`, `/static/*`).
    #[serde(default)]
    pub(crate) paths: Vec<String>,
    /// Prefix lengths the `client` dimension keeps (default /24 and /48).
    pub(crate) client_prefix: Option<ClientPrefixSpec>,
}

/// `spec.attribution.client_prefix`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClientPrefixSpec {
    /// IPv4 prefix length, 8 to 24 (default 24).
    pub(crate) ipv4: Option<i64>,
    /// IPv6 prefix length, 16 to 48 (default 48).
    pub(crate) ipv6: Option<i64>,
}

/// `spec.http`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HttpSpec {
    /// Require a bearer token on every endpoint but `/healthz` and `/readyz`.
    pub(crate) auth: Option<AuthSpec>,
    /// Serve HTTPS only, with this certificate and key.
    pub(crate) tls: Option<TlsSpec>,
    /// Accept writes (annotations) without `auth`: only on a trusted network.
    #[serde(default)]
    pub(crate) allow_unauthenticated_writes: bool,
}

/// `spec.http.tls`: PEM files, both required, read at start.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TlsSpec {
    /// The certificate chain, leaf first.
    pub(crate) cert_file: String,
    /// The private key (PKCS#8, PKCS#1 or SEC1) of the leaf certificate.
    pub(crate) key_file: String,
}

/// `spec.http.auth`: exactly one of `token_file`, `token_env`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuthSpec {
    /// A file holding the token (surrounding whitespace ignored), read at start.
    pub(crate) token_file: Option<String>,
    /// An environment variable holding the token, read at start.
    pub(crate) token_env: Option<String>,
}

/// `spec.alertmanager`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlertmanagerSpec {
    /// Base URL of the Alertmanager, `http://host:port` (alerts go to `/api/v2/alerts`).
    pub(crate) url: String,
    /// How often to evaluate and send (default `30s`).
    pub(crate) interval: Option<String>,
    /// Resend a still-firing alert this often (default `1m`).
    pub(crate) resend: Option<String>,
    /// Give up on one request after this long (default `5s`).
    pub(crate) timeout: Option<String>,
}

/// `spec.openslo`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OpensloOptions {
    /// Accept known deviations of published examples with a warning (default `false`).
    #[serde(default)]
    pub(crate) lenient: bool,
    /// How `alertAfter` is read: `hold` (the default) or `short_window`.
    #[serde(default)]
    pub(crate) alert_after: super::openslo::AlertAfter,
}

/// `spec.cluster`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClusterSpec {
    /// Cluster name: the prefix of its Kafka topics.
    pub(crate) name: String,
    /// This instance's URL as peers and the page show it; `${NAME}` expands.
    pub(crate) advertise_url: String,
    /// Stable member id (default: the `group.instance.id` option, else the host name).
    pub(crate) member_id: Option<String>,
    /// Longest time between two deltas of one raw partition (default `200ms`).
    pub(crate) flush_interval: Option<String>,
    /// Time between snapshots (default `1m`).
    pub(crate) snapshot_interval: Option<String>,
    /// A member without a heartbeat this long is gone (default `10s`).
    pub(crate) member_timeout: Option<String>,
    /// Ready while the log applied is at most this far behind its end (default `5s`).
    pub(crate) max_apply_lag: Option<String>,
    /// Replicas of the cluster's topics when slipstream creates them (default: as many
    /// brokers as the cluster has, at most 3).
    pub(crate) replication_factor: Option<i64>,
}

/// `spec.checkpoint`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckpointSpec {
    /// Directory for checkpoint files.
    pub(crate) dir: String,
    /// How often to checkpoint (default `10s`).
    pub(crate) interval: Option<String>,
}

/// `spec.decode`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecodeSpec {
    /// `none` (default), `json`, `vector`, `filebeat` or `fluentbit`.
    pub(crate) envelope: Option<String>,
    /// A format's name, one of `crate::decode::Format::ALL` (README "Formats").
    pub(crate) format: String,
    /// Key mapping of `format: json` (required with it, rejected with any other format).
    pub(crate) json: Option<JsonSpec>,
    /// The `log_format` of `format: nginx` (rejected with any other format).
    pub(crate) nginx: Option<NginxSpec>,
    /// The format string of `format: envoy` (rejected with any other format).
    pub(crate) envoy: Option<EnvoySpec>,
    /// The `log-format` of `format: haproxy` (rejected with any other format).
    pub(crate) haproxy: Option<HaproxySpec>,
    /// The producer of `format: w3c` logs (required with it, rejected with any other).
    pub(crate) w3c: Option<W3cSpec>,
    /// The duration attribute of `format: otel_http` (rejected with any other format).
    pub(crate) otel_http: Option<OtelHttpSpec>,
    /// The bounds of an OTLP batch (only with an `otlp_proto` or `otlp_json` envelope).
    pub(crate) otlp: Option<OtlpSpec>,
    /// Longest accepted line or message, bytes (default 65536); longer ones are rejected.
    pub(crate) max_line_bytes: Option<u64>,
    /// Append undecodable lines to a file.
    pub(crate) dead_letter: Option<DeadLetterSpec>,
}

/// `spec.decode.dead_letter`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeadLetterSpec {
    /// The file, created if missing, appended to.
    pub(crate) path: String,
    /// Stop writing when the file would grow past this many bytes (default 100 MiB).
    pub(crate) max_bytes: Option<u64>,
}

/// `spec.decode.nginx`: the `log_format` nginx writes. Exactly one of `preset`, `log_format`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NginxSpec {
    /// A named format: `combined`, `combined_timed`, `main` or `ingress_nginx`.
    pub(crate) preset: Option<String>,
    /// The format string, or the whole pasted `log_format` directive.
    pub(crate) log_format: Option<String>,
    /// `request_time` or `upstream_response_time` (default: the first the format has).
    pub(crate) latency: Option<String>,
}

/// `spec.decode.otel_http`: which attribute holds a record's duration, in which unit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OtelHttpSpec {
    /// The attribute (default `http.server.request.duration`).
    pub(crate) duration_attribute: Option<String>,
    /// `ns`, `us`, `ms` or `s` (default `s`).
    pub(crate) duration_unit: Option<String>,
}

/// `spec.decode.otlp`: the bounds of one OTLP batch message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OtlpSpec {
    /// The largest message, bytes (default 16 MiB).
    pub(crate) max_batch_bytes: Option<u64>,
    /// The most log records in one message (default 65536).
    pub(crate) max_batch_records: Option<u64>,
}

/// `spec.decode.w3c`: who writes the W3C extended log.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct W3cSpec {
    /// `cloudfront` (tabs, `time-taken` in seconds) or `iis` (spaces, milliseconds).
    pub(crate) preset: String,
}

/// `spec.decode.envoy`: the access-log format Envoy writes. Exactly one of `preset`, `format`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EnvoySpec {
    /// A named format: `envoy` (Envoy's default) or `istio` (Istio's default).
    pub(crate) preset: Option<String>,
    /// The format string, with its command operators.
    pub(crate) format: Option<String>,
}

/// `spec.decode.haproxy`: the `log-format` HAProxy writes. Exactly one of `preset`,
/// `log_format`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HaproxySpec {
    /// A named format: `httplog`, `httplog_legacy` or `httpslog`.
    pub(crate) preset: Option<String>,
    /// The `log-format` string.
    pub(crate) log_format: Option<String>,
}

/// `spec.decode.json`: which keys of a JSON line hold what. Every `*_field` is a key, or a
/// dotted path (`http.response.status_code`) into nested objects.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JsonSpec {
    /// A named mapping (`caddy`) whose keys apply where this block sets none.
    pub(crate) preset: Option<String>,
    /// Key of the event time (required without a preset).
    pub(crate) time_field: Option<String>,
    /// `rfc3339` (default), `epoch_s`, `epoch_ms` or `epoch_us`.
    pub(crate) time_format: Option<String>,
    /// Key of the HTTP status (required without a preset).
    pub(crate) status_field: Option<String>,
    /// Key of the latency; without it every latency is unknown.
    pub(crate) latency_field: Option<String>,
    /// Unit of the latency: `s`, `ms` or `us` (required with `latency_field`).
    pub(crate) latency_unit: Option<String>,
    /// Key of the request method.
    pub(crate) method_field: Option<String>,
    /// Key of the host (a port is dropped); wins over the host of `url_field`.
    pub(crate) host_field: Option<String>,
    /// Key of the path (a query string is dropped).
    pub(crate) path_field: Option<String>,
    /// Key of a URL or request target, giving the path and, when absolute, the host; not
    /// together with `path_field`.
    pub(crate) url_field: Option<String>,
    /// Key of the backend.
    pub(crate) backend_field: Option<String>,
    /// Key of the request id.
    pub(crate) request_id_field: Option<String>,
    /// Key of the client's IP address (a port is dropped); personal data, read only by the
    /// `client` attribution dimension.
    pub(crate) client_field: Option<String>,
}

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

/// `spec.window`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WindowSpec {
    /// How far evaluation trails the newest event (default `0s`).
    pub(crate) allowed_lateness: Option<String>,
    /// Events further ahead of the wall clock are dropped (default `5m`).
    pub(crate) max_future: Option<String>,
    /// A partition silent for this long stops holding evaluation back (default `1m`).
    pub(crate) idle_timeout: Option<String>,
    /// How far a lagging partition may hold evaluation back behind the newest event (default `5m`).
    pub(crate) max_partition_lag: Option<String>,
    /// De-duplication by request id; off when absent.
    pub(crate) dedup: Option<DedupSpec>,
    /// Daily history kept per SLO for period reports, whole days (default `400d`; `0d`: none).
    pub(crate) history: Option<String>,
}

/// `spec.window.dedup`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DedupSpec {
    /// Ids are remembered while their event time is this close to the newest (default `15m`).
    pub(crate) window: Option<String>,
    /// At most this many ids are remembered per partition (default 200000).
    pub(crate) max_ids_per_partition: Option<u64>,
}

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

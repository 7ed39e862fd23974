//! The configuration as written: serde structs mirroring the YAML, with no interpretation.
//!
//! Every struct denies unknown fields so a typo is an error, not a silently ignored setting.
//! The stage modules beside this one (`source`, `decode`, `window`, `http`, `service`,
//! `reliability`, `policy`, …) validate these into typed configuration.
//!
//! This file holds the document envelope and the Pipeline with its smaller blocks (`http`,
//! `alertmanager`, `openslo`, `cluster`, `checkpoint`, `window`, `attribution`); the larger
//! parts live beside it, one per part of the configuration: [`decode`] (`spec.decode`),
//! [`service`] (`spec.services[]`), [`reliability`] (ServiceLevelObjective), [`policy`]
//! (ErrorBudgetPolicy) and [`adjustment`] (BudgetAdjustment), all re-exported here. The
//! source's own structs live in [`super::source`].

mod adjustment;
mod decode;
mod policy;
mod reliability;
mod service;

use std::collections::BTreeMap;

use serde::Deserialize;

pub(crate) use self::adjustment::*;
pub(crate) use self::decode::*;
pub(crate) use self::policy::*;
pub(crate) use self::reliability::*;
pub(crate) use self::service::*;

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

//! Configuration: YAML documents in, typed settings for every stage out.
//!
//! Loading has two steps. [`load`] splits the YAML stream into documents and deserializes
//! each into the raw structs of [`raw`] (unknown fields are errors, reported with their
//! field path); then [`validate`] dispatches every document to the module that owns it and
//! builds the typed [`Config`]. Each stage's block is checked beside it: [`source`],
//! [`decode`], [`window`], [`http`], [`checkpoint`], [`alertmanager`], [`service`] (through
//! [`pipeline`]); `reliability/v1` SLOs in [`reliability`] and [`periods`], policies in
//! [`policy`], OpenSLO in [`openslo`]; both SLO dialects build through [`objective`].
//! Every check reports into one [`problems::Problems`] at a [`path::At`] location, so one
//! run lists everything that is wrong, each with its file, document and field path. Every
//! document is checked, whether or not the Pipeline is valid and whether or not anything
//! refers to it. Validation does no I/O (files named by a source are opened by the source),
//! except that it reads the `spec.http.tls` certificate and key: a bad one is a config error.
//!
//! Kinds: `slipstream/v1 Pipeline` (exactly one), `reliability/v1 ServiceLevelObjective`
//! and `reliability/v1 ErrorBudgetPolicy`, and the OpenSLO v1 kinds of [`openslo`] (any
//! number). A YAML document may also be a list of such objects.

mod adjustment;
mod alertmanager;
mod attribution;
mod canary;
mod capacity;
mod catalog;
mod checkpoint;
mod cluster;
mod decode;
mod gate;
mod http;
mod load;
mod objective;
pub(crate) mod openslo;
mod path;
mod periods;
mod pipeline;
mod policy;
mod problems;
pub(crate) mod raw;
mod reliability;
mod service;
mod source;
mod split;
mod validate;
mod window;

#[cfg(test)]
mod composite_tests;
#[cfg(test)]
mod format_tests;
#[cfg(test)]
mod openslo_alert_tests;
#[cfg(test)]
mod openslo_indicator_tests;
#[cfg(test)]
mod openslo_lenient_tests;
#[cfg(test)]
mod openslo_tests;
#[cfg(test)]
mod openslo_window_tests;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;

use self::problems::Problems;
pub use self::source::SourceConfig;
use crate::classify::{Service, SloRule};
use crate::decode::Format;
use crate::decode::FormatOptions;
use crate::decode::envelope::Envelope;
use crate::decode::ingest::{BatchLimits, Limits};
use crate::evaluate::SloObjective;
pub use crate::tls::TlsConfig;
use crate::window::WindowConfig;

/// The embedded demo configuration (`config/demo.yaml`), used by `slipstream demo`.
pub const DEMO_CONFIG: &str = include_str!("../../config/demo.yaml");

/// A validated configuration: what only a restart applies, what a reload applies, and the
/// warnings of lenient OpenSLO mode.
#[derive(Debug, Clone)]
pub struct Config {
    /// Settings read once at start; a reload that changes any of them is rejected.
    pub start: StartConfig,
    /// Settings a reload applies (the pipeline's generation of decoding, classification
    /// and objectives is built from these alone).
    pub reload: ReloadConfig,
    /// Deviations accepted in lenient OpenSLO mode, each with its location.
    pub warnings: Vec<Problem>,
    /// What `slipstream validate --strict` warns about (catalog gaps: an alerting SLO
    /// without a runbook, a tier-1 service without an owner, an objective weaker than its
    /// tier), each with its location.
    pub review: Vec<Problem>,
}

/// The settings the process reads once, at start. A reload compares them with `==` and is
/// rejected, naming each changed field, when they differ: a new setting placed here cannot
/// be silently ignored by a reload.
#[derive(Debug, Clone, PartialEq)]
pub struct StartConfig {
    /// Pipeline name (`metadata.name`).
    pub name: String,
    /// HTTP listen address (`spec.listen`).
    pub listen: SocketAddr,
    /// Where lines come from (`spec.source`).
    pub source: SourceConfig,
    /// Longest accepted line or message, bytes (`spec.decode.max_line_bytes`); with an OTLP
    /// envelope, the longest log record.
    pub max_line_bytes: usize,
    /// The bounds of an OTLP batch (`spec.decode.otlp`): `Some` exactly when the envelope
    /// is `otlp_proto` or `otlp_json`, so a reload to or from one needs a restart (the
    /// sources' cut on a payload depends on it).
    pub batch: Option<BatchLimits>,
    /// Where undecodable lines are written (`spec.decode.dead_letter`); `None`: nowhere.
    pub dead_letter: Option<DeadLetterConfig>,
    /// Where and how often state is checkpointed (`spec.checkpoint`); `None` keeps state in
    /// memory only.
    pub checkpoint: Option<CheckpointConfig>,
    /// This instance as a cluster member (`spec.cluster`); `None`: a single instance.
    pub cluster: Option<ClusterConfig>,
    /// Where firing alerts are pushed (`spec.alertmanager`); `None`: nowhere (pollers only).
    pub alertmanager: Option<AlertmanagerConfig>,
    /// Where the HTTP bearer token comes from (`spec.http.auth`); `None`: no authentication.
    pub http_auth: Option<TokenSource>,
    /// The HTTPS certificate and key (`spec.http.tls`); `None`: plain HTTP.
    pub http_tls: Option<TlsConfig>,
    /// Writes (annotations) accepted without a bearer token
    /// (`spec.http.allow_unauthenticated_writes`).
    pub http_open_writes: bool,
}

impl StartConfig {
    /// The size limits of the ingest path.
    pub fn limits(&self) -> Limits {
        Limits {
            max_line_bytes: self.max_line_bytes,
            batch: self.batch.unwrap_or_default(),
        }
    }

    /// The longest payload a source must keep whole: a line, or with an OTLP envelope a
    /// batch message (a longer one is rejected as too long either way).
    pub fn max_payload_bytes(&self) -> usize {
        self.batch.map_or(self.max_line_bytes, |b| {
            b.max_bytes.max(self.max_line_bytes)
        })
    }

    /// The config paths of the fields that differ between `self` and `other`, in document
    /// order (empty exactly when they are equal).
    pub fn changed_fields(&self, other: &StartConfig) -> Vec<&'static str> {
        // Destructured without `..`: a new field does not compile until it is listed here.
        let StartConfig {
            name,
            listen,
            source,
            max_line_bytes,
            batch,
            dead_letter,
            checkpoint,
            cluster,
            alertmanager,
            http_auth,
            http_tls,
            http_open_writes,
        } = self;
        let mut changed = Vec::new();
        let mut check = |same: bool, path: &'static str| {
            if !same {
                changed.push(path);
            }
        };
        check(*name == other.name, "metadata.name");
        check(*listen == other.listen, "spec.listen");
        check(*source == other.source, "spec.source");
        check(
            *max_line_bytes == other.max_line_bytes,
            "spec.decode.max_line_bytes",
        );
        check(*batch == other.batch, "spec.decode.otlp");
        check(*dead_letter == other.dead_letter, "spec.decode.dead_letter");
        match (checkpoint, &other.checkpoint) {
            (Some(a), Some(b)) => {
                check(a.dir == b.dir, "spec.checkpoint.dir");
                check(a.interval_us == b.interval_us, "spec.checkpoint.interval");
            }
            (a, b) => check(a.is_none() == b.is_none(), "spec.checkpoint"),
        }
        check(*cluster == other.cluster, "spec.cluster");
        check(*alertmanager == other.alertmanager, "spec.alertmanager");
        check(*http_auth == other.http_auth, "spec.http.auth");
        check(*http_tls == other.http_tls, "spec.http.tls");
        check(
            *http_open_writes == other.http_open_writes,
            "spec.http.allow_unauthenticated_writes",
        );
        changed
    }
}

/// The settings a reload applies: how lines are decoded and classified, the SLOs and their
/// policies, and the event-time tolerances. The pipeline's generation (decoder,
/// classifier, objectives, window store) is built from these alone.
#[derive(Debug, Clone)]
pub struct ReloadConfig {
    /// Access-log format (`spec.decode.format`).
    pub format: Format,
    /// Shipper envelope around each line (`spec.decode.envelope`).
    pub envelope: Envelope,
    /// The format's settings: the key mapping of `json` (`Some` exactly when `format` is
    /// `json`), nginx's compiled `log_format`.
    pub options: FormatOptions,
    /// Event-time tolerances and de-duplication (`spec.window`).
    pub window: WindowConfig,
    /// Whether OpenSLO documents were read in lenient mode (`spec.openslo.lenient`): a
    /// reload reads the new documents in the new mode.
    pub openslo_lenient: bool,
    /// Services, in match order.
    pub services: Vec<Service>,
    /// Per service (same order): its `max_hosts` when it is split by host (`split_by:
    /// host`), `None` when it is not split.
    pub splits: Vec<Option<usize>>,
    /// Per SLO: how events are classified (same order as `objectives`).
    pub rules: Vec<SloRule>,
    /// Per SLO: what it is held to and which alerts it has.
    pub objectives: Vec<SloObjective>,
    /// Per service (same order as `services`): its catalog entry (`spec.services[].owner`,
    /// `tier`, `runbook_url`, `dashboard_url`, `oncall`, `labels`).
    pub catalogs: Vec<std::sync::Arc<crate::catalog::ServiceCatalog>>,
    /// Per service (same order): its configured capacity (`spec.services[].capacity`).
    pub capacity: Vec<Option<crate::evaluate::capacity::CapacityPlan>>,
    /// Per service (same order): its canary comparison (`spec.services[].canary`).
    pub canaries: Vec<Option<std::sync::Arc<crate::classify::canary::CanaryConfig>>>,
    /// Burn attribution (`spec.attribution`); `None`: off.
    pub attribution: Option<std::sync::Arc<crate::classify::attribution::AttributionConfig>>,
}

impl ReloadConfig {
    /// The service catalog: every service with its catalog entry and SLOs.
    pub fn catalog(&self) -> Vec<crate::catalog::CatalogEntry> {
        catalog::listing(&self.services, &self.catalogs, &self.objectives)
    }
}

/// This instance as a member of a cluster (`spec.cluster`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// Cluster name: the prefix of its topics (`<name>.log`, `<name>.snapshots`).
    pub name: String,
    /// This instance's URL as peers and the page show it.
    pub advertise_url: String,
    /// This member's id: orders claims and decides which member pushes alerts.
    pub member_id: String,
    /// Longest time between two deltas of one raw partition, µs.
    pub flush_interval_us: i64,
    /// Time between snapshots, µs.
    pub snapshot_interval_us: i64,
    /// A member without a heartbeat this long is gone, µs.
    pub member_timeout_us: i64,
    /// Ready while the log applied is at most this far behind its end, µs.
    pub max_apply_lag_us: i64,
    /// Replicas of the cluster's topics when slipstream creates them; `None`: as many
    /// brokers as the Kafka cluster has, at most [`crate::cluster::log::DEFAULT_REPLICAS`].
    pub replication_factor: Option<i32>,
}

/// Where the HTTP bearer token is read from at start (`spec.http.auth`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// A file (`token_file`).
    File(std::path::PathBuf),
    /// An environment variable (`token_env`).
    Env(String),
}

/// The dead-letter file (`spec.decode.dead_letter`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterConfig {
    /// The file.
    pub path: std::path::PathBuf,
    /// Largest size the file may reach, bytes.
    pub max_bytes: u64,
}

/// Checkpoint settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointConfig {
    /// Directory of checkpoint files.
    pub dir: std::path::PathBuf,
    /// Interval between checkpoints, µs.
    pub interval_us: i64,
}

/// Alertmanager push settings (`spec.alertmanager`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertmanagerConfig {
    /// Base URL, `http://host:port[/prefix]`, without a trailing slash.
    pub url: String,
    /// Evaluation and send interval, µs.
    pub interval_us: i64,
    /// Resend interval of a still-firing alert, µs.
    pub resend_us: i64,
    /// Timeout of one request, µs.
    pub timeout_us: i64,
}

/// One problem in a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `file: document N (Kind name): field.path`.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

/// Every problem found in a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The problems, in document order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "{n} configuration error{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            writeln!(f, "  {}: {}", p.location, p.message)?;
        }
        Ok(())
    }
}

/// Reads and validates the configuration file at `path`.
pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
    let origin = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, &origin),
        Err(e) => Err(ConfigError {
            problems: vec![Problem {
                location: origin,
                message: format!("cannot read: {e}"),
            }],
        }),
    }
}

/// Parses and validates configuration text; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
    let mut problems = Problems::default();
    let docs = load::documents(text, origin, &mut problems);
    let config = validate::validate(docs, origin, &mut problems);
    let (errors, warnings) = problems.finish();
    match config {
        Some(mut c) if errors.is_empty() => {
            for w in &warnings {
                tracing::warn!(location = %w.location, "{}", w.message);
            }
            c.warnings = warnings;
            Ok(c)
        }
        _ => Err(ConfigError { problems: errors }),
    }
}

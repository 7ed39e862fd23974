//! The read side of the pipeline: everything the HTTP API and outbound notifications need
//! from it, and nothing more.
//!
//! [`ReadSide`] evaluates (every SLO, or one), hands out the current objectives and window
//! store (for the step-by-step series), says whether the pipeline is ready, and takes a
//! [`Telemetry`] snapshot of the process's own counters. `app` implements it for its
//! pipeline; tests implement it to hold an evaluation back. Every method may take a short
//! lock; [`evaluate_all`](ReadSide::evaluate_all) and
//! [`evaluate_one`](ReadSide::evaluate_one) cost CPU (milliseconds for thousands of SLOs), so
//! callers on an async runtime run them on a blocking thread.

use std::sync::Arc;

use crate::annotations::{Annotation, AnnotationError, NewAnnotation};
use crate::checkpoint::CheckpointStats;
use crate::cluster::record::AlertTimes;
use crate::cluster::shared::{ClusterStats, ClusterStatus};
use crate::evaluate::{Evaluation, SloObjective};
use crate::source::SourceTelemetry;
use crate::window::adjust::Refused;
use crate::window::{DeclaredState, Store};

/// Read access to a running pipeline.
pub trait ReadSide: Send + Sync + 'static {
    /// Evaluates every SLO of the current configuration now.
    fn evaluate_all(&self) -> Evaluated;
    /// Evaluates only SLO `slo` of service (or sub-service) `service` now: the report has it
    /// alone, or nothing when there is no such SLO.
    fn evaluate_one(&self, service: &str, slo: &str) -> Evaluation;
    /// The current configuration's objectives and the window store they are counted in.
    fn view(&self) -> View;
    /// Wall clock, µs.
    fn now_us(&self) -> i64;
    /// Whether the pipeline is ready, for `/readyz`.
    fn readiness(&self) -> Readiness;
    /// The process's own counters, for `/metrics`.
    fn telemetry(&self) -> Telemetry;
    /// The service catalog (`GET /v1/catalog`): every service with its catalog entry and
    /// SLOs, in configuration order.
    fn catalog(&self) -> Vec<crate::catalog::CatalogEntry> {
        Vec::new()
    }
    /// The capacity of every service named for which `keep` is true (`GET /v1/capacity`);
    /// `None` where capacity is not counted.
    fn capacity(
        &self,
        keep: &dyn Fn(&str) -> bool,
    ) -> Option<crate::evaluate::capacity::CapacityReport> {
        let _ = keep;
        None
    }
    /// The top contributors of SLO `slo` of `service`'s bad events (`GET
    /// /v1/slos/{service}/{slo}/contributors`): by dimension `by`, over `window`, `limit` of
    /// them (each defaulted when `None`).
    fn contributors(
        &self,
        service: &str,
        slo: &str,
        by: Option<&str>,
        window: Option<&str>,
        limit: Option<usize>,
    ) -> Result<
        crate::evaluate::contributors::ContributorsReport,
        crate::evaluate::contributors::Refusal,
    > {
        let _ = (service, slo, by, window, limit);
        Err(crate::evaluate::contributors::Refusal::Off)
    }
    /// The canary comparison of `service` over `window` (its default when `None`), `GET
    /// /v1/canary/{service}`.
    fn canary(
        &self,
        service: &str,
        window: Option<&str>,
    ) -> Result<crate::evaluate::canary::CanaryReport, crate::evaluate::canary::Refusal> {
        let _ = (service, window);
        Err(crate::evaluate::canary::Refusal::UnknownService)
    }
    /// The canary comparison of every service with one, over its default window (`GET
    /// /v1/canary`).
    fn canaries(&self) -> Vec<crate::evaluate::canary::CanaryReport> {
        Vec::new()
    }
    /// This member's view of its cluster (`GET /v1/cluster`); `None` for a single instance.
    fn cluster(&self) -> Option<ClusterStatus> {
        None
    }
    /// Whether this instance pushes alerts now: in a cluster, only one member does.
    fn may_notify(&self) -> bool {
        true
    }
    /// In a cluster, the firing alerts and since when (evaluation time, µs) as the member
    /// that pushes them decided, so every member reports the same `activeAt` and the next
    /// pusher keeps the `startsAt`; `None` for a single instance.
    fn alerts_since(&self) -> Option<AlertTimes> {
        None
    }
    /// In a cluster, makes `active` (the pusher's firing alerts and since when) the
    /// cluster's; nothing for a single instance.
    fn publish_alerts(&self, active: &AlertTimes) {
        let _ = active;
    }
    /// Adds annotation `new` (`POST /v1/annotations`, see [`crate::annotations`]).
    fn add_annotation(&self, new: NewAnnotation) -> Result<Annotation, AnnotationError> {
        let now = self.now_us();
        self.view().store.annotations().add(new, now)
    }
    /// Deletes annotation `id`; false when there is none.
    fn delete_annotation(&self, id: u64) -> Result<bool, AnnotationError> {
        Ok(self.view().store.annotations().delete(id))
    }
    /// Declares budget adjustment `d` (`POST /v1/adjustments`, see
    /// [`crate::window::adjust`]); refused where declarations are not supported.
    fn declare_adjustment(&self, d: DeclaredState) -> Result<(), Refused> {
        let _ = d;
        Err(Refused::NotHere(NOT_HERE.into()))
    }
    /// Removes the budget adjustment declared through the API as `name`.
    fn remove_adjustment(&self, name: &str) -> Result<(), Refused> {
        let _ = name;
        Err(Refused::NotHere(NOT_HERE.into()))
    }
}

/// Why an instance takes no budget adjustment through the API (one that implements no way).
pub const NOT_HERE: &str = "this instance takes no budget adjustment";

/// A full evaluation and the decode format of the configuration it evaluated.
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// Every SLO, evaluated.
    pub evaluation: Evaluation,
    /// The decode format's config name (`alb`, `nginx`, …), the `format` label of decode errors.
    pub format: &'static str,
    /// In a cluster: what this member knew of it when it evaluated (whether the counts are
    /// whole); `None` for a single instance.
    pub cluster: Option<ClusterStatus>,
}

/// Objectives and window state of one configuration, read together.
#[derive(Debug, Clone)]
pub struct View {
    /// SLO objectives, by SLO index.
    pub objectives: Arc<Vec<Arc<SloObjective>>>,
    /// Window state, shaped for these objectives.
    pub store: Arc<Store>,
}

/// What `/readyz` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    /// Ready (`Ok`), or why not.
    pub ready: Result<(), String>,
    /// Why the last configuration reload was rejected, when no reload succeeded since.
    pub last_reload_error: Option<String>,
    /// The restart-only fields (config paths) the last rejected reload changed.
    pub restart_required: Vec<&'static str>,
}

/// The process's own counters at one instant.
#[derive(Debug, Clone)]
pub struct Telemetry {
    /// Wall clock, µs.
    pub now_us: i64,
    /// The source has delivered data and can read.
    pub ready: bool,
    /// What the source reports about itself.
    pub source: Arc<SourceTelemetry>,
    /// Checkpoint counters.
    pub checkpoint: Arc<CheckpointStats>,
    /// Configuration reloads.
    pub reload: ReloadCounts,
    /// Requests that pushed alerts to Alertmanager.
    pub notifications: NotificationCounts,
    /// Undecodable lines and the dead-letter file.
    pub dead_letter: DeadLetterCounts,
    /// In a cluster: what the fold did and what this member wrote.
    pub cluster: Option<Arc<ClusterStats>>,
}

/// Configuration reloads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadCounts {
    /// Reloads applied.
    pub reloads: u64,
    /// Reloads rejected.
    pub failures: u64,
    /// The last reload was rejected (and none succeeded since).
    pub last_failed: bool,
    /// When the running configuration was loaded, µs.
    pub last_success_us: i64,
    /// The restart-only fields (config paths) the last rejected reload changed.
    pub restart_required: Vec<&'static str>,
}

/// Requests that pushed alerts to Alertmanager, by result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NotificationCounts {
    /// Answered with a 2xx status.
    pub ok: u64,
    /// Failed.
    pub failed: u64,
}

/// Lines written to, or dropped instead of being written to, the dead-letter file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeadLetterCounts {
    /// Written.
    pub written: u64,
    /// Not written (file full, or a write failed).
    pub dropped: u64,
}

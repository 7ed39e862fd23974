//! The read side of [`Pipeline`] for the HTTP API and the notifiers ([`ReadSide`]).
//!
//! Evaluations read the current generation once, so an evaluation, its objectives and its
//! decode format always belong to the same configuration, even while a reload installs the
//! next one. Readiness and telemetry read flags, counters and short locks only.

use std::sync::atomic::Ordering;

use super::Pipeline;
use crate::annotations::{Annotation, AnnotationError, NewAnnotation};
use crate::cluster::record::AlertTimes;
use crate::cluster::record::{AdjustmentChange, AnnotationChange};
use crate::cluster::shared::ClusterStatus;
use crate::evaluate::Evaluation;
use crate::serve::read::{
    DeadLetterCounts, Evaluated, NotificationCounts, ReadSide, Readiness, ReloadCounts, Telemetry,
    View,
};
use crate::window::DeclaredState;
use crate::window::adjust::Refused;

impl ReadSide for Pipeline {
    fn evaluate_all(&self) -> Evaluated {
        let g = self.generation();
        Evaluated {
            evaluation: self.evaluate_in(&g),
            format: g.format.name(),
            cluster: self.cluster(),
        }
    }

    fn evaluate_one(&self, service: &str, slo: &str) -> Evaluation {
        Pipeline::evaluate_one(self, service, slo)
    }

    fn view(&self) -> View {
        let g = self.generation();
        View {
            objectives: g.objectives.clone(),
            store: g.store.clone(),
        }
    }

    fn now_us(&self) -> i64 {
        self.clock.now_us()
    }

    fn catalog(&self) -> Vec<crate::catalog::CatalogEntry> {
        self.generation().config.catalog()
    }

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
        let g = self.generation();
        let scope = g
            .attribution_scope()
            .ok_or(crate::evaluate::contributors::Refusal::Off)?;
        crate::evaluate::contributors::answer(
            scope,
            &g.store,
            self.clock.now_us(),
            (service, slo),
            (by, window, limit),
        )
    }

    fn canary(
        &self,
        service: &str,
        window: Option<&str>,
    ) -> Result<crate::evaluate::canary::CanaryReport, crate::evaluate::canary::Refusal> {
        let g = self.generation();
        crate::evaluate::canary::answer(
            (&g.services, &g.config.canaries),
            |s| slo_names(&g, s),
            &g.store,
            self.clock.now_us(),
            (service, window),
        )
    }

    fn canaries(&self) -> Vec<crate::evaluate::canary::CanaryReport> {
        let g = self.generation();
        crate::evaluate::canary::every(
            (&g.services, &g.config.canaries),
            |s| slo_names(&g, s),
            &g.store,
            self.clock.now_us(),
        )
    }

    fn capacity(
        &self,
        keep: &dyn Fn(&str) -> bool,
    ) -> Option<crate::evaluate::capacity::CapacityReport> {
        let g = self.generation();
        let names: Vec<String> = g.config.services.iter().map(|s| s.name.clone()).collect();
        Some(crate::evaluate::capacity::capacity(
            &g.store,
            &names,
            &g.config.capacity,
            self.clock.now_us(),
            keep,
        ))
    }

    fn readiness(&self) -> Readiness {
        let ready = if let Some(c) = &self.cluster {
            // A member serves once its fold has caught up with the log, whatever raw
            // partitions it reads: a rebalance never takes every member out of service.
            let now = self.clock.now_us();
            if c.caught_up(now) && c.knows_partitions() {
                Ok(())
            } else {
                let f = c.fold();
                Err(if f.reset {
                    format!(
                        "the cluster log ends before offset {} this member applied: it was \
                         deleted or recreated; restart every member",
                        f.next
                    )
                } else if c.knows_partitions() {
                    format!(
                        "the cluster log is not applied up to a recent end (applied {} of {} \
                         records; the end must be seen within spec.cluster.max_apply_lag)",
                        f.next, f.end
                    )
                } else {
                    "the raw topics' partitions are not known yet".to_string()
                })
            }
        } else if self.ready.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(self
                .not_ready_reason
                .lock()
                .map(|r| r.clone())
                .unwrap_or_default())
        };
        Readiness {
            ready,
            last_reload_error: self.reload_stats.last_error(),
            restart_required: self.reload_stats.restart_required(),
        }
    }

    fn telemetry(&self) -> Telemetry {
        let r = &self.reload_stats;
        let n = &self.alertmanager_stats;
        let (written, dropped) = self.dead_letter.as_ref().map_or((0, 0), |d| {
            (
                d.written.load(Ordering::Relaxed),
                d.dropped.load(Ordering::Relaxed),
            )
        });
        Telemetry {
            now_us: self.clock.now_us(),
            // A cluster member is ready by its fold, not by its source (see `readiness`).
            ready: match &self.cluster {
                Some(_) => self.readiness().ready.is_ok(),
                None => self.ready.load(Ordering::SeqCst),
            },
            source: self.source_telemetry.clone(),
            checkpoint: self.checkpoint_stats.clone(),
            reload: ReloadCounts {
                reloads: r.reloads.load(Ordering::Relaxed),
                failures: r.failures.load(Ordering::Relaxed),
                last_failed: r.last_error().is_some(),
                last_success_us: r.last_success_us.load(Ordering::Relaxed),
                restart_required: r.restart_required(),
            },
            notifications: NotificationCounts {
                ok: n.ok.load(Ordering::Relaxed),
                failed: n.failed.load(Ordering::Relaxed),
            },
            dead_letter: DeadLetterCounts { written, dropped },
            cluster: self.cluster.as_ref().map(|c| c.stats.clone()),
        }
    }

    fn cluster(&self) -> Option<ClusterStatus> {
        let shared = self.cluster.as_ref()?;
        let g = self.generation();
        Some(shared.status(self.clock.now_us(), &g.fingerprints, &g.slo_ids, &g.store))
    }

    fn may_notify(&self) -> bool {
        // A member pushes only with the whole log applied: one that is starting or was
        // paused would push a stale view, or push beside the real pusher it has not heard.
        let now = self.clock.now_us();
        self.cluster
            .as_ref()
            .is_none_or(|c| c.caught_up(now) && c.is_pusher(now))
    }

    fn alerts_since(&self) -> Option<AlertTimes> {
        self.cluster.as_ref().map(|c| c.alerts())
    }

    fn publish_alerts(&self, active: &AlertTimes) {
        if let Some(c) = &self.cluster {
            c.publish_alerts(active, self.clock.now_us());
        }
    }

    fn add_annotation(&self, new: NewAnnotation) -> Result<Annotation, AnnotationError> {
        let store = self.generation().store.clone();
        let now = self.clock.now_us();
        let Some(c) = &self.cluster else {
            return store.annotations().add(new, now);
        };
        // Through the log, so every member adds it at the same place (and with the same id).
        store.annotations().check(&new)?;
        if !c.write_annotation(AnnotationChange::Add(new.clone()), now) {
            return Err(AnnotationError::Pending(NOT_OPEN.into()));
        }
        wait_applied(|| store.annotations().created(&new, now))
    }

    fn delete_annotation(&self, id: u64) -> Result<bool, AnnotationError> {
        let store = self.generation().store.clone();
        let Some(c) = &self.cluster else {
            return Ok(store.annotations().delete(id));
        };
        if !store.annotations().contains(id) {
            return Ok(false);
        }
        if !c.write_annotation(AnnotationChange::Delete(id), self.clock.now_us()) {
            return Err(AnnotationError::Pending(NOT_OPEN.into()));
        }
        wait_applied(|| (!store.annotations().contains(id)).then_some(true))
    }

    fn declare_adjustment(&self, d: DeclaredState) -> Result<(), Refused> {
        let Some(c) = &self.cluster else {
            return Pipeline::declare_adjustment(self, d);
        };
        // Through the log, so every member applies it to the same counts.
        self.check_declaration(&d)?;
        let (name, store) = (d.name.clone(), self.generation().store.clone());
        if !c.write_adjustment(AdjustmentChange::Declare(d), self.clock.now_us()) {
            return Err(Refused::Pending(NOT_OPEN.into()));
        }
        wait_applied(|| {
            store
                .declared()
                .iter()
                .any(|x| x.name == name)
                .then_some(())
        })
        .map_err(|e| Refused::Pending(e.to_string()))
    }

    fn remove_adjustment(&self, name: &str) -> Result<(), Refused> {
        let Some(c) = &self.cluster else {
            return Pipeline::remove_adjustment(self, name);
        };
        let store = self.generation().store.clone();
        if !store.declared().iter().any(|x| x.name == name) {
            // Refused as the single-instance path refuses it (configured, or unknown).
            return Pipeline::remove_adjustment(self, name);
        }
        let change = AdjustmentChange::Remove(name.to_string());
        if !c.write_adjustment(change, self.clock.now_us()) {
            return Err(Refused::Pending(NOT_OPEN.into()));
        }
        wait_applied(|| (!store.declared().iter().any(|x| x.name == name)).then_some(()))
            .map_err(|e| Refused::Pending(e.to_string()))
    }
}

/// Why a cluster member takes no write yet.
const NOT_OPEN: &str = "this member has not opened the cluster log yet: try again";

/// How long a member waits for its own write to come back from the cluster log.
const APPLY_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Polls `done` until it gives a value, for at most [`APPLY_WAIT`]: a write to the cluster
/// log answered once this member has applied it (so a read right after sees it).
fn wait_applied<T>(mut done: impl FnMut() -> Option<T>) -> Result<T, AnnotationError> {
    let deadline = std::time::Instant::now() + APPLY_WAIT;
    loop {
        if let Some(t) = done() {
            return Ok(t);
        }
        if std::time::Instant::now() >= deadline {
            return Err(AnnotationError::Pending(
                "written to the cluster log but not applied within 5 s; it will be".into(),
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The names of service `service`'s SLOs in `g`, in its SLO order.
fn slo_names(g: &crate::app::Generation, service: usize) -> Vec<String> {
    g.classifier
        .slos_of(service)
        .iter()
        .map(|&k| g.objectives[k].slo.to_string())
        .collect()
}

//! The pipeline as the cluster's fold target: the follower thread applies every member's
//! records to its store through it, and the snapshot thread cuts its state.

use std::sync::Arc;

use crate::app::{Generation, Pipeline};
use crate::checkpoint::Checkpoint;
use crate::cluster::fingerprint::Fingerprints;
use crate::cluster::record::Source;
use crate::cluster::shared::FoldTarget;
use crate::cluster::snapshot::Names;
use crate::window::Store;

impl FoldTarget for Pipeline {
    fn with_store(&self, f: &mut dyn FnMut(&Store, &Fingerprints)) {
        // Held while the record is applied: a reload waits for it, like for a batch.
        let g = self.read_generation();
        f(&g.store, &g.fingerprints);
    }

    fn adjust(&self, change: &crate::cluster::record::AdjustmentChange) {
        self.apply_declared(change);
    }

    fn applied_delta(&self) {
        // Every member folds the same deltas, so each records the same alert history.
        if self
            .record_alerts
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            let g = self.generation();
            crate::app::alert_minutes::advance(&g.objectives, &g.store, self.clock.now_us());
        }
    }

    fn fingerprints(&self) -> Arc<Fingerprints> {
        self.generation().fingerprints.clone()
    }

    fn lag(&self) -> Vec<(Source, i64)> {
        let lag = self
            .source_telemetry
            .lag
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default();
        lag.into_iter()
            .filter_map(|(name, lag)| {
                let (topic, partition) = name.rsplit_once('/')?;
                Some((
                    Source {
                        topic: topic.to_string(),
                        partition: partition.parse().ok()?,
                    },
                    lag,
                ))
            })
            .collect()
    }

    fn now_us(&self) -> i64 {
        self.clock.now_us()
    }

    fn cut(&self, now_us: i64) -> (Checkpoint, Names) {
        let g = self.read_generation();
        let state = Checkpoint::of(&g.store, &g.slo_ids, &g.services, now_us);
        (state, names_of(&g))
    }
}

/// The names and fingerprints of `g`'s SLOs and services.
pub(super) fn names_of(g: &Generation) -> Names {
    Names {
        slos: g
            .slo_ids
            .iter()
            .cloned()
            .zip(g.fingerprints.slos.iter().copied())
            .collect(),
        services: g
            .services
            .iter()
            .cloned()
            .zip(g.fingerprints.services.iter().copied())
            .collect(),
    }
}

//! Which alerts fire and since when, decided once for a cluster.
//!
//! Evaluation is stateless; "since when" is not. Each instance remembers the evaluation time
//! it first saw an alert firing ([`ActiveSince`]). In a cluster, the member that pushes
//! alerts ([`ReadSide::may_notify`]) also decides that time for everyone: whenever its
//! firing set or a time differs from the cluster's, it writes its own to the cluster's log
//! ([`ReadSide::publish_alerts`]), and every member (itself included) reports the cluster's
//! time over its own. The decision is in the log and the snapshots, so it survives the
//! pusher's death and a member's restart: the next pusher sends the same `startsAt`.
//!
//! With `spec.alertmanager`, the [`Notifier`](super::alertmanager::Notifier) decides at each
//! of its ticks; without it, a cluster member runs [`run`] so that the decision is made all
//! the same.

use std::sync::Arc;
use std::time::Duration;

use tracing::warn;

use crate::cluster::record::AlertTimes;
use crate::evaluate::Report;
use crate::serve::alerts_api::{ActiveAlert, ActiveSince};
use crate::serve::read::ReadSide;

/// Without `spec.alertmanager`, how often a cluster member evaluates to decide.
pub const DECIDE_INTERVAL: Duration = Duration::from_secs(10);

/// What a pusher last wrote for the cluster: a write the log has not shown yet is repeated
/// only when either state changes or `rewrite_us` later.
#[derive(Debug)]
struct Published {
    mine: AlertTimes,
    /// The cluster's state when it was written.
    decided: AlertTimes,
    /// Wall clock, µs.
    at_us: i64,
}

/// One instance's view of since when its alerts fire, and what it last wrote for the
/// cluster.
#[derive(Debug, Default)]
pub struct Decider {
    since: ActiveSince,
    published: Option<Published>,
}

impl Decider {
    /// The firing alerts of `report` (evaluated at `at_us`) and since when; in a cluster,
    /// when this member pushes, writes its decision if the cluster's differs (again after
    /// `rewrite_us` if the log still does not show it). `now_us` is the wall clock.
    pub fn observe(
        &mut self,
        read: &dyn ReadSide,
        report: &Report,
        at_us: i64,
        now_us: i64,
        rewrite_us: i64,
    ) -> Vec<ActiveAlert> {
        let decided = read.alerts_since();
        let active = self.since.observe(report, at_us, decided.as_ref());
        let Some(decided) = decided else {
            return active;
        };
        if !read.may_notify() {
            self.published = None;
            return active;
        }
        let mine: AlertTimes = active
            .iter()
            .map(|a| (a.labels.clone(), a.active_at_us))
            .collect();
        let written = self.published.as_ref().is_some_and(|p| {
            p.mine == mine && p.decided == decided && now_us.saturating_sub(p.at_us) < rewrite_us
        });
        if mine != decided && !written {
            read.publish_alerts(&mine);
            self.published = Some(Published {
                mine,
                decided,
                at_us: now_us,
            });
        }
        active
    }
}

/// A cluster member without `spec.alertmanager`: evaluates every [`DECIDE_INTERVAL`] so that,
/// while it is the member that would push, the cluster's alert state is decided.
pub async fn run(read: Arc<dyn ReadSide>) {
    let mut decider = Decider::default();
    let mut ticker = tokio::time::interval(DECIDE_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if !read.may_notify() {
            decider.published = None;
            continue;
        }
        let r = read.clone();
        match tokio::task::spawn_blocking(move || r.evaluate_all().evaluation).await {
            Ok(e) => {
                let interval = DECIDE_INTERVAL.as_micros() as i64;
                decider.observe(
                    &*read,
                    &e.report,
                    e.evaluated_at_us,
                    read.now_us(),
                    3 * interval,
                );
            }
            Err(e) => warn!(error = %e, "evaluating the alerts failed; will retry"),
        }
    }
}

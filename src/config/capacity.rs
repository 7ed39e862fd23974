//! `spec.services[].capacity`: what one instance of the service takes (`max_rps` or
//! `max_concurrency`, exactly one), how many run, and the headroom wanted, for the capacity
//! view ([`crate::evaluate::capacity`]).

use super::path::At;
use super::problems::Problems;
use super::raw::CapacitySpec;
use crate::evaluate::capacity::{CapacityPlan, Limit};

/// The most instances a plan may name.
const MAX_INSTANCES: i64 = 1_000_000;

/// The plan of `spec` (at `at`); `None` after reporting every problem.
pub(super) fn validate(
    spec: &CapacitySpec,
    at: &At,
    problems: &mut Problems,
) -> Option<CapacityPlan> {
    let before = problems.count();
    let positive = |field: &str, v: f64, problems: &mut Problems| {
        if !(v.is_finite() && v > 0.0) {
            problems.error(&at.field(field), format!("{v} must be a number above 0"));
        }
    };
    let limit = match (spec.max_rps, spec.max_concurrency) {
        (Some(r), None) => {
            positive("max_rps", r, problems);
            Some(Limit::Rps(r))
        }
        (None, Some(c)) => {
            positive("max_concurrency", c, problems);
            Some(Limit::Concurrency(c))
        }
        (Some(_), Some(_)) => {
            problems.error(at, "give max_rps or max_concurrency, not both");
            None
        }
        (None, None) => {
            problems.error(
                at,
                "needs max_rps (requests per second one instance takes) or max_concurrency \
                 (requests in flight one instance takes)",
            );
            None
        }
    };
    if !(1..=MAX_INSTANCES).contains(&spec.instances) {
        problems.error(
            &at.field("instances"),
            format!(
                "{} is not an instance count: use 1 to {MAX_INSTANCES}",
                spec.instances
            ),
        );
    }
    let headroom = spec.headroom.unwrap_or(0.5);
    if !(headroom.is_finite() && (0.0..=10.0).contains(&headroom)) {
        problems.error(
            &at.field("headroom"),
            format!("{headroom} must be a ratio from 0 to 10 (0.5 is 50 %)"),
        );
    }
    (problems.count() == before).then(|| CapacityPlan {
        limit: limit.expect("checked above"),
        instances: spec.instances as u32,
        headroom,
    })
}

//! `spec.services[].canary`: the selectors of a service's canary and baseline, the window
//! compared by default, how long counts are kept, and the verdict's criteria
//! ([`crate::classify::canary`], [`crate::evaluate::canary`]).

use super::path::At;
use super::problems::Problems;
use super::raw::CanarySpec;
use crate::classify::Matcher;
use crate::classify::canary::{CanaryConfig, Criteria};
use crate::time::{HOUR, MINUTE, format_duration};

/// The longest retention.
const MAX_RETENTION_US: i64 = 6 * HOUR;

/// The comparison of `spec` (at `at`); `None` after reporting every problem.
pub(super) fn validate(
    spec: &CanarySpec,
    at: &At,
    problems: &mut Problems,
) -> Option<CanaryConfig> {
    let before = problems.count();
    let (canary, baseline) = variants(spec, at, problems);
    let (window, retention) = window_and_retention(spec, at, problems);
    let criteria = criteria(spec, at, problems);
    (problems.count() == before).then(|| CanaryConfig {
        canary,
        baseline,
        window_us: window.expect("checked"),
        retention_minutes: (retention.expect("checked") / MINUTE) as usize,
        criteria: criteria.expect("checked"),
    })
}

/// The selectors of the canary and of the baseline, which must differ.
fn variants(spec: &CanarySpec, at: &At, problems: &mut Problems) -> (Matcher, Matcher) {
    let before = problems.count();
    let canary = super::service::matcher(&spec.canary, &at.field("canary"), problems);
    let baseline = super::service::matcher(&spec.baseline, &at.field("baseline"), problems);
    if problems.count() == before && canary == baseline {
        problems.error(
            &at.field("baseline"),
            "selects the same events as canary: give each variant its own selectors",
        );
    }
    (canary, baseline)
}

/// The default window and the retention, µs: whole minutes, the window within the retention.
fn window_and_retention(
    spec: &CanarySpec,
    at: &At,
    problems: &mut Problems,
) -> (Option<i64>, Option<i64>) {
    let minutes = |field: &str, text: Option<&str>, default: i64, problems: &mut Problems| {
        let Some(text) = text else {
            return Some(default);
        };
        problems.duration(text, &at.field(field)).filter(|&d| {
            let ok = d % MINUTE == 0 && (MINUTE..=MAX_RETENTION_US).contains(&d);
            if !ok {
                problems.error(
                    &at.field(field),
                    format!(
                        "{text} must be whole minutes from 1m to {}",
                        format_duration(MAX_RETENTION_US)
                    ),
                );
            }
            ok
        })
    };
    let window = minutes("window", spec.window.as_deref(), 30 * MINUTE, problems);
    let retention = minutes("retention", spec.retention.as_deref(), HOUR, problems);
    if let (Some(w), Some(r)) = (window, retention)
        && w > r
    {
        problems.error(
            &at.field("window"),
            format!(
                "{} is longer than the retention ({}): counts that old are not kept",
                format_duration(w),
                format_duration(r)
            ),
        );
    }
    (window, retention)
}

/// The verdict's criteria; `None` when any of them is invalid (each reported).
fn criteria(spec: &CanarySpec, at: &At, problems: &mut Problems) -> Option<Criteria> {
    let before = problems.count();
    let defaults = Criteria::default();
    let min_requests = spec.min_requests.unwrap_or(defaults.min_requests as i64);
    if !(1..=1_000_000_000).contains(&min_requests) {
        problems.error(
            &at.field("min_requests"),
            format!("{min_requests} is outside 1 to 1000000000"),
        );
    }
    let increase = spec.max_error_rate_increase.unwrap_or(0.1);
    if !(increase.is_finite() && (0.0..100.0).contains(&increase)) {
        problems.error(
            &at.field("max_error_rate_increase"),
            format!("{increase} must be percentage points from 0 to below 100 (0.1 is 0.1 pp)"),
        );
    }
    let p95 = match &spec.max_p95_increase {
        None => Some(defaults.max_p95_increase_us),
        Some(text) => problems.duration(text, &at.field("max_p95_increase")),
    };
    let confidence = spec.confidence.unwrap_or(defaults.confidence);
    if !(confidence.is_finite() && (0.5..1.0).contains(&confidence)) {
        problems.error(
            &at.field("confidence"),
            format!("{confidence} must be from 0.5 to below 1 (0.95 tests at the 5 % level)"),
        );
    }
    (problems.count() == before).then(|| Criteria {
        min_requests: min_requests as u64,
        max_error_rate_increase: increase / 100.0,
        max_p95_increase_us: p95.expect("checked"),
        confidence,
    })
}

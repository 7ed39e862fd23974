//! `spec.attribution`: which dimensions burn attribution keeps, how many keys per table and
//! minute, how many minutes, and the path templates ([`crate::classify::attribution`]).

use std::collections::HashSet;

use super::path::At;
use super::problems::Problems;
use super::raw::AttributionSpec;
use crate::classify::attribution::{AttributionConfig, Dimension};
use crate::classify::paths::PathRules;
use crate::time::{DAY, MINUTE, format_duration};

/// The most minutes kept.
const MAX_RETENTION_US: i64 = DAY;

/// The attribution of `spec` (at `at`); `None` after reporting every problem.
pub(super) fn validate(
    spec: &AttributionSpec,
    at: &At,
    problems: &mut Problems,
) -> Option<AttributionConfig> {
    let before = problems.count();
    let dims = match &spec.by {
        None => Dimension::ALL.to_vec(),
        Some(names) => {
            if names.is_empty() {
                problems.error(
                    &at.field("by"),
                    "must name at least one dimension (or be left out for all five)",
                );
            }
            let mut seen = HashSet::new();
            names
                .iter()
                .enumerate()
                .filter_map(|(i, n)| {
                    let d = Dimension::from_name(n);
                    match d {
                        None => problems.error(
                            &at.field("by").index(i),
                            format!(
                                "unknown dimension {n:?}: use path, status, backend, host or method"
                            ),
                        ),
                        Some(d) if !seen.insert(d) => {
                            problems.error(&at.field("by").index(i), format!("{n} is named twice"))
                        }
                        Some(_) => {}
                    }
                    d
                })
                .collect()
        }
    };
    let keys = spec.keys_per_minute.unwrap_or(32);
    if !(4..=1024).contains(&keys) {
        problems.error(
            &at.field("keys_per_minute"),
            format!("{keys} is outside 4 to 1024"),
        );
    }
    let retention = match &spec.retention {
        None => Some(crate::time::HOUR),
        Some(text) => problems
            .duration(text, &at.field("retention"))
            .filter(|&r| {
                let ok = r % MINUTE == 0 && (MINUTE..=MAX_RETENTION_US).contains(&r);
                if !ok {
                    problems.error(
                        &at.field("retention"),
                        format!(
                            "{text} must be whole minutes from 1m to {}",
                            format_duration(MAX_RETENTION_US)
                        ),
                    );
                }
                ok
            }),
    };
    let paths = PathRules::new(&spec.paths)
        .map_err(|(i, e)| problems.error(&at.field("paths").index(i), e))
        .ok();
    (problems.count() == before).then(|| AttributionConfig {
        dims,
        keys_per_minute: keys as usize,
        retention_minutes: (retention.expect("checked") / MINUTE) as usize,
        paths: paths.expect("checked"),
    })
}

//! `spec.attribution`: which dimensions burn attribution keeps (`client` only when named),
//! how many keys per table and minute, how many minutes, the path templates and the client
//! prefix lengths ([`crate::classify::attribution`]).

use std::collections::HashSet;

use super::path::At;
use super::problems::Problems;
use super::raw::AttributionSpec;
use crate::classify::attribution::{AttributionConfig, ClientPrefix, Dimension};
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
        None => Dimension::DEFAULT.to_vec(),
        Some(names) => {
            if names.is_empty() {
                problems.error(
                    &at.field("by"),
                    "must name at least one dimension (or be left out for path, status, backend, host and method)",
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
                                "unknown dimension {n:?}: use path, status, backend, host, method or client"
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
    let client_prefix = client_prefix(spec, at, problems);
    let paths = PathRules::new(&spec.paths)
        .map_err(|(i, e)| problems.error(&at.field("paths").index(i), e))
        .ok();
    (problems.count() == before).then(|| AttributionConfig {
        dims,
        keys_per_minute: keys as usize,
        retention_minutes: (retention.expect("checked") / MINUTE) as usize,
        paths: paths.expect("checked"),
        client_prefix,
    })
}

/// `client_prefix`, each length within its bounds (reported at `at.client_prefix.<family>`).
fn client_prefix(spec: &AttributionSpec, at: &At, problems: &mut Problems) -> ClientPrefix {
    let Some(p) = &spec.client_prefix else {
        return ClientPrefix::default();
    };
    let at = at.field("client_prefix");
    let mut length = |family: &str, value: Option<i64>, bounds: std::ops::RangeInclusive<u8>| {
        let Some(value) = value else {
            return *bounds.end();
        };
        match u8::try_from(value).ok().filter(|v| bounds.contains(v)) {
            Some(v) => v,
            None => {
                problems.error(
                    &at.field(family),
                    format!(
                        "/{value} is outside /{} to /{}: a client is never kept finer than /{}",
                        bounds.start(),
                        bounds.end(),
                        bounds.end()
                    ),
                );
                *bounds.end()
            }
        }
    };
    ClientPrefix {
        ipv4: length("ipv4", p.ipv4, ClientPrefix::IPV4),
        ipv6: length("ipv6", p.ipv6, ClientPrefix::IPV6),
    }
}

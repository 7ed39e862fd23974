//! `spec.window`: event-time tolerances (allowed lateness, future bound, idle partitions,
//! partition lag) and request-id de-duplication.

use super::path::At;
use super::problems::Problems;
use super::raw::{DedupSpec, WindowSpec};
use crate::window::{DedupConfig, WindowConfig};

/// De-duplication defaults: ALB delivers a file every 5 minutes, and redeliveries follow
/// within minutes; 200 000 ids per partition cost about 10 MB.
const DEFAULT_DEDUP_WINDOW_US: i64 = 15 * crate::time::MINUTE;
const DEFAULT_DEDUP_IDS: u64 = 200_000;
const MAX_DEDUP_IDS: u64 = 50_000_000;

/// Validates `spec.window` (at `at`); `None` when any part is invalid.
pub(super) fn validate(w: &WindowSpec, at: &At, problems: &mut Problems) -> Option<WindowConfig> {
    let before = problems.count();
    let mut c = WindowConfig::default();
    // `0s` may be written for the two settings that may be zero.
    let mut read =
        |text: &Option<String>, field: &str, zero_ok: bool, out: &mut i64| match text.as_deref() {
            None => {}
            Some("0s" | "0") if zero_ok => *out = 0,
            Some(t) => {
                if let Some(us) = problems.duration(t, &at.field(field)) {
                    *out = us;
                }
            }
        };
    read(
        &w.allowed_lateness,
        "allowed_lateness",
        true,
        &mut c.allowed_lateness_us,
    );
    read(&w.max_future, "max_future", false, &mut c.max_future_us);
    read(
        &w.idle_timeout,
        "idle_timeout",
        false,
        &mut c.idle_timeout_us,
    );
    read(
        &w.max_partition_lag,
        "max_partition_lag",
        true,
        &mut c.max_partition_lag_us,
    );
    if let Some(d) = &w.dedup {
        c.dedup = dedup(d, &at.field("dedup"), problems);
    }
    (problems.count() == before).then_some(c)
}

fn dedup(d: &DedupSpec, at: &At, problems: &mut Problems) -> Option<DedupConfig> {
    let window_us = match &d.window {
        Some(w) => problems.duration(w, &at.field("window")),
        None => Some(DEFAULT_DEDUP_WINDOW_US),
    };
    let max_ids = d.max_ids_per_partition.unwrap_or(DEFAULT_DEDUP_IDS);
    if !(1..=MAX_DEDUP_IDS).contains(&max_ids) {
        problems.error(
            &at.field("max_ids_per_partition"),
            format!("must be between 1 and {MAX_DEDUP_IDS}, got {max_ids}"),
        );
        return None;
    }
    Some(DedupConfig {
        window_us: window_us?,
        max_ids: max_ids as usize,
    })
}

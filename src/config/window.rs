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
/// Daily history per SLO: 400 days (13 months and a few weeks) costs ≈ 9.4 KiB per SLO.
pub(crate) const DEFAULT_HISTORY_DAYS: usize = 400;
/// Ten years of days.
const MAX_HISTORY_DAYS: usize = 3_660;

/// Validates `spec.window` (at `at`); `None` when any part is invalid.
pub(super) fn validate(w: &WindowSpec, at: &At, problems: &mut Problems) -> Option<WindowConfig> {
    let before = problems.count();
    let mut c = WindowConfig {
        history_days: DEFAULT_HISTORY_DAYS,
        ..WindowConfig::default()
    };
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
    if let Some(h) = &w.history {
        c.history_days = history(h, &at.field("history"), problems).unwrap_or(0);
    }
    (problems.count() == before).then_some(c)
}

/// `spec.window.history`: whole days, `0d` (or `0`) for none.
fn history(text: &str, at: &At, problems: &mut Problems) -> Option<usize> {
    if matches!(text, "0" | "0d" | "0s") {
        return Some(0);
    }
    let us = problems.duration(text, at)?;
    let days = us / crate::time::DAY;
    if us % crate::time::DAY != 0 || !(1..=MAX_HISTORY_DAYS as i64).contains(&days) {
        problems.error(
            at,
            format!(
                "must be whole days from 1d to {MAX_HISTORY_DAYS}d (or 0d for none), got {text}"
            ),
        );
        return None;
    }
    Some(days as usize)
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

//! `spec.checkpoint`: where durable state is written, and how often.

use std::path::PathBuf;

use super::CheckpointConfig;
use super::path::At;
use super::problems::Problems;
use super::raw::CheckpointSpec;
use crate::time::SECOND;

/// Checkpoint interval when not set.
const DEFAULT_INTERVAL_US: i64 = 10 * SECOND;

/// Validates `spec.checkpoint` (at `at`).
pub(super) fn validate(
    c: &CheckpointSpec,
    at: &At,
    problems: &mut Problems,
) -> Option<CheckpointConfig> {
    if c.dir.trim().is_empty() {
        problems.error(&at.field("dir"), "must not be empty");
    }
    let interval_us = match &c.interval {
        Some(i) => problems.duration(i, &at.field("interval"))?,
        None => DEFAULT_INTERVAL_US,
    };
    Some(CheckpointConfig {
        dir: PathBuf::from(&c.dir),
        interval_us,
    })
}

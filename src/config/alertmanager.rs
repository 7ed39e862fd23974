//! `spec.alertmanager`: where firing alerts are pushed, and how often.

use super::AlertmanagerConfig;
use super::path::At;
use super::problems::Problems;
use super::raw::AlertmanagerSpec;
use crate::time::SECOND;

/// `spec.alertmanager` (at `at`): an `http://` URL (no TLS client is built in) and positive
/// intervals.
pub(super) fn validate(
    a: &AlertmanagerSpec,
    at: &At,
    problems: &mut Problems,
) -> Option<AlertmanagerConfig> {
    let url = a.url.trim_end_matches('/').to_string();
    let url_ok = url
        .strip_prefix("http://")
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if !url_ok {
        problems.error(
            &at.field("url"),
            format!(
                "{:?} is not an http:// URL like http://127.0.0.1:9093",
                a.url
            ),
        );
    }
    let mut positive = |field: &str, text: &Option<String>, default: i64| -> Option<i64> {
        let Some(text) = text else {
            return Some(default);
        };
        let at = at.field(field);
        let us = problems.duration(text, &at)?;
        if us <= 0 {
            problems.error(&at, "must be longer than 0s");
            return None;
        }
        Some(us)
    };
    let interval_us = positive("interval", &a.interval, 30 * SECOND);
    let resend_us = positive("resend", &a.resend, 60 * SECOND);
    let timeout_us = positive("timeout", &a.timeout, 5 * SECOND);
    url_ok.then_some(())?;
    Some(AlertmanagerConfig {
        url,
        interval_us: interval_us?,
        resend_us: resend_us?,
        timeout_us: timeout_us?,
    })
}

//! Reloads that are rejected: an invalid configuration keeps the old one and shows why, and
//! changes that need a restart say so.

use serde_json::Value;

use super::{config, fed, get, reload, report};
use crate::helpers::NOON;
use slipstream::app::ReloadError;
use slipstream::time::SECOND;

#[tokio::test]
async fn an_invalid_config_keeps_the_old_one_and_shows_why() {
    let (p, _) = fed();
    let router = slipstream::serve::router(p.clone());
    let before = report(&p);
    let (ready_before, _) = get(&router, "/readyz").await;

    let broken = config().replace("threshold: 99, window: 7d", "threshold: 101, window: 7d");
    let Err(ReloadError::Invalid(e)) = reload(&p, &broken) else {
        panic!("a threshold of 101 % was accepted")
    };
    assert_eq!(e.problems.len(), 1);
    assert_eq!(report(&p), before, "the old configuration keeps running");
    let (ready_after, body) = get(&router, "/readyz").await;
    assert_eq!(
        ready_after, ready_before,
        "a bad edit does not change readiness"
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    let error = v["config_reload_error"].as_str().unwrap();
    assert!(
        error.starts_with("invalid configuration: reload.yaml: document 3 (ServiceLevelObjective search): spec.indicators[0].threshold"),
        "{error}"
    );
    let (_, metrics) = get(&router, "/metrics").await;
    for line in [
        "slipstream_config_reload_failures_total 1",
        "slipstream_config_reloads_total 0",
        "slipstream_config_last_reload_successful 0",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} not in\n{metrics}"
        );
    }

    // Fixing it clears the error.
    reload(&p, &config()).unwrap();
    let (_, body) = get(&router, "/readyz").await;
    assert!(!body.contains("config_reload_error"), "{body}");
    let (_, metrics) = get(&router, "/metrics").await;
    for line in [
        "slipstream_config_reload_failures_total 1",
        "slipstream_config_reloads_total 1",
        "slipstream_config_last_reload_successful 1",
        &format!(
            "slipstream_config_last_reload_success_timestamp_seconds {}",
            NOON / SECOND
        ),
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} not in\n{metrics}"
        );
    }
}

#[test]
fn source_listen_checkpoint_and_http_changes_need_a_restart() {
    let (p, _) = fed();
    let before = report(&p);
    let cases = [
        (
            config().replace(
                "source: {stdin: {}}",
                "source: {file: {paths: [/var/log/a.log]}}",
            ),
            "spec.source changed: restart slipstream to apply it",
        ),
        (
            config().replace("  source:", "  listen: 127.0.0.1:9988\n  source:"),
            "spec.listen changed: restart slipstream to apply it",
        ),
        (
            config().replace("  source:", "  checkpoint: {dir: /tmp/x}\n  source:"),
            "spec.checkpoint changed: restart slipstream to apply it",
        ),
        (
            config().replace("  source:", "  http: {auth: {token_env: X}}\n  source:"),
            "spec.http.auth changed: restart slipstream to apply it",
        ),
    ];
    for (i, (yaml, want)) in cases.iter().enumerate() {
        let Err(e @ ReloadError::NeedsRestart(_)) = reload(&p, yaml) else {
            panic!("{want}: accepted")
        };
        assert_eq!(e.to_string(), *want);
        assert_eq!(
            p.reload_stats
                .failures
                .load(std::sync::atomic::Ordering::Relaxed),
            i as u64 + 1
        );
        assert_eq!(p.reload_stats.last_error().as_deref(), Some(*want));
    }
    assert_eq!(report(&p), before);
    assert_eq!(p.generation().number, 0);
}

/// Settings read only at start that a reload used to accept silently while the old values
/// stayed in force: each is now rejected, naming the field, on `/readyz` and in `/metrics`.
#[tokio::test]
async fn decode_limits_dead_letter_and_alertmanager_changes_need_a_restart() {
    let (p, _) = fed();
    let router = slipstream::serve::router(p.clone());
    let before = report(&p);
    let cases = [
        (
            config().replace(
                "decode: {format: alb}",
                "decode: {format: alb, max_line_bytes: 2048}",
            ),
            "spec.decode.max_line_bytes",
        ),
        (
            config().replace(
                "decode: {format: alb}",
                "decode: {format: alb, dead_letter: {path: /tmp/dead.jsonl}}",
            ),
            "spec.decode.dead_letter",
        ),
        (
            config().replace(
                "  source:",
                "  alertmanager: {url: \"http://127.0.0.1:9093\"}\n  source:",
            ),
            "spec.alertmanager",
        ),
        (
            config().replace("metadata: {name: reload}", "metadata: {name: renamed}"),
            "metadata.name",
        ),
    ];
    for (yaml, field) in &cases {
        let want = format!("{field} changed: restart slipstream to apply it");
        match reload(&p, yaml) {
            Err(ReloadError::NeedsRestart(fields)) => assert_eq!(fields, [*field]),
            other => panic!("{field}: {other:?}"),
        }
        assert_eq!(p.reload_stats.last_error().as_deref(), Some(want.as_str()));
        let (_, body) = get(&router, "/readyz").await;
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["config_reload_error"], want.as_str(), "{body}");
        assert_eq!(v["restart_required"], serde_json::json!([field]), "{body}");
        let (_, metrics) = get(&router, "/metrics").await;
        let line = format!("slipstream_config_reload_restart_required{{field=\"{field}\"}} 1");
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} not in\n{metrics}"
        );
    }
    assert_eq!(report(&p), before, "the running configuration stays");
    assert_eq!(p.generation().number, 0);

    // Two restart-only changes at once: both named.
    let both = cases[0]
        .0
        .replace("  source:", "  listen: 127.0.0.1:9988\n  source:");
    match reload(&p, &both) {
        Err(ReloadError::NeedsRestart(fields)) => {
            assert_eq!(fields, ["spec.listen", "spec.decode.max_line_bytes"])
        }
        other => panic!("{other:?}"),
    }

    // Back to the running file: the reload applies and nothing needs a restart any more.
    reload(&p, &config()).unwrap();
    let (_, body) = get(&router, "/readyz").await;
    assert!(!body.contains("restart_required"), "{body}");
    let (_, metrics) = get(&router, "/metrics").await;
    assert!(
        !metrics
            .lines()
            .any(|l| l.starts_with("slipstream_config_reload_restart_required{")),
        "{metrics}"
    );
}

//! `services[].canary`: its defaults, every error with its path, and cluster mode.

use super::*;

#[test]
fn a_canary_reads_with_its_defaults_and_every_error_has_its_path() {
    let c = parse(
        &with_services(
            "[{name: a, canary: {canary: {backend: a-canary}, baseline: {backend: a-stable}}}, {name: b}]",
            "",
        ),
        "t.yaml",
    )
    .expect("valid");
    let a = c.reload.canaries[0].as_deref().expect("configured");
    assert_eq!(a.canary.backend.as_deref(), Some("a-canary"));
    assert_eq!(a.baseline.backend.as_deref(), Some("a-stable"));
    assert_eq!((a.window_us, a.retention_minutes), (30 * MINUTE, 60));
    assert_eq!(a.criteria, crate::classify::canary::Criteria::default());
    assert_eq!(
        a.criteria.max_error_rate_increase, 0.001,
        "0.1 percentage point"
    );
    assert!(c.reload.canaries[1].is_none());
    let c = parse(
        &with_services(
            "[{name: a, canary: {canary: {host: new.example.com}, baseline: {host: old.example.com}, window: 10m, retention: 2h, min_requests: 200, max_error_rate_increase: 0.5, max_p95_increase: 20ms, confidence: 0.99}}]",
            "",
        ),
        "t.yaml",
    )
    .expect("valid");
    let a = c.reload.canaries[0].as_deref().unwrap();
    assert_eq!((a.window_us, a.retention_minutes), (10 * MINUTE, 120));
    assert_eq!(a.criteria.min_requests, 200);
    assert!((a.criteria.max_error_rate_increase - 0.005).abs() < 1e-15);
    assert_eq!(a.criteria.max_p95_increase_us, 20_000);
    assert_eq!(a.criteria.confidence, 0.99);
    assert_found(
        &problems(&with_services(
            "[{name: a, canary: {canary: {backend: ''}, baseline: {host: x}, window: 90s, retention: 7h, min_requests: 0, max_error_rate_increase: -1, max_p95_increase: soon, confidence: 1}}]",
            "",
        )),
        &[
            "spec.services[0].canary.canary.backend: must not be empty",
            "spec.services[0].canary.window: 90s must be whole minutes from 1m to 6h",
            "spec.services[0].canary.retention: 7h must be whole minutes from 1m to 6h",
            "spec.services[0].canary.min_requests: 0 is outside 1 to 1000000000",
            "spec.services[0].canary.max_error_rate_increase: -1 must be percentage points",
            "spec.services[0].canary.max_p95_increase: ",
            "spec.services[0].canary.confidence: 1 must be from 0.5 to below 1",
        ],
        |g, w| g.contains(w),
    );
    assert_found(
        &problems(&with_services(
            "[{name: a, canary: {canary: {backend: x}, baseline: {backend: x}, window: 2h}}]",
            "",
        )),
        &[
            "spec.services[0].canary.baseline: selects the same events as canary",
            "spec.services[0].canary.window: 2h is longer than the retention (1h)",
        ],
        |g, w| g.contains(w),
    );
    // Selectors on a field the format does not carry, as for a service's own.
    assert_found(
        &problems(
            &with_services(
                "[{name: a, canary: {canary: {backend: x}, baseline: {backend: y}}}]",
                "",
            )
            .replace("format: alb", "format: nginx, nginx: {preset: main}"),
        ),
        &[
            "spec.services[0].canary.canary.backend: selects by backend, which",
            "spec.services[0].canary.baseline.backend: selects by backend, which",
        ],
        |g, w| g.contains(w),
    );
}

#[test]
fn a_canary_is_compared_in_cluster_mode_too() {
    let text = cluster_pipeline(
        KAFKA_SOURCE,
        "{name: edge, advertise_url: \"http://pod-0:9977\"}",
    )
    .replace(
        "services: [{name: a}]",
        "services: [{name: a, canary: {canary: {backend: x}, baseline: {backend: y}}}]",
    );
    let c = parse(&text, "c.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert!(c.start.cluster.is_some() && c.reload.canaries[0].is_some());
}

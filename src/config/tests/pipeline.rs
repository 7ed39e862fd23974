//! The Pipeline's own blocks: `spec.http.auth`, `spec.cluster` and `spec.window.history`.

use super::*;

#[test]
fn http_auth_takes_exactly_one_token_source() {
    let with = |http: &str| {
        format!(
            "{}  http: {http}\n",
            pipeline_with("{format: alb}", "{stdin: {}}")
        )
    };
    let c = parse(&with("{auth: {token_file: /run/secrets/token}}"), "t.yaml").unwrap();
    assert_eq!(
        c.start.http_auth,
        Some(TokenSource::File("/run/secrets/token".into()))
    );
    let c = parse(&with("{auth: {token_env: API_TOKEN}}"), "t.yaml").unwrap();
    assert_eq!(
        c.start.http_auth,
        Some(TokenSource::Env("API_TOKEN".into()))
    );
    assert_eq!(parse(&with("{}"), "t.yaml").unwrap().start.http_auth, None);
    for (http, says) in [
        (
            "{auth: {}}",
            "spec.http.auth: set exactly one of token_file, token_env",
        ),
        (
            "{auth: {token_file: a, token_env: B}}",
            "spec.http.auth: set exactly one of token_file, token_env",
        ),
        (
            "{auth: {token_file: \"\"}}",
            "spec.http.auth.token_file: must not be empty",
        ),
        (
            "{auth: {token_env: \"A=B\"}}",
            "spec.http.auth.token_env: must be a variable name",
        ),
        ("{auth: {token: x}}", "unknown field `token`"),
    ] {
        let got = problems(&with(http));
        assert!(got.len() == 1 && got[0].contains(says), "{http}: {got:?}");
    }
}

#[test]
fn a_cluster_block_reads_with_its_defaults_and_is_restart_only() {
    let text = cluster_pipeline(
        KAFKA_SOURCE,
        "{name: edge, advertise_url: \"http://pod-0.slipstream:9977\"}",
    );
    let c = parse(&text, "c.yaml").unwrap_or_else(|e| panic!("{e}"));
    let cluster = c.start.cluster.clone().expect("cluster");
    assert_eq!(
        cluster,
        ClusterConfig {
            name: "edge".into(),
            advertise_url: "http://pod-0.slipstream:9977".into(),
            member_id: "pod-0".into(),
            flush_interval_us: 200_000,
            snapshot_interval_us: 60 * SECOND,
            member_timeout_us: 10 * SECOND,
            max_apply_lag_us: 5 * SECOND,
            replication_factor: None,
        }
    );
    let other = parse(
        &text.replace(
            "name: edge,",
            "name: edge, member_id: \"${HOME}\", flush_interval: 1s, replication_factor: 3,",
        ),
        "c.yaml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let o = other.start.cluster.clone().unwrap();
    assert_eq!(o.member_id, std::env::var("HOME").unwrap());
    assert_eq!(o.flush_interval_us, SECOND);
    assert_eq!(o.replication_factor, Some(3));
    assert_eq!(c.start.changed_fields(&other.start), ["spec.cluster"]);
}

#[test]
fn cluster_errors_are_reported_together_with_their_paths() {
    let got = problems(&cluster_pipeline(
        "{stdin: {}}",
        "{name: \"edge/x\", advertise_url: \"pod-0:9977\", member_id: \"${SLIPSTREAM_SURELY_UNSET_VARIABLE}\", flush_interval: 20s, member_timeout: 10s, max_apply_lag: 0s, snapshot_interval: soon, replication_factor: 0}",
    ));
    let want = [
        "spec.cluster.name: must be 1 to 200 of",
        "spec.cluster: needs a kafka source",
        "spec.cluster.advertise_url: must be an http:// or https:// URL",
        "spec.cluster.member_id: environment variable SLIPSTREAM_SURELY_UNSET_VARIABLE is not set",
        "spec.cluster.flush_interval: must be shorter than member_timeout",
        "spec.cluster.max_apply_lag: invalid duration \"0s\"",
        "spec.cluster.snapshot_interval:",
        "spec.cluster.replication_factor: must be 1 to 32",
    ];
    assert_found(&got, &want, |g, w| g.contains(w));
}

#[test]
fn history_is_whole_days_and_400_by_default() {
    let with = |window: &str| service_a(&format!("  window: {window}\n"), "");
    let days = |window: &str| {
        parse(&with(window), "t.yaml")
            .unwrap()
            .reload
            .window
            .history_days
    };
    assert_eq!(days("{}"), 400);
    assert_eq!(days("{history: 30d}"), 30);
    assert_eq!(days("{history: 2w}"), 14);
    assert_eq!(days("{history: 0d}"), 0);
    assert_found(
        &problems(&with("{history: 36h}")),
        &[
            "t.yaml: document 1 (Pipeline p): spec.window.history: must be whole days from 1d to 3660d (or 0d for none), got 36h",
        ],
        |g, w| g == w,
    );
    assert_found(
        &problems(&with("{history: 20000d}")),
        &["spec.window.history: must be whole days"],
        |g, w| g.contains(w),
    );
    assert_found(
        &problems(&with("{history: soon}")),
        &["spec.window.history: invalid duration"],
        |g, w| g.contains(w),
    );
}

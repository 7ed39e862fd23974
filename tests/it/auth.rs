//! Bearer-token authentication: every endpoint but the probes needs the token.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::helpers::{NOON, pipeline};
use slipstream::serve::auth::Token;

const CONFIG: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: auth}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services: [{name: checkout, match: {host: checkout.example.com}}]
  http: {auth: {token_env: SLIPSTREAM_TEST_AUTH_TOKEN}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: checkout}
spec:
  service: checkout
  indicators: [{name: availability, threshold: 99.9, window: 30d}]
"#;

async fn call(
    router: &axum::Router,
    uri: &str,
    auth: Option<&str>,
) -> (StatusCode, Option<String>, String) {
    let mut request = Request::builder().uri(uri);
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        challenge,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test]
async fn only_the_right_token_opens_the_api_and_probes_stay_open() {
    let (p, _) = pipeline(CONFIG, NOON);
    let token = Token::new("correct horse battery staple").unwrap();
    let router = slipstream::serve::router_with_auth(p, Some(token));
    for uri in [
        "/v1/slos",
        "/v1/slos/checkout/availability",
        "/v1/alerts",
        "/metrics",
        "/",
        "/openapi.json",
    ] {
        for auth in [
            None,
            Some("Bearer wrong"),
            Some("Bearer correct horse battery stapl"),
            Some("Bearer correct horse battery staple!"),
            Some("Basic Y29ycmVjdA=="),
            Some("bearer"),
        ] {
            let (status, challenge, body) = call(&router, uri, auth).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri} {auth:?}");
            assert_eq!(challenge.as_deref(), Some("Bearer"), "{uri}");
            let v: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["error"], "missing or wrong bearer token");
        }
        let (status, _, body) =
            call(&router, uri, Some("Bearer correct horse battery staple")).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    }
    for uri in ["/healthz", "/readyz"] {
        let (status, challenge, _) = call(&router, uri, None).await;
        assert_ne!(status, StatusCode::UNAUTHORIZED, "{uri}");
        assert!(challenge.is_none());
    }
}

#[test]
fn the_config_names_where_the_token_comes_from() {
    let config = slipstream::config::parse(CONFIG, "t.yaml").unwrap();
    assert_eq!(
        config.start.http_auth,
        Some(slipstream::config::TokenSource::Env(
            "SLIPSTREAM_TEST_AUTH_TOKEN".into()
        ))
    );
}

#[test]
fn an_unreadable_or_empty_token_stops_the_start_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("p.yaml");
    let empty = dir.path().join("empty-token");
    std::fs::write(&empty, "\n").unwrap();
    for (token_file, says) in [
        (dir.path().join("missing-token"), "token_file"),
        (empty, "is empty"),
    ] {
        let yaml = CONFIG
            .replace(
                "token_env: SLIPSTREAM_TEST_AUTH_TOKEN",
                &format!("token_file: {}", token_file.display()),
            )
            .replace(
                "source: {stdin: {}}",
                "source: {file: {paths: [/dev/null]}}",
            );
        std::fs::write(&config, yaml).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_slipstream"))
            .args([
                "run",
                "--config",
                config.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
    }
}

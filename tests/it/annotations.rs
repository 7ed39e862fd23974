//! The annotation endpoints: writes refused unless authentication is on (or opened for a
//! trusted network), refused without the token, bounded in size and number with a clear
//! error, listed by range, service and kind (and in Grafana's shape), and kept across a
//! restart through the checkpoint.

use std::io::{Read, Write};

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use crate::cli::http_get;
use crate::helpers::{NOON, Running, alb_line, api_slo_config, call, file_config, pipeline};

async fn send(
    router: &axum::Router,
    method: &str,
    uri: &str,
    token: bool,
    body: &str,
) -> (u16, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if token {
        request = request.header("authorization", "Bearer t0ken");
    }
    if !body.is_empty() {
        request = request.header("content-type", "application/json");
    }
    let (status, text) = call(router, request.body(Body::from(body.to_string())).unwrap()).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{uri}: {e}: {text}")),
    )
}

const DEPLOY: &str = r#"{"time": "2026-11-20T10:00:00Z", "kind": "deploy", "service": "api", "text": "v2.3.1", "labels": {"sha": "abc123"}}"#;
const INCIDENT: &str = r#"{"time": "2026-11-20T11:00:00Z", "end": "2026-11-20T11:18:00Z", "kind": "incident", "text": "INC-7: 5xx from the payments backend"}"#;

#[tokio::test]
async fn writes_need_auth_or_an_explicit_opening_and_stay_bounded() {
    let yaml = api_slo_config("{name: availability, threshold: 99, window: 30d}", "");
    let (p, _) = pipeline(&yaml, NOON);
    // No authentication: reads work, writes are refused, saying how to turn them on.
    let open = slipstream::serve::router(p.clone());
    let (status, body) = send(&open, "POST", "/v1/annotations", false, DEPLOY).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("spec.http.auth"),
        "{body}"
    );
    assert_eq!(
        send(&open, "DELETE", "/v1/annotations/0", false, "")
            .await
            .0,
        403
    );
    let (status, body) = send(&open, "GET", "/v1/annotations", false, "").await;
    assert_eq!((status, body), (200, json!({"annotations": []})));

    // With a token: without it 401, with it 201.
    let token = slipstream::serve::auth::Token::new("t0ken").unwrap();
    let authed = slipstream::serve::router_with_auth(p.clone(), Some(token));
    assert_eq!(
        send(&authed, "POST", "/v1/annotations", false, DEPLOY)
            .await
            .0,
        401
    );
    let (status, deploy) = send(&authed, "POST", "/v1/annotations", true, DEPLOY).await;
    assert_eq!(status, 201, "{deploy}");
    assert_eq!(deploy["id"], 0);
    assert_eq!(deploy["labels"], json!({"sha": "abc123"}));
    let (status, incident) = send(&authed, "POST", "/v1/annotations", true, INCIDENT).await;
    assert_eq!((status, &incident["id"]), (201, &json!(1)));
    let (_, all) = send(&authed, "GET", "/v1/annotations?service=api", true, "").await;
    let kinds: Vec<&str> = all["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["deploy", "incident"]);
    let (_, later) = send(
        &authed,
        "GET",
        "/v1/annotations?from=2026-11-20T11:10:00Z",
        true,
        "",
    )
    .await;
    assert_eq!(later["annotations"].as_array().unwrap().len(), 1, "{later}");
    let (_, grafana) = send(
        &authed,
        "GET",
        "/v1/annotations?format=grafana&kind=incident",
        true,
        "",
    )
    .await;
    assert_eq!(
        grafana,
        json!([{"time": 1_795_172_400_000_i64, "timeEnd": 1_795_173_480_000_i64, "title": "incident",
                "text": "INC-7: 5xx from the payments backend", "tags": ["incident"], "id": 1}])
    );
    // Bad input is a 400 that says why; an unknown id a 404; a large body 413.
    for (body, why) in [
        (
            r#"{"time": "soon", "kind": "deploy"}"#,
            "is not an RFC 3339 time",
        ),
        (
            r#"{"time": "2026-11-20T10:00:00Z", "kind": "party"}"#,
            "unknown variant",
        ),
        (
            r#"{"time": "2026-11-20T10:00:00Z", "kind": "note", "colour": "red"}"#,
            "unknown field",
        ),
    ] {
        let (status, e) = send(&authed, "POST", "/v1/annotations", true, body).await;
        assert_eq!(status, 400, "{e}");
        assert!(e["error"].as_str().unwrap().contains(why), "{e}");
    }
    let huge = format!(
        r#"{{"time": "2026-11-20T10:00:00Z", "kind": "note", "text": "{}"}}"#,
        "x".repeat(70_000)
    );
    assert_eq!(
        send(&authed, "POST", "/v1/annotations", true, &huge)
            .await
            .0,
        413
    );
    let (status, deleted) = send(&authed, "DELETE", "/v1/annotations/0", true, "").await;
    assert_eq!((status, deleted), (200, json!({"deleted": 0})));
    assert_eq!(
        send(&authed, "DELETE", "/v1/annotations/0", true, "")
            .await
            .0,
        404
    );
    // The store is bounded: the 10,001st is a 409 naming the limit.
    let note = r#"{"time": "2026-11-20T10:00:00Z", "kind": "note"}"#;
    for _ in 0..slipstream::annotations::MAX_ANNOTATIONS - 1 {
        assert_eq!(
            send(&authed, "POST", "/v1/annotations", true, note).await.0,
            201
        );
    }
    let (status, e) = send(&authed, "POST", "/v1/annotations", true, note).await;
    assert_eq!(status, 409, "{e}");
    assert_eq!(
        e["error"],
        "10000 annotations are kept at most: delete old ones first"
    );
    // Opened for a trusted network without a token.
    let trusted = slipstream::serve::router_with(
        p.clone(),
        None,
        slipstream::serve::annotations::Writes::Open,
    );
    assert_eq!(
        send(&trusted, "DELETE", "/v1/annotations/1", false, "")
            .await
            .0,
        200
    );
    assert_eq!(
        send(&trusted, "POST", "/v1/annotations", false, DEPLOY)
            .await
            .0,
        201
    );
}

/// `POST path` with a JSON `body` to the server on `port`: status and body.
pub(crate) fn post(port: u16, path: &str, body: &str) -> (u16, String) {
    send_to(port, "POST", path, body)
}

/// `method path` with JSON `body` to the server on `port`: status and body.
pub(crate) fn send_to(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    let status = buf.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, buf.split_once("\r\n\r\n").unwrap().1.to_string())
}

#[test]
fn annotations_survive_a_restart_through_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("alb.log");
    std::fs::write(
        &log,
        alb_line(NOON, "api.example.com", "/", 200, None) + "\n",
    )
    .unwrap();
    let state = dir.path().join("state");
    let config = file_config(
        dir.path(),
        &log,
        "{name: availability, threshold: 99, window: 30d}",
        &format!(
            "checkpoint: {{dir: {}, interval: 1h}}\n  http: {{allow_unauthenticated_writes: true}}",
            state.display()
        ),
    );
    let first = Running::start(&config);
    assert_eq!(post(first.port, "/v1/annotations", INCIDENT).0, 201);
    // SIGTERM: the final checkpoint holds the annotation.
    assert!(first.terminate());
    let second = Running::start(&config);
    let (status, body) = http_get(second.port, "/v1/annotations").unwrap();
    drop(second);
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["annotations"][0]["text"], "INC-7: 5xx from the payments backend",
        "{v}"
    );
    assert_eq!(v["annotations"][0]["end"], "2026-11-20T11:18:00Z");
}

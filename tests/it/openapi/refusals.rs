//! The refusals of every operation (401 without the bearer token, 413, 503) match their
//! documented responses, and every operation documents its auth and the limits.

use axum::body::Body;
use axum::http::Request;
use axum::response::IntoResponse;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{CONFIG, check_response};
use crate::helpers::{NOON, pipeline};
use slipstream::serve::ApiError;

/// `path` of the document with its parameters filled in for a known SLO.
fn concrete(path: &str) -> String {
    path.replace("{service}", "checkout")
        .replace("{slo}", "availability")
        .replace("{id}", "0")
}

/// Every `(path, method)` of the document.
fn operations(document: &Value) -> Vec<(String, String)> {
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| (path.clone(), m.clone()))
        })
        .collect()
}

const PROBES: [&str; 2] = ["/healthz", "/readyz"];

#[tokio::test]
async fn refusals_match_their_documented_responses() {
    let (p, _) = pipeline(CONFIG, NOON);
    let token = slipstream::serve::auth::Token::new("t0ken").unwrap();
    let router = slipstream::serve::router_with_auth(p, Some(token));
    let document: Value = serde_json::from_str(slipstream::serve::openapi::DOCUMENT).unwrap();
    let send = |method: String, uri: String, token: bool, body_bytes: usize| {
        let router = router.clone();
        async move {
            let mut request = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri);
            if token {
                request = request.header("authorization", "Bearer t0ken");
            }
            if body_bytes > 0 {
                request = request.header("content-length", body_bytes);
            }
            let response = router
                .oneshot(request.body(Body::from(vec![b'x'; body_bytes])).unwrap())
                .await
                .unwrap();
            let status = response.status().as_u16();
            let challenge = response.headers().get("www-authenticate").cloned();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            let body: Value = serde_json::from_slice(&body)
                .unwrap_or_else(|e| panic!("{uri}: {e}: {}", String::from_utf8_lossy(&body)));
            (status, challenge, body)
        }
    };
    let too_large = slipstream::serve::limits::MAX_BODY_BYTES + 1;
    for (path, method) in operations(&document) {
        let (path, method) = (path.as_str(), method.as_str());
        let uri = concrete(path);
        if !PROBES.contains(&path) {
            let (status, challenge, body) = send(method.into(), uri.clone(), false, 0).await;
            assert_eq!(status, 401, "{method} {uri}");
            assert_eq!(challenge.unwrap(), "Bearer");
            check_response(&document, path, method, "401", &body);
        }
        let (status, _, body) = send(method.into(), uri.clone(), true, too_large).await;
        assert_eq!(status, 413, "{method} {uri}");
        check_response(&document, path, method, "413", &body);
        // Overload and timeout need 256 requests in flight or 10 s; their bodies come from
        // the same `ApiError` as the layers answer with.
        for error in [ApiError::Overloaded, ApiError::TimedOut] {
            let response = error.into_response();
            assert_eq!(response.status(), 503);
            let body = response.into_body().collect().await.unwrap().to_bytes();
            check_response(
                &document,
                path,
                method,
                "503",
                &serde_json::from_slice(&body).unwrap(),
            );
        }
    }
}

#[test]
fn every_operation_documents_auth_and_the_limits() {
    let document: Value = serde_json::from_str(slipstream::serve::openapi::DOCUMENT).unwrap();
    assert_eq!(
        document["components"]["securitySchemes"]["bearerAuth"]["type"],
        "http"
    );
    assert_eq!(
        document["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
    for (path, method) in operations(&document) {
        let op = &document["paths"][&path][&method];
        let responses = op["responses"].as_object().unwrap();
        for status in ["413", "503"] {
            assert!(
                responses.contains_key(status),
                "{method} {path}: no {status}"
            );
        }
        if PROBES.contains(&path.as_str()) {
            assert_eq!(op["security"], json!([]), "{path}");
            assert!(!responses.contains_key("401"), "{path}");
        } else {
            assert_eq!(op["security"], json!([{"bearerAuth": []}]), "{path}");
            assert!(responses.contains_key("401"), "{path}: no 401");
        }
    }
}

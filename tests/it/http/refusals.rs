//! Requests that must not break anything: hostile ones get JSON errors, and the limits refuse
//! big bodies and junk in JSON.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use super::{app, get};

#[tokio::test]
async fn hostile_requests_get_json_errors() {
    let (_, router) = app();
    let long = format!("/v1/slos/{}/x", "a".repeat(20_000));
    for (method, uri, want) in [
        ("GET", "/nope", StatusCode::NOT_FOUND),
        ("GET", "/v1/slos/%ff%fe/%00", StatusCode::BAD_REQUEST),
        ("GET", long.as_str(), StatusCode::NOT_FOUND),
        ("GET", "/v1/slos/a/b/c", StatusCode::NOT_FOUND),
        ("POST", "/v1/slos", StatusCode::METHOD_NOT_ALLOWED),
        ("DELETE", "/metrics", StatusCode::METHOD_NOT_ALLOWED),
        ("GET", "/v1/slos?window=%%%", StatusCode::OK),
    ] {
        let (status, _, body) = get(&router, method, uri).await;
        assert_eq!(status, want, "{method} {uri}: {body}");
        if status != StatusCode::OK {
            let v: Value = serde_json::from_str(&body)
                .unwrap_or_else(|_| panic!("{method} {uri} not JSON: {body}"));
            assert!(v["error"].is_string(), "{body}");
        }
    }
}

#[tokio::test]
async fn limits_refuse_big_bodies_and_junk_in_json() {
    let (_, router) = app();
    // A body over the 64 KiB limit, declared or not, on a real route and on no route.
    for uri in ["/v1/slos", "/nope"] {
        for declared in [true, false] {
            let mut request = Request::builder().method("GET").uri(uri);
            if declared {
                request = request.header("content-length", 100_000);
            }
            let body = Body::from(vec![b'x'; 100_000]);
            let response = router
                .clone()
                .oneshot(request.body(body).unwrap())
                .await
                .unwrap();
            let status = response.status();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let text = String::from_utf8_lossy(&bytes);
            if declared {
                assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}: {text}");
                let v: Value = serde_json::from_str(&text).unwrap();
                assert!(v["error"].as_str().unwrap().contains("too large"), "{text}");
            } else {
                // No handler reads a body: an undeclared one is never buffered, only ignored.
                assert!(
                    status.is_success() || status == StatusCode::NOT_FOUND,
                    "{status}"
                );
            }
        }
    }
    let huge_query = format!("/v1/slos?{}", "a=%zz&".repeat(10_000));
    for (method, uri) in [
        ("GET", "/v1/slos/%zz/%"),
        ("GET", "/v1/slos/%C0%AF/x"),
        (
            "GET",
            "/v1/slos/checkout/availability/series?window=%ff%fe&step=%00",
        ),
        ("GET", huge_query.as_str()),
        ("BREW", "/v1/slos"),
        ("PROPFIND", "/metrics"),
        ("GET", "/v1/slos/%E2%82/%80"),
    ] {
        let (status, _, body) = get(&router, method, uri).await;
        assert!(
            status.is_client_error() || status.is_success(),
            "{method} {uri}: {status}"
        );
        if status.is_client_error() {
            let v: Value = serde_json::from_str(&body).unwrap_or_else(|_| {
                panic!("{method} {}: not JSON: {body}", &uri[..40.min(uri.len())])
            });
            assert!(v["error"].is_string());
        }
    }
    // Invalid UTF-8 cannot even be put in a `Uri`; percent-encoded it is a 400 above.
    assert!(axum::http::Uri::try_from(&b"/v1/\xff"[..]).is_err());
}

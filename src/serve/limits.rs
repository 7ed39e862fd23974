//! Limits every request passes before it reaches a handler: a body of at most
//! [`MAX_BODY_BYTES`] (the one body read is an annotation's; larger bodies get 413), an answer within
//! [`REQUEST_TIMEOUT`] (else 503), and at most [`MAX_IN_FLIGHT`] requests at once (more are
//! shed at once with 503, not queued). Each refusal is JSON through [`ApiError`].
//!
//! The limits wrap the whole router as one service, so the concurrency limit is shared by
//! all routes (a `Router::layer` would give every route its own).

use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower::{BoxError, ServiceBuilder};
use tower_http::limit::RequestBodyLimitLayer;

use super::ApiError;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest a request may take before it is answered with 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Most requests served at once; more are refused with 503.
pub const MAX_IN_FLIGHT: usize = 256;

/// `inner` behind the limits.
pub(crate) fn wrap(inner: Router) -> Router {
    let inner = inner
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(json_payload_too_large));
    let limited = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(refusal))
        .load_shed()
        .concurrency_limit(MAX_IN_FLIGHT)
        .timeout(REQUEST_TIMEOUT)
        .service(inner);
    Router::new().fallback_service(limited)
}

/// The JSON answer for an error of the limit layers.
async fn refusal(error: BoxError) -> ApiError {
    error_for(&error)
}

fn error_for(error: &BoxError) -> ApiError {
    if error.is::<tower::timeout::error::Elapsed>() {
        ApiError::TimedOut
    } else if error.is::<tower::load_shed::error::Overloaded>() {
        ApiError::Overloaded
    } else {
        ApiError::Internal
    }
}

/// The body limit answers 413 in plain text; say it in JSON like every other error.
async fn json_payload_too_large(response: Response) -> Response {
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge.into_response()
    } else {
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_errors_become_503_json() {
        let elapsed: BoxError = Box::new(tower::timeout::error::Elapsed::new());
        let shed: BoxError = Box::new(tower::load_shed::error::Overloaded::new());
        let other: BoxError = "boom".into();
        assert!(matches!(error_for(&elapsed), ApiError::TimedOut));
        assert!(matches!(error_for(&shed), ApiError::Overloaded));
        assert!(matches!(error_for(&other), ApiError::Internal));
        for e in [ApiError::TimedOut, ApiError::Overloaded] {
            assert_eq!(e.into_response().status(), StatusCode::SERVICE_UNAVAILABLE);
        }
    }
}

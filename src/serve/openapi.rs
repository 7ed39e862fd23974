//! `GET /openapi.json`: the hand-written OpenAPI 3.1 document of every JSON endpoint
//! (`openapi.json` beside this file, compiled in). Its component schemas are JSON Schema
//! 2020-12 with `additionalProperties: false` on every fixed shape; a test validates real
//! responses against them, so the document cannot drift from the code.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The document, as served.
pub const DOCUMENT: &str = include_str!("openapi.json");

/// The handler.
pub(crate) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT).into_response()
}

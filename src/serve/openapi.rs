//! `GET /openapi.json`: the hand-written OpenAPI 3.1 document of every JSON endpoint
//! (`openapi.json` beside this file, compiled in). Its component schemas are JSON Schema
//! 2020-12 with `additionalProperties: false` on every fixed shape; a test validates real
//! responses against them, so the document cannot drift from the code.
//!
//! The file describes a server with bearer authentication (`spec.http.auth`): a security
//! requirement and a 401 response on every operation but the probes. Without
//! authentication the server serves it without those ([`document`]), since none applies.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// The document, as written (with authentication).
pub const DOCUMENT: &str = include_str!("openapi.json");

/// The document as served: [`DOCUMENT`] with authentication on, else the same without
/// security requirements, security schemes and 401 responses.
pub fn document(auth: bool) -> &'static str {
    static WITHOUT_AUTH: OnceLock<String> = OnceLock::new();
    if auth {
        DOCUMENT
    } else {
        WITHOUT_AUTH.get_or_init(|| without_auth(DOCUMENT))
    }
}

fn without_auth(document: &str) -> String {
    let Ok(mut d) = serde_json::from_str::<Value>(document) else {
        // Unreachable for the compiled-in file (a test parses it); serve it unchanged.
        return document.to_string();
    };
    for item in d["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|p| p.values_mut())
    {
        for op in item
            .as_object_mut()
            .into_iter()
            .flat_map(|i| i.values_mut())
        {
            if let Some(op) = op.as_object_mut() {
                op.remove("security");
                if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
                    responses.remove("401");
                }
            }
        }
    }
    if let Some(components) = d["components"].as_object_mut() {
        components.remove("securitySchemes");
        if let Some(responses) = components
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        {
            responses.remove("Unauthorized");
        }
    }
    serde_json::to_string_pretty(&d).unwrap_or_else(|_| document.to_string())
}

/// The handler; `auth`: whether bearer authentication is on.
pub(crate) async fn openapi(auth: bool) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document(auth)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_auth_nothing_mentions_it() {
        assert!(serde_json::from_str::<Value>(DOCUMENT).is_ok());
        let with: Value = serde_json::from_str(document(true)).unwrap();
        let without: Value = serde_json::from_str(document(false)).unwrap();
        assert!(with["components"]["securitySchemes"]["bearerAuth"].is_object());
        assert!(with["paths"]["/v1/slos"]["get"]["responses"]["401"].is_object());
        let text = without.to_string();
        for gone in ["security", "bearerAuth", "Unauthorized", "\"401\""] {
            assert!(!text.contains(gone), "{gone} still in the document");
        }
        assert_eq!(
            with["paths"].as_object().unwrap().len(),
            without["paths"].as_object().unwrap().len()
        );
        assert!(without["paths"]["/v1/slos"]["get"]["responses"]["413"].is_object());
    }
}

//! Optional bearer-token authentication (`spec.http.auth`).
//!
//! When a token is configured, every request except `GET /healthz` and `GET /readyz` (probes)
//! must carry `Authorization: Bearer <token>`; otherwise it gets 401 JSON with
//! `WWW-Authenticate: Bearer`. `/metrics` is protected too (Prometheus sends the token with
//! its scrape config's `authorization: {credentials_file: ...}`). The token is read once at
//! start ([`Token::load`]); comparison takes the same time wherever the first difference is.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiError;
use crate::config::TokenSource;

/// The secret a request must present.
#[derive(Clone)]
pub struct Token(Arc<[u8]>);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

/// Why the token could not be read at start.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The token file could not be read.
    #[error("spec.http.auth.token_file {path}: {source}")]
    File {
        /// The configured path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The variable is unset or not UTF-8.
    #[error("spec.http.auth.token_env: environment variable {0} is not set")]
    Env(String),
    /// The token is empty after trimming surrounding whitespace.
    #[error("spec.http.auth: the token from {0} is empty")]
    Empty(String),
}

impl Token {
    /// A token from its text (surrounding whitespace, such as a file's final newline, removed).
    pub fn new(text: &str) -> Option<Self> {
        let text = text.trim();
        (!text.is_empty()).then(|| Self(Arc::from(text.as_bytes())))
    }

    /// Reads the configured token, if any.
    pub fn load(source: Option<&TokenSource>) -> Result<Option<Self>, TokenError> {
        let Some(source) = source else {
            return Ok(None);
        };
        let (text, from) = match source {
            TokenSource::File(path) => (
                std::fs::read_to_string(path).map_err(|source| TokenError::File {
                    path: path.display().to_string(),
                    source,
                })?,
                path.display().to_string(),
            ),
            TokenSource::Env(var) => (
                std::env::var(var).map_err(|_| TokenError::Env(var.clone()))?,
                format!("${var}"),
            ),
        };
        Self::new(&text).map(Some).ok_or(TokenError::Empty(from))
    }

    /// Whether `presented` is the token, in time independent of where they differ.
    fn matches(&self, presented: &[u8]) -> bool {
        let expected = &self.0;
        let mut diff = expected.len() ^ presented.len();
        for i in 0..expected.len().max(presented.len()) {
            let a = expected.get(i).copied().unwrap_or(0);
            let b = presented.get(i).copied().unwrap_or(0);
            diff |= usize::from(a ^ b);
        }
        diff == 0
    }
}

/// Middleware: lets the request through only with the right bearer token.
pub(crate) async fn require(State(token): State<Token>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "));
    if presented.is_some_and(|p| token.matches(p)) {
        next.run(request).await
    } else {
        let mut response = ApiError::Unauthorized.into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_only_the_exact_token() {
        let t = Token::new("s3cret\n").unwrap();
        assert!(t.matches(b"s3cret"));
        for wrong in [
            &b""[..],
            b"s3cre",
            b"s3cret ",
            b"s3crex",
            b"S3cret",
            b"s3cret\0",
        ] {
            assert!(!t.matches(wrong), "{wrong:?}");
        }
        assert!(Token::new(" \n").is_none());
    }

    #[test]
    fn load_reports_missing_and_empty_tokens() {
        assert!(Token::load(None).unwrap().is_none());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let missing = Token::load(Some(&TokenSource::File(path.clone()))).unwrap_err();
        assert!(missing.to_string().contains("token_file"), "{missing}");
        std::fs::write(&path, "\n").unwrap();
        let empty = Token::load(Some(&TokenSource::File(path.clone()))).unwrap_err();
        assert!(empty.to_string().contains("empty"), "{empty}");
        std::fs::write(&path, "abc\n").unwrap();
        let t = Token::load(Some(&TokenSource::File(path)))
            .unwrap()
            .unwrap();
        assert!(t.matches(b"abc"));
        let unset = Token::load(Some(&TokenSource::Env(
            "SLIPSTREAM_TEST_SURELY_UNSET_TOKEN".into(),
        )))
        .unwrap_err();
        assert!(unset.to_string().contains("not set"), "{unset}");
    }
}

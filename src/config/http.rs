//! `spec.listen` and `spec.http`: the listen address, bearer-token authentication and TLS.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::path::At;
use super::problems::Problems;
use super::raw::{AuthSpec, HttpSpec, TlsSpec};
use super::{TlsConfig, TokenSource};

/// Default HTTP listen address.
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:9977";

/// `spec.listen` (at `at`), default [`DEFAULT_LISTEN`].
pub(super) fn listen(text: Option<&str>, at: &At, problems: &mut Problems) -> Option<SocketAddr> {
    let text = text.unwrap_or(DEFAULT_LISTEN);
    text.parse()
        .map_err(|_| {
            problems.error(
                at,
                format!("{text:?} is not an address like 127.0.0.1:9977"),
            )
        })
        .ok()
}

/// `spec.http` (at `at`): the token source and the TLS files, each `None` when not set or
/// invalid.
pub(super) fn validate(
    h: Option<&HttpSpec>,
    at: &At,
    problems: &mut Problems,
) -> (Option<TokenSource>, Option<TlsConfig>) {
    let auth = h
        .and_then(|h| h.auth.as_ref())
        .and_then(|a| auth(a, &at.field("auth"), problems));
    let tls = h
        .and_then(|h| h.tls.as_ref())
        .and_then(|t| tls(t, &at.field("tls"), problems));
    (auth, tls)
}

/// `spec.http.auth`: exactly one non-empty source. The token itself is read at start.
fn auth(a: &AuthSpec, at: &At, problems: &mut Problems) -> Option<TokenSource> {
    match (&a.token_file, &a.token_env) {
        (Some(file), None) if !file.is_empty() => Some(TokenSource::File(PathBuf::from(file))),
        (None, Some(var)) if !var.is_empty() && !var.contains(['=', '\0']) => {
            Some(TokenSource::Env(var.clone()))
        }
        (Some(_), None) => {
            problems.error(&at.field("token_file"), "must not be empty");
            None
        }
        (None, Some(_)) => {
            problems.error(&at.field("token_env"), "must be a variable name");
            None
        }
        _ => {
            problems.error(at, "set exactly one of token_file, token_env");
            None
        }
    }
}

/// `spec.http.tls`: both paths set, and the files hold a certificate and its private key
/// (read here, so that a bad file is a configuration error, and again at start).
fn tls(t: &TlsSpec, at: &At, problems: &mut Problems) -> Option<TlsConfig> {
    let mut empty = false;
    for (field, path) in [("cert_file", &t.cert_file), ("key_file", &t.key_file)] {
        if path.trim().is_empty() {
            problems.error(&at.field(field), "must not be empty");
            empty = true;
        }
    }
    if empty {
        return None;
    }
    let tls = TlsConfig {
        cert_file: PathBuf::from(&t.cert_file),
        key_file: PathBuf::from(&t.key_file),
    };
    match crate::tls::server_config(&tls) {
        Ok(_) => Some(tls),
        Err(e) => {
            problems.error(&at.field(e.field()), e.to_string());
            None
        }
    }
}

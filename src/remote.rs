//! Asking a running slipstream: one request to a JSON endpoint, for the command-line forms
//! of the API (`slipstream report --url …`, `slipstream annotate`). Plain HTTP only; a
//! bearer token is sent when given.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// How long one request may take.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// `GET base + path_and_query` with `token` as a bearer token, its status and JSON body.
pub fn get_json(
    base: &str,
    path_and_query: &str,
    token: Option<&str>,
) -> anyhow::Result<(u16, Value)> {
    let (status, body) = get(base, path_and_query, token)?;
    let json = serde_json::from_slice(&body).map_err(|e| {
        anyhow::anyhow!(
            "GET {base}{path_and_query}: status {status}, not JSON ({e}): {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        )
    })?;
    Ok((status, json))
}

/// `GET base + path_and_query` with `token` as a bearer token, its status and body.
pub fn get(base: &str, path_and_query: &str, token: Option<&str>) -> anyhow::Result<(u16, Bytes)> {
    request("GET", base, path_and_query, token, None)
}

/// `method base + path_and_query` with `token` as a bearer token and `body` as JSON, its
/// status and JSON answer.
pub fn send_json(
    method: &str,
    base: &str,
    path_and_query: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> anyhow::Result<(u16, Value)> {
    let (status, answer) = request(method, base, path_and_query, token, body)?;
    let json = serde_json::from_slice(&answer).map_err(|e| {
        anyhow::anyhow!(
            "{method} {base}{path_and_query}: status {status}, not JSON ({e}): {}",
            String::from_utf8_lossy(&answer[..answer.len().min(200)])
        )
    })?;
    Ok((status, json))
}

/// One request: `method base + path_and_query`, `body` as JSON when given.
fn request(
    method: &str,
    base: &str,
    path_and_query: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> anyhow::Result<(u16, Bytes)> {
    let base = base.trim_end_matches('/');
    if !base.starts_with("http://") {
        anyhow::bail!(
            "--url {base}: only http:// URLs are supported (for HTTPS, run the command where it can reach plain HTTP, or use curl)"
        );
    }
    let url = format!("{base}{path_and_query}");
    let mut request = hyper::Request::builder().method(method).uri(&url);
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    let payload = match body {
        Some(v) => {
            request = request.header("content-type", "application/json");
            Bytes::from(serde_json::to_vec(v)?)
        }
        None => Bytes::new(),
    };
    let request = request.body(Full::new(payload))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = Client::builder(TokioExecutor::new()).build_http();
        let exchange = async {
            let response = client.request(request).await?;
            let status = response.status().as_u16();
            let body = response.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, body))
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| anyhow::anyhow!("{method} {url}: no answer within {TIMEOUT:?}"))?
            .map_err(|e| anyhow::anyhow!("{method} {url}: {e}"))
    })
}

/// Percent-encodes a URL path segment or query value (everything but unreserved characters).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

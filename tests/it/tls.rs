//! HTTPS (`spec.http.tls`) with a self-signed certificate made at test time: the API answers
//! over HTTPS through every layer (authentication included), plain HTTP on the same port gets
//! no HTTP answer, failed handshakes do not stop the server, shutdown is graceful with an
//! idle connection open; bad certificate or key files are config errors naming their field,
//! and a reload cannot change `spec.http.tls`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

use crate::cli::free_port;
use crate::helpers::{NOON, alb_line, feed, pipeline};
use slipstream::app::ReloadError;
use slipstream::config;
use slipstream::serve::auth::Token;
use slipstream::time::SECOND;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A self-signed certificate for `localhost` and `127.0.0.1`, as PEM files in `dir`.
struct SelfSigned {
    cert_file: PathBuf,
    key_file: PathBuf,
    der: CertificateDer<'static>,
}

fn self_signed(dir: &Path, name: &str) -> SelfSigned {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let cert_file = dir.join(format!("{name}.crt"));
    let key_file = dir.join(format!("{name}.key"));
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, signing_key.serialize_pem()).unwrap();
    SelfSigned {
        cert_file,
        key_file,
        der: cert.der().clone(),
    }
}

fn yaml(tls: &str) -> String {
    format!(
        r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {{name: tls}}
spec:
  source: {{file: {{paths: [/dev/null]}}}}
  decode: {{format: alb}}
  services: [{{name: api, match: {{host: api.example.com}}}}]
  http: {{{tls}}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {{name: api}}
spec:
  service: api
  indicators: [{{name: availability, threshold: 99.9, window: 30d}}]
"#
    )
}

fn tls_yaml(cert: &SelfSigned) -> String {
    yaml(&format!(
        "tls: {{cert_file: {}, key_file: {}}}",
        cert.cert_file.display(),
        cert.key_file.display()
    ))
}

/// An HTTP/1.1 connection over TLS to 127.0.0.1:`port`, trusting only `ca`.
async fn connect(
    port: u16,
    ca: &CertificateDer<'static>,
) -> Result<SendRequest<Empty<Bytes>>, BoxError> {
    let mut roots = RootCertStore::empty();
    roots.add(ca.clone())?;
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    let tls = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost")?, tcp)
        .await?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

/// `GET path` on `sender`: status and body.
async fn get(
    sender: &mut SendRequest<Empty<Bytes>>,
    path: &str,
    token: Option<&str>,
) -> Result<(u16, String), BoxError> {
    let mut request = hyper::Request::get(path).header("host", "localhost");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = sender.send_request(request.body(Empty::new())?).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8(body.to_vec())?))
}

async fn https_get(
    port: u16,
    ca: &CertificateDer<'static>,
    path: &str,
    token: Option<&str>,
) -> Result<(u16, String), BoxError> {
    get(&mut connect(port, ca).await?, path, token).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_answers_over_https_only() {
    let dir = tempfile::tempdir().unwrap();
    let cert = self_signed(dir.path(), "server");
    let other = self_signed(dir.path(), "other");
    let yaml = tls_yaml(&cert);
    let tls_config = config::parse(&yaml, "tls.yaml")
        .unwrap()
        .start
        .http_tls
        .unwrap();
    let (p, _) = pipeline(&yaml, NOON);
    let lines: Vec<String> = (0..100)
        .map(|i| {
            let status = if i % 10 == 0 { 503 } else { 200 };
            alb_line(
                NOON - 100 * SECOND + i * SECOND,
                "api.example.com",
                "/",
                status,
                Some((0, 5, 0)),
            )
        })
        .collect();
    feed(&p, 0, &lines, 50);
    let router = slipstream::serve::router_with_auth(p, Some(Token::new("t0ken").unwrap()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server_tls = slipstream::tls::server_config(&tls_config).unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(slipstream::serve::server::serve(
        listener,
        router,
        Some(server_tls),
        async {
            let _ = stop_rx.await;
        },
    ));

    let (status, body) = https_get(port, &cert.der, "/healthz", None).await.unwrap();
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    let (status, body) = https_get(port, &cert.der, "/v1/slos", Some("t0ken"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let report: Value = serde_json::from_str(&body).unwrap();
    let slo = &report["slos"][0];
    assert_eq!(slo["service"], "api");
    assert_eq!(slo["no_data"], false, "{slo}");
    assert!(slo["sli"].as_f64().unwrap() < 1.0, "{slo}");
    // The layers sit in front over HTTPS too.
    let (status, _) = https_get(port, &cert.der, "/v1/slos", None).await.unwrap();
    assert_eq!(status, 401);

    // Plain HTTP to the TLS port: no HTTP answer (the handshake fails, the connection ends).
    let mut plain = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    // A guard against a hang, not a timing assertion: either way there is no HTTP answer.
    let _ = tokio::time::timeout(Duration::from_secs(20), plain.read_to_end(&mut answer)).await;
    assert!(
        !answer.starts_with(b"HTTP/"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    // A client that does not trust the certificate fails its handshake.
    assert!(https_get(port, &other.der, "/healthz", None).await.is_err());
    // Neither stopped the server.
    let mut idle = connect(port, &cert.der).await.unwrap();
    let (status, _) = get(&mut idle, "/readyz", None).await.unwrap();
    assert_ne!(status, 401);

    // Graceful shutdown ends with the idle keep-alive connection still open, and then the
    // port is closed.
    stop_tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(60), server)
        .await
        .expect("the server did not stop")
        .unwrap();
    assert!(get(&mut idle, "/healthz", None).await.is_err());
    assert!(https_get(port, &cert.der, "/healthz", None).await.is_err());
}

/// `spec.http.tls` problems of `yaml`, as `location: message` lines.
fn problems(yaml: &str) -> String {
    let e = config::parse(yaml, "t.yaml").unwrap_err();
    e.problems
        .iter()
        .map(|p| format!("{}: {}", p.location, p.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn bad_certificate_or_key_files_are_config_errors_with_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let cert = self_signed(dir.path(), "server");
    let other = self_signed(dir.path(), "other");
    let missing = dir.path().join("missing.key");
    let tls = |cert_file: &Path, key_file: &Path| {
        yaml(&format!(
            "tls: {{cert_file: {}, key_file: {}}}",
            cert_file.display(),
            key_file.display()
        ))
    };
    assert!(config::parse(&tls_yaml(&cert), "t.yaml").is_ok());
    for (yaml, want) in [
        (
            tls(&cert.cert_file, &missing),
            format!("spec.http.tls.key_file: cannot read {}", missing.display()),
        ),
        (
            tls(&missing, &cert.key_file),
            format!("spec.http.tls.cert_file: cannot read {}", missing.display()),
        ),
        (
            tls(&cert.cert_file, &cert.cert_file),
            format!(
                "spec.http.tls.key_file: {}: no PEM private key",
                cert.cert_file.display()
            ),
        ),
        (
            tls(&cert.key_file, &cert.key_file),
            format!(
                "spec.http.tls.cert_file: {}: no PEM certificate",
                cert.key_file.display()
            ),
        ),
        (
            tls(&cert.cert_file, &other.key_file),
            format!(
                "spec.http.tls.key_file: {}: the private key does not belong to the certificate",
                other.key_file.display()
            ),
        ),
        (
            yaml(&format!("tls: {{cert_file: {}}}", cert.cert_file.display())),
            "spec.http.tls: missing field `key_file`".to_string(),
        ),
        (
            tls(Path::new(""), &cert.key_file).replace("cert_file: ,", "cert_file: '',"),
            "spec.http.tls.cert_file: must not be empty".to_string(),
        ),
    ] {
        let got = problems(&yaml);
        assert!(got.contains(&want), "want {want}\ngot {got}");
    }

    // The binary: exit 64 with the field's path, for `validate` and for `run`.
    let file = dir.path().join("p.yaml");
    std::fs::write(&file, tls(&cert.cert_file, &missing)).unwrap();
    for args in [
        vec!["validate", file.to_str().unwrap()],
        vec![
            "run",
            "--config",
            file.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_slipstream"))
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {stderr}");
        assert!(stderr.contains("spec.http.tls.key_file"), "{stderr}");
    }
}

#[test]
fn a_reload_cannot_change_tls() {
    let dir = tempfile::tempdir().unwrap();
    let cert = self_signed(dir.path(), "server");
    let other = self_signed(dir.path(), "other");
    let with_tls = tls_yaml(&cert);
    let (p, _) = pipeline(&with_tls, NOON);
    let changed = |yaml: &str| match p.reload(config::parse(yaml, "t.yaml")) {
        Err(e @ ReloadError::NeedsRestart(_)) => e.to_string(),
        other => panic!("accepted or invalid: {other:?}"),
    };
    let want = "spec.http.tls changed: restart slipstream to apply it";
    assert_eq!(changed(&yaml("")), want);
    assert_eq!(changed(&tls_yaml(&other)), want);
    assert!(p.reload(config::parse(&with_tls, "t.yaml")).is_ok());
}

/// The binary serves HTTPS to curl and stops gracefully on SIGTERM.
#[test]
fn slipstream_run_serves_https_to_curl() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("note: curl not on PATH, skipping the curl test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cert = self_signed(dir.path(), "server");
    let file = dir.path().join("p.yaml");
    std::fs::write(&file, tls_yaml(&cert)).unwrap();
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_slipstream"))
        .args(["run", "--config", file.to_str().unwrap()])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let curl = |scheme: &str, path: &str| {
        Command::new("curl")
            .args(["--silent", "--show-error", "--max-time", "10"])
            .arg("--cacert")
            .arg(&cert.cert_file)
            .args(["--write-out", "\n%{http_code}"])
            .arg(format!("{scheme}://127.0.0.1:{port}{path}"))
            .output()
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let ready = loop {
        let out = curl("https", "/readyz");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() && text.ends_with("\n200") {
            break text;
        }
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "never ready over https: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(ready.starts_with(r#"{"status":"ready"}"#), "{ready}");
    let slos = String::from_utf8(curl("https", "/v1/slos").stdout).unwrap();
    let (body, code) = slos.rsplit_once('\n').unwrap();
    assert_eq!(code, "200");
    let report: Value = serde_json::from_str(body).unwrap();
    assert_eq!(report["slos"][0]["service"], "api");
    // Plain HTTP gets no HTTP status.
    let plain = String::from_utf8(curl("http", "/healthz").stdout).unwrap();
    assert!(plain.ends_with("000"), "{plain}");

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}

/// Reads one HTTP request from `stream` (headers, then a `content-length` body), answers
/// 200 and returns the body.
async fn receive_one(stream: &mut TcpStream) -> String {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "connection closed mid-request");
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if body.len() >= length {
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .await
                    .unwrap();
                return body.to_string();
            }
        }
    }
}

#[tokio::test]
async fn alerts_pushed_to_alertmanager_link_back_over_https() {
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let am = receiver.local_addr().unwrap();
    // Half the requests of the last ten minutes fail: the 1 h / 5 m page fires.
    let (p, _) = pipeline(&yaml(""), NOON);
    let lines: Vec<String> = (0..600)
        .map(|i| {
            let status = if i % 2 == 0 { 503 } else { 200 };
            alb_line(
                NOON - 600 * SECOND + i * SECOND,
                "api.example.com",
                "/",
                status,
                Some((0, 5, 0)),
            )
        })
        .collect();
    feed(&p, 0, &lines, 100);
    let listen: std::net::SocketAddr = "127.0.0.1:9443".parse().unwrap();
    let mut notifier = slipstream::notify::alertmanager::Notifier::new(
        p.clone(),
        p.alertmanager_stats.clone(),
        config::AlertmanagerConfig {
            url: format!("http://{am}"),
            interval_us: SECOND,
            resend_us: 60 * SECOND,
            timeout_us: 10 * SECOND,
        },
        listen,
    )
    .over_https();
    let (sent, body) = tokio::join!(notifier.tick(), async {
        let (mut stream, _) = receiver.accept().await.unwrap();
        receive_one(&mut stream).await
    });
    assert!(sent.unwrap() >= 1);
    let alerts: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        alerts[0]["generatorURL"], "https://127.0.0.1:9443/v1/slos/api/availability",
        "{alerts:#}"
    );
}

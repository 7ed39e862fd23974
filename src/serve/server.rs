//! The accept loop: one code path for plain HTTP and HTTPS.
//!
//! [`serve`] accepts TCP connections, and with a TLS configuration completes the handshake
//! in the connection's own task (within [`HANDSHAKE_TIMEOUT`]; a failure is logged at debug
//! and only drops that connection), then serves HTTP/1.1 with hyper-util's connection
//! builder through the router as given, so every layer of [`super::router_with_auth`] (limits,
//! authentication, timeouts, catch-panic) sits in front of every request either way.
//! Headers must arrive within [`HEADER_READ_TIMEOUT`].
//!
//! When `shutdown` completes, the listener is closed, idle connections are closed, requests
//! in flight are answered (each is bounded by the request timeout) and [`serve`] returns
//! once every connection has ended, as `axum::serve`'s graceful shutdown does.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tracing::{debug, warn};

/// Longest a client may take to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a client may take to send a request's headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` (HTTPS with `tls`, else plain HTTP) until `shutdown`
/// completes and the connections open then have ended.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = tls.map(TlsAcceptor::from);
    // Connections watch `stop_rx` to start their graceful shutdown; each holds a clone of
    // `done_rx`, so `done_tx.closed()` completes when the last one has ended.
    let (stop_tx, stop_rx) = watch::channel(());
    let (done_tx, done_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let acceptor = acceptor.clone();
        let stop = stop_rx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            match acceptor {
                None => connection(stream, router, stop).await,
                Some(acceptor) => {
                    if let Some(stream) = handshake(&acceptor, stream, peer, stop.clone()).await {
                        connection(stream, router, stop).await;
                    }
                }
            }
            drop(done);
        });
    }
    drop(listener);
    // Dropping the last sender tells every connection to finish gracefully.
    drop(stop_tx);
    drop(stop_rx);
    drop(done_rx);
    done_tx.closed().await;
}

/// A failed `accept`: errors of one connection are skipped; others (such as running out of
/// file descriptors) are logged and retried after a pause instead of spinning.
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        debug!(error = %e, "accept failed");
    } else {
        warn!(error = %e, "accept failed; retrying in 1 s");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The TLS handshake on `stream`; `None` (logged at debug) when it fails, times out or the
/// server stops first.
async fn handshake(
    acceptor: &TlsAcceptor,
    stream: TcpStream,
    peer: std::net::SocketAddr,
    mut stop: watch::Receiver<()>,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    let accepted = tokio::select! {
        r = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)) => r,
        _ = stop.changed() => return None,
    };
    match accepted {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(e)) => {
            debug!(%peer, error = %e, "tls handshake failed");
            None
        }
        Err(_) => {
            debug!(%peer, "tls handshake timed out");
            None
        }
    }
}

/// Serves HTTP/1.1 on one connection until the client closes it or, after `stop`, the
/// request in flight is answered.
async fn connection<I>(io: I, router: Router, mut stop: watch::Receiver<()>)
where
    I: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let service = TowerToHyperService::new(router);
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let mut conn = pin!(builder.serve_connection_with_upgrades(TokioIo::new(io), service));
    let mut stopping = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            _ = stop.changed(), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

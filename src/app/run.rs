//! Running the service: the source on its own thread, periodic checkpoints on another, the
//! configuration watcher, the Alertmanager notifier and the HTTP server on the runtime; then,
//! on Ctrl-C, SIGTERM or a failed source, a graceful stop that ends with a final checkpoint.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context;
use tracing::{info, warn};

use super::cluster::Member;
use super::{ParallelSink, Pipeline, ReloadSource, build_source, reload};
use crate::clock::Clock;
use crate::config::{AlertmanagerConfig, Config, SourceConfig};
use crate::source::demo::DemoSpec;
use crate::source::{Sink, StopSignal};

/// How long a stop waits for the source thread (a stdin read cannot see the stop signal).
const SOURCE_STOP_WAIT: Duration = Duration::from_secs(5);

/// Runs the service: the source on its own thread, the HTTP API on `spec.listen`, until
/// Ctrl-C or SIGTERM. With a `reload` source, SIGHUP and changes of that file reload the
/// configuration; without one (the demo's embedded configuration) SIGHUP is ignored.
pub async fn run(
    config: Config,
    clock: Arc<dyn Clock>,
    reload: Option<ReloadSource>,
) -> anyhow::Result<()> {
    // Before anything else: SIGHUP's default action would end the process.
    #[cfg(unix)]
    let hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .context("cannot handle SIGHUP")?;
    let token = crate::serve::auth::Token::load(config.start.http_auth.as_ref())?;
    let tls = config
        .start
        .http_tls
        .as_ref()
        .map(crate::tls::server_config)
        .transpose()
        .map_err(|e| anyhow::anyhow!("spec.http.tls.{}: {e}", e.field()))?;
    let pipeline = Pipeline::open(&config, clock.clone())?;
    if let SourceConfig::Demo(demo) = &config.start.source {
        annotate_backfill(demo, &pipeline, clock.now_us());
    }
    #[cfg(unix)]
    watch_reloads(&pipeline, reload, hangup);
    #[cfg(not(unix))]
    let _ = reload;
    let listener = tokio::net::TcpListener::bind(config.start.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.start.listen))?;
    info!(address = %listener.local_addr()?, tls = tls.is_some(), pipeline = config.start.name, slos = config.reload.objectives.len(), "serving");
    let stop = StopSignal::new();
    let member = match (&pipeline.cluster, &config.start.source) {
        (Some(_), SourceConfig::Kafka(spec)) => {
            Some(super::cluster::start(&pipeline, spec, stop.clone()).await?)
        }
        _ => None,
    };
    let sink = source_sink(&config, &pipeline, member.as_ref());
    let source = SourceThread::start(&config, &pipeline, sink, stop.clone())?;
    let checkpoints = config
        .start
        .checkpoint
        .as_ref()
        .map(|c| checkpoint_thread(pipeline.clone(), c.interval_us, stop.clone()))
        .transpose()?;
    if let Some(am) = &config.start.alertmanager {
        start_notifier(&pipeline, am, &config, tls.is_some());
    } else if config.start.cluster.is_some() {
        // Nothing to push to, but the cluster's alert state is still decided once.
        tokio::spawn(crate::notify::decide::run(pipeline.clone()));
    }
    let writes = annotation_writes(&config, token.is_some());
    let router = crate::serve::router_with(pipeline.clone(), token, writes);
    let (stopped_by_source, source_error_rx) = source_failure(source.failed);
    crate::serve::server::serve(listener, router, tls, async {
        tokio::select! {
            () = shutdown_signal() => {},
            () = stopped_by_source => {},
        }
    })
    .await;
    shut_down(&stop, &source.done, checkpoints, &pipeline);
    if let Ok(e) = source_error_rx.await {
        anyhow::bail!("source failed: {e}");
    }
    Ok(())
}

/// The demo's backfilled deploys and incidents (as of `now`), on the charts and in the
/// annotations of `pipeline`.
fn annotate_backfill(demo: &DemoSpec, pipeline: &Pipeline, now: i64) {
    let store = crate::serve::read::ReadSide::view(pipeline).store;
    let mut annotations = store.annotations();
    for a in crate::source::demo::annotations(demo, now) {
        let _ = annotations.add(a, now);
    }
}

/// With a `reload` source, SIGHUP (`hangup`) and changes of that file reload `pipeline`'s
/// configuration; without one, SIGHUP is ignored.
#[cfg(unix)]
fn watch_reloads(
    pipeline: &Arc<Pipeline>,
    reload: Option<ReloadSource>,
    hangup: tokio::signal::unix::Signal,
) {
    match reload {
        Some(source) => {
            tokio::spawn(reload::watch(pipeline.clone(), source, hangup));
        }
        None => {
            tokio::spawn(reload::ignore(hangup));
        }
    }
}

/// The sink `config`'s source feeds: the cluster `member`'s reader or `pipeline`'s own sink,
/// behind a pool that decides batches on every core for a Kafka source.
fn source_sink(
    config: &Config,
    pipeline: &Arc<Pipeline>,
    member: Option<&Member>,
) -> Box<dyn Sink> {
    // Kafka is read on one thread: a pool sized to the cores decides what it reads.
    let kafka = matches!(config.start.source, SourceConfig::Kafka(_));
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    match (member.and_then(|m| m.sink(pipeline)), kafka) {
        (Some(s), true) => Box::new(ParallelSink::new(s, cores)),
        (Some(s), false) => Box::new(s),
        (None, true) => Box::new(ParallelSink::new(pipeline.sink(), cores)),
        (None, false) => Box::new(pipeline.sink()),
    }
}

/// Whether the API takes annotation writes (with a token, or opened by `config`); warns when
/// anyone who reaches the server may write.
fn annotation_writes(config: &Config, authenticated: bool) -> crate::serve::annotations::Writes {
    let writes =
        crate::serve::annotations::Writes::of(authenticated, config.start.http_open_writes);
    if config.start.http_open_writes && !authenticated {
        tracing::warn!(
            "spec.http.allow_unauthenticated_writes: anyone who can reach {} can add and delete annotations; keep it on a trusted network",
            config.start.listen
        );
    }
    writes
}

/// A future that ends when the source fails (with `failed`'s error), never otherwise, and
/// the receiver its error is then passed on to.
fn source_failure(
    failed: tokio::sync::oneshot::Receiver<String>,
) -> (
    impl std::future::Future<Output = ()>,
    tokio::sync::oneshot::Receiver<String>,
) {
    let (source_error_tx, source_error_rx) = tokio::sync::oneshot::channel::<String>();
    let stopped_by_source = async move {
        if let Ok(e) = failed.await {
            let _ = source_error_tx.send(e);
        } else {
            std::future::pending::<()>().await;
        }
    };
    (stopped_by_source, source_error_rx)
}

/// The graceful stop once the server is done: `stop` raised, the source's thread waited for
/// (`source_done`, at most [`SOURCE_STOP_WAIT`]), the checkpoint thread joined and a final
/// checkpoint of `pipeline` written.
fn shut_down(
    stop: &StopSignal,
    source_done: &std::sync::mpsc::Receiver<()>,
    checkpoints: Option<JoinHandle<()>>,
    pipeline: &Pipeline,
) {
    info!("shutting down");
    stop.stop();
    if source_done.recv_timeout(SOURCE_STOP_WAIT).is_err() {
        warn!("source did not stop within 5 s; exiting without it");
    }
    if let Some(thread) = checkpoints {
        let _ = thread.join();
        // Everything applied is now in the final checkpoint: nothing to replay on restart.
        pipeline.checkpoint();
        info!("final checkpoint written");
    }
}

/// The source running on its own thread.
struct SourceThread {
    /// Receives the error the source stopped with, if it failed.
    failed: tokio::sync::oneshot::Receiver<String>,
    /// Receives once the source's thread is done.
    done: std::sync::mpsc::Receiver<()>,
}

impl SourceThread {
    /// Starts `config`'s source into `pipeline`, until `stop` or the end of its input.
    fn start(
        config: &Config,
        pipeline: &Arc<Pipeline>,
        mut sink: Box<dyn Sink>,
        stop: StopSignal,
    ) -> anyhow::Result<Self> {
        let source = build_source(&config.start, pipeline);
        let (failed_tx, failed) = tokio::sync::oneshot::channel::<String>();
        let (done_tx, done) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("source".into())
            .spawn(move || {
                match source.run(&mut *sink, &stop) {
                    Ok(()) => info!("source finished; still serving"),
                    Err(e) => {
                        let _ = failed_tx.send(e.to_string());
                    }
                }
                // Before saying it is done: a cluster member's sink writes what it read and
                // says it leaves when dropped.
                drop(sink);
                let _ = done_tx.send(());
            })
            .context("cannot start the source thread")?;
        Ok(Self { failed, done })
    }
}

/// A thread that checkpoints `pipeline` every `interval_us` until `stop`.
fn checkpoint_thread(
    pipeline: Arc<Pipeline>,
    interval_us: i64,
    stop: StopSignal,
) -> anyhow::Result<JoinHandle<()>> {
    let interval = Duration::from_micros(interval_us as u64);
    std::thread::Builder::new()
        .name("checkpoint".into())
        .spawn(move || {
            let mut last = Instant::now();
            while !stop.is_stopped() {
                std::thread::sleep(Duration::from_millis(100));
                if last.elapsed() >= interval {
                    pipeline.checkpoint();
                    last = Instant::now();
                }
            }
        })
        .context("cannot start the checkpoint thread")
}

/// Starts pushing `pipeline`'s firing alerts to the Alertmanager `am`; `generatorURL`s
/// point at this server, over HTTPS when it speaks TLS.
fn start_notifier(pipeline: &Arc<Pipeline>, am: &AlertmanagerConfig, config: &Config, https: bool) {
    let notifier = crate::notify::alertmanager::Notifier::new(
        pipeline.clone(),
        pipeline.alertmanager_stats.clone(),
        am.clone(),
        config.start.listen,
    );
    let notifier = if https {
        notifier.over_https()
    } else {
        notifier
    };
    let notifier = match &config.start.cluster {
        Some(c) => notifier.generator_url(&c.advertise_url),
        None => notifier,
    };
    tokio::spawn(notifier.run());
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

//! Push to Alertmanager (`spec.alertmanager`): every `interval`, evaluate and `POST
//! /api/v2/alerts` with the firing alerts ([`crate::serve::alerts_api`] labels and
//! annotations).
//!
//! A newly firing alert is sent at once and then again every `resend` while it fires, with
//! `startsAt` = the evaluation time it was first seen firing (in a cluster, as the pusher
//! decided it: [`super::decide`]) and `endsAt` = now + `resend` +
//! 3 × `interval`, so Alertmanager keeps it active between sends and resolves it by itself
//! if slipstream goes away. When an alert stops firing it is sent once more with `endsAt` =
//! now (resolved); a failed send is retried at the next interval. `generatorURL` points at
//! `/v1/slos/{service}/{slo}` on slipstream's listen address. Each request counts in
//! `slipstream_alertmanager_notifications_total{result="ok|failed"}`.
//!
//! Plain `http://` only: no TLS client is built in (put a local proxy in front of a remote,
//! TLS-only Alertmanager).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tracing::{debug, warn};

use super::decide::Decider;
use crate::config::AlertmanagerConfig;
use crate::serve::alerts_api::Labels;
use crate::serve::read::ReadSide;
use crate::time::format_rfc3339;

/// Requests sent to Alertmanager, by result.
#[derive(Debug, Default)]
pub struct NotificationStats {
    /// Requests answered with a 2xx status.
    pub ok: AtomicU64,
    /// Requests that failed (connection, timeout, non-2xx status).
    pub failed: AtomicU64,
}

/// Why a send failed.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The evaluation failed (panicked); nothing was sent.
    #[error("evaluation failed: {0}")]
    Evaluation(String),
    /// The request could not be built (bad URL).
    #[error("bad request: {0}")]
    Request(String),
    /// Connecting or sending failed.
    #[error("sending failed: {0}")]
    Send(String),
    /// No answer within the timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// Alertmanager refused the alerts.
    #[error("alertmanager answered {status}: {body}")]
    Status {
        /// HTTP status.
        status: u16,
        /// Start of the answer.
        body: String,
    },
}

/// A sent firing alert: what a resolve must repeat.
#[derive(Debug, Clone)]
struct Sent {
    annotations: Labels,
    starts_at_us: i64,
    /// Wall clock of the last successful send, µs.
    last_sent_us: i64,
}

/// The push loop's state; [`Notifier::tick`] is one evaluation and send.
pub struct Notifier {
    read: Arc<dyn ReadSide>,
    stats: Arc<NotificationStats>,
    config: AlertmanagerConfig,
    /// `http://listen` of slipstream itself, for `generatorURL`.
    self_url: String,
    client: Client<HttpConnector, Full<Bytes>>,
    /// Since when each alert fires; in a cluster, the pusher's decision for everyone.
    decider: Decider,
    sent: HashMap<Labels, Sent>,
    /// Resolved alerts not yet delivered.
    resolving: HashMap<Labels, Sent>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("config", &self.config)
            .field("self_url", &self.self_url)
            .field("sent", &self.sent.len())
            .field("resolving", &self.resolving.len())
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// A notifier for the pipeline behind `read`, counting its requests in `stats`; `listen`
    /// is slipstream's own address.
    pub fn new(
        read: Arc<dyn ReadSide>,
        stats: Arc<NotificationStats>,
        config: AlertmanagerConfig,
        listen: std::net::SocketAddr,
    ) -> Self {
        Self {
            read,
            stats,
            config,
            self_url: format!("http://{listen}"),
            client: Client::builder(TokioExecutor::new()).build_http(),
            decider: Decider::default(),
            sent: HashMap::new(),
            resolving: HashMap::new(),
        }
    }

    /// The same with `generatorURL`s under `url` (a cluster member's advertised URL, which
    /// peers and people can reach, rather than its listen address).
    pub fn generator_url(mut self, url: &str) -> Self {
        self.self_url = url.trim_end_matches('/').to_string();
        self
    }

    /// The same, for a server that speaks HTTPS (`spec.http.tls`): `generatorURL`s start
    /// with `https://`.
    pub fn over_https(mut self) -> Self {
        if let Some(rest) = self.self_url.strip_prefix("http://") {
            self.self_url = format!("https://{rest}");
        }
        self
    }

    /// Runs forever: one [`tick`](Self::tick) per interval.
    pub async fn run(mut self) {
        let mut ticker =
            tokio::time::interval(Duration::from_micros(self.config.interval_us as u64));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(e) = self.tick().await {
                warn!(url = self.config.url, error = %e, "alertmanager notification failed; will retry");
            }
        }
    }

    /// Evaluates now (on the blocking pool) and sends what is due: new firing alerts,
    /// resends, resolves. Returns how many alerts were sent (0: nothing due, no request).
    pub async fn tick(&mut self) -> Result<usize, NotifyError> {
        let read = self.read.clone();
        let evaluation = tokio::task::spawn_blocking(move || read.evaluate_all().evaluation)
            .await
            .map_err(|e| NotifyError::Evaluation(e.to_string()))?;
        let now = self.read.now_us();
        let active = self.decider.observe(
            &*self.read,
            &evaluation.report,
            evaluation.evaluated_at_us,
            now,
            self.config.resend_us,
        );
        if !self.read.may_notify() {
            // Another cluster member pushes. Should this one take over, it sends every
            // active alert afresh (Alertmanager deduplicates); resolves are left to endsAt.
            self.sent.clear();
            self.resolving.clear();
            return Ok(0);
        }
        let ends_at = now + self.config.resend_us + 3 * self.config.interval_us;
        let mut payload = Vec::new();
        let mut due = Vec::new();
        for a in &active {
            let resend = self
                .sent
                .get(&a.labels)
                .is_none_or(|s| now - s.last_sent_us >= self.config.resend_us);
            if resend {
                payload.push(self.alert(&a.labels, &a.annotations, a.active_at_us, ends_at));
                due.push((a.labels.clone(), a.annotations.clone(), a.active_at_us));
            }
        }
        let stopped: Vec<Labels> = self
            .sent
            .keys()
            .filter(|l| !active.iter().any(|a| &a.labels == *l))
            .cloned()
            .collect();
        for labels in stopped {
            if let Some(s) = self.sent.remove(&labels) {
                self.resolving.insert(labels, s);
            }
        }
        for (labels, s) in &self.resolving {
            payload.push(self.alert(labels, &s.annotations, s.starts_at_us, now));
        }
        if payload.is_empty() {
            return Ok(0);
        }
        let n = payload.len();
        let result = self.post(&Value::Array(payload)).await;
        let stats = &self.stats;
        match &result {
            Ok(()) => {
                stats.ok.fetch_add(1, Ordering::Relaxed);
                debug!(
                    alerts = n,
                    resolved = self.resolving.len(),
                    "sent alerts to alertmanager"
                );
                self.resolving.clear();
                for (labels, annotations, starts_at_us) in due {
                    self.sent.insert(
                        labels,
                        Sent {
                            annotations,
                            starts_at_us,
                            last_sent_us: now,
                        },
                    );
                }
            }
            Err(_) => {
                stats.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
        result.map(|()| n)
    }

    fn alert(&self, labels: &Labels, annotations: &Labels, starts_us: i64, ends_us: i64) -> Value {
        let path = |k: &str| {
            labels
                .get(k)
                .map(|v| crate::remote::encode(v))
                .unwrap_or_default()
        };
        json!({
            "labels": labels,
            "annotations": annotations,
            "startsAt": format_rfc3339(starts_us),
            "endsAt": format_rfc3339(ends_us.max(starts_us)),
            "generatorURL": format!("{}/v1/slos/{}/{}", self.self_url, path("service"), path("slo")),
        })
    }

    async fn post(&self, body: &Value) -> Result<(), NotifyError> {
        let request = hyper::Request::post(format!("{}/api/v2/alerts", self.config.url))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| NotifyError::Request(e.to_string()))?;
        let timeout = Duration::from_micros(self.config.timeout_us as u64);
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| NotifyError::Send(format!("{e:?}")))?;
            let status = response.status();
            let body = http_body_util::BodyExt::collect(response.into_body())
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            if status.is_success() {
                Ok(())
            } else {
                Err(NotifyError::Status {
                    status: status.as_u16(),
                    body: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
                })
            }
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| NotifyError::Timeout(timeout))?
    }
}

//! Burn attribution answers: the top contributors of one SLO's bad events by one dimension
//! over whole minutes before the evaluation time (`GET
//! /v1/slos/{service}/{slo}/contributors`), and the one line an alert carries about its top
//! contributor by path.
//!
//! Counts come from the service's [`AttributionRing`]; each contributor says whether its
//! counts are exact, and otherwise gives the bounds of its bad events, its events, its share
//! of the SLO's bad events and its own error ratio. The SLO's own bad and total events over
//! the range are exact.

use serde::Serialize;

use std::sync::Arc;

use super::{Report, SloObjective};
use crate::classify::Classifier;
use crate::classify::attribution::{AttributionConfig, Dimension};
use crate::time::{MINUTE, floor_to, format_duration, format_rfc3339, parse_duration};
use crate::window::{AttributionRing, Contributors, Store};

/// One contributor as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContributorView {
    /// The key: a normalized path, a status, a backend, a host or a method; `-` for an
    /// unknown value.
    pub key: String,
    /// Its bad events (an upper bound unless `exact`).
    pub bad: u64,
    /// At least this many of them (equal to `bad` when exact).
    pub bad_min: u64,
    /// Its share of the SLO's bad events over the range (upper bound unless exact).
    pub share: f64,
    /// At least this share.
    pub share_min: f64,
    /// Its events (a lower bound unless exact).
    pub total: u64,
    /// At most this many events.
    pub total_max: u64,
    /// Its own error ratio, bad / total (upper bound unless exact).
    pub error_ratio: f64,
    /// At least this error ratio.
    pub error_ratio_min: f64,
    /// Whether every count above is the true one.
    pub exact: bool,
}

/// `GET /v1/slos/{service}/{slo}/contributors`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContributorsReport {
    /// The service.
    pub service: String,
    /// The SLO.
    pub slo: String,
    /// The dimension.
    pub by: &'static str,
    /// The window asked for.
    pub window: String,
    /// First instant covered, RFC 3339 (later than `end − window` when the ring holds less).
    pub start: String,
    /// First instant after, RFC 3339: the evaluation time rounded down to the minute.
    pub end: String,
    /// The SLO's bad events in `[start, end)`: exact.
    pub bad: u64,
    /// The SLO's events in `[start, end)`: exact.
    pub total: u64,
    /// The top contributors, most bad events first.
    pub contributors: Vec<ContributorView>,
    /// No key that is not listed had more bad events than this.
    pub unlisted_bad_max: u64,
}

/// The view of `c` against `all_bad` bad events.
fn view(c: &crate::window::Contributor, all_bad: u64) -> ContributorView {
    let (share_min, share) = c.share(all_bad);
    let (error_ratio_min, error_ratio) = c.error_ratio();
    ContributorView {
        key: if c.key.is_empty() {
            "-".into()
        } else {
            String::from_utf8_lossy(&c.key).into_owned()
        },
        bad: c.bad,
        bad_min: c.bad_min,
        share,
        share_min,
        total: c.total,
        total_max: c.total_max,
        error_ratio,
        error_ratio_min,
        exact: c.exact,
    }
}

/// Which SLO of a service and which dimension of the configuration to ask a ring for.
#[derive(Debug, Clone, Copy)]
pub struct Query {
    /// The SLO's position among its service's SLOs.
    pub slo: usize,
    /// The dimension's position among the configured ones.
    pub dim: usize,
    /// The dimension.
    pub by: Dimension,
    /// Window length, µs (whole minutes).
    pub window_us: i64,
    /// Contributors to list.
    pub limit: usize,
}

/// The top contributors of `ring` for `q`, over the whole minutes of `window_us` before the
/// evaluation time `t_us`.
pub fn contributors(
    ring: Option<&AttributionRing>,
    service: &str,
    slo: &str,
    q: Query,
    t_us: i64,
) -> ContributorsReport {
    let end = floor_to(t_us, MINUTE);
    // Nothing before the ring's first event was counted (a new ring, or attribution started
    // over at a reload): the answer starts there at the earliest; without a ring (no event
    // yet) it covers nothing.
    let since = ring
        .and_then(AttributionRing::counting_since_us)
        .unwrap_or(end);
    let from = (end - q.window_us).max(since.min(end));
    let c: Contributors = match ring {
        Some(ring) => ring.top(from, end, q.dim, q.slo, q.limit),
        None => Contributors {
            from_us: end,
            to_us: end,
            slo: Default::default(),
            top: Vec::new(),
            unlisted_bad_max: 0,
            overflowed: false,
        },
    };
    ContributorsReport {
        service: service.to_string(),
        slo: slo.to_string(),
        by: q.by.name(),
        window: format_duration(q.window_us),
        start: format_rfc3339(c.from_us.max(from).min(end)),
        end: format_rfc3339(end),
        bad: c.slo.bad,
        total: c.slo.total,
        contributors: c.top.iter().map(|x| view(x, c.slo.bad)).collect(),
        unlisted_bad_max: c.unlisted_bad_max,
    }
}

/// The line an alert carries about its top contributor: "POST /api/checkout: 63 % of bad
/// events, error ratio 8.1 %" (with "about" and the lower bounds when not exact); `None`
/// without bad events.
pub fn headline(r: &ContributorsReport) -> Option<String> {
    let top = r.contributors.first().filter(|c| c.bad > 0)?;
    let pct = |x: f64| {
        let p = x * 100.0;
        if p >= 10.0 {
            format!("{p:.0} %")
        } else {
            format!("{p:.1} %")
        }
    };
    Some(if top.exact {
        format!(
            "{}: {} of bad events, error ratio {} (last {})",
            top.key,
            pct(top.share),
            pct(top.error_ratio),
            r.window
        )
    } else {
        format!(
            "{}: {}–{} of bad events, error ratio {}–{} (last {}; bounds, more keys than tracked)",
            top.key,
            pct(top.share_min),
            pct(top.share),
            pct(top.error_ratio_min),
            pct(top.error_ratio),
            r.window
        )
    })
}

/// Why a contributors request has no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `spec.attribution` is not set.
    Off,
    /// No such SLO (a sub-service's SLOs are attributed as their service's).
    UnknownSlo,
    /// A bad parameter, and why.
    Bad(String),
}

/// What a configuration attributes: its settings, and its services and SLOs by index.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// `spec.attribution`.
    pub config: &'a AttributionConfig,
    /// Service names, by index.
    pub services: &'a [String],
    /// SLO ids (`service/slo`), by index.
    pub slo_ids: &'a [String],
    /// Which SLOs each service has.
    pub classifier: &'a Classifier,
}

impl Scope<'_> {
    /// Service `service`'s index and SLO `slo`'s position among its SLOs.
    fn locate(&self, service: &str, slo: &str) -> Option<(usize, usize)> {
        let s = self.services.iter().position(|n| n == service)?;
        let id = format!("{service}/{slo}");
        let pos = self
            .classifier
            .slos_of(s)
            .iter()
            .position(|&k| self.slo_ids[k] == id)?;
        Some((s, pos))
    }

    /// The query for `by` (default `path`, else the first dimension kept), `window` (default
    /// the retention) and `limit` (default 10, at most 100).
    fn query(
        &self,
        slo: usize,
        by: Option<&str>,
        window: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Query, Refusal> {
        let kept: Vec<&str> = self.config.dims.iter().map(|d| d.name()).collect();
        let by = match by {
            Some(name) => Dimension::from_name(name)
                .filter(|d| self.config.dims.contains(d))
                .ok_or_else(|| {
                    Refusal::Bad(format!("by={name}: attribution keeps {}", kept.join(", ")))
                })?,
            None => self.default_dimension(),
        };
        let retention = self.config.retention_us();
        let window_us = match window {
            None => retention,
            Some(text) => parse_duration(text)
                .ok()
                .filter(|&w| w > 0 && w % MINUTE == 0 && w <= retention)
                .ok_or_else(|| {
                    Refusal::Bad(format!(
                        "window={text}: whole minutes up to the attribution's retention, {}",
                        format_duration(retention)
                    ))
                })?,
        };
        let limit = limit.unwrap_or(10);
        if !(1..=100).contains(&limit) {
            return Err(Refusal::Bad(format!("limit={limit}: 1 to 100")));
        }
        Ok(self.build(slo, by, window_us, limit))
    }

    /// `path` when kept, else the first dimension kept.
    fn default_dimension(&self) -> Dimension {
        *self
            .config
            .dims
            .iter()
            .find(|&&d| d == Dimension::Path)
            .unwrap_or(&self.config.dims[0])
    }

    /// The query of a kept dimension `by`, with checked values.
    fn build(&self, slo: usize, by: Dimension, window_us: i64, limit: usize) -> Query {
        Query {
            slo,
            dim: self.config.dims.iter().position(|&d| d == by).unwrap_or(0),
            by,
            window_us,
            limit,
        }
    }
}

/// The contributors of SLO `slo` of `service` by `by` over `window`, at the store's
/// evaluation time for wall clock `now_us`.
pub fn answer(
    scope: Scope<'_>,
    store: &Store,
    now_us: i64,
    (service, slo): (&str, &str),
    (by, window, limit): (Option<&str>, Option<&str>, Option<usize>),
) -> Result<ContributorsReport, Refusal> {
    let (s, pos) = scope.locate(service, slo).ok_or(Refusal::UnknownSlo)?;
    let q = scope.query(pos, by, window, limit)?;
    let t = store.evaluation_time(now_us);
    let counters = store.counters();
    Ok(contributors(counters.attribution(s), service, slo, q, t))
}

/// Sets each firing alert's `top_contributor` in `report`, whose entries measure the
/// configured objectives `configured` (by index in `objectives`; a sub-service's SLOs are
/// attributed as their service's).
pub fn annotate(
    scope: Scope<'_>,
    store: &Store,
    report: &mut Report,
    (objectives, configured): (&[Arc<SloObjective>], &[usize]),
    t_us: i64,
) {
    let retention = scope.config.retention_us();
    for (s, &k) in report.slos.iter_mut().zip(configured) {
        if !s.alerts.iter().any(|a| a.status.firing) {
            continue;
        }
        let o = &objectives[k];
        let slos = scope.classifier.slos_of(o.service_index);
        let Some(pos) = slos.iter().position(|&x| x == k) else {
            continue;
        };
        let counters = store.counters();
        let Some(ring) = counters.attribution(o.service_index) else {
            continue;
        };
        for a in s.alerts.iter_mut().filter(|a| a.status.firing) {
            let window_us = a
                .long_window
                .as_deref()
                .and_then(|w| parse_duration(w).ok())
                .map_or(retention, |w| w.min(retention))
                / MINUTE
                * MINUTE;
            if window_us == 0 {
                continue;
            }
            let q = scope.build(pos, scope.default_dimension(), window_us, 1);
            a.top_contributor = headline(&contributors(Some(ring), &o.service, &o.slo, q, t_us));
        }
    }
}

//! Canary vs baseline: each variant's requests, error rate, latency percentiles and SLIs
//! over the same whole minutes before the evaluation time, and a verdict (`GET
//! /v1/canary/{service}`, `slipstream canary`).
//!
//! # The verdict
//! - **Not enough data** (exit code 12) while either variant has fewer than
//!   `min_requests` requests in the window.
//! - **Roll back** (10) when a check fails. A check fails only when the difference is both
//!   beyond its threshold and significant at the configured confidence by a one-sided test
//!   ([`stats::greater`]: a z-test on large counts, Fisher's exact test on small ones):
//!   - *error rate* (5xx over requests): the canary's exceeds the baseline's by more than
//!     `max_error_rate_increase`, and the test finds the canary's share of errors larger;
//!   - *p95 latency*: the canary's p95 exceeds the baseline's by more than
//!     `max_p95_increase`, and the test finds the canary's share of requests slower than the
//!     baseline's p95 plus the threshold larger than the baseline's share slower than its
//!     p95 (at most 5 % by definition). Were the canary's latencies no worse than the
//!     baseline's shifted by the threshold, the first share could not exceed the second, so
//!     a significant excess is evidence of a regression beyond the threshold at the 95th
//!     percentile. Latencies come from histograms with two significant digits, so
//!     percentiles and the cut are within 1 %. It needs `min_requests` latencies in each
//!     variant; with fewer (a format without latencies) the check is `no_data` and the
//!     verdict rests on the error rate.
//! - **Healthy** (0) otherwise.

pub mod stats;

use serde::Serialize;

use crate::classify::canary::{CanaryConfig, Variant};
use crate::time::{MINUTE, floor_to, format_duration, format_rfc3339, parse_duration};
use crate::window::{CanaryRing, VariantSums};
use stats::Test;

/// The decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No check failed.
    Healthy,
    /// A check failed.
    RollBack,
    /// A variant has too few requests to judge.
    NotEnoughData,
}

impl Verdict {
    /// `slipstream canary`'s exit code: 0, 10 or 12.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Healthy => 0,
            Verdict::RollBack => 10,
            Verdict::NotEnoughData => 12,
        }
    }
}

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Within the threshold, or not significant.
    Pass,
    /// Beyond the threshold and significant.
    Fail,
    /// Too few values to judge.
    NoData,
}

/// One criterion, judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// `error_rate` or `latency_p95`.
    pub name: &'static str,
    /// The result.
    pub outcome: Outcome,
    /// The canary's value (a ratio, or ms); `None` without data.
    pub canary: Option<f64>,
    /// The baseline's value.
    pub baseline: Option<f64>,
    /// Canary minus baseline.
    pub difference: Option<f64>,
    /// The largest difference tolerated (a ratio, or ms).
    pub threshold: f64,
    /// Whether the difference is beyond the threshold.
    pub beyond_threshold: bool,
    /// The one-sided p-value of "the canary is worse"; `None` without data.
    pub p_value: Option<f64>,
    /// The test that gave it.
    pub test: Option<Test>,
    /// Whether `p_value` is below 1 − confidence.
    pub significant: bool,
    /// For the latency check: canary requests slower than the baseline's p95 plus the
    /// threshold, and baseline requests slower than its p95 (the counts the test compares).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slow: Option<[u64; 2]>,
}

/// One SLO of the service, for one variant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantSli {
    /// The SLO.
    pub slo: String,
    /// Good events.
    pub good: u64,
    /// Events.
    pub total: u64,
    /// good / total; `None` without events.
    pub sli: Option<f64>,
}

/// Latency percentiles of one variant, ms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencyView {
    /// Requests with a latency.
    pub count: u64,
    /// Median.
    pub p50_ms: Option<f64>,
    /// 95th percentile.
    pub p95_ms: Option<f64>,
    /// 99th percentile.
    pub p99_ms: Option<f64>,
}

/// One variant over the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantView {
    /// Requests.
    pub requests: u64,
    /// Requests answered with a 5xx status.
    pub errors: u64,
    /// errors / requests; `None` without requests.
    pub error_rate: Option<f64>,
    /// Latency percentiles.
    pub latency: LatencyView,
    /// Each SLO of the service over the same window.
    pub slis: Vec<VariantSli>,
}

/// The criteria, as configured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriteriaView {
    /// Fewest requests per variant.
    pub min_requests: u64,
    /// Largest tolerated error-rate excess, percentage points.
    pub max_error_rate_increase_pp: f64,
    /// Largest tolerated p95 excess, ms.
    pub max_p95_increase_ms: f64,
    /// Confidence the tests need.
    pub confidence: f64,
}

/// `GET /v1/canary/{service}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CanaryReport {
    /// The service.
    pub service: String,
    /// The window asked for.
    pub window: String,
    /// First instant covered, RFC 3339 (later than `end − window` when counting started
    /// later).
    pub start: String,
    /// First instant after: the evaluation time rounded down to the minute.
    pub end: String,
    /// The decision.
    pub verdict: Verdict,
    /// `slipstream canary`'s exit code for it: 0, 10 or 12.
    pub exit_code: u8,
    /// One sentence saying why.
    pub reason: String,
    /// The criteria.
    pub criteria: CriteriaView,
    /// The canary.
    pub canary: VariantView,
    /// The baseline.
    pub baseline: VariantView,
    /// Each criterion, judged (empty with not enough data).
    pub checks: Vec<Check>,
}

/// Why there is no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No such service.
    UnknownService,
    /// The service compares no canary.
    NoCanary,
    /// A bad window.
    Bad(String),
}

/// A service with a canary comparison.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// Its name.
    pub service: &'a str,
    /// Its comparison.
    pub config: &'a CanaryConfig,
    /// Its SLOs' names, in its SLO order.
    pub slos: &'a [String],
}

/// The window of `text`, whole minutes up to `config`'s retention (its default without).
pub fn window_of(config: &CanaryConfig, text: Option<&str>) -> Result<i64, Refusal> {
    let Some(text) = text else {
        return Ok(config.window_us);
    };
    let w = parse_duration(text).map_err(|e| Refusal::Bad(format!("window: {e}")))?;
    if w % MINUTE != 0 || !(MINUTE..=config.retention_us()).contains(&w) {
        return Err(Refusal::Bad(format!(
            "window {text} must be whole minutes from 1m to the retention, {}",
            format_duration(config.retention_us())
        )));
    }
    Ok(w)
}

/// The comparison of service `service` (of `services`, whose comparisons `canaries` and
/// SLO names `slos_of` give) over `window` (its default when `None`), from `store`'s counts
/// at the evaluation time for wall-clock `now_us`.
pub fn answer(
    (services, canaries): (&[String], &[Option<std::sync::Arc<CanaryConfig>>]),
    slos_of: impl Fn(usize) -> Vec<String>,
    store: &crate::window::Store,
    now_us: i64,
    (service, window): (&str, Option<&str>),
) -> Result<CanaryReport, Refusal> {
    let s = services
        .iter()
        .position(|n| n == service)
        .ok_or(Refusal::UnknownService)?;
    let config = canaries
        .get(s)
        .and_then(Option::as_deref)
        .ok_or(Refusal::NoCanary)?;
    let window_us = window_of(config, window)?;
    let slos = slos_of(s);
    let t = store.evaluation_time(now_us);
    let counters = store.counters();
    let subject = Subject {
        service,
        config,
        slos: &slos,
    };
    Ok(compare(subject, counters.canary(s), window_us, t))
}

/// The comparison of every service with a canary over its default window (`GET
/// /v1/canary`), in configuration order; arguments as [`answer`].
pub fn every(
    (services, canaries): (&[String], &[Option<std::sync::Arc<CanaryConfig>>]),
    slos_of: impl Fn(usize) -> Vec<String>,
    store: &crate::window::Store,
    now_us: i64,
) -> Vec<CanaryReport> {
    let t = store.evaluation_time(now_us);
    services
        .iter()
        .zip(canaries)
        .enumerate()
        .filter_map(|(s, (service, config))| {
            let config = config.as_deref()?;
            let slos = slos_of(s);
            let subject = Subject {
                service,
                config,
                slos: &slos,
            };
            // One service's lock at a time: ingest waits for one comparison at most.
            let counters = store.counters();
            Some(compare(subject, counters.canary(s), config.window_us, t))
        })
        .collect()
}

/// The comparison of `subject` over the whole minutes of `window_us` before the evaluation
/// time `t_us`, from its counts `ring` (`None` before its first variant event).
pub fn compare(
    subject: Subject<'_>,
    ring: Option<&CanaryRing>,
    window_us: i64,
    t_us: i64,
) -> CanaryReport {
    let end = floor_to(t_us, MINUTE);
    let since = ring.and_then(CanaryRing::counting_since_us).unwrap_or(end);
    let from = (end - window_us).max(since.min(end));
    let [canary, baseline] = match ring {
        Some(r) => r.sums(from, end).variants,
        None => Variant::ALL.map(|_| VariantSums::empty(subject.slos.len())),
    };
    let c = subject.config.criteria;
    let (verdict, checks, reason) = if canary.requests < c.min_requests
        || baseline.requests < c.min_requests
    {
        let reason = format!(
            "not enough data: {} canary and {} baseline requests in the window, {} needed in each",
            canary.requests, baseline.requests, c.min_requests
        );
        (Verdict::NotEnoughData, Vec::new(), reason)
    } else {
        let alpha = 1.0 - c.confidence;
        let checks = vec![
            error_rate(&canary, &baseline, c.max_error_rate_increase, alpha),
            latency_p95(
                &canary,
                &baseline,
                c.max_p95_increase_us,
                c.min_requests,
                alpha,
            ),
        ];
        let failed: Vec<&Check> = checks
            .iter()
            .filter(|k| k.outcome == Outcome::Fail)
            .collect();
        let reason = if failed.is_empty() {
            let no_data = checks
                .iter()
                .filter(|k| k.outcome == Outcome::NoData)
                .map(|k| format!(" ({} not judged: too few values)", k.name))
                .collect::<String>();
            format!("no check failed{no_data}")
        } else {
            failed
                .iter()
                .map(|k| sentence(k))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let verdict = if failed.is_empty() {
            Verdict::Healthy
        } else {
            Verdict::RollBack
        };
        (verdict, checks, reason)
    };
    CanaryReport {
        service: subject.service.to_string(),
        window: format_duration(window_us),
        start: format_rfc3339(from),
        end: format_rfc3339(end),
        verdict,
        exit_code: verdict.exit_code(),
        reason,
        criteria: CriteriaView {
            min_requests: c.min_requests,
            max_error_rate_increase_pp: c.max_error_rate_increase * 100.0,
            max_p95_increase_ms: c.max_p95_increase_us as f64 / 1_000.0,
            confidence: c.confidence,
        },
        canary: view(&canary, subject.slos),
        baseline: view(&baseline, subject.slos),
        checks,
    }
}

/// The error-rate check.
fn error_rate(canary: &VariantSums, baseline: &VariantSums, threshold: f64, alpha: f64) -> Check {
    let rate = |v: &VariantSums| v.errors as f64 / v.requests as f64;
    let (rc, rb) = (rate(canary), rate(baseline));
    let (p, test) = stats::greater(
        canary.errors,
        canary.requests,
        baseline.errors,
        baseline.requests,
    );
    judged("error_rate", (rc, rb), threshold, (p, test), alpha, None)
}

/// The p95 latency check (values in ms).
fn latency_p95(
    canary: &VariantSums,
    baseline: &VariantSums,
    threshold_us: i64,
    min: u64,
    alpha: f64,
) -> Check {
    let (hc, hb) = (&canary.latency, &baseline.latency);
    if hc.len() < min || hb.len() < min {
        return Check {
            name: "latency_p95",
            outcome: Outcome::NoData,
            canary: quantile_ms(hc, 0.95),
            baseline: quantile_ms(hb, 0.95),
            difference: None,
            threshold: threshold_us as f64 / 1_000.0,
            beyond_threshold: false,
            p_value: None,
            test: None,
            significant: false,
            slow: None,
        };
    }
    let qb = hb.value_at_quantile(0.95);
    let qc = hc.value_at_quantile(0.95);
    let slow_c = slower_than(hc, qb.saturating_add(threshold_us.max(0) as u64));
    let slow_b = slower_than(hb, qb);
    let (p, test) = stats::greater(slow_c, hc.len(), slow_b, hb.len());
    judged(
        "latency_p95",
        (qc as f64 / 1_000.0, qb as f64 / 1_000.0),
        threshold_us as f64 / 1_000.0,
        (p, test),
        alpha,
        Some([slow_c, slow_b]),
    )
}

/// A check of values `(canary, baseline)` against `threshold` with the test's `(p, test)`.
fn judged(
    name: &'static str,
    (canary, baseline): (f64, f64),
    threshold: f64,
    (p, test): (f64, Test),
    alpha: f64,
    slow: Option<[u64; 2]>,
) -> Check {
    let difference = canary - baseline;
    let beyond = difference > threshold;
    let significant = p < alpha;
    Check {
        name,
        outcome: if beyond && significant {
            Outcome::Fail
        } else {
            Outcome::Pass
        },
        canary: Some(canary),
        baseline: Some(baseline),
        difference: Some(difference),
        threshold,
        beyond_threshold: beyond,
        p_value: Some(p),
        test: Some(test),
        significant,
        slow,
    }
}

/// Requests of `h` whose whole bucket lies above `cut_us`.
fn slower_than(h: &hdrhistogram::Histogram<u64>, cut_us: u64) -> u64 {
    h.iter_recorded()
        .filter(|v| h.lowest_equivalent(v.value_iterated_to()) > cut_us)
        .map(|v| v.count_at_value())
        .sum()
}

/// Quantile `q` of `h` in ms; `None` when empty.
fn quantile_ms(h: &hdrhistogram::Histogram<u64>, q: f64) -> Option<f64> {
    (!h.is_empty()).then(|| h.value_at_quantile(q) as f64 / 1_000.0)
}

/// A failed check in words.
fn sentence(k: &Check) -> String {
    let test = match k.test {
        Some(Test::ZTest) => "z-test",
        Some(Test::FisherExact) => "Fisher's exact test",
        None => "no test",
    };
    let p = k.p_value.unwrap_or(1.0);
    let (c, b) = (k.canary.unwrap_or(0.0), k.baseline.unwrap_or(0.0));
    if k.name == "error_rate" {
        format!(
            "canary error rate {:.2} % vs baseline {:.2} %: +{:.2} pp, more than {:.2} pp (p = {p:.2e}, {test})",
            c * 100.0,
            b * 100.0,
            (c - b) * 100.0,
            k.threshold * 100.0
        )
    } else {
        format!(
            "canary p95 {c:.1} ms vs baseline {b:.1} ms: +{:.1} ms, more than {:.1} ms (p = {p:.2e}, {test})",
            c - b,
            k.threshold
        )
    }
}

/// The view of `v` with SLO names `slos`.
fn view(v: &VariantSums, slos: &[String]) -> VariantView {
    let h = &v.latency;
    let q = |q: f64| quantile_ms(h, q);
    VariantView {
        requests: v.requests,
        errors: v.errors,
        error_rate: (v.requests > 0).then(|| v.errors as f64 / v.requests as f64),
        latency: LatencyView {
            count: h.len(),
            p50_ms: q(0.5),
            p95_ms: q(0.95),
            p99_ms: q(0.99),
        },
        slis: slos
            .iter()
            .zip(&v.slos)
            .map(|(name, &[good, total])| VariantSli {
                slo: name.clone(),
                good,
                total,
                sli: (total > 0).then(|| good as f64 / total as f64),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests;

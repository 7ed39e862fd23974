//! OpenSLO SLIs → slipstream SLIs: the `type: slipstream` metric source spec, ratio metrics
//! (good or bad over total) and latency threshold metrics.

use super::resolve::{Context, Sink, duration};
use super::{Metric, Objective, SliSpec, SlipstreamSpec};
use crate::classify::{Matcher, Sli, StatusSet};

/// What an SLI measures, before an objective fixes a threshold.
#[derive(Debug, Clone)]
pub(super) struct Indicator {
    /// The Pipeline service read.
    pub(super) service: String,
    /// `Some` for ratio metrics; `None` for a latency thresholdMetric (objectives set it).
    pub(super) sli: Option<Sli>,
    /// Extra selectors within the service.
    pub(super) selector: Option<Matcher>,
    /// Statuses that make a request bad.
    pub(super) bad_status: StatusSet,
}

/// The extra selectors of a source's `match`.
fn selector(s: &SlipstreamSpec, here: &str, sink: &mut Sink<'_>) -> Option<Matcher> {
    let m = s.matcher.as_ref()?;
    for (field, value) in [
        ("host", &m.host),
        ("path_prefix", &m.path_prefix),
        ("method", &m.method),
        ("backend", &m.backend),
    ] {
        if value.as_deref() == Some("") {
            sink.error(
                format!("{here}.metricSource.spec.match.{field}"),
                "must not be empty (omit it instead)",
            );
        }
    }
    Some(Matcher {
        host: m.host.clone(),
        path_prefix: m.path_prefix.clone(),
        method: m.method.clone(),
        backend: m.backend.clone(),
    })
}

/// The bad statuses of a source's `bad_status`: codes (`503`) and classes (`"5xx"`).
fn bad_status(s: &SlipstreamSpec, here: &str, sink: &mut Sink<'_>) -> StatusSet {
    let Some(items) = &s.bad_status else {
        return StatusSet::SERVER_ERRORS;
    };
    let mut set = StatusSet::EMPTY;
    for (i, item) in items.iter().enumerate() {
        let text = match item {
            serde_yaml_ng::Value::Number(n) => n.to_string(),
            serde_yaml_ng::Value::String(t) => t.clone(),
            _ => String::new(),
        };
        let range = match text.as_bytes() {
            [c @ b'1'..=b'5', b'x' | b'X', b'x' | b'X'] => {
                let base = u16::from(c - b'0') * 100;
                Some((base, base + 99))
            }
            _ => text
                .parse::<u16>()
                .ok()
                .filter(|c| (100..=599).contains(c))
                .map(|c| (c, c)),
        };
        match range {
            Some((from, to)) => set = set.with_range(from, to),
            None => sink.error(
                format!("{here}.metricSource.spec.bad_status[{i}]"),
                "expected a status code 100–599 or a class such as \"5xx\"",
            ),
        }
    }
    if items.is_empty() {
        sink.error(
            format!("{here}.metricSource.spec.bad_status"),
            "list at least one status or class (omit it for 5xx)",
        );
    }
    set
}

/// Reads one `type: slipstream` source; `None` (with the problem recorded) otherwise.
pub(super) fn source(m: &Metric, at: &str, sink: &mut Sink<'_>) -> Option<SlipstreamSpec> {
    let src = &m.metric_source;
    let at = format!("{at}.metricSource");
    if let Some(r) = &src.metric_source_ref {
        sink.error(
            format!("{at}.metricSourceRef"),
            format!("metricSourceRef {r:?} is not supported: slipstream evaluates its own logs; use type: slipstream with a spec"),
        );
        return None;
    }
    match src.kind.as_deref() {
        Some(t) if t.eq_ignore_ascii_case("slipstream") => {}
        Some(t) => {
            sink.error(
                format!("{at}.type"),
                format!("metricSource type {t} is not supported: slipstream evaluates its own logs; use type: slipstream"),
            );
            return None;
        }
        None => {
            sink.error(format!("{at}.type"), "missing: use type: slipstream");
            return None;
        }
    }
    let spec = if src.spec.is_null() {
        serde_yaml_ng::Value::Mapping(Default::default())
    } else {
        src.spec.clone()
    };
    match serde_path_to_error::deserialize::<_, SlipstreamSpec>(spec) {
        Ok(s) => Some(s),
        Err(e) => {
            let path = e.path().to_string();
            let path = if path == "." {
                String::new()
            } else {
                format!(".{path}")
            };
            sink.error(format!("{at}.spec{path}"), e.into_inner().to_string());
            None
        }
    }
}

pub(super) fn indicator(
    spec: &SliSpec,
    at: &str,
    slo_service: &str,
    cx: &Context<'_>,
    sink: &mut Sink<'_>,
) -> Option<Indicator> {
    let service_of = |s: &SlipstreamSpec, here: &str, sink: &mut Sink<'_>| {
        let name = s.service.clone().unwrap_or_else(|| slo_service.to_string());
        if name != slo_service {
            sink.error(
                format!("{here}.metricSource.spec.service"),
                format!("reads service {name:?} but the SLO is for {slo_service:?}"),
            );
        } else if s.service.is_some() && !cx.services.contains_key(name.as_str()) {
            sink.error(
                format!("{here}.metricSource.spec.service"),
                format!("unknown service {name:?}"),
            );
        }
        name
    };
    match (&spec.threshold_metric, &spec.ratio_metric) {
        (Some(m), None) => {
            let here = format!("{at}.thresholdMetric");
            let s = source(m, &here, sink)?;
            if s.value.as_deref() != Some("latency_ms") {
                sink.error(
                    format!("{here}.metricSource.spec.value"),
                    "a thresholdMetric needs value: latency_ms (each request's latency, compared with the objective's op and value)",
                );
                return None;
            }
            if s.latency_threshold.is_some() {
                sink.error(
                    format!("{here}.metricSource.spec.latency_threshold"),
                    "a thresholdMetric takes its threshold from each objective's value",
                );
            }
            let service = service_of(&s, &here, sink);
            Some(Indicator {
                service,
                sli: None,
                selector: selector(&s, &here, sink),
                bad_status: bad_status(&s, &here, sink),
            })
        }
        (None, Some(r)) => {
            let here = format!("{at}.ratioMetric");
            if r.raw.is_some() || r.raw_type.is_some() {
                sink.error(
                    format!("{here}.raw"),
                    "raw ratios are not supported: slipstream counts events; use good or bad with total",
                );
                return None;
            }
            let (num, num_at) = match (&r.good, &r.bad) {
                (Some(g), None) => (g, format!("{here}.good")),
                (None, Some(b)) => (b, format!("{here}.bad")),
                _ => {
                    sink.error(&here, "set exactly one of good and bad, with total");
                    return None;
                }
            };
            let Some(total) = &r.total else {
                sink.error(format!("{here}.total"), "missing: total is required");
                return None;
            };
            let total_at = format!("{here}.total");
            let (num, total) = (source(num, &num_at, sink), source(total, &total_at, sink));
            let (num, total) = (num?, total?);
            if total.latency_threshold.is_some() || total.value.is_some() {
                sink.error(
                    format!("{total_at}.metricSource.spec"),
                    "total counts every request of the service: put latency_threshold on good or bad",
                );
            }
            if num.value.is_some() {
                sink.error(
                    format!("{num_at}.metricSource.spec.value"),
                    "value applies only to a thresholdMetric",
                );
            }
            if num.matcher.is_some() {
                sink.error(
                    format!("{num_at}.metricSource.spec.match"),
                    "put match on total: it selects the requests counted",
                );
            }
            if total.bad_status.is_some() {
                sink.error(
                    format!("{total_at}.metricSource.spec.bad_status"),
                    "put bad_status on good or bad: total counts every selected request",
                );
            }
            let service = service_of(&num, &num_at, sink);
            service_of(&total, &total_at, sink);
            let sli = match &num.latency_threshold {
                Some(t) => Sli::Latency {
                    threshold_us: duration(
                        t,
                        &format!("{num_at}.metricSource.spec.latency_threshold"),
                        sink,
                    )?,
                },
                None => Sli::Availability,
            };
            Some(Indicator {
                service,
                sli: Some(sli),
                selector: selector(&total, &total_at, sink),
                bad_status: bad_status(&num, &num_at, sink),
            })
        }
        _ => {
            sink.error(at, "set exactly one of thresholdMetric and ratioMetric");
            None
        }
    }
}

/// The SLI of one objective: the indicator's, or a latency threshold from `op`/`value`.
pub(super) fn objective_sli(
    ind: &Indicator,
    o: &Objective,
    here: &str,
    sink: &mut Sink<'_>,
) -> Option<Sli> {
    if o.indicator.is_some() || o.indicator_ref.is_some() || o.composite_weight.is_some() {
        sink.error(
            here,
            "composite SLOs (objective indicator, indicatorRef, compositeWeight) are not supported",
        );
        return None;
    }
    match ind.sli {
        Some(sli) => {
            if o.op.is_some() || o.value.is_some() {
                sink.deviation(
                    format!("{here}.op"),
                    "op and value apply only to a thresholdMetric; ignored for a ratioMetric",
                );
            }
            Some(sli)
        }
        None => {
            let (Some(op), Some(value)) = (o.op.as_deref(), o.value) else {
                sink.error(here, "a thresholdMetric objective needs op and value");
                return None;
            };
            let us = (value * 1_000.0).round();
            if !(value > 0.0 && (1.0..1e15).contains(&us)) {
                sink.error(
                    format!("{here}.value"),
                    "must be a positive latency in milliseconds",
                );
                return None;
            }
            let us = us as i64;
            match op {
                "lte" => Some(Sli::Latency { threshold_us: us }),
                "lt" => Some(Sli::Latency {
                    threshold_us: us - 1,
                }),
                other => {
                    sink.error(
                        format!("{here}.op"),
                        format!("op {other:?}: a latency objective is good when at most its value; use lte or lt"),
                    );
                    None
                }
            }
        }
    }
}

//! OpenSLO SLIs → slipstream SLIs: the `type: slipstream` metric source spec, ratio metrics
//! (good or bad over total) and latency threshold metrics.
//!
//! An SLI is checked on its own, whether or not an SLO uses it; an SLO then checks that the
//! services its SLI names are its own.

use super::{Metric, Objective, SliSpec, SlipstreamSpec};
use crate::classify::{Matcher, Sli, StatusSet};
use crate::config::path::At;
use crate::config::problems::Problems;
use crate::config::service::{Services, lookup};

/// What an SLI measures, before an objective fixes a threshold.
#[derive(Debug, Clone)]
pub(super) struct Indicator {
    /// The Pipeline services its sources name, each with where it is named.
    pub(super) services: Vec<(At, String)>,
    /// `Some` for ratio metrics; `None` for a latency thresholdMetric (objectives set it).
    pub(super) sli: Option<Sli>,
    /// Extra selectors within the service.
    pub(super) selector: Option<Matcher>,
    /// Statuses that make a request bad.
    pub(super) bad_status: StatusSet,
}

impl Indicator {
    /// Whether every source reads `service` (the SLO's); reports those that read another
    /// known service.
    pub(super) fn reads(
        &self,
        service: &str,
        services: Option<&Services>,
        problems: &mut Problems,
    ) -> bool {
        let mut ok = true;
        for (at, name) in &self.services {
            if name != service {
                ok = false;
                // An unknown service was reported with the SLI.
                if services.is_none_or(|s| s.get(name).is_some()) {
                    problems.error(
                        at,
                        format!("reads service {name:?} but the SLO is for {service:?}"),
                    );
                }
            }
        }
        ok
    }
}

/// The extra selectors of a source's `match` (`at`: the source's `metricSource.spec`).
fn selector(s: &SlipstreamSpec, at: &At, problems: &mut Problems) -> Option<Matcher> {
    let m = s.matcher.as_ref()?;
    Some(crate::config::service::matcher(
        m,
        &at.field("match"),
        problems,
    ))
}

/// The bad statuses of a source's `bad_status`: codes (`503`) and classes (`"5xx"`).
fn bad_status(s: &SlipstreamSpec, at: &At, problems: &mut Problems) -> StatusSet {
    let Some(items) = &s.bad_status else {
        return StatusSet::SERVER_ERRORS;
    };
    let at = at.field("bad_status");
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
            None => problems.error(
                &at.index(i),
                "expected a status code 100–599 or a class such as \"5xx\"",
            ),
        }
    }
    if items.is_empty() {
        problems.error(&at, "list at least one status or class (omit it for 5xx)");
    }
    set
}

/// Reads one `type: slipstream` source (of the metric at `at`); `None` (with the problem
/// recorded) otherwise.
fn source(m: &Metric, at: &At, problems: &mut Problems) -> Option<SlipstreamSpec> {
    let src = &m.metric_source;
    let at = at.field("metricSource");
    if let Some(r) = &src.metric_source_ref {
        problems.error(
            &at.field("metricSourceRef"),
            format!("metricSourceRef {r:?} is not supported: slipstream evaluates its own logs; use type: slipstream with a spec"),
        );
        return None;
    }
    match src.kind.as_deref() {
        Some(t) if t.eq_ignore_ascii_case("slipstream") => {}
        Some(t) => {
            problems.error(
                &at.field("type"),
                format!("metricSource type {t} is not supported: slipstream evaluates its own logs; use type: slipstream"),
            );
            return None;
        }
        None => {
            problems.error(&at.field("type"), "missing: use type: slipstream");
            return None;
        }
    }
    let spec = if src.spec.is_null() {
        serde_yaml_ng::Value::Mapping(Default::default())
    } else {
        src.spec.clone()
    };
    crate::config::load::de(spec, &at.field("spec"), problems)
}

/// Checks an SLI (`spec` at `at`) on its own.
pub(super) fn indicator(
    spec: &SliSpec,
    at: &At,
    services: Option<&Services>,
    problems: &mut Problems,
) -> Option<Indicator> {
    match (&spec.threshold_metric, &spec.ratio_metric) {
        (Some(m), None) => threshold(m, &at.field("thresholdMetric"), services, problems),
        (None, Some(r)) => ratio(r, &at.field("ratioMetric"), services, problems),
        _ => {
            problems.error(at, "set exactly one of thresholdMetric and ratioMetric");
            None
        }
    }
}

/// The service a source names, when it names one, checked against the Pipeline's.
fn named_service(
    s: &SlipstreamSpec,
    spec_at: &At,
    services: Option<&Services>,
    problems: &mut Problems,
) -> Option<(At, String)> {
    let name = s.service.clone()?;
    let at = spec_at.field("service");
    lookup(
        services,
        &name,
        &at,
        || format!("unknown service {name:?}"),
        problems,
    );
    Some((at, name))
}

/// A `thresholdMetric` (at `at`): each request's latency, compared by the objectives.
fn threshold(
    m: &Metric,
    at: &At,
    services: Option<&Services>,
    problems: &mut Problems,
) -> Option<Indicator> {
    let s = source(m, at, problems)?;
    let spec_at = at.field("metricSource.spec");
    if s.value.as_deref() != Some("latency_ms") {
        problems.error(
            &spec_at.field("value"),
            "a thresholdMetric needs value: latency_ms (each request's latency, compared with the objective's op and value)",
        );
        return None;
    }
    if s.latency_threshold.is_some() {
        problems.error(
            &spec_at.field("latency_threshold"),
            "a thresholdMetric takes its threshold from each objective's value",
        );
    }
    Some(Indicator {
        services: named_service(&s, &spec_at, services, problems)
            .into_iter()
            .collect(),
        sli: None,
        selector: selector(&s, &spec_at, problems),
        bad_status: bad_status(&s, &spec_at, problems),
    })
}

/// A `ratioMetric` (at `at`): good or bad over total.
fn ratio(
    r: &super::RatioMetric,
    at: &At,
    services: Option<&Services>,
    problems: &mut Problems,
) -> Option<Indicator> {
    if r.raw.is_some() || r.raw_type.is_some() {
        problems.error(
            &at.field("raw"),
            "raw ratios are not supported: slipstream counts events; use good or bad with total",
        );
        return None;
    }
    let (num, num_at) = match (&r.good, &r.bad) {
        (Some(g), None) => (g, at.field("good")),
        (None, Some(b)) => (b, at.field("bad")),
        _ => {
            problems.error(at, "set exactly one of good and bad, with total");
            return None;
        }
    };
    let Some(total) = &r.total else {
        problems.error(&at.field("total"), "missing: total is required");
        return None;
    };
    let total_at = at.field("total");
    let (num, total) = (
        source(num, &num_at, problems),
        source(total, &total_at, problems),
    );
    let (num, total) = (num?, total?);
    let (num_at, total_at) = (
        num_at.field("metricSource.spec"),
        total_at.field("metricSource.spec"),
    );
    if total.latency_threshold.is_some() || total.value.is_some() {
        problems.error(
            &total_at,
            "total counts every request of the service: put latency_threshold on good or bad",
        );
    }
    if num.value.is_some() {
        problems.error(
            &num_at.field("value"),
            "value applies only to a thresholdMetric",
        );
    }
    if num.matcher.is_some() {
        problems.error(
            &num_at.field("match"),
            "put match on total: it selects the requests counted",
        );
    }
    if total.bad_status.is_some() {
        problems.error(
            &total_at.field("bad_status"),
            "put bad_status on good or bad: total counts every selected request",
        );
    }
    let named = [
        named_service(&num, &num_at, services, problems),
        named_service(&total, &total_at, services, problems),
    ];
    let sli = match &num.latency_threshold {
        Some(t) => Sli::Latency {
            threshold_us: problems.duration(t, &num_at.field("latency_threshold"))?,
        },
        None => Sli::Availability,
    };
    Some(Indicator {
        services: named.into_iter().flatten().collect(),
        sli: Some(sli),
        selector: selector(&total, &total_at, problems),
        bad_status: bad_status(&num, &num_at, problems),
    })
}

/// The SLI of one objective (at `here`): the indicator's (the SLO's, or a composite
/// objective's own), or a latency threshold from `op`/`value`.
pub(super) fn objective_sli(
    ind: &Indicator,
    o: &Objective,
    here: &At,
    problems: &mut Problems,
) -> Option<Sli> {
    if let Some(sli) = ind.sli {
        if o.op.is_some() || o.value.is_some() {
            problems.deviation(
                &here.field("op"),
                "op and value apply only to a thresholdMetric; ignored for a ratioMetric",
            );
        }
        return Some(sli);
    }
    let (Some(op), Some(value)) = (o.op.as_deref(), o.value) else {
        problems.error(here, "a thresholdMetric objective needs op and value");
        return None;
    };
    let us = (value * 1_000.0).round();
    if !(value > 0.0 && (1.0..1e15).contains(&us)) {
        problems.error(
            &here.field("value"),
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
        // Good when above: odd for a latency, but what the spec's op says.
        "gt" => Some(Sli::LatencyAbove { floor_us: us }),
        "gte" => Some(Sli::LatencyAbove { floor_us: us - 1 }),
        other => {
            problems.error(
                &here.field("op"),
                format!("unknown op {other:?}: expected lte, lt, gte or gt"),
            );
            None
        }
    }
}

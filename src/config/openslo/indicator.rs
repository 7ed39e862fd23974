//! OpenSLO SLIs → slipstream SLIs: the `type: slipstream` metric source spec (its own, or
//! shared by a `DataSource` that `metricSourceRef` names), ratio metrics (good or bad over
//! total) and latency threshold metrics.
//!
//! An SLI is checked on its own, whether or not an SLO uses it; an SLO then checks that the
//! services its SLI names are its own.

use std::collections::BTreeMap;

use super::{DataSourceSpec, Metric, Objective, SliSpec, SlipstreamSpec};
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

/// A `DataSource` as the metric sources that name it read it.
#[derive(Debug, Clone)]
pub(super) enum Shared {
    /// `type: slipstream`, its `connectionDetails` read and checked.
    Slipstream(SlipstreamSpec),
    /// Another type (reported with the document; named again where it is used).
    Foreign(String),
    /// Invalid, and reported with the document.
    Invalid,
}

/// The DataSources, by name.
pub(super) type Sources<'a> = BTreeMap<&'a str, Shared>;

/// Checks a `DataSource` (`spec` at `at`) on its own: `type: slipstream`, and
/// `connectionDetails` that are a valid slipstream metric source spec.
pub(super) fn data_source(
    d: &DataSourceSpec,
    at: &At,
    services: Option<&Services>,
    problems: &mut Problems,
) -> Shared {
    if !d.kind.eq_ignore_ascii_case("slipstream") {
        problems.error(
            &at.field("type"),
            format!(
                "DataSource type {} is not supported: slipstream evaluates its own logs; use type: slipstream",
                d.kind
            ),
        );
        return Shared::Foreign(d.kind.clone());
    }
    let details = at.field("connectionDetails");
    let before = problems.count();
    let Some(s) = crate::config::load::de::<SlipstreamSpec>(
        or_empty(&d.connection_details),
        &details,
        problems,
    ) else {
        return Shared::Invalid;
    };
    named_service(&s, &details, services, problems);
    selector(&s, &details, problems);
    bad_status(&s, &details, problems);
    if let Some(t) = &s.latency_threshold {
        problems.duration(t, &details.field("latency_threshold"));
    }
    if s.value.as_deref().is_some_and(|v| v != "latency_ms") {
        problems.error(
            &details.field("value"),
            "only latency_ms (each request's latency, for a thresholdMetric)",
        );
    }
    if problems.count() > before {
        Shared::Invalid
    } else {
        Shared::Slipstream(s)
    }
}

/// `value`, or an empty mapping when it is null (a spec left out).
fn or_empty(value: &serde_yaml_ng::Value) -> serde_yaml_ng::Value {
    if value.is_null() {
        serde_yaml_ng::Value::Mapping(Default::default())
    } else {
        value.clone()
    }
}

/// A metric source as read: its own `spec`, and the shared part from the `DataSource` it
/// names (empty without one). A field is set in one of them, never both.
struct Source {
    own: SlipstreamSpec,
    shared: SlipstreamSpec,
}

impl Source {
    /// As a numerator (`good` or `bad`) reads it: a DataSource's service, bad statuses and
    /// latency threshold apply; its `match` and `value` do not (they are for the requests
    /// counted and for a thresholdMetric).
    fn numerator(self) -> SlipstreamSpec {
        let (own, shared) = (self.own, self.shared);
        SlipstreamSpec {
            service: own.service.or(shared.service),
            latency_threshold: own.latency_threshold.or(shared.latency_threshold),
            bad_status: own.bad_status.or(shared.bad_status),
            ..own
        }
    }

    /// As `total` reads it: a DataSource's service and `match` apply.
    fn total(self) -> SlipstreamSpec {
        let (own, shared) = (self.own, self.shared);
        SlipstreamSpec {
            service: own.service.or(shared.service),
            matcher: own.matcher.or(shared.matcher),
            ..own
        }
    }

    /// As a `thresholdMetric` reads it: every field of a DataSource but its latency
    /// threshold (each objective sets that).
    fn threshold(self) -> SlipstreamSpec {
        let (own, shared) = (self.own, self.shared);
        SlipstreamSpec {
            service: own.service.or(shared.service),
            value: own.value.or(shared.value),
            matcher: own.matcher.or(shared.matcher),
            bad_status: own.bad_status.or(shared.bad_status),
            ..own
        }
    }
}

/// Reports the `type` of the metric source at `at`, `t`, as not supported.
fn unsupported_type<T>(t: &str, at: &At, problems: &mut Problems) -> Option<T> {
    problems.error(
        &at.field("type"),
        format!("metricSource type {t} is not supported: slipstream evaluates its own logs; use type: slipstream"),
    );
    None
}

/// Reads one source (of the metric at `at`): `type: slipstream` with its `spec`, or a
/// `metricSourceRef` to a slipstream `DataSource` in `sources` with the rest of the spec;
/// `None` (with the problem recorded) otherwise.
fn source(m: &Metric, at: &At, sources: &Sources<'_>, problems: &mut Problems) -> Option<Source> {
    let src = &m.metric_source;
    let at = at.field("metricSource");
    let shared = match &src.metric_source_ref {
        Some(r) => {
            let ref_at = at.field("metricSourceRef");
            if let Some(t) = &src.kind
                && !t.eq_ignore_ascii_case("slipstream")
            {
                return unsupported_type(t, &at, problems);
            }
            match sources.get(r.as_str()) {
                Some(Shared::Slipstream(shared)) => shared.clone(),
                Some(Shared::Foreign(t)) => {
                    problems.error(
                        &ref_at,
                        format!("DataSource {r:?} is of type {t}, which is not supported: slipstream evaluates its own logs"),
                    );
                    return None;
                }
                Some(Shared::Invalid) => return None,
                None => {
                    problems.error(&ref_at, format!("no DataSource named {r:?}"));
                    return None;
                }
            }
        }
        None => {
            match src.kind.as_deref() {
                Some(t) if t.eq_ignore_ascii_case("slipstream") => {}
                Some(t) => return unsupported_type(t, &at, problems),
                None => {
                    problems.error(
                        &at.field("type"),
                        "missing: use type: slipstream, or metricSourceRef to a slipstream DataSource",
                    );
                    return None;
                }
            }
            SlipstreamSpec::default()
        }
    };
    let spec_at = at.field("spec");
    let own: SlipstreamSpec = crate::config::load::de(or_empty(&src.spec), &spec_at, problems)?;
    if let Some(r) = &src.metric_source_ref {
        for (field, both) in [
            ("service", own.service.is_some() && shared.service.is_some()),
            (
                "latency_threshold",
                own.latency_threshold.is_some() && shared.latency_threshold.is_some(),
            ),
            ("value", own.value.is_some() && shared.value.is_some()),
            ("match", own.matcher.is_some() && shared.matcher.is_some()),
            (
                "bad_status",
                own.bad_status.is_some() && shared.bad_status.is_some(),
            ),
        ] {
            if both {
                problems.error(
                    &spec_at.field(field),
                    format!("also set by DataSource {r:?}: set it in one place"),
                );
            }
        }
    }
    Some(Source { own, shared })
}

/// Checks an SLI (`spec` at `at`) on its own.
pub(super) fn indicator(
    spec: &SliSpec,
    at: &At,
    services: Option<&Services>,
    sources: &Sources<'_>,
    problems: &mut Problems,
) -> Option<Indicator> {
    match (&spec.threshold_metric, &spec.ratio_metric) {
        (Some(m), None) => threshold(m, &at.field("thresholdMetric"), services, sources, problems),
        (None, Some(r)) => ratio(r, &at.field("ratioMetric"), services, sources, problems),
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
    sources: &Sources<'_>,
    problems: &mut Problems,
) -> Option<Indicator> {
    let s = source(m, at, sources, problems)?;
    let spec_at = at.field("metricSource.spec");
    if s.own.latency_threshold.is_some() {
        problems.error(
            &spec_at.field("latency_threshold"),
            "a thresholdMetric takes its threshold from each objective's value",
        );
    }
    let s = s.threshold();
    if s.value.as_deref() != Some("latency_ms") {
        problems.error(
            &spec_at.field("value"),
            "a thresholdMetric needs value: latency_ms (each request's latency, compared with the objective's op and value)",
        );
        return None;
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
    sources: &Sources<'_>,
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
        source(num, &num_at, sources, problems),
        source(total, &total_at, sources, problems),
    );
    let (num, total) = (num?, total?);
    let (num_at, total_at) = (
        num_at.field("metricSource.spec"),
        total_at.field("metricSource.spec"),
    );
    // Where a field may go is checked on the metric's own spec; a DataSource's fields
    // apply where they mean something (`Source::numerator`, `Source::total`).
    if total.own.latency_threshold.is_some() || total.own.value.is_some() {
        problems.error(
            &total_at,
            "total counts every request of the service: put latency_threshold on good or bad",
        );
    }
    if num.own.value.is_some() {
        problems.error(
            &num_at.field("value"),
            "value applies only to a thresholdMetric",
        );
    }
    if num.own.matcher.is_some() {
        problems.error(
            &num_at.field("match"),
            "put match on total: it selects the requests counted",
        );
    }
    if total.own.bad_status.is_some() {
        problems.error(
            &total_at.field("bad_status"),
            "put bad_status on good or bad: total counts every selected request",
        );
    }
    let (num, total) = (num.numerator(), total.total());
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

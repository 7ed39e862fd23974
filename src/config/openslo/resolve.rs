//! OpenSLO documents → slipstream SLO rules and objectives.
//!
//! References (`indicatorRef`, `alertPolicyRef`, `conditionRef`) are resolved by name within
//! the configuration; every problem is reported with its document and field path. Each
//! objective of an SLO becomes one slipstream SLO, id `<service>/<SLO name>` (or
//! `<SLO name>-<n>` when there are several). Known deviations found in published examples
//! are errors unless `spec.openslo.lenient` is set in the Pipeline, which turns them into
//! warnings.

use std::collections::{BTreeMap, HashSet};

use super::{
    AlertConditionSpec, AlertPolicySpec, Document, Metric, Objective, Parsed, SliSpec,
    SlipstreamSpec, SloSpec, TimeWindow,
};
use crate::classify::{Sli, SloRule};
use crate::config::{Problem, Problems};
use crate::evaluate::{
    BudgetAlert, Budgeting, BurnAlert, Calendar, CalendarUnit, Factor, PolicyTiers, Ppb,
    SloObjective, Target, default_burn_alerts, windows_for,
};
use crate::time::{HOUR, MINUTE, SECOND, parse_duration};

/// What resolving needs from the rest of the configuration.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    /// Pipeline services by name.
    pub(crate) services: &'a BTreeMap<&'a str, usize>,
    /// Extra burn alerts and tiers of each service's ErrorBudgetPolicy.
    pub(crate) policies: &'a BTreeMap<usize, (Vec<BurnAlert>, PolicyTiers)>,
    /// Accept known deviations with a warning.
    pub(crate) lenient: bool,
}

/// Collects problems and, in lenient mode, warnings.
struct Sink<'a> {
    problems: &'a mut Problems,
    warnings: &'a mut Vec<Problem>,
    lenient: bool,
}

impl Sink<'_> {
    fn error(&mut self, at: impl Into<String>, message: impl Into<String>) {
        self.problems.push(at, message);
    }

    /// A known deviation: a warning when lenient, else an error that says how to accept it.
    fn deviation(&mut self, at: impl Into<String>, message: impl Into<String>) {
        let (location, message) = (at.into(), message.into());
        if self.lenient {
            self.warnings.push(Problem { location, message });
        } else {
            self.problems.push(
                location,
                format!("{message} (set spec.openslo.lenient: true in the Pipeline to accept it with a warning)"),
            );
        }
    }
}

/// Resolves every OpenSLO document; returns the rules and objectives of its SLOs.
pub(crate) fn resolve(
    docs: &[(String, Parsed)],
    cx: &Context<'_>,
    ids: &mut HashSet<(usize, String)>,
    problems: &mut Problems,
    warnings: &mut Vec<Problem>,
) -> Vec<(SloRule, SloObjective)> {
    let mut sink = Sink {
        problems,
        warnings,
        lenient: cx.lenient,
    };
    let mut slis = BTreeMap::new();
    let mut policies = BTreeMap::new();
    let mut conditions = BTreeMap::new();
    let mut names = HashSet::new();
    for (at, doc) in docs {
        let (kind, name) = match doc {
            Parsed::Service(d) => {
                if !cx.services.contains_key(d.metadata.name.as_str()) {
                    sink.error(
                        format!("{at}: metadata.name"),
                        format!(
                            "no Pipeline service {:?}: declare it, with its match selectors, in the Pipeline's spec.services",
                            d.metadata.name
                        ),
                    );
                }
                ("Service", &d.metadata.name)
            }
            Parsed::Sli(d) => {
                slis.insert(d.metadata.name.as_str(), (at.as_str(), &**d));
                ("SLI", &d.metadata.name)
            }
            Parsed::AlertPolicy(d) => {
                policies.insert(d.metadata.name.as_str(), (at.as_str(), &**d));
                ("AlertPolicy", &d.metadata.name)
            }
            Parsed::AlertCondition(d) => {
                conditions.insert(d.metadata.name.as_str(), (at.as_str(), &**d));
                ("AlertCondition", &d.metadata.name)
            }
            Parsed::NotificationTarget(d) => ("AlertNotificationTarget", &d.metadata.name),
            Parsed::Slo(d) => ("SLO", &d.metadata.name),
        };
        if !names.insert((kind, name.clone())) {
            sink.error(
                format!("{at}: metadata.name"),
                format!("duplicate {kind} {name:?}"),
            );
        }
    }
    let refs = Refs {
        slis,
        policies,
        conditions,
    };
    let mut out = Vec::new();
    for (at, doc) in docs {
        if let Parsed::Slo(d) = doc {
            out.extend(slo(d, at, cx, &refs, ids, &mut sink));
        }
    }
    out
}

struct Refs<'a> {
    slis: BTreeMap<&'a str, (&'a str, &'a Document<SliSpec>)>,
    policies: BTreeMap<&'a str, (&'a str, &'a Document<AlertPolicySpec>)>,
    conditions: BTreeMap<&'a str, (&'a str, &'a Document<AlertConditionSpec>)>,
}

fn duration(text: &str, at: &str, sink: &mut Sink<'_>) -> Option<i64> {
    parse_duration(text)
        .map_err(|e| sink.error(at, e.to_string()))
        .ok()
}

/// One SLO document → one slipstream SLO per objective.
fn slo(
    d: &Document<SloSpec>,
    at: &str,
    cx: &Context<'_>,
    refs: &Refs<'_>,
    ids: &mut HashSet<(usize, String)>,
    sink: &mut Sink<'_>,
) -> Vec<(SloRule, SloObjective)> {
    let s = &d.spec;
    let svc = cx.services.get(s.service.as_str()).copied();
    if svc.is_none() {
        sink.error(
            format!("{at}: spec.service"),
            format!(
                "unknown service {:?}: not a service of the Pipeline",
                s.service
            ),
        );
    }
    // The indicator: inline or by reference.
    let sli = match (&s.indicator, &s.indicator_ref) {
        (Some(i), None) => Some((format!("{at}: spec.indicator.spec"), &i.spec)),
        (None, Some(r)) => match refs.slis.get(r.as_str()) {
            Some((sli_at, doc)) => Some((format!("{sli_at}: spec"), &doc.spec)),
            None => {
                sink.error(
                    format!("{at}: spec.indicatorRef"),
                    format!("no SLI named {r:?}"),
                );
                None
            }
        },
        _ => {
            sink.error(
                format!("{at}: spec"),
                "set exactly one of indicator and indicatorRef",
            );
            None
        }
    };
    let indicator = sli.and_then(|(sli_at, spec)| indicator(spec, &sli_at, &s.service, cx, sink));
    let window = time_window(&s.time_window, &format!("{at}: spec.timeWindow"), sink);
    let method = s.budgeting_method.as_str();
    if !matches!(method, "Occurrences" | "Timeslices" | "RatioTimeslices") {
        sink.error(
            format!("{at}: spec.budgetingMethod"),
            format!("unknown budgeting method {method:?}: expected Occurrences, Timeslices or RatioTimeslices"),
        );
    }
    let alerts = alert_policies(d, at, refs, sink);
    if s.objectives.is_empty() {
        sink.error(
            format!("{at}: spec.objectives"),
            "at least one objective is required",
        );
    }
    let mut out = Vec::new();
    for (i, o) in s.objectives.iter().enumerate() {
        let here = format!("{at}: spec.objectives[{i}]");
        let target = target(o, &here, sink);
        let budgeting = budgeting(o, method, &here, sink);
        let sli = indicator
            .as_ref()
            .and_then(|ind| objective_sli(ind, o, &here, sink));
        let (Some(svc), Some(target), Some(budgeting), Some(sli), Some(window), Some(alerts)) =
            (svc, target, budgeting, sli, window.clone(), alerts.clone())
        else {
            continue;
        };
        if indicator
            .as_ref()
            .is_some_and(|ind| ind.service != s.service)
        {
            continue;
        }
        let name = if s.objectives.len() == 1 {
            d.metadata.name.clone()
        } else {
            format!("{}-{}", d.metadata.name, i + 1)
        };
        if !ids.insert((svc, name.clone())) {
            sink.error(
                format!("{at}: metadata.name"),
                format!("duplicate SLO {}/{name}", s.service),
            );
            continue;
        }
        let (period_us, calendar) = window;
        let (policy_alerts, tiers) = cx.policies.get(&svc).cloned().unwrap_or_default();
        let burn_alerts: Vec<BurnAlert> = default_burn_alerts(period_us)
            .into_iter()
            .chain(policy_alerts)
            .chain(alerts)
            .collect();
        let mut windows = windows_for(period_us, &burn_alerts);
        if calendar.is_some() {
            windows.retain(|&w| w != period_us);
        }
        let kind = match sli {
            Sli::Latency { .. } => "latency",
            _ => "availability",
        };
        out.push((
            SloRule { service: svc, sli },
            SloObjective {
                service: s.service.clone(),
                service_index: svc,
                slo: name,
                kind,
                target: Target::Ratio(target),
                period_us,
                calendar,
                budgeting,
                display_name: o
                    .display_name
                    .clone()
                    .or_else(|| d.metadata.display_name.clone()),
                windows,
                burn_alerts,
                budget_alerts: Vec::<BudgetAlert>::new(),
                tiers,
            },
        ));
    }
    out
}

/// What an SLI measures, before an objective fixes a threshold.
#[derive(Debug, Clone)]
struct Indicator {
    service: String,
    /// `Some` for ratio metrics; `None` for a latency thresholdMetric (objectives set it).
    sli: Option<Sli>,
}

/// Reads one `type: slipstream` source; `None` (with the problem recorded) otherwise.
fn source(m: &Metric, at: &str, sink: &mut Sink<'_>) -> Option<SlipstreamSpec> {
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

fn indicator(
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
            Some(Indicator { service, sli: None })
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
            })
        }
        _ => {
            sink.error(at, "set exactly one of thresholdMetric and ratioMetric");
            None
        }
    }
}

/// The SLI of one objective: the indicator's, or a latency threshold from `op`/`value`.
fn objective_sli(ind: &Indicator, o: &Objective, here: &str, sink: &mut Sink<'_>) -> Option<Sli> {
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

fn target(o: &Objective, here: &str, sink: &mut Sink<'_>) -> Option<Ppb> {
    let from_target = o.target.map(|t| (t, Ppb::from_fraction(t)));
    let from_percent = o.target_percent.map(|p| (p, Ppb::from_percent(p)));
    let valid = |p: Option<Ppb>| p.filter(|p| p.0 > 0 && p.0 < crate::evaluate::exact::ONE);
    match (from_target, from_percent) {
        (None, None) => {
            sink.error(here, "set target (0–1) or targetPercent (0–100)");
            None
        }
        (Some((t, p)), None) => valid(p).or_else(|| {
            sink.error(
                format!("{here}.target"),
                format!("{t} is not a fraction greater than 0 and less than 1"),
            );
            None
        }),
        (None, Some((t, p))) => valid(p).or_else(|| {
            sink.error(
                format!("{here}.targetPercent"),
                format!("{t} is not a percentage greater than 0 and less than 100"),
            );
            None
        }),
        (Some((t, a)), Some((pct, b))) => {
            if a == b && valid(a).is_some() {
                sink.deviation(
                    format!("{here}.targetPercent"),
                    format!("target and targetPercent are mutually exclusive (both say {t})"),
                );
                valid(a)
            } else {
                sink.error(
                    format!("{here}.targetPercent"),
                    format!("target and targetPercent are mutually exclusive, and {t} ≠ {pct} %"),
                );
                None
            }
        }
    }
}

fn budgeting(o: &Objective, method: &str, here: &str, sink: &mut Sink<'_>) -> Option<Budgeting> {
    let slice = |sink: &mut Sink<'_>| {
        let at = format!("{here}.timeSliceWindow");
        let Some(v) = &o.time_slice_window else {
            sink.error(&at, format!("required for budgetingMethod {method}"));
            return None;
        };
        // A bare number is minutes.
        let us = match v.as_u64() {
            Some(n) => Some(i64::try_from(n).ok()?.checked_mul(MINUTE)?),
            None => v.as_str().and_then(|t| duration(t, &at, sink)),
        };
        let us = us?;
        if us % SECOND != 0 || HOUR % us != 0 {
            sink.error(
                &at,
                "must divide one hour into whole seconds (e.g. 1m, 5m, 10m, 1h)",
            );
            return None;
        }
        Some(us)
    };
    match method {
        "Timeslices" => {
            let slice_us = slice(sink);
            let target = match o.time_slice_target {
                None => {
                    sink.error(
                        format!("{here}.timeSliceTarget"),
                        "required for budgetingMethod Timeslices",
                    );
                    None
                }
                Some(t) => Ppb::from_fraction(t).filter(|p| p.0 > 0).or_else(|| {
                    sink.error(
                        format!("{here}.timeSliceTarget"),
                        "must be greater than 0 and at most 1",
                    );
                    None
                }),
            };
            Some(Budgeting::Timeslices {
                slice_us: slice_us?,
                target: target?,
            })
        }
        "RatioTimeslices" => {
            if o.time_slice_target.is_some() {
                sink.deviation(
                    format!("{here}.timeSliceTarget"),
                    "applies only to Timeslices; ignored",
                );
            }
            Some(Budgeting::RatioTimeslices {
                slice_us: slice(sink)?,
            })
        }
        "Occurrences" => {
            if o.time_slice_target.is_some() || o.time_slice_window.is_some() {
                sink.deviation(
                    format!("{here}.timeSliceWindow"),
                    "timeSliceTarget and timeSliceWindow apply only to the timeslice methods; ignored",
                );
            }
            Some(Budgeting::Occurrences)
        }
        _ => None,
    }
}

/// `(period or nominal length, calendar)` of the one time window.
fn time_window(
    windows: &[TimeWindow],
    at: &str,
    sink: &mut Sink<'_>,
) -> Option<(i64, Option<Calendar>)> {
    let [w] = windows else {
        sink.error(
            at,
            format!(
                "exactly one time window is required, found {}",
                windows.len()
            ),
        );
        return None;
    };
    let at = format!("{at}[0]");
    let rolling = w.is_rolling.unwrap_or(w.calendar.is_none());
    if rolling {
        if w.calendar.is_some() {
            sink.error(
                format!("{at}.calendar"),
                "a rolling window has no calendar (set isRolling: false)",
            );
        }
        if w.duration.ends_with(['M', 'Q', 'Y']) {
            sink.error(
                format!("{at}.duration"),
                format!("{:?}: months, quarters and years are calendar windows; use days (28d, 30d) for a rolling one", w.duration),
            );
            return None;
        }
        return Some((
            duration(&w.duration, &format!("{at}.duration"), sink)?,
            None,
        ));
    }
    let Some(c) = &w.calendar else {
        sink.error(format!("{at}.calendar"), "required when isRolling is false");
        return None;
    };
    let unit = match w.duration.as_str() {
        "1w" | "7d" => CalendarUnit::Week,
        "1M" => CalendarUnit::Month,
        "1Q" | "3M" => CalendarUnit::Quarter,
        other => {
            sink.error(
                format!("{at}.duration"),
                format!("{other:?}: calendar windows are 1w (ISO week), 1M or 1Q"),
            );
            return None;
        }
    };
    let Some(calendar) = Calendar::new(unit, &c.time_zone) else {
        sink.error(
            format!("{at}.calendar.timeZone"),
            format!(
                "unknown time zone {:?}: expected an IANA name such as Europe/Berlin",
                c.time_zone
            ),
        );
        return None;
    };
    if !starts_a_period(&c.start_time, unit) {
        sink.error(
            format!("{at}.calendar.startTime"),
            format!(
                "{:?}: periods are aligned to the calendar; give midnight at the start of a {} (e.g. 2024-01-01 00:00:00)",
                c.start_time,
                unit.name()
            ),
        );
    }
    Some((unit.nominal_us(), Some(calendar)))
}

/// True when `text` (`YYYY-MM-DD[ T]00:00:00`, or a date) is midnight starting a period.
fn starts_a_period(text: &str, unit: CalendarUnit) -> bool {
    let text = text.trim();
    let (date, time) = text.split_at(text.len().min(10));
    let time = time.trim_start_matches([' ', 'T']);
    if !(time.is_empty() || time == "00:00:00" || time == "00:00") {
        return false;
    }
    let Ok(d) = date.parse::<jiff::civil::Date>() else {
        return false;
    };
    match unit {
        CalendarUnit::Week => d.weekday() == jiff::civil::Weekday::Monday,
        CalendarUnit::Month => d.day() == 1,
        CalendarUnit::Quarter => d.day() == 1 && (d.month() - 1) % 3 == 0,
    }
}

/// Burn-rate alerts of an SLO's alert policies.
fn alert_policies(
    d: &Document<SloSpec>,
    at: &str,
    refs: &Refs<'_>,
    sink: &mut Sink<'_>,
) -> Option<Vec<BurnAlert>> {
    let mut out = Vec::new();
    let mut ok = true;
    for (i, item) in d.spec.alert_policies.iter().enumerate() {
        let here = format!("{at}: spec.alertPolicies[{i}]");
        let policy = match (&item.alert_policy_ref, &item.spec) {
            (Some(r), None) => match refs.policies.get(r.as_str()) {
                Some((p_at, p)) => Some((format!("{p_at}: spec"), &p.spec)),
                None => {
                    sink.error(
                        format!("{here}.alertPolicyRef"),
                        format!("no AlertPolicy named {r:?}"),
                    );
                    None
                }
            },
            (None, Some(spec)) => Some((format!("{here}.spec"), spec)),
            _ => {
                sink.error(&here, "set alertPolicyRef, or an inline kind/metadata/spec");
                None
            }
        };
        let Some((p_at, p)) = policy else {
            ok = false;
            continue;
        };
        if p.conditions.len() != 1 {
            sink.error(
                format!("{p_at}.conditions"),
                "exactly one condition is required",
            );
        }
        for (j, c) in p.conditions.iter().enumerate() {
            let c_at = format!("{p_at}.conditions[{j}]");
            let cond = match (&c.condition_ref, &c.spec, &c.metadata) {
                (Some(r), None, _) => match refs.conditions.get(r.as_str()) {
                    Some((x_at, x)) => {
                        Some((format!("{x_at}: spec"), x.metadata.name.clone(), &x.spec))
                    }
                    None => {
                        sink.error(
                            format!("{c_at}.conditionRef"),
                            format!("no AlertCondition named {r:?}"),
                        );
                        None
                    }
                },
                (None, Some(spec), Some(m)) => Some((format!("{c_at}.spec"), m.name.clone(), spec)),
                _ => {
                    sink.error(&c_at, "set conditionRef, or an inline kind/metadata/spec");
                    None
                }
            };
            match cond.and_then(|(x_at, name, spec)| condition(&name, spec, p, &x_at, sink)) {
                Some(a) if out.iter().any(|b: &BurnAlert| b.name == a.name) => {
                    sink.error(&c_at, format!("duplicate alert {:?}", a.name));
                    ok = false;
                }
                Some(a) => out.push(a),
                None => ok = false,
            }
        }
    }
    ok.then_some(out)
}

fn condition(
    name: &str,
    spec: &AlertConditionSpec,
    policy: &AlertPolicySpec,
    at: &str,
    sink: &mut Sink<'_>,
) -> Option<BurnAlert> {
    let c = &spec.condition;
    let at = format!("{at}.condition");
    if c.kind.as_deref().is_some_and(|k| k != "burnrate") {
        sink.error(
            format!("{at}.kind"),
            format!(
                "{:?}: only burnrate conditions are supported",
                c.kind.as_deref().unwrap_or("")
            ),
        );
        return None;
    }
    let inclusive = match c.op.as_str() {
        "gt" => false,
        "gte" => true,
        op @ ("lt" | "lte") => {
            sink.deviation(
                format!("{at}.op"),
                format!(
                    "op {op} would fire while the burn rate is low; read as {}",
                    if op == "lt" { "gt" } else { "gte" }
                ),
            );
            op == "lte"
        }
        other => {
            sink.error(
                format!("{at}.op"),
                format!("unknown op {other:?}: expected gt or gte"),
            );
            return None;
        }
    };
    let factor = Factor::from_decimal(c.threshold).filter(|_| c.threshold > 0.0);
    if factor.is_none() {
        sink.error(
            format!("{at}.threshold"),
            "must be a positive burn-rate factor",
        );
    }
    let long_us = duration(&c.lookback_window, &format!("{at}.lookbackWindow"), sink);
    let short_us = match c.alert_after.as_deref() {
        None | Some("0m" | "0s" | "0") => long_us,
        Some(a) => duration(a, &format!("{at}.alertAfter"), sink),
    };
    if let (Some(l), Some(s)) = (long_us, short_us)
        && s > l
    {
        sink.error(
            format!("{at}.alertAfter"),
            "must not be longer than lookbackWindow",
        );
        return None;
    }
    Some(BurnAlert {
        name: name.to_string(),
        severity: spec.severity.clone(),
        action: policy.description.clone(),
        long_us: long_us?,
        short_us: short_us?,
        factor: factor?,
        inclusive,
    })
}

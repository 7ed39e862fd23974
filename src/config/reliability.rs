//! `reliability/v1 ServiceLevelObjective`: one SLO per indicator.
//!
//! Indicator names fix what an SLO measures and how its `threshold` reads:
//! `availability` (percent of requests not 5xx), `error_rate` (at most this percent 5xx),
//! `latency_pNN` (NN % of requests no slower than a duration; `p999` is 99.9 %) and
//! `throughput` with `type: minimum` (good requests per second over the window). The period
//! and budgeting are read by [`super::periods`]; the SLOs are built by
//! [`super::objective`].

use std::collections::HashSet;

use super::objective::{Objectives, Slo};
use super::path::At;
use super::problems::Problems;
use super::raw::{BudgetAlertSpec, Document, ExhaustionAlertSpec, IndicatorSpec, SlaSpec, SloSpec};
use super::service::{Services, lookup};
use crate::classify::{Sli, SloRule};
use crate::evaluate::sla::{Sla, SlaPeriod};
use crate::evaluate::{
    BudgetAlert, Budgeting, Calendar, CalendarUnit, ExhaustionAlert, Ppb, Severity, SloKind, Target,
};
use crate::time::{HOUR, format_duration, parse_duration};

/// Validates every document, and adds the SLOs of those whose service is known.
pub(super) fn validate(
    docs: &[(At, Document<SloSpec>)],
    services: Option<&Services>,
    objectives: &mut Objectives<'_>,
    problems: &mut Problems,
) {
    for (at, d) in docs {
        document(&d.spec, &at.field("spec"), services, objectives, problems);
    }
}

fn document(
    s: &SloSpec,
    at: &At,
    services: Option<&Services>,
    objectives: &mut Objectives<'_>,
    problems: &mut Problems,
) {
    let name = &s.service;
    let svc = lookup(
        services,
        name,
        &at.field("service"),
        || format!("unknown service {name:?}"),
        problems,
    );
    let period = super::periods::document(s, at, problems);
    let budget_alerts = budget_alerts(&s.alert_budgets, &at.field("alert_budgets"), problems);
    let exhaustion = s.exhaustion_alert.as_ref().and_then(|e| {
        exhaustion_alert(e, period.as_ref(), &at.field("exhaustion_alert"), problems)
    });
    if s.indicators.is_empty() {
        problems.error(
            &at.field("indicators"),
            "at least one indicator is required",
        );
    }
    for (i, ind) in s.indicators.iter().enumerate() {
        let here = at.field("indicators").index(i);
        let Some((kind, sli, target)) = indicator(ind, &here, problems) else {
            continue;
        };
        let Some((calendar, budgeting)) = period.clone() else {
            if let Some(w) = &ind.window {
                problems.duration(w, &here.field("window"));
            }
            continue;
        };
        let Some(period_us) = super::periods::indicator(ind, calendar.as_ref(), &here, problems)
        else {
            continue;
        };
        if !matches!(target, Target::Ratio(_))
            && (calendar.is_some() || budgeting != Budgeting::Occurrences)
        {
            problems.error(
                &here.field("name"),
                "a throughput minimum is rolling and counts occurrences",
            );
            continue;
        }
        let sla = ind
            .sla
            .as_ref()
            .and_then(|s| sla(s, target, calendar.as_ref(), &here.field("sla"), problems));
        let Some(svc) = svc else {
            continue;
        };
        let slo = Slo {
            rule: SloRule::new(svc, sli),
            service: s.service.clone(),
            name: ind.name.clone(),
            kind,
            target,
            period_us,
            calendar,
            budgeting,
            display_name: None,
            burn_alerts: Vec::new(),
            budget_alerts: budget_alerts.clone(),
            exhaustion_alert: exhaustion.clone(),
            sla,
            alerting: true,
            composite: None,
            component_of: None,
        };
        objectives.add(slo, &here.field("name"), problems);
    }
}

fn number(v: &serde_yaml_ng::Value) -> Option<f64> {
    v.as_f64().or_else(|| v.as_u64().map(|n| n as f64))
}

/// Kind label, SLI and target of one indicator (at `here`).
fn indicator(
    ind: &IndicatorSpec,
    here: &At,
    problems: &mut Problems,
) -> Option<(SloKind, Sli, Target)> {
    let threshold_at = here.field("threshold");
    if ind.kind.is_some() && ind.name != "throughput" {
        problems.error(
            &here.field("type"),
            "`type` applies only to the throughput indicator",
        );
    }
    let percent = |problems: &mut Problems| {
        let p = number(&ind.threshold).filter(|p| *p > 0.0 && *p < 100.0);
        if p.is_none() {
            problems.error(
                &threshold_at,
                "must be a percentage greater than 0 and less than 100",
            );
        }
        p
    };
    match ind.name.as_str() {
        "availability" => {
            let p = Ppb::from_percent(percent(problems)?)?;
            Some((SloKind::Availability, Sli::Availability, Target::Ratio(p)))
        }
        "error_rate" => {
            let allowed = Ppb::from_percent(percent(problems)?)?;
            Some((
                SloKind::ErrorRate,
                Sli::Availability,
                Target::Ratio(allowed.complement()),
            ))
        }
        "throughput" => throughput(ind, here, problems),
        name => latency(name, ind, here, problems),
    }
}

/// `throughput` with `type: minimum`: good requests per second.
fn throughput(
    ind: &IndicatorSpec,
    here: &At,
    problems: &mut Problems,
) -> Option<(SloKind, Sli, Target)> {
    if ind.kind.as_deref() != Some("minimum") {
        problems.error(&here.field("type"), "throughput needs `type: minimum`");
    }
    let rate = number(&ind.threshold).filter(|r| *r > 0.0 && *r < 1e12);
    let Some(rate) = rate else {
        problems.error(
            &here.field("threshold"),
            "must be a positive number of requests per second",
        );
        return None;
    };
    let milli = (rate * 1_000.0).round() as u64;
    Some((
        SloKind::Throughput,
        Sli::Throughput,
        Target::MinRate {
            milli_per_second: milli.max(1),
        },
    ))
}

/// `latency_pNN` with a duration threshold.
fn latency(
    name: &str,
    ind: &IndicatorSpec,
    here: &At,
    problems: &mut Problems,
) -> Option<(SloKind, Sli, Target)> {
    let Some(objective) = name.strip_prefix("latency_p").and_then(percentile) else {
        problems.error(
            &here.field("name"),
            format!(
                "unknown indicator {name:?}: expected availability, error_rate, \
                 latency_pNN (e.g. latency_p99, latency_p999) or throughput"
            ),
        );
        return None;
    };
    let threshold_us = ind.threshold.as_str().and_then(|t| parse_duration(t).ok());
    let Some(threshold_us) = threshold_us else {
        problems.error(
            &here.field("threshold"),
            "must be a duration with a unit, e.g. \"300ms\" or \"1.5s\"",
        );
        return None;
    };
    Some((
        SloKind::Latency,
        Sli::Latency { threshold_us },
        Target::Ratio(objective),
    ))
}

/// `99` → 99 %, `999` → 99.9 %, `50` → 50 %.
pub(super) fn percentile(digits: &str) -> Option<Ppb> {
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (int, frac) = digits.split_at(digits.len().min(2));
    let text = format!("{int}.{frac}0");
    let p: f64 = text.parse().ok()?;
    (p > 0.0 && p < 100.0)
        .then(|| Ppb::from_percent(p))
        .flatten()
}

/// `exhaustion_alert` (at `at`), for a document whose periods are `period` (its calendar
/// and budgeting method, when valid).
fn exhaustion_alert(
    e: &ExhaustionAlertSpec,
    period: Option<&(Option<Calendar>, Budgeting)>,
    at: &At,
    problems: &mut Problems,
) -> Option<ExhaustionAlert> {
    if let Some((_, budgeting)) = period
        && *budgeting != Budgeting::Occurrences
    {
        problems.error(at, "applies to occurrence budgets only: a timeslice budget counts slices, which a rate of events does not forecast");
        return None;
    }
    let within_us = problems
        .duration(&e.within, &at.field("within"))
        .filter(|&w| w > 0);
    let rate_window_us = match e.rate_window.as_deref() {
        None => Some(6 * HOUR),
        Some(w) => {
            let us = problems.duration(w, &at.field("rate_window"));
            if us.is_some_and(|us| !crate::evaluate::forecast::RATE_WINDOWS.contains(&us)) {
                problems.error(
                    &at.field("rate_window"),
                    format!("{w} is not one of 1h, 6h, 1d"),
                );
                return None;
            }
            us
        }
    };
    let (within_us, rate_window_us) = (within_us?, rate_window_us?);
    Some(ExhaustionAlert {
        name: e
            .name
            .clone()
            .unwrap_or_else(|| format!("budget_exhausted_within_{}", format_duration(within_us)))
            .into(),
        severity: Severity::from(e.severity.as_deref().unwrap_or("ticket")),
        within_us,
        rate_window_us,
    })
}

/// An indicator's `sla` (at `at`) beside an SLO held to `target`, in the zone of `calendar`
/// when it has one.
fn sla(
    s: &SlaSpec,
    target: Target,
    calendar: Option<&Calendar>,
    at: &At,
    problems: &mut Problems,
) -> Option<Sla> {
    let Target::Ratio(slo) = target else {
        problems.error(
            at,
            "an SLA applies to ratio SLOs, not to a throughput minimum",
        );
        return None;
    };
    let objective =
        Ppb::from_percent(s.objective).filter(|p| p.0 > 0 && *p < Ppb(crate::evaluate::exact::ONE));
    match objective {
        None => problems.error(
            &at.field("objective"),
            "must be a percent between 0 and 100",
        ),
        Some(p) if p > slo => problems.error(
            &at.field("objective"),
            format!(
                "{} % is stricter than the SLO's {} %: an SLA is the looser, contractual objective",
                s.objective,
                slo.as_f64() * 100.0
            ),
        ),
        Some(_) => {}
    }
    let period = match CalendarUnit::from_name(&s.period) {
        Some(unit) => {
            let zone = s
                .time_zone
                .as_deref()
                .or(calendar.map(|c| c.zone_name.as_str()))
                .unwrap_or("UTC");
            let c = Calendar::new(unit, zone);
            if c.is_none() {
                problems.error(
                    &at.field("time_zone"),
                    format!("unknown time zone {zone:?}"),
                );
            }
            c.map(SlaPeriod::Calendar)
        }
        None => {
            if s.time_zone.is_some() {
                problems.error(
                    &at.field("time_zone"),
                    "only a calendar period (day, week, month, quarter, year) has a time zone",
                );
            }
            problems
                .duration(&s.period, &at.field("period"))
                .map(SlaPeriod::Rolling)
        }
    };
    let objective = objective.filter(|p| *p <= slo)?;
    Some(Sla {
        objective,
        period: period?,
    })
}

/// `alert_budgets` (at `at`).
fn budget_alerts(specs: &[BudgetAlertSpec], at: &At, problems: &mut Problems) -> Vec<BudgetAlert> {
    let mut names = HashSet::new();
    specs
        .iter()
        .enumerate()
        .filter_map(|(i, b)| {
            let here = at.index(i);
            let Some(below) = Ppb::from_fraction(b.threshold).filter(|p| p.0 > 0) else {
                problems.error(
                    &here.field("threshold"),
                    "must be a remaining-budget fraction greater than 0 and at most 1",
                );
                return None;
            };
            let name = b
                .name
                .clone()
                .unwrap_or_else(|| format!("budget_below_{}pct", format_percent(below)));
            if !names.insert(name.clone()) {
                problems.error(&here.field("name"), format!("duplicate alert {name:?}"));
            }
            Some(BudgetAlert {
                name: name.into(),
                severity: Severity::from(b.severity.as_str()),
                below,
            })
        })
        .collect()
}

fn format_percent(p: Ppb) -> String {
    let pct = p.as_f64() * 100.0;
    let s = format!("{pct:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

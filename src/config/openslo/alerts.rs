//! OpenSLO alert policies and burn-rate conditions → slipstream burn-rate alerts.

use super::resolve::{Refs, Sink, duration};
use super::{AlertConditionSpec, AlertPolicySpec, Document, SloSpec};
use crate::evaluate::Severity;
use crate::evaluate::{BurnAlert, Factor};

/// Burn-rate alerts of an SLO's alert policies.
pub(super) fn alert_policies(
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

pub(super) fn condition(
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
        severity: Severity::from(spec.severity.as_str()),
        action: policy.description.clone(),
        long_us: long_us?,
        short_us: short_us?,
        factor: factor?,
        inclusive,
    })
}

//! OpenSLO alert policies and burn-rate conditions → slipstream burn-rate alerts.
//!
//! Every AlertCondition and AlertPolicy document is checked on its own, used or not; an SLO
//! then collects the alerts of the policies it names (or writes inline).

use std::sync::Arc;

use super::resolve::Refs;
use super::{
    AlertAfter, AlertConditionSpec, AlertPolicySpec, Condition, ConditionItem, Document, Metadata,
    SloSpec,
};
use crate::config::path::At;
use crate::config::policy::{hold, no_hold};
use crate::config::problems::Problems;
use crate::evaluate::{BurnAlert, Factor, Severity};

/// A burn-rate alert with where its condition is named (for duplicate names).
pub(super) type Located = (At, BurnAlert);

/// Burn-rate alerts of an SLO's alert policies (`at`: the SLO's `spec`); `None` when one of
/// them is invalid.
pub(super) fn alert_policies(
    d: &Document<SloSpec>,
    at: &At,
    refs: &Refs<'_>,
    problems: &mut Problems,
) -> Option<Vec<BurnAlert>> {
    // Every policy's alerts with the policy's name, before naming.
    let mut collected: Vec<(String, At, BurnAlert)> = Vec::new();
    let mut ok = true;
    for (i, item) in d.spec.alert_policies.iter().enumerate() {
        let here = at.field("alertPolicies").index(i);
        let alerts = match (&item.alert_policy_ref, &item.spec) {
            (Some(r), None) => match refs.policies.get(r.as_str()) {
                // An invalid policy was reported with its document.
                Some(alerts) => alerts.clone(),
                None => {
                    problems.error(
                        &here.field("alertPolicyRef"),
                        format!("no AlertPolicy named {r:?}"),
                    );
                    None
                }
            },
            (None, Some(spec)) => policy(spec, &here.field("spec"), refs, problems),
            _ => {
                problems.error(&here, "set alertPolicyRef, or an inline kind/metadata/spec");
                None
            }
        };
        let Some(alerts) = alerts else {
            ok = false;
            continue;
        };
        let policy = item
            .alert_policy_ref
            .clone()
            .or_else(|| item.metadata.as_ref().map(|m| m.name.clone()))
            .unwrap_or_else(|| format!("policy-{i}"));
        collected.extend(
            alerts
                .into_iter()
                .map(|(c_at, a)| (policy.clone(), c_at, a)),
        );
    }
    // A condition used by one policy keeps its name (so Alertmanager routes on it keep
    // matching); one that several policies use (say one to Slack, one to the pager) is
    // named `<policy>/<condition>` in each.
    let shared: Vec<Arc<str>> = collected
        .iter()
        .filter(|(p, _, a)| collected.iter().any(|(q, _, b)| b.name == a.name && q != p))
        .map(|(_, _, a)| a.name.clone())
        .collect();
    let mut out: Vec<BurnAlert> = Vec::new();
    for (policy, c_at, mut a) in collected {
        if shared.contains(&a.name) {
            a.name = format!("{policy}/{}", a.name).into();
        }
        if out.iter().any(|b| b.name == a.name) {
            problems.error(&c_at, format!("duplicate alert {:?}", a.name));
            ok = false;
        } else {
            out.push(a);
        }
    }
    ok.then_some(out)
}

/// An AlertPolicy (`spec` at `at`): its one condition, inline or by reference, as alerts
/// whose action is the policy's description; its notification targets must exist.
pub(super) fn policy(
    p: &AlertPolicySpec,
    at: &At,
    refs: &Refs<'_>,
    problems: &mut Problems,
) -> Option<Vec<Located>> {
    if p.conditions.len() != 1 {
        problems.error(&at.field("conditions"), "exactly one condition is required");
    }
    let mut out = Vec::new();
    let mut ok = true;
    for (j, c) in p.conditions.iter().enumerate() {
        let c_at = at.field("conditions").index(j);
        match condition_item(c, &c_at, refs, problems) {
            Some(mut alert) => {
                alert.action = p.description.as_deref().map(Arc::from);
                out.push((c_at, alert));
            }
            None => ok = false,
        }
    }
    for (k, target) in p.notification_targets.iter().enumerate() {
        let Some(name) = target.get("targetRef").and_then(|v| v.as_str()) else {
            continue;
        };
        if !refs.targets.contains(name) {
            problems.error(
                &at.field("notificationTargets").index(k).field("targetRef"),
                format!("no AlertNotificationTarget named {name:?}"),
            );
        }
    }
    ok.then_some(out)
}

/// One `conditions[]` item (at `at`): a reference or an inline condition.
fn condition_item(
    c: &ConditionItem,
    at: &At,
    refs: &Refs<'_>,
    problems: &mut Problems,
) -> Option<BurnAlert> {
    match (&c.condition_ref, &c.spec, &c.metadata) {
        (Some(r), None, _) => match refs.conditions.get(r.as_str()) {
            // An invalid condition was reported with its document.
            Some(alert) => alert.clone(),
            None => {
                problems.error(
                    &at.field("conditionRef"),
                    format!("no AlertCondition named {r:?}"),
                );
                None
            }
        },
        (None, Some(spec), Some(m)) => condition(
            (m, &at.field("metadata")),
            spec,
            &at.field("spec"),
            refs.alert_after,
            problems,
        ),
        _ => {
            problems.error(at, "set conditionRef, or an inline kind/metadata/spec");
            None
        }
    }
}

/// The annotation of an AlertCondition that gives its burn-rate alert a short window (a
/// slipstream extension): the burn over it must cross the threshold too.
pub(crate) const SHORT_WINDOW: &str = "slipstream.dev/short-window";

/// An AlertCondition (`metadata` at `meta_at`, `spec` at `at`): a burn-rate alert, without
/// the action its policy gives it. `alertAfter` is read as `alert_after` says: the hold time
/// (the spec's reading), or the short window (the reading before it).
pub(super) fn condition(
    (meta, meta_at): (&Metadata, &At),
    spec: &AlertConditionSpec,
    at: &At,
    alert_after: AlertAfter,
    problems: &mut Problems,
) -> Option<BurnAlert> {
    let name = &meta.name;
    let c = &spec.condition;
    let at = at.field("condition");
    if c.kind.as_deref().is_some_and(|k| k != "burnrate") {
        problems.error(
            &at.field("kind"),
            format!(
                "{:?}: only burnrate conditions are supported",
                c.kind.as_deref().unwrap_or("")
            ),
        );
        return None;
    }
    let inclusive = inclusive(&c.op, &at.field("op"), problems)?;
    let factor = Factor::from_decimal(c.threshold).filter(|_| c.threshold > 0.0);
    if factor.is_none() {
        problems.error(
            &at.field("threshold"),
            "must be a positive burn-rate factor",
        );
    }
    let long_us = problems.duration(&c.lookback_window, &at.field("lookbackWindow"));
    let (short_us, hold_us) =
        short_window_and_hold((meta, meta_at), c, &at, long_us, alert_after, problems)?;
    Some(BurnAlert {
        hold_us: hold_us?,
        name: name.as_str().into(),
        severity: Severity::from(spec.severity.as_str()),
        action: None,
        long_us: long_us?,
        short_us: short_us?,
        factor: factor?,
        inclusive,
        min_events: 0,
    })
}

/// Whether the burn rate may equal the threshold (`op`, at `at`): `gte`, or `lte` read as
/// `gte`; `None` (reported) for an unknown op.
fn inclusive(op: &str, at: &At, problems: &mut Problems) -> Option<bool> {
    match op {
        "gt" => Some(false),
        "gte" => Some(true),
        op @ ("lt" | "lte") => {
            problems.deviation(
                at,
                format!(
                    "op {op} would fire while the burn rate is low; read as {}",
                    if op == "lt" { "gt" } else { "gte" }
                ),
            );
            Some(op == "lte")
        }
        other => {
            problems.error(at, format!("unknown op {other:?}: expected gt or gte"));
            None
        }
    }
}

/// The short window and the hold time of condition `c` (at `at`), µs, from `alertAfter`
/// and the [`SHORT_WINDOW`] annotation as `alert_after` reads them; the short window
/// defaults to `long_us`, the lookback window. Each is `None` when invalid; the whole is
/// `None` (reported) when both name a short window or the short window is the longer.
fn short_window_and_hold(
    (meta, meta_at): (&Metadata, &At),
    c: &Condition,
    at: &At,
    long_us: Option<i64>,
    alert_after: AlertAfter,
    problems: &mut Problems,
) -> Option<(Option<i64>, Option<i64>)> {
    let after_at = at.field("alertAfter");
    let annotated = meta.annotations.get(SHORT_WINDOW);
    let annotation_at = meta_at.field(&format!("annotations[{SHORT_WINDOW:?}]"));
    let (short, short_at, hold_us) = match alert_after {
        AlertAfter::Hold => (
            annotated,
            annotation_at,
            hold(c.alert_after.as_deref(), &after_at, problems),
        ),
        // The reading before alertAfter was a hold: the short window, unless left out.
        AlertAfter::ShortWindow => match (c.alert_after.as_deref(), annotated) {
            (Some(_), Some(_)) => {
                problems.error(
                    &annotation_at,
                    "alertAfter is the short window (spec.openslo.alert_after: short_window): set one of them",
                );
                return None;
            }
            (after, a) if no_hold(after) => (a, annotation_at, Some(0)),
            _ => (c.alert_after.as_ref(), after_at, Some(0)),
        },
    };
    let short_us = match short {
        None => long_us,
        Some(s) => problems.duration(s, &short_at),
    };
    if let (Some(l), Some(s)) = (long_us, short_us)
        && s > l
    {
        problems.error(&short_at, "must not be longer than lookbackWindow");
        return None;
    }
    Some((short_us, hold_us))
}

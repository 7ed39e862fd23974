//! Alert policies and conditions: a condition shared by two policies, `alertAfter` as a hold
//! with the short window as an annotation, and the compatibility setting.

use super::openslo_tests::{PIPELINE, RATIO, ROLLING, assert_problems, slo};
use super::*;
use crate::time::{HOUR, MINUTE};

/// One AlertCondition used by two AlertPolicies of one SLO (one to Slack, one to the
/// pager): both alerts exist, named `<policy>/<condition>` with their policy's action; a
/// condition used by one policy keeps its own name.
#[test]
fn a_condition_shared_by_two_policies_is_named_by_policy() {
    let docs = [
        PIPELINE.to_string(),
        slo(RATIO, ROLLING, "Occurrences", "{target: 0.99}").replace(
            "  budgetingMethod",
            "  alertPolicies: [{alertPolicyRef: slack}, {alertPolicyRef: pager}, {alertPolicyRef: ticket}]\n  budgetingMethod",
        ),
        "---\napiVersion: openslo/v1\nkind: AlertCondition\nmetadata: {name: fast-burn}\nspec: {severity: page, condition: {kind: burnrate, op: gte, threshold: 14.4, lookbackWindow: 1h}}\n".to_string(),
        "---\napiVersion: openslo/v1\nkind: AlertCondition\nmetadata: {name: slow-burn}\nspec: {severity: ticket, condition: {kind: burnrate, op: gte, threshold: 1, lookbackWindow: 3d}}\n".to_string(),
        "---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: slack}\nspec: {description: to slack, conditions: [{conditionRef: fast-burn}]}\n".to_string(),
        "---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: pager}\nspec: {description: page, conditions: [{conditionRef: fast-burn}]}\n".to_string(),
        "---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: ticket}\nspec: {conditions: [{conditionRef: slow-burn}]}\n".to_string(),
    ]
    .concat();
    let c = parse(&docs, "o.yaml").unwrap_or_else(|e| panic!("{e}"));
    let alerts: Vec<(String, Option<String>)> = c.reload.objectives[0]
        .burn_alerts
        .iter()
        .map(|a| (a.name.to_string(), a.action.as_deref().map(String::from)))
        .collect();
    // After the default alerts, the policies' in their order.
    assert_eq!(
        alerts[alerts.len() - 3..],
        [
            ("slack/fast-burn".to_string(), Some("to slack".to_string())),
            ("pager/fast-burn".to_string(), Some("page".to_string())),
            ("slow-burn".to_string(), None),
        ]
    );
}

/// An SLO of `api` with the alert policy `pol` of the one AlertCondition `c`, whose
/// `metadata` and `condition` are as given.
fn with_condition(metadata: &str, condition: &str) -> String {
    [
        PIPELINE.to_string(),
        slo(RATIO, ROLLING, "Occurrences", "{target: 0.999}"),
        format!("---\napiVersion: openslo/v1\nkind: AlertCondition\nmetadata: {metadata}\nspec: {{severity: page, condition: {condition}}}\n"),
        "---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: pol}\nspec: {conditions: [{conditionRef: c}]}\n".to_string(),
    ]
    .concat()
    .replace("  budgetingMethod", "  alertPolicies: [{alertPolicyRef: pol}]\n  budgetingMethod")
}

#[test]
fn alert_after_is_a_hold_and_the_short_window_an_annotation() {
    let alert = |text: &str| {
        let c = parse(text, "o.yaml").unwrap_or_else(|e| panic!("{e}"));
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let a = c.reload.objectives[0].burn_alerts.last().unwrap().clone();
        assert_eq!(&*a.name, "c");
        (a.long_us, a.short_us, a.hold_us)
    };
    // The spec's reading: the condition must hold 10 minutes; the lookback is the window.
    let held = with_condition(
        "{name: c}",
        "{kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h, alertAfter: 10m}",
    );
    assert_eq!(alert(&held), (HOUR, HOUR, 10 * MINUTE));
    // A hold longer than the lookback window is fine (it was refused as a short window).
    let long_hold = held.replace(
        "lookbackWindow: 1h, alertAfter: 10m",
        "lookbackWindow: 5m, alertAfter: 1h",
    );
    assert_eq!(alert(&long_hold), (5 * MINUTE, 5 * MINUTE, HOUR));
    // Left out or zero: no hold.
    let at_once = held.replace(", alertAfter: 10m", "");
    assert_eq!(alert(&at_once), (HOUR, HOUR, 0));
    assert_eq!(
        alert(&held.replace("alertAfter: 10m", "alertAfter: 0m")),
        (HOUR, HOUR, 0)
    );
    // The extension: a short window as an annotation, inline conditions included.
    let annotated = held.replace(
        "metadata: {name: c}",
        "metadata: {name: c, annotations: {slipstream.dev/short-window: 5m}}",
    );
    assert_eq!(alert(&annotated), (HOUR, 5 * MINUTE, 10 * MINUTE));
    let too_long = annotated.replace("short-window: 5m", "short-window: 2h");
    assert_problems(
        &too_long,
        &[
            "(AlertCondition c): metadata.annotations[\"slipstream.dev/short-window\"]: must not be longer than lookbackWindow",
        ],
    );
    assert_problems(
        &held.replace("alertAfter: 10m", "alertAfter: banana"),
        &["(AlertCondition c): spec.condition.alertAfter"],
    );
}

#[test]
fn the_compatibility_setting_keeps_alert_after_as_the_short_window_with_a_warning() {
    let old = with_condition(
        "{name: c}",
        "{kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h, alertAfter: 5m}",
    )
    .replace(
        "services: [",
        "openslo: {alert_after: short_window}\n  services: [",
    );
    let c = parse(&old, "o.yaml").unwrap_or_else(|e| panic!("{e}"));
    let a = c.reload.objectives[0].burn_alerts.last().unwrap();
    assert_eq!((a.long_us, a.short_us, a.hold_us), (HOUR, 5 * MINUTE, 0));
    let warnings: Vec<String> = c
        .warnings
        .iter()
        .map(|p| format!("{}: {}", p.location, p.message))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].contains("(Pipeline p): spec.openslo.alert_after: short_window reads every AlertCondition's alertAfter as the short window"),
        "{warnings:#?}"
    );
    // As before: longer than the lookback is refused; the annotation may stand in for it.
    assert_problems(
        &old.replace("alertAfter: 5m", "alertAfter: 2h"),
        &["(AlertCondition c): spec.condition.alertAfter: must not be longer than lookbackWindow"],
    );
    let annotated = old.replace(", alertAfter: 5m", "").replace(
        "metadata: {name: c}",
        "metadata: {name: c, annotations: {slipstream.dev/short-window: 10m}}",
    );
    let c = parse(&annotated, "o.yaml").unwrap_or_else(|e| panic!("{e}"));
    let a = c.reload.objectives[0].burn_alerts.last().unwrap();
    assert_eq!((a.short_us, a.hold_us), (10 * MINUTE, 0));
    assert_problems(
        &old.replace(
            "metadata: {name: c}",
            "metadata: {name: c, annotations: {slipstream.dev/short-window: 10m}}",
        ),
        &[
            "alertAfter is the short window (spec.openslo.alert_after: short_window): set one of them",
        ],
    );
    assert_problems(
        &old.replace("alert_after: short_window", "alert_after: sideways"),
        &["spec.openslo.alert_after"],
    );
}

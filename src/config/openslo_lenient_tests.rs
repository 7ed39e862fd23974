//! Lenient mode: known deviations of published examples become warnings, each once.

use super::openslo_tests::{PIPELINE, RATIO, ROLLING, messages, slo};
use super::*;
use crate::time::HOUR;

#[test]
fn lenient_mode_turns_known_deviations_into_warnings() {
    let deviant = [
        PIPELINE.to_string(),
        slo(RATIO, ROLLING, "Occurrences", "{op: gt, target: 0.99, targetPercent: 99}"),
        "---\napiVersion: openslo/v1\nkind: AlertCondition\nmetadata: {name: c}\nspec: {severity: page, condition: {kind: burnrate, op: lte, threshold: 2, lookbackWindow: 1h}}\n".to_string(),
        "---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: pol}\nspec: {conditions: [{conditionRef: c}]}\n".to_string(),
    ]
    .concat()
    .replace("  budgetingMethod", "  alertPolicies: [{alertPolicyRef: pol}]\n  budgetingMethod");
    let strict = messages(&deviant);
    assert_eq!(strict.len(), 3, "{strict:#?}");
    assert!(
        strict
            .iter()
            .all(|m| m.contains("set spec.openslo.lenient: true"))
    );
    assert!(
        strict
            .iter()
            .any(|m| m
                .contains("spec.objectives[0].op: op and value apply only to a thresholdMetric")),
        "{strict:#?}"
    );

    let lenient = deviant.replace("services: [", "openslo: {lenient: true}\n  services: [");
    let c = parse(&lenient, "o.yaml").unwrap_or_else(|e| panic!("{e}"));
    let w: Vec<String> = c
        .warnings
        .iter()
        .map(|p| format!("{}: {}", p.location, p.message))
        .collect();
    assert_eq!(w.len(), 3, "{w:#?}");
    for want in [
        "(SLO s): spec.objectives[0].targetPercent: target and targetPercent are mutually exclusive (both say 0.99)",
        "(AlertCondition c): spec.condition.op: op lte would fire while the burn rate is low; read as gte",
    ] {
        assert!(w.iter().any(|m| m.contains(want)), "{want} in {w:#?}");
    }
    let alert = c.reload.objectives[0].burn_alerts.last().unwrap();
    assert_eq!(
        (&*alert.name, alert.inclusive, alert.short_us),
        ("c", true, HOUR)
    );
}

/// One AlertPolicy with an inline condition that deviates (`op: lte`), used by two SLOs:
/// the deviation is one warning, not one per use.
#[test]
fn a_deviation_is_warned_once_however_often_it_is_used() {
    let policy = "---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: pol}\nspec: {conditions: [{kind: AlertCondition, metadata: {name: c}, spec: {severity: page, condition: {kind: burnrate, op: lte, threshold: 2, lookbackWindow: 1h}}}]}\n";
    let two = [
        PIPELINE.replace("services: [", "openslo: {lenient: true}\n  services: ["),
        slo(RATIO, ROLLING, "Occurrences", "{target: 0.99}"),
        slo(RATIO, ROLLING, "Occurrences", "{target: 0.98}").replace("{name: s}", "{name: t}"),
        policy.to_string(),
    ]
    .concat()
    .replace(
        "  budgetingMethod",
        "  alertPolicies: [{alertPolicyRef: pol}]\n  budgetingMethod",
    );
    let c = parse(&two, "o.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.reload.objectives.len(), 2);
    let w: Vec<String> = c.warnings.iter().map(|p| p.message.clone()).collect();
    assert_eq!(
        w.iter()
            .filter(|m| m.contains("would fire while the burn rate is low"))
            .count(),
        1,
        "{w:#?}"
    );
}

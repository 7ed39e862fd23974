//! OpenSLO composite SLOs: the example, what a composite and its components become, and
//! every refusal with its document and field path.

use super::openslo_tests::assert_problems;
use super::*;
use crate::classify::Sli;
use crate::evaluate::{Ppb, SloKind, Target};

const EXAMPLE: &str = include_str!("../../config/openslo-composite-example.yaml");

const PIPELINE: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: p}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services:
    - {name: web, match: {host: web.example.com}}
    - {name: api, match: {host: api.example.com}}
    - {name: edge, match: {host: edge.example.com}, split_by: host}
---
apiVersion: openslo/v1
kind: SLI
metadata: {name: api-ok}
spec:
  ratioMetric:
    good: {metricSource: {type: slipstream, spec: {service: api}}}
    total: {metricSource: {type: slipstream, spec: {service: api}}}
"#;

/// An availability SLI of `service`, inline.
fn inline(service: &str) -> String {
    format!(
        "indicator: {{metadata: {{name: i}}, spec: {{ratioMetric: {{good: {{metricSource: {{type: slipstream, spec: {{service: {service}}}}}}}, total: {{metricSource: {{type: slipstream, spec: {{service: {service}}}}}}}}}}}}}"
    )
}

/// A composite SLO `j` of service `web` (document 3) with `spec_extra` and `objectives`.
fn composite(spec_extra: &str, method: &str, objectives: &[String]) -> String {
    format!(
        "{PIPELINE}---\napiVersion: openslo/v1\nkind: SLO\nmetadata: {{name: j}}\nspec:\n  service: web\n  {spec_extra}\n  timeWindow: [{{duration: 28d, isRolling: true}}]\n  budgetingMethod: {method}\n  objectives: [{}]\n",
        objectives.join(", ")
    )
}

fn objective(extra: &str) -> String {
    format!("{{target: 0.99, {extra}}}")
}

#[test]
fn the_example_becomes_three_components_and_a_composite() {
    let c = parse(EXAMPLE, "openslo-composite-example.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert!(c.warnings.is_empty());
    let r = &c.reload;
    let ids: Vec<String> = r.objectives.iter().map(|o| o.id()).collect();
    assert_eq!(
        ids,
        [
            "frontend/checkout-journey-1",
            "cart/checkout-journey-2",
            "payment/checkout-journey-3",
            "frontend/checkout-journey",
        ]
    );
    for (o, rule) in r.objectives.iter().zip(&r.rules).take(3) {
        assert_eq!(o.component_of.as_deref(), Some("frontend/checkout-journey"));
        assert!(o.burn_alerts.is_empty(), "{} pages nobody", o.id());
        assert_eq!(o.target, Target::Ratio(Ppb(995_000_000)));
        assert!(rule.parts.is_empty());
    }
    assert!(matches!(
        r.rules[0].sli,
        Sli::Latency {
            threshold_us: 800_000
        }
    ));
    assert_eq!(r.rules[1].service, 1);
    assert_eq!(r.rules[2].service, 2);
    let journey = &r.objectives[3];
    assert_eq!(journey.kind, SloKind::Composite);
    assert_eq!(journey.target, Target::Ratio(Ppb(995_000_000)));
    assert_eq!(journey.period_us, 30 * crate::time::DAY);
    let names: Vec<&str> = journey.burn_alerts.iter().map(|a| &*a.name).collect();
    assert!(names.contains(&"page_1h_5m") && names.contains(&"journey-fast-burn"));
    let rule = &r.rules[3];
    assert_eq!(rule.sli, Sli::Composite);
    let parts: Vec<(&str, u64)> = rule
        .parts
        .iter()
        .map(|p| (p.slo.as_str(), p.units))
        .collect();
    // Weights 1, 0.5 and 2 count in halves.
    assert_eq!(
        parts,
        [
            ("frontend/checkout-journey-1", 2),
            ("cart/checkout-journey-2", 1),
            ("payment/checkout-journey-3", 4)
        ]
    );
    assert_eq!(rule.parts[1].rule, r.rules[1]);
    let composite = journey.composite.as_ref().expect("composite");
    assert_eq!(composite.weight_unit_nano, 500_000_000);
}

#[test]
fn an_indicator_ref_and_the_default_weight() {
    let text = composite(
        "",
        "Occurrences",
        &[objective("indicatorRef: api-ok"), objective(&inline("web"))],
    );
    let c = parse(&text, "o.yaml").unwrap_or_else(|e| panic!("{e}"));
    let rule = c.reload.rules.last().unwrap();
    let parts: Vec<(&str, u64)> = rule
        .parts
        .iter()
        .map(|p| (p.slo.as_str(), p.units))
        .collect();
    assert_eq!(parts, [("api/j-1", 1), ("web/j-2", 1)]);
}

#[test]
fn refusals_name_their_path() {
    let at = "o.yaml: document 3 (SLO j): spec.";
    let cases: Vec<(String, String)> = vec![
        (
            composite(
                "indicatorRef: api-ok",
                "Occurrences",
                &[objective("indicatorRef: api-ok")],
            ),
            format!(
                "{at}indicatorRef: a composite SLO (objectives with their own indicator or indicatorRef) has no SLO-level indicator"
            ),
        ),
        (
            composite(
                "",
                "Occurrences",
                &[
                    objective("indicatorRef: api-ok"),
                    objective("displayName: x"),
                ],
            ),
            format!(
                "{at}objectives[1]: every objective of a composite SLO needs its own indicator or indicatorRef"
            ),
        ),
        (
            composite(
                "",
                "Occurrences",
                &[objective("indicatorRef: api-ok, compositeWeight: 0")],
            ),
            format!("{at}objectives[0].compositeWeight: 0 is not a weight"),
        ),
        (
            composite(
                "",
                "Occurrences",
                &[objective("indicatorRef: api-ok, compositeWeight: -2")],
            ),
            format!("{at}objectives[0].compositeWeight: -2 is not a weight"),
        ),
        (
            composite(
                "",
                "Occurrences",
                &[objective("indicatorRef: api-ok, compositeWeight: .inf")],
            ),
            format!("{at}objectives[0].compositeWeight: inf is not a weight"),
        ),
        (
            composite("", "Occurrences", &[objective("indicatorRef: nope")]),
            format!("{at}objectives[0].indicatorRef: no SLI named \"nope\""),
        ),
        (
            composite(
                "",
                "Occurrences",
                &[
                    objective("indicatorRef: api-ok"),
                    format!("{{target: 0.999, {}}}", inline("web")),
                ],
            ),
            format!(
                "{at}objectives[1].target: a composite SLO is held to one target: the first objective's is 0.99, this one's 0.999"
            ),
        ),
        (
            composite(
                "",
                "Occurrences",
                &[
                    objective("indicatorRef: api-ok, compositeWeight: 1"),
                    objective(&format!("compositeWeight: 0.0000001, {}", inline("web"))),
                ],
            ),
            format!(
                "{at}objectives: the compositeWeights' proportions need whole numbers above 1000000"
            ),
        ),
        (
            composite("", "Occurrences", &[objective(&inline("edge"))]),
            format!("{at}objectives[0]: reads service \"edge\", which is split by host"),
        ),
        (
            composite(
                "",
                "Timeslices",
                &[
                    objective("indicatorRef: api-ok, timeSliceTarget: 0.9, timeSliceWindow: 1m"),
                    objective(&format!(
                        "timeSliceTarget: 0.9, timeSliceWindow: 5m, {}",
                        inline("web")
                    )),
                ],
            ),
            format!("{at}objectives[1]: a composite SLO has one budget"),
        ),
        (
            composite(
                "",
                "Occurrences",
                &[objective(
                    "indicator: {metadata: {name: i}, spec: {ratioMetric: {good: {metricSource: {type: slipstream, spec: {service: api}}}, total: {metricSource: {type: slipstream, spec: {service: web}}}}}}",
                )],
            ),
            format!(
                "{at}objectives[0].indicator.spec.ratioMetric.total.metricSource.spec.service: reads service \"web\" but the other source of this indicator reads \"api\""
            ),
        ),
        (
            format!(
                "{PIPELINE}---\napiVersion: openslo/v1\nkind: SLO\nmetadata: {{name: j}}\nspec:\n  service: web\n  {}\n  timeWindow: [{{duration: 28d, isRolling: true}}]\n  budgetingMethod: Occurrences\n  objectives: [{{target: 0.99, compositeWeight: 2}}]\n",
                inline("web")
            ),
            format!(
                "{at}objectives[0].compositeWeight: applies only to the objectives of a composite SLO"
            ),
        ),
    ];
    for (text, want) in &cases {
        assert_problems(text, &[want]);
    }
}

#[test]
fn a_split_service_has_no_composite() {
    let text = composite("", "Occurrences", &[objective("indicatorRef: api-ok")])
        .replace("service: web\n  \n", "service: edge\n  \n");
    assert_problems(
        &text,
        &["o.yaml: document 3 (SLO j): spec.service: service \"edge\" is split by host"],
    );
}

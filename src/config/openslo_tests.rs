//! OpenSLO loading: every kind, references, the list form and path-precise errors, with the
//! helpers its sibling topic files share (`composite_tests`, `openslo_alert_tests`,
//! `openslo_indicator_tests`, `openslo_lenient_tests`, `openslo_window_tests`).

use super::*;
use crate::classify::Sli;
use crate::evaluate::{Budgeting, CalendarUnit, Factor, Ppb, Target};
use crate::time::{DAY, HOUR, MINUTE};

const EXAMPLE: &str = include_str!("../../config/openslo-example.yaml");

pub(super) const PIPELINE: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: p}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services: [{name: api, match: {host: api.example.com}}]
"#;

/// Every problem of `text` (as `o.yaml`) with its location.
pub(super) fn messages(text: &str) -> Vec<String> {
    match parse(text, "o.yaml") {
        Ok(_) => Vec::new(),
        Err(e) => e
            .problems
            .into_iter()
            .map(|p| format!("{}: {}", p.location, p.message))
            .collect(),
    }
}

/// Exactly the problems `want` (each a substring of one message, location included).
pub(super) fn assert_problems(text: &str, want: &[&str]) {
    let got = messages(text);
    for w in want {
        assert!(
            got.iter().any(|g| g.contains(w)),
            "missing {w:?} in\n{}",
            got.join("\n")
        );
    }
    assert_eq!(got.len(), want.len(), "{}", got.join("\n"));
}

/// An SLO document for service `api` with the given indicator, window and objectives.
pub(super) fn slo(indicator: &str, window: &str, method: &str, objectives: &str) -> String {
    format!(
        "---\napiVersion: openslo/v1\nkind: SLO\nmetadata: {{name: s}}\nspec:\n  service: api\n  \
         {indicator}\n  timeWindow: [{window}]\n  budgetingMethod: {method}\n  objectives: [{objectives}]\n"
    )
}

pub(super) const RATIO: &str = "indicator: {metadata: {name: i}, spec: {ratioMetric: {good: {metricSource: {type: slipstream}}, total: {metricSource: {type: slipstream}}}}}";
pub(super) const ROLLING: &str = "{duration: 28d, isRolling: true}";

#[test]
fn the_example_resolves_every_kind_and_reference() {
    let c = parse(EXAMPLE, "openslo-example.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert!(c.warnings.is_empty());
    let ids: Vec<String> = c.reload.objectives.iter().map(|o| o.id()).collect();
    assert_eq!(
        ids,
        [
            "checkout/availability",
            "checkout/latency-1",
            "checkout/latency-2",
            "search/search-minutes"
        ]
    );
    let avail = &c.reload.objectives[0];
    assert_eq!(avail.target, Target::Ratio(Ppb(999_000_000)));
    assert_eq!(
        avail.display_name.as_deref(),
        Some("99.9 % of requests succeed")
    );
    let cal = avail.calendar.as_ref().expect("calendar");
    assert_eq!(
        (cal.unit, cal.zone_name.as_str()),
        (CalendarUnit::Month, "Europe/Berlin")
    );
    assert_eq!(avail.period_us, 30 * DAY);
    assert!(
        !avail.windows.contains(&(30 * DAY)),
        "a calendar period is not a rolling window"
    );
    let fast = avail.burn_alerts.last().unwrap();
    assert_eq!(&*fast.name, "checkout-fast-burn");
    assert_eq!(
        (fast.long_us, fast.short_us, fast.hold_us, fast.inclusive),
        (HOUR, 5 * MINUTE, 2 * MINUTE, true)
    );
    assert_eq!(fast.factor, Factor::new(72, 5).unwrap());
    assert_eq!(fast.action.as_deref(), Some("page the checkout on-call"));
    assert_eq!(c.reload.rules[0].sli, Sli::Availability);
    assert!(c.reload.rules[0].bad_status.contains(429));
    let api = c.reload.rules[0].selector.as_ref().expect("match");
    assert_eq!(api.path_prefix.as_deref(), Some("/api/"));

    assert_eq!(
        c.reload.rules[1].sli,
        Sli::Latency {
            threshold_us: 300_000
        }
    );
    assert_eq!(
        c.reload.objectives[1].target,
        Target::Ratio(Ppb(990_000_000))
    );
    assert_eq!(
        c.reload.rules[2].sli,
        Sli::Latency {
            threshold_us: 1_000_000
        }
    );
    assert_eq!(
        c.reload.objectives[2].target,
        Target::Ratio(Ppb(999_000_000))
    );
    assert_eq!(c.reload.objectives[1].period_us, 28 * DAY);
    assert!(c.reload.objectives[1].calendar.is_none());

    let search = &c.reload.objectives[3];
    assert_eq!(c.reload.rules[3].service, 1);
    assert_eq!(
        c.reload.rules[3].sli,
        Sli::Latency {
            threshold_us: 500_000
        }
    );
    assert_eq!(
        search.budgeting,
        Budgeting::Timeslices {
            slice_us: MINUTE,
            target: Ppb(950_000_000)
        }
    );
    let inline = search.burn_alerts.last().unwrap();
    // alertAfter is a hold; without the short-window annotation the lookback is the window.
    assert_eq!(
        (
            &*inline.name,
            inline.inclusive,
            inline.short_us,
            inline.hold_us
        ),
        ("search-fast-burn", false, HOUR, 5 * MINUTE)
    );
}

#[test]
fn a_list_of_objects_in_one_document_loads_like_a_stream() {
    let list = format!(
        "{PIPELINE}---\n- apiVersion: openslo/v1\n  kind: Service\n  metadata: {{name: api}}\n  spec: {{}}\n\
         - apiVersion: openslo/v1\n  kind: SLI\n  metadata: {{name: ok}}\n  spec: {{ratioMetric: {{bad: {{metricSource: {{type: slipstream}}}}, total: {{metricSource: {{type: slipstream}}}}}}}}\n\
         - apiVersion: openslo/v1\n  kind: SLO\n  metadata: {{name: s}}\n  spec: {{service: api, indicatorRef: ok, timeWindow: [{ROLLING}], budgetingMethod: Occurrences, objectives: [{{targetPercent: 99.5}}]}}\n"
    );
    let c = parse(&list, "l.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.reload.objectives.len(), 1);
    assert_eq!(
        c.reload.objectives[0].target,
        Target::Ratio(Ppb(995_000_000))
    );
    // An error inside the list names the item.
    let bad = list.replace(
        "kind: SLI\n  metadata: {name: ok}\n  spec: {",
        "kind: SLI\n  metadata: {name: ok}\n  spec: {typo: 1, ",
    );
    let got = messages(&bad);
    assert!(
        got[0].starts_with("o.yaml: document 2 item 1 (SLI ok): spec.typo: unknown field `typo`"),
        "{got:?}"
    );
}

#[test]
fn rule_violations_are_reported_with_their_paths() {
    let text = [
        PIPELINE.to_string(),
        slo(
            RATIO,
            ROLLING,
            "Occurrences",
            "{target: 0.99, targetPercent: 98}",
        ),
        slo(
            RATIO,
            "{duration: 1M, isRolling: false}",
            "Occurrences",
            "{target: 0.99}",
        )
        .replace("name: s}", "name: s2}"),
        slo(RATIO, ROLLING, "Timeslices", "{target: 0.99}").replace("name: s}", "name: s3}"),
        slo(
            "indicatorRef: nothing",
            ROLLING,
            "Occurrences",
            "{target: 0.99}",
        )
        .replace("name: s}", "name: s4}"),
        slo(
            &RATIO.replace(
                "good: {metricSource: {type: slipstream}}",
                "good: {metricSource: {type: prometheus, spec: {query: up}}}",
            ),
            ROLLING,
            "Occurrences",
            "{target: 0.99}",
        )
        .replace("name: s}", "name: s5}"),
        slo(
            RATIO,
            "{duration: 1M, calendar: {startTime: \"2024-01-15 00:00:00\", timeZone: Mars/Base}}",
            "RatioTimeslices",
            "{target: 1.5, timeSliceWindow: 7m}",
        )
        .replace("name: s}", "name: s6}"),
    ]
    .concat();
    assert_problems(
        &text,
        &[
            "document 2 (SLO s): spec.objectives[0].targetPercent: target and targetPercent are mutually exclusive, and 0.99 ≠ 98 %",
            "document 3 (SLO s2): spec.timeWindow[0].calendar: required when isRolling is false",
            "document 4 (SLO s3): spec.objectives[0].timeSliceWindow: required for budgetingMethod Timeslices",
            "document 4 (SLO s3): spec.objectives[0].timeSliceTarget: required for budgetingMethod Timeslices",
            "document 5 (SLO s4): spec.indicatorRef: no SLI named \"nothing\"",
            "document 6 (SLO s5): spec.indicator.spec.ratioMetric.good.metricSource.type: metricSource type prometheus is not supported: slipstream evaluates its own logs; use type: slipstream",
            "document 7 (SLO s6): spec.timeWindow[0].calendar.timeZone: unknown time zone \"Mars/Base\"",
            "document 7 (SLO s6): spec.objectives[0].target: 1.5 is not a fraction",
            "document 7 (SLO s6): spec.objectives[0].timeSliceWindow: must divide one hour",
        ],
    );
}

#[test]
fn calendar_start_times_and_alert_references_are_checked() {
    let policy = "\n---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: pol}\nspec: {conditions: [{conditionRef: missing}], notificationTargets: []}\n";
    let text = [
        PIPELINE.to_string(),
        slo(RATIO, "{duration: 1w, isRolling: false, calendar: {startTime: \"2024-02-30 00:00:00\", timeZone: UTC}}", "Occurrences", "{target: 0.99}")
            .replace("  budgetingMethod", "  alertPolicies: [{alertPolicyRef: pol}, {alertPolicyRef: nope}]\n  budgetingMethod"),
        policy.to_string(),
    ]
    .concat();
    assert_problems(
        &text,
        &[
            "(SLO s): spec.timeWindow[0].calendar.startTime: \"2024-02-30 00:00:00\": expected a local date and time",
            "(AlertPolicy pol): spec.conditions[0].conditionRef: no AlertCondition named \"missing\"",
            "(SLO s): spec.alertPolicies[1].alertPolicyRef: no AlertPolicy named \"nope\"",
        ],
    );
}

#[test]
fn documents_no_slo_uses_are_checked_too() {
    let text = format!(
        "{PIPELINE}---\napiVersion: openslo/v1\nkind: SLI\nmetadata: {{name: unused}}\n\
         spec: {{ratioMetric: {{good: {{metricSource: {{type: prometheus, spec: {{query: up}}}}}}, total: {{metricSource: {{type: slipstream}}}}}}}}\n\
         ---\napiVersion: openslo/v1\nkind: AlertCondition\nmetadata: {{name: lonely}}\n\
         spec: {{severity: page, condition: {{kind: burnrate, op: gt, threshold: -2, lookbackWindow: 1h}}}}\n\
         ---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {{name: idle}}\n\
         spec: {{conditions: [{{conditionRef: missing}}], notificationTargets: [{{targetRef: nobody}}]}}\n"
    );
    assert_problems(
        &text,
        &[
            "o.yaml: document 2 (SLI unused): spec.ratioMetric.good.metricSource.type: metricSource type prometheus is not supported",
            "o.yaml: document 3 (AlertCondition lonely): spec.condition.threshold: must be a positive burn-rate factor",
            "o.yaml: document 4 (AlertPolicy idle): spec.conditions[0].conditionRef: no AlertCondition named \"missing\"",
            "o.yaml: document 4 (AlertPolicy idle): spec.notificationTargets[0].targetRef: no AlertNotificationTarget named \"nobody\"",
        ],
    );
}

/// Two documents shaped like the go-sdk's and Nobl9's examples: a `Service` with only
/// metadata (its `spec` is optional in the spec), and an SLO without `timeWindow` (optional
/// too), which gets the documented default, rolling 28 days.
#[test]
fn a_service_without_spec_and_an_slo_without_a_time_window_load() {
    let text = format!(
        "{PIPELINE}---\napiVersion: openslo/v1\nkind: Service\nmetadata: {{name: api, displayName: API}}\n\
         ---\napiVersion: openslo/v1\nkind: SLO\nmetadata: {{name: s}}\nspec:\n  service: api\n  \
         {RATIO}\n  budgetingMethod: Occurrences\n  objectives: [{{target: 0.999}}]\n"
    );
    let c = parse(&text, "o.yaml").unwrap_or_else(|e| panic!("{e}"));
    let o = &c.reload.objectives[0];
    assert_eq!((o.period_us, o.calendar.is_none()), (28 * DAY, true));
    assert!(o.windows.contains(&(28 * DAY)), "{:?}", o.windows);
    // A Service whose spec is there but wrong is still an error with its path.
    let bad = format!(
        "{PIPELINE}---\napiVersion: openslo/v1\nkind: Service\nmetadata: {{name: api}}\nspec: {{owner: me}}\n"
    );
    assert_problems(&bad, &["(Service api): spec.owner: unknown field `owner`"]);
}

#[test]
fn a_slash_in_a_service_or_slo_name_is_refused() {
    // `/` separates service, SLO and alert in ids, URLs and the alert history.
    let text = [
        PIPELINE.replace(
            "services: [{name: api,",
            "services: [{name: \"x/y\", match: {host: x.example.com}}, {name: api,",
        ),
        slo(RATIO, ROLLING, "Occurrences", "{target: 0.99}").replace("name: s}", "name: \"s/t\"}"),
    ]
    .concat();
    assert_problems(
        &text,
        &[
            "(Pipeline p): spec.services[0].name: must not contain '/'",
            "(SLO s/t): metadata.name: SLO name \"s/t\" must not contain '/'",
        ],
    );
}

#[test]
fn an_slo_sets_exactly_one_of_indicator_and_indicator_ref() {
    let text = [
        PIPELINE.to_string(),
        slo(
            &format!("{RATIO}\n  indicatorRef: i"),
            ROLLING,
            "Occurrences",
            "{target: 0.99}",
        ),
        slo("", ROLLING, "Occurrences", "{target: 0.99}").replace("name: s}", "name: s2}"),
    ]
    .concat();
    assert_problems(
        &text,
        &[
            "document 2 (SLO s): spec: set exactly one of indicator and indicatorRef",
            "document 3 (SLO s2): spec: set exactly one of indicator and indicatorRef",
        ],
    );
}

//! OpenSLO loading: every kind, references, the list form, calendar and timeslice fields,
//! path-precise errors and lenient-mode warnings.

use super::*;
use crate::classify::Sli;
use crate::evaluate::{Budgeting, CalendarUnit, Factor, Ppb, Target};
use crate::time::{DAY, HOUR, MINUTE};

const EXAMPLE: &str = include_str!("../../config/openslo-example.yaml");

const PIPELINE: &str = r#"
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
fn slo(indicator: &str, window: &str, method: &str, objectives: &str) -> String {
    format!(
        "---\napiVersion: openslo/v1\nkind: SLO\nmetadata: {{name: s}}\nspec:\n  service: api\n  \
         {indicator}\n  timeWindow: [{window}]\n  budgetingMethod: {method}\n  objectives: [{objectives}]\n"
    )
}

const RATIO: &str = "indicator: {metadata: {name: i}, spec: {ratioMetric: {good: {metricSource: {type: slipstream}}, total: {metricSource: {type: slipstream}}}}}";
const ROLLING: &str = "{duration: 28d, isRolling: true}";

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

#[test]
fn native_calendar_and_timeslice_fields() {
    let text = format!(
        "{PIPELINE}---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {{name: n}}\nspec:\n  service: api\n  \
         compliance: calendar\n  calendar: {{unit: quarter, time_zone: Asia/Kolkata}}\n  \
         budgeting: {{method: ratio_timeslices, slice: 5m}}\n  indicators: [{{name: availability, threshold: 99.5}}]\n"
    );
    let c = parse(&text, "n.yaml").unwrap_or_else(|e| panic!("{e}"));
    let o = &c.reload.objectives[0];
    assert_eq!(o.calendar.as_ref().unwrap().unit, CalendarUnit::Quarter);
    assert_eq!(
        o.budgeting,
        Budgeting::RatioTimeslices {
            slice_us: 5 * MINUTE
        }
    );
    // Kolkata period starts fall on :30, slices are 5 minutes: read from 1-minute buckets.
    assert_eq!(o.budget_width_us(), Some(MINUTE));
    let bad = text
        .replace("unit: quarter", "unit: fortnight")
        .replace(
            "method: ratio_timeslices, slice: 5m",
            "method: timeslices, slice: 5m",
        )
        .replace("threshold: 99.5}", "threshold: 99.5, window: 30d}");
    assert_problems(
        &bad,
        &[
            "spec.calendar.unit: unknown unit \"fortnight\"",
            "spec.budgeting.slice_target: required for timeslices",
        ],
    );
    let rolling = text.replace("compliance: calendar", "compliance: rolling");
    assert_problems(
        &rolling,
        &["spec.calendar: applies only to compliance: calendar"],
    );
}

#[test]
fn slipstream_sources_take_extra_selectors_and_bad_statuses() {
    let ind = "indicator: {metadata: {name: i}, spec: {ratioMetric: {bad: {metricSource: {type: slipstream, spec: {bad_status: [5xx, 429]}}}, total: {metricSource: {type: slipstream, spec: {match: {path_prefix: /api/, method: POST}}}}}}}";
    let c = parse(
        &format!(
            "{PIPELINE}{}",
            slo(ind, ROLLING, "Occurrences", "{target: 0.99}")
        ),
        "m.yaml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rule = &c.reload.rules[0];
    assert_eq!(rule.sli, Sli::Availability);
    let m = rule.selector.as_ref().expect("selector");
    assert_eq!(
        (m.path_prefix.as_deref(), m.method.as_deref()),
        (Some("/api/"), Some("POST"))
    );
    assert!(rule.bad_status.contains(429) && rule.bad_status.contains(503));
    assert!(!rule.bad_status.contains(404));

    let wrong = ind
        .replace(
            "bad_status: [5xx, 429]",
            "bad_status: [6xx, teapot], match: {host: x}",
        )
        .replace(
            "match: {path_prefix: /api/, method: POST}",
            "match: {path_prefix: \"\"}, bad_status: [500]",
        );
    assert_problems(
        &format!(
            "{PIPELINE}{}",
            slo(&wrong, ROLLING, "Occurrences", "{target: 0.99}")
        ),
        &[
            "spec.indicator.spec.ratioMetric.bad.metricSource.spec.match: put match on total",
            "spec.indicator.spec.ratioMetric.total.metricSource.spec.bad_status: put bad_status on good or bad",
            "spec.indicator.spec.ratioMetric.total.metricSource.spec.match.path_prefix: must not be empty",
            "spec.indicator.spec.ratioMetric.bad.metricSource.spec.bad_status[0]: expected a status code",
            "spec.indicator.spec.ratioMetric.bad.metricSource.spec.bad_status[1]: expected a status code",
        ],
    );
}

#[test]
fn services_data_sources_and_rolling_months_are_checked() {
    let text = format!(
        "{PIPELINE}---\napiVersion: openslo/v1\nkind: Service\nmetadata: {{name: web}}\nspec: {{}}\n\
         ---\napiVersion: openslo/v1\nkind: DataSource\nmetadata: {{name: prom}}\nspec: {{type: Prometheus}}\n{}{}",
        slo(
            &RATIO.replace(
                "{type: slipstream}}, total",
                "{metricSourceRef: prom}}, total"
            ),
            ROLLING,
            "Occurrences",
            "{target: 0.99}"
        ),
        slo(
            RATIO,
            "{duration: 1M, isRolling: true}",
            "Occurrences",
            "{target: 0.99}"
        )
        .replace("name: s}", "name: s2}"),
    );
    assert_problems(
        &text,
        &[
            "(Service web): metadata.name: no Pipeline service \"web\"",
            "(DataSource prom): spec.type: DataSource type Prometheus is not supported",
            "(SLO s): spec.indicator.spec.ratioMetric.good.metricSource.metricSourceRef: DataSource \"prom\" is of type Prometheus, which is not supported",
            "(SLO s2): spec.timeWindow[0].duration: \"1M\": months, quarters and years are calendar windows",
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

/// `thresholdMetric` objectives with `op: gt` and `gte` (the spec allows them; for a
/// latency they mean "good when above"): `gt 250` is good above 250 ms, `gte 250` at 250 ms
/// and above; both are latency SLOs.
#[test]
fn latency_objectives_with_gt_and_gte_are_good_when_above() {
    let latency = "indicator: {metadata: {name: l}, spec: {thresholdMetric: {metricSource: {type: slipstream, spec: {value: latency_ms}}}}}";
    let text = format!(
        "{PIPELINE}{}",
        slo(
            latency,
            ROLLING,
            "Occurrences",
            "{op: gt, value: 250, target: 0.9}, {op: gte, value: 250, target: 0.9}"
        )
    );
    let c = parse(&text, "o.yaml").unwrap_or_else(|e| panic!("{e}"));
    let slis: Vec<Sli> = c.reload.rules.iter().map(|r| r.sli).collect();
    assert_eq!(
        slis,
        [
            Sli::LatencyAbove { floor_us: 250_000 },
            Sli::LatencyAbove { floor_us: 249_999 }
        ]
    );
    assert!(
        c.reload
            .objectives
            .iter()
            .all(|o| o.kind == crate::evaluate::SloKind::Latency)
    );
    assert_problems(
        &text.replace("op: gt,", "op: eq,"),
        &["(SLO s): spec.objectives[0].op: unknown op \"eq\": expected lte, lt, gte or gt"],
    );
}

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

/// A `type: slipstream` DataSource, shaped like the spec's example (`spec.type`,
/// `spec.connectionDetails`): the service, bad statuses and `match` written once, read by
/// the `good` and `total` of a ratio SLI and by a thresholdMetric through `metricSourceRef`,
/// each field where it means something.
#[test]
fn data_sources_carry_the_shared_part_of_a_selector() {
    let source = "---\napiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: api-logs}\n\
        spec:\n  type: slipstream\n  description: the API's access logs\n  \
        connectionDetails: {service: api, bad_status: [5xx, 429], match: {path_prefix: /v1/}}\n";
    let ratio = "indicator: {metadata: {name: i}, spec: {ratioMetric: {good: {metricSource: {metricSourceRef: api-logs, spec: {latency_threshold: 300ms}}}, total: {metricSource: {metricSourceRef: api-logs, type: slipstream}}}}}";
    let threshold = "indicator: {metadata: {name: t}, spec: {thresholdMetric: {metricSource: {metricSourceRef: api-logs, spec: {value: latency_ms}}}}}";
    let text = format!(
        "{PIPELINE}{source}{}{}",
        slo(ratio, ROLLING, "Occurrences", "{target: 0.99}"),
        slo(
            threshold,
            ROLLING,
            "Occurrences",
            "{op: lte, value: 250, target: 0.95}"
        )
        .replace("name: s}", "name: fast}"),
    );
    let c = parse(&text, "d.yaml").unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<String> = c.reload.objectives.iter().map(|o| o.id()).collect();
    assert_eq!(ids, ["api/s", "api/fast"]);
    for (rule, threshold_ms) in c.reload.rules.iter().zip([300, 250]) {
        assert_eq!(
            rule.sli,
            Sli::Latency {
                threshold_us: threshold_ms * 1_000
            }
        );
        assert!(rule.bad_status.contains(429) && rule.bad_status.contains(503));
        assert!(!rule.bad_status.contains(404));
        let m = rule.selector.as_ref().expect("the DataSource's match");
        assert_eq!(m.path_prefix.as_deref(), Some("/v1/"));
    }

    // Problems: each with its document and path, an unused DataSource included.
    let broken = "---\napiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: broken}\n\
        spec: {type: slipstream, connectionDetails: {service: nope, bad_status: [teapot], latency_threshold: soon}}\n\
        ---\napiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: typo}\n\
        spec: {type: slipstream, connectionDetails: {query: up}}\n\
        ---\napiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: prom}\n\
        spec: {type: prometheus, connectionDetails: {url: http://prometheus:9090}}\n\
        ---\napiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: api-logs}\nspec: {type: slipstream}\n";
    let users = "indicator: {metadata: {name: i}, spec: {ratioMetric: {good: {metricSource: {metricSourceRef: missing}}, total: {metricSource: {metricSourceRef: broken}}}}}";
    let twice = format!(
        "{source}{}",
        slo(
            &ratio.replace(
                "{metricSourceRef: api-logs, type: slipstream}",
                "{metricSourceRef: api-logs, spec: {match: {method: GET}}}"
            ),
            ROLLING,
            "Occurrences",
            "{target: 0.99}"
        )
    );
    assert_problems(
        &format!(
            "{PIPELINE}{broken}{}{twice}",
            slo(users, ROLLING, "Occurrences", "{target: 0.99}").replace("name: s}", "name: u}")
        ),
        &[
            "(DataSource broken): spec.connectionDetails.service: unknown service \"nope\"",
            "(DataSource broken): spec.connectionDetails.bad_status[0]: expected a status code",
            "(DataSource broken): spec.connectionDetails.latency_threshold:",
            "(DataSource typo): spec.connectionDetails.query: unknown field `query`",
            "(DataSource prom): spec.type: DataSource type prometheus is not supported",
            "(DataSource api-logs): metadata.name: duplicate DataSource \"api-logs\"",
            "(SLO u): spec.indicator.spec.ratioMetric.good.metricSource.metricSourceRef: no DataSource named \"missing\"",
            "(SLO s): spec.indicator.spec.ratioMetric.total.metricSource.spec.match: also set by DataSource \"api-logs\": set it in one place",
        ],
    );
}

/// The `timeSliceWindow` values the spec shows beyond divisors of an hour: `2h`, `1d`, and
/// a bare number of minutes that makes whole hours; a slice longer than the period cannot
/// complete and is refused.
#[test]
fn time_slices_of_whole_hours_load() {
    for (window, want) in [
        ("2h", 2 * HOUR),
        ("1d", DAY),
        ("1440", DAY),
        ("30m", 30 * MINUTE),
    ] {
        let c = parse(
            &format!(
                "{PIPELINE}{}",
                slo(
                    RATIO,
                    ROLLING,
                    "Timeslices",
                    &format!("{{target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: {window}}}")
                )
            ),
            "t.yaml",
        )
        .unwrap_or_else(|e| panic!("{window}: {e}"));
        assert_eq!(
            c.reload.objectives[0].budgeting.slice_us(),
            Some(want),
            "{window}"
        );
    }
    assert_problems(
        &format!(
            "{PIPELINE}{}{}",
            slo(
                RATIO,
                "{duration: 12h, isRolling: true}",
                "RatioTimeslices",
                "{target: 0.99, timeSliceWindow: 1d}"
            ),
            slo(
                RATIO,
                ROLLING,
                "RatioTimeslices",
                "{target: 0.99, timeSliceWindow: 90m}"
            )
            .replace("name: s}", "name: s2}"),
        ),
        &[
            "(SLO s): metadata.name: its time slice (1d) is longer than its period (12h)",
            "(SLO s2): spec.objectives[0].timeSliceWindow: must divide one hour into whole seconds, or be whole hours",
        ],
    );
}

/// Calendar windows as the go-sdk, Nobl9 and the spec's template write them: any
/// `startTime`, and durations beyond `1w`/`1M`/`1Q`; a start with seconds is rounded to the
/// minute with a warning.
#[test]
fn calendar_windows_start_anywhere_and_last_any_whole_units() {
    for (duration, start, unit, count, anchor) in [
        (
            "2w",
            "2022-01-01 12:00:00",
            CalendarUnit::Week,
            2,
            "2022-01-01T12:00",
        ),
        ("1d", "2022-01-01", CalendarUnit::Day, 1, "2022-01-01T00:00"),
        (
            "1Y",
            "2020-01-21 12:30:00",
            CalendarUnit::Year,
            1,
            "2020-01-21T12:30",
        ),
        (
            "1Q",
            "2020-01-21T12:30:00",
            CalendarUnit::Quarter,
            1,
            "2020-01-21T12:30",
        ),
        (
            "7d",
            "2024-01-01 00:00:00",
            CalendarUnit::Week,
            1,
            "2024-01-01T00:00",
        ),
        (
            "6M",
            "2024-01-31 00:00",
            CalendarUnit::Month,
            6,
            "2024-01-31T00:00",
        ),
    ] {
        let window = format!(
            "{{duration: {duration}, isRolling: false, calendar: {{startTime: \"{start}\", timeZone: Europe/Berlin}}}}"
        );
        let c = parse(
            &format!(
                "{PIPELINE}{}",
                slo(RATIO, &window, "Occurrences", "{target: 0.99}")
            ),
            "c.yaml",
        )
        .unwrap_or_else(|e| panic!("{duration}: {e}"));
        assert!(c.warnings.is_empty(), "{duration}");
        let o = &c.reload.objectives[0];
        let cal = o.calendar.as_ref().expect("calendar");
        assert_eq!((cal.unit, cal.count), (unit, count), "{duration}");
        assert_eq!(cal.anchor.strftime("%Y-%m-%dT%H:%M").to_string(), anchor);
        assert_eq!(o.period_us, cal.nominal_us());
    }
    let rounded = parse(
        &format!(
            "{PIPELINE}{}",
            slo(
                RATIO,
                "{duration: 1w, isRolling: false, calendar: {startTime: \"2022-01-01 11:59:40\", timeZone: UTC}}",
                "Occurrences",
                "{target: 0.99}"
            )
        ),
        "r.yaml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cal = rounded.reload.objectives[0].calendar.as_ref().unwrap();
    assert_eq!(cal.anchor.strftime("%H:%M").to_string(), "12:00");
    assert_eq!(rounded.warnings.len(), 1);
    assert!(
        rounded.warnings[0]
            .message
            .contains("periods start at whole minutes; rounded to 2022-01-01 12:00:00"),
        "{:?}",
        rounded.warnings
    );
    assert_problems(
        &format!(
            "{PIPELINE}{}{}",
            slo(
                RATIO,
                "{duration: 12h, isRolling: false, calendar: {startTime: \"2022-01-01\", timeZone: UTC}}",
                "Occurrences",
                "{target: 0.99}"
            ),
            slo(
                RATIO,
                "{duration: 0w, isRolling: false, calendar: {startTime: \"2022-01-01\", timeZone: UTC}}",
                "Occurrences",
                "{target: 0.99}"
            )
            .replace("name: s}", "name: s2}"),
        ),
        &[
            "(SLO s): spec.timeWindow[0].duration: \"12h\": a calendar window is a whole number of days, weeks, months, quarters or years",
            "(SLO s2): spec.timeWindow[0].duration: \"0w\": a calendar window is",
        ],
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

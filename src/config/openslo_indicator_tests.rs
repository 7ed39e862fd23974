//! Indicators and data sources: slipstream sources' selectors and bad statuses, service and
//! data-source checks, latency objectives, and the shared part of a selector.

use super::openslo_tests::{PIPELINE, RATIO, ROLLING, assert_problems, slo};
use super::*;
use crate::classify::Sli;

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

//! `reliability/v1` SLOs: the exhaustion alert and the SLA beside an SLO.

use super::*;

#[test]
fn an_exhaustion_alert_reads_with_its_defaults_and_refuses_what_it_cannot_forecast() {
    let with = |extra: &str| {
        service_a(
            "",
            &format!(
                "---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {{name: s}}\nspec:\n  service: a\n  indicators: [{{name: availability, threshold: 99, window: 30d}}, {{name: throughput, threshold: 1, window: 5m, type: minimum}}]\n{extra}\n"
            ),
        )
    };
    let c = parse(&with("  exhaustion_alert: {within: 3d}"), "t.yaml")
        .unwrap_or_else(|e| panic!("{e}"));
    let a = c.reload.objectives[0].exhaustion_alert.as_ref().unwrap();
    assert_eq!(
        (&*a.name, a.severity.as_str(), a.within_us, a.rate_window_us),
        (
            "budget_exhausted_within_3d",
            "ticket",
            3 * crate::time::DAY,
            6 * crate::time::HOUR
        )
    );
    // A throughput minimum has no budget to forecast.
    assert_eq!(c.reload.objectives[1].exhaustion_alert, None);
    assert_found(
        &problems(&with("  exhaustion_alert: {within: soon, rate_window: 2h}")),
        &[
            "spec.exhaustion_alert.within: invalid duration \"soon\"",
            "spec.exhaustion_alert.rate_window: 2h is not one of 1h, 6h, 1d",
        ],
        |g, w| g.contains(w),
    );
    let slices = with("  exhaustion_alert: {within: 1d}\n  budgeting: {method: timeslices, slice: 1m, slice_target: 0.9}")
        .replace(", {name: throughput, threshold: 1, window: 5m, type: minimum}", "");
    assert_found(
        &problems(&slices),
        &["spec.exhaustion_alert: applies to occurrence budgets only"],
        |g, w| g.contains(w),
    );
}

#[test]
fn an_sla_reads_beside_its_slo_and_must_be_the_looser_objective() {
    use crate::evaluate::sla::SlaPeriod;
    let with = |sla: &str, extra: &str| {
        service_a(
            "",
            &format!(
                "---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {{name: s}}\nspec:\n  service: a\n  indicators: [{{name: availability, threshold: 99.9, window: 30d, sla: {sla}}}]\n{extra}\n"
            ),
        )
    };
    let c = parse(&with("{objective: 99.5, period: 90d}", ""), "t.yaml")
        .unwrap_or_else(|e| panic!("{e}"));
    let o = &c.reload.objectives[0];
    let sla = o.sla.as_ref().unwrap();
    assert_eq!(sla.objective, Ppb::from_percent(99.5).unwrap());
    assert_eq!(sla.period, SlaPeriod::Rolling(90 * crate::time::DAY));
    // The rolling SLA period is one more window.
    assert!(o.windows.contains(&(90 * crate::time::DAY)));
    let c = parse(
        &with(
            "{objective: 99, period: month}",
            "  compliance: calendar\n  calendar: {unit: quarter, time_zone: Europe/Berlin}",
        )
        .replace(", window: 30d", ""),
        "t.yaml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    match &c.reload.objectives[0].sla.as_ref().unwrap().period {
        SlaPeriod::Calendar(cal) => assert_eq!(
            (cal.unit.name(), cal.zone_name.as_str()),
            ("month", "Europe/Berlin")
        ),
        other => panic!("{other:?}"),
    }
    assert_found(
        &problems(&with("{objective: 99.95, period: fortnight}", "")),
        &[
            "spec.indicators[0].sla.objective: 99.95 % is stricter than the SLO's 99.9 %",
            "spec.indicators[0].sla.period: invalid duration \"fortnight\"",
        ],
        |g, w| g.contains(w),
    );
    assert_found(
        &problems(&with(
            "{objective: 99, period: 30d, time_zone: Europe/Berlin}",
            "",
        )),
        &["spec.indicators[0].sla.time_zone: only a calendar period"],
        |g, w| g.contains(w),
    );
}

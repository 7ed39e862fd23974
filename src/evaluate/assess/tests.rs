use super::*;
use crate::evaluate::{Factor, PolicyTiers, windows_for};
use crate::time::{DAY, HOUR, MINUTE};
use crate::window::latency::empty_histogram;

/// A whole hour, so every window starts exactly one window before it.
const END_US: i64 = 1_795_255_200 * SECOND;

fn objective(kind: SloKind, target: Target, period_us: i64) -> SloObjective {
    SloObjective {
        service: "api".into(),
        service_index: 0,
        slo: "slo".into(),
        kind,
        target,
        period_us,
        calendar: None,
        budgeting: Budgeting::Occurrences,
        display_name: None,
        windows: windows_for(period_us, &[]),
        burn_alerts: Vec::new(),
        budget_alerts: Vec::new(),
        exhaustion_alert: None,
        sla: None,
        tiers: PolicyTiers::default(),
        gate: Default::default(),
        catalog: Default::default(),
        adjustments: Vec::new(),
        composite: None,
        component_of: None,
    }
}

fn burn(name: &str, inclusive: bool) -> BurnAlert {
    BurnAlert {
        hold_us: 0,
        name: name.into(),
        severity: Severity::Page,
        action: None,
        long_us: HOUR,
        short_us: 5 * MINUTE,
        factor: Factor::new(2, 1).unwrap(),
        inclusive,
        min_events: 0,
    }
}

fn run(o: &SloObjective, c: Counts) -> SloReport {
    let counts = vec![c; o.windows.len()];
    let period = PeriodCounts {
        start_us: END_US - o.period_us,
        end_us: END_US,
        events: c,
        slices: Vec::new(),
        leave: None,
        sla: Counts::default(),
    };
    let text = WindowText::new(END_US, o.windows.iter().copied());
    assess(o, &counts, &period, &text, &LatencyReport::without_data())
}

#[test]
fn latency_percentiles_are_the_histograms_and_none_without_data() {
    assert_eq!(
        latency_report(&empty_histogram()),
        LatencyReport::without_data()
    );
    let mut h = empty_histogram();
    for ms in 1..=1_000 {
        h.record(ms * 1_000).unwrap();
    }
    let r = latency_report(&h);
    assert_eq!(r.count, 1_000);
    assert_eq!(&*r.window, "1h");
    for (got, q) in [(r.p50, 0.5), (r.p90, 0.9), (r.p99, 0.99), (r.p999, 0.999)] {
        let want = h.value_at_quantile(q) as f64 / 1_000.0;
        assert_eq!(got, Some(want));
        // HDR with 2 significant digits: within 1 % of the exact quantile.
        let exact = (q * 1_000.0_f64).ceil();
        assert!(
            (want - exact).abs() <= exact / 100.0,
            "{q}: {want} vs {exact}"
        );
    }
}

#[test]
fn ratio_kinds_get_a_budget_a_tier_and_burn_and_budget_alerts() {
    for kind in [SloKind::Availability, SloKind::ErrorRate, SloKind::Latency] {
        let mut o = objective(
            kind,
            Target::Ratio(Ppb::from_percent(99.0).unwrap()),
            30 * DAY,
        );
        o.burn_alerts = vec![burn("strict", false), burn("inclusive", true)];
        o.budget_alerts = vec![BudgetAlert {
            name: "half".into(),
            severity: Severity::from("warning"),
            below: Ppb::from_fraction(0.5).unwrap(),
        }];
        o.windows = windows_for(o.period_us, &o.burn_alerts);
        // 2 % bad under a 1 % allowance: a burn of exactly 2, the budget overspent.
        let r = run(
            &o,
            Counts {
                good: 980,
                total: 1_000,
            },
        );
        assert_eq!(r.kind, kind);
        let alerts: Vec<_> = r
            .alerts
            .iter()
            .map(|a| (&*a.name, a.kind, a.severity.as_str(), a.status.firing))
            .collect();
        assert_eq!(
            alerts,
            [
                ("strict", AlertKind::BurnRate, "page", false),
                ("inclusive", AlertKind::BurnRate, "page", true),
                ("half", AlertKind::Budget, "warning", true),
            ]
        );
        assert_eq!(r.policy.tier, Some(PolicyTier::Exhausted));
        assert!(r.budget.as_ref().is_some_and(|b| b.exhausted));
        assert_eq!(r.throughput, None);
        let quiet = run(
            &o,
            Counts {
                good: 1_000,
                total: 1_000,
            },
        );
        assert_eq!(quiet.policy.tier, Some(PolicyTier::Normal));
        assert!(quiet.alerts.iter().all(|a| !a.status.firing));
    }
}

#[test]
fn a_low_traffic_guard_holds_a_burn_rate_alert_below_min_events() {
    let mut o = objective(
        SloKind::Availability,
        Target::Ratio(Ppb::from_percent(99.0).unwrap()),
        30 * DAY,
    );
    // 1 error in 3 requests: a burn of 33, far above the factor of 2.
    let night = Counts { good: 2, total: 3 };
    let firing = |o: &SloObjective, c: Counts| {
        let r = run(o, c);
        (r.alerts[0].status.firing, r.alerts[0].min_events)
    };
    for (min_events, counts, want) in [
        (0, night, (true, None)),
        (4, night, (false, Some(4))),
        (3, night, (true, Some(3))),
        (4, Counts { good: 2, total: 4 }, (true, Some(4))),
    ] {
        o.burn_alerts = vec![BurnAlert {
            min_events,
            ..burn("guarded", false)
        }];
        o.windows = windows_for(o.period_us, &o.burn_alerts);
        assert_eq!(
            firing(&o, counts),
            want,
            "min_events {min_events}, {counts:?}"
        );
    }
}

#[test]
fn throughput_gets_its_rate_and_one_paging_alert() {
    // At least 1 good request per second over a day: 86 400.
    let o = objective(
        SloKind::Throughput,
        Target::MinRate {
            milli_per_second: 1_000,
        },
        DAY,
    );
    for (good, met) in [(86_400, true), (86_399, false)] {
        let r = run(&o, Counts { good, total: good });
        assert_eq!(r.kind, SloKind::Throughput);
        assert_eq!(r.alerts.len(), 1);
        let a = &r.alerts[0];
        assert_eq!(
            (&*a.name, a.kind, &a.severity, a.status.firing),
            (
                "throughput_below_minimum",
                AlertKind::Throughput,
                &Severity::Page,
                !met
            )
        );
        assert_eq!(r.throughput.as_ref().map(|t| t.met), Some(met));
        assert_eq!((r.budget.is_none(), r.policy.tier), (true, None));
        assert_eq!(r.objective, None);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// The text an evaluation shares between its reports is the text each report would
    /// format for itself: the name of any length, windows' or not, and any instant, the
    /// end, a window's start or another.
    #[test]
    fn shared_text_is_what_each_report_would_format(
        end_s in 0i64..4_000_000_000,
        windows_s in proptest::collection::vec(1i64..40_000_000, 0..8),
        other_s in 1i64..40_000_000,
        instant_s in -1_000_000i64..4_000_000_000,
    ) {
        let end = end_s * SECOND;
        let windows: Vec<i64> = windows_s.iter().map(|&w| w * SECOND).collect();
        let text = WindowText::new(end, windows.iter().copied());
        for w in windows.iter().copied().chain([other_s * SECOND]) {
            proptest::prop_assert_eq!(&*text.name(w), format_duration(w));
            let start = window_start(w, end);
            proptest::prop_assert_eq!(&*text.instant(start), format_rfc3339(start));
        }
        for us in [end, instant_s * SECOND, end - 1] {
            proptest::prop_assert_eq!(&*text.instant(us), format_rfc3339(us));
        }
    }
}

use super::*;
use crate::classify::Matcher;
use crate::classify::Outcome as SloOutcome;
use crate::classify::canary::Criteria;

const T0: i64 = 1_700_000_040 * 1_000_000; // a minute start

fn config(min_requests: u64) -> CanaryConfig {
    CanaryConfig {
        canary: Matcher::default(),
        baseline: Matcher::default(),
        window_us: 10 * MINUTE,
        retention_minutes: 60,
        criteria: Criteria {
            min_requests,
            ..Criteria::default()
        },
    }
}

/// `n` requests of `variant` spread over minutes 0..10, `errors` of them 5xx, latencies
/// from `latency_us(i)`.
fn fill(
    ring: &mut CanaryRing,
    variant: Variant,
    n: u64,
    errors: u64,
    latency_us: impl Fn(u64) -> i64,
) {
    for i in 0..n {
        let t = T0 + (i % 10) as i64 * MINUTE + (i / 10) as i64 % 59_000_000;
        let error = i < errors;
        let outcome = if error {
            SloOutcome::Bad
        } else {
            SloOutcome::Good
        };
        ring.record(t, variant, error, &[outcome], Some(latency_us(i)));
    }
}

fn compare_at(ring: &CanaryRing, min: u64) -> CanaryReport {
    let c = config(min);
    let slos = ["availability".to_string()];
    let subject = Subject {
        service: "checkout",
        config: &c,
        slos: &slos,
    };
    compare(
        subject,
        Some(ring),
        10 * MINUTE,
        T0 + 10 * MINUTE + 30_000_000,
    )
}

#[test]
fn an_error_regression_is_rolled_back() {
    let mut ring = CanaryRing::new(80, 1);
    fill(&mut ring, Variant::Canary, 5_000, 150, |_| 20_000);
    fill(&mut ring, Variant::Baseline, 20_000, 100, |_| 20_000);
    let r = compare_at(&ring, 1_000);
    assert_eq!(r.verdict, Verdict::RollBack, "{}", r.reason);
    assert_eq!(r.exit_code, 10);
    // 150/5000 = 3 % against 100/20000 = 0.5 %: +2.5 pp.
    let e = &r.checks[0];
    assert_eq!((e.name, e.outcome), ("error_rate", Outcome::Fail));
    assert_eq!(e.canary, Some(0.03));
    assert_eq!(e.baseline, Some(0.005));
    assert!(e.p_value.unwrap() < 1e-10 && e.test == Some(Test::ZTest));
    assert_eq!(r.checks[1].outcome, Outcome::Pass);
    assert_eq!((r.canary.requests, r.canary.errors), (5_000, 150));
    assert_eq!(r.canary.slis[0].good, 4_850);
    assert_eq!(r.baseline.slis[0].sli, Some(19_900.0 / 20_000.0));
    assert!(
        r.reason
            .starts_with("canary error rate 3.00 % vs baseline 0.50 %: +2.50 pp")
    );
    assert_eq!(r.start, "2023-11-14T22:14:00Z");
    assert_eq!(r.end, "2023-11-14T22:24:00Z");
}

#[test]
fn below_the_minimum_is_not_enough_data() {
    let mut ring = CanaryRing::new(80, 1);
    fill(&mut ring, Variant::Canary, 999, 999, |_| 20_000);
    fill(&mut ring, Variant::Baseline, 50_000, 0, |_| 20_000);
    let r = compare_at(&ring, 1_000);
    assert_eq!(r.verdict, Verdict::NotEnoughData);
    assert_eq!(r.exit_code, 12);
    assert!(r.checks.is_empty());
    // Without any ring at all, the same.
    let c = config(1);
    let none = compare(
        Subject {
            service: "s",
            config: &c,
            slos: &[],
        },
        None,
        MINUTE,
        T0,
    );
    assert_eq!(none.verdict, Verdict::NotEnoughData);
    assert_eq!(none.start, none.end);
}

#[test]
fn beyond_the_threshold_but_not_significant_is_healthy() {
    let mut ring = CanaryRing::new(80, 1);
    // 1 error in 100 (1 %) against 0 in 100: +1 pp, beyond 0.1 pp, but Fisher's p = 0.5.
    fill(&mut ring, Variant::Canary, 100, 1, |_| 20_000);
    fill(&mut ring, Variant::Baseline, 100, 0, |_| 20_000);
    let r = compare_at(&ring, 100);
    let e = &r.checks[0];
    assert!(e.beyond_threshold && !e.significant);
    assert_eq!(e.test, Some(Test::FisherExact));
    assert!((e.p_value.unwrap() - 0.5).abs() < 1e-12);
    assert_eq!(r.verdict, Verdict::Healthy, "{}", r.reason);
}

#[test]
fn a_latency_regression_is_rolled_back_and_a_small_one_is_not() {
    // Baseline: uniform 10..=209 ms (p95 ≈ 200 ms); canary the same plus 120 ms.
    let base = |i: u64| (10 + i % 200) as i64 * 1_000;
    let mut ring = CanaryRing::new(80, 1);
    fill(&mut ring, Variant::Canary, 4_000, 0, |i| base(i) + 120_000);
    fill(&mut ring, Variant::Baseline, 4_000, 0, base);
    let r = compare_at(&ring, 1_000);
    let l = &r.checks[1];
    assert_eq!(l.name, "latency_p95");
    assert_eq!(l.outcome, Outcome::Fail, "{l:?}");
    let (c, b) = (l.canary.unwrap(), l.baseline.unwrap());
    assert!(
        (c - 319.0).abs() < 3.5 && (b - 199.0).abs() < 2.5,
        "{c} {b}"
    );
    assert_eq!(r.verdict, Verdict::RollBack);
    // Slower by 30 ms only: within the 50 ms threshold.
    let mut ring = CanaryRing::new(80, 1);
    fill(&mut ring, Variant::Canary, 4_000, 0, |i| base(i) + 30_000);
    fill(&mut ring, Variant::Baseline, 4_000, 0, base);
    let r = compare_at(&ring, 1_000);
    assert_eq!(r.checks[1].outcome, Outcome::Pass);
    assert!(!r.checks[1].beyond_threshold);
    assert_eq!(r.verdict, Verdict::Healthy);
}

#[test]
fn without_latencies_the_latency_check_has_no_data() {
    let mut ring = CanaryRing::new(80, 1);
    for i in 0..2_000 {
        let t = T0 + (i % 10) * MINUTE;
        ring.record(t, Variant::Canary, false, &[SloOutcome::Good], None);
        ring.record(t, Variant::Baseline, false, &[SloOutcome::Good], None);
    }
    let r = compare_at(&ring, 1_000);
    assert_eq!(r.checks[1].outcome, Outcome::NoData);
    assert_eq!(r.verdict, Verdict::Healthy);
    assert!(r.reason.contains("latency_p95 not judged"), "{}", r.reason);
}

#[test]
fn windows_are_whole_minutes_within_the_retention() {
    let c = config(1);
    assert_eq!(window_of(&c, None), Ok(10 * MINUTE));
    assert_eq!(window_of(&c, Some("1h")), Ok(60 * MINUTE));
    for bad in ["90s", "2h", "soon", "0m"] {
        assert!(
            matches!(window_of(&c, Some(bad)), Err(Refusal::Bad(_))),
            "{bad}"
        );
    }
}

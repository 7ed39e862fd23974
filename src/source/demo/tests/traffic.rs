//! The generated traffic: the same seed gives the same lines, the defaults, the services'
//! weights, an exact schedule per second, and the checkout canary's regression.

use super::*;

fn line(g: &mut Generator, t: i64, format: LineFormat) -> String {
    let mut out = Vec::new();
    g.write_line(t, format, &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn same_seed_same_traffic() {
    let mut a = Generator::new(42, default_services());
    let mut b = Generator::new(42, default_services());
    let mut c = Generator::new(43, default_services());
    let mut differs = false;
    for i in 0..2_000 {
        let t = NOON + i * 5_000;
        for format in [LineFormat::Alb, LineFormat::Nginx] {
            let (la, lb) = (line(&mut a, t, format), line(&mut b, t, format));
            assert_eq!(la, lb);
            differs |= la != line(&mut c, t, format);
            assert!(!la.contains('\n'));
        }
    }
    assert!(differs);
}

#[test]
fn defaults() {
    let spec = DemoSpec::default();
    assert_eq!(
        (
            spec.rate_per_second,
            spec.history_us,
            spec.seed,
            spec.format
        ),
        (200, HOUR, 42, LineFormat::Alb)
    );
    let services = default_services();
    let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["checkout", "search", "auth", "catalog"]);
    assert_eq!(services[0].host, "checkout.example.com");
    assert!(
        services
            .iter()
            .all(|s| (200..=2_000).contains(&s.error_ppm))
    );
}

#[test]
fn service_mix_follows_weights() {
    let mut g = Generator::new(7, default_services());
    let mut counts = [0u32; 4];
    for i in 0..120_000 {
        // Minutes 0..1 of a slot never hold an incident.
        counts[g.next_request(NOON + i).service] += 1;
    }
    // Weights 3:4:2:3 of 12.
    for (count, weight) in counts.iter().zip([3, 4, 2, 3]) {
        let expected = 120_000 * weight / 12;
        assert!(count.abs_diff(expected) < expected / 20, "{counts:?}");
    }
}

#[test]
fn schedule_is_exact_per_second() {
    for rate in [1, 3, 7, 200, 1_000_000] {
        let mut s = Schedule::new(NOON, rate, 1);
        let mut last = NOON;
        for second in 1..=5 {
            let end = NOON + second * SECOND;
            let before = s.next;
            while s.next_time < end {
                assert!(s.next_time >= last, "times never go back");
                last = s.next_time;
                s.advance();
            }
            assert_eq!(s.next - before, u64::from(rate), "rate {rate}");
        }
    }
}

/// The demo's checkout canary is a regression the default canary criteria catch: over half
/// an hour at 200 requests a second without incidents, its 5xx rate exceeds the baseline's
/// by several times the default 0.1 percentage point (so the page and `slipstream canary`
/// say "roll back" once it has enough requests, except while an incident hits both).
#[test]
fn the_checkout_canary_errs_well_beyond_the_default_threshold() {
    let mut g = Generator::new(5, default_services()).without_incidents();
    let checkout = g
        .services()
        .iter()
        .position(|s| s.name == "checkout")
        .unwrap();
    // [requests, 5xx] of the canary and of the baseline.
    let (mut canary, mut baseline) = ([0u64; 2], [0u64; 2]);
    let start = epoch_us(2026, 12, 1, 12, 0, 0, 0).unwrap();
    for i in 0..30 * 60 * 200 {
        let req = g.next_request(start + i * 5_000);
        if req.service != checkout {
            continue;
        }
        let side = if req.canary {
            &mut canary
        } else {
            &mut baseline
        };
        side[0] += 1;
        side[1] += u64::from((500..600).contains(&req.status));
    }
    let rate = |s: [u64; 2]| s[1] as f64 / s[0] as f64;
    assert!(canary[0] >= 1_000, "{canary:?}");
    assert!(baseline[0] > 5 * canary[0], "a tenth goes to the canary");
    let excess_pp = (rate(canary) - rate(baseline)) * 100.0;
    assert!(excess_pp > 0.3, "{excess_pp} pp: {canary:?} {baseline:?}");
}

use proptest::prelude::*;

use super::*;

/// `D(t)` straight from its definition: the segment holding `t`, its offset, the slope.
fn d_at(t: f64, d0: f64, slope: f64, leave: &[f64], first_step: f64, step: f64) -> f64 {
    let k = if t <= first_step {
        0
    } else {
        (((t - first_step) / step).ceil() as usize).min(leave.len() - 1)
    };
    d0 + leave[k] + slope * t
}

#[test]
fn a_calendar_budget_runs_out_on_its_straight_line() {
    // 10 bad of 2,000 at 99 %: D0 = 10 − 20 = −10; 2 bad and 100 events an hour: +1 an hour.
    let slope = (2.0 - 0.01 * 100.0) / HOUR as f64;
    let t = first_crossing(-10.0, slope, &[0.0], 0.0, 1.0, 30.0 * DAY as f64).unwrap();
    assert!((t / HOUR as f64 - 10.0).abs() < 1e-9, "{t}");
    // Not before the period ends: none.
    assert_eq!(
        first_crossing(-10.0, slope, &[0.0], 0.0, 1.0, 9.0 * HOUR as f64),
        None
    );
    // Spent already: now. Not burning: never.
    assert_eq!(first_crossing(0.0, -1.0, &[0.0], 0.0, 1.0, 1e9), Some(0.0));
    assert_eq!(first_crossing(-1.0, 0.0, &[0.0], 0.0, 1.0, 1e12), None);
}

#[test]
fn old_bad_events_leaving_a_rolling_window_hold_its_budget_up() {
    // D0 = −1 with a slope of +1 an hour would run out in an hour, but 5 bad events (minus
    // their share of the allowance, 0.05) leave with the first step, 30 minutes from now: the
    // crossing moves to 5.95 hours later.
    let hour = HOUR as f64;
    let leave = [0.0, -4.95, -4.95];
    let t = first_crossing(-1.0, 1.0 / hour, &leave, 0.5 * hour, hour, 24.0 * hour).unwrap();
    assert!((t / hour - 5.95).abs() < 1e-9, "{}", t / hour);
    // Good events leaving instead (allowance leaves with them): sooner, at the step itself.
    let leave = [0.0, 2.0, 2.0];
    let t = first_crossing(-1.0, 0.1 / hour, &leave, 0.5 * hour, hour, 24.0 * hour).unwrap();
    assert!((t / hour - 0.5).abs() < 1e-9, "{}", t / hour);
}

proptest! {
    /// The crossing found is where `D` first reaches 0: `D ≥ 0` there (or just after, at a
    /// step), and below 0 at every
    /// point of a fine grid before it (and everywhere up to the horizon when none is found).
    #[test]
    fn the_crossing_is_the_first_point_where_d_reaches_zero(
        d0 in -100.0f64..-0.001,
        slope in -2.0f64..2.0,
        steps in prop::collection::vec(-20.0f64..20.0, 0..12),
        first_step in 0.0f64..10.0,
        step in 0.5f64..10.0,
        horizon in 1.0f64..150.0,
    ) {
        let mut leave = vec![0.0];
        for s in &steps {
            let last = *leave.last().unwrap();
            leave.push(last + s);
        }
        let found = first_crossing(d0, slope, &leave, first_step, step, horizon);
        let d = |t: f64| d_at(t, d0, slope, &leave, first_step, step);
        let grid = (0..=30_000).map(|i| horizon * i as f64 / 30_000.0);
        match found {
            Some(t) => {
                prop_assert!(t <= horizon + 1e-9);
                // A bucket leaves right after its step: at a step, `D` may reach 0 just after.
                prop_assert!(d(t).max(d(t + 1e-7)) >= -1e-6, "D({t}) = {}", d(t));
                for g in grid.take_while(|&g| g < t - 1e-6) {
                    prop_assert!(d(g) < 1e-9, "D({g}) = {} before {t}", d(g));
                }
            }
            None => {
                for g in grid {
                    prop_assert!(d(g) < 1e-9, "D({g}) = {} but none found", d(g));
                }
            }
        }
    }
}

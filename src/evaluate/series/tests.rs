//! Series points against direct counts of the generated events, computed here without the
//! ring code: each step's `[t − step, t)`, the burn-down over `[P0, t)` with `P0` written out
//! from the period's rules, and the requests that must be refused.

use std::sync::Arc;

use super::*;
use crate::app::Pipeline;
use crate::clock::ManualClock;
use crate::decode::Event;
use crate::source::PartitionId;
use crate::time::{HOUR, MINUTE, SECOND};
use crate::window::lock;

/// 2026-11-20T12:00:00Z plus an odd 17 s, so the window end is not step-aligned.
const END: i64 = 1_795_176_000 * SECOND + 17 * SECOND;

fn pipeline(indicator: &str, extra: &str) -> Arc<Pipeline> {
    let yaml = format!(
        r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {{name: series}}
spec:
  source: {{stdin: {{}}}}
  decode: {{format: alb}}
  services: [{{name: api, match: {{host: api.example.com}}}}]
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {{name: api}}
spec:
  service: api
  indicators: [{indicator}]
{extra}
"#
    );
    let config = crate::config::parse(&yaml, "test.yaml").unwrap_or_else(|e| panic!("{e}"));
    Pipeline::new(&config, Arc::new(ManualClock::new(END)))
}

/// Random `(time, good)` events over `[from, to)`, some minutes left empty.
fn events(from: i64, to: i64, n: usize, seed: u64) -> Vec<(i64, bool)> {
    let mut x = seed;
    let mut next = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        x >> 11
    };
    let mut out = Vec::new();
    while out.len() < n {
        let t = from + (next() % (to - from) as u64) as i64;
        // Every seventh minute is quiet; every eleventh is an incident.
        let minute = t.div_euclid(MINUTE);
        if minute % 7 == 0 {
            continue;
        }
        let bad_one_in = if minute % 11 == 0 { 3 } else { 60 };
        out.push((t, next() % bad_one_in != 0));
    }
    out
}

/// Applies the events to two shards, alternately.
fn feed(p: &Pipeline, evs: &[(i64, bool)]) {
    let g = p.generation();
    for (i, &(t, good)) in evs.iter().enumerate() {
        let part = (i % 2) as i32;
        let shard = g
            .store
            .shard(PartitionId::new(0, part), &format!("p{part}"));
        let event = Event {
            time_us: t,
            status: if good { 200 } else { 503 },
            latency_us: Some(1_000),
            method: b"GET",
            host: b"api.example.com",
            path: b"/",
            backend: b"",
            long_lived: false,
            request_id: b"",
            client: &[],
        };
        lock(&shard).apply_event(
            &mut *g.store.counters(),
            &event,
            &g.classifier,
            i64::MAX,
            g.store.plan(),
        );
    }
}

fn count(evs: &[(i64, bool)], from: i64, to: i64) -> Counts {
    let mut c = Counts::default();
    for &(_, good) in evs.iter().filter(|(t, _)| (from..to).contains(t)) {
        c.total += 1;
        c.good += u64::from(good);
    }
    c
}

fn get(p: &Pipeline, window: Option<i64>, step: Option<i64>) -> Result<Series, SeriesError> {
    let g = p.generation();
    let plan = g.store.plan();
    let s = shape(
        &g.objectives[0],
        &plan.layouts[0],
        &plan.window,
        window,
        step,
    )?;
    Ok(series(&g.objectives[0], 0, &g.store, END, s))
}

fn time(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap().as_microsecond()
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-9,
        (None, None) => true,
        _ => false,
    }
}

/// Every point of every kept (window, step) equals a direct count, and the burn-down equals
/// the budget over `[P0, t)` with `P0 = ceil(end − 1d, 10m)` (a 1 d window's tier).
#[test]
fn points_match_a_direct_count() {
    let p = pipeline("{name: availability, threshold: 99, window: 1d}", "");
    // Two days of history (half before P0) and a few events past the window end.
    let evs = events(END - 2 * DAY, END + 20 * SECOND, 60_000, 3);
    feed(&p, &evs);
    let p0 = ceil_to(END - DAY, 10 * MINUTE);
    let cases = [
        (5 * MINUTE, SECOND),
        (30 * MINUTE, 10 * SECOND),
        (30 * MINUTE, 30 * SECOND),
        (6 * HOUR, MINUTE),
        (6 * HOUR, 5 * MINUTE),
        (DAY, 10 * MINUTE),
        (DAY, HOUR),
        (DAY, 7 * HOUR),
    ];
    for (window, step) in cases {
        let s = get(&p, Some(window), Some(step)).unwrap();
        let first = (END - window + step - 1).div_euclid(step) * step;
        let last = END.div_euclid(step) * step;
        assert_eq!(time(&s.start), first, "{window} {step}");
        assert_eq!(time(&s.end), last);
        assert_eq!(s.points.len() as i64, (last - first) / step);
        assert_eq!(s.budget_start.as_deref().map(time), Some(p0));
        for pt in &s.points {
            let t = time(&pt.time);
            let c = count(&evs, t - step, t);
            assert_eq!(
                (pt.good, pt.total),
                (c.good, c.total),
                "{window} {step} {}",
                pt.time
            );
            let sli = (c.total > 0).then(|| c.good as f64 / c.total as f64);
            assert!(close(pt.sli, sli));
            let burn = sli.map(|s| (1.0 - s) / 0.01);
            assert!(close(pt.burn_rate, burn), "{:?} {:?}", pt.burn_rate, burn);
            let budget = (t >= p0).then(|| {
                let b = count(&evs, p0, t);
                if b.total == 0 {
                    1.0
                } else {
                    1.0 - b.bad() as f64 / (0.01 * b.total as f64)
                }
            });
            assert!(
                close(pt.budget_remaining_ratio, budget),
                "{} {:?} {budget:?}",
                pt.time,
                pt.budget_remaining_ratio
            );
        }
    }
    // P0 is the start of the budget interval the report shows now.
    let b = p.evaluate().report.slos[0].budget.clone().unwrap();
    assert_eq!(time(&b.start), p0);
}

/// Timeslice budgets burn down slice by slice: complete 1 min slices of `[P0, t)` with data,
/// good when at least 95 % good.
#[test]
fn timeslice_burn_down_judges_complete_slices() {
    let p = pipeline(
        "{name: availability, threshold: 99, window: 1d}",
        "  budgeting: {method: timeslices, slice: 1m, slice_target: 0.95}",
    );
    let evs = events(END - DAY - HOUR, END, 30_000, 5);
    feed(&p, &evs);
    let p0 = ceil_to(END - DAY, MINUTE);
    let s = get(&p, Some(6 * HOUR), Some(10 * MINUTE)).unwrap();
    assert!(!s.points.is_empty());
    // Per-minute counts, straight from the events.
    let mut minutes = std::collections::BTreeMap::<i64, Counts>::new();
    for &(t, good) in &evs {
        let c = minutes.entry(t.div_euclid(MINUTE) * MINUTE).or_default();
        c.total += 1;
        c.good += u64::from(good);
    }
    for pt in &s.points {
        let t = time(&pt.time);
        let (mut with_data, mut good) = (0u64, 0u64);
        for (_, c) in minutes.range(p0..t - MINUTE + 1) {
            with_data += 1;
            good += u64::from(c.good * 100 >= 95 * c.total);
        }
        let want = if with_data == 0 {
            1.0
        } else {
            1.0 - (with_data - good) as f64 / (0.01 * with_data as f64)
        };
        assert!(close(pt.budget_remaining_ratio, Some(want)), "{}", pt.time);
    }
    // The 1 min tier is kept over the whole period for the slices: a day at 1 min is served,
    // two days of a week-long period are too many points.
    assert_eq!(get(&p, Some(DAY), Some(MINUTE)).unwrap().bucket, "1m");
    let week = pipeline(
        "{name: availability, threshold: 99, window: 7d}",
        "  budgeting: {method: timeslices, slice: 1m, slice_target: 0.95}",
    );
    assert!(matches!(
        get(&week, Some(2 * DAY), Some(MINUTE)),
        Err(SeriesError::TooManyPoints { points: 2880, .. })
    ));
    assert_eq!(
        get(&week, Some(2 * DAY), Some(2 * MINUTE))
            .unwrap()
            .points
            .len(),
        1439
    );
}

#[test]
fn no_traffic_gives_nulls_and_an_untouched_budget() {
    let p = pipeline("{name: availability, threshold: 99.9, window: 30d}", "");
    let s = get(&p, Some(HOUR), Some(MINUTE)).unwrap();
    assert_eq!(s.points.len(), 59, "the partial last minute is not a point");
    for pt in &s.points {
        assert_eq!(
            (pt.good, pt.total, pt.sli, pt.burn_rate),
            (0, 0, None, None)
        );
        assert_eq!(pt.budget_remaining_ratio, Some(1.0));
    }
    let json = serde_json::to_string(&s).unwrap();
    assert!(!json.contains("NaN") && json.contains("\"sli\":null"));
}

#[test]
fn defaults_pick_a_kept_width_and_bounded_points() {
    let p = pipeline("{name: availability, threshold: 99.9, window: 30d}", "");
    let s = get(&p, None, None).unwrap();
    assert_eq!((s.window.as_str(), s.step.as_str()), ("1d", "10m"));
    let s = get(&p, Some(30 * DAY), None).unwrap();
    assert_eq!((s.step.as_str(), s.bucket.as_str()), ("1h", "1h"));
    assert!(s.points.len() <= DEFAULT_POINTS as usize);
    let s = get(&p, Some(6 * HOUR), None).unwrap();
    assert_eq!(s.step, "1m");
    // A step of 2 h is read from the 1 h tier; 90 s from the 10 s tier.
    assert_eq!(get(&p, Some(DAY), Some(2 * HOUR)).unwrap().bucket, "1h");
    assert_eq!(
        get(&p, Some(30 * MINUTE), Some(90 * SECOND))
            .unwrap()
            .bucket,
        "10s"
    );
}

#[test]
fn bad_requests_are_refused() {
    let p = pipeline("{name: availability, threshold: 99.9, window: 7d}", "");
    assert!(matches!(
        get(&p, Some(8 * DAY), None),
        Err(SeriesError::WindowTooLong { .. })
    ));
    assert!(matches!(
        get(&p, Some(HOUR), Some(2 * HOUR)),
        Err(SeriesError::StepTooLong { .. })
    ));
    // 1 s and 10 s buckets are kept for minutes, not for a week.
    let e = get(&p, Some(7 * DAY), Some(90 * SECOND)).unwrap_err();
    assert!(matches!(e, SeriesError::StepUnavailable { .. }), "{e}");
    assert!(e.to_string().contains("1h"), "{e}");
    // 1 500 ms divides no tier width.
    assert!(matches!(
        get(&p, Some(HOUR), Some(1_500_000)),
        Err(SeriesError::StepUnavailable { .. })
    ));
    // 10 s buckets are kept for half an hour or so, not six hours.
    assert!(matches!(
        get(&p, Some(6 * HOUR), Some(10 * SECOND)),
        Err(SeriesError::StepUnavailable { .. })
    ));
}

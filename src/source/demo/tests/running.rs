//! The demo source on its thread: a backfill then live lines in simulated time, the same
//! lines every run, a stop within the backfill, and a long backfill at its own rate with
//! only the scripted incidents and their annotations.

use super::*;
use crate::clock::ManualClock;
use crate::source::file::tests::{Recorder, Running};
use crate::time::format_rfc3339;

const P0: PartitionId = PartitionId::new(0, 0);

fn alb_time(line: &[u8]) -> i64 {
    let line = std::str::from_utf8(line).unwrap();
    parse_iso(fields(line)[1])
}

#[test]
fn backfill_then_live_in_simulated_time() {
    let clock = ManualClock::new(NOON);
    let spec = DemoSpec {
        rate_per_second: 100,
        history_us: 10 * MINUTE,
        seed: 9,
        format: LineFormat::Alb,
        ..DemoSpec::default()
    };
    let rec = Recorder::default();
    let running = Running::spawn(
        Box::new(DemoSource::new(spec, Arc::new(clock.clone()))),
        &rec,
    );
    rec.wait_for("backfill", |r| r.caught_up == 1);
    {
        let r = rec.get();
        assert_eq!(r.assigned, vec![(P0, "demo".to_string())]);
        let lines = &r.lines[&P0];
        assert_eq!(lines.len(), 60_000);
        assert_eq!(*r.offsets[&P0].last().unwrap(), 60_000);
        assert!(r.batch_sizes[&P0].iter().all(|&n| n <= BATCH_LINES));
        let mut per_minute = [0u32; 10];
        let mut last = i64::MIN;
        for l in lines {
            let t = alb_time(l);
            assert!(
                (NOON - 10 * MINUTE..NOON).contains(&t),
                "{}",
                format_rfc3339(t)
            );
            assert!(t >= last);
            last = t;
            per_minute[((t - (NOON - 10 * MINUTE)) / MINUTE) as usize] += 1;
        }
        assert_eq!(per_minute, [6_000; 10]);
    }

    // Live: ten more seconds of event time, in uneven steps.
    for step in [3_300_000, 1, 4_699_999, 2_000_000] {
        clock.advance(step);
    }
    rec.wait_for("live lines", |r| r.lines[&P0].len() >= 61_000);
    // The clock has not moved since: nothing more may come.
    std::thread::sleep(3 * TICK);
    running.stop().unwrap();
    let r = rec.get();
    assert_eq!(r.lines[&P0].len(), 61_000);
    assert_eq!(*r.offsets[&P0].last().unwrap(), 61_000);
    assert!(
        r.lines[&P0][60_000..]
            .iter()
            .all(|l| (NOON..NOON + 10 * SECOND).contains(&alb_time(l)))
    );
    assert_eq!(r.caught_up, 1);
}

#[test]
fn demo_source_is_deterministic() {
    let run = || {
        let spec = DemoSpec {
            rate_per_second: 50,
            history_us: MINUTE,
            seed: 5,
            format: LineFormat::Nginx,
            ..DemoSpec::default()
        };
        let rec = Recorder::default();
        let running = Running::spawn(
            Box::new(DemoSource::new(spec, Arc::new(ManualClock::new(NOON)))),
            &rec,
        );
        rec.wait_for("backfill", |r| r.caught_up == 1);
        running.stop().unwrap();
        rec.get().lines[&P0].clone()
    };
    let a = run();
    assert_eq!(a.len(), 3_000);
    assert_eq!(a, run());
}

#[test]
fn stop_interrupts_the_backfill() {
    let spec = DemoSpec {
        rate_per_second: 1_000_000,
        history_us: 1_000 * HOUR,
        ..DemoSpec::default()
    };
    let rec = Recorder::default();
    let running = Running::spawn(
        Box::new(DemoSource::new(spec, Arc::new(ManualClock::new(NOON)))),
        &rec,
    );
    rec.wait_for("some lines", |r| !r.lines.is_empty());
    running.stop().unwrap();
    assert_eq!(rec.get().caught_up, 0);
}

#[test]
fn a_backfill_comes_first_at_its_own_rate_with_only_the_scripted_incidents() {
    let clock = ManualClock::new(NOON);
    let spec = DemoSpec {
        rate_per_second: 100,
        history_us: 10 * MINUTE,
        backfill_us: 4 * crate::time::DAY,
        backfill_rate_per_second: 2,
        seed: 9,
        format: LineFormat::Alb,
    };
    let rec = Recorder::default();
    let running = Running::spawn(
        Box::new(DemoSource::new(spec.clone(), Arc::new(clock.clone()))),
        &rec,
    );
    rec.wait_for("backfill", |r| r.caught_up == 1);
    running.stop().unwrap();
    let r = rec.get();
    let live_from = NOON - 10 * MINUTE;
    let from = live_from - 4 * crate::time::DAY;
    let (mut backfill, mut live, mut last) = (0u64, 0u64, i64::MIN);
    for l in &r.lines[&P0] {
        let t = alb_time(l);
        assert!((from..NOON).contains(&t), "{}", format_rfc3339(t));
        assert!(t >= last);
        last = t;
        if t < live_from {
            backfill += 1
        } else {
            live += 1
        }
    }
    // Two a second for four days, then 100 a second for ten minutes; offsets run on.
    assert_eq!((backfill, live), (2 * 4 * 86_400, 60_000));
    assert_eq!(*r.offsets[&P0].last().unwrap(), backfill + live);
    // Before the live part only the script's incidents happen: search's, 3 days back.
    let g = Generator::new(9, default_services()).scripted_before(live_from);
    let seen = incidents(&g, from, live_from);
    let search = g
        .services()
        .iter()
        .position(|s| s.name == "search")
        .unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        (seen[0].service, seen[0].kind),
        (search, IncidentKind::Latency)
    );
    assert_eq!(seen[0].end_us - seen[0].start_us, HOUR);
    // The live part has the periodic ones.
    assert!(!incidents(&g, live_from, live_from + 2 * HOUR).is_empty());
    // Its annotations: the deploys and the incident within the four days, nothing older.
    let notes = annotations(&spec, NOON);
    let texts: Vec<&str> = notes.iter().map(|a| a.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "deploy search v2.8.1",
            "search: slow queries after the index rebuild"
        ]
    );
    assert_eq!(notes[1].time, format_rfc3339(seen[0].start_us));
    assert_eq!(
        notes[1].end.as_deref(),
        Some(format_rfc3339(seen[0].end_us).as_str())
    );
    assert!(
        annotations(
            &DemoSpec {
                backfill_us: 0,
                ..spec
            },
            NOON
        )
        .is_empty()
    );
}

//! Tests of the demo generator and source.

use std::collections::BTreeSet;

use super::*;
use crate::clock::ManualClock;
use crate::source::file::tests::{Recorder, Running};
use crate::time::{epoch_us, format_rfc3339, parse_seconds_us};

/// 2026-11-20T12:00:00Z.
const NOON: i64 = 1_795_176_000 * SECOND;
const P0: PartitionId = PartitionId::new(0, 0);

/// Space-separated fields, a quoted field counting as one (quotes kept).
fn fields(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                out.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&line[start..]);
    out
}

/// Parses ALB's `2026-11-21T10:00:00.123456Z`.
fn parse_iso(s: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap();
    let t = epoch_us(
        s[..4].parse().unwrap(),
        n(5..7),
        n(8..10),
        n(11..13),
        n(14..16),
        n(17..19),
        n(20..26),
    );
    assert_eq!(&s[26..], "Z", "{s}");
    t.unwrap()
}

fn alb_time(line: &[u8]) -> i64 {
    let line = std::str::from_utf8(line).unwrap();
    parse_iso(fields(line)[1])
}

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

/// Every incident met between `from` and `to`, probing each minute.
fn incidents(g: &Generator, from: i64, to: i64) -> Vec<Incident> {
    let mut seen: Vec<Incident> = Vec::new();
    for t in (from..to).step_by(MINUTE as usize) {
        if let Some(i) = g.incident_at(t).filter(|i| seen.last() != Some(i)) {
            seen.push(i);
        }
    }
    seen
}

#[test]
fn incidents_rotate_and_alternate() {
    let g = Generator::new(42, default_services());
    let found = incidents(&g, NOON, NOON + 8 * INCIDENT_EVERY);
    assert_eq!(found.len(), 8);
    let mut pairs = BTreeSet::new();
    for (k, i) in found.iter().enumerate() {
        assert_eq!(i.end_us - i.start_us, INCIDENT_LENGTH);
        let slot_start = NOON + k as i64 * INCIDENT_EVERY;
        assert!(i.start_us >= slot_start && i.end_us <= slot_start + INCIDENT_EVERY);
        assert_eq!(g.incident_at(i.start_us), Some(*i));
        assert_eq!(g.incident_at(i.end_us), None);
        assert_eq!(g.incident_at(i.start_us - 1), None);
        if k > 0 {
            assert_ne!(i.kind, found[k - 1].kind);
            assert_ne!(i.service, found[k - 1].service);
        }
        pairs.insert((i.service, i.kind == IncidentKind::Errors));
    }
    // Every service has had both kinds.
    assert_eq!(pairs.len(), 8);
}

#[derive(Debug, Default)]
struct Tally {
    requests: u32,
    errors: u32,
    timeouts: u32,
    latencies: Vec<i64>,
}

impl Tally {
    fn error_ratio(&self) -> f64 {
        f64::from(self.errors) / f64::from(self.requests)
    }

    fn median(&mut self) -> i64 {
        self.latencies.sort_unstable();
        self.latencies[self.latencies.len() / 2]
    }
}

/// Per-service tallies of 40 000 requests spread over `[from, from + INCIDENT_LENGTH)`.
fn tally(g: &mut Generator, from: i64) -> Vec<Tally> {
    let mut t: Vec<Tally> = (0..4).map(|_| Tally::default()).collect();
    for k in 0..40_000 {
        let r = g.next_request(from + k * (INCIDENT_LENGTH / 40_000));
        let s = &mut t[r.service];
        s.requests += 1;
        s.errors += u32::from(r.status >= 500);
        s.timeouts += u32::from(r.status == 504);
        s.latencies.extend(r.latency_us);
    }
    t
}

#[test]
fn incidents_hurt_the_right_service_at_the_right_time() {
    let mut g = Generator::new(42, default_services());
    let found = incidents(&g, NOON, NOON + 2 * INCIDENT_EVERY);
    let errors = found
        .iter()
        .find(|i| i.kind == IncidentKind::Errors)
        .unwrap();
    let latency = found
        .iter()
        .find(|i| i.kind == IncidentKind::Latency)
        .unwrap();

    let (inside, outside) = (
        tally(&mut g, errors.start_us),
        tally(&mut g, errors.start_us - INCIDENT_LENGTH),
    );
    for s in 0..4 {
        assert!(outside[s].error_ratio() < 0.01, "service {s} outside");
        if s == errors.service {
            assert!(inside[s].error_ratio() > 0.04, "service {s} inside");
        } else {
            assert!(inside[s].error_ratio() < 0.01, "service {s} inside");
        }
    }

    let (mut inside, mut outside) = (
        tally(&mut g, latency.start_us),
        tally(&mut g, latency.start_us - INCIDENT_LENGTH),
    );
    for s in 0..4 {
        let (a, b) = (inside[s].median(), outside[s].median());
        if s == latency.service {
            assert!(a >= 4 * b, "service {s}: {a} vs {b}");
            assert!(inside[s].timeouts > 10, "{}", inside[s].timeouts);
        } else {
            assert!(a < 2 * b, "service {s}: {a} vs {b}");
            assert!(inside[s].timeouts < 10);
        }
        assert!(outside[s].timeouts < 10);
    }
}

#[test]
fn alb_lines_have_every_field_and_exact_timings() {
    let mut g = Generator::new(3, default_services());
    let errors = incidents(&g, NOON, NOON + 2 * INCIDENT_EVERY)
        .into_iter()
        .find(|i| i.kind == IncidentKind::Errors)
        .unwrap();
    let mut statuses = BTreeSet::new();
    for k in 0..200_000 {
        // Half inside the error incident, to meet plenty of 502s and 504s.
        let t = if k % 2 == 0 {
            NOON + k * 997
        } else {
            errors.start_us + k * 1_000
        };
        let req = g.next_request(t);
        let mut out = Vec::new();
        g.render(&req, t, LineFormat::Alb, &mut out);
        let text = String::from_utf8(out).unwrap();
        let f = fields(&text);
        assert_eq!(f.len(), 30, "{text}");
        assert!(f[0] == "https" || f[0] == "h2");
        assert_eq!(parse_iso(f[1]), t);
        assert_eq!(f[2], "app/demo-alb/50dc6c495c0c9188");
        assert_eq!(f[8], req.status.to_string());
        let host = &g.services()[req.service].host;
        assert!(
            f[12].starts_with(&format!("\"{} https://{host}:443{}", req.method, req.path)),
            "{text}"
        );
        let group = match req.canary {
            true => format!("{}-canary", g.services()[req.service].name),
            false => g.services()[req.service].name.clone(),
        };
        assert!(f[16].contains(&format!(":targetgroup/{group}/")), "{text}");
        assert_eq!(f[18], format!("\"{host}\""));
        assert!(f[17].starts_with("\"Root=1-") && f[29].starts_with("TID_"));
        let request = parse_seconds_us(f[5].as_bytes()).expect("request_processing_time >= 0");
        assert_eq!(request, req.request_processing_us);
        match req.status {
            502 | 504 => {
                assert_eq!((f[6], f[7], f[9]), ("-1", "-1", "-"), "{text}");
                assert_eq!(req.latency_us, None);
            }
            _ => {
                let sum = request
                    + parse_seconds_us(f[6].as_bytes()).unwrap()
                    + parse_seconds_us(f[7].as_bytes()).unwrap();
                assert_eq!(Some(sum), req.latency_us, "{text}");
                assert_eq!(sum % 1000, 0);
            }
        }
        assert_eq!(parse_iso(f[21]), t - req.elapsed_us);
        statuses.insert(req.status);
    }
    for s in [200, 201, 204, 304, 404, 429, 460, 500, 502, 503, 504] {
        assert!(statuses.contains(&s), "no {s} in {statuses:?}");
    }
}

#[test]
fn nginx_lines_are_combined_plus_timings() {
    let mut g = Generator::new(3, default_services());
    let t = 1_795_773_600 * SECOND + 123_456; // 2026-11-27T10:00:00.123456Z
    for k in 0..20_000 {
        let req = g.next_request(t);
        let mut out = Vec::new();
        g.render(&req, t, LineFormat::Nginx, &mut out);
        let text = String::from_utf8(out).unwrap();
        let f = fields(&text);
        assert_eq!(f.len(), 12, "{text}");
        assert_eq!((f[1], f[2]), ("-", "-"));
        assert_eq!(
            format!("{} {}", f[3], f[4]),
            "[27/Nov/2026:10:00:00 +0000]",
            "{k}"
        );
        let q = if req.query.is_empty() {
            String::new()
        } else {
            format!("?{}", req.query)
        };
        assert!(f[5].starts_with(&format!("\"{} {}{q} HTTP/", req.method, req.path)));
        let status: u16 = f[6].parse().unwrap();
        assert_eq!(status, if req.status == 460 { 499 } else { req.status });
        assert_eq!(parse_seconds_us(f[10].as_bytes()), Some(req.elapsed_us));
        if matches!(req.status, 502 | 504) {
            assert_eq!(f[11], "-");
        } else {
            assert_eq!(parse_seconds_us(f[11].as_bytes()), req.target_processing_us);
        }
    }
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

//! Windows declared with the configuration (ahead) and by a reload (after the fact) leave out
//! exactly what they say, through a restart; and what the configuration refuses.

use serde_json::Value;

// `super::config` is both the parent's `config()` and the `slipstream::config` it imports.
use super::{
    Judge, ahead, config, events, late_old, late_recent, lines, named, now, open, ranges, within,
};
use crate::helpers::{Rng, feed, get_json, parse_time};
use slipstream::time::{HOUR, MINUTE, SECOND, epoch_us, format_rfc3339};

#[tokio::test]
async fn windows_ahead_and_after_the_fact_leave_out_exactly_what_they_say() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(&config(dir.path(), false));
    // Forty hours of traffic, shuffled, up to now.
    let mut before = events(now() - 40 * HOUR, now(), 30_000, 7);
    before.push((now(), false));
    let mut shuffled = lines(&before);
    let mut rng = Rng(3);
    for i in (1..shuffled.len()).rev() {
        shuffled.swap(i, rng.below(i as u64 + 1) as usize);
    }
    feed(&p, 0, &shuffled, 1000);
    // The two late ones arrive with a reload.
    let summary = p
        .reload(config::parse(&config(dir.path(), true), "adjust.yaml"))
        .unwrap();
    assert_eq!(summary.changes.kept, vec!["api/availability".to_string()]);
    let router = slipstream::serve::router(p.clone());
    let (status, answer) = get_json(&router, "/v1/adjustments").await;
    assert_eq!(status, 200, "{answer}");
    let slo = |name: &str| named(&answer, name)["slos"][0].clone();

    // Declared ahead: nothing was counted, so no declaration time, nothing applied late.
    assert!(slo("ahead")["declared_at"].is_null(), "{answer}");
    assert_eq!(slo("ahead")["applied_to_counted"], serde_json::json!([]));
    // Declared when the newest second counted ended at now + 1 s.
    let declared = format_rfc3339(now() + SECOND);
    for name in ["late-old", "late-recent"] {
        assert_eq!(slo(name)["declared_at"], declared.as_str(), "{answer}");
    }
    // Three minutes back the 1 s buckets are still kept: applied to the second.
    let recent_applied = ranges(&slo("late-recent")["applied_to_counted"]);
    assert_eq!(recent_applied, vec![late_recent()]);
    // Twenty hours back only coarser buckets are: the buckets of one width wholly inside.
    let old_applied = ranges(&slo("late-old")["applied_to_counted"]);
    assert_eq!(old_applied.len(), 1, "{answer}");
    let (a, b) = old_applied[0];
    let (s, e) = late_old();
    let width = [10 * SECOND, MINUTE, 10 * MINUTE, HOUR]
        .into_iter()
        .find(|w| a % w == 0 && b % w == 0 && a - s < *w && e - b < *w)
        .unwrap_or_else(|| panic!("{a}..{b} is not {s}..{e} rounded in to one width"));
    assert!(width > SECOND && s <= a && b <= e, "{answer}");

    // More traffic after the reload, late events in both late windows among it.
    let mut after = events(now() - 24 * HOUR, now() + 10 * SECOND, 3_000, 9);
    after.push((now() + 10 * SECOND, false));
    feed(&p, 1, &lines(&after), 500);

    let judge = Judge {
        old_applied,
        recent_applied,
    };
    let check = |one: &Value| {
        for w in one["windows"].as_array().unwrap() {
            let (from, to) = (
                parse_time(w["start"].as_str().unwrap()),
                parse_time(w["end"].as_str().unwrap()),
            );
            let got = (w["good"].as_u64().unwrap(), w["total"].as_u64().unwrap());
            assert_eq!(got, judge.count(&before, &after, from, to), "window {w}");
        }
    };
    let (status, one) = get_json(&router, "/v1/slos/api/availability").await;
    assert_eq!(status, 200, "{one}");
    check(&one);
    // Events counted apart: those each window left out or turned good.
    let (_, answer) = get_json(&router, "/v1/adjustments").await;
    let apart = |name: &str, range: (i64, i64), applied: &[(i64, i64)]| {
        let early = before.iter().filter(|e| within(applied, e.0));
        let late = after.iter().filter(|e| (range.0..range.1).contains(&e.0));
        let all: Vec<_> = early.chain(late).collect();
        let slo = &named(&answer, name)["slos"][0];
        assert_eq!(
            (slo["total"].as_u64().unwrap(), slo["bad"].as_u64().unwrap()),
            (all.len() as u64, all.iter().filter(|e| e.1).count() as u64),
            "{name}: {answer}"
        );
    };
    apart("ahead", ahead(), &[ahead()]);
    apart("late-old", late_old(), &judge.old_applied);
    apart("late-recent", late_recent(), &judge.recent_applied);
    assert_eq!(named(&answer, "ahead")["in_force"], false);

    // The daily report: each UTC day as the events say, and the ranges adjusted in it.
    let (_, report) = get_json(&router, "/v1/reports?period=day&count=2").await;
    let rows = report["slos"][0]["periods"].as_array().unwrap();
    let day29 = rows
        .iter()
        .find(|r| r["first_day"] == "2026-03-29")
        .unwrap();
    let (from, to) = (now() - 36 * HOUR, now() - 12 * HOUR);
    assert_eq!(
        (
            day29["good"].as_u64().unwrap(),
            day29["total"].as_u64().unwrap()
        ),
        judge.count(&before, &after, from, to),
        "{day29}"
    );
    let listed: Vec<(String, Vec<(i64, i64)>)> = day29["adjustments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                ranges(&a["ranges"]),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            ("ahead".to_string(), vec![ahead()]),
            ("late-old".to_string(), judge.old_applied.clone()),
        ]
    );

    // A restart: the checkpoint keeps the counts and how each adjustment stands, and
    // nothing is applied twice.
    p.checkpoint();
    drop(router);
    drop(p);
    let again = open(&config(dir.path(), true));
    let router = slipstream::serve::router(again.clone());
    let (_, restored) = get_json(&router, "/v1/adjustments").await;
    assert_eq!(restored, answer);
    let (_, one_again) = get_json(&router, "/v1/slos/api/availability").await;
    assert_eq!(one_again["windows"], one["windows"]);
}

#[test]
fn the_configuration_refuses_what_cannot_work() {
    let dir = tempfile::tempdir().unwrap();
    let base = config(dir.path(), false);
    let bad = |spec: &str| {
        let yaml = format!(
            "{base}---\napiVersion: reliability/v1\nkind: BudgetAdjustment\nmetadata: {{name: x}}\nspec:\n{spec}"
        );
        match config::parse(&yaml, "adjust.yaml") {
            Ok(_) => panic!("accepted:\n{spec}"),
            Err(e) => e.to_string(),
        }
    };
    let e = bad(
        "  first_event_start: soon\n  duration: 0s\n  mode: skip\n  slos: [api/latency, nope]\n",
    );
    for wanted in [
        "BudgetAdjustment x",
        "spec.first_event_start",
        "spec.duration: invalid duration \"0s\"",
        "spec.slos[0]: \"api/latency\" names no SLO",
        "spec.slos[1]: \"nope\" names no SLO",
        "spec.mode: \"skip\" is not one of exclude, count_as_good",
    ] {
        assert!(e.contains(wanted), "{wanted:?} missing from {e}");
    }
    let e = bad(
        "  first_event_start: 2026-03-01T02:00:00Z\n  duration: 2h\n  slos: [api/latency, nope]\n",
    );
    assert!(
        e.contains("spec.slos[0]: \"api/latency\" names no SLO"),
        "{e}"
    );
    assert!(e.contains("spec.slos[1]: \"nope\" names no SLO"), "{e}");
    let e = bad(
        "  first_event_start: 2026-03-01T02:00:00Z\n  duration: 2h\n  rrule: FREQ=MONTHLY;BYDAY=MO\n  slos: [api]\n",
    );
    assert!(e.contains("FREQ=MONTHLY is not supported"), "{e}");
    assert!(e.contains("BYDAY is not supported"), "{e}");
    let e = bad(
        "  first_event_start: 2026-03-01T02:00:00Z\n  duration: 24h\n  rrule: FREQ=DAILY\n  time_zone: Mars/Base\n  slos: [api]\n",
    );
    assert!(e.contains("at most 1 days less one hour"), "{e}");
    assert!(e.contains("unknown time zone \"Mars/Base\""), "{e}");
    let e = bad(
        "  first_event_start: 2026-03-01T02:00:00Z\n  duration: 1h\n  rrule: FREQ=DAILY;UNTIL=20260201T000000Z\n  slos: [api]\n",
    );
    assert!(
        e.contains("spec.rrule: UNTIL is before first_event_start"),
        "{e}"
    );
    let ok = format!(
        "{base}---\napiVersion: reliability/v1\nkind: BudgetAdjustment\nmetadata: {{name: weekly}}\nspec:\n  first_event_start: 2026-03-01T02:00:00+01:00\n  duration: 2h\n  rrule: \"RRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=20261231T000000Z\"\n  time_zone: Europe/Berlin\n  slos: [api]\n"
    );
    let c = config::parse(&ok, "adjust.yaml").unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = c.reload.objectives[0]
        .adjustments
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["ahead", "weekly"]);
    let weekly = &c.reload.objectives[0].adjustments[1].schedule;
    // Every two weeks at 02:00 in Berlin: on 29 March 02:00 does not exist (the clocks go
    // from 02:00 to 03:00), so it starts at 03:00 CEST; two weeks later 02:00 CEST is 00:00 UTC.
    assert_eq!(
        weekly.start_of(2),
        epoch_us(2026, 3, 29, 1, 0, 0, 0).unwrap()
    );
    assert_eq!(
        weekly.start_of(3),
        epoch_us(2026, 4, 12, 0, 0, 0, 0).unwrap()
    );
}

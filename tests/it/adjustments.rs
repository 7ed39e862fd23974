//! Budget adjustments (maintenance windows) against counts taken here from the generated
//! events: one declared ahead (exact to the event), two declared after the fact by a reload
//! (one recent, exact at 1 s; one 20 hours old, applied with the coarser buckets the answer
//! names), events that arrive after the declaration, every window, the daily report, what
//! `/v1/adjustments` says, a restart from the checkpoint, and the configuration's refusals.

use serde_json::Value;

use crate::helpers::{Rng, alb_line, feed, get_json, parse_time};
use slipstream::app::Pipeline;
use slipstream::clock::ManualClock;
use slipstream::config;
use slipstream::time::{HOUR, MINUTE, SECOND, epoch_us, format_rfc3339};

/// 2026-03-30 12:00 UTC.
fn now() -> i64 {
    epoch_us(2026, 3, 30, 12, 0, 0, 0).unwrap()
}

/// The one declared with the configuration, before any event: 29 March 06:00:07 to
/// 06:59:03.
fn ahead() -> (i64, i64) {
    (
        now() - 30 * HOUR + 7 * SECOND,
        now() - 29 * HOUR + 3 * SECOND,
    )
}

/// Declared by a reload, 20 hours after it began: counted as good.
fn late_old() -> (i64, i64) {
    (
        now() - 20 * HOUR + 13 * SECOND,
        now() - 18 * HOUR + 29 * SECOND,
    )
}

/// Declared by a reload, 3 minutes after it began: excluded.
fn late_recent() -> (i64, i64) {
    (now() - 3 * MINUTE + 3 * SECOND, now() - 2 * MINUTE + SECOND)
}

fn adjustment(name: &str, (start, end): (i64, i64), mode: &str) -> String {
    format!(
        r#"---
apiVersion: reliability/v1
kind: BudgetAdjustment
metadata: {{name: {name}}}
spec:
  description: {name} window
  first_event_start: "{}"
  duration: {}s
  mode: {mode}
  slos: [api/availability]
"#,
        format_rfc3339(start),
        (end - start) / SECOND
    )
}

fn config(dir: &std::path::Path, late: bool) -> String {
    let mut yaml = crate::helpers::api_availability_checkpointed(dir);
    yaml += &adjustment("ahead", ahead(), "exclude");
    if late {
        yaml += &adjustment("late-old", late_old(), "count_as_good");
        yaml += &adjustment("late-recent", late_recent(), "exclude");
    }
    yaml
}

/// `n` events `(time, bad)` over `[from, to)`, one in 5 bad, plus a bad one on each side of
/// every adjustment's edges.
fn events(from: i64, to: i64, n: usize, seed: u64) -> Vec<(i64, bool)> {
    let mut rng = Rng(seed);
    let mut out: Vec<(i64, bool)> = (0..n)
        .map(|_| {
            let t = from + rng.below((to - from) as u64) as i64;
            (t, rng.below(5) == 0)
        })
        .collect();
    for (s, e) in [ahead(), late_old(), late_recent()] {
        for t in [s - 1, s, e - 1, e] {
            if (from..to).contains(&t) {
                out.push((t, true));
            }
        }
    }
    out
}

fn lines(events: &[(i64, bool)]) -> Vec<String> {
    let line = |&(t, bad): &(i64, bool)| {
        alb_line(t, "api.example.com", "/", if bad { 503 } else { 200 }, None)
    };
    events.iter().map(line).collect()
}

fn ranges(v: &Value) -> Vec<(i64, i64)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                parse_time(r["start"].as_str().unwrap()),
                parse_time(r["end"].as_str().unwrap()),
            )
        })
        .collect()
}

fn within(ranges: &[(i64, i64)], t: i64) -> bool {
    ranges.iter().any(|&(a, b)| (a..b).contains(&t))
}

/// The adjustment named `name` in a `/v1/adjustments` answer.
fn named<'a>(answer: &'a Value, name: &str) -> &'a Value {
    answer["adjustments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {answer}"))
}

/// How the test judges each event: `None` when left out, else whether it counts as good.
struct Judge {
    /// Ranges adjusted for events counted before the reload, per late adjustment.
    old_applied: Vec<(i64, i64)>,
    recent_applied: Vec<(i64, i64)>,
}

impl Judge {
    fn judge(&self, (t, bad): (i64, bool), fed_after_reload: bool) -> Option<bool> {
        let in_range = |(s, e): (i64, i64)| (s..e).contains(&t);
        if in_range(ahead()) {
            return None;
        }
        let (old, recent) = if fed_after_reload {
            (in_range(late_old()), in_range(late_recent()))
        } else {
            (
                within(&self.old_applied, t),
                within(&self.recent_applied, t),
            )
        };
        if recent {
            None
        } else if old {
            Some(true)
        } else {
            Some(!bad)
        }
    }

    /// (good, total) over `[from, to)` of both batches.
    fn count(
        &self,
        before: &[(i64, bool)],
        after: &[(i64, bool)],
        from: i64,
        to: i64,
    ) -> (u64, u64) {
        let all = before
            .iter()
            .map(|&e| (e, false))
            .chain(after.iter().map(|&e| (e, true)));
        let mut c = (0, 0);
        for (e, late) in all {
            if (from..to).contains(&e.0)
                && let Some(good) = self.judge(e, late)
            {
                c.0 += u64::from(good);
                c.1 += 1;
            }
        }
        c
    }
}

fn open(yaml: &str) -> std::sync::Arc<Pipeline> {
    open_at(yaml, ManualClock::new(now()))
}

fn open_at(yaml: &str, clock: ManualClock) -> std::sync::Arc<Pipeline> {
    let config = config::parse(yaml, "adjust.yaml").unwrap_or_else(|e| panic!("{e}"));
    Pipeline::open(&config, std::sync::Arc::new(clock)).unwrap()
}

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

#[test]
fn the_command_line_lists_what_a_running_instance_counted_apart() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("alb.log");
    let t0 = now() - HOUR;
    // One request a second for 1,000 seconds, every 10th failing; the window is the
    // third and fourth minute.
    let events: Vec<(i64, bool)> = (0..1000).map(|i| (t0 + i * SECOND, i % 10 == 0)).collect();
    std::fs::write(&log, lines(&events).join("\n") + "\n").unwrap();
    let window = (t0 + 2 * MINUTE, t0 + 4 * MINUTE);
    let config = crate::helpers::file_config(
        dir.path(),
        &log,
        "{name: availability, threshold: 99.9, window: 30d}",
        "http: {allow_unauthenticated_writes: true}",
    );
    let yaml = std::fs::read_to_string(&config).unwrap() + &adjustment("db", window, "exclude");
    std::fs::write(&config, yaml).unwrap();
    let run = crate::helpers::Running::start(&config);
    let url = run.url();
    // `slipstream <args> --url <url>`: exit code, stdout, stderr.
    let bin = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_slipstream"))
            .args(args)
            .args(["--url", &url])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let cli = |args: &[&str]| bin(&[&["adjustments"], args].concat());
    let inside: Vec<_> = events
        .iter()
        .filter(|e| (window.0..window.1).contains(&e.0))
        .collect();
    let bad = inside.iter().filter(|e| e.1).count();
    assert_eq!((inside.len(), bad), (120, 12));
    // Wait for the whole file to be counted.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let text = loop {
        let (code, text, err) = cli(&[]);
        assert_eq!(code, Some(0), "{err}");
        if text.contains("120 events counted apart") || std::time::Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let first = format_rfc3339(window.0);
    assert!(
        text.starts_with(&format!(
            "db (exclude, 2m from {first}, once): no occurrence left\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(
            "  api/availability: 120 events counted apart (12 bad) · declared before any event · applied to counted events: none"
        ),
        "{text}"
    );
    let (code, json, _) = cli(&["--json", "--service", "api"]);
    assert_eq!(code, Some(0));
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(named(&json, "db")["slos"][0]["total"], 120);
    let (code, _, err) = cli(&["--service", "api", "--slo", "latency"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("status 404") && err.contains("no SLO api/latency"),
        "{err}"
    );
    // Declared and deleted from the command line, as a postmortem's follow-up would.
    let (start, end) = (
        format_rfc3339(t0 + 5 * MINUTE),
        format_rfc3339(t0 + 6 * MINUTE),
    );
    let declare = [
        "--declare",
        "provider",
        "--start",
        &start,
        "--end",
        &end,
        "--slos",
        "api/availability",
        "--mode",
        "count_as_good",
    ];
    let (code, text, err) = cli(&declare);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        text.starts_with(&format!("provider (count_as_good, 1m from {start}, once)")),
        "{text}"
    );
    // Sixty requests of that minute, six of them failing, are counted apart.
    assert!(text.contains("60 events counted apart (6 bad)"), "{text}");
    let (code, _, err) = cli(&declare);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("status 409") && err.contains("exists already"),
        "{err}"
    );
    let (code, text, err) = cli(&["--delete", "provider"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(text, "adjustment provider deleted\n");
    let (code, _, err) = cli(&["--delete", "db"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("status 409") && err.contains("configuration"),
        "{err}"
    );
    // An annotation from the command line, as a CI step marks its deploy.
    let (code, text, err) = bin(&[
        "annotate",
        "--kind",
        "deploy",
        "--service",
        "api",
        "--text",
        "v1.2",
        "--label",
        "team=pay",
        "--time",
        &start,
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(text, format!("annotation 0 added: deploy {start} v1.2\n"));
    let listed = crate::cli::http_get(run.port, "/v1/annotations").unwrap().1;
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(
        listed["annotations"][0]["labels"]["team"], "pay",
        "{listed}"
    );
    let (code, _, err) = bin(&["annotate", "--kind", "deploy", "--time", "soon"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("status 400"), "{err}");
    // One SLO from the command line: its SLI, budget and forecast, and alerts.
    let (code, text, err) = bin(&["slo", "--service", "api", "--slo", "availability"]);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("api/availability: SLI "), "{text}");
    assert!(
        lines[1].starts_with("budget: ") && lines[1].contains("runs out at the 1h rate"),
        "{text}"
    );
    assert!(lines[2].starts_with("alerts firing: "), "{text}");
    assert!(run.terminate());
}

/// `POST /v1/adjustments` with JSON `body` to `router`: status and JSON answer.
async fn post(router: &axum::Router, body: &str) -> (u16, Value) {
    let request = axum::http::Request::post("/v1/adjustments")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let (status, text) = crate::helpers::call(router, request).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn windows_declared_through_the_api_are_applied_kept_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    // No late window in the configuration: both come through the API.
    let clock = ManualClock::new(now());
    let p = open_at(&config(dir.path(), false), clock.clone());
    let mut before = events(now() - 40 * HOUR, now(), 20_000, 17);
    before.push((now(), false));
    feed(&p, 0, &lines(&before), 1000);
    let writes = slipstream::serve::annotations::Writes::Open;
    let router = slipstream::serve::router_with(p.clone(), None, writes);
    let body = |name: &str, (s, e): (i64, i64), mode: &str| {
        format!(
            r#"{{"name": "{name}", "description": "provider outage", "start": "{}", "end": "{}", "mode": "{mode}", "slos": ["api/availability"]}}"#,
            format_rfc3339(s),
            format_rfc3339(e)
        )
    };
    // After the fact, like the reload's: the recent one at 1 s, the old one coarser.
    let (status, created) = post(&router, &body("late-recent", late_recent(), "exclude")).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["source"], "api");
    assert_eq!(
        created["slos"][0]["declared_at"],
        format_rfc3339(now() + SECOND)
    );
    assert_eq!(
        ranges(&created["slos"][0]["applied_to_counted"]),
        vec![late_recent()]
    );
    let (status, created) = post(&router, &body("late-old", late_old(), "count_as_good")).await;
    assert_eq!(status, 201, "{created}");
    let old_applied = ranges(&created["slos"][0]["applied_to_counted"]);
    // Ahead: an hour from now, exact from its first event.
    let future = (now() + 20 * MINUTE + 500_000, now() + 30 * MINUTE);
    let (status, created) = post(&router, &body("ahead-api", future, "exclude")).await;
    assert_eq!(status, 201, "{created}");
    assert!(
        created["slos"][0]["applied_to_counted"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Refusals: a taken name, an SLO that does not exist, a bad range, writes off.
    let (status, e) = post(&router, &body("ahead", future, "exclude")).await;
    assert_eq!(status, 409, "{e}");
    assert!(
        e["error"].as_str().unwrap().contains("exists already"),
        "{e}"
    );
    let (status, e) = post(
        &router,
        &body("x", future, "exclude").replace("api/availability", "api/latency"),
    )
    .await;
    assert_eq!(status, 400, "{e}");
    assert!(e["error"].as_str().unwrap().contains("names no SLO"), "{e}");
    let (status, e) = post(&router, &body("x", (future.1, future.0), "exclude")).await;
    assert_eq!(status, 400, "{e}");
    let (status, e) = post(&router, &body("x", future, "skip")).await;
    assert_eq!(status, 400, "{e}");
    let closed = slipstream::serve::router(p.clone());
    let (status, e) = post(&closed, &body("x", future, "exclude")).await;
    assert_eq!(status, 403, "{e}");

    // Forty minutes later, traffic up to then: late events inside the past windows, and
    // the window declared ahead's own.
    clock.set(now() + 40 * MINUTE);
    let mut after = events(now() - 24 * HOUR, now() + 40 * MINUTE, 3_000, 19);
    after.push((now() + 40 * MINUTE, false));
    let in_future = |t: i64| (future.0..future.1).contains(&t);
    after.extend((0..50).map(|i| (future.0 + i * 11 * SECOND, i % 3 == 0)));
    after.sort_unstable();
    feed(&p, 1, &lines(&after), 500);
    let judge = Judge {
        old_applied,
        recent_applied: vec![late_recent()],
    };
    let (_, one) = get_json(&router, "/v1/slos/api/availability").await;
    for w in one["windows"].as_array().unwrap() {
        let (from, to) = (
            parse_time(w["start"].as_str().unwrap()),
            parse_time(w["end"].as_str().unwrap()),
        );
        let (mut good, mut total) = judge.count(&before, &after, from, to);
        // The events of the window declared ahead are all left out.
        let ahead: Vec<_> = after
            .iter()
            .filter(|e| in_future(e.0) && (from..to).contains(&e.0))
            .collect();
        total -= ahead.len() as u64;
        good -= ahead.iter().filter(|e| !e.1).count() as u64;
        let got = (w["good"].as_u64().unwrap(), w["total"].as_u64().unwrap());
        assert_eq!(got, (good, total), "window {w}");
    }
    let (_, listed) = get_json(&router, "/v1/adjustments").await;
    let future_apart = after.iter().filter(|e| in_future(e.0)).count() as u64;
    assert_eq!(
        named(&listed, "ahead-api")["slos"][0]["total"],
        future_apart
    );
    assert_eq!(named(&listed, "ahead")["source"], "config");

    // A restart: the declarations, their state and the counts are kept, applied once.
    p.checkpoint();
    drop((router, closed));
    drop(p);
    let again = open_at(
        &config(dir.path(), false),
        ManualClock::new(now() + 40 * MINUTE),
    );
    let router = slipstream::serve::router_with(again.clone(), None, writes);
    let (_, restored) = get_json(&router, "/v1/adjustments").await;
    assert_eq!(restored, listed);
    let (_, one_again) = get_json(&router, "/v1/slos/api/availability").await;
    assert_eq!(one_again["windows"], one["windows"]);

    // Deleting: a configured one is refused; an API one goes, and events count again.
    let delete = |name: &str| {
        axum::http::Request::delete(format!("/v1/adjustments/{name}"))
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let (status, _) = crate::helpers::call(&router, delete("ahead")).await;
    assert_eq!(status, 409);
    let (status, _) = crate::helpers::call(&router, delete("nope")).await;
    assert_eq!(status, 404);
    let (status, body) = crate::helpers::call(&router, delete("late-recent")).await;
    assert_eq!(status, 200, "{body}");
    let (_, listed) = get_json(&router, "/v1/adjustments").await;
    assert!(
        listed["adjustments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["name"] != "late-recent"),
        "{listed}"
    );
    // The counts it adjusted stay so.
    let (_, after_delete) = get_json(&router, "/v1/slos/api/availability").await;
    assert_eq!(after_delete["windows"], one["windows"]);
}

/// Cluster mode reads no BudgetAdjustment document (members reload at different times) and
/// says to declare one through the API; a member whose cluster log is not open yet answers
/// a declaration with 503.
#[tokio::test]
async fn cluster_mode_takes_adjustments_through_the_log_only() {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/cluster-example.yaml"
    ))
    .unwrap();
    let service = example
        .lines()
        .find_map(|l| l.trim().strip_prefix("- {name: "))
        .and_then(|l| l.split(',').next())
        .expect("a service in the cluster example")
        .to_string();
    let with = format!(
        "{example}\n---\napiVersion: reliability/v1\nkind: BudgetAdjustment\nmetadata: {{name: m}}\nspec:\n  first_event_start: 2026-03-01T02:00:00Z\n  duration: 1h\n  slos: [{service}]\n"
    );
    let e = config::parse(&with, "cluster.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("spec.slos: BudgetAdjustment documents are not read in cluster mode")
            && e.contains("declare it with POST /v1/adjustments"),
        "{e}"
    );
    let c = config::parse(&example, "cluster.yaml").unwrap_or_else(|e| panic!("{e}"));
    let p = Pipeline::new(&c, std::sync::Arc::new(ManualClock::new(now())));
    let writes = slipstream::serve::annotations::Writes::Open;
    let router = slipstream::serve::router_with(p, None, writes);
    let body = format!(
        r#"{{"name": "x", "start": "2026-03-01T02:00:00Z", "end": "2026-03-01T03:00:00Z", "slos": ["{service}"]}}"#
    );
    let (status, answer) = post(&router, &body).await;
    assert_eq!(status, 503, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("has not opened the cluster log"),
        "{answer}"
    );
}

//! OpenSLO's `alertAfter` as a hold time, against states worked out here from the generated
//! events: pending while the condition holds for less than the hold, firing after, in event
//! time; the hold's clock kept across a restart; the state in `/v1/slos`, `/v1/alerts`,
//! `/api/v1/alerts` and `/metrics`; the history's firing starting a hold after its condition.

use serde_json::Value;

use crate::helpers::{alb_line, get_json, parse_time};
use slipstream::app::Pipeline;
use slipstream::clock::ManualClock;
use slipstream::config;
use slipstream::source::{LineBatch, PartitionId, Sink};
use slipstream::time::{HOUR, MINUTE, SECOND, epoch_us, floor_to, format_rfc3339};

/// 2026-05-04 10:00 UTC: the first request.
fn start() -> i64 {
    epoch_us(2026, 5, 4, 10, 0, 0, 0).unwrap()
}

/// The hold (`alertAfter`) and the lookback window of the condition.
const HOLD: i64 = 10 * MINUTE;
const LOOKBACK: i64 = 5 * MINUTE;

fn config(dir: &std::path::Path) -> String {
    format!(
        r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {{name: p}}
spec:
  source: {{stdin: {{}}}}
  decode: {{format: alb}}
  checkpoint: {{dir: "{}"}}
  services: [{{name: api, match: {{host: api.example.com}}}}]
---
apiVersion: openslo/v1
kind: SLO
metadata: {{name: avail}}
spec:
  service: api
  indicator:
    metadata: {{name: ok}}
    spec:
      ratioMetric:
        good: {{metricSource: {{type: slipstream}}}}
        total: {{metricSource: {{type: slipstream}}}}
  timeWindow: [{{duration: 28d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{target: 0.999}}]
  alertPolicies: [{{alertPolicyRef: pager}}]
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {{name: pager}}
spec: {{conditions: [{{conditionRef: held}}]}}
---
apiVersion: openslo/v1
kind: AlertCondition
metadata: {{name: held}}
spec:
  severity: page
  condition: {{kind: burnrate, op: gt, threshold: 10, lookbackWindow: 5m, alertAfter: 10m}}
"#,
        dir.display()
    )
}

/// One request a second for two hours; half of them fail from 10:20 to 10:50.
fn events() -> Vec<(i64, bool)> {
    (0..2 * 3600)
        .map(|i| {
            let t = start() + i * SECOND;
            let incident = (start() + 20 * MINUTE..start() + 50 * MINUTE).contains(&t);
            (t, incident && i % 2 == 0)
        })
        .collect()
}

/// Whether the condition holds for the window ending at `end`: the burn over the lookback
/// strictly above 10 against 99.9 %, i.e. bad / total > 1 %.
fn holds(events: &[(i64, bool)], end: i64) -> bool {
    let inside = events
        .iter()
        .filter(|e| (end - LOOKBACK..end).contains(&e.0));
    let (total, bad) = inside.fold((0u64, 0u64), |(n, b), e| (n + 1, b + u64::from(e.1)));
    total > 0 && bad * 100 > total
}

/// The alert's state at evaluation time `t` when the history evaluated every minute from
/// `from` on: `(state, condition since)`.
fn expected(events: &[(i64, bool)], from: i64, t: i64) -> (&'static str, Option<i64>) {
    if !holds(events, floor_to(t, SECOND)) {
        return ("inactive", None);
    }
    // The run of minutes under way at the last minute evaluated, else T itself.
    let mut since = t;
    let mut m = floor_to(t, MINUTE);
    while m >= from && holds(events, m) {
        since = m;
        m -= MINUTE;
    }
    let state = if t - since >= HOLD {
        "firing"
    } else {
        "pending"
    };
    (state, Some(since))
}

fn open(dir: &std::path::Path) -> std::sync::Arc<Pipeline> {
    let config = config::parse(&config(dir), "hold.yaml").unwrap_or_else(|e| panic!("{e}"));
    // The wall clock a day later: the events decide the evaluation time.
    let clock = ManualClock::new(start() + 24 * HOUR);
    Pipeline::open(&config, std::sync::Arc::new(clock)).unwrap()
}

/// Feeds the requests of `[from, to)` in batches of a minute.
fn feed(p: &std::sync::Arc<Pipeline>, events: &[(i64, bool)], from: i64, to: i64) {
    let mut sink = p.sink();
    let pid = PartitionId::new(0, 0);
    sink.assign(pid, "test-0");
    let mut batch = LineBatch::new();
    let lines: Vec<String> = events
        .iter()
        .filter(|e| (from..to).contains(&e.0))
        .map(|&(t, bad)| alb_line(t, "api.example.com", "/", if bad { 503 } else { 200 }, None))
        .collect();
    for chunk in lines.chunks(60) {
        batch.clear();
        for l in chunk {
            batch.push(l.as_bytes());
        }
        sink.apply(pid, &batch);
    }
}

/// The alert as `/v1/slos` reports it, with the evaluation time.
async fn alert(router: &axum::Router) -> (i64, Value) {
    let (status, report) = get_json(router, "/v1/slos").await;
    assert_eq!(status, 200, "{report}");
    let t = parse_time(report["evaluated_at"].as_str().unwrap());
    let slo = &report["slos"][0];
    assert_eq!(slo["slo"], "avail", "{slo}");
    let a = slo["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "held")
        .unwrap_or_else(|| panic!("no alert held in {slo}"))
        .clone();
    assert_eq!(a["hold"], "10m", "{a}");
    (t, a)
}

/// Checks the alert's state against [`expected`] and returns it.
async fn check(router: &axum::Router, events: &[(i64, bool)], from: i64) -> &'static str {
    let (t, a) = alert(router).await;
    let (state, since) = expected(events, from, t);
    assert_eq!(a["state"], state, "at {}: {a}", format_rfc3339(t));
    assert_eq!(a["firing"], state == "firing", "{a}");
    assert_eq!(
        a["condition_since"].as_str().map(parse_time),
        since,
        "at {}: {a}",
        format_rfc3339(t)
    );
    state
}

#[tokio::test]
async fn an_alert_after_holds_in_event_time_and_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let evs = events();
    let p = open(dir.path());
    let router = slipstream::serve::router(p.clone());
    // Before the incident: inactive.
    feed(&p, &evs, start(), start() + 20 * MINUTE);
    // The history starts at the first batch's minute.
    let (status, history) = get_json(&router, "/v1/reports?period=day&count=1").await;
    assert_eq!(status, 200, "{history}");
    let from = parse_time(history["slos"][0]["alerts_recorded_from"].as_str().unwrap());
    assert!(from < start() + 2 * MINUTE, "{history}");
    assert_eq!(check(&router, &evs, from).await, "inactive");

    // Six minutes into it: the condition holds, for less than ten minutes.
    feed(&p, &evs, start() + 20 * MINUTE, start() + 26 * MINUTE);
    assert_eq!(check(&router, &evs, from).await, "pending");
    let (_, pending) = get_json(&router, "/v1/alerts").await;
    let listed = pending["pending"]
        .as_array()
        .unwrap_or_else(|| panic!("{pending}"));
    assert_eq!(listed.len(), 1, "{pending}");
    assert_eq!(listed[0]["name"], "held");
    assert_eq!(listed[0]["state"], "pending");
    // The default alerts (no hold) fire at once; this one is not among the firing.
    let names = |v: &Value| -> Vec<String> {
        let list = v["alerts"].as_array().unwrap().iter();
        list.map(|a| a["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        names(&pending).contains(&"page_1h_5m".to_string()),
        "{pending}"
    );
    assert!(!names(&pending).contains(&"held".to_string()), "{pending}");
    let prom_alert = |v: &Value| -> Value {
        let list = v["data"]["alerts"].as_array().unwrap();
        let held = list.iter().find(|a| a["labels"]["alertname"] == "held");
        held.unwrap_or_else(|| panic!("{v}")).clone()
    };
    let (_, prom) = get_json(&router, "/api/v1/alerts").await;
    let prom = prom_alert(&prom);
    assert_eq!(prom["state"], "pending", "{prom}");
    let (_, a) = alert(&router).await;
    assert_eq!(prom["activeAt"], a["condition_since"], "{prom}");
    let (_, metrics) = crate::helpers::get_text(&router, "/metrics").await;
    let labels = "{service=\"api\",slo=\"avail\",alert=\"held\",severity=\"page\"}";
    assert!(
        metrics.contains(&format!("slipstream_slo_alert_pending{labels} 1"))
            && metrics.contains(&format!("slipstream_slo_alert_firing{labels} 0")),
        "{metrics}"
    );

    // A restart while pending keeps the hold's clock: the history is in the checkpoint.
    p.checkpoint();
    drop(router);
    drop(p);
    let p = open(dir.path());
    let router = slipstream::serve::router(p.clone());
    assert_eq!(check(&router, &evs, from).await, "pending");
    let (_, before) = alert(&router).await;

    // Ten minutes after the condition began it fires, since the same minute.
    feed(&p, &evs, start() + 26 * MINUTE, start() + 34 * MINUTE);
    assert_eq!(check(&router, &evs, from).await, "firing");
    let (_, a) = alert(&router).await;
    assert_eq!(a["condition_since"], before["condition_since"]);
    let (_, firing) = get_json(&router, "/v1/alerts").await;
    assert!(names(&firing).contains(&"held".to_string()), "{firing}");
    assert!(firing["pending"].as_array().unwrap().is_empty(), "{firing}");
    let (_, prom) = get_json(&router, "/api/v1/alerts").await;
    let prom = prom_alert(&prom);
    assert_eq!(
        (&prom["state"], &prom["activeAt"]),
        (&Value::from("firing"), &a["condition_since"]),
        "{prom}"
    );

    // After the incident: inactive again.
    feed(&p, &evs, start() + 34 * MINUTE, start() + 2 * HOUR);
    assert_eq!(check(&router, &evs, from).await, "inactive");

    // The history: the condition's run, shortened by the hold at its start.
    let since = parse_time(a["condition_since"].as_str().unwrap());
    let mut end = since;
    while holds(&evs, end) {
        end += MINUTE;
    }
    let uri = format!(
        "/v1/slos/api/avail/impact?start={}&end={}",
        format_rfc3339(start() + 20 * MINUTE),
        format_rfc3339(start() + 60 * MINUTE)
    );
    let (status, impact) = get_json(&router, &uri).await;
    assert_eq!(status, 200, "{impact}");
    let list = impact["alerts"].as_array().unwrap();
    let held = list.iter().find(|a| a["name"] == "held");
    let held = held.unwrap_or_else(|| panic!("{impact}"));
    assert_eq!(
        parse_time(held["first_firing"].as_str().unwrap()),
        since + HOLD,
        "{impact}"
    );
    assert_eq!(
        held["firing_minutes"].as_f64().unwrap(),
        ((end - since - HOLD) / MINUTE) as f64,
        "{impact}"
    );
}

/// `replay` records the history when an alert has a hold, so its report holds the same
/// states as a live run, on one thread or several.
#[test]
fn replay_reports_held_alerts_as_a_live_run_does() {
    let dir = tempfile::tempdir().unwrap();
    let config = config::parse(&config(dir.path()), "hold.yaml").unwrap_or_else(|e| panic!("{e}"));
    let evs = events();
    for (end, want) in [(28, "pending"), (40, "firing")] {
        let log = dir.path().join(format!("to-{end}.log"));
        let lines: Vec<String> = evs
            .iter()
            .filter(|e| e.0 < start() + end * MINUTE)
            .map(|&(t, bad)| alb_line(t, "api.example.com", "/", if bad { 503 } else { 200 }, None))
            .collect();
        std::fs::write(&log, lines.join("\n") + "\n").unwrap();
        for threads in [1, 2] {
            let clock = std::sync::Arc::new(ManualClock::new(start() + 24 * HOUR));
            let e = slipstream::app::replay(&config, std::slice::from_ref(&log), clock, threads)
                .unwrap();
            let a = e.report.slos[0]
                .alerts
                .iter()
                .find(|a| &*a.name == "held")
                .unwrap();
            let (state, since) = expected(&evs, start(), e.evaluated_at_us);
            assert_eq!(state, want, "the expectation itself");
            assert_eq!(
                (a.status.state.as_str(), a.status.condition_since_us),
                (state, since),
                "to 10:{end} on {threads} threads: {a:?}"
            );
        }
    }
}

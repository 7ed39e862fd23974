//! A real Prometheus scrapes a real `slipstream` serving the demo traffic, and the series that
//! Sloth's Grafana dashboard (grafana.com 14348) selects on — `sloth_service`, `sloth_slo`,
//! joined `on (sloth_id)`, `ignoring (sloth_window)` — come back from Prometheus's query API
//! with the labels and values slipstream's own JSON reports at about the same time. Skipped
//! (with a note) when `prometheus` is not on PATH. Also: `slo:period_burn_rate:ratio` for
//! calendar and timeslice SLOs, in simulated time.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cli::{free_port, http_get};
use crate::helpers::{NOON, alb_line, api_slo_config, feed, pipeline};
use slipstream::time::SECOND;

/// Children killed (and reaped) on drop, so a failing assertion leaves no server behind.
#[derive(Debug, Default)]
pub(crate) struct Processes(pub(crate) Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// True when `binary` runs; otherwise prints why the calling test is skipped.
pub(crate) fn available(binary: &str, package: &str) -> bool {
    let found = Command::new(binary)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        eprintln!(
            "note: `{binary}` not on PATH: skipping (install Debian's {package}, or run scripts/test.sh as root)"
        );
    }
    found
}

/// Starts `slipstream run` on the demo configuration (with 10 minutes of history so a debug
/// build backfills in seconds; otherwise what `slipstream demo` serves) and waits for
/// `/readyz`. `extra` is appended to the Pipeline spec.
pub(crate) fn start_demo(dir: &std::path::Path, extra: &str, procs: &mut Processes) -> u16 {
    let config = dir.join("demo.yaml");
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.yaml")).unwrap();
    let text = text
        .replace("history: 3h", "history: 10m")
        .replace("backfill: 35d", "backfill: 0s");
    let text = text.replacen(
        "  decode: {envelope: none, format: alb}\n",
        &format!("  decode: {{envelope: none, format: alb}}\n{extra}"),
        1,
    );
    std::fs::write(&config, text).unwrap();
    let port = free_port();
    let log = std::fs::File::create(dir.join("slipstream.log")).unwrap();
    procs.0.push(
        Command::new(env!("CARGO_BIN_EXE_slipstream"))
            .args(["run", "--config"])
            .arg(&config)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    wait_for(Duration::from_secs(120), "slipstream ready", || {
        matches!(http_get(port, "/readyz"), Some((200, _)))
    });
    port
}

/// Polls `ok` every 200 ms until it holds, panicking with `what` after `limit`.
pub(crate) fn wait_for(limit: Duration, what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Percent-encodes a query-string value.
pub(crate) fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /api/v1/query?query=…` on Prometheus: the result vector.
fn query(port: u16, promql: &str) -> Vec<Value> {
    let (status, body) = http_get(port, &format!("/api/v1/query?query={}", encode(promql)))
        .unwrap_or_else(|| panic!("prometheus did not answer {promql}"));
    assert_eq!(status, 200, "{promql}: {body}");
    let v: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(v["status"], "success", "{body}");
    v["data"]["result"].as_array().unwrap().clone()
}

fn sample_value(sample: &Value) -> f64 {
    sample["value"][1].as_str().unwrap().parse().unwrap()
}

fn slos(port: u16) -> Vec<Value> {
    let (status, body) = http_get(port, "/v1/slos").unwrap();
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    v["slos"].as_array().unwrap().clone()
}

/// `x` lies between the two JSON readings taken around the query, give or take `slack`.
fn between(x: f64, a: f64, b: f64, slack: f64, what: &str) {
    let (lo, hi) = (a.min(b), a.max(b));
    assert!(
        x >= lo - slack && x <= hi + slack,
        "{what}: prometheus has {x}, slipstream's JSON {a} then {b}"
    );
}

#[test]
fn prometheus_scrapes_the_sloth_compatible_series() {
    if !available("prometheus", "prometheus") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut procs = Processes::default();
    let port = start_demo(dir.path(), "", &mut procs);
    let prom = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global: {{scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}}\n\
             scrape_configs:\n  - job_name: slipstream\n    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
    procs.0.push(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{prom}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    wait_for(Duration::from_secs(60), "the scrape target up", || {
        http_get(prom, "/-/ready").is_some_and(|(s, _)| s == 200)
            && query(prom, "up{job=\"slipstream\"} == 1").len() == 1
            && !query(prom, "slo:objective:ratio").is_empty()
    });

    let before = slos(port);
    let ratio_slos: Vec<&Value> = before
        .iter()
        .filter(|s| s["objective"].is_number())
        .collect();
    let per_slo = |name: &str| -> Vec<Value> { query(prom, name) };
    let sli_error = per_slo("slo:sli_error:ratio_rate5m");
    let objective = per_slo("slo:objective:ratio");
    let error_budget = per_slo("slo:error_budget:ratio");
    let period_days = per_slo("slo:time_period:days");
    let current_burn = per_slo("slo:current_burn_rate:ratio");
    let period_burn = per_slo("slo:period_burn_rate:ratio");
    let remaining = per_slo("slo:period_error_budget_remaining:ratio");
    let info = per_slo("sloth_slo_info");
    let events = per_slo("slipstream_slo_events_total");
    let after = slos(port);

    // A dashboard-style join works: every SLI error series has its objective `on (sloth_id)`.
    let joined = query(
        prom,
        "slo:sli_error:ratio_rate5m / on (sloth_id) group_left slo:error_budget:ratio",
    );
    assert_eq!(joined.len(), ratio_slos.len());

    for slo in &ratio_slos {
        let (service, name) = (
            slo["service"].as_str().unwrap(),
            slo["slo"].as_str().unwrap(),
        );
        let id = format!("{service}-{name}");
        let find = |series: &[Value], what: &str| -> Value {
            let hits: Vec<&Value> = series
                .iter()
                .filter(|s| {
                    s["metric"]["sloth_id"] == id.as_str()
                        && s["metric"]["sloth_service"] == service
                        && s["metric"]["sloth_slo"] == name
                        && s["metric"]["job"] == "slipstream"
                })
                .collect();
            assert_eq!(hits.len(), 1, "{what} for {id}: {series:?}");
            hits[0].clone()
        };
        let after_slo = after
            .iter()
            .find(|s| s["service"] == service && s["slo"] == name)
            .unwrap();
        let window5m = |s: &Value| -> Value {
            s["windows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|w| w["window"] == "5m")
                .unwrap()
                .clone()
        };
        let (w0, w1) = (window5m(slo), window5m(after_slo));
        let err = |w: &Value| 1.0 - w["sli"].as_f64().unwrap();

        let s = find(&sli_error, "slo:sli_error:ratio_rate5m");
        assert_eq!(s["metric"]["sloth_window"], "5m");
        between(sample_value(&s), err(&w0), err(&w1), 0.005, &id);
        let o = slo["objective"].as_f64().unwrap();
        assert!((sample_value(&find(&objective, "objective")) - o).abs() < 1e-12);
        assert!((sample_value(&find(&error_budget, "error budget")) - (1.0 - o)).abs() < 1e-9);
        assert_eq!(
            sample_value(&find(&period_days, "time period")),
            match slo["period"].as_str().unwrap() {
                "30d" => 30.0,
                "7d" => 7.0,
                "1d" => 1.0,
                p => panic!("demo period {p}"),
            }
        );
        let burn = |w: &Value| w["burn_rate"].as_f64().unwrap();
        let b = sample_value(&find(&current_burn, "current burn rate"));
        between(b, burn(&w0), burn(&w1), 0.005 / (1.0 - o), &id);
        let r = |s: &Value| s["budget"]["remaining_ratio"].as_f64().unwrap();
        let rem = sample_value(&find(&remaining, "remaining budget"));
        // Prometheus's sample is from its last scrape, up to a scrape interval before the
        // first JSON reading; an exhausted budget (remaining far below 0) moves by more than
        // 0.05 in that time, so the slack is 1 % of the value there.
        let slack = 0.05_f64.max(0.01 * r(slo).abs());
        between(rem, r(slo), r(after_slo), slack, &id);
        // Over the whole period the burn rate is the share of the budget spent.
        let pb = sample_value(&find(&period_burn, "period burn rate"));
        assert!((pb - (1.0 - rem)).abs() < 1e-6, "{id}: {pb} vs {rem}");
        let i = find(&info, "sloth_slo_info");
        assert_eq!(sample_value(&i), 1.0);
        assert_eq!(
            i["metric"]["sloth_objective"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap(),
            (o * 100.0 * 1e6).round() / 1e6
        );

        // The native counter: good + bad since start, at least the JSON's period total then.
        let count = |result: &str| -> f64 {
            let hits: Vec<&Value> = events
                .iter()
                .filter(|s| {
                    s["metric"]["service"] == service
                        && s["metric"]["slo"] == name
                        && s["metric"]["result"] == result
                })
                .collect();
            assert_eq!(hits.len(), 1, "slipstream_slo_events_total {id} {result}");
            sample_value(hits[0])
        };
        let total = count("good") + count("bad");
        let t0 = slo["budget"]["total"].as_f64().unwrap();
        let t1 = after_slo["budget"]["total"].as_f64().unwrap();
        assert!(
            total >= t0 * 0.95 && total <= t1 * 1.05 + 2_000.0,
            "{id}: {total} events counted, the budget held {t0} then {t1}"
        );
    }
    // Throughput minimums have no ratio objective and no Sloth series.
    assert_eq!(objective.len(), ratio_slos.len());
    assert_eq!(info.len(), ratio_slos.len());
    drop(procs);
}

/// One availability SLO over `period` with 1 bad of every 10 events in the last minutes.
fn period_burn(period: &str) -> f64 {
    let window = if period.contains("calendar") {
        ""
    } else {
        ", window: 7d"
    };
    let yaml = api_slo_config(
        &format!("{{name: availability, threshold: 99{window}}}"),
        period,
    );
    let (p, _) = pipeline(&yaml, NOON);
    // The event at NOON moves the evaluation time to NOON; it is not itself counted.
    let lines: Vec<String> = (0..=600)
        .map(|i| {
            let status = if i < 600 && i % 10 == 0 { 500 } else { 200 };
            alb_line(
                NOON - 600 * SECOND + i * SECOND,
                "api.example.com",
                "/",
                status,
                None,
            )
        })
        .collect();
    feed(&p, 0, &lines, 100);
    let text = slipstream::serve::metrics::render_now(&*p);
    let line = text
        .lines()
        .find(|l| l.starts_with("slo:period_burn_rate:ratio{sloth_id=\"api-availability\""))
        .unwrap_or_else(|| panic!("no period burn rate for {period}:\n{text}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn period_burn_rate_is_emitted_for_calendar_and_timeslice_periods() {
    // 60 bad of 600 events against a 1 % budget: 10 × the budget.
    for period in [
        "  compliance: rolling",
        "  compliance: calendar\n  calendar: {unit: month}",
        "  compliance: calendar\n  calendar: {unit: week, time_zone: Europe/Berlin}",
    ] {
        let b = period_burn(period);
        assert!((b - 10.0).abs() < 1e-9, "{period}: {b}");
    }
    // Timeslices: ten 1-minute slices, each 90 % good against a 95 % slice target: every
    // slice is bad, so the budget (1 % of the slices) is spent 100 times over.
    let b = period_burn("  budgeting: {method: timeslices, slice: 1m, slice_target: 0.95}");
    assert!((b - 100.0).abs() < 1e-9, "timeslices: {b}");
}

//! The web page in a real browser: starts `slipstream demo`, loads the SLO list and one SLO's
//! page in headless Chromium, and checks the rendered DOM (a row per SLO, charts with a drawn
//! path). Screenshots go to `target/screenshots/`. Skips, saying so, when `chromium` is not on
//! PATH (`scripts/test.sh` installs it when run as root).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli::http_get;
use crate::helpers::{Running, alb_line, file_config};
use slipstream::time::{DAY, HOUR};

/// Kills the child on drop, so a failing assertion leaves no server behind.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Runs headless Chromium on `url` with `extra` arguments and returns its stdout.
pub(crate) fn chromium(exe: &Path, url: &str, extra: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Read stdout on a thread so a large DOM cannot fill the pipe and stall Chromium.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stdout.read_to_string(&mut out);
        out
    });
    let mut child = Killed(child);
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            assert!(status.success(), "chromium failed on {url}: {status}");
            break;
        }
        assert!(Instant::now() < deadline, "chromium hung on {url}");
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().unwrap()
}

/// The `d` attributes of every drawn chart line in `dom`.
fn chart_paths(dom: &str) -> Vec<&str> {
    dom.split("data-testid=\"chart-line\"")
        .skip(1)
        .filter_map(|rest| {
            rest.split_once("d=\"")
                .map(|(_, d)| d.split('"').next().unwrap_or(""))
        })
        .collect()
}

#[test]
fn the_page_renders_slos_and_charts_in_chromium() {
    let Some(exe) = on_path("chromium") else {
        eprintln!(
            "note: chromium not on PATH, skipping the browser test (apt-get install chromium)"
        );
        return;
    };
    // The embedded demo's configuration, with 4 days of backfill instead of 35 (a debug
    // build generates it in about a minute; the search incident 3 days back is in it).
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("demo.yaml");
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.yaml")).unwrap();
    assert!(text.contains("backfill: 35d"));
    std::fs::write(&config, text.replace("backfill: 35d", "backfill: 4d")).unwrap();
    let demo = Running::start(&config);
    let port = demo.port;
    // Wait until every SLO has data and the backfill is generated (the data is recent).
    let deadline = Instant::now() + Duration::from_secs(180);
    let slos = loop {
        if let Some((200, body)) = http_get(port, "/v1/slos") {
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            let slos = v["slos"].as_array().cloned().unwrap_or_default();
            let recent = v["data_lag_seconds"].as_f64().is_some_and(|lag| lag < 60.0);
            if recent && !slos.is_empty() && slos.iter().all(|s| s["no_data"] == false) {
                break slos;
            }
        }
        assert!(Instant::now() < deadline, "the demo never had data");
        std::thread::sleep(Duration::from_millis(300));
    };
    let base = format!("http://127.0.0.1:{port}");

    let (_, body) = http_get(port, "/v1/canary/checkout").unwrap();
    let canary_before: serde_json::Value = serde_json::from_str(&body).unwrap();
    let list = chromium(&exe, &format!("{base}/"), &["--dump-dom"]);
    let rows = list.matches("data-testid=\"slo-row\"").count();
    assert_eq!(rows, slos.len(), "one row per SLO:\n{list}");
    assert!(
        list.contains("href=\"/slo/checkout/availability\""),
        "{list}"
    );
    assert!(
        list.contains("Evaluated at"),
        "status line rendered:\n{list}"
    );
    // The service catalog: a row per service, owner and tier beside each SLO's service.
    assert_eq!(
        list.matches("data-testid=\"catalog-row\"").count(),
        4,
        "{list}"
    );
    assert!(list.contains("tier 2 · payments"), "{list}");
    // Canary vs baseline: checkout's canary and baseline, as the API counts them now.
    let card = list
        .split("data-testid=\"canary-checkout\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no canary card: {list}"));
    assert_eq!(
        card.matches("data-testid=\"canary-row\"").count(),
        2,
        "{card}"
    );
    let verdict = card
        .split("data-testid=\"canary-verdict\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap();
    let (_, body) = http_get(port, "/v1/canary/checkout").unwrap();
    let canary: serde_json::Value = serde_json::from_str(&body).unwrap();
    // The page says what the API said around it (the demo's live counts may move the
    // verdict while the page loads: then it is one of the two).
    let label = |v: &serde_json::Value| match v.as_str() {
        Some("healthy") => "Healthy",
        Some("roll_back") => "Roll back",
        Some("not_enough_data") => "Not enough data",
        other => panic!("verdict {other:?}"),
    };
    let around = [label(&canary_before["verdict"]), label(&canary["verdict"])];
    assert!(
        around.contains(&verdict),
        "page {verdict:?}, API {around:?}"
    );
    assert!(
        canary["canary"]["requests"].as_u64().unwrap() > 0,
        "{canary}"
    );
    assert!(
        canary["baseline"]["requests"].as_u64().unwrap()
            > 5 * canary["canary"]["requests"].as_u64().unwrap(),
        "a tenth of checkout goes to the canary: {canary}"
    );
    assert!(card.contains("last 30m"), "{card}");
    // Capacity: a row per service, checkout and auth sized against their capacity.
    assert_eq!(
        list.matches("data-testid=\"capacity-row\"").count(),
        4,
        "{list}"
    );
    let sized: Vec<&str> = list
        .split("data-testid=\"capacity-sizing\">")
        .skip(1)
        .map(|rest| &rest[..rest.find("</td>").unwrap()])
        .collect();
    assert_eq!(sized.len(), 4, "{list}");
    assert!(
        sized[0].contains("instances needed")
            && sized[0].contains("with 50 % headroom (4 running)"),
        "{sized:?}"
    );
    assert!(sized[1].contains("no capacity set"), "{sized:?}");
    assert!(
        sized[2].contains("with 50 % headroom (2 running)"),
        "{sized:?}"
    );
    assert!(
        list.contains("href=\"https://runbooks.example.com/checkout\""),
        "{list}"
    );
    assert!(
        !list.contains("NaN") && !list.contains("undefined"),
        "{list}"
    );

    let page = chromium(
        &exe,
        &format!("{base}/slo/checkout/availability"),
        &["--dump-dom"],
    );
    let paths = chart_paths(&page);
    assert_eq!(paths.len(), 3, "budget, burn rate and SLI charts:\n{page}");
    for d in &paths {
        assert!(d.starts_with('M') && d.contains('L'), "a drawn line: {d:?}");
    }
    assert!(page.contains("<svg"), "{page}");
    assert!(page.contains("data-testid=\"window-row\""), "{page}");
    assert!(page.contains("data-testid=\"alert-row\""), "{page}");
    // The SLA beside checkout's availability SLO.
    assert!(page.contains("data-testid=\"sla\""), "{page}");
    assert!(page.contains("SLA 99.5\u{202f}% over the month"), "{page}");
    // Its alerts fire in the demo: the top contributors by path, status and backend, and
    // the firing alerts name their top path.
    for by in ["path", "status", "backend"] {
        let table = page
            .split(&format!("data-testid=\"contributors-{by}\""))
            .nth(1)
            .unwrap_or_else(|| panic!("no contributors by {by}: {page}"));
        let table = &table[..table.find("</table>").unwrap()];
        assert!(table.contains("data-testid=\"contributor-row\""), "{table}");
    }
    assert!(
        page.contains("data-testid=\"alert-contributor\"") && page.contains("of bad events"),
        "{page}"
    );
    // Its service's catalog under the title, with the runbook and dashboard links.
    let line = page
        .split("data-testid=\"slo-catalog\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no catalog line: {page}"));
    let line = &line[..line.find("</p>").unwrap()];
    for part in [
        "owner payments",
        "tier 2",
        "on-call payments-primary",
        "href=\"https://runbooks.example.com/checkout\"",
        "href=\"https://grafana.example.com/d/checkout\"",
        "team=payments",
    ] {
        assert!(line.contains(part), "{part} in {line}");
    }
    // The monthly report is there, from the backfill's days.
    assert!(page.contains("data-testid=\"period-row\""), "{page}");
    // The backfill's annotated search incident, 3 days back, is on search's burn-down.
    let search = chromium(
        &exe,
        &format!("{base}/slo/search/availability"),
        &["--dump-dom"],
    );
    assert!(
        search.contains("search: slow queries after the index rebuild"),
        "the search incident on the burn-down: {search}"
    );
    // Catalog's weekly maintenance window, declared with the configuration: exact.
    let catalog = chromium(
        &exe,
        &format!("{base}/slo/catalog/availability"),
        &["--dump-dom"],
    );
    let row = catalog
        .split("data-testid=\"adjustment-row\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no maintenance window row: {catalog}"));
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("catalog-db-maintenance"), "{row}");
    assert!(row.contains("every 7 d (UTC)"), "{row}");
    assert!(row.contains("exact (declared ahead)"), "{row}");
    assert!(
        !page.contains("NaN") && !page.contains("undefined"),
        "{page}"
    );

    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    for (name, path, height) in [
        ("list", "/", 1500),
        ("slo", "/slo/checkout/availability", 2600),
    ] {
        let file = shots.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&file);
        chromium(
            &exe,
            &format!("{base}{path}"),
            &[
                &format!("--screenshot={}", file.display()),
                &format!("--window-size=1280,{height}"),
                "--hide-scrollbars",
            ],
        );
        let png = std::fs::read(&file).unwrap();
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "{}",
            file.display()
        );
    }
}

/// The monthly report on an SLO's page: `run` over a file of the ten days before today,
/// whose newest day has not ended for the report, shows one row per month touched, with the
/// exact counts `GET /v1/reports` gives.
#[test]
fn the_page_shows_the_monthly_report_in_chromium() {
    let Some(exe) = on_path("chromium") else {
        eprintln!("note: chromium not on PATH, skipping the browser test");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("alb.log");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64;
    let today = now / DAY * DAY;
    let lines: Vec<String> = (0..2_000)
        .map(|i| {
            let t = today - 10 * DAY + i * (10 * DAY / 2_000);
            alb_line(
                t,
                "api.example.com",
                "/",
                if i % 25 == 0 { 503 } else { 200 },
                None,
            )
        })
        .collect();
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let config = file_config(
        dir.path(),
        &log,
        "{name: availability, threshold: 99, window: 30d}",
        "http: {allow_unauthenticated_writes: true}",
    );
    // An alert whose condition holds all along (4 % of requests fail in every day against a
    // threshold of 2 %), held for 30 days: pending.
    let policy = "---\napiVersion: reliability/v1\nkind: ErrorBudgetPolicy\nmetadata: {name: p}\nspec:\n  service: api\n  burn_rate_thresholds: [{name: held, threshold: 2, duration: 1d, short_window: 1d, for: 30d}]\n";
    let yaml = std::fs::read_to_string(&config).unwrap() + policy;
    std::fs::write(&config, yaml).unwrap();
    let run = Running::start(&config);
    let port = run.port;
    // An incident two to three hours before the last event: on the charts.
    let incident = format!(
        r#"{{"time": "{}", "end": "{}", "kind": "incident", "text": "INC-9 payments"}}"#,
        slipstream::time::format_rfc3339(today - 3 * HOUR),
        slipstream::time::format_rfc3339(today - 2 * HOUR)
    );
    assert_eq!(
        crate::annotations::post(port, "/v1/annotations", &incident).0,
        201
    );
    let (_, body) = http_get(port, "/v1/reports?period=month&count=3").unwrap();
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    let periods = report["slos"][0]["periods"].as_array().unwrap().clone();
    assert!(!periods.is_empty(), "{report}");
    let page = chromium(
        &exe,
        &format!("http://127.0.0.1:{port}/slo/api/availability"),
        &["--dump-dom"],
    );
    assert_eq!(
        page.matches("data-testid=\"period-row\"").count(),
        periods.len(),
        "{page}"
    );
    for p in &periods {
        let good = p["good"].as_u64().unwrap();
        let formatted = good.to_string();
        let grouped = if good >= 1000 {
            format!("{},{:03}", good / 1000, good % 1000)
        } else {
            formatted
        };
        assert!(
            page.contains(&format!("<td class=\"num\">{grouped}</td>")),
            "{grouped} in {page}"
        );
        assert!(
            page.contains(&p["first_day"].as_str().unwrap()[..7]),
            "{page}"
        );
    }
    assert!(page.contains("badge state-"), "met or missed shown: {page}");
    // The held alert is pending on the page, since when the API says.
    let (_, body) = http_get(port, "/v1/slos/api/availability").unwrap();
    let slo: serde_json::Value = serde_json::from_str(&body).unwrap();
    let held = slo["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "held");
    let held = held.unwrap_or_else(|| panic!("{slo}"));
    assert_eq!(held["state"], "pending", "{held}");
    let since = &held["condition_since"].as_str().unwrap()[11..16];
    let row = page
        .split("data-testid=\"alert-row\"")
        .find(|r| r.contains("<th scope=\"row\">held"))
        .and_then(|r| r.split("</tr>").next())
        .unwrap_or_else(|| panic!("no row of the held alert in {page}"));
    assert!(
        row.contains("data-testid=\"alert-state\">pending</span>")
            && row.contains(&format!(
                "condition holds since {since} UTC; fires after 30d"
            ))
            && row.contains("burn &gt; 2× over 1d, held 30d"),
        "{row}"
    );
    // The deploy gate of the service, as `GET /v1/gate` decides it now.
    let (_, body) = http_get(port, "/v1/gate?service=api").unwrap();
    let gate: serde_json::Value = serde_json::from_str(&body).unwrap();
    let label = gate["decision"].as_str().unwrap().replace('_', " ");
    assert!(page.contains("data-testid=\"gate\""), "{page}");
    assert!(
        page.contains(&format!(">{label}</span>")),
        "{label} in {page}"
    );
    // What the incident cost, in the incidents table, as `…/impact` says.
    let impact = format!(
        "/v1/slos/api/availability/impact?start={}&end={}",
        slipstream::time::format_rfc3339(today - 3 * HOUR),
        slipstream::time::format_rfc3339(today - 2 * HOUR)
    );
    let (status, body) = http_get(port, &impact).unwrap();
    assert_eq!(status, 200, "{body}");
    let r: serde_json::Value = serde_json::from_str(&body).unwrap();
    // Its row: the incident's text, then its range, then the events the API counted.
    let row = page
        .split("data-testid=\"incident-row\"")
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .unwrap_or_else(|| panic!("no incident row in {page}"));
    assert!(
        row.contains("<th scope=\"row\">INC-9 payments</th>"),
        "{row}"
    );
    let cells: Vec<&str> = row.split("<td class=\"num\">").skip(1).collect();
    assert!(
        cells
            .first()
            .is_some_and(|c| c.starts_with(&format!("{}</td>", r["events"]))),
        "{} events in {row}",
        r["events"]
    );
    // Which alert detected it, as the impact's alert history says.
    let detected = match r["alerts"].as_array().and_then(|a| a.first()) {
        Some(a) => a["name"].as_str().unwrap().to_string(),
        None => "no alert".to_string(),
    };
    assert!(
        row.contains("data-testid=\"incident-detected\"") && row.contains(&detected),
        "{detected} in {row}"
    );
    // The annotation on the burn-down, burn-rate and SLI charts, with its text.
    assert_eq!(
        page.matches("data-testid=\"annotation-mark\"").count(),
        3,
        "{page}"
    );
    assert!(page.contains("incident: INC-9 payments"), "{page}");
    // The budget's exhaustion forecast, from the one-SLO answer.
    assert!(page.contains("data-testid=\"exhaustion\""), "{page}");
    assert!(page.contains("Budget runs out at 1h rate"), "{page}");
    assert!(
        !page.contains("NaN") && !page.contains("undefined"),
        "{page}"
    );
}

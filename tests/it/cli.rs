//! The binary as a user runs it: exit codes, `validate`, `replay`, and a served demo.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{Rng, alb_line, parse_time, replay, replay_with};
use slipstream::time::{DAY, MINUTE, SECOND};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_slipstream"))
}

#[test]
fn validate_exits_64_with_every_error_and_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: slipstream/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  source: {stdin: {}}\n  decode: {format: apache}\n  services: [{name: a, match: {hots: x}}]\n---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {name: s}\nspec: {service: b, indicators: [{name: availability, threshold: 101, window: 30d}]}\n",
    )
    .unwrap();
    let out = bin().arg("validate").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("document 1 (Pipeline p): spec.services[0].match.hots: unknown field `hots`"),
        "{err}"
    );
    assert!(
        err.contains("document 2 (ServiceLevelObjective s): spec.indicators[0].threshold: must be a percentage"),
        "{err}"
    );
    assert!(
        !err.contains("found 0"),
        "the broken Pipeline still counts: {err}"
    );

    let good = concat!(env!("CARGO_MANIFEST_DIR"), "/config/alb-example.yaml");
    let out = bin().args(["validate", good]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = bin().args(["run", "--config"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
}

#[test]
fn validate_checks_an_sli_that_no_slo_uses() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("unused.yaml");
    std::fs::write(
        &config,
        "apiVersion: slipstream/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  source: {stdin: {}}\n  decode: {format: alb}\n  services: [{name: a}]\n---\napiVersion: openslo/v1\nkind: SLI\nmetadata: {name: unused}\nspec:\n  ratioMetric:\n    good: {metricSource: {type: prometheus, spec: {query: up}}}\n    total: {metricSource: {type: slipstream}}\n",
    )
    .unwrap();
    let out = bin().arg("validate").arg(&config).output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(64), "{err}");
    assert!(
        err.contains("document 2 (SLI unused): spec.ratioMetric.good.metricSource.type: metricSource type prometheus is not supported"),
        "{err}"
    );
}

#[test]
fn replay_prints_the_report_for_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("alb.log");
    let now = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 3600)
        * SECOND;
    let mut f = std::fs::File::create(&log).unwrap();
    for i in 0..300 {
        let status = if i % 100 == 0 { 502 } else { 200 };
        writeln!(
            f,
            "{}",
            alb_line(
                now - 10 * MINUTE + i * SECOND,
                "checkout.example.com",
                "/api",
                status,
                Some((1, 20, 1))
            )
        )
        .unwrap();
    }
    writeln!(f, "not a log line").unwrap();
    drop(f);
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/config/alb-example.yaml");
    let v = replay(config.as_ref(), &log);
    // T is the newest event time (the 300th line), so every window ends one second later.
    assert_eq!(
        parse_time(v["evaluated_at"].as_str().unwrap()),
        now - 10 * MINUTE + 299 * SECOND
    );
    let avail = &v["slos"][0];
    assert_eq!(
        (avail["service"].as_str(), avail["slo"].as_str()),
        (Some("checkout"), Some("availability"))
    );
    assert_eq!(
        avail["budget"]["total"], 299,
        "the newest second is not complete yet"
    );
    assert_eq!(avail["budget"]["bad"], 3);
}

#[test]
fn replay_on_any_number_of_threads_prints_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("alb.log");
    let now = now_us() - 60 * MINUTE;
    let mut f = std::fs::File::create(&log).unwrap();
    // Out of order, some late by an hour, a few 5xx: 20,000 lines, about 10 MB.
    for i in 0..20_000i64 {
        let t =
            now - 30 * MINUTE + (i * 7_919 % 20_000) * 50_000 - (i % 97 == 0) as i64 * 60 * MINUTE;
        let status = if i % 89 == 0 { 503 } else { 200 };
        writeln!(
            f,
            "{}",
            alb_line(t, "checkout.example.com", "/api", status, Some((1, 20, 1)))
        )
        .unwrap();
    }
    drop(f);
    let config = std::path::Path::new(ALB_EXAMPLE);
    let report = |threads: &str| {
        let mut v = replay_with(&["--threads", threads], config, &log);
        // The only wall-clock figure in the report.
        v.as_object_mut().unwrap().remove("data_lag_seconds");
        v
    };
    let one = report("1");
    assert_eq!(
        one["slos"][0]["budget"]["total"]
            .as_u64()
            .map(|n| n > 15_000),
        Some(true)
    );
    assert_eq!(report("3"), one);
    // Zero threads is a usage error.
    let out = bin()
        .args(["replay", "--threads", "0", "--config", ALB_EXAMPLE])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn replay_of_a_missing_file_fails_cleanly() {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/config/alb-example.yaml");
    let out = bin()
        .args(["replay", "--config", config, "/nonexistent/alb.log"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/alb.log"));
}

/// A port of 127.0.0.1 that is free now and that no other test of this run was handed.
///
/// The port is released before the caller's server binds it, so in between something else
/// may take it, and then that server fails to start while its test talks to nothing, or to
/// another test's server. Two guards:
/// - it is picked outside the kernel's ephemeral range ([`EPHEMERAL`]), where neither
///   `bind(0)` nor the local end of an outgoing connection (the tests' HTTP polls, every
///   Kafka client) is ever placed;
/// - every port handed out is marked by a file created with `create_new` in a directory
///   shared by the run's test processes (nextest runs each test in its own), so a port goes
///   to one test only.
pub(crate) fn free_port() -> u16 {
    let dir = run_dir("slipstream-it-ports");
    let (low, high) = outside_ephemeral();
    let mut state = seed();
    for _ in 0..100_000 {
        // xorshift64: any spread will do, the marks and the bind test decide.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let port = low + (state % u64::from(high - low)) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            continue;
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(dir.join(port.to_string()))
        {
            Ok(_) => return port,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => panic!("cannot mark port {port} in {}: {e}", dir.display()),
        }
    }
    panic!("no free port in {low}..{high}");
}

/// Where the kernel places ephemeral ports.
const EPHEMERAL: &str = "/proc/sys/net/ipv4/ip_local_port_range";

/// Ports `low..high` outside the ephemeral range: the 12,000 just below it (Linux's default
/// range starts at 32768), none below 10,000; where the range starts lower than that, the
/// ports above it.
fn outside_ephemeral() -> (u16, u16) {
    let range = std::fs::read_to_string(EPHEMERAL).unwrap_or_default();
    let mut bounds = range.split_whitespace().map(|b| b.parse::<u16>().ok());
    let (start, end) = match (bounds.next().flatten(), bounds.next().flatten()) {
        (Some(start), Some(end)) => (start, end),
        _ => (32768, 60999),
    };
    if start >= 11_000 {
        (start.saturating_sub(12_000).max(10_000), start)
    } else {
        assert!(
            end < 64_000,
            "the ephemeral range {start}-{end} leaves no room outside it"
        );
        (end + 1, end.saturating_add(12_001))
    }
}

/// A seed that differs between test processes and calls.
fn seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (nanos ^ u64::from(std::process::id()).rotate_left(32)) | 1
}

/// A directory of the temporary directory's `name` for this test run, shared by its test
/// processes (nextest's run id; the process id under `cargo test`); those of runs that
/// began more than a day ago are removed.
pub(crate) fn run_dir(name: &str) -> std::path::PathBuf {
    let run = std::env::var("NEXTEST_RUN_ID").unwrap_or_else(|_| std::process::id().to_string());
    let dir = std::env::temp_dir().join(name).join(run);
    std::fs::create_dir_all(&dir).unwrap();
    prune_older_runs(dir.parent().unwrap(), &dir);
    dir
}

/// Removes the directories of runs that began more than a day ago.
fn prune_older_runs(all: &std::path::Path, mine: &std::path::Path) {
    let day = std::time::Duration::from_secs(86_400);
    for entry in std::fs::read_dir(all).into_iter().flatten().flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > day));
        if old && entry.path() != mine {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

pub(crate) fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    http_response(port, path).map(|(status, _, body)| (status, body))
}

/// [`http_get`] with the response's header lines (names lowercased).
pub(crate) fn http_response(port: u16, path: &str) -> Option<(u16, Vec<String>, String)> {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        // HTTP/1.0: the answer is not chunked, so the body is the JSON as it is.
        "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let status = buf.split_whitespace().nth(1)?.parse().ok()?;
    let (head, body) = buf.split_once("\r\n\r\n")?;
    let headers = head.lines().skip(1).map(str::to_ascii_lowercase).collect();
    Some((status, headers, body.to_string()))
}

#[test]
fn the_demo_serves_live_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("demo.yaml");
    // The embedded demo, with less history so a debug build starts fast.
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.yaml")).unwrap();
    std::fs::write(
        &config,
        text.replace("history: 3h", "history: 10m")
            .replace("backfill: 35d", "backfill: 0s"),
    )
    .unwrap();
    let served = crate::helpers::Running::start(&config);
    let (status, body) = http_get(served.port, "/v1/slos").unwrap();
    assert_eq!(status, 200);
    let v: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let services: std::collections::BTreeSet<&str> = v["slos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service"].as_str().unwrap())
        .collect();
    assert_eq!(services.len(), 4);
    for slo in v["slos"].as_array().unwrap() {
        assert_eq!(slo["no_data"], false, "{} has no data", slo["slo"]);
    }
    let (status, headers, metrics) = http_response(served.port, "/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(metrics.contains("slo:sli_error:ratio_rate5m{sloth_id=\"checkout-availability\""));
    // Sent in chunks, with the length of them all.
    let length = format!("content-length: {}", metrics.len());
    assert!(headers.contains(&length), "{length} not in {headers:?}");
    assert!(
        metrics.contains("slipstream_service_info{service=\"search\",owner=\"discovery\",tier=\"4\",runbook_url=\"https://runbooks.example.com/search\"} 1"),
        "{metrics}"
    );

    // The catalog, from the running instance and offline from the same file, alike.
    let url = served.url();
    let remote = bin()
        .args(["catalog", "--json", "--url", &url])
        .output()
        .unwrap();
    assert_eq!(remote.status.code(), Some(0));
    let offline = bin()
        .args(["catalog", "--json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(offline.status.code(), Some(0));
    assert_eq!(remote.stdout, offline.stdout);
    let (status, body) = http_get(served.port, "/v1/catalog").unwrap();
    assert_eq!(status, 200);
    let served_json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let printed: serde_json::Value = serde_json::from_slice(&remote.stdout).unwrap();
    assert_eq!(served_json, printed);
    assert_eq!(printed["services"][0]["service"], "checkout");
    assert_eq!(printed["services"][0]["tier_target"], 0.999);
    assert_eq!(printed["services"][0]["slos"].as_array().unwrap().len(), 4);
    let table = bin().args(["catalog", "--url", &url]).output().unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 5, "{table}");
    assert_eq!(
        rows[1][..5],
        [
            "checkout",
            "payments",
            "2",
            "payments-primary",
            "availability,latency_p99,error_rate,throughput"
        ],
        "{table}"
    );
    assert_eq!(rows[2][..4], ["search", "discovery", "4", "-"], "{table}");
}

#[test]
fn validate_strict_reviews_the_catalog_and_fails_on_any_warning() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.yaml");
    let out = bin().args(["validate", "--strict", demo]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "the demo's catalog is complete: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let gaps = dir.path().join("gaps.yaml");
    std::fs::write(
        &gaps,
        "apiVersion: slipstream/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  source: {stdin: {}}\n  decode: {format: alb}\n  services: [{name: a, tier: 1}]\n---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {name: s}\nspec: {service: a, indicators: [{name: availability, threshold: 99.9, window: 30d}]}\n",
    )
    .unwrap();
    // Valid without --strict ...
    let out = bin().arg("validate").arg(&gaps).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    // ... and three warnings with their paths with it.
    let out = bin()
        .args(["validate", "--strict"])
        .arg(&gaps)
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(64), "{err}");
    assert!(err.contains("3 warnings (--strict)"), "{err}");
    for want in [
        "document 1 (Pipeline p): spec.services[0].owner: a tier-1 service has no owner",
        "document 1 (Pipeline p): spec.services[0].runbook_url: missing, and a/availability alerts",
        "document 2 (ServiceLevelObjective s): spec.indicators[0].name: objective 99.9 % of a/availability is weaker than tier 1's target 99.95 %",
    ] {
        assert!(err.contains(want), "{want} in {err}");
    }
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64
}

const ALB_EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/alb-example.yaml");

/// Runs `slipstream explain --config ALB_EXAMPLE ARGS…` with `stdin`; (exit code, stdout, stderr).
fn explain(args: &[&str], stdin: &str) -> (Option<i32>, String, String) {
    let mut child = bin()
        .args(["explain", "--config", ALB_EXAMPLE])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn explain_a_line_given_as_an_argument() {
    let t = now_us() - MINUTE;
    let line = alb_line(t, "checkout.example.com", "/api", 503, Some((1, 118, 1)));
    let (code, out, err) = explain(&[&line], "");
    assert_eq!(code, Some(0), "{err}");
    for want in [
        "line 1: decoded (envelope none, format alb)",
        "  status      503",
        "  latency     120 ms",
        "  host        \"checkout.example.com\"",
        "  time check  ok: 1m before now",
        "  service     checkout (host \"checkout.example.com\" matches)",
        "bad: status 503 is in the bad set (5xx)",
    ] {
        assert!(out.contains(want), "{want:?} not in\n{out}");
    }
    assert_eq!(out.matches("bad: status 503").count(), 4, "{out}");

    // A selector that fails is named, with the field it saw.
    let other = alb_line(t, "shop.example.com", "/api", 200, None);
    let (code, out, _) = explain(&[&other], "");
    assert_eq!(code, Some(0));
    assert!(out.contains("NONE MATCHED"), "{out}");
    assert!(
        out.contains(r#"host "checkout.example.com" FAILS (host is "shop.example.com")"#),
        "{out}"
    );
    assert!(
        out.contains("latency     unknown: a processing time is -1"),
        "{out}"
    );

    // Too far in the future.
    let ahead = alb_line(
        now_us() + 10 * MINUTE,
        "checkout.example.com",
        "/",
        200,
        None,
    );
    let (code, out, _) = explain(&[&ahead], "");
    assert_eq!(code, Some(0));
    assert!(out.contains("TOO FAR IN THE FUTURE"), "{out}");
    assert!(out.contains("more than max_future 5m"), "{out}");
}

#[test]
fn explain_reads_stdin_and_exits_65_when_a_line_does_not_decode() {
    let t = now_us() - MINUTE;
    let good = alb_line(t, "checkout.example.com", "/api", 200, Some((1, 20, 1)));
    let (code, out, err) = explain(&["-"], &format!("{good}\n{good}\n"));
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("line 1: decoded") && out.contains("line 2: decoded"),
        "{out}"
    );
    assert!(out.contains("good: latency 22 ms ≤ 300 ms"), "{out}");

    let (code, out, _) = explain(&[], &format!("{good}\nnot a log line\n"));
    assert_eq!(code, Some(65), "{out}");
    assert!(
        out.contains("line 2: NOT DECODED (envelope none, format alb)"),
        "{out}"
    );
    assert!(
        out.contains(
            "reason      missing_fields: the line has fewer fields than the alb format requires"
        ),
        "{out}"
    );

    let (code, _, _) = explain(&["not a log line"], "");
    assert_eq!(code, Some(65));
}

#[test]
fn explain_json_is_one_object_per_line() {
    let t = now_us() - MINUTE;
    let ok = alb_line(t, "checkout.example.com", "/api", 200, None);
    let (code, out, err) = explain(&["--json", "-"], &format!("{ok}\n\"unterminated\n"));
    assert_eq!(code, Some(65), "{err}");
    let v: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(v.len(), 2, "{out}");
    let e = &v[0];
    assert_eq!(e["decoded"], true);
    assert_eq!(e["event"]["status"], 200);
    assert_eq!(e["event"]["latency_us"], serde_json::Value::Null);
    assert_eq!(e["event"]["time_us"], t);
    assert_eq!(e["time_check"]["too_future"], false);
    assert_eq!(e["service"], "checkout");
    let slos: Vec<(&str, &str, &str)> = e["slos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["slo"].as_str().unwrap(),
                s["outcome"].as_str().unwrap(),
                s["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        slos,
        [
            ("checkout/availability", "good", "good_status"),
            ("checkout/latency_p99", "excluded", "unknown_latency"),
            ("checkout/error_rate", "good", "good_status"),
            ("checkout/throughput", "good", "good_status"),
        ]
    );
    assert_eq!(v[1]["decoded"], false);
    assert_eq!(v[1]["line_number"], 2);
    assert_eq!(v[1]["error"]["stage"], "format");
    assert_eq!(v[1]["error"]["reason"], "unterminated_quote");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "kind: Pipeline\n").unwrap();
    let out = bin()
        .args(["explain", "--json", "--config"])
        .arg(&bad)
        .arg("x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("configuration error"));
}

#[test]
fn report_prints_exact_days_offline_and_from_a_running_instance_alike() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("alb.log");
    // Six whole UTC days before today, ending yesterday, a 503 in about every 20.
    let today = now_us() / DAY * DAY;
    let mut rng = Rng(21);
    let events: Vec<(i64, bool)> = (0..3_000)
        .map(|_| {
            (
                today - 6 * DAY + rng.below(6 * DAY as u64) as i64,
                rng.below(20) == 0,
            )
        })
        .collect();
    let lines: Vec<String> = events
        .iter()
        .map(|&(t, bad)| alb_line(t, "api.example.com", "/", if bad { 503 } else { 200 }, None))
        .collect();
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let config = crate::helpers::file_config(
        dir.path(),
        &log,
        "{name: availability, threshold: 95, window: 7d}",
        "",
    );
    let report = |args: &[&str]| {
        let out = bin().arg("report").args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let config_arg = config.to_str().unwrap();
    // The newest event is yesterday's, so the days reported end the day before.
    let csv = report(&[
        "--config", config_arg, "--period", "day", "--count", "3", "--format", "csv",
    ]);
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{csv}");
    for (row, k) in rows.iter().zip([4, 3, 2]) {
        let start = today - k * DAY;
        let inside = events
            .iter()
            .filter(|(t, _)| (start..start + DAY).contains(t));
        let (bad, total) = inside.fold((0, 0), |(b, n), &(_, is_bad)| {
            (b + u64::from(is_bad), n + 1)
        });
        let date = slipstream::evaluate::reports::format_day(start / DAY);
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(
            &cells[..8],
            [
                "api",
                "availability",
                &date,
                &date,
                "true",
                &(total - bad).to_string(),
                &bad.to_string(),
                &total.to_string()
            ],
            "{row}"
        );
        assert_eq!(cells[10], (bad * 100 <= 5 * total).to_string());
    }
    let offline = report(&[
        "--config", config_arg, "--period", "week", "--format", "json",
    ]);
    // The same file served by `run`: `--url` prints the same report.
    let served = crate::helpers::Running::start(&config);
    let url = served.url();
    let online = report(&["--url", &url, "--period", "week", "--format", "json"]);
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&offline).unwrap(),
        serde_json::from_str(&online).unwrap(),
    );
    assert_eq!(a, b);
    assert!(
        !a["slos"][0]["periods"].as_array().unwrap().is_empty(),
        "{a}"
    );
    // Errors: an unknown SLO is the server's 404, a wrong URL a clean failure, and no
    // source at all is a usage error.
    let out = bin()
        .args(["report", "--url", &url, "--service", "api", "--slo", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("404"));
    let out = bin()
        .args(["report", "--url", "https://127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        bin().args(["report"]).output().unwrap().status.code(),
        Some(2)
    );
}

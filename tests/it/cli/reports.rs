//! `slipstream replay` and `slipstream report`: the reports printed for log files (on any
//! number of threads, a missing file failing cleanly), and exact days offline and from a running
//! instance alike.

use std::io::Write;

use super::{ALB_EXAMPLE, bin, now_us};
use crate::helpers::{Rng, alb_line, parse_time, replay, replay_with};
use slipstream::time::{DAY, MINUTE, SECOND};

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

//! The binary's stderr and stdout when piped (the normal test situation): `--log-format json`
//! writes one JSON object per line, text logs carry no colour codes, and `replay` draws no
//! progress bar, so stdout is exactly the JSON report.

use std::io::Write;
use std::process::Command;

use serde_json::Value;

use crate::helpers::alb_line;
use slipstream::time::{MINUTE, SECOND};

/// Writes 3 000 ALB lines and one undecodable line; returns the directory holding `alb.log`.
fn log_file() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let now = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 3600)
        * SECOND;
    let mut f = std::fs::File::create(dir.path().join("alb.log")).unwrap();
    for i in 0..3000 {
        let status = if i % 100 == 0 { 502 } else { 200 };
        let t = now - 60 * MINUTE + i * SECOND;
        writeln!(
            f,
            "{}",
            alb_line(t, "checkout.example.com", "/api", status, Some((1, 20, 1)))
        )
        .unwrap();
    }
    writeln!(f, "not an access log line").unwrap();
    dir
}

fn replay(format: &str, dir: &tempfile::TempDir) -> std::process::Output {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/config/alb-example.yaml");
    let out = Command::new(env!("CARGO_BIN_EXE_slipstream"))
        .args(["--log-format", format, "replay", "--config", config])
        .arg(dir.path().join("alb.log"))
        .env_remove("SLIPSTREAM_LOG_FORMAT")
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Stdout is the report and nothing else: no progress bar, no carriage returns or escapes.
fn report_only(out: &std::process::Output) {
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        !stdout.contains('\r') && !stdout.contains('\u{1b}'),
        "{stdout:?}"
    );
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let slo = &report["slos"][0];
    assert_eq!(slo["service"], "checkout");
    assert!(slo["budget"]["total"].as_u64().unwrap() >= 2999);
}

#[test]
fn log_format_json_writes_json_lines_and_replay_stays_quiet_when_piped() {
    let dir = log_file();
    let out = replay("json", &dir);
    report_only(&out);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        !stderr.contains('\r'),
        "progress noise on stderr: {stderr:?}"
    );
    let events: Vec<Value> = stderr
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: not JSON: {l}")))
        .collect();
    assert!(!events.is_empty());
    for e in &events {
        assert!(e["timestamp"].is_string() && e["level"].is_string(), "{e}");
        assert!(e["fields"]["message"].is_string(), "{e}");
    }
    let warning = events
        .iter()
        .find(|e| e["fields"]["message"] == "skipping undecodable line")
        .unwrap_or_else(|| panic!("no decode warning in {stderr}"));
    assert_eq!(warning["level"], "WARN");
    assert_eq!(warning["fields"]["line"], "not an access log line");
}

#[test]
fn text_logs_have_no_colour_codes_when_piped() {
    let dir = log_file();
    let out = replay("auto", &dir);
    report_only(&out);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("skipping undecodable line"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(
        stderr
            .lines()
            .all(|l| serde_json::from_str::<Value>(l).is_err())
    );
}

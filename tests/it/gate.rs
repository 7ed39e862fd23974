//! The deploy gate as a CI step runs it: `slipstream gate --url … --service S` against a
//! running instance, its exit code (0 ship, 10 blocked, 11 needs approval, 1 error, 2 usage)
//! and its text and JSON, for budgets set by the events written here.

use std::process::Command;

use crate::helpers::{Running, alb_line};
use slipstream::time::{DAY, HOUR, SECOND};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_slipstream"))
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64
}

/// Today's weekday name in UTC.
fn today() -> &'static str {
    let day = now_us().div_euclid(DAY);
    [
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
    ][day.rem_euclid(7) as usize]
}

fn config(log: &std::path::Path) -> String {
    let services = ["api", "pay", "web", "frozen", "quiet"];
    let mut yaml = format!(
        "apiVersion: slipstream/v1\nkind: Pipeline\nmetadata: {{name: gate}}\nspec:\n  source: {{file: {{paths: [{}], follow: false}}}}\n  decode: {{format: alb}}\n  services:\n",
        log.display()
    );
    for s in services {
        yaml += &format!("    - {{name: {s}, match: {{host: {s}.example.com}}}}\n");
    }
    for s in services {
        yaml += &format!(
            "---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {{name: {s}}}\nspec:\n  service: {s}\n  indicators: [{{name: availability, threshold: 99, window: 30d}}]\n"
        );
    }
    // Calendar rules that do not depend on the day the test runs, but for `quiet`, whose
    // quiet day is today.
    let freeze_start = slipstream::time::format_rfc3339(now_us() - DAY);
    let freeze_end = slipstream::time::format_rfc3339(now_us() + DAY);
    for (s, gate) in [
        ("api", "{quiet_days: null}".to_string()),
        ("pay", "{quiet_days: null}".to_string()),
        ("web", "{quiet_days: null}".to_string()),
        (
            "frozen",
            format!(
                "{{quiet_days: null, freezes: [{{start: \"{}\", end: \"{}\", reason: peak season}}]}}",
                &freeze_start[..19],
                &freeze_end[..19]
            ),
        ),
        (
            "quiet",
            format!(
                "{{quiet_days: {{days: [{}], from_tier: caution, time_zone: UTC}}}}",
                today()
            ),
        ),
    ] {
        yaml += &format!(
            "---\napiVersion: reliability/v1\nkind: ErrorBudgetPolicy\nmetadata: {{name: {s}}}\nspec:\n  service: {s}\n  gate: {gate}\n"
        );
    }
    yaml
}

#[test]
fn the_gate_exits_0_10_or_11_as_a_ci_step_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("alb.log");
    // 1,000 requests each over the last two hours; the bad ones set the budget left at 99 %:
    // api 1 bad (90 % left: normal), pay 8 (20 %: slow_down), web 20 (-100 %: exhausted),
    // frozen 1 (normal, but frozen), quiet 5 (50 %: caution, on its quiet day).
    let now = now_us();
    let mut lines = Vec::new();
    for (s, bad) in [
        ("api", 1),
        ("pay", 8),
        ("web", 20),
        ("frozen", 1),
        ("quiet", 5),
    ] {
        for i in 0..1000 {
            let t = now - 2 * HOUR + i * SECOND;
            let status = if i < bad { 503 } else { 200 };
            lines.push(alb_line(t, &format!("{s}.example.com"), "/", status, None));
        }
    }
    // A request of no service an hour later sets the evaluation time past all of them.
    lines.push(alb_line(now - HOUR, "nobody.test", "/", 200, None));
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let config_path = dir.path().join("c.yaml");
    std::fs::write(&config_path, config(&log)).unwrap();
    let run = Running::start(&config_path);
    let url = run.url();
    let gate = |args: &[&str]| {
        let out = bin()
            .args(["gate", "--url", &url])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, text, _) = gate(&["--service", "api"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.starts_with("SHIP: api/availability is in normal: 90.0 % of its budget left"),
        "{text}"
    );
    assert!(
        text.contains("tier normal · budget left 90.0 % · decided by api/availability"),
        "{text}"
    );
    let (code, text, _) = gate(&["--service", "pay"]);
    assert_eq!(code, Some(11), "{text}");
    assert!(
        text.starts_with("NEEDS APPROVAL: pay/availability is in slow_down: 20.0 %"),
        "{text}"
    );
    let (code, text, _) = gate(&["--service", "web"]);
    assert_eq!(code, Some(10), "{text}");
    assert!(
        text.contains("is in exhausted: -100.0 % of its budget left"),
        "{text}"
    );
    let (code, text, _) = gate(&["--service", "frozen"]);
    assert_eq!(code, Some(10), "{text}");
    assert!(text.starts_with("BLOCKED: freeze until "), "{text}");
    assert!(text.contains(": peak season"), "{text}");
    let (code, text, _) = gate(&["--service", "quiet"]);
    assert_eq!(code, Some(10), "{text}");
    assert!(
        text.contains("from caution down: quiet/availability is in caution, 50.0 %"),
        "{text}"
    );
    // An override ships and says what the rules said, in the JSON a CI step can keep.
    let (code, json, _) = gate(&["--service", "web", "--override", "hotfix INC-7", "--json"]);
    assert_eq!(code, Some(0), "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["overridden"], true);
    assert_eq!(v["rules_decision"], "blocked");
    assert_eq!(v["override_reason"], "hotfix INC-7");
    assert_eq!(v["exit_code"], 0);
    assert_eq!(v["slo"], "web/availability");
    // The same instance tells what the last two hours cost `pay`, as a postmortem's section.
    let range = [
        "--start",
        &slipstream::time::format_rfc3339(now - 2 * HOUR - SECOND),
        "--end",
        &slipstream::time::format_rfc3339(now - HOUR),
    ];
    let impact = |slo: &str, extra: &[&str]| {
        let out = bin()
            .args(["impact", "--url", &url, "--service", "pay", "--slo", slo])
            .args(range)
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, md, err) = impact("availability", &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(md.starts_with("### Impact"), "{md}");
    assert!(md.contains("| Requests | 1,000 (8 failed) |"), "{md}");
    assert!(md.contains("| Error ratio | 0.80 % |"), "{md}");
    let (_, json, _) = impact("availability", &["--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (v["events"].as_u64(), v["bad"].as_u64()),
        (Some(1000), Some(8)),
        "{v}"
    );
    assert_eq!(impact("nope", &[]).0, Some(1));

    // Errors are 1, usage is 2: a CI step tells "no" from "broken".
    let (code, _, err) = gate(&["--service", "nobody"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("404"), "{err}");
    let out = bin()
        .args(["gate", "--url", "http://127.0.0.1:1", "--service", "api"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        bin()
            .args(["gate", "--url", &url])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}

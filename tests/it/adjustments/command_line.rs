//! `slipstream adjustments` against a running instance: it lists what was counted apart, and
//! declares and deletes windows.

use serde_json::Value;

use super::{adjustment, lines, named, now};
use slipstream::time::{HOUR, MINUTE, SECOND, format_rfc3339};

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

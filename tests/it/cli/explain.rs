//! `slipstream explain`: a line given as an argument or on stdin (exit code 65 when one does not
//! decode), and `--json`, one object per line.

use std::io::Write;
use std::process::Stdio;

use super::{ALB_EXAMPLE, bin, now_us};
use crate::helpers::alb_line;
use slipstream::time::MINUTE;

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

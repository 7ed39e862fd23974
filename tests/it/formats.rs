//! Compiled log formats through the whole binary: `replay` of ingress-nginx lines under the
//! `ingress_nginx` preset counts exactly what the lines say, computed here independently,
//! and lines of another layout are decode errors, not events.

use std::io::Write;
use std::process::Command;

use slipstream::time::SECOND;

/// `[dd/Mon/yyyy:hh:mm:ss +0000]` of `t_us`.
fn time_local(t_us: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = t_us / SECOND;
    let (y, m, d) = slipstream::time::civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{d:02}/{}/{y:04}:{:02}:{:02}:{:02} +0000",
        MONTHS[m as usize - 1],
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

#[test]
fn replay_counts_ingress_nginx_lines_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ingress.yaml");
    std::fs::write(
        &config,
        r#"apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: ingress}
spec:
  source: {stdin: {}}
  decode: {format: nginx, nginx: {preset: ingress_nginx}}
  services:
    - {name: users, match: {backend: default-users-8080}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: users-slo}
spec:
  service: users
  indicators:
    - {name: availability, threshold: 99.9, window: 28d}
    - {name: latency_p99, threshold: "100ms", window: 28d}
"#,
    )
    .unwrap();
    let start = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 3600)
        * SECOND;
    let log = dir.path().join("access.log");
    let mut f = std::fs::File::create(&log).unwrap();
    let (mut total, mut bad, mut latency_total, mut latency_bad) = (0, 0, 0, 0);
    let n = 400;
    for i in 0..n {
        let t = start + i * SECOND;
        let status = [200, 200, 201, 404, 502, 504, 200, 499][i as usize % 8];
        // Request times of 1 to 180 ms; every ninth request tried two upstreams.
        let request_ms = 1 + (i * 37) % 180;
        let (addrs, times, statuses) = if i % 9 == 0 {
            (
                "10.244.0.12:8080, 10.244.0.13:8080",
                format!("0.001, {}.{:03}", request_ms / 1000, request_ms % 1000),
                format!("502, {status}"),
            )
        } else {
            (
                "10.244.0.12:8080",
                format!("{}.{:03}", request_ms / 1000, request_ms % 1000),
                status.to_string(),
            )
        };
        writeln!(
            f,
            r#"192.168.49.1 - - [{}] "GET /api/v1/users/{i}?full=1 HTTP/2.0" {status} 312 "-" "Go-http-client/2.0" 462 {}.{:03} [default-users-8080] [] {addrs} 312 {times} {statuses} {i:032x}"#,
            time_local(t),
            request_ms / 1000,
            request_ms % 1000
        )
        .unwrap();
        // The newest second is not complete yet: the evaluation ends at it.
        if i < n - 1 {
            let is_bad = status >= 500;
            total += 1;
            bad += i64::from(is_bad);
            // A 499 (the client went away) has its request time: it is a latency like any.
            latency_total += 1;
            latency_bad += i64::from(is_bad || request_ms > 100);
        }
        // Lines of other layouts are decode errors, not events.
        if i % 50 == 0 {
            writeln!(
                f,
                r#"192.168.49.1 - - [{}] "GET / HTTP/1.1" 500 1 "-" "-" "203.0.113.9""#,
                time_local(t)
            )
            .unwrap();
        }
    }
    drop(f);
    let out = Command::new(env!("CARGO_BIN_EXE_slipstream"))
        .args(["replay", "--config"])
        .arg(&config)
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let slo = |name: &str| {
        v["slos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["slo"] == name)
            .unwrap_or_else(|| panic!("no {name} in {v}"))
            .clone()
    };
    let availability = slo("availability");
    assert_eq!(
        (
            &availability["budget"]["total"],
            &availability["budget"]["bad"]
        ),
        (&total.into(), &bad.into())
    );
    let latency = slo("latency_p99");
    assert_eq!(
        (&latency["budget"]["total"], &latency["budget"]["bad"]),
        (&latency_total.into(), &latency_bad.into())
    );
}

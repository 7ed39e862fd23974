//! Compiled log formats through the whole binary: `replay` of ingress-nginx lines under the
//! `ingress_nginx` preset and of Istio lines under the `istio` preset counts exactly what
//! the lines say, computed here independently, and lines of another layout are decode
//! errors, not events.

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

/// `replay` of `lines` under `config`: the report.
fn replay(config: &str, lines: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let (path, log) = (dir.path().join("c.yaml"), dir.path().join("access.log"));
    std::fs::write(&path, config).unwrap();
    std::fs::write(&log, lines).unwrap();
    crate::helpers::replay(&path, &log)
}

/// The budget `(total, bad)` of SLO `name` in a report.
fn budget(report: &serde_json::Value, name: &str) -> (i64, i64) {
    let slo = report["slos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["slo"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report}"));
    let b = &slo["budget"];
    (b["total"].as_i64().unwrap(), b["bad"].as_i64().unwrap())
}

#[test]
fn replay_counts_istio_lines_exactly() {
    let config = r#"apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: mesh}
spec:
  source: {stdin: {}}
  decode: {format: envoy, envoy: {preset: istio}}
  services:
    - {name: orders, match: {backend: "outbound|8080||orders.shop.svc.cluster.local"}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: orders-slo}
spec:
  service: orders
  indicators:
    - {name: availability, threshold: 99.9, window: 28d}
    - {name: latency_p99, threshold: "100ms", window: 28d}
"#;
    let start_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 3600;
    let (mut lines, mut total, mut bad, mut latency_total, mut latency_bad) =
        (String::new(), 0, 0, 0, 0);
    let n = 300i64;
    for i in 0..n {
        // Start times 300 ms into each second, durations up to 600 ms: the event time is
        // start + duration, so some events land in the next second.
        let duration_ms = (i * 53) % 600;
        let start_ms = (start_s + i) * 1000 + 300;
        let (code, flags, details) = match i % 10 {
            0 => (503, "UH", "no_healthy_upstream"),
            1 => (
                503,
                "UF",
                "upstream_reset_before_response_started{connection_failure}",
            ),
            2 => (0, "DC", "downstream_remote_disconnect"),
            _ => (200, "-", "via_upstream"),
        };
        let time = slipstream::time::format_rfc3339(start_ms * 1000);
        let time = format!("{}Z", &time[..23]);
        // User agents with quotes: Envoy escapes nothing.
        let agent = if i % 7 == 0 {
            r#"Mozilla/5.0 "quoted" " ""#
        } else {
            "curl/8.5.0"
        };
        lines.push_str(&format!(
            r#"[{time}] "GET /api/v1/orders/{i}?x=1 HTTP/1.1" {code} {flags} {details} - "-" 0 120 {duration_ms} - "203.0.113.7" "{agent}" "id-{i}" "orders.shop:8080" "10.244.1.9:8080" outbound|8080||orders.shop.svc.cluster.local 10.244.0.5:48812 10.244.1.9:8080 10.244.0.5:40002 - default"#
        ));
        lines.push('\n');
        if i % 40 == 0 {
            // Envoy's default layout is not Istio's: a decode error, not an event.
            lines.push_str(&format!(
                r#"[{time}] "GET / HTTP/1.1" 500 - 0 0 1 - "-" "-" "-" "orders.shop" "-""#
            ));
            lines.push('\n');
        }
    }
    // The newest event ends the evaluation: events from its second on are not in it.
    let end_ms = (0..n)
        .map(|i| (start_s + i) * 1000 + 300 + (i * 53) % 600)
        .max()
        .unwrap();
    let end_ms = end_ms - end_ms % 1000;
    for i in 0..n {
        let (duration_ms, code) = ((i * 53) % 600, [503, 503, 0, 200][(i % 10).min(3) as usize]);
        if (start_s + i) * 1000 + 300 + duration_ms >= end_ms {
            continue;
        }
        total += 1;
        bad += i64::from(code >= 500);
        // Status 0 has no latency and a good status: out of the latency SLI.
        if code != 0 {
            latency_total += 1;
            latency_bad += i64::from(code >= 500 || duration_ms > 100);
        }
    }
    let report = replay(config, &lines);
    assert_eq!(budget(&report, "availability"), (total, bad));
    assert_eq!(budget(&report, "latency_p99"), (latency_total, latency_bad));
}

#[test]
fn replay_counts_ingress_nginx_lines_exactly() {
    let config = r#"apiVersion: slipstream/v1
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
"#;
    let start = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 3600)
        * SECOND;
    let mut lines = String::new();
    let (mut total, mut bad, mut latency_total, mut latency_bad) = (0, 0, 0, 0);
    let n = 400;
    for i in 0..n {
        let t = start + i * SECOND;
        let status = [200, 200, 201, 404, 502, 504, 200, 499][i as usize % 8];
        // Request times of 1 to 180 ms; every ninth request tried two upstreams.
        let request_ms = 1 + (i * 37) % 180;
        let seconds = |ms: i64| format!("{}.{:03}", ms / 1000, ms % 1000);
        let (addrs, times, statuses) = if i % 9 == 0 {
            (
                "10.244.0.12:8080, 10.244.0.13:8080",
                format!("0.001, {}", seconds(request_ms)),
                format!("502, {status}"),
            )
        } else {
            ("10.244.0.12:8080", seconds(request_ms), status.to_string())
        };
        lines.push_str(&format!(
            "192.168.49.1 - - [{}] \"GET /api/v1/users/{i}?full=1 HTTP/2.0\" {status} 312 \"-\" \"Go-http-client/2.0\" 462 {} [default-users-8080] [] {addrs} 312 {times} {statuses} {i:032x}\n",
            time_local(t),
            seconds(request_ms),
        ));
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
            lines.push_str(&format!(
                "192.168.49.1 - - [{}] \"GET / HTTP/1.1\" 500 1 \"-\" \"-\" \"203.0.113.9\"\n",
                time_local(t)
            ));
        }
    }
    let report = replay(config, &lines);
    assert_eq!(budget(&report, "availability"), (total, bad));
    assert_eq!(budget(&report, "latency_p99"), (latency_total, latency_bad));
}

/// A CloudFront standard log line (33 tab-separated fields, as its `#Fields:` header below
/// declares) at `t_us` for `host`, with `status` and `time-taken` in ms.
fn cloudfront_line(t_us: i64, host: &str, status: u16, taken_ms: i64) -> String {
    let stamp = slipstream::time::format_rfc3339(t_us);
    let taken = format!("{}.{:03}", taken_ms / 1000, taken_ms % 1000);
    let status = format!("{status:03}");
    [
        &stamp[..10],
        &stamp[11..19],
        "FRA56-P1",
        "1045",
        "198.51.100.24",
        "GET",
        "d111111abcdef8.cloudfront.net",
        "/products/42",
        &status,
        "-",
        "Mozilla/5.0%20(X11;%20Linux%20x86_64)",
        "-",
        "-",
        "Miss",
        "cQnm7Vd8u2h3I9RkGQ4WJX8sZ0hR1dF0Q2vB_yoMR3o2bKQ7s9xLg==",
        host,
        "https",
        "157",
        &taken,
        "-",
        "TLSv1.3",
        "TLS_AES_128_GCM_SHA256",
        "Miss",
        "HTTP/2.0",
        "-",
        "-",
        "51832",
        &taken,
        "Miss",
        "application/json",
        "812",
        "-",
        "-",
    ]
    .join("\t")
}

const CLOUDFRONT_HEADER: &str = "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end\n";

/// The header of a followed CloudFront log is state of its file: checkpointed with the
/// position, so after a SIGKILL the restarted binary reads the lines appended after it by
/// the header it saw before the kill (exact counts, no decode errors).
#[test]
fn a_followed_cloudfront_log_keeps_its_header_across_a_kill() {
    use crate::cli::{free_port, http_get};
    use crate::crash::Instance;
    use std::io::Write;

    let dir = tempfile::tempdir().unwrap();
    let (log, config) = (dir.path().join("cf.log"), dir.path().join("c.yaml"));
    std::fs::write(
        &config,
        format!(
            r#"apiVersion: slipstream/v1
kind: Pipeline
metadata: {{name: cdn}}
spec:
  source: {{file: {{paths: ["{}"], follow: true}}}}
  decode: {{format: w3c, w3c: {{preset: cloudfront}}}}
  checkpoint: {{dir: "{}", interval: 200ms}}
  services: [{{name: shop, match: {{host: shop.example.com}}}}]
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {{name: shop-slo}}
spec:
  service: shop
  indicators:
    - {{name: availability, threshold: 99.9, window: 1h}}
    - {{name: latency_p99, threshold: "250ms", window: 1h}}
"#,
            log.display(),
            dir.path().join("state").display()
        ),
    )
    .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let start = (now - 600) * SECOND;
    // (second, status, time-taken ms): before the kill, then appended after it; the last
    // line's second is the evaluation's end, so it is not counted yet.
    let before = [
        (0, 200, 12),
        (1, 503, 40),
        (2, 200, 300),
        (3, 000, 1),
        (4, 200, 80),
    ];
    let after = [(5, 200, 251), (6, 502, 9), (7, 200, 20), (8, 200, 5)];
    let text = |lines: &[(i64, u16, i64)]| -> String {
        lines
            .iter()
            .map(|&(s, status, ms)| {
                cloudfront_line(start + s * SECOND, "shop.example.com", status, ms) + "\n"
            })
            .collect()
    };
    std::fs::write(&log, format!("{CLOUDFRONT_HEADER}{}", text(&before))).unwrap();
    let metric = |i: &Instance, name: &str| i.metric_sum(name).unwrap_or(0);
    let port = free_port();
    let first = Instance::start(&config, port);
    crate::kafka::wait_for(60, "the first lines and a checkpoint after them", || {
        metric(&first, "slipstream_lines_total{") == 7
            && metric(&first, "slipstream_format_directives_total{") == 2
            && metric(&first, "slipstream_checkpoints_total{result=\"ok\"}") >= 2
    });
    first.kill();

    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(text(&after).as_bytes())
        .unwrap();
    let port = free_port();
    let second = Instance::start(&config, port);
    crate::kafka::wait_for(60, "the appended lines", || {
        metric(&second, "slipstream_lines_total{") == 11
    });
    assert_eq!(metric(&second, "slipstream_decode_errors_total{"), 0);
    assert_eq!(metric(&second, "slipstream_format_directives_total{"), 2);
    let (status, body) = http_get(port, "/v1/slos").unwrap();
    assert_eq!(status, 200, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    // Counted: every line but the last. Status 000 (the viewer left) is no server error and
    // has no latency.
    let counted = before.iter().chain(&after[..3]);
    let total = counted.clone().count() as i64;
    let bad = counted.clone().filter(|l| l.1 >= 500).count() as i64;
    let latency: Vec<_> = counted.filter(|l| l.1 != 0).collect();
    let latency_bad = latency.iter().filter(|l| l.1 >= 500 || l.2 > 250).count() as i64;
    assert_eq!(budget(&report, "availability"), (total, bad));
    assert_eq!(
        budget(&report, "latency_p99"),
        (latency.len() as i64, latency_bad)
    );
}

use super::text::span;
use super::*;
use crate::config;
use crate::time::{DAY, HOUR, MINUTE, SECOND};

const CONFIG: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: edge}
spec:
  source: {stdin: {}}
  decode: {envelope: json, format: alb}
  window: {max_future: 5m}
  services:
    - name: checkout
      match: {host: checkout.example.com}
    - name: admin
      match: {host: "*.example.com", path_prefix: /admin/, method: POST}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: checkout-slo}
spec:
  service: checkout
  indicators:
    - {name: availability, threshold: 99.9, window: 30d}
    - {name: latency_p99, threshold: "300ms", window: 7d}
"#;

/// 2026-11-20T12:00:00Z.
const NOON: i64 = 1_795_176_000 * SECOND;

fn explainer() -> Explainer {
    Explainer::new(&config::parse(CONFIG, "test.yaml").unwrap_or_else(|e| panic!("{e}")))
}

/// An ALB line at 12:00:00.25 wrapped in a Vector envelope (escaped quotes and all).
fn alb(kind: &str, status: u16, timings: &str, host: &str, method: &str, path: &str) -> String {
    let line = format!(
        r#"{kind} 2026-11-20T12:00:00.250000Z app/lb/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 {timings} {status} {status} 34 366 "{method} https://{host}:443{path}?q=1 HTTP/1.1" "curl/8" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/checkout-tg/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "{host}" "-" 0 2026-11-20T12:00:00.000000Z "forward" "-" "-" "10.0.0.1:80" "{status}" "-" "-" TID_1"#
    );
    serde_json::json!({"message": line, "timestamp": "2026-11-20T12:00:09Z"}).to_string()
}

fn checkout(status: u16, timings: &str) -> String {
    alb(
        "https",
        status,
        timings,
        "checkout.example.com",
        "GET",
        "/api/cart",
    )
}

fn verdicts(x: &Explanation) -> Vec<(&str, &str, &str, &str)> {
    x.slos
        .iter()
        .map(|v| (v.slo.as_str(), v.outcome, v.reason, v.message.as_str()))
        .collect()
}

#[test]
fn a_good_line_is_good_for_every_slo() {
    let x = explainer().explain(1, checkout(200, "0.001 0.118 0.001").as_bytes(), NOON);
    assert!(x.decoded);
    assert_eq!(x.error, None);
    let e = x.event.as_ref().unwrap();
    assert_eq!(e.time, "2026-11-20T12:00:00.250000Z");
    assert_eq!(e.time_us, NOON + 250_000);
    assert_eq!((e.status, e.latency_us), (200, Some(120_000)));
    assert_eq!(e.latency_unknown_reason, None);
    assert_eq!(
        (e.method.as_str(), e.host.as_str(), e.path.as_str()),
        ("GET", "checkout.example.com", "/api/cart")
    );
    assert!(
        e.backend
            .ends_with("targetgroup/checkout-tg/73e2d6bc24d8a067")
    );
    assert!(!e.long_lived);
    assert!(
        e.line.starts_with("https 2026-11-20T12:00:00.250000Z"),
        "{}",
        e.line
    );
    let t = x.time_check.as_ref().unwrap();
    assert_eq!((t.ahead_us, t.too_future), (250_000, false));
    assert_eq!(x.service.as_deref(), Some("checkout"));
    assert_eq!(
        verdicts(&x),
        [
            (
                "checkout/availability",
                "good",
                "good_status",
                "good: status 200 is not in the bad set (5xx)"
            ),
            (
                "checkout/latency_p99",
                "good",
                "within_threshold",
                "good: latency 120 ms ≤ 300 ms"
            ),
        ]
    );
    let text = x.to_string();
    for want in [
        "line 1: decoded (envelope json, format alb)",
        "event time  2026-11-20T12:00:00.250000Z (1795176000250000 µs)",
        "latency     120 ms",
        "time check  ok: 250 ms ahead of now (2026-11-20T12:00:00Z)",
        r#"service     checkout (host "checkout.example.com" matches)"#,
        "    checkout/availability (availability)  good: status 200 is not in the bad set (5xx)",
        "    checkout/latency_p99 (latency)        good: latency 120 ms ≤ 300 ms",
    ] {
        assert!(text.contains(want), "{want:?} not in\n{text}");
    }
}

#[test]
fn a_5xx_line_is_bad_and_slow_when_its_latency_is_unknown() {
    let x = explainer().explain(1, checkout(503, "-1 -1 -1").as_bytes(), NOON);
    let e = x.event.as_ref().unwrap();
    assert_eq!(e.latency_us, None);
    assert!(e.latency_unknown_reason.as_deref().unwrap().contains("-1"));
    assert_eq!(
        verdicts(&x),
        [
            (
                "checkout/availability",
                "bad",
                "bad_status",
                "bad: status 503 is in the bad set (5xx)"
            ),
            (
                "checkout/latency_p99",
                "bad",
                "bad_status",
                "bad: status 503 is in the bad set (5xx); with its latency unknown, a failed \
                 request counts as slow"
            ),
        ]
    );
    let slow = explainer().explain(1, checkout(200, "0.000 0.300 0.001").as_bytes(), NOON);
    assert_eq!(slow.slos[1].message, "bad: latency 301 ms > 300 ms");
    let edge = explainer().explain(1, checkout(200, "0.000 0.299 0.001").as_bytes(), NOON);
    assert_eq!(edge.slos[1].message, "good: latency 300 ms ≤ 300 ms");
}

#[test]
fn unknown_latency_with_a_good_status_and_websockets_are_left_out_of_latency() {
    let x = explainer().explain(1, checkout(200, "-1 -1 -1").as_bytes(), NOON);
    assert_eq!(x.slos[0].outcome, "good");
    assert_eq!(
        (
            x.slos[1].outcome,
            x.slos[1].reason,
            x.slos[1].message.as_str()
        ),
        (
            "excluded",
            "unknown_latency",
            "excluded from latency SLI: latency unknown and status 200 is good"
        )
    );
    assert!(
        x.to_string()
            .contains("latency     unknown: a processing time is -1")
    );
    let ws = alb(
        "wss",
        101,
        "0.001 95.000 0.000",
        "checkout.example.com",
        "GET",
        "/",
    );
    let x = explainer().explain(1, ws.as_bytes(), NOON);
    assert!(x.event.as_ref().unwrap().long_lived);
    assert_eq!(
        (x.slos[1].outcome, x.slos[1].reason),
        ("excluded", "long_lived")
    );
    assert!(x.slos[1].message.contains("ws/wss connection"));
}

#[test]
fn an_unmatched_line_shows_the_failing_selectors() {
    let line = alb(
        "https",
        200,
        "0 0 0",
        "shop.example.com",
        "GET",
        "/admin/users",
    );
    let x = explainer().explain(1, line.as_bytes(), NOON);
    assert!(x.decoded);
    assert_eq!(x.service, None);
    assert!(x.slos.is_empty());
    let admin = &x.services[1];
    assert!(!admin.matches);
    let results: Vec<_> = admin
        .selectors
        .iter()
        .map(|s| (s.selector, s.pattern.as_str(), s.value.as_str(), s.matched))
        .collect();
    assert_eq!(
        results,
        [
            ("host", "*.example.com", "shop.example.com", true),
            ("path_prefix", "/admin/", "/admin/users", true),
            ("method", "POST", "GET", false),
        ]
    );
    assert!(!x.services[0].matches);
    let text = x.to_string();
    for want in [
        "NONE MATCHED: the event is counted as unmatched",
        r#"checkout  host "checkout.example.com" FAILS (host is "shop.example.com")"#,
        r#"method "POST" FAILS (method is "GET")"#,
    ] {
        assert!(text.contains(want), "{want:?} not in\n{text}");
    }
}

#[test]
fn undecodable_lines_say_which_stage_failed_and_why() {
    let x = explainer().explain(3, b"not json at all", NOON);
    assert!(!x.decoded);
    assert_eq!(x.event, None);
    let err = x.error.as_ref().unwrap();
    assert_eq!((err.stage, err.reason), ("envelope", "bad_envelope"));
    assert!(err.message.contains("`message`"), "{}", err.message);

    let bad_time = checkout(200, "0 0 0").replace("2026-11-20T12:00:00.250000Z", "yesterday");
    let x = explainer().explain(4, bad_time.as_bytes(), NOON);
    let err = x.error.as_ref().unwrap();
    assert_eq!((err.stage, err.reason), ("format", "bad_time"));
    assert_eq!(err.message, "the timestamp is not a valid alb event time");
    let text = x.to_string();
    assert!(
        text.starts_with("line 4: NOT DECODED (envelope json, format alb)"),
        "{text}"
    );
    assert!(
        text.contains("bad_time: the timestamp is not a valid alb event time"),
        "{text}"
    );

    let short = serde_json::json!({"message": "https 2026-11-20T12:00:00Z app/lb"}).to_string();
    let x = explainer().explain(1, short.as_bytes(), NOON);
    assert_eq!(x.error.unwrap().reason, "missing_fields");
}

#[test]
fn events_beyond_max_future_are_flagged() {
    let x = explainer().explain(1, checkout(200, "0 0 0").as_bytes(), NOON - 6 * MINUTE);
    let t = x.time_check.as_ref().unwrap();
    assert_eq!(
        (t.ahead_us, t.max_future_us),
        (6 * MINUTE + 250_000, 5 * MINUTE)
    );
    assert!(t.too_future);
    assert!(
        x.to_string().contains(
            "TOO FAR IN THE FUTURE: 6m ahead of now (2026-11-20T11:54:00Z), more than max_future 5m"
        ),
        "{x}"
    );
    let exactly = explainer().explain(
        1,
        checkout(200, "0 0 0").as_bytes(),
        NOON + 250_000 - 5 * MINUTE,
    );
    assert!(
        !exactly.time_check.unwrap().too_future,
        "the bound is inclusive"
    );
}

#[test]
fn many_lines_skip_blanks_count_failures_and_print_json_lines() {
    let input = format!(
        "{}\n\n{}\r\nbroken\n",
        checkout(200, "0 0 0"),
        checkout(502, "0 0 0")
    );
    let mut out = Vec::new();
    let failed = explainer()
        .explain_all(input.as_bytes(), true, NOON, &mut out)
        .unwrap();
    assert_eq!(failed, 1);
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["line_number"], 1);
    assert_eq!(lines[1]["line_number"], 3);
    assert_eq!(lines[1]["slos"][0]["outcome"], "bad");
    assert_eq!(lines[2]["line_number"], 4);
    assert_eq!(lines[2]["decoded"], false);
    assert_eq!(lines[2]["error"]["reason"], "bad_envelope");
}

#[test]
fn milliseconds_and_spans_read_well() {
    assert_eq!(ms(120_000), "120 ms");
    assert_eq!(ms(500), "0.5 ms");
    assert_eq!(ms(1_000_001), "1000.001 ms");
    assert_eq!(ms(0), "0 ms");
    assert_eq!(span(250_000), "250 ms");
    assert_eq!(span(4_200_000), "4.2s");
    assert_eq!(span(-(12 * MINUTE + 3 * SECOND)), "12m 3s");
    assert_eq!(span(2 * HOUR), "2h");
    assert_eq!(span(3 * DAY + 4 * HOUR + 5 * MINUTE), "3d 4h");
}

#[test]
fn a_compiled_format_is_shown_and_a_line_that_does_not_fit_says_where() {
    let config = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: ingress}
spec:
  source: {stdin: {}}
  decode: {format: nginx, nginx: {preset: ingress_nginx}}
  services:
    - {name: users, match: {backend: default-users-8080}}
"#;
    let x = Explainer::new(&config::parse(config, "test.yaml").unwrap());
    let good = r#"192.168.49.1 - - [21/Nov/2026:10:00:02 +0000] "GET /api/v1/users/7 HTTP/2.0" 200 312 "-" "Go-http-client/2.0" 462 0.050 [default-users-8080] [] 10.244.0.12:8080 312 0.049 200 9f1c2b7e"#;
    let bad = good.replace(" 0.050 ", " 0.05 ");
    let input = format!("{good}\n{bad}\n");
    let mut out = Vec::new();
    let failed = x
        .explain_all(input.as_bytes(), false, NOON, &mut out)
        .unwrap();
    assert_eq!(failed, 1);
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out.matches("format nginx, compiled:").count(), 1, "{out}");
    for want in [
        "  $request_time                      seconds with three decimals    gives latency\n",
        "  $proxy_upstream_name               a token without spaces         gives backend\n",
        "  $request_length                    a token without spaces         skipped\n",
        "  latency     50 ms\n",
        "  reason      bad_latency: at $request_time (seconds with three decimals), byte",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    let x = x.explain(2, bad.as_bytes(), NOON);
    let error = x.error.unwrap();
    assert_eq!((error.stage, error.reason), ("format", "bad_latency"));
    assert!(
        error.message.ends_with("not seconds with three decimals"),
        "{}",
        error.message
    );
    assert_eq!(x.format_fields.len(), 17);
    assert_eq!(x.format_fields[2].variable, "$time_local");
    assert_eq!(x.format_fields[2].gives, "time");
}

/// An explainer of `decode` (a `spec.decode` block) for the checkout service by host.
fn explainer_of(decode: &str) -> Explainer {
    let text = CONFIG.replace(
        "decode: {envelope: json, format: alb}",
        &format!("decode: {decode}"),
    );
    Explainer::new(&config::parse(&text, "test.yaml").unwrap_or_else(|e| panic!("{e}")))
}

#[test]
fn a_w3c_file_is_explained_under_its_header() {
    let x = explainer_of("{format: w3c, w3c: {preset: iis}}");
    let input = "#Software: Microsoft Internet Information Services 10.0\n\
        2026-11-20 12:00:00 GET /api/cart 200 12\n\
        #Fields: date time cs-method cs-uri-stem sc-status time-taken cs-host\n\
        2026-11-20 12:00:00 GET /api/cart 200 12 checkout.example.com\n";
    let mut out = Vec::new();
    let failed = x
        .explain_all(input.as_bytes(), true, NOON, &mut out)
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The line before the header is the only failure; the directives are not failures.
    assert_eq!(failed, 1);
    let kinds: Vec<_> = lines
        .iter()
        .map(|l| (l["directive"].is_string(), l["decoded"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [(true, false), (false, false), (true, false), (false, true)]
    );
    assert!(
        lines[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no #Fields: directive"),
        "{}",
        lines[1]
    );
    assert_eq!(lines[3]["service"], "checkout");
    assert_eq!(lines[3]["event"]["latency_us"], 12_000);
}

#[test]
fn an_otlp_batch_is_explained_record_by_record() {
    let x = explainer_of("{envelope: otlp_json, format: alb}");
    let line =
        serde_json::from_str::<serde_json::Value>(&checkout(200, "0 0 0")).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string();
    let batch = serde_json::json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"body": {"stringValue": line}},
        {"body": {"stringValue": "not an ALB line"}},
        {"body": {"kvlistValue": {"values": []}}},
    ]}]}]})
    .to_string();
    let mut state = LineState::default();
    let all = x.explain_in(7, batch.as_bytes(), NOON, &mut state);
    let got: Vec<_> = all
        .iter()
        .map(|e| {
            (
                e.line_number,
                e.record,
                e.decoded,
                e.error.as_ref().map(|f| (f.stage, f.reason)),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (7, Some(0), true, None),
            (7, Some(1), false, Some(("format", "missing_fields"))),
            (7, Some(2), false, Some(("envelope", "bad_envelope"))),
        ]
    );
    assert_eq!(all[0].input, line, "a record's input is its line");
    assert_eq!(all[0].service.as_deref(), Some("checkout"));
    // A message that is no batch is one explanation, of no record.
    let whole = x.explain_in(8, b"{\"message\": \"x\"}", NOON, &mut state);
    assert_eq!(whole.len(), 1);
    assert_eq!(whole[0].record, None);
    assert_eq!(whole[0].error.as_ref().unwrap().reason, "bad_envelope");
    assert!(
        whole[0]
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("OpenTelemetry"),
        "{:?}",
        whole[0].error
    );
}

#[test]
fn with_attribution_the_event_shows_the_keys_the_pipeline_counts() {
    let config = CONFIG.replace(
        "  window: {max_future: 5m}\n",
        "  window: {max_future: 5m}\n  attribution: {by: [path, status, backend], paths: ['/orders/{order}']}\n",
    );
    let e = Explainer::new(&config::parse(&config, "test.yaml").unwrap());
    let line = alb(
        "https",
        503,
        "0.001 0.002 0.000",
        "checkout.example.com",
        "POST",
        "/orders/991",
    );
    let x = e.explain(1, line.as_bytes(), NOON);
    let keys: Vec<(&str, &str)> = x
        .attribution
        .iter()
        .map(|k| (k.by, k.key.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            ("path", "/orders/{order}"),
            ("status", "503"),
            ("backend", "checkout-tg")
        ]
    );
    assert!(
        x.to_string()
            .contains("  attributed  path /orders/{order} · status 503 · backend checkout-tg"),
        "{x}"
    );
    // Off, or no service: none.
    assert!(
        explainer()
            .explain(1, line.as_bytes(), NOON)
            .attribution
            .is_empty()
    );
    let other = alb("https", 200, "0.001 0.002 0.000", "x.org", "GET", "/");
    assert!(e.explain(1, other.as_bytes(), NOON).attribution.is_empty());
    // The client: its address among the event's fields, its network as the key.
    let with_client = Explainer::new(
        &config::parse(
            &config.replace("by: [path, status, backend]", "by: [client]"),
            "test.yaml",
        )
        .unwrap(),
    );
    let x = with_client.explain(1, line.as_bytes(), NOON);
    assert_eq!(x.attribution[0].by, "client");
    assert_eq!(x.attribution[0].key, "192.168.131.0/24");
    let text = x.to_string();
    assert!(text.contains("  client      \"192.168.131.39\""), "{text}");
    assert!(
        text.contains("  attributed  client 192.168.131.0/24"),
        "{text}"
    );
}

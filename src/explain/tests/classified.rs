//! One line decoded and classified: each SLO's verdict and why, a latency unknown and a
//! websocket left out of latency, the failing selectors of an unmatched line, and the keys
//! attribution counts.

use super::*;

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

//! Burn attribution end to end: an incident confined to one path and one backend makes both
//! the top contributors, with counts equal to a count of the generated requests; a firing
//! alert names that path; with more keys than a table holds, every answer's bounds contain
//! the true counts; an incident confined to one client network makes its prefix the top
//! contributor when `by` names `client` (and only then).

use std::collections::HashMap;

use serde_json::Value;

use crate::helpers::{NOON, alb_line, feed, get_json, parse_time, pipeline};
use slipstream::time::MINUTE;

const CONFIG: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: attribution}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services: [{name: shop, match: {host: shop.example.com}}]
  attribution: {paths: ["/api/carts/{cart}"]}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: shop}
spec:
  service: shop
  indicators:
    - {name: availability, threshold: 99.9, window: 30d}
    - {name: latency_p99, threshold: 300ms, window: 7d}
"#;

/// One request: time, method, path, backend (target group), status, latency ms.
#[derive(Debug, Clone)]
struct Request {
    t: i64,
    method: &'static str,
    path: String,
    backend: &'static str,
    status: u16,
    ms: u32,
}

impl Request {
    fn line(&self) -> String {
        alb_line(
            self.t,
            "shop.example.com",
            &self.path,
            self.status,
            Some((0, self.ms, 0)),
        )
        .replacen("\"GET ", &format!("\"{} ", self.method), 1)
        .replacen(
            "targetgroup/my-targets/",
            &format!("targetgroup/{}/", self.backend),
            1,
        )
    }
}

/// 40 minutes before NOON: carts, search and checkout on their backends; from NOON − 20m
/// to NOON − 10m every POST /api/checkout on payments-tg fails; search fails now and then.
fn traffic() -> Vec<Request> {
    let mut out = Vec::new();
    let mut t = NOON - 40 * MINUTE;
    let mut i = 0u64;
    while t < NOON {
        let incident = (NOON - 20 * MINUTE..NOON - 10 * MINUTE).contains(&t);
        let r = match i % 4 {
            0 => Request {
                t,
                method: "GET",
                path: format!("/api/carts/{}", i % 13),
                backend: "carts-tg",
                status: 200,
                ms: 40,
            },
            1 => Request {
                t,
                method: "GET",
                path: format!("/api/search/{}", i * 7919),
                backend: "search-tg",
                status: if i % 97 == 1 { 503 } else { 200 },
                ms: if i % 89 == 1 { 900 } else { 60 },
            },
            _ => Request {
                t,
                method: "POST",
                path: "/api/checkout".into(),
                backend: "payments-tg",
                status: if incident && i % 4 == 2 { 503 } else { 200 },
                ms: 120,
            },
        };
        out.push(r);
        i += 1;
        t += 250_000;
    }
    out
}

/// The normalized path the configuration gives `path`.
fn key(path: &str) -> String {
    if let Some(rest) = path.strip_prefix("/api/carts/") {
        assert!(!rest.contains('/'));
        return "/api/carts/{cart}".into();
    }
    match path.strip_prefix("/api/search/") {
        Some(n) if n.bytes().all(|b| b.is_ascii_digit()) => "/api/search/{id}".into(),
        _ => path.to_string(),
    }
}

#[tokio::test]
async fn an_incident_on_one_path_and_backend_makes_both_the_top_contributors_exactly() {
    let requests = traffic();
    let lines: Vec<String> = requests.iter().map(Request::line).collect();
    let (p, _clock) = pipeline(CONFIG, NOON);
    feed(&p, 0, &lines, 1_000);
    let router = slipstream::serve::router(p.clone());
    let (status, v) = get_json(
        &router,
        "/v1/slos/shop/availability/contributors?window=30m&by=path",
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let end = parse_time(v["end"].as_str().unwrap());
    assert_eq!(end % MINUTE, 0);
    let start = parse_time(v["start"].as_str().unwrap());
    assert_eq!(end - start, 30 * MINUTE);
    // The truth, counted here over [start, end).
    let inside: Vec<&Request> = requests
        .iter()
        .filter(|r| (start..end).contains(&r.t))
        .collect();
    let bad = |r: &Request| r.status >= 500;
    let mut by_path: HashMap<String, (u64, u64)> = HashMap::new();
    for r in &inside {
        let e = by_path.entry(key(&r.path)).or_default();
        e.0 += u64::from(bad(r));
        e.1 += 1;
    }
    let all_bad = inside.iter().filter(|r| bad(r)).count() as u64;
    assert_eq!(v["bad"], all_bad);
    assert_eq!(v["total"], inside.len() as u64);
    let top = &v["contributors"][0];
    let (cbad, ctotal) = by_path["/api/checkout"];
    assert!(
        cbad > 0 && cbad < all_bad,
        "search fails too: {cbad} of {all_bad}"
    );
    assert_eq!(top["key"], "/api/checkout", "{v}");
    assert_eq!(top["exact"], true, "{v}");
    assert_eq!(top["bad"], cbad);
    assert_eq!(top["bad_min"], cbad);
    assert_eq!(top["total"], ctotal);
    assert_eq!(top["total_max"], ctotal);
    let close = |a: &Value, b: f64| assert!((a.as_f64().unwrap() - b).abs() < 1e-12, "{a} ≠ {b}");
    close(&top["share"], cbad as f64 / all_bad as f64);
    close(&top["error_ratio"], cbad as f64 / ctotal as f64);
    // Every listed path is exact and true; none with bad events is missing.
    for c in v["contributors"].as_array().unwrap() {
        let (b, t) = by_path[c["key"].as_str().unwrap()];
        assert_eq!(
            (c["bad"].as_u64(), c["total"].as_u64()),
            (Some(b), Some(t)),
            "{c}"
        );
    }
    // Only keys with bad events contribute (the carts never failed).
    let listed = v["contributors"].as_array().unwrap().len();
    assert_eq!(listed, by_path.values().filter(|(b, _)| *b > 0).count());
    assert_eq!(listed, 2);

    // By backend and by status, the same incident.
    let (_, by_backend) = get_json(
        &router,
        "/v1/slos/shop/availability/contributors?window=30m&by=backend&limit=1",
    )
    .await;
    let payments_bad = inside
        .iter()
        .filter(|r| bad(r) && r.backend == "payments-tg")
        .count();
    assert_eq!(by_backend["contributors"][0]["key"], "payments-tg");
    assert_eq!(by_backend["contributors"][0]["bad"], payments_bad as u64);
    assert_eq!(by_backend["contributors"].as_array().unwrap().len(), 1);
    let (_, by_method) = get_json(
        &router,
        "/v1/slos/shop/availability/contributors?window=30m&by=method",
    )
    .await;
    assert_eq!(by_method["contributors"][0]["key"], "POST");
    // The latency SLO's bad events are its own: slow searches and the 503s.
    let (_, latency) = get_json(&router, "/v1/slos/shop/latency_p99/contributors?window=30m").await;
    let slow = inside
        .iter()
        .filter(|r| r.status >= 500 || r.ms > 300)
        .count() as u64;
    assert_eq!(latency["bad"], slow);

    // The page alert fires, and names the path.
    let (_, alerts) = get_json(&router, "/api/v1/alerts").await;
    let named: Vec<&str> = alerts["data"]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["labels"]["slo"] == "availability")
        .filter_map(|a| a["annotations"]["top_contributor"].as_str())
        .collect();
    assert!(!named.is_empty(), "{alerts}");
    assert!(
        named.iter().all(|n| n.starts_with("/api/checkout: ")),
        "{named:?}"
    );

    // Refusals.
    for (uri, want) in [
        ("/v1/slos/shop/availability/contributors?by=route", 400),
        ("/v1/slos/shop/availability/contributors?window=2h", 400),
        ("/v1/slos/shop/availability/contributors?window=90s", 400),
        ("/v1/slos/shop/availability/contributors?limit=0", 400),
        ("/v1/slos/shop/nope/contributors", 404),
    ] {
        let (status, body) = get_json(&router, uri).await;
        assert_eq!(status, want, "{uri}: {body}");
    }
    let (off, _) = pipeline(
        &CONFIG.replace("  attribution: {paths: [\"/api/carts/{cart}\"]}\n", ""),
        NOON,
    );
    let (status, body) = get_json(
        &slipstream::serve::router(off),
        "/v1/slos/shop/availability/contributors",
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        body["error"],
        "burn attribution is off: set spec.attribution"
    );
}

#[tokio::test]
async fn with_more_keys_than_a_table_holds_the_bounds_contain_the_truth() {
    let config = CONFIG.replace(
        "attribution: {paths: [\"/api/carts/{cart}\"]}",
        "attribution: {keys_per_minute: 4, by: [path]}",
    );
    // 30 distinct paths a minute, each failing at its own rate.
    let mut requests = Vec::new();
    let mut t = NOON - 10 * MINUTE;
    let mut i = 0u64;
    while t < NOON {
        let n = i % 30;
        requests.push(Request {
            t,
            method: "GET",
            path: format!("/p{n}"),
            backend: "b",
            status: if i.is_multiple_of(n + 2) { 503 } else { 200 },
            ms: 10,
        });
        i += 1;
        t += 100_000;
    }
    let (p, _clock) = pipeline(&config, NOON);
    feed(
        &p,
        0,
        &requests.iter().map(Request::line).collect::<Vec<_>>(),
        1_000,
    );
    let router = slipstream::serve::router(p.clone());
    let (status, v) = get_json(
        &router,
        "/v1/slos/shop/availability/contributors?window=10m&limit=100",
    )
    .await;
    assert_eq!(status, 200);
    let (start, end) = (
        parse_time(v["start"].as_str().unwrap()),
        parse_time(v["end"].as_str().unwrap()),
    );
    let mut truth: HashMap<String, (u64, u64)> = HashMap::new();
    for r in requests.iter().filter(|r| (start..end).contains(&r.t)) {
        let e = truth.entry(r.path.clone()).or_default();
        e.0 += u64::from(r.status >= 500);
        e.1 += 1;
    }
    let listed = v["contributors"].as_array().unwrap();
    assert!(
        listed.iter().any(|c| c["exact"] == false),
        "the tables overflowed: {v}"
    );
    for c in listed {
        let (b, n) = truth[c["key"].as_str().unwrap()];
        let u = |f: &str| c[f].as_u64().unwrap();
        assert!(u("bad_min") <= b && b <= u("bad"), "{c}: bad {b}");
        assert!(u("total") <= n && n <= u("total_max"), "{c}: total {n}");
        if c["exact"] == true {
            assert_eq!((u("bad"), u("total")), (b, n));
        }
    }
    let unlisted = v["unlisted_bad_max"].as_u64().unwrap();
    for (path, (b, _)) in &truth {
        if !listed.iter().any(|c| c["key"] == path.as_str()) {
            assert!(*b <= unlisted, "{path}: {b} > {unlisted}");
        }
    }
}

#[tokio::test]
async fn a_reload_keeps_contributors_unless_the_service_or_the_settings_change() {
    let requests = traffic();
    let lines: Vec<String> = requests.iter().map(Request::line).collect();
    let (p, _clock) = pipeline(CONFIG, NOON);
    feed(&p, 0, &lines, 1_000);
    let router = slipstream::serve::router(p.clone());
    let uri = "/v1/slos/shop/availability/contributors?window=30m";
    let (_, before) = get_json(&router, uri).await;
    assert!(before["bad"].as_u64().unwrap() > 0);
    // Unchanged service, SLOs and settings (a comment and another service added): kept.
    let more = CONFIG.replace(
        "services: [{name: shop, match: {host: shop.example.com}}]",
        "services: [{name: shop, match: {host: shop.example.com}}, {name: other, match: {host: other.example.com}}]",
    );
    p.reload(slipstream::config::parse(&more, "reload.yaml"))
        .expect("reloads");
    let (_, kept) = get_json(&router, uri).await;
    assert_eq!(kept, before);
    // Other settings: it starts over.
    let fewer = more.replace(
        "attribution: {paths: [\"/api/carts/{cart}\"]}",
        "attribution: {paths: [\"/api/carts/{cart}\"], keys_per_minute: 16}",
    );
    p.reload(slipstream::config::parse(&fewer, "reload.yaml"))
        .expect("reloads");
    // Nothing counted since: an empty range, not a window of zeros.
    let (_, reset) = get_json(&router, uri).await;
    assert_eq!(reset["start"], reset["end"], "{reset}");
    assert_eq!(
        (reset["bad"].as_u64(), reset["total"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(reset["contributors"].as_array().unwrap().len(), 0);
}

/// A client of request `i` as ALB writes it, and its network: 24 networks (IPv4 /24s, IPv6
/// /48s, one IPv4-mapped IPv6), several addresses and ports in each; network 7 is
/// `198.51.100.0/24`.
fn client(i: u64) -> (String, String) {
    let net = i % 24;
    let host = 1 + i / 24 % 200;
    let port = 1024 + i % 50_000;
    match net {
        7 => (
            format!("198.51.100.{host}:{port}"),
            "198.51.100.0/24".into(),
        ),
        0 => (
            format!("[::ffff:192.0.2.{host}]:{port}"),
            "192.0.2.0/24".into(),
        ),
        n if n % 3 == 0 => (
            format!("[2001:db8:{n:x}:{host:x}::{port:x}]:{port}"),
            format!("2001:db8:{n:x}::/48"),
        ),
        n => (
            format!("203.0.{n}.{host}:{port}"),
            format!("203.0.{n}.0/24"),
        ),
    }
}

#[tokio::test]
async fn an_incident_confined_to_one_client_network_makes_it_the_top_contributor() {
    let config = CONFIG.replace(
        "attribution: {paths: [\"/api/carts/{cart}\"]}",
        "attribution: {by: [path, status, backend, host, method, client], keys_per_minute: 32}",
    );
    // One request every 250 ms for 40 minutes, each from a client of 24 networks; from
    // NOON − 20m to NOON − 10m every request of 198.51.100.0/24 fails, and one in 101 of
    // any network fails throughout.
    let mut requests = Vec::new();
    let mut lines = Vec::new();
    let mut t = NOON - 40 * MINUTE;
    let mut i = 0u64;
    while t < NOON {
        let (address, network) = client(i);
        let incident = (NOON - 20 * MINUTE..NOON - 10 * MINUTE).contains(&t);
        let status = if (incident && network == "198.51.100.0/24") || i.is_multiple_of(101) {
            503
        } else {
            200
        };
        let r = Request {
            t,
            method: "GET",
            path: "/api/checkout".into(),
            backend: "payments-tg",
            status,
            ms: 50,
        };
        lines.push(r.line().replacen("192.168.131.39:2817", &address, 1));
        requests.push((r, network));
        i += 1;
        t += 250_000;
    }
    let (p, _clock) = pipeline(&config, NOON);
    feed(&p, 0, &lines, 1_000);
    let router = slipstream::serve::router(p.clone());
    let (status, v) = get_json(
        &router,
        "/v1/slos/shop/availability/contributors?window=30m&by=client&limit=100",
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let (start, end) = (
        parse_time(v["start"].as_str().unwrap()),
        parse_time(v["end"].as_str().unwrap()),
    );
    let mut truth: HashMap<&str, (u64, u64)> = HashMap::new();
    for (r, network) in requests.iter().filter(|(r, _)| (start..end).contains(&r.t)) {
        let e = truth.entry(network.as_str()).or_default();
        e.0 += u64::from(r.status >= 500);
        e.1 += 1;
    }
    assert_eq!(truth.len(), 24);
    let top = &v["contributors"][0];
    assert_eq!(top["key"], "198.51.100.0/24", "{v}");
    let (bad, total) = truth["198.51.100.0/24"];
    assert!(bad >= 100, "{bad}");
    assert_eq!(top["exact"], true, "{v}");
    assert_eq!(
        (top["bad"].as_u64(), top["bad_min"].as_u64()),
        (Some(bad), Some(bad))
    );
    assert_eq!(
        (top["total"].as_u64(), top["total_max"].as_u64()),
        (Some(total), Some(total))
    );
    // Every network with bad events is listed, exactly, and keyed by its prefix alone: no
    // address is ever a key.
    let listed = v["contributors"].as_array().unwrap();
    assert_eq!(listed.len(), truth.values().filter(|(b, _)| *b > 0).count());
    for c in listed {
        let key = c["key"].as_str().unwrap();
        assert!(key.ends_with("/24") || key.ends_with("/48"), "{key}");
        assert_eq!(
            (c["bad"].as_u64(), c["total"].as_u64()),
            (Some(truth[key].0), Some(truth[key].1)),
            "{c}"
        );
    }
    assert!(listed.iter().any(|c| c["key"] == "2001:db8:3::/48"), "{v}");

    // Opt-in: the default dimensions leave the client out.
    let (default, _) = pipeline(CONFIG, NOON);
    feed(&default, 0, &lines, 1_000);
    let (status, body) = get_json(
        &slipstream::serve::router(default),
        "/v1/slos/shop/availability/contributors?by=client",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("path, status, backend, host, method"),
        "{body}"
    );
}

use super::*;

fn event(status: u16, latency_us: Option<i64>) -> Event<'static> {
    Event {
        time_us: 0,
        status,
        latency_us,
        method: b"GET",
        host: b"Checkout.Example.com",
        path: b"/api/cart",
        backend: b"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/checkout-tg/6d0ecf831eec9f09",
        long_lived: false,
        request_id: b"",
        client: &[],
    }
}

#[test]
fn matchers() {
    let e = event(200, Some(1));
    let m = |f: fn(&mut Matcher)| {
        let mut m = Matcher::default();
        f(&mut m);
        m.matches(&e)
    };
    assert!(m(|_| {}));
    assert!(m(|m| m.host = Some("checkout.example.com".into())));
    assert!(m(|m| m.host = Some("*.example.com".into())));
    assert!(!m(|m| m.host = Some("*.checkout.example.com".into())));
    assert!(!m(|m| m.host = Some("example.com".into())));
    assert!(m(|m| m.path_prefix = Some("/api/".into())));
    assert!(!m(|m| m.path_prefix = Some("/admin".into())));
    assert!(m(|m| m.method = Some("GET".into())));
    assert!(!m(|m| m.method = Some("POST".into())));
    assert!(m(|m| m.backend = Some("checkout-tg".into())));
    assert!(!m(|m| m.backend = Some("checkout".into())));
    assert!(!m(|m| {
        m.host = Some("checkout.example.com".into());
        m.method = Some("POST".into());
    }));
}

#[test]
fn availability_and_latency_outcomes() {
    let avail = SloRule::new(0, Sli::Availability);
    let lat = SloRule::new(
        0,
        Sli::Latency {
            threshold_us: 300_000,
        },
    );
    assert_eq!(avail.outcome(&event(200, None)), Outcome::Good);
    assert_eq!(avail.outcome(&event(404, None)), Outcome::Good);
    assert_eq!(avail.outcome(&event(503, None)), Outcome::Bad);
    assert_eq!(lat.outcome(&event(200, Some(300_000))), Outcome::Good);
    assert_eq!(lat.outcome(&event(200, Some(300_001))), Outcome::Bad);
    assert_eq!(lat.outcome(&event(500, Some(10))), Outcome::Bad);
    assert_eq!(lat.outcome(&event(504, None)), Outcome::Bad);
    assert_eq!(lat.outcome(&event(200, None)), Outcome::Excluded);
    let mut ws = event(101, Some(90_000_000));
    ws.long_lived = true;
    assert_eq!(lat.outcome(&ws), Outcome::Excluded);
}

/// An OpenSLO `thresholdMetric` with `op: gt` (good when above 300 ms): a request whose
/// latency is unknown is left out whatever its status; a known one is bad with a bad status.
#[test]
fn good_when_above_outcomes() {
    let above = SloRule::new(0, Sli::LatencyAbove { floor_us: 300_000 });
    assert_eq!(above.outcome(&event(200, Some(300_001))), Outcome::Good);
    assert_eq!(above.outcome(&event(200, Some(300_000))), Outcome::Bad);
    assert_eq!(above.outcome(&event(200, Some(5))), Outcome::Bad);
    assert_eq!(above.outcome(&event(503, Some(900_000))), Outcome::Bad);
    assert_eq!(above.outcome(&event(504, None)), Outcome::Excluded);
    assert_eq!(above.outcome(&event(200, None)), Outcome::Excluded);
    let mut ws = event(101, Some(90_000_000));
    ws.long_lived = true;
    assert_eq!(above.outcome(&ws), Outcome::Excluded);
    assert_eq!(
        above.explain(&event(200, Some(300_000))),
        Reason::NotAboveFloor {
            latency_us: 300_000,
            floor_us: 300_000
        }
    );
}

#[test]
fn explanations_agree_with_the_hot_path() {
    let rules = [
        Sli::Availability,
        Sli::Throughput,
        Sli::Latency {
            threshold_us: 300_000,
        },
        Sli::LatencyAbove { floor_us: 300_000 },
    ]
    .map(|sli| SloRule::new(0, sli));
    let statuses = [101, 200, 404, 499, 500, 503, 504, 599, 600];
    let latencies = [None, Some(0), Some(300_000), Some(300_001)];
    for rule in &rules {
        for status in statuses {
            for latency in latencies {
                for long_lived in [false, true] {
                    let mut e = event(status, latency);
                    e.long_lived = long_lived;
                    let why = rule.explain(&e);
                    assert_eq!(why.outcome(), rule.outcome(&e), "{rule:?} {e:?} {why:?}");
                }
            }
        }
    }
    let lat = &rules[2];
    assert_eq!(lat.explain(&event(504, None)), Reason::BadStatus);
    assert_eq!(lat.explain(&event(200, None)), Reason::UnknownLatency);
    assert_eq!(
        lat.explain(&event(200, Some(300_001))),
        Reason::OverThreshold {
            latency_us: 300_001,
            threshold_us: 300_000
        }
    );
}

#[test]
fn selector_checks_agree_with_matches() {
    let e = event(200, Some(1));
    let hosts = [
        None,
        Some("checkout.example.com"),
        Some("*.example.com"),
        Some("x.io"),
    ];
    let prefixes = [None, Some("/api/"), Some("/admin")];
    let methods = [None, Some("GET"), Some("POST")];
    let backends = [None, Some("checkout-tg"), Some("checkout")];
    for host in hosts {
        for prefix in prefixes {
            for method in methods {
                for backend in backends {
                    let m = Matcher {
                        host: host.map(Into::into),
                        path_prefix: prefix.map(Into::into),
                        method: method.map(Into::into),
                        backend: backend.map(Into::into),
                    };
                    let checks = m.check(&e);
                    assert_eq!(checks.iter().all(|c| c.matched), m.matches(&e), "{m:?}");
                    let set = [host, prefix, method, backend].iter().flatten().count();
                    assert_eq!(checks.len(), set);
                }
            }
        }
    }
    let m = Matcher {
        host: Some("*.example.com".into()),
        method: Some("POST".into()),
        ..Matcher::default()
    };
    let checks = m.check(&e);
    assert_eq!(
        checks,
        [
            SelectorCheck {
                selector: Selector::Host,
                pattern: "*.example.com",
                matched: true
            },
            SelectorCheck {
                selector: Selector::Method,
                pattern: "POST",
                matched: false
            }
        ]
    );
    assert_eq!(Selector::Method.field(&e), b"GET");
}

#[test]
fn extra_selectors_and_bad_statuses() {
    let rule = SloRule {
        selector: Some(Matcher {
            path_prefix: Some("/api/cart".into()),
            ..Matcher::default()
        }),
        bad_status: StatusSet::SERVER_ERRORS.with_range(429, 429),
        ..SloRule::new(0, Sli::Availability)
    };
    assert_eq!(rule.outcome(&event(429, None)), Outcome::Bad);
    assert_eq!(rule.outcome(&event(428, None)), Outcome::Good);
    assert_eq!(rule.outcome(&event(599, None)), Outcome::Bad);
    let mut other = event(503, None);
    other.path = b"/health";
    assert_eq!(rule.outcome(&other), Outcome::Excluded);
    assert_eq!(rule.explain(&other), Reason::NotSelected);
    assert_eq!(rule.explain(&event(429, None)), Reason::BadStatus);
    let none = StatusSet::EMPTY;
    assert!(!none.contains(500) && !none.contains(u16::MAX));
    assert_eq!(StatusSet::default(), StatusSet::SERVER_ERRORS);
}

#[test]
fn first_matching_service_wins() {
    let svc = |name: &str, prefix: &str| Service {
        name: name.into(),
        matcher: Matcher {
            path_prefix: Some(prefix.into()),
            ..Matcher::default()
        },
    };
    let c = Classifier::new(
        vec![svc("cart", "/api/cart"), svc("api", "/api")],
        vec![
            SloRule::new(1, Sli::Availability),
            SloRule::new(0, Sli::Availability),
        ],
    );
    assert_eq!(c.service_of(&event(200, None)), Some(0));
    assert_eq!(c.slos_of(0), &[1]);
    assert_eq!(c.slos_of(1), &[0]);
    let mut other = event(200, None);
    other.path = b"/static/x.css";
    assert_eq!(c.service_of(&other), None);
}

proptest::proptest! {
    /// The host index finds what trying every service in order finds, with exact,
    /// wildcard and absent host selectors, other selectors, mixed case and duplicates.
    #[test]
    fn the_host_index_agrees_with_a_linear_scan(
        selectors in proptest::collection::vec((0..6usize, proptest::bool::ANY), 0..12),
        host in 0..6usize,
        upper in proptest::bool::ANY,
        path in proptest::bool::ANY,
    ) {
        let hosts = ["a.example.com", "B.example.com", "*.example.com", "c.test", "*.test", ""];
        let services: Vec<Service> = selectors
            .iter()
            .map(|&(h, by_path)| Service {
                name: format!("s{h}"),
                matcher: Matcher {
                    host: (!hosts[h].is_empty()).then(|| hosts[h].to_string()),
                    path_prefix: by_path.then(|| "/api".to_string()),
                    ..Matcher::default()
                },
            })
            .collect();
        let mut name = hosts[host].trim_start_matches("*.").to_string();
        if upper {
            name = name.to_ascii_uppercase();
        }
        let mut e = event(200, None);
        e.host = name.as_bytes();
        e.path = if path { b"/api/x" } else { b"/web" };
        let linear = services.iter().position(|s| s.matcher.matches(&e));
        let c = Classifier::new(services, Vec::new());
        proptest::prop_assert_eq!(c.service_of(&e), linear);
    }
}

#[test]
fn hosts_too_long_to_index_still_match() {
    let long = format!("{}.example.com", "x".repeat(300));
    let c = Classifier::new(
        vec![Service {
            name: "long".into(),
            matcher: Matcher {
                host: Some(long.clone()),
                ..Matcher::default()
            },
        }],
        Vec::new(),
    );
    let mut e = event(200, None);
    e.host = long.as_bytes();
    assert_eq!(c.service_of(&e), Some(0));
}

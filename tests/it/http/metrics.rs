//! `/metrics` line by line, in agreement with the report for every window, and with many SLOs
//! (each family once, every SLO in order).

use axum::http::StatusCode;
use serde_json::Value;

use super::{CONFIG, app, get};
use crate::helpers::{NOON, alb_line, feed, pipeline};
use slipstream::time::{HOUR, SECOND};

#[tokio::test]
async fn metrics_line_by_line() {
    let (_, router) = app();
    let (status, ct, body) = get(&router, "GET", "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    let lines: Vec<&str> = body.lines().collect();
    for want in [
        r#"slo:objective:ratio{sloth_id="checkout-availability",sloth_service="checkout",sloth_slo="availability"} 0.999"#,
        r#"slo:error_budget:ratio{sloth_id="quiet-availability",sloth_service="quiet",sloth_slo="availability"} 0.01"#,
        r#"slo:time_period:days{sloth_id="checkout-availability",sloth_service="checkout",sloth_slo="availability"} 30"#,
        r#"slo:sli_error:ratio_rate30d{sloth_id="checkout-availability",sloth_service="checkout",sloth_slo="availability",sloth_window="30d"} 0.10101010101010101"#,
        r#"slo:period_error_budget_remaining:ratio{sloth_id="quiet-availability",sloth_service="quiet",sloth_slo="availability"} 1"#,
        r#"slipstream_slo_events_total{service="checkout",slo="availability",result="good"} 90"#,
        r#"slipstream_slo_events_total{service="checkout",slo="availability",result="bad"} 10"#,
        r#"slipstream_slo_window_events{service="checkout",slo="availability",window="5m",result="total"} 99"#,
        r#"slipstream_decode_errors_total{format="alb",reason="missing_fields"} 1"#,
        r#"slipstream_events_total{outcome="applied"} 100"#,
        r#"slipstream_lines_total{partition="test-0"} 101"#,
        "# TYPE slo:current_burn_rate:ratio gauge",
    ] {
        assert!(lines.contains(&want), "missing line {want}\n{body}");
    }
    // The quiet service has no SLI error sample at all rather than NaN.
    assert!(!body.contains("NaN"));
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("slo:sli_error:") && l.contains("quiet"))
    );
    // Each family is declared once.
    let types: Vec<&&str> = lines.iter().filter(|l| l.starts_with("# TYPE")).collect();
    let mut unique = types.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(types.len(), unique.len());
}

/// `/metrics` reads each SLO's window counts and `/v1/slos` its report: for every SLO and
/// window both give the same numbers (counts, error ratio, the two burn rates).
#[tokio::test]
async fn metrics_agree_with_the_report_for_every_window() {
    // Two hours of traffic whose error ratio rises towards the end, so that every window
    // holds other counts.
    let (p, _) = pipeline(CONFIG, NOON);
    let lines: Vec<String> = (0..400)
        .map(|i| {
            let status = if i % 7 == 0 || i > 380 { 500 } else { 200 };
            let at = NOON - 2 * HOUR + i * 18 * SECOND;
            let latency = Some((0, 2 * i as u32, 0));
            alb_line(at, "checkout.example.com", "/a", status, latency)
        })
        .collect();
    feed(&p, 0, &lines, 50);
    let router = slipstream::serve::router(p);
    let (_, _, json) = get(&router, "GET", "/v1/slos").await;
    let (_, _, text) = get(&router, "GET", "/metrics").await;
    let v: Value = serde_json::from_str(&json).unwrap();
    let sample = |name: &str, labels: &str| -> Option<f64> {
        let prefix = format!("{name}{{{labels}}} ");
        let line = text.lines().find_map(|l| l.strip_prefix(prefix.as_str()));
        line.map(|x| x.parse().unwrap())
    };
    let mut windows = 0;
    for slo in v["slos"].as_array().unwrap() {
        let service = slo["service"].as_str().unwrap();
        let name = slo["slo"].as_str().unwrap();
        let sloth =
            format!(r#"sloth_id="{service}-{name}",sloth_service="{service}",sloth_slo="{name}""#);
        for w in slo["windows"].as_array().unwrap() {
            let window = w["window"].as_str().unwrap();
            let (good, total) = (w["good"].as_u64().unwrap(), w["total"].as_u64().unwrap());
            for (result, want) in [("good", good), ("total", total)] {
                let labels = format!(
                    r#"service="{service}",slo="{name}",window="{window}",result="{result}""#
                );
                let got = sample("slipstream_slo_window_events", &labels);
                assert_eq!(got, Some(want as f64), "{labels}");
            }
            let error = sample(
                &format!("slo:sli_error:ratio_rate{window}"),
                &format!(r#"{sloth},sloth_window="{window}""#),
            );
            let want = (total > 0).then(|| (total - good) as f64 / total as f64);
            assert_eq!(error, want, "{service}/{name} {window}");
            // serde_json reads a float to within an ulp, so the burn rates agree to 1e-12.
            let burn = w["burn_rate"].as_f64();
            let close = |got: Option<f64>| match (got, burn) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-12 * b.abs(),
                (a, b) => a == b,
            };
            if window == "5m" {
                let got = sample("slo:current_burn_rate:ratio", &sloth);
                assert!(close(got), "{service}/{name}: {got:?} against {burn:?}");
            }
            if slo["period"] == window {
                let got = sample("slo:period_burn_rate:ratio", &sloth);
                assert!(close(got), "{service}/{name}: {got:?} against {burn:?}");
            }
            windows += 1;
        }
    }
    // Three SLOs of several windows each, and windows of other counts.
    assert!(windows >= 15, "{windows} windows");
    let totals: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.starts_with(r#"slipstream_slo_window_events{service="checkout",slo="availability""#)
        })
        .filter_map(|l| l.rsplit_once(' ').map(|(_, v)| v))
        .collect();
    let mut distinct = totals.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(distinct.len() >= 4, "{totals:?}");
    assert!(text.contains("slo:current_burn_rate:ratio{"), "{text}");
}

/// `/metrics` writes its per-SLO families a block of SLOs at a time: with more SLOs than a
/// block (400 here), every family still has one header, every SLO once and in configuration
/// order, and every service one info sample.
#[test]
fn metrics_of_many_slos_list_each_family_once_with_every_slo_in_order() {
    use slipstream::source::demo::{Generator, LineFormat, services, slo_config};
    let demo = services(100);
    let (p, _) = pipeline(&slo_config(&demo, "300ms"), NOON);
    let mut generator = Generator::new(7, demo.clone()).without_incidents();
    let lines: Vec<String> = (0..4_000)
        .map(|i| {
            let mut line = Vec::new();
            generator.write_line(NOON - HOUR + i * 900_000, LineFormat::Alb, &mut line);
            String::from_utf8(line).unwrap()
        })
        .collect();
    feed(&p, 0, &lines, 256);
    let objectives = &p.evaluate().objectives;
    assert_eq!(objectives.len(), 400);
    let text = slipstream::serve::metrics::render_now(&*p);

    let mut headers = std::collections::HashMap::new();
    for name in text.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
        *headers.entry(name.split(' ').next().unwrap()).or_insert(0) += 1;
    }
    assert!(headers.len() > 10, "{headers:?}");
    assert!(headers.values().all(|&n| n == 1), "{headers:?}");

    // The label value of `key` in a sample line.
    let label = |line: &str, key: &str| -> String {
        let at = line.find(&format!("{key}=\"")).unwrap() + key.len() + 2;
        line[at..].split('"').next().unwrap().to_string()
    };
    let samples = |name: &str| -> Vec<&str> {
        let prefix = format!("{name}{{");
        text.lines().filter(|l| l.starts_with(&prefix)).collect()
    };
    let configured: Vec<(String, String)> = objectives
        .iter()
        .map(|o| (o.service.to_string(), o.slo.to_string()))
        .collect();
    let native: Vec<(String, String)> = samples("slipstream_slo_no_data")
        .iter()
        .map(|l| (label(l, "service"), label(l, "slo")))
        .collect();
    assert_eq!(native, configured);
    let good: Vec<(String, String)> = samples("slipstream_slo_events_total")
        .iter()
        .filter(|l| l.contains("result=\"good\""))
        .map(|l| (label(l, "service"), label(l, "slo")))
        .collect();
    assert_eq!(good, configured);
    let sloth: Vec<(String, String)> = samples("slo:objective:ratio")
        .iter()
        .map(|l| (label(l, "sloth_service"), label(l, "sloth_slo")))
        .collect();
    assert_eq!(sloth, configured);
    let info: Vec<String> = samples("slipstream_service_info")
        .iter()
        .map(|l| label(l, "service"))
        .collect();
    let names: Vec<String> = demo.iter().map(|s| s.name.to_string()).collect();
    assert_eq!(info, names);
}

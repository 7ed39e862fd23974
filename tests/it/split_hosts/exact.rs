//! Every host of a split service gets its own SLOs, counted exactly against counts made here.

use axum::http::StatusCode;
use serde_json::Value;

use super::{Req, api_at, config_yaml, get, reported, truth};
use crate::helpers::{NOON, Rng, feed, pipeline};
use slipstream::time::{MINUTE, SECOND};

fn random_requests(rng: &mut Rng, n: usize, hosts: &[&str], from_us: i64) -> Vec<Req> {
    (0..n)
        .map(|i| Req {
            t_us: from_us + i as i64 * 100_000 + rng.below(100_000) as i64,
            host: hosts[rng.below(hosts.len() as u64) as usize].to_string(),
            status: [200, 200, 200, 404, 500, 503][rng.below(6) as usize],
            latency_ms: [5, 120, 300, 301, 900][rng.below(5) as usize],
        })
        .collect()
}

#[tokio::test]
async fn every_host_gets_its_own_exact_slos() {
    let (p, _) = pipeline(&config_yaml(10, ""), NOON);
    let mut rng = Rng(7);
    let hosts = [
        "a.example.com",
        "B.Example.com",
        "b.example.com",
        "c.example.com",
        "www.c.example.com",
        "example.com",
        "api.other.io",
    ];
    let from = NOON - 50 * MINUTE;
    let all = random_requests(&mut rng, 20_000, &hosts, from);
    // Two partitions, fed one after the other.
    let (first, second) = all.split_at(all.len() / 2);
    feed(&p, 0, &first.iter().map(Req::line).collect::<Vec<_>>(), 700);
    let mut tail: Vec<String> = second.iter().map(Req::line).collect();
    tail.push(api_at(NOON - SECOND));
    feed(&p, 1, &tail, 700);

    let ordered: Vec<&Req> = all.iter().collect();
    let (want_hosts, want) = truth(&ordered, 10);
    let (body_status, body) = get(&p, "/v1/slos").await;
    assert_eq!(body_status, StatusCode::OK);
    let report: Value = serde_json::from_str(&body).unwrap();
    let (order, got) = reported(&report);
    let want_order: Vec<String> = want_hosts.iter().map(|h| format!("edge:{h}")).collect();
    assert_eq!(
        order, want_order,
        "sub-services in assignment order, no overflow"
    );
    assert_eq!(got, want);
    assert_eq!(
        want.len(),
        4,
        "a, b (either case), c and www.c; not example.com itself"
    );

    // One sub-service by its path; `:` needs no escaping, and escaped it works too.
    let (status, one) = get(&p, "/v1/slos/edge:b.example.com/latency_p99").await;
    assert_eq!(status, StatusCode::OK, "{one}");
    let one: Value = serde_json::from_str(&one).unwrap();
    assert_eq!(one["service"], "edge:b.example.com");
    let (status, _) = get(&p, "/v1/slos/edge%3Ab.example.com/availability").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(&p, "/v1/slos/edge:nobody.example.com/availability").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Its series (the web page's charts) sum the same events.
    let (status, series) = get(
        &p,
        "/v1/slos/edge:a.example.com/availability/series?window=1h&step=5m",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{series}");
    let series: Value = serde_json::from_str(&series).unwrap();
    assert_eq!(series["service"], "edge:a.example.com");
    let total: u64 = series["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["total"].as_u64().unwrap())
        .sum();
    assert_eq!(total, want["edge:a.example.com"][1]);
    // The split service itself is not an SLO entry: its sub-services are.
    let (status, _) = get(&p, "/v1/slos/edge/availability/series").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The plain service is reported as before.
    let api = report["slos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "api")
        .unwrap();
    // The last api request, at the evaluation time, is past every window's end.
    let api_total = all.iter().filter(|r| r.host == "api.other.io").count() as u64;
    assert_eq!(api["budget"]["total"].as_u64().unwrap(), api_total);

    let (_, metrics) = get(&p, "/metrics").await;
    let a = &want["edge:a.example.com"];
    for line in [
        format!(
            "slipstream_slo_events_total{{service=\"edge:a.example.com\",slo=\"availability\",result=\"good\"}} {}",
            a[0]
        ),
        format!(
            "slipstream_slo_events_total{{service=\"edge:a.example.com\",slo=\"availability\",result=\"bad\"}} {}",
            a[1] - a[0]
        ),
        "slipstream_split_hosts{service=\"edge\"} 4".to_string(),
        "slipstream_split_max_hosts{service=\"edge\"} 10".to_string(),
        "slipstream_split_overflow_events_total{service=\"edge\"} 0".to_string(),
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "missing {line}\n{metrics}"
        );
    }
    assert!(
        metrics.lines().any(|l| l.starts_with(
            "slo:sli_error:ratio_rate1h{sloth_id=\"edge:c.example.com-availability\",sloth_service=\"edge:c.example.com\",sloth_slo=\"availability\""
        )),
        "{metrics}"
    );
}

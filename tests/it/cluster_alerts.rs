//! Alert state moves with the rest in a cluster: the member that pushes alerts decides since
//! when each one fires and writes it to the cluster's log, so a member that starts later
//! (from a snapshot) reports the same `activeAt`, and when it becomes the pusher it sends the
//! same `startsAt` the first pusher sent. Thousands of firing alerts, too many for one
//! record, get there too.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::cli::free_port;
use crate::cluster::{json, member_config_from, member_config_with, top, wait_or_dump};
use crate::crash::{Instance, traffic};
use crate::kafka::Broker;

use crate::helpers::parse_time;
use slipstream::time::MINUTE;

/// Records the body of every `POST /api/v2/alerts` and answers 200: an Alertmanager
/// stand-in that keeps what each push said, as Alertmanager's own API merges `startsAt`.
fn receiver() -> (u16, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_ok()
                && let Ok(v) = serde_json::from_slice(&body)
            {
                kept.lock().unwrap().push(v);
            }
            let _ = reader
                .get_mut()
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (port, bodies)
}

/// The slow page of checkout's availability (6 h and 30 min windows, which fire all along
/// this traffic) in a push or in `/api/v1/alerts`'s list.
fn page(alerts: &Value) -> Option<&Value> {
    alerts
        .as_array()?
        .iter()
        .find(|a| a["labels"]["alertname"] == "page_6h_30m" && a["labels"]["slo"] == "availability")
}

fn active_at(m: &Instance) -> Option<String> {
    let body = json(m, "/api/v1/alerts")?;
    Some(
        page(&body["data"]["alerts"])?["activeAt"]
            .as_str()?
            .to_string(),
    )
}

/// The `startsAt` of the page in the newest push whose `generatorURL` names `port`.
fn pushed_by(bodies: &Mutex<Vec<Value>>, port: u16) -> Option<String> {
    let url = format!("http://127.0.0.1:{port}/");
    bodies.lock().unwrap().iter().rev().find_map(|b| {
        let p = page(b)?;
        p["generatorURL"]
            .as_str()?
            .starts_with(&url)
            .then(|| p["startsAt"].as_str().map(str::to_string))?
    })
}

/// Starts member `name` of cluster `cluster` (snapshots every second), pushing to the
/// Alertmanager on port `alertmanager` if given.
fn start_member(
    dir: &Path,
    broker: &Broker,
    cluster: &str,
    name: &str,
    alertmanager: Option<u16>,
) -> Instance {
    let port = free_port();
    let config = member_config_with(dir, broker, cluster, name, port, ", snapshot_interval: 1s");
    let yaml = std::fs::read_to_string(&config).unwrap();
    assert!(!yaml.contains("alertmanager"));
    if let Some(am) = alertmanager {
        let with = format!(
            "\n  alertmanager: {{url: \"http://127.0.0.1:{am}\", interval: 1s, resend: 2s}}\n  cluster:"
        );
        std::fs::write(&config, yaml.replace("\n  cluster:", &with)).unwrap();
    }
    Instance::start(&config, port)
}

/// True when `m` holds `lines` lines, answers whole, and shows the page firing.
fn whole_with_page(m: &Instance, lines: u64) -> bool {
    m.lines() == Some(lines)
        && json(m, "/v1/cluster").is_some_and(|c| c["partial"] == false)
        && active_at(m).is_some()
}

#[test]
fn a_later_member_and_the_next_pusher_keep_the_time_an_alert_began() {
    let broker = Broker::start(false);
    broker.create_topic("logs", 12);
    let dir = tempfile::tempdir().unwrap();
    let (am, bodies) = receiver();
    let start = |name: &str| start_member(dir.path(), &broker, "ca", name, Some(am));
    // Two hours of traffic ending 30 minutes before the newest, 2.5 % of it 502s: checkout's
    // 99.9 % availability burns 25× too fast, so its slow page fires at T1 (the evaluation
    // time once m1 has it).
    let (t2, t1) = (top(), top() - 30 * MINUTE);
    let first = traffic(t1, 6_000, 31);
    let m1 = start("m1");
    let m2 = start("m2");
    broker.produce("logs", 12, &first.lines);
    wait_or_dump(
        &[&m1, &m2],
        120,
        "the page pushed by m1, as m2 reports it",
        || pushed_by(&bodies, m1.port).is_some_and(|a| active_at(&m2) == Some(a)),
    );
    let began = pushed_by(&bodies, m1.port).unwrap();
    assert!(parse_time(&began) <= t1, "{began} is at most T1");
    let snapshots = |m: &Instance| {
        m.metric_sum("slipstream_cluster_snapshots_total{result=\"ok\"}")
            .unwrap_or(0)
    };
    let taken = snapshots(&m1);
    // The alert goes on firing while event time moves on 30 minutes; the decision is in
    // the snapshots m1 writes from now on.
    let second = traffic(t2, 6_000, 32);
    broker.produce("logs", 12, &second.lines);
    let all = (first.lines.len() + second.lines.len()) as u64;
    wait_or_dump(
        &[&m1, &m2],
        120,
        "the second part and two more snapshots",
        || m1.lines() == Some(all) && snapshots(&m1) >= taken + 2,
    );
    // A member that starts now sees the page firing at T2 first, yet reports T1.
    let m3 = start("m3");
    wait_or_dump(
        &[&m1, &m2, &m3],
        120,
        "m3 whole and the page firing there",
        || whole_with_page(&m3, all),
    );
    assert!(
        m3.metric_sum("slipstream_cluster_restored_from_offset ")
            .unwrap()
            > 0,
        "m3 started from a snapshot"
    );
    assert_eq!(active_at(&m3).as_deref(), Some(began.as_str()));
    // The first pusher and its successor die; m3 pushes, with the same startsAt.
    m1.kill();
    m2.kill();
    wait_or_dump(&[&m3], 120, "m3 pushing the page", || {
        pushed_by(&bodies, m3.port).is_some()
    });
    assert_eq!(pushed_by(&bodies, m3.port), Some(began));
}

/// Without `spec.alertmanager` the member that would push still decides, from an evaluation
/// every 10 s (`DECIDE_INTERVAL`): a member started after event time moved on reports when
/// the alert began.
#[test]
fn without_alertmanager_the_cluster_still_decides_when_an_alert_began() {
    let broker = Broker::start(false);
    broker.create_topic("logs", 12);
    let dir = tempfile::tempdir().unwrap();
    let start = |name: &str| start_member(dir.path(), &broker, "cd", name, None);
    let (t2, t1) = (top(), top() - 30 * MINUTE);
    let first = traffic(t1, 6_000, 31);
    let m1 = start("m1");
    let m2 = start("m2");
    broker.produce("logs", 12, &first.lines);
    let n = first.lines.len() as u64;
    wait_or_dump(&[&m1, &m2], 120, "the page at T1 on both", || {
        [&m1, &m2].iter().all(|m| m.lines() == Some(n))
            && active_at(&m1).is_some()
            && active_at(&m1) == active_at(&m2)
    });
    let began = active_at(&m1).unwrap();
    // m1 decides at its next evaluations, at most 10 s apart; leave it two.
    std::thread::sleep(std::time::Duration::from_secs(21));
    let second = traffic(t2, 6_000, 32);
    broker.produce("logs", 12, &second.lines);
    let all = n + second.lines.len() as u64;
    let m3 = start("m3");
    wait_or_dump(
        &[&m1, &m2, &m3],
        120,
        "m3 whole and the page firing there",
        || whole_with_page(&m3, all),
    );
    assert!(parse_time(&began) <= t1, "{began} is at most T1");
    assert_eq!(active_at(&m3), Some(began));
}

/// One service split by host, 99.9 % available over 30 days: every host that fails fires
/// its own burn-rate alerts.
const FLEET: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: fleet}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  window: {max_future: 5m}
  services:
    - {name: fleet, match: {host: "*.fleet.example.com"}, split_by: host, max_hosts: 1000}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: fleet}
spec:
  service: fleet
  indicators:
    - {name: availability, threshold: 99.9, window: 30d}
"#;

/// Every host of the fleet failing over the 20 minutes before `top`.
fn failing_fleet(hosts: usize, top: i64) -> Vec<String> {
    (0..hosts)
        .flat_map(|h| {
            (0..3).map(move |k| {
                let host = format!("h{h}.fleet.example.com");
                crate::helpers::alb_line(top - k * 10 * MINUTE, &host, "/", 502, Some((1, 5, 1)))
            })
        })
        .collect()
}

/// The firing alerts of `/api/v1/alerts` by their labels, with their `activeAt` (µs).
fn firing(m: &Instance) -> Option<slipstream::cluster::record::AlertTimes> {
    let body = json(m, "/api/v1/alerts")?;
    body["data"]["alerts"]
        .as_array()?
        .iter()
        .map(|a| {
            let labels = serde_json::from_value(a["labels"].clone()).ok()?;
            Some((labels, parse_time(a["activeAt"].as_str()?)))
        })
        .collect()
}

/// Thousands of firing alerts are too many for one alert-state record: the pusher writes
/// the change in bounded records that each apply on their own, and a member that starts
/// later, with no snapshot to start from, applies them from the log and reports when each
/// alert began, not when it first saw it.
#[test]
fn thousands_of_firing_alerts_reach_a_later_member_through_the_log() {
    let broker = Broker::start(false);
    broker.create_topic("logs", 4);
    let dir = tempfile::tempdir().unwrap();
    let start = |name: &str| {
        let port = free_port();
        let extra = ", snapshot_interval: 1h";
        let config = member_config_from(FLEET, dir.path(), &broker, "cf", name, port, extra);
        Instance::start(&config, port)
    };
    const HOSTS: usize = 800;
    let (t2, t1) = (top(), top() - 30 * MINUTE);
    let first = failing_fleet(HOSTS, t1);
    let m1 = start("m1");
    broker.produce("logs", 4, &first);
    let n = first.len() as u64;
    wait_or_dump(&[&m1], 120, "every host's alerts firing on m1", || {
        m1.lines() == Some(n) && firing(&m1).is_some_and(|f| f.len() >= 2 * HOSTS)
    });
    let decided = firing(&m1).unwrap();
    let records =
        slipstream::cluster::record::alert_records("m1", 0, &decided, &Default::default());
    assert!(
        records.len() > 1,
        "{} alerts fit one alert-state record: the test needs more",
        decided.len()
    );
    // m1 decides at its next evaluations, at most 10 s apart; leave it two.
    std::thread::sleep(std::time::Duration::from_secs(21));
    // Event time moves on 30 minutes, every host still failing.
    let second = failing_fleet(HOSTS, t2);
    broker.produce("logs", 4, &second);
    let all = n + second.len() as u64;
    let m2 = start("m2");
    wait_or_dump(&[&m1, &m2], 180, "m2 whole with every alert", || {
        m2.lines() == Some(all)
            && json(&m2, "/v1/cluster").is_some_and(|c| c["partial"] == false)
            && firing(&m2).is_some_and(|f| decided.keys().all(|k| f.contains_key(k)))
    });
    assert_eq!(
        m2.metric_sum("slipstream_cluster_restored_from_offset ")
            .unwrap_or(0),
        0,
        "no snapshot: m2 applied the whole log"
    );
    let reported = firing(&m2).unwrap();
    for (labels, since) in &decided {
        assert_eq!(reported.get(labels), Some(since), "{labels:?}");
        assert!(*since <= t1, "{labels:?} began by T1");
    }
}

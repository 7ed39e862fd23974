//! Every member answers the whole topic exactly: three members split the reading; members
//! killed, paused as zombies or added lose and double-count nothing; a new member starts from the
//! newest snapshot and applies only the log after it.

use std::time::Duration;

use serde_json::Value;

use super::{
    PARTITIONS, assert_exact, assert_exact_prefix, json, member_config, member_config_from,
    member_config_with, page, signal, top, wait_or_dump,
};
use crate::cli::free_port;
use crate::crash::{Instance, traffic};
use crate::exact_windows::{CONFIG, check_report};
use crate::kafka::{Broker, wait_for};

use slipstream::time::SECOND;

/// The requests of `service` produced in the `[start, end)` that `answer` reports (more
/// than a minute of it).
fn truth_in<'a>(
    input: &'a crate::exact_windows::Input,
    service: &str,
    answer: &Value,
) -> Vec<&'a crate::helpers::Truth> {
    let start = crate::helpers::parse_time(answer["start"].as_str().unwrap());
    let end = crate::helpers::parse_time(answer["end"].as_str().unwrap());
    assert!(end - start > 60 * SECOND, "{answer}");
    input
        .truth
        .iter()
        .filter(|(s, t)| *s == service && (start..end).contains(&t.t_us))
        .map(|(_, t)| t)
        .collect()
}

#[test]
fn three_members_answer_the_whole_topic_exactly_and_split_the_reading() {
    let broker = Broker::start(false);
    broker.create_topic("logs", PARTITIONS);
    let dir = tempfile::tempdir().unwrap();
    let top = top();
    let input = traffic(top, 30_000, 5);
    let n = input.lines.len() as u64;
    let half = input.lines.len() / 2;
    broker.produce("logs", PARTITIONS, &input.lines[..half]);
    // With burn attribution by status and a canary comparison (every search request is
    // the canary's, none the baseline's): every member merges the owners' minutes.
    let base = CONFIG
        .replace(
            "  services:",
            "  attribution: {by: [status], retention: 2h}\n  services:",
        )
        .replace(
            "{name: search, match: {host: search.example.com}}",
            "{name: search, match: {host: search.example.com}, canary: {canary: {host: search.example.com}, baseline: {method: POST}, window: 1h, retention: 2h}}",
        );
    assert!(base.contains("canary:"));
    let members: Vec<Instance> = ["m1", "m2", "m3"]
        .iter()
        .map(|m| {
            let port = free_port();
            let config = member_config_from(&base, dir.path(), &broker, "c3", m, port, "");
            Instance::start(&config, port)
        })
        .collect();
    // The second half arrives while they run: late and out-of-order events included.
    std::thread::sleep(Duration::from_secs(2));
    broker.produce("logs", PARTITIONS, &input.lines[half..]);
    for (i, m) in members.iter().enumerate() {
        wait_for(180, &format!("member {i} to hold every line"), || {
            m.lines() == Some(n)
        });
    }
    wait_for(60, "every member to report the whole picture", || {
        members
            .iter()
            .all(|m| json(m, "/v1/cluster").is_some_and(|c| c["partial"] == Value::Bool(false)))
    });
    for m in &members {
        let report = json(m, "/v1/slos").expect("/v1/slos");
        assert_eq!(
            report["partial"],
            Value::Bool(false),
            "{}",
            report["missing"]
        );
        check_report(&report, &input, top);
        // Contributors by status, exact, as counted from what was produced over the range
        // the answer reports.
        let c = json(m, "/v1/slos/checkout/availability/contributors?by=status").unwrap();
        let inside = truth_in(&input, "checkout", &c);
        let bad = inside.iter().filter(|t| t.bad_status()).count() as u64;
        assert_eq!(
            (c["bad"].as_u64(), c["total"].as_u64()),
            (Some(bad), Some(inside.len() as u64)),
            "{c}"
        );
        assert_eq!(c["contributors"][0]["key"], "502", "{c}");
        assert_eq!(c["contributors"][0]["bad"], bad, "{c}");
        assert_eq!(c["contributors"][0]["exact"], true, "{c}");
        // The canary's requests and 5xx, exact over the range the answer reports.
        let c = json(m, "/v1/canary/search").unwrap();
        let inside = truth_in(&input, "search", &c);
        let errors = inside.iter().filter(|t| t.bad_status()).count() as u64;
        assert_eq!(
            (
                c["canary"]["requests"].as_u64(),
                c["canary"]["errors"].as_u64()
            ),
            (Some(inside.len() as u64), Some(errors)),
            "{c}"
        );
        assert_eq!(c["baseline"]["requests"], 0, "{c}");
        assert_eq!(c["verdict"], "not_enough_data", "{c}");
        let cluster = json(m, "/v1/cluster").unwrap();
        assert_eq!(cluster["members"].as_array().unwrap().len(), 3, "{cluster}");
        assert_eq!(
            cluster["partitions"].as_array().unwrap().len(),
            PARTITIONS as usize
        );
    }
    let read: Vec<u64> = members
        .iter()
        .map(|m| {
            m.metric_sum("slipstream_cluster_lines_read_total ")
                .unwrap()
        })
        .collect();
    eprintln!("lines read per member: {read:?} of {n}");
    assert_eq!(read.iter().sum::<u64>(), n, "each line read once: {read:?}");
    assert!(
        read.iter().all(|&r| r > 0),
        "every member read some: {read:?}"
    );
    let pushers: Vec<u64> = members
        .iter()
        .map(|m| m.metric_sum("slipstream_cluster_pusher ").unwrap())
        .collect();
    assert_eq!(pushers, [1, 0, 0], "the smallest member id pushes alerts");
    // The page lists the members (checked in headless Chromium when it is installed).
    if let Some(dom) = page(&members[1]) {
        assert_eq!(
            dom.matches("data-testid=\"cluster-member\"").count(),
            3,
            "{dom}"
        );
        assert!(!dom.contains("data-testid=\"partial\""), "{dom}");
    }
}

#[test]
fn members_killed_paused_as_zombies_or_added_lose_and_double_nothing() {
    let broker = Broker::start(false);
    broker.create_topic("logs", PARTITIONS);
    let dir = tempfile::tempdir().unwrap();
    let top = top();
    let input = traffic(top, 24_000, 9);
    let chunks: Vec<&[String]> = input.lines.chunks(input.lines.len() / 6 + 1).collect();
    let start = |name: &str| {
        let port = free_port();
        Instance::start(&member_config(dir.path(), &broker, "c4", name, port), port)
    };
    let upto = |k: usize| chunks[..k].iter().map(|c| c.len()).sum::<usize>();
    let mut m1 = start("m1");
    let mut m2 = start("m2");
    let m3 = start("m3");
    broker.produce("logs", PARTITIONS, chunks[0]);
    assert_exact_prefix(&[&m1, &m2, &m3], &input, upto(1));
    // SIGKILL mid-stream, restarted at once with nothing but the cluster's topics.
    broker.produce("logs", PARTITIONS, chunks[1]);
    m2.kill();
    m2 = start("m2");
    assert_exact_prefix(&[&m1, &m2, &m3], &input, upto(2));
    // Paused past the member timeout: its partitions move; resumed, it is a zombie whose
    // writes must count for nothing.
    signal(&m3, "-STOP");
    broker.produce("logs", PARTITIONS, chunks[2]);
    wait_or_dump(&[&m1, &m2], 90, "m3's partitions to move", || {
        json(&m1, "/v1/cluster").is_some_and(|c| {
            c["partitions"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["owner"] != "m3")
        })
    });
    signal(&m3, "-CONT");
    broker.produce("logs", PARTITIONS, chunks[3]);
    assert_exact_prefix(&[&m1, &m2, &m3], &input, upto(4));
    // Scale 3 → 2 → 4.
    m1.kill();
    broker.produce("logs", PARTITIONS, chunks[4]);
    assert_exact_prefix(&[&m2, &m3], &input, upto(5));
    m1 = start("m1");
    let m4 = start("m4");
    broker.produce("logs", PARTITIONS, chunks[5]);
    assert_exact(&[&m1, &m2, &m3, &m4], &input, top);
    let fenced: u64 = m4
        .metric_sum("slipstream_cluster_deltas_total{verdict=\"fenced\"}")
        .unwrap();
    eprintln!("deltas fenced: {fenced}");
}

#[test]
fn a_member_starts_from_the_newest_snapshot_and_applies_only_the_log_after_it() {
    let broker = Broker::start(false);
    broker.create_topic("logs", PARTITIONS);
    let dir = tempfile::tempdir().unwrap();
    let top = top();
    let input = traffic(top, 12_000, 17);
    let half = input.lines.len() / 2;
    let start = |name: &str| {
        let port = free_port();
        let config = member_config_with(
            dir.path(),
            &broker,
            "c6",
            name,
            port,
            ", snapshot_interval: 1s",
        );
        Instance::start(&config, port)
    };
    let m1 = start("m1");
    let m2 = start("m2");
    broker.produce("logs", PARTITIONS, &input.lines[..half]);
    wait_or_dump(
        &[&m1, &m2],
        120,
        "the first half and a snapshot of it",
        || {
            m1.lines() == Some(half as u64)
                && m1
                    .metric_sum("slipstream_cluster_snapshots_total{result=\"ok\"}")
                    .is_some_and(|n| n >= 2)
        },
    );
    broker.produce("logs", PARTITIONS, &input.lines[half..]);
    let m3 = start("m3");
    assert_exact(&[&m1, &m2, &m3], &input, top);
    let restored = m3
        .metric_sum("slipstream_cluster_restored_from_offset ")
        .unwrap();
    let applied = m3
        .metric_sum("slipstream_cluster_log_records_total ")
        .unwrap();
    let end = json(&m3, "/v1/cluster").unwrap()["log"]["end"]
        .as_u64()
        .unwrap();
    eprintln!("restored from offset {restored}, applied {applied} of {end} records");
    assert!(restored > 0, "m3 started from a snapshot");
    assert!(
        applied < end,
        "m3 applied only the log after the snapshot: {applied} of {end}"
    );
    assert!(
        m1.metric_sum("slipstream_cluster_snapshot_bytes ").unwrap() > 0,
        "the pusher wrote snapshots"
    );
    assert_eq!(
        m2.metric_sum("slipstream_cluster_snapshots_total{result=\"ok\"}"),
        Some(0),
        "only the pushing member writes snapshots"
    );
}

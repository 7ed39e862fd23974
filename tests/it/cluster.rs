//! Cluster mode against the real broker: `slipstream` processes in one cluster over a topic
//! that is not keyed by service. Every member's answers must equal, window by window, the
//! counts computed straight from what was produced, and the members must have split the
//! reading between them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::cli::{free_port, http_get};
use crate::crash::{Instance, traffic};
use crate::exact_windows::{CONFIG, check_report};
use crate::kafka::{Broker, kafka_yaml, wait_for};

use slipstream::time::SECOND;

/// The topic's partitions.
const PARTITIONS: i32 = 12;

/// One member's configuration file: the exact-windows SLOs read from `topic` by the group
/// `group`, in the cluster `cluster` as member `member`, answering on `port`. A short
/// session timeout lets a killed member's partitions move within seconds.
fn member_config(dir: &Path, broker: &Broker, cluster: &str, member: &str, port: u16) -> PathBuf {
    let yaml = kafka_yaml(CONFIG, &broker.brokers(), "logs", &format!("{cluster}-group"))
        .replace(
            "start_from: earliest}",
            "start_from: earliest, options: {session.timeout.ms: \"6000\", heartbeat.interval.ms: \"500\"}}",
        )
        .replace(
            "window: {max_future: 5m}",
            &format!(
                "window: {{max_future: 5m}}\n  cluster: {{name: {cluster}, member_id: {member}, advertise_url: \"http://127.0.0.1:{port}\", member_timeout: 5s}}"
            ),
        );
    let path = dir.join(format!("{member}.yaml"));
    std::fs::write(&path, yaml).unwrap();
    path
}

fn json(instance: &Instance, path: &str) -> Option<Value> {
    let (status, body) = http_get(instance.port, path)?;
    (status == 200).then(|| serde_json::from_str(&body).ok())?
}

/// Wall-clock seconds now, minus a minute: the newest event time of the traffic.
fn top() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    (now - 60) * SECOND
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
    let members: Vec<Instance> = ["m1", "m2", "m3"]
        .iter()
        .map(|m| {
            let port = free_port();
            Instance::start(&member_config(dir.path(), &broker, "c3", m, port), port)
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
}

//! Cluster mode against the real broker: `slipstream` processes in one cluster over a topic
//! that is not keyed by service. Every member's answers must equal, window by window, the
//! counts computed straight from what was produced, and the members must have split the
//! reading between them.

mod exact;
mod handover;
mod shared_state;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::cli::http_get;
use crate::crash::Instance;
use crate::exact_windows::{CONFIG, check_report};
use crate::kafka::{Broker, kafka_yaml};

use slipstream::time::SECOND;

/// The topic's partitions.
const PARTITIONS: i32 = 12;

/// One member's configuration file: the exact-windows SLOs read from `topic` by the group
/// `group`, in the cluster `cluster` as member `member`, answering on `port`. A short
/// member timeout lets a killed member's partitions move within seconds.
pub(crate) fn member_config(
    dir: &Path,
    broker: &Broker,
    cluster: &str,
    member: &str,
    port: u16,
) -> PathBuf {
    member_config_with(dir, broker, cluster, member, port, "")
}

/// [`member_config`] with `extra` added to the `cluster` block (`, key: value`).
pub(crate) fn member_config_with(
    dir: &Path,
    broker: &Broker,
    cluster: &str,
    member: &str,
    port: u16,
    extra: &str,
) -> PathBuf {
    member_config_from(CONFIG, dir, broker, cluster, member, port, extra)
}

/// [`member_config_with`] for the pipeline `base` (a stdin source and `window: {max_future:
/// 5m}`, which the Kafka source and the cluster block replace and follow).
pub(crate) fn member_config_from(
    base: &str,
    dir: &Path,
    broker: &Broker,
    cluster: &str,
    member: &str,
    port: u16,
    extra: &str,
) -> PathBuf {
    let yaml = kafka_yaml(base, &broker.brokers(), "logs", &format!("{cluster}-group"))
        .replace(
            "window: {max_future: 5m}",
            &format!(
                "window: {{max_future: 5m}}\n  cluster: {{name: {cluster}, member_id: {member}, advertise_url: \"http://127.0.0.1:{port}\", member_timeout: 5s{extra}}}"
            ),
        );
    let path = dir.join(format!("{member}.yaml"));
    std::fs::write(&path, yaml).unwrap();
    path
}

pub(crate) fn json(instance: &Instance, path: &str) -> Option<Value> {
    let (status, body) = http_get(instance.port, path)?;
    (status == 200).then(|| serde_json::from_str(&body).ok())?
}

/// Wall-clock seconds now, minus a minute: the newest event time of the traffic.
pub(crate) fn top() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    (now - 60) * SECOND
}

/// The DOM of `instance`'s page as headless Chromium renders it; `None` without Chromium.
fn page(instance: &Instance) -> Option<String> {
    let exe = crate::web::on_path("chromium")?;
    let url = format!("http://127.0.0.1:{}/", instance.port);
    Some(crate::web::chromium(&exe, &url, &["--dump-dom"]))
}

/// Waits up to `secs` for `done`; on timeout prints what every member says of the
/// cluster, then fails.
pub(crate) fn wait_or_dump(
    members: &[&Instance],
    secs: u64,
    what: &str,
    mut done: impl FnMut() -> bool,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while !done() {
        if std::time::Instant::now() > deadline {
            // One line per member first: a long dump is cut in CI's summary.
            for m in members {
                eprintln!(
                    "port {} (process {}, state {}): lines {:?}",
                    m.port,
                    m.child.id(),
                    m.process_state(),
                    m.lines()
                );
            }
            // Why a member that exited did so (its log's end).
            for m in members {
                if matches!(m.process_state().as_str(), "Z" | "gone") {
                    for line in m.log_tail(20) {
                        eprintln!("port {} log: {line}", m.port);
                    }
                }
            }
            for m in members {
                if let Some(c) = json(m, "/v1/cluster") {
                    eprintln!("port {}: {}", m.port, serde_json::to_string(&c).unwrap());
                }
            }
            panic!("timed out after {secs} s waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub(crate) fn signal(instance: &Instance, sig: &str) {
    let status = std::process::Command::new("kill")
        .args([sig, &instance.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill {sig}");
}

/// Waits until every member holds `n` lines and answers with the whole picture, then
/// checks every member's windows against the truth.
pub(crate) fn assert_exact(members: &[&Instance], input: &crate::exact_windows::Input, top: i64) {
    assert_exact_prefix(members, input, input.lines.len());
    let newest = input.truth.iter().map(|(_, t)| t.t_us).max();
    assert_eq!(newest, Some(top), "the traffic ends at its top");
}

/// Waits until every member holds exactly the first `produced` lines of `input` (which has
/// one truth per line, as [`traffic`] makes) with whole answers, and checks every member's
/// windows against the counts computed from those lines, at T = their newest event.
pub(crate) fn assert_exact_prefix(
    members: &[&Instance],
    input: &crate::exact_windows::Input,
    produced: usize,
) {
    assert_eq!(input.lines.len(), input.truth.len(), "one truth per line");
    let n = produced as u64;
    let whole = |m: &Instance| {
        m.lines() == Some(n)
            && json(m, "/v1/cluster").is_some_and(|c| c["partial"] == Value::Bool(false))
    };
    wait_or_dump(
        members,
        240,
        &format!("every member to hold each of the first {n} lines once"),
        || members.iter().all(|m| whole(m)),
    );
    // A late double count would show up here.
    std::thread::sleep(Duration::from_secs(2));
    let prefix = crate::exact_windows::Input {
        lines: Vec::new(),
        truth: input.truth[..produced].to_vec(),
        malformed: 0,
        too_future: 0,
    };
    let now = prefix.truth.iter().map(|(_, t)| t.t_us).max().unwrap_or(0);
    for m in members {
        assert_eq!(m.lines(), Some(n), "nothing counted twice");
        let report = json(m, "/v1/slos").expect("/v1/slos");
        check_report(&report, &prefix, now);
    }
}

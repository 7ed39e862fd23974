//! What every member holds through the cluster log: the annotations and budget adjustments
//! written to any member, and the alert history of the deltas it folds.

use serde_json::Value;

use super::{json, member_config, member_config_with, top, wait_or_dump};
use crate::cli::{free_port, http_get};
use crate::crash::{Instance, traffic};
use crate::kafka::{Broker, wait_for};

use slipstream::time::SECOND;

/// Annotations and budget adjustments written to any member go through the cluster log:
/// every member lists the same annotations with the same ids, a delete through another
/// member removes one everywhere, a member that starts later has them too, and an adjustment
/// leaves every member with the same counts.
#[test]
fn annotations_written_to_any_member_are_every_members() {
    use crate::annotations::send_to as send;
    let broker = Broker::start(false);
    broker.create_topic("logs", 2);
    let dir = tempfile::tempdir().unwrap();
    let start = |name: &str| {
        let port = free_port();
        let config = member_config_with(
            dir.path(),
            &broker,
            "ca",
            name,
            port,
            ", snapshot_interval: 1s",
        );
        let yaml = std::fs::read_to_string(&config).unwrap().replace(
            "\n  cluster: {",
            "\n  http: {allow_unauthenticated_writes: true}\n  cluster: {",
        );
        std::fs::write(&config, yaml).unwrap();
        Instance::start(&config, port)
    };
    let (m1, m2) = (start("m1"), start("m2"));
    broker.produce("logs", 2, &traffic(top(), 200, 3).lines);
    wait_or_dump(&[&m1, &m2], 120, "both members ready", || {
        [&m1, &m2]
            .iter()
            .all(|m| http_get(m.port, "/readyz").is_some_and(|(s, _)| s == 200))
    });
    let listed = |m: &Instance| -> Vec<(u64, String)> {
        json(m, "/v1/annotations").map_or_else(Vec::new, |v| {
            v["annotations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    (
                        a["id"].as_u64().unwrap(),
                        a["text"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
    };
    let deploy = r#"{"time": "2026-12-01T10:00:00Z", "kind": "deploy", "service": "checkout", "text": "v5.15"}"#;
    let (status, body) = send(m1.port, "POST", "/v1/annotations", deploy);
    assert_eq!(status, 201, "{body}");
    let added: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(added["id"], 0);
    let incident = r#"{"time": "2026-12-01T11:00:00Z", "end": "2026-12-01T11:20:00Z", "kind": "incident", "text": "INC-9"}"#;
    let (status, body) = send(m2.port, "POST", "/v1/annotations", incident);
    assert_eq!(status, 201, "{body}");
    let both = vec![(0, "v5.15".to_string()), (1, "INC-9".to_string())];
    wait_for(30, "both members to list both annotations", || {
        listed(&m1) == both && listed(&m2) == both
    });
    // A bad one is refused by the member, before the log.
    let (status, body) = send(
        m2.port,
        "POST",
        "/v1/annotations",
        r#"{"time": "soon", "kind": "note"}"#,
    );
    assert_eq!(status, 400, "{body}");
    // Deleted through the other member: gone from both.
    let (status, body) = send(m2.port, "DELETE", "/v1/annotations/0", "");
    assert_eq!(status, 200, "{body}");
    let (status, _) = send(m1.port, "DELETE", "/v1/annotations/7", "");
    assert_eq!(status, 404);
    let rest = vec![(1, "INC-9".to_string())];
    wait_for(30, "the delete to reach both members", || {
        listed(&m1) == rest && listed(&m2) == rest
    });
    // A member started now has them, from the snapshot or the log.
    let m3 = start("m3");
    wait_for(60, "the new member to list them", || listed(&m3) == rest);
    // A budget adjustment declared through one member goes through the log too: every
    // member applies it to the same counts at the same place.
    let window = (top() - 30 * 60 * SECOND, top() - 20 * 60 * SECOND);
    let (status, body) = send(
        m3.port,
        "POST",
        "/v1/adjustments",
        &format!(
            r#"{{"name": "provider", "start": "{}", "end": "{}", "slos": ["checkout"]}}"#,
            slipstream::time::format_rfc3339(window.0),
            slipstream::time::format_rfc3339(window.1)
        ),
    );
    assert_eq!(status, 201, "{body}");
    let declared = |m: &Instance| {
        json(m, "/v1/adjustments?service=checkout&slo=availability").and_then(|a| {
            let a = a["adjustments"].as_array()?.first()?.clone();
            (a["name"] == "provider").then(|| a["slos"][0].clone())
        })
    };
    wait_for(30, "every member to hold the adjustment", || {
        [&m1, &m2, &m3].iter().all(|m| declared(m).is_some())
    });
    let states: Vec<Value> = [&m1, &m2, &m3]
        .iter()
        .map(|m| declared(m).unwrap())
        .collect();
    assert!(states.iter().all(|s| *s == states[0]), "{states:?}");
    assert!(states[0]["total"].as_u64().unwrap() > 0, "{states:?}");
    let windows =
        |m: &Instance| json(m, "/v1/slos/checkout/availability").unwrap()["windows"].clone();
    assert_eq!(windows(&m1), windows(&m2));
    assert_eq!(windows(&m1), windows(&m3));
    let (status, body) = send(m1.port, "DELETE", "/v1/adjustments/provider", "");
    assert_eq!(status, 200, "{body}");
    wait_for(30, "every member to drop it", || {
        [&m1, &m2, &m3].iter().all(|m| declared(m).is_none())
    });
}

/// Every member records the alert history from the deltas it folds: the impact of the
/// traffic's two hours names an alert on each, and each says where its history starts.
#[test]
fn every_member_records_when_alerts_fired() {
    let broker = Broker::start(false);
    broker.create_topic("logs", 4);
    let dir = tempfile::tempdir().unwrap();
    let top = top();
    // One request in 40 fails: a burn of 25 against 99.9 %, above every page factor. Sent as
    // a live stream arrives, six minutes of event time at a time, so that the evaluation time
    // walks through the two hours (all at once, the first delta of a partition would move it
    // to the end in one step, past the minutes whose windows it still holds exactly).
    let input = traffic(top, 6_000, 23);
    let n = input.lines.len() as u64;
    let mut order: Vec<usize> = (0..input.lines.len()).collect();
    order.sort_by_key(|&i| input.truth[i].1.t_us);
    let step = 6 * 60 * SECOND;
    let mut chunks: Vec<Vec<String>> = Vec::new();
    for &i in &order {
        let k = ((input.truth[i].1.t_us - (top - 2 * 3600 * SECOND)) / step).max(0) as usize;
        chunks.resize(chunks.len().max(k + 1), Vec::new());
        chunks[k].push(input.lines[i].clone());
    }
    let members: Vec<Instance> = ["m1", "m2"]
        .iter()
        .map(|m| {
            let port = free_port();
            Instance::start(&member_config(dir.path(), &broker, "ch", m, port), port)
        })
        .collect();
    // An owner sends deltas without events too (a watermark only): one folded before the
    // first event must not start the history at the wall clock, after every event sent.
    wait_for(30, "both members to fold a delta before any event", || {
        members.iter().all(|m| {
            m.metric_sum("slipstream_cluster_deltas_total{verdict=\"applied\"}")
                .is_some_and(|n| n > 0)
        })
    });
    let mut sent = 0u64;
    for chunk in &chunks {
        broker.produce("logs", 4, chunk);
        sent += chunk.len() as u64;
        wait_for(60, "both members to hold what was sent", || {
            members.iter().all(|m| m.lines() == Some(sent))
        });
    }
    assert_eq!(sent, n);
    // Which minutes a member evaluates depends on how its folds fell (a fold of a long
    // stretch leaves the minutes past the slack out), so this asks only that each member's
    // history names an alert of the SLO over the traffic's two hours: with one request in
    // 40 failing, every minute evaluated with data fires some (the budget and the 1×
    // ticket alerts as soon as one failure is in their windows).
    let uri = format!(
        "/v1/slos/checkout/availability/impact?start={}&end={}",
        slipstream::time::format_rfc3339(top - 2 * 3600 * SECOND),
        slipstream::time::format_rfc3339(top + SECOND)
    );
    for m in &members {
        wait_for(60, "the member's history to name an alert", || {
            json(m, &uri).is_some_and(|r| {
                r["alerts_recorded_from"].is_string()
                    && r["alerts"].as_array().is_some_and(|a| !a.is_empty())
            })
        });
    }
}

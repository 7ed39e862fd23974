//! The split's configuration: a reload keeps the hosts' assignment unless the split changes,
//! and a bad `max_hosts` is an error with its path.

use super::{Req, api_at, config_yaml};
use crate::helpers::{NOON, feed, pipeline};
use slipstream::app::Pipeline;
use slipstream::config;
use slipstream::time::{MINUTE, SECOND};

#[test]
fn a_reload_keeps_the_assignment_unless_the_split_changes() {
    let (p, _) = pipeline(&config_yaml(2, ""), NOON);
    let reqs: Vec<Req> = ["x.example.com", "y.example.com", "z.example.com"]
        .iter()
        .map(|h| Req {
            t_us: NOON - MINUTE,
            host: h.to_string(),
            status: 200,
            latency_ms: 5,
        })
        .collect();
    let mut lines: Vec<String> = reqs.iter().map(Req::line).collect();
    lines.push(api_at(NOON - SECOND));
    feed(&p, 0, &lines, 10);
    let services = |p: &Pipeline| -> Vec<(String, u64)> {
        let e = p.evaluate();
        e.objectives
            .iter()
            .zip(&e.counts)
            .filter(|(o, _)| &*o.slo == "availability" && o.service.starts_with("edge"))
            .map(|(o, c)| (o.service.to_string(), c.lifetime[0]))
            .collect()
    };
    let before = vec![
        ("edge:x.example.com".to_string(), 1),
        ("edge:y.example.com".to_string(), 1),
        ("edge:_overflow".to_string(), 1),
    ];
    assert_eq!(services(&p), before);
    // An unrelated change (the api SLO's objective): everything is kept.
    let same = config_yaml(2, "").replace("threshold: 99,", "threshold: 98,");
    p.reload(config::parse(&same, "r.yaml")).unwrap();
    assert_eq!(services(&p), before);
    // A new host after the reload still overflows: the table was kept.
    feed(
        &p,
        0,
        &[reqs[2].line().replace("z.example", "w.example")],
        1,
    );
    assert_eq!(services(&p)[2], ("edge:_overflow".to_string(), 2));
    // Another max_hosts starts the assignment again.
    p.reload(config::parse(&config_yaml(3, ""), "r.yaml"))
        .unwrap();
    assert_eq!(services(&p), []);
    let e = p.evaluate();
    assert_eq!(e.splits[0].hosts, 0);
    assert_eq!(
        e.splits[0].overflow_events, 0,
        "the overflow count went with its table"
    );
}

#[test]
fn a_bad_max_hosts_is_a_config_error_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, config_yaml(0, "")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slipstream"))
        .arg("validate")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("document 1 (Pipeline split): spec.services[1].max_hosts: must be between 1 and 10000, not 0"),
        "{err}"
    );
}

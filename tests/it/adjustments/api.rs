//! Windows declared through `POST /v1/adjustments`: applied, kept and removed; and cluster mode,
//! which takes them through its log only.

use serde_json::Value;

// `super::config` is both the parent's `config()` and the `slipstream::config` it imports.
use super::{Judge, config, events, late_old, late_recent, lines, named, now, open_at, ranges};
use crate::helpers::{feed, get_json, parse_time};
use slipstream::app::Pipeline;
use slipstream::clock::ManualClock;
use slipstream::time::{HOUR, MINUTE, SECOND, format_rfc3339};

/// `POST /v1/adjustments` with JSON `body` to `router`: status and JSON answer.
async fn post(router: &axum::Router, body: &str) -> (u16, Value) {
    let request = axum::http::Request::post("/v1/adjustments")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let (status, text) = crate::helpers::call(router, request).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn windows_declared_through_the_api_are_applied_kept_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    // No late window in the configuration: both come through the API.
    let clock = ManualClock::new(now());
    let p = open_at(&config(dir.path(), false), clock.clone());
    let mut before = events(now() - 40 * HOUR, now(), 20_000, 17);
    before.push((now(), false));
    feed(&p, 0, &lines(&before), 1000);
    let writes = slipstream::serve::annotations::Writes::Open;
    let router = slipstream::serve::router_with(p.clone(), None, writes);
    let body = |name: &str, (s, e): (i64, i64), mode: &str| {
        format!(
            r#"{{"name": "{name}", "description": "provider outage", "start": "{}", "end": "{}", "mode": "{mode}", "slos": ["api/availability"]}}"#,
            format_rfc3339(s),
            format_rfc3339(e)
        )
    };
    // After the fact, like the reload's: the recent one at 1 s, the old one coarser.
    let (status, created) = post(&router, &body("late-recent", late_recent(), "exclude")).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["source"], "api");
    assert_eq!(
        created["slos"][0]["declared_at"],
        format_rfc3339(now() + SECOND)
    );
    assert_eq!(
        ranges(&created["slos"][0]["applied_to_counted"]),
        vec![late_recent()]
    );
    let (status, created) = post(&router, &body("late-old", late_old(), "count_as_good")).await;
    assert_eq!(status, 201, "{created}");
    let old_applied = ranges(&created["slos"][0]["applied_to_counted"]);
    // Ahead: an hour from now, exact from its first event.
    let future = (now() + 20 * MINUTE + 500_000, now() + 30 * MINUTE);
    let (status, created) = post(&router, &body("ahead-api", future, "exclude")).await;
    assert_eq!(status, 201, "{created}");
    assert!(
        created["slos"][0]["applied_to_counted"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Refusals: a taken name, an SLO that does not exist, a bad range, writes off.
    let (status, e) = post(&router, &body("ahead", future, "exclude")).await;
    assert_eq!(status, 409, "{e}");
    assert!(
        e["error"].as_str().unwrap().contains("exists already"),
        "{e}"
    );
    let (status, e) = post(
        &router,
        &body("x", future, "exclude").replace("api/availability", "api/latency"),
    )
    .await;
    assert_eq!(status, 400, "{e}");
    assert!(e["error"].as_str().unwrap().contains("names no SLO"), "{e}");
    let (status, e) = post(&router, &body("x", (future.1, future.0), "exclude")).await;
    assert_eq!(status, 400, "{e}");
    let (status, e) = post(&router, &body("x", future, "skip")).await;
    assert_eq!(status, 400, "{e}");
    let closed = slipstream::serve::router(p.clone());
    let (status, e) = post(&closed, &body("x", future, "exclude")).await;
    assert_eq!(status, 403, "{e}");

    // Forty minutes later, traffic up to then: late events inside the past windows, and
    // the window declared ahead's own.
    clock.set(now() + 40 * MINUTE);
    let mut after = events(now() - 24 * HOUR, now() + 40 * MINUTE, 3_000, 19);
    after.push((now() + 40 * MINUTE, false));
    let in_future = |t: i64| (future.0..future.1).contains(&t);
    after.extend((0..50).map(|i| (future.0 + i * 11 * SECOND, i % 3 == 0)));
    after.sort_unstable();
    feed(&p, 1, &lines(&after), 500);
    let judge = Judge {
        old_applied,
        recent_applied: vec![late_recent()],
    };
    let (_, one) = get_json(&router, "/v1/slos/api/availability").await;
    for w in one["windows"].as_array().unwrap() {
        let (from, to) = (
            parse_time(w["start"].as_str().unwrap()),
            parse_time(w["end"].as_str().unwrap()),
        );
        let (mut good, mut total) = judge.count(&before, &after, from, to);
        // The events of the window declared ahead are all left out.
        let ahead: Vec<_> = after
            .iter()
            .filter(|e| in_future(e.0) && (from..to).contains(&e.0))
            .collect();
        total -= ahead.len() as u64;
        good -= ahead.iter().filter(|e| !e.1).count() as u64;
        let got = (w["good"].as_u64().unwrap(), w["total"].as_u64().unwrap());
        assert_eq!(got, (good, total), "window {w}");
    }
    let (_, listed) = get_json(&router, "/v1/adjustments").await;
    let future_apart = after.iter().filter(|e| in_future(e.0)).count() as u64;
    assert_eq!(
        named(&listed, "ahead-api")["slos"][0]["total"],
        future_apart
    );
    assert_eq!(named(&listed, "ahead")["source"], "config");

    // A restart: the declarations, their state and the counts are kept, applied once.
    p.checkpoint();
    drop((router, closed));
    drop(p);
    let again = open_at(
        &config(dir.path(), false),
        ManualClock::new(now() + 40 * MINUTE),
    );
    let router = slipstream::serve::router_with(again.clone(), None, writes);
    let (_, restored) = get_json(&router, "/v1/adjustments").await;
    assert_eq!(restored, listed);
    let (_, one_again) = get_json(&router, "/v1/slos/api/availability").await;
    assert_eq!(one_again["windows"], one["windows"]);

    // Deleting: a configured one is refused; an API one goes, and events count again.
    let delete = |name: &str| {
        axum::http::Request::delete(format!("/v1/adjustments/{name}"))
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let (status, _) = crate::helpers::call(&router, delete("ahead")).await;
    assert_eq!(status, 409);
    let (status, _) = crate::helpers::call(&router, delete("nope")).await;
    assert_eq!(status, 404);
    let (status, body) = crate::helpers::call(&router, delete("late-recent")).await;
    assert_eq!(status, 200, "{body}");
    let (_, listed) = get_json(&router, "/v1/adjustments").await;
    assert!(
        listed["adjustments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["name"] != "late-recent"),
        "{listed}"
    );
    // The counts it adjusted stay so.
    let (_, after_delete) = get_json(&router, "/v1/slos/api/availability").await;
    assert_eq!(after_delete["windows"], one["windows"]);
}

/// Cluster mode reads no BudgetAdjustment document (members reload at different times) and
/// says to declare one through the API; a member whose cluster log is not open yet answers
/// a declaration with 503.
#[tokio::test]
async fn cluster_mode_takes_adjustments_through_the_log_only() {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/cluster-example.yaml"
    ))
    .unwrap();
    let service = example
        .lines()
        .find_map(|l| l.trim().strip_prefix("- {name: "))
        .and_then(|l| l.split(',').next())
        .expect("a service in the cluster example")
        .to_string();
    let with = format!(
        "{example}\n---\napiVersion: reliability/v1\nkind: BudgetAdjustment\nmetadata: {{name: m}}\nspec:\n  first_event_start: 2026-03-01T02:00:00Z\n  duration: 1h\n  slos: [{service}]\n"
    );
    let e = config::parse(&with, "cluster.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("spec.slos: BudgetAdjustment documents are not read in cluster mode")
            && e.contains("declare it with POST /v1/adjustments"),
        "{e}"
    );
    let c = config::parse(&example, "cluster.yaml").unwrap_or_else(|e| panic!("{e}"));
    let p = Pipeline::new(&c, std::sync::Arc::new(ManualClock::new(now())));
    let writes = slipstream::serve::annotations::Writes::Open;
    let router = slipstream::serve::router_with(p, None, writes);
    let body = format!(
        r#"{{"name": "x", "start": "2026-03-01T02:00:00Z", "end": "2026-03-01T03:00:00Z", "slos": ["{service}"]}}"#
    );
    let (status, answer) = post(&router, &body).await;
    assert_eq!(status, 503, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("has not opened the cluster log"),
        "{answer}"
    );
}

//! The alert history against alerts worked out here, minute by minute, from the generated
//! events with the SRE workbook's rule (both windows burn strictly faster than the factor):
//! firing count and minutes in a day's report row, first firing and detection delay in an
//! incident's impact, and the history kept across a restart.

use serde_json::Value;

use crate::helpers::{alb_line, get_json, parse_time};
use slipstream::app::Pipeline;
use slipstream::clock::ManualClock;
use slipstream::config;
use slipstream::time::{DAY, HOUR, MINUTE, SECOND, epoch_us, format_rfc3339};

/// 2026-03-10 00:00 UTC: the day of the incident.
fn day() -> i64 {
    epoch_us(2026, 3, 10, 0, 0, 0, 0).unwrap()
}

/// The wall clock: ten minutes into the next day.
fn now() -> i64 {
    day() + DAY + 10 * MINUTE
}

fn config(dir: &std::path::Path) -> String {
    crate::helpers::api_availability_checkpointed(dir)
}

/// Two requests a second from 08:00 to 12:00; from 10:00 for 18 minutes 12 % fail, 60 % in
/// its 5th minute. Then one good request every 30 s until ten minutes past midnight.
fn events() -> Vec<(i64, bool)> {
    let incident = day() + 10 * HOUR;
    let mut out: Vec<(i64, bool)> = (0..4 * 3600 * 2)
        .map(|i| {
            let t = day() + 8 * HOUR + i * SECOND / 2;
            let k = i % 100;
            let bad = if (incident + 4 * MINUTE..incident + 5 * MINUTE).contains(&t) {
                k < 60
            } else if (incident..incident + 18 * MINUTE).contains(&t) {
                k < 12
            } else {
                false
            };
            (t, bad)
        })
        .collect();
    let mut t = day() + 12 * HOUR;
    while t <= now() {
        out.push((t, false));
        t += 30 * SECOND;
    }
    out
}

/// The default alerts of a 30-day SLO at 99.9 %: name, long and short window, factor in
/// tenths.
const ALERTS: [(&str, i64, i64, u64); 4] = [
    ("page_1h_5m", HOUR, 5 * MINUTE, 144),
    ("page_6h_30m", 6 * HOUR, 30 * MINUTE, 60),
    ("ticket_1d_2h", DAY, 2 * HOUR, 30),
    ("ticket_3d_6h", 3 * DAY, 6 * HOUR, 10),
];

/// Whether the alert fires at minute `m`: in both windows ending at `m`, bad / total
/// strictly above factor × 0.1 %, i.e. bad × 10,000 > factor_tenths × total.
fn fires(events: &[(i64, bool)], m: i64, long: i64, short: i64, tenths: u64) -> bool {
    let burns = |w: i64| {
        let inside = events.iter().filter(|e| (m - w..m).contains(&e.0));
        let (total, bad) = inside.fold((0u64, 0u64), |(n, b), e| (n + 1, b + u64::from(e.1)));
        total > 0 && bad * 10_000 > tenths * total
    };
    burns(long) && burns(short)
}

/// The intervals `[start, end)` each alert fires over, minute by minute from `from` to `to`.
fn expected(events: &[(i64, bool)], from: i64, to: i64) -> Vec<(&'static str, Vec<(i64, i64)>)> {
    ALERTS
        .iter()
        .map(|&(name, long, short, tenths)| {
            let mut intervals: Vec<(i64, i64)> = Vec::new();
            let mut m = from;
            while m <= to {
                if fires(events, m, long, short, tenths) {
                    match intervals.last_mut() {
                        Some(last) if last.1 == m => last.1 = m + MINUTE,
                        _ => intervals.push((m, m + MINUTE)),
                    }
                }
                m += MINUTE;
            }
            (name, intervals)
        })
        .collect()
}

fn lines(events: &[(i64, bool)]) -> Vec<String> {
    let line = |&(t, bad): &(i64, bool)| {
        alb_line(t, "api.example.com", "/", if bad { 503 } else { 200 }, None)
    };
    events.iter().map(line).collect()
}

fn open(yaml: &str) -> std::sync::Arc<Pipeline> {
    let config = config::parse(yaml, "history.yaml").unwrap_or_else(|e| panic!("{e}"));
    Pipeline::open(&config, std::sync::Arc::new(ManualClock::new(now()))).unwrap()
}

#[tokio::test]
async fn reports_and_impact_say_when_each_alert_fired() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(&config(dir.path()));
    let evs = events();
    let lines = lines(&evs);
    // As a source delivers them: the busy hours in batches of 1,000 lines (500 s), the
    // quiet ones in batches of 10 (5 minutes), so that no batch moves the evaluation time
    // past the minutes whose windows it still holds exactly (see `alert_history`).
    let busy = 4 * 3600 * 2;
    let mut sink = crate::helpers::feed_open(&p, 0, &lines[..busy], 1000);
    let mut batch = slipstream::source::LineBatch::new();
    let pid = slipstream::source::PartitionId::new(0, 0);
    for chunk in lines[busy..].chunks(10) {
        batch.clear();
        for l in chunk {
            batch.push(l.as_bytes());
        }
        slipstream::source::Sink::apply(&mut sink, pid, &batch);
    }
    slipstream::source::Sink::end_of_partition(&mut sink, pid);
    let router = slipstream::serve::router(p.clone());

    let (status, report) = get_json(&router, "/v1/reports?period=day&count=1").await;
    assert_eq!(status, 200, "{report}");
    let slo = &report["slos"][0];
    let recorded_from = parse_time(slo["alerts_recorded_from"].as_str().unwrap());
    // The first batch (1,000 requests, 500 s) moved the evaluation time to 08:08:19.5.
    assert_eq!(recorded_from, day() + 8 * HOUR + 8 * MINUTE);
    let want = expected(&evs, recorded_from, now());
    let row = &slo["periods"][0];
    assert_eq!(row["first_day"], "2026-03-10");
    let fired: Vec<(&str, u64, f64)> = row["alerts"]
        .as_array()
        .unwrap_or_else(|| panic!("no alerts in {row}"))
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap(),
                a["firing_count"].as_u64().unwrap(),
                a["firing_minutes"].as_f64().unwrap(),
            )
        })
        .collect();
    let mut want_row: Vec<(&str, u64, f64)> = want
        .iter()
        .filter(|(_, i)| !i.is_empty())
        .map(|(name, i)| {
            let inside = i.iter().map(|&(a, b)| (a.max(day()), b.min(day() + DAY)));
            let inside: Vec<_> = inside.filter(|(a, b)| a < b).collect();
            let minutes = inside.iter().map(|(a, b)| (b - a) / MINUTE).sum::<i64>() as f64;
            (*name, inside.len() as u64, minutes)
        })
        .collect();
    want_row.sort_by(|a, b| a.0.cmp(b.0));
    assert!(!want_row.is_empty(), "the incident fires something");
    assert_eq!(fired, want_row, "{row}");

    // The incident's impact names each alert, its first firing and the delay.
    let (start, end) = (day() + 10 * HOUR, day() + 10 * HOUR + 18 * MINUTE);
    let uri = format!(
        "/v1/slos/api/availability/impact?start={}&end={}",
        format_rfc3339(start),
        format_rfc3339(end)
    );
    let (status, impact) = get_json(&router, &uri).await;
    assert_eq!(status, 200, "{impact}");
    // The range the answer counts: widened to the buckets that hold it.
    let (start, end) = (
        parse_time(impact["start"].as_str().unwrap()),
        parse_time(impact["end"].as_str().unwrap()),
    );
    let mut want_impact: Vec<(i64, &str, f64)> = want
        .iter()
        .filter_map(|(name, i)| {
            let first = i.iter().find(|&&(a, b)| a < end && b > start)?;
            let minutes: i64 = i
                .iter()
                .map(|&(a, b)| (b.min(end) - a.max(start)).max(0))
                .sum();
            Some((first.0, *name, minutes as f64 / MINUTE as f64))
        })
        .collect();
    want_impact.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let got: Vec<(i64, &str, f64)> = impact["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let first = parse_time(a["first_firing"].as_str().unwrap());
            let delay = a["detection_delay_seconds"].as_f64().unwrap();
            assert_eq!(delay, ((first - start) / SECOND) as f64, "{a}");
            (
                first,
                a["name"].as_str().unwrap(),
                a["firing_minutes"].as_f64().unwrap(),
            )
        })
        .collect();
    assert!(!got.is_empty(), "{impact}");
    assert_eq!(got, want_impact, "{impact}");
    let (_, md) = crate::helpers::call(
        &router,
        axum::http::Request::get(format!("{uri}&format=markdown"))
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    let (first, name, _) = want_impact[0];
    assert!(
        md.contains(&format!(
            "| Alert {name} | first fired {} ({:.1} min after the start)",
            format_rfc3339(first),
            (first - start) as f64 / MINUTE as f64
        )),
        "{md}"
    );

    // A restart keeps the history.
    p.checkpoint();
    drop(router);
    drop(p);
    let again = open(&config(dir.path()));
    let router = slipstream::serve::router(again.clone());
    let (_, restored) = get_json(&router, "/v1/reports?period=day&count=1").await;
    assert_eq!(restored["slos"][0]["periods"][0]["alerts"], row["alerts"]);
    let (_, impact_again) = get_json(&router, &uri).await;
    assert_eq!(impact_again["alerts"], impact["alerts"]);
    let _: &Value = &impact_again;
}

/// A batch that brings no event (here a line that does not decode) before the first events
/// evaluates nothing: the evaluation time is the wall clock then, and the history would
/// start there, after every event to come, and record none of them.
#[tokio::test]
async fn a_batch_without_events_first_leaves_the_history_to_the_events() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(&config(dir.path()));
    let evs = events();
    let busy = lines(&evs[..4 * 3600 * 2]);
    let mut sink = crate::helpers::feed_open(&p, 0, &["not an access log line".into()], 1);
    let mut batch = slipstream::source::LineBatch::new();
    let pid = slipstream::source::PartitionId::new(0, 0);
    for chunk in busy.chunks(1000) {
        batch.clear();
        for l in chunk {
            batch.push(l.as_bytes());
        }
        slipstream::source::Sink::apply(&mut sink, pid, &batch);
    }
    let router = slipstream::serve::router(p.clone());
    let (status, report) = get_json(&router, "/v1/reports?period=day&count=1").await;
    assert_eq!(status, 200, "{report}");
    let slo = &report["slos"][0];
    let recorded_from = parse_time(slo["alerts_recorded_from"].as_str().unwrap());
    assert_eq!(recorded_from, day() + 8 * HOUR + 8 * MINUTE, "{slo}");
    let uri = format!(
        "/v1/slos/api/availability/impact?start={}&end={}",
        format_rfc3339(day() + 10 * HOUR),
        format_rfc3339(day() + 10 * HOUR + 18 * MINUTE)
    );
    let (status, impact) = get_json(&router, &uri).await;
    assert_eq!(status, 200, "{impact}");
    let fired = impact["alerts"].as_array();
    assert!(fired.is_some_and(|a| !a.is_empty()), "{impact}");
}

//! Lines that do not decode say which stage failed and why, events beyond `max_future` are
//! flagged, and the durations the text shows read well.

use super::*;
use crate::explain::text::span;
use crate::time::{DAY, HOUR, MINUTE};

#[test]
fn undecodable_lines_say_which_stage_failed_and_why() {
    let x = explainer().explain(3, b"not json at all", NOON);
    assert!(!x.decoded);
    assert_eq!(x.event, None);
    let err = x.error.as_ref().unwrap();
    assert_eq!((err.stage, err.reason), ("envelope", "bad_envelope"));
    assert!(err.message.contains("`message`"), "{}", err.message);

    let bad_time = checkout(200, "0 0 0").replace("2026-11-20T12:00:00.250000Z", "yesterday");
    let x = explainer().explain(4, bad_time.as_bytes(), NOON);
    let err = x.error.as_ref().unwrap();
    assert_eq!((err.stage, err.reason), ("format", "bad_time"));
    assert_eq!(err.message, "the timestamp is not a valid alb event time");
    let text = x.to_string();
    assert!(
        text.starts_with("line 4: NOT DECODED (envelope json, format alb)"),
        "{text}"
    );
    assert!(
        text.contains("bad_time: the timestamp is not a valid alb event time"),
        "{text}"
    );

    let short = serde_json::json!({"message": "https 2026-11-20T12:00:00Z app/lb"}).to_string();
    let x = explainer().explain(1, short.as_bytes(), NOON);
    assert_eq!(x.error.unwrap().reason, "missing_fields");
}

#[test]
fn events_beyond_max_future_are_flagged() {
    let x = explainer().explain(1, checkout(200, "0 0 0").as_bytes(), NOON - 6 * MINUTE);
    let t = x.time_check.as_ref().unwrap();
    assert_eq!(
        (t.ahead_us, t.max_future_us),
        (6 * MINUTE + 250_000, 5 * MINUTE)
    );
    assert!(t.too_future);
    assert!(
        x.to_string().contains(
            "TOO FAR IN THE FUTURE: 6m ahead of now (2026-11-20T11:54:00Z), more than max_future 5m"
        ),
        "{x}"
    );
    let exactly = explainer().explain(
        1,
        checkout(200, "0 0 0").as_bytes(),
        NOON + 250_000 - 5 * MINUTE,
    );
    assert!(
        !exactly.time_check.unwrap().too_future,
        "the bound is inclusive"
    );
}

#[test]
fn milliseconds_and_spans_read_well() {
    assert_eq!(ms(120_000), "120 ms");
    assert_eq!(ms(500), "0.5 ms");
    assert_eq!(ms(1_000_001), "1000.001 ms");
    assert_eq!(ms(0), "0 ms");
    assert_eq!(span(250_000), "250 ms");
    assert_eq!(span(4_200_000), "4.2s");
    assert_eq!(span(-(12 * MINUTE + 3 * SECOND)), "12m 3s");
    assert_eq!(span(2 * HOUR), "2h");
    assert_eq!(span(3 * DAY + 4 * HOUR + 5 * MINUTE), "3d 4h");
}

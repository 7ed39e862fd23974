//! Reloads that apply, in simulated time: what keeps its counts, what starts again with
//! `valid_since`, and what a checkpoint taken after a reload names.

use std::sync::Arc;

// `super::config` is both the parent's `config()` and the `slipstream::config` it imports.
use super::{
    CHECKOUT, PIPELINE, SEARCH, config, counts, fed, get, ids, lines, reload, report, traffic,
};
use crate::helpers::{NOON, feed, feed_open, pipeline, slo_in};
use slipstream::app::Pipeline;
use slipstream::source::{LineBatch, PartitionId, Sink};
use slipstream::time::{HOUR, SECOND, format_rfc3339};
use slipstream::window::Sums;

#[test]
fn an_unchanged_config_and_a_new_objective_keep_every_count() {
    let (p, _) = fed();
    let before = report(&p);
    let lifetime_before: Vec<[u64; 2]> = p.evaluate().counts.iter().map(|c| c.lifetime).collect();

    let same = reload(&p, &config()).unwrap();
    assert_eq!(same.generation, 1);
    assert_eq!(same.changes.kept.len(), 3);
    assert_eq!(report(&p), before, "an identical reload changes nothing");

    let stricter = config().replace(
        "threshold: 99.9, window: 30d",
        "threshold: 99.5, window: 30d",
    );
    let summary = reload(&p, &stricter).unwrap();
    assert_eq!(summary.generation, 2);
    assert_eq!(
        summary.changes.kept,
        [
            "checkout/availability",
            "checkout/latency_p99",
            "search/availability"
        ]
    );
    assert!(summary.changes.reset.is_empty() && summary.changes.added.is_empty());
    let after = report(&p);
    for id in ids(&before) {
        assert_eq!(
            counts(slo_in(&after, &id)),
            counts(slo_in(&before, &id)),
            "{id}"
        );
        assert!(slo_in(&after, &id).get("valid_since").is_none(), "{id}");
    }
    assert_eq!(slo_in(&after, "checkout/availability")["objective"], 0.995);
    let lifetime_after: Vec<[u64; 2]> = p.evaluate().counts.iter().map(|c| c.lifetime).collect();
    assert_eq!(lifetime_after, lifetime_before);
}

#[test]
fn a_sink_opened_before_a_reload_applies_to_the_new_generation() {
    let (p, _) = pipeline(&config(), NOON);
    let first = traffic(2, NOON - HOUR, NOON - 30 * 60 * SECOND, 500);
    let mut sink = feed_open(&p, 0, &lines(&first), 100);
    let stricter = config().replace("threshold: 99, window: 7d", "threshold: 95, window: 7d");
    reload(&p, &stricter).unwrap();
    let second = traffic(3, NOON - 30 * 60 * SECOND, NOON - SECOND, 500);
    let mut batch = LineBatch::new();
    for l in lines(&second) {
        batch.push(l.as_bytes());
    }
    sink.apply(PartitionId::new(0, 0), &batch);
    sink.end_of_partition(PartitionId::new(0, 0));
    let all: Vec<_> = first.iter().chain(&second).collect();
    let e = p.evaluate();
    let search_total = all.iter().filter(|t| t.3 == "search.example.com").count() as u64;
    let search_bad = all
        .iter()
        .filter(|t| t.3 == "search.example.com" && t.2 >= 500)
        .count() as u64;
    assert_eq!(
        e.counts[2].lifetime,
        [search_total - search_bad, search_bad]
    );
    // The partition reported its end through the old sink: it no longer holds T back.
    assert!(e.partitions.iter().all(|s| !s.active));
}

#[test]
fn a_changed_threshold_resets_that_slo_only_and_says_since_when() {
    let (p, _) = fed();
    let before = report(&p);
    let slower = config().replace("\"300ms\"", "\"500ms\"");
    let summary = reload(&p, &slower).unwrap();
    assert_eq!(summary.changes.reset, ["checkout/latency_p99"]);
    assert_eq!(
        summary.changes.kept,
        ["checkout/availability", "search/availability"]
    );
    let after = report(&p);
    for id in ["checkout/availability", "search/availability"] {
        assert_eq!(
            counts(slo_in(&after, id)),
            counts(slo_in(&before, id)),
            "{id}"
        );
        assert!(slo_in(&after, id).get("valid_since").is_none());
    }
    let latency = slo_in(&after, "checkout/latency_p99");
    assert_eq!(latency["no_data"], true);
    assert!(
        counts(latency)
            .0
            .iter()
            .all(|(_, g, total)| *g == 0 && *total == 0)
    );
    // The newest event was at NOON − 1 s: counting is complete from the next second.
    assert_eq!(latency["valid_since"], format_rfc3339(NOON));

    // New events are judged by the new threshold.
    let later = traffic(4, NOON, NOON + 60 * SECOND, 400);
    feed(&p, 0, &lines(&later), 100);
    let e = p.evaluate();
    let want_bad = later
        .iter()
        .filter(|x| x.3 == "checkout.example.com" && (x.2 >= 500 || x.1 > 500_000))
        .count() as u64;
    let want_total = later
        .iter()
        .filter(|x| x.3 == "checkout.example.com")
        .count() as u64;
    assert_eq!(e.counts[1].lifetime, [want_total - want_bad, want_bad]);
}

/// The capacity counts of service `name` over the traffic's two hours.
fn capacity(p: &Pipeline, name: &str) -> Sums {
    let g = p.generation();
    let i = g.services.iter().position(|s| s == name).unwrap();
    g.store
        .counters()
        .capacity(i)
        .minutes(NOON - 2 * HOUR, NOON)
}

#[test]
fn a_service_inserted_before_others_resets_the_ones_after_it() {
    let (p, t) = fed();
    let checkout: Vec<_> = t.iter().filter(|x| x.3 == "checkout.example.com").collect();
    let checkout = Sums {
        requests: checkout.len() as u64,
        measured: checkout.len() as u64,
        latency_sum_us: checkout.iter().map(|x| x.1 as u64).sum(),
    };
    assert_eq!(capacity(&p, "checkout"), checkout);
    let searches = t.iter().filter(|x| x.3 == "search.example.com").count() as u64;
    assert_eq!(capacity(&p, "search").requests, searches);
    let before = report(&p);
    let with_admin = config().replace(
        "    - {name: search,",
        "    - {name: admin, match: {path_prefix: /admin}}\n    - {name: search,",
    );
    let summary = reload(&p, &with_admin).unwrap();
    assert_eq!(
        summary.changes.kept,
        ["checkout/availability", "checkout/latency_p99"]
    );
    assert_eq!(summary.changes.reset, ["search/availability"]);
    let after = report(&p);
    assert_eq!(
        counts(slo_in(&after, "checkout/latency_p99")),
        counts(slo_in(&before, "checkout/latency_p99"))
    );
    assert_eq!(slo_in(&after, "search/availability")["no_data"], true);
    // Capacity counts follow their service the same way.
    assert_eq!(capacity(&p, "checkout"), checkout);
    assert_eq!(capacity(&p, "search"), Sums::default());
    // A changed matcher of the first service resets everything after it too.
    let moved = with_admin.replace("host: checkout.example.com", "host: shop.example.com");
    let summary = reload(&p, &moved).unwrap();
    assert!(summary.changes.kept.is_empty(), "{summary:?}");
}

#[tokio::test]
async fn a_removed_slo_disappears_and_an_added_one_starts_empty() {
    let (p, _) = fed();
    let before = report(&p);
    let changed = format!(
        "{PIPELINE}{}",
        CHECKOUT.replace(
            "    - {name: latency_p99,",
            "    - {name: error_rate, threshold: 0.5, window: 7d}\n    - {name: latency_p99,"
        )
    );
    let summary = reload(&p, &changed).unwrap();
    assert_eq!(summary.changes.removed, ["search/availability"]);
    assert_eq!(summary.changes.added, ["checkout/error_rate"]);
    let after = report(&p);
    assert_eq!(
        ids(&after),
        [
            "checkout/availability",
            "checkout/error_rate",
            "checkout/latency_p99"
        ]
    );
    let added = slo_in(&after, "checkout/error_rate");
    assert_eq!(added["no_data"], true);
    assert_eq!(added["valid_since"], format_rfc3339(NOON));
    for id in ["checkout/availability", "checkout/latency_p99"] {
        assert_eq!(
            counts(slo_in(&after, id)),
            counts(slo_in(&before, id)),
            "{id}"
        );
    }
    let router = slipstream::serve::router(p.clone());
    let (status, _) = get(&router, "/v1/slos/search/availability").await;
    assert_eq!(status, 404);
    let (_, metrics) = get(&router, "/metrics").await;
    assert!(!metrics.contains("sloth_service=\"search\""), "{metrics}");
    assert!(
        metrics.contains("slipstream_config_reloads_total 1\n"),
        "{metrics}"
    );
}

#[test]
fn a_checkpoint_after_a_reload_names_slos_as_the_new_config_does() {
    let dir = tempfile::tempdir().unwrap();
    let with_checkpoint = |yaml: &str| {
        yaml.replace(
            "  source:",
            &format!("  checkpoint: {{dir: {}}}\n  source:", dir.path().display()),
        )
    };
    let clock = Arc::new(slipstream::clock::ManualClock::new(NOON));
    let first = config::parse(&with_checkpoint(&config()), "a.yaml").unwrap();
    let p = Pipeline::open(&first, clock.clone()).unwrap();
    let t = traffic(5, NOON - HOUR, NOON - SECOND, 1_000);
    feed(&p, 0, &lines(&t), 100);
    // The SLOs change places: index 0 is now search/availability.
    let reordered = with_checkpoint(&format!("{PIPELINE}{SEARCH}{CHECKOUT}"));
    reload(&p, &reordered).unwrap();
    p.checkpoint();
    let live = report(&p);
    let restarted = Pipeline::open(&config::parse(&reordered, "b.yaml").unwrap(), clock).unwrap();
    let restored = report(&restarted);
    assert_eq!(ids(&restored)[0], "search/availability");
    for id in ids(&live) {
        assert_eq!(
            counts(slo_in(&restored, &id)),
            counts(slo_in(&live, &id)),
            "{id}"
        );
    }
}

//! A parallel replay against the single-threaded one: the same state (every count, capacity
//! counts included, every shard's statistics, newest event, remembered request ids and format state, the host
//! slots) and the same report, bit for bit, on files with late, out-of-order, too-old,
//! duplicate, split-by-host, undecodable and over-long lines, plain and gzip, cut into
//! pieces of every size; and the three decisions that depend on order, each checked against
//! numbers counted here.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use proptest::prelude::*;

use super::{ReplayOptions, read_files};
use crate::app::Pipeline;
use crate::clock::ManualClock;
use crate::config::{self, Config};
use crate::time::{DAY, HOUR, MINUTE, SECOND, format_rfc3339};
use crate::window::{CountersState, ShardState, lock};

/// 2026-11-20T12:00:00Z.
pub(crate) const T0: i64 = 1_795_176_000 * SECOND;
/// The replays' wall clock: after every event, so none is too far in the future.
pub(crate) const NOW: i64 = T0 + 30 * DAY;

pub(crate) fn config(max_hosts: usize, dedup_ids: usize) -> Config {
    config::parse(&config_yaml(max_hosts, dedup_ids), "parallel").expect("test config")
}

/// The configuration [`config`] parses.
pub(crate) fn config_yaml(max_hosts: usize, dedup_ids: usize) -> String {
    format!(
        r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {{name: parallel}}
spec:
  source: {{stdin: {{}}}}
  decode: {{format: alb, max_line_bytes: 2000}}
  window: {{dedup: {{window: 10m, max_ids_per_partition: {dedup_ids}}}}}
  services:
    - {{name: api, match: {{host: api.other.io}}}}
    - {{name: edge, match: {{host: "*.example.com"}}, split_by: host, max_hosts: {max_hosts}}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {{name: edge}}
spec:
  service: edge
  indicators:
    - {{name: availability, threshold: 99.9, window: 30d}}
    - {{name: latency_p99, threshold: "300ms", window: 1d}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {{name: api}}
spec:
  service: api
  indicators:
    - {{name: availability, threshold: 99, window: 7d}}
    - {{name: latency_p99, threshold: "200ms", window: 1h}}
"#
    )
}

/// One ALB line (the documented field order) at `t_us` for `host`, with trace id `id`.
fn alb(t_us: i64, host: &str, status: u16, latency_ms: u32, id: u64) -> String {
    let iso = format_rfc3339(t_us);
    let iso = if iso.contains('.') {
        iso
    } else {
        iso.replace('Z', ".000000Z")
    };
    let s = format!("{}.{:03}", latency_ms / 1000, latency_ms % 1000);
    format!(
        "https {iso} app/lb/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 {s} 0.000 \
         {status} {status} 34 366 \"GET https://{host}:443/api/cart?q=1 HTTP/1.1\" \"curl/7.46.0\" \
         ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 \
         arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/t/73e2d6bc24d8a067 \
         \"Root=1-58337281-{id:024x}\" \"{host}\" \"-\" 0 2026-11-20T11:59:59.000000Z \"forward\" \
         \"-\" \"-\" \"10.0.0.1:80\" \"{status}\" \"-\" \"-\" TID_1"
    )
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// `n` lines of every kind, in a realistic disorder: mostly in time order with jitter, some
/// hours late, some older than every window (kept in the daily history only), some older
/// than the history too, duplicate ids, hosts of a split service past its
/// cap, hosts of no service, garbage, blank and over-long lines, CRLF endings.
pub(crate) fn mixed_lines(seed: u64, n: usize) -> Vec<String> {
    let mut rng = Rng(seed | 1);
    let mut lines = Vec::with_capacity(n);
    for i in 0..n {
        let base = T0 + i as i64 * SECOND;
        let t = match rng.below(40) {
            0 => base - 2 * HOUR,
            1 => base - 450 * DAY,
            2 => base - 45 * DAY,
            _ => base + rng.below(120) as i64 * SECOND - MINUTE + rng.below(1_000_000) as i64,
        };
        let host = match rng.below(10) {
            0..=3 => "api.other.io".to_string(),
            4 => "nobody.test".to_string(),
            k => format!("h{}.example.com", rng.below(9) + k),
        };
        let status = if rng.below(25) == 0 { 503 } else { 200 };
        let id = rng.below(n as u64 / 3 + 1);
        let line = match rng.below(60) {
            0 => "this is not an ALB line".to_string(),
            1 => String::new(),
            2 => "x".repeat(2_500),
            3 => format!("{}\r", alb(t, &host, status, rng.below(900) as u32, id)),
            _ => alb(t, &host, status, rng.below(900) as u32, id),
        };
        lines.push(line);
    }
    lines
}

/// Writes `lines` to `path`, newline after each but the last when `open_end`.
fn write(path: &Path, lines: &[String], open_end: bool, gzip: bool) {
    let mut text = lines.join("\n");
    if !open_end {
        text.push('\n');
    }
    let file = std::fs::File::create(path).unwrap();
    if gzip {
        let mut z = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        z.write_all(text.as_bytes()).unwrap();
        z.finish().unwrap();
    } else {
        let mut file = file;
        file.write_all(text.as_bytes()).unwrap();
    }
}

/// Everything a replay leaves: the report, every count, every shard's own state.
#[derive(Debug, PartialEq)]
pub(crate) struct Outcome {
    pub(crate) report: serde_json::Value,
    pub(crate) counters: CountersState,
    pub(crate) shards: Vec<ShardState>,
}

pub(crate) fn outcome(pipeline: &Pipeline) -> Outcome {
    let g = pipeline.generation();
    let counters = g
        .store
        .counters()
        .export(&g.slo_ids, &g.services, &g.store.plan().splits);
    let mut shards: Vec<ShardState> = g
        .store
        .shards()
        .into_iter()
        .map(|(_, s)| lock(&s).export())
        .collect();
    shards.sort_by(|a, b| a.name.cmp(&b.name));
    Outcome {
        report: serde_json::to_value(&pipeline.evaluate().report).unwrap(),
        counters,
        shards,
    }
}

fn run(config: &Config, paths: &[PathBuf], threads: usize, piece_bytes: u64) -> Outcome {
    let clock = Arc::new(ManualClock::new(NOW));
    let options = ReplayOptions {
        threads,
        piece_bytes,
        alert_history: true,
    };
    outcome(&read_files(config, paths, clock, options).expect("replay"))
}

pub(crate) fn totals(o: &Outcome) -> crate::window::ShardStats {
    let mut total = crate::window::ShardStats::default();
    for s in &o.shards {
        total.add(&s.stats);
    }
    total
}

#[test]
fn a_parallel_replay_leaves_the_single_threaded_state_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("a.log");
    let gz = dir.path().join("b.log.gz");
    let empty = dir.path().join("c.log");
    let second = dir.path().join("d.log");
    write(&plain, &mixed_lines(7, 3_000), true, false);
    write(&gz, &mixed_lines(11, 2_000), false, true);
    std::fs::write(&empty, b"").unwrap();
    write(&second, &mixed_lines(13, 1_500), false, false);
    let paths = vec![plain, gz, empty, second];
    let config = config(5, 64);
    let one = run(&config, &paths, 1, u64::MAX);

    // Every order-dependent decision happened, so the comparison means something.
    let stats = totals(&one);
    assert_eq!(stats.lines, 6_500);
    for (what, n) in [
        ("too_old", stats.too_old),
        ("duplicates", stats.duplicates),
        ("unmatched", stats.unmatched),
        ("too_long", stats.too_long),
        ("decode errors", stats.decode_errors.iter().sum()),
        ("applied", stats.applied),
    ] {
        assert!(n > 0, "no {what} in {stats:?}");
    }
    let edge = &one.counters.split[0];
    assert!(
        edge.subs.iter().any(|s| s.host.is_none()),
        "no overflow sub-service: {:?}",
        edge.subs.iter().map(|s| &s.host).collect::<Vec<_>>()
    );
    // Both services' capacity counts, the split one's too, take part in the comparison.
    for (service, state) in &one.counters.capacity {
        assert!(!state.minutes.is_empty(), "no capacity counts of {service}");
    }

    for (threads, piece_bytes) in [(2, 1), (2, 700), (3, 4_096), (4, 40_000), (2, 1 << 20)] {
        let many = run(&config, &paths, threads, piece_bytes);
        assert!(
            many == one,
            "{threads} threads, pieces of {piece_bytes} bytes: {:?} vs {:?}",
            totals(&many),
            stats
        );
    }
}

/// A file of `lines` in pieces of one line each, on two threads, against one thread.
fn both(config: &Config, lines: &[String]) -> (Outcome, Outcome) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.log");
    write(&path, lines, false, false);
    let paths = [path];
    (run(config, &paths, 1, u64::MAX), run(config, &paths, 2, 1))
}

#[test]
fn too_old_is_judged_against_the_newest_event_before_it_in_the_file() {
    let config = config(5, 64);
    let old = T0 - 450 * DAY;
    // Older than every window and the 400 days of history once T0 was seen; applied while nothing newer was.
    let lines = vec![
        alb(old, "api.other.io", 200, 10, 1),
        alb(T0, "api.other.io", 200, 10, 2),
        alb(old, "api.other.io", 200, 10, 3),
        alb(old + SECOND, "api.other.io", 200, 10, 4),
    ];
    let (one, two) = both(&config, &lines);
    assert_eq!(totals(&one).too_old, 2);
    assert_eq!(totals(&one).applied, 2);
    assert_eq!(one, two);
}

#[test]
fn the_first_copy_of_a_request_id_counts_whatever_piece_holds_it() {
    let config = config(5, 64);
    // The same id in four pieces: a 503 first, then 200s; only the first copy counts, and the
    // availability SLO sees one bad event. An id repeated after the 10-minute window counts
    // again.
    let lines = vec![
        alb(T0, "api.other.io", 503, 10, 42),
        alb(T0 + SECOND, "api.other.io", 200, 10, 42),
        alb(T0 + 2 * SECOND, "api.other.io", 200, 10, 42),
        alb(T0 + 20 * MINUTE, "api.other.io", 200, 10, 7),
        alb(T0 + 20 * MINUTE, "api.other.io", 200, 10, 42),
    ];
    let (one, two) = both(&config, &lines);
    let stats = totals(&one);
    assert_eq!((stats.duplicates, stats.applied), (2, 3));
    let api = one
        .counters
        .slos
        .iter()
        .find(|s| s.id == "api/availability");
    assert_eq!(api.map(|s| s.lifetime), Some([2, 1]));
    assert_eq!(one, two);
}

#[test]
fn host_slots_go_to_the_first_hosts_in_file_order() {
    let config = config(2, 64);
    // With two slots: c and a get them (first seen), b and d go to the overflow slot.
    let lines: Vec<String> = ["c", "a", "b", "a", "d", "c"]
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let host = format!("{h}.example.com");
            alb(T0 + i as i64 * SECOND, &host, 200, 10, 100 + i as u64)
        })
        .collect();
    let (one, two) = both(&config, &lines);
    let hosts: Vec<_> = one.counters.split[0]
        .subs
        .iter()
        .map(|s| {
            let [good, bad] = s.slos[0].lifetime;
            (s.host.clone(), good + bad)
        })
        .collect();
    assert_eq!(
        hosts,
        vec![
            (Some("c.example.com".to_string()), 2),
            (Some("a.example.com".to_string()), 2),
            (None, 2),
        ]
    );
    assert_eq!(one, two);
}

#[test]
fn a_w3c_file_is_read_in_order_by_one_worker_so_its_header_governs_every_line() {
    let yaml = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: cf}
spec:
  source: {stdin: {}}
  decode: {format: w3c, w3c: {preset: cloudfront}}
  services: [{name: site, match: {host: site.test}}]
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: site}
spec:
  service: site
  indicators: [{name: availability, threshold: 99, window: 7d}]
"#;
    let config = config::parse(yaml, "cf").unwrap();
    let mut lines = vec![
        "#Version: 1.0".to_string(),
        "#Fields: date time sc-status time-taken x-host-header".to_string(),
    ];
    for i in 0..500 {
        let status = if i % 10 == 0 { 502 } else { 200 };
        lines.push(format!(
            "2026-11-20\t12:{:02}:{:02}\t{status}\t0.010\tsite.test",
            i / 60,
            i % 60
        ));
    }
    let (one, two) = both(&config, &lines);
    let stats = totals(&one);
    assert_eq!(
        (stats.applied, stats.decode_errors.iter().sum::<u64>()),
        (500, 0),
        "{stats:?}"
    );
    assert_eq!(one, two);
}

#[test]
fn a_file_that_cannot_be_read_is_an_error_naming_it_on_any_number_of_threads() {
    let config = config(5, 64);
    let missing = PathBuf::from("/nonexistent/slipstream/x.log");
    for threads in [1, 2] {
        let clock = Arc::new(ManualClock::new(NOW));
        let e = read_files(
            &config,
            std::slice::from_ref(&missing),
            clock,
            ReplayOptions::threads(threads),
        )
        .expect_err("an error");
        let text = format!("{e:#}");
        assert!(text.contains("/nonexistent/slipstream/x.log"), "{text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any file, any piece size, any number of threads: the single-threaded state.
    #[test]
    fn any_cut_on_any_threads_leaves_the_single_threaded_state(
        seed in 1u64..u64::MAX,
        n in 1usize..400,
        piece_bytes in 1u64..20_000,
        threads in 2usize..5,
        open_end in any::<bool>(),
        gzip in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.log");
        let lines = mixed_lines(seed, n);
        write(&path, &lines, open_end, gzip);
        let config = config(3, 16);
        let paths = [path];
        let one = run(&config, &paths, 1, u64::MAX);
        let many = run(&config, &paths, threads, piece_bytes);
        // A last line that is empty and has no newline is no line at all.
        let vanished = open_end && lines.last().is_some_and(String::is_empty);
        prop_assert_eq!(totals(&one).lines, (n - usize::from(vanished)) as u64);
        prop_assert!(many == one, "{:?} vs {:?}", totals(&many), totals(&one));
    }
}

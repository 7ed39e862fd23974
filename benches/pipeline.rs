//! Whole-stage benches on realistic traffic (lines from the demo generator that `slipstream
//! loadgen` and the e2e benchmark use): the per-line path a source's batch takes (envelope,
//! decode, classify, window update) for bare ALB lines and for the same lines in a Vector JSON
//! envelope; the envelope alone; classification among 10, 100 and 1,000 services; evaluation
//! of 1,000 SLOs; rendering `/metrics` for them; and a whole uncached scrape (evaluation plus
//! `/metrics`) for 1,000 and for 10,000 SLOs.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};

mod common;
#[path = "common/demo.rs"]
mod demo;
use demo::{BATCH, NOW, slos};
use slipstream::app::Pipeline;
use slipstream::classify::Outcome;
use slipstream::clock::ManualClock;
use slipstream::config;
use slipstream::decode::Event;
use slipstream::decode::envelope::Envelope;
use slipstream::serve::metrics;
use slipstream::serve::read::{Evaluated, ReadSide};
use slipstream::source::demo::{Generator, LineFormat, services};
use slipstream::source::{LineBatch, PartitionId, Sink};
use slipstream::time::format_rfc3339;

const MILLISECOND: i64 = 1_000;

/// Distinct lines cycled through; repeats stay inside every window, so none is dropped.
const LINES: usize = 64 * BATCH;

/// The e2e benchmark's pipeline (4 services, 8 SLOs) with envelope `envelope`.
fn e2e_config(envelope: &str) -> config::Config {
    // `…, attribution` stands for burn attribution on every service, all five dimensions.
    let (envelope, attribution) = match envelope.strip_suffix(", attribution") {
        Some(envelope) => (envelope, "\n  attribution: {}"),
        None => (envelope, ""),
    };
    let yaml = include_str!("e2e/replay.yaml").replace(
        "decode: {envelope: none, format: alb}",
        &format!("decode: {{{envelope}, format: alb}}{attribution}"),
    );
    config::parse(&yaml, "benches/e2e/replay.yaml").expect("bench config")
}

/// `n` ALB lines for the 4 demo services, one every millisecond of event time before NOW,
/// optionally wrapped in a Vector-style envelope exactly as `loadgen --vector-envelope` does.
fn alb_lines(n: usize, vector: bool) -> Vec<Vec<u8>> {
    let mut generator = Generator::new(42, services(4)).without_incidents();
    (0..n)
        .map(|i| {
            let t = NOW - (n - i) as i64 * MILLISECOND;
            let mut line = Vec::new();
            generator.write_line(t, LineFormat::Alb, &mut line);
            if !vector {
                return line;
            }
            serde_json::to_vec(&serde_json::json!({
                "message": String::from_utf8_lossy(&line),
                "timestamp": format_rfc3339(t),
                "host": "loadgen",
                "source_type": "file",
            }))
            .expect("json")
        })
        .collect()
}

fn batches(lines: &[Vec<u8>]) -> Vec<LineBatch> {
    lines
        .chunks(BATCH)
        .map(|chunk| {
            let mut b = LineBatch::new();
            for l in chunk {
                b.push(l);
            }
            b
        })
        .collect()
}

/// One core: a source batch through `PipelineSink::apply` (envelope, decode, classify,
/// window update of every SLO and latency histogram), per line.
fn per_line(c: &mut Criterion) {
    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Elements(BATCH as u64));
    for (name, envelope, vector) in [
        ("alb", "envelope: none", false),
        ("vector_alb", "envelope: vector", true),
        ("alb_attribution", "envelope: none, attribution", false),
    ] {
        g.bench_function(name, |b| {
            let config = e2e_config(envelope);
            assert_eq!(
                config.reload.attribution.is_some(),
                name.ends_with("attribution"),
                "{name}"
            );
            let pipeline = Pipeline::new(&config, Arc::new(ManualClock::new(NOW)));
            let mut sink = pipeline.sink();
            let pid = PartitionId::new(0, 0);
            sink.assign(pid, "bench");
            let batches = batches(&alb_lines(LINES, vector));
            let mut next = batches.iter().cycle();
            b.iter(|| sink.apply(pid, next.next().expect("cycle")));
            let stats = &pipeline.evaluate().partitions[0].stats;
            assert_eq!(
                stats.applied, stats.lines,
                "the {name} bench must apply every line: {stats:?}"
            );
        });
    }
    g.finish();
}

/// The envelope alone: the ALB line out of a Vector JSON record (the JSON string unescaped).
fn envelope(c: &mut Criterion) {
    let lines = alb_lines(BATCH, true);
    let mut scratch = Vec::new();
    let mut g = c.benchmark_group("envelope");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("vector", |b| {
        b.iter(|| {
            for l in &lines {
                let line = Envelope::Vector
                    .open(black_box(l), &mut scratch)
                    .expect("open");
                black_box(line);
            }
        })
    });
    g.finish();
}

/// Which service an event belongs to and its verdict for each of that service's SLOs, with
/// events spread evenly over the services (so a linear scan pays half the list on average).
fn classify(c: &mut Criterion) {
    let mut g = c.benchmark_group("classify");
    for n in [10, 100, 1000] {
        let classifier = common::classifier(n);
        let hosts: Vec<String> = (0..BATCH)
            .map(|i| format!("svc{}.example.com", i * 7919 % n))
            .collect();
        let events: Vec<Event<'_>> = hosts
            .iter()
            .enumerate()
            .map(|(i, host)| Event {
                time_us: NOW,
                status: if i % 97 == 0 { 503 } else { 200 },
                latency_us: Some((i as i64 * 7_919) % 500_000),
                method: b"GET",
                host: host.as_bytes(),
                path: b"/api/cart",
                backend: b"",
                long_lived: false,
                request_id: b"",
                client: &[],
            })
            .collect();
        g.throughput(Throughput::Elements(events.len() as u64));
        g.bench_with_input(BenchmarkId::new("services", n), &events, |b, events| {
            b.iter(|| {
                let mut good = 0u32;
                for e in events {
                    let Some(s) = classifier.service_of(black_box(e)) else {
                        continue;
                    };
                    for &slo in classifier.slos_of(s) {
                        good += u32::from(classifier.rules()[slo].outcome(e) == Outcome::Good);
                    }
                }
                good
            })
        });
    }
    g.finish();
}

/// The demo generator's 250 services (checkout, search, auth, catalog, svc5 … svc250), each
/// with 4 SLOs (availability 30d, latency 30d, error rate 7d, latency 1d) and the default
/// burn-rate alerts: 1,000 SLOs, fed one hour of traffic over 4 partitions.
fn thousand_slos() -> Arc<Pipeline> {
    slos(250, 720_000)
}

/// Evaluating all 1,000 SLOs (what `GET /v1/slos` and every `/metrics` scrape do), one of
/// them (`GET /v1/slos/{service}/{slo}`), and rendering `/metrics` from the full evaluation.
fn evaluate_and_render(c: &mut Criterion) {
    // Built on first use, so a filter that skips both benches skips the setup too.
    let setup = std::cell::OnceCell::new();
    let pipeline = || {
        setup.get_or_init(|| {
            let pipeline = thousand_slos();
            let evaluation = pipeline.evaluate();
            (pipeline, evaluation)
        })
    };
    let mut g = c.benchmark_group("thousand_slos");
    g.sample_size(20);
    g.throughput(Throughput::Elements(1000));
    g.bench_function("evaluate", |b| {
        let (pipeline, _) = pipeline();
        b.iter(|| black_box(pipeline.evaluate()))
    });
    // What the alert history costs at each minute of event time: every SLO's alerts at
    // one window end, without latency percentiles.
    g.bench_function("evaluate_alerts", |b| {
        let (pipeline, evaluation) = pipeline();
        let view = slipstream::serve::read::ReadSide::view(&**pipeline);
        let end = evaluation.end_us;
        b.iter(|| {
            black_box(slipstream::evaluate::evaluation::evaluate_alerts_at(
                &view.objectives,
                &view.store,
                end,
            ))
        })
    });
    // `GET /v1/capacity`: every one of the 250 services' rings and latency histograms.
    g.throughput(Throughput::Elements(250));
    g.bench_function("capacity", |b| {
        let (pipeline, _) = pipeline();
        let read: &dyn slipstream::serve::read::ReadSide = &**pipeline;
        b.iter(|| {
            let report = read.capacity(&|_| true).expect("counted");
            assert_eq!(report.services.len(), 250);
            black_box(report)
        })
    });
    g.throughput(Throughput::Elements(1));
    g.bench_function("evaluate_one", |b| {
        let (pipeline, _) = pipeline();
        b.iter(|| {
            let e = pipeline.evaluate_one("svc77", "latency_p99");
            assert_eq!(e.report.slos.len(), 1);
            e
        })
    });
    g.throughput(Throughput::Elements(1000));
    g.bench_function("render_metrics", |b| {
        let (pipeline, evaluation) = pipeline();
        let evaluated = Evaluated {
            evaluation: evaluation.clone(),
            format: pipeline.generation().format.name(),
            cluster: None,
        };
        b.iter(|| black_box(metrics::render(&evaluated, &pipeline.telemetry())))
    });
    g.finish();
}

/// What one `/metrics` scrape costs without sharing or caching: a full evaluation plus the
/// text, for 1,000 SLOs and for 10,000 (the same traffic per SLO), so that 10,000 can be
/// compared with 10 × 1,000; and each of the two parts alone.
fn scrape(c: &mut Criterion) {
    let mut g = c.benchmark_group("scrape");
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    // `cargo test --bench` runs each bench once in an unoptimized build: a small pipeline
    // then, so that the smoke run stays quick (`cargo bench` passes `--bench`).
    let measuring = std::env::args().any(|a| a == "--bench");
    let (sizes, lines_per_service) = if measuring {
        ([250, 2_500], 2_880)
    } else {
        ([5, 50], 200)
    };
    for service_count in sizes {
        let n = 4 * service_count;
        g.throughput(Throughput::Elements(n as u64));
        // Built once, at the first call (criterion calls this closure once per sample), and
        // only when the filter selects this bench.
        let built = std::cell::OnceCell::new();
        let pipeline =
            || built.get_or_init(|| slos(service_count, lines_per_service * service_count as i64));
        g.bench_function(BenchmarkId::new("slos", n), |b| {
            let pipeline = pipeline();
            b.iter(|| {
                let evaluated = pipeline.evaluate_all();
                black_box(metrics::render(&evaluated, &pipeline.telemetry()))
            })
        });
        // The two parts of it, to see which one grows faster than the SLOs.
        g.bench_function(BenchmarkId::new("evaluate", n), |b| {
            let pipeline = pipeline();
            b.iter(|| black_box(pipeline.evaluate_all()))
        });
        g.bench_function(BenchmarkId::new("render", n), |b| {
            let pipeline = pipeline();
            let evaluated = pipeline.evaluate_all();
            b.iter(|| black_box(metrics::render(&evaluated, &pipeline.telemetry())))
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    per_line,
    envelope,
    classify,
    evaluate_and_render,
    scrape
);
criterion_main!(benches);

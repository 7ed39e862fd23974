//! Issue 13's scaling figure, paired: one uncached scrape (a full evaluation plus `/metrics`)
//! of 10,000 SLOs over 10 × one of 1,000 SLOs, the two sizes measured alternately in one
//! process, so that a machine slowing down or speeding up between the two (which moves
//! criterion's figure, whose two benches run minutes apart, by ± 10 %) weighs on both alike.
//!
//! `cargo bench --bench scrape_ratio -- [slos|evaluate|render] [PAIRS] [cold]` (default
//! `slos 30`). Each pair is the median of 10 scrapes of 1,000 SLOs (after 10 unmeasured, so
//! their data is back in the cache, as in criterion's loop; none when cold) and the median of
//! 3 of 10,000; it prints the min / median / max over the pairs of each size's milliseconds
//! and of the ratio. `render` renders a fixed evaluation of each size, `evaluate` evaluates
//! without rendering. The pipelines are `pipeline`'s `scrape` group's (building them takes a
//! few minutes).
//!
//! `cold` writes [`EVICT`] bytes before every scrape, so that no scrape finds the last one's
//! data in the cache: what a server sees when its scrapes come 15 s or more apart with ingest
//! in between. Warm, a scrape of 1,000 SLOs finds most of the buckets it reads (about 10 MB:
//! a 30-day window is 720 hourly buckets of 24 bytes) still in the last-level cache, where
//! those of 10,000 (about 100 MB) cannot be; cold, neither does.

use std::sync::Arc;
use std::time::Instant;

use slipstream::app::Pipeline;
use slipstream::serve::metrics;
use slipstream::serve::read::{Evaluated, ReadSide};

#[path = "common/demo.rs"]
mod demo;

/// Bytes written to empty the cache before a cold scrape: four times the 32 MiB last-level
/// cache of the machine BENCHMARKS.md's figures come from (more for a bigger cache).
const EVICT: usize = 128 << 20;

/// Writes every cache line of `buffer`, pushing whatever else was cached out.
fn evict(buffer: &mut [u8]) {
    for line in buffer.chunks_mut(64) {
        line[0] = line[0].wrapping_add(1);
    }
    std::hint::black_box(buffer);
}

/// One scrape's part `part` of `pipeline` (with `evaluated` its fixed evaluation), in ms.
fn scrape(part: &str, pipeline: &Arc<Pipeline>, evaluated: &Evaluated) -> f64 {
    let start = Instant::now();
    match part {
        "render" => drop(std::hint::black_box(metrics::render(
            evaluated,
            &pipeline.telemetry(),
        ))),
        "evaluate" => drop(std::hint::black_box(pipeline.evaluate_all())),
        _ => {
            let evaluated = pipeline.evaluate_all();
            drop(std::hint::black_box(metrics::render(
                &evaluated,
                &pipeline.telemetry(),
            )));
        }
    }
    start.elapsed().as_secs_f64() * 1e3
}

/// The median of `n` scrapes, each after `before`.
fn median_of(n: usize, mut before: impl FnMut(), mut one: impl FnMut() -> f64) -> f64 {
    let times = (0..n)
        .map(|_| {
            before();
            one()
        })
        .collect();
    spread(times).1
}

/// `(min, median, max)` of `values`.
fn spread(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    (
        values[0],
        values[values.len() / 2],
        values[values.len() - 1],
    )
}

fn main() {
    // `cargo bench` passes `--bench`; anything else that starts with `-` is not ours either.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let part = args.first().map_or("slos", String::as_str).to_string();
    let pairs: usize = args
        .get(1)
        .map_or(30, |n| n.parse().expect("PAIRS: a number"));
    assert!(pairs > 0, "PAIRS: at least 1");
    let cold = match args.get(2).map(String::as_str) {
        None => false,
        Some("cold") => true,
        Some(other) => panic!("{other}: only `cold` may follow PAIRS"),
    };
    // Warm, it is empty: writing it before a scrape of 10,000 SLOs is then nothing.
    let mut buffer = if cold { vec![0u8; EVICT] } else { Vec::new() };
    let sizes = [(250, 2_880 * 250), (2_500, 2_880 * 2_500)];
    let [(small, small_e), (big, big_e)] = sizes.map(|(services, lines)| {
        let pipeline = demo::slos(services, lines);
        let evaluated = pipeline.evaluate_all();
        (pipeline, evaluated)
    });
    let one = || scrape(&part, &small, &small_e);
    let ten = || scrape(&part, &big, &big_e);
    let (mut ones, mut tens, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..pairs {
        let a = if cold {
            median_of(10, || evict(&mut buffer), one)
        } else {
            median_of(10, || {}, one);
            median_of(10, || {}, one)
        };
        let b = median_of(3, || evict(&mut buffer), ten);
        ones.push(a);
        tens.push(b);
        ratios.push(b / (10.0 * a));
    }
    let show = |(min, median, max): (f64, f64, f64)| format!("{min:.2} / {median:.2} / {max:.2}");
    println!(
        "{part}{}, {pairs} pairs (min / median / max): 1,000 SLOs {} ms, 10,000 SLOs {} ms, \
         10,000 over 10 × 1,000 {}",
        if cold { " (cold)" } else { "" },
        show(spread(ones)),
        show(spread(tens)),
        show(spread(ratios)),
    );
}

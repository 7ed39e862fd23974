//! The demo pipelines of the scrape benches (`pipeline`'s `scrape` and `thousand_slos`
//! groups, and `scrape_ratio`), each bench including this file as a module.

use std::sync::Arc;

use slipstream::app::Pipeline;
use slipstream::clock::ManualClock;
use slipstream::config;
use slipstream::source::demo::{Generator, LineFormat, services, slo_config};
use slipstream::source::{LineBatch, PartitionId, Sink};
use slipstream::time::SECOND;

/// The wall clock of every bench pipeline.
pub(crate) const NOW: i64 = 1_795_176_000 * SECOND;
/// Lines per source batch, as the file and Kafka sources deliver them.
pub(crate) const BATCH: usize = 1024;

/// The demo generator's first `service_count` services, each with 4 SLOs (availability
/// 30d, latency 30d, error rate 7d, latency 1d) and the default burn-rate alerts, fed one
/// hour of traffic before [`NOW`] of `lines_per_partition` lines on each of 4 partitions
/// (evenly spaced in event time), in batches of [`BATCH`] lines.
pub(crate) fn slos(service_count: usize, lines_per_partition: i64) -> Arc<Pipeline> {
    let demo = services(service_count);
    let yaml = slo_config(&demo, "300ms");
    let config = config::parse(&yaml, "bench.yaml").expect("bench config");
    assert_eq!(config.reload.objectives.len(), 4 * service_count);
    let pipeline = Pipeline::new(&config, Arc::new(ManualClock::new(NOW)));
    let mut generator = Generator::new(7, demo).without_incidents();
    let mut line = Vec::new();
    let spacing = 3_600 * SECOND / lines_per_partition;
    for p in 0..4 {
        let pid = PartitionId::new(0, p);
        let mut sink = pipeline.sink();
        sink.assign(pid, "bench");
        let mut batch = LineBatch::new();
        for i in 0..lines_per_partition {
            let t = NOW - 3_600 * SECOND + i * spacing;
            line.clear();
            generator.write_line(t, LineFormat::Alb, &mut line);
            batch.push(&line);
            if batch.len() == BATCH {
                sink.apply(pid, &batch);
                batch.clear();
            }
        }
        sink.apply(pid, &batch);
    }
    let evaluation = pipeline.evaluate();
    assert!(
        evaluation
            .counts
            .iter()
            .all(|c| c.lifetime[0] + c.lifetime[1] > 0),
        "every SLO must have traffic"
    );
    pipeline
}

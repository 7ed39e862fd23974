//! `slipstream loadgen`: realistic access-log traffic for tests, benchmarks and walkthroughs.
//!
//! Lines come from the demo [`Generator`] (ALB or nginx format, optionally wrapped in a
//! Vector-style JSON envelope) with event time = the wall clock when each line is made. They
//! go to a Kafka topic (keyless, so librdkafka spreads them over the partitions), a file, or
//! stdout, at a fixed rate or as fast as possible, until a count or a duration is reached.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use crate::clock::Clock;
use crate::source::demo::{Generator, LineFormat, services};
use crate::time::format_rfc3339;

/// Where generated lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Standard output.
    Stdout,
    /// A file, created or truncated.
    File(std::path::PathBuf),
    /// A Kafka topic.
    Kafka {
        /// Bootstrap brokers, comma-separated.
        brokers: String,
        /// Topic.
        topic: String,
    },
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadSpec {
    /// Line format.
    pub format: LineFormat,
    /// Wrap each line in `{"message": …, "timestamp": …}` like Vector's JSON codec.
    pub vector_envelope: bool,
    /// Lines per second; 0 for as fast as possible.
    pub rate_per_second: u64,
    /// Stop after this many lines.
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Random seed.
    pub seed: u64,
    /// Number of services.
    pub services: usize,
    /// Override every service's 5xx rate, percent.
    pub error_percent: Option<f64>,
    /// Generate incidents.
    pub incidents: bool,
}

enum Out {
    Writer(Box<dyn Write>),
    Kafka(BaseProducer, String),
}

impl Out {
    fn send(&mut self, line: &[u8]) -> anyhow::Result<()> {
        match self {
            Out::Writer(w) => {
                w.write_all(line)?;
                w.write_all(b"\n")?;
            }
            Out::Kafka(producer, topic) => loop {
                match producer.send(BaseRecord::<(), [u8]>::to(topic).payload(line)) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                        producer.poll(Duration::from_millis(10));
                    }
                    Err((e, _)) => return Err(e).context("producing to Kafka"),
                }
            },
        }
        Ok(())
    }

    fn finish(self) -> anyhow::Result<()> {
        match self {
            Out::Writer(mut w) => w.flush()?,
            Out::Kafka(producer, _) => producer
                .flush(Duration::from_secs(60))
                .context("flushing to Kafka")?,
        }
        Ok(())
    }
}

/// Generates lines into `destination` as `spec` says; returns how many were written.
pub fn run(
    spec: &LoadSpec,
    destination: &Destination,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<u64> {
    let mut out = match destination {
        Destination::Stdout => {
            Out::Writer(Box::new(std::io::BufWriter::new(std::io::stdout().lock())))
        }
        Destination::File(path) => Out::Writer(Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ))),
        Destination::Kafka { brokers, topic } => {
            let producer: BaseProducer = ClientConfig::new()
                .set("bootstrap.servers", brokers)
                .set("linger.ms", "5")
                .set("queue.buffering.max.messages", "500000")
                .create()
                .context("cannot create the Kafka producer")?;
            Out::Kafka(producer, topic.clone())
        }
    };
    let mut list = services(spec.services.max(1));
    if let Some(p) = spec.error_percent {
        for s in &mut list {
            s.error_ppm = (p * 10_000.0).round().clamp(0.0, 1_000_000.0) as u32;
        }
    }
    let mut generator = Generator::new(spec.seed, list);
    if !spec.incidents {
        generator = generator.without_incidents();
    }
    let started = Instant::now();
    let mut line = Vec::new();
    let mut wrapped = Vec::new();
    let mut written: u64 = 0;
    loop {
        if spec.count.is_some_and(|c| written >= c)
            || spec.duration.is_some_and(|d| started.elapsed() >= d)
        {
            break;
        }
        if spec.rate_per_second > 0 {
            // Stay on schedule: line n is due at n / rate seconds after the start.
            let due = Duration::from_secs_f64(written as f64 / spec.rate_per_second as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait.min(Duration::from_millis(50)));
                continue;
            }
        }
        let now = clock.now_us();
        line.clear();
        generator.write_line(now, spec.format, &mut line);
        if spec.vector_envelope {
            wrapped.clear();
            let message = String::from_utf8_lossy(&line);
            serde_json::to_writer(
                &mut wrapped,
                &serde_json::json!({
                    "message": message,
                    "timestamp": format_rfc3339(now),
                    "host": "loadgen",
                    "source_type": "file",
                }),
            )?;
            out.send(&wrapped)?;
        } else {
            out.send(&line)?;
        }
        written += 1;
        if let Out::Kafka(producer, _) = &out
            && written.is_multiple_of(1024)
        {
            producer.poll(Duration::ZERO);
        }
    }
    out.finish()?;
    Ok(written)
}

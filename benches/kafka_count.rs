//! The bare consumer `benches/e2e/run.py kafka` measures slipstream against: one librdkafka
//! `BaseConsumer` with slipstream's own client settings (`KafkaSpec::client_config`: the same
//! fetch sizes, queue bounds and group protocol) that joins a fresh group, reads a topic from
//! its start and only counts its messages and their bytes, on one thread, as slipstream's
//! source polls. It exits once `count` messages were read and prints one JSON line:
//! `{"messages": …, "bytes": …, "seconds": …}` (seconds from start to the last message).
//!
//! `cargo bench --bench kafka_count -- <brokers> <topic> <count>` (cargo's own `--bench`
//! argument is ignored).

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use slipstream::source::kafka::{KafkaSpec, StartFrom};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let [brokers, topic, count] = args.as_slice() else {
        eprintln!("usage: kafka_count <brokers> <topic> <count>");
        std::process::exit(2);
    };
    let count: u64 = count.parse().expect("count is a number");
    let started = Instant::now();
    let spec = KafkaSpec {
        brokers: vec![brokers.clone()],
        topics: vec![topic.clone()],
        group_id: format!("bare-{topic}-{}", std::process::id()),
        start_from: StartFrom::Earliest,
        options: Default::default(),
    };
    let consumer: BaseConsumer = spec.client_config().create().expect("a consumer");
    consumer.subscribe(&[topic.as_str()]).expect("subscribed");
    let (mut messages, mut bytes) = (0u64, 0u64);
    let mut last = started;
    while messages < count {
        if started.elapsed() > Duration::from_secs(600) {
            eprintln!("only {messages} of {count} messages after 600 s");
            std::process::exit(1);
        }
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                messages += 1;
                bytes += m.payload().map_or(0, |p| p.len() as u64);
                last = Instant::now();
            }
            Some(Err(KafkaError::PartitionEOF(_))) | None => {}
            Some(Err(e)) => eprintln!("consume error: {e}"),
        }
    }
    println!(
        "{{\"messages\": {messages}, \"bytes\": {bytes}, \"seconds\": {:.6}}}",
        (last - started).as_secs_f64()
    );
}

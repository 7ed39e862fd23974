//! The bare consumer `benches/e2e/run.py kafka` measures slipstream against: one librdkafka
//! `BaseConsumer` with the client settings slipstream would use for a configuration's Kafka
//! source (`KafkaSpec::client_config`: its brokers, topics, defaults and `options`) that
//! joins a fresh group, reads the topics from their start and only counts messages and their
//! bytes, on one thread, as slipstream's source polls. It exits once `count` messages were
//! read and prints one JSON line: `{"messages": …, "bytes": …, "seconds": …}` (seconds from
//! start to the last message).
//!
//! `cargo bench --bench kafka_count -- <config.yaml> <count>` (cargo's own `--bench`
//! argument is ignored).

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use slipstream::config::SourceConfig;
use slipstream::source::kafka::StartFrom;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let [config, count] = args.as_slice() else {
        eprintln!("usage: kafka_count <config.yaml> <count>");
        std::process::exit(2);
    };
    let count: u64 = count.parse().expect("count is a number");
    let started = Instant::now();
    let config = slipstream::config::load_file(std::path::Path::new(config)).expect("a config");
    let SourceConfig::Kafka(mut spec) = config.start.source else {
        eprintln!("the configuration's source is not Kafka");
        std::process::exit(2);
    };
    spec.group_id = format!("bare-{}-{}", spec.group_id, std::process::id());
    spec.start_from = StartFrom::Earliest;
    let topics: Vec<&str> = spec.topics.iter().map(String::as_str).collect();
    let consumer: BaseConsumer = spec.client_config().create().expect("a consumer");
    consumer.subscribe(&topics).expect("subscribed");
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

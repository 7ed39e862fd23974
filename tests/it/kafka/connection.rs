//! Connecting to the brokers: an unknown librdkafka option is a clear error at start,
//! unreachable brokers leave a clear not-ready state, and TLS and SASL options are accepted.

use std::time::Duration;

use super::{Consumer, kafka_yaml, wait_for};
use crate::exact_windows::CONFIG;
use crate::helpers::NOON;

#[test]
fn an_unknown_librdkafka_option_is_a_clear_error_at_start() {
    let yaml = kafka_yaml(CONFIG, "127.0.0.1:9", "t", "g").replace(
        "start_from: earliest}",
        "start_from: earliest, options: {no.such.option: x}}",
    );
    let consumer = Consumer::start(&yaml, NOON);
    let err = consumer.finish().unwrap_err();
    assert!(err.contains("no.such.option"), "{err}");
}

#[test]
fn unreachable_brokers_leave_a_clear_not_ready_state() {
    let port = crate::cli::free_port();
    let consumer = Consumer::start(
        &kafka_yaml(CONFIG, &format!("127.0.0.1:{port}"), "t", "g"),
        NOON,
    );
    wait_for(60, "the brokers-down state", || {
        consumer
            .pipeline
            .not_ready_reason
            .lock()
            .unwrap()
            .contains("broker is down")
    });
    assert!(!consumer.ready());
}

#[test]
fn tls_and_sasl_options_are_accepted() {
    let port = crate::cli::free_port();
    let yaml = kafka_yaml(CONFIG, &format!("127.0.0.1:{port}"), "t", "g").replace(
        "start_from: earliest}",
        "start_from: earliest, options: {security.protocol: SASL_SSL, sasl.mechanism: SCRAM-SHA-512, sasl.username: u, sasl.password: p}}",
    );
    let consumer = Consumer::start(&yaml, NOON);
    std::thread::sleep(Duration::from_secs(1));
    assert!(!consumer.ready());
    consumer
        .finish()
        .expect("a TLS + SCRAM client starts (and waits for its brokers)");
}

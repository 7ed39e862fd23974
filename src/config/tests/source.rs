//! Kafka sources: environment references expanded and hidden, and their errors.

use super::*;

const KAFKA_PIPELINE: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: k}
spec:
  source:
    kafka:
      brokers: ["127.0.0.1:9092"]
      topics: [logs]
      group_id: g
      options: {sasl.password: "${SLIPSTREAM_TEST_SECRET}", client.id: "edge-${SLIPSTREAM_TEST_NAME}-1"}
  decode: {format: alb, envelope: json}
  services: [{name: a}]
"#;

#[test]
fn kafka_sources_expand_environment_references_and_hide_them() {
    // Setting variables is unsafe in edition 2024 (and this crate forbids unsafe), so the
    // test references one every process has.
    let text = KAFKA_PIPELINE
        .replace("${SLIPSTREAM_TEST_SECRET}", "${HOME}")
        .replace("${SLIPSTREAM_TEST_NAME}", "${HOME}");
    let c = parse(&text, "k.yaml").unwrap_or_else(|e| panic!("{e}"));
    let home = std::env::var("HOME").unwrap();
    let SourceConfig::Kafka(k) = &c.start.source else {
        panic!("not kafka")
    };
    assert_eq!(k.options["sasl.password"], home);
    assert_eq!(k.options["client.id"], format!("edge-{home}-1"));
    assert_eq!(k.start_from, crate::source::kafka::StartFrom::Earliest);
    assert_eq!(c.reload.envelope, crate::decode::envelope::Envelope::Json);
    assert!(
        !format!("{c:?}").contains(&home),
        "option values never appear in Debug output"
    );
}

#[test]
fn kafka_source_errors() {
    let got = problems(&KAFKA_PIPELINE.replace(
        "options: {sasl.password: \"${SLIPSTREAM_TEST_SECRET}\", client.id: \"edge-${SLIPSTREAM_TEST_NAME}-1\"}",
        "options: {group.id: x, sasl.password: \"${SLIPSTREAM_SURELY_UNSET_VARIABLE}\"}\n      start_from: middle",
    )
    .replace("brokers: [\"127.0.0.1:9092\"]", "brokers: [localhost]")
    .replace("group_id: g", "group_id: \" \""));
    let want = [
        "spec.source.kafka.brokers: list one or more brokers as host:port",
        "spec.source.kafka.group_id: must not be empty",
        "spec.source.kafka.start_from: \"middle\" is not earliest or latest",
        "spec.source.kafka.options.group.id: is set by slipstream",
        "spec.source.kafka.options.sasl.password: environment variable SLIPSTREAM_SURELY_UNSET_VARIABLE is not set",
    ];
    assert_found(&got, &want, |g, w| g.contains(w));
    let missing = problems(&KAFKA_PIPELINE.replace("      group_id: g\n", ""));
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].contains("spec.source.kafka: missing field `group_id`"),
        "{missing:?}"
    );
}

use super::*;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use proptest::prelude::*;

/// 2026-11-21T10:00:00.123456789Z.
pub(super) const T: u64 = 1_795_255_200_123_456_789;

/// Two resources as the Collector's Kafka exporter writes them with `encoding: otlp_json`:
/// times as strings (and, in the second record, as numbers), trace fields, severities, scopes
/// and schema URLs that are ignored, a map body, and every attribute value type.
const COLLECTOR_JSON: &str = r#"{"resourceLogs":[
{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"nginx"}},
  {"key":"host.name","value":{"stringValue":"web-1"}},
  {"key":"k8s.pod.uid","value":{"stringValue":"7f1c2a4e-9b1d-4c55-8f0e-3a9d6c1b2e77"}}]},
 "scopeLogs":[{"scope":{},"logRecords":[
  {"observedTimeUnixNano":"1795255200200000000","timeUnixNano":"1795255200123456789",
   "body":{"stringValue":"10.0.0.1 - - [21/Nov/2026:10:00:00 +0000] \"GET /cart?id=7 HTTP/1.1\" 200 512 \"-\" \"curl/8.5.0\""},
   "attributes":[{"key":"log.file.name","value":{"stringValue":"access.log"}},
                 {"key":"log.iostream","value":{"stringValue":"stdout"}}],
   "traceId":"","spanId":""},
  {"observedTimeUnixNano":1795255201300000000,"timeUnixNano":1795255201000000000,
   "severityNumber":9,"severityText":"INFO",
   "body":{"stringValue":"10.0.0.2 - - [21/Nov/2026:10:00:01 +0000] \"POST /api/v1/orders HTTP/2.0\" 502 0 \"-\" \"Mozilla/5.0\""},
   "attributes":[{"key":"log.file.name","value":{"stringValue":"access.log"}}],
   "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","flags":1}]}],
 "schemaUrl":"https://opentelemetry.io/schemas/1.26.0"},
{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"edge"}},
  {"key":"deployment.environment","value":{"stringValue":"prod"}}],"droppedAttributesCount":0},
 "scopeLogs":[
  {"scope":{"name":"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver","version":"0.115.0"},
   "logRecords":[
    {"timeUnixNano":"0","observedTimeUnixNano":"1795255202000000000",
     "body":{"kvlistValue":{"values":[{"key":"msg","value":{"stringValue":"structured"}}]}}}]},
  {"scope":{"name":"edge"},"logRecords":[
    {"timeUnixNano":"1795255203000000000",
     "body":{"stringValue":"10.0.0.3 - - [21/Nov/2026:10:00:03 +0000] \"GET / HTTP/1.1\" 304 0 \"-\" \"-\""},
     "attributes":[
       {"key":"service.name","value":{"stringValue":"edge-canary"}},
       {"key":"http.response.status_code","value":{"intValue":"304"}},
       {"key":"http.response.body.size","value":{"intValue":0}},
       {"key":"http.server.request.duration","value":{"doubleValue":0.0042}},
       {"key":"sampled","value":{"boolValue":true}},
       {"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"}]}}},
       {"key":"empty","value":{}}]},
    {"timeUnixNano":"1795255204000000000","observedTimeUnixNano":"1795255204000000001",
     "body":{"stringValue":""}}]}]}
]}"#;

pub(super) fn s(text: &str) -> any_value::Value {
    any_value::Value::StringValue(text.to_string())
}

pub(super) fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue { value: Some(value) }),
    }
}

pub(super) fn record(time: u64, body: Option<&str>, attributes: Vec<KeyValue>) -> LogRecord {
    LogRecord {
        time_unix_nano: time,
        body: body.map(|b| AnyValue { value: Some(s(b)) }),
        attributes,
        ..LogRecord::default()
    }
}

pub(super) fn resource(attributes: Vec<KeyValue>, records: Vec<LogRecord>) -> ResourceLogs {
    ResourceLogs {
        resource: Some(Resource {
            attributes,
            ..Resource::default()
        }),
        scope_logs: vec![ScopeLogs {
            log_records: records,
            ..ScopeLogs::default()
        }],
        ..ResourceLogs::default()
    }
}

fn times_and_bodies(batch: &Batch) -> Vec<(u64, u64, Option<&str>)> {
    batch
        .records()
        .map(|r| (r.time_unix_nano, r.observed_time_unix_nano, r.body))
        .collect()
}

#[test]
fn collector_json_batch() {
    let batch = parse(Encoding::Json, COLLECTOR_JSON.as_bytes(), 100).unwrap();
    assert_eq!(batch.len(), 5);
    assert_eq!(
        times_and_bodies(&batch),
        vec![
            (
                T,
                1_795_255_200_200_000_000,
                Some(
                    r#"10.0.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET /cart?id=7 HTTP/1.1" 200 512 "-" "curl/8.5.0""#
                )
            ),
            (
                1_795_255_201_000_000_000,
                1_795_255_201_300_000_000,
                Some(
                    r#"10.0.0.2 - - [21/Nov/2026:10:00:01 +0000] "POST /api/v1/orders HTTP/2.0" 502 0 "-" "Mozilla/5.0""#
                )
            ),
            (0, 1_795_255_202_000_000_000, None),
            (
                1_795_255_203_000_000_000,
                0,
                Some(r#"10.0.0.3 - - [21/Nov/2026:10:00:03 +0000] "GET / HTTP/1.1" 304 0 "-" "-""#)
            ),
            (
                1_795_255_204_000_000_000,
                1_795_255_204_000_000_001,
                Some("")
            ),
        ]
    );
    let records: Vec<Record<'_>> = batch.records().collect();
    let [first, _, map_body, edge, empty] = records.as_slice() else {
        panic!("five records");
    };
    assert_eq!(
        first.attribute("log.file.name"),
        Some(Value::Str("access.log"))
    );
    assert_eq!(first.attribute("host.name"), Some(Value::Str("web-1")));
    assert_eq!(first.attribute("service.name"), Some(Value::Str("nginx")));
    assert_eq!(first.attribute("missing"), None);
    assert_eq!(map_body.text(), b"");
    assert_eq!(map_body.attribute("service.name"), Some(Value::Str("edge")));
    // The record's attribute wins over its resource's.
    assert_eq!(
        edge.attribute("service.name"),
        Some(Value::Str("edge-canary"))
    );
    assert_eq!(
        edge.attribute("deployment.environment"),
        Some(Value::Str("prod"))
    );
    assert_eq!(
        edge.attribute("http.response.status_code"),
        Some(Value::Int(304))
    );
    assert_eq!(
        edge.attribute("http.response.body.size"),
        Some(Value::Int(0))
    );
    assert_eq!(
        edge.attribute("http.server.request.duration"),
        Some(Value::Double(0.0042))
    );
    assert_eq!(edge.attribute("sampled"), Some(Value::Bool(true)));
    assert_eq!(edge.attribute("tags"), Some(Value::Other));
    assert_eq!(edge.attribute("empty"), Some(Value::Other));
    assert_eq!(edge.text(), edge.body.unwrap().as_bytes());
    assert_eq!(empty.text(), b"");
}

#[test]
fn json_numbers_in_every_form() {
    let json = r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":null,
        "attributes":[{"key":"d","value":{"doubleValue":"Infinity"}},
                      {"key":"n","value":{"doubleValue":"NaN"}},
                      {"key":"i","value":{"intValue":-7}},
                      {"key":"x","value":{"doubleValue":3}},
                      {"key":"k"}]}]}]}]}"#;
    let batch = parse(Encoding::Json, json.as_bytes(), 1).unwrap();
    let r = batch.records().next().unwrap();
    assert_eq!(r.time_unix_nano, 0);
    assert_eq!(r.attribute("d"), Some(Value::Double(f64::INFINITY)));
    assert!(matches!(r.attribute("n"), Some(Value::Double(x)) if x.is_nan()));
    assert_eq!(r.attribute("i"), Some(Value::Int(-7)));
    assert_eq!(r.attribute("x"), Some(Value::Double(3.0)));
    assert_eq!(r.attribute("k"), Some(Value::Other));
}

/// A batch as an SDK or the Collector sends it, with the fields slipstream ignores set.
fn proto_batch() -> LogsData {
    let mut traced = record(
        T,
        Some("GET /healthz 200"),
        vec![
            kv("http.request.method", s("GET")),
            kv("http.response.status_code", any_value::Value::IntValue(200)),
            kv(
                "http.server.request.duration",
                any_value::Value::DoubleValue(0.0125),
            ),
        ],
    );
    traced.observed_time_unix_nano = T + 5_000_000;
    traced.severity_number = 9;
    traced.severity_text = "INFO".to_string();
    traced.trace_id = vec![0x5b; 16];
    traced.span_id = vec![0xee; 8];
    traced.flags = 1;
    traced.event_name = "http.server.request".to_string();
    let mut first = resource(
        vec![kv("service.name", s("checkout"))],
        vec![traced, record(T + 1_000, None, Vec::new())],
    );
    first.scope_logs[0].scope = Some(InstrumentationScope {
        name: "io.opentelemetry.tomcat".to_string(),
        ..InstrumentationScope::default()
    });
    first.schema_url = "https://opentelemetry.io/schemas/1.26.0".to_string();
    LogsData {
        resource_logs: vec![
            first,
            resource(
                Vec::new(),
                vec![record(T + 2_000, Some("line"), Vec::new())],
            ),
        ],
    }
}

#[test]
fn proto_batch_parses_back() {
    let data = proto_batch();
    let batch = parse(Encoding::Proto, &data.encode_to_vec(), 3).unwrap();
    assert_eq!(batch.len(), 3);
    assert_eq!(
        times_and_bodies(&batch),
        vec![
            (T, T + 5_000_000, Some("GET /healthz 200")),
            (T + 1_000, 0, None),
            (T + 2_000, 0, Some("line")),
        ]
    );
    let first = batch.records().next().unwrap();
    assert_eq!(
        first.attribute("http.request.method"),
        Some(Value::Str("GET"))
    );
    assert_eq!(
        first.attribute("service.name"),
        Some(Value::Str("checkout"))
    );
    assert_eq!(
        first.attribute("http.server.request.duration"),
        Some(Value::Double(0.0125))
    );
    assert_eq!(batch, Batch::new(data.clone()));
    // `ExportLogsServiceRequest` has the same wire format.
    let request = ExportLogsServiceRequest {
        resource_logs: data.resource_logs,
    };
    assert_eq!(
        parse(Encoding::Proto, &request.encode_to_vec(), 3),
        Ok(batch)
    );
}

#[test]
fn bad_payloads_are_errors() {
    let max = parse(Encoding::Json, COLLECTOR_JSON.as_bytes(), 4);
    assert_eq!(max, Err(BatchError::TooManyRecords { records: 5, max: 4 }));
    assert_eq!(
        parse(Encoding::Proto, &proto_batch().encode_to_vec(), 2),
        Err(BatchError::TooManyRecords { records: 3, max: 2 })
    );
    let proto = proto_batch().encode_to_vec();
    for cut in [1, 10, proto.len() - 1] {
        assert_eq!(
            parse(Encoding::Proto, &proto[..cut], 100),
            Err(BatchError::NotProto),
            "{cut}"
        );
    }
    let nginx = br#"10.0.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "-""#;
    for bad in [&b"GET / HTTP/1.1"[..], nginx, b"\xff\xff\xff"] {
        assert_eq!(
            parse(Encoding::Proto, bad, 100),
            Err(BatchError::NotProto),
            "{bad:?}"
        );
    }
    for bad in [
        &b"not json"[..],
        nginx,
        b"",
        b"[]",
        br#"[{"resourceLogs":[]}]"#,
        br#"{"message":"GET / 200"}"#,
        br#"{"resourceLogs":{}}"#,
        br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"soon"}]}]}]}"#,
        br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":-1}]}]}]}"#,
        br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":1.5}]}]}]}"#,
        br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"intValue":"7x"}}]}]}]}"#,
        br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"value":{}}]}]}]}]}"#,
    ] {
        assert_eq!(
            parse(Encoding::Json, bad, 100),
            Err(BatchError::NotJson),
            "{bad:?}"
        );
    }
    // Empty batches are batches: an empty protobuf message, an empty `resourceLogs`.
    assert_eq!(
        parse(Encoding::Proto, b"", 0).map(|b| b.is_empty()),
        Ok(true)
    );
    assert_eq!(
        parse(Encoding::Json, br#"{"resourceLogs":[]}"#, 0).map(|b| b.len()),
        Ok(0)
    );
    assert_eq!(
        BatchError::TooManyRecords { records: 5, max: 4 }.to_string(),
        "5 log records, more than the batch bound of 4"
    );
    assert_eq!(
        BatchError::NotJson.reason(),
        "not an OTLP/JSON logs message"
    );
}

#[test]
fn names() {
    for e in Encoding::ALL {
        assert_eq!(Encoding::from_name(e.name()), Some(e));
    }
    assert_eq!(Encoding::from_name("otlp_proto"), Some(Encoding::Proto));
    assert_eq!(Encoding::from_name("raw"), None);
    for u in DurationUnit::ALL {
        assert_eq!(DurationUnit::from_name(u.name()), Some(u));
    }
    assert_eq!(
        DurationUnit::from_name("ms"),
        Some(DurationUnit::Milliseconds)
    );
    assert_eq!(DurationUnit::from_name("m"), None);
    let default = OtelHttp::default();
    assert_eq!(default.duration_attribute, "http.server.request.duration");
    assert_eq!(default.duration_unit, DurationUnit::Seconds);
}

// --- properties ---

#[derive(Debug, Clone)]
enum Attr {
    Str(String),
    Int(i64),
    Double(f64),
    Bool(bool),
}

#[derive(Debug, Clone)]
struct Rec {
    time: u64,
    observed: u64,
    body: Option<String>,
    attributes: Vec<(String, Attr)>,
}

/// Resources: their attributes (if any) and their scopes' records.
type Model = Vec<(Option<Vec<(String, Attr)>>, Vec<Vec<Rec>>)>;

fn attributes() -> impl Strategy<Value = Vec<(String, Attr)>> {
    let attr = prop_oneof![
        "\\PC{0,12}".prop_map(Attr::Str),
        any::<i64>().prop_map(Attr::Int),
        // Exact in a short decimal, so serde_json reads back the same double.
        any::<i16>().prop_map(|n| Attr::Double(f64::from(n) / 64.0)),
        any::<bool>().prop_map(Attr::Bool),
    ];
    prop::collection::vec(("[a-z.]{1,8}", attr), 0..4)
}

fn model() -> impl Strategy<Value = Model> {
    let rec = (
        any::<u64>(),
        any::<u64>(),
        prop::option::of("\\PC{0,40}"),
        attributes(),
    )
        .prop_map(|(time, observed, body, attributes)| Rec {
            time,
            observed,
            body,
            attributes,
        });
    let scopes = prop::collection::vec(prop::collection::vec(rec, 0..4), 0..3);
    prop::collection::vec((prop::option::of(attributes()), scopes), 0..3)
}

fn proto_value(a: &Attr) -> any_value::Value {
    match a {
        Attr::Str(t) => s(t),
        Attr::Int(n) => any_value::Value::IntValue(*n),
        Attr::Double(x) => any_value::Value::DoubleValue(*x),
        Attr::Bool(b) => any_value::Value::BoolValue(*b),
    }
}

fn proto_attributes(list: &[(String, Attr)]) -> Vec<KeyValue> {
    list.iter().map(|(k, a)| kv(k, proto_value(a))).collect()
}

fn logs(model: &Model) -> LogsData {
    let resource_logs = model
        .iter()
        .map(|(attrs, scopes)| ResourceLogs {
            resource: attrs.as_ref().map(|a| Resource {
                attributes: proto_attributes(a),
                ..Resource::default()
            }),
            scope_logs: scopes
                .iter()
                .map(|records| ScopeLogs {
                    log_records: records
                        .iter()
                        .map(|r| LogRecord {
                            observed_time_unix_nano: r.observed,
                            ..record(r.time, r.body.as_deref(), proto_attributes(&r.attributes))
                        })
                        .collect(),
                    ..ScopeLogs::default()
                })
                .collect(),
            ..ResourceLogs::default()
        })
        .collect();
    LogsData { resource_logs }
}

/// OTLP/JSON of `model`, with 64-bit integers as strings (as the Collector writes them)
/// or as numbers.
fn otlp_json(model: &Model, as_text: bool) -> Vec<u8> {
    use serde_json::{Value as J, json};
    let int = |n: String| {
        if as_text {
            J::from(n)
        } else {
            serde_json::from_str(&n).unwrap()
        }
    };
    let value = |a: &Attr| match a {
        Attr::Str(t) => json!({"stringValue": t}),
        Attr::Int(n) => json!({"intValue": int(n.to_string())}),
        Attr::Double(x) => json!({"doubleValue": x}),
        Attr::Bool(b) => json!({"boolValue": b}),
    };
    let attrs = |list: &[(String, Attr)]| -> J {
        list.iter()
            .map(|(k, a)| json!({"key": k, "value": value(a)}))
            .collect()
    };
    let resources: Vec<J> = model
        .iter()
        .map(|(resource, scopes)| {
            let scopes: Vec<J> = scopes
                .iter()
                .map(|records| {
                    let records: Vec<J> = records
                        .iter()
                        .map(|r| {
                            let mut o = json!({
                                "timeUnixNano": int(r.time.to_string()),
                                "observedTimeUnixNano": int(r.observed.to_string()),
                                "attributes": attrs(&r.attributes),
                                "severityNumber": 9,
                                "traceId": "5b8efff798038103d269b633813fc60c",
                            });
                            if let Some(body) = &r.body {
                                o["body"] = json!({"stringValue": body});
                            }
                            o
                        })
                        .collect();
                    json!({"scope": {"name": "test"}, "logRecords": records})
                })
                .collect();
            let mut o = json!({"scopeLogs": scopes, "schemaUrl": ""});
            if let Some(list) = resource {
                o["resource"] = json!({"attributes": attrs(list)});
            }
            o
        })
        .collect();
    serde_json::to_vec(&json!({"resourceLogs": resources})).unwrap()
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        for encoding in Encoding::ALL {
            if let Ok(batch) = parse(encoding, &bytes, 1_000) {
                for r in batch.records() {
                    let _ = OtelHttp::default().event(&r);
                }
            }
        }
    }

    #[test]
    fn never_panics_on_mutations(edits in crate::decode::testing::edits()) {
        let json = crate::decode::testing::mutate(COLLECTOR_JSON, edits);
        let _ = parse(Encoding::Json, &json, 1_000);
    }

    #[test]
    fn never_panics_on_damaged_proto(cut in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut proto = proto_batch().encode_to_vec();
        let at = at.index(proto.len());
        proto[at] = byte;
        proto.truncate(cut.index(proto.len() + 1));
        let _ = parse(Encoding::Proto, &proto, 1_000);
    }

    /// Batches built with the crate's types come back record for record.
    #[test]
    fn proto_round_trips(model in model()) {
        let data = logs(&model);
        let expected = Batch::new(data.clone());
        let batch = parse(Encoding::Proto, &data.encode_to_vec(), 1_000).unwrap();
        prop_assert_eq!(batch.len(), expected.len());
        prop_assert_eq!(batch.records().collect::<Vec<_>>(), expected.records().collect::<Vec<_>>());
    }

    /// OTLP/JSON of the same batches reads back to the same records.
    #[test]
    fn json_round_trips(model in model(), as_text in any::<bool>()) {
        let expected = Batch::new(logs(&model));
        let batch = parse(Encoding::Json, &otlp_json(&model, as_text), 1_000).unwrap();
        prop_assert_eq!(batch.len(), expected.len());
        prop_assert_eq!(batch.records().collect::<Vec<_>>(), expected.records().collect::<Vec<_>>());
    }
}

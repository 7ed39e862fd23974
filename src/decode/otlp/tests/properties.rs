//! Property tests: no input panics, and batches built with the crate's types round-trip
//! through protobuf and OTLP/JSON record for record.

use super::*;
use proptest::prelude::*;

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

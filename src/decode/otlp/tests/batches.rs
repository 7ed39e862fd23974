//! What a batch reads as: the Collector's JSON, numbers in every form, a protobuf batch and
//! the service request of the same wire format; bad payloads refused; encoding and unit names.

use super::*;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;

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

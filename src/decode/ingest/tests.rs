use super::*;
use crate::decode::{Format, FormatOptions, w3c};

const NGINX: &[u8] =
    br#"10.0.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 12 "-" "curl" 0.005 0.004"#;

fn ingest(envelope: Envelope, max: usize) -> Ingest {
    Ingest::new(
        envelope,
        Format::Nginx.decoder(&Default::default()),
        Limits::lines(max),
    )
}

/// What `read` yielded for `payload`, owned: the line and status of each event, or the
/// rejection, or the directive.
#[derive(Debug, PartialEq)]
enum Got {
    Event(Vec<u8>, u16),
    Rejected(Rejection),
    Directive(Vec<u8>),
}

fn read(i: &Ingest, payload: &[u8], state: &mut LineState) -> Vec<Got> {
    let (mut got, mut scratch) = (Vec::new(), Vec::new());
    i.read(payload, &mut scratch, state, |item| {
        got.push(match item {
            Item::Event(d) => Got::Event(d.line.to_vec(), d.event.status),
            Item::Rejected { rejection, .. } => Got::Rejected(rejection),
            Item::Directive(line) => Got::Directive(line.to_vec()),
        })
    });
    got
}

fn one(i: &Ingest, payload: &[u8]) -> Got {
    let mut got = read(i, payload, &mut LineState::default());
    assert_eq!(got.len(), 1, "{got:?}");
    got.remove(0)
}

#[test]
fn a_line_within_the_cap_decodes() {
    let i = ingest(Envelope::None, NGINX.len());
    assert_eq!(one(&i, NGINX), Got::Event(NGINX.to_vec(), 200));
}

#[test]
fn a_line_one_byte_over_the_cap_is_too_long_before_decoding() {
    let i = ingest(Envelope::None, NGINX.len() - 1);
    assert_eq!(one(&i, NGINX), Got::Rejected(Rejection::TooLong));
    assert_eq!(Rejection::TooLong.reason(), "too_long");
    assert_eq!(Rejection::TooLong.stage(), "length");
    assert_eq!(Rejection::TooLong.decode_error(), None);
}

#[test]
fn the_cap_applies_to_the_message_not_the_line_inside_it() {
    let message = format!(
        r#"{{"message":{}}}"#,
        serde_json::to_string(std::str::from_utf8(NGINX).unwrap()).unwrap()
    );
    let i = ingest(Envelope::Json, NGINX.len());
    assert_eq!(
        one(&i, message.as_bytes()),
        Got::Rejected(Rejection::TooLong)
    );
    let i = ingest(Envelope::Json, message.len());
    assert_eq!(one(&i, message.as_bytes()), Got::Event(NGINX.to_vec(), 200));
}

#[test]
fn rejections_name_their_stage() {
    let i = ingest(Envelope::Json, 1 << 20);
    let Got::Rejected(e) = one(&i, b"not json") else {
        panic!("decoded")
    };
    assert_eq!(e, Rejection::Envelope(DecodeError::BadEnvelope));
    assert_eq!((e.stage(), e.reason()), ("envelope", "bad_envelope"));
    let Got::Rejected(e) = one(&i, br#"{"message":"nonsense"}"#) else {
        panic!("decoded")
    };
    assert_eq!(e.stage(), "format");
    assert_eq!(e.decode_error(), Some(DecodeError::MissingFields));
}

#[test]
fn a_directive_sets_the_state_the_next_lines_are_read_with() {
    let options = FormatOptions {
        w3c: Some(w3c::Preset::Iis),
        ..FormatOptions::default()
    };
    let i = Ingest::new(
        Envelope::None,
        Format::W3c.decoder(&options),
        Limits::lines(1 << 10),
    );
    let line = b"2026-11-21 10:00:01 GET /a 200 46";
    let mut state = LineState::default();
    assert_eq!(
        read(&i, line, &mut state),
        [Got::Rejected(Rejection::Format(DecodeError::MissingFields))]
    );
    assert!(i.why(line, &state).unwrap().contains("no #Fields:"));
    let header = b"#Fields: date time cs-method cs-uri-stem sc-status time-taken";
    assert_eq!(
        read(&i, header, &mut state),
        [Got::Directive(header.to_vec())]
    );
    assert_eq!(state.saved(), Some(&header[..]));
    assert_eq!(read(&i, line, &mut state), [Got::Event(line.to_vec(), 200)]);
    // What a checkpoint keeps restores the same reading.
    let mut restored = LineState::restore(state.saved());
    assert_eq!(restored, state);
    assert_eq!(
        read(&i, line, &mut restored),
        [Got::Event(line.to_vec(), 200)]
    );
}

/// An OTLP/JSON batch of one resource whose records have these string bodies (`None`:
/// a map body), all at one time.
fn json_batch(bodies: &[Option<&str>]) -> Vec<u8> {
    let records: Vec<serde_json::Value> = bodies
        .iter()
        .map(|b| {
            let body = match b {
                Some(text) => serde_json::json!({"stringValue": text}),
                None => serde_json::json!({"kvlistValue": {"values": []}}),
            };
            serde_json::json!({"timeUnixNano": "1795255200000000000", "body": body})
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "resourceLogs": [{"resource": {}, "scopeLogs": [{"scope": {}, "logRecords": records}]}]
    }))
    .unwrap()
}

fn otlp(envelope: Envelope, format: Format, limits: Limits) -> Ingest {
    Ingest::new(envelope, format.decoder(&FormatOptions::default()), limits)
}

#[test]
fn each_log_record_of_a_batch_is_a_line_under_the_line_cap() {
    let nginx = std::str::from_utf8(NGINX).unwrap();
    let long = format!("{nginx} {}", "x".repeat(40));
    let payload = json_batch(&[
        Some(nginx),
        Some("nonsense"),
        None,
        Some(&long),
        Some(nginx),
    ]);
    // The cap is on each record, not on the message, which is far longer.
    let i = otlp(
        Envelope::OtlpJson,
        Format::Nginx,
        Limits::lines(NGINX.len() + 20),
    );
    assert!(payload.len() > NGINX.len() * 3);
    assert_eq!(
        read(&i, &payload, &mut LineState::default()),
        [
            Got::Event(NGINX.to_vec(), 200),
            Got::Rejected(Rejection::Format(DecodeError::MissingFields)),
            Got::Rejected(Rejection::Envelope(DecodeError::BadEnvelope)),
            Got::Rejected(Rejection::TooLong),
            Got::Event(NGINX.to_vec(), 200),
        ]
    );
    // A rejected record carries its own line, for the dead-letter file.
    let (mut lines, mut scratch) = (Vec::new(), Vec::new());
    i.read(&payload, &mut scratch, &mut LineState::default(), |item| {
        if let Item::Rejected { record, .. } = item {
            lines.push(record.map(<[u8]>::to_vec));
        }
    });
    assert_eq!(
        lines,
        [
            Some(b"nonsense".to_vec()),
            Some(Vec::new()),
            Some(long.into_bytes())
        ]
    );
}

#[test]
fn a_batch_is_bounded_in_bytes_and_records_and_must_be_otlp() {
    let nginx = std::str::from_utf8(NGINX).unwrap();
    let payload = json_batch(&[Some(nginx); 3]);
    let bounded = |max_bytes, max_records| Limits {
        max_line_bytes: 1 << 10,
        batch: BatchLimits {
            max_bytes,
            max_records,
        },
    };
    let i = otlp(Envelope::OtlpJson, Format::Nginx, bounded(payload.len(), 3));
    assert_eq!(read(&i, &payload, &mut LineState::default()).len(), 3);
    let i = otlp(
        Envelope::OtlpJson,
        Format::Nginx,
        bounded(payload.len() - 1, 3),
    );
    assert_eq!(
        read(&i, &payload, &mut LineState::default()),
        [Got::Rejected(Rejection::TooLong)]
    );
    let i = otlp(Envelope::OtlpJson, Format::Nginx, bounded(payload.len(), 2));
    assert_eq!(
        read(&i, &payload, &mut LineState::default()),
        [Got::Rejected(Rejection::Envelope(DecodeError::BadEnvelope))]
    );
    for (envelope, not_otlp) in [
        (Envelope::OtlpJson, &br#"{"message":"a vector line"}"#[..]),
        (Envelope::OtlpProto, NGINX),
    ] {
        let i = otlp(envelope, Format::Nginx, Limits::lines(1 << 10));
        assert_eq!(
            read(&i, not_otlp, &mut LineState::default()),
            [Got::Rejected(Rejection::Envelope(DecodeError::BadEnvelope))]
        );
    }
}

#[test]
fn otel_http_reads_records_from_their_attributes() {
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, LogsData, ResourceLogs, ScopeLogs};
    use prost::Message;
    let kv = |key: &str, value: Value| KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
    };
    let record = |status: i64| LogRecord {
        time_unix_nano: 1_795_255_200_000_000_000,
        attributes: vec![
            kv("http.request.method", Value::StringValue("GET".into())),
            kv("http.response.status_code", Value::IntValue(status)),
            kv("http.server.request.duration", Value::DoubleValue(0.25)),
        ],
        ..LogRecord::default()
    };
    let payload = LogsData {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![record(200), record(503), record(9999)],
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    }
    .encode_to_vec();
    let i = otlp(
        Envelope::OtlpProto,
        Format::OtelHttp,
        Limits::lines(1 << 10),
    );
    assert_eq!(
        read(&i, &payload, &mut LineState::default()),
        [
            Got::Event(Vec::new(), 200),
            Got::Event(Vec::new(), 503),
            Got::Rejected(Rejection::Format(DecodeError::BadStatus)),
        ]
    );
    // A text line is no record.
    let i = otlp(Envelope::None, Format::OtelHttp, Limits::lines(1 << 10));
    assert_eq!(
        one(&i, NGINX),
        Got::Rejected(Rejection::Format(DecodeError::MissingFields))
    );
}

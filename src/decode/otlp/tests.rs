//! OTLP log batches, as JSON and protobuf: hand cases of what a batch reads as and what is
//! refused, and property tests. Here: the Collector's JSON, the protobuf batch and the
//! builders the topic files (and `otel_http`'s tests) share.

mod batches;
mod properties;

use super::*;
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;

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

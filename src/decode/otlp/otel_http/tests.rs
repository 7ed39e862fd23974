use super::*;
use crate::decode::otlp::Batch;
use crate::decode::otlp::tests::{T, kv, record, resource, s};
use opentelemetry_proto::tonic::common::v1::{ArrayValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::LogsData;
use proptest::prelude::*;

/// [`T`] in µs.
const T_US: i64 = 1_795_255_200_123_456;

fn one(time: u64, attributes: Vec<KeyValue>, resource_attributes: Vec<KeyValue>) -> Batch {
    Batch::new(LogsData {
        resource_logs: vec![resource(
            resource_attributes,
            vec![record(time, Some("body"), attributes)],
        )],
    })
}

fn decode<'a>(otel: &OtelHttp, batch: &'a Batch) -> Result<Event<'a>, DecodeError> {
    otel.event(&batch.records().next().unwrap())
}

fn ms(attribute: &str) -> OtelHttp {
    OtelHttp {
        duration_attribute: attribute.to_string(),
        duration_unit: DurationUnit::Milliseconds,
    }
}

#[test]
fn stable_semconv_attributes() {
    let batch = one(
        T,
        vec![
            kv("http.request.method", s("GET")),
            kv("http.method", s("POST")),
            kv("http.response.status_code", any_value::Value::IntValue(200)),
            kv("url.path", s("/api/v1/orders")),
            kv("url.query", s("id=7")),
            kv("server.address", s("shop.example.com")),
            kv("server.port", any_value::Value::IntValue(443)),
            kv("client.address", s("2001:db8:beef::42")),
            kv("http.client_ip", s("198.51.100.1")),
            kv(
                "http.server.request.duration",
                any_value::Value::DoubleValue(0.0125),
            ),
            kv(
                "http.request.header.x-request-id",
                any_value::Value::ArrayValue(ArrayValue {
                    values: vec![AnyValue {
                        value: Some(s("f3a9c1d2-7e4b-4a51-9c0d-2b8e6f1a3c57")),
                    }],
                }),
            ),
        ],
        vec![kv("service.name", s("shop"))],
    );
    assert_eq!(
        decode(&OtelHttp::default(), &batch),
        Ok(Event {
            time_us: T_US,
            status: 200,
            latency_us: Some(12_500),
            method: b"GET",
            host: b"shop.example.com",
            path: b"/api/v1/orders",
            backend: b"",
            long_lived: false,
            request_id: b"f3a9c1d2-7e4b-4a51-9c0d-2b8e6f1a3c57",
            client: b"2001:db8:beef::42",
        })
    );
}

#[test]
fn old_semconv_attributes() {
    let batch = one(
        T,
        vec![
            kv("http.method", s("POST")),
            kv("http.status_code", s("502")),
            kv("http.target", s("/checkout?step=2")),
            kv("http.host", s("api.example.com:8443")),
            kv("duration_ms", any_value::Value::IntValue(250)),
            kv("http.request.header.x-request-id", s("req-1")),
        ],
        Vec::new(),
    );
    assert_eq!(
        decode(&ms("duration_ms"), &batch),
        Ok(Event {
            time_us: T_US,
            status: 502,
            latency_us: Some(250_000),
            method: b"POST",
            host: b"api.example.com",
            path: b"/checkout",
            backend: b"",
            long_lived: false,
            request_id: b"req-1",
            client: &[],
        })
    );
    // `net.host.name` from the resource; `_OTHER` with the original method; no latency.
    let batch = one(
        T,
        vec![
            kv("http.request.method", s("_OTHER")),
            kv("http.request.method_original", s("PURGE")),
            kv("http.status_code", any_value::Value::IntValue(404)),
        ],
        vec![kv("net.host.name", s("[2001:db8::1]:80"))],
    );
    assert_eq!(
        decode(&OtelHttp::default(), &batch),
        Ok(Event {
            time_us: T_US,
            status: 404,
            latency_us: None,
            method: b"PURGE",
            host: b"[2001:db8::1]",
            path: b"",
            backend: b"",
            long_lived: false,
            request_id: b"",
            client: &[],
        })
    );
}

#[test]
fn the_client_is_client_address_when_it_is_an_ip_address() {
    let client = |attributes: Vec<KeyValue>| {
        let mut all = vec![kv(
            "http.response.status_code",
            any_value::Value::IntValue(200),
        )];
        all.extend(attributes);
        let batch = one(T, all, vec![]);
        decode(&OtelHttp::default(), &batch).map(|e| e.client.to_vec())
    };
    assert_eq!(
        client(vec![kv("http.client_ip", s("198.51.100.1"))]),
        Ok(b"198.51.100.1".to_vec())
    );
    // semconv allows a domain name or a socket name: no client, not an error.
    assert_eq!(
        client(vec![kv("client.address", s("laptop.example"))]),
        Ok(vec![])
    );
    assert_eq!(
        client(vec![kv("client.address", s("/tmp/my.sock"))]),
        Ok(vec![])
    );
    assert_eq!(
        client(vec![kv("client.address", any_value::Value::IntValue(7))]),
        Ok(vec![])
    );
    assert_eq!(client(vec![]), Ok(vec![]));
}

#[test]
fn durations_in_each_unit() {
    use DurationUnit::*;
    use any_value::Value::{BoolValue, DoubleValue, IntValue};
    let cases = [
        (Nanoseconds, IntValue(1_499), Ok(Some(1))),
        (Nanoseconds, IntValue(1_500), Ok(Some(2))),
        (Nanoseconds, DoubleValue(2_500.0), Ok(Some(3))),
        (Nanoseconds, s("999"), Ok(Some(1))),
        (Nanoseconds, s("12345678.9"), Ok(Some(12_346))),
        (Microseconds, IntValue(12), Ok(Some(12))),
        (Microseconds, DoubleValue(12.5), Ok(Some(13))),
        (Microseconds, s("7.4"), Ok(Some(7))),
        (Milliseconds, IntValue(250), Ok(Some(250_000))),
        (Milliseconds, DoubleValue(1.25), Ok(Some(1_250))),
        (Milliseconds, DoubleValue(0.0004), Ok(Some(0))),
        (Milliseconds, s("12.345"), Ok(Some(12_345))),
        (Seconds, IntValue(2), Ok(Some(2_000_000))),
        (Seconds, DoubleValue(0.0125), Ok(Some(12_500))),
        (Seconds, s("0.25"), Ok(Some(250_000))),
        (Seconds, s("1e-3"), Ok(Some(1_000))),
        (Seconds, IntValue(0), Ok(Some(0))),
        (Seconds, IntValue(i64::MAX), Err(DecodeError::BadLatency)),
        (Seconds, DoubleValue(1e300), Err(DecodeError::BadLatency)),
        (Nanoseconds, IntValue(-1), Err(DecodeError::BadLatency)),
        (Seconds, DoubleValue(-0.5), Err(DecodeError::BadLatency)),
        (Seconds, DoubleValue(f64::NAN), Err(DecodeError::BadLatency)),
        (
            Seconds,
            DoubleValue(f64::INFINITY),
            Err(DecodeError::BadLatency),
        ),
        (Milliseconds, s("-3"), Err(DecodeError::BadLatency)),
        (Milliseconds, s("fast"), Err(DecodeError::BadLatency)),
        (Milliseconds, s("NaN"), Err(DecodeError::BadLatency)),
        (Milliseconds, s(""), Err(DecodeError::BadLatency)),
        (Milliseconds, BoolValue(true), Err(DecodeError::BadLatency)),
    ];
    for (unit, value, expected) in cases {
        let otel = OtelHttp {
            duration_attribute: "took".to_string(),
            duration_unit: unit,
        };
        let batch = one(
            T,
            vec![
                kv("http.response.status_code", IntValue(200)),
                kv("took", value.clone()),
            ],
            Vec::new(),
        );
        let got = decode(&otel, &batch).map(|e| e.latency_us);
        assert_eq!(got, expected, "{unit:?} {value:?}");
    }
}

#[test]
fn status_time_and_missing_fields() {
    use any_value::Value::{DoubleValue, IntValue};
    let status = |value: Option<any_value::Value>, time: u64| {
        let mut attributes = vec![kv("http.server.request.duration", DoubleValue(0.1))];
        attributes.extend(value.map(|v| kv("http.response.status_code", v)));
        decode(&OtelHttp::default(), &one(time, attributes, Vec::new()))
            .map(|e| (e.status, e.latency_us))
    };
    assert_eq!(status(Some(IntValue(0)), T), Ok((0, None)));
    assert_eq!(status(Some(IntValue(100)), T), Ok((100, Some(100_000))));
    assert_eq!(status(Some(s("599")), T), Ok((599, Some(100_000))));
    for bad in [
        IntValue(99),
        IntValue(600),
        IntValue(-200),
        IntValue(65_736),
        s("2OO"),
        s("+200"),
        s(""),
        s("99999999999999999999"),
        DoubleValue(200.0),
    ] {
        assert_eq!(
            status(Some(bad.clone()), T),
            Err(DecodeError::BadStatus),
            "{bad:?}"
        );
    }
    assert_eq!(status(None, T), Err(DecodeError::MissingFields));
    // The event time is required; the observed time never stands in for it.
    assert_eq!(status(Some(IntValue(200)), 0), Err(DecodeError::BadTime));
    assert_eq!(status(None, 0), Err(DecodeError::BadTime));
    assert_eq!(
        decode(
            &OtelHttp::default(),
            &one(999, vec![kv("http.status_code", IntValue(200))], Vec::new())
        )
        .map(|e| e.time_us),
        Ok(0)
    );
}

fn any_value() -> impl Strategy<Value = any_value::Value> {
    use any_value::Value::{BoolValue, DoubleValue, IntValue};
    prop_oneof![
        any::<i64>().prop_map(IntValue),
        (-10..700i64).prop_map(IntValue),
        any::<f64>().prop_map(DoubleValue),
        "[0-9.e+-]{0,8}|\\PC{0,8}".prop_map(|t| s(&t)),
        any::<bool>().prop_map(BoolValue),
    ]
}

proptest! {
    /// Whatever the values, an event has its record's time, a status of 0 or 100–599 and a
    /// latency ≥ 0, none with status 0.
    #[test]
    fn events_are_well_formed(time in any::<u64>(), status in any_value(), took in any_value(), unit in 0..4usize) {
        let otel = OtelHttp {
            duration_attribute: "took".to_string(),
            duration_unit: DurationUnit::ALL[unit],
        };
        let batch = one(time, vec![kv("http.status_code", status), kv("took", took)], Vec::new());
        if let Ok(e) = decode(&otel, &batch) {
            prop_assert_eq!(Ok(e.time_us), i64::try_from(time / 1_000));
            prop_assert!(e.status == 0 || (100..=599).contains(&e.status));
            prop_assert!(e.latency_us.is_none_or(|us| us >= 0));
            prop_assert!(e.status != 0 || e.latency_us.is_none());
        }
    }

    /// A duration written as a string reads as the number it holds.
    #[test]
    fn string_durations_read_as_numbers(n in 0..i64::MAX / 1_000_000, x in 0.0..1e9f64, unit in 0..4usize) {
        let otel = OtelHttp {
            duration_attribute: "took".to_string(),
            duration_unit: DurationUnit::ALL[unit],
        };
        let latency = |took| {
            let batch = one(T, vec![kv("http.status_code", s("200")), kv("took", took)], Vec::new());
            decode(&otel, &batch).map(|e| e.latency_us)
        };
        prop_assert_eq!(latency(s(&n.to_string())), latency(any_value::Value::IntValue(n)));
        prop_assert_eq!(latency(s(&x.to_string())), latency(any_value::Value::DoubleValue(x)));
    }
}

//! Envoy JSON access logs (`json_format`, every value a string, or `typed_json_format`,
//! numbers as numbers): one JSON object per line. Envoy has no fixed key set; this decoder
//! reads the key names commonly configured (and used by Istio's JSON encoding):
//!
//! | key | read as |
//! |---|---|
//! | `start_time` | request start: RFC 3339 text (`2026-11-21T10:00:00.123Z`), or epoch seconds (`%START_TIME(%s.%3f)%`, number or string) — required |
//! | `response_code` | status (number or string); `0` = no response was sent — required |
//! | `duration` | latency, ms (number or string); unknown when absent, `null` or `-` |
//! | `method` | method |
//! | `path` | path; the query string is dropped |
//! | `authority` | host, port dropped |
//! | `upstream_cluster`, else `upstream_host` | backend |
//! | `x_request_id`, else `request_id` | request id |
//! | `downstream_remote_address` | client: the address, its port dropped (`%DOWNSTREAM_REMOTE_ADDRESS%` or `…_WITHOUT_PORT%`); `-`, a local socket or a value that is no address: none |
//!
//! As for the text format, the event time is `start_time` + `duration` (when the response
//! completed, like ALB and nginx), and status 0 has an unknown latency (good for availability,
//! left out of latency SLIs). Absent, `null` and `"-"` values read as empty. Every other key
//! (`protocol`, `response_flags`, byte counts, `user_agent`, `x_forwarded_for` — what
//! clients claim, never taken for the client —, …) is ignored; the generic `json` format
//! covers other key sets. Values are borrowed from the line as described in the JSON reader
//! (escapes kept as written). No line is long-lived.

use super::jsonscan::{self, Value};
use super::{DecodeError, Decoder, Event, Unit, client, fields, timestamp};

/// Decoder for Envoy JSON access-log lines (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct EnvoyJsonDecoder;

const KEYS: [&[&str]; 11] = [
    &["start_time"],
    &["response_code"],
    &["duration"],
    &["method"],
    &["path"],
    &["authority"],
    &["upstream_cluster"],
    &["upstream_host"],
    &["x_request_id"],
    &["request_id"],
    &["downstream_remote_address"],
];

impl Decoder for EnvoyJsonDecoder {
    fn decode<'a>(&self, line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        let line = fields::trim_line(line)?;
        let mut v = [None; KEYS.len()];
        jsonscan::lookup(line, &KEYS, &mut v)?;
        let [
            start,
            code,
            duration,
            method,
            path,
            authority,
            cluster,
            upstream,
            x_request_id,
            request_id,
            downstream,
        ] = v;
        let start_us = start_time(start.ok_or(DecodeError::MissingFields)?)?;
        let status = jsonscan::status(Some(code.ok_or(DecodeError::MissingFields)?))?;
        let duration_us = jsonscan::duration_us(duration, Unit::Millis)?;
        let time_us = start_us
            .checked_add(duration_us.unwrap_or(0))
            .ok_or(DecodeError::BadTime)?;
        let backend = match jsonscan::text(cluster) {
            b"" => jsonscan::text(upstream),
            cluster => cluster,
        };
        let request_id = match jsonscan::text(x_request_id) {
            b"" => jsonscan::text(request_id),
            id => id,
        };
        let client = client::either(jsonscan::text(downstream)).or_empty();
        Ok(Event {
            time_us,
            status,
            latency_us: if status == 0 { None } else { duration_us },
            method: jsonscan::text(method),
            host: fields::host_of(jsonscan::text(authority)),
            path: fields::split_target(jsonscan::text(path)).1,
            backend,
            long_lived: false,
            request_id,
            client,
        })
    }
}

/// `start_time`: RFC 3339 text, or epoch seconds as a number or digits.
fn start_time(value: Value<'_>) -> Result<i64, DecodeError> {
    let text = value.text().ok_or(DecodeError::BadTime)?;
    timestamp::rfc3339(text)
        .or_else(|| timestamp::decimal_us(text, Unit::Seconds))
        .ok_or(DecodeError::BadTime)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time;
    use proptest::prelude::*;

    const STRINGS: &str = r#"{"start_time":"2026-11-21T10:00:00.123Z","method":"POST","path":"/api/v1/orders?id=7","protocol":"HTTP/1.1","response_code":"201","response_flags":"-","bytes_received":"512","bytes_sent":"48","duration":"57","upstream_service_time":"55","x_forwarded_for":"203.0.113.7","user_agent":"curl/8.5.0 \"quoted\"","x_request_id":"5f1c2b8e-0d9a-4c55","authority":"api.example.com:8443","upstream_host":"10.0.1.12:8080","upstream_cluster":"outbound|8080||orders.default.svc.cluster.local","downstream_remote_address":"203.0.113.7:51000"}"#;
    const TYPED: &str = r#"{"start_time": "2026-11-21T10:00:00.123Z", "method": "POST", "path": "/api/v1/orders?id=7", "response_code": 201, "response_flags": "-", "duration": 57, "upstream_service_time": null, "request_id": "5f1c2b8e-0d9a-4c55", "authority": "api.example.com:8443", "upstream_host": "10.0.1.12:8080", "upstream_cluster": "outbound|8080||orders.default.svc.cluster.local", "bytes_sent": 48, "downstream_remote_address": "203.0.113.7"}"#;
    const GONE: &str = r#"{"start_time":"2026-11-21T10:00:00.000Z","method":"GET","path":"/v1/stream","response_code":0,"response_flags":"DC","duration":1503,"authority":"[2001:db8::1]:443","upstream_host":null,"upstream_cluster":null,"x_request_id":null}"#;
    const EPOCH: &str = r#"{"start_time":1795255200.123,"response_code":"503","response_flags":"UH","duration":"-","method":"GET","path":"/healthz","authority":"-","upstream_host":"-"}"#;

    fn decode(line: &str) -> Result<Event<'_>, DecodeError> {
        EnvoyJsonDecoder.decode(line.as_bytes())
    }

    const T0: i64 = 1_795_255_200_000_000;

    #[test]
    fn string_and_typed_values_decode_alike() {
        let want = Event {
            time_us: T0 + 180_000,
            status: 201,
            latency_us: Some(57_000),
            method: b"POST",
            host: b"api.example.com",
            path: b"/api/v1/orders",
            backend: b"outbound|8080||orders.default.svc.cluster.local",
            long_lived: false,
            request_id: b"5f1c2b8e-0d9a-4c55",
            client: b"203.0.113.7",
        };
        assert_eq!(time::format_rfc3339(T0), "2026-11-21T10:00:00Z");
        assert_eq!(decode(STRINGS), Ok(want));
        assert_eq!(decode(TYPED), Ok(want));
        let host_only = TYPED.replace(
            r#""upstream_cluster": "outbound|8080||orders.default.svc.cluster.local", "#,
            "",
        );
        assert_eq!(decode(&host_only).unwrap().backend, b"10.0.1.12:8080");
    }

    #[test]
    fn status_zero_nulls_and_epoch_start() {
        assert_eq!(
            decode(GONE),
            Ok(Event {
                time_us: T0 + 1_503_000,
                status: 0,
                latency_us: None,
                method: b"GET",
                host: b"[2001:db8::1]",
                path: b"/v1/stream",
                backend: b"",
                long_lived: false,
                request_id: b"",
                client: &[],
            })
        );
        assert_eq!(
            decode(EPOCH),
            Ok(Event {
                time_us: T0 + 123_000,
                status: 503,
                latency_us: None,
                method: b"GET",
                host: b"",
                path: b"/healthz",
                backend: b"",
                long_lived: false,
                request_id: b"",
                client: &[],
            })
        );
        let minimal = r#"{"start_time":"2026-11-21T10:00:00Z","response_code":200}"#;
        let e = decode(minimal).unwrap();
        assert_eq!((e.time_us, e.status, e.latency_us), (T0, 200, None));
        assert_eq!((e.method, e.host, e.path), (&b""[..], &b""[..], &b""[..]));
    }

    #[test]
    fn the_client_is_the_downstream_address_without_its_port() {
        let with = |value: &str| STRINGS.replace(r#""203.0.113.7:51000""#, value);
        for (value, want) in [
            (r#""[2001:db8::9]:443""#, &b"2001:db8::9"[..]),
            (r#""2001:db8::9""#, b"2001:db8::9"),
            (r#""-""#, b""),
            ("null", b""),
            (r#""/var/run/envoy/uds""#, b""),
        ] {
            assert_eq!(decode(&with(value)).map(|e| e.client), Ok(want), "{value}");
        }
        // The forwarded-for list is never the client.
        assert_eq!(decode(GONE).unwrap().client, b"");
        // Not an address: no client (the line still decodes).
        assert_eq!(
            decode(&with(r#""gateway.mesh:443""#)).map(|e| e.client),
            Ok(&b""[..])
        );
    }

    #[test]
    fn every_error_reason() {
        assert_eq!(decode(" "), Err(DecodeError::Empty));
        assert_eq!(decode("not json"), Err(DecodeError::MissingFields));
        assert_eq!(
            decode(r#"{"start_time":"2026"#),
            Err(DecodeError::UnterminatedQuote)
        );
        assert_eq!(
            decode(r#"{"response_code":200}"#),
            Err(DecodeError::MissingFields)
        );
        let no_code = r#"{"start_time":"2026-11-21T10:00:00Z"}"#;
        assert_eq!(decode(no_code), Err(DecodeError::MissingFields));
        for time in [r#""yesterday""#, "null", "true", r#""-""#] {
            let line = TYPED.replace(r#""2026-11-21T10:00:00.123Z""#, time);
            assert_eq!(decode(&line), Err(DecodeError::BadTime), "{time}");
        }
        for code in [r#""-""#, "600", "null", "2.5"] {
            let line = TYPED.replace("201", code);
            assert_eq!(decode(&line), Err(DecodeError::BadStatus), "{code}");
        }
        for duration in [r#""fast""#, "1e3", "[]"] {
            let line = TYPED.replace(": 57", &format!(": {duration}"));
            assert_eq!(decode(&line), Err(DecodeError::BadLatency), "{duration}");
        }
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = EnvoyJsonDecoder.decode(&bytes);
        }

        #[test]
        fn never_panics_on_mutations(which in 0..4usize, edits in crate::decode::testing::edits()) {
            let line = crate::decode::testing::mutate([STRINGS, TYPED, GONE, EPOCH][which], edits);
            let _ = EnvoyJsonDecoder.decode(&line);
        }
    }
}

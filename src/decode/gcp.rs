//! Google Cloud HTTP(S) load balancer logs as Cloud Logging writes them (`LogEntry` JSON,
//! one object per line, e.g. from a Pub/Sub or file export). Keys read:
//!
//! | key | read as |
//! |---|---|
//! | `timestamp` | event time, RFC 3339 with up to ns, as written — required |
//! | `httpRequest.status` | status (number or string); `0` = no response was sent — required |
//! | `httpRequest.latency` | latency, a protobuf duration text (`"0.007911s"`) in exact µs; unknown when absent |
//! | `httpRequest.requestMethod` | method |
//! | `httpRequest.requestUrl` | host (port dropped) and path (query dropped) of the full URL |
//! | `resource.labels.backend_service_name`, else `backend_target_name` | backend (empty for a cache hit served without one) |
//! | `insertId` | request id |
//! | `httpRequest.remoteIp` | client, an IPv4 or IPv6 address (absent, or any other text: none) |
//!
//! Status 0 (the client went away before any response, `statusDetails`
//! `client_disconnected_before_any_response`) has an unknown latency, so it counts as good
//! in availability and is left out of latency SLIs. Sizes (strings), `sampleRate`,
//! `jsonPayload` and every other key are ignored: when a backend service logs only a sample
//! of its requests (`logConfig.sampleRate` < 1), the sampled entries are counted as they
//! come, one event each, without upweighting — ratios stay unbiased, absolute counts and
//! throughput SLOs read low by the sample rate. No line is long-lived.

use super::jsonscan;
use super::{DecodeError, Decoder, Event, Unit, client, fields, timestamp};

/// Decoder for GCP HTTP(S) load balancer log entries (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct GcpDecoder;

const KEYS: [&[&str]; 9] = [
    &["timestamp"],
    &["httpRequest", "status"],
    &["httpRequest", "latency"],
    &["httpRequest", "requestMethod"],
    &["httpRequest", "requestUrl"],
    &["resource", "labels", "backend_service_name"],
    &["resource", "labels", "backend_target_name"],
    &["insertId"],
    &["httpRequest", "remoteIp"],
];

impl Decoder for GcpDecoder {
    fn decode<'a>(&self, line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        let line = fields::trim_line(line)?;
        let mut v = [None; KEYS.len()];
        jsonscan::lookup(line, &KEYS, &mut v)?;
        let [
            time,
            status,
            latency,
            method,
            url,
            service,
            target,
            insert_id,
            remote_ip,
        ] = v;
        let time = time.ok_or(DecodeError::MissingFields)?;
        let time_us = time
            .text()
            .and_then(timestamp::rfc3339)
            .ok_or(DecodeError::BadTime)?;
        let status = jsonscan::status(Some(status.ok_or(DecodeError::MissingFields)?))?;
        let latency_us = match latency.and_then(|l| l.text()) {
            None => None,
            Some(text) => {
                let seconds = text.strip_suffix(b"s").ok_or(DecodeError::BadLatency)?;
                Some(timestamp::decimal_us(seconds, Unit::Seconds).ok_or(DecodeError::BadLatency)?)
            }
        };
        let (host, path) = fields::split_target(jsonscan::text(url));
        let backend = match jsonscan::text(service) {
            b"" => jsonscan::text(target),
            service => service,
        };
        let client = client::bare(jsonscan::text(remote_ip)).or_empty();
        Ok(Event {
            time_us,
            status,
            latency_us: if status == 0 { None } else { latency_us },
            method: jsonscan::text(method),
            host,
            path,
            backend,
            long_lived: false,
            request_id: jsonscan::text(insert_id),
            client,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ENTRY: &str = r#"{"insertId":"1oek5rg3l3fxj7","jsonPayload":{"@type":"type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry","statusDetails":"response_sent_by_backend","backendTargetProjectNumber":"projects/123456789012"},"httpRequest":{"requestMethod":"GET","requestUrl":"https://shop.example.com/api/v1/cart?session=8f3a","requestSize":"734","status":200,"responseSize":"5120","userAgent":"Mozilla/5.0 (X11; Linux x86_64)","remoteIp":"203.0.113.17","serverIp":"10.0.1.12","latency":"0.007911s"},"resource":{"type":"http_load_balancer","labels":{"backend_service_name":"web-backend","forwarding_rule_name":"web-fr","project_id":"my-project","target_proxy_name":"web-proxy","url_map_name":"web-map","zone":"global"}},"timestamp":"2026-11-21T10:00:00.123456789Z","severity":"INFO","logName":"projects/my-project/logs/requests","trace":"projects/my-project/traces/4bf92f3577b34da6a3ce929d0e0e4736","receiveTimestamp":"2026-11-21T10:00:01.5Z"}"#;
    const CACHE_HIT: &str = r#"{"httpRequest":{"requestMethod":"GET","requestUrl":"http://[2001:db8::1]:8080/static/app.js","status":"304","cacheHit":true,"cacheLookup":true},"resource":{"labels":{"backend_service_name":"","backend_target_name":"static-bucket"}},"timestamp":"2026-11-21T10:00:00Z","insertId":"abc123"}"#;
    const GONE: &str = r#"{"httpRequest":{"requestMethod":"POST","requestUrl":"https://api.example.com/v1/upload","status":0,"latency":"12.5s"},"jsonPayload":{"statusDetails":"client_disconnected_before_any_response"},"timestamp":"2026-11-21T10:00:00Z","sampleRate":0.5}"#;

    fn decode(line: &str) -> Result<Event<'_>, DecodeError> {
        GcpDecoder.decode(line.as_bytes())
    }

    const T0: i64 = 1_795_255_200_000_000;

    #[test]
    fn documented_shape() {
        assert_eq!(
            decode(ENTRY),
            Ok(Event {
                time_us: T0 + 123_456,
                status: 200,
                latency_us: Some(7_911),
                method: b"GET",
                host: b"shop.example.com",
                path: b"/api/v1/cart",
                backend: b"web-backend",
                long_lived: false,
                request_id: b"1oek5rg3l3fxj7",
                client: b"203.0.113.17",
            })
        );
        assert_eq!(
            decode(CACHE_HIT),
            Ok(Event {
                time_us: T0,
                status: 304,
                latency_us: None,
                method: b"GET",
                host: b"[2001:db8::1]",
                path: b"/static/app.js",
                backend: b"static-bucket",
                long_lived: false,
                request_id: b"abc123",
                client: &[],
            })
        );
        let e = decode(GONE).unwrap();
        assert_eq!(
            (e.status, e.latency_us, e.backend, e.request_id),
            (0, None, &b""[..], &b""[..])
        );
    }

    #[test]
    fn the_client_is_remote_ip() {
        assert_eq!(decode(ENTRY).unwrap().client, b"203.0.113.17");
        assert_eq!(decode(GONE).unwrap().client, b"");
        let v6 = ENTRY.replace("203.0.113.17", "2001:db8:4:5::6");
        assert_eq!(decode(&v6).unwrap().client, b"2001:db8:4:5::6");
        for bad in ["203.0.113.17:443", "localhost"] {
            let line = ENTRY.replace("203.0.113.17", bad);
            assert_eq!(decode(&line).unwrap().client, b"", "{bad}: no client");
        }
    }

    #[test]
    fn every_error_reason() {
        assert_eq!(decode(""), Err(DecodeError::Empty));
        assert_eq!(decode("{}"), Err(DecodeError::MissingFields));
        assert_eq!(decode("[1,2]"), Err(DecodeError::MissingFields));
        let no_status = ENTRY.replace(r#""status":200,"#, "");
        assert_eq!(decode(&no_status), Err(DecodeError::MissingFields));
        let bad_time = ENTRY.replace("2026-11-21T10:00:00.123456789Z", "Nov 21");
        assert_eq!(decode(&bad_time), Err(DecodeError::BadTime));
        let bad_status = ENTRY.replace(r#""status":200"#, r#""status":"OK""#);
        assert_eq!(decode(&bad_status), Err(DecodeError::BadStatus));
        for latency in ["0.007911", "-1s", "1e-3s", "fast"] {
            let line = ENTRY.replace("0.007911s", latency);
            assert_eq!(decode(&line), Err(DecodeError::BadLatency), "{latency}");
        }
        let cut = &ENTRY[..ENTRY.len() / 2];
        assert!(decode(cut).is_err());
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = GcpDecoder.decode(&bytes);
        }

        #[test]
        fn never_panics_on_mutations(which in 0..3usize, edits in crate::decode::testing::edits()) {
            let line = crate::decode::testing::mutate([ENTRY, CACHE_HIT, GONE][which], edits);
            let _ = GcpDecoder.decode(&line);
        }

        #[test]
        fn latency_is_exact(us in 0..100_000_000i64) {
            let text = format!("{}.{:06}s", us / 1_000_000, us % 1_000_000);
            let line = ENTRY.replace("0.007911s", &text);
            prop_assert_eq!(decode(&line).unwrap().latency_us, Some(us));
        }
    }
}

//! AWS Classic Load Balancer (ELB) access logs, one space-separated entry per line:
//! `timestamp elb client:port backend:port request_processing_time backend_processing_time
//! response_processing_time elb_status_code backend_status_code received_bytes sent_bytes
//! "request" "user_agent" ssl_cipher ssl_protocol`.
//!
//! The timestamp (ISO 8601 UTC with µs) is when the load balancer *received* the request;
//! the event time is that plus the three processing times, when the response went out, as
//! for every format (the timestamp alone when a time is `-1`). The latency is the exact sum
//! of the three times in µs, unknown when any is `-1` (the load balancer could not dispatch
//! the request, or the backend closed the connection first). The status is
//! `elb_status_code` (what the client saw; `backend_status_code` is `-` without a backend
//! response). Method, host and path come from the request URL; a TCP or SSL listener's
//! `"- - - "` gives empty ones. The backend is `backend:port` as written (empty for `-`).
//! The client is the address of `client:port` without the port (`-`: none; any other value is no client (the line still decodes: the client is information for burn attribution, not a field a line is refused for)).
//! Every field through `sent_bytes` must be present, the times must be seconds or `-1`,
//! the status codes and byte counts numbers (or `-`); the user agent and the TLS fields
//! are optional (older entries stop after the request) and not checked. Classic ELB logs
//! carry no request id. No line is long-lived.

use super::fields::{self, Fields, RequestLine};
use super::{DecodeError, Decoder, Event, client, timestamp};

/// Decoder for AWS Classic Load Balancer access-log lines (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct ClassicElbDecoder;

impl Decoder for ClassicElbDecoder {
    fn decode<'a>(&self, line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        let mut f = Fields::new(fields::trim_line(line)?);
        let time = f.required()?;
        let _elb = f.required()?;
        let client = f.required()?;
        let backend = f.required()?;
        let timings = [f.required()?, f.required()?, f.required()?];
        let status = f.required()?;
        let counts = [f.required()?, f.required()?, f.required()?];
        let request = f.required()?;
        if !counts.iter().all(|c| is_count(c)) {
            return Err(DecodeError::MissingFields);
        }

        let received_us = timestamp::rfc3339(time).ok_or(DecodeError::BadTime)?;
        let client = client::with_port(client).or_empty();
        let status = fields::parse_status(status)?;
        let latency_us = super::alb::latency(timings)?;
        let time_us = received_us
            .checked_add(latency_us.unwrap_or(0))
            .ok_or(DecodeError::BadTime)?;
        let (method, host, path) = match fields::split_request(request) {
            Some(RequestLine {
                method: b"-",
                target: b"-",
                ..
            }) => (&[][..], &[][..], &[][..]),
            Some(RequestLine {
                method,
                target,
                protocol: Some(_),
            }) => {
                let (host, path) = fields::request_target(method, target);
                (method, host, path)
            }
            _ => return Err(DecodeError::BadRequest),
        };
        Ok(Event {
            time_us,
            status,
            latency_us,
            method,
            host,
            path,
            backend: if backend == b"-" { &[] } else { backend },
            long_lived: false,
            request_id: &[],
            client,
        })
    }
}

/// A backend status code or a byte count: digits, or `-`.
fn is_count(field: &[u8]) -> bool {
    field == b"-" || (!field.is_empty() && field.iter().all(u8::is_ascii_digit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 2015-05-13T23:39:43.945958Z
    const T0: i64 = 1_431_560_383_945_958;

    // Entries written from AWS's documentation of Classic Load Balancer access logs.
    const HTTP: &str = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#;
    const HTTPS: &str = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000086 0.001048 0.001337 200 200 0 57 "GET https://www.example.com:443/cart?id=7 HTTP/1.1" "curl/7.38.0" DHE-RSA-AES128-SHA TLSv1.2"#;
    const TCP: &str = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001069 0.000028 0.000041 - - 82 305 "- - - " "-" - -"#;
    const NO_BACKEND: &str = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 - -1 -1 -1 503 0 0 0 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#;

    fn decode(line: &str) -> Result<Event<'_>, DecodeError> {
        ClassicElbDecoder.decode(line.as_bytes())
    }

    #[test]
    fn documented_entries_end_when_the_response_went_out() {
        assert_eq!(
            decode(HTTP),
            Ok(Event {
                time_us: T0 + 73 + 1_048 + 57,
                status: 200,
                latency_us: Some(1_178),
                method: b"GET",
                host: b"www.example.com",
                path: b"/",
                backend: b"10.0.0.1:80",
                long_lived: false,
                request_id: b"",
                client: b"192.168.131.39",
            })
        );
        let e = decode(HTTPS).unwrap();
        assert_eq!(
            (e.time_us, e.latency_us, e.path),
            (T0 + 2_471, Some(2_471), &b"/cart"[..])
        );
        let e = decode(NO_BACKEND).unwrap();
        assert_eq!(
            (e.time_us, e.status, e.latency_us, e.backend),
            (T0, 503, None, &b""[..])
        );
        // Older entries stop after the request.
        let old = HTTP.split(r#" "curl"#).next().unwrap();
        assert_eq!(decode(old), decode(HTTP));
    }

    #[test]
    fn tcp_listeners_have_no_status_and_are_errors() {
        // A TCP listener's entry has no HTTP status: nothing to classify.
        assert_eq!(decode(TCP), Err(DecodeError::BadStatus));
    }

    #[test]
    fn every_error_reason() {
        assert_eq!(decode(""), Err(DecodeError::Empty));
        let cut = HTTP.split(" 0 29 ").next().unwrap();
        assert_eq!(decode(cut), Err(DecodeError::MissingFields));
        assert_eq!(
            decode(&HTTP.replace("2015-05-13T23:39:43.945958Z", "13/May/2015:23:39:43")),
            Err(DecodeError::BadTime)
        );
        assert_eq!(
            decode(&HTTP.replace(" 0.000073 ", " fast ")),
            Err(DecodeError::BadLatency)
        );
        assert_eq!(
            decode(&HTTP.replace(" 200 200 ", " OK 200 ")),
            Err(DecodeError::BadStatus)
        );
        // An ALB line has its type first: its time is not where this format's is.
        let alb = format!("http {HTTP}");
        assert_eq!(decode(&alb), Err(DecodeError::BadTime));
        // Byte counts must be numbers: another layout is not misread.
        assert_eq!(
            decode(&HTTP.replace(" 0 29 ", " zero 29 ")),
            Err(DecodeError::MissingFields)
        );
        assert_eq!(
            decode(&HTTP.replace("GET http://www.example.com:80/ HTTP/1.1", "GET")),
            Err(DecodeError::BadRequest)
        );
    }

    #[test]
    fn the_client_is_the_address_without_its_port() {
        let with = |client: &str| HTTP.replacen("192.168.131.39:2817", client, 1);
        for (field, want) in [
            ("[2001:db8::5]:2817", &b"2001:db8::5"[..]),
            ("2001:db8::5:2817", b"2001:db8::5"),
            ("-", b""),
        ] {
            assert_eq!(decode(&with(field)).map(|e| e.client), Ok(want), "{field}");
        }
        for field in ["192.168.131.39", "lb-client:2817", "192.168.131:2817"] {
            assert_eq!(
                decode(&with(field)).map(|e| e.client),
                Ok(&b""[..]),
                "{field}"
            );
        }
    }

    proptest! {
        #[test]
        fn times_add_up_exactly(a in 0..10_000_000i64, b in 0..10_000_000i64, c in 0..10_000_000i64) {
            let s = |us: i64| format!("{}.{:06}", us / 1_000_000, us % 1_000_000);
            let line = HTTP.replace("0.000073 0.001048 0.000057", &format!("{} {} {}", s(a), s(b), s(c)));
            let e = decode(&line).unwrap();
            prop_assert_eq!(e.latency_us, Some(a + b + c));
            prop_assert_eq!(e.time_us, T0 + a + b + c);
        }

        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = ClassicElbDecoder.decode(&bytes);
        }

        #[test]
        fn never_panics_on_mutations(which in 0..4usize, edits in crate::decode::testing::edits()) {
            let line = crate::decode::testing::mutate([HTTP, HTTPS, TCP, NO_BACKEND][which], edits);
            let _ = ClassicElbDecoder.decode(&line);
        }
    }
}

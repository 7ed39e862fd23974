//! Envoy's default text access-log format, one entry per line:
//! `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"
//! %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
//! %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
//! "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"`. Envoy writes `-` for every
//! value that is not set.
//!
//! `START_TIME` (`2016-04-15T20:17:00.310Z`, RFC 3339, any offset) is when the request
//! started; the event time is START_TIME + DURATION, when the response completed, so that
//! Envoy lines line up with ALB and nginx, which log completion times (START_TIME alone when
//! DURATION is `-`). The latency is `DURATION` (ms, the whole request from its first byte to
//! the last byte out) in µs, unknown for `-`. `RESPONSE_CODE` is the status; `0` means Envoy
//! never started a response (the downstream client went away first): it is kept as status 0,
//! which no SLO counts as a server error, with an unknown latency, so such a request is in
//! availability totals as good and left out of latency SLIs (as for nginx 499 / ALB 460).
//! Method and path (query string dropped) come from the quoted request; `"- - -"` gives empty
//! ones. The host is `:authority` without its port, the backend is `UPSTREAM_HOST` as written
//! (`10.0.0.7:8080`; the default format has no cluster name), the request id is `x-request-id`;
//! each is empty for `-`. These last three are read from the end of the line, so a user agent
//! with quotes in it (Envoy does not escape them) cannot shift them; unquoted fields appended
//! after `UPSTREAM_HOST` are ignored. The byte counts and the upstream service time must be
//! numbers or `-`, so a line of another layout (Istio's default, with more fields after the
//! response flags) is `missing_fields`, never a misread: configure `spec.decode.envoy` for
//! it. Response flags, the forwarded-for list and the user agent are read past but not
//! checked. The default format logs no downstream address, so the client is empty: the
//! `X-Forwarded-For` list is what clients and proxies claim, not an address Envoy saw, and
//! is never taken for one (a compiled format with `%DOWNSTREAM_REMOTE_ADDRESS%` reads the
//! client). No line is long-lived.

use super::fields::{self, Fields};
use super::{DecodeError, Decoder, Event, timestamp};

/// Decoder for Envoy default-format access-log lines (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct EnvoyDecoder;

impl Decoder for EnvoyDecoder {
    fn decode<'a>(&self, line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        let line = fields::trim_line(line)?;
        let Some((b"", after_bracket)) = fields::split_once(line, b'[') else {
            return Err(DecodeError::BadTime);
        };
        let (start, rest) = fields::split_once(after_bracket, b']').ok_or(DecodeError::BadTime)?;
        let mut f = Fields::new(rest);
        let request = f.required()?;
        let code = f.required()?;
        let _flags = f.required()?;
        // The byte counts and the service time are numbers (or `-`): a line with other
        // fields in their place (Istio's, whose response code details follow the flags) is
        // not this format, and its DURATION would be another column.
        let [received, sent] = [f.required()?, f.required()?];
        let duration = f.required()?;
        let service_time = f.required()?;
        if ![received, sent, service_time]
            .iter()
            .all(|v| is_number_or_dash(v))
        {
            return Err(DecodeError::MissingFields);
        }
        // Read the last three quoted fields from the end, so that a user agent with quotes in
        // it (Envoy does not escape them) cannot shift them.
        let tail = f.rest();
        let tail = tail
            .get(
                ..tail
                    .iter()
                    .rposition(|&b| b == b'"')
                    .ok_or(DecodeError::MissingFields)?
                    + 1,
            )
            .unwrap_or_default();
        let (tail, upstream) = last_quoted(tail)?;
        let (tail, authority) = last_quoted(tail)?;
        let (forwarded_agent, request_id) = last_quoted(tail)?;
        if forwarded_agent.is_empty() {
            return Err(DecodeError::MissingFields);
        }
        let (request_id, authority, upstream) = (
            dash_empty(request_id),
            dash_empty(authority),
            dash_empty(upstream),
        );

        let start_us = timestamp::rfc3339(start).ok_or(DecodeError::BadTime)?;
        let status = parse_code(code)?;
        let duration_us = match duration {
            b"-" => None,
            ms => Some(
                timestamp::decimal_us(ms, timestamp::Unit::Millis)
                    .ok_or(DecodeError::BadLatency)?,
            ),
        };
        let time_us = start_us
            .checked_add(duration_us.unwrap_or(0))
            .ok_or(DecodeError::BadTime)?;
        let (method, path) = match fields::split_request(request) {
            Some(r) if r.method != b"-" => (r.method, fields::split_target(r.target).1),
            _ => (&[][..], &[][..]),
        };
        Ok(Event {
            time_us,
            status,
            latency_us: if status == 0 { None } else { duration_us },
            method,
            host: fields::host_of(authority),
            path,
            backend: upstream,
            long_lived: false,
            request_id,
            client: &[],
        })
    }
}

/// Digits, or Envoy's `-` (not set).
fn is_number_or_dash(value: &[u8]) -> bool {
    value == b"-" || (!value.is_empty() && value.iter().all(u8::is_ascii_digit))
}

/// Splits `text`, which ends with a quoted field holding no quote, into the text before that
/// field (trailing spaces removed) and the field without its quotes.
fn last_quoted(text: &[u8]) -> Result<(&[u8], &[u8]), DecodeError> {
    let [before @ .., b'"'] = text else {
        return Err(DecodeError::MissingFields);
    };
    let open = before
        .iter()
        .rposition(|&b| b == b'"')
        .ok_or(DecodeError::MissingFields)?;
    let (rest, quote_and_field) = before.split_at_checked(open).unwrap_or_default();
    if !matches!(rest.last(), None | Some(b' ')) {
        return Err(DecodeError::MissingFields);
    }
    Ok((
        rest.trim_ascii_end(),
        quote_and_field.get(1..).unwrap_or_default(),
    ))
}

/// `RESPONSE_CODE`: `0` (no response was sent) or a status in `100..=599`.
pub(crate) fn parse_code(code: &[u8]) -> Result<u16, DecodeError> {
    match code {
        b"0" => Ok(0),
        code => fields::parse_status(code),
    }
}

/// Empty for Envoy's `-` (not set).
pub(crate) fn dash_empty(field: &[u8]) -> &[u8] {
    if field == b"-" { &[] } else { field }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time;
    use proptest::prelude::*;

    // Envoy's documented example entry.
    const DOC: &str = r#"[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80""#;
    const GONE: &str = r#"[2026-11-21T10:00:00.000Z] "GET /v1/stream?cursor=9 HTTP/1.1" 0 DC 0 0 1503 - "203.0.113.7" "curl/8.5.0" "5f1c2b8e-0d9a-4c55-9d55-1f0e2c3b4a59" "api.example.com:8443" "10.0.1.12:8080""#;
    const NO_UPSTREAM: &str = r#"[2026-11-21T10:00:01.250Z] "GET /healthz HTTP/1.1" 503 UH 0 19 0 - "-" "kube-probe/1.29" "-" "[2001:db8::1]:443" "-""#;
    const QUOTED_AGENT: &str = r#"[2026-11-21T12:00:00.005+02:00] "PUT /api/v1/cart/items/42 HTTP/2" 200 - 512 48 37 35 "198.51.100.4, 10.0.0.1" "Mozilla/5.0 "quoted" (X11; Linux x86_64)" "a1b2c3" "Checkout.Example.com" "10.0.2.31:8080""#;
    const BAD_REQUEST: &str =
        r#"[2026-11-21T10:00:02.000Z] "- - -" 400 DPE 0 11 0 - "-" "-" "-" "-" "-""#;

    fn decode(line: &str) -> Result<Event<'_>, DecodeError> {
        EnvoyDecoder.decode(line.as_bytes())
    }

    fn utc(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, us: u32) -> i64 {
        time::epoch_us(y, mo, d, h, mi, s, us).unwrap()
    }

    #[test]
    fn documented_entry_ends_at_start_plus_duration() {
        assert_eq!(
            decode(DOC).unwrap(),
            Event {
                time_us: utc(2016, 4, 15, 20, 17, 0, 536_000),
                status: 204,
                latency_us: Some(226_000),
                method: b"POST",
                host: b"locations",
                path: b"/api/v1/locations",
                backend: b"tcp://10.0.2.1:80",
                long_lived: false,
                request_id: b"cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2",
                client: &[],
            }
        );
    }

    #[test]
    fn status_zero_has_unknown_latency() {
        assert_eq!(
            decode(GONE).unwrap(),
            Event {
                time_us: utc(2026, 11, 21, 10, 0, 1, 503_000),
                status: 0,
                latency_us: None,
                method: b"GET",
                host: b"api.example.com",
                path: b"/v1/stream",
                backend: b"10.0.1.12:8080",
                long_lived: false,
                request_id: b"5f1c2b8e-0d9a-4c55-9d55-1f0e2c3b4a59",
                client: &[],
            }
        );
    }

    #[test]
    fn unset_values_offsets_quotes_and_ipv6() {
        let e = decode(NO_UPSTREAM).unwrap();
        assert_eq!(
            (e.status, e.latency_us, e.host, e.backend, e.request_id),
            (503, Some(0), &b"[2001:db8::1]"[..], &b""[..], &b""[..])
        );
        assert_eq!(e.time_us, utc(2026, 11, 21, 10, 0, 1, 250_000));
        let e = decode(QUOTED_AGENT).unwrap();
        assert_eq!(
            e,
            Event {
                time_us: utc(2026, 11, 21, 10, 0, 0, 42_000),
                status: 200,
                latency_us: Some(37_000),
                method: b"PUT",
                host: b"Checkout.Example.com",
                path: b"/api/v1/cart/items/42",
                backend: b"10.0.2.31:8080",
                long_lived: false,
                request_id: b"a1b2c3",
                client: &[],
            }
        );
        let e = decode(BAD_REQUEST).unwrap();
        assert_eq!(
            (e.status, e.method, e.path, e.host, e.backend),
            (400, &b""[..], &b""[..], &b""[..], &b""[..])
        );
        let no_duration = DOC.replacen(" 226 100 ", " - - ", 1);
        let e = decode(&no_duration).unwrap();
        assert_eq!(
            (e.time_us, e.latency_us),
            (utc(2016, 4, 15, 20, 17, 0, 310_000), None)
        );
        let longer =
            format!("{DOC} outbound|80||locations.default.svc.cluster.local 10.0.0.5:4312");
        assert_eq!(decode(&longer), decode(DOC));
        assert_eq!(decode(&format!("{DOC}\r\n")), decode(DOC));
        assert_eq!(fields::host_of(b"a.example.com"), b"a.example.com");
        assert_eq!(fields::host_of(b"[::1"), b"[::1");
    }

    #[test]
    fn every_error_reason() {
        assert_eq!(decode(""), Err(DecodeError::Empty));
        assert_eq!(
            decode("2016-04-15T20:17:00.310Z GET"),
            Err(DecodeError::BadTime)
        );
        assert_eq!(
            decode("[2016-04-15T20:17:00.310Z"),
            Err(DecodeError::BadTime)
        );
        let cut = DOC.split(" \"locations\"").next().unwrap();
        assert_eq!(decode(cut), Err(DecodeError::MissingFields));
        let cut = DOC.split(" 100 ").next().unwrap();
        assert_eq!(decode(cut), Err(DecodeError::MissingFields));
        let glued = DOC.replace(r#"" "tcp"#, r#"""tcp"#);
        assert_eq!(decode(&glued), Err(DecodeError::MissingFields));
        let open = DOC.trim_end_matches('"');
        assert_eq!(decode(open), Err(DecodeError::MissingFields));
        assert_eq!(
            decode(r#"[2016-04-15T20:17:00.310Z] "POST /api/v1/locations"#),
            Err(DecodeError::UnterminatedQuote)
        );
        for time in ["2016-04-15 20:17:00", "-", "2016-04-15T20:17:00.310"] {
            let line = DOC.replacen("2016-04-15T20:17:00.310Z", time, 1);
            assert_eq!(decode(&line), Err(DecodeError::BadTime), "{time}");
        }
        for code in ["-", "00", "600", "2x4"] {
            let line = DOC.replacen(" 204 ", &format!(" {code} "), 1);
            assert_eq!(decode(&line), Err(DecodeError::BadStatus), "{code}");
        }
        for duration in ["-1", "1e3", "abc"] {
            let line = DOC.replacen(" 226 ", &format!(" {duration} "), 1);
            assert_eq!(decode(&line), Err(DecodeError::BadLatency), "{duration}");
        }
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = EnvoyDecoder.decode(&bytes);
        }

        #[test]
        fn never_panics_on_mutations(which in 0..5usize, edits in crate::decode::testing::edits()) {
            let line = crate::decode::testing::mutate([DOC, GONE, NO_UPSTREAM, QUOTED_AGENT, BAD_REQUEST][which], edits);
            let _ = EnvoyDecoder.decode(&line);
        }

        #[test]
        fn event_time_is_start_plus_duration(ms in 0..100_000_000i64) {
            let line = DOC.replacen(" 226 ", &format!(" {ms} "), 1);
            let e = decode(&line).unwrap();
            prop_assert_eq!(e.time_us, utc(2016, 4, 15, 20, 17, 0, 310_000) + ms * 1000);
            prop_assert_eq!(e.latency_us, Some(ms * 1000));
        }
    }
}

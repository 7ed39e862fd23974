use super::*;
use crate::time;
use proptest::prelude::*;

const COMBINED: &str = r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#;
const TIMED: &str = r#"203.0.113.7 - - [21/Nov/2026:10:00:00 +0000] "POST /api/v1/orders?id=7 HTTP/1.1" 201 512 "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36" 0.012 0.010"#;
const UPSTREAMS: &str = r#"2001:db8::1 - - [21/Nov/2026:10:00:00 +0530] "GET /search?q=a+b HTTP/2.0" 502 157 "https://shop.example.com/" "curl/8.5.0" 1.503 0.500, 1.000 : 0.003"#;
const TLS_GARBAGE: &str = r#"198.51.100.9 - - [21/Nov/2026:10:00:00 +0000] "\x16\x03\x01\x00\xF1\x01\x00\x00\xED\x03\x03" 400 157 "-" "-" 0.001 -"#;

fn decode(line: &str) -> Result<Event<'_>, DecodeError> {
    NginxDecoder.decode(line.as_bytes())
}

fn utc(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
    time::epoch_us(y, mo, d, h, mi, s, 0).unwrap()
}

#[test]
fn plain_combined_with_negative_offset() {
    let e = decode(COMBINED).unwrap();
    assert_eq!(
        e,
        Event {
            time_us: utc(2000, 10, 10, 20, 55, 36),
            status: 200,
            latency_us: None,
            method: b"GET",
            host: b"",
            path: b"/apache_pb.gif",
            backend: b"",
            long_lived: false,
            request_id: b"",
            client: b"127.0.0.1",
        }
    );
}

#[test]
fn timing_suffix() {
    let e = decode(TIMED).unwrap();
    assert_eq!((e.time_us, e.status), (utc(2026, 11, 21, 10, 0, 0), 201));
    assert_eq!(
        (e.method, e.path, e.latency_us),
        (&b"POST"[..], &b"/api/v1/orders"[..], Some(12_000))
    );
    let e = decode(UPSTREAMS).unwrap();
    assert_eq!(
        (e.time_us, e.latency_us),
        (utc(2026, 11, 21, 4, 30, 0), Some(1_503_000))
    );
    assert_eq!(e.path, b"/search");
    let dash = TIMED.replace(" 0.012 0.010", " - -");
    assert_eq!(decode(&dash).unwrap().latency_us, None);
    let only_request_time = TIMED.replace(" 0.012 0.010", " 0.001");
    assert_eq!(decode(&only_request_time).unwrap().latency_us, Some(1_000));
    let extra = format!(r#"{TIMED} "10.1.2.3, 10.0.0.1" trailing junk"#);
    assert_eq!(decode(&extra), decode(TIMED));
    assert_eq!(decode(&format!("{TIMED}\r")), decode(TIMED));
}

#[test]
fn main_and_other_quoted_extensions_carry_no_timing() {
    // nginx.org's and the Docker image's `main`: proxied or not, the same event.
    for xff in [
        "-",
        "203.0.113.195",
        "203.0.113.195, 70.41.3.18, 150.172.238.178",
    ] {
        let line = format!(r#"{COMBINED} "{xff}""#);
        let e = decode(&line).unwrap();
        assert_eq!(e, decode(COMBINED).unwrap(), "{xff}");
    }
    // A quoted `$gzip_ratio` is not 2,750 ms.
    let gzip = format!(r#"{COMBINED} "2.75""#);
    assert_eq!(decode(&gzip).unwrap().latency_us, None);
}

#[test]
fn timings_must_be_written_as_nginx_writes_them() {
    // ingress-nginx's `$request_length $request_time …`: 462 is not 462 s.
    let ingress = COMBINED.to_string()
        + " 462 0.050 [default-api-80] [] 10.0.0.7:8080 120 0.049 200 5b9e3f1d";
    assert_eq!(decode(&ingress), Err(DecodeError::BadLatency));
    for request_time in ["1", "0.05", "0.0500", "1e3"] {
        let line = TIMED.replace(" 0.012 ", &format!(" {request_time} "));
        assert_eq!(
            decode(&line),
            Err(DecodeError::BadLatency),
            "{request_time}"
        );
    }
    for upstream in ["abc", "0.01", "0.010,0.020", "0.010, x"] {
        let line = TIMED.replace(" 0.010", &format!(" {upstream}"));
        assert_eq!(decode(&line), Err(DecodeError::BadLatency), "{upstream}");
    }
    let several = TIMED.replace(" 0.010", " 0.004, - : 0.002 extra");
    assert_eq!(decode(&several).unwrap().latency_us, Some(12_000));
}

#[test]
fn garbage_requests_are_not_errors() {
    let e = decode(TLS_GARBAGE).unwrap();
    assert_eq!(
        (e.status, e.method, e.path, e.latency_us),
        (400, &b""[..], &b""[..], Some(1_000))
    );
    for request in [r#""-""#, r#""""#, r#""get / HTTP/1.1""#, r#""- - -""#] {
        let line = TIMED.replace(r#""POST /api/v1/orders?id=7 HTTP/1.1""#, request);
        let e = decode(&line).unwrap();
        assert_eq!((e.method, e.path), (&b""[..], &b""[..]), "{request}");
    }
    let http09 = TIMED.replace(" HTTP/1.1\"", "\"");
    assert_eq!(decode(&http09).unwrap().path, b"/api/v1/orders");
    let proxy = TIMED.replace(" /api/", " http://backend:8080/api/");
    let e = decode(&proxy).unwrap();
    assert_eq!((e.host, e.path), (&b""[..], &b"/api/v1/orders"[..]));
}

#[test]
fn connect_has_no_path() {
    let tunnel = TIMED.replace("POST /api/v1/orders?id=7", "CONNECT api.example.com:443");
    let e = decode(&tunnel).unwrap();
    assert_eq!(
        (e.method, e.host, e.path),
        (&b"CONNECT"[..], &b""[..], &b""[..])
    );
}

#[test]
fn remote_user_with_spaces() {
    let line = COMBINED.replace("frank", "frank the tank");
    assert_eq!(decode(&line), decode(COMBINED));
}

#[test]
fn offsets() {
    let at = |off: &str| decode(&TIMED.replace("+0000", off)).map(|e| e.time_us);
    let base = utc(2026, 11, 21, 10, 0, 0);
    assert_eq!(at("-0700"), Ok(base + 7 * time::HOUR));
    assert_eq!(at("+0545"), Ok(base - 5 * time::HOUR - 45 * time::MINUTE));
    assert_eq!(at("-0000"), Ok(base));
    for bad in ["0000", "+2400", "+0060", "+00", "+000a"] {
        assert_eq!(at(bad), Err(DecodeError::BadTime), "{bad}");
    }
}

#[test]
fn the_client_is_remote_addr_when_it_is_an_address() {
    assert_eq!(decode(COMBINED).unwrap().client, b"127.0.0.1");
    assert_eq!(decode(TIMED).unwrap().client, b"203.0.113.7");
    assert_eq!(decode(UPSTREAMS).unwrap().client, b"2001:db8::1");
    // nginx's UNIX socket, Apache's `%h` host name: no client, the line still decodes.
    for other in ["unix:", "client.example.com", "-"] {
        let line = TIMED.replacen("203.0.113.7", other, 1);
        let e = decode(&line).unwrap();
        assert_eq!((e.client, e.status), (&b""[..], 201), "{other}");
    }
}

#[test]
fn every_error_reason() {
    assert_eq!(decode(""), Err(DecodeError::Empty));
    assert_eq!(decode("   \r"), Err(DecodeError::Empty));
    assert_eq!(decode("127.0.0.1 - -"), Err(DecodeError::MissingFields));
    let cut = COMBINED.split(" 2326 ").next().unwrap();
    assert_eq!(decode(cut), Err(DecodeError::MissingFields));
    let open_request = COMBINED.split(" HTTP/1.0").next().unwrap();
    assert_eq!(decode(open_request), Err(DecodeError::UnterminatedQuote));
    let open_agent = COMBINED.trim_end_matches('"');
    assert_eq!(decode(open_agent), Err(DecodeError::UnterminatedQuote));
    for time in [
        "10/Foo/2000:13:55:36 -0700",
        "32/Oct/2000:13:55:36 -0700",
        "10/Oct/2000:13:55:36",
        "-",
    ] {
        let line = COMBINED.replace("10/Oct/2000:13:55:36 -0700", time);
        assert_eq!(decode(&line), Err(DecodeError::BadTime), "{time}");
    }
    assert_eq!(
        decode(&TIMED.replace("+0000]", "+0000")),
        Err(DecodeError::BadTime)
    );
    for status in ["-", "000", "2000", "OK"] {
        let line = COMBINED.replace(" 200 ", &format!(" {status} "));
        assert_eq!(decode(&line), Err(DecodeError::BadStatus), "{status}");
    }
    for request_time in ["abc", "-1", "0.0.1", "1,5"] {
        let line = TIMED.replace(" 0.012 ", &format!(" {request_time} "));
        assert_eq!(
            decode(&line),
            Err(DecodeError::BadLatency),
            "{request_time}"
        );
    }
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = NginxDecoder.decode(&bytes);
    }

    #[test]
    fn never_panics_on_field_like_text(text in r#"[a-zA-Z0-9 "\\\[\]./:+\-]{0,200}"#) {
        let _ = NginxDecoder.decode(text.as_bytes());
    }

    #[test]
    fn never_panics_on_mutations(which in 0..4usize, edits in crate::decode::testing::edits()) {
        let line = crate::decode::testing::mutate([COMBINED, TIMED, UPSTREAMS, TLS_GARBAGE][which], edits);
        let _ = NginxDecoder.decode(&line);
    }

    #[test]
    fn offsets_convert_to_utc(sign in prop::bool::ANY, h in 0..24u32, m in 0..60u32) {
        let off = format!("{}{h:02}{m:02}", if sign { '+' } else { '-' });
        let time_us = decode(&TIMED.replace("+0000", &off)).unwrap().time_us;
        let shift = i64::from(h) * time::HOUR + i64::from(m) * time::MINUTE;
        let want = utc(2026, 11, 21, 10, 0, 0) + if sign { -shift } else { shift };
        prop_assert_eq!(time_us, want);
    }
}

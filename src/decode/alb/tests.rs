use super::*;
use proptest::prelude::*;

const TG: &[u8] =
    b"arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067";
/// 2018-07-02T22:23:00.186641Z
const T0: i64 = 1_530_570_180_186_641;

// AWS's documented example entries (one line each).
const HTTP: &str = r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90"#;
const HTTPS: &str = r#"https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90"#;
const H2: &str = r#"h2 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.1.252:48160 10.0.0.66:9000 0.000 0.002 0.000 200 200 5 257 "GET https://10.0.2.105:773/ HTTP/2.0" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337327-72bd00b0343d75b906739c42" "-" "-" 1 2018-07-02T22:22:48.364000Z "redirect" "https://example.com:80/" "-" "10.0.0.66:9000" "200" "-" "-" TID_1234abcd5678ef90"#;
const WS: &str = r#"ws 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.0.140:40914 10.0.1.192:8010 0.001 0.003 0.000 101 101 218 587 "GET http://10.0.0.30:80/ HTTP/1.1" "-" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 1 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.1.192:8010" "101" "-" "-" TID_1234abcd5678ef90"#;
const LAMBDA_FAILED: &str = r#"http 2018-11-30T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 - 0.000 0.001 0.000 502 - 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 0 2018-11-30T22:22:48.364000Z "forward" "-" "LambdaInvalidResponse" "-" "-" "-" "-" TID_1234abcd5678ef90"#;

fn decode(line: &str) -> Result<Event<'_>, DecodeError> {
    AlbDecoder.decode(line.as_bytes())
}

/// A line with the given fields 6–10 and request, ending after field 13.
fn short(timings: &str, statuses: &str, request: &str) -> String {
    format!(
        "https 2018-07-02T22:23:00.186641Z app/lb/1 1.2.3.4:5 10.0.0.1:80 {timings} {statuses} 34 366 {request}"
    )
}

#[test]
fn documented_http_entry() {
    let e = decode(HTTP).unwrap();
    assert_eq!(
        e,
        Event {
            time_us: T0,
            status: 200,
            latency_us: Some(1_000),
            method: b"GET",
            host: b"www.example.com",
            path: b"/",
            backend: TG,
            long_lived: false,
            request_id: b"Root=1-58337262-36d228ad5d99923122bbe354",
            client: b"192.168.131.39",
        }
    );
}

#[test]
fn documented_https_h2_ws_entries() {
    let e = decode(HTTPS).unwrap();
    assert_eq!(
        (e.latency_us, e.host, e.backend),
        (Some(171_000), &b"www.example.com"[..], TG)
    );
    let e = decode(H2).unwrap();
    assert_eq!(
        (e.latency_us, e.host, e.path),
        (Some(2_000), &b"10.0.2.105"[..], &b"/"[..])
    );
    let e = decode(WS).unwrap();
    assert_eq!(
        (e.status, e.latency_us, e.long_lived),
        (101, Some(4_000), true)
    );
    let wss = WS.replacen("ws ", "wss ", 1);
    assert!(decode(&wss).unwrap().long_lived);
    let grpcs = HTTPS.replacen("https ", "grpcs ", 1);
    assert!(!decode(&grpcs).unwrap().long_lived);
    let e = decode(LAMBDA_FAILED).unwrap();
    assert_eq!(
        (e.time_us, e.status, e.latency_us),
        (1_543_616_580_186_641, 502, Some(1_000))
    );
}

#[test]
fn target_not_reached_has_unknown_latency() {
    for status in ["502", "504", "460"] {
        let line = short(
            "-1 -1 -1",
            &format!("{status} -"),
            r#""GET https://a.example.com:443/x HTTP/1.1""#,
        );
        let e = decode(&line).unwrap();
        assert_eq!(
            (e.status.to_string(), e.latency_us),
            (status.to_string(), None)
        );
    }
    let line = short(
        "0.001 -1 -1",
        "504 -",
        r#""GET https://a.example.com:443/ HTTP/1.1""#,
    );
    assert_eq!(decode(&line).unwrap().latency_us, None);
}

#[test]
fn latency_is_exact_microseconds() {
    let line = short(
        "0.001 0.008 0.001",
        "200 200",
        r#""GET https://a:443/ HTTP/1.1""#,
    );
    assert_eq!(decode(&line).unwrap().latency_us, Some(10_000));
    let line = short(
        "12.345 0.5 0",
        "200 200",
        r#""GET https://a:443/ HTTP/1.1""#,
    );
    assert_eq!(decode(&line).unwrap().latency_us, Some(12_845_000));
}

#[test]
fn line_ending_after_request_and_extra_fields() {
    let line = short(
        "0.000 0.001 0.000",
        "200 200",
        r#""POST https://Api.Example.com:8443/v1/orders?id=7 HTTP/1.1""#,
    );
    let e = decode(&line).unwrap();
    assert_eq!(
        (e.method, e.host, e.path),
        (&b"POST"[..], &b"Api.Example.com"[..], &b"/v1/orders"[..])
    );
    assert_eq!(e.backend, b"");
    let longer = format!(r#"{HTTP} "TID_x" new_field "quoted new field" 42"#);
    assert_eq!(decode(&longer), decode(HTTP));
    let crlf = format!("{HTTP}\r");
    assert_eq!(decode(&crlf), decode(HTTP));
    let no_arn = format!(r#"{line} "Mozilla/5.0 (X11; Linux)" - - -"#);
    assert_eq!(decode(&no_arn).unwrap().backend, b"");
}

#[test]
fn quoted_user_agents() {
    let ua = r#""Mozilla/5.0 (Windows NT 10.0; Win64; x64) \"quoted\" AppleWebKit/537.36" - -"#;
    let line = format!(
        r#"{} {ua} {}"#,
        short("0 0 0", "200 200", r#""GET https://a:443/ HTTP/1.1""#),
        "tg-arn"
    );
    assert_eq!(decode(&line).unwrap().backend, b"tg-arn");
    let inner = r#""a "quoted"word" - - tg-arn"#;
    let line = format!(
        "{} {inner}",
        short("0 0 0", "200 200", r#""GET https://a:443/ HTTP/1.1""#)
    );
    assert_eq!(decode(&line).unwrap().backend, b"tg-arn");
}

#[test]
fn malformed_request_is_not_an_error() {
    let line = short("-1 -1 -1", "400 -", r#""- - - ""#);
    let e = decode(&line).unwrap();
    assert_eq!(
        (e.method, e.host, e.path, e.status),
        (&b""[..], &b""[..], &b""[..], 400)
    );
}

#[test]
fn times_with_short_or_no_fraction() {
    let with = |t: &str| HTTP.replacen("2018-07-02T22:23:00.186641Z", t, 1);
    let at = |t: &str| decode(&with(t)).map(|e| e.time_us);
    let whole = T0 - 186_641;
    assert_eq!(at("2018-07-02T22:23:00Z"), Ok(whole));
    assert_eq!(at("2018-07-02T22:23:00.5Z"), Ok(whole + 500_000));
    assert_eq!(at("2018-07-02T22:23:00.186Z"), Ok(whole + 186_000));
    assert_eq!(at("2018-07-02T22:23:00.186641999Z"), Ok(T0));
    for bad in [
        "2018-07-02T22:23:00",
        "2018-07-02T22:23:00.Z",
        "2018-13-02T22:23:00Z",
        "2018-07-02 22:23:00Z",
        "2018-07-02T22:23:00.1x2Z",
        "-",
    ] {
        assert_eq!(at(bad), Err(DecodeError::BadTime), "{bad}");
    }
}

#[test]
fn every_error_reason() {
    let req = r#""GET https://a:443/ HTTP/1.1""#;
    assert_eq!(decode(""), Err(DecodeError::Empty));
    assert_eq!(decode(" \t "), Err(DecodeError::Empty));
    assert_eq!(
        decode("http 2018-07-02T22:23:00Z app/lb/1"),
        Err(DecodeError::MissingFields)
    );
    let twelve = short("0 0 0", "200 200", "");
    assert_eq!(decode(&twelve), Err(DecodeError::MissingFields));
    let open = short("0 0 0", "200 200", r#""GET https://a:443/ HTTP/1.1"#);
    assert_eq!(decode(&open), Err(DecodeError::UnterminatedQuote));
    let open_ua = format!("{} \"curl/7.46.0 - - tg", short("0 0 0", "200 200", req));
    assert_eq!(decode(&open_ua), Err(DecodeError::UnterminatedQuote));
    assert_eq!(
        decode(&HTTP.replacen("2018-07-02T22", "2018-07-02X22", 1)),
        Err(DecodeError::BadTime)
    );
    for status in ["- 200", "600 -", "20 200", "abc 200"] {
        assert_eq!(
            decode(&short("0 0 0", status, req)),
            Err(DecodeError::BadStatus),
            "{status}"
        );
    }
    for timings in ["- 0 0", "0 0 x", "-2 0 0", "0 -1.5 0", "1e3 0 0"] {
        assert_eq!(
            decode(&short(timings, "200 200", req)),
            Err(DecodeError::BadLatency),
            "{timings}"
        );
    }
    for request in [r#""GET /""#, r#""-""#, r#""""#, "GET"] {
        assert_eq!(
            decode(&short("0 0 0", "200 200", request)),
            Err(DecodeError::BadRequest),
            "{request}"
        );
    }
}

#[test]
fn the_client_is_field_4_without_its_port() {
    let req = r#""GET https://a:443/ HTTP/1.1""#;
    let with = |client: &str| short("0 0 0", "200 200", req).replacen("1.2.3.4:5", client, 1);
    for (field, want) in [
        ("1.2.3.4:5", &b"1.2.3.4"[..]),
        (
            "2001:db8:85a3::8a2e:370:7334:52341",
            b"2001:db8:85a3::8a2e:370:7334",
        ),
        ("2001:db8::1:443", b"2001:db8::1"),
        ("[2001:db8::1]:443", b"2001:db8::1"),
        ("-", b""),
    ] {
        assert_eq!(decode(&with(field)).map(|e| e.client), Ok(want), "{field}");
    }
    for field in [
        "1.2.3.4",
        "client:5",
        "1.2.3.4:port",
        "1.2.3.999:5",
        "[::1]",
    ] {
        assert_eq!(
            decode(&with(field)).map(|e| e.client),
            Ok(&b""[..]),
            "{field}"
        );
    }
    assert_eq!(decode(WS).unwrap().client, b"10.0.0.140");
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = AlbDecoder.decode(&bytes);
    }

    #[test]
    fn never_panics_on_field_like_text(text in r#"[a-z0-9 "\\.:/\-]{0,300}"#) {
        let _ = AlbDecoder.decode(text.as_bytes());
    }

    #[test]
    fn never_panics_on_mutations(which in 0..5usize, edits in crate::decode::testing::edits()) {
        let line = crate::decode::testing::mutate([HTTP, HTTPS, H2, WS, LAMBDA_FAILED][which], edits);
        let _ = AlbDecoder.decode(&line);
    }

    #[test]
    fn latency_sums_exactly(a in 0..100_000u32, b in 0..100_000u32, c in 0..100_000u32) {
        let s = |ms: u32| format!("{}.{:03}", ms / 1000, ms % 1000);
        let line = short(&format!("{} {} {}", s(a), s(b), s(c)), "200 200", r#""GET https://a:443/ HTTP/1.1""#);
        let want = (i64::from(a) + i64::from(b) + i64::from(c)) * 1000;
        prop_assert_eq!(decode(&line).unwrap().latency_us, Some(want));
    }
}

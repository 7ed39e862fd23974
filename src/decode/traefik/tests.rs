use super::*;
use crate::time;
use proptest::prelude::*;

// Lines written from Traefik's documentation of its two formats.
const COMMON: &str = r#"192.168.2.1 - - [21/Nov/2026:11:00:00 +0100] "GET /api/v1/cart?session=8f3a HTTP/2.0" 200 2326 "https://shop.example.com/" "Mozilla/5.0 (X11; Linux x86_64) \"quoted\"" 42 "websecure-cart@docker" "http://172.18.0.3:80" 37ms"#;
const COMMON_502: &str = r#"10.0.0.7 - alice [21/Nov/2026:10:00:01 +0000] "POST /api/v1/orders HTTP/1.1" 502 11 "-" "okhttp/4.12.0" 43 "websecure-orders@kubernetescrd" "http://10.244.1.9:8080" 1503ms"#;
const JSON: &str = r#"{"ClientAddr":"192.168.1.5:52360","ClientHost":"192.168.1.5","ClientUsername":"-","DownstreamContentSize":19,"DownstreamStatus":200,"Duration":1514532,"OriginContentSize":19,"OriginDuration":1254208,"OriginStatus":200,"Overhead":260324,"RequestAddr":"whoami.example.com:443","RequestContentSize":0,"RequestCount":12,"RequestHost":"whoami.example.com","RequestMethod":"GET","RequestPath":"/api?x=1","RequestProtocol":"HTTP/2.0","RequestScheme":"https","RetryAttempts":0,"RouterName":"websecure-whoami@docker","ServiceAddr":"172.18.0.3:80","ServiceName":"whoami@docker","ServiceURL":"http://172.18.0.3:80","StartLocal":"2026-11-21T11:00:00.123456789+01:00","StartUTC":"2026-11-21T10:00:00.123456789Z","entryPointName":"websecure","level":"info","msg":"","request_X-Request-Id":"5f1c2b8e","time":"2026-11-21T10:00:00Z"}"#;

fn decode(line: &str) -> Result<Event<'_>, DecodeError> {
    TraefikDecoder::new().decode(line.as_bytes())
}

fn utc(h: u32, mi: u32, s: u32, us: u32) -> i64 {
    time::epoch_us(2026, 11, 21, h, mi, s, us).unwrap()
}

#[test]
fn the_common_format() {
    assert_eq!(
        decode(COMMON),
        Ok(Event {
            time_us: utc(10, 0, 0, 37_000),
            status: 200,
            latency_us: Some(37_000),
            method: b"GET",
            host: b"",
            path: b"/api/v1/cart",
            backend: b"websecure-cart@docker",
            long_lived: false,
            request_id: b"",
            client: b"192.168.2.1",
        })
    );
    let e = decode(COMMON_502).unwrap();
    assert_eq!(
        (e.time_us, e.status, e.latency_us, e.backend),
        (
            utc(10, 0, 2, 503_000),
            502,
            Some(1_503_000),
            &b"websecure-orders@kubernetescrd"[..]
        )
    );
}

#[test]
fn json_lines() {
    let e = decode(JSON).unwrap();
    assert_eq!(
        e,
        Event {
            time_us: utc(10, 0, 0, 123_456) + 1_514,
            status: 200,
            latency_us: Some(1_514),
            method: b"GET",
            host: b"whoami.example.com",
            path: b"/api",
            backend: b"websecure-whoami@docker",
            long_lived: false,
            request_id: b"5f1c2b8e",
            client: b"192.168.1.5",
        }
    );
    let gone = JSON.replace(r#""DownstreamStatus":200"#, r#""DownstreamStatus":0"#);
    assert_eq!(decode(&gone).unwrap().latency_us, None);
    let no_duration = JSON.replace(r#""Duration":1514532,"#, "");
    assert_eq!(decode(&no_duration).unwrap().latency_us, None);
    assert_eq!(
        decode(&JSON.replace(r#""StartUTC""#, r#""Start""#)),
        Err(DecodeError::MissingFields)
    );
    assert_eq!(
        decode(&JSON.replace("1514532", "\"1.5ms\"")),
        Err(DecodeError::BadLatency)
    );
    // ClientHost, else ClientAddr without its port; neither: no client.
    let addr_only = JSON.replace(r#""ClientHost":"192.168.1.5","#, "");
    assert_eq!(decode(&addr_only).unwrap().client, b"192.168.1.5");
    let v6 = addr_only.replace("192.168.1.5:52360", "[2001:db8::5]:52360");
    assert_eq!(decode(&v6).unwrap().client, b"2001:db8::5");
    let neither = addr_only.replace(r#""ClientAddr":"192.168.1.5:52360","#, "");
    assert_eq!(decode(&neither).unwrap().client, b"");
    // Not an address: no client (the line still decodes).
    let named = JSON.replace(r#""ClientHost":"192.168.1.5""#, r#""ClientHost":"laptop""#);
    assert_eq!(decode(&named).unwrap().client, b"");
}

#[test]
fn lines_that_do_not_fit_say_where() {
    let d = TraefikDecoder::new();
    let cases = [
        (COMMON.replace(" 37ms", " 37"), DecodeError::MissingFields, "after <duration>"),
        (COMMON.replace(" 37ms", " -ms"), DecodeError::MissingFields, "at <duration>"),
        (COMMON.replace(" 2326 ", " big "), DecodeError::MissingFields, "at <size>"),
        (COMMON.replace("+0100", "CET"), DecodeError::BadTime, "at <start>"),
        (format!("{COMMON} extra"), DecodeError::MissingFields, "after the format's last field"),
        // An nginx combined line is not Traefik's.
        (
            r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 200 2326 "-" "curl""#.to_string(),
            DecodeError::MissingFields,
            "",
        ),
    ];
    for (line, error, at) in cases {
        assert_eq!(d.decode(line.as_bytes()), Err(error), "{line}");
        let why = d.why(line.as_bytes(), &Default::default()).unwrap();
        assert!(why.contains(at), "{why}");
    }
    assert_eq!(d.why(COMMON.as_bytes(), &Default::default()), None);
}

proptest! {
    #[test]
    fn common_lines_decode_to_what_built_them(
        start_s in 1_000_000_000i64..4_000_000_000,
        offset_min in -(12 * 60)..=(14 * 60i64),
        status in prop_oneof![Just(0u16), 100..=599u16],
        duration_ms in 0..10_000_000i64,
        path in "/[a-z0-9/._-]{0,20}",
        agent in r#"[ -!#-\[\]-~]{0,30}"#,
        router in "[a-z0-9@][a-z0-9@-]{0,19}",
        (client, _) in crate::decode::testing::client(),
    ) {
        let local = start_s + offset_min * 60;
        let (y, mo, d) = time::civil_from_days(local.div_euclid(86_400));
        let sod = local.rem_euclid(86_400);
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let sign = if offset_min < 0 { '-' } else { '+' };
        let line = format!(
            r#"{client} - - [{d:02}/{}/{y:04}:{:02}:{:02}:{:02} {sign}{:02}{:02}] "GET {path} HTTP/1.1" {status} 0 "-" "{agent}" 1 "{router}" "http://10.0.0.2:80" {duration_ms}ms"#,
            MONTHS[mo as usize - 1], sod / 3600, sod % 3600 / 60, sod % 60,
            offset_min.abs() / 60, offset_min.abs() % 60,
        );
        let e = decode(&line);
        prop_assert!(e.is_ok(), "{line}: {e:?}");
        let e = e.unwrap();
        prop_assert_eq!(e.time_us, start_s * time::SECOND + duration_ms * 1000);
        prop_assert_eq!(e.status, status);
        prop_assert_eq!(e.latency_us, (status != 0).then_some(duration_ms * 1000));
        prop_assert_eq!(e.path, path.as_bytes());
        prop_assert_eq!(e.backend, router.as_bytes());
        prop_assert_eq!(e.client, client.as_bytes());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let d = TraefikDecoder::new();
        let decoded = d.decode(&bytes);
        if bytes.trim_ascii().first() != Some(&b'{') && !bytes.trim_ascii().is_empty() {
            prop_assert_eq!(decoded.is_err(), d.why(&bytes, &Default::default()).is_some());
        }
    }

    #[test]
    fn edited_lines_never_panic(which in 0..3usize, edits in crate::decode::testing::edits()) {
        let line = crate::decode::testing::mutate([COMMON, COMMON_502, JSON][which], edits);
        let _ = TraefikDecoder::new().decode(&line);
    }
}

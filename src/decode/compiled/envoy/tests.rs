use super::*;
use crate::decode::Decoder;
use crate::decode::compiled::Item;
use crate::time;
use proptest::prelude::*;

fn preset(name: &str) -> AccessLogFormat {
    AccessLogFormat::preset(name).unwrap().unwrap()
}

fn at(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> i64 {
    time::epoch_us(y, mo, d, h, mi, s, ms * 1000).unwrap()
}

// Lines written from Envoy's and Istio's documentation, as the proxies write them.
const ENVOY_DOC: &str = r#"[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80""#;
const ISTIO_OK: &str = r#"[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 4 4 "-" "curl/7.73.0-DEV" "84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" "10.44.1.27:80" outbound|8000||httpbin.foo.svc.cluster.local 10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:46520 - default"#;
const ISTIO_UH: &str = r#"[2026-11-21T10:00:00.250Z] "POST /api/v1/orders?id=7 HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-" "okhttp/4.12.0" "0b6f0a55-8d1c-4a7e-a1f4-0f2b7c9d3e11" "orders.shop:8080" "-" outbound|8080||orders.shop.svc.cluster.local - 10.96.12.7:8080 10.244.0.5:40000 - default"#;
const ISTIO_UF: &str = r#"[2026-11-21T10:00:01.000Z] "GET /api/v1/cart HTTP/2" 503 UF upstream_reset_before_response_started{connection_failure} - "delayed connect error: 111" 0 91 11 - "203.0.113.7, 10.244.0.1" "Mozilla/5.0 (X11; Linux x86_64) \"quoted\" \" \"" "5f1c2b8e-0d9a-4c55-9d55-1f0e2c3b4a59" "cart.shop:8080" "10.244.1.9:8080" outbound|8080||cart.shop.svc.cluster.local - 10.96.3.4:8080 10.244.0.5:40002 - default"#;

#[test]
fn envoys_default_format_reads_its_documented_line() {
    let e = preset("envoy").read(ENVOY_DOC.as_bytes()).unwrap();
    assert_eq!(
        e,
        Event {
            time_us: at(2016, 4, 15, 20, 17, 0, 310) + 226_000,
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
    // The fixed decoder reads the same line the same way.
    assert_eq!(
        crate::decode::envoy::EnvoyDecoder.decode(ENVOY_DOC.as_bytes()),
        Ok(e)
    );
}

#[test]
fn istio_success_and_failures() {
    let f = preset("istio");
    let e = f.read(ISTIO_OK.as_bytes()).unwrap();
    assert_eq!(
        (e.time_us, e.status, e.latency_us, e.method, e.path, e.host),
        (
            at(2020, 11, 25, 21, 26, 18, 409) + 4_000,
            418,
            Some(4_000),
            &b"GET"[..],
            &b"/status/418"[..],
            &b"httpbin"[..]
        )
    );
    assert_eq!(e.backend, b"outbound|8000||httpbin.foo.svc.cluster.local");
    assert_eq!(e.request_id, b"84961386-6d84-929d-98bd-c5aee93b5c88");
    // %DOWNSTREAM_REMOTE_ADDRESS% (the calling pod), its port dropped.
    assert_eq!(e.client, b"10.44.1.23");
    // No healthy upstream: a 503 that took no time, no upstream host.
    let e = f.read(ISTIO_UH.as_bytes()).unwrap();
    assert_eq!(
        (e.status, e.latency_us, e.path, e.backend),
        (
            503,
            Some(0),
            &b"/api/v1/orders"[..],
            &b"outbound|8080||orders.shop.svc.cluster.local"[..]
        )
    );
    // Upstream connection failure, a failure reason with spaces and a user agent with
    // quotes (Envoy escapes nothing): the fields after it stay in place.
    let e = f.read(ISTIO_UF.as_bytes()).unwrap();
    assert_eq!(
        (e.status, e.latency_us, e.host, e.request_id),
        (
            503,
            Some(11_000),
            &b"cart.shop"[..],
            &b"5f1c2b8e-0d9a-4c55-9d55-1f0e2c3b4a59"[..]
        )
    );
}

#[test]
fn istio_lines_are_never_misread_as_envoys_default() {
    for line in [ISTIO_OK, ISTIO_UH, ISTIO_UF] {
        assert!(preset("envoy").read(line.as_bytes()).is_err(), "{line}");
        assert_eq!(
            crate::decode::envoy::EnvoyDecoder.decode(line.as_bytes()),
            Err(DecodeError::MissingFields),
            "{line}"
        );
    }
    let why = preset("envoy").why(ISTIO_OK.as_bytes()).unwrap();
    assert!(why.contains("%BYTES_RECEIVED% (a number)"), "{why}");
}

#[test]
fn downstream_address_operators_give_the_client() {
    let f = AccessLogFormat::compile(
        "[%START_TIME%] %RESPONSE_CODE% %DOWNSTREAM_REMOTE_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%",
    )
    .unwrap();
    let read = |rest: &str| {
        f.read(format!("[2026-11-21T10:00:00.000Z] 200 {rest}").as_bytes())
            .map(|e| e.client.to_vec())
    };
    assert_eq!(
        read("[2001:db8::1]:443 2001:db8::1"),
        Ok(b"2001:db8::1".to_vec())
    );
    // The first operator in the format wins.
    assert_eq!(
        read("198.51.100.7:5000 10.0.0.1"),
        Ok(b"198.51.100.7".to_vec())
    );
    assert_eq!(read("- -"), Ok(vec![]));
    assert_eq!(read("/tmp/envoy.sock -"), Ok(vec![]));
    // Not an address where the operator writes one: no client (the line still decodes).
    for bad in ["198.51.100.7 x", "gateway:443 -", "- 10.0.0.1:80"] {
        assert_eq!(read(bad), Ok(vec![]), "{bad}");
    }
    let fields = f.fields();
    assert_eq!(fields[2].2, "client");
    assert_eq!(fields[3].2, "client");
}

#[test]
fn operators_and_their_shapes() {
    let f = AccessLogFormat::compile(
        "%START_TIME(%s.%3f)% %RESPONSE_CODE% %DURATION% %REQ(:AUTHORITY)%%REQ(:PATH):64% 100%% \"%REQ(REFERER)%\"\n",
    )
    .unwrap();
    let e = f
        .read(br#"1763719200.123 200 7 api.example.com:8443/v1/x?y=1 100% "say "hi" now""#)
        .unwrap();
    assert_eq!(
        (e.time_us, e.status, e.latency_us, e.host, e.path),
        (
            1_763_719_200_130_000,
            200,
            Some(7_000),
            &b"api.example.com"[..],
            &b"/v1/x"[..]
        )
    );
    let fields = f.fields();
    assert_eq!(
        fields[0],
        (
            "%START_TIME(%s.%3f)%".into(),
            "a token without spaces",
            "time (start)"
        )
    );
    assert_eq!(fields[4].0, "%REQ(:PATH):64%");
    // Status 0: no response, no latency; `-` everywhere is empty.
    let e = f.read(br#"1763719200 0 15 - 100% "-""#).unwrap();
    assert_eq!(
        (e.status, e.latency_us, e.host, e.path),
        (0, None, &b""[..], &b""[..])
    );
}

#[test]
fn formats_that_cannot_work_do_not_compile() {
    let err = |text: &str| AccessLogFormat::compile(text).unwrap_err();
    assert_eq!(err(" \n"), CompileError::Empty);
    assert_eq!(err("%RESPONSE_CODE% %DURATION%"), CompileError::NoTime);
    assert_eq!(err("[%START_TIME%] %DURATION%"), CompileError::NoStatus);
    assert_eq!(
        err("[%START_TIME%] %RESPONSE_CODE% %DURATION"),
        CompileError::Operator(32)
    );
    assert_eq!(
        err("%START_TIME(%Y)% %RESPONSE_CODE%"),
        CompileError::TimeForm("%Y".into())
    );
    assert_eq!(
        err("%START_TIME% %RESPONSE_CODE% %REQ(USER-AGENT)%%UPSTREAM_HOST%"),
        CompileError::Adjacent("%REQ(USER-AGENT)%".into(), "%UPSTREAM_HOST%".into())
    );
    let c = preset("istio").carries();
    assert!(c.latency && c.host && c.method && c.path && c.backend && c.strict);
}

/// A line of `f` with these values.
#[allow(clippy::too_many_arguments)]
fn render(
    f: &AccessLogFormat,
    start_ms: i64,
    code: u16,
    duration: Option<i64>,
    path: &str,
    agent: &str,
    authority: &str,
    id: &str,
    (client, client_port): (&str, &str),
) -> String {
    let mut line = String::new();
    for item in f.layout.items() {
        match item {
            Item::Text(t) => line.push_str(std::str::from_utf8(t).unwrap()),
            Item::Field { field, .. } => line.push_str(&match field {
                Op::StartTime(_) => time::format_rfc3339(start_ms * 1000)
                    .replace(".000000Z", ".000Z")
                    .replace("000Z", "Z"),
                Op::Duration => duration.map_or("-".into(), |d| d.to_string()),
                Op::ResponseCode => code.to_string(),
                Op::Method => "GET".into(),
                Op::Path => path.into(),
                Op::Authority => authority.into(),
                Op::RequestId => id.into(),
                Op::UpstreamHost => "10.0.0.1:80".into(),
                Op::UpstreamCluster => "outbound|80||a.b.svc.cluster.local".into(),
                Op::Downstream { port: true } => client_port.into(),
                Op::Downstream { port: false } => client.into(),
                Op::Number => "42".into(),
                Op::Header { quotes: true } => agent.into(),
                Op::Header { quotes: false } => "203.0.113.7, 10.0.0.1".into(),
                Op::Other => "-".into(),
            }),
        }
    }
    line
}

proptest! {
    #[test]
    fn lines_built_from_a_format_decode_to_what_built_them(
        which in 0..PRESETS.len(),
        start_ms in 1_000_000_000_000i64..4_000_000_000_000,
        code in prop_oneof![Just(0u16), 100..=599u16],
        duration in prop::option::of(0..100_000i64),
        path in "/[a-z0-9/._-]{0,20}",
        agent in r#"[ -~]{0,40}"#,
        authority in "[a-z][a-z0-9.-]{0,15}(:[0-9]{2,5})?",
        id in "[0-9a-f-]{8,36}",
        (client, client_port) in crate::decode::testing::client(),
    ) {
        let f = preset(PRESETS[which].0);
        let line = render(&f, start_ms, code, duration, &path, &agent, &authority, &id, (&client, &client_port));
        let e = f.read(line.as_bytes());
        prop_assert!(e.is_ok(), "{line}: {:?} {:?}", e, f.why(line.as_bytes()));
        let e = e.unwrap();
        prop_assert_eq!(e.time_us, start_ms * 1000 + duration.unwrap_or(0) * 1000);
        prop_assert_eq!(e.status, code);
        prop_assert_eq!(e.latency_us, if code == 0 { None } else { duration.map(|d| d * 1000) });
        prop_assert_eq!(e.path, path.as_bytes());
        prop_assert_eq!(e.host, authority.split(':').next().unwrap().as_bytes());
        prop_assert_eq!(e.request_id, id.as_bytes());
        // Istio logs %DOWNSTREAM_REMOTE_ADDRESS%; Envoy's default format no client.
        let logged = f.has(|op| matches!(op, Op::Downstream { .. }));
        prop_assert_eq!(logged, PRESETS[which].0 == "istio");
        prop_assert_eq!(e.client, if logged { client.as_bytes() } else { b"" });
        if PRESETS[which].0 == "envoy" && !agent.contains('"') {
            // The fixed decoder reads the default format's lines alike.
            prop_assert_eq!(crate::decode::envoy::EnvoyDecoder.decode(line.as_bytes()), Ok(e));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(which in 0..PRESETS.len(), bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let f = preset(PRESETS[which].0);
        prop_assert_eq!(f.read(&bytes).is_err(), f.why(&bytes).is_some());
    }

    #[test]
    fn edited_lines_never_panic(which in 0..4usize, edits in crate::decode::testing::edits()) {
        let (name, line) = [("envoy", ENVOY_DOC), ("istio", ISTIO_OK), ("istio", ISTIO_UH), ("istio", ISTIO_UF)][which];
        let line = crate::decode::testing::mutate(line, edits);
        let f = preset(name);
        prop_assert_eq!(f.read(&line).is_err(), f.why(&line).is_some());
    }
}

proptest! {
    #[test]
    fn any_format_text_compiles_or_says_why(text in r"(\PC|%|\(|\)|:|\[|\]){0,60}") {
        if let Ok(f) = AccessLogFormat::compile(&text) {
            prop_assert_eq!(f.read(text.as_bytes()).is_err(), f.why(text.as_bytes()).is_some());
        }
    }
}

use super::*;
use crate::decode::Decoder;
use crate::decode::compiled::Item;
use crate::time;
use proptest::prelude::*;

fn preset(name: &str) -> LogFormat {
    LogFormat::preset(name).unwrap().unwrap()
}

fn utc(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> i64 {
    time::epoch_us(y, mo, d, h, mi, s, ms * 1000).unwrap()
}

// Lines written from HAProxy's documentation of its log formats.
const DOC: &str = r#"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1""#;
const NO_CAPTURES: &str = r#"2001:db8::7:51234 [21/Nov/2026:10:00:00.123] fe-https~ be_api/api-2 0/0/1/41/42 201 512 - - ---- 12/12/3/1/0 0/0 "POST https://api.example.com/v1/orders?id=7 HTTP/2.0""#;
const ABORTED: &str = r#"Oct 15 15:19:06 lb1 haproxy[18113]: 127.0.0.1:34549 [15/Oct/2003:15:19:06.103] px-http px-http/<NOSRV> -1/-1/-1/-1/8490 -1 0 - - CR-- 2/2/2/0/0 0/0 """#;
const LOGASAP: &str = r#"<134>1 2026-11-21T10:00:01.000Z lb1 haproxy 674 - - 127.0.0.1:33319 [21/Nov/2026:10:00:00.130] px-http px-http/srv1 9/0/7/14/+30 200 +243 - - ---- 3/3/3/1/0 0/0 "GET /image.iso HTTP/1.0""#;
const HTTPS: &str = r#"10.0.0.9:40000 [21/Nov/2026:10:00:00.250] fe-https~ be_shop/web-1 0/0/2/12/15 200 1024 - - ---- 5/5/1/1/0 0/0 "GET /cart HTTP/2.0" 0/0/0/0/0 shop.example.com/TLSv1.3/TLS_AES_256_GCM_SHA384"#;
const LEGACY: &str = r#"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1""#;

#[test]
fn httplog_reads_the_documented_line() {
    let e = preset("httplog").read(DOC.as_bytes()).unwrap();
    assert_eq!(
        e,
        Event {
            time_us: utc(2009, 2, 6, 12, 14, 14, 655) + 109_000,
            status: 200,
            latency_us: Some(109_000),
            method: b"GET",
            host: b"",
            path: b"/index.html",
            backend: b"static",
            long_lived: false,
            request_id: b"",
            client: b"10.0.1.2",
        }
    );
    // The fixed decoder reads it the same way.
    assert_eq!(
        crate::decode::haproxy::HaproxyDecoder.decode(DOC.as_bytes()),
        Ok(e)
    );
}

#[test]
fn the_client_is_ci() {
    let f = preset("httplog");
    assert_eq!(
        f.read(NO_CAPTURES.as_bytes()).unwrap().client,
        b"2001:db8::7"
    );
    assert_eq!(f.read(LOGASAP.as_bytes()).unwrap().client, b"127.0.0.1");
    let unix = DOC.replace("10.0.1.2:33317", "unix:1");
    assert_eq!(f.read(unix.as_bytes()).unwrap().client, b"");
    let bad = DOC.replace("10.0.1.2:33317", "lb-peer:33317");
    assert_eq!(
        f.read(bad.as_bytes()).unwrap().client,
        b"",
        "not an address: no client"
    );
    assert_eq!(f.fields()[0], ("%ci".to_string(), "an address", "client"));
}

#[test]
fn captures_ipv6_aborts_logasap_and_rfc5424() {
    let f = preset("httplog");
    let e = f.read(NO_CAPTURES.as_bytes()).unwrap();
    assert_eq!(
        (e.time_us, e.latency_us, e.host, e.path, e.backend),
        (
            utc(2026, 11, 21, 10, 0, 0, 123) + 42_000,
            Some(42_000),
            &b"api.example.com"[..],
            &b"/v1/orders"[..],
            &b"be_api"[..]
        )
    );
    let one = NO_CAPTURES.replace(" \"POST", " {api.example.com|Mozilla/5.0 (X11)} \"POST");
    assert_eq!(f.read(one.as_bytes()), f.read(NO_CAPTURES.as_bytes()));
    let e = f.read(ABORTED.as_bytes()).unwrap();
    assert_eq!((e.status, e.latency_us, e.path), (0, None, &b""[..]));
    let e = f.read(LOGASAP.as_bytes()).unwrap();
    assert_eq!(
        (e.time_us, e.latency_us),
        (utc(2026, 11, 21, 10, 0, 0, 130) + 30_000, Some(30_000))
    );
    let tunnel = NO_CAPTURES.replace(
        "POST https://api.example.com/v1/orders?id=7 HTTP/2.0",
        "CONNECT api.example.com:443 HTTP/1.1",
    );
    let e = f.read(tunnel.as_bytes()).unwrap();
    assert_eq!((e.host, e.path), (&b"api.example.com"[..], &b""[..]));
}

#[test]
fn httpslog_and_the_legacy_layout() {
    let e = preset("httpslog").read(HTTPS.as_bytes()).unwrap();
    assert_eq!(
        (e.status, e.latency_us, e.backend),
        (200, Some(15_000), &b"be_shop"[..])
    );
    // httplog is not httpslog: its line ends before the TLS fields.
    assert!(preset("httplog").read(HTTPS.as_bytes()).is_err());
    assert!(preset("httpslog").read(NO_CAPTURES.as_bytes()).is_err());
    let e = preset("httplog_legacy").read(LEGACY.as_bytes()).unwrap();
    assert_eq!(
        (e.time_us, e.latency_us),
        (utc(2009, 2, 6, 12, 14, 14, 655) + 109_000, Some(109_000))
    );
}

#[test]
fn custom_formats_zones_ids_and_errors() {
    let f = LogFormat::compile(r#""%ci [%trl] %ID %HM %HP %ST %Ta %{+Q}[capture.req.hdr(0)] %b""#)
        .unwrap();
    let e = f
        .read(br#"10.0.0.1 [21/Nov/2026:11:00:00 +0100] 4f2a-77 GET /a/b 503 250 "a \"quoted\" header" be_x"#)
        .unwrap();
    assert_eq!(
        (
            e.time_us,
            e.request_id,
            e.method,
            e.path,
            e.status,
            e.latency_us,
            e.backend
        ),
        (
            utc(2026, 11, 21, 10, 0, 0, 0) + 250_000,
            &b"4f2a-77"[..],
            &b"GET"[..],
            &b"/a/b"[..],
            503,
            Some(250_000),
            &b"be_x"[..]
        )
    );
    let err = |t: &str| LogFormat::compile(t).unwrap_err();
    assert_eq!(err("  "), CompileError::Empty);
    assert_eq!(err("%ST %Ta"), CompileError::NoTime);
    assert_eq!(err("[%tr] %Ta"), CompileError::NoStatus);
    assert_eq!(err("[%tr] %ST %{+Q"), CompileError::Variable(11));
    assert_eq!(err("[%tr] %ST %[src"), CompileError::Variable(11));
    assert_eq!(
        err("[%tr] %ST %ft%b"),
        CompileError::Adjacent("%ft".into(), "%b".into())
    );
    let why = preset("httplog")
        .why(NO_CAPTURES.replace("0/0/1/41/42", "0/0/1/41/x").as_bytes())
        .unwrap();
    assert!(
        why.contains("%Ta (a number with an optional sign)"),
        "{why}"
    );
    let c = preset("httplog").carries();
    assert!(c.latency && c.method && c.path && c.backend && c.host && c.strict);
}

proptest! {
    #[test]
    fn lines_built_from_a_preset_decode_to_what_built_them(
        which in 0..PRESETS.len(),
        start_ms in 1_000_000_000_000i64..4_000_000_000_000,
        status in prop_oneof![Just(-1i32), 100..=599i32],
        ta in prop_oneof![Just(-1i64), 0..1_000_000i64],
        path in "/[a-z0-9/._-]{0,20}",
        backend in "[a-z][a-z0-9_-]{0,15}",
        captures in 0..3usize,
        (client, _) in crate::decode::testing::client(),
    ) {
        let f = preset(PRESETS[which].0);
        let secs = start_ms.div_euclid(1000);
        let (y, mo, d) = time::civil_from_days(secs.div_euclid(86_400));
        let sod = secs.rem_euclid(86_400);
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let date = format!("{d:02}/{}/{y:04}:{:02}:{:02}:{:02}.{:03}", MONTHS[mo as usize - 1], sod / 3600, sod % 3600 / 60, sod % 60, start_ms % 1000);
        let mut line = String::new();
        for item in f.layout.items() {
            match item {
                Item::Text(t) => line.push_str(std::str::from_utf8(t).unwrap()),
                Item::Field { field, name } => line.push_str(&match (field, name) {
                    (Var::Date { .. }, _) => date.clone(),
                    (Var::ActiveTime | Var::TotalTime, _) => ta.to_string(),
                    (Var::Status, _) => status.to_string(),
                    (Var::Request, _) => format!("GET {path} HTTP/1.1"),
                    (Var::Backend, _) => backend.clone(),
                    (Var::Capture, _) => ["", "{a|b c}", "{}"][captures].to_string(),
                    (Var::Signed, _) => "0".into(),
                    (Var::ClientIp, _) => client.clone(),
                    _ => "x".into(),
                }),
            }
        }
        // Absent capture blocks take the space after them with them.
        let line = line.replace("0/0  ", "0/0 ").replace("0/0  ", "0/0 ");
        let e = f.read(line.as_bytes());
        prop_assert!(e.is_ok(), "{line}: {:?} {:?}", e, f.why(line.as_bytes()));
        let e = e.unwrap();
        let known = (ta >= 0 && status != -1).then_some(ta * 1000);
        prop_assert_eq!(e.time_us, start_ms * 1000 + ta.max(0) * 1000);
        prop_assert_eq!(e.status, u16::try_from(status.max(0)).unwrap());
        prop_assert_eq!(e.latency_us, known);
        prop_assert_eq!(e.path, path.as_bytes());
        prop_assert_eq!(e.backend, backend.as_bytes());
        prop_assert_eq!(e.client, client.as_bytes());
        if PRESETS[which].0 != "httpslog" {
            // The fixed decoder reads httplog lines (and the legacy layout's) alike.
            prop_assert_eq!(crate::decode::haproxy::HaproxyDecoder.decode(line.as_bytes()), Ok(e));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(which in 0..PRESETS.len(), bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let f = preset(PRESETS[which].0);
        prop_assert_eq!(f.read(&bytes).is_err(), f.why(&bytes).is_some());
    }

    #[test]
    fn edited_lines_never_panic(which in 0..5usize, edits in crate::decode::testing::edits()) {
        let line = crate::decode::testing::mutate([DOC, NO_CAPTURES, ABORTED, LOGASAP, HTTPS][which], edits);
        let f = preset(if which == 4 { "httpslog" } else { "httplog" });
        prop_assert_eq!(f.read(&line).is_err(), f.why(&line).is_some());
    }
}

proptest! {
    #[test]
    fn any_format_text_compiles_or_says_why(text in r"(\PC|%|\{|\}|\[|\]|\+Q){0,60}") {
        if let Ok(f) = LogFormat::compile(&text) {
            prop_assert_eq!(f.read(text.as_bytes()).is_err(), f.why(text.as_bytes()).is_some());
        }
    }
}

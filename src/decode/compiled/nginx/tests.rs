use super::*;
use crate::decode::Decoder;
use crate::decode::compiled::Item;
use crate::time;
use proptest::prelude::*;

fn preset(name: &str) -> LogFormat {
    LogFormat::preset(name, None).unwrap().unwrap()
}

fn utc(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
    time::epoch_us(y, mo, d, h, mi, s, 0).unwrap()
}

// Lines written from the formats' documentation, as nginx writes them.
const COMBINED: &str = r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#;
const MAIN_DIRECT: &str = r#"172.17.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET /index.html HTTP/1.1" 200 615 "-" "curl/8.5.0" "-""#;
const MAIN_PROXIED: &str = r#"10.0.0.2 - - [21/Nov/2026:10:00:01 +0000] "POST /api/cart?id=3 HTTP/1.1" 503 197 "https://shop.example.com/" "Mozilla/5.0 (X11; Linux x86_64) \x22quoted\x22" "203.0.113.195, 70.41.3.18""#;
const INGRESS_ONE: &str = r#"192.168.49.1 - - [21/Nov/2026:10:00:02 +0000] "GET /api/v1/users/7 HTTP/2.0" 200 312 "-" "Go-http-client/2.0" 462 0.050 [default-users-8080] [] 10.244.0.12:8080 312 0.049 200 9f1c2b7e4d6a8f3b5c7d9e1f2a3b4c5d"#;
const INGRESS_SEVERAL: &str = r#"192.168.49.1 - alice [21/Nov/2026:10:00:03 +0100] "GET /api/v1/search?q=x HTTP/1.1" 200 1024 "-" "k6/0.47.0 (https://k6.io/)" 520 1.204 [default-search-80] [default-search-canary-80] 10.244.0.13:80, 10.244.0.14:80 : 10.244.1.2:80 0, 0 : 1024 0.600, 0.500 : 0.100 502, 502 : 200 0a1b2c3d4e5f60718293a4b5c6d7e8f9"#;

#[test]
fn combined_reads_what_it_has() {
    let e = preset("combined").read(COMBINED.as_bytes()).unwrap();
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
    let user = COMBINED.replace("frank", "frank the tank");
    assert_eq!(preset("combined").read(user.as_bytes()), Ok(e));
}

#[test]
fn main_reads_direct_and_proxied_lines_alike() {
    let f = preset("main");
    let e = f.read(MAIN_DIRECT.as_bytes()).unwrap();
    assert_eq!(
        (e.time_us, e.status, e.method, e.path, e.latency_us),
        (
            utc(2026, 11, 21, 10, 0, 0),
            200,
            &b"GET"[..],
            &b"/index.html"[..],
            None
        )
    );
    let e = f.read(MAIN_PROXIED.as_bytes()).unwrap();
    assert_eq!(
        (e.time_us, e.status, e.method, e.path),
        (
            utc(2026, 11, 21, 10, 0, 1),
            503,
            &b"POST"[..],
            &b"/api/cart"[..]
        )
    );
    // `combined` is not `main`: its line goes on after the format's end.
    assert_eq!(
        preset("combined").read(MAIN_PROXIED.as_bytes()),
        Err(DecodeError::MissingFields)
    );
    let why = preset("combined").why(MAIN_PROXIED.as_bytes()).unwrap();
    assert!(why.contains("at $http_user_agent"), "{why}");
    let why = preset("main")
        .why(format!("{MAIN_PROXIED} more").as_bytes())
        .unwrap();
    assert!(why.contains("goes on after the format's end"), "{why}");
}

#[test]
fn ingress_nginx_with_one_and_several_upstreams() {
    let f = preset("ingress_nginx");
    let e = f.read(INGRESS_ONE.as_bytes()).unwrap();
    assert_eq!(
        e,
        Event {
            time_us: utc(2026, 11, 21, 10, 0, 2),
            status: 200,
            latency_us: Some(50_000),
            method: b"GET",
            host: b"",
            path: b"/api/v1/users/7",
            backend: b"default-users-8080",
            long_lived: false,
            request_id: b"9f1c2b7e4d6a8f3b5c7d9e1f2a3b4c5d",
            client: b"192.168.49.1",
        }
    );
    let e = f.read(INGRESS_SEVERAL.as_bytes()).unwrap();
    assert_eq!(
        (e.time_us, e.status, e.latency_us, e.path, e.backend),
        (
            utc(2026, 11, 21, 9, 0, 3),
            200,
            Some(1_204_000),
            &b"/api/v1/search"[..],
            &b"default-search-80"[..]
        )
    );
    assert_eq!(e.request_id, b"0a1b2c3d4e5f60718293a4b5c6d7e8f9");
    // The upstream's time: the last group's items summed.
    let upstream = LogFormat::preset("ingress_nginx", Some(LatencyFrom::UpstreamResponseTime))
        .unwrap()
        .unwrap();
    assert_eq!(
        upstream
            .read(INGRESS_SEVERAL.as_bytes())
            .unwrap()
            .latency_us,
        Some(100_000)
    );
    let retried = INGRESS_SEVERAL.replace("0.600, 0.500 : 0.100", "0.600, 0.500");
    assert_eq!(
        upstream.read(retried.as_bytes()).unwrap().latency_us,
        Some(1_100_000)
    );
    let unknown = INGRESS_SEVERAL.replace("0.600, 0.500 : 0.100", "0.600 : -");
    assert_eq!(upstream.read(unknown.as_bytes()).unwrap().latency_us, None);
    // No upstream at all (a 404 from the default backend).
    let none = INGRESS_ONE.replace("10.244.0.12:8080 312 0.049 200", "- - - -");
    let e = upstream.read(none.as_bytes()).unwrap();
    assert_eq!(
        (e.latency_us, e.backend),
        (None, &b"default-users-8080"[..])
    );
}

#[test]
fn ingress_lines_do_not_fit_other_presets() {
    for name in ["combined", "combined_timed", "main"] {
        let got = preset(name).read(INGRESS_ONE.as_bytes());
        assert!(got.is_err(), "{name}: {got:?}");
    }
    // The misread of the fixed decoder: `$request_length` is not `$request_time`.
    let got = preset("combined_timed").read(INGRESS_ONE.as_bytes());
    assert_eq!(got, Err(DecodeError::BadLatency));
}

#[test]
fn pasted_directives_and_custom_formats() {
    let pasted = r#"log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';"#;
    let f = LogFormat::compile(pasted, None).unwrap();
    assert_eq!(f.text(), MAIN);
    assert_eq!(f, preset("main"));
    let pieces = r#"'$remote_addr [$time_local] ' "$status""#;
    assert_eq!(
        LogFormat::compile(pieces, None).unwrap().text(),
        r#"$remote_addr [$time_local] $status"#
    );

    // A JSON format with escape=json, braces and a unit glued to a variable.
    let json = r#"log_format j escape=json '{"t":"$time_iso8601","host":"$host","uri":"$request_uri","s":$status,"rt":"${request_time}s","ua":"$http_user_agent","id":"$request_id"}';"#;
    let f = LogFormat::compile(json, None).unwrap();
    let line = r#"{"t":"2026-11-21T10:00:00+01:00","host":"api.example.com","uri":"/v1/x?y=1","s":404,"rt":"0.007s","ua":"say \"hi\" \\o/","id":"abc"}"#;
    let e = f.read(line.as_bytes()).unwrap();
    assert_eq!(
        (
            e.time_us,
            e.host,
            e.path,
            e.status,
            e.latency_us,
            e.request_id
        ),
        (
            utc(2026, 11, 21, 9, 0, 0),
            &b"api.example.com"[..],
            &b"/v1/x"[..],
            404,
            Some(7_000),
            &b"abc"[..]
        )
    );
    assert_eq!(e.method, b"");

    // `$msec` wins over `$time_local`; `$host$request_uri` splits at the path.
    let f = LogFormat::compile(
        "$msec [$time_local] $host$request_uri $request_method $status",
        None,
    )
    .unwrap();
    let e = f
        .read(b"1763719200.123 [21/Nov/2026:10:00:00 +0000] Shop.example.com/a/b?c HEAD 301")
        .unwrap();
    assert_eq!(
        (e.time_us, e.host, e.path, e.method, e.status),
        (
            1_763_719_200_123_000,
            &b"Shop.example.com"[..],
            &b"/a/b"[..],
            &b"HEAD"[..],
            301
        )
    );
    assert_eq!(e.latency_us, None);

    // `$http_host` loses its port; `$upstream_addr` gives the backend.
    let f = LogFormat::compile(
        "[$time_local] $http_host $status $upstream_addr $upstream_response_time",
        None,
    )
    .unwrap();
    assert_eq!(f.latency(), Some(LatencyFrom::UpstreamResponseTime));
    let e = f
        .read(b"[21/Nov/2026:10:00:00 +0000] api.example.com:8443 200 10.0.0.1:80, 10.0.0.2:80 0.010, 0.020")
        .unwrap();
    assert_eq!(
        (e.host, e.backend, e.latency_us),
        (&b"api.example.com"[..], &b"10.0.0.2:80"[..], Some(30_000))
    );
}

#[test]
fn with_escape_none_the_fields_around_a_quoted_header_pin_it() {
    let f = LogFormat::compile(
        r#"log_format x escape=none '[$time_local] "$http_user_agent" $status "$http_host"';"#,
        None,
    )
    .unwrap();
    let line = r#"[21/Nov/2026:10:00:00 +0000] "x" 200 "y" 404 "api.example.com""#;
    let e = f.read(line.as_bytes()).unwrap();
    assert_eq!((e.status, e.host), (404, &b"api.example.com"[..]));
    // With escapes, the first quote closes the value: this line is not the format's.
    let escaped = LogFormat::compile(&f.text().replace("x escape=none", ""), None).unwrap();
    assert!(escaped.read(line.as_bytes()).is_err());
    let why = f
        .why(br#"[21/Nov/2026:10:00:00 +0000] "x" 200 "y" 404"#)
        .unwrap();
    assert!(why.contains("the line ends before this text"), "{why}");
}

#[test]
fn formats_that_cannot_work_do_not_compile() {
    let err = |text: &str, latency| LogFormat::compile(text, latency).unwrap_err();
    assert_eq!(err("  ", None), CompileError::Empty);
    assert_eq!(err("$status $request", None), CompileError::NoTime);
    assert_eq!(err("[$time_local] $request", None), CompileError::NoStatus);
    assert_eq!(
        err(
            "[$time_local] $status$body_bytes_sent $remote_addr$remote_user",
            None
        ),
        CompileError::Adjacent("$remote_addr".into(), "$remote_user".into())
    );
    assert_eq!(
        err("[$time_local] $status", Some(LatencyFrom::RequestTime)),
        CompileError::NoLatency("request_time")
    );
    assert_eq!(
        err("log_format x escape=yaml '$status'", None),
        CompileError::Escape("yaml".into())
    );
    assert_eq!(
        err("'[$time_local] $status' '$request", None),
        CompileError::Unclosed
    );
    assert_eq!(
        err("[$time_local] ${status", None),
        CompileError::Brace("status".into())
    );
    assert_eq!(
        CompileError::Adjacent("$a".into(), "$b".into()).to_string(),
        "$a is followed by $b with no text between them: cannot tell where $a ends"
    );
}

#[test]
fn lines_that_do_not_fit_say_where() {
    let f = preset("main");
    let cases = [
        ("", DecodeError::Empty, "blank"),
        (
            r#"172.17.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200"#,
            DecodeError::MissingFields,
            "the text \" \"",
        ),
        (
            r#"172.17.0.1 - - [21/Nov/2026:10:00:00] "GET / HTTP/1.1" 200 1 "-" "-" "-""#,
            DecodeError::BadTime,
            "$time_local",
        ),
        (
            r#"172.17.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" OK 1 "-" "-" "-""#,
            DecodeError::BadStatus,
            "$status",
        ),
        (
            r#"172.17.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-" "-"#,
            DecodeError::UnterminatedQuote,
            "$http_x_forwarded_for",
        ),
    ];
    for (line, error, at) in cases {
        assert_eq!(f.read(line.as_bytes()), Err(error), "{line}");
        let why = f.why(line.as_bytes()).unwrap();
        assert!(why.contains(at), "{why}");
    }
    assert_eq!(f.why(MAIN_DIRECT.as_bytes()), None);
    let timed = preset("combined_timed");
    let line = COMBINED.to_string() + " 0.05 -";
    assert_eq!(timed.read(line.as_bytes()), Err(DecodeError::BadLatency));
    assert!(
        timed
            .why(line.as_bytes())
            .unwrap()
            .contains("$request_time")
    );
}

#[test]
fn fields_show_what_each_variable_gives() {
    let fields = preset("ingress_nginx").fields();
    let find = |name: &str| fields.iter().find(|(n, ..)| n == name).cloned().unwrap();
    assert_eq!(find("$time_local").2, "time");
    assert_eq!(find("$request_time").2, "latency");
    assert_eq!(
        find("$upstream_response_time"),
        ("$upstream_response_time".into(), "a list of timings", "")
    );
    assert_eq!(
        find("$request_length"),
        ("$request_length".into(), "a token without spaces", "")
    );
    assert_eq!(find("$http_user_agent").1, "a quoted string");
    assert_eq!(find("$req_id").2, "request id");
    let c = preset("combined").carries();
    assert!(!c.latency && !c.host && !c.backend && c.strict);
    assert!(c.method && c.path);
    assert!(!preset("combined").has(&[Var::RequestId]));
}

/// Values to build a line of a format from, and what the event must then hold.
#[derive(Debug, Clone)]
struct Sample {
    time_us: i64,
    offset_min: i64,
    status: u16,
    request_time_ms: i64,
    /// Groups of upstream `(address, time ms or None for -)`.
    upstreams: Vec<Vec<(String, Option<i64>)>>,
    method: String,
    path: String,
    query: String,
    host: String,
    agent: String,
    id: String,
    token: String,
    client: String,
}

fn sample() -> impl Strategy<Value = Sample> {
    let upstream = (
        "[a-z0-9.]{1,12}:[0-9]{2,4}",
        prop::option::weighted(0.9, 0..5_000i64),
    );
    (
        (
            100_000..4_000_000_000i64,
            -(14 * 60)..=(14 * 60i64),
            100..=599u16,
            0..100_000i64,
            prop::collection::vec(prop::collection::vec(upstream, 1..3), 1..3),
        ),
        crate::decode::testing::client(),
        (
            "[A-Z]{3,7}",
            "/[a-zA-Z0-9/_.-]{0,20}",
            "(\\?[a-z=&0-9]{0,10})?",
            "[a-z][a-z0-9.-]{0,20}",
            "[ -!#-\\[\\]-~]{0,40}",
            "[0-9a-f]{8,32}",
            "[!#-Z^-~]{1,12}",
        ),
    )
        .prop_map(
            |(
                (secs, offset_min, status, request_time_ms, upstreams),
                (client, _),
                (method, path, query, host, agent, id, token),
            )| {
                Sample {
                    time_us: secs * time::SECOND,
                    offset_min,
                    status,
                    request_time_ms,
                    upstreams,
                    method,
                    path,
                    query,
                    host,
                    agent,
                    id,
                    token,
                    client,
                }
            },
        )
}

fn millis(ms: i64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

fn list(s: &Sample, item: impl Fn(&(String, Option<i64>)) -> String) -> String {
    let groups: Vec<String> = s
        .upstreams
        .iter()
        .map(|g| g.iter().map(&item).collect::<Vec<_>>().join(", "))
        .collect();
    groups.join(" : ")
}

/// The value nginx would write for `$name` in the line of `s`.
fn value(s: &Sample, name: &str) -> String {
    let local = s.time_us + s.offset_min * time::MINUTE;
    let secs = local.div_euclid(time::SECOND);
    let (y, mo, d) = time::civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let (h, mi, sec) = (sod / 3600, sod % 3600 / 60, sod % 60);
    let sign = if s.offset_min < 0 { '-' } else { '+' };
    let (oh, om) = (s.offset_min.abs() / 60, s.offset_min.abs() % 60);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    match name {
        "time_local" => format!(
            "{d:02}/{}/{y:04}:{h:02}:{mi:02}:{sec:02} {sign}{oh:02}{om:02}",
            MONTHS[mo as usize - 1]
        ),
        "time_iso8601" => {
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{sec:02}{sign}{oh:02}:{om:02}")
        }
        "request" => format!("{} {}{} HTTP/1.1", s.method, s.path, s.query),
        "request_method" => s.method.clone(),
        "request_uri" => format!("{}{}", s.path, s.query),
        "status" => s.status.to_string(),
        "request_time" => millis(s.request_time_ms),
        "upstream_response_time" => list(s, |(_, t)| t.map_or("-".into(), millis)),
        "upstream_addr" => list(s, |(a, _)| a.clone()),
        n if n.starts_with("upstream_") => list(s, |_| "200".into()),
        "host" => s.host.clone(),
        "request_id" | "req_id" => s.id.clone(),
        "remote_addr" => s.client.clone(),
        "http_user_agent" | "http_referer" => s.agent.replace('"', "\\x22"),
        "proxy_alternative_upstream_name" => String::new(),
        _ => s.token.clone(),
    }
}

fn render(f: &LogFormat, s: &Sample) -> String {
    let mut line = String::new();
    for item in f.layout.items() {
        match item {
            Item::Text(t) => line.push_str(std::str::from_utf8(t).unwrap()),
            Item::Field { name, .. } => line.push_str(&value(s, &name[1..])),
        }
    }
    line
}

/// The latency the sample's line must decode to under `f`.
fn latency(f: &LogFormat, s: &Sample) -> Option<i64> {
    match f.latency()? {
        LatencyFrom::RequestTime => Some(s.request_time_ms * 1000),
        LatencyFrom::UpstreamResponseTime => s
            .upstreams
            .last()?
            .iter()
            .map(|(_, t)| t.map(|ms| ms * 1000))
            .sum(),
    }
}

const CUSTOM: [&str; 3] = [
    r#"$time_iso8601 $host "$request" $status $request_time $upstream_addr $upstream_response_time $request_id"#,
    r#"{"t":"$time_local","m":"$request_method","u":"$request_uri","s":$status,"ua":"$http_user_agent","up":"$upstream_response_time"}"#,
    r#"$host$request_uri [$time_local] $status $upstream_status ${request_time}s"#,
];

proptest! {
    #[test]
    fn lines_built_from_a_format_decode_to_what_built_them(
        which in 0..PRESETS.len() + CUSTOM.len(),
        upstream in any::<bool>(),
        s in sample(),
    ) {
        let text = PRESETS.get(which).map_or_else(|| CUSTOM[which - PRESETS.len()], |p| p.1);
        let choice = upstream.then_some(LatencyFrom::UpstreamResponseTime);
        let Ok(f) = LogFormat::compile(text, choice) else {
            // Only a format without that variable refuses the choice.
            prop_assert!(!text.contains("$upstream_response_time"));
            return Ok(());
        };
        let line = render(&f, &s);
        let e = f.read(line.as_bytes());
        prop_assert!(e.is_ok(), "{line}: {:?} {:?}", e, f.why(line.as_bytes()));
        let e = e.unwrap();
        prop_assert_eq!(e.time_us, s.time_us, "{}", line);
        prop_assert_eq!(e.status, s.status);
        prop_assert_eq!(e.latency_us, latency(&f, &s));
        if f.carries().path {
            prop_assert_eq!(e.path, s.path.as_bytes());
        }
        if f.carries().method {
            prop_assert_eq!(e.method, s.method.as_bytes());
        }
        if f.has(&[Var::Host]) {
            prop_assert_eq!(e.host, s.host.as_bytes());
        }
        if f.has(&[Var::RequestId]) {
            prop_assert_eq!(e.request_id, s.id.as_bytes());
        }
        let client: &[u8] = if f.has(&[Var::RemoteAddr]) { s.client.as_bytes() } else { b"" };
        prop_assert_eq!(e.client, client);
        if matches!(text, COMBINED | COMBINED_TIMED) && f.latency() != Some(LatencyFrom::UpstreamResponseTime) {
            // The fixed decoder reads combined lines alike.
            let fixed = crate::decode::nginx::NginxDecoder.decode(line.as_bytes());
            prop_assert_eq!(fixed, Ok(e), "{}", line);
        }
        prop_assert_eq!(f.why(line.as_bytes()), None);
    }

    #[test]
    fn arbitrary_bytes_never_panic(which in 0..PRESETS.len() + CUSTOM.len(), bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let text = PRESETS.get(which).map_or_else(|| CUSTOM[which - PRESETS.len()], |p| p.1);
        let f = LogFormat::compile(text, None).unwrap();
        let _ = f.read(&bytes);
        let _ = f.why(&bytes);
    }

    #[test]
    fn edited_lines_never_panic(which in 0..4usize, edits in crate::decode::testing::edits()) {
        let (name, line) = [("combined", COMBINED), ("main", MAIN_PROXIED), ("ingress_nginx", INGRESS_ONE), ("ingress_nginx", INGRESS_SEVERAL)][which];
        let line = crate::decode::testing::mutate(line, edits);
        let f = preset(name);
        prop_assert_eq!(f.read(&line).is_err(), f.why(&line).is_some());
    }

    #[test]
    fn any_format_text_compiles_or_says_why(text in r#"[a-z$ "\[\]{}_:,-]{0,60}"#) {
        if let Ok(f) = LogFormat::compile(&text, None) {
            let _ = f.read(text.as_bytes());
        }
    }
}

#[test]
fn debug_forms_name_only_the_format_for_fingerprints() {
    // Cluster fingerprints hash the decoding's debug form: it must not show a searcher's
    // internals (which a memchr release, or the CPU it picks a searcher for, may change).
    let shown = format!("{:?}", preset("main"));
    assert_eq!(shown, format!("{:?}", preset("main")));
    assert!(!shown.contains("earcher"), "{shown}");
    assert!(shown.contains(r#"Finder(" [")"#), "{shown}");
}

proptest! {
    #[test]
    fn any_unicode_format_text_compiles_or_says_why(text in r"(\PC|\$|\{|\}|'){0,60}") {
        if let Ok(f) = LogFormat::compile(&text, None) {
            prop_assert_eq!(f.read(text.as_bytes()).is_err(), f.why(text.as_bytes()).is_some());
        }
    }
}

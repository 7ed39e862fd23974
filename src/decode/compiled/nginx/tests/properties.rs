//! Property tests: lines built from a preset or custom format decode to what built them,
//! and arbitrary bytes, edited lines and format texts never panic.

use super::*;
use crate::decode::Decoder;
use crate::decode::compiled::Item;
use proptest::prelude::*;

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
        let preset = PRESETS.get(which).map(|p| p.0);
        if matches!(preset, Some("combined" | "combined_timed")) && f.latency() != Some(LatencyFrom::UpstreamResponseTime) {
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

proptest! {
    #[test]
    fn any_unicode_format_text_compiles_or_says_why(text in r"(\PC|\$|\{|\}|'){0,60}") {
        if let Ok(f) = LogFormat::compile(&text, None) {
            prop_assert_eq!(f.read(text.as_bytes()).is_err(), f.why(text.as_bytes()).is_some());
        }
    }
}

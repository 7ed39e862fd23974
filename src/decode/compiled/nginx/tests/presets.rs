//! The presets: `combined`, `main` with direct and proxied lines, `ingress_nginx` with one
//! and several upstreams, and ingress lines that fit no other preset.

use super::*;

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

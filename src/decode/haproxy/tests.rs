use super::*;
use proptest::prelude::*;

// HAProxy's documented httplog example (syslog prefix, two capture blocks).
const DOC: &str = r#"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1""#;
// `option logasap`: the total time and the byte count carry a `+`.
const LOGASAP: &str = r#"Oct 15 08:31:57 lb1 haproxy[674]: 127.0.0.1:33319 [15/Oct/2003:08:31:57.130] px-http px-http/srv1 9/0/7/14/+30 200 +243 - - ---- 3/3/3/1/0 0/0 "GET /image.iso HTTP/1.0""#;
// The client aborted before a response: status -1, no server.
const ABORTED: &str = r#"Oct 15 15:19:06 lb1 haproxy[18113]: 127.0.0.1:34549 [15/Oct/2003:15:19:06.103] px-http px-http/<NOSRV> -1/-1/-1/-1/8490 -1 0 - - CR-- 2/2/2/0/0 0/0 """#;
const BADREQ: &str = r#"Oct 15 15:26:31 lb1 haproxy[18989]: 10.0.0.1:34552 [15/Oct/2003:15:26:31.462] px-http px-http/<NOSRV> -1/-1/-1/-1/3183 400 187 - - PR-- 1/1/1/0/0 0/0 "<BADREQ>""#;
// No syslog prefix, IPv6 client, HTTP/2 absolute request, one capture block with spaces.
const BARE_H2: &str = r#"2001:db8::7:51234 [21/Nov/2026:10:00:00.123] fe-https~ be_api/api-2 0/0/1/41/42 201 512 - - ---- 12/12/3/1/0 0/0 {api.example.com|Mozilla/5.0 (X11; Linux x86_64)} "POST https://api.example.com/v1/orders?id=7 HTTP/2.0""#;
const NOSRV_503: &str = r#"<134>1 2026-11-21T10:00:01.000Z lb1 haproxy 1234 - - 192.0.2.9:40000 [21/Nov/2026:10:00:00.999] fe be_web/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 1/1/0/0/0 0/0 "GET /checkout HTTP/1.1""#;

fn decode(line: &str) -> Result<Event<'_>, DecodeError> {
    HaproxyDecoder.decode(line.as_bytes())
}

fn utc(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, us: u32) -> i64 {
    time::epoch_us(y, mo, d, h, mi, s, us).unwrap()
}

#[test]
fn documented_entry_ends_at_date_plus_ta() {
    assert_eq!(
        decode(DOC).unwrap(),
        Event {
            time_us: utc(2009, 2, 6, 12, 14, 14, 764_000),
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
    let no_prefix = DOC.split_once("]: ").unwrap().1;
    assert_eq!(decode(no_prefix), decode(DOC));
    let no_captures = DOC.replace(" {1wt.eu} {}", "");
    assert_eq!(decode(&no_captures), decode(DOC));
    let one_capture = DOC.replace(" {}", "");
    assert_eq!(decode(&one_capture), decode(DOC));
    assert_eq!(decode(&format!("{DOC}\r")), decode(DOC));
}

#[test]
fn logasap_totals_are_read_as_written() {
    assert_eq!(
        decode(LOGASAP).unwrap(),
        Event {
            time_us: utc(2003, 10, 15, 8, 31, 57, 160_000),
            status: 200,
            latency_us: Some(30_000),
            method: b"GET",
            host: b"",
            path: b"/image.iso",
            backend: b"px-http",
            long_lived: false,
            request_id: b"",
            client: b"127.0.0.1",
        }
    );
}

#[test]
fn aborted_and_bad_requests() {
    assert_eq!(
        decode(ABORTED).unwrap(),
        Event {
            time_us: utc(2003, 10, 15, 15, 19, 14, 593_000),
            status: 0,
            latency_us: None,
            method: b"",
            host: b"",
            path: b"",
            backend: b"px-http",
            long_lived: false,
            request_id: b"",
            client: b"127.0.0.1",
        }
    );
    let e = decode(BADREQ).unwrap();
    assert_eq!(
        (e.status, e.latency_us, e.method, e.path),
        (400, Some(3_183_000), &b""[..], &b""[..])
    );
    let e = decode(NOSRV_503).unwrap();
    assert_eq!(
        (e.time_us, e.status, e.latency_us, e.backend, e.path),
        (
            utc(2026, 11, 21, 10, 0, 0, 999_000),
            503,
            Some(0),
            &b"be_web"[..],
            &b"/checkout"[..]
        )
    );
    let never_done = NOSRV_503.replace("0/-1/-1/-1/0", "0/-1/-1/-1/-1");
    let e = decode(&never_done).unwrap();
    assert_eq!(
        (e.time_us, e.latency_us),
        (utc(2026, 11, 21, 10, 0, 0, 999_000), None)
    );
}

#[test]
fn absolute_requests_captures_and_ipv6() {
    assert_eq!(
        decode(BARE_H2).unwrap(),
        Event {
            time_us: utc(2026, 11, 21, 10, 0, 0, 165_000),
            status: 201,
            latency_us: Some(42_000),
            method: b"POST",
            host: b"api.example.com",
            path: b"/v1/orders",
            backend: b"be_api",
            long_lived: false,
            request_id: b"",
            client: b"2001:db8::7",
        }
    );
    let two_blocks = BARE_H2.replace("} \"POST", "} {text/html; charset=utf-8} \"POST");
    assert_eq!(decode(&two_blocks), decode(BARE_H2));
}

#[test]
fn connect_in_authority_form_gives_a_host_and_no_path() {
    let tunnel = BARE_H2.replace(
        "POST https://api.example.com/v1/orders?id=7 HTTP/2.0",
        "CONNECT api.example.com:443 HTTP/1.1",
    );
    let e = decode(&tunnel).unwrap();
    assert_eq!(
        (e.method, e.host, e.path),
        (&b"CONNECT"[..], &b"api.example.com"[..], &b""[..])
    );
    let v6 = tunnel.replace("api.example.com:443", "[2001:db8::1]:443");
    assert_eq!(decode(&v6).unwrap().host, b"[2001:db8::1]");
    // Other methods keep their origin-form paths, even one that looks like an authority.
    let odd = tunnel.replace("CONNECT", "GET");
    assert_eq!(decode(&odd).unwrap().path, b"api.example.com:443");
}

#[test]
fn truncated_request_zones_and_old_timers() {
    let cut = &DOC[..DOC.len() - " HTTP/1.1\"".len()];
    let e = decode(cut).unwrap();
    assert_eq!((e.method, e.path), (&b"GET"[..], &b"/index.html"[..]));
    let cut = &DOC[..DOC.len() - "dex.html HTTP/1.1\"".len()];
    assert_eq!(decode(cut).unwrap().path, b"/in");
    let with_zone = DOC.replace("06/Feb/2009:12:14:14.655", "06/Feb/2009:13:14:14 +0100");
    assert_eq!(
        decode(&with_zone).unwrap().time_us,
        utc(2009, 2, 6, 12, 14, 14, 109_000)
    );
    let west = DOC.replace("06/Feb/2009:12:14:14.655", "06/Feb/2009:07:14:14.655 -0500");
    assert_eq!(decode(&west), decode(DOC));
    // HAProxy 1.4's Tq/Tw/Tc/Tr/Tt has the same shape; Tt is the total.
    let old = DOC.replace("10/0/30/69/109", "10/0/30/69/+120");
    assert_eq!(decode(&old).unwrap().latency_us, Some(120_000));
}

#[test]
fn the_client_is_the_address_before_the_date() {
    let client = |line: &str| {
        HaproxyDecoder
            .decode(line.as_bytes())
            .unwrap()
            .client
            .to_vec()
    };
    assert_eq!(client(DOC), b"10.0.1.2".to_vec());
    assert_eq!(client(BARE_H2), b"2001:db8::7".to_vec());
    assert_eq!(client(NOSRV_503), b"192.0.2.9".to_vec());
    // A UNIX socket's `unix:1`, or nothing before the date: no client, the line decodes.
    assert_eq!(
        client(&DOC.replace("10.0.1.2:33317", "unix:1")),
        b"".to_vec()
    );
    assert_eq!(client(&DOC.replace("10.0.1.2:33317 ", "")), b"".to_vec());
    let bare = BARE_H2.replace("2001:db8::7:51234 ", "");
    assert_eq!(client(&bare), b"".to_vec());
}

#[test]
fn every_error_reason() {
    assert_eq!(decode(""), Err(DecodeError::Empty));
    assert_eq!(
        decode("Feb  6 12:14:14 localhost haproxy[14389]: Connect from 10.0.1.2:33312"),
        Err(DecodeError::BadTime)
    );
    for date in [
        "06/Foo/2009:12:14:14.655",
        "06/Feb/2009:12:14:14.",
        "06/Feb/2009 12:14:14",
    ] {
        let line = DOC.replace("06/Feb/2009:12:14:14.655", date);
        assert_eq!(decode(&line), Err(DecodeError::BadTime), "{date}");
    }
    let cut = DOC.split(" 1/1/1/1/0").next().unwrap();
    assert_eq!(decode(cut), Err(DecodeError::MissingFields));
    let no_request = DOC.split(" {1wt.eu}").next().unwrap();
    assert_eq!(decode(no_request), Err(DecodeError::MissingFields));
    let open_block = DOC.replace("{1wt.eu} {}", "{1wt.eu");
    assert_eq!(decode(&open_block), Err(DecodeError::MissingFields));
    let unquoted = DOC.replace("\"GET /index.html HTTP/1.1\"", "GET");
    assert_eq!(decode(&unquoted), Err(DecodeError::BadRequest));
    for timers in [
        "10/0/30/69",
        "10/0/30/69/109/1",
        "10/0/x/69/109",
        "+10/0/30/69/109",
        "10/0/30/69/-2",
    ] {
        let line = DOC.replace("10/0/30/69/109", timers);
        assert_eq!(decode(&line), Err(DecodeError::BadLatency), "{timers}");
    }
    for status in ["-", "-2", "20", "600"] {
        let line = DOC.replace(" 200 ", &format!(" {status} "));
        assert_eq!(decode(&line), Err(DecodeError::BadStatus), "{status}");
    }
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = HaproxyDecoder.decode(&bytes);
    }

    #[test]
    fn never_panics_on_field_like_text(text in r#"[a-zA-Z0-9 "{}\[\]./:+\-]{0,200}"#) {
        let _ = HaproxyDecoder.decode(text.as_bytes());
    }

    #[test]
    fn never_panics_on_mutations(which in 0..6usize, edits in crate::decode::testing::edits()) {
        let line = crate::decode::testing::mutate([DOC, LOGASAP, ABORTED, BADREQ, BARE_H2, NOSRV_503][which], edits);
        let _ = HaproxyDecoder.decode(&line);
    }

    #[test]
    fn event_time_is_date_plus_total(ta in 0..100_000_000i64) {
        let line = DOC.replace("/109 ", &format!("/{ta} "));
        let e = decode(&line).unwrap();
        prop_assert_eq!(e.time_us, utc(2009, 2, 6, 12, 14, 14, 655_000) + ta * 1000);
        prop_assert_eq!(e.latency_us, Some(ta * 1000));
    }
}

use super::*;
use proptest::prelude::*;

const T0: i64 = 1_795_255_200_000_000;

fn path(text: &str) -> JsonPath {
    JsonPath::parse(text).unwrap()
}

/// Nested keys in an ECS-like layout, epoch milliseconds, latency in seconds.
fn ecs() -> JsonDecoder {
    JsonDecoder::new(JsonMapping {
        time: path("ts"),
        time_format: TimeFormat::Epoch(Unit::Millis),
        status: path("http.response.status_code"),
        latency: Some((path("event.duration_s"), Unit::Seconds)),
        method: Some(path("http.request.method")),
        host: Some(path("url.domain")),
        path: Some(path("url.path")),
        url: None,
        backend: Some(path("upstream.name")),
        request_id: Some(path("trace.id")),
        client: Some(path("source.address")),
    })
}

/// Flat keys, RFC 3339 time, latency in ms, host and path from a URL.
fn flat() -> JsonDecoder {
    JsonDecoder::new(JsonMapping {
        time: path("time"),
        time_format: TimeFormat::Rfc3339,
        status: path("status"),
        latency: Some((path("latency_ms"), Unit::Millis)),
        method: Some(path("method")),
        host: None,
        path: None,
        url: Some(path("url")),
        backend: Some(path("backend")),
        request_id: Some(path("id")),
        client: Some(path("client")),
    })
}

const ECS: &str = r#"{"ts": 1795255200123, "http": {"request": {"method": "GET"}, "response": {"status_code": 502}}, "url": {"domain": "shop.example.com:443", "path": "/cart?x=1"}, "event": {"duration_s": 0.25}, "upstream": {"name": "cart"}, "trace": {"id": "abc"}, "source": {"address": "[2001:db8::7]:51000"}}"#;
const FLAT_STRINGS: &str = r#"{"time":"2026-11-21T11:00:00.5+01:00","status":"200","latency_ms":"12.345","method":"POST","url":"https://api.example.com:8443/v1/orders?id=7","backend":"orders","id":42,"client":"198.51.100.4"}"#;

#[test]
fn nested_keys_and_epoch_millis() {
    assert_eq!(
        ecs().decode(ECS.as_bytes()),
        Ok(Event {
            time_us: T0 + 123_000,
            status: 502,
            latency_us: Some(250_000),
            method: b"GET",
            host: b"shop.example.com",
            path: b"/cart",
            backend: b"cart",
            long_lived: false,
            request_id: b"abc",
            client: b"2001:db8::7",
        })
    );
}

#[test]
fn string_values_and_urls() {
    assert_eq!(
        flat().decode(FLAT_STRINGS.as_bytes()),
        Ok(Event {
            time_us: T0 + 500_000,
            status: 200,
            latency_us: Some(12_345),
            method: b"POST",
            host: b"api.example.com",
            path: b"/v1/orders",
            backend: b"orders",
            long_lived: false,
            request_id: b"42",
            client: b"198.51.100.4",
        })
    );
    let origin = FLAT_STRINGS.replace(
        "https://api.example.com:8443/v1/orders?id=7",
        "/v1/orders?id=7",
    );
    let e = flat().decode(origin.as_bytes()).unwrap();
    assert_eq!((e.host, e.path), (&b""[..], &b"/v1/orders"[..]));
    let minimal = r#"{"time":"2026-11-21T10:00:00Z","status":0,"latency_ms":9}"#;
    let e = flat().decode(minimal.as_bytes()).unwrap();
    assert_eq!((e.time_us, e.status, e.latency_us), (T0, 0, None));
    assert_eq!(
        (e.method, e.host, e.path, e.backend),
        (&b""[..], &b""[..], &b""[..], &b""[..])
    );
    for unknown in ["null", r#""-""#, "-1", r#""""#] {
        let line = FLAT_STRINGS.replace(r#""12.345""#, unknown);
        assert_eq!(
            flat().decode(line.as_bytes()).unwrap().latency_us,
            None,
            "{unknown}"
        );
    }
}

#[test]
fn epoch_units_and_no_latency_field() {
    for (format, text) in [
        (TimeFormat::Epoch(Unit::Seconds), "1795255200.000001"),
        (TimeFormat::Epoch(Unit::Millis), "\"1795255200000.001\""),
        (TimeFormat::Epoch(Unit::Micros), "1795255200000001"),
    ] {
        let mut m = flat().mapping;
        m.time_format = format;
        m.latency = None;
        let line = format!(r#"{{"time":{text},"status":204,"latency_ms":5}}"#);
        let e = JsonDecoder::new(m).decode(line.as_bytes()).unwrap();
        assert_eq!((e.time_us, e.latency_us), (T0 + 1, None), "{text}");
    }
}

#[test]
fn paths_names_and_units() {
    assert_eq!(JsonPath::parse("a.b").unwrap().segments(), ["a", "b"]);
    assert_eq!(JsonPath::parse("a.b").unwrap().to_string(), "a.b");
    for bad in ["", "a.", ".a", "a..b"] {
        assert_eq!(JsonPath::parse(bad), None, "{bad}");
    }
    for f in TimeFormat::ALL {
        assert_eq!(TimeFormat::from_name(f.name()), Some(f));
    }
    for u in Unit::ALL {
        assert_eq!(Unit::from_name(u.name()), Some(u));
    }
    assert_eq!(TimeFormat::from_name("iso"), None);
    assert_eq!(Unit::from_name("sec"), None);
}

#[test]
fn every_error_reason() {
    let d = flat();
    let decode = |line: &str| d.decode(line.as_bytes()).err();
    assert_eq!(decode(""), Some(DecodeError::Empty));
    assert_eq!(decode("GET / 200"), Some(DecodeError::MissingFields));
    assert_eq!(
        decode(r#"{"status":200}"#),
        Some(DecodeError::MissingFields)
    );
    assert_eq!(
        decode(r#"{"time":"2026-11-21T10:00:00Z"}"#),
        Some(DecodeError::MissingFields)
    );
    assert_eq!(
        decode(r#"{"time":"2026-11-21T10:00:00Z","status":"2"#),
        Some(DecodeError::UnterminatedQuote)
    );
    for time in ["1795255200", r#""21/Nov/2026""#, "null", "{}"] {
        let line = FLAT_STRINGS.replace(r#""2026-11-21T11:00:00.5+01:00""#, time);
        assert_eq!(decode(&line), Some(DecodeError::BadTime), "{time}");
    }
    let epoch = ecs();
    let line = ECS.replace("1795255200123", r#""soon""#);
    assert_eq!(
        epoch.decode(line.as_bytes()).err(),
        Some(DecodeError::BadTime)
    );
    for status in [r#""ok""#, "700", "null", "[200]"] {
        let line = FLAT_STRINGS.replace(r#""200""#, status);
        assert_eq!(decode(&line), Some(DecodeError::BadStatus), "{status}");
    }
    for latency in [r#""12ms""#, "1e1", "true"] {
        let line = FLAT_STRINGS.replace(r#""12.345""#, latency);
        assert_eq!(decode(&line), Some(DecodeError::BadLatency), "{latency}");
    }
}

#[test]
fn the_client_field_drops_a_port_and_refuses_what_is_no_address() {
    let line = |client: &str| FLAT_STRINGS.replace(r#""198.51.100.4""#, client);
    for (value, want) in [
        (r#""198.51.100.4:52000""#, Ok(&b"198.51.100.4"[..])),
        (r#""[2001:db8::1]:443""#, Ok(b"2001:db8::1")),
        (r#""2001:db8::1""#, Ok(b"2001:db8::1")),
        (r#""-""#, Ok(b"")),
        ("null", Ok(b"")),
        (r#""unix:/run/app.sock""#, Ok(b"")),
        // Not an address: no client (the line still decodes).
        (r#""client.example""#, Ok(b"")),
        ("42", Ok(b"")),
    ] {
        let line = line(value);
        assert_eq!(
            flat().decode(line.as_bytes()).map(|e| e.client),
            want,
            "{value}"
        );
    }
    // Not configured: no client, whatever the line holds.
    let unmapped = JsonDecoder::new(JsonMapping {
        client: None,
        ..flat().mapping
    });
    assert_eq!(
        unmapped
            .decode(line(r#""nope""#).as_bytes())
            .map(|e| e.client),
        Ok(&b""[..])
    );
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = flat().decode(&bytes);
        let _ = ecs().decode(&bytes);
    }

    #[test]
    fn never_panics_on_mutations(which in 0..2usize, edits in crate::decode::testing::edits()) {
        let line = crate::decode::testing::mutate([ECS, FLAT_STRINGS][which], edits);
        let _ = flat().decode(&line);
        let _ = ecs().decode(&line);
    }
}

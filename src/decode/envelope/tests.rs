use super::*;
use proptest::prelude::*;

const VECTOR: &[u8] = br#"{"host":"lb-1","message":"GET \"/x\" 200","source_type":"file","timestamp":"2026-11-21T10:00:00.5Z"}"#;
const FILEBEAT: &[u8] = br#"{"@timestamp":"2026-11-21T10:00:01.000Z","@metadata":{"beat":"filebeat"},"log":{"offset":42,"file":{"path":"/var/log/nginx/access.log"}},"message":"plain line","host":{"name":"web-1"},"agent":{"type":"filebeat"}}"#;
const FLUENTBIT: &[u8] = br#"{"@timestamp":1795255201.5,"log":"plain line","stream":"stdout"}"#;

/// (The reference.) The text of a JSON string from its raw bytes between the quotes: borrowed when it has no
/// escapes, else unescaped into `scratch` (its allocation is reused). `None` for what JSON
/// does not allow: invalid UTF-8, a control character, an unknown escape, or a `\u` escape
/// that is not a character (a lone surrogate).
fn unescape<'a>(raw: &'a [u8], scratch: &'a mut String) -> Option<&'a [u8]> {
    let text = std::str::from_utf8(raw).ok()?;
    // A fold, not `any`: without the early exit it compiles to a vectorized scan.
    if text.bytes().fold(false, |control, b| control | (b < 0x20)) {
        return None;
    }
    let Some(first) = memchr::memchr(b'\\', raw) else {
        return Some(raw);
    };
    scratch.clear();
    scratch.push_str(text.get(..first)?);
    let mut rest = text.get(first..)?;
    while let Some(escaped) = rest.strip_prefix('\\') {
        let mut chars = escaped.chars();
        let c = match chars.next()? {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let unit = hex4(chars.as_str())?;
                chars = chars.as_str().get(4..)?.chars();
                let code = if (0xD800..0xDC00).contains(&unit) {
                    // A high surrogate must be followed by an escaped low one.
                    let tail = chars.as_str().strip_prefix("\\u")?;
                    let low = hex4(tail)?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return None;
                    }
                    chars = tail.get(4..)?.chars();
                    0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    unit
                };
                char::from_u32(code)?
            }
            _ => return None,
        };
        scratch.push(c);
        let after = chars.as_str();
        let next = memchr::memchr(b'\\', after.as_bytes()).unwrap_or(after.len());
        scratch.push_str(after.get(..next)?);
        rest = after.get(next..)?;
    }
    Some(scratch.as_bytes())
}

/// The value of four hex digits at the start of `s`.
fn hex4(s: &str) -> Option<u32> {
    let digits = s.get(..4)?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

/// How a payload was opened before the one-pass reader: every value located first
/// ([`jsonscan::lookup`]), then the chosen string validated and unescaped.
fn open_by_two_passes(e: Envelope, payload: &[u8]) -> Result<Vec<u8>, DecodeError> {
    use crate::decode::jsonscan::Value;
    let paths: &[&[&[u8]]] = match e {
        Envelope::None => return Ok(payload.to_vec()),
        Envelope::Json => &[&[MESSAGE], &[LOG]],
        Envelope::Vector | Envelope::Filebeat => &[&[MESSAGE]],
        Envelope::Fluentbit => &[&[LOG]],
        Envelope::OtlpProto | Envelope::OtlpJson => return Err(DecodeError::BadEnvelope),
    };
    let mut found = [None, None];
    jsonscan::lookup(payload, paths, &mut found).map_err(|_| DecodeError::BadEnvelope)?;
    let raw = found
        .into_iter()
        .find_map(|v| match v {
            Some(Value::Str(raw)) => Some(raw),
            _ => None,
        })
        .ok_or(DecodeError::BadEnvelope)?;
    let mut scratch = String::new();
    unescape(raw, &mut scratch)
        .map(<[u8]>::to_vec)
        .ok_or(DecodeError::BadEnvelope)
}

fn open(e: Envelope, payload: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut scratch = Vec::new();
    e.open(payload, &mut scratch).map(<[u8]>::to_vec)
}

#[test]
fn lines_come_out_of_their_envelopes() {
    assert_eq!(open(Envelope::None, b"raw line"), Ok(b"raw line".to_vec()));
    let quoted = br#"GET "/x" 200"#.to_vec();
    assert_eq!(open(Envelope::Json, VECTOR), Ok(quoted.clone()));
    assert_eq!(open(Envelope::Vector, VECTOR), Ok(quoted));
    assert_eq!(
        open(Envelope::Filebeat, FILEBEAT),
        Ok(b"plain line".to_vec())
    );
    assert_eq!(open(Envelope::Json, FILEBEAT), Ok(b"plain line".to_vec()));
    assert_eq!(
        open(Envelope::Fluentbit, FLUENTBIT),
        Ok(b"plain line".to_vec())
    );
    assert_eq!(open(Envelope::Json, FLUENTBIT), Ok(b"plain line".to_vec()));
    let mut scratch = Vec::new();
    let borrowed = Envelope::Fluentbit.open(FLUENTBIT, &mut scratch).unwrap();
    assert!(FLUENTBIT.as_ptr_range().contains(&borrowed.as_ptr()));
}

#[test]
fn each_envelope_rejects_other_shapes() {
    for bad in [&b"not json"[..], b"{}", br#"{"message": 5}"#, b"[1]", b""] {
        for e in [
            Envelope::Json,
            Envelope::Vector,
            Envelope::Filebeat,
            Envelope::Fluentbit,
        ] {
            assert_eq!(open(e, bad), Err(DecodeError::BadEnvelope), "{e:?} {bad:?}");
        }
    }
    // Fluent Bit's key is `log`; Vector's and Filebeat's is `message`.
    assert_eq!(
        open(Envelope::Fluentbit, VECTOR),
        Err(DecodeError::BadEnvelope)
    );
    assert_eq!(
        open(Envelope::Vector, FLUENTBIT),
        Err(DecodeError::BadEnvelope)
    );
    assert_eq!(
        open(Envelope::Filebeat, FLUENTBIT),
        Err(DecodeError::BadEnvelope)
    );
    assert_eq!(
        open(Envelope::Vector, br#"{"message": {"a": 1}}"#),
        Err(DecodeError::BadEnvelope)
    );
    let odd = br#"{"message": [1, {"a": null}], "log": "line", "n": 1.5, "t": true}"#;
    assert_eq!(open(Envelope::Json, odd), Ok(b"line".to_vec()));
    assert_eq!(
        open(Envelope::Json, br#"{"message": null, "log": 7}"#),
        Err(DecodeError::BadEnvelope)
    );
}

#[test]
fn names() {
    for e in Envelope::ALL {
        assert_eq!(Envelope::from_name(e.name()), Some(e));
    }
    assert_eq!(Envelope::from_name("logstash"), None);
}

proptest! {
    /// Any string serde_json writes comes back out exactly, with other keys around it.
    #[test]
    fn matches_serde_json(line in "\\PC*|[\\x00-\\x7f\u{80}-\u{10ffff}]{0,40}", which in 0..4usize) {
        let (e, key) = [
            (Envelope::Vector, "message"),
            (Envelope::Filebeat, "message"),
            (Envelope::Fluentbit, "log"),
            (Envelope::Json, "message"),
        ][which];
        let payload = serde_json::to_vec(&serde_json::json!({
            "timestamp": "2026-11-21T10:00:00Z",
            key: line,
            "nested": {"message": [1, "x"], "log": null},
        }))
        .unwrap();
        prop_assert_eq!(open(e, &payload), Ok(line.as_bytes().to_vec()));
    }

    /// Runs of every length between escapes come back exactly: after the first escape
    /// the text is copied a word at a time, and a run may end anywhere in a word.
    #[test]
    fn runs_of_any_length_between_escapes(
        parts in proptest::collection::vec(
            (
                "[a-z\u{e9}]{0,20}",
                prop_oneof![Just("\""), Just("\\"), Just("\n"), Just("\u{1}"), Just("/"), Just("")],
            ),
            0..12,
        ),
    ) {
        let line: String = parts.iter().flat_map(|(run, stop)| [run.as_str(), *stop]).collect();
        let payload = serde_json::to_vec(&serde_json::json!({"message": line, "host": "h"})).unwrap();
        prop_assert_eq!(open(Envelope::Vector, &payload), Ok(line.into_bytes()));
    }

    /// serde_json's verdict on a string's escapes is the envelope's verdict.
    #[test]
    fn rejects_what_serde_json_rejects(body in "([a-z \"]|\\\\[\"\\\\/bfnrtux]|\\\\u[0-9a-fA-F]{4}|\\\\u[dD][89abAB][0-9a-f]{2}){0,8}") {
        let payload = format!(r#"{{"message":"{body}"}}"#);
        let expected = serde_json::from_str::<serde_json::Value>(&payload)
            .ok()
            .and_then(|v| v["message"].as_str().map(|s| s.as_bytes().to_vec()))
            .ok_or(DecodeError::BadEnvelope);
        prop_assert_eq!(open(Envelope::Vector, payload.as_bytes()), expected);
    }

    /// The one-pass reader opens every payload as locating, then unescaping, did: objects
    /// with the keys in any order, of any type, strings with escapes, control characters
    /// and invalid UTF-8, and broken JSON.
    #[test]
    fn one_pass_is_the_two_pass_reading(
        members in proptest::collection::vec(
            (
                prop_oneof![Just("message"), Just("log"), Just("host"), Just("me\\u0073sage")],
                prop_oneof![
                    proptest::collection::vec(prop_oneof![
                        Just(b'a'), Just(b' '), Just(b'"'), Just(b'\\'), Just(b'n'), Just(b'u'),
                        Just(b'0'), Just(b'd'), Just(b'8'), Just(b'\t'), Just(0xc3u8), Just(0xa9u8),
                        Just(0xffu8)
                    ], 0..24).prop_map(|b| { let mut v = vec![b'"']; v.extend(b); v.push(b'"'); v }),
                    Just(b"42".to_vec()),
                    Just(b"{\"message\":\"x\"}".to_vec()),
                    Just(b"[\"a\", null]".to_vec()),
                    Just(b"\"plain text\"".to_vec()),
                ],
            ),
            0..4,
        ),
        which in 0..4usize,
        cut in proptest::option::of(0usize..80),
    ) {
        let mut payload = b"{".to_vec();
        for (i, (key, value)) in members.iter().enumerate() {
            if i > 0 {
                payload.push(b',');
            }
            payload.extend_from_slice(format!("\"{key}\": ").as_bytes());
            payload.extend_from_slice(value);
        }
        payload.push(b'}');
        if let Some(cut) = cut {
            payload.truncate(cut);
        }
        let e = [Envelope::Vector, Envelope::Filebeat, Envelope::Fluentbit, Envelope::Json][which];
        prop_assert_eq!(open(e, &payload), open_by_two_passes(e, &payload));
    }

    /// One buffer reused from payload to payload, as the pipeline does, gives each line
    /// as a fresh buffer does: it only grows, so after a longer line it holds more than
    /// a shorter line's text.
    #[test]
    fn a_reused_buffer_gives_each_line(
        lines in proptest::collection::vec("([a-z\u{e9}]{0,12}[\"\\\\\n]?){0,10}", 1..6),
    ) {
        let mut scratch = Vec::new();
        for line in lines {
            let payload = serde_json::to_vec(&serde_json::json!({"message": line})).unwrap();
            let got = Envelope::Vector.open(&payload, &mut scratch).map(<[u8]>::to_vec);
            prop_assert_eq!(got, Ok(line.into_bytes()));
        }
    }

    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), which in 0..5usize) {
        let mut scratch = Vec::new();
        let _ = Envelope::ALL[which].open(&bytes, &mut scratch);
    }
}

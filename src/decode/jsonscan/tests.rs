use super::*;
use proptest::prelude::*;

fn get<'a>(line: &'a str, paths: &[&str]) -> Result<Vec<Option<Value<'a>>>, DecodeError> {
    let split: Vec<Vec<&str>> = paths.iter().map(|p| p.split('.').collect()).collect();
    let refs: Vec<&[&str]> = split.iter().map(Vec::as_slice).collect();
    let mut out = vec![None; paths.len()];
    lookup(line.as_bytes(), &refs, &mut out)?;
    Ok(out)
}

#[test]
fn values_at_paths() {
    let line = r#" {"a": "x\"y", "n": -1.5e3, "t": true, "z": null,
            "o": {"p": {"q": 7}, "arr": [1, {"q": 8}, "]"]}, "a": "dup", "e": {}, "l": []} "#;
    let got = get(
        line,
        &[
            "a", "n", "t", "z", "o.p.q", "o.arr", "missing", "a.b", "o.p", "e",
        ],
    )
    .unwrap();
    assert_eq!(
        got,
        [
            Some(Value::Str(br#"x\"y"#)),
            Some(Value::Num(b"-1.5e3")),
            Some(Value::Bool(true)),
            Some(Value::Null),
            Some(Value::Num(b"7")),
            Some(Value::Array(br#"[1, {"q": 8}, "]"]"#)),
            None,
            None,
            Some(Value::Object(br#"{"q": 7}"#)),
            Some(Value::Object(b"{}")),
        ]
    );
}

#[test]
fn malformed_lines() {
    for bad in [
        "",
        "[]",
        "5",
        "\"s\"",
        "{",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{\"a\":1}x",
        "{\"a\":tru}",
        "{a:1}",
        "{\"a\":1 \"b\":2}",
        "{\"a\":[1 2]}",
    ] {
        assert_eq!(get(bad, &["a"]), Err(DecodeError::MissingFields), "{bad}");
    }
    assert_eq!(
        get(r#"{"a":"x"#, &["a"]),
        Err(DecodeError::UnterminatedQuote)
    );
    assert_eq!(get(r#"{"a\"#, &["a"]), Err(DecodeError::UnterminatedQuote));
    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100));
    assert_eq!(get(&deep, &["a"]), Err(DecodeError::MissingFields));
}

#[test]
fn statuses_durations_and_text() {
    assert_eq!(status(Some(Value::Num(b"200"))), Ok(200));
    assert_eq!(status(Some(Value::Str(b"503"))), Ok(503));
    assert_eq!(status(Some(Value::Num(b"0"))), Ok(0));
    for bad in [
        Value::Num(b"99"),
        Value::Num(b"600"),
        Value::Num(b"-1"),
        Value::Str(b"-"),
        Value::Null,
    ] {
        assert_eq!(status(Some(bad)), Err(DecodeError::BadStatus), "{bad:?}");
    }
    assert_eq!(status(None), Err(DecodeError::BadStatus));
    let ms = |v| duration_us(v, Unit::Millis);
    assert_eq!(ms(Some(Value::Num(b"57"))), Ok(Some(57_000)));
    assert_eq!(ms(Some(Value::Str(b"1.5"))), Ok(Some(1_500)));
    for unknown in [
        None,
        Some(Value::Null),
        Some(Value::Str(b"-")),
        Some(Value::Str(b"")),
        Some(Value::Num(b"-1")),
    ] {
        assert_eq!(ms(unknown), Ok(None), "{unknown:?}");
    }
    for bad in [
        Value::Num(b"1e3"),
        Value::Str(b"fast"),
        Value::Bool(true),
        Value::Num(b"--1"),
    ] {
        assert_eq!(ms(Some(bad)), Err(DecodeError::BadLatency), "{bad:?}");
    }
    assert_eq!(text(Some(Value::Str(b"abc"))), b"abc");
    assert_eq!(text(Some(Value::Num(b"12"))), b"12");
    assert_eq!(text(Some(Value::Str(b"-"))), b"");
    assert_eq!(text(Some(Value::Null)), b"");
    assert_eq!(text(None), b"");
}

proptest! {
    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut out = [None, None];
        let _ = lookup(&bytes, &[&["a"][..], &["a", "b"][..]], &mut out);
    }

    #[test]
    fn never_panics_on_json_like_text(text in r#"[{}\[\]",:ab0-9 \\.-]{0,120}"#) {
        let mut out = [None, None];
        let _ = lookup(text.as_bytes(), &[&["a"][..], &["a", "b"][..]], &mut out);
    }
}

use super::*;

fn fields(line: &[u8]) -> Vec<Result<&[u8], DecodeError>> {
    Fields::new(line).collect()
}

#[test]
fn bare_and_quoted_fields() {
    let want: [&[u8]; 5] = [b"a", b"b c", b"", b"-", b"d"];
    assert_eq!(fields(br#"a "b c" ""  - d"#), want.map(Ok));
    assert_eq!(fields(b"  "), []);
}

#[test]
fn quote_closes_only_before_space_or_end() {
    let want: [&[u8]; 2] = [br#"a "b"c"#, b"x"];
    assert_eq!(fields(br#""a "b"c" x"#), want.map(Ok));
    // An unescaped quote followed by a space closes the field, as the format says.
    let want: [&[u8]; 3] = [br#"say "hi"#, br#"now""#, b"x"];
    assert_eq!(fields(br#""say "hi" now" x"#), want.map(Ok));
    let want: [&[u8]; 2] = [br#"a \"b\" c"#, b"x"];
    assert_eq!(fields(br#""a \"b\" c" x"#), want.map(Ok));
    let want: [&[u8]; 1] = [br"a\\"];
    assert_eq!(fields(br#""a\\""#), want.map(Ok));
}

#[test]
fn unterminated_quote_ends_iteration() {
    let unterminated = [Ok(&b"a"[..]), Err(DecodeError::UnterminatedQuote)];
    assert_eq!(fields(br#"a "b c"#), unterminated);
    assert_eq!(fields(br#"a "b\""#), unterminated);
    assert_eq!(fields(br#"a "b"c"#), unterminated);
    assert_eq!(fields(b"a \""), unterminated);
    let mut f = Fields::new(br#"a "b" "c"#);
    assert_eq!(f.optional_after(2), Err(DecodeError::UnterminatedQuote));
    assert_eq!(Fields::new(b"a b").optional_after(2), Ok(None));
    assert_eq!(Fields::new(b"a b c").optional_after(2), Ok(Some(&b"c"[..])));
    assert_eq!(Fields::new(b"").required(), Err(DecodeError::MissingFields));
}

/// The fields of `line` found byte by byte, as [`Fields`] was written before its
/// searches were vectorized or took a word at a time.
fn fields_by_loops(mut line: &[u8]) -> Vec<Result<&[u8], DecodeError>> {
    let mut out = Vec::new();
    loop {
        while let [b' ', tail @ ..] = line {
            line = tail;
        }
        let Some((&first, body)) = line.split_first() else {
            return out;
        };
        if first != b'"' {
            let end = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
            out.push(Ok(&line[..end]));
            line = line.get(end + 1..).unwrap_or_default();
            continue;
        }
        let mut i = 0;
        let close = loop {
            match body.get(i) {
                None => break None,
                Some(b'\\') => i += 2,
                Some(b'"') if matches!(body.get(i + 1), None | Some(b' ')) => break Some(i),
                Some(_) => i += 1,
            }
        };
        let Some(close) = close else {
            out.push(Err(DecodeError::UnterminatedQuote));
            return out;
        };
        out.push(Ok(&body[..close]));
        line = body.get(close + 1..).unwrap_or_default();
    }
}

proptest::proptest! {
    /// Fields of any length (around the 8 bytes tested in one word), quoted or bare,
    /// split as the byte loops split them.
    #[test]
    fn fields_are_the_byte_loop_fields(
        parts in proptest::collection::vec(
            (proptest::string::bytes_regex("(?s-u:[a-z\"\\\\ ]{0,20})").unwrap(), 0usize..3),
            0..8,
        ),
    ) {
        let mut line = Vec::new();
        for (part, spaces) in &parts {
            line.extend_from_slice(part);
            line.extend(std::iter::repeat_n(b' ', *spaces));
        }
        proptest::prop_assert_eq!(fields(&line), fields_by_loops(&line));
    }
}

#[test]
fn request_lines() {
    let parts = |m: &'static [u8], t: &'static [u8], p: Option<&'static [u8]>| {
        Some(RequestLine {
            method: m,
            target: t,
            protocol: p,
        })
    };
    assert_eq!(
        split_request(b"GET / HTTP/1.1"),
        parts(b"GET", b"/", Some(b"HTTP/1.1"))
    );
    assert_eq!(split_request(b"- - - "), parts(b"-", b"-", Some(b"- ")));
    assert_eq!(split_request(b"GET /"), parts(b"GET", b"/", None));
    assert_eq!(split_request(b"-"), None);
}

#[test]
fn targets() {
    let cases: [(&[u8], &[u8], &[u8]); 12] = [
        (b"http://www.example.com:80/", b"www.example.com", b"/"),
        (
            b"https://Api.Example.com:443/v1/x?q=1&b=2",
            b"Api.Example.com",
            b"/v1/x",
        ),
        (b"https://example.com", b"example.com", b"/"),
        (b"https://example.com?x=1", b"example.com", b"/"),
        (b"https://10.0.2.105:773/", b"10.0.2.105", b"/"),
        (b"https://[2001:db8::1]:443/a", b"[2001:db8::1]", b"/a"),
        (b"http://user:pw@host:8080/p#frag", b"host", b"/p"),
        (b"/search?q=a:b", b"", b"/search"),
        (b"/a://b", b"", b"/a://b"),
        (b"*", b"", b"*"),
        (b"-", b"", b""),
        (b"", b"", b""),
    ];
    for (target, host, path) in cases {
        assert_eq!(split_target(target), (host, path), "{target:?}");
    }
}

/// [`split_target`] as it was written before its searches used `memchr`: byte loops.
fn split_target_by_loops(target: &[u8]) -> (&[u8], &[u8]) {
    if target == b"-" {
        return (&[], &[]);
    }
    let query = |s: &[u8]| {
        s.iter()
            .position(|&b| matches!(b, b'?' | b'#'))
            .unwrap_or(s.len())
    };
    let Some(after) = strip_scheme(target) else {
        return (&[], &target[..query(target)]);
    };
    let end = after
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    let host_port = match authority.iter().rposition(|&b| b == b'@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    let host = match host_port {
        [b'[', ..] => match host_port.iter().position(|&b| b == b']') {
            Some(i) => &host_port[..=i],
            None => host_port,
        },
        _ => match host_port.iter().position(|&b| b == b':') {
            Some(i) => &host_port[..i],
            None => host_port,
        },
    };
    let path = match &rest[..query(rest)] {
        [] => b"/",
        path => path,
    };
    (host, path)
}

proptest::proptest! {
    /// The `memchr` searches split every target as the byte loops did.
    #[test]
    fn split_target_is_the_byte_loop_split(
        target in "(https?://)?([a-z@:\\[\\]]{0,12})([/?#a-z:]{0,16})",
    ) {
        let t = target.as_bytes();
        proptest::prop_assert_eq!(split_target(t), split_target_by_loops(t));
    }
}

#[test]
fn statuses() {
    assert_eq!(parse_status(b"200"), Ok(200));
    assert_eq!(parse_status(b"100"), Ok(100));
    assert_eq!(parse_status(b"599"), Ok(599));
    for bad in [&b"099"[..], b"600", b"-", b"20", b"2000", b"2x0", b""] {
        assert_eq!(parse_status(bad), Err(DecodeError::BadStatus), "{bad:?}");
    }
}

#[test]
fn digit_runs() {
    assert_eq!(digits(b"2018"), Some(2018));
    assert_eq!(digits(b"07"), Some(7));
    assert_eq!(digits(b""), None);
    assert_eq!(digits(b"1a"), None);
    assert_eq!(digits(b"99999999999"), None);
    assert_eq!(trim_line(b" \t\r\n"), Err(DecodeError::Empty));
    assert_eq!(trim_line(b" a b\r"), Ok(&b"a b"[..]));
}

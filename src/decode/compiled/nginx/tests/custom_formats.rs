//! Formats given as text: pasted `log_format` directives, JSON and custom formats,
//! `escape=none`, and formats that cannot work and do not compile.

use super::*;

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

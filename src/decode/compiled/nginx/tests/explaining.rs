//! What a format tells: where a line that does not fit goes wrong, what each variable gives,
//! and a debug form that names only the format.

use super::*;

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

#[test]
fn debug_forms_name_only_the_format_for_fingerprints() {
    // Cluster fingerprints hash the decoding's debug form: it must not show a searcher's
    // internals (which a memchr release, or the CPU it picks a searcher for, may change).
    let shown = format!("{:?}", preset("main"));
    assert_eq!(shown, format!("{:?}", preset("main")));
    assert!(!shown.contains("earcher"), "{shown}");
    assert!(shown.contains(r#"Finder(" [")"#), "{shown}");
}

//! Whole inputs: many lines (blanks skipped, failures counted, JSON lines printed), a
//! compiled nginx format shown once, a W3C file under its header, and an OTLP batch record by
//! record.

use super::*;

#[test]
fn many_lines_skip_blanks_count_failures_and_print_json_lines() {
    let input = format!(
        "{}\n\n{}\r\nbroken\n",
        checkout(200, "0 0 0"),
        checkout(502, "0 0 0")
    );
    let mut out = Vec::new();
    let failed = explainer()
        .explain_all(input.as_bytes(), true, NOON, &mut out)
        .unwrap();
    assert_eq!(failed, 1);
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["line_number"], 1);
    assert_eq!(lines[1]["line_number"], 3);
    assert_eq!(lines[1]["slos"][0]["outcome"], "bad");
    assert_eq!(lines[2]["line_number"], 4);
    assert_eq!(lines[2]["decoded"], false);
    assert_eq!(lines[2]["error"]["reason"], "bad_envelope");
}

#[test]
fn a_compiled_format_is_shown_and_a_line_that_does_not_fit_says_where() {
    let config = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: ingress}
spec:
  source: {stdin: {}}
  decode: {format: nginx, nginx: {preset: ingress_nginx}}
  services:
    - {name: users, match: {backend: default-users-8080}}
"#;
    let x = Explainer::new(&config::parse(config, "test.yaml").unwrap());
    let good = r#"192.168.49.1 - - [21/Nov/2026:10:00:02 +0000] "GET /api/v1/users/7 HTTP/2.0" 200 312 "-" "Go-http-client/2.0" 462 0.050 [default-users-8080] [] 10.244.0.12:8080 312 0.049 200 9f1c2b7e"#;
    let bad = good.replace(" 0.050 ", " 0.05 ");
    let input = format!("{good}\n{bad}\n");
    let mut out = Vec::new();
    let failed = x
        .explain_all(input.as_bytes(), false, NOON, &mut out)
        .unwrap();
    assert_eq!(failed, 1);
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out.matches("format nginx, compiled:").count(), 1, "{out}");
    for want in [
        "  $request_time                      seconds with three decimals    gives latency\n",
        "  $proxy_upstream_name               a token without spaces         gives backend\n",
        "  $request_length                    a token without spaces         skipped\n",
        "  latency     50 ms\n",
        "  reason      bad_latency: at $request_time (seconds with three decimals), byte",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    let x = x.explain(2, bad.as_bytes(), NOON);
    let error = x.error.unwrap();
    assert_eq!((error.stage, error.reason), ("format", "bad_latency"));
    assert!(
        error.message.ends_with("not seconds with three decimals"),
        "{}",
        error.message
    );
    assert_eq!(x.format_fields.len(), 17);
    assert_eq!(x.format_fields[2].variable, "$time_local");
    assert_eq!(x.format_fields[2].gives, "time");
}

/// An explainer of `decode` (a `spec.decode` block) for the checkout service by host.
fn explainer_of(decode: &str) -> Explainer {
    let text = CONFIG.replace(
        "decode: {envelope: json, format: alb}",
        &format!("decode: {decode}"),
    );
    Explainer::new(&config::parse(&text, "test.yaml").unwrap_or_else(|e| panic!("{e}")))
}

#[test]
fn a_w3c_file_is_explained_under_its_header() {
    let x = explainer_of("{format: w3c, w3c: {preset: iis}}");
    let input = "#Software: Microsoft Internet Information Services 10.0\n\
        2026-11-20 12:00:00 GET /api/cart 200 12\n\
        #Fields: date time cs-method cs-uri-stem sc-status time-taken cs-host\n\
        2026-11-20 12:00:00 GET /api/cart 200 12 checkout.example.com\n";
    let mut out = Vec::new();
    let failed = x
        .explain_all(input.as_bytes(), true, NOON, &mut out)
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The line before the header is the only failure; the directives are not failures.
    assert_eq!(failed, 1);
    let kinds: Vec<_> = lines
        .iter()
        .map(|l| (l["directive"].is_string(), l["decoded"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [(true, false), (false, false), (true, false), (false, true)]
    );
    assert!(
        lines[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no #Fields: directive"),
        "{}",
        lines[1]
    );
    assert_eq!(lines[3]["service"], "checkout");
    assert_eq!(lines[3]["event"]["latency_us"], 12_000);
}

#[test]
fn an_otlp_batch_is_explained_record_by_record() {
    let x = explainer_of("{envelope: otlp_json, format: alb}");
    let line =
        serde_json::from_str::<serde_json::Value>(&checkout(200, "0 0 0")).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string();
    let batch = serde_json::json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"body": {"stringValue": line}},
        {"body": {"stringValue": "not an ALB line"}},
        {"body": {"kvlistValue": {"values": []}}},
    ]}]}]})
    .to_string();
    let mut state = LineState::default();
    let all = x.explain_in(7, batch.as_bytes(), NOON, &mut state);
    let got: Vec<_> = all
        .iter()
        .map(|e| {
            (
                e.line_number,
                e.record,
                e.decoded,
                e.error.as_ref().map(|f| (f.stage, f.reason)),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (7, Some(0), true, None),
            (7, Some(1), false, Some(("format", "missing_fields"))),
            (7, Some(2), false, Some(("envelope", "bad_envelope"))),
        ]
    );
    assert_eq!(all[0].input, line, "a record's input is its line");
    assert_eq!(all[0].service.as_deref(), Some("checkout"));
    // A message that is no batch is one explanation, of no record.
    let whole = x.explain_in(8, b"{\"message\": \"x\"}", NOON, &mut state);
    assert_eq!(whole.len(), 1);
    assert_eq!(whole[0].record, None);
    assert_eq!(whole[0].error.as_ref().unwrap().reason, "bad_envelope");
    assert!(
        whole[0]
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("OpenTelemetry"),
        "{:?}",
        whole[0].error
    );
}

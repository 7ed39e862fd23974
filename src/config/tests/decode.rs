//! `spec.decode`: every format and envelope by name, the `json` mapping and its errors, the
//! demo source's formats, and the format examples.

use super::*;

#[test]
fn every_format_and_envelope_is_accepted_by_name() {
    use crate::decode::envelope::Envelope;
    // The formats that need a block have theirs tested beside it.
    for f in Format::ALL
        .into_iter()
        .filter(|f| ![Format::Json, Format::W3c].contains(f))
    {
        // otel_http reads log records: only the OTLP envelopes hold them.
        for e in Envelope::ALL
            .into_iter()
            .filter(|e| f != Format::OtelHttp || e.batch().is_some())
        {
            let text = pipeline_with(
                &format!("{{format: {}, envelope: {}}}", f.name(), e.name()),
                "{stdin: {}}",
            );
            let c = parse(&text, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                (c.reload.format, c.reload.envelope, c.reload.options.json),
                (f, e, None)
            );
        }
    }
    let got = problems(&pipeline_with(
        "{format: alb, envelope: logstash}",
        "{stdin: {}}",
    ));
    assert_eq!(
        got,
        [
            "t.yaml: document 1 (Pipeline p): spec.decode.envelope: unknown envelope \"logstash\": expected one of none, json, vector, filebeat, fluentbit, otlp_proto, otlp_json"
        ]
    );
}

#[test]
fn the_json_format_reads_its_mapping() {
    use crate::decode::Unit;
    use crate::decode::json::{JsonPath, TimeFormat};
    let text = pipeline_with(
        "{format: json, json: {time_field: ts, time_format: epoch_ms, status_field: http.status, latency_field: http.took, latency_unit: us, url_field: http.url, request_id_field: id}}",
        "{stdin: {}}",
    );
    let c = parse(&text, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
    let m = c.reload.options.json.expect("mapping");
    let path = |t: &str| JsonPath::parse(t).unwrap();
    assert_eq!(m.time, path("ts"));
    assert_eq!(m.time_format, TimeFormat::Epoch(Unit::Millis));
    assert_eq!(m.status, path("http.status"));
    assert_eq!(m.latency, Some((path("http.took"), Unit::Micros)));
    assert_eq!(
        (m.url, m.path, m.host),
        (Some(path("http.url")), None, None)
    );
    assert_eq!((m.request_id, m.method), (Some(path("id")), None));
    let minimal = pipeline_with(
        "{format: json, json: {time_field: t, status_field: s}}",
        "{stdin: {}}",
    );
    let m = parse(&minimal, "t.yaml")
        .unwrap()
        .reload
        .options
        .json
        .unwrap();
    assert_eq!((m.time_format, m.latency), (TimeFormat::Rfc3339, None));
}

#[test]
fn json_mapping_errors_are_reported_with_their_paths() {
    let at = "t.yaml: document 1 (Pipeline p): spec.decode";
    let got = problems(&pipeline_with("{format: json}", "{stdin: {}}"));
    assert_eq!(
        got,
        [format!(
            "{at}.json: format json needs a json mapping (at least time_field and status_field, or a preset)"
        )]
    );
    let got = problems(&pipeline_with(
        "{format: nginx, json: {time_field: t, status_field: s}}",
        "{stdin: {}}",
    ));
    assert_eq!(
        got,
        [format!("{at}.json: applies only to format json, not nginx")]
    );
    let got = problems(&pipeline_with(
        "{format: json, json: {time_field: a..b, time_format: iso, status_field: .s, latency_field: d, latency_unit: minutes, path_field: p, url_field: u, host_field: \"\"}}",
        "{stdin: {}}",
    ));
    let want = [
        format!("{at}.json.time_field: \"a..b\" is not a key or a dotted key path"),
        format!("{at}.json.status_field: \".s\" is not a key"),
        format!("{at}.json.host_field: \"\" is not a key"),
        format!(
            "{at}.json.time_format: unknown time format \"iso\": expected one of rfc3339, epoch_s, epoch_ms, epoch_us"
        ),
        format!("{at}.json.latency_unit: unknown unit \"minutes\": expected s, ms or us"),
        format!("{at}.json.url_field: set path_field or url_field, not both"),
    ];
    for w in &want {
        assert!(
            got.iter().any(|g| g.starts_with(w.as_str())),
            "missing {w:?} in\n{}",
            got.join("\n")
        );
    }
    assert_eq!(got.len(), want.len(), "{}", got.join("\n"));
    let got = problems(&pipeline_with(
        "{format: json, json: {time_field: t, status_field: s, latency_field: d}}",
        "{stdin: {}}",
    ));
    assert_eq!(
        got,
        [format!(
            "{at}.json.latency_unit: required with latency_field: s, ms or us"
        )]
    );
    let got = problems(&pipeline_with(
        "{format: json, json: {time_field: t, status_field: s, latency_unit: ms}}",
        "{stdin: {}}",
    ));
    assert_eq!(
        got,
        [format!(
            "{at}.json.latency_unit: applies only with latency_field"
        )]
    );
    let got = problems(&pipeline_with(
        "{format: json, json: {time_field: t, status_field: s, status: x}}",
        "{stdin: {}}",
    ));
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains("spec.decode.json.status: unknown field `status`"),
        "{got:?}"
    );
}

#[test]
fn the_demo_source_writes_only_alb_or_nginx() {
    for format in ["alb", "nginx"] {
        let text = pipeline_with(&format!("{{format: {format}}}"), "{demo: {}}");
        assert!(parse(&text, "t.yaml").is_ok(), "{format}");
    }
    let got = problems(&pipeline_with("{format: haproxy}", "{demo: {}}"));
    assert_eq!(
        got,
        [
            "t.yaml: document 1 (Pipeline p): spec.decode.format: the demo source writes alb or nginx lines, not haproxy: use format alb or nginx with the demo, or another source"
        ]
    );
}

#[test]
fn the_format_examples_load() {
    for (file, format) in [
        ("envoy-example.yaml", Format::Envoy),
        ("envoy-json-example.yaml", Format::EnvoyJson),
        ("haproxy-example.yaml", Format::Haproxy),
        ("gcp-example.yaml", Format::Gcp),
        ("json-example.yaml", Format::Json),
        ("nginx-example.yaml", Format::Nginx),
        ("ingress-nginx-example.yaml", Format::Nginx),
        ("istio-example.yaml", Format::Envoy),
        ("cloudfront-example.yaml", Format::W3c),
        ("otel-collector-example.yaml", Format::Nginx),
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("config")
            .join(file);
        let c = load_file(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(c.reload.format, format, "{file}");
        assert_eq!(
            c.reload.options.json.is_some(),
            format == Format::Json,
            "{file}"
        );
        assert_eq!(
            c.reload.options.nginx.is_some(),
            format == Format::Nginx,
            "{file}"
        );
        assert_eq!(
            c.reload.options.envoy.is_some(),
            file == "istio-example.yaml",
            "{file}"
        );
        assert!(c.warnings.is_empty(), "{file}: {:?}", c.warnings);
        assert_eq!(
            c.start.batch.is_some(),
            file == "otel-collector-example.yaml",
            "{file}"
        );
    }
}

//! `spec.decode.nginx`, `spec.decode.envoy`, and the checks of a configuration against what
//! its format carries.

use super::parse;
use crate::decode::Format;
use crate::decode::compiled::nginx::LatencyFrom;

fn config(decode: &str, services: &str, slo_indicators: &str) -> String {
    format!(
        "apiVersion: slipstream/v1\nkind: Pipeline\nmetadata: {{name: p}}\nspec:\n  source: {{stdin: {{}}}}\n  decode: {decode}\n  services: {services}\n---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {{name: s}}\nspec:\n  service: a\n  indicators: {slo_indicators}\n"
    )
}

const AVAILABILITY: &str = "[{name: availability, threshold: 99.9, window: 28d}]";
const LATENCY: &str = "[{name: latency_p99, threshold: \"300ms\", window: 28d}]";

/// `(errors, warnings)`, each as `location: message`.
fn outcome(text: &str) -> (Vec<String>, Vec<String>) {
    let show = |p: &super::Problem| format!("{}: {}", p.location, p.message);
    match parse(text, "t.yaml") {
        Ok(c) => (Vec::new(), c.warnings.iter().map(show).collect()),
        Err(e) => (e.problems.iter().map(show).collect(), Vec::new()),
    }
}

#[test]
fn presets_and_pasted_formats_compile_into_the_reload_config() {
    let text = config(
        "{format: nginx, nginx: {preset: ingress_nginx}}",
        "[{name: a, match: {backend: default-api-80}}]",
        LATENCY,
    );
    let c = parse(&text, "t.yaml").unwrap();
    assert_eq!(c.reload.format, Format::Nginx);
    let f = c.reload.options.nginx.as_ref().unwrap();
    assert_eq!(f.latency(), Some(LatencyFrom::RequestTime));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);

    let pasted = r#"{format: nginx, nginx: {latency: upstream_response_time, log_format: "log_format up '[$time_local] $host $status' ' $upstream_response_time';"}}"#;
    let c = parse(
        &config(
            pasted,
            "[{name: a, match: {host: api.example.com}}]",
            LATENCY,
        ),
        "t.yaml",
    )
    .unwrap();
    let f = c.reload.options.nginx.unwrap();
    assert_eq!(
        f.text(),
        "[$time_local] $host $status $upstream_response_time"
    );
    assert_eq!(f.latency(), Some(LatencyFrom::UpstreamResponseTime));
}

#[test]
fn nginx_block_errors_are_reported_with_their_paths() {
    let at = "t.yaml: document 1 (Pipeline p): spec.decode.nginx";
    let cases = [
        (
            "{format: nginx, nginx: {}}",
            format!("{at}: set exactly one of preset, log_format"),
        ),
        (
            "{format: nginx, nginx: {preset: main, log_format: '$status'}}",
            format!("{at}: set exactly one of preset, log_format"),
        ),
        (
            "{format: nginx, nginx: {preset: apache}}",
            format!(
                "{at}.preset: unknown preset \"apache\": expected one of combined, combined_timed, main, ingress_nginx"
            ),
        ),
        (
            "{format: nginx, nginx: {log_format: '$status $request'}}",
            format!(
                "{at}.log_format: the format has no $time_local, $time_iso8601 or $msec: every line needs its time"
            ),
        ),
        (
            "{format: nginx, nginx: {preset: main, latency: request_time}}",
            format!(
                "{at}.preset: latency request_time is chosen but the format has no $request_time"
            ),
        ),
        (
            "{format: nginx, nginx: {preset: main, latency: total}}",
            format!(
                "{at}.latency: unknown latency \"total\": expected one of request_time, upstream_response_time"
            ),
        ),
        (
            "{format: alb, nginx: {preset: main}}",
            format!("{at}: applies only to format nginx, not alb"),
        ),
    ];
    for (decode, want) in cases {
        let (errors, _) = outcome(&config(decode, "[{name: a}]", AVAILABILITY));
        assert_eq!(errors, [want], "{decode}");
    }
}

#[test]
fn a_compiled_format_without_what_an_slo_needs_is_an_error() {
    let decode = "{format: nginx, nginx: {preset: main}}";
    let services = "[{name: a, match: {host: api.example.com, backend: x}, split_by: host}]";
    let (errors, _) = outcome(&config(decode, services, LATENCY));
    let pipeline = "t.yaml: document 1 (Pipeline p): spec.services[0]";
    assert_eq!(
        errors,
        [
            format!("{pipeline}.match.host: selects by host, which the nginx log_format does not carry: it matches no event"),
            format!("{pipeline}.match.backend: selects by backend, which the nginx log_format does not carry: it matches no event"),
            format!("{pipeline}.split_by: splits by host, which the nginx log_format does not carry: every event is one sub-service"),
            "t.yaml: document 2 (ServiceLevelObjective s): spec.indicators[0].name: a latency SLO needs a latency, which the nginx log_format does not carry: events without one stay out of it".to_string(),
        ]
    );
    // The same SLOs over a format that has them.
    let decode = "{format: nginx, nginx: {log_format: '$host [$time_local] $status $request_time $upstream_addr'}}";
    assert_eq!(
        outcome(&config(decode, services, LATENCY)),
        (vec![], vec![])
    );
}

#[test]
fn plain_nginx_keeps_working_with_warnings() {
    let (errors, warnings) = outcome(&config(
        "{format: nginx}",
        "[{name: a, match: {path_prefix: /api/}}]",
        LATENCY,
    ));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("spec.indicators[0].name: a latency SLO needs a latency, which format nginx without spec.decode.nginx"),
        "{warnings:?}"
    );
    assert_eq!(
        outcome(&config("{format: nginx}", "[{name: a}]", AVAILABILITY)),
        (vec![], vec![])
    );
}

#[test]
fn the_demo_writes_only_combined_timed() {
    let demo = |decode: &str| {
        format!(
            "apiVersion: slipstream/v1\nkind: Pipeline\nmetadata: {{name: p}}\nspec:\n  source: {{demo: {{}}}}\n  decode: {decode}\n  services: [{{name: a}}]\n"
        )
    };
    assert!(
        parse(
            &demo("{format: nginx, nginx: {preset: combined_timed}}"),
            "t.yaml"
        )
        .is_ok()
    );
    let (errors, _) = outcome(&demo("{format: nginx, nginx: {preset: main}}"));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains(
        "spec.decode.nginx: the demo source writes nginx lines as preset combined_timed"
    ));
}

#[test]
fn envoy_presets_and_formats_compile_and_are_checked() {
    let services =
        "[{name: a, match: {backend: \"outbound|8080||orders.shop.svc.cluster.local\"}}]";
    let c = parse(
        &config("{format: envoy, envoy: {preset: istio}}", services, LATENCY),
        "t.yaml",
    )
    .unwrap();
    assert!(c.reload.options.envoy.is_some());
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let at = "t.yaml: document 1 (Pipeline p): spec.decode.envoy";
    let cases = [
        (
            "{format: envoy, envoy: {}}",
            format!("{at}: set exactly one of preset, format"),
        ),
        (
            "{format: envoy, envoy: {preset: contour}}",
            format!("{at}.preset: unknown preset \"contour\": expected one of envoy, istio"),
        ),
        (
            "{format: envoy, envoy: {format: '%RESPONSE_CODE%'}}",
            format!("{at}.format: the format has no %START_TIME%: every line needs its time"),
        ),
        (
            "{format: nginx, envoy: {preset: istio}}",
            format!("{at}: applies only to format envoy, not nginx"),
        ),
    ];
    for (decode, want) in cases {
        let (errors, _) = outcome(&config(decode, "[{name: a}]", AVAILABILITY));
        assert_eq!(errors, [want], "{decode}");
    }
    // A format without a duration cannot serve a latency SLO.
    let (errors, _) = outcome(&config(
        "{format: envoy, envoy: {format: '[%START_TIME%] %RESPONSE_CODE% %UPSTREAM_CLUSTER%'}}",
        services,
        LATENCY,
    ));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("a latency SLO needs a latency, which the envoy format does not carry")
    );
}

#[test]
fn the_caddy_preset_maps_caddys_json_access_log() {
    let text = config(
        "{format: json, json: {preset: caddy, request_id_field: request.headers.X-Request-Id}}",
        "[{name: a, match: {host: shop.example.com}}]",
        LATENCY,
    );
    let c = parse(&text, "t.yaml").unwrap();
    let decoder = c.reload.format.decoder(&c.reload.options);
    // A line written from Caddy's documentation of its access log.
    let line = br#"{"level":"info","ts":1763719200.5221336,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"203.0.113.7","remote_port":"51234","client_ip":"203.0.113.7","proto":"HTTP/2.0","method":"POST","host":"shop.example.com:443","uri":"/api/cart?id=7","headers":{"User-Agent":["curl/8.5.0"]},"tls":{"resumed":false,"version":772}},"bytes_read":48,"user_id":"","duration":0.004128,"size":19,"status":201,"resp_headers":{"Server":["Caddy"]}}"#;
    let e = decoder.decode(line).unwrap();
    assert_eq!(
        (e.time_us, e.status, e.latency_us, e.method, e.host, e.path),
        (
            1_763_719_200_522_133,
            201,
            Some(4_128),
            &b"POST"[..],
            &b"shop.example.com"[..],
            &b"/api/cart"[..]
        )
    );
    // A key set beside the preset wins over it.
    let text = config(
        "{format: json, json: {preset: caddy, path_field: path}}",
        "[{name: a}]",
        AVAILABILITY,
    );
    let c = parse(&text, "t.yaml").unwrap();
    let m = c.reload.options.json.unwrap();
    assert!(m.url.is_none() && m.path.is_some());
    let at = "t.yaml: document 1 (Pipeline p): spec.decode.json";
    let (errors, _) = outcome(&config(
        "{format: json, json: {preset: apache}}",
        "[{name: a}]",
        AVAILABILITY,
    ));
    assert_eq!(
        errors,
        [
            format!("{at}.preset: unknown preset \"apache\": expected one of caddy"),
            format!("{at}.time_field: required (or a preset that sets it)"),
            format!("{at}.status_field: required (or a preset that sets it)"),
        ]
    );
}

#[test]
fn haproxy_presets_and_log_formats_compile_and_are_checked() {
    let c = parse(
        &config(
            "{format: haproxy, haproxy: {preset: httpslog}}",
            "[{name: a, match: {backend: be_shop}}]",
            LATENCY,
        ),
        "t.yaml",
    )
    .unwrap();
    assert!(c.reload.options.haproxy.is_some());
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let at = "t.yaml: document 1 (Pipeline p): spec.decode.haproxy";
    let cases = [
        (
            "{format: haproxy, haproxy: {}}",
            format!("{at}: set exactly one of preset, log_format"),
        ),
        (
            "{format: haproxy, haproxy: {preset: tcplog}}",
            format!(
                "{at}.preset: unknown preset \"tcplog\": expected one of httplog, httplog_legacy, httpslog"
            ),
        ),
        (
            "{format: haproxy, haproxy: {log_format: '%ci %ST'}}",
            format!(
                "{at}.log_format: the format has no %tr, %trg, %trl, %t or %Ts: every line needs its time"
            ),
        ),
        (
            "{format: envoy, haproxy: {preset: httplog}}",
            format!("{at}: applies only to format haproxy, not envoy"),
        ),
    ];
    for (decode, want) in cases {
        let (errors, _) = outcome(&config(decode, "[{name: a}]", AVAILABILITY));
        assert_eq!(errors, [want], "{decode}");
    }
    // No timer: no latency SLO; no host variable: no host selector.
    let (errors, _) = outcome(&config(
        "{format: haproxy, haproxy: {log_format: '[%tr] %ST %b'}}",
        "[{name: a, match: {host: shop.example.com}}]",
        LATENCY,
    ));
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("selects by host, which the haproxy log-format does not carry"));
    assert!(errors[1].contains("a latency SLO needs a latency, which the haproxy log-format"));
}

#[test]
fn w3c_needs_its_producer_and_reads_the_preset() {
    let services = "[{name: a, match: {host: www.example.com}}]";
    let c = parse(
        &config("{format: w3c, w3c: {preset: iis}}", services, LATENCY),
        "t.yaml",
    )
    .unwrap();
    assert_eq!(c.reload.format, Format::W3c);
    assert_eq!(c.reload.options.w3c, Some(crate::decode::w3c::Preset::Iis));
    let at = "t.yaml: document 1 (Pipeline p): spec.decode";
    let cases = [
        (
            "{format: w3c}",
            format!("{at}.w3c: format w3c needs its producer: preset cloudfront or iis"),
        ),
        (
            "{format: w3c, w3c: {preset: akamai}}",
            format!("{at}.w3c.preset: unknown preset \"akamai\""),
        ),
        (
            "{format: alb, w3c: {preset: iis}}",
            format!("{at}.w3c: applies only to format w3c, not alb"),
        ),
    ];
    for (decode, want) in cases {
        let (errors, _) = outcome(&config(decode, services, AVAILABILITY));
        assert!(
            errors.iter().any(|e| e.starts_with(&want)),
            "{decode}: {errors:?}"
        );
    }
}

#[test]
fn w3c_reads_in_cluster_mode() {
    let text = "apiVersion: slipstream/v1\nkind: Pipeline\nmetadata: {name: c}\nspec:\n  source: {kafka: {brokers: [\"127.0.0.1:9092\"], topics: [logs], group_id: g, options: {group.instance.id: pod-0}}}\n  decode: {format: w3c, w3c: {preset: cloudfront}}\n  services: [{name: a}]\n  cluster: {name: edge, advertise_url: \"http://pod-0:9977\"}\n";
    let c = parse(text, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.reload.format, Format::W3c);
    assert!(c.start.cluster.is_some());
}

#[test]
fn otlp_envelopes_bound_their_batches_and_otel_http_needs_one() {
    use crate::decode::envelope::Envelope;
    use crate::decode::ingest::BatchLimits;
    use crate::decode::otlp::DurationUnit;
    let services = "[{name: a, match: {host: www.example.com}}]";
    let c = parse(
        &config(
            "{envelope: otlp_json, format: nginx, otlp: {max_batch_records: 100}}",
            services,
            AVAILABILITY,
        ),
        "t.yaml",
    )
    .unwrap();
    assert_eq!(c.reload.envelope, Envelope::OtlpJson);
    let batch = c.start.batch.unwrap();
    assert_eq!(
        batch,
        BatchLimits {
            max_records: 100,
            ..BatchLimits::default()
        }
    );
    assert_eq!(c.start.max_payload_bytes(), batch.max_bytes);
    // Without an OTLP envelope there is no batch, and sources keep lines of max_line_bytes.
    let plain = parse(&config("{format: nginx}", services, AVAILABILITY), "t.yaml").unwrap();
    assert_eq!(plain.start.batch, None);
    assert_eq!(plain.start.max_payload_bytes(), plain.start.max_line_bytes);
    // To or from an OTLP envelope is a restart: the sources' cut on a payload changes.
    assert_eq!(plain.start.changed_fields(&c.start), ["spec.decode.otlp"]);

    let c = parse(
        &config(
            "{envelope: otlp_proto, format: otel_http, otel_http: {duration_attribute: duration_ms, duration_unit: ms}}",
            services,
            LATENCY,
        ),
        "t.yaml",
    )
    .unwrap();
    let o = c.reload.options.otel_http.unwrap();
    assert_eq!(
        (o.duration_attribute.as_str(), o.duration_unit),
        ("duration_ms", DurationUnit::Milliseconds)
    );

    let at = "t.yaml: document 1 (Pipeline p): spec.decode";
    let cases = [
        (
            "{format: otel_http}",
            format!(
                "{at}.envelope: format otel_http reads OpenTelemetry log records: use envelope otlp_proto or otlp_json, not none"
            ),
        ),
        (
            "{format: nginx, otlp: {max_batch_records: 10}}",
            format!("{at}.otlp: applies only to envelopes otlp_proto and otlp_json, not none"),
        ),
        (
            "{envelope: otlp_json, format: nginx, otlp: {max_batch_bytes: 0}}",
            format!("{at}.otlp.max_batch_bytes: must be between 1 and"),
        ),
        (
            "{envelope: otlp_json, format: nginx, otlp: {max_batch_bytes: 0, max_batch_records: 0}}",
            format!("{at}.otlp.max_batch_records: must be between 1 and 16777216"),
        ),
        (
            "{envelope: otlp_json, format: otel_http, otel_http: {duration_unit: minutes}}",
            format!("{at}.otel_http.duration_unit: unknown duration_unit \"minutes\""),
        ),
        (
            "{envelope: otlp_json, format: nginx, otel_http: {}}",
            format!("{at}.otel_http: applies only to format otel_http, not nginx"),
        ),
    ];
    for (decode, want) in cases {
        let (errors, _) = outcome(&config(decode, services, AVAILABILITY));
        assert!(
            errors.iter().any(|e| e.starts_with(&want)),
            "{decode}: {errors:?}"
        );
    }
}

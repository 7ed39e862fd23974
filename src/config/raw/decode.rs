//! `spec.decode` as written: the format's name and each format's own block (`json`, `nginx`,
//! `envoy`, `haproxy`, `w3c`, `otel_http`), the OTLP batch bounds and the dead-letter file;
//! validated by [`crate::config::decode`].

use serde::Deserialize;

/// `spec.decode`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecodeSpec {
    /// `none` (default), `json`, `vector`, `filebeat` or `fluentbit`.
    pub(crate) envelope: Option<String>,
    /// A format's name, one of `crate::decode::Format::ALL` (README "Formats").
    pub(crate) format: String,
    /// Key mapping of `format: json` (required with it, rejected with any other format).
    pub(crate) json: Option<JsonSpec>,
    /// The `log_format` of `format: nginx` (rejected with any other format).
    pub(crate) nginx: Option<NginxSpec>,
    /// The format string of `format: envoy` (rejected with any other format).
    pub(crate) envoy: Option<EnvoySpec>,
    /// The `log-format` of `format: haproxy` (rejected with any other format).
    pub(crate) haproxy: Option<HaproxySpec>,
    /// The producer of `format: w3c` logs (required with it, rejected with any other).
    pub(crate) w3c: Option<W3cSpec>,
    /// The duration attribute of `format: otel_http` (rejected with any other format).
    pub(crate) otel_http: Option<OtelHttpSpec>,
    /// The bounds of an OTLP batch (only with an `otlp_proto` or `otlp_json` envelope).
    pub(crate) otlp: Option<OtlpSpec>,
    /// Longest accepted line or message, bytes (default 65536); longer ones are rejected.
    pub(crate) max_line_bytes: Option<u64>,
    /// Append undecodable lines to a file.
    pub(crate) dead_letter: Option<DeadLetterSpec>,
}

/// `spec.decode.dead_letter`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeadLetterSpec {
    /// The file, created if missing, appended to.
    pub(crate) path: String,
    /// Stop writing when the file would grow past this many bytes (default 100 MiB).
    pub(crate) max_bytes: Option<u64>,
}

/// `spec.decode.nginx`: the `log_format` nginx writes. Exactly one of `preset`, `log_format`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NginxSpec {
    /// A named format: `combined`, `combined_timed`, `main` or `ingress_nginx`.
    pub(crate) preset: Option<String>,
    /// The format string, or the whole pasted `log_format` directive.
    pub(crate) log_format: Option<String>,
    /// `request_time` or `upstream_response_time` (default: the first the format has).
    pub(crate) latency: Option<String>,
}

/// `spec.decode.otel_http`: which attribute holds a record's duration, in which unit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OtelHttpSpec {
    /// The attribute (default `http.server.request.duration`).
    pub(crate) duration_attribute: Option<String>,
    /// `ns`, `us`, `ms` or `s` (default `s`).
    pub(crate) duration_unit: Option<String>,
}

/// `spec.decode.otlp`: the bounds of one OTLP batch message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OtlpSpec {
    /// The largest message, bytes (default 16 MiB).
    pub(crate) max_batch_bytes: Option<u64>,
    /// The most log records in one message (default 65536).
    pub(crate) max_batch_records: Option<u64>,
}

/// `spec.decode.w3c`: who writes the W3C extended log.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct W3cSpec {
    /// `cloudfront` (tabs, `time-taken` in seconds) or `iis` (spaces, milliseconds).
    pub(crate) preset: String,
}

/// `spec.decode.envoy`: the access-log format Envoy writes. Exactly one of `preset`, `format`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EnvoySpec {
    /// A named format: `envoy` (Envoy's default) or `istio` (Istio's default).
    pub(crate) preset: Option<String>,
    /// The format string, with its command operators.
    pub(crate) format: Option<String>,
}

/// `spec.decode.haproxy`: the `log-format` HAProxy writes. Exactly one of `preset`,
/// `log_format`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HaproxySpec {
    /// A named format: `httplog`, `httplog_legacy` or `httpslog`.
    pub(crate) preset: Option<String>,
    /// The `log-format` string.
    pub(crate) log_format: Option<String>,
}

/// `spec.decode.json`: which keys of a JSON line hold what. Every `*_field` is a key, or a
/// dotted path (`http.response.status_code`) into nested objects.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JsonSpec {
    /// A named mapping (`caddy`) whose keys apply where this block sets none.
    pub(crate) preset: Option<String>,
    /// Key of the event time (required without a preset).
    pub(crate) time_field: Option<String>,
    /// `rfc3339` (default), `epoch_s`, `epoch_ms` or `epoch_us`.
    pub(crate) time_format: Option<String>,
    /// Key of the HTTP status (required without a preset).
    pub(crate) status_field: Option<String>,
    /// Key of the latency; without it every latency is unknown.
    pub(crate) latency_field: Option<String>,
    /// Unit of the latency: `s`, `ms` or `us` (required with `latency_field`).
    pub(crate) latency_unit: Option<String>,
    /// Key of the request method.
    pub(crate) method_field: Option<String>,
    /// Key of the host (a port is dropped); wins over the host of `url_field`.
    pub(crate) host_field: Option<String>,
    /// Key of the path (a query string is dropped).
    pub(crate) path_field: Option<String>,
    /// Key of a URL or request target, giving the path and, when absolute, the host; not
    /// together with `path_field`.
    pub(crate) url_field: Option<String>,
    /// Key of the backend.
    pub(crate) backend_field: Option<String>,
    /// Key of the request id.
    pub(crate) request_id_field: Option<String>,
    /// Key of the client's IP address (a port is dropped); personal data, read only by the
    /// `client` attribution dimension.
    pub(crate) client_field: Option<String>,
}

//! The explanation of one line as data: what [`Explainer`](super::Explainer) records at each
//! stage. These types serialize as the stable JSON of `explain --json` and render as text in
//! `text.rs`.

use serde::Serialize;

/// Everything slipstream decides about one input line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// 1-based number of the line in the input.
    pub line_number: usize,
    /// The configured envelope (`none`, `json`).
    pub envelope: &'static str,
    /// The configured format (`alb`, `nginx`, …).
    pub format: &'static str,
    /// The input as given (invalid UTF-8 replaced).
    pub input: String,
    /// A compiled format's fields in order (nginx `log_format`); empty for fixed formats.
    pub format_fields: Vec<FormatField>,
    /// True when the line decoded into an event.
    pub decoded: bool,
    /// With an OTLP envelope, which log record of the message this is (from 0), and
    /// `input` is its line; `null` otherwise.
    pub record: Option<usize>,
    /// What a directive line (a W3C `#Fields:` header) is; `null` for any other line. A
    /// directive is neither an event nor a decode error: it sets how the next lines read.
    pub directive: Option<String>,
    /// Why it did not decode; `null` when it did.
    pub error: Option<Failure>,
    /// The decoded fields; `null` when the line did not decode.
    pub event: Option<Fields>,
    /// The event time against the wall clock; `null` when the line did not decode.
    pub time_check: Option<TimeCheck>,
    /// The service the event counts for (the first whose selectors all match); `null` when
    /// none matches (the event is counted as unmatched) or the line did not decode.
    pub service: Option<String>,
    /// Every service in match order with its selector results.
    pub services: Vec<ServiceCheck>,
    /// Every SLO of the matched service with its verdict.
    pub slos: Vec<SloVerdict>,
    /// With `spec.attribution`, the event's key in each dimension kept, as the pipeline
    /// counts it for burn attribution; empty when attribution is off or no service matched.
    pub attribution: Vec<AttributionKey>,
}

/// One burn-attribution key of the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributionKey {
    /// The dimension (`path`, `status`, …).
    pub by: &'static str,
    /// The key (`/users/{id}`); `-` for an unknown value.
    pub key: String,
}

impl Explanation {
    /// True when the line decoded, or was a directive: not a decode error.
    pub fn read(&self) -> bool {
        self.decoded || self.directive.is_some()
    }
}

/// One variable of a compiled format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormatField {
    /// The variable as the format writes it (`$request_time`).
    pub variable: String,
    /// Its shape in the line (`a quoted string`, `seconds with three decimals`, …).
    pub shape: &'static str,
    /// What the event takes from it (`time`, `latency`, …); empty when it is skipped.
    pub gives: &'static str,
}

/// Why a line did not decode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// `length`, `envelope` or `format`: the stage that rejected the line.
    pub stage: &'static str,
    /// The decode-error label, as counted in `/metrics` (`bad_time`, `missing_fields`, …).
    pub reason: &'static str,
    /// A sentence for people.
    pub message: String,
}

/// The decoded fields of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fields {
    /// The access-log line inside the envelope (equal to the input without an envelope).
    pub line: String,
    /// Event time, RFC 3339 UTC.
    pub time: String,
    /// Event time, µs since the Unix epoch.
    pub time_us: i64,
    /// HTTP status.
    pub status: u16,
    /// Latency in µs, `null` when unknown.
    pub latency_us: Option<i64>,
    /// Why the latency is unknown; `null` when it is known.
    pub latency_unknown_reason: Option<String>,
    /// Request method, empty if none.
    pub method: String,
    /// Host, empty if the format does not carry it.
    pub host: String,
    /// Path without query string, empty if unknown.
    pub path: String,
    /// Backend, empty if unknown.
    pub backend: String,
    /// Request id, empty if the format carries none.
    pub request_id: String,
    /// The client's address, empty if the format carries none.
    pub client: String,
    /// True for long-lived connections (kept out of latency SLIs).
    pub long_lived: bool,
}

/// The event time against the wall clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimeCheck {
    /// The wall clock, RFC 3339 UTC.
    pub now: String,
    /// How far the event time is ahead of the wall clock, µs (negative: in the past).
    pub ahead_us: i64,
    /// The configured `max_future`, µs.
    pub max_future_us: i64,
    /// True when the event is more than `max_future` ahead: it is counted as too_future
    /// and dropped, in no SLO.
    pub too_future: bool,
}

/// One service's selectors against the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceCheck {
    /// Service name.
    pub name: String,
    /// True when every selector matches (the first such service wins).
    pub matches: bool,
    /// Each configured selector, in the order they are tested; empty matches everything.
    pub selectors: Vec<SelectorResult>,
}

/// One selector against the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelectorResult {
    /// `host`, `path_prefix`, `method` or `backend`.
    pub selector: &'static str,
    /// The configured pattern.
    pub pattern: String,
    /// The event's field it was tested against.
    pub value: String,
    /// Whether it matched.
    pub matched: bool,
}

/// One SLO's verdict on the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SloVerdict {
    /// `service/slo`, as in the API and checkpoints.
    pub slo: String,
    /// `availability`, `error_rate`, `latency` or `throughput`.
    pub kind: &'static str,
    /// `good`, `bad` or `excluded`.
    pub outcome: &'static str,
    /// Stable label of the reason (`bad_status`, `good_status`, `long_lived`,
    /// `unknown_latency`, `within_threshold`, `over_threshold`).
    pub reason: &'static str,
    /// The verdict and its reason as a sentence.
    pub message: String,
}

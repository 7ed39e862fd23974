//! Explain: what slipstream makes of one access-log line, and why.
//!
//! [`Explainer`] runs a line through exactly the stages a running pipeline uses — the
//! pipeline's own [`Ingest::read`] (length cap, envelope, format decoder) and the
//! [`Classifier`] built from the same [`Config`] — and records every decision as an
//! [`Explanation`]: the decoded fields (or the stage and [`Rejection`] that rejected the
//! line), whether the event time is beyond `max_future` of the wall clock (so the window
//! store would drop it), which service matched (each service's selector results, so a
//! selector that fails can be seen), and for every SLO of that service whether the event is
//! good, bad or excluded with the [`Reason`]. Verdicts come from the classifier's explain-only
//! functions, which its tests hold to the hot path's verdicts.
//!
//! An explanation (its types are in `report.rs`) renders as text for people (`Display`, in
//! `text.rs`) or as one JSON object (`Serialize`) whose field names are stable. Nothing here
//! knows a format beyond its name: a new decoder is explained without changes (only the
//! sentence on why a latency is unknown is format-specific, with a generic fallback).
//! Nothing here is on the per-event path.

use std::io::{self, BufRead, Write};

use crate::classify::{Classifier, Reason, Sli};
use crate::config::Config;
use crate::decode::ingest::{Ingest, Item, Rejection};
use crate::decode::{DecodeError, Event, Format, LineState};
use crate::evaluate::SloKind;
use crate::time;

mod report;
mod text;

#[cfg(test)]
mod tests;

pub use report::{
    AttributionKey, Explanation, Failure, Fields, FormatField, SelectorResult, ServiceCheck,
    SloVerdict, TimeCheck,
};

/// Explains lines under one configuration.
#[derive(Debug)]
pub struct Explainer {
    format: Format,
    /// The pipeline's own ingest path: length cap, envelope and decoder.
    ingest: Ingest,
    classifier: Classifier,
    /// Per SLO (same order as the classifier's rules): `service/slo` and its kind.
    slos: Vec<(String, SloKind)>,
    max_future_us: i64,
    /// `spec.attribution`, read by the pipeline's own key function.
    attribution: Option<std::sync::Arc<crate::classify::attribution::AttributionConfig>>,
}

impl Explainer {
    /// An explainer for `config`'s length cap, envelope, format, services and SLOs.
    pub fn new(config: &Config) -> Self {
        let (start, c) = (&config.start, &config.reload);
        Self {
            format: c.format,
            ingest: Ingest::new(c.envelope, c.format.decoder(&c.options), start.limits()),
            classifier: Classifier::new(c.services.clone(), c.rules.clone()),
            slos: c.objectives.iter().map(|o| (o.id(), o.kind)).collect(),
            max_future_us: c.window.max_future_us,
            attribution: c.attribution.clone(),
        }
    }

    /// Explains `payload` (one message as the source delivers it, without its newline),
    /// the `line_number`th of the input and the only one, with the wall clock at `now_us`.
    pub fn explain(&self, line_number: usize, payload: &[u8], now_us: i64) -> Explanation {
        let mut state = LineState::default();
        let mut all = self.explain_in(line_number, payload, now_us, &mut state);
        all.truncate(1);
        all.pop()
            .unwrap_or_else(|| self.blank(line_number, payload))
    }

    /// Explains `payload` after the input's earlier lines left the format `state` (a W3C
    /// `#Fields:` directive), updating it as the pipeline does: one explanation per line
    /// the payload holds.
    pub fn explain_in(
        &self,
        line_number: usize,
        payload: &[u8],
        now_us: i64,
        state: &mut LineState,
    ) -> Vec<Explanation> {
        let mut scratch = Vec::new();
        let batch = self.ingest.envelope().batch().is_some();
        // Each explanation, with the record's line when it is a record of a batch.
        let mut all: Vec<(Explanation, Option<Vec<u8>>)> = Vec::new();
        // The pipeline's own call (`PipelineSink::apply`), so the verdicts cannot differ.
        self.ingest.read(payload, &mut scratch, state, |item| {
            let mut x = self.blank(line_number, payload);
            let record = match item {
                Item::Event(d) => {
                    self.decided(&mut x, d.line, &d.event, now_us);
                    batch.then(|| d.line.to_vec())
                }
                Item::Rejected { rejection, record } => {
                    x.error = Some(self.failure(rejection));
                    record.map(<[u8]>::to_vec)
                }
                Item::Directive(line) => {
                    x.directive = Some(
                        "a directive, not a request: neither an event nor a decode error \
                         (a #Fields: line sets how the lines after it are read)"
                            .to_string(),
                    );
                    batch.then(|| line.to_vec())
                }
            };
            // Records are numbered; a message rejected whole is not one.
            if record.is_some() {
                x.record = Some(all.len());
            }
            all.push((x, record));
        });
        all.into_iter()
            .map(|(mut x, record)| {
                if let Some(line) = &record {
                    x.input = text(line);
                }
                if let Some(failure) = &mut x.error
                    && failure.stage == "format"
                {
                    let why = match &record {
                        Some(line) => self.ingest.why_line(line, state),
                        None => self.ingest.why(payload, state),
                    };
                    if let Some(why) = why {
                        failure.message = why;
                    }
                }
                x
            })
            .collect()
    }

    /// The explanation of `payload` before anything is decided.
    fn blank(&self, line_number: usize, payload: &[u8]) -> Explanation {
        Explanation {
            line_number,
            envelope: self.ingest.envelope().name(),
            format: self.format.name(),
            input: text(payload),
            format_fields: self
                .ingest
                .layout()
                .into_iter()
                .map(|(variable, shape, gives)| FormatField {
                    variable,
                    shape,
                    gives,
                })
                .collect(),
            decoded: false,
            record: None,
            directive: None,
            error: None,
            event: None,
            time_check: None,
            service: None,
            services: Vec::new(),
            slos: Vec::new(),
            attribution: Vec::new(),
        }
    }

    /// What the window store and the classifier decide about `event`, decoded from `line`.
    fn decided(&self, x: &mut Explanation, line: &[u8], event: &Event<'_>, now_us: i64) {
        x.decoded = true;
        x.event = Some(self.fields(line, event));
        let ahead_us = event.time_us.saturating_sub(now_us);
        x.time_check = Some(TimeCheck {
            now: time::format_rfc3339(now_us),
            ahead_us,
            max_future_us: self.max_future_us,
            // The same comparison as the window store's.
            too_future: event.time_us > now_us.saturating_add(self.max_future_us),
        });
        x.services = self.service_checks(event);
        // The hot path's own choice, so the explanation cannot disagree with it.
        let Some(service) = self.classifier.service_of(event) else {
            return;
        };
        x.service = Some(self.classifier.services()[service].name.clone());
        if let Some(a) = &self.attribution {
            // The pipeline's own key function (what deciding a batch calls).
            let (mut buf, mut ends) = (Vec::new(), Vec::new());
            let memo = &mut crate::classify::attribution::BackendMemo::default();
            a.keys(event, service, memo, &mut buf, &mut ends);
            let mut start = 0;
            x.attribution = a
                .dims
                .iter()
                .zip(&ends)
                .map(|(d, &end)| {
                    let key = &buf[start..end as usize];
                    start = end as usize;
                    AttributionKey {
                        by: d.name(),
                        key: if key.is_empty() {
                            "-".into()
                        } else {
                            text(key)
                        },
                    }
                })
                .collect();
        }
        // The verdicts the pipeline decides with; the rules' explanations say why.
        let mut verdicts = Vec::new();
        self.classifier.verdicts(service, event, &mut verdicts);
        x.slos = self
            .classifier
            .slos_of(service)
            .iter()
            .zip(verdicts)
            .map(|(&i, outcome)| {
                let rule = &self.classifier.rules()[i];
                let why = rule.explain(event);
                let (slo, kind) = match self.slos.get(i) {
                    Some((slo, kind)) => (slo.clone(), kind.as_str()),
                    None => (format!("{}/#{i}", x.service.as_deref().unwrap_or("?")), "?"),
                };
                SloVerdict {
                    slo,
                    kind,
                    outcome: outcome.label(),
                    reason: why.label(),
                    message: verdict_sentence(why, rule.sli, event),
                }
            })
            .collect();
    }

    /// Explains `line` as the input's only line and writes it to `out` (text, or one JSON
    /// object per line it holds with `json`); returns whether it decoded (a directive
    /// counts as read).
    pub fn explain_one(
        &self,
        line: &[u8],
        json: bool,
        now_us: i64,
        out: &mut dyn Write,
    ) -> io::Result<bool> {
        let mut state = LineState::default();
        let all = self.explain_in(1, trim_newline(line), now_us, &mut state);
        if let (false, Some(x)) = (json, all.first()) {
            out.write_all(x.format_block().as_bytes())?;
        }
        for x in &all {
            write(x, json, out)?;
        }
        Ok(all.iter().all(Explanation::read))
    }

    /// Explains every line of `input` (blank lines are skipped but numbered), with the
    /// format state the earlier lines leave (a W3C `#Fields:` directive), and writes each
    /// explanation to `out` as it goes: text separated by blank lines, or JSON Lines with
    /// `json`. Returns how many lines did not decode.
    pub fn explain_all(
        &self,
        mut input: impl BufRead,
        json: bool,
        now_us: i64,
        out: &mut dyn Write,
    ) -> io::Result<usize> {
        let (mut buf, mut number, mut failed, mut first) = (Vec::new(), 0, 0, true);
        let mut state = LineState::default();
        loop {
            buf.clear();
            if input.read_until(b'\n', &mut buf)? == 0 {
                return Ok(failed);
            }
            number += 1;
            let line = trim_newline(&buf);
            if line.is_empty() {
                continue;
            }
            for x in self.explain_in(number, line, now_us, &mut state) {
                if !json && first {
                    out.write_all(x.format_block().as_bytes())?;
                } else if !json {
                    writeln!(out)?;
                }
                first = false;
                failed += usize::from(!x.read());
                write(&x, json, out)?;
            }
            out.flush()?;
        }
    }

    fn failure(&self, r: Rejection) -> Failure {
        let message = match r {
            Rejection::TooLong if self.ingest.envelope().batch().is_some() => format!(
                "the message is longer than spec.decode.otlp.max_batch_bytes ({} bytes), or \
                 this log record longer than spec.decode.max_line_bytes ({} bytes): the \
                 pipeline counts it as too_long and skips it undecoded",
                self.ingest.limits().batch.max_bytes,
                self.ingest.max_line_bytes()
            ),
            Rejection::TooLong => format!(
                "the line is longer than spec.decode.max_line_bytes ({} bytes): the pipeline \
                 counts it as too_long and skips it undecoded",
                self.ingest.max_line_bytes()
            ),
            Rejection::Envelope(_) if self.ingest.envelope().batch().is_some() => format!(
                "the message is not an OpenTelemetry logs batch (envelope {}) of at most {} \
                 log records, or this log record's body is not a string",
                self.ingest.envelope().name(),
                self.ingest.limits().batch.max_records
            ),
            Rejection::Envelope(_) => format!(
                "the message is not a JSON object with the line as a string under `message` \
                 or `log` (envelope {})",
                self.ingest.envelope().name()
            ),
            Rejection::Format(e) => self.format_failure(e),
        };
        Failure {
            stage: r.stage(),
            reason: r.reason(),
            message,
        }
    }

    fn format_failure(&self, e: DecodeError) -> String {
        let format = self.format.name();
        match e {
            DecodeError::Empty => "the line is blank".to_string(),
            DecodeError::MissingFields => {
                format!("the line has fewer fields than the {format} format requires")
            }
            DecodeError::UnterminatedQuote => {
                "a double-quoted field is never closed (a truncated line?)".to_string()
            }
            DecodeError::BadTime => {
                format!("the timestamp is not a valid {format} event time")
            }
            DecodeError::BadStatus => "the status code is not a number from 100 to 999".to_string(),
            DecodeError::BadRequest => {
                format!("the request field does not parse as a {format} request line")
            }
            DecodeError::BadLatency => format!(
                "a timing field is neither a number nor the {format} format's \"unknown\" marker"
            ),
            DecodeError::BadEnvelope => "the line is not in the configured envelope".to_string(),
            #[allow(unreachable_patterns)] // reasons added later still get a sentence
            other => format!("the {format} decoder rejected the line ({other})"),
        }
    }

    /// Every service's selectors tested against `event`.
    fn service_checks(&self, event: &Event<'_>) -> Vec<ServiceCheck> {
        self.classifier
            .services()
            .iter()
            .map(|s| {
                let selectors: Vec<SelectorResult> = s
                    .matcher
                    .check(event)
                    .into_iter()
                    .map(|c| SelectorResult {
                        selector: c.selector.name(),
                        pattern: c.pattern.to_string(),
                        value: text(c.selector.field(event)),
                        matched: c.matched,
                    })
                    .collect();
                ServiceCheck {
                    name: s.name.clone(),
                    matches: selectors.iter().all(|c| c.matched),
                    selectors,
                }
            })
            .collect()
    }

    fn fields(&self, line: &[u8], e: &Event<'_>) -> Fields {
        Fields {
            line: text(line),
            time: time::format_rfc3339(e.time_us),
            time_us: e.time_us,
            status: e.status,
            latency_us: e.latency_us,
            latency_unknown_reason: e
                .latency_us
                .is_none()
                .then(|| unknown_latency_reason(self.format).to_string()),
            method: text(e.method),
            host: text(e.host),
            path: text(e.path),
            backend: text(e.backend),
            request_id: text(e.request_id),
            client: text(e.client),
            long_lived: e.long_lived,
        }
    }
}

fn write(x: &Explanation, json: bool, out: &mut dyn Write) -> io::Result<()> {
    if json {
        serde_json::to_writer(&mut *out, x)?;
        writeln!(out)
    } else {
        write!(out, "{x}")
    }
}

fn trim_newline(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Why a format leaves a latency unknown; the fallback serves formats added later.
fn unknown_latency_reason(format: Format) -> &'static str {
    match format.name() {
        "alb" => {
            "a processing time is -1: no target answered (the request was not dispatched, \
             or the connection closed before a response)"
        }
        "nginx" => {
            "the line has no timing: $request_time is `-` or absent (plain combined, main), or an upstream time is `-`"
        }
        _ => "the line marks its latency as unknown",
    }
}

fn verdict_sentence(why: Reason, sli: Sli, e: &Event<'_>) -> String {
    let status = e.status;
    match why {
        Reason::BadStatus => {
            let mut s = format!("bad: status {status} is in the bad set (5xx)");
            if matches!(sli, Sli::Latency { .. }) && e.latency_us.is_none() {
                s.push_str("; with its latency unknown, a failed request counts as slow");
            }
            s
        }
        Reason::GoodStatus => format!("good: status {status} is not in the bad set (5xx)"),
        Reason::LongLived => {
            "excluded from latency SLI: ws/wss connection (its duration is not a latency)"
                .to_string()
        }
        Reason::NotSelected => "excluded: the SLO's extra match selectors do not match".to_string(),
        Reason::UnknownLatency if matches!(sli, Sli::LatencyAbove { .. }) => {
            "excluded from latency SLI: latency unknown (a \"good when above\" SLI leaves it out whatever its status)".to_string()
        }
        Reason::UnknownLatency => {
            format!("excluded from latency SLI: latency unknown and status {status} is good")
        }
        Reason::WithinThreshold {
            latency_us,
            threshold_us,
        } => format!("good: latency {} ≤ {}", ms(latency_us), ms(threshold_us)),
        Reason::OverThreshold {
            latency_us,
            threshold_us,
        } => format!("bad: latency {} > {}", ms(latency_us), ms(threshold_us)),
        Reason::AboveFloor {
            latency_us,
            floor_us,
        } => format!("good: latency {} > {}", ms(latency_us), ms(floor_us)),
        Reason::NotAboveFloor {
            latency_us,
            floor_us,
        } => format!("bad: latency {} ≤ {}", ms(latency_us), ms(floor_us)),
    }
}

/// Exact µs as milliseconds, without trailing zeros: `120 ms`, `0.5 ms`, `1000.001 ms`.
pub fn ms(us: i64) -> String {
    let (whole, frac) = (us / 1000, (us % 1000).abs());
    let sign = if us < 0 && whole == 0 { "-" } else { "" };
    if frac == 0 {
        format!("{sign}{whole} ms")
    } else {
        let f = format!("{frac:03}");
        format!("{sign}{whole}.{} ms", f.trim_end_matches('0'))
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

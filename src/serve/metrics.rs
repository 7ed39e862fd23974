//! `/metrics`: the Prometheus text exposition format (0.0.4).
//!
//! Per SLO it keeps the names Sloth-generated dashboards read (`slo:sli_error:ratio_rate<w>`,
//! `slo:objective:ratio`, `slo:error_budget:ratio`, `slo:time_period:days`,
//! `slo:current_burn_rate:ratio`, `slo:period_burn_rate:ratio`,
//! `slo:period_error_budget_remaining:ratio`, `sloth_slo_info`), labelled `sloth_id`
//! (`service-slo`), `sloth_service`, `sloth_slo` and, on SLI errors, `sloth_window`. A window
//! without traffic has no sample rather than NaN. Native series add exact counts, alert states
//! and the process's own telemetry. Labels stay bounded: SLO ids, partitions, reasons.
//!
//! A service split by host has one series set per sub-service, its `service` (and
//! `sloth_service`) label `<service>:<host>`, at most `max_hosts + 1` of them; beside them
//! `slipstream_split_hosts{service}` and `slipstream_split_overflow_events_total{service}`.
//!
//! [`render`] is CPU work proportional to the number of SLOs (milliseconds for thousands):
//! the server runs it on the blocking pool. It writes into a chunked [`Text`], which the
//! response sends as it is. The process's own series are in `process`.

mod cluster;
mod process;
mod slos;
pub mod text;

use std::fmt::{Display, Write};

pub use self::text::Text;
use super::read::{Evaluated, ReadSide, Telemetry};

/// Appends samples, writing each family's `# HELP` / `# TYPE` once.
#[derive(Debug, Default)]
struct Exposition {
    out: Text,
    family: String,
}

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        if self.family != name {
            let _ = writeln!(self.out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            self.family = name.to_string();
        }
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        write_sample(&mut self.out, name, "", labels, value);
    }

    fn gauge(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: impl Display) {
        self.family(name, "gauge", help);
        self.sample(name, labels, value);
    }

    fn counter(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: impl Display) {
        self.family(name, "counter", help);
        self.sample(name, labels, value);
    }

    /// Appends `families` in order, each with its header; one without samples is left out
    /// unless it is `always` written.
    fn families(&mut self, families: Vec<Family>) {
        for f in families {
            if f.always || !f.body.is_empty() {
                self.family(&f.name, f.kind, &f.help);
                self.out.append(f.body);
            }
        }
    }
}

/// One sample line: `name{<prefix>,<labels>} value`, where `prefix` is labels already
/// written by [`write_labels`] (or empty).
fn write_sample(
    out: &mut Text,
    name: &str,
    prefix: &str,
    labels: &[(&str, &str)],
    value: impl Display,
) {
    out.push_str(name);
    if !prefix.is_empty() || !labels.is_empty() {
        out.push('{');
        out.push_str(prefix);
        if !prefix.is_empty() && !labels.is_empty() {
            out.push(',');
        }
        write_labels(out, labels);
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// `k="v",…` with each value escaped as the text format asks (`\\`, `\"`, `\n`).
fn write_labels(out: &mut impl Write, labels: &[(&str, &str)]) {
    // Both writers (`String`, `Text`) cannot fail.
    let mut put = |s: &str| {
        let _ = out.write_str(s);
    };
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            put(",");
        }
        put(k);
        put("=\"");
        if !v.bytes().any(|b| matches!(b, b'\\' | b'"' | b'\n')) {
            put(v);
        } else {
            for c in v.chars() {
                match c {
                    '\\' => put("\\\\"),
                    '"' => put("\\\""),
                    '\n' => put("\\n"),
                    c => put(c.encode_utf8(&mut [0; 4])),
                }
            }
        }
        put("\"");
    }
}

/// A family whose samples are gathered SLO by SLO into its own body, several families at a
/// time (see [`slos`]); the bodies are appended in order.
#[derive(Debug)]
struct Family {
    name: String,
    kind: &'static str,
    help: String,
    /// Written even without samples.
    always: bool,
    body: Text,
}

impl Family {
    fn new(name: impl Into<String>, kind: &'static str, help: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind,
            help: help.into(),
            always: false,
            body: Text::default(),
        }
    }

    fn always(self) -> Self {
        Self {
            always: true,
            ..self
        }
    }

    fn sample(&mut self, prefix: &str, labels: &[(&str, &str)], value: impl Display) {
        write_sample(&mut self.body, &self.name, prefix, labels, value);
    }
}

/// Renders every metric for `evaluated`, with the process's own counters from `telemetry`.
pub fn render(evaluated: &Evaluated, telemetry: &Telemetry) -> Text {
    let evaluation = &evaluated.evaluation;
    let mut x = Exposition::default();
    x.families(slos::families(evaluation));
    process::split_telemetry(&mut x, evaluation);
    process::telemetry(&mut x, evaluation, evaluated.format);
    process::source_telemetry(&mut x, &telemetry.source, telemetry.ready);
    process::checkpoint_telemetry(&mut x, &telemetry.checkpoint, telemetry.now_us);
    process::reload_telemetry(&mut x, &telemetry.reload);
    process::notification_telemetry(&mut x, &telemetry.notifications);
    process::dead_letter_telemetry(&mut x, &telemetry.dead_letter);
    cluster::cluster_telemetry(
        &mut x,
        evaluated.cluster.as_ref(),
        telemetry.cluster.as_deref(),
    );
    x.out
}

/// Evaluates `read` now and renders every metric (what one scrape answers), in one string.
pub fn render_now(read: &dyn ReadSide) -> String {
    render(&read.evaluate_all(), &read.telemetry()).into()
}

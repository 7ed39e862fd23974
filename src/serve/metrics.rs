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

mod process;
pub mod text;

use std::fmt::{Display, Write};
use std::sync::Arc;

pub use self::text::Text;
use super::read::{Evaluated, ReadSide, Telemetry};
use crate::evaluate::exact::burn_rate;
use crate::evaluate::{AlertState, Evaluation, Ppb, SloCounts, SloObjective, SloReport, Target};
use crate::time::{DAY, MINUTE, format_duration};

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

/// A family whose samples are gathered SLO by SLO: one pass over the SLOs fills every
/// family's body, so each SLO's report is read while it is in cache (a pass per family
/// re-read 10,000 reports from memory each time), and the bodies are appended in order.
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
    let objectives = &evaluation.objectives;
    let windows = WindowNames::of(objectives);
    let families = [
        sloth(evaluation, objectives, &windows),
        native(evaluation, objectives, &windows),
        vec![service_info(objectives)],
    ];
    let mut x = Exposition::default();
    for f in families {
        x.families(f);
    }
    process::split_telemetry(&mut x, evaluation);
    process::telemetry(&mut x, evaluation, evaluated.format);
    process::source_telemetry(&mut x, &telemetry.source, telemetry.ready);
    process::checkpoint_telemetry(&mut x, &telemetry.checkpoint, telemetry.now_us);
    process::reload_telemetry(&mut x, &telemetry.reload);
    process::notification_telemetry(&mut x, &telemetry.notifications);
    process::dead_letter_telemetry(&mut x, &telemetry.dead_letter);
    process::cluster_telemetry(
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

/// A Sloth gauge: name, help, and its value for one ratio SLO from its report and window
/// counts (none: no sample).
type SlothGauge = (
    &'static str,
    &'static str,
    fn(&SloObjective, &SloReport, &SloCounts, Ppb) -> Option<f64>,
);

const SLOTH_GAUGES: [SlothGauge; 6] = [
    (
        "slo:objective:ratio",
        "SLO objective as a ratio.",
        |_, _, _, p| Some(p.as_f64()),
    ),
    (
        "slo:error_budget:ratio",
        "Error budget as a ratio (1 - objective).",
        |_, _, _, p| Some(p.complement().as_f64()),
    ),
    (
        "slo:time_period:days",
        "SLO period in days.",
        |o, _, _, _| Some(o.period_us as f64 / DAY as f64),
    ),
    (
        "slo:current_burn_rate:ratio",
        "Burn rate over the last 5m.",
        |o, _, c, p| {
            let i = o.windows.iter().position(|&w| w == 5 * MINUTE)?;
            burn_rate(c.windows[i], p)
        },
    ),
    (
        "slo:period_burn_rate:ratio",
        "Burn rate over the whole SLO period.",
        period_burn_rate,
    ),
    (
        "slo:period_error_budget_remaining:ratio",
        "Remaining error budget of the period (1 untouched, 0 spent).",
        |_, r, _, _| r.budget.as_ref().map(|b| b.remaining_ratio),
    ),
];

/// Burn rate over the SLO period: the rolling period's own window; for a calendar period the
/// budget's counts over `[period start, end)`; for timeslice budgeting the share of the
/// budget the report says is consumed (`1 − remaining_ratio`). No sample without data.
fn period_burn_rate(o: &SloObjective, r: &SloReport, c: &SloCounts, p: Ppb) -> Option<f64> {
    let b = r.budget.as_ref()?;
    if let Some(slices) = &b.slices {
        return (slices.with_data > 0).then_some(1.0 - b.remaining_ratio);
    }
    if o.calendar.is_none()
        && let Some(i) = o.windows.iter().position(|&w| w == o.period_us)
    {
        return burn_rate(c.windows[i], p);
    }
    let budget = p.complement().as_f64();
    (b.total > 0 && budget > 0.0).then(|| b.bad as f64 / b.total as f64 / budget)
}

/// Every window length the SLOs report, ascending, with its name (`5m`): what the families
/// label a window with, so that rendering reads each SLO's window counts ([`SloCounts`], a
/// few bytes per window) and not its reports' windows.
struct WindowNames {
    lengths: Vec<i64>,
    names: Vec<String>,
}

impl WindowNames {
    fn of(objectives: &[Arc<SloObjective>]) -> Self {
        // A handful of distinct lengths among every SLO's windows: each is inserted in
        // order once, rather than every SLO's windows collected and sorted.
        let mut lengths: Vec<i64> = Vec::new();
        for &w in objectives.iter().flat_map(|o| o.windows.iter()) {
            if let Err(at) = lengths.binary_search(&w) {
                lengths.insert(at, w);
            }
        }
        let names = lengths.iter().map(|&w| format_duration(w)).collect();
        Self { lengths, names }
    }

    /// The index of length `w`.
    fn index(&self, w: i64) -> Option<usize> {
        self.lengths.binary_search(&w).ok()
    }
}

/// The Sloth families: one per window length then [`SLOTH_GAUGES`] then `sloth_slo_info`, for
/// the ratio SLOs; a family without samples is left out, as is a window without traffic.
fn sloth(e: &Evaluation, objectives: &[Arc<SloObjective>], windows: &WindowNames) -> Vec<Family> {
    let ratio_slos = objectives
        .iter()
        .zip(&e.report.slos)
        .zip(&e.counts)
        .filter_map(|((o, r), c)| match o.target {
            Target::Ratio(p) => Some((o, r, c, p)),
            Target::MinRate { .. } => None,
        });
    let labels = &windows.names;
    let mut families: Vec<Family> = labels
        .iter()
        .map(|label| {
            Family::new(
                format!("slo:sli_error:ratio_rate{label}"),
                "gauge",
                format!("Error ratio over the last {label}."),
            )
        })
        .chain(
            SLOTH_GAUGES
                .iter()
                .map(|&(name, help, _)| Family::new(name, "gauge", help)),
        )
        .chain([Family::new(
            "sloth_slo_info",
            "gauge",
            "SLO metadata, Sloth-compatible.",
        )])
        .collect();
    let (by_window, rest) = families.split_at_mut(labels.len());
    let (gauges, info) = rest.split_at_mut(SLOTH_GAUGES.len());
    // Reused from SLO to SLO, so that the text allocates nothing per SLO.
    let (mut ids, mut id, mut objective) = (String::new(), String::new(), String::new());
    for (o, r, c, p) in ratio_slos {
        ids.clear();
        id.clear();
        objective.clear();
        let _ = write!(id, "{}-{}", o.service, o.slo);
        write_labels(
            &mut ids,
            &[
                ("sloth_id", &id),
                ("sloth_service", &o.service),
                ("sloth_slo", &o.slo),
            ],
        );
        for (&w, counts) in o.windows.iter().zip(&c.windows) {
            if counts.total > 0
                && let Some(k) = windows.index(w)
            {
                let ratio = (counts.total - counts.good) as f64 / counts.total as f64;
                by_window[k].sample(&ids, &[("sloth_window", &labels[k])], ratio);
            }
        }
        for (family, (_, _, value)) in gauges.iter_mut().zip(SLOTH_GAUGES) {
            if let Some(v) = value(o, r, c, p) {
                family.sample(&ids, &[], v);
            }
        }
        let _ = write!(objective, "{}", p.as_f64() * 100.0);
        info[0].sample(
            &ids,
            &[
                ("sloth_objective", &objective),
                ("sloth_mode", "slipstream"),
                ("sloth_version", env!("CARGO_PKG_VERSION")),
            ],
            1,
        );
    }
    families
}

/// `slipstream_service_info`: 1 per service (and sub-service) with SLOs, labelled with its
/// catalog entry (`owner`, `tier`, `oncall`, `runbook_url`, `dashboard_url`, free labels),
/// so any series can be joined to its owner with `* on(service) group_left(owner)`.
fn service_info(objectives: &[Arc<SloObjective>]) -> Family {
    let mut info = Family::new(
        "slipstream_service_info",
        "gauge",
        "The service's catalog entry as labels; always 1.",
    )
    .always();
    // foldhash rather than SipHash: a service name per SLO, 10,000 of them at the most.
    let mut seen = std::collections::HashSet::with_hasher(foldhash::fast::RandomState::default());
    for o in objectives {
        if !seen.insert(&*o.service) {
            continue;
        }
        let fields = o.catalog.info_labels();
        let labels: Vec<(&str, &str)> = std::iter::once(("service", &*o.service))
            .chain(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .collect();
        info.sample("", &labels, 1);
    }
    info
}

/// The native per-SLO families, every one written: lifetime and window counts, which alerts
/// fire, the policy tier, and whether the period has no data.
fn native(e: &Evaluation, objectives: &[Arc<SloObjective>], windows: &WindowNames) -> Vec<Family> {
    let mut events = Family::new(
        "slipstream_slo_events_total",
        "counter",
        "Events classified per SLO since start.",
    );
    let mut window_events = Family::new(
        "slipstream_slo_window_events",
        "gauge",
        "Exact events per window [start, end) as reported by the API.",
    );
    let mut firing = Family::new(
        "slipstream_slo_alert_firing",
        "gauge",
        "1 when the alert fires (with a hold: once its condition has held for it).",
    );
    let mut pending = Family::new(
        "slipstream_slo_alert_pending",
        "gauge",
        "1 while an alert's condition holds for less than its hold.",
    );
    let mut tiers = Family::new(
        "slipstream_slo_policy_tier",
        "gauge",
        "1 for the current error-budget policy tier.",
    );
    let mut no_data = Family::new(
        "slipstream_slo_no_data",
        "gauge",
        "1 when the SLO period holds no event.",
    );
    let mut ids = String::new();
    for ((o, c), r) in objectives.iter().zip(&e.counts).zip(&e.report.slos) {
        ids.clear();
        write_labels(&mut ids, &[("service", &o.service), ("slo", &o.slo)]);
        events.sample(&ids, &[("result", "good")], c.lifetime[0]);
        events.sample(&ids, &[("result", "bad")], c.lifetime[1]);
        for (&w, counts) in o.windows.iter().zip(&c.windows) {
            let Some(k) = windows.index(w) else { continue };
            let window = ("window", windows.names[k].as_str());
            window_events.sample(&ids, &[window, ("result", "good")], counts.good);
            window_events.sample(&ids, &[window, ("result", "total")], counts.total);
        }
        for a in &r.alerts {
            let labels = [("alert", &*a.name), ("severity", a.severity.as_str())];
            firing.sample(&ids, &labels, u8::from(a.status.firing));
            if a.status.hold_us > 0 {
                let pending_now = a.status.state == AlertState::Pending;
                pending.sample(&ids, &labels, u8::from(pending_now));
            }
        }
        if let Some(tier) = r.policy.tier {
            tiers.sample(&ids, &[("tier", tier.as_str())], 1);
        }
        no_data.sample(&ids, &[], u8::from(r.no_data));
    }
    let mut families: Vec<Family> = [events, window_events, firing, tiers, no_data]
        .into_iter()
        .map(Family::always)
        .collect();
    // Only with held alerts.
    families.push(pending);
    families
}

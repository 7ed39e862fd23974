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
//! the server runs it on the blocking pool. The process's own series are in `process`.

mod process;

use std::fmt::{Display, Write};

use super::read::{Evaluated, ReadSide, Telemetry};
use crate::evaluate::{Evaluation, Ppb, SloObjective, SloReport, Target};
use crate::time::{DAY, MINUTE, format_duration};

/// Appends samples, writing each family's `# HELP` / `# TYPE` once.
#[derive(Debug, Default)]
struct Exposition {
    out: String,
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
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"");
                for c in v.chars() {
                    match c {
                        '\\' => self.out.push_str("\\\\"),
                        '"' => self.out.push_str("\\\""),
                        '\n' => self.out.push_str("\\n"),
                        c => self.out.push(c),
                    }
                }
                self.out.push('"');
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }

    fn gauge(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: impl Display) {
        self.family(name, "gauge", help);
        self.sample(name, labels, value);
    }
}

/// Renders every metric for `evaluated`, with the process's own counters from `telemetry`.
pub fn render(evaluated: &Evaluated, telemetry: &Telemetry) -> String {
    let evaluation = &evaluated.evaluation;
    let objectives = &evaluation.objectives;
    let mut x = Exposition::default();
    sloth(&mut x, evaluation, objectives);
    native(&mut x, evaluation, objectives);
    process::split_telemetry(&mut x, evaluation);
    process::telemetry(&mut x, evaluation, evaluated.format);
    process::source_telemetry(&mut x, &telemetry.source, telemetry.ready);
    process::checkpoint_telemetry(&mut x, &telemetry.checkpoint, telemetry.now_us);
    process::reload_telemetry(&mut x, &telemetry.reload);
    process::notification_telemetry(&mut x, &telemetry.notifications);
    process::dead_letter_telemetry(&mut x, &telemetry.dead_letter);
    x.out
}

/// Evaluates `read` now and renders every metric (what one scrape answers).
pub fn render_now(read: &dyn ReadSide) -> String {
    render(&read.evaluate_all(), &read.telemetry())
}

/// A Sloth gauge: name, help, and its value for one ratio SLO (none: no sample).
type SlothGauge = (
    &'static str,
    &'static str,
    fn(&SloObjective, &SloReport, Ppb) -> Option<f64>,
);

const SLOTH_GAUGES: [SlothGauge; 6] = [
    (
        "slo:objective:ratio",
        "SLO objective as a ratio.",
        |_, _, p| Some(p.as_f64()),
    ),
    (
        "slo:error_budget:ratio",
        "Error budget as a ratio (1 - objective).",
        |_, _, p| Some(p.complement().as_f64()),
    ),
    ("slo:time_period:days", "SLO period in days.", |o, _, _| {
        Some(o.period_us as f64 / DAY as f64)
    }),
    (
        "slo:current_burn_rate:ratio",
        "Burn rate over the last 5m.",
        |o, r, _| {
            let i = o.windows.iter().position(|&w| w == 5 * MINUTE)?;
            r.windows[i].burn_rate
        },
    ),
    (
        "slo:period_burn_rate:ratio",
        "Burn rate over the whole SLO period.",
        |o, r, p| period_burn_rate(o, r, p),
    ),
    (
        "slo:period_error_budget_remaining:ratio",
        "Remaining error budget of the period (1 untouched, 0 spent).",
        |_, r, _| r.budget.as_ref().map(|b| b.remaining_ratio),
    ),
];

/// Burn rate over the SLO period: the rolling period's own window; for a calendar period the
/// budget's counts over `[period start, end)`; for timeslice budgeting the share of the
/// budget the report says is consumed (`1 − remaining_ratio`). No sample without data.
fn period_burn_rate(o: &SloObjective, r: &SloReport, p: Ppb) -> Option<f64> {
    let b = r.budget.as_ref()?;
    if let Some(slices) = &b.slices {
        return (slices.with_data > 0).then_some(1.0 - b.remaining_ratio);
    }
    if o.calendar.is_none()
        && let Some(i) = o.windows.iter().position(|&w| w == o.period_us)
    {
        return r.windows[i].burn_rate;
    }
    let budget = p.complement().as_f64();
    (b.total > 0 && budget > 0.0).then(|| b.bad as f64 / b.total as f64 / budget)
}

fn sloth(x: &mut Exposition, e: &Evaluation, objectives: &[SloObjective]) {
    let ratio_slos: Vec<(&SloObjective, &SloReport, Ppb, [String; 3])> = objectives
        .iter()
        .zip(&e.report.slos)
        .filter_map(|(o, r)| match o.target {
            Target::Ratio(p) => {
                let ids = [
                    format!("{}-{}", o.service, o.slo),
                    o.service.clone(),
                    o.slo.clone(),
                ];
                Some((o, r, p, ids))
            }
            Target::MinRate { .. } => None,
        })
        .collect();
    // One family per window length, as Sloth names them; no sample without traffic.
    let mut windows: Vec<i64> = ratio_slos
        .iter()
        .flat_map(|(o, ..)| o.windows.iter().copied())
        .collect();
    windows.sort_unstable();
    windows.dedup();
    for w in windows {
        let label = format_duration(w);
        let name = format!("slo:sli_error:ratio_rate{label}");
        for (o, r, _, [id, svc, slo]) in &ratio_slos {
            let Some(c) = o
                .windows
                .iter()
                .position(|&ow| ow == w)
                .map(|i| &r.windows[i])
            else {
                continue;
            };
            if c.total > 0 {
                x.family(
                    &name,
                    "gauge",
                    &format!("Error ratio over the last {label}."),
                );
                let labels = [
                    ("sloth_id", id.as_str()),
                    ("sloth_service", svc),
                    ("sloth_slo", slo),
                    ("sloth_window", &label),
                ];
                x.sample(&name, &labels, (c.total - c.good) as f64 / c.total as f64);
            }
        }
    }
    for (name, help, value) in SLOTH_GAUGES {
        for (o, r, p, [id, svc, slo]) in &ratio_slos {
            if let Some(v) = value(o, r, *p) {
                x.gauge(
                    name,
                    help,
                    &[("sloth_id", id), ("sloth_service", svc), ("sloth_slo", slo)],
                    v,
                );
            }
        }
    }
    for (_, _, p, [id, svc, slo]) in &ratio_slos {
        let objective = format!("{}", p.as_f64() * 100.0);
        let labels = [
            ("sloth_id", id.as_str()),
            ("sloth_service", svc),
            ("sloth_slo", slo),
            ("sloth_objective", &objective),
            ("sloth_mode", "slipstream"),
            ("sloth_version", env!("CARGO_PKG_VERSION")),
        ];
        x.gauge(
            "sloth_slo_info",
            "SLO metadata, Sloth-compatible.",
            &labels,
            1,
        );
    }
}

fn native(x: &mut Exposition, e: &Evaluation, objectives: &[SloObjective]) {
    x.family(
        "slipstream_slo_events_total",
        "counter",
        "Events classified per SLO since start.",
    );
    for (o, c) in objectives.iter().zip(&e.counts) {
        x.sample(
            "slipstream_slo_events_total",
            &[("service", &o.service), ("slo", &o.slo), ("result", "good")],
            c.lifetime[0],
        );
        x.sample(
            "slipstream_slo_events_total",
            &[("service", &o.service), ("slo", &o.slo), ("result", "bad")],
            c.lifetime[1],
        );
    }
    x.family(
        "slipstream_slo_window_events",
        "gauge",
        "Exact events per window [start, end) as reported by the API.",
    );
    for (o, r) in objectives.iter().zip(&e.report.slos) {
        for w in &r.windows {
            x.sample(
                "slipstream_slo_window_events",
                &[
                    ("service", &o.service),
                    ("slo", &o.slo),
                    ("window", &w.window),
                    ("result", "good"),
                ],
                w.good,
            );
            x.sample(
                "slipstream_slo_window_events",
                &[
                    ("service", &o.service),
                    ("slo", &o.slo),
                    ("window", &w.window),
                    ("result", "total"),
                ],
                w.total,
            );
        }
    }
    native_state(x, e, objectives);
}

/// Per SLO: which alerts fire, the policy tier, and whether the period has no data.
fn native_state(x: &mut Exposition, e: &Evaluation, objectives: &[SloObjective]) {
    x.family(
        "slipstream_slo_alert_firing",
        "gauge",
        "1 when the alert condition holds.",
    );
    for (o, r) in objectives.iter().zip(&e.report.slos) {
        for a in &r.alerts {
            x.sample(
                "slipstream_slo_alert_firing",
                &[
                    ("service", &o.service),
                    ("slo", &o.slo),
                    ("alert", &a.name),
                    ("severity", a.severity.as_str()),
                ],
                u8::from(a.firing),
            );
        }
    }
    x.family(
        "slipstream_slo_policy_tier",
        "gauge",
        "1 for the current error-budget policy tier.",
    );
    for (o, r) in objectives.iter().zip(&e.report.slos) {
        if let Some(tier) = r.policy.tier.map(|t| t.as_str()) {
            x.sample(
                "slipstream_slo_policy_tier",
                &[("service", &o.service), ("slo", &o.slo), ("tier", tier)],
                1,
            );
        }
    }
    x.family(
        "slipstream_slo_no_data",
        "gauge",
        "1 when the SLO period holds no event.",
    );
    for (o, r) in objectives.iter().zip(&e.report.slos) {
        x.sample(
            "slipstream_slo_no_data",
            &[("service", &o.service), ("slo", &o.slo)],
            u8::from(r.no_data),
        );
    }
}

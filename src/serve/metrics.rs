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

use std::fmt::{Display, Write};

use std::sync::atomic::Ordering;

use crate::app::{Generation, Pipeline, ReloadStats};
use crate::checkpoint::CheckpointStats;
use crate::decode::{DecodeError, Format};
use crate::evaluate::{Evaluation, Ppb, SloObjective, SloReport, Target};
use crate::source::SourceTelemetry;
use crate::time::{DAY, MINUTE, SECOND, format_duration};
use crate::window::ShardStats;

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

/// Renders every metric for `evaluation`, which evaluated generation `g` of `p`.
pub fn render(evaluation: &Evaluation, g: &Generation, p: &Pipeline) -> String {
    let objectives = &evaluation.objectives;
    let now_us = p.clock.now_us();
    let mut x = Exposition::default();
    sloth(&mut x, evaluation, objectives);
    native(&mut x, evaluation, objectives);
    split_telemetry(&mut x, evaluation);
    telemetry(&mut x, evaluation, g.format);
    source_telemetry(&mut x, &p.source_telemetry, p.ready.load(Ordering::SeqCst));
    checkpoint_telemetry(&mut x, &p.checkpoint_stats, now_us);
    reload_telemetry(&mut x, &p.reload_stats);
    x.family(
        "slipstream_alertmanager_notifications_total",
        "counter",
        "Requests that pushed alerts to Alertmanager, by result.",
    );
    for (result, n) in [
        ("ok", &p.alertmanager_stats.ok),
        ("failed", &p.alertmanager_stats.failed),
    ] {
        x.sample(
            "slipstream_alertmanager_notifications_total",
            &[("result", result)],
            n.load(Ordering::Relaxed),
        );
    }
    let (written, dropped) = p.dead_letter.as_ref().map_or((0, 0), |d| {
        (
            d.written.load(Ordering::Relaxed),
            d.dropped.load(Ordering::Relaxed),
        )
    });
    x.family(
        "slipstream_dead_letter_lines_total",
        "counter",
        "Undecodable lines written to the dead-letter file.",
    );
    x.sample("slipstream_dead_letter_lines_total", &[], written);
    x.family(
        "slipstream_dead_letter_dropped_total",
        "counter",
        "Undecodable lines not written to the dead-letter file (full, or a write failed).",
    );
    x.sample("slipstream_dead_letter_dropped_total", &[], dropped);
    x.out
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

fn split_telemetry(x: &mut Exposition, e: &Evaluation) {
    if e.splits.is_empty() {
        return;
    }
    x.family(
        "slipstream_split_hosts",
        "gauge",
        "Hosts with their own sub-service, per service split by host (at most its max_hosts).",
    );
    for s in &e.splits {
        x.sample(
            "slipstream_split_hosts",
            &[("service", &s.service)],
            s.hosts,
        );
    }
    x.family(
        "slipstream_split_max_hosts",
        "gauge",
        "The configured max_hosts of each service split by host.",
    );
    for s in &e.splits {
        x.sample(
            "slipstream_split_max_hosts",
            &[("service", &s.service)],
            s.max_hosts,
        );
    }
    x.family(
        "slipstream_split_overflow_events_total",
        "counter",
        "Events of hosts beyond max_hosts, counted in the service's _overflow sub-service.",
    );
    for s in &e.splits {
        x.sample(
            "slipstream_split_overflow_events_total",
            &[("service", &s.service)],
            s.overflow_events,
        );
    }
}

fn telemetry(x: &mut Exposition, e: &Evaluation, format: Format) {
    let mut total = ShardStats::default();
    for p in &e.partitions {
        total.add(&p.stats);
    }
    x.family(
        "slipstream_lines_total",
        "counter",
        "Lines read, per partition.",
    );
    for p in &e.partitions {
        x.sample(
            "slipstream_lines_total",
            &[("partition", &p.name)],
            p.stats.lines,
        );
    }
    x.family(
        "slipstream_bytes_total",
        "counter",
        "Bytes read (without line endings), per partition.",
    );
    for p in &e.partitions {
        x.sample(
            "slipstream_bytes_total",
            &[("partition", &p.name)],
            p.stats.bytes,
        );
    }
    x.family(
        "slipstream_partition_next_offset",
        "gauge",
        "Source position just past the last applied line.",
    );
    for p in &e.partitions {
        x.sample(
            "slipstream_partition_next_offset",
            &[("partition", &p.name)],
            p.next_offset,
        );
    }
    x.family(
        "slipstream_partition_newest_event_seconds",
        "gauge",
        "Newest event time applied, per partition, Unix seconds (its watermark before the allowed lateness).",
    );
    for p in &e.partitions {
        if let Some(t) = p.newest_us {
            x.sample(
                "slipstream_partition_newest_event_seconds",
                &[("partition", &p.name)],
                t as f64 / SECOND as f64,
            );
        }
    }
    x.family(
        "slipstream_partition_active",
        "gauge",
        "1 while the partition may hold the evaluation time back (assigned, not at its end, not idle).",
    );
    for p in &e.partitions {
        x.sample(
            "slipstream_partition_active",
            &[("partition", &p.name)],
            u8::from(p.active),
        );
    }
    x.family(
        "slipstream_dedup_ids",
        "gauge",
        "Request ids remembered for de-duplication, per partition.",
    );
    for p in &e.partitions {
        x.sample(
            "slipstream_dedup_ids",
            &[("partition", &p.name)],
            p.dedup_ids,
        );
    }
    x.family(
        "slipstream_decode_errors_total",
        "counter",
        "Lines that did not decode, by format and reason.",
    );
    for err in DecodeError::ALL {
        x.sample(
            "slipstream_decode_errors_total",
            &[("format", format.name()), ("reason", err.reason())],
            total.decode_errors[err.index()],
        );
    }
    x.sample(
        "slipstream_decode_errors_total",
        &[("format", format.name()), ("reason", "too_long")],
        total.too_long,
    );
    x.family(
        "slipstream_events_total",
        "counter",
        "Decoded events by what happened to them.",
    );
    for (outcome, n) in [
        ("applied", total.applied),
        ("unmatched", total.unmatched),
        ("too_old", total.too_old),
        ("too_future", total.too_future),
        ("duplicate", total.duplicates),
    ] {
        x.sample("slipstream_events_total", &[("outcome", outcome)], n);
    }
    x.gauge(
        "slipstream_evaluation_time_seconds",
        "Evaluation time T (event-time watermark), Unix seconds.",
        &[],
        e.evaluated_at_us as f64 / SECOND as f64,
    );
    x.gauge(
        "slipstream_data_lag_seconds",
        "Wall clock minus the evaluation time.",
        &[],
        e.report.data_lag_seconds,
    );
    x.gauge(
        "slipstream_build_info",
        "Build information.",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1,
    );
    if let Some(rss) = resident_bytes() {
        x.gauge(
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            &[],
            rss,
        );
    }
}

fn source_telemetry(x: &mut Exposition, s: &SourceTelemetry, ready: bool) {
    let load = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    x.gauge(
        "slipstream_ready",
        "1 when the source has delivered data and can read.",
        &[],
        u8::from(ready),
    );
    x.family(
        "slipstream_source_rebalances_total",
        "counter",
        "Consumer group rebalance callbacks.",
    );
    x.sample(
        "slipstream_source_rebalances_total",
        &[],
        load(&s.rebalances),
    );
    x.family(
        "slipstream_source_commits_total",
        "counter",
        "Offset commits by result.",
    );
    x.sample(
        "slipstream_source_commits_total",
        &[("result", "ok")],
        load(&s.commits),
    );
    x.sample(
        "slipstream_source_commits_total",
        &[("result", "failed")],
        load(&s.commit_failures),
    );
    x.family(
        "slipstream_source_discarded_on_revoke_total",
        "counter",
        "Fetched messages left to the next owner of a revoked partition.",
    );
    x.sample(
        "slipstream_source_discarded_on_revoke_total",
        &[],
        load(&s.discarded_on_revoke),
    );
    let lag = s.lag.lock().map(|l| l.clone()).unwrap_or_default();
    if !lag.is_empty() {
        x.family(
            "slipstream_kafka_consumer_lag",
            "gauge",
            "Messages between the consumer position and the partition's high watermark.",
        );
        for (partition, lag) in &lag {
            x.sample(
                "slipstream_kafka_consumer_lag",
                &[("partition", partition)],
                lag,
            );
        }
    }
}

fn checkpoint_telemetry(x: &mut Exposition, c: &CheckpointStats, now_us: i64) {
    let load = |v: &std::sync::atomic::AtomicU64| v.load(std::sync::atomic::Ordering::Relaxed);
    x.family(
        "slipstream_checkpoints_total",
        "counter",
        "Checkpoint writes by result.",
    );
    x.sample(
        "slipstream_checkpoints_total",
        &[("result", "ok")],
        load(&c.writes),
    );
    x.sample(
        "slipstream_checkpoints_total",
        &[("result", "failed")],
        load(&c.failures),
    );
    x.family(
        "slipstream_checkpoint_load_failures_total",
        "counter",
        "Checkpoint files rejected at start (corrupt, truncated, wrong version).",
    );
    x.sample(
        "slipstream_checkpoint_load_failures_total",
        &[],
        load(&c.load_failures),
    );
    x.gauge(
        "slipstream_checkpoint_restored_partitions",
        "Partitions restored from a checkpoint at start.",
        &[],
        load(&c.restored_partitions),
    );
    let last = c.last_success_us.load(std::sync::atomic::Ordering::Relaxed);
    if last > 0 {
        x.gauge(
            "slipstream_checkpoint_age_seconds",
            "Time since the last successful checkpoint.",
            &[],
            (now_us - last).max(0) as f64 / SECOND as f64,
        );
        x.gauge(
            "slipstream_checkpoint_size_bytes",
            "Size of the last checkpoint.",
            &[],
            load(&c.last_bytes),
        );
        x.gauge(
            "slipstream_checkpoint_duration_seconds",
            "Time the last checkpoint took to snapshot and write.",
            &[],
            load(&c.last_duration_us) as f64 / SECOND as f64,
        );
    }
}

fn reload_telemetry(x: &mut Exposition, r: &ReloadStats) {
    x.family(
        "slipstream_config_reloads_total",
        "counter",
        "Configuration reloads applied (SIGHUP or file change).",
    );
    x.sample(
        "slipstream_config_reloads_total",
        &[],
        r.reloads.load(Ordering::Relaxed),
    );
    x.family(
        "slipstream_config_reload_failures_total",
        "counter",
        "Configuration reloads rejected (invalid, or needing a restart); the old one runs on.",
    );
    x.sample(
        "slipstream_config_reload_failures_total",
        &[],
        r.failures.load(Ordering::Relaxed),
    );
    x.family(
        "slipstream_config_reload_restart_required",
        "gauge",
        "1 for each restart-only field that the last rejected reload changed: the file differs from what runs until a restart.",
    );
    for field in r.restart_required() {
        x.sample(
            "slipstream_config_reload_restart_required",
            &[("field", field)],
            1,
        );
    }
    x.gauge(
        "slipstream_config_last_reload_successful",
        "1 unless the last reload was rejected.",
        &[],
        u8::from(r.last_error().is_none()),
    );
    x.gauge(
        "slipstream_config_last_reload_success_timestamp_seconds",
        "When the running configuration was loaded (start or last successful reload).",
        &[],
        r.last_success_us.load(Ordering::Relaxed) as f64 / SECOND as f64,
    );
}

/// Resident set size from `/proc/self/statm` (Linux); `None` elsewhere.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

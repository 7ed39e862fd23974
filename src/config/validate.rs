//! Meaning checks across documents, building the typed [`Config`].
//!
//! Indicator names fix what an SLO measures and how its `threshold` reads:
//! `availability` (percent of requests not 5xx), `error_rate` (at most this percent 5xx),
//! `latency_pNN` (NN % of requests no slower than a duration; `p999` is 99.9 %) and
//! `throughput` with `type: minimum` (good requests per second over the window).

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;

use super::raw::{self, IndicatorSpec};
use super::{
    AlertmanagerConfig, CheckpointConfig, Config, DeadLetterConfig, Parsed, Problems, SourceConfig,
    TlsConfig, TokenSource,
};
use crate::classify::{Matcher, Service, Sli, SloRule};
use crate::decode::envelope::Envelope;
use crate::decode::json::{JsonMapping, JsonPath, TimeFormat};
use crate::decode::{Format, Unit};
use crate::evaluate::{
    BudgetAlert, Budgeting, BurnAlert, Factor, PolicyTiers, Ppb, SloObjective, Target,
    default_burn_alerts, windows_for,
};
use crate::source::demo::{DemoSpec, LineFormat};
use crate::source::file::FileSpec;
use crate::source::kafka::{KafkaSpec, StartFrom};
use crate::time::{SECOND, format_duration, parse_duration};
use crate::window::{DedupConfig, WindowConfig};

/// Default HTTP listen address.
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:9977";

fn duration(text: &str, at: &str, problems: &mut Problems) -> Option<i64> {
    parse_duration(text)
        .map_err(|e| problems.push(at, e.to_string()))
        .ok()
}

/// Validates the deserialized documents of one configuration.
pub(super) fn validate(
    docs: Vec<(String, Parsed)>,
    pipelines_seen: usize,
    origin: &str,
    problems: &mut Problems,
) -> Option<Config> {
    let mut pipelines = Vec::new();
    let mut slos = Vec::new();
    let mut policies = Vec::new();
    let mut openslo = Vec::new();
    for (at, doc) in docs {
        match doc {
            Parsed::Pipeline(d) => pipelines.push((at, d)),
            Parsed::Slo(d) => slos.push((at, *d)),
            Parsed::Policy(d) => policies.push((at, d)),
            Parsed::OpenSlo(d) => openslo.push((at, d)),
        }
    }
    if pipelines_seen != 1 {
        problems.push(
            origin,
            format!("expected exactly one slipstream/v1 Pipeline document, found {pipelines_seen}"),
        );
    }
    let Some((at, pipeline)) = pipelines.into_iter().next() else {
        // Without services nothing refers to anything, but each SLO and policy can still be
        // checked on its own.
        check_detached(&slos, &policies, problems);
        return None;
    };
    let p = pipeline.spec;

    let listen = p.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
    let listen: Option<SocketAddr> = listen
        .parse()
        .map_err(|_| {
            problems.push(
                format!("{at}: spec.listen"),
                format!("{listen:?} is not an address like 127.0.0.1:9977"),
            )
        })
        .ok();
    let mut source = source(&p.source, &at, problems);
    let format = Format::from_name(&p.decode.format).or_else(|| {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
        problems.push(
            format!("{at}: spec.decode.format"),
            format!(
                "unknown format {:?}: expected one of {}",
                p.decode.format,
                names.join(", ")
            ),
        );
        None
    });
    let envelope_name = p.decode.envelope.as_deref().unwrap_or("none");
    let envelope = Envelope::from_name(envelope_name);
    if envelope.is_none() {
        let names: Vec<&str> = Envelope::ALL.iter().map(|e| e.name()).collect();
        problems.push(
            format!("{at}: spec.decode.envelope"),
            format!(
                "unknown envelope {envelope_name:?}: expected one of {}",
                names.join(", ")
            ),
        );
    }
    let max_line_bytes = match p.decode.max_line_bytes {
        None => Some(DEFAULT_MAX_LINE_BYTES),
        Some(n @ 1..=MAX_MAX_LINE_BYTES) => usize::try_from(n).ok(),
        Some(_) => {
            problems.push(
                format!("{at}: spec.decode.max_line_bytes"),
                format!("must be between 1 and {MAX_MAX_LINE_BYTES}"),
            );
            None
        }
    };
    let dead_letter = p.decode.dead_letter.as_ref().and_then(|d| {
        if d.path.is_empty() {
            problems.push(
                format!("{at}: spec.decode.dead_letter.path"),
                "must not be empty",
            );
            return None;
        }
        Some(DeadLetterConfig {
            path: PathBuf::from(&d.path),
            max_bytes: d.max_bytes.unwrap_or(100 << 20),
        })
    });
    let json = match (&p.decode.json, format) {
        (Some(j), Some(Format::Json)) => {
            json_mapping(j, &format!("{at}: spec.decode.json"), problems)
        }
        (None, Some(Format::Json)) => {
            problems.push(
                format!("{at}: spec.decode.json"),
                "format json needs a json mapping (at least time_field and status_field)",
            );
            None
        }
        (Some(_), Some(f)) => {
            problems.push(
                format!("{at}: spec.decode.json"),
                format!("applies only to format json, not {}", f.name()),
            );
            None
        }
        (_, None) | (None, Some(_)) => None,
    };
    let window = window(&p.window, &at, problems);
    let checkpoint = p.checkpoint.as_ref().and_then(|c| {
        if c.dir.trim().is_empty() {
            problems.push(format!("{at}: spec.checkpoint.dir"), "must not be empty");
        }
        let interval_us = match &c.interval {
            Some(i) => duration(i, &format!("{at}: spec.checkpoint.interval"), problems)?,
            None => 10 * SECOND,
        };
        Some(CheckpointConfig {
            dir: PathBuf::from(&c.dir),
            interval_us,
        })
    });
    let alertmanager = p
        .alertmanager
        .as_ref()
        .and_then(|a| alertmanager(a, &at, problems));
    let http_auth = p
        .http
        .as_ref()
        .and_then(|h| h.auth.as_ref())
        .and_then(|a| http_auth(a, &at, problems));
    let http_tls = p
        .http
        .as_ref()
        .and_then(|h| h.tls.as_ref())
        .and_then(|t| http_tls(t, &at, problems));
    // The demo writes lines in the format the pipeline decodes.
    if let (Some(SourceConfig::Demo(d)), Some(f)) = (&mut source, format) {
        match f {
            Format::Alb => d.format = LineFormat::Alb,
            Format::Nginx => d.format = LineFormat::Nginx,
            other => problems.push(
                format!("{at}: spec.decode.format"),
                format!(
                    "the demo source writes alb or nginx lines, not {}: use format alb or nginx \
                     with the demo, or another source",
                    other.name()
                ),
            ),
        }
    }

    let mut services = Vec::new();
    let mut splits = Vec::new();
    let mut seen = HashSet::new();
    for (i, s) in p.services.iter().enumerate() {
        let here = format!("{at}: spec.services[{i}]");
        if s.name.is_empty() {
            problems.push(format!("{here}.name"), "must not be empty");
        } else if !seen.insert(s.name.clone()) {
            problems.push(
                format!("{here}.name"),
                format!("duplicate service {:?}", s.name),
            );
        }
        let m = &s.matcher;
        for (field, value) in [
            ("host", &m.host),
            ("path_prefix", &m.path_prefix),
            ("method", &m.method),
            ("backend", &m.backend),
        ] {
            if value.as_deref() == Some("") {
                problems.push(
                    format!("{here}.match.{field}"),
                    "must not be empty (omit it instead)",
                );
            }
        }
        splits.push(super::split::split(s, &here, problems));
        services.push(Service {
            name: s.name.clone(),
            matcher: Matcher {
                host: m.host.clone(),
                path_prefix: m.path_prefix.clone(),
                method: m.method.clone(),
                backend: m.backend.clone(),
            },
        });
    }
    if services.is_empty() {
        problems.push(
            format!("{at}: spec.services"),
            "at least one service is required",
        );
    }
    let service_index: BTreeMap<&str, usize> = services
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();

    // Policies by service: extra burn alerts and tiers.
    let mut policy_of: BTreeMap<usize, (Vec<BurnAlert>, PolicyTiers)> = BTreeMap::new();
    for (at, d) in &policies {
        let Some(&svc) = service_index.get(d.spec.service.as_str()) else {
            problems.push(
                format!("{at}: spec.service"),
                format!("unknown service {:?}", d.spec.service),
            );
            continue;
        };
        if policy_of.contains_key(&svc) {
            problems.push(
                format!("{at}: spec.service"),
                format!(
                    "service {:?} already has an ErrorBudgetPolicy",
                    d.spec.service
                ),
            );
            continue;
        }
        let alerts = d
            .spec
            .burn_rate_thresholds
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                burn_threshold(
                    b,
                    &format!("{at}: spec.burn_rate_thresholds[{i}]"),
                    problems,
                )
            })
            .collect();
        let tiers = d
            .spec
            .tiers
            .as_ref()
            .and_then(|t| tiers(t, &format!("{at}: spec.tiers"), problems))
            .unwrap_or_default();
        policy_of.insert(svc, (alerts, tiers));
    }

    let mut rules = Vec::new();
    let mut objectives = Vec::new();
    let mut ids = HashSet::new();
    for (at, d) in &slos {
        let Some(&svc) = service_index.get(d.spec.service.as_str()) else {
            problems.push(
                format!("{at}: spec.service"),
                format!("unknown service {:?}", d.spec.service),
            );
            continue;
        };
        let period = super::periods::document(&d.spec, at, problems);
        let budget_alerts = budget_alerts(&d.spec.alert_budgets, at, problems);
        let (policy_alerts, tiers) = policy_of.get(&svc).cloned().unwrap_or_default();
        if d.spec.indicators.is_empty() {
            problems.push(
                format!("{at}: spec.indicators"),
                "at least one indicator is required",
            );
        }
        for (i, ind) in d.spec.indicators.iter().enumerate() {
            let here = format!("{at}: spec.indicators[{i}]");
            let Some((kind, sli, target)) = indicator(ind, &here, problems) else {
                continue;
            };
            let Some((calendar, budgeting)) = period.clone() else {
                if let Some(w) = &ind.window {
                    duration(w, &format!("{here}.window"), problems);
                }
                continue;
            };
            let Some(period_us) =
                super::periods::indicator(ind, calendar.as_ref(), &here, problems)
            else {
                continue;
            };
            if !matches!(target, Target::Ratio(_))
                && (calendar.is_some() || budgeting != Budgeting::Occurrences)
            {
                problems.push(
                    format!("{here}.name"),
                    "a throughput minimum is rolling and counts occurrences",
                );
                continue;
            }
            if !ids.insert((svc, ind.name.clone())) {
                problems.push(
                    format!("{here}.name"),
                    format!("duplicate SLO {}/{}", d.spec.service, ind.name),
                );
                continue;
            }
            let ratio = matches!(target, Target::Ratio(_));
            let burn_alerts: Vec<BurnAlert> = if ratio {
                default_burn_alerts(period_us)
                    .into_iter()
                    .chain(policy_alerts.iter().cloned())
                    .collect()
            } else {
                Vec::new()
            };
            let mut windows = if ratio {
                windows_for(period_us, &burn_alerts)
            } else {
                vec![period_us]
            };
            if calendar.is_some() {
                windows.retain(|&w| w != period_us);
            }
            rules.push(SloRule::new(svc, sli));
            objectives.push(SloObjective {
                service: d.spec.service.clone(),
                service_index: svc,
                slo: ind.name.clone(),
                kind,
                target,
                period_us,
                calendar,
                budgeting,
                display_name: None,
                windows,
                burn_alerts,
                budget_alerts: if ratio {
                    budget_alerts.clone()
                } else {
                    Vec::new()
                },
                tiers,
            });
        }
    }

    let mut warnings = Vec::new();
    let cx = super::openslo::resolve::Context {
        services: &service_index,
        policies: &policy_of,
        lenient: p.openslo.as_ref().is_some_and(|o| o.lenient),
    };
    for (rule, objective) in
        super::openslo::resolve::resolve(&openslo, &cx, &mut ids, problems, &mut warnings)
    {
        rules.push(rule);
        objectives.push(objective);
    }

    Some(Config {
        name: pipeline.metadata.name,
        listen: listen?,
        source: source?,
        format: format?,
        envelope: envelope?,
        json,
        max_line_bytes: max_line_bytes?,
        dead_letter,
        window: window?,
        checkpoint,
        alertmanager,
        http_auth,
        http_tls,
        services,
        splits,
        rules,
        objectives,
        warnings,
    })
}

/// `spec.decode.max_line_bytes` when not set.
pub(crate) const DEFAULT_MAX_LINE_BYTES: usize = 64 * 1024;
/// The largest `spec.decode.max_line_bytes` accepted (1 GiB).
const MAX_MAX_LINE_BYTES: u64 = 1 << 30;

/// Checks SLO and policy documents when there is no valid Pipeline to resolve services.
fn check_detached(
    slos: &[(String, raw::Document<raw::SloSpec>)],
    policies: &[(String, raw::Document<raw::PolicySpec>)],
    problems: &mut Problems,
) {
    for (at, d) in policies {
        for (i, b) in d.spec.burn_rate_thresholds.iter().enumerate() {
            burn_threshold(
                b,
                &format!("{at}: spec.burn_rate_thresholds[{i}]"),
                problems,
            );
        }
        if let Some(t) = &d.spec.tiers {
            tiers(t, &format!("{at}: spec.tiers"), problems);
        }
    }
    for (at, d) in slos {
        budget_alerts(&d.spec.alert_budgets, at, problems);
        for (i, ind) in d.spec.indicators.iter().enumerate() {
            let here = format!("{at}: spec.indicators[{i}]");
            indicator(ind, &here, problems);
            if let Some(w) = &ind.window {
                duration(w, &format!("{here}.window"), problems);
            }
        }
    }
}

fn source(s: &raw::SourceSpec, at: &str, problems: &mut Problems) -> Option<SourceConfig> {
    let set = usize::from(s.file.is_some())
        + usize::from(s.stdin.is_some())
        + usize::from(s.demo.is_some())
        + usize::from(s.kafka.is_some());
    if set != 1 {
        problems.push(
            format!("{at}: spec.source"),
            format!("set exactly one of kafka, file, stdin, demo (found {set})"),
        );
        return None;
    }
    if let Some(k) = &s.kafka {
        return kafka(k, &format!("{at}: spec.source.kafka"), problems).map(SourceConfig::Kafka);
    }
    if let Some(f) = &s.file {
        if f.paths.is_empty() {
            problems.push(
                format!("{at}: spec.source.file.paths"),
                "at least one path is required",
            );
        }
        return Some(SourceConfig::File(FileSpec {
            paths: f.paths.iter().map(PathBuf::from).collect(),
            follow: f.follow,
        }));
    }
    if s.stdin.is_some() {
        return Some(SourceConfig::Stdin);
    }
    let d = s.demo.as_ref()?;
    let mut spec = DemoSpec {
        format: LineFormat::Alb,
        ..DemoSpec::default()
    };
    if let Some(rate) = d.rate_per_second {
        if rate == 0 || rate > 1_000_000 {
            problems.push(
                format!("{at}: spec.source.demo.rate_per_second"),
                "must be between 1 and 1000000",
            );
        }
        spec.rate_per_second = rate;
    }
    if let Some(h) = &d.history {
        spec.history_us = if h == "0s" || h == "0" {
            0
        } else {
            duration(h, &format!("{at}: spec.source.demo.history"), problems)?
        };
    }
    if let Some(seed) = d.seed {
        spec.seed = seed;
    }
    Some(SourceConfig::Demo(spec))
}

/// The typed mapping of `spec.decode.json`; every problem is reported at `at.<field>`.
fn json_mapping(j: &raw::JsonSpec, at: &str, problems: &mut Problems) -> Option<JsonMapping> {
    let before = problems.0.len();
    let key = |field: &str, text: &str, problems: &mut Problems| {
        let path = JsonPath::parse(text);
        if path.is_none() {
            problems.push(
                format!("{at}.{field}"),
                format!("{text:?} is not a key or a dotted key path such as http.status"),
            );
        }
        path
    };
    let optional = |field: &str, text: &Option<String>, problems: &mut Problems| {
        text.as_deref().and_then(|t| key(field, t, problems))
    };
    let time = key("time_field", &j.time_field, problems);
    let status = key("status_field", &j.status_field, problems);
    let latency = optional("latency_field", &j.latency_field, problems);
    let method = optional("method_field", &j.method_field, problems);
    let host = optional("host_field", &j.host_field, problems);
    let path = optional("path_field", &j.path_field, problems);
    let url = optional("url_field", &j.url_field, problems);
    let backend = optional("backend_field", &j.backend_field, problems);
    let request_id = optional("request_id_field", &j.request_id_field, problems);
    let time_format = match j.time_format.as_deref() {
        None => TimeFormat::Rfc3339,
        Some(name) => TimeFormat::from_name(name).unwrap_or_else(|| {
            let names: Vec<&str> = TimeFormat::ALL.iter().map(|f| f.name()).collect();
            problems.push(
                format!("{at}.time_format"),
                format!(
                    "unknown time format {name:?}: expected one of {}",
                    names.join(", ")
                ),
            );
            TimeFormat::Rfc3339
        }),
    };
    let unit = match (j.latency_unit.as_deref(), &j.latency_field) {
        (Some(name), Some(_)) => Unit::from_name(name).or_else(|| {
            problems.push(
                format!("{at}.latency_unit"),
                format!("unknown unit {name:?}: expected s, ms or us"),
            );
            None
        }),
        (None, Some(_)) => {
            problems.push(
                format!("{at}.latency_unit"),
                "required with latency_field: s, ms or us",
            );
            None
        }
        (Some(_), None) => {
            problems.push(
                format!("{at}.latency_unit"),
                "applies only with latency_field",
            );
            None
        }
        (None, None) => None,
    };
    if j.path_field.is_some() && j.url_field.is_some() {
        problems.push(
            format!("{at}.url_field"),
            "set path_field or url_field, not both",
        );
    }
    if problems.0.len() != before {
        return None;
    }
    Some(JsonMapping {
        time: time?,
        time_format,
        status: status?,
        latency: latency.zip(unit),
        method,
        host,
        path,
        url,
        backend,
        request_id,
    })
}

fn kafka(k: &raw::KafkaSpec, at: &str, problems: &mut Problems) -> Option<KafkaSpec> {
    let before = problems.0.len();
    if k.brokers.is_empty() || k.brokers.iter().any(|b| !b.contains(':')) {
        problems.push(
            format!("{at}.brokers"),
            "list one or more brokers as host:port",
        );
    }
    if k.topics.is_empty() || k.topics.iter().any(String::is_empty) {
        problems.push(format!("{at}.topics"), "list one or more topic names");
    }
    if k.group_id.trim().is_empty() {
        problems.push(format!("{at}.group_id"), "must not be empty");
    }
    let start_from = match k.start_from.as_deref().unwrap_or("earliest") {
        "earliest" => StartFrom::Earliest,
        "latest" => StartFrom::Latest,
        other => {
            problems.push(
                format!("{at}.start_from"),
                format!("{other:?} is not earliest or latest"),
            );
            StartFrom::Earliest
        }
    };
    let mut options = BTreeMap::new();
    for (key, value) in &k.options {
        if matches!(
            key.as_str(),
            "bootstrap.servers" | "group.id" | "enable.auto.commit"
        ) {
            problems.push(
                format!("{at}.options.{key}"),
                "is set by slipstream (use brokers / group_id; commits follow applied events)",
            );
        }
        match expand_env(value) {
            Ok(v) => {
                options.insert(key.clone(), v);
            }
            Err(var) => problems.push(
                format!("{at}.options.{key}"),
                format!("environment variable {var} is not set"),
            ),
        }
    }
    (problems.0.len() == before).then(|| KafkaSpec {
        brokers: k.brokers.clone(),
        topics: k.topics.clone(),
        group_id: k.group_id.clone(),
        start_from,
        options,
    })
}

/// Replaces every `${NAME}` in `value` with the environment variable's value; `Err(NAME)`
/// for the first one that is not set. The values are never logged.
pub(crate) fn expand_env(value: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start + 2..].find('}') else {
            break;
        };
        let name = &rest[start + 2..start + 2 + len];
        out.push_str(&rest[..start]);
        out.push_str(&std::env::var(name).map_err(|_| name.to_string())?);
        rest = &rest[start + 3 + len..];
    }
    out.push_str(rest);
    Ok(out)
}

/// De-duplication defaults: ALB delivers a file every 5 minutes, and redeliveries follow
/// within minutes; 200 000 ids per partition cost about 10 MB.
const DEFAULT_DEDUP_WINDOW_US: i64 = 15 * crate::time::MINUTE;
const DEFAULT_DEDUP_IDS: u64 = 200_000;
const MAX_DEDUP_IDS: u64 = 50_000_000;

fn window(w: &raw::WindowSpec, at: &str, problems: &mut Problems) -> Option<WindowConfig> {
    let mut c = WindowConfig::default();
    let mut ok = true;
    if let Some(l) = &w.allowed_lateness {
        if l == "0s" || l == "0" {
            c.allowed_lateness_us = 0;
        } else {
            match duration(l, &format!("{at}: spec.window.allowed_lateness"), problems) {
                Some(v) => c.allowed_lateness_us = v,
                None => ok = false,
            }
        }
    }
    if let Some(f) = &w.max_future {
        match duration(f, &format!("{at}: spec.window.max_future"), problems) {
            Some(v) => c.max_future_us = v,
            None => ok = false,
        }
    }
    if let Some(i) = &w.idle_timeout {
        match duration(i, &format!("{at}: spec.window.idle_timeout"), problems) {
            Some(v) => c.idle_timeout_us = v,
            None => ok = false,
        }
    }
    if let Some(l) = &w.max_partition_lag {
        if l == "0s" || l == "0" {
            c.max_partition_lag_us = 0;
        } else {
            match duration(l, &format!("{at}: spec.window.max_partition_lag"), problems) {
                Some(v) => c.max_partition_lag_us = v,
                None => ok = false,
            }
        }
    }
    if let Some(d) = &w.dedup {
        let here = format!("{at}: spec.window.dedup");
        let window_us = match &d.window {
            Some(w) => duration(w, &format!("{here}.window"), problems),
            None => Some(DEFAULT_DEDUP_WINDOW_US),
        };
        let max_ids = d.max_ids_per_partition.unwrap_or(DEFAULT_DEDUP_IDS);
        if !(1..=MAX_DEDUP_IDS).contains(&max_ids) {
            problems.push(
                format!("{here}.max_ids_per_partition"),
                format!("must be between 1 and {MAX_DEDUP_IDS}, got {max_ids}"),
            );
            ok = false;
        }
        match window_us {
            Some(window_us) => {
                c.dedup = Some(DedupConfig {
                    window_us,
                    max_ids: max_ids as usize,
                })
            }
            None => ok = false,
        }
    }
    ok.then_some(c)
}

fn number(v: &serde_yaml_ng::Value) -> Option<f64> {
    v.as_f64().or_else(|| v.as_u64().map(|n| n as f64))
}

/// Kind label, SLI and target of one indicator.
fn indicator(
    ind: &IndicatorSpec,
    here: &str,
    problems: &mut Problems,
) -> Option<(&'static str, Sli, Target)> {
    let threshold_at = format!("{here}.threshold");
    if ind.kind.is_some() && ind.name != "throughput" {
        problems.push(
            format!("{here}.type"),
            "`type` applies only to the throughput indicator",
        );
    }
    let percent = |problems: &mut Problems| {
        let p = number(&ind.threshold).filter(|p| *p > 0.0 && *p < 100.0);
        if p.is_none() {
            problems.push(
                &threshold_at,
                "must be a percentage greater than 0 and less than 100",
            );
        }
        p
    };
    match ind.name.as_str() {
        "availability" => {
            let p = percent(problems)?;
            Some((
                "availability",
                Sli::Availability,
                Target::Ratio(Ppb::from_percent(p)?),
            ))
        }
        "error_rate" => {
            let p = percent(problems)?;
            let allowed = Ppb::from_percent(p)?;
            Some((
                "error_rate",
                Sli::Availability,
                Target::Ratio(allowed.complement()),
            ))
        }
        "throughput" => {
            if ind.kind.as_deref() != Some("minimum") {
                problems.push(format!("{here}.type"), "throughput needs `type: minimum`");
            }
            let rate = number(&ind.threshold).filter(|r| *r > 0.0 && *r < 1e12);
            let Some(rate) = rate else {
                problems.push(
                    &threshold_at,
                    "must be a positive number of requests per second",
                );
                return None;
            };
            let milli = (rate * 1_000.0).round() as u64;
            Some((
                "throughput",
                Sli::Throughput,
                Target::MinRate {
                    milli_per_second: milli.max(1),
                },
            ))
        }
        name => {
            let Some(objective) = name.strip_prefix("latency_p").and_then(percentile) else {
                problems.push(
                    format!("{here}.name"),
                    format!(
                        "unknown indicator {name:?}: expected availability, error_rate, \
                         latency_pNN (e.g. latency_p99, latency_p999) or throughput"
                    ),
                );
                return None;
            };
            let text = ind.threshold.as_str();
            let threshold_us = text.and_then(|t| parse_duration(t).ok());
            let Some(threshold_us) = threshold_us else {
                problems.push(
                    &threshold_at,
                    "must be a duration with a unit, e.g. \"300ms\" or \"1.5s\"",
                );
                return None;
            };
            Some((
                "latency",
                Sli::Latency { threshold_us },
                Target::Ratio(objective),
            ))
        }
    }
}

/// `99` → 99 %, `999` → 99.9 %, `50` → 50 %.
pub(super) fn percentile(digits: &str) -> Option<Ppb> {
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (int, frac) = digits.split_at(digits.len().min(2));
    let text = format!("{int}.{frac}0");
    let p: f64 = text.parse().ok()?;
    (p > 0.0 && p < 100.0)
        .then(|| Ppb::from_percent(p))
        .flatten()
}

fn budget_alerts(
    specs: &[raw::BudgetAlertSpec],
    at: &str,
    problems: &mut Problems,
) -> Vec<BudgetAlert> {
    let mut names = HashSet::new();
    specs
        .iter()
        .enumerate()
        .filter_map(|(i, b)| {
            let here = format!("{at}: spec.alert_budgets[{i}]");
            let Some(below) = Ppb::from_fraction(b.threshold).filter(|p| p.0 > 0) else {
                problems.push(
                    format!("{here}.threshold"),
                    "must be a remaining-budget fraction greater than 0 and at most 1",
                );
                return None;
            };
            let name = b
                .name
                .clone()
                .unwrap_or_else(|| format!("budget_below_{}pct", format_percent(below)));
            if !names.insert(name.clone()) {
                problems.push(format!("{here}.name"), format!("duplicate alert {name:?}"));
            }
            Some(BudgetAlert {
                name,
                severity: b.severity.clone(),
                below,
            })
        })
        .collect()
}

fn format_percent(p: Ppb) -> String {
    let pct = p.as_f64() * 100.0;
    let s = format!("{pct:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn burn_threshold(
    b: &raw::BurnThresholdSpec,
    here: &str,
    problems: &mut Problems,
) -> Option<BurnAlert> {
    let factor = Factor::from_decimal(b.threshold).filter(|_| b.threshold > 0.0);
    if factor.is_none() {
        problems.push(
            format!("{here}.threshold"),
            "must be a positive burn-rate factor",
        );
    }
    let long_us = duration(&b.duration, &format!("{here}.duration"), problems);
    let short_us = match &b.short_window {
        Some(s) => duration(s, &format!("{here}.short_window"), problems),
        // One twelfth of the long window, whole seconds, at least one second.
        None => long_us.map(|l| (l / 12 / SECOND).max(1) * SECOND),
    };
    if let (Some(l), Some(s)) = (long_us, short_us)
        && s > l
    {
        problems.push(
            format!("{here}.short_window"),
            format!(
                "{} is longer than the duration {}",
                format_duration(s),
                format_duration(l)
            ),
        );
    }
    let severity = b.severity.clone().unwrap_or_else(|| {
        let pages = b.action.as_deref().is_some_and(|a| a.contains("page"));
        if pages { "page" } else { "ticket" }.to_string()
    });
    Some(BurnAlert {
        name: b.name.clone(),
        severity,
        action: b.action.clone(),
        long_us: long_us?,
        short_us: short_us?,
        factor: factor?,
        inclusive: false,
    })
}

fn tiers(t: &raw::TiersSpec, at: &str, problems: &mut Problems) -> Option<PolicyTiers> {
    let get = |x: f64, field: &str, problems: &mut Problems| {
        let p = Ppb::from_fraction(x).filter(|p| p.0 > 0);
        if p.is_none() {
            problems.push(
                format!("{at}.{field}"),
                "must be a fraction greater than 0 and at most 1",
            );
        }
        p
    };
    let tiers = PolicyTiers {
        caution: get(t.caution, "caution", problems)?,
        slow_down: get(t.slow_down, "slow_down", problems)?,
        freeze: get(t.freeze, "freeze", problems)?,
    };
    if !(tiers.caution > tiers.slow_down && tiers.slow_down > tiers.freeze) {
        problems.push(at, "tiers must satisfy caution > slow_down > freeze");
        return None;
    }
    Some(tiers)
}

/// `spec.alertmanager`: an `http://` URL (no TLS client is built in) and positive intervals.
fn alertmanager(
    a: &raw::AlertmanagerSpec,
    at: &str,
    problems: &mut Problems,
) -> Option<AlertmanagerConfig> {
    let url = a.url.trim_end_matches('/').to_string();
    let url_ok = url
        .strip_prefix("http://")
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if !url_ok {
        problems.push(
            format!("{at}: spec.alertmanager.url"),
            format!(
                "{:?} is not an http:// URL like http://127.0.0.1:9093",
                a.url
            ),
        );
    }
    let mut positive = |field: &str, text: &Option<String>, default: i64| -> Option<i64> {
        let Some(text) = text else {
            return Some(default);
        };
        let path = format!("{at}: spec.alertmanager.{field}");
        let us = duration(text, &path, problems)?;
        if us <= 0 {
            problems.push(path, "must be longer than 0s");
            return None;
        }
        Some(us)
    };
    let interval_us = positive("interval", &a.interval, 30 * SECOND);
    let resend_us = positive("resend", &a.resend, 60 * SECOND);
    let timeout_us = positive("timeout", &a.timeout, 5 * SECOND);
    url_ok.then_some(())?;
    Some(AlertmanagerConfig {
        url,
        interval_us: interval_us?,
        resend_us: resend_us?,
        timeout_us: timeout_us?,
    })
}

/// `spec.http.auth`: exactly one non-empty source. The token itself is read at start.
fn http_auth(a: &raw::AuthSpec, at: &str, problems: &mut Problems) -> Option<TokenSource> {
    match (&a.token_file, &a.token_env) {
        (Some(file), None) if !file.is_empty() => Some(TokenSource::File(PathBuf::from(file))),
        (None, Some(var)) if !var.is_empty() && !var.contains(['=', '\0']) => {
            Some(TokenSource::Env(var.clone()))
        }
        (Some(_), None) => {
            problems.push(
                format!("{at}: spec.http.auth.token_file"),
                "must not be empty",
            );
            None
        }
        (None, Some(_)) => {
            problems.push(
                format!("{at}: spec.http.auth.token_env"),
                "must be a variable name",
            );
            None
        }
        _ => {
            problems.push(
                format!("{at}: spec.http.auth"),
                "set exactly one of token_file, token_env",
            );
            None
        }
    }
}

/// `spec.http.tls`: both paths set, and the files hold a certificate and its private key
/// (read here, so that a bad file is a configuration error, and again at start).
fn http_tls(t: &raw::TlsSpec, at: &str, problems: &mut Problems) -> Option<TlsConfig> {
    let mut empty = false;
    for (field, path) in [("cert_file", &t.cert_file), ("key_file", &t.key_file)] {
        if path.trim().is_empty() {
            problems.push(format!("{at}: spec.http.tls.{field}"), "must not be empty");
            empty = true;
        }
    }
    if empty {
        return None;
    }
    let tls = TlsConfig {
        cert_file: PathBuf::from(&t.cert_file),
        key_file: PathBuf::from(&t.key_file),
    };
    match crate::tls::server_config(&tls) {
        Ok(_) => Some(tls),
        Err(e) => {
            problems.push(format!("{at}: spec.http.tls.{}", e.field()), e.to_string());
            None
        }
    }
}

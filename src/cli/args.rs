//! The command line's arguments: [`Cli`], its [`Command`]s and each command's options, as
//! clap reads them (the `///` lines are the help text).

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use slipstream::evaluate::reports::text::TextFormat;
use slipstream::loadgen::{self, LoadSpec};
use slipstream::source::demo::LineFormat;

/// Exact, streaming SLIs, error budgets and burn rates from load-balancer access logs.
#[derive(Debug, Parser)]
#[command(name = "slipstream", version, about)]
pub(crate) struct Cli {
    /// Log format on stderr: `text`, `json` (one JSON object per line), or `auto` (text;
    /// JSON when SLIPSTREAM_LOG_FORMAT=json). Text has colours only on a terminal.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Auto)]
    pub(crate) log_format: LogFormat,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// How log events are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// Text, unless SLIPSTREAM_LOG_FORMAT=json.
    Auto,
    /// Human-readable lines.
    Text,
    /// JSON lines (tracing-subscriber's JSON formatter).
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the service: read the configured source and serve the HTTP API.
    Run {
        /// Configuration file (YAML, several documents).
        #[arg(long, short)]
        config: PathBuf,
        /// Override the configured listen address.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Check configuration files; exit 64 listing every error.
    ///
    /// With `--strict`, also review the service catalog (an alerting SLO without a runbook,
    /// a tier-1 service without an owner, an availability objective weaker than its tier's
    /// target) and print every warning with its path; exit 64 when there is any.
    Validate {
        /// Files to check, each a complete configuration.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Review the catalog too, and fail on any warning.
        #[arg(long)]
        strict: bool,
    },
    /// Read log files to the end and print the report (`GET /v1/slos` JSON) to stdout.
    Replay {
        /// Configuration file.
        #[arg(long, short)]
        config: PathBuf,
        /// Log files (plain or gzip); default: the configured file source's paths.
        files: Vec<PathBuf>,
        /// Threads that read and decode at once (the report is the same for any number);
        /// default: the number of cores.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        threads: Option<u16>,
    },
    /// Print each SLO's calendar periods (day, ISO week, month, quarter in its time zone)
    /// from a running instance (`--url`) or, offline, from log files read like `replay`.
    Report(ReportArgs),
    /// Ask a running instance whether a service may deploy now: exit 0 (ship), 10 (blocked)
    /// or 11 (needs approval); 1 for any error.
    Gate(GateArgs),
    /// Compare a service's canary with its baseline on a running instance: exit 0 (healthy),
    /// 10 (roll back) or 12 (not enough data); 1 for any error.
    Canary(CanaryArgs),
    /// What a time range (an incident) cost one SLO, as the Markdown of a postmortem's
    /// "Impact" section or as JSON, from a running instance.
    Impact(ImpactArgs),
    /// List the budget adjustments (maintenance windows) of a running instance: schedule,
    /// whether in force, and per SLO the events counted apart and the ranges adjusted; or
    /// declare (`--declare`) or delete (`--delete`) one through its API.
    Adjustments(AdjustmentsArgs),
    /// Add an annotation (a deploy, an incident, maintenance, a note) to a running instance,
    /// as a CI step marks its deploy.
    Annotate(AnnotateArgs),
    /// The service catalog: each service's owner, tier, on-call, runbook, dashboard and SLOs,
    /// from a configuration file (`--config`) or a running instance (`--url`).
    Catalog(CatalogArgs),
    /// One SLO of a running instance now: its SLI, budget left, when the budget runs out at
    /// the last hour's, 6 hours' and day's rates, its SLA, and the alerts firing.
    Slo(SloArgs),
    /// Show how lines decode and classify: fields, service, and each SLO's verdict with why.
    ///
    /// Exit 0 when every line decoded, 65 when some did not, 64 for a bad configuration.
    Explain {
        /// Configuration file (its length cap, envelope, format, services and SLOs are used).
        #[arg(long, short)]
        config: PathBuf,
        /// One message as the source delivers it; `-` or absent: every line of stdin.
        line: Option<String>,
        /// Print one JSON object per line (JSON Lines) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Generate realistic access-log traffic to Kafka, a file or stdout.
    Loadgen(LoadgenArgs),
    /// Run the built-in demo: generated traffic for four services with incidents.
    Demo {
        /// Override the demo's listen address (default 127.0.0.1:9977).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
}

/// `slipstream report`'s options.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("from").required(true).args(["url", "config"])))]
pub(crate) struct ReportArgs {
    /// A running slipstream's base URL (`http://host:9977`): its `GET /v1/reports`.
    #[arg(long)]
    pub(super) url: Option<String>,
    /// Bearer token for `--url` (default: the SLIPSTREAM_TOKEN environment variable).
    #[arg(long, requires = "url")]
    pub(super) token: Option<String>,
    /// Offline: configuration file whose SLOs are reported over the log files.
    #[arg(long, short)]
    pub(super) config: Option<PathBuf>,
    /// Offline: log files (plain or gzip); default: the configured file source's paths.
    #[arg(requires = "config")]
    pub(super) files: Vec<PathBuf>,
    /// Period length.
    #[arg(long, default_value = "month", value_parser = ["day", "week", "month", "quarter"])]
    pub(super) period: String,
    /// Periods per SLO, the newest last.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=400))]
    pub(super) count: u16,
    /// Only this service (or sub-service).
    #[arg(long)]
    pub(super) service: Option<String>,
    /// Only SLOs of this name.
    #[arg(long)]
    pub(super) slo: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TextFormat::Table)]
    pub(super) format: TextFormat,
}

/// Where a running instance answers, for the commands that ask one.
#[derive(Debug, clap::Args)]
pub(crate) struct Remote {
    /// A running slipstream's base URL (`http://host:9977`).
    #[arg(long)]
    pub(super) url: String,
    /// Bearer token (default: the SLIPSTREAM_TOKEN environment variable).
    #[arg(long)]
    pub(super) token: Option<String>,
}

/// `slipstream gate`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct GateArgs {
    #[command(flatten)]
    pub(super) remote: Remote,
    /// The service (or sub-service) about to deploy.
    #[arg(long)]
    pub(super) service: String,
    /// Only this SLO of the service decides.
    #[arg(long)]
    pub(super) slo: Option<String>,
    /// Ship whatever the rules say, for this reason (logged by the server and reported).
    #[arg(long = "override", value_name = "REASON")]
    pub(super) override_reason: Option<String>,
    /// Print the JSON of `GET /v1/gate` instead of text.
    #[arg(long)]
    pub(super) json: bool,
}

/// `slipstream canary`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct CanaryArgs {
    #[command(flatten)]
    pub(super) remote: Remote,
    /// The service whose canary is compared.
    #[arg(long)]
    pub(super) service: String,
    /// The window compared (whole minutes, e.g. `30m`); default: the service's `window`.
    #[arg(long)]
    pub(super) window: Option<String>,
    /// Print the JSON of `GET /v1/canary/{service}` instead of text.
    #[arg(long)]
    pub(super) json: bool,
}

/// One SLO of a running instance, for the commands about one.
#[derive(Debug, clap::Args)]
pub(crate) struct OneSlo {
    /// The service (or sub-service).
    #[arg(long)]
    pub(super) service: String,
    /// The SLO.
    #[arg(long)]
    pub(super) slo: String,
}

/// `slipstream catalog`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct CatalogArgs {
    /// Read the catalog from this configuration file.
    #[arg(long, short, required_unless_present = "url", conflicts_with = "url")]
    pub(super) config: Option<PathBuf>,
    /// Read it from a running slipstream (`GET /v1/catalog`) at this base URL.
    #[arg(long)]
    pub(super) url: Option<String>,
    /// Bearer token for `--url` (default: the SLIPSTREAM_TOKEN environment variable).
    #[arg(long, requires = "url")]
    pub(super) token: Option<String>,
    /// Print JSON (`{"services": [...]}`, as `GET /v1/catalog`) instead of a table.
    #[arg(long)]
    pub(super) json: bool,
}

/// `slipstream impact`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct ImpactArgs {
    #[command(flatten)]
    pub(super) remote: Remote,
    #[command(flatten)]
    pub(super) one: OneSlo,
    /// Start of the range, RFC 3339 (`2026-12-01T10:00:00Z`).
    #[arg(long)]
    pub(super) start: String,
    /// End of the range, RFC 3339.
    #[arg(long)]
    pub(super) end: String,
    /// Print the JSON of the API instead of Markdown.
    #[arg(long)]
    pub(super) json: bool,
}

/// `slipstream adjustments`' options.
#[derive(Debug, clap::Args)]
pub(crate) struct AdjustmentsArgs {
    #[command(flatten)]
    pub(super) remote: Remote,
    /// Only SLOs of this service.
    #[arg(long)]
    pub(super) service: Option<String>,
    /// Only SLOs of this name.
    #[arg(long)]
    pub(super) slo: Option<String>,
    /// Print the JSON of `GET /v1/adjustments` instead of text.
    #[arg(long)]
    pub(super) json: bool,
    /// Declare a one-off adjustment of this name (`POST /v1/adjustments`).
    #[arg(long, value_name = "NAME", requires_all = ["start", "end", "slos"], conflicts_with = "delete")]
    pub(super) declare: Option<String>,
    /// Its start, RFC 3339.
    #[arg(long, requires = "declare")]
    pub(super) start: Option<String>,
    /// Its end, RFC 3339.
    #[arg(long, requires = "declare")]
    pub(super) end: Option<String>,
    /// The SLOs it names, `service` or `service/slo`, comma-separated.
    #[arg(long, value_delimiter = ',', requires = "declare")]
    pub(super) slos: Vec<String>,
    /// `exclude` (default) or `count_as_good`.
    #[arg(long, requires = "declare", value_parser = ["exclude", "count_as_good"])]
    pub(super) mode: Option<String>,
    /// What it is for.
    #[arg(long, requires = "declare")]
    pub(super) description: Option<String>,
    /// Delete the adjustment declared through the API under this name.
    #[arg(long, value_name = "NAME")]
    pub(super) delete: Option<String>,
}

/// `slipstream slo`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct SloArgs {
    #[command(flatten)]
    pub(super) remote: Remote,
    #[command(flatten)]
    pub(super) one: OneSlo,
    /// Print the JSON of `GET /v1/slos/{service}/{slo}` instead of text.
    #[arg(long)]
    pub(super) json: bool,
}

/// `slipstream annotate`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct AnnotateArgs {
    #[command(flatten)]
    pub(super) remote: Remote,
    /// What it marks.
    #[arg(long, value_parser = ["deploy", "incident", "maintenance", "note"])]
    pub(super) kind: String,
    /// When, RFC 3339 (default: now).
    #[arg(long)]
    pub(super) time: Option<String>,
    /// When it ended, RFC 3339 (a range).
    #[arg(long)]
    pub(super) end: Option<String>,
    /// The service it concerns (default: every service).
    #[arg(long)]
    pub(super) service: Option<String>,
    /// Free text (a version, an incident's title).
    #[arg(long, default_value = "")]
    pub(super) text: String,
    /// A label `key=value`; repeatable.
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub(super) labels: Vec<String>,
}

/// `slipstream loadgen`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct LoadgenArgs {
    /// Line format: alb or nginx.
    #[arg(long, default_value = "alb")]
    pub(super) format: String,
    /// Wrap lines in a Vector-style JSON envelope (`{"message": …}`).
    #[arg(long)]
    pub(super) vector_envelope: bool,
    /// Lines per second; 0 for as fast as possible.
    #[arg(long, default_value_t = 1000)]
    pub(super) rate: u64,
    /// Stop after this many lines.
    #[arg(long)]
    pub(super) count: Option<u64>,
    /// Stop after this long (e.g. 30s, 5m).
    #[arg(long)]
    pub(super) duration: Option<String>,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    pub(super) seed: u64,
    /// Number of services (the first four are checkout, search, auth, catalog).
    #[arg(long, default_value_t = 4)]
    pub(super) services: usize,
    /// Override every service's 5xx rate, percent.
    #[arg(long)]
    pub(super) error_rate: Option<f64>,
    /// Steady traffic without the periodic incidents.
    #[arg(long)]
    pub(super) no_incidents: bool,
    /// Kafka brokers (host:port,…); with --topic, produce there.
    #[arg(long, requires = "topic")]
    pub(super) brokers: Option<String>,
    /// Kafka topic.
    #[arg(long, requires = "brokers")]
    pub(super) topic: Option<String>,
    /// Write to this file instead of stdout.
    #[arg(long, conflicts_with = "brokers")]
    pub(super) output: Option<PathBuf>,
}

impl LoadgenArgs {
    /// What to generate and where to write it.
    pub(crate) fn into_spec(self) -> anyhow::Result<(LoadSpec, loadgen::Destination)> {
        let format = match self.format.as_str() {
            "alb" => LineFormat::Alb,
            "nginx" => LineFormat::Nginx,
            other => anyhow::bail!("unknown format {other:?}: expected alb or nginx"),
        };
        let duration = self
            .duration
            .map(|d| slipstream::time::parse_duration(&d))
            .transpose()?
            .map(|us| std::time::Duration::from_micros(us as u64));
        let spec = LoadSpec {
            format,
            vector_envelope: self.vector_envelope,
            rate_per_second: self.rate,
            count: self.count,
            duration,
            seed: self.seed,
            services: self.services,
            error_percent: self.error_rate,
            incidents: !self.no_incidents,
        };
        let destination = match (self.brokers, self.topic, self.output) {
            (Some(brokers), Some(topic), _) => loadgen::Destination::Kafka { brokers, topic },
            (_, _, Some(path)) => loadgen::Destination::File(path),
            _ => loadgen::Destination::Stdout,
        };
        Ok((spec, destination))
    }
}

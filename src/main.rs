//! The `slipstream` command line: parses arguments and hands over to [`slipstream::app`].
//!
//! Exit codes: 0 success, 64 invalid configuration (every error is printed with its file,
//! document and field path), 65 `explain` given a line that does not decode, 10 and 11 the
//! deploy gate's "blocked" and "needs approval", 12 the canary's "not enough data" (10 its
//! "roll back"), 2 usage (clap), 1 any other failure.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use slipstream::app::ReloadSource;
use slipstream::clock::{Clock, SystemClock};
use slipstream::config::{self, Config, ConfigError};
use slipstream::evaluate::reports::text::{TextFormat, render};
use slipstream::evaluate::reports::{self, ReportPeriod};
use slipstream::explain::Explainer;
use slipstream::loadgen::{self, LoadSpec};
use slipstream::source::demo::LineFormat;

/// Exit code for an invalid configuration (EX_USAGE).
const EXIT_CONFIG: u8 = 64;
/// Exit code for input lines that did not decode (EX_DATAERR).
const EXIT_DATAERR: u8 = 65;

/// Exact, streaming SLIs, error budgets and burn rates from load-balancer access logs.
#[derive(Debug, Parser)]
#[command(name = "slipstream", version, about)]
struct Cli {
    /// Log format on stderr: `text`, `json` (one JSON object per line), or `auto` (text;
    /// JSON when SLIPSTREAM_LOG_FORMAT=json). Text has colours only on a terminal.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Auto)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// How log events are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// Text, unless SLIPSTREAM_LOG_FORMAT=json.
    Auto,
    /// Human-readable lines.
    Text,
    /// JSON lines (tracing-subscriber's JSON formatter).
    Json,
}

/// Installs the global subscriber: level from RUST_LOG (default `info`), format from `format`.
fn init_logs(format: LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => std::env::var("SLIPSTREAM_LOG_FORMAT").is_ok_and(|v| v == "json"),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

#[derive(Debug, Subcommand)]
enum Command {
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
struct ReportArgs {
    /// A running slipstream's base URL (`http://host:9977`): its `GET /v1/reports`.
    #[arg(long)]
    url: Option<String>,
    /// Bearer token for `--url` (default: the SLIPSTREAM_TOKEN environment variable).
    #[arg(long, requires = "url")]
    token: Option<String>,
    /// Offline: configuration file whose SLOs are reported over the log files.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Offline: log files (plain or gzip); default: the configured file source's paths.
    #[arg(requires = "config")]
    files: Vec<PathBuf>,
    /// Period length.
    #[arg(long, default_value = "month", value_parser = ["day", "week", "month", "quarter"])]
    period: String,
    /// Periods per SLO, the newest last.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=400))]
    count: u16,
    /// Only this service (or sub-service).
    #[arg(long)]
    service: Option<String>,
    /// Only SLOs of this name.
    #[arg(long)]
    slo: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TextFormat::Table)]
    format: TextFormat,
}

/// Where a running instance answers, for the commands that ask one.
#[derive(Debug, clap::Args)]
struct Remote {
    /// A running slipstream's base URL (`http://host:9977`).
    #[arg(long)]
    url: String,
    /// Bearer token (default: the SLIPSTREAM_TOKEN environment variable).
    #[arg(long)]
    token: Option<String>,
}

impl Remote {
    /// `GET path_and_query` of the instance: status and body.
    fn get(&self, path_and_query: &str) -> anyhow::Result<(u16, bytes::Bytes)> {
        slipstream::remote::get(&self.url, path_and_query, token(&self.token).as_deref())
    }

    /// `GET path_and_query` of the instance: its JSON, or an error naming the request, the
    /// status and the server's error unless it answered 200.
    fn get_ok_json(&self, path_and_query: &str) -> anyhow::Result<serde_json::Value> {
        let (status, body) =
            slipstream::remote::get_json(&self.url, path_and_query, token(&self.token).as_deref())?;
        if status != 200 {
            anyhow::bail!(
                "GET {}{path_and_query}: status {status}: {}",
                self.url,
                body["error"]
            );
        }
        Ok(body)
    }
}

/// The bearer token given, else the SLIPSTREAM_TOKEN environment variable.
fn token(given: &Option<String>) -> Option<String> {
    given
        .clone()
        .or_else(|| std::env::var("SLIPSTREAM_TOKEN").ok())
}

/// `slipstream gate`'s options.
#[derive(Debug, clap::Args)]
struct GateArgs {
    #[command(flatten)]
    remote: Remote,
    /// The service (or sub-service) about to deploy.
    #[arg(long)]
    service: String,
    /// Only this SLO of the service decides.
    #[arg(long)]
    slo: Option<String>,
    /// Ship whatever the rules say, for this reason (logged by the server and reported).
    #[arg(long = "override", value_name = "REASON")]
    override_reason: Option<String>,
    /// Print the JSON of `GET /v1/gate` instead of text.
    #[arg(long)]
    json: bool,
}

/// `slipstream canary`'s options.
#[derive(Debug, clap::Args)]
struct CanaryArgs {
    #[command(flatten)]
    remote: Remote,
    /// The service whose canary is compared.
    #[arg(long)]
    service: String,
    /// The window compared (whole minutes, e.g. `30m`); default: the service's `window`.
    #[arg(long)]
    window: Option<String>,
    /// Print the JSON of `GET /v1/canary/{service}` instead of text.
    #[arg(long)]
    json: bool,
}

/// One SLO of a running instance, for the commands about one.
#[derive(Debug, clap::Args)]
struct OneSlo {
    /// The service (or sub-service).
    #[arg(long)]
    service: String,
    /// The SLO.
    #[arg(long)]
    slo: String,
}

impl OneSlo {
    /// `/v1/slos/{service}/{slo}`, encoded.
    fn path(&self) -> String {
        use slipstream::remote::encode;
        format!("/v1/slos/{}/{}", encode(&self.service), encode(&self.slo))
    }
}

/// `slipstream catalog`'s options.
#[derive(Debug, clap::Args)]
struct CatalogArgs {
    /// Read the catalog from this configuration file.
    #[arg(long, short, required_unless_present = "url", conflicts_with = "url")]
    config: Option<PathBuf>,
    /// Read it from a running slipstream (`GET /v1/catalog`) at this base URL.
    #[arg(long)]
    url: Option<String>,
    /// Bearer token for `--url` (default: the SLIPSTREAM_TOKEN environment variable).
    #[arg(long, requires = "url")]
    token: Option<String>,
    /// Print JSON (`{"services": [...]}`, as `GET /v1/catalog`) instead of a table.
    #[arg(long)]
    json: bool,
}

/// `slipstream impact`'s options.
#[derive(Debug, clap::Args)]
struct ImpactArgs {
    #[command(flatten)]
    remote: Remote,
    #[command(flatten)]
    one: OneSlo,
    /// Start of the range, RFC 3339 (`2026-12-01T10:00:00Z`).
    #[arg(long)]
    start: String,
    /// End of the range, RFC 3339.
    #[arg(long)]
    end: String,
    /// Print the JSON of the API instead of Markdown.
    #[arg(long)]
    json: bool,
}

/// `slipstream adjustments`' options.
#[derive(Debug, clap::Args)]
struct AdjustmentsArgs {
    #[command(flatten)]
    remote: Remote,
    /// Only SLOs of this service.
    #[arg(long)]
    service: Option<String>,
    /// Only SLOs of this name.
    #[arg(long)]
    slo: Option<String>,
    /// Print the JSON of `GET /v1/adjustments` instead of text.
    #[arg(long)]
    json: bool,
    /// Declare a one-off adjustment of this name (`POST /v1/adjustments`).
    #[arg(long, value_name = "NAME", requires_all = ["start", "end", "slos"], conflicts_with = "delete")]
    declare: Option<String>,
    /// Its start, RFC 3339.
    #[arg(long, requires = "declare")]
    start: Option<String>,
    /// Its end, RFC 3339.
    #[arg(long, requires = "declare")]
    end: Option<String>,
    /// The SLOs it names, `service` or `service/slo`, comma-separated.
    #[arg(long, value_delimiter = ',', requires = "declare")]
    slos: Vec<String>,
    /// `exclude` (default) or `count_as_good`.
    #[arg(long, requires = "declare", value_parser = ["exclude", "count_as_good"])]
    mode: Option<String>,
    /// What it is for.
    #[arg(long, requires = "declare")]
    description: Option<String>,
    /// Delete the adjustment declared through the API under this name.
    #[arg(long, value_name = "NAME")]
    delete: Option<String>,
}

/// `slipstream slo`'s options.
#[derive(Debug, clap::Args)]
struct SloArgs {
    #[command(flatten)]
    remote: Remote,
    #[command(flatten)]
    one: OneSlo,
    /// Print the JSON of `GET /v1/slos/{service}/{slo}` instead of text.
    #[arg(long)]
    json: bool,
}

/// `slipstream annotate`'s options.
#[derive(Debug, clap::Args)]
struct AnnotateArgs {
    #[command(flatten)]
    remote: Remote,
    /// What it marks.
    #[arg(long, value_parser = ["deploy", "incident", "maintenance", "note"])]
    kind: String,
    /// When, RFC 3339 (default: now).
    #[arg(long)]
    time: Option<String>,
    /// When it ended, RFC 3339 (a range).
    #[arg(long)]
    end: Option<String>,
    /// The service it concerns (default: every service).
    #[arg(long)]
    service: Option<String>,
    /// Free text (a version, an incident's title).
    #[arg(long, default_value = "")]
    text: String,
    /// A label `key=value`; repeatable.
    #[arg(long = "label", value_name = "KEY=VALUE")]
    labels: Vec<String>,
}

/// `slipstream loadgen`'s options.
#[derive(Debug, clap::Args)]
struct LoadgenArgs {
    /// Line format: alb or nginx.
    #[arg(long, default_value = "alb")]
    format: String,
    /// Wrap lines in a Vector-style JSON envelope (`{"message": …}`).
    #[arg(long)]
    vector_envelope: bool,
    /// Lines per second; 0 for as fast as possible.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// Stop after this many lines.
    #[arg(long)]
    count: Option<u64>,
    /// Stop after this long (e.g. 30s, 5m).
    #[arg(long)]
    duration: Option<String>,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of services (the first four are checkout, search, auth, catalog).
    #[arg(long, default_value_t = 4)]
    services: usize,
    /// Override every service's 5xx rate, percent.
    #[arg(long)]
    error_rate: Option<f64>,
    /// Steady traffic without the periodic incidents.
    #[arg(long)]
    no_incidents: bool,
    /// Kafka brokers (host:port,…); with --topic, produce there.
    #[arg(long, requires = "topic")]
    brokers: Option<String>,
    /// Kafka topic.
    #[arg(long, requires = "brokers")]
    topic: Option<String>,
    /// Write to this file instead of stdout.
    #[arg(long, conflicts_with = "brokers")]
    output: Option<PathBuf>,
}

impl LoadgenArgs {
    /// What to generate and where to write it.
    fn into_spec(self) -> anyhow::Result<(LoadSpec, loadgen::Destination)> {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.log_format);
    match execute(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn config_failure(e: &ConfigError) -> ExitCode {
    eprint!("{e}");
    ExitCode::from(EXIT_CONFIG)
}

fn execute(command: Command) -> anyhow::Result<ExitCode> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match command {
        Command::Validate { files, strict } => Ok(validate(&files, strict)),
        Command::Catalog(args) => catalog(args),
        Command::Replay {
            config,
            files,
            threads,
        } => {
            let config = match config::load_file(&config) {
                Ok(c) => c,
                Err(e) => return Ok(config_failure(&e)),
            };
            let threads = threads.map_or_else(
                || std::thread::available_parallelism().map_or(1, usize::from),
                usize::from,
            );
            let evaluation = slipstream::app::replay(&config, &files, clock, threads)?;
            println!("{}", serde_json::to_string_pretty(&evaluation.report)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Report(args) => report(args, clock),
        Command::Gate(args) => gate(args),
        Command::Canary(args) => canary(args),
        Command::Impact(args) => impact(args),
        Command::Adjustments(args) => adjustments(args),
        Command::Annotate(args) => annotate(args),
        Command::Slo(args) => slo(args),
        Command::Explain { config, line, json } => match config::load_file(&config) {
            Ok(config) => explain(&config, line.as_deref(), json, clock.now_us()),
            Err(e) => Ok(config_failure(&e)),
        },
        Command::Run {
            config: path,
            listen,
        } => {
            let config = match config::load_file(&path) {
                Ok(c) => c,
                Err(e) => return Ok(config_failure(&e)),
            };
            let reload = ReloadSource { path, listen };
            serve(config, listen, clock, Some(reload))
        }
        Command::Loadgen(args) => {
            let (spec, destination) = args.into_spec()?;
            let n = loadgen::run(&spec, &destination, clock)?;
            eprintln!("loadgen: wrote {n} lines");
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { listen } => {
            let config = match config::parse(config::DEMO_CONFIG, "embedded demo config") {
                Ok(c) => c,
                Err(e) => return Ok(config_failure(&e)),
            };
            serve(config, listen, clock, None)
        }
    }
}

/// `slipstream validate`: every file's verdict; 64 when any is invalid (or, with `strict`,
/// has any warning).
fn validate(files: &[PathBuf], strict: bool) -> ExitCode {
    let mut failed = false;
    for f in files {
        match config::load_file(f) {
            Ok(c) if strict && !(c.warnings.is_empty() && c.review.is_empty()) => {
                let n = c.warnings.len() + c.review.len();
                eprintln!(
                    "{}: {n} warning{} (--strict):",
                    f.display(),
                    if n == 1 { "" } else { "s" }
                );
                for w in c.warnings.iter().chain(&c.review) {
                    eprintln!("  {}: {}", w.location, w.message);
                }
                failed = true;
            }
            Ok(c) => {
                println!(
                    "{}: ok ({} services, {} SLOs)",
                    f.display(),
                    c.reload.services.len(),
                    c.reload.objectives.len()
                );
                for o in &c.reload.objectives {
                    if let Some(composite) = &o.composite {
                        println!("  composite {} = {}", o.id(), composite.describe());
                    }
                }
            }
            Err(e) => {
                eprint!("{}: {e}", f.display());
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::from(EXIT_CONFIG)
    } else {
        ExitCode::SUCCESS
    }
}

/// `slipstream catalog`: the catalog of a configuration file or a running instance, as a
/// table or JSON.
fn catalog(args: CatalogArgs) -> anyhow::Result<ExitCode> {
    let json = match (&args.config, &args.url) {
        (Some(path), _) => match config::load_file(path) {
            Ok(c) => serde_json::json!({ "services": c.reload.catalog() }),
            Err(e) => return Ok(config_failure(&e)),
        },
        (None, Some(url)) => {
            let (status, body) =
                slipstream::remote::get_json(url, "/v1/catalog", token(&args.token).as_deref())?;
            if status != 200 {
                anyhow::bail!("GET {url}/v1/catalog: status {status}: {}", body["error"]);
            }
            body
        }
        (None, None) => anyhow::bail!("give --config or --url"),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        let entries: Vec<slipstream::catalog::CatalogEntry> =
            serde_json::from_value(json["services"].clone())?;
        print!("{}", slipstream::catalog::table(&entries));
    }
    Ok(ExitCode::SUCCESS)
}

/// `slipstream report`: the periods report of a running instance or of log files, printed.
fn report(args: ReportArgs, clock: Arc<dyn Clock>) -> anyhow::Result<ExitCode> {
    let period = ReportPeriod::from_name(&args.period)
        .ok_or_else(|| anyhow::anyhow!("unknown period {}", args.period))?;
    let count = usize::from(args.count);
    let json = if let Some(url) = &args.url {
        let mut query = format!("/v1/reports?period={}&count={count}", period.name());
        for (name, value) in [("service", &args.service), ("slo", &args.slo)] {
            if let Some(v) = value {
                query += &format!("&{name}={}", slipstream::remote::encode(v));
            }
        }
        let (status, body) =
            slipstream::remote::get_json(url, &query, token(&args.token).as_deref())?;
        if status != 200 {
            anyhow::bail!("GET {url}{query}: status {status}: {}", body["error"]);
        }
        body
    } else {
        let path = args.config.as_deref().unwrap_or(std::path::Path::new(""));
        let config = match config::load_file(path) {
            Ok(c) => c,
            Err(e) => return Ok(config_failure(&e)),
        };
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let options = slipstream::app::ReplayOptions::threads(threads);
        let pipeline = slipstream::app::read_files(&config, &args.files, clock.clone(), options)?;
        let view = slipstream::serve::read::ReadSide::view(&*pipeline);
        let keep = |service: &str, slo: &str| {
            args.service.as_deref().is_none_or(|s| s == service)
                && args.slo.as_deref().is_none_or(|s| s == slo)
        };
        let r = reports::reports(
            &view.objectives,
            &view.store,
            clock.now_us(),
            period,
            count,
            keep,
        )?;
        serde_json::to_value(r)?
    };
    print!("{}", render(&json, args.format));
    Ok(ExitCode::SUCCESS)
}

/// `slipstream gate`: the decision as text (or JSON) and as the exit code.
fn gate(args: GateArgs) -> anyhow::Result<ExitCode> {
    use slipstream::remote::encode;
    let mut query = format!("/v1/gate?service={}", encode(&args.service));
    if let Some(slo) = &args.slo {
        query += &format!("&slo={}", encode(slo));
    }
    if let Some(reason) = &args.override_reason {
        query += &format!("&override={}", encode(reason));
    }
    let body = args.remote.get_ok_json(&query)?;
    let code = exit_code(&body, &[0, 10, 11], &args.remote.url, &query)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&body)?);
    } else {
        let text = |k: &str| body[k].as_str().unwrap_or("-").to_string();
        println!(
            "{}: {}",
            text("decision").to_uppercase().replace('_', " "),
            text("reason")
        );
        println!(
            "service {} · tier {} · budget left {} · decided by {}",
            text("service"),
            text("tier"),
            body["budget_remaining_ratio"]
                .as_f64()
                .map_or_else(|| "-".into(), |r| format!("{:.1} %", r * 100.0)),
            text("slo"),
        );
    }
    Ok(ExitCode::from(code))
}

/// The decision's `exit_code` in `body` (the answer of `url` + `query`), one of `allowed`.
fn exit_code(
    body: &serde_json::Value,
    allowed: &[u8],
    url: &str,
    query: &str,
) -> anyhow::Result<u8> {
    body["exit_code"]
        .as_u64()
        .and_then(|c| u8::try_from(c).ok())
        .filter(|c| allowed.contains(c))
        .ok_or_else(|| anyhow::anyhow!("GET {url}{query}: no exit_code in {body}"))
}

/// `slipstream canary`: the comparison as text (or JSON) and the verdict as the exit code.
fn canary(args: CanaryArgs) -> anyhow::Result<ExitCode> {
    use slipstream::remote::encode;
    let mut query = format!("/v1/canary/{}", encode(&args.service));
    if let Some(w) = &args.window {
        query += &format!("?window={}", encode(w));
    }
    let body = args.remote.get_ok_json(&query)?;
    let code = exit_code(&body, &[0, 10, 12], &args.remote.url, &query)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(ExitCode::from(code));
    }
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("-").to_string();
    println!(
        "{}: {}",
        text(&body["verdict"]).to_uppercase().replace('_', " "),
        text(&body["reason"])
    );
    println!(
        "service {} · window {} · [{}, {})",
        text(&body["service"]),
        text(&body["window"]),
        text(&body["start"]),
        text(&body["end"])
    );
    let pct = |v: &serde_json::Value| {
        v.as_f64()
            .map_or("-".into(), |r| format!("{:.3} %", r * 100.0))
    };
    let ms = |v: &serde_json::Value| v.as_f64().map_or("-".into(), |m| format!("{m:.1} ms"));
    let rows: Vec<[String; 7]> = std::iter::once(
        [
            "variant",
            "requests",
            "errors",
            "error rate",
            "p50",
            "p95",
            "p99",
        ]
        .map(String::from),
    )
    .chain(["canary", "baseline"].map(|v| {
        let b = &body[v];
        [
            v.to_string(),
            b["requests"].to_string(),
            b["errors"].to_string(),
            pct(&b["error_rate"]),
            ms(&b["latency"]["p50_ms"]),
            ms(&b["latency"]["p95_ms"]),
            ms(&b["latency"]["p99_ms"]),
        ]
    }))
    .collect();
    print!("{}", slipstream::text_table::aligned(&rows));
    Ok(ExitCode::from(code))
}

/// `slipstream impact`: the JSON of the API, or its Markdown rendered here.
fn impact(args: ImpactArgs) -> anyhow::Result<ExitCode> {
    use slipstream::remote::encode;
    let query = format!(
        "{}/impact?start={}&end={}",
        args.one.path(),
        encode(&args.start),
        encode(&args.end)
    );
    let query = if args.json {
        query
    } else {
        query + "&format=markdown"
    };
    let (status, body) = args.remote.get(&query)?;
    let text = String::from_utf8_lossy(&body);
    if status != 200 {
        anyhow::bail!("GET {}{query}: status {status}: {text}", args.remote.url);
    }
    print!("{text}");
    if args.json {
        println!();
    }
    Ok(ExitCode::SUCCESS)
}

/// `method path` with JSON `body` to the instance `remote` names: its JSON answer when the
/// status is `ok`, else an error naming the request, the status and the server's error.
fn write(
    remote: &Remote,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
    ok: u16,
) -> anyhow::Result<serde_json::Value> {
    let token = token(&remote.token);
    let (status, answer) =
        slipstream::remote::send_json(method, &remote.url, path, token.as_deref(), body)?;
    if status != ok {
        anyhow::bail!(
            "{method} {}{path}: status {status}: {}",
            remote.url,
            answer["error"]
        );
    }
    Ok(answer)
}

/// `slipstream slo`: one SLO's answer as text (or its JSON).
fn slo(args: SloArgs) -> anyhow::Result<ExitCode> {
    let path = args.one.path();
    let body = args.remote.get_ok_json(&path)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&body)?);
    } else {
        print!("{}", slipstream::evaluate::report::text(&body));
    }
    Ok(ExitCode::SUCCESS)
}

/// `slipstream annotate`: prints the annotation as kept.
fn annotate(args: AnnotateArgs) -> anyhow::Result<ExitCode> {
    let mut labels = serde_json::Map::new();
    for l in &args.labels {
        let (k, v) = l
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--label {l:?}: expected key=value"))?;
        labels.insert(k.to_string(), serde_json::Value::String(v.to_string()));
    }
    let time = args
        .time
        .clone()
        .unwrap_or_else(|| slipstream::time::format_rfc3339(SystemClock.now_us()));
    let body = serde_json::json!({
        "time": time,
        "end": args.end,
        "kind": args.kind,
        "service": args.service,
        "text": args.text,
        "labels": labels,
    });
    let added = write(&args.remote, "POST", "/v1/annotations", Some(&body), 201)?;
    println!(
        "annotation {} added: {} {} {}",
        added["id"],
        args.kind,
        added["time"].as_str().unwrap_or("-"),
        args.text
    );
    Ok(ExitCode::SUCCESS)
}

/// `slipstream adjustments`: every adjustment as text (or JSON); or declares or deletes one.
fn adjustments(args: AdjustmentsArgs) -> anyhow::Result<ExitCode> {
    use slipstream::remote::encode;
    if let Some(name) = &args.delete {
        write(
            &args.remote,
            "DELETE",
            &format!("/v1/adjustments/{}", encode(name)),
            None,
            200,
        )?;
        println!("adjustment {name} deleted");
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(name) = &args.declare {
        let body = serde_json::json!({
            "name": name,
            "description": args.description.clone().unwrap_or_default(),
            "start": args.start,
            "end": args.end,
            "mode": args.mode.clone().unwrap_or_else(|| "exclude".into()),
            "slos": args.slos,
        });
        let added = write(&args.remote, "POST", "/v1/adjustments", Some(&body), 201)?;
        let report = serde_json::json!({ "adjustments": [added] });
        print!("{}", slipstream::evaluate::adjustments::text(&report));
        return Ok(ExitCode::SUCCESS);
    }
    let mut query = "/v1/adjustments".to_string();
    let params: Vec<String> = [("service", &args.service), ("slo", &args.slo)]
        .into_iter()
        .filter_map(|(k, v)| Some(format!("{k}={}", encode(v.as_ref()?))))
        .collect();
    if !params.is_empty() {
        query += &format!("?{}", params.join("&"));
    }
    let body = args.remote.get_ok_json(&query)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", slipstream::evaluate::adjustments::text(&body));
    Ok(ExitCode::SUCCESS)
}

/// `slipstream explain`: `line`, or stdin's lines (`None` or `-`); 65 when one does not
/// decode.
fn explain(config: &Config, line: Option<&str>, json: bool, now: i64) -> anyhow::Result<ExitCode> {
    let explainer = Explainer::new(config);
    let mut out = std::io::stdout().lock();
    let all_decoded = match line {
        None | Some("-") => {
            explainer.explain_all(std::io::stdin().lock(), json, now, &mut out)? == 0
        }
        Some(line) => explainer.explain_one(line.as_bytes(), json, now, &mut out)?,
    };
    Ok(if all_decoded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_DATAERR)
    })
}

/// Serves `config`; `reload` names the file that SIGHUP and file changes reload.
fn serve(
    mut config: Config,
    listen: Option<std::net::SocketAddr>,
    clock: Arc<dyn Clock>,
    reload: Option<ReloadSource>,
) -> anyhow::Result<ExitCode> {
    if let Some(l) = listen {
        config.start.listen = l;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(slipstream::app::run(config, clock, reload))?;
    Ok(ExitCode::SUCCESS)
}

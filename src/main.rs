//! The `slipstream` command line: parses arguments and hands over to [`slipstream::app`].
//!
//! Exit codes: 0 success, 64 invalid configuration (every error is printed with its file,
//! document and field path), 1 any other failure.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use slipstream::clock::{Clock, SystemClock};
use slipstream::config::{self, Config, ConfigError};

/// Exit code for an invalid configuration (EX_USAGE).
const EXIT_CONFIG: u8 = 64;

/// Exact, streaming SLIs, error budgets and burn rates from load-balancer access logs.
#[derive(Debug, Parser)]
#[command(name = "slipstream", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    Validate {
        /// Files to check, each a complete configuration.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Read log files to the end and print the report (`GET /v1/slos` JSON) to stdout.
    Replay {
        /// Configuration file.
        #[arg(long, short)]
        config: PathBuf,
        /// Log files (plain or gzip); default: the configured file source's paths.
        files: Vec<PathBuf>,
    },
    /// Run the built-in demo: generated traffic for four services with incidents.
    Demo {
        /// Override the demo's listen address (default 127.0.0.1:9977).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
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
        Command::Validate { files } => {
            let mut failed = false;
            for f in &files {
                match config::load_file(f) {
                    Ok(c) => println!(
                        "{}: ok ({} services, {} SLOs)",
                        f.display(),
                        c.services.len(),
                        c.objectives.len()
                    ),
                    Err(e) => {
                        eprint!("{}: {e}", f.display());
                        failed = true;
                    }
                }
            }
            Ok(if failed {
                ExitCode::from(EXIT_CONFIG)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Replay { config, files } => {
            let config = match config::load_file(&config) {
                Ok(c) => c,
                Err(e) => return Ok(config_failure(&e)),
            };
            let evaluation = slipstream::app::replay(&config, &files, clock)?;
            println!("{}", serde_json::to_string_pretty(&evaluation.report)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { config, listen } => {
            let config = match config::load_file(&config) {
                Ok(c) => c,
                Err(e) => return Ok(config_failure(&e)),
            };
            serve(config, listen, clock)
        }
        Command::Demo { listen } => {
            let config = match config::parse(config::DEMO_CONFIG, "embedded demo config") {
                Ok(c) => c,
                Err(e) => return Ok(config_failure(&e)),
            };
            serve(config, listen, clock)
        }
    }
}

fn serve(
    mut config: Config,
    listen: Option<std::net::SocketAddr>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<ExitCode> {
    if let Some(l) = listen {
        config.listen = l;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(slipstream::app::run(config, clock))?;
    Ok(ExitCode::SUCCESS)
}

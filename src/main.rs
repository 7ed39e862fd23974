//! The `slipstream` command line: parses arguments ([`cli::args`]) and hands each command to
//! its function in [`cli`], which hands over to [`slipstream::app`].
//!
//! Exit codes: 0 success, 64 invalid configuration (every error is printed with its file,
//! document and field path), 65 `explain` given a line that does not decode, 10 and 11 the
//! deploy gate's "blocked" and "needs approval", 12 the canary's "not enough data" (10 its
//! "roll back"), 2 usage (clap), 1 any other failure.

mod cli;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use slipstream::app::ReloadSource;
use slipstream::clock::{Clock, SystemClock};
use slipstream::config;
use slipstream::loadgen;

use cli::args::{Cli, Command, LogFormat};
use cli::ask::{adjustments, annotate, impact, slo};
use cli::config_failure;
use cli::decide::{canary, gate};
use cli::local::{explain, serve, validate};
use cli::readout::{catalog, report};

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

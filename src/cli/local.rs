//! The commands that work from a configuration here: `validate` checks it, `explain` shows
//! how lines decode and classify under it, and [`serve`] runs it (`run`, `demo`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use slipstream::app::ReloadSource;
use slipstream::clock::Clock;
use slipstream::config::{self, Config};
use slipstream::explain::Explainer;

use super::{EXIT_CONFIG, EXIT_DATAERR};

/// `slipstream validate`: every file's verdict; 64 when any is invalid (or, with `strict`,
/// has any warning).
pub(crate) fn validate(files: &[PathBuf], strict: bool) -> ExitCode {
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

/// `slipstream explain`: `line`, or stdin's lines (`None` or `-`); 65 when one does not
/// decode.
pub(crate) fn explain(
    config: &Config,
    line: Option<&str>,
    json: bool,
    now: i64,
) -> anyhow::Result<ExitCode> {
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
pub(crate) fn serve(
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

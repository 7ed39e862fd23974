//! The read-outs that answer from a configuration file here or from a running instance
//! (`--url`): `report` (each SLO's calendar periods) and `catalog` (the service catalog).

use std::process::ExitCode;
use std::sync::Arc;

use slipstream::clock::Clock;
use slipstream::config;
use slipstream::evaluate::reports::text::render;
use slipstream::evaluate::reports::{self, ReportPeriod};

use super::args::{CatalogArgs, ReportArgs};
use super::ask::token;
use super::config_failure;

/// `slipstream catalog`: the catalog of a configuration file or a running instance, as a
/// table or JSON.
pub(crate) fn catalog(args: CatalogArgs) -> anyhow::Result<ExitCode> {
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
pub(crate) fn report(args: ReportArgs, clock: Arc<dyn Clock>) -> anyhow::Result<ExitCode> {
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

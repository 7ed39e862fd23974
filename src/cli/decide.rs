//! The deploy decisions of a running instance, answered as exit codes: `gate` (ship,
//! blocked, needs approval) and `canary` (healthy, roll back, not enough data).

use std::process::ExitCode;

use super::args::{CanaryArgs, GateArgs};

/// `slipstream gate`: the decision as text (or JSON) and as the exit code.
pub(crate) fn gate(args: GateArgs) -> anyhow::Result<ExitCode> {
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
pub(crate) fn canary(args: CanaryArgs) -> anyhow::Result<ExitCode> {
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

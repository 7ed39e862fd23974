//! The commands that ask a running instance over HTTP and print its answer: `slo`,
//! `impact`, `annotate` and `adjustments`, and how they reach the instance ([`Remote`]).

use std::process::ExitCode;

use slipstream::clock::{Clock, SystemClock};

use super::args::{AdjustmentsArgs, AnnotateArgs, ImpactArgs, OneSlo, Remote, SloArgs};

impl Remote {
    /// `GET path_and_query` of the instance: status and body.
    pub(super) fn get(&self, path_and_query: &str) -> anyhow::Result<(u16, bytes::Bytes)> {
        slipstream::remote::get(&self.url, path_and_query, token(&self.token).as_deref())
    }

    /// `GET path_and_query` of the instance: its JSON, or an error naming the request, the
    /// status and the server's error unless it answered 200.
    pub(super) fn get_ok_json(&self, path_and_query: &str) -> anyhow::Result<serde_json::Value> {
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

impl OneSlo {
    /// `/v1/slos/{service}/{slo}`, encoded.
    pub(super) fn path(&self) -> String {
        use slipstream::remote::encode;
        format!("/v1/slos/{}/{}", encode(&self.service), encode(&self.slo))
    }
}

/// The bearer token given, else the SLIPSTREAM_TOKEN environment variable.
pub(super) fn token(given: &Option<String>) -> Option<String> {
    given
        .clone()
        .or_else(|| std::env::var("SLIPSTREAM_TOKEN").ok())
}

/// `slipstream impact`: the JSON of the API, or its Markdown rendered here.
pub(crate) fn impact(args: ImpactArgs) -> anyhow::Result<ExitCode> {
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
pub(crate) fn slo(args: SloArgs) -> anyhow::Result<ExitCode> {
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
pub(crate) fn annotate(args: AnnotateArgs) -> anyhow::Result<ExitCode> {
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
pub(crate) fn adjustments(args: AdjustmentsArgs) -> anyhow::Result<ExitCode> {
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

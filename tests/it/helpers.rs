//! Shared test helpers: building a pipeline from YAML in simulated time, writing access-log
//! lines independently of the crate's demo generator, parsing the report's timestamps.

use std::sync::Arc;

use slipstream::app::{Pipeline, PipelineSink};
use slipstream::clock::ManualClock;
use slipstream::config;
use slipstream::source::{LineBatch, PartitionId, Sink};
use slipstream::time::{SECOND, epoch_us};

/// A pipeline for `yaml` whose wall clock reads `now_us` until moved.
pub(crate) fn pipeline(yaml: &str, now_us: i64) -> (Arc<Pipeline>, ManualClock) {
    let config = config::parse(yaml, "test.yaml").unwrap_or_else(|e| panic!("{e}"));
    let clock = ManualClock::new(now_us);
    (Pipeline::new(&config, Arc::new(clock.clone())), clock)
}

/// A Pipeline reading ALB lines from stdin with one service, `api` (host api.example.com),
/// and one reliability/v1 document for it with `indicators: [{indicator}]` followed by the
/// spec lines in `extra` (e.g. `  compliance: calendar`).
pub(crate) fn api_slo_config(indicator: &str, extra: &str) -> String {
    format!(
        r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {{name: api}}
spec:
  source: {{stdin: {{}}}}
  decode: {{format: alb}}
  services: [{{name: api, match: {{host: api.example.com}}}}]
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {{name: api}}
spec:
  service: api
  indicators: [{indicator}]
{extra}
"#
    )
}

/// [`api_slo_config`] for a 99.9 % availability SLO over 30 days, checkpointed in `dir`.
pub(crate) fn api_availability_checkpointed(dir: &std::path::Path) -> String {
    api_slo_config("{name: availability, threshold: 99.9, window: 30d}", "").replace(
        "  decode: {format: alb}",
        &format!(
            "  decode: {{format: alb}}\n  checkpoint: {{dir: \"{}\"}}",
            dir.display()
        ),
    )
}

/// Feeds `lines` to partition `partition` in batches of `batch` lines, then reports the
/// partition at its end, as a file source does at the end of its file.
pub(crate) fn feed(p: &Arc<Pipeline>, partition: i32, lines: &[String], batch: usize) {
    let mut sink = feed_open(p, partition, lines, batch);
    sink.end_of_partition(PartitionId::new(0, partition));
}

/// Feeds `lines` like [`feed`] but leaves the partition open (more data may follow), so it
/// holds the evaluation time back; returns the sink for more.
pub(crate) fn feed_open(
    p: &Arc<Pipeline>,
    partition: i32,
    lines: &[String],
    batch: usize,
) -> PipelineSink {
    let mut sink = p.sink();
    let pid = PartitionId::new(0, partition);
    sink.assign(pid, &format!("test-{partition}"));
    let mut b = LineBatch::new();
    for chunk in lines.chunks(batch.max(1)) {
        b.clear();
        for l in chunk {
            b.push(l.as_bytes());
        }
        sink.apply(pid, &b);
    }
    sink
}

/// `line` (from [`alb_line`]) with its trace id replaced by one made from `id`.
pub(crate) fn with_trace_id(line: &str, id: u64) -> String {
    line.replace(
        "Root=1-58337281-1d84f3d73c47ec4e58577259",
        &format!("Root=1-58337281-{id:024x}"),
    )
}

/// Deterministic pseudo-random numbers (splitmix64).
#[derive(Debug)]
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Formats µs as ALB's `2026-11-20T12:00:00.123456Z`.
pub(crate) fn iso(t_us: i64) -> String {
    let s = slipstream::time::format_rfc3339(t_us);
    if s.contains('.') {
        s
    } else {
        s.replace('Z', ".000000Z")
    }
}

/// One ALB access-log line, written field by field from the AWS documentation.
/// `timings_ms` are request/target/response processing times, `None` for `-1 -1 -1`.
pub(crate) fn alb_line(
    t_us: i64,
    host: &str,
    path: &str,
    status: u16,
    timings_ms: Option<(u32, u32, u32)>,
) -> String {
    let (a, b, c) = match timings_ms {
        Some((a, b, c)) => (
            format!("{}.{:03}", a / 1000, a % 1000),
            format!("{}.{:03}", b / 1000, b % 1000),
            format!("{}.{:03}", c / 1000, c % 1000),
        ),
        None => ("-1".into(), "-1".into(), "-1".into()),
    };
    format!(
        "https {} app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 {a} {b} {c} {status} {status} 34 366 \
         \"GET https://{host}:443{path}?q=1 HTTP/1.1\" \"curl/7.46.0 (x86_64; like Gecko)\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 \
         arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 \
         \"Root=1-58337281-1d84f3d73c47ec4e58577259\" \"{host}\" \"arn:aws:acm:us-east-2:123456789012:certificate/12345678\" \
         0 2018-11-30T22:22:48.364000Z \"forward\" \"-\" \"-\" \"10.0.0.1:80\" \"{status}\" \"-\" \"-\" TID_1234",
        iso(t_us)
    )
}

/// Parses the report's RFC 3339 UTC timestamps (`…Z`, optional fraction) into µs.
pub(crate) fn parse_time(s: &str) -> i64 {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap();
    let mut t = epoch_us(
        s[0..4].parse().unwrap(),
        num(5..7),
        num(8..10),
        num(11..13),
        num(14..16),
        num(17..19),
        0,
    )
    .unwrap();
    if b[19] == b'.' {
        let frac = &s[20..s.len() - 1];
        t += frac.parse::<i64>().unwrap() * 10_i64.pow(6 - frac.len() as u32);
    }
    t
}

/// 2026-11-20T12:00:00Z, a whole hour.
pub(crate) const NOON: i64 = 1_795_176_000 * SECOND;

/// Service-level indicators computed by the tests themselves, one per event.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Truth {
    pub(crate) t_us: i64,
    pub(crate) status: u16,
    pub(crate) latency_us: Option<i64>,
}

impl Truth {
    pub(crate) fn bad_status(&self) -> bool {
        self.status >= 500
    }
}

/// What `slipstream replay --config <config> <log>` prints: the report, as JSON (the run
/// must exit 0).
pub(crate) fn replay(config: &std::path::Path, log: &std::path::Path) -> serde_json::Value {
    replay_with(&[], config, log)
}

/// [`replay`] with more options (`--threads N`) before the configuration.
pub(crate) fn replay_with(
    options: &[&str],
    config: &std::path::Path,
    log: &std::path::Path,
) -> serde_json::Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slipstream"))
        .arg("replay")
        .args(options)
        .arg("--config")
        .arg(config)
        .arg(log)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `slipstream run --config <config>` on a free port, ready (`/readyz` answers 200 within
/// [`READY_WITHIN`]), killed when dropped so a failing assertion leaves no server behind.
pub(crate) struct Running {
    child: std::process::Child,
    /// The port it serves on.
    pub(crate) port: u16,
}

/// How long [`Running::start`] waits for `/readyz`: the demo with 4 days of backfill, in a
/// debug build, is ready after 55 s on an idle 2-core machine, and later beside other tests.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(180);

impl Running {
    pub(crate) fn start(config: &std::path::Path) -> Self {
        let port = crate::cli::free_port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_slipstream"))
            .args(["run", "--config"])
            .arg(config)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut running = Self { child, port };
        let deadline = std::time::Instant::now() + READY_WITHIN;
        while !matches!(crate::cli::http_get(port, "/readyz"), Some((200, _))) {
            if let Some(status) = running.child.try_wait().unwrap() {
                panic!("run exited before it was ready: {status}");
            }
            assert!(
                std::time::Instant::now() < deadline,
                "run was not ready within {READY_WITHIN:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        running
    }

    /// Its base URL.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops it with SIGTERM (a final checkpoint) and waits; true when it exited 0.
    pub(crate) fn terminate(mut self) -> bool {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        self.child.wait().unwrap().success()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// [`api_slo_config`] reading `log` once (a file source) with `pipeline_extra` lines added
/// to the Pipeline's spec, written to `dir/c.yaml`.
pub(crate) fn file_config(
    dir: &std::path::Path,
    log: &std::path::Path,
    indicator: &str,
    pipeline_extra: &str,
) -> std::path::PathBuf {
    let config = dir.join("c.yaml");
    let mut source = format!(
        "source: {{file: {{paths: [{}], follow: false}}}}",
        log.display()
    );
    if !pipeline_extra.is_empty() {
        source += &format!("\n  {pipeline_extra}");
    }
    let yaml = api_slo_config(indicator, "").replace("source: {stdin: {}}", &source);
    std::fs::write(&config, yaml).unwrap();
    config
}

/// ALB lines of `api.example.com` for `events` `(time, bad)` (503 when bad, else 200), and
/// a good one at `now`, the newest, which sets the evaluation time there.
pub(crate) fn api_lines(events: &[(i64, bool)], now: i64) -> Vec<String> {
    events
        .iter()
        .map(|&(t, bad)| alb_line(t, "api.example.com", "/", if bad { 503 } else { 200 }, None))
        .chain(std::iter::once(alb_line(
            now,
            "api.example.com",
            "/",
            200,
            None,
        )))
        .collect()
}

/// `request` served by `router` in process: the status and the body as text.
pub(crate) async fn call(
    router: &axum::Router,
    request: axum::http::Request<axum::body::Body>,
) -> (u16, String) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

/// `GET uri` of `router` in process: the status and the body as text.
pub(crate) async fn get_text(router: &axum::Router, uri: &str) -> (u16, String) {
    let request = axum::http::Request::get(uri)
        .body(axum::body::Body::empty())
        .unwrap();
    call(router, request).await
}

/// `GET uri` of `router` in process: the status and the JSON body.
pub(crate) async fn get_json(router: &axum::Router, uri: &str) -> (u16, serde_json::Value) {
    let (status, body) = get_text(router, uri).await;
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{uri}: {e}: {body}"));
    (status, json)
}

/// The SLO `service/slo` of a report's JSON (`/v1/slos`); panics, showing the report,
/// when it has none.
pub(crate) fn slo_in<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["slos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            format!(
                "{}/{}",
                s["service"].as_str().unwrap(),
                s["slo"].as_str().unwrap()
            ) == id
        })
        .unwrap_or_else(|| panic!("no SLO {id} in {report}"))
}

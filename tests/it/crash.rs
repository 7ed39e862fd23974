//! Crash safety against the real broker: the `slipstream` binary consumes a topic while it is
//! killed with SIGKILL at random moments and restarted (checkpoints every 200 ms), or stopped
//! with SIGTERM; at the end every window equals the truth computed from what was produced.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cli::{free_port, http_get};
use crate::exact_windows::{CONFIG, Input, check_report};
use crate::helpers::{Rng, Truth, alb_line};
use crate::kafka::{Broker, kafka_yaml, wait_for};

use slipstream::time::{HOUR, SECOND};

/// Valid traffic for checkout and search, event times in the two hours before `top` (a whole
/// second), plus one request at `top` itself so the evaluation time is exactly `top`.
pub(crate) fn traffic(top: i64, n: usize, seed: u64) -> Input {
    let mut rng = Rng(seed);
    let mut input = Input::default();
    for i in 0..=n {
        let t = if i == n {
            top
        } else {
            top - 1 - rng.below(2 * HOUR as u64) as i64
        };
        let (service, host) = if rng.below(3) == 0 {
            ("search", "search.example.com")
        } else {
            ("checkout", "checkout.example.com")
        };
        let status = match rng.below(40) {
            0 => 502,
            1 => 404,
            _ => 200,
        };
        let target_ms = rng.below(400) as u32;
        input
            .lines
            .push(alb_line(t, host, "/api", status, Some((1, target_ms, 1))));
        input.truth.push((
            service,
            Truth {
                t_us: t,
                status,
                latency_us: Some(i64::from(target_ms + 2) * 1000),
            },
        ));
    }
    input
}

pub(crate) struct Instance {
    pub(crate) child: Child,
    pub(crate) port: u16,
    /// Where its stderr goes when neither `TEST_LOG` nor `TEST_LOG_DIR` is set: a file of its
    /// own, removed when it is dropped, whose end a timed-out wait prints for a member that
    /// exited (so CI shows why).
    log: Option<std::path::PathBuf>,
}

impl Instance {
    pub(crate) fn start(config: &std::path::Path, port: u16) -> Instance {
        // TEST_LOG=1 shows the instances' logs, TEST_LOG_DIR=d writes them to d/<port>.log;
        // otherwise each writes to a file of its own (see `log`).
        let (stderr, log) = if let Some(d) = std::env::var_os("TEST_LOG_DIR") {
            let path = std::path::Path::new(&d).join(format!("{port}.log"));
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap();
            (Stdio::from(file), None)
        } else if std::env::var_os("TEST_LOG").is_some() {
            (Stdio::inherit(), None)
        } else {
            let dir = crate::cli::run_dir("slipstream-it-logs");
            let path = dir.join(format!("{port}-{}.log", unique()));
            (
                Stdio::from(std::fs::File::create(&path).unwrap()),
                Some(path),
            )
        };
        let child = Command::new(env!("CARGO_BIN_EXE_slipstream"))
            .args(["run", "--config"])
            .arg(config)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        Instance { child, port, log }
    }

    /// The last `n` lines the instance wrote to its own log (empty without one).
    pub(crate) fn log_tail(&self, n: usize) -> Vec<String> {
        let text = self
            .log
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(n);
        lines[from..].iter().map(|l| l.to_string()).collect()
    }

    pub(crate) fn metric_sum(&self, name: &str) -> Option<u64> {
        let (status, body) = http_get(self.port, "/metrics")?;
        (status == 200).then(|| {
            body.lines()
                .filter(|l| l.starts_with(name))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
                .sum()
        })
    }

    /// What the kernel says of its process: `R`, `S` or `D` while it runs, `T` when
    /// stopped, `Z` once it has exited and is not yet reaped.
    pub(crate) fn process_state(&self) -> String {
        std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .ok()
            .and_then(|stat| {
                let after_name = stat.rsplit_once(") ")?.1;
                after_name.split(' ').next().map(str::to_string)
            })
            .unwrap_or_else(|| "gone".into())
    }

    pub(crate) fn lines(&self) -> Option<u64> {
        self.metric_sum("slipstream_lines_total{")
    }

    pub(crate) fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().unwrap()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(log) = &self.log {
            let _ = std::fs::remove_file(log);
        }
    }
}

/// A number no other call in this process returned.
fn unique() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn setup(group: &str) -> (Broker, tempfile::TempDir, std::path::PathBuf, i64) {
    let broker = Broker::start(false);
    broker.create_topic("crash", 4);
    let dir = tempfile::tempdir().unwrap();
    // A short session timeout: the killed member leaves the group quickly, so the restarted
    // one gets the partitions back within seconds.
    let yaml = kafka_yaml(CONFIG, &broker.brokers(), "crash", group)
        .replace(
            "start_from: earliest}",
            "start_from: earliest, options: {session.timeout.ms: \"3000\"}}",
        )
        .replace(
            "window: {max_future: 5m}",
            &format!(
                "window: {{max_future: 5m}}\n  checkpoint: {{dir: \"{}\", interval: 200ms}}",
                dir.path().join("state").display()
            ),
        );
    let config = dir.path().join("slipstream.yaml");
    std::fs::write(&config, yaml).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    (broker, dir, config, (now - 60) * SECOND)
}

fn final_report(instance: &Instance) -> Value {
    let (status, body) = http_get(instance.port, "/v1/slos").unwrap();
    assert_eq!(status, 200);
    serde_json::from_str(&body).unwrap()
}

/// Starts the binary, then for each chunk: produces it, lets the instance consume (and
/// checkpoint) for a random while once it is ready, and kills it without warning before
/// starting it again. Returns the running instance and the number of kills.
fn produce_killing(
    broker: &Broker,
    config: &std::path::Path,
    port: u16,
    chunks: &[&[impl AsRef<[u8]>]],
    rng: &mut Rng,
) -> (Instance, usize) {
    let mut instance = Instance::start(config, port);
    for chunk in chunks {
        broker.produce("crash", 4, chunk);
        wait_for(60, "the restarted instance to consume", || {
            instance.metric_sum("slipstream_ready ").unwrap_or(0) == 1
        });
        std::thread::sleep(Duration::from_millis(50 + rng.below(600)));
        instance.kill();
        instance = Instance::start(config, port);
    }
    (instance, chunks.len())
}

#[test]
fn sigkill_at_random_moments_loses_and_doubles_nothing() {
    let (broker, _dir, config, top) = setup("crash-kill");
    let input = traffic(top, 40_000, 31);
    let port = free_port();
    let mut rng = Rng(77);
    let chunks: Vec<&[String]> = input.lines.chunks(input.lines.len() / 12 + 1).collect();
    let (instance, kills) = produce_killing(&broker, &config, port, &chunks, &mut rng);
    assert!(kills >= 10, "{kills} kills");
    let n = input.lines.len() as u64;
    let mut seen = None;
    let deadline = Instant::now() + Duration::from_secs(180);
    while seen != Some(n) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        seen = instance.lines();
    }
    if seen != Some(n) {
        let (_, metrics) = http_get(instance.port, "/metrics").unwrap_or_default();
        for l in metrics.lines().filter(|l| {
            l.starts_with("slipstream_lines_total")
                || l.starts_with("slipstream_partition_next_offset")
                || l.starts_with("slipstream_source")
        }) {
            eprintln!("{l}");
        }
    }
    assert_eq!(
        seen,
        Some(n),
        "every line applied exactly once after {kills} kills"
    );
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(instance.lines(), Some(n), "nothing counted twice");
    check_report(&final_report(&instance), &input, top);
}

#[test]
fn sigterm_checkpoints_everything_and_replays_nothing() {
    let (broker, _dir, config, top) = setup("crash-term");
    let input = traffic(top, 10_000, 41);
    let half = input.lines.len() / 2;
    let port = free_port();
    broker.produce("crash", 4, &input.lines[..half]);
    let instance = Instance::start(&config, port);
    wait_for(120, "the first half", || {
        instance.lines() == Some(half as u64)
    });
    let started = Instant::now();
    let status = instance.terminate();
    assert!(status.success(), "SIGTERM exits 0: {status:?}");
    assert!(started.elapsed() < Duration::from_secs(30));
    // Restarted, it holds exactly the first half from its final checkpoint before reading on.
    let instance = Instance::start(&config, port);
    wait_for(60, "the restarted instance to answer", || {
        instance.lines().is_some()
    });
    assert_eq!(
        instance.lines(),
        Some(half as u64),
        "restored, not replayed"
    );
    assert_eq!(
        instance.metric_sum("slipstream_checkpoint_restored_partitions"),
        Some(4)
    );
    broker.produce("crash", 4, &input.lines[half..]);
    let n = input.lines.len() as u64;
    wait_for(120, "the second half", || instance.lines() == Some(n));
    check_report(&final_report(&instance), &input, top);
}

/// `lines` as OpenTelemetry Collector `otlp_proto` messages of `per_message` log records
/// each (every line a record's string body), built with the protobuf crate.
fn otlp_messages(lines: &[String], per_message: usize) -> Vec<Vec<u8>> {
    use opentelemetry_proto::tonic::common::v1::{AnyValue, any_value::Value as Any};
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, LogsData, ResourceLogs, ScopeLogs};
    use prost::Message;
    lines
        .chunks(per_message)
        .map(|chunk| {
            let log_records = chunk
                .iter()
                .map(|line| LogRecord {
                    observed_time_unix_nano: 1,
                    body: Some(AnyValue {
                        value: Some(Any::StringValue(line.clone())),
                    }),
                    ..LogRecord::default()
                })
                .collect();
            LogsData {
                resource_logs: vec![ResourceLogs {
                    scope_logs: vec![ScopeLogs {
                        log_records,
                        ..ScopeLogs::default()
                    }],
                    ..ResourceLogs::default()
                }],
            }
            .encode_to_vec()
        })
        .collect()
}

/// One Kafka message holding many log records (an `otlp_proto` batch): a position still
/// covers whole messages, so SIGKILLs at random moments neither lose nor double-count a
/// record, and every window is exact.
#[test]
fn otlp_batches_through_sigkills_count_every_record_once() {
    let (broker, _dir, config, top) = setup("crash-otlp");
    let yaml = std::fs::read_to_string(&config).unwrap();
    assert!(yaml.contains("decode: {format: alb}"));
    std::fs::write(
        &config,
        yaml.replace(
            "decode: {format: alb}",
            "decode: {format: alb, envelope: otlp_proto}",
        ),
    )
    .unwrap();
    let input = traffic(top, 12_000, 47);
    let messages = otlp_messages(&input.lines, 40);
    let port = free_port();
    let mut rng = Rng(5);
    let chunks: Vec<&[Vec<u8>]> = messages.chunks(messages.len() / 5 + 1).collect();
    let (instance, _) = produce_killing(&broker, &config, port, &chunks, &mut rng);
    let n = input.lines.len() as u64;
    wait_for(180, "every record", || instance.lines() == Some(n));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(instance.lines(), Some(n), "nothing counted twice");
    assert_eq!(
        instance.metric_sum("slipstream_decode_errors_total{"),
        Some(0)
    );
    check_report(&final_report(&instance), &input, top);
}

/// Records that carry the request as HTTP semantic-convention attributes (`otel_http`), in
/// `otlp_json` batches of 50 through a real broker: every window equals the truth the
/// records were written from.
#[test]
fn otel_http_records_count_exactly() {
    let (broker, _dir, config, top) = setup("otel-http");
    let yaml = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        yaml.replace(
            "decode: {format: alb}",
            "decode: {format: otel_http, envelope: otlp_json, otel_http: {duration_attribute: duration_ms, duration_unit: ms}}",
        ),
    )
    .unwrap();
    let input = traffic(top, 6_000, 91);
    let record = |(service, t): &(&str, Truth)| {
        serde_json::json!({
            "timeUnixNano": (t.t_us * 1_000).to_string(),
            "observedTimeUnixNano": ((t.t_us + 5_000_000) * 1_000).to_string(),
            "attributes": [
                {"key": "http.request.method", "value": {"stringValue": "GET"}},
                {"key": "url.path", "value": {"stringValue": "/api"}},
                {"key": "server.address", "value": {"stringValue": format!("{service}.example.com")}},
                {"key": "http.response.status_code", "value": {"intValue": t.status.to_string()}},
                {"key": "duration_ms", "value": {"intValue": t.latency_us.unwrap() / 1_000}},
            ],
        })
    };
    let messages: Vec<String> = input
        .truth
        .chunks(50)
        .map(|chunk| {
            let records: Vec<_> = chunk.iter().map(record).collect();
            serde_json::json!({"resourceLogs": [{
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "edge"}}]},
                "scopeLogs": [{"scope": {}, "logRecords": records}],
            }]})
            .to_string()
        })
        .collect();
    broker.produce("crash", 4, &messages);
    let port = free_port();
    let instance = Instance::start(&config, port);
    let n = input.truth.len() as u64;
    wait_for(120, "every record", || instance.lines() == Some(n));
    assert_eq!(
        instance.metric_sum("slipstream_decode_errors_total{"),
        Some(0)
    );
    check_report(&final_report(&instance), &input, top);
}

//! Property-based abuse of the HTTP API with schemathesis (`st`, from PyPI; `scripts/test.sh`
//! installs it). A real `slipstream run` on the demo source serves `/openapi.json`; `st run`
//! generates valid and invalid requests for every documented operation (examples, coverage,
//! fuzzing and stateful phases, fixed seed, a bounded number of examples) and runs every
//! check: no 5xx, only documented statuses, content types, headers and bodies that match the
//! document, invalid input rejected, valid input accepted, authentication enforced. Once
//! without authentication and once with a bearer token. Skipped, saying so, without `st`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{free_port, http_get};

/// Examples per operation and phase: enough to find what a person would miss, well under a
/// minute per run on a debug build.
const MAX_EXAMPLES: &str = "30";
const SEED: &str = "42";

/// The series endpoint's `window` and `step` have a duration pattern in the document, but
/// whether a well-formed duration can be counted exactly for this SLO (window at most the
/// period, step a multiple of a bucket width kept for the whole window, at most 2000 points)
/// is not something a schema says: a schema-valid value may get 400.
///
/// Likewise an annotation's `end` must not be before its `time`, an impact's range must be
/// one the SLO still counts, an adjustment's `slos` must name SLOs that exist (and its name
/// be free: 409; listing them for a service and SLO that do not exist: 404), and a time the schema calls `date-time` may still be one the server does
/// not read (a leap second): 400. A capacity query's `service` must name a service: 404; a
/// contributors query's window must be whole minutes within the retention, and its `by` a
/// dimension the configuration keeps (`client`, in the document's enum, is opt-in): 400. A
/// canary query names a service, which must compare a canary (404), over whole minutes
/// within its retention (400); the check answers its verdict as 412 or 425.
const CONFIG: &str = r#"
[[operations]]
include-path = "/v1/slos/{service}/{slo}/series"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "404"]

[[operations]]
include-path = "/v1/slos/{service}/{slo}/impact"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "404"]

[[operations]]
include-path = "/v1/annotations"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "409"]

[[operations]]
include-path = "/v1/adjustments"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409"]

[[operations]]
include-path = "/v1/slos/{service}/{slo}/contributors"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "404"]

[[operations]]
include-path = "/v1/capacity"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "404"]

[[operations]]
include-path = "/v1/canary/{service}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "404"]

[[operations]]
include-path = "/v1/canary/{service}/check"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "404", "412", "425"]
"#;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn schemathesis_installed() -> bool {
    let found = Command::new("st")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!(
            "note: schemathesis (`st`) not on PATH, skipping the schemathesis test \
             (pip install schemathesis, or run scripts/test.sh)"
        );
    }
    found
}

/// Starts the demo (with less history, so a debug build is ready soon) on a free port,
/// requiring `token` when given, and waits until it is ready.
fn start_demo(dir: &Path, token: Option<&str>) -> (Killed, u16) {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.yaml")).unwrap();
    let mut text = text
        .replace("history: 3h", "history: 10m")
        .replace("backfill: 35d", "backfill: 0s");
    if token.is_some() {
        text = text.replacen(
            "\n  source:",
            "\n  http: {auth: {token_env: SLIPSTREAM_SCHEMATHESIS_TOKEN}}\n  source:",
            1,
        );
    }
    let config = dir.join("demo.yaml");
    std::fs::write(&config, text).unwrap();
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_slipstream"));
    command
        .args(["run", "--config"])
        .arg(&config)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(token) = token {
        command.env("SLIPSTREAM_SCHEMATHESIS_TOKEN", token);
    }
    let demo = Killed(command.spawn().unwrap());
    let deadline = Instant::now() + Duration::from_secs(120);
    while !matches!(http_get(port, "/readyz"), Some((200, _))) {
        assert!(Instant::now() < deadline, "the demo never became ready");
        std::thread::sleep(Duration::from_millis(200));
    }
    (demo, port)
}

/// Runs `st run` against the demo on `port` and fails with its report unless it passes.
fn run_schemathesis(dir: &Path, port: u16, token: Option<&str>) {
    let config = dir.join("schemathesis.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let mut command = Command::new("st");
    command
        // Hypothesis and schemathesis keep their files in the working directory.
        .current_dir(dir)
        .arg("--config-file")
        .arg(&config)
        .arg("--no-color")
        .args(["run", &format!("http://127.0.0.1:{port}/openapi.json")])
        .args(["--checks", "all"])
        .args(["--seed", SEED, "--max-examples", MAX_EXAMPLES])
        .args(["--generation-database", "none"]);
    if let Some(token) = token {
        command.args(["--header", &format!("Authorization: Bearer {token}")]);
    }
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "schemathesis failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn schemathesis_finds_nothing_wrong() {
    if !schemathesis_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_demo, port) = start_demo(dir.path(), None);
    run_schemathesis(dir.path(), port, None);
}

#[test]
fn schemathesis_finds_nothing_wrong_with_bearer_auth() {
    if !schemathesis_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let token = "schemathesis-t0ken";
    let (_demo, port) = start_demo(dir.path(), Some(token));
    run_schemathesis(dir.path(), port, Some(token));
}

//! The binary reloading on SIGHUP and on a change of its configuration file.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{CHECKOUT, PIPELINE, config, ids};
use crate::cli::{free_port, http_get};

/// A child process killed on drop.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_binary_reloads_on_sighup_and_on_a_file_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slipstream.yaml");
    let stderr = dir.path().join("stderr.log");
    std::fs::write(&path, format!("{PIPELINE}{CHECKOUT}")).unwrap();
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_slipstream"))
        .args(["run", "--config"])
        .arg(&path)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let child = Child(child);
    wait_for("the server", || http_get(port, "/readyz").is_some());
    let slos = || -> Vec<String> {
        http_get(port, "/v1/slos")
            .and_then(|(_, body)| serde_json::from_str::<Value>(&body).ok())
            .map(|v| ids(&v))
            .unwrap_or_default()
    };
    assert_eq!(slos(), ["checkout/availability", "checkout/latency_p99"]);

    // SIGHUP reloads the edited file.
    std::fs::write(&path, config()).unwrap();
    let status = Command::new("kill")
        .args(["-HUP", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    wait_for("search/availability", || {
        slos().contains(&"search/availability".to_string())
    });
    wait_for("the SIGHUP log line", || {
        std::fs::read_to_string(&stderr)
            .unwrap()
            .contains("SIGHUP: reloading configuration")
    });

    // A bad edit, saved like an editor does (write aside, rename over), is noticed without
    // a signal; the old configuration keeps serving.
    let aside = dir.path().join("slipstream.yaml.tmp");
    std::fs::write(&aside, config().replace("format: alb", "format: apache")).unwrap();
    std::fs::rename(&aside, &path).unwrap();
    wait_for("the reload error on /readyz", || {
        http_get(port, "/readyz").is_some_and(|(_, body)| body.contains("config_reload_error"))
    });
    let (_, body) = http_get(port, "/readyz").unwrap();
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(
        v["config_reload_error"]
            .as_str()
            .unwrap()
            .contains("spec.decode.format"),
        "{body}"
    );
    assert_eq!(slos().len(), 3, "still serving the last good configuration");
    let (_, metrics) = http_get(port, "/metrics").unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l == "slipstream_config_reload_failures_total 1"),
        "{metrics}"
    );
    assert_eq!(http_get(port, "/healthz").map(|(s, _)| s), Some(200));
    drop(child);
}

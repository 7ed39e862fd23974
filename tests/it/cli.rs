//! The binary as a user runs it: exit codes, `validate`, `replay`, and a served demo.

mod demo;
mod explain;
mod reports;
mod validate;

use std::io::Write;
use std::process::Command;
use std::time::Duration;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_slipstream"))
}

/// A port of 127.0.0.1 that is free now and that no other test of this run was handed.
///
/// The port is released before the caller's server binds it, so in between something else
/// may take it, and then that server fails to start while its test talks to nothing, or to
/// another test's server. Two guards:
/// - it is picked outside the kernel's ephemeral range ([`EPHEMERAL`]), where neither
///   `bind(0)` nor the local end of an outgoing connection (the tests' HTTP polls, every
///   Kafka client) is ever placed;
/// - every port handed out is marked by a file created with `create_new` in a directory
///   shared by the run's test processes (nextest runs each test in its own), so a port goes
///   to one test only.
pub(crate) fn free_port() -> u16 {
    let dir = run_dir("slipstream-it-ports");
    let (low, high) = outside_ephemeral();
    let mut state = seed();
    for _ in 0..100_000 {
        // xorshift64: any spread will do, the marks and the bind test decide.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let port = low + (state % u64::from(high - low)) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            continue;
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(dir.join(port.to_string()))
        {
            Ok(_) => return port,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => panic!("cannot mark port {port} in {}: {e}", dir.display()),
        }
    }
    panic!("no free port in {low}..{high}");
}

/// Where the kernel places ephemeral ports.
const EPHEMERAL: &str = "/proc/sys/net/ipv4/ip_local_port_range";

/// Ports `low..high` outside the ephemeral range: the 12,000 just below it (Linux's default
/// range starts at 32768), none below 10,000; where the range starts lower than that, the
/// ports above it.
fn outside_ephemeral() -> (u16, u16) {
    let range = std::fs::read_to_string(EPHEMERAL).unwrap_or_default();
    let mut bounds = range.split_whitespace().map(|b| b.parse::<u16>().ok());
    let (start, end) = match (bounds.next().flatten(), bounds.next().flatten()) {
        (Some(start), Some(end)) => (start, end),
        _ => (32768, 60999),
    };
    if start >= 11_000 {
        (start.saturating_sub(12_000).max(10_000), start)
    } else {
        assert!(
            end < 64_000,
            "the ephemeral range {start}-{end} leaves no room outside it"
        );
        (end + 1, end.saturating_add(12_001))
    }
}

/// A seed that differs between test processes and calls.
fn seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (nanos ^ u64::from(std::process::id()).rotate_left(32)) | 1
}

/// A directory of the temporary directory's `name` for this test run, shared by its test
/// processes (nextest's run id; the process id under `cargo test`); those of runs that
/// began more than a day ago are removed.
pub(crate) fn run_dir(name: &str) -> std::path::PathBuf {
    let run = std::env::var("NEXTEST_RUN_ID").unwrap_or_else(|_| std::process::id().to_string());
    let dir = std::env::temp_dir().join(name).join(run);
    std::fs::create_dir_all(&dir).unwrap();
    prune_older_runs(dir.parent().unwrap(), &dir);
    dir
}

/// Removes the directories of runs that began more than a day ago.
fn prune_older_runs(all: &std::path::Path, mine: &std::path::Path) {
    let day = std::time::Duration::from_secs(86_400);
    for entry in std::fs::read_dir(all).into_iter().flatten().flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > day));
        if old && entry.path() != mine {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

pub(crate) fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    http_response(port, path).map(|(status, _, body)| (status, body))
}

/// [`http_get`] with the response's header lines (names lowercased).
pub(crate) fn http_response(port: u16, path: &str) -> Option<(u16, Vec<String>, String)> {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        // HTTP/1.0: the answer is not chunked, so the body is the JSON as it is.
        "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let status = buf.split_whitespace().nth(1)?.parse().ok()?;
    let (head, body) = buf.split_once("\r\n\r\n")?;
    let headers = head.lines().skip(1).map(str::to_ascii_lowercase).collect();
    Some((status, headers, body.to_string()))
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64
}

const ALB_EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/alb-example.yaml");

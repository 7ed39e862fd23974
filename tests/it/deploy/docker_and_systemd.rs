//! The Dockerfile (two stages, a numeric non-root user, what it copies) and the systemd unit
//! (hardened, keeping its state, reloading only as the README says).

use std::path::Path;

use super::{deploy_dir, read};

#[test]
fn dockerfile_builds_in_two_stages_and_runs_as_non_root() {
    let text = read(&deploy_dir().join("Dockerfile"));
    let instructions: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let from: Vec<&&str> = instructions
        .iter()
        .filter(|l| l.starts_with("FROM "))
        .collect();
    assert_eq!(from.len(), 2, "{from:?}");
    assert!(from[0].starts_with("FROM rust:") && from[0].contains(" AS build"));
    assert!(text.contains("cargo build --release --locked"));
    let user = instructions
        .iter()
        .rfind(|l| l.starts_with("USER "))
        .expect("a USER");
    let uid = user["USER ".len()..].split(':').next().unwrap().trim();
    assert!(uid != "root" && uid != "0", "{user}");
    assert!(
        uid.parse::<u32>().is_ok(),
        "numeric uid, for runAsNonRoot: {user}"
    );
    for line in [
        "EXPOSE 9977",
        r#"VOLUME ["/var/lib/slipstream"]"#,
        r#"ENTRYPOINT ["slipstream"]"#,
        r#"CMD ["run", "--config", "/etc/slipstream/slipstream.yaml"]"#,
    ] {
        assert!(instructions.contains(&line), "{line}");
    }
    // What the build stage copies exists and is not ignored.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ignored = read(&root.join(".dockerignore"));
    for copy in instructions
        .iter()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        let args: Vec<&str> = copy.split_whitespace().skip(1).collect();
        for src in &args[..args.len() - 1] {
            assert!(root.join(src).exists(), "COPY {src}: missing");
            assert!(
                !ignored.lines().any(|l| l.trim_end_matches('/') == *src),
                "COPY {src}: in .dockerignore"
            );
        }
    }
}

#[test]
fn systemd_unit_is_hardened_and_keeps_state() {
    let unit = read(&deploy_dir().join("systemd/slipstream.service"));
    let settings: Vec<&str> = unit.lines().map(str::trim).collect();
    for want in [
        "ExecStart=/usr/local/bin/slipstream run --config /etc/slipstream/slipstream.yaml",
        "StateDirectory=slipstream",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "RestartPreventExitStatus=64",
    ] {
        assert!(settings.contains(&want), "{want}");
    }
    // A reload only where the README says SIGHUP reloads.
    let readme = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
    if settings.iter().any(|l| l.starts_with("ExecReload=")) {
        assert!(readme.contains("SIGHUP"));
    }
}

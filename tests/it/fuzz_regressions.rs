//! The committed fuzz corpus (`tests/fuzz_regressions/<target>/`, crash reproducers and
//! interesting inputs) run through the same checks as the cargo-fuzz targets in `fuzz/`, so
//! every `cargo test` replays them without cargo-fuzz or a nightly compiler.

#[allow(unreachable_pub, dead_code)]
#[path = "../../fuzz/src/lib.rs"]
mod checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_regressions")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(
            outcome.is_ok(),
            "{target}: {} fails its check",
            path.display()
        );
        n += 1;
    }
    assert!(n > 0, "no inputs in {}", dir.display());
}

#[test]
fn decode_corpus() {
    replay("decode", checks::decode);
}

#[test]
fn envelope_corpus() {
    replay("envelope", checks::envelope);
}

#[test]
fn config_corpus() {
    replay("config", checks::config);
}

#[test]
fn checkpoint_corpus() {
    replay("checkpoint", checks::checkpoint);
}

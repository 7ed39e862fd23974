//! Writing checkpoint files: a round trip, two files kept and the newest loaded, and a fall
//! back to the previous file when the newest is truncated, damaged or of another version.

use super::*;

#[test]
fn round_trip() {
    let c = sample(1);
    assert_eq!(decode(&encode(&c)).unwrap(), c);
}

#[test]
fn writes_are_kept_two_deep_and_the_newest_wins() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = CheckpointDir::open(dir.path()).unwrap();
    for n in 1..=4 {
        d.write(&sample(n)).unwrap();
    }
    let files = CheckpointDir::files(dir.path()).unwrap();
    assert_eq!(files.len(), KEEP);
    let Loaded {
        checkpoint: loaded,
        rejected,
    } = CheckpointDir::open(dir.path()).unwrap().load().unwrap();
    assert!(rejected.is_empty());
    assert_eq!(loaded.unwrap().0, sample(4));
    // A reopened directory continues the sequence.
    let mut again = CheckpointDir::open(dir.path()).unwrap();
    let w = again.write(&sample(5)).unwrap();
    assert!(
        w.path.ends_with("checkpoint-00000000000000000005.bin"),
        "{:?}",
        w.path
    );
}

/// Damages the newest file with `damage` and checks the load falls back to the previous one
/// and names the problem.
fn falls_back(damage: impl Fn(&mut Vec<u8>), expect: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut d = CheckpointDir::open(dir.path()).unwrap();
    d.write(&sample(1)).unwrap();
    let newest = d.write(&sample(2)).unwrap().path;
    let mut bytes = fs::read(&newest).unwrap();
    damage(&mut bytes);
    fs::write(&newest, bytes).unwrap();
    let Loaded {
        checkpoint: loaded,
        rejected,
    } = d.load().unwrap();
    assert_eq!(
        loaded.unwrap().0,
        sample(1),
        "fell back to the previous checkpoint"
    );
    assert_eq!(rejected.len(), 1);
    let message = rejected[0].to_string();
    assert!(message.contains(expect), "{message}");
    assert!(message.contains("checkpoint-"), "{message}");
}

#[test]
fn a_truncated_checkpoint_falls_back() {
    falls_back(|b| b.truncate(b.len() - 7), "truncated");
    falls_back(|b| b.truncate(10), "truncated");
}

#[test]
fn a_flipped_byte_falls_back() {
    falls_back(
        |b| {
            let i = b.len() / 2;
            b[i] ^= 0x20;
        },
        "checksum mismatch",
    );
}

#[test]
fn a_wrong_version_falls_back() {
    falls_back(|b| b[8] = 99, "format version 99");
    // Version 3, the last before split services, is refused the same way.
    falls_back(
        |b| b[8] = 3,
        "format version 3, this build reads versions 4 to 13",
    );
    falls_back(|b| b[0] = b'X', "bad magic");
}

#[test]
fn nothing_valid_means_no_checkpoint_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("checkpoint-00000000000000000001.bin"),
        b"garbage",
    )
    .unwrap();
    let Loaded {
        checkpoint: loaded,
        rejected,
    } = CheckpointDir::open(dir.path()).unwrap().load().unwrap();
    assert!(loaded.is_none());
    assert_eq!(rejected.len(), 1);
}

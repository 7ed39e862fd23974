//! Test support shared by the decoders' property tests: random edits of valid lines.

use proptest::prelude::*;

/// A list of 1–5 edits: (position, byte, operation).
pub(crate) fn edits() -> impl Strategy<Value = Vec<(prop::sample::Index, u8, u8)>> {
    prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..4u8), 1..6)
}

/// `line` with each edit applied: insert a byte, remove one, truncate, or overwrite one.
pub(crate) fn mutate(line: &str, edits: Vec<(prop::sample::Index, u8, u8)>) -> Vec<u8> {
    let mut line = line.as_bytes().to_vec();
    for (at, byte, op) in edits {
        let i = at.index(line.len() + 1);
        match op {
            0 => line.insert(i, byte),
            1 if i < line.len() => {
                line.remove(i);
            }
            2 => line.truncate(i),
            _ => {
                if let Some(b) = line.get_mut(i) {
                    *b = byte;
                }
            }
        }
    }
    line
}

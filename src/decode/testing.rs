//! Test support shared by the decoders' property tests: random edits of valid lines, and
//! client addresses.

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

/// A client address as logs write it (std's text of any IPv4 or IPv6 address) and how it
/// is written with a port: `a.b.c.d:port`, or `[v6]:port`.
pub(crate) fn client() -> impl Strategy<Value = (String, String)> {
    (any::<std::net::IpAddr>(), 1..=65_535u32).prop_map(|(ip, port)| {
        let with_port = match ip {
            std::net::IpAddr::V4(_) => format!("{ip}:{port}"),
            std::net::IpAddr::V6(_) => format!("[{ip}]:{port}"),
        };
        (ip.to_string(), with_port)
    })
}

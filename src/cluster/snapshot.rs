//! Snapshots: the fold's value at one log offset, on `<name>.snapshots`, so that a member
//! starts from the newest one and applies only the log after it. Restore time is bounded by
//! the snapshot's size plus one interval of log, not by history (tansu never compacts).
//!
//! A snapshot is the state as a checkpoint file holds it
//! ([`Checkpoint`](crate::checkpoint::Checkpoint), with its version and checksum), cut into
//! chunks of at most [`CHUNK_BYTES`], then a commit record naming
//! the chunks' offsets, the log offset covered and every raw partition's epoch and position.
//! A snapshot is a function of the log offset it covers, so whoever writes it (even a
//! zombie) writes a correct one; a reader takes the commit covering the highest offset whose
//! chunks are all there, found by reading the topic backwards in growing steps. Chunks
//! without a commit (a writer that died midway) are never used.
//!
//! Records are one byte of version, then postcard. Version 3 moved the SLO and service
//! names and the alert state out of the commit record into the chunks, ahead of the state,
//! so that a commit stays small whatever the number of SLOs and firing alerts; version 2
//! added the alert state to the commit. Records of versions 1 and 2 (written before) still
//! read: a version 1 commit has no alert state.
//!
//! This module holds what a snapshot is and its records; `writer` writes them (and runs the
//! thread that does so every interval), `restore` finds and reads the newest whole one.

mod restore;
mod writer;

use serde::{Deserialize, Serialize};

use super::fold::Epoch;
use super::record::{AlertTimes, Source};

pub use restore::{Restored, latest, positions_of};
pub use writer::{spawn, write};

/// Largest chunk of a snapshot, bytes.
pub const CHUNK_BYTES: usize = 512 * 1024;
/// The version of snapshot records written.
const VERSION: u8 = 3;

/// One record of the snapshot topic, of any version, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SnapshotRecord {
    /// Part of a snapshot's bytes.
    Chunk {
        /// The snapshot: the log offset it covers.
        covers: u64,
        /// Its place among the snapshot's chunks.
        index: u32,
        /// The bytes.
        data: Vec<u8>,
    },
    /// A whole snapshot.
    Commit(Commit),
}

/// What a snapshot covers and where its chunks are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The log offset the snapshot covers: every record before it is applied.
    pub covers: u64,
    /// Every raw partition's epoch and position at that offset.
    pub positions: Vec<(Source, Epoch, u64)>,
    /// The chunks' offsets in the snapshot topic, in order.
    pub chunks: Vec<u64>,
    /// The fingerprint of every SLO and service in the state, by name: a member restores
    /// only those it counts the same way.
    pub slos: Vec<(String, u64)>,
    /// The same for services.
    pub services: Vec<(String, u64)>,
    /// Wall-clock time it was taken, µs.
    pub created_us: i64,
    /// The firing alerts and since when at that offset (empty in a version 1 commit).
    pub alerts: AlertTimes,
    /// The names and the alert state are in the chunks, ahead of the state (version 3 on),
    /// and read with them; before, they were in the commit record.
    pub in_chunks: bool,
}

/// A record of the snapshot topic as written by the version whose commit is `C`: the
/// chunks are the same in every version, the commit is not.
#[derive(Debug, Serialize, Deserialize)]
enum Wire<C> {
    Chunk {
        covers: u64,
        index: u32,
        data: Vec<u8>,
    },
    Commit(C),
}

impl<C: Into<Commit>> From<Wire<C>> for SnapshotRecord {
    fn from(r: Wire<C>) -> Self {
        match r {
            Wire::Chunk {
                covers,
                index,
                data,
            } => Self::Chunk {
                covers,
                index,
                data,
            },
            Wire::Commit(c) => Self::Commit(c.into()),
        }
    }
}

/// Version 3, the commit written: the names and the alert state are in the chunks.
mod v3 {
    use serde::{Deserialize, Serialize};

    use super::super::fold::Epoch;
    use super::super::record::{AlertTimes, Source};

    #[derive(Debug, Serialize, Deserialize)]
    pub(super) struct Commit {
        pub(super) covers: u64,
        pub(super) positions: Vec<(Source, Epoch, u64)>,
        pub(super) chunks: Vec<u64>,
        pub(super) created_us: i64,
    }

    /// What the chunks hold ahead of the state (the checkpoint's bytes follow it).
    #[derive(Debug, Default, Serialize, Deserialize)]
    pub(super) struct Head {
        pub(super) slos: Vec<(String, u64)>,
        pub(super) services: Vec<(String, u64)>,
        pub(super) alerts: AlertTimes,
    }

    impl From<Commit> for super::Commit {
        fn from(c: Commit) -> Self {
            Self {
                covers: c.covers,
                positions: c.positions,
                chunks: c.chunks,
                slos: Vec::new(),
                services: Vec::new(),
                created_us: c.created_us,
                alerts: AlertTimes::new(),
                in_chunks: true,
            }
        }
    }
}

/// Version 2's commit (names and alert state in it), read so that an upgraded member
/// restores from the snapshots its predecessors wrote.
mod v2 {
    use serde::{Deserialize, Serialize};

    use super::super::fold::Epoch;
    use super::super::record::{AlertTimes, Source};

    #[derive(Debug, Serialize, Deserialize)]
    pub(super) struct Commit {
        pub(super) covers: u64,
        pub(super) positions: Vec<(Source, Epoch, u64)>,
        pub(super) chunks: Vec<u64>,
        pub(super) slos: Vec<(String, u64)>,
        pub(super) services: Vec<(String, u64)>,
        pub(super) created_us: i64,
        pub(super) alerts: AlertTimes,
    }

    impl From<Commit> for super::Commit {
        fn from(c: Commit) -> Self {
            Self {
                covers: c.covers,
                positions: c.positions,
                chunks: c.chunks,
                slos: c.slos,
                services: c.services,
                created_us: c.created_us,
                alerts: c.alerts,
                in_chunks: false,
            }
        }
    }
}

/// Version 1's commit (no alert state).
mod v1 {
    use serde::{Deserialize, Serialize};

    use super::super::fold::Epoch;
    use super::super::record::Source;

    #[derive(Debug, Serialize, Deserialize)]
    pub(super) struct Commit {
        pub(super) covers: u64,
        pub(super) positions: Vec<(Source, Epoch, u64)>,
        pub(super) chunks: Vec<u64>,
        pub(super) slos: Vec<(String, u64)>,
        pub(super) services: Vec<(String, u64)>,
        pub(super) created_us: i64,
    }

    impl From<Commit> for super::Commit {
        fn from(c: Commit) -> Self {
            super::v2::Commit {
                covers: c.covers,
                positions: c.positions,
                chunks: c.chunks,
                slos: c.slos,
                services: c.services,
                created_us: c.created_us,
                alerts: super::AlertTimes::new(),
            }
            .into()
        }
    }
}

/// The bytes of a record of `version`.
fn encode_as(version: u8, r: &impl Serialize) -> Vec<u8> {
    let mut out = vec![version];
    // Writing to a Vec cannot fail.
    out.extend(postcard::to_stdvec(r).unwrap_or_default());
    out
}

fn encode(r: &Wire<v3::Commit>) -> Vec<u8> {
    encode_as(VERSION, r)
}

fn decode(bytes: &[u8]) -> Option<SnapshotRecord> {
    fn read<C: Into<Commit> + serde::de::DeserializeOwned>(body: &[u8]) -> Option<SnapshotRecord> {
        postcard::from_bytes::<Wire<C>>(body).ok().map(Into::into)
    }
    let (&version, body) = bytes.split_first()?;
    match version {
        1 => read::<v1::Commit>(body),
        2 => read::<v2::Commit>(body),
        VERSION => read::<v3::Commit>(body),
        _ => None,
    }
}

/// The fold's value at one log offset, as a snapshot holds it besides the counts.
#[derive(Debug, Clone, Default)]
pub struct Cut {
    /// The log offset: every record before it is applied.
    pub covers: u64,
    /// Every raw partition's epoch and position.
    pub positions: Vec<(Source, Epoch, u64)>,
    /// The firing alerts and since when.
    pub alerts: AlertTimes,
}

/// The SLOs and services of a state with their fingerprints.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// `(id, fingerprint)` per SLO.
    pub slos: Vec<(String, u64)>,
    /// `(name, fingerprint)` per service.
    pub services: Vec<(String, u64)>,
}

#[cfg(test)]
mod tests;

//! Checkpoints: the counts plus every partition's next offset, durable on disk.
//!
//! A checkpoint file is `MAGIC`, the format [`VERSION`] (u32 LE), the payload length (u64 LE),
//! the payload's CRC-32 (u32 LE) and the payload: a [`Checkpoint`] in postcard encoding: the
//! counts (one copy for all partitions) and a section per partition
//! ([`PartitionCheckpoint`]: position, newest event time, statistics, de-duplication ids).
//! The previous format versions are read too, so an upgrade keeps history: [`v12`] (no burn
//! attribution or canary counts), [`v11`] (no capacity counts per service), [`v10`] (no adjustments declared through the API), [`v9`]
//! (no alert history), [`v8`] (no budget adjustments), [`v7`] (no annotations), [`v6`] (no
//! daily history per SLO), [`v5`] (no format directive per partition) and [`v4`] (whose
//! per-partition copies of the counts are added into one).
//!
//! [`CheckpointDir::write`] is atomic: write a temporary file, fsync it, rename it to
//! `checkpoint-<sequence>.bin`, fsync the directory; then only the newest two are kept.
//! [`CheckpointDir::load`] tries the newest first and falls back to older ones, reporting every
//! file it rejected (truncated, corrupt, wrong version) so the caller can log and count it: bad
//! state is never trusted silently, and a bad file never stops the process from starting.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::alert_history::AlertHistoryState;
use crate::annotations::AnnotationsState;
use crate::source::PartitionId;
use crate::window::{
    AdjustedState, CountersState, DeclaredState, HostAssignment, RingsState, Shard, ShardState,
    Store, lock,
};

pub mod v10;
pub mod v11;
pub mod v12;
pub mod v4;
pub mod v5;
pub mod v6;
pub mod v7;
pub mod v8;
pub mod v9;
mod writer;
pub use writer::{CheckpointStats, Checkpointer};

/// First bytes of every checkpoint file.
pub const MAGIC: &[u8; 8] = b"SLIPCKPT";
/// Format version written and accepted. 2: shards carry de-duplication ids and a
/// duplicate counter. 3: shard stats count lines too long. 4: services split by host carry
/// their host assignment and per-shard sub-services. 5: one copy of the counts for all
/// partitions (version 4 is read and merged). 6: each partition keeps its format's directive
/// in force (a W3C `#Fields:` line) and its count of directive lines. 7: every SLO (and
/// sub-service SLO) carries its daily history. 8: the annotations. 9: how each SLO stands with
/// its budget adjustments. 10: the alert history. 11: the budget adjustments declared
/// through the API. 12: every service's capacity counts (requests per minute and hour).
pub const VERSION: u32 = 13;
const HEADER: usize = 8 + 4 + 8 + 4;
/// How many checkpoint files are kept.
pub const KEEP: usize = 2;

/// All state at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Wall-clock time it was taken, µs.
    pub created_us: i64,
    /// One section per partition.
    pub partitions: Vec<PartitionCheckpoint>,
    /// The counts of every SLO and service, all partitions together.
    pub counters: CountersState,
    /// Per service split by host: its host → sub-service assignment, taken after the
    /// partitions (it only grows, so it names every host they hold).
    pub splits: Vec<HostAssignment>,
    /// The annotations (see [`crate::annotations`]).
    pub annotations: AnnotationsState,
    /// How each SLO stands with its budget adjustments (see [`crate::window::adjust`]).
    pub adjustments: Vec<AdjustedState>,
    /// When each alert fired (see [`crate::alert_history`]).
    pub alert_history: AlertHistoryState,
    /// The budget adjustments declared through the API.
    pub declared_adjustments: Vec<DeclaredState>,
    /// Each service's burn attribution and canary counts (see [`RingsState`]).
    pub rings: RingsState,
}

impl Checkpoint {
    /// A consistent cut of `store` (whose SLOs and services are `slo_ids` and `services` by
    /// index) at wall-clock `now_us`: every shard locked in partition order, then the
    /// counters, so no batch is half in it.
    pub fn of(store: &Store, slo_ids: &[String], services: &[String], now_us: i64) -> Self {
        let shards = store.shards();
        let locked: Vec<_> = shards.iter().map(|(pid, s)| (*pid, lock(s))).collect();
        let (counters, adjustments, rings) = {
            let counters = store.counters();
            let plan = store.plan();
            (
                counters.export(slo_ids, services, &plan.splits),
                counters.export_adjusted(plan, slo_ids),
                counters.export_rings(plan),
            )
        };
        let partitions = locked
            .iter()
            .map(|(pid, shard)| PartitionCheckpoint {
                stream: pid.stream,
                partition: pid.partition,
                shard: shard.export(),
            })
            .collect();
        drop(locked);
        Self {
            created_us: now_us,
            partitions,
            counters,
            splits: store
                .plan()
                .splits
                .iter()
                .map(|s| s.table.export())
                .collect(),
            annotations: store.annotations().export(),
            adjustments,
            alert_history: store.alert_history().export(),
            declared_adjustments: store.declared().clone(),
            rings,
        }
    }

    /// Adds this state to `store` (empty, shaped for SLOs `slo_ids` and services `services`
    /// by index): host assignments first, so that sub-services find their hosts' slots by
    /// name, then the counts and every partition's shard.
    pub fn restore_into(&self, store: &Store, slo_ids: &[String], services: &[String]) {
        for saved in &self.splits {
            let plan = store.plan();
            let Some(split) = plan
                .splits
                .iter()
                .find(|s| s.table.service() == saved.service)
            else {
                continue;
            };
            let skipped = split.table.import(&saved.hosts);
            if skipped > 0 {
                tracing::warn!(
                    service = saved.service,
                    max_hosts = split.table.max_hosts(),
                    dropped = skipped,
                    "saved state holds more hosts than max_hosts; dropping the state of the last assigned"
                );
            }
        }
        {
            let mut counters = store.counters();
            counters.import(&self.counters, store.plan(), slo_ids, services);
            let left_out = counters.import_rings(&self.rings, store.plan());
            if left_out > 0 {
                tracing::info!(
                    left_out,
                    "saved burn attribution or canary counts of services whose SLOs or settings changed start over"
                );
            }
            // Adjustments saved as applied stay so; any other is applied now.
            counters.import_adjusted(&self.adjustments, slo_ids);
            counters.adjust_counted(store.plan());
        }
        store.annotations().import(&self.annotations);
        store.alert_history().import(&self.alert_history);
        store.declared().clone_from(&self.declared_adjustments);
        store.save_adjusted(self.adjustments.clone());
        for p in &self.partitions {
            let pid = PartitionId::new(p.stream, p.partition);
            store.insert(pid, Shard::restore(&p.shard));
            tracing::debug!(partition = %pid, next_offset = p.shard.next_offset, lines = p.shard.stats.lines, "restored partition");
            if let Some(t) = p.shard.newest_us {
                store.observe_newest(t);
            }
        }
    }
}

/// One partition's section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionCheckpoint {
    /// Source stream index (topic or file).
    pub stream: u32,
    /// Partition number.
    pub partition: i32,
    /// Next offset, newest event time, statistics, de-duplication ids.
    pub shard: ShardState,
}

/// Why a checkpoint could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// File-system failure.
    #[error("checkpoint {path}: {source}")]
    Io {
        /// File or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid checkpoint.
    #[error("checkpoint {path} is unusable: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong (truncated, checksum mismatch, version, …).
        reason: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CheckpointError + '_ {
    move |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The file bytes of `checkpoint`.
pub fn encode(checkpoint: &Checkpoint) -> Vec<u8> {
    // Serializing plain data structs into a Vec cannot fail.
    let payload = postcard::to_stdvec(checkpoint).unwrap_or_default();
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// Parses checkpoint file bytes, checking magic, version, length and checksum.
pub fn decode(bytes: &[u8]) -> Result<Checkpoint, String> {
    let (version, payload) = checked_payload(bytes)?;
    read_payload(version, payload)
}

/// The format version and the payload of checkpoint file bytes whose magic, version, length
/// and checksum are right.
fn checked_payload(bytes: &[u8]) -> Result<(u32, &[u8]), String> {
    if bytes.len() < HEADER {
        return Err(format!(
            "truncated: {} bytes, shorter than the header",
            bytes.len()
        ));
    }
    if &bytes[..8] != MAGIC {
        return Err("not a slipstream checkpoint (bad magic)".into());
    }
    let u32_at =
        |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let version = u32_at(8);
    let known = [
        v4::VERSION,
        v5::VERSION,
        v6::VERSION,
        v7::VERSION,
        v8::VERSION,
        v9::VERSION,
        v10::VERSION,
        v11::VERSION,
        v12::VERSION,
    ];
    if !known.contains(&version) && version != VERSION {
        return Err(format!(
            "format version {version}, this build reads versions {} to {VERSION}",
            v4::VERSION,
        ));
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&bytes[12..20]);
    let len = u64::from_le_bytes(len);
    let payload = &bytes[HEADER..];
    if payload.len() as u64 != len {
        return Err(format!(
            "truncated: payload is {} bytes, header says {len}",
            payload.len()
        ));
    }
    if crc32fast::hash(payload) != u32_at(20) {
        return Err("checksum mismatch".into());
    }
    Ok((version, payload))
}

/// The checkpoint in `payload`, written in format `version` (upgraded when older).
fn read_payload(version: u32, payload: &[u8]) -> Result<Checkpoint, String> {
    let undecodable = |e: postcard::Error| format!("undecodable payload: {e}");
    if version == v4::VERSION {
        let old: v4::Checkpoint = postcard::from_bytes(payload).map_err(undecodable)?;
        return Ok(old.upgrade());
    }
    if version == v5::VERSION {
        let old: v5::Checkpoint = postcard::from_bytes(payload).map_err(undecodable)?;
        return Ok(old.upgrade());
    }
    if version == v6::VERSION {
        let old: v6::Checkpoint = postcard::from_bytes(payload).map_err(undecodable)?;
        return Ok(old.upgrade());
    }
    if version == v7::VERSION {
        let old: v7::Checkpoint = postcard::from_bytes(payload).map_err(undecodable)?;
        return Ok(old.upgrade());
    }
    if version == v8::VERSION {
        let old: v8::Checkpoint = postcard::from_bytes(payload).map_err(undecodable)?;
        return Ok(old.upgrade());
    }
    if version == v9::VERSION {
        let old: v9::Checkpoint = postcard::from_bytes(payload).map_err(undecodable)?;
        return Ok(old.upgrade());
    }
    if version == v10::VERSION {
        let old: v10::Checkpoint = postcard::from_bytes(payload).map_err(undecodable)?;
        return Ok(old.upgrade());
    }
    if version == v11::VERSION {
        let old: v11::Checkpoint = postcard::from_bytes(payload).map_err(undecodable)?;
        return Ok(old.upgrade());
    }
    if version == v12::VERSION {
        let old: v12::Checkpoint = postcard::from_bytes(payload).map_err(undecodable)?;
        return Ok(old.upgrade());
    }
    postcard::from_bytes(payload).map_err(undecodable)
}

/// What [`CheckpointDir::load`] found.
#[derive(Debug)]
pub struct Loaded {
    /// The newest valid checkpoint and its file.
    pub checkpoint: Option<(Checkpoint, PathBuf)>,
    /// Newer files that were rejected, newest first.
    pub rejected: Vec<CheckpointError>,
}

/// A directory of checkpoint files.
#[derive(Debug)]
pub struct CheckpointDir {
    dir: PathBuf,
    next_sequence: u64,
}

/// What a successful write produced.
#[derive(Debug, Clone)]
pub struct Written {
    /// The new file.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
}

impl CheckpointDir {
    /// Opens (creating if needed) the checkpoint directory.
    pub fn open(dir: &Path) -> Result<Self, CheckpointError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        let next_sequence = Self::files(dir)?.first().map_or(1, |(seq, _)| seq + 1);
        Ok(Self {
            dir: dir.to_path_buf(),
            next_sequence,
        })
    }

    /// Checkpoint files, newest first.
    fn files(dir: &Path) -> Result<Vec<(u64, PathBuf)>, CheckpointError> {
        let mut files: Vec<(u64, PathBuf)> = fs::read_dir(dir)
            .map_err(io(dir))?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let seq = name
                    .strip_prefix("checkpoint-")?
                    .strip_suffix(".bin")?
                    .parse()
                    .ok()?;
                Some((seq, e.path()))
            })
            .collect();
        files.sort_by_key(|f| std::cmp::Reverse(f.0));
        Ok(files)
    }

    /// Writes `checkpoint` atomically and durably, then removes all but the newest [`KEEP`].
    pub fn write(&mut self, checkpoint: &Checkpoint) -> Result<Written, CheckpointError> {
        let bytes = encode(checkpoint);
        let tmp = self.dir.join(".checkpoint.tmp");
        let mut f = File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(&bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        drop(f);
        let path = self
            .dir
            .join(format!("checkpoint-{:020}.bin", self.next_sequence));
        fs::rename(&tmp, &path).map_err(io(&path))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io(&self.dir))?;
        self.next_sequence += 1;
        for (_, old) in Self::files(&self.dir)?.into_iter().skip(KEEP) {
            let _ = fs::remove_file(old);
        }
        Ok(Written {
            path,
            bytes: bytes.len() as u64,
        })
    }

    /// The newest valid checkpoint, if any, and every newer file that was rejected.
    pub fn load(&self) -> Result<Loaded, CheckpointError> {
        let mut rejected = Vec::new();
        for (_, path) in Self::files(&self.dir)? {
            let bytes = match fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    rejected.push(io(&path)(e));
                    continue;
                }
            };
            match decode(&bytes) {
                Ok(c) => {
                    return Ok(Loaded {
                        checkpoint: Some((c, path)),
                        rejected,
                    });
                }
                Err(reason) => rejected.push(CheckpointError::Invalid { path, reason }),
            }
        }
        Ok(Loaded {
            checkpoint: None,
            rejected,
        })
    }
}

#[cfg(test)]
mod tests;

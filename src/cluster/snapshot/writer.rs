//! Writing snapshots: a cut of the fold and its state as chunks and a commit record, and the
//! thread that writes one every interval while this member pushes alerts.

use std::time::Duration;

use super::{CHUNK_BYTES, Cut, Names, Wire, encode, v3};
use crate::checkpoint::{self, Checkpoint};
use crate::cluster::log::{LogWriter, snapshot_topic};
use crate::cluster::shared::{FoldTarget, Shared};
use crate::config::ClusterConfig;

/// Writes `state` (the fold's value at `cut`) as a snapshot; returns its size in bytes.
pub fn write(
    writer: &LogWriter,
    cluster: &ClusterConfig,
    cut: Cut,
    names: Names,
    state: &Checkpoint,
) -> Result<usize, String> {
    let created_us = state.created_us;
    let Cut {
        covers,
        positions,
        alerts,
    } = cut;
    let topic = snapshot_topic(cluster);
    let head = postcard::to_stdvec(&v3::Head {
        slos: names.slos,
        services: names.services,
        alerts,
    })
    .map_err(|e| format!("cannot encode the snapshot's names and alerts: {e}"))?;
    let state = checkpoint::encode(state);
    let timeout = Duration::from_secs(30);
    let mut chunks = Vec::new();
    // The head, then the state, each cut into chunks (the state is not copied).
    for (index, data) in head
        .chunks(CHUNK_BYTES)
        .chain(state.chunks(CHUNK_BYTES))
        .enumerate()
    {
        let record = Wire::Chunk {
            covers,
            index: index as u32,
            data: data.to_vec(),
        };
        chunks.push(writer.write_sync(&topic, &encode(&record), timeout)?);
    }
    let commit = Wire::Commit(v3::Commit {
        covers,
        positions,
        chunks,
        created_us,
    });
    writer.write_sync(&topic, &encode(&commit), timeout)?;
    Ok(head.len() + state.len())
}

/// Starts the thread that writes a snapshot every `spec.cluster.snapshot_interval` while
/// this member is the one that pushes alerts, its fold is caught up, and no peer's fold
/// came apart from it.
pub fn spawn(
    shared: std::sync::Arc<Shared>,
    target: std::sync::Arc<dyn FoldTarget>,
    writer: std::sync::Arc<LogWriter>,
    stop: crate::source::StopSignal,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    use std::sync::atomic::Ordering::Relaxed;
    let interval = Duration::from_micros(shared.config.snapshot_interval_us as u64);
    std::thread::Builder::new()
        .name("cluster-snapshot".into())
        .spawn(move || {
            let mut last = std::time::Instant::now();
            while !stop.is_stopped() {
                std::thread::sleep(Duration::from_millis(200));
                let now = target.now_us();
                if last.elapsed() < interval || !shared.is_pusher(now) || !shared.caught_up(now) {
                    continue;
                }
                // A fold that came apart from a peer's may be the wrong one: it writes no
                // snapshot that members would start from.
                if !shared.fold().diverged.is_empty() {
                    continue;
                }
                last = std::time::Instant::now();
                // The fold stays still while the state is cut: the cut is its value at
                // exactly `covers`.
                let (cut, (state, names)) = {
                    let fold = shared.fold();
                    let cut = Cut {
                        covers: fold.next,
                        positions: fold
                            .positions
                            .all()
                            .map(|(id, p)| (shared.source(id), p.epoch.clone(), p.next))
                            .collect(),
                        alerts: fold.alerts.clone(),
                    };
                    (cut, target.cut(now))
                };
                let covers = cut.covers;
                match write(&writer, &shared.config, cut, names, &state) {
                    Ok(bytes) => {
                        shared.stats.snapshots.fetch_add(1, Relaxed);
                        shared.stats.snapshot_bytes.store(bytes as u64, Relaxed);
                        tracing::info!(covers, bytes, "snapshot written");
                    }
                    Err(e) => {
                        shared.stats.snapshot_failures.fetch_add(1, Relaxed);
                        tracing::warn!(error = %e, "snapshot not written; will retry");
                    }
                }
            }
        })
}

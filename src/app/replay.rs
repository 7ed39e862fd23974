//! `replay`: reads log files to their end and reports, on as many threads as asked.
//!
//! With one thread the files go through the file source and the pipeline's sink, exactly as
//! `run` reads a file source. With more, [`pieces::cut`] cuts the files into pieces of whole
//! lines (decompressing a large gzip file on its own thread, ahead of the others; among
//! several files, a smaller gzip file is one piece, decompressed by its worker), `threads`
//! workers decide the pieces at once (read, decode, classify:
//! [`Decider::decide`](super::batch::Decider::decide), the costly part), and the calling
//! thread applies the decided batches in file order, through the same sink.
//!
//! Applying in order is what keeps the report the same, bit for bit, whatever the number of
//! threads: every decision that depends on what came before is taken in the order one
//! thread takes it, namely the retention bound (`too_old`, against the newest event of the
//! file so far), de-duplication (the first copy of a request id counts) and a split
//! service's host slots (first come, first served). Deciding depends on no earlier line,
//! except in a format with line state (W3C: the `#Fields:` directive in force), whose files
//! are each read by one worker from start to end.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};

use anyhow::Context;

use super::batch::{DecidedBatch, Decider};
use super::progress::ProgressSink;
use super::{Pipeline, PipelineSink};
use crate::clock::Clock;
use crate::config::{Config, SourceConfig};
use crate::decode::LineState;
use crate::evaluate::Evaluation;
use crate::source::file::pieces::{self, Cut, Work};
use crate::source::file::{FileSource, FileSpec};
use crate::source::{LineBatch, PartitionId, Sink, Source, StopSignal};
use crate::window::{Decisions, lock};

/// About this many bytes of lines per piece: large enough that handing pieces out costs
/// nothing, small enough that the last pieces keep every thread busy.
pub const PIECE_BYTES: u64 = 4 << 20;

/// Among several files, a gzip file smaller than this (compressed; ≈ 250 MiB of lines) is
/// read whole by one worker, decompression included, so that several are decompressed at
/// once. The decisions of a whole file are held until it is applied (≈ 75 bytes a line), so
/// larger ones are cut into pieces.
const WHOLE_GZIP_BELOW: u64 = 32 << 20;

/// Pieces handed out but not yet applied, per worker: bounds memory when one piece is slow.
const IN_FLIGHT_PER_WORKER: usize = 4;

/// Applied batches' decisions buffers kept for the workers to decide into again, per
/// worker at most: the batches of the pieces in flight for lines of 300 bytes or more (a
/// piece of [`PIECE_BYTES`] of ALB lines is about 30 batches), so that deciding stops
/// allocating once the first pieces are applied; with shorter lines it allocates less.
const SPARE_DECISIONS_PER_WORKER: usize = 64 * IN_FLIGHT_PER_WORKER;

/// How a replay reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Threads that read and decide at once; one reads through the file source.
    pub threads: usize,
    /// About this many bytes of lines per piece ([`PIECE_BYTES`]).
    pub piece_bytes: u64,
    /// Whether the alert history is recorded (`report` lists it; `replay` does not).
    pub alert_history: bool,
}

impl ReplayOptions {
    /// `threads` threads (at least one), pieces of [`PIECE_BYTES`].
    pub fn threads(threads: usize) -> Self {
        Self {
            threads: threads.max(1),
            piece_bytes: PIECE_BYTES,
            alert_history: true,
        }
    }
}

/// Reads `paths` (or, if empty, the configured file source's) to their end on `threads`
/// threads (at least one) and evaluates. The report holds no alert history, so none is
/// recorded, unless an alert has a hold: how long its condition has held comes from it (see
/// [`crate::evaluate::hold`]).
pub fn replay(
    config: &Config,
    paths: &[PathBuf],
    clock: Arc<dyn Clock>,
    threads: usize,
) -> anyhow::Result<Evaluation> {
    let held = config
        .reload
        .objectives
        .iter()
        .any(|o| o.burn_alerts.iter().any(|a| a.hold_us > 0));
    let options = ReplayOptions {
        alert_history: held,
        ..ReplayOptions::threads(threads)
    };
    let pipeline = read_files(config, paths, clock, options)?;
    Ok(pipeline.evaluate())
}

/// Reads `paths` (or, if empty, the configured file source's) to their end as `options`
/// say, into a new pipeline.
pub fn read_files(
    config: &Config,
    paths: &[PathBuf],
    clock: Arc<dyn Clock>,
    options: ReplayOptions,
) -> anyhow::Result<Arc<Pipeline>> {
    let paths = if paths.is_empty() {
        match &config.start.source {
            SourceConfig::File(f) => f.paths.clone(),
            _ => anyhow::bail!(
                "replay needs log files: name them on the command line or configure a file source"
            ),
        }
    } else {
        paths.to_vec()
    };
    let pipeline = Pipeline::new(config, clock);
    pipeline
        .record_alerts
        .store(options.alert_history, std::sync::atomic::Ordering::Relaxed);
    let total_bytes = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let mut sink = ProgressSink::new(pipeline.sink(), total_bytes);
    let result = if options.threads <= 1 {
        let spec = FileSpec {
            paths,
            follow: false,
        };
        Box::new(FileSource::new(spec).with_max_line_bytes(config.start.max_payload_bytes()))
            .run(&mut sink, &StopSignal::new())
            .map_err(anyhow::Error::from)
    } else {
        in_parallel(&pipeline, &paths, options, &mut sink)
    };
    sink.finish();
    result.context("reading log files")?;
    Ok(pipeline)
}

/// A piece, decided: what the applying thread does with it, in order.
enum DecidedPiece {
    Start(PartitionId, String),
    Batches(PartitionId, Vec<DecidedBatch<'static>>),
    End(PartitionId),
}

/// Cuts, decides on `threads` workers and applies in order through `sink`.
fn in_parallel(
    pipeline: &Arc<Pipeline>,
    paths: &[PathBuf],
    options: ReplayOptions,
    sink: &mut ProgressSink<PipelineSink>,
) -> anyhow::Result<()> {
    let (threads, piece_bytes) = (options.threads, options.piece_bytes);
    let g = pipeline.generation();
    let max_line_bytes = pipeline.start.max_payload_bytes();
    let whole = g.format.has_line_state();
    let (work_tx, work_rx) = mpsc::sync_channel::<(u64, Work)>(threads);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = mpsc::channel::<(u64, anyhow::Result<DecidedPiece>)>();
    let (token_tx, token_rx) = mpsc::sync_channel::<()>(threads * IN_FLIGHT_PER_WORKER);
    let spare = Spare {
        decisions: Mutex::new(Vec::new()),
        max: threads * SPARE_DECISIONS_PER_WORKER,
    };
    std::thread::scope(|s| {
        let failed = done_tx.clone();
        s.spawn(move || {
            let cut = Cut {
                piece_bytes,
                max_line_bytes,
                whole,
                // Several gzip files are decompressed at once, each by its reader; one
                // large file (or a lone one) is decompressed ahead of the readers instead.
                whole_gzip_below: if paths.len() > 1 { WHOLE_GZIP_BELOW } else { 0 },
            };
            feed(paths, cut, work_tx, token_tx, failed)
        });
        // One decider for every worker: deciding reads it only.
        let decider = Decider::of(&mut None, &g, pipeline);
        for _ in 0..threads {
            let worker = Worker {
                decider: decider.clone(),
                max_payload_bytes: max_line_bytes,
            };
            let (done, work_rx, spare) = (done_tx.clone(), &work_rx, &spare);
            s.spawn(move || worker.run(work_rx, done, spare));
        }
        drop(done_tx);
        apply_in_order(done_rx, token_rx, sink, &spare)
    })
}

/// The cutting thread: hands out the pieces in order, each once a token says there is room
/// for it; a file that cannot be read ends the work with its error in its place.
fn feed(
    paths: &[PathBuf],
    cut: Cut,
    work: SyncSender<(u64, Work)>,
    tokens: SyncSender<()>,
    failed: Sender<(u64, anyhow::Result<DecidedPiece>)>,
) {
    let mut seq = 0;
    let cut = pieces::cut(paths, cut, |w| {
        if tokens.send(()).is_err() || work.send((seq, w)).is_err() {
            return false;
        }
        seq += 1;
        true
    });
    if let Err(e) = cut {
        let _ = failed.send((seq, Err(e.into())));
    }
}

/// Applies decided pieces in order as they arrive, returning a token for each, and each
/// batch's decisions buffer to `spare`.
fn apply_in_order(
    done: Receiver<(u64, anyhow::Result<DecidedPiece>)>,
    tokens: Receiver<()>,
    sink: &mut ProgressSink<PipelineSink>,
    spare: &Spare,
) -> anyhow::Result<()> {
    let mut waiting = BTreeMap::new();
    let mut next = 0u64;
    for (seq, piece) in done.iter() {
        waiting.insert(seq, piece);
        while let Some(piece) = waiting.remove(&next) {
            next += 1;
            match piece? {
                DecidedPiece::Start(partition, name) => sink.assign(partition, &name),
                DecidedPiece::Batches(partition, batches) => {
                    for b in batches {
                        let (lines, bytes) = (b.lines, b.bytes);
                        spare.give(sink.inner_mut().apply_replayed(partition, b));
                        sink.advance(lines, bytes);
                    }
                }
                DecidedPiece::End(partition) => sink.end_of_partition(partition),
            }
            // Never blocks: the piece took its token before it was handed out.
            let _ = tokens.recv();
        }
    }
    anyhow::ensure!(
        waiting.is_empty(),
        "a worker stopped before deciding every piece"
    );
    sink.caught_up();
    Ok(())
}

/// Decisions buffers the applying thread is done with, for the workers to decide into:
/// at most `max`, the rest freed.
struct Spare {
    decisions: Mutex<Vec<Decisions>>,
    max: usize,
}

impl Spare {
    /// A buffer to decide into: a spare one, or a new one.
    fn take(&self) -> Decisions {
        lock(&self.decisions).pop().unwrap_or_default()
    }

    /// Keeps `decisions` for [`take`](Self::take), unless `max` are kept already.
    fn give(&self, decisions: Decisions) {
        let mut spare = lock(&self.decisions);
        if spare.len() < self.max {
            spare.push(decisions);
        }
    }
}

/// One deciding thread: the generation's decider and the length cap pieces are read with.
struct Worker {
    decider: Arc<Decider>,
    max_payload_bytes: usize,
}

/// What a worker reuses from piece to piece.
#[derive(Default)]
struct Buffers {
    /// Unescaped payloads.
    scratch: Vec<u8>,
    /// The batches a range is read into.
    lines: LineBatch,
}

impl Worker {
    /// Decides pieces until the work or the applying thread ends.
    fn run(
        self,
        work: &Mutex<Receiver<(u64, Work)>>,
        done: Sender<(u64, anyhow::Result<DecidedPiece>)>,
        spare: &Spare,
    ) {
        let mut buffers = Buffers::default();
        loop {
            let next = lock(work).recv();
            let Ok((seq, w)) = next else {
                return;
            };
            let decided = self.decide(w, &mut buffers, spare);
            if done.send((seq, decided)).is_err() {
                return;
            }
        }
    }

    fn decide(
        &self,
        work: Work,
        buffers: &mut Buffers,
        spare: &Spare,
    ) -> anyhow::Result<DecidedPiece> {
        let mut out = Vec::new();
        // Pieces of a format without line state start from the empty state; a whole file
        // carries its state from line to line.
        let mut state = LineState::default();
        let scratch = &mut buffers.scratch;
        let mut each = |batch: &LineBatch| {
            let decided = self
                .decider
                .decide_owned(batch, scratch, &mut state, spare.take());
            out.push(decided);
        };
        Ok(match work {
            Work::Start { partition, name } => DecidedPiece::Start(partition, name),
            Work::End { partition } => DecidedPiece::End(partition),
            Work::Range {
                partition,
                path,
                start,
                end,
            } => {
                let cap = self.max_payload_bytes;
                pieces::read_range(&path, start, end, cap, &mut buffers.lines, &mut each)?;
                DecidedPiece::Batches(partition, out)
            }
            Work::Whole { partition, path } => {
                pieces::read_whole(partition, &path, self.max_payload_bytes, &mut each)?;
                DecidedPiece::Batches(partition, out)
            }
            Work::Lines { partition, batches } => {
                batches.iter().for_each(&mut each);
                DecidedPiece::Batches(partition, out)
            }
        })
    }
}

#[cfg(test)]
pub(super) mod tests;

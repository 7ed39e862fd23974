//! File source: access-log files, read once or followed like `tail -F`.
//!
//! Each path of a [`FileSpec`] is one partition, `PartitionId::new(index, 0)`, named by the
//! path as given. Lines are split on `\n` (a `\r` before it is dropped), delivered in batches
//! of at most [`BATCH_LINES`](super::BATCH_LINES) (by a [`LineReader`]); each batch's
//! `next_offset` is the number of bytes consumed through its last line (decompressed bytes
//! for gzip). A file whose first bytes are the gzip
//! magic `1f 8b` is decompressed (all members), whatever its name.
//!
//! Without `follow`, the files are read to the end one after the other — a last line without
//! newline still counts — then [`Sink::caught_up`] is called once and `run` returns; a file
//! that cannot be opened or read is a [`SourceError::Io`] naming it. With `follow`, every file
//! is read from its start and then polled for appended data, round-robin on the calling
//! thread: a last line without newline is held until it is completed; a file replaced under
//! its path (new inode) is finished and the new one read from its start; a file that shrank
//! below the read position is read again from its start; a path that does not exist yet is
//! waited for; gzip files are read once and not followed. `caught_up` is called once every
//! file has first reached its end (a missing file counts as at its end), and `run` returns
//! when [`StopSignal`] is raised, or when every file was gzip and has been read. Lines read so
//! far are always delivered before the reader waits for more input.

mod line_reader;
pub mod pieces;
mod range;
#[cfg(test)]
pub(crate) mod tests;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use flate2::bufread::MultiGzDecoder;
use tracing::{debug, info, warn};

use super::{PartitionId, Sink, Source, SourceError, StopSignal};
pub(crate) use line_reader::{LineReader, Progress};

/// How long follow mode sleeps when no file had new data; also bounds the reaction to stop.
const POLL: Duration = Duration::from_millis(100);

/// Read buffer per open file (and for stdin).
pub(crate) const READ_BUFFER: usize = 256 * 1024;

/// The gzip magic number.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Which files to read, and whether to keep following them.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSpec {
    /// The files; the index of a path is its partition's stream number.
    pub paths: Vec<PathBuf>,
    /// Keep reading appended data, across rotation and truncation, like `tail -F`.
    pub follow: bool,
}

/// Reads access-log lines from files; see the [module documentation](self).
#[derive(Debug)]
pub struct FileSource {
    spec: FileSpec,
    max_line_bytes: usize,
}

impl FileSource {
    /// A source reading `spec`, buffering lines of any length.
    pub fn new(spec: FileSpec) -> Self {
        Self {
            spec,
            max_line_bytes: usize::MAX,
        }
    }

    /// Keeps at most the first `max_line_bytes + 1` bytes of a longer line (the rest is
    /// skipped to its newline, never buffered); the sink rejects such a line as too long.
    pub fn with_max_line_bytes(mut self, max_line_bytes: usize) -> Self {
        self.max_line_bytes = max_line_bytes;
        self
    }
}

impl Source for FileSource {
    fn run(self: Box<Self>, sink: &mut dyn Sink, stop: &StopSignal) -> Result<(), SourceError> {
        if self.spec.follow {
            follow(&self.spec.paths, self.max_line_bytes, sink, stop)
        } else {
            read_once(&self.spec.paths, self.max_line_bytes, sink, stop)
        }
    }
}

/// An open file: plain, or gzip (decompressed, never followed).
#[derive(Debug)]
enum Input {
    Plain(BufReader<File>),
    Gzip(Box<BufReader<MultiGzDecoder<BufReader<File>>>>),
}

/// Device and inode: what tells a file from its replacement under the same path.
type Identity = (u64, u64);

impl Input {
    /// Opens `path`, telling gzip from plain text by the magic bytes.
    fn open(path: &Path) -> io::Result<(Self, Identity)> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        let mut reader = BufReader::with_capacity(READ_BUFFER, file);
        let input = if reader.fill_buf()?.starts_with(&GZIP_MAGIC) {
            let decoder = MultiGzDecoder::new(reader);
            Input::Gzip(Box::new(BufReader::with_capacity(READ_BUFFER, decoder)))
        } else {
            Input::Plain(reader)
        };
        Ok((input, (meta.dev(), meta.ino())))
    }

    /// Skips the first `bytes` (decompressed for gzip) that a checkpoint already covers and
    /// returns how many were skipped: none when a plain file is now shorter than that (it
    /// was replaced or truncated, so it is read from the start).
    fn skip(&mut self, bytes: u64) -> io::Result<u64> {
        match self {
            Input::Plain(r) => {
                if r.get_ref().metadata()?.len() < bytes {
                    return Ok(0);
                }
                r.seek(SeekFrom::Start(bytes))
            }
            Input::Gzip(r) => io::copy(&mut io::Read::take(r.as_mut(), bytes), &mut io::sink()),
        }
    }

    /// Opens `path` and skips to `resume` when the sink's state already covers that much.
    fn open_at(
        path: &Path,
        resume: Option<u64>,
        lines: &mut LineReader,
    ) -> io::Result<(Self, Identity)> {
        let (mut input, identity) = Self::open(path)?;
        if let Some(offset) = resume.filter(|&o| o > 0) {
            let skipped = input.skip(offset)?;
            lines.resume_at(skipped);
            info!(path = %path.display(), offset = skipped, "resuming after the checkpointed position");
        }
        Ok((input, identity))
    }

    fn read(&mut self, lines: &mut LineReader, sink: &mut dyn Sink) -> io::Result<Progress> {
        match self {
            Input::Plain(r) => lines.read(r, |_| false, sink),
            Input::Gzip(r) => lines.read(r.as_mut(), |_| false, sink),
        }
    }
}

fn io_error(path: &Path, source: io::Error) -> SourceError {
    SourceError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn partition_of(index: usize) -> PartitionId {
    PartitionId::new(u32::try_from(index).unwrap_or(u32::MAX), 0)
}

/// Reads every file to its end, in order.
fn read_once(
    paths: &[PathBuf],
    max_line_bytes: usize,
    sink: &mut dyn Sink,
    stop: &StopSignal,
) -> Result<(), SourceError> {
    for (index, path) in paths.iter().enumerate() {
        let partition = partition_of(index);
        let mut lines = LineReader::new(partition, false).with_max_line_bytes(max_line_bytes);
        let (mut input, _) = Input::open_at(path, sink.position(partition), &mut lines)
            .map_err(|e| io_error(path, e))?;
        sink.assign(partition, &path.display().to_string());
        loop {
            if stop.is_stopped() {
                return Ok(());
            }
            let progress = input
                .read(&mut lines, sink)
                .map_err(|e| io_error(path, e))?;
            if progress == Progress::End {
                break;
            }
        }
        sink.end_of_partition(partition);
        debug!(path = %path.display(), bytes = lines.offset(), "file read");
    }
    sink.caught_up();
    Ok(())
}

/// Follows every file, round-robin, until stopped.
fn follow(
    paths: &[PathBuf],
    max_line_bytes: usize,
    sink: &mut dyn Sink,
    stop: &StopSignal,
) -> Result<(), SourceError> {
    let mut tails: Vec<Tail> = paths
        .iter()
        .enumerate()
        .map(|(index, path)| {
            let mut tail = Tail::new(partition_of(index), path.clone());
            tail.lines.max_line_bytes = max_line_bytes;
            tail.resume = sink.position(partition_of(index));
            tail
        })
        .collect();
    for tail in &tails {
        sink.assign(tail.lines.partition, &tail.path.display().to_string());
    }
    let mut caught_up = false;
    loop {
        let mut busy = false;
        for tail in &mut tails {
            if stop.is_stopped() {
                return Ok(());
            }
            busy |= tail.turn(sink)?;
        }
        if !caught_up && tails.iter().all(|t| t.reached_end) {
            sink.caught_up();
            caught_up = true;
        }
        if tails.iter().all(|t| matches!(t.state, TailState::Done)) {
            info!("every followed file was gzip and has been read");
            return Ok(());
        }
        if stop.is_stopped() {
            return Ok(());
        }
        if !busy {
            std::thread::sleep(POLL);
        }
    }
}

/// Where a followed path stands.
#[derive(Debug)]
enum TailState {
    /// Not open: the path does not exist (yet), or could not be opened.
    Closed,
    /// Open and read up to `lines.offset()` (plus any held partial line).
    Open { input: Input, identity: Identity },
    /// A gzip file, read completely.
    Done,
}

/// One followed path.
#[derive(Debug)]
struct Tail {
    path: PathBuf,
    state: TailState,
    lines: LineReader,
    /// The path has been at its end (or missing) at least once.
    reached_end: bool,
    /// A warning about the closed path was logged since it was last open.
    warned: bool,
    /// Position restored state covers, applied when the path is first opened.
    resume: Option<u64>,
}

impl Tail {
    fn new(partition: PartitionId, path: PathBuf) -> Self {
        Self {
            path,
            state: TailState::Closed,
            lines: LineReader::new(partition, true),
            reached_end: false,
            warned: false,
            resume: None,
        }
    }

    /// One turn: opens the path, or reads at most one batch and, at the end of the data,
    /// checks for rotation and truncation. True if there may be more to do right away.
    fn turn(&mut self, sink: &mut dyn Sink) -> Result<bool, SourceError> {
        let path = &self.path;
        match &mut self.state {
            TailState::Done => Ok(false),
            TailState::Closed => {
                // A new file starts at 0, unless restored state covers part of it.
                self.lines.restart();
                match Input::open_at(path, self.resume, &mut self.lines) {
                    Ok((input, identity)) => {
                        if self.warned {
                            info!(path = %path.display(), "file appeared; reading");
                        }
                        self.warned = false;
                        self.resume = None;
                        self.state = TailState::Open { input, identity };
                        Ok(true)
                    }
                    Err(e) => {
                        if !self.warned {
                            if e.kind() == io::ErrorKind::NotFound {
                                warn!(path = %path.display(), "file does not exist yet; waiting");
                            } else {
                                warn!(path = %path.display(), error = %e, "cannot open file, retrying");
                            }
                            self.warned = true;
                        }
                        self.reached_end = true;
                        Ok(false)
                    }
                }
            }
            TailState::Open { input, identity } => {
                let progress = input
                    .read(&mut self.lines, sink)
                    .map_err(|e| io_error(path, e))?;
                if progress == Progress::Batch {
                    return Ok(true);
                }
                self.reached_end = true;
                sink.end_of_partition(self.lines.partition);
                let Input::Plain(reader) = input else {
                    self.lines.finish(sink);
                    debug!(path = %path.display(), "gzip file read; not following it");
                    self.state = TailState::Done;
                    return Ok(false);
                };
                let meta = match std::fs::metadata(path) {
                    Ok(meta) => meta,
                    // Renamed or deleted: keep the open file until a new one takes the path.
                    Err(_) => return Ok(false),
                };
                if (meta.dev(), meta.ino()) != *identity {
                    // Whatever was appended before the switch belongs to the old file.
                    while input
                        .read(&mut self.lines, sink)
                        .map_err(|e| io_error(path, e))?
                        == Progress::Batch
                    {}
                    self.lines.finish(sink);
                    info!(path = %path.display(), "file rotated; reading the new one from the start");
                    self.state = TailState::Closed;
                    return Ok(true);
                }
                let position = self.lines.offset() + self.lines.line_consumed;
                if meta.len() < position {
                    info!(path = %path.display(), size = meta.len(), position, "file truncated; reading from the start");
                    reader
                        .seek(SeekFrom::Start(0))
                        .map_err(|e| io_error(path, e))?;
                    self.lines.restart();
                    return Ok(true);
                }
                Ok(false)
            }
        }
    }
}

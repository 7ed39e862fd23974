//! File source: access-log files, read once or followed like `tail -F`.
//!
//! Each path of a [`FileSpec`] is one partition, `PartitionId::new(index, 0)`, named by the
//! path as given. Lines are split on `\n` (a `\r` before it is dropped), delivered in batches
//! of at most [`BATCH_LINES`]; each batch's `next_offset` is the number of bytes consumed
//! through its last line (decompressed bytes for gzip). A file whose first bytes are the gzip
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

use super::{BATCH_LINES, LineBatch, PartitionId, Sink, Source, SourceError, StopSignal};

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

/// What ended a call to [`LineReader::read`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    /// A full batch was delivered; more input may be ready.
    Batch,
    /// The input reported its end; every complete line read was delivered.
    End,
}

/// Splits a byte stream into lines and delivers them in batches: the one reading loop shared
/// by the file and stdin sources. Keeps its buffers between calls, so reading allocates only
/// when a line or batch outgrows every earlier one.
#[derive(Debug)]
pub(crate) struct LineReader {
    partition: PartitionId,
    line: Vec<u8>,
    /// Bytes of input the line in `line` covers (more than `line.len()` when it was cut).
    line_consumed: u64,
    /// `line` keeps at most this many bytes plus one (and a newline); the rest is skipped.
    max_line_bytes: usize,
    batch: LineBatch,
    /// Bytes consumed through the end of the last complete line.
    offset: u64,
    /// Keep a last line without newline until it is completed, instead of delivering it.
    hold_partial: bool,
    /// Call `caught_up` when the next batch is delivered.
    caught_up_pending: bool,
}

impl LineReader {
    /// A reader delivering to `partition`; `hold_partial` for inputs that may still grow.
    pub(crate) fn new(partition: PartitionId, hold_partial: bool) -> Self {
        Self {
            partition,
            line: Vec::new(),
            line_consumed: 0,
            max_line_bytes: usize::MAX,
            batch: LineBatch::new(),
            offset: 0,
            hold_partial,
            caught_up_pending: false,
        }
    }

    /// Cuts lines longer than `max_line_bytes` to `max_line_bytes + 1` bytes.
    pub(crate) fn with_max_line_bytes(mut self, max_line_bytes: usize) -> Self {
        self.max_line_bytes = max_line_bytes;
        self
    }

    /// Ask for [`Sink::caught_up`] right after the first batch is delivered.
    pub(crate) fn caught_up_on_first_batch(&mut self) {
        self.caught_up_pending = true;
    }

    /// True (once) if `caught_up` was asked for and no batch has been delivered yet.
    pub(crate) fn take_caught_up_pending(&mut self) -> bool {
        std::mem::take(&mut self.caught_up_pending)
    }

    /// The partition lines are delivered to.
    pub(crate) fn partition(&self) -> PartitionId {
        self.partition
    }

    /// Bytes consumed through the last complete line.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Continues counting from `offset` (after skipping what a checkpoint covers).
    pub(crate) fn resume_at(&mut self, offset: u64) {
        self.offset = offset;
        self.batch.next_offset = offset;
    }

    /// Reads lines from `input` until a full batch has been delivered or the input ends.
    /// Before every read for which `drained(input)` says the input's buffer is empty (so the
    /// read may block), the lines read so far are delivered.
    pub(crate) fn read<R: BufRead>(
        &mut self,
        input: &mut R,
        drained: impl Fn(&R) -> bool,
        sink: &mut dyn Sink,
    ) -> io::Result<Progress> {
        loop {
            if !self.batch.is_empty() && drained(input) {
                self.flush(sink);
            }
            if self.take_buffered_lines(input)? {
                if self.batch.len() >= BATCH_LINES {
                    self.flush(sink);
                    return Ok(Progress::Batch);
                }
                continue;
            }
            if !self.read_line(input)? {
                if !self.hold_partial && !self.line.is_empty() {
                    self.take_line();
                }
                self.flush(sink);
                return Ok(Progress::End);
            }
            self.take_line();
            if self.batch.len() >= BATCH_LINES {
                self.flush(sink);
                return Ok(Progress::Batch);
            }
        }
    }

    /// Moves the whole lines at the start of `input`'s buffer straight into the batch, up to
    /// a full batch, without copying them through `line`: the common case, where a line
    /// neither spans two reads nor is cut. False when it moved none (a line is pending, the
    /// buffer holds no whole line, or its first line is too long: [`LineReader::read_line`]
    /// takes those).
    fn take_buffered_lines<R: BufRead>(&mut self, input: &mut R) -> io::Result<bool> {
        if !self.line.is_empty() {
            return Ok(false);
        }
        let keep = self.max_line_bytes.saturating_add(1);
        let used = {
            let buf = input.fill_buf()?;
            let mut used = 0;
            while self.batch.len() < BATCH_LINES {
                let rest = buf.get(used..).unwrap_or_default();
                let Some(newline) = memchr::memchr(b'\n', rest) else {
                    break;
                };
                let take = newline + 1;
                if take > keep {
                    break;
                }
                self.batch.push(rest.get(..take).unwrap_or_default());
                used += take;
            }
            used
        };
        input.consume(used);
        self.offset += used as u64;
        Ok(used > 0)
    }

    /// Appends input up to and including the next newline to the line, keeping at most
    /// `max_line_bytes + 1` bytes of it; true when the newline was reached.
    fn read_line<R: BufRead>(&mut self, input: &mut R) -> io::Result<bool> {
        loop {
            let buf = input.fill_buf()?;
            if buf.is_empty() {
                return Ok(false);
            }
            let (take, complete) = match memchr::memchr(b'\n', buf) {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            let keep = self.max_line_bytes.saturating_add(1);
            let room = keep.saturating_sub(self.line.len());
            self.line.extend_from_slice(&buf[..take.min(room)]);
            self.line_consumed += take as u64;
            input.consume(take);
            if complete {
                return Ok(true);
            }
        }
    }

    /// Reads until the input ends, checking `stop` between batches; false if stopped.
    pub(crate) fn read_to_end<R: BufRead>(
        &mut self,
        input: &mut R,
        drained: impl Fn(&R) -> bool,
        sink: &mut dyn Sink,
        stop: &StopSignal,
    ) -> io::Result<bool> {
        loop {
            if stop.is_stopped() {
                return Ok(false);
            }
            if self.read(input, &drained, sink)? == Progress::End {
                return Ok(true);
            }
        }
    }

    /// Delivers a held partial line as a line of its own (its file will not grow any more).
    fn finish(&mut self, sink: &mut dyn Sink) {
        if !self.line.is_empty() {
            self.take_line();
        }
        self.flush(sink);
    }

    /// Forgets the position and any held partial line: the input starts over.
    fn restart(&mut self) {
        self.line.clear();
        self.line_consumed = 0;
        self.offset = 0;
    }

    fn take_line(&mut self) {
        self.offset += self.line_consumed;
        self.batch.push(&self.line);
        self.line.clear();
        self.line_consumed = 0;
    }

    fn flush(&mut self, sink: &mut dyn Sink) {
        if self.batch.is_empty() {
            return;
        }
        self.batch.next_offset = self.offset;
        sink.apply(self.partition, &self.batch);
        self.batch.clear();
        if self.take_caught_up_pending() {
            sink.caught_up();
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

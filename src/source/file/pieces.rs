//! Files cut into pieces that several threads read at once: what a parallel `replay` reads.
//!
//! [`cut`] walks the files in order and yields, for each, a [`Work::Start`], its pieces and a
//! [`Work::End`]. A plain file is cut into [`Work::Range`]s of about `piece_bytes` that end
//! just past a newline (or at the file's end), so each holds whole lines and any thread can
//! read it with [`read_range`]. A gzip file cannot be entered in the middle: [`cut`]
//! decompresses it on the calling thread, ahead of the readers, into [`Work::Lines`] of
//! about `piece_bytes`; or, when it is small enough ([`Cut::whole_gzip_below`]), it is one
//! [`Work::Whole`], so that several gzip files are decompressed at once, each by the reader
//! that reads it. A file whose lines must be read in order by one reader (a format with line
//! state: a W3C `#Fields:` directive governs the lines after it) is one [`Work::Whole`],
//! read with [`read_whole`].
//!
//! Every piece is split into the lines, cut at `max_line_bytes`, with the bytes and the
//! positions that a [`FileSource`](super::FileSource) reading the file from its start
//! delivers: only where batches begin and end differs. A gzip file's and a whole file's
//! lines come from the file source's own [`LineReader`]; a range is read straight into its
//! batches' buffers by [`super::range`], which a property test holds to the `LineReader`.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{GZIP_MAGIC, Input, LineReader, READ_BUFFER, io_error, partition_of, range};
use crate::source::{LineBatch, PartitionId, Sink, SourceError};

/// One unit of work, in file order.
#[derive(Debug)]
pub enum Work {
    /// The file of `partition`, named `name`, starts.
    Start {
        /// Its partition (its index among the files).
        partition: PartitionId,
        /// Its path as given.
        name: String,
    },
    /// Bytes `start..end` of a plain file: whole lines.
    Range {
        /// The file's partition.
        partition: PartitionId,
        /// The file.
        path: Arc<PathBuf>,
        /// First byte of the piece (the start of a line).
        start: u64,
        /// Just past its last byte.
        end: u64,
    },
    /// Lines already read (a gzip file's, decompressed), in batches with their positions.
    Lines {
        /// The file's partition.
        partition: PartitionId,
        /// The batches, in order.
        batches: Vec<LineBatch>,
    },
    /// A whole file, read in order by one reader.
    Whole {
        /// The file's partition.
        partition: PartitionId,
        /// The file.
        path: Arc<PathBuf>,
    },
    /// The file of `partition` has been read to its end.
    End {
        /// Its partition.
        partition: PartitionId,
    },
}

/// How [`cut`] cuts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// About this many bytes per piece (at least one line each).
    pub piece_bytes: u64,
    /// Lines are cut to this many bytes plus one, as the file source cuts them.
    pub max_line_bytes: usize,
    /// Every file is one [`Work::Whole`] piece.
    pub whole: bool,
    /// A gzip file smaller than this (compressed) is one [`Work::Whole`] piece; a larger
    /// one is decompressed by [`cut`]. 0: every gzip file is.
    pub whole_gzip_below: u64,
}

/// Hands a [`LineReader`]'s batches to a closure: the only sink a piece's reader needs.
struct Each<F>(F);

impl<F: FnMut(&LineBatch) + Send> Sink for Each<F> {
    fn assign(&mut self, _: PartitionId, _: &str) {}
    fn apply(&mut self, _: PartitionId, batch: &LineBatch) {
        (self.0)(batch);
    }
    fn revoke(&mut self, _: PartitionId) {}
    fn caught_up(&mut self) {}
    fn unavailable(&mut self, _: &str) {}
}

/// Cuts `paths` (partition = index, as the file source numbers them) into work as `how`
/// says, in order, handing each item to `send`; stops early when `send` returns false.
/// Decompresses gzip files on the calling thread.
pub fn cut(
    paths: &[PathBuf],
    how: Cut,
    mut send: impl FnMut(Work) -> bool + Send,
) -> Result<(), SourceError> {
    for (index, path) in paths.iter().enumerate() {
        let partition = partition_of(index);
        let start = Work::Start {
            partition,
            name: path.display().to_string(),
        };
        if !send(start) {
            return Ok(());
        }
        let go_on = cut_file(path, partition, how, &mut send).map_err(|e| io_error(path, e))?;
        if !go_on || !send(Work::End { partition }) {
            return Ok(());
        }
    }
    Ok(())
}

/// The pieces of one file; false when `send` asked to stop.
fn cut_file(
    path: &Path,
    partition: PartitionId,
    how: Cut,
    send: &mut (impl FnMut(Work) -> bool + Send),
) -> io::Result<bool> {
    let shared = Arc::new(path.to_path_buf());
    if how.whole {
        // Opened here too, so a missing file is an error of the cut, as for any file.
        File::open(path)?;
        return Ok(send(Work::Whole {
            partition,
            path: shared,
        }));
    }
    let mut file = File::open(path)?;
    let mut magic = [0u8; 2];
    let n = read_up_to(&mut file, &mut magic)?;
    let len = file.metadata()?.len();
    if magic[..n] == GZIP_MAGIC {
        if len < how.whole_gzip_below {
            return Ok(send(Work::Whole {
                partition,
                path: shared,
            }));
        }
        return cut_gzip(path, partition, how, send);
    }
    let mut start = 0;
    while start < len {
        let end = line_end_after(&mut file, start.saturating_add(how.piece_bytes.max(1)), len)?;
        let piece = Work::Range {
            partition,
            path: shared.clone(),
            start,
            end,
        };
        if !send(piece) {
            return Ok(false);
        }
        start = end;
    }
    Ok(true)
}

/// Reads into `buf` until it is full or the input ends; how many bytes were read.
pub(super) fn read_up_to(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Just past the first newline at or after `from`, or `len` (the file's end) when there is
/// none: where a piece cut near `from` ends.
fn line_end_after(file: &mut File, from: u64, len: u64) -> io::Result<u64> {
    let mut at = from;
    let mut buf = vec![0u8; 64 * 1024];
    while at < len {
        file.seek(SeekFrom::Start(at))?;
        let n = read_up_to(file, &mut buf)?;
        if n == 0 {
            break;
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            return Ok((at + i as u64 + 1).min(len));
        }
        at += n as u64;
    }
    Ok(len)
}

/// Decompresses a gzip file into pieces of about `piece_bytes` of lines.
fn cut_gzip(
    path: &Path,
    partition: PartitionId,
    how: Cut,
    send: &mut (impl FnMut(Work) -> bool + Send),
) -> io::Result<bool> {
    let (mut input, _) = Input::open(path)?;
    let mut lines = LineReader::new(partition, false).with_max_line_bytes(how.max_line_bytes);
    let mut pending: Vec<LineBatch> = Vec::new();
    let mut bytes = 0u64;
    let mut go_on = true;
    loop {
        let mut sink = Each(|batch: &LineBatch| {
            bytes += batch.bytes() as u64;
            pending.push(batch.clone());
        });
        let progress = input.read(&mut lines, &mut sink)?;
        if bytes >= how.piece_bytes || progress == super::Progress::End {
            bytes = 0;
            let batches = std::mem::take(&mut pending);
            if !batches.is_empty() && !send(Work::Lines { partition, batches }) {
                go_on = false;
                break;
            }
        }
        if progress == super::Progress::End {
            break;
        }
    }
    Ok(go_on)
}

/// Reads the lines of `start..end` of the plain file `path` (a [`Work::Range`]), cut at
/// `max_line_bytes` as the file source cuts them, handing each batch to `each`: straight
/// into the batches' buffers, [`READ_BUFFER`] bytes at a time (see [`super::range`]).
pub fn read_range(
    path: &Path,
    start: u64,
    end: u64,
    max_line_bytes: usize,
    batch: &mut LineBatch,
    each: impl FnMut(&LineBatch) + Send,
) -> Result<(), SourceError> {
    let read = || -> io::Result<()> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(start))?;
        let mut input = file.take(end - start);
        range::read_lines(&mut input, start, READ_BUFFER, max_line_bytes, batch, each)
    };
    read().map_err(|e| io_error(path, e))
}

/// Reads every line of `path` (plain or gzip; a [`Work::Whole`]) in order, handing each
/// batch to `each`.
pub fn read_whole(
    partition: PartitionId,
    path: &Path,
    max_line_bytes: usize,
    each: impl FnMut(&LineBatch) + Send,
) -> Result<(), SourceError> {
    let read = || -> io::Result<()> {
        let (mut input, _) = Input::open(path)?;
        let mut lines = LineReader::new(partition, false).with_max_line_bytes(max_line_bytes);
        let mut sink = Each(each);
        while input.read(&mut lines, &mut sink)? == super::Progress::Batch {}
        Ok(())
    };
    read().map_err(|e| io_error(path, e))
}

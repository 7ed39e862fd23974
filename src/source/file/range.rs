//! A range of a plain file read straight into batches: what a parallel `replay`'s readers
//! read ([`super::pieces::read_range`]).
//!
//! The file source's [`LineReader`](super::LineReader) reads into a buffered reader and
//! copies each line out of it into its batch. Here the bytes are read into the batch's own
//! buffer, a chunk at a time, and each line is marked where it lies: one copy of the bytes
//! fewer, and the lines are still in the cache when they are decoded. The lines are the
//! `LineReader`'s, byte for byte, and so are the positions: split on `\n`, a `\r` before it
//! dropped, a last line without newline kept, a line longer than `max_line_bytes` cut to
//! `max_line_bytes + 1` bytes (and a `\r` at the cut dropped, as there), each batch's
//! `next_offset` just past its last line's newline. Only where batches end differs: a batch
//! holds the whole lines of one chunk. A property test holds the two readers to each other.

use std::io::{self, Read};

use crate::source::LineBatch;

/// Reads `input` (the range, from the start of a line to its end) to its end in chunks of
/// `chunk` bytes, handing each chunk's whole lines to `each` as a batch; `offset` is the
/// range's position in the file, from which the batches' positions count. The buffer holds
/// at most a chunk and `max_line_bytes + 1` bytes, however long a line is: past its cut, a
/// line's bytes are dropped as they are read.
pub(crate) fn read_lines(
    input: &mut impl Read,
    offset: u64,
    chunk: usize,
    max_line_bytes: usize,
    mut each: impl FnMut(&LineBatch),
) -> io::Result<()> {
    let (keep, chunk) = (max_line_bytes.saturating_add(1), chunk.max(1));
    let mut batch = LineBatch::new();
    // How much of the batch's buffer holds input (it is zeroed once, when it grows, and
    // then read into again and again; what lies past this is stale).
    let mut filled = 0;
    // The position in the file of the buffer's first byte.
    let mut base = offset;
    // While a line longer than `keep` is read: the bytes of it dropped past its first
    // `keep`, which the buffer holds (so a byte at index `i` of the buffer, `i >= keep`, is
    // at `base + i + dropped`).
    let mut dropped = 0u64;
    // The lines of a chunk, marked once the buffer is no longer borrowed.
    let mut lines = Vec::new();
    loop {
        let buffer = batch.buffer_mut();
        let want = filled + chunk;
        if buffer.len() < want {
            buffer.resize(want, 0);
        }
        let scan_from = filled;
        let read = read_some(input, buffer.get_mut(filled..want).unwrap_or_default())?;
        filled += read;
        if read == 0 {
            // The end: a last line without newline still counts.
            if filled > 0 {
                let line = line_len(buffer.get(..filled).unwrap_or_default(), keep);
                batch.push_span(0, line);
                batch.next_offset = base + filled as u64 + dropped;
                each(&batch);
            }
            return Ok(());
        }
        // Where the next line starts, and where its newline is looked for.
        let (mut start, mut from) = (0, scan_from);
        if dropped > 0 {
            // The line being cut takes nothing more until its newline.
            let unread = buffer.get(scan_from..filled).unwrap_or_default();
            let Some(i) = memchr::memchr(b'\n', unread) else {
                dropped += read as u64;
                filled = scan_from;
                continue;
            };
            let line = line_len(buffer.get(..keep).unwrap_or_default(), keep);
            (start, from) = (scan_from + i + 1, scan_from + i + 1);
            base += dropped;
            dropped = 0;
            batch.push_span(0, line);
        }
        let buffer = batch.buffer_mut();
        lines.clear();
        let unread = buffer.get(from..filled).unwrap_or_default();
        for newline in memchr::memchr_iter(b'\n', unread) {
            let end = from + newline + 1;
            let raw = buffer.get(start..end).unwrap_or_default();
            lines.push((start, start + line_len(raw, keep)));
            start = end;
        }
        for &(a, b) in &lines {
            batch.push_span(a, b);
        }
        if !batch.is_empty() {
            batch.next_offset = base + start as u64;
            each(&batch);
        }
        // What follows the last newline starts the next chunk's first line.
        base += start as u64;
        batch.clear_keeping(start, filled);
        filled -= start;
        if filled > keep {
            dropped = (filled - keep) as u64;
            filled = keep;
        }
    }
}

/// One read into `buf`, again when interrupted; 0 at the end of the input.
fn read_some(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            read => return read,
        }
    }
}

/// The length of the line `raw` (from its start, through its newline if it has one) as the
/// file source keeps it: at most `keep` bytes, then a `\n` and a `\r` before it dropped.
fn line_len(raw: &[u8], keep: usize) -> usize {
    let kept = &raw[..raw.len().min(keep)];
    let kept = kept.strip_suffix(b"\n").unwrap_or(kept);
    kept.strip_suffix(b"\r").unwrap_or(kept).len()
}

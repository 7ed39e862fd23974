//! A range of a plain file read straight into batches: what a parallel `replay`'s readers
//! read ([`super::pieces::read_range`]).
//!
//! The file source's [`LineReader`](super::LineReader) reads into a buffered reader and
//! copies each line out of it into its batch. Here the bytes are read into the batch's own
//! buffer, a chunk at a time, and each line is marked where it lies: one copy of the bytes
//! fewer, and the lines are still in the cache when they are decoded. The buffer holds
//! several chunks; when the next one does not fit, the lines not yet handed on are moved to
//! its start (a part of a batch, every several chunks). The batches are the `LineReader`'s,
//! byte for byte, and so are their positions: lines split on `\n`, a `\r` before it
//! dropped, a last line without newline kept, a line longer than `max_line_bytes` cut to
//! `max_line_bytes + 1` bytes (and a `\r` at the cut dropped, as there), [`BATCH_LINES`]
//! lines a batch from the range's start, each batch's `next_offset` just past its last
//! line's newline. Where batches end matters beyond the lines: a replay records the alert
//! history after each batch. A property test holds the two readers to each other.

use std::io::{self, Read};

use super::pieces::read_up_to;
use crate::source::{BATCH_LINES, LineBatch, without_line_ending};

/// Chunks the buffer holds before the lines not yet handed on are moved to its start.
const CHUNKS_HELD: usize = 8;

/// A line found in the buffer: its bytes `start..end` there, and its position in the file
/// past its newline.
type Line = (usize, usize, u64);

/// Reads `input` (the range, from the start of a line to its end) to its end in chunks of
/// `chunk` bytes, handing its lines to `each` in batches of [`BATCH_LINES`] (the last one
/// shorter); `offset` is the range's position in the file, from which the batches'
/// positions count. Past its cut, a line's bytes are dropped as they are read, so the
/// buffer holds at most `CHUNKS_HELD` chunks and a batch, however long a line is.
///
/// The batches are `batch`, its lines replaced each time: a reader passes the same one for
/// every range it reads, so its buffer is allocated and zeroed once, not once per range.
pub(crate) fn read_lines(
    input: &mut impl Read,
    offset: u64,
    chunk: usize,
    max_line_bytes: usize,
    batch: &mut LineBatch,
    mut each: impl FnMut(&LineBatch),
) -> io::Result<()> {
    let (keep, chunk) = (max_line_bytes.saturating_add(1), chunk.max(1));
    batch.clear_lines();
    // How much of the batch's buffer holds input (it is zeroed once, when it grows, and
    // then read into again and again; what lies past this is stale).
    let mut filled = 0;
    // Where the line being read starts in the buffer.
    let mut start = 0;
    // The position in the file of the buffer's first byte.
    let mut base = offset;
    // While a line longer than `keep` is read: the bytes of it dropped past its first
    // `keep`, which the buffer holds (so a byte at index `i` past them is at
    // `base + i + dropped`).
    let mut dropped = 0u64;
    // The lines of a chunk, marked once the buffer is no longer borrowed.
    let mut lines: Vec<Line> = Vec::new();
    loop {
        let moved = room_for_a_chunk(batch, start, filled, chunk);
        (start, filled, base) = (start - moved, filled - moved, base + moved as u64);
        let buffer = batch.buffer_mut();
        // Where this read's bytes start: the next newline is looked for from there.
        let (scan_from, mut from) = (filled, filled);
        let read = read_up_to(
            input,
            buffer.get_mut(filled..filled + chunk).unwrap_or_default(),
        )?;
        filled += read;
        lines.clear();
        if read == 0 {
            // The end: a last line without newline still counts.
            if filled > start {
                let raw = buffer.get(start..filled).unwrap_or_default();
                let end = base + filled as u64 + dropped;
                lines.push((start, start + line_len(raw, keep), end));
            }
        } else if dropped > 0 {
            // The line being cut takes nothing more until its newline.
            let unread = buffer.get(scan_from..filled).unwrap_or_default();
            let Some(i) = memchr::memchr(b'\n', unread) else {
                dropped += read as u64;
                filled = scan_from;
                continue;
            };
            let kept = buffer.get(start..start + keep).unwrap_or_default();
            let next = scan_from + i + 1;
            base += dropped;
            dropped = 0;
            lines.push((start, start + line_len(kept, keep), base + next as u64));
            (start, from) = (next, next);
        }
        if read > 0 {
            let whole = buffer.get(..filled).unwrap_or_default();
            start = whole_lines(whole, from, start, keep, base, &mut lines);
        }
        hand_on(&lines, batch, &mut each);
        if read == 0 {
            if !batch.is_empty() {
                each(batch);
            }
            return Ok(());
        }
        if filled - start > keep {
            dropped = (filled - start - keep) as u64;
            filled = start + keep;
        }
    }
}

/// Marks `lines` in `batch`, handing it to `each` whenever it holds [`BATCH_LINES`] lines
/// (and emptying it for the next).
fn hand_on(lines: &[Line], batch: &mut LineBatch, each: &mut impl FnMut(&LineBatch)) {
    for &(a, b, end) in lines {
        batch.push_span(a, b);
        batch.next_offset = end;
        if batch.len() >= BATCH_LINES {
            each(batch);
            batch.clear_lines();
        }
    }
}

/// Makes room in `batch`'s buffer, `filled` bytes of which hold input, for a chunk after
/// them: once the buffer holds `CHUNKS_HELD` chunks, by moving the lines not yet handed on
/// and the line being read (from `start`) to its start; else by lengthening it. How far the
/// bytes moved.
fn room_for_a_chunk(batch: &mut LineBatch, start: usize, filled: usize, chunk: usize) -> usize {
    if filled + chunk <= batch.buffer_mut().len() {
        return 0;
    }
    let moved = if filled >= CHUNKS_HELD * chunk {
        batch.compact(start, filled)
    } else {
        0
    };
    let want = filled - moved + chunk;
    if batch.buffer_mut().len() < want {
        batch.buffer_mut().resize(want, 0);
    }
    moved
}

/// Adds to `lines` each whole line of `buffer` (of which a byte at `i` is at `base + i` in
/// the file), the first starting at `start`, looking for newlines from `from`; where the
/// line after them starts.
fn whole_lines(
    buffer: &[u8],
    from: usize,
    mut start: usize,
    keep: usize,
    base: u64,
    lines: &mut Vec<Line>,
) -> usize {
    let unread = buffer.get(from..).unwrap_or_default();
    for newline in memchr::memchr_iter(b'\n', unread) {
        let end = from + newline + 1;
        let raw = buffer.get(start..end).unwrap_or_default();
        lines.push((start, start + line_len(raw, keep), base + end as u64));
        start = end;
    }
    start
}

/// The length of the line `raw` (from its start, through its newline if it has one) as the
/// file source keeps it: at most `keep` bytes, then without its line ending.
fn line_len(raw: &[u8], keep: usize) -> usize {
    without_line_ending(&raw[..raw.len().min(keep)]).len()
}

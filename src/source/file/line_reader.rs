//! [`LineReader`]: a byte stream split into lines and delivered in batches, the one reading
//! loop the file and stdin sources share (lines split on `\n`, a `\r` before it dropped,
//! long lines cut, a last line without newline delivered or held).

use std::io::{self, BufRead};

use crate::source::{BATCH_LINES, LineBatch, PartitionId, Sink, StopSignal};

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
    pub(super) partition: PartitionId,
    pub(super) line: Vec<u8>,
    /// Bytes of input the line in `line` covers (more than `line.len()` when it was cut).
    pub(super) line_consumed: u64,
    /// `line` keeps at most this many bytes plus one (and a newline); the rest is skipped.
    pub(super) max_line_bytes: usize,
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
    pub(super) fn finish(&mut self, sink: &mut dyn Sink) {
        if !self.line.is_empty() {
            self.take_line();
        }
        self.flush(sink);
    }

    /// Forgets the position and any held partial line: the input starts over.
    pub(super) fn restart(&mut self) {
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

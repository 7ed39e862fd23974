//! Stdin source: access-log lines piped into the process.
//!
//! Standard input is one partition, `PartitionId::new(0, 0)`, named `stdin`. Lines are split
//! and batched exactly as by the [file source](super::file) (same reading loop); the lines read
//! so far are delivered whenever the next read would have to wait for the writer, so a slow
//! producer's lines are never held back for a full batch. [`Sink::caught_up`] is called after
//! the first batch, or at end of input if there was none. `run` returns `Ok` at end of input,
//! or between batches once [`StopSignal`] is raised (a read blocked on an idle pipe is not
//! interrupted). A read error is a [`SourceError::Io`] for the path `stdin`.

use std::io::{self, BufReader, Read};

use super::file::{LineReader, READ_BUFFER};
use super::{PartitionId, Sink, Source, SourceError, StopSignal};

/// Reads access-log lines from standard input; see the [module documentation](self).
#[derive(Debug, Clone, Copy)]
pub struct StdinSource {
    max_line_bytes: usize,
}

impl Default for StdinSource {
    /// Buffers lines of any length.
    fn default() -> Self {
        Self {
            max_line_bytes: usize::MAX,
        }
    }
}

impl StdinSource {
    /// Keeps at most the first `max_line_bytes + 1` bytes of a longer line (the rest is
    /// skipped to its newline, never buffered); the sink rejects such a line as too long.
    pub fn with_max_line_bytes(max_line_bytes: usize) -> Self {
        Self { max_line_bytes }
    }
}

impl Source for StdinSource {
    fn run(self: Box<Self>, sink: &mut dyn Sink, stop: &StopSignal) -> Result<(), SourceError> {
        let mut input = BufReader::with_capacity(READ_BUFFER, io::stdin().lock());
        let partition = PartitionId::new(0, 0);
        let reader = LineReader::new(partition, false).with_max_line_bytes(self.max_line_bytes);
        read_stream(&mut input, reader, "stdin", sink, stop).map_err(|source| SourceError::Io {
            path: "stdin".to_string(),
            source,
        })
    }
}

/// Reads `input` to its end as the partition of `lines`, named `name`.
fn read_stream<R: Read>(
    input: &mut BufReader<R>,
    mut lines: LineReader,
    name: &str,
    sink: &mut dyn Sink,
    stop: &StopSignal,
) -> io::Result<()> {
    sink.assign(lines.partition(), name);
    lines.caught_up_on_first_batch();
    let ended = lines.read_to_end(input, |r| r.buffer().is_empty(), sink, stop)?;
    if ended {
        tracing::debug!(bytes = lines.offset(), "end of stdin");
        sink.end_of_partition(lines.partition());
        if lines.take_caught_up_pending() {
            sink.caught_up();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::BATCH_LINES;
    use crate::source::file::tests::{Record, Recorder};

    /// Reads `input` to its end (or until `stop`) with `lines`, as the stdin source does;
    /// what the sink was given.
    fn read_all<R: Read>(input: R, lines: LineReader, stop: &StopSignal) -> Record {
        let rec = Recorder::default();
        read_stream(
            &mut BufReader::new(input),
            lines,
            "stdin",
            &mut rec.clone(),
            stop,
        )
        .unwrap();
        std::mem::take(&mut *rec.get())
    }

    /// Returns at most one line per `read`, like a pipe fed by a slow writer.
    #[derive(Debug)]
    struct Trickle(Vec<Vec<u8>>);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Ok(0);
            }
            let chunk = self.0.remove(0);
            buf[..chunk.len()].copy_from_slice(&chunk);
            Ok(chunk.len())
        }
    }

    #[test]
    fn lines_are_delivered_whenever_input_pauses() {
        let chunks = vec![b"a\nb\n".to_vec(), b"c\r\n".to_vec(), b"d".to_vec()];
        let pid = PartitionId::new(0, 0);
        let r = read_all(
            Trickle(chunks),
            LineReader::new(pid, false),
            &StopSignal::new(),
        );
        assert_eq!(r.assigned, vec![(pid, "stdin".to_string())]);
        assert_eq!(r.text(pid), vec!["a", "b", "c", "d"]);
        // One batch per chunk the "pipe" handed over: nothing waits for a full batch.
        assert_eq!(r.offsets[&pid], vec![4, 7, 8]);
        assert_eq!(r.caught_up, 1);
    }

    #[test]
    fn overlong_lines_are_cut_at_the_cap_plus_one() {
        let text = format!("ok\n{}\nok\n", "x".repeat(100_000));
        let pid = PartitionId::new(0, 0);
        let lines = LineReader::new(pid, false).with_max_line_bytes(10);
        let r = read_all(text.as_bytes(), lines, &StopSignal::new());
        assert_eq!(r.text(pid), vec!["ok", "xxxxxxxxxxx", "ok"]);
        assert_eq!(r.offsets[&pid].last(), Some(&(text.len() as u64)));
    }

    #[test]
    fn fast_input_fills_whole_batches() {
        let rec = Recorder::default();
        let mut sink = rec.clone();
        let text: String = (0..2500).map(|i| format!("line {i}\n")).collect();
        let mut input = BufReader::with_capacity(READ_BUFFER * 4, text.as_bytes());
        let pid = PartitionId::new(0, 0);
        read_stream(
            &mut input,
            LineReader::new(pid, false),
            "stdin",
            &mut sink,
            &StopSignal::new(),
        )
        .unwrap();
        let r = rec.get();
        assert_eq!(r.lines[&pid].len(), 2500);
        let whole_then_rest: Vec<usize> = (0..2500)
            .step_by(BATCH_LINES)
            .map(|first| (2500 - first).min(BATCH_LINES))
            .collect();
        assert_eq!(r.batch_sizes[&pid], whole_then_rest);
        assert_eq!(*r.offsets[&pid].last().unwrap(), text.len() as u64);
        assert_eq!(r.caught_up, 1);
    }

    #[test]
    fn empty_input_is_caught_up_at_end() {
        let pid = PartitionId::new(0, 0);
        let r = read_all(&b""[..], LineReader::new(pid, false), &StopSignal::new());
        assert!(r.lines.is_empty());
        assert_eq!(r.caught_up, 1);
    }

    #[test]
    fn stop_is_honoured_between_batches() {
        let stop = StopSignal::new();
        stop.stop();
        let pid = PartitionId::new(0, 0);
        assert!(
            read_all(&b"a\nb\n"[..], LineReader::new(pid, false), &stop)
                .lines
                .is_empty()
        );
    }
}

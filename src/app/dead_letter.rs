//! The dead-letter file (`spec.decode.dead_letter`): every line that did not decode, appended
//! as one JSON object per line,
//! `{"partition","batch_end_offset","index","reason","line"}`: the partition's name (file
//! path, or `topic/partition`), the source position just past the batch the line came in
//! and the line's index in that batch (sources report positions per batch, not per line),
//! the reason (as in `slipstream_decode_errors_total`), and the raw line as UTF-8 with
//! invalid bytes replaced by U+FFFD (a too-long line is cut to `max_line_bytes`).
//!
//! The file never grows past `max_bytes` (its size at start included): once full, records
//! are dropped and counted. Sinks write a whole batch's records at once, after the batch is
//! applied, through one buffered writer flushed per batch.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use tracing::warn;

use crate::config::DeadLetterConfig;

/// One undecodable line, as the sink collects it.
#[derive(Debug)]
pub(crate) struct Rejected<'a> {
    /// Index of the line in its batch.
    pub(crate) index: usize,
    /// `slipstream_decode_errors_total` reason.
    pub(crate) reason: &'static str,
    /// The raw line (an OTLP batch's record: a copy of its line).
    pub(crate) line: std::borrow::Cow<'a, [u8]>,
}

#[derive(Serialize)]
struct Record<'a> {
    partition: &'a str,
    batch_end_offset: u64,
    index: usize,
    reason: &'a str,
    line: &'a str,
}

/// The open dead-letter file and its counters.
#[derive(Debug)]
pub struct DeadLetter {
    file: Mutex<Writer>,
    max_bytes: u64,
    /// Records written.
    pub written: AtomicU64,
    /// Records dropped because the file was full or could not be written.
    pub dropped: AtomicU64,
}

#[derive(Debug)]
struct Writer {
    out: BufWriter<File>,
    size: u64,
    warned_full: bool,
}

impl DeadLetter {
    /// Opens (creates, or appends to) the configured file.
    pub fn open(config: &DeadLetterConfig) -> std::io::Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&config.path)?;
        let size = file.metadata()?.len();
        Ok(Self {
            file: Mutex::new(Writer {
                out: BufWriter::new(file),
                size,
                warned_full: false,
            }),
            max_bytes: config.max_bytes,
            written: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        })
    }

    /// Appends the rejected lines of one batch and flushes.
    pub(crate) fn write_batch(
        &self,
        partition: &str,
        batch_end_offset: u64,
        lines: &[Rejected<'_>],
    ) {
        if lines.is_empty() {
            return;
        }
        let mut w = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let (mut written, mut dropped) = (0, 0);
        let mut text = Vec::new();
        for r in lines {
            text.clear();
            let line = String::from_utf8_lossy(&r.line);
            let record = Record {
                partition,
                batch_end_offset,
                index: r.index,
                reason: r.reason,
                line: &line,
            };
            if serde_json::to_writer(&mut text, &record).is_err() {
                dropped += 1;
                continue;
            }
            text.push(b'\n');
            if w.size + text.len() as u64 > self.max_bytes {
                dropped += 1;
                if !w.warned_full {
                    w.warned_full = true;
                    warn!(
                        max_bytes = self.max_bytes,
                        "dead-letter file full; dropping further lines"
                    );
                }
                continue;
            }
            if let Err(e) = w.out.write_all(&text) {
                warn!(error = %e, "cannot write the dead-letter file");
                dropped += 1;
                continue;
            }
            w.size += text.len() as u64;
            written += 1;
        }
        if let Err(e) = w.out.flush() {
            warn!(error = %e, "cannot flush the dead-letter file");
        }
        self.written.fetch_add(written, Ordering::Relaxed);
        self.dropped.fetch_add(dropped, Ordering::Relaxed);
    }
}

//! Progress of `replay` on a terminal: a bar of bytes read against the files' total size,
//! with lines per second. Hidden (draws nothing) when stderr is not a terminal, so piped and
//! captured output stays clean. Wraps the real sink and only counts.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::source::{LineBatch, PartitionId, Sink};

/// A [`Sink`] that advances a progress bar, then hands every call to `inner`.
#[derive(Debug)]
pub(super) struct ProgressSink<S> {
    inner: S,
    bar: ProgressBar,
    lines: u64,
    started: Instant,
}

impl<S: Sink> ProgressSink<S> {
    /// A bar over `total_bytes` (the files' sizes on disk; gzip files advance by
    /// decompressed bytes, so the bar can pass its end), drawn only on a terminal.
    pub(super) fn new(inner: S, total_bytes: u64) -> Self {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr_with_hz(5)
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total_bytes), target);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {msg} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Self {
            inner,
            bar,
            lines: 0,
            started: Instant::now(),
        }
    }

    /// The sink the bar wraps.
    pub(super) fn inner_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Advances the bar by `lines` lines of `bytes` payload bytes.
    pub(super) fn advance(&mut self, lines: u64, bytes: u64) {
        self.lines += lines;
        // Line endings are not in the payload: add one byte per line.
        self.bar.inc(bytes + lines);
        let seconds = self.started.elapsed().as_secs_f64().max(1e-3);
        self.bar.set_message(format!(
            "{} lines, {:.0} lines/s",
            self.lines,
            self.lines as f64 / seconds
        ));
    }

    /// Removes the bar from the terminal.
    pub(super) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl<S: Sink> Sink for ProgressSink<S> {
    fn assign(&mut self, partition: PartitionId, name: &str) {
        self.inner.assign(partition, name);
    }

    fn apply(&mut self, partition: PartitionId, batch: &LineBatch) {
        self.inner.apply(partition, batch);
        self.advance(batch.len() as u64, batch.bytes() as u64);
    }

    fn revoke(&mut self, partition: PartitionId) {
        self.inner.revoke(partition);
    }

    fn end_of_partition(&mut self, partition: PartitionId) {
        self.inner.end_of_partition(partition);
    }

    fn caught_up(&mut self) {
        self.inner.caught_up();
    }

    fn unavailable(&mut self, reason: &str) {
        self.inner.unavailable(reason);
    }

    fn position(&self, partition: PartitionId) -> Option<u64> {
        self.inner.position(partition)
    }

    fn committable(&self, partition: PartitionId) -> Option<u64> {
        self.inner.committable(partition)
    }
}

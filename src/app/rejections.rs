//! What one batch rejected, as a typed event that counts, logs and dead-letters in one place.
//!
//! The sink [`record`](BatchRejections::record)s each [`Rejection`] of a batch in local
//! counters (nothing shared is touched per line), adds them to the shard's statistics once
//! ([`count_into`](BatchRejections::count_into), under the shard lock it already holds),
//! then [`emit`](BatchRejections::emit)s after releasing the lock: the batch's rejected
//! payloads go to the dead-letter file, and the first one is logged, at most once per
//! partition sink every [`WARNING_INTERVAL_US`], with the number of rejections not logged
//! since.

use std::borrow::Cow;

use tracing::warn;

use super::dead_letter::{DeadLetter, Rejected};
use crate::decode::DecodeError;
use crate::decode::ingest::Rejection;
use crate::source::PartitionId;
use crate::time::SECOND;
use crate::window::ShardStats;

/// At most one undecodable-line warning per partition sink per this interval.
pub(super) const WARNING_INTERVAL_US: i64 = 10 * SECOND;

/// The rejections of one batch.
#[derive(Debug)]
pub(super) struct BatchRejections<'a> {
    too_long: u64,
    decode_errors: [u64; DecodeError::ALL.len()],
    /// The first rejection and its payload, for the log.
    first: Option<(Rejection, Cow<'a, [u8]>)>,
    /// Rejected payloads for the dead-letter file; kept only when there is one.
    dead: Option<Vec<Rejected<'a>>>,
    max_line_bytes: usize,
}

impl<'a> BatchRejections<'a> {
    /// An empty record; `dead_letter` says whether rejected payloads are kept for the
    /// dead-letter file (a too-long one cut to `max_line_bytes`).
    pub(super) fn new(dead_letter: bool, max_line_bytes: usize) -> Self {
        Self {
            too_long: 0,
            decode_errors: [0; DecodeError::ALL.len()],
            first: None,
            dead: dead_letter.then(Vec::new),
            max_line_bytes,
        }
    }

    /// Records that the `index`th payload of the batch was rejected: the whole payload, or
    /// one log `record` of it (an OTLP batch), whose line is copied when it is kept.
    pub(super) fn record(
        &mut self,
        index: usize,
        rejection: Rejection,
        payload: &'a [u8],
        record: Option<&[u8]>,
    ) {
        match rejection.decode_error() {
            Some(e) => self.decode_errors[e.index()] += 1,
            None => self.too_long += 1,
        }
        let max = self.max_line_bytes;
        // The line, at most `keep` bytes of it; a record's line is copied.
        let line = |keep: usize| -> Cow<'a, [u8]> {
            match record {
                Some(r) => Cow::Owned(r[..r.len().min(keep)].to_vec()),
                None => Cow::Borrowed(&payload[..payload.len().min(keep)]),
            }
        };
        if self.first.is_none() {
            self.first = Some((rejection, line(usize::MAX)));
        }
        if let Some(dead) = &mut self.dead {
            dead.push(Rejected {
                index,
                reason: rejection.reason(),
                line: line(if rejection == Rejection::TooLong {
                    max
                } else {
                    usize::MAX
                }),
            });
        }
    }

    /// The same record, owning the payloads it keeps (copied when borrowed).
    pub(super) fn into_owned(self) -> BatchRejections<'static> {
        let own = |line: Cow<'a, [u8]>| Cow::Owned(line.into_owned());
        BatchRejections {
            too_long: self.too_long,
            decode_errors: self.decode_errors,
            first: self.first.map(|(r, line)| (r, own(line))),
            dead: self.dead.map(|dead| {
                dead.into_iter()
                    .map(|r| Rejected {
                        index: r.index,
                        reason: r.reason,
                        line: own(r.line),
                    })
                    .collect()
            }),
            max_line_bytes: self.max_line_bytes,
        }
    }

    /// How many payloads were rejected.
    pub(super) fn len(&self) -> u64 {
        self.too_long + self.decode_errors.iter().sum::<u64>()
    }

    /// Adds the batch's rejections to `stats`.
    pub(super) fn count_into(&self, stats: &mut ShardStats) {
        stats.too_long += self.too_long;
        for (total, n) in stats.decode_errors.iter_mut().zip(self.decode_errors) {
            *total += n;
        }
    }

    /// Writes the rejected payloads to `dead_letter` (as the batch of `partition_name` that
    /// ends at `next_offset`) and logs the first one through `limiter`.
    pub(super) fn emit(
        self,
        at: BatchOrigin<'_>,
        dead_letter: Option<&DeadLetter>,
        limiter: &mut WarningLimiter,
    ) {
        if let (Some(file), Some(dead)) = (dead_letter, &self.dead) {
            file.write_batch(at.partition_name, at.next_offset, dead);
        }
        let rejected = self.len();
        let Some((reason, payload)) = &self.first else {
            return;
        };
        if limiter.allow(at.now_us) {
            let line = String::from_utf8_lossy(&payload[..payload.len().min(200)]);
            warn!(
                partition = %at.partition,
                format = at.format,
                %reason,
                stage = reason.stage(),
                suppressed = limiter.suppressed + rejected - 1,
                %line,
                "skipping undecodable line"
            );
            limiter.suppressed = 0;
        } else {
            limiter.suppressed += rejected;
        }
    }
}

/// Where a batch came from, for the dead-letter file and the log.
#[derive(Debug, Clone, Copy)]
pub(super) struct BatchOrigin<'a> {
    pub(super) partition: PartitionId,
    pub(super) partition_name: &'a str,
    pub(super) next_offset: u64,
    pub(super) format: &'static str,
    pub(super) now_us: i64,
}

/// Lets one warning through per [`WARNING_INTERVAL_US`], counting the rejections not logged.
#[derive(Debug)]
pub(super) struct WarningLimiter {
    last_warning_us: i64,
    suppressed: u64,
}

impl Default for WarningLimiter {
    fn default() -> Self {
        Self {
            last_warning_us: i64::MIN,
            suppressed: 0,
        }
    }
}

impl WarningLimiter {
    fn allow(&mut self, now_us: i64) -> bool {
        let allowed = now_us.saturating_sub(self.last_warning_us) >= WARNING_INTERVAL_US;
        if allowed {
            self.last_warning_us = now_us;
        }
        allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_to_the_shard_statistics_by_reason() {
        let mut batch = BatchRejections::new(false, 4);
        batch.record(0, Rejection::TooLong, b"0123456789", None);
        batch.record(1, Rejection::Format(DecodeError::BadTime), b"x", None);
        batch.record(2, Rejection::Format(DecodeError::BadTime), b"y", None);
        batch.record(3, Rejection::Envelope(DecodeError::BadEnvelope), b"z", None);
        assert_eq!(batch.len(), 4);
        let mut stats = ShardStats {
            too_long: 1,
            ..ShardStats::default()
        };
        batch.count_into(&mut stats);
        assert_eq!(stats.too_long, 2);
        assert_eq!(stats.decode_errors[DecodeError::BadTime.index()], 2);
        assert_eq!(stats.decode_errors[DecodeError::BadEnvelope.index()], 1);
        assert_eq!(stats.decode_errors_total(), 5);
        assert!(
            batch.dead.is_none(),
            "nothing kept without a dead-letter file"
        );
    }

    #[test]
    fn dead_letters_keep_index_reason_and_a_cut_too_long_payload() {
        let mut batch = BatchRejections::new(true, 4);
        batch.record(3, Rejection::TooLong, b"0123456789", None);
        batch.record(5, Rejection::Format(DecodeError::BadStatus), b"abc", None);
        // One log record of a batch: its own line is kept (a copy), cut when too long.
        let record = b"record line".to_vec();
        batch.record(6, Rejection::TooLong, b"{batch}", Some(&record));
        batch.record(
            6,
            Rejection::Format(DecodeError::BadTime),
            b"{batch}",
            Some(b"r2"),
        );
        drop(record);
        let dead = batch.dead.as_ref().unwrap();
        let got: Vec<_> = dead
            .iter()
            .map(|d| (d.index, d.reason, &d.line[..]))
            .collect();
        assert_eq!(
            got,
            [
                (3, "too_long", &b"0123"[..]),
                (5, "bad_status", b"abc"),
                (6, "too_long", b"reco"),
                (6, "bad_time", b"r2"),
            ]
        );
        let (first, line) = batch.first.as_ref().unwrap();
        assert_eq!(
            (*first, &line[..]),
            (Rejection::TooLong, &b"0123456789"[..])
        );
        assert!(
            matches!(line, Cow::Borrowed(_)),
            "a whole payload is not copied"
        );
    }

    #[test]
    fn one_warning_per_interval() {
        let mut limiter = WarningLimiter::default();
        assert!(limiter.allow(0));
        assert!(!limiter.allow(WARNING_INTERVAL_US - 1));
        assert!(limiter.allow(WARNING_INTERVAL_US));
    }
}

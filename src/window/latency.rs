//! Latency histograms per service, at coarse time resolution, for percentiles.
//!
//! Each service keeps [`LATENCY_SLOTS`] HDR histograms of [`LATENCY_BUCKET_US`] each, so
//! percentiles cover the last hour in 5-minute steps with 2 significant digits (1 %).
//! Latency SLIs do not use these: they count against their threshold exactly in
//! [`super::ring`]. Values above [`MAX_LATENCY_US`] are clamped to it.

use hdrhistogram::Histogram;

use crate::time::{HOUR, MINUTE};

/// Width of one histogram bucket.
pub const LATENCY_BUCKET_US: i64 = 5 * MINUTE;
/// How many buckets each service keeps (one hour).
pub const LATENCY_SLOTS: usize = (HOUR / LATENCY_BUCKET_US) as usize;
/// Largest latency recorded exactly; larger values are clamped (one hour).
pub const MAX_LATENCY_US: u64 = HOUR as u64;

/// A fresh empty histogram with the shape every latency histogram shares.
pub fn empty_histogram() -> Histogram<u64> {
    // Bounds are constants known to be valid, so this cannot fail.
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 2).expect("valid histogram bounds")
}

/// The last hour of latency histograms of one service in one shard.
#[derive(Debug, Clone)]
pub struct LatencyRing {
    slots: Vec<(i64, Histogram<u64>)>,
    /// The sum of every slot's histogram, kept as values are recorded and slots reused, so
    /// that an evaluation whose hour covers every held slot adds one histogram, not twelve.
    sum: Histogram<u64>,
}

impl Default for LatencyRing {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyRing {
    /// An empty ring. Histograms are allocated up front so recording never allocates.
    pub fn new() -> Self {
        Self {
            slots: (0..LATENCY_SLOTS)
                .map(|_| (i64::MIN, empty_histogram()))
                .collect(),
            sum: empty_histogram(),
        }
    }

    /// Records one latency observed at `time_us`; dropped if its bucket has been reused.
    pub fn record(&mut self, time_us: i64, latency_us: i64) {
        self.record_n(time_us, latency_us, 1);
    }

    /// Records `count` latencies of `latency_us` observed at `time_us`.
    pub fn record_n(&mut self, time_us: i64, latency_us: i64, count: u64) {
        let bucket = time_us.div_euclid(LATENCY_BUCKET_US);
        let i = bucket.rem_euclid(LATENCY_SLOTS as i64) as usize;
        let (held, hist) = &mut self.slots[i];
        if *held != bucket {
            if *held > bucket {
                return;
            }
            *held = bucket;
            // Same bounds, and `hist` is part of the sum, so this cannot fail.
            let _ = self.sum.subtract(&*hist);
            hist.reset();
        }
        let value = latency_us.clamp(1, MAX_LATENCY_US as i64) as u64;
        hist.saturating_record_n(value, count);
        self.sum.saturating_record_n(value, count);
    }

    /// Calls `read` with the sum of every bucket whose start lies in `[from_us, to_us)`: the
    /// ring's running sum when it holds nothing else (no copy), otherwise `scratch` (made on
    /// first need), emptied and filled with those buckets. One scratch histogram serves any
    /// number of rings, so reading thousands of services touches 25 KB of fresh memory, not
    /// 25 KB each.
    pub fn with_merged<R>(
        &self,
        from_us: i64,
        to_us: i64,
        scratch: &mut Option<Histogram<u64>>,
        read: impl FnOnce(&Histogram<u64>) -> R,
    ) -> R {
        let in_range =
            |bucket: i64| (from_us..to_us).contains(&bucket.saturating_mul(LATENCY_BUCKET_US));
        let all_in_range = self
            .slots
            .iter()
            .all(|(bucket, hist)| *bucket == i64::MIN || hist.is_empty() || in_range(*bucket));
        if all_in_range {
            return read(&self.sum);
        }
        let scratch = scratch.get_or_insert_with(empty_histogram);
        scratch.reset();
        for (bucket, hist) in &self.slots {
            if *bucket != i64::MIN && in_range(*bucket) && !hist.is_empty() {
                // Same bounds on both sides, so adding cannot fail.
                let _ = scratch.add(hist);
            }
        }
        read(scratch)
    }
}

/// One histogram bucket for a checkpoint: its epoch bucket index and `(value, count)` pairs.
pub type LatencyBucketState = (i64, Vec<(u64, u64)>);

impl LatencyRing {
    /// Every non-empty histogram, for a checkpoint.
    pub fn export(&self) -> Vec<LatencyBucketState> {
        self.slots
            .iter()
            .filter(|(bucket, h)| *bucket != i64::MIN && !h.is_empty())
            .map(|(bucket, h)| {
                let values = h
                    .iter_recorded()
                    .map(|v| (v.value_iterated_to(), v.count_at_value()))
                    .collect();
                (*bucket, values)
            })
            .collect()
    }

    /// Adds exported histograms back (buckets no longer retained are skipped).
    pub fn import(&mut self, buckets: &[LatencyBucketState]) {
        for (bucket, values) in buckets {
            let i = bucket.rem_euclid(LATENCY_SLOTS as i64) as usize;
            let (held, hist) = &mut self.slots[i];
            if *held < *bucket {
                *held = *bucket;
                let _ = self.sum.subtract(&*hist);
                hist.reset();
            }
            if *held == *bucket {
                for &(value, count) in values {
                    let value = value.clamp(1, MAX_LATENCY_US);
                    hist.saturating_record_n(value, count);
                    self.sum.saturating_record_n(value, count);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_over_the_last_hour() {
        let mut r = LatencyRing::new();
        let t0 = 1_700_000_000_000_000 / LATENCY_BUCKET_US * LATENCY_BUCKET_US;
        for i in 0..1000 {
            r.record(t0 + i, (i + 1) * 1000);
        }
        r.record(t0 - HOUR, 5); // a bucket an hour older, overwritten below
        r.record(t0 + LATENCY_BUCKET_US * 12, 7); // reuses the first slot
        let mut scratch = None;
        let len = r.with_merged(t0, t0 + HOUR, &mut scratch, Histogram::len);
        assert_eq!(len, 0, "first bucket was overwritten by a newer one");
        let len = r.with_merged(t0 + 1, t0 + 2 * HOUR, &mut scratch, Histogram::len);
        assert_eq!(len, 1);

        let mut r = LatencyRing::new();
        for i in 0..1000 {
            r.record(t0 + i, (i + 1) * 1000);
        }
        let p99 = r.with_merged(t0, t0 + HOUR, &mut scratch, |h| h.value_at_quantile(0.99));
        let p99 = p99 as f64;
        assert!((p99 - 990_000.0).abs() / 990_000.0 < 0.01, "{p99}");
    }

    /// Every held slot merged one by one, as `with_merged` does when the range leaves some
    /// out.
    fn slot_by_slot(r: &LatencyRing, from: i64, to: i64) -> Histogram<u64> {
        let mut h = empty_histogram();
        for (bucket, hist) in &r.slots {
            if *bucket != i64::MIN && (from..to).contains(&(bucket * LATENCY_BUCKET_US)) {
                h.add(hist).unwrap();
            }
        }
        h
    }

    proptest::proptest! {
        /// The running sum gives what adding the slots one by one gives, however events
        /// arrive (in order, late, after a gap that reuses slots) and after a checkpoint; a
        /// scratch histogram left full by another ring is emptied first.
        #[test]
        fn the_running_sum_equals_the_slots(
            events in proptest::collection::vec((0..40i64, 0..600i64, 1..2_000_000i64), 1..200),
            end_bucket in 0..45i64,
        ) {
            let t0 = 1_700_000_000_000_000 / LATENCY_BUCKET_US * LATENCY_BUCKET_US;
            let mut r = LatencyRing::new();
            for &(bucket, offset_s, latency) in &events {
                r.record(t0 + bucket * LATENCY_BUCKET_US + offset_s * 1_000_000 / 2, latency);
            }
            let end = t0 + end_bucket * LATENCY_BUCKET_US;
            let mut full = empty_histogram();
            full.record_n(123_456, 7).unwrap();
            let mut scratch = Some(full);
            for (from, to) in [(end - HOUR, end), (t0 - HOUR, t0 + 100 * HOUR)] {
                let merged = r.with_merged(from, to, &mut scratch, Clone::clone);
                proptest::prop_assert_eq!(&merged, &slot_by_slot(&r, from, to));
            }
            let mut restored = LatencyRing::new();
            restored.import(&r.export());
            let (from, to) = (t0 - HOUR, t0 + 100 * HOUR);
            let merged = restored.with_merged(from, to, &mut scratch, Clone::clone);
            proptest::prop_assert_eq!(&merged, &slot_by_slot(&r, from, to));
        }
    }
}

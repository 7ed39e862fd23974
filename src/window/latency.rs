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
        }
    }

    /// Records one latency observed at `time_us`; dropped if its bucket has been reused.
    pub fn record(&mut self, time_us: i64, latency_us: i64) {
        let bucket = time_us.div_euclid(LATENCY_BUCKET_US);
        let i = bucket.rem_euclid(LATENCY_SLOTS as i64) as usize;
        let (held, hist) = &mut self.slots[i];
        if *held != bucket {
            if *held > bucket {
                return;
            }
            *held = bucket;
            hist.reset();
        }
        hist.saturating_record(latency_us.clamp(1, MAX_LATENCY_US as i64) as u64);
    }

    /// Adds into `into` every bucket whose start lies in `[from_us, to_us)`.
    pub fn merge_into(&self, from_us: i64, to_us: i64, into: &mut Histogram<u64>) {
        for (bucket, hist) in &self.slots {
            let start = bucket.saturating_mul(LATENCY_BUCKET_US);
            if *bucket != i64::MIN && (from_us..to_us).contains(&start) && !hist.is_empty() {
                // Same bounds on both sides, so adding cannot fail.
                let _ = into.add(hist);
            }
        }
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
                hist.reset();
            }
            if *held == *bucket {
                for &(value, count) in values {
                    hist.saturating_record_n(value.clamp(1, MAX_LATENCY_US), count);
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
        let mut h = empty_histogram();
        r.merge_into(t0, t0 + HOUR, &mut h);
        assert_eq!(h.len(), 0, "first bucket was overwritten by a newer one");
        let mut h = empty_histogram();
        r.merge_into(t0 + 1, t0 + 2 * HOUR, &mut h);
        assert_eq!(h.len(), 1);

        let mut r = LatencyRing::new();
        for i in 0..1000 {
            r.record(t0 + i, (i + 1) * 1000);
        }
        let mut h = empty_histogram();
        r.merge_into(t0, t0 + HOUR, &mut h);
        let p99 = h.value_at_quantile(0.99) as f64;
        assert!((p99 - 990_000.0).abs() / 990_000.0 < 0.01, "{p99}");
    }
}

//! Capacity per service: its request rate now and at its busiest minute of the last day and
//! week, latency, concurrency by Little's law, headroom against a configured capacity, and
//! week-over-week growth with the days left until 70 % of capacity at that growth.
//!
//! Everything is read from the service's [`CapacityRing`] (exact requests and latency sums
//! per event-time minute and hour) and its latency histograms, at the evaluation time T of
//! the SLO reports, over whole minutes before it:
//!
//! - **now**: the last [`NOW_US`] of whole minutes, `[⌊T⌋ₘ − 5 m, ⌊T⌋ₘ)`: rate λ = requests /
//!   300 s, mean latency W = latency sum / requests with a latency, concurrency L = λ × W
//!   (Little's law: 1,000 req/s × 0.2 s = 200 in flight).
//! - **peak_1d**, **peak_7d**: the minute with the most requests among those starting in the
//!   last day (week) of whole minutes, with its own λ, W and L. Minutes older than the ring
//!   holds one by one are known by each hour's peak, so a search that would start inside
//!   such an hour starts at the next whole hour (`searched_from`): exact, never a bound.
//! - **latency**: count, mean and p95 over the latency histograms' last hour (the `latency_ms`
//!   window of the SLO reports, 2 significant digits).
//! - **week over week**: requests in the last 7 days of whole hours against the 7 before;
//!   the growth `this / last − 1` only once the service has counted through the whole
//!   earlier week (its oldest counted hour is at or before that week's start).
//! - **capacity** (with `spec.services[].capacity`): the demand is the rate (`max_rps`) or
//!   the concurrency (`max_concurrency`); instances needed `⌈peak_7d / per instance⌉`, with
//!   headroom `⌈peak_7d × (1 + headroom) / per instance⌉`, utilization now and at the peak
//!   against `instances × per instance`, and the days until the 7-day peak reaches
//!   [`UTILIZATION_LIMIT`] of capacity if it grows by the week-over-week rate compounded:
//!   `7 × ln(0.7 C / P) / ln(1 + g)`; 0 when it is there already, `null` without growth.

use serde::Serialize;

use crate::time::{DAY, HOUR, MINUTE, SECOND, floor_to, format_duration, format_rfc3339};
use crate::window::latency::{LATENCY_BUCKET_US, LatencyRing};
use crate::window::{CapacityRing, Peak, Store, Sums};

/// How far back "now" reaches: five whole minutes.
pub const NOW_US: i64 = 5 * MINUTE;
/// The share of capacity that `days_to_limit` counts towards.
pub const UTILIZATION_LIMIT: f64 = 0.7;
/// The latency window, as the SLO reports' `latency_ms`.
const LATENCY_US: i64 = HOUR;

/// What one instance of a service can take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// Requests per second.
    Rps(f64),
    /// Requests in flight.
    Concurrency(f64),
}

impl Limit {
    fn name(self) -> &'static str {
        match self {
            Limit::Rps(_) => "max_rps",
            Limit::Concurrency(_) => "max_concurrency",
        }
    }

    fn per_instance(self) -> f64 {
        match self {
            Limit::Rps(v) | Limit::Concurrency(v) => v,
        }
    }

    /// The demand of `load` in this limit's unit: its rate or its concurrency.
    fn demand(self, load: &Load) -> Option<f64> {
        match self {
            Limit::Rps(_) => Some(load.rate_per_second),
            Limit::Concurrency(_) => load.concurrency,
        }
    }
}

/// A service's configured capacity (`spec.services[].capacity`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CapacityPlan {
    /// What one instance takes.
    pub limit: Limit,
    /// Instances running.
    pub instances: u32,
    /// Spare capacity wanted above the peak, as a ratio (0.5: 50 %).
    pub headroom: f64,
}

/// The load of a range of whole minutes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Load {
    /// First instant, RFC 3339.
    pub start: String,
    /// First instant after, RFC 3339.
    pub end: String,
    /// Requests in `[start, end)`.
    pub requests: u64,
    /// Requests per second.
    pub rate_per_second: f64,
    /// Mean latency of the requests with one, ms; `null` without any.
    pub mean_latency_ms: Option<f64>,
    /// Requests in flight on average, by Little's law (rate × mean latency); `null` without
    /// a latency.
    pub concurrency: Option<f64>,
}

impl Load {
    /// The load of `sums` over `[start_us, start_us + len_us)`.
    pub fn of(sums: Sums, start_us: i64, len_us: i64) -> Self {
        let rate = sums.requests as f64 / (len_us as f64 / SECOND as f64);
        let mean_s = (sums.measured > 0)
            .then(|| sums.latency_sum_us as f64 / sums.measured as f64 / SECOND as f64);
        Self {
            start: format_rfc3339(start_us),
            end: format_rfc3339(start_us + len_us),
            requests: sums.requests,
            rate_per_second: rate,
            mean_latency_ms: mean_s.map(|s| s * 1_000.0),
            concurrency: mean_s.map(|s| rate * s),
        }
    }

    fn peak(p: Peak) -> Self {
        Self::of(p.sums, p.minute_start_us, MINUTE)
    }
}

/// The busiest minute of a range, and where the search began.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeakLoad {
    /// The first minute searched, RFC 3339: a day (a week) before the end, or the first
    /// whole hour after that when minutes that far back are kept only as each hour's peak
    /// (the peak is exact from here on).
    pub searched_from: String,
    /// The minute.
    #[serde(flatten)]
    pub minute: Load,
}

/// The busiest minute of `ring` among those starting in `[from_us, end_us)`, searched from
/// where that is exact.
fn peak_of(ring: &CapacityRing, from_us: i64, end_us: i64) -> Option<PeakLoad> {
    let from = ring.exact_peak_from_us(from_us);
    ring.peak(from, end_us).map(|p| PeakLoad {
        searched_from: format_rfc3339(from),
        minute: Load::peak(p),
    })
}

/// Latency over the histograms' last hour.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Nominal window, `1h`.
    pub window: String,
    /// Requests with a latency in it.
    pub count: u64,
    /// Mean, ms (of the histogram's values: 2 significant digits).
    pub mean: Option<f64>,
    /// 95th percentile, ms.
    pub p95: Option<f64>,
}

/// Requests of the last two weeks of whole hours.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekOverWeek {
    /// Start of the earlier week, RFC 3339.
    pub start: String,
    /// End of the later week (T rounded down to the hour), RFC 3339.
    pub end: String,
    /// Requests in the last 7 days.
    pub this_week: u64,
    /// Requests in the 7 days before.
    pub last_week: u64,
    /// `this_week / last_week − 1`; `null` until the service has been counted through the
    /// whole earlier week, or when it had no request.
    pub growth: Option<f64>,
}

/// The service against its configured capacity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Headroom {
    /// `max_rps` or `max_concurrency`.
    pub limit: &'static str,
    /// What one instance takes, in the limit's unit.
    pub per_instance: f64,
    /// Instances running.
    pub instances: u32,
    /// Spare capacity wanted, as a ratio.
    pub headroom: f64,
    /// `instances × per_instance`.
    pub capacity: f64,
    /// Demand now (rate or concurrency); `null` for a concurrency without latencies.
    pub demand_now: Option<f64>,
    /// Demand at the busiest minute of the last 7 days.
    pub demand_peak_7d: Option<f64>,
    /// `demand_now / capacity`.
    pub utilization_now: Option<f64>,
    /// `demand_peak_7d / capacity`.
    pub utilization_peak_7d: Option<f64>,
    /// Instances the 7-day peak needs.
    pub instances_needed: Option<u64>,
    /// Instances the 7-day peak needs with the headroom.
    pub instances_with_headroom: Option<u64>,
    /// Days until the 7-day peak reaches 70 % of capacity at the week-over-week growth; 0
    /// when it is there already; `null` without growth.
    pub days_to_limit: Option<f64>,
    /// One line: "4 instances needed, 6 with 50 % headroom (6 running)".
    pub summary: String,
}

/// One service's capacity figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceCapacity {
    /// The service.
    pub service: String,
    /// The last five whole minutes.
    pub now: Load,
    /// The busiest minute of the last day; `null` without requests.
    pub peak_1d: Option<PeakLoad>,
    /// The busiest minute of the last 7 days; `null` without requests.
    pub peak_7d: Option<PeakLoad>,
    /// Latency over the last hour.
    pub latency_ms: LatencySummary,
    /// The last two weeks.
    pub week_over_week: WeekOverWeek,
    /// Against `spec.services[].capacity`, when configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Headroom>,
}

/// `GET /v1/capacity`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapacityReport {
    /// Evaluation time T, RFC 3339.
    pub evaluated_at: String,
    /// Per service, in configuration order.
    pub services: Vec<ServiceCapacity>,
}

/// `x` rounded up to a whole number, forgiving the rounding error of a product that is whole
/// (4 × 1.5 = 6.000000000000001 needs 6).
fn ceil(x: f64) -> u64 {
    (x - 1e-9).ceil().max(0.0) as u64
}

/// The headroom figures of `plan` for demand `now` and `peak` (its unit), with weekly
/// `growth`.
pub fn headroom(
    plan: &CapacityPlan,
    now: &Load,
    peak: Option<&Load>,
    growth: Option<f64>,
) -> Headroom {
    let per = plan.limit.per_instance();
    let capacity = per * f64::from(plan.instances);
    let demand_now = plan.limit.demand(now);
    let demand_peak = peak.map_or(demand_now, |p| plan.limit.demand(p));
    let needed = demand_peak.map(|d| ceil(d / per));
    let with_headroom = demand_peak.map(|d| ceil(d * (1.0 + plan.headroom) / per));
    let days_to_limit = demand_peak.and_then(|d| {
        let limit = UTILIZATION_LIMIT * capacity;
        if d >= limit {
            Some(0.0)
        } else {
            match growth {
                Some(g) if g > 0.0 && d > 0.0 => Some(7.0 * (limit / d).ln() / (1.0 + g).ln()),
                _ => None,
            }
        }
    });
    let summary = match (needed, with_headroom) {
        (Some(n), Some(h)) => format!(
            "{n} instance{} needed, {h} with {} % headroom ({} running)",
            if n == 1 { "" } else { "s" },
            (plan.headroom * 100.0).round(),
            plan.instances
        ),
        _ => "no latency to size concurrency by".to_string(),
    };
    Headroom {
        limit: plan.limit.name(),
        per_instance: per,
        instances: plan.instances,
        headroom: plan.headroom,
        capacity,
        demand_now,
        demand_peak_7d: demand_peak,
        utilization_now: demand_now.map(|d| d / capacity),
        utilization_peak_7d: demand_peak.map(|d| d / capacity),
        instances_needed: needed,
        instances_with_headroom: with_headroom,
        days_to_limit,
        summary,
    }
}

/// The capacity figures of service `service` from its rings, at evaluation time `t_us`.
pub fn service_capacity(
    service: &str,
    plan: Option<&CapacityPlan>,
    ring: &CapacityRing,
    latency: &LatencyRing,
    t_us: i64,
    scratch: &mut Option<hdrhistogram::Histogram<u64>>,
) -> ServiceCapacity {
    let end = floor_to(t_us, MINUTE);
    let now = Load::of(ring.minutes(end - NOW_US, end), end - NOW_US, NOW_US);
    let peak_1d = peak_of(ring, end - DAY, end);
    let peak_7d = peak_of(ring, end - 7 * DAY, end);
    let latency_from = floor_to(t_us - LATENCY_US, LATENCY_BUCKET_US) + LATENCY_BUCKET_US;
    let latency_ms = latency.with_merged(latency_from, t_us + 1, scratch, |h| LatencySummary {
        window: format_duration(LATENCY_US),
        count: h.len(),
        mean: (!h.is_empty()).then(|| h.mean() / 1_000.0),
        p95: (!h.is_empty()).then(|| h.value_at_quantile(0.95) as f64 / 1_000.0),
    });
    let hour = floor_to(t_us, HOUR);
    let (this_week, last_week) = (
        ring.hours(hour - 7 * DAY, hour).requests,
        ring.hours(hour - 14 * DAY, hour - 7 * DAY).requests,
    );
    let counted_through = ring
        .oldest_counted_hour_us()
        .is_some_and(|oldest| oldest <= hour - 14 * DAY);
    let growth =
        (counted_through && last_week > 0).then(|| this_week as f64 / last_week as f64 - 1.0);
    ServiceCapacity {
        service: service.to_string(),
        capacity: plan.map(|p| headroom(p, &now, peak_7d.as_ref().map(|p| &p.minute), growth)),
        now,
        peak_1d,
        peak_7d,
        latency_ms,
        week_over_week: WeekOverWeek {
            start: format_rfc3339(hour - 14 * DAY),
            end: format_rfc3339(hour),
            this_week,
            last_week,
            growth,
        },
    }
}

/// The capacity of every service for which `keep(name)` is true (`names` and `plans` by
/// service index), at the store's evaluation time for wall clock `now_us`. The counters'
/// lock is held while the rings are read (a few thousand slots per service).
pub fn capacity(
    store: &Store,
    names: &[String],
    plans: &[Option<CapacityPlan>],
    now_us: i64,
    keep: impl Fn(&str) -> bool,
) -> CapacityReport {
    let t = store.evaluation_time(now_us);
    let counters = store.counters();
    let mut scratch = None;
    let services = names
        .iter()
        .enumerate()
        .filter(|(_, name)| keep(name))
        .map(|(i, name)| {
            service_capacity(
                name,
                plans.get(i).and_then(Option::as_ref),
                counters.capacity(i),
                counters.latency(i),
                t,
                &mut scratch,
            )
        })
        .collect();
    CapacityReport {
        evaluated_at: format_rfc3339(t),
        services,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(requests: u64, measured: u64, latency_sum_us: u64, len_us: i64) -> Load {
        Load::of(
            Sums {
                requests,
                measured,
                latency_sum_us,
            },
            0,
            len_us,
        )
    }

    #[test]
    fn littles_law_is_rate_times_mean_latency() {
        // 300,000 requests in 5 minutes = 1,000/s, each 200 ms: 200 in flight.
        let l = load(300_000, 300_000, 300_000 * 200_000, NOW_US);
        assert_eq!(l.rate_per_second, 1_000.0);
        assert_eq!(l.mean_latency_ms, Some(200.0));
        assert!((l.concurrency.unwrap() - 200.0).abs() < 1e-9);
        // Requests without a latency count in the rate, not in the mean.
        let l = load(120, 60, 60 * 50_000, MINUTE);
        assert_eq!(l.rate_per_second, 2.0);
        assert_eq!(l.mean_latency_ms, Some(50.0));
        assert!((l.concurrency.unwrap() - 0.1).abs() < 1e-12);
        let l = load(10, 0, 0, MINUTE);
        assert_eq!((l.mean_latency_ms, l.concurrency), (None, None));
    }

    #[test]
    fn headroom_by_rate_matches_a_hand_computation() {
        let plan = CapacityPlan {
            limit: Limit::Rps(250.0),
            instances: 6,
            headroom: 0.5,
        };
        // Peak 1,000/s over 250/s per instance: 4 needed, 6 with 50 %; capacity 1,500/s.
        let peak = load(60_000, 0, 0, MINUTE);
        let now = load(150_000, 0, 0, NOW_US); // 500/s
        let h = headroom(&plan, &now, Some(&peak), Some(0.1));
        assert_eq!(h.capacity, 1_500.0);
        assert_eq!(h.instances_needed, Some(4));
        assert_eq!(h.instances_with_headroom, Some(6));
        assert_eq!(h.utilization_now, Some(500.0 / 1_500.0));
        assert_eq!(h.utilization_peak_7d, Some(1_000.0 / 1_500.0));
        assert_eq!(
            h.summary,
            "4 instances needed, 6 with 50 % headroom (6 running)"
        );
        // 70 % of 1,500 is 1,050: 1,000 × 1.1^(d/7) = 1,050 ⇒ d = 7 ln 1.05 / ln 1.1.
        let d = h.days_to_limit.unwrap();
        assert!((d - 7.0 * 1.05f64.ln() / 1.1f64.ln()).abs() < 1e-9, "{d}");
        assert!((d - 3.58).abs() < 0.01, "{d}");
        // Already past 70 %: 0 days; shrinking or flat traffic: never.
        let hot = load(66_000, 0, 0, MINUTE); // 1,100/s
        assert_eq!(
            headroom(&plan, &now, Some(&hot), None).days_to_limit,
            Some(0.0)
        );
        assert_eq!(
            headroom(&plan, &now, Some(&peak), Some(-0.2)).days_to_limit,
            None
        );
        assert_eq!(headroom(&plan, &now, Some(&peak), None).days_to_limit, None);
    }

    #[test]
    fn headroom_by_concurrency_uses_littles_law() {
        let plan = CapacityPlan {
            limit: Limit::Concurrency(64.0),
            instances: 3,
            headroom: 0.25,
        };
        // Peak minute: 12,000 requests (200/s) of 0.5 s each: 100 in flight.
        let peak = load(12_000, 12_000, 12_000 * 500_000, MINUTE);
        let now = load(30_000, 30_000, 30_000 * 400_000, NOW_US); // 100/s × 0.4 s = 40
        let h = headroom(&plan, &now, Some(&peak), None);
        assert_eq!(h.limit, "max_concurrency");
        assert_eq!(h.capacity, 192.0);
        assert!((h.demand_peak_7d.unwrap() - 100.0).abs() < 1e-9);
        assert!((h.demand_now.unwrap() - 40.0).abs() < 1e-9);
        // ⌈100 / 64⌉ = 2; ⌈125 / 64⌉ = 2.
        assert_eq!(h.instances_needed, Some(2));
        assert_eq!(h.instances_with_headroom, Some(2));
        assert_eq!(
            h.summary,
            "2 instances needed, 2 with 25 % headroom (3 running)"
        );
        // Without latencies there is no concurrency to size by.
        let blind = load(12_000, 0, 0, MINUTE);
        let h = headroom(&plan, &blind, Some(&blind), None);
        assert_eq!(h.instances_needed, None);
        assert_eq!(h.summary, "no latency to size concurrency by");
    }
}

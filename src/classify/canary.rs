//! Canary vs baseline (`spec.services[].canary`): which variant of its service an event
//! belongs to, decided with the event like its SLO verdicts, and the criteria a comparison
//! is judged by ([`crate::evaluate::canary`]).
//!
//! A variant is picked by the same selectors as a service (`host`, `path_prefix`, `method`,
//! `backend`: a backend or an ALB target group's name). The canary's selectors are tried
//! first, so an event both would take is the canary's; an event neither takes is counted by
//! its service only.

use super::Matcher;
use crate::decode::Event;
use crate::time::MINUTE;

/// One side of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    /// The new version.
    Canary,
    /// The version it is compared with.
    Baseline,
}

impl Variant {
    /// Both, canary first.
    pub const ALL: [Variant; 2] = [Variant::Canary, Variant::Baseline];

    /// `canary` or `baseline`.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Canary => "canary",
            Variant::Baseline => "baseline",
        }
    }

    /// Its position in [`Variant::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// When a canary is judged worse than its baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Criteria {
    /// Fewest requests each variant needs before any verdict.
    pub min_requests: u64,
    /// Largest tolerated excess of the canary's error rate (5xx / requests) over the
    /// baseline's, as a ratio (0.001 is 0.1 percentage point).
    pub max_error_rate_increase: f64,
    /// Largest tolerated excess of the canary's p95 latency over the baseline's, µs.
    pub max_p95_increase_us: i64,
    /// How sure a test must be that the canary is worse before it counts (0.95: a
    /// one-sided test at the 5 % level).
    pub confidence: f64,
}

impl Default for Criteria {
    fn default() -> Self {
        Self {
            min_requests: 1_000,
            max_error_rate_increase: 0.001,
            max_p95_increase_us: 50_000,
            confidence: 0.95,
        }
    }
}

/// `spec.services[].canary`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct CanaryConfig {
    /// Selectors of the canary's events.
    pub canary: Matcher,
    /// Selectors of the baseline's events.
    pub baseline: Matcher,
    /// The window compared when a query names none, µs (whole minutes).
    pub window_us: i64,
    /// Minutes of counts kept, so the longest window a query may ask for.
    pub retention_minutes: usize,
    /// The verdict's criteria.
    pub criteria: Criteria,
}

impl CanaryConfig {
    /// The variant `event` (of this config's service) belongs to, if any.
    pub fn variant_of(&self, event: &Event<'_>) -> Option<Variant> {
        if self.canary.matches(event) {
            Some(Variant::Canary)
        } else if self.baseline.matches(event) {
            Some(Variant::Baseline)
        } else {
            None
        }
    }

    /// The longest window a query can ask for, µs.
    pub fn retention_us(&self) -> i64 {
        self.retention_minutes as i64 * MINUTE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(backend: &'static [u8], host: &'static [u8]) -> Event<'static> {
        Event {
            time_us: 0,
            status: 200,
            latency_us: Some(1_000),
            method: b"GET",
            host,
            path: b"/",
            backend,
            long_lived: false,
            request_id: b"",
            client: b"",
        }
    }

    #[test]
    fn canary_selectors_win_and_others_belong_to_neither() {
        let config = CanaryConfig {
            canary: Matcher {
                backend: Some("checkout-canary".into()),
                ..Matcher::default()
            },
            baseline: Matcher {
                host: Some("shop.example.com".into()),
                ..Matcher::default()
            },
            window_us: 30 * MINUTE,
            retention_minutes: 60,
            criteria: Criteria::default(),
        };
        let arn = b"arn:aws:elasticloadbalancing:us-east-2:1:targetgroup/checkout-canary/73e2";
        assert_eq!(
            config.variant_of(&event(arn, b"shop.example.com")),
            Some(Variant::Canary)
        );
        assert_eq!(
            config.variant_of(&event(b"checkout-stable", b"SHOP.example.com")),
            Some(Variant::Baseline)
        );
        assert_eq!(
            config.variant_of(&event(b"checkout-stable", b"other.example.com")),
            None
        );
        assert_eq!(Variant::ALL.map(Variant::name), ["canary", "baseline"]);
        assert_eq!(config.retention_us(), 60 * MINUTE);
    }
}

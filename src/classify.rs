//! Classify: which service an event belongs to, and whether it is good or bad for each SLO.
//!
//! Services are matched in configuration order by selectors on decoded fields (host, path
//! prefix, method, backend); the first match wins and an event matching no service is
//! counted as unmatched by the caller. Each SLO of the matched service then decides:
//!
//! - availability / error rate / throughput: good unless the status is 5xx;
//! - latency: good when the status is not 5xx and the latency is at most the threshold.
//!   A request with unknown latency counts as bad when its status is 5xx (a 504 is a slow
//!   request) and is left out when its status is good; long-lived connections (ALB `ws`/`wss`)
//!   are left out of latency SLIs.
//!
//! Everything here is allocation-free per event.
//!
//! Beside the per-event functions ([`Classifier::service_of`], [`SloRule::outcome`]) sit
//! explain-only twins ([`Matcher::check`], [`SloRule::explain`]) that also say *why*, for
//! `slipstream explain`; they allocate and are never called on the hot path, and tests hold
//! them to the same verdicts.

pub mod attribution;
pub mod canary;
mod matcher;
pub mod paths;

use std::collections::HashMap;

use crate::decode::Event;

pub use matcher::{Matcher, Selector, SelectorCheck, target_group_name, target_group_range};

/// A service: a name and the selector for its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Service name, unique.
    pub name: String,
    /// Which events belong to it.
    pub matcher: Matcher,
}

/// What an SLO measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sli {
    /// Good = status not 5xx (used for `availability` and `error_rate`).
    Availability,
    /// Good = status not 5xx and latency ≤ `threshold_us`.
    Latency {
        /// Latency threshold, µs (inclusive).
        threshold_us: i64,
    },
    /// Good = status not 5xx and latency > `floor_us` (an OpenSLO `thresholdMetric` with
    /// `op: gt` or `gte`: odd for a latency, but legal). A request whose latency is unknown is
    /// left out whatever its status: nothing says it was above.
    LatencyAbove {
        /// The largest latency that is not good, µs.
        floor_us: i64,
    },
    /// Good requests per second (status not 5xx); compared against a minimum rate.
    Throughput,
    /// A composite SLO: it classifies no event itself; its counts are its components'
    /// verdicts, weighted (see [`SloRule::parts`]).
    Composite,
}

/// How one SLO classifies its service's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SloRule {
    /// Index of the service in the service list.
    pub service: usize,
    /// What is measured.
    pub sli: Sli,
    /// Extra selectors: the service's events they do not match are left out of this SLO.
    pub selector: Option<Matcher>,
    /// Statuses that make a request bad (default 5xx).
    pub bad_status: StatusSet,
    /// For a composite SLO ([`Sli::Composite`]): its components, each an SLO of its own
    /// whose verdicts it counts `units` times; empty for every other SLO. Part of the rule, so
    /// that a composite whose components or weights change starts its counts again.
    pub parts: Vec<Part>,
}

/// One component of a composite SLO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The component SLO's id, `service/slo`.
    pub slo: String,
    /// How the component classifies its service's events.
    pub rule: SloRule,
    /// How many times each of its events counts in the composite: its weight over the
    /// composite's weight unit, a whole number.
    pub units: u64,
}

impl SloRule {
    /// A rule over every event of `service`, with 5xx as the bad statuses.
    pub fn new(service: usize, sli: Sli) -> Self {
        Self {
            service,
            sli,
            selector: None,
            bad_status: StatusSet::SERVER_ERRORS,
            parts: Vec::new(),
        }
    }
}

/// A set of HTTP status codes (0–639), one bit each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusSet([u64; 10]);

impl StatusSet {
    /// No status.
    pub const EMPTY: StatusSet = StatusSet([0; 10]);
    /// 500–599.
    pub const SERVER_ERRORS: StatusSet = StatusSet::EMPTY.with_range(500, 599);

    /// This set plus every status in `from..=to` (clamped to 0–639).
    pub const fn with_range(mut self, from: u16, to: u16) -> StatusSet {
        let mut s = from;
        while s <= to && s < 640 {
            self.0[(s / 64) as usize] |= 1 << (s % 64);
            s += 1;
        }
        self
    }

    /// True when `status` is in the set.
    pub fn contains(&self, status: u16) -> bool {
        status < 640 && self.0[usize::from(status / 64)] & (1 << (status % 64)) != 0
    }
}

impl Default for StatusSet {
    fn default() -> Self {
        StatusSet::SERVER_ERRORS
    }
}

/// The verdict of one SLO on one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// In the SLI's total and good.
    Good,
    /// In the SLI's total and bad.
    Bad,
    /// Not part of this SLI.
    Excluded,
}

impl Outcome {
    /// Whether the event is good for the SLI; `None` when it is not part of it.
    pub fn good(self) -> Option<bool> {
        match self {
            Outcome::Good => Some(true),
            Outcome::Bad => Some(false),
            Outcome::Excluded => None,
        }
    }
}

/// Why an SLO rule gave its verdict (see [`SloRule::explain`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The status is in the bad set (5xx): bad, whatever the latency.
    BadStatus,
    /// The status is not in the bad set: good (availability, error rate, throughput).
    GoodStatus,
    /// A long-lived connection (ALB `ws`/`wss`): its duration is not a latency, excluded.
    LongLived,
    /// Latency unknown and the status good: excluded from the latency SLI.
    UnknownLatency,
    /// Latency at most the threshold (inclusive): good.
    WithinThreshold {
        /// The event's latency, µs.
        latency_us: i64,
        /// The SLO's threshold, µs.
        threshold_us: i64,
    },
    /// The SLO's extra selectors do not match the event: excluded.
    NotSelected,
    /// Latency above the threshold: bad.
    OverThreshold {
        /// The event's latency, µs.
        latency_us: i64,
        /// The SLO's threshold, µs.
        threshold_us: i64,
    },
    /// Latency above the floor of a "good when above" SLI: good.
    AboveFloor {
        /// The event's latency, µs.
        latency_us: i64,
        /// The SLO's floor, µs (the largest latency that is not good).
        floor_us: i64,
    },
    /// Latency at most the floor of a "good when above" SLI: bad.
    NotAboveFloor {
        /// The event's latency, µs.
        latency_us: i64,
        /// The SLO's floor, µs.
        floor_us: i64,
    },
}

impl Reason {
    /// The verdict this reason leads to.
    pub fn outcome(self) -> Outcome {
        match self {
            Reason::GoodStatus | Reason::WithinThreshold { .. } | Reason::AboveFloor { .. } => {
                Outcome::Good
            }
            Reason::BadStatus | Reason::OverThreshold { .. } | Reason::NotAboveFloor { .. } => {
                Outcome::Bad
            }
            Reason::LongLived | Reason::UnknownLatency | Reason::NotSelected => Outcome::Excluded,
        }
    }

    /// Short snake_case label, stable for machine-readable output.
    pub fn label(self) -> &'static str {
        match self {
            Reason::BadStatus => "bad_status",
            Reason::GoodStatus => "good_status",
            Reason::LongLived => "long_lived",
            Reason::UnknownLatency => "unknown_latency",
            Reason::NotSelected => "not_selected",
            Reason::WithinThreshold { .. } => "within_threshold",
            Reason::OverThreshold { .. } => "over_threshold",
            Reason::AboveFloor { .. } => "above_floor",
            Reason::NotAboveFloor { .. } => "not_above_floor",
        }
    }
}

impl Outcome {
    /// `good`, `bad` or `excluded`.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Good => "good",
            Outcome::Bad => "bad",
            Outcome::Excluded => "excluded",
        }
    }
}

/// True for statuses that count as server errors.
pub fn is_bad_status(status: u16) -> bool {
    (500..=599).contains(&status)
}

impl SloRule {
    /// The verdict for `event`, which belongs to this SLO's service.
    pub fn outcome(&self, event: &Event<'_>) -> Outcome {
        if self.selector.as_ref().is_some_and(|m| !m.matches(event)) {
            return Outcome::Excluded;
        }
        let bad_status = self.bad_status.contains(event.status);
        match self.sli {
            Sli::Composite => Outcome::Excluded,
            Sli::Availability | Sli::Throughput => {
                if bad_status {
                    Outcome::Bad
                } else {
                    Outcome::Good
                }
            }
            Sli::Latency { threshold_us } => {
                if event.long_lived {
                    Outcome::Excluded
                } else if bad_status {
                    Outcome::Bad
                } else {
                    match event.latency_us {
                        Some(l) if l <= threshold_us => Outcome::Good,
                        Some(_) => Outcome::Bad,
                        None => Outcome::Excluded,
                    }
                }
            }
            Sli::LatencyAbove { floor_us } => match event.latency_us {
                _ if event.long_lived => Outcome::Excluded,
                None => Outcome::Excluded,
                Some(_) if bad_status => Outcome::Bad,
                Some(l) if l > floor_us => Outcome::Good,
                Some(_) => Outcome::Bad,
            },
        }
    }
}

impl SloRule {
    /// The verdict for `event` with its reason; `explain(e).outcome() == outcome(e)` always.
    /// Explain only: the per-event path calls [`SloRule::outcome`].
    pub fn explain(&self, event: &Event<'_>) -> Reason {
        if self.selector.as_ref().is_some_and(|m| !m.matches(event)) {
            return Reason::NotSelected;
        }
        let bad_status = self.bad_status.contains(event.status);
        match self.sli {
            Sli::Composite => Reason::NotSelected,
            Sli::Availability | Sli::Throughput => {
                if bad_status {
                    Reason::BadStatus
                } else {
                    Reason::GoodStatus
                }
            }
            Sli::Latency { threshold_us } => {
                if event.long_lived {
                    Reason::LongLived
                } else if bad_status {
                    Reason::BadStatus
                } else {
                    match event.latency_us {
                        Some(latency_us) if latency_us <= threshold_us => Reason::WithinThreshold {
                            latency_us,
                            threshold_us,
                        },
                        Some(latency_us) => Reason::OverThreshold {
                            latency_us,
                            threshold_us,
                        },
                        None => Reason::UnknownLatency,
                    }
                }
            }
            Sli::LatencyAbove { floor_us } => match event.latency_us {
                _ if event.long_lived => Reason::LongLived,
                None => Reason::UnknownLatency,
                Some(_) if bad_status => Reason::BadStatus,
                Some(latency_us) if latency_us > floor_us => Reason::AboveFloor {
                    latency_us,
                    floor_us,
                },
                Some(latency_us) => Reason::NotAboveFloor {
                    latency_us,
                    floor_us,
                },
            },
        }
    }
}

/// Services and their SLOs, ready for the per-event path.
#[derive(Debug, Clone)]
pub struct Classifier {
    services: Vec<Service>,
    rules: Vec<SloRule>,
    /// For each service, the indexes of its SLOs in `rules`.
    by_service: Vec<Vec<usize>>,
    hosts: HostIndex,
}

/// Longest host looked up in [`HostIndex`]; longer ones (no DNS name is) fall back to
/// trying every service in order.
const MAX_INDEXED_HOST: usize = 256;

/// The services whose host selector names one host, by that host lowercased; and every
/// other service. Both lists keep configuration order, so the first matching service among
/// them is the first matching service of all: an event only tries the services its host
/// names and the services without an exact host, instead of the whole list.
///
/// The map hashes with foldhash rather than SipHash (a lookup per event): its keys come from
/// the configuration, so a log line can only probe it, never fill it with colliding keys.
#[derive(Debug, Clone, Default)]
struct HostIndex {
    exact: HashMap<Box<[u8]>, Vec<usize>, foldhash::fast::RandomState>,
    others: Vec<usize>,
}

impl HostIndex {
    fn new(services: &[Service]) -> Self {
        let mut index = HostIndex::default();
        for (i, s) in services.iter().enumerate() {
            match s.matcher.host.as_deref() {
                Some(host) if !host.starts_with("*.") && host.len() <= MAX_INDEXED_HOST => index
                    .exact
                    .entry(host.to_ascii_lowercase().into_bytes().into_boxed_slice())
                    .or_default()
                    .push(i),
                _ => index.others.push(i),
            }
        }
        index
    }
}

impl Classifier {
    /// Builds a classifier; every rule's `service` must index `services`. A composite SLO's
    /// rule is no service's: its components decide its events.
    pub fn new(services: Vec<Service>, rules: Vec<SloRule>) -> Self {
        let mut by_service = vec![Vec::new(); services.len()];
        for (i, rule) in rules.iter().enumerate() {
            if rule.sli != Sli::Composite {
                by_service[rule.service].push(i);
            }
        }
        Self {
            hosts: HostIndex::new(&services),
            services,
            rules,
            by_service,
        }
    }

    /// The services, in match order.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// The SLO rules, by SLO index.
    pub fn rules(&self) -> &[SloRule] {
        &self.rules
    }

    /// Index of the first service matching `event`.
    pub fn service_of(&self, event: &Event<'_>) -> Option<usize> {
        let matches = |&i: &usize| self.services[i].matcher.matches(event);
        let mut lower = [0u8; MAX_INDEXED_HOST];
        let Some(host) = lower.get_mut(..event.host.len()) else {
            return self.services.iter().position(|s| s.matcher.matches(event));
        };
        host.copy_from_slice(event.host);
        host.make_ascii_lowercase();
        let named = self.hosts.exact.get(&*host).map_or(&[][..], Vec::as_slice);
        let first_named = named.iter().copied().find(matches);
        let before = first_named.unwrap_or(usize::MAX);
        let first_other = self
            .hosts
            .others
            .iter()
            .copied()
            .take_while(|&i| i < before)
            .find(matches);
        first_other.or(first_named)
    }

    /// Indexes of the SLOs of service `service`.
    pub fn slos_of(&self, service: usize) -> &[usize] {
        &self.by_service[service]
    }

    /// Appends to `out` the verdict of each SLO of service `service` on `event`, in
    /// [`Classifier::slos_of`] order.
    pub fn verdicts(&self, service: usize, event: &Event<'_>, out: &mut Vec<Outcome>) {
        out.extend(
            self.by_service[service]
                .iter()
                .map(|&slo| self.rules[slo].outcome(event)),
        );
    }
}

#[cfg(test)]
mod tests;

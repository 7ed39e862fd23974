//! Incidents: they rotate over the services and alternate their kind, and hurt the right
//! service at the right time.

use std::collections::BTreeSet;

use super::*;

#[test]
fn incidents_rotate_and_alternate() {
    let g = Generator::new(42, default_services());
    let found = incidents(&g, NOON, NOON + 8 * INCIDENT_EVERY);
    assert_eq!(found.len(), 8);
    let mut pairs = BTreeSet::new();
    for (k, i) in found.iter().enumerate() {
        assert_eq!(i.end_us - i.start_us, INCIDENT_LENGTH);
        let slot_start = NOON + k as i64 * INCIDENT_EVERY;
        assert!(i.start_us >= slot_start && i.end_us <= slot_start + INCIDENT_EVERY);
        assert_eq!(g.incident_at(i.start_us), Some(*i));
        assert_eq!(g.incident_at(i.end_us), None);
        assert_eq!(g.incident_at(i.start_us - 1), None);
        if k > 0 {
            assert_ne!(i.kind, found[k - 1].kind);
            assert_ne!(i.service, found[k - 1].service);
        }
        pairs.insert((i.service, i.kind == IncidentKind::Errors));
    }
    // Every service has had both kinds.
    assert_eq!(pairs.len(), 8);
}

#[derive(Debug, Default)]
struct Tally {
    requests: u32,
    errors: u32,
    timeouts: u32,
    latencies: Vec<i64>,
}

impl Tally {
    fn error_ratio(&self) -> f64 {
        f64::from(self.errors) / f64::from(self.requests)
    }

    fn median(&mut self) -> i64 {
        self.latencies.sort_unstable();
        self.latencies[self.latencies.len() / 2]
    }
}

/// Per-service tallies of 40 000 requests spread over `[from, from + INCIDENT_LENGTH)`.
fn tally(g: &mut Generator, from: i64) -> Vec<Tally> {
    let mut t: Vec<Tally> = (0..4).map(|_| Tally::default()).collect();
    for k in 0..40_000 {
        let r = g.next_request(from + k * (INCIDENT_LENGTH / 40_000));
        let s = &mut t[r.service];
        s.requests += 1;
        s.errors += u32::from(r.status >= 500);
        s.timeouts += u32::from(r.status == 504);
        s.latencies.extend(r.latency_us);
    }
    t
}

#[test]
fn incidents_hurt_the_right_service_at_the_right_time() {
    let mut g = Generator::new(42, default_services());
    let found = incidents(&g, NOON, NOON + 2 * INCIDENT_EVERY);
    let errors = found
        .iter()
        .find(|i| i.kind == IncidentKind::Errors)
        .unwrap();
    let latency = found
        .iter()
        .find(|i| i.kind == IncidentKind::Latency)
        .unwrap();

    let (inside, outside) = (
        tally(&mut g, errors.start_us),
        tally(&mut g, errors.start_us - INCIDENT_LENGTH),
    );
    for s in 0..4 {
        assert!(outside[s].error_ratio() < 0.01, "service {s} outside");
        if s == errors.service {
            assert!(inside[s].error_ratio() > 0.04, "service {s} inside");
        } else {
            assert!(inside[s].error_ratio() < 0.01, "service {s} inside");
        }
    }

    let (mut inside, mut outside) = (
        tally(&mut g, latency.start_us),
        tally(&mut g, latency.start_us - INCIDENT_LENGTH),
    );
    for s in 0..4 {
        let (a, b) = (inside[s].median(), outside[s].median());
        if s == latency.service {
            assert!(a >= 4 * b, "service {s}: {a} vs {b}");
            assert!(inside[s].timeouts > 10, "{}", inside[s].timeouts);
        } else {
            assert!(a < 2 * b, "service {s}: {a} vs {b}");
            assert!(inside[s].timeouts < 10);
        }
        assert!(outside[s].timeouts < 10);
    }
}

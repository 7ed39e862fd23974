//! Fixtures shared by the benches (each bench includes this file with `mod common;`).

use slipstream::classify::{Classifier, Matcher, Service, Sli, SloRule};

/// `n` services `svc{i}` matching host `svc{i}.example.com`, each with an availability SLO and
/// a 300 ms latency SLO.
pub(crate) fn classifier(n: usize) -> Classifier {
    let services = (0..n)
        .map(|i| Service {
            name: format!("svc{i}"),
            matcher: Matcher {
                host: Some(format!("svc{i}.example.com")),
                ..Matcher::default()
            },
        })
        .collect();
    let rules = (0..n)
        .flat_map(|s| {
            [
                SloRule::new(s, Sli::Availability),
                SloRule::new(
                    s,
                    Sli::Latency {
                        threshold_us: 300_000,
                    },
                ),
            ]
        })
        .collect();
    Classifier::new(services, rules)
}

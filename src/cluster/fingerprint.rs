//! Fingerprints: which SLOs and services two configurations count the same way.
//!
//! A cluster's deltas name each SLO and service by a fingerprint: a hash of everything that
//! decides how an event counts for it. For a service that is the decoding (format, envelope,
//! JSON mapping, de-duplication), its name and split, and its matcher with
//! every matcher listed before it (the first matching service wins); for an SLO, its
//! service's fingerprint, its id and its rule (for a composite SLO, with its components'
//! rules, weights and services' fingerprints). It is the notion of "unchanged" that a reload
//! uses to keep an SLO's counts, so counts made under different definitions are never added:
//! the fold applies an SLO's counts only where the fingerprint is the local one.
//!
//! Fingerprints hash the definitions' debug form: stable within one version of slipstream.
//! Members of different versions whose form differs see every SLO as changed (partial, never
//! wrong) until they all run the same version.

use std::collections::HashMap;

use xxhash_rust::xxh3::Xxh3;

use crate::config::ReloadConfig;

/// The fingerprints of one configuration's SLOs and services, and the way back to indexes.
#[derive(Debug, Clone, Default)]
pub struct Fingerprints {
    /// Per SLO index.
    pub slos: Vec<u64>,
    /// Per service index.
    pub services: Vec<u64>,
    /// Per service index, with burn attribution: its service, its SLOs in order and the
    /// attribution settings, so minutes counted under other settings are never merged.
    pub attribution: Vec<Option<u64>>,
    /// Per service index, with a canary comparison: its service, its SLOs in order and the
    /// comparison, so counts of another comparison are never merged.
    pub canary: Vec<Option<u64>>,
    slo_index: HashMap<u64, usize>,
    service_index: HashMap<u64, usize>,
    attribution_index: HashMap<u64, usize>,
    canary_index: HashMap<u64, usize>,
}

fn hash_of(parts: &[&dyn std::fmt::Debug]) -> Xxh3 {
    let mut h = Xxh3::new();
    for part in parts {
        h.update(format!("{part:?}").as_bytes());
        h.update(&[0]);
    }
    h
}

impl Fingerprints {
    /// The fingerprints of `config`.
    pub fn of(config: &ReloadConfig) -> Self {
        let decoding = hash_of(&[
            &config.format,
            &config.envelope,
            &config.options,
            &config.window.dedup,
        ])
        .digest();
        // The matchers up to and including each service's, hashed as a running prefix.
        let mut prefix = Xxh3::new();
        prefix.update(&decoding.to_le_bytes());
        let services: Vec<u64> = config
            .services
            .iter()
            .zip(&config.splits)
            .map(|(s, split)| {
                prefix.update(format!("{:?}", s.matcher).as_bytes());
                let mut h = hash_of(&[&s.name, split]);
                h.update(&prefix.digest().to_le_bytes());
                h.digest()
            })
            .collect();
        let slos: Vec<u64> = config
            .objectives
            .iter()
            .zip(&config.rules)
            .map(|(o, rule)| {
                let mut h = hash_of(&[&o.id(), rule]);
                h.update(&services[rule.service].to_le_bytes());
                // A composite counts its components' services' events too.
                for part in &rule.parts {
                    h.update(&services[part.rule.service].to_le_bytes());
                }
                h.digest()
            })
            .collect();
        // A service's fingerprint with its SLOs' in order, under `settings`.
        let with_slos = |j: usize, settings: &dyn std::fmt::Debug| {
            let mut h = hash_of(&[settings]);
            h.update(&services[j].to_le_bytes());
            for (rule, slo) in config.rules.iter().zip(&slos) {
                if rule.service == j {
                    h.update(&slo.to_le_bytes());
                }
            }
            h.digest()
        };
        let attribution: Vec<Option<u64>> = (0..services.len())
            .map(|j| Some(with_slos(j, config.attribution.as_deref()?)))
            .collect();
        let canary: Vec<Option<u64>> = (0..services.len())
            .map(|j| {
                let c = config.canaries.get(j)?.as_deref()?;
                Some(with_slos(j, &("canary", c)))
            })
            .collect();
        let index = |fs: &[Option<u64>]| -> HashMap<u64, usize> {
            fs.iter()
                .enumerate()
                .filter_map(|(i, f)| Some(((*f)?, i)))
                .collect()
        };
        Self {
            slo_index: slos.iter().enumerate().map(|(i, &f)| (f, i)).collect(),
            service_index: services.iter().enumerate().map(|(i, &f)| (f, i)).collect(),
            attribution_index: index(&attribution),
            canary_index: index(&canary),
            slos,
            services,
            attribution,
            canary,
        }
    }

    /// The index of the service whose canary fingerprint is `f` in this configuration.
    pub fn canary_service(&self, f: u64) -> Option<usize> {
        self.canary_index.get(&f).copied()
    }

    /// The index of the service whose attribution fingerprint is `f` in this configuration.
    pub fn attribution_service(&self, f: u64) -> Option<usize> {
        self.attribution_index.get(&f).copied()
    }

    /// The index of the SLO with fingerprint `f` in this configuration.
    pub fn slo(&self, f: u64) -> Option<usize> {
        self.slo_index.get(&f).copied()
    }

    /// The index of the service with fingerprint `f` in this configuration.
    pub fn service(&self, f: u64) -> Option<usize> {
        self.service_index.get(&f).copied()
    }

    /// One hash of every SLO's fingerprint: equal exactly when two configurations count
    /// every SLO the same way.
    pub fn whole(&self) -> u64 {
        let mut h = Xxh3::new();
        for f in &self.slos {
            h.update(&f.to_le_bytes());
        }
        h.digest()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: t}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services:
    - {name: checkout, match: {host: checkout.example.com}}
    - {name: search, match: {host: search.example.com}}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: checkout-slo}
spec:
  service: checkout
  indicators:
    - {name: availability, threshold: 99.9, window: 30d}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: search-slo}
spec:
  service: search
  indicators:
    - {name: availability, threshold: 99.5, window: 30d}
"#;

    fn of(yaml: &str) -> Fingerprints {
        let c = crate::config::parse(yaml, "test").expect("valid config");
        Fingerprints::of(&c.reload)
    }

    #[test]
    fn same_definitions_same_fingerprints_and_only_what_changed_differs() {
        let a = of(BASE);
        assert_eq!(a.slos, of(BASE).slos);
        assert_eq!(a.slo(a.slos[1]), Some(1));
        assert_eq!(a.service(a.services[0]), Some(0));
        // The objective is applied when evaluating: counts stay comparable.
        let b = of(&BASE.replace("threshold: 99.5,", "threshold: 99.0,"));
        assert_eq!(a.slos, b.slos);
        assert_eq!(a.whole(), b.whole());
        // Search's matcher changes: its SLO differs, checkout's (listed before) does not.
        let c = of(&BASE.replace("search.example.com", "find.example.com"));
        assert_eq!(a.slos[0], c.slos[0]);
        assert_ne!(a.slos[1], c.slos[1]);
        assert_ne!(a.whole(), c.whole());
        // Checkout's matcher changes: search (listed after it) may now get other events.
        let d = of(&BASE.replace("checkout.example.com", "\"*.example.com\""));
        assert_ne!(a.slos[0], d.slos[0]);
        assert_ne!(a.slos[1], d.slos[1]);
        // Decoding changes every SLO.
        let e = of(&BASE.replace("format: alb}", "format: alb, envelope: json}"));
        assert_ne!(a.slos, e.slos);
        assert!(a.slos.iter().zip(&e.slos).all(|(x, y)| x != y));
    }
}

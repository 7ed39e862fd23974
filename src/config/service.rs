//! `spec.services`: the services requests are matched to, in match order, and the index by
//! name that SLO and policy documents refer to.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use super::path::At;
use super::problems::Problems;
use super::raw::{MatchSpec, ServiceSpec};
use crate::catalog::ServiceCatalog;
use crate::classify::canary::CanaryConfig;
use crate::classify::{Matcher, Service};
use crate::evaluate::capacity::CapacityPlan;

/// The validated services, with their host split (`None`: not split).
#[derive(Debug, Default)]
pub(super) struct Services {
    pub(super) services: Vec<Service>,
    pub(super) splits: Vec<Option<usize>>,
    /// Each service's catalog entry.
    pub(super) catalogs: Vec<Arc<ServiceCatalog>>,
    /// Each service's configured capacity.
    pub(super) capacity: Vec<Option<CapacityPlan>>,
    /// Each service's canary comparison.
    pub(super) canaries: Vec<Option<Arc<CanaryConfig>>>,
    index: BTreeMap<String, usize>,
}

impl Services {
    /// The index of the service called `name`.
    pub(super) fn get(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// Looks `name` up when the services are known (a Pipeline was read): `Some(index)`, or
/// `None` after reporting `message` at `at`. Without a Pipeline nothing can be resolved and
/// nothing is reported (the missing Pipeline is).
pub(super) fn lookup(
    services: Option<&Services>,
    name: &str,
    at: &At,
    message: impl FnOnce() -> String,
    problems: &mut Problems,
) -> Option<usize> {
    let services = services?;
    let found = services.get(name);
    if found.is_none() {
        problems.error(at, message());
    }
    found
}

/// Validates `spec.services` (at `at`).
pub(super) fn validate(specs: &[ServiceSpec], at: &At, problems: &mut Problems) -> Services {
    let mut out = Services::default();
    let mut seen = HashSet::new();
    for (i, s) in specs.iter().enumerate() {
        let here = at.index(i);
        if s.name.is_empty() {
            problems.error(&here.field("name"), "must not be empty");
        } else if s.name.contains('/') {
            // `/` separates service, SLO and alert in ids, URLs and the alert history.
            problems.error(&here.field("name"), "must not contain '/'");
        } else if !seen.insert(s.name.clone()) {
            problems.error(
                &here.field("name"),
                format!("duplicate service {:?}", s.name),
            );
        }
        let matcher = matcher(&s.matcher, &here.field("match"), problems);
        out.splits.push(super::split::split(s, &here, problems));
        out.catalogs
            .push(Arc::new(super::catalog::validate(s, &here, problems)));
        out.capacity.push(
            s.capacity
                .as_ref()
                .and_then(|c| super::capacity::validate(c, &here.field("capacity"), problems)),
        );
        out.canaries.push(
            s.canary
                .as_ref()
                .and_then(|c| super::canary::validate(c, &here.field("canary"), problems))
                .map(Arc::new),
        );
        out.services.push(Service {
            name: s.name.clone(),
            matcher,
        });
    }
    if out.services.is_empty() {
        problems.error(at, "at least one service is required");
    }
    out.index = out
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.clone(), i))
        .collect();
    out
}

/// The selectors of a `match` (at `at`); an empty one is an error.
pub(super) fn matcher(m: &MatchSpec, at: &At, problems: &mut Problems) -> Matcher {
    for (field, value) in [
        ("host", &m.host),
        ("path_prefix", &m.path_prefix),
        ("method", &m.method),
        ("backend", &m.backend),
    ] {
        if value.as_deref() == Some("") {
            problems.error(&at.field(field), "must not be empty (omit it instead)");
        }
    }
    Matcher {
        host: m.host.clone(),
        path_prefix: m.path_prefix.clone(),
        method: m.method.clone(),
        backend: m.backend.clone(),
    }
}

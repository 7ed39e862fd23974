//! A configuration generation: everything a reload can change, immutable once built.
//!
//! The [`Pipeline`](super::Pipeline) holds the current [`Generation`]; a reload builds its
//! [successor](Generation::successor) and moves the window state over. An SLO keeps its
//! counts only when they are still what the new configuration would have counted: same
//! decoding (format, envelope, JSON mapping, de-duplication), same matchers for its service
//! and for every service listed before it (the first matching service wins), and the same
//! rule (everything in [`SloRule`](crate::classify::SloRule): SLI kind, threshold, and any
//! other per-SLO selection; for a composite SLO its components' rules and weights, and the
//! same events for each component's service). Objective, period, alerts and policy are applied when evaluating,
//! so changing them keeps the counts. Every other SLO starts empty and reports `valid_since`.
//!
//! A service split by host (`split_by: host`) keeps its host → sub-service assignment, and
//! its sub-services their counts, when its events are unchanged as above and `max_hosts` is
//! the same; otherwise the assignment starts empty (first come first served again) and its
//! SLOs are reset like any SLO whose classification changed.

use std::sync::Arc;

use crate::classify::{Classifier, Matcher};
use crate::cluster::fingerprint::Fingerprints;
use crate::config::ReloadConfig;
use crate::decode::Format;
use crate::decode::FormatOptions;
use crate::decode::envelope::Envelope;
use crate::decode::ingest::{Ingest, Limits};
use crate::evaluate::SloObjective;
use crate::time::{SECOND, ceil_to};
use crate::window::adjust::selects;
use crate::window::{
    AdjustedState, Counters, CountersState, DeclaredState, HostTable, Plan, SplitPlan, Store,
};

/// Everything a configuration reload can change.
#[derive(Debug)]
pub struct Generation {
    /// 0 for the configuration the process started with, then one more per reload.
    pub number: u64,
    /// Decoding format.
    pub format: Format,
    /// Shipper envelope around each line.
    pub envelope: Envelope,
    /// The format's settings (the `json` mapping, nginx's `log_format`).
    pub options: FormatOptions,
    /// Services and SLO rules.
    pub classifier: Arc<Classifier>,
    /// SLO objectives, by SLO index.
    pub objectives: Arc<Vec<Arc<SloObjective>>>,
    /// Window state, shaped for these objectives.
    pub store: Arc<Store>,
    /// `service/slo` per SLO index (names in checkpoints).
    pub slo_ids: Vec<String>,
    /// Service names by index (names in checkpoints).
    pub services: Vec<String>,
    /// Per SLO: since when its counts are complete (µs), when a reload added it or changed
    /// its classification; `None` for SLOs counted since the process started.
    pub valid_since_us: Vec<Option<i64>>,
    /// How each SLO and service counts, as cluster members compare it.
    pub fingerprints: Arc<Fingerprints>,
    /// The configuration as loaded (before the adjustments declared through the API are
    /// added to its objectives): what a successor for a new declaration starts from.
    pub config: Arc<ReloadConfig>,
}

/// How a reload treated each SLO, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Counts carried over.
    pub kept: Vec<String>,
    /// Classification changed: counts dropped, starting again.
    pub reset: Vec<String>,
    /// New SLOs, starting empty.
    pub added: Vec<String>,
    /// SLOs no longer configured, with their state.
    pub removed: Vec<String>,
}

impl Generation {
    /// Generation 0 for `config`, with an empty store.
    pub fn first(config: &ReloadConfig) -> Self {
        let fingerprints = Arc::new(Fingerprints::of(config));
        let plan = plan_of(config, &fingerprints, |_, _| None);
        let store = Arc::new(Store::new(Arc::new(plan)));
        Self::build(config, config, 0, store, fingerprints)
    }

    /// The generation of `config` as loaded, whose objectives (with the adjustments declared
    /// through the API added) are `effective`'s.
    fn build(
        loaded: &ReloadConfig,
        config: &ReloadConfig,
        number: u64,
        store: Arc<Store>,
        fingerprints: Arc<Fingerprints>,
    ) -> Self {
        // Adjustments new to these counters reach the events counted before them.
        store.counters().adjust_counted(store.plan());
        Self {
            config: Arc::new(loaded.clone()),
            number,
            format: config.format,
            envelope: config.envelope,
            options: config.options.clone(),
            classifier: Arc::new(Classifier::new(
                config.services.clone(),
                config.rules.clone(),
            )),
            objectives: Arc::new(config.objectives.iter().cloned().map(Arc::new).collect()),
            store,
            slo_ids: config.objectives.iter().map(SloObjective::id).collect(),
            services: config.services.iter().map(|s| s.name.clone()).collect(),
            valid_since_us: vec![None; config.objectives.len()],
            fingerprints,
        }
    }

    /// The ingest path of this generation (its envelope and format's decoder) with the
    /// size `limits`.
    pub fn ingest(&self, limits: Limits) -> Ingest {
        Ingest::new(self.envelope, self.format.decoder(&self.options), limits)
    }

    /// The next generation for `config`, with this one's window state moved over: SLOs whose
    /// classification is unchanged keep their counts, the others start empty and are marked
    /// valid from just past the newest event applied so far (or `now_us` before any event).
    /// Shard positions, statistics, activity and de-duplication ids always carry over. The
    /// caller keeps writers out of this generation's store while this runs.
    pub fn successor(&self, loaded: &ReloadConfig, now_us: i64) -> (Self, Changes) {
        let config = &with_declared(loaded, &self.store.declared());
        let service_same = self.services_unchanged(config);
        // Counts from just past the newest event: an event at or before it may have been
        // applied before the reload, so a window starting earlier may miss some.
        let mark = self
            .store
            .newest_us()
            .map_or(now_us, |t| ceil_to(t.saturating_add(1), SECOND));
        let (changes, valid_since_us) = self.changes(config, &service_same, mark);
        let fingerprints = Arc::new(Fingerprints::of(config));
        let store = self.moved_store(config, &fingerprints, &service_same, &changes);
        let mut next = Self::build(
            loaded,
            config,
            self.number + 1,
            Arc::new(store),
            fingerprints,
        );
        next.valid_since_us = valid_since_us;
        (next, changes)
    }

    /// Per service of `config`: whether its events are the same as in this generation,
    /// which holds exactly when decoding is unchanged and its matcher and every one before
    /// it are the same (first match wins), with the same split.
    fn services_unchanged(&self, config: &ReloadConfig) -> Vec<bool> {
        let decoding_same = self.format == config.format
            && self.envelope == config.envelope
            && self.options == config.options
            && self.store.plan().window.dedup == config.window.dedup;
        let old_matchers: Vec<&Matcher> = self
            .classifier
            .services()
            .iter()
            .map(|s| &s.matcher)
            .collect();
        let new_matchers: Vec<&Matcher> = config.services.iter().map(|s| &s.matcher).collect();
        let old_split = |j: usize| {
            self.store
                .plan()
                .splits
                .iter()
                .find(|s| s.service == j)
                .map(|s| s.table.max_hosts())
        };
        config
            .services
            .iter()
            .enumerate()
            .map(|(j, s)| {
                decoding_same
                    && self.services.get(j) == Some(&s.name)
                    && old_matchers.get(..=j) == new_matchers.get(..=j)
                    && old_split(j) == config.splits.get(j).copied().flatten()
            })
            .collect()
    }

    /// How each SLO of `config` is treated, and per SLO since when its counts are complete
    /// (`mark` for the reset and added ones).
    fn changes(
        &self,
        config: &ReloadConfig,
        service_same: &[bool],
        mark: i64,
    ) -> (Changes, Vec<Option<i64>>) {
        let mut changes = Changes::default();
        let mut valid_since_us = Vec::with_capacity(config.objectives.len());
        for (o, rule) in config.objectives.iter().zip(&config.rules) {
            let id = o.id();
            // A composite counts its components' services' events too.
            let services_same = service_same[rule.service]
                && rule.parts.iter().all(|p| service_same[p.rule.service]);
            match self.slo_ids.iter().position(|old| *old == id) {
                Some(k) if services_same && self.classifier.rules()[k] == *rule => {
                    valid_since_us.push(self.valid_since_us[k]);
                    changes.kept.push(id);
                }
                Some(_) => {
                    valid_since_us.push(Some(mark));
                    changes.reset.push(id);
                }
                None => {
                    valid_since_us.push(Some(mark));
                    changes.added.push(id);
                }
            }
        }
        let new_ids: Vec<String> = config.objectives.iter().map(SloObjective::id).collect();
        changes.removed = self
            .slo_ids
            .iter()
            .filter(|id| !new_ids.contains(id))
            .cloned()
            .collect();
        (changes, valid_since_us)
    }

    /// This generation's store reshaped for `config`, keeping the counts of the kept SLOs,
    /// of the unchanged services' latencies, capacity counts, burn attribution and canary
    /// counts (when their SLOs and settings are the same) and split tables, and every shard's position,
    /// statistics, activity and de-duplication ids.
    fn moved_store(
        &self,
        config: &ReloadConfig,
        fingerprints: &Fingerprints,
        service_same: &[bool],
        changes: &Changes,
    ) -> Store {
        let old_splits = &self.store.plan().splits;
        let new_ids: Vec<String> = config.objectives.iter().map(SloObjective::id).collect();
        let kept_services: Vec<&String> = config
            .services
            .iter()
            .zip(service_same)
            .filter_map(|(s, &same)| same.then_some(&s.name))
            .collect();
        let new_services: Vec<String> = config.services.iter().map(|s| s.name.clone()).collect();
        let plan = plan_of(config, fingerprints, |service, max_hosts| {
            let j = config.services.iter().position(|s| s.name == service)?;
            old_splits
                .iter()
                .find(|s| service_same[j] && s.service == j && s.table.max_hosts() == max_hosts)
                .map(|s| s.table.clone())
        });
        let old_plan = Arc::clone(self.store.plan());
        self.store.reshaped(Arc::new(plan), |counters, plan| {
            let mut state = counters.export(&self.slo_ids, &self.services, old_splits);
            let adjusted = self.adjusted_with_saved(counters, &old_plan);
            keep_unchanged(&mut state, plan, old_splits, changes, &kept_services);
            let mut rebuilt = Counters::new(plan);
            rebuilt.import(&state, plan, &new_ids, &new_services);
            rebuilt.import_adjusted(&adjusted, &new_ids);
            // Burn attribution and canary counts carry over for a service whose selectors
            // and SLOs (in order) are the same, under the same attribution settings and
            // canary comparison (with rings of the same length).
            for (j, old) in self.unchanged_services(config, &new_ids, service_same) {
                if old_plan.attribution == plan.attribution
                    && let Some(ring) = counters.attribution(old)
                {
                    rebuilt.put_attribution(j, ring.clone());
                }
                if let (Some(was), Some(now), Some(ring)) = (
                    old_plan.canary_of(old),
                    plan.canary_of(j),
                    counters.canary(old),
                ) && was == now
                    && old_plan.canary_minutes(was) == plan.canary_minutes(now)
                {
                    rebuilt.put_canary(j, ring.clone());
                }
            }
            rebuilt
        })
    }

    /// The adjusted counts of `counters` (shaped by `old_plan`), with a restart's checkpoint
    /// states of adjustments the first store did not hold.
    fn adjusted_with_saved(&self, counters: &Counters, old_plan: &Plan) -> Vec<AdjustedState> {
        let mut adjusted = counters.export_adjusted(old_plan, &self.slo_ids);
        for saved in self.store.take_saved_adjusted() {
            let known = |a: &AdjustedState| {
                (&a.slo, &a.name, &a.definition) == (&saved.slo, &saved.name, &saved.definition)
            };
            if !adjusted.iter().any(known) {
                adjusted.push(saved);
            }
        }
        adjusted
    }

    /// The services of `config` (new index, index in this generation) whose selectors and
    /// SLOs (in order, `new_ids` being `config`'s SLO ids) are the same as in this generation.
    fn unchanged_services(
        &self,
        config: &ReloadConfig,
        new_ids: &[String],
        service_same: &[bool],
    ) -> Vec<(usize, usize)> {
        let mut unchanged = Vec::new();
        for (j, service) in config.services.iter().enumerate() {
            let Some(old) = self.services.iter().position(|n| *n == service.name) else {
                continue;
            };
            let before = self
                .classifier
                .slos_of(old)
                .iter()
                .map(|&k| &self.slo_ids[k]);
            let after = config
                .rules
                .iter()
                .zip(new_ids)
                .filter(|(r, _)| r.service == j)
                .map(|(_, id)| id);
            if !service_same[j] || !before.eq(after) {
                continue;
            }
            unchanged.push((j, old));
        }
        unchanged
    }
}

impl Generation {
    /// What burn attribution covers in this generation; `None` when it is off.
    pub fn attribution_scope(&self) -> Option<crate::evaluate::contributors::Scope<'_>> {
        Some(crate::evaluate::contributors::Scope {
            config: self.config.attribution.as_deref()?,
            services: &self.services,
            slo_ids: &self.slo_ids,
            classifier: &self.classifier,
        })
    }
}

/// `config` with each adjustment declared through the API added to the objectives it names
/// (one named like a configured adjustment is left out: the configuration's wins).
fn with_declared(config: &ReloadConfig, declared: &[DeclaredState]) -> ReloadConfig {
    let mut out = config.clone();
    for d in declared {
        let taken = config
            .objectives
            .iter()
            .any(|o| o.adjustments.iter().any(|a| a.name == d.name));
        let Some(adjustment) = d.adjustment().filter(|_| !taken) else {
            tracing::warn!(name = %d.name, "an adjustment declared through the API is named like a configured one, or invalid; leaving it out");
            continue;
        };
        let adjustment = Arc::new(adjustment);
        for o in &mut out.objectives {
            if d.slos.iter().any(|s| selects(s, &o.service, &o.slo)) {
                o.adjustments.push(Arc::clone(&adjustment));
            }
        }
    }
    out
}

/// Keeps in `state` (exported from the store before a reload) what the reload keeps: each
/// sub-service with its table (dropped with it, or kept by host name) and only its kept
/// SLOs, the kept SLOs, and the latencies and capacity counts of the unchanged
/// services (`kept_services`).
fn keep_unchanged(
    state: &mut CountersState,
    plan: &Plan,
    old_splits: &[SplitPlan],
    changes: &Changes,
    kept_services: &[&String],
) {
    // Sub-services follow their table: dropped with it, or kept by host name.
    state.split.retain(|s| {
        plan.splits.iter().any(|n| {
            n.table.service() == s.service
                && old_splits.iter().any(|o| Arc::ptr_eq(&o.table, &n.table))
        })
    });
    for split in &mut state.split {
        for sub in &mut split.subs {
            sub.slos.retain(|s| changes.kept.contains(&s.id));
        }
    }
    state.slos.retain(|s| changes.kept.contains(&s.id));
    state
        .latency
        .retain(|(name, _)| kept_services.contains(&name));
    state
        .capacity
        .retain(|(name, _)| kept_services.contains(&name));
}

/// The plan for `config` (whose `fingerprints` key its saved rings); `reuse(service,
/// max_hosts)` may give a split service the host table it had before, else it gets an empty
/// one.
fn plan_of(
    config: &ReloadConfig,
    fingerprints: &Fingerprints,
    reuse: impl Fn(&str, usize) -> Option<Arc<HostTable>>,
) -> Plan {
    let windows: Vec<_> = config
        .objectives
        .iter()
        .map(|o| o.retention(config.window.history_days))
        .collect();
    let splits = config
        .splits
        .iter()
        .enumerate()
        .filter_map(|(service, max_hosts)| {
            let max_hosts = (*max_hosts)?;
            let name = &config.services[service].name;
            Some(SplitPlan {
                service,
                slos: (0..config.rules.len())
                    .filter(|&i| config.rules[i].service == service)
                    .collect(),
                table: reuse(name, max_hosts)
                    .unwrap_or_else(|| Arc::new(HostTable::new(name, max_hosts))),
            })
        })
        .collect();
    Plan::new(&windows, config.services.len(), config.window)
        .with_splits(splits)
        .with_attribution(config.attribution.clone())
        .with_canaries(config.canaries.clone())
        .with_feeds(feeds(config))
        // Saved burn attribution and canary counts are keyed by the cluster fingerprints,
        // which change with the service, its SLOs or the settings.
        .with_ring_keys(crate::window::RingKeys {
            attribution: fingerprints.attribution.clone(),
            canary: fingerprints.canary.clone(),
        })
}

/// Per SLO of `config`, the composite SLOs it is a component of, with its units in each.
fn feeds(config: &ReloadConfig) -> Vec<Vec<(usize, u64)>> {
    let ids: Vec<String> = config.objectives.iter().map(SloObjective::id).collect();
    let mut feeds = vec![Vec::new(); config.rules.len()];
    for (composite, rule) in config.rules.iter().enumerate() {
        for part in &rule.parts {
            if let Some(slo) = ids.iter().position(|id| *id == part.slo) {
                feeds[slo].push((composite, part.units));
            }
        }
    }
    feeds
}

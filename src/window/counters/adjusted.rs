//! Budget adjustments over all of one SLO's counters (its own and, for a service split by
//! host, every sub-service's): applying them to the events counted before they were
//! loaded, their state in a checkpoint and across a reload, and what they amount to.

use super::{Counters, Plan};
use crate::window::adjust::{Applied, add_range, intersect};
use crate::window::{Counts, SloCounters};

/// How one SLO stands with one adjustment, in a checkpoint and across a reload.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AdjustedState {
    /// `service/slo`.
    pub slo: String,
    /// The adjustment's name.
    pub name: String,
    /// Its definition when applied ([`crate::window::Adjustment::definition`]): a changed
    /// definition is applied again.
    pub definition: String,
    /// See [`Applied::declared_at_us`].
    pub declared_at_us: Option<i64>,
    /// See [`Applied::ranges`].
    pub ranges: Vec<(i64, i64)>,
    /// Events counted apart, good and total.
    pub events: (u64, u64),
}

/// Most occurrences of one adjustment applied at once to counted events.
const MAX_OCCURRENCES: usize = 100_000;

impl Counters {
    /// Applies every adjustment not applied yet to the events counted so far: how
    /// adjustments loaded with the configuration, a reload or a restore reach the past.
    pub fn adjust_counted(&mut self, plan: &Plan) {
        for slo in 0..self.slos.len() {
            let pending: Vec<usize> = self.slos[slo]
                .adjusting()
                .map(|a| {
                    let done = a.applied().iter().map(|s| s.done);
                    done.enumerate()
                        .filter(|&(_, d)| !d)
                        .map(|(j, _)| j)
                        .collect()
                })
                .unwrap_or_default();
            for j in pending {
                self.adjust_one(plan, slo, j);
            }
        }
    }

    /// Applies adjustment `j` of SLO `slo` to every counters of that SLO.
    fn adjust_one(&mut self, plan: &Plan, slo: usize, j: usize) {
        let mut declared_at: Option<i64> = None;
        let mut ranges: Option<Vec<(i64, i64)>> = None;
        let mut apply = |c: &mut SloCounters| {
            let (Some(to), Some(from)) = (c.counted_to(), c.held_from()) else {
                return;
            };
            let Some(a) = c.adjusting().map(|a| a.list()[j].clone()) else {
                return;
            };
            declared_at = Some(declared_at.map_or(to, |d| d.max(to)));
            let mut mine = Vec::new();
            for (start, end) in a.schedule.occurrences(from, to, MAX_OCCURRENCES) {
                for (x, y) in c.adjust_range(j, start, end) {
                    add_range(&mut mine, x, y);
                }
            }
            // A range counts as adjusted when it is for every host's counters.
            ranges = Some(match ranges.take() {
                None => mine,
                Some(before) => intersect(&before, &mine),
            });
        };
        apply(&mut self.slos[slo]);
        for (k, split) in plan.splits.iter().enumerate() {
            if let Some(pos) = split.slos.iter().position(|&s| s == slo) {
                for sub in self.split[k].subs_mut() {
                    apply(sub.slo_mut(pos));
                }
            }
        }
        if let Some(a) = self.slos[slo].adjusting_mut() {
            let applied = a.applied_mut(j);
            applied.declared_at_us = declared_at;
            applied.ranges = ranges.unwrap_or_default();
            applied.done = true;
        }
    }

    /// How SLO `slo` stands with each of its adjustments, events summed over its
    /// sub-services; by the adjustments' order.
    pub fn adjusted(&self, plan: &Plan, slo: usize) -> Vec<Applied> {
        let Some(a) = self.slos[slo].adjusting() else {
            return Vec::new();
        };
        let mut out = a.applied().to_vec();
        for (k, split) in plan.splits.iter().enumerate() {
            let Some(pos) = split.slos.iter().position(|&s| s == slo) else {
                continue;
            };
            for sub in self.split[k].subs() {
                if let Some(sa) = sub.slo(pos).adjusting() {
                    for (o, s) in out.iter_mut().zip(sa.applied()) {
                        o.events += s.events;
                    }
                }
            }
        }
        out
    }

    /// Every SLO's adjustments as they stand, for a checkpoint or a reload; `slo_ids` names
    /// SLOs by index.
    pub fn export_adjusted(&self, plan: &Plan, slo_ids: &[String]) -> Vec<AdjustedState> {
        let mut out = Vec::new();
        for (slo, id) in slo_ids.iter().enumerate().take(self.slos.len()) {
            let Some(a) = self.slos[slo].adjusting() else {
                continue;
            };
            for (adj, applied) in a.list().iter().zip(self.adjusted(plan, slo)) {
                if !applied.done {
                    continue;
                }
                out.push(AdjustedState {
                    slo: id.clone(),
                    name: adj.name.clone(),
                    definition: adj.definition(),
                    declared_at_us: applied.declared_at_us,
                    ranges: applied.ranges,
                    events: (applied.events.good, applied.events.total),
                });
            }
        }
        out
    }

    /// Takes `saved` as how the SLOs stand with their adjustments: those with the same
    /// name and definition are applied already; every other one is not (and
    /// [`Counters::adjust_counted`] applies it). For counters that hold the counts the state
    /// was exported with; a sub-service's events counted apart are the SLO's from then on.
    pub fn import_adjusted(&mut self, saved: &[AdjustedState], slo_ids: &[String]) {
        for (slo, id) in slo_ids.iter().enumerate().take(self.slos.len()) {
            let Some(a) = self.slos[slo].adjusting_mut() else {
                continue;
            };
            let list = a.list().to_vec();
            for (j, adj) in list.iter().enumerate() {
                let definition = adj.definition();
                let found = saved
                    .iter()
                    .find(|s| s.slo == *id && s.name == adj.name && s.definition == definition);
                *a.applied_mut(j) = match found {
                    Some(s) => Applied {
                        declared_at_us: s.declared_at_us,
                        done: true,
                        ranges: s.ranges.clone(),
                        events: Counts {
                            good: s.events.0.min(s.events.1),
                            total: s.events.1,
                        },
                    },
                    None => Applied::default(),
                };
            }
        }
    }
}

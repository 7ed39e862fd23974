//! Budget adjustments declared through the API (`POST /v1/adjustments`): checked against the
//! running configuration, kept in the store (and the checkpoint), and applied by installing a
//! successor generation of the same configuration, as a reload applies a new
//! `BudgetAdjustment` document. On a cluster member the read side writes the declaration to
//! the cluster log, and every member applies it here when its fold reaches it.

use std::sync::Arc;

use tracing::{info, warn};

use super::Pipeline;
use super::generation::Generation;
use crate::cluster::record::AdjustmentChange;
use crate::window::DeclaredState;
use crate::window::adjust::{MAX_DECLARED, Mode, Refused, selects};

/// Longest name, bytes.
const MAX_NAME_BYTES: usize = 128;
/// Longest description, bytes.
const MAX_DESCRIPTION_BYTES: usize = 4_096;
/// Most SLO names in one declaration.
const MAX_SELECTORS: usize = 100;

impl Pipeline {
    /// Declares `d`: applied to the events already counted and to every event from now on,
    /// kept across restarts. Refused when invalid, named like another adjustment, naming no
    /// SLO, or past [`MAX_DECLARED`].
    pub fn declare_adjustment(&self, d: DeclaredState) -> Result<(), Refused> {
        let mut current = self.generation.write().unwrap_or_else(|e| e.into_inner());
        check_in(&current, &d)?;
        info!(name = %d.name, mode = %d.mode, slos = ?d.slos, "budget adjustment declared");
        current.store.declared().push(d);
        let config = Arc::clone(&current.config);
        let (next, _) = current.successor(&config, self.clock.now_us());
        *current = Arc::new(next);
        Ok(())
    }

    /// Whether `d` would be declared now, or why not.
    pub fn check_declaration(&self, d: &DeclaredState) -> Result<(), Refused> {
        check_in(&self.generation(), d)
    }

    /// Applies a declaration or removal the cluster log brought (every member at the same
    /// place in the log); one refused is logged, as every member refuses it alike.
    pub(super) fn apply_declared(&self, change: &AdjustmentChange) {
        let result = match change {
            AdjustmentChange::Declare(d) => self.declare_adjustment(d.clone()),
            AdjustmentChange::Remove(name) => self.remove_adjustment(name),
        };
        if let Err(e) = result {
            warn!(error = %e, "a budget adjustment from the cluster log was not applied");
        }
    }

    /// Removes the adjustment declared through the API as `name`: events from now on count
    /// normally; counts it already adjusted stay so.
    pub fn remove_adjustment(&self, name: &str) -> Result<(), Refused> {
        let mut current = self.generation.write().unwrap_or_else(|e| e.into_inner());
        let config = Arc::clone(&current.config);
        {
            let mut declared = current.store.declared();
            let Some(i) = declared.iter().position(|x| x.name == name) else {
                let configured = config
                    .objectives
                    .iter()
                    .any(|o| o.adjustments.iter().any(|a| a.name == name));
                return Err(if configured {
                    Refused::Configured(name.to_string())
                } else {
                    Refused::Unknown(name.to_string())
                });
            };
            declared.remove(i);
        }
        warn!(name, "budget adjustment deleted");
        let (next, _) = current.successor(&config, self.clock.now_us());
        *current = Arc::new(next);
        Ok(())
    }

    /// Installs a successor of the current generation for its own configuration: after a
    /// restore brought adjustments declared through the API, so that its counters hold them.
    pub(super) fn reinstall(&self) {
        let mut current = self.generation.write().unwrap_or_else(|e| e.into_inner());
        let config = Arc::clone(&current.config);
        let (next, _) = current.successor(&config, self.clock.now_us());
        *current = Arc::new(next);
    }
}

/// Whether `d` can be declared in generation `g`: valid, naming SLOs of its configuration,
/// named like no other adjustment, within [`MAX_DECLARED`].
fn check_in(g: &Generation, d: &DeclaredState) -> Result<(), Refused> {
    check(d)?;
    let config = &g.config;
    for selector in &d.slos {
        if !config
            .objectives
            .iter()
            .any(|o| selects(selector, &o.service, &o.slo))
        {
            return Err(Refused::Invalid(format!(
                "{selector:?} names no SLO (expected `service` or `service/slo`)"
            )));
        }
    }
    let configured = config
        .objectives
        .iter()
        .any(|o| o.adjustments.iter().any(|a| a.name == d.name));
    let declared = g.store.declared();
    if configured || declared.iter().any(|x| x.name == d.name) {
        return Err(Refused::Exists(d.name.clone()));
    }
    if declared.len() >= MAX_DECLARED {
        return Err(Refused::Full);
    }
    Ok(())
}

/// The checks that need no configuration.
fn check(d: &DeclaredState) -> Result<(), Refused> {
    let invalid = |m: String| Err(Refused::Invalid(m));
    if d.name.is_empty() || d.name.len() > MAX_NAME_BYTES || d.name.contains('/') {
        return invalid(format!(
            "name must be 1 to {MAX_NAME_BYTES} bytes without '/'"
        ));
    }
    if d.description.len() > MAX_DESCRIPTION_BYTES {
        return invalid(format!(
            "description is {} bytes; at most {MAX_DESCRIPTION_BYTES}",
            d.description.len()
        ));
    }
    if d.end_us <= d.start_us {
        return invalid("end must be after start".into());
    }
    if Mode::from_name(&d.mode).is_none() {
        return invalid(format!(
            "mode {:?} is not one of exclude, count_as_good",
            d.mode
        ));
    }
    if d.slos.is_empty() || d.slos.len() > MAX_SELECTORS {
        return invalid(format!(
            "slos must name 1 to {MAX_SELECTORS} SLOs: `service` or `service/slo`"
        ));
    }
    Ok(())
}

//! `reliability/v1 BudgetAdjustment`: maintenance windows whose events the SLOs they name
//! count apart (see [`crate::window::adjust`]).

use std::collections::BTreeSet;
use std::sync::Arc;

use super::path::At;
use super::problems::Problems;
use super::raw::{AdjustmentSpec, Document};
use crate::evaluate::SloObjective;
use crate::time::{DAY, HOUR, parse_rfc3339};
use crate::window::adjust::{Repeat, selects};
use crate::window::{AdjustMode, Adjustment, Schedule};

/// One adjustment (`None` when invalid) and the SLOs it names, as written (`service` or
/// `service/slo`).
pub(super) struct Declared {
    at: At,
    adjustment: Option<Arc<Adjustment>>,
    slos: Vec<String>,
}

impl Declared {
    /// Where its `slos` are.
    pub(super) fn at(&self) -> &At {
        &self.at
    }
}

/// Validates every BudgetAdjustment document.
pub(super) fn validate(
    docs: &[(At, Document<AdjustmentSpec>)],
    problems: &mut Problems,
) -> Vec<Declared> {
    let mut names = BTreeSet::new();
    let mut out = Vec::new();
    for (at, d) in docs {
        let name = &d.metadata.name;
        if !names.insert(name.clone()) {
            problems.error(
                &at.field("metadata").field("name"),
                format!("another BudgetAdjustment is named {name:?}"),
            );
        }
        out.push(Declared {
            at: at.field("spec").field("slos"),
            adjustment: adjustment(name, &d.spec, &at.field("spec"), problems).map(Arc::new),
            slos: d.spec.slos.clone(),
        });
    }
    out
}

/// Gives each objective the adjustments that name it; a name that matches no SLO is an
/// error.
pub(super) fn attach(
    declared: &[Declared],
    objectives: &mut [SloObjective],
    problems: &mut Problems,
) {
    for d in declared {
        if d.slos.is_empty() {
            problems.error(&d.at, "name at least one SLO: `service` or `service/slo`");
        }
        for (i, selector) in d.slos.iter().enumerate() {
            let mut matched = false;
            for o in objectives.iter_mut() {
                if selects(selector, &o.service, &o.slo) {
                    matched = true;
                    if let Some(a) = &d.adjustment
                        && !o.adjustments.iter().any(|x| x.name == a.name)
                    {
                        o.adjustments.push(Arc::clone(a));
                    }
                }
            }
            if !matched {
                problems.error(
                    &d.at.index(i),
                    format!("{selector:?} names no SLO (expected `service` or `service/slo`)"),
                );
            }
        }
    }
}

fn adjustment(
    name: &str,
    s: &AdjustmentSpec,
    at: &At,
    problems: &mut Problems,
) -> Option<Adjustment> {
    let before = problems.count();
    let first = parse_rfc3339(&s.first_event_start)
        .map_err(|e| problems.error(&at.field("first_event_start"), e))
        .ok();
    // A duration parses only when it is longer than 0 s.
    let duration = problems.duration(&s.duration, &at.field("duration"));
    let zone = problems.day_zone(s.time_zone.as_deref(), &at.field("time_zone"));
    let mode = match s.mode.as_deref() {
        None => Some(AdjustMode::Exclude),
        Some(m) => {
            let mode = AdjustMode::from_name(m);
            if mode.is_none() {
                problems.error(
                    &at.field("mode"),
                    format!("{m:?} is not one of exclude, count_as_good"),
                );
            }
            mode
        }
    };
    let repeat = s
        .rrule
        .as_deref()
        .and_then(|r| rrule(r, &at.field("rrule"), problems));
    if let (Some(r), Some(d)) = (&repeat, duration)
        && d > r.every_days * DAY - HOUR
    {
        problems.error(
            &at.field("duration"),
            format!(
                "an occurrence must end before the next begins: at most {} days less one hour \
                 (a day can be 23 hours long at a DST change)",
                r.every_days
            ),
        );
    }
    if let (Some(r), Some(first)) = (&repeat, first)
        && r.until_us.is_some_and(|u| u < first)
    {
        problems.error(
            &at.field("rrule"),
            "UNTIL is before first_event_start: no occurrence would be left",
        );
    }
    if problems.count() != before || (s.rrule.is_some() && repeat.is_none()) {
        return None;
    }
    Some(Adjustment {
        name: name.to_string(),
        description: s.description.clone(),
        mode: mode?,
        schedule: Schedule::new(first?, duration?, zone?, repeat),
    })
}

/// The supported subset of an iCalendar RRULE: `FREQ=DAILY|WEEKLY`, `INTERVAL=n`,
/// `COUNT=n`, `UNTIL=20261231T235959Z` (or RFC 3339).
fn rrule(text: &str, at: &At, problems: &mut Problems) -> Option<Repeat> {
    let before = problems.count();
    let (mut freq, mut interval, mut count, mut until) = (None, 1i64, None, None);
    for part in text.trim().trim_start_matches("RRULE:").split(';') {
        let Some((key, value)) = part.split_once('=') else {
            problems.error(at, format!("{part:?} is not KEY=VALUE"));
            continue;
        };
        match key.to_ascii_uppercase().as_str() {
            "FREQ" => match value.to_ascii_uppercase().as_str() {
                "DAILY" => freq = Some(1),
                "WEEKLY" => freq = Some(7),
                other => problems.error(
                    at,
                    format!("FREQ={other} is not supported: DAILY or WEEKLY"),
                ),
            },
            "INTERVAL" => match value.parse::<i64>() {
                Ok(n) if (1..=3660).contains(&n) => interval = n,
                _ => problems.error(
                    at,
                    format!("INTERVAL={value} is not a whole number 1 … 3660"),
                ),
            },
            "COUNT" => match value.parse::<u32>() {
                Ok(n) if n > 0 => count = Some(n),
                _ => problems.error(at, format!("COUNT={value} is not a positive whole number")),
            },
            "UNTIL" => match until_us(value) {
                Some(t) => until = Some(t),
                None => problems.error(
                    at,
                    format!("UNTIL={value} is not 20261231T235959Z or an RFC 3339 time"),
                ),
            },
            other => problems.error(
                at,
                format!("{other} is not supported: FREQ, INTERVAL, COUNT and UNTIL are"),
            ),
        }
    }
    if freq.is_none() && problems.count() == before {
        problems.error(at, "FREQ=DAILY or FREQ=WEEKLY is required");
    }
    (problems.count() == before).then(|| Repeat {
        every_days: freq.unwrap_or(1) * interval,
        count,
        until_us: until,
    })
}

/// `20261231T235959Z` (the iCalendar UTC form) or an RFC 3339 time, µs.
fn until_us(value: &str) -> Option<i64> {
    if let Ok(t) = parse_rfc3339(value) {
        return Some(t);
    }
    let b = value.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let rfc = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &value[0..4],
        &value[4..6],
        &value[6..8],
        &value[9..11],
        &value[11..13],
        &value[13..15]
    );
    parse_rfc3339(&rfc).ok()
}

//! `ErrorBudgetPolicy` `spec.gate`: the deploy gate's action per tier, quiet days and freeze
//! windows (see [`crate::evaluate::gate`]).

use jiff::civil::DateTime;

use super::path::At;
use super::problems::Problems;
use super::raw::{FreezeSpec, GateSpec, QuietDaysSpec};
use crate::evaluate::PolicyTier;
use crate::evaluate::gate::{Freeze, GateAction, GateRules, QuietDays, weekday_of_name};
use crate::window::DayZone;

/// The rules `g` describes (defaults where it is silent); `None` when any part is invalid.
pub(super) fn validate(g: &GateSpec, at: &At, problems: &mut Problems) -> Option<GateRules> {
    let before = problems.count();
    let mut rules = GateRules::default();
    if let Some(a) = &g.actions {
        let at = at.field("actions");
        let given = [&a.normal, &a.caution, &a.slow_down, &a.freeze, &a.exhausted];
        for ((slot, text), tier) in rules.actions.iter_mut().zip(given).zip(PolicyTier::ALL) {
            let Some(text) = text else { continue };
            match GateAction::from_name(text) {
                Some(action) => *slot = action,
                None => problems.error(
                    &at.field(tier.as_str()),
                    format!("{text:?} is not one of allow, require_approval, deny"),
                ),
            }
        }
    }
    if let Some(q) = &g.quiet_days {
        rules.quiet_days = q
            .as_ref()
            .and_then(|q| quiet_days(q, &at.field("quiet_days"), problems));
    }
    let at_freezes = at.field("freezes");
    rules.freezes = g
        .freezes
        .iter()
        .enumerate()
        .filter_map(|(i, f)| freeze(f, &at_freezes.index(i), problems))
        .collect();
    (problems.count() == before).then_some(rules)
}

fn quiet_days(q: &QuietDaysSpec, at: &At, problems: &mut Problems) -> Option<QuietDays> {
    if q.days.is_empty() {
        return None;
    }
    let days_at = at.field("days");
    let mut days = Vec::new();
    for (i, d) in q.days.iter().enumerate() {
        match weekday_of_name(d) {
            Some(w) => days.push(w),
            None => problems.error(
                &days_at.index(i),
                format!("{d:?} is not a weekday (monday … sunday)"),
            ),
        }
    }
    let from_tier = match q.from_tier.as_deref() {
        None => Some(PolicyTier::Caution),
        Some(t) => {
            let tier = PolicyTier::ALL.iter().find(|x| x.as_str() == t).copied();
            if tier.is_none() {
                problems.error(
                    &at.field("from_tier"),
                    format!("{t:?} is not one of normal, caution, slow_down, freeze, exhausted"),
                );
            }
            tier
        }
    };
    let zone = problems.day_zone(q.time_zone.as_deref(), &at.field("time_zone"));
    Some(QuietDays {
        days,
        from_tier: from_tier?,
        zone: zone?,
    })
}

/// A local date (`2026-12-21`: its midnight) or date-time (`2026-12-21T18:00`) in `zone`, µs.
fn local_instant(text: &str, zone: &DayZone, at: &At, problems: &mut Problems) -> Option<i64> {
    let parsed = text.parse::<DateTime>().or_else(|_| {
        text.parse::<jiff::civil::Date>()
            .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
    });
    let Ok(dt) = parsed else {
        problems.error(
            at,
            format!("{text:?} is not a local date (2026-12-21) or date-time (2026-12-21T18:00)"),
        );
        return None;
    };
    match dt.to_zoned(zone.tz().clone()) {
        Ok(z) => Some(z.timestamp().as_microsecond()),
        Err(e) => {
            problems.error(at, format!("{text:?} in {}: {e}", zone.name()));
            None
        }
    }
}

fn freeze(f: &FreezeSpec, at: &At, problems: &mut Problems) -> Option<Freeze> {
    let zone = problems.day_zone(f.time_zone.as_deref(), &at.field("time_zone"))?;
    let start = local_instant(&f.start, &zone, &at.field("start"), problems);
    let end = local_instant(&f.end, &zone, &at.field("end"), problems);
    let (start_us, end_us) = (start?, end?);
    if end_us <= start_us {
        problems.error(
            &at.field("end"),
            format!("{} is not after the start {}", f.end, f.start),
        );
        return None;
    }
    if f.reason.trim().is_empty() {
        problems.error(&at.field("reason"), "must say why deploys are frozen");
        return None;
    }
    Some(Freeze {
        start_us,
        end_us,
        reason: f.reason.clone(),
    })
}

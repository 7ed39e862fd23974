//! The period and budgeting of a `reliability/v1 ServiceLevelObjective`: `compliance:
//! rolling` with each indicator's `window`, or `compliance: calendar` with
//! `calendar: {unit, time_zone}`; `budgeting: {method, slice, slice_target}`.

use super::path::At;
use super::problems::Problems;
use super::raw::{BudgetingSpec, IndicatorSpec, SloSpec};
use crate::evaluate::{Budgeting, Calendar, CalendarUnit, Ppb};
use crate::time::{HOUR, SECOND};

/// The calendar (if any) and budgeting method a document's indicators share (`at`: the
/// document's `spec`).
pub(super) fn document(
    s: &SloSpec,
    at: &At,
    problems: &mut Problems,
) -> Option<(Option<Calendar>, Budgeting)> {
    let before = problems.count();
    let calendar = calendar(s, at, problems)?;
    let budgeting = match &s.budgeting {
        None => Budgeting::Occurrences,
        Some(b) => budgeting(b, &at.field("budgeting"), problems)?,
    };
    (problems.count() == before).then_some((calendar, budgeting))
}

/// `compliance` and `calendar`: `Some(None)` when rolling, `None` when invalid.
fn calendar(s: &SloSpec, at: &At, problems: &mut Problems) -> Option<Option<Calendar>> {
    Some(
        match (s.compliance.as_deref().unwrap_or("rolling"), &s.calendar) {
            ("rolling", None) => None,
            ("rolling", Some(_)) => {
                problems.error(
                    &at.field("calendar"),
                    "applies only to compliance: calendar",
                );
                None
            }
            ("calendar", None) => {
                problems.error(
                &at.field("calendar"),
                "required with compliance: calendar (e.g. {unit: month, time_zone: Europe/Berlin})",
            );
                None
            }
            ("calendar", Some(c)) => {
                let zone = c.time_zone.as_deref().unwrap_or("UTC");
                match CalendarUnit::from_name(&c.unit) {
                    None => {
                        problems.error(
                            &at.field("calendar.unit"),
                            format!(
                                "unknown unit {:?}: expected day, week, month, quarter or year",
                                c.unit
                            ),
                        );
                        None
                    }
                    Some(unit) => {
                        let cal = Calendar::new(unit, zone);
                        if cal.is_none() {
                            problems.error(
                            &at.field("calendar.time_zone"),
                            format!("unknown time zone {zone:?}: expected an IANA name such as Europe/Berlin"),
                        );
                        }
                        cal
                    }
                }
            }
            (other, _) => {
                problems.error(
                    &at.field("compliance"),
                    format!("unsupported compliance {other:?}: expected rolling or calendar"),
                );
                return None;
            }
        },
    )
}

/// `budgeting` (at `here`).
fn budgeting(b: &BudgetingSpec, here: &At, problems: &mut Problems) -> Option<Budgeting> {
    let slice = |problems: &mut Problems| {
        let Some(text) = &b.slice else {
            problems.error(
                &here.field("slice"),
                format!("required for method {}", b.method),
            );
            return None;
        };
        slice_us(text, &here.field("slice"), problems)
    };
    Some(match b.method.as_str() {
        "occurrences" => {
            if b.slice.is_some() || b.slice_target.is_some() {
                problems.error(
                    here,
                    "slice and slice_target apply only to the timeslice methods",
                );
            }
            Budgeting::Occurrences
        }
        "timeslices" => {
            let slice_us = slice(problems);
            let target = b
                .slice_target
                .and_then(Ppb::from_fraction)
                .filter(|p| p.0 > 0);
            if target.is_none() {
                problems.error(
                    &here.field("slice_target"),
                    "required for timeslices: a ratio greater than 0 and at most 1",
                );
            }
            Budgeting::Timeslices {
                slice_us: slice_us?,
                target: target?,
            }
        }
        "ratio_timeslices" => {
            if b.slice_target.is_some() {
                problems.error(&here.field("slice_target"), "applies only to timeslices");
            }
            Budgeting::RatioTimeslices {
                slice_us: slice(problems)?,
            }
        }
        other => {
            problems.error(
                &here.field("method"),
                format!(
                    "unknown method {other:?}: expected occurrences, timeslices or ratio_timeslices"
                ),
            );
            return None;
        }
    })
}

/// A slice width written as a duration ([`slice_width`]).
pub(super) fn slice_us(text: &str, at: &At, problems: &mut Problems) -> Option<i64> {
    slice_width(problems.duration(text, at)?, at, problems)
}

/// A slice width of `us`: whole seconds dividing one hour, or whole hours (`2h`, `1d`), so
/// that every slice is a whole number of buckets of one tier.
pub(super) fn slice_width(us: i64, at: &At, problems: &mut Problems) -> Option<i64> {
    if us <= 0 || us % SECOND != 0 || (HOUR % us != 0 && us % HOUR != 0) {
        problems.error(
            at,
            "must divide one hour into whole seconds, or be whole hours (e.g. 1m, 5m, 10m, 1h, 2h, 1d)",
        );
        return None;
    }
    Some(us)
}

/// The period length of one indicator: its rolling `window`, or the calendar unit's nominal
/// length (its `window` may be omitted or name the unit: `1w`, `1M`, `1Q`).
pub(super) fn indicator(
    ind: &IndicatorSpec,
    calendar: Option<&Calendar>,
    here: &At,
    problems: &mut Problems,
) -> Option<i64> {
    let at = here.field("window");
    match (calendar, ind.window.as_deref()) {
        (None, None) => {
            problems.error(&at, "required with compliance: rolling (e.g. 30d)");
            None
        }
        (None, Some(w)) => problems.duration(w, &at),
        (Some(c), w) => {
            let unit = match c.unit {
                CalendarUnit::Day => "1d",
                CalendarUnit::Week => "1w",
                CalendarUnit::Month => "1M",
                CalendarUnit::Quarter => "1Q",
                CalendarUnit::Year => "1Y",
            };
            if w.is_some_and(|w| w != unit) {
                problems.error(
                    &at,
                    format!(
                        "the period is the calendar {}: omit window or write {unit}",
                        c.unit.name()
                    ),
                );
                return None;
            }
            Some(c.nominal_us())
        }
    }
}

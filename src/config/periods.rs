//! The period and budgeting of a `reliability/v1 ServiceLevelObjective`: `compliance:
//! rolling` with each indicator's `window`, or `compliance: calendar` with
//! `calendar: {unit, time_zone}`; `budgeting: {method, slice, slice_target}`.

use super::Problems;
use super::raw::{IndicatorSpec, SloSpec};
use crate::evaluate::{Budgeting, Calendar, CalendarUnit, Ppb};
use crate::time::{HOUR, SECOND, parse_duration};

/// The calendar (if any) and budgeting method a document's indicators share.
pub(super) fn document(
    s: &SloSpec,
    at: &str,
    problems: &mut Problems,
) -> Option<(Option<Calendar>, Budgeting)> {
    let mut ok = true;
    let calendar = match (s.compliance.as_deref().unwrap_or("rolling"), &s.calendar) {
        ("rolling", None) => None,
        ("rolling", Some(_)) => {
            problems.push(
                format!("{at}: spec.calendar"),
                "applies only to compliance: calendar",
            );
            ok = false;
            None
        }
        ("calendar", None) => {
            problems.push(
                format!("{at}: spec.calendar"),
                "required with compliance: calendar (e.g. {unit: month, time_zone: Europe/Berlin})",
            );
            ok = false;
            None
        }
        ("calendar", Some(c)) => {
            let zone = c.time_zone.as_deref().unwrap_or("UTC");
            match CalendarUnit::from_name(&c.unit) {
                None => {
                    problems.push(
                        format!("{at}: spec.calendar.unit"),
                        format!("unknown unit {:?}: expected week, month or quarter", c.unit),
                    );
                    ok = false;
                    None
                }
                Some(unit) => {
                    let cal = Calendar::new(unit, zone);
                    if cal.is_none() {
                        problems.push(
                            format!("{at}: spec.calendar.time_zone"),
                            format!("unknown time zone {zone:?}: expected an IANA name such as Europe/Berlin"),
                        );
                        ok = false;
                    }
                    cal
                }
            }
        }
        (other, _) => {
            problems.push(
                format!("{at}: spec.compliance"),
                format!("unsupported compliance {other:?}: expected rolling or calendar"),
            );
            return None;
        }
    };
    let budgeting = match &s.budgeting {
        None => Budgeting::Occurrences,
        Some(b) => {
            let here = format!("{at}: spec.budgeting");
            let slice = |problems: &mut Problems| {
                let Some(text) = &b.slice else {
                    problems.push(
                        format!("{here}.slice"),
                        format!("required for method {}", b.method),
                    );
                    return None;
                };
                slice_us(text, &format!("{here}.slice"), problems)
            };
            match b.method.as_str() {
                "occurrences" => {
                    if b.slice.is_some() || b.slice_target.is_some() {
                        problems.push(
                            &here,
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
                        problems.push(
                            format!("{here}.slice_target"),
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
                        problems.push(format!("{here}.slice_target"), "applies only to timeslices");
                    }
                    Budgeting::RatioTimeslices {
                        slice_us: slice(problems)?,
                    }
                }
                other => {
                    problems.push(
                        format!("{here}.method"),
                        format!("unknown method {other:?}: expected occurrences, timeslices or ratio_timeslices"),
                    );
                    return None;
                }
            }
        }
    };
    ok.then_some((calendar, budgeting))
}

/// A slice width: whole seconds dividing one hour.
pub(super) fn slice_us(text: &str, at: &str, problems: &mut Problems) -> Option<i64> {
    let us = parse_duration(text)
        .map_err(|e| problems.push(at, e.to_string()))
        .ok()?;
    if us % SECOND != 0 || HOUR % us != 0 {
        problems.push(
            at,
            "must divide one hour into whole seconds (e.g. 1m, 5m, 10m, 1h)",
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
    here: &str,
    problems: &mut Problems,
) -> Option<i64> {
    let at = format!("{here}.window");
    match (calendar, ind.window.as_deref()) {
        (None, None) => {
            problems.push(at, "required with compliance: rolling (e.g. 30d)");
            None
        }
        (None, Some(w)) => parse_duration(w)
            .map_err(|e| problems.push(at, e.to_string()))
            .ok(),
        (Some(c), w) => {
            let unit = match c.unit {
                CalendarUnit::Week => "1w",
                CalendarUnit::Month => "1M",
                CalendarUnit::Quarter => "1Q",
            };
            if w.is_some_and(|w| w != unit) {
                problems.push(
                    at,
                    format!(
                        "the period is the calendar {}: omit window or write {unit}",
                        c.unit.name()
                    ),
                );
                return None;
            }
            Some(c.unit.nominal_us())
        }
    }
}

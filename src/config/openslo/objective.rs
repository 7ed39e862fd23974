//! OpenSLO objectives and time windows: targets, budgeting methods with their slices, and
//! rolling or calendar windows. The SLOs themselves are built by [`crate::config::objective`],
//! as for `reliability/v1` documents.

use super::{Objective, TimeWindow};
use crate::config::path::At;
use crate::config::problems::Problems;
use crate::evaluate::{Budgeting, Calendar, CalendarUnit, Ppb};
use crate::time::MINUTE;

pub(super) fn target(o: &Objective, here: &At, problems: &mut Problems) -> Option<Ppb> {
    let from_target = o.target.map(|t| (t, Ppb::from_fraction(t)));
    let from_percent = o.target_percent.map(|p| (p, Ppb::from_percent(p)));
    let valid = |p: Option<Ppb>| p.filter(|p| p.0 > 0 && p.0 < crate::evaluate::exact::ONE);
    match (from_target, from_percent) {
        (None, None) => {
            problems.error(here, "set target (0–1) or targetPercent (0–100)");
            None
        }
        (Some((t, p)), None) => valid(p).or_else(|| {
            problems.error(
                &here.field("target"),
                format!("{t} is not a fraction greater than 0 and less than 1"),
            );
            None
        }),
        (None, Some((t, p))) => valid(p).or_else(|| {
            problems.error(
                &here.field("targetPercent"),
                format!("{t} is not a percentage greater than 0 and less than 100"),
            );
            None
        }),
        (Some((t, a)), Some((pct, b))) => {
            if a == b && valid(a).is_some() {
                problems.deviation(
                    &here.field("targetPercent"),
                    format!("target and targetPercent are mutually exclusive (both say {t})"),
                );
                valid(a)
            } else {
                problems.error(
                    &here.field("targetPercent"),
                    format!("target and targetPercent are mutually exclusive, and {t} ≠ {pct} %"),
                );
                None
            }
        }
    }
}

pub(super) fn budgeting(
    o: &Objective,
    method: &str,
    here: &At,
    problems: &mut Problems,
) -> Option<Budgeting> {
    let slice = |problems: &mut Problems| {
        let at = &here.field("timeSliceWindow");
        let Some(v) = &o.time_slice_window else {
            problems.error(at, format!("required for budgetingMethod {method}"));
            return None;
        };
        // A bare number is minutes.
        let us = match v.as_u64() {
            Some(n) => Some(i64::try_from(n).ok()?.checked_mul(MINUTE)?),
            None => v.as_str().and_then(|t| problems.duration(t, at)),
        };
        crate::config::periods::slice_width(us?, at, problems)
    };
    match method {
        "Timeslices" => {
            let slice_us = slice(problems);
            let target = match o.time_slice_target {
                None => {
                    problems.error(
                        &here.field("timeSliceTarget"),
                        "required for budgetingMethod Timeslices",
                    );
                    None
                }
                Some(t) => Ppb::from_fraction(t).filter(|p| p.0 > 0).or_else(|| {
                    problems.error(
                        &here.field("timeSliceTarget"),
                        "must be greater than 0 and at most 1",
                    );
                    None
                }),
            };
            Some(Budgeting::Timeslices {
                slice_us: slice_us?,
                target: target?,
            })
        }
        "RatioTimeslices" => {
            if o.time_slice_target.is_some() {
                problems.deviation(
                    &here.field("timeSliceTarget"),
                    "applies only to Timeslices; ignored",
                );
            }
            Some(Budgeting::RatioTimeslices {
                slice_us: slice(problems)?,
            })
        }
        "Occurrences" => {
            if o.time_slice_target.is_some() || o.time_slice_window.is_some() {
                problems.deviation(
                    &here.field("timeSliceWindow"),
                    "timeSliceTarget and timeSliceWindow apply only to the timeslice methods; ignored",
                );
            }
            Some(Budgeting::Occurrences)
        }
        _ => None,
    }
}

/// The window of an SLO without `timeWindow`: rolling 28 days.
pub(super) const DEFAULT_WINDOW_US: i64 = 28 * crate::time::DAY;

/// `(period or nominal length, calendar)` of the one time window, rolling 28 days when the
/// SLO gives none.
pub(super) fn time_window(
    windows: &[TimeWindow],
    at: &At,
    problems: &mut Problems,
) -> Option<(i64, Option<Calendar>)> {
    if windows.is_empty() {
        // The spec makes timeWindow optional; its go-sdk and Nobl9 default to rolling 28 days.
        return Some((DEFAULT_WINDOW_US, None));
    }
    let [w] = windows else {
        problems.error(
            at,
            format!(
                "exactly one time window is required, found {}",
                windows.len()
            ),
        );
        return None;
    };
    let at = at.index(0);
    let rolling = w.is_rolling.unwrap_or(w.calendar.is_none());
    if rolling {
        if w.calendar.is_some() {
            problems.error(
                &at.field("calendar"),
                "a rolling window has no calendar (set isRolling: false)",
            );
        }
        if w.duration.ends_with(['M', 'Q', 'Y']) {
            problems.error(
                &at.field("duration"),
                format!("{:?}: months, quarters and years are calendar windows; use days (28d, 30d) for a rolling one", w.duration),
            );
            return None;
        }
        return Some((problems.duration(&w.duration, &at.field("duration"))?, None));
    }
    let Some(c) = &w.calendar else {
        problems.error(&at.field("calendar"), "required when isRolling is false");
        return None;
    };
    let Some((count, unit)) = calendar_duration(&w.duration) else {
        problems.error(
            &at.field("duration"),
            format!(
                "{:?}: a calendar window is a whole number of days, weeks, months, quarters or years (1d, 2w, 1M, 1Q, 1Y)",
                w.duration
            ),
        );
        return None;
    };
    let start_at = at.field("calendar.startTime");
    let anchor = start_time(&c.start_time, &start_at, problems)?;
    let Some(calendar) = Calendar::anchored(unit, count, anchor, &c.time_zone) else {
        problems.error(
            &at.field("calendar.timeZone"),
            format!(
                "unknown time zone {:?}: expected an IANA name such as Europe/Berlin",
                c.time_zone
            ),
        );
        return None;
    };
    Some((calendar.nominal_us(), Some(calendar)))
}

/// A calendar window's `duration`: a count and a unit (`1w`, `2w`, `1d`, `1M`, `1Q`, `1Y`;
/// `7d` is a week and `3M` a quarter, as before).
fn calendar_duration(text: &str) -> Option<(i64, CalendarUnit)> {
    let unit = match text.chars().last()? {
        'd' => CalendarUnit::Day,
        'w' => CalendarUnit::Week,
        'M' => CalendarUnit::Month,
        'Q' => CalendarUnit::Quarter,
        'Y' | 'y' => CalendarUnit::Year,
        _ => return None,
    };
    let n: i64 = text[..text.len() - 1].parse().ok()?;
    if !(1..=1000).contains(&n) {
        return None;
    }
    Some(match (n, unit) {
        (7, CalendarUnit::Day) => (1, CalendarUnit::Week),
        (3, CalendarUnit::Month) => (1, CalendarUnit::Quarter),
        other => other,
    })
}

/// `calendar.startTime` (at `at`): a local date and time, `YYYY-MM-DD HH:MM[:SS]` (or with
/// `T`), or a date (its midnight). Seconds are dropped with a warning: periods start at
/// whole minutes, so that they are read exactly from minute buckets.
fn start_time(text: &str, at: &At, problems: &mut Problems) -> Option<jiff::civil::DateTime> {
    let text = text.trim();
    let parsed = text
        .replacen(' ', "T", 1)
        .parse::<jiff::civil::DateTime>()
        .or_else(|_| {
            text.parse::<jiff::civil::Date>()
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        });
    let Ok(t) = parsed else {
        problems.error(
            at,
            format!("{text:?}: expected a local date and time, YYYY-MM-DD HH:MM:SS"),
        );
        return None;
    };
    if t.second() == 0 && t.subsec_nanosecond() == 0 {
        return Some(t);
    }
    // To the nearest minute (half a minute up).
    let up = t.second() >= 30;
    let minute = t.with().second(0).subsec_nanosecond(0).build().ok()?;
    let rounded = if up {
        minute.checked_add(jiff::Span::new().minutes(1)).ok()?
    } else {
        minute
    };
    problems.warning(
        at,
        format!(
            "{text:?}: periods start at whole minutes; rounded to {}",
            rounded.strftime("%Y-%m-%d %H:%M:00")
        ),
    );
    Some(rounded)
}

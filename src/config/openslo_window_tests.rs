//! Time windows and budgeting: native calendar and timeslice fields, slices of whole hours,
//! calendar windows that start anywhere and last any whole number of units.

use super::openslo_tests::{PIPELINE, RATIO, ROLLING, assert_problems, slo};
use super::*;
use crate::evaluate::{Budgeting, CalendarUnit};
use crate::time::{DAY, HOUR, MINUTE};

#[test]
fn native_calendar_and_timeslice_fields() {
    let text = format!(
        "{PIPELINE}---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {{name: n}}\nspec:\n  service: api\n  \
         compliance: calendar\n  calendar: {{unit: quarter, time_zone: Asia/Kolkata}}\n  \
         budgeting: {{method: ratio_timeslices, slice: 5m}}\n  indicators: [{{name: availability, threshold: 99.5}}]\n"
    );
    let c = parse(&text, "n.yaml").unwrap_or_else(|e| panic!("{e}"));
    let o = &c.reload.objectives[0];
    assert_eq!(o.calendar.as_ref().unwrap().unit, CalendarUnit::Quarter);
    assert_eq!(
        o.budgeting,
        Budgeting::RatioTimeslices {
            slice_us: 5 * MINUTE
        }
    );
    // Kolkata period starts fall on :30, slices are 5 minutes: read from 1-minute buckets.
    assert_eq!(o.budget_width_us(), Some(MINUTE));
    let bad = text
        .replace("unit: quarter", "unit: fortnight")
        .replace(
            "method: ratio_timeslices, slice: 5m",
            "method: timeslices, slice: 5m",
        )
        .replace("threshold: 99.5}", "threshold: 99.5, window: 30d}");
    assert_problems(
        &bad,
        &[
            "spec.calendar.unit: unknown unit \"fortnight\"",
            "spec.budgeting.slice_target: required for timeslices",
        ],
    );
    let rolling = text.replace("compliance: calendar", "compliance: rolling");
    assert_problems(
        &rolling,
        &["spec.calendar: applies only to compliance: calendar"],
    );
}

/// The `timeSliceWindow` values the spec shows beyond divisors of an hour: `2h`, `1d`, and
/// a bare number of minutes that makes whole hours; a slice longer than the period cannot
/// complete and is refused.
#[test]
fn time_slices_of_whole_hours_load() {
    for (window, want) in [
        ("2h", 2 * HOUR),
        ("1d", DAY),
        ("1440", DAY),
        ("30m", 30 * MINUTE),
    ] {
        let c = parse(
            &format!(
                "{PIPELINE}{}",
                slo(
                    RATIO,
                    ROLLING,
                    "Timeslices",
                    &format!("{{target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: {window}}}")
                )
            ),
            "t.yaml",
        )
        .unwrap_or_else(|e| panic!("{window}: {e}"));
        assert_eq!(
            c.reload.objectives[0].budgeting.slice_us(),
            Some(want),
            "{window}"
        );
    }
    assert_problems(
        &format!(
            "{PIPELINE}{}{}",
            slo(
                RATIO,
                "{duration: 12h, isRolling: true}",
                "RatioTimeslices",
                "{target: 0.99, timeSliceWindow: 1d}"
            ),
            slo(
                RATIO,
                ROLLING,
                "RatioTimeslices",
                "{target: 0.99, timeSliceWindow: 90m}"
            )
            .replace("name: s}", "name: s2}"),
        ),
        &[
            "(SLO s): metadata.name: its time slice (1d) is longer than its period (12h)",
            "(SLO s2): spec.objectives[0].timeSliceWindow: must divide one hour into whole seconds, or be whole hours",
        ],
    );
}

/// Calendar windows as the go-sdk, Nobl9 and the spec's template write them: any
/// `startTime`, and durations beyond `1w`/`1M`/`1Q`; a start with seconds is rounded to the
/// minute with a warning.
#[test]
fn calendar_windows_start_anywhere_and_last_any_whole_units() {
    for (duration, start, unit, count, anchor) in [
        (
            "2w",
            "2022-01-01 12:00:00",
            CalendarUnit::Week,
            2,
            "2022-01-01T12:00",
        ),
        ("1d", "2022-01-01", CalendarUnit::Day, 1, "2022-01-01T00:00"),
        (
            "1Y",
            "2020-01-21 12:30:00",
            CalendarUnit::Year,
            1,
            "2020-01-21T12:30",
        ),
        (
            "1Q",
            "2020-01-21T12:30:00",
            CalendarUnit::Quarter,
            1,
            "2020-01-21T12:30",
        ),
        (
            "7d",
            "2024-01-01 00:00:00",
            CalendarUnit::Week,
            1,
            "2024-01-01T00:00",
        ),
        (
            "6M",
            "2024-01-31 00:00",
            CalendarUnit::Month,
            6,
            "2024-01-31T00:00",
        ),
    ] {
        let window = format!(
            "{{duration: {duration}, isRolling: false, calendar: {{startTime: \"{start}\", timeZone: Europe/Berlin}}}}"
        );
        let c = parse(
            &format!(
                "{PIPELINE}{}",
                slo(RATIO, &window, "Occurrences", "{target: 0.99}")
            ),
            "c.yaml",
        )
        .unwrap_or_else(|e| panic!("{duration}: {e}"));
        assert!(c.warnings.is_empty(), "{duration}");
        let o = &c.reload.objectives[0];
        let cal = o.calendar.as_ref().expect("calendar");
        assert_eq!((cal.unit, cal.count), (unit, count), "{duration}");
        assert_eq!(cal.anchor.strftime("%Y-%m-%dT%H:%M").to_string(), anchor);
        assert_eq!(o.period_us, cal.nominal_us());
    }
    let rounded = parse(
        &format!(
            "{PIPELINE}{}",
            slo(
                RATIO,
                "{duration: 1w, isRolling: false, calendar: {startTime: \"2022-01-01 11:59:40\", timeZone: UTC}}",
                "Occurrences",
                "{target: 0.99}"
            )
        ),
        "r.yaml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cal = rounded.reload.objectives[0].calendar.as_ref().unwrap();
    assert_eq!(cal.anchor.strftime("%H:%M").to_string(), "12:00");
    assert_eq!(rounded.warnings.len(), 1);
    assert!(
        rounded.warnings[0]
            .message
            .contains("periods start at whole minutes; rounded to 2022-01-01 12:00:00"),
        "{:?}",
        rounded.warnings
    );
    assert_problems(
        &format!(
            "{PIPELINE}{}{}",
            slo(
                RATIO,
                "{duration: 12h, isRolling: false, calendar: {startTime: \"2022-01-01\", timeZone: UTC}}",
                "Occurrences",
                "{target: 0.99}"
            ),
            slo(
                RATIO,
                "{duration: 0w, isRolling: false, calendar: {startTime: \"2022-01-01\", timeZone: UTC}}",
                "Occurrences",
                "{target: 0.99}"
            )
            .replace("name: s}", "name: s2}"),
        ),
        &[
            "(SLO s): spec.timeWindow[0].duration: \"12h\": a calendar window is a whole number of days, weeks, months, quarters or years",
            "(SLO s2): spec.timeWindow[0].duration: \"0w\": a calendar window is",
        ],
    );
}

//! The error collector every stage's validation reports into.
//!
//! Validation never stops at the first problem: each check records what is wrong at its
//! [`At`] location and carries on, so one run lists everything. Known deviations of published
//! OpenSLO examples are errors, or warnings when the Pipeline sets `spec.openslo.lenient`.
//! A warning repeated at the same place is kept once.

use super::Problem;
use super::path::At;
use crate::time::parse_duration;
use crate::window::DayZone;

/// Problems and warnings found while loading one configuration.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
    lenient: bool,
}

impl Problems {
    /// Records an error at `at`.
    pub(crate) fn error(&mut self, at: &At, message: impl Into<String>) {
        self.errors.push(Problem {
            location: at.to_string(),
            message: message.into(),
        });
    }

    /// Records a warning at `at`.
    /// A warning at `at`, once: the same warning at the same place (a deviation in a
    /// document that several others use) is kept and printed one time.
    pub(crate) fn warning(&mut self, at: &At, message: impl Into<String>) {
        let p = Problem {
            location: at.to_string(),
            message: message.into(),
        };
        if !self.warnings.contains(&p) {
            self.warnings.push(p);
        }
    }

    /// An error when `strict`, else a warning.
    pub(crate) fn error_or_warning(&mut self, strict: bool, at: &At, message: impl Into<String>) {
        if strict {
            self.error(at, message);
        } else {
            self.warning(at, message);
        }
    }

    /// A known deviation: a warning when lenient, else an error that says how to accept it.
    pub(crate) fn deviation(&mut self, at: &At, message: impl Into<String>) {
        let message = message.into();
        if self.lenient {
            self.warning(at, message);
        } else {
            self.error(
                at,
                format!("{message} (set spec.openslo.lenient: true in the Pipeline to accept it with a warning)"),
            );
        }
    }

    /// Whether deviations are accepted with a warning (`spec.openslo.lenient`).
    pub(crate) fn set_lenient(&mut self, lenient: bool) {
        self.lenient = lenient;
    }

    /// How many errors so far: a check compares it before and after to know if it failed.
    pub(crate) fn count(&self) -> usize {
        self.errors.len()
    }

    /// A duration such as `5m`, or `None` with the error recorded at `at`.
    pub(crate) fn duration(&mut self, text: &str, at: &At) -> Option<i64> {
        parse_duration(text)
            .map_err(|e| self.error(at, e.to_string()))
            .ok()
    }

    /// The IANA zone `name` (UTC when absent), or an error at `at`.
    pub(crate) fn day_zone(&mut self, name: Option<&str>, at: &At) -> Option<DayZone> {
        let name = name.unwrap_or("UTC");
        let zone = DayZone::get(name);
        if zone.is_none() {
            self.error(at, format!("unknown time zone {name:?}"));
        }
        zone
    }

    /// The errors and the warnings, each in the order found.
    pub(crate) fn finish(self) -> (Vec<Problem>, Vec<Problem>) {
        (self.errors, self.warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_repeated_at_the_same_place_is_kept_once() {
        let mut p = Problems::default();
        let at = At::document("t.yaml", 1);
        p.warning(&at.field("op"), "read as gte");
        p.warning(&at.field("op"), "read as gte");
        p.warning(&at.field("op"), "another");
        p.warning(&at.field("other"), "read as gte");
        let (errors, warnings) = p.finish();
        assert!(errors.is_empty());
        let got: Vec<String> = warnings
            .iter()
            .map(|w| format!("{}: {}", w.location, w.message))
            .collect();
        assert_eq!(got.len(), 3, "{got:?}");
    }
}

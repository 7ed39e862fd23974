//! Alert and policy definitions: the SRE-workbook burn-rate defaults, budget thresholds and
//! the error-budget policy tiers.
//!
//! Default multi-window, multi-burn-rate alerts for a 30-day period are page 14.4× over 1 h
//! and 5 m, page 6× over 6 h and 30 m, ticket 3× over 1 d and 2 h, ticket 1× over 3 d and 6 h.
//! For another period each factor is `budget share × period / long window` (as Sloth computes
//! it) with the same windows; tiers whose long window exceeds the period are left out.

use std::sync::Arc;

use super::exact::{Factor, ONE, Ppb, remaining_above, remaining_below};
use super::kinds::{PolicyTier, Severity};
use crate::time::{DAY, HOUR, MINUTE};
use crate::window::Counts;

/// A multi-window burn-rate alert: fires when both windows burn faster than `factor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BurnAlert {
    /// Alert name.
    pub name: Arc<str>,
    /// Severity (`page`, `ticket`, …).
    pub severity: Severity,
    /// What the policy says to do, if given.
    pub action: Option<Arc<str>>,
    /// Long window, µs.
    pub long_us: i64,
    /// Short window, µs.
    pub short_us: i64,
    /// Burn-rate factor that both windows must exceed.
    pub factor: Factor,
    /// Fire when both windows burn at least (not strictly above) the factor.
    pub inclusive: bool,
    /// Fire only when the short window holds at least this many events (0: any number), so
    /// that 1 error in 3 requests at night does not page.
    pub min_events: u64,
    /// How long the condition must hold, in event time, before the alert fires (OpenSLO's
    /// `alertAfter`, a policy's `for`; 0: at once). See [`super::hold`].
    pub hold_us: i64,
}

/// Fires when the budget runs out within `within_us` if the last `rate_window_us` goes on
/// (see [`super::forecast`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExhaustionAlert {
    /// Alert name.
    pub name: Arc<str>,
    /// Severity.
    pub severity: Severity,
    /// The horizon, µs.
    pub within_us: i64,
    /// The window whose rates are projected: 1 h, 6 h or 1 d.
    pub rate_window_us: i64,
}

/// Fires when the remaining error budget is strictly below `below`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetAlert {
    /// Alert name.
    pub name: Arc<str>,
    /// Severity.
    pub severity: Severity,
    /// Remaining-ratio threshold.
    pub below: Ppb,
}

/// Remaining-budget thresholds of the policy tiers. With `r` the remaining ratio: normal
/// when `r > caution`; caution when `slow_down ≤ r ≤ caution`; slow_down when
/// `freeze ≤ r < slow_down`; freeze when `0 < r < freeze`; exhausted when `r ≤ 0`.
/// Defaults 50 %, 25 %, 10 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyTiers {
    /// Normal above this (default 50 %).
    pub caution: Ppb,
    /// Slow down below this (default 25 %).
    pub slow_down: Ppb,
    /// Freeze below this (default 10 %).
    pub freeze: Ppb,
}

impl Default for PolicyTiers {
    fn default() -> Self {
        Self {
            caution: Ppb(ONE / 2),
            slow_down: Ppb(ONE / 4),
            freeze: Ppb(ONE / 10),
        }
    }
}

impl PolicyTiers {
    /// The tier of a period with counts `c` under `objective`.
    pub fn tier(&self, c: Counts, objective: Ppb) -> PolicyTier {
        if !remaining_above(c, objective, Ppb(0)) {
            PolicyTier::Exhausted
        } else if remaining_below(c, objective, self.freeze) {
            PolicyTier::Freeze
        } else if remaining_below(c, objective, self.slow_down) {
            PolicyTier::SlowDown
        } else if !remaining_above(c, objective, self.caution) {
            PolicyTier::Caution
        } else {
            PolicyTier::Normal
        }
    }
}

/// The SRE-workbook default alerts for an SLO period of `period_us`.
pub fn default_burn_alerts(period_us: i64) -> Vec<BurnAlert> {
    // (severity, long, short, budget share in ppm)
    const TIERS: [(Severity, i64, i64, u64); 4] = [
        (Severity::Page, HOUR, 5 * MINUTE, 20_000),
        (Severity::Page, 6 * HOUR, 30 * MINUTE, 50_000),
        (Severity::Ticket, DAY, 2 * HOUR, 100_000),
        (Severity::Ticket, 3 * DAY, 6 * HOUR, 100_000),
    ];
    TIERS
        .iter()
        .filter(|&&(_, long, _, _)| long <= period_us)
        .filter_map(|(severity, long, short, share_ppm)| {
            let (long, short) = (*long, *short);
            let factor = Factor::new(
                *share_ppm * (period_us as u64 / 1_000),
                1_000_000 * (long as u64 / 1_000),
            )?;
            Some(BurnAlert {
                name: format!(
                    "{severity}_{}_{}",
                    crate::time::format_duration(long),
                    crate::time::format_duration(short)
                )
                .into(),
                severity: severity.clone(),
                action: None,
                long_us: long,
                short_us: short,
                factor,
                inclusive: false,
                min_events: 0,
                hold_us: 0,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_day_defaults_match_the_workbook() {
        let alerts = default_burn_alerts(30 * DAY);
        let got: Vec<(&str, f64)> = alerts
            .iter()
            .map(|a| (&*a.name, a.factor.as_f64()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("page_1h_5m", 14.4),
                ("page_6h_30m", 6.0),
                ("ticket_1d_2h", 3.0),
                ("ticket_3d_6h", 1.0)
            ]
        );
        assert_eq!(alerts[0].factor, Factor::new(72, 5).unwrap());
    }

    #[test]
    fn other_periods_scale_like_sloth() {
        let week = default_burn_alerts(7 * DAY);
        assert_eq!(week[0].factor, Factor::new(336, 100).unwrap()); // 0.02 × 168
        assert_eq!(week[1].factor, Factor::new(14, 10).unwrap()); // 0.05 × 28
        let day = default_burn_alerts(DAY);
        assert_eq!(day.len(), 3, "a 3d long window does not fit a 1d period");
    }

    #[test]
    fn default_severities() {
        let severities: Vec<_> = default_burn_alerts(30 * DAY)
            .into_iter()
            .map(|a| a.severity)
            .collect();
        assert_eq!(
            severities,
            [
                Severity::Page,
                Severity::Page,
                Severity::Ticket,
                Severity::Ticket
            ]
        );
    }

    #[test]
    fn tiers_at_their_exact_boundaries() {
        let o = Ppb::from_percent(99.0).unwrap(); // 10 000 events allow 100 bad
        let t = PolicyTiers::default();
        let tier = |bad: u64| {
            t.tier(
                Counts {
                    good: 10_000 - bad,
                    total: 10_000,
                },
                o,
            )
        };
        assert_eq!(tier(0), PolicyTier::Normal);
        assert_eq!(tier(49), PolicyTier::Normal); // 51 %
        assert_eq!(tier(50), PolicyTier::Caution); // exactly 50 %
        assert_eq!(tier(75), PolicyTier::Caution); // exactly 25 %
        assert_eq!(tier(76), PolicyTier::SlowDown);
        assert_eq!(tier(90), PolicyTier::SlowDown); // exactly 10 %
        assert_eq!(tier(91), PolicyTier::Freeze);
        assert_eq!(tier(99), PolicyTier::Freeze);
        assert_eq!(tier(100), PolicyTier::Exhausted); // exactly 0
        assert_eq!(tier(500), PolicyTier::Exhausted);
        assert_eq!(t.tier(Counts::default(), o), PolicyTier::Normal);
    }
}

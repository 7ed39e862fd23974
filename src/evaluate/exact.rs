//! Exact decimal ratios and the integer comparisons alerting relies on.
//!
//! Objectives and thresholds are held as parts per billion ([`Ppb`]) and burn-rate factors as
//! reduced fractions ([`Factor`]), so that "burn rate above 14.4" or "remaining budget below
//! 50 %" is decided by comparing integer products, never floats: a burn of exactly the factor
//! does not fire, and 9 bad of 1,250 at 99.95 % is judged exactly. Floats appear only in the
//! values reported for display.

use crate::window::Counts;

/// One, in parts per billion.
pub const ONE: u64 = 1_000_000_000;

/// A ratio in parts per billion: exact for decimals with up to nine places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ppb(pub u64);

impl Ppb {
    /// From a fraction in `[0, 1]` written as a decimal (`0.999`), rounded to 1e-9.
    pub fn from_fraction(x: f64) -> Option<Ppb> {
        (x.is_finite() && (0.0..=1.0).contains(&x)).then(|| Ppb((x * ONE as f64).round() as u64))
    }

    /// From a percentage in `[0, 100]` (`99.9`), rounded to 1e-9.
    pub fn from_percent(p: f64) -> Option<Ppb> {
        (p.is_finite() && (0.0..=100.0).contains(&p))
            .then(|| Ppb((p * (ONE / 100) as f64).round() as u64))
    }

    /// The ratio as a float, for display.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / ONE as f64
    }

    /// `1 − self`.
    pub fn complement(self) -> Ppb {
        Ppb(ONE.saturating_sub(self.0))
    }
}

/// A non-negative rational `num / den` in lowest terms, `den > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Factor {
    num: u64,
    den: u64,
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Factor {
    /// `num / den`; `None` when `den` is zero.
    pub fn new(num: u64, den: u64) -> Option<Factor> {
        if den == 0 {
            return None;
        }
        let g = gcd(num, den).max(1);
        Some(Factor {
            num: num / g,
            den: den / g,
        })
    }

    /// From a decimal such as `14.4`, rounded to 1e-6; `None` if negative or not finite.
    pub fn from_decimal(x: f64) -> Option<Factor> {
        (x.is_finite() && (0.0..1e12).contains(&x))
            .then(|| Factor::new((x * 1e6).round() as u64, 1_000_000))
            .flatten()
    }

    /// The factor as a float, for display.
    pub fn as_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

/// `a·b·c < d·e·f` for non-negative integers, exactly when the products fit in 128 bits
/// (always, for realistic counts) and by floats otherwise.
fn less(a: u128, b: u128, c: u128, d: u128, e: u128, f: u128) -> bool {
    match (
        a.checked_mul(b).and_then(|x| x.checked_mul(c)),
        d.checked_mul(e).and_then(|x| x.checked_mul(f)),
    ) {
        (Some(l), Some(r)) => l < r,
        _ => (a as f64) * (b as f64) * (c as f64) < (d as f64) * (e as f64) * (f as f64),
    }
}

/// True when the burn rate of `c` against `objective` is strictly above `factor`:
/// `bad/total / (1 − objective) > factor`. No traffic never burns.
pub fn burn_exceeds(c: Counts, objective: Ppb, factor: Factor) -> bool {
    // bad · ONE · den > num · (ONE − obj) · total
    c.total > 0
        && less(
            u128::from(factor.num),
            u128::from(objective.complement().0),
            u128::from(c.total),
            u128::from(c.bad()),
            u128::from(ONE),
            u128::from(factor.den),
        )
}

/// True when the burn rate of `c` against `objective` is at least `factor` (OpenSLO
/// `op: gte`). No traffic never burns.
pub fn burn_at_least(c: Counts, objective: Ppb, factor: Factor) -> bool {
    // bad · ONE · den ≥ num · (ONE − obj) · total
    c.total > 0
        && !less(
            u128::from(c.bad()),
            u128::from(ONE),
            u128::from(factor.den),
            u128::from(factor.num),
            u128::from(objective.complement().0),
            u128::from(c.total),
        )
}

/// True when the remaining error budget `1 − bad / ((1 − objective) · total)` is strictly
/// below `x`. No traffic leaves the whole budget (remaining = 1).
pub fn remaining_below(c: Counts, objective: Ppb, x: Ppb) -> bool {
    // remaining < x ⇔ (ONE − x)(ONE − o)·total < bad·ONE²
    c.total > 0
        && less(
            u128::from(x.complement().0),
            u128::from(objective.complement().0),
            u128::from(c.total),
            u128::from(c.bad()),
            u128::from(ONE),
            u128::from(ONE),
        )
}

/// True when the remaining error budget is strictly above `x`. No traffic leaves the whole
/// budget (remaining = 1).
pub fn remaining_above(c: Counts, objective: Ppb, x: Ppb) -> bool {
    if c.total == 0 {
        return x.0 < ONE;
    }
    // remaining > x ⇔ bad·ONE² < (ONE − x)(ONE − o)·total
    less(
        u128::from(c.bad()),
        u128::from(ONE),
        u128::from(ONE),
        u128::from(x.complement().0),
        u128::from(objective.complement().0),
        u128::from(c.total),
    )
}

/// Burn rate as a float for display; `None` without traffic.
pub fn burn_rate(c: Counts, objective: Ppb) -> Option<f64> {
    let budget = objective.complement().as_f64();
    (c.total > 0 && budget > 0.0).then(|| c.bad() as f64 / c.total as f64 / budget)
}

/// Good / total as a float for display; `None` without traffic.
pub fn sli(c: Counts) -> Option<f64> {
    (c.total > 0).then(|| c.good as f64 / c.total as f64)
}

/// Remaining budget ratio as a float for display: 1 without traffic, negative when overspent.
/// Objectives are below 100 % (validated), so traffic always allows some bad events.
pub fn remaining_ratio(c: Counts, objective: Ppb) -> f64 {
    let allowed = objective.complement().as_f64() * c.total as f64;
    if allowed > 0.0 {
        1.0 - c.bad() as f64 / allowed
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(good: u64, total: u64) -> Counts {
        Counts { good, total }
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(Ppb::from_percent(99.9), Some(Ppb(999_000_000)));
        assert_eq!(Ppb::from_percent(99.95), Some(Ppb(999_500_000)));
        assert_eq!(Ppb::from_percent(99.999), Some(Ppb(999_990_000)));
        assert_eq!(Ppb::from_percent(100.1), None);
        assert_eq!(Factor::from_decimal(14.4), Factor::new(72, 5));
        assert_eq!(Factor::new(20_000 * 720, 1_000_000), Factor::new(72, 5));
    }

    #[test]
    fn a_burn_of_exactly_the_factor_does_not_fire() {
        let o = Ppb::from_percent(99.9).unwrap();
        let f = Factor::from_decimal(14.4).unwrap();
        // 14.4 × 0.001 = 0.0144: 144 bad of 10 000 burns at exactly 14.4.
        assert!(!burn_exceeds(c(10_000 - 144, 10_000), o, f));
        assert!(burn_exceeds(c(10_000 - 145, 10_000), o, f));
        assert!(!burn_exceeds(c(0, 0), o, f));
    }

    #[test]
    fn nine_bad_of_1250_at_99_95() {
        // 9/1250 = 0.0072 = 14.4 × 0.0005 exactly: floats say 14.400000000000002 > 14.4.
        let o = Ppb::from_percent(99.95).unwrap();
        let f = Factor::from_decimal(14.4).unwrap();
        let (bad, total, objective) = (std::hint::black_box(9.0), 1250.0, 0.9995);
        assert!(
            bad / total / (1.0 - objective) > 14.4,
            "floats get this wrong"
        );
        assert!(!burn_exceeds(c(1250 - 9, 1250), o, f));
        assert!(burn_exceeds(c(1250 - 10, 1250), o, f));
    }

    #[test]
    fn remaining_budget_thresholds() {
        let o = Ppb::from_percent(99.0).unwrap();
        let half = Ppb::from_fraction(0.5).unwrap();
        // 1 000 events at 99 % allow 10 bad; 5 bad leaves exactly 50 %.
        assert!(!remaining_below(c(995, 1000), o, half));
        assert!(remaining_below(c(994, 1000), o, half));
        assert!(!remaining_below(c(0, 0), o, half));
        assert!(
            !remaining_below(c(990, 1000), o, Ppb(0)),
            "exactly spent is not below 0"
        );
        assert!(remaining_below(c(989, 1000), o, Ppb(0)));
        assert_eq!(remaining_ratio(c(995, 1000), o), 0.5);
        assert_eq!(remaining_ratio(c(0, 0), o), 1.0);
        assert_eq!(sli(c(0, 0)), None);
        assert_eq!(burn_rate(c(0, 0), o), None);
    }
}

#[cfg(test)]
#[path = "exact_proptests.rs"]
mod proptests;

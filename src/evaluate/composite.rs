//! Composite SLOs: a weighted combination of several SLIs, held to one objective.
//!
//! A composite's SLI over any window `[start, end)` is `Σ wᵢ·goodᵢ / Σ wᵢ·totalᵢ` over its
//! components' events in exactly that window. Weights are exact decimals (billionths), and
//! they are counted as whole numbers: each is written as `units × weight unit`, the weight
//! unit being the largest decimal that divides every weight and 1 (1 when every weight is a
//! whole number, 0.5 for weights 0.5 and 1.5). Each event of component `i` then counts
//! `unitsᵢ` times in the composite's own counters, so its counts are integers, every window,
//! budget and alert decision on them is as exact as any SLO's, and `good × weight unit` is
//! `Σ wᵢ·goodᵢ`. The ratios (SLI, burn rates, the remaining budget) do not depend on the unit.

use serde::Serialize;

use super::exact::ONE;

/// The most units one event of a component may count: weights whose proportions need larger
/// whole numbers are refused (so that a composite's counts stay far from overflowing).
pub const MAX_UNITS: u64 = 1_000_000;

/// What a composite SLO combines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composite {
    /// The weight one counted unit stands for, billionths.
    pub weight_unit_nano: u64,
    /// Its components, in configuration order.
    pub components: Vec<Component>,
}

/// One component of a composite SLO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// The component SLO's service.
    pub service: String,
    /// The component SLO's name.
    pub slo: String,
    /// Its weight (`compositeWeight`), billionths.
    pub weight_nano: u64,
    /// How many times each of its events counts: `weight / weight unit`.
    pub units: u64,
}

/// Why weights cannot be counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightError {
    /// A weight is not a finite number greater than 0, or not at least one billionth, or
    /// above [`MAX_UNITS`].
    NotPositive,
    /// Their proportions need more than [`MAX_UNITS`] units for one event.
    TooFine,
}

/// A weight as billionths: `None` unless it is finite, at least 10⁻⁹ and at most
/// [`MAX_UNITS`].
pub fn weight_nano(w: f64) -> Option<u64> {
    let nano = (w * ONE as f64).round();
    (w.is_finite() && nano >= 1.0 && w <= MAX_UNITS as f64).then_some(nano as u64)
}

/// The weight unit (billionths) of `weights` (billionths) and each weight's units.
pub fn units(weights_nano: &[u64]) -> Result<(u64, Vec<u64>), WeightError> {
    if weights_nano.contains(&0) {
        return Err(WeightError::NotPositive);
    }
    let unit = weights_nano.iter().fold(ONE, |g, &w| gcd(g, w));
    let units: Vec<u64> = weights_nano.iter().map(|w| w / unit).collect();
    if units.iter().any(|&u| u > MAX_UNITS) {
        return Err(WeightError::TooFine);
    }
    Ok((unit, units))
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A composite as reported: `SloReport::composite`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CompositeReport {
    /// The weight one counted event stands for: the composite's `good`, `total` and `bad`
    /// times this are the weighted sums `Σ wᵢ·countᵢ` (1 when every weight is whole).
    pub weight_unit: f64,
    /// Its components.
    pub components: Vec<ComponentReport>,
}

/// One component as reported.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComponentReport {
    /// The component SLO's service.
    pub service: String,
    /// The component SLO's name (its own entry in the report).
    pub slo: String,
    /// Its weight.
    pub weight: f64,
    /// How many times each of its events counts in the composite's counts.
    pub units: u64,
}

impl Composite {
    /// One line saying what it combines: `1 × frontend/journey-1 + 0.5 × cart/journey-2
    /// (each event counts 2 and 1 times: one count = weight 0.5)`.
    pub fn describe(&self) -> String {
        let nano = |n: u64| n as f64 / ONE as f64;
        let sum: Vec<String> = self
            .components
            .iter()
            .map(|c| format!("{} × {}/{}", nano(c.weight_nano), c.service, c.slo))
            .collect();
        let units: Vec<String> = self
            .components
            .iter()
            .map(|c| c.units.to_string())
            .collect();
        format!(
            "{} (an event of each counts {} times: one count = weight {})",
            sum.join(" + "),
            units.join(", "),
            nano(self.weight_unit_nano)
        )
    }

    /// The report of this composite.
    pub fn report(&self) -> CompositeReport {
        let nano = |n: u64| n as f64 / ONE as f64;
        CompositeReport {
            weight_unit: nano(self.weight_unit_nano),
            components: self
                .components
                .iter()
                .map(|c| ComponentReport {
                    service: c.service.clone(),
                    slo: c.slo.clone(),
                    weight: nano(c.weight_nano),
                    units: c.units,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_weights_count_as_themselves() {
        let w: Vec<u64> = [2.0, 1.0, 3.0]
            .iter()
            .map(|&w| weight_nano(w).unwrap())
            .collect();
        assert_eq!(units(&w), Ok((ONE, vec![2, 1, 3])));
    }

    #[test]
    fn fractional_weights_count_in_their_largest_common_unit() {
        let w: Vec<u64> = [0.5, 1.5, 0.25]
            .iter()
            .map(|&w| weight_nano(w).unwrap())
            .collect();
        assert_eq!(units(&w), Ok((ONE / 4, vec![2, 6, 1])));
        let w: Vec<u64> = [0.3, 1.0]
            .iter()
            .map(|&w| weight_nano(w).unwrap())
            .collect();
        assert_eq!(units(&w), Ok((ONE / 10, vec![3, 10])));
    }

    #[test]
    fn weights_are_refused_when_not_positive_or_too_fine() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-12, 2e6] {
            assert_eq!(weight_nano(bad), None, "{bad}");
        }
        let w = [weight_nano(1.0).unwrap(), weight_nano(0.000_000_1).unwrap()];
        assert_eq!(units(&w), Err(WeightError::TooFine));
        let w = [weight_nano(1.0).unwrap(), weight_nano(0.000_001).unwrap()];
        assert_eq!(units(&w), Ok((1_000, vec![1_000_000, 1])));
    }
}

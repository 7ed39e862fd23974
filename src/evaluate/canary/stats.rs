//! One-sided tests of "the canary's share is larger than the baseline's" on two counts of
//! a 2×2 table (`x` of `n` in each variant): the pooled two-proportion z-test when every
//! expected cell of the table holds at least [`MIN_EXPECTED`] events, where its normal
//! approximation holds, and Fisher's exact test otherwise (few errors, or a small variant),
//! where the approximation does not.

use serde::Serialize;

/// The smallest expected cell count for which the z-test is used.
pub const MIN_EXPECTED: f64 = 5.0;

/// Which test gave a p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    /// Pooled two-proportion z-test, one-sided.
    ZTest,
    /// Fisher's exact test, one-sided (hypergeometric upper tail).
    FisherExact,
}

/// The one-sided p-value of "canary share `x_c / n_c` > baseline share `x_b / n_b`", and
/// the test used. `n_c` and `n_b` are at least 1 and `x ≤ n`.
pub fn greater(x_c: u64, n_c: u64, x_b: u64, n_b: u64) -> (f64, Test) {
    let n = (n_c + n_b) as f64;
    let k = (x_c + x_b) as f64;
    let expected = [
        k * n_c as f64,
        k * n_b as f64,
        (n - k) * n_c as f64,
        (n - k) * n_b as f64,
    ]
    .map(|e| e / n);
    if expected.iter().all(|&e| e >= MIN_EXPECTED) {
        (z_test(x_c, n_c, x_b, n_b), Test::ZTest)
    } else {
        (fisher(x_c, n_c, x_b, n_b), Test::FisherExact)
    }
}

/// Pooled two-proportion z-test: P(Z ≥ z) for z = (p̂_c − p̂_b) / √(p̂(1 − p̂)(1/n_c + 1/n_b)).
pub fn z_test(x_c: u64, n_c: u64, x_b: u64, n_b: u64) -> f64 {
    let (nc, nb) = (n_c as f64, n_b as f64);
    let pooled = (x_c + x_b) as f64 / (nc + nb);
    let se = (pooled * (1.0 - pooled) * (1.0 / nc + 1.0 / nb)).sqrt();
    if se == 0.0 {
        // Every event alike: no difference at all.
        return 1.0;
    }
    let z = (x_c as f64 / nc - x_b as f64 / nb) / se;
    upper_tail(z)
}

/// Fisher's exact test: with the margins fixed, the probability that the canary holds `x_c`
/// or more of the `x_c + x_b` marked events (hypergeometric upper tail).
pub fn fisher(x_c: u64, n_c: u64, x_b: u64, n_b: u64) -> f64 {
    let (n, k) = (n_c + n_b, x_c + x_b);
    let lo = n_c.saturating_sub(n - k);
    let hi = k.min(n_c);
    // Weights of X = lo..=hi relative to X = lo, in logs, by the ratio of neighbours:
    // P(k + 1) / P(k) = (K − k)(n_c − k) / ((k + 1)(N − K − n_c + k + 1)).
    let mut logs = Vec::with_capacity((hi - lo + 1) as usize);
    let mut w = 0.0f64;
    for i in lo..=hi {
        logs.push(w);
        if i < hi {
            let num = ((k - i) as f64).ln() + ((n_c - i) as f64).ln();
            let den = ((i + 1) as f64).ln() + ((n - k - n_c + i + 1) as f64).ln();
            w += num - den;
        }
    }
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let all: f64 = logs.iter().map(|l| (l - top).exp()).sum();
    let tail: f64 = logs[(x_c - lo) as usize..]
        .iter()
        .map(|l| (l - top).exp())
        .sum();
    (tail / all).clamp(0.0, 1.0)
}

/// P(Z ≥ z) for a standard normal Z.
pub fn upper_tail(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The complementary error function, to a relative error below 1.2 × 10⁻⁷ (the Chebyshev
/// fit of Press et al., *Numerical Recipes*, §6.2).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn normal_tail_matches_tables() {
        // Standard normal table values.
        assert!(close(upper_tail(0.0), 0.5, 1e-7));
        assert!(close(upper_tail(1.644_853_6), 0.05, 1e-5));
        assert!(close(upper_tail(1.959_964), 0.025, 1e-5));
        assert!(close(upper_tail(3.0), 0.001_349_898, 1e-5));
        assert!(close(upper_tail(-1.0), 0.841_344_746, 1e-6));
    }

    #[test]
    fn fisher_matches_a_hand_computed_table() {
        // Canary 3 of 10, baseline 0 of 10: N = 20, K = 3, n_c = 10. P(X ≥ 3) = P(X = 3) =
        // C(10,3)·C(10,0)/C(20,3) = 120 / 1140.
        assert!(close(fisher(3, 10, 0, 10), 120.0 / 1140.0, 1e-12));
        // Canary 2 of 10, baseline 1 of 10: P(X ≥ 2) = (C(10,2)·C(10,1) + 120) / 1140.
        assert!(close(
            fisher(2, 10, 1, 10),
            (45.0 * 10.0 + 120.0) / 1140.0,
            1e-12
        ));
        // Nothing marked: the tail is everything.
        assert_eq!(fisher(0, 5, 0, 7), 1.0);
        // Lady tasting tea (Fisher 1935): 3 of 4 against 1 of 4, p = 17/70.
        assert!(close(fisher(3, 4, 1, 4), 17.0 / 70.0, 1e-12));
    }

    #[test]
    fn z_test_matches_a_hand_computation() {
        // 60/1000 vs 30/1000: pooled 0.045, se = √(0.045·0.955·0.002) = 0.009271,
        // z = 0.03 / 0.009271 = 3.2359, P(Z ≥ z) = 6.06e-4.
        let p = z_test(60, 1_000, 30, 1_000);
        assert!(close(p, 6.06e-4, 1e-2), "{p}");
        // A canary better than its baseline is nowhere near significant.
        assert!(z_test(30, 1_000, 60, 1_000) > 0.99);
    }

    #[test]
    fn the_test_follows_the_expected_counts() {
        assert_eq!(greater(60, 1_000, 30, 1_000).1, Test::ZTest);
        // Three errors in all: expected cells of 1.5.
        assert_eq!(greater(3, 1_000, 0, 1_000).1, Test::FisherExact);
        // Both agree closely where both apply.
        let (z, f) = (
            z_test(200, 5_000, 150, 5_000),
            fisher(200, 5_000, 150, 5_000),
        );
        assert!((z - f).abs() < 0.01, "{z} {f}");
    }
}

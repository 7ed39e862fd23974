//! Property tests of the exact comparisons against an independent rational computation in
//! 128-bit integers, and of the display floats: finite, in range, and monotone in bad events.

use proptest::prelude::*;

use super::*;

/// Counts with up to 10¹² events, any share of them good.
fn counts() -> impl Strategy<Value = Counts> {
    (0u64..=1_000_000_000_000)
        .prop_flat_map(|total| (0..=total, Just(total)))
        .prop_map(|(good, total)| Counts { good, total })
}

/// Objectives below 100 % (configuration validation rejects 100 %).
fn objective() -> impl Strategy<Value = Ppb> {
    (0..ONE).prop_map(Ppb)
}

/// `bad / total / ((ONE − o) / ONE)` compared with `num / den`, as signed cross products.
fn burn_cmp(c: Counts, o: Ppb, num: u64, den: u64) -> std::cmp::Ordering {
    let lhs = i128::from(c.bad()) * i128::from(ONE) * i128::from(den);
    let rhs = i128::from(num) * i128::from(ONE - o.0) * i128::from(c.total);
    lhs.cmp(&rhs)
}

/// `remaining · ONE` compared with `x`, where remaining = 1 − bad·ONE / ((ONE − o)·total),
/// as cross products over the positive denominator `(ONE − o)·total`.
fn remaining_cmp(c: Counts, o: Ppb, x: Ppb) -> std::cmp::Ordering {
    let allowed = i128::from(ONE - o.0) * i128::from(c.total);
    let remaining_num =
        allowed * i128::from(ONE) - i128::from(c.bad()) * i128::from(ONE) * i128::from(ONE);
    remaining_num.cmp(&(i128::from(x.0) * allowed))
}

proptest! {
    #[test]
    fn burn_comparisons_agree_with_rationals(
        c in counts(),
        o in objective(),
        num in 0u64..1_000_000_000,
        den in 1u64..1_000_000,
    ) {
        let f = Factor::new(num, den).unwrap();
        let ord = burn_cmp(c, o, num, den);
        prop_assert_eq!(burn_exceeds(c, o, f), c.total > 0 && ord.is_gt());
        prop_assert_eq!(burn_at_least(c, o, f), c.total > 0 && ord.is_ge());
    }

    #[test]
    fn remaining_comparisons_agree_with_rationals(c in counts(), o in objective(), x in 0..=ONE) {
        let x = Ppb(x);
        if c.total == 0 {
            prop_assert!(!remaining_below(c, o, x));
            prop_assert_eq!(remaining_above(c, o, x), x.0 < ONE);
        } else {
            let ord = remaining_cmp(c, o, x);
            prop_assert_eq!(remaining_below(c, o, x), ord.is_lt());
            prop_assert_eq!(remaining_above(c, o, x), ord.is_gt());
        }
    }

    #[test]
    fn display_values_are_finite_in_range_and_monotone(
        c in counts(),
        o in objective(),
        more_bad in 0u64..1_000,
    ) {
        let worse = Counts { good: c.good.saturating_sub(more_bad), total: c.total };
        match (sli(c), sli(worse)) {
            (Some(s), Some(w)) => {
                prop_assert!(s.is_finite() && (0.0..=1.0).contains(&s));
                prop_assert!(w <= s, "more bad events raised the SLI");
            }
            (None, None) => prop_assert_eq!(c.total, 0),
            _ => prop_assert!(false, "SLI defined for one and not the other"),
        }
        match (burn_rate(c, o), burn_rate(worse, o)) {
            (Some(b), Some(w)) => {
                prop_assert!(b.is_finite() && b >= 0.0);
                prop_assert!(w >= b, "more bad events lowered the burn rate");
            }
            (None, None) => prop_assert_eq!(c.total, 0),
            _ => prop_assert!(false, "burn rate defined for one and not the other"),
        }
        let (r, rw) = (remaining_ratio(c, o), remaining_ratio(worse, o));
        prop_assert!(r.is_finite() && r <= 1.0);
        prop_assert!(rw <= r, "more bad events raised the remaining budget");
    }
}

//! Word-at-a-time byte tests (SWAR: SIMD within a register), shared by the scanners that
//! look for a few bytes in short runs, where a vectorized search costs more to set up than
//! it saves. Each mask has the high bit set in the bytes that pass, exactly up to the first
//! of them (a borrow may mark bytes after it), so its lowest set bit marks the first one.

/// `byte` in each of a word's 8 bytes.
pub(crate) fn splat(byte: u8) -> u64 {
    u64::from(byte) * 0x0101_0101_0101_0101
}

/// The bytes of `x` that are zero.
pub(crate) fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(0x0101_0101_0101_0101) & !x & HIGH
}

/// The bytes of `x` below `n` (`n` at most 0x80).
pub(crate) fn below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(splat(n)) & !x & HIGH
}

/// The first of `rest`'s first 8 bytes that is one of `bytes`, found in one word; `None`
/// when none is (or `rest` is shorter: the caller searches on).
pub(crate) fn in_first_word<const N: usize>(rest: &[u8], bytes: [u8; N]) -> Option<usize> {
    let word = u64::from_le_bytes(*rest.first_chunk::<8>()?);
    let found = bytes
        .iter()
        .fold(0, |found, &b| found | zero_bytes(word ^ splat(b)));
    (found != 0).then(|| (found.trailing_zeros() / 8) as usize)
}

/// The high bit of every byte: a byte with it set is not ASCII.
pub(crate) const HIGH: u64 = 0x8080_8080_8080_8080;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The lowest marked byte is the first byte that passes, for every word.
        #[test]
        fn masks_mark_the_first_passing_byte(bytes in any::<[u8; 8]>(), b in any::<u8>(), n in 0u8..=0x80) {
            let w = u64::from_le_bytes(bytes);
            let first = |m: u64| (m != 0).then(|| (m.trailing_zeros() / 8) as usize);
            prop_assert_eq!(first(zero_bytes(w ^ splat(b))), bytes.iter().position(|&x| x == b));
            prop_assert_eq!(first(below(w, n)), bytes.iter().position(|&x| x < n));
        }
    }
}

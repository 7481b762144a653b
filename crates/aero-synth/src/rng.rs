//! A small deterministic random number generator (SplitMix64), so that a seed gives
//! the same site on every machine and every Rust version.

/// SplitMix64: fast, good enough for test data, and fully specified.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high` (`low` when the range is empty).
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        if high <= low {
            return low;
        }
        low + self.next_u64() % (high - low + 1)
    }

    /// An index below `len` (0 when `len` is 0).
    pub fn index(&mut self, len: usize) -> usize {
        if len == 0 {
            return 0;
        }
        (self.next_u64() % len as u64) as usize
    }

    /// True with probability `numerator / denominator`.
    pub fn chance(&mut self, numerator: u64, denominator: u64) -> bool {
        denominator > 0 && self.next_u64() % denominator < numerator
    }

    /// `length` lower-case hexadecimal digits.
    pub fn hex(&mut self, length: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        (0..length)
            .map(|_| DIGITS[(self.next_u64() % 16) as usize] as char)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_different_seed_differs() {
        let first: Vec<u64> = {
            let mut rng = Rng::new(7);
            (0..8).map(|_| rng.next_u64()).collect()
        };
        let again: Vec<u64> = {
            let mut rng = Rng::new(7);
            (0..8).map(|_| rng.next_u64()).collect()
        };
        let other: Vec<u64> = {
            let mut rng = Rng::new(8);
            (0..8).map(|_| rng.next_u64()).collect()
        };
        assert_eq!(first, again);
        assert_ne!(first, other);
    }

    #[test]
    fn range_stays_inside_its_bounds() {
        let mut rng = Rng::new(1);
        for _ in 0..1000 {
            let value = rng.range(3, 9);
            assert!((3..=9).contains(&value), "{value}");
        }
        assert_eq!(rng.range(5, 5), 5);
        assert_eq!(rng.range(6, 2), 6);
        assert_eq!(rng.index(0), 0);
        let hex = rng.hex(32);
        assert_eq!(hex.len(), 32);
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
    }
}

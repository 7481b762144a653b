//! Random values from the operating system's CSPRNG.

use crate::error::SecretsError;

/// Fills `buffer` with random bytes.
pub fn fill(buffer: &mut [u8]) -> Result<(), SecretsError> {
    getrandom::fill(buffer).map_err(|error| SecretsError::Random(error.to_string()))
}

/// A uniformly random index below `bound` (rejection sampling, no modulo bias).
pub fn index(bound: usize) -> Result<usize, SecretsError> {
    if bound <= 1 {
        return Ok(0);
    }
    let bound = u64::try_from(bound).unwrap_or(u64::MAX);
    let zone = u64::MAX - (u64::MAX % bound);
    loop {
        let mut bytes = [0u8; 8];
        fill(&mut bytes)?;
        let value = u64::from_le_bytes(bytes);
        if value < zone {
            return Ok(usize::try_from(value % bound).unwrap_or(0));
        }
    }
}

/// A random (version 4) UUID in its lower-case hyphenated form.
pub fn uuid_v4() -> Result<String, SecretsError> {
    let mut bytes = [0u8; 16];
    fill(&mut bytes)?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = hex::encode(bytes);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_stays_below_bound_and_covers_it() {
        let mut seen = [false; 7];
        for _ in 0..500 {
            let value = index(7).unwrap();
            seen[value] = true;
        }
        assert!(seen.iter().all(|hit| *hit));
    }

    #[test]
    fn uuid_has_version_and_variant() {
        let uuid = uuid_v4().unwrap();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!("89ab".contains(&uuid[19..20]));
        assert_ne!(uuid, uuid_v4().unwrap());
    }
}

//! Random tokens for cookies and one-time links, stored only as hashes.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new random token: 32 bytes as 64 hex characters.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// What the database keeps instead of a token: its SHA-256, in hex.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Ten recovery codes such as `k3f9-x2ma-7qpe`, easy to type and read aloud.
pub fn recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| {
            let chars: Vec<char> = (0..12)
                .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
                .collect();
            format!(
                "{}-{}-{}",
                chars[..4].iter().collect::<String>(),
                chars[4..8].iter().collect::<String>(),
                chars[8..].iter().collect::<String>()
            )
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token());
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), a);
        let codes = recovery_codes();
        assert_eq!(codes.len(), 10);
        assert_eq!(codes[0].len(), 14);
    }
}

/// Seconds to lock sign-in after `failures` failures: free below `threshold`, then 30 s doubling with
/// each further failure, at most an hour. Growing delays stop guessing without locking people out
/// for long over a typo.
pub fn throttle_delay(failures: i64, threshold: i64) -> i64 {
    if failures < threshold {
        return 0;
    }
    let doublings = (failures - threshold).min(10) as u32;
    (30i64 << doublings).min(3600)
}

#[cfg(test)]
mod throttle_tests {
    use super::throttle_delay;

    #[test]
    fn delays_grow_and_are_capped() {
        assert_eq!(throttle_delay(4, 5), 0);
        assert_eq!(throttle_delay(5, 5), 30);
        assert_eq!(throttle_delay(6, 5), 60);
        assert_eq!(throttle_delay(8, 5), 240);
        assert_eq!(throttle_delay(100, 5), 3600);
    }
}

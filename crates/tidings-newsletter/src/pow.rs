//! A small proof-of-work for public forms: the server hands out a signed challenge, the visitor's
//! browser finds a number whose SHA-256 with the challenge starts with enough zero bits, and the
//! server checks it in one hash. People never notice a fraction of a second; a bot sending
//! thousands of signups pays for every one. No third party is involved.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Leading zero bits asked of signup forms (about 65,000 hashes on average: a fraction of a second in a browser).
pub const SIGNUP_DIFFICULTY: u32 = 16;
/// How long a challenge stays valid, in seconds.
const MAX_AGE: i64 = 3600;

/// A challenge to hand to the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// `<issued>.<nonce>.<difficulty>.<signature>`: self-contained, nothing stored until it is used.
    pub token: String,
    /// Leading zero bits required.
    pub difficulty: u32,
}

/// Why a solution was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PowError {
    /// Missing, malformed or not signed by this site.
    #[error("the form's security check is missing or invalid")]
    Invalid,
    /// Older than an hour.
    #[error("the form's security check has expired; reload the page")]
    Expired,
    /// The number does not give enough zero bits.
    #[error("the form's security check was not completed")]
    Unsolved,
}

fn signature(secret: &[u8], payload: &str) -> String {
    tidings_accounts::hmac_hex(secret, &[payload.as_bytes()])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh challenge signed with `secret`.
pub fn issue_challenge(secret: &[u8], now: i64, difficulty: u32) -> Challenge {
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let payload = format!("{now}.{}.{difficulty}", hex(&nonce));
    Challenge {
        token: format!("{payload}.{}", signature(secret, &payload)),
        difficulty,
    }
}

fn leading_zero_bits(token: &str, solution: u64) -> u32 {
    let digest = Sha256::digest(format!("{token}:{solution}").as_bytes());
    let mut bits = 0;
    for byte in digest {
        if byte == 0 {
            bits += 8;
        } else {
            bits += byte.leading_zeros();
            break;
        }
    }
    bits
}

/// Checks a solution; returns the challenge's nonce, which the caller records so it is used once.
pub fn verify_solution(
    secret: &[u8],
    token: &str,
    solution: u64,
    now: i64,
) -> Result<String, PowError> {
    let parts: Vec<&str> = token.split('.').collect();
    let [issued, nonce, difficulty, sig] = parts.as_slice() else {
        return Err(PowError::Invalid);
    };
    let payload = format!("{issued}.{nonce}.{difficulty}");
    let expected = signature(secret, &payload);
    if !tidings_accounts::constant_time_eq(expected.as_bytes(), sig.as_bytes()) {
        return Err(PowError::Invalid);
    }
    let issued: i64 = issued.parse().map_err(|_| PowError::Invalid)?;
    let difficulty: u32 = difficulty.parse().map_err(|_| PowError::Invalid)?;
    if now - issued > MAX_AGE || issued > now + 60 {
        return Err(PowError::Expired);
    }
    if leading_zero_bits(token, solution) < difficulty {
        return Err(PowError::Unsolved);
    }
    Ok((*nonce).to_string())
}

/// Finds a solution, as the browser's script does (used by tests and by clients without a browser).
pub fn solve(token: &str, difficulty: u32) -> u64 {
    (0u64..)
        .find(|n| leading_zero_bits(token, *n) >= difficulty)
        .expect("a solution exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solved_challenges_verify_and_forgeries_do_not() {
        let secret = b"site secret";
        let c = issue_challenge(secret, 1_000_000, 10);
        let n = solve(&c.token, 10);
        assert!(verify_solution(secret, &c.token, n, 1_000_100).is_ok());
        assert_eq!(
            verify_solution(secret, &c.token, n, 1_000_000 + 7200),
            Err(PowError::Expired)
        );
        assert_eq!(
            verify_solution(b"other", &c.token, n, 1_000_100),
            Err(PowError::Invalid)
        );
        let easier = c.token.replacen(".10.", ".1.", 1);
        assert_eq!(
            verify_solution(secret, &easier, n, 1_000_100),
            Err(PowError::Invalid),
            "difficulty is signed"
        );
        let unsolved = (0u64..)
            .find(|m| leading_zero_bits(&c.token, *m) < 10)
            .unwrap();
        assert_eq!(
            verify_solution(secret, &c.token, unsolved, 1_000_100),
            Err(PowError::Unsolved)
        );
        assert_eq!(
            verify_solution(secret, "garbage", 0, 0),
            Err(PowError::Invalid)
        );
    }
}

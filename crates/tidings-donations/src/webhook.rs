//! Stripe webhook signatures: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256>` over
//! `"<t>.<raw body>"` with the endpoint's signing secret; events older than the tolerance are refused
//! so a captured request cannot be replayed later.

use tidings_accounts::{constant_time_eq, hmac_hex};

/// Stripe's default tolerance, in seconds.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No usable `t=` or `v1=` in the header.
    #[error("the Stripe-Signature header is missing or malformed")]
    Malformed,
    /// No `v1` signature matches.
    #[error("no signature matches the payload")]
    Mismatch,
    /// Signed too long ago (or in the future).
    #[error("the signature's timestamp is outside the tolerance")]
    Stale,
}

fn signature(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    let timestamp = timestamp.to_string();
    hmac_hex(secret.as_bytes(), &[timestamp.as_bytes(), b".", payload])
}

/// The header Stripe would send for `payload` at `timestamp` (for tests and local tools).
pub fn sign_payload(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    format!("t={timestamp},v1={}", signature(secret, timestamp, payload))
}

/// Checks a webhook's signature at `now` (Unix seconds).
pub fn verify_signature(
    payload: &[u8],
    header: &str,
    secret: &str,
    now: i64,
    tolerance: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => candidates.push(v.to_string()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let expected = signature(secret, timestamp, payload);
    let matches = candidates
        .iter()
        .any(|c| constant_time_eq(c.as_bytes(), expected.as_bytes()));
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    if (now - timestamp).abs() > tolerance {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

//! HMAC-SHA256 signatures for links, challenges and webhooks, and comparing secrets in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The hex HMAC-SHA256 of the concatenated `parts` under `secret`.
pub fn hmac_hex(secret: &[u8], parts: &[&[u8]]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `Tidings-Signature` header of a webhook delivery made at `timestamp` (Unix seconds) with
/// `body`: `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>" under the secret>`, the
/// scheme Stripe's webhooks use, so receivers can reuse what they know.
pub fn webhook_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let t = timestamp.to_string();
    let mac = hmac_hex(secret.as_bytes(), &[t.as_bytes(), b".", body]);
    format!("t={t},v1={mac}")
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_signatures_cover_the_time_and_the_body() {
        let a = webhook_signature("whsec_x", 1_764_000_000, b"{}");
        assert!(a.starts_with("t=1764000000,v1="));
        assert_eq!(a.len(), "t=1764000000,v1=".len() + 64);
        assert_ne!(a, webhook_signature("whsec_x", 1_764_000_001, b"{}"));
        assert_ne!(a, webhook_signature("whsec_x", 1_764_000_000, b"{ }"));
        assert_ne!(a, webhook_signature("whsec_y", 1_764_000_000, b"{}"));
    }

    #[test]
    fn matches_the_rfc_4231_test_vector_and_compares_exactly() {
        // RFC 4231, test case 2.
        assert_eq!(
            hmac_hex(b"Jefe", &[b"what do ya want ", b"for nothing?"]),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}

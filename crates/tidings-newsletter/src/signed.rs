//! Recipient-specific tokens for links in emails (unsubscribe, preferences): `<id>.<signature>`,
//! where the signature covers the purpose too, so one kind of link cannot be used as another.

use tidings_accounts::{constant_time_eq, hmac_hex};

fn mac(secret: &[u8], purpose: &str, id: i64) -> String {
    // 128 bits of the signature keep links short and are far beyond guessing.
    let mut full = hmac_hex(secret, &[format!("{purpose}:{id}").as_bytes()]);
    full.truncate(32);
    full
}

/// A token for `id` and `purpose`.
pub fn sign_token(secret: &[u8], purpose: &str, id: i64) -> String {
    format!("{id}.{}", mac(secret, purpose, id))
}

/// The id a token stands for, if it was signed by this site for this purpose.
pub fn verify_token(secret: &[u8], purpose: &str, token: &str) -> Option<i64> {
    let (id, sig) = token.split_once('.')?;
    let id: i64 = id.parse().ok()?;
    let expected = mac(secret, purpose, id);
    constant_time_eq(expected.as_bytes(), sig.as_bytes()).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_id_purpose_and_secret() {
        let t = sign_token(b"s", "unsubscribe", 42);
        assert_eq!(verify_token(b"s", "unsubscribe", &t), Some(42));
        assert_eq!(verify_token(b"s", "preferences", &t), None);
        assert_eq!(verify_token(b"x", "unsubscribe", &t), None);
        assert_eq!(
            verify_token(b"s", "unsubscribe", &t.replacen("42", "43", 1)),
            None
        );
        assert_eq!(verify_token(b"s", "unsubscribe", "nonsense"), None);
    }
}

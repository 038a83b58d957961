//! Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s), as authenticator apps expect.

use totp_rs::{Algorithm, Secret, TOTP};

/// Why a TOTP operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TotpError {
    /// The stored secret is not valid base32.
    #[error("invalid two-factor secret")]
    Secret,
}

/// One account's second factor.
pub struct TwoFactor {
    totp: TOTP,
    encoded: String,
}

impl TwoFactor {
    /// A fresh random secret.
    pub fn generate() -> TwoFactor {
        let mut bytes = [0u8; 20];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        let encoded = Secret::Raw(bytes.to_vec()).to_encoded().to_string();
        Self::from_base32(&encoded).expect("fresh secret is valid")
    }

    /// The stored base32 secret.
    pub fn from_base32(secret: &str) -> Result<TwoFactor, TotpError> {
        let bytes = Secret::Encoded(secret.to_string())
            .to_bytes()
            .map_err(|_| TotpError::Secret)?;
        let totp = TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes);
        Ok(TwoFactor {
            totp,
            encoded: secret.to_string(),
        })
    }

    /// The secret to store and to show for manual entry.
    pub fn secret(&self) -> &str {
        &self.encoded
    }

    /// The `otpauth://` URI authenticator apps import.
    pub fn uri(&self, issuer: &str, account: &str) -> String {
        let enc = |s: &str| {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        };
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
            enc(issuer),
            enc(account),
            self.encoded,
            enc(issuer)
        )
    }

    /// The code for a Unix time (for tests and for showing nothing else).
    pub fn code_at(&self, unix: u64) -> String {
        self.totp.generate(unix)
    }

    /// Checks a code at `unix`, allowing one step of clock drift either way. Returns the matched
    /// time step, which must be greater than the last one used (no replay).
    pub fn verify(&self, code: &str, unix: u64, last_step: i64) -> Option<i64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let step = (unix / 30) as i64;
        (step - 1..=step + 1)
            .filter(|s| *s > last_step)
            .find(|s| self.totp.generate(*s as u64 * 30) == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_verify_once_within_drift() {
        let tf = TwoFactor::generate();
        let again = TwoFactor::from_base32(tf.secret()).unwrap();
        let now = 1_800_000_000;
        let code = tf.code_at(now);
        let step = again.verify(&code, now, 0).unwrap();
        assert_eq!(step, (now / 30) as i64);
        assert!(again.verify(&code, now, step).is_none(), "no replay");
        assert!(
            again.verify(&tf.code_at(now - 30), now, 0).is_some(),
            "one step of drift"
        );
        assert!(again.verify(&tf.code_at(now - 120), now, 0).is_none());
        assert!(again.verify("12345", now, 0).is_none());
        assert!(tf
            .uri("Harbour Ledger", "ana@example.org")
            .starts_with("otpauth://totp/Harbour%20Ledger:ana%40example.org?secret="));
    }
}

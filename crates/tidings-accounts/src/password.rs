//! argon2id password hashing.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::sync::OnceLock;

use argon2::{Algorithm, Argon2, Params, Version};

/// Shortest password accepted; length beats composition rules.
pub const MIN_PASSWORD_LEN: usize = 12;
/// Longest password accepted, so hashing cost stays bounded.
const MAX_PASSWORD_LEN: usize = 512;

/// How expensive new hashes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCost {
    /// OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane.
    Standard,
    /// Cheap parameters for tests only; verification still reads the parameters from each hash.
    Test,
}

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Too short.
    #[error("use at least {MIN_PASSWORD_LEN} characters")]
    TooShort,
    /// Too long.
    #[error("use at most {MAX_PASSWORD_LEN} characters")]
    TooLong,
    /// Hashing failed (should not happen).
    #[error("cannot hash the password")]
    Hash,
}

/// Hashes and verifies passwords.
#[derive(Debug, Clone, Copy)]
pub struct Passwords {
    cost: PasswordCost,
}

impl Passwords {
    /// A hasher producing hashes of the given cost.
    pub fn new(cost: PasswordCost) -> Self {
        Passwords { cost }
    }

    fn argon(&self) -> Argon2<'static> {
        let params = match self.cost {
            PasswordCost::Standard => Params::new(19 * 1024, 2, 1, None),
            PasswordCost::Test => Params::new(256, 1, 1, None),
        }
        .expect("valid argon2 parameters");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// Checks length rules and returns an argon2id PHC string.
    pub fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let n = password.chars().count();
        if n < MIN_PASSWORD_LEN {
            return Err(PasswordError::TooShort);
        }
        if n > MAX_PASSWORD_LEN {
            return Err(PasswordError::TooLong);
        }
        let mut salt_bytes = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt_bytes);
        let salt = SaltString::encode_b64(&salt_bytes).map_err(|_| PasswordError::Hash)?;
        self.argon()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|_| PasswordError::Hash)
    }

    /// Whether `password` matches `hash`; a missing hash still costs a verification, so that timing
    /// does not tell whether an account exists.
    pub fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        let (target, real) = match hash {
            Some(h) => (h, true),
            None => (self.dummy(), false),
        };
        if password.len() > MAX_PASSWORD_LEN * 4 {
            return false;
        }
        let Ok(parsed) = PasswordHash::new(target) else {
            return false;
        };
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        ok && real
    }

    /// A hash of a random password made with this hasher's own parameters, once per process, so
    /// that checking an unknown address costs exactly what checking a real account does.
    fn dummy(&self) -> &'static str {
        static STANDARD: OnceLock<String> = OnceLock::new();
        static TEST: OnceLock<String> = OnceLock::new();
        let cell = match self.cost {
            PasswordCost::Standard => &STANDARD,
            PasswordCost::Test => &TEST,
        };
        cell.get_or_init(|| {
            self.hash(&crate::new_token())
                .expect("a random token is a valid password")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let p = Passwords::new(PasswordCost::Test);
        let h = p.hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(p.verify("correct horse battery", Some(&h)));
        assert!(!p.verify("wrong horse battery", Some(&h)));
        assert!(!p.verify("correct horse battery", None));
        assert_eq!(p.hash("short"), Err(PasswordError::TooShort));
        let standard = Passwords::new(PasswordCost::Standard)
            .hash("correct horse battery")
            .unwrap();
        assert!(standard.contains("m=19456,t=2,p=1"));
        assert!(p.verify("correct horse battery", Some(&standard)));
    }

    #[test]
    fn the_stand_in_for_unknown_accounts_has_the_real_parameters() {
        let dummy = Passwords::new(PasswordCost::Standard).dummy();
        let parsed = PasswordHash::new(dummy).unwrap();
        let params = Params::try_from(&parsed).unwrap();
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (19 * 1024, 2, 1)
        );
        let real = Passwords::new(PasswordCost::Standard)
            .hash("a long and careful passphrase")
            .unwrap();
        let real = Params::try_from(&PasswordHash::new(&real).unwrap()).unwrap();
        assert_eq!(params.m_cost(), real.m_cost());
        assert!(!Passwords::new(PasswordCost::Standard).verify("anything at all", None));
    }
}

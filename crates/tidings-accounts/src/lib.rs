//! Newsroom accounts without I/O: who may do what, how passwords are hashed, how one-time tokens and
//! two-factor codes work. Storage lives in `tidings-store`; HTTP in `tidings-server`.

mod password;
mod role;
mod token;
mod totp;

pub use password::{PasswordCost, PasswordError, Passwords, MIN_PASSWORD_LEN};
pub use role::{Action, Role};
pub use token::{hash_token, new_token, normalise_email, recovery_codes, throttle_delay};
pub use totp::{TotpError, TwoFactor};
